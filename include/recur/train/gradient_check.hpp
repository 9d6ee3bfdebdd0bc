// Finite-difference gradient checks: the analytic gradients of any model (read through the
// parameter visitor) against central differences of its loss.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "recur/core/param.hpp"

namespace recur {

/// ||a - b|| / (||a|| + ||b||), 0 when both are zero.
template <class A, class B>
double relative_error(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
  const double diff = static_cast<double>((a - b).norm());
  const double scale = static_cast<double>(a.norm()) + static_cast<double>(b.norm());
  return scale == 0 ? 0.0 : diff / scale;
}

/// A step that suits the scalar type: 1e-6 for double, 1e-2 for float (whose rounding
/// swamps smaller differences).
template <class S>
constexpr double default_step() {
  return std::is_same<S, float>::value ? 1e-2 : 1e-6;
}

/// Central-difference gradient of loss() w.r.t. every entry of x (x is restored). eps <= 0
/// picks default_step for the scalar type; the difference is divided by the step actually
/// stored (x + eps rounds).
template <class M>
MatX<typename M::Scalar> numerical_gradient(M& x, const std::function<double()>& loss, double eps = 0) {
  using S = typename M::Scalar;
  if (eps <= 0) eps = default_step<S>();
  MatX<S> g(x.rows(), x.cols());
  for (Index j = 0; j < x.cols(); ++j)
    for (Index i = 0; i < x.rows(); ++i) {
      const S keep = x(i, j);
      const S up_value = static_cast<S>(keep + eps), down_value = static_cast<S>(keep - eps);
      x(i, j) = up_value;
      const double up = loss();
      x(i, j) = down_value;
      const double down = loss();
      x(i, j) = keep;
      g(i, j) = static_cast<S>((up - down) / (static_cast<double>(up_value) - static_cast<double>(down_value)));
    }
  return g;
}

struct GradientReport {
  struct Entry {
    std::string name;
    double error;
  };
  std::vector<Entry> params;  ///< relative error per parameter tensor
  double max_error = 0;
  std::string worst;  ///< name of the tensor with the largest error
};

/// Compares the gradients that `loss_and_backward(model)` accumulates with central differences
/// of `loss(model)`, per parameter tensor. Both callables return the loss value; the first also
/// runs backward (gradients are zeroed before it).
template <class Model, class LossFn, class LossBackFn>
GradientReport check_gradients(Model& model, LossFn&& loss, LossBackFn&& loss_and_backward, double eps = 0) {
  using S = typename Model::Scalar;
  zero_grad(model);
  loss_and_backward(model);
  std::vector<MatX<S>> analytic;
  model.for_each_param([&](Param<S>& p) { analytic.push_back(p.grad); });
  GradientReport report;
  std::size_t k = 0;
  model.for_each_param([&](Param<S>& p) {
    MatX<S> numeric = numerical_gradient(
        p.value, [&] { return static_cast<double>(loss(model)); }, eps);
    const double e = relative_error(analytic[k], numeric);
    report.params.push_back({p.name, e});
    if (e >= report.max_error) {
      report.max_error = e;
      report.worst = p.name;
    }
    ++k;
  });
  return report;
}

}  // namespace recur
