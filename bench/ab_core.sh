#!/bin/sh
# bench/ab_core.sh - one recording-path change measured against a baseline revision, paired.
# SPDX-License-Identifier: MIT
#
# Usage: BASELINE=<git revision> bench/ab_core.sh
#   BASELINE=REV   the revision to compare the working tree with (required), e.g. HEAD~1
#   ROUNDS=N       rounds (default 8); each runs every binary once, alternating old and new
#   REPS=N         repetitions per binary and round (default 10, of MIN_TIME seconds each)
#   MIN_TIME=S     --benchmark_min_time per repetition (default 0.05)
#   CXX, CXXFLAGS  compiler (default c++) and flags (default -O2)
#   EXTRA=REGEX    more bench_core cases to time besides the defaults, e.g.
#                  EXTRA='BM_counter_inc_exemplar|BM_histogram_observe_exemplar' or
#                  EXTRA='BM_serialize_string/10000|BM_serialize_to_text/10000' (times in
#                  microseconds are shown as such, without a ratio to the fetch_add)
#
# Builds bench/bench_core.cpp and bench/bench_kits.cpp from the working tree and from
# BASELINE (its include/ and bench/, via git archive), then alternates the old and new
# binaries ROUNDS times, so that both see the same machine over the same minutes. For each
# case it prints, old and new, the minimum and the first quartile over all ROUNDS x REPS
# repetitions and the ratio to its binary's own baseline (a relaxed fetch_add for the core
# cases, two steady_clock reads for the tracked request). On a shared machine noise only
# adds time, so the minimum is the steadiest estimate of what a change did; run_core.sh's
# medians remain the figures to compare with other libraries and targets. Needs Google
# Benchmark (Debian libbenchmark-dev) and python3.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
baseline=${BASELINE:?"set BASELINE to a git revision, e.g. BASELINE=HEAD~1"}
rounds=${ROUNDS:-8}
reps=${REPS:-10}
min_time=${MIN_TIME:-0.05}
cxx=${CXX:-c++}
cxxflags=${CXXFLAGS:--O2}
work=$(mktemp -d "${TMPDIR:-/tmp}/vitals-ab.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/old"
git -C "$root" archive "$baseline" include bench | tar -x -C "$work/old"
for side in old new; do
    src=$root
    [ "$side" = old ] && src=$work/old
    for suite in core kits; do
        # shellcheck disable=SC2086 # CXXFLAGS is a word list
        "$cxx" -std=c++17 $cxxflags -DNDEBUG -I"$src/include" "$src/bench/bench_$suite.cpp" \
            -o "$work/${suite}_$side" -lbenchmark -lpthread &
    done
done
wait

core_cases='BM_baseline_atomic/threads:1|BM_counter_inc/threads:1|BM_histogram_observe|BM_labels_lookup_inc/threads:1'
core_cases="^($core_cases${EXTRA:+|$EXTRA})\$"
kits_cases='^(BM_baseline_two_clock_reads|BM_tracked_request_cached/threads:1)$'
echo "# $(git -C "$root" rev-parse --short "$baseline") (old) against the working tree (new):" \
    "$rounds rounds of $reps repetitions, $(date -u +%Y-%m-%dT%H:%M)Z, load $(cut -d' ' -f1-3 /proc/loadavg)"
i=0
while [ "$i" -lt "$rounds" ]; do
    for side in old new; do
        for suite in core kits; do
            cases=$core_cases
            [ "$suite" = kits ] && cases=$kits_cases
            # JSON, not CSV: Google Benchmark's CSV reporter aborts when a case adds a user
            # counter (the serialization cases' "bytes") that earlier cases did not have.
            "$work/${suite}_$side" --benchmark_filter="$cases" --benchmark_repetitions="$reps" \
                --benchmark_min_time="$min_time" --benchmark_format=json \
                >"$work/run_${i}_${side}_$suite.json" 2>/dev/null ||
                { echo "ab_core.sh: ${suite}_$side failed in round $i" >&2; exit 1; }
        done
    done
    i=$((i + 1))
done

python3 - "$work" <<'PYEOF'
import collections
import glob
import json
import os
import sys

NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
times = collections.defaultdict(list)
for path in sorted(glob.glob(os.path.join(sys.argv[1], "run_*.json"))):
    side = os.path.basename(path).split("_")[2]
    with open(path) as f:
        for run in json.load(f)["benchmarks"]:
            if run.get("run_type") == "aggregate":
                continue
            times[(run["name"], side)].append(run["cpu_time"] * NS_PER_UNIT[run["time_unit"]])

baseline_of = {"BM_tracked_request_cached/threads:1": "BM_baseline_two_clock_reads",
               "BM_baseline_two_clock_reads": "BM_baseline_two_clock_reads"}


def show(ns):
    if ns is None:
        return "-"
    return "%.2f ns" % ns if ns < 1e4 else "%.1f us" % (ns / 1e3)


names = []
for name, _ in times:
    if name not in names:
        names.append(name)
print("| case | old min | new min | new/old | old ratio | new ratio | old q1 | new q1 |")
print("|---|---|---|---|---|---|---|---|")
for name in names:
    row = {}
    for side in ("old", "new"):
        xs = sorted(times[(name, side)])
        if not xs:  # a case only one side's bench/ has
            row[side] = (None, None, "-")
            continue
        base = sorted(times[(baseline_of.get(name, "BM_baseline_atomic/threads:1"), side)])
        # A ratio to a few-nanosecond baseline says nothing about a case that takes microseconds.
        ratio = "%.2fx" % (xs[0] / base[0]) if base and xs[0] < 1000 * base[0] else "-"
        row[side] = (xs[0], xs[len(xs) // 4], ratio)
    old, new = row["old"], row["new"]
    change = "%.2fx" % (new[0] / old[0]) if old[0] and new[0] else "-"
    print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
        name, show(old[0]), show(new[0]), change, old[2], new[2], show(old[1]), show(new[1])))
print()
print("min: the fastest of all repetitions; ratio: min over the min of the same binary's "
      "baseline (the relaxed fetch_add, or two steady_clock reads for the tracked request); "
      "q1: the first quartile, to show the spread.")
PYEOF
