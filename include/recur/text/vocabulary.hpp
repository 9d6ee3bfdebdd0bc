// Words (or tags, suffixes, shapes) to ids: built from the training data only, with an
// unknown-word id 0 for everything else (rare training words included, so that the unknown
// vector is trained).
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_map>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/types.hpp"

namespace recur::text {

class Vocabulary {
 public:
  static constexpr Index unknown = 0;
  static constexpr const char* unknown_word = "<unk>";

  Vocabulary() : words_{unknown_word} {}

  /// Every word seen at least `min_count` times in `sentences` (ids in order of first
  /// appearance); `lowercase` folds case first. A sentence is a vector of words or anything with
  /// a `words` member (a tree::Tree).
  template <class Sentence>
  static Vocabulary build(const std::vector<Sentence>& sentences, Index min_count = 1, bool lowercase = false) {
    std::unordered_map<std::string, Index> counts;
    std::vector<std::string> order;
    for (const auto& s : sentences)
      for (const auto& w : words_of(s)) {
        const std::string key = lowercase ? lower(w) : w;
        if (counts[key]++ == 0) order.push_back(key);
      }
    Vocabulary v;
    v.lowercase_ = lowercase;
    for (const auto& w : order)
      if (counts[w] >= min_count) v.add(w);
    return v;
  }

  /// From a word list (id order), as saved with a model; the first must be the unknown word.
  static Vocabulary from_words(const std::vector<std::string>& words, bool lowercase) {
    if (words.empty() || words[0] != unknown_word)
      throw value_error(std::string("Vocabulary: the first word must be ") + unknown_word);
    Vocabulary v;
    v.lowercase_ = lowercase;
    for (std::size_t i = 1; i < words.size(); ++i) {
      if (v.ids_.count(words[i])) throw value_error("Vocabulary: '" + words[i] + "' appears twice");
      v.add(words[i]);
    }
    return v;
  }

  Index id(const std::string& word) const {
    const auto it = ids_.find(lowercase_ ? lower(word) : word);
    return it == ids_.end() ? unknown : it->second;
  }
  /// Ids of a sentence's words (or a tree's leaves), in order.
  template <class Sentence>
  std::vector<Index> ids(const Sentence& s) const {
    std::vector<Index> out;
    for (const auto& w : words_of(s)) out.push_back(id(w));
    return out;
  }
  const std::string& word(Index id) const { return words_.at(static_cast<std::size_t>(id)); }
  const std::vector<std::string>& words() const { return words_; }
  Index size() const { return static_cast<Index>(words_.size()); }
  bool lowercase() const { return lowercase_; }

 private:
  static const std::vector<std::string>& words_of(const std::vector<std::string>& s) { return s; }
  template <class T>
  static const std::vector<std::string>& words_of(const T& t) {
    return t.words;
  }
  static std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  }
  void add(const std::string& w) {
    ids_.emplace(w, static_cast<Index>(words_.size()));
    words_.push_back(w);
  }

  std::vector<std::string> words_;
  std::unordered_map<std::string, Index> ids_;
  bool lowercase_ = false;
};

}  // namespace recur::text
