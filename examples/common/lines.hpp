// Lists of strings stored one per line, as the examples keep vocabularies and labels in a model
// file's metadata, and numbers stored exactly.
#pragma once

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace recur::cli {

/// A number as text that reads back as the same double (for metadata).
inline std::string exact_text(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", x);
  return text;
}

inline std::string join_lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += s + "\n";
  return out;
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

}  // namespace recur::cli
