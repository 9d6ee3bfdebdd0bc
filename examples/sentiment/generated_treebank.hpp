// A small treebank generated from a lexicon and a grammar written for recur, with sentiment that
// composes the way real sentences do: negation flips a phrase ("not good" is negative, "not
// bad" mildly positive), intensifiers strengthen it ("very good"), and "but" lets the second
// clause decide ("the plot is dull but the acting is brilliant" is positive). A bag of words
// cannot see any of this; a recursive net can. Labels 0..4 on every node, as in the SST.
#pragma once

#include <recur/core/rng.hpp>
#include <recur/tree/tree.hpp>

#include <string>
#include <vector>

namespace sentiment {

struct Word {
  const char* text;
  int value;  // -2 .. 2
};

/// Builds trees and their bracket text; value v in [-2, 2] is label v + 2.
class TreebankGenerator {
 public:
  explicit TreebankGenerator(std::uint64_t seed) : rng_(seed) {}

  /// One sentence as bracket text.
  std::string sentence() {
    if (rng_.uniform() < 0.3) {  // S -> S but S: the second clause decides
      const Phrase a = clause(), b = clause();
      const Phrase but = combine(leaf("but", 0), b, b.value);
      return combine(a, but, b.value).text;
    }
    return clause().text;
  }

  std::vector<std::string> sentences(std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(sentence());
    return out;
  }

 private:
  struct Phrase {
    std::string text;
    int value;
  };

  static Phrase leaf(const char* word, int value) {
    return {"(" + std::to_string(value + 2) + " " + word + ")", value};
  }
  static Phrase combine(const Phrase& a, const Phrase& b, int value) {
    return {"(" + std::to_string(value + 2) + " " + a.text + " " + b.text + ")", value};
  }
  template <std::size_t N>
  const Word& pick(const Word (&words)[N]) {
    return words[rng_.below(N)];
  }

  // clause -> NP VP; NP -> det noun; VP -> verb ADJP; ADJP -> [not] [very] adjective
  Phrase clause() {
    static const Word dets[] = {{"the", 0}, {"this", 0}, {"its", 0}};
    static const Word nouns[] = {{"movie", 0}, {"film", 0},   {"plot", 0},   {"acting", 0}, {"story", 0},
                                 {"cast", 0},  {"ending", 0}, {"script", 0}, {"music", 0},  {"pacing", 0}};
    static const Word verbs[] = {{"is", 0}, {"was", 0}, {"seems", 0}};
    static const Word adjectives[] = {{"good", 1},   {"fine", 1},      {"charming", 1},  {"funny", 1},
                                      {"great", 2},  {"brilliant", 2}, {"wonderful", 2}, {"superb", 2},
                                      {"bad", -1},   {"dull", -1},     {"boring", -1},   {"clumsy", -1},
                                      {"awful", -2}, {"terrible", -2}, {"dreadful", -2}, {"unwatchable", -2},
                                      {"long", 0},   {"french", 0},    {"loud", 0},      {"new", 0}};
    static const Word intensifiers[] = {{"very", 0}, {"really", 0}, {"truly", 0}};
    static const Word negations[] = {{"not", 0}, {"never", 0}};

    const Word& d = pick(dets);
    const Word& n = pick(nouns);
    const Phrase np = combine(leaf(d.text, 0), leaf(n.text, 0), 0);
    const Word& a = pick(adjectives);
    Phrase adj = leaf(a.text, a.value);
    if (rng_.uniform() < 0.35) {  // very good: stronger
      const Word& w = pick(intensifiers);
      const int v = a.value > 0 ? 2 : a.value < 0 ? -2 : 0;
      adj = combine(leaf(w.text, 0), adj, v);
    }
    if (rng_.uniform() < 0.4) {  // not good: flipped, and never stronger than mild
      const Word& w = pick(negations);
      const int v = adj.value > 0 ? -1 : adj.value < 0 ? 1 : 0;
      adj = combine(leaf(w.text, 0), adj, v);
    }
    const Word& verb = pick(verbs);
    const Phrase vp = combine(leaf(verb.text, 0), adj, adj.value);
    return combine(np, vp, vp.value);
  }

  recur::Rng rng_;
};

}  // namespace sentiment
