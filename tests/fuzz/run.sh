#!/bin/sh
# tests/fuzz/run.sh - build the libFuzzer targets and run them for a bounded time in all.
# SPDX-License-Identifier: MIT
#
#   tests/fuzz/run.sh [SECONDS] [BUILD_DIR]      defaults: 20 seconds, build-fuzz
#
# Targets: the server's HTTP request parser (half of SECONDS), exemplars recorded with any
# bytes and rendered as OpenMetrics, and the process collector's parsers of /proc/self/stat,
# /proc/self/status, /proc/self/cgroup and the cgroup memory limit files (the other half,
# shared; at least 1 s each). Needs clang++ with libFuzzer
# (Debian: clang, libclang-rt-14-dev). The committed seeds in tests/fuzz/corpus/<target> are
# copied into BUILD_DIR, so new inputs found by a run never dirty the source tree. Exits
# non-zero when a fuzzer finds a crash, a leak or an invariant violation; the reproducer is
# left in BUILD_DIR.
set -eu
seconds=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${2:-$root/build-fuzz}
cxx=${CXX_FUZZ:-clang++}
half=$((seconds / 2))
[ "$half" -ge 1 ] || half=1
each=$(((seconds - half) / 5))
[ "$each" -ge 1 ] || each=1

# run TARGET SECONDS MAX_LEN: builds tests/fuzz/fuzz_TARGET.cpp and fuzzes it.
run() {
    target=$1
    mkdir -p "$build/corpus/$target"
    "$cxx" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -I"$root/include" -o "$build/fuzz_$target" "$here/fuzz_$target.cpp"
    cp "$here"/corpus/"$target"/* "$build/corpus/$target/"
    # libFuzzer exits 77 on a crash by default, which scripts/test.sh reads as a skipped step.
    (cd "$build" && "./fuzz_$target" -max_total_time="$2" -max_len="$3" -timeout=10 \
        -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 "corpus/$target")
}

run http_request "$half" 4096
run exemplar "$each" 4096
run proc_stat "$each" 1024
run proc_status "$each" 2048
run cgroup "$each" 2048
run memory_limit "$each" 64
