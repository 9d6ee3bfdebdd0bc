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
  /// z [d x n] += extra(c) for the n columns of c [2d x n]; `cache` keeps what backward needs.
  void add_forward(const MatX<S>& /*c*/, MatX<S>& /*z*/, MatX<S>& /*cache*/) const {}
  /// Given dz [d x n]: adds d extra / dc to dc [2d x n].
  void backward(const MatX<S>& /*c*/, const MatX<S>& /*dz*/, const MatX<S>& /*cache*/, MatX<S>& /*dc*/) const {}
  /// Accumulates the policy's parameter gradients over all nodes at once (c [2d x M], dz [d x M]).
  void accumulate(const MatX<S>& /*c*/, const MatX<S>& /*dz*/) {}
  template <class F>
  void for_each_param(F&& /*f*/, const std::string& /*prefix*/) {}
};

/// Every operation is a matrix product over all n nodes of a level at once:
///   U = V^T C        [2d*d x n], block k = V_k^T C, so z_k = colsum(C .* U_k)   (c^T V_k^T c = c^T V_k c)
///   Y_k = C .* dz_k  [2d*d x n], so sum_k V_k dz_k c = V Y and dV = C Y^T
///   sum_k dz_k V_k^T c = sum_k U_k .* dz_k
template <class S>
struct TensorComposition {
  MatX<S> tensor;       // V [2d x 2d*d], V_k = middleCols(k*2d, 2d)
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

  void add_forward(const MatX<S>& c, MatX<S>& z, MatX<S>& u) const {
    const Index n = c.rows(), d = z.rows();
    u.noalias() = tensor.transpose() * c;  // [2d*d x cols]
    for (Index k = 0; k < d; ++k) z.row(k) += (c.array() * u.middleRows(k * n, n).array()).colwise().sum().matrix();
  }

  void backward(const MatX<S>& c, const MatX<S>& dz, const MatX<S>& u, MatX<S>& dc) const {
    const Index d = dz.rows();
    for (Index k = 0; k < d; ++k)
      dc.array() += u.middleRows(k * c.rows(), c.rows()).array().rowwise() * dz.row(k).array();
    dc.noalias() += tensor * products(c, dz);
  }

  /// dV = C Y^T over every node of the forest in one product.
  void accumulate(const MatX<S>& c, const MatX<S>& dz) { grad_tensor.noalias() += c * products(c, dz).transpose(); }

  /// Y [2d*d x n], block k = C .* dz_k.
  static MatX<S> products(const MatX<S>& c, const MatX<S>& dz) {
    const Index n = c.rows(), d = dz.rows();
    MatX<S> y(n * d, c.cols());
    for (Index k = 0; k < d; ++k) y.middleRows(k * n, n) = (c.array().rowwise() * dz.row(k).array()).matrix();
    return y;
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix) {
    auto p = make_param(prefix + "tensor", tensor, grad_tensor, TorchLayout::matrix);
    f(p);
  }
};

}  // namespace recur::tree
