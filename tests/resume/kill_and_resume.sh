#!/usr/bin/env bash
# Kill-and-resume: a training run killed with SIGKILL at a random moment and resumed from its
# checkpoint must end with exactly the same model file as a run never interrupted (same seed
# and options, one thread).
# Usage: kill_and_resume.sh PROGRAM WORKDIR [program args...]; PROGRAM takes --save, --quiet,
# --checkpoint, --resume.
set -euo pipefail
program="$1"
work="$2"
shift 2
rm -rf "$work"
mkdir -p "$work"
cd "$work"

"$program" "$@" --quiet --save whole.model >whole.log 2>&1

# Kill at a random moment after the first checkpoint; retry with shorter delays if the run
# finished first (a fast machine), so that a kill really happens.
killed=0
for delay_ms in $((200 + RANDOM % 800)) $((RANDOM % 200)) 0; do
  rm -f ckpt ckpt.prev killed.model
  "$program" "$@" --quiet --checkpoint ckpt --save killed.model >killed.log 2>&1 &
  pid=$!
  while [ ! -e ckpt ] && kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
  sleep "$(printf '0.%03d' "$delay_ms")"
  if kill -KILL "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    if [ ! -e killed.model ]; then
      killed=1
      break
    fi
  else
    wait "$pid" || true
  fi
done
if [ "$killed" -ne 1 ]; then
  echo "the run always finished before it could be killed: make it longer" >&2
  exit 1
fi
echo "killed after $delay_ms ms past the first checkpoint"

"$program" "$@" --quiet --resume ckpt --save resumed.model >resumed.log 2>&1 || {
  cat resumed.log >&2
  exit 1
}
if cmp -s whole.model resumed.model; then
  echo "resumed run equals the uninterrupted one, bit for bit ($(stat -c %s whole.model) bytes)"
else
  echo "the resumed model differs from the uninterrupted one" >&2
  exit 1
fi
