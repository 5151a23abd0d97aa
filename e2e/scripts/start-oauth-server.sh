#!/usr/bin/env bash
# Starts the loopback OAuth 2.0 server (e2e/oauth-server) as instance NAME
# (default oauth-server), installing its packages first if needed, waits
# until its discovery document answers, and prints its base URL (also in
# .cache/e2e/NAME.url). The environment passes through: OAUTH_ACCESS_TOKEN_TTL,
# OAUTH_REFRESH_TOKEN_TTL, OAUTH_PORT, OAUTH_LOG (see e2e/oauth-server/README.md).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
name="${1:-oauth-server}"

"$here/oauth-server-deps.sh"
exec "$here/server.sh" start "$name" /.well-known/openid-configuration 30 -- \
  node "$root/e2e/oauth-server/server.mjs"
