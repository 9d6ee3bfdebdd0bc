// C += A * B in single precision with AVX-512, for the products that dominate a recurrent
// layer: W_hh times the state at every step, the input projections, the weight gradients.
//
// Why not Eigen's product: Eigen 3.4's AVX-512 kernel holds a 48 x 4 block of C in registers
// (12 accumulators, 7 loads per 12 multiply-adds) and reaches about 115 GFLOP/s on one Zen 5
// core, where BLAS libraries reach 165. This kernel holds a 32 x 8 block (16 accumulators,
// 2 loads of A and 8 broadcasts of B per 16 multiply-adds) and reaches 150-190 on the recurrent
// shapes (README.md, Speed). A is packed into panels of 32 rows: for each depth, 32 consecutive
// floats. In the step products B (the state) is read where it lies, so a step packs nothing and
// W_hh is packed once per sequence (PackedLhs); the products made once per call
// (multiply_add_once) also pack B, in blocks of 8 columns, since a transposed B (h^T in a
// weight gradient) would otherwise be 8 strided streams.
//
// Every column of C is summed in the same order whatever its position in a block, so results do
// not depend on how a batch is cut into slices (the time loops' threads rely on it).
//
// Compiled only where the compiler targets AVX-512F (-march=native on such a machine); elsewhere
// RECUR_AVX512_PRODUCT is 0 and recur uses Eigen's products.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "recur/core/types.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#define RECUR_AVX512_PRODUCT 1
#else
#define RECUR_AVX512_PRODUCT 0
#endif

namespace recur::detail {

/// Whether a (possibly transposed) matrix or block lies in memory with strides, as the packing
/// routines read it.
template <class X>
constexpr bool has_direct_access() {
  return (Eigen::internal::traits<X>::Flags & Eigen::DirectAccessBit) != 0;
}

}  // namespace recur::detail

namespace recur::detail::avx512 {

/// Rows of A in a packed panel (two 16-float registers), columns of C in a register block.
constexpr Index panel_rows = 32;
constexpr Index block_cols = 8;
/// Depth of A packed per panel: whole up to this (a panel of 32 x 2048 floats, 256 KiB, stays in
/// L2 while it meets every column of B), in blocks of it beyond.
constexpr Index max_depth = 2048;

/// Where element (k, j) of B lies: data[(j / 8) * block_stride + k * k_stride + (j % 8) * j_stride].
/// A column-major B has k_stride 1, j_stride its column stride and block_stride 8 times that;
/// B packed in blocks of 8 columns (pack_rhs) has k_stride 8, j_stride 1, block_stride 8 * depth.
struct RhsView {
  const float* data;
  Index k_stride, j_stride, block_stride;
};

/// A column-major B (j_stride = column stride) or the transpose of one (k_stride = its stride).
inline RhsView strided_rhs(const float* data, Index k_stride, Index j_stride) {
  return RhsView{data, k_stride, j_stride, block_cols * j_stride};
}

/// Packs B(k, j) = b(k0 + k, j) for k < d, j < n into blocks of 8 columns: for each block, d
/// groups of 8 floats (zeros past n), so the kernel reads one stream instead of 8 strided ones.
inline RhsView pack_rhs(const RhsView& b, Index k0, Index d, Index n, float* out) {
  const RhsView packed{out, block_cols, 1, block_cols * d};
  for (Index j0 = 0; j0 < n; j0 += block_cols, out += block_cols * d) {
    const Index live = std::min(block_cols, n - j0);
    const float* src = b.data + (j0 / block_cols) * b.block_stride + k0 * b.k_stride;
    for (Index k = 0; k < d; ++k) {
      for (Index j = 0; j < live; ++j) out[k * block_cols + j] = src[k * b.k_stride + j * b.j_stride];
      for (Index j = live; j < block_cols; ++j) out[k * block_cols + j] = 0.0f;
    }
  }
  return packed;
}

/// Packed size of an A [rows x depth]: panels padded to 32 rows with zeros.
inline Index packed_size(Index rows, Index depth) { return (rows + panel_rows - 1) / panel_rows * panel_rows * depth; }

/// Depth of every block of A but the last.
inline Index block_depth(Index depth) { return std::min(depth, max_depth); }

/// Packs A(i, k) = a[i * i_stride + k * k_stride] for rows [row0, row0 + 32) (clipped at `rows`,
/// zero beyond) and depths [k0, k0 + d) into out: d groups of 32 floats.
inline void pack_panel(const float* a, Index i_stride, Index k_stride, Index rows, Index row0, Index k0, Index d,
                       float* out) {
  const Index live = std::min(panel_rows, rows - row0);
  for (Index k = 0; k < d; ++k, out += panel_rows) {
    const float* src = a + row0 * i_stride + (k0 + k) * k_stride;
    for (Index r = 0; r < live; ++r) out[r] = src[r * i_stride];  // (not std::copy: a call per 32 floats)
    std::fill(out + live, out + panel_rows, 0.0f);
  }
}

#if RECUR_AVX512_PRODUCT

/// C[0:rows, 0:NR] (+)= panel [32 x d] * B[0:d, 0:NR], rows <= 32 (the masks say which rows).
/// The 2 x NR accumulators stay in registers for the whole depth; C is written once.
template <std::size_t NR>
inline void register_block(Index d, const float* panel, const RhsView& b, float* c, Index ldc, __mmask16 mask0,
                           __mmask16 mask1, bool accumulate) {
  __m512 acc0[NR], acc1[NR];
  for (std::size_t j = 0; j < NR; ++j) acc0[j] = acc1[j] = _mm512_setzero_ps();
  const float* column[NR];
  for (std::size_t j = 0; j < NR; ++j) column[j] = b.data + static_cast<Index>(j) * b.j_stride;
  Index offset = 0;
  for (Index k = 0; k < d; ++k, panel += panel_rows, offset += b.k_stride) {
    const __m512 a0 = _mm512_load_ps(panel), a1 = _mm512_load_ps(panel + 16);
    for (std::size_t j = 0; j < NR; ++j) {
      const __m512 bj = _mm512_set1_ps(column[j][offset]);
      acc0[j] = _mm512_fmadd_ps(a0, bj, acc0[j]);
      acc1[j] = _mm512_fmadd_ps(a1, bj, acc1[j]);
    }
  }
  for (std::size_t j = 0; j < NR; ++j) {
    float* cj = c + static_cast<Index>(j) * ldc;
    if (accumulate) {
      acc0[j] = _mm512_add_ps(_mm512_maskz_loadu_ps(mask0, cj), acc0[j]);
      acc1[j] = _mm512_add_ps(_mm512_maskz_loadu_ps(mask1, cj + 16), acc1[j]);
    }
    _mm512_mask_storeu_ps(cj, mask0, acc0[j]);
    _mm512_mask_storeu_ps(cj + 16, mask1, acc1[j]);
  }
}

/// C[0:rows, 0:n] (+)= panel [32 x d] * B[0:d, 0:n]: blocks of 8 columns, then one for the rest.
inline void panel_times(Index d, const float* panel, RhsView b, Index n, float* c, Index ldc, Index rows,
                        bool accumulate) {
  const auto mask = [](Index live) {
    return live >= 16 ? __mmask16(0xFFFF) : live <= 0 ? __mmask16(0) : __mmask16((1u << live) - 1u);
  };
  const __mmask16 mask0 = mask(rows), mask1 = mask(rows - 16);
  Index j = 0;
  for (; j + block_cols <= n; j += block_cols, b.data += b.block_stride, c += block_cols * ldc)
    register_block<8>(d, panel, b, c, ldc, mask0, mask1, accumulate);
  using Block = void (*)(Index, const float*, const RhsView&, float*, Index, __mmask16, __mmask16, bool);
  static constexpr Block narrower[block_cols] = {nullptr,           register_block<1>, register_block<2>,
                                                 register_block<3>, register_block<4>, register_block<5>,
                                                 register_block<6>, register_block<7>};
  if (j < n) narrower[n - j](d, panel, b, c, ldc, mask0, mask1, accumulate);
}

#endif  // RECUR_AVX512_PRODUCT

/// A [rows x depth] packed once, multiplied many times (W_hh at every step of a sequence).
class PackedLhs {
 public:
  /// A(i, k) = a[i * i_stride + k * k_stride].
  void pack(const float* a, Index i_stride, Index k_stride, Index rows, Index depth) {
    rows_ = rows;
    depth_ = depth;
    const Index panels = (rows + panel_rows - 1) / panel_rows, kc = block_depth(depth);
    packed_.resize(static_cast<std::size_t>(packed_size(rows, depth)));
    float* out = packed_.data();
    for (Index k0 = 0; k0 < depth; k0 += kc) {
      const Index d = std::min(kc, depth - k0);
      for (Index q = 0; q < panels; ++q, out += panel_rows * d)
        pack_panel(a, i_stride, k_stride, rows, q * panel_rows, k0, d, out);
    }
  }

  Index rows() const { return rows_; }
  Index depth() const { return depth_; }

#if RECUR_AVX512_PRODUCT
  /// C [rows x n] (column stride ldc) += A * B (= A * B if not `accumulate`), B [depth x n].
  void multiply_add(float* c, Index ldc, const RhsView& b, Index n, bool accumulate = true) const {
    const Index panels = (rows_ + panel_rows - 1) / panel_rows, kc = block_depth(depth_);
    const float* panel = packed_.data();
    for (Index k0 = 0; k0 < depth_; k0 += kc) {
      const Index d = std::min(kc, depth_ - k0);
      const RhsView block{b.data + k0 * b.k_stride, b.k_stride, b.j_stride, b.block_stride};
      for (Index q = 0; q < panels; ++q, panel += panel_rows * d)
        panel_times(d, panel, block, n, c + q * panel_rows, ldc, rows_ - q * panel_rows, accumulate || k0 > 0);
    }
  }
#endif

 private:
  Index rows_ = 0, depth_ = 0;
  std::vector<float, Eigen::aligned_allocator<float>> packed_;
};

#if RECUR_AVX512_PRODUCT
/// A buffer of at least `floats` floats, kept by the calling thread for its next products (as
/// BLAS libraries keep their packing buffers): a fresh buffer of megabytes would cost a page
/// fault per 4 KiB at every product. `which` tells the buffers a product needs at once apart.
inline float* thread_buffer(int which, std::size_t floats) {
  thread_local std::vector<float, Eigen::aligned_allocator<float>> buffers[2];
  auto& buffer = buffers[which];
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}

/// Blocks of a product whose operands are both packed on the fly: a block of B of 256 x 512
/// floats (512 KiB) stays in L2 while every 32-row panel of A (32 KiB, in L1) meets it.
constexpr Index once_depth = 256, once_cols = 512;

/// C [rows x n] += A [rows x depth] * B (= if not `accumulate`) for operands used once: per block
/// of depth, A is packed into 32-row panels once (a transposed A is a strided gather, too slow to
/// repeat per block of columns), and per block of columns B into 8-column blocks.
inline void multiply_add_once(float* c, Index ldc, const float* a, Index i_stride, Index k_stride, Index rows,
                              Index depth, const RhsView& b, Index n, bool accumulate) {
  const Index kc = std::min(depth, once_depth), nc = std::min(n, once_cols);
  float* lhs = thread_buffer(0, static_cast<std::size_t>(packed_size(rows, kc)));
  float* rhs = thread_buffer(1, static_cast<std::size_t>((nc + block_cols - 1) / block_cols * block_cols * kc));
  for (Index k0 = 0; k0 < depth; k0 += kc) {
    const Index d = std::min(kc, depth - k0);
    for (Index row0 = 0; row0 < rows; row0 += panel_rows)
      pack_panel(a, i_stride, k_stride, rows, row0, k0, d, lhs + row0 * d);
    for (Index j0 = 0; j0 < n; j0 += nc) {
      const Index w = std::min(nc, n - j0);
      const RhsView columns{b.data + j0 / block_cols * b.block_stride, b.k_stride, b.j_stride, b.block_stride};
      const RhsView block = pack_rhs(columns, k0, d, w, rhs);
      for (Index row0 = 0; row0 < rows; row0 += panel_rows)
        panel_times(d, lhs + row0 * d, block, w, c + j0 * ldc + row0, ldc, rows - row0, accumulate || k0 > 0);
    }
  }
}
#endif

}  // namespace recur::detail::avx512
