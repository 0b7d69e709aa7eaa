#!/bin/sh
# bench/count_lookup.sh - instructions per labelled lookup and increment, counted by valgrind:
# exact and the same on a busy machine, unlike times. Builds bench/lookup_loop.cpp (g++ -O2
# -DNDEBUG, or CXX/CXXFLAGS), runs it under cachegrind with 0 and with N iterations, for a
# family holding the series and for one past its bound, and prints the difference over N.
#
# Usage: bench/count_lookup.sh [N]     (default 1000000)
#   INCLUDE=dir   the headers to count (default: this checkout's include/), to compare with
#                 another revision's (git archive <rev> include | tar -x -C /tmp/old)
# Needs valgrind (Debian: valgrind).
# SPDX-License-Identifier: MIT
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000000}
include=${INCLUDE:-$root/include}
cxx=${CXX:-g++}
cxxflags=${CXXFLAGS:--O2}
command -v valgrind >/dev/null || { echo "count_lookup.sh: needs valgrind" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/vitals-count.XXXXXX")
trap 'rm -rf "$work"' EXIT

# shellcheck disable=SC2086
"$cxx" -std=c++17 $cxxflags -DNDEBUG -I"$include" "$root/bench/lookup_loop.cpp" \
    -o "$work/lookup_loop"

refs() { # refs <mode> <iterations>: instructions the whole program executed
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$work/lookup_loop" "$1" "$2" 2>&1 >/dev/null |
        sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' | tr -d ,
}

echo "instructions per labelled lookup and increment ($cxx $cxxflags, headers: $include)"
for mode in known overflowed; do
    base=$(refs "$mode" 0)
    total=$(refs "$mode" "$n")
    echo "$mode: $(( (total - base) / n )) (program with $n lookups: $total, without: $base)"
done
