// A recursive neural network over parse trees (Socher et al. 2011, 2013): word vectors at the
// leaves, each parent composed from its two children, p = tanh(W [a; b] + bias + extra), where
// the composition policy adds the extra term (TensorComposition: the RNTN), and a softmax
// classifier at every node. Trained by backpropagation through structure: forward over the
// nodes in post-order, backward in reverse.
//
// A minibatch is a forest: the nodes of several trees one after another (still children before
// parents), so the classifier over all nodes is one matrix product.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/init.hpp"
#include "recur/core/rng.hpp"
#include "recur/layer/dense.hpp"
#include "recur/layer/dropout.hpp"
#include "recur/layer/embedding.hpp"
#include "recur/train/loss.hpp"
#include "recur/tree/composition.hpp"
#include "recur/tree/tree.hpp"

namespace recur::tree {

template <class S, template <class> class Composition = TensorComposition>
class RecursiveNet {
 public:
  using Scalar = S;

  Embedding<S> embedding;  // [d x V]
  MatX<S> weight;          // [d x 2d]
  VecX<S> bias;            // [d]
  MatX<S> grad_weight;
  VecX<S> grad_bias;
  Composition<S> composition;
  Dense<S> classifier;  // [C x d]
  /// Dropout on the node vectors the classifier reads, in training calls only (p = 0: none).
  /// Parents still compose their children's whole vectors.
  Dropout<S> dropout{0.0};
  /// Optional leaf features besides the word: a leaf's vector is its word's plus its tag's
  /// (e.g. part of speech). Absent unless the net is built with tag_vocabulary > 0.
  std::optional<Embedding<S>> tags;  // [d x T]
  /// A leaf's vector is tanh(word vector) instead of the word vector itself, as in Stanford
  /// CoreNLP's sentiment model: leaves then live in (-1, 1) like the parents composed from them.
  bool tanh_leaves = false;

  /// The nodes of a forest, flattened: node j of the forest has children left[j], right[j]
  /// (forest indices, -1 at leaves) or the word id[j].
  struct Forest {
    std::vector<Index> left, right, id;
    std::vector<Index> tag;     // per node, the leaf's tag id (empty when the net has no tags)
    std::vector<Index> labels;  // per node, -1 where unlabelled
    std::vector<Index> roots;   // forest index of each tree's root
    Index size() const { return static_cast<Index>(id.size()); }
  };

  /// The inner nodes of one height (1 + the higher child's), composed together: every
  /// product runs over all of them at once.
  struct Level {
    std::vector<Index> nodes;
    MatX<S> c;      // [2d x n] children's vectors
    MatX<S> cache;  // what the composition's backward needs
  };

  struct Trace {
    Forest forest;
    MatX<S> x;  // [d x N] node vectors
    std::vector<Level> levels;
    typename Dropout<S>::Trace dropped;  // the classifier's input when training with dropout
    typename Dense<S>::Trace classifier;
    const MatX<S>& output() const { return classifier.y; }  // logits [C x N]
  };

  RecursiveNet(Index vocabulary, Index dim, Index classes, Rng& rng = global_rng(), Index tag_vocabulary = 0)
      : embedding(vocabulary, dim, rng), classifier(dim, classes, rng) {
    weight.resize(dim, 2 * dim);
    init::xavier_uniform(weight, rng);
    add_average_of_children();
    bias.setZero(dim);
    grad_weight.setZero(dim, 2 * dim);
    grad_bias.setZero(dim);
    composition.resize(dim, rng);
    for (Index j = 0; j < embedding.weight.cols(); ++j)
      for (Index i = 0; i < dim; ++i) embedding.weight(i, j) = static_cast<S>(rng.uniform(-0.1, 0.1));
    if (tag_vocabulary > 0) {
      tags.emplace(tag_vocabulary, dim, rng);
      for (Index j = 0; j < tag_vocabulary; ++j)
        for (Index i = 0; i < dim; ++i) tags->weight(i, j) = static_cast<S>(rng.uniform(-0.1, 0.1));
    }
  }

  /// Draws the composition weights again as 0.5 [I I] + uniform(+-noise / sqrt(d)) and the word
  /// vectors from normal(0, word_sd). recur-sentiment uses noise 0.5 and sd 0.1, the ranges of
  /// Stanford CoreNLP's sentiment model (which starts from [I I]; 0.5 measured better here): on
  /// the Sentiment Treebank, seeds 1-3, all-nodes accuracy gained 1-2 points over the
  /// constructor's Xavier-sized noise and uniform(+-0.1) words.
  void reinitialize(Rng& rng, double noise, double word_sd) {
    const Index d = dim();
    const double r = noise / std::sqrt(static_cast<double>(d));
    for (Index j = 0; j < weight.cols(); ++j)
      for (Index i = 0; i < d; ++i) weight(i, j) = static_cast<S>(rng.uniform(-r, r));
    add_average_of_children();
    for (Index j = 0; j < embedding.weight.cols(); ++j)
      for (Index i = 0; i < d; ++i) embedding.weight(i, j) = static_cast<S>(word_sd * rng.normal());
  }

  Index dim() const { return weight.rows(); }
  Index classes() const { return classifier.output_size(); }
  Index vocabulary() const { return embedding.vocabulary(); }

  std::string describe() const {
    return "RecursiveNet(" + Composition<S>::name() + ", vocabulary=" + std::to_string(vocabulary()) +
           ", dim=" + std::to_string(dim()) + ", classes=" + std::to_string(classes()) +
           (tags ? ", tags=" + std::to_string(tags->vocabulary()) : "") + (tanh_leaves ? ", leaves=tanh" : "") +
           (dropout.p() > 0 ? ", dropout=" + std::to_string(dropout.p()).substr(0, 4) : "") + ")";
  }

  /// Flattens trees (with their leaves' word ids, and tag ids if the net has tags) into a
  /// forest; labels from the trees.
  static Forest flatten(const std::vector<const Tree*>& trees, const std::vector<std::vector<Index>>& ids,
                        const std::vector<std::vector<Index>>* tag_ids = nullptr) {
    if (trees.size() != ids.size()) throw shape_error("RecursiveNet: one id list per tree is needed");
    if (tag_ids && tag_ids->size() != ids.size()) throw shape_error("RecursiveNet: one tag list per tree is needed");
    Forest f;
    for (std::size_t k = 0; k < trees.size(); ++k) {
      const Tree& t = *trees[k];
      if (ids[k].size() != t.words.size())
        throw shape_error("RecursiveNet: tree " + std::to_string(k) + " has " + std::to_string(t.words.size()) +
                          " words but " + std::to_string(ids[k].size()) + " ids");
      const Index offset = f.size();
      for (const Node& n : t.nodes) {
        f.left.push_back(n.leaf() ? -1 : n.left + offset);
        f.right.push_back(n.leaf() ? -1 : n.right + offset);
        f.id.push_back(n.leaf() ? ids[k][static_cast<std::size_t>(n.word)] : -1);
        if (tag_ids) {
          const auto& tk = (*tag_ids)[k];
          if (tk.size() != ids[k].size())
            throw shape_error("RecursiveNet: tree " + std::to_string(k) + " needs one tag per word");
          f.tag.push_back(n.leaf() ? tk[static_cast<std::size_t>(n.word)] : -1);
        }
        f.labels.push_back(n.label);
      }
      if (!t.nodes.empty()) f.roots.push_back(f.size() - 1);
    }
    return f;
  }

  /// Node vectors and logits [C x N] of every node of the forest. A generator makes it a
  /// training call: dropout draws its mask from it.
  const MatX<S>& forward(Forest forest, Trace& tr, Rng* training = nullptr) const {
    tr.forest = std::move(forest);
    const Forest& f = tr.forest;
    const Index d = dim(), N = f.size();
    tr.x.resize(d, N);
    // Leaves take their word vectors; inner nodes are grouped by height.
    std::vector<Index> height(static_cast<std::size_t>(N), 0);
    for (auto& level : tr.levels) level.nodes.clear();
    for (Index j = 0; j < N; ++j) {
      const auto u = static_cast<std::size_t>(j);
      if (f.left[u] < 0) {
        const Index id = f.id[u];
        if (id < 0 || id >= vocabulary())
          throw value_error("RecursiveNet: word id " + std::to_string(id) + " at node " + std::to_string(j) +
                            " is outside the vocabulary of " + std::to_string(vocabulary()));
        tr.x.col(j) = embedding.weight.col(id);
        if (tags) {
          const Index tag = f.tag.empty() ? -1 : f.tag[u];
          if (tag < 0 || tag >= tags->vocabulary())
            throw value_error("RecursiveNet: tag id " + std::to_string(tag) + " at node " + std::to_string(j) +
                              " is outside the tag vocabulary of " + std::to_string(tags->vocabulary()));
          tr.x.col(j) += tags->weight.col(tag);
        }
        if (tanh_leaves) tr.x.col(j) = tr.x.col(j).array().tanh().matrix();
        continue;
      }
      if (f.left[u] >= j || f.right[u] >= j || f.right[u] < 0)
        throw value_error("RecursiveNet: node " + std::to_string(j) + " comes before its children (not post-order)");
      const Index h =
          1 + std::max(height[static_cast<std::size_t>(f.left[u])], height[static_cast<std::size_t>(f.right[u])]);
      height[u] = h;
      if (static_cast<Index>(tr.levels.size()) < h) tr.levels.resize(static_cast<std::size_t>(h));
      tr.levels[static_cast<std::size_t>(h - 1)].nodes.push_back(j);
    }
    MatX<S> z;
    for (auto& level : tr.levels) {
      const Index n = static_cast<Index>(level.nodes.size());
      if (n == 0) continue;
      level.c.resize(2 * d, n);
      for (Index k = 0; k < n; ++k) {
        const auto u = static_cast<std::size_t>(level.nodes[static_cast<std::size_t>(k)]);
        level.c.col(k).head(d) = tr.x.col(f.left[u]);
        level.c.col(k).tail(d) = tr.x.col(f.right[u]);
      }
      z.noalias() = weight * level.c;  // [d x n]
      z.colwise() += bias;
      composition.add_forward(level.c, z, level.cache);
      for (Index k = 0; k < n; ++k)
        tr.x.col(level.nodes[static_cast<std::size_t>(k)]) = z.col(k).array().tanh().matrix();
    }
    if (training && dropout.p() > 0)
      return classifier.forward(dropout.forward(tr.x, tr.dropped, training), Batch(1), tr.classifier);
    tr.dropped.mask.resize(0, 0);
    return classifier.forward(tr.x, Batch(1), tr.classifier);
  }

  /// Backpropagation through structure from dlogits [C x N]; accumulates every gradient.
  void backward(Trace& tr, const MatX<S>& dlogits) {
    const Forest& f = tr.forest;
    const Index d = dim(), N = f.size();
    MatX<S> dx = classifier.backward(tr.classifier, dlogits);  // [d x N], grows with parents' parts
    if (tr.dropped.mask.size() != 0) dx = dropout.backward(tr.dropped, dx);
    // Top level first: a node's gradient is complete once every higher level is done. The
    // weight gradients wait for the end: one product over all inner nodes of the forest.
    Index inner = 0;
    for (const auto& level : tr.levels) inner += static_cast<Index>(level.nodes.size());
    MatX<S> dz_all(d, inner), c_all(2 * d, inner), dc;
    Index end = inner;
    for (auto level = tr.levels.rbegin(); level != tr.levels.rend(); ++level) {
      const Index n = static_cast<Index>(level->nodes.size());
      if (n == 0) continue;
      end -= n;
      auto dz = dz_all.middleCols(end, n);
      for (Index k = 0; k < n; ++k) {
        const Index j = level->nodes[static_cast<std::size_t>(k)];
        dz.col(k) = (dx.col(j).array() * (S(1) - tr.x.col(j).array().square())).matrix();  // through tanh
      }
      c_all.middleCols(end, n) = level->c;
      dc.noalias() = weight.transpose() * dz;  // [2d x n]
      composition.backward(level->c, MatX<S>(dz), level->cache, dc);
      for (Index k = 0; k < n; ++k) {
        const auto u = static_cast<std::size_t>(level->nodes[static_cast<std::size_t>(k)]);
        dx.col(f.left[u]) += dc.col(k).head(d);
        dx.col(f.right[u]) += dc.col(k).tail(d);
      }
    }
    grad_weight.noalias() += dz_all * c_all.transpose();
    grad_bias += dz_all.rowwise().sum();
    composition.accumulate(c_all, dz_all);
    for (Index j = 0; j < N; ++j)
      if (f.left[static_cast<std::size_t>(j)] < 0) {
        if (tanh_leaves) dx.col(j) = (dx.col(j).array() * (S(1) - tr.x.col(j).array().square())).matrix();
        embedding.add_gradient(f.id[static_cast<std::size_t>(j)], dx.col(j));
        if (tags) tags->add_gradient(f.tag[static_cast<std::size_t>(j)], dx.col(j));
      }
  }

  /// Mean cross-entropy over the labelled nodes of the forest, with its backward pass.
  S train_step(Forest forest, Trace& tr, Rng* training = nullptr) {
    const auto& logits = forward(std::move(forest), tr, training);
    const auto loss = softmax_cross_entropy(logits, tr.forest.labels);
    backward(tr, loss.grad);
    return loss.value;
  }

  /// The most likely label of every node of one tree.
  std::vector<int> predict(const Tree& t, const std::vector<Index>& ids) const {
    Trace tr;
    const MatX<S>& logits = forward(flatten({&t}, {ids}), tr);
    std::vector<int> out(static_cast<std::size_t>(logits.cols()));
    for (Index j = 0; j < logits.cols(); ++j) {
      Index best = 0;
      logits.col(j).maxCoeff(&best);
      out[static_cast<std::size_t>(j)] = static_cast<int>(best);
    }
    return out;
  }

  /// embedding.weight, compose.weight, compose.bias, compose.tensor_upper (RNTN), classifier.*, tags.weight
  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    embedding.for_each_param(f, prefix + "embedding.");
    auto w = make_param(prefix + "compose.weight", weight, grad_weight, TorchLayout::matrix);
    f(w);
    auto b = make_param(prefix + "compose.bias", bias, grad_bias, TorchLayout::vector);
    f(b);
    composition.for_each_param(f, prefix + "compose.");
    classifier.for_each_param(f, prefix + "classifier.");
    if (tags) tags->for_each_param(f, prefix + "tags.");
  }

 private:
  /// W += 0.5 [I I]: a parent starts near the average of its children, so deep trees neither
  /// vanish nor explode.
  void add_average_of_children() {
    const Index d = dim();
    weight.leftCols(d).diagonal().array() += S(0.5);
    weight.rightCols(d).diagonal().array() += S(0.5);
  }
};

}  // namespace recur::tree
