// Time series: the CSV reader, transforms, scaling, season detection, metrics, windowing, the
// encoder-decoder against a hand-unrolled computation, and a small end-to-end forecast.
#include "../examples/timeseries/pipeline.hpp"
#include "error_of.hpp"
#include "helpers.hpp"

using namespace recur;
using namespace recur::series;

using test::error_of;

TEST_CASE("CSV: quoted fields, dates, header, the last numeric column", "[series][csv]") {
  const auto s = parse_csv(
      "\"Month\",\"Note\",\"Sales\"\n\"1960-01\",\"a, \"\"quoted\"\" note\",6550\r\n1960-02,plain,8728.5\n\n", "t.csv");
  CHECK(s.name == "Sales");
  REQUIRE(s.size() == 2);
  CHECK(s.values == std::vector<double>{6550, 8728.5});
  CHECK(s.dates == std::vector<std::string>{"1960-01", "1960-02"});

  CsvOptions named;
  named.column = "Sales";
  CHECK(parse_csv("Sales,x\n1,2\n3,4\n", "t", named).values == std::vector<double>{1, 3});
  // No header: every cell of the first row is a number; no dates: row numbers.
  const auto bare = parse_csv("1.5\n2.5\n", "t");
  CHECK(bare.values == std::vector<double>{1.5, 2.5});
  CHECK(bare.dates == std::vector<std::string>{"1", "2"});
  // Dates but no header: the first row is data.
  const auto dated = parse_csv("1949-01,112\n1949-02,118\n", "t");
  CHECK(dated.values == std::vector<double>{112, 118});
  CHECK(dated.dates[0] == "1949-01");
  // A quoted field may hold a newline.
  CHECK(parse_csv("d,v\n\"a\nb\",1\n", "t").dates[0] == "a\nb");
}

TEST_CASE("CSV: bad input names the file, line and column", "[series][csv]") {
  CHECK(error_of([] { parse_csv("", "e.csv"); }) == "e.csv: the file is empty");
  CHECK(error_of([] { parse_csv("d,v\n", "e.csv"); }) == "e.csv: no data rows after the header");
  CHECK(error_of([] { parse_csv("d,v\n1990,3\n1991,x7\n", "e.csv"); }) ==
        "e.csv:3:6: 'x7' in column 'v' is not a number");
  CHECK(error_of([] { parse_csv("d,v\n1990,3\n1991\n", "e.csv"); }) == "e.csv:3: 1 fields, the header has 2");
  CHECK(error_of([] { parse_csv("d,v\n\"1990,3\n", "e.csv"); }) == "e.csv:2: a quoted field is never closed");
  CHECK(error_of([] { parse_csv("d,v\n19\"90,3\n", "e.csv"); }) == "e.csv:2:3: a quote inside an unquoted field");
  CHECK(error_of([] { parse_csv("d,v\na,b\n", "e.csv"); }).find("no numeric column") != std::string::npos);
  CsvOptions named;
  named.column = "w";
  CHECK(error_of([&] { parse_csv("d,v\na,1\n", "e.csv", named); }) == "e.csv: no column named 'w' (columns: d, v)");
  CHECK(error_of([] { read_csv("/nonexistent/x.csv"); }).find("/nonexistent/x.csv: no such file") == 0);
  CHECK(error_of([] { parse_csv("d,v\na,1\nb,1e999\n", "e.csv"); }) ==
        "e.csv:3:3: '1e999' in column 'v' is not a number");
}

TEST_CASE("CSV: blank and NaN values are refused, or interpolated on request", "[series][csv]") {
  const std::string text = "d,v\na,\nb,2\nc,NaN\nd,\ne,8\nf,nan\n";
  CHECK(error_of([&] { parse_csv(text, "m.csv"); }) ==
        "m.csv: 4 blank or NaN value(s) in column 'v' (line 2, line 4, line 5, ...); fill them by interpolation "
        "with the fill option");
  CsvOptions fill;
  fill.fill = true;
  const auto s = parse_csv(text, "m.csv", fill);
  CHECK(s.values == std::vector<double>{2, 2, 4, 6, 8, 8});
  CHECK(s.filled == 4);
}

TEST_CASE("transforms invert exactly, by name and by value", "[series][transform]") {
  const std::vector<double> y{112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118, 115, 126, 141, 135};
  for (const char* name : {"none", "log", "diff", "sdiff4", "diff+sdiff4", "log+diff+sdiff4"}) {
    const Transform t = Transform::parse(name);
    CHECK(t.name() == name);
    const auto z = t.levels(y);
    const auto u = t.apply(y);
    for (Index i = 0; i < static_cast<Index>(y.size()); ++i) {
      const auto k = static_cast<std::size_t>(i);
      if (i < t.order()) {
        CHECK(std::isnan(u[k]));
        continue;
      }
      CHECK(t.unlevel(t.base(z, i) + u[k]) == Approx(y[k]).epsilon(1e-12));
    }
  }
  // Hand values: diff+sdiff4 at t = 5 is (135 - 121) - (118 - 112).
  CHECK(Transform::parse("diff+sdiff4").apply(y)[5] == Approx(8));
  CHECK(error_of([] { Transform::parse("log+log"); }).find("is not one of") != std::string::npos);
  CHECK(error_of([] { Transform::parse("sdiff1"); }).find("seasonal lag must be >= 2") != std::string::npos);
  CHECK(error_of([] {
          Transform::parse("log").levels({1.0, 0.0});
        }) == "transform log: value 0.000000 at position 1 is not positive");
}

TEST_CASE("scalers are fitted on the training part only", "[series][transform]") {
  const std::vector<double> u{std::nan(""), 1, 2, 3, 100};
  Scaler sd;
  sd.fit(u, 0, 4);  // 1, 2, 3: mean 2, population sd sqrt(2/3)
  CHECK(sd.shift == Approx(2));
  CHECK(sd.scale == Approx(std::sqrt(2.0 / 3.0)));
  CHECK(sd.inverse(sd.forward(7.5)) == Approx(7.5));
  Scaler mm;
  mm.kind = Scaler::Kind::minmax;
  mm.fit(u, 0, 4);
  CHECK(mm.forward(1) == Approx(-1));
  CHECK(mm.forward(3) == Approx(1));
}

TEST_CASE("the season length is found from the autocorrelation", "[series][season]") {
  Rng rng(3);
  std::vector<double> monthly, weekly, noise;
  for (int t = 0; t < 144; ++t) {
    monthly.push_back(100 + 2.0 * t + 20 * std::sin(2 * M_PI * t / 12) + rng.normal());
    weekly.push_back(5 * std::cos(2 * M_PI * t / 7) + 0.5 * rng.normal());
    noise.push_back(rng.normal());
  }
  CHECK(detect_season(monthly) == 12);
  CHECK(detect_season(weekly) == 7);
  CHECK(detect_season(noise) == 0);
  const auto r = autocorrelation({1, 2, 3, 4}, 1);  // mean 2.5: (-1.5*-0.5 + -0.5*0.5 + 0.5*1.5) / 5
  CHECK(r[0] == Approx(1));
  CHECK(r[1] == Approx(1.25 / 5));
}

TEST_CASE("metrics and naive forecasts", "[series][metrics]") {
  CHECK(rmse({1, 2, 3}, {1, 2, 6}) == Approx(std::sqrt(3.0)));
  CHECK(mae({1, 2, 3}, {2, 2, 6}) == Approx(4.0 / 3));
  CHECK_THROWS_AS(rmse({1, 2}, {1}), shape_error);
  const std::vector<double> y{10, 11, 12, 13, 14, 15, 16};
  CHECK(naive_forecast(y, 5, 5, 1) == 14);  // one step: the last value
  CHECK(naive_forecast(y, 6, 4, 1) == 13);  // two steps from origin 4: still y[3]
  CHECK(naive_forecast(y, 6, 4, 2) == 12);  // seasonal lag 2: y[4] is after the origin, so y[2]
  CHECK(naive_forecast(y, 5, 5, 2) == 13);
}

TEST_CASE("windows hold the lags of every step, batch-major", "[series][window]") {
  const std::vector<double> y{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  const forecast::View v = forecast::make_view(y, Transform{}, Scaler{Scaler::Kind::none}, 3);
  CHECK(v.first == 3);
  MatX<double> x, target;
  forecast::windows(v, 3, 2, {5, 8}, x, target);  // windows with targets {4, 5} and {7, 8}
  REQUIRE(x.rows() == 3);
  REQUIRE(x.cols() == 4);
  CHECK(target(0, 0) == 4);  // step 0, window 0
  CHECK(target(0, 1) == 7);  // step 0, window 1
  CHECK(target(0, 3) == 8);
  CHECK(x(0, 3) == 7);  // lag 1 of 8
  CHECK(x(2, 3) == 5);  // lag 3 of 8
  CHECK(x(2, 0) == 1);
}

TEST_CASE("the encoder-decoder with teacher forcing equals a hand-unrolled computation", "[series][forecaster]") {
  Rng rng(11);
  ForecasterOptions o;
  o.lags = 3;
  o.hidden = 4;
  o.horizon = 3;
  o.train_linear = true;
  Forecaster<LSTM<double>> f(o, rng);
  f.head().weight = test::random(1, 4, rng);  // not zero, so the head is tested
  const Index W = 5, B = 2, p = 3, H = 3;
  const MatX<double> window = test::random(p, W * B, rng), recent = test::random(p, B, rng),
                     teacher = test::random(H, B, rng);
  Forecaster<LSTM<double>>::SequenceTrace tr;
  const MatX<double> y = f.forward_sequence(window, recent, &teacher, tr);

  // By hand: the encoder's cell over the window, the decoder's cell from its final state.
  const auto& enc = f.encoder().layer(0).cell();
  Forecaster<LSTM<double>> copy = f;
  auto state = enc.zero_state(B);
  for (Index t = 0; t < W; ++t) enc.step(MatX<double>(window.middleCols(t * B, B)), state);
  // The decoder's cell, rebuilt from the parameters named decoder.*.
  LSTM<double> dcell(p, 4, rng);
  copy.for_each_param([&](Param<double>& q) {
    dcell.for_each_param(
        [&](Param<double>& d) {
          if ("decoder." + d.name == q.name) d.value = q.value;
        },
        "", "_l0");
  });
  for (Index k = 0; k < H; ++k) {
    MatX<double> x(p, B);
    for (Index b = 0; b < B; ++b)
      for (Index j = 1; j <= p; ++j) x(j - 1, b) = k - j >= 0 ? teacher(k - j, b) : recent(j - k - 1, b);
    const MatX<double> h = dcell.step(x, state);
    MatX<double> expect = f.head().weight * h + f.linear().weight * x;
    expect.array() += f.head().bias(0) + f.linear().bias(0);
    CHECK(test::max_diff(MatX<double>(y.row(k)), expect) < 1e-12);
  }

  // Free running feeds the predictions back instead.
  const MatX<double> free = f.predict_sequence(window, recent);
  CHECK(test::max_diff(MatX<double>(free.row(0)), MatX<double>(y.row(0))) < 1e-12);
  CHECK(test::max_diff(MatX<double>(free.row(2)), MatX<double>(y.row(2))) > 1e-6);
}

TEST_CASE("forecaster gradients match finite differences", "[series][forecaster][gradient]") {
  Rng rng(5);
  for (double dropout : {0.0, 0.3})
    for (Index horizon : {1, 3}) {
      ForecasterOptions o;
      o.lags = 2;
      o.hidden = 3;
      o.layers = 2;
      o.horizon = horizon;
      o.train_linear = true;
      o.dropout = dropout;
      Forecaster<GRU<double>> f(o, rng);
      f.head().weight = test::random(1, 3, rng);
      const Index W = 4, B = 2;
      const MatX<double> window = test::random(2, W * B, rng), recent = test::random(2, B, rng),
                         target = test::random(horizon == 1 ? 1 : horizon, horizon == 1 ? W * B : B, rng);
      auto value = [&](Forecaster<GRU<double>>& m, bool back) {
        Rng masks(7);  // the same dropout masks at every call
        if (horizon == 1) {
          Forecaster<GRU<double>>::StepTrace tr;
          const auto l = mse(m.forward(window, Batch(B), tr, nullptr, &masks), target);
          if (back) m.backward(tr, l.grad);
          return l.value;
        }
        Forecaster<GRU<double>>::SequenceTrace tr;
        const auto l = mse(m.forward_sequence(window, recent, &target, tr, 1.0, nullptr, &masks), target);
        if (back) m.backward_sequence(tr, l.grad);
        return l.value;
      };
      INFO("horizon " << horizon << ", dropout " << dropout);
      test::require_gradients(check_gradients(
          f, [&](auto& m) { return value(m, false); }, [&](auto& m) { return value(m, true); }));
      if (dropout > 0) {  // training draws masks; inference does not
        const double inferred =
            mse(horizon == 1 ? f.predict(window, Batch(B)) : f.predict_sequence(window, recent), target).value;
        CHECK(std::abs(value(f, false) - inferred) > 1e-9);
      }
    }
}

TEST_CASE("least squares fits the linear skip exactly on noiseless data", "[series][forecaster]") {
  Rng rng(2);
  Dense<float> d(3, 1, rng);
  const MatX<double> x = test::random(3, 40, rng);
  MatX<double> y = (MatX<double>(1, 3) << 0.5, -2, 1).finished() * x;
  y.array() += 0.25;
  fit_least_squares(d, x, y, 0.0);
  CHECK(d.weight(0, 1) == Approx(-2).epsilon(1e-5));
  CHECK(d.bias(0) == Approx(0.25).epsilon(1e-5));
}

TEST_CASE("end to end: a noisy seasonal series is forecast better than persistence", "[series][pipeline]") {
  Rng rng(7);
  std::vector<double> y;
  for (int t = 0; t < 160; ++t) y.push_back(50 + 0.3 * t + 10 * std::sin(2 * M_PI * t / 12) + 2 * rng.normal());
  forecast::Settings s;
  s.hidden = 8;
  s.epochs = 15;
  s.patience = 5;
  const forecast::Split sp = forecast::plan(y, s);
  CHECK(sp.season == 12);
  CHECK(sp.test_begin == 136);  // two seasons
  forecast::Report report;
  auto model = forecast::fit<LSTM<float>>(y, s, sp, report);
  const auto f = model.forecast(sp.test_begin, sp.n);
  std::vector<double> actual, persistence;
  for (Index t : f.at) {
    actual.push_back(y[static_cast<std::size_t>(t)]);
    persistence.push_back(y[static_cast<std::size_t>(t - 1)]);
  }
  const double ours = rmse(actual, f.value), naive = rmse(actual, persistence);
  INFO("recur " << ours << ", persistence " << naive);
  CHECK(ours < 0.6 * naive);
  // The model file keeps it: saved and loaded, the forecasts are the same.
  const std::string path = "series_test_model.safetensors";
  save(model, path);
  auto again = model;
  for (auto& m : again.members) m.model().head().weight.setConstant(1);
  load(again, path);
  CHECK(again.forecast(sp.test_begin, sp.n).value == f.value);
  std::remove(path.c_str());
}

TEST_CASE("plans refuse series too short for their split", "[series][pipeline]") {
  forecast::Settings s;
  std::vector<double> y(10, 1.0);
  CHECK(error_of([&] { forecast::plan(y, s); }).find("too few") != std::string::npos);
  forecast::Settings h;
  h.horizon = 30;
  h.test = 24;
  CHECK(error_of([&] { forecast::plan(std::vector<double>(200, 1.0), h); }) ==
        "the horizon 30 is longer than the test set (24 values)");
  s.window = 500;
  std::vector<double> longer;
  for (int t = 0; t < 100; ++t) longer.push_back(t % 7);
  const auto sp = forecast::plan(longer, s);
  CHECK(error_of([&] { forecast::choose_window(s, {Transform{}}, sp.val_begin); }).find("window 500") !=
        std::string::npos);
}
