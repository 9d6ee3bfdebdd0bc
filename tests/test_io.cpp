// Model files: round trips, PyTorch's layout, and every kind of bad file (truncated at every
// byte, flipped bytes, hostile headers, wrong shapes, wrong architecture), plus atomic saving.
#include <filesystem>
#include <fstream>

#include "helpers.hpp"

using namespace recur;
namespace fs = std::filesystem;

namespace {

/// A fresh directory for one test's files.
fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("recur_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// A safetensors file with the given JSON header text and data bytes.
std::string with_header(const std::string& json, std::size_t data_bytes) {
  std::string out(8, '\0');
  const std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[std::size_t(i)] = char((n >> (8 * i)) & 0xff);
  return out + json + std::string(data_bytes, '\0');
}

using Model = Sequential<Stack<LSTM<float>>, Dense<float>>;
Model make_model(std::uint64_t seed) {
  Rng rng(seed);
  return Model(Stack<LSTM<float>>(2, 3, StackOptions{1, true}, rng), Dense<float>(6, 1, rng));
}

}  // namespace

TEST_CASE("save and load round-trip every parameter", "[io]") {
  const fs::path dir = scratch_dir("roundtrip");
  Model a = make_model(1), b = make_model(2);
  Rng rng(3);
  const MatX<float> x = test::random<float>(2, 8, rng);
  CHECK(test::max_diff(a.predict(x, 2), b.predict(x, 2)) > 1e-3);
  save(a, (dir / "m.safetensors").string());
  load(b, (dir / "m.safetensors").string());
  CHECK(test::max_diff(a.predict(x, 2), b.predict(x, 2)) == 0.0);
  const auto f = safetensors::File::read((dir / "m.safetensors").string());
  CHECK(f.metadata().at("format") == "recur");
  CHECK(f.metadata().at("architecture") == a.describe());
  CHECK(f.info("0.weight_ih_l0_reverse").shape == std::vector<std::int64_t>{12, 2});  // PyTorch's [4H, I]
  CHECK(f.info("1.bias").shape == std::vector<std::int64_t>{1});
  // Row-major on disk: element (0, 1) of weight_ih_l0 is the second number.
  CHECK(f.values<float>("0.weight_ih_l0")[1] == a.get<0>().layer(0).cell().weight_ih(0, 1));

  SECTION("a model without parameters writes a valid, empty file") {  // found by fuzzing: it wrote "null"
    const safetensors::File empty = safetensors::File::parse(safetensors::Writer().bytes(), "empty");
    CHECK(empty.tensors().empty());
    CHECK(empty.metadata().empty());
  }

  SECTION("double models read float files and back") {
    Sequential<Stack<LSTM<double>>, Dense<double>> d(Stack<LSTM<double>>(2, 3, StackOptions{1, true}),
                                                     Dense<double>(6, 1));
    load(d, (dir / "m.safetensors").string(), LoadOptions{true, false});
    CHECK(d.get<1>().weight(0, 4) == double(a.get<1>().weight(0, 4)));
  }
  SECTION("a compile-time-sized cell loads by type") {
    LSTM<float, 2, 5> cell;
    save(cell, (dir / "cell.safetensors").string());
    const auto back = load<LSTM<float, 2, 5>>((dir / "cell.safetensors").string());
    CHECK(back.weight_hh == cell.weight_hh);
    using WrongCell = GRU<float, 2, 5>;
    CHECK_THROWS_WITH(load<WrongCell>((dir / "cell.safetensors").string()),
                      Catch::Contains("holds LSTM") && Catch::Contains("model is GRU"));
  }
  fs::remove_all(dir);
}

TEST_CASE("loading never leaves a model half-written", "[io]") {
  const fs::path dir = scratch_dir("atomicload");
  Model a = make_model(1);
  save(a, (dir / "m.safetensors").string());
  Model wrong(Stack<LSTM<float>>(2, 3, StackOptions{1, true}), Dense<float>(6, 2));  // head differs
  const MatX<float> before = wrong.get<0>().layer(0).cell().weight_ih;
  CHECK_THROWS_AS(load(wrong, (dir / "m.safetensors").string(), LoadOptions{true, false}), io_error);
  CHECK(wrong.get<0>().layer(0).cell().weight_ih == before);  // untouched, though its tensors matched
  fs::remove_all(dir);
}

TEST_CASE("a model file truncated at any byte or with any byte flipped never crashes", "[io][fuzz]") {
  const fs::path dir = scratch_dir("truncate");
  LSTM<float, 1, 2> cell;
  save(cell, (dir / "c.safetensors").string());
  const std::string good = slurp(dir / "c.safetensors");
  for (std::size_t n = 0; n < good.size(); ++n) {
    INFO("truncated to " << n << " bytes");
    LSTM<float, 1, 2> target;
    CHECK_THROWS_AS(load(target, safetensors::File::parse(good.substr(0, n), "truncated")), io_error);
  }
  Index loaded = 0, refused = 0;
  for (std::size_t i = 0; i < good.size(); ++i)
    for (int mask : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = char(static_cast<unsigned char>(bad[i]) ^ mask);
      LSTM<float, 1, 2> target;
      try {
        load(target, safetensors::File::parse(bad, "flipped"));
        ++loaded;  // a flipped bit inside the numbers is still a valid file
      } catch (const io_error&) {
        ++refused;
      }
    }
  CHECK(refused > 0);
  CHECK(loaded > 0);
  fs::remove_all(dir);
}

TEST_CASE("hostile safetensors headers are refused with a reason", "[io]") {
  auto refuse = [](const std::string& bytes, const std::string& reason) {
    INFO("expecting: " << reason);
    CHECK_THROWS_WITH(safetensors::File::parse(bytes, "hostile"), Catch::Contains(reason));
  };
  const std::string t = R"("w": {"dtype": "F32", "shape": [2], "data_offsets": )";
  refuse("", "shorter than the 8-byte header");
  refuse(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "exceeds the limit");
  refuse(std::string("\x40\x00\x00\x00\x00\x00\x00\x00", 8) + "{}", "runs past the end");
  refuse(with_header("{", 0), "not valid JSON");
  refuse(with_header("[1, 2]", 0), "not a JSON object");
  refuse(with_header("{" + t + "[0, 8]}}", 4), "outside the data buffer");
  refuse(with_header("{" + t + "[4, 0]}}", 8), "outside the data buffer");
  refuse(with_header("{" + t + "[0, 4]}}", 8), "need 8");
  refuse(with_header(R"({"w": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}})", 8), "unknown dtype");
  refuse(with_header(R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", 8), "non-negative");
  refuse(with_header(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}})", 8),
         "larger than the file");
  refuse(with_header(R"({"w": {"dtype": "F32", "shape": [2]}})", 8), "no data_offsets");
  refuse(with_header(R"({"w": 3})", 0), "not an object");
  refuse(with_header(R"({"__metadata__": {"a": 1}})", 0), "not a string");
  refuse(with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                     12),
         "overlap");
  refuse(with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", 8), "gap");
  refuse(with_header(R"({"a": {"dtype": "F32", "shape": [0, 18446744073709551615], "data_offsets": [0, 0]}})", 0),
         "dimension larger than the file");
  refuse(with_header(R"({"a": {"dtype": "F32", "shape": [1,1,1,1,1,1,1,1,1], "data_offsets": [0, 4]}})", 4),
         "more than 8 dimensions");
  // Empty tensors may share an offset with the next one, whatever their names.
  CHECK_NOTHROW(safetensors::File::parse(with_header(R"({"z": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]},
                      "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                                                     4),
                                         "empty tensor"));
  refuse(with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 8), "cover 4 bytes");
}

TEST_CASE("model files of the wrong shape, dtype or contents are refused by name", "[io]") {
  auto file = [](const std::string& json, std::size_t data) {
    return safetensors::File::parse(with_header(json, data), "f");
  };
  Dense<float> d(1, 1);  // tensors weight [1, 1] and bias [1]
  const std::string w = R"("weight": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]})";
  CHECK_THROWS_WITH(load(d, file("{" + w + "}", 4)), Catch::Contains("missing tensor 'bias'"));
  CHECK_THROWS_WITH(
      load(d, file("{" + w + R"(, "bias": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", 12)),
      Catch::Contains("'bias' has shape [2], the model needs [1]"));
  CHECK_THROWS_WITH(load(d, file("{" + w + R"(, "bias": {"dtype": "I32", "shape": [1], "data_offsets": [4, 8]}})", 8)),
                    Catch::Contains("dtype I32"));
  std::string nan_file =
      with_header("{" + w + R"(, "bias": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", 8);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(&nan_file[nan_file.size() - 4], &nan, 4);
  CHECK_THROWS_WITH(load(d, safetensors::File::parse(nan_file, "f")), Catch::Contains("NaN"));
  CHECK_THROWS_WITH(load(d, file(R"({"__metadata__": {"format": "recur", "format_version": "99"}})", 0)),
                    Catch::Contains("version 99"));
  CHECK_THROWS_WITH(safetensors::File::read("/nonexistent/model.safetensors"), Catch::Contains("does not exist"));
  CHECK_THROWS_WITH(safetensors::File::read("/dev/zero"), Catch::Contains("not a regular file"));
}

TEST_CASE("saving replaces the previous file only when the new one is complete", "[io]") {
  const fs::path dir = scratch_dir("atomicsave");
  Dense<float> d(2, 2);
  const std::string path = (dir / "m.safetensors").string();
  save(d, path);
  const std::string first = slurp(path);
  d.weight(0, 0) += 1;
  save(d, path);
  CHECK(slurp(path) != first);
  // A diverged model is refused and the good file stays.
  const std::string good = slurp(path);
  d.bias(1) = NAN;
  CHECK_THROWS_WITH(save(d, path), "save " + path + ": parameter bias holds NaN or infinity; the file was not written");
  CHECK(slurp(path) == good);
  d.bias(1) = 0;
  CHECK((fs::status(path).permissions() & fs::perms::others_read) != fs::perms::none);  // not mkstemp's 0600
  // A save that cannot complete (the target is a directory) fails and leaves no temporary file.
  fs::create_directories(dir / "taken" / "x");
  CHECK_THROWS_AS(save(d, (dir / "taken").string()), io_error);
  CHECK(fs::is_directory(dir / "taken" / "x"));
  CHECK_THROWS_AS(save(d, (dir / "missing" / "m.safetensors").string()), io_error);
  Index files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);
  fs::remove_all(dir);
}
