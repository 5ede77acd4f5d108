#!/usr/bin/env bash
# bench/http.sh - http sink benchmark: weir -> nginx vs ApacheBench -> nginx,
# and weir -> the test ERP
#
#   bench/http.sh [--no-erp] [--keep] [RECORDS] [BUILD_DIR]
#
# Generates RECORDS customers (default 100000) with bench/gen_customers.c
# and starts nginx on a free 127.0.0.1 port (a minimal nginx.conf in the
# temporary folder, run as the current user, one worker, answering every
# request with 200 and {"id":"<32 hex digits, new each time>"}).  Then, each
# timed with /usr/bin/time:
#   (a) ab -k -c 8: RECORDS POSTs to nginx, each with the body weir sends
#       for the record of median size and an Idempotency-Key header as
#       weir's (the same request size);
#   (b) weir run of bench/http.xml: csv source -> <track key="code"/> ->
#       http sink (POST /customers, concurrency 8, id-pointer /id) -> nginx,
#       with RECORDS records, and again with RECORDS/10; and both without
#       <track> (memory: the key index of <track> grows with the number
#       of keys, the sink's memory must not);
#   (c) the same weir run against the test ERP (tests/erp/weir-test-erp,
#       port 0: a free one; started afresh for each run), which stores each
#       customer and answers 201 {"id": "C00001"}.
# Every weir run has a fresh state database and must end with all its
# records written, as many distinct assigned ids recorded in it (each
# answer; none without <track>, which records nothing for a record
# acknowledged on its first send) and no open outbox row; nginx's request counter must have grown by exactly
# the requests each run made; ab must report no failed and no non-2xx
# request (exit 1 otherwise).  Prints requests/s of each (weir's over its
# whole run: reading, tracking, sending and recording), the ratio weir/ab
# (target of issue 8, reported, not asserted: at least 0.3) and weir's peak
# RSS for both record counts, with and without <track>.  nginx and the ERP are stopped at exit, also
# on failure.
#
# BUILD_DIR is the build tree holding `weir` and tests/erp/weir-test-erp
# (default: $WEIR_BUILD, else the source tree).  --no-erp skips (c);
# --keep keeps the temporary folder.  Environment: SEED (default 1) picks
# the data; REPEAT (default 1) runs each part that many times, alternating,
# and reports the median requests/s and the largest peak RSS; CC is the
# compiler for the generator.  On-demand only: never run by `make check`
# or CI.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)

die() { printf 'http.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '5p' "${BASH_SOURCE[0]}" | sed 's/^#  */usage: /' >&2; exit 2; }
# shellcheck source=bench/common.sh
. "$here/common.sh"

bench_args --no-erp "$@"
no_erp=$bench_switch
records=${pos[0]:-100000}
conc=8
[[ $records =~ ^[1-9][0-9]+$ ]] || die "RECORDS must be an integer of at least 10, not '$records'"
bench_check_env
small=$(( records / 10 ))
(( small > 0 )) || small=1

# ---- tools ------------------------------------------------------------
bench_tools
nginx=$(PATH=$PATH:/usr/sbin:/sbin command -v nginx) ||
    die "nginx not found (Debian: apt-get install -y nginx-light, or nginx)"
command -v ab >/dev/null || die "ab not found (Debian: apt-get install -y apache2-utils)"
bench_find_weir "$build" "a BUILD_DIR with weir built"
erp=
if (( ! no_erp )); then
    erp=$(cd "$build" && pwd)/tests/erp/weir-test-erp
    [[ -x $erp ]] || die "no $erp (it is built with weir when libmicrohttpd is found; Debian: libmicrohttpd-dev), or pass --no-erp"
fi

# ---- data ---------------------------------------------------------------
bench_workdir weir-bench-http "$keep"

bench_gen_customers
"$work/gen_customers" -n "$records" -s "$seed" -o "$work/customers.csv"
mkdir "$work/small"
head -n $(( small + 1 )) "$work/customers.csv" >"$work/small/customers.csv"

# Each record as the JSON body weir's http sink sends (body "record": the
# fields in order, every one a string, an empty CSV field null; compact, as
# jansson writes it), one a line; gen_customers writes RFC 4180 without
# line breaks in fields.  ab sends the one of median length.  Lengths in
# bytes: LC_ALL=C.
export LC_ALL=C
awk '
function field(    v) {
    if (substr(line, 1, 1) == "\"") {
        v = ""
        line = substr(line, 2)
        while (1) {
            i = index(line, "\"")
            v = v substr(line, 1, i - 1)
            line = substr(line, i + 1)
            if (substr(line, 1, 1) != "\"") break
            v = v "\""
            line = substr(line, 2)
        }
        line = substr(line, 2)   # the comma
        return v
    }
    i = index(line, ",")
    if (i == 0) { v = line; line = ""; return v }
    v = substr(line, 1, i - 1)
    line = substr(line, i + 1)
    return v
}
function jstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
{
    line = $0
    n = 0
    while (line != "" || n < ncols) { f[++n] = field(); if (n > 100) break }
    if (NR == 1) { ncols = n; for (k = 1; k <= n; k++) name[k] = f[k]; next }
    out = "{"
    for (k = 1; k <= ncols; k++)
        out = out (k > 1 ? "," : "") jstr(name[k]) ":" (f[k] == "" ? "null" : jstr(f[k]))
    print out "}"
}' "$work/customers.csv" >"$work/bodies.jsonl"
body_mean=$(awk '{ s += length($0) } END { printf "%.1f", s / NR }' "$work/bodies.jsonl")
body_len=$(awk '{ print length($0) }' "$work/bodies.jsonl" | sort -n |
           awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
awk -v n="$body_len" 'length($0) == n { printf "%s", $0; exit }' "$work/bodies.jsonl" >"$work/body.json"
rm "$work/bodies.jsonl"
cat "$work/customers.csv" >/dev/null   # in the page cache for every run

# ---- servers --------------------------------------------------------------
port_busy() { (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

nginx_pid='' nginx_port=''
stop_nginx() {
    [[ -n $nginx_pid ]] || return 0
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=
}
bench_on_exit stop_nginx

# nginx on a free port (a port taken between the check and nginx's bind
# makes nginx exit: then the next one is tried).
start_nginx() {
    local d=$work/nginx try i
    mkdir -p "$d"
    for (( try = 0; try < 20; try++ )); do
        nginx_port=$(( 20000 + RANDOM % 40000 ))
        port_busy "$nginx_port" && continue
        cat >"$d/nginx.conf" <<EOF
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            default_type application/json;
            return 200 '{"id":"\$request_id"}';
        }
        location = /nginx_status { stub_status; }
    }
}
EOF
        "$nginx" -p "$d/" -e "$d/error.log" -c "$d/nginx.conf" -g 'daemon off;' \
            </dev/null >>"$d/out" 2>&1 &
        nginx_pid=$!
        for (( i = 0; i < 100; i++ )); do
            kill -0 "$nginx_pid" 2>/dev/null || break
            port_busy "$nginx_port" && return 0
            sleep 0.05
        done
        stop_nginx
    done
    cat "$d/out" "$d/error.log" >&2 2>/dev/null || true
    die "cannot start nginx"
}

# Requests nginx has answered so far (stub_status).
nginx_requests() {
    local reply
    exec 3<>"/dev/tcp/127.0.0.1/$nginx_port"
    printf 'GET /nginx_status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    reply=$(cat <&3)
    exec 3<&-
    awk '/^ *[0-9]+ +[0-9]+ +[0-9]+ *\r?$/ { print $3; found = 1 }
         END { if (!found) print "n/a" }' <<<"$reply"
}

erp_pid='' erp_url=''
stop_erp() {
    [[ -n $erp_pid ]] || return 0
    kill -TERM "$erp_pid" 2>/dev/null || true
    wait "$erp_pid" 2>/dev/null || true
    erp_pid=
}
bench_on_exit stop_erp

start_erp() {
    local i
    : >"$work/erp.url"
    "$erp" --port 0 >"$work/erp.url" 2>/dev/null </dev/null &
    erp_pid=$!
    for (( i = 0; i < 100; i++ )); do
        erp_url=$(head -n 1 "$work/erp.url")
        [[ $erp_url == http://* ]] && return 0
        kill -0 "$erp_pid" 2>/dev/null || break
        sleep 0.05
    done
    die "weir-test-erp did not print its URL"
}

# ---- runs -----------------------------------------------------------------
# /usr/bin/time: wall seconds, peak RSS (KB), CPU seconds (user + system)
tfmt='%e %M %U %S'
times_of() {
    tail -n 1 "$1" 2>/dev/null | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' ||
        echo "n/a 0 n/a"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n 1; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }

fail=0
problem() { echo "http.sh: $*" >&2; fail=1; }

# (a) sets ab_rps ab_cpu
run_ab() {
    local before after
    before=$(nginx_requests)
    /usr/bin/time -f "$tfmt" -o "$work/time.ab" \
        ab -q -k -c "$conc" -n "$records" -p "$work/body.json" -T application/json \
           -H "Accept: application/json" \
           -H "Idempotency-Key: 0123456789abcdef0123456789abcdef" \
           "http://127.0.0.1:$nginx_port/customers" >"$work/ab.out" 2>&1 ||
        { cat "$work/ab.out" >&2; die "ab failed"; }
    after=$(nginx_requests)
    read -r _ _ ab_cpu < <(times_of "$work/time.ab")
    ab_rps=$(awk '/^Requests per second:/ { printf "%.0f", $4 }' "$work/ab.out")
    local complete failed non2xx
    complete=$(awk '/^Complete requests:/ { print $3 }' "$work/ab.out")
    failed=$(awk '/^Failed requests:/ { print $3 }' "$work/ab.out")
    non2xx=$(awk '/^Non-2xx responses:/ { print $3 }' "$work/ab.out")
    [[ $complete == "$records" && $failed == 0 && -z $non2xx ]] ||
        problem "ab: $complete complete, $failed failed, ${non2xx:-0} non-2xx of $records"
    (( after - before - 1 == records )) ||
        problem "ab: nginx counted $(( after - before - 1 )) requests, not $records"
}

# weir_run NAME DIR N URL [notrack]: one weir run of DIR/customers.csv (N
# records) to URL with a fresh state database, without <track> when asked;
# sets w_s w_kb w_cpu w_rps
weir_run() {
    local name=$1 dir=$2 n=$3 url=$4 rc before=0 after=0 ids=$3
    sed "s|@URL@|$url|" "$here/http.xml" >"$dir/http.xml"
    if [[ ${5:-} == notrack ]]; then
        sed -i '/<track /d' "$dir/http.xml"
        ids=0
    fi
    rm -f "$dir"/state.db*
    [[ $name != nginx* ]] || before=$(nginx_requests)
    set +e
    (cd "$dir" && /usr/bin/time -f "$tfmt" -o "$work/time.$name" \
        "$weir" run "$dir/http.xml" --state "$dir/state.db" "${plugin_args[@]}") \
        >"$work/weir.$name.out" 2>&1 </dev/null
    rc=$?
    set -e
    [[ $name != nginx* ]] || after=$(nginx_requests)
    w_s=n/a w_kb=0 w_cpu=n/a
    read -r w_s w_kb w_cpu < <(times_of "$work/time.$name") || true
    w_rps=$(rate "$n" "$w_s")
    if (( rc != 0 )); then
        sed 's/^/  /' "$work/weir.$name.out" >&2
        problem "weir -> $name: exit $rc"
        return 0
    fi
    local got
    got=$(sqlite3 "$dir/state.db" \
        "SELECT (SELECT written FROM runs ORDER BY id DESC LIMIT 1) || ' ' ||
                (SELECT count(*) FROM assigned_ids) || ' ' ||
                (SELECT count(DISTINCT assigned_id) FROM assigned_ids) || ' ' ||
                (SELECT count(*) FROM outbox WHERE status <> 'delivered')")
    [[ $got == "$n $ids $ids 0" ]] ||
        problem "weir -> $name: state says written, ids, distinct ids, open outbox rows = $got; expected $n $ids $ids 0"
    if [[ $name == nginx* ]] && (( after - before - 1 != n )); then
        problem "weir -> $name: nginx counted $(( after - before - 1 )) requests, not $n"
    fi
}

start_nginx
ab_all=() ab_cpu_all=()
big_all=() big_cpu_all=() big_kb_all=()
sm_all=() sm_kb_all=()
nt_all=() nt_kb_all=() nts_kb_all=()
erp_all=() erp_cpu_all=() erp_kb_all=()
for (( r = 1; r <= repeat; r++ )); do
    run_ab
    ab_all+=("$ab_rps") ab_cpu_all+=("$ab_cpu")
    weir_run nginx "$work" "$records" "http://127.0.0.1:$nginx_port"
    big_all+=("$w_rps") big_cpu_all+=("$w_cpu") big_kb_all+=("$w_kb")
    weir_run nginx-small "$work/small" "$small" "http://127.0.0.1:$nginx_port"
    sm_all+=("$w_rps") sm_kb_all+=("$w_kb")
    weir_run nginx-notrack "$work" "$records" "http://127.0.0.1:$nginx_port" notrack
    nt_all+=("$w_rps") nt_kb_all+=("$w_kb")
    weir_run nginx-notrack-small "$work/small" "$small" "http://127.0.0.1:$nginx_port" notrack
    nts_kb_all+=("$w_kb")
    if (( ! no_erp )); then
        start_erp
        weir_run erp "$work" "$records" "$erp_url"
        stop_erp
        erp_all+=("$w_rps") erp_cpu_all+=("$w_cpu") erp_kb_all+=("$w_kb")
    fi
    (( ! fail )) || break
done

# ---- report ----------------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo "weir http benchmark: $records records (seed $seed), concurrency $conc, $repeat run(s) each"
echo "host: $(uname -srm), $(nproc) CPUs; $("$nginx" -v 2>&1 | sed 's/.*: //'), one worker; ab $(ab -V | sed -n 's/.*Version \([0-9.]*\).*/\1/p')"
echo "request body: weir ${body_mean} bytes on average; ab $body_len bytes (the record of median size)"
echo
printf '%-28s %10s %12s %10s %14s\n' "" "requests" "requests/s" "CPU (s)" "peak RSS (MB)"
printf '%-28s %10s %12s %10s %14s\n' "ab -k -c $conc -> nginx" "$records" \
    "$(median "${ab_all[@]}")" "$(median "${ab_cpu_all[@]}")" "-"
printf '%-28s %10s %12s %10s %14s\n' "weir -> nginx" "$records" \
    "$(median "${big_all[@]}")" "$(median "${big_cpu_all[@]}")" "$(mb "$(maxof "${big_kb_all[@]}")")"
printf '%-28s %10s %12s %10s %14s\n' "weir -> nginx" "$small" \
    "$(median "${sm_all[@]}")" "" "$(mb "$(maxof "${sm_kb_all[@]}")")"
printf '%-28s %10s %12s %10s %14s\n' "weir -> nginx, no <track>" "$records" \
    "$(median "${nt_all[@]}")" "" "$(mb "$(maxof "${nt_kb_all[@]}")")"
printf '%-28s %10s %12s %10s %14s\n' "weir -> nginx, no <track>" "$small" \
    "" "" "$(mb "$(maxof "${nts_kb_all[@]}")")"
if (( ! no_erp )); then
    printf '%-28s %10s %12s %10s %14s\n' "weir -> test ERP" "$records" \
        "$(median "${erp_all[@]}")" "$(median "${erp_cpu_all[@]}")" "$(mb "$(maxof "${erp_kb_all[@]}")")"
fi
echo
if (( repeat > 1 )); then
    echo "(requests/s, CPU: median of the runs; peak RSS: the largest)"
    echo "ab requests/s:            ${ab_all[*]}"
    echo "weir -> nginx requests/s: ${big_all[*]}"
    (( no_erp )) || echo "weir -> ERP requests/s:   ${erp_all[*]}"
    echo
fi
awk -v w="$(median "${big_all[@]}")" -v a="$(median "${ab_all[@]}")" \
    'BEGIN { if (a > 0) printf "weir/ab requests/s: %.2f (target: at least 0.3)\n", w / a }'
echo "weir peak RSS: $(mb "$(maxof "${sm_kb_all[@]}")") MB for $small records, $(mb "$(maxof "${big_kb_all[@]}")") MB for $records;" \
     "without <track>: $(mb "$(maxof "${nts_kb_all[@]}")") MB and $(mb "$(maxof "${nt_kb_all[@]}")") MB"
echo "weir -> nginx output:"
sed 's/^/  /' "$work/weir.nginx.out"
(( fail == 0 )) || echo "http.sh: FAILED (see above)" >&2
exit "$fail"
