#!/usr/bin/env bash
# The README's first command: set up a clean clone and run the platform's main job on the embedded
# default (its own local nats-server, the offline `scripted` provider): `moe up --demo --exit`.
# --exit: stop when the demo ends (CI, the README); without it, in a terminal, the platform stays up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node dist/cli/moe.js up --demo --exit "$@"
