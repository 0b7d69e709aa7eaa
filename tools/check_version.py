#!/usr/bin/env python3
# tools/check_version.py - checks that every copy of the version agrees with version.hpp.
# SPDX-License-Identifier: MIT
# include/vitals/version.hpp is the source of truth (CMake reads it directly). Meson needs a
# literal in project(), so meson.build holds a copy that this script compares.
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def main():
    header = read("include/vitals/version.hpp")
    parts = dict(re.findall(r"^#define VITALS_VERSION_(MAJOR|MINOR|PATCH) +(\d+)", header, re.M))
    if set(parts) != {"MAJOR", "MINOR", "PATCH"}:
        print("check_version: include/vitals/version.hpp lacks VITALS_VERSION_MAJOR/MINOR/PATCH")
        return 1
    version = "{MAJOR}.{MINOR}.{PATCH}".format(**parts)
    errors = []
    m = re.search(r"^project\([^)]*?\bversion:\s*'([^']+)'", read("meson.build"), re.M | re.S)
    if not m:
        errors.append("meson.build: no version: in project()")
    elif m.group(1) != version:
        errors.append("meson.build: version '{}' != {}".format(m.group(1), version))
    for e in errors:
        print("check_version: " + e)
    if errors:
        print("check_version: include/vitals/version.hpp says {}; update the copies".format(version))
        return 1
    print("check_version: {} everywhere".format(version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
