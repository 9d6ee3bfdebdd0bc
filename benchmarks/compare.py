#!/usr/bin/python3
"""Merges recur_bench's JSON output and the PyTorch peer's CSV into the README's tables.

Usage: compare.py RESULTS_DIR THREADS...
Reads RESULTS_DIR/recur-<N>.json and RESULTS_DIR/torch-<N>.csv for each thread count N and
prints markdown: sequence throughput (recur GFLOP/s, PyTorch GFLOP/s, ratio, target),
recur's largest-shape GFLOP/s as a fraction of Eigen's sgemm in the same binary, and streaming
latency (ns per step, through a StreamingCell and through the cell's own step()) next to
PyTorch, the RTNeural figures of the benchmark issue (streaming targets) and the
RTNeural-style reference steps measured in the same run (benchmarks/rtneural_style.hpp; in
brackets: the reference's time over recur's, above 1 when recur is faster).
"""
import csv
import json
import os
import sys

TORCH_NAME = {"elman": "rnn", "lstm": "lstm", "gru": "gru"}
TARGETS = {  # (T, B, I, H): (fwd, train) minimum ratios recur / PyTorch
    (100, 1, 64, 128): (4.0, 5.0),
    (100, 32, 128, 256): (1.2, 1.3),
    (50, 64, 256, 512): (1.0, 1.1),
}
# RTNeural, Eigen backend, compile-time layers, g++ -O3 -march=native, on this machine
# (figures given in the benchmark issue), ns per step of cell + Dense head.
RTNEURAL = {"lstm": {8: 108, 16: 82, 32: 137, 64: 567, 128: 1996},
            "gru": {8: 76, 16: 86, 32: 127, 64: 420, 128: 1509}}
RTNEURAL_DYNAMIC_LSTM = {8: 155, 16: 98, 32: 164, 64: 623, 128: 2129}


def parse_name(name):
    parts = name.split("/")
    fields = {}
    for p in parts[2:]:
        if ":" in p:
            k, v = p.split(":")
            fields[k] = int(v)
    return parts[0], parts[1], fields


def load_recur(path):
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        name = b["name"].replace("/real_time", "")
        out[name] = b
    return out, data.get("context", {})


def load_torch(path):
    rows = {}
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for r in csv.DictReader(f):
            key = (r["cell"], int(r["T"]), int(r["B"]), int(r["I"]), int(r["H"]), r["mode"])
            rows[key] = r
    return rows


def ns(b):
    unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    return b["real_time"] * unit


def main():
    results, threads = sys.argv[1], sys.argv[2:]
    for n in threads:
        recur, ctx = load_recur(os.path.join(results, f"recur-{n}.json"))
        torch = load_torch(os.path.join(results, f"torch-{n}.csv"))
        print(f"\n### {n} thread{'s' if n != '1' else ''}\n")
        print("| case | recur GFLOP/s | PyTorch GFLOP/s | ratio | target |")
        print("|---|---:|---:|---:|---:|")
        misses = 0
        for name, b in recur.items():
            cell, mode, f = parse_name(name)
            if mode not in ("fwd", "fwd_workspace", "train") or cell not in TORCH_NAME:
                continue
            # fwd_workspace: the same inference with its buffers kept across calls, against PyTorch's fwd
            torch_mode = "train" if mode == "train" else "fwd"
            shape = (f["T"], f["B"], f["I"], f["H"])
            g = b.get("GFLOPS", 0)  # kIsIterationInvariantRate: already GFLOP/s
            t = torch.get((TORCH_NAME[cell],) + shape + (torch_mode,))
            tg = float(t["gflops"]) if t else None
            target = TARGETS[shape][0 if torch_mode == "fwd" else 1]
            ratio = g / tg if tg else None
            ok = "" if ratio is None or ratio >= target else " (missed)"
            misses += ratio is not None and ratio < target
            print(f"| {name} | {g:.1f} | {tg if tg is not None else '-'} | "
                  f"{f'{ratio:.2f}x' if ratio else '-'}{ok} | {target}x |")
        sgemm = recur.get("eigen_sgemm/N:1024")
        if sgemm:
            s = sgemm["GFLOPS"]
            print(f"\nEigen sgemm 1024x1024 in the same binary: {s:.1f} GFLOP/s. Largest shape as a fraction of it:")
            for name, b in recur.items():
                if "T:50/B:64/I:256/H:512" in name:
                    g = b["GFLOPS"]
                    print(f"- {name}: {100 * g / s:.0f}% (target >= 85%)")
        print("\n| streaming, ns per step (cell + Dense head, I = 1) | H=8 | H=16 | H=32 | H=64 | H=128 |")
        print("|---|---:|---:|---:|---:|---:|")
        stream_misses = 0
        for cell in ("elman", "lstm", "gru"):
            for suffix, label in (("_fixed", "compile-time"), ("", "run-time")):
                row = [recur.get(f"{cell}{suffix}/stream/I:1/H:{h}") for h in (8, 16, 32, 64, 128)]
                target = RTNEURAL.get(cell) if suffix else (RTNEURAL_DYNAMIC_LSTM if cell == "lstm" else None)
                if all(row):
                    cells = []
                    for h, b in zip((8, 16, 32, 64, 128), row):
                        missed = target is not None and ns(b) > target[h]
                        stream_misses += missed
                        cells.append(f"{ns(b):.0f}" + (" (missed)" if missed else ""))
                    print(f"| recur {cell}, {label}, StreamingCell | " + " | ".join(cells) + " |")
                plain = [recur.get(f"{cell}{suffix}/stream_plain/I:1/H:{h}") for h in (8, 16, 32, 64, 128)]
                if all(plain):
                    print(f"| recur {cell}, {label}, the cell's own step() | " + " | ".join(f"{ns(b):.0f}" for b in plain) + " |")
                ref_row = [recur.get(f"rtneural_style_{cell}{suffix}/stream/I:1/H:{h}") for h in (8, 16, 32, 64, 128)]
                if all(row) and all(ref_row):
                    print(f"| RTNeural-style {cell}, {label}, same run | "
                          + " | ".join(f"{ns(r):.0f} ({ns(r) / ns(b):.2f}x)" for r, b in zip(ref_row, row)) + " |")
            ref = RTNEURAL.get(cell)
            if ref:
                print(f"| RTNeural {cell}, compile-time (target) | " + " | ".join(str(ref[h]) for h in (8, 16, 32, 64, 128)) + " |")
            if cell == "lstm":
                print("| RTNeural lstm, run-time (target) | " + " | ".join(str(RTNEURAL_DYNAMIC_LSTM[h]) for h in (8, 16, 32, 64, 128)) + " |")
            trow = [torch.get((TORCH_NAME[cell], 1, 1, 1, h, "stream")) for h in (8, 16, 32, 64, 128)]
            if all(trow):
                print(f"| PyTorch {TORCH_NAME[cell]}Cell from Python | " + " | ".join(f"{float(r['seconds_per_iter']) * 1e9:.0f}" for r in trow) + " |")
        print(f"\nmissed throughput targets at {n} thread(s): {misses}; missed streaming targets: {stream_misses}")


if __name__ == "__main__":
    main()
