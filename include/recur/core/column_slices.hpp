// A batch's columns cut into slices that threads run through a whole time loop.
//
// The sequences of a batch never meet inside a recurrent layer: column b of step t depends only
// on column b of step t-1. So each thread can run the entire time loop over its own slice of the
// columns, with no synchronisation per step; only the products before and after the loop (the
// input projections, the weight gradients) span the whole batch: core/product.hpp cuts those
// into column slices too (float on AVX-512), or leaves them to Eigen's own threads.
//
// Threads are OpenMP's, as for Eigen's own products: Eigen::setNbThreads(n) or OMP_NUM_THREADS
// sets how many. A program built without OpenMP (no -fopenmp) runs every slice on the calling
// thread, and a call from inside a parallel region does not nest. Slice edges fall on multiples
// of `align` columns, so each column meets the same product kernel path (Eigen's gebp works on
// groups of 4 columns; recur's AVX-512 kernel sums every column alike) as in one pass: the
// slicing changes no result. (Eigen's own products, used for doubles and without AVX-512, may
// round differently on several threads once they are large enough for it to split them.)
#pragma once

#include <algorithm>
#include <exception>

#include "recur/core/types.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace recur::detail {

class ColumnSlices {
 public:
  /// Narrowest slice worth a thread, and the multiple every slice edge falls on.
  static constexpr Index min_width = 16;
  static constexpr Index align = 8;

  /// Threads available to a loop started here: Eigen's count, 1 inside a parallel region.
  static int available_threads() {
#ifdef _OPENMP
    if (omp_in_parallel()) return 1;
#endif
    return Eigen::nbThreads();
  }

  explicit ColumnSlices(Index columns, int threads = available_threads()) : columns_(columns) {
    const Index most = columns / min_width;
    count_ = static_cast<int>(std::max<Index>(1, std::min<Index>(threads, most)));
  }

  int count() const { return count_; }
  /// First column of slice k (k == count() gives the end).
  Index first(int k) const {
    if (k >= count_) return columns_;
    return columns_ * k / count_ / align * align;
  }
  Index width(int k) const { return first(k + 1) - first(k); }

  /// Calls body(k, first, width) for every slice, on count() threads when OpenMP is on. The
  /// first exception a slice throws is rethrown here once every slice has finished.
  template <class Body>
  void run(Body&& body) const {
    if (count_ == 1) {
      body(0, Index(0), columns_);
      return;
    }
    std::exception_ptr failure;
#ifdef _OPENMP
#pragma omp parallel for num_threads(count_) schedule(static, 1)
#endif
    for (int k = 0; k < count_; ++k) {
      try {
        body(k, first(k), width(k));
      } catch (...) {
#ifdef _OPENMP
#pragma omp critical(recur_column_slices)
#endif
        if (!failure) failure = std::current_exception();
      }
    }
    if (failure) std::rethrow_exception(failure);
  }

 private:
  Index columns_;
  int count_ = 1;
};

}  // namespace recur::detail
