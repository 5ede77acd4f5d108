#!/bin/bash
# bench/xref_suggest.sh - the matcher of `weir xref suggest` on a set with
# known answers: ERP customers against app customers (HB_ ids), most of
# them noisy copies, some with no counterpart (bench/gen_xref.c).  Prints
# the time, precision and recall of the top suggestion and peak RSS.  Not
# a test; run on demand:
#
#   bench/xref_suggest.sh [ERP_ROWS [APP_ROWS [BUILD_DIR [THRESHOLD]]]]
#
# Defaults: 200000 ERP rows, 10000 app rows, the source tree as BUILD_DIR
# (a configured tree: the driver needs its config.h), the default
# threshold.  KEEP=1 keeps the data.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
die() { echo "xref_suggest.sh: $*" >&2; exit 1; }
# shellcheck source=bench/common.sh
source "$here/common.sh"

erp=${1:-200000} app=${2:-10000} build=${3:-$root} threshold=${4:-}
bench_tools
[[ -f $build/config.h ]] || die "no config.h in '$build': configure weir first"
bench_workdir weir-xref "${KEEP:-0}"
"$cc" -O2 -std=c11 -Wall -Wextra -o "$work/gen_xref" "$here/gen_xref.c"
"$cc" -O2 -std=c11 -Wall -Wextra -I"$build" -I"$root/core" -I"$root/include" \
    -o "$work/xref_suggest" "$here/xref_suggest.c" \
    "$root/core/match/match_index.c" "$root/core/match/name_norm.c" -lm
"$work/gen_xref" -n "$erp" -a "$app" -o "$work"
/usr/bin/time -f 'wall %e s, peak RSS %M KB (GNU time)' \
    "$work/xref_suggest" "$work" $threshold 2>"$work/wrong.txt"
tail -1 "$work/wrong.txt"
echo "wrong suggestions (first 20): $work/wrong.txt (KEEP=1 keeps it)"
