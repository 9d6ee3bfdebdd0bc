// Equivalence with PyTorch: fixtures written by tests/reference/make_fixtures.py hold the
// weights of an nn.RNN / nn.LSTM / nn.GRU (PyTorch's own names and layout), inputs, initial
// states, outputs, final states and every gradient of a weighted-sum loss. recur loads the
// same weights and must match all of them. Running these tests does not need PyTorch.
#include <filesystem>

#include "helpers.hpp"

using namespace recur;

namespace {

const std::string fixture_dir = RECUR_FIXTURE_DIR;

std::vector<Index> parse_lengths(const std::string& text) {
  std::vector<Index> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stol(item));
  return out;
}

template <class Cell>
void check_fixture(const safetensors::File& f, double tolerance) {
  using S = typename Cell::Scalar;
  const auto& m = f.metadata();
  const Index I = std::stol(m.at("input_size")), H = std::stol(m.at("hidden_size"));
  const Index L = std::stol(m.at("num_layers")), B = std::stol(m.at("batch"));
  const bool bi = m.at("bidirectional") == "1";
  const auto lengths = parse_lengths(m.at("lengths"));
  const Batch batch = lengths.empty() ? Batch(B) : Batch(lengths);

  Stack<Cell> model(I, H, StackOptions{L, bi, Merge::concat});
  load(model, f, LoadOptions{/*strict=*/false});  // the fixture also holds inputs and outputs
  const MatX<S> x = f.columns<S>("input");        // (T, B, I) -> [I x T*B]
  typename Stack<Cell>::State s0{f.columns<S>("h0"), Cell::has_cell_state ? f.columns<S>("c0") : MatX<S>()};

  typename Stack<Cell>::Trace tr;
  const MatX<S> y = model.forward(x, batch, tr, &s0);
  CHECK(test::max_diff(y, f.columns<S>("output")) < tolerance);
  CHECK(test::max_diff(tr.final.h, f.columns<S>("h_n")) < tolerance);
  if (Cell::has_cell_state) CHECK(test::max_diff(tr.final.c, f.columns<S>("c_n")) < tolerance);

  // The same state layout as PyTorch's h_n: (L*D, B, H) -> [H x L*D*B].
  typename Stack<Cell>::State dfinal{f.columns<S>("dh_n"), Cell::has_cell_state ? f.columns<S>("dc_n") : MatX<S>()};
  zero_grad(model);
  const MatX<S> dx = model.backward(tr, f.columns<S>("dout"), &dfinal);
  CHECK(test::max_diff(dx, f.columns<S>("grad_input")) < tolerance);
  CHECK(test::max_diff(tr.grad_initial.h, f.columns<S>("grad_h0")) < tolerance);
  if (Cell::has_cell_state) CHECK(test::max_diff(tr.grad_initial.c, f.columns<S>("grad_c0")) < tolerance);
  Index checked = 0;
  model.for_each_param([&](Param<S>& p) {
    INFO("gradient of " << p.name);
    CHECK(test::max_diff(p.grad, read_like(f, "grad." + p.name, p)) < tolerance);
    ++checked;
  });
  CHECK(checked == 4 * L * (bi ? 2 : 1));
}

template <class S>
void check_all(double tolerance) {
  REQUIRE(std::filesystem::is_directory(fixture_dir));
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fixture_dir)) {
    if (entry.path().extension() != ".safetensors") continue;
    const auto f = safetensors::File::read(entry.path().string());
    const std::string cell = f.metadata().at("cell");
    INFO("fixture " << entry.path().filename().string());
    if (cell == "rnn_tanh")
      check_fixture<Elman<S, Dynamic, Dynamic, Tanh>>(f, tolerance);
    else if (cell == "rnn_relu")
      check_fixture<Elman<S, Dynamic, Dynamic, ReLU>>(f, tolerance);
    else if (cell == "lstm")
      check_fixture<LSTM<S>>(f, tolerance);
    else if (cell == "gru")
      check_fixture<GRU<S>>(f, tolerance);
    else
      FAIL("unknown cell " << cell);
    ++files;
  }
  CHECK(files >= 19);
}

}  // namespace

TEST_CASE("float results match PyTorch fixtures to 1e-5", "[pytorch]") { check_all<float>(1e-5); }

// The fixtures are float32 numbers computed in float64: double must agree to their rounding.
TEST_CASE("double results match PyTorch fixtures to float rounding", "[pytorch]") { check_all<double>(1e-6); }

TEST_CASE("a PyTorch state_dict file loads strictly into the matching stack and not into others", "[pytorch][io]") {
  const auto f = safetensors::File::read(fixture_dir + "/lstm_l2_uni_i3_h4.safetensors");
  Stack<LSTM<float>> lstm(3, 4, StackOptions{2, false});
  CHECK_THROWS_WITH(load(lstm, f), Catch::Contains("does not belong"));  // inputs etc. are extra
  CHECK_NOTHROW(load(lstm, f, LoadOptions{false}));
  Stack<GRU<float>> gru(3, 4, StackOptions{2, false});
  CHECK_THROWS_WITH(load(gru, f, LoadOptions{false}), Catch::Contains("weight_ih_l0") && Catch::Contains("[12, 3]"));
  Stack<LSTM<float>> bi(3, 4, StackOptions{2, true});
  CHECK_THROWS_WITH(load(bi, f, LoadOptions{false}), Catch::Contains("missing tensor 'weight_ih_l0_reverse'"));
}
