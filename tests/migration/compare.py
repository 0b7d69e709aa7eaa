#!/usr/bin/env python3
# tests/migration/compare.py - compares what prometheus-cpp and vitals expose for the same
# operations (tests/migration/orders_*.cpp), allowing only the differences that
# docs/migrating-from-prometheus-cpp.md lists. Run by tests/migration/compare.sh.
# SPDX-License-Identifier: MIT
#
#   compare.py expositions PROMETHEUS_CPP.txt VITALS.txt
#       both texts parsed with prometheus_client: every sample must match, by name, labels
#       and value, once the known differences are applied
#   compare.py series PROMETHEUS_URL
#       the series a Prometheus stored from the jobs promcpp, vitals_text and
#       vitals_openmetrics, compared the same way
import json
import math
import sys
import urllib.parse
import urllib.request

# The counter that prometheus-cpp exposes as named and vitals with _total appended.
RENAMED = {"orders_revenue_euros": "orders_revenue_euros_total"}
# The summary of the prometheus-cpp program and the histogram that replaces it in the port.
REPLACED = "orders_payload_bytes"
# Set from the clock: compared to within a few seconds.
CLOCK_GAUGE = "orders_last_success_timestamp_seconds"
failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def samples(path):
    from prometheus_client.parser import text_string_to_metric_families
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in out:
                failures.append("sample repeated in %s: %r" % (path, key))
            out[key] = s.value
    return out


def without_replaced(d):
    return {k: v for k, v in d.items() if not k[0].startswith(REPLACED)}


def expositions(cpp_path, vitals_path):
    # prometheus_client's parser gives a counter's sample `_total` whatever the text says:
    # look at the lines themselves.
    with open(cpp_path, encoding="utf-8") as f:
        cpp_lines = f.read().split("\n")
    with open(vitals_path, encoding="utf-8") as f:
        vitals_lines = f.read().split("\n")
    check("orders_revenue_euros 19.75" in cpp_lines and
          "orders_revenue_euros_total 19.75" in vitals_lines,
          "prometheus-cpp exposes a counter as named, vitals with _total")
    cpp, vit = samples(cpp_path), samples(vitals_path)
    cpp = {(RENAMED.get(n, n), l): v for (n, l), v in cpp.items()}
    for suffix in ("_sum", "_count"):
        name = REPLACED + suffix
        check((name, ()) in vit and cpp.get((name, ())) == vit.get((name, ())),
              "the histogram that replaces the summary has its %s (%r, %r)"
              % (suffix, cpp.get((name, ())), vit.get((name, ()))))
    now_cpp, now_vit = cpp.pop((CLOCK_GAUGE, ())), vit.pop((CLOCK_GAUGE, ()))
    check(now_cpp == math.floor(now_cpp) and now_vit != math.floor(now_vit),
          "SetToCurrentTime() sets whole seconds, set_to_current_time() a fraction too")
    check(abs(now_cpp - now_vit) < 30, "the two clock gauges are within 30 s of each other")
    cpp, vit = without_replaced(cpp), without_replaced(vit)
    for key in sorted(set(cpp) | set(vit)):
        if cpp.get(key) != vit.get(key):
            check(False, "sample %s%s: prometheus-cpp %r, vitals %r"
                  % (key[0], dict(key[1]), cpp.get(key), vit.get(key)))
    check(not [k for k in set(cpp) ^ set(vit)], "every other sample is the same: %d samples"
          % len(cpp))


def stored(prometheus, job):
    query = urllib.parse.urlencode({"match[]": '{job="%s"}' % job})
    with urllib.request.urlopen(prometheus + "/api/v1/series?" + query, timeout=10) as r:
        data = json.load(r)["data"]
    out = set()
    for s in data:
        name = s.pop("__name__")
        for k in ("job", "instance"):
            s.pop(k, None)
        if name.startswith(("exposer_", "vitals_", "scrape_")) or name == "up":
            continue  # the servers' own metrics and Prometheus' scrape series differ
        out.add((name, tuple(sorted(s.items()))))
    return out


def series(prometheus):
    cpp = {(RENAMED.get(n, n), l) for n, l in stored(prometheus, "promcpp")}
    text = stored(prometheus, "vitals_text")
    om = stored(prometheus, "vitals_openmetrics")
    check(bool(cpp) and bool(text) and bool(om), "Prometheus stored series of all three jobs")
    cpp, text, om = ({k for k in s if not k[0].startswith(REPLACED)} for s in (cpp, text, om))
    check(cpp == text, "with openmetrics = false, Prometheus stores the same %d series from "
          "vitals as from prometheus-cpp%s" % (len(cpp), "" if cpp == text else
                                               ": only prometheus-cpp %r, only vitals %r"
                                               % (sorted(cpp - text), sorted(text - cpp))))
    created = {k for k in om if k[0].endswith("_created")}
    check(len(created) == 5, "with OpenMetrics, %d _created series (3 request counters, the "
          "revenue counter, the latency histogram)" % len(created))
    check(("orders_request_duration_seconds_bucket", (("le", "1.0"), ("route", "/orders")))
          in om, "with OpenMetrics, the bound 1 is stored as le=\"1.0\"")

    def plain_le(key):
        name, labels = key
        return name, tuple((k, v[:-2] if k == "le" and v.endswith(".0") else v)
                           for k, v in labels)
    check({plain_le(k) for k in om - created} == text,
          "with OpenMetrics, the series are otherwise the same")


def main(argv):
    if len(argv) == 3 and argv[0] == "expositions":
        expositions(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "series":
        series(argv[1])
    else:
        sys.stderr.write("usage: compare.py expositions CPP VITALS | series PROMETHEUS_URL\n")
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
