#!/usr/bin/env bash
# Installs what is missing, builds recur in Release and runs the bundled examples on their
# embedded defaults, writing their files under out/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
source scripts/env.sh
cmake -S . -B build "${RELEASE_FLAGS[@]}" >/dev/null
cmake --build build -j "$JOBS" --target recur-adding recur-forecast recur-sentiment recur-parse recur-tag recur-gradients recur-caption
mkdir -p out/forecast out/sentiment out/parse out/tag out/gradients
echo "== recur-adding: an LSTM learns the adding problem"
./build/examples/recur-adding "$@"
echo
echo "== recur-forecast: airline passengers, one step ahead (embedded series)"
./build/examples/recur-forecast --out out/forecast/airline.csv --plot out/forecast/airline.svg \
  --save out/forecast/airline.safetensors "$@"
echo
echo "== recur-forecast: airline passengers, 24 months at once (encoder-decoder)"
./build/examples/recur-forecast --horizon 24 --out out/forecast/airline-24.csv --plot out/forecast/airline-24.svg "$@"
echo
echo "== recur-forecast --load: the saved model forecasts again without training"
./build/examples/recur-forecast --load out/forecast/airline.safetensors --quiet | tail -n 3
echo
echo "== recur-sentiment: an RNTN on a generated treebank with negation, against a bag of words"
./build/examples/recur-sentiment train --save out/sentiment/generated.safetensors \
  --predictions out/sentiment/test-predictions.txt "$@"
echo
echo "== recur-sentiment predict: every phrase of a sentence"
./build/examples/recur-sentiment predict --model out/sentiment/generated.safetensors \
  "the plot is not very good but the acting is brilliant"
echo
echo "== recur-parse: a recursive-network parser on a generated treebank, against right-branching"
./build/examples/recur-parse train --save out/parse/generated.safetensors \
  --predictions out/parse/test-predictions.txt "$@"
echo
echo "== recur-parse predict: 'with' attaches to the verb for an instrument, to the noun otherwise"
./build/examples/recur-parse predict --model out/parse/generated.safetensors "the farmer opened the door with a key ."
./build/examples/recur-parse predict --model out/parse/generated.safetensors "the farmer saw the sailor with a hat ."
echo
echo "== recur-tag: a bidirectional LSTM tagger on generated sentences (ambiguous and made-up words)"
./build/examples/recur-tag train --save out/tag/generated.safetensors "$@"
echo
echo "== recur-tag predict: the same spelling, different tags"
./build/examples/recur-tag predict --model out/tag/generated.safetensors "the old man can saw the new saws fast ."
echo
echo "== recur-caption: digit images in, their names out one character at a time (generated images)"
./build/examples/recur-caption "$@"
echo
echo "== recur-gradients: how far back the gradient reaches, per cell (short run: lengths 10, 50, 100)"
./build/examples/recur-gradients --lengths 10,50,100 --repeats 1 --csv out/gradients/gradients.csv \
  --svg out/gradients/gradients.svg "$@"
