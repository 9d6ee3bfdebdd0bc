// Runs every fuzz target over the committed seed corpora and crash regressions, so the inputs
// fuzzing found stay fixed in every build (ctest: fuzz_regressions). Usage: replay DIR...
// where each DIR holds subdirectories named after the targets (csv, tree, ...).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>

#define RECUR_FUZZ_ENTRY fuzz_csv
#include "fuzz_csv.cpp"
#undef RECUR_FUZZ_ENTRY
#define RECUR_FUZZ_ENTRY fuzz_tree
#include "fuzz_tree.cpp"
#undef RECUR_FUZZ_ENTRY
#define RECUR_FUZZ_ENTRY fuzz_word_vectors
#include "fuzz_word_vectors.cpp"
#undef RECUR_FUZZ_ENTRY
#define RECUR_FUZZ_ENTRY fuzz_safetensors
#include "fuzz_safetensors.cpp"
#undef RECUR_FUZZ_ENTRY

int main(int argc, char** argv) {
  const std::map<std::string, int (*)(const std::uint8_t*, std::size_t)> targets = {
      {"csv", fuzz_csv}, {"tree", fuzz_tree}, {"word_vectors", fuzz_word_vectors}, {"safetensors", fuzz_safetensors}};
  std::map<std::string, int> runs;
  for (int a = 1; a < argc; ++a) {
    for (const auto& [name, entry] : targets) {
      const std::filesystem::path dir = std::filesystem::path(argv[a]) / name;
      if (!std::filesystem::is_directory(dir)) continue;
      for (const auto& f : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(f.path(), std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
        ++runs[name];
      }
    }
  }
  for (const auto& [name, entry] : targets) {
    std::cout << name << ": " << runs[name] << " inputs\n";
    if (runs[name] == 0) {
      std::cerr << "no inputs for target '" << name << "'\n";
      return 1;
    }
  }
  return 0;
}
