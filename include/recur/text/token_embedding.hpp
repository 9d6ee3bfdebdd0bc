// Tokens to vectors when a token has several features (the word, its suffixes, its shape):
// one embedding table per feature, the vectors stacked into one column per token. A batch of
// sentences is packed into the sequence layout of the recurrent layers (step t of sentence b is
// column t*B + b), shorter sentences padded.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "recur/core/batch.hpp"
#include "recur/core/error.hpp"
#include "recur/core/rng.hpp"
#include "recur/layer/embedding.hpp"

namespace recur::text {

/// One sentence's token features: ids[k][t] is feature k of token t.
using TokenFeatures = std::vector<std::vector<Index>>;

/// Sentences in the sequence layout: ids[k] has T*B entries (padding is id 0).
struct TokenBatch {
  std::vector<std::vector<Index>> ids;
  Batch batch{1};
  Index steps = 0;
  Index columns() const { return steps * batch.size(); }
};

/// Packs sentences (each with `features` features per token, at least one token) into a batch.
inline TokenBatch pack(const std::vector<const TokenFeatures*>& sentences, std::size_t features) {
  if (sentences.empty()) throw value_error("pack: no sentences");
  if (features == 0) throw value_error("pack: no token features");
  TokenBatch out;
  std::vector<Index> lengths;
  for (std::size_t b = 0; b < sentences.size(); ++b) {
    const TokenFeatures& s = *sentences[b];
    if (s.size() != features)
      throw shape_error("pack: sentence " + std::to_string(b) + " has " + std::to_string(s.size()) +
                        " features per token, the model takes " + std::to_string(features));
    if (s[0].empty()) throw value_error("pack: sentence " + std::to_string(b) + " is empty");
    for (std::size_t k = 1; k < features; ++k)
      if (s[k].size() != s[0].size())
        throw shape_error("pack: sentence " + std::to_string(b) + ": feature " + std::to_string(k) + " has " +
                          std::to_string(s[k].size()) + " tokens, feature 0 has " + std::to_string(s[0].size()));
    lengths.push_back(static_cast<Index>(s[0].size()));
    out.steps = std::max(out.steps, lengths.back());
  }
  const auto B = static_cast<Index>(sentences.size());
  out.ids.assign(features, std::vector<Index>(static_cast<std::size_t>(out.steps * B), 0));
  for (Index b = 0; b < B; ++b)
    for (std::size_t k = 0; k < features; ++k)
      for (Index t = 0; t < lengths[static_cast<std::size_t>(b)]; ++t)
        out.ids[k][static_cast<std::size_t>(t * B + b)] =
            (*sentences[static_cast<std::size_t>(b)])[k][static_cast<std::size_t>(t)];
  out.batch = Batch(lengths);
  return out;
}

/// Per-token labels in the same layout as pack(); -1 (ignored by the loss) for padding.
inline std::vector<Index> pack_labels(const std::vector<const std::vector<Index>*>& labels, Index steps) {
  const auto B = static_cast<Index>(labels.size());
  std::vector<Index> out(static_cast<std::size_t>(steps * B), -1);
  for (Index b = 0; b < B; ++b) {
    const auto& l = *labels[static_cast<std::size_t>(b)];
    if (static_cast<Index>(l.size()) > steps)
      throw shape_error("pack_labels: sentence " + std::to_string(b) + " has " + std::to_string(l.size()) +
                        " labels for " + std::to_string(steps) + " steps");
    for (std::size_t t = 0; t < l.size(); ++t)
      out[t * static_cast<std::size_t>(B) + static_cast<std::size_t>(b)] = l[t];
  }
  return out;
}

template <class S>
class TokenEmbedding {
 public:
  using Scalar = S;

  struct Trace {
    std::vector<typename Embedding<S>::Trace> tables;
    MatX<S> y;  // [sum of dims x N]
    const MatX<S>& output() const { return y; }
  };

  /// vocabularies[k] ids and dims[k] features for token feature k.
  TokenEmbedding(const std::vector<Index>& vocabularies, const std::vector<Index>& dims, Rng& rng = global_rng()) {
    if (vocabularies.empty() || vocabularies.size() != dims.size())
      throw shape_error("TokenEmbedding: " + std::to_string(vocabularies.size()) + " vocabularies and " +
                        std::to_string(dims.size()) + " dims (need the same number, at least one)");
    for (std::size_t k = 0; k < dims.size(); ++k) tables_.emplace_back(vocabularies[k], dims[k], rng);
  }

  std::size_t features() const { return tables_.size(); }
  Embedding<S>& table(std::size_t k) { return tables_.at(k); }
  const Embedding<S>& table(std::size_t k) const { return tables_.at(k); }
  Index output_size() const {
    Index n = 0;
    for (const auto& t : tables_) n += t.output_size();
    return n;
  }
  std::string describe() const {
    std::string s = "TokenEmbedding(";
    for (std::size_t k = 0; k < tables_.size(); ++k)
      s += (k ? ", " : "") + std::to_string(tables_[k].vocabulary()) + "x" + std::to_string(tables_[k].output_size());
    return s + ")";
  }

  /// [sum of dims x T*B]: the tables' vectors stacked, feature 0 on top.
  const MatX<S>& forward(const TokenBatch& tokens, Trace& tr) const {
    check(tokens);
    tr.tables.resize(tables_.size());
    tr.y.resize(output_size(), tokens.columns());
    Index row = 0;
    for (std::size_t k = 0; k < tables_.size(); ++k) {
      const auto& part = tables_[k].forward(tokens.ids[k], tokens.batch, tr.tables[k]);
      tr.y.middleRows(row, part.rows()) = part;
      row += part.rows();
    }
    return tr.y;
  }

  MatX<S> predict(const TokenBatch& tokens) const {
    Trace tr;
    forward(tokens, tr);
    return std::move(tr.y);
  }

  /// Scatters dy [sum of dims x N] into the tables' gradients.
  template <class DY>
  void backward(Trace& tr, const Eigen::MatrixBase<DY>& dy) {
    if (tr.tables.size() != tables_.size())
      throw value_error("TokenEmbedding::backward: the trace is not from forward()");
    detail::check_shape(dy, output_size(), tr.y.cols(), "TokenEmbedding::backward dy");
    Index row = 0;
    for (std::size_t k = 0; k < tables_.size(); ++k) {
      const Index d = tables_[k].output_size();
      tables_[k].backward(tr.tables[k], dy.middleRows(row, d));
      row += d;
    }
  }

  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    for (std::size_t k = 0; k < tables_.size(); ++k) tables_[k].for_each_param(f, prefix + std::to_string(k) + ".");
  }

 private:
  void check(const TokenBatch& tokens) const {
    if (tokens.ids.size() != tables_.size())
      throw shape_error("TokenEmbedding: " + std::to_string(tokens.ids.size()) +
                        " features per token, the model takes " + std::to_string(tables_.size()));
    for (std::size_t k = 0; k < tokens.ids.size(); ++k)
      if (static_cast<Index>(tokens.ids[k].size()) != tokens.columns())
        throw shape_error("TokenEmbedding: feature " + std::to_string(k) + " has " +
                          std::to_string(tokens.ids[k].size()) + " ids for " + std::to_string(tokens.columns()) +
                          " columns");
  }

  std::vector<Embedding<S>> tables_;
};

}  // namespace recur::text
