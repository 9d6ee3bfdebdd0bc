// How a parent vector is composed from its two children c = [a; b] (2d values), before the
// nonlinearity: z = W c + bias + extra(c). The extra term is the policy:
//  * PlainComposition: nothing (the recursive neural network, Socher et al. 2011);
//  * TensorComposition: z_k += c^T V_k c for k = 1..d (the recursive neural tensor network,
//    Socher et al. 2013), each symmetric slice V_k [2d x 2d] stored as its upper triangle.
#pragma once

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

/// Only the symmetric part of a slice V_k matters (c^T V_k c = c^T V_k^T c), so each slice is
/// kept as its upper triangle, and the layer becomes one matrix product over the quadratic
/// features of the children: with q(c) = (c_i c_j for i <= j, doubled off the diagonal)
/// [P = m(m+1)/2, m = 2d] and row k of U holding V_k's upper triangle (row by row),
///   z += U Q^T           U [d x P], Q [n x P] the features of the n nodes of a level
///   dQ = dz^T U, then dc from dQ by the product rule;  dU = dz Q over the whole forest.
/// Half the multiply-adds of full slices, and they are matrix products (Socher et al.'s V[1:d]
/// is U unpacked into symmetric slices: the same function class). Inside, nodes are rows, so the
/// elementwise work on each of the P pairs runs over a vector of all the level's nodes.
template <class S>
struct TensorComposition {
  MatX<S> tensor;       // U [d x P]
  MatX<S> grad_tensor;  // same

  static std::string name() { return "rntn"; }

  /// The entry of U's row for V_k(i, j) = V_k(j, i), i <= j < m.
  static Index packed_index(Index i, Index j, Index m) { return i * m - i * (i - 1) / 2 + (j - i); }

  void resize(Index dim, Rng& rng) {
    const Index m = 2 * dim;
    tensor.resize(dim, m * (m + 1) / 2);
    const double r = 1.0 / (2.0 * static_cast<double>(m));  // small: start close to the plain net
    for (Index j = 0; j < tensor.cols(); ++j)
      for (Index i = 0; i < dim; ++i) tensor(i, j) = static_cast<S>(rng.uniform(-r, r));
    grad_tensor.setZero(dim, tensor.cols());
  }

  /// The full slice V_k [m x m] (symmetric), as in the paper's formula.
  MatX<S> slice(Index k) const {
    const Index m = 2 * tensor.rows();
    MatX<S> v(m, m);
    for (Index i = 0; i < m; ++i)
      for (Index j = i; j < m; ++j) v(i, j) = v(j, i) = tensor(k, packed_index(i, j, m));
    return v;
  }

  void add_forward(const MatX<S>& c, MatX<S>& z, MatX<S>& q) const {
    quadratic(c, q);
    const MatX<S> zt = q * tensor.transpose();  // [n x d]: many rows suit the product kernel better than d
    z += zt.transpose();
  }

  void backward(const MatX<S>& c, const MatX<S>& dz, const MatX<S>& /*q*/, MatX<S>& dc) const {
    const Index m = c.rows();
    const MatX<S> ct = c.transpose();            // [n x m]
    const MatX<S> dq = dz.transpose() * tensor;  // [n x P]
    MatX<S> half = MatX<S>::Zero(c.cols(), m);   // dc^T / 2
    // q_ii = c_i^2 and q_ij = 2 c_i c_j (j > i): dc_i += 2 dq_ii c_i + 2 sum_j dq_ij c_j, dc_j += 2 dq_ij c_i.
    Index p = 0;
    for (Index i = 0; i < m; ++i) {
      const Index r = m - i - 1;  // pairs (i, j > i) are the next r columns of dq
      const auto pairs = dq.middleCols(p + 1, r).array();
      half.col(i).array() += dq.col(p).array() * ct.col(i).array() + (pairs * ct.rightCols(r).array()).rowwise().sum();
      half.rightCols(r).array() += pairs.colwise() * ct.col(i).array();
      p += r + 1;
    }
    dc += S(2) * half.transpose();
  }

  /// dU = dZ Q over every node of the forest in one product (Q recomputed: cheaper than
  /// keeping every level's).
  void accumulate(const MatX<S>& c, const MatX<S>& dz) {
    MatX<S> q;
    quadratic(c, q);
    const MatX<S> gt = q.transpose() * dz.transpose();  // [P x d]
    grad_tensor += gt.transpose();
  }

  /// Q [n x P], the quadratic features of each column of c [m x n], one row per node.
  static void quadratic(const MatX<S>& c, MatX<S>& q) {
    const Index m = c.rows();
    const MatX<S> ct = c.transpose(), twice = S(2) * ct;  // [n x m]
    q.resize(c.cols(), m * (m + 1) / 2);
    Index p = 0;
    for (Index i = 0; i < m; ++i) {
      const Index r = m - i - 1;
      q.col(p) = ct.col(i).cwiseAbs2();
      q.middleCols(p + 1, r).array() = ct.rightCols(r).array().colwise() * twice.col(i).array();
      p += r + 1;
    }
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix) {
    auto p = make_param(prefix + "tensor_upper", tensor, grad_tensor, TorchLayout::matrix);
    f(p);
  }
};

}  // namespace recur::tree
