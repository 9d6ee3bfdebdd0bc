// Vector to sequence: a decoder that writes tokens (a caption's characters, a description's
// words) conditioned on a vector (an image, a summary of another sequence). The vector reaches
// the recurrent net in one of two ways, chosen at construction:
//   every_step     it is appended to the token's embedding at every step ("show the image
//                  again and again"), the initial state is zero;
//   initial_state  it sets the initial state, h0 = tanh(W v + b), and the steps see tokens only.
// Training is teacher forcing: the inputs are the start token and the caption, the targets the
// caption and the end token, scored with softmax_cross_entropy at every step. Decoding is greedy
// or beam search (beam_search.hpp) through advance().
#pragma once

#include <string>
#include <vector>

#include "recur/layer/dense.hpp"
#include "recur/layer/embedding.hpp"
#include "recur/layer/stack.hpp"
#include "recur/text/beam_search.hpp"

namespace recur::text {

enum class Conditioning { every_step, initial_state };

struct DecoderOptions {
  Index vocabulary = 2;  ///< tokens, the start and end tokens included
  Index embedding = 16;
  Index hidden = 64;
  Index condition = 1;  ///< size of the conditioning vector
  Index layers = 1;
  Conditioning feed = Conditioning::every_step;
};

template <class Cell>
class ConditionedDecoder {
 public:
  using Scalar = typename Cell::Scalar;
  using S = Scalar;
  using State = typename Stack<Cell>::State;

  struct Trace {
    typename Embedding<S>::Trace embed;
    MatX<S> input;  // [E (+ C) x T*B]
    typename Dense<S, Tanh>::Trace bridge;
    typename Stack<Cell>::Trace rnn;
    typename Dense<S>::Trace head;
    const MatX<S>& output() const { return head.y; }  // [V x T*B] logits
  };

  explicit ConditionedDecoder(const DecoderOptions& o, Rng& rng = global_rng())
      : options_(o),
        embed_(o.vocabulary, o.embedding, rng),
        bridge_(o.condition, o.hidden, rng),
        rnn_(o.embedding + (o.feed == Conditioning::every_step ? o.condition : 0), o.hidden,
             StackOptions{o.layers, false, Merge::concat}, rng),
        head_(o.hidden, o.vocabulary, rng) {}

  const DecoderOptions& options() const { return options_; }
  std::string describe() const {
    return std::string("ConditionedDecoder(") + embed_.describe() + ", " +
           (options_.feed == Conditioning::every_step ? "condition at every step" : "condition -> initial state") +
           ", " + rnn_.describe() + ", " + head_.describe() + ")";
  }

  /// Teacher forcing: `conditions` [C x B], `inputs` token ids in the sequence layout (T*B,
  /// padding any valid id) with `batch` giving each caption's length. Returns logits [V x T*B].
  const MatX<S>& forward(const MatX<S>& conditions, const std::vector<Index>& inputs, const Batch& batch,
                         Trace& tr) const {
    const Index B = batch.size();
    detail::check_shape(conditions, options_.condition, B, "ConditionedDecoder conditions");
    detail::check_finite(conditions, "ConditionedDecoder conditions");
    const auto& e = embed_.forward(inputs, batch, tr.embed);  // [E x T*B]
    const Index T = batch.steps(e, "ConditionedDecoder inputs");
    const State* initial = nullptr;
    State h0;
    if (options_.feed == Conditioning::every_step) {
      tr.input.resize(e.rows() + options_.condition, e.cols());
      tr.input.topRows(e.rows()) = e;
      for (Index t = 0; t < T; ++t) tr.input.bottomRows(options_.condition).middleCols(t * B, B) = conditions;
    } else {
      tr.input = e;
      h0 = initial_state(bridge_.forward(conditions, B, tr.bridge));
      initial = &h0;
    }
    const auto& h = rnn_.forward(tr.input, batch, tr.rnn, initial);  // [H x T*B]
    return head_.forward(h, batch, tr.head);
  }

  /// dlogits [V x T*B] -> gradients of every parameter (accumulated).
  template <class DY>
  void backward(Trace& tr, const Eigen::MatrixBase<DY>& dlogits) {
    const MatX<S> dh = head_.backward(tr.head, dlogits);
    const MatX<S> dx = rnn_.backward(tr.rnn, dh);
    embed_.backward(tr.embed, dx.topRows(options_.embedding));
    if (options_.feed == Conditioning::initial_state) {
      // Every layer's initial h comes from the bridge.
      const Index B = tr.bridge.y.cols();
      MatX<S> dh0 = MatX<S>::Zero(options_.hidden, B);
      for (Index l = 0; l < options_.layers; ++l) dh0 += tr.rnn.grad_initial.h.middleCols(l * B, B);
      bridge_.backward(tr.bridge, dh0);
    }
  }

  /// A decoding session for one conditioning vector [C]: the object beam_search drives.
  class Session {
   public:
    Session(const ConditionedDecoder& d, const VecX<S>& condition) : d_(d), condition_(condition) {
      detail::check_rows(condition, d.options_.condition, "ConditionedDecoder condition");
      detail::check_finite(condition, "ConditionedDecoder condition");
      if (d.options_.feed == Conditioning::initial_state) state_ = d.initial_state(d.bridge_.predict(condition));
    }

    /// See beam_search.hpp: keeps the states of `parents`, feeds `tokens`, returns
    /// log-probabilities of the next token [V x n].
    MatX<S> advance(const std::vector<Index>& parents, const std::vector<Index>& tokens) {
      const auto n = static_cast<Index>(tokens.size());
      if (n == 0 || parents.size() != tokens.size())
        throw value_error("ConditionedDecoder::Session::advance: " + std::to_string(parents.size()) + " parents for " +
                          std::to_string(tokens.size()) + " tokens");
      select(parents);
      const MatX<S> e = d_.embed_.predict(tokens);  // [E x n]
      MatX<S> x(d_.rnn_.input_size(), n);
      x.topRows(e.rows()) = e;
      if (d_.options_.feed == Conditioning::every_step) x.bottomRows(condition_.rows()).colwise() = condition_;
      const MatX<S> h = d_.rnn_.predict(x, Batch(n), &state_);  // one step; state_ carried
      MatX<S> logits = d_.head_.predict(h);                     // [V x n]
      // log softmax, column by column
      for (Index j = 0; j < n; ++j) {
        const S top = logits.col(j).maxCoeff();
        const S log_z = top + std::log((logits.col(j).array() - top).exp().sum());
        logits.col(j).array() -= log_z;
      }
      return logits;
    }

   private:
    /// The states of the previous hypotheses `parents`, in that order (the first call: the
    /// initial state, or zero).
    void select(const std::vector<Index>& parents) {
      const Index L = d_.options_.layers, H = d_.options_.hidden;
      const auto n = static_cast<Index>(parents.size());
      if (state_.h.size() == 0) {  // zero initial state, one column per layer
        state_.h = MatX<S>::Zero(H, L);
        if (Cell::has_cell_state) state_.c = MatX<S>::Zero(H, L);
      }
      const Index before = state_.h.cols() / L;
      State next;
      next.h.resize(H, L * n);
      if (Cell::has_cell_state) next.c.resize(H, L * n);
      for (Index l = 0; l < L; ++l)
        for (Index k = 0; k < n; ++k) {
          const Index p = parents[static_cast<std::size_t>(k)];
          if (p < 0 || p >= before)
            throw value_error("ConditionedDecoder::Session::advance: no hypothesis " + std::to_string(p));
          next.h.col(l * n + k) = state_.h.col(l * before + p);
          if (Cell::has_cell_state) next.c.col(l * n + k) = state_.c.col(l * before + p);
        }
      state_ = std::move(next);
    }

    const ConditionedDecoder& d_;
    VecX<S> condition_;
    State state_;
  };

  /// The best token sequences for one conditioning vector (width 1: greedy).
  std::vector<Hypothesis> decode(const VecX<S>& condition, const BeamOptions& o) const {
    Session session(*this, condition);
    return beam_search(session, o);
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    embed_.for_each_param(f, prefix + "embed.");
    if (options_.feed == Conditioning::initial_state) bridge_.for_each_param(f, prefix + "bridge.");
    rnn_.for_each_param(f, prefix + "rnn.");
    head_.for_each_param(f, prefix + "head.");
  }

 private:
  /// Every layer starts from the bridge's output; LSTM memories start at zero.
  State initial_state(const MatX<S>& h0) const {  // h0 [H x B]
    const Index B = h0.cols(), L = options_.layers;
    State s;
    s.h.resize(options_.hidden, L * B);
    for (Index l = 0; l < L; ++l) s.h.middleCols(l * B, B) = h0;
    if (Cell::has_cell_state) s.c = MatX<S>::Zero(options_.hidden, L * B);
    return s;
  }

  DecoderOptions options_;
  Embedding<S> embed_;
  Dense<S, Tanh> bridge_;
  Stack<Cell> rnn_;
  Dense<S> head_;
};

}  // namespace recur::text
