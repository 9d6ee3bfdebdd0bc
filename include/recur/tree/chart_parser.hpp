// A recursive-network parser (Socher, Lin, Ng & Manning, ICML 2011): neighbouring phrases are
// composed by the recursive net's layer, every candidate parent p gets a score v^T p + b, and
// the best tree maximises the sum of its nodes' scores. Decoding is greedy (merge the best
// adjacent pair until one phrase is left, the paper's method) or CKY over a chart: exact (every
// subtree kept) up to a length limit, with a beam of the best subtrees per span beyond it. A
// softmax over phrase labels (NP, VP, "@NP" for binarization nodes, ...) labels every node of
// the chosen tree. Training is structured max-margin: the loss-augmented decode finds
// max_y score(y) + kappa * (spans of y not in the gold tree), the hinge against the gold
// tree's score is backpropagated through both trees, plus the label cross-entropy on the gold
// tree's nodes.
#pragma once

#include <algorithm>
#include <exception>
#include <numeric>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/parallel_for.hpp"
#include "recur/train/loss.hpp"
#include "recur/tree/recursive_net.hpp"
#include "recur/tree/tree.hpp"

namespace recur::tree {

/// The spans [first, end) of every inner node of a tree, in post-order (leaves skipped).
inline std::vector<std::pair<Index, Index>> inner_spans(const Tree& t) {
  std::vector<std::pair<Index, Index>> span(static_cast<std::size_t>(t.size())), out;
  for (Index i = 0; i < t.size(); ++i) {
    const Node& n = t.node(i);
    if (n.leaf()) {
      span[static_cast<std::size_t>(i)] = {n.word, n.word + 1};
      continue;
    }
    span[static_cast<std::size_t>(i)] = {span[static_cast<std::size_t>(n.left)].first,
                                         span[static_cast<std::size_t>(n.right)].second};
    out.push_back(span[static_cast<std::size_t>(i)]);
  }
  return out;
}

/// A sentence to parse: words and tags as text (for the tree) and as ids (for the net).
struct ParseSentence {
  std::vector<std::string> words, tags;
  std::vector<Index> ids, tag_ids;
  Index size() const { return static_cast<Index>(ids.size()); }
};

struct ParseOptions {
  Index beam = 4;         ///< subtrees kept per span when not exact
  Index exact_up_to = 0;  ///< sentences up to this length keep every subtree (exact argmax)
  double kappa = 0;       ///< loss augmentation: added per span not in `gold`
  const std::set<std::pair<Index, Index>>* gold = nullptr;
};

/// One training example: the sentence, its binarized gold tree, label ids and spans.
struct ParseExample {
  ParseSentence sentence;
  Tree gold;
  std::vector<Index> gold_labels;  ///< per node: phrase label id, -1 at leaves
  std::set<std::pair<Index, Index>> gold_spans;
};

template <class S, template <class> class Composition = PlainComposition>
class ChartParser {
 public:
  using Scalar = S;
  using Net = RecursiveNet<S, Composition>;
  using Span = std::pair<Index, Index>;

  /// Classifier row 0 is the merge score v^T p + b; rows 1..L the phrase labels.
  Net net;
  std::vector<std::string> labels;

  using Sentence = ParseSentence;
  using DecodeOptions = ParseOptions;
  using Example = ParseExample;

  struct Result {
    Tree tree;     ///< labelled; leaves carry the tags
    double score;  ///< sum of the nodes' scores (plus kappa per wrong span when augmented)
    bool exact;    ///< every tree was considered
  };

  ChartParser(Index vocabulary, Index tag_vocabulary, Index dim, std::vector<std::string> phrase_labels,
              Rng& rng = global_rng())
      : net(vocabulary, dim, 1 + static_cast<Index>(phrase_labels.size()), rng, tag_vocabulary),
        labels(std::move(phrase_labels)) {
    if (labels.empty()) throw value_error("ChartParser: no phrase labels");
  }

  std::string describe() const { return "ChartParser(" + net.describe() + ")"; }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    net.for_each_param(f, prefix);
  }

  /// CKY: the best binary tree over the sentence.
  Result decode(const Sentence& s, const DecodeOptions& o = {}) const {
    check(s);
    const Index n = s.size(), d = net.dim();
    const bool exact = n <= o.exact_up_to;
    if (!exact && o.beam < 1) throw value_error("ChartParser::decode: the beam must be at least 1");
    Chart chart(n, d);
    leaf_vectors(s, chart.pool);
    for (Index i = 0; i < n; ++i) {
      chart.entries.push_back({0.0, i, -1, -1, i});
      chart.cell(i, i + 1).push_back(i);
    }
    std::vector<std::pair<Index, Index>> pairs;  // entry ids of (left, right) children
    MatX<S> c, z, cache, p;
    for (Index len = 2; len <= n; ++len)
      for (Index i = 0; i + len <= n; ++i) {
        const Index j = i + len;
        pairs.clear();
        for (Index k = i + 1; k < j; ++k)
          for (Index a : chart.cell(i, k))
            for (Index b : chart.cell(k, j)) pairs.emplace_back(a, b);
        const Index m = static_cast<Index>(pairs.size());
        c.resize(2 * d, m);
        for (Index q = 0; q < m; ++q) {
          c.col(q).head(d) =
              chart.pool.col(chart.entries[static_cast<std::size_t>(pairs[static_cast<std::size_t>(q)].first)].vec);
          c.col(q).tail(d) =
              chart.pool.col(chart.entries[static_cast<std::size_t>(pairs[static_cast<std::size_t>(q)].second)].vec);
        }
        compose(c, z, cache, p);
        const Eigen::Matrix<S, 1, Dynamic> scores = node_scores(p);
        const double penalty = o.gold && !o.gold->count({i, j}) ? o.kappa : 0.0;
        std::vector<double> total(static_cast<std::size_t>(m));
        for (Index q = 0; q < m; ++q) {
          const auto& [a, b] = pairs[static_cast<std::size_t>(q)];
          total[static_cast<std::size_t>(q)] = static_cast<double>(scores(q)) + penalty +
                                               chart.entries[static_cast<std::size_t>(a)].total +
                                               chart.entries[static_cast<std::size_t>(b)].total;
        }
        std::vector<Index> order(static_cast<std::size_t>(m));
        std::iota(order.begin(), order.end(), Index(0));
        const Index keep = exact ? m : std::min(m, o.beam);
        auto better = [&](Index x, Index y) {  // ties by position: deterministic
          const double tx = total[static_cast<std::size_t>(x)], ty = total[static_cast<std::size_t>(y)];
          return tx > ty || (tx == ty && x < y);
        };
        std::partial_sort(order.begin(), order.begin() + keep, order.end(), better);
        auto& cell = chart.cell(i, j);
        for (Index r = 0; r < keep; ++r) {
          const Index q = order[static_cast<std::size_t>(r)];
          const Index vec = chart.add_vector(p.col(q));
          chart.entries.push_back({total[static_cast<std::size_t>(q)], vec, pairs[static_cast<std::size_t>(q)].first,
                                   pairs[static_cast<std::size_t>(q)].second, -1});
          cell.push_back(static_cast<Index>(chart.entries.size()) - 1);
        }
      }
    const Index best = chart.cell(0, n).front();
    Result r{build(s, chart, best), chart.entries[static_cast<std::size_t>(best)].total, exact};
    return r;
  }

  /// Greedy bottom-up merging of the best-scoring adjacent pair (Socher et al. 2011).
  Result greedy(const Sentence& s) const {
    check(s);
    const Index n = s.size(), d = net.dim();
    Chart chart(n, d);
    leaf_vectors(s, chart.pool);
    std::vector<Index> row;  // entry ids of the current phrases, left to right
    for (Index i = 0; i < n; ++i) {
      chart.entries.push_back({0.0, i, -1, -1, i});
      row.push_back(i);
    }
    MatX<S> c, z, cache, p;
    while (row.size() > 1) {
      const Index m = static_cast<Index>(row.size()) - 1;
      c.resize(2 * d, m);
      for (Index q = 0; q < m; ++q) {
        c.col(q).head(d) =
            chart.pool.col(chart.entries[static_cast<std::size_t>(row[static_cast<std::size_t>(q)])].vec);
        c.col(q).tail(d) =
            chart.pool.col(chart.entries[static_cast<std::size_t>(row[static_cast<std::size_t>(q + 1)])].vec);
      }
      compose(c, z, cache, p);
      const Eigen::Matrix<S, 1, Dynamic> scores = node_scores(p);
      Index q = 0;
      scores.maxCoeff(&q);
      const Index a = row[static_cast<std::size_t>(q)], b = row[static_cast<std::size_t>(q + 1)];
      const Index vec = chart.add_vector(p.col(q));
      chart.entries.push_back({static_cast<double>(scores(q)) + chart.entries[static_cast<std::size_t>(a)].total +
                                   chart.entries[static_cast<std::size_t>(b)].total,
                               vec, a, b, -1});
      row[static_cast<std::size_t>(q)] = static_cast<Index>(chart.entries.size()) - 1;
      row.erase(row.begin() + static_cast<std::ptrdiff_t>(q + 1));
    }
    const Index root = row.front();
    return {build(s, chart, root), chart.entries[static_cast<std::size_t>(root)].total, false};
  }

  /// The sum of the inner nodes' scores of a tree over the sentence (as decode computes it).
  double score(const Tree& t, const Sentence& s) const {
    typename Net::Trace tr;
    const std::vector<std::vector<Index>> tags{s.tag_ids};
    const MatX<S>& logits = net.forward(Net::flatten({&t}, {s.ids}, &tags), tr);
    double total = 0;
    for (Index j = 0; j < t.size(); ++j)
      if (!t.node(j).leaf()) total += static_cast<double>(logits(0, j));
    return total;
  }

  /// A gold tree against a predicted one: hinge = max(0, score(pred) + delta - score(gold)).
  struct Pair {
    const Sentence* sentence = nullptr;
    const Tree* gold = nullptr;
    std::vector<Index> gold_labels;  ///< per gold node: phrase label id, -1 at leaves
    Tree predicted;
    double delta = 0;  ///< kappa times the predicted spans missing from the gold tree
  };

  /// Mean over pairs of the hinge plus `label_weight` times the label cross-entropy over the
  /// gold trees' inner nodes; with `backward`, accumulates the gradients of that loss.
  double pair_loss(const std::vector<Pair>& pairs, bool backward, double label_weight = 1) {
    std::vector<const Tree*> trees;
    std::vector<std::vector<Index>> ids, tags;
    for (const Pair& q : pairs) {
      trees.push_back(q.gold);
      ids.push_back(q.sentence->ids);
      tags.push_back(q.sentence->tag_ids);
    }
    for (const Pair& q : pairs) {
      trees.push_back(&q.predicted);
      ids.push_back(q.sentence->ids);
      tags.push_back(q.sentence->tag_ids);
    }
    typename Net::Trace tr;
    const MatX<S>& logits = net.forward(Net::flatten(trees, ids, &tags), tr);
    const Index L = static_cast<Index>(labels.size());
    std::vector<Index> node_labels(static_cast<std::size_t>(logits.cols()), -1);
    std::vector<Index> gold_begin(pairs.size()), pred_begin(pairs.size());
    Index offset = 0;
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      gold_begin[k] = offset;
      for (std::size_t j = 0; j < pairs[k].gold_labels.size(); ++j)
        node_labels[static_cast<std::size_t>(offset) + j] = pairs[k].gold_labels[j];
      offset += pairs[k].gold->size();
    }
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      pred_begin[k] = offset;
      offset += pairs[k].predicted.size();
    }
    const auto ce = softmax_cross_entropy(logits.bottomRows(L), node_labels);
    MatX<S> dlogits = MatX<S>::Zero(logits.rows(), logits.cols());
    dlogits.bottomRows(L) = static_cast<S>(label_weight) * ce.grad;
    double hinge_sum = 0;
    const S share = S(1) / static_cast<S>(std::max<std::size_t>(1, pairs.size()));
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      double gold = 0, pred = 0;
      const Tree &g = *pairs[k].gold, &p = pairs[k].predicted;
      for (Index j = 0; j < g.size(); ++j)
        if (!g.node(j).leaf()) gold += static_cast<double>(logits(0, gold_begin[k] + j));
      for (Index j = 0; j < p.size(); ++j)
        if (!p.node(j).leaf()) pred += static_cast<double>(logits(0, pred_begin[k] + j));
      const double hinge = pred + pairs[k].delta - gold;
      if (hinge <= 0) continue;
      hinge_sum += hinge;
      for (Index j = 0; j < g.size(); ++j)
        if (!g.node(j).leaf()) dlogits(0, gold_begin[k] + j) -= share;
      for (Index j = 0; j < p.size(); ++j)
        if (!p.node(j).leaf()) dlogits(0, pred_begin[k] + j) += share;
    }
    if (backward) net.backward(tr, dlogits);
    return hinge_sum * static_cast<double>(share) + label_weight * static_cast<double>(ce.value);
  }

  /// Loss-augmented decoding of every example (on `threads` threads: the decodes only read
  /// the net, and the results do not depend on the thread count), then pair_loss with its
  /// backward pass. Returns the loss; the caller applies the optimizer.
  double train_step(const std::vector<const Example*>& batch, const DecodeOptions& o, double label_weight = 1,
                    int threads = 1) {
    std::vector<const Example*> used;
    for (const Example* e : batch)
      if (e->sentence.size() >= 2) used.push_back(e);
    if (used.empty()) return 0;
    std::vector<Pair> pairs(used.size());
    parallel_for(used.size(), threads, [&](std::size_t k) {
      const Example* e = used[k];
      DecodeOptions mine = o;
      mine.gold = &e->gold_spans;
      Result r = decode(e->sentence, mine);
      double wrong = 0;
      for (const auto& span : inner_spans(r.tree)) wrong += e->gold_spans.count(span) ? 0 : 1;
      pairs[k] = Pair{&e->sentence, &e->gold, e->gold_labels, std::move(r.tree), o.kappa * wrong};
    });
    return pair_loss(pairs, true, label_weight);
  }

  /// body(k) for k in [0, n) on up to `threads` threads; rethrows the first exception.
  template <class Body>
  static void parallel_for(std::size_t n, int threads, Body&& body) {
    recur::detail::parallel_for(n, threads, body);
  }

 private:
  /// Every chart entry: a subtree with its total score, vector, and children (entry ids).
  struct Entry {
    double total;
    Index vec;
    Index left, right;
    Index word;  ///< at a leaf
  };
  struct Chart {
    Index n;
    std::vector<std::vector<Index>> cells;  ///< span [i, j) at i * (n + 1) + j: entry ids, best first
    std::vector<Entry> entries;
    MatX<S> pool;  ///< [d x capacity] entry vectors
    Index used;
    Chart(Index words, Index d)
        : n(words), cells(static_cast<std::size_t>((words + 1) * (words + 1))), pool(d, 4 * words + 4), used(words) {}
    std::vector<Index>& cell(Index i, Index j) { return cells[static_cast<std::size_t>(i * (n + 1) + j)]; }
    template <class V>
    Index add_vector(const V& v) {
      if (used == pool.cols()) pool.conservativeResize(Eigen::NoChange, 2 * pool.cols());
      pool.col(used) = v;
      return used++;
    }
  };

  void check(const Sentence& s) const {
    if (s.ids.empty()) throw value_error("ChartParser: an empty sentence");
    if (s.tag_ids.size() != s.ids.size() || s.words.size() != s.ids.size() || s.tags.size() != s.ids.size())
      throw shape_error("ChartParser: a sentence needs as many words, tags and ids as it has tokens");
  }

  /// The leaves' vectors (word plus tag) in the first columns of `pool`.
  void leaf_vectors(const Sentence& s, MatX<S>& pool) const {
    for (Index i = 0; i < s.size(); ++i) {
      const Index id = s.ids[static_cast<std::size_t>(i)], tag = s.tag_ids[static_cast<std::size_t>(i)];
      if (id < 0 || id >= net.vocabulary())
        throw value_error("ChartParser: word id " + std::to_string(id) + " at " + std::to_string(i) +
                          " is outside the vocabulary");
      pool.col(i) = net.embedding.weight.col(id);
      if (net.tags) {
        if (tag < 0 || tag >= net.tags->vocabulary())
          throw value_error("ChartParser: tag id " + std::to_string(tag) + " at " + std::to_string(i) +
                            " is outside the tag vocabulary");
        pool.col(i) += net.tags->weight.col(tag);
      }
      if (net.tanh_leaves) pool.col(i) = pool.col(i).array().tanh().matrix();  // as the net's forward
    }
  }

  /// Parents p [d x m] of children pairs c [2d x m], as RecursiveNet::forward composes them.
  void compose(const MatX<S>& c, MatX<S>& z, MatX<S>& cache, MatX<S>& p) const {
    z.noalias() = net.weight * c;
    z.colwise() += net.bias;
    net.composition.add_forward(c, z, cache);
    p = z.array().tanh().matrix();
  }

  Eigen::Matrix<S, 1, Dynamic> node_scores(const MatX<S>& p) const {
    Eigen::Matrix<S, 1, Dynamic> s = net.classifier.weight.row(0) * p;
    s.array() += net.classifier.bias(0);
    return s;
  }

  /// The tree of entry `root`, inner nodes labelled by the classifier.
  Tree build(const Sentence& s, const Chart& chart, Index root) const {
    Tree t;
    t.words = s.words;
    std::vector<Index> inner_vecs;
    // Iterative post-order over entry ids.
    std::vector<std::pair<Index, bool>> todo{{root, false}};
    std::vector<Index> made;  // node index of each finished entry, as a stack
    while (!todo.empty()) {
      auto [e, expanded] = todo.back();
      todo.pop_back();
      const Entry& en = chart.entries[static_cast<std::size_t>(e)];
      if (en.left < 0) {
        Node leaf;
        leaf.word = en.word;
        leaf.tag = s.tags[static_cast<std::size_t>(en.word)];
        t.nodes.push_back(leaf);
        made.push_back(t.size() - 1);
        continue;
      }
      if (!expanded) {
        todo.push_back({e, true});
        todo.push_back({en.right, false});
        todo.push_back({en.left, false});
        continue;
      }
      Node inner;
      inner.right = made.back();
      made.pop_back();
      inner.left = made.back();
      made.pop_back();
      t.nodes.push_back(inner);
      made.push_back(t.size() - 1);
      inner_vecs.push_back(en.vec);
    }
    // Labels: the classifier's rows 1.. over the inner nodes' vectors, in one product.
    MatX<S> v(net.dim(), static_cast<Index>(inner_vecs.size()));
    for (Index k = 0; k < v.cols(); ++k) v.col(k) = chart.pool.col(inner_vecs[static_cast<std::size_t>(k)]);
    const Index L = static_cast<Index>(labels.size());
    const MatX<S> logits = net.classifier.weight.bottomRows(L) * v;
    Index k = 0;
    for (Node& node : t.nodes) {
      if (node.leaf()) continue;
      Index best = 0;
      (logits.col(k) + net.classifier.bias.tail(L)).maxCoeff(&best);
      node.tag = labels[static_cast<std::size_t>(best)];
      node.label = static_cast<int>(best);
      ++k;
    }
    return t;
  }
};

}  // namespace recur::tree
