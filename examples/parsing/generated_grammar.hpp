// A small treebank generated from a grammar written for recur, in the Penn Treebank's layout:
// sentences with noun, verb and prepositional phrases where the part-of-speech tags alone do
// not decide the structure. A "with" phrase attaches to the verb when it names an instrument
// ("ate the soup with a spoon") and to the noun when it names a part or accessory ("saw the
// man with a hat"), so a parser must learn from the words; "of" phrases always attach to the
// noun. Right-branching attaches every phrase to the nearest word and gets some of it right.
#pragma once

#include <recur/core/rng.hpp>

#include <string>
#include <vector>

namespace parsing {

class GrammarGenerator {
 public:
  explicit GrammarGenerator(std::uint64_t seed) : rng_(seed) {}

  /// One sentence as a bracketed tree on one line.
  std::string sentence() {
    std::string s = "(S " + subject() + " " + verb_phrase();
    if (rng_.uniform() < 0.7) s += " (. .)";
    return s + ")";
  }

  std::vector<std::string> sentences(std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(sentence());
    return out;
  }

 private:
  template <std::size_t N>
  std::string pick(const char* const (&words)[N]) {
    return words[rng_.below(N)];
  }

  std::string noun_phrase(const char* const* nouns, std::size_t count, bool allow_of) {
    std::string np = "(NP (DT " + pick(determiners) + ")";
    if (rng_.uniform() < 0.4) np += " (JJ " + pick(adjectives) + ")";
    np += " (NN " + std::string(nouns[rng_.below(count)]) + "))";
    if (allow_of && rng_.uniform() < 0.25)
      np = "(NP " + np + " (PP (IN of) " + noun_phrase(things, std::size(things), false) + "))";
    return np;
  }

  std::string subject() {
    const double u = rng_.uniform();
    if (u < 0.2) return "(NP (PRP " + pick(pronouns) + "))";
    if (u < 0.35) return "(NP (NNP " + pick(names) + "))";
    return noun_phrase(people, std::size(people), true);
  }

  std::string verb_phrase() {
    const double u = rng_.uniform();
    const std::string object = noun_phrase(rng_.uniform() < 0.5 ? people : things, 8, true);
    if (u < 0.15) return "(VP (MD " + pick(modals) + ") (VP (VB " + pick(base_verbs) + ") " + object + "))";
    if (u < 0.25)
      return "(VP (VBD " + pick(motion_verbs) + ") (PP (IN " + pick(places_prep) + ") " +
             noun_phrase(places, std::size(places), false) + "))";
    const std::string verb = "(VBD " + pick(verbs) + ")";
    if (u < 0.55) return "(VP " + verb + " " + object + ")";
    if (u < 0.8)  // an instrument: the verb's
      return "(VP " + verb + " " + object + " (PP (IN with) " +
             noun_phrase(instruments, std::size(instruments), false) + "))";
    // an accessory: the noun's
    return "(VP " + verb + " (NP " + object + " (PP (IN with) " +
           noun_phrase(accessories, std::size(accessories), false) + ")))";
  }

  static constexpr const char* determiners[] = {"the", "a", "every", "this", "that"};
  static constexpr const char* adjectives[] = {"old", "young", "tall", "small", "red", "quiet", "clever", "tired"};
  static constexpr const char* pronouns[] = {"she", "he", "they", "we"};
  static constexpr const char* names[] = {"Anna", "Boris", "Chen", "Dara", "Emil"};
  static constexpr const char* people[] = {"man", "woman", "child", "teacher", "farmer", "student", "doctor", "sailor"};
  static constexpr const char* things[] = {"soup", "letter", "box", "car", "book", "window", "cake", "door"};
  static constexpr const char* instruments[] = {"spoon", "knife", "hammer", "telescope", "key", "brush", "pen"};
  static constexpr const char* accessories[] = {"hat", "scarf", "beard", "umbrella", "dog", "smile", "coat"};
  static constexpr const char* places[] = {"park", "river", "station", "garden", "market"};
  static constexpr const char* places_prep[] = {"to", "into", "across", "toward"};
  static constexpr const char* verbs[] = {"saw", "opened", "painted", "hit", "found", "cleaned", "watched"};
  static constexpr const char* motion_verbs[] = {"walked", "ran", "drove", "swam"};
  static constexpr const char* modals[] = {"will", "can", "must"};
  static constexpr const char* base_verbs[] = {"see", "open", "paint", "find"};

  recur::Rng rng_;
};

}  // namespace parsing
