// recur-sentiment-seq: sequence to vector. A sentence or a whole movie review is read one word
// per step; the recurrent net's final state (or its mean or maximum over the steps) goes through
// a tanh head to one score in [-1, 1] (-1 hate, +1 love), or through a softmax over the
// treebank's five classes with --classes 5.
//   recur-sentiment-seq train [--data DIR | --reviews DIR] [--cell lstm|gru|elman] [--save FILE]
//   recur-sentiment-seq predict --model FILE [--trace] "a sentence"
// --data DIR: the Sentiment Treebank (train.txt, dev.txt, test.txt), the root label of each tree
// (binary: neutral roots dropped; --classes 5: all five); --reviews DIR: the movie-review
// polarity set (pos/*.txt, neg/*.txt; by default cv9xx test, cv8xx validation, the rest train;
// --fold K tests on cvKxx, and --cross-validate runs all ten folds, as Pang and Lee did).
// Without either it trains on a treebank generated from a small grammar with negation.
#include <recur/cell/elman.hpp>
#include <recur/cell/gru.hpp>
#include <recur/cell/lstm.hpp>
#include <recur/io/atomic_file.hpp>
#include <recur/io/input_file.hpp>
#include <recur/io/model_file.hpp>
#include <recur/text/sequence_classifier.hpp>
#include <recur/text/tokenizer.hpp>
#include <recur/text/vocabulary.hpp>
#include <recur/train/averaging.hpp>
#include <recur/train/clip.hpp>
#include <recur/train/loss.hpp>
#include <recur/train/optimizer.hpp>
#include <recur/tree/tree.hpp>
#include <recur/tree/word_vectors.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "../common/checkpointing.hpp"
#include "../common/cli.hpp"
#include "../common/lines.hpp"
#include "generated_treebank.hpp"

namespace {

using recur::Index;
using recur::MatX;
using recur::text::TokenFeatures;
using recur::text::Vocabulary;

struct Example {
  std::vector<std::string> words;
  Index label = 0;  ///< class (--classes K), or 0 negative / 1 positive for the score
  int fold = -1;    ///< reviews: the hundreds digit of cvNNN
};

struct Data {
  std::vector<Example> train, dev, test;
  std::string origin;
};

/// An example from a sentiment label: binary (0, 1 -> 0; 3, 4 -> 1; 2 dropped) or all classes.
void add_labelled(std::vector<Example>& to, std::vector<std::string> words, int label, Index classes) {
  if (classes == 5)
    to.push_back({std::move(words), label});
  else if (label != 2)
    to.push_back({std::move(words), label > 2 ? 1 : 0});
}

/// The root label of each tree.
std::vector<Example> roots(const std::vector<recur::tree::Tree>& trees, Index classes) {
  std::vector<Example> out;
  for (const auto& t : trees) add_labelled(out, t.words, t.node(t.root()).label, classes);
  return out;
}

/// Every phrase of the trees with its label (each distinct phrase once): the treebank's
/// phrase-level labels as extra training sequences, as sequence models on it are usually trained.
std::vector<Example> phrases(const std::vector<recur::tree::Tree>& trees, Index classes) {
  std::vector<Example> out;
  std::map<std::vector<std::string>, bool> seen;
  for (const auto& t : trees) {
    std::vector<std::pair<Index, Index>> span(static_cast<std::size_t>(t.size()));  // first word, end
    for (Index i = 0; i < t.size(); ++i) {
      const auto& n = t.node(i);
      span[static_cast<std::size_t>(i)] = n.leaf()
                                              ? std::pair<Index, Index>{n.word, n.word + 1}
                                              : std::pair<Index, Index>{span[static_cast<std::size_t>(n.left)].first,
                                                                        span[static_cast<std::size_t>(n.right)].second};
      const auto [a, b] = span[static_cast<std::size_t>(i)];
      std::vector<std::string> words(t.words.begin() + a, t.words.begin() + b);
      if (seen.emplace(words, true).second) add_labelled(out, std::move(words), n.label, classes);
    }
  }
  return out;
}

Data load_treebank(const recur::cli::Args& args, Index classes) {
  Data d;
  if (!args.has("data")) {
    sentiment::TreebankGenerator gen(static_cast<std::uint64_t>(args.integer("seed")) + 1000);
    auto take = [&](std::size_t n) {
      std::vector<recur::tree::Tree> trees;
      for (const auto& line : gen.sentences(n)) trees.push_back(recur::tree::parse(line));
      return roots(trees, classes);
    };
    d.train = take(4000);
    d.dev = take(500);
    d.test = take(1000);
    d.origin = "a generated treebank (4000 / 500 / 1000 sentences with negation, intensifiers and 'but'), roots";
    return d;
  }
  const std::string dir = args.str("data");
  auto read = [&](const char* name) {
    recur::tree::ReadOptions o;
    o.label_limit = 4;
    return recur::tree::read_file(dir + "/" + name, o, false).trees;
  };
  d.train = args.has("roots-only") ? roots(read("train.txt"), classes) : phrases(read("train.txt"), classes);
  d.dev = roots(read("dev.txt"), classes);
  d.test = roots(read("test.txt"), classes);
  d.origin = dir + " (Sentiment Treebank; training on " +
             (args.has("roots-only") ? "the sentences" : "every distinct phrase") + ", testing on the sentences" +
             (classes == 5 ? "" : ", neutral dropped") + ": " + std::to_string(d.train.size()) + " / " +
             std::to_string(d.dev.size()) + " / " + std::to_string(d.test.size()) + ")";
  return d;
}

/// Every review of the polarity set with its fold (the hundreds digit of cvNNN).
struct Reviews {
  std::vector<Example> all;
  std::size_t skipped = 0;  ///< files that were not UTF-8 text, or empty
};

Reviews load_reviews(const std::string& dir) {
  Reviews r;
  for (const char* polarity : {"neg", "pos"}) {
    const std::filesystem::path folder = std::filesystem::path(dir) / polarity;
    if (!std::filesystem::is_directory(folder)) throw recur::io_error(folder.string() + ": no such directory");
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
      if (entry.path().extension() == ".txt") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
      const std::string name = path.filename().string();
      if (name.size() < 5 || name.compare(0, 2, "cv") != 0 || name[2] < '0' || name[2] > '9')
        throw recur::io_error(path.string() + ": not named cvNNN_*.txt, so its fold is unknown");
      const std::string text = recur::io::read_input(path.string());
      if (!recur::text::is_utf8(text)) {
        if (r.skipped++ == 0) std::fprintf(stderr, "warning: %s is not UTF-8 text: skipped\n", path.string().c_str());
        continue;
      }
      Example e;
      std::istringstream in(text);
      std::string w;
      while (in >> w) e.words.push_back(w);
      if (e.words.empty()) {
        ++r.skipped;
        std::fprintf(stderr, "warning: %s is empty: skipped\n", path.string().c_str());
        continue;
      }
      e.label = std::string(polarity) == "pos" ? 1 : 0;
      e.fold = name[2] - '0';
      r.all.push_back(std::move(e));
    }
  }
  if (r.skipped) std::fprintf(stderr, "warning: %zu review file(s) skipped\n", r.skipped);
  return r;
}

/// Fold `test` tests, the fold before it (cyclically) chooses the epoch, the other eight train.
Data split_reviews(const Reviews& r, const std::string& dir, int test) {
  Data d;
  const int validation = (test + 9) % 10;
  for (const auto& e : r.all) (e.fold == test ? d.test : e.fold == validation ? d.dev : d.train).push_back(e);
  if (d.train.empty() || d.dev.empty() || d.test.empty())
    throw recur::io_error(dir + ": a split is empty (expected cv000-cv999 reviews in pos/ and neg/)");
  d.origin = dir + " (movie reviews: cv" + std::to_string(test) + "xx test " + std::to_string(d.test.size()) + ", cv" +
             std::to_string(validation) + "xx validation " + std::to_string(d.dev.size()) + ", the other folds train " +
             std::to_string(d.train.size()) + ")";
  return d;
}

const char* pooling_name(recur::text::Pooling p) {
  return p == recur::text::Pooling::mean ? "mean" : p == recur::text::Pooling::max ? "max" : "final";
}

/// The pooling named `name`; false if there is none.
bool pooling_of(const std::string& name, recur::text::Pooling& p) {
  for (auto candidate : {recur::text::Pooling::final_state, recur::text::Pooling::mean, recur::text::Pooling::max})
    if (name == pooling_name(candidate)) {
      p = candidate;
      return true;
    }
  return false;
}

struct Settings {
  Index classes = 0, embed = 100, hidden = 100, layers = 1, max_length = 0;
  double dropout = 0;
  bool lowercase = false;  ///< the training text was lower-cased (the reviews): so is predict's
  bool bidirectional = false;
  recur::text::Pooling pooling = recur::text::Pooling::final_state;

  recur::text::ClassifierOptions options(Index vocabulary) const {
    recur::text::ClassifierOptions o;
    o.feature_vocabularies = {vocabulary};
    o.feature_dims = {embed};
    o.hidden = hidden;
    o.stack = recur::StackOptions{layers, bidirectional, recur::Merge::concat, dropout};  // between layers
    o.pooling = pooling;
    o.classes = classes;
    o.dropout = dropout;
    return o;
  }
  std::vector<std::pair<std::string, std::string>> metadata() const {
    return {{"seq.classes", std::to_string(classes)},         {"seq.embed", std::to_string(embed)},
            {"seq.hidden", std::to_string(hidden)},           {"seq.layers", std::to_string(layers)},
            {"seq.bidirectional", bidirectional ? "1" : "0"}, {"seq.pooling", pooling_name(pooling)},
            {"seq.max_length", std::to_string(max_length)},   {"seq.lowercase", lowercase ? "1" : "0"},
            {"seq.dropout", recur::cli::exact_text(dropout)}};
  }
};

TokenFeatures features_of(const std::vector<std::string>& words, const Vocabulary& vocab, Index max_length) {
  TokenFeatures f(1);
  const std::size_t n = max_length > 0 ? std::min(words.size(), static_cast<std::size_t>(max_length)) : words.size();
  for (std::size_t i = 0; i < n; ++i) f[0].push_back(vocab.id(words[i]));
  return f;
}

/// A batch's loss and its gradient: mse against -1 / +1 for the score, cross-entropy for classes.
template <class S>
recur::Loss<S> loss_of(const MatX<S>& y, const std::vector<Index>& labels, Index classes) {
  if (classes > 0) return recur::softmax_cross_entropy(y, labels);
  MatX<S> target(1, static_cast<Index>(labels.size()));
  for (std::size_t b = 0; b < labels.size(); ++b) target(0, static_cast<Index>(b)) = labels[b] == 1 ? S(1) : S(-1);
  return recur::mse(y, target);
}

bool correct(const MatX<float>& y, Index b, Index label, Index classes) {
  if (classes == 0) return (y(0, b) > 0) == (label == 1);
  Index best = 0;
  y.col(b).maxCoeff(&best);
  return best == label;
}

/// Batches of similar lengths (less padding): examples sorted by length with random ties, cut
/// into batches, the batches in random order.
std::vector<std::vector<std::size_t>> length_batches(const std::vector<TokenFeatures>& x, std::size_t batch,
                                                     recur::Rng& rng) {
  std::vector<std::size_t> order(x.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng.engine());
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return x[a][0].size() < x[b][0].size(); });
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t k = 0; k < order.size(); k += batch)
    out.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(k),
                     order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), k + batch)));
  std::shuffle(out.begin(), out.end(), rng.engine());
  return out;
}

template <class Model>
double accuracy(const Model& model, const std::vector<TokenFeatures>& x, const std::vector<Example>& examples,
                Index classes) {
  long right = 0;
  for (std::size_t k = 0; k < x.size(); k += 64) {
    std::vector<const TokenFeatures*> part;
    for (std::size_t i = k; i < std::min(x.size(), k + 64); ++i) part.push_back(&x[i]);
    typename Model::Trace tr;
    const MatX<float> y = model.forward(recur::text::pack(part, 1), tr);
    for (std::size_t i = 0; i < part.size(); ++i)
      right += correct(y, static_cast<Index>(i), examples[k + i].label, classes);
  }
  return 100.0 * static_cast<double>(right) / static_cast<double>(std::max<std::size_t>(1, x.size()));
}

/// What one training run found.
struct Outcome {
  double test = 0, dev = -1;  ///< accuracy (%) on the test set, and of the kept epoch on validation
  std::size_t test_size = 0;
  Index best_epoch = 0;
  double seconds = 0, infer_seconds = 0;
  double sequences = 0, tokens = 0;  ///< trained on, over all epochs
};

/// The training options, read and checked once on the main thread: cross-validation trains
/// folds on several threads, and a bad option must stop the program before they start.
struct Training {
  Index min_count = 1, epochs = 0;
  std::uint64_t seed = 1;
  double lr = 0, clip = 0, word_dropout = 0;
  double average = 0;  ///< --average: the decay of the weights' moving average (0: none)
  std::size_t batch = 1;
  std::string vectors;  ///< initial word vectors (GloVe text), or empty
  /// That file, read once by with_vectors (cross-validation's ten folds share it).
  std::shared_ptr<const recur::tree::WordVectorTable<float>> vector_table;
  bool quiet = false;
};

Training training_of(const recur::cli::Args& args) {
  Training t;
  t.min_count = args.integer("min-count", 1);
  t.epochs = args.integer("epochs", 0);
  t.seed = static_cast<std::uint64_t>(args.integer("seed"));
  t.lr = args.number("lr");
  t.batch = static_cast<std::size_t>(args.integer("batch", 1, 100000));
  t.clip = args.number("clip");
  t.word_dropout = args.number("word-dropout");
  if (!(t.clip > 0)) args.fail("--clip must be positive");
  if (!(t.word_dropout >= 0 && t.word_dropout < 1)) args.fail("--word-dropout must be in [0, 1)");
  t.average = args.number("average");
  if (!(t.average >= 0 && t.average < 1)) args.fail("--average must be in [0, 1)");
  if (args.has("vectors")) t.vectors = args.str("vectors");
  t.quiet = args.quiet();
  return t;
}

/// `t` with --vectors read into t.vector_table, keeping only the words of `examples` (every
/// word a vocabulary built from them can hold), so a large file stays small in memory.
Training with_vectors(Training t, const std::vector<Example>& examples, Index dim) {
  if (t.vectors.empty()) return t;
  std::unordered_set<std::string> words;
  for (const auto& e : examples) words.insert(e.words.begin(), e.words.end());
  t.vector_table = std::make_shared<const recur::tree::WordVectorTable<float>>(
      recur::tree::read_word_vectors<float>(t.vectors, dim, [&](const std::string& w) { return words.count(w) > 0; }));
  return t;
}

/// Trains on d.train, keeps the epoch best on d.dev, tests it on d.test and saves it to `save`
/// (if not empty). `talk`: print the model and, unless quiet, a line per epoch. `checkpoints`
/// (a single run only): --checkpoint and --resume.
template <class Cell>
Outcome train_on(const Training& t, const Settings& settings, const Data& d, const std::string& cell_name, bool talk,
                 const std::string& save, recur::cli::Checkpointing* checkpoints = nullptr) {
  using Model = recur::text::SequenceClassifier<Cell>;
  if (d.train.empty() || d.dev.empty() || d.test.empty()) throw recur::value_error("a split has no examples");
  std::vector<std::vector<std::string>> sentences;
  for (const auto& e : d.train) sentences.push_back(e.words);
  const Vocabulary vocab = Vocabulary::build(sentences, t.min_count);
  auto featurize = [&](const std::vector<Example>& examples) {
    std::vector<TokenFeatures> out;
    for (const auto& e : examples) out.push_back(features_of(e.words, vocab, settings.max_length));
    return out;
  };
  const auto train_x = featurize(d.train), dev_x = featurize(d.dev), test_x = featurize(d.test);
  recur::Rng rng(t.seed);
  Model model(settings.options(vocab.size()), rng);
  Index found = 0;
  auto& embedding = model.embedding().table(0).weight;
  if (t.vector_table) found = t.vector_table->assign(vocab, embedding);
  recur::Adam<float> opt(static_cast<float>(t.lr));
  const Index epochs = t.epochs;
  const std::size_t batch = t.batch;
  const double clip = t.clip, word_dropout = t.word_dropout;
  if (talk) {
    std::printf("model: %s (%s), %ld parameters; vocabulary %ld words\n", model.describe().c_str(), cell_name.c_str(),
                static_cast<long>(recur::param_count(model)), static_cast<long>(vocab.size()));
    if (t.vector_table)
      std::printf("word vectors: %ld of %ld words found in %s\n", static_cast<long>(found),
                  static_cast<long>(vocab.size()), t.vectors.c_str());
    std::printf(
        "training: Adam lr %g, batch %zu (by length), clip %g, dropout %g, word dropout %g, %ld epochs, best on "
        "validation kept%s\n",
        t.lr, batch, clip, settings.dropout, word_dropout, static_cast<long>(epochs),
        t.average > 0 ? (", weights averaged with decay " + std::to_string(t.average)).c_str() : "");
    std::fflush(stdout);
  }

  Outcome out;
  // With --average, the moving average of the weights is what validation judges and keeps.
  std::optional<recur::AveragedModel<Model>> averaged;
  if (t.average > 0) averaged.emplace(model, t.average);
  Model best = model;
  recur::KeptAndAverage<Model> kept{best, averaged ? &*averaged : nullptr};  // what checkpoints carry
  long tokens = 0;
  for (const auto& x : train_x) tokens += static_cast<long>(x[0].size());
  const auto start = std::chrono::steady_clock::now();
  typename Model::Trace tr;
  // A checkpoint records the generator twice: before the epoch's batches were drawn (a resumed
  // run draws them again) and where the run stopped (dropout and word dropout go on from there).
  recur::cli::EpochPosition resumed;
  std::string rng_where_stopped;
  if (checkpoints && checkpoints->resuming()) {
    recur::TrainingState state;
    checkpoints->check_average(t.average);
    checkpoints->resume(model, opt, state, kept);
    resumed = recur::cli::EpochPosition::of(state);
    rng.restore(resumed.rng);
    if (resumed.next > 0) rng_where_stopped = state.text("rng_where_stopped");
    out.dev = resumed.best;
    out.best_epoch = resumed.best_epoch;
  }
  for (Index epoch = resumed.epoch; epoch <= epochs; ++epoch) {
    const bool continuing = resumed.continues(epoch);
    const std::string rng_at_epoch_start = rng.state();
    const auto epoch_batches = length_batches(train_x, batch, rng);
    if (continuing) rng.restore(rng_where_stopped);
    double loss = continuing ? resumed.loss : 0;
    long batches = continuing ? resumed.batches : 0;
    for (std::size_t b = continuing ? resumed.next : 0; b < epoch_batches.size(); ++b) {
      const auto& part = epoch_batches[b];
      std::vector<TokenFeatures> dropped;  // words become unknown with probability --word-dropout
      std::vector<Index> labels;
      for (std::size_t k : part) {
        dropped.push_back(train_x[k]);
        for (auto& id : dropped.back()[0])
          if (word_dropout > 0 && rng.uniform() < word_dropout) id = Vocabulary::unknown;
        labels.push_back(d.train[k].label);
      }
      std::vector<const TokenFeatures*> x;
      for (const auto& f : dropped) x.push_back(&f);
      const auto& y = model.forward(recur::text::pack(x, 1), tr, &rng);
      const auto l = loss_of(y, labels, settings.classes);
      model.backward(tr, l.grad);
      recur::clip_global_norm(model, clip);
      opt.step(model);
      if (averaged) averaged->update(model, opt.steps());
      loss += static_cast<double>(l.value);
      ++batches;
      if (checkpoints && b + 1 < epoch_batches.size())  // the epoch's end has its own checkpoint
        checkpoints->maybe_save(
            opt.steps(), model, opt,
            [&] {
              auto state = recur::cli::EpochPosition{epoch,          b + 1, rng_at_epoch_start, loss, batches, out.dev,
                                                     out.best_epoch, {},    t.average}
                               .state();
              state.set("rng_where_stopped", rng.state());
              return state;
            },
            kept);
    }
    Model& judged = averaged ? averaged->model() : model;
    const double dev = accuracy(judged, dev_x, d.dev, settings.classes);
    if (dev > out.dev) {
      out.dev = dev;
      best = judged;
      out.best_epoch = epoch;
    }
    if (talk && !t.quiet) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("epoch %3ld/%ld  loss %.4f  validation accuracy %.1f %%  %.0f s\n", static_cast<long>(epoch),
                  static_cast<long>(epochs), loss / static_cast<double>(std::max(1L, batches)), dev, secs);
      std::fflush(stdout);
    }
    if (checkpoints)
      checkpoints->maybe_save(
          opt.steps(), model, opt,
          [&] {
            return recur::cli::EpochPosition{epoch + 1, 0, rng.state(), 0, 0, out.dev, out.best_epoch, {}, t.average}
                .state();
          },
          kept, /*force=*/true);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto trained_epochs = static_cast<double>(std::max<Index>(0, epochs - resumed.epoch + 1));
  out.sequences = static_cast<double>(train_x.size()) * trained_epochs;
  out.tokens = static_cast<double>(tokens) * trained_epochs;
  const auto infer_start = std::chrono::steady_clock::now();
  out.test = accuracy(best, test_x, d.test, settings.classes);
  out.test_size = test_x.size();
  out.infer_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - infer_start).count();
  if (!save.empty()) {
    auto meta = settings.metadata();
    meta.push_back({"seq.vocabulary", recur::cli::join_lines(vocab.words())});
    meta.push_back({"seq.cell", cell_name});
    recur::save(best, save, {meta.begin(), meta.end()});
  }
  return out;
}

/// Pang and Lee's protocol: each of the ten folds is the test set once (the fold before it
/// chooses the epoch); the accuracy is over all 2,000 reviews, with the folds' spread.
template <class Cell>
int cross_validate(const recur::cli::Args& args, Training training, const Settings& settings,
                   const std::string& cell_name) {
  if (args.has("save")) args.fail("--cross-validate trains ten models and saves none: drop --save");
  if (args.has("checkpoint") || args.has("resume"))
    args.fail("--checkpoint and --resume are for a single run, not --cross-validate");
  const std::string dir = args.str("reviews");
  const Reviews reviews = load_reviews(dir);
  training = with_vectors(training, reviews.all, settings.embed);  // parsed once for the ten folds
  const auto threads = static_cast<std::size_t>(args.integer("threads", 1, 10));
  std::printf("data: %s (movie reviews, %zu; ten-fold cross-validation, %zu fold(s) at once)\n", dir.c_str(),
              reviews.all.size(), threads);
  std::fflush(stdout);
  std::vector<Data> splits;
  for (int k = 0; k < 10; ++k) splits.push_back(split_reviews(reviews, dir, k));
  std::vector<Outcome> outcomes(10);
  std::vector<std::exception_ptr> errors(10);
  std::atomic<int> next{0};
  const auto start = std::chrono::steady_clock::now();
  auto work = [&] {
    for (int k; (k = next++) < 10;) {
      try {
        outcomes[static_cast<std::size_t>(k)] =
            train_on<Cell>(training, settings, splits[static_cast<std::size_t>(k)], cell_name, k == 0, "");
        const Outcome& o = outcomes[static_cast<std::size_t>(k)];
        if (!training.quiet)
          std::printf("fold %d: test %.1f %% of %zu, the model of epoch %ld (validation %.1f %%), %.0f s\n", k, o.test,
                      o.test_size, static_cast<long>(o.best_epoch), o.dev, o.seconds);
        std::fflush(stdout);
      } catch (...) {
        errors[static_cast<std::size_t>(k)] = std::current_exception();
        next = 10;
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  double right = 0, total = 0, mean = 0, squares = 0;
  for (const auto& o : outcomes) {
    right += o.test / 100 * static_cast<double>(o.test_size);
    total += static_cast<double>(o.test_size);
    mean += o.test / 10;
  }
  for (const auto& o : outcomes) squares += (o.test - mean) * (o.test - mean);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "\ncross-validated accuracy %.2f %% (%.0f of %.0f reviews; folds %.1f +- %.1f %%, min %.1f, max %.1f)\n",
      100 * right / total, right, total, mean, std::sqrt(squares / 9),
      std::min_element(outcomes.begin(), outcomes.end(), [](auto& a, auto& b) { return a.test < b.test; })->test,
      std::max_element(outcomes.begin(), outcomes.end(), [](auto& a, auto& b) { return a.test < b.test; })->test);
  std::printf("time: %.0f s for ten folds\n", seconds);
  return 0;
}

template <class Cell>
int train(const recur::cli::Args& args, Settings settings, const std::string& cell_name) {
  const Training training = training_of(args);
  settings.lowercase = args.has("reviews");
  const int fold = static_cast<int>(args.integer("fold", 0, 9));
  if (!args.has("reviews")) {
    if (args.has("cross-validate") || fold != 9) args.fail("--fold and --cross-validate are for --reviews");
  }
  if (args.has("cross-validate")) return cross_validate<Cell>(args, training, settings, cell_name);
  const Data d = args.has("reviews") ? split_reviews(load_reviews(args.str("reviews")), args.str("reviews"), fold)
                                     : load_treebank(args, settings.classes);
  std::printf("data: %s\n", d.origin.c_str());
  recur::cli::Checkpointing checkpoints(args);
  const Outcome o = train_on<Cell>(with_vectors(training, d.train, settings.embed), settings, d, cell_name, true,
                                   args.str("save"), &checkpoints);
  std::printf("\ntest accuracy %.1f %% (%zu %s; %s), the model of epoch %ld (validation %.1f %%)\n", o.test,
              o.test_size, args.has("reviews") ? "reviews" : "sentences",
              settings.classes == 5 ? "five classes" : "positive or negative", static_cast<long>(o.best_epoch), o.dev);
  std::printf("speed: training %.0f s (%.0f sequences/s, %.0f words/s), testing %.0f sequences/s\n", o.seconds,
              o.sequences / std::max(o.seconds, 1e-9), o.tokens / std::max(o.seconds, 1e-9),
              static_cast<double>(o.test_size) / std::max(o.infer_seconds, 1e-9));
  if (args.has("save")) std::printf("wrote %s\n", args.str("save").c_str());
  return 0;
}

template <class Cell>
int predict(const recur::cli::Args& args, const recur::safetensors::File& file, const Settings& settings,
            const Vocabulary& vocab) {
  recur::Rng rng(1);
  recur::text::SequenceClassifier<Cell> model(settings.options(vocab.size()), rng);
  recur::load(model, file);
  auto words = recur::text::tokenize(args.str("TEXT"));
  if (words.empty()) throw recur::value_error("the sentence has no words");
  if (settings.lowercase)
    for (auto& w : words)
      for (auto& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto say = [&](const MatX<float>& y) {
    char out[64];
    if (settings.classes == 0) {
      std::snprintf(out, sizeof out, "%+.2f", static_cast<double>(y(0, 0)));
    } else {
      Index best = 0;
      y.col(0).maxCoeff(&best);
      std::snprintf(out, sizeof out, "class %ld", static_cast<long>(best));
    }
    return std::string(out);
  };
  if (args.has("trace")) {
    for (std::size_t n = 1; n <= words.size(); ++n) {  // the score of every prefix
      const std::vector<std::string> prefix(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(n));
      std::printf("%-16s %s%s\n", words[n - 1].c_str(),
                  say(model.predict(features_of(prefix, vocab, settings.max_length))).c_str(),
                  vocab.id(words[n - 1]) == Vocabulary::unknown ? "   (unknown word)" : "");
    }
  }
  std::printf("%s\n", say(model.predict(features_of(words, vocab, settings.max_length))).c_str());
  return 0;
}

Settings settings_of(const recur::cli::Args& args) {
  Settings s;
  s.classes = args.integer("classes", 2, 5);
  if (s.classes != 2 && s.classes != 5) args.fail("--classes must be 2 or 5, got " + args.str("classes"));
  if (s.classes == 2) s.classes = 0;  // two classes: one score in [-1, 1]
  s.embed = args.integer("embed", 1, 4096);
  s.hidden = args.integer("hidden", 1, 4096);
  s.layers = args.integer("layers", 1, 16);
  s.bidirectional = args.has("bidirectional");
  s.max_length = args.integer("max-length", 0);
  s.dropout = args.number("dropout");
  if (!(s.dropout >= 0 && s.dropout < 1)) args.fail("--dropout must be in [0, 1)");
  if (!pooling_of(args.str("pooling"), s.pooling))
    args.fail("--pooling must be final, mean or max, got '" + args.str("pooling") + "'");
  return s;
}

template <class Body>
int with_cell(const std::string& cell, Body&& body) {
  if (cell == "lstm") return body(recur::LSTM<float>(1, 1));
  if (cell == "gru") return body(recur::GRU<float>(1, 1));
  if (cell == "elman") return body(recur::Elman<float>(1, 1));
  throw recur::value_error("the cell must be lstm, gru or elman, got '" + cell + "'");
}

/// Writes the model's word vectors in GloVe's text format (a word and its E numbers a line,
/// the unknown word left out), for --vectors of another run: vectors learned on the Sentiment
/// Treebank can start a model of the reviews.
template <class Cell>
int write_vectors(const recur::cli::Args& args, const recur::safetensors::File& file, const Settings& settings,
                  const Vocabulary& vocab) {
  recur::Rng rng(1);
  recur::text::SequenceClassifier<Cell> model(settings.options(vocab.size()), rng);
  recur::load(model, file);
  const auto& table = model.embedding().table(0).weight;  // [E x V]
  std::string out;
  char number[32];
  for (Index id = 0; id < vocab.size(); ++id) {
    if (id == Vocabulary::unknown) continue;
    out += vocab.words()[static_cast<std::size_t>(id)];
    for (Index i = 0; i < table.rows(); ++i) {
      std::snprintf(number, sizeof number, " %.6g", static_cast<double>(table(i, id)));
      out += number;
    }
    out += '\n';
  }
  recur::write_file_atomically(args.str("out"), out);
  std::printf("wrote %ld word vectors of %ld numbers to %s\n", static_cast<long>(vocab.size() - 1),
              static_cast<long>(table.rows()), args.str("out").c_str());
  return 0;
}

/// predict, or (`vectors`) write the word vectors, of a saved model.
int run_saved(const recur::cli::Args& args, bool vectors) {
  const char* command = vectors ? "vectors" : "predict";
  if (!args.has("model")) args.fail(std::string(command) + " needs --model FILE");
  if (!vectors && !args.has("TEXT")) args.fail("predict needs a sentence");
  if (vectors && !args.has("out")) args.fail("vectors needs --out FILE");
  const std::string path = args.str("model");
  const auto file = recur::safetensors::File::read(path);
  const auto& meta = file.metadata();
  for (const char* key : {"seq.classes", "seq.embed", "seq.hidden", "seq.layers", "seq.bidirectional", "seq.pooling",
                          "seq.max_length", "seq.lowercase", "seq.vocabulary", "seq.cell"})
    if (!meta.count(key)) throw recur::io_error(path + ": not a recur-sentiment-seq model (no " + key + ")");
  auto number = [&](const char* key, long lo, long hi) {
    char* end = nullptr;
    const long v = std::strtol(meta.at(key).c_str(), &end, 10);
    if (*end != '\0' || v < lo || v > hi) throw recur::io_error(path + ": bad " + key);
    return static_cast<Index>(v);
  };
  Settings s;
  s.classes = number("seq.classes", 0, 100);
  s.embed = number("seq.embed", 1, 4096);
  s.hidden = number("seq.hidden", 1, 4096);
  s.layers = number("seq.layers", 1, 16);
  s.bidirectional = meta.at("seq.bidirectional") == "1";
  if (!pooling_of(meta.at("seq.pooling"), s.pooling))
    throw recur::io_error(path + ": bad seq.pooling '" + meta.at("seq.pooling") + "'");
  s.max_length = number("seq.max_length", 0, 1L << 30);
  s.lowercase = meta.at("seq.lowercase") == "1";
  if (meta.count("seq.dropout")) {  // part of the model's description, though inference skips it
    char* end = nullptr;
    s.dropout = std::strtod(meta.at("seq.dropout").c_str(), &end);
    if (*end != '\0' || !(s.dropout >= 0 && s.dropout < 1)) throw recur::io_error(path + ": bad seq.dropout");
  }
  const Vocabulary vocab = Vocabulary::from_words(recur::cli::split_lines(meta.at("seq.vocabulary")), false);
  return with_cell(meta.at("seq.cell"), [&](auto prototype) {
    using Cell = decltype(prototype);
    return vectors ? write_vectors<Cell>(args, file, s, vocab) : predict<Cell>(args, file, s, vocab);
  });
}

}  // namespace

int main(int argc, char** argv) {
  recur::cli::Args args("recur-sentiment-seq",
                        "sequence to vector: a sentence or review in, a score in [-1, 1] (or a class) out");
  args.positional("COMMAND", "train, predict, or vectors (write a saved model's word vectors, GloVe text format)");
  args.positional("TEXT", "for predict: a sentence");
  args.option("data", "DIR", "the Sentiment Treebank (train.txt, dev.txt, test.txt); default: generated", "");
  args.option("reviews", "DIR", "the movie-review polarity set (pos/, neg/) instead", "");
  args.option("model", "FILE", "predict, vectors: the saved model", "");
  args.option("out", "FILE", "vectors: the file to write", "");
  args.flag("trace", "predict: print the score after every word");
  args.option("classes", "K", "2: a score in [-1, 1]; 5: the treebank's five classes", "2");
  args.option("cell", "lstm|gru|elman", "the recurrent cell", "lstm");
  args.option("embed", "E", "word vector size", "100");
  args.option("hidden", "H", "hidden size (per direction)", "100");
  args.option("layers", "N", "stacked layers", "1");
  args.flag("bidirectional", "read the words in both directions");
  args.option("pooling", "final|mean|max", "the final state, or the mean or maximum over the steps", "final");
  args.flag("roots-only", "--data: train on whole sentences only, not on every labelled phrase");
  args.option("max-length", "N", "keep the first N words of longer texts (0: all)", "0");
  args.option("dropout", "P", "dropout on the word vectors, between layers and on the pooled vector while training",
              "0.5");
  args.option("vectors", "FILE", "initial word vectors, one word and E numbers per line (GloVe text format)", "");
  args.option("fold", "K", "--reviews: test on fold cvKxx (validation: the fold before)", "9");
  args.flag("cross-validate", "--reviews: train and test on each of the ten folds in turn (Pang and Lee's protocol)");
  args.option("threads", "N", "--cross-validate: folds trained at once", "1");
  args.option("word-dropout", "P", "training words become unknown with probability P", "0");
  args.option("min-count", "N", "training words seen fewer times are unknown", "1");
  args.option("epochs", "N", "training epochs (the best on validation is kept)", "10");
  args.option("batch", "N", "sequences per minibatch", "25");
  args.option("lr", "X", "Adam learning rate", "0.002");
  args.option("clip", "X", "clip the gradient's global norm to X", "5");
  args.option("save", "FILE", "save the best model (safetensors, with its vocabulary)", "");
  args.option("average", "D",
              "validate and keep a moving average of the weights: decay min(D, (1+n)/(10+n)) at minibatch n (0: off)",
              "0");
  recur::cli::Checkpointing::declare(args, "minibatches (train)", "500");
  args.parse(argc, argv);
  return recur::cli::guarded("recur-sentiment-seq", [&]() -> int {
    const std::string command = args.str("COMMAND").empty() ? "train" : args.str("COMMAND");
    if (command == "predict" || command == "vectors") return run_saved(args, command == "vectors");
    if (command != "train") args.fail("unknown command '" + command + "' (train, predict or vectors)");
    if (args.has("data") && args.has("reviews")) args.fail("give --data or --reviews, not both");
    const Settings s = settings_of(args);
    if (args.has("reviews") && s.classes != 0) args.fail("the reviews are positive or negative: --classes 2");
    const std::string cell = args.str("cell");
    return with_cell(cell, [&](auto prototype) { return train<decltype(prototype)>(args, s, cell); });
  });
}
