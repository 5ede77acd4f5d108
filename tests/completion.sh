#!/bin/bash
# make check: the bash completion (data/bash-completion/weir) completes
# what weir takes: every command `weir --help` lists, every option of
# `weir COMMAND --help`, common options before the command, option values
# and pipeline files.
set -u
srcdir=${srcdir:-.}
weir=${WEIR:-./weir}
# shellcheck source=/dev/null
. "$srcdir/data/bash-completion/weir"
fails=0

# complete "TYPED": the words bash would make of the line TYPED (split at
# blanks and around "="; a trailing blank starts an empty word, a trailing
# "=" is a word of its own, as bash makes them), the last
# one being completed; prints what is offered
complete_words() {
    local line=$1 w
    COMP_WORDS=()
    for w in $line; do
        while [[ $w == *=* ]]; do
            [ -n "${w%%=*}" ] && COMP_WORDS+=("${w%%=*}")
            COMP_WORDS+=("=")
            w=${w#*=}
        done
        [ -n "$w" ] && COMP_WORDS+=("$w")
    done
    [[ $line == *' ' ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _weir
    printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect "TYPED" WORD... : each WORD is offered for TYPED
expect() {
    local typed=$1 got w
    shift
    got=$(complete_words "$typed")
    for w in "$@"; do
        if ! grep -qxF -- "$w" <<<"$got"; then
            echo "FAIL: '$typed' does not offer '$w'; offers: $(echo $got)"
            fails=$((fails + 1))
        fi
    done
}

# refuse "TYPED" WORD... : no WORD is offered
refuse() {
    local typed=$1 got w
    shift
    got=$(complete_words "$typed")
    for w in "$@"; do
        if grep -qxF -- "$w" <<<"$got"; then
            echo "FAIL: '$typed' offers '$w'"
            fails=$((fails + 1))
        fi
    done
}

# Every command of weir --help, and discard (resend's twin).
commands=$("$weir" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 {print $1}')
[ -n "$commands" ] || { echo "FAIL: no commands in weir --help"; exit 1; }
# shellcheck disable=SC2086
expect "weir " $commands discard
expect "weir --state x.db " status run
expect "weir --state=x.db -q " status
expect "weir --log-format json -v " monitor
expect "weir --st" --state
expect "weir -" --plugin-path --log-format --version
refuse "weir -" --full --dry-run

# Every option of every command's synopsis, after the command.
for c in $commands; do
    opts=$("$weir" "$c" --help | grep '^usage:' | grep -oE -- '--[a-z][a-z-]+' | sort -u)
    # shellcheck disable=SC2086
    expect "weir $c --" $opts
done
expect "weir resend --" --sink --type --error --failed
expect "weir discard --" --pipeline --failed --sink --type --error
refuse "weir status --" --full
expect "weir xref " list add remove merge suggest
expect "weir xref list --" --entity --system --json
refuse "weir xref list --" --against --limit
expect "weir xref suggest --" --against --prefix --name-field --match --limit --json
refuse "weir xref suggest --" --entity

expect "weir --log-format " plain logfmt json
expect "weir --log-format=" plain logfmt json
expect "weir run --log-format=js" json
expect "weir monitor --status " pending in_flight retry failed held

# Files: pipelines for run, drain and validate.
work=$(mktemp -d "${TMPDIR:-/tmp}/weir-completion.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/sub" && touch "$work/a.xml" "$work/b.txt"
cd "$work" || exit 1
expect "weir run " a.xml sub
refuse "weir run " b.txt
expect "weir --state x.db validate " a.xml
expect "weir drain --state " a.xml b.txt
expect "weir xref suggest " a.xml sub
refuse "weir xref suggest " b.txt
expect "weir xref suggest a.xml --against " a.xml
refuse "weir xref suggest a.xml --against " b.txt
refuse "weir xref list " a.xml

[ "$fails" = 0 ] || exit 1
echo "PASS: completion offers every command and option of weir --help"
