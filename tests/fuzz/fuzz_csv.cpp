// Fuzzes the CSV series reader: any bytes, with the options picked by the first byte. A series
// that parses has one date per value and only finite values.
#include <cmath>
#include <string>

#include "fuzz_entry.hpp"
#include "recur/series/csv.hpp"

extern "C" int RECUR_FUZZ_ENTRY(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  namespace series = recur::series;
  const std::uint8_t flags = data[0];
  series::CsvOptions options;
  options.fill = flags & 1;
  options.delimiter = (flags & 2) ? ';' : ',';
  if (flags & 4) options.column = (flags & 8) ? "value" : "close";
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    const series::Series s = series::parse_csv(text, "fuzz", options);
    RECUR_FUZZ_CHECK(s.dates.size() == s.values.size());
    RECUR_FUZZ_CHECK(!s.values.empty());
    for (double v : s.values) RECUR_FUZZ_CHECK(std::isfinite(v));
    RECUR_FUZZ_CHECK(s.filled == 0 || options.fill);
  } catch (const recur::io_error&) {
  } catch (const recur::value_error&) {
  }
  return 0;
}
