#!/bin/sh
# make check: tests/test_delivery with the sink writing beside (tests/beside.sh)
exec "${srcdir:-.}/tests/beside.sh" test_delivery
