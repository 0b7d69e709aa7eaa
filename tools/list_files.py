#!/usr/bin/env python3
# tools/list_files.py - prints the files in DIR matching PATTERN, sorted, one per line.
# SPDX-License-Identifier: MIT
# Meson has no glob; meson.build calls this at configure time to find tests/unit/*.cpp and
# examples/*.cpp. A missing directory prints nothing.
import fnmatch
import os
import sys


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: list_files.py DIR PATTERN\n")
        return 2
    directory, pattern = argv
    if not os.path.isdir(directory):
        return 0
    for name in sorted(os.listdir(directory)):
        if fnmatch.fnmatchcase(name, pattern) and os.path.isfile(os.path.join(directory, name)):
            sys.stdout.write(name + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
