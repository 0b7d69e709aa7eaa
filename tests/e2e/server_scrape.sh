#!/usr/bin/env bash
# server_scrape.sh - a real Prometheus scrapes the health server, with and without its token.
# SPDX-License-Identifier: MIT
#
# Usage: tests/e2e/server_scrape.sh
#
# Builds examples/http_service.cpp (${CXX:-g++}), starts it on an ephemeral loopback port
# with a bearer token, and starts Prometheus (Debian package) on another free loopback port
# with three scrape jobs against it: the right token, a wrong token and no token. Prometheus
# asks for OpenMetrics first; the server answers with the text format 0.0.4, which
# Prometheus must accept. Checks through the HTTP API, after a few 1 s scrapes:
#   up{job="token"} == 1, up{job="wrong_token"} == 0, up{job="no_token"} == 0,
#   the server's own vitals_server_requests_total counts the 200s and 401s it answered.
# Both processes are stopped by PID on exit, pass or fail. Needs prometheus, curl, python3.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vitals-scrape.XXXXXX")
SERVICE_PID=""
PROM_PID=""
TOKEN="e2e-$(date +%s)-token"

say() { printf 'server-scrape: %s\n' "$*"; }
fail() { printf 'server-scrape: FAIL: %s\n' "$*" >&2; exit 1; }

stop_pid() { # stop_pid PID: SIGTERM, wait up to 5 s, then SIGKILL
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    stop_pid "$PROM_PID"
    stop_pid "$SERVICE_PID"
    if [ "$rc" -ne 0 ]; then
        for f in service.err prometheus.log; do
            [ -s "$WORK/$f" ] && { echo "---- $f ----" >&2; tail -n 20 "$WORK/$f" >&2; }
        done
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT INT TERM

command -v prometheus >/dev/null || fail "prometheus not found (Debian: prometheus)"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

say "building examples/http_service.cpp"
"${CXX:-g++}" -std=c++17 -O1 -pthread -I"$ROOT/include" -o "$WORK/http_service" \
    "$ROOT/examples/http_service.cpp"

"$WORK/http_service" --port 0 --bind 127.0.0.1 --drain 0 --token "$TOKEN" >"$WORK/service.out" \
    2>"$WORK/service.err" &
SERVICE_PID=$!
for _ in $(seq 50); do
    grep -q '^listening on ' "$WORK/service.out" 2>/dev/null && break
    sleep 0.1
done
PORT=$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/service.out")
[ -n "$PORT" ] || fail "http_service did not print its port"
say "http_service on 127.0.0.1:$PORT"

PROM_PORT=$(free_port)
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: token
    authorization:
      credentials: "$TOKEN"
    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
  - job_name: wrong_token
    authorization:
      credentials: "not-the-token"
    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
  - job_name: no_token
    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
for _ in $(seq 100); do
    curl -sf "127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "127.0.0.1:$PROM_PORT/-/ready" >/dev/null || fail "Prometheus did not become ready"

query() { # query EXPR: prints the first sample value, or "none"
    curl -s "127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'
}

# Wait (at most 20 s) until all three jobs have been scraped a few times.
for _ in $(seq 200); do
    n=$(query 'count(count_over_time(up[1m]) >= 3)')
    [ "$n" = "3" ] && break
    sleep 0.1
done
[ "$n" = "3" ] || fail "Prometheus did not scrape all three jobs three times (got $n)"

check() { # check EXPR EXPECTED
    local got
    got=$(query "$1")
    say "$1 = $got"
    [ "$got" = "$2" ] || fail "$1: expected $2, got $got"
}
check 'up{job="token"}' 1
check 'up{job="wrong_token"}' 0
check 'up{job="no_token"}' 0
# The server's own counters, as scraped: the accepted scrapes and the refused ones.
served=$(query 'vitals_server_requests_total{job="token",path="/metrics",code="200"} >= 2')
[ "$served" != "none" ] || fail "the server did not count the accepted scrapes (code 200)"
refused=$(query 'vitals_server_requests_total{job="token",path="/metrics",code="401"} >= 4')
[ "$refused" != "none" ] || fail "the server did not count the refused scrapes (code 401)"
say "server counted $served accepted and $refused refused scrapes"
check 'vitals_server_ready{job="token"}' 1
say "PASS: Prometheus scraped the server with its token, refused ones were 401"
