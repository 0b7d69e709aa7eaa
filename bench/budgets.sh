#!/usr/bin/env bash
# bench/budgets.sh - what vitals costs the programs that include it: compile time and size.
# SPDX-License-Identifier: MIT
#
# Usage: bench/budgets.sh [--runs N] [--headers] [--no-size]
#   --runs N    compilations per measurement (default 7); the median is reported
#   --headers   also time each standard header the public headers include, alone
#   --no-size   skip the armhf size part
#
# (a) Compile time, g++ -std=c++17 at -O0 and -O2: a translation unit that includes
#     <vitals/vitals.hpp> and one that includes <vitals/server.hpp>, minus a translation unit
#     that includes only <string>. Times are the compiler's CPU time (user + system, from
#     /usr/bin/time), which a busy machine inflates far less than wall time; the median of N
#     runs. Targets: core < 250 ms, server < 400 ms extra at -O0.
# (b) Size of examples/embedded.cpp built static for armhf with arm-linux-gnueabihf-g++ -Os,
#     stripped, in the compact (VITALS_COMPACT=1) and default configurations, each with plain
#     flags and with -ffunction-sections -fdata-sections -Wl,--gc-sections, minus a baseline
#     static program that writes a fixed buffer with fwrite (same flags). Target: the compact
#     embedded program's vitals share < 40 KiB.
#
# Debian: g++ time g++-arm-linux-gnueabihf. Scratch files go to ${TMPDIR:-/tmp}.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=7
HEADERS=0
SIZE=1
while (($#)); do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --headers) HEADERS=1; shift ;;
        --no-size) SIZE=0; shift ;;
        -h | --help) sed -n '/^# Usage:/,/^# Debian/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "budgets.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ -x /usr/bin/time ]] || { echo "budgets.sh: needs /usr/bin/time (Debian: time)" >&2; exit 2; }

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

printf '#include <string>\n' >"$WORK/baseline.cpp"
printf '#include <vitals/vitals.hpp>\n' >"$WORK/core.cpp"
printf '#include <vitals/server.hpp>\n' >"$WORK/server.cpp"
# The same standard headers without vitals' own code (docs/headers.md lists them).
for tu in core server; do
    header=vitals/vitals.hpp
    [[ $tu == server ]] && header=vitals/server.hpp
    python3 "$ROOT/tools/list_std_includes.py" --closure "$header" |
        sed 's/.*/#include <&>/' >"$WORK/${tu}_std.cpp"
done

echo "## Compile time: g++ -std=c++17 -c, CPU ms, median of $RUNS"
echo
echo "| TU | -O0 | extra -O0 | target | -O2 | extra -O2 |"
echo "|---|---|---|---|---|---|"
declare -A ms
for opt in -O0 -O2; do
    for tu in baseline core core_std server server_std; do
        ms[$tu$opt]="$(median_ms g++ -std=c++17 "$opt" -I"$ROOT/include" -c "$WORK/$tu.cpp" \
            -o "$WORK/$tu.o")"
    done
done
for tu in baseline core core_std server server_std; do
    target="-"
    [[ $tu == core ]] && target="< 250"
    [[ $tu == server ]] && target="< 400"
    printf '| %s | %d | %d | %s | %d | %d |\n' "$tu" "${ms[$tu-O0]}" \
        "$((ms[$tu-O0] - ms[baseline-O0]))" "$target" "${ms[$tu-O2]}" \
        "$((ms[$tu-O2] - ms[baseline-O2]))"
done
echo
echo "baseline: #include <string>; core: #include <vitals/vitals.hpp>;" \
    "server: #include <vitals/server.hpp>; core_std, server_std: only the standard headers" \
    "those include (tools/list_std_includes.py --closure), so core - core_std is vitals' own code"

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

if ((SIZE)); then
    CXX=arm-linux-gnueabihf-g++
    STRIP=arm-linux-gnueabihf-strip
    command -v "$CXX" >/dev/null || { echo "budgets.sh: $CXX missing" >&2; exit 2; }
    cat >"$WORK/baseline_io.cpp" <<'EOF'
#include <cstdio>
static const char text[] = "# TYPE board_frames_total counter\nboard_frames_total 7\n";
int main() { return std::fwrite(text, 1, sizeof text - 1, stdout) == sizeof text - 1 ? 0 : 1; }
EOF
    echo
    echo "## Size: examples/embedded.cpp, $CXX -std=c++17 -Os -static, stripped"
    echo
    echo "| configuration | link flags | bytes | vitals share (minus baseline) |"
    echo "|---|---|---|---|"
    gc="-ffunction-sections -fdata-sections -Wl,--gc-sections"
    for link in "" "$gc"; do
        # shellcheck disable=SC2086 # flag lists
        $CXX -std=c++17 -Os -static $link "$WORK/baseline_io.cpp" -o "$WORK/baseline_io"
        $STRIP "$WORK/baseline_io"
        base="$(stat -c %s "$WORK/baseline_io")"
        printf '| baseline (fwrite only) | %s | %d | - |\n' "${link:-plain}" "$base"
        for cfg in "-DVITALS_COMPACT=1" "-DVITALS_COMPACT=1 -fno-exceptions -fno-rtti" ""; do
            # shellcheck disable=SC2086
            $CXX -std=c++17 -Os -static -Wno-psabi $link $cfg -I"$ROOT/include" \
                "$ROOT/examples/embedded.cpp" -o "$WORK/embedded"
            $STRIP "$WORK/embedded"
            size="$(stat -c %s "$WORK/embedded")"
            printf '| %s | %s | %d | %d bytes = %.1f KiB |\n' "${cfg:-default}" \
                "${link:-plain}" "$size" "$((size - base))" \
                "$(awk -v d="$((size - base))" 'BEGIN { print d / 1024 }')"
        done
    done
    echo
    echo "target: compact share < 40 KiB"
fi
