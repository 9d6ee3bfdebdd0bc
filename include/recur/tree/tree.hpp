// Parse trees stored flat in post-order (children before parents, the root last), read from and
// written to the Penn Treebank bracket format of the Sentiment Treebank:
//   (3 (2 It) (4 (2 's) (4 good)))
// Forward over a tree is a loop over its nodes, backward the reverse loop: no recursion, no
// pointers. The reader is iterative too, so a hostile file cannot overflow the stack.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <istream>
#include <string>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/types.hpp"
#include "recur/io/input_file.hpp"

namespace recur::tree {

struct Node {
  Index left = -1, right = -1;  ///< children (node indices), -1 at a leaf
  Index word = -1;              ///< at a leaf: its position in Tree::words
  int label = -1;               ///< the label as an integer, -1 if none or not an integer
  std::string tag;              ///< the label as written ("3", "NP"); "@NP" marks a binarization node
  bool leaf() const { return left < 0; }
};

struct Tree {
  std::vector<Node> nodes;         ///< post-order
  std::vector<std::string> words;  ///< leaf tokens in sentence order, as written (-LRB- stays -LRB-)

  Index size() const { return static_cast<Index>(nodes.size()); }
  Index root() const { return size() - 1; }
  const Node& node(Index i) const { return nodes[static_cast<std::size_t>(i)]; }
  Node& node(Index i) { return nodes[static_cast<std::size_t>(i)]; }
};

struct ReadOptions {
  bool integer_labels = true;  ///< labels must be integers (sentiment classes)
  bool require_labels = true;  ///< every node needs a label
  bool require_binary = true;  ///< more than two children is an error; otherwise right-factored
  bool collapse_unary = true;  ///< a node with one child becomes that child (keeping the upper
                               ///< label); otherwise an error
  bool unlabeled = false;      ///< every atom is a word of its own: "((the movie) (is good))"
  int label_limit = -1;        ///< if >= 0, integer labels must lie in 0..label_limit
};

/// The token as text: -LRB- -> (, -RRB- -> ), \/ -> /, \* -> *.
inline std::string unescape(const std::string& token) {
  if (token == "-LRB-" || token == "-LCB-" || token == "-LSB-")
    return token == "-LRB-" ? "(" : token == "-LCB-" ? "{" : "[";
  if (token == "-RRB-" || token == "-RCB-" || token == "-RSB-")
    return token == "-RRB-" ? ")" : token == "-RCB-" ? "}" : "]";
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '\\' && i + 1 < token.size() && (token[i + 1] == '/' || token[i + 1] == '*')) continue;
    out += token[i];
  }
  return out;
}

/// A word as the treebank writes it: ( -> -LRB-, ) -> -RRB-.
inline std::string escape(const std::string& word) {
  if (word == "(") return "-LRB-";
  if (word == ")") return "-RRB-";
  return word;
}

namespace detail {

inline bool parse_int(const std::string& s, int& out) {
  if (s.empty() || s.size() > 9) return false;
  std::size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (std::size_t k = i; k < s.size(); ++k)
    if (s[k] < '0' || s[k] > '9') return false;
  out = std::atoi(s.c_str());
  return true;
}

inline bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace detail

/// Parses one bracketed tree. `where` prefixes errors ("file:line"); columns are 1-based.
/// Throws io_error naming the column and the problem.
inline Tree parse(const std::string& text, const ReadOptions& options = {}, const std::string& where = "tree") {
  struct Frame {
    std::size_t open;  // column of '('
    std::vector<std::string> atoms;
    std::vector<std::size_t> atom_cols;
    std::vector<Index> children;
  };
  Tree t;
  std::vector<Frame> stack;
  bool done = false;
  auto fail = [&](std::size_t col, const std::string& what) -> void {
    throw io_error(where + ":" + std::to_string(col) + ": " + what);
  };
  auto add = [&](Node n) {
    t.nodes.push_back(std::move(n));
    return t.size() - 1;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const std::size_t col = i + 1;
    if (detail::space(c)) {
      ++i;
      continue;
    }
    if (done) fail(col, "text after the end of the tree");
    if (c == '(') {
      stack.push_back(Frame{col, {}, {}, {}});
      ++i;
      continue;
    }
    if (stack.empty()) fail(col, "expected '(' to start a tree");
    if (c == ')') {
      Frame f = std::move(stack.back());
      stack.pop_back();
      Node n;
      // Atoms: [label] token at a leaf; [label] before children at an inner node.
      const bool leaf = f.children.empty();
      std::size_t label_at = 0;
      if (leaf) {
        if (f.atoms.empty()) fail(f.open, "empty node '()'");
        if (f.atoms.size() > 2) fail(f.atom_cols[2], "a leaf holds more than a label and one word");
        if (f.atoms.size() == 2) {
          n.tag = f.atoms[0];
          label_at = f.atom_cols[0];
        }
        n.word = static_cast<Index>(t.words.size());
        t.words.push_back(f.atoms.back());
      } else {
        if (f.atoms.size() > 1) fail(f.atom_cols[1], "a word beside bracketed children");
        if (f.atoms.size() == 1) {
          n.tag = f.atoms[0];
          label_at = f.atom_cols[0];
        }
      }
      if (n.tag.empty() && options.require_labels) fail(f.open, "a node without a label");
      if (!n.tag.empty() && !detail::parse_int(n.tag, n.label) && options.integer_labels)
        fail(label_at, "label '" + n.tag + "' is not an integer");
      if (!n.tag.empty() && options.label_limit >= 0 && (n.label < 0 || n.label > options.label_limit))
        fail(label_at, "label '" + n.tag + "' is outside 0.." + std::to_string(options.label_limit));
      Index id = -1;
      if (leaf) {
        id = add(n);
      } else if (f.children.size() == 1) {
        if (!options.collapse_unary) fail(f.open, "a node with one child (unary chains are not allowed here)");
        id = f.children[0];  // keep the child's structure, take the upper label
        t.node(id).tag = n.tag;
        t.node(id).label = n.label;
      } else {
        if (f.children.size() > 2 && options.require_binary)
          fail(f.open, std::to_string(f.children.size()) + " children where a binarized tree is required");
        // Right-factored: (A b c d) -> (A b (@A c d)).
        Index right = f.children.back();
        for (std::size_t k = f.children.size() - 1; k-- > 1;) {
          Node mid;
          mid.left = f.children[k];
          mid.right = right;
          mid.tag = "@" + n.tag;
          right = add(mid);
        }
        n.left = f.children[0];
        n.right = right;
        id = add(n);
      }
      if (stack.empty())
        done = true;
      else
        stack.back().children.push_back(id);
      ++i;
      continue;
    }
    // An atom: everything up to a space or a bracket.
    std::size_t end = i;
    while (end < text.size() && !detail::space(text[end]) && text[end] != '(' && text[end] != ')') ++end;
    Frame& f = stack.back();
    if (options.unlabeled) {  // a word of its own
      Node leaf;
      leaf.word = static_cast<Index>(t.words.size());
      t.words.push_back(text.substr(i, end - i));
      f.children.push_back(add(leaf));
      i = end;
      continue;
    }
    if (!f.children.empty()) fail(col, "a word after bracketed children");
    f.atoms.push_back(text.substr(i, end - i));
    f.atom_cols.push_back(col);
    i = end;
  }
  if (!stack.empty())
    fail(stack.back().open, "unbalanced brackets: " + std::to_string(stack.size()) + " '(' never closed");
  if (!done) throw io_error(where + ": empty tree");
  return t;
}

/// The tree in bracket format; `labels` (one per node) replaces the labels if given.
/// Binarization nodes ("@X") are spliced back into their parents.
inline std::string to_string(const Tree& t, const std::vector<int>* labels = nullptr) {
  if (t.nodes.empty()) return "";
  std::string out;
  // Iterative pre-order walk: a node is written as '(' label children ')'.
  struct Item {
    Index node;
    int state;  // 0: open, 1: close
  };
  std::vector<Item> todo{{t.root(), 0}};
  auto tag_of = [&](Index i) {
    if (labels) return std::to_string((*labels)[static_cast<std::size_t>(i)]);
    return t.node(i).tag;
  };
  auto is_marker = [&](Index i) {
    return !labels && !t.node(i).leaf() && !t.node(i).tag.empty() && t.node(i).tag[0] == '@';
  };
  while (!todo.empty()) {
    const Item it = todo.back();
    todo.pop_back();
    const Node& n = t.node(it.node);
    if (it.state == 1) {
      out += ')';
      continue;
    }
    const bool spliced = is_marker(it.node) && it.node != t.root();
    if (!spliced) {
      if (!out.empty() && out.back() != '(') out += ' ';
      out += '(';
      const std::string tag = tag_of(it.node);
      out += tag;
      todo.push_back({it.node, 1});
      if (n.leaf()) {
        out += (tag.empty() ? "" : " ") + t.words[static_cast<std::size_t>(n.word)];
        continue;
      }
    }
    todo.push_back({n.right, 0});
    todo.push_back({n.left, 0});
  }
  return out;
}

/// Trees read from a file, one per line.
struct TreeFile {
  std::vector<Tree> trees;
  std::size_t skipped = 0;  ///< bad lines skipped (skip_bad)
  std::string first_error;  ///< the first of them
};

/// Reads one tree per non-blank line of `in`; `origin` names the source in errors. A bad line
/// throws io_error naming origin, line and column, unless `skip_bad`: then it is counted and
/// the first error kept.
inline TreeFile read_stream(std::istream& in, const std::string& origin, const ReadOptions& options = {},
                            bool skip_bad = false) {
  TreeFile out;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      out.trees.push_back(parse(line, options, origin + ":" + std::to_string(number)));
    } catch (const io_error& e) {
      if (!skip_bad) throw;
      if (out.skipped++ == 0) out.first_error = e.what();
    }
  }
  if (in.bad()) throw io_error(origin + ": read error");
  return out;
}

/// read_stream over the file at `path`.
inline TreeFile read_file(const std::string& path, const ReadOptions& options = {}, bool skip_bad = false) {
  std::ifstream in = io::open_input(path);
  return read_stream(in, path, options, skip_bad);
}

}  // namespace recur::tree
