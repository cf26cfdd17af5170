#!/usr/bin/env bash
# Checks the NATS configs of deploy/ against the nats-server on this machine:
#   1. `nats-server -t` on single.conf, cluster/n1..n3.conf and k8s/nats.conf (with the environment
#      variables each one expects);
#   2. boots the 3-node cluster of cluster/*.conf on shifted ports (client 14222-14224 by default,
#      so a server on 4222 is left alone) in a temporary directory, waits until all three agree on
#      a JetStream meta leader, and stops the three by PID.
# One line per check; exit 0 when all pass.
#
#   deploy/nats/verify.sh                 (MOE_NATS_PORT_OFFSET=10000 by default)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
deploy=$(cd "$here/.." && pwd)
bin=${NATS_SERVER_BIN:-$(command -v nats-server || echo /usr/sbin/nats-server)}
work=$(mktemp -d "${TMPDIR:-/tmp}/moe-nats-verify.XXXXXX")
export MOE_NATS_PORT_OFFSET=${MOE_NATS_PORT_OFFSET:-10000}
export MOE_NATS_CLUSTER_DIR=$work/cluster NATS_SERVER_BIN=$bin

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  "$here/cluster/local-cluster.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

printf 'using %s (%s)\n' "$bin" "$("$bin" --version 2>&1)"
# k8s/nats.conf includes ../nats-auth/nats-auth.conf (the Secret moe-nats-auth in the pod): lay it
# out the same way, with a real include from `moe creds init` when the CLI is built, else a
# placeholder that checks only nats.conf itself.
mkdir -p "$work/k8s/nats" "$work/k8s/nats-auth"
cp "$deploy/k8s/nats.conf" "$work/k8s/nats/nats.conf"
moe_cli="$deploy/../dist/cli/moe.js"
if [ -f "$moe_cli" ] && node "$moe_cli" creds init --dir "$work/auth" >/dev/null 2>&1; then
  sed "s|/data/jwt|$work/k8s/jwt|" "$work/auth/nats-auth.k8s.conf" >"$work/k8s/nats-auth/nats-auth.conf"
  k8s_label="k8s/nats.conf (+ moe creds init's nats-auth.k8s.conf)"
else
  printf 'authorization { token: "verify-only" }\n' >"$work/k8s/nats-auth/nats-auth.conf"
  k8s_label="k8s/nats.conf (placeholder auth include: npm run build for the real one)"
fi

# label | the environment variable the file reads (if any) | file
status=0
for spec in \
  "single.conf|MOE_NATS_STORE_DIR=$work/single|$here/single.conf" \
  "cluster/n1.conf||$here/cluster/n1.conf" \
  "cluster/n2.conf||$here/cluster/n2.conf" \
  "cluster/n3.conf||$here/cluster/n3.conf" \
  "$k8s_label|POD_NAME=moe-nats-0|$work/k8s/nats/nats.conf"; do
  IFS='|' read -r label var file <<<"$spec"
  if out=$(env ${var:+"$var"} "$bin" -c "$file" -t 2>&1); then
    printf 'ok    nats-server -t %s\n' "$label"
  else
    printf 'FAIL  nats-server -t %s: %s\n' "$label" "$out"
    status=1
  fi
done

if line=$("$here/cluster/local-cluster.sh" start); then
  printf 'ok    3-node cluster booted: %s\n' "$line"
else
  printf 'FAIL  3-node cluster did not elect a JetStream meta leader (logs were in %s)\n' "$work/cluster"
  status=1
fi
if line=$("$here/cluster/local-cluster.sh" stop); then
  printf 'ok    %s (by PID)\n' "$line"
fi
exit "$status"
