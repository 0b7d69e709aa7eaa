#!/bin/sh
# bench/wrk_server.sh - load-test the health server with wrk on loopback.
# SPDX-License-Identifier: MIT
#
# Usage: bench/wrk_server.sh
#   THREADS=2 CONNS=32 DURATION=5s   wrk settings for the three measurements
#   SOAK=60                          seconds of /metrics (1,000 series) load while resident
#                                    memory is sampled; SOAK=0 skips the soak
#   CXX=g++ CXXFLAGS="-O2 -DNDEBUG"  how bench/server_bench.cpp is built
#   BENCH_DIR=build/bench-server     where the binary and the wrk logs go
#
# Measures, each against a fresh server_bench process:
#   GET /live                     keep-alive
#   GET /metrics, 1 series        the core benchmark's mix
#   GET /metrics, 1,000 series    (about 360 KB a response)
# then the soak, reporting the server's RSS (VmRSS) after a short warm-up and at the end.
# Prints one summary table; exits 1 when wrk reports any error (socket errors or non-2xx
# responses). wrk and the server share the machine's cores, so figures depend on the host.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_DIR:-$root/build/bench-server}
threads=${THREADS:-2}
conns=${CONNS:-32}
duration=${DURATION:-5s}
soak=${SOAK:-60}
cxx=${CXX:-g++}
cxxflags=${CXXFLAGS:--O2 -DNDEBUG}
mkdir -p "$out"

command -v wrk >/dev/null 2>&1 || { echo "wrk_server.sh: wrk not found (Debian: wrk)" >&2; exit 2; }

# shellcheck disable=SC2086 # CXXFLAGS is a word list
$cxx -std=c++17 $cxxflags -pthread -I"$root/include" -o "$out/server_bench" \
    "$root/bench/server_bench.cpp"

server_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap stop_server EXIT INT TERM

# start_server SERIES: starts server_bench on an ephemeral loopback port; sets $port.
start_server() {
    "$out/server_bench" --serve --series "$1" >"$out/server.out" 2>"$out/server.err" &
    server_pid=$!
    i=0
    while ! grep -q '^listening on ' "$out/server.out" 2>/dev/null; do
        i=$((i + 1))
        if [ "$i" -gt 100 ] || ! kill -0 "$server_pid" 2>/dev/null; then
            echo "wrk_server.sh: server_bench did not start:" >&2
            cat "$out/server.err" >&2
            exit 1
        fi
        sleep 0.1
    done
    port=$(sed -n 's/^listening on http:\/\/[^:]*:\([0-9]*\)$/\1/p' "$out/server.out")
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status"; }

errors=0
summary=""
# measure NAME PATH LOG: runs wrk, appends a summary line.
measure() {
    name=$1 path=$2 log=$3
    wrk -t"$threads" -c"$conns" -d"$duration" --latency "http://127.0.0.1:$port$path" >"$log"
    rate=$(awk '/^Requests\/sec:/ { print $2 }' "$log")
    transfer=$(awk '/^Transfer\/sec:/ { print $2 }' "$log")
    p99=$(awk '$1 == "99%" { print $2 }' "$log")
    bad=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ {
        for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { sub(",", "", $i); n += $i } }
        END { print n + 0 }' "$log")
    errors=$((errors + bad))
    summary="$summary$(printf '%-28s %12s req/s %12s/s  p99 %8s  errors %s' \
        "$name" "$rate" "$transfer" "$p99" "$bad")
"
}

echo "wrk -t$threads -c$conns -d$duration on 127.0.0.1 ($(nproc) cores), logs in $out"
start_server 1
measure "GET /live" /live "$out/wrk_live.txt"
measure "GET /metrics (1 series)" /metrics "$out/wrk_metrics_1.txt"
stop_server
start_server 1000
measure "GET /metrics (1,000 series)" /metrics "$out/wrk_metrics_1000.txt"
bytes=$(sed -n 's/.*exposition \([0-9]*\) bytes.*/\1/p' "$out/server.err")
if [ "$soak" -gt 0 ]; then
    wrk -t"$threads" -c"$conns" -d2s "http://127.0.0.1:$port/metrics" >/dev/null
    rss_start=$(rss_kb)
    wrk -t"$threads" -c"$conns" -d"${soak}s" "http://127.0.0.1:$port/metrics" \
        >"$out/wrk_soak.txt"
    rss_end=$(rss_kb)
    soak_rate=$(awk '/^Requests\/sec:/ { print $2 }' "$out/wrk_soak.txt")
    soak_bad=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ {
        for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { sub(",", "", $i); n += $i } }
        END { print n + 0 }' "$out/wrk_soak.txt")
    errors=$((errors + soak_bad))
fi
stop_server

printf '%s' "$summary"
echo "/metrics (1,000 series) response: $bytes bytes of exposition"
if [ "$soak" -gt 0 ]; then
    echo "soak: ${soak} s of /metrics (1,000 series) at $soak_rate req/s, errors $soak_bad;" \
        "server RSS ${rss_start} kB after warm-up, ${rss_end} kB at the end"
fi
if [ "$errors" -ne 0 ]; then
    echo "wrk_server.sh: $errors errors" >&2
    exit 1
fi
