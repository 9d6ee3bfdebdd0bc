// Small helpers shared by the test files.
#pragma once

#include <catch2/catch.hpp>
#include <recur/recur.hpp>

#include <string>

namespace test {

using recur::Index;

/// A matrix with entries uniform in [-scale, scale] from a seeded generator.
template <class S = double>
recur::MatX<S> random(Index rows, Index cols, recur::Rng& rng, double scale = 1.0) {
  recur::MatX<S> m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = static_cast<S>(rng.uniform(-scale, scale));
  return m;
}

/// Largest |a - b| / (1 + |b|) over all entries: an absolute error for small values, relative
/// for large ones. (Pass evaluated matrices: a product expression would be recomputed for
/// every coefficient.)
template <class A, class B>
double max_diff(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  double worst = 0;
  for (Index j = 0; j < a.cols(); ++j)
    for (Index i = 0; i < a.rows(); ++i) {
      const double d = std::abs(double(a(i, j)) - double(b(i, j))) / (1.0 + std::abs(double(b(i, j))));
      worst = std::max(worst, d);
    }
  return worst;
}

/// Fails with the name of the worst tensor when a gradient report exceeds `tolerance`.
inline void require_gradients(const recur::GradientReport& r, double tolerance = 1e-6) {
  INFO("worst parameter: " << r.worst << ", relative error " << r.max_error);
  REQUIRE(!r.params.empty());
  REQUIRE(r.max_error < tolerance);
}

/// Sets the slope of a gate or phi policy that has one, so steep gates are really tested.
template <class Policy>
void steepen(Policy& p, double slope) {
  if constexpr (std::is_same<Policy, recur::SteepSigmoid>::value || std::is_same<Policy, recur::HardSigmoid>::value)
    p.slope = slope;
  else
    (void)slope;
}

}  // namespace test
