#!/usr/bin/env python3
# tools/amalgamate.py - writes the single-header distribution under single_include/.
# SPDX-License-Identifier: MIT
"""Build single_include/vitals/*.hpp from the headers under include/vitals/.

    python3 tools/amalgamate.py                  regenerate single_include/
    python3 tools/amalgamate.py --check          exit 1 if single_include/ is stale
    python3 tools/amalgamate.py --line-directives  add #line markers (for debugging only;
                                                   never commit such output)
    python3 tools/amalgamate.py --shims DIR      write forwarding headers (see below)

Outputs:
  single_include/vitals/vitals.hpp          include/vitals/vitals.hpp with every
                                            <vitals/...> include inlined
  single_include/vitals/vitals_server.hpp   only when include/vitals/server.hpp exists:
                                            server.hpp (and process.hpp when present);
                                            every header already inside vitals.hpp is
                                            replaced by one `#include "vitals.hpp"`

Rules (see STYLE.md, section 5):
  * each `#include <vitals/...>` is inlined once, depth-first, where it first appears;
    later includes of the same header are dropped (include guards make that safe);
    a header first reached inside an #if block is inlined again where it is next
    included, until one copy sits outside any conditional block;
  * every other include (standard library, system) is left untouched;
  * quoted includes, computed includes, raw string literals and include cycles are
    errors, because a line-based script cannot handle them reliably;
  * the output is byte-identical from run to run: no dates, no absolute paths, `\\n`
    line ends, files visited in a fixed order.

--shims DIR writes, for every header under include/vitals/, a file DIR/vitals/<name>
that only includes the amalgamation containing it. With `-I single_include -I DIR`,
code written against the individual headers compiles against the single headers
alone; the CMake option VITALS_USE_SINGLE_INCLUDE uses this to run the whole test
suite against single_include/.

Only the Python standard library is used; any Python 3.6+ runs it.
"""

import argparse
import os
import re
import sys

CORE_ROOT = "vitals.hpp"
SERVER_ROOTS = ("server.hpp", "process.hpp")
CORE_OUT = "vitals.hpp"
SERVER_OUT = "vitals_server.hpp"

INCLUDE_RE = re.compile(r"^\s*#\s*include\b(.*)$")
ANGLE_RE = re.compile(r"^\s*<([^>]+)>")
QUOTE_RE = re.compile(r'^\s*"([^"]+)"')
CONDITIONAL_OPEN_RE = re.compile(r"^\s*#\s*(if|ifdef|ifndef)\b(.*)$")
CONDITIONAL_END_RE = re.compile(r"^\s*#\s*endif\b")
DEFINE_RE = re.compile(r"^\s*#\s*define\s+(\w+)\s*$")
PRAGMA_ONCE_RE = re.compile(r"^\s*#\s*pragma\s+once\b")
GUARD_NAME_RE = re.compile(r"^\s*(\w+)")
RAW_STRING_RE = re.compile(r'(?<![A-Za-z0-9_])(?:u8|u|U|L)?R"$')
NUMBER_CHARS = re.compile(r"[0-9A-Za-z_'.]*$")
VERSION_RE = re.compile(r"^\s*#\s*define\s+VITALS_VERSION_(MAJOR|MINOR|PATCH)\s+(\d+)", re.M)


class AmalgamationError(Exception):
    pass


def read_text(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AmalgamationError("{}: not valid UTF-8 ({})".format(path, e))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text and not text.endswith("\n"):
        text += "\n"
    return text


def is_digit_separator(line, i):
    """True for the ' in 1'000'000: it sits inside a number, not a character literal."""
    token = NUMBER_CHARS.search(line, 0, i).group(0)
    return bool(token) and token[0].isdigit()


def comment_states(lines, rel):
    """For each line, True when the line starts inside a /* */ comment.

    Tracks block comments, line comments and string/character literals well enough
    for our headers; raw string literals are rejected (STYLE.md, section 5).
    """
    states = []
    in_block = False
    for number, line in enumerate(lines, 1):
        states.append(in_block)
        i = 0
        n = len(line)
        while i < n:
            if in_block:
                end = line.find("*/", i)
                if end < 0:
                    break
                in_block = False
                i = end + 2
                continue
            c = line[i]
            if c == "/" and line.startswith("//", i):
                break
            if c == "/" and line.startswith("/*", i):
                in_block = True
                i += 2
                continue
            if c == "'" and is_digit_separator(line, i):
                i += 1
                continue
            if c == '"' or c == "'":
                if c == '"' and RAW_STRING_RE.search(line, max(0, i - 3), i + 1):
                    raise AmalgamationError(
                        "{}:{}: raw string literal; not allowed in vitals headers "
                        "(STYLE.md, section 5)".format(rel, number))
                j = i + 1
                while j < n and line[j] != c:
                    j += 2 if line[j] == "\\" else 1
                i = j + 1
                continue
            i += 1
    return states


class Header(object):
    """One parsed header: its lines and the include-guard lines to recognise."""

    def __init__(self, root, name):
        self.name = name  # path below include/, e.g. "vitals/detail/escape.hpp"
        self.rel = "include/" + name
        self.path = os.path.join(root, "include", *name.split("/"))
        if not os.path.isfile(self.path):
            raise AmalgamationError("{}: no such header".format(self.rel))
        self.lines = read_text(self.path).split("\n")[:-1]
        self.in_comment = comment_states(self.lines, self.rel)
        self.guard_open = self._find_guard()

    def _find_guard(self):
        """Index of the `#ifndef GUARD` line that opens the include guard, or None."""
        for i, line in enumerate(self.lines):
            stripped = line.strip()
            if not stripped or self.in_comment[i] or stripped.startswith("//") \
                    or stripped.startswith("/*") or PRAGMA_ONCE_RE.match(line):
                continue
            m = CONDITIONAL_OPEN_RE.match(line)
            if m and m.group(1) == "ifndef" and i + 1 < len(self.lines):
                name = GUARD_NAME_RE.match(m.group(2))
                d = DEFINE_RE.match(self.lines[i + 1])
                if name and d and d.group(1) == name.group(1):
                    return i
            return None
        return None


class Amalgamator(object):
    def __init__(self, root, line_directives=False):
        self.root = root
        self.line_directives = line_directives
        self.cache = {}

    def header(self, name):
        if name not in self.cache:
            self.cache[name] = Header(self.root, name)
        return self.cache[name]

    def build(self, roots, replaced=None, replacement=None):
        """Inline `roots` (names below include/) into one text.

        Headers in `replaced` are not inlined; the first include of any of them becomes
        the single line `replacement`. Returns (text, set of inlined header names).
        """
        self.out = []
        self.inlined = {}  # name -> True once a copy sits outside any #if block
        self.stack = []
        self.replaced = replaced or set()
        self.replacement = replacement
        self.replacement_done = False
        for name in roots:
            self.emit_file(self.header(name), conditional=False)
        return "\n".join(self.out) + "\n", set(self.inlined)

    def emit_file(self, hdr, conditional):
        """Appends hdr's lines; `conditional` is True when inside an #if block of a parent."""
        if hdr.name in self.stack:
            cycle = " -> ".join(self.stack[self.stack.index(hdr.name):] + [hdr.name])
            raise AmalgamationError("include cycle: " + cycle)
        self.stack.append(hdr.name)
        self.inlined.setdefault(hdr.name, False)
        if self.line_directives:
            self.out.append('#line 1 "{}"'.format(hdr.rel))
        # Conditional blocks opened in this file that are not its include guard.
        opened = []
        for i, line in enumerate(hdr.lines):
            if hdr.in_comment[i]:
                self.out.append(line)
                continue
            if CONDITIONAL_OPEN_RE.match(line):
                opened.append(i != hdr.guard_open)
                self.out.append(line)
                continue
            if CONDITIONAL_END_RE.match(line):
                if opened:
                    opened.pop()
                self.out.append(line)
                continue
            if PRAGMA_ONCE_RE.match(line) and self.stack[0] != hdr.name:
                continue  # the include guards do the work in the single file
            m = INCLUDE_RE.match(line)
            if not m:
                self.out.append(line)
                continue
            target = m.group(1)
            angle = ANGLE_RE.match(target)
            if angle is None:
                quoted = QUOTE_RE.match(target)
                if quoted:
                    raise AmalgamationError(
                        '{}:{}: quoted include "{}"; vitals headers include each other as '
                        "<vitals/...>".format(hdr.rel, i + 1, quoted.group(1)))
                raise AmalgamationError(
                    "{}:{}: computed #include is not supported (STYLE.md, section 5)".format(
                        hdr.rel, i + 1))
            name = angle.group(1)
            if not name.startswith("vitals/"):
                self.out.append(line)  # standard library or system header
                continue
            self.include(hdr, i, name, conditional or any(opened))
        self.stack.pop()
        if not conditional:
            self.inlined[hdr.name] = True

    def include(self, parent, index, name, conditional):
        if name in self.replaced:
            if not self.replacement_done:
                self.out.append(self.replacement)
                self.replacement_done = not conditional
            else:
                self.out.append("// #include <{}>: in {}".format(name, self.replacement.split()[-1]))
            return
        if self.inlined.get(name):
            self.out.append("// #include <{}>: inlined above".format(name))
            return
        self.out.append("// #include <{}>".format(name))
        self.emit_file(self.header(name), conditional)
        if self.line_directives:
            self.out.append('#line {} "{}"'.format(index + 2, parent.rel))


def all_headers(root):
    base = os.path.join(root, "include")
    found = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(base, "vitals")):
        dirnames.sort()
        for f in sorted(filenames):
            if f.endswith((".hpp", ".h")):
                rel = os.path.relpath(os.path.join(dirpath, f), base)
                found.append(rel.replace(os.sep, "/"))
    return sorted(found)


def version_of(root):
    path = os.path.join(root, "include", "vitals", "version.hpp")
    if not os.path.isfile(path):
        return None
    parts = dict(VERSION_RE.findall(read_text(path)))
    if set(parts) != {"MAJOR", "MINOR", "PATCH"}:
        return None
    return "{}.{}.{}".format(parts["MAJOR"], parts["MINOR"], parts["PATCH"])


def banner(sources, version, note):
    lines = [
        "// vitals{} - header-only C++17 metrics for Prometheus, as a single header.".format(
            " " + version if version else ""),
        "// GENERATED - DO NOT EDIT. Made by tools/amalgamate.py from " + ", ".join(sources) + ".",
        "// Edit the headers under include/vitals/ and run `python3 tools/amalgamate.py` instead.",
    ]
    if note:
        lines.append("// " + note)
    lines.append("// SPDX-License-Identifier: MIT")
    return "\n".join(lines) + "\n"


def generate(root, line_directives=False):
    """Returns {output file name: text} and {header name: output it lives in}."""
    version = version_of(root)
    amalg = Amalgamator(root, line_directives)
    core_name = "vitals/" + CORE_ROOT
    if not os.path.isfile(os.path.join(root, "include", "vitals", CORE_ROOT)):
        raise AmalgamationError("include/{}: no such header".format(core_name))
    text, core = amalg.build([core_name])
    outputs = {CORE_OUT: banner(["include/" + core_name], version, None) + text}
    owner = dict((name, CORE_OUT) for name in core)

    roots = ["vitals/" + r for r in SERVER_ROOTS
             if os.path.isfile(os.path.join(root, "include", "vitals", r))]
    if roots and roots[0] == "vitals/" + SERVER_ROOTS[0]:
        text, server = amalg.build(roots, replaced=core, replacement='#include "vitals.hpp"')
        note = "Include it next to vitals.hpp (it includes \"vitals.hpp\")."
        # Also first, outside every guard: in a file that included include/'s server.hpp
        # before this header, the server part (and the include in it) is skipped, and the
        # parts after it still need the core.
        first = ('#include "vitals.hpp" // the core, whatever this file included before\n')
        outputs[SERVER_OUT] = (banner(["include/" + r for r in roots], version, note) + first +
                               text)
        for name in server:
            owner.setdefault(name, SERVER_OUT)
    return outputs, owner


def out_dir(root):
    return os.path.join(root, "single_include", "vitals")


def write_if_changed(path, text):
    data = text.encode("utf-8")
    if os.path.isfile(path):
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        os.makedirs(parent)
    # Write a temporary file and rename it over the old one: a compiler reading (or mapping)
    # the header at the same moment sees the old or the new file, never a truncated one.
    tmp = "{}.tmp{}".format(path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return True


def check(root, outputs):
    stale = []
    for name in sorted(outputs):
        path = os.path.join(out_dir(root), name)
        if not os.path.isfile(path):
            stale.append("single_include/vitals/{} is missing".format(name))
            continue
        with open(path, "rb") as f:
            if f.read() != outputs[name].encode("utf-8"):
                stale.append("single_include/vitals/{} is out of date".format(name))
    for name in (CORE_OUT, SERVER_OUT):
        if name not in outputs and os.path.isfile(os.path.join(out_dir(root), name)):
            stale.append("single_include/vitals/{} should not exist (its sources are gone)"
                         .format(name))
    if stale:
        for s in stale:
            sys.stderr.write("amalgamate: {}\n".format(s))
        sys.stderr.write("amalgamate: single_include/ is stale; run `python3 tools/amalgamate.py`"
                         " and commit the result\n")
        return 1
    print("amalgamate: single_include/ is up to date ({})".format(", ".join(sorted(outputs))))
    return 0


def write_shims(root, shim_dir, owner):
    """Forwarding headers: DIR/vitals/<name> includes the amalgamation that holds it."""
    count = 0
    for name in all_headers(root):
        if name in ("vitals/" + CORE_OUT, "vitals/" + SERVER_OUT):
            continue  # found in single_include/ itself, which comes first on the include path
        target = owner.get(name)
        if target is None:
            # Not reachable from either amalgamation: forward to the real header, whose own
            # <vitals/...> includes then resolve to the single headers or other shims.
            sys.stderr.write("amalgamate: note: {} is in no amalgamation\n".format(name))
            src = os.path.abspath(os.path.join(root, "include", *name.split("/")))
            body = '#include "{}"\n'.format(src.replace(os.sep, "/"))
        else:
            body = "#include <vitals/{}>\n".format(target)
        text = "// Forwarding header made by tools/amalgamate.py --shims.\n" + body
        write_if_changed(os.path.join(shim_dir, *name.split("/")), text)
        count += 1
    return count


def main(argv):
    parser = argparse.ArgumentParser(
        description="Generate single_include/vitals/ from include/vitals/.")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 when single_include/ differs from a fresh run")
    parser.add_argument("--line-directives", action="store_true",
                        help="emit #line directives pointing into include/ (debugging aid)")
    parser.add_argument("--shims", metavar="DIR",
                        help="write forwarding headers into DIR instead of single_include/")
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(
        __file__))), help="repository root (default: the parent of tools/)")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    try:
        outputs, owner = generate(root, args.line_directives)
    except AmalgamationError as e:
        sys.stderr.write("amalgamate: error: {}\n".format(e))
        return 2
    if args.shims:
        n = write_shims(root, os.path.abspath(args.shims), owner)
        print("amalgamate: wrote {} forwarding headers to {}".format(n, args.shims))
        return 0
    if args.check:
        return check(root, outputs)
    for name in sorted(outputs):
        path = os.path.join(out_dir(root), name)
        changed = write_if_changed(path, outputs[name])
        print("amalgamate: {} single_include/vitals/{}".format(
            "wrote" if changed else "unchanged", name))
    if SERVER_OUT not in outputs:
        stale = os.path.join(out_dir(root), SERVER_OUT)
        if os.path.isfile(stale):
            os.remove(stale)
            print("amalgamate: removed single_include/vitals/{}".format(SERVER_OUT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
