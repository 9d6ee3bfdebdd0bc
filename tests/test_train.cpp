// Training: losses (gradient checks), optimizers (hand-computed steps), clipping, a training
// smoke test, and the vanishing and exploding gradients that gating and clipping exist for.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "error_of.hpp"
#include "helpers.hpp"

using namespace recur;
using test::random;

namespace {

/// A model of one scalar parameter, to follow optimizers step by step.
struct Scalar1 {
  using Scalar = double;
  MatX<double> value = MatX<double>::Constant(1, 1, 1.0);
  MatX<double> grad = MatX<double>::Zero(1, 1);
  template <class F>
  void for_each_param(F&& f, const std::string& = "") {
    auto p = make_param("p", value, grad, TorchLayout::vector);
    f(p);
  }
};

/// A model of parameters of the given sizes, all ones.
struct Shapes {
  using Scalar = double;
  std::vector<MatX<double>> values, grads;
  explicit Shapes(std::initializer_list<std::pair<Index, Index>> sizes) {
    for (auto [rows, cols] : sizes) {
      values.push_back(MatX<double>::Ones(rows, cols));
      grads.push_back(MatX<double>::Zero(rows, cols));
    }
  }
  template <class F>
  void for_each_param(F&& f, const std::string& = "") {
    for (std::size_t k = 0; k < values.size(); ++k) {
      auto p = make_param("p" + std::to_string(k), values[k], grads[k], TorchLayout::matrix);
      f(p);
    }
  }
};

/// Applies gradients 2 then -1 and returns the parameter (starting at 1).
template <class Opt>
double two_steps(Opt opt) {
  Scalar1 m;
  for (double g : {2.0, -1.0}) {
    m.grad(0) = g;
    opt.step(m);
    CHECK(m.grad(0) == 0.0);  // step() zeroes the gradients
  }
  return m.value(0);
}

}  // namespace

TEST_CASE("losses pass gradient checks and known values", "[loss][gradient]") {
  Rng rng(2);
  MatX<double> y = random(3, 6, rng);
  const MatX<double> t = random(3, 6, rng);
  SECTION("mse") {
    const auto l = mse(y, t);
    CHECK(l.value == Approx((y - t).squaredNorm() / 18));
    CHECK(relative_error(l.grad, numerical_gradient(y, [&] { return mse(y, t).value; })) < 1e-8);
  }
  SECTION("mse over a ragged batch ignores padding") {
    const Batch batch(std::vector<Index>{3, 1});  // T = 3, B = 2: columns 3 and 5 are padding
    const auto l = mse(y, t, batch);
    double manual = 0;
    for (Index c : {0, 1, 2, 4}) manual += (y.col(c) - t.col(c)).squaredNorm();
    CHECK(l.value == Approx(manual / 12));
    CHECK(l.grad.col(3).isZero());
    CHECK(relative_error(l.grad, numerical_gradient(y, [&] { return mse(y, t, batch).value; })) < 1e-8);
  }
  SECTION("softmax cross-entropy with ignored columns") {
    const std::vector<Index> labels = {0, 2, -1, 1, 1, 2};
    const auto l = softmax_cross_entropy(y, labels);
    const MatX<double> p = softmax(y);
    double manual = 0;
    for (Index j : {0, 1, 3, 4, 5}) manual -= std::log(p(labels[std::size_t(j)], j));
    CHECK(l.value == Approx(manual / 5));
    CHECK(l.grad.col(2).isZero());
    CHECK(relative_error(l.grad, numerical_gradient(y, [&] { return softmax_cross_entropy(y, labels).value; })) < 1e-8);
    MatX<double> big = y * 1000.0;  // stable for large logits
    CHECK(std::isfinite(softmax_cross_entropy(big, labels).value));
    CHECK_THROWS_WITH(softmax_cross_entropy(y, {0, 3, 0, 0, 0, 0}), Catch::Contains("label 3 in column 1"));
    CHECK_THROWS_AS(softmax_cross_entropy(y, {0, 1}), shape_error);
    CHECK(accuracy(MatX<double>::Identity(3, 3), {0, 1, 0}) == Approx(2.0 / 3));
  }
  SECTION("last-step cross-entropy through LastStep") {
    LastStep<double> last;
    LastStep<double>::Trace tr;
    const Batch batch(std::vector<Index>{2, 3});
    const auto& logits = last.forward(y, batch, tr);  // [3 x 2]
    const auto l = softmax_cross_entropy(logits, {1, 2});
    const MatX<double> dy = last.backward(tr, l.grad);
    CHECK(relative_error(dy, numerical_gradient(y, [&] {
                           return softmax_cross_entropy(last.predict(y, batch), {1, 2}).value;
                         })) < 1e-8);
  }
}

/// Three steps of `Opt` on an embedding whose minibatches use a few tokens each, with the
/// gradient dense or sparse (used columns only); returns the weights and the optimizer state.
template <class Opt>
std::pair<MatX<double>, std::vector<MatX<double>>> embedding_steps(Opt opt, bool sparse, double l2) {
  Rng rng(2);
  Embedding<double> e(7, 3, rng);
  e.sparse_gradient = sparse;
  const std::vector<std::vector<Index>> batches{{1, 4, 1}, {6}, {4, 0, 2, 2}};
  for (const auto& ids : batches) {
    Embedding<double>::Trace tr;
    const auto& y = e.forward(ids, Batch(1), tr);
    e.backward(tr, y.array().sin().matrix());
    if (l2 != 0) add_l2(e, l2);
    if (sparse) CHECK(e.used_columns.columns().size() == std::set<Index>(ids.begin(), ids.end()).size());
    opt.step(e);
    CHECK(e.grad_weight.isZero(0));
    CHECK(e.used_columns.columns().empty());
  }
  return {e.weight, opt.state()};
}

TEST_CASE("sparse embedding gradients: AdaGrad and SGD visit the used tokens only, with the same result",
          "[optimizer][embedding]") {
  const auto dense = embedding_steps(AdaGrad<double>(0.1), false, 0);
  const auto sparse = embedding_steps(AdaGrad<double>(0.1), true, 0);
  // The same up to rounding (a column is updated with scalar code, a whole matrix with SIMD).
  CHECK(sparse.first.isApprox(dense.first, 1e-15));
  CHECK(sparse.second.at(0).isApprox(dense.second.at(0), 1e-15));
  CHECK(embedding_steps(SGD<double>(0.1), true, 0)
            .first.isApprox(embedding_steps(SGD<double>(0.1), false, 0).first, 1e-15));
  // Optimizers that move parameters without a gradient (momentum, Adam) stay dense.
  CHECK(embedding_steps(Adam<double>(0.1), true, 0).first == embedding_steps(Adam<double>(0.1), false, 0).first);
  CHECK(embedding_steps(SGD<double>(0.1, 0.9), true, 0).first ==
        embedding_steps(SGD<double>(0.1, 0.9), false, 0).first);
  // Only the used columns were visited: a NaN planted in an unused column's gradient is never read.
  Embedding<double> e(4, 2);
  e.sparse_gradient = true;
  e.add_gradient(1, VecX<double>::Ones(2));
  e.grad_weight(0, 3) = std::nan("");
  AdaGrad<double> opt(0.1);
  const MatX<double> before = e.weight;
  opt.step(e);
  CHECK(e.weight.col(3) == before.col(3));
  CHECK(e.weight.col(1) != before.col(1));
  // Lazy L2: token 5 is never used, so a sparse gradient leaves it as initialised, while
  // dense L2 shrinks it; the used tokens differ too.
  const auto lazy = embedding_steps(SGD<double>(0.1), true, 0.5);
  const auto full = embedding_steps(SGD<double>(0.1), false, 0.5);
  CHECK(lazy.first.col(5) == embedding_steps(SGD<double>(0.1), true, 0).first.col(5));
  CHECK(full.first.col(5).isApprox(lazy.first.col(5) * std::pow(1 - 0.1 * 0.5, 3), 1e-14));
  CHECK(!lazy.first.col(6).isApprox(full.first.col(6), 1e-6));
}

TEST_CASE("FlushDenormals reads and writes denormal floats as zero on its thread and those it starts",
          "[core][denormals]") {
  if (!FlushDenormals::supported()) return;  // nothing to switch on this CPU
  volatile float tiny = 1e-39f;              // a denormal: below float's smallest normal, 1.18e-38
  REQUIRE(std::fpclassify(tiny) == FP_SUBNORMAL);
  auto times_one = [&] {
    volatile float one = 1.0f;
    return tiny * one;
  };
  CHECK(times_one() == tiny);
  {
    const FlushDenormals flush;
    CHECK(times_one() == 0.0f);
    float in_thread = -1;
    std::thread([&] { in_thread = times_one(); }).join();
    CHECK(in_thread == 0.0f);
  }
  CHECK(times_one() == tiny);  // the previous mode is back
}

TEST_CASE("a large parameter updated in column blocks gets the bits of one whole-matrix pass", "[optimizer]") {
  for (Index rows : {25, 7, 512}) {
    Rng rng(3);
    Embedding<float> e(600, rows, rng);  // [rows x 600], far more than one block
    MatX<float> grad = MatX<float>::Random(rows, 600), value = e.weight;
    MatX<float> squares = grad.cwiseAbs2();
    value.array() -= 0.1f * grad.array() / (squares.array().sqrt() + 1e-10f);
    e.grad_weight = grad;
    AdaGrad<float> opt(0.1f);
    opt.step(e);
    CHECK(e.weight == value);
    CHECK(opt.state().at(0) == squares);
  }
}

TEST_CASE("optimizers follow PyTorch's update rules", "[optimizer]") {
  // Reference values: the update rules of torch.optim computed by hand (gradients 2, then -1).
  CHECK(two_steps(SGD<double>(0.1, 0.9)) == Approx(0.72).epsilon(1e-12));
  CHECK(two_steps(SGD<double>(0.1, 0.9, true)) == Approx(0.648).epsilon(1e-12));
  SGD<double> decay(0.1);
  decay.weight_decay = 0.5;
  CHECK(two_steps(decay) == Approx(0.8125).epsilon(1e-12));
  CHECK(two_steps(AdaGrad<double>(0.1)) == Approx(0.9447213595529959).epsilon(1e-12));
  CHECK(two_steps(RMSProp<double>(0.01)) == Approx(0.9449013284905645).epsilon(1e-12));
  RMSProp<double> rms_momentum(0.01);
  rms_momentum.momentum = 0.5;
  CHECK(two_steps(rms_momentum) == Approx(0.8949013309905645).epsilon(1e-12));
  CHECK(two_steps(Adam<double>(0.1)) == Approx(0.8733662967024315).epsilon(1e-12));
  CHECK(two_steps(Adam<double>(0.1, 0.1)) == Approx(0.8681231891743804).epsilon(1e-12));
  CHECK(two_steps(AdamW<double>(0.1, 0.1)) == Approx(0.8544662966974315).epsilon(1e-12));
  CHECK_THROWS_AS(Adam<double>(-1.0), value_error);
  // One optimizer, one model: another model is refused before anything changes.
  Adam<double> adam(0.1);
  Dense<double> a(2, 2), b(2, 3);
  adam.step(a);
  b.grad_weight.setOnes();
  const MatX<double> before = b.weight;
  CHECK_THROWS_AS(adam.step(b), shape_error);
  CHECK(b.weight == before);
  CHECK(b.grad_weight.isOnes());
  CHECK(adam.steps() == 1);
  Rng rng(1);
  CHECK_THROWS_AS(rng.below(0), std::invalid_argument);
}

TEST_CASE("AveragedModel keeps a warmed-up moving average of the weights", "[optimizer][average]") {
  // TensorFlow's warm-up: min(decay, (1 + n) / (10 + n)).
  CHECK(warmed_up_decay(0.999, 1) == Approx(2.0 / 11).epsilon(1e-15));
  CHECK(warmed_up_decay(0.999, 90) == Approx(91.0 / 100).epsilon(1e-15));
  CHECK(warmed_up_decay(0.9, 1000) == 0.9);
  CHECK(warmed_up_decay(0.0, 5) == 0.0);
  CHECK_THROWS_AS(AveragedModel<Scalar1>(Scalar1(), 1.0), value_error);
  CHECK_THROWS_AS(AveragedModel<Scalar1>(Scalar1(), -0.1), value_error);

  Scalar1 model;  // the parameter starts at 1
  AveragedModel<Scalar1> average(model, 0.9);
  model.value(0) = 2;
  average.update(model, 1);  // d = 2/11
  const double first = 2.0 / 11 * 1 + 9.0 / 11 * 2;
  CHECK(average.model().value(0) == Approx(first).epsilon(1e-15));
  model.value(0) = -3;
  average.update(model, 200);  // d = 0.9
  CHECK(average.model().value(0) == Approx(0.9 * first + 0.1 * -3).epsilon(1e-15));
  CHECK(model.value(0) == -3);  // the trained model is not touched

  // A model whose sizes differ, after a first parameter that matches, or whose parameters are
  // fewer or more, is refused before anything of the average changes.
  Shapes three({{2, 2}, {3, 1}, {1, 4}});
  AveragedModel<Shapes> shapes_average(three, 0.5);
  const std::vector<MatX<double>> kept = shapes_average.model().values;
  Shapes wrong_second({{2, 2}, {2, 1}, {1, 4}}), two({{2, 2}, {3, 1}}), four({{2, 2}, {3, 1}, {1, 4}, {1, 1}});
  for (Shapes* other : {&wrong_second, &two, &four}) {
    for (auto& v : other->values) v.setConstant(5);  // an update would change the matching ones
    CHECK_THROWS_AS(shapes_average.update(*other, 1), shape_error);
    CHECK(shapes_average.model().values == kept);
  }
  shapes_average.update(three, 1);  // the right one is still accepted

  Rng rng(2);
  Dense<double> dense(3, 2, rng);
  // Every parameter is averaged, the bias too; decay 0 follows the model exactly.
  AveragedModel<Dense<double>> follow(dense, 0.0);
  dense.weight.setConstant(4);
  dense.bias.setConstant(-1);
  follow.update(dense, 7);
  CHECK(follow.model().weight == dense.weight);
  CHECK(follow.model().bias == dense.bias);
}

TEST_CASE("gradient clipping", "[clip]") {
  Rng rng(3);
  Dense<double> d(3, 2, rng);
  d.grad_weight << 3, 0, 0, 0, 4, 0;  // norm 5
  d.grad_bias << 0, 12;               // norm 12; global norm 13
  SECTION("by value") {
    clip_value(d, 2.0);
    CHECK(d.grad_weight.maxCoeff() == 2.0);
    CHECK(d.grad_bias(1) == 2.0);
  }
  SECTION("by per-tensor norm") {
    clip_norm(d, 6.0);
    CHECK(d.grad_weight.norm() == Approx(5.0));  // under the limit: unchanged
    CHECK(d.grad_bias.norm() == Approx(6.0));
  }
  SECTION("by global norm keeps the direction") {
    CHECK(clip_global_norm(d, 1.3) == Approx(13.0));
    CHECK(grad_norm(d) == Approx(1.3));
    CHECK(d.grad_bias(1) == Approx(1.2));
    CHECK(d.grad_weight(0, 0) == Approx(0.3));
  }
  SECTION("huge float gradients do not overflow the norm") {
    Dense<float> f(2, 1, rng);
    f.grad_weight << 3e30f, 4e30f;
    CHECK(clip_global_norm(f, 1.0) == Approx(5e30));
    CHECK(f.grad_weight(0) == Approx(0.6f));
  }
  SECTION("a NaN gradient is reported by name") {
    d.grad_bias(0) = NAN;
    CHECK_THROWS_WITH(clip_global_norm(d, 1.0), Catch::Contains("non-finite gradient in parameter bias"));
  }
  SECTION("an optimizer refuses a NaN gradient and changes nothing") {
    d.grad_weight(0, 1) = -INFINITY;
    const MatX<double> w = d.weight;
    const VecX<double> b = d.bias;
    Adam<double> adam(0.1);
    CHECK_THROWS_WITH(adam.step(d),
                      "optimizer: non-finite gradient in parameter weight (step 1); no parameter "
                      "was changed");
    CHECK(d.weight == w);
    CHECK(d.bias == b);
  }
}

namespace {

struct Adding {
  MatX<float> x, y;
};

/// The adding problem: values in [0, 1] and two markers; the target is the sum of the marked
/// values, read at the last step. Predicting the mean gives MSE 1/6.
Adding adding_batch(Index T, Index B, Rng& rng) {
  Adding d{MatX<float>::Zero(2, T * B), MatX<float>::Zero(1, B)};
  for (Index b = 0; b < B; ++b) {
    for (Index t = 0; t < T; ++t) d.x(0, t * B + b) = float(rng.uniform());
    const Index first = Index(rng.below(std::uint64_t(T / 2))), second = T / 2 + Index(rng.below(std::uint64_t(T / 2)));
    for (Index t : {first, second}) {
      d.x(1, t * B + b) = 1;
      d.y(0, b) += d.x(0, t * B + b);
    }
  }
  return d;
}

template <class Model>
double train_adding(Model& model, Index T, long iterations, Rng& rng) {
  Adam<float> opt(1e-2f);
  typename Model::Trace tr;
  for (long it = 0; it < iterations; ++it) {
    const Adding d = adding_batch(T, 32, rng);
    const auto loss = mse(model.forward(d.x, 32, tr), d.y);
    model.backward(tr, loss.grad);
    clip_global_norm(model, 1.0);
    opt.step(model);
  }
  const Adding test = adding_batch(T, 500, rng);
  return mse(model.predict(test.x, 500), test.y).value;
}

}  // namespace

TEST_CASE("an LSTM learns the adding problem that a feed-forward net cannot", "[train][slow]") {
  Rng rng(1);
  const Index T = 16;
  Sequential<Recurrent<LSTM<float>>, LastStep<float>, Dense<float>> lstm(Recurrent<LSTM<float>>(2, 16, rng),
                                                                         LastStep<float>(), Dense<float>(16, 1, rng));
  lstm.get<0>().cell().set_forget_bias(1.0f);
  const double lstm_mse = train_adding(lstm, T, 800, rng);
  // The same budget for a feed-forward net reading the last step (it has no memory).
  Sequential<LastStep<float>, Dense<float, Tanh>, Dense<float>> ff(LastStep<float>(), Dense<float, Tanh>(2, 16, rng),
                                                                   Dense<float>(16, 1, rng));
  const double ff_mse = train_adding(ff, T, 800, rng);
  INFO("LSTM test MSE " << lstm_mse << ", feed-forward " << ff_mse << ", predicting the mean 0.167");
  CHECK(lstm_mse < 0.01);
  CHECK(ff_mse > 0.1);
}

namespace {

/// ||dL/dx(t)|| for every step t of a single sequence whose loss reads only the last output.
template <class Cell>
std::vector<double> input_gradient_norms(Recurrent<Cell>& layer, Index T, Rng& rng) {
  const Index H = layer.hidden_size();
  const MatX<double> x = random(layer.input_size(), T, rng);
  typename Recurrent<Cell>::Trace tr;
  layer.forward(x, 1, tr);
  MatX<double> dy = MatX<double>::Zero(H, T);
  dy.col(T - 1).setOnes();
  const MatX<double> dx = layer.backward(tr, dy);
  std::vector<double> norms;
  for (Index t = 0; t < T; ++t) norms.push_back(dx.col(t).norm());
  return norms;
}

}  // namespace

TEST_CASE("Elman gradients vanish or explode over 50 steps, and gating and clipping fix them",
          "[train][gradient-flow]") {
  Rng rng(6);
  const Index T = 50, H = 16;
  SECTION("vanishing: a contracting Elman net forgets, an LSTM with a high forget bias does not") {
    Recurrent<Elman<double>> elman(Elman<double>(1, H, rng));
    elman.cell().weight_hh *= 0.5;  // orthogonal * 0.5: spectral radius 0.5
    const auto e = input_gradient_norms(elman, T, rng);
    Recurrent<LSTM<double>> lstm(LSTM<double>(1, H, rng));
    lstm.cell().set_forget_bias(5.0);
    const auto l = input_gradient_norms(lstm, T, rng);
    const double elman_ratio = e.front() / e.back(), lstm_ratio = l.front() / l.back();
    INFO("||dL/dx(0)|| / ||dL/dx(T-1)||: Elman " << elman_ratio << ", LSTM " << lstm_ratio);
    CHECK(elman_ratio < 1e-10);
    CHECK(lstm_ratio > 1e-2);
  }
  SECTION("exploding: an expanding linear Elman net, tamed by clipping") {
    Elman<double, Dynamic, Dynamic, Identity> cell(1, H, rng);
    cell.weight_hh *= 1.3;  // orthogonal * 1.3: every step multiplies gradients by 1.3
    Recurrent<Elman<double, Dynamic, Dynamic, Identity>> elman(cell);
    const auto e = input_gradient_norms(elman, T, rng);
    INFO("||dL/dx(0)|| / ||dL/dx(T-1)|| = " << e.front() / e.back());
    CHECK(e.front() / e.back() > 1e5);  // 1.3^49 = 3.8e5
    const double before = clip_global_norm(elman, 1.0);
    CHECK(before > 1e4);
    CHECK(grad_norm(elman) == Approx(1.0));
  }
}

namespace {

using AddingNet = Sequential<Recurrent<GRU<float>>, LastStep<float>, Dense<float>>;

AddingNet adding_net(std::uint64_t seed) {
  Rng rng(seed);
  return AddingNet(Recurrent<GRU<float>>(2, 6, rng), LastStep<float>(), Dense<float>(6, 1, rng));
}

/// `iterations` Adam steps on adding batches drawn from `rng`.
void adding_steps(AddingNet& net, Adam<float>& opt, Rng& rng, long iterations) {
  AddingNet::Trace tr;
  for (long it = 0; it < iterations; ++it) {
    const Adding d = adding_batch(8, 4, rng);
    const auto loss = mse(net.forward(d.x, 4, tr), d.y);
    net.backward(tr, loss.grad);
    opt.step(net);
  }
}

std::vector<float> flat_params(AddingNet& net) {
  std::vector<float> v;
  net.for_each_param([&](Param<float>& p) { v.insert(v.end(), p.value.data(), p.value.data() + p.value.size()); });
  return v;
}

}  // namespace

TEST_CASE("a run resumed from a checkpoint ends with the same parameters, bit for bit", "[checkpoint]") {
  const std::string path = "checkpoint_test.ckpt";
  std::remove(path.c_str());
  std::remove(previous_checkpoint(path).c_str());

  // Uninterrupted: 10 steps. Interrupted: 4 steps, checkpoint, 3 more, checkpoint.
  AddingNet whole = adding_net(1);
  Adam<float> whole_opt(1e-2f);
  Rng whole_rng(5);
  adding_steps(whole, whole_opt, whole_rng, 10);

  AddingNet first = adding_net(1);
  Adam<float> first_opt(1e-2f);
  Rng first_rng(5);
  for (long done : {4L, 7L}) {
    adding_steps(first, first_opt, first_rng, done == 4 ? 4 : 3);
    TrainingState st;
    st.set("step", done);
    st.set("rng", first_rng.state());
    st.set("loss", 0.1);
    save_checkpoint(path, first, first_opt, st);
  }

  // A new process: other weights, a fresh optimizer and generator, then the checkpoint.
  AddingNet resumed = adding_net(99);
  Adam<float> resumed_opt(1e-2f);
  Rng resumed_rng(123);
  TrainingState st;
  const CheckpointLoad from = load_checkpoint(path, resumed, resumed_opt, st);
  CHECK(from.file == path);
  CHECK(from.warning.empty());
  CHECK(st.integer("step") == 7);
  CHECK(st.real("loss") == 0.1);
  CHECK(resumed_opt.steps() == 7);
  resumed_rng.restore(st.text("rng"));
  adding_steps(resumed, resumed_opt, resumed_rng, 3);
  CHECK(flat_params(resumed) == flat_params(whole));

  SECTION("a corrupted checkpoint falls back to the previous one, naming both") {
    std::string bytes;
    {
      std::ifstream in(path, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    bytes[bytes.size() - 5] ^= 0x10;  // one flipped bit in the optimizer state
    {
      std::ofstream out(path, std::ios::binary);
      out << bytes;
    }
    AddingNet again = adding_net(7);
    Adam<float> again_opt(1e-2f);
    const CheckpointLoad prev = load_checkpoint(path, again, again_opt, st);
    CHECK(prev.file == previous_checkpoint(path));
    CHECK(prev.warning == path +
                              ": checksum mismatch: the checkpoint is corrupted; resuming from the previous "
                              "checkpoint " +
                              previous_checkpoint(path));
    CHECK(st.integer("step") == 4);
    CHECK(again_opt.steps() == 4);

    // Truncated as well: nothing usable, and the error names both files.
    {
      std::ofstream out(previous_checkpoint(path), std::ios::binary);
      out << bytes.substr(0, 100);
    }
    const std::vector<float> before = flat_params(again);
    const std::string error = test::error_of([&] { load_checkpoint(path, again, again_opt, st); });
    CHECK(error.find(path + ": checksum mismatch") == 0);
    CHECK(error.find(previous_checkpoint(path) + ": header length") != std::string::npos);
    CHECK(flat_params(again) == before);
  }
  SECTION("another optimizer's state is refused at its first step") {
    AddingNet other = adding_net(7);
    SGD<float> sgd(0.1f, 0.9f);  // one buffer per parameter, Adam keeps two
    load_checkpoint(path, other, sgd, st);
    Rng rng(1);
    AddingNet::Trace tr;
    const Adding d = adding_batch(8, 4, rng);
    const auto& out = other.forward(d.x, 4, tr);
    other.backward(tr, mse(out, d.y).grad);
    CHECK_THROWS_WITH(sgd.step(other),
                      Catch::Contains("12 state buffers for 6 parameters") && Catch::Contains("keeps 1 per parameter"));
  }
  std::remove(path.c_str());
  std::remove(previous_checkpoint(path).c_str());
}

TEST_CASE("the generator's state round-trips exactly, spare normal included", "[checkpoint]") {
  Rng a(42);
  a.normal();  // leaves a spare value
  Rng b(1);
  b.restore(a.state());
  for (int i = 0; i < 5; ++i) CHECK(a.normal() == b.normal());
  CHECK(a.below(1000) == b.below(1000));
  CHECK_THROWS_AS(b.restore("not a state"), std::invalid_argument);
}
