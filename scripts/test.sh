#!/usr/bin/env bash
# scripts/test.sh - builds vitals every supported way and runs every test suite.
# SPDX-License-Identifier: MIT
#
# Usage: scripts/test.sh [options] [STEP|PATTERN ...]
#   (no STEP)       run every step, in order
#   STEP, PATTERN   run only matching steps; shell patterns work: 'asan-*'. The environment
#                   variable VITALS_STEPS="gcc tsan" does the same.
#   --quick         only the fast steps marked quick (a check before each commit)
#   --all           also the extra steps, which a full run leaves out unless they are named
#   --list          print the steps and exit
#   --no-deps       never install packages (also VITALS_NO_DEPS=1)
#   --fail-fast     stop at the first failing step
#   --clean         delete build-ci/ first
#
# Missing Debian packages for the chosen steps are installed with apt-get (through sudo when
# not root); a machine that has them all never calls apt. Each step prints one line,
#   PASS gcc (12.3 s)   or   FAIL gcc (12.3 s) log: build-ci/logs/gcc.log
# (SKIP when a step does not apply yet), and the run ends with exactly one line
# "N passed, N failed" (N counts steps). The exit status is 0 only when no step failed.
# Build trees live in build-ci/<step>/, logs in build-ci/logs/<step>.log.
#
# Adding a step: append a line to the list at the end of this file,
#   step [--quick] [--extra] [--needs "debian packages"] NAME COMMAND [ARGS...]
# (--quick: part of --quick runs; --extra: slow and mostly redundant, left out of the
# default run to keep it under 40 minutes on 2 cores, run by name or with --all; a step marked
# both is in --quick runs but not in the default run). The default run builds each
# configuration once: g++ Debug with meson (the gcc step, the same build with CMake, is the
# quick check), ASan+UBSan with g++ (asan-clang is extra), clang++ at -O2, the armhf
# suite with g++ under qemu (armhf-clang is extra; the atomics step builds and runs a clang
# armhf program), the byte-order-sensitive suites on big-endian s390x under qemu, the
# server tests under wine in the windows step (wine-server, a second
# build of them, is extra), and single-include, C++20 and no-exceptions in one build.
# COMMAND runs from the repository root under `set -e`, its output going to the log. Exit 0
# passes, exit 77 (the helper `skip "why"`) skips, anything else fails. Longer steps are
# shell functions defined above the list; cmake_ctest and meson_test cover most builds.
#
# Environment: VITALS_JOBS (parallel jobs, default 2), VITALS_BUILD_DIR (default build-ci;
# runs sharing one directory take turns), WINEPREFIX (default: ${TMPDIR:-/tmp}/vitals-wine-N,
# one per build directory).
# CC/CXX are ignored: each step chooses its compiler.

set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

BUILD="${VITALS_BUILD_DIR:-build-ci}"
BUILD="${BUILD%/}"
LOGS="$BUILD/logs"

# abspath PATH: PATH made absolute (relative paths are relative to the repository root).
abspath() { if [[ "$1" == /* ]]; then echo "$1"; else echo "$ROOT/$1"; fi; }
JOBS="${VITALS_JOBS:-2}"

# Packages every step needs (Debian names).
BASE_PACKAGES="cmake ninja-build g++ python3 pkg-config doctest-dev"

# Sanitizer runtime options; they only affect sanitized programs.
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
# ASan+UBSan at -O0: instrumenting at -O1 made each test compile about 5x slower (44 s
# against 9 s for one server test with g++ 12), and -O0 hides no error from either sanitizer.
# TSan stays at -O1: it builds only the few concurrency programs, whose races want real speed.
SAN_COMMON="-g -fno-omit-frame-pointer"
ASAN_FLAGS="-O0 $SAN_COMMON -fsanitize=address,undefined -fno-sanitize-recover=all"
TSAN_FLAGS="-O1 $SAN_COMMON -fsanitize=thread"

# wine: a private prefix per build directory (wineserver -k only stops this run's wine), no
# Mono/Gecko download prompts, no debug chatter.
export WINEPREFIX="${WINEPREFIX:-${TMPDIR:-/tmp}/vitals-wine-$(abspath "$BUILD" | cksum | cut -d' ' -f1)}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree=d;mshtml=d}"

# --- helpers for steps ----------------------------------------------------------------------

skip() {
    echo "SKIP: $*"
    exit 77
}

# cmake_ctest NAME [CMAKE_ARGS...] [-- CTEST_ARGS...]
# Configures build-ci/NAME with Ninja, builds it and runs ctest there.
cmake_ctest() {
    local name="$1"
    shift
    local cmake_args=() ctest_args=()
    while (($#)); do
        if [[ "$1" == "--" ]]; then
            shift
            ctest_args=("$@")
            break
        fi
        cmake_args+=("$1")
        shift
    done
    local dir="$BUILD/$name"
    cmake -S . -B "$dir" -G Ninja -DVITALS_WERROR=ON "${cmake_args[@]}"
    cmake --build "$dir" -j "$JOBS"
    # See without_load_tests.
    [[ "${VITALS_SKIP_LOAD_TESTS:-0}" == 1 ]] && ctest_args+=(-LE load)
    (cd "$dir" && ctest --output-on-failure --no-tests=error -j "$JOBS" "${ctest_args[@]}")
}

# meson_test NAME [MESON_SETUP_ARGS...]: meson setup (or reconfigure), compile, meson test.
meson_test() {
    local name="$1"
    shift
    local dir="$BUILD/$name"
    # A tree that a failed setup left half made does not reconfigure: start it again.
    if [[ -d "$dir/meson-private" ]] && meson setup --reconfigure "$dir" "$@"; then
        :
    else
        rm -rf "$dir"
        meson setup "$dir" "$@"
    fi
    meson compile -C "$dir" -j "$JOBS"
    local test_args=()
    [[ "${VITALS_SKIP_LOAD_TESTS:-0}" == 1 ]] && test_args+=(--no-suite load) # see cmake_ctest
    meson test -C "$dir" --num-processes "$JOBS" --print-errorlogs "${test_args[@]}"
}

# Each public header compiles on its own and tolerates being included twice.
check_headers() {
    local dir="$BUILD/headers"
    rm -rf "$dir"
    mkdir -p "$dir"
    local header name n=0
    while IFS= read -r header; do
        name="${header#include/}"
        printf '#include <%s>\n#include <%s>\n' "$name" "$name" >"$dir/tu_$n.cpp"
        n=$((n + 1))
    done < <(find include/vitals -name '*.hpp' | LC_ALL=C sort)
    ((n > 0)) || { echo "no headers under include/vitals"; return 1; }
    local flags="-std=c++17 -fsyntax-only -Wall -Wextra -Wpedantic -Wconversion -Wshadow"
    flags+=" -Wold-style-cast -Wundef -Werror -Iinclude"
    local build
    for build in "g++" "g++ -fno-exceptions -fno-rtti" "clang++"; do
        echo "== $build: $n headers"
        # shellcheck disable=SC2086 # flags are word lists on purpose
        find "$dir" -name 'tu_*.cpp' -print0 |
            xargs -0 -n 1 -P "$JOBS" sh -c "$build $flags \"\$0\" || { grep -h include \"\$0\" | head -1; exit 1; }"
    done
}

# all_headers_tu FILE: writes a program that includes every public header (not detail/).
all_headers_tu() {
    local header
    : >"$1"
    while IFS= read -r header; do
        printf '#include <%s>\n' "${header#include/}" >>"$1"
    done < <(find include/vitals -name '*.hpp' ! -path '*/detail/*' | LC_ALL=C sort)
    printf 'int main() { return 0; }\n' >>"$1"
}

# Users with strict flags see no warning from vitals: one translation unit including every
# public header (core, kits, server, process) compiled by g++ and clang++ at C++17, C++20 and
# C++23 (clang 14 spells it c++2b), by clang++ with libc++ (vitals' own reader-writer lock is
# compiled there), by g++ in the compact configuration, and by the mingw-w64
# and armhf cross compilers (their platform code paths); and <vitals/record.hpp> alone by the
# cross compilers, with and without exceptions. Syntax only. The g++ builds add the
# GCC-only -Wuseless-cast, -Wlogical-op, -Wcast-align=strict and -Wduplicated-cond (clang
# rejects unknown warning flags under -Werror).
check_strict() {
    local dir="$BUILD/strict"
    mkdir -p "$dir"
    local tu="$dir/all_headers.cpp"
    all_headers_tu "$tu"
    local flags="-fsyntax-only -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wold-style-cast"
    flags+=" -Wundef -Wnon-virtual-dtor -Wdouble-promotion -Wzero-as-null-pointer-constant"
    flags+=" -Wextra-semi -Werror -Iinclude"
    local build
    for build in "g++ -std=c++17" "g++ -std=c++20" "g++ -std=c++23" \
        "clang++ -std=c++17" "clang++ -std=c++20" "clang++ -std=c++2b" \
        "clang++ -std=c++17 -stdlib=libc++" "clang++ -std=c++20 -stdlib=libc++ -fno-exceptions" \
        "g++ -std=c++17 -DVITALS_COMPACT=1" "g++ -std=c++17 -fno-exceptions -fno-rtti" \
        "x86_64-w64-mingw32-g++-posix -std=c++17" "x86_64-w64-mingw32-g++-posix -std=c++20" \
        "arm-linux-gnueabihf-g++ -std=c++17 -Wno-psabi"; do
        local extra=""
        [[ "$build" == clang* ]] ||
            extra="-Wuseless-cast -Wlogical-op -Wcast-align=strict -Wduplicated-cond"
        echo "== $build $extra"
        # shellcheck disable=SC2086 # flags are word lists on purpose
        $build $flags $extra "$tu"
    done
    # The light header alone, on the cross targets too (the headers step covers the hosts).
    printf '#include <vitals/record.hpp>\n' >"$dir/record_alone.cpp"
    for build in "x86_64-w64-mingw32-g++-posix -std=c++17" \
        "x86_64-w64-mingw32-g++-posix -std=c++17 -fno-exceptions -fno-rtti" \
        "arm-linux-gnueabihf-g++ -std=c++17 -Wno-psabi" \
        "arm-linux-gnueabihf-g++ -std=c++17 -Wno-psabi -fno-exceptions -fno-rtti"; do
        echo "== record.hpp alone: $build"
        # shellcheck disable=SC2086
        $build $flags -Wuseless-cast -Wlogical-op "$dir/record_alone.cpp"
    done
}

# Every fenced C++ block of README.md and docs/*.md compiles against include/ (and the drop-in
# blocks against single_include/ alone), and every relative link of them leads to a file and a
# heading that exist; each checker first proves on a made-up document that it catches breaks.
doc_snippets() {
    python3 tools/check_doc_snippets.py --self-test
    python3 tools/check_doc_snippets.py
    python3 tools/check_links.py --self-test
    python3 tools/check_links.py
}

# Every C++ file we write matches .clang-format (100 columns, 4 spaces).
check_format() {
    local files
    files=$(git ls-files 'include/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'examples/*.cpp' \
        'bench/*.cpp')
    # shellcheck disable=SC2086
    clang-format --dry-run --Werror $files
}

# clang-tidy with the checked-in .clang-tidy (findings are errors) on every public header,
# in the default, compact and no-exceptions configurations.
check_tidy() {
    local dir="$BUILD/tidy"
    mkdir -p "$dir"
    all_headers_tu "$dir/all_headers.cpp"
    local variant
    for variant in "" "-DVITALS_COMPACT=1" "-fno-exceptions -fno-rtti"; do
        echo "== clang-tidy -std=c++17 $variant"
        # The configuration by name: clang-tidy looks for it from the translation unit up, and
        # a VITALS_BUILD_DIR outside the tree would leave it unfound (its default checks pass).
        # shellcheck disable=SC2086
        clang-tidy --quiet --config-file=.clang-tidy "$dir/all_headers.cpp" -- -std=c++17 -Iinclude $variant
    done
}

# The test groups CMake makes (tests/CMakeLists.txt) are those meson makes with
# tools/test_groups.py: the same files in the same translation units, and no other group.
check_test_groups() {
    local dir="$BUILD/test-groups" line words name stem files=() expected=0 made rc=0
    rm -rf "$dir"
    cmake -S . -B "$dir" -DVITALS_BUILD_EXAMPLES=OFF -DVITALS_BUILD_BENCHMARKS=OFF >/dev/null
    [[ -d "$dir/tests/groups" ]] || { echo "CMake made no test groups (is doctest installed?)"; return 1; }
    while read -r line; do
        read -r -a words <<<"$line"
        [[ ${words[0]} == group ]] || continue
        name="${words[1]}"
        files=()
        for stem in "${words[@]:2}"; do files+=("tests/unit/$stem.cpp"); done
        python3 tools/test_groups.py unity "$dir/$name.expected.cpp" "${files[@]}"
        # The first line names the generator.
        if ! diff <(sed 1d "$dir/$name.expected.cpp") <(sed 1d "$dir/tests/groups/$name.cpp"); then
            echo "CMake's $name differs from tools/test_groups.py's"
            rc=1
        fi
        expected=$((expected + 1))
    done < <(python3 tools/test_groups.py list tests/unit 8)
    made="$(find "$dir/tests/groups" -name '*.cpp' | wc -l)"
    if ((made != expected)); then
        echo "CMake made $made test groups, tools/test_groups.py $expected"
        rc=1
    fi
    echo "$expected test groups, the same in CMake and meson"
    return "$rc"
}

# The single headers with only single_include/ on the include path: each one compiles alone,
# both together, and tests/single_header.cpp runs, with and without exceptions and RTTI.
single_header_alone() {
    [[ -f single_include/vitals/vitals.hpp ]] || { echo "single_include/ missing: run python3 tools/amalgamate.py"; return 1; }
    local dir="$BUILD/single-header"
    rm -rf "$dir"
    mkdir -p "$dir"
    local flags="-std=c++17 -Wall -Wextra -Wpedantic -Wundef -Werror -pthread -Isingle_include"
    local all="$dir/all.cpp" header cxx variant tag
    : >"$all"
    for header in single_include/vitals/*.hpp; do
        printf '#include "vitals/%s"\n' "${header##*/}" >"$dir/${header##*/}.cpp"
        printf '#include "vitals/%s"\n' "${header##*/}" >>"$all"
    done
    for cxx in g++ clang++; do
        for variant in "" "-fno-exceptions -fno-rtti"; do
            tag="$cxx${variant:+-noexcept}"
            echo "== $cxx $variant"
            for header in "$dir"/*.cpp; do
                # shellcheck disable=SC2086
                $cxx $flags $variant -c "$header" -o "$dir/$tag.o"
            done
            # shellcheck disable=SC2086
            $cxx $flags $variant tests/single_header.cpp -o "$dir/$tag-single_header"
            "$dir/$tag-single_header"
        done
    done
}

# The drop-in case from a scratch directory: single_include/ copied alone, and programs built
# with only that copy on the include path: tests/single_header.cpp (core) and
# tests/drop_in/server.cpp (core, server and process metrics; it scrapes its own server).
drop_in() {
    local dir="$BUILD/drop-in" cxx
    rm -rf "$dir"
    mkdir -p "$dir/project"
    cp -R single_include/vitals "$dir/project/"
    cp tests/single_header.cpp tests/drop_in/server.cpp "$dir/project/"
    local flags="-std=c++17 -O1 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wold-style-cast"
    flags+=" -Wundef -Werror -pthread -I$dir/project"
    for cxx in g++ clang++; do
        echo "== $cxx"
        # shellcheck disable=SC2086
        $cxx $flags "$dir/project/single_header.cpp" -o "$dir/$cxx-core"
        # shellcheck disable=SC2086
        $cxx $flags "$dir/project/server.cpp" -o "$dir/$cxx-server"
        "$dir/$cxx-core"
        "$dir/$cxx-server"
    done
}

# A program with files from g++ and from clang++ (one standard library, the same settings):
# what is one per process must be one, in both link orders and with either driver. Clang
# named some function-local statics with vitals' ABI tag and GCC without, so each part had
# its own default registry, thread slots and scrape mark (a scrape could wait for ever).
mixed_compilers() {
    local dir="$BUILD/mixed-compilers" cxx part link first second
    mkdir -p "$dir"
    local flags="-std=c++17 -O2 -Wall -Wextra -Werror -Iinclude -pthread"
    for cxx in g++ clang++; do
        for part in a b; do
            # shellcheck disable=SC2086
            $cxx $flags -c "tests/odr/mixed_compilers_$part.cpp" -o "$dir/$part-$cxx.o"
        done
    done
    for pair in "a-g++ b-clang++" "a-clang++ b-g++"; do
        read -r first second <<<"$pair"
        for link in g++ clang++; do
            for order in "$first $second" "$second $first"; do
                echo "== $link ${order// /.o }.o"
                # shellcheck disable=SC2086
                $link -pthread $(printf "$dir/%s.o " $order) -o "$dir/mixed"
                timeout 20 "$dir/mixed" || return 1
            done
        done
    done
}

# examples/embedded.cpp as a small target builds it: compact configuration, -Os, static,
# without exceptions and RTTI, for armhf (run under qemu-arm) and natively; its output is
# checked by promtool when present; then bench/budgets.sh --size-only checks its size target.
embedded_example() {
    local dir="$BUILD/embedded" out
    mkdir -p "$dir"
    local flags="-std=c++17 -Os -static -DVITALS_COMPACT=1 -fno-exceptions -fno-rtti -Wall"
    flags+=" -Wextra -Wpedantic -Wconversion -Wshadow -Wold-style-cast -Wundef -Werror -Iinclude"
    # shellcheck disable=SC2086
    arm-linux-gnueabihf-g++ $flags -Wno-psabi examples/embedded.cpp -o "$dir/embedded-armhf"
    # shellcheck disable=SC2086
    g++ $flags examples/embedded.cpp -o "$dir/embedded"
    arm-linux-gnueabihf-strip -o "$dir/embedded-armhf.stripped" "$dir/embedded-armhf"
    echo "stripped static armhf size: $(stat -c %s "$dir/embedded-armhf.stripped") bytes"
    out="$(qemu-arm -L /usr/arm-linux-gnueabihf "$dir/embedded-armhf")"
    [[ "$out" == "$("$dir/embedded")" ]] || { echo "armhf and native output differ"; return 1; }
    echo "$out"
    grep -q '^board_frame_latency_seconds_bucket{le="+Inf"} 7$' <<<"$out"
    grep -q '^board_frames_total 7$' <<<"$out"
    if command -v promtool >/dev/null 2>&1; then promtool check metrics <<<"$out"; fi
    # The size target (docs/performance.md, "Build costs"): fails when the compact program is 40 KiB or
    # more over a C++ program that uses std::string, std::vector and new.
    bash bench/budgets.sh --size-only
}

# 64-bit atomics on 32-bit ARM (VITALS_REQUIRE_LOCK_FREE_ATOMICS in config.hpp): ARMv7 has
# them lock-free; for ARMv5 and for clang on armhf the build files link libatomic by
# themselves (an add_subdirectory consumer built and run under qemu-arm), and with
# VITALS_REQUIRE_LOCK_FREE_ATOMICS=1 an ARMv5 build stops at the static_assert.
atomics_32bit() {
    local dir="$BUILD/atomics" tu
    rm -rf "$dir"
    mkdir -p "$dir"
    tu="$dir/all_headers.cpp"
    all_headers_tu "$tu"
    local flags="-std=c++17 -fsyntax-only -Wno-psabi -Iinclude -DVITALS_REQUIRE_LOCK_FREE_ATOMICS=1"
    local v5="-march=armv5te -marm -mfpu=vfp"
    echo "== ARMv7, VITALS_REQUIRE_LOCK_FREE_ATOMICS=1: compiles"
    # shellcheck disable=SC2086
    arm-linux-gnueabihf-g++ $flags "$tu"
    # shellcheck disable=SC2086
    clang++ --target=arm-linux-gnueabihf $flags "$tu"
    echo "== ARMv5, VITALS_REQUIRE_LOCK_FREE_ATOMICS=1: the static_assert fires"
    # shellcheck disable=SC2086
    if arm-linux-gnueabihf-g++ $flags $v5 "$tu" >"$dir/v5.log" 2>&1; then
        echo "an ARMv5 build compiled although 64-bit atomics are not lock-free there"
        return 1
    fi
    grep -q "VITALS_REQUIRE_LOCK_FREE_ATOMICS: 64-bit atomics are not lock-free" "$dir/v5.log"
    local name cmake_flags
    for name in armv5-gcc armv7-clang; do
        echo "== $name: add_subdirectory consumer, libatomic linked by the vitals targets"
        cmake_flags=("-DCMAKE_CXX_FLAGS=$v5")
        [[ $name == armv7-clang ]] && cmake_flags=(-DVITALS_CROSS_CLANG=ON)
        cmake -S tests/consumer -B "$dir/$name" -G Ninja "-DVITALS_CONSUMER_SOURCE_DIR=$ROOT" \
            "-DCMAKE_TOOLCHAIN_FILE=$ROOT/cmake/toolchains/armhf.cmake" "${cmake_flags[@]}"
        grep -q '^VITALS_LIBATOMIC_NEEDED:INTERNAL=TRUE$' "$dir/$name/CMakeCache.txt" ||
            { echo "$name: the build did not detect that libatomic is needed"; return 1; }
        cmake --build "$dir/$name" -j "$JOBS"
        (cd "$dir/$name" && ctest --output-on-failure --no-tests=error)
    done
}

# TSan on the tests labelled "concurrency" (tests/unit/concurrency*.cpp).
tsan_concurrency() {
    local dir="$BUILD/tsan"
    cmake -S . -B "$dir" -G Ninja -DVITALS_WERROR=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
        -DVITALS_BUILD_EXAMPLES=OFF -DVITALS_BUILD_BENCHMARKS=OFF \
        "-DCMAKE_CXX_FLAGS=$TSAN_FLAGS" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread"
    # Only the programs that hold the concurrency tests are built (tests/CMakeLists.txt).
    cmake --build "$dir" -j "$JOBS" --target vitals_concurrency_tests
    (cd "$dir" && ctest --output-on-failure -j "$JOBS" -L concurrency)
}

# pkgconfig_consumers PCDIR OUTDIR: tests/consumer/main.cpp built with only the flags of
# `pkg-config --cflags --libs vitals`, and, with VITALS_CONSUMER_SERVER (starts and stops a
# health_server), with only those of vitals-server; both are run. vitals-server must give
# -pthread: glibc >= 2.34 links threads without it, so the run alone proves nothing.
pkgconfig_consumers() {
    local pcdir="$1" out="$2" core server
    core="$(PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR="$pcdir" pkg-config --cflags --libs vitals)"
    server="$(PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR="$pcdir" pkg-config --cflags --libs vitals-server)"
    echo "pkg-config --cflags --libs vitals: $core"
    echo "pkg-config --cflags --libs vitals-server: $server"
    PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR="$pcdir" pkg-config --modversion vitals vitals-server
    [[ " $server " == *" -pthread "* ]] || { echo "vitals-server.pc gives no -pthread"; return 1; }
    # shellcheck disable=SC2086 # one word per flag
    g++ -std=c++17 tests/consumer/main.cpp $core -o "$out/pkgconfig_consumer"
    "$out/pkgconfig_consumer"
    # shellcheck disable=SC2086 # one word per flag
    g++ -std=c++17 -DVITALS_CONSUMER_SERVER=1 tests/consumer/main.cpp $server \
        -o "$out/pkgconfig_consumer_server"
    "$out/pkgconfig_consumer_server"
}

# cmake --install into a scratch prefix, then build tests/consumer against it with
# find_package(vitals), and with only the flags from pkg-config (vitals, vitals-server).
# Installed with --prefix to another prefix than the configured one, then moved: both
# package forms must find the headers where they are.
install_consumer() {
    local dir="$BUILD/install"
    local prefix
    prefix="$(abspath "$dir")/prefix"
    rm -rf "$dir"
    cmake -S . -B "$dir/build" -G Ninja "-DCMAKE_INSTALL_PREFIX=$dir/configured-prefix" \
        -DVITALS_BUILD_TESTS=OFF -DVITALS_BUILD_EXAMPLES=OFF -DVITALS_BUILD_BENCHMARKS=OFF
    cmake --build "$dir/build"
    cmake --install "$dir/build" --prefix "$prefix.staged"
    mv "$prefix.staged" "$prefix"
    echo "== installed files"
    (cd "$prefix" && find . -type f | LC_ALL=C sort)
    local unexpected
    unexpected="$(cd "$prefix" && find . -type f | grep -v -E '^\./(include/vitals/|share/cmake/vitals/|share/pkgconfig/vitals(-server)?\.pc$|share/doc/vitals/LICENSE$)' || true)"
    [[ -f "$prefix/share/doc/vitals/LICENSE" ]] || { echo "LICENSE not installed"; return 1; }
    ! grep -r -l -e "$dir/configured-prefix" -e "$prefix.staged" "$prefix" ||
        { echo "installed files name the configured or the staging prefix"; return 1; }
    [[ -z "$unexpected" ]] || { echo "unexpected installed files:"; echo "$unexpected"; return 1; }

    echo "== find_package(vitals) consumer"
    cmake -S tests/consumer -B "$dir/consumer" -G Ninja "-DCMAKE_PREFIX_PATH=$prefix"
    cmake --build "$dir/consumer"
    (cd "$dir/consumer" && ctest --output-on-failure --no-tests=error)

    echo "== find_package(vitals COMPONENTS nosuch) names the component"
    mkdir -p "$dir/components"
    printf '%s\n' 'cmake_minimum_required(VERSION 3.14)' 'project(components CXX)' \
        'find_package(vitals REQUIRED COMPONENTS server nosuch)' > "$dir/components/CMakeLists.txt"
    local out
    if out="$(cmake -S "$dir/components" -B "$dir/components/build" "-DCMAKE_PREFIX_PATH=$prefix" 2>&1)"; then
        echo "an unknown component was found"; return 1
    fi
    grep -q 'no component "nosuch"' <<<"$out" ||
        { echo "$out"; echo "the failure does not name the component"; return 1; }

    echo "== pkg-config consumers"
    pkgconfig_consumers "$prefix/share/pkgconfig" "$dir"
}

# vitals as a CMake add_subdirectory(), through CMake's FetchContent and as a meson subproject.
subproject_consumer() {
    local dir="$BUILD/subproject"
    rm -rf "$dir"
    echo "== CMake add_subdirectory consumer"
    cmake -S tests/consumer -B "$dir/cmake" -G Ninja "-DVITALS_CONSUMER_SOURCE_DIR=$ROOT"
    cmake --build "$dir/cmake"
    (cd "$dir/cmake" && ctest --output-on-failure --no-tests=error)

    # FetchContent clones this repository at its HEAD commit through a file:// URL, which git
    # fetches as it does a remote (a plain path copies the object files instead): no network,
    # and what is not committed is not in that build. The clone is bounded in time; only the
    # core program is built, since add_subdirectory() above built the others through the same
    # targets (all three, the precompiled header's included, took a minute of a shared
    # 2-core machine; the core one takes a few seconds).
    echo "== CMake FetchContent consumer"
    local head
    head="$(git -C "$ROOT" rev-parse --verify HEAD)" ||
        { echo "the FetchContent consumer needs $ROOT to be a git clone"; return 1; }
    timeout 120 cmake -S tests/consumer -B "$dir/fetch" -G Ninja -DFETCHCONTENT_QUIET=OFF \
        "-DVITALS_CONSUMER_GIT_REPOSITORY=file://$ROOT" "-DVITALS_CONSUMER_GIT_TAG=$head"
    # The headers used must be the fetched commit's, not this tree's.
    [[ "$(git -C "$dir/fetch/_deps/vitals-src" rev-parse HEAD)" == "$head" ]] ||
        { echo "FetchContent did not check out $head in $dir/fetch/_deps/vitals-src"; return 1; }
    cmake --build "$dir/fetch" --target consumer
    "$dir/fetch/consumer"

    echo "== meson subproject consumer"
    mkdir -p "$dir/meson-src/subprojects"
    cp tests/consumer/meson.build tests/consumer/main.cpp "$dir/meson-src/"
    ln -s "$ROOT" "$dir/meson-src/subprojects/vitals"
    # Keep pkg-config from finding an installed vitals: the subproject must be used.
    PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR=/nonexistent meson setup "$dir/meson" "$dir/meson-src"
    meson compile -C "$dir/meson"
    meson test -C "$dir/meson" --print-errorlogs

    # Not a subproject, but meson is at hand: the .pc files its pkgconfig.generate writes.
    echo "== meson install, pkg-config consumers"
    local prefix
    prefix="$(abspath "$dir")/meson-prefix"
    meson setup "$dir/meson-install" "--prefix=$prefix"
    meson install -C "$dir/meson-install"
    pkgconfig_consumers "$prefix/share/pkgconfig" "$dir"
}

# Windows (mingw-w64) with the tests run under wine; stops the wineserver afterwards.
# Creates the wine prefix before tests run in parallel: two programs starting a new prefix
# at once can crash or lose the wineserver (seen as a page fault and "chdir to .../server").
wine_prefix_ready() {
    wineboot --init >/dev/null 2>&1 || true
    wineserver -w 2>/dev/null || true
}

# without_load_tests CMD...: cmake_ctest and meson_test in CMD leave out the tests labelled
# "load" (tests/unit/server_flood.cpp and server_slow_readers.cpp), which time the server
# and measure its resident memory under floods: figures that mean nothing under an emulator
# (qemu's speed is not the target's) or a sanitizer (ASan keeps freed memory in quarantine
# and runs the server several times slower). They run in every native, unsanitized build.
without_load_tests() { VITALS_SKIP_LOAD_TESTS=1 "$@"; }

# emulated CMD...: runs CMD with VITALS_TEST_EMULATED=1, which qemu passes on to the tests;
# checks that count the process's threads only warn then (qemu may keep a host thread for a
# while after the guest thread is gone). Without the load tests (see without_load_tests).
emulated() { VITALS_TEST_EMULATED=1 VITALS_SKIP_LOAD_TESTS=1 "$@"; }

# The suites whose code depends on byte order, built for s390x (big-endian) and run under
# qemu-s390x: every test that does not time or flood the server, and of the server's, the
# ones that parse requests and bind addresses. The rest of the server has no byte-order code
# that these leave out, and building it all would add minutes to every run.
big_endian() {
    local dir="$BUILD/big-endian"
    if [[ -d "$dir/meson-private" ]] &&
        meson setup --reconfigure "$dir" --cross-file cross/s390x.ini -Dtests=true \
            -Dtest_group_size=8; then
        :
    else
        rm -rf "$dir"
        meson setup "$dir" --cross-file cross/s390x.ini -Dtests=true -Dtest_group_size=8
    fi
    # The programs that hold those tests (tools/test_groups.py, with the group size set above).
    local tests=() programs=() line words stem selected
    while read -r line; do
        read -r -a words <<<"$line"
        [[ ${words[0]} == own ]] && words=(own "test_${words[1]}" "${words[1]}")
        selected=0
        for stem in "${words[@]:2}"; do
            case "$stem" in
                server_bind | server_endpoints | server_negotiate | server_parser) ;;
                server_*) continue ;;
            esac
            tests+=("test_$stem")
            selected=1
        done
        ((selected)) && programs+=("${words[1]}")
    done < <(python3 tools/test_groups.py list tests/unit 8)
    tests+=(test_regression test_two_tus)
    programs+=(test_regression test_two_tus)
    meson compile -C "$dir" -j "$JOBS" "${programs[@]}"
    VITALS_TEST_EMULATED=1 meson test -C "$dir" --no-rebuild --num-processes "$JOBS" \
        --print-errorlogs "${tests[@]}"
}

# Optimized at -O1: the mingw compiler took about 35% longer per test at -O2, and the clang
# step already runs the suites at -O2.
# A test whose wine program lost its connection to the wineserver (it fails at once with
# "wine client error:0: recvmsg: Connection reset by peer", before any of its code ran: twice
# in one run on a new machine) makes the failed tests run once more; no other failure does.
# (A wineserver kept up throughout with -p would avoid it, but the services wine starts then
# outlive the test that started them, holding its output open: ctest waits for it forever.)
windows_cmake() {
    local rc=0 dir="$BUILD/windows"
    wine_prefix_ready
    rm -f "$dir"/Testing/Temporary/LastTest*.log
    cmake_ctest windows -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw64.cmake \
        -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" || rc=$?
    if ((rc != 0)) && grep -q "wine client error" "$dir"/Testing/Temporary/LastTest*.log; then
        echo "== wine lost a test's connection to its wineserver: the failed tests once more"
        rc=0
        (cd "$dir" && ctest --output-on-failure --rerun-failed) || rc=$?
    fi
    wineserver -k 2>/dev/null || true
    wineserver -w 2>/dev/null || true
    return "$rc"
}

windows_meson() {
    local rc=0
    wine_prefix_ready
    meson_test windows-meson --cross-file cross/mingw64.ini -Dtests=true -Dexamples=true \
        -Dbuildtype=release || rc=$?
    wineserver -k 2>/dev/null || true
    wineserver -w 2>/dev/null || true
    return "$rc"
}

conformance() {
    [[ -f tests/conformance/run.sh ]] || skip "tests/conformance/run.sh does not exist yet"
    bash tests/conformance/run.sh
}

# The error policy without exceptions (tests/noexcept/error_policy.cpp): built with
# -fno-exceptions -fno-rtti and with -DVITALS_NO_EXCEPTIONS=1, by g++ and clang++.
noexcept_policy() {
    local dir="$BUILD/noexcept" cxx variant tag
    mkdir -p "$dir"
    local flags="-std=c++17 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wold-style-cast"
    flags+=" -Wundef -Werror -Iinclude"
    for cxx in g++ clang++; do
        for variant in "-fno-exceptions -fno-rtti" "-DVITALS_NO_EXCEPTIONS=1"; do
            tag="$cxx-${variant%% *}"
            echo "== $cxx $variant"
            # shellcheck disable=SC2086 # flags are word lists on purpose
            $cxx $flags $variant tests/noexcept/error_policy.cpp -o "$dir/$tag"
            "$dir/$tag"
        done
    done
}

# The whole CMake suite once more in the three settings the other builds leave out, together
# so that they cost one build (they are independent; a failure names its test, and the extra
# steps cxx20 and noexcept-units take them one at a time): every header from the generated
# single_include/ (the drop-in promise), C++20, and -fno-exceptions -fno-rtti (the unit
# suites' exception assertions compile to nothing then; see noexcept_units).
# Built as Debug without -g (build type None: no optimization, assertions on): the step
# took 232 s with debug information and 200 s without (one clean build each), and a failure
# here is debugged in the gcc build.
single_include_variant() {
    cmake_ctest single-include -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=None \
        -DVITALS_USE_SINGLE_INCLUDE=ON -DCMAKE_CXX_STANDARD=20 -DVITALS_BUILD_EXAMPLES=OFF \
        -DVITALS_BUILD_BENCHMARKS=OFF -DVITALS_COMPILE_FAIL_TESTS=OFF \
        "-DCMAKE_CXX_FLAGS=-fno-exceptions -fno-rtti -DDOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS"
}

# The unit suites (core, kits, server, process) built with -fno-exceptions -fno-rtti and run.
# doctest's exception assertions (CHECK_THROWS_AS) compile to nothing; test cases that need a
# try block are left out with #if VITALS_HAS_EXCEPTIONS(). The handler is the noexcept step.
noexcept_units() {
    cmake_ctest noexcept-units -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
        -DVITALS_BUILD_EXAMPLES=OFF -DVITALS_BUILD_BENCHMARKS=OFF -DVITALS_COMPILE_FAIL_TESTS=OFF \
        "-DCMAKE_CXX_FLAGS=-fno-exceptions -fno-rtti -DDOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS"
}

# The deploy kit (Kubernetes, compose, Grafana, Prometheus relabelling) checked by parsing.
deploy_manifests() {
    [[ -f tests/deploy/check_manifests.py ]] || skip "tests/deploy/check_manifests.py does not exist yet"
    /usr/bin/python3 tests/deploy/check_manifests.py
}

# The deploy kit and the observability guide against a real Prometheus scraping demo_service
# (tests/e2e/prometheus_e2e.sh compiles the demo itself).
e2e_prometheus() {
    [[ -f examples/demo_service.cpp ]] || skip "examples/demo_service.cpp does not exist yet"
    bash tests/e2e/prometheus_e2e.sh
}

# prometheus-cpp and a port of the same program to vitals expose the same samples, and
# Prometheus stores the same series from both, but for what docs/migrating-from-prometheus-cpp.md
# lists (tests/migration/compare.sh). An extra step: vitals never needs prometheus-cpp.
migration() {
    bash tests/migration/compare.sh --prometheus
}

# The demo service's contract end to end: flags, the listening line, readiness, a scrape
# checked by prometheus_client's parser and promtool, exit codes and signals.
# README's quick-start command as written (CMake's Release flags, -O3), in a build directory of
# its own: it must build without a warning, and the demo it builds is the one tested.
e2e_demo() {
    [[ -f examples/demo_service.cpp ]] || skip "examples/demo_service.cpp does not exist yet"
    local dir="$BUILD/demo-quickstart" command
    command=$(awk '/^## Quick start/ { q = 1 } q && /^cmake -S \. -B build / { print; exit }' README.md)
    [[ -n "$command" ]] || { echo "README's quick start has no 'cmake -S . -B build' line"; return 1; }
    command=${command% && ./build/examples/demo_service}
    [[ "$command" != *"./build/examples/demo_service"* ]] || {
        echo "README's quick-start line does not end in '&& ./build/examples/demo_service'"
        return 1
    }
    command=${command//-B build /-B $dir }
    command=${command//--build build /--build $dir }
    rm -rf "$dir"
    echo "== $command"
    bash -c "$command" 2>&1 | tee "$dir.log"
    ((PIPESTATUS[0] == 0)) || return 1
    if grep -n "warning:" "$dir.log"; then
        echo "README's quick-start build printed warnings (above)"
        return 1
    fi
    bash tests/e2e/demo_service_test.sh "$dir/examples/demo_service"
}

# The server tests (tests/unit/server*.cpp) cross-compiled with mingw-w64 (-static, ws2_32)
# and run under wine: Winsock, WSAPoll, SO_EXCLUSIVEADDRUSE and the wake-up socket.
wine_server() {
    local dir="$BUILD/wine-server" cxx=x86_64-w64-mingw32-g++-posix rc=0 src exe
    mkdir -p "$dir/inc/doctest"
    # Never -I/usr/include with the cross compiler: copy doctest.h alone.
    cp /usr/include/doctest/doctest.h "$dir/inc/doctest/"
    local flags="-std=c++17 -O1 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wold-style-cast"
    flags+=" -Wundef -Werror -static -Iinclude -I$dir/inc"
    # shellcheck disable=SC2086
    $cxx $flags -c tests/main.cpp -o "$dir/main.o"
    for src in tests/unit/server*.cpp; do
        # shellcheck disable=SC2086
        $cxx $flags "$src" "$dir/main.o" -o "$dir/test_$(basename "$src" .cpp).exe" -lws2_32
    done
    for exe in "$dir"/test_server*.exe; do
        echo "== wine $exe"
        timeout 300 wine "$exe" || rc=$?
    done
    wineserver -k 2>/dev/null || true
    wineserver -w 2>/dev/null || true
    return "$rc"
}

# A real Prometheus scraping the server (examples/http_service) with and without its token.
server_scrape() {
    bash tests/e2e/server_scrape.sh
}

# libFuzzer on the server's request parser, exemplars and the process collector's parsers
# (tests/fuzz/run.sh) for VITALS_FUZZ_SECONDS (default 20).
fuzz_server() {
    bash tests/fuzz/run.sh "${VITALS_FUZZ_SECONDS:-20}" "$(abspath "$BUILD")/fuzz-server"
}

# --- the step machinery ---------------------------------------------------------------------

STEP_NAMES=()
STEP_CMDS=()
STEP_QUICK=()
STEP_EXTRA=()
STEP_NEEDS=()

# step [--quick] [--extra] [--needs "pkg ..."] NAME COMMAND [ARGS...]: registers a step.
step() {
    local quick=0 extra=0 needs=""
    while (($#)); do
        case "$1" in
            --quick) quick=1; shift ;;
            --extra) extra=1; shift ;;
            --needs) needs="$2"; shift 2 ;;
            *) break ;;
        esac
    done
    local name="$1"
    shift
    STEP_NAMES+=("$name")
    STEP_CMDS+=("$(printf '%q ' "$@")")
    STEP_QUICK+=("$quick")
    STEP_EXTRA+=("$extra")
    STEP_NEEDS+=("$needs")
}

now() {
    if [[ -n "${EPOCHREALTIME:-}" ]]; then echo "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Installs the Debian packages in "$@" that are not installed yet.
install_packages() {
    local missing=() pkg
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "deps: not a Debian system; install by hand: $*"
        return 0
    fi
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' ||
            missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        echo "deps: all $# packages present"
        return 0
    fi
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "deps: missing ${missing[*]}, and not root and no sudo; steps may fail"
            return 0
        fi
    fi
    echo "deps: installing ${missing[*]} (log: $LOGS/deps.log)"
    local had_prometheus=1
    [[ " ${missing[*]} " == *" prometheus "* ]] && had_prometheus=0
    if ! { "${sudo[@]}" apt-get update &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; } \
        >"$LOGS/deps.log" 2>&1; then
        echo "deps: apt-get failed; see $LOGS/deps.log (steps may fail)"
        return 0
    fi
    # Debian's prometheus package starts a system Prometheus on :9090 under systemd; the
    # tests start their own on other ports, so stop the service this script caused.
    if ((had_prometheus == 0)) && command -v systemctl >/dev/null 2>&1 &&
        systemctl is-active --quiet prometheus 2>/dev/null; then
        echo "deps: installing prometheus started the prometheus service on :9090; stopping it"
        "${sudo[@]}" systemctl stop prometheus || true
    fi
}

usage() { sed -n '/^# Usage:/,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

main() {
    local quick=0 all=0 list=0 deps=1 fail_fast=0 clean=0 patterns=()
    [[ "${VITALS_NO_DEPS:-0}" == 1 ]] && deps=0
    while (($#)); do
        case "$1" in
            --quick) quick=1 ;;
            --all) all=1 ;;
            --list) list=1 ;;
            --no-deps) deps=0 ;;
            --fail-fast) fail_fast=1 ;;
            --clean) clean=1 ;;
            -h | --help) usage; exit 0 ;;
            -*) echo "test.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
            *) patterns+=("$1") ;;
        esac
        shift
    done
    if ((${#patterns[@]} == 0)) && [[ -n "${VITALS_STEPS:-}" ]]; then
        read -r -a patterns <<<"$VITALS_STEPS"
    fi

    # Select steps.
    local selected=() i p match
    for i in "${!STEP_NAMES[@]}"; do
        ((quick == 1 && STEP_QUICK[i] == 0)) && continue
        if ((${#patterns[@]})); then
            match=0
            for p in "${patterns[@]}"; do
                # shellcheck disable=SC2053 # the pattern is meant to glob
                [[ "${STEP_NAMES[i]}" == $p ]] && match=1
            done
            ((match)) || continue
        elif ((STEP_EXTRA[i] == 1 && all == 0 && quick == 0)); then
            continue
        fi
        selected+=("$i")
    done
    for p in "${patterns[@]}"; do
        match=0
        for i in "${!STEP_NAMES[@]}"; do
            # shellcheck disable=SC2053
            [[ "${STEP_NAMES[i]}" == $p ]] && match=1
        done
        if ((match == 0)); then
            echo "test.sh: no step matches '$p'; steps: ${STEP_NAMES[*]}" >&2
            exit 2
        fi
    done
    if ((list)); then
        for i in "${!STEP_NAMES[@]}"; do
            printf '%-16s %s%s%s\n' "${STEP_NAMES[i]}" "$( ((STEP_QUICK[i])) && echo '[quick] ')" \
                "$( ((STEP_EXTRA[i])) && echo '[extra] ')" "${STEP_CMDS[i]}"
        done
        exit 0
    fi
    if ((${#selected[@]} == 0)); then
        echo "test.sh: no step selected" >&2
        exit 2
    fi

    # One run at a time per build directory: a second run waits for the first.
    mkdir -p "$BUILD"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$BUILD/.lock"
        if ! flock -n 9; then
            echo "test.sh: another run is using $BUILD; waiting (VITALS_BUILD_DIR picks another)"
            flock 9
        fi
    fi
    if ((clean)); then
        find "$BUILD" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
    fi
    mkdir -p "$LOGS"

    if ((deps)); then
        local packages="$BASE_PACKAGES"
        for i in "${selected[@]}"; do packages+=" ${STEP_NEEDS[i]}"; done
        local unique=()
        # shellcheck disable=SC2086 # one package per word
        read -r -a unique <<<"$(printf '%s\n' $packages | LC_ALL=C sort -u | tr '\n' ' ')"
        install_packages "${unique[@]}"
    fi

    local passed=0 failed=0 failures=() start end rc log name
    for i in "${selected[@]}"; do
        name="${STEP_NAMES[i]}"
        log="$LOGS/$name.log"
        echo "==> $name"
        start="$(now)"
        (
            set -e -o pipefail
            echo "+ ${STEP_CMDS[i]}"
            eval "${STEP_CMDS[i]}"
        ) </dev/null >"$log" 2>&1
        rc=$?
        end="$(now)"
        if ((rc == 0)); then
            passed=$((passed + 1))
            echo "PASS $name ($(elapsed "$start" "$end") s)"
        elif ((rc == 77)) && grep -q '^SKIP: ' "$log"; then # 77 alone is not a skip
            echo "SKIP $name: $(grep '^SKIP: ' "$log" | tail -1 | cut -c7-)"
        else
            failed=$((failed + 1))
            failures+=("$name")
            echo "FAIL $name ($(elapsed "$start" "$end") s, exit $rc) log: $log"
            tail -n 30 "$log" | sed 's/^/    | /'
            # The failed assertions themselves, which a parallel ctest prints far above its
            # summary: doctest's ERROR lines, with the values line that follows each.
            grep -A1 'ERROR: ' "$log" | grep -v '^--$' | head -n 16 | sed 's/^/    ! /' || true
            # A test that failed without an assertion (a crash, an exit status, an emulator's
            # own error): what ctest printed of its output after its result line.
            grep -m1 -A20 -E '\*\*\*(Failed|Exception|Timeout)' "$log" | sed 's/^/    > /' || true
            ((fail_fast)) && break
        fi
    done

    ((failed)) && echo "failed steps: ${failures[*]}"
    echo "$passed passed, $failed failed"
    ((failed == 0))
}

# --- the steps, in the order they run -------------------------------------------------------

step --quick version python3 tools/check_version.py
step --quick amalgamation python3 tools/amalgamate.py --check
step --quick std-includes python3 tools/list_std_includes.py --check
step --quick test-groups check_test_groups
step --quick --needs "clang" headers check_headers
step --quick --needs "clang" single-header single_header_alone
step --needs "clang libc++-14-dev libc++abi-14-dev g++-mingw-w64-x86-64-posix g++-arm-linux-gnueabihf" \
    strict check_strict
step --quick --needs "clang-format" format check_format
step --quick doc-snippets doc_snippets
step --needs "clang-tidy" tidy check_tidy
# The gcc step is the quick run's build; the full run has the same configuration (g++, Debug,
# every suite, examples and benchmarks) from the meson step, and g++ through CMake from the
# asan-gcc and single-include steps. The tests of tests/compile_fail run the compiler with
# fixed flags, whatever the build's: they run once per compiler, in the meson (g++) and clang
# steps, and the other builds leave them out (-DVITALS_COMPILE_FAIL_TESTS=OFF).
step --quick --extra gcc cmake_ctest gcc -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug
# clang++ at -O2 without -g (RelWithDebInfo's -g made each clang test compile about 35% slower),
# with libc++ (the standard library of macOS, Android and FreeBSD): its std::shared_mutex makes
# new readers queue behind a waiting writer, so registries and families use vitals' own lock
# (detail/shared_mutex.hpp), and headers must not lean on libstdc++'s transitive includes.
# With libc++'s own checks on (_LIBCPP_DEBUG=0 is libc++ 14's switch for them): an index past
# a container's size or front() of an empty one aborts, where an optimized build reads on.
# Clang with libstdc++ compiles every header in the strict step and runs the concurrency tests
# in the tsan step and the server in fuzz-server; clang-libstdcxx (extra) runs every suite so.
# No benchmarks: Debian's Google Benchmark is built against libstdc++ (the meson step builds
# them with g++, clang-libstdcxx with clang).
step --needs "clang libc++-14-dev libc++abi-14-dev" clang cmake_ctest clang \
    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
    "-DCMAKE_CXX_FLAGS=-stdlib=libc++ -D_LIBCPP_DEBUG=0" -DCMAKE_EXE_LINKER_FLAGS=-stdlib=libc++ \
    -DVITALS_BUILD_BENCHMARKS=OFF
step --extra --needs "clang libbenchmark-dev" clang-libstdcxx cmake_ctest clang-libstdcxx \
    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
    -DVITALS_COMPILE_FAIL_TESTS=OFF
step single-include single_include_variant
step --extra cxx20 cmake_ctest cxx20 -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_STANDARD=20 -DVITALS_BUILD_BENCHMARKS=OFF -DVITALS_COMPILE_FAIL_TESTS=OFF
step --needs "meson libbenchmark-dev" meson meson_test meson -Dtests=true -Dexamples=true \
    -Dbenchmarks=true
# No examples: nothing in ctest runs them (the demo-e2e and e2e steps build their own), and
# the meson and clang steps compile them with the same warnings. With libstdc++'s checks on:
# ASan does not see an index past a vector's size but within its capacity.
step asan-gcc without_load_tests cmake_ctest asan-gcc -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
    -DVITALS_BUILD_BENCHMARKS=OFF -DVITALS_BUILD_EXAMPLES=OFF -DVITALS_COMPILE_FAIL_TESTS=OFF \
    "-DCMAKE_CXX_FLAGS=$ASAN_FLAGS -D_GLIBCXX_ASSERTIONS" \
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
step --extra --needs "clang libclang-rt-14-dev" asan-clang without_load_tests \
    cmake_ctest asan-clang \
    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DVITALS_BUILD_BENCHMARKS=OFF \
    -DVITALS_BUILD_EXAMPLES=OFF -DVITALS_COMPILE_FAIL_TESTS=OFF "-DCMAKE_CXX_FLAGS=$ASAN_FLAGS" \
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
step --needs "clang libclang-rt-14-dev" tsan tsan_concurrency
step install install_consumer
step --needs "meson" subproject subproject_consumer
step --needs "clang" drop-in drop_in
step --quick --needs "clang" mixed-compilers mixed_compilers
step --needs "g++-mingw-w64-x86-64-posix wine wine64" windows windows_cmake
step --extra --needs "g++-mingw-w64-x86-64-posix wine wine64 meson" windows-meson windows_meson
step --needs "g++-arm-linux-gnueabihf qemu-user meson" armhf emulated meson_test armhf \
    --cross-file cross/armhf.ini -Dtests=true -Dexamples=true
step --needs "g++-s390x-linux-gnu qemu-user meson" big-endian big_endian
step --extra --needs "clang g++-arm-linux-gnueabihf qemu-user" armhf-clang emulated \
    cmake_ctest armhf-clang \
    -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/armhf.cmake -DVITALS_CROSS_CLANG=ON
step --needs "prometheus python3-prometheus-client python3-yaml curl" conformance conformance
step --quick --needs "clang" noexcept noexcept_policy
step --needs "g++-arm-linux-gnueabihf qemu-user" embedded embedded_example
step --needs "clang g++-arm-linux-gnueabihf qemu-user" atomics atomics_32bit
step --extra noexcept-units noexcept_units
step --needs "python3-yaml" deploy deploy_manifests
step --needs "prometheus python3-prometheus-client curl make" demo-e2e e2e_demo
step --needs "prometheus python3-prometheus-client python3-yaml curl" e2e e2e_prometheus
step --extra --needs "prometheus-cpp-dev prometheus python3-prometheus-client curl" migration migration
step --extra --needs "g++-mingw-w64-x86-64-posix wine wine64" wine-server wine_server
step --needs "clang libclang-rt-14-dev" fuzz-server fuzz_server
step --needs "prometheus curl" server-scrape server_scrape

# On one line, so bash has read all of it before running: editing this file while a run is
# in progress cannot change what that run executes.
main "$@"; exit "$?"
