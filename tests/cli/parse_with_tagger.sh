#!/usr/bin/env bash
# recur-parse --tagger: trains a tagger and a parser on their generated data, then checks that
# predict with --tagger parses a sentence exactly as if the user had typed the tags recur-tag
# predicts for it (the leaves carry those tags), that recur-tag can read back the model it saved
# (its training dropout is part of the description), that train reports the tagger's accuracy
# on the test tags, and that a parser model given as a tagger is refused with exit code 2.
# Usage: parse_with_tagger.sh RECUR_PARSE RECUR_TAG WORK_DIR
set -euo pipefail
parse="$1"
tag="$2"
dir="$3"
mkdir -p "$dir"
"$tag" train --epochs 2 --quiet --save "$dir/tagger.safetensors" >/dev/null
"$parse" train --epochs 1 --quiet --save "$dir/parser.safetensors" --tagger "$dir/tagger.safetensors" >"$dir/train.log"
grep -E "tags of the dev and test sentences: predicted by .* \([0-9.]+ % of the test tokens' gold tags\)" \
  "$dir/train.log" || { echo "train did not report the predicted tags"; cat "$dir/train.log"; exit 1; }

# Each sentence: the parse with --tagger must equal the parse of recur-tag's tags typed in, and
# its leaves "(TAG word)" must carry those tags. Ambiguous and made-up words make the tagger
# disagree with the parser's own guess (a word's usual training tag, or its shape) somewhere,
# which proves --tagger is used: "fish" after "can", "tremlous", "light" before a noun.
differs=0
for sentence in "they can fish ." "Blorvix tremlous glimmered quickly ." "the light watches saw the light ."; do
  tagged=$("$tag" predict --model "$dir/tagger.safetensors" "$sentence")
  with_tagger=$("$parse" predict --model "$dir/parser.safetensors" --tagger "$dir/tagger.safetensors" "$sentence")
  typed=$("$parse" predict --model "$dir/parser.safetensors" "$tagged")
  guessed=$("$parse" predict --model "$dir/parser.safetensors" "$sentence")
  leaves_of() { grep -oE "\([^() ]+ [^() ]+\)" <<<"$1" | sed -E 's/^\(([^ ]+) (.*)\)$/\2\/\1/' | paste -sd' '; }
  echo "recur-tag: $tagged; parser's guess: $(leaves_of "$guessed")"
  if [ "$with_tagger" != "$typed" ]; then
    echo "the parse with --tagger differs from the parse of recur-tag's tags typed in:"
    echo "$with_tagger"
    echo "$typed"
    exit 1
  fi
  if [ "$(leaves_of "$with_tagger")" != "$tagged" ]; then
    echo "the parse's leaves ($(leaves_of "$with_tagger")) do not carry recur-tag's tags ($tagged)"
    exit 1
  fi
  [ "$(leaves_of "$guessed")" != "$tagged" ] && differs=$((differs + 1))
done
if [ "$differs" -eq 0 ]; then
  echo "the tagger agreed with the parser's guesses on every sentence: nothing shows that --tagger is used"
  exit 1
fi

set +e
stderr=$("$parse" predict --model "$dir/parser.safetensors" --tagger "$dir/parser.safetensors" "they can fish ." 2>&1)
code=$?
set -e
if [ "$code" -ne 2 ] || ! grep -q "not a recur-tag model" <<<"$stderr"; then
  echo "a parser model given as --tagger: exit $code, expected 2 and 'not a recur-tag model': $stderr"
  exit 1
fi
echo "ok"
