#!/bin/sh
# make check: what the user reads agrees with what weir does.
#  - every command of `weir --help`, and every option of its common options
#    and of each command's synopsis, is in the manual page (docs/weir.1.in)
#    and in docs/cli.md;
#  - the manual page formats without warnings (when groff is installed);
#  - the README's install command names the packages .ci/run installs
#    (except CI's own tools), so the first command works on a fresh Debian.
set -u
srcdir=${srcdir:-.}
weir=${WEIR:-./weir}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

man=$(sed 's/\\-/-/g' "$srcdir/docs/weir.1.in")
cli=$(cat "$srcdir/docs/cli.md")

commands=$("$weir" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 {print $1}')
[ -n "$commands" ] || fail "no commands in weir --help"
options=$("$weir" --help | sed -n '/^Common options/,/^$/p' |
          grep -oE -- '--[a-z][a-z-]+' | sort -u)
for c in $commands; do
    printf '%s\n' "$man" | grep -q "weir $c" || fail "weir.1 lacks the command $c"
    printf '%s\n' "$cli" | grep -qF "## \`weir $c\`" || fail "docs/cli.md has no section for $c"
    options="$options
$("$weir" "$c" --help | grep '^usage:' | grep -oE -- '--[a-z][a-z-]+')"
done
for o in $(printf '%s\n' "$options" | sort -u); do
    printf '%s\n' "$man" | grep -qe "$o" || fail "weir.1 lacks the option $o"
    printf '%s\n' "$cli" | grep -qe "$o" || fail "docs/cli.md lacks the option $o"
done

if command -v groff >/dev/null 2>&1; then
    warnings=$(sed -e 's|@[A-Z]*@|x|g' "$srcdir/docs/weir.1.in" |
               groff -man -ww -z -Tutf8 2>&1)
    [ -z "$warnings" ] || fail "groff warns about weir.1: $warnings"
fi

# README: `... apt-get install -y PACKAGES && ...` on one line
readme=$(grep -m1 'apt-get install' "$srcdir/README.md" |
         sed -e 's/.*apt-get install -y//' -e 's/&&.*//' | tr ' ' '\n' | grep . | sort)
ci=$(sed -n '/^packages="/,/"$/p' "$srcdir/.ci/run" | sed -e 's/packages="//' -e 's/"//' |
     tr ' ' '\n' | grep . | grep -vxE 'clang|valgrind' | sort)
[ -n "$readme" ] && [ -n "$ci" ] || fail "no package list in README.md or .ci/run"
[ "$readme" = "$ci" ] || fail "README.md and .ci/run install different packages:
  README.md: $(echo $readme)
  .ci/run:   $(echo $ci)"

[ "$fails" = 0 ] || exit 1
echo "PASS: manual page, docs/cli.md and README agree with weir"
