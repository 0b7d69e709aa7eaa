#!/bin/sh
# tests/fuzz/run.sh - build the HTTP request parser fuzzer and run it for a bounded time.
# SPDX-License-Identifier: MIT
#
#   tests/fuzz/run.sh [SECONDS] [BUILD_DIR]      defaults: 20 seconds, build-fuzz
#
# Needs clang++ with libFuzzer (Debian: clang, libclang-rt-14-dev). The committed seeds in
# tests/fuzz/corpus/http_request are copied into BUILD_DIR, so new inputs found by a run
# never dirty the source tree. Exits non-zero when the fuzzer finds a crash, a leak or an
# invariant violation; the reproducer is left in BUILD_DIR.
set -eu
seconds=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${2:-$root/build-fuzz}
mkdir -p "$build/corpus"
cxx=${CXX_FUZZ:-clang++}
"$cxx" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I"$root/include" -o "$build/fuzz_http_request" "$here/fuzz_http_request.cpp"
cp "$here"/corpus/http_request/* "$build/corpus/"
cd "$build"
./fuzz_http_request -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -print_final_stats=1 corpus
