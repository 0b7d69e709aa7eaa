#!/usr/bin/env bash
# demo_service_test.sh - the demo service's contract (DESIGN.md), end to end on loopback.
# SPDX-License-Identifier: MIT
#
# Usage: tests/e2e/demo_service_test.sh [path/to/demo_service]
#
# Without an argument (or $VITALS_DEMO_SERVICE) it compiles examples/demo_service.cpp with
# ${CXX:-g++}. Then:
#  1. starts it with --port 0 --bind 127.0.0.1 --namespace pywats, reads the port from its
#     one stdout line, and checks /ready turns 200 within 1 s of that line, and that the
#     probe bodies are the ones README and docs/observability.md document;
#  2. scrapes /metrics with curl: the content type, every catalogue family with samples
#     (tests/e2e/demo_service_check.py, Python prometheus_client parser) and
#     `promtool check metrics` clean;
#  3. SIGTERM: exit status 0 within 2 s, and nothing on stdout but the listening line;
#  4. the rest of the contract: `--flag=value` forms with --duration (exit 0 by itself),
#     SIGINT, a bad flag (exit 2 with usage), a port in use (exit 1 with the OS error);
#  5. --token-file (the file's trimmed content is the bearer token /metrics requires; an
#     unreadable, empty or multi-word file exits 1 naming the file) and --drain (on SIGTERM
#     /ready answers 503 at once while /metrics is still served, and the process exits
#     after the drain), in both flag forms; bad --drain values exit 2.
# Every process started here is stopped by PID on exit. Needs curl, promtool and
# /usr/bin/python3 with prometheus_client (Debian: python3-prometheus-client).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vitals-demo-e2e.XXXXXX")
PIDS=()

say() { printf 'demo e2e: %s\n' "$*"; }
fail() { printf 'demo e2e: FAIL: %s\n' "$*" >&2; exit 1; }

cleanup() {
    local rc=$? pid
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if [ "$rc" -ne 0 ] && [ -s "$WORK/demo.err" ]; then
        echo "---- demo_service stderr ----" >&2
        tail -n 20 "$WORK/demo.err" >&2
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
"$PY" -c 'import prometheus_client' 2>/dev/null ||
    fail "python3 with prometheus_client is needed (Debian: python3-prometheus-client)"
for tool in curl promtool; do
    command -v "$tool" >/dev/null || fail "$tool not found (Debian: curl, prometheus)"
done

now() { date +%s.%N; }
# seconds between two `now` readings, printed with millisecond precision
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# wait_exit PID SECONDS: waits for PID to exit within SECONDS; sets EXIT_RC (or fails).
wait_exit() {
    local pid=$1 limit=$2 start
    start=$(now)
    while kill -0 "$pid" 2>/dev/null; do
        if awk -v e="$(elapsed "$start" "$(now)")" -v l="$limit" 'BEGIN { exit !(e > l) }'; then
            fail "pid $pid still running ${limit} s later"
        fi
        sleep 0.02
    done
    EXIT_RC=0
    wait "$pid" || EXIT_RC=$?
}

# listening_port FILE PID: waits up to 5 s for the `listening on` line; prints the port.
listening_port() {
    local file=$1 pid=$2 i port
    for i in $(seq 250); do
        port=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$file")
        if [ -n "$port" ]; then
            echo "$port"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || fail "demo_service exited before listening"
        sleep 0.02
    done
    fail "no 'listening on http://127.0.0.1:PORT' line on stdout within 5 s"
}

# ------------------------------------------------------------------ build
DEMO=${1:-${VITALS_DEMO_SERVICE:-}}
if [ -z "$DEMO" ]; then
    say "compiling examples/demo_service.cpp with ${CXX:-g++}"
    "${CXX:-g++}" -std=c++17 -O1 -I"$ROOT/include" -pthread "$ROOT/examples/demo_service.cpp" \
        -o "$WORK/demo_service"
    DEMO="$WORK/demo_service"
fi
[ -x "$DEMO" ] || fail "not executable: $DEMO"

# ------------------------------------------------------------------ 1. start, readiness
"$DEMO" --port 0 --bind 127.0.0.1 --namespace pywats >"$WORK/demo.out" 2>"$WORK/demo.err" &
DEMO_PID=$!
PIDS+=("$DEMO_PID")
PORT=$(listening_port "$WORK/demo.out" "$DEMO_PID")
LISTENING=$(now)
BASE="http://127.0.0.1:$PORT"
say "demo_service (pid $DEMO_PID) listening on $BASE"
until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$BASE/ready")" = 200 ]; do
    if awk -v e="$(elapsed "$LISTENING" "$(now)")" 'BEGIN { exit !(e > 1.0) }'; then
        fail "/ready did not answer 200 within 1 s of the listening line"
    fi
    sleep 0.02
done
say "ready after $(elapsed "$LISTENING" "$(now)") s"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/live")" = 200 ] ||
    fail "/live is not 200"
# The probe bodies, as README's endpoint table and the guide document them.
[ "$(curl -s --max-time 2 "$BASE/ready")" = ok ] || fail "/ready body is not 'ok'"
[ "$(curl -s --max-time 2 "$BASE/live")" = ok ] || fail "/live body is not 'ok'"
grep -q '^| `/ready` | 200 `ok`, or 503 `unavailable`' "$ROOT/README.md" ||
    fail "README's endpoint table does not document /ready's bodies (ok, unavailable)"
grep -q '^| `/live` | 200 `ok`, or 503 `fail`' "$ROOT/README.md" ||
    fail "README's endpoint table does not document /live's bodies (ok, fail)"
grep -q '^| `/ready` | .* | `ok` / `unavailable` |' "$ROOT/docs/observability.md" ||
    fail "docs/observability.md does not document /ready's bodies (ok, unavailable)"
[ "$(curl -s -o "$WORK/health.json" -w '%{http_code}' --max-time 2 "$BASE/health")" = 200 ] ||
    fail "/health is not 200: $(cat "$WORK/health.json")"

# ------------------------------------------------------------------ 2. scrape
sleep 1 # some simulated traffic beyond the warm-up
curl -s --max-time 5 -D "$WORK/headers" -o "$WORK/metrics.txt" "$BASE/metrics" ||
    fail "scraping /metrics failed"
grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$WORK/headers" ||
    fail "unexpected /metrics content type: $(grep -i '^content-type' "$WORK/headers")"
"$PY" "$ROOT/tests/e2e/demo_service_check.py" pywats "$WORK/metrics.txt" ||
    fail "the scrape misses catalogue families (see above)"
if ! promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.txt" 2>&1; then
    cat "$WORK/promtool.txt" >&2
    fail "promtool check metrics reported problems"
fi
[ ! -s "$WORK/promtool.txt" ] || { cat "$WORK/promtool.txt" >&2; fail "promtool printed output"; }
say "promtool check metrics: clean"

# ------------------------------------------------------------------ 3. SIGTERM
STOP=$(now)
kill -TERM "$DEMO_PID"
wait_exit "$DEMO_PID" 2
[ "$EXIT_RC" -eq 0 ] || fail "exit status $EXIT_RC after SIGTERM, want 0"
say "SIGTERM: exit 0 after $(elapsed "$STOP" "$(now)") s"
[ "$(wc -l <"$WORK/demo.out")" -eq 1 ] ||
    fail "stdout has more than the listening line: $(cat "$WORK/demo.out")"

# ------------------------------------------------------------------ 4. the rest
"$DEMO" --port=0 --bind=127.0.0.1 --namespace=other --duration=0.5 \
    >"$WORK/d.out" 2>"$WORK/d.err" &
PID=$!
PIDS+=("$PID")
(listening_port "$WORK/d.out" "$PID" >/dev/null)
wait_exit "$PID" 3
[ "$EXIT_RC" -eq 0 ] || fail "--duration=0.5: exit status $EXIT_RC, want 0"
say "--flag=value forms and --duration: exit 0 by itself"

"$DEMO" --port 0 --bind 127.0.0.1 >"$WORK/i.out" 2>"$WORK/i.err" &
PID=$!
PIDS+=("$PID")
HELD_PORT=$(listening_port "$WORK/i.out" "$PID")
# The port is held: a second instance on it must fail to listen.
set +e
timeout 10 "$DEMO" --port "$HELD_PORT" --bind 127.0.0.1 >"$WORK/b.out" 2>"$WORK/b.err"
RC=$?
set -e
[ "$RC" -eq 1 ] || fail "bind to a port in use: exit status $RC, want 1"
grep -qi 'in use' "$WORK/b.err" || fail "bind failure without the OS error: $(cat "$WORK/b.err")"
[ ! -s "$WORK/b.out" ] || fail "bind failure printed to stdout"
say "port in use: exit 1, '$(head -n 1 "$WORK/b.err")'"
kill -INT "$PID"
wait_exit "$PID" 2
[ "$EXIT_RC" -eq 0 ] || fail "exit status $EXIT_RC after SIGINT, want 0"
say "SIGINT: exit 0"

set +e
timeout 10 "$DEMO" --port 0 --no-such-flag >"$WORK/f.out" 2>"$WORK/f.err"
RC=$?
set -e
[ "$RC" -eq 2 ] || fail "bad flag: exit status $RC, want 2"
grep -q '^usage: demo_service' "$WORK/f.err" || fail "bad flag: no usage on stderr"
[ ! -s "$WORK/f.out" ] || fail "bad flag printed to stdout"
say "bad flag: exit 2 with usage"

# ------------------------------------------------------------------ 5. --token-file, --drain
printf '  s3cret-Token_1\n\n' >"$WORK/token"
"$DEMO" --port 0 --bind 127.0.0.1 --token-file "$WORK/token" --drain=1.5 \
    >"$WORK/t.out" 2>"$WORK/t.err" &
PID=$!
PIDS+=("$PID")
TPORT=$(listening_port "$WORK/t.out" "$PID")
TBASE="http://127.0.0.1:$TPORT"
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@"; }
until [ "$(code "$TBASE/ready")" = 200 ]; do sleep 0.02; done
[ "$(code "$TBASE/metrics")" = 401 ] || fail "--token-file: /metrics without a token is not 401"
[ "$(code -H 'Authorization: Bearer wrong' "$TBASE/metrics")" = 401 ] ||
    fail "--token-file: a wrong token is not 401"
[ "$(code -H 'Authorization: Bearer s3cret-Token_1' "$TBASE/metrics")" = 200 ] ||
    fail "--token-file: the file's trimmed content is not accepted as the token"
say "--token-file: /metrics needs the file's trimmed content as bearer token"
STOP=$(now)
kill -TERM "$PID"
# During the drain /ready answers 503 and /metrics is still served.
DRAIN_READY=""
for _ in $(seq 50); do
    DRAIN_READY=$(code "$TBASE/ready")
    [ "$DRAIN_READY" = 503 ] && break
    sleep 0.02
done
[ "$DRAIN_READY" = 503 ] || fail "--drain: /ready is not 503 after SIGTERM (got $DRAIN_READY)"
[ "$(code -H 'Authorization: Bearer s3cret-Token_1' "$TBASE/metrics")" = 200 ] ||
    fail "--drain: /metrics not served during the drain"
wait_exit "$PID" 4
[ "$EXIT_RC" -eq 0 ] || fail "--drain: exit status $EXIT_RC after SIGTERM, want 0"
T=$(elapsed "$STOP" "$(now)")
awk -v t="$T" 'BEGIN { exit !(t >= 1.4) }' || fail "--drain=1.5: exited after only $T s"
say "--drain=1.5: /ready 503 and /metrics served during the drain, exit 0 after $T s"

"$DEMO" --port=0 --bind=127.0.0.1 --token-file="$WORK/token" --drain 0 --duration 0.3 \
    >"$WORK/t2.out" 2>"$WORK/t2.err" &
PID=$!
PIDS+=("$PID")
(listening_port "$WORK/t2.out" "$PID" >/dev/null)
wait_exit "$PID" 3
[ "$EXIT_RC" -eq 0 ] || fail "--token-file=PATH --drain 0: exit status $EXIT_RC, want 0"

# expect_exit RC WHAT ARGS...: the demo exits RC with a message on stderr, nothing on stdout.
expect_exit() {
    local want=$1 what=$2 rc
    shift 2
    set +e
    timeout 10 "$DEMO" --port 0 --bind 127.0.0.1 "$@" >"$WORK/x.out" 2>"$WORK/x.err"
    rc=$?
    set -e
    [ "$rc" -eq "$want" ] || fail "$what: exit status $rc, want $want ($(cat "$WORK/x.err"))"
    [ -s "$WORK/x.err" ] || fail "$what: nothing on stderr"
    [ ! -s "$WORK/x.out" ] || fail "$what: printed to stdout"
}
expect_exit 1 "missing token file" --token-file "$WORK/no-such-file"
grep -q "no-such-file.*No such file" "$WORK/x.err" || fail "missing token file: $(cat "$WORK/x.err")"
: >"$WORK/empty"
expect_exit 1 "empty token file" --token-file "$WORK/empty"
grep -q "is empty" "$WORK/x.err" || fail "empty token file: $(cat "$WORK/x.err")"
printf 'two words\n' >"$WORK/words"
expect_exit 1 "token file with two words" --token-file="$WORK/words"
expect_exit 1 "token file that is a directory" --token-file "$WORK"
expect_exit 2 "--drain -1" --drain -1
expect_exit 2 "--drain=abc" --drain=abc
expect_exit 2 "--drain without a value" --drain
expect_exit 2 "--token-file=" --token-file=
say "token file errors exit 1 naming the file; bad --drain values exit 2"
say "PASS"
