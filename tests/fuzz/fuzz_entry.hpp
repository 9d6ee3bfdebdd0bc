// Each fuzz target defines RECUR_FUZZ_ENTRY(data, size). Built alone with -fsanitize=fuzzer it
// is libFuzzer's LLVMFuzzerTestOneInput; replay.cpp includes every target under its own name to
// run the committed corpora and regressions in the ordinary test suite.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#ifndef RECUR_FUZZ_ENTRY
#define RECUR_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

// A broken invariant is a crash for libFuzzer (abort), with a line saying which.
#define RECUR_FUZZ_CHECK(cond)                                                               \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)
