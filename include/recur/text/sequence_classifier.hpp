// Sequence to vector: a sentence or a review in, one prediction out. Tokens -> TokenEmbedding ->
// recurrent Stack -> pooling -> a linear head, giving either
//   a score in [-1, 1] (tanh; train with mse against -1 hate .. +1 love), or
//   class logits (train with softmax_cross_entropy), e.g. the treebank's five classes.
// Pooling is the final state of the last layer (both directions' h_n when bidirectional, as a
// PyTorch user would take it) or the mean of the last layer's outputs over the real steps.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "recur/layer/dense.hpp"
#include "recur/layer/dropout.hpp"
#include "recur/layer/pooling.hpp"
#include "recur/layer/stack.hpp"
#include "recur/text/token_embedding.hpp"

namespace recur::text {

enum class Pooling { final_state, mean };

struct ClassifierOptions {
  std::vector<Index> feature_vocabularies;  ///< ids per token feature (usually just the word)
  std::vector<Index> feature_dims;
  Index hidden = 64;  ///< per direction
  StackOptions stack{1, false, Merge::concat};
  Pooling pooling = Pooling::final_state;
  Index classes = 0;   ///< 0: one score in [-1, 1]; otherwise this many class logits
  double dropout = 0;  ///< on the embeddings and on the pooled vector, while training
};

template <class Cell>
class SequenceClassifier {
 public:
  using Scalar = typename Cell::Scalar;
  using S = Scalar;

  struct Trace {
    typename TokenEmbedding<S>::Trace embedding;
    typename Dropout<S>::Trace dropped_embedding;
    typename Stack<Cell>::Trace rnn;
    typename MeanOverTime<S>::Trace mean;
    MatX<S> pooled;  // [P x B]
    typename Dropout<S>::Trace dropped_pooled;
    typename Dense<S>::Trace head;
    MatX<S> y;  // [1 x B] scores or [K x B] logits
    const MatX<S>& output() const { return y; }
  };

  explicit SequenceClassifier(const ClassifierOptions& o, Rng& rng = global_rng())
      : options_(o),
        embedding_(o.feature_vocabularies, o.feature_dims, rng),
        rnn_(embedding_.output_size(), o.hidden, o.stack, rng),
        head_(pooled_size(), o.classes > 0 ? o.classes : 1, rng),
        dropout_(o.dropout) {
    if (o.classes == 1) throw value_error("SequenceClassifier: 1 class; use classes = 0 for a score");
  }

  const ClassifierOptions& options() const { return options_; }
  std::size_t features() const { return embedding_.features(); }
  TokenEmbedding<S>& embedding() { return embedding_; }
  bool scores() const { return options_.classes == 0; }
  std::string describe() const {
    return "SequenceClassifier(" + embedding_.describe() + ", " + rnn_.describe() + ", " +
           (options_.pooling == Pooling::mean ? "mean over steps" : "final state") + ", " + head_.describe() +
           (scores() ? ", tanh" : "") + (dropout_.p() > 0 ? ", " + dropout_.describe() : "") + ")";
  }

  /// [1 x B] scores in [-1, 1], or [K x B] logits. `training`: the generator for dropout while
  /// training; null for inference.
  const MatX<S>& forward(const TokenBatch& tokens, Trace& tr, Rng* training = nullptr) const {
    const auto& x = embedding_.forward(tokens, tr.embedding);  // [E x T*B]
    const auto& h = rnn_.forward(dropout_.forward(x, tr.dropped_embedding, training), tokens.batch, tr.rnn);
    const Index B = tokens.batch.size();
    if (options_.pooling == Pooling::mean) {
      tr.pooled = pooler_.forward(h, tokens.batch, tr.mean);
    } else {
      const Index D = rnn_.directions(), H = rnn_.hidden_size(), last = (rnn_.layers() - 1) * D;
      tr.pooled.resize(D * H, B);
      for (Index d = 0; d < D; ++d) tr.pooled.middleRows(d * H, H) = tr.rnn.final.h.middleCols((last + d) * B, B);
    }
    tr.y = head_.forward(dropout_.forward(tr.pooled, tr.dropped_pooled, training), tokens.batch, tr.head);
    if (scores()) tr.y = tr.y.array().tanh().matrix();
    return tr.y;
  }

  /// dy (same shape as the output) -> gradients of every parameter (accumulated).
  template <class DY>
  void backward(Trace& tr, const Eigen::MatrixBase<DY>& dy) {
    detail::check_shape(dy, tr.y.rows(), tr.y.cols(), "SequenceClassifier::backward dy");
    MatX<S> dz = dy;
    if (scores()) dz.array() *= S(1) - tr.y.array().square();
    const MatX<S> dpooled = dropout_.backward(tr.dropped_pooled, head_.backward(tr.head, dz));  // [P x B]
    const Index B = dy.cols();
    MatX<S> dx;
    if (options_.pooling == Pooling::mean) {
      dx = rnn_.backward(tr.rnn, pooler_.backward(tr.mean, dpooled));
    } else {
      const Index D = rnn_.directions(), H = rnn_.hidden_size(), LD = rnn_.layers() * D, last = LD - D;
      typename Stack<Cell>::State grad_final;
      grad_final.h = MatX<S>::Zero(H, LD * B);
      if (Cell::has_cell_state) grad_final.c = MatX<S>::Zero(H, LD * B);
      for (Index d = 0; d < D; ++d) grad_final.h.middleCols((last + d) * B, B) = dpooled.middleRows(d * H, H);
      dx = rnn_.backward(tr.rnn, MatX<S>::Zero(rnn_.output_size(), tr.rnn.output().cols()), &grad_final);
    }
    embedding_.backward(tr.embedding, dropout_.backward(tr.dropped_embedding, dx));
  }

  /// The prediction for one sentence: a score [1 x 1] or logits [K x 1].
  MatX<S> predict(const TokenFeatures& sentence) const {
    Trace tr;
    return forward(pack({&sentence}, features()), tr);
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    embedding_.for_each_param(f, prefix + "embedding.");
    rnn_.for_each_param(f, prefix + "rnn.");
    head_.for_each_param(f, prefix + "head.");
  }

 private:
  Index pooled_size() const {
    return options_.pooling == Pooling::mean ? rnn_.output_size() : rnn_.directions() * rnn_.hidden_size();
  }

  ClassifierOptions options_;
  TokenEmbedding<S> embedding_;
  Stack<Cell> rnn_;
  MeanOverTime<S> pooler_;
  Dense<S> head_;
  Dropout<S> dropout_;
};

}  // namespace recur::text
