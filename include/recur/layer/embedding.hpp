// Token ids to vectors: PyTorch's nn.Embedding ("weight", a [V, E] tensor).
// Stored as [E x V] (one column per token, so a lookup copies a contiguous column); those are
// the same bytes as PyTorch's row-major [V, E].
#pragma once

#include <string>
#include <vector>

#include "recur/core/batch.hpp"
#include "recur/core/error.hpp"
#include "recur/core/param.hpp"
#include "recur/core/rng.hpp"

namespace recur {

template <class S>
class Embedding {
 public:
  using Scalar = S;
  using Ids = std::vector<Index>;
  MatX<S> weight;  // [E x V]
  MatX<S> grad_weight;
  /// As PyTorch's nn.Embedding(sparse=True): the gradient remembers which columns it holds, so
  /// AdaGrad and plain SGD visit only the tokens a minibatch used instead of the whole table
  /// (the same result, up to rounding), and add_l2 regularises only those (lazy L2, as CoreNLP).
  bool sparse_gradient = false;
  ColumnSet used_columns;

  struct Trace {
    Ids ids;
    MatX<S> y;  // [E x N]
    const MatX<S>& output() const { return y; }
  };

  /// `vocabulary` tokens, `dim` features each, initialised N(0, 1) as in PyTorch.
  Embedding(Index vocabulary, Index dim, Rng& rng = global_rng()) {
    if (vocabulary <= 0 || dim <= 0)
      throw shape_error("Embedding: sizes must be positive, got vocabulary " + std::to_string(vocabulary) + ", dim " +
                        std::to_string(dim));
    weight.resize(dim, vocabulary);
    for (Index j = 0; j < vocabulary; ++j)
      for (Index i = 0; i < dim; ++i) weight(i, j) = static_cast<S>(rng.normal());
    grad_weight.setZero(dim, vocabulary);
  }

  Index vocabulary() const { return weight.cols(); }
  Index output_size() const { return weight.rows(); }
  std::string describe() const {
    return "Embedding(vocabulary=" + std::to_string(vocabulary()) + ", dim=" + std::to_string(output_size()) + ")";
  }

  /// ids (T*B of them, column order as the sequence layout) -> [E x T*B].
  const MatX<S>& forward(const Ids& ids, const Batch& /*batch*/, Trace& tr) const {
    tr.y = predict(ids);  // checks every id before the trace keeps them
    tr.ids = ids;
    return tr.y;
  }

  MatX<S> predict(const Ids& ids, const Batch& /*batch*/ = Batch(1)) const {
    MatX<S> out(output_size(), static_cast<Index>(ids.size()));
    for (std::size_t k = 0; k < ids.size(); ++k) {
      if (ids[k] < 0 || ids[k] >= vocabulary())
        throw value_error("Embedding: token id " + std::to_string(ids[k]) + " at position " + std::to_string(k) +
                          " is outside the vocabulary [0, " + std::to_string(vocabulary()) + ")");
      out.col(static_cast<Index>(k)) = weight.col(ids[k]);
    }
    return out;
  }

  /// Scatters dy [E x N] into the rows of the used tokens. Ids have no gradient: returns an
  /// empty matrix.
  template <class DY>
  MatX<S> backward(Trace& tr, const Eigen::MatrixBase<DY>& dy) {
    detail::check_shape(dy, output_size(), static_cast<Index>(tr.ids.size()), "Embedding::backward dy");
    for (Index id : tr.ids)
      if (id < 0 || id >= vocabulary())
        throw value_error("Embedding::backward: the trace holds token id " + std::to_string(id) +
                          " outside this embedding's vocabulary");
    for (std::size_t k = 0; k < tr.ids.size(); ++k) add_gradient(tr.ids[k], dy.col(static_cast<Index>(k)));
    return MatX<S>();
  }

  /// Adds g [E] to the gradient of token `id` (checked by the caller).
  template <class G>
  void add_gradient(Index id, const Eigen::MatrixBase<G>& g) {
    grad_weight.col(id) += g;
    if (sparse_gradient) used_columns.add(id);
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    auto w = make_param(prefix + "weight", weight, grad_weight, TorchLayout::transposed);
    if (sparse_gradient) w.used_columns = &used_columns;
    f(w);
  }
};

}  // namespace recur
