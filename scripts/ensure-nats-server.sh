#!/usr/bin/env bash
# Makes sure a nats-server >= 2.9 is on this machine: the embedded default of `moe up` and the
# integration tests (test/harness) start one. Safe to run any number of times.
#
# Looks in this order: $NATS_SERVER_BIN, `nats-server` on PATH, then $MOE_NATS_SEARCH_PATHS
# (default: /usr/sbin/nats-server /usr/local/bin/nats-server — where Debian's package and most
# manual installs put it). The first one found is the answer: one line on stdout, exit 0:
#
#   nats-server /usr/sbin/nats-server v2.9.10
#
# None found: as root on a machine with apt-get (Debian, Ubuntu), runs `apt-get update` once and
# `apt-get install -y nats-server` non-interactively, checks the result, prints the line above.
# Not root, or no apt-get: prints the exact command to run and exits 1. Nothing newer than 2.9 is
# needed, and an older server is refused (MOE relies on JetStream features of 2.9).
#
# Environment:
#   NATS_SERVER_BIN         use exactly this binary; an error (no fallback) if it is not executable
#   MOE_NATS_PROBE_ONLY=1   change nothing: when none is found, say what would be installed, exit 2
#   MOE_NATS_SEARCH_PATHS   fixed locations tried after PATH (space-separated; "" tries none), so the
#                           not-found branch can be tested without removing the system binary:
#                             env -u NATS_SERVER_BIN PATH=/nonexistent MOE_NATS_SEARCH_PATHS= \
#                               MOE_NATS_PROBE_ONLY=1 /bin/bash scripts/ensure-nats-server.sh
#
# Exit codes: 0 available; 1 missing or unusable and not installable here (what to do is printed
# on stderr); 2 missing, MOE_NATS_PROBE_ONLY=1 (the plan is printed on stderr).
#
# Only bash builtins plus the binaries it inspects (nats-server, apt-get, apt-cache, dpkg) are used,
# so it runs with any PATH.
set -euo pipefail

readonly MIN_MAJOR=2 MIN_MINOR=9
readonly APT_LOCK_WAIT=(-o DPkg::Lock::Timeout=300)
INSTALL_CMD='apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nats-server'
readonly INSTALL_CMD

say() { printf 'ensure-nats-server: %s\n' "$*" >&2; }

# version_of BIN: prints "vMAJOR.MINOR.PATCH" of a nats-server binary; fails if it prints none.
version_of() {
  local out
  out=$("$1" --version 2>&1) || return 1
  [[ $out =~ v?([0-9]+)\.([0-9]+)\.([0-9]+) ]] || return 1
  printf 'v%s.%s.%s' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
}

# new_enough "vX.Y.Z" (or a Debian version "X.Y.Z-r"): true when >= MIN_MAJOR.MIN_MINOR.
new_enough() {
  [[ $1 =~ ^v?([0-9]+:)?([0-9]+)\.([0-9]+) ]] || return 1
  local major=${BASH_REMATCH[2]} minor=${BASH_REMATCH[3]}
  ((major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR)))
}

# find_server: prints the path of the first nats-server found; fails if none.
find_server() {
  if [[ -n ${NATS_SERVER_BIN:-} ]]; then
    printf '%s' "$NATS_SERVER_BIN"
    return 0
  fi
  local candidate
  if candidate=$(command -v nats-server 2>/dev/null) && [[ -x $candidate ]]; then
    printf '%s' "$candidate"
    return 0
  fi
  local paths=${MOE_NATS_SEARCH_PATHS-/usr/sbin/nats-server /usr/local/bin/nats-server}
  for candidate in $paths; do
    if [[ -f $candidate && -x $candidate ]]; then
      printf '%s' "$candidate"
      return 0
    fi
  done
  return 1
}

# report PATH: checks the binary and prints the happy-path line; exits 1 if it is unusable.
report() {
  local bin=$1 version
  if [[ ! -f $bin || ! -x $bin ]]; then
    say "$bin is not an executable file${NATS_SERVER_BIN:+ (from NATS_SERVER_BIN)}"
    exit 1
  fi
  if ! version=$(version_of "$bin"); then
    say "$bin --version printed no version: is it a nats-server?"
    exit 1
  fi
  if ! new_enough "$version"; then
    say "$bin is $version; MOE-Agents needs nats-server >= $MIN_MAJOR.$MIN_MINOR"
    say "install a newer one and put it first on PATH, or point NATS_SERVER_BIN at it"
    exit 1
  fi
  printf 'nats-server %s %s\n' "$bin" "$version"
}

# apt_candidate: prints the version apt would install ("" when apt knows no such package).
apt_candidate() {
  local line
  while IFS= read -r line; do
    if [[ $line =~ ^[[:space:]]*Candidate:[[:space:]]*(.+)$ ]]; then
      [[ ${BASH_REMATCH[1]} == '(none)' ]] || printf '%s' "${BASH_REMATCH[1]}"
      return 0
    fi
  done < <(apt-cache policy nats-server 2>/dev/null || true)
}

# package_binary: the nats-server binary the Debian package installed, wherever PATH points.
package_binary() {
  local line
  while IFS= read -r line; do
    if [[ $line == */nats-server && -f $line && -x $line ]]; then
      printf '%s' "$line"
      return 0
    fi
  done < <(dpkg -L nats-server 2>/dev/null || true)
  return 1
}

if bin=$(find_server); then
  report "$bin"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  searched=${MOE_NATS_SEARCH_PATHS-/usr/sbin/nats-server /usr/local/bin/nats-server}
  say "nats-server not found (looked at \$NATS_SERVER_BIN, PATH${searched:+, $searched}) and there is no apt-get here."
  say "install nats-server >= $MIN_MAJOR.$MIN_MINOR with your package manager (macOS: brew install nats-server),"
  say "then put it on PATH or run: export NATS_SERVER_BIN=/path/to/nats-server"
  exit 1
fi

if ((EUID != 0)); then
  say "nats-server not found and installing it needs root. Run:"
  say "  sudo sh -c '$INSTALL_CMD'"
  exit 1
fi

if [[ ${MOE_NATS_PROBE_ONLY:-} == 1 ]]; then
  candidate=$(apt_candidate)
  say "nats-server not found; would run (as root): $INSTALL_CMD"
  say "apt candidate before update: ${candidate:-none in the current package lists}"
  exit 2
fi

say "nats-server not found; installing it with apt-get (Debian package nats-server)"
DEBIAN_FRONTEND=noninteractive apt-get "${APT_LOCK_WAIT[@]}" -qq update >&2
candidate=$(apt_candidate)
if [[ -z $candidate ]]; then
  say "apt knows no package nats-server (Debian >= 12 and recent Ubuntu have it)."
  say "install nats-server >= $MIN_MAJOR.$MIN_MINOR another way and set NATS_SERVER_BIN to it"
  exit 1
fi
if ! new_enough "$candidate"; then
  say "apt would install nats-server $candidate; MOE-Agents needs >= $MIN_MAJOR.$MIN_MINOR."
  say "install a newer one another way and set NATS_SERVER_BIN to it"
  exit 1
fi
DEBIAN_FRONTEND=noninteractive apt-get "${APT_LOCK_WAIT[@]}" -qq install -y --no-install-recommends nats-server >&2

if ! bin=$(find_server) && ! bin=$(package_binary); then
  say "apt-get ran but no nats-server binary can be found (dpkg -L nats-server lists none)"
  exit 1
fi
if [[ -d /run/systemd/system ]]; then
  # Debian's package also enables nats-server.service: 127.0.0.1:4222 from /etc/nats-server.conf,
  # which has no JetStream. Say so, since a server on 4222 without JetStream is not usable by MOE.
  say "note: the package started nats-server.service on 127.0.0.1:4222 WITHOUT JetStream;"
  say "enable it there (a 'jetstream { store_dir: ... }' block writable by user nats) or stop that service"
fi
report "$bin"
