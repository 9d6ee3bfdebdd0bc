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

/// The columns of A in a product: how many, and how far apart. Each is fixed at compile time
/// where A's type fixes it (Count, Stride), so that for a small fixed-size cell the kernels
/// below unroll their loops; GCC does not propagate the constants into them reliably.
template <int Count = Dynamic, int Stride = Dynamic>
struct Columns {
  Index count_, stride_;
  Index count() const { return Count == Dynamic ? count_ : Index(Count); }
  Index stride() const { return Stride == Dynamic ? stride_ : Index(Stride); }
};

/// y[0 .. Packets*size) += A x over those rows, with packets of type P. Each packet of y sums
/// its columns in Chains interleaved partial sums: with few rows, one chain of n dependent
/// multiply-adds would make the step wait n times the instruction's latency.
template <class P, std::size_t Packets, class S, class C, class X>
inline void multiply_add_rows(S* y, const S* a, C columns, const X& x) {
  using namespace Eigen::internal;
  const Index n = columns.count(), lda = columns.stride();
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

/// The kernel for a block of Packets packets of type P (the block's row count is fixed).
template <class P, std::size_t Packets>
struct PacketRows {
  template <class S, class C, class X>
  static void run(S* y, const S* a, Index /*rows*/, C columns, const X& x) {
    multiply_add_rows<P, Packets>(y, a, columns, x);
  }
};

/// The kernel for fewer rows than the smallest packet.
struct ScalarRows {
  template <class S, class C, class X>
  static void run(S* y, const S* a, Index rows, C columns, const X& x) {
    const Index n = columns.count(), lda = columns.stride();
    for (Index i = 0; i < rows; ++i) {
      S sum = y[i];
      for (Index j = 0; j < n; ++j) sum += a[i + j * lda] * x.coeff(j);
      y[i] = sum;
    }
  }
};

/// How the products below split the m rows of A: blocks of MaxPackets full packets (16: the
/// most that fit in registers with AVX-512), then at most one block each of 8, 4, 2 and 1
/// packets below that, one half and one quarter packet, and fewer rows than the smallest
/// packet. Calls f(first_row, rows, kernel) for each block, kernel.run(y, a, rows, columns, x)
/// summing it; the kernel is a type, so each block calls its kernel directly. With
/// `backwards`, the blocks come last to first.
template <class S, std::size_t MaxPackets = 16, class F>
void for_each_row_block(Index m, F&& f, bool backwards = false) {
  using Full = typename Eigen::internal::packet_traits<S>::type;
  using Half = typename Eigen::internal::unpacket_traits<Full>::half;
  using Quarter = typename Eigen::internal::unpacket_traits<Half>::half;
  constexpr Index full = Eigen::internal::unpacket_traits<Full>::size;
  constexpr Index half = Eigen::internal::unpacket_traits<Half>::size;
  constexpr Index quarter = Eigen::internal::unpacket_traits<Quarter>::size;
  static_assert(MaxPackets == 16 || MaxPackets == 8 || MaxPackets == 4, "blocks of 16, 8 or 4 packets");
  constexpr Index big = Index(MaxPackets) * full;
  const Index body = m / big * big;  // rows in blocks of MaxPackets packets
  auto tail = [&] {                  // each of these at most once, in this order
    Index i = body;
    if constexpr (MaxPackets > 8)
      if (i + 8 * full <= m) f(i, 8 * full, PacketRows<Full, 8>{}), i += 8 * full;
    if constexpr (MaxPackets > 4)
      if (i + 4 * full <= m) f(i, 4 * full, PacketRows<Full, 4>{}), i += 4 * full;
    if (i + 2 * full <= m) f(i, 2 * full, PacketRows<Full, 2>{}), i += 2 * full;
    if (i + full <= m) f(i, full, PacketRows<Full, 1>{}), i += full;
    if (half < full && i + half <= m) f(i, half, PacketRows<Half, 1>{}), i += half;
    if (quarter < half && i + quarter <= m) f(i, quarter, PacketRows<Quarter, 1>{}), i += quarter;
    if (i < m) f(i, m - i, ScalarRows{});
  };
  if (backwards) {
    tail();
    for (Index i = body; i > 0; i -= big) f(i - big, big, PacketRows<Full, MaxPackets>{});
  } else {
    for (Index i = 0; i < body; i += big) f(i, big, PacketRows<Full, MaxPackets>{});
    tail();
  }
}

/// y += A x. y: a contiguous vector [m] (a plain vector or a segment of one); A [m x n]: a
/// column-major matrix with contiguous columns (a plain matrix or a block of rows of one), or
/// a one-row matrix of either order; x: any vector expression [n]. Does not allocate.
template <class Y, class A, class X>
void multiply_add_column(Y&& y, const A& a, const X& x) {
  using S = typename std::decay_t<Y>::Scalar;
  // Eigen stores a fixed one-row matrix row-major (an Elman cell's [1 x I] W_ih at H = 1): its
  // columns are then the inner stride apart, not the outer one.
  constexpr bool row_major = (A::Flags & Eigen::RowMajorBit) != 0;
  static_assert(!row_major || A::RowsAtCompileTime == 1, "multiply_add_column: A must be column-major or one row");
  constexpr int stride = row_major ? int(Eigen::internal::inner_stride_at_compile_time<A>::ret)
                                   : int(Eigen::internal::outer_stride_at_compile_time<A>::ret);
  const Columns<A::ColsAtCompileTime, stride> columns{a.cols(), row_major ? a.innerStride() : a.outerStride()};
  S* out = y.data();
  const S* w = a.data();
  for_each_row_block<S>(a.rows(),
                        [&](Index i, Index rows, auto kernel) { kernel.run(out + i, w + i, rows, columns, x); });
}

/// A matrix [m x n] kept for repeated products with one column (a streaming cell's W_hh),
/// stored as blocks of 4 packets of rows (64 rows for float with AVX-512), each block's columns
/// contiguous ([rows x n], column-major), one block after another.
///
/// Why, measured on this project's machine (AMD Zen 5, 48 KB L1 data cache, 1 MB L2):
/// - In a plain column-major [4H x H] matrix a block of rows reads part of every column, a
///   strided walk through the L2 cache that runs 1.5x slower than reading the same bytes in
///   order ([512 x 128]: 2.5 us against 1.6 us).
/// - A matrix a little larger than the L1 cache (LSTM at H = 64: 64 KB) is read whole at every
///   step, and read in the same order each time it misses the L1 cache throughout. Read in the
///   opposite order every other step (`backwards`), the blocks read last are still in the L1
///   cache when the next step starts: [256 x 64] 250 ns against 430 ns, [128 x 128] 300 against
///   425. Small blocks make that reuse fine-grained; 4 packets still keep the multiply-adds busy.
/// Each row's sum runs over the columns in the same order either way, so the direction does not
/// change a bit of the result.
template <class S>
class RowPanels {
 public:
  RowPanels() = default;
  template <class A>
  explicit RowPanels(const A& a) {
    pack(a);
  }

  /// Copies A [m x n] (any matrix expression) into the packed layout.
  template <class A>
  void pack(const A& a) {
    rows_ = a.rows();
    cols_ = a.cols();
    data_.resize(rows_ * cols_);
    for_each_row_block<S, 4>(rows_, [&](Index first, Index rows, auto) {
      Eigen::Map<MatX<S>>(data_.data() + first * cols_, rows, cols_) = a.middleRows(first, rows);
    });
  }

  /// y += A x; y contiguous [m], x any vector expression [n]. `backwards` reads the blocks
  /// last to first (same result). Does not allocate.
  template <class Y, class X>
  void multiply_add(Y&& y, const X& x, bool backwards = false) const {
    S* out = y.data();
    const S* p = data_.data();
    const Index n = cols_;
    for_each_row_block<S, 4>(
        rows_,
        [&](Index first, Index rows, auto kernel) {
          kernel.run(out + first, p + first * n, rows, Columns<>{n, rows}, x);
        },
        backwards);
  }

  Index rows() const { return rows_; }
  Index cols() const { return cols_; }

 private:
  VecX<S> data_;  // [m * n]: the blocks one after another
  Index rows_ = 0, cols_ = 0;
};

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace recur::detail
