// Gated recurrent unit (Cho et al. 2014) in PyTorch's formulation, where the reset gate
// multiplies the recurrent candidate term including its bias:
//
//   r = gate(W_ir x + b_ir + W_hr h + b_hr)
//   z = gate(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
//   h' = (1 - z) * n + z * h
//
// Backward, for the gradient dh' flowing into h' (hn = W_hn h + b_hn, kept from forward):
//   dn = dh' (1 - z) (1 - n^2)      dz = dh' (h - n) gate'(z)      dr = dn * hn * gate'(r)
//   input side:   d[W_i x + b_i] = [dr; dz; dn]
//   hidden side:  d[W_h h + b_h] = [dr; dz; dn * r]
//   h gradient to the previous step: dh' z + W_hh^T [dr; dz; dn * r]
#pragma once

#include <string>

#include "recur/cell/state.hpp"
#include "recur/cell/weights.hpp"
#include "recur/core/activation.hpp"

namespace recur {

/// GRU cell; see LSTM for the size and Gate parameters.
template <class S, int I = Dynamic, int H = Dynamic, class Gate = Sigmoid>
class GRU : public CellBase<GRU<S, I, H, Gate>, S, I, H, 3, false> {
  using Base = CellBase<GRU<S, I, H, Gate>, S, I, H, 3, false>;

 public:
  using Base::bias_hh;
  using Base::bias_ih;
  using Base::GH;
  using Base::weight_hh;
  using Base::weight_ih;
  using typename Base::State;
  using typename Base::StreamState;
  static constexpr bool has_aux = true;                 // keeps hn = W_hn h + b_hn per step
  static constexpr bool separate_hidden_grad = true;    // the n block differs between the sides
  static constexpr bool recurrent_into_scratch = true;  // W_hh h is kept apart (r scales part of it)
  static constexpr const char* kind = "gru";

  Gate gate;

  explicit GRU(Rng& rng = global_rng()) : GRU(I, H, rng) {}
  GRU(Index input, Index hidden, Rng& rng = global_rng()) { this->resize(input, hidden, rng); }

  std::string describe() const {
    return std::string("GRU(input=") + std::to_string(this->input_size()) +
           ", hidden=" + std::to_string(this->hidden_size()) + ", gate=" + gate.name() + ")";
  }

  /// b_ih, plus b_hr and b_hz (b_hn stays inside the reset gate's product).
  template <class M>
  void add_input_bias(M&& gx) const {
    const Index n = this->hidden_size();
    gx.colwise() += bias_ih;
    gx.topRows(2 * n).colwise() += bias_hh.head(2 * n);
  }

  /// `g` [3H x B]: W_ih x + input biases on entry, activated [r; z; n] on exit. `scratch`
  /// [3H x B] holds the recurrent product W_hh h on entry; aux [H x B] receives hn.
  template <class G, class HP, class CP, class HO, class CO, class AX, class SC>
  void forward_gates(G&& g, const HP& h_prev, const CP& /*c_prev*/, HO&& h, CO&& /*c*/, AX&& aux, SC&& scratch) const {
    const Index n = this->hidden_size();
    auto rz = g.topRows(2 * n);
    rz += scratch.topRows(2 * n);
    gate.apply(rz);
    auto r = g.template middleRows<H>(0, n);
    auto z = g.template middleRows<H>(n, n);
    auto nn = g.template middleRows<H>(2 * n, n);
    aux = scratch.template middleRows<H>(2 * n, n);
    aux.colwise() += bias_hh.template segment<H>(2 * n, n);
    nn.array() += r.array() * aux.array();
    Tanh().apply(nn);
    h.array() = (S(1) - z.array()) * nn.array() + z.array() * h_prev.array();
  }

  /// dh [H x B] flows into h'. Writes dgx, dgh [3H x B] and the direct part of dh_prev
  /// (dh z); the caller adds W_hh^T dgh. dc is unused.
  template <class DH, class DC, class G, class HP, class CP, class C, class AX, class DGX, class DGH, class DHP,
            class DCP>
  void backward_gates(const DH& dh, const DC& /*dc*/, const G& g, const HP& h_prev, const CP& /*c_prev*/,
                      const C& /*c*/, const AX& aux, DGX&& dgx, DGH&& dgh, DHP&& dh_prev, DCP&& /*dc_prev*/) const {
    const Index n = this->hidden_size();
    const auto r = g.template middleRows<H>(0, n);
    const auto z = g.template middleRows<H>(n, n);
    const auto nn = g.template middleRows<H>(2 * n, n);
    auto dr = dgx.template middleRows<H>(0, n);
    auto dz = dgx.template middleRows<H>(n, n);
    auto dn = dgx.template middleRows<H>(2 * n, n);
    dn.array() = dh.array() * (S(1) - z.array()) * (S(1) - nn.array().square());
    dz.array() = dh.array() * (h_prev.array() - nn.array()) * gate.derivative(z);
    dr.array() = dn.array() * aux.array() * gate.derivative(r);
    dgh.topRows(2 * n) = dgx.topRows(2 * n);
    dgh.template middleRows<H>(2 * n, n).array() = dn.array() * r.array();
    dh_prev.array() = dh.array() * z.array();
  }
};

}  // namespace recur
