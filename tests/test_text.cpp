// Text: the tokenizer, spelling features, the vocabulary, packing sentences into batches, and
// the sequence tagger (finite differences, and learning a label that depends on the next word,
// which only the backward direction can see).
#include <recur/text/beam_search.hpp>
#include <recur/text/conditioned_decoder.hpp>
#include <recur/text/sequence_classifier.hpp>
#include <recur/text/sequence_tagger.hpp>
#include <recur/text/tokenizer.hpp>
#include <recur/text/vocabulary.hpp>
#include <recur/text/word_features.hpp>

#include "error_of.hpp"
#include "helpers.hpp"

using namespace recur;
using namespace recur::text;
using test::error_of;
using Words = std::vector<std::string>;

TEST_CASE("the tokenizer splits like the Penn Treebank", "[text][tokenizer]") {
  CHECK(tokenize("Don't stop, Mr. Smith (really).") ==
        Words{"Do", "n't", "stop", ",", "Mr.", "Smith", "-LRB-", "really", "-RRB-", "."});
  CHECK(tokenize("It costs $3.50, or 1,000 yen; the U.S. pays 5%!") ==
        Words{"It", "costs", "$", "3.50", ",", "or", "1,000", "yen", ";", "the", "U.S.", "pays", "5", "%", "!"});
  CHECK(tokenize("it's what they'll say: I'm IN") ==
        Words{"it", "'s", "what", "they", "'ll", "say", ":", "I", "'m", "IN"});
  CHECK(tokenize("CAN'T") == Words{"CA", "N'T"});
  CHECK(tokenize("It rose 3.5.") == Words{"It", "rose", "3.5", "."});
  CHECK(tokenize("I saw it.Then e.g. J. Doe left.") ==
        Words{"I", "saw", "it", ".", "Then", "e.g.", "J.", "Doe", "left", "."});
  CHECK(tokenize(".") == Words{"."});
  CHECK(tokenize("  \t\n ").empty());
  TokenizeOptions raw;
  raw.split_clitics = false;
  raw.escape_brackets = false;
  CHECK(tokenize("don't (x)", raw) == Words{"don't", "(", "x", ")"});
  TokenizeOptions quotes;
  quotes.ptb_quotes = true;
  CHECK(tokenize("he said \"no\" twice", quotes) == Words{"he", "said", "``", "no", "''", "twice"});
  CHECK(tokenize("he said \"no\"") == Words{"he", "said", "\"", "no", "\""});
}

TEST_CASE("suffixes and word shapes describe unseen words", "[text][features]") {
  CHECK(suffix("Walking", 3) == "ing");
  CHECK(suffix("is", 3) == "^is");
  CHECK(suffix("this", 2) == "is");
  CHECK(suffix("caf\xc3\xa9", 1) == "\xc3\xa9");  // a whole character, not half of one
  CHECK(suffix("\xc3\xa9", 2) == "^\xc3\xa9");
  CHECK(word_shape("McDonald") == "XxXx");
  CHECK(word_shape("1,000") == "d,d");
  CHECK(word_shape("U.S.") == "X.X.");
  CHECK(word_shape("-LRB-") == "-X-");
  CHECK(word_shape("well-known") == "x-x");
  CHECK(word_shape("a1b2c3d4e5") == "xdxdxdxd");  // at most 8
}

TEST_CASE("a vocabulary from word lists keeps frequent words and maps the rest to unknown", "[text][vocabulary]") {
  const std::vector<Words> sentences{{"The", "cat", "sat"}, {"the", "dog", "sat"}};
  const Vocabulary v = Vocabulary::build(sentences, 2, /*lowercase=*/true);
  CHECK(v.words() == Words{"<unk>", "the", "sat"});
  CHECK(v.id("THE") == 1);
  CHECK(v.id("cat") == Vocabulary::unknown);
  CHECK(v.ids(Words{"Sat", "on", "the"}) == std::vector<Index>{2, 0, 1});
  const Vocabulary exact = Vocabulary::build(sentences);
  CHECK(exact.size() == 6);
  CHECK(exact.id("The") != exact.id("the"));
  CHECK(Vocabulary::from_words(v.words(), true).id("Sat") == 2);
  CHECK(error_of([] { Vocabulary::from_words({"a", "b"}, false); }) == "Vocabulary: the first word must be <unk>");
  CHECK(error_of([] { Vocabulary::from_words({"<unk>", "b", "b"}, false); }) == "Vocabulary: 'b' appears twice");
}

TEST_CASE("sentences are packed step-major with padding, labels with -1", "[text][batch]") {
  const TokenFeatures a{{1, 2, 3}, {4, 5, 6}}, b{{7}, {8}};
  const TokenBatch t = pack({&a, &b}, 2);
  CHECK(t.steps == 3);
  CHECK(t.batch.lengths() == std::vector<Index>{3, 1});
  CHECK(t.ids[0] == std::vector<Index>{1, 7, 2, 0, 3, 0});
  CHECK(t.ids[1] == std::vector<Index>{4, 8, 5, 0, 6, 0});
  const std::vector<Index> la{0, 1, 2}, lb{3};
  CHECK(pack_labels({&la, &lb}, 3) == std::vector<Index>{0, 3, 1, -1, 2, -1});
  const TokenFeatures ragged{{1, 2}, {3}}, empty{{}, {}};
  CHECK(error_of([&] { pack({&a, &ragged}, 2); }) == "pack: sentence 1: feature 1 has 1 tokens, feature 0 has 2");
  CHECK(error_of([&] { pack({&empty}, 2); }) == "pack: sentence 0 is empty");
  CHECK(error_of([&] { pack({&a}, 3); }) == "pack: sentence 0 has 2 features per token, the model takes 3");
  CHECK(error_of([&] { pack_labels({&la}, 2); }) == "pack_labels: sentence 0 has 3 labels for 2 steps");
}

namespace {

TaggerOptions small_tagger(Index labels) {
  TaggerOptions o;
  o.feature_vocabularies = {5, 3};
  o.feature_dims = {3, 2};
  o.hidden = 4;
  o.labels = labels;
  return o;
}

}  // namespace

TEST_CASE("the sequence tagger's gradients match finite differences", "[text][tagger][gradient]") {
  Rng rng(3);
  SequenceTagger<LSTM<double>> tagger(small_tagger(3), rng);
  const TokenFeatures a{{1, 4, 2, 0}, {2, 1, 1, 0}}, b{{3, 3}, {0, 2}};
  const TokenBatch tokens = pack({&a, &b}, 2);
  const std::vector<Index> la{0, 2, 1, 1}, lb{2, 0};
  const auto labels = pack_labels({&la, &lb}, tokens.steps);
  auto loss = [&](SequenceTagger<LSTM<double>>& m) {
    SequenceTagger<LSTM<double>>::Trace tr;
    return softmax_cross_entropy(m.forward(tokens, tr), labels).value;
  };
  auto loss_and_backward = [&](SequenceTagger<LSTM<double>>& m) {
    SequenceTagger<LSTM<double>>::Trace tr;
    const auto l = softmax_cross_entropy(m.forward(tokens, tr), labels);
    m.backward(tr, l.grad);
    return l.value;
  };
  test::require_gradients(check_gradients(tagger, loss, loss_and_backward), 1e-6);
  // The table rows of ids not in the batch get no gradient.
  zero_grad(tagger);
  loss_and_backward(tagger);
  CHECK(tagger.embedding().table(1).grad_weight.col(0).norm() > 0);
  CHECK(tagger.embedding().table(0).grad_weight.col(4).norm() > 0);
  SequenceTagger<LSTM<double>>::Trace tr;
  CHECK(error_of([&] {
          const TokenFeatures bad{{1, 9}, {0, 0}};
          tagger.forward(pack({&bad}, 2), tr);
        }) == "Embedding: token id 9 at position 1 is outside the vocabulary [0, 5)");
}

TEST_CASE("a bidirectional tagger learns a label that depends on the next word", "[text][tagger][train]") {
  // Label of token t = the word at t + 1 (2 after the last word): invisible to a left-to-right
  // net, which can do no better than guessing, easy for the backward direction.
  auto accuracy_after_training = [](bool bidirectional) {
    Rng rng(5), data(6);
    TaggerOptions o;
    o.feature_vocabularies = {2};
    o.feature_dims = {4};
    o.hidden = 8;
    o.labels = 3;
    o.stack.bidirectional = bidirectional;
    SequenceTagger<GRU<float>> tagger(o, rng);
    Adam<float> opt(0.02f);
    auto sample = [&](TokenFeatures& f, std::vector<Index>& l) {
      const Index n = 3 + static_cast<Index>(data.below(4));
      f.assign(1, {});
      for (Index t = 0; t < n; ++t) f[0].push_back(static_cast<Index>(data.below(2)));
      l.clear();
      for (Index t = 0; t < n; ++t) l.push_back(t + 1 < n ? f[0][static_cast<std::size_t>(t + 1)] : 2);
    };
    SequenceTagger<GRU<float>>::Trace tr;
    for (int step = 0; step < 150; ++step) {
      std::vector<TokenFeatures> f(8);
      std::vector<std::vector<Index>> l(8);
      std::vector<const TokenFeatures*> fp;
      std::vector<const std::vector<Index>*> lp;
      for (std::size_t k = 0; k < 8; ++k) {
        sample(f[k], l[k]);
        fp.push_back(&f[k]);
        lp.push_back(&l[k]);
      }
      const auto tokens = pack(fp, 1);
      const auto loss = softmax_cross_entropy(tagger.forward(tokens, tr), pack_labels(lp, tokens.steps));
      tagger.backward(tr, loss.grad);
      opt.step(tagger);
    }
    long right = 0, total = 0;
    for (int k = 0; k < 200; ++k) {
      TokenFeatures f;
      std::vector<Index> l;
      sample(f, l);
      const auto predicted = tagger.predict(f);
      REQUIRE(predicted.size() == l.size());
      for (std::size_t t = 0; t < l.size(); ++t) right += predicted[t] == l[t];
      total += static_cast<long>(l.size());
    }
    return static_cast<double>(right) / static_cast<double>(total);
  };
  const double both = accuracy_after_training(true), forward_only = accuracy_after_training(false);
  INFO("bidirectional " << both << ", forward only " << forward_only);
  CHECK(both > 0.98);
  CHECK(forward_only < 0.75);  // the last label (2) is learnable, the others are coin flips
}

namespace {

/// A toy decoder for beam search: the next token's log-probability depends on the position and
/// the last token, through a fixed random table.
struct TableDecoder {
  Index V, L;
  std::vector<MatX<double>> table;  // [position][V x V]: column = last token
  std::vector<Index> positions;
  TableDecoder(Index vocabulary, Index max_length, Rng& rng) : V(vocabulary), L(max_length) {
    for (Index t = 0; t <= max_length; ++t) {
      MatX<double> logits = test::random(V, V, rng, 2.0);
      table.push_back(logits);
      for (Index j = 0; j < V; ++j) {
        const double z = std::log(logits.col(j).array().exp().sum());
        table.back().col(j).array() -= z;
      }
    }
  }
  MatX<double> advance(const std::vector<Index>& parents, const std::vector<Index>& tokens) {
    std::vector<Index> next;
    for (Index p : parents) next.push_back(positions.empty() ? 0 : positions.at(static_cast<std::size_t>(p)) + 1);
    positions = next;
    MatX<double> out(V, static_cast<Index>(tokens.size()));
    for (std::size_t k = 0; k < tokens.size(); ++k)
      out.col(static_cast<Index>(k)) = table[static_cast<std::size_t>(positions[k])].col(tokens[k]);
    return out;
  }
  double score(const std::vector<Index>& tokens, bool finished, Index start, Index end) const {
    double s = 0;
    Index last = start;
    for (std::size_t t = 0; t < tokens.size(); ++t) {
      s += table[t](tokens[t], last);
      last = tokens[t];
    }
    if (finished) s += table[tokens.size()](end, last);
    return s;
  }
};

}  // namespace

TEST_CASE("beam search equals exhaustive search when wide enough, and greedy at width 1", "[text][beam]") {
  Rng rng(8);
  const Index V = 4, L = 4;  // tokens 0 (start) .. 3; 1 is the end token
  BeamOptions o;
  o.start = 0;
  o.end = 1;
  o.max_length = L;
  for (int trial = 0; trial < 5; ++trial) {
    TableDecoder toy(V, L, rng);
    // Every sequence of non-end tokens up to L - 1 followed by the end, or L tokens cut; beam
    // search ranks the finished ones first.
    std::vector<std::pair<double, std::vector<Index>>> all, cut;
    std::vector<std::vector<Index>> prefixes{{}};
    for (Index len = 0; len <= L; ++len) {
      std::vector<std::vector<Index>> longer;
      for (const auto& p : prefixes) {
        if (len < L) all.push_back({toy.score(p, true, o.start, o.end), p});
        if (len == L) cut.push_back({toy.score(p, false, o.start, o.end), p});
        for (Index v = 0; v < V; ++v)
          if (v != o.end) {
            auto q = p;
            q.push_back(v);
            longer.push_back(q);
          }
      }
      prefixes = longer;
    }
    auto by_score = [](const auto& a, const auto& b) { return a.first > b.first; };
    std::sort(all.begin(), all.end(), by_score);
    std::sort(cut.begin(), cut.end(), by_score);
    all.insert(all.end(), cut.begin(), cut.end());
    o.width = 200;  // more than the 121 sequences: nothing is pruned
    TableDecoder wide = toy;
    const auto best = beam_search(wide, o);
    REQUIRE(best.size() == all.size());
    for (std::size_t k = 0; k < all.size(); ++k) {  // 40 finished sequences, then the 81 cut ones
      CHECK(best[k].finished == (k < 40));
      CHECK(best[k].tokens == all[k].second);
      CHECK(best[k].log_prob == Approx(all[k].first).epsilon(1e-12));
    }
    // Greedy: the most probable token at every step.
    std::vector<Index> greedy;
    Index last = o.start;
    for (Index t = 0; t < L; ++t) {
      Index v = 0;
      toy.table[static_cast<std::size_t>(t)].col(last).maxCoeff(&v);
      if (v == o.end) break;
      greedy.push_back(v);
      last = v;
    }
    o.width = 1;
    TableDecoder narrow = toy;
    CHECK(beam_search(narrow, o).front().tokens == greedy);
  }
  TableDecoder toy(V, L, rng);
  o.width = 0;
  CHECK(error_of([&] { beam_search(toy, o); }) == "beam_search: width must be >= 1, got 0");
  CHECK(edit_distance(std::string("seven"), std::string("siete")) == 3);
  CHECK(edit_distance(std::string(""), std::string("two")) == 3);
  CHECK(edit_distance(std::string("nine"), std::string("nine")) == 0);
}

namespace {

template <class Cell>
void check_decoder(Conditioning feed, Index layers) {
  Rng rng(9);
  DecoderOptions o;
  o.vocabulary = 5;
  o.embedding = 3;
  o.hidden = 4;
  o.condition = 2;
  o.layers = layers;
  o.feed = feed;
  ConditionedDecoder<Cell> decoder(o, rng);
  const MatX<double> conditions = test::random(2, 2, rng);
  // Caption 0: tokens 0 3 2 (inputs), caption 1: 0 4 (padded with 0).
  const std::vector<Index> inputs{0, 0, 3, 4, 2, 0}, targets{3, 4, 2, 1, 1, -1};
  const Batch batch(std::vector<Index>{3, 2});
  using Trace = typename ConditionedDecoder<Cell>::Trace;
  auto loss = [&](ConditionedDecoder<Cell>& m) {
    Trace tr;
    return softmax_cross_entropy(m.forward(conditions, inputs, batch, tr), targets).value;
  };
  auto loss_and_backward = [&](ConditionedDecoder<Cell>& m) {
    Trace tr;
    const auto l = softmax_cross_entropy(m.forward(conditions, inputs, batch, tr), targets);
    m.backward(tr, l.grad);
    return l.value;
  };
  test::require_gradients(check_gradients(decoder, loss, loss_and_backward), 1e-6);

  // Decoding step by step gives the teacher-forced log-probabilities of caption 0.
  Trace tr;
  const MatX<double> logits = decoder.forward(conditions, inputs, batch, tr);
  typename ConditionedDecoder<Cell>::Session session(decoder, conditions.col(0));
  const std::vector<Index> caption{0, 3, 2};
  for (std::size_t t = 0; t < caption.size(); ++t) {
    const MatX<double> step = session.advance({0}, {caption[t]});
    const MatX<double> expected = logits.col(static_cast<Index>(t) * 2).array() -
                                  std::log(logits.col(static_cast<Index>(t) * 2).array().exp().sum());
    CHECK(test::max_diff(step, expected) < 1e-12);
  }
}

}  // namespace

TEST_CASE("the conditioned decoder's gradients match finite differences, and decoding matches training",
          "[text][decoder][gradient]") {
  check_decoder<GRU<double>>(Conditioning::every_step, 1);
  check_decoder<GRU<double>>(Conditioning::initial_state, 2);
  check_decoder<LSTM<double>>(Conditioning::every_step, 2);
  check_decoder<LSTM<double>>(Conditioning::initial_state, 1);
}

TEST_CASE("a conditioned decoder learns one caption per condition", "[text][decoder][train]") {
  // Three one-hot conditions, captions over tokens 2..4 (0 start, 1 end).
  const std::vector<std::vector<Index>> captions{{2, 3}, {3, 2, 2}, {4}};
  for (auto feed : {Conditioning::every_step, Conditioning::initial_state}) {
    Rng rng(10);
    DecoderOptions o;
    o.vocabulary = 5;
    o.embedding = 4;
    o.hidden = 12;
    o.condition = 3;
    o.feed = feed;
    ConditionedDecoder<GRU<float>> decoder(o, rng);
    Adam<float> opt(0.03f);
    const MatX<float> conditions = MatX<float>::Identity(3, 3);
    TokenFeatures in0{{0, 2, 3}}, in1{{0, 3, 2, 2}}, in2{{0, 4}};
    const std::vector<Index> t0{2, 3, 1}, t1{3, 2, 2, 1}, t2{4, 1};
    const TokenBatch tokens = pack({&in0, &in1, &in2}, 1);
    const auto targets = pack_labels({&t0, &t1, &t2}, tokens.steps);
    ConditionedDecoder<GRU<float>>::Trace tr;
    for (int step = 0; step < 150; ++step) {
      const auto l = softmax_cross_entropy(decoder.forward(conditions, tokens.ids[0], tokens.batch, tr), targets);
      decoder.backward(tr, l.grad);
      opt.step(decoder);
    }
    BeamOptions beam;
    beam.start = 0;
    beam.end = 1;
    beam.max_length = 6;
    for (Index k = 0; k < 3; ++k)
      for (Index width : {1, 3}) {
        beam.width = width;
        const auto best = decoder.decode(conditions.col(k), beam).front();
        CHECK(best.finished);
        CHECK(best.tokens == captions[static_cast<std::size_t>(k)]);
      }
  }
}

namespace {

template <class Cell>
void check_classifier(Pooling pooling, bool bidirectional, Index layers, Index classes) {
  Rng rng(11);
  ClassifierOptions o;
  o.feature_vocabularies = {6};
  o.feature_dims = {3};
  o.hidden = 4;
  o.stack = StackOptions{layers, bidirectional, Merge::concat};
  o.pooling = pooling;
  o.classes = classes;
  SequenceClassifier<Cell> model(o, rng);
  const TokenFeatures a{{1, 5, 2, 3}}, b{{4, 0}};
  const TokenBatch tokens = pack({&a, &b}, 1);
  const std::vector<Index> labels{classes ? 2 : 1, 0};
  MatX<double> target(1, 2);
  target << 0.5, -1;
  auto value = [&](SequenceClassifier<Cell>& m, bool back) {
    typename SequenceClassifier<Cell>::Trace tr;
    const auto& y = m.forward(tokens, tr);
    const auto l = classes ? softmax_cross_entropy(y, labels) : mse(y, target);
    if (back) m.backward(tr, l.grad);
    return l.value;
  };
  INFO("pooling " << static_cast<int>(pooling) << ", bidirectional " << bidirectional << ", layers " << layers
                  << ", classes " << classes);
  test::require_gradients(check_gradients(
                              model, [&](auto& m) { return value(m, false); }, [&](auto& m) { return value(m, true); }),
                          1e-6);
  // A sentence alone gives what it gives in a batch (padding changes nothing).
  typename SequenceClassifier<Cell>::Trace tr;
  const MatX<double> batch = model.forward(tokens, tr);
  CHECK(test::max_diff(model.predict(b), batch.col(1)) < 1e-12);
  if (!classes) CHECK(batch.cwiseAbs().maxCoeff() < 1.0);  // tanh head
}

}  // namespace

TEST_CASE("the sequence classifier's gradients match finite differences", "[text][classifier][gradient]") {
  check_classifier<LSTM<double>>(Pooling::final_state, true, 2, 0);
  check_classifier<GRU<double>>(Pooling::final_state, false, 1, 5);
  check_classifier<Elman<double>>(Pooling::mean, true, 1, 3);
  check_classifier<LSTM<double>>(Pooling::mean, false, 2, 0);
  check_classifier<GRU<double>>(Pooling::max, true, 2, 0);
  check_classifier<LSTM<double>>(Pooling::max, false, 1, 5);
}

TEST_CASE("UTF-8 text is told from other bytes", "[text][utf8]") {
  CHECK(is_utf8("plain ascii"));
  CHECK(is_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));  // é, €, an emoji
  CHECK_FALSE(is_utf8("caf\xe9"));                              // Latin-1
  CHECK_FALSE(is_utf8("\xc3"));                                 // cut short
  CHECK_FALSE(is_utf8("\xc0\xaf"));                             // overlong
  CHECK_FALSE(is_utf8("\xed\xa0\x80"));                         // a surrogate
  CHECK_FALSE(is_utf8("\xf4\x90\x80\x80"));                     // past U+10FFFF
  CHECK_FALSE(is_utf8("\x80"));                                 // a stray continuation byte
}

TEST_CASE("dropout drops a fraction p while training and nothing at inference", "[text][dropout]") {
  Dropout<double> drop(0.25);
  Rng rng(12);
  const MatX<double> x = MatX<double>::Constant(40, 50, 2.0);
  Dropout<double>::Trace tr;
  const MatX<double> y = drop.forward(x, tr, &rng);
  const double dropped = static_cast<double>((y.array() == 0).count()) / static_cast<double>(y.size());
  CHECK(dropped == Approx(0.25).margin(0.03));
  CHECK(((y.array() == 0) || ((y.array() - 2.0 / 0.75).abs() < 1e-12)).all());  // kept: scaled by 1 / (1 - p)
  const MatX<double> dx = drop.backward(tr, MatX<double>::Ones(40, 50));
  CHECK(((dx.array() == 0) == (y.array() == 0)).all());
  CHECK(test::max_diff(drop.forward(x, tr, nullptr), x) == 0);
  CHECK(test::max_diff(drop.backward(tr, x), x) == 0);
  CHECK(error_of([] { Dropout<double>(1.0); }) == "Dropout: p must be in [0, 1), got 1.000000");
}

TEST_CASE("a tagger and a classifier with dropout pass gradient checks under a fixed mask",
          "[text][dropout][gradient]") {
  Rng init(13);
  TaggerOptions o = small_tagger(3);
  o.dropout = 0.3;
  SequenceTagger<GRU<double>> tagger(o, init);
  const TokenFeatures a{{1, 4, 2}, {2, 1, 1}};
  const TokenBatch tokens = pack({&a}, 2);
  const std::vector<Index> labels{0, 2, 1};
  auto value = [&](SequenceTagger<GRU<double>>& m, bool back) {
    Rng masks(14);  // the same masks at every call
    SequenceTagger<GRU<double>>::Trace tr;
    const auto l = softmax_cross_entropy(m.forward(tokens, tr, &masks), labels);
    if (back) m.backward(tr, l.grad);
    return l.value;
  };
  test::require_gradients(
      check_gradients(
          tagger, [&](auto& m) { return value(m, false); }, [&](auto& m) { return value(m, true); }),
      1e-6);
  // Inference ignores dropout: the same scores on every call.
  SequenceTagger<GRU<double>>::Trace t1, t2;
  CHECK(test::max_diff(tagger.forward(tokens, t1), tagger.forward(tokens, t2)) == 0);
  Rng r1(1), r2(2);
  CHECK(test::max_diff(tagger.forward(tokens, t1, &r1), tagger.forward(tokens, t2, &r2)) > 1e-6);

  ClassifierOptions c;
  c.feature_vocabularies = {6};
  c.feature_dims = {3};
  c.hidden = 4;
  c.pooling = Pooling::mean;
  c.dropout = 0.4;
  c.stack = StackOptions{2, true, Merge::concat, 0.3};  // and dropout between the layers
  SequenceClassifier<LSTM<double>> classifier(c, init);
  const TokenFeatures s{{1, 5, 2}};
  const TokenBatch one = pack({&s}, 1);
  const MatX<double> target = MatX<double>::Constant(1, 1, 0.7);
  auto score = [&](SequenceClassifier<LSTM<double>>& m, bool back) {
    Rng masks(15);
    SequenceClassifier<LSTM<double>>::Trace tr;
    const auto l = mse(m.forward(one, tr, &masks), target);
    if (back) m.backward(tr, l.grad);
    return l.value;
  };
  test::require_gradients(
      check_gradients(
          classifier, [&](auto& m) { return score(m, false); }, [&](auto& m) { return score(m, true); }),
      1e-6);
}
