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
#include <utility>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/types.hpp"
#include "recur/io/input_file.hpp"
#include "recur/tree/vocabulary.hpp"

namespace recur::tree {

namespace detail {

/// Reads `in` line by line and calls f(word, v) with each word and its d numbers, in file order
/// (a word may come again; callers keep its first line). Throws io_error naming `origin`, the line
/// and the column for a non-number, or a line with a different number of values than d.
template <class S, class F>
void for_each_word_vector(std::istream& in, const std::string& origin, Index d, F&& f) {
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
    f(word, v);
  }
  if (in.bad()) throw io_error(origin + ": read error");
}

}  // namespace detail

/// Word vectors read once and kept in memory, to load the same file into several vocabularies
/// (cross-validation builds one per fold) without parsing it again each time. Keeps only the
/// lines whose word `keep(word)` accepts (e.g. words a vocabulary of the whole data set knows),
/// so a large file stays small, in file order, so that assign() gives what load_word_vectors
/// gives for the same file.
template <class S>
class WordVectorTable {
 public:
  /// Reads `in` (errors as load_word_vectors) for vectors of `dim` numbers.
  template <class Keep>
  WordVectorTable(std::istream& in, const std::string& origin, Index dim, Keep&& keep) : dim_(dim) {
    detail::for_each_word_vector<S>(in, origin, dim, [&](const std::string& word, const VecX<S>& v) {
      if (keep(word)) entries_.emplace_back(word, v);
    });
  }

  Index dim() const { return dim_; }
  Index size() const { return static_cast<Index>(entries_.size()); }

  /// As load_word_vectors over the kept lines: copies the vectors of the vocabulary's words into
  /// the columns of `embedding` [dim x V] (a word's first line wins) and returns how many were
  /// found.
  Index assign(const Vocabulary& vocab, MatX<S>& embedding) const {
    if (embedding.rows() != dim_)
      throw shape_error("word vectors: the table has " + std::to_string(dim_) + " numbers per word, the model " +
                        std::to_string(embedding.rows()));
    std::vector<bool> seen(static_cast<std::size_t>(vocab.size()), false);
    Index found = 0;
    for (const auto& [word, v] : entries_) {
      const Index id = vocab.id(word);
      if (id == Vocabulary::unknown || seen[static_cast<std::size_t>(id)]) continue;
      seen[static_cast<std::size_t>(id)] = true;
      embedding.col(id) = v;
      ++found;
    }
    return found;
  }

 private:
  Index dim_;
  std::vector<std::pair<std::string, VecX<S>>> entries_;
};

/// Copies the vectors of the vocabulary's words from `in` into the columns of `embedding`
/// [d x V]. Returns how many vocabulary words were found. Throws io_error naming the file, line
/// and column for a non-number, or a line with a different number of values than d.
/// `origin` names the source in errors.
template <class S>
Index load_word_vectors(std::istream& in, const std::string& origin, const Vocabulary& vocab, MatX<S>& embedding) {
  const WordVectorTable<S> table(in, origin, embedding.rows(),
                                 [&](const std::string& word) { return vocab.id(word) != Vocabulary::unknown; });
  return table.assign(vocab, embedding);
}

/// A WordVectorTable of the file at `path` (see its constructor).
template <class S, class Keep>
WordVectorTable<S> read_word_vectors(const std::string& path, Index dim, Keep&& keep) {
  std::ifstream in = io::open_input(path);
  return WordVectorTable<S>(in, path, dim, std::forward<Keep>(keep));
}

/// load_word_vectors over the file at `path`.
template <class S>
Index load_word_vectors(const std::string& path, const Vocabulary& vocab, MatX<S>& embedding) {
  std::ifstream in = io::open_input(path);
  return load_word_vectors(in, path, vocab, embedding);
}

}  // namespace recur::tree
