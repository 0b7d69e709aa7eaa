#!/usr/bin/python3
# tests/conformance/parse.py - parses an exposition with prometheus_client's text parser and
# checks it holds exactly the expected families and samples.
# SPDX-License-Identifier: MIT
"""Usage: /usr/bin/python3 parse.py EXPOSITION EXPECTED

EXPOSITION is the text written by gen_exposition; EXPECTED holds one JSON object per line,
either {"family", "type", "help"} or {"name", "labels", "value"} (value as text: a number,
"NaN", "+Inf" or "-Inf"). Every expected sample must be parsed with the same labels and value
and nothing else may be there; every family must have the expected type and help.

Debian's prometheus_client (0.16) strips "_total" from counter family names, so families are
matched by that stripped name and samples by their full names. The `le` label is compared as
a number (vitals writes le="1", the Python client would write le="1.0").

Exits 0 when everything matches, 1 with a list of differences otherwise, 2 on usage errors.
"""

import json
import math
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError as exc:  # pragma: no cover - depends on the machine
    sys.stderr.write("parse.py: cannot import prometheus_client (%s); run it with "
                     "/usr/bin/python3 and install python3-prometheus-client\n" % exc)
    sys.exit(2)


def number(text):
    """The float a value or le text stands for."""
    return float({"+Inf": "inf", "-Inf": "-inf", "NaN": "nan"}.get(text, text))


def same_value(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b


def sample_key(name, labels):
    """A hashable identity for a sample: its name and labels (le as a number)."""
    items = []
    for key, value in labels.items():
        if key == "le":
            value = repr(number(value))
        items.append((key, value))
    return (name, tuple(sorted(items)))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    families_expected = {}
    samples_expected = {}
    with open(argv[2], encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            entry = json.loads(line)
            if "family" in entry:
                families_expected[entry["family"]] = entry
            else:
                key = sample_key(entry["name"], entry["labels"])
                if key in samples_expected:
                    sys.stderr.write("parse.py: expectation line %d repeats a sample\n" % line_no)
                    return 2
                samples_expected[key] = number(entry["value"])

    problems = []
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as exc:  # the parser raises ValueError and friends on bad input
        print("FAIL: prometheus_client could not parse the exposition: %r" % (exc,))
        return 1

    seen_families = set()
    samples_found = {}
    for fam in families:
        # Map the parser's family name back to the exposed one.
        exposed = fam.name + "_total" if fam.type == "counter" else fam.name
        if exposed in seen_families:
            problems.append("family %s appears twice" % exposed)
        seen_families.add(exposed)
        want = families_expected.get(exposed)
        if want is None:
            problems.append("unexpected family %s (%s)" % (exposed, fam.type))
        else:
            if fam.type != want["type"]:
                problems.append("family %s: type %s, expected %s"
                                % (exposed, fam.type, want["type"]))
            if fam.documentation != want["help"]:
                problems.append("family %s: help %r, expected %r"
                                % (exposed, fam.documentation, want["help"]))
        for s in fam.samples:
            key = sample_key(s.name, s.labels)
            if key in samples_found:
                problems.append("sample %r appears twice" % (key,))
            samples_found[key] = s.value
            if s.timestamp is not None:
                problems.append("sample %r has a timestamp" % (key,))

    for name in sorted(set(families_expected) - seen_families):
        problems.append("missing family %s" % name)
    for key in sorted(set(samples_expected) - set(samples_found)):
        problems.append("missing sample %r" % (key,))
    for key in sorted(set(samples_found) - set(samples_expected)):
        problems.append("unexpected sample %r = %r" % (key, samples_found[key]))
    for key in sorted(set(samples_found) & set(samples_expected)):
        if not same_value(samples_found[key], samples_expected[key]):
            problems.append("sample %r: value %r, expected %r"
                            % (key, samples_found[key], samples_expected[key]))

    if problems:
        print("FAIL: %d problem(s):" % len(problems))
        for p in problems:
            print("  " + p)
        return 1
    print("ok: %d families and %d samples round-trip through prometheus_client"
          % (len(seen_families), len(samples_found)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
