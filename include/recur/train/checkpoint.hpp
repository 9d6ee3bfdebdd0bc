// Checkpoints: everything a training loop needs to continue exactly where it stopped. The
// model's parameters and the optimizer's state (moments, accumulators, step count) go into
// one safetensors file, with the loop's own values (epoch, step, RNG state, best score...) as
// text metadata and a checksum over all of it. Saving is atomic and keeps the previous
// checkpoint as "<path>.prev"; loading falls back to it, with a warning naming both files,
// when the newest one is missing, truncated or corrupted.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/param.hpp"
#include "recur/io/safetensors.hpp"

namespace recur {

/// The loop's own values, kept as text: whatever it needs to continue (epoch, step, the RNG
/// state from Rng::state(), the best validation score, ...).
struct TrainingState {
  std::map<std::string, std::string> values;

  void set(const std::string& key, const std::string& value) { values[key] = value; }
  void set(const std::string& key, long value) { values[key] = std::to_string(value); }
  /// Exact: written as a hex float.
  void set(const std::string& key, double value) {
    char text[64];
    std::snprintf(text, sizeof text, "%a", value);
    values[key] = text;
  }

  const std::string& text(const std::string& key) const {
    auto it = values.find(key);
    if (it == values.end()) throw io_error("checkpoint: no value '" + key + "'");
    return it->second;
  }
  long integer(const std::string& key) const {
    const std::string& t = text(key);
    char* end = nullptr;
    const long v = std::strtol(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0') throw io_error("checkpoint: value '" + key + "' is not an integer: " + t);
    return v;
  }
  double real(const std::string& key) const {
    const std::string& t = text(key);
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (t.empty() || *end != '\0') throw io_error("checkpoint: value '" + key + "' is not a number: " + t);
    return v;
  }
};

/// Where load_checkpoint found its data, and the warning to print when it had to use the
/// previous checkpoint.
struct CheckpointLoad {
  std::string file;
  std::string warning;  ///< empty when the newest checkpoint was good
};

/// No parameters: the default for the extra set a checkpoint may carry.
template <class S>
struct NoParams {
  using Scalar = S;
  template <class F>
  void for_each_param(F&& /*f*/, const std::string& /*prefix*/ = "") {}
};

/// The previous checkpoint kept beside `path`.
inline std::string previous_checkpoint(const std::string& path) { return path + ".prev"; }

namespace detail {

inline constexpr const char* checkpoint_format = "recur-checkpoint";
inline constexpr const char* state_prefix = "state.";

/// FNV-1a, 64 bits: detects truncation and flipped bytes (not tampering).
inline void fnv1a(std::uint64_t& h, std::string_view bytes) {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
}

/// Checksum over every tensor (name and bytes) and every metadata entry but the checksum.
inline std::string checkpoint_checksum(const safetensors::File& f) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& [name, info] : f.tensors()) {  // std::map: name order
    fnv1a(h, name);
    fnv1a(h, std::string_view("\0", 1));
    fnv1a(h, f.raw(name));
  }
  for (const auto& [key, value] : f.metadata()) {
    if (key == "checksum") continue;
    fnv1a(h, key);
    fnv1a(h, std::string_view("\0", 1));
    fnv1a(h, value);
    fnv1a(h, std::string_view("\0", 1));
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

template <class S>
std::vector<S> column_major(const MatX<S>& m) {
  return std::vector<S>(m.data(), m.data() + m.size());
}

template <class S>
MatX<S> read_matrix(const safetensors::File& f, const std::string& name, Index rows, Index cols) {
  const auto& info = f.info(name);
  if (info.shape != std::vector<std::int64_t>{rows, cols})
    throw io_error(f.origin() + ": tensor '" + name + "' has the wrong shape for this model");
  const std::vector<S> v = f.values<S>(name);
  return Eigen::Map<const MatX<S>>(v.data(), rows, cols);
}

/// The checkpoint at `path`, read and verified (format and checksum).
inline safetensors::File verified_checkpoint(const std::string& path) {
  safetensors::File f = safetensors::File::read(path);
  const auto& meta = f.metadata();
  auto fmt = meta.find("format");
  if (fmt == meta.end() || fmt->second != checkpoint_format)
    throw io_error(path + ": not a recur checkpoint (no format " + checkpoint_format + ")");
  auto sum = meta.find("checksum");
  if (sum == meta.end() || sum->second != checkpoint_checksum(f))
    throw io_error(path + ": checksum mismatch: the checkpoint is corrupted");
  return f;
}

/// The loop's values stored in a checkpoint's metadata.
inline TrainingState state_of(const safetensors::File& f) {
  TrainingState state;
  const std::string prefix = state_prefix;
  for (const auto& [key, value] : f.metadata())
    if (key.compare(0, prefix.size(), prefix) == 0) state.values[key.substr(prefix.size())] = value;
  return state;
}

/// Runs read(file) on `path`, or on previous_checkpoint(path) when that fails with io_error.
template <class Read>
CheckpointLoad with_fallback(const std::string& path, Read&& read) {
  std::string first_error;
  try {
    read(path);
    return {path, ""};
  } catch (const io_error& e) {
    first_error = e.what();
  }
  const std::string prev = previous_checkpoint(path);
  std::error_code ec;
  if (!std::filesystem::exists(prev, ec))
    throw io_error(first_error + " (and there is no previous checkpoint " + prev + ")");
  try {
    read(prev);
  } catch (const io_error& e) {
    throw io_error(first_error + "; the previous checkpoint is unusable too: " + e.what());
  }
  return {prev, first_error + "; resuming from the previous checkpoint " + prev};
}

/// Reads one checkpoint file into the model, the optimizer and `state`, checking everything
/// before changing anything.
template <class Model, class Optimizer, class Extra>
void read_checkpoint(const std::string& path, Model& model, Optimizer& optimizer, TrainingState& state, Extra& extra) {
  using S = typename Model::Scalar;
  const safetensors::File f = verified_checkpoint(path);
  const auto& meta = f.metadata();
  const std::string scalar = std::is_same<S, float>::value ? "float" : "double";
  if (!meta.count("scalar") || meta.at("scalar") != scalar)
    throw io_error(path + ": the checkpoint's numbers are not " + scalar + ", the model's");

  std::vector<MatX<S>> params;
  auto take = [&](const std::string& name, Param<S>& p) {
    if (!f.has(name)) throw io_error(path + ": no tensor for parameter " + name);
    params.push_back(read_matrix<S>(f, name, p.value.rows(), p.value.cols()));
  };
  model.for_each_param([&](Param<S>& p) { take("model." + p.name, p); });
  extra.for_each_param([&](Param<S>& p) { take("extra." + p.name, p); });
  std::vector<MatX<S>> buffers;
  for (std::size_t k = 0; f.has("optimizer." + std::to_string(k)); ++k) {
    const auto& info = f.info("optimizer." + std::to_string(k));
    if (info.shape.size() != 2) throw io_error(path + ": optimizer buffer " + std::to_string(k) + " is not a matrix");
    buffers.push_back(read_matrix<S>(f, "optimizer." + std::to_string(k), info.shape[0], info.shape[1]));
  }
  TrainingState loaded = state_of(f);
  long steps = 0;
  try {
    TrainingState counts;
    counts.values = meta;
    steps = counts.integer("optimizer_steps");
  } catch (const io_error& e) {
    throw io_error(path + ": " + e.what());
  }

  std::size_t k = 0;
  model.for_each_param([&](Param<S>& p) { p.value = params[k++]; });
  extra.for_each_param([&](Param<S>& p) { p.value = params[k++]; });
  optimizer.restore(model, std::move(buffers), steps);
  state = std::move(loaded);
}

}  // namespace detail

/// Writes model, optimizer and state to `path` atomically, after moving the checkpoint that
/// was there to previous_checkpoint(path): a crash at any moment leaves a complete one.
/// `extra` holds parameters the optimizer does not update (e.g. the best model so far).
template <class Model, class Optimizer, class Extra = NoParams<typename Model::Scalar>>
void save_checkpoint(const std::string& path, Model& model, Optimizer& optimizer, const TrainingState& state,
                     Extra&& extra = Extra()) {
  using S = typename Model::Scalar;
  safetensors::Writer w;
  w.metadata("format", detail::checkpoint_format);
  w.metadata("scalar", std::is_same<S, float>::value ? "float" : "double");
  w.metadata("optimizer_steps", std::to_string(optimizer.steps()));
  for (const auto& [key, value] : state.values) w.metadata(detail::state_prefix + key, value);
  model.for_each_param([&](Param<S>& p) {
    if (!p.value.allFinite())
      throw value_error("checkpoint " + path + ": parameter " + p.name + " holds NaN or infinity; not written");
    w.add("model." + p.name, {p.value.rows(), p.value.cols()}, detail::column_major<S>(p.value));
  });
  extra.for_each_param([&](Param<S>& p) {
    w.add("extra." + p.name, {p.value.rows(), p.value.cols()}, detail::column_major<S>(p.value));
  });
  const auto& buffers = optimizer.state();
  for (std::size_t k = 0; k < buffers.size(); ++k)
    w.add("optimizer." + std::to_string(k), {buffers[k].rows(), buffers[k].cols()},
          detail::column_major<S>(buffers[k]));
  // The checksum covers the file as it will be read back.
  const std::string draft = w.bytes();
  w.metadata("checksum", detail::checkpoint_checksum(safetensors::File::parse(draft, path)));
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::filesystem::rename(path, previous_checkpoint(path), ec);
    if (ec) throw io_error(path + ": cannot keep the previous checkpoint (" + ec.message() + ")");
  }
  w.write(path);
}

/// Restores model, optimizer and state from `path`, or from previous_checkpoint(path) when
/// `path` is missing or damaged (the result's warning then names both). Throws io_error
/// naming both files when neither is usable. The model and optimizer must be built with the
/// same sizes and settings as the ones saved.
template <class Model, class Optimizer, class Extra = NoParams<typename Model::Scalar>>
CheckpointLoad load_checkpoint(const std::string& path, Model& model, Optimizer& optimizer, TrainingState& state,
                               Extra&& extra = Extra()) {
  return detail::with_fallback(
      path, [&](const std::string& file) { detail::read_checkpoint(file, model, optimizer, state, extra); });
}

/// Only the loop's values of the checkpoint load_checkpoint(path, ...) would read (with the
/// same fallback): for loops whose models depend on how far the run got.
inline TrainingState peek_checkpoint(const std::string& path) {
  TrainingState state;
  detail::with_fallback(path,
                        [&](const std::string& file) { state = detail::state_of(detail::verified_checkpoint(file)); });
  return state;
}

}  // namespace recur
