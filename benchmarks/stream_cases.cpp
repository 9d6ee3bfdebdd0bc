// The streaming cases of recur_bench (see recur_bench.cpp for their names). A translation unit
// of their own: in one unit with the sequence cases, GCC's inlining budget for the unit ran out
// and it stopped inlining the gate maths into small steps (GRU at H = 16: 98 instead of 53 ns).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <utility>

#include <recur/recur.hpp>

#include "rtneural_style.hpp"
#include "stream_cases.hpp"

using namespace recur;

namespace {

/// One streaming step of cell + Dense(H -> 1) head; the head's output is fed back as the next
/// input so that nothing can be hoisted out of the loop. Steps through a StreamingCell (the
/// streaming path the README recommends) or, with Plain, through the cell's own step(); one
/// path per instantiation, so that each is compiled as a user's loop would be.
template <class Cell, bool Plain = false>
void stream(benchmark::State& st, Index H) {
  Rng rng(1);
  const Cell cell(1, H, rng);
  const auto streaming = std::make_unique<const StreamingCell<Cell>>(cell);  // a copy: off the stack
  const Dense<float> head(H, 1, rng);
  auto state = cell.zero_stream_state();
  Matrix<float, 1, 1> x(0.1f), y;
  for (auto _ : st) {
    const auto& h = [&]() -> const auto& {
      if constexpr (Plain)
        return cell.step(x, state);
      else
        return streaming->step(x, state);
    }
    ();
    head.step(h, y);
    x(0) = 0.5f * y(0) + 0.1f;
    benchmark::DoNotOptimize(x.data());
  }
}

/// The same loop through a reference step built as RTNeural builds its layers (rtneural_style.hpp).
template <class Step, int H>
void stream_reference(benchmark::State& st, Index hidden) {
  Rng rng(1);
  auto step = std::make_unique<Step>(1, hidden, rng);  // fixed-size weights: too large for the stack
  rtneural_style::Head<H> head(hidden, rng);
  Eigen::Matrix<float, 1, 1> x(0.1f);
  for (auto _ : st) {
    x(0) = 0.5f * head.step(step->step(x)) + 0.1f;
    benchmark::DoNotOptimize(x.data());
  }
}

/// Streaming under load: every benchmark thread steps its own state through one shared const
/// LSTM(1 -> 32) + Dense(32 -> 1) model; counter steps_per_s sums over threads.
void stream_shared(benchmark::State& st) {
  static const auto model = [] {
    Rng rng(1);
    return std::make_pair(LSTM<float>(1, 32, rng), Dense<float>(32, 1, rng));
  }();
  auto state = model.first.zero_stream_state();
  Matrix<float, 1, 1> x(0.1f + 0.01f * float(st.thread_index())), y;
  for (auto _ : st) {
    model.second.step(model.first.step(x, state), y);
    x(0) = 0.5f * y(0) + 0.1f;
    benchmark::DoNotOptimize(x.data());
  }
  st.counters["steps_per_s"] = benchmark::Counter(double(st.iterations()), benchmark::Counter::kIsRate);
}

template <template <class, int, int> class Fixed, int H>
void register_fixed_stream(const char* name) {
  benchmark::RegisterBenchmark((std::string(name) + "_fixed/stream/I:1/H:" + std::to_string(H)).c_str(),
                               [](benchmark::State& st) { stream<Fixed<float, 1, H>>(st, H); });
  benchmark::RegisterBenchmark((std::string(name) + "_fixed/stream_plain/I:1/H:" + std::to_string(H)).c_str(),
                               [](benchmark::State& st) { stream<Fixed<float, 1, H>, true>(st, H); });
}

template <class S, int I, int H>
using ElmanT = Elman<S, I, H>;
template <class S, int I, int H>
using LSTMT = LSTM<S, I, H>;
template <class S, int I, int H>
using GRUT = GRU<S, I, H>;

template <template <class, int, int> class Fixed>
void register_stream(const char* name) {
  for (Index h : {8, 16, 32, 64, 128})
    benchmark::RegisterBenchmark((std::string(name) + "/stream/I:1/H:" + std::to_string(h)).c_str(),
                                 [h](benchmark::State& st) { stream<Fixed<float, Dynamic, Dynamic>>(st, h); });
  register_fixed_stream<Fixed, 8>(name);
  register_fixed_stream<Fixed, 16>(name);
  register_fixed_stream<Fixed, 32>(name);
  register_fixed_stream<Fixed, 64>(name);
  register_fixed_stream<Fixed, 128>(name);
}

template <int H>
void register_reference_stream() {
  const std::string suffix = "/stream/I:1/H:" + std::to_string(H);
  benchmark::RegisterBenchmark(("rtneural_style_lstm_fixed" + suffix).c_str(), [](benchmark::State& st) {
    stream_reference<rtneural_style::LstmStep<1, H>, H>(st, H);
  });
  benchmark::RegisterBenchmark(("rtneural_style_lstm" + suffix).c_str(), [](benchmark::State& st) {
    stream_reference<rtneural_style::LstmStep<Dynamic, Dynamic>, Dynamic>(st, H);
  });
  benchmark::RegisterBenchmark(("rtneural_style_gru_fixed" + suffix).c_str(),
                               [](benchmark::State& st) { stream_reference<rtneural_style::GruStep<1, H>, H>(st, H); });
}

}  // namespace

void register_stream_cases() {
  register_stream<ElmanT>("elman");
  register_stream<LSTMT>("lstm");
  register_stream<GRUT>("gru");
  register_reference_stream<8>();
  register_reference_stream<16>();
  register_reference_stream<32>();
  register_reference_stream<64>();
  register_reference_stream<128>();
  benchmark::RegisterBenchmark("lstm/stream_shared/I:1/H:32", stream_shared)->Threads(1)->Threads(2)->UseRealTime();
}
