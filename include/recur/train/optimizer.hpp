// Optimizers: SGD (momentum, Nesterov), AdaGrad, RMSProp, Adam and AdamW, with PyTorch's
// update rules and defaults. `opt.step(model)` updates every parameter from its gradient
// (read through the one parameter visitor) and then zeroes the gradients. Per-parameter state
// (moments, accumulators) is kept in visiting order and sized on the first step.
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/param.hpp"

namespace recur {

/// Shared bookkeeping: per-parameter state buffers and the step count.
template <class S>
class OptimizerBase {
 public:
  S lr;
  S weight_decay = 0;  ///< L2 penalty added to the gradient (decoupled in AdamW)
  long steps() const { return steps_; }

  /// The state buffers, in visiting order (for checkpoints).
  std::vector<MatX<S>>& state() { return state_; }

  /// Continues from a checkpoint: the state buffers and step count saved from an optimizer
  /// of the same kind and settings over `model`. The next step checks that they fit.
  template <class Model>
  void restore(Model& model, std::vector<MatX<S>> buffers, long steps) {
    if (steps < 0) throw value_error("optimizer: restored step count must be >= 0");
    signature_.clear();
    if (steps > 0)
      model.for_each_param([&](Param<S>& p) { signature_.push_back({p.name, p.value.rows(), p.value.cols()}); });
    state_ = std::move(buffers);
    steps_ = steps;
  }

 protected:
  explicit OptimizerBase(S learning_rate) : lr(learning_rate) {
    if (!(learning_rate >= 0)) throw value_error("optimizer: learning rate must be >= 0");
  }

  /// Calls update(param, state buffers of that param) for every parameter, `per_param` buffers
  /// each, then zeroes the gradients. The model's parameters (names and shapes) must be those
  /// of the first step: checked for all of them before anything changes. When the update leaves
  /// a parameter and its state alone where the gradient is zero (`zero_gradient_is_no_op`), a
  /// parameter with known used columns is updated column by column, only there.
  template <class Model, class Update>
  void apply(Model& model, std::size_t per_param, bool zero_gradient_is_no_op, Update&& update) {
    std::size_t k = 0;
    model.for_each_param([&](Param<S>& p) {
      if (!signature_.empty()) {
        if (k >= signature_.size() || signature_[k].name != p.name || signature_[k].rows != p.value.rows() ||
            signature_[k].cols != p.value.cols())
          throw shape_error("optimizer: parameter " + p.name + " is not the one of the first step (" +
                            (k < signature_.size() ? signature_[k].name : std::string("none")) +
                            "): use one optimizer per model");
      }
      ++k;
    });
    if (!signature_.empty() && k != signature_.size())
      throw shape_error("optimizer: the model has " + std::to_string(k) + " parameters, the first step had " +
                        std::to_string(signature_.size()));
    // A NaN gradient would make every weight it touches NaN: stop before anything changes.
    model.for_each_param([&](Param<S>& p) {
      const bool finite = p.used_columns
                              ? std::all_of(p.used_columns->columns().begin(), p.used_columns->columns().end(),
                                            [&](Index c) { return p.grad.col(c).allFinite(); })
                              : p.grad.allFinite();
      if (!finite)
        throw value_error("optimizer: non-finite gradient in parameter " + p.name + " (step " +
                          std::to_string(steps_ + 1) + "); no parameter was changed");
    });
    const bool first = signature_.empty();
    if (!first && state_.size() != k * per_param)
      throw shape_error("optimizer: " + std::to_string(state_.size()) + " state buffers for " + std::to_string(k) +
                        " parameters, this optimizer keeps " + std::to_string(per_param) +
                        " per parameter (a checkpoint of another optimizer?)");
    if (!first)
      for (std::size_t j = 0; j < state_.size(); ++j) {
        const Signature& sig = signature_[j / (per_param ? per_param : 1)];
        if (state_[j].rows() != sig.rows || state_[j].cols() != sig.cols)
          throw shape_error("optimizer: state buffer " + std::to_string(j) + " of " + sig.name + " is " +
                            detail::shape_str(state_[j].rows(), state_[j].cols()) + ", the parameter is " +
                            detail::shape_str(sig.rows, sig.cols));
      }
    ++steps_;
    k = 0;
    model.for_each_param([&](Param<S>& p) {
      if (first) {
        signature_.push_back({p.name, p.value.rows(), p.value.cols()});
        for (std::size_t j = 0; j < per_param; ++j) state_.push_back(MatX<S>::Zero(p.value.rows(), p.value.cols()));
      }
      MatX<S>* st = per_param ? &state_[k * per_param] : nullptr;
      // Every update is elementwise, so it runs on a few columns at a time: the value, gradient
      // and state of those stay in cache between the update's passes. Each block holds a multiple
      // of 16 values, so with Eigen's aligned storage every element takes the same SIMD or scalar
      // path as in one whole pass (the same bits).
      std::vector<Eigen::Map<MatX<S>>> maps;
      const Index rows = p.value.rows();
      auto update_columns = [&](Index from, Index count) {
        Param<S> part{p.name, Eigen::Map<MatX<S>>(p.value.col(from).data(), rows, count),
                      Eigen::Map<MatX<S>>(p.grad.col(from).data(), rows, count), p.layout};
        maps.clear();
        for (std::size_t j = 0; j < per_param; ++j) maps.emplace_back(st[j].col(from).data(), rows, count);
        if (weight_decay != 0 && !decoupled_decay_) part.grad += weight_decay * part.value;
        update(part, maps.data());
        part.grad.setZero();
      };
      if (p.used_columns && zero_gradient_is_no_op && weight_decay == 0) {
        for (Index c : p.used_columns->columns()) update_columns(c, 1);
      } else if (rows > 0) {
        const Index step = 16 / std::gcd(rows, Index(16));  // columns per multiple of 16 values
        const Index block = std::max(step, 4096 / rows / step * step);
        for (Index from = 0; from < p.value.cols(); from += block)
          update_columns(from, std::min(block, p.value.cols() - from));
      }
      if (p.used_columns) p.used_columns->clear();
      ++k;
    });
  }

  using State = Eigen::Map<MatX<S>>;

  struct Signature {
    std::string name;
    Index rows, cols;
  };
  std::vector<Signature> signature_;
  bool decoupled_decay_ = false;
  std::vector<MatX<S>> state_;
  long steps_ = 0;
};

/// Stochastic gradient descent: v = momentum v + g;  p -= lr (nesterov ? g + momentum v : v).
template <class S>
class SGD : public OptimizerBase<S> {
 public:
  S momentum;
  bool nesterov;
  explicit SGD(S learning_rate, S momentum_ = 0, bool nesterov_ = false)
      : OptimizerBase<S>(learning_rate), momentum(momentum_), nesterov(nesterov_) {}

  template <class Model>
  void step(Model& model) {
    this->apply(model, momentum != 0 ? 1 : 0, momentum == 0, [&](Param<S>& p, typename SGD::State* v) {
      if (momentum == 0) {
        p.value -= this->lr * p.grad;
        return;
      }
      *v = momentum * *v + p.grad;
      if (nesterov)
        p.value -= this->lr * (p.grad + momentum * *v);
      else
        p.value -= this->lr * *v;
    });
  }
};

/// AdaGrad (Duchi et al. 2011): s += g^2;  p -= lr g / (sqrt(s) + eps).
template <class S>
class AdaGrad : public OptimizerBase<S> {
 public:
  S eps = S(1e-10);
  explicit AdaGrad(S learning_rate = S(0.01)) : OptimizerBase<S>(learning_rate) {}

  template <class Model>
  void step(Model& model) {
    this->apply(model, 1, true, [&](Param<S>& p, typename AdaGrad::State* s) {
      s->array() += p.grad.array().square();
      p.value.array() -= this->lr * p.grad.array() / (s->array().sqrt() + eps);
    });
  }
};

/// RMSProp: s = alpha s + (1 - alpha) g^2;  p -= lr g / (sqrt(s) + eps), with optional momentum
/// on the scaled step as in PyTorch.
template <class S>
class RMSProp : public OptimizerBase<S> {
 public:
  S alpha = S(0.99);
  S eps = S(1e-8);
  S momentum = 0;
  explicit RMSProp(S learning_rate = S(0.01)) : OptimizerBase<S>(learning_rate) {}

  template <class Model>
  void step(Model& model) {
    this->apply(model, 2, false, [&](Param<S>& p, typename RMSProp::State* st) {
      auto& s = st[0];
      auto& buf = st[1];
      s = alpha * s + (S(1) - alpha) * p.grad.cwiseAbs2();
      if (momentum != 0) {
        buf.array() = momentum * buf.array() + p.grad.array() / (s.array().sqrt() + eps);
        p.value -= this->lr * buf;
      } else {
        p.value.array() -= this->lr * p.grad.array() / (s.array().sqrt() + eps);
      }
    });
  }
};

/// Adam (Kingma & Ba 2015) with bias correction; `decoupled = true` is AdamW (Loshchilov &
/// Hutter 2019): the weight decay shrinks the parameter directly instead of joining the
/// gradient.
template <class S>
class Adam : public OptimizerBase<S> {
 public:
  S beta1 = S(0.9);
  S beta2 = S(0.999);
  S eps = S(1e-8);
  explicit Adam(S learning_rate = S(1e-3), S decay = 0, bool decoupled = false) : OptimizerBase<S>(learning_rate) {
    this->weight_decay = decay;
    this->decoupled_decay_ = decoupled;
  }

  template <class Model>
  void step(Model& model) {
    const double t = static_cast<double>(this->steps_ + 1);
    const S c1 = static_cast<S>(1.0 - std::pow(static_cast<double>(beta1), t));
    const S c2 = static_cast<S>(1.0 - std::pow(static_cast<double>(beta2), t));
    this->apply(model, 2, false, [&](Param<S>& p, typename Adam::State* st) {
      auto& m = st[0];
      auto& v = st[1];
      if (this->decoupled_decay_ && this->weight_decay != 0) p.value *= S(1) - this->lr * this->weight_decay;
      m = beta1 * m + (S(1) - beta1) * p.grad;
      v = beta2 * v + (S(1) - beta2) * p.grad.cwiseAbs2();
      p.value.array() -= this->lr * (m.array() / c1) / ((v.array() / c2).sqrt() + eps);
    });
  }
};

/// AdamW: Adam with decoupled weight decay (PyTorch's default decay 0.01).
template <class S>
class AdamW : public Adam<S> {
 public:
  explicit AdamW(S learning_rate = S(1e-3), S decay = S(0.01)) : Adam<S>(learning_rate, decay, true) {}
};

}  // namespace recur
