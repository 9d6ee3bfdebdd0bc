// Tagged sentences generated from a small grammar written for recur, for recur-tag's default run.
// Many words take more than one tag ("saw" VBD or NN, "can" MD or NN, "watches" VBZ or NNS,
// "light" JJ, NN or VB) and only the context decides which; every sentence also draws new words
// made of random syllables with a telling suffix ("blorvized" VBD, "tremlous" JJ) or a capital
// (names, NNP), so words unseen in training must be tagged from their spelling. The
// most-frequent-tag baseline gets the ambiguous words wrong about as often as right.
#pragma once

#include <recur/core/rng.hpp>

#include <string>
#include <utility>
#include <vector>

namespace tagging {

using Tagged = std::vector<std::pair<std::string, std::string>>;  // (word, tag) per token

class CorpusGenerator {
 public:
  explicit CorpusGenerator(std::uint64_t seed) : rng_(seed) {}

  Tagged sentence() {
    Tagged s;
    noun_phrase(s, true);
    verb_phrase(s);
    if (rng_.uniform() < 0.8) s.push_back({".", "."});
    return s;
  }

 private:
  template <std::size_t N>
  std::string pick(const char* const (&words)[N]) {
    return words[rng_.below(N)];
  }
  bool chance(double p) { return rng_.uniform() < p; }

  std::string syllables(std::size_t n) {
    static const char* const parts[] = {"bl", "tr", "m", "k", "v", "z", "gr", "st", "pl", "dr", "n", "sh"};
    static const char* const vowels[] = {"a", "e", "i", "o", "u", "or", "an", "el"};
    std::string w;
    for (std::size_t i = 0; i < n; ++i) w += pick(parts) + pick(vowels);
    return w;
  }
  /// A word never seen before, tagged by its suffix or its capital letter.
  std::pair<std::string, std::string> new_word(const std::string& tag) {
    std::string stem = syllables(2 + rng_.below(2));
    if (tag == "NNP") {
      stem[0] = static_cast<char>(stem[0] - 'a' + 'A');
      return {stem, tag};
    }
    if (tag == "NN") return {stem + (chance(0.5) ? "tion" : "ness"), tag};
    if (tag == "NNS") return {stem + "ers", tag};
    if (tag == "VBD") return {stem + "ized", tag};
    if (tag == "VBG") return {stem + "ing", tag};
    if (tag == "JJ") return {stem + (chance(0.5) ? "ous" : "ful"), tag};
    return {stem + "ly", "RB"};
  }

  void noun(Tagged& s, bool plural) {
    static const char* const singular[] = {"dog",  "man",  "book", "watch", "saw",  "can",    "light",
                                           "fish", "plan", "run",  "park",  "boat", "letter", "house"};
    static const char* const plurals[] = {"dogs",  "men",  "books", "watches", "saws",    "cans",  "lights",
                                          "plans", "runs", "parks", "boats",   "letters", "houses"};
    if (chance(0.15))
      s.push_back(new_word(plural ? "NNS" : "NN"));
    else
      s.push_back(plural ? std::pair<std::string, std::string>{pick(plurals), "NNS"}
                         : std::pair<std::string, std::string>{pick(singular), "NN"});
  }

  void noun_phrase(Tagged& s, bool subject) {
    static const char* const determiners[] = {"the", "a", "this", "that", "every"};
    static const char* const pronouns[] = {"he", "she", "it", "they"};
    static const char* const adjectives[] = {"old", "light", "fast", "red", "new", "still"};
    const double r = rng_.uniform();
    if (subject && r < 0.15) {
      s.push_back({pick(pronouns), "PRP"});
      return;
    }
    if (r < 0.3) {
      s.push_back(chance(0.5) ? new_word("NNP") : std::pair<std::string, std::string>{"Kim", "NNP"});
      return;
    }
    const bool plural = chance(0.3);
    if (plural) {
      if (chance(0.5)) s.push_back({"the", "DT"});
    } else {
      s.push_back({pick(determiners), "DT"});
    }
    if (chance(0.35))
      s.push_back(chance(0.2) ? new_word("JJ") : std::pair<std::string, std::string>{pick(adjectives), "JJ"});
    noun(s, plural);
    if (chance(0.2)) {
      static const char* const prepositions[] = {"in", "on", "with", "near"};
      s.push_back({pick(prepositions), "IN"});
      s.push_back({"the", "DT"});
      noun(s, false);
    }
  }

  void verb_phrase(Tagged& s) {
    static const char* const present[] = {"sees", "books", "watches", "runs", "plans", "lights", "fishes", "saws"};
    static const char* const past[] = {"saw", "booked", "watched", "ran", "planned", "lit", "fished", "read"};
    static const char* const base[] = {"see", "book", "watch", "run", "plan", "light", "fish", "read", "saw"};
    static const char* const modals[] = {"can", "will", "may", "must"};
    static const char* const adverbs[] = {"fast", "still", "well", "soon"};
    const double r = rng_.uniform();
    if (r < 0.25) {
      s.push_back({pick(present), "VBZ"});
    } else if (r < 0.5) {
      s.push_back(chance(0.2) ? new_word("VBD") : std::pair<std::string, std::string>{pick(past), "VBD"});
    } else if (r < 0.75) {
      s.push_back({pick(modals), "MD"});
      s.push_back({pick(base), "VB"});
    } else {
      s.push_back({"is", "VBZ"});
      if (chance(0.4)) {
        s.push_back(chance(0.3) ? new_word("JJ")
                                : std::pair<std::string, std::string>{pick(adjectives_after_is), "JJ"});
        return;
      }
      s.push_back(new_word("VBG"));
    }
    noun_phrase(s, false);
    if (chance(0.3))
      s.push_back(chance(0.3) ? new_word("RB") : std::pair<std::string, std::string>{pick(adverbs), "RB"});
  }

  static constexpr const char* const adjectives_after_is[] = {"light", "fast", "still", "old", "new"};
  recur::Rng rng_;
};

}  // namespace tagging
