// The front every text model here shares: token features -> TokenEmbedding -> dropout (while
// training) -> a recurrent Stack (with its own dropout between layers, stack.dropout). The
// tagger puts a label on each of its outputs, the classifier pools them into one vector.
#pragma once

#include <string>
#include <vector>

#include "recur/layer/dropout.hpp"
#include "recur/layer/stack.hpp"
#include "recur/text/token_embedding.hpp"

namespace recur::text {

struct EncoderOptions {
  std::vector<Index> feature_vocabularies;  ///< ids per token feature (word, suffix, shape, ...)
  std::vector<Index> feature_dims;          ///< embedding size per token feature
  Index hidden = 64;                        ///< per direction
  StackOptions stack{1, false, Merge::concat};
  double dropout = 0;  ///< on the embeddings (and, in the models, before their heads), while training
};

template <class Cell>
class TokenEncoder {
 public:
  using Scalar = typename Cell::Scalar;
  using S = Scalar;

  struct Trace {
    typename TokenEmbedding<S>::Trace embedding;
    typename Dropout<S>::Trace dropped;
    typename Stack<Cell>::Trace rnn;
    const MatX<S>& output() const { return rnn.output(); }  // [D*H x T*B]
  };

  explicit TokenEncoder(const EncoderOptions& o, Rng& rng = global_rng())
      : embedding_(o.feature_vocabularies, o.feature_dims, rng),
        rnn_(embedding_.output_size(), o.hidden, o.stack, rng),
        dropout_(o.dropout) {}

  std::size_t features() const { return embedding_.features(); }
  TokenEmbedding<S>& embedding() { return embedding_; }
  const Stack<Cell>& stack() const { return rnn_; }
  const Dropout<S>& dropout() const { return dropout_; }
  std::string describe() const { return embedding_.describe() + ", " + rnn_.describe(); }

  /// The recurrent outputs [D*H x T*B]; `training`: the generator for dropout, null for inference.
  const MatX<S>& forward(const TokenBatch& tokens, Trace& tr, Rng* training) const {
    const auto& x = embedding_.forward(tokens, tr.embedding);  // [E x T*B]
    return rnn_.forward(dropout_.forward(x, tr.dropped, training), tokens.batch, tr.rnn, nullptr, training);
  }

  /// dh [D*H x T*B] (and the gradient of the final states, if any) -> gradients (accumulated).
  template <class DY>
  void backward(Trace& tr, const Eigen::MatrixBase<DY>& dh, const typename Stack<Cell>::State* grad_final = nullptr) {
    embedding_.backward(tr.embedding, dropout_.backward(tr.dropped, rnn_.backward(tr.rnn, dh, grad_final)));
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    embedding_.for_each_param(f, prefix + "embedding.");
    rnn_.for_each_param(f, prefix + "rnn.");
  }

 private:
  TokenEmbedding<S> embedding_;
  Stack<Cell> rnn_;
  Dropout<S> dropout_;
};

}  // namespace recur::text
