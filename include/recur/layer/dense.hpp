// Fully connected layer applied to every column: y = act(W x + b), PyTorch's nn.Linear
// (names "weight" [O x I], "bias" [O]) followed by an activation policy.
// Dense<float, Tanh>(H, 1) is the regression head for targets in [-1, 1].
#pragma once

#include <string>

#include "recur/core/activation.hpp"
#include "recur/core/batch.hpp"
#include "recur/core/error.hpp"
#include "recur/core/init.hpp"
#include "recur/core/param.hpp"
#include "recur/core/rng.hpp"

namespace recur {

template <class S, class Act = Identity>
class Dense {
 public:
  using Scalar = S;
  MatX<S> weight;  // [O x I]
  VecX<S> bias;    // [O]
  MatX<S> grad_weight;
  VecX<S> grad_bias;
  Act act;

  struct Trace {
    MatX<S> input;  // [I x N]
    MatX<S> y;      // [O x N]
    const MatX<S>& output() const { return y; }
  };

  Dense(Index input, Index output, Rng& rng = global_rng()) {
    if (input <= 0 || output <= 0)
      throw shape_error("Dense: sizes must be positive, got input " + std::to_string(input) + ", output " +
                        std::to_string(output));
    weight.resize(output, input);
    init::xavier_uniform(weight, rng);
    bias.setZero(output);
    grad_weight.setZero(output, input);
    grad_bias.setZero(output);
  }

  Index input_size() const { return weight.cols(); }
  Index output_size() const { return weight.rows(); }
  std::string describe() const {
    return "Dense(input=" + std::to_string(input_size()) + ", output=" + std::to_string(output_size()) +
           ", act=" + act.name() + ")";
  }

  /// x [I x N] -> [O x N]; the batch layout does not matter to a column-wise layer.
  template <class X>
  const MatX<S>& forward(const Eigen::MatrixBase<X>& x, const Batch& /*batch*/, Trace& tr) const {
    check(x);
    tr.input = x;
    tr.y = compute(x);
    return tr.y;
  }

  template <class X>
  MatX<S> predict(const Eigen::MatrixBase<X>& x, const Batch& /*batch*/ = Batch(1)) const {
    check(x);
    return compute(x);
  }

  /// One column (or a few) without allocating: y = act(W x + b), y preallocated [O x n].
  template <class X, class Y>
  void step(const Eigen::MatrixBase<X>& x, Eigen::MatrixBase<Y>& y) const {
    detail::check_rows(x, input_size(), "Dense::step input");
    detail::check_shape(y, output_size(), x.cols(), "Dense::step output");
    if (output_size() == 1 && x.cols() == 1) {
      // A regression head on one stream: one dot product (a single row of a column-major
      // matrix is contiguous); Eigen's general product costs more in dispatch than in arithmetic.
      const Eigen::Map<const VecX<S>> w(weight.data(), weight.cols());
      y.derived()(0, 0) = w.dot(x.col(0)) + bias(0);
    } else {
      y.derived().noalias() = weight * x;
      y.derived().colwise() += bias;
    }
    act.apply(y.derived());
  }

  /// dy [O x N] -> dx [I x N]; accumulates the gradients.
  template <class DY>
  MatX<S> backward(Trace& tr, const Eigen::MatrixBase<DY>& dy) {
    detail::check_shape(dy, tr.y.rows(), tr.y.cols(), "Dense::backward dy");
    MatX<S> dpre = (dy.array() * act.derivative(tr.y)).matrix();
    grad_weight.noalias() += dpre * tr.input.transpose();
    grad_bias += dpre.rowwise().sum();
    return weight.transpose() * dpre;
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    auto w = make_param(prefix + "weight", weight, grad_weight, TorchLayout::matrix);
    f(w);
    auto b = make_param(prefix + "bias", bias, grad_bias, TorchLayout::vector);
    f(b);
  }

 private:
  template <class X>
  void check(const X& x) const {
    detail::check_rows(x, input_size(), "Dense input");
    detail::check_finite(x, "Dense input");
  }
  template <class X>
  MatX<S> compute(const X& x) const {
    MatX<S> y = weight * x;
    y.colwise() += bias;
    act.apply(y);
    return y;
  }
};

}  // namespace recur
