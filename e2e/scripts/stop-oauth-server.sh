#!/usr/bin/env bash
# Stops the OAuth server instance NAME (default oauth-server); idempotent.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/server.sh" stop "${1:-oauth-server}"
