// The agreed sentiment protocol (../shared/data/README.md): fine-grained (5-class) accuracy at
// the root and over all nodes; binary accuracy at the root and over all nodes, where gold
// neutral nodes (label 2) are dropped, 0-1 are negative and 3-4 positive, and a prediction is
// positive when P(3) + P(4) > P(0) + P(1) (Socher et al. 2013's binary evaluation).
#pragma once

#include <recur/train/loss.hpp>
#include <recur/tree/recursive_net.hpp>
#include <recur/tree/vocabulary.hpp>

#include <vector>

namespace sentiment {

using recur::Index;

struct Scores {
  long fine_all = 0, fine_all_n = 0, fine_root = 0, fine_root_n = 0;
  long binary_all = 0, binary_all_n = 0, binary_root = 0, binary_root_n = 0;

  static double percent(long hit, long n) { return n ? 100.0 * static_cast<double>(hit) / static_cast<double>(n) : 0; }
  double fine_all_pct() const { return percent(fine_all, fine_all_n); }
  double fine_root_pct() const { return percent(fine_root, fine_root_n); }
  double binary_all_pct() const { return percent(binary_all, binary_all_n); }
  double binary_root_pct() const { return percent(binary_root, binary_root_n); }

  /// Scores one node: gold label (0..4) and class probabilities p, [5] for a fine-grained
  /// model or [2] (negative, positive) for a binary one, which has no fine-grained scores.
  template <class P>
  void add(int gold, const P& p, bool root) {
    if (gold < 0) return;
    if (p.size() == 2) {
      if (gold != 2) add_binary(p(1) > p(0), gold, root);
      return;
    }
    Index best = 0;
    p.maxCoeff(&best);
    const bool fine_hit = best == gold;
    fine_all += fine_hit;
    ++fine_all_n;
    if (root) {
      fine_root += fine_hit;
      ++fine_root_n;
    }
    if (gold != 2) add_binary(p(3) + p(4) > p(0) + p(1), gold, root);
  }

 private:
  void add_binary(bool positive, int gold, bool root) {
    const bool hit = positive == (gold > 2);
    binary_all += hit;
    ++binary_all_n;
    if (root) {
      binary_root += hit;
      ++binary_root_n;
    }
  }
};

/// Scores `net` on `trees`; `predicted` (if given) receives each tree's per-node argmax labels.
template <class Net>
Scores evaluate(const Net& net, const std::vector<recur::tree::Tree>& trees, const recur::tree::Vocabulary& vocab,
                std::vector<std::vector<int>>* predicted = nullptr) {
  Scores s;
  if (predicted) predicted->clear();
  constexpr std::size_t chunk = 256;  // trees per forward pass
  typename Net::Trace tr;
  for (std::size_t begin = 0; begin < trees.size(); begin += chunk) {
    const std::size_t end = std::min(trees.size(), begin + chunk);
    std::vector<const recur::tree::Tree*> part;
    std::vector<std::vector<Index>> ids;
    for (std::size_t k = begin; k < end; ++k) {
      part.push_back(&trees[k]);
      ids.push_back(vocab.ids(trees[k]));
    }
    const auto p = recur::softmax(net.forward(Net::flatten(part, ids), tr));
    Index j = 0;
    for (const auto* t : part) {
      std::vector<int> labels;
      for (Index i = 0; i < t->size(); ++i, ++j) {
        s.add(t->node(i).label, p.col(j), i == t->root());
        Index best = 0;
        p.col(j).maxCoeff(&best);
        labels.push_back(static_cast<int>(best));
      }
      if (predicted) predicted->push_back(std::move(labels));
    }
  }
  return s;
}

}  // namespace sentiment
