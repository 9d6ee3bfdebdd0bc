// Trees: the bracket reader and writer (every malformed case), binarization, the vocabulary,
// the recursive (tensor) network against hand values and finite differences, the treebank
// reader and bracket scorer, and the chart parser against brute force.
#include <recur/tree/chart_parser.hpp>
#include <recur/tree/recursive_net.hpp>
#include <recur/tree/sharded_training.hpp>
#include <recur/tree/treebank.hpp>
#include <recur/tree/vocabulary.hpp>
#include <recur/tree/word_vectors.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "error_of.hpp"
#include "helpers.hpp"

using namespace recur;
using namespace recur::tree;

using test::error_of;

TEST_CASE("a treebank line is read in post-order and written back unchanged", "[tree][read]") {
  const std::string line = "(3 (2 It) (4 (4 (2 's) (4 good)) (2 -LRB-)))";
  const Tree t = parse(line);
  REQUIRE(t.size() == 7);
  CHECK(t.words == std::vector<std::string>{"It", "'s", "good", "-LRB-"});
  CHECK(t.node(t.root()).label == 3);
  for (Index i = 0; i < t.size(); ++i)
    if (!t.node(i).leaf()) {
      CHECK(t.node(i).left < i);
      CHECK(t.node(i).right < i);
    }
  CHECK(t.node(0).word == 0);
  CHECK(t.node(0).label == 2);
  CHECK(to_string(t) == line);
  CHECK(unescape("-LRB-") == "(");
  CHECK(unescape("1\\/2") == "1/2");
  CHECK(escape(")") == "-RRB-");
  // Labels replaced, e.g. by predictions.
  const std::vector<int> labels{0, 1, 2, 3, 4, 0, 1};
  CHECK(to_string(t, &labels) == "(1 (0 It) (0 (3 (1 's) (2 good)) (4 -LRB-)))");
}

TEST_CASE("malformed trees name the column and the problem", "[tree][read]") {
  CHECK(error_of([] { parse("(3 (2 It) (4 good)", {}, "f:7"); }) == "f:7:1: unbalanced brackets: 1 '(' never closed");
  CHECK(error_of([] { parse("(3 (2 It) ()) ", {}, "f:1"); }) == "f:1:11: empty node '()'");
  CHECK(error_of([] { parse("(x (2 a) (2 b))", {}, "f:1"); }) == "f:1:2: label 'x' is not an integer");
  CHECK(error_of([] { parse("(3 (2 a) (2 b) (2 c))", {}, "f:1"); }) ==
        "f:1:1: 3 children where a binarized tree is required");
  CHECK(error_of([] { parse("(3 a b)", {}, "f:1"); }) == "f:1:6: a leaf holds more than a label and one word");
  CHECK(error_of([] { parse("(3 (2 a) b)", {}, "f:1"); }) == "f:1:10: a word after bracketed children");
  CHECK(error_of([] { parse("(2 a) (2 b)", {}, "f:1"); }) == "f:1:7: text after the end of the tree");
  CHECK(error_of([] { parse("word", {}, "f:1"); }) == "f:1:1: expected '(' to start a tree");
  CHECK(error_of([] { parse("((2 a) (2 b))", {}, "f:1"); }) == "f:1:1: a node without a label");
  CHECK(error_of([] { parse("   ", {}, "f:1"); }) == "f:1: empty tree");
  CHECK(error_of([] { parse("(3 (2 a) (2 b)))", {}, "f:1"); }) == "f:1:16: text after the end of the tree");
  ReadOptions sentiment;
  sentiment.label_limit = 4;
  CHECK(error_of([&] { parse("(3 (7 a) (2 b))", sentiment, "f:1"); }) == "f:1:5: label '7' is outside 0..4");
  ReadOptions strict;
  strict.collapse_unary = false;
  CHECK(error_of([&] { parse("(3 (2 a))", strict, "f:1"); }) ==
        "f:1:1: a node with one child (unary chains are not allowed here)");
  // Collapsed: the child keeps its structure and takes the upper label.
  const Tree u = parse("(3 (1 a))");
  REQUIRE(u.size() == 1);
  CHECK(u.node(0).label == 3);
  // Deep nesting is read without recursion.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "(1 ";
  CHECK(error_of([&] { parse(deep, {}, "f:1"); }).find("100000 '(' never closed") != std::string::npos);
}

TEST_CASE("n-ary trees are binarized right-factored and written back as they were", "[tree][read]") {
  ReadOptions ptb;
  ptb.integer_labels = false;
  ptb.require_binary = false;
  const std::string line = "(S (NP (DT The) (NN dog)) (VP (VBZ barks)) (. .))";
  const Tree t = parse(line, ptb);
  // Leaves The, dog, NP, barks (VP collapsed onto it), ., @S, S.
  REQUIRE(t.size() == 7);
  CHECK(t.node(t.root()).tag == "S");
  CHECK(t.node(t.node(t.root()).right).tag == "@S");
  CHECK(t.node(3).tag == "VP");  // unary VP over VBZ collapsed: the word keeps the upper label
  CHECK(to_string(t) == "(S (NP (DT The) (NN dog)) (VP barks) (. .))");
}

TEST_CASE("unlabeled bracketings: every atom is a word", "[tree][read]") {
  ReadOptions plain;
  plain.unlabeled = true;
  plain.require_labels = false;
  const Tree t = parse("((the movie) (is (not good)))", plain);
  CHECK(t.words == std::vector<std::string>{"the", "movie", "is", "not", "good"});
  REQUIRE(t.size() == 9);
  CHECK(to_string(t) == "(((the) (movie)) ((is) ((not) (good))))");
  CHECK(parse(to_string(t), plain).size() == 9);
  CHECK(t.node(t.root()).left == 2);  // (the movie) is node 2
  CHECK(parse("(a b c)",
              [] {
                ReadOptions o;
                o.unlabeled = true;
                o.require_labels = false;
                o.require_binary = false;
                return o;
              }())
            .size() == 5);
}

TEST_CASE("tree files: the first bad line stops the read, or is skipped and counted", "[tree][read]") {
  const std::string path = "tree_test_file.txt";
  {
    std::ofstream out(path);
    out << "(2 (2 a) (3 b))\n\n(2 (2 a) (3 b)\n(1 (x y) (1 z))\n(4 (4 c) (4 d))\n";
  }
  CHECK(error_of([&] { read_file(path); }) == path + ":3:1: unbalanced brackets: 1 '(' never closed");
  const TreeFile f = read_file(path, {}, true);
  CHECK(f.trees.size() == 2);
  CHECK(f.skipped == 2);
  CHECK(f.first_error == path + ":3:1: unbalanced brackets: 1 '(' never closed");
  std::remove(path.c_str());
  CHECK(error_of([] { read_file("/nonexistent/trees.txt"); }) ==
        "/nonexistent/trees.txt: no such file (or not a regular file)");
}

TEST_CASE("the vocabulary comes from training trees, with an unknown word", "[tree][vocabulary]") {
  const std::vector<Tree> trees{parse("(2 (2 a) (3 B))"), parse("(2 (2 a) (3 c))")};
  const Vocabulary v = Vocabulary::build(trees, 2);
  CHECK(v.size() == 2);  // <unk>, a
  CHECK(v.id("a") == 1);
  CHECK(v.id("c") == Vocabulary::unknown);
  const Vocabulary all = Vocabulary::build(trees, 1, true);
  CHECK(all.id("b") == 2);
  CHECK(all.id("B") == 2);
  CHECK(all.ids(trees[1]) == std::vector<Index>{1, 3});
  CHECK(Vocabulary::from_words(all.words(), true).id("C") == 3);
  CHECK_THROWS_AS(Vocabulary::from_words({"a"}, false), value_error);
}

TEST_CASE("a tensor node equals the formula computed by hand", "[tree][rntn]") {
  Rng rng(3);
  RecursiveNet<double> net(3, 1, 2, rng);  // d = 1: c = [a; b], V is 2 x 2
  net.embedding.weight << 0.3, -0.7, 0.5;
  net.weight << 0.4, -0.2;
  net.bias << 0.1;
  net.composition.tensor << 0.2, 0.1, 0.7;  // the upper triangle of V = [[0.2, 0.1], [0.1, 0.7]]
  const Tree t = parse("(1 (0 x) (1 y))");
  RecursiveNet<double>::Trace tr;
  net.forward(RecursiveNet<double>::flatten({&t}, {{1, 2}}), tr);
  const double a = -0.7, b = 0.5;
  const double quad = a * (0.2 * a + 0.1 * b) + b * (0.1 * a + 0.7 * b);
  CHECK(tr.x(0, 2) == Approx(std::tanh(0.4 * a - 0.2 * b + 0.1 + quad)).epsilon(1e-14));
  CHECK(tr.x(0, 0) == a);
  CHECK(tr.x(0, 1) == b);
}

TEST_CASE("the packed tensor composes as the paper's full slices", "[tree][rntn]") {
  // p = tanh(c^T V[1:d] c + W c + b) with every V_k [2d x 2d] unpacked from its upper triangle.
  Rng rng(5);
  RecursiveNet<double> net(4, 3, 2, rng);
  net.bias.setRandom();
  const Tree t = parse("(1 (0 (1 w) (0 x)) (1 y))");
  RecursiveNet<double>::Trace tr;
  net.forward(RecursiveNet<double>::flatten({&t}, {{3, 1, 2}}), tr);
  VecX<double> c(6);
  c << net.embedding.weight.col(3), net.embedding.weight.col(1);
  for (int node : {2, 4}) {
    if (node == 4) c << tr.x.col(2), net.embedding.weight.col(2);
    VecX<double> z = net.weight * c + net.bias;
    for (Index k = 0; k < 3; ++k) {
      const MatX<double> v = net.composition.slice(k);
      CHECK(v == v.transpose());
      CHECK(v(1, 4) == net.composition.tensor(k, TensorComposition<double>::packed_index(1, 4, 6)));
      z(k) += c.dot(v * c);
    }
    for (Index k = 0; k < 3; ++k) CHECK(tr.x(k, node) == Approx(std::tanh(z(k))).epsilon(1e-13));
  }
}

TEMPLATE_TEST_CASE("backpropagation through structure matches finite differences", "[tree][gradient]",
                   (RecursiveNet<double, TensorComposition>), (RecursiveNet<double, PlainComposition>)) {
  Rng rng(9);
  TestType net(6, 3, 5, rng);
  net.composition.resize(3, rng);  // no-op for the plain net; a fresh tensor for the RNTN
  const std::vector<Tree> trees{parse("(3 (2 (1 a) (4 b)) (0 (2 c) (3 (1 d) (2 e))))"), parse("(4 (2 f) (0 g))"),
                                parse("(1 x)")};
  const std::vector<std::vector<Index>> ids{{1, 2, 3, 4, 5}, {0, 5}, {2}};
  const auto forest = TestType::flatten({&trees[0], &trees[1], &trees[2]}, ids);
  REQUIRE(forest.size() == 9 + 3 + 1);
  REQUIRE(forest.roots == std::vector<Index>{8, 11, 12});
  auto loss = [&](TestType& m) {
    typename TestType::Trace tr;
    return softmax_cross_entropy(m.forward(forest, tr), forest.labels).value;
  };
  auto loss_back = [&](TestType& m) {
    typename TestType::Trace tr;
    return m.train_step(forest, tr);
  };
  test::require_gradients(check_gradients(net, loss, loss_back));
}

TEST_CASE("the recursive net refuses ids outside its vocabulary and trees not in post-order", "[tree][rntn]") {
  Rng rng(1);
  RecursiveNet<float> net(4, 2, 3, rng);
  const Tree t = parse("(1 (0 x) (1 y))");
  RecursiveNet<float>::Trace tr;
  CHECK(error_of([&] {
          net.forward(RecursiveNet<float>::flatten({&t}, {{1, 9}}), tr);
        }) == "RecursiveNet: word id 9 at node 1 is outside the vocabulary of 4");
  CHECK_THROWS_AS(RecursiveNet<float>::flatten({&t}, {{1}}), shape_error);
  RecursiveNet<float>::Forest bad;
  bad.left = {-1, 2, -1};
  bad.right = {-1, 0, -1};
  bad.id = {0, -1, 1};
  bad.labels = {0, 0, 0};
  CHECK(error_of([&] { net.forward(bad, tr); }) == "RecursiveNet: node 1 comes before its children (not post-order)");
}

TEST_CASE("word vectors load from a text file, and bad lines name line and column", "[tree][vectors]") {
  const Vocabulary v = Vocabulary::build(std::vector<Tree>{parse("(2 (2 good) (2 film))")});
  MatX<double> e = MatX<double>::Zero(2, v.size());
  const std::string path = "vectors_test.txt";
  {
    std::ofstream out(path);
    out << "3 2\ngood 0.5 -1.5\nunused 1 2\n\nfilm 2e-1 3\ngood 9 9\n";
  }
  CHECK(load_word_vectors(path, v, e) == 2);
  CHECK(e(0, v.id("good")) == 0.5);
  CHECK(e(1, v.id("good")) == -1.5);  // the first line of a word wins
  CHECK(e(0, v.id("film")) == Approx(0.2));
  CHECK(e(0, Vocabulary::unknown) == 0);
  {
    std::ofstream out(path);
    out << "good 0.5 x1\n";
  }
  CHECK(error_of([&] { load_word_vectors(path, v, e); }) == path + ":1:10: 'x1' is not a number");
  {
    std::ofstream out(path);
    out << "good 0.5 1 2\n";
  }
  CHECK(error_of([&] { load_word_vectors(path, v, e); }) ==
        path + ":1: 3 values for 'good', the model's vectors have 2");
  {
    std::ofstream out(path);
    out << "good\n";
  }
  CHECK(error_of([&] { load_word_vectors(path, v, e); }) == path + ":1: a word without numbers");
  std::remove(path.c_str());

  // Found by fuzzing: a finite double beyond float's range became infinity in a float model.
  MatX<float> f = MatX<float>::Zero(2, v.size());
  std::istringstream big("good 1e66 0\n");
  CHECK(error_of([&] { load_word_vectors(big, "vectors", v, f); }) ==
        "vectors:1:6: 1e66 is out of range for the model's numbers");
  CHECK(f.allFinite());

  // Read once into a table (cross-validation loads one file into ten vocabularies): the same
  // columns as load_word_vectors, only the kept words held.
  const std::string text = "good 0.5 -1.5\nunused 1 2\nfilm 2e-1 3\ngood 9 9\n";
  std::istringstream in(text);
  const WordVectorTable<double> table(in, "vectors", 2, [](const std::string& w) { return w != "unused"; });
  CHECK(table.size() == 3);
  MatX<double> a = MatX<double>::Zero(2, v.size()), b = a;
  std::istringstream again(text);
  CHECK(table.assign(v, a) == load_word_vectors(again, "vectors", v, b));
  CHECK(a == b);
  CHECK(a(1, v.id("good")) == -1.5);
  MatX<double> wrong(3, v.size());
  CHECK_THROWS_AS(table.assign(v, wrong), shape_error);
}

TEST_CASE("dropout on the node vectors: a training mask that backpropagates, and no effect at inference",
          "[tree][gradient][dropout]") {
  using Net = RecursiveNet<double>;
  Rng rng(12);
  Net net(6, 3, 5, rng), plain = net;
  net.dropout = Dropout<double>(0.4);
  const std::vector<Tree> trees{parse("(3 (2 (1 a) (4 b)) (0 (2 c) (3 (1 d) (2 e))))"), parse("(4 (2 f) (0 g))")};
  const auto forest = Net::flatten({&trees[0], &trees[1]}, {{1, 2, 3, 4, 5}, {0, 5}});
  Net::Trace a, b;
  CHECK(net.forward(forest, a) == plain.forward(forest, b));  // no generator: inference
  CHECK(a.dropped.mask.size() == 0);

  Rng masks(3);
  net.forward(forest, a, &masks);
  const auto& mask = a.dropped.mask;  // [d x N]: 0 or 1 / 0.6
  REQUIRE(mask.rows() == 3);
  REQUIRE(mask.cols() == forest.size());
  const Index dropped = (mask.array() == 0).count();
  CHECK(dropped > 0);
  CHECK(dropped < mask.size());
  CHECK(((mask.array() == 0) || (mask.array() - 1 / 0.6).abs() < 1e-15).all());
  CHECK(a.x == b.x);  // the parents still compose whole vectors: only the classifier's input is dropped

  // The same mask for every evaluation (a fresh generator with one seed), so the loss is a
  // smooth function of the weights and finite differences apply.
  auto loss = [&](Net& m) {
    Net::Trace tr;
    Rng same(3);
    return softmax_cross_entropy(m.forward(forest, tr, &same), forest.labels).value;
  };
  auto loss_back = [&](Net& m) {
    Net::Trace tr;
    Rng same(3);
    return m.train_step(forest, tr, &same);
  };
  test::require_gradients(check_gradients(net, loss, loss_back));
}

TEST_CASE("tanh at the leaves (CoreNLP's variant): leaf vectors bent into (-1, 1), gradients through it",
          "[tree][gradient]") {
  using Net = RecursiveNet<double>;
  Rng rng(14);
  Net net(6, 3, 5, rng);
  net.tanh_leaves = true;
  net.embedding.weight *= 12.0;  // words of +-1.2: tanh is far from the identity there
  const std::vector<Tree> trees{parse("(3 (2 (1 a) (4 b)) (0 (2 c) (3 (1 d) (2 e))))"), parse("(4 (2 f) (0 g))")};
  const auto forest = Net::flatten({&trees[0], &trees[1]}, {{1, 2, 3, 4, 5}, {0, 5}});
  Net::Trace tr;
  net.forward(forest, tr);
  CHECK(test::max_diff(tr.x.col(0), net.embedding.weight.col(1).array().tanh().matrix()) < 1e-15);
  CHECK(net.describe().find("leaves=tanh") != std::string::npos);
  auto loss = [&](Net& m) {
    Net::Trace t;
    return softmax_cross_entropy(m.forward(forest, t), forest.labels).value;
  };
  auto loss_back = [&](Net& m) {
    Net::Trace t;
    return m.train_step(forest, t);
  };
  test::require_gradients(check_gradients(net, loss, loss_back));
}

TEST_CASE("sharded minibatches give the same gradients on any number of threads", "[tree][threads]") {
  using Net = RecursiveNet<double>;
  Rng rng(4);
  Net net(8, 3, 5, rng);
  std::vector<Tree> trees;
  std::vector<std::vector<Index>> ids;
  for (const char* t : {"(3 (2 (1 a) (4 b)) (0 (2 c) (3 (1 d) (2 e))))", "(4 (2 f) (0 g))", "(1 x)", "(2 (3 y) (1 z))",
                        "(0 (0 p) (1 (2 q) (3 r)))"})
    trees.push_back(parse(t));
  for (const auto& t : trees) {
    std::vector<Index> v;
    for (std::size_t w = 0; w < t.words.size(); ++w) v.push_back(static_cast<Index>((w * 3 + t.words.size()) % 8));
    ids.push_back(v);
  }
  std::vector<const Tree*> ptrs;
  for (const auto& t : trees) ptrs.push_back(&t);

  auto grads = [&](Net& m) {
    std::vector<MatX<double>> g;
    m.for_each_param([&](Param<double>& p) { g.push_back(p.grad); });
    return g;
  };
  Net one = net, two = net, whole = net;
  ShardedTrainer<Net> t1(one, 1, 3), t2(two, 2, 3);
  const double l1 = t1.step(one, ptrs, ids), l2 = t2.step(two, ptrs, ids);
  CHECK(l1 == l2);
  const auto g1 = grads(one), g2 = grads(two);
  for (std::size_t i = 0; i < g1.size(); ++i) CHECK(g1[i] == g2[i]);  // bit for bit

  // And the same as the whole minibatch at once, up to rounding.
  Net::Trace tr;
  const double lw = whole.train_step(Net::flatten(ptrs, ids), tr);
  CHECK(l1 == Approx(lw).epsilon(1e-12));
  const auto gw = grads(whole);
  for (std::size_t i = 0; i < g1.size(); ++i) CHECK(test::max_diff(g1[i], gw[i]) < 1e-12);

  // A second step starts from clean workers: gradients double.
  t2.step(two, ptrs, ids);
  CHECK(test::max_diff(MatX<double>(grads(two)[1]), MatX<double>(2 * g2[1])) < 1e-12);
  // With dropout, each shard's masks come from the step's generator, not from the thread.
  Net drop_one = net, drop_two = net;
  drop_one.dropout = drop_two.dropout = Dropout<double>(0.3);
  ShardedTrainer<Net> d1(drop_one, 1, 3), d2(drop_two, 2, 3);
  Rng m1(8), m2(8);
  CHECK(d1.step(drop_one, ptrs, ids, &m1) == d2.step(drop_two, ptrs, ids, &m2));
  const auto gd1 = grads(drop_one), gd2 = grads(drop_two);
  for (std::size_t i = 0; i < gd1.size(); ++i) CHECK(gd1[i] == gd2[i]);
  CHECK(gd1[0] != g1[0]);  // and the masks did change the gradients
  // A bad id fails the step with the net's message, from whichever thread met it.
  ids[4][0] = 99;
  CHECK_THROWS_WITH(t2.step(two, ptrs, ids), Catch::Contains("word id 99"));
}

// ---- Treebank and parser ------------------------------------------------------------------

namespace {

/// A made-up sentence in the treebank's layout: outer brackets, function tags, an empty element.
const char* const treebank_text =
    "( (S \n"
    "    (NP-SBJ (DT The) (NN cat) )\n"
    "    (VP (VBD sat) (NP (-NONE- *T*-1) )\n"
    "      (PP-LOC (IN on) (NP (DT the) (NN mat) )))\n"
    "    (. .) ))\n"
    "( (S (NP-SBJ (PRP It)) (VP (VBZ is)) (. .)))\n";

std::string brackets_text(const std::vector<Bracket>& bs) {
  std::string out;
  for (const auto& [label, a, b] : bs) out += label + "[" + std::to_string(a) + "," + std::to_string(b) + ") ";
  return out;
}

}  // namespace

TEST_CASE("treebank files: function tags stripped, empty elements removed, errors name line and column",
          "[tree][treebank]") {
  std::vector<Constituent> trees = parse_treebank(treebank_text, "wsj.mrg");
  REQUIRE(trees.size() == 2);
  REQUIRE(normalize(trees[0]));
  REQUIRE(normalize(trees[1]));
  std::vector<std::string> words, tags;
  leaves(trees[0], words, tags);
  CHECK(words == std::vector<std::string>{"The", "cat", "sat", "on", "the", "mat", "."});
  CHECK(tags == std::vector<std::string>{"DT", "NN", "VBD", "IN", "DT", "NN", "."});
  // The VP lost its empty NP; the root is not a bracket; the final "." is not counted.
  CHECK(brackets_text(brackets(trees[0])) == "NP[0,2) NP[4,6) PP[3,6) VP[2,6) ");
  CHECK(to_string(binarize(trees[0])) ==
        "(S (NP (DT The) (NN cat)) (VP (VBD sat) (PP (IN on) (NP (DT the) (NN mat)))) (. .))");
  CHECK(brackets_text(brackets(unbinarize(binarize(trees[0])))) == brackets_text(brackets(trees[0])));
  // One-word phrases become their word: (NP (PRP It)) and (VP (VBZ is)) are one-word spans.
  CHECK(to_string(binarize(trees[1])) == "(S (PRP It) (VBZ is) (. .))");

  CHECK(error_of([] { parse_treebank("( (S (NP (DT a) (NN b))\n  (VP (VB c)) )", "f"); }) ==
        "f:1:1: unbalanced brackets: 1 '(' never closed");
  CHECK(error_of([] { parse_treebank("(S (a))", "f"); }) == "f:1:4: a word without a tag ('a')");
  CHECK(error_of([] { parse_treebank("(S (NP (DT a) b))", "f"); }) == "f:1:15: a word after bracketed children");
  CHECK(error_of([] { parse_treebank("(S ())", "f"); }) == "f:1:4: empty brackets '()'");
  CHECK(error_of([] { parse_treebank("(S (DT a))\n)", "f"); }) == "f:2:1: ')' without a matching '('");
  CHECK(error_of([] { parse_treebank("x (S (DT a))", "f"); }) == "f:1:1: text outside brackets");
  CHECK(error_of([] { parse_treebank("(S (DT a b c))", "f"); }) == "f:1:10: more than a tag and a word");
  CHECK(error_of([] { parse_treebank(std::string(1000, '('), "f"); }) == "f:1:401: brackets nested deeper than 400");
  const auto bad = parse_treebank("(S (NP (DT a)\n  (XYZ b)))", "f");
  CHECK(error_of([&] { check_labels(bad[0], "f"); }) == "f:2:3: unknown label 'XYZ' (not a Penn Treebank label)");
  check_labels(parse_treebank("( (S (NP-SBJ (PRP$ his) (NN dog)) (ADVP|PRT (RB up))))", "f")[0], "f");
  CHECK(strip_function_tags("NP-SBJ-1") == "NP");
  CHECK(strip_function_tags("PP=2") == "PP");
  CHECK(strip_function_tags("-NONE-") == "-NONE-");
  CHECK(strip_function_tags("=") == "=");  // found by fuzzing: an empty tag made binarize fail
}

TEST_CASE("bracket scores: labeled and unlabeled precision, recall and F1 by hand", "[tree][treebank]") {
  BracketScore score;
  score.add({{"NP", 0, 2}, {"VP", 2, 5}, {"PP", 3, 5}}, {{"NP", 0, 2}, {"NP", 2, 5}, {"X", 1, 3}});
  CHECK(score.labeled.matched == 1);
  CHECK(score.unlabeled.matched == 2);
  CHECK(score.labeled.precision() == Approx(100.0 / 3));
  CHECK(score.unlabeled.recall() == Approx(200.0 / 3));
  CHECK(score.unlabeled.f1() == Approx(200.0 / 3));
  CHECK(score.by_label["VP"].gold == 1);
  CHECK(score.by_label["NP"].predicted == 2);
  // Right-branching over 4 words: [1,4) and [2,4) below the root.
  const Constituent right = branching({"a", "b", "c", "d"}, {"DT", "NN", "VB", "NN"}, true, "X");
  CHECK(brackets_text(brackets(right)) == "X[2,4) X[1,4) ");
  const Constituent left = branching({"a", "b", "c", "d"}, {"DT", "NN", "VB", "NN"}, false, "X");
  CHECK(brackets_text(brackets(left)) == "X[0,2) X[0,3) ");
}

namespace {

/// Every binary bracketing of words [i, j) as bracket text over leaves "(T wk)".
std::vector<std::string> all_trees(Index i, Index j) {
  if (j - i == 1) return {"(T w" + std::to_string(i) + ")"};
  std::vector<std::string> out;
  for (Index k = i + 1; k < j; ++k)
    for (const auto& a : all_trees(i, k))
      for (const auto& b : all_trees(k, j)) out.push_back("(X " + a + " " + b + ")");
  return out;
}

template <class Parser>
typename Parser::Sentence sentence(Index n, Rng& rng, Index vocabulary, Index tags) {
  typename Parser::Sentence s;
  for (Index i = 0; i < n; ++i) {
    s.words.push_back("w" + std::to_string(i));
    s.tags.push_back("T");
    s.ids.push_back(static_cast<Index>(rng.below(static_cast<std::uint64_t>(vocabulary))));
    s.tag_ids.push_back(static_cast<Index>(rng.below(static_cast<std::uint64_t>(tags))));
  }
  return s;
}

}  // namespace

TEMPLATE_TEST_CASE("exact CKY finds the tree that brute force finds, up to 7 words", "[tree][parser]",
                   (ChartParser<double, PlainComposition>), (ChartParser<double, TensorComposition>)) {
  Rng rng(4);
  TestType parser(9, 3, 4, {"X", "@X"}, rng);
  parser.net.classifier.weight *= 3.0;  // spread the scores out
  ReadOptions o;
  o.integer_labels = false;
  for (Index n = 1; n <= 7; ++n) {
    const auto s = sentence<TestType>(n, rng, 9, 3);
    std::set<std::pair<Index, Index>> gold;
    for (const auto& span : inner_spans(parse(all_trees(0, n).front(), o))) gold.insert(span);
    for (double kappa : {0.0, 0.7}) {
      double best = -1e300;
      std::string best_tree;
      for (const auto& text : all_trees(0, n)) {
        const Tree t = parse(text, o);
        double sc = parser.score(t, s);
        for (const auto& span : inner_spans(t)) sc += gold.count(span) ? 0 : kappa;
        if (sc > best) {
          best = sc;
          best_tree = text;
        }
      }
      typename TestType::DecodeOptions d;
      d.exact_up_to = 7;
      d.kappa = kappa;
      d.gold = &gold;
      const auto r = parser.decode(s, d);
      INFO("n = " << n << ", kappa = " << kappa);
      CHECK(r.exact);
      CHECK(r.score == Approx(best).epsilon(1e-12).margin(1e-12));
      CHECK(inner_spans(r.tree) == inner_spans(parse(best_tree, o)));
      // A beam at least as wide as the number of trees is exact too; a narrow one is no better.
      d.exact_up_to = 0;
      d.beam = 500;
      CHECK(parser.decode(s, d).score == Approx(best).epsilon(1e-12).margin(1e-12));
      d.beam = 1;
      CHECK(parser.decode(s, d).score <= best + 1e-12);
    }
    const auto g = parser.greedy(s);
    CHECK(g.score == Approx(parser.score(g.tree, s)).epsilon(1e-12).margin(1e-12));
    CHECK(g.tree.words == s.words);
  }
}

TEMPLATE_TEST_CASE("the structured max-margin loss matches finite differences", "[tree][parser][gradient]",
                   (ChartParser<double, PlainComposition>), (ChartParser<double, TensorComposition>)) {
  Rng rng(6);
  TestType parser(7, 3, 3, {"NP", "VP", "@NP"}, rng);
  ReadOptions o;
  o.integer_labels = false;
  const auto s1 = sentence<TestType>(4, rng, 7, 3), s2 = sentence<TestType>(3, rng, 7, 3);
  const Tree gold1 = parse("(VP (T a) (NP (T b) (@NP (T c) (T d))))", o),
             gold2 = parse("(NP (NP (T a) (T b)) (T c))", o);
  auto label_ids = [](const Tree& t) {
    std::vector<Index> out;
    for (const Node& n : t.nodes) out.push_back(n.leaf() ? -1 : n.tag == "NP" ? 0 : n.tag == "VP" ? 1 : 2);
    return out;
  };
  std::vector<typename TestType::Pair> pairs{
      {&s1, &gold1, label_ids(gold1), parse("(X (X (T a) (T b)) (X (T c) (T d)))", o), 10.0},  // hinge active
      {&s2, &gold2, label_ids(gold2), parse("(X (T a) (X (T b) (T c)))", o), 10.0}};
  auto loss = [&](TestType& m) { return m.pair_loss(pairs, false); };
  auto loss_back = [&](TestType& m) { return m.pair_loss(pairs, true); };
  test::require_gradients(check_gradients(parser, loss, loss_back));
}

TEST_CASE("a parser training step is the same on 1 and 2 threads", "[tree][parser][threads]") {
  Rng rng(8);
  using Parser = ChartParser<double, PlainComposition>;
  Parser one(9, 3, 4, {"X", "@X"}, rng);
  Parser two = one;
  ReadOptions o;
  o.integer_labels = false;
  std::vector<Parser::Example> examples;
  for (Index n : {3, 5, 6, 2, 7, 4}) {
    Parser::Example e;
    e.sentence = sentence<Parser>(n, rng, 9, 3);
    e.gold = parse(all_trees(0, n).back(), o);
    for (const Node& node : e.gold.nodes) e.gold_labels.push_back(node.leaf() ? -1 : 0);
    for (const auto& span : inner_spans(e.gold)) e.gold_spans.insert(span);
    examples.push_back(std::move(e));
  }
  std::vector<const Parser::Example*> batch;
  for (const auto& e : examples) batch.push_back(&e);
  Parser::DecodeOptions d;
  d.kappa = 0.5;
  const double loss1 = one.train_step(batch, d, 1.0, 1), loss2 = two.train_step(batch, d, 1.0, 2);
  CHECK(loss1 == loss2);
  CHECK(loss1 > 0);
  std::vector<MatX<double>> g1, g2;
  one.for_each_param([&](Param<double>& p) { g1.push_back(p.grad); });
  two.for_each_param([&](Param<double>& p) { g2.push_back(p.grad); });
  REQUIRE(g1.size() == g2.size());
  for (std::size_t k = 0; k < g1.size(); ++k) CHECK(g1[k] == g2[k]);
}
