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
#   BASELINE=<git revision>          also build server_bench from that revision's include/
#                                    and bench/server_bench.cpp and measure it in the same
#                                    run (e.g. BASELINE=HEAD~1): prints new/old ratios
#   NGINX=1                          also serve the /metrics (1,000 series) bytes as a static
#                                    file with Debian's nginx-light (one worker, private
#                                    config on loopback, started and stopped here) and print
#                                    the vitals/nginx ratio; NGINX=0 skips it
#
# Measures, each against a fresh server_bench process:
#   GET /live                     keep-alive
#   GET /metrics, 1 series        the core benchmark's mix
#   GET /metrics, 1,000 series    (about 360 KB a response)
# then the soak, reporting the server's RSS (VmRSS) after a short warm-up and at the end.
# Prints one summary table with the load average before and after; exits 1 when wrk reports
# any error (socket errors or non-2xx responses). wrk and the server share the machine's
# cores, so figures depend on the host and its load: compare ratios from one run.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_DIR:-$root/build/bench-server}
threads=${THREADS:-2}
conns=${CONNS:-32}
duration=${DURATION:-5s}
soak=${SOAK:-60}
baseline=${BASELINE:-}
use_nginx=${NGINX:-1}
cxx=${CXX:-g++}
cxxflags=${CXXFLAGS:--O2 -DNDEBUG}
mkdir -p "$out"

command -v wrk >/dev/null 2>&1 || { echo "wrk_server.sh: wrk not found (Debian: wrk)" >&2; exit 2; }

# shellcheck disable=SC2086 # CXXFLAGS is a word list
$cxx -std=c++17 $cxxflags -pthread -I"$root/include" -o "$out/server_bench" \
    "$root/bench/server_bench.cpp"
if [ -n "$baseline" ]; then
    rm -rf "$out/baseline"
    mkdir -p "$out/baseline"
    git -C "$root" archive "$baseline" include bench/server_bench.cpp | tar -x -C "$out/baseline"
    # shellcheck disable=SC2086
    $cxx -std=c++17 $cxxflags -pthread -I"$out/baseline/include" \
        -o "$out/baseline/server_bench" "$out/baseline/bench/server_bench.cpp"
fi
if [ "$use_nginx" = 1 ] && ! command -v nginx >/dev/null 2>&1; then
    echo "wrk_server.sh: nginx not found (Debian: nginx-light); NGINX=0 skips it" >&2
    exit 2
fi

server_pid=""
nginx_pid=""
nginx_dir=""
stop_server() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
stop_nginx() {
    if [ -n "$nginx_pid" ]; then
        kill -TERM "$nginx_pid" 2>/dev/null || true # the master stops its worker
        wait "$nginx_pid" 2>/dev/null || true
        nginx_pid=""
    fi
}
cleanup() {
    stop_server
    stop_nginx
    if [ -n "$nginx_dir" ]; then rm -rf "$nginx_dir"; fi
}
trap cleanup EXIT INT TERM

# start_server SERIES [BINARY]: starts server_bench on an ephemeral loopback port; sets $port.
start_server() {
    "${2:-$out/server_bench}" --serve --series "$1" >"$out/server.out" 2>"$out/server.err" &
    server_pid=$!
    i=0
    port=""
    # Until the whole line, port included, is there.
    while port=$(sed -n 's/^listening on http:\/\/[^:]*:\([0-9][0-9]*\)$/\1/p' \
        "$out/server.out" 2>/dev/null) && [ -z "$port" ]; do
        i=$((i + 1))
        if [ "$i" -gt 100 ] || ! kill -0 "$server_pid" 2>/dev/null; then
            echo "wrk_server.sh: server_bench did not start:" >&2
            cat "$out/server.err" >&2
            exit 1
        fi
        sleep 0.1
    done
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# start_nginx FILE: serves FILE as /metrics with nginx on a free loopback port; sets $port.
start_nginx() {
    nginx_dir=$(mktemp -d)
    mkdir -p "$nginx_dir/www"
    cp "$1" "$nginx_dir/www/metrics"
    tries=0
    while :; do
        tries=$((tries + 1))
        port=$((20000 + ($$ * 7 + tries * 131) % 40000))
        cat >"$nginx_dir/nginx.conf" <<CONF
daemon off;
user root;
worker_processes 1;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$port;
        root $nginx_dir/www;
        location = /metrics { default_type "text/plain; version=0.0.4; charset=utf-8"; }
    }
}
CONF
        nginx -p "$nginx_dir" -c "$nginx_dir/nginx.conf" >"$nginx_dir/stdout" 2>&1 &
        nginx_pid=$!
        i=0
        while [ "$i" -lt 50 ] && kill -0 "$nginx_pid" 2>/dev/null; do
            if curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; then return 0; fi
            i=$((i + 1))
            sleep 0.1
        done
        stop_nginx
        if [ "$tries" -ge 5 ]; then
            echo "wrk_server.sh: nginx did not start:" >&2
            cat "$nginx_dir/error.log" "$nginx_dir/stdout" >&2 2>/dev/null || true
            exit 1
        fi
    done
}

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
load_start=$(load)
# measure_all TAG BINARY: /live, /metrics with 1 and 1,000 series against BINARY.
measure_all() {
    start_server 1 "$2"
    measure "GET /live$1" /live "$out/wrk_live$1.txt"
    measure "GET /metrics (1 series)$1" /metrics "$out/wrk_metrics_1$1.txt"
    stop_server
    start_server 1000 "$2"
    measure "GET /metrics (1,000 series)$1" /metrics "$out/wrk_metrics_1000$1.txt"
}
rate_of() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
if [ -n "$baseline" ]; then
    measure_all " [baseline]" "$out/baseline/server_bench"
    stop_server
fi
measure_all "" "$out/server_bench"
bytes=$(sed -n 's/.*exposition \([0-9]*\) bytes.*/\1/p' "$out/server.err")
curl -sf -o "$out/metrics_1000.txt" "http://127.0.0.1:$port/metrics"
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
if [ "$use_nginx" = 1 ]; then
    start_nginx "$out/metrics_1000.txt"
    measure "nginx static /metrics (same bytes)" /metrics "$out/wrk_nginx.txt"
    stop_nginx
fi
load_end=$(load)

printf '%s' "$summary"
if [ -n "$baseline" ]; then
    for m in live metrics_1 metrics_1000; do
        awk -v a="$(rate_of "$out/wrk_$m.txt")" -v b="$(rate_of "$out/wrk_$m [baseline].txt")" \
            -v m="$m" 'BEGIN { printf "%-28s new/baseline %.2fx\n", m, a / b }'
    done
fi
if [ "$use_nginx" = 1 ]; then
    awk -v a="$(rate_of "$out/wrk_metrics_1000.txt")" -v b="$(rate_of "$out/wrk_nginx.txt")" \
        'BEGIN { printf "/metrics (1,000 series) vitals/nginx (one worker): %.2fx\n", a / b }'
fi
echo "load average: $load_start at the start, $load_end at the end"
echo "/metrics (1,000 series) response: $bytes bytes of exposition"
if [ "$soak" -gt 0 ]; then
    echo "soak: ${soak} s of /metrics (1,000 series) at $soak_rate req/s, errors $soak_bad;" \
        "server RSS ${rss_start} kB after warm-up, ${rss_end} kB at the end"
fi
if [ "$errors" -ne 0 ]; then
    echo "wrk_server.sh: $errors errors" >&2
    exit 1
fi
