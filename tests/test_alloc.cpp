// Streaming steps never allocate: with compile-time sizes at all, with run-time sizes after the
// state is made. Counts both Eigen's heap allocations (EIGEN_RUNTIME_NO_MALLOC, made to throw
// instead of abort) and global operator new. A program of its own, so the replaced operator
// new and Eigen's check stay out of the other tests.
#include <cstdio>
#include <cstdlib>
#include <new>
#include <stdexcept>

#define EIGEN_RUNTIME_NO_MALLOC
#define eigen_assert(x)                                         \
  do {                                                          \
    if (!(x)) throw std::runtime_error("Eigen assertion: " #x); \
  } while (false)
#include <recur/recur.hpp>

namespace {
long news = 0;
bool counting = false;
int passed = 0, failed = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (counting) ++news;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

/// Runs `steps` streaming steps of cell + Dense head with allocations forbidden; `Cell` is a
/// cell or a StreamingCell.
template <class Cell>
void check(const char* name, const Cell& cell, recur::Index hidden) {
  using namespace recur;
  const Dense<float> head(hidden, 1);
  auto state = cell.zero_stream_state();  // allocations allowed while setting up
  Matrix<float, 1, 1> x(0.1f), y;
  bool ok = true;
  std::string why;
  news = 0;
  counting = true;
  Eigen::internal::set_is_malloc_allowed(false);
  try {
    for (int t = 0; t < 1000; ++t) {
      const auto& h = cell.step(x, state);
      head.step(h, y);
      x(0) = 0.5f * y(0) + 0.1f;
    }
  } catch (const std::exception& e) {
    ok = false;
    why = e.what();
  }
  Eigen::internal::set_is_malloc_allowed(true);
  counting = false;
  if (news != 0) {
    ok = false;
    why += " operator new called " + std::to_string(news) + " times";
  }
  std::printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", name, ok ? "" : ": ", why.c_str());
  (ok ? passed : failed)++;
}

/// The harness itself must notice allocations, or the checks above prove nothing.
void check_harness() {
  bool eigen_caught = false;
  Eigen::internal::set_is_malloc_allowed(false);
  try {
    Eigen::MatrixXf m(8, 8);
    m.setZero();
  } catch (const std::runtime_error&) {
    eigen_caught = true;
  }
  Eigen::internal::set_is_malloc_allowed(true);
  news = 0;
  counting = true;
  int* volatile p = new int(1);
  delete p;
  counting = false;
  const bool ok = eigen_caught && news == 1;
  std::printf("%s the harness catches Eigen heap allocations and operator new\n", ok ? "ok  " : "FAIL");
  (ok ? passed : failed)++;
}

int main() {
  using namespace recur;
  check_harness();
  check("LSTM<float, 1, 16>::step", LSTM<float, 1, 16>(), 16);
  check("GRU<float, 1, 16>::step", GRU<float, 1, 16>(), 16);
  check("Elman<float, 1, 16>::step", Elman<float, 1, 16>(), 16);
  check("LSTM<float, 1, 128>::step", LSTM<float, 1, 128>(), 128);
  check("LSTM<float>::step (run-time sizes)", LSTM<float>(1, 64), 64);
  check("GRU<float>::step (run-time sizes)", GRU<float>(1, 64), 64);
  check("Elman<float, Dynamic, Dynamic, ReLU>::step", Elman<float, Dynamic, Dynamic, ReLU>(1, 64), 64);
  check("LSTM<float, Dynamic, Dynamic, HardSigmoid>::step", LSTM<float, Dynamic, Dynamic, HardSigmoid>(1, 32), 32);
  check("StreamingCell<LSTM<float, 1, 128>>::step", StreamingCell<LSTM<float, 1, 128>>(LSTM<float, 1, 128>()), 128);
  check("StreamingCell<GRU<float, 1, 16>>::step", StreamingCell<GRU<float, 1, 16>>(GRU<float, 1, 16>()), 16);
  check("StreamingCell<LSTM<float>>::step (run-time sizes)", StreamingCell<LSTM<float>>(LSTM<float>(1, 64)), 64);
  check("StreamingCell<Elman<float>>::step (run-time sizes)", StreamingCell<Elman<float>>(Elman<float>(1, 100)), 100);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
