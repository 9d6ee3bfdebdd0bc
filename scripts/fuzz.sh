#!/usr/bin/env bash
# Builds recur's libFuzzer targets (clang++, -fsanitize=fuzzer,address,undefined) and runs each
# for SECONDS (default 60), all at once (each gets a share of the cores), starting from the
# seed corpora in tests/fuzz/corpus/.
# A crash stops the script with the input saved as build-fuzz/crash-<target>-*: commit it under
# tests/fuzz/regressions/<target>/ with the fix, and fuzz_regressions replays it in every build.
# Usage: scripts/fuzz.sh [SECONDS] [target...]   (targets: csv tree word_vectors safetensors)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh clang libclang-rt-14-dev
source scripts/env.sh
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(csv tree word_vectors safetensors)
out=build-fuzz
mkdir -p "$out"
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GLIBCXX_ASSERTIONS
  -Iinclude -I/usr/include/eigen3)
launcher=()
command -v ccache >/dev/null && launcher=(ccache)

build() {
  "${launcher[@]}" clang++ "${flags[@]}" "tests/fuzz/fuzz_$1.cpp" -o "$out/fuzz_$1"
}
run() {
  local t="$1" log="$out/fuzz_$1.log"
  mkdir -p "$out/corpus/$t"
  if ! "$out/fuzz_$t" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 -timeout=10 \
      -artifact_prefix="$out/crash-$t-" "$out/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz_$t FAILED: the input is $out/crash-$t-*" >&2
    return 1
  fi
  # One summary line: executions, speed, coverage (edges), corpus size.
  echo "fuzz_$t: $(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}') runs," \
    "$(grep -m1 'stat::average_exec_per_sec' "$log" | awk '{print $2}')/s," \
    "$(grep -o 'cov: [0-9]*' "$log" | tail -n1) edges," \
    "$(grep -o 'corp: [0-9]*' "$log" | tail -n1 | awk '{print $2}') corpus inputs"
}

# Build two at a time (two cores), then run them all at once.
pids=()
for t in "${targets[@]}"; do
  build "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$JOBS" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
status=0
pids=()
for t in "${targets[@]}"; do
  run "$t" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
