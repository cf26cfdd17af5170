#!/usr/bin/env bash
# Makes sure the console's browser tests (test/integration/console.*.test.ts, puppeteer-core) have
# a Chromium to drive: Debian's `chromium` package (puppeteer's own browser download cannot work
# offline). Present (MOE_CHROMIUM, or chromium / chromium-browser / google-chrome on PATH): one
# line, exit 0. Missing, as root with apt-get: installs it. Otherwise prints the command to run and
# exits 0 (the browser tests then fail saying Chromium is missing); the platform never needs it.
set -euo pipefail

say() { printf 'ensure-chromium: %s\n' "$*" >&2; }
find_chromium() {
  if [[ -n ${MOE_CHROMIUM:-} && -x ${MOE_CHROMIUM} ]]; then echo "$MOE_CHROMIUM"; return 0; fi
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  return 1
}

if path=$(find_chromium); then
  echo "chromium: $path"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ((EUID != 0)); then
  say "no Chromium found; the console browser tests need one."
  say "install it with: sudo apt-get install -y chromium  (or set MOE_CHROMIUM to a Chromium binary)"
  exit 0
fi
say "installing chromium with apt-get"
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq update >&2
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq install -y --no-install-recommends chromium >&2
path=$(find_chromium) || { say "still missing after apt-get install"; exit 1; }
echo "chromium: installed at $path"
