// recur-parse: a recursive-network parser (Socher et al., ICML 2011) that learns to build and
// label phrase-structure trees.
//   recur-parse train [--data DIR] [--predictions FILE] [--save FILE]
//   recur-parse predict --model FILE "a sentence"     (tokens may carry tags: "dogs/NNS")
// --tagger FILE (a recur-tag model) tags the dev and test sentences, and predict's untagged
// words, with the bidirectional LSTM tagger instead of taking the treebank's gold tags.
// With --data DIR (the Penn Treebank sample: wsj_0001.mrg ... wsj_0199.mrg) it trains on
// wsj_0001-0149 (wsj_0140-0149 held out to choose the epoch), tests on wsj_0150-0199, and
// reports evalb-style bracketing scores next to right- and left-branching baselines scored the
// same way. Without it, it trains on a treebank generated from a small grammar.
#include <recur/io/model_file.hpp>
#include <recur/train/optimizer.hpp>
#include <recur/train/regularization.hpp>
#include <recur/tree/chart_parser.hpp>
#include <recur/tree/treebank.hpp>
#include <recur/tree/vocabulary.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../common/checkpointing.hpp"
#include "../common/cli.hpp"
#include "../common/lines.hpp"
#include "../tagging/tagger_model.hpp"
#include "generated_grammar.hpp"

namespace {

using recur::Index;
using recur::cli::join_lines;
using recur::cli::split_lines;
using recur::tree::Constituent;
using recur::tree::ParseExample;
using recur::tree::ParseOptions;
using recur::tree::ParseSentence;
using recur::tree::Tree;
using recur::tree::Vocabulary;

struct Data {
  std::vector<Constituent> train, dev, test;
  std::string origin;
};

void add_normalized(std::vector<Constituent>& to, std::vector<Constituent> trees, const std::string& origin) {
  for (auto& c : trees) {
    recur::tree::check_labels(c, origin);
    if (recur::tree::normalize(c)) to.push_back(std::move(c));
  }
}

Data load_data(const recur::cli::Args& args) {
  Data d;
  if (!args.has("data")) {
    parsing::GrammarGenerator gen(static_cast<std::uint64_t>(args.integer("seed")) + 7);
    auto take = [&](std::size_t n, std::vector<Constituent>& to) {
      std::string text;
      for (const auto& s : gen.sentences(n)) text += s + "\n";
      add_normalized(to, recur::tree::parse_treebank(text, "generated"), "generated");
    };
    take(1500, d.train);
    take(200, d.dev);
    take(400, d.test);
    d.origin = "a treebank generated from recur's grammar (1,500 / 200 / 400 sentences; gold tags)";
    return d;
  }
  const std::string dir = args.str("data");
  for (int k = 1; k <= 199; ++k) {
    char name[32];
    std::snprintf(name, sizeof name, "wsj_%04d.mrg", k);
    const std::string path = (std::filesystem::path(dir) / name).string();
    auto trees = recur::tree::read_treebank(path);
    add_normalized(k <= 139 ? d.train : k <= 149 ? d.dev : d.test, std::move(trees), path);
  }
  d.origin = dir + " (train wsj_0001-0139, dev wsj_0140-0149, test wsj_0150-0199; gold part-of-speech tags)";
  return d;
}

/// Everything the parser needs from the training data, saved with the model.
struct Lexicon {
  Vocabulary words, tags;
  std::vector<std::string> labels;
  std::map<std::string, std::string> usual_tag;  ///< each training word's most frequent tag

  ParseSentence sentence(const std::vector<std::string>& w, const std::vector<std::string>& t) const {
    ParseSentence s;
    s.words = w;
    s.tags = t;
    for (const auto& x : w) s.ids.push_back(words.id(x));
    for (const auto& x : t) s.tag_ids.push_back(tags.id(x));
    return s;
  }

  /// A tag for a word typed without one: its usual tag in training, else a guess by shape.
  std::string guess_tag(const std::string& word) const {
    auto it = usual_tag.find(word);
    if (it != usual_tag.end()) return it->second;
    auto ends = [&](const char* suffix) {
      const std::string s = suffix;
      return word.size() > s.size() && word.compare(word.size() - s.size(), s.size(), s) == 0;
    };
    if (!word.empty() && std::isdigit(static_cast<unsigned char>(word[0]))) return "CD";
    if (!word.empty() && std::isupper(static_cast<unsigned char>(word[0]))) return "NNP";
    if (ends("ly")) return "RB";
    if (ends("ing")) return "VBG";
    if (ends("ed")) return "VBD";
    if (ends("s")) return "NNS";
    return "NN";
  }
};

Lexicon build_lexicon(const std::vector<Constituent>& train, Index min_count) {
  Lexicon lex;
  std::vector<Tree> trees;
  std::map<std::string, std::map<std::string, int>> tag_counts;
  std::vector<std::string> tag_list{Vocabulary::unknown_word};
  std::vector<std::string> seen_labels;
  for (const auto& c : train) {
    std::vector<std::string> w, t;
    recur::tree::leaves(c, w, t);
    for (std::size_t i = 0; i < w.size(); ++i) {
      ++tag_counts[w[i]][t[i]];
      if (std::find(tag_list.begin(), tag_list.end(), t[i]) == tag_list.end()) tag_list.push_back(t[i]);
    }
    trees.push_back(recur::tree::binarize(c));
    for (const auto& n : trees.back().nodes)
      if (!n.leaf() && std::find(seen_labels.begin(), seen_labels.end(), n.tag) == seen_labels.end())
        seen_labels.push_back(n.tag);
  }
  lex.words = Vocabulary::build(trees, min_count);
  lex.tags = Vocabulary::from_words(tag_list, false);
  lex.labels = seen_labels;
  for (const auto& [word, counts] : tag_counts) {
    std::string best;
    int most = 0;
    for (const auto& [tag, n] : counts)
      if (n > most) {
        most = n;
        best = tag;
      }
    lex.usual_tag[word] = best;
  }
  return lex;
}

struct Prepared {
  std::vector<ParseExample> examples;
  std::size_t skipped_long = 0;
};

Prepared prepare(const std::vector<Constituent>& trees, const Lexicon& lex, Index max_length) {
  Prepared p;
  std::map<std::string, Index> label_id;
  for (std::size_t k = 0; k < lex.labels.size(); ++k) label_id[lex.labels[k]] = static_cast<Index>(k);
  for (const auto& c : trees) {
    ParseExample e;
    std::vector<std::string> w, t;
    recur::tree::leaves(c, w, t);
    if (static_cast<Index>(w.size()) > max_length) {
      ++p.skipped_long;
      continue;
    }
    e.sentence = lex.sentence(w, t);
    e.gold = recur::tree::binarize(c);
    for (const auto& n : e.gold.nodes) {
      auto it = label_id.find(n.tag);
      e.gold_labels.push_back(n.leaf() || it == label_id.end() ? -1 : it->second);
    }
    for (const auto& span : recur::tree::inner_spans(e.gold)) e.gold_spans.insert(span);
    p.examples.push_back(std::move(e));
  }
  return p;
}

struct Evaluation {
  recur::tree::BracketScore model, right, left;
  std::vector<Constituent> predicted;
  std::size_t greedy = 0;  ///< sentences over --max-length, decoded greedily
};

using Tags = std::vector<std::vector<std::string>>;  ///< a tag per word, per sentence

/// The tags a tagger predicts for the trees' words (empty without a tagger: gold tags are used).
Tags predicted_tags(const std::optional<tagging::TaggerModel>& tagger, const std::vector<Constituent>& trees) {
  if (!tagger) return {};
  Tags words;
  for (const auto& c : trees) {
    std::vector<std::string> w, t;
    recur::tree::leaves(c, w, t);
    words.push_back(std::move(w));
  }
  return tagger->tag(words);
}

/// Share of the trees' gold tags that `tags` matches, in percent.
double tag_accuracy(const std::vector<Constituent>& trees, const Tags& tags) {
  long right = 0, total = 0;
  for (std::size_t k = 0; k < trees.size(); ++k) {
    std::vector<std::string> w, t;
    recur::tree::leaves(trees[k], w, t);
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (tags[k][i] == t[i]) ++right;
      ++total;
    }
  }
  return total ? 100.0 * static_cast<double>(right) / static_cast<double>(total) : 0;
}

/// Parses every tree's sentence, with the gold tags or, if `tags` is not empty, with those.
template <class Parser>
Evaluation evaluate(const Parser& parser, const std::vector<Constituent>& trees, const Tags& tags, const Lexicon& lex,
                    const ParseOptions& o, Index max_length, int threads, const std::string& baseline_label) {
  Evaluation ev;
  ev.predicted.resize(trees.size());
  std::vector<char> greedy(trees.size(), 0);
  Parser::parallel_for(trees.size(), threads, [&](std::size_t k) {
    std::vector<std::string> w, t;
    recur::tree::leaves(trees[k], w, t);
    const auto s = lex.sentence(w, tags.empty() ? t : tags[k]);
    const bool long_one = s.size() > max_length;
    greedy[k] = static_cast<char>(long_one);
    const auto r = long_one ? parser.greedy(s) : parser.decode(s, o);
    ev.predicted[k] = recur::tree::unbinarize(r.tree);
  });
  for (std::size_t k = 0; k < trees.size(); ++k) {
    std::vector<std::string> w, t;
    recur::tree::leaves(trees[k], w, t);
    const auto gold = recur::tree::brackets(trees[k]);
    ev.model.add(gold, recur::tree::brackets(ev.predicted[k]));
    ev.right.add(gold, recur::tree::brackets(recur::tree::branching(w, t, true, baseline_label)));
    ev.left.add(gold, recur::tree::brackets(recur::tree::branching(w, t, false, baseline_label)));
    ev.greedy += static_cast<std::size_t>(greedy[k]);
  }
  return ev;
}

void print_row(const char* name, const recur::tree::BracketScore& s) {
  std::printf("  %-22s %6.1f %6.1f %6.1f   %6.1f %6.1f %6.1f\n", name, s.unlabeled.precision(), s.unlabeled.recall(),
              s.unlabeled.f1(), s.labeled.precision(), s.labeled.recall(), s.labeled.f1());
}

template <template <class> class Composition>
int train(const recur::cli::Args& args) {
  using Parser = recur::tree::ChartParser<float, Composition>;
  const Data d = load_data(args);
  const Lexicon lex = build_lexicon(d.train, args.integer("min-count", 1));
  const Index dim = args.integer("dim", 1, 300), epochs = args.integer("epochs", 0),
              batch = args.integer("batch", 1, 100000), max_length = args.integer("max-length", 2, 1000);
  const int threads = static_cast<int>(args.integer("threads", 1, 64));
  ParseOptions decode;
  decode.beam = args.integer("beam", 1, 1000);
  decode.exact_up_to = args.integer("exact-up-to", 0, 12);
  decode.kappa = args.number("kappa");
  const double label_weight = args.number("label-weight"), l2 = args.number("l2");
  recur::Rng rng(static_cast<std::uint64_t>(args.integer("seed")));
  Parser parser(lex.words.size(), lex.tags.size(), dim, lex.labels, rng);
  recur::AdaGrad<float> opt(static_cast<float>(args.number("lr")));
  std::optional<tagging::TaggerModel> tagger;
  if (args.has("tagger")) tagger = tagging::TaggerModel::load(args.str("tagger"));
  const Tags dev_tags = predicted_tags(tagger, d.dev), test_tags = predicted_tags(tagger, d.test);

  const Prepared train = prepare(d.train, lex, args.integer("train-max-length", 2, 1000));
  // The most frequent phrase label labels the baselines' brackets.
  std::map<std::string, int> label_counts;
  for (const auto& c : d.train)
    for (const auto& [label, a, b] : recur::tree::brackets(c)) ++label_counts[label];
  std::string common = "NP";
  for (const auto& [label, n] : label_counts)
    if (n > label_counts[common]) common = label;

  std::printf("data: %s\n", d.origin.c_str());
  std::printf("train %zu sentences (%zu longer than --train-max-length skipped), dev %zu, test %zu\n",
              train.examples.size(), train.skipped_long, d.dev.size(), d.test.size());
  std::printf("model: %s; %zu phrase labels; words and part-of-speech tags at the leaves (trained on gold tags)\n",
              parser.describe().c_str(), lex.labels.size());
  if (tagger)
    std::printf("tags of the dev and test sentences: predicted by %s (%.2f %% of the test tokens' gold tags)\n",
                args.str("tagger").c_str(), tag_accuracy(d.test, test_tags));
  else
    std::printf("tags of the dev and test sentences: gold\n");
  std::printf("training: max-margin, kappa %g, CKY beam %ld (exact up to %ld words), AdaGrad lr %g, batch %ld, L2 %g\n",
              decode.kappa, static_cast<long>(decode.beam), static_cast<long>(decode.exact_up_to), args.number("lr"),
              static_cast<long>(batch), l2);
  std::fflush(stdout);

  std::vector<std::size_t> order(train.examples.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  Parser best = parser;
  double best_f1 = -1;
  Index best_epoch = 0;
  const auto start = std::chrono::steady_clock::now();
  recur::cli::Checkpointing checkpoints(args);
  recur::cli::EpochPosition resumed;
  if (checkpoints.resuming()) {
    recur::TrainingState state;
    checkpoints.resume(parser, opt, state, best);
    resumed = recur::cli::EpochPosition::of(state);
    rng.restore(resumed.rng);
    order = resumed.order_of(order.size());
    best_f1 = resumed.best;
    best_epoch = resumed.best_epoch;
  }
  for (Index epoch = resumed.epoch; epoch <= epochs; ++epoch) {
    const bool continuing = resumed.continues(epoch);
    const std::string rng_at_epoch_start = rng.state();
    const std::vector<std::size_t> order_at_epoch_start = order;  // each epoch shuffles the last one's order
    std::shuffle(order.begin(), order.end(), rng.engine());
    double loss = continuing ? resumed.loss : 0;
    long batches = continuing ? resumed.batches : 0;
    auto state_at = [&](Index at_epoch, std::size_t next, const std::string& generator,
                        const std::vector<std::size_t>& order_then) {
      return recur::cli::EpochPosition{at_epoch, next, generator, loss, batches, best_f1, best_epoch, order_then}
          .state();
    };
    for (std::size_t b = continuing ? resumed.next : 0; b < order.size(); b += static_cast<std::size_t>(batch)) {
      std::vector<const ParseExample*> part;
      for (std::size_t k = b; k < std::min(order.size(), b + static_cast<std::size_t>(batch)); ++k)
        part.push_back(&train.examples[order[k]]);
      loss += parser.train_step(part, decode, label_weight, threads);
      recur::add_l2(parser, l2, "compose.");
      recur::add_l2(parser, l2, "classifier.weight");
      opt.step(parser);
      ++batches;
      const std::size_t next = b + static_cast<std::size_t>(batch);
      if (next < order.size())  // the epoch's last minibatch is followed by the end-of-epoch checkpoint
        checkpoints.maybe_save(
            opt.steps(), parser, opt, [&] { return state_at(epoch, next, rng_at_epoch_start, order_at_epoch_start); },
            best);
    }
    const Evaluation dev = evaluate(parser, d.dev, dev_tags, lex, decode, max_length, threads, common);
    const double f1 = dev.model.unlabeled.f1();
    if (f1 > best_f1) {
      best_f1 = f1;
      best = parser;
      best_epoch = epoch;
    }
    if (!args.quiet()) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("epoch %3ld/%ld  loss %.4f  dev unlabeled F1 %.1f labeled F1 %.1f  %.0f s, ETA %.0f s\n",
                  static_cast<long>(epoch), static_cast<long>(epochs), loss / static_cast<double>(batches), f1,
                  dev.model.labeled.f1(), secs,
                  secs / static_cast<double>(epoch) * static_cast<double>(epochs - epoch));
      std::fflush(stdout);
    }
    checkpoints.maybe_save(
        opt.steps(), parser, opt, [&] { return state_at(epoch + 1, 0, rng.state(), order); }, best, /*force=*/true);
  }
  const Evaluation test = evaluate(best, d.test, test_tags, lex, decode, max_length, threads, common);
  if (test.greedy)
    std::fprintf(stderr, "warning: %zu test sentences over --max-length %ld words were parsed greedily\n", test.greedy,
                 static_cast<long>(max_length));
  std::printf("\ntest, %zu sentences (the model of epoch %ld, best dev unlabeled F1 %.1f)%s:\n", d.test.size(),
              static_cast<long>(best_epoch), best_f1,
              test.greedy ? (", " + std::to_string(test.greedy) + " over --max-length parsed greedily").c_str() : "");
  std::printf("  %-22s %6s %6s %6s   %6s %6s %6s\n", "", "unlabeled", "", "", "labeled", "", "");
  std::printf("  %-22s %6s %6s %6s   %6s %6s %6s\n", "", "P", "R", "F1", "P", "R", "F1");
  print_row("recursive net", test.model);
  print_row("right-branching", test.right);
  print_row("left-branching", test.left);
  std::printf("  (baselines label every phrase %s, the most frequent label)\n", common.c_str());
  std::printf("labeled F1 per label:");
  for (const char* label : {"NP", "VP", "PP", "S"}) {
    auto it = test.model.by_label.find(label);
    if (it != test.model.by_label.end()) std::printf("  %s %.1f (%g gold)", label, it->second.f1(), it->second.gold);
  }
  std::printf("\n");

  if (args.has("predictions")) {
    std::string out;
    for (const auto& c : test.predicted) out += recur::tree::to_string(c) + "\n";
    recur::write_file_atomically(args.str("predictions"), out);
    std::printf("wrote %s\n", args.str("predictions").c_str());
  }
  if (args.has("save")) {
    std::vector<std::string> lexicon;
    for (const auto& [word, tag] : lex.usual_tag) lexicon.push_back(word + " " + tag);
    recur::save(best, args.str("save"),
                {{"parse.words", join_lines(lex.words.words())},
                 {"parse.tags", join_lines(lex.tags.words())},
                 {"parse.labels", join_lines(lex.labels)},
                 {"parse.lexicon", join_lines(lexicon)},
                 {"parse.dim", std::to_string(dim)},
                 {"parse.composition", Composition<float>::name()}});
    std::printf("wrote %s\n", args.str("save").c_str());
  }
  return 0;
}

template <template <class> class Composition>
int predict_with(const recur::cli::Args& args, const recur::safetensors::File& file, const Lexicon& lex, Index dim);

int predict(const recur::cli::Args& args) {
  if (!args.has("model")) args.fail("predict needs --model FILE");
  if (!args.has("TEXT")) args.fail("predict needs a sentence");
  const auto file = recur::safetensors::File::read(args.str("model"));
  const auto& meta = file.metadata();
  for (const char* key :
       {"parse.words", "parse.tags", "parse.labels", "parse.lexicon", "parse.dim", "parse.composition"})
    if (!meta.count(key)) throw recur::io_error(args.str("model") + ": not a recur-parse model (no " + key + ")");
  Lexicon lex;
  lex.words = Vocabulary::from_words(split_lines(meta.at("parse.words")), false);
  lex.tags = Vocabulary::from_words(split_lines(meta.at("parse.tags")), false);
  lex.labels = split_lines(meta.at("parse.labels"));
  for (const auto& line : split_lines(meta.at("parse.lexicon"))) {
    const auto space = line.find(' ');
    if (space != std::string::npos) lex.usual_tag[line.substr(0, space)] = line.substr(space + 1);
  }
  char* end = nullptr;
  const long dim = std::strtol(meta.at("parse.dim").c_str(), &end, 10);
  if (*end != '\0' || dim < 1 || dim > 300) throw recur::io_error(args.str("model") + ": bad parse.dim");
  const std::string composition = meta.at("parse.composition");
  if (composition == "rntn") return predict_with<recur::tree::TensorComposition>(args, file, lex, dim);
  if (composition == "rnn") return predict_with<recur::tree::PlainComposition>(args, file, lex, dim);
  throw recur::io_error(args.str("model") + ": unknown parse.composition '" + composition + "'");
}

template <template <class> class Composition>
int predict_with(const recur::cli::Args& args, const recur::safetensors::File& file, const Lexicon& lex, Index dim) {
  recur::Rng rng(1);
  recur::tree::ChartParser<float, Composition> parser(lex.words.size(), lex.tags.size(), dim, lex.labels, rng);
  recur::load(parser, file);

  std::vector<std::string> words, tags;
  std::vector<bool> tagged;  // typed as word/TAG
  std::istringstream in(args.str("TEXT"));
  std::string token;
  while (in >> token) {
    const auto slash = token.rfind('/');
    const bool has_tag = slash != std::string::npos && slash > 0 && slash + 1 < token.size();
    words.push_back(has_tag ? token.substr(0, slash) : token);
    tags.push_back(has_tag ? token.substr(slash + 1) : std::string());
    tagged.push_back(has_tag);
  }
  if (words.empty()) throw recur::value_error("the sentence has no words");
  // Untagged words: the tagger's tags if there is one, else each word's usual tag in training.
  const Tags guessed = args.has("tagger") ? tagging::TaggerModel::load(args.str("tagger")).tag({words}) : Tags{};
  for (std::size_t i = 0; i < words.size(); ++i)
    if (!tagged[i]) tags[i] = guessed.empty() ? lex.guess_tag(words[i]) : guessed[0][i];
  const auto s = lex.sentence(words, tags);
  const Index max_length = args.integer("max-length", 2, 1000);
  ParseOptions o;
  o.beam = args.integer("beam", 1, 1000);
  o.exact_up_to = args.integer("exact-up-to", 0, 12);
  if (s.size() > max_length)
    std::fprintf(stderr, "warning: %ld words, over --max-length %ld: parsed greedily\n", static_cast<long>(s.size()),
                 static_cast<long>(max_length));
  const auto r = s.size() > max_length ? parser.greedy(s) : parser.decode(s, o);
  std::printf("%s", recur::tree::to_indented_string(recur::tree::unbinarize(r.tree)).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  recur::cli::Args args("recur-parse", "a recursive-network parser that builds and labels phrase-structure trees");
  args.positional("COMMAND", "train or predict");
  args.positional("TEXT", "for predict: a sentence (tokens may be word/TAG)");
  args.option("data", "DIR", "the Penn Treebank sample (wsj_0001.mrg ...); default: a generated treebank", "");
  args.option("model", "FILE", "predict: the saved model", "");
  args.option("tagger", "FILE",
              "a recur-tag model: tag the dev and test sentences (and predict's untagged words) with it "
              "instead of using gold tags",
              "");
  args.option("composition", "rnn|rntn", "train: the composition (plain recursive net or tensor layer)", "rnn");
  args.option("dim", "D", "phrase vector size", "25");
  args.option("epochs", "N", "training epochs (the best on dev is kept)", "8");
  args.option("batch", "N", "sentences per minibatch", "16");
  args.option("lr", "X", "AdaGrad learning rate", "0.05");
  args.option("l2", "X", "L2 penalty on the composition and classifier weights", "0.0001");
  args.option("kappa", "X", "margin per span missing from the gold tree", "0.1");
  args.option("label-weight", "X", "weight of the phrase-label cross-entropy", "1");
  args.option("beam", "K", "CKY: subtrees kept per span", "2");
  args.option("exact-up-to", "N", "CKY: keep every subtree for sentences up to N words", "6");
  args.option("max-length", "N", "longer sentences are parsed greedily (with a warning)", "100");
  args.option("train-max-length", "N", "longer training sentences are skipped", "50");
  args.option("min-count", "N", "training words seen fewer times are unknown", "2");
  args.option("threads", "N", "threads for decoding (results do not depend on it)",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())));
  args.option("predictions", "FILE", "write the predicted test trees, one per line", "");
  args.option("save", "FILE", "save the best model (safetensors, with its vocabularies)", "");
  recur::cli::Checkpointing::declare(args, "minibatches (train)", "50");
  args.parse(argc, argv);
  return recur::cli::guarded("recur-parse", [&]() -> int {
    const std::string command = args.str("COMMAND").empty() ? "train" : args.str("COMMAND");
    if (command == "train") {
      const std::string composition = args.str("composition");
      if (composition == "rntn") return train<recur::tree::TensorComposition>(args);
      if (composition != "rnn") args.fail("--composition must be rnn or rntn, got '" + composition + "'");
      return train<recur::tree::PlainComposition>(args);
    }
    if (command == "predict") return predict(args);
    args.fail("unknown command '" + command + "' (train or predict)");
  });
}
