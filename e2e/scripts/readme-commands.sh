#!/usr/bin/env bash
# Runs every command the README marks as runnable, exactly as written, from the repository root: each ```sh block
# that follows a line <!-- readme: run -->. A line ending in & runs in the background and is stopped at the end;
# every other line must exit 0 within 120 s. make test-readme runs this after building the artifacts the commands
# use. Blocks not marked (make itself, installs into your own environment) are covered by the targets that do the
# same: make, make test, make test-python-wheel, make test-node-package, make test-java-dist.
set -euo pipefail
cd "$(dirname "$0")/../.."
readme=${1:-README.md}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# Extract the marked blocks: one command per line (comments and blank lines dropped, backslash continuations joined).
awk '
  inblock && /^```/ { inblock = 0; next }
  inblock { print; next }
  /<!-- readme: run -->/ { armed = 1; next }
  armed && /^```sh/ { inblock = 1; armed = 0; next }
  !/^[[:space:]]*$/ { armed = 0 }
' "$readme" | sed -e 's/[[:space:]]\{2,\}#.*$//' -e 's/^#.*$//' | awk '
  /\\$/ { sub(/\\$/, ""); line = line $0; next }
  { print line $0; line = "" }
' | grep -v '^[[:space:]]*$' > "$tmp/commands"

n=$(wc -l < "$tmp/commands")
if [ "$n" -eq 0 ]; then echo "readme-commands: no runnable commands found in $readme" >&2; exit 1; fi
i=0
while IFS= read -r cmd; do
  i=$((i + 1))
  if [[ "$cmd" =~ \&[[:space:]]*$ ]]; then
    echo "readme-commands [$i/$n] (background) $cmd"
    bash -c "exec ${cmd%&*}" < /dev/null > "$tmp/bg-$i.log" 2>&1 &
    pids+=($!)
    sleep 2
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "readme-commands: the background command stopped at once:" >&2; cat "$tmp/bg-$i.log" >&2; exit 1
    fi
    continue
  fi
  echo "readme-commands [$i/$n] $cmd"
  if ! timeout 120 bash -c "$cmd" < /dev/null > "$tmp/out" 2>&1; then
    echo "readme-commands: failed: $cmd" >&2; cat "$tmp/out" >&2; exit 1
  fi
  head -c 300 "$tmp/out" | sed 's/^/    /'; echo
done < "$tmp/commands"
echo "readme-commands: $n commands from $readme ran as written"
