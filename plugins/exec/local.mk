# exec notifier: run a command for each event, the event as JSON on its
# standard input (docs/plugins/exec.md)
pkglib_LTLIBRARIES += plugins/exec.la
plugins_exec_la_SOURCES = plugins/exec/exec.c \
	plugins/exec/run.h plugins/exec/run.c
plugins_exec_la_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
plugins_exec_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_exec_la_LIBADD = plugins/libplugcommon.la

CUNIT_TESTS += tests/test_exec
tests_test_exec_SOURCES = tests/test_exec.c
tests_test_exec_LDADD = $(HARNESS_LIBS)
