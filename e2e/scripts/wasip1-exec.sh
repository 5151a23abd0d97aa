#!/usr/bin/env bash
# go test -exec for GOOS=wasip1: runs a test binary under the wazero CLI
# (the version go.mod pins), with the file system and the working directory
# the test expects, so that a package's tests run as WebAssembly.
set -euo pipefail
bin="${WAZERO_CLI:?WAZERO_CLI names the wazero CLI binary}"
exec "$bin" run -mount=/:/ -env=PWD="$PWD" "$@"
