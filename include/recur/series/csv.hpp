// Reading one numeric series (and its dates) from a CSV file: RFC 4180 quoting, a header row,
// a column chosen by name or the last numeric one. Bad cells are errors that name the file,
// line and column; blank and NaN cells are reported, or interpolated on request.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/io/input_file.hpp"

namespace recur::series {

/// A univariate series: values[i] observed at dates[i] (the text of the date column, or the
/// row number when the file has none).
struct Series {
  std::string name;                ///< the column's header
  std::vector<std::string> dates;  ///< one per value
  std::vector<double> values;
  std::size_t filled = 0;  ///< blank or NaN cells interpolated (CsvOptions::fill)

  std::size_t size() const { return values.size(); }
};

struct CsvOptions {
  std::string column;  ///< header of the value column; empty: the last numeric column
  bool fill = false;   ///< interpolate blank and NaN cells instead of refusing them
  char delimiter = ',';
};

namespace detail {

/// One CSV record split into fields, with the 1-based character column where each starts.
struct Record {
  std::vector<std::string> fields;
  std::vector<std::size_t> columns;
  std::size_t line = 0;
};

/// Splits `text` into records; a quoted field may hold delimiters, "" and newlines.
inline std::vector<Record> split_records(const std::string& text, char delim, const std::string& origin) {
  std::vector<Record> records;
  Record rec;
  std::string field;
  std::size_t line = 1, col = 1, field_col = 1, quote_line = 0;
  bool quoted = false, was_quoted = false, any = false;
  auto end_field = [&] {
    rec.fields.push_back(field);
    rec.columns.push_back(field_col);
    field.clear();
    was_quoted = false;
  };
  auto end_record = [&] {
    end_field();
    const bool blank = rec.fields.size() == 1 && rec.fields[0].find_first_not_of(" \t\r") == std::string::npos;
    if (!blank) records.push_back(std::move(rec));
    rec = Record{};
    any = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (!any) {
      rec.line = line;
      any = true;
    }
    if (quoted) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
          ++col;
        } else {
          quoted = false;
        }
      } else {
        field += ch;
        if (ch == '\n') {
          ++line;
          col = 0;
        }
      }
    } else if (ch == '"') {
      if (field.find_first_not_of(" \t") != std::string::npos || was_quoted)
        throw io_error(origin + ":" + std::to_string(line) + ":" + std::to_string(col) +
                       ": a quote inside an unquoted field");
      field.clear();
      quoted = was_quoted = true;
      quote_line = line;
    } else if (ch == delim) {
      end_field();
      field_col = col + 1;
    } else if (ch == '\n') {
      end_record();
      ++line;
      col = 0;
      field_col = 1;
    } else if (ch != '\r') {
      if (was_quoted && ch != ' ' && ch != '\t')
        throw io_error(origin + ":" + std::to_string(line) + ":" + std::to_string(col) +
                       ": text after a closing quote");
      if (!was_quoted) field += ch;
    }
    ++col;
  }
  if (quoted) throw io_error(origin + ":" + std::to_string(quote_line) + ": a quoted field is never closed");
  if (any) end_record();
  return records;
}

inline std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

enum class Cell { number, missing, text };

/// Parses a numeric cell: a number, or missing (blank, NaN, NA, null), or text.
inline Cell parse_number(const std::string& raw, double& out) {
  const std::string s = trim(raw);
  if (s.empty()) return Cell::missing;
  std::string lower;
  for (char c : s) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "nan" || lower == "na" || lower == "n/a" || lower == "null" || lower == "?") return Cell::missing;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE) return Cell::text;
  if (std::isnan(out)) return Cell::missing;
  if (!std::isfinite(out)) return Cell::text;
  return Cell::number;
}

}  // namespace detail

/// Parses CSV text (`origin` names it in errors). The first record is a header unless its
/// value cell is a number. Throws io_error on malformed text, value_error on bad values.
inline Series parse_csv(const std::string& text, const std::string& origin, const CsvOptions& options = {}) {
  using detail::Cell;
  const auto records = detail::split_records(text, options.delimiter, origin);
  if (records.empty()) throw io_error(origin + ": the file is empty");
  const std::size_t width = records[0].fields.size();
  double scratch = 0;

  // Header or not: with a named column there is one; otherwise the first row is a header when
  // it holds text in a column that is mostly numbers below (a value column).
  bool header = !options.column.empty();
  if (!header) {
    for (std::size_t j = 0; j < width && !header; ++j) {
      if (records.size() < 2 || detail::parse_number(records[0].fields[j], scratch) != Cell::text) continue;
      std::size_t numbers = 0, texts = 0;  // a bad cell further down must not hide the header
      for (std::size_t r = 1; r < records.size() && r < 50; ++r) {
        const Cell c =
            records[r].fields.size() > j ? detail::parse_number(records[r].fields[j], scratch) : Cell::missing;
        numbers += c == Cell::number;
        texts += c == Cell::text;
      }
      header = numbers > 0 && numbers >= texts;
    }
    if (records.size() == 1)  // one row: a header only if nothing in it is a number
      header = std::none_of(records[0].fields.begin(), records[0].fields.end(),
                            [&](const std::string& f) { return detail::parse_number(f, scratch) == Cell::number; });
  }
  const std::size_t first = header ? 1 : 0;
  if (records.size() <= first) throw io_error(origin + ": no data rows after the header");
  std::vector<std::string> names(width);
  for (std::size_t j = 0; j < width; ++j)
    names[j] = header ? detail::trim(records[0].fields[j]) : "column " + std::to_string(j + 1);

  std::size_t value_col = width;
  if (!options.column.empty()) {
    for (std::size_t j = 0; j < width; ++j)
      if (names[j] == options.column) value_col = j;
    if (value_col == width) {
      std::string all;
      for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
      throw value_error(origin + ": no column named '" + options.column + "' (columns: " + all + ")");
    }
  } else {  // the last column whose first non-blank data cell is a number
    for (std::size_t j = width; j-- > 0 && value_col == width;)
      for (std::size_t r = first; r < records.size(); ++r) {
        if (records[r].fields.size() <= j) continue;
        const Cell c = detail::parse_number(records[r].fields[j], scratch);
        if (c == Cell::missing) continue;
        if (c == Cell::number) value_col = j;
        break;
      }
    if (value_col == width)
      throw value_error(origin + ":" + std::to_string(records[first].line) +
                        ": no numeric column (name one with a column option)");
  }
  // Dates: the first column, if it is not the values and is not numeric.
  const bool has_dates = value_col != 0 && records[first].fields.size() == width &&
                         detail::parse_number(records[first].fields[0], scratch) != Cell::number;

  Series s;
  s.name = names[value_col];
  std::vector<std::size_t> missing;
  std::string missing_where;
  for (std::size_t r = first; r < records.size(); ++r) {
    const auto& rec = records[r];
    const std::string where = origin + ":" + std::to_string(rec.line);
    if (rec.fields.size() != width)
      throw io_error(where + ": " + std::to_string(rec.fields.size()) + " fields, the header has " +
                     std::to_string(width));
    double v = 0;
    switch (detail::parse_number(rec.fields[value_col], v)) {
      case Cell::number:
        break;
      case Cell::missing:
        if (missing.size() < 3)
          missing_where += (missing.empty() ? "" : ", ") + std::string("line ") + std::to_string(rec.line);
        missing.push_back(s.values.size());
        v = std::nan("");
        break;
      case Cell::text:
        throw value_error(where + ":" + std::to_string(rec.columns[value_col]) + ": '" +
                          detail::trim(rec.fields[value_col]) + "' in column '" + s.name + "' is not a number");
    }
    s.values.push_back(v);
    s.dates.push_back(has_dates ? detail::trim(rec.fields[0]) : std::to_string(s.values.size()));
  }
  if (!missing.empty()) {
    if (!options.fill)
      throw value_error(origin + ": " + std::to_string(missing.size()) + " blank or NaN value(s) in column '" + s.name +
                        "' (" + missing_where + (missing.size() > 3 ? ", ..." : "") +
                        "); fill them by interpolation with the fill option");
    if (missing.size() == s.values.size()) throw value_error(origin + ": column '" + s.name + "' has no values");
    // Linear interpolation between the nearest known values; the ends take the nearest one.
    const std::size_t n = s.values.size();
    std::size_t prev = n;
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isnan(s.values[i])) {
        prev = i;
        continue;
      }
      std::size_t next = i;
      while (next < n && std::isnan(s.values[next])) ++next;
      for (std::size_t k = i; k < next; ++k) {
        if (prev == n)
          s.values[k] = s.values[next];
        else if (next == n)
          s.values[k] = s.values[prev];
        else
          s.values[k] = s.values[prev] + (s.values[next] - s.values[prev]) * static_cast<double>(k - prev) /
                                             static_cast<double>(next - prev);
      }
      i = next - 1;
    }
    s.filled = missing.size();
  }
  return s;
}

/// Reads a CSV file; see parse_csv.
inline Series read_csv(const std::string& path, const CsvOptions& options = {}) {
  return parse_csv(io::read_input(path), path, options);
}

}  // namespace recur::series
