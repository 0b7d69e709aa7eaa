#!/bin/sh
# bench/compile_ab.sh - what a header change does to the compile time of the files that
# include it, counted in the compiler's instructions rather than timed.
# SPDX-License-Identifier: MIT
#
# Usage: BASELINE=<git revision> bench/compile_ab.sh [TU ...]
#   BASELINE=REV   the revision whose include/ to compare the working tree's with (required)
#   TU             string record vitals server minimal (the default: all five)
#                    string   #include <string> (the baseline of bench/budgets.sh's ratios)
#                    record   #include <vitals/record.hpp>
#                    vitals   #include <vitals/vitals.hpp>
#                    server   #include <vitals/server.hpp>
#                    minimal  examples/minimal.cpp: registers, records and renders
#   COMPILERS="g++ clang++"  (the default), OPT=-O0 (the default) or -O2
#
# Each translation unit is compiled once per side and compiler, -std=c++17 -c, under
# valgrind's callgrind with --trace-children (the driver, the compiler proper and the
# assembler), which prints the instructions executed: the same count on every run of the same
# input, give or take a few hundred thousand, however busy the machine is. That makes a change
# of 1% visible, where bench/budgets.sh's CPU times, good to about 5% on a shared machine,
# need many rounds. Instructions are not time (cache misses, memory), so budgets.sh remains
# the measure of the targets; this script is for telling whether a change helped. Prints per
# unit and compiler the instructions old and new, new/old, and each side's ratio to
# <string> compiled the same way. About 20 s per compilation. Needs valgrind.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
baseline=${BASELINE:?"set BASELINE to a git revision, e.g. BASELINE=HEAD~1"}
compilers=${COMPILERS:-g++ clang++}
opt=${OPT:--O0}
tus=${*:-string record vitals server minimal}
command -v valgrind >/dev/null || {
    echo "compile_ab: needs valgrind (Debian package valgrind)" >&2
    exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/vitals-compile-ab.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/old"
git -C "$root" archive "$baseline" include | tar -x -C "$work/old"
echo '#include <string>' >"$work/string.cpp"
echo '#include <vitals/record.hpp>' >"$work/record.cpp"
echo '#include <vitals/vitals.hpp>' >"$work/vitals.cpp"
echo '#include <vitals/server.hpp>' >"$work/server.cpp"
cp "$root/examples/minimal.cpp" "$work/minimal.cpp"

# instructions <compiler> <include dir> <tu>: the sum over every process of the compilation.
instructions() {
    valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$work/cg.%p" \
        "$1" -std=c++17 "$opt" -I"$2" -c "$work/$3.cpp" -o "$work/out.o" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }'
    rm -f "$work"/cg.*
}

echo "# compile_ab: $(git -C "$root" rev-parse --short "$baseline") -> working tree," \
    "-std=c++17 $opt, instructions executed (callgrind)"
echo "| TU | compiler | old | new | new/old | old / <string> | new / <string> |"
echo "|---|---|---|---|---|---|---|"
for cxx in $compilers; do
    base=$(instructions "$cxx" "$root/include" string)
    for tu in $tus; do
        if [ "$tu" = string ]; then
            old=$base new=$base
        else
            old=$(instructions "$cxx" "$work/old/include" "$tu")
            new=$(instructions "$cxx" "$root/include" "$tu")
        fi
        awk -v tu="$tu" -v cxx="$cxx" -v o="$old" -v n="$new" -v b="$base" 'BEGIN {
            printf "| %s | %s | %.3fe9 | %.3fe9 | %.3f | %.2fx | %.2fx |\n",
                tu, cxx, o / 1e9, n / 1e9, n / o, o / b, n / b }'
    done
done
