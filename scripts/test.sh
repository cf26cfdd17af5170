#!/usr/bin/env bash
# The README's second command (and what CI runs): set up a clean clone, then `npm run verify`
# (scripts/verify.sh: format check, lint, typecheck and build side by side, then the whole test
# suite against real nats-server processes).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# `npm run verify` builds: setup's own build would be the same work twice.
MOE_SETUP_SKIP_BUILD=1 bash scripts/setup.sh
# the docs' Python creds client, run by one test (see the script)
bash scripts/ensure-python-crypto.sh
status=0
MOE_TEST_REPORT=.moe-test-report.json npm run verify || status=$?
# The ten slowest test files and one plain closing line with the counts (vitest's JSON report),
# then vitest's exit status.
if [[ -f .moe-test-report.json ]]; then
  node -e 'const r = require("./.moe-test-report.json");
    const slow = r.testResults.map((f) => [f.endTime - f.startTime, f.name.replace(process.cwd() + "/", "")])
      .sort((a, b) => b[0] - a[0]).slice(0, 10);
    console.log("slowest test files:\n" + slow.map(([ms, n]) => `  ${(ms / 1000).toFixed(1)} s  ${n}`).join("\n"));
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);'
  rm -f .moe-test-report.json
fi
exit "$status"
