// Weight initialisers. Each fills a matrix in place from a recur::Rng.
#pragma once

#include <cmath>

#include "recur/core/rng.hpp"
#include "recur/core/types.hpp"

namespace recur::init {

/// Every entry uniform in [-limit, limit].
template <class M>
void uniform(M&& m, Rng& rng, double limit) {
  using S = typename std::decay_t<M>::Scalar;
  for (Index j = 0; j < m.cols(); ++j)
    for (Index i = 0; i < m.rows(); ++i) m(i, j) = static_cast<S>(rng.uniform(-limit, limit));
}

/// Xavier/Glorot uniform: limit sqrt(6 / (fan_in + fan_out)) with fan_in = cols, fan_out = rows.
template <class M>
void xavier_uniform(M&& m, Rng& rng) {
  uniform(m, rng, std::sqrt(6.0 / static_cast<double>(m.rows() + m.cols())));
}

/// A random orthogonal matrix (QR of a Gaussian matrix, signs fixed so the result is uniform
/// over the orthogonal group). Non-square matrices get orthonormal rows or columns.
template <class M>
void orthogonal(M&& m, Rng& rng) {
  using S = typename std::decay_t<M>::Scalar;
  const Index r = m.rows(), c = m.cols();
  const bool tall = r >= c;
  MatX<double> a(tall ? r : c, tall ? c : r);
  for (Index j = 0; j < a.cols(); ++j)
    for (Index i = 0; i < a.rows(); ++i) a(i, j) = rng.normal();
  Eigen::HouseholderQR<MatX<double>> qr(a);
  MatX<double> q = qr.householderQ() * MatX<double>::Identity(a.rows(), a.cols());
  const MatX<double> rr = qr.matrixQR().topRows(a.cols()).template triangularView<Eigen::Upper>();
  for (Index j = 0; j < q.cols(); ++j)
    if (rr(j, j) < 0) q.col(j) *= -1.0;
  if (tall)
    m = q.cast<S>();
  else
    m = q.transpose().cast<S>();
}

/// Orthogonal initialisation of each square [H x H] gate block of a stacked recurrent matrix
/// [G*H x H], the usual choice for recurrent weights (Saxe et al. 2014).
template <class M>
void orthogonal_blocks(M&& m, Rng& rng) {
  const Index h = m.cols();
  for (Index g = 0; g * h < m.rows(); ++g) {
    auto block = m.middleRows(g * h, h);
    orthogonal(block, rng);
  }
}

}  // namespace recur::init
