// How a parent vector is composed from its two children c = [a; b] (2d values), before the
// nonlinearity: z = W c + bias + extra(c). The extra term is the policy:
//  * PlainComposition: nothing (the recursive neural network, Socher et al. 2011);
//  * TensorComposition: z_k += c^T V_k c for k = 1..d (the recursive neural tensor network,
//    Socher et al. 2013), V stored as one matrix [2d x (2d*d)], slice k = middleCols(k*2d, 2d).
#pragma once

#include <cmath>
#include <string>

#include "recur/core/param.hpp"
#include "recur/core/rng.hpp"
#include "recur/core/types.hpp"

namespace recur::tree {

template <class S>
struct PlainComposition {
  static std::string name() { return "rnn"; }
  void resize(Index /*dim*/, Rng& /*rng*/) {}
  /// z [d] += extra(c), c [2d].
  template <class C, class Z>
  void add_forward(const C& /*c*/, Z& /*z*/) const {}
  /// Given dz [d]: accumulates the policy's gradients and adds d extra / dc to dc [2d].
  template <class C, class DZ, class DC>
  void backward(const C& /*c*/, const DZ& /*dz*/, DC& /*dc*/) {}
  template <class F>
  void for_each_param(F&& /*f*/, const std::string& /*prefix*/) {}
};

template <class S>
struct TensorComposition {
  MatX<S> tensor;       // [2d x 2d*d]
  MatX<S> grad_tensor;  // same

  static std::string name() { return "rntn"; }

  void resize(Index dim, Rng& rng) {
    const Index n = 2 * dim;
    tensor.resize(n, n * dim);
    const double r = 1.0 / (2.0 * static_cast<double>(n));  // small: start close to the plain net
    for (Index j = 0; j < tensor.cols(); ++j)
      for (Index i = 0; i < n; ++i) tensor(i, j) = static_cast<S>(rng.uniform(-r, r));
    grad_tensor.setZero(n, n * dim);
  }

  template <class C, class Z>
  void add_forward(const C& c, Z& z) const {
    const Index n = c.size(), d = z.size();
    for (Index k = 0; k < d; ++k) z(k) += c.dot(tensor.middleCols(k * n, n) * c);
  }

  template <class C, class DZ, class DC>
  void backward(const C& c, const DZ& dz, DC& dc) {
    const Index n = c.size(), d = dz.size();
    const MatX<S> cc = c * c.transpose();  // [2d x 2d]
    for (Index k = 0; k < d; ++k) {
      const auto vk = tensor.middleCols(k * n, n);
      grad_tensor.middleCols(k * n, n) += dz(k) * cc;
      dc += dz(k) * (vk * c + vk.transpose() * c);
    }
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix) {
    auto p = make_param(prefix + "tensor", tensor, grad_tensor, TorchLayout::matrix);
    f(p);
  }
};

}  // namespace recur::tree
