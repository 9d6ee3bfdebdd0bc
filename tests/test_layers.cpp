// Layers built on the cells: stacks, bidirectional merges, dense, embedding, pooling and
// Sequential (gradient checks), ragged batches against one sequence at a time, truncated BPTT
// against chunks computed by hand, and the errors public entry points throw.
#include "error_of.hpp"
#include "helpers.hpp"

using namespace recur;
using test::error_of;
using test::random;

namespace {

/// Gradient check of any sequence model whose output is weighed by a fixed random matrix.
template <class Model, class X>
void check_model(Model& model, X& x, const Batch& batch, bool check_input = true) {
  Rng rng(11);
  typename Model::Trace tr;
  const MatX<double> y0 = model.forward(x, batch, tr);
  const MatX<double> w = random(y0.rows(), y0.cols(), rng);
  auto loss = [&](Model& m) {
    typename Model::Trace t;
    return double(m.forward(x, batch, t).cwiseProduct(w).sum());
  };
  MatX<double> dx;
  auto loss_back = [&](Model& m) {
    const double v = loss(m);
    m.forward(x, batch, tr);
    dx = m.backward(tr, w);
    return v;
  };
  test::require_gradients(check_gradients(model, loss, loss_back));
  if constexpr (std::is_same<X, MatX<double>>::value)
    if (check_input) CHECK(relative_error(dx, numerical_gradient(x, [&] { return loss(model); })) < 1e-6);
}

}  // namespace

TEMPLATE_TEST_CASE("stacked and bidirectional layers pass gradient checks", "[stack][gradient]", LSTM<double>,
                   GRU<double>, Elman<double>) {
  Rng rng(5);
  MatX<double> x = random(3, 4 * 2, rng);
  SECTION("two layers, bidirectional, concat, with initial and final state") {
    Stack<TestType> model(3, 4, StackOptions{2, true, Merge::concat}, rng);
    CHECK(model.output_size() == 8);
    const Index LD = 4, B = 2;
    typename Stack<TestType>::State s0{random(4, LD * B, rng),
                                       TestType::has_cell_state ? random(4, LD * B, rng) : MatX<double>()};
    typename Stack<TestType>::State wf{random(4, LD * B, rng),
                                       TestType::has_cell_state ? random(4, LD * B, rng) : MatX<double>()};
    const MatX<double> w = random(8, 8, rng);
    auto loss = [&](Stack<TestType>& m) {
      typename Stack<TestType>::Trace t;
      double v = m.forward(x, B, t, &s0).cwiseProduct(w).sum() + t.final.h.cwiseProduct(wf.h).sum();
      if (TestType::has_cell_state) v += t.final.c.cwiseProduct(wf.c).sum();
      return v;
    };
    typename Stack<TestType>::Trace tr;
    MatX<double> dx;
    auto loss_back = [&](Stack<TestType>& m) {
      const double v = loss(m);
      m.forward(x, B, tr, &s0);
      dx = m.backward(tr, w, &wf);
      return v;
    };
    test::require_gradients(check_gradients(model, loss, loss_back));
    CHECK(relative_error(dx, numerical_gradient(x, [&] { return loss(model); })) < 1e-6);
    CHECK(relative_error(tr.grad_initial.h, numerical_gradient(s0.h, [&] { return loss(model); })) < 1e-6);
  }
  SECTION("bidirectional, sum") {
    Stack<TestType> model(3, 4, StackOptions{1, true, Merge::sum}, rng);
    CHECK(model.output_size() == 4);
    check_model(model, x, 2);
  }
  SECTION("bidirectional, mean, ragged") {
    Bidirectional<TestType> model(3, 4, Merge::mean, rng);
    check_model(model, x, Batch(std::vector<Index>{4, 1}));
  }
  SECTION("three layers, one direction") {
    Stack<TestType> model(3, 4, StackOptions{3, false}, rng);
    check_model(model, x, 2);
  }
  SECTION("dropout between layers: gradients under a fixed mask, none at inference") {
    Stack<TestType> model(3, 4, StackOptions{3, true, Merge::concat, 0.4}, rng);
    const MatX<double> w = random(8, 8, rng);
    auto loss = [&](Stack<TestType>& m, bool back, MatX<double>* dx) {
      Rng masks(17);  // the same masks at every call
      typename Stack<TestType>::Trace t;
      const double v = m.forward(x, 2, t, nullptr, &masks).cwiseProduct(w).sum();
      if (back) *dx = m.backward(t, w);
      return v;
    };
    MatX<double> dx;
    test::require_gradients(check_gradients(
        model, [&](auto& m) { return loss(m, false, nullptr); }, [&](auto& m) { return loss(m, true, &dx); }));
    CHECK(relative_error(dx, numerical_gradient(x, [&] { return loss(model, false, nullptr); })) < 1e-6);
    // Inference equals the same weights without dropout; training draws different masks.
    Rng same_a(30), same_b(30);
    const Stack<TestType> dropping(3, 4, StackOptions{3, true, Merge::concat, 0.4}, same_a);
    const Stack<TestType> plain(3, 4, StackOptions{3, true}, same_b);
    typename Stack<TestType>::Trace t1, t2;
    CHECK(test::max_diff(dropping.forward(x, 2, t1), plain.forward(x, 2, t2)) == 0);
    Rng r1(1), r2(2);
    const MatX<double> trained = dropping.forward(x, 2, t1, nullptr, &r1);
    CHECK(test::max_diff(trained, plain.forward(x, 2, t2)) > 1e-6);
    CHECK(test::max_diff(trained, dropping.forward(x, 2, t2, nullptr, &r2)) > 1e-6);
    CHECK(model.describe().find("dropout=0.4") != std::string::npos);
    CHECK(error_of([&] {
            Stack<TestType>(3, 4, StackOptions{2, false, Merge::concat, 1.0}, rng);
          }) == "Dropout: p must be in [0, 1), got 1.000000");
  }
}

TEST_CASE("dense, embedding, pooling and Sequential pass gradient checks", "[layer][gradient]") {
  Rng rng(9);
  SECTION("Dense with tanh") {
    Dense<double, Tanh> d(3, 2, rng);
    d.bias = random(2, 1, rng);
    MatX<double> x = random(3, 5, rng);
    check_model(d, x, 1);
  }
  SECTION("LastStep and MeanOverTime over a ragged batch") {
    const Batch batch(std::vector<Index>{3, 1, 0});
    Sequential<Recurrent<GRU<double>>, LastStep<double>, Dense<double, Tanh>> last(
        Recurrent<GRU<double>>(2, 3, rng), LastStep<double>(), Dense<double, Tanh>(3, 1, rng));
    MatX<double> x = random(2, 3 * 3, rng);
    check_model(last, x, batch);
    Sequential<Recurrent<LSTM<double>>, MeanOverTime<double>, Dense<double>> mean(
        Recurrent<LSTM<double>>(2, 3, rng), MeanOverTime<double>(), Dense<double>(3, 2, rng));
    check_model(mean, x, batch);
    Sequential<Recurrent<LSTM<double>>, MaxOverTime<double>, Dense<double>> max(
        Recurrent<LSTM<double>>(2, 3, rng), MaxOverTime<double>(), Dense<double>(3, 2, rng));
    check_model(max, x, batch);
  }
  SECTION("MaxOverTime by hand") {
    MatX<double> x(2, 3 * 2);  // T = 3, B = 2; column t*2 + b
    x << 1, 5, 4, 6, 2, 7,     //
        -3, 0, -1, 9, -2, 8;
    MaxOverTime<double> pool;
    MaxOverTime<double>::Trace tr;
    const MatX<double> y = pool.forward(x, Batch(std::vector<Index>{3, 2}), tr);
    MatX<double> expected(2, 2);
    expected << 4, 6, -1, 9;  // sequence 1 stops after 2 steps: its 7 and 8 are padding
    CHECK(test::max_diff(y, expected) == 0);
    const MatX<double> dx = pool.backward(tr, MatX<double>::Constant(2, 2, 1.0));
    MatX<double> routed = MatX<double>::Zero(2, 6);
    routed(0, 2) = routed(1, 2) = routed(0, 3) = routed(1, 3) = 1;
    CHECK(test::max_diff(dx, routed) == 0);
  }
  SECTION("Embedding, stack and head over token ids") {
    Sequential<Embedding<double>, Stack<LSTM<double>>, LastStep<double>, Dense<double>> model(
        Embedding<double>(7, 3, rng), Stack<LSTM<double>>(3, 4, StackOptions{1, true}, rng), LastStep<double>(),
        Dense<double>(8, 5, rng));
    std::vector<Index> ids = {1, 4, 6, 0, 2, 2};  // T = 3, B = 2
    check_model(model, ids, 2, false);
    Index n = 0;
    model.for_each_param([&](Param<double>& p) {
      if (n == 0) CHECK(p.name == "0.weight");
      if (n == 1) CHECK(p.name == "1.weight_ih_l0");
      if (n == 5) CHECK(p.name == "1.weight_ih_l0_reverse");
      ++n;
    });
    CHECK(n == 1 + 8 + 2);
    CHECK(param_count(model) == 7 * 3 + 2 * (16 * 3 + 16 * 4 + 32) + 8 * 5 + 5);
  }
}

TEMPLATE_TEST_CASE("a ragged batch equals running each sequence alone", "[ragged]", LSTM<double>, GRU<double>,
                   Elman<double>) {
  Rng rng(21);
  const std::vector<Index> lengths = {5, 2, 4};
  const Index T = 5, B = 3;
  Stack<TestType> model(3, 4, StackOptions{2, true}, rng);
  MatX<double> x = random(3, T * B, rng);
  const MatX<double> w = random(8, T * B, rng);
  typename Stack<TestType>::Trace tr;
  const MatX<double> y = model.forward(x, Batch(lengths), tr);
  zero_grad(model);
  const MatX<double> dx = model.backward(tr, w);
  std::vector<MatX<double>> together;
  model.for_each_param([&](Param<double>& p) { together.push_back(p.grad); });

  zero_grad(model);  // the gradients of the sequences alone add up to the batch's
  for (Index b = 0; b < B; ++b) {
    const Index len = lengths[std::size_t(b)];
    MatX<double> xb(3, len), wb(8, len);
    for (Index t = 0; t < len; ++t) {
      xb.col(t) = x.col(t * B + b);
      wb.col(t) = w.col(t * B + b);
    }
    typename Stack<TestType>::Trace tb;
    const MatX<double> yb = model.forward(xb, 1, tb);
    const MatX<double> dxb = model.backward(tb, wb);
    for (Index t = 0; t < T; ++t) {
      if (t < len) {
        CHECK(test::max_diff(y.col(t * B + b), yb.col(t)) < 1e-12);
        CHECK(test::max_diff(dx.col(t * B + b), dxb.col(t)) < 1e-12);
      } else {
        CHECK(y.col(t * B + b).isZero());  // padding outputs are zero and get no gradient
        CHECK(dx.col(t * B + b).isZero());
      }
    }
    for (Index k = 0; k < 4; ++k)  // final state of each layer and direction
      CHECK(test::max_diff(tr.final.h.col(k * B + b), tb.final.h.col(k)) < 1e-12);
  }
  std::size_t k = 0;
  model.for_each_param([&](Param<double>& p) { CHECK(test::max_diff(p.grad, together[k++]) < 1e-12); });
}

TEMPLATE_TEST_CASE("truncated BPTT equals backpropagating chunks by hand", "[bptt]", LSTM<double>, GRU<double>) {
  Rng rng(4);
  const Index T = 7, B = 2, k = 3;
  Recurrent<TestType> layer(TestType(2, 3, rng));
  MatX<double> x = random(2, T * B, rng);
  const MatX<double> w = random(3, T * B, rng);

  layer.set_truncation(k);
  typename Recurrent<TestType>::Trace tr;
  layer.forward(x, B, tr);
  zero_grad(layer);
  const MatX<double> dx = layer.backward(tr, w);
  std::vector<MatX<double>> truncated;
  layer.for_each_param([&](Param<double>& p) { truncated.push_back(p.grad); });

  // By hand: chunks of k steps; each starts from the previous chunk's final state, taken as a
  // constant (no gradient flows into it), as when detaching the state in PyTorch.
  layer.set_truncation(0);
  zero_grad(layer);
  typename Recurrent<TestType>::State state{MatX<double>::Zero(3, B),
                                            TestType::has_cell_state ? MatX<double>::Zero(3, B) : MatX<double>()};
  MatX<double> dx_chunks(2, T * B);
  for (Index start = 0; start < T; start += k) {
    const Index len = std::min(k, T - start);
    typename Recurrent<TestType>::Trace tc;
    layer.forward(x.middleCols(start * B, len * B), B, tc, &state);
    dx_chunks.middleCols(start * B, len * B) = layer.backward(tc, w.middleCols(start * B, len * B));
    state = tc.final;
  }
  CHECK(test::max_diff(dx, dx_chunks) < 1e-12);
  std::size_t i = 0;
  layer.for_each_param([&](Param<double>& p) { CHECK(test::max_diff(p.grad, truncated[i++]) < 1e-12); });

  // And truncation really changes the gradient: full BPTT differs.
  zero_grad(layer);
  layer.forward(x, B, tr);
  layer.backward(tr, w);
  double diff = 0;
  i = 0;
  layer.for_each_param([&](Param<double>& p) { diff = std::max(diff, test::max_diff(p.grad, truncated[i++])); });
  CHECK(diff > 1e-6);
}

TEST_CASE("predict and forward agree, and predict continues a stream chunk by chunk", "[layer]") {
  Rng rng(8);
  Stack<LSTM<float>> model(2, 5, StackOptions{2, false}, rng);
  const MatX<float> x = random<float>(2, 6 * 3, rng);
  Stack<LSTM<float>>::Trace tr;
  const MatX<float> y = model.forward(x, 3, tr);
  CHECK(test::max_diff(model.predict(x, 3), y) == 0.0);
  Stack<LSTM<float>>::State state{MatX<float>::Zero(5, 2 * 3), MatX<float>::Zero(5, 2 * 3)};
  const MatX<float> first = model.predict(x.leftCols(4 * 3), 3, &state);
  const MatX<float> rest = model.predict(x.rightCols(2 * 3), 3, &state);
  CHECK(test::max_diff(first, y.leftCols(12)) < 1e-6);
  CHECK(test::max_diff(rest, y.rightCols(6)) < 1e-6);
  CHECK(test::max_diff(state.h, tr.final.h) < 1e-6);
}

TEMPLATE_TEST_CASE("predict into a kept workspace equals predict, call after call, for any shape", "[layer]",
                   LSTM<float>, GRU<float>, Elman<float>) {
  Rng rng(21);
  const Recurrent<TestType> layer(3, 7, rng);
  typename Recurrent<TestType>::Trace workspace;
  const MatX<float> a = random<float>(3, 5 * 4, rng), b = random<float>(3, 2 * 6, rng);
  const Batch ragged(std::vector<Index>{5, 2, 4, 1});
  // Alternating shapes and batches: every call's output is exactly predict()'s.
  CHECK(layer.predict(a, 4, workspace) == layer.predict(a, 4));
  const float* buffer = workspace.h.data();
  CHECK(layer.predict(a, 4, workspace) == layer.predict(a, 4));
  CHECK(workspace.h.data() == buffer);  // the same shape again: the same buffer, not a new one
  CHECK(layer.predict(b, 6, workspace) == layer.predict(b, 6));
  CHECK(layer.predict(a, ragged, workspace) == layer.predict(a, ragged));
  // A stream chunk by chunk through the workspace, like predict(x, B, &state).
  typename Recurrent<TestType>::State s1, s2;
  s1.h = s2.h = MatX<float>::Zero(7, 4);
  s1.c = s2.c = MatX<float>::Zero(TestType::has_cell_state ? 7 : 0, 4);
  CHECK(layer.predict(a.leftCols(8), 4, workspace, &s1) == layer.predict(a.leftCols(8), 4, &s2));
  CHECK(layer.predict(a.rightCols(12), 4, workspace, &s1) == layer.predict(a.rightCols(12), 4, &s2));
  CHECK(s1.h == s2.h);
  CHECK(s1.c == s2.c);
  // Not a trace backward accepts.
  Recurrent<TestType> trainable(3, 7, rng);
  trainable.predict(a, 4, workspace);
  CHECK_THROWS_AS(trainable.backward(workspace, MatX<float>::Zero(7, 20)), value_error);
}

TEST_CASE("public entry points reject bad input with both shapes in the message", "[error]") {
  Rng rng(1);
  Recurrent<LSTM<float>> lstm(3, 4, rng);
  Recurrent<LSTM<float>>::Trace tr;
  SECTION("wrong feature count") {
    const MatX<float> x = MatX<float>::Zero(2, 6);
    CHECK_THROWS_AS(lstm.forward(x, 2, tr), shape_error);
    CHECK_THROWS_WITH(lstm.forward(x, 2, tr), Catch::Contains("expected 3 rows") && Catch::Contains("[2 x 6]"));
  }
  SECTION("T*B not divisible") {
    const MatX<float> x = MatX<float>::Zero(3, 7);
    CHECK_THROWS_WITH(lstm.forward(x, 2, tr), Catch::Contains("7 columns") && Catch::Contains("2 sequences"));
  }
  SECTION("empty sequence and lengths longer than the batch") {
    CHECK_THROWS_AS(lstm.forward(MatX<float>::Zero(3, 0), 2, tr), shape_error);
    CHECK_THROWS_WITH(lstm.forward(MatX<float>::Zero(3, 4), Batch(std::vector<Index>{3, 1}), tr),
                      Catch::Contains("length 3") && Catch::Contains("2 steps"));
    CHECK_THROWS_AS(Batch(std::vector<Index>{2, -1}), value_error);
    CHECK_THROWS_AS(Batch(0), value_error);
  }
  SECTION("mismatched state") {
    Recurrent<LSTM<float>>::State s{MatX<float>::Zero(4, 3), MatX<float>::Zero(4, 2)};
    CHECK_THROWS_WITH(lstm.forward(MatX<float>::Zero(3, 4), 2, tr, &s),
                      Catch::Contains("initial state h") && Catch::Contains("[4 x 2]") && Catch::Contains("[4 x 3]"));
    Stack<GRU<float>> stack(3, 4, StackOptions{2, true});
    Stack<GRU<float>>::State bad{MatX<float>::Zero(4, 2), MatX<float>()};
    Stack<GRU<float>>::Trace st;
    CHECK_THROWS_WITH(stack.forward(MatX<float>::Zero(3, 4), 2, st, &bad), Catch::Contains("[4 x 8]"));
    auto stream = lstm.cell().zero_stream_state();
    CHECK_THROWS_AS(lstm.cell().step(Matrix<float, 2, 1>::Zero(), stream), shape_error);
  }
  SECTION("NaN in the input names the step, the batch column and the feature") {
    MatX<float> x = MatX<float>::Zero(3, 4);
    x(1, 3) = std::numeric_limits<float>::quiet_NaN();  // column 3 of T*B with B = 2: step 1, sequence 1
    CHECK_THROWS_AS(lstm.forward(x, 2, tr), value_error);
    CHECK_THROWS_WITH(lstm.predict(x, 2),
                      "Recurrent::forward input: non-finite value nan at step 1, batch column 1, "
                      "feature 1");
    auto stream = lstm.cell().zero_stream_state();
    CHECK_THROWS_AS(lstm.cell().step(Matrix<float, 3, 1>(1, NAN, 0), stream), value_error);
  }
  SECTION("backward with a wrong gradient or a foreign trace") {
    lstm.forward(MatX<float>::Zero(3, 4), 2, tr);
    CHECK_THROWS_WITH(lstm.backward(tr, MatX<float>::Zero(4, 5)),
                      Catch::Contains("[4 x 4]") && Catch::Contains("[4 x 5]"));
    Recurrent<LSTM<float>>::Trace empty;
    CHECK_THROWS_AS(lstm.backward(empty, MatX<float>::Zero(4, 4)), value_error);
  }
  SECTION("dense, embedding, pooling") {
    Dense<float> d(3, 2);
    CHECK_THROWS_AS(d.predict(MatX<float>::Zero(4, 1)), shape_error);
    Embedding<float> e(5, 2);
    CHECK_THROWS_WITH(e.predict({1, 5}), Catch::Contains("token id 5 at position 1"));
    CHECK_THROWS_AS(e.predict({-1}), value_error);
    CHECK_THROWS_AS(LastStep<float>().predict(MatX<float>::Zero(2, 5), 2), shape_error);
  }
}

TEMPLATE_TEST_CASE("inputs of huge magnitude saturate the gates without NaN", "[robust]", LSTM<float>, GRU<float>,
                   Elman<float>) {
  Rng rng(2);
  Stack<TestType> net(3, 5, StackOptions{2, true}, rng);
  MatX<float> x = random<float>(3, 8, rng) * 1e30f;  // 4 steps of 2 sequences
  x(0, 0) = 3e38f;                                   // near float's largest value
  x(1, 1) = -3e38f;
  typename Stack<TestType>::Trace tr;
  const MatX<float> y = net.forward(x, 2, tr);
  CHECK(y.allFinite());
  CHECK(y.cwiseAbs().maxCoeff() <= 1.0f);  // every output is a saturated tanh (or gate product)
  const MatX<float> dx = net.backward(tr, MatX<float>::Ones(y.rows(), y.cols()));
  CHECK(dx.allFinite());
  net.for_each_param([](Param<float>& p) { CHECK(p.grad.allFinite()); });
}

TEMPLATE_TEST_CASE("the packed recurrent product equals Eigen's product", "[packed]", float, double) {
  Rng rng(30);
  // Shapes around the kernels' register blocks (Eigen's 48 x 4, the AVX-512 kernel's 32 x 8 with
  // its masked rows) and cache blocks, and depths beyond one block of either.
  for (Index m : {1, 7, 17, 32, 48, 129, 1024})
    for (Index k : {1, 5, 64, 700, 2100})
      for (Index n : {1, 4, 9, 15, 33}) {
        const MatX<TestType> a = random<TestType>(m, k, rng), b = random<TestType>(k, n, rng);
        MatX<TestType> c = random<TestType>(m, n, rng), expected = c + a * b;
        detail::PackedMatrix<TestType> packed;
        packed.pack(a, n);
        MatX<TestType> work = packed.workspace();
        packed.multiply_add(c, a, b, work);
        INFO("m " << m << ", k " << k << ", n " << n);
        CHECK(test::max_diff(c, expected) < (std::is_same<TestType, float>::value ? 1e-4 : 1e-12));
        // and on column blocks of larger matrices, as the time loop uses it
        MatX<TestType> big = MatX<TestType>::Zero(m, 3 * n), bb = random<TestType>(k, 3 * n, rng);
        packed.multiply_add(big.middleCols(n, n), a, bb.middleCols(2 * n, n), work);
        const MatX<TestType> expected_block = a * bb.middleCols(2 * n, n);
        CHECK(test::max_diff(big.middleCols(n, n), expected_block) <
              (std::is_same<TestType, float>::value ? 1e-4 : 1e-12));
        CHECK(big.leftCols(n).isZero());
      }
}

TEMPLATE_TEST_CASE("products with transposed operands equal Eigen's", "[packed]", float, double) {
  Rng rng(32);
  const auto tolerance = [](Index depth) {
    return (std::is_same<TestType, float>::value ? 2e-6 : 1e-14) * static_cast<double>(depth);
  };
  for (Index m : {3, 17, 40, 100})
    for (Index k : {2, 9, 64, 2100})
      for (Index n : {1, 5, 8, 36, 530}) {  // 530: more than one block of B
        INFO("m " << m << ", k " << k << ", n " << n);
        const MatX<TestType> a = random<TestType>(m, k, rng), b = random<TestType>(k, n, rng);
        const MatX<TestType> at = a.transpose(), bt = b.transpose(), c0 = random<TestType>(m, n, rng);
        const MatX<TestType> expected = c0 + a * b;
        MatX<TestType> c = c0;
        detail::multiply_add(c, a, bt.transpose());  // a gradient's dg * h^T
        CHECK(test::max_diff(c, expected) < tolerance(k));
        c = c0;
        detail::multiply_add(c, at.transpose(), b);  // dx = W^T * dg
        CHECK(test::max_diff(c, expected) < tolerance(k));
        // overwriting, into a column block of a larger matrix, from column blocks
        MatX<TestType> big = MatX<TestType>::Constant(m, n + 2, TestType(7)), wide = random<TestType>(k, n + 3, rng);
        wide.middleCols(1, n) = b;
        detail::multiply(big.middleCols(1, n), a, wide.middleCols(1, n));
        CHECK(test::max_diff(big.middleCols(1, n), MatX<TestType>(a * b)) < tolerance(k));
        CHECK((big.col(0).array() == TestType(7)).all());
        CHECK((big.col(n + 1).array() == TestType(7)).all());
      }
}

TEST_CASE("every column of a packed product is summed alike wherever it lies", "[packed]") {
  // The time loops' threads cut a batch into column slices; a column's result must not depend on
  // its place in a register block, or the slices would change results.
  Rng rng(33);
  const MatX<float> a = random<float>(70, 300, rng), b = random<float>(300, 29, rng);
  detail::PackedMatrix<float> packed;
  packed.pack(a, 29);
  MatX<float> work = packed.workspace(), whole = MatX<float>::Zero(70, 29);
  packed.multiply_add(whole, a, b, work);
  for (Index first : {0, 3, 8, 13})
    for (Index width : {4, 5, 8, 11, 16}) {
      if (first + width > 29) continue;
      // Eigen's kernel (builds without AVX-512) treats the columns of groups of 4 and the rest apart.
      if (!RECUR_AVX512_PRODUCT && (first % 8 != 0 || width % 4 != 0)) continue;
      MatX<float> part = MatX<float>::Zero(70, width);
      packed.multiply_add(part, a, b.middleCols(first, width), work);
      INFO("first " << first << ", width " << width);
      CHECK(part == whole.middleCols(first, width));
    }
}

TEST_CASE("a trace used again and again gives the same results", "[packed][trace]") {
  // Backward packs W_hh^T into the memory forward packed W_hh in; neither may leak into the other.
  Rng rng(34);
  Recurrent<LSTM<float>> layer(6, 40, rng);
  const MatX<float> x = random<float>(6, 3 * 36, rng), dy = random<float>(40, 3 * 36, rng);
  Recurrent<LSTM<float>>::Trace tr;
  const MatX<float> y = layer.forward(x, 36, tr);
  const MatX<float> dx = layer.backward(tr, dy);
  const MatX<float> grad = layer.cell().grad_weight_hh;
  CHECK(layer.backward(tr, dy) == dx);  // backward twice on one trace
  CHECK(test::max_diff(layer.cell().grad_weight_hh, 2 * grad) < 1e-4 * grad.cwiseAbs().maxCoeff());
  CHECK(layer.forward(x, 36, tr) == y);  // forward after backward into the same trace
  zero_grad(layer);
  CHECK(layer.backward(tr, dy) == dx);
  CHECK(layer.cell().grad_weight_hh == grad);
  Recurrent<LSTM<float>>::Trace fresh;
  CHECK(layer.forward(x, 36, fresh) == y);
}

TEST_CASE("wide batches (packed products) pass gradient checks", "[packed][gradient]") {
  Rng rng(31);
  Stack<GRU<double>> gru(3, 5, StackOptions{2, true}, rng);
  MatX<double> x = random(3, 3 * 6, rng);
  check_model(gru, x, 6);
  Stack<LSTM<double>> lstm(3, 5, StackOptions{1, false}, rng);
  check_model(lstm, x, Batch(std::vector<Index>{3, 1, 2, 3, 0, 2}));
}

TEST_CASE("traces keep temporaries alive and refuse traces of other layers", "[trace][error]") {
  Rng rng(40);
  Recurrent<LSTM<float, 4, 4>> first{LSTM<float, 4, 4>(rng)}, second{LSTM<float, 4, 4>(rng)};
  const MatX<float> x = random<float>(4, 3 * 2, rng), dy = random<float>(4, 3 * 2, rng);
  Recurrent<LSTM<float, 4, 4>>::Trace by_ref, by_temp, by_expr;
  const MatX<float> mid = first.predict(x, 2);
  second.forward(mid, 2, by_ref);
  second.forward(first.predict(x, 2), 2, by_temp);  // a temporary: copied into the trace
  second.forward(mid * 1.0f, 2, by_expr);           // an expression: evaluated into the trace
  CHECK(by_ref.input_copy.size() == 0);
  CHECK(by_temp.input_copy.size() == mid.size());
  std::vector<Recurrent<LSTM<float, 4, 4>>::Trace> moved;
  moved.push_back(std::move(by_temp));  // moving keeps the copy it points at
  moved.emplace_back();
  moved.reserve(100);
  zero_grad(second);
  const MatX<float> a = second.backward(by_ref, dy);
  const MatX<float> wa = second.cell().grad_weight_ih;
  for (auto* tr : {&moved[0], &by_expr}) {
    zero_grad(second);
    CHECK(test::max_diff(second.backward(*tr, dy), a) == 0.0);
    CHECK(test::max_diff(second.cell().grad_weight_ih, wa) == 0.0);
  }
  SECTION("a trace of another layer, a failed forward, a flipped direction") {
    Recurrent<GRU<float>> wide(GRU<float>(4, 9, rng)), narrow(GRU<float>(4, 3, rng));
    Recurrent<GRU<float>>::Trace tr;
    wide.forward(x, 2, tr);
    CHECK_THROWS_WITH(narrow.backward(tr, MatX<float>::Zero(3, 6)), Catch::Contains("not made by"));
    Recurrent<GRU<float>>::State bad{MatX<float>::Zero(3, 5), MatX<float>()};
    CHECK_THROWS_AS(narrow.forward(x, 2, tr, &bad), shape_error);
    CHECK_THROWS_WITH(narrow.backward(tr, MatX<float>::Zero(3, 6)), Catch::Contains("not made by"));
    narrow.forward(x, 2, tr);
    narrow.set_reverse(true);
    CHECK_THROWS_WITH(narrow.backward(tr, MatX<float>::Zero(3, 6)), Catch::Contains("not made by"));
  }
  SECTION("an embedding trace after a failed forward") {
    Embedding<float> e(5, 2, rng);
    Embedding<float>::Trace tr;
    CHECK_THROWS_AS(e.forward({1, 7}, 1, tr), value_error);
    CHECK_THROWS_AS(e.backward(tr, MatX<float>::Zero(2, 2)), shape_error);
  }
}
