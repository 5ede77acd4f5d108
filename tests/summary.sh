#!/bin/sh
# Add up the CUnit "Run Summary" tests lines of every test log in the given
# build folders and print one line: "tests: N passed, N failed".
# Exit 1 when any test failed or when a log has no summary (a test program
# that crashed before CUnit could print one).
set -u
passed=0 failed=0 missing=0
for dir in "$@"; do
  for log in "$dir"/tests/test_*.log; do
    [ -f "$log" ] || continue
    line=$(grep -E '^ +tests +[0-9]+' "$log" | tail -n 1)
    if [ -z "$line" ]; then
      echo "no CUnit summary in $log" >&2
      missing=$((missing + 1))
      continue
    fi
    # "tests  Total  Ran  Passed  Failed  Inactive"
    set -- $line
    passed=$((passed + $4)) failed=$((failed + $5))
  done
done
[ "$missing" -eq 0 ] || failed=$((failed + missing))
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
