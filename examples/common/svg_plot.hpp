// A small line chart written as SVG text, so examples can draw their results with no plotting
// dependency: lines (solid or dashed), shaded bands, axes with round tick values, a legend, and
// optional labels for the x ticks (dates) and a log-scale y axis.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace recur::svg {

class LinePlot {
 public:
  LinePlot(std::string title, std::string x_label, std::string y_label)
      : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)) {}

  void line(std::string name, std::vector<double> x, std::vector<double> y, std::string color, bool dashed = false) {
    lines_.push_back({std::move(name), std::move(x), std::move(y), {}, std::move(color), dashed});
  }
  /// A shaded area between lower and upper.
  void band(std::string name, std::vector<double> x, std::vector<double> lower, std::vector<double> upper,
            std::string color) {
    lines_.push_back({std::move(name), std::move(x), std::move(lower), std::move(upper), std::move(color), false});
  }
  /// Text for the x tick at position x (e.g. a date); ticks fall on labelled positions when given.
  void x_labels(std::vector<std::string> labels) { x_labels_ = std::move(labels); }
  void log_y(bool on = true) { log_y_ = on; }

  std::string str() const {
    const double W = 900, Hh = 420, left = 70, right = 170, top = 40, bottom = 55;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (const auto& l : lines_)
      for (std::size_t i = 0; i < l.x.size(); ++i) {
        x0 = std::min(x0, l.x[i]);
        x1 = std::max(x1, l.x[i]);
        for (double v : {l.y[i], l.upper.empty() ? l.y[i] : l.upper[i]}) {
          if (!std::isfinite(v) || (log_y_ && v <= 0)) continue;
          y0 = std::min(y0, ty(v));
          y1 = std::max(y1, ty(v));
        }
      }
    if (!(x1 > x0)) x1 = x0 + 1;
    if (!(y1 > y0)) y1 = y0 + 1;
    const double pad = 0.04 * (y1 - y0);
    y0 -= pad;
    y1 += pad;
    auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
    auto py = [&](double y) { return top + (y1 - ty(y)) / (y1 - y0) * (Hh - top - bottom); };

    std::string s;
    s +=
        fmt("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n",
            W, Hh, W, Hh);
    s += fmt("<rect width=\"%g\" height=\"%g\" fill=\"white\"/>\n", W, Hh);
    s += "<text x=\"" + num(W / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + escape(title_) +
         "</text>\n";
    // Axes and ticks.
    s += fmt("<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#444\"/>\n", left, top,
             W - left - right, Hh - top - bottom);
    for (double v : y_ticks(y0, y1)) {
      const double y = py(v);
      s += fmt("<line x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, W - right, y, y);
      s += "<text x=\"" + num(left - 6) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\">" + num(v) + "</text>\n";
    }
    for (double v : x_ticks(x0, x1)) {
      const double x = px(v);
      s += fmt("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%g\" y2=\"%g\" stroke=\"#444\"/>\n", x, x, Hh - bottom,
               Hh - bottom + 5);
      const auto i = static_cast<std::size_t>(std::llround(v));
      const std::string label = !x_labels_.empty() && i < x_labels_.size() ? x_labels_[i] : num(v);
      s += "<text x=\"" + num(x) + "\" y=\"" + num(Hh - bottom + 18) + "\" text-anchor=\"middle\">" + escape(label) +
           "</text>\n";
    }
    s += "<text x=\"" + num(left + (W - left - right) / 2) + "\" y=\"" + num(Hh - 12) + "\" text-anchor=\"middle\">" +
         escape(x_label_) + "</text>\n";
    s += "<text transform=\"translate(16," + num(top + (Hh - top - bottom) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + escape(y_label_) + (log_y_ ? " (log scale)" : "") + "</text>\n";
    // Bands first, lines on top.
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& l : lines_) {
        const bool is_band = !l.upper.empty();
        if (is_band != (pass == 0)) continue;
        std::string pts;
        for (std::size_t i = 0; i < l.x.size(); ++i)
          if (std::isfinite(l.y[i]) && (!log_y_ || l.y[i] > 0)) pts += num(px(l.x[i])) + "," + num(py(l.y[i])) + " ";
        if (is_band) {
          for (std::size_t i = l.x.size(); i-- > 0;)
            if (std::isfinite(l.upper[i]) && (!log_y_ || l.upper[i] > 0))
              pts += num(px(l.x[i])) + "," + num(py(l.upper[i])) + " ";
          s += "<polygon points=\"" + pts + "\" fill=\"" + l.color + "\" fill-opacity=\"0.18\" stroke=\"none\"/>\n";
        } else {
          s += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"" + l.color + "\" stroke-width=\"1.8\"" +
               (l.dashed ? " stroke-dasharray=\"6,4\"" : "") + "/>\n";
        }
      }
    // Legend.
    double ly = top + 10;
    for (const auto& l : lines_) {
      if (l.name.empty()) continue;  // a line without a name stays out of the legend
      const double lx = W - right + 14;
      if (l.upper.empty())
        s += fmt("<line x1=\"%g\" x2=\"%g\" y1=\"%g\" y2=\"%g\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", lx, lx + 22,
                 ly, ly, l.color.c_str(), l.dashed ? " stroke-dasharray=\"6,4\"" : "");
      else
        s += fmt("<rect x=\"%g\" y=\"%g\" width=\"22\" height=\"10\" fill=\"%s\" fill-opacity=\"0.25\"/>\n", lx, ly - 5,
                 l.color.c_str());
      s += "<text x=\"" + num(lx + 28) + "\" y=\"" + num(ly + 4) + "\">" + escape(l.name) + "</text>\n";
      ly += 20;
    }
    return s + "</svg>\n";
  }

 private:
  struct Line {
    std::string name;
    std::vector<double> x, y, upper;
    std::string color;
    bool dashed;
  };

  double ty(double v) const { return log_y_ ? std::log10(v) : v; }

  std::vector<double> y_ticks(double lo, double hi) const {
    std::vector<double> t;
    if (log_y_) {
      for (double e = std::ceil(lo); e <= hi; ++e) t.push_back(std::pow(10.0, e));
      return t;
    }
    const double step = nice_step((hi - lo) / 6);
    for (double v = std::ceil(lo / step) * step; v <= hi; v += step) t.push_back(std::abs(v) < 1e-12 * step ? 0 : v);
    return t;
  }
  std::vector<double> x_ticks(double lo, double hi) const {
    std::vector<double> t;
    const double step = std::max(1.0, nice_step((hi - lo) / 7));
    for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9; v += step) t.push_back(v);
    return t;
  }
  static double nice_step(double raw) {
    if (!(raw > 0)) return 1;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
  }
  static std::string num(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
  }
  template <class... A>
  static std::string fmt(const char* f, A... a) {
    char b[512];
    std::snprintf(b, sizeof b, f, a...);
    return b;
  }
  static std::string escape(const std::string& t) {
    std::string o;
    for (char c : t) {
      if (c == '<')
        o += "&lt;";
      else if (c == '>')
        o += "&gt;";
      else if (c == '&')
        o += "&amp;";
      else if (c == '"')
        o += "&quot;";
      else
        o += c;
    }
    return o;
  }

  std::string title_, x_label_, y_label_;
  std::vector<Line> lines_;
  std::vector<std::string> x_labels_;
  bool log_y_ = false;
};

}  // namespace recur::svg
