// Transparent huge pages for a layer's large buffers (gates, states, their gradients).
//
// A fresh buffer of several megabytes comes from mmap, and every 4 KiB page of it faults on
// first touch: on the virtual machines this project was measured on, about 10 us per fault,
// which made a training step of an LSTM [H = 512, B = 64, T = 50] 30% slower and plain
// inference of an Elman layer 3x slower. Where the kernel lets a program ask for them
// (/sys/kernel/mm/transparent_hugepage/enabled set to "madvise" or "always"), 2 MiB pages
// fault 512 times less often. glibc's tunable glibc.malloc.hugetlb=1 does the same for every
// allocation of a program; this asks only for recur's own large buffers. It is a hint: results
// do not change, and where it is refused nothing happens. Define RECUR_NO_HUGE_PAGES to turn
// it off.
#pragma once

#include <cstddef>
#include <cstdint>

#include "recur/core/types.hpp"

#if defined(__linux__) && !defined(RECUR_NO_HUGE_PAGES)
#include <sys/mman.h>
#define RECUR_HUGE_PAGES 1
#else
#define RECUR_HUGE_PAGES 0
#endif

namespace recur::detail {

/// Asks for huge pages under the 2 MiB-aligned part of [data, data + bytes), if any.
inline void advise_huge_pages(const void* data, std::size_t bytes) {
#if RECUR_HUGE_PAGES && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t(1) << 21;
  const auto start = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (start + huge - 1) & ~(huge - 1), last = (start + bytes) & ~(huge - 1);
  if (last > first) (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

/// The same for a matrix's storage; call it after a resize, before the first write.
template <class M>
void advise_huge_pages(const Eigen::PlainObjectBase<M>& m) {
  advise_huge_pages(m.data(), sizeof(typename M::Scalar) * static_cast<std::size_t>(m.size()));
}

}  // namespace recur::detail
