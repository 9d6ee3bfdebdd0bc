// A chain of layers: the output of each is the input of the next.
// Parameter names are prefixed with the layer's position ("0.weight_ih_l0", "2.weight"), as in
// PyTorch's nn.Sequential.
#pragma once

#include <string>
#include <tuple>
#include <utility>

#include "recur/core/batch.hpp"
#include "recur/core/types.hpp"

namespace recur {

template <class... Layers>
class Sequential {
  static_assert(sizeof...(Layers) > 0, "Sequential needs at least one layer");
  static constexpr std::size_t N = sizeof...(Layers);

 public:
  using Scalar = typename std::tuple_element_t<0, std::tuple<Layers...>>::Scalar;
  using S = Scalar;

  struct Trace {
    std::tuple<typename Layers::Trace...> layers;
    /// The model's output (a reference into the last layer's trace).
    const auto& output() const { return std::get<N - 1>(layers).output(); }
  };

  explicit Sequential(Layers... layers) : layers_(std::move(layers)...) {}

  /// Layer K.
  template <std::size_t K>
  auto& get() {
    return std::get<K>(layers_);
  }
  template <std::size_t K>
  const auto& get() const {
    return std::get<K>(layers_);
  }

  std::string describe() const {
    std::string s = "Sequential(";
    describe_from<0>(s);
    return s + ")";
  }

  /// Runs every layer keeping their traces; returns the last layer's output.
  template <class X>
  const auto& forward(X&& x, const Batch& batch, Trace& tr) const {
    return forward_from<0>(std::forward<X>(x), batch, tr);
  }

  template <class X>
  auto predict(const X& x, const Batch& batch) const {
    return predict_from<0>(x, batch);
  }

  /// Backpropagates dy (w.r.t. the output) through every layer, accumulating their gradients;
  /// returns the gradient w.r.t. the input (empty when the first layer is an Embedding).
  template <class DY>
  MatX<S> backward(Trace& tr, const Eigen::MatrixBase<DY>& dy) {
    return backward_from<N - 1>(tr, dy);
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    params_from<0>(f, prefix);
  }

 private:
  template <std::size_t K, class X>
  const auto& forward_from(X&& x, const Batch& batch, Trace& tr) const {
    const auto& y = std::get<K>(layers_).forward(std::forward<X>(x), batch, std::get<K>(tr.layers));
    if constexpr (K + 1 == N)
      return y;
    else
      return forward_from<K + 1>(y, batch, tr);
  }

  template <std::size_t K, class X>
  auto predict_from(const X& x, const Batch& batch) const {
    auto y = std::get<K>(layers_).predict(x, batch);
    if constexpr (K + 1 == N)
      return y;
    else
      return predict_from<K + 1>(y, batch);
  }

  template <std::size_t K, class DY>
  MatX<S> backward_from(Trace& tr, const Eigen::MatrixBase<DY>& dy) {
    MatX<S> dx = std::get<K>(layers_).backward(std::get<K>(tr.layers), dy);
    if constexpr (K == 0)
      return dx;
    else
      return backward_from<K - 1>(tr, dx);
  }

  template <std::size_t K, class F>
  void params_from(F& f, const std::string& prefix) {
    std::get<K>(layers_).for_each_param(f, prefix + std::to_string(K) + ".");
    if constexpr (K + 1 < N) params_from<K + 1>(f, prefix);
  }

  template <std::size_t K>
  void describe_from(std::string& s) const {
    s += std::get<K>(layers_).describe();
    if constexpr (K + 1 < N) {
      s += ", ";
      describe_from<K + 1>(s);
    }
  }

  std::tuple<Layers...> layers_;
};

}  // namespace recur
