// Stacked and bidirectional recurrent layers: PyTorch's nn.RNN / nn.LSTM / nn.GRU with
// num_layers and bidirectional, with the same parameter names (weight_ih_l1_reverse, ...) and
// the same state layout (h_n [H x (L*D*B)]).
#pragma once

#include <string>
#include <vector>

#include "recur/layer/dropout.hpp"
#include "recur/layer/recurrent.hpp"

namespace recur {

/// How a bidirectional layer combines its two directions.
enum class Merge {
  concat,  ///< [forward; backward], 2H rows (PyTorch)
  sum,     ///< forward + backward, H rows
  mean     ///< (forward + backward) / 2, H rows
};

struct StackOptions {
  Index layers = 1;
  bool bidirectional = false;
  Merge merge = Merge::concat;
  double dropout = 0;  ///< on each layer's output but the last, while training (PyTorch's `dropout`)
};

template <class Cell>
class Stack {
 public:
  using Scalar = typename Cell::Scalar;
  using S = Scalar;
  using Layer = Recurrent<Cell>;
  using State = SequenceState<S>;  // h [H x (L*D*B)], block l*D + d

  struct Trace {
    std::vector<typename Layer::Trace> layers;        // index l*D + d
    std::vector<MatX<S>> outputs;                     // merged output of each layer [O x T*B]
    std::vector<typename Dropout<S>::Trace> dropped;  // layer l's output as layer l+1 reads it
    Batch batch{1};
    State final;         // h_n, c_n
    State grad_initial;  // set by backward
    const MatX<S>& output() const { return outputs.back(); }
  };

  Stack(Index input, Index hidden, StackOptions options = {}, Rng& rng = global_rng())
      : options_(options), dropout_(options.dropout) {
    if (options.layers < 1) throw value_error("Stack: layers must be >= 1, got " + std::to_string(options.layers));
    Index in = input;
    for (Index l = 0; l < options.layers; ++l) {
      for (Index d = 0; d < directions(); ++d) layers_.emplace_back(Cell(in, hidden, rng), d == 1);
      in = output_size();
    }
  }

  Index directions() const { return options_.bidirectional ? 2 : 1; }
  Index layers() const { return options_.layers; }
  Index input_size() const { return layers_.front().input_size(); }
  Index hidden_size() const { return layers_.front().hidden_size(); }
  Index output_size() const {
    return hidden_size() * (options_.bidirectional && options_.merge == Merge::concat ? 2 : 1);
  }
  const StackOptions& options() const { return options_; }
  /// Layer l, direction d (0 forward, 1 reverse); throws std::out_of_range past the end.
  Layer& layer(Index l, Index d = 0) { return layers_.at(index(l, d)); }
  const Layer& layer(Index l, Index d = 0) const { return layers_.at(index(l, d)); }

  void set_truncation(Index steps) {
    for (auto& l : layers_) l.set_truncation(steps);
  }

  std::string describe() const {
    std::string m = options_.merge == Merge::concat ? "concat" : options_.merge == Merge::sum ? "sum" : "mean";
    return "Stack(" + layers_.front().cell().describe() + ", layers=" + std::to_string(layers()) +
           ", bidirectional=" + (options_.bidirectional ? "1" : "0") + ", merge=" + m +
           (dropout_.p() > 0 && layers() > 1 ? ", dropout=" + std::to_string(dropout_.p()) : "") + ")";
  }

  /// Forward over x [I x T*B]; `initial` in PyTorch's layout, zero when null. `training`: the
  /// generator for dropout between layers while training; null for inference.
  template <class X>
  const MatX<S>& forward(X&& x, const Batch& batch, Trace& tr, const State* initial = nullptr,
                         Rng* training = nullptr) const {
    const Index B = batch.size(), n = hidden_size(), LD = layers() * directions();
    check_state(initial, B, "Stack::forward initial state");
    tr.layers.resize(static_cast<std::size_t>(LD));
    tr.outputs.resize(static_cast<std::size_t>(layers()));
    tr.dropped.resize(static_cast<std::size_t>(layers() - 1));
    tr.batch = batch;
    for (Index l = 0; l < layers(); ++l) {
      const MatX<S>* below = l > 0 ? &input_of(tr, l, training) : nullptr;  // both directions read it
      for (Index d = 0; d < directions(); ++d) {
        const Index k = l * directions() + d;
        State s0;
        if (initial) s0 = slice(*initial, k, B);
        auto& lt = tr.layers[static_cast<std::size_t>(k)];
        if (l == 0)
          layer(l, d).forward(std::forward<X>(x), batch, lt, initial ? &s0 : nullptr);  // copied if temporary
        else
          layer(l, d).forward(*below, batch, lt, initial ? &s0 : nullptr);
      }
      merge(tr, l);
    }
    tr.final.h.resize(n, LD * B);
    tr.final.c.resize(Cell::has_cell_state ? n : 0, LD * B);
    for (Index k = 0; k < LD; ++k) {
      tr.final.h.middleCols(k * B, B) = tr.layers[static_cast<std::size_t>(k)].final.h;
      if (Cell::has_cell_state) tr.final.c.middleCols(k * B, B) = tr.layers[static_cast<std::size_t>(k)].final.c;
    }
    return tr.output();
  }

  /// Inference; `state` (if given) is the initial state and receives the final one.
  template <class X>
  MatX<S> predict(const Eigen::MatrixBase<X>& x, const Batch& batch, State* state = nullptr) const {
    Trace tr;
    forward(x, batch, tr, state);
    if (state) *state = std::move(tr.final);
    return std::move(tr.outputs.back());
  }

  /// BPTT through all layers; see Recurrent::backward. Returns dx [I x T*B].
  template <class DY>
  MatX<S> backward(Trace& tr, const Eigen::MatrixBase<DY>& dy, const State* grad_final = nullptr) {
    const Index B = tr.batch.size(), LD = layers() * directions();
    if (tr.layers.size() != static_cast<std::size_t>(LD))
      throw value_error("Stack::backward: the trace was not made by forward() of this stack");
    check_state(grad_final, B, "Stack::backward grad_final");
    detail::check_shape(dy, output_size(), tr.output().cols(), "Stack::backward dy");
    const Index n = hidden_size();
    tr.grad_initial.h.setZero(n, LD * B);
    tr.grad_initial.c.setZero(Cell::has_cell_state ? n : 0, LD * B);
    MatX<S> grad = dy;
    for (Index l = layers() - 1; l >= 0; --l) {
      MatX<S> dx;
      for (Index d = 0; d < directions(); ++d) {
        const Index k = l * directions() + d;
        State gf;
        if (grad_final) gf = slice(*grad_final, k, B);
        MatX<S> part = split(grad, d);
        auto& lt = tr.layers[static_cast<std::size_t>(k)];
        MatX<S> dxd = layer(l, d).backward(lt, part, grad_final ? &gf : nullptr);
        if (d == 0)
          dx = std::move(dxd);
        else
          dx += dxd;
        tr.grad_initial.h.middleCols(k * B, B) = lt.grad_initial.h;
        if (Cell::has_cell_state) tr.grad_initial.c.middleCols(k * B, B) = lt.grad_initial.c;
      }
      const bool dropped = l > 0 && tr.dropped[static_cast<std::size_t>(l - 1)].mask.size() > 0;
      if (dropped)
        grad = dropout_.backward(tr.dropped[static_cast<std::size_t>(l - 1)], dx);
      else
        grad = std::move(dx);
    }
    return grad;
  }

  /// Parameters named as PyTorch's: weight_ih_l{l}[_reverse], weight_hh_..., bias_ih_..., bias_hh_...
  template <class F>
  void for_each_param(F&& f, const std::string& prefix = "") {
    for (Index l = 0; l < layers(); ++l)
      for (Index d = 0; d < directions(); ++d)
        layer(l, d).cell().for_each_param(f, prefix, "_l" + std::to_string(l) + (d ? "_reverse" : ""));
  }

 private:
  std::size_t index(Index l, Index d) const {
    if (l < 0 || l >= layers() || d < 0 || d >= directions())
      throw std::out_of_range("Stack::layer(" + std::to_string(l) + ", " + std::to_string(d) + ") of " + describe());
    return static_cast<std::size_t>(l * directions() + d);
  }

  /// What layer l >= 1 reads: layer l-1's output, with dropout when training.
  const MatX<S>& input_of(Trace& tr, Index l, Rng* training) const {
    const MatX<S>& below = tr.outputs[static_cast<std::size_t>(l - 1)];
    auto& dropped = tr.dropped[static_cast<std::size_t>(l - 1)];
    if (training && dropout_.p() > 0) return dropout_.forward(below, dropped, training);
    dropped.mask.resize(0, 0);  // inference (or p = 0): no copy, and backward passes gradients through
    return below;
  }

  void check_state(const State* s, Index B, const char* what) const {
    if (!s) return;
    const Index LD = layers() * directions();
    detail::check_shape(s->h, hidden_size(), LD * B, what);
    if (Cell::has_cell_state) detail::check_shape(s->c, hidden_size(), LD * B, what);
  }

  static State slice(const State& s, Index k, Index B) {
    State out;
    out.h = s.h.middleCols(k * B, B);
    if (Cell::has_cell_state) out.c = s.c.middleCols(k * B, B);
    return out;
  }

  void merge(Trace& tr, Index l) const {
    auto& out = tr.outputs[static_cast<std::size_t>(l)];
    const auto& f = tr.layers[static_cast<std::size_t>(l * directions())].output();
    if (directions() == 1) {
      out = f;
      return;
    }
    const auto& b = tr.layers[static_cast<std::size_t>(l * directions() + 1)].output();
    switch (options_.merge) {
      case Merge::concat:
        out.resize(2 * f.rows(), f.cols());
        out.topRows(f.rows()) = f;
        out.bottomRows(f.rows()) = b;
        break;
      case Merge::sum:
        out = f + b;
        break;
      case Merge::mean:
        out = S(0.5) * (f + b);
        break;
    }
  }

  /// The part of a merged output's gradient that belongs to direction d.
  MatX<S> split(const MatX<S>& grad, Index d) const {
    if (directions() == 1) return grad;
    switch (options_.merge) {
      case Merge::concat:
        return d == 0 ? MatX<S>(grad.topRows(hidden_size())) : MatX<S>(grad.bottomRows(hidden_size()));
      case Merge::sum:
        return grad;
      case Merge::mean:
        return S(0.5) * grad;
    }
    return grad;
  }

  StackOptions options_;
  Dropout<S> dropout_;
  std::vector<Layer> layers_;
};

/// One bidirectional layer (a Stack with one layer and two directions).
template <class Cell>
class Bidirectional : public Stack<Cell> {
 public:
  Bidirectional(Index input, Index hidden, Merge merge = Merge::concat, Rng& rng = global_rng())
      : Stack<Cell>(input, hidden, StackOptions{1, true, merge}, rng) {}
};

}  // namespace recur
