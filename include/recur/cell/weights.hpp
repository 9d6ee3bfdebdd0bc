// The four parameter tensors every recurrent cell shares, in PyTorch's layout:
// G gates stacked along the rows (G = 1 Elman, 3 GRU, 4 LSTM).
#pragma once

#include <string>

#include "recur/cell/state.hpp"
#include "recur/core/error.hpp"
#include "recur/core/init.hpp"
#include "recur/core/matrix_vector.hpp"
#include "recur/core/param.hpp"
#include "recur/core/rng.hpp"
#include "recur/core/types.hpp"

namespace recur {

template <class S, int I, int H, int G>
struct RecurrentWeights {
  static_assert(std::is_floating_point<S>::value, "recur cells need a floating-point scalar type");
  static_assert(I == Dynamic || I > 0, "input size must be positive or Dynamic");
  static_assert(H == Dynamic || H > 0, "hidden size must be positive or Dynamic");

  using Scalar = S;
  static constexpr int input_size_at_compile_time = I;
  static constexpr int hidden_size_at_compile_time = H;
  static constexpr int gates = G;
  static constexpr int GH = times(G, H);

  Matrix<S, GH, I> weight_ih;  // [G*H x I]
  Matrix<S, GH, H> weight_hh;  // [G*H x H]
  Vector<S, GH> bias_ih;       // [G*H]
  Vector<S, GH> bias_hh;       // [G*H]

  Matrix<S, GH, I> grad_weight_ih;
  Matrix<S, GH, H> grad_weight_hh;
  Vector<S, GH> grad_bias_ih;
  Vector<S, GH> grad_bias_hh;

  Index input_size() const { return weight_ih.cols(); }
  Index hidden_size() const { return weight_hh.cols(); }

  /// Sizes the tensors and initialises them: Xavier-uniform input weights, orthogonal recurrent
  /// gate blocks, zero biases, zero gradients.
  void resize(Index input, Index hidden, Rng& rng) {
    if ((I != Dynamic && input != I) || (H != Dynamic && hidden != H) || input <= 0 || hidden <= 0)
      throw shape_error("recurrent cell: sizes (input " + std::to_string(input) + ", hidden " + std::to_string(hidden) +
                        ") do not match the cell type (input " +
                        (I == Dynamic ? std::string("any") : std::to_string(I)) + ", hidden " +
                        (H == Dynamic ? std::string("any") : std::to_string(H)) + ")");
    weight_ih.resize(G * hidden, input);
    weight_hh.resize(G * hidden, hidden);
    bias_ih.setZero(G * hidden);
    bias_hh.setZero(G * hidden);
    init::xavier_uniform(weight_ih, rng);
    init::orthogonal_blocks(weight_hh, rng);
    grad_weight_ih.setZero(G * hidden, input);
    grad_weight_hh.setZero(G * hidden, hidden);
    grad_bias_ih.setZero(G * hidden);
    grad_bias_hh.setZero(G * hidden);
  }

  /// PyTorch's default initialisation: every tensor uniform in +-1/sqrt(hidden).
  void init_like_pytorch(Rng& rng) {
    const double k = 1.0 / std::sqrt(static_cast<double>(hidden_size()));
    init::uniform(weight_ih, rng, k);
    init::uniform(weight_hh, rng, k);
    init::uniform(bias_ih, rng, k);
    init::uniform(bias_hh, rng, k);
  }

  /// Visits weight_ih, weight_hh, bias_ih, bias_hh as prefix + name + suffix
  /// (suffix "_l0", "_l1_reverse", ... gives PyTorch's nn.LSTM names).
  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "", const std::string& suffix = "") {
    auto p1 = make_param(prefix + "weight_ih" + suffix, weight_ih, grad_weight_ih, TorchLayout::matrix);
    f(p1);
    auto p2 = make_param(prefix + "weight_hh" + suffix, weight_hh, grad_weight_hh, TorchLayout::matrix);
    f(p2);
    auto p3 = make_param(prefix + "bias_ih" + suffix, bias_ih, grad_bias_ih, TorchLayout::vector);
    f(p3);
    auto p4 = make_param(prefix + "bias_hh" + suffix, bias_hh, grad_bias_hh, TorchLayout::vector);
    f(p4);
  }

  /// Checks an input column block [I x n] before a step.
  template <class X>
  void check_input(const X& x, const char* what) const {
    detail::check_rows(x, input_size(), what);
    detail::check_finite(x, what);
  }
};

/// What the three cells share beyond their weights: state objects and streaming step().
/// Derived provides add_input_bias(gx), forward_gates(...) (the element-wise maths after the
/// recurrent product W_hh h, which goes into the gates or, if recurrent_into_scratch, into a
/// scratch block) and backward_gates(...); HasC says whether it carries an LSTM memory cell.
template <class Derived, class S, int I, int H, int G, bool HasC>
struct CellBase : RecurrentWeights<S, I, H, G> {
  using Weights = RecurrentWeights<S, I, H, G>;
  using Weights::GH;
  static constexpr bool has_cell_state = HasC;
  static constexpr int CH = HasC ? H : Dynamic;
  using State = CellState<S, H, GH, Dynamic, CH>;  ///< for batches of any width
  using StreamState = CellState<S, H, GH, 1, CH>;  ///< one column; no heap with fixed sizes

  /// Zero state for `batch` columns, with the workspace step() needs.
  State zero_state(Index batch) const { return make<State>(batch); }
  StreamState zero_stream_state() const { return make<StreamState>(1); }

  /// Streaming inference: one step of x [I x B] from `s`, updated in place; returns the new
  /// hidden state [H x B]. Const and allocation-free, so threads may share one cell, each with
  /// its own state.
  template <class X, int Cols>
  const Matrix<S, H, Cols>& step(const Eigen::MatrixBase<X>& x, CellState<S, H, GH, Cols, CH>& s) const {
    const auto& self = static_cast<const Derived&>(*this);
    check_step(x, s);
    if constexpr (Cols == 1) {
      stream_step(x, s, [this](auto& y, const auto& h) { detail::multiply_add_column(y, this->weight_hh, h); });
      return s.h;
    } else {
      s.gates.noalias() = this->weight_ih * x;
      self.add_input_bias(s.gates);
      if (Derived::recurrent_into_scratch)
        s.scratch.noalias() = this->weight_hh * s.h;
      else
        s.gates.noalias() += this->weight_hh * s.h;
    }
    self.forward_gates(s.gates, s.h, s.c, s.h, s.c, s.aux, s.scratch);
    ++s.steps;
    return s.h;
  }

  /// Checks x [I x B] and the state's h and c [H x B] before a step.
  template <class X, int Cols>
  void check_step(const Eigen::MatrixBase<X>& x, const CellState<S, H, GH, Cols, CH>& s) const {
    this->check_input(x, "step: input");
    detail::check_shape(s.h, this->hidden_size(), x.cols(), "step: state h");
    if (HasC) detail::check_shape(s.c, this->hidden_size(), x.cols(), "step: state c");
  }

  /// One step of one stream after check_step, with `add_recurrent(y, h)` adding W_hh h to y
  /// (from this->weight_hh, or from a packed copy in StreamingCell).
  template <class X, class AddRecurrent>
  RECUR_FLATTEN void stream_step(const Eigen::MatrixBase<X>& x, StreamState& s, AddRecurrent&& add_recurrent) const {
    // The recurrent product comes first: h is known before x usually is (x is often the
    // previous step's output), so the long sum over h overlaps with whatever produces x, and
    // only the short input product waits for it.
    const auto& self = static_cast<const Derived&>(*this);
    s.gates.setZero();
    self.add_input_bias(s.gates);
    if (Derived::recurrent_into_scratch) s.scratch.setZero();
    add_recurrent(Derived::recurrent_into_scratch ? s.scratch : s.gates, s.h);
    detail::multiply_add_column(s.gates, this->weight_ih, x.col(0));
    self.forward_gates(s.gates, s.h, s.c, s.h, s.c, s.aux, s.scratch);
    ++s.steps;
  }

 private:
  template <class St>
  St make(Index batch) const {
    const Index h = this->hidden_size();
    St s;
    s.h.setZero(h, batch);
    s.c.setZero(HasC ? h : 0, batch);
    s.gates.setZero(G * h, batch);
    s.aux.setZero(h, batch);
    s.scratch.setZero(G * h, batch);
    return s;
  }
};

}  // namespace recur
