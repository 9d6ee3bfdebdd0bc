// y += A x for one column x: the product of a streaming step (B = 1).
//
// Why not Eigen's matrix-vector product: a cell's recurrent weights [G*H x H] are read whole at
// every step, and above H = 32 they no longer fit in the L1 cache, so the step's speed is the
// speed at which A streams in. This kernel keeps a block of up to 16 packets of y (256 floats
// with AVX-512) in registers across all columns, so each column of the block is one run of
// contiguous loads and y is read and written once per block. On this project's machine it is
// level with Eigen 3.4's product for [512 x 128] and [256 x 64] (both wait on the L2 cache) and
// 20-40% faster for small A ([128 x 32]: 81 against 107 ns, [32 x 8]: 18 against 22-31 ns),
// where Eigen's dispatch and a single chain of dependent multiply-adds cost most. Works for any
// scalar Eigen vectorises (and for none: packets of one).
#pragma once

#include <cstddef>

#include "recur/core/types.hpp"

namespace recur::detail {

// Packet types are template arguments here; GCC warns that their alignment attributes are
// ignored there, which is harmless (Eigen silences the same warning in its own headers). With
// compile-time sizes GCC also warns about the remainder loop of multiply_add_rows, which then
// never runs.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#pragma GCC diagnostic ignored "-Waggressive-loop-optimizations"
#endif

/// y[0 .. Packets*size) += A x over those rows, with packets of type P. Each packet of y sums
/// its columns in Chains interleaved partial sums: with few rows, one chain of n dependent
/// multiply-adds would make the step wait n times the instruction's latency.
template <class P, std::size_t Packets, class S, class X>
inline void multiply_add_rows(S* y, const S* a, Index lda, const X& x, Index n) {
  using namespace Eigen::internal;
  constexpr Index size = unpacket_traits<P>::size;
  constexpr std::size_t Chains = Packets >= 16 ? 1 : Packets >= 4 ? 2 : 4;
  P acc[Chains][Packets];
  for (std::size_t k = 0; k < Packets; ++k) acc[0][k] = ploadu<P>(y + Index(k) * size);
  for (std::size_t c = 1; c < Chains; ++c)
    for (std::size_t k = 0; k < Packets; ++k) acc[c][k] = pset1<P>(S(0));
  Index j = 0;
  for (; j + Index(Chains) <= n; j += Index(Chains))
    for (std::size_t c = 0; c < Chains; ++c) {
      const P xj = pset1<P>(x.coeff(j + Index(c)));
      const S* column = a + (j + Index(c)) * lda;
      for (std::size_t k = 0; k < Packets; ++k) acc[c][k] = pmadd(ploadu<P>(column + Index(k) * size), xj, acc[c][k]);
    }
  for (; j < n; ++j) {
    const P xj = pset1<P>(x.coeff(j));
    const S* column = a + j * lda;
    for (std::size_t k = 0; k < Packets; ++k) acc[0][k] = pmadd(ploadu<P>(column + Index(k) * size), xj, acc[0][k]);
  }
  for (std::size_t k = 0; k < Packets; ++k) {
    if constexpr (Chains == 4) acc[0][k] = padd(padd(acc[0][k], acc[1][k]), padd(acc[2][k], acc[3][k]));
    if constexpr (Chains == 2) acc[0][k] = padd(acc[0][k], acc[1][k]);
    pstoreu(y + Index(k) * size, acc[0][k]);
  }
}

/// y += A x. y: a contiguous vector [m] (a plain vector or a segment of one); A [m x n]: a
/// column-major matrix with contiguous columns (a plain matrix or a block of rows of one); x:
/// any vector expression [n]. Does not allocate.
template <class Y, class A, class X>
void multiply_add_column(Y&& y, const A& a, const X& x) {
  using S = typename std::decay_t<Y>::Scalar;
  using Full = typename Eigen::internal::packet_traits<S>::type;
  using Half = typename Eigen::internal::unpacket_traits<Full>::half;
  using Quarter = typename Eigen::internal::unpacket_traits<Half>::half;
  constexpr Index full = Eigen::internal::unpacket_traits<Full>::size;
  constexpr Index half = Eigen::internal::unpacket_traits<Half>::size;
  constexpr Index quarter = Eigen::internal::unpacket_traits<Quarter>::size;
  const Index m = a.rows(), n = a.cols(), lda = a.outerStride();
  S* out = y.data();
  const S* w = a.data();
  Index i = 0;
  for (; i + 16 * full <= m; i += 16 * full) multiply_add_rows<Full, 16>(out + i, w + i, lda, x, n);
  if (i + 8 * full <= m) multiply_add_rows<Full, 8>(out + i, w + i, lda, x, n), i += 8 * full;
  if (i + 4 * full <= m) multiply_add_rows<Full, 4>(out + i, w + i, lda, x, n), i += 4 * full;
  if (i + 2 * full <= m) multiply_add_rows<Full, 2>(out + i, w + i, lda, x, n), i += 2 * full;
  if (i + full <= m) multiply_add_rows<Full, 1>(out + i, w + i, lda, x, n), i += full;
  if (half < full && i + half <= m) multiply_add_rows<Half, 1>(out + i, w + i, lda, x, n), i += half;
  if (quarter < half && i + quarter <= m) multiply_add_rows<Quarter, 1>(out + i, w + i, lda, x, n), i += quarter;
  for (; i < m; ++i) {  // fewer rows than the smallest packet
    S sum = out[i];
    for (Index j = 0; j < n; ++j) sum += w[i + j * lda] * x.coeff(j);
    out[i] = sum;
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace recur::detail
