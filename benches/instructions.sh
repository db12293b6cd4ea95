#!/usr/bin/env bash
# Instructions per operation of each benchmark case, counted by callgrind: a run of N
# operations less a run of 0, divided by N. With --check, fails if a case exceeds its budget
# (the counts of BENCHMARKS.md with room for another compiler or libc), so that the data
# path cannot quietly grow; instruction counts, unlike times, do not depend on the machine's
# load.
#
#   benches/instructions.sh [--check] [N]      (N = 20000 by default)
set -euo pipefail
cd "$(dirname "$0")"

check=0
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
n="${1:-20000}"

if ! command -v valgrind >/dev/null 2>&1; then
    echo "instructions.sh needs valgrind (apt-get install valgrind)" >&2
    exit 2
fi

# The bench profile, which `cargo bench` builds too.
cargo build -q --profile bench --bin cycles
bin=target/release/cycles

count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

# case budget: about 20% over the counts of 2026-11-22, with fat LTO (482, 2,238, 3,259, 3,098).
cases="safe_pair:580 ws2_pair:2700 overlapped_pending:3900 overlapped_at_once:3700"
failed=0
printf '%-20s %12s %8s\n' case instructions budget
for entry in $cases; do
    case="${entry%%:*}"
    budget="${entry##*:}"
    at0="$(count "$case" 0)"
    atn="$(count "$case" "$n")"
    per=$(((atn - at0) / n))
    printf '%-20s %12s %8s\n' "$case" "$per" "$budget"
    if [ "$per" -gt "$budget" ]; then
        failed=1
    fi
done
if [ "$check" -eq 1 ] && [ "$failed" -eq 1 ]; then
    echo "a case is over its instruction budget" >&2
    exit 1
fi
