#!/bin/sh
# bench/run_core.sh - builds and runs the core benchmarks (issue 2) and prints the table.
# SPDX-License-Identifier: MIT
#
# Usage: bench/run_core.sh [extra Google Benchmark flags]
#   REPS=N          repetitions per case, medians reported (default 7)
#   MIN_TIME=S      --benchmark_min_time per repetition (default 0.2)
#   CXX=...         compiler (default c++), CXXFLAGS (default -O2)
#   BENCH_DIR=...   where the binaries go (default build/bench-core)
#   NO_BUILD=1      use the binaries in BENCH_DIR as they are
#   NO_COMPACT=1    skip the VITALS_COMPACT=1 build
#
# Times are CPU time per operation and thread, medians over REPS repetitions. The machine
# these figures come from is shared and noisy: read every figure beside the baseline of the
# same run, which the ratio column does. Two-thread figures come from BM_lockstep_2threads
# (two pinned threads timed only while both run; see bench_core.cpp), since free-running
# threads on a loaded machine often take turns and hide contention. Needs Google Benchmark
# (Debian libbenchmark-dev) and python3.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_DIR:-$root/build/bench-core}
reps=${REPS:-7}
min_time=${MIN_TIME:-0.2}
cxx=${CXX:-c++}
cxxflags=${CXXFLAGS:--O2}
mkdir -p "$out"

build() { # build <source> <binary> [defines...]
    src=$1 bin=$2
    shift 2
    if [ -n "${NO_BUILD:-}" ] && [ -x "$bin" ]; then return; fi
    if [ -x "$bin" ] && [ -z "$(find "$root/include" "$src" -newer "$bin" -type f | head -n 1)" ]; then
        return
    fi
    echo "building $(basename "$bin")" >&2
    # shellcheck disable=SC2086
    "$cxx" -std=c++17 $cxxflags -DNDEBUG "$@" -I"$root/include" "$src" -o "$bin" \
        -lbenchmark -lpthread
}

build "$root/bench/bench_core.cpp" "$out/bench_core"
build "$root/bench/bench_memory.cpp" "$out/bench_memory"
if [ -z "${NO_COMPACT:-}" ]; then
    build "$root/bench/bench_core.cpp" "$out/bench_core_compact" -DVITALS_COMPACT=1
    build "$root/bench/bench_memory.cpp" "$out/bench_memory_compact" -DVITALS_COMPACT=1
fi

run() { # run <binary> <json> [flags...]
    bin=$1 json=$2
    shift 2
    "$bin" --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
        --benchmark_report_aggregates_only=true --benchmark_out_format=json \
        --benchmark_out="$json" "$@" >/dev/null 2>&1
}

echo "running bench_core ($reps repetitions of ${min_time}s each)" >&2
run "$out/bench_core" "$out/core.json" "$@"
"$out/bench_memory" --benchmark_out_format=json --benchmark_out="$out/memory.json" \
    >/dev/null 2>&1
if [ -z "${NO_COMPACT:-}" ]; then
    echo "running bench_core, VITALS_COMPACT=1 (counters only)" >&2
    run "$out/bench_core_compact" "$out/core_compact.json" \
        --benchmark_filter='baseline_atomic|counter_inc|lockstep' "$@"
    "$out/bench_memory_compact" --benchmark_out_format=json \
        --benchmark_out="$out/memory_compact.json" >/dev/null 2>&1
fi

python3 - "$out" <<'PYEOF'
import json, os, sys

out = sys.argv[1]

def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None, {}
    with open(path) as f:
        data = json.load(f)
    med = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        med[b.get("run_name", b["name"])] = b
    return data, med

data, core = load("core.json")
_, compact = load("core_compact.json")
_, mem = load("memory.json")
_, mem_compact = load("memory_compact.json")

def ns(m, name):
    b = m.get(name)
    if b is None:
        return None
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
    return b["cpu_time"] * scale

a1 = ns(core, "BM_baseline_atomic/threads:1")
rows = []
lockstep_name = "BM_lockstep_2threads/iterations:1/real_time"

def lockstep(m, key):
    b = m.get(lockstep_name)
    return b.get(key) if b else None

def op(label, name, base, base_label, target=None, check=None, m=core, b1=None):
    t = ns(m, name)
    if t is None:
        return
    base_v = b1 if b1 is not None else base
    ratio = t / base_v if base_v else float("nan")
    met = "" if check is None else ("yes" if check(t, ratio) else "**no**")
    rows.append((label, "%.2f ns" % t, "%.2fx %s" % (ratio, base_label), target or "", met))

def row2(label, value, base, base_label, target="", check=None):
    if value is None or not base:
        return
    ratio = value / base
    met = "" if check is None else ("yes" if check(value, ratio) else "**no**")
    rows.append((label, "%.2f ns" % value, "%.2fx %s" % (ratio, base_label), target, met))

l_atomic = lockstep(core, "lockstep_atomic_ns")
op("relaxed atomic fetch_add, 1 thread (baseline)", "BM_baseline_atomic/threads:1", a1, "")
row2("relaxed atomic fetch_add, 2 threads on one variable", l_atomic, a1, "of 1-thread atomic")
op("plain (non-atomic) increment", "BM_baseline_plain", a1, "of atomic")
op("counter.inc(), 1 thread", "BM_counter_inc/threads:1", a1, "of atomic",
   "<= 1.2x atomic", lambda t, r: r <= 1.2)
row2("counter.inc(), 2 threads on one counter", lockstep(core, "lockstep_counter_ns"),
     l_atomic, "of 2-thread atomic", "<= 0.5x 2-thread atomic", lambda t, r: r <= 0.5)
op("gauge.set()", "BM_gauge_set", a1, "of atomic")
op("histogram.observe(), 10 default buckets", "BM_histogram_observe", a1, "of atomic",
   "<= 3x atomic", lambda t, r: r <= 3.0)
op("family.labels(3 values).inc(), 256 series", "BM_labels_lookup_inc/threads:1", a1,
   "of atomic", "< 60 ns", lambda t, r: t < 60.0)
row2("family.labels(3 values).inc(), 2 threads", lockstep(core, "lockstep_lookup_ns"), a1,
     "of 1-thread atomic")
if compact:
    c1 = ns(compact, "BM_baseline_atomic/threads:1")
    op("VITALS_COMPACT=1: counter.inc(), 1 thread", "BM_counter_inc/threads:1", c1,
       "of atomic (same run)", m=compact)
    row2("VITALS_COMPACT=1: counter.inc(), 2 threads", lockstep(compact, "lockstep_counter_ns"),
         lockstep(compact, "lockstep_atomic_ns"), "of 2-thread atomic (same run)")

for mode, pretty in (("string", "std::string, reused"), ("sink", "sink, 4 KiB buffer")):
    for n in (100, 1000, 10000):
        b = core.get("BM_serialize_%s/%d" % (mode, n))
        if b is None:
            continue
        t_ms = ns(core, "BM_serialize_%s/%d" % (mode, n)) / 1e6
        gbs = b.get("bytes_per_second", 0) / 1e9
        checks = [gbs >= 1.0]
        target = ">= 1 GB/s"
        if n == 10000:
            checks.append(t_ms < 3.5)
            target += ", < 3.5 ms"
        rows.append(("serialize %d mixed series (%s)" % (n, pretty),
                     "%.3f ms, %.2f GB/s" % (t_ms, gbs), "", target,
                     "yes" if all(checks) else "**no**"))

print("| operation | median (CPU time per op and thread) | ratio | target | met? |")
print("|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")

overlap = lockstep(core, "lockstep_overlap")
if overlap is not None:
    print("\n2-thread rows: two pinned threads in lockstep; %.0f%% of their phases ran with both "
          "threads on a CPU at once (median over repetitions)%s" % (
              100 * overlap, "" if overlap >= 0.2 else
              " - too few: the 2-thread figures of this run are inconclusive"))

def mem_rows(m, label):
    for kind in ("counter", "gauge", "histogram"):
        b = m.get("BM_memory_%s_series/iterations:1" % kind)
        if b:
            print("| %s | %s | %d | %.0f |" % (kind, label, b["sizeof_metric"],
                                              b["heap_bytes_per_series"]))
if mem:
    print("\n| series of a 3-label family | build | sizeof(metric) | heap bytes per series "
          "(all included) |")
    print("|---|---|---|---|")
    mem_rows(mem, "default (VITALS_COUNTER_STRIPES=%d)" %
             mem["BM_memory_counter_series/iterations:1"]["stripes"])
    if mem_compact:
        mem_rows(mem_compact, "VITALS_COMPACT=1")

ctx = data.get("context", {}) if data else {}
print("\n%s, %d CPUs at %d MHz; %s repetitions, medians; %s" % (
    ctx.get("host_name", "?"), ctx.get("num_cpus", 0), ctx.get("mhz_per_cpu", 0),
    os.environ.get("REPS", "7"), ctx.get("date", "")))
PYEOF
