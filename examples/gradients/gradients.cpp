// recur-gradients: the vanishing-gradient study. A net reads a sequence whose first value is a
// bit (+1 or -1, flagged by a marker input) and whose other values are noise, and must output
// the bit at the end: the
// answer depends on the first input only, so the training signal must travel back through every
// step (a sequence of 100 steps is a 100-layer net). For each cell the program measures the
// norm of dLoss/dx(t) against the distance from the end, before training and after a fixed
// budget of updates, and the accuracy reached at each length. It writes the numbers as CSV and
// an SVG plot (log-scale gradient norm against distance, one line per cell).
#include <recur/recur.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/cli.hpp"
#include "../common/svg_plot.hpp"

using namespace recur;

namespace {

using S = double;  // double: the plain net's gradients fall below float's smallest number

struct Task {
  MatX<S> x;  // [2 x T*B]: the bit at step 0, noise after it; a marker that is 1 at step 0
  MatX<S> y;  // [1 x B]: the bit
};

Task make_batch(Index T, Index B, double noise, Rng& rng) {
  Task d{MatX<S>::Zero(2, T * B), MatX<S>(1, B)};
  for (Index b = 0; b < B; ++b) {
    const S bit = rng.uniform() < 0.5 ? -1 : 1;
    d.y(0, b) = bit;
    d.x(0, b) = bit;
    d.x(1, b) = 1;
    for (Index t = 1; t < T; ++t) d.x(0, t * B + b) = static_cast<S>(rng.uniform(-noise, noise));
  }
  return d;
}

struct Settings {
  std::vector<Index> lengths;
  Index hidden, batch, updates, profile_batch;
  double lr, noise;
};

/// What one cell did at one length.
struct Outcome {
  std::vector<double> before, after;  ///< RMS of dLoss/dx(t) over the batch, by distance from the end
  double accuracy = 0;                ///< sign of the output against the bit, on 1,000 fresh sequences
};

struct Variant {
  std::string name, color;
  std::function<Outcome(Index T, const Settings&, std::uint64_t seed)> run;
};

/// The gradient of the loss w.r.t. every input step, by distance from the end.
template <class Model>
std::vector<double> gradient_profile(Model& model, const Task& d, Index T, Index B) {
  typename Model::Trace trace;
  const auto& out = model.forward(d.x, B, trace);
  const auto loss = mse(out, d.y);
  const MatX<S> dx = model.backward(trace, loss.grad);  // [2 x T*B]
  zero_grad(model);
  std::vector<double> by_distance(static_cast<std::size_t>(T));
  for (Index t = 0; t < T; ++t)
    by_distance[static_cast<std::size_t>(T - 1 - t)] = std::sqrt(dx.middleCols(t * B, B).squaredNorm() / double(B));
  return by_distance;
}

/// Trains a cell (after `configure` adjusts it) on sequences of length T and measures it.
template <class Cell>
Outcome study(Index T, const Settings& s, std::uint64_t seed, double clip,
              const std::function<void(Cell&, Index, Rng&)>& configure) {
  Rng rng(seed);
  Sequential<Recurrent<Cell>, LastStep<S>, Dense<S, Tanh>> model(Recurrent<Cell>(2, s.hidden, rng), LastStep<S>(),
                                                                 Dense<S, Tanh>(s.hidden, 1, rng));
  configure(model.template get<0>().cell(), T, rng);
  Rng data(seed + 1000);
  const Task probe = make_batch(T, s.profile_batch, s.noise, data);
  Outcome o;
  o.before = gradient_profile(model, probe, T, s.profile_batch);
  Adam<S> opt(static_cast<S>(s.lr));
  typename decltype(model)::Trace trace;
  for (Index u = 0; u < s.updates; ++u) {
    const Task d = make_batch(T, s.batch, s.noise, data);
    const auto loss = mse(model.forward(d.x, s.batch, trace), d.y);
    model.backward(trace, loss.grad);
    if (clip > 0) clip_global_norm(model, clip);
    opt.step(model);
  }
  o.after = gradient_profile(model, probe, T, s.profile_batch);
  const Task test = make_batch(T, 1000, s.noise, data);
  const MatX<S> out = model.predict(test.x, 1000);
  long right = 0;
  for (Index b = 0; b < 1000; ++b) right += (out(0, b) > 0) == (test.y(0, b) > 0);
  o.accuracy = static_cast<double>(right) / 1000.0;
  return o;
}

/// Tallec & Ollivier's chrono initialisation (ICLR 2018): forget-gate biases log(u) with u
/// uniform in [1, T - 1], so units remember over time scales up to the sequence length, and
/// input-gate biases -log(u), so they start mostly closed.
void chrono_init(LSTM<S>& c, Index T, Rng& rng) {
  const Index h = c.hidden_size();
  c.set_forget_bias(0);
  for (Index k = 0; k < h; ++k) {
    const S b = static_cast<S>(std::log(rng.uniform(1.0, std::max<double>(2.0, static_cast<double>(T - 1)))));
    c.bias_ih(h + k) = b;  // forget gate (PyTorch's gate order: i, f, g, o)
    c.bias_ih(k) = -b;     // input gate
    c.bias_hh(k) = 0;
  }
}

std::vector<Variant> variants() {
  using SteepLSTM = LSTM<S, Dynamic, Dynamic, SteepSigmoid>;
  return {
      {"Elman (tanh)", "#d62728",
       [](Index T, const Settings& s, std::uint64_t seed) {
         return study<Elman<S>>(T, s, seed, 0, [](auto&, Index, Rng&) {});
       }},
      {"Elman + clipping", "#ff7f0e",
       [](Index T, const Settings& s, std::uint64_t seed) {
         return study<Elman<S>>(T, s, seed, 1.0, [](auto&, Index, Rng&) {});
       }},
      {"LSTM", "#1f77b4",
       [](Index T, const Settings& s, std::uint64_t seed) {
         return study<LSTM<S>>(T, s, seed, 0, [](auto&, Index, Rng&) {});
       }},
      {"LSTM, forget bias 1", "#17becf",
       [](Index T, const Settings& s, std::uint64_t seed) {
         return study<LSTM<S>>(T, s, seed, 0, [](LSTM<S>& c, Index, Rng&) { c.set_forget_bias(1); });
       }},
      {"LSTM, chrono init", "#8c564b",
       [](Index T, const Settings& s, std::uint64_t seed) {
         return study<LSTM<S>>(T, s, seed, 0, [](LSTM<S>& c, Index length, Rng& rng) { chrono_init(c, length, rng); });
       }},
      {"LSTM, gates slope 3", "#9467bd",
       [](Index T, const Settings& s, std::uint64_t seed) {
         return study<SteepLSTM>(T, s, seed, 0, [](SteepLSTM& c, Index, Rng&) { c.gate.slope = 3; });
       }},
      {"GRU", "#2ca02c",
       [](Index T, const Settings& s, std::uint64_t seed) {
         return study<GRU<S>>(T, s, seed, 0, [](auto&, Index, Rng&) {});
       }},
  };
}

std::vector<Index> parse_lengths(const cli::Args& args) {
  std::vector<Index> out;
  std::istringstream in(args.str("lengths"));
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 2 || v > 100000)
      args.fail("--lengths needs comma-separated integers from 2 to 100000, got '" + args.str("lengths") + "'");
    out.push_back(v);
  }
  if (out.empty()) args.fail("--lengths is empty");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  cli::Args args("recur-gradients",
                 "the vanishing-gradient study: gradient norm against distance, and accuracy, per cell and length");
  args.option("lengths", "LIST", "sequence lengths", "10,25,50,100,200");
  args.option("hidden", "H", "hidden size of every cell", "16");
  args.option("updates", "N", "Adam updates per cell and length (the training budget)", "300");
  args.option("batch", "B", "sequences per update", "32");
  args.option("lr", "X", "Adam learning rate", "0.01");
  args.option("noise", "X", "the other inputs are uniform in [-X, X]", "1");
  args.option("repeats", "N", "runs per cell and length (seeds seed, seed+1000, ...; numbers are their mean)", "3");
  args.option("threads", "N", "runs in parallel (results do not depend on it)",
              std::to_string(std::min(256u, std::max(1u, std::thread::hardware_concurrency()))));
  args.option("csv", "FILE", "write every measured gradient norm and accuracy", "gradients.csv");
  args.option("svg", "FILE", "write the plot", "gradients.svg");
  args.parse(argc, argv);
  return cli::guarded("recur-gradients", [&]() -> int {
    Settings s;
    s.lengths = parse_lengths(args);
    s.hidden = args.integer("hidden", 1, 4096);
    s.updates = args.integer("updates", 0);
    s.batch = args.integer("batch", 1, 100000);
    s.profile_batch = 64;
    s.lr = args.number("lr");
    s.noise = args.number("noise");
    if (!(s.lr > 0 && std::isfinite(s.lr))) args.fail("--lr must be a positive number");
    if (!(s.noise >= 0 && s.noise <= 1e6)) args.fail("--noise must be in [0, 1e6]");
    const auto seed = static_cast<std::uint64_t>(args.integer("seed"));
    const long repeats = args.integer("repeats", 1, 1000), threads = args.integer("threads", 1, 256);
    const auto all = variants();
    const auto start = std::chrono::steady_clock::now();

    // Every (cell, length, repeat) is a job of its own, seeded by its position, so the results
    // do not depend on --threads.
    const std::size_t V = all.size(), K = s.lengths.size(), R = static_cast<std::size_t>(repeats);
    std::vector<Outcome> runs(V * K * R);
    std::atomic<std::size_t> next{0}, done{0};
    std::mutex print;
    std::exception_ptr failure;  // the first error of any thread, raised after all have joined
    auto worker = [&] {
      try {
        for (std::size_t j = next++; j < runs.size(); j = next++) {
          const std::size_t v = j / (K * R), k = j / R % K, r = j % R;
          runs[j] = all[v].run(s.lengths[k], s, seed + 1000 * r + 17 * k);
          if (!args.quiet()) {
            std::lock_guard<std::mutex> lock(print);
            std::printf("%-22s T=%-4ld run %zu: accuracy %5.1f %%  (%zu/%zu, %.0f s)\n", all[v].name.c_str(),
                        static_cast<long>(s.lengths[k]), r + 1, 100 * runs[j].accuracy, ++done, runs.size(),
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            std::fflush(stdout);
          }
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(print);
        if (!failure) failure = std::current_exception();
        next = runs.size();  // the others stop too
      }
    };
    std::vector<std::thread> pool;
    for (long t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);

    // outcomes[v][k]: variant v at length k, averaged over the repeats.
    std::vector<std::vector<Outcome>> outcomes(V, std::vector<Outcome>(K));
    std::string csv = "cell,length,phase,distance,grad_norm\n";
    std::string accuracy_csv;
    for (std::size_t v = 0; v < V; ++v)
      for (std::size_t k = 0; k < K; ++k) {
        const Index T = s.lengths[k];
        Outcome& o = outcomes[v][k];
        o.before.assign(static_cast<std::size_t>(T), 0);
        o.after.assign(static_cast<std::size_t>(T), 0);
        for (std::size_t r = 0; r < R; ++r) {
          const Outcome& one = runs[(v * K + k) * R + r];
          for (std::size_t d = 0; d < o.before.size(); ++d) {
            o.before[d] += one.before[d] / static_cast<double>(R);
            o.after[d] += one.after[d] / static_cast<double>(R);
          }
          o.accuracy += one.accuracy / static_cast<double>(R);
          char line[160];
          std::snprintf(line, sizeof line, "%s,%ld,accuracy,%zu,%.4f\n", all[v].name.c_str(), static_cast<long>(T),
                        r + 1, one.accuracy);
          accuracy_csv += line;
        }
        for (const auto* phase : {"before", "after"}) {
          const auto& p = std::string(phase) == "before" ? o.before : o.after;
          for (std::size_t d = 0; d < p.size(); ++d) {
            char line[160];
            std::snprintf(line, sizeof line, "%s,%ld,%s,%zu,%.6e\n", all[v].name.c_str(), static_cast<long>(T), phase,
                          d, p[d]);
            csv += line;
          }
        }
      }

    // The table: how much gradient reaches back (before training, longest length), and the
    // accuracy after the budget at every length.
    const auto longest =
        static_cast<std::size_t>(std::max_element(s.lengths.begin(), s.lengths.end()) - s.lengths.begin());
    std::printf(
        "\ngradient norm at distance d relative to d = 0, before training (T=%ld), and accuracy after %ld "
        "updates (chance: 50 %%); means of %ld runs\n",
        static_cast<long>(s.lengths[longest]), static_cast<long>(s.updates), repeats);
    std::printf("%-22s %9s %9s %9s |", "cell", "d=10", "d=50", "d=100");
    for (Index T : s.lengths) std::printf(" T=%-5ld", static_cast<long>(T));
    std::printf("\n");
    for (std::size_t v = 0; v < all.size(); ++v) {
      const auto& p = outcomes[v][longest].before;
      std::printf("%-22s", all[v].name.c_str());
      for (std::size_t d : {std::size_t{10}, std::size_t{50}, std::size_t{100}})
        if (d < p.size())
          std::printf(" %9.1e", p[d] / p[0]);
        else
          std::printf(" %9s", "-");
      std::printf(" |");
      for (const auto& o : outcomes[v]) std::printf(" %6.1f%%", 100 * o.accuracy);
      std::printf("\n");
    }

    // The plot: before training at the longest length (solid), after training (dashed).
    svg::LinePlot plot("Gradient of the loss w.r.t. the input at distance d from the end (T = " +
                           std::to_string(s.lengths[longest]) + "; dashed: after training)",
                       "distance from the end (steps)", "RMS of dLoss/dx(t)");
    plot.log_y();
    for (std::size_t v = 0; v < all.size(); ++v) {
      for (bool after : {false, true}) {
        const auto& p = after ? outcomes[v][longest].after : outcomes[v][longest].before;
        std::vector<double> xs, ys;
        for (std::size_t d = 0; d < p.size(); ++d) {
          xs.push_back(static_cast<double>(d));
          ys.push_back(p[d]);
        }
        plot.line(after ? "" : all[v].name, xs, ys, all[v].color, after);
      }
    }
    if (!args.str("csv").empty()) {
      write_file_atomically(args.str("csv"), csv + accuracy_csv);
      std::printf("wrote %s\n", args.str("csv").c_str());
    }
    if (!args.str("svg").empty()) {
      write_file_atomically(args.str("svg"), plot.str());
      std::printf("wrote %s\n", args.str("svg").c_str());
    }
    std::printf("%.0f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return 0;
  });
}
