#!/usr/bin/env python3
# tools/check_links.py - every relative link of README.md and docs/*.md names a file of the
# repository, and every #anchor a heading of the page it points to (GitHub's heading ids).
# --self-test first proves on made-up pages that it reports a missing file and a missing
# anchor, and accepts good ones.
# SPDX-License-Identifier: MIT
import argparse
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LINK = re.compile(r"\]\(([^)\s]+)\)")


def heading_ids(path):
    """The ids GitHub gives the headings of a Markdown file (fenced blocks skipped)."""
    ids, seen, fenced = set(), {}, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                fenced = not fenced
            if fenced:
                continue
            m = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
            if not m:
                continue
            base = re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-")
            n = seen.get(base, 0)
            seen[base] = n + 1
            ids.add(base if n == 0 else "%s-%d" % (base, n))
    return ids


def check(files, root):
    """Returns the broken links of `files` (paths relative to `root`), one line each."""
    broken = []
    for name in files:
        path = os.path.join(root, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in LINK.finditer(text):
            target = m.group(1)
            if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            line = text.count("\n", 0, m.start()) + 1
            if not os.path.exists(dest):
                broken.append("%s:%d: %s: no such file" % (name, line, target))
            elif anchor and dest.endswith(".md") and anchor not in heading_ids(dest):
                broken.append("%s:%d: %s: no heading with that id" % (name, line, target))
    return broken


def self_test():
    with tempfile.TemporaryDirectory() as d:
        os.mkdir(os.path.join(d, "docs"))
        with open(os.path.join(d, "docs", "b.md"), "w", encoding="utf-8") as f:
            f.write("# Build costs (budgets)\n\n```\n# not a heading\n```\n## Core\n## Core\n")
        with open(os.path.join(d, "a.md"), "w", encoding="utf-8") as f:
            f.write(
                "[ok](docs/b.md#build-costs-budgets) [ok](docs/b.md#core-1) [ok](#top)\n"
                "# Top\n[web](https://example.com/x#y)\n"
                "[gone](docs/c.md) [fenced](docs/b.md#not-a-heading) [typo](#tpo)\n"
            )
        got = check(["a.md"], d)
    want = ["docs/c.md: no such file", "docs/b.md#not-a-heading: no heading", "#tpo: no heading"]
    if len(got) != len(want) or not all(w in g for w, g in zip(want, got)):
        print("check_links self-test failed:\n  " + "\n  ".join(got), file=sys.stderr)
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--self-test", action="store_true", help="check the checker, then exit")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    docs = sorted(f for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))
    broken = check(["README.md"] + ["docs/" + f for f in docs], ROOT)
    for b in broken:
        print(b, file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
