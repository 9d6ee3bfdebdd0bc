#!/usr/bin/env bash
# clang-tidy (the committed .clang-tidy) over every header in include/: one translation unit
# that includes them all, plus the examples, which instantiate the templates (a template that
# is never instantiated is barely checked). Fails on any warning.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh clang-tidy
source scripts/env.sh
out=build-tidy
mkdir -p "$out"
(cd include && find recur -name '*.hpp' | sort | sed 's/.*/#include "&"/') >"$out/all_headers.cpp"
units=("$out/all_headers.cpp" examples/timeseries/forecast.cpp examples/sentiment/sentiment.cpp examples/demo/adding.cpp)
status=0
pids=()
for u in "${units[@]}"; do
  clang-tidy --quiet --warnings-as-errors='*' "$u" -- -std=c++17 -Iinclude -Iexamples -isystem /usr/include/eigen3 \
    >"$out/$(basename "$u").log" 2>&1 &
  pids+=($!)
  if [ ${#pids[@]} -ge "$JOBS" ]; then wait "${pids[0]}" || status=1; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
for u in "${units[@]}"; do grep -E "(warning|error):" "$out/$(basename "$u").log" || true; done
[ $status -eq 0 ] && echo "clang-tidy: clean over include/ (${#units[@]} translation units)"
exit $status
