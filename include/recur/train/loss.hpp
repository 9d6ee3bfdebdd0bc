// Loss functions. Each returns the loss value and its gradient w.r.t. the model's output, ready
// for model.backward(trace, loss.grad). Means are over the counted entries, as in PyTorch's
// default reduction.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "recur/core/batch.hpp"
#include "recur/core/error.hpp"
#include "recur/core/types.hpp"

namespace recur {

template <class S>
struct Loss {
  S value = 0;   ///< the mean loss
  MatX<S> grad;  ///< d value / d output, same shape as the output
};

/// Mean squared error over all entries of y [K x N] (PyTorch's MSELoss).
template <class Y, class T>
Loss<typename Y::Scalar> mse(const Eigen::MatrixBase<Y>& y, const Eigen::MatrixBase<T>& target) {
  using S = typename Y::Scalar;
  detail::check_shape(target, y.rows(), y.cols(), "mse target");
  detail::check_finite(target, "mse target");
  Loss<S> l;
  const S count = static_cast<S>(y.size());
  l.grad = (y - target) * (S(2) / count);
  l.value = (y - target).squaredNorm() / count;
  return l;
}

/// Mean squared error over the real (non-padding) steps of a sequence batch.
template <class Y, class T>
Loss<typename Y::Scalar> mse(const Eigen::MatrixBase<Y>& y, const Eigen::MatrixBase<T>& target, const Batch& batch) {
  using S = typename Y::Scalar;
  detail::check_shape(target, y.rows(), y.cols(), "mse target");
  const Index T_ = batch.steps(y, "mse output"), B = batch.size();
  Loss<S> l;
  l.grad = MatX<S>::Zero(y.rows(), y.cols());
  Index count = 0;
  for (Index t = 0; t < T_; ++t)
    for (Index b = 0; b < B; ++b)
      if (batch.active(t, b)) {
        detail::check_finite(target.col(t * B + b), "mse target");
        l.grad.col(t * B + b) = y.col(t * B + b) - target.col(t * B + b);
        ++count;
      }
  if (count == 0) return l;
  const S n = static_cast<S>(count * y.rows());
  l.value = l.grad.squaredNorm() / n;
  l.grad *= S(2) / n;
  return l;
}

/// Softmax cross-entropy of logits [K x N] against class labels (one per column; a negative
/// label marks a column to ignore, e.g. padding). Mean over the labelled columns.
template <class Y>
Loss<typename Y::Scalar> softmax_cross_entropy(const Eigen::MatrixBase<Y>& logits, const std::vector<Index>& labels) {
  using S = typename Y::Scalar;
  if (static_cast<Index>(labels.size()) != logits.cols())
    throw shape_error("softmax_cross_entropy: " + std::to_string(labels.size()) + " labels for " +
                      std::to_string(logits.cols()) + " columns of logits");
  Loss<S> l;
  l.grad = MatX<S>::Zero(logits.rows(), logits.cols());
  double total = 0;
  Index count = 0;
  for (Index j = 0; j < logits.cols(); ++j) {
    const Index label = labels[static_cast<std::size_t>(j)];
    if (label < 0) continue;
    if (label >= logits.rows())
      throw value_error("softmax_cross_entropy: label " + std::to_string(label) + " in column " + std::to_string(j) +
                        " is not a class (" + std::to_string(logits.rows()) + " classes)");
    const S top = logits.col(j).maxCoeff();  // shift for a stable softmax
    auto p = l.grad.col(j);
    p = (logits.col(j).array() - top).exp().matrix();
    const S z = p.sum();
    p /= z;
    total += -(static_cast<double>(logits(label, j) - top) - std::log(static_cast<double>(z)));
    p(label) -= S(1);
    ++count;
  }
  if (count == 0) return l;
  l.value = static_cast<S>(total / static_cast<double>(count));
  l.grad /= static_cast<S>(count);
  return l;
}

/// Row-wise softmax probabilities of logits [K x N].
template <class Y>
MatX<typename Y::Scalar> softmax(const Eigen::MatrixBase<Y>& logits) {
  using S = typename Y::Scalar;
  MatX<S> p = (logits.rowwise() - logits.colwise().maxCoeff()).array().exp().matrix();
  p.array().rowwise() /= p.colwise().sum().array();
  return p;
}

/// Fraction of labelled columns whose largest logit is the label.
template <class Y>
double accuracy(const Eigen::MatrixBase<Y>& logits, const std::vector<Index>& labels) {
  Index right = 0, count = 0;
  for (Index j = 0; j < logits.cols(); ++j) {
    const Index label = labels.at(static_cast<std::size_t>(j));
    if (label < 0) continue;
    Index best = 0;
    logits.col(j).maxCoeff(&best);
    right += best == label;
    ++count;
  }
  return count ? static_cast<double>(right) / static_cast<double>(count) : 0.0;
}

}  // namespace recur
