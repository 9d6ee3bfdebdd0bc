// C += A * B for a matrix A used many times in a row: the recurrent weights, multiplied by the
// state at every step of a sequence.
//
// Eigen's general product packs both operands into cache-friendly panels on every call. For
// W_hh [G*H x H] times a state [H x B] with B small, repacking all of W_hh at every time step
// costs about as much as the arithmetic. PackedMatrix packs A once (per forward or backward
// call) with Eigen's own packing routine and then, per step, packs only the small B and runs
// Eigen's register-blocked kernel (gebp). These are Eigen 3.4's internal routines; with any other
// Eigen version recur falls back to the plain product. In single precision, where the compiler
// targets AVX-512, recur's own kernel (avx512_product.hpp) replaces both: it packs A once in its
// own layout and reads B where it lies.
#pragma once

#include <algorithm>
#include <type_traits>
#include <vector>

#include "recur/core/avx512_product.hpp"
#include "recur/core/types.hpp"

#if EIGEN_VERSION_AT_LEAST(3, 4, 0) && !EIGEN_VERSION_AT_LEAST(3, 4, 90)
#define RECUR_PACKED_PRODUCT 1
#else
#define RECUR_PACKED_PRODUCT 0
#endif

namespace recur::detail {

template <class S>
class PackedMatrix {
 public:
  /// Below this many columns of B, Eigen's matrix-vector kernels win (they do not pack).
  static constexpr Index min_columns = 4;
  /// recur's kernel replaces Eigen's packing and gebp (float, compiled for AVX-512).
  static constexpr bool use_avx512 = RECUR_AVX512_PRODUCT && std::is_same_v<S, float>;

  /// Packs A [rows x cols] (any expression, e.g. a transpose) for products with `max_cols`
  /// columns, if that pays; otherwise multiply_add uses Eigen's product with A directly.
  /// Allocates, unless this object last packed a matrix as large: call once before a time loop.
  template <class M>
  void pack(const Eigen::MatrixBase<M>& source, Index max_cols) {
    rows_ = source.rows();
    cols_ = source.cols();
    use_kernel_ = (use_avx512 || RECUR_PACKED_PRODUCT) && max_cols >= min_columns && source.size() > 0;
    if constexpr (use_avx512) {
      if (!use_kernel_) return;
      // A transpose is packed from where it lies (W_hh^T for backward), anything else evaluated.
      if constexpr (has_direct_access<M>()) {
        lhs_.pack(source.derived().data(), source.derived().rowStride(), source.derived().colStride(), rows_, cols_);
      } else {
        const MatX<S> a = source;
        lhs_.pack(a.data(), 1, a.outerStride(), rows_, cols_);
      }
      return;
    }
#if RECUR_PACKED_PRODUCT
    if (!use_kernel_) return;
    using namespace Eigen::internal;
    // Column-major with contiguous columns: a plain matrix is used in place (no copy of several
    // megabytes per call, whose fresh pages cost page faults); an expression is evaluated.
    const Eigen::Ref<const MatX<S>> a(source.derived());
    kc_ = a.cols();
    mc_ = a.rows();
    nc_ = max_cols;
    computeProductBlockingSizes<S, S, 1, Index>(kc_, mc_, nc_, Index(1));
    packed_.assign(static_cast<std::size_t>(a.size()), S(0));
    offsets_.clear();
    const_blas_data_mapper<S, Index, Eigen::ColMajor> lhs(a.data(), a.outerStride());
    LhsPacker pack_lhs;
    std::size_t offset = 0;
    for (Index i = 0; i < a.rows(); i += mc_)
      for (Index k = 0; k < a.cols(); k += kc_) {
        const Index m = std::min(mc_, a.rows() - i), d = std::min(kc_, a.cols() - k);
        pack_lhs(packed_.data() + offset, lhs.getSubMapper(i, k), d, m);
        offsets_.push_back(offset);
        offset += static_cast<std::size_t>(m * d);
      }
#endif
  }

  Index rows() const { return rows_; }
  Index cols() const { return cols_; }

  /// Scratch the product needs for B with up to max_cols columns (allocate once per loop).
  MatX<S> workspace() const {
    MatX<S> work;
    size_workspace(work);
    return work;
  }
  /// The same scratch in a matrix kept by the caller (no allocation when it has that size).
  void size_workspace(MatX<S>& work) const {
    const bool gebp = use_kernel_ && !use_avx512;
    work.resize(gebp ? kc_ : 0, gebp ? nc_ : 0);
  }

  /// c += A * b, with b [cols x n] and c [rows x n] column blocks with contiguous columns
  /// (plain matrices or middleCols of them). `a` is the same A as packed, used when packing did
  /// not pay. No allocation.
  template <class C, class A, class B>
  void multiply_add(C&& c, const A& a, const B& b, MatX<S>& work) const {
#if RECUR_AVX512_PRODUCT
    if constexpr (use_avx512) {
      if (use_kernel_ && b.cols() >= min_columns) {
        lhs_.multiply_add(c.data(), c.outerStride(), avx512::strided_rhs(b.data(), 1, b.outerStride()), b.cols());
        return;
      }
    }
#endif
#if RECUR_PACKED_PRODUCT
    const Index n = b.cols();
    if (use_kernel_ && !use_avx512 && n >= min_columns) {
      using namespace Eigen::internal;
      const_blas_data_mapper<S, Index, Eigen::ColMajor> rhs(b.data(), b.outerStride());
      blas_data_mapper<S, Index, Eigen::ColMajor, Eigen::Unaligned, 1> res(c.data(), c.outerStride());
      RhsPacker pack_rhs;
      Kernel gebp;
      const Index k_blocks = (cols_ + kc_ - 1) / kc_;
      for (Index j = 0; j < n; j += nc_) {
        const Index w = std::min(nc_, n - j);
        for (Index k = 0, kb = 0; k < cols_; k += kc_, ++kb) {
          const Index d = std::min(kc_, cols_ - k);
          pack_rhs(work.data(), rhs.getSubMapper(k, j), d, w);
          for (Index i = 0, ib = 0; i < rows_; i += mc_, ++ib) {
            const Index m = std::min(mc_, rows_ - i);
            gebp(res.getSubMapper(i, j), packed_.data() + offsets_[static_cast<std::size_t>(ib * k_blocks + kb)],
                 work.data(), m, d, w, S(1));
          }
        }
      }
      return;
    }
#endif
    (void)work;
    c.noalias() += a * b;
  }

 private:
#if RECUR_PACKED_PRODUCT
  using Traits = Eigen::internal::gebp_traits<S, S>;
  using LhsPacker =
      Eigen::internal::gemm_pack_lhs<S, Index, Eigen::internal::const_blas_data_mapper<S, Index, Eigen::ColMajor>,
                                     Traits::mr, Traits::LhsProgress, typename Traits::LhsPacket4Packing,
                                     Eigen::ColMajor>;
  using RhsPacker =
      Eigen::internal::gemm_pack_rhs<S, Index, Eigen::internal::const_blas_data_mapper<S, Index, Eigen::ColMajor>,
                                     Traits::nr, Eigen::ColMajor>;
  using Kernel =
      Eigen::internal::gebp_kernel<S, S, Index,
                                   Eigen::internal::blas_data_mapper<S, Index, Eigen::ColMajor, Eigen::Unaligned, 1>,
                                   Traits::mr, Traits::nr, false, false>;
#endif
  Index rows_ = 0, cols_ = 0;
  std::vector<S, Eigen::aligned_allocator<S>> packed_;
  std::vector<std::size_t> offsets_;
  Index kc_ = 0, mc_ = 0, nc_ = 0;
  avx512::PackedLhs lhs_;  // the AVX-512 kernel's packing (float only)
  bool use_kernel_ = false;
};

}  // namespace recur::detail
