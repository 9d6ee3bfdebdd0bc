// Cells unrolled over time: finite-difference gradient checks in both size modes, closed forms,
// and streaming step() against the unrolled layer.
#include <limits>
#include <thread>

#include "helpers.hpp"

using namespace recur;
using test::random;

namespace {

template <class Cell>
void make_steep(Cell& cell) {
  if constexpr (Cell::gates == 1)
    test::steepen(cell.phi, 0.4);  // flatter Elman phi keeps the check well away from saturation
  else
    test::steepen(cell.gate, 2.5);
}

/// Gradient check of Recurrent<Cell> over T steps: parameters, input, initial state, with a
/// loss that weighs the outputs and the final state.
template <class Cell>
void check_unrolled(bool reverse, const Batch& batch, Index T) {
  Rng rng(7);
  const Index I = 3, H = 4, B = batch.size();
  Cell cell(I, H, rng);
  make_steep(cell);
  // biases away from zero, so every path of the cell is exercised
  cell.bias_ih = random(cell.bias_ih.rows(), 1, rng, 0.5);
  cell.bias_hh = random(cell.bias_hh.rows(), 1, rng, 0.5);
  Recurrent<Cell> layer(cell, reverse);
  MatX<double> x = random(I, T * B, rng);
  typename Recurrent<Cell>::State s0{random(H, B, rng, 0.5),
                                     Cell::has_cell_state ? random(H, B, rng, 0.5) : MatX<double>()};
  const MatX<double> wy = random(H, T * B, rng);  // loss = <wy, y> + <wh, h_T> + <wc, c_T>
  typename Recurrent<Cell>::State wfinal{random(H, B, rng), Cell::has_cell_state ? random(H, B, rng) : MatX<double>()};

  auto loss = [&](auto& l) {
    typename Recurrent<Cell>::Trace tr;
    const auto& y = l.forward(x, batch, tr, &s0);
    double v = y.cwiseProduct(wy).sum() + tr.final.h.cwiseProduct(wfinal.h).sum();
    if (Cell::has_cell_state) v += tr.final.c.cwiseProduct(wfinal.c).sum();
    return v;
  };
  typename Recurrent<Cell>::Trace tr;
  MatX<double> dx;
  auto loss_back = [&](auto& l) {
    const double v = loss(l);
    l.forward(x, batch, tr, &s0);
    dx = l.backward(tr, wy, &wfinal);
    return v;
  };
  test::require_gradients(check_gradients(layer, loss, loss_back));
  INFO("input and initial-state gradients");
  CHECK(relative_error(dx, numerical_gradient(x, [&] { return loss(layer); })) < 1e-6);
  CHECK(relative_error(tr.grad_initial.h, numerical_gradient(s0.h, [&] { return loss(layer); })) < 1e-6);
  if (Cell::has_cell_state)
    CHECK(relative_error(tr.grad_initial.c, numerical_gradient(s0.c, [&] { return loss(layer); })) < 1e-6);
}

}  // namespace

TEMPLATE_TEST_CASE("unrolled cells pass finite-difference gradient checks", "[cell][gradient]", (Elman<double>),
                   (Elman<double, Dynamic, Dynamic, ReLU>), (Elman<double, 3, 4, SteepSigmoid>),
                   (Elman<double, 3, 4, Identity>), (LSTM<double>), (LSTM<double, 3, 4>),
                   (LSTM<double, Dynamic, Dynamic, SteepSigmoid>), (LSTM<double, 3, 4, HardSigmoid>), (GRU<double>),
                   (GRU<double, 3, 4>), (GRU<double, Dynamic, Dynamic, HardSigmoid>),
                   (GRU<double, 3, 4, SteepSigmoid>)) {
  SECTION("forward in time") { check_unrolled<TestType>(false, Batch(2), 5); }
  SECTION("reverse in time") { check_unrolled<TestType>(true, Batch(2), 4); }
  SECTION("ragged batch, forward") { check_unrolled<TestType>(false, Batch(std::vector<Index>{5, 2, 0, 3}), 5); }
  SECTION("ragged batch, reverse") { check_unrolled<TestType>(true, Batch(std::vector<Index>{1, 4, 3}), 4); }
  SECTION("a single step") { check_unrolled<TestType>(false, Batch(3), 1); }
}

TEMPLATE_TEST_CASE("streaming step() equals the unrolled layer", "[cell][stream]", (Elman<float>), (Elman<float, 2, 5>),
                   (LSTM<float>), (LSTM<float, 2, 5>), (GRU<float>), (GRU<float, 2, 5>)) {
  Rng rng(3);
  TestType cell(2, 5, rng);
  const Index T = 7;
  Eigen::MatrixXf x = random<float>(2, T, rng);
  Recurrent<TestType> layer(cell);
  const auto y = layer.predict(x, 1);
  auto state = cell.zero_stream_state();
  for (Index t = 0; t < T; ++t) {
    Matrix<float, TestType::input_size_at_compile_time, 1> xt = x.col(t);
    const auto& h = cell.step(xt, state);
    CHECK(test::max_diff(h, y.col(t)) < 1e-6);
  }
  state.reset();
  CHECK(state.h.isZero());
  // A batch of two independent streams.
  auto batch_state = cell.zero_state(2);
  Eigen::MatrixXf two(2, 2);
  two << x.col(0), x.col(0);
  cell.step(two, batch_state);
  CHECK(test::max_diff(batch_state.h.col(1), y.col(0)) < 1e-6);
}

TEMPLATE_TEST_CASE("streaming step() equals the unrolled layer at sizes that split into packets", "[cell][stream]",
                   (Elman<float>), (LSTM<float>), (GRU<float>), (LSTM<float, 1, 24>)) {
  for (Index h : {1, 8, 24, 70}) {
    if (TestType::hidden_size_at_compile_time != Dynamic && h != TestType::hidden_size_at_compile_time) continue;
    Rng rng(5);
    TestType cell(1, h, rng);
    cell.bias_ih = random<float>(cell.bias_ih.rows(), 1, rng, 0.5);
    const Eigen::MatrixXf x = random<float>(1, 6, rng);
    const auto y = Recurrent<TestType>(cell).predict(x, 1);
    auto state = cell.zero_stream_state();
    for (Index t = 0; t < x.cols(); ++t) {
      INFO("H = " << h << ", t = " << t);
      CHECK(test::max_diff(cell.step(x.col(t), state), y.col(t)) < 1e-5);
    }
  }
}

TEMPLATE_TEST_CASE("StreamingCell steps equal the cell's own steps", "[cell][stream]", (Elman<float>), (LSTM<float>),
                   (GRU<float>), (LSTM<double>), (GRU<float, 2, 48>), (LSTM<float, 2, 64>),
                   (Elman<float, Dynamic, Dynamic, ReLU>)) {
  // Hidden sizes whose G*H rows split into blocks of every kind (the packed copy cuts them
  // into 64-row blocks with AVX-512, the cell's own product into 256-row ones); W_hh is
  // packed only above 24 KB, so every type must reach a packed case.
  int packed_cases = 0;
  for (Index h : {1, 5, 16, 24, 37, 48, 64, 100}) {
    if (TestType::hidden_size_at_compile_time != Dynamic && h != TestType::hidden_size_at_compile_time) continue;
    Rng rng(21);
    TestType cell(2, h, rng);
    cell.bias_ih = random<typename TestType::Scalar>(cell.bias_ih.rows(), 1, rng, 0.5);
    const StreamingCell<TestType> streaming(cell);
    packed_cases += streaming.packed();
    auto plain = cell.zero_stream_state();
    auto packed = streaming.zero_stream_state();
    for (int t = 0; t < 9; ++t) {  // odd and even steps read the packed W_hh in opposite orders
      const Matrix<typename TestType::Scalar, TestType::input_size_at_compile_time, 1> x =
          random<typename TestType::Scalar>(2, 1, rng);
      INFO("H = " << h << ", t = " << t);
      const auto& expect = cell.step(x, plain);
      CHECK(test::max_diff(streaming.step(x, packed), expect) < 1e-5);
      CHECK(packed.steps == t + 1);
    }
    packed.reset();
    CHECK(packed.steps == 0);
    CHECK(packed.h.isZero());
  }
  CHECK(packed_cases > 0);
}

TEST_CASE("a one-unit Elman cell (row-major [1 x I] W_ih) steps and unrolls by the formula", "[cell][stream]") {
  // Eigen stores a fixed [1 x I] matrix row-major: the one-column kernel must not take its
  // outer stride for the distance between columns.
  Rng rng(31);
  using Cell = Elman<float, 20, 1>;
  static_assert(decltype(Cell::weight_ih)::IsRowMajor, "the case this test is for");
  Cell cell(20, 1, rng);
  cell.bias_ih = random<float>(1, 1, rng, 0.5);
  const Index T = 5;
  const Eigen::MatrixXf x = random<float>(20, T, rng);
  Eigen::MatrixXf expect(1, T);
  float h = 0;
  for (Index t = 0; t < T; ++t) {
    h = std::tanh(cell.weight_ih.row(0).dot(x.col(t)) + cell.bias_ih(0) + cell.bias_hh(0) + cell.weight_hh(0, 0) * h);
    expect(0, t) = h;
  }
  auto state = cell.zero_stream_state();
  const StreamingCell<Cell> streaming(cell);
  auto streamed = streaming.zero_stream_state();
  for (Index t = 0; t < T; ++t) {
    const Matrix<float, 20, 1> xt = x.col(t);
    INFO("t = " << t);
    CHECK(cell.step(xt, state)(0) == Approx(expect(0, t)).epsilon(1e-5));
    CHECK(streaming.step(xt, streamed)(0) == Approx(expect(0, t)).epsilon(1e-5));
  }
  CHECK(test::max_diff(Recurrent<Cell>(cell).predict(x, 1), expect) < 1e-5);
}

TEMPLATE_TEST_CASE("Elman inference, gates computed in place, equals the traced forward", "[cell][elman]",
                   (Elman<float>), (Elman<float, 2, 6>), (Elman<double, Dynamic, Dynamic, ReLU>)) {
  using S = typename TestType::Scalar;
  Rng rng(24);
  for (const bool reverse : {false, true})
    for (const Batch& batch : {Batch(3), Batch(std::vector<Index>{4, 1, 3})}) {
      const Recurrent<TestType> layer(TestType(2, 6, rng), reverse);
      const MatX<S> x = random<S>(2, 4 * 3, rng);
      typename Recurrent<TestType>::Trace tr, workspace;
      const MatX<S> traced = layer.forward(x, batch, tr);
      INFO("reverse " << reverse << ", ragged " << batch.ragged());
      CHECK(test::max_diff(layer.predict(x, batch), traced) < 1e-6);
      CHECK(test::max_diff(layer.predict(x, batch, workspace), traced) < 1e-6);
      CHECK(workspace.gates.cols() == 0);  // one buffer, not two
      CHECK(tr.gates.cols() == 4 * 3);     // training keeps the gates
    }
}

TEST_CASE("a StreamingCell keeps the weights it was made with", "[cell][stream]") {
  Rng rng(22);
  LSTM<float> cell(1, 70, rng);
  const StreamingCell<LSTM<float>> streaming(cell);
  const LSTM<float> original = cell;
  cell.weight_hh *= 0.5f;  // a direct write after the copy was made
  cell.bias_ih.setConstant(1.0f);
  auto s_streaming = streaming.zero_stream_state(), s_original = original.zero_stream_state(),
       s_changed = cell.zero_stream_state();
  for (int t = 0; t < 5; ++t) {
    const Matrix<float, 1, 1> x(0.3f * float(t) - 0.5f);
    const auto& h = streaming.step(x, s_streaming);
    CHECK(test::max_diff(h, original.step(x, s_original)) < 1e-6);
    CHECK(test::max_diff(h, cell.step(x, s_changed)) > 1e-3);
  }
  CHECK(streaming.cell().weight_hh == original.weight_hh);
  CHECK(streaming.hidden_size() == 70);
  CHECK(streaming.input_size() == 1);
}

TEST_CASE("a StreamingCell rejects bad input like the cell", "[cell][stream][error]") {
  Rng rng(23);
  const StreamingCell<GRU<float>> streaming(GRU<float>(3, 8, rng));
  auto s = streaming.zero_stream_state();
  CHECK_THROWS_AS(streaming.step(Eigen::VectorXf::Zero(2), s), shape_error);
  Eigen::VectorXf x = Eigen::VectorXf::Zero(3);
  x(1) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(streaming.step(x, s), value_error);
  CHECK_THROWS_WITH(streaming.step(x, s), Catch::Contains("non-finite") && Catch::Contains("row 1"));
  auto wrong = GRU<float>(3, 9, rng).zero_stream_state();
  CHECK_THROWS_AS(streaming.step(Eigen::VectorXf::Zero(3), wrong), shape_error);
}

TEST_CASE("LSTM closed form: zero weights, known biases", "[cell][lstm]") {
  // With W = 0 every gate is its bias: i = f = o = sigmoid(b), g = tanh(b_g).
  LSTM<double> cell(1, 1);
  cell.weight_ih.setZero();
  cell.weight_hh.setZero();
  cell.bias_ih << 0.5, -1.0, 0.3, 2.0;  // i, f, g, o
  cell.bias_hh << 0.1, 0.0, 0.1, 0.0;   // PyTorch's second bias adds to the first
  auto s = cell.zero_stream_state();
  Matrix<double, 1, 1> x(7.0);
  cell.step(x, s);
  const double i = 1 / (1 + std::exp(-0.6)), g = std::tanh(0.4), o = 1 / (1 + std::exp(-2.0));
  const double c1 = i * g;
  CHECK(s.c(0) == Approx(c1).epsilon(1e-14));
  CHECK(s.h(0) == Approx(o * std::tanh(c1)).epsilon(1e-14));
  cell.step(x, s);
  const double f = 1 / (1 + std::exp(1.0)), c2 = f * c1 + i * g;
  CHECK(s.c(0) == Approx(c2).epsilon(1e-14));
  CHECK(s.h(0) == Approx(o * std::tanh(c2)).epsilon(1e-14));
}

TEST_CASE("GRU closed form: the reset gate multiplies b_hn", "[cell][gru]") {
  GRU<double> cell(1, 1);
  cell.weight_ih.setZero();
  cell.weight_hh.setZero();
  cell.bias_ih << 0.0, 0.0, 0.2;   // r, z, n
  cell.bias_hh << 1.0, -0.5, 0.7;  // b_hn = 0.7 is scaled by r
  auto s = cell.zero_stream_state();
  s.h(0) = 0.3;
  Matrix<double, 1, 1> x(1.0);
  cell.step(x, s);
  const double r = 1 / (1 + std::exp(-1.0)), z = 1 / (1 + std::exp(0.5)), n = std::tanh(0.2 + r * 0.7);
  CHECK(s.h(0) == Approx((1 - z) * n + z * 0.3).epsilon(1e-14));
}

TEST_CASE("Elman closed form with ReLU and identity", "[cell][elman]") {
  Elman<double, 1, 1, ReLU> relu;
  relu.weight_ih << 2.0;
  relu.weight_hh << 0.5;
  relu.bias_ih << -1.0;
  relu.bias_hh << 0.0;
  auto s = relu.zero_stream_state();
  relu.step(Matrix<double, 1, 1>(1.0), s);  // relu(2 - 1) = 1
  CHECK(s.h(0) == 1.0);
  relu.step(Matrix<double, 1, 1>(0.0), s);  // relu(0.5 - 1) = 0
  CHECK(s.h(0) == 0.0);
}

TEST_CASE("gate policies: slope and hard sigmoid", "[activation]") {
  Eigen::ArrayXd v(3);
  v << -2, 0, 1;
  Eigen::MatrixXd m = v.matrix();
  SteepSigmoid steep{3.0};
  steep.apply(m);
  CHECK(m(2) == Approx(1 / (1 + std::exp(-3.0))));
  HardSigmoid hard;  // PyTorch: clamp(x / 6 + 1/2, 0, 1)
  Eigen::MatrixXd k = v.matrix();
  hard.apply(k);
  CHECK(k(0) == Approx(0.5 - 2.0 / 6));
  CHECK(k(1) == 0.5);
  Eigen::MatrixXd big(1, 2);
  big << -10, 10;
  hard.apply(big);
  CHECK(big(0) == 0.0);
  CHECK(big(1) == 1.0);
  CHECK(hard.derivative(big).isZero());
}

TEMPLATE_TEST_CASE("streaming matrix-vector kernel equals Eigen's product", "[stream][kernel]", float, double) {
  // Row counts that reach every path: blocks of 16, 8, 4, 2 and 1 packets, half and quarter
  // packets, and a scalar tail; column counts below and above the interleaved sums.
  Rng rng(11);
  for (Index m : {1, 3, 4, 7, 8, 12, 20, 31, 64, 100, 259, 512})
    for (Index n : {1, 2, 3, 5, 16, 33}) {
      const MatX<TestType> a = random<TestType>(m + 3, n, rng);
      const VecX<TestType> x = random<TestType>(n, 1, rng);
      VecX<TestType> y = random<TestType>(m, 1, rng);
      const VecX<TestType> expect = y + a.topRows(m) * x;
      detail::multiply_add_column(y, a.topRows(m), x);  // a block of rows: columns are strided
      INFO("m = " << m << ", n = " << n);
      CHECK(test::max_diff(y, expect) < 1e-5 * std::sqrt(double(n)));
    }
  // The packed copy a StreamingCell keeps: the same product, read in either direction.
  for (Index m : {1, 3, 20, 64, 100, 259, 512})
    for (Index n : {1, 3, 33, 64}) {
      const MatX<TestType> a = random<TestType>(m + 3, n, rng);
      const VecX<TestType> x = random<TestType>(n, 1, rng);
      const VecX<TestType> y0 = random<TestType>(m, 1, rng);
      const detail::RowPanels<TestType> packed(a.topRows(m));
      VecX<TestType> forwards = y0, backwards = y0;
      packed.multiply_add(forwards, x);
      packed.multiply_add(backwards, x, true);
      INFO("packed, m = " << m << ", n = " << n);
      CHECK(test::max_diff(forwards, y0 + a.topRows(m) * x) < 1e-5 * std::sqrt(double(n)));
      CHECK(forwards == backwards);  // each row sums its columns in the same order either way
    }
  // Compile-time sizes, as a fixed-size cell has them.
  const Matrix<TestType, 48, 16> a = random<TestType>(48, 16, rng);
  const Matrix<TestType, 16, 1> x = random<TestType>(16, 1, rng);
  Matrix<TestType, 48, 1> y = Matrix<TestType, 48, 1>::Zero();
  detail::multiply_add_column(y, a, x);
  CHECK(test::max_diff(y, a * x) < 1e-5);
}

TEST_CASE("activations on short run-time columns equal the element-wise formulas", "[activation][stream]") {
  // apply_in_packets cuts such columns into fixed-size segments; every element must still get
  // its function once.
  Rng rng(12);
  for (Index n = 1; n <= 40; ++n) {
    const Eigen::VectorXf v = random<float>(n, 1, rng, 4.0);
    Eigen::VectorXf s = v, t = v, k = v;
    Sigmoid().apply(s);
    Tanh().apply(t);
    SteepSigmoid{2.0}.apply(k);
    for (Index i = 0; i < n; ++i) {
      INFO("n = " << n << ", i = " << i);
      CHECK(s(i) == Approx(1 / (1 + std::exp(-v(i)))).margin(1e-6));
      CHECK(t(i) == Approx(std::tanh(v(i))).margin(1e-6));
      CHECK(k(i) == Approx(1 / (1 + std::exp(-2 * v(i)))).margin(1e-6));
    }
  }
}

TEST_CASE("fixed-size cells reject other sizes", "[cell][error]") {
  CHECK_THROWS_AS((LSTM<float, 3, 4>(3, 5)), shape_error);
  CHECK_THROWS_WITH((GRU<float, 2, 8>(3, 8)), Catch::Contains("input 3") && Catch::Contains("input 2"));
}

TEST_CASE("threads share one const model, each with its own state", "[cell][thread]") {
  Rng rng(12);
  const LSTM<float, 1, 16> cell(rng);
  const Recurrent<GRU<float>> layer(GRU<float>(3, 8, rng));
  const MatX<float> seq = random<float>(3, 50 * 2, rng);
  auto run_stream = [&](float seed) {
    auto s = cell.zero_stream_state();
    Matrix<float, 1, 1> x(seed);
    float sum = 0;
    for (int t = 0; t < 20000; ++t) {
      x(0) = std::sin(seed + 0.01f * float(t));
      sum += cell.step(x, s).sum();
    }
    return sum;
  };
  const float alone_a = run_stream(0.5f), alone_b = run_stream(1.5f);
  const MatX<float> alone_seq = layer.predict(seq, 2);
  float a = 0, b = 0;
  MatX<float> ya, yb;
  std::thread ta([&] {
    a = run_stream(0.5f);
    ya = layer.predict(seq, 2);
  });
  std::thread tb([&] {
    b = run_stream(1.5f);
    yb = layer.predict(seq, 2);
  });
  ta.join();
  tb.join();
  CHECK(a == alone_a);  // bit for bit
  CHECK(b == alone_b);
  CHECK(ya == alone_seq);
  CHECK(yb == alone_seq);
}
