// How the columns of a sequence batch are laid out.
//
// A batch of B sequences of T steps is one matrix [features x (T*B)]; step t is
// middleCols(t*B, B) and column b of every step belongs to sequence b. Sequences may be shorter
// than T (like PyTorch's packed sequences): `lengths[b]` steps are real, the rest is padding
// whose outputs are zero and whose gradients are ignored.
#pragma once

#include <string>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/types.hpp"

namespace recur {

class Batch {
 public:
  /// B sequences, all as long as the input.
  Batch(Index sequences) : size_(sequences) {  // NOLINT(google-explicit-constructor): `forward(x, 4)`
    if (sequences <= 0)
      throw value_error("Batch: the number of sequences must be positive, got " + std::to_string(sequences));
  }

  /// One sequence per entry, with its own length (0 <= length <= T).
  explicit Batch(std::vector<Index> lengths) : size_(static_cast<Index>(lengths.size())), lengths_(std::move(lengths)) {
    if (size_ == 0) throw value_error("Batch: the lengths vector is empty");
    for (std::size_t b = 0; b < lengths_.size(); ++b)
      if (lengths_[b] < 0)
        throw value_error("Batch: length of sequence " + std::to_string(b) + " is negative (" +
                          std::to_string(lengths_[b]) + ")");
  }

  Index size() const { return size_; }
  bool ragged() const { return !lengths_.empty(); }
  const std::vector<Index>& lengths() const { return lengths_; }

  /// Length of sequence b in a batch of T steps.
  Index length(Index b, Index steps) const { return lengths_.empty() ? steps : lengths_[static_cast<std::size_t>(b)]; }

  /// Whether column b at step t is a real step (not padding).
  bool active(Index t, Index b) const { return lengths_.empty() || t < lengths_[static_cast<std::size_t>(b)]; }

  /// Number of steps T in `x` [rows x (T*B)]; throws shape_error if the columns do not divide
  /// into B sequences or a length exceeds T.
  template <class M>
  Index steps(const M& x, const char* what) const {
    if (x.cols() % size_ != 0)
      throw shape_error(std::string(what) + ": " + std::to_string(x.cols()) + " columns do not split into " +
                        std::to_string(size_) + " sequences (expected T*B columns)");
    const Index t = x.cols() / size_;
    for (std::size_t b = 0; b < lengths_.size(); ++b)
      if (lengths_[b] > t)
        throw shape_error(std::string(what) + ": sequence " + std::to_string(b) + " has length " +
                          std::to_string(lengths_[b]) + " but the batch holds only " + std::to_string(t) + " steps");
    return t;
  }

 private:
  Index size_;
  std::vector<Index> lengths_;
};

}  // namespace recur
