#!/usr/bin/env bash
# The README's second command (and what CI runs): set up a clean clone, then `npm run verify`
# (format check, lint, typecheck, the whole test suite against real nats-server processes).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# the docs' Python creds client, run by one test (see the script)
bash scripts/ensure-python-crypto.sh
status=0
MOE_TEST_REPORT=.moe-test-report.json npm run verify || status=$?
# One plain closing line with the counts (vitest's JSON report), then vitest's exit status.
if [[ -f .moe-test-report.json ]]; then
  node -e 'const r = require("./.moe-test-report.json");
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);'
  rm -f .moe-test-report.json
fi
exit "$status"
