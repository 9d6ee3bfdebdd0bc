// Weight averaging: an exponential moving average of a model's parameters, kept in a second
// copy of the model and updated after every optimizer step (TensorFlow's
// ExponentialMovingAverage with num_updates; PyTorch's AveragedModel with an EMA, plus a
// warm-up). Evaluating the average instead of the last weights damps the minibatch-to-minibatch
// noise of the updates.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/param.hpp"

namespace recur {

/// The decay of averaging update number `step` (from 1): min(decay, (1 + step) / (10 + step)),
/// TensorFlow's warm-up, so the average soon forgets the initial weights.
inline double warmed_up_decay(double decay, long step) {
  const double s = static_cast<double>(std::max(step, 1L));
  return std::min(decay, (1 + s) / (10 + s));
}

/// Holds average <- d * average + (1 - d) * model after each optimizer step, parameter by
/// parameter through the one parameter visitor, with d = warmed_up_decay(decay, step).
template <class Model>
class AveragedModel {
 public:
  using Scalar = typename Model::Scalar;

  /// Starts the average at `model`'s parameters. `decay` in [0, 1): 0 keeps the last weights;
  /// 0.999 averages over about the last thousand steps once the warm-up's (1 + n) / (10 + n)
  /// exceeds it (step 8,990); before that, over about the last ninth of the steps.
  AveragedModel(const Model& model, double decay) : average_(model), decay_(decay) {
    if (!(decay >= 0 && decay < 1)) throw value_error("AveragedModel: decay must be in [0, 1)");
  }

  /// Folds `model`'s parameters in; `step` is the optimizer's step count after its step.
  /// `model` must have the structure and sizes the average was built from.
  void update(Model& model, long step) {
    std::vector<Param<Scalar>> mine, theirs;
    average_.for_each_param([&](Param<Scalar>& p) { mine.push_back(p); });
    model.for_each_param([&](Param<Scalar>& p) { theirs.push_back(p); });
    // Checked before anything changes, so a wrong model leaves the average as it was.
    if (theirs.size() != mine.size())
      throw shape_error("AveragedModel::update: the model has " + std::to_string(theirs.size()) +
                        " parameters, the average " + std::to_string(mine.size()));
    for (std::size_t k = 0; k < mine.size(); ++k)
      if (mine[k].value.rows() != theirs[k].value.rows() || mine[k].value.cols() != theirs[k].value.cols())
        throw shape_error("AveragedModel::update: parameter " + theirs[k].name + " does not match the average's");
    const auto d = static_cast<Scalar>(warmed_up_decay(decay_, step));
    for (std::size_t k = 0; k < mine.size(); ++k) mine[k].value = d * mine[k].value + (1 - d) * theirs[k].value;
  }

  /// The averaged model: evaluate, copy or save it.
  Model& model() { return average_; }
  const Model& model() const { return average_; }
  double decay() const { return decay_; }

  /// The averaged parameters, so a checkpoint can carry them.
  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    average_.for_each_param(f, prefix);
  }

 private:
  Model average_;
  double decay_;
};

/// The parameters of `kept` (e.g. the best model so far), then those of `average` (if any)
/// under the prefix "average.": the extra set a checkpoint carries for a loop that averages.
template <class Model>
struct KeptAndAverage {
  using Scalar = typename Model::Scalar;
  Model& kept;
  AveragedModel<Model>* average = nullptr;
  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    kept.for_each_param(f, prefix);
    if (average) average->for_each_param(f, prefix + "average.");
  }
};

}  // namespace recur
