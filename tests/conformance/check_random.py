#!/usr/bin/python3
# tests/conformance/check_random.py - runs gen_random for many seeds and checks each
# exposition with prometheus_client's text and OpenMetrics parsers and with promtool.
# SPDX-License-Identifier: MIT
"""Usage: /usr/bin/python3 check_random.py GEN [--compact GEN] [--seeds A-B | --seed N]...
                [--go-openmetrics K] [--keep DIR] [--no-promtool] [--quiet]

For each seed, GEN (gen_random) writes a text 0.0.4 exposition, an OpenMetrics one and the
expectations (see gen_random.cpp). Then:
  - the text goes through prometheus_client's text parser and `promtool check metrics` (a
    parse error fails; lint remarks about the random names do not), the OpenMetrics through
    prometheus_client's OpenMetrics parser, which rejects what the 1.0 spec forbids;
  - each must hold exactly the expected families (type, help, unit) and samples (labels,
    values compared exactly: NaN to NaN, -0 to 0, whole numbers exactly where the
    exposition writes them without a point), OpenMetrics also the `_created` samples (to
    the microsecond) and the exemplars;
  - `le` values are compared as text: in the text format as Go's strconv.FormatFloat(v, 'g',
    -1, 64) writes them (README), in OpenMetrics as the spec's canonical numbers (that
    rendering, with ".0" added when there is neither a point nor an exponent);
  - with --go-openmetrics K, every K-th seed's OpenMetrics also goes through Prometheus'
    own (Go) parser, `promtool tsdb create-blocks-from openmetrics`, which needs a
    timestamp on each sample: one is added, nothing else changes (about 0.3 s a seed);
  - with --compact, a second generator (built with VITALS_COMPACT=1) must write the same
    bytes whenever it expects the same.
Differences that are the parsers', not vitals' (the spec allows what they trip on), are
handled where they are checked, with the reason:
  - prometheus_client's text parser strips leading and trailing whitespace of HELP
    (text_parser_help());
  - its OpenMetrics parser rejects an exemplar with "}" in a label value
    (cut_exemplars_with_brace()), reads a timestamp "-0.5" as +0.5 and one with an exponent
    and nine or more decimals without the exponent (same_timestamp()).
(Prometheus 2.42's OpenMetrics lexer fails a whole scrape over a NUL byte in an exemplar's
label value, so vitals leaves such an exemplar out, and the Go check takes every exemplar.)
Prints one line per failing seed with the command that reproduces
it; exits 0 when every seed passes, 1 otherwise, 2 on usage errors.
"""

import json
import math
from fractions import Fraction
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    from prometheus_client.parser import text_string_to_metric_families as parse_text
    from prometheus_client.parser import _replace_help_escaping
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
except ImportError as exc:  # pragma: no cover - depends on the machine
    sys.stderr.write("check_random.py: cannot import prometheus_client (%s); run it with "
                     "/usr/bin/python3 and install python3-prometheus-client\n" % exc)
    sys.exit(2)


def number(text):
    return float({"+Inf": "inf", "-Inf": "-inf", "NaN": "nan"}.get(text, text))


def go_float(v, point_zero):
    """strconv.FormatFloat(v, 'g', -1, 64); with point_zero, the OpenMetrics canonical form."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == 0:
        # Go writes -0 as "-0"; vitals writes a bound of -0 as 0 (format_number.hpp: "zero,
        # also -0, is 0.0"), by design: Prometheus reads both as the same bound.
        return "0.0" if point_zero else "0"
    # repr() gives the shortest digits that read back to v, as Go's shortest mode does.
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?(?:e([+-]\d+))?", repr(abs(v)))
    whole, frac, exp = m.group(1), m.group(2) or "", int(m.group(3) or 0)
    all_digits = whole + frac
    lead = len(all_digits) - len(all_digits.lstrip("0"))
    digits = all_digits.lstrip("0").rstrip("0") or "0"
    e10 = len(whole) + exp - 1 - lead  # exponent of the first significant digit
    sign = "-" if v < 0 else ""
    if e10 < -4 or e10 >= 6:  # shortest: Go decides with precision 6
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return "%s%se%s%02d" % (sign, mant, "-" if e10 < 0 else "+", abs(e10))
    if e10 >= 0:
        int_part = (digits[:e10 + 1]).ljust(e10 + 1, "0")
        rest = digits[e10 + 1:]
        out = int_part + ("." + rest if rest else "")
    else:
        out = "0." + "0" * (-e10 - 1) + digits
    if point_zero and "." not in out and "e" not in out:
        out += ".0"
    return sign + out


def same_number(found, want_text, whole, fmt):
    """Whether a parsed value is the expected one (exactly)."""
    if want_text in ("NaN", "+Inf", "-Inf"):
        f = float(found)
        w = number(want_text)
        return math.isnan(f) if math.isnan(w) else f == w
    if whole:
        if fmt == "om":
            # prometheus_client's OpenMetrics parser returns an int for a number written
            # without a point: the exposition must write whole numbers so, to the last digit.
            return isinstance(found, int) and found == int(want_text)
        return float(found) == float(int(want_text))
    return float(found) == float(want_text)  # -0.0 == 0.0


def text_parser_help(help_text):
    """What prometheus_client's text parser (0.16) makes of a HELP line: it strips the line
    (str.strip(), any Unicode whitespace) and splits it with str.split(None, 3), so leading
    and trailing whitespace of the help is lost. Its limitation, not vitals': the text format
    keeps every byte of the help but backslash and newline, which vitals escapes."""
    escaped = help_text.replace("\\", "\\\\").replace("\n", "\\n")
    parts = ("# HELP x " + escaped).strip().split(None, 3)
    return _replace_help_escaping(parts[3]) if len(parts) == 4 else ""


def labels_key(labels):
    return tuple(sorted(labels.items()))


def load_expectations(path):
    exp = {"families": {"text": {}, "om": {}}, "samples": {"text": {}, "om": {}},
           "created": {}, "exemplars": {}, "problems": []}
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            k = e["k"]
            if k == "problem":
                exp["problems"].append(e["text"])
                continue
            labels = dict(e.get("labels", {}))
            if k == "family":
                exp["families"][e["fmt"]][e["name"]] = e
            elif k == "sample":
                fmt = e["fmt"]
                if "le" in e:
                    labels["le"] = "+Inf" if e["le"] == "+Inf" else \
                        go_float(float(e["le"]), fmt == "om")
                key = (e["name"], labels_key(labels))
                if key in exp["samples"][fmt]:
                    exp["problems"].append("the model expects sample %r twice in %s" % (key, fmt))
                exp["samples"][fmt][key] = (e["value"], e.get("int", False))
            elif k == "created":
                exp["created"][(e["name"], labels_key(labels))] = float(e["t"])
            elif k == "exemplar":
                if "le" in e:
                    labels["le"] = "+Inf" if e["le"] == "+Inf" else go_float(float(e["le"]), True)
                exp["exemplars"][(e["of"], labels_key(labels))] = e
    return exp


def compare_samples(fmt, found, want, problems):
    for key in sorted(set(want) - set(found)):
        problems.append("%s: missing sample %r = %s" % (fmt, key, want[key][0]))
    for key in sorted(set(found) - set(want)):
        problems.append("%s: unexpected sample %r = %r" % (fmt, key, found[key]))
    for key in sorted(set(found) & set(want)):
        text, whole = want[key]
        if not same_number(found[key], text, whole, fmt):
            problems.append("%s: sample %r is %r, expected %s" % (fmt, key, found[key], text))


def check_text(text, exp, problems):
    try:
        families = list(parse_text(text))
    except Exception as exc:  # the parser raises ValueError and friends
        problems.append("text: prometheus_client cannot parse it: %r" % (exc,))
        return
    want_fams = exp["families"]["text"]
    seen, found = set(), {}
    for fam in families:
        name = fam.name + "_total" if fam.type == "counter" else fam.name
        if name in seen:
            problems.append("text: family %s twice" % name)
        seen.add(name)
        want = want_fams.get(name)
        if want is None:
            problems.append("text: unexpected family %s (%s)" % (name, fam.type))
        else:
            if fam.type != want["type"]:
                problems.append("text: family %s is a %s, expected %s"
                                % (name, fam.type, want["type"]))
            if fam.documentation != want["help"] and \
                    fam.documentation != text_parser_help(want["help"]):
                problems.append("text: family %s has help %r, expected %r"
                                % (name, fam.documentation, want["help"]))
        for s in fam.samples:
            key = (s.name, labels_key(s.labels))
            if key in found:
                problems.append("text: sample %r twice" % (key,))
            found[key] = s.value
            if s.timestamp is not None:
                problems.append("text: sample %r has a timestamp" % (key,))
    for name in sorted(set(want_fams) - seen):
        problems.append("text: missing family %s" % name)
    compare_samples("text", found, exp["samples"]["text"], problems)


def close_time(found, t):
    """A `_created` value: README says to the microsecond for times in 0 .. 2^52 s (the
    nearest; either neighbour when t is within 1e-10 us of halfway, where the double
    arithmetic may round either way), exact (as any double) outside."""
    if not 0 <= t < 2.0 ** 52:
        return float(found) == t
    micros = Fraction(t) * 10 ** 6
    nearest = {math.floor(micros + Fraction(1, 2))}
    if abs(micros - math.floor(micros) - Fraction(1, 2)) < Fraction(1, 10 ** 10):
        nearest |= {math.floor(micros), math.floor(micros) + 1}
    return any(float(found) == float(Fraction(m, 10 ** 6)) for m in nearest)


def same_timestamp(found, want):
    if found is None:
        return False
    if abs(float(found) - want) <= max(1e-9, abs(want) * 1e-15):
        return True
    if hasattr(found, "sec"):
        # prometheus_client 0.16's _parse_timestamp splits the text at the point, reads the
        # part before it as seconds and up to nine digits after it as nanoseconds. So "-0.5"
        # has int("-0") = 0 seconds and reads as +0.5, and "3.8873251679183857e-279" reads as
        # Timestamp(3, 887325167), the exponent dropped. Its limitations: the spec's timestamp
        # is a realnumber, which may be negative and have an exponent. Then only what the
        # parser keeps is compared.
        if -1 < want < 0 and abs(float(found) + want) <= 1e-9:
            return True
        if "e" in repr(want):
            return found.sec == int(float(repr(want).split("e")[0]))
    return False


def scan_labels(line, i):
    """The index just past the `}` that closes the labels opening at line[i] == "{", reading
    quoted values with their escapes, and the pairs read, unescaped."""
    i += 1
    pairs = {}
    while line[i] != "}":
        eq = line.index("=", i)
        name = line[i:eq]
        j, value = eq + 2, []  # past ="
        while line[j] != '"':
            if line[j] == "\\":
                value.append({"n": "\n", "\\": "\\", '"': '"'}.get(line[j + 1], "\\" + line[j + 1]))
                j += 2
            else:
                value.append(line[j])
                j += 1
        pairs[name] = "".join(value)
        i = j + 1
        if line[i] == ",":
            i += 1
    return i + 1, pairs


class Exemplar:
    def __init__(self, labels, value, timestamp):
        self.labels, self.value, self.timestamp = labels, value, timestamp

    def __repr__(self):
        return "Exemplar(%r, %r, %r)" % (self.labels, self.value, self.timestamp)


def cut_exemplars_with_brace(text):
    """prometheus_client 0.16's OpenMetrics parser ends an exemplar's labels at the first "}"
    it meets, also inside a quoted label value (the state machine of _parse_remaining_text
    does not follow quotes), and then rejects the line or misreads it. The spec allows "}" in
    any label value (escaped-string): the limitation is the parser's. Such exemplars are cut
    from their lines before parsing and read here instead, by a scanner that follows the
    quotes. Returns the text without them and {line index: Exemplar}."""
    out, cut = [], {}
    for n, line in enumerate(text.split("\n")):
        if line.startswith("#") or not line:
            out.append(line)
            continue
        try:
            i = line.find("{")
            if i != -1 and " " in line[:i]:
                i = -1  # no labels: the first "{" is the exemplar's
            end = scan_labels(line, i)[0] if i != -1 else line.index(" ")
            ex_at = line.find(" # {", end)
            if ex_at == -1:
                out.append(line)
                continue
            close, labels = scan_labels(line, ex_at + 3)
            if "}" not in "".join(labels.values()):
                out.append(line)
                continue
            rest = line[close:].split(" ")
            value = int(rest[1]) if re.fullmatch(r"[+-]?\d+", rest[1]) else float(rest[1])
            cut[n] = Exemplar(labels, value, float(rest[2]) if len(rest) > 2 else None)
            out.append(line[:ex_at])
        except (IndexError, ValueError):  # not a well-formed line: left to the parser
            out.append(line)
    return "\n".join(out), cut


def line_key(line):
    """(name, labels) of a sample line without exemplar."""
    i = line.find("{")
    if i == -1 or " " in line[:i]:
        return (line[:line.index(" ")], ())
    return (line[:i], labels_key(scan_labels(line, i)[1]))


def check_om(text, exp, problems):
    if not text.endswith("# EOF\n"):
        problems.append("om: does not end with '# EOF\\n'")
    text, cut = cut_exemplars_with_brace(text)
    try:
        families = list(parse_om(text))
    except Exception as exc:
        problems.append("om: prometheus_client's OpenMetrics parser rejects it: %r" % (exc,))
        return
    want_fams = exp["families"]["om"]
    seen, found, created, exemplars, sample_keys = set(), {}, {}, {}, []
    for fam in families:
        if fam.name in seen:
            problems.append("om: family %s twice" % fam.name)
        seen.add(fam.name)
        want = want_fams.get(fam.name)
        if want is None:
            problems.append("om: unexpected family %s (%s)" % (fam.name, fam.type))
        else:
            if fam.type != want["type"]:
                problems.append("om: family %s is a %s, expected %s"
                                % (fam.name, fam.type, want["type"]))
            if fam.documentation != want["help"]:
                problems.append("om: family %s has help %r, expected %r"
                                % (fam.name, fam.documentation, want["help"]))
            if fam.unit != want.get("unit", ""):
                problems.append("om: family %s has unit %r, expected %r"
                                % (fam.name, fam.unit, want.get("unit", "")))
        for s in fam.samples:
            key = (s.name, labels_key(s.labels))
            if fam.type in ("counter", "histogram") and s.name == fam.name + "_created":
                created[key] = s.value
                continue
            if key in found:
                problems.append("om: sample %r twice" % (key,))
            found[key] = s.value
            if s.timestamp is not None:
                problems.append("om: sample %r has a timestamp" % (key,))
            if s.exemplar is not None:
                exemplars[key] = s.exemplar
            sample_keys.append(key)
    for name in sorted(set(want_fams) - seen):
        problems.append("om: missing family %s" % name)
    if cut:  # put back the exemplars read by cut_exemplars_with_brace(), by line
        lines = text.split("\n")
        for n, ex in cut.items():
            head = lines[n]
            key = next((k for k in sample_keys if line_key(head) == k), None)
            if key is None:
                problems.append("om: cannot place the exemplar of line %d" % (n + 1))
            else:
                exemplars[key] = ex
    compare_samples("om", found, exp["samples"]["om"], problems)
    want_created = exp["created"]
    for key in sorted(set(want_created) - set(created)):
        problems.append("om: missing %r (created at %r)" % (key, want_created[key]))
    for key in sorted(set(created) - set(want_created)):
        problems.append("om: unexpected %r = %r" % (key, created[key]))
    for key in sorted(set(created) & set(want_created)):
        if not close_time(created[key], want_created[key]):
            problems.append("om: %r is %r, created at %r" % (key, created[key], want_created[key]))
    want_ex = exp["exemplars"]
    for key in sorted(set(want_ex) - set(exemplars)):
        problems.append("om: sample %r has no exemplar" % (key,))
    for key in sorted(set(exemplars) - set(want_ex)):
        problems.append("om: sample %r has an unexpected exemplar %r" % (key, exemplars[key]))
    for key in sorted(set(exemplars) & set(want_ex)):
        got, want = exemplars[key], want_ex[key]
        if dict(got.labels) != want["ex_labels"]:
            problems.append("om: exemplar of %r has labels %r, expected %r"
                            % (key, dict(got.labels), want["ex_labels"]))
        if not same_number(got.value, want["ex_value"], False, "om"):
            problems.append("om: exemplar of %r has value %r, expected %s"
                            % (key, got.value, want["ex_value"]))
        if not same_timestamp(got.timestamp, float(want["ex_ts"])):
            problems.append("om: exemplar of %r has timestamp %r, expected %s"
                            % (key, got.timestamp, want["ex_ts"]))


def run_promtool(path, problems):
    with open(path, "rb") as f:
        r = subprocess.run(["promtool", "check", "metrics"], stdin=f, capture_output=True)
    # 0: fine; 3: lint remarks only (random names are not snake_case, gauges end in _total
    # ...); anything else is a parse error.
    if r.returncode not in (0, 3):
        problems.append("promtool check metrics: exit %d: %s"
                        % (r.returncode, r.stderr.decode("utf-8", "replace").strip()[:2000]))


def with_timestamps(text):
    """The OpenMetrics text with a timestamp on every sample (before its exemplar), which
    promtool's OpenMetrics backfill needs; nothing else changes."""
    out = []
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            out.append(line)
            continue
        i = line.find("{")
        if i != -1 and " " in line[:i]:
            i = -1
        end = scan_labels(line, i)[0] if i != -1 else line.index(" ")
        ex_at = line.find(" # {", end)
        if ex_at == -1:
            out.append(line + " 1700000000")
        else:
            out.append(line[:ex_at] + " 1700000000" + line[ex_at:])
    return "\n".join(out)


def run_go_openmetrics(path, problems):
    """Prometheus' own OpenMetrics parser (Go, strict), through promtool's backfill."""
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    try:
        stamped = with_timestamps(text)
    except (IndexError, ValueError) as exc:
        problems.append("om: a sample line cannot be read: %r" % (exc,))
        return
    src, blocks = path + ".ts", path + ".blocks"
    with open(src, "w", encoding="utf-8", newline="") as f:
        f.write(stamped)
    r = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", src, blocks],
                       capture_output=True)
    shutil.rmtree(blocks, ignore_errors=True)
    if r.returncode != 0:
        problems.append("promtool tsdb create-blocks-from openmetrics: exit %d: %s" % (
            r.returncode, (r.stderr + r.stdout).decode("utf-8", "replace").strip()[-2000:]))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def check_seed(gen, compact, seed, work, promtool, go_om):
    prefix = os.path.join(work, "seed%d" % seed)
    problems = []
    r = subprocess.run([gen, "--seed", str(seed), "--out", prefix], capture_output=True)
    if r.returncode != 0:
        return ["gen_random exited %d: %s" % (r.returncode, r.stderr.decode("utf-8", "replace"))]
    if compact:
        r = subprocess.run([compact, "--seed", str(seed), "--out", prefix + "c"],
                           capture_output=True)
        if r.returncode != 0:
            problems.append("gen_random (compact) exited %d" % r.returncode)
        elif read(prefix + ".jsonl") == read(prefix + "c.jsonl"):
            for ext in (".txt", ".om"):
                if read(prefix + ext) != read(prefix + "c" + ext):
                    problems.append("the VITALS_COMPACT build writes other bytes (%s)" % ext)
        else:  # a documented difference (a reset counter cell); each is checked on its own
            exp_c = load_expectations(prefix + "c.jsonl")
            problems += ["compact: " + p for p in exp_c["problems"]]
            with open(prefix + "c.txt", encoding="utf-8", newline="") as f:
                check_text(f.read(), exp_c, problems)
            with open(prefix + "c.om", encoding="utf-8", newline="") as f:
                check_om(f.read(), exp_c, problems)
    exp = load_expectations(prefix + ".jsonl")
    problems += ["gen_random: " + p for p in exp["problems"]]
    try:
        # newline="": a carriage return in a label value or HELP is data, not a line end.
        with open(prefix + ".txt", encoding="utf-8", newline="") as f:
            check_text(f.read(), exp, problems)
        with open(prefix + ".om", encoding="utf-8", newline="") as f:
            check_om(f.read(), exp, problems)
    except UnicodeDecodeError as exc:
        problems.append("an exposition is not valid UTF-8: %s" % exc)
    if promtool:
        run_promtool(prefix + ".txt", problems)
        if go_om and seed % go_om == 0:
            run_go_openmetrics(prefix + ".om", problems)
    return problems


def parse_seeds(spec):
    if "-" in spec:
        a, b = spec.split("-", 1)
        return list(range(int(a), int(b) + 1))
    return [int(spec)]


def main(argv):
    args = argv[1:]
    if not args or args[0].startswith("-"):
        sys.stderr.write(__doc__)
        return 2
    gen, compact, seeds, keep, promtool, quiet, go_om = args[0], None, [], None, True, False, 0
    i = 1
    while i < len(args):
        a = args[i]
        if a in ("--compact", "--keep", "--seeds", "--seed", "--go-openmetrics") and \
                i + 1 < len(args):
            v = args[i + 1]
            if a == "--compact":
                compact = v
            elif a == "--go-openmetrics":
                go_om = int(v)
            elif a == "--keep":
                keep = v
            else:
                seeds += parse_seeds(v)
            i += 2
        elif a == "--no-promtool":
            promtool, i = False, i + 1
        elif a == "--quiet":
            quiet, i = True, i + 1
        else:
            sys.stderr.write(__doc__)
            return 2
    if not seeds:
        seeds = list(range(1, 101))
    if promtool and shutil.which("promtool") is None:
        print("FAIL: promtool not found (Debian: apt-get install prometheus)")
        return 1
    work = keep or tempfile.mkdtemp(prefix="vitals-random.")
    os.makedirs(work, exist_ok=True)
    failed = []
    try:
        for seed in seeds:
            problems = check_seed(gen, compact, seed, work, promtool, go_om)
            if problems:
                failed.append(seed)
                print("FAIL: seed %d: %d problem(s); reproduce with: "
                      "tests/conformance/run_random.sh --seed %d" % (seed, len(problems), seed))
                for p in problems[:20]:
                    print("  " + p)
            elif not quiet:
                print("ok: seed %d" % seed)
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print("random conformance: %d seed(s), %d failed%s" % (
        len(seeds), len(failed), (": " + " ".join(map(str, failed[:50]))) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
