// A label at every step (part-of-speech tags, named entities, frame-by-frame classes): token
// features -> TokenEmbedding -> a recurrent Stack (bidirectional by default, so each label sees
// the whole sentence) -> Dense scores over the labels at every step. Train it with
// softmax_cross_entropy against pack_labels(); padding steps carry label -1 and get no loss.
#pragma once

#include <string>
#include <vector>

#include "recur/layer/dense.hpp"
#include "recur/layer/dropout.hpp"
#include "recur/layer/stack.hpp"
#include "recur/text/token_embedding.hpp"

namespace recur::text {

struct TaggerOptions {
  std::vector<Index> feature_vocabularies;  ///< ids per token feature (word, suffix, shape, ...)
  std::vector<Index> feature_dims;          ///< embedding size per token feature
  Index hidden = 64;                        ///< per direction
  StackOptions stack{1, true, Merge::concat};
  Index labels = 2;
  double dropout = 0;  ///< on the embeddings and on the recurrent outputs, while training
};

template <class Cell>
class SequenceTagger {
 public:
  using Scalar = typename Cell::Scalar;
  using S = Scalar;

  struct Trace {
    typename TokenEmbedding<S>::Trace embedding;
    typename Dropout<S>::Trace dropped_embedding;
    typename Stack<Cell>::Trace rnn;
    typename Dropout<S>::Trace dropped_rnn;
    typename Dense<S>::Trace head;
    const MatX<S>& output() const { return head.y; }  // [labels x T*B]
  };

  explicit SequenceTagger(const TaggerOptions& o, Rng& rng = global_rng())
      : embedding_(o.feature_vocabularies, o.feature_dims, rng),
        rnn_(embedding_.output_size(), o.hidden, o.stack, rng),
        head_(rnn_.output_size(), o.labels, rng),
        dropout_(o.dropout) {}

  Index labels() const { return head_.output_size(); }
  std::size_t features() const { return embedding_.features(); }
  TokenEmbedding<S>& embedding() { return embedding_; }
  std::string describe() const {
    return "SequenceTagger(" + embedding_.describe() + ", " + rnn_.describe() + ", " + head_.describe() +
           (dropout_.p() > 0 ? ", " + dropout_.describe() : "") + ")";
  }

  /// Label scores at every step: [labels x T*B] (padding columns are meaningless). `training`:
  /// the generator for dropout while training; null for inference.
  const MatX<S>& forward(const TokenBatch& tokens, Trace& tr, Rng* training = nullptr) const {
    const auto& x = embedding_.forward(tokens, tr.embedding);  // [E x T*B]
    const auto& h = rnn_.forward(dropout_.forward(x, tr.dropped_embedding, training), tokens.batch, tr.rnn);
    return head_.forward(dropout_.forward(h, tr.dropped_rnn, training), tokens.batch, tr.head);  // [labels x T*B]
  }

  /// dscores [labels x T*B] -> gradients of every parameter (accumulated).
  template <class DY>
  void backward(Trace& tr, const Eigen::MatrixBase<DY>& dscores) {
    const MatX<S> dh = dropout_.backward(tr.dropped_rnn, head_.backward(tr.head, dscores));
    const MatX<S> dx = dropout_.backward(tr.dropped_embedding, rnn_.backward(tr.rnn, dh));
    embedding_.backward(tr.embedding, dx);
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
    embedding_.for_each_param(f, prefix + "embedding.");
    rnn_.for_each_param(f, prefix + "rnn.");
    head_.for_each_param(f, prefix + "head.");
  }

 private:
  TokenEmbedding<S> embedding_;
  Stack<Cell> rnn_;
  Dense<S> head_;
  Dropout<S> dropout_;
};

}  // namespace recur::text
