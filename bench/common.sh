# bench/common.sh - what the benchmarks share; sourced, not run.
# Expects `die`, `usage`, `here` and `top` to be defined and sets: keep,
# bench_switch, pos, build, seed, repeat, weir, plugin_args, cc, work.

# bench_args SWITCH ARGS...: the command line of load.sh, incremental.sh
# and http.sh: --keep, the script's own SWITCH (bench_switch=1), -h or
# --help, and at most two words in pos (a count, then BUILD_DIR: build,
# default $WEIR_BUILD, else the source tree).  seed and repeat come from
# SEED and REPEAT; check them with bench_check_env after the count.
bench_args() {
    local own=$1 a
    shift
    bench_switch=0 keep=0
    pos=()
    for a in "$@"; do
        case $a in
            "$own") bench_switch=1 ;;
            --keep) keep=1 ;;
            -h|--help) usage ;;
            -*) printf '%s: unknown option %s\n' "${0##*/}" "$a" >&2; usage ;;
            *) pos+=("$a") ;;
        esac
    done
    (( ${#pos[@]} <= 2 )) || usage
    build=${pos[1]:-${WEIR_BUILD:-$top}}
    seed=${SEED:-1}
    repeat=${REPEAT:-1}
}

bench_check_env() {
    [[ $seed =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer, not '$seed'"
    [[ $repeat =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer, not '$repeat'"
}

# The tools every benchmark needs.
bench_tools() {
    command -v sqlite3 >/dev/null || die "sqlite3 not found (Debian: apt-get install -y sqlite3)"
    if ! /usr/bin/time -f '%e %M' -o /dev/null true 2>/dev/null; then
        die "GNU time not found at /usr/bin/time (Debian: apt-get install -y time)"
    fi
    cc=${CC:-cc}
    command -v "$cc" >/dev/null || die "C compiler '$cc' not found (set CC)"
}

# bench_gen_customers: bench/gen_customers.c built as $work/gen_customers.
bench_gen_customers() {
    "$cc" -O2 -o "$work/gen_customers" "$here/gen_customers.c" ||
        die "cannot build $here/gen_customers.c with $cc"
}

# bench_find_weir BUILD_DIR SKIP_HINT: the weir binary of a build tree, and
# the --plugin-path it needs if it does not find its plugins by itself.
bench_find_weir() {
    local build=$1 hint=$2 w out out2 pp
    weir=
    plugin_args=()
    [[ -d $build ]] || die "build dir '$build' does not exist"
    build=$(cd "$build" && pwd)
    for w in "$build/weir" "$build/core/weir"; do
        if [[ -x $w ]]; then weir=$w; break; fi
    done
    [[ -n $weir ]] || die "no weir binary in '$build' (looked for weir and core/weir); build it first, or pass $hint"
    # Warm-up: a libtool wrapper may relink on its first run; keep that out
    # of the timing.  Also proves the binary starts at all.
    out=$("$weir" --help 2>&1) || die "'$weir --help' failed: $out"
    has_plugins() { grep -qw csv <<<"$1" && grep -qw sqlite <<<"$1"; }
    out=$("$weir" plugins 2>&1 || true)
    if ! has_plugins "$out"; then
        pp="$build/connectors/.libs:$build/plugins/.libs"
        out2=$("$weir" plugins --plugin-path "$pp" 2>&1 || true)
        if has_plugins "$out2"; then
            plugin_args=(--plugin-path "$pp")
        else
            printf 'warning: "weir plugins" does not list both csv and sqlite:\n%s\n' "$out" >&2
        fi
    fi
}

# bench_on_exit CMD: run CMD (a servers' stop) at exit, before the scratch
# folder goes; after bench_workdir, whose EXIT trap runs them.
bench_exit_cmds=()
bench_on_exit() { bench_exit_cmds+=("$1"); }
bench_exit() {
    local c
    for c in "${bench_exit_cmds[@]}"; do eval "$c" || true; done
    if (( bench_keep )); then echo "kept $work" >&2; else rm -rf "$work"; fi
}

# bench_workdir NAME KEEP: a scratch folder, removed at exit unless KEEP.
bench_workdir() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    bench_keep=$2
    trap bench_exit EXIT
    trap 'exit 130' INT TERM   # so that the EXIT trap runs on ^C too
}
