// recur-adding: the adding problem (Hochreiter & Schmidhuber 1997), the classic test of memory.
// Each sequence holds random values in [0, 1] and two marked steps; the target, read only at
// the last step, is the sum of the two marked values. Predicting the mean (1.0) gives an MSE
// of 1/6 = 0.167; solving it needs memory across the whole sequence.
#include <recur/recur.hpp>

#include <chrono>
#include <cstdio>

#include "../common/checkpointing.hpp"
#include "../common/cli.hpp"

using namespace recur;

namespace {

struct Task {
  MatX<float> x;  // [2 x T*B]: value, marker
  MatX<float> y;  // [1 x B]
};

Task make_batch(Index T, Index B, Rng& rng) {
  Task d{MatX<float>::Zero(2, T * B), MatX<float>::Zero(1, B)};
  for (Index b = 0; b < B; ++b) {
    for (Index t = 0; t < T; ++t) d.x(0, t * B + b) = static_cast<float>(rng.uniform());
    const Index first = static_cast<Index>(rng.below(static_cast<std::uint64_t>(T / 2)));
    const Index second = T / 2 + static_cast<Index>(rng.below(static_cast<std::uint64_t>(T - T / 2)));
    for (Index t : {first, second}) {
      d.x(1, t * B + b) = 1;
      d.y(0, b) += d.x(0, t * B + b);
    }
  }
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  cli::Args args("recur-adding", "an LSTM learns the adding problem; prints the loss falling");
  args.option("steps", "T", "sequence length", "30");
  args.option("iterations", "N", "training iterations", "1500");
  args.option("batch", "B", "sequences per iteration", "32");
  args.option("hidden", "H", "LSTM hidden size", "32");
  args.option("save", "FILE", "save the trained model (safetensors)", "");
  cli::Checkpointing::declare(args, "iterations", "100");
  args.parse(argc, argv);
  cli::Checkpointing checkpoints(args);
  return cli::guarded("recur-adding", [&]() -> int {
    const Index T = args.integer("steps", 2), B = args.integer("batch", 1), H = args.integer("hidden", 1);
    const long iterations = args.integer("iterations", 1);

    Rng rng(static_cast<std::uint64_t>(args.integer("seed")));
    Sequential<Recurrent<LSTM<float>>, LastStep<float>, Dense<float>> model(Recurrent<LSTM<float>>(2, H, rng),
                                                                            LastStep<float>(), Dense<float>(H, 1, rng));
    model.get<0>().cell().set_forget_bias(1.0f);
    Adam<float> opt(1e-2f);
    decltype(model)::Trace trace;

    const Task test = make_batch(T, 512, rng);
    const auto start = std::chrono::steady_clock::now();
    double smoothed = 0;
    long first = 1;
    if (checkpoints.resuming()) {  // the model, Adam's moments, the generator and the loop's place
      TrainingState state;
      checkpoints.resume(model, opt, state);
      first = state.integer("iteration") + 1;
      rng.restore(state.text("rng"));
      smoothed = state.real("smoothed");
    }
    for (long it = first; it <= iterations; ++it) {
      const Task d = make_batch(T, B, rng);
      const auto& out = model.forward(d.x, B, trace);
      const auto loss = mse(out, d.y);
      model.backward(trace, loss.grad);
      clip_global_norm(model, 1.0);
      opt.step(model);
      smoothed = it == 1 ? loss.value : 0.95 * smoothed + 0.05 * loss.value;
      if (!args.quiet() && (it % 50 == 0 || it == 1)) std::printf("iteration %5ld  train MSE %.4f\n", it, smoothed);
      checkpoints.maybe_save(it, model, opt, [&] {
        TrainingState state;
        state.set("iteration", it);
        state.set("rng", rng.state());
        state.set("smoothed", smoothed);
        return state;
      });
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double test_mse = mse(model.predict(test.x, 512), test.y).value;
    std::printf("adding problem, T=%ld: test MSE %.4f (predicting the mean: 0.167), %.1f s\n", static_cast<long>(T),
                test_mse, secs);
    if (args.has("save")) save(model, args.str("save"));
    return 0;
  });
}
