#!/usr/bin/env bash
# Installs the OAuth server's pinned packages (package-lock.json) into
# e2e/oauth-server/node_modules with `npm ci`, once: again only when the lock
# file changes. Safe to run from parallel make jobs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$root/e2e/oauth-server"
cache="${E2E_CACHE:-$root/.cache/e2e}"
stamp="$dir/node_modules/.package-lock.json" # written by npm ci

command -v node >/dev/null || { echo "oauth-server-deps: Node.js 18 or later is required (node not found)" >&2; exit 1; }
command -v npm >/dev/null || { echo "oauth-server-deps: npm is required (npm not found)" >&2; exit 1; }
major="$(node -p 'process.versions.node.split(".")[0]')"
if ((major < 18)); then
  echo "oauth-server-deps: Node.js 18 or later is required (found $(node --version))" >&2
  exit 1
fi

install() {
  if [[ -f "$stamp" && "$stamp" -nt "$dir/package-lock.json" ]]; then
    return 0
  fi
  echo "oauth-server-deps: npm ci in e2e/oauth-server" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  touch "$stamp"
}

mkdir -p "$cache"
if command -v flock >/dev/null; then
  exec 9>"$cache/oauth-server-deps.lock"
  flock 9
fi
install
