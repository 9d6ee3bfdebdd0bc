// Dropout (Srivastava et al. 2014), inverted as in PyTorch: while training, each entry is zeroed
// with probability p and the survivors are scaled by 1 / (1 - p), so inference is the identity.
// Training is chosen per call by passing a generator (PyTorch's module.train()); without one,
// forward copies its input, so one model can serve inference from several threads.
#pragma once

#include <string>

#include "recur/core/error.hpp"
#include "recur/core/rng.hpp"
#include "recur/core/types.hpp"

namespace recur {

template <class S>
class Dropout {
 public:
  using Scalar = S;

  struct Trace {
    MatX<S> mask;  // [rows x cols]: 0 or 1 / (1 - p); empty when the call was inference
    MatX<S> y;
    const MatX<S>& output() const { return y; }
  };

  explicit Dropout(double p = 0.5) : p_(p) {
    if (!(p >= 0 && p < 1)) throw value_error("Dropout: p must be in [0, 1), got " + std::to_string(p));
  }

  double p() const { return p_; }
  std::string describe() const { return "Dropout(p=" + std::to_string(p_) + ")"; }

  /// x with entries dropped when `training` is a generator (and p > 0); a copy otherwise.
  template <class X>
  const MatX<S>& forward(const Eigen::MatrixBase<X>& x, Trace& tr, Rng* training) const {
    if (!training || p_ == 0) {
      tr.mask.resize(0, 0);
      tr.y = x;
      return tr.y;
    }
    const S keep = S(1) / static_cast<S>(1 - p_);
    tr.mask.resize(x.rows(), x.cols());
    for (Index j = 0; j < x.cols(); ++j)
      for (Index i = 0; i < x.rows(); ++i) tr.mask(i, j) = training->uniform() < p_ ? S(0) : keep;
    tr.y = x.cwiseProduct(tr.mask);
    return tr.y;
  }

  template <class DY>
  MatX<S> backward(Trace& tr, const Eigen::MatrixBase<DY>& dy) const {
    detail::check_shape(dy, tr.y.rows(), tr.y.cols(), "Dropout::backward dy");
    if (tr.mask.size() == 0) return dy;
    return dy.cwiseProduct(tr.mask);
  }

  /// No parameters.
  template <class F>
  void for_each_param(F&&, const std::string& = "") {}

 private:
  double p_;
};

}  // namespace recur
