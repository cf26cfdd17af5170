#!/usr/bin/env bash
# The README's first command: set up a clean clone and run the platform's main job on the embedded
# default (a local nats-server when none answers, the offline `scripted` provider): `moe up --demo`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node dist/cli/moe.js up --demo "$@"
