// Fuzzes the PTB bracket reader: any bytes, under option sets picked by the first byte. A tree
// that parses must be written and read back to the same text (the writer splices "@X"
// binarization nodes, so the round trip reads without require_binary).
#include <sstream>
#include <string>

#include "fuzz_entry.hpp"
#include "recur/tree/tree.hpp"
#include "recur/tree/treebank.hpp"

extern "C" int RECUR_FUZZ_ENTRY(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  namespace tree = recur::tree;
  const std::uint8_t flags = data[0];
  tree::ReadOptions options;
  options.integer_labels = flags & 1;
  options.require_labels = flags & 2;
  options.require_binary = flags & 4;
  options.collapse_unary = flags & 8;
  options.unlabeled = (flags & 16) && !options.require_labels;
  options.label_limit = (flags & 32) ? 4 : -1;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);

  if (flags & 128) {  // the Penn Treebank (.mrg) reader: binarizing keeps the words and tags
    std::vector<tree::Constituent> trees;
    try {
      trees = tree::parse_treebank(text, "fuzz");
    } catch (const recur::io_error&) {
      return 0;
    }
    for (auto& c : trees) {
      if (!tree::normalize(c)) continue;
      std::vector<std::string> words, tags, words2, tags2;
      tree::leaves(c, words, tags);
      const tree::Tree t = tree::binarize(c);  // throws (a crash) if the writer made bad text
      RECUR_FUZZ_CHECK(t.words == words);
      tree::leaves(tree::unbinarize(t), words2, tags2);
      RECUR_FUZZ_CHECK(words2 == words && tags2 == tags);
      for (const auto& [label, a, b] : tree::brackets(c)) RECUR_FUZZ_CHECK(a < b);
    }
    return 0;
  }

  std::istringstream in(text);
  tree::TreeFile file;
  try {
    file = tree::read_stream(in, "fuzz", options, /*skip_bad=*/flags & 64);
  } catch (const recur::io_error&) {
    return 0;
  }
  tree::ReadOptions again = options;
  again.require_binary = false;
  again.collapse_unary = true;
  again.label_limit = -1;
  for (const tree::Tree& t : file.trees) {
    RECUR_FUZZ_CHECK(!t.nodes.empty());
    for (const tree::Node& n : t.nodes) {  // post-order: children before parents
      RECUR_FUZZ_CHECK((n.left < 0) == (n.right < 0));
      RECUR_FUZZ_CHECK(n.leaf() ? n.word >= 0 && n.word < static_cast<recur::Index>(t.words.size()) : true);
    }
    for (recur::Index i = 0; i < t.size(); ++i)
      if (!t.node(i).leaf()) RECUR_FUZZ_CHECK(t.node(i).left < i && t.node(i).right < i);
    const std::string written = tree::to_string(t);
    const tree::Tree back = tree::parse(written, again, "round trip");  // throws (a crash) if unreadable
    RECUR_FUZZ_CHECK(tree::to_string(back) == written);
    RECUR_FUZZ_CHECK(back.words == t.words);
  }
  return 0;
}
