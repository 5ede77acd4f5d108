# lookup transform: enrich records from a reference table (SQLite table or
# CSV file) loaded once at open into a hash table (docs/plugins/lookup.md)
pkglib_LTLIBRARIES += plugins/lookup.la
plugins_lookup_la_SOURCES = plugins/lookup/lookup.c \
	plugins/lookup/lookup_int.h \
	plugins/lookup/ref_table.c \
	plugins/lookup/ref_csv.c \
	plugins/lookup/ref_sqlite.c
plugins_lookup_la_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
plugins_lookup_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
plugins_lookup_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_lookup_la_LIBADD = plugins/libplugcommon.la $(SQLITE_LIBS)

CUNIT_TESTS += tests/test_lookup
tests_test_lookup_SOURCES = tests/test_lookup.c
tests_test_lookup_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_test_lookup_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS)
