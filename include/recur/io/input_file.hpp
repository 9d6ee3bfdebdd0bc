// Opening a user's file for reading, with the error every reader gives: the path and what is
// wrong with it (missing, not a regular file, unreadable).
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "recur/core/error.hpp"

namespace recur::io {

/// `path` opened for reading (binary: the readers handle line ends themselves).
inline std::ifstream open_input(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw io_error(path + ": no such file (or not a regular file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(path + ": cannot open the file");
  return in;
}

/// The whole file at `path`.
inline std::string read_input(const std::string& path) {
  std::ifstream in = open_input(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw io_error(path + ": read error");
  return text;
}

}  // namespace recur::io
