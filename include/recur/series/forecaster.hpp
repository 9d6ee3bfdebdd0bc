// A recurrent forecaster for one (transformed, scaled) series s, in two topologies:
//
//  * sequence to sequence, one step ahead (horizon 1): at every step t of a window the net
//    reads the lags x(t) = [s(t-1) .. s(t-p)] and predicts s(t); trained with a loss on every step.
//  * encoder-decoder (horizon H > 1): an encoder reads the window before the forecast origin o
//    into its state; a decoder started from that state predicts s(o) .. s(o+H-1), its input at
//    step k being the lags of s(o+k), where values at or after o are the truth (teacher forcing)
//    or its own earlier predictions (free running; mixed at random for scheduled sampling).
//
// The prediction is head(h(t)) + linear(x(t)): a recurrent net plus a linear autoregressive skip
// (as in LSTNet, Lai et al. 2018). The skip is fitted first by least squares and the head starts
// at zero, so training starts from the linear forecast and the net learns what it misses.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "recur/core/rng.hpp"
#include "recur/layer/dense.hpp"
#include "recur/layer/stack.hpp"

namespace recur::series {

struct ForecasterOptions {
  Index lags = 12;            ///< p: inputs per step
  Index hidden = 32;          ///< recurrent units per layer
  Index layers = 1;           ///< stacked recurrent layers
  Index horizon = 1;          ///< 1: one step ahead; > 1: encoder-decoder over this many steps
  bool linear = true;         ///< add the linear autoregressive skip
  bool train_linear = false;  ///< update the skip by gradient descent (otherwise it stays as fitted)
  double dropout = 0;         ///< between stacked layers while training
};

template <class Cell>
class Forecaster {
 public:
  using Scalar = typename Cell::Scalar;
  using S = Scalar;
  using Rnn = Stack<Cell>;

  /// One pass of the network over steps that all have their inputs: one-step mode over a window,
  /// or one decoder step.
  struct StepTrace {
    typename Rnn::Trace rnn;
    typename Dense<S>::Trace head, linear;
    MatX<S> y;  // [1 x T*B]
    const MatX<S>& output() const { return y; }
  };

  /// An encoder-decoder pass.
  struct SequenceTrace {
    typename Rnn::Trace encoder;
    std::vector<StepTrace> decoder;  // one per horizon step
    MatX<S> y;                       // [H x B] predictions
    const MatX<S>& output() const { return y; }
  };

  Forecaster(ForecasterOptions options, Rng& rng = global_rng())
      : options_(checked(options)),
        encoder_(options.lags, options.hidden, stack_options(options), rng),
        head_(options.hidden, 1, rng),
        linear_(options.lags, 1, rng) {
    if (options.horizon > 1) decoder_.emplace(options.lags, options.hidden, stack_options(options), rng);
    head_.weight.setZero();
    if (!options.linear) linear_.weight.setZero();
  }

  const ForecasterOptions& options() const { return options_; }
  Index lags() const { return options_.lags; }
  Index horizon() const { return options_.horizon; }
  Rnn& encoder() { return encoder_; }
  Dense<S>& head() { return head_; }
  Dense<S>& linear() { return linear_; }
  const Dense<S>& linear() const { return linear_; }

  std::string describe() const {
    return "Forecaster(" + encoder_.describe() + ", horizon=" + std::to_string(options_.horizon) +
           ", linear=" + (options_.linear ? "1" : "0") + ")";
  }

  // ---- one step ahead -------------------------------------------------------------------------

  /// x [p x T*B] (step t of sequence b in column t*B + b) -> predictions [1 x T*B].
  /// `training`: the generator for dropout between layers while training; null for inference.
  const MatX<S>& forward(const MatX<S>& x, const Batch& batch, StepTrace& tr,
                         const typename Rnn::State* initial = nullptr, Rng* training = nullptr) const {
    const MatX<S>& h = encoder_.forward(x, batch, tr.rnn, initial, training);
    combine(x, h, tr);
    return tr.y;
  }

  /// dy [1 x T*B]: accumulates the gradients; `grad_final` flows into the recurrent state.
  void backward(StepTrace& tr, const MatX<S>& dy, const typename Rnn::State* grad_final = nullptr) {
    backward_through(encoder_, tr, dy, grad_final);
  }

  MatX<S> predict(const MatX<S>& x, const Batch& batch) const {
    StepTrace tr;
    return forward(x, batch, tr);
  }

  // ---- encoder-decoder ------------------------------------------------------------------------

  /// window [p x W*B]: the encoder's inputs before the origin; recent [p x B]: row i is
  /// s(o-1-i); teacher [H x B] (or null): the true s(o+k), fed to step k+1 with probability
  /// `teacher_prob` (1: teacher forcing, 0: free running), drawn per step and column from rng.
  /// `training`: the generator for dropout between layers while training. Returns the
  /// predictions [H x B].
  const MatX<S>& forward_sequence(const MatX<S>& window, const MatX<S>& recent, const MatX<S>* teacher,
                                  SequenceTrace& tr, double teacher_prob = 1.0, Rng* rng = nullptr,
                                  Rng* training = nullptr) const {
    require_decoder("forward_sequence");
    const Index p = lags(), H = horizon(), B = recent.cols();
    if (B < 1) throw shape_error("Forecaster::forward_sequence: recent has no columns (an empty batch)");
    recur::detail::check_shape(recent, p, B, "Forecaster::forward_sequence recent");
    if (teacher) recur::detail::check_shape(*teacher, H, B, "Forecaster::forward_sequence teacher");
    if (window.cols() % B != 0 || window.cols() == 0)
      throw shape_error("Forecaster::forward_sequence: window has " + std::to_string(window.cols()) +
                        " columns, not a positive multiple of the batch " + std::to_string(B));
    encoder_.forward(window, Batch(B), tr.encoder, nullptr, training);
    tr.decoder.resize(static_cast<std::size_t>(H));
    tr.y.resize(H, B);
    MatX<S> fed(H, B);  // what step k+1 reads as s(o+k)
    MatX<S> x(p, B);
    for (Index k = 0; k < H; ++k) {
      for (Index b = 0; b < B; ++b)
        for (Index j = 1; j <= p; ++j) x(j - 1, b) = k - j >= 0 ? fed(k - j, b) : recent(j - k - 1, b);
      auto& st = tr.decoder[static_cast<std::size_t>(k)];
      const auto* state = k == 0 ? &tr.encoder.final : &tr.decoder[static_cast<std::size_t>(k - 1)].rnn.final;
      const MatX<S>& h = decoder_->forward(MatX<S>(x), Batch(B), st.rnn, state, training);  // a copy: x is reused
      combine(x, h, st);
      tr.y.row(k) = st.y;
      for (Index b = 0; b < B; ++b) {
        const bool use_truth = teacher && (teacher_prob >= 1 || (rng && rng->uniform() < teacher_prob));
        fed(k, b) = use_truth ? (*teacher)(k, b) : st.y(0, b);
      }
    }
    return tr.y;
  }

  /// dY [H x B]. Fed-back predictions count as inputs (no gradient flows through them), as in
  /// scheduled sampling (Bengio et al. 2015).
  void backward_sequence(SequenceTrace& tr, const MatX<S>& dy) {
    require_decoder("backward_sequence");
    const Index H = horizon();
    if (static_cast<Index>(tr.decoder.size()) != H)
      throw value_error("Forecaster::backward_sequence: the trace was not made by forward_sequence");
    recur::detail::check_shape(dy, H, tr.y.cols(), "Forecaster::backward_sequence dy");
    std::optional<typename Rnn::State> carry;
    for (Index k = H - 1; k >= 0; --k) {
      auto& st = tr.decoder[static_cast<std::size_t>(k)];
      backward_through(*decoder_, st, dy.row(k), carry ? &*carry : nullptr);
      carry = st.rnn.grad_initial;
    }
    const auto& enc_out = tr.encoder.output();
    encoder_.backward(tr.encoder, MatX<S>::Zero(enc_out.rows(), enc_out.cols()), &*carry);
  }

  /// Free-running forecast of H steps (no teacher).
  MatX<S> predict_sequence(const MatX<S>& window, const MatX<S>& recent) const {
    SequenceTrace tr;
    return forward_sequence(window, recent, nullptr, tr, 0.0);
  }

  /// Parameters: encoder.weight_ih_l0 ..., decoder.* (horizon > 1), head.*, linear.*
  template <class F>
  void for_each_param(F&& f) {
    encoder_.for_each_param(f, "encoder.");
    if (decoder_) decoder_->for_each_param(f, "decoder.");
    head_.for_each_param(f, "head.");
    linear_.for_each_param(f, "linear.");
  }

 private:
  static StackOptions stack_options(const ForecasterOptions& o) {
    return StackOptions{o.layers, false, Merge::concat, o.dropout};
  }
  static ForecasterOptions checked(ForecasterOptions o) {
    if (o.lags < 1 || o.hidden < 1 || o.layers < 1 || o.horizon < 1)
      throw value_error("Forecaster: lags, hidden, layers and horizon must be >= 1");
    return o;
  }
  void require_decoder(const char* what) const {
    if (!decoder_) throw value_error(std::string("Forecaster::") + what + " needs horizon > 1");
  }

  template <class H>
  void combine(const MatX<S>& x, const H& h, StepTrace& tr) const {
    tr.y = head_.forward(h, Batch(1), tr.head);
    if (options_.linear) tr.y += linear_.forward(x, Batch(1), tr.linear);
  }

  template <class DY>
  void backward_through(Rnn& rnn, StepTrace& tr, const DY& dy, const typename Rnn::State* grad_final) {
    const MatX<S> g = dy;  // NOLINT(performance-unnecessary-copy-initialization): evaluates an expression once
    const MatX<S> dh = head_.backward(tr.head, g);
    if (options_.linear && options_.train_linear) linear_.backward(tr.linear, g);
    rnn.backward(tr.rnn, dh, grad_final);
  }

  ForecasterOptions options_;
  Rnn encoder_;
  std::optional<Rnn> decoder_;
  Dense<S> head_;    // [1 x H]
  Dense<S> linear_;  // [1 x p]
};

/// Fits a Dense layer without activation by ridge least squares: minimises
/// |W x + b - y|^2 + lambda |W|^2 over the columns of x [I x N], y [O x N] (bias not penalised).
template <class S>
void fit_least_squares(Dense<S>& layer, const MatX<double>& x, const MatX<double>& y, double lambda) {
  recur::detail::check_rows(x, layer.input_size(), "fit_least_squares x");
  recur::detail::check_shape(y, layer.output_size(), x.cols(), "fit_least_squares y");
  if (x.cols() == 0) throw value_error("fit_least_squares: no samples");
  const Index I = x.rows(), N = x.cols();
  MatX<double> a(I + 1, N);  // [I+1 x N]: inputs and a row of ones for the bias
  a.topRows(I) = x;
  a.row(I).setOnes();
  MatX<double> gram = a * a.transpose();
  gram.diagonal().head(I).array() += lambda;
  const MatX<double> w = gram.ldlt().solve(a * y.transpose());  // [I+1 x O]
  layer.weight = w.topRows(I).transpose().template cast<S>();
  layer.bias = w.row(I).transpose().template cast<S>();
}

}  // namespace recur::series
