#!/usr/bin/env bash
# bench/budgets.sh - what vitals costs the programs that include it: compile time and size.
# SPDX-License-Identifier: MIT
#
# Usage: bench/budgets.sh [--runs N] [--headers] [--no-size | --size-only]
#   --runs N      compilations per measurement (default 7); the median is reported
#   --headers     also time each standard header the public headers include, alone
#   --no-size     skip the armhf size part
#   --size-only   only the armhf size part (CI's embedded step runs it: it fails past the
#                 size target)
#
# (a) Compile time, g++ and clang++ -std=c++17 at -O0 and -O2: translation units that include
#     <vitals/record.hpp> (alone, and with a function that records through it),
#     <vitals/counter.hpp>, <vitals/gauge.hpp>, <vitals/histogram.hpp>, <vitals/vitals.hpp>,
#     <vitals/server.hpp>, examples/minimal.cpp (register, record and render, as README's ten
#     lines do), <vitals/vitals.hpp>, <vitals/server.hpp> and <string> through a precompiled
#     header built as CMake's target_precompile_headers() builds one, and (when installed)
#     prometheus-cpp's headers, as ratios to a
#     translation unit that includes only <string>, all compiled in turn in each round. Times
#     are the compiler's CPU time (user + system, from /usr/bin/time), which a busy machine
#     inflates far less than wall time; the median of N runs. Targets: vitals.hpp <= 1.6x,
#     server.hpp <= 2.0x, a header for code that only records <= 1.0x.
# (b) Size of examples/embedded.cpp built static for armhf with arm-linux-gnueabihf-g++ -Os,
#     stripped, in the compact (VITALS_COMPACT=1) and default configurations, each with plain
#     flags and with -ffunction-sections -fdata-sections -Wl,--gc-sections. vitals' share is
#     reported over two baselines built with the same flags: the C baseline, a static program
#     that only writes a fixed buffer with fwrite, and the C++ baseline, which also builds a
#     std::string from argv, grows a std::vector<int> with push_back and calls new/delete, as
#     any C++ program on such a board does (it links libstdc++'s throw and terminate paths,
#     with the demangler behind the verbose terminate handler). Then an attribution table
#     from the linker maps (-Wl,-Map) of the compact gc-sections build and of both baselines:
#     the allocated bytes the compact program adds over each baseline, grouped into the
#     program's own object (vitals headers + example), each archive (libstdc++.a, libc.a,
#     libgcc.a, the rest) and alignment fill, then the 10 archive members that add the most,
#     and a check that the groups, plus linker merging and ELF layout, add up to the stripped
#     size difference. Target: the compact embedded program (gc-sections) under 40 KiB over
#     the C++ baseline; the script exits 1 when it is not.
#
# Debian: g++ time g++-arm-linux-gnueabihf. Scratch files go to ${TMPDIR:-/tmp}.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=7
HEADERS=0
SIZE=1
TIMES=1
while (($#)); do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --headers) HEADERS=1; shift ;;
        --no-size) SIZE=0; shift ;;
        --size-only) TIMES=0; HEADERS=0; shift ;;
        -h | --help) sed -n '/^# Usage:/,/^# Debian/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "budgets.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
((TIMES == 0)) || [[ -x /usr/bin/time ]] ||
    { echo "budgets.sh: needs /usr/bin/time (Debian: time)" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vitals-budgets.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# median_ms CXX_ARGS...: median CPU milliseconds of RUNS compilations.
median_ms() {
    local i times=()
    for ((i = 0; i < RUNS; i++)); do
        /usr/bin/time -f '%U %S' -o "$WORK/time" "$@"
        times+=("$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$WORK/time")")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

echo "# vitals budgets ($(date -u +%Y-%m-%d), $(g++ --version | head -1), $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg))"
echo

if ((TIMES)); then
    printf '#include <string>\n' >"$WORK/baseline.cpp"
    printf '#include <vitals/record.hpp>\n' >"$WORK/record.cpp"
    # A file that records, as README shows one: the light header and a function using it.
    cat >"$WORK/record_use.cpp" <<'EOF'
#include <vitals/record.hpp>
void handle(vitals::counter_family& requests, vitals::histogram_family& latency,
            vitals::gauge& in_flight, double seconds, const char* code) {
    in_flight.inc();
    requests.labels("GET", code).inc();
    latency.labels("/api").observe(seconds, vitals::exemplar{"trace_id", "4bf92f35"});
    in_flight.dec();
}
EOF
    printf '#include <vitals/counter.hpp>\n' >"$WORK/counter.cpp"
    printf '#include <vitals/gauge.hpp>\n' >"$WORK/gauge.cpp"
    printf '#include <vitals/histogram.hpp>\n' >"$WORK/histogram.cpp"
    printf '#include <vitals/vitals.hpp>\n' >"$WORK/core.cpp"
    printf '#include <vitals/server.hpp>\n' >"$WORK/server.cpp"
    # The least any full header can cost while recording stays inline and the registration API
    # keeps its types: the light header, and the <string> and <vector> that family_options, the
    # histogram bounds and to_text() hold or return by value.
    printf '#include <string>\n#include <vector>\n#include <vitals/record.hpp>\n' \
        >"$WORK/core_floor.cpp"
    # What the README's ten lines do (register, record, render with to_text), as examples/minimal.cpp.
    cp "$ROOT/examples/minimal.cpp" "$WORK/minimal.cpp"
    # The same standard headers without vitals' own code (docs/headers.md lists them).
    for tu in core server; do
        header=vitals/vitals.hpp
        [[ $tu == server ]] && header=vitals/server.hpp
        python3 "$ROOT/tools/list_std_includes.py" --closure "$header" |
            sed 's/.*/#include <&>/' >"$WORK/${tu}_std.cpp"
    done
    # The full headers through a precompiled header, as CMake's target_precompile_headers()
    # builds and uses one: the header compiled once per compiler and flags, then each file
    # that includes it loads the result (-include, which finds <file>.gch or <file>.pch beside
    # it). Clang's is made with -fpch-instantiate-templates, as CMake does, so that the
    # templates the header's inline code uses are instantiated once in it, not in every file.
    # string_pch is <string> the same way, for comparison with a build that precompiles.
    for tu in core server string; do
        cp "$WORK/${tu/string/baseline}.cpp" "$WORK/${tu}_pch.cpp"
    done
    tus=(baseline record record_use counter gauge histogram core core_std core_floor minimal server
        server_std core_pch server_pch string_pch)
    # prometheus-cpp (Debian prometheus-cpp-dev), when installed: what a TU registering, recording
    # and serializing with it includes, beside vitals.hpp.
    if echo '#include <prometheus/counter.h>' | g++ -std=c++17 -x c++ -fsyntax-only - 2>/dev/null; then
        printf '#include <prometheus/%s.h>\n' counter gauge histogram family registry \
            text_serializer >"$WORK/prometheus_cpp.cpp"
        tus+=(prometheus_cpp)
    fi
    compilers=(g++)
    command -v clang++ >/dev/null && compilers+=(clang++)

    echo "## Compile time: -std=c++17 -c, CPU ms, median of $RUNS, ratio to the <string> TU"
    echo
    # Every TU is compiled once per round, in turn, so that all see the same machine load; the
    # ratios are those of the medians.
    declare -A ms pch_build_ms
    for cxx in "${compilers[@]}"; do
        for opt in -O0 -O2; do
            declare -A flags=()
            for tu in core server string; do
                pch="$WORK/pch$cxx$opt/$tu.hpp"
                mkdir -p "${pch%/*}"
                cp "$WORK/${tu/string/baseline}.cpp" "$pch"
                pch_flags=()
                out="$pch.gch"
                [[ $cxx == clang++ ]] && pch_flags=(-fpch-instantiate-templates) && out="$pch.pch"
                /usr/bin/time -f '%U %S' -o "$WORK/time" "$cxx" -std=c++17 "$opt" \
                    -I"$ROOT/include" "${pch_flags[@]}" -x c++-header "$pch" -o "$out"
                pch_build_ms[$cxx$opt$tu]="$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$WORK/time")"
                # A precompiled header that cannot be used is an error, not a silent full parse.
                flags[${tu}_pch]="-include $pch -Winvalid-pch -Werror=invalid-pch"
            done
            declare -A samples=()
            # Round 0 is not timed: it reads the headers into the page cache and wakes the
            # compiler's files up. Without it, the first TUs of the first group came out slow
            # (the g++ -O0 <string> baseline at 290 ms where -O2 took 230 ms, in one run).
            for ((i = 0; i <= RUNS; i++)); do
                for tu in "${tus[@]}"; do
                    # shellcheck disable=SC2086 # the flags are words
                    /usr/bin/time -f '%U %S' -o "$WORK/time" "$cxx" -std=c++17 "$opt" \
                        -I"$ROOT/include" ${flags[$tu]:-} -c "$WORK/$tu.cpp" -o "$WORK/$tu.o"
                    ((i == 0)) ||
                        samples[$tu]+="$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$WORK/time") "
                done
            done
            for tu in "${tus[@]}"; do
                # shellcheck disable=SC2086 # one word per sample
                ms[$cxx$opt$tu]="$(printf '%s\n' ${samples[$tu]} | sort -n | awk '{ v[NR] = $1 }
                    END { if (NR % 2) print v[(NR + 1) / 2];
                          else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }')"
            done
            unset samples flags
        done
    done
    header="| TU | target |"
    rule="|---|---|"
    for cxx in "${compilers[@]}"; do
        for opt in -O0 -O2; do
            header+=" $cxx $opt |"
            rule+="---|"
        done
    done
    echo "$header"
    echo "$rule"
    for tu in "${tus[@]}"; do
        target="-"
        [[ $tu == core ]] && target="<= 1.6x"
        [[ $tu == server ]] && target="<= 2.0x"
        [[ $tu == record ]] && target="<= 1.0x"
        line="| $tu | $target |"
        for cxx in "${compilers[@]}"; do
            for opt in -O0 -O2; do
                line+="$(awk -v t="${ms[$cxx$opt$tu]}" -v b="${ms[$cxx$opt"baseline"]}" \
                    'BEGIN { printf " %d ms = %.2fx |", t, (b > 0 ? t / b : 0) }')"
            done
        done
        echo "$line"
    done
    echo
    echo "baseline: #include <string>; record: #include <vitals/record.hpp>, the header for files" \
        "that only record; record_use: it and a function recording into a labelled counter, a" \
        "histogram with an exemplar and a gauge; counter, gauge, histogram: that vitals header" \
        "alone (histogram.hpp and gauge.hpp can also make them); core: #include <vitals/vitals.hpp>;" \
        "server: #include <vitals/server.hpp>; core_std, server_std: only the standard headers" \
        "those include (tools/list_std_includes.py --closure), so core - core_std is vitals' own" \
        "code; core_floor: <vitals/record.hpp> with <string> and <vector>, the least a full" \
        "header costs that keeps recording inline and the registration API's types; minimal: examples/minimal.cpp, which registers a labelled counter, a gauge and a" \
        "histogram, records and renders with to_text(), as README's ten lines do (a file that" \
        "uses vitals pays for the inline code it uses, emitted again in each such file);" \
        "prometheus_cpp: prometheus-cpp's counter, gauge, histogram, family, registry and" \
        "text_serializer headers; core_pch, server_pch, string_pch: the core and server TUs and the" \
        "baseline with their header precompiled (below), as target_precompile_headers() does." \
        "Load $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    echo
    echo "Building each precompiled header once (CPU ms; clang++ with -fpch-instantiate-templates):"
    echo
    echo "| header |${header#| TU | target |}"
    echo "|---|${rule#|---|---|}"
    for tu in core server string; do
        line="| $tu |"
        for cxx in "${compilers[@]}"; do
            for opt in -O0 -O2; do line+=" ${pch_build_ms[$cxx$opt$tu]} ms |"; done
        done
        echo "$line"
    done
    ms[baseline-O0]="${ms[g++-O0baseline]}"

    if ((HEADERS)); then
        echo
        echo "## Standard headers included by the public headers, each alone with <string>, -O0"
        echo
        echo "| header | CPU ms | extra over <string> |"
        echo "|---|---|---|"
        headers="$(grep -h -o '^#include <[a-z_]*>' "$ROOT"/include/vitals/*.hpp \
            "$ROOT"/include/vitals/*/*.hpp | sed 's/#include <\(.*\)>/\1/' | LC_ALL=C sort -u)"
        for h in $headers; do
            printf '#include <string>\n#include <%s>\n' "$h" >"$WORK/h.cpp"
            t="$(median_ms g++ -std=c++17 -O0 -c "$WORK/h.cpp" -o "$WORK/h.o")"
            printf '| <%s> | %d | %d |\n' "$h" "$t" "$((t - ms[baseline-O0]))"
        done
    fi
fi

if ((SIZE)); then
    CXX=arm-linux-gnueabihf-g++
    STRIP=arm-linux-gnueabihf-strip
    command -v "$CXX" >/dev/null || { echo "budgets.sh: $CXX missing" >&2; exit 2; }
    cat >"$WORK/baseline_io.cpp" <<'EOF'
#include <cstdio>
static const char text[] = "# TYPE board_frames_total counter\nboard_frames_total 7\n";
int main() { return std::fwrite(text, 1, sizeof text - 1, stdout) == sizeof text - 1 ? 0 : 1; }
EOF
    # Built from argv so that the compiler cannot fold the string or the vector away.
    cat >"$WORK/baseline_cpp.cpp" <<'EOF'
#include <cstdio>
#include <string>
#include <vector>
int main(int argc, char** argv) {
    std::string line = "# program ";
    line += argc > 0 ? argv[0] : "?";
    std::vector<int> seen;
    for (int i = 0; i < argc; ++i) seen.push_back(i);
    int* count = new int(static_cast<int>(seen.size()));
    line += static_cast<char>('0' + *count % 10);
    line += '\n';
    delete count;
    return std::fwrite(line.data(), 1, line.size(), stdout) == line.size() ? 0 : 1;
}
EOF
    # What a libstdc++ configured with --disable-libstdcxx-verbose does, and what embedded
    # projects often do by hand: a terminate handler that does not print the demangled type of
    # the exception, so that the demangler (about 29 KiB on armhf) is not linked.
    cat >"$WORK/quiet_terminate.cpp" <<'EOF'
#include <cstdlib>
namespace __gnu_cxx {
void __verbose_terminate_handler() { std::abort(); }
} // namespace __gnu_cxx
EOF
    echo
    echo "## Size: examples/embedded.cpp, $CXX -std=c++17 -Os -static, stripped"
    echo
    echo "| configuration | link flags | bytes | share over the C baseline |" \
        "over the C++ baseline |"
    echo "|---|---|---|---|---|"
    gc="-ffunction-sections -fdata-sections -Wl,--gc-sections"
    # kib BYTES: BYTES as KiB with one decimal.
    kib() { awk -v d="$1" 'BEGIN { printf "%.1f", d / 1024 }'; }
    for link in "" "$gc"; do
        tag=plain
        [[ -n $link ]] && tag=gc
        # The gc-sections builds also write linker maps (which leave the binaries unchanged) for
        # the attribution table below.
        for base in io cpp; do
            map=()
            [[ $tag == gc ]] && map=("-Wl,-Map,$WORK/baseline_$base.map")
            # shellcheck disable=SC2086 # flag lists
            $CXX -std=c++17 -Os -static $link "${map[@]}" "$WORK/baseline_$base.cpp" \
                -o "$WORK/baseline_${base}_$tag"
            $STRIP "$WORK/baseline_${base}_$tag"
        done
        base="$(stat -c %s "$WORK/baseline_io_$tag")"
        base_cpp="$(stat -c %s "$WORK/baseline_cpp_$tag")"
        printf '| C baseline (fwrite only) | %s | %d | - | - |\n' "${link:-plain}" "$base"
        printf '| C++ baseline (string, vector, new) | %s | %d | %d bytes = %s KiB | - |\n' \
            "${link:-plain}" "$base_cpp" "$((base_cpp - base))" "$(kib $((base_cpp - base)))"
        for cfg in "-DVITALS_COMPACT=1" "-DVITALS_COMPACT=1 -fno-exceptions -fno-rtti" "" \
            "-DVITALS_COMPACT=1 quiet-terminate"; do
            extra=()
            if [[ $cfg == *quiet-terminate ]]; then
                extra=("$WORK/quiet_terminate.cpp")
                cfg="${cfg% quiet-terminate}"
            fi
            map=()
            [[ $tag == gc && $cfg == "-DVITALS_COMPACT=1" && ${#extra[@]} -eq 0 ]] &&
                map=("-Wl,-Map,$WORK/compact.map")
            # shellcheck disable=SC2086
            $CXX -std=c++17 -Os -static -Wno-psabi $link $cfg "${map[@]}" -I"$ROOT/include" \
                "$ROOT/examples/embedded.cpp" "${extra[@]}" -o "$WORK/embedded"
            $STRIP "$WORK/embedded"
            size="$(stat -c %s "$WORK/embedded")"
            if ((${#map[@]})); then
                cp "$WORK/embedded" "$WORK/compact_gc"
                compact_over_cpp=$((size - base_cpp))
            fi
            label="${cfg:-default}"
            over_cpp="$((size - base_cpp)) bytes = $(kib $((size - base_cpp))) KiB"
            if ((${#extra[@]})); then
                # The C++ baseline keeps the demangler: no like-for-like comparison.
                label="$cfg, quiet terminate handler (no demangler)"
                over_cpp="-"
            fi
            printf '| %s | %s | %d | %d bytes = %s KiB | %s |\n' "$label" \
                "${link:-plain}" "$size" "$((size - base))" "$(kib $((size - base)))" "$over_cpp"
        done
    done
    echo
    echo "C baseline: a static program whose main only writes a fixed buffer with fwrite." \
        "C++ baseline: a static program that builds a std::string from argv[0], pushes argc ints" \
        "into a std::vector<int>, allocates and frees one int with new/delete, and writes the" \
        "string with fwrite: what any C++ program on such a board uses anyway. Both are built" \
        "with the same flags as the row they are subtracted from. Quiet terminate handler:" \
        "the program also defines __gnu_cxx::__verbose_terminate_handler as std::abort, as a" \
        "libstdc++ built with --disable-libstdcxx-verbose does, so the demangler behind the" \
        "default handler (which any use of operator new links) is left out."
    echo
    echo "target: compact share < 40 KiB. Over the C baseline that share includes libstdc++'s" \
        "runtime (demangler, exception support), which the C++ baseline shows any program using" \
        "std::string or operator new links; the quiet-terminate row leaves the demangler out."

    echo
    echo "## Size attribution: compact (-DVITALS_COMPACT=1), gc-sections, from the linker maps"
    echo
    python3 - "$WORK/compact.map" "$WORK/compact_gc" "$WORK/baseline_io.map" \
        "$WORK/baseline_io_gc" "$WORK/baseline_cpp.map" "$WORK/baseline_cpp_gc" <<'EOF'
"""Attributes the allocated bytes of a static binary to its input files, from a GNU ld map."""
import collections
import os
import re
import struct
import sys

HEX = re.compile(r"0x[0-9a-fA-F]+$")
MEMBER = re.compile(r"(.*)\((.*)\)$")  # /path/libc.a(strtod_l.o)


def elf_sections(path):
    """{name: size} of the sections that take bytes in the loaded image (SHF_ALLOC, not
    SHT_NOBITS), and the file size; 32-bit little-endian ELF only (armhf)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        sys.exit("budgets.sh: %s is not a 32-bit little-endian ELF file" % path)
    (shoff,) = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    headers = [struct.unpack_from("<10I", data, shoff + i * shentsize) for i in range(shnum)]
    names = headers[shstrndx][4]  # sh_offset of .shstrtab
    sections = {}
    for name, kind, flags, _addr, _offset, size, *_ in headers:
        if flags & 0x2 and kind != 8:  # SHF_ALLOC; SHT_NOBITS (.bss, .tbss) takes no file bytes
            end = data.index(b"\0", names + name)
            sections[data[names + name : end].decode()] = size
    return sections, len(data)


def parse_map(path, keep):
    """{input file: bytes} and {output section: bytes} over the input sections placed in the
    output sections named in keep. An input section is listed on one line,
       .text.foo      0x00010170       0x10 /path/file.o
    or, when its name is long, on two:
       .text.a_long_name
                      0x00010170       0x10 /path/file.o
    Alignment padding is listed as ' *fill*  ADDRESS SIZE' and counted as the file '*fill*'."""
    by_file, by_section = collections.Counter(), collections.Counter()
    output = pending = None
    started = False
    with open(path) as f:
        for line in f:
            if not started:  # skip the archive, discarded-section and memory sections
                started = line.startswith("Linker script and memory map")
                continue
            tokens = line.split()
            entry = None
            if not tokens:
                pending = None
                continue
            if not line[0].isspace():  # an output section (or LOAD, OUTPUT, ...)
                output, pending = tokens[0], None
                continue
            if line[1] != " ":  # one leading space: input section, *fill* or a pattern
                if tokens[0] == "*fill*" and len(tokens) >= 3 and HEX.match(tokens[2]):
                    entry = ("*fill*", int(tokens[2], 16))
                elif tokens[0].startswith("*"):  # an input pattern, *(.text .text.*)
                    pass
                elif len(tokens) >= 4 and HEX.match(tokens[1]) and HEX.match(tokens[2]):
                    entry = (" ".join(tokens[3:]), int(tokens[2], 16))
                elif len(tokens) == 1:  # a long name: address, size and file follow
                    pending = tokens[0]
                    continue
            elif pending and len(tokens) >= 3 and HEX.match(tokens[0]) and HEX.match(tokens[1]):
                entry = (" ".join(tokens[2:]), int(tokens[1], 16))
            pending = None  # symbol and assignment lines carry no size
            if entry and output in keep:
                by_file[entry[0]] += entry[1]
                by_section[output] += entry[1]
    return by_file, by_section


def group(name):
    """The table row an input file belongs to, and its archive member name if it is one."""
    m = MEMBER.match(name)
    if m:
        archive = os.path.basename(m.group(1))
        member = "%s(%s)" % (archive, m.group(2))
        if archive in ("libstdc++.a", "libc.a", "libgcc.a"):
            return archive, member
        return "other: " + archive, member
    if name == "*fill*":
        return "alignment fill between input sections", None
    if name == "linker stubs" or os.path.basename(name).startswith("crt"):
        return "other: crt*.o startup files, linker stubs", None
    return "program object (vitals headers + examples/embedded.cpp)", None


def measure(map_path, elf_path):
    sections, file_size = elf_sections(elf_path)
    by_file, by_section = parse_map(map_path, set(sections))
    groups, members = collections.Counter(), collections.Counter()
    for name, size in by_file.items():
        row, member = group(name)
        groups[row] += size
        if member:
            members[member] += size
    # The map lists mergeable input sections (strings, constants) at their size before ld
    # removes duplicates, so their output section can be smaller than its inputs.
    merged = {s: size - by_section[s] for s, size in sections.items() if size != by_section[s]}
    alloc = sum(sections.values())
    return groups, members, merged, alloc, file_size


compact = measure(sys.argv[1], sys.argv[2])
bases = [measure(sys.argv[3], sys.argv[4]), measure(sys.argv[5], sys.argv[6])]


def added(index, key, base):
    return compact[index][key] - base[index][key]


def cell(n):
    return "%d (%.1f KiB)" % (n, n / 1024)


fixed = [
    "program object (vitals headers + examples/embedded.cpp)",
    "libstdc++.a",
    "libc.a",
    "libgcc.a",
]
rest = sorted(set(compact[0]) | set(bases[0][0]) | set(bases[1][0]))
# Rows beyond the fixed four only when they differ from a baseline (libgcc_eh.a often does not).
rows = fixed + [r for r in rest if r not in fixed and any(added(0, r, b) for b in bases)]
print("Allocated bytes (code, read-only data, data, unwind tables; not .bss) the compact")
print("program adds over each baseline, by where they were compiled:")
print()
print("| from | over the C baseline | over the C++ baseline |")
print("|---|---|---|")
sums = [0, 0]
for row in rows:
    cells = [added(0, row, b) for b in bases]
    sums = [s + c for s, c in zip(sums, cells)]
    print("| %s | %s | %s |" % (row, cell(cells[0]), cell(cells[1])))
print("| **sum of the rows** | %s | %s |" % (cell(sums[0]), cell(sums[1])))
merge = [sum(compact[2].values()) - sum(b[2].values()) for b in bases]
where = ", ".join(sorted(set(compact[2]) | set(bases[0][2]) | set(bases[1][2]))) or "none"
print("| linker merging of duplicate strings and constants (%s) | %s | %s |"
      % (where, cell(merge[0]), cell(merge[1])))
alloc = [compact[3] - b[3] for b in bases]
print("| = allocated section bytes, from the ELF section headers | %s | %s |"
      % (cell(alloc[0]), cell(alloc[1])))
layout = [(compact[4] - compact[3]) - (b[4] - b[3]) for b in bases]
print("| ELF layout: file padding that page-aligns the RW segment, headers | %s | %s |"
      % (cell(layout[0]), cell(layout[1])))
stripped = [compact[4] - b[4] for b in bases]
print("| = stripped size difference (size table above) | %s | %s |"
      % (cell(stripped[0]), cell(stripped[1])))
for i, name in enumerate(("C", "C++")):
    if sums[i] + merge[i] != alloc[i]:
        print("\nwarning: over the %s baseline the map's input sections sum to %d bytes, but the"
              " ELF's allocated sections differ by %d" % (name, sums[i] + merge[i], alloc[i]))
print()
print("The sum of the rows is the attribution; it covers %.1f%% of the stripped size difference"
      % (100.0 * sums[0] / stripped[0] if stripped[0] else 0.0))
print("over the C baseline, the rest being linker merging and ELF layout, which belong to no file.")
print()
print("Top 10 archive members by bytes added over the C baseline:")
print()
print("| archive member | over the C baseline | over the C++ baseline |")
print("|---|---|---|")
names = set(compact[1]) | set(bases[0][1])
top = sorted(names, key=lambda m: (-added(1, m, bases[0]), m))[:10]
for m in top:
    print("| %s | %s | %s |" % (m, cell(added(1, m, bases[0])), cell(added(1, m, bases[1]))))
EOF
    echo
    # The file grows in whole pages (the RW segment is page-aligned after the read-only
    # data), so a few hundred bytes of code can move it by 4 KiB.
    if ((compact_over_cpp >= 40 * 1024)); then
        echo "FAIL: the compact program is $(kib "$compact_over_cpp") KiB over the C++" \
            "baseline, not under the 40 KiB target"
        exit 1
    fi
    echo "The compact program is $(kib "$compact_over_cpp") KiB over the C++ baseline:" \
        "under the 40 KiB target."
fi
