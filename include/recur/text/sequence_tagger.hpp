// A label at every step (part-of-speech tags, named entities, frame-by-frame classes): a
// TokenEncoder (bidirectional by default, so each label sees the whole sentence) -> dropout ->
// Dense scores over the labels at every step. Train it with softmax_cross_entropy against
// pack_labels(); padding steps carry label -1 and get no loss.
#pragma once

#include <string>
#include <vector>

#include "recur/layer/dense.hpp"
#include "recur/text/token_encoder.hpp"

namespace recur::text {

struct TaggerOptions : EncoderOptions {
  Index labels = 2;
  TaggerOptions() { stack.bidirectional = true; }
};

template <class Cell>
class SequenceTagger {
 public:
  using Scalar = typename Cell::Scalar;
  using S = Scalar;

  struct Trace {
    typename TokenEncoder<Cell>::Trace encoder;
    typename Dropout<S>::Trace dropped;
    typename Dense<S>::Trace head;
    const MatX<S>& output() const { return head.y; }  // [labels x T*B]
  };

  explicit SequenceTagger(const TaggerOptions& o, Rng& rng = global_rng())
      : encoder_(o, rng), head_(encoder_.stack().output_size(), o.labels, rng) {}

  Index labels() const { return head_.output_size(); }
  std::size_t features() const { return encoder_.features(); }
  TokenEmbedding<S>& embedding() { return encoder_.embedding(); }
  std::string describe() const {
    const auto& d = encoder_.dropout();
    return "SequenceTagger(" + encoder_.describe() + ", " + head_.describe() + (d.p() > 0 ? ", " + d.describe() : "") +
           ")";
  }

  /// Label scores at every step: [labels x T*B] (padding columns are meaningless). `training`:
  /// the generator for dropout while training; null for inference.
  const MatX<S>& forward(const TokenBatch& tokens, Trace& tr, Rng* training = nullptr) const {
    const auto& h = encoder_.forward(tokens, tr.encoder, training);  // [D*H x T*B]
    return head_.forward(encoder_.dropout().forward(h, tr.dropped, training), tokens.batch, tr.head);
  }

  /// dscores [labels x T*B] -> gradients of every parameter (accumulated).
  template <class DY>
  void backward(Trace& tr, const Eigen::MatrixBase<DY>& dscores) {
    encoder_.backward(tr.encoder, encoder_.dropout().backward(tr.dropped, head_.backward(tr.head, dscores)));
  }

  /// The best label of every token of one sentence.
  std::vector<Index> predict(const TokenFeatures& sentence) const {
    Trace tr;
    const auto& scores = forward(pack({&sentence}, features()), tr);
    std::vector<Index> out(static_cast<std::size_t>(scores.cols()));
    for (Index t = 0; t < scores.cols(); ++t) scores.col(t).maxCoeff(&out[static_cast<std::size_t>(t)]);
    return out;
  }

  /// The best label of every real token of a packed batch: out[b][t].
  std::vector<std::vector<Index>> predict(const TokenBatch& tokens) const {
    Trace tr;
    const auto& scores = forward(tokens, tr);
    const Index B = tokens.batch.size();
    std::vector<std::vector<Index>> out(static_cast<std::size_t>(B));
    for (Index b = 0; b < B; ++b)
      for (Index t = 0; t < tokens.batch.length(b, tokens.steps); ++t) {
        Index best = 0;
        scores.col(t * B + b).maxCoeff(&best);
        out[static_cast<std::size_t>(b)].push_back(best);
      }
    return out;
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    encoder_.for_each_param(f, prefix);
    head_.for_each_param(f, prefix + "head.");
  }

 private:
  TokenEncoder<Cell> encoder_;
  Dense<S> head_;
};

}  // namespace recur::text
