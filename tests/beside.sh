#!/bin/sh
# tests/beside.sh SUITE: run the CUnit suite tests/SUITE (test_delivery,
# test_crash) again with its testsink writing on a thread of its own,
# beside the reading of the next batch: tests/beside/testsink.so
# (WEIR_PLUGIN_WRITE_BESIDE) comes first in the suite's plugin path
# (e2e_plugin_path).  Every promise those suites check (nothing lost,
# nothing applied twice, retries, holds, endpoints down, crashes) must
# hold the same.  Run by make check from the build folder.
set -eu
suite=${1:?usage: tests/beside.sh SUITE}
beside="$PWD/tests/beside/.libs"
[ -f "$beside/testsink.so" ] || { echo "FAIL: $beside/testsink.so not built"; exit 1; }
WEIR_TEST_BESIDE=$beside exec "./tests/$suite"
