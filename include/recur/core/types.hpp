// Scalar and matrix aliases shared by every recur header.
#pragma once

#include <Eigen/Dense>
#include <cstddef>

/// On a function: inline everything it calls. A streaming step is a few dozen nanoseconds of
/// small functions (bias, product, gate maths); where GCC's heuristics left some of them out of
/// line, a GRU step at H = 16 took 98 ns instead of 53.
#if defined(__GNUC__) || defined(__clang__)
#define RECUR_FLATTEN __attribute__((flatten))
#else
#define RECUR_FLATTEN
#endif

namespace recur {

using Index = Eigen::Index;
constexpr int Dynamic = Eigen::Dynamic;

/// Column-major matrix; recur keeps one sample per column.
template <class S, int Rows = Dynamic, int Cols = Dynamic>
using Matrix = Eigen::Matrix<S, Rows, Cols>;

/// Column vector.
template <class S, int Rows = Dynamic>
using Vector = Eigen::Matrix<S, Rows, 1>;

/// The fully dynamic matrix: the common currency between layers.
template <class S>
using MatX = Eigen::Matrix<S, Dynamic, Dynamic>;

template <class S>
using VecX = Eigen::Matrix<S, Dynamic, 1>;

/// `times(G, H)` is G*H when H is known at compile time, else Dynamic.
constexpr int times(int g, int h) { return h == Dynamic ? Dynamic : g * h; }

}  // namespace recur
