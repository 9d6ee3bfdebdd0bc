// Sequence to vector: a sentence or a review in, one prediction out. A TokenEncoder -> pooling
// -> dropout -> a linear head, giving either
//   a score in [-1, 1] (tanh; train with mse against -1 hate .. +1 love), or
//   class logits (train with softmax_cross_entropy), e.g. the treebank's five classes.
// Pooling is the final state of the last layer (both directions' h_n when bidirectional, as a
// PyTorch user would take it), or the mean or the feature-wise maximum of the last layer's
// outputs over the real steps.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "recur/layer/dense.hpp"
#include "recur/layer/pooling.hpp"
#include "recur/text/token_encoder.hpp"

namespace recur::text {

enum class Pooling { final_state, mean, max };

struct ClassifierOptions : EncoderOptions {
  Pooling pooling = Pooling::final_state;
  Index classes = 0;  ///< 0: one score in [-1, 1]; otherwise this many class logits
};

template <class Cell>
class SequenceClassifier {
 public:
  using Scalar = typename Cell::Scalar;
  using S = Scalar;

  struct Trace {
    typename TokenEncoder<Cell>::Trace encoder;
    typename MeanOverTime<S>::Trace mean;
    typename MaxOverTime<S>::Trace max;
    MatX<S> pooled;  // [P x B]
    typename Dropout<S>::Trace dropped;
    typename Dense<S>::Trace head;
    MatX<S> y;  // [1 x B] scores or [K x B] logits
    const MatX<S>& output() const { return y; }
  };

  explicit SequenceClassifier(const ClassifierOptions& o, Rng& rng = global_rng())
      : options_(o), encoder_(o, rng), head_(pooled_size(), o.classes > 0 ? o.classes : 1, rng) {
    if (o.classes == 1) throw value_error("SequenceClassifier: 1 class; use classes = 0 for a score");
  }

  const ClassifierOptions& options() const { return options_; }
  std::size_t features() const { return encoder_.features(); }
  TokenEmbedding<S>& embedding() { return encoder_.embedding(); }
  bool scores() const { return options_.classes == 0; }
  std::string describe() const {
    const auto& d = encoder_.dropout();
    return "SequenceClassifier(" + encoder_.describe() + ", " + pooling_name() + ", " + head_.describe() +
           (scores() ? ", tanh" : "") + (d.p() > 0 ? ", " + d.describe() : "") + ")";
  }

  /// [1 x B] scores in [-1, 1], or [K x B] logits. `training`: the generator for dropout while
  /// training; null for inference.
  const MatX<S>& forward(const TokenBatch& tokens, Trace& tr, Rng* training = nullptr) const {
    const auto& h = encoder_.forward(tokens, tr.encoder, training);  // [D*H x T*B]
    const Index B = tokens.batch.size();
    if (options_.pooling == Pooling::mean) {
      tr.pooled = mean_.forward(h, tokens.batch, tr.mean);
    } else if (options_.pooling == Pooling::max) {
      tr.pooled = max_.forward(h, tokens.batch, tr.max);
    } else {  // the last layer's h_n of each direction, stacked
      const auto& rnn = encoder_.stack();
      const Index D = rnn.directions(), H = rnn.hidden_size(), last = (rnn.layers() - 1) * D;
      tr.pooled.resize(D * H, B);
      for (Index d = 0; d < D; ++d)
        tr.pooled.middleRows(d * H, H) = tr.encoder.rnn.final.h.middleCols((last + d) * B, B);
    }
    tr.y = head_.forward(encoder_.dropout().forward(tr.pooled, tr.dropped, training), tokens.batch, tr.head);
    if (scores()) tr.y = tr.y.array().tanh().matrix();
    return tr.y;
  }

  /// dy (same shape as the output) -> gradients of every parameter (accumulated).
  template <class DY>
  void backward(Trace& tr, const Eigen::MatrixBase<DY>& dy) {
    detail::check_shape(dy, tr.y.rows(), tr.y.cols(), "SequenceClassifier::backward dy");
    MatX<S> dz = dy;
    if (scores()) dz.array() *= S(1) - tr.y.array().square();
    const MatX<S> dpooled = encoder_.dropout().backward(tr.dropped, head_.backward(tr.head, dz));  // [P x B]
    if (options_.pooling == Pooling::mean) {
      encoder_.backward(tr.encoder, mean_.backward(tr.mean, dpooled));
      return;
    }
    if (options_.pooling == Pooling::max) {
      encoder_.backward(tr.encoder, max_.backward(tr.max, dpooled));
      return;
    }
    // The pooled vector is the final state: its gradient enters as grad_final, the outputs get none.
    const auto& rnn = encoder_.stack();
    const Index B = dy.cols(), D = rnn.directions(), H = rnn.hidden_size(), LD = rnn.layers() * D, last = LD - D;
    typename Stack<Cell>::State grad_final;
    grad_final.h = MatX<S>::Zero(H, LD * B);
    if (Cell::has_cell_state) grad_final.c = MatX<S>::Zero(H, LD * B);
    for (Index d = 0; d < D; ++d) grad_final.h.middleCols((last + d) * B, B) = dpooled.middleRows(d * H, H);
    encoder_.backward(tr.encoder, MatX<S>::Zero(rnn.output_size(), tr.encoder.output().cols()), &grad_final);
  }

  /// The prediction for one sentence: a score [1 x 1] or logits [K x 1].
  MatX<S> predict(const TokenFeatures& sentence) const {
    Trace tr;
    return forward(pack({&sentence}, features()), tr);
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    encoder_.for_each_param(f, prefix);
    head_.for_each_param(f, prefix + "head.");
  }

 private:
  Index pooled_size() const {
    const auto& rnn = encoder_.stack();
    return options_.pooling == Pooling::final_state ? rnn.directions() * rnn.hidden_size() : rnn.output_size();
  }
  std::string pooling_name() const {
    switch (options_.pooling) {
      case Pooling::mean:
        return "mean over steps";
      case Pooling::max:
        return "maximum over steps";
      case Pooling::final_state:
        break;
    }
    return "final state";
  }

  ClassifierOptions options_;
  TokenEncoder<Cell> encoder_;
  MeanOverTime<S> mean_;
  MaxOverTime<S> max_;
  Dense<S> head_;
};

}  // namespace recur::text
