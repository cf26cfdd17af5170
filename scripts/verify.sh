#!/usr/bin/env bash
# `npm run verify` (run by scripts/test.sh, so by CI): the format check, lint, typecheck and build
# side by side, then the whole test suite (vitest) when all four passed. Each of the four is one
# single-threaded process: one after another they kept one core of two busy for ~2.5 CPU-min
# before the first test started. Each one's output is printed in that order once all have ended,
# with a line per failure; the exit status is the first failure's, else vitest's.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/moe-verify-XXXXXX")
trap 'rm -rf "$out"' EXIT

names=(format:check lint typecheck build)
pids=()
for name in "${names[@]}"; do
  npm run --silent "$name" >"$out/$name.log" 2>&1 &
  pids+=("$!")
done
status=0
for i in "${!names[@]}"; do
  wait "${pids[$i]}"
  code=$?
  cat "$out/${names[$i]}.log"
  if ((code != 0)); then
    echo "verify: npm run ${names[$i]} failed (exit $code)" >&2
    ((status == 0)) && status=$code
  fi
done
((status == 0)) || exit "$status"
exec npx vitest run
