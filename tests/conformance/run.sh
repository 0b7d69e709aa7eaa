#!/usr/bin/env bash
# tests/conformance/run.sh - checks a generated exposition with promtool and with the Python
# prometheus_client parser.
# SPDX-License-Identifier: MIT
#
#   tests/conformance/run.sh [GENERATOR]
#
# Without GENERATOR, builds tests/conformance/gen_exposition.cpp with ${CXX:-g++} -Iinclude,
# once in the default configuration and once with VITALS_COMPACT=1, and requires both to write
# the same bytes. Then, for the exposition:
#   1. `promtool check metrics` must exit 0 and print nothing (no lint problems);
#   2. tests/conformance/parse.py (run with /usr/bin/python3, which sees Debian's
#      prometheus_client) must find exactly the families and samples the generator expects.
# Then the generator's OpenMetrics exposition (--openmetrics) and every OpenMetrics golden file
# (tests/golden/openmetrics/*.txt) go through prometheus_client's OpenMetrics parser
# (tests/conformance/parse_openmetrics.py); the generator's must hold the expected samples.
# Last, without GENERATOR, run_random.sh checks random registries made from seeds 1 to
# ${SEEDS:-60} the same ways (gen_random.cpp, check_random.py).
# Exits non-zero on any problem and ends with a one-line summary.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/vitals-conformance.XXXXXX")"
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

if (($# > 1)); then
    echo "usage: $0 [GENERATOR]" >&2
    exit 2
fi

cxx="${CXX:-g++}"
flags=(-std=c++17 -O1 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror "-I$root/include")
if (($# == 1)); then
    gen="$1"
    [[ -x "$gen" ]] || { echo "FAIL: generator '$gen' is not an executable file"; exit 1; }
else
    echo "== building the generator with $cxx (default and VITALS_COMPACT=1)"
    "$cxx" "${flags[@]}" "$here/gen_exposition.cpp" -o "$work/gen_exposition" ||
        { echo "FAIL: could not build gen_exposition.cpp"; exit 1; }
    "$cxx" "${flags[@]}" -DVITALS_COMPACT=1 "$here/gen_exposition.cpp" \
        -o "$work/gen_exposition_compact" ||
        { echo "FAIL: could not build gen_exposition.cpp with VITALS_COMPACT=1"; exit 1; }
    gen="$work/gen_exposition"
fi

if ! "$gen" --expect "$work/expected.jsonl" >"$work/exposition.txt"; then
    echo "FAIL: the generator exited with an error"
    exit 1
fi
echo "== exposition: $(wc -l <"$work/exposition.txt") lines, $(wc -c <"$work/exposition.txt") bytes"

if [[ -x "$work/gen_exposition_compact" ]]; then
    if "$work/gen_exposition_compact" >"$work/exposition_compact.txt" &&
        cmp -s "$work/exposition.txt" "$work/exposition_compact.txt"; then
        echo "ok: the VITALS_COMPACT build writes the same bytes"
    else
        fail "the VITALS_COMPACT build writes different text:"
        diff "$work/exposition.txt" "$work/exposition_compact.txt" | head -20
    fi
fi

echo "== promtool check metrics"
if ! command -v promtool >/dev/null 2>&1; then
    fail "promtool not found (Debian: apt-get install prometheus)"
else
    promtool check metrics <"$work/exposition.txt" >"$work/promtool.out" 2>&1
    rc=$?
    if ((rc != 0)) || [[ -s "$work/promtool.out" ]]; then
        fail "promtool check metrics: exit $rc"
        sed 's/^/  /' "$work/promtool.out"
    else
        echo "ok: promtool check metrics: exit 0, no lint problems"
    fi
fi

echo "== prometheus_client text parser"
python=/usr/bin/python3
[[ -x "$python" ]] || python=python3
if ! "$python" "$here/parse.py" "$work/exposition.txt" "$work/expected.jsonl"; then
    fail "prometheus_client parser check"
fi

echo "== prometheus_client OpenMetrics parser"
if ! "$gen" --openmetrics >"$work/exposition.om"; then
    fail "the generator exited with an error (--openmetrics)"
elif ! "$python" "$here/parse_openmetrics.py" --expect "$work/expected.jsonl" \
    "$work/exposition.om" "$root"/tests/golden/openmetrics/*.txt; then
    fail "prometheus_client OpenMetrics parser check"
fi

if (($# == 0)); then
    echo "== random registries (run_random.sh, seeds 1 to ${SEEDS:-60})"
    bash "$here/run_random.sh" || fail "random registries (run_random.sh)"
fi

if ((failures == 0)); then
    echo "conformance: passed (promtool, prometheus_client text and OpenMetrics, compact build," \
        "random registries)"
    exit 0
fi
echo "conformance: $failures check(s) failed"
exit 1
