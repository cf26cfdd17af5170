#!/usr/bin/env bash
# Makes sure the test suite's non-TypeScript client (examples/nats_creds_client.py, run by
# test/integration/natsCredentials.test.ts) can sign its NATS nonce: it needs Python's
# `cryptography` package (Debian: python3-cryptography). Present: one line, exit 0. Missing, as
# root with apt-get: installs it. Otherwise prints the command to run and exits 0 anyway (that one
# test is then skipped and says why); the platform itself never needs it.
set -euo pipefail

say() { printf 'ensure-python-crypto: %s\n' "$*" >&2; }
have() { python3 -c 'import cryptography' >/dev/null 2>&1; }

if have; then
  echo "python3 cryptography: $(python3 -c 'import cryptography; print(cryptography.__version__)')"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ((EUID != 0)); then
  say "python3's cryptography package is missing; the Python creds-client test will be skipped."
  say "install it with: sudo apt-get install -y python3-cryptography  (or: pip install cryptography)"
  exit 0
fi
say "installing python3-cryptography with apt-get"
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq update >&2
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq install -y --no-install-recommends python3-cryptography >&2
have || { say "still missing after apt-get install"; exit 1; }
echo "python3 cryptography: installed"
