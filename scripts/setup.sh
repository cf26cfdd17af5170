#!/usr/bin/env bash
# Prepares a clean clone: nats-server (Debian package), build tools for better-sqlite3, chromium
# for the console browser tests (ensure-chromium.sh), npm
# dependencies (npm ci when node_modules is missing or older than package-lock.json), and a build
# (skipped with MOE_SETUP_SKIP_BUILD=1: scripts/test.sh's `npm run verify` builds once itself).
# Run by scripts/demo.sh and scripts/test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then
  echo "setup: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

bash scripts/ensure-nats-server.sh
bash scripts/ensure-build-tools.sh
bash scripts/ensure-chromium.sh

# Without network access to nodejs.org, node-gyp needs Node's own headers from this machine.
if [[ -z ${npm_config_nodedir:-} ]]; then
  prefix=$(dirname "$(dirname "$(node -p 'process.execPath')")")
  for dir in "$prefix" /usr /usr/local; do
    if [[ -f $dir/include/node/node.h ]]; then
      export npm_config_nodedir=$dir
      break
    fi
  done
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies (npm ci)…"
  npm ci --no-audit --no-fund --loglevel=error
fi
if [[ ${MOE_SETUP_SKIP_BUILD:-} == 1 ]]; then
  echo "setup: build skipped (MOE_SETUP_SKIP_BUILD=1; the caller builds)"
else
  echo "setup: building (tsc)…"
  npm run build --silent
fi
