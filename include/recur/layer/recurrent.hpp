// A cell unrolled over time: forward over a sequence batch, backpropagation through time.
//
// Data layout (see docs/design.md): input x [I x (T*B)], step t = middleCols(t*B, B).
// The input projection of all steps is one product before the time loop, the input-weight
// gradients of all steps one product after the backward loop; only W_hh h(t-1) stays inside.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "recur/cell/state.hpp"
#include "recur/core/batch.hpp"
#include "recur/core/column_slices.hpp"
#include "recur/core/error.hpp"
#include "recur/core/huge_pages.hpp"
#include "recur/core/packed_product.hpp"
#include "recur/core/product.hpp"
#include "recur/core/rng.hpp"
#include "recur/core/types.hpp"

namespace recur {

/// One recurrent layer in one direction: PyTorch's nn.RNN / nn.LSTM / nn.GRU with
/// num_layers = 1 (parameter names weight_ih_l0, ...). `reverse` runs it from the last step to
/// the first (the backward half of a bidirectional layer).
template <class Cell>
class Recurrent {
 public:
  using CellType = Cell;
  using Scalar = typename Cell::Scalar;
  using S = Scalar;
  static constexpr int H = Cell::hidden_size_at_compile_time;
  static constexpr int GH = Cell::GH;
  using HMat = Matrix<S, H, Dynamic>;   // [H x n]
  using GMat = Matrix<S, GH, Dynamic>;  // [G*H x n]
  // Matrices a cell may not use have run-time rows, so that they can be empty.
  using CMat = Matrix<S, Cell::has_cell_state ? H : Dynamic, Dynamic>;
  using AMat = Matrix<S, Cell::has_aux ? H : Dynamic, Dynamic>;
  using DGHMat = Matrix<S, Cell::separate_hidden_grad ? GH : Dynamic, Dynamic>;
  using State = SequenceState<S>;

  using InputMap = Eigen::Map<const MatX<S>, 0, Eigen::OuterStride<>>;

  /// Everything backward needs, owned by the caller: the layer keeps no per-call state, so a
  /// const layer can run forward from several threads, each with its own trace.
  /// Move-only: it may point at its own copy of the input.
  struct Trace {
    Trace() = default;
    Trace(Trace&&) noexcept = default;
    Trace& operator=(Trace&&) noexcept = default;
    Trace(const Trace&) = delete;
    Trace& operator=(const Trace&) = delete;

    Batch batch{1};
    Index steps = 0;
    bool reverse = false;
    // The input [I x T*B] for the input-weight gradient. A matrix the caller holds (an lvalue,
    // or a block of one) is referenced, not copied: it must stay alive and unchanged until
    // backward, like a tensor PyTorch saves for backward. Temporaries and expressions are
    // copied into input_copy.
    const S* input_data = nullptr;
    Index input_rows = 0, input_cols = 0, input_stride = 0;
    MatX<S> input_copy;
    InputMap input() const { return InputMap(input_data, input_rows, input_cols, Eigen::OuterStride<>(input_stride)); }
    GMat gates;          // [G*H x T*B] activated gates (no columns after Elman inference)
    HMat h;              // [H x T*B] hidden states (at padding: the state carried through)
    CMat c;              // [H x T*B] LSTM cell states; empty otherwise
    AMat aux;            // [H x T*B] GRU's W_hn h + b_hn; empty otherwise
    HMat padded;         // [H x T*B] h with padding zeroed; only for ragged batches
    State initial;       // h0 [H x B], c0
    State final;         // each sequence's state after its own last step
    State grad_initial;  // set by backward: gradient w.r.t. h0, c0
    // W_hh packed for the step products [G*H x H] (W_hh^T once backward has run), and the
    // products' scratch (one per column slice): kept here so that a trace used call after call
    // packs into the same memory instead of fresh pages.
    detail::PackedMatrix<S> packed_weight_hh;
    std::vector<MatX<S>> packed_scratch;

    /// The layer's output [H x T*B] (zero past each sequence's end).
    const HMat& output() const { return batch.ragged() ? padded : h; }

    /// Bytes of activations the trace owns (a referenced input not counted).
    std::size_t bytes() const {
      return sizeof(S) * static_cast<std::size_t>(gates.size() + h.size() + c.size() + aux.size() + padded.size() +
                                                  input_copy.size());
    }
  };

  explicit Recurrent(Cell cell, bool reverse = false) : cell_(std::move(cell)), reverse_(reverse) {}
  Recurrent(Index input, Index hidden, Rng& rng = global_rng()) : cell_(input, hidden, rng) {}

  Cell& cell() { return cell_; }
  const Cell& cell() const { return cell_; }
  Index input_size() const { return cell_.input_size(); }
  Index hidden_size() const { return cell_.hidden_size(); }
  Index output_size() const { return cell_.hidden_size(); }
  bool reverse() const { return reverse_; }
  void set_reverse(bool r) { reverse_ = r; }

  /// Truncated backpropagation through time: gradients flow back through at most `steps`
  /// recurrent steps, in chunks of `steps` (as detaching the state every `steps` steps in
  /// PyTorch). 0 means full BPTT.
  void set_truncation(Index steps) {
    if (steps < 0) throw value_error("Recurrent::set_truncation: steps must be >= 0");
    truncation_ = steps;
  }
  Index truncation() const { return truncation_; }

  std::string describe() const {
    return std::string("Recurrent(") + cell_.describe() + (reverse_ ? ", reverse" : "") + ")";
  }

  /// Forward over x [I x T*B] keeping the trace. `initial` (h0 [H x B], c0) defaults to zero.
  /// Returns the output [H x T*B]; the final state is trace.final.
  template <class X>
  const HMat& forward(X&& x, const Batch& batch, Trace& tr, const State* initial = nullptr) const {
    const auto& xd = x.derived();  // also unwraps a MatrixBase<...>& passed along by a caller
    using D = std::decay_t<decltype(xd)>;
    // Reference what the caller keeps alive; copy temporaries and expressions.
    constexpr bool plain = std::is_base_of<Eigen::PlainObjectBase<D>, D>::value;
    constexpr bool referable = std::is_same<typename D::Scalar, S>::value && (D::Flags & Eigen::DirectAccessBit) &&
                               !(D::Flags & Eigen::RowMajorBit) && (std::is_lvalue_reference<X>::value || !plain);
    if constexpr (referable) {
      if (xd.innerStride() == 1) {
        run(xd, batch, tr, initial, Keep::reference);
        tr.input_data = xd.data();
        tr.input_stride = xd.outerStride();
        return tr.output();
      }
    }
    run(xd, batch, tr, initial, Keep::copy);
    return tr.output();
  }

  /// Inference without a trace. If `state` is given it is the initial state and receives the
  /// final one (to continue a stream chunk by chunk).
  template <class X>
  HMat predict(const Eigen::MatrixBase<X>& x, const Batch& batch, State* state = nullptr) const {
    Trace tr;
    run(x, batch, tr, state, Keep::nothing);
    if (state) *state = std::move(tr.final);
    return batch.ragged() ? std::move(tr.padded) : std::move(tr.h);
  }

  /// Inference into a trace the caller keeps between calls: a call of the same shape as the
  /// last reuses its buffers (the gates, states and packed W_hh) instead of allocating fresh
  /// pages, which the kernel must map and zero (a server answering request after request).
  /// Returns the output [H x T*B], valid until the workspace is used again (so not as the
  /// input of the next call into the same workspace); the workspace is
  /// not a trace backward accepts. `state` as in predict() above.
  template <class X>
  const HMat& predict(const Eigen::MatrixBase<X>& x, const Batch& batch, Trace& workspace,
                      State* state = nullptr) const {
    run(x, batch, workspace, state, Keep::nothing);
    if (state) *state = workspace.final;
    return workspace.output();
  }

  /// Backpropagation through time. dy [H x T*B] is the gradient of the loss w.r.t. the
  /// output; `grad_final` (dh_n, dc_n) w.r.t. the final state. Accumulates the parameter
  /// gradients (+=), stores the initial-state gradient in tr.grad_initial, returns dx [I x T*B].
  template <class DY>
  MatX<S> backward(Trace& tr, const Eigen::MatrixBase<DY>& dy, const State* grad_final = nullptr) {
    const Index n = hidden_size(), B = tr.batch.size(), T = tr.steps;
    check_trace(tr);
    detail::check_shape(dy, n, T * B, "Recurrent::backward dy");
    if (grad_final) {
      detail::check_shape(grad_final->h, n, B, "Recurrent::backward grad_final.h");
      if (Cell::has_cell_state) detail::check_shape(grad_final->c, n, B, "Recurrent::backward grad_final.c");
    }
    GMat dgx(tr.gates.rows(), T * B);  // [G*H x T*B] pre-activation gradients of every step
    DGHMat dgh(Cell::separate_hidden_grad ? dgx.rows() : 0, Cell::separate_hidden_grad ? T * B : 0);
    detail::advise_huge_pages(dgx);
    detail::advise_huge_pages(dgh);
    // W_hh^T [H x G*H], packed once for all steps into the memory forward packed W_hh in (no
    // longer needed: the next forward packs again), so a trace used call after call reuses it.
    detail::PackedMatrix<S>& w_hh_t = tr.packed_weight_hh;
    w_hh_t.pack(cell_.weight_hh.transpose(), B);
    tr.grad_initial.h.resize(n, B);
    tr.grad_initial.c.resize(Cell::has_cell_state ? n : 0, B);
    detail::ColumnSlices(B).run(
        [&](int, Index first, Index width) { backward_columns(tr, dy, grad_final, w_hh_t, dgx, dgh, first, width); });

    // Parameter gradients for all steps at once.
    detail::multiply_add(cell_.grad_weight_ih, dgx, tr.input().transpose());
    cell_.grad_bias_ih += dgx.rowwise().sum();
    if constexpr (Cell::separate_hidden_grad)
      hidden_side(tr, dgh);
    else
      hidden_side(tr, dgx);
    MatX<S> dx(input_size(), T * B);  // [I x T*B]
    detail::advise_huge_pages(dx);
    detail::multiply(dx, cell_.weight_ih.transpose(), dgx);
    return dx;
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    cell_.for_each_param(f, prefix, "_l0");
  }

 private:
  /// Gradients of W_hh and b_hh from the hidden-side pre-activation gradients of all steps.
  template <class DG>
  void hidden_side(const Trace& tr, const DG& dg) {
    const Index B = tr.batch.size(), T = tr.steps;
    cell_.grad_bias_hh += dg.rowwise().sum();
    // W_hh sees h(prev of t) at every step t: shifted by one step, h0 at the first.
    const Index first = time_of(0, T) * B;
    if (T > 1) {
      if (!reverse_)
        detail::multiply_add(cell_.grad_weight_hh, dg.rightCols((T - 1) * B), tr.h.leftCols((T - 1) * B).transpose());
      else
        detail::multiply_add(cell_.grad_weight_hh, dg.leftCols((T - 1) * B), tr.h.rightCols((T - 1) * B).transpose());
    }
    detail::multiply_add(cell_.grad_weight_hh, dg.middleCols(first, B), tr.initial.h.transpose());
  }

  Index time_of(Index s, Index steps) const { return reverse_ ? steps - 1 - s : s; }

  /// A trace must come from a completed forward() of a layer of this shape and direction:
  /// anything else would read outside its matrices.
  void check_trace(const Trace& tr) const {
    const Index n = hidden_size(), B = tr.batch.size(), T = tr.steps, cols = T * B;
    const bool ok = T > 0 && tr.input_data && tr.input_rows == input_size() && tr.input_cols == cols &&
                    tr.reverse == reverse_ && tr.gates.rows() == Cell::gates * n && tr.gates.cols() == cols &&
                    tr.h.rows() == n && tr.h.cols() == cols && tr.c.cols() == cols && tr.aux.cols() == cols &&
                    tr.c.rows() == (Cell::has_cell_state ? n : 0) && tr.aux.rows() == (Cell::has_aux ? n : 0) &&
                    tr.initial.h.rows() == n && tr.initial.h.cols() == B && tr.initial.c.cols() == B;
    if (!ok)
      throw value_error("Recurrent::backward: the trace was not made by a completed forward() of this layer (" +
                        describe() + ")");
  }

  enum class Keep { reference, copy, nothing };

  template <class X>
  void run(const Eigen::MatrixBase<X>& x, const Batch& batch, Trace& tr, const State* initial, Keep keep) const {
    const Index n = hidden_size(), B = batch.size();
    // Every check first: a trace is only written once the call cannot fail.
    detail::check_rows(x, input_size(), "Recurrent::forward input");
    const Index T = batch.steps(x, "Recurrent::forward input");
    if (T == 0) throw shape_error("Recurrent::forward input: the sequence batch has no steps (0 columns)");
    detail::check_finite_steps(x, B, "Recurrent::forward input");
    if (initial) {
      detail::check_shape(initial->h, n, B, "Recurrent::forward initial state h");
      detail::check_finite(initial->h, "Recurrent::forward initial state h");
      if (Cell::has_cell_state) {
        detail::check_shape(initial->c, n, B, "Recurrent::forward initial state c");
        detail::check_finite(initial->c, "Recurrent::forward initial state c");
      }
    }
    tr.steps = 0;  // not a valid trace until the end of this function
    tr.batch = batch;
    tr.reverse = reverse_;
    if (initial) {
      tr.initial.h = initial->h;
      if (Cell::has_cell_state)
        tr.initial.c = initial->c;
      else
        tr.initial.c.resize(0, B);
    } else {
      tr.initial.h.setZero(n, B);
      tr.initial.c.setZero(Cell::has_cell_state ? n : 0, B);
    }
    tr.input_data = nullptr;
    tr.input_rows = x.rows();
    tr.input_cols = x.cols();
    tr.input_stride = x.rows();
    if (keep == Keep::copy) {
      tr.input_copy = x;
      tr.input_data = tr.input_copy.data();
    } else {
      tr.input_copy.resize(0, 0);
    }

    // Elman's activated gates are its output (h = phi(g)): with no trace to keep, the input
    // projections go straight into tr.h and each step activates its columns in place, one
    // buffer [H x T*B] instead of two (half the fresh memory of an inference call).
    const bool gates_in_h = Cell::gates == 1 && keep == Keep::nothing;
    tr.gates.resize(cell_.weight_ih.rows(), gates_in_h ? 0 : x.cols());  // rows may be fixed
    tr.h.resize(n, T * B);
    tr.c.resize(Cell::has_cell_state ? n : 0, T * B);
    tr.aux.resize(Cell::has_aux ? n : 0, T * B);
    detail::advise_huge_pages(tr.gates);
    detail::advise_huge_pages(tr.h);
    detail::advise_huge_pages(tr.c);
    detail::advise_huge_pages(tr.aux);
    GMat& gates = gates_of(tr, gates_in_h);  // [G*H x T*B]: all input projections at once
    detail::multiply(gates, cell_.weight_ih, x);
    cell_.add_input_bias(gates);
    detail::PackedMatrix<S>& w_hh = tr.packed_weight_hh;  // W_hh [G*H x H], packed once for all steps
    w_hh.pack(cell_.weight_hh, B);
    const detail::ColumnSlices slices(B);
    tr.packed_scratch.resize(static_cast<std::size_t>(slices.count()));
    for (auto& work : tr.packed_scratch) w_hh.size_workspace(work);
    slices.run([&](int k, Index first, Index width) {
      forward_columns(tr, gates, T, first, width, tr.packed_scratch[static_cast<std::size_t>(k)]);
    });
    tr.steps = T;
    const Index last = time_of(T - 1, T) * B;
    tr.final.h = tr.h.middleCols(last, B);
    tr.final.c = tr.c.middleCols(last, B);
    if (batch.ragged()) {
      tr.padded = tr.h;
      for (Index t = 0; t < T; ++t)
        for (Index b = 0; b < B; ++b)
          if (!batch.active(t, b)) tr.padded.col(t * B + b).setZero();
    }
  }

  /// Where run() keeps the gates: tr.gates, or for Elman inference tr.h itself (see run()).
  GMat& gates_of(Trace& tr, bool gates_in_h) const {
    if constexpr (Cell::gates == 1) {
      return gates_in_h ? tr.h : tr.gates;  // the same type: G*H = H
    } else {
      (void)gates_in_h;
      return tr.gates;
    }
  }

  /// The time loop of run() over the batch columns [first, first + width): the input
  /// projections are in `gates` already (tr.gates or tr.h), W_hh is packed in
  /// tr.packed_weight_hh.
  void forward_columns(Trace& tr, GMat& gates, Index T, Index first, Index width, MatX<S>& work) const {
    const Index B = tr.batch.size();
    const detail::PackedMatrix<S>& w_hh = tr.packed_weight_hh;
    GMat scratch(gates.rows(), Cell::recurrent_into_scratch ? width : 0);
    for (Index s = 0; s < T; ++s) {
      const Index t = time_of(s, T), col = t * B + first;
      auto body = [&](const auto& h_prev, const auto& c_prev) {
        auto g = gates.middleCols(col, width);
        if constexpr (Cell::recurrent_into_scratch) {
          scratch.setZero();
          w_hh.multiply_add(scratch, cell_.weight_hh, h_prev, work);
        } else {
          w_hh.multiply_add(g, cell_.weight_hh, h_prev, work);
        }
        cell_.forward_gates(g, h_prev, c_prev, tr.h.middleCols(col, width), tr.c.middleCols(col, width),
                            tr.aux.middleCols(col, width), scratch);
        if (tr.batch.ragged())  // padding carries the previous state unchanged
          for (Index b = 0; b < width; ++b)
            if (!tr.batch.active(t, first + b)) {
              tr.h.col(col + b) = h_prev.col(b);
              if (Cell::has_cell_state) tr.c.col(col + b) = c_prev.col(b);
            }
      };
      if (s == 0)
        body(tr.initial.h.middleCols(first, width), tr.initial.c.middleCols(first, width));
      else {
        const Index pc = time_of(s - 1, T) * B + first;
        body(tr.h.middleCols(pc, width), tr.c.middleCols(pc, width));
      }
    }
  }

  /// The time loop of backward() over the batch columns [first, first + width): writes their
  /// columns of dgx and dgh (the pre-activation gradients of every step) and of
  /// tr.grad_initial.
  template <class DY>
  void backward_columns(Trace& tr, const DY& dy, const State* grad_final, const detail::PackedMatrix<S>& w_hh_t,
                        GMat& dgx, DGHMat& dgh, Index first, Index width) const {
    const Index n = hidden_size(), B = tr.batch.size(), T = tr.steps;
    HMat carry_h = HMat::Zero(n, width);  // gradient w.r.t. the state entering the next step
    CMat carry_c = CMat::Zero(Cell::has_cell_state ? n : 0, width);
    if (grad_final) {
      carry_h = grad_final->h.middleCols(first, width);
      if (Cell::has_cell_state) carry_c = grad_final->c.middleCols(first, width);
    }
    HMat dh(n, width), dh_prev(n, width);
    CMat dc_prev(carry_c.rows(), width);
    MatX<S> work = w_hh_t.workspace();

    for (Index s = T - 1; s >= 0; --s) {
      const Index t = time_of(s, T), col = t * B + first;
      dh = dy.middleCols(col, width) + carry_h;
      auto body = [&](const auto& h_prev, const auto& c_prev) {
        auto dg = dgx.middleCols(col, width);
        auto dg_h = dgh.middleCols(Cell::separate_hidden_grad ? col : 0, Cell::separate_hidden_grad ? width : 0);
        cell_.backward_gates(dh, carry_c, tr.gates.middleCols(col, width), h_prev, c_prev, tr.c.middleCols(col, width),
                             tr.aux.middleCols(col, width), dg, dg_h, dh_prev, dc_prev);
        if constexpr (Cell::separate_hidden_grad)
          w_hh_t.multiply_add(dh_prev, cell_.weight_hh.transpose(), dg_h, work);
        else
          w_hh_t.multiply_add(dh_prev, cell_.weight_hh.transpose(), dg, work);
      };
      if (s == 0)
        body(tr.initial.h.middleCols(first, width), tr.initial.c.middleCols(first, width));
      else {
        const Index pc = time_of(s - 1, T) * B + first;
        body(tr.h.middleCols(pc, width), tr.c.middleCols(pc, width));
      }
      if (tr.batch.ragged())  // padding: no gradient into the gates, the state passes through
        for (Index b = 0; b < width; ++b)
          if (!tr.batch.active(t, first + b)) {
            dgx.col(col + b).setZero();
            if (Cell::separate_hidden_grad) dgh.col(col + b).setZero();
            dh_prev.col(b) = carry_h.col(b);
            if (Cell::has_cell_state) dc_prev.col(b) = carry_c.col(b);
          }
      if (truncation_ > 0 && s > 0 && s % truncation_ == 0) {  // chunk boundary: cut the chain
        dh_prev.setZero();
        dc_prev.setZero();
      }
      std::swap(carry_h, dh_prev);
      std::swap(carry_c, dc_prev);
    }
    tr.grad_initial.h.middleCols(first, width) = carry_h;
    tr.grad_initial.c.middleCols(first, width) = carry_c;
  }

  Cell cell_;
  bool reverse_ = false;
  Index truncation_ = 0;
};

}  // namespace recur
