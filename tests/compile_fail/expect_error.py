#!/usr/bin/env python3
# tests/compile_fail/expect_error.py - passes when compiling a snippet fails with a message.
# SPDX-License-Identifier: MIT
"""expect_error.py MESSAGE COMPILER [ARGS...]

Runs COMPILER ARGS...; exits 0 only when it fails and its output contains MESSAGE (so the
error a user sees is vitals' own sentence, not a page of template noise about something
else). Standard library only."""

import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    message, command = sys.argv[1], sys.argv[2:]
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.decode("utf-8", "replace")
    if proc.returncode == 0:
        print("compiled, but it must not: " + " ".join(command))
        return 1
    if message not in output:
        print("failed without the expected message '{}':\n{}".format(message, output))
        return 1
    print("failed as expected with: " + message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
