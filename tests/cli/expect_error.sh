#!/usr/bin/env bash
# A command-line tool given bad input must exit with the expected code and say what is wrong.
# Usage: expect_error.sh CODE PATTERN PROGRAM [args...]  (PATTERN: a grep -E pattern for stderr)
set -uo pipefail
code="$1"
pattern="$2"
shift 2
stderr=$("$@" 2>&1 >/dev/null)
actual=$?
if [ "$actual" -ne "$code" ]; then
  echo "exit code $actual, expected $code; stderr: $stderr"
  exit 1
fi
if ! grep -qE -e "$pattern" <<<"$stderr"; then
  echo "stderr does not match '$pattern': $stderr"
  exit 1
fi
echo "exit $actual: $stderr"
