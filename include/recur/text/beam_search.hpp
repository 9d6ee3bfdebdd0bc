// Beam search over the tokens of a decoder: keeps the `width` most probable prefixes at every
// step, moves a prefix that emits the end token to the finished list, and stops when no live
// prefix can beat the best finished one (log-probabilities only fall as a prefix grows). Width 1
// is greedy decoding; a width of at least V^max_length is exhaustive search (tested).
//
// The decoder is reached through one call, so any state (a recurrent net's h and c, a toy table)
// works:  MatX<S> advance(const std::vector<Index>& parents, const std::vector<Index>& tokens)
// keeps the states of the previous call's hypotheses `parents` (in that order; the first call
// has parents {0}, the initial state), feeds each its token, and returns log-probabilities of
// the next token [V x parents.size()].
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/types.hpp"

namespace recur::text {

struct BeamOptions {
  Index width = 5;
  Index max_length = 20;  ///< tokens emitted at most (the end token included)
  Index start = 0;        ///< fed first
  Index end = 1;          ///< ends a hypothesis (not part of its tokens)
};

struct Hypothesis {
  std::vector<Index> tokens;  ///< without start and end tokens
  double log_prob = 0;        ///< of the tokens and, when finished, of the end token
  bool finished = false;      ///< ended with the end token (otherwise cut at max_length)
};

/// The best hypotheses (at most `width`): the finished ones, most probable first, then those
/// cut at max_length, most probable first.
template <class Decoder>
std::vector<Hypothesis> beam_search(Decoder& decoder, const BeamOptions& o) {
  if (o.width < 1) throw value_error("beam_search: width must be >= 1, got " + std::to_string(o.width));
  if (o.max_length < 1) throw value_error("beam_search: max_length must be >= 1, got " + std::to_string(o.max_length));
  struct Candidate {
    double log_prob;
    std::size_t parent;
    Index token;
  };
  std::vector<Hypothesis> live{Hypothesis{}}, finished;
  std::vector<Index> parents{0}, tokens{o.start};
  auto by_score = [](const auto& a, const auto& b) { return a.log_prob > b.log_prob; };
  for (Index step = 0; step < o.max_length && !live.empty(); ++step) {
    const auto log_probs = decoder.advance(parents, tokens);  // [V x live]
    if (log_probs.cols() != static_cast<Index>(live.size()))
      throw shape_error("beam_search: the decoder returned " + std::to_string(log_probs.cols()) + " columns for " +
                        std::to_string(live.size()) + " hypotheses");
    if (o.end < 0 || o.end >= log_probs.rows())
      throw value_error("beam_search: end token " + std::to_string(o.end) + " is not among the decoder's " +
                        std::to_string(log_probs.rows()) + " tokens");
    std::vector<Candidate> candidates;
    candidates.reserve(static_cast<std::size_t>(log_probs.size()));
    for (std::size_t i = 0; i < live.size(); ++i)
      for (Index v = 0; v < log_probs.rows(); ++v)
        candidates.push_back({live[i].log_prob + static_cast<double>(log_probs(v, static_cast<Index>(i))), i, v});
    const auto keep = std::min(candidates.size(), static_cast<std::size_t>(o.width));
    // Ties are broken by (parent, token) so that the result does not depend on the sort.
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep), candidates.end(),
                      [](const Candidate& a, const Candidate& b) {
                        if (a.log_prob != b.log_prob) return a.log_prob > b.log_prob;
                        return a.parent != b.parent ? a.parent < b.parent : a.token < b.token;
                      });
    std::vector<Hypothesis> next;
    parents.clear();
    tokens.clear();
    for (std::size_t k = 0; k < keep; ++k) {
      const Candidate& c = candidates[k];
      Hypothesis h{live[c.parent].tokens, c.log_prob, c.token == o.end};
      if (h.finished) {
        finished.push_back(std::move(h));
        continue;
      }
      h.tokens.push_back(c.token);
      next.push_back(std::move(h));
      parents.push_back(static_cast<Index>(c.parent));
      tokens.push_back(c.token);
    }
    live = std::move(next);
    std::stable_sort(finished.begin(), finished.end(), by_score);
    if (finished.size() > static_cast<std::size_t>(o.width)) finished.resize(static_cast<std::size_t>(o.width));
    // No live prefix can end above the worst kept finished hypothesis: done.
    if (finished.size() == static_cast<std::size_t>(o.width) && !live.empty() &&
        live.front().log_prob <= finished.back().log_prob)
      break;
  }
  // Hypotheses cut at max_length never paid for the end token: they come after every finished
  // one, so that front() is a complete sequence whenever there is one.
  std::stable_sort(live.begin(), live.end(), by_score);
  for (auto& h : live) finished.push_back(std::move(h));
  if (finished.size() > static_cast<std::size_t>(o.width)) finished.resize(static_cast<std::size_t>(o.width));
  return finished;
}

/// Levenshtein distance between two token sequences (insertions, deletions, substitutions).
template <class Sequence>
Index edit_distance(const Sequence& a, const Sequence& b) {
  std::vector<Index> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<Index>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    Index diagonal = row[0];
    row[0] = static_cast<Index>(i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const Index up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace recur::text
