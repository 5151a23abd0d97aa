#!/usr/bin/env bash
# Start, stop and locate the loopback servers of the end-to-end tests and the
# demo. Each server runs under an instance NAME and keeps its files in
# $E2E_CACHE (default <repo>/.cache/e2e):
#   NAME.pid   the process id
#   NAME.start the process's start time, so a stop never kills a recycled pid
#   NAME.url   the base URL, written by the server itself once it listens
#   NAME.log   its standard output and error
#
#   server.sh start NAME HEALTH_PATH [TIMEOUT_S] -- COMMAND [ARG...]
#       Starts COMMAND in the background with E2E_URL_FILE set to NAME.url
#       (the server writes its base URL there when it listens), waits until
#       GET <url><HEALTH_PATH> answers 2xx, and prints the URL. An instance
#       of the same NAME still running is stopped first. On failure the log
#       is printed and the exit status is 1.
#   server.sh stop NAME      SIGTERM, then SIGKILL after 10 s; idempotent.
#   server.sh url NAME       prints the base URL of a running instance.
#   server.sh status NAME    exit 0 when the instance is running.
#
# Health checks use Node's fetch, so nothing beyond Node is needed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${E2E_CACHE:-$root/.cache/e2e}"

die() { echo "server.sh: $*" >&2; exit 1; }

check_name() {
  [[ "${1:-}" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "bad instance name '${1:-}'"
}

# start_time PID: the process's start time in clock ticks since boot (field
# 22 of /proc/PID/stat, after the parenthesised command name), empty where
# there is no /proc.
start_time() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }"
  awk '{ print $20 }' <<<"$stat"
}

# running NAME: the recorded pid is alive and is still the process started.
running() {
  local pidf="$cache/$1.pid" startf="$cache/$1.start" pid
  [[ -f "$pidf" ]] || return 1
  pid="$(cat "$pidf")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -s "$startf" ]]; then
    [[ "$(start_time "$pid")" == "$(cat "$startf")" ]] || return 1
  fi
  return 0
}

http_ok() {
  node -e '
    const ctl = AbortSignal.timeout(2000);
    fetch(process.argv[1], { signal: ctl, redirect: "manual" })
      .then((r) => process.exit(r.status >= 200 && r.status < 300 ? 0 : 1), () => process.exit(1));
  ' "$1"
}

stop() {
  local name="$1" pid i
  check_name "$name"
  if running "$name"; then
    pid="$(cat "$cache/$name.pid")"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "server.sh: $name (pid $pid) ignored SIGTERM for 10 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "server.sh: stopped $name"
  fi
  rm -f "$cache/$name.pid" "$cache/$name.start" "$cache/$name.url"
}

start() {
  local name="${1:-}" health="${2:-}" timeout=30
  check_name "$name"
  [[ "$health" == /* ]] || die "HEALTH_PATH must start with /"
  shift 2
  if [[ "${1:-}" != "--" ]]; then
    timeout="${1:-}"
    [[ "$timeout" =~ ^[0-9]+$ ]] || die "TIMEOUT_S must be a whole number of seconds"
    shift
  fi
  [[ "${1:-}" == "--" ]] || die "usage: server.sh start NAME HEALTH_PATH [TIMEOUT_S] -- COMMAND [ARG...]"
  shift
  (($# > 0)) || die "no command"
  command -v node >/dev/null || die "node is required for health checks (install Node.js 18 or later)"

  mkdir -p "$cache"
  stop "$name" >/dev/null
  local log="$cache/$name.log" urlf="$cache/$name.url" pid
  : >"$log"
  E2E_URL_FILE="$urlf" nohup "$@" >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$cache/$name.pid"
  start_time "$pid" >"$cache/$name.start"

  local deadline=$((SECONDS + timeout)) url=""
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server.sh: $name exited before answering; its log:" >&2
      sed 's/^/  | /' "$log" >&2
      rm -f "$cache/$name.pid" "$cache/$name.start"
      exit 1
    fi
    if [[ -z "$url" && -s "$urlf" ]]; then
      url="$(head -n1 "$urlf")"
    fi
    if [[ -n "$url" ]] && http_ok "$url$health"; then
      echo "server.sh: $name is up at $url (pid $pid, log $log)" >&2
      echo "$url"
      return 0
    fi
    sleep 0.2
  done
  echo "server.sh: $name did not answer $health within $timeout s; its log:" >&2
  sed 's/^/  | /' "$log" >&2
  stop "$name" >&2
  exit 1
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "${1:-}" ;;
  url)
    check_name "${2:-}"
    running "$2" || die "${2} is not running"
    [[ -s "$cache/$2.url" ]] || die "${2} has not written its URL"
    head -n1 "$cache/$2.url"
    ;;
  status) check_name "${2:-}"; running "$2" ;;
  *) die "usage: server.sh start|stop|url|status NAME ..." ;;
esac
