// recur-tag's model: the bidirectional LSTM tagger with the feature vocabularies it was trained
// with, saved in one safetensors file. recur-tag trains and saves it; recur-parse loads it to
// tag the sentences it parses (--tagger FILE) instead of taking their gold tags.
#pragma once

#include <recur/cell/lstm.hpp>
#include <recur/io/model_file.hpp>
#include <recur/text/sequence_tagger.hpp>
#include <recur/text/vocabulary.hpp>
#include <recur/text/word_features.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "../common/lines.hpp"

namespace tagging {

using Tagger = recur::text::SequenceTagger<recur::LSTM<float>>;

struct Sentence {
  std::vector<std::string> words, tags;
};

/// The feature vocabularies (built from the training sentences, saved with the model): the
/// lower-cased word, its last 1, 2 and 3 letters, and its shape.
struct Lexicon {
  static constexpr std::size_t features = 5;
  recur::text::Vocabulary words, suffix1, suffix2, suffix3, shapes, tags;
  std::vector<recur::Index> word_count;  ///< training count of each word id (for word dropout)

  static Lexicon build(const std::vector<Sentence>& train) {
    using recur::text::Vocabulary;
    Lexicon lex;
    std::vector<std::vector<std::string>> words, s1, s2, s3, shapes, tags;
    for (const auto& s : train) {
      words.push_back(s.words);
      tags.push_back(s.tags);
      s1.emplace_back();
      s2.emplace_back();
      s3.emplace_back();
      shapes.emplace_back();
      for (const auto& w : s.words) {
        s1.back().push_back(recur::text::suffix(w, 1));
        s2.back().push_back(recur::text::suffix(w, 2));
        s3.back().push_back(recur::text::suffix(w, 3));
        shapes.back().push_back(recur::text::word_shape(w));
      }
    }
    lex.words = Vocabulary::build(words, 1, /*lowercase=*/true);
    lex.suffix1 = Vocabulary::build(s1);
    lex.suffix2 = Vocabulary::build(s2);
    lex.suffix3 = Vocabulary::build(s3);
    lex.shapes = Vocabulary::build(shapes);
    lex.tags = Vocabulary::build(tags);
    lex.count_words(train);
    return lex;
  }

  void count_words(const std::vector<Sentence>& train) {
    word_count.assign(static_cast<std::size_t>(words.size()), 0);
    for (const auto& s : train)
      for (const auto& w : s.words) ++word_count[static_cast<std::size_t>(words.id(w))];
  }

  std::vector<recur::Index> vocabulary_sizes() const {
    return {words.size(), suffix1.size(), suffix2.size(), suffix3.size(), shapes.size()};
  }

  recur::text::TokenFeatures features_of(const std::vector<std::string>& sentence) const {
    recur::text::TokenFeatures f(features);
    for (const auto& w : sentence) {
      f[0].push_back(words.id(w));
      f[1].push_back(suffix1.id(recur::text::suffix(w, 1)));
      f[2].push_back(suffix2.id(recur::text::suffix(w, 2)));
      f[3].push_back(suffix3.id(recur::text::suffix(w, 3)));
      f[4].push_back(shapes.id(recur::text::word_shape(w)));
    }
    return f;
  }
};

inline recur::text::TaggerOptions tagger_options(const Lexicon& lex, recur::Index word_dim, recur::Index hidden,
                                                 double dropout) {
  recur::text::TaggerOptions o;
  o.feature_vocabularies = lex.vocabulary_sizes();
  o.feature_dims = {word_dim, 8, 16, 16, 8};  // word, suffix 1/2/3, shape
  o.hidden = hidden;
  o.labels = lex.tags.size();
  o.dropout = dropout;
  return o;
}

/// A trained tagger and its vocabularies, as read from a file recur-tag saved.
struct TaggerModel {
  Lexicon lex;
  Tagger tagger;

  /// What recur-tag writes beside the weights. The training dropout is part of the tagger's
  /// description, which loading compares, though inference skips it.
  static std::map<std::string, std::string> metadata(const Lexicon& lex, recur::Index word_dim, recur::Index hidden,
                                                     double dropout) {
    using recur::cli::join_lines;
    return {{"tag.words", join_lines(lex.words.words())},     {"tag.suffix1", join_lines(lex.suffix1.words())},
            {"tag.suffix2", join_lines(lex.suffix2.words())}, {"tag.suffix3", join_lines(lex.suffix3.words())},
            {"tag.shapes", join_lines(lex.shapes.words())},   {"tag.tags", join_lines(lex.tags.words())},
            {"tag.word_dim", std::to_string(word_dim)},       {"tag.hidden", std::to_string(hidden)},
            {"tag.dropout", recur::cli::exact_text(dropout)}};
  }

  /// Reads a recur-tag model; a file that is not one throws recur::io_error naming the path.
  static TaggerModel load(const std::string& path) {
    using recur::cli::split_lines;
    using recur::text::Vocabulary;
    const auto file = recur::safetensors::File::read(path);
    const auto& meta = file.metadata();
    for (const char* key : {"tag.words", "tag.suffix1", "tag.suffix2", "tag.suffix3", "tag.shapes", "tag.tags",
                            "tag.word_dim", "tag.hidden"})
      if (!meta.count(key)) throw recur::io_error(path + ": not a recur-tag model (no " + key + ")");
    Lexicon lex;
    lex.words = Vocabulary::from_words(split_lines(meta.at("tag.words")), true);
    lex.suffix1 = Vocabulary::from_words(split_lines(meta.at("tag.suffix1")), false);
    lex.suffix2 = Vocabulary::from_words(split_lines(meta.at("tag.suffix2")), false);
    lex.suffix3 = Vocabulary::from_words(split_lines(meta.at("tag.suffix3")), false);
    lex.shapes = Vocabulary::from_words(split_lines(meta.at("tag.shapes")), false);
    lex.tags = Vocabulary::from_words(split_lines(meta.at("tag.tags")), false);
    auto size = [&](const char* key) {
      char* end = nullptr;
      const long v = std::strtol(meta.at(key).c_str(), &end, 10);
      if (*end != '\0' || v < 1 || v > 4096) throw recur::io_error(path + ": bad " + key);
      return static_cast<recur::Index>(v);
    };
    double dropout = 0;
    recur::LoadOptions options;
    if (meta.count("tag.dropout")) {
      char* end = nullptr;
      dropout = std::strtod(meta.at("tag.dropout").c_str(), &end);
      if (*end != '\0' || !(dropout >= 0 && dropout < 1)) throw recur::io_error(path + ": bad tag.dropout");
    } else {
      // Files saved before tag.dropout was written: their description names a dropout this
      // cannot rebuild, so only the tensors' names and shapes are checked (dropout does not
      // change inference).
      options.check_architecture = false;
    }
    recur::Rng rng(1);
    Tagger tagger(tagger_options(lex, size("tag.word_dim"), size("tag.hidden"), dropout), rng);
    recur::load(tagger, file, options);
    return {std::move(lex), std::move(tagger)};
  }

  /// The predicted tag of every word of every sentence (none may be empty), in batches of 64.
  std::vector<std::vector<std::string>> tag(const std::vector<std::vector<std::string>>& sentences) const {
    std::vector<recur::text::TokenFeatures> features;
    for (const auto& s : sentences) {
      if (s.empty()) throw recur::value_error("a sentence without words to tag");
      features.push_back(lex.features_of(s));
    }
    std::vector<std::vector<std::string>> out;
    for (std::size_t b = 0; b < features.size(); b += 64) {
      std::vector<const recur::text::TokenFeatures*> part;
      for (std::size_t k = b; k < std::min(features.size(), b + 64); ++k) part.push_back(&features[k]);
      for (const auto& ids : tagger.predict(recur::text::pack(part, Lexicon::features))) {
        out.emplace_back();
        for (recur::Index id : ids) out.back().push_back(lex.tags.word(id));
      }
    }
    return out;
  }
};

}  // namespace tagging
