// The tree models use the text vocabulary (recur/text/vocabulary.hpp): Vocabulary::build takes
// trees as well as word lists.
#pragma once

#include "recur/text/vocabulary.hpp"

namespace recur::tree {
using text::Vocabulary;
}  // namespace recur::tree
