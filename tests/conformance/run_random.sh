#!/usr/bin/env bash
# tests/conformance/run_random.sh - the randomized, seeded conformance test: random
# registries (gen_random.cpp) checked with prometheus_client's parsers and promtool
# (check_random.py).
# SPDX-License-Identifier: MIT
#
#   tests/conformance/run_random.sh [--seed N | --seeds A-B]... [--keep DIR]
#
# Builds gen_random.cpp with ${CXX:-g++} -Iinclude, once as is and once with
# VITALS_COMPACT=1, then checks each seed (see check_random.py; every 10th seed also with
# Prometheus' Go OpenMetrics parser). Without --seed/--seeds it checks seeds 1 to
# ${SEEDS:-60}: run.sh (the CI step `conformance`) calls it so, which takes about 30 s on two
# cores, builds included; SEEDS=1000 runs many by hand (about 3 minutes). A failing seed
# prints the command that reproduces it; with --seed N the files are kept and their paths
# printed, and `gen_random --seed N --out PREFIX --trace` lists the operations.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/vitals-random.XXXXXX")"

seeds=()
keep=""
while (($# > 0)); do
    case "$1" in
    --seed | --seeds)
        [[ $# -ge 2 ]] || { echo "usage: $0 [--seed N | --seeds A-B]... [--keep DIR]" >&2; exit 2; }
        seeds+=(--seeds "$2")
        shift 2
        ;;
    --keep)
        [[ $# -ge 2 ]] || { echo "usage: $0 [--seed N | --seeds A-B]... [--keep DIR]" >&2; exit 2; }
        keep="$2"
        shift 2
        ;;
    *)
        echo "usage: $0 [--seed N | --seeds A-B]... [--keep DIR]" >&2
        exit 2
        ;;
    esac
done
if ((${#seeds[@]} == 0)); then
    seeds=(--seeds "1-${SEEDS:-60}")
elif [[ -z "$keep" ]]; then
    keep="$work/files" # one seed asked for by hand: keep what it wrote
fi
if [[ -z "$keep" ]]; then
    trap 'rm -rf "$work"' EXIT
fi

cxx="${CXX:-g++}"
flags=(-std=c++17 -O1 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror "-I$root/include")
echo "== building gen_random with $cxx (default and VITALS_COMPACT=1)"
"$cxx" "${flags[@]}" "$here/gen_random.cpp" -o "$work/gen_random" &
pid=$!
"$cxx" "${flags[@]}" -DVITALS_COMPACT=1 "$here/gen_random.cpp" -o "$work/gen_random_compact" ||
    { echo "FAIL: could not build gen_random.cpp with VITALS_COMPACT=1"; wait "$pid"; exit 1; }
wait "$pid" || { echo "FAIL: could not build gen_random.cpp"; exit 1; }

python=/usr/bin/python3
[[ -x "$python" ]] || python=python3
args=("$work/gen_random" --compact "$work/gen_random_compact" "${seeds[@]}" --quiet
    --go-openmetrics 10)
[[ -n "$keep" ]] && args+=(--keep "$keep")
"$python" "$here/check_random.py" "${args[@]}"
rc=$?
if [[ -n "$keep" ]]; then
    echo "files kept in $keep (seedN.txt, seedN.om, seedN.jsonl; seedNc.* from the compact build)"
    echo "generator kept as $work/gen_random (--seed N --out PREFIX --trace)"
fi
exit "$rc"
