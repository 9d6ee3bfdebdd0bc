#!/usr/bin/env bash
# Builds recur_bench (Release, -O3 -march=native), runs it and PyTorch's peer script on the same
# shapes at 1 and 2 threads, and prints the comparison table (also saved in out/bench/).
# Usage: scripts/bench.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh python3 python3-torch libopenblas0-pthread
source scripts/env.sh
quick=""
min_time=1.0
if [ "${1:-}" = "--quick" ]; then quick="--quick"; min_time=0.3; fi
cmake -S . -B build "${RELEASE_FLAGS[@]}" -DRECUR_BUILD_BENCHMARKS=ON >/dev/null
cmake --build build -j "$JOBS" --target recur_bench
out=out/bench
mkdir -p "$out"
for n in 1 2; do
  echo "== recur_bench, $n thread(s)"
  ./build/benchmarks/recur_bench --threads "$n" --benchmark_min_time="$min_time" \
    --benchmark_out="$out/recur-$n.json" --benchmark_out_format=json
  echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), $n thread(s)"
  /usr/bin/python3 benchmarks/torch_rnn_bench.py --threads "$n" $quick | tee "$out/torch-$n.csv"
done
{
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores of $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)."
  /usr/bin/python3 benchmarks/compare.py "$out" 1 2
} | tee "$out/table.md"
