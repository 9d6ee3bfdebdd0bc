// Saving and loading a model's parameters as a safetensors file with PyTorch's state_dict
// names, so that weights move between recur and PyTorch unchanged.
//
// recur adds to __metadata__: format "recur", format_version, architecture (the model's
// describe()), scalar. A file without them (saved by PyTorch) loads when every tensor matches.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/param.hpp"
#include "recur/io/safetensors.hpp"

namespace recur {

constexpr const char* model_format_version = "1";

struct LoadOptions {
  /// Every tensor in the file must belong to the model (PyTorch's strict=true).
  bool strict = true;
  /// A file saved by recur must name the same architecture as the model.
  bool check_architecture = true;
};

namespace detail {
/// The PyTorch shape of a parameter.
template <class S>
std::vector<std::int64_t> torch_shape(const Param<S>& p) {
  switch (p.layout) {
    case TorchLayout::vector:
      return {static_cast<std::int64_t>(p.value.size())};
    case TorchLayout::matrix:
      return {p.value.rows(), p.value.cols()};
    case TorchLayout::transposed:
      return {p.value.cols(), p.value.rows()};
  }
  return {};
}

template <class S>
std::string shape_text(const std::vector<S>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}
}  // namespace detail

/// Writes every parameter of `model` to `path` (atomically: the previous file survives a crash).
/// `extra` adds the caller's own __metadata__ entries (preprocessing, settings); it may not
/// replace recur's keys.
template <class Model>
void save(Model& model, const std::string& path, const std::map<std::string, std::string>& extra = {}) {
  using S = typename Model::Scalar;
  safetensors::Writer w;
  w.metadata("format", "recur");
  w.metadata("format_version", model_format_version);
  w.metadata("architecture", model.describe());
  w.metadata("scalar", std::is_same<S, float>::value ? "float" : "double");
  for (const auto& [key, value] : extra) {
    if (key == "format" || key == "format_version" || key == "architecture" || key == "scalar")
      throw value_error("save: metadata key '" + key + "' is recur's own");
    w.metadata(key, value);
  }
  model.for_each_param([&](Param<S>& p) {
    // A diverged model must not replace a good file: refuse it, naming the parameter.
    if (!p.value.allFinite())
      throw value_error("save " + path + ": parameter " + p.name + " holds NaN or infinity; the file was not written");
    std::vector<S> data(static_cast<std::size_t>(p.value.size()));
    if (p.layout == TorchLayout::matrix)  // column-major [r x c] -> row-major [r, c]
      Eigen::Map<Eigen::Matrix<S, Dynamic, Dynamic, Eigen::RowMajor>>(data.data(), p.value.rows(), p.value.cols()) =
          p.value;
    else
      Eigen::Map<MatX<S>>(data.data(), p.value.rows(), p.value.cols()) = p.value;
    w.add(p.name, detail::torch_shape(p), data);
  });
  w.write(path);
}

/// Tensor `name` of `file` in the layout and shape of parameter `p` (PyTorch's row-major
/// weights become column-major matrices); throws io_error if the shape differs.
template <class S>
MatX<S> read_like(const safetensors::File& file, const std::string& name, const Param<S>& p) {
  const auto& info = file.info(name);
  const auto want = detail::torch_shape(p);
  if (info.shape != want)
    throw io_error(file.origin() + ": tensor '" + name + "' has shape " + detail::shape_text(info.shape) +
                   ", the model needs " + detail::shape_text(want));
  const std::vector<S> v = file.values<S>(name);
  if (p.layout == TorchLayout::matrix)
    return Eigen::Map<const Eigen::Matrix<S, Dynamic, Dynamic, Eigen::RowMajor>>(v.data(), p.value.rows(),
                                                                                 p.value.cols());
  return Eigen::Map<const MatX<S>>(v.data(), p.value.rows(), p.value.cols());
}

/// Fills the parameters of `model` from a safetensors file, checking every name, shape and
/// value first: on any error the model is left unchanged.
template <class Model>
void load(Model& model, const safetensors::File& file, const LoadOptions& options = {}) {
  using S = typename Model::Scalar;
  const auto& meta = file.metadata();
  auto fmt = meta.find("format");
  if (fmt != meta.end() && fmt->second == "recur") {
    auto ver = meta.find("format_version");
    if (ver == meta.end() || ver->second != model_format_version)
      throw io_error(file.origin() + ": recur model format version " + (ver == meta.end() ? "(none)" : ver->second) +
                     ", this build reads version " + model_format_version);
    auto arch = meta.find("architecture");
    if (options.check_architecture && arch != meta.end() && arch->second != model.describe())
      throw io_error(file.origin() + ": the file holds " + arch->second + " but the model is " + model.describe());
  }
  std::vector<MatX<S>> values;
  std::set<std::string> used;
  model.for_each_param([&](Param<S>& p) {
    if (!file.has(p.name)) throw io_error(file.origin() + ": missing tensor '" + p.name + "' for " + model.describe());
    MatX<S> m = read_like(file, p.name, p);
    if (!m.allFinite()) throw io_error(file.origin() + ": tensor '" + p.name + "' holds NaN or infinity");
    values.push_back(std::move(m));
    used.insert(p.name);
  });
  if (options.strict)
    for (const auto& [name, info] : file.tensors())
      if (!used.count(name))
        throw io_error(file.origin() + ": tensor '" + name + "' does not belong to " + model.describe() +
                       " (load with LoadOptions{false} to ignore extra tensors)");
  std::size_t k = 0;
  model.for_each_param([&](Param<S>& p) { p.value = values[k++]; });
}

template <class Model>
void load(Model& model, const std::string& path, const LoadOptions& options = {}) {
  load(model, safetensors::File::read(path), options);
}

/// A model with compile-time sizes (e.g. recur::LSTM<float, 1, 16>) read from a file.
template <class Model>
Model load(const std::string& path, const LoadOptions& options = {}) {
  Model model;
  load(model, path, options);
  return model;
}

}  // namespace recur
