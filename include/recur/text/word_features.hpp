// Spelling features of a word, for words the vocabulary does not know: a tagger that has never
// seen "reorganizing" can still tell a VBG from its suffix and "Brightwell" an NNP from its
// shape. Each feature is a string, given ids by its own Vocabulary.
#pragma once

#include <cctype>
#include <string>

namespace recur::text {

/// The last n characters (UTF-8 aware), lower-cased ("Walking", 3 -> "ing"); a shorter word is marked with a
/// leading '^' so that "is" as a suffix of "this" and the word "is" stay apart.
inline std::string suffix(const std::string& word, std::size_t n) {
  // Back n characters, not bytes: a UTF-8 continuation byte (10xxxxxx) belongs to the character
  // before it, so a suffix never cuts one in two.
  std::size_t start = word.size(), taken = 0;
  while (start > 0 && taken < n) {
    --start;
    while (start > 0 && (static_cast<unsigned char>(word[start]) & 0xC0) == 0x80) --start;
    ++taken;
  }
  std::string s = start > 0 ? word.substr(start) : "^" + word;
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// The word's shape: upper case -> X, lower case -> x, digit -> d, other characters kept, runs of
/// one class collapsed ("McDonald" -> "XxXx", "1,000" -> "d,d", "U.S." -> "X.X.", "-LRB-" ->
/// "-X-"); at most 8 characters.
inline std::string word_shape(const std::string& word) {
  std::string shape;
  for (char ch : word) {
    const auto c = static_cast<unsigned char>(ch);
    const char k = std::isupper(c) ? 'X' : std::islower(c) ? 'x' : std::isdigit(c) ? 'd' : c >= 0x80 ? 'u' : ch;
    if (shape.empty() || shape.back() != k) shape += k;
    if (shape.size() == 8) break;
  }
  return shape;
}

}  // namespace recur::text
