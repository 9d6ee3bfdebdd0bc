// Forecast accuracy and the naive forecasts every model must beat.
#pragma once

#include <cmath>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/types.hpp"

namespace recur::series {

namespace detail {
inline void check_pair(const std::vector<double>& a, const std::vector<double>& f, const char* what) {
  if (a.size() != f.size())
    throw shape_error(std::string(what) + ": " + std::to_string(a.size()) + " actual values but " +
                      std::to_string(f.size()) + " forecasts");
  if (a.empty()) throw value_error(std::string(what) + ": no values");
}
}  // namespace detail

/// Root mean squared error.
inline double rmse(const std::vector<double>& actual, const std::vector<double>& forecast) {
  detail::check_pair(actual, forecast, "rmse");
  double s = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) s += (actual[i] - forecast[i]) * (actual[i] - forecast[i]);
  return std::sqrt(s / static_cast<double>(actual.size()));
}

/// Mean absolute error.
inline double mae(const std::vector<double>& actual, const std::vector<double>& forecast) {
  detail::check_pair(actual, forecast, "mae");
  double s = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) s += std::abs(actual[i] - forecast[i]);
  return s / static_cast<double>(actual.size());
}

/// The naive forecast of y[t], made at `origin` <= t with y known before origin: the last known
/// value (lag 1, persistence) or the value one season before, stepping back whole seasons until
/// it is known (seasonal naive, lag = season).
inline double naive_forecast(const std::vector<double>& y, Index t, Index origin, Index lag) {
  if (lag < 1 || origin < 1 || t < origin) throw value_error("naive_forecast: needs lag >= 1 and 1 <= origin <= t");
  Index s = t - lag;
  while (s >= origin) s -= lag;
  if (s < 0) throw value_error("naive_forecast: no value " + std::to_string(lag) + " steps before the origin");
  return y[static_cast<std::size_t>(s)];
}

}  // namespace recur::series
