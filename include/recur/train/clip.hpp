// Gradient clipping, by value, by each tensor's norm and by the global norm of all gradients
// (Pascanu et al. 2013), written once against the parameter visitor.
#pragma once

#include <cmath>
#include <string>

#include "recur/core/error.hpp"
#include "recur/core/param.hpp"

namespace recur {

/// Clamps every gradient entry to [-limit, limit].
template <class Model>
void clip_value(Model& model, double limit) {
  if (!(limit > 0)) throw value_error("clip_value: limit must be positive");
  model.for_each_param([&](auto& p) {
    using S = typename std::decay_t<decltype(p.grad)>::Scalar;
    p.grad = p.grad.cwiseMax(S(-limit)).cwiseMin(S(limit));
  });
}

/// Rescales each gradient tensor whose L2 norm exceeds max_norm to that norm.
template <class Model>
void clip_norm(Model& model, double max_norm) {
  if (!(max_norm > 0)) throw value_error("clip_norm: max_norm must be positive");
  model.for_each_param([&](auto& p) {
    using S = typename std::decay_t<decltype(p.grad)>::Scalar;
    const double n = p.grad.template cast<double>().norm();
    if (n > max_norm) p.grad *= static_cast<S>(max_norm / n);
  });
}

/// L2 norm of all gradients together, summed in double so that large float gradients do not
/// overflow. Throws value_error naming the first parameter whose gradient holds NaN or
/// infinity: a non-finite gradient must not reach the weights.
template <class Model>
double grad_norm(Model& model) {
  double sum = 0;
  model.for_each_param([&](auto& p) {
    if (!p.grad.allFinite()) throw value_error("non-finite gradient in parameter " + p.name);
    sum += p.grad.template cast<double>().squaredNorm();
  });
  if (!std::isfinite(sum)) throw value_error("the gradient norm overflows double");
  return std::sqrt(sum);
}

/// Rescales all gradients together so that their global L2 norm is at most max_norm, like
/// torch.nn.utils.clip_grad_norm_. Returns the norm before clipping.
template <class Model>
double clip_global_norm(Model& model, double max_norm) {
  if (!(max_norm > 0)) throw value_error("clip_global_norm: max_norm must be positive");
  const double n = grad_norm(model);
  if (n > max_norm) {
    const double scale = max_norm / n;
    model.for_each_param([&](auto& p) {
      using S = typename std::decay_t<decltype(p.grad)>::Scalar;
      p.grad *= static_cast<S>(scale);
    });
  }
  return n;
}

}  // namespace recur
