#!/usr/bin/env bash
# tests/migration/compare.sh - runs the same operations through prometheus-cpp and through
# vitals (orders_prometheus_cpp.cpp and its port, orders_vitals.cpp) and checks that they
# expose the same samples but for the differences docs/migrating-from-prometheus-cpp.md
# lists (tests/migration/compare.py).
# SPDX-License-Identifier: MIT
#
#   tests/migration/compare.sh [--prometheus]
#
# --prometheus also serves both programs, vitals twice (text format only, and OpenMetrics
# when asked), has a Prometheus scrape the three and compares the series it stored.
# prometheus-cpp is optional: without it (Debian: prometheus-cpp-dev) the script says so and
# exits 0. Needs g++ (or $CXX), python3 with prometheus_client; --prometheus needs prometheus.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/vitals-migration.XXXXXX")"
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

with_prometheus=0
case "${1:-}" in
"") ;;
--prometheus) with_prometheus=1 ;;
*) echo "usage: $0 [--prometheus]" >&2; exit 2 ;;
esac

cxx="${CXX:-g++}"
if ! echo '#include <prometheus/registry.h>' | "$cxx" -std=c++17 -x c++ -fsyntax-only - 2>/dev/null; then
    echo "skipped: prometheus-cpp is not installed (Debian: prometheus-cpp-dev)"
    exit 0
fi
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
    { echo "FAIL: python3 lacks prometheus_client (Debian: python3-prometheus-client)"; exit 1; }

echo "== building both programs with $cxx"
"$cxx" -std=c++17 -O1 -Wall -Wextra -Werror "$here/orders_prometheus_cpp.cpp" \
    -o "$work/orders_prometheus_cpp" -lprometheus-cpp-pull -lprometheus-cpp-core -pthread ||
    { echo "FAIL: could not build orders_prometheus_cpp.cpp"; exit 1; }
"$cxx" -std=c++17 -O1 -Wall -Wextra -Wshadow -Werror "-I$root/include" "$here/orders_vitals.cpp" \
    -o "$work/orders_vitals" -pthread ||
    { echo "FAIL: could not build orders_vitals.cpp"; exit 1; }

echo "== the two expositions"
"$work/orders_prometheus_cpp" --print >"$work/cpp.txt" || { echo "FAIL: prometheus-cpp run"; exit 1; }
"$work/orders_vitals" --print >"$work/vitals.txt" || { echo "FAIL: vitals run"; exit 1; }
failed=0
/usr/bin/python3 "$here/compare.py" expositions "$work/cpp.txt" "$work/vitals.txt" || failed=1

if ((with_prometheus)); then
    command -v prometheus >/dev/null || { echo "FAIL: prometheus not found"; exit 1; }
    echo "== serving both, scraped by $(prometheus --version 2>&1 | head -n 1)"
    # start NAME COMMAND...: runs it in the background; sets $port from "listening on N".
    start() {
        local name="$1"
        shift
        "$@" >"$work/$name.out" 2>"$work/$name.err" &
        pids+=("$!")
        for _ in $(seq 50); do
            port=$(awk '/^listening on/ {print $3}' "$work/$name.out")
            [[ -n "$port" ]] && return 0
            sleep 0.1
        done
        echo "FAIL: $name did not start: $(cat "$work/$name.err")"
        exit 1
    }
    start promcpp "$work/orders_prometheus_cpp" 0 60
    cpp_port=$port
    start vitals_text "$work/orders_vitals" 0 60
    text_port=$port
    start vitals_openmetrics "$work/orders_vitals" 0 60 --openmetrics
    om_port=$port
    prom_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: promcpp
    static_configs: [{targets: ["127.0.0.1:$cpp_port"]}]
  - job_name: vitals_text
    static_configs: [{targets: ["127.0.0.1:$text_port"]}]
  - job_name: vitals_openmetrics
    static_configs: [{targets: ["127.0.0.1:$om_port"]}]
YAML
    prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
        --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
    pids+=("$!")
    url="http://127.0.0.1:$prom_port"
    up=""
    for _ in $(seq 60); do
        up=$(curl -s "$url/api/v1/query?query=sum(up)" |
            /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null)
        [[ "$up" == "3" ]] && break
        sleep 0.5
    done
    [[ "$up" == "3" ]] || { echo "FAIL: Prometheus did not scrape all three targets (up: '$up')"; exit 1; }
    sleep 2 # a second scrape of each
    /usr/bin/python3 "$here/compare.py" series "$url" || failed=1
fi

if ((failed)); then
    echo "FAIL: prometheus-cpp and vitals differ beyond what the migration guide lists"
    exit 1
fi
echo "PASS: prometheus-cpp and vitals expose the same, but for the listed differences"
