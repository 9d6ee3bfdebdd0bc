// Fuzzes the safetensors reader and recur's model loader. A file that validates must give
// every tensor's values, write back to bytes that validate to the same tensors, and either
// load into a model or be refused without changing it.
#include <cmath>
#include <cstring>
#include <string>

#include "fuzz_entry.hpp"
#include "recur/recur.hpp"

namespace {
using Model = recur::Stack<recur::GRU<float>>;  // the shape of the seed file gru_l1_uni_i3_h4

Model make_model() {
  recur::Rng rng(1);
  return Model(3, 4, recur::StackOptions{1, false}, rng);
}

std::vector<float> flat(Model& m) {
  std::vector<float> out;
  m.for_each_param(
      [&](recur::Param<float>& p) { out.insert(out.end(), p.value.data(), p.value.data() + p.value.size()); });
  return out;
}
}  // namespace

extern "C" int RECUR_FUZZ_ENTRY(const std::uint8_t* data, std::size_t size) {
  namespace st = recur::safetensors;
  st::File file;
  try {
    file = st::File::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const recur::io_error&) {
    return 0;
  }
  st::Writer again;
  for (const auto& [key, value] : file.metadata()) again.metadata(key, value);
  for (const auto& [name, info] : file.tensors()) {
    RECUR_FUZZ_CHECK(info.end - info.begin <= size);
    try {
      const std::vector<double> v = file.values<double>(name);
      RECUR_FUZZ_CHECK(static_cast<std::int64_t>(v.size()) == info.elements());
      (void)file.columns<float>(name);
      if (info.dtype == "F64") again.add(name, info.shape, v);
    } catch (const recur::io_error&) {
      RECUR_FUZZ_CHECK(info.dtype != "F32" && info.dtype != "F64");  // only other dtypes are refused
    }
  }
  const st::File back = st::File::parse(again.bytes(), "rewritten");
  RECUR_FUZZ_CHECK(back.metadata() == file.metadata());
  for (const auto& [name, info] : back.tensors()) {
    RECUR_FUZZ_CHECK(info.shape == file.info(name).shape);
    const std::vector<double> a = back.values<double>(name), b = file.values<double>(name);
    RECUR_FUZZ_CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);  // NaN-safe
  }

  static Model model = make_model();
  const std::vector<float> before = flat(model);
  try {
    recur::load(model, file, recur::LoadOptions{false});
    for (float x : flat(model)) RECUR_FUZZ_CHECK(std::isfinite(x));
    model = make_model();
  } catch (const recur::io_error&) {
    RECUR_FUZZ_CHECK(flat(model) == before);  // a refused file leaves the model unchanged
  }
  return 0;
}
