#!/usr/bin/python3
# demo_service_check.py - checks a demo_service /metrics scrape against the metric catalogue.
# SPDX-License-Identifier: MIT
"""Usage: demo_service_check.py NAMESPACE SCRAPE_FILE

Parses the scrape with prometheus_client's text parser and checks that every family of the
catalogue (DESIGN.md, "Metric catalogue") is present with its type, its label names and at
least one sample; histograms need _bucket (with le="+Inf"), _sum and _count samples.
Sample names are compared, not family names: Debian's prometheus_client 0.16 strips
"_total" from counter family names. Prints one line per problem; exit status 1 if any.
"""

import sys

from prometheus_client.parser import text_string_to_metric_families

COUNTER, GAUGE, HISTOGRAM = "counter", "gauge", "histogram"
HTTP = ("method", "endpoint")

# (name without namespace, type, label names), or a full name when it starts with "process_".
CATALOGUE = [
    ("http_requests_total", COUNTER, HTTP + ("status",)),
    ("http_request_duration_seconds", HISTOGRAM, HTTP),
    ("http_request_size_bytes", HISTOGRAM, HTTP),
    ("http_response_size_bytes", HISTOGRAM, HTTP),
    ("http_errors_total", COUNTER, HTTP + ("error_type",)),
    ("http_requests_in_flight", GAUGE, ()),
    ("cache_hits_total", COUNTER, ()),
    ("cache_misses_total", COUNTER, ()),
    ("cache_evictions_total", COUNTER, ()),
    ("cache_size", GAUGE, ()),
    ("cache_hit_rate", GAUGE, ()),
    ("queue_size", GAUGE, ()),
    ("queue_processed_total", COUNTER, ()),
    ("queue_errors_total", COUNTER, ()),
    ("queue_workers_active", GAUGE, ()),
    ("queue_processing_duration_seconds", HISTOGRAM, ()),
    ("converter_runs_total", COUNTER, ("converter", "status")),
    ("converter_errors_total", COUNTER, ("converter", "error_type")),
    ("converter_duration_seconds", HISTOGRAM, ("converter",)),
    ("converter_files_processed_total", COUNTER, ("converter",)),
    ("cpu_usage_percent", GAUGE, ()),
    ("memory_usage_bytes", GAUGE, ()),
    ("memory_percent", GAUGE, ()),
    ("threads_active", GAUGE, ()),
    ("uptime_seconds", GAUGE, ()),
    ("process_cpu_seconds_total", COUNTER, ()),
    ("process_resident_memory_bytes", GAUGE, ()),
    ("process_virtual_memory_bytes", GAUGE, ()),
    ("process_start_time_seconds", GAUGE, ()),
    ("process_open_fds", GAUGE, ()),
    ("process_max_fds", GAUGE, ()),
    ("process_threads", GAUGE, ()),
    ("build_info", GAUGE, ("version",)),
]


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ns, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        text = f.read()

    samples = {}  # sample name -> list of (labels dict, value)
    types = {}  # sample name -> family type
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, []).append((s.labels, s.value))
            types[s.name] = family.type

    problems = []
    for short, mtype, labels in CATALOGUE:
        name = short if short.startswith("process_") else ns + "_" + short
        wanted = [name + "_bucket", name + "_sum", name + "_count"] if mtype == HISTOGRAM else [name]
        for sample_name in wanted:
            got = samples.get(sample_name)
            if not got:
                problems.append(f"{sample_name}: no samples")
                continue
            if types.get(sample_name) != mtype:
                problems.append(f"{sample_name}: type {types.get(sample_name)}, want {mtype}")
            for lbls, value in got:
                names = set(lbls) - {"le"}
                if sample_name == name and short == "build_info":
                    if "version" not in names or value != 1:
                        problems.append(f"{sample_name}: {lbls} {value}, want version and 1")
                elif names != set(labels):
                    problems.append(f"{sample_name}: labels {sorted(names)}, want {sorted(labels)}")
                    break
            if sample_name.endswith("_bucket") and not any(l.get("le") == "+Inf" for l, _ in got):
                problems.append(f"{sample_name}: no le=\"+Inf\" bucket")

    # Semantics the catalogue fixes.
    rate = samples.get(ns + "_cache_hit_rate", [({}, -1)])[0][1]
    if not 0 <= rate <= 1:
        problems.append(f"{ns}_cache_hit_rate is {rate}, want a ratio in 0..1")
    statuses = {l.get("status") for l, _ in samples.get(ns + "_converter_runs_total", [])}
    if not statuses <= {"success", "failure"}:
        problems.append(f"{ns}_converter_runs_total statuses {sorted(statuses)}")
    failed = sum(v for l, v in samples.get(ns + "_converter_runs_total", [])
                 if l.get("status") == "failure")
    errors = sum(v for _, v in samples.get(ns + "_converter_errors_total", []))
    # One error per failed run; runs that end while the scrape is written (three workers)
    # may be counted in one family and not yet in the other.
    if abs(failed - errors) > 3:
        problems.append(f"{ns}_converter_errors_total sums to {errors}, want one error per "
                        f"failed run ({failed})")
    served = sum(v for _, v in samples.get(ns + "_http_requests_total", []))
    if served <= 0:
        problems.append(f"{ns}_http_requests_total: no simulated traffic counted")

    for p in problems:
        print("demo_service_check: " + p)
    if not problems:
        print(f"demo_service_check: {len(CATALOGUE)} catalogue families present with samples "
              f"({sum(len(v) for v in samples.values())} samples)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
