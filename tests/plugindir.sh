#!/bin/sh
# make check: the weir just built looks for installed plugins in the folder
# that `make install` fills (pkglibdir), even in a built tree configured
# again with another --prefix.  `weir --help` names the folder it falls
# back to.  WEIR_TEST_PKGLIBDIR comes from the Makefile (tests/local.mk).
set -eu
want=${WEIR_TEST_PKGLIBDIR:?run me from make check}
help=$(./weir --help)
case $help in
  *"else $want)"*) echo "PASS: weir falls back to $want" ;;
  *) echo "FAIL: make install puts plugins in $want, but weir --help says:"
     printf '%s\n' "$help" | grep -A2 -e '--plugin-path'
     exit 1 ;;
esac
