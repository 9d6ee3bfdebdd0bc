// The state a recurrent cell carries from one step to the next, owned by the caller.
#pragma once

#include "recur/core/types.hpp"

namespace recur {

/// State of a cell for a batch of `Cols` columns (Dynamic for batches, 1 for streaming with
/// compile-time sizes: then nothing here lives on the heap).
/// Only h and c are the state; the rest is workspace so that step() never allocates.
/// CH is the compile-time row count of c: H for LSTM, Dynamic (and empty) for the others.
template <class S, int H, int GH, int Cols, int CH = H>
struct CellState {
  Matrix<S, H, Cols> h;   // [H x B] hidden state, the cell's output
  Matrix<S, CH, Cols> c;  // [H x B] LSTM memory cell; empty (0 rows) for Elman and GRU

  Matrix<S, GH, Cols> gates;    // [G*H x B] workspace
  Matrix<S, H, Cols> aux;       // [H x B] workspace (GRU: W_hn h + b_hn)
  Matrix<S, GH, Cols> scratch;  // [G*H x B] workspace
  Index steps = 0;              // steps since the last reset (StreamingCell reads W_hh in the
                                // opposite order on odd steps)

  /// Back to the zero state (the start of a new sequence).
  void reset() {
    h.setZero();
    c.setZero();
    steps = 0;
  }
  Index batch() const { return h.cols(); }
};

/// Initial or final state of an unrolled layer or stack, in PyTorch's (h_n, c_n) layout:
/// h [H x (L*D*B)] holds block l*D + d (layer l, direction d) of B columns; c likewise for
/// LSTM and is empty otherwise. A single layer has L*D = 1: h [H x B].
template <class S>
struct SequenceState {
  MatX<S> h;  // [H x (L*D*B)]
  MatX<S> c;  // [H x (L*D*B)] or empty
};

}  // namespace recur
