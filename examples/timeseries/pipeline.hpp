// The forecasting pipeline behind recur-forecast: split in time order, transform candidates
// ranked on validation data, a recurrent forecaster per chosen transform trained with early
// stopping and refitted on training + validation data, and the forecasts of the chosen
// candidates averaged on the original scale. Shared by the example and its tests.
#pragma once

#include <recur/recur.hpp>
#include <recur/series/csv.hpp>
#include <recur/series/forecaster.hpp>
#include <recur/series/metrics.hpp>
#include <recur/series/season.hpp>
#include <recur/series/transform.hpp>

#include "../common/checkpointing.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

namespace forecast {

using recur::Index;
using recur::MatX;
using recur::series::Scaler;
using recur::series::Transform;

struct Settings {
  std::string cell = "lstm";
  Index hidden = 32, layers = 1;
  Index lags = 0;        ///< 0: the season length, or 12 without a season
  Index window = 0;      ///< steps per training window; 0: 24, fewer if the training data is short
  Index horizon = 1;     ///< 1: one-step sequence to sequence; > 1: encoder-decoder
  Index season = -1;     ///< -1: detect; 0: none
  Index test = 0;        ///< test points; 0: two seasons for a seasonal series, else 20 %
  Index validation = 0;  ///< 0: as many as the test set
  std::string transform = "auto";
  Scaler::Kind scaling = Scaler::Kind::standard;
  std::string skip = "auto";  ///< linear autoregressive skip: yes, no, or auto (both ranked)
  bool linear = true;         ///< this candidate has the skip (set per candidate from `skip`)
  bool scheduled = false;     ///< scheduled sampling in the decoder (else teacher forcing)
  bool refit = true;          ///< retrain on training + validation data for the best epoch count
  Index epochs = 150, patience = 25, batch = 16;
  Index inits = 1;     ///< random initialisations trained per chosen candidate
  double dropout = 0;  ///< between stacked layers while training
  double lr = 3e-3, clip = 1.0, ridge = 1e-3;
  std::uint64_t seed = 1;
  bool quiet = false;
};

/// Where the parts of the series are: train [0, val_begin), validation [val_begin, test_begin),
/// test [test_begin, n).
struct Split {
  Index n = 0, val_begin = 0, test_begin = 0, season = 0;
};

/// Applies the defaults that depend on the data and checks that everything fits; throws
/// recur::value_error with the reason otherwise.
inline Split plan(const std::vector<double>& y, Settings& s) {
  Split sp;
  sp.n = static_cast<Index>(y.size());
  if (sp.n < 8) throw recur::value_error("the series has " + std::to_string(sp.n) + " values; at least 8 are needed");
  Index test = s.test;
  if (test == 0) {
    // Season from the part that is surely training data, so the test set cannot influence it.
    const Index guess = s.season >= 0 ? s.season : recur::series::detect_season({y.begin(), y.end() - sp.n / 5});
    test = guess > 0 && guess <= sp.n / 8 ? 2 * guess : std::max<Index>(1, (sp.n + 2) / 5);
  }
  if (test >= sp.n || s.validation >= sp.n || s.horizon >= sp.n)
    throw recur::value_error("the series has " + std::to_string(sp.n) +
                             " values: the test set, validation set and horizon must each be shorter");
  if (s.test > 0 && s.horizon > s.test)
    throw recur::value_error("the horizon " + std::to_string(s.horizon) + " is longer than the test set (" +
                             std::to_string(s.test) + " values)");
  test = std::max(test, s.horizon);
  const Index val = s.validation > 0 ? s.validation : test;
  if (val < s.horizon)
    throw recur::value_error("the validation set (" + std::to_string(val) + " values) is shorter than the horizon " +
                             std::to_string(s.horizon));
  sp.test_begin = sp.n - test;
  sp.val_begin = sp.test_begin - val;
  if (sp.val_begin < 8)
    throw recur::value_error("the series has " + std::to_string(sp.n) + " values: too few for " + std::to_string(test) +
                             " test and " + std::to_string(val) + " validation values");
  const std::vector<double> train(y.begin(), y.begin() + sp.val_begin);
  sp.season = s.season >= 0 ? s.season : recur::series::detect_season(train);
  if (s.lags == 0) s.lags = sp.season > 0 ? sp.season : 12;
  s.lags = std::min(s.lags, std::max<Index>(1, sp.val_begin / 4));
  return sp;
}

/// The transforms worth trying on y: log (if y > 0) x difference (none, lag 1) x seasonal
/// difference (none, the season), or the one the user named.
inline std::vector<Transform> transform_candidates(const std::vector<double>& y, const Settings& s, Index season) {
  if (s.transform != "auto") {
    Transform t = Transform::parse(s.transform);
    t.levels(y);  // throws if a log meets a value <= 0
    return {t};
  }
  const bool positive = std::all_of(y.begin(), y.end(), [](double v) { return v > 0; });
  std::vector<Transform> out;
  for (bool log : {false, true})
    for (bool diff : {false, true})
      for (Index seas : {Index(0), season}) {
        if (log && !positive) continue;
        Transform t{log, diff, seas};
        if (std::none_of(out.begin(), out.end(), [&](const Transform& o) { return o.name() == t.name(); }))
          out.push_back(t);
      }
  return out;
}

/// One transform of the series and everything derived from it.
struct View {
  Transform transform;
  Scaler scaler;
  std::vector<double> z;  ///< levels (log y or y)
  std::vector<double> s;  ///< scaled u; NaN before transform.order()
  Index first = 0;        ///< first index whose lags are all defined: order + lags
};

/// The scaler of t(y) fitted on [0, train_end).
inline Scaler fit_scaler(const std::vector<double>& y, const Transform& t, Scaler::Kind kind, Index train_end) {
  Scaler sc;
  sc.kind = kind;
  sc.fit(t.apply(y), static_cast<std::size_t>(t.order()), static_cast<std::size_t>(train_end));
  return sc;
}

inline View make_view(const std::vector<double>& y, const Transform& t, const Scaler& scaler, Index lags) {
  View v;
  v.transform = t;
  v.z = t.levels(y);
  v.s = t.apply(y);
  v.scaler = scaler;
  for (double& x : v.s)
    if (!std::isnan(x)) x = v.scaler.forward(x);
  v.first = t.order() + lags;
  return v;
}

/// Lag inputs and targets of windows: window b covers the `steps` targets ending at ends[b];
/// x [p x steps*B] with step t of window b in column t*B + b, target [1 x steps*B].
template <class S>
void windows(const View& v, Index lags, Index steps, const std::vector<Index>& ends, MatX<S>& x, MatX<S>& target) {
  const Index B = static_cast<Index>(ends.size());
  x.resize(lags, steps * B);
  target.resize(1, steps * B);
  for (Index b = 0; b < B; ++b)
    for (Index t = 0; t < steps; ++t) {
      const Index at = ends[static_cast<std::size_t>(b)] - steps + 1 + t;
      for (Index j = 1; j <= lags; ++j) x(j - 1, t * B + b) = static_cast<S>(v.s[static_cast<std::size_t>(at - j)]);
      target(0, t * B + b) = static_cast<S>(v.s[static_cast<std::size_t>(at)]);
    }
}

/// recent [p x B]: row i is s(o-1-i) for origin o = origins[b].
template <class S>
MatX<S> recent_values(const View& v, Index lags, const std::vector<Index>& origins) {
  MatX<S> r(lags, static_cast<Index>(origins.size()));
  for (Index b = 0; b < r.cols(); ++b)
    for (Index i = 0; i < lags; ++i)
      r(i, b) = static_cast<S>(v.s[static_cast<std::size_t>(origins[static_cast<std::size_t>(b)] - 1 - i)]);
  return r;
}

/// Forecasts (original scale) of y at the points `at`, made at the origins `origin_of(at)`:
/// one step ahead, each from the true history; or in blocks of H from each origin.
struct Forecasts {
  std::vector<Index> at;
  std::vector<double> value;
};

template <class Cell>
class Candidate {
 public:
  using S = typename Cell::Scalar;
  using Model = recur::series::Forecaster<Cell>;

  Candidate(View view, const Settings& s, Index window)
      : settings_(s), rng_(s.seed), view_(std::move(view)), window_(window), model_(options(s), rng_) {}

  const View& view() const { return view_; }
  const Settings& settings() const { return settings_; }
  Model& model() { return model_; }
  const Model& model() const { return model_; }
  Index window() const { return window_; }
  Index best_epoch() const { return best_epoch_; }

  /// Least squares for the linear skip on the targets in [first, end).
  void fit_linear(Index end) {
    if (!settings_.linear) return;
    const Index N = end - view_.first;
    if (N < 2) throw recur::value_error("too little training data for the transform " + view_.transform.name());
    MatX<double> x(settings_.lags, N), target(1, N);
    for (Index t = view_.first; t < end; ++t) {
      for (Index j = 1; j <= settings_.lags; ++j) x(j - 1, t - view_.first) = view_.s[static_cast<std::size_t>(t - j)];
      target(0, t - view_.first) = view_.s[static_cast<std::size_t>(t)];
    }
    recur::series::fit_least_squares(model_.linear(), x, target, settings_.ridge * static_cast<double>(N));
  }

  /// Forecasts of y on [begin, end) with the true history before each origin.
  Forecasts forecast(Index begin, Index end) const {
    Forecasts f;
    const Index H = settings_.horizon;
    if (H == 1) {
      const Index steps = std::min(window_, begin - view_.first + 1);
      for (Index t = begin; t < end; ++t) f.at.push_back(t);
      MatX<S> x, target;
      windows(view_, settings_.lags, steps, f.at, x, target);
      const Index B = static_cast<Index>(f.at.size());
      const MatX<S> out = model_.predict(x, recur::Batch(B));
      for (Index b = 0; b < B; ++b) {
        const Index t = f.at[static_cast<std::size_t>(b)];
        const double u = view_.scaler.inverse(out(0, (steps - 1) * B + b));
        f.value.push_back(view_.transform.unlevel(view_.transform.base(view_.z, t) + u));
      }
      return f;
    }
    std::vector<Index> origins;
    for (Index o = begin; o + H <= end; o += H) origins.push_back(o);
    if (origins.empty())
      throw recur::value_error("the horizon " + std::to_string(H) + " is longer than the " +
                               std::to_string(end - begin) + " points to forecast");
    const MatX<S> out = predict_from(origins);
    for (std::size_t b = 0; b < origins.size(); ++b) {
      std::vector<double> zz(view_.z.begin(), view_.z.begin() + origins[b]);  // levels known at the origin
      for (Index k = 0; k < H; ++k) {
        const Index t = origins[b] + k;
        zz.push_back(0);
        zz.back() = view_.transform.base(zz, t) + view_.scaler.inverse(out(k, static_cast<Index>(b)));
        f.at.push_back(t);
        f.value.push_back(view_.transform.unlevel(zz.back()));
      }
    }
    return f;
  }

  /// Forecasts of the H (or 1) values after the end of y.
  std::vector<double> forecast_future() {
    const Index n = static_cast<Index>(view_.z.size()), H = settings_.horizon;
    // Extend the views by placeholders; only levels before each forecast point are read.
    view_.z.resize(static_cast<std::size_t>(n + H), 0.0);
    view_.s.resize(static_cast<std::size_t>(n + H), 0.0);
    const std::vector<double> out = forecast(n, n + H).value;
    view_.z.resize(static_cast<std::size_t>(n));
    view_.s.resize(static_cast<std::size_t>(n));
    return out;
  }

  /// Where train() stands after an epoch: what a checkpoint needs besides the parameters.
  struct Progress {
    Index epoch = 0;         ///< epochs done
    bool stopped = false;    ///< early stopping ended the training at `epoch`
    double best = INFINITY;  ///< lowest validation RMSE so far
    Index best_epoch = 0;
    double last_loss = 0;
    std::string rng;          ///< Rng::state() after the epoch
    std::vector<Index> ends;  ///< the training samples in their current (shuffled) order
  };
  /// Checkpoint hooks: `save` after every epoch, `load` once before the first (to resume).
  struct Hooks {
    std::function<void(const Progress&, Model& model, recur::Adam<S>& opt, Model& best)> save;
    std::function<void(Progress&, Model& model, recur::Adam<S>& opt, Model& best)> load;
  };

  /// Trains on targets before `train_end` for at most `epochs` epochs. With `validate` (and a
  /// validation range), keeps the parameters of the epoch with the lowest validation RMSE and
  /// stops after `patience` epochs without improvement. Returns that RMSE (or the last loss).
  double train(const std::vector<double>& y, Index train_end, Index epochs, bool validate, Index val_end,
               const std::function<void(Index, double, double)>& progress, const Hooks& hooks = {}) {
    rng_ = recur::Rng(settings_.seed);
    fit_linear(train_end);
    recur::Adam<S> opt(static_cast<S>(settings_.lr));
    const Index H = settings_.horizon;
    std::vector<Index> ends;  // one-step: window end; encoder-decoder: origin
    if (H == 1)
      for (Index t = view_.first + window_ - 1; t < train_end; ++t) ends.push_back(t);
    else
      for (Index o = view_.first + window_; o + H <= train_end; ++o) ends.push_back(o);
    if (ends.empty())
      throw recur::value_error("the window (" + std::to_string(window_) + ") and horizon leave no training sample");
    auto score = [&] {
      const Forecasts f = forecast(train_end, val_end);
      std::vector<double> actual;
      for (Index t : f.at) actual.push_back(y[static_cast<std::size_t>(t)]);
      return recur::series::rmse(actual, f.value);
    };
    double best = validate ? score() : INFINITY;
    Model best_model = model_;
    best_epoch_ = 0;
    typename Model::StepTrace step_trace;
    typename Model::SequenceTrace seq_trace;
    MatX<S> x, target;
    double last_loss = 0;
    Index first = 1;
    if (hooks.load) {
      Progress p;
      hooks.load(p, model_, opt, best_model);
      first = p.stopped ? epochs + 1 : p.epoch + 1;
      best = p.best;
      best_epoch_ = p.best_epoch;
      last_loss = p.last_loss;
      rng_.restore(p.rng);
      ends = p.ends;
    }
    for (Index epoch = first; epoch <= epochs; ++epoch) {
      std::shuffle(ends.begin(), ends.end(), rng_.engine());
      double loss_sum = 0;
      Index batches = 0;
      const double teacher =
          settings_.scheduled ? 1.0 - static_cast<double>(epoch - 1) / static_cast<double>(epochs) : 1.0;
      for (std::size_t i = 0; i < ends.size(); i += static_cast<std::size_t>(settings_.batch)) {
        const std::vector<Index> part(ends.begin() + static_cast<std::ptrdiff_t>(i),
                                      ends.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                         ends.size(), i + static_cast<std::size_t>(settings_.batch))));
        const Index B = static_cast<Index>(part.size());
        if (H == 1) {
          windows(view_, settings_.lags, window_, part, x, target);
          const auto& out = model_.forward(x, recur::Batch(B), step_trace, nullptr, &rng_);
          const auto loss = recur::mse(out, target);
          model_.backward(step_trace, loss.grad);
          loss_sum += loss.value;
        } else {
          std::vector<Index> window_ends(part);
          for (Index& e : window_ends) --e;
          windows(view_, settings_.lags, window_, window_ends, x, target);
          const MatX<S> recent = recent_values<S>(view_, settings_.lags, part);
          MatX<S> future(H, B);
          for (Index b = 0; b < B; ++b)
            for (Index k = 0; k < H; ++k)
              future(k, b) = static_cast<S>(view_.s[static_cast<std::size_t>(part[static_cast<std::size_t>(b)] + k)]);
          const auto& out = model_.forward_sequence(x, recent, &future, seq_trace, teacher, &rng_, &rng_);
          const auto loss = recur::mse(out, future);
          model_.backward_sequence(seq_trace, loss.grad);
          loss_sum += loss.value;
        }
        recur::clip_global_norm(model_, settings_.clip);
        opt.step(model_);
        ++batches;
      }
      last_loss = loss_sum / static_cast<double>(batches);
      if (!std::isfinite(last_loss))
        throw recur::value_error("training diverged (loss " + std::to_string(last_loss) + " at epoch " +
                                 std::to_string(epoch) + "); try a smaller learning rate");
      const double val = validate ? score() : NAN;
      if (validate && val < best) {
        best = val;
        best_model = model_;
        best_epoch_ = epoch;
      }
      if (progress) progress(epoch, last_loss, val);
      const bool stop = validate && epoch - best_epoch_ >= settings_.patience;
      if (hooks.save)
        hooks.save(Progress{epoch, stop, best, best_epoch_, last_loss, rng_.state(), ends}, model_, opt, best_model);
      if (stop) break;
    }
    if (validate) {
      model_ = best_model;
      return best;
    }
    best_epoch_ = epochs;
    return last_loss;
  }

  /// Residuals of the current model on [begin, end), on the original scale.
  std::vector<double> residuals(const std::vector<double>& y, Index begin, Index end) const {
    const Forecasts f = forecast(begin, end);
    std::vector<double> r;
    for (std::size_t i = 0; i < f.at.size(); ++i) r.push_back(y[static_cast<std::size_t>(f.at[i])] - f.value[i]);
    return r;
  }

 private:
  static recur::series::ForecasterOptions options(const Settings& s) {
    recur::series::ForecasterOptions o;
    o.lags = s.lags;
    o.hidden = s.hidden;
    o.layers = s.layers;
    o.horizon = s.horizon;
    o.linear = s.linear;
    o.dropout = s.dropout;
    return o;
  }

  MatX<S> predict_from(const std::vector<Index>& origins) const {
    std::vector<Index> window_ends(origins);
    for (Index& e : window_ends) --e;
    const Index steps = std::min(window_, origins.front() - view_.first);
    MatX<S> x, target;
    windows(view_, settings_.lags, steps, window_ends, x, target);
    return model_.predict_sequence(x, recent_values<S>(view_, settings_.lags, origins));
  }

  Settings settings_;
  recur::Rng rng_;
  View view_;
  Index window_;
  Model model_;
  Index best_epoch_ = 0;
};

/// The forecasters of the chosen transforms; their forecasts are averaged on the original scale.
template <class Cell>
struct Ensemble {
  using Scalar = typename Cell::Scalar;
  std::vector<Candidate<Cell>> members;

  std::string describe() const {
    std::string d = "Ensemble(";
    for (std::size_t i = 0; i < members.size(); ++i)
      d += (i ? ", " : "") + members[i].view().transform.name() + ": " + members[i].model().describe();
    return d + ")";
  }
  template <class F>
  void for_each_param(F&& f) {
    for (std::size_t i = 0; i < members.size(); ++i) {
      const std::string prefix = "m" + std::to_string(i) + ".";
      members[i].model().for_each_param([&](recur::Param<Scalar>& p) {
        p.name = prefix + p.name;
        f(p);
      });
    }
  }
  Forecasts forecast(Index begin, Index end) const {
    Forecasts mean;
    for (const auto& m : members) {
      const Forecasts f = m.forecast(begin, end);
      if (mean.at.empty()) {
        mean = f;
        continue;
      }
      for (std::size_t i = 0; i < f.value.size(); ++i) mean.value[i] += f.value[i];
    }
    for (double& v : mean.value) v /= static_cast<double>(members.size());
    return mean;
  }
  std::vector<double> forecast_future() {
    std::vector<double> mean;
    for (auto& m : members) {
      const auto f = m.forecast_future();
      if (mean.empty())
        mean = f;
      else
        for (std::size_t i = 0; i < f.size(); ++i) mean[i] += f[i];
    }
    for (double& v : mean) v /= static_cast<double>(members.size());
    return mean;
  }
};

/// What a run found, for the report.
struct Ranking {
  std::string transform;
  double linear_rmse = 0;          ///< validation RMSE before training (the linear skip alone, or zero)
  double net_rmse = NAN;           ///< validation RMSE after training, mean over inits (chosen only)
  std::vector<Index> best_epochs;  ///< per initialisation (chosen candidates only)
};

struct Report {
  std::vector<Ranking> ranking;  ///< every candidate, best validation RMSE before training first
  double validation_rmse = 0;    ///< of the averaged chosen candidates (before refitting)
  Index origins = 0;             ///< rolling origins the ranking used
  Index window = 0;
  double seconds = 0;
};

/// The largest order (values used up by differences) among the transforms.
inline Index window_order(const std::vector<Transform>& ts) {
  Index order = 0;
  for (const auto& t : ts) order = std::max(order, t.order());
  return order;
}

/// Steps per training window: the user's, or 24, fewer if the training data is short.
inline Index choose_window(const Settings& s, const std::vector<Transform>& ts, Index train_end) {
  const Index order = window_order(ts);
  const Index room = train_end - order - s.lags - (s.horizon > 1 ? s.horizon : 0);  // targets with all lags
  if (s.window > 0) {
    if (s.window > room)
      throw recur::value_error("the window " + std::to_string(s.window) + " is longer than the training data allows (" +
                               std::to_string(std::max<Index>(room, 0)) + " steps after lags and differences)");
    return s.window;
  }
  const Index w = std::min<Index>(24, room / 2);
  if (w < 2)
    throw recur::value_error("the training part (" + std::to_string(train_end) +
                             " values) is too short for the lags and differences; use fewer --lags");
  return w;
}

/// The parameters a checkpoint of fit() keeps besides the running model: that model's best
/// epoch's, and the finished members'.
template <class Cell>
struct FitExtras {
  using Scalar = typename Cell::Scalar;
  typename Candidate<Cell>::Model* best = nullptr;
  Ensemble<Cell>* done = nullptr;
  template <class F>
  void for_each_param(F&& f) {
    best->for_each_param([&](recur::Param<Scalar>& p) {
      p.name = "best." + p.name;
      f(p);
    });
    done->for_each_param(f);
  }
};

/// Numbers as text for a checkpoint, exactly: comma-separated hex floats.
inline std::string encode_reals(const std::vector<double>& v) {
  std::string out;
  char text[64];
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::snprintf(text, sizeof text, "%a", v[i]);
    out += (i ? "," : "") + std::string(text);
  }
  return out;
}

inline std::vector<double> decode_reals(const std::string& text) {
  std::vector<double> out;
  const char* p = text.c_str();
  while (*p) {
    char* end = nullptr;
    out.push_back(std::strtod(p, &end));
    if (end == p || (*end != ',' && *end != '\0')) throw recur::io_error("checkpoint: a list of numbers is malformed");
    p = *end == ',' ? end + 1 : end;
  }
  return out;
}

/// Ranks the transforms, trains the chosen ones, refits them and returns the ensemble.
/// `progress(text)` receives one line per epoch (may be empty).
template <class Cell>
Ensemble<Cell> fit(const std::vector<double>& y, const Settings& s, const Split& sp, Report& report,
                   const std::function<void(const std::string&)>& progress = {},
                   recur::cli::Checkpointing* checkpoints = nullptr) {
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const std::vector<Transform> ts = transform_candidates(y, s, sp.season);
  const Index window = choose_window(s, ts, sp.val_begin);
  report.window = window;

  // 1. Rank every (transform, skip) pair by its error before training (the linear skip fitted
  //    by least squares, or without it the zero forecast of the transformed series), with
  //    rolling origins: fitted on the data before each origin, scored on the validation length
  //    after it. Five origins a quarter of the validation length apart rank far more reliably
  //    than the one validation window (which is short on monthly series).
  struct Choice {
    Transform t;
    Settings s;
    std::string name() const { return t.name() + (s.linear ? " +linear" : ""); }
  };
  std::vector<bool> skips;
  if (s.skip == "auto")
    skips = {true, false};
  else
    skips = {s.skip == "yes"};
  const Index val_length = sp.test_begin - sp.val_begin, max_order = window_order(ts);
  std::vector<Index> origins;
  for (Index k = 0; k < 5; ++k) {
    const Index o = sp.val_begin - k * std::max<Index>(1, val_length / 4);
    if (k == 0 || o - max_order - s.lags >= 2 * s.lags + 2) origins.push_back(o);
  }
  report.origins = static_cast<Index>(origins.size());
  std::vector<std::pair<double, Choice>> ranked;
  for (const auto& t : ts)
    for (bool with : skips) {
      Choice ch{t, s};
      ch.s.linear = with;
      double sum = 0;
      for (Index o : origins) {
        Candidate<Cell> c(make_view(y, t, fit_scaler(y, t, s.scaling, o), s.lags), ch.s, window);
        c.fit_linear(o);
        const Forecasts f = c.forecast(o, s.horizon > 1 ? o + s.horizon : std::min(o + val_length, sp.test_begin));
        std::vector<double> actual;
        for (Index i : f.at) actual.push_back(y[static_cast<std::size_t>(i)]);
        const double r = recur::series::rmse(actual, f.value);
        sum += r * r;
      }
      double r = std::sqrt(sum / static_cast<double>(origins.size()));
      if (!std::isfinite(r)) r = INFINITY;
      ranked.emplace_back(r, ch);
    }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const std::size_t chosen = (ranked.size() + 1) / 2;  // the better half: averaging hedges a noisy ranking

  // 2. Train each chosen candidate with early stopping on the validation data, from `inits`
  //    random initialisations (averaging them damps the variance of nets fitted to little data).
  // 3. Refit each on training + validation data for the epochs early stopping chose.
  // Each training is a unit; a checkpoint holds the finished units' results (stage 2: best
  // epoch, validation RMSE and forecasts; the final members' parameters) and the running unit.
  const Index inits = std::max<Index>(1, s.inits);
  struct Unit {
    std::size_t choice;
    Index init;
    Settings s;  // with the seed of this initialisation
    bool refit;
  };
  std::vector<Unit> units;
  for (int stage = 0; stage < (s.refit ? 2 : 1); ++stage)
    for (std::size_t i = 0; i < chosen; ++i)
      for (Index k = 0; k < inits; ++k) {
        Settings rs = ranked[i].second.s;
        rs.seed = s.seed + 1000 * static_cast<std::uint64_t>(k);
        units.push_back({i, k, rs, stage == 1});
      }
  const std::size_t searches = chosen * static_cast<std::size_t>(inits);  // stage-2 units
  auto candidate = [&](const Unit& u) {
    const Choice& ch = ranked[u.choice].second;
    return Candidate<Cell>(make_view(y, ch.t, fit_scaler(y, ch.t, s.scaling, sp.val_begin), s.lags), u.s, window);
  };

  struct Searched {  // a finished stage-2 unit
    Index best_epoch = 0;
    double val = 0;
    Forecasts forecast;  // on the validation data
  };
  std::vector<Searched> searched;
  Ensemble<Cell> final;  // the members returned: stage 3's, or stage 2's without refitting
  std::size_t first_unit = 0;
  long done = 0;
  recur::TrainingState resumed;
  if (checkpoints && checkpoints->resuming()) {
    resumed = checkpoints->peek();
    first_unit = static_cast<std::size_t>(resumed.integer("unit"));
    done = resumed.integer("done_epochs");
    if (first_unit >= units.size())
      throw recur::io_error("checkpoint: unit " + std::to_string(first_unit) + " of " + std::to_string(units.size()) +
                            ": not from this run");
    for (std::size_t u = 0; u < std::min(first_unit, searches); ++u) {
      const std::string key = "u" + std::to_string(u) + ".";
      Searched r;
      r.best_epoch = resumed.integer(key + "best_epoch");
      r.val = resumed.real(key + "val");
      r.forecast.value = decode_reals(resumed.text(key + "forecast"));
      for (double t : decode_reals(resumed.text(key + "at"))) r.forecast.at.push_back(static_cast<Index>(t));
      searched.push_back(std::move(r));
    }
    for (std::size_t u = 0; u < first_unit; ++u)
      if (units[u].refit == s.refit) final.members.push_back(candidate(units[u]));  // parameters from the checkpoint
  }

  const Index total_epochs = static_cast<Index>(searches) * s.epochs * (s.refit ? 2 : 1);
  for (std::size_t u = first_unit; u < units.size(); ++u) {
    const Unit& unit = units[u];
    const Choice& ch = ranked[unit.choice].second;
    Candidate<Cell> c = candidate(unit);
    Index epochs = s.epochs;
    if (unit.refit) epochs = searched[u - searches].best_epoch;
    const std::string tag = std::string(unit.refit ? "[refit " : "[") + std::to_string(unit.choice + 1) + "/" +
                            std::to_string(chosen) + " " + ch.name() +
                            (inits > 1 ? " init " + std::to_string(unit.init + 1) : "") + "]";
    typename Candidate<Cell>::Hooks hooks;
    if (checkpoints) {
      using Others = FitExtras<Cell>;
      hooks.save = [&, u](const auto& at, auto& model, auto& opt, auto& best) {
        checkpoints->maybe_save(
            done, model, opt,
            [&] {
              recur::TrainingState st;
              st.set("unit", static_cast<long>(u));
              st.set("done_epochs", done);
              for (std::size_t k = 0; k < searched.size(); ++k) {
                const std::string key = "u" + std::to_string(k) + ".";
                st.set(key + "best_epoch", static_cast<long>(searched[k].best_epoch));
                st.set(key + "val", searched[k].val);
                st.set(key + "forecast", encode_reals(searched[k].forecast.value));
                st.set(key + "at", encode_reals({searched[k].forecast.at.begin(), searched[k].forecast.at.end()}));
              }
              st.set("epoch", static_cast<long>(at.epoch));
              st.set("stopped", static_cast<long>(at.stopped));
              st.set("best", at.best);
              st.set("best_epoch", static_cast<long>(at.best_epoch));
              st.set("last_loss", at.last_loss);
              st.set("rng", at.rng);
              std::vector<double> ends(at.ends.begin(), at.ends.end());
              st.set("ends", encode_reals(ends));
              return st;
            },
            Others{&best, &final});
      };
      if (u == first_unit && checkpoints->resuming())
        hooks.load = [&](auto& at, auto& model, auto& opt, auto& best) {
          recur::TrainingState st;
          checkpoints->resume(model, opt, st, Others{&best, &final});
          at.epoch = st.integer("epoch");
          at.stopped = st.integer("stopped") != 0;
          at.best = st.real("best");
          at.best_epoch = st.integer("best_epoch");
          at.last_loss = st.real("last_loss");
          at.rng = st.text("rng");
          at.ends.clear();
          for (double e : decode_reals(st.text("ends"))) at.ends.push_back(static_cast<Index>(e));
        };
    }
    const double result = c.train(
        y, unit.refit ? sp.test_begin : sp.val_begin, epochs, !unit.refit, sp.test_begin,
        [&](Index epoch, double loss, double v) {
          ++done;
          if (!progress) return;
          char line[200];
          if (unit.refit) {
            std::snprintf(line, sizeof line, "%s epoch %3ld/%ld  train MSE %.4f  %.1f s", tag.c_str(),
                          static_cast<long>(epoch), static_cast<long>(epochs), loss, elapsed());
          } else {
            const double eta = elapsed() / static_cast<double>(done) * static_cast<double>(total_epochs - done);
            std::snprintf(line, sizeof line, "%s epoch %3ld/%ld  train MSE %.4f  val RMSE %.4g  %.1f s, ETA <= %.0f s",
                          tag.c_str(), static_cast<long>(epoch), static_cast<long>(epochs), loss, v, elapsed(), eta);
          }
          progress(line);
        },
        hooks);
    if (!unit.refit) {
      done += s.epochs - std::min(s.epochs, c.best_epoch() + s.patience);  // stopped early
      searched.push_back({c.best_epoch(), result, c.forecast(sp.val_begin, sp.test_begin)});
    }
    if (unit.refit == s.refit) final.members.push_back(std::move(c));
  }

  // The report: every candidate's ranking, the chosen ones' epochs and validation RMSE, and
  // the validation RMSE of their average (as Ensemble::forecast averages).
  Forecasts mean;
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    Ranking r;
    r.transform = ranked[i].second.name();
    r.linear_rmse = ranked[i].first;
    if (i < chosen) {
      double val_sum = 0;
      for (Index k = 0; k < inits; ++k) {
        const Searched& run = searched[i * static_cast<std::size_t>(inits) + static_cast<std::size_t>(k)];
        r.best_epochs.push_back(run.best_epoch);
        val_sum += run.val;
        if (mean.value.empty())
          mean = run.forecast;
        else
          for (std::size_t t = 0; t < mean.value.size(); ++t) mean.value[t] += run.forecast.value[t];
      }
      r.net_rmse = val_sum / static_cast<double>(inits);
    }
    report.ranking.push_back(r);
  }
  for (double& v : mean.value) v /= static_cast<double>(searched.size());
  std::vector<double> actual;
  for (Index t : mean.at) actual.push_back(y[static_cast<std::size_t>(t)]);
  report.validation_rmse = recur::series::rmse(actual, mean.value);
  report.seconds = elapsed();
  return final;
}

}  // namespace forecast
