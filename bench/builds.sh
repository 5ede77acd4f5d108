#!/bin/bash
# bench/builds.sh - two builds of weir, one workload: the change-tracked
# initial load of ROWS customers, then the incremental run of the next
# export (1% changed, 0.5% new, 0.2% deleted), alternating the builds for
# ROUNDS rounds so a noisy machine hurts both alike.  Prints each round
# and the ratio of the medians (B / A).  Not a test; run on demand:
#
#   bench/builds.sh 300000 /tmp/build-before /tmp/build-after [ROUNDS]
#
# Each BUILD is a configured and built weir tree (see bench/README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "builds.sh: $*" >&2; exit 1; }
# shellcheck source=bench/common.sh
source "$here/common.sh"

(( $# >= 3 )) || die "usage: bench/builds.sh ROWS BUILD_A BUILD_B [ROUNDS]"
rows=$1 rounds=${4:-3}
bench_tools
make -s -C "$here" gen_customers >/dev/null
bench_workdir weir-builds "${KEEP:-0}"
"$here/gen_customers" -n "$rows" -s 1 >"$work/base.csv"
"$here/gen_customers" -n "$rows" --base-seed 1 --changes 1,0.5,0.2 -s 2 >"$work/next.csv"

declare -A weirs plugins
for b in A B; do
    build=$2; [[ $b == B ]] && build=$3
    bench_find_weir "$build" "BUILD_$b"
    weirs[$b]=$weir
    plugins[$b]="${plugin_args[*]}"
done

# seconds of one `weir run` in folder $1 with build $2
timed_run() {
    local start end
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    (cd "$1" && "${weirs[$2]}" run p.xml -q ${plugins[$2]})
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

declare -A initial incremental
for ((r = 1; r <= rounds; r++)); do
    for b in A B; do
        d=$work/$b; rm -rf "$d"; mkdir -p "$d"
        cp "$here/incremental.xml" "$d/p.xml"
        cp "$work/base.csv" "$d/customers.csv"
        i=$(timed_run "$d" "$b")
        cp "$work/next.csv" "$d/customers.csv"
        n=$(timed_run "$d" "$b")
        initial[$b]+="$i "; incremental[$b]+="$n "
        printf 'round %d build %s: initial %.3f s, incremental %.3f s\n' "$r" "$b" "$i" "$n"
    done
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for what in initial incremental; do
    declare -n times=$what
    a=$(median "${times[A]}") b=$(median "${times[B]}")
    printf '%s: median A %.3f s, B %.3f s, B/A %.2f\n' "$what" "$a" "$b" "$(echo "$b / $a" | bc -l)"
done
