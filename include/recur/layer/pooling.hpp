// From a sequence to one vector per sequence: the last real step, or the mean over real steps.
// Used for sequence-to-vector models (a review in, a score out).
#pragma once

#include <string>

#include "recur/core/batch.hpp"
#include "recur/core/error.hpp"
#include "recur/core/types.hpp"

namespace recur {

/// [F x T*B] -> [F x B]: each sequence's output at its own last step (zero for an empty one).
template <class S>
class LastStep {
 public:
  using Scalar = S;
  struct Trace {
    Batch batch{1};
    Index rows = 0, steps = 0;
    MatX<S> y;
    const MatX<S>& output() const { return y; }
  };

  std::string describe() const { return "LastStep"; }

  template <class X>
  const MatX<S>& forward(const Eigen::MatrixBase<X>& x, const Batch& batch, Trace& tr) const {
    tr.batch = batch;
    tr.rows = x.rows();
    tr.steps = batch.steps(x, "LastStep input");
    tr.y = predict(x, batch);
    return tr.y;
  }

  template <class X>
  MatX<S> predict(const Eigen::MatrixBase<X>& x, const Batch& batch) const {
    const Index T = batch.steps(x, "LastStep input"), B = batch.size();
    MatX<S> out = MatX<S>::Zero(x.rows(), B);
    for (Index b = 0; b < B; ++b) {
      const Index len = batch.length(b, T);
      if (len > 0) out.col(b) = x.col((len - 1) * B + b);
    }
    return out;
  }

  template <class DY>
  MatX<S> backward(Trace& tr, const Eigen::MatrixBase<DY>& dy) {
    const Index B = tr.batch.size();
    detail::check_shape(dy, tr.rows, B, "LastStep::backward dy");
    MatX<S> dx = MatX<S>::Zero(tr.rows, tr.steps * B);
    for (Index b = 0; b < B; ++b) {
      const Index len = tr.batch.length(b, tr.steps);
      if (len > 0) dx.col((len - 1) * B + b) = dy.col(b);
    }
    return dx;
  }

  template <class F>
  void for_each_param(F&& /*f*/, const std::string& /*prefix*/ = "") {}
};

/// [F x T*B] -> [F x B]: the mean of each sequence's real steps (zero for an empty one).
template <class S>
class MeanOverTime {
 public:
  using Scalar = S;
  struct Trace {
    Batch batch{1};
    Index rows = 0, steps = 0;
    MatX<S> y;
    const MatX<S>& output() const { return y; }
  };

  std::string describe() const { return "MeanOverTime"; }

  template <class X>
  const MatX<S>& forward(const Eigen::MatrixBase<X>& x, const Batch& batch, Trace& tr) const {
    tr.batch = batch;
    tr.rows = x.rows();
    tr.steps = batch.steps(x, "MeanOverTime input");
    tr.y = predict(x, batch);
    return tr.y;
  }

  template <class X>
  MatX<S> predict(const Eigen::MatrixBase<X>& x, const Batch& batch) const {
    const Index T = batch.steps(x, "MeanOverTime input"), B = batch.size();
    MatX<S> out = MatX<S>::Zero(x.rows(), B);
    for (Index b = 0; b < B; ++b) {
      const Index len = batch.length(b, T);
      for (Index t = 0; t < len; ++t) out.col(b) += x.col(t * B + b);
      if (len > 0) out.col(b) /= static_cast<S>(len);
    }
    return out;
  }

  template <class DY>
  MatX<S> backward(Trace& tr, const Eigen::MatrixBase<DY>& dy) {
    const Index B = tr.batch.size();
    detail::check_shape(dy, tr.rows, B, "MeanOverTime::backward dy");
    MatX<S> dx = MatX<S>::Zero(tr.rows, tr.steps * B);
    for (Index b = 0; b < B; ++b) {
      const Index len = tr.batch.length(b, tr.steps);
      for (Index t = 0; t < len; ++t) dx.col(t * B + b) = dy.col(b) / static_cast<S>(len);
    }
    return dx;
  }

  template <class F>
  void for_each_param(F&& /*f*/, const std::string& /*prefix*/ = "") {}
};

}  // namespace recur
