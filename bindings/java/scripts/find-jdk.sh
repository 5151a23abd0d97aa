#!/bin/sh
# find-jdk.sh FEATURE... — prints the home of the first JDK (with javac) whose feature version is one of FEATURE, in
# the order given: JAVA<N>_HOME if set, else the JDKs under ${JDK_ROOT:-/usr/lib/jvm} (symlinked duplicates resolve to
# one), else the java on PATH. Prints nothing when none is found.
set -eu
root=${JDK_ROOT:-/usr/lib/jvm}
feature_of() { # the feature version of a JDK home, from its release file
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null | head -n 1
}
for want in "$@"; do
  eval "named=\${JAVA${want}_HOME:-}"
  if [ -n "$named" ] && [ -x "$named/bin/javac" ]; then echo "$named"; exit 0; fi
  for home in "$root"/*; do
    [ -x "$home/bin/javac" ] || continue
    if [ "$(feature_of "$home")" = "$want" ]; then readlink -f "$home"; exit 0; fi
  done
  if command -v javac >/dev/null 2>&1; then
    home=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    if [ "$(feature_of "$home")" = "$want" ]; then echo "$home"; exit 0; fi
  fi
done
