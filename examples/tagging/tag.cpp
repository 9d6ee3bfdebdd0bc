// recur-tag: a bidirectional LSTM part-of-speech tagger, a label at every step.
//   recur-tag train [--data DIR] [--save FILE] [--predictions FILE]
//   recur-tag predict --model FILE "a sentence"
// With --data DIR (the Penn Treebank sample: wsj_0001.mrg ... wsj_0199.mrg) it trains on
// wsj_0001-0139 (wsj_0140-0149 held out to choose the epoch) and reports token accuracy on
// wsj_0150-0199, overall and on words unseen in training, next to the most-frequent-tag
// baseline scored on the same tokens. Without it, it trains on sentences generated from a small
// grammar with ambiguous and made-up words.
#include <recur/cell/lstm.hpp>
#include <recur/io/model_file.hpp>
#include <recur/text/sequence_tagger.hpp>
#include <recur/text/tokenizer.hpp>
#include <recur/text/vocabulary.hpp>
#include <recur/text/word_features.hpp>
#include <recur/train/clip.hpp>
#include <recur/train/loss.hpp>
#include <recur/train/optimizer.hpp>
#include <recur/tree/treebank.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../common/checkpointing.hpp"
#include "../common/cli.hpp"
#include "../common/lines.hpp"
#include "generated_corpus.hpp"
#include "tagger_model.hpp"

namespace {

using recur::Index;
using recur::text::TokenFeatures;
using recur::text::Vocabulary;
using tagging::Lexicon;
using tagging::Sentence;
using tagging::Tagger;
using tagging::tagger_options;

struct Corpus {
  std::vector<Sentence> train, dev, test;
  std::string origin;
};

Corpus load_corpus(const recur::cli::Args& args) {
  Corpus c;
  if (!args.has("data")) {
    tagging::CorpusGenerator gen(static_cast<std::uint64_t>(args.integer("seed")) + 11);
    auto take = [&](std::size_t n, std::vector<Sentence>& to) {
      for (std::size_t i = 0; i < n; ++i) {
        Sentence s;
        for (const auto& [word, tag] : gen.sentence()) {
          s.words.push_back(word);
          s.tags.push_back(tag);
        }
        to.push_back(std::move(s));
      }
    };
    take(2000, c.train);
    take(300, c.dev);
    take(500, c.test);
    c.origin = "sentences generated from recur's grammar (2,000 / 300 / 500; ambiguous and made-up words)";
    return c;
  }
  const std::string dir = args.str("data");
  for (int k = 1; k <= 199; ++k) {
    char name[32];
    std::snprintf(name, sizeof name, "wsj_%04d.mrg", k);
    const std::string path = (std::filesystem::path(dir) / name).string();
    for (auto& tree : recur::tree::read_treebank(path)) {
      recur::tree::check_labels(tree, path);
      if (!recur::tree::normalize(tree)) continue;  // nothing left but empty elements
      Sentence s;
      recur::tree::leaves(tree, s.words, s.tags);
      (k <= 139 ? c.train : k <= 149 ? c.dev : c.test).push_back(std::move(s));
    }
  }
  c.origin = dir + " (train wsj_0001-0139, dev wsj_0140-0149, test wsj_0150-0199)";
  return c;
}

struct Example {
  TokenFeatures features;
  std::vector<Index> tags;
};

std::vector<Example> examples_of(const std::vector<Sentence>& sentences, const Lexicon& lex) {
  std::vector<Example> out;
  for (const auto& s : sentences) {  // every sentence, in order: scoring pairs them by index
    if (s.words.empty()) throw recur::value_error("a sentence without words in the corpus");
    out.push_back({lex.features_of(s.words), lex.tags.ids(s.tags)});
  }
  return out;
}

/// Predicted tag ids of every sentence, in batches of 64.
std::vector<std::vector<Index>> tag_all(const Tagger& tagger, const std::vector<Example>& examples) {
  std::vector<std::vector<Index>> out;
  for (std::size_t b = 0; b < examples.size(); b += 64) {
    std::vector<const TokenFeatures*> part;
    for (std::size_t k = b; k < std::min(examples.size(), b + 64); ++k) part.push_back(&examples[k].features);
    for (auto& tags : tagger.predict(recur::text::pack(part, Lexicon::features))) out.push_back(std::move(tags));
  }
  return out;
}

struct Accuracy {
  long right = 0, total = 0, unseen_right = 0, unseen_total = 0;
  double all() const { return total ? 100.0 * static_cast<double>(right) / static_cast<double>(total) : 0; }
  double unseen() const {
    return unseen_total ? 100.0 * static_cast<double>(unseen_right) / static_cast<double>(unseen_total) : 0;
  }
};

/// Scores predicted tags (as strings) against the gold ones; "unseen" are the words whose
/// lower-cased form never occurs in training.
Accuracy score(const std::vector<Sentence>& gold, const std::vector<std::vector<std::string>>& predicted,
               const Lexicon& lex) {
  Accuracy a;
  for (std::size_t i = 0; i < gold.size(); ++i)
    for (std::size_t t = 0; t < gold[i].words.size(); ++t) {
      const bool ok = predicted[i][t] == gold[i].tags[t];
      const bool unseen = lex.words.id(gold[i].words[t]) == Vocabulary::unknown;
      a.right += ok;
      ++a.total;
      a.unseen_right += ok && unseen;
      a.unseen_total += unseen;
    }
  return a;
}

std::vector<std::vector<std::string>> tag_names(const std::vector<std::vector<Index>>& ids, const Lexicon& lex) {
  std::vector<std::vector<std::string>> out;
  for (const auto& s : ids) {
    out.emplace_back();
    for (Index id : s) out.back().push_back(lex.tags.word(id));
  }
  return out;
}

/// The baseline: each training word's most frequent tag (exact spelling); a word unseen in
/// training gets the most frequent tag of the words seen only once.
std::vector<std::vector<std::string>> most_frequent_tag(const std::vector<Sentence>& train,
                                                        const std::vector<Sentence>& test) {
  std::map<std::string, std::map<std::string, int>> counts;
  for (const auto& s : train)
    for (std::size_t t = 0; t < s.words.size(); ++t) ++counts[s.words[t]][s.tags[t]];
  auto best_of = [](const std::map<std::string, int>& c) {
    std::string best;
    int most = 0;
    for (const auto& [tag, n] : c)
      if (n > most) {
        most = n;
        best = tag;
      }
    return best;
  };
  std::map<std::string, int> rare;
  for (const auto& [word, c] : counts)
    if (c.size() == 1 && c.begin()->second == 1) ++rare[c.begin()->first];
  const std::string unseen = rare.empty() ? "NN" : best_of(rare);
  std::vector<std::vector<std::string>> out;
  for (const auto& s : test) {
    out.emplace_back();
    for (const auto& w : s.words) {
      auto it = counts.find(w);
      out.back().push_back(it == counts.end() ? unseen : best_of(it->second));
    }
  }
  return out;
}

int train(const recur::cli::Args& args) {
  const Corpus corpus = load_corpus(args);
  const Lexicon lex = Lexicon::build(corpus.train);
  const std::vector<Example> train = examples_of(corpus.train, lex), dev = examples_of(corpus.dev, lex),
                             test = examples_of(corpus.test, lex);
  if (train.empty() || dev.empty() || test.empty()) throw recur::value_error("the corpus has an empty part");
  const Index epochs = args.integer("epochs", 0), batch = args.integer("batch", 1, 100000),
              word_dim = args.integer("word-dim", 1, 1000), hidden = args.integer("hidden", 1, 4096);
  const double word_dropout = args.number("word-dropout"), clip = args.number("clip");
  if (!(word_dropout >= 0 && word_dropout < 1)) args.fail("--word-dropout must be in [0, 1)");
  if (!(clip > 0)) args.fail("--clip must be positive");
  const auto seed = static_cast<std::uint64_t>(args.integer("seed"));
  recur::Rng rng(seed);
  const double dropout = args.number("dropout");
  if (!(dropout >= 0 && dropout < 1)) args.fail("--dropout must be in [0, 1)");
  Tagger tagger(tagger_options(lex, word_dim, hidden, dropout), rng);
  recur::Adam<float> opt(static_cast<float>(args.number("lr")));

  long tokens = 0;
  for (const auto& e : train) tokens += static_cast<long>(e.tags.size());
  if (!args.quiet()) {
    std::printf("data: %s\n", corpus.origin.c_str());
    std::printf("train %zu sentences (%ld tokens), dev %zu, test %zu; %ld words, %ld tags\n", train.size(), tokens,
                dev.size(), test.size(), static_cast<long>(lex.words.size()), static_cast<long>(lex.tags.size()));
    std::printf("model: %s, %ld parameters\n", tagger.describe().c_str(),
                static_cast<long>(recur::param_count(tagger)));
    std::printf("training: Adam lr %g, batch %ld, clip %g, dropout %g, word dropout %g for words seen once\n",
                args.number("lr"), static_cast<long>(batch), clip, dropout, word_dropout);
    std::fflush(stdout);
  }

  std::vector<std::size_t> order(train.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  Tagger best = tagger;
  double best_accuracy = -1;
  Index best_epoch = 0;
  recur::cli::Checkpointing checkpoints(args);
  recur::cli::EpochPosition resumed;
  if (checkpoints.resuming()) {
    recur::TrainingState state;
    checkpoints.resume(tagger, opt, state, best);
    resumed = recur::cli::EpochPosition::of(state);
    rng.restore(resumed.rng);
    order = resumed.order_of(order.size());
    best_accuracy = resumed.best;
    best_epoch = resumed.best_epoch;
  }
  const auto start = std::chrono::steady_clock::now();
  double train_seconds = 0;
  for (Index epoch = resumed.epoch; epoch <= epochs; ++epoch) {
    const bool continuing = resumed.continues(epoch);
    const std::string rng_at_epoch_start = rng.state();
    const std::vector<std::size_t> order_at_epoch_start = order;
    std::shuffle(order.begin(), order.end(), rng.engine());
    double loss = continuing ? resumed.loss : 0;
    long batches = continuing ? resumed.batches : 0;
    auto state_at = [&](Index at_epoch, std::size_t next, const std::string& generator,
                        const std::vector<std::size_t>& order_then) {
      return recur::cli::EpochPosition{at_epoch, next, generator, loss, batches, best_accuracy, best_epoch, order_then}
          .state();
    };
    const auto epoch_start = std::chrono::steady_clock::now();
    Tagger::Trace tr;
    for (std::size_t b = continuing ? resumed.next : 0; b < order.size(); b += static_cast<std::size_t>(batch)) {
      // Words seen once become unknown with probability --word-dropout, so that the unknown
      // word's vector learns to stand for new words. Drawn (with the dropout masks) from the
      // batch's own generator, so a resumed run draws the same.
      recur::Rng dropout_rng(seed * 1000003u + static_cast<std::uint64_t>(epoch) * 7919u + b);
      std::vector<TokenFeatures> features;
      std::vector<const std::vector<Index>*> labels;
      for (std::size_t k = b; k < std::min(order.size(), b + static_cast<std::size_t>(batch)); ++k) {
        features.push_back(train[order[k]].features);
        for (auto& id : features.back()[0])
          if (lex.word_count[static_cast<std::size_t>(id)] == 1 && dropout_rng.uniform() < word_dropout)
            id = Vocabulary::unknown;
        labels.push_back(&train[order[k]].tags);
      }
      std::vector<const TokenFeatures*> part;
      for (const auto& f : features) part.push_back(&f);
      const auto tokens_batch = recur::text::pack(part, Lexicon::features);
      const auto& scores = tagger.forward(tokens_batch, tr, &dropout_rng);
      const auto l = recur::softmax_cross_entropy(scores, recur::text::pack_labels(labels, tokens_batch.steps));
      tagger.backward(tr, l.grad);
      recur::clip_global_norm(tagger, clip);
      opt.step(tagger);
      loss += static_cast<double>(l.value);
      ++batches;
      const std::size_t next = b + static_cast<std::size_t>(batch);
      if (next < order.size())
        checkpoints.maybe_save(
            opt.steps(), tagger, opt, [&] { return state_at(epoch, next, rng_at_epoch_start, order_at_epoch_start); },
            best);
    }
    train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    const double accuracy = score(corpus.dev, tag_names(tag_all(tagger, dev), lex), lex).all();
    if (accuracy > best_accuracy) {
      best_accuracy = accuracy;
      best = tagger;
      best_epoch = epoch;
    }
    if (!args.quiet()) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("epoch %3ld/%ld  loss %.4f  dev accuracy %.2f %%  %.0f s\n", static_cast<long>(epoch),
                  static_cast<long>(epochs), loss / static_cast<double>(std::max(1L, batches)), accuracy, secs);
      std::fflush(stdout);
    }
    checkpoints.maybe_save(
        opt.steps(), tagger, opt, [&] { return state_at(epoch + 1, 0, rng.state(), order); }, best, /*force=*/true);
  }

  const auto tag_start = std::chrono::steady_clock::now();
  const auto predicted = tag_names(tag_all(best, test), lex);
  const double tag_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tag_start).count();
  const Accuracy model = score(corpus.test, predicted, lex);
  const Accuracy baseline = score(corpus.test, most_frequent_tag(corpus.train, corpus.test), lex);
  std::printf("\ntest, %ld tokens (%ld unseen in training), the model of epoch %ld (dev %.2f %%):\n", model.total,
              model.unseen_total, static_cast<long>(best_epoch), best_accuracy);
  std::printf("  %-28s %8s %8s\n", "", "all", "unseen");
  std::printf("  %-28s %7.2f%% %7.2f%%\n", "bidirectional LSTM", model.all(), model.unseen());
  std::printf("  %-28s %7.2f%% %7.2f%%\n", "most frequent tag", baseline.all(), baseline.unseen());
  if (train_seconds > 0)
    std::printf("speed: training %.0f tokens/s (%.1f s per epoch), tagging %.0f tokens/s\n",
                static_cast<double>(tokens) * static_cast<double>(epochs - resumed.epoch + 1) / train_seconds,
                train_seconds / static_cast<double>(epochs - resumed.epoch + 1),
                static_cast<double>(model.total) / std::max(tag_seconds, 1e-9));

  if (args.has("predictions")) {
    std::string out;
    for (std::size_t i = 0; i < corpus.test.size(); ++i) {
      for (std::size_t t = 0; t < predicted[i].size(); ++t)
        out += (t ? " " : "") + corpus.test[i].words[t] + "/" + predicted[i][t];
      out += "\n";
    }
    recur::write_file_atomically(args.str("predictions"), out);
    std::printf("wrote %s\n", args.str("predictions").c_str());
  }
  if (args.has("save")) {
    recur::save(best, args.str("save"), tagging::TaggerModel::metadata(lex, word_dim, hidden, dropout));
    std::printf("wrote %s\n", args.str("save").c_str());
  }
  return 0;
}

int predict(const recur::cli::Args& args) {
  if (!args.has("model")) args.fail("predict needs --model FILE");
  if (!args.has("TEXT")) args.fail("predict needs a sentence");
  const auto model = tagging::TaggerModel::load(args.str("model"));
  recur::text::TokenizeOptions o;
  o.ptb_quotes = true;
  const auto words = recur::text::tokenize(args.str("TEXT"), o);
  if (words.empty()) throw recur::value_error("the sentence has no words");
  const auto tags = model.tag({words}).front();
  for (std::size_t t = 0; t < words.size(); ++t)
    std::printf("%s%s/%s", t ? " " : "", words[t].c_str(), tags[t].c_str());
  std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  recur::cli::Args args("recur-tag", "a bidirectional LSTM part-of-speech tagger (a label at every word)");
  args.positional("COMMAND", "train or predict");
  args.positional("TEXT", "for predict: a sentence");
  args.option("data", "DIR", "the Penn Treebank sample (wsj_0001.mrg ...); default: generated sentences", "");
  args.option("model", "FILE", "predict: the saved model", "");
  args.option("epochs", "N", "training epochs (the best on dev is kept)", "10");
  args.option("batch", "N", "sentences per minibatch", "16");
  args.option("lr", "X", "Adam learning rate", "0.003");
  args.option("clip", "X", "clip the gradient's global norm to X", "5");
  args.option("word-dim", "D", "word vector size (suffix and shape vectors: 8 + 16 + 16 + 8)", "64");
  args.option("hidden", "H", "LSTM size per direction", "64");
  args.option("dropout", "P", "dropout on the word features and the LSTM outputs while training", "0.3");
  args.option("word-dropout", "P", "words seen once in training are unknown with probability P", "0.3");
  args.option("predictions", "FILE", "write the test sentences as word/TAG, one per line", "");
  args.option("save", "FILE", "save the best model (safetensors, with its vocabularies)", "");
  recur::cli::Checkpointing::declare(args, "minibatches (train)", "100");
  args.parse(argc, argv);
  return recur::cli::guarded("recur-tag", [&]() -> int {
    const std::string command = args.str("COMMAND").empty() ? "train" : args.str("COMMAND");
    if (command == "train") return train(args);
    if (command == "predict") return predict(args);
    args.fail("unknown command '" + command + "' (train or predict)");
  });
}
