// Penn Treebank files (.mrg): bracketed trees over several lines, "( (S (NP-SBJ (NNP Pierre)
// ...) (. .)) )". Reading them as n-ary constituents, the agreed preprocessing (function tags
// stripped, -NONE- elements and the nodes they leave empty removed), conversion to recur's
// binarized Tree for training, and evalb-style bracket scoring.
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/io/input_file.hpp"
#include "recur/tree/tree.hpp"

namespace recur::tree {

/// One node of an n-ary treebank tree: a phrase (label and children) or a preterminal
/// (part-of-speech label and word).
struct Constituent {
  std::string label;  ///< "NP", "NN"; empty for the treebank's unlabeled outer brackets
  std::string word;   ///< at a preterminal
  std::vector<Constituent> children;
  std::size_t line = 0, column = 0;  ///< where its '(' is in the file (0: made, not read)
  bool preterminal() const { return children.empty(); }
};

/// Nesting deeper than this is refused (no real sentence comes close; it bounds the stack).
inline constexpr std::size_t max_treebank_depth = 400;

/// Parses every tree in `text` (`origin` names it in errors: origin:line:column).
inline std::vector<Constituent> parse_treebank(const std::string& text, const std::string& origin) {
  std::vector<Constituent> trees;
  struct Open {
    Constituent node;
    std::size_t line, col;
    std::vector<std::string> atoms;
  };
  std::vector<Open> stack;
  std::size_t line = 1, col = 1;
  auto fail = [&](std::size_t l, std::size_t c, const std::string& what) -> void {
    throw io_error(origin + ":" + std::to_string(l) + ":" + std::to_string(c) + ": " + what);
  };
  for (std::size_t i = 0; i < text.size();) {
    const char ch = text[i];
    if (ch == '\n') {
      ++line;
      col = 1;
      ++i;
      continue;
    }
    if (ch == ' ' || ch == '\t' || ch == '\r') {
      ++col;
      ++i;
      continue;
    }
    if (ch == '(') {
      if (stack.size() >= max_treebank_depth)
        fail(line, col, "brackets nested deeper than " + std::to_string(max_treebank_depth));
      if (!stack.empty() && stack.back().atoms.size() > 1)
        fail(line, col, "a bracket after a word ('" + stack.back().atoms.back() + "')");
      stack.push_back(Open{{}, line, col, {}});
      stack.back().node.line = line;
      stack.back().node.column = col;
      ++col;
      ++i;
      continue;
    }
    if (ch == ')') {
      if (stack.empty()) fail(line, col, "')' without a matching '('");
      Open open = std::move(stack.back());
      stack.pop_back();
      Constituent& n = open.node;
      if (open.atoms.empty() && n.children.empty()) fail(open.line, open.col, "empty brackets '()'");
      if (n.children.empty()) {  // a preterminal: (TAG word)
        if (open.atoms.size() != 2)
          fail(
              open.line, open.col,
              open.atoms.size() == 1 ? "a word without a tag ('" + open.atoms[0] + "')" : "more than a tag and a word");
        n.label = open.atoms[0];
        n.word = open.atoms[1];
      } else if (!open.atoms.empty()) {
        n.label = open.atoms[0];
      }
      if (stack.empty())
        trees.push_back(std::move(n));
      else
        stack.back().node.children.push_back(std::move(n));
      ++col;
      ++i;
      continue;
    }
    if (stack.empty()) fail(line, col, "text outside brackets");
    std::size_t end = i;
    while (end < text.size() && text[end] != '(' && text[end] != ')' && text[end] != ' ' && text[end] != '\t' &&
           text[end] != '\r' && text[end] != '\n')
      ++end;
    Open& open = stack.back();
    if (!open.node.children.empty()) fail(line, col, "a word after bracketed children");
    if (open.atoms.size() >= 2) fail(line, col, "more than a tag and a word");
    open.atoms.push_back(text.substr(i, end - i));
    col += end - i;
    i = end;
  }
  if (!stack.empty())
    fail(stack.back().line, stack.back().col,
         "unbalanced brackets: " + std::to_string(stack.size()) + " '(' never closed");
  return trees;
}

/// Reads a .mrg file.
inline std::vector<Constituent> read_treebank(const std::string& path) {
  return parse_treebank(io::read_input(path), path);
}

/// The Penn Treebank's phrase labels and part-of-speech tags (Bies et al. 1995, Santorini 1990).
inline const std::set<std::string>& penn_treebank_labels() {
  static const std::set<std::string> labels = {
      "ADJP", "ADVP", "CONJP", "FRAG", "INTJ",  "LST",  "NAC", "NP",    "NX",    "PP",     "PRN",    "PRT",
      "QP",   "RRC",  "S",     "SBAR", "SBARQ", "SINV", "SQ",  "UCP",   "VP",    "WHADJP", "WHADVP", "WHNP",
      "WHPP", "X",    "CC",    "CD",   "DT",    "EX",   "FW",  "IN",    "JJ",    "JJR",    "JJS",    "LS",
      "MD",   "NN",   "NNS",   "NNP",  "NNPS",  "PDT",  "POS", "PRP",   "PRP$",  "RB",     "RBR",    "RBS",
      "RP",   "SYM",  "TO",    "UH",   "VB",    "VBD",  "VBG", "VBN",   "VBP",   "VBZ",    "WDT",    "WP",
      "WP$",  "WRB",  "#",     "$",    ".",     ",",    ":",   "-LRB-", "-RRB-", "``",     "''",     "-NONE-"};
  return labels;
}

/// "NP-SBJ-1" -> "NP", "PP=2" -> "PP"; "-NONE-", "-LRB-" and "=" stay (nothing would be left).
inline std::string strip_function_tags(const std::string& label) {
  const std::string base = label.substr(0, label.find_first_of("-="));
  return base.empty() ? label : base;
}

/// Throws io_error naming origin, line and column of the first label (after stripping function
/// tags) that is not a Penn Treebank label; "A|B" (the treebank's "either") needs both known.
/// The unlabeled outer brackets are allowed.
inline void check_labels(const Constituent& c, const std::string& origin) {
  const std::string label = strip_function_tags(c.label);
  bool known = !label.empty() || !c.preterminal();
  for (std::size_t begin = 0; known && !label.empty() && begin <= label.size();) {
    const std::size_t bar = std::min(label.find('|', begin), label.size());
    known = penn_treebank_labels().count(label.substr(begin, bar - begin)) > 0;
    begin = bar + 1;
  }
  if (!known)
    throw io_error(origin + ":" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": unknown label '" +
                   c.label + "' (not a Penn Treebank label)");
  for (const auto& child : c.children) check_labels(child, origin);
}

/// The agreed preprocessing: function tags stripped, -NONE- elements removed with the nodes
/// they leave empty, and the unlabeled outer brackets removed. Returns false if nothing is left.
inline bool normalize(Constituent& c) {
  c.label = strip_function_tags(c.label);
  if (c.preterminal()) return c.label != "-NONE-";
  std::vector<Constituent> kept;
  for (auto& child : c.children)
    if (normalize(child)) kept.push_back(std::move(child));
  c.children = std::move(kept);
  if (c.children.empty()) return false;
  if (c.label.empty() && c.children.size() == 1) {
    Constituent inner = std::move(c.children[0]);
    c = std::move(inner);
  }
  return true;
}

/// The words and their part-of-speech tags, in order.
inline void leaves(const Constituent& c, std::vector<std::string>& words, std::vector<std::string>& tags) {
  if (c.preterminal()) {
    words.push_back(c.word);
    tags.push_back(c.label);
    return;
  }
  for (const auto& child : c.children) leaves(child, words, tags);
}

namespace detail {
inline void write_binarizable(const Constituent& c, std::string& out) {
  if (c.preterminal()) {
    out += "(" + c.label + " " + c.word + ")";
    return;
  }
  // A phrase over one preterminal is a one-word span (not scored): the preterminal stands for
  // it. A unary chain of phrases keeps its upper label.
  const Constituent* body = &c;
  while (body->children.size() == 1 && !body->children[0].preterminal()) body = &body->children[0];
  if (body->children.size() == 1) {
    write_binarizable(body->children[0], out);
    return;
  }
  out += "(" + (c.label.empty() ? std::string("X") : c.label);
  for (const auto& child : body->children) {
    out += ' ';
    write_binarizable(child, out);
  }
  out += ')';
}
}  // namespace detail

/// The binarized Tree of a normalized constituent: unary chains collapsed to their upper label
/// (a phrase over a single word becomes that word's leaf), n-ary nodes right-factored with
/// "@X" intermediate nodes. Leaves carry the part-of-speech tag as their tag.
inline Tree binarize(const Constituent& c) {
  std::string text;
  detail::write_binarizable(c, text);
  ReadOptions o;
  o.integer_labels = false;
  o.require_binary = false;
  o.collapse_unary = false;
  return parse(text, o, "binarize");
}

/// The n-ary constituent of a binarized Tree: "@X" nodes spliced into their parents; leaves
/// become preterminals with the leaf's tag (or `tags[i]` when given).
inline Constituent unbinarize(const Tree& t, const std::vector<std::string>* tags = nullptr) {
  std::vector<Constituent> built(static_cast<std::size_t>(t.size()));
  for (Index i = 0; i < t.size(); ++i) {  // post-order: children first
    const Node& n = t.node(i);
    Constituent& c = built[static_cast<std::size_t>(i)];
    if (n.leaf()) {
      c.word = t.words[static_cast<std::size_t>(n.word)];
      c.label = tags ? (*tags)[static_cast<std::size_t>(n.word)] : n.tag;
      continue;
    }
    c.label = n.tag;
    for (Index child : {n.left, n.right}) {
      Constituent& k = built[static_cast<std::size_t>(child)];
      if (!k.preterminal() && !k.label.empty() && k.label[0] == '@') {
        for (auto& g : k.children) c.children.push_back(std::move(g));
      } else {
        c.children.push_back(std::move(k));
      }
    }
  }
  Constituent root = std::move(built.back());
  if (!root.preterminal() && !root.label.empty() && root.label[0] == '@') root.label = root.label.substr(1);
  return root;
}

/// The constituent in bracket format on one line: "(S (NP (DT the) (NN cat)) (VP (VBD sat)))".
inline std::string to_string(const Constituent& c) {
  if (c.preterminal()) return "(" + c.label + " " + c.word + ")";
  std::string out = "(" + c.label;
  for (const auto& child : c.children) out += " " + to_string(child);
  return out + ")";
}

/// Indented over several lines: a phrase whose children are all preterminals stays on one line.
inline std::string to_indented_string(const Constituent& c, int depth = 0) {
  const std::string pad(static_cast<std::size_t>(2 * depth), ' ');
  bool flat = true;
  for (const auto& child : c.children) flat = flat && child.preterminal();
  if (flat) return pad + to_string(c) + "\n";
  std::string out = pad + "(" + c.label + "\n";
  for (const auto& child : c.children) out += to_indented_string(child, depth + 1);
  out.insert(out.size() - 1, ")");
  return out;
}

/// Bracketed spans for evalb-style scoring: (label, first, end) over the words that are not
/// punctuation (the tags of COLLINS.prm: , : `` '' .), every phrase but the root, spans left
/// empty by removing punctuation dropped.
using Bracket = std::tuple<std::string, Index, Index>;

inline bool punctuation_tag(const std::string& tag) {
  return tag == "," || tag == ":" || tag == "``" || tag == "''" || tag == ".";
}

namespace detail {
/// Returns the span of c over non-punctuation words starting at `position` (advanced).
inline std::pair<Index, Index> collect(const Constituent& c, Index& position, bool root, std::vector<Bracket>& out) {
  if (c.preterminal()) {
    if (punctuation_tag(c.label)) return {position, position};
    ++position;
    return {position - 1, position};
  }
  const Index first = position;
  for (const auto& child : c.children) collect(child, position, false, out);
  if (!root && position > first) out.emplace_back(c.label, first, position);
  return {first, position};
}
}  // namespace detail

inline std::vector<Bracket> brackets(const Constituent& c) {
  std::vector<Bracket> out;
  Index position = 0;
  detail::collect(c, position, true, out);
  return out;
}

/// Labeled and unlabeled bracketing precision, recall and F1 summed over sentences, with
/// per-label counts.
struct BracketScore {
  struct Counts {
    double matched = 0, gold = 0, predicted = 0;
    double precision() const { return predicted > 0 ? 100 * matched / predicted : 0; }
    double recall() const { return gold > 0 ? 100 * matched / gold : 0; }
    double f1() const {
      const double p = precision(), r = recall();
      return p + r > 0 ? 2 * p * r / (p + r) : 0;
    }
  };
  Counts labeled, unlabeled;
  std::map<std::string, Counts> by_label;
  std::size_t sentences = 0;

  void add(const std::vector<Bracket>& gold, const std::vector<Bracket>& predicted) {
    ++sentences;
    std::multiset<Bracket> g(gold.begin(), gold.end());
    std::multiset<std::pair<Index, Index>> gu;
    for (const auto& [label, a, b] : gold) {
      gu.emplace(a, b);
      by_label[label].gold += 1;
    }
    for (const auto& [label, a, b] : predicted) {
      by_label[label].predicted += 1;
      auto it = g.find({label, a, b});
      if (it != g.end()) {
        g.erase(it);
        labeled.matched += 1;
        by_label[label].matched += 1;
      }
      auto u = gu.find({a, b});
      if (u != gu.end()) {
        gu.erase(u);
        unlabeled.matched += 1;
      }
    }
    labeled.gold += static_cast<double>(gold.size());
    unlabeled.gold += static_cast<double>(gold.size());
    labeled.predicted += static_cast<double>(predicted.size());
    unlabeled.predicted += static_cast<double>(predicted.size());
  }
};

/// Right- or left-branching binary trees over n words, every phrase labelled `label`.
inline Constituent branching(const std::vector<std::string>& words, const std::vector<std::string>& tags, bool right,
                             const std::string& label) {
  const std::size_t n = words.size();
  if (n == 0) throw value_error("branching: no words");
  auto leaf = [&](std::size_t i) {
    Constituent c;
    c.label = tags[i];
    c.word = words[i];
    return c;
  };
  Constituent acc = leaf(right ? n - 1 : 0);
  for (std::size_t k = 1; k < n; ++k) {
    Constituent p;
    p.label = label;
    Constituent next = leaf(right ? n - 1 - k : k);
    if (right) {
      p.children.push_back(std::move(next));
      p.children.push_back(std::move(acc));
    } else {
      p.children.push_back(std::move(acc));
      p.children.push_back(std::move(next));
    }
    acc = std::move(p);
  }
  return acc;
}

}  // namespace recur::tree
