#!/usr/bin/env bash
# bench/scale.sh - scaling benchmarks: wide records and long pipelines
#
#   bench/scale.sh [--keep] wide|transforms [N] [ROWS] [BUILD_DIR]
#
#   wide [COLS] [ROWS]  a CSV of COLS columns (default 1000) and ROWS rows
#                       (default 20000), run through two pipelines: csv ->
#                       csv, and csv -> <track key="code"> -> sqlite.
#   transforms [N]      `weir validate` of a pipeline of N map transforms
#                       (default 80000), one per line.
#
# Prints wall seconds and peak RSS (KB) of each weir command, measured with
# /usr/bin/time.  BUILD_DIR is the build tree holding `weir` (default:
# $WEIR_BUILD, else the source tree).  --keep keeps the temporary folder.
# The data is generated with awk, the same for every run.  On-demand only:
# never run by `make check` or CI.  Results: docs/benchmarks.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)

die() { printf 'scale.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '4p' "${BASH_SOURCE[0]}" | sed 's/^#  */usage: /' >&2; exit 2; }

keep=0
pos=()
for a in "$@"; do
    case $a in
        --keep) keep=1 ;;
        -h|--help) usage ;;
        -*) printf 'scale.sh: unknown option %s\n' "$a" >&2; usage ;;
        *) pos+=("$a") ;;
    esac
done
(( ${#pos[@]} >= 1 )) || usage
what=${pos[0]}

# shellcheck source=bench/common.sh
. "$here/common.sh"
bench_tools
bench_workdir weir-scale "$keep"

# run LABEL ARGS...: one timed weir command in $work; exit 1 if it fails.
run() {
    local label=$1
    shift
    /usr/bin/time -f '%e %M' -o "$work/time" "$weir" "$@" "${plugin_args[@]}" \
        >"$work/out" 2>&1 || { cat "$work/out" >&2; die "$label failed"; }
    read -r wall rss <"$work/time"
    printf '%-28s %8s s %10s KB   %s\n' "$label" "$wall" "$rss" \
        "$(tail -n 1 "$work/out")"
}

case $what in
wide)
    cols=${pos[1]:-1000} rows=${pos[2]:-20000}
    bench_find_weir "${pos[3]:-${WEIR_BUILD:-$top}}" ''
    [[ $cols =~ ^[1-9][0-9]*$ && $rows =~ ^[1-9][0-9]*$ ]] || usage
    awk -v cols="$cols" -v rows="$rows" 'BEGIN {
        line = "code"; for (c = 1; c < cols; c++) line = line ",f" c; print line
        for (r = 1; r <= rows; r++) {
            line = "C" r
            for (c = 1; c < cols; c++) line = line "," ((r * 31 + c) % 1000)
            print line
        }
    }' >"$work/wide.csv"
    cat >"$work/csv.xml" <<'XML'
<pipeline xmlns="urn:weir:pipeline:1" name="wide-csv">
  <source plugin="csv" name="in"><option name="path">wide.csv</option></source>
  <sink plugin="csv" name="out"><option name="path">out.csv</option></sink>
</pipeline>
XML
    cat >"$work/sqlite.xml" <<'XML'
<pipeline xmlns="urn:weir:pipeline:1" name="wide-sqlite">
  <source plugin="csv" name="in"><option name="path">wide.csv</option></source>
  <track key="code"/>
  <sink plugin="sqlite" name="db">
    <option name="database">wide.db</option>
    <option name="table">wide</option>
    <option name="key">code</option>
  </sink>
</pipeline>
XML
    echo "wide: $cols columns x $rows rows, $(wc -c <"$work/wide.csv") bytes"
    run "csv -> csv" run "$work/csv.xml" --state "$work/weir.db"
    run "csv -> track -> sqlite" run "$work/sqlite.xml" --state "$work/weir.db"
    ;;
transforms)
    n=${pos[1]:-80000}
    bench_find_weir "${pos[2]:-${WEIR_BUILD:-$top}}" ''
    [[ $n =~ ^[1-9][0-9]*$ ]] || usage
    {
        echo '<pipeline xmlns="urn:weir:pipeline:1" name="long">'
        echo '<source plugin="csv" name="in"><option name="path">in.csv</option></source>'
        awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
            printf "<transform plugin=\"map\" name=\"t%d\"/>\n", i }'
        echo '<sink plugin="csv" name="out"><option name="path">out.csv</option></sink>'
        echo '</pipeline>'
    } >"$work/long.xml"
    echo "transforms: $n map transforms, $(wc -c <"$work/long.xml") bytes"
    run "validate" validate "$work/long.xml"
    ;;
*) usage ;;
esac
