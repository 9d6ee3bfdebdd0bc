// A read-only copy of a cell for streaming inference, with W_hh in the layout a one-column
// product reads fastest.
//
// Why a copy and not a cache inside the cell: above H = 32 a streaming step is bound by how fast
// W_hh [G*H x H] comes in from the L2 cache, and with the packed layout (core/matrix_vector.hpp,
// RowPanels) a step at H = 64-128 took 1.3-1.9x less time than with the plain column-major
// matrix (LSTM and GRU, compile-time sizes, 2026-11-28). A cache inside the cell
// could silently go stale when someone writes `cell.weight_hh` directly; a copy made on purpose
// has one clear rule: it holds the weights as they were when it was made, like a model exported
// for deployment. Every stream state it makes may share it, from any number of threads.
#pragma once

#include <cstddef>

#include "recur/cell/weights.hpp"
#include "recur/core/matrix_vector.hpp"
#include "recur/core/types.hpp"

namespace recur {

/// Streaming inference with a snapshot of `Cell` (Elman, LSTM or GRU): `StreamingCell<C>
/// fast(cell); auto s = fast.zero_stream_state(); fast.step(x, s);`. Gives the results of
/// `cell.step(x, s)`, up to rounding once W_hh is packed (its sums then run in blocks of
/// another height). Make it after training or loading; later changes to the cell do not reach
/// it (make a new one).
template <class Cell>
class StreamingCell {
 public:
  using Scalar = typename Cell::Scalar;
  using State = typename Cell::StreamState;

  explicit StreamingCell(const Cell& cell) : cell_(cell) {
    if (std::size_t(cell.weight_hh.size()) * sizeof(Scalar) > pack_above_bytes) weight_hh_.pack(cell.weight_hh);
  }

  /// W_hh is packed when it is larger than this: half the L1 data cache of this project's
  /// machine (48 KB). Below, it is read from the L1 cache anyway, and the cell's own product,
  /// which knows compile-time sizes, is faster (LSTM at H = 32: 115 against 134 ns per step).
  static constexpr std::size_t pack_above_bytes = 24 * 1024;
  /// Whether step() reads the packed copy of W_hh (else the cell copy's own W_hh).
  bool packed() const { return weight_hh_.rows() > 0; }

  /// Zero state for one stream, with the workspace step() needs (named as the cell's, so that
  /// streaming code takes either).
  State zero_stream_state() const { return cell_.zero_stream_state(); }

  /// One step of x [I x 1] from `s`, updated in place; returns the new hidden state [H x 1].
  /// Const and allocation-free: threads may share one StreamingCell, each with its own state.
  template <class X>
  const auto& step(const Eigen::MatrixBase<X>& x, State& s) const {
    cell_.check_step(x, s);
    if (!packed()) {
      cell_.stream_step(x, s, [this](auto& y, const auto& h) { detail::multiply_add_column(y, cell_.weight_hh, h); });
      return s.h;
    }
    // Every other step reads W_hh backwards, starting where the last step ended (RowPanels).
    const bool backwards = s.steps % 2 == 1;
    cell_.stream_step(x, s, [&](auto& y, const auto& h) { weight_hh_.multiply_add(y, h, backwards); });
    return s.h;
  }

  /// The copy of the cell this was made from (its weight_hh is the unpacked original).
  const Cell& cell() const { return cell_; }
  Index input_size() const { return cell_.input_size(); }
  Index hidden_size() const { return cell_.hidden_size(); }

 private:
  Cell cell_;                            // weights and gate maths, as they were when copied
  detail::RowPanels<Scalar> weight_hh_;  // [G*H x H], packed; empty if small (packed())
};

}  // namespace recur
