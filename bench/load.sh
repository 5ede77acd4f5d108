#!/usr/bin/env bash
# bench/load.sh - bulk-load benchmark: weir (csv -> sqlite) vs sqlite3 .import
#
#   bench/load.sh [--sqlite-only] [--keep] [ROWS] [BUILD_DIR]
#
# Generates ROWS customers (default 1000000) with bench/gen_customers.c,
# then loads the same file twice and times each with /usr/bin/time:
#   (a) sqlite3 .import --skip 1 into a table created beforehand with the
#       schema weir's sqlite sink creates (12 TEXT columns, PRIMARY KEY code);
#   (b) weir run on bench/load.xml (csv source -> sqlite sink, key code).
# Prints wall seconds, CPU seconds (user + system) and peak RSS of each, the
# ratios weir/.import and the row count of both tables (both must be ROWS;
# exit 1 otherwise).
#
# BUILD_DIR is the build tree holding the `weir` binary (default: $WEIR_BUILD,
# else the source tree itself).  --sqlite-only skips (b); --keep keeps the
# temporary folder.  Environment: SEED (default 1) picks the data; REPEAT
# (default 1) runs each load that many times on the same file, alternating,
# and reports the median wall time and the largest peak RSS; CC is the
# compiler for the generator.  On-demand only: never run by `make check`
# or CI.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)

die() { printf 'load.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '4p' "${BASH_SOURCE[0]}" | sed 's/^#  */usage: /' >&2; exit 2; }
# shellcheck source=bench/common.sh
. "$here/common.sh"

bench_args --sqlite-only "$@"
sqlite_only=$bench_switch
rows=${pos[0]:-1000000}
[[ $rows =~ ^[1-9][0-9]*$ ]] || die "ROWS must be a positive integer, not '$rows'"
bench_check_env

# ---- tools ------------------------------------------------------------
bench_tools
weir=
plugin_args=()
(( sqlite_only )) || bench_find_weir "$build" --sqlite-only

# ---- data ---------------------------------------------------------------
bench_workdir weir-bench "$keep"

bench_gen_customers
"$work/gen_customers" -n "$rows" -s "$seed" -o "$work/customers.csv"
bytes=$(wc -c <"$work/customers.csv")
cp "$here/load.xml" "$work/load.xml"   # relative paths: next to the data
cat "$work/customers.csv" >/dev/null   # same page cache for both runs

cols=(code name address1 address2 city postcode country phone email
      sales_rep credit_limit updated)
coldefs='' collist='' nulls=''
for c in "${cols[@]}"; do
    coldefs+="${coldefs:+, }\"$c\" TEXT"
    collist+="${collist:+, }coalesce(\"$c\", '')"   # NULL and '' alike
    nulls+="${nulls:+ + }(\"$c\" IS NULL)"
done
schema="CREATE TABLE customers ($coldefs, PRIMARY KEY(\"code\"));"

# /usr/bin/time: wall seconds, peak RSS (KB), CPU seconds (user + system)
tfmt='%e %M %U %S'
# last line of a /usr/bin/time -o file: "WALL_S PEAK_RSS_KB CPU_S"
times_of() {
    tail -n 1 "$1" 2>/dev/null | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' ||
        echo "n/a 0 n/a"
}
# median of numbers (the lower middle one for an even count)
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n 1; }

# (a) sqlite3 .import into a fresh table; sets imp_s imp_kb imp_rows
run_import() {
    rm -f "$work/import.db"
    sqlite3 -bail "$work/import.db" "$schema" || die "sqlite3: cannot create $work/import.db"
    if ! /usr/bin/time -f "$tfmt" -o "$work/time.import" \
            sqlite3 -bail "$work/import.db" >"$work/import.out" 2>"$work/import.err" <<EOF
.mode csv
.import --skip 1 "$work/customers.csv" customers
EOF
    then
        cat "$work/import.out" "$work/import.err" >&2
        die "sqlite3 .import failed"
    fi
    if [[ -s $work/import.err ]]; then
        echo "load.sh: sqlite3 .import said:" >&2
        head -n 20 "$work/import.err" >&2
    fi
    read -r imp_s imp_kb imp_cpu < <(times_of "$work/time.import") || true
    imp_rows=$(sqlite3 "$work/import.db" 'SELECT count(*) FROM customers')
}

# (b) weir run into a fresh target and state; sets weir_s weir_kb
# weir_rows weir_rows_err weir_status
run_weir() {
    local rc
    rm -f "$work"/target.db* "$work"/state.db*
    set +e
    (cd "$work" && /usr/bin/time -f "$tfmt" -o "$work/time.weir" \
        "$weir" run "$work/load.xml" --state "$work/state.db" "${plugin_args[@]}") \
        >"$work/weir.out" 2>"$work/weir.err" </dev/null
    rc=$?
    set -e
    weir_s=n/a weir_kb=0 weir_cpu=n/a
    read -r weir_s weir_kb weir_cpu < <(times_of "$work/time.weir") || true
    weir_rows_err=''
    if ! weir_rows=$(sqlite3 "$work/target.db" 'SELECT count(*) FROM customers' 2>&1); then
        weir_rows_err=$weir_rows weir_rows=n/a
    fi
    weir_status="exit $rc"
}

imp_all=() imp_kb_all=() imp_cpu_all=() weir_all=() weir_kb_all=() weir_cpu_all=()
weir_status=skipped
for (( r = 1; r <= repeat; r++ )); do
    run_import
    imp_all+=("$imp_s") imp_kb_all+=("$imp_kb") imp_cpu_all+=("$imp_cpu")
    [[ $imp_rows == "$rows" ]] || break
    if (( ! sqlite_only )); then
        run_weir
        [[ $weir_status == "exit 0" && $weir_rows == "$rows" ]] || break
        weir_all+=("$weir_s") weir_kb_all+=("$weir_kb") weir_cpu_all+=("$weir_cpu")
    fi
done

# ---- report ----------------------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo "weir load benchmark: $rows rows, seed $seed, $repeat run(s) each"
echo "host: $(uname -srm), $(nproc) CPUs; sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
awk -v b="$bytes" -v n="$rows" \
    'BEGIN { printf "file: customers.csv, %d bytes, %.1f bytes/row\n", b, b / n }'
echo
imp_s=$(median "${imp_all[@]}") imp_kb=$(maxof "${imp_kb_all[@]}")
imp_cpu=$(median "${imp_cpu_all[@]}")
printf '%-18s %10s %10s %14s %10s\n' "load" "wall (s)" "CPU (s)" "peak RSS (MB)" "rows"
printf '%-18s %10s %10s %14s %10s\n' "sqlite3 .import" "$imp_s" "$imp_cpu" "$(mb "$imp_kb")" "$imp_rows"
if (( ! sqlite_only )); then
    if (( ${#weir_all[@]} == repeat )); then
        weir_s=$(median "${weir_all[@]}") weir_kb=$(maxof "${weir_kb_all[@]}")
        weir_cpu=$(median "${weir_cpu_all[@]}")
    fi
    printf '%-18s %10s %10s %14s %10s   (%s)\n' "weir run" "$weir_s" "$weir_cpu" "$(mb "$weir_kb")" "$weir_rows" "$weir_status"
    if (( repeat > 1 )); then
        echo
        echo "(wall, CPU: median of the runs; peak RSS: the largest)"
        echo "sqlite3 .import wall: ${imp_all[*]}; CPU: ${imp_cpu_all[*]}"
        echo "weir run wall:        ${weir_all[*]}; CPU: ${weir_cpu_all[*]}"
    fi
    echo
    if [[ $weir_status == "exit 0" ]]; then
        awk -v w="$weir_s" -v i="$imp_s" \
            'BEGIN { if (i > 0) printf "weir/.import wall-time ratio: %.2f   (target: <= 1.0)\n", w / i }'
        awk -v w="$weir_cpu" -v i="$imp_cpu" \
            'BEGIN { if (i > 0) printf "weir/.import CPU-time ratio: %.2f\n", w / i }'
        echo "weir peak RSS: $(mb "$weir_kb") MB"
    else
        echo "weir run FAILED ($weir_status): no ratio"
    fi
    [[ -z $weir_rows_err ]] || echo "weir target table: $weir_rows_err"
    if [[ $weir_rows =~ ^[0-9]+$ ]]; then
        echo "weir table: $(sqlite3 "$work/target.db" '.schema customers' 2>&1 | tr '\n' ' ')"
        diff=$(sqlite3 "$work/import.db" \
            "ATTACH '$work/target.db' AS w;
             SELECT (SELECT count(*) FROM (SELECT $collist FROM main.customers
                                           EXCEPT SELECT $collist FROM w.customers))
                  + (SELECT count(*) FROM (SELECT $collist FROM w.customers
                                           EXCEPT SELECT $collist FROM main.customers));" 2>&1) ||
            diff="n/a ($diff)"
        echo "rows that differ between the two tables (NULL taken as ''): $diff"
        echo "NULL cells in weir's table (sqlite3 .import stores ''): $(sqlite3 "$work/target.db" "SELECT sum($nulls) FROM customers" 2>&1)"
    fi
    echo "weir output:"
    sed 's/^/  /' "$work/weir.out" "$work/weir.err"
elif (( repeat > 1 )); then
    echo
    echo "(wall, CPU: median of the runs; peak RSS: the largest)"
    echo "sqlite3 .import wall: ${imp_all[*]}; CPU: ${imp_cpu_all[*]}"
fi

fail=0
[[ $imp_rows == "$rows" ]] || { echo "load.sh: sqlite3 .import loaded $imp_rows rows, not $rows" >&2; fail=1; }
if (( ! sqlite_only )); then
    [[ $weir_status == "exit 0" ]] || { echo "load.sh: weir run failed ($weir_status)" >&2; fail=1; }
    [[ $weir_rows == "$rows" ]] || { echo "load.sh: weir loaded $weir_rows rows, not $rows" >&2; fail=1; }
fi
exit "$fail"
