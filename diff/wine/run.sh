#!/usr/bin/env bash
# Plays the corpus (or the scenarios given) on Wine 8 with the executor built by build.sh and
# writes the traces to diff/traces/wine (committed: the reference diff/tests/corpus.rs compares
# the simulator with; TRACES=<folder> writes elsewhere). Wine runs headless in a prefix of its
# own; each scenario runs in its own process with a time limit, so one that hangs costs only
# itself.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export WINEPREFIX="${WINEPREFIX:-$here/prefix}" WINEDEBUG=-all \
    WINEDLLOVERRIDES="mscoree,mshtml=,winemenubuilder.exe=d"
wine=/usr/lib/wine/wine64
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    "$wine" wineboot -i >/dev/null 2>&1
fi
/usr/lib/wine/wineserver64 -p >/dev/null 2>&1 || true
out="${TRACES:-$here/../traces/wine}"
if [ $# -eq 0 ]; then
    # The whole corpus: start from an empty folder so no stale trace survives.
    rm -rf "$out"
    set -- "$here"/../corpus/*.json
fi
mkdir -p "$out"
for scenario in "$@"; do
    if ! timeout 30 "$wine" "$here/bin/winsock-executor.exe" wine "$out" "$scenario"; then
        echo "$(basename "$scenario"): no trace (failed or timed out)"
    fi
done
