#!/usr/bin/env bash
# Installs what is missing, builds recur's tests (Release) and runs the whole ctest suite.
# Exits non-zero on any failure. Usage: scripts/test.sh [build-dir] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
source scripts/env.sh
build="${1:-build}"
shift || true
cmake -S . -B "$build" "${RELEASE_FLAGS[@]}" -DRECUR_WERROR=ON "$@" >/dev/null
cmake --build "$build" -j "$JOBS"
cd "$build"
ctest --output-on-failure -j "$JOBS" --timeout 900
