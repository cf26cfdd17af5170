#!/usr/bin/env bash
# Runs the 3-node JetStream cluster of n1.conf, n2.conf, n3.conf on this host, for development and
# for trying failover by hand. Processes are tracked by PID file and stopped by PID, never by name,
# so another nats-server on the machine (a system service on 4222, say) is never touched.
#
#   deploy/nats/cluster/local-cluster.sh start    start the three nodes, wait for a JetStream meta leader
#   deploy/nats/cluster/local-cluster.sh status   PID, ports and meta leader of each node
#   deploy/nats/cluster/local-cluster.sh stop     stop the nodes this script started (SIGTERM, then SIGKILL)
#
# Environment:
#   MOE_NATS_PORT_OFFSET   added to every port of the files (client 4222-4224, routes 6222-6224,
#                          monitoring 8222-8224); 10000 gives 14222-14224 etc. Default 0.
#   MOE_NATS_CLUSTER_DIR   where the nodes' config copies, stores, logs and PID files go
#                          (default: .moe/nats-cluster under the repository root)
#   NATS_SERVER_BIN        the nats-server binary (default: the one on PATH, then /usr/sbin/nats-server)
#   MOE_NATS_WAIT_SECONDS  how long `start` waits for the meta leader (default 30)
#
# The configs run are copies of n1..n3.conf with only the ports and the store directory rewritten.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
offset=${MOE_NATS_PORT_OFFSET:-0}
dir=${MOE_NATS_CLUSTER_DIR:-$root/.moe/nats-cluster}
wait_seconds=${MOE_NATS_WAIT_SECONDS:-30}
readonly NODES=(n1 n2 n3)

say() { printf 'local-cluster: %s\n' "$*" >&2; }

[[ $offset =~ ^[0-9]+$ ]] || {
  say "MOE_NATS_PORT_OFFSET must be a number, got '$offset'"
  exit 1
}

server_bin() {
  if [[ -n ${NATS_SERVER_BIN:-} ]]; then
    printf '%s' "$NATS_SERVER_BIN"
  elif command -v nats-server >/dev/null 2>&1; then
    command -v nats-server
  elif [[ -x /usr/sbin/nats-server ]]; then
    printf '%s' /usr/sbin/nats-server
  else
    say "nats-server not found: run scripts/ensure-nats-server.sh"
    exit 1
  fi
}

# node_index n2 -> 1
node_index() { printf '%s' $((${1#n} - 1)); }
client_port() { printf '%s' $((4222 + $(node_index "$1") + offset)); }
http_port() { printf '%s' $((8222 + $(node_index "$1") + offset)); }

# http_get PORT PATH: body of GET http://127.0.0.1:PORT/PATH using bash's /dev/tcp (no curl needed).
http_get() {
  local response
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  response=$(cat <&3) || true
  exec 3>&-
  printf '%s' "${response#*$'\r\n\r\n'}"
}

# meta_leader NODE: the JetStream meta leader as NODE's monitoring endpoint reports it, or fails.
meta_leader() {
  local body
  body=$(http_get "$(http_port "$1")" /jsz 2>/dev/null) || return 1
  [[ $body =~ \"meta_cluster\"[^}]*\"leader\":[[:space:]]*\"([^\"]+)\" ]] || return 1
  printf '%s' "${BASH_REMATCH[1]}"
}

# cluster_size NODE: the meta group's size as NODE reports it.
cluster_size() {
  local body
  body=$(http_get "$(http_port "$1")" /jsz 2>/dev/null) || return 1
  [[ $body =~ \"cluster_size\":[[:space:]]*([0-9]+) ]] || return 1
  printf '%s' "${BASH_REMATCH[1]}"
}

# is_node PID NODE: true while PID is alive and runs our copy of NODE's config. This guards against
# a reused PID, and a zombie (exited, not yet reaped) has an empty command line, so it counts as gone.
is_node() {
  local cmdline
  kill -0 "$1" 2>/dev/null || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$dir/$2.conf"* ]]
}

# live_pid NODE: PID of the node this script started, if that process is still running.
live_pid() {
  local pidfile=$dir/$1.pid pid
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && is_node "$pid" "$1" || return 1
  printf '%s' "$pid"
}

write_config() {
  local node=$1 i a b
  local -a expr=()
  for i in 0 1 2; do
    for a in 4222 6222 8222; do
      b=$((a + i))
      expr+=(-e "s/127\\.0\\.0\\.1:$b\\b/127.0.0.1:$((b + offset))/g")
    done
  done
  expr+=(-e "s|\"\\.moe/nats-cluster/$node\"|\"$dir/$node\"|")
  sed "${expr[@]}" "$here/$node.conf" >"$dir/$node.conf"
}

start() {
  local bin node pid deadline leader
  bin=$(server_bin)
  mkdir -p "$dir"
  for node in "${NODES[@]}"; do
    if pid=$(live_pid "$node"); then
      say "$node already running (pid $pid)"
      continue
    fi
    write_config "$node"
    # -l: the server's log; what it prints before logging starts (config errors) goes to .out.
    "$bin" -c "$dir/$node.conf" -l "$dir/$node.log" </dev/null >"$dir/$node.out" 2>&1 &
    echo $! >"$dir/$node.pid"
  done
  deadline=$((SECONDS + wait_seconds))
  while ((SECONDS < deadline)); do
    for node in "${NODES[@]}"; do
      if ! live_pid "$node" >/dev/null; then
        say "$node exited; its log: $dir/$node.log"
        tail -q -n 5 "$dir/$node.out" "$dir/$node.log" >&2 2>/dev/null || true
        exit 1
      fi
    done
    if leader=$(meta_leader n1) && [[ $(meta_leader n2 || true) == "$leader" && $(meta_leader n3 || true) == "$leader" ]]; then
      printf 'cluster up: meta leader %s, cluster_size %s, NATS_URL=nats://127.0.0.1:%s,nats://127.0.0.1:%s,nats://127.0.0.1:%s\n' \
        "$leader" "$(cluster_size n1 || echo '?')" "$(client_port n1)" "$(client_port n2)" "$(client_port n3)"
      return 0
    fi
    sleep 0.5
  done
  say "no JetStream meta leader agreed by all three nodes within ${wait_seconds}s; logs in $dir"
  exit 1
}

status() {
  local node pid leader
  for node in "${NODES[@]}"; do
    if pid=$(live_pid "$node"); then
      leader=$(meta_leader "$node" || echo none)
      printf '%s pid %s client 127.0.0.1:%s monitor 127.0.0.1:%s meta leader %s\n' \
        "$node" "$pid" "$(client_port "$node")" "$(http_port "$node")" "$leader"
    else
      printf '%s not running\n' "$node"
    fi
  done
}

stop() {
  local node pid deadline stopped=0
  local -A pids=()
  for node in "${NODES[@]}"; do
    if pid=$(live_pid "$node"); then
      kill -TERM "$pid"
      pids[$node]=$pid
    fi
    rm -f "$dir/$node.pid"
  done
  deadline=$((SECONDS + 15))
  for node in "${!pids[@]}"; do
    pid=${pids[$node]}
    while is_node "$pid" "$node" && ((SECONDS < deadline)); do sleep 0.2; done
    if is_node "$pid" "$node"; then
      say "$node (pid $pid) did not stop on SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    stopped=$((stopped + 1))
  done
  printf 'stopped %s node(s)\n' "$stopped"
}

case ${1:-} in
  start) start ;;
  status) status ;;
  stop) stop ;;
  *)
    say "usage: $0 start|status|stop"
    exit 64
    ;;
esac
