// body(k) for k in [0, n) on up to `threads` threads: the loop the tree trainers (shards of a
// minibatch, sentences of a parser batch) run their independent pieces of work in.
//
// Why OpenMP when it is on: a piece of work multiplies matrices, and Eigen's products and
// recur's column slices start their own OpenMP team unless they already run inside one. From
// plain std::threads each piece would start a team of Eigen::nbThreads() threads: with two
// shards on two cores, four busy threads, and OpenMP's spinning waits made a sharded RNTN step
// about 30x slower (recur_bench rntn/train_sharded/d:25 at --threads 2: 280 trees/s, against
// 9,000-9,500 at --threads 1). Inside this loop's team every product runs on its own thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace recur::detail {

/// Calls body(k) for every k in [0, n), k strided over up to `threads` threads (fewer if the
/// OpenMP team is smaller, e.g. inside another parallel region). A thread whose call throws
/// stops; the others finish their pieces, then the first exception (by thread) is rethrown.
template <class Body>
void parallel_for(std::size_t n, int threads, Body&& body) {
  const int t = std::max(1, static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), n)));
  std::vector<std::exception_ptr> failed(static_cast<std::size_t>(t));
  auto work = [&](int w, int team) {
    try {
      for (std::size_t k = static_cast<std::size_t>(w); k < n; k += static_cast<std::size_t>(team)) body(k);
    } catch (...) {
      failed[static_cast<std::size_t>(w)] = std::current_exception();
    }
  };
  if (t == 1) {
    work(0, 1);
  } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(t)
    work(omp_get_thread_num(), omp_get_num_threads());
#else
    std::vector<std::thread> pool;
    for (int w = 1; w < t; ++w) pool.emplace_back(work, w, t);
    work(0, t);
    for (auto& th : pool) th.join();
#endif
  }
  for (auto& e : failed)
    if (e) std::rethrow_exception(e);
}

}  // namespace recur::detail
