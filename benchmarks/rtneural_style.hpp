// Reference streaming steps built the way RTNeural's Eigen backend builds its layers, so that the
// benchmark issue's RTNeural figures can be checked side by side in the same run (RTNeural is not
// packaged for Debian and cannot be fetched on this machine).
//
// Written for this benchmark from RTNeural's published design, not its code:
// - LSTM: one [H x I] kernel matrix, one [H x H] recurrent matrix and one bias per gate (f, i, o,
//   candidate), each gate computed as b + U h + W x with its own Eigen products; sigmoid as
//   1 / (1 + exp(-x)); c = f c + i tanh(candidate); h = o tanh(c).
// - GRU: the three gates' kernels in one [3H x (I+1)] matrix and the recurrent weights in one
//   [3H x (H+1)] matrix, the biases folded in as a last column multiplied by a constant 1.
// - Dense(H -> 1) head: one fixed-size product plus bias.
// Sizes are compile-time (RTNeural's LSTMLayerT, GRULayerT, DenseT) or, with Eigen::Dynamic,
// run-time (its LSTMLayer). The weights are random in +-1/sqrt(H); only the time matters here.
#pragma once

#include <memory>

#include <recur/recur.hpp>

namespace rtneural_style {

using recur::Index;

constexpr int plus_one(int n) { return n == Eigen::Dynamic ? n : n + 1; }

template <class M>
void randomize(M& m, recur::Rng& rng, double k) {
  for (Index j = 0; j < m.cols(); ++j)
    for (Index i = 0; i < m.rows(); ++i) m(i, j) = static_cast<float>(rng.uniform(-k, k));
}

template <class V>
auto sigmoid(const V& x) {
  return 1.0f / ((-x.array()).exp() + 1.0f);
}

/// Dense(H -> 1): y = w h + b.
template <int H>
struct Head {
  Eigen::Matrix<float, 1, H> w;
  Eigen::Matrix<float, 1, 1> b, y;
  Head(Index hidden, recur::Rng& rng) : w(1, hidden) {
    randomize(w, rng, 1.0 / std::sqrt(double(hidden)));
    b.setConstant(0.01f);
  }
  template <class V>
  float step(const V& h) {
    y.noalias() = w * h;
    y += b;
    return y(0);
  }
};

template <int I, int H>
class LstmStep {
  using Vec = Eigen::Matrix<float, H, 1>;

 public:
  LstmStep(Index input, Index hidden, recur::Rng& rng) {
    const double k = 1.0 / std::sqrt(double(hidden));
    for (int g = 0; g < 4; ++g) {
      kernel[g].resize(hidden, input);
      recurrent[g].resize(hidden, hidden);
      randomize(kernel[g], rng, k);
      randomize(recurrent[g], rng, k);
      bias[g].setZero(hidden);
    }
    for (Vec* v : {&f, &i, &o, &candidate, &c, &h}) v->setZero(hidden);
  }

  /// One step; returns the new hidden state.
  template <class X>
  const Vec& step(const X& x) {
    gate(0, f, x);
    gate(1, i, x);
    gate(2, o, x);
    f = sigmoid(f);
    i = sigmoid(i);
    o = sigmoid(o);
    gate(3, candidate, x);
    candidate = candidate.array().tanh();
    c = f.cwiseProduct(c);
    c.noalias() += i.cwiseProduct(candidate);
    h = c.array().tanh();
    h = o.cwiseProduct(h);
    return h;
  }

 private:
  template <class X>
  void gate(int g, Vec& out, const X& x) const {
    out.noalias() = bias[g];
    out.noalias() += recurrent[g] * h;
    out.noalias() += kernel[g] * x;
  }

  Eigen::Matrix<float, H, I> kernel[4];     // [H x I] per gate: f, i, o, candidate
  Eigen::Matrix<float, H, H> recurrent[4];  // [H x H] per gate
  Vec bias[4];
  Vec f, i, o, candidate, c, h;
};

template <int I, int H>
class GruStep {
  static constexpr int G = recur::times(3, H);

 public:
  GruStep(Index input, Index hidden, recur::Rng& rng)
      : kernel(3 * hidden, input + 1), recurrent(3 * hidden, hidden + 1) {
    const double k = 1.0 / std::sqrt(double(hidden));
    randomize(kernel, rng, k);
    randomize(recurrent, rng, k);
    x_ext.setOnes(input + 1);
    h_ext.setOnes(hidden + 1);
    h_ext.head(hidden).setZero();
    alpha.setZero(3 * hidden);
    beta.setZero(3 * hidden);
    gamma.setZero(2 * hidden);
    candidate.setZero(hidden);
  }

  /// One step; returns the new hidden state (the first H entries of h_ext).
  template <class X>
  auto step(const X& x) {
    const Index n = candidate.size();
    for (Index k = 0; k < x.size(); ++k) x_ext(k) = x(k);
    alpha.noalias() = kernel * x_ext;
    beta.noalias() = recurrent * h_ext;
    gamma = sigmoid(alpha.head(2 * n) + beta.head(2 * n));  // [z; r]
    candidate.noalias() = alpha.segment(2 * n, n) + gamma.segment(n, n).cwiseProduct(beta.segment(2 * n, n));
    candidate = candidate.array().tanh();
    h_ext.head(n) = candidate + gamma.head(n).cwiseProduct(h_ext.head(n) - candidate);
    return h_ext.head(n);
  }

 private:
  Eigen::Matrix<float, G, plus_one(I)> kernel;     // [3H x (I+1)], the last column the bias
  Eigen::Matrix<float, G, plus_one(H)> recurrent;  // [3H x (H+1)], the last column the bias
  Eigen::Matrix<float, plus_one(I), 1> x_ext;
  Eigen::Matrix<float, plus_one(H), 1> h_ext;
  Eigen::Matrix<float, G, 1> alpha, beta;
  Eigen::Matrix<float, recur::times(2, H), 1> gamma;
  Eigen::Matrix<float, H, 1> candidate;
};

}  // namespace rtneural_style
