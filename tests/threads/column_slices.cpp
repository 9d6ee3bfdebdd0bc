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
#include "recur/tree/sharded_training.hpp"

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

/// The sharded RNTN trainer (OpenMP team, two shards) on 2 threads against 1: the same loss
/// and gradients, bit for bit, with dropout on.
void check_sharded_trainer() {
  using namespace recur;
  using Net = tree::RecursiveNet<double>;
  Rng rng(4);
  Net net(8, 3, 5, rng);
  net.dropout = Dropout<double>(0.3);
  std::vector<tree::Tree> trees;
  for (const char* t : {"(3 (2 (1 a) (4 b)) (0 (2 c) (3 (1 d) (2 e))))", "(4 (2 f) (0 g))", "(1 x)", "(2 (3 y) (1 z))"})
    trees.push_back(tree::parse(t));
  std::vector<std::vector<Index>> ids;
  std::vector<const tree::Tree*> ptrs;
  for (const auto& t : trees) {
    std::vector<Index> v;
    for (std::size_t w = 0; w < t.words.size(); ++w) v.push_back(static_cast<Index>((w * 3 + t.words.size()) % 8));
    ids.push_back(v);
    ptrs.push_back(&t);
  }
  auto run = [&](int threads) {
    Net copy = net;
    tree::ShardedTrainer<Net> trainer(copy, threads, 2);
    Rng masks(7);
    Outcome o;
    o.values.push_back(trainer.step(copy, ptrs, ids, &masks));
    copy.for_each_param([&](Param<double>& p) { o.add(p.grad); });
    return o.values;
  };
  expect(run(2) == run(1), "sharded RNTN trainer: 2 threads give 1 thread's loss and gradients bit for bit");
}

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

  // The tree trainers' loop: every piece once, on an OpenMP team, with products inside it
  // kept on their own thread (from plain threads each product started a team of its own).
  {
    std::vector<int> calls(5, 0);
    std::set<int> team;
    bool products_single = true;
    recur::detail::parallel_for(calls.size(), 2, [&](std::size_t k) {
#pragma omp critical
      {
        ++calls[k];
        team.insert(omp_get_thread_num());
        products_single = products_single && ColumnSlices::available_threads() == 1;
      }
    });
    expect(calls == std::vector<int>(5, 1) && team.size() == 2 && products_single,
           "parallel_for: 5 pieces once each on 2 OpenMP threads, products inside on one thread");
    int done = 0;
    bool caught = false;
    try {
      recur::detail::parallel_for(4, 2, [&](std::size_t k) {
        if (k == 0) throw recur::value_error("piece 0 failed");
#pragma omp atomic
        ++done;
      });
    } catch (const recur::value_error& e) {
      caught = std::string(e.what()) == "piece 0 failed";
    }
    // Thread 0 has pieces 0 and 2 and stops at 0; thread 1 runs 1 and 3.
    expect(caught && done == 2, "parallel_for: an exception reaches the caller after the other thread's pieces ran");
  }
  check_sharded_trainer();

  check_cell<recur::Elman<float>>("elman float");
  check_cell<recur::LSTM<float>>("lstm float");
  check_cell<recur::GRU<float>>("gru float");
  check_cell<recur::LSTM<double>>("lstm double");
  check_cell<recur::GRU<double, recur::Dynamic, 12>>("gru double, compile-time H");
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
