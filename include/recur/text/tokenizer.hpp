// Text to tokens the way the Penn Treebank (and the Sentiment Treebank) tokenizes: punctuation
// apart, clitics split off ("don't" -> "do n't", "it's" -> "it 's"), brackets escaped (-LRB-),
// while numbers and abbreviations keep their inner points and commas ("3.5", "1,000", "U.S.").
#pragma once

#include <cctype>
#include <string>
#include <vector>

namespace recur::text {

struct TokenizeOptions {
  bool split_clitics = true;    ///< "n't", "'s", "'re", "'ve", "'ll", "'d", "'m" become tokens
  bool escape_brackets = true;  ///< ( ) [ ] { } -> -LRB- -RRB- -LSB- -RSB- -LCB- -RCB-
  bool ptb_quotes = false;      ///< " -> `` when it opens a quotation and '' when it closes one
};

namespace detail {
inline bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
inline bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
inline bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
inline bool ends_with_ci(const std::string& s, const std::string& suffix) {
  if (s.size() <= suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i]) return false;
  return true;
}
/// Letters with inner points so far ("U", "U.S", "e.g"): a point after them belongs to the word.
inline bool dotted_letters(const std::string& word) {
  if (word.empty()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (i % 2 == 0 ? !std::isalpha(static_cast<unsigned char>(word[i])) : word[i] != '.') return false;
  return word.size() % 2 == 1;
}

/// Words whose final point belongs to them: "U.S.", "e.g.", an initial ("J."), titles and
/// company suffixes ("Mr.", "Inc."). Not numbers: "3.5." ends a sentence.
inline bool abbreviation(const std::string& word) {
  if (word.size() >= 3 && dotted_letters(word)) return true;
  if (word.size() == 1 && std::isupper(static_cast<unsigned char>(word[0]))) return true;
  for (const char* a : {"Mr",   "Mrs", "Ms",  "Dr",   "Prof", "Sen", "Rep", "Gov", "Gen", "Jr",   "Sr",  "St",  "Inc",
                        "Corp", "Co",  "Ltd", "Bros", "vs",   "etc", "Jan", "Feb", "Aug", "Sept", "Oct", "Nov", "Dec"})
    if (word == a) return true;
  return false;
}
}  // namespace detail

/// Whether `text` is well-formed UTF-8 (no stray continuation bytes, overlong forms, surrogates
/// or code points past U+10FFFF).
inline bool is_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    unsigned long cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // cut short
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += n + 1;
  }
  return true;
}

/// Splits `text` into tokens. Bytes outside ASCII are kept inside words.
inline std::vector<std::string> tokenize(const std::string& text, const TokenizeOptions& options = {}) {
  std::vector<std::string> out;
  std::string word;
  bool quote_open = false;
  auto flush = [&] {
    if (word.empty()) return;
    if (options.split_clitics)
      for (const char* clitic : {"n't", "'s", "'re", "'ve", "'ll", "'d", "'m"}) {
        const std::string c = clitic;
        if (detail::ends_with_ci(word, c)) {
          out.push_back(word.substr(0, word.size() - c.size()));
          word = word.substr(word.size() - c.size());
          break;
        }
      }
    out.push_back(word);
    word.clear();
  };
  auto punctuation = [&](const std::string& token) {
    flush();
    out.push_back(token);
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    const char prev = i > 0 ? text[i - 1] : ' ', next = i + 1 < text.size() ? text[i + 1] : ' ';
    if (detail::is_space(ch)) {
      flush();
    } else if ((ch == '.' || ch == ',') && detail::is_digit(prev) && detail::is_digit(next) && !word.empty()) {
      word += ch;  // 3.5, 1,000
    } else if (ch == '.' && std::isalpha(static_cast<unsigned char>(next)) && detail::dotted_letters(word) &&
               (i + 2 >= text.size() || !std::isalpha(static_cast<unsigned char>(text[i + 2])))) {
      word += ch;  // the inner points of U.S, e.g
    } else if (ch == '.' && detail::abbreviation(word)) {
      word += ch;  // U.S., Mr., Inc., J.
    } else if (std::string(".,!?;:%$#").find(ch) != std::string::npos) {
      punctuation(std::string(1, ch));
    } else if (std::string("()[]{}").find(ch) != std::string::npos) {
      static const char* escaped[] = {"-LRB-", "-RRB-", "-LSB-", "-RSB-", "-LCB-", "-RCB-"};
      punctuation(options.escape_brackets ? escaped[std::string("()[]{}").find(ch)] : std::string(1, ch));
    } else if (ch == '"') {
      punctuation(options.ptb_quotes ? (quote_open ? "''" : "``") : "\"");
      quote_open = !quote_open;
    } else {
      word += ch;
    }
  }
  flush();
  return out;
}

}  // namespace recur::text
