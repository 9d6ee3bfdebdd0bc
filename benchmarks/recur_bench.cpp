// recur_bench: throughput of the cells unrolled over time, and latency of streaming steps.
//
// Sequence cases: {cell}/{mode}/T:{T}/B:{B}/I:{I}/H:{H}, mode fwd (inference, no trace) or
// train (forward with trace + full BPTT with parameter and input gradients, no optimizer step).
// Counter GFLOPS counts the matrix products only, as ../shared/peers/torch_rnn_bench.py does:
// forward 2*G*H*(I+H)*B*T, train three times that.
// Stream cases: {cell}[_fixed]/stream/I:1/H:{H}: one step at B = 1 with a Dense(H -> 1) head,
// the state carried from step to step; the time per iteration is the time per step. The steps
// go through a StreamingCell (W_hh packed); {cell}_fixed/stream_plain/I:1/H:{H} goes through the
// cell's own step() (W_hh as stored).
// RNTN cases: rntn/{train|infer}/d:25 over generated trees with the Sentiment Treebank's
// length distribution (random bracketings, a 16,000-word vocabulary): counter trees_per_s;
// train is forward, backpropagation through structure, L2 and an AdaGrad step per minibatch of 27
// (every word vector updated, as recur-sentiment by default); train_sparse_words updates only the
// minibatch's word vectors (Embedding::sparse_gradient, recur-sentiment --sparse-words);
// train_sharded is recur-sentiment's trainer (two shards on --threads threads, dropout 0.2).
// Parser cases: parser/cky[_beam8]/len:25/d:25: CKY decoding of a 25-word sentence (beam 2, 8).
// Reference stream cases: rtneural_style_{lstm_fixed|lstm|gru_fixed}/stream/I:1/H:{H}: the same
// loop through steps built the way RTNeural's Eigen backend builds them (rtneural_style.hpp).
// Shared-model case: lstm/stream_shared/I:1/H:32/threads:{1,2}: each thread streams its own
// state through one const model (inference under load); steps_per_s is the total.
// Threads: --threads N (or RECUR_THREADS=N) lets Eigen run its products on N threads.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <recur/recur.hpp>
#include <recur/train/regularization.hpp>
#include <recur/tree/chart_parser.hpp>
#include <recur/tree/recursive_net.hpp>
#include <recur/tree/sharded_training.hpp>

#include "stream_cases.hpp"

using namespace recur;

namespace {

MatX<float> random_matrix(Index rows, Index cols, Rng& rng) {
  MatX<float> m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = static_cast<float>(rng.uniform(-1, 1));
  return m;
}

double forward_flops(int gates, Index T, Index B, Index I, Index H) {
  return 2.0 * gates * double(H) * double(I + H) * double(B) * double(T);
}

/// Minor page faults of the process so far: fresh pages the kernel had to map (and zero).
long minor_page_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

/// Inference over the whole sequence. With `keep_workspace`, into a trace kept across calls
/// (Recurrent::predict(x, B, workspace)): its buffers are reused instead of fresh pages.
template <class Cell>
void sequence_fwd(benchmark::State& st, Index T, Index B, Index I, Index H, bool keep_workspace) {
  Rng rng(1);
  const Recurrent<Cell> layer(I, H, rng);
  const MatX<float> x = random_matrix(I, T * B, rng);
  typename Recurrent<Cell>::Trace workspace;
  const long faults = minor_page_faults();
  for (auto _ : st) {
    if (keep_workspace) {
      const auto& y = layer.predict(x, B, workspace);
      benchmark::DoNotOptimize(y.data());
    } else {
      auto y = layer.predict(x, B);
      benchmark::DoNotOptimize(y.data());
    }
  }
  st.counters["page_faults"] =
      benchmark::Counter(double(minor_page_faults() - faults), benchmark::Counter::kAvgIterations);
  st.counters["GFLOPS"] =
      benchmark::Counter(forward_flops(Cell::gates, T, B, I, H) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

template <class Cell>
void sequence_train(benchmark::State& st, Index T, Index B, Index I, Index H) {
  Rng rng(1);
  Recurrent<Cell> layer(I, H, rng);
  const MatX<float> x = random_matrix(I, T * B, rng);
  const MatX<float> dy = random_matrix(H, T * B, rng);
  typename Recurrent<Cell>::Trace tr;
  for (auto _ : st) {
    layer.forward(x, B, tr);
    auto dx = layer.backward(tr, dy);
    benchmark::DoNotOptimize(dx.data());
  }
  st.counters["GFLOPS"] = benchmark::Counter(3 * forward_flops(Cell::gates, T, B, I, H) / 1e9,
                                             benchmark::Counter::kIsIterationInvariantRate);
  st.counters["trace_bytes_per_step"] = double(tr.bytes()) / double(T);
}

/// CKY decoding of one 25-word sentence with the plain recursive-net parser at d = 25 (beam
/// `beam` subtrees per span; 45 phrase labels, 45 tags, a 10,000-word vocabulary).
void parser_cky(benchmark::State& st, Index beam) {
  using Parser = tree::ChartParser<float, tree::PlainComposition>;
  Rng rng(1);
  std::vector<std::string> labels;
  for (int k = 0; k < 45; ++k) labels.push_back("L" + std::to_string(k));
  const Parser parser(10000, 45, 25, labels, rng);
  Parser::Sentence s;
  for (Index i = 0; i < 25; ++i) {
    s.words.push_back("w");
    s.tags.push_back("T");
    s.ids.push_back(static_cast<Index>(rng.below(10000)));
    s.tag_ids.push_back(static_cast<Index>(rng.below(45)));
  }
  Parser::DecodeOptions o;
  o.beam = beam;
  for (auto _ : st) benchmark::DoNotOptimize(parser.decode(s, o).score);
  st.counters["sentences_per_s"] = benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
}

void eigen_sgemm(benchmark::State& st, Index n) {
  Rng rng(1);
  const MatX<float> a = random_matrix(n, n, rng), b = random_matrix(n, n, rng);
  MatX<float> c(n, n);
  for (auto _ : st) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["GFLOPS"] =
      benchmark::Counter(2.0 * double(n) * double(n) * double(n) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

struct Shape {
  Index T, B, I, H;
};

std::string shape_name(const char* cell, const char* mode, const Shape& s) {
  return std::string(cell) + "/" + mode + "/T:" + std::to_string(s.T) + "/B:" + std::to_string(s.B) +
         "/I:" + std::to_string(s.I) + "/H:" + std::to_string(s.H);
}

template <class Cell>
void register_sequence(const char* name, const std::vector<Shape>& shapes) {
  for (const Shape& s : shapes) {
    benchmark::RegisterBenchmark(shape_name(name, "fwd", s).c_str(),
                                 [s](benchmark::State& st) { sequence_fwd<Cell>(st, s.T, s.B, s.I, s.H, false); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(shape_name(name, "fwd_workspace", s).c_str(),
                                 [s](benchmark::State& st) { sequence_fwd<Cell>(st, s.T, s.B, s.I, s.H, true); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(shape_name(name, "train", s).c_str(),
                                 [s](benchmark::State& st) { sequence_train<Cell>(st, s.T, s.B, s.I, s.H); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
}

/// Removes --threads N from argv (Google Benchmark rejects unknown flags); returns N.
int take_threads(int& argc, char** argv) {
  int threads = 1;
  if (const char* env = std::getenv("RECUR_THREADS")) threads = std::atoi(env);
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      threads = std::atoi(argv[i] + 10);
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  return threads < 1 ? 1 : threads;
}

/// A random binary bracketing of n words with random labels, as bracket text.
std::string random_tree(Index n, Index& next_word, Rng& rng) {
  const std::string label = std::to_string(rng.below(5));
  if (n == 1) return "(" + label + " w" + std::to_string(next_word++) + ")";
  const Index left = 1 + static_cast<Index>(rng.below(static_cast<std::uint64_t>(n - 1)));
  const std::string a = random_tree(left, next_word, rng);
  return "(" + label + " " + a + " " + random_tree(n - left, next_word, rng) + ")";
}

struct Treebank {
  std::vector<tree::Tree> trees;
  std::vector<std::vector<Index>> ids;
};

/// Trees with the SST's sentence lengths (mean about 19 words, 2..56), ids from 16,000 words.
const Treebank& generated_treebank() {
  static const Treebank bank = [] {
    Treebank b;
    Rng rng(7);
    for (int k = 0; k < 2700; ++k) {
      const Index n = std::clamp<Index>(static_cast<Index>(std::lround(19 + 9 * rng.normal())), 2, 56);
      Index next = 0;
      b.trees.push_back(tree::parse(random_tree(n, next, rng)));
      std::vector<Index> ids;
      for (Index w = 0; w < n; ++w) ids.push_back(static_cast<Index>(rng.below(16000)));
      b.ids.push_back(std::move(ids));
    }
    return b;
  }();
  return bank;
}

/// `sharded`: recur-sentiment's trainer, each minibatch cut into two shards run on up to
/// --threads threads (the same results for any thread count), with its dropout 0.2.
void rntn(benchmark::State& st, bool train, bool sparse_words = false, bool sharded = false) {
  const FlushDenormals flush;  // as recur-sentiment: L2 drives rare words' vectors into denormals
  using Net = tree::RecursiveNet<float>;
  const Treebank& bank = generated_treebank();
  Rng rng(1);
  Net net(16000, 25, 5, rng);
  net.embedding.sparse_gradient = sparse_words;
  if (sharded) net.dropout = Dropout<float>(0.2);
  std::optional<tree::ShardedTrainer<Net>> shards;
  if (sharded) shards.emplace(net, Eigen::nbThreads(), 2);
  AdaGrad<float> opt(0.01f);
  Net::Trace tr;
  const std::size_t batch = train ? 27 : 256;
  for (auto _ : st) {
    for (std::size_t b = 0; b < bank.trees.size(); b += batch) {
      std::vector<const tree::Tree*> part;
      std::vector<std::vector<Index>> ids;
      for (std::size_t k = b; k < std::min(bank.trees.size(), b + batch); ++k) {
        part.push_back(&bank.trees[k]);
        ids.push_back(bank.ids[k]);
      }
      if (train) {
        if (shards) {
          Rng masks(static_cast<std::uint64_t>(opt.steps()));
          shards->step(net, part, ids, &masks);
        } else {
          net.train_step(Net::flatten(part, ids), tr);
        }
        add_l2(net, 1e-4, "compose.");
        add_l2(net, 1e-5, "embedding.");
        opt.step(net);
      } else {
        benchmark::DoNotOptimize(net.forward(Net::flatten(part, ids), tr).data());
      }
    }
  }
  st.counters["trees_per_s"] =
      benchmark::Counter(static_cast<double>(bank.trees.size()), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = take_threads(argc, argv);
  Eigen::setNbThreads(threads);
  benchmark::AddCustomContext("recur_threads", std::to_string(threads));
  benchmark::AddCustomContext("eigen_threads", std::to_string(Eigen::nbThreads()));

  const std::vector<Shape> shapes = {{100, 1, 64, 128}, {100, 32, 128, 256}, {50, 64, 256, 512}};
  register_sequence<Elman<float>>("elman", shapes);
  register_sequence<LSTM<float>>("lstm", shapes);
  register_sequence<GRU<float>>("gru", shapes);
  register_stream_cases();
  benchmark::RegisterBenchmark("rntn/train/d:25", [](benchmark::State& st) { rntn(st, true); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("rntn/train_sparse_words/d:25", [](benchmark::State& st) { rntn(st, true, true); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("rntn/train_sharded/d:25", [](benchmark::State& st) { rntn(st, true, false, true); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("rntn/infer/d:25", [](benchmark::State& st) { rntn(st, false); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("parser/cky/len:25/d:25", [](benchmark::State& st) {
    parser_cky(st, 2);
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("parser/cky_beam8/len:25/d:25", [](benchmark::State& st) {
    parser_cky(st, 8);
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("eigen_sgemm/N:1024", [](benchmark::State& st) { eigen_sgemm(st, 1024); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
