#!/usr/bin/env bash
# Start, restart and stop Redis servers on loopback for the shared session
# store's tests: one server, or a three-node Redis Cluster. Each instance
# NAME keeps its files in $E2E_CACHE (default <repo>/.cache/e2e):
#   NAME.redis/          the instance: per node its data directory (AOF),
#                        log, pid, start time and command line
#   NAME.addr            what `start` printed
#
#   redis.sh start NAME [--cluster]
#       Installs Debian's redis-server when it is missing (as root:
#       apt-get update && apt-get install -y redis-server; each command is
#       printed first), starts one server (or three cluster nodes, joined
#       with redis-cli --cluster create ... --cluster-replicas 0) on
#       127.0.0.1 at free ports, with persistence on (appendonly,
#       fsync always) in the instance's directory, waits until it answers,
#       and prints its address: host:port, or host:port,host:port,host:port
#       for a cluster. An instance of the same NAME is stopped first. On
#       failure the logs are printed, everything started is stopped, and the
#       exit status is 1.
#   redis.sh restart NAME [DOWN_S]
#       Stops every node (SIGTERM: Redis finishes writing its AOF), waits
#       DOWN_S seconds (default 0) with the instance down, and starts it
#       again on the same ports, from the same data.
#   redis.sh stop NAME
#       Stops every node (SIGTERM, then SIGKILL after 10 s) and removes the
#       instance's files; idempotent.
#
# Callers stop what they start on exit, also on failure:
#   trap 'e2e/scripts/redis.sh stop mine' EXIT
#   addr="$(e2e/scripts/redis.sh start mine)"
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${E2E_CACHE:-$root/.cache/e2e}"

die() { echo "redis.sh: $*" >&2; exit 1; }

check_name() {
  [[ "${1:-}" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "bad instance name '${1:-}'"
}

# install installs Debian's redis-server (and redis-cli) when missing.
install() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  if [[ "$(id -u)" != 0 ]]; then
    die "redis-server is not installed; as root: apt-get update && apt-get install -y redis-server"
  fi
  command -v apt-get >/dev/null || die "redis-server is not installed and there is no apt-get to install it"
  echo "redis.sh: redis-server is not installed; running: apt-get update" >&2
  apt-get update >&2
  echo "redis.sh: running: apt-get install -y redis-server" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server >&2
}

# free_port prints a loopback port that is free, and whose cluster bus port
# (port + 10000) is free too.
free_port() {
  python3 - <<'EOF'
import socket
for _ in range(200):
    a = socket.socket()
    a.bind(("127.0.0.1", 0))
    port = a.getsockname()[1]
    if port + 10000 > 65535:
        a.close()
        continue
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", port + 10000))
    except OSError:
        a.close()
        continue
    b.close()
    a.close()
    print(port)
    break
else:
    raise SystemExit("no free port pair")
EOF
}

start_time() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }"
  awk '{ print $20 }' <<<"$stat"
}

# alive NODEDIR: the node's recorded pid runs and is the process started.
alive() {
  local pid
  [[ -f "$1/pid" ]] || return 1
  pid="$(cat "$1/pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ ! -s "$1/start" || "$(start_time "$pid")" == "$(cat "$1/start")" ]]
}

# launch NODEDIR: starts the node from its recorded command line.
launch() {
  local node="$1" pid
  local -a cmd
  mapfile -t cmd <"$node/cmd"
  nohup "${cmd[@]}" >>"$node/log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$node/pid"
  start_time "$pid" >"$node/start"
}

# ready NODEDIR [cluster]: waits up to 30 s until the node answers PING
# (and, for a cluster, reports cluster_state:ok).
ready() {
  local node="$1" want="${2:-}" port i
  port="$(cat "$node/port")"
  for ((i = 0; i < 300; i++)); do
    alive "$node" || { echo "redis.sh: the node on port $port exited; its log:" >&2; sed 's/^/  | /' "$node/log" >&2; return 1; }
    if [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]; then
      if [[ -z "$want" ]] || redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; then
        return 0
      fi
    fi
    sleep 0.1
  done
  echo "redis.sh: the node on port $port did not get ready in 30 s; its log:" >&2
  sed 's/^/  | /' "$node/log" >&2
  return 1
}

# halt NODEDIR: SIGTERM (Redis writes its AOF and exits), SIGKILL after 10 s.
halt() {
  local node="$1" pid i
  alive "$node" || return 0
  pid="$(cat "$node/pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "redis.sh: redis-server (pid $pid) ignored SIGTERM for 10 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

nodes_of() { ls -d "$cache/$1.redis"/node-* 2>/dev/null || true; }

stop() {
  local name="$1" node any=""
  check_name "$name"
  for node in $(nodes_of "$name"); do
    if alive "$node"; then any=1; fi
    halt "$node"
  done
  rm -rf "$cache/$name.redis" "$cache/$name.addr"
  if [[ -n "$any" ]]; then echo "redis.sh: stopped $name" >&2; fi
}

start() {
  local name="${1:-}" cluster="" n=1 i node port addr="" cmd
  check_name "$name"
  if [[ "${2:-}" == --cluster ]]; then cluster=1; n=3; elif [[ -n "${2:-}" ]]; then die "usage: redis.sh start NAME [--cluster]"; fi
  install
  mkdir -p "$cache"
  stop "$name" >/dev/null 2>&1
  mkdir -p "$cache/$name.redis"
  trap 'echo "redis.sh: $name did not start; stopping what was started" >&2; stop "$name"' ERR
  for ((i = 1; i <= n; i++)); do
    node="$cache/$name.redis/node-$i"
    mkdir -p "$node/data"
    port="$(free_port)"
    echo "$port" >"$node/port"
    cmd=(redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes --daemonize no
      --dir "$node/data" --appendonly yes --appendfsync always --save ""
      --logfile "" --loglevel warning)
    if [[ -n "$cluster" ]]; then
      cmd+=(--cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000)
    fi
    printf '%s\n' "${cmd[@]}" >"$node/cmd"
    launch "$node"
    addr+="${addr:+,}127.0.0.1:$port"
  done
  for node in $(nodes_of "$name"); do ready "$node"; done
  if [[ -n "$cluster" ]]; then
    echo "redis.sh: joining $addr: redis-cli --cluster create ${addr//,/ } --cluster-replicas 0 --cluster-yes" >&2
    # shellcheck disable=SC2086
    redis-cli --cluster create ${addr//,/ } --cluster-replicas 0 --cluster-yes >"$cache/$name.redis/create.log" 2>&1 ||
      { sed 's/^/  | /' "$cache/$name.redis/create.log" >&2; false; }
    for node in $(nodes_of "$name"); do ready "$node" cluster; done
  fi
  trap - ERR
  echo "$addr" >"$cache/$name.addr"
  echo "redis.sh: $name is up at $addr (${cluster:+a three-node cluster, }data in $cache/$name.redis)" >&2
  echo "$addr"
}

restart() {
  local name="$1" down="${2:-0}" node cluster=""
  check_name "$name"
  [[ "$down" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "DOWN_S must be a number of seconds"
  [[ -s "$cache/$name.addr" ]] || die "$name is not running"
  grep -q -- --cluster-enabled "$cache/$name.redis/node-1/cmd" && cluster=1
  for node in $(nodes_of "$name"); do halt "$node"; done
  echo "redis.sh: $name stopped; starting it again from its data in $down s" >&2
  sleep "$down"
  for node in $(nodes_of "$name"); do launch "$node"; done
  for node in $(nodes_of "$name"); do ready "$node" $cluster; done
  echo "redis.sh: $name is up again at $(cat "$cache/$name.addr")" >&2
}

case "${1:-}" in
  start) shift; start "$@" ;;
  restart) shift; restart "${1:-}" "${2:-0}" ;;
  stop) shift; stop "${1:-}" ;;
  *) die "usage: redis.sh start NAME [--cluster] | restart NAME [DOWN_S] | stop NAME" ;;
esac
