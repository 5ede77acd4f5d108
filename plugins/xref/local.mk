# xref transform and source: ids across systems from the state's
# cross-reference store (docs/xref.md)
pkglib_LTLIBRARIES += plugins/xref.la
plugins_xref_la_SOURCES = plugins/xref/xref.c
plugins_xref_la_LDFLAGS = $(PLUGIN_LDFLAGS)

CUNIT_TESTS += tests/test_xref
tests_test_xref_SOURCES = tests/test_xref.c tests/e2e.c tests/e2e.h
tests_test_xref_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_xref_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

# missing="create" against the test ERP over HTTP
if HAVE_CURL
if HAVE_MICROHTTPD
CUNIT_TESTS += tests/test_xref_create
tests_test_xref_create_SOURCES = tests/test_xref_create.c tests/e2e.c tests/e2e.h
tests_test_xref_create_CFLAGS = $(AM_CFLAGS) $(ERP_CFLAGS) $(SQLITE_CFLAGS)
tests_test_xref_create_LDADD = $(HARNESS_LIBS) $(ERP_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)
endif
endif
