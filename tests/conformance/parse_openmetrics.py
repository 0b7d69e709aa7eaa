#!/usr/bin/python3
# tests/conformance/parse_openmetrics.py - parses OpenMetrics expositions with
# prometheus_client's OpenMetrics parser (strict: it rejects what the 1.0 spec forbids).
# SPDX-License-Identifier: MIT
"""Usage: /usr/bin/python3 parse_openmetrics.py [--expect EXPECTED] EXPOSITION...

Every EXPOSITION must parse without error and end with "# EOF". With --expect (the file
gen_exposition writes, see parse.py), the first EXPOSITION must hold exactly the expected
families and samples, where
  - counter and info families are matched by their exposed names (`x_total`, `x_info`), and
    an expectation's "om_type" (when given) is the type OpenMetrics must show;
  - in a counter or histogram family with `_created` samples (registered families; not
    collectors'), every series must carry one (a positive Unix time); they are not listed
    in EXPECTED;
  - a histogram with a negative bucket bound or a negative sum has no `_sum`/`_count`
    (OpenMetrics forbids them there), so those expectations are waived;
  - exemplars, when EXPECTED has {"exemplar_of": name, "labels", "exemplar_labels",
    "exemplar_value"} lines, must be present on those samples.
Exits 0 when everything holds, 1 with a list of problems otherwise, 2 on usage errors.
"""

import json
import math
import sys

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError as exc:  # pragma: no cover - depends on the machine
    sys.stderr.write("parse_openmetrics.py: cannot import prometheus_client (%s); run it with "
                     "/usr/bin/python3 and install python3-prometheus-client\n" % exc)
    sys.exit(2)


def number(text):
    return float({"+Inf": "inf", "-Inf": "-inf", "NaN": "nan"}.get(text, text))


def same_value(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b


def sample_key(name, labels):
    items = []
    for key, value in labels.items():
        if key == "le":
            value = repr(number(value))
        items.append((key, value))
    return (name, tuple(sorted(items)))


def parse(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.endswith("# EOF\n"):
        raise ValueError("does not end with '# EOF'")
    return list(text_string_to_metric_families(text))


def exposed_name(fam):
    if fam.type == "counter":
        return fam.name + "_total"
    if fam.type == "info":
        return fam.name + "_info"
    return fam.name


def check_expected(families, expected_path):
    families_expected, samples_expected, exemplars_expected = {}, {}, {}
    with open(expected_path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            entry = json.loads(line)
            if "family" in entry:
                families_expected[entry["family"]] = entry
            elif "exemplar_of" in entry:
                key = sample_key(entry["exemplar_of"], entry["labels"])
                exemplars_expected[key] = (entry["exemplar_labels"],
                                           number(entry["exemplar_value"]))
            else:
                samples_expected[sample_key(entry["name"], entry["labels"])] = \
                    number(entry["value"])
    problems = []
    seen, found, exemplars, waived = set(), {}, {}, set()
    for fam in families:
        exposed = exposed_name(fam)
        seen.add(exposed)
        want = families_expected.get(exposed)
        if want is None:
            problems.append("unexpected family %s (%s)" % (exposed, fam.type))
            continue
        want_type = want.get("om_type", want["type"])
        if fam.type != want_type:
            problems.append("family %s: type %s, expected %s" % (exposed, fam.type, want_type))
        if fam.documentation != want["help"]:
            problems.append("family %s: help %r, expected %r"
                            % (exposed, fam.documentation, want["help"]))
        series_needing_created = set()
        created = set()
        for s in fam.samples:
            labels = dict(s.labels)
            if s.name == fam.name + "_created":
                if not (s.value > 0 and math.isfinite(s.value)):
                    problems.append("%s%r: bad _created %r" % (s.name, labels, s.value))
                created.add(tuple(sorted(labels.items())))
                continue
            key = sample_key(s.name, labels)
            if key in found:
                problems.append("sample %r appears twice" % (key,))
            found[key] = s.value
            if s.exemplar is not None:
                exemplars[key] = (dict(s.exemplar.labels), s.exemplar.value)
            if fam.type in ("counter", "histogram"):
                labels.pop("le", None)
                series_needing_created.add(tuple(sorted(labels.items())))
        # Registered families stamp every series; collectors' counters have no _created.
        for series in sorted(series_needing_created - created if created else ()):
            problems.append("family %s: series %r has no _created" % (exposed, series))
        if fam.type == "histogram":
            for key in samples_expected:
                if key[0] == fam.name + "_bucket" and key[1] and any(
                        k == "le" and number(v) < 0 for k, v in key[1]):
                    waived.add(fam.name)
            for key, value in samples_expected.items():
                if key[0] == fam.name + "_sum" and value < 0:
                    waived.add(fam.name)
    for name in sorted(set(families_expected) - seen):
        problems.append("missing family %s" % name)
    for key in sorted(set(samples_expected) - set(found)):
        base = key[0].rsplit("_", 1)[0]
        if base in waived and key[0] in (base + "_sum", base + "_count"):
            continue
        problems.append("missing sample %r" % (key,))
    for key in sorted(set(found) - set(samples_expected)):
        problems.append("unexpected sample %r = %r" % (key, found[key]))
    for key in sorted(set(found) & set(samples_expected)):
        if not same_value(found[key], samples_expected[key]):
            problems.append("sample %r: value %r, expected %r"
                            % (key, found[key], samples_expected[key]))
    for key, (labels, value) in sorted(exemplars_expected.items()):
        got = exemplars.get(key)
        if got is None:
            problems.append("sample %r has no exemplar" % (key,))
        elif got[0] != labels or not same_value(got[1], value):
            problems.append("sample %r: exemplar %r, expected %r" % (key, got, (labels, value)))
    return problems, len(seen), len(found)


def main(argv):
    expect = None
    paths = []
    i = 1
    while i < len(argv):
        if argv[i] == "--expect" and i + 1 < len(argv):
            expect = argv[i + 1]
            i += 2
        else:
            paths.append(argv[i])
            i += 1
    if not paths:
        sys.stderr.write(__doc__)
        return 2
    failures = 0
    for n, path in enumerate(paths):
        try:
            families = parse(path)
        except Exception as exc:  # the parser raises ValueError and friends on bad input
            print("FAIL: %s: the OpenMetrics parser rejects it: %r" % (path, exc))
            failures += 1
            continue
        if n == 0 and expect:
            problems, nfam, nsamples = check_expected(families, expect)
            if problems:
                print("FAIL: %s: %d problem(s):" % (path, len(problems)))
                for p in problems:
                    print("  " + p)
                failures += 1
                continue
            print("ok: %s: %d families and %d samples as expected" % (path, nfam, nsamples))
        else:
            print("ok: %s: %d families, %d samples" %
                  (path, len(families), sum(len(f.samples) for f in families)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
