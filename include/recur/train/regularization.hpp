// L2 regularisation per parameter group: the penalty lambda/2 |p|^2 added to the loss of the
// parameters whose names start with a prefix (e.g. "compose." and "embedding." get different
// strengths in the RNTN), through the one parameter visitor.
#pragma once

#include <string>

#include "recur/core/param.hpp"

namespace recur {

/// Adds lambda * p to the gradient of every parameter named `prefix`...; returns the penalty
/// lambda / 2 * sum p^2 (to report alongside the loss). A parameter with known used columns
/// (an Embedding with sparse_gradient) is regularised on those columns only.
template <class Model>
double add_l2(Model& model, double lambda, const std::string& prefix = "") {
  using S = typename Model::Scalar;
  double penalty = 0;
  model.for_each_param([&](Param<S>& p) {
    if (p.name.compare(0, prefix.size(), prefix) != 0) return;
    if (p.used_columns) {  // lazy: only the columns this minibatch used
      for (Index c : p.used_columns->columns()) {
        p.grad.col(c) += static_cast<S>(lambda) * p.value.col(c);
        penalty += 0.5 * lambda * static_cast<double>(p.value.col(c).squaredNorm());
      }
      return;
    }
    p.grad += static_cast<S>(lambda) * p.value;
    penalty += 0.5 * lambda * static_cast<double>(p.value.squaredNorm());
  });
  return penalty;
}

}  // namespace recur
