// A small deterministic random number generator.
// The standard library's distributions differ between implementations; recur draws its own
// uniform and normal numbers so that a seed gives the same model on every compiler.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

namespace recur {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0x5eed) : engine_(seed) {}

  void seed(std::uint64_t s) {
    engine_.seed(s);
    has_spare_ = false;
  }

  /// Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  /// Standard normal (Box-Muller, with the second value kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = 0;
    while (u1 <= 0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * M_PI * u2);
  }

  /// Uniform integer in [0, n), without modulo bias; n must be positive.
  std::uint64_t below(std::uint64_t n) {
    if (n == 0) throw std::invalid_argument("Rng::below(0): the range is empty");
    const std::uint64_t limit =
        std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % n;
    std::uint64_t v = engine_();
    while (v >= limit) v = engine_();
    return v % n;
  }

  /// The raw engine, for std::shuffle.
  std::mt19937_64& engine() { return engine_; }

  /// The whole state as text (engine, and the spare normal as exact hex), for checkpoints.
  std::string state() const {
    std::ostringstream out;
    out << engine_ << ' ' << has_spare_ << ' ' << std::hexfloat << spare_;
    return out.str();
  }

  /// Restores a state written by state(); throws std::invalid_argument if it is not one.
  void restore(const std::string& text) {
    std::istringstream in(text);
    std::mt19937_64 engine;
    bool has_spare = false;
    std::string spare;
    in >> engine >> has_spare >> spare;
    char* end = nullptr;
    const double value = std::strtod(spare.c_str(), &end);  // hexfloat: operator>> cannot read it
    if (in.fail() || spare.empty() || *end != '\0' || !(in >> std::ws).eof())
      throw std::invalid_argument("Rng::restore: not a state written by Rng::state()");
    engine_ = engine;
    has_spare_ = has_spare;
    spare_ = value;
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

/// The generator used when a constructor is not given one; `recur::global_rng().seed(n)`
/// makes a whole program reproducible, like torch.manual_seed.
inline Rng& global_rng() {
  static Rng rng;
  return rng;
}

}  // namespace recur
