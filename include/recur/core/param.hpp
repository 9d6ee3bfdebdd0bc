// The one parameter visitor.
//
// Every layer offers `for_each_param(f, prefix)`, calling `f(Param<S>&)` once per parameter
// tensor in a fixed order. Optimizers, clipping, zeroing gradients, model files, gradient checks
// and parameter counts are written once against it, never per layer.
#pragma once

#include <string>
#include <vector>

#include "recur/core/types.hpp"

namespace recur {

/// The columns of a parameter whose gradient may be non-zero (e.g. the rows of an embedding a
/// minibatch used), each listed once. Whoever adds to such a gradient adds the column here;
/// whoever zeroes the gradient clears the set.
class ColumnSet {
 public:
  void add(Index column) {
    const auto c = static_cast<std::size_t>(column);
    if (c >= marked_.size()) marked_.resize(c + 1, 0);
    if (marked_[c]) return;
    marked_[c] = 1;
    columns_.push_back(column);
  }
  void clear() {
    for (Index c : columns_) marked_[static_cast<std::size_t>(c)] = 0;
    columns_.clear();
  }
  const std::vector<Index>& columns() const { return columns_; }

 private:
  std::vector<Index> columns_;  // in the order first added
  std::vector<char> marked_;    // marked_[c]: c is in columns_
};

/// How a parameter maps to a PyTorch tensor of the same name.
enum class TorchLayout {
  vector,     ///< a [n x 1] column is a 1-D tensor [n] (biases)
  matrix,     ///< a [r x c] matrix is a row-major tensor [r, c] (weights: data transposed on I/O)
  transposed  ///< a [r x c] matrix is a row-major tensor [c, r] with the same bytes (embeddings)
};

/// A view of one parameter tensor and its gradient. The maps point into the layer's own
/// storage: valid until the layer is resized or destroyed.
template <class S>
struct Param {
  std::string name;           ///< PyTorch state_dict name, with the owners' prefixes
  Eigen::Map<MatX<S>> value;  ///< [rows x cols]
  Eigen::Map<MatX<S>> grad;   ///< [rows x cols], accumulated by backward
  TorchLayout layout;
  /// Set when the gradient is zero outside these columns (an Embedding with sparse_gradient):
  /// AdaGrad and plain SGD then update only them (the same result, up to rounding).
  ColumnSet* used_columns = nullptr;

  Index size() const { return value.size(); }

  /// Zeroes the gradient and clears the set of used columns.
  void zero_grad() {
    grad.setZero();
    if (used_columns) used_columns->clear();
  }
};

/// Builds a Param viewing `value` and `grad` (any plain Eigen matrices with the same shape).
template <class V, class G>
Param<typename V::Scalar> make_param(std::string name, V& value, G& grad, TorchLayout layout) {
  using S = typename V::Scalar;
  return Param<S>{std::move(name), Eigen::Map<MatX<S>>(value.data(), value.rows(), value.cols()),
                  Eigen::Map<MatX<S>>(grad.data(), grad.rows(), grad.cols()), layout};
}

/// Sets every gradient of `model` to zero.
template <class Model>
void zero_grad(Model& model) {
  model.for_each_param([](auto& p) { p.zero_grad(); });
}

/// Number of scalar parameters in `model`.
template <class Model>
Index param_count(Model& model) {
  Index n = 0;
  model.for_each_param([&](auto& p) { n += p.size(); });
  return n;
}

}  // namespace recur
