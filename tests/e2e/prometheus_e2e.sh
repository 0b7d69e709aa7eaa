#!/usr/bin/env bash
# prometheus_e2e.sh - prove the deploy kit and the guide against a real Prometheus.
# SPDX-License-Identifier: MIT
#
# Usage: tests/e2e/prometheus_e2e.sh [path/to/demo_service]
#
#  1. promtool: check config (prometheus.yml, kubernetes-pods.yml), check rules and
#     test rules (alerts.yml, alerts_test.yml); the Kubernetes/compose/Grafana files are
#     checked by tests/deploy/check_manifests.py.
#  2. Starts demo_service on an ephemeral loopback port and Prometheus (Debian package) on
#     another free loopback port, with a temporary storage dir and a 1 s scrape and rule
#     evaluation interval, using a configuration derived from deploy/prometheus/prometheus.yml.
#     A scrape with Prometheus' own Accept header must be OpenMetrics 1.0.0 that
#     prometheus_client's OpenMetrics parser accepts, with units, an info family for
#     NS_build_info and exemplars carrying trace ids (prometheus_e2e.py openmetrics).
#  3. Waits for the target to be up for a few scrapes, then evaluates every PromQL expression
#     of the dashboards, the alert rules and docs/observability.md through the HTTP API
#     (tests/e2e/prometheus_e2e.py) and prints a summary. Prometheus runs with
#     --enable-feature=exemplar-storage, and /api/v1/query_exemplars must return the demo's
#     trace ids (prometheus_e2e.py exemplars).
# Both processes are stopped by PID on exit, pass or fail. Needs: prometheus, promtool, curl,
# /usr/bin/python3 with PyYAML, and a demo_service binary (argument, $VITALS_DEMO_SERVICE,
# else compiled here from examples/demo_service.cpp with ${CXX:-g++}).
# Set VITALS_E2E_KEEP=1 to keep the work directory (logs, generated config).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HELPER="$ROOT/tests/e2e/prometheus_e2e.py"
START=$(date +%s)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vitals-e2e.XXXXXX")
DEMO_PID=""
PROM_PID=""

say() { printf 'e2e: %s\n' "$*"; }
fail() { printf 'e2e: FAIL: %s\n' "$*" >&2; exit 1; }

stop_pid() { # stop_pid PID NAME: SIGTERM, wait up to 5 s, then SIGKILL
    local pid=$1 name=$2 i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name (pid $pid) ignored SIGTERM for 5 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    stop_pid "$PROM_PID" prometheus
    stop_pid "$DEMO_PID" demo_service
    if [ "$rc" -ne 0 ]; then
        for f in demo.err prometheus.log; do
            if [ -s "$WORK/$f" ]; then
                echo "---- last lines of $f ----" >&2
                tail -n 20 "$WORK/$f" >&2
            fi
        done
    fi
    if [ "${VITALS_E2E_KEEP:-0}" = 1 ]; then
        say "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    say "finished in $(($(date +%s) - START)) s, exit status $rc"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ tools
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
[ -n "$PY" ] && "$PY" -c 'import yaml' 2>/dev/null ||
    fail "python3 with PyYAML is needed (Debian: apt-get install python3-yaml)"
for tool in prometheus promtool curl; do
    command -v "$tool" >/dev/null || fail "$tool not found (Debian: apt-get install prometheus curl)"
done
say "$(prometheus --version 2>&1 | head -n 1)"

# The Debian package starts a system Prometheus on :9090 where systemd runs. This test never
# uses it (its own Prometheus listens on a free loopback port), but say so: it also holds
# port 9090, the vitals server's default.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ] &&
    systemctl is-active --quiet prometheus.service 2>/dev/null; then
    say "note: the system service prometheus.service is running (started by the Debian package);"
    say "      it listens on :9090 and is not used by this test. Stop it with: systemctl stop prometheus"
fi

# ------------------------------------------------------------------ 1. static checks
cd "$ROOT"
say "promtool check config deploy/prometheus/prometheus.yml"
promtool check config deploy/prometheus/prometheus.yml
say "promtool check config deploy/prometheus/kubernetes-pods.yml (Kubernetes SD swapped for a static target)"
"$PY" "$HELPER" k8s-config >"$WORK/kubernetes-pods.yml"
promtool check config "$WORK/kubernetes-pods.yml"
say "promtool check rules deploy/prometheus/alerts.yml"
promtool check rules deploy/prometheus/alerts.yml
say "promtool test rules deploy/prometheus/alerts_test.yml"
promtool test rules deploy/prometheus/alerts_test.yml
say "tests/deploy/check_manifests.py"
"$PY" tests/deploy/check_manifests.py
say "extracting queries"
"$PY" "$HELPER" extract || say "extraction problems: they fail the evaluation step below"

# ------------------------------------------------------------------ 2. demo_service
DEMO=${1:-${VITALS_DEMO_SERVICE:-}}
if [ -z "$DEMO" ]; then
    [ -f "$ROOT/examples/demo_service.cpp" ] || fail "examples/demo_service.cpp not found"
    say "compiling examples/demo_service.cpp with ${CXX:-g++}"
    "${CXX:-g++}" -std=c++17 -O0 -I"$ROOT/include" -pthread "$ROOT/examples/demo_service.cpp" \
        -o "$WORK/demo_service"
    DEMO="$WORK/demo_service"
fi
[ -x "$DEMO" ] || fail "demo_service is not executable: $DEMO"
say "starting $DEMO --port 0 --bind 127.0.0.1 --namespace demo"
"$DEMO" --port 0 --bind 127.0.0.1 --namespace demo >"$WORK/demo.out" 2>"$WORK/demo.err" &
DEMO_PID=$!
DEMO_ADDR=""
for i in $(seq 100); do
    DEMO_ADDR=$(sed -n 's#^listening on http://\(127\.0\.0\.1:[0-9][0-9]*\)$#\1#p' "$WORK/demo.out")
    [ -n "$DEMO_ADDR" ] && break
    kill -0 "$DEMO_PID" 2>/dev/null || fail "demo_service exited before listening"
    sleep 0.1
done
[ -n "$DEMO_ADDR" ] || fail "demo_service printed no 'listening on http://127.0.0.1:PORT' line in 10 s"
say "demo_service (pid $DEMO_PID) listening on $DEMO_ADDR"
# The endpoints as a kubelet and Prometheus see them (this also gives the server's request
# counter /live, /ready and /health series for the queries below).
probe() { curl -sS -o "$WORK/body" -w '%{http_code} %{content_type}' "$@"; }
READY=""
for i in $(seq 30); do
    READY=$(probe "http://$DEMO_ADDR/ready")
    [ "${READY%% *}" = 200 ] && break
    sleep 0.1
done
say "GET /ready: $READY (body: $(cat "$WORK/body"))"
[ "${READY%% *}" = 200 ] || fail "/ready did not answer 200 within 3 s"
LIVE=$(probe "http://$DEMO_ADDR/live")
say "GET /live: $LIVE"
[ "${LIVE%% *}" = 200 ] || fail "/live answered $LIVE"
HEALTH=$(probe "http://$DEMO_ADDR/health")
say "GET /health: $HEALTH $(head -c 200 "$WORK/body")"
case "$HEALTH" in
    "200 application/json"*) grep -q '"status": *"pass"' "$WORK/body" || fail "/health body is not a pass" ;;
    *) fail "/health answered $HEALTH" ;;
esac
CT=$(probe "http://$DEMO_ADDR/metrics")
say "GET /metrics: $CT, $(wc -l <"$WORK/body") lines"
case "$CT" in
    "200 text/plain; version=0.0.4"*) ;;
    *) fail "unexpected /metrics answer: $CT" ;;
esac
LINT_RC=0
promtool check metrics <"$WORK/body" 2>"$WORK/lint" || LINT_RC=$?
case "$LINT_RC" in
    0) say "promtool check metrics: clean" ;;
    3) say "promtool check metrics: lint notes (not a failure here):"; sed 's/^/e2e:   /' "$WORK/lint" ;;
    *) cat "$WORK/lint" >&2; fail "promtool check metrics cannot parse the exposition" ;;
esac

# The exact Accept header Prometheus 2.x sends: OpenMetrics preferred.
OM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
CT=$(probe -H "Accept: $OM_ACCEPT" "http://$DEMO_ADDR/metrics")
say "GET /metrics (Prometheus' Accept): $CT, $(wc -l <"$WORK/body") lines"
case "$CT" in
    "200 application/openmetrics-text; version=1.0.0"*) ;;
    *) fail "an Accept preferring OpenMetrics got: $CT" ;;
esac
"$PY" "$HELPER" openmetrics "$WORK/body" --namespace demo

# ------------------------------------------------------------------ 3. Prometheus
PROM_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$PY" "$HELPER" make-config --target "$DEMO_ADDR" >"$WORK/prometheus.yml"
promtool check config "$WORK/prometheus.yml" >/dev/null
mkdir "$WORK/data"
say "starting prometheus on 127.0.0.1:$PROM_PORT (1 s scrape and evaluation interval, exemplar storage)"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
    --enable-feature=exemplar-storage \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
for i in $(seq 150); do
    curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1 && break
    kill -0 "$PROM_PID" 2>/dev/null || fail "prometheus exited during startup"
    sleep 0.1
done
curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null || fail "prometheus not ready in 15 s"
say "prometheus (pid $PROM_PID) ready"

# ------------------------------------------------------------------ 4. every query
"$PY" "$HELPER" evaluate --prometheus "http://127.0.0.1:$PROM_PORT" --job vitals
"$PY" "$HELPER" exemplars --prometheus "http://127.0.0.1:$PROM_PORT" --namespace demo
kill -0 "$DEMO_PID" 2>/dev/null || fail "demo_service died during the test"
say "PASS"
