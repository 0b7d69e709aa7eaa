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
# threads on a loaded machine often take turns and hide contention; each lockstep run also
# times two controls that share nothing between their threads, which show whether the host
# gave the run two cores (0.50x of one thread when it did). Needs Google Benchmark
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
build "$root/bench/bench_kits.cpp" "$out/bench_kits"
# prometheus-cpp (Debian prometheus-cpp-dev), the peer in the same run: only when installed.
peers=
if [ -z "${NO_PEERS:-}" ] && echo '#include <prometheus/counter.h>' |
    "$cxx" -std=c++17 -x c++ -fsyntax-only - 2>/dev/null; then
    peers=1
    if [ -z "${NO_BUILD:-}" ] || [ ! -x "$out/bench_peers" ]; then
        echo "building bench_peers (prometheus-cpp)" >&2
        # shellcheck disable=SC2086
        "$cxx" -std=c++17 $cxxflags -DNDEBUG "$root/bench/bench_peers.cpp" -o "$out/bench_peers" \
            -lprometheus-cpp-core -lbenchmark -lpthread
    fi
fi
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
if [ -n "$peers" ]; then
    echo "running bench_peers (prometheus-cpp)" >&2
    run "$out/bench_peers" "$out/peers.json" "$@"
else
    rm -f "$out/peers.json"
fi
echo "running bench_kits (tracked requests)" >&2
run "$out/bench_kits" "$out/kits.json" \
    --benchmark_filter='baseline_two_clock|tracked_request_cached/threads:1|lockstep' "$@"
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
_, kits = load("kits.json")
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

def op(label, name, base, base_label, target=None, check=None, m=core):
    t = ns(m, name)
    if t is None:
        return
    ratio = t / base if base else float("nan")
    met = "" if check is None else ("yes" if check(t, ratio) else "**no**")
    rows.append((label, "%.2f ns" % t, "%.2fx %s" % (ratio, base_label), target or "", met))

def row2(label, value, base, base_label, target="", check=None):
    if value is None or not base:
        return
    ratio = value / base
    met = "" if check is None else ("yes" if check(value, ratio) else "**no**")
    rows.append((label, "%.2f ns" % value, "%.2fx %s" % (ratio, base_label), target, met))

def scaling(label, m, kind, target_ratio=None):
    """Two threads on one metric: wall ns per operation of the pair, against one thread alone
    in the same lockstep run. Not reported when the threads did not run together."""
    one, two = lockstep(m, "lockstep_%s_1" % kind), lockstep(m, "lockstep_%s_2" % kind)
    overlap = lockstep(m, "lockstep_%s_overlap" % kind)
    if two is None:
        if overlap is not None:
            rows.append((label, "not reported", "", "",
                         "threads ran together in %.0f%% of phases" % (100 * overlap)))
        return
    target = "" if target_ratio is None else "<= %.1fx of 1 thread" % target_ratio
    check = None if target_ratio is None else (lambda t, r: r <= target_ratio)
    cpu = lockstep(m, "lockstep_%s_cpu" % kind)
    row2("%s (wall per op of the pair; CPU/wall %.2f)" % (label, cpu), two, one,
         "of 1 thread", target, check)

op("relaxed atomic fetch_add, 1 thread (baseline)", "BM_baseline_atomic/threads:1", a1, "")
op("plain (non-atomic) increment", "BM_baseline_plain", a1, "of atomic")
op("counter.inc(), 1 thread", "BM_counter_inc/threads:1", a1, "of atomic",
   "<= 0.5x atomic", lambda t, r: r <= 0.5)
op("gauge.set()", "BM_gauge_set", a1, "of atomic")
op("histogram.observe(), 10 default buckets", "BM_histogram_observe", a1, "of atomic",
   "<= 1.5x atomic", lambda t, r: r <= 1.5)
op("its floor: the values added to one double in memory (load, add, store)",
   "BM_baseline_sum_in_memory", a1, "of atomic")
op("family.labels(3 values).inc(), 256 series", "BM_labels_lookup_inc/threads:1", a1,
   "of atomic", "<= 2.5x atomic", lambda t, r: r <= 2.5)
op("its floor: hashing the same 3 values alone, with the family's keyed hash",
   "BM_baseline_hash_label_values", a1, "of atomic")
op("the same with std::hash<std::string_view> (what an unordered_map key costs)",
   "BM_baseline_std_hash_three_values", a1, "of atomic")
row2("the same lookups past the series bound (all overflowed), 1 thread",
     ns(core, "BM_labels_lookup_overflowed/threads:1"), ns(core, "BM_labels_lookup_inc/threads:1"),
     "of a known lookup", "<= 1.2x", lambda t, r: r <= 1.2)
scaling("relaxed atomic fetch_add, 2 threads on one variable", core, "atomic")
scaling("counter.inc(), 2 threads on one counter", core, "counter", 0.6)
scaling("histogram.observe(), 2 threads on one histogram", core, "observe", 0.6)
scaling("histogram.observe(v, exemplar), 2 threads on one histogram", core, "observe_exemplar")
scaling("family.labels(3 values).inc(), 2 threads", core, "lookup", 0.6)
scaling("the same lookups, all overflowed, 2 threads", core, "overflowed", 0.6)
scaling("the same lookups without the increment, 2 threads", core, "lookup_only")
scaling("control: 16 multiply-adds in a register, 2 threads (0.50x when the threads ran at"
        " once)", core, "control")
scaling("control: 16 increments of a variable of each thread's own, 2 threads (0.50x on two"
        " cores of their own)", core, "control_memory")
if compact:
    c1 = ns(compact, "BM_baseline_atomic/threads:1")
    op("VITALS_COMPACT=1: counter.inc(), 1 thread", "BM_counter_inc/threads:1", c1,
       "of atomic (same run)", m=compact)
    scaling("VITALS_COMPACT=1: counter.inc(), 2 threads", compact, "counter")

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

clocks = ns(kits, "BM_baseline_two_clock_reads")
op("tracked request, cached endpoint, 1 thread", "BM_tracked_request_cached/threads:1", clocks,
   "of its two steady_clock reads", "<= 1.5x", lambda t, r: r <= 1.5, m=kits)
kl = kits.get("BM_lockstep_tracked/iterations:1/real_time", {})
# The same ratio from the lockstep run's one-thread phases, which alternate the tracked request
# with its clock reads (on CPU 0): the two rows above ran seconds apart, and a host that slows
# the CPU between them moves their ratio.
if kl.get("lockstep_tracked_1") and kl.get("lockstep_clocks_1"):
    rows.append(("same, 1 thread, in phases alternated with its clock reads (lockstep, CPU 0)",
                 "%.2f ns" % kl["lockstep_tracked_1"], "%.2fx of its two steady_clock reads (%.2f ns)"
                 % (kl["lockstep_tracked_1"] / kl["lockstep_clocks_1"], kl["lockstep_clocks_1"]),
                 "", ""))
if kl.get("lockstep_tracked_2") and kl.get("lockstep_tracked_1"):
    speedup = kl["lockstep_tracked_1"] / kl["lockstep_tracked_2"]
    rows.append(("tracked request, 2 threads on one endpoint (CPU/wall %.2f)"
                 % kl["lockstep_tracked_cpu"], "%.2f ns per request of the pair"
                 % kl["lockstep_tracked_2"], "%.2fx the requests/s of 1 thread" % speedup,
                 ">= 1.6x", "yes" if speedup >= 1.6 else "**no**"))
elif kl:
    rows.append(("tracked request, 2 threads on one endpoint", "not reported", "", "",
                 "threads ran together in %.0f%% of phases"
                 % (100 * kl.get("lockstep_tracked_overlap", 0))))
for kind, what in (("control", "16 multiply-adds in a register"),
                   ("control_memory", "16 increments of a variable of each thread's own")):
    if kl.get("lockstep_%s_2" % kind) and kl.get("lockstep_%s_1" % kind):
        rows.append(("control in the same run: %s, 2 threads" % what,
                     "%.2f ns per op of the pair" % kl["lockstep_%s_2" % kind],
                     "%.2fx the ops/s of 1 thread (2.00x on two cores)"
                     % (kl["lockstep_%s_1" % kind] / kl["lockstep_%s_2" % kind]), "", ""))

t_new = ns(core, "BM_serialize_to_text/10000")
t_reused = ns(core, "BM_serialize_string/10000")
if t_new and t_reused:
    rows.append(("serialize 10000 mixed series, to_text(reg) (a new string per call)",
                 "%.3f ms" % (t_new / 1e6), "%.2fx of the reused string" % (t_new / t_reused),
                 "", ""))

t_om = ns(core, "BM_serialize_openmetrics/10000")
if t_om and t_reused:
    rows.append(("serialize 10000 mixed series, OpenMetrics 1.0.0 (reused string)",
                 "%.3f ms" % (t_om / 1e6), "%.2fx of text 0.0.4" % (t_om / t_reused), "", ""))
paired = core.get("BM_serialize_formats_paired/10000")
if paired and paired.get("openmetrics_speed"):
    speed = paired["openmetrics_speed"]
    rows.append(("the two renders alternated in one loop, 0.0.4 / OpenMetrics",
                 "%.3f / %.3f ms" % (paired["text_ms"], paired["openmetrics_ms"]),
                 "OpenMetrics at %.2fx the speed of 0.0.4" % speed, ">= 0.8x",
                 "yes" if speed >= 0.8 else "**no**"))
# A collector's checks of its names and label sets: time per item with 64,000 families or
# 8,000 samples against 1,000 (1.00x when each check costs the same however many came before);
# registering families likewise, 16,000 against 1,000.
for name, what, big in (("BM_collector_families", "a collector writing %s families", 64000),
                        ("BM_collector_samples", "a collector writing %s samples of one family",
                         8000),
                        ("BM_register_families", "registering %s counters", 16000)):
    small, large = ns(core, "%s/1000" % name), ns(core, "%s/%d" % (name, big))
    if small and large:
        rows.append(((what % "{:,}".format(big)) + ", per item", "%.1f ns" % (large / big),
                     "%.2fx of 1,000 (%.1f ns)" % ((large / big) / (small / 1000), small / 1000),
                     "", ""))
# The exemplar target is a ratio to a plain observe() for both calls.
row2("counter.inc(1.0, exemplar), a 32-character trace id",
     ns(core, "BM_counter_inc_exemplar"), ns(core, "BM_histogram_observe"),
     "of observe(v)", "<= 4x observe", lambda t, r: r <= 4.0)
row2("histogram.observe(v, exemplar), a 32-character trace id",
     ns(core, "BM_histogram_observe_exemplar"), ns(core, "BM_histogram_observe"),
     "of observe(v)", "<= 4x observe", lambda t, r: r <= 4.0)

print("| operation | median (CPU time per op and thread) | ratio | target | met? |")
print("|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")

print("\n2-thread rows: two pinned threads in lockstep (bench/lockstep.hpp); a phase counts"
      " only when both threads ran throughout it (CPU time of the pair about twice its wall"
      " time); a row is not reported when fewer than 20% of its phases counted. The control"
      " rows share nothing between the threads: above 0.50x (below 2.00x) the host gave the"
      " run less than two cores of its own, which the CPU-time check cannot see (the"
      " multiply-adds slow when the threads took turns; the increments also when they shared"
      " one core's load and store units), and the other 2-thread rows of that run are slowed"
      " as much.")

_, peers = load("peers.json")
if peers:
    p1 = ns(peers, "BM_baseline_atomic/threads:1")
    pl = peers.get(lockstep_name, {})
    vl = core.get(lockstep_name, {})
    print("\n## vitals and prometheus-cpp, same run\n")
    print("| case | vitals | prometheus-cpp | prometheus-cpp / vitals |")
    print("|---|---|---|---|")

    def peer_row(label, v, p, unit="ns", scale=1.0):
        if v is None or p is None:
            return
        print("| %s | %.2f %s | %.2f %s | %.1fx |" % (label, v * scale, unit, p * scale, unit,
                                                       p / v if v else float("nan")))

    peer_row("relaxed fetch_add (each binary's baseline)", a1, p1)
    for label, name in (("counter increment", "BM_counter_inc/threads:1"),
                        ("gauge set", "BM_gauge_set"),
                        ("histogram observe, 10 buckets", "BM_histogram_observe"),
                        ("labelled lookup (3 labels, 256 series) + increment",
                         "BM_labels_lookup_inc/threads:1")):
        peer_row(label, ns(core, name), ns(peers, name))
    for label, kind in (("counter increment, 2 threads on one counter", "counter"),
                        ("histogram observe, 2 threads on one histogram", "observe"),
                        ("control: multiply-adds in a register, 2 threads", "control"),
                        ("control: increments of each thread's own variable, 2 threads",
                         "control_memory")):
        v, p = vl.get("lockstep_%s_2" % kind), pl.get("lockstep_%s_2" % kind)
        if v is None or p is None:
            print("| %s | not reported: threads did not run together | | |" % label)
        else:
            peer_row(label + " (wall per op of the pair)", v, p)
    peer_row("serialize the 10,000-series mix (vitals: reused string)",
             ns(core, "BM_serialize_string/10000"), ns(peers, "BM_serialize_string/10000"),
             "ms", 1e-6)
    print("\nEach binary's fetch_add baseline is shown so the two columns can be read against"
          " the same hardware cost; prometheus-cpp serializes with TextSerializer over"
          " Registry::Collect() into a std::ostringstream.")

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
    ex = [(name.split("/")[1], b["exemplar_bytes_per_histogram"]) for name, b in mem.items()
          if name.startswith("BM_memory_histogram_exemplars/")]
    if ex:
        print("\nExemplar storage of a histogram (10 default buckets, a trace id in each bucket),"
              " heap bytes: " + ", ".join("%s written by %s thread%s" % (
                  "{:,.0f}".format(b), n, "" if n == "1" else "s") for n, b in ex))

def cpu_model():
    """The CPU's name, family and model from /proc/cpuinfo (Linux): every ratio above is to an
    atomic add whose cost differs by about 3x between CPUs, so a table names its CPU."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, sep, value = line.partition(":")
                if not sep:
                    break  # the end of the first CPU's block
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        return "CPU unknown"
    name = fields.get("model name", "CPU unknown")
    if "cpu family" in fields and "model" in fields:
        name += " (family %s, model %s)" % (fields["cpu family"], fields["model"])
    return name

ctx = data.get("context", {}) if data else {}
print("\n%s, %d CPUs at %d MHz, %s; %s repetitions, medians; %s" % (
    ctx.get("host_name", "?"), ctx.get("num_cpus", 0), ctx.get("mhz_per_cpu", 0), cpu_model(),
    os.environ.get("REPS", "7"), ctx.get("date", "")))
PYEOF
