#!/usr/bin/env bash
# Makes sure `npm ci` can compile better-sqlite3 (a native addon) from source. Its install script
# first tries to download a prebuilt binary; where that download is not reachable (a closed network
# that reaches only the npm registry and Debian's packages) it falls back to node-gyp, which needs
# python3, make and a C++ compiler (g++) — and Node's own headers. Safe to run any number of times.
#
# All present: one line on stdout, exit 0:
#
#   build tools: python3 3.11.7, make 4.3, g++ 12.2.0; node headers /usr
#
# Missing tools: as root with apt-get, installs `python3 make g++` (apt-get update once, then
# apt-get install -y, non-interactive), checks again, prints the line. Not root, or no apt-get:
# prints the exact command to run and exits 1.
#
# Node headers: node-gyp downloads them from nodejs.org unless npm's `nodedir` points at a local
# copy. When a local copy exists (Debian/NodeSource packages put it in /usr/include/node, the
# official tarballs and Docker images in <prefix>/include/node) but `nodedir` is not set, a warning
# says how to use it; that alone does not fail, since machines with open internet need no copy.
#
# Environment:
#   MOE_BUILD_TOOLS_PROBE_ONLY=1   change nothing: when tools are missing, say what would be
#                                  installed and exit 2
set -euo pipefail

readonly APT_PACKAGES='python3 make g++'
readonly APT_LOCK_WAIT=(-o DPkg::Lock::Timeout=300)
INSTALL_CMD="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $APT_PACKAGES"
readonly INSTALL_CMD

say() { printf 'ensure-build-tools: %s\n' "$*" >&2; }

# first_version CMD ARGS...: the first X.Y[.Z] in what the command prints, or fails.
first_version() {
  local out
  out=$("$@" 2>&1) || return 1
  [[ $out =~ ([0-9]+\.[0-9]+(\.[0-9]+)?) ]] || return 1
  printf '%s' "${BASH_REMATCH[1]}"
}

# check_tools: sets VERSIONS (the summary) and MISSING (tools not usable); fails if any missing.
check_tools() {
  MISSING=()
  VERSIONS=()
  local v
  # node-gyp's gyp needs Python >= 3.6 (node-gyp 10/11 ask for 3.8+; Debian 12 has 3.11).
  if command -v python3 >/dev/null 2>&1 &&
    python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)' >/dev/null 2>&1 &&
    v=$(first_version python3 --version); then
    VERSIONS+=("python3 $v")
  else
    MISSING+=(python3)
  fi
  if command -v make >/dev/null 2>&1 && v=$(first_version make --version); then
    VERSIONS+=("make $v")
  else
    MISSING+=(make)
  fi
  if command -v g++ >/dev/null 2>&1 && v=$(g++ -dumpfullversion -dumpversion 2>/dev/null); then
    VERSIONS+=("g++ $v")
  else
    MISSING+=(g++)
  fi
  ((${#MISSING[@]} == 0))
}

# node_headers: prints where node-gyp will find Node's headers ("dir (how)"), or fails.
node_headers() {
  local nodedir=${npm_config_nodedir:-}
  if [[ -z $nodedir ]] && command -v npm >/dev/null 2>&1; then
    nodedir=$(npm config get nodedir 2>/dev/null || true)
    [[ $nodedir == undefined || $nodedir == null ]] && nodedir=
  fi
  if [[ -n $nodedir && -f $nodedir/include/node/node.h ]]; then
    printf '%s' "$nodedir"
    return 0
  fi
  local node prefix
  node=$(command -v node 2>/dev/null) || return 1
  node=$(node -p 'process.execPath' 2>/dev/null) || return 1
  prefix=${node%/bin/node}
  if [[ -f $prefix/include/node/node.h ]]; then
    say "warning: Node's headers are in $prefix/include/node but npm's nodedir is not set, so node-gyp"
    say "will try to download them; on a closed network run: npm config set nodedir $prefix"
    say "(or export npm_config_nodedir=$prefix) before npm ci"
    printf '%s' "$prefix (not npm's nodedir)"
    return 0
  fi
  say "warning: no local copy of Node's headers; node-gyp will download them from nodejs.org"
  return 1
}

summary() {
  local headers joined
  headers=$(node_headers) || headers='none local (download)'
  joined=$(IFS=,; printf '%s' "${VERSIONS[*]}")
  printf 'build tools: %s; node headers %s\n' "${joined//,/, }" "$headers"
}

if check_tools; then
  summary
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  say "missing: ${MISSING[*]}, and there is no apt-get here."
  say "install python3 (>= 3.8), make and a C++ compiler with your package manager"
  say "(Fedora: sudo dnf install python3 make gcc-c++; macOS: xcode-select --install)"
  exit 1
fi

if ((EUID != 0)); then
  say "missing: ${MISSING[*]}; installing them needs root. Run:"
  say "  sudo sh -c '$INSTALL_CMD'"
  exit 1
fi

if [[ ${MOE_BUILD_TOOLS_PROBE_ONLY:-} == 1 ]]; then
  say "missing: ${MISSING[*]}; would run (as root): $INSTALL_CMD"
  exit 2
fi

say "missing: ${MISSING[*]}; installing $APT_PACKAGES with apt-get"
DEBIAN_FRONTEND=noninteractive apt-get "${APT_LOCK_WAIT[@]}" -qq update >&2
# shellcheck disable=SC2086 # APT_PACKAGES is a word list on purpose
DEBIAN_FRONTEND=noninteractive apt-get "${APT_LOCK_WAIT[@]}" -qq install -y --no-install-recommends $APT_PACKAGES >&2

if ! check_tools; then
  say "still missing after apt-get install: ${MISSING[*]}"
  exit 1
fi
summary
