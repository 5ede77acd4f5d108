#!/bin/bash
# bench/xref_suggest.sh - the matcher of `weir xref suggest` on a set with
# known answers: ERP customers against app customers (HB_ ids), most of
# them noisy copies, some with no counterpart (bench/gen_xref.c).  Prints
# the time, precision and recall of the top suggestion and peak RSS: of
# the matcher alone (bench/xref_suggest.c), then of the real command
# (`weir xref suggest --json`, both CSVs read by the csv connector; jq
# scores it).  Not a test; run on demand:
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

# The real command on the same files: two pipelines, no state (every app
# customer is matched).
bench_find_weir "$build" BUILD_DIR
for side in app:id erp:code; do
    cat >"$work/${side%%:*}.xml" <<EOF
<pipeline xmlns="urn:weir:pipeline:1" name="${side%%:*}" type="customer">
  <source plugin="csv" name="${side%%:*}">
    <option name="path">${side%%:*}.csv</option>
  </source>
  <track key="${side#*:}"/>
  <sink plugin="csv" name="out"><option name="path">out.csv</option></sink>
</pipeline>
EOF
done
/usr/bin/time -f 'weir xref suggest --json: wall %e s, peak RSS %M KB (GNU time)' \
    "$weir" xref suggest "$work/app.xml" --against "$work/erp.xml" \
    --match "phone email postcode" --json "${plugin_args[@]}" \
    >"$work/suggest.json"
if ! command -v jq >/dev/null; then
    echo "(jq not found: the command's precision and recall not computed)"
    exit 0
fi
# the top suggestion of each app customer against answers.csv (id,code)
jq -r '.suggestions[] | [.key, (.candidates[0].key // "")] | @csv' \
    "$work/suggest.json" | tr -d '"' |
    awk -F, 'NR == FNR { if (FNR > 1) want[$1] = $2; next }
        { n++; answered += want[$1] != ""; suggested += $2 != ""
          right += $2 != "" && $2 == want[$1] }
        END { printf "weir xref suggest: %d app customers (%d with a " \
                     "counterpart), precision %.4f, recall %.4f\n", n,
                     answered, suggested ? right / suggested : 1,
                     answered ? right / answered : 1 }' \
    "$work/answers.csv" -
