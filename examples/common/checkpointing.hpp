// The examples' checkpoint options: --checkpoint FILE (written every --checkpoint-every N
// units of work, or every --checkpoint-minutes M, whichever comes first; the previous one is
// kept as FILE.prev) and --resume FILE (continue a run exactly: same seed and options give
// the same final model as a run that was never interrupted).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "recur/train/checkpoint.hpp"

namespace recur::cli {

/// Where an epoch-and-minibatch training loop stands, as its checkpoints record it besides the
/// parameters. The example order and the generator are kept as they were before the epoch's
/// shuffle (each epoch shuffles the previous epoch's order), so a resumed run draws the same
/// order again and continues at example `next`.
struct EpochPosition {
  long epoch = 1;        ///< the epoch to run or continue
  std::size_t next = 0;  ///< its first example not yet trained on (0: the epoch starts afresh)
  std::string rng;       ///< Rng::state() before the epoch's shuffle
  double loss = 0;       ///< the epoch's summed loss so far
  long batches = 0;      ///< and its minibatches
  double best = -1;      ///< the best validation score so far
  long best_epoch = 0;
  std::vector<std::size_t> order;  ///< the examples' order before the epoch's shuffle
  double average = 0;              ///< the weights' averaging decay (--average; 0: none)

  bool continues(long e) const { return e == epoch && next > 0; }

  TrainingState state() const {
    TrainingState s;
    s.set("epoch", epoch);
    s.set("next", static_cast<long>(next));
    s.set("rng_at_epoch_start", rng);
    s.set("loss", loss);
    s.set("batches", batches);
    s.set("best", best);
    s.set("best_epoch", best_epoch);
    std::string text;
    for (std::size_t i = 0; i < order.size(); ++i) text += (i ? "," : "") + std::to_string(order[i]);
    s.set("order", text);
    s.set("average", average);
    return s;
  }
  static EpochPosition of(const TrainingState& s) {
    const long next = s.integer("next");
    if (next < 0) throw io_error("checkpoint: a negative position");
    EpochPosition p{s.integer("epoch"),           static_cast<std::size_t>(next),
                    s.text("rng_at_epoch_start"), s.real("loss"),
                    s.integer("batches"),         s.real("best"),
                    s.integer("best_epoch"),      {}};
    if (s.values.count("average")) p.average = s.real("average");  // older checkpoints: none
    std::istringstream in(s.text("order"));
    std::string item;
    while (std::getline(in, item, ',')) {
      char* end = nullptr;
      const unsigned long k = std::strtoul(item.c_str(), &end, 10);
      if (item.empty() || *end != '\0') throw io_error("checkpoint: the example order is malformed");
      p.order.push_back(static_cast<std::size_t>(k));
    }
    return p;
  }

  /// The saved order, checked to be a permutation of the loop's `n` examples.
  std::vector<std::size_t> order_of(std::size_t n) const {
    std::vector<bool> seen(n, false);
    bool ok = order.size() == n;
    for (std::size_t k : order) {
      ok = ok && k < n && !seen[k];
      if (ok) seen[k] = true;
    }
    if (!ok)
      throw io_error("checkpoint: the example order is not a permutation of the " + std::to_string(n) + " examples");
    return order;
  }
};

class Checkpointing {
 public:
  /// Declares the options; `unit` names what --checkpoint-every counts ("iterations", "minibatches").
  static void declare(Args& args, const std::string& unit, const std::string& every) {
    args.option("checkpoint", "FILE", "write a checkpoint to FILE (the previous one kept as FILE.prev)", "");
    args.option("checkpoint-every", "N", "checkpoint every N " + unit, every);
    args.option("checkpoint-minutes", "M", "also checkpoint every M minutes (0: off)", "10");
    args.option("resume", "FILE", "continue the run saved in checkpoint FILE (same options and seed)", "");
  }

  explicit Checkpointing(const Args& args)
      : path_(args.str("checkpoint")),
        resume_(args.str("resume")),
        every_(args.integer("checkpoint-every", 1)),
        minutes_(args.number("checkpoint-minutes")),
        quiet_(args.quiet()),
        last_(std::chrono::steady_clock::now()) {
    if (!(minutes_ >= 0)) args.fail("--checkpoint-minutes must be >= 0");
  }

  bool resuming() const { return !resume_.empty(); }

  /// The loop's values in the --resume checkpoint, before the models are built.
  TrainingState peek() const { return peek_checkpoint(resume_); }

  /// Throws when the --resume checkpoint was written with another --average decay: its extra
  /// parameters hold an average, or none, that this run would not.
  void check_average(double decay) const {
    const double saved = EpochPosition::of(peek()).average;
    if (saved == decay) return;
    char text[96];
    std::snprintf(text, sizeof text, " was written with --average %g, not %g", saved, decay);
    throw value_error(resume_ + text);
  }

  /// Restores model, optimizer, state (and the extra parameters) from --resume; prints where
  /// from, and the warning when the newest checkpoint was damaged.
  template <class Model, class Optimizer, class Extra = NoParams<typename Model::Scalar>>
  void resume(Model& model, Optimizer& optimizer, TrainingState& state, Extra&& extra = Extra()) const {
    const CheckpointLoad from = load_checkpoint(resume_, model, optimizer, state, extra);
    if (!from.warning.empty()) std::fprintf(stderr, "warning: %s\n", from.warning.c_str());
    if (!quiet_) std::printf("resumed from %s\n", from.file.c_str());
  }

  /// Call after each unit of work (`done` units so far): writes a checkpoint when one is due,
  /// or always with `force` (e.g. at the end of an epoch). `make_state` runs only then.
  template <class Model, class Optimizer, class MakeState, class Extra = NoParams<typename Model::Scalar>>
  void maybe_save(long done, Model& model, Optimizer& optimizer, MakeState&& make_state, Extra&& extra = Extra(),
                  bool force = false) {
    if (path_.empty()) return;
    const auto now = std::chrono::steady_clock::now();
    const bool by_time = minutes_ > 0 && std::chrono::duration<double>(now - last_).count() >= 60 * minutes_;
    if (done % every_ != 0 && !by_time && !force) return;
    save_checkpoint(path_, model, optimizer, make_state(), extra);
    last_ = now;
  }

 private:
  std::string path_, resume_;
  long every_;
  double minutes_;
  bool quiet_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace recur::cli
