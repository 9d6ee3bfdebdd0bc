// Inference under load: threads share one const model (cell + Dense head) and stream through
// it, each with its own state, for `steps` steps. Every thread's outputs must equal the same
// stream run alone, bit for bit: the model is read-only during inference and holds no hidden
// scratch space. scripts/tsan.sh runs this under ThreadSanitizer to prove there is no race.
// Usage: recur_load_test [steps per thread, default 1000000] [threads, default 2]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "recur/recur.hpp"

namespace {

/// A model shared by every thread: never written after construction. Streams step through the
/// cell itself or through its StreamingCell copy.
template <class Cell>
struct Model {
  Cell cell;
  recur::StreamingCell<Cell> streaming;
  recur::Dense<float> head;
  Model(recur::Index hidden, recur::Rng& rng) : cell(1, hidden, rng), streaming(cell), head(hidden, 1, rng) {}
};

/// One stream: the input is a sine wave that differs per stream, mixed with the model's own
/// output (so a wrong step changes every later one). Returns a checksum of all outputs and
/// the last output; both must match across runs exactly.
struct Result {
  double checksum = 0;
  float last = 0;
  bool finite = true;
};

template <class Cell>
Result run_stream(const Model<Cell>& model, int stream, long steps, bool packed) {
  auto state = model.cell.zero_stream_state();
  Eigen::Matrix<float, 1, 1> x, y;
  y(0) = 0;
  Result r;
  for (long t = 0; t < steps; ++t) {
    x(0) = std::sin(0.01f * static_cast<float>(t % 628) + static_cast<float>(stream)) + 0.5f * y(0);
    model.head.step(packed ? model.streaming.step(x, state) : model.cell.step(x, state), y);
    r.checksum += static_cast<double>(y(0));
    if (!std::isfinite(y(0))) r.finite = false;
  }
  r.last = y(0);
  return r;
}

template <class Cell>
bool check(const char* name, long steps, int threads, bool packed = false) {
  recur::Rng rng(7);
  const Model<Cell> model(packed ? 48 : 32, rng);  // 48: W_hh above the size StreamingCell packs
  if (model.streaming.packed() != packed) {
    std::printf("%s: StreamingCell packed W_hh: %d, expected %d\n", name, model.streaming.packed(), packed);
    return false;
  }
  std::vector<Result> alone(static_cast<std::size_t>(threads)), shared(static_cast<std::size_t>(threads));
  for (int k = 0; k < threads; ++k) alone[static_cast<std::size_t>(k)] = run_stream(model, k, steps, packed);
  std::vector<std::thread> pool;
  for (int k = 0; k < threads; ++k)
    pool.emplace_back([&, k] { shared[static_cast<std::size_t>(k)] = run_stream(model, k, steps, packed); });
  for (auto& t : pool) t.join();
  bool ok = true;
  for (std::size_t k = 0; k < alone.size(); ++k) {
    const bool same = alone[k].checksum == shared[k].checksum && alone[k].last == shared[k].last;
    ok = ok && same && alone[k].finite;
    std::printf("%s stream %zu: %ld steps, checksum %.9g alone, %.9g shared: %s\n", name, k, steps, alone[k].checksum,
                shared[k].checksum, same && alone[k].finite ? "equal" : "DIFFERENT");
  }
  if (threads > 1 && alone[0].checksum == alone[1].checksum) {  // the streams must really differ
    std::printf("%s: streams 0 and 1 gave the same outputs; the test is not testing anything\n", name);
    ok = false;
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const long steps = argc > 1 ? std::atol(argv[1]) : 1000000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  if (steps <= 0 || threads <= 0) {
    std::fprintf(stderr, "usage: recur_load_test [steps > 0] [threads > 0]\n");
    return 2;
  }
  bool ok = check<recur::LSTM<float>>("lstm", steps, threads);
  ok = check<recur::GRU<float>>("gru", steps / 4, threads) && ok;
  ok = check<recur::Elman<float>>("elman", steps / 4, threads) && ok;
  ok = check<recur::LSTM<float>>("lstm through a StreamingCell", steps / 4, threads, true) && ok;
  ok = check<recur::GRU<float>>("gru through a StreamingCell", steps / 4, threads, true) && ok;
  return ok ? 0 : 1;
}
