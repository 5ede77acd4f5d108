#!/bin/sh
# make installcheck: an integrator's view of an installed weir.  Builds the
# example plugin out of tree with `pkg-config weir`, checks that `weir
# plugins` lists it, runs it in a pipeline, and checks that the same
# plugin built for another ABI is refused by name.
# usage: installcheck.sh BINDIR LIBDIR SRCDIR WORKDIR
set -eu
bindir=$1 libdir=$2 srcdir=$3 work=$4
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# what a user's environment might hold must not decide the outcome
unset WEIR_PLUGIN_PATH WEIR_STATE
CC=${CC:-cc}
fail() { echo "installcheck: FAIL: $*" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work/plugins" && cd "$work"
cp "$srcdir/docs/example-plugin/codeprefix.c" \
   "$srcdir/docs/example-plugin/example.xml" \
   "$srcdir/docs/example-plugin/app-customers.csv" .
plugindir=$(pkg-config --variable=plugindir weir)
[ -f "$plugindir/csv.so" ] || fail "no csv.so in the installed plugindir $plugindir"

# shellcheck disable=SC2046
$CC -std=c11 -Wall -Wextra -Werror -shared -fPIC $(pkg-config --cflags weir) \
    -o plugins/codeprefix.so codeprefix.c
# --plugin-path adds to the default: csv still comes from plugindir
path="$work/plugins"

"$bindir/weir" plugins --plugin-path "$path" > list.txt
grep -q '^codeprefix ' list.txt || fail "weir plugins does not list codeprefix"
grep -q '^csv ' list.txt || fail "weir plugins does not list csv"
# the installed weir finds its own plugins without any path, in the folder
# that weir.pc names (configure put it in config.h)
"$bindir/weir" plugins | grep -q '^sqlite ' || fail "default plugin path"
"$bindir/weir" plugins --json | grep -q "\"path\": \"$plugindir\"" \
    || fail "weir looks for plugins elsewhere than $plugindir"

"$bindir/weir" validate --plugin-path "$path" example.xml
set +e
"$bindir/weir" run --plugin-path "$path" example.xml > run.txt 2> run.err
rc=$?
set -e
# one app customer has no number: rejected, so exit 1 and three written
[ "$rc" = 1 ] || { cat run.txt run.err; fail "run exit $rc, expected 1"; }
grep -q '4 read, 3 written, 1 rejected' run.txt || fail "summary: $(cat run.txt)"
grep -q '^,123,' coded-customers.csv && fail "code not generated"
grep -q '^HB_000123,123,New Corner Shop$' coded-customers.csv \
    || fail "HB_ code missing: $(cat coded-customers.csv)"

# the same plugin built for ABI 2 is refused by name, unopened
mkdir -p badabi
sed 's/WEIR_PLUGIN_HEADER,/.abi_major = 2, .abi_minor = 0, .struct_size = sizeof(struct weir_plugin),/' \
    codeprefix.c > badabi/codeprefix.c
# shellcheck disable=SC2046
$CC -std=c11 -shared -fPIC $(pkg-config --cflags weir) \
    -o badabi/codeprefix.so badabi/codeprefix.c
"$bindir/weir" plugins --plugin-path "$work/badabi" 2> refused.txt >/dev/null
grep -q 'codeprefix.so: plugin built for weir ABI 2.0' refused.txt \
    || fail "wrong ABI not refused by name: $(cat refused.txt)"
set +e
"$bindir/weir" validate --plugin-path "$work/badabi:$plugindir" example.xml 2> v.err
rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'ABI 2.0' v.err || fail "validate accepted a wrong-ABI plugin"
echo "installcheck: out-of-tree plugin built, listed, run; wrong ABI refused"
