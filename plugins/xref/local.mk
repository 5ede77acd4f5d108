# xref transform and source: ids across systems from the state's
# cross-reference store (docs/xref.md)
pkglib_LTLIBRARIES += plugins/xref.la
plugins_xref_la_SOURCES = plugins/xref/xref.c
plugins_xref_la_LDFLAGS = $(PLUGIN_LDFLAGS)

CUNIT_TESTS += tests/test_xref
tests_test_xref_SOURCES = tests/test_xref.c tests/e2e.c tests/e2e.h
tests_test_xref_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_xref_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)
