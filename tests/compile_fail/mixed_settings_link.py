#!/usr/bin/env python3
# tests/compile_fail/mixed_settings_link.py - a metric shared through a global variable by two
# parts built with different settings must not link.
# SPDX-License-Identifier: MIT
"""mixed_settings_link.py INCLUDE_DIR SOURCE COMPILER [COMPILER_ARGS...]

Builds SOURCE twice: as the part that defines the global counter, with the default settings,
and as the part that records into it. Two recording parts must fail to link, with the
undefined symbol naming their settings' ABI tag: one with VITALS_COUNTER_STRIPES=8 and one
with VITALS_COMPACT=1. The control, both parts with the same settings, must link and count
every increment. Exits 0 when all three hold. Standard library only."""

import os
import subprocess
import sys
import tempfile


def run(command):
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    include, source, compiler = sys.argv[1], sys.argv[2], sys.argv[3:]
    base = compiler + ["-std=c++17", "-I" + include, "-c", source]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        main_obj = os.path.join(tmp, "define.o")
        code, out = run(base + ["-DVITALS_TEST_DEFINE", "-o", main_obj])
        if code != 0:
            print("the defining part did not compile:\n" + out)
            return 1
        for name, flags, tag in [("same settings", [], None),
                                 ("VITALS_COUNTER_STRIPES=8", ["-DVITALS_COUNTER_STRIPES=8"],
                                  "_s8"),
                                 ("VITALS_COMPACT=1", ["-DVITALS_COMPACT=1"], "_s1_c")]:
            obj = os.path.join(tmp, "record.o")
            exe = os.path.join(tmp, "program")
            code, out = run(base + flags + ["-o", obj])
            if code != 0:
                print("{}: the recording part did not compile:\n{}".format(name, out))
                failures += 1
                continue
            code, out = run(compiler + [main_obj, obj, "-o", exe, "-pthread"])
            if tag is None:
                if code != 0:
                    print("{}: did not link:\n{}".format(name, out))
                    failures += 1
                    continue
                code, out = run([exe])
                if code != 0 or out.strip() != "1000":
                    print("{}: counted {!r} (exit {}), not 1000".format(name, out.strip(), code))
                    failures += 1
                else:
                    print("{}: linked and counted 1000".format(name))
            elif code == 0:
                print("{}: linked, but parts with other settings must not".format(name))
                failures += 1
            elif "g_requests[abi:" not in out or tag not in out:
                print("{}: failed without naming the settings' tag:\n{}".format(name, out))
                failures += 1
            else:
                print("{}: refused at link time as expected".format(name))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
