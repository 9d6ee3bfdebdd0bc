// A recurrent layer on two OpenMP threads computes what it computes on one, bit for bit: the
// time loops of forward and backward run on slices of the batch's columns (core/column_slices.hpp).
// The sizes are small enough that Eigen runs its own products on one thread (its threaded
// products round differently), so any difference here would come from the slicing.
// Built with -fopenmp, so a program of its own. Covers Elman, LSTM and GRU, both directions,
// ragged batches, truncated BPTT, given initial states and final-state gradients, batch sizes
// that split evenly, unevenly and not at all.
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "recur/recur.hpp"

namespace {

int passed = 0, failed = 0;

void expect(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  (ok ? passed : failed)++;
}

/// Everything one forward + backward produces, flattened.
struct Outcome {
  std::vector<double> values;
  template <class M>
  void add(const M& m) {
    for (recur::Index j = 0; j < m.cols(); ++j)
      for (recur::Index i = 0; i < m.rows(); ++i) values.push_back(static_cast<double>(m(i, j)));
  }
};

template <class Cell>
Outcome run_once(int threads, const recur::Batch& batch, recur::Index steps, bool reverse, recur::Index truncation) {
  using namespace recur;
  using S = typename Cell::Scalar;
  Eigen::setNbThreads(threads);
  const Index I = 5, H = 12, B = batch.size();
  Rng rng(7);
  std::srand(11);  // Eigen's Random draws from std::rand
  Recurrent<Cell> layer(Cell(I, H, rng), reverse);
  layer.set_truncation(truncation);
  MatX<S> x = MatX<S>::Random(I, steps * B);
  typename Recurrent<Cell>::State initial, grad_final;
  initial.h = MatX<S>::Random(H, B);
  initial.c = MatX<S>::Random(Cell::has_cell_state ? H : 0, B);
  grad_final.h = MatX<S>::Random(H, B);
  grad_final.c = MatX<S>::Random(Cell::has_cell_state ? H : 0, B);
  const MatX<S> dy = MatX<S>::Random(H, steps * B);

  typename Recurrent<Cell>::Trace tr;
  Outcome out;
  out.add(layer.forward(x, batch, tr, &initial));
  out.add(tr.final.h);
  out.add(tr.final.c);
  out.add(layer.predict(x, batch, &initial));
  zero_grad(layer);
  out.add(layer.backward(tr, dy, &grad_final));
  out.add(tr.grad_initial.h);
  out.add(tr.grad_initial.c);
  layer.for_each_param([&](auto& p) { out.add(p.grad); });
  return out;
}

template <class Cell>
void check_cell(const char* name) {
  using recur::Index;
  const Index steps = 6;
  struct Case {
    std::string what;
    recur::Batch batch;
  };
  std::vector<Index> lengths(37);
  for (std::size_t b = 0; b < lengths.size(); ++b) lengths[b] = 1 + static_cast<Index>(b * 5 % steps);
  const std::vector<Case> cases = {{"B=64 (two slices of 32)", recur::Batch(64)},
                                   {"B=40 (slices of 16 and 24)", recur::Batch(40)},
                                   {"B=37 ragged (slices of 16 and 21)", recur::Batch(lengths)},
                                   {"B=16 (one slice)", recur::Batch(16)}};
  for (const auto& c : cases)
    for (bool reverse : {false, true})
      for (Index truncation : {Index(0), Index(4)}) {
        const auto one = run_once<Cell>(1, c.batch, steps, reverse, truncation);
        const auto two = run_once<Cell>(2, c.batch, steps, reverse, truncation);
        expect(!one.values.empty() && one.values == two.values,
               std::string(name) + " " + c.what + (reverse ? ", reverse" : "") + (truncation ? ", truncated" : "") +
                   ": 2 threads == 1 thread, bit for bit");
      }
}

}  // namespace

int main() {
  // The slices really run on two threads (otherwise the checks below would prove nothing).
  Eigen::setNbThreads(2);
  const recur::detail::ColumnSlices slices(64);
  std::set<int> threads;
  slices.run([&](int, recur::Index, recur::Index) {
#pragma omp critical
    threads.insert(omp_get_thread_num());
  });
  expect(slices.count() == 2 && threads.size() == 2, "64 columns run as 2 slices on 2 threads");

  using recur::detail::ColumnSlices;
  const ColumnSlices uneven(40, 2), ragged(37, 2), narrow(31, 2), three(64, 3);
  expect(uneven.count() == 2 && uneven.width(0) == 16 && uneven.width(1) == 24, "40 columns: slices of 16 and 24");
  expect(ragged.count() == 2 && ragged.first(1) == 16 && ragged.width(1) == 21, "37 columns: slices of 16 and 21");
  expect(narrow.count() == 1 && narrow.width(0) == 31, "31 columns: one slice (each would be under 16)");
  expect(three.count() == 3 && three.first(1) == 16 && three.first(2) == 40 && three.first(3) == 64,
         "64 columns on 3 threads: edges 0, 16, 40, 64 (multiples of 8)");
  bool rethrown = false;
  int finished = 0;
  try {
    slices.run([&](int k, recur::Index, recur::Index) {
      if (k == 1) throw recur::value_error("slice 1 failed");
#pragma omp atomic
      ++finished;
    });
  } catch (const recur::value_error& e) {
    rethrown = std::string(e.what()) == "slice 1 failed";
  }
  expect(rethrown && finished == 1, "an exception in one slice reaches the caller after the others finish");

  check_cell<recur::Elman<float>>("elman float");
  check_cell<recur::LSTM<float>>("lstm float");
  check_cell<recur::GRU<float>>("gru float");
  check_cell<recur::LSTM<double>>("lstm double");
  check_cell<recur::GRU<double, recur::Dynamic, 12>>("gru double, compile-time H");
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
