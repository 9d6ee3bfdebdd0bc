#!/usr/bin/env bash
# Installs what is missing, builds recur in Release and runs the bundled examples on their
# embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
source scripts/env.sh
cmake -S . -B build "${RELEASE_FLAGS[@]}" >/dev/null
cmake --build build -j "$JOBS" --target recur-adding
echo "== recur-adding: an LSTM learns the adding problem"
./build/examples/recur-adding "$@"
