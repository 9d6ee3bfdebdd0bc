// Minibatches of trees on several threads: the minibatch is cut into a fixed number of shards,
// each shard runs forward and backward on its own copy of the net (worker), and the workers'
// gradients are added to the net's in shard order. The cut does not depend on the number of
// threads, so results are identical for any thread count (given the same seed).
//
// Workers share nothing with the net while they run: before each step they take the net's
// small parameters and only the word-vector columns their trees use; after it, only those
// columns of their word-vector gradient are added back and cleared (the embedding is large).
#pragma once

#include <algorithm>
#include <vector>

#include "recur/core/parallel_for.hpp"
#include "recur/core/param.hpp"
#include "recur/train/loss.hpp"
#include "recur/tree/recursive_net.hpp"

namespace recur::tree {

template <class Net>
class ShardedTrainer {
 public:
  using S = typename Net::Scalar;

  ShardedTrainer(const Net& net, int threads, int shards = 4)
      : workers_(static_cast<std::size_t>(std::max(1, shards)), net),
        traces_(workers_.size()),
        threads_(std::clamp(threads, 1, static_cast<int>(workers_.size()))) {  // idle threads help nothing
    for (auto& w : workers_) zero_grad(w);
  }

  int threads() const { return threads_; }
  int shards() const { return static_cast<int>(workers_.size()); }

  /// Adds to `net`'s gradients those of the mean cross-entropy over the labelled nodes of the
  /// minibatch; returns that loss. With a generator, a training step (dropout): each shard's
  /// masks come from a generator seeded from it, so they too do not depend on the threads.
  double step(Net& net, const std::vector<const Tree*>& trees, const std::vector<std::vector<Index>>& ids,
              Rng* training = nullptr) {
    const std::size_t n = trees.size(), K = workers_.size();
    std::vector<std::size_t> begin(K + 1);
    for (std::size_t k = 0; k <= K; ++k) begin[k] = n * k / K;
    double labelled = 0;
    for (const auto* t : trees)
      for (const auto& node : t->nodes) labelled += node.label >= 0;
    if (labelled == 0) return 0;
    std::vector<double> loss(K, 0.0);
    std::vector<std::vector<Index>> used(K);
    std::vector<Rng> shard_rng;
    if (training && net.dropout.p() > 0)
      for (std::size_t k = 0; k < K; ++k) shard_rng.emplace_back(training->engine()());

    auto run = [&](std::size_t k) {
      if (begin[k] == begin[k + 1]) return;
      Net& w = workers_[k];
      const std::vector<const Tree*> part(trees.begin() + static_cast<std::ptrdiff_t>(begin[k]),
                                          trees.begin() + static_cast<std::ptrdiff_t>(begin[k + 1]));
      const std::vector<std::vector<Index>> part_ids(ids.begin() + static_cast<std::ptrdiff_t>(begin[k]),
                                                     ids.begin() + static_cast<std::ptrdiff_t>(begin[k + 1]));
      used[k] = unique_ids(part_ids);
      take_parameters(w, net, used[k]);
      auto& tr = traces_[k];
      w.dropout = net.dropout;
      w.tanh_leaves = net.tanh_leaves;
      const auto& logits = w.forward(Net::flatten(part, part_ids), tr, shard_rng.empty() ? nullptr : &shard_rng[k]);
      auto l = softmax_cross_entropy(logits, tr.forest.labels);
      Index count = 0;
      for (Index label : tr.forest.labels) count += label >= 0;
      const S share = static_cast<S>(static_cast<double>(count) / labelled);  // of the minibatch mean
      l.grad *= share;
      w.backward(tr, l.grad);
      loss[k] = static_cast<double>(l.value) * static_cast<double>(share);
    };
    try {
      recur::detail::parallel_for(K, threads_, run);
    } catch (...) {
      for (std::size_t k = 0; k < K; ++k) zero_grad(workers_[k]);  // leave the workers clean
      throw;
    }

    double total = 0;
    for (std::size_t k = 0; k < K; ++k) {  // in shard order: the same sums for any thread count
      give_gradients(workers_[k], net, used[k]);
      total += loss[k];
    }
    return total;
  }

 private:
  static std::vector<Index> unique_ids(const std::vector<std::vector<Index>>& ids) {
    std::vector<Index> all;
    for (const auto& v : ids) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }

  static bool is_embedding(const Param<S>& p) { return p.name == "embedding.weight"; }

  /// Parameters of `from`, in visiting order.
  static std::vector<Param<S>> params(Net& net) {
    std::vector<Param<S>> out;
    net.for_each_param([&](Param<S>& p) { out.push_back(p); });
    return out;
  }

  static void take_parameters(Net& worker, Net& net, const std::vector<Index>& used) {
    auto mine = params(worker), theirs = params(net);
    for (std::size_t i = 0; i < mine.size(); ++i) {
      if (!is_embedding(mine[i])) {
        mine[i].value = theirs[i].value;
        continue;
      }
      for (Index id : used)
        if (id >= 0 && id < mine[i].value.cols()) mine[i].value.col(id) = theirs[i].value.col(id);
    }
  }

  static void give_gradients(Net& worker, Net& net, const std::vector<Index>& used) {
    auto mine = params(worker), theirs = params(net);
    for (std::size_t i = 0; i < mine.size(); ++i) {
      if (!is_embedding(mine[i])) {
        theirs[i].grad += mine[i].grad;
        mine[i].grad.setZero();
        continue;
      }
      for (Index id : used) {
        theirs[i].grad.col(id) += mine[i].grad.col(id);
        mine[i].grad.col(id).setZero();
        if (theirs[i].used_columns) theirs[i].used_columns->add(id);
      }
      if (mine[i].used_columns) mine[i].used_columns->clear();
    }
  }

  std::vector<Net> workers_;
  std::vector<typename Net::Trace> traces_;
  int threads_;
};

}  // namespace recur::tree
