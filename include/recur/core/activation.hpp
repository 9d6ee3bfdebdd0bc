// Activation policies: the phi of Elman cells, the gate and candidate functions of LSTM and GRU,
// the output of a Dense layer.
//
// A policy is a small object with
//   apply(x)        x <- f(x) in place, element-wise, on any Eigen matrix or block;
//   derivative(y)   f'(x) as an array expression written in terms of the OUTPUT y = f(x),
//                   so that a trace only keeps outputs;
//   name()          for model files and error messages.
// Policies with a parameter (the slope of steeper gates) keep it as a member, so a cell can be
// made "steeper" at run time: `cell.gate.slope = 4`.
#pragma once

#include <string>

#include "recur/core/types.hpp"

namespace recur {

namespace detail {

/// Runs f(v) on x in place. A column of run-time length that is not a whole number of packets
/// (8 gates with AVX-512's 16 floats) would leave Eigen's loop one scalar at a time, and the
/// scalar exp is slow; cut into fixed-size segments it takes half and quarter packets instead.
/// Anything else goes to f whole.
template <class X, class F>
void apply_in_packets(X&& x, F&& f) {
  using XT = std::decay_t<X>;
  using S = typename XT::Scalar;
  constexpr Index P = Eigen::internal::packet_traits<S>::size;
  if constexpr (XT::ColsAtCompileTime == 1 && XT::RowsAtCompileTime == Eigen::Dynamic && P >= 4) {
    const Index n = x.rows();
    Index i = 0;
    for (; i + P <= n; i += P) f(x.template segment<P>(i));
    if (i + P / 2 <= n) f(x.template segment<P / 2>(i)), i += P / 2;
    if (i + P / 4 <= n) f(x.template segment<P / 4>(i)), i += P / 4;
    if (i < n) f(x.segment(i, n - i));
  } else {
    f(x);
  }
}

}  // namespace detail

/// f(x) = x.
struct Identity {
  template <class X>
  void apply(X&& /*x*/) const {}
  template <class Y>
  auto derivative(const Y& y) const {
    using S = typename Y::Scalar;
    return Eigen::Array<S, Y::RowsAtCompileTime, Y::ColsAtCompileTime>::Ones(y.rows(), y.cols());
  }
  std::string name() const { return "identity"; }
};

/// f(x) = tanh(x); f' = 1 - y^2.
struct Tanh {
  template <class X>
  void apply(X&& x) const {
    detail::apply_in_packets(x, [](auto&& v) { v.array() = v.array().tanh(); });
  }
  template <class Y>
  auto derivative(const Y& y) const {
    using S = typename Y::Scalar;
    return S(1) - y.array().square();
  }
  std::string name() const { return "tanh"; }
};

/// f(x) = max(x, 0); f' = 1 where y > 0.
struct ReLU {
  template <class X>
  void apply(X&& x) const {
    x.array() = x.array().max(typename std::decay_t<X>::Scalar(0));
  }
  template <class Y>
  auto derivative(const Y& y) const {
    using S = typename Y::Scalar;
    return (y.array() > S(0)).template cast<S>();
  }
  std::string name() const { return "relu"; }
};

/// The logistic gate, f(x) = 1 / (1 + exp(-x)); f' = y (1 - y).
struct Sigmoid {
  template <class X>
  void apply(X&& x) const {
    using S = typename std::decay_t<X>::Scalar;
    detail::apply_in_packets(x, [](auto&& v) { v.array() = S(1) / (S(1) + (-v.array()).exp()); });
  }
  template <class Y>
  auto derivative(const Y& y) const {
    using S = typename Y::Scalar;
    return y.array() * (S(1) - y.array());
  }
  std::string name() const { return "sigmoid"; }
};

/// A steeper (or flatter) logistic gate, f(x) = 1 / (1 + exp(-slope x)); f' = slope y (1 - y).
/// slope = 1 is Sigmoid; larger slopes make gates closer to binary switches.
struct SteepSigmoid {
  double slope = 1.0;
  template <class X>
  void apply(X&& x) const {
    using S = typename std::decay_t<X>::Scalar;
    const S k = S(-slope);
    detail::apply_in_packets(x, [k](auto&& v) { v.array() = S(1) / (S(1) + (v.array() * k).exp()); });
  }
  template <class Y>
  auto derivative(const Y& y) const {
    using S = typename Y::Scalar;
    return S(slope) * y.array() * (S(1) - y.array());
  }
  std::string name() const { return "steep_sigmoid(" + std::to_string(slope) + ")"; }
};

/// Piece-wise linear gate, f(x) = clamp(slope x + 1/2, 0, 1); f' = slope inside (0, 1).
/// The default slope 1/6 is PyTorch's nn.Hardsigmoid; Keras uses 0.2.
struct HardSigmoid {
  double slope = 1.0 / 6.0;
  template <class X>
  void apply(X&& x) const {
    using S = typename std::decay_t<X>::Scalar;
    x.array() = (x.array() * S(slope) + S(0.5)).max(S(0)).min(S(1));
  }
  template <class Y>
  auto derivative(const Y& y) const {
    using S = typename Y::Scalar;
    return ((y.array() > S(0)) && (y.array() < S(1))).template cast<S>() * S(slope);
  }
  std::string name() const { return "hard_sigmoid(" + std::to_string(slope) + ")"; }
};

}  // namespace recur
