// Finite-difference gradient checks: the analytic gradients of any model (read through the
// parameter visitor) against central differences of its loss.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
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

/// Central-difference gradient of loss() w.r.t. every entry of x (x is restored).
template <class M>
MatX<typename M::Scalar> numerical_gradient(M& x, const std::function<double()>& loss, double eps = 1e-6) {
  using S = typename M::Scalar;
  MatX<S> g(x.rows(), x.cols());
  for (Index j = 0; j < x.cols(); ++j)
    for (Index i = 0; i < x.rows(); ++i) {
      const S keep = x(i, j);
      x(i, j) = static_cast<S>(keep + eps);
      const double up = loss();
      x(i, j) = static_cast<S>(keep - eps);
      const double down = loss();
      x(i, j) = keep;
      g(i, j) = static_cast<S>((up - down) / (2 * eps));
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
GradientReport check_gradients(Model& model, LossFn&& loss, LossBackFn&& loss_and_backward, double eps = 1e-6) {
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
