// recur-sentiment: sentiment over parse trees with a recursive neural tensor network (Socher et
// al. 2013), trained by backpropagation through structure.
//   recur-sentiment train [--data DIR] [--predictions FILE] [--save MODEL]
//   recur-sentiment predict --model MODEL "a sentence" | "(a bracketed tree)"
// Without --data it trains on a treebank generated from a small grammar with negation,
// intensifiers and contrast, and compares with a bag-of-words baseline.
#include <recur/core/denormals.hpp>
#include <recur/io/model_file.hpp>
#include <recur/text/tokenizer.hpp>
#include <recur/train/averaging.hpp>
#include <recur/train/optimizer.hpp>
#include <recur/train/regularization.hpp>
#include <recur/tree/recursive_net.hpp>
#include <recur/tree/sharded_training.hpp>
#include <recur/tree/vocabulary.hpp>
#include <recur/tree/word_vectors.hpp>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../common/checkpointing.hpp"
#include "../common/cli.hpp"
#include "../common/lines.hpp"
#include "evaluation.hpp"
#include "generated_treebank.hpp"

using recur::Index;
using recur::tree::Tree;
using recur::tree::Vocabulary;

namespace {

struct Data {
  std::vector<Tree> train, dev, test;
  std::string origin;
};

std::vector<Tree> parse_all(const std::vector<std::string>& lines) {
  std::vector<Tree> out;
  out.reserve(lines.size());
  for (const auto& l : lines) out.push_back(recur::tree::parse(l));
  return out;
}

Data load_data(const recur::cli::Args& args) {
  Data d;
  if (!args.has("data")) {
    sentiment::TreebankGenerator gen(static_cast<std::uint64_t>(args.integer("seed")) + 1000);
    d.train = parse_all(gen.sentences(4000));
    d.dev = parse_all(gen.sentences(500));
    d.test = parse_all(gen.sentences(1000));
    d.origin = "a generated treebank (4000 / 500 / 1000 sentences with negation, intensifiers and 'but')";
    return d;
  }
  const std::string dir = args.str("data");
  const bool skip = args.has("skip-bad");
  auto read = [&](const char* name) {
    recur::tree::ReadOptions o;
    o.label_limit = 4;  // sentiment classes 0..4
    const auto f = recur::tree::read_file(dir + "/" + name, o, skip);
    if (f.skipped)
      std::fprintf(stderr, "recur-sentiment: skipped %zu bad line(s) in %s/%s, the first: %s\n", f.skipped, dir.c_str(),
                   name, f.first_error.c_str());
    return f.trees;
  };
  d.train = read("train.txt");
  d.dev = read("dev.txt");
  d.test = read("test.txt");
  d.origin = dir + " (" + std::to_string(d.train.size()) + " / " + std::to_string(d.dev.size()) + " / " +
             std::to_string(d.test.size()) + " trees)";
  if (d.train.empty() || d.dev.empty() || d.test.empty()) throw recur::io_error(dir + ": a split has no trees");
  return d;
}

void print_scores(const char* name, const sentiment::Scores& s) {
  if (s.fine_all_n == 0)  // a binary model
    std::printf("  %-26s %8s %8s %8.1f %8.1f\n", name, "-", "-", s.binary_root_pct(), s.binary_all_pct());
  else
    std::printf("  %-26s %8.1f %8.1f %8.1f %8.1f\n", name, s.fine_root_pct(), s.fine_all_pct(), s.binary_root_pct(),
                s.binary_all_pct());
}

/// How model files and checkpoints name a net's leaves (RecursiveNet::tanh_leaves).
const char* leaves_name(bool tanh_leaves) { return tanh_leaves ? "tanh" : "word"; }

/// The training trees of a binary model: 0-1 negative (0), 3-4 positive (1), neutral nodes
/// unlabelled (they are still composed, and their parents still learn from them).
std::vector<Tree> binary_labels(std::vector<Tree> trees) {
  for (auto& t : trees)
    for (auto& n : t.nodes) n.label = n.label < 0 || n.label == 2 ? -1 : n.label > 2 ? 1 : 0;
  return trees;
}

/// Bag of words: a softmax over word counts predicts the root label (the baseline a recursive
/// net must beat on compositional sentiment).
sentiment::Scores bag_of_words(const Data& d, const Vocabulary& vocab, std::uint64_t seed) {
  recur::Rng rng(seed);
  recur::Dense<float> model(vocab.size(), 5, rng);
  recur::Adam<float> opt(0.01f);
  auto counts = [&](const std::vector<Tree>& trees, std::size_t b, std::size_t e) {
    recur::MatX<float> x = recur::MatX<float>::Zero(vocab.size(), static_cast<Index>(e - b));
    for (std::size_t k = b; k < e; ++k)
      for (Index id : vocab.ids(trees[k])) x(id, static_cast<Index>(k - b)) += 1;
    return x;
  };
  std::vector<Tree> shuffled = d.train;
  for (int epoch = 0; epoch < 20; ++epoch) {
    std::shuffle(shuffled.begin(), shuffled.end(), rng.engine());
    for (std::size_t b = 0; b < shuffled.size(); b += 64) {
      const std::size_t e = std::min(shuffled.size(), b + 64);
      recur::Dense<float>::Trace tr;
      std::vector<Index> labels;
      for (std::size_t k = b; k < e; ++k) labels.push_back(shuffled[k].node(shuffled[k].root()).label);
      const auto loss =
          recur::softmax_cross_entropy(model.forward(counts(shuffled, b, e), recur::Batch(1), tr), labels);
      model.backward(tr, loss.grad);
      opt.step(model);
    }
  }
  sentiment::Scores s;
  const auto p = recur::softmax(model.predict(counts(d.test, 0, d.test.size())));
  for (std::size_t k = 0; k < d.test.size(); ++k)
    s.add(d.test[k].node(d.test[k].root()).label, p.col(static_cast<Index>(k)), true);
  return s;
}

template <template <class> class Composition>
int train(const recur::cli::Args& args) {
  using Net = recur::tree::RecursiveNet<float, Composition>;
  // With --average, the moving average of the weights is what validation judges and keeps.
  const double average_decay = args.number("average");
  if (!(average_decay >= 0 && average_decay < 1)) args.fail("--average must be in [0, 1)");
  const Index classes = args.integer("classes", 2, 5);
  if (classes != 2 && classes != 5) args.fail("--classes must be 2 or 5");
  std::string select = args.str("select");
  // The mean of the dev scores: the root scores alone (1,101 sentences) are noisy enough that
  // a lucky early epoch can win on them with poor all-nodes scores.
  if (select == "auto") select = "mean";
  if (select != "fine-root" && select != "fine-all" && select != "binary-root" && select != "mean")
    args.fail("--select must be auto, fine-root, fine-all, binary-root or mean");
  if (classes == 2 && select.rfind("fine", 0) == 0) args.fail("a binary model (--classes 2) has no fine-grained score");
  // What the kept epoch is chosen by on dev.
  auto select_score = [&](const sentiment::Scores& s) {
    if (select == "fine-all") return s.fine_all_pct();
    if (select == "binary-root") return s.binary_root_pct();
    if (select == "mean")
      return classes == 2 ? (s.binary_root_pct() + s.binary_all_pct()) / 2
                          : (s.fine_root_pct() + s.fine_all_pct() + s.binary_root_pct() + s.binary_all_pct()) / 4;
    return s.fine_root_pct();
  };
  const Data d = load_data(args);
  const std::vector<Tree> binary_train = classes == 2 ? binary_labels(d.train) : std::vector<Tree>{};
  const std::vector<Tree>& train_trees = classes == 2 ? binary_train : d.train;
  const Vocabulary vocab = Vocabulary::build(d.train, args.integer("min-count", 1));
  const Index dim = args.integer("dim", 1, 300), epochs = args.integer("epochs", 0),
              batch = args.integer("batch", 1, 100000);
  const auto seed = static_cast<std::uint64_t>(args.integer("seed"));
  recur::Rng rng(seed);
  Net net(vocab.size(), dim, classes, rng);
  net.reinitialize(rng, 0.5, 0.1);  // CoreNLP's ranges: 1-2 points more on the SST's all-nodes scores
  net.dropout = recur::Dropout<float>(args.number("dropout"));
  net.tanh_leaves = args.has("tanh-leaves");
  const double word_dropout = args.number("word-dropout");
  if (!(word_dropout >= 0 && word_dropout < 1)) args.fail("--word-dropout must be in [0, 1)");
  // Sparse: AdaGrad and L2 visit only the minibatch's words (faster, lazy L2). Dense: every
  // word vector takes its L2 step every minibatch, which shrinks the rare ones: more accurate.
  net.embedding.sparse_gradient = args.has("sparse-words");
  if (args.has("vectors")) {
    const Index found = recur::tree::load_word_vectors(args.str("vectors"), vocab, net.embedding.weight);
    std::printf("word vectors: %ld of %ld words found in %s\n", static_cast<long>(found),
                static_cast<long>(vocab.size()), args.str("vectors").c_str());
  }
  recur::AdaGrad<float> opt(static_cast<float>(args.number("lr")));
  const double l2_weights = args.number("l2"), l2_words = args.number("l2-words");
  std::printf("data: %s; vocabulary %ld words\nmodel: %s, AdaGrad lr %g, minibatch %ld, L2 %g (words %g%s)%s\n",
              d.origin.c_str(), static_cast<long>(vocab.size()), net.describe().c_str(), args.number("lr"),
              static_cast<long>(batch), l2_weights, l2_words, net.embedding.sparse_gradient ? ", sparse" : "",
              average_decay > 0 ? (", weights averaged, decay " + args.str("average")).c_str() : "");

  std::vector<std::size_t> order(d.train.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<std::vector<Index>> ids;
  for (const auto& t : d.train) ids.push_back(vocab.ids(t));
  recur::tree::ShardedTrainer<Net> sharded(net, static_cast<int>(args.integer("threads", 1, 256)), 2);
  std::optional<recur::AveragedModel<Net>> averaged;
  if (average_decay > 0) averaged.emplace(net, average_decay);
  Net best = net;
  recur::KeptAndAverage<Net> kept{best, averaged ? &*averaged : nullptr};  // what checkpoints carry
  double best_dev = -1;
  Index best_epoch = 0;
  const auto start = std::chrono::steady_clock::now();
  const Index reset = args.integer("adagrad-reset", 0);
  recur::cli::Checkpointing checkpoints(args);
  recur::cli::EpochPosition resumed;
  if (checkpoints.resuming()) {
    recur::TrainingState state;
    checkpoints.check_average(average_decay);
    checkpoints.resume(net, opt, state, kept);
    // The kept epoch's score and the leaves must mean what they meant when the run started.
    auto saved = [&](const char* key, const char* before) {
      return state.values.count(key) ? state.text(key) : std::string(before);  // older checkpoints
    };
    if (saved("select", "fine-root") != select)
      throw recur::value_error(args.str("resume") + " was written with --select " + saved("select", "fine-root") +
                               ", not " + select);
    if (saved("leaves", "word") != leaves_name(net.tanh_leaves))
      throw recur::value_error(args.str("resume") + " was written " + (net.tanh_leaves ? "without" : "with") +
                               " --tanh-leaves");
    resumed = recur::cli::EpochPosition::of(state);
    rng.restore(resumed.rng);
    order = resumed.order_of(order.size());
    best_dev = resumed.best;
    best_epoch = resumed.best_epoch;
  }
  for (Index epoch = resumed.epoch; epoch <= epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    const bool continuing = resumed.continues(epoch);
    if (reset > 0 && epoch > 1 && (epoch - 1) % reset == 0 && !continuing)  // as CoreNLP's RNTN: a fresh step size
      for (auto& accumulated : opt.state()) accumulated.setZero();
    const std::string rng_at_epoch_start = rng.state();
    const std::vector<std::size_t> order_at_epoch_start = order;  // each epoch shuffles the last one's order
    std::shuffle(order.begin(), order.end(), rng.engine());
    double loss_sum = continuing ? resumed.loss : 0;
    long batches = continuing ? resumed.batches : 0;
    auto state_at = [&](Index at_epoch, std::size_t next, const std::string& generator,
                        const std::vector<std::size_t>& order_then) {
      auto state = recur::cli::EpochPosition{at_epoch, next,       generator,  loss_sum,     batches,
                                             best_dev, best_epoch, order_then, average_decay}
                       .state();
      state.set("select", select);
      state.set("leaves", std::string(leaves_name(net.tanh_leaves)));
      return state;
    };
    for (std::size_t b = continuing ? resumed.next : 0; b < order.size(); b += static_cast<std::size_t>(batch)) {
      std::vector<const Tree*> part;
      std::vector<std::vector<Index>> part_ids;
      for (std::size_t k = b; k < std::min(order.size(), b + static_cast<std::size_t>(batch)); ++k) {
        part.push_back(&train_trees[order[k]]);
        part_ids.push_back(ids[order[k]]);
      }
      // The masks' generator follows from the seed and the step, so a resumed run draws the same.
      recur::Rng masks(seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(opt.steps()));
      if (word_dropout > 0)  // words become unknown with probability --word-dropout
        for (auto& sentence : part_ids)
          for (auto& id : sentence)
            if (masks.uniform() < word_dropout) id = Vocabulary::unknown;
      loss_sum += sharded.step(net, part, part_ids, &masks);
      recur::add_l2(net, l2_weights, "compose.");
      recur::add_l2(net, l2_weights, "classifier.weight");
      recur::add_l2(net, l2_words, "embedding.");
      opt.step(net);
      if (averaged) averaged->update(net, opt.steps());
      ++batches;
      const std::size_t next = b + static_cast<std::size_t>(batch);
      if (next < order.size())  // the epoch's last minibatch is followed by the end-of-epoch checkpoint
        checkpoints.maybe_save(
            opt.steps(), net, opt, [&] { return state_at(epoch, next, rng_at_epoch_start, order_at_epoch_start); },
            kept);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    Net& judged = averaged ? averaged->model() : net;
    const auto dev = sentiment::evaluate(judged, d.dev, vocab);
    const double judged_score = select_score(dev);
    if (judged_score > best_dev) {
      best_dev = judged_score;
      best = judged;
      best_epoch = epoch;
    }
    if (!args.quiet()) {
      const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      char fine[48] = "-";  // a binary model has no fine-grained scores
      if (dev.fine_all_n > 0)
        std::snprintf(fine, sizeof fine, "%.1f all %.1f", dev.fine_root_pct(), dev.fine_all_pct());
      std::printf(
          "epoch %3ld/%ld  loss %.4f  dev fine root %s, binary root %.1f all %.1f  %.0f trees/s  %.0f s, ETA %.0f s\n",
          static_cast<long>(epoch), static_cast<long>(epochs), loss_sum / static_cast<double>(batches), fine,
          dev.binary_root_pct(), dev.binary_all_pct(), static_cast<double>(d.train.size()) / secs, total,
          total / static_cast<double>(epoch) * static_cast<double>(epochs - epoch));
      std::fflush(stdout);
    }
    checkpoints.maybe_save(
        opt.steps(), net, opt, [&] { return state_at(epoch + 1, 0, rng.state(), order); }, kept, /*force=*/true);
  }
  if (epochs == 0) best = net;
  std::vector<std::vector<int>> predicted;
  const auto test = sentiment::evaluate(best, d.test, vocab, &predicted);
  std::printf("\ntest (the model of epoch %ld, best dev %s %.1f):\n", static_cast<long>(best_epoch), select.c_str(),
              best_dev);
  std::printf("  %-26s %8s %8s %8s %8s\n", "model", "fine", "fine", "binary", "binary");
  std::printf("  %-26s %8s %8s %8s %8s\n", "", "root", "all", "root", "all");
  print_scores(Composition<float>::name() == "rntn" ? "RNTN" : "RNN (plain recursive)", test);
  if (!args.has("data")) print_scores("bag of words (root only)", bag_of_words(d, vocab, seed));

  if (args.has("predictions")) {
    std::string out;
    if (classes == 2)  // on the treebank's scale, so that any scorer of its labels reads them: 1 and 3
      for (auto& labels : predicted)
        for (auto& label : labels) label = label == 0 ? 1 : 3;
    for (std::size_t k = 0; k < d.test.size(); ++k) out += recur::tree::to_string(d.test[k], &predicted[k]) + "\n";
    recur::write_file_atomically(args.str("predictions"), out);
    std::printf("wrote %s\n", args.str("predictions").c_str());
  }
  if (args.has("save")) {
    std::string words;
    for (const auto& w : vocab.words()) words += w + "\n";
    // The training dropout and the leaves' function are part of the net's description, so
    // predict rebuilds them from here to load it.
    recur::save(best, args.str("save"),
                {{"sentiment.vocabulary", words},
                 {"sentiment.composition", Composition<float>::name()},
                 {"sentiment.dim", std::to_string(dim)},
                 {"sentiment.classes", std::to_string(classes)},
                 {"sentiment.dropout", recur::cli::exact_text(best.dropout.p())},
                 {"sentiment.leaves", leaves_name(best.tanh_leaves)}});
    std::printf("wrote %s\n", args.str("save").c_str());
  }
  return 0;
}

/// A right-branching tree over the words: (w1 (w2 (... wn))).
Tree right_branching(const std::vector<std::string>& words) {
  if (words.empty()) throw recur::value_error("the sentence has no words");
  recur::tree::ReadOptions o;
  o.require_labels = false;
  o.unlabeled = true;
  std::string built = words.back();
  for (std::size_t i = words.size() - 1; i-- > 0;) built = "(" + words[i] + " " + built + ")";
  return recur::tree::parse(words.size() == 1 ? "(" + built + ")" : built, o, "sentence");
}

/// What predict needs to rebuild a saved net besides its vocabulary.
struct SavedNet {
  Index dim = 25, classes = 5;
  double dropout = 0;
  bool tanh_leaves = false;
  /// Files saved before sentiment.dropout was written name a dropout in their description
  /// that cannot be rebuilt; only their tensors' names and shapes are checked then.
  bool check_architecture = true;
};

template <template <class> class Composition>
int predict_with(const recur::safetensors::File& file, const Vocabulary& vocab, const SavedNet& saved, const Tree& t) {
  using Net = recur::tree::RecursiveNet<float, Composition>;
  recur::Rng rng(1);
  Net net(vocab.size(), saved.dim, saved.classes, rng);
  net.dropout = recur::Dropout<float>(saved.dropout);
  net.tanh_leaves = saved.tanh_leaves;
  recur::LoadOptions options;
  options.check_architecture = saved.check_architecture;
  recur::load(net, file, options);
  typename Net::Trace tr;
  const auto p = recur::softmax(net.forward(Net::flatten({&t}, {vocab.ids(t)}), tr));
  // Word span of every node, then the nodes top-down with their depth.
  std::vector<std::pair<Index, Index>> span(static_cast<std::size_t>(t.size()));
  for (Index i = 0; i < t.size(); ++i) {
    const auto& n = t.node(i);
    span[static_cast<std::size_t>(i)] = n.leaf() ? std::make_pair(n.word, n.word + 1)
                                                 : std::make_pair(span[static_cast<std::size_t>(n.left)].first,
                                                                  span[static_cast<std::size_t>(n.right)].second);
  }
  static const char* fine_names[] = {"very negative", "negative", "neutral", "positive", "very positive"};
  static const char* binary_names[] = {"negative", "positive"};
  const char* const* names = saved.classes == 2 ? binary_names : fine_names;
  std::vector<std::pair<Index, int>> todo{{t.root(), 0}};
  while (!todo.empty()) {
    const auto [i, depth] = todo.back();
    todo.pop_back();
    Index best = 0;
    p.col(i).maxCoeff(&best);
    std::string phrase;
    for (Index w = span[static_cast<std::size_t>(i)].first; w < span[static_cast<std::size_t>(i)].second; ++w)
      phrase += (phrase.empty() ? "" : " ") + recur::tree::unescape(t.words[static_cast<std::size_t>(w)]);
    std::printf("%*s%ld %-13s (p %.2f)  %s\n", 2 * depth, "", static_cast<long>(best), names[best], p(best, i),
                phrase.c_str());
    const auto& n = t.node(i);
    if (!n.leaf()) {
      todo.push_back({n.right, depth + 1});
      todo.push_back({n.left, depth + 1});
    }
  }
  return 0;
}

int predict(const recur::cli::Args& args) {
  if (args.str("model") == "rntn" || args.str("model") == "rnn")
    args.fail("predict needs --model FILE (a model saved by train --save)");
  const std::string text = args.str("TEXT");
  if (text.find_first_not_of(" \t") == std::string::npos) args.fail("predict needs a sentence or a bracketed tree");
  const auto file = recur::safetensors::File::read(args.str("model"));
  const auto& meta = file.metadata();
  auto get = [&](const std::string& key) {
    const auto it = meta.find("sentiment." + key);
    if (it == meta.end())
      throw recur::io_error(file.origin() + ": not a recur-sentiment model (no sentiment." + key + ")");
    return it->second;
  };
  std::vector<std::string> words;
  const std::string all = get("vocabulary");
  for (std::size_t b = 0, e; b < all.size(); b = e + 1) {
    e = all.find('\n', b);
    if (e == std::string::npos) e = all.size();
    words.push_back(all.substr(b, e - b));
  }
  const Vocabulary vocab = Vocabulary::from_words(words, false);
  SavedNet saved;
  const std::string dim_text = get("dim");
  saved.dim = std::strtol(dim_text.c_str(), nullptr, 10);
  if (saved.dim < 1 || saved.dim > 300)
    throw recur::io_error(file.origin() + ": sentiment.dim '" + dim_text + "' is not a size");
  if (meta.count("sentiment.classes")) {
    const std::string classes = get("classes");
    if (classes != "2" && classes != "5")
      throw recur::io_error(file.origin() + ": sentiment.classes '" + classes + "' is not 2 or 5");
    saved.classes = classes == "2" ? 2 : 5;
  }
  if (meta.count("sentiment.dropout")) {
    const std::string p = get("dropout");
    char* end = nullptr;
    saved.dropout = std::strtod(p.c_str(), &end);
    if (p.empty() || *end != '\0' || !(saved.dropout >= 0 && saved.dropout < 1))
      throw recur::io_error(file.origin() + ": sentiment.dropout '" + p + "' is not a probability");
  } else {
    saved.check_architecture = false;
  }
  if (meta.count("sentiment.leaves")) {
    const std::string leaves = get("leaves");
    if (leaves != leaves_name(true) && leaves != leaves_name(false))
      throw recur::io_error(file.origin() + ": sentiment.leaves '" + leaves + "' is not tanh or word");
    saved.tanh_leaves = leaves == leaves_name(true);
  }
  Tree t;
  if (text.find_first_not_of(" \t") == text.find('(')) {
    recur::tree::ReadOptions o;  // a treebank line (labels ignored), else plain brackets
    o.require_binary = false;
    try {
      t = recur::tree::parse(text, o, "the tree");
    } catch (const recur::io_error&) {
      o.require_labels = false;
      o.unlabeled = true;
      t = recur::tree::parse(text, o, "the tree");
    }
  } else {
    t = right_branching(recur::text::tokenize(text));
  }
  const std::string composition = get("composition");
  if (composition == "rntn") return predict_with<recur::tree::TensorComposition>(file, vocab, saved, t);
  if (composition == "rnn") return predict_with<recur::tree::PlainComposition>(file, vocab, saved, t);
  throw recur::io_error(file.origin() + ": unknown composition '" + composition + "'");
}

}  // namespace

int main(int argc, char** argv) {
  recur::cli::Args args("recur-sentiment",
                        "sentiment over parse trees with a recursive neural tensor network (train, or predict)");
  args.positional("COMMAND", "train or predict");
  args.positional("TEXT", "for predict: a sentence, or a bracketed tree");
  args.option("data", "DIR", "train.txt, dev.txt and test.txt in PTB bracket format (default: a generated treebank)",
              "");
  args.flag("skip-bad", "skip malformed lines (counted) instead of stopping at the first");
  args.option("model", "rntn|rnn|FILE", "train: the composition; predict: the saved model", "rntn");
  args.option("dim", "D", "word and phrase vector size", "25");
  args.option("epochs", "N", "training epochs (the best on dev is kept)", "25");
  args.option("batch", "N", "trees per minibatch", "27");
  args.option("lr", "X", "AdaGrad learning rate", "0.01");
  args.option("l2", "X", "L2 strength of the composition and classifier weights", "0.00001");
  args.option("l2-words", "X", "L2 strength of the word vectors", "0.000001");
  args.flag("sparse-words",
            "update and regularise only the word vectors of each minibatch (faster; lazy L2, less accurate)");
  args.option("dropout", "P", "dropout on the node vectors before the classifier, while training", "0.2");
  args.option("classes", "K", "5: the treebank's five classes; 2: a binary model (neutral nodes unlabelled)", "5");
  args.option("select", "S",
              "keep the epoch with the best dev fine-root, fine-all, binary-root or mean score (auto: the mean of "
              "the four, or of the two binary ones with --classes 2)",
              "auto");
  args.flag("tanh-leaves", "a leaf's vector is tanh(word vector), as in CoreNLP");
  args.option("word-dropout", "P", "training words become unknown with probability P", "0");
  args.option("average", "D",
              "validate and keep a moving average of the weights: decay min(D, (1+n)/(10+n)) at minibatch n (0: off)",
              "0");
  args.option("adagrad-reset", "N", "clear AdaGrad's accumulated squares every N epochs (0: never)", "0");
  args.option("vectors", "FILE", "initial word vectors, one word and D numbers per line (GloVe text format)", "");
  args.option("threads", "N", "threads per minibatch, at most 2 (one per shard; results do not depend on it)",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())));
  args.option("min-count", "N", "words seen fewer times in training are unknown", "1");
  args.option("predictions", "FILE", "write the test trees with the predicted label at every node", "");
  args.option("save", "FILE", "save the best model (safetensors, with its vocabulary)", "");
  recur::cli::Checkpointing::declare(args, "minibatches (train)", "100");
  args.parse(argc, argv);
  // L2 shrinks rare words' vectors into denormal floats, which halved the training speed.
  const recur::FlushDenormals flush;
  return recur::cli::guarded("recur-sentiment", [&]() -> int {
    const std::string command = args.str("COMMAND").empty() ? "train" : args.str("COMMAND");
    if (command == "train") {
      if (args.str("model") == "rntn") return train<recur::tree::TensorComposition>(args);
      if (args.str("model") == "rnn") return train<recur::tree::PlainComposition>(args);
      args.fail("--model must be rntn or rnn for train");
    }
    if (command == "predict") return predict(args);
    args.fail("unknown command '" + command + "' (train or predict)");
  });
}
