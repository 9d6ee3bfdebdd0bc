// Exceptions thrown by recur's public entry points.
// Every message says what was expected and what was found, and where.
#pragma once

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "recur/core/types.hpp"

namespace recur {

/// Base of every exception recur throws.
struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A matrix or state has the wrong shape.
struct shape_error : error {
  using error::error;
};

/// A value is out of its domain (NaN or infinity in an input, a bad label, a bad option).
struct value_error : error {
  using error::error;
};

/// A file could not be read or written, or its contents are malformed.
struct io_error : error {
  using error::error;
};

namespace detail {

inline std::string shape_str(Index rows, Index cols) {
  std::ostringstream s;
  s << "[" << rows << " x " << cols << "]";
  return s.str();
}

/// Throws shape_error "<what>: expected [r x c], got [r' x c']" when the shapes differ.
template <class M>
void check_shape(const M& m, Index rows, Index cols, const char* what) {
  if (m.rows() != rows || m.cols() != cols)
    throw shape_error(std::string(what) + ": expected " + shape_str(rows, cols) + ", got " +
                      shape_str(m.rows(), m.cols()));
}

template <class M>
void check_rows(const M& m, Index rows, const char* what) {
  if (m.rows() != rows)
    throw shape_error(std::string(what) + ": expected " + std::to_string(rows) + " rows, got " +
                      shape_str(m.rows(), m.cols()));
}

/// Throws value_error naming the first non-finite entry (row, column) of `m`.
template <class M>
void check_finite(const M& m, const char* what) {
#ifndef RECUR_NO_INPUT_CHECKS
  if (m.allFinite()) return;
  for (Index j = 0; j < m.cols(); ++j)
    for (Index i = 0; i < m.rows(); ++i)
      if (!std::isfinite(static_cast<double>(m(i, j))))
        throw value_error(std::string(what) + ": non-finite value " + std::to_string(double(m(i, j))) + " at row " +
                          std::to_string(i) + ", column " + std::to_string(j));
#else
  (void)m;
  (void)what;
#endif
}

/// check_finite for a sequence batch x [F x T*B] (step t = columns t*B .. t*B+B-1): the error
/// names the time step, the batch column and the feature where the first bad value sits.
template <class M>
void check_finite_steps(const M& m, Index batch, const char* what) {
#ifndef RECUR_NO_INPUT_CHECKS
  if (m.allFinite()) return;
  batch = batch > 0 ? batch : 1;
  for (Index j = 0; j < m.cols(); ++j)
    for (Index i = 0; i < m.rows(); ++i)
      if (!std::isfinite(static_cast<double>(m(i, j))))
        throw value_error(std::string(what) + ": non-finite value " + std::to_string(double(m(i, j))) + " at step " +
                          std::to_string(j / batch) + ", batch column " + std::to_string(j % batch) + ", feature " +
                          std::to_string(i));
#else
  (void)m;
  (void)batch;
  (void)what;
#endif
}

}  // namespace detail
}  // namespace recur
