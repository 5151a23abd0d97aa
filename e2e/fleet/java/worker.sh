#!/usr/bin/env bash
# The Java worker of the fleet test (e2e/fleet/README.md): starts Worker.java on the newest JDK found, against the
# packaged jar (build/dist/gstauth-<VERSION>.jar and its dependencies, `make java`), with Java's source launcher (the
# worker is compiled in memory at start: no build directory shared by workers started together).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
version="$(cat "$root/VERSION")"
jar="$root/build/dist/gstauth-$version.jar"
lib="$root/build/dist/gstauth-$version-lib"
[[ -f "$jar" && -d "$lib" ]] || { echo "java worker: $jar is missing (make java)" >&2; exit 1; }
home="${JAVA25_HOME:-$("$root/bindings/java/scripts/find-jdk.sh" 25 26 24 23 22 21 17)}"
[[ -n "$home" ]] || { echo "java worker: no JDK found" >&2; exit 1; }
flags=()
if [[ "$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")" -ge 22 ]]; then
  flags+=(--enable-native-access=ALL-UNNAMED)
fi
exec "$home/bin/java" "${flags[@]}" -XX:+UseSerialGC -Xss512k -XX:TieredStopAtLevel=1 \
  -cp "$jar:$lib/*" "$root/e2e/fleet/java/Worker.java" "$@"
