// recur-forecast: forecasts a series from a CSV file (or the embedded airline passengers series)
// with a recurrent net, one step ahead (sequence to sequence) or several steps at once
// (encoder-decoder, --horizon), and reports the test error next to the naive forecasts.
#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "../common/cli.hpp"
#include "../common/svg_plot.hpp"
#include "pipeline.hpp"

using forecast::Index;
using forecast::Settings;
using forecast::Split;

namespace {

// Monthly international airline passengers, thousands, 1949-01 .. 1960-12 (Box & Jenkins 1976).
const double airline[144] = {112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118, 115, 126, 141, 135, 125, 149,
                             170, 170, 158, 133, 114, 140, 145, 150, 178, 163, 172, 178, 199, 199, 184, 162, 146, 166,
                             171, 180, 193, 181, 183, 218, 230, 242, 209, 191, 172, 194, 196, 196, 236, 235, 229, 243,
                             264, 272, 237, 211, 180, 201, 204, 188, 235, 227, 234, 264, 302, 293, 259, 229, 203, 229,
                             242, 233, 267, 269, 270, 315, 364, 347, 312, 274, 237, 278, 284, 277, 317, 313, 318, 374,
                             413, 405, 355, 306, 271, 306, 315, 301, 356, 348, 355, 422, 465, 467, 404, 347, 305, 336,
                             340, 318, 362, 348, 363, 435, 491, 505, 404, 359, 310, 337, 360, 342, 406, 396, 420, 472,
                             548, 559, 463, 407, 362, 405, 417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432};

recur::series::Series embedded_series() {
  recur::series::Series s;
  s.name = "airline passengers (thousands, embedded)";
  for (int i = 0; i < 144; ++i) {
    char date[8];
    std::snprintf(date, sizeof date, "%d-%02d", 1949 + i / 12, i % 12 + 1);
    s.dates.push_back(date);
    s.values.push_back(airline[i]);
  }
  return s;
}

/// Prints progress on one terminal line (rewritten in place on a terminal, every 10th line otherwise).
struct Progress {
  bool quiet, tty = ::isatty(STDERR_FILENO) != 0;
  long count = 0;
  void operator()(const std::string& line) {
    if (quiet) return;
    if (tty)
      std::fprintf(stderr, "\r%-100.100s", line.c_str());
    else if (++count % 10 == 1)
      std::fprintf(stderr, "%s\n", line.c_str());
  }
  void done() const {
    if (!quiet && tty) std::fprintf(stderr, "\r%100s\r", "");
  }
};

std::string dropout_text(double p) {
  char text[64];
  std::snprintf(text, sizeof text, " (dropout %g between)", p);
  return text;
}

Settings settings_from(const recur::cli::Args& args) {
  Settings s;
  s.cell = args.str("cell");
  if (s.cell != "lstm" && s.cell != "gru" && s.cell != "elman") args.fail("--cell must be lstm, gru or elman");
  s.hidden = args.integer("hidden", 1, 4096);
  s.layers = args.integer("layers", 1, 64);
  s.dropout = args.number("dropout");
  if (!(s.dropout >= 0 && s.dropout < 1)) args.fail("--dropout must be in [0, 1)");
  s.lags = args.integer("lags", 0, 100000);
  s.window = args.integer("window", 0, 100000);
  s.horizon = args.integer("horizon", 1);
  s.season = args.str("season") == "auto" ? -1 : args.integer("season", 0);
  if (s.season == 1) args.fail("--season must be 0 (none), auto or at least 2");
  s.test = args.integer("test", 0);
  s.validation = args.integer("validation", 0);
  s.transform = args.str("transform");
  try {
    if (s.transform != "auto") recur::series::Transform::parse(s.transform);
    s.scaling = recur::series::Scaler::parse(args.str("scaling"));
  } catch (const recur::error& e) {
    args.fail(e.what());
  }
  s.skip = args.str("linear");
  if (s.skip != "auto" && s.skip != "yes" && s.skip != "no") args.fail("--linear must be auto, yes or no");
  s.scheduled = args.has("scheduled");
  s.refit = !args.has("no-refit");
  s.epochs = args.integer("epochs", 0);
  s.patience = args.integer("patience", 1);
  s.batch = args.integer("batch", 1, 100000);
  s.inits = args.integer("inits", 1, 100);
  s.lr = args.number("lr");
  s.clip = args.number("clip");
  s.ridge = args.number("ridge");
  if (!(s.ridge >= 0)) args.fail("--ridge must be >= 0");
  if (!(s.lr > 0) || !(s.clip > 0)) args.fail("--lr and --clip must be positive");
  s.seed = static_cast<std::uint64_t>(args.integer("seed"));
  s.quiet = args.quiet();
  return s;
}

std::string span(const recur::series::Series& d, Index a, Index b) {
  return d.dates[static_cast<std::size_t>(a)] + " .. " + d.dates[static_cast<std::size_t>(b - 1)];
}

std::string num17(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

/// Everything --save writes besides the weights, so --load can forecast without the options.
template <class Cell>
std::map<std::string, std::string> describe_run(const Settings& s, const Split& sp, const forecast::Ensemble<Cell>& e,
                                                double half_width) {
  std::map<std::string, std::string> m{{"forecast.cell", s.cell},
                                       {"forecast.hidden", std::to_string(s.hidden)},
                                       {"forecast.layers", std::to_string(s.layers)},
                                       {"forecast.dropout", num17(s.dropout)},  // as trained; inference has none
                                       {"forecast.lags", std::to_string(s.lags)},
                                       {"forecast.window", std::to_string(e.members.front().window())},
                                       {"forecast.horizon", std::to_string(s.horizon)},
                                       {"forecast.season", std::to_string(sp.season)},
                                       {"forecast.test", std::to_string(sp.n - sp.test_begin)},
                                       {"forecast.validation", std::to_string(sp.test_begin - sp.val_begin)},
                                       {"forecast.interval", num17(half_width)},
                                       {"forecast.members", std::to_string(e.members.size())}};
  for (std::size_t i = 0; i < e.members.size(); ++i) {
    const auto& v = e.members[i].view();
    const std::string k = "forecast.m" + std::to_string(i) + ".";
    m[k + "transform"] = v.transform.name();
    m[k + "linear"] = e.members[i].settings().linear ? "1" : "0";
    m[k + "scaling"] = recur::series::Scaler::name(v.scaler.kind);
    m[k + "shift"] = num17(v.scaler.shift);
    m[k + "scale"] = num17(v.scaler.scale);
  }
  return m;
}

/// Reads a key of a model file's metadata; throws io_error naming the file when it is missing or bad.
struct Meta {
  const recur::safetensors::File& file;
  std::string str(const std::string& key) const {
    const auto& m = file.metadata();
    const auto it = m.find("forecast." + key);
    if (it == m.end()) throw recur::io_error(file.origin() + ": not a recur-forecast model (no forecast." + key + ")");
    return it->second;
  }
  double number(const std::string& key) const {
    const std::string v = str(key);
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !std::isfinite(x))
      throw recur::io_error(file.origin() + ": forecast." + key + " = '" + v + "' is not a number");
    return x;
  }
  Index integer(const std::string& key, Index min, Index max) const {
    const double x = number(key);
    if (x != std::floor(x) || x < static_cast<double>(min) || x > static_cast<double>(max))
      throw recur::io_error(file.origin() + ": forecast." + key + " = " + str(key) + " is out of range");
    return static_cast<Index>(x);
  }
};

/// Restores settings from a model file (the training options do not matter any more).
Settings settings_from(const Meta& meta, Settings s) {
  s.cell = meta.str("cell");
  if (s.cell != "lstm" && s.cell != "gru" && s.cell != "elman")
    throw recur::io_error(meta.file.origin() + ": unknown cell '" + s.cell + "'");
  s.hidden = meta.integer("hidden", 1, 1 << 16);
  s.layers = meta.integer("layers", 1, 64);
  s.lags = meta.integer("lags", 1, 1 << 16);
  s.window = meta.integer("window", 1, 1 << 20);
  s.horizon = meta.integer("horizon", 1, 1 << 20);
  s.season = meta.integer("season", 0, 1 << 20);
  s.test = meta.integer("test", 1, 1 << 30);
  s.validation = meta.integer("validation", 1, 1 << 30);
  return s;
}

template <class Cell>
forecast::Ensemble<Cell> load_ensemble(const recur::safetensors::File& file, const Meta& meta,
                                       const std::vector<double>& y, const Settings& s) {
  forecast::Ensemble<Cell> e;
  const Index members = meta.integer("members", 1, 64);
  for (Index i = 0; i < members; ++i) {
    const std::string k = "m" + std::to_string(i) + ".";
    recur::series::Transform t;
    recur::series::Scaler sc;
    try {
      t = recur::series::Transform::parse(meta.str(k + "transform"));
      sc.kind = recur::series::Scaler::parse(meta.str(k + "scaling"));
    } catch (const recur::value_error& err) {
      throw recur::io_error(file.origin() + ": " + err.what());
    }
    sc.shift = meta.number(k + "shift");
    sc.scale = meta.number(k + "scale");
    if (!(sc.scale > 0)) throw recur::io_error(file.origin() + ": forecast." + k + "scale must be positive");
    Settings ms = s;
    ms.linear = meta.integer(k + "linear", 0, 1) == 1;
    e.members.emplace_back(forecast::make_view(y, t, sc, s.lags), ms, s.window);
  }
  recur::load(e, file);
  return e;
}

void write_csv(const std::string& path, const recur::series::Series& d, const forecast::Forecasts& f, double half_width,
               const std::vector<double>& future) {
  std::string out = "date,actual,forecast,lower,upper\n";
  for (std::size_t i = 0; i < f.at.size(); ++i) {
    const auto t = static_cast<std::size_t>(f.at[i]);
    out += "\"" + d.dates[t] + "\"," + num17(d.values[t]) + "," + num17(f.value[i]) + "," +
           num17(f.value[i] - half_width) + "," + num17(f.value[i] + half_width) + "\n";
  }
  for (std::size_t k = 0; k < future.size(); ++k)
    out += "\"+" + std::to_string(k + 1) + "\",," + num17(future[k]) + "," + num17(future[k] - half_width) + "," +
           num17(future[k] + half_width) + "\n";
  recur::write_file_atomically(path, out);
}

void write_plot(const std::string& path, const recur::series::Series& d, const Split& sp, const forecast::Forecasts& f,
                double half_width, const std::string& model) {
  recur::svg::LinePlot plot(d.name + ": test forecasts", "", d.name);
  const Index test = sp.n - sp.test_begin;
  const Index from = std::max<Index>(0, sp.test_begin - std::max<Index>(4 * test, 48));
  std::vector<double> hx, hy, tx, ty, fx, fy, lo, hi;
  for (Index t = from; t < sp.test_begin; ++t) {
    hx.push_back(static_cast<double>(t));
    hy.push_back(d.values[static_cast<std::size_t>(t)]);
  }
  for (Index t = sp.test_begin - 1; t < sp.n; ++t) {
    tx.push_back(static_cast<double>(t));
    ty.push_back(d.values[static_cast<std::size_t>(t)]);
  }
  for (std::size_t i = 0; i < f.at.size(); ++i) {
    fx.push_back(static_cast<double>(f.at[i]));
    fy.push_back(f.value[i]);
    lo.push_back(f.value[i] - half_width);
    hi.push_back(f.value[i] + half_width);
  }
  plot.band("95% interval", fx, lo, hi, "#d62728");
  plot.line("history", hx, hy, "#1f77b4");
  plot.line("test actual", tx, ty, "#222222");
  plot.line(model, fx, fy, "#d62728", true);
  plot.x_labels(d.dates);
  recur::write_file_atomically(path, plot.str());
}

template <class Cell>
int run(const recur::cli::Args& args, const recur::series::Series& data, Settings s) {
  const std::vector<double>& y = data.values;
  std::unique_ptr<recur::safetensors::File> file;
  if (args.has("load")) {
    file = std::make_unique<recur::safetensors::File>(recur::safetensors::File::read(args.str("load")));
    s = settings_from(Meta{*file}, s);
  }
  Split sp = forecast::plan(y, s);
  {
    std::printf("series: %s, %zu values (%s)%s\n", data.name.c_str(), data.size(), span(data, 0, sp.n).c_str(),
                data.filled ? (", " + std::to_string(data.filled) + " blank or NaN values interpolated").c_str() : "");
    std::printf("season: %s; split in time order: train %ld, validation %ld, test %ld (%s)\n",
                sp.season ? std::to_string(sp.season).c_str() : "none", static_cast<long>(sp.val_begin),
                static_cast<long>(sp.test_begin - sp.val_begin), static_cast<long>(sp.n - sp.test_begin),
                span(data, sp.test_begin, sp.n).c_str());
  }
  forecast::Ensemble<Cell> model;
  double half_width = 0;
  forecast::Report report;
  if (file) {
    model = load_ensemble<Cell>(*file, Meta{*file}, y, s);
    half_width = Meta{*file}.number("interval");
    std::printf("model: %s, loaded from %s (no training)\n", model.describe().c_str(), args.str("load").c_str());
  } else {
    Progress progress{s.quiet};
    recur::cli::Checkpointing checkpoints(args);
    model = forecast::fit<Cell>(
        y, s, sp, report, [&](const std::string& line) { progress(line); }, &checkpoints);
    progress.done();
    half_width = 1.96 * report.validation_rmse;
    std::printf(
        "model: %s x %ld, %ld layer(s)%s, %ld lags, window %ld, %s%s\n", s.cell.c_str(), static_cast<long>(s.hidden),
        static_cast<long>(s.layers), s.layers > 1 && s.dropout > 0 ? dropout_text(s.dropout).c_str() : "",
        static_cast<long>(s.lags), static_cast<long>(report.window),
        s.horizon == 1 ? "one step ahead" : ("encoder-decoder over " + std::to_string(s.horizon) + " steps").c_str(),
        s.skip == "auto"  ? ", with or without a linear autoregressive skip"
        : s.skip == "yes" ? ", plus a linear autoregressive skip"
                          : "");
    std::printf(
        "candidates ranked by RMSE before training (the linear skip alone, or a zero forecast of the\n"
        "transformed series) over %ld rolling validation origins; the better half trained with early\n"
        "stopping from %ld initialisations each (trained: mean validation RMSE, best epochs):\n",
        static_cast<long>(report.origins), static_cast<long>(s.inits));
    for (const auto& r : report.ranking) {
      std::printf("  %-26s untrained %10.4g", r.transform.c_str(), r.linear_rmse);
      if (!r.best_epochs.empty()) {
        std::printf("   trained %10.4g (", r.net_rmse);
        for (std::size_t k = 0; k < r.best_epochs.size(); ++k)
          std::printf("%s%ld", k ? " " : "", static_cast<long>(r.best_epochs[k]));
        std::printf(")");
      }
      std::printf("\n");
    }
    std::printf("validation RMSE of the average: %.4g; trained in %.1f s\n", report.validation_rmse, report.seconds);
  }

  // Test forecasts and the baselines on the same points, made at the same origins.
  const forecast::Forecasts f = model.forecast(sp.test_begin, sp.n);
  auto linear_only = model;
  for (auto& m : linear_only.members) {
    m.model().head().weight.setZero();
    m.model().head().bias.setZero();
  }
  const forecast::Forecasts lf = linear_only.forecast(sp.test_begin, sp.n);
  const Index lag = sp.season > 0 ? sp.season : 12;
  std::vector<double> actual, persistence, seasonal;
  for (std::size_t i = 0; i < f.at.size(); ++i) {
    const Index t = f.at[i],
                origin = s.horizon == 1 ? t : sp.test_begin + ((t - sp.test_begin) / s.horizon) * s.horizon;
    actual.push_back(y[static_cast<std::size_t>(t)]);
    persistence.push_back(recur::series::naive_forecast(y, t, origin, 1));
    seasonal.push_back(t - lag >= 0 ? recur::series::naive_forecast(y, t, origin, lag) : NAN);
  }
  std::printf("\ntest: %zu points (%s), %s\n", f.at.size(), span(data, f.at.front(), f.at.back() + 1).c_str(),
              s.horizon == 1 ? "each forecast one step ahead from the true history"
                             : ("forecast " + std::to_string(s.horizon) + " steps at once from each origin").c_str());
  std::printf("  %-44s %12s %12s\n", "forecaster", "RMSE", "MAE");
  const std::string name = "recur " + s.cell + " (" + std::to_string(model.members.size()) + " nets averaged)";
  auto row = [&](const std::string& label, const std::vector<double>& v) {
    std::printf("  %-44s %12.4g %12.4g\n", label.c_str(), recur::series::rmse(actual, v),
                recur::series::mae(actual, v));
  };
  row(name, f.value);
  row("the same, untrained (linear skips or zero)", lf.value);
  row("persistence (last value)", persistence);
  if (std::all_of(seasonal.begin(), seasonal.end(), [](double v) { return std::isfinite(v); }))
    row("seasonal naive (lag " + std::to_string(lag) + ")", seasonal);

  const std::vector<double> future = model.forecast_future();
  std::printf("\nforecast after %s:", data.dates.back().c_str());
  for (double v : future) std::printf(" %.4g", v);
  std::printf("\n");

  if (args.has("out")) write_csv(args.str("out"), data, f, half_width, future);
  if (args.has("plot")) write_plot(args.str("plot"), data, sp, f, half_width, "recur " + s.cell);
  if (args.has("save")) recur::save(model, args.str("save"), describe_run(s, sp, model, half_width));
  for (const char* what : {"out", "plot", "save"})
    if (args.has(what)) std::printf("wrote %s\n", args.str(what).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  recur::cli::Args args(
      "recur-forecast",
      "forecasts a series with a recurrent net, one step ahead or --horizon steps at once, and compares "
      "it with the naive forecasts on the test split");
  args.positional("FILE.csv", "series to forecast (default: the embedded airline passengers, 1949-1960)");
  args.option("column", "NAME", "the value column (default: the last numeric one)", "");
  args.flag("fill", "interpolate blank and NaN values instead of refusing the file");
  args.option("cell", "lstm|gru|elman", "recurrent cell", "lstm");
  args.option("hidden", "N", "hidden units per layer", "32");
  args.option("layers", "N", "stacked recurrent layers", "2");
  args.option("dropout", "P", "dropout between stacked layers while training", "0.1");
  args.option("lags", "N", "past values the net reads at each step (0: the season length, else 12)", "0");
  args.option("window", "N", "steps per training sequence (0: 24, fewer on short data)", "0");
  args.option("horizon", "N", "1: one step ahead; N > 1: an encoder-decoder forecasts N steps at once", "1");
  args.option("season", "N|auto", "season length (0: none)", "auto");
  args.option("test", "N", "test points (0: two seasons if seasonal, else the last 20%)", "0");
  args.option("validation", "N", "validation points before the test set (0: as many as the test set)", "0");
  args.option("transform", "T", "auto (rank on validation data), none, log, diff, sdiffN or e.g. log+diff+sdiff12",
              "auto");
  args.option("scaling", "KIND", "standard, minmax or none (fitted on training data only)", "standard");
  args.option("linear", "auto|yes|no", "linear autoregressive skip next to the net (auto: ranked on validation)",
              "auto");
  args.flag("scheduled", "scheduled sampling in the decoder (teacher forcing fades out over the epochs)");
  args.flag("no-refit", "do not retrain on training + validation data after early stopping");
  args.option("epochs", "N", "most training epochs", "150");
  args.option("patience", "N", "stop after N epochs without a better validation RMSE", "25");
  args.option("batch", "N", "sequences per minibatch", "16");
  args.option("inits", "N", "random initialisations trained and averaged per chosen candidate", "1");
  args.option("lr", "X", "Adam learning rate", "0.003");
  args.option("clip", "X", "clip the global gradient norm to X", "1");
  args.option("ridge", "X", "L2 penalty of the linear skip's least-squares fit, per sample", "0.001");
  args.option("out", "FILE.csv", "write date, actual, forecast, lower, upper for the test points and the future", "");
  args.option("plot", "FILE.svg", "draw history, test actuals and forecasts as SVG", "");
  args.option("save", "FILE", "save the trained model (safetensors)", "");
  args.option("load", "FILE", "forecast with a saved model instead of training", "");
  recur::cli::Checkpointing::declare(args, "epochs", "10");
  args.parse(argc, argv);
  const Settings s = settings_from(args);
  return recur::cli::guarded("recur-forecast", [&]() -> int {
    recur::series::CsvOptions csv;
    csv.column = args.str("column");
    csv.fill = args.has("fill");
    const recur::series::Series data =
        args.str("FILE.csv").empty() ? embedded_series() : recur::series::read_csv(args.str("FILE.csv"), csv);
    std::string cell = s.cell;
    if (args.has("load")) {
      const auto file = recur::safetensors::File::read(args.str("load"));
      cell = Meta{file}.str("cell");
    }
    if (cell == "lstm") return run<recur::LSTM<float>>(args, data, s);
    if (cell == "gru") return run<recur::GRU<float>>(args, data, s);
    if (cell == "elman") return run<recur::Elman<float>>(args, data, s);
    throw recur::io_error(args.str("load") + ": unknown cell '" + cell + "'");
  });
}
