// Fuzzes the text word-vector loader (GloVe / word2vec text). The first byte picks the vector
// size; words found get finite vectors, the others keep their initial value.
#include <cmath>
#include <sstream>
#include <string>

#include "fuzz_entry.hpp"
#include "recur/tree/word_vectors.hpp"

extern "C" int RECUR_FUZZ_ENTRY(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  namespace tree = recur::tree;
  static const tree::Vocabulary vocab =
      tree::Vocabulary::from_words({"<unk>", "the", "movie", "good", "-LRB-", "1"}, /*lowercase=*/false);
  const recur::Index d = 1 + data[0] % 4;
  recur::MatX<float> embedding = recur::MatX<float>::Constant(d, vocab.size(), 7.0f);
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    const recur::Index found = tree::load_word_vectors(in, "fuzz", vocab, embedding);
    RECUR_FUZZ_CHECK(found >= 0 && found < vocab.size());  // never <unk>
    RECUR_FUZZ_CHECK(embedding.allFinite());
    RECUR_FUZZ_CHECK((embedding.col(0).array() == 7.0f).all());
  } catch (const recur::io_error&) {
  }
  return 0;
}
