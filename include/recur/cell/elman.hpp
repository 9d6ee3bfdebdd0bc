// Elman (simple recurrent) cell, PyTorch's nn.RNN:
//
//   h' = phi(W_ih x + b_ih + W_hh h + b_hh)
//
// Backward: d[pre] = dh' * phi'(h');  h gradient to the previous step: W_hh^T d[pre].
// Without gates its gradients vanish or explode over long sequences: see the training tests.
#pragma once

#include <string>

#include "recur/cell/state.hpp"
#include "recur/cell/weights.hpp"
#include "recur/core/activation.hpp"

namespace recur {

/// Elman cell with activation policy Phi (Tanh, ReLU, Sigmoid, SteepSigmoid, Identity, ...).
template <class S, int I = Dynamic, int H = Dynamic, class Phi = Tanh>
class Elman : public CellBase<Elman<S, I, H, Phi>, S, I, H, 1, false> {
  using Base = CellBase<Elman<S, I, H, Phi>, S, I, H, 1, false>;

 public:
  using Base::bias_hh;
  using Base::bias_ih;
  using Base::GH;
  using Base::weight_hh;
  using Base::weight_ih;
  using typename Base::State;
  using typename Base::StreamState;
  static constexpr bool has_aux = false;
  static constexpr bool separate_hidden_grad = false;
  static constexpr bool recurrent_into_scratch = false;  // W_hh h is added into the gates
  static constexpr const char* kind = "elman";

  Phi phi;

  explicit Elman(Rng& rng = global_rng()) : Elman(I, H, rng) {}
  Elman(Index input, Index hidden, Rng& rng = global_rng()) { this->resize(input, hidden, rng); }

  std::string describe() const {
    return std::string("Elman(input=") + std::to_string(this->input_size()) +
           ", hidden=" + std::to_string(this->hidden_size()) + ", phi=" + phi.name() + ")";
  }

  template <class M>
  void add_input_bias(M&& gx) const {
    gx.colwise() += bias_ih + bias_hh;
  }

  /// `g` [H x B]: W_ih x + W_hh h + biases on entry, h' on exit.
  template <class G, class HP, class CP, class HO, class CO, class AX, class SC>
  void forward_gates(G&& g, const HP& /*h_prev*/, const CP& /*c_prev*/, HO&& h, CO&& /*c*/, AX&& /*aux*/,
                     SC&& /*scratch*/) const {
    phi.apply(g);
    h = g;
  }

  template <class DH, class DC, class G, class HP, class CP, class C, class AX, class DGX, class DGH, class DHP,
            class DCP>
  void backward_gates(const DH& dh, const DC& /*dc*/, const G& g, const HP& /*h_prev*/, const CP& /*c_prev*/,
                      const C& /*c*/, const AX& /*aux*/, DGX&& dgx, DGH&& /*dgh*/, DHP&& dh_prev,
                      DCP&& /*dc_prev*/) const {
    dgx.array() = dh.array() * phi.derivative(g);
    dh_prev.setZero();  // all of it goes through W_hh: the caller adds W_hh^T dgx
  }
};

}  // namespace recur
