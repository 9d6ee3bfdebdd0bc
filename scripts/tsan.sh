#!/usr/bin/env bash
# ThreadSanitizer build (clang++) of everything in recur that runs threads: two threads
# streaming through one shared const model (recur_load_test, 10^6 steps each), and the
# sharded RNTN training and its thread-count invariance (recur_tests "[threads]").
# Fails on any reported race. Usage: scripts/tsan.sh [steps per thread]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh clang libclang-rt-14-dev
source scripts/env.sh
steps="${1:-1000000}"
cmake -S . -B build-tsan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DRECUR_SANITIZE_THREAD=ON -DRECUR_WERROR=ON \
  -DRECUR_BUILD_BENCHMARKS=OFF -DRECUR_BUILD_EXAMPLES=OFF -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build build-tsan -j "$JOBS" --target recur_load_test recur_tests
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
./build-tsan/tests/recur_load_test "$steps" 2
./build-tsan/tests/recur_tests "[threads]"
echo "ThreadSanitizer: no data race reported"
