// c += a * b for the large products of a recurrent layer (input projections, weight gradients,
// dx): the AVX-512 kernel for float where the compiler targets it, Eigen's product elsewhere.
#pragma once

#include <type_traits>
#include <utility>

#include "recur/core/avx512_product.hpp"
#include "recur/core/column_slices.hpp"
#include "recur/core/types.hpp"

namespace recur::detail {

/// c += a * b, or c = a * b if not `accumulate`. c: a column-major matrix or block with
/// contiguous columns, of the product's size; a and b: matrices, blocks or transposes of them (a
/// gradient's `dg * h.transpose()`), or any expression, which Eigen evaluates. c must not alias
/// a or b.
template <class C, class A, class B>
void product(C&& c, const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b, bool accumulate) {
  eigen_assert(c.rows() == a.rows() && c.cols() == b.cols() && a.cols() == b.rows());
  using S = typename std::decay_t<C>::Scalar;
#if RECUR_AVX512_PRODUCT
  using CD = std::decay_t<C>;
  if constexpr (std::is_same_v<S, float> && has_direct_access<CD>() && has_direct_access<A>() &&
                has_direct_access<B>() && !CD::IsRowMajor) {
    const Index rows = a.rows(), depth = a.cols(), n = b.cols();
    // Below a few columns or a small depth Eigen's matrix-vector and coefficient-wise kernels win.
    if (n >= 4 && depth >= 8 && rows >= 8 && c.innerStride() == 1 && a.size() > 0) {
      const avx512::RhsView rhs =
          avx512::strided_rhs(b.derived().data(), b.derived().rowStride(), b.derived().colStride());
      const float* a_data = a.derived().data();
      const Index a_row = a.derived().rowStride(), a_col = a.derived().colStride(), ldc = c.outerStride();
      float* c_data = c.data();
      // Column slices on OpenMP threads: columns are independent, so no result depends on the cut.
      ColumnSlices(n).run([&](int, Index first, Index width) {
        const avx512::RhsView slice = avx512::strided_rhs(rhs.data + first * rhs.j_stride, rhs.k_stride, rhs.j_stride);
        avx512::multiply_add_once(c_data + first * ldc, ldc, a_data, a_row, a_col, rows, depth, slice, width,
                                  accumulate);
      });
      return;
    }
  }
#endif
  if (accumulate)
    c.noalias() += a * b;
  else
    c.noalias() = a * b;
}

/// c += a * b (see product()).
template <class C, class A, class B>
void multiply_add(C&& c, const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
  product(std::forward<C>(c), a, b, true);
}

/// c = a * b into a c already of the product's size (see product()).
template <class C, class A, class B>
void multiply(C&& c, const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
  product(std::forward<C>(c), a, b, false);
}

}  // namespace recur::detail
