// Finding the season length of a series from its autocorrelation, so that a forecaster's
// defaults work on monthly, quarterly or weekly data without being told.
#pragma once

#include <cmath>
#include <vector>

#include "recur/core/types.hpp"

namespace recur::series {

/// Autocorrelation of x at lags 0..max_lag (biased estimator, as in statsmodels' acf).
inline std::vector<double> autocorrelation(const std::vector<double>& x, Index max_lag) {
  const std::size_t n = x.size();
  std::vector<double> r(static_cast<std::size_t>(max_lag) + 1, 0.0);
  if (n < 2) return r;
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(n);
  double var = 0;
  for (double v : x) var += (v - mean) * (v - mean);
  if (var <= 0) return r;
  for (Index k = 0; k <= max_lag && static_cast<std::size_t>(k) < n; ++k) {
    double s = 0;
    for (std::size_t i = static_cast<std::size_t>(k); i < n; ++i)
      s += (x[i] - mean) * (x[i - static_cast<std::size_t>(k)] - mean);
    r[static_cast<std::size_t>(k)] = s / var;
  }
  return r;
}

/// The season length of y: the lag in [2, max_lag] where the autocorrelation of the first
/// differences (a trend would hide the season) peaks above `threshold`, provided the series
/// holds at least three seasons. Returns 0 when there is no clear season.
inline Index detect_season(const std::vector<double>& y, Index max_lag = 52, double threshold = 0.3) {
  if (y.size() < 8) return 0;
  std::vector<double> d(y.size() - 1);
  for (std::size_t i = 1; i < y.size(); ++i) d[i - 1] = y[i] - y[i - 1];
  max_lag = std::min<Index>(max_lag, static_cast<Index>(y.size()) / 3);
  if (max_lag < 2) return 0;
  const auto r = autocorrelation(d, max_lag + 1);
  Index best = 0;
  for (Index k = 2; k <= max_lag; ++k) {
    const auto i = static_cast<std::size_t>(k);
    const bool peak = r[i] >= r[i - 1] && r[i] >= r[i + 1];
    if (peak && r[i] > threshold && (best == 0 || r[i] > r[static_cast<std::size_t>(best)])) best = k;
  }
  return best;
}

}  // namespace recur::series
