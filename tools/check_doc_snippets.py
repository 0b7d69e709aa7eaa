#!/usr/bin/env python3
# tools/check_doc_snippets.py - compiles every fenced C++ block of README.md and docs/*.md
# against include/, so that the documentation can never show code that does not build.
# SPDX-License-Identifier: MIT
#
#   python3 tools/check_doc_snippets.py              compile every block (exit 1 on a failure)
#   python3 tools/check_doc_snippets.py --list       print each block's file, line and kind
#   python3 tools/check_doc_snippets.py --keep DIR   also keep the generated sources in DIR
#   python3 tools/check_doc_snippets.py FILE.md ...  only these files
#   python3 tools/check_doc_snippets.py --self-test  check the checker: a made-up document
#                                                with good and broken blocks of every kind
#   options: --cxx g++ (default: $CXX or g++), -j N (default: $VITALS_JOBS or 2)
#
# Each ```cpp block becomes one translation unit, compiled with -std=c++17 and strict
# warnings (-Werror). A `#line` directive maps every error back to the Markdown line.
#
# - A block that defines `main` is a whole translation unit, compiled as written.
# - Any other block is a fragment: its `#include` lines go first, then the umbrella, server
#   and process headers (or "vitals_server.hpp" for drop-in blocks) and the common standard headers, and its other lines are compiled
#   inside a function body. Unused variables are allowed in fragments (they show a call, not
#   a program).
#
# An HTML comment right before the fence (blank lines between are allowed) adjusts a block:
#
#   <!-- doc-check: context
#   vitals::registry reg;
#   std::string body, reply;
#   -->
#       declarations the fragment relies on, placed at namespace scope before it
#
#   <!-- doc-check: tu -->
#       a whole translation unit without `main` (namespace-scope definitions)
#
#   <!-- doc-check: drop-in -->
#       compile with only single_include/vitals on the include path (the drop-in form)
#
#   <!-- doc-check: skip REASON -->
#       not compiled; the reason is mandatory and printed by --list
#
# Standard library only.
import argparse
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([A-Za-z0-9_+-]*)\s*$")
MARKER_RE = re.compile(r"<!--\s*doc-check:\s*(.*?)-->", re.S)
INCLUDE_RE = re.compile(r"^\s*#\s*include\b")
MAIN_RE = re.compile(r"\bmain\s*\(")
CPP_LANGS = {"cpp", "c++", "cxx", "cc"}

FRAGMENT_PRELUDE = """\
#include <vitals/process.hpp>
#include <vitals/server.hpp>
#include <vitals/vitals.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
"""

DROP_IN_PRELUDE = FRAGMENT_PRELUDE.replace(
    "#include <vitals/process.hpp>\n#include <vitals/server.hpp>\n#include <vitals/vitals.hpp>\n",
    '#include "vitals_server.hpp"\n')

WARNINGS = ["-Wall", "-Wextra", "-Wpedantic", "-Wshadow", "-Werror"]
FRAGMENT_WARNINGS = ["-Wno-unused-variable", "-Wno-unused-but-set-variable",
                     "-Wno-unused-parameter", "-Wno-unused-function", "-Wno-unused-local-typedefs"]


class Block:
    def __init__(self, path, line, code, marker):
        self.path = path      # relative to ROOT
        self.line = line      # 1-based line of the first code line
        self.code = code
        self.kind = "tu" if MAIN_RE.search(code) else "fragment"
        self.context = ""
        self.drop_in = False
        self.skip = None
        if marker is not None:
            self.apply_marker(marker)

    def apply_marker(self, marker):
        text = marker.strip()
        first, _, rest = text.partition("\n")
        words = first.split(None, 1)
        if not words:
            raise ValueError("%s:%d: empty doc-check marker" % (self.path, self.line))
        key = words[0]
        if key == "context":
            self.context = (words[1] + "\n" if len(words) > 1 else "") + rest
            if self.kind != "fragment":
                raise ValueError("%s:%d: 'context' only applies to fragments (blocks without "
                                 "main)" % (self.path, self.line))
        elif key == "tu":
            self.kind = "tu"
        elif key == "drop-in":
            self.drop_in = True
        elif key == "skip":
            reason = text[len("skip"):].strip()
            if not reason:
                raise ValueError("%s:%d: 'doc-check: skip' needs a reason" % (self.path, self.line))
            self.skip = reason
        else:
            raise ValueError("%s:%d: unknown doc-check marker '%s' (context, tu, drop-in, skip)"
                             % (self.path, self.line, key))

    def label(self):
        return "%s:%d" % (self.path, self.line)

    def source(self):
        where = os.path.join(ROOT, self.path).replace("\\", "/")
        if self.kind == "tu":
            return '#line %d "%s"\n%s' % (self.line, where, self.code)
        ident = re.sub(r"[^A-Za-z0-9_]", "_", self.path) + "_%d" % self.line
        includes, body = [], []
        for n, line in enumerate(self.code.split("\n")):
            if INCLUDE_RE.match(line):
                includes.append('#line %d "%s"\n%s\n' % (self.line + n, where, line))
                body.append("")  # keeps the line numbers of the body
            else:
                body.append(line)
        prelude = DROP_IN_PRELUDE if self.drop_in else FRAGMENT_PRELUDE
        out = includes + [prelude]
        if self.context:
            out.append('#line 1 "context of %s"\n%s\n' % (self.label(), self.context))
        out.append("\nvoid doc_snippet_%s() {\n" % ident)
        out.append('#line %d "%s"\n%s\n}\n' % (self.line, where, "\n".join(body)))
        return "".join(out)

    def flags(self):
        inc = os.path.join(ROOT, "single_include", "vitals") if self.drop_in else \
            os.path.join(ROOT, "include")
        flags = ["-std=c++17", "-I" + inc] + WARNINGS
        if self.kind == "fragment":
            flags += FRAGMENT_WARNINGS
        return flags


def extract(path):
    """Every C++ block of one Markdown file, with the doc-check marker before it (if any)."""
    rel = os.path.relpath(path, ROOT)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = []
    i = 0
    last_text_end = 0  # index after the last line that is not inside a fence
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(2), m.group(3).lower()
        start = i + 1
        j = start
        while j < len(lines) and not re.match(r"^\s*" + re.escape(fence[0]) + "{%d,}\s*$"
                                              % len(fence), lines[j]):
            j += 1
        if j == len(lines):
            raise ValueError("%s:%d: unterminated code fence" % (rel, i + 1))
        if lang in CPP_LANGS:
            # The marker must end on the last non-blank line before the fence.
            k = i - 1
            while k >= last_text_end and not lines[k].strip():
                k -= 1
            marker = None
            if k >= last_text_end and lines[k].rstrip().endswith("-->"):
                before = "\n".join(lines[last_text_end:k + 1])
                found = list(MARKER_RE.finditer(before))
                if found and found[-1].end() == len(before.rstrip()):
                    marker = found[-1].group(1)
            blocks.append(Block(rel, start + 1, "\n".join(lines[start:j]) + "\n", marker))
        i = j + 1
        last_text_end = i
    return blocks


def compile_block(block, cxx, workdir):
    ident = re.sub(r"[^A-Za-z0-9_]", "_", block.label())
    src = os.path.join(workdir, ident + ".cpp")
    with open(src, "w", encoding="utf-8") as f:
        f.write(block.source())
    cmd = [cxx] + block.flags() + ["-c", src, "-o", os.path.join(workdir, ident + ".o")]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    return block, proc.returncode, proc.stdout, " ".join(cmd)


SELF_TEST_DOC = """\
Good, a whole program:

```cpp
#include <vitals/vitals.hpp>
int main() { return static_cast<int>(vitals::default_registry().family_count()) - 1; }
```

Good, a fragment with context:

<!-- doc-check: context
vitals::registry reg;
-->
```cpp
reg.counter("ok_total", "Fine.").inc();
```

Broken, a fragment using a name that does not exist:

```cpp
vitals::default_registry().no_such_member();
```

Broken, a fragment that needs context it does not declare:

```c++
reg.counter("x", "y").inc();
```

Broken, a drop-in block naming the include/ form:

<!-- doc-check: drop-in -->
```cpp
#include <vitals/server.hpp>
```

Not compiled:

<!-- doc-check: skip shows a shell session -->
```cpp
this is not C++
```
"""


def self_test(args):
    """Runs the checker on SELF_TEST_DOC: 2 blocks must pass, 3 fail (by line), 1 skip."""
    tmp = tempfile.mkdtemp(prefix="vitals-doc-snippets-self-")
    doc = os.path.join(tmp, "self_test.md")
    with open(doc, "w", encoding="utf-8") as f:
        f.write(SELF_TEST_DOC)
    cmd = [sys.executable, os.path.abspath(__file__), "--cxx", args.cxx, "-j", str(args.j), doc]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    os.remove(doc)
    os.rmdir(tmp)
    failed = sorted(int(m) for m in re.findall(r"^FAIL \S*self_test\.md:(\d+)", proc.stdout,
                                                re.M))
    passed = len(re.findall(r"^ok ", proc.stdout, re.M))
    want_failed = [i + 1 for i, line in enumerate(SELF_TEST_DOC.split("\n"))
                   if line.startswith(("vitals::default_registry().no_such", "reg.counter(\"x\"",
                                       "#include <vitals/server.hpp>"))]
    summary = "2 blocks compiled, 3 failed, 1 skipped"
    if proc.returncode != 1 or failed != want_failed or passed != 2 or summary not in proc.stdout:
        print(proc.stdout)
        print("self-test FAILED: exit %d, failing lines %s (want 1, %s), %d passed (want 2)"
              % (proc.returncode, failed, want_failed, passed))
        return 1
    print("self-test passed: good blocks compile, broken ones fail at their line, skips skip")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("files", nargs="*", help="Markdown files (default: README.md docs/*.md)")
    ap.add_argument("--list", action="store_true", help="list the blocks and exit")
    ap.add_argument("--self-test", action="store_true", help="check the checker")
    ap.add_argument("--keep", metavar="DIR", help="write the generated sources into DIR")
    ap.add_argument("--cxx", default=os.environ.get("CXX") or "g++")
    ap.add_argument("-j", type=int, default=int(os.environ.get("VITALS_JOBS", "2")))
    args = ap.parse_args()

    if args.self_test:
        return self_test(args)
    files = args.files or [os.path.join(ROOT, "README.md")] + sorted(
        glob.glob(os.path.join(ROOT, "docs", "*.md")))
    try:
        blocks = [b for f in files for b in extract(os.path.abspath(f))]
    except (OSError, ValueError) as e:
        print("check_doc_snippets: %s" % e, file=sys.stderr)
        return 2

    if args.list:
        for b in blocks:
            kind = "skip (%s)" % b.skip if b.skip else b.kind + (" drop-in" if b.drop_in else "")
            print("%s %s" % (b.label(), kind))
        return 0
    todo = [b for b in blocks if not b.skip]
    if not todo:
        print("check_doc_snippets: no C++ block found in %s" % " ".join(files), file=sys.stderr)
        return 1

    workdir = args.keep or tempfile.mkdtemp(prefix="vitals-doc-snippets-")
    os.makedirs(workdir, exist_ok=True)
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.j)) as pool:
        for block, rc, output, cmd in pool.map(lambda b: compile_block(b, args.cxx, workdir),
                                               todo):
            if rc == 0:
                print("ok   %s (%s)" % (block.label(), block.kind))
            else:
                failed += 1
                print("FAIL %s (%s)\n  %s\n%s" % (block.label(), block.kind, cmd, output))
    skipped = len(blocks) - len(todo)
    print("%d blocks compiled, %d failed, %d skipped" % (len(todo) - failed, failed, skipped))
    if not args.keep:
        for name in os.listdir(workdir):
            os.remove(os.path.join(workdir, name))
        os.rmdir(workdir)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
