#!/usr/bin/python3
"""PyTorch's side of recur's benchmark: CPU recurrent layers on the shapes recur_bench measures.

Started as a copy of ../shared/peers/torch_rnn_bench.py (same cases, same FLOP convention),
with a streaming case added: one step of nn.LSTMCell / nn.GRUCell / nn.RNNCell at B = 1,
I = 1, followed by nn.Linear(H, 1), under torch.no_grad(), state carried from step to step.

Prints CSV rows: cell,T,B,I,H,threads,mode,seconds_per_iter,gflops
  mode = fwd    inference over the sequence, no autograd
         train  forward + backward over the whole sequence (input and weight grads)
         stream one step (T = 1); seconds_per_iter is the time per step, gflops is 0
Run: /usr/bin/python3 benchmarks/torch_rnn_bench.py [--threads N] [--quick]
Needs Debian's python3-torch (apt-get install python3-torch libopenblas0-pthread).
"""
import argparse
import time

import torch

GATES = {"rnn": 1, "gru": 3, "lstm": 4}
CASES = [  # T, B, I, H
    (100, 1, 64, 128),
    (100, 32, 128, 256),
    (50, 64, 256, 512),
]
STREAM_H = [8, 16, 32, 64, 128]


def make(cell, I, H):
    if cell == "rnn":
        return torch.nn.RNN(I, H, nonlinearity="tanh")
    if cell == "gru":
        return torch.nn.GRU(I, H)
    return torch.nn.LSTM(I, H)


def make_cell(cell, I, H):
    if cell == "rnn":
        return torch.nn.RNNCell(I, H, nonlinearity="tanh")
    if cell == "gru":
        return torch.nn.GRUCell(I, H)
    return torch.nn.LSTMCell(I, H)


def timeit(fn, min_time):
    fn()  # warm-up
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        el = time.perf_counter() - start
        if el >= min_time and n >= 3:
            return el / n


def stream_seconds(cell, H, min_time):
    """Seconds per streaming step: cell + Linear head, output fed back as the next input."""
    torch.manual_seed(0)
    c = make_cell(cell, 1, H)
    head = torch.nn.Linear(H, 1)
    x = torch.full((1, 1), 0.1)
    state = [torch.zeros(1, H), torch.zeros(1, H)] if cell == "lstm" else [torch.zeros(1, H)]
    steps = 1000

    def run():
        nonlocal x, state
        with torch.no_grad():
            for _ in range(steps):
                if cell == "lstm":
                    state = list(c(x, (state[0], state[1])))
                else:
                    state = [c(x, state[0])]
                x = head(state[0]) * 0.5 + 0.1

    return timeit(run, min_time) / steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    min_time = 0.3 if a.quick else 1.0
    print("cell,T,B,I,H,threads,mode,seconds_per_iter,gflops")
    for cell in ("rnn", "lstm", "gru"):
        for T, B, I, H in CASES:
            torch.manual_seed(0)
            m = make(cell, I, H)
            x = torch.randn(T, B, I)
            flop_fwd = 2.0 * GATES[cell] * H * (I + H) * B * T
            with torch.no_grad():
                s = timeit(lambda: m(x), min_time)
            print(f"{cell},{T},{B},{I},{H},{a.threads},fwd,{s:.6e},{flop_fwd/s/1e9:.2f}", flush=True)
            xg = x.clone().requires_grad_(True)

            def step():
                m.zero_grad(set_to_none=True)
                out, _ = m(xg)
                out.sum().backward()

            s = timeit(step, min_time)
            print(f"{cell},{T},{B},{I},{H},{a.threads},train,{s:.6e},{3*flop_fwd/s/1e9:.2f}", flush=True)
        for H in STREAM_H:
            s = stream_seconds(cell, H, min_time)
            print(f"{cell},1,1,1,{H},{a.threads},stream,{s:.6e},0", flush=True)


if __name__ == "__main__":
    main()
