# csv connector: source and sink (RFC 4180)
pkglib_LTLIBRARIES += connectors/csv.la
connectors_csv_la_SOURCES = connectors/csv/csv_plugin.c \
	connectors/csv/csv_reader.c connectors/csv/csv_reader.h \
	connectors/csv/csv_writer.c connectors/csv/csv_writer.h \
	connectors/csv/csv_utf8.c connectors/csv/csv_utf8.h
connectors_csv_la_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
connectors_csv_la_LDFLAGS = $(PLUGIN_LDFLAGS)
connectors_csv_la_LIBADD = plugins/libplugcommon.la

CUNIT_TESTS += tests/test_csv
tests_test_csv_SOURCES = tests/test_csv.c
tests_test_csv_LDADD = $(HARNESS_LIBS)
