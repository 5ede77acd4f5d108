#!/bin/sh
# make check: the core's folders keep their order (docs/architecture.md).
#  - a core file includes another core file by its folder ("base/log.h");
#  - each folder includes only from the folders below it:
#      base < record < store < plugin, pipeline < engine < report < web
#      < serve < cli
#    (match/ sits on base/ alone; engine/ and cli/ may use it);
#    (plugin/ and pipeline/ see each other: the host table works on a
#    pipeline's instances, and the loader and the validator hand it out);
#  - nothing outside store/sqlite/ includes store/sqlite/.
set -u
srcdir=${srcdir:-.}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

may_include() { # FOLDER: the folders it may include from
    case $1 in
    base) echo "base" ;;
    match) echo "base match" ;;
    record) echo "base record" ;;
    store) echo "base store" ;;
    plugin|pipeline) echo "base record store plugin pipeline" ;;
    engine) echo "base match record store plugin pipeline engine" ;;
    report) echo "base match record store plugin pipeline engine report" ;;
    web) echo "base match record store plugin pipeline engine report web" ;;
    serve) echo "base match record store plugin pipeline engine report web serve" ;;
    cli) echo "base match record store plugin pipeline engine report web serve cli" ;;
    *) echo "" ;;
    esac
}

cd "$srcdir/core" || exit 1
files=$(find . -name '*.[ch]' ! -name schema_rng.c | sed 's|^\./||' | sort)
[ -n "$files" ] || fail "no sources in $srcdir/core"
for f in $files; do
    folder=${f%%/*}
    [ "$folder" != "$f" ] || { fail "core/$f is not in a subsystem's folder"; continue; }
    allowed=$(may_include "$folder")
    [ -n "$allowed" ] || fail "core/$folder/ is not in tests/layout.sh's order"
    for inc in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        [ "$inc" != config.h ] || continue
        case $inc in
        */*) ;;
        *) fail "core/$f: #include \"$inc\" does not name its folder"; continue ;;
        esac
        to=${inc%%/*}
        case " $allowed " in
        *" $to "*) ;;
        *) fail "core/$f includes $inc: $folder/ may include only from $allowed" ;;
        esac
        case $inc in
        store/sqlite/*)
            case $f in
            store/sqlite/*) ;;
            *) fail "core/$f includes $inc: only store/sqlite/ sees the backend" ;;
            esac ;;
        esac
    done
done

[ "$fails" -eq 0 ] || exit 1
echo "PASS: the core's folders include only from below"
