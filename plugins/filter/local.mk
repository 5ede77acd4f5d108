# filter transform: keep or drop records by conditions on fields
# (docs/plugins/filter.md)
pkglib_LTLIBRARIES += plugins/filter.la
plugins_filter_la_SOURCES = plugins/filter/filter.c \
	plugins/filter/rule.h plugins/filter/rule_parse.c \
	plugins/filter/condition.h plugins/filter/condition.c
plugins_filter_la_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
plugins_filter_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_filter_la_LIBADD = plugins/libplugcommon.la

CUNIT_TESTS += tests/test_filter
tests_test_filter_SOURCES = tests/test_filter.c
tests_test_filter_LDADD = $(HARNESS_LIBS)
