// Long short-term memory cell (Hochreiter & Schmidhuber 1997) in PyTorch's formulation:
//
//   [i; f; g; o] = W_ih x + b_ih + W_hh h + b_hh        gates stacked in PyTorch's order i, f, g, o
//   i = gate(i)  f = gate(f)  g = tanh(g)  o = gate(o)
//   c' = f * c + i * g
//   h' = o * tanh(c')
//
// Backward, for the gradients dh' and dc' flowing into h' and c':
//   dc  = dc' + dh' * o * (1 - tanh(c')^2)        (total gradient at c')
//   do  = dh' * tanh(c') * gate'(o)
//   di  = dc * g * gate'(i)     df = dc * c * gate'(f)     dg = dc * i * (1 - g^2)
//   c gradient to the previous step: dc * f;  h gradient to the previous step: W_hh^T [di; df; dg; do]
#pragma once

#include <string>

#include "recur/cell/state.hpp"
#include "recur/cell/weights.hpp"
#include "recur/core/activation.hpp"

namespace recur {

/// LSTM cell. `LSTM<float>` has run-time sizes; `LSTM<float, 1, 16>` has compile-time sizes and
/// never allocates in step(). Gate is the activation of i, f and o (Sigmoid, SteepSigmoid,
/// HardSigmoid); the candidate and the output squashing are tanh, as in PyTorch.
template <class S, int I = Dynamic, int H = Dynamic, class Gate = Sigmoid>
class LSTM : public CellBase<LSTM<S, I, H, Gate>, S, I, H, 4, true> {
  using Base = CellBase<LSTM<S, I, H, Gate>, S, I, H, 4, true>;

 public:
  using Base::bias_hh;
  using Base::bias_ih;
  using Base::GH;
  using Base::weight_hh;
  using Base::weight_ih;
  using typename Base::State;
  using typename Base::StreamState;
  static constexpr bool has_aux = false;  // keeps nothing else per step
  static constexpr bool separate_hidden_grad = false;
  static constexpr bool recurrent_into_scratch = false;  // W_hh h is added into the gates
  static constexpr const char* kind = "lstm";

  Gate gate;  ///< gate activation, with its slope where it has one

  /// Compile-time sizes only.
  explicit LSTM(Rng& rng = global_rng()) : LSTM(I, H, rng) {}
  LSTM(Index input, Index hidden, Rng& rng = global_rng()) { this->resize(input, hidden, rng); }

  /// Sets the forget-gate bias (the usual trick of 1.0 helps remembering early in training);
  /// PyTorch's two biases sum, so bias_ih takes the value and bias_hh zero.
  void set_forget_bias(S value) {
    const Index h = this->hidden_size();
    bias_ih.segment(h, h).setConstant(value);
    bias_hh.segment(h, h).setZero();
  }

  std::string describe() const {
    return std::string("LSTM(input=") + std::to_string(this->input_size()) +
           ", hidden=" + std::to_string(this->hidden_size()) + ", gate=" + gate.name() + ")";
  }

  /// Adds the biases that belong to the input projection, to every column of gx [4H x n].
  template <class M>
  void add_input_bias(M&& gx) const {
    gx.colwise() += bias_ih + bias_hh;
  }

  /// One step for a block of B columns, after the recurrent product: `g` [4H x B] holds
  /// W_ih x + W_hh h + biases on entry and the activated gates on exit (what backward needs).
  /// aux and scratch are unused.
  template <class G, class HP, class CP, class HO, class CO, class AX, class SC>
  void forward_gates(G&& g, const HP& /*h_prev*/, const CP& c_prev, HO&& h, CO&& c, AX&& /*aux*/,
                     SC&& /*scratch*/) const {
    const Index n = this->hidden_size();
    auto i = g.template middleRows<H>(0, n);
    auto f = g.template middleRows<H>(n, n);
    auto gg = g.template middleRows<H>(2 * n, n);
    auto o = g.template middleRows<H>(3 * n, n);
    gate.apply(g.template middleRows<times(2, H)>(0, 2 * n));  // i and f are adjacent: one pass
    Tanh().apply(gg);
    gate.apply(o);
    c.array() = f.array() * c_prev.array() + i.array() * gg.array();
    h = c;
    Tanh().apply(h);  // in place, so a short stream's tanh runs on packets too
    h.array() *= o.array();
  }

  /// Gradients of one step. dh, dc [H x B]: gradients flowing into h' and c'. Writes dgx
  /// [4H x B] (pre-activation gradients; the same serve the hidden side) and dc_prev, and sets
  /// dh_prev to the part that does not go through W_hh (none for LSTM); the caller adds
  /// W_hh^T dgx. dc_prev may alias dc.
  template <class DH, class DC, class G, class HP, class CP, class C, class AX, class DGX, class DGH, class DHP,
            class DCP>
  void backward_gates(const DH& dh, const DC& dc, const G& g, const HP& /*h_prev*/, const CP& c_prev, const C& c,
                      const AX& /*aux*/, DGX&& dgx, DGH&& /*dgh*/, DHP&& dh_prev, DCP&& dc_prev) const {
    const Index n = this->hidden_size();
    const auto i = g.template middleRows<H>(0, n).array();
    const auto f = g.template middleRows<H>(n, n).array();
    const auto gg = g.template middleRows<H>(2 * n, n).array();
    const auto o = g.template middleRows<H>(3 * n, n);
    auto di = dgx.template middleRows<H>(0, n);
    auto df = dgx.template middleRows<H>(n, n);
    auto dg = dgx.template middleRows<H>(2 * n, n);
    auto d_o = dgx.template middleRows<H>(3 * n, n);
    d_o.array() = c.array().tanh();  // tanh(c'), kept in d_o's rows until used
    dc_prev.array() = dc.array() + dh.array() * o.array() * (S(1) - d_o.array().square());
    d_o.array() = dh.array() * d_o.array() * gate.derivative(o);
    di.array() = dc_prev.array() * gg * gate.derivative(g.template middleRows<H>(0, n));
    df.array() = dc_prev.array() * c_prev.array() * gate.derivative(g.template middleRows<H>(n, n));
    dg.array() = dc_prev.array() * i * (S(1) - gg.square());
    dc_prev.array() *= f;
    dh_prev.setZero();
  }
};

}  // namespace recur
