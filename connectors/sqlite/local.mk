# sqlite connector: source (a query) and sink (upsert by key)
pkglib_LTLIBRARIES += connectors/sqlite.la
connectors_sqlite_la_SOURCES = connectors/sqlite/sqlite_plugin.c \
	connectors/sqlite/sqlite_int.h \
	connectors/sqlite/sqlite_source.c \
	connectors/sqlite/sqlite_sink.c \
	connectors/sqlite/sql_build.c connectors/sqlite/sql_build.h
connectors_sqlite_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
connectors_sqlite_la_LIBADD = $(SQLITE_LIBS)
connectors_sqlite_la_LDFLAGS = $(PLUGIN_LDFLAGS)

CUNIT_TESTS += tests/test_sqlite
tests_test_sqlite_SOURCES = tests/test_sqlite.c
tests_test_sqlite_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_test_sqlite_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS)
