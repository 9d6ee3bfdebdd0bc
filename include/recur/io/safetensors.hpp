// The safetensors file format (the PyTorch ecosystem's weight files), read and written with
// every offset checked:
//   [8 bytes: little-endian u64 N][N bytes: JSON header][data buffer]
//   header: {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..],
//            "data_offsets": [begin, end]}, ...}, offsets relative to the data buffer,
//   tensors row-major, little-endian, tiling the buffer without gaps or overlaps.
// A file that breaks any rule throws recur::io_error naming the file, the tensor and the rule;
// a header is at most 16 MB and is parsed only after its length is checked against the file.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "recur/core/error.hpp"
#include "recur/core/types.hpp"
#include "recur/io/atomic_file.hpp"

namespace recur::safetensors {

/// Largest header accepted. The reference implementation allows 100 MB; recur's model headers
/// are a few kilobytes, and a smaller limit bounds what parsing a hostile header can cost.
constexpr std::uint64_t max_header_bytes = 16 << 20;
/// Most dimensions a tensor may have.
constexpr std::size_t max_rank = 8;

struct TensorInfo {
  std::string dtype;                 ///< "F32", "F64", ...
  std::vector<std::int64_t> shape;   ///< row-major shape
  std::uint64_t begin = 0, end = 0;  ///< byte range in the data buffer
  std::int64_t elements() const {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

/// Bytes per element of a safetensors dtype, 0 if the dtype is unknown.
inline std::size_t dtype_size(const std::string& dtype) {
  static const std::map<std::string, std::size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"F64", 8},     {"I64", 8}, {"U64", 8}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

namespace detail {
inline bool little_endian() {
  const std::uint16_t one = 1;
  unsigned char b = 0;
  std::memcpy(&b, &one, 1);
  return b == 1;
}
}  // namespace detail

/// A whole safetensors file in memory, validated.
class File {
 public:
  /// Reads and validates `path`.
  static File read(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw io_error(path + ": not a regular file (or it does not exist)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(path + ": cannot open for reading (" + std::strerror(errno) + ")");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw io_error(path + ": read error");
    return parse(std::move(bytes), path);
  }

  /// Validates a file already in memory; `origin` names it in error messages.
  static File parse(std::string bytes, const std::string& origin) {
    File f;
    f.origin_ = origin;
    f.bytes_ = std::move(bytes);
    f.validate();
    return f;
  }

  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  const std::string& origin() const { return origin_; }

  const TensorInfo& info(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw io_error(origin_ + ": no tensor named '" + name + "'");
    return it->second;
  }

  /// The tensor's bytes as stored (for checksums).
  std::string_view raw(const std::string& name) const {
    const TensorInfo& t = info(name);
    return std::string_view(bytes_).substr(data_start_ + t.begin, t.end - t.begin);
  }

  /// The tensor's values in row-major order, converted from F32 or F64 to S.
  template <class S>
  std::vector<S> values(const std::string& name) const {
    const TensorInfo& t = info(name);
    const std::size_t n = static_cast<std::size_t>(t.elements());
    std::vector<S> out(n);
    const char* src = bytes_.data() + data_start_ + t.begin;
    if (t.dtype == "F32") {
      for (std::size_t i = 0; i < n; ++i) {
        float v;
        std::memcpy(&v, src + 4 * i, 4);
        out[i] = static_cast<S>(v);
      }
    } else if (t.dtype == "F64") {
      for (std::size_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, src + 8 * i, 8);
        out[i] = static_cast<S>(v);
      }
    } else {
      throw io_error(origin_ + ": tensor '" + name + "' has dtype " + t.dtype + "; recur reads F32 and F64");
    }
    return out;
  }

  /// The tensor as a column-major [rows x cols] matrix whose columns are the tensor's
  /// row-major rows of `rows` values: a (T, B, F) tensor becomes [F x T*B], recur's layout.
  template <class S>
  MatX<S> columns(const std::string& name) const {
    const TensorInfo& t = info(name);
    const std::vector<S> v = values<S>(name);
    const Index rows = t.shape.empty() ? 1 : static_cast<Index>(t.shape.back());
    const Index cols = rows == 0 ? 0 : static_cast<Index>(v.size()) / rows;
    return Eigen::Map<const MatX<S>>(v.data(), rows, cols);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw io_error(origin_ + ": " + what); }

  void validate() {
    if (!detail::little_endian()) fail("safetensors needs a little-endian machine");
    const std::uint64_t size = bytes_.size();
    if (size < 8) fail("file is " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes_[static_cast<std::size_t>(i)]);
    if (n > max_header_bytes) fail("header length " + std::to_string(n) + " exceeds the limit of 100 MB");
    if (n > size - 8)
      fail("header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(size) +
           " bytes): truncated or corrupted");
    data_start_ = static_cast<std::size_t>(8 + n);
    const std::uint64_t data_size = size - 8 - n;
    nlohmann::json header =
        nlohmann::json::parse(bytes_.begin() + 8, bytes_.begin() + static_cast<std::ptrdiff_t>(data_start_), nullptr,
                              /*allow_exceptions=*/false);
    if (header.is_discarded()) fail("header is not valid JSON");
    if (!header.is_object()) fail("header is not a JSON object");

    std::vector<std::tuple<std::uint64_t, std::uint64_t, std::string>> order;  // begin, end, name
    for (auto it = header.begin(); it != header.end(); ++it) {
      const std::string& name = it.key();
      const nlohmann::json& v = it.value();
      if (name == "__metadata__") {
        if (!v.is_object()) fail("__metadata__ is not an object");
        for (auto m = v.begin(); m != v.end(); ++m) {
          if (!m.value().is_string()) fail("__metadata__ value of '" + m.key() + "' is not a string");
          metadata_[m.key()] = m.value().get<std::string>();
        }
        continue;
      }
      const std::string where = "tensor '" + name + "'";
      if (!v.is_object()) fail(where + " is not an object");
      if (!v.contains("dtype") || !v["dtype"].is_string()) fail(where + " has no string dtype");
      if (!v.contains("shape") || !v["shape"].is_array()) fail(where + " has no shape array");
      if (v["shape"].size() > max_rank) fail(where + " has more than " + std::to_string(max_rank) + " dimensions");
      if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
        fail(where + " has no data_offsets [begin, end]");
      TensorInfo t;
      t.dtype = v["dtype"].get<std::string>();
      const std::size_t esize = dtype_size(t.dtype);
      if (esize == 0) fail(where + " has unknown dtype '" + t.dtype + "'");
      std::uint64_t elements = 1;
      for (const auto& d : v["shape"]) {
        if (!d.is_number_unsigned()) fail(where + " has a shape entry that is not a non-negative integer");
        const std::uint64_t dim = d.get<std::uint64_t>();
        if (dim > data_size) fail(where + " has a dimension larger than the file");
        if (dim != 0 && elements > data_size / dim) fail(where + " has a shape larger than the file");
        elements *= dim;
        t.shape.push_back(static_cast<std::int64_t>(dim));
      }
      for (const auto& o : v["data_offsets"])
        if (!o.is_number_unsigned()) fail(where + " has a data offset that is not a non-negative integer");
      t.begin = v["data_offsets"][0].get<std::uint64_t>();
      t.end = v["data_offsets"][1].get<std::uint64_t>();
      if (t.begin > t.end || t.end > data_size)
        fail(where + " has data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
             "] outside the data buffer of " + std::to_string(data_size) + " bytes");
      if (t.end - t.begin != elements * esize)
        fail(where + " occupies " + std::to_string(t.end - t.begin) + " bytes but its dtype and shape need " +
             std::to_string(elements * esize));
      order.emplace_back(t.begin, t.end, name);
      tensors_[name] = std::move(t);
    }
    // The tensors must tile the data buffer exactly: no overlap, no gap, nothing after.
    std::sort(order.begin(), order.end());
    std::uint64_t expect = 0;
    for (const auto& [begin, end, name] : order) {  // by (begin, end): empty tensors first
      const TensorInfo& t = tensors_[name];
      if (t.begin != expect)
        fail("tensor '" + name + "' starts at byte " + std::to_string(t.begin) + " but the previous one ends at " +
             std::to_string(expect) + (t.begin < expect ? " (overlap)" : " (gap)"));
      expect = t.end;
    }
    if (expect != data_size)
      fail("the tensors cover " + std::to_string(expect) + " bytes of a " + std::to_string(data_size) +
           "-byte data buffer");
  }

  std::string origin_;
  std::string bytes_;
  std::size_t data_start_ = 0;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, TensorInfo> tensors_;
};

/// Collects tensors and writes them as one safetensors file, atomically.
class Writer {
 public:
  void metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

  /// Adds a tensor from row-major values.
  template <class S>
  void add(const std::string& name, std::vector<std::int64_t> shape, const std::vector<S>& row_major) {
    static_assert(std::is_same<S, float>::value || std::is_same<S, double>::value, "F32 or F64 only");
    Entry e;
    e.name = name;
    e.dtype = std::is_same<S, float>::value ? "F32" : "F64";
    e.shape = std::move(shape);
    e.bytes.resize(row_major.size() * sizeof(S));
    if (!row_major.empty()) std::memcpy(&e.bytes[0], row_major.data(), e.bytes.size());
    entries_.push_back(std::move(e));
  }

  /// The whole file as bytes.
  std::string bytes() const {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();  // "{}", not "null", when empty
    if (!metadata_.empty()) header["__metadata__"] = metadata_;
    std::uint64_t offset = 0;
    for (const auto& e : entries_) {
      header[e.name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {offset, offset + e.bytes.size()}}};
      offset += e.bytes.size();
    }
    std::string text = header.dump();
    while ((8 + text.size()) % 8 != 0) text.push_back(' ');  // align the data buffer
    std::string out(8, '\0');
    std::uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
    out += text;
    for (const auto& e : entries_) out += e.bytes;
    return out;
  }

  /// Writes to a temporary file beside `path`, flushes it to disk, then renames it over `path`:
  /// a crash mid-save leaves the previous file intact.
  void write(const std::string& path) const { write_file_atomically(path, bytes()); }

 private:
  struct Entry {
    std::string name, dtype;
    std::vector<std::int64_t> shape;
    std::string bytes;
  };
  std::map<std::string, std::string> metadata_;
  std::vector<Entry> entries_;
};

}  // namespace recur::safetensors
