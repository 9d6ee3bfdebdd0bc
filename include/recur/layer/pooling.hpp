// From a sequence to one vector per sequence: the last real step, the mean over real steps, or
// the maximum of each feature over real steps. Used for sequence-to-vector models (a review in,
// a score out).
#pragma once

#include <string>

#include "recur/core/batch.hpp"
#include "recur/core/error.hpp"
#include "recur/core/types.hpp"

namespace recur {

/// [F x T*B] -> [F x B]: each sequence's output is a weighted sum of its own real steps, the
/// weights given by Policy::for_each_step(length, f) calling f(step, weight). Empty sequences
/// give zero.
template <class S, class Policy>
class TimePooling {
 public:
  using Scalar = S;
  struct Trace {
    Batch batch{1};
    Index rows = 0, steps = 0;
    MatX<S> y;
    const MatX<S>& output() const { return y; }
  };

  std::string describe() const { return Policy::name(); }

  template <class X>
  const MatX<S>& forward(const Eigen::MatrixBase<X>& x, const Batch& batch, Trace& tr) const {
    MatX<S> y = predict(x, batch);  // checks before the trace changes
    tr.batch = batch;
    tr.rows = x.rows();
    tr.steps = batch.steps(x, "pooling input");
    tr.y = std::move(y);
    return tr.y;
  }

  template <class X>
  MatX<S> predict(const Eigen::MatrixBase<X>& x, const Batch& batch) const {
    const Index T = batch.steps(x, (Policy::name() + " input").c_str()), B = batch.size();
    MatX<S> out = MatX<S>::Zero(x.rows(), B);
    for (Index b = 0; b < B; ++b)
      Policy::for_each_step(batch.length(b, T),
                            [&](Index t, double w) { out.col(b) += static_cast<S>(w) * x.col(t * B + b); });
    return out;
  }

  template <class DY>
  MatX<S> backward(Trace& tr, const Eigen::MatrixBase<DY>& dy) {
    const Index B = tr.batch.size();
    detail::check_shape(dy, tr.rows, B, (Policy::name() + "::backward dy").c_str());
    MatX<S> dx = MatX<S>::Zero(tr.rows, tr.steps * B);
    for (Index b = 0; b < B; ++b)
      Policy::for_each_step(tr.batch.length(b, tr.steps),
                            [&](Index t, double w) { dx.col(t * B + b) = static_cast<S>(w) * dy.col(b); });
    return dx;
  }

  template <class F>
  void for_each_param(F&& /*f*/, const std::string& /*prefix*/ = "") {}
};

namespace pooling {
/// Only the last real step, with weight 1.
struct Last {
  static std::string name() { return "LastStep"; }
  template <class F>
  static void for_each_step(Index length, F&& f) {
    if (length > 0) f(length - 1, 1.0);
  }
};
/// Every real step, with weight 1 / length.
struct Mean {
  static std::string name() { return "MeanOverTime"; }
  template <class F>
  static void for_each_step(Index length, F&& f) {
    for (Index t = 0; t < length; ++t) f(t, 1.0 / static_cast<double>(length));
  }
};
}  // namespace pooling

/// Each sequence's output at its own last step.
template <class S>
using LastStep = TimePooling<S, pooling::Last>;

/// The mean of each sequence's outputs over its real steps.
template <class S>
using MeanOverTime = TimePooling<S, pooling::Mean>;

/// [F x T*B] -> [F x B]: each feature's maximum over a sequence's real steps (Collobert et al.
/// 2011; Conneau et al. 2017 for BiLSTM sentence vectors). The gradient goes to the step that
/// held the maximum (the first one on ties). Empty sequences give zero.
template <class S>
class MaxOverTime {
 public:
  using Scalar = S;
  struct Trace {
    Batch batch{1};
    Index steps = 0;
    Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> argmax;  // [F x B]: the step, -1 if empty
    MatX<S> y;
    const MatX<S>& output() const { return y; }
  };

  std::string describe() const { return "MaxOverTime"; }

  template <class X>
  const MatX<S>& forward(const Eigen::MatrixBase<X>& x, const Batch& batch, Trace& tr) const {
    const Index T = batch.steps(x, "MaxOverTime input"), B = batch.size(), F = x.rows();
    tr.batch = batch;
    tr.steps = T;
    tr.argmax.setConstant(F, B, -1);
    tr.y.setZero(F, B);
    for (Index b = 0; b < B; ++b) {
      const Index length = batch.length(b, T);
      for (Index t = 0; t < length; ++t)
        for (Index f = 0; f < F; ++f)
          if (t == 0 || x(f, t * B + b) > tr.y(f, b)) {
            tr.y(f, b) = x(f, t * B + b);
            tr.argmax(f, b) = t;
          }
    }
    return tr.y;
  }

  template <class X>
  MatX<S> predict(const Eigen::MatrixBase<X>& x, const Batch& batch) const {
    Trace tr;
    return forward(x, batch, tr);
  }

  template <class DY>
  MatX<S> backward(Trace& tr, const Eigen::MatrixBase<DY>& dy) {
    const Index B = tr.batch.size(), F = tr.y.rows();
    detail::check_shape(dy, F, B, "MaxOverTime::backward dy");
    MatX<S> dx = MatX<S>::Zero(F, tr.steps * B);
    for (Index b = 0; b < B; ++b)
      for (Index f = 0; f < F; ++f)
        if (tr.argmax(f, b) >= 0) dx(f, tr.argmax(f, b) * B + b) = dy(f, b);
    return dx;
  }

  template <class F>
  void for_each_param(F&& /*f*/, const std::string& /*prefix*/ = "") {}
};

}  // namespace recur
