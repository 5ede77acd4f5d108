# map transform: rename, copy, set, template, drop, keep, trim, upper,
# lower and default fields (docs/plugins/map.md)
pkglib_LTLIBRARIES += plugins/map.la
plugins_map_la_SOURCES = plugins/map/map.c \
	plugins/map/rule.h plugins/map/rule_parse.c plugins/map/rule_apply.c \
	plugins/map/template.h plugins/map/template.c \
	plugins/map/scratch.h plugins/map/scratch.c
plugins_map_la_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
plugins_map_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_map_la_LIBADD = plugins/libplugcommon.la

CUNIT_TESTS += tests/test_map
tests_test_map_SOURCES = tests/test_map.c
tests_test_map_LDADD = $(HARNESS_LIBS)
