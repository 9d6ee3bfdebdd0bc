// Reversible transforms that make a series easier to forecast: a log (multiplicative growth and
// seasons become additive), a difference at lag 1 (removes a trend), a difference at the season's
// lag (removes a fixed seasonal pattern), and scaling fitted on the training part only.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/types.hpp"

namespace recur::series {

/// y -> z = log y (optional) -> u = z minus its differenced-away part. A forecast of u[t] becomes
/// one of y[t] with the levels z before t: z[t] = base(z, t) + u[t].
struct Transform {
  bool log = false;
  bool diff = false;  ///< u = z[t] - z[t-1]
  Index season = 0;   ///< also difference at this lag; 0: no seasonal difference

  std::string name() const {
    std::string n = log ? "log" : "";
    if (diff) n += std::string(n.empty() ? "" : "+") + "diff";
    if (season) n += std::string(n.empty() ? "" : "+") + "sdiff" + std::to_string(season);
    return n.empty() ? "none" : n;
  }

  /// Parses a name written by name(): "none", "log", "diff", "sdiff12", "log+diff+sdiff12", ...
  static Transform parse(const std::string& text) {
    Transform t;
    if (text == "none") return t;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      const std::size_t end = std::min(text.find('+', pos), text.size());
      const std::string part = text.substr(pos, end - pos);
      if (part == "log" && !t.log) {
        t.log = true;
      } else if (part == "diff" && !t.diff) {
        t.diff = true;
      } else if (part.rfind("sdiff", 0) == 0 && part.size() > 5 && !t.season &&
                 part.find_first_not_of("0123456789", 5) == std::string::npos && part.size() < 12) {
        t.season = std::stol(part.substr(5));
        if (t.season < 2) throw value_error("transform '" + text + "': the seasonal lag must be >= 2");
      } else {
        throw value_error("transform '" + text +
                          "' is not one of none, log, diff, sdiffN or a '+'-joined combination like log+diff");
      }
      pos = end + 1;
    }
    return t;
  }

  /// The first index with a defined u (earlier values only feed the differences).
  Index order() const { return (diff ? 1 : 0) + season; }

  /// z: the log of y or y itself. Throws value_error if a log is asked of a value <= 0.
  std::vector<double> levels(const std::vector<double>& y) const {
    std::vector<double> z(y);
    if (!log) return z;
    for (std::size_t i = 0; i < z.size(); ++i) {
      if (!(y[i] > 0))
        throw value_error("transform log: value " + std::to_string(y[i]) + " at position " + std::to_string(i) +
                          " is not positive");
      z[i] = std::log(y[i]);
    }
    return z;
  }
  double unlevel(double z) const { return log ? std::exp(z) : z; }

  /// The part of z[t] the differences take away, from levels before t only.
  double base(const std::vector<double>& z, Index t) const {
    const auto at = [&](Index i) { return z[static_cast<std::size_t>(i)]; };
    double b = 0;
    if (diff) b += at(t - 1);
    if (season) b += at(t - season);
    if (diff && season) b -= at(t - season - 1);
    return b;
  }

  /// u[t] for every t (NaN before order()).
  std::vector<double> apply(const std::vector<double>& y) const {
    const std::vector<double> z = levels(y);
    std::vector<double> u(z.size(), std::nan(""));
    for (Index t = order(); t < static_cast<Index>(z.size()); ++t)
      u[static_cast<std::size_t>(t)] = z[static_cast<std::size_t>(t)] - base(z, t);
    return u;
  }
};

/// Affine scaling u -> (u - shift) / scale, fitted on training values only so that nothing of
/// the validation or test part leaks into the model.
struct Scaler {
  enum class Kind { standard, minmax, none };
  Kind kind = Kind::standard;
  double shift = 0, scale = 1;

  static Kind parse(const std::string& text) {
    if (text == "standard") return Kind::standard;
    if (text == "minmax") return Kind::minmax;
    if (text == "none") return Kind::none;
    throw value_error("scaling '" + text + "' is not one of standard, minmax, none");
  }
  static std::string name(Kind k) { return k == Kind::standard ? "standard" : k == Kind::minmax ? "minmax" : "none"; }

  /// standard: mean 0, sd 1; minmax: [-1, 1]; none: identity. Ignores NaN; a constant series
  /// keeps scale 1.
  void fit(const std::vector<double>& u, std::size_t begin, std::size_t end) {
    shift = 0;
    scale = 1;
    if (kind == Kind::none) return;
    double sum = 0, lo = std::numeric_limits<double>::infinity(), hi = -lo;
    std::size_t n = 0;
    for (std::size_t i = begin; i < end; ++i) {
      if (std::isnan(u[i])) continue;
      sum += u[i];
      lo = std::min(lo, u[i]);
      hi = std::max(hi, u[i]);
      ++n;
    }
    if (n == 0) throw value_error("Scaler::fit: no values to fit");
    if (kind == Kind::minmax) {
      shift = 0.5 * (lo + hi);
      scale = hi > lo ? 0.5 * (hi - lo) : 1;
      return;
    }
    shift = sum / static_cast<double>(n);
    double ss = 0;
    for (std::size_t i = begin; i < end; ++i)
      if (!std::isnan(u[i])) ss += (u[i] - shift) * (u[i] - shift);
    const double sd = std::sqrt(ss / static_cast<double>(n));
    scale = sd > 0 ? sd : 1;
  }
  double forward(double u) const { return (u - shift) / scale; }
  double inverse(double s) const { return s * scale + shift; }
};

}  // namespace recur::series
