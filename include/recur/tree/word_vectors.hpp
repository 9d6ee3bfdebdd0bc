// Pretrained word vectors from a text file (GloVe / word2vec text format): one word per line
// followed by its numbers, "the 0.418 0.24968 -0.41242 ...". An optional word2vec header line
// "<count> <dim>" is skipped. Words of the vocabulary found in the file get their vectors;
// the others keep their random initialisation.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <string>

#include "recur/core/error.hpp"
#include "recur/core/types.hpp"
#include "recur/io/input_file.hpp"
#include "recur/tree/vocabulary.hpp"

namespace recur::tree {

/// Copies the vectors of the vocabulary's words from `in` into the columns of `embedding`
/// [d x V]. Returns how many vocabulary words were found. Throws io_error naming the file, line
/// and column for a non-number, or a line with a different number of values than d.
/// `origin` names the source in errors.
template <class S>
Index load_word_vectors(std::istream& in, const std::string& origin, const Vocabulary& vocab, MatX<S>& embedding) {
  const Index d = embedding.rows();
  std::vector<bool> seen(static_cast<std::size_t>(vocab.size()), false);
  Index found = 0;
  std::string line;
  std::size_t number = 0;
  VecX<S> v(d);
  while (std::getline(in, line)) {
    ++number;
    const std::string where = origin + ":" + std::to_string(number);
    std::size_t pos = line.find_first_not_of(" \t\r");
    if (pos == std::string::npos) continue;
    const std::size_t word_end = line.find_first_of(" \t", pos);
    if (word_end == std::string::npos) throw io_error(where + ": a word without numbers");
    const std::string word = line.substr(pos, word_end - pos);
    Index count = 0;
    pos = word_end;
    bool header = number == 1;  // "<count> <dim>" as word2vec writes it
    while (true) {
      pos = line.find_first_not_of(" \t\r", pos);
      if (pos == std::string::npos) break;
      const char* start = line.c_str() + pos;
      char* end = nullptr;
      errno = 0;
      const double x = std::strtod(start, &end);
      const std::size_t len = static_cast<std::size_t>(end - start);
      if (len == 0 || errno == ERANGE || !std::isfinite(x) ||
          (pos + len < line.size() && line[pos + len] != ' ' && line[pos + len] != '\t' && line[pos + len] != '\r'))
        throw io_error(where + ":" + std::to_string(pos + 1) + ": '" +
                       line.substr(pos, line.find_first_of(" \t\r", pos) - pos) + "' is not a number");
      if (std::abs(x) > static_cast<double>(std::numeric_limits<S>::max()))
        throw io_error(where + ":" + std::to_string(pos + 1) + ": " + line.substr(pos, len) +
                       " is out of range for the model's numbers");
      if (count < d) v(count) = static_cast<S>(x);
      ++count;
      pos += len;
    }
    if (header && count == 1 && word.find_first_not_of("0123456789") == std::string::npos) continue;
    if (count != d)
      throw io_error(where + ": " + std::to_string(count) + " values for '" + word + "', the model's vectors have " +
                     std::to_string(d));
    const Index id = vocab.id(word);
    if (id == Vocabulary::unknown || seen[static_cast<std::size_t>(id)]) continue;
    seen[static_cast<std::size_t>(id)] = true;
    embedding.col(id) = v;
    ++found;
  }
  if (in.bad()) throw io_error(origin + ": read error");
  return found;
}

/// load_word_vectors over the file at `path`.
template <class S>
Index load_word_vectors(const std::string& path, const Vocabulary& vocab, MatX<S>& embedding) {
  std::ifstream in = io::open_input(path);
  return load_word_vectors(in, path, vocab, embedding);
}

}  // namespace recur::tree
