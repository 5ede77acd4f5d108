# Test support: the harness (real core, one plugin at a time), test
# plugins, core unit tests and end-to-end tests of the weir binary.
HARNESS_LIBS = tests/libharness.la core/libweircore.la $(CUNIT_LIBS)
CUNIT_LTLIBS += tests/libharness.la
tests_libharness_la_SOURCES = tests/harness.c tests/harness.h \
	tests/cunit_main.c tests/cunit_main.h
tests_libharness_la_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

# Test plugins: built as real shared objects in tests/.libs, never installed.
TEST_PLUGIN_LDFLAGS = -module -avoid-version -shared -rpath $(abs_builddir)/tests
check_LTLIBRARIES += tests/testgen.la tests/bad_abi.la tests/newer_abi.la \
	tests/bad_size.la tests/bad_option_size.la tests/no_descriptor.la
tests_testgen_la_SOURCES = tests/plugins/testgen.c
tests_testgen_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
check_LTLIBRARIES += tests/testsink.la
tests_testsink_la_SOURCES = tests/plugins/testsink.c
tests_testsink_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_testsink_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_testsink_la_LIBADD = $(SQLITE_LIBS)
check_LTLIBRARIES += tests/testhold.la
tests_testhold_la_SOURCES = tests/plugins/testhold.c
tests_testhold_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
# The same sink as built for ABI 1.1 (compatibility tests).
check_LTLIBRARIES += tests/testsink_v11.la
tests_testsink_v11_la_SOURCES = tests/plugins/testsink.c
tests_testsink_v11_la_CPPFLAGS = $(AM_CPPFLAGS) -DTESTSINK_ABI_MINOR=1 \
	-DTESTSINK_NAME='"testsink_v11"'
tests_testsink_v11_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_testsink_v11_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_testsink_v11_la_LIBADD = $(SQLITE_LIBS)
# The same sink writing beside the reading (WEIR_PLUGIN_WRITE_BESIDE), under
# the same name in its own folder: tests/beside.sh puts it first.
check_LTLIBRARIES += tests/beside/testsink.la
tests_beside_testsink_la_SOURCES = tests/plugins/testsink.c
tests_beside_testsink_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTESTSINK_FLAGS=WEIR_PLUGIN_WRITE_BESIDE
tests_beside_testsink_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_beside_testsink_la_LDFLAGS = -module -avoid-version -shared \
	-rpath $(abs_builddir)/tests/beside
tests_beside_testsink_la_LIBADD = $(SQLITE_LIBS)
# The testgen source read one batch ahead (WEIR_PLUGIN_READ_BESIDE).
check_LTLIBRARIES += tests/ahead/testgen.la
tests_ahead_testgen_la_SOURCES = tests/plugins/testgen.c
tests_ahead_testgen_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTESTGEN_FLAGS=WEIR_PLUGIN_READ_BESIDE
tests_ahead_testgen_la_LDFLAGS = -module -avoid-version -shared \
	-rpath $(abs_builddir)/tests/ahead
tests_bad_abi_la_SOURCES = tests/plugins/bad_abi.c
tests_bad_abi_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_ABI_MAJOR=99 -DTEST_ABI_MINOR=1 \
	-DTEST_NAME='"bad_abi"'
tests_bad_abi_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_newer_abi_la_SOURCES = tests/plugins/bad_abi.c
tests_newer_abi_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_ABI_MINOR=999 -DTEST_NAME='"newer_abi"'
tests_newer_abi_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_bad_size_la_SOURCES = tests/plugins/bad_abi.c
tests_bad_size_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_NAME='"bad_size"' \
	-DTEST_STRUCT_SIZE='offsetof(struct weir_plugin, probe)'
tests_bad_size_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_bad_option_size_la_SOURCES = tests/plugins/bad_abi.c
tests_bad_option_size_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_NAME='"bad_option_size"' \
	-DTEST_OPTION_SPEC_SIZE='(sizeof(weir_option_spec) - sizeof(void *))'
tests_bad_option_size_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_no_descriptor_la_SOURCES = tests/plugins/no_descriptor.c
tests_no_descriptor_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)

CUNIT_TESTS += tests/test_core
tests_test_core_SOURCES = tests/test_core.c tests/test_pipeline_xml.c \
	tests/test_loader.c tests/test_state.c tests/core_tests.h \
	tests/test_units_track.c tests/test_units_text.c \
	tests/test_units_storage.c tests/test_units_delivery.c \
	tests/test_units_cron.c
tests_test_core_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_test_core_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS)

CUNIT_TESTS += tests/test_e2e
tests_test_e2e_SOURCES = tests/test_e2e.c tests/e2e.c tests/e2e.h
tests_test_e2e_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_e2e_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

CUNIT_TESTS += tests/test_delivery
tests_test_delivery_SOURCES = tests/test_delivery.c tests/e2e.c tests/e2e.h
tests_test_delivery_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_delivery_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

CUNIT_TESTS += tests/test_crash
tests_test_crash_SOURCES = tests/test_crash.c tests/e2e.c tests/e2e.h
tests_test_crash_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_crash_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

# The delivery and crash suites again, the sink writing beside the reading.
CUNIT_RERUNS += tests/test_delivery_beside.sh tests/test_crash_beside.sh
EXTRA_DIST += tests/beside.sh tests/test_delivery_beside.sh \
	tests/test_crash_beside.sh

# A sink writing beside the reading, a source read ahead: the overlap,
# and what they may not do.
CUNIT_TESTS += tests/test_beside
tests_test_beside_SOURCES = tests/test_beside.c tests/e2e.c tests/e2e.h
tests_test_beside_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_test_beside_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS)

CUNIT_TESTS += tests/test_scenarios
tests_test_scenarios_SOURCES = tests/test_scenarios.c tests/e2e.c tests/e2e.h
tests_test_scenarios_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_scenarios_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

CUNIT_TESTS += tests/test_track_options
tests_test_track_options_SOURCES = tests/test_track_options.c tests/e2e.c tests/e2e.h
tests_test_track_options_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_track_options_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

CUNIT_TESTS += tests/test_changes
tests_test_changes_SOURCES = tests/test_changes.c tests/e2e.c tests/e2e.h
tests_test_changes_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_changes_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

CUNIT_TESTS += tests/test_echo
tests_test_echo_SOURCES = tests/test_echo.c tests/e2e.c tests/e2e.h
tests_test_echo_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_echo_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

CUNIT_TESTS += tests/test_admin
tests_test_admin_SOURCES = tests/test_admin.c tests/e2e.c tests/e2e.h
tests_test_admin_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_admin_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

CUNIT_TESTS += tests/test_hold
tests_test_hold_SOURCES = tests/test_hold.c tests/e2e.c tests/e2e.h
tests_test_hold_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_hold_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

CUNIT_TESTS += tests/test_cli
tests_test_cli_SOURCES = tests/test_cli.c tests/e2e.c tests/e2e.h
tests_test_cli_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_cli_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

CUNIT_TESTS += tests/test_xref_cli
tests_test_xref_cli_SOURCES = tests/test_xref_cli.c tests/e2e.c tests/e2e.h
tests_test_xref_cli_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_xref_cli_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

# The compiled-in plugin folder follows ./configure --prefix; the bash
# completion, the manual page, docs/cli.md and the README agree with weir;
# the core's folders include only from below (docs/architecture.md).
TESTS += tests/plugindir.sh tests/completion.sh tests/docs_sync.sh \
	tests/layout.sh
EXTRA_DIST += tests/plugindir.sh tests/completion.sh tests/docs_sync.sh \
	tests/layout.sh
AM_TESTS_ENVIRONMENT = WEIR_TEST_PKGLIBDIR='$(pkglibdir)'; \
	export WEIR_TEST_PKGLIBDIR;

CUNIT_TESTS += tests/test_workers
tests_test_workers_SOURCES = tests/test_workers.c tests/e2e.c tests/e2e.h
tests_test_workers_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_test_workers_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS)

# The store conformance suite (tests/test_store.c).
CUNIT_TESTS += tests/test_store
tests_test_store_SOURCES = tests/test_store.c
tests_test_store_LDADD = $(HARNESS_LIBS)

# The scheduler behind drain --wait: sinks open across passes, signals.
CUNIT_TESTS += tests/test_scheduler
tests_test_scheduler_SOURCES = tests/test_scheduler.c tests/e2e.c tests/e2e.h
tests_test_scheduler_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_test_scheduler_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS)

# The test ERP and SMTP receiver (tests/erp/erp_server.h, smtp_receiver.h)
# and a TLS server (tls_server.h: openssl s_server) and a port that never
# accepts (blackhole.h)
# in a library that the tests of the http connector and the notifiers link
# ($(ERP_LIBS), with $(ERP_CFLAGS); those tests sit in `if HAVE_MICROHTTPD`),
# and the ERP as a program for the example pipelines: built by `make`,
# never installed.  Without libmicrohttpd, make check stops (Makefile.am).
ERP_CFLAGS = -I$(top_srcdir)/tests/erp $(JANSSON_CFLAGS) -pthread
ERP_LIBS = tests/erp/liberp.la
if HAVE_MICROHTTPD
noinst_LTLIBRARIES += tests/erp/liberp.la
tests_erp_liberp_la_SOURCES = tests/erp/erp_server.c tests/erp/erp_server.h \
	tests/erp/smtp_receiver.c tests/erp/smtp_receiver.h tests/erp/deadline.h \
	tests/erp/tls_server.c tests/erp/tls_server.h \
	tests/erp/blackhole.c tests/erp/blackhole.h
tests_erp_liberp_la_CFLAGS = $(AM_CFLAGS) $(ERP_CFLAGS) $(MICROHTTPD_CFLAGS) $(OPENSSL_CFLAGS)
tests_erp_liberp_la_LIBADD = $(MICROHTTPD_LIBS) $(OPENSSL_LIBS) $(JANSSON_LIBS) -lpthread
noinst_PROGRAMS += tests/erp/weir-test-erp
tests_erp_weir_test_erp_SOURCES = tests/erp/weir_test_erp.c
tests_erp_weir_test_erp_CFLAGS = $(AM_CFLAGS) $(ERP_CFLAGS)
tests_erp_weir_test_erp_LDADD = $(ERP_LIBS)

# The fixtures themselves, driven with libcurl and raw sockets.
if HAVE_CURL
CUNIT_TESTS += tests/test_erp
tests_test_erp_SOURCES = tests/test_erp.c
tests_test_erp_CFLAGS = $(AM_CFLAGS) $(ERP_CFLAGS) $(CUNIT_CFLAGS) $(CURL_CFLAGS)
tests_test_erp_LDADD = $(HARNESS_LIBS) $(ERP_LIBS) $(CURL_LIBS) $(JANSSON_LIBS)

# The example pipelines that talk HTTP (pipelines/*-erp*/), as their
# READMEs run them, against the fixtures above.
# The web monitor (core/web/) over HTTP, against a state the weir binary
# filled with the ERP's refusals.
CUNIT_TESTS += tests/test_web
tests_test_web_SOURCES = tests/test_web.c tests/e2e.c tests/e2e.h
tests_test_web_CFLAGS = $(AM_CFLAGS) $(ERP_CFLAGS) $(SQLITE_CFLAGS) $(CUNIT_CFLAGS) $(CURL_CFLAGS)
tests_test_web_LDADD = $(HARNESS_LIBS) $(ERP_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS) $(CURL_LIBS)

CUNIT_TESTS += tests/test_examples_http
tests_test_examples_http_SOURCES = tests/test_examples_http.c tests/e2e.c tests/e2e.h
tests_test_examples_http_CFLAGS = $(AM_CFLAGS) $(ERP_CFLAGS) $(SQLITE_CFLAGS) $(CUNIT_CFLAGS)
tests_test_examples_http_LDADD = $(HARNESS_LIBS) $(ERP_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

# weir serve end to end: schedules, a flaky ERP, signals, two services.
CUNIT_TESTS += tests/test_serve
tests_test_serve_SOURCES = tests/test_serve.c tests/e2e.c tests/e2e.h
tests_test_serve_CFLAGS = $(AM_CFLAGS) $(ERP_CFLAGS) $(SQLITE_CFLAGS) $(CUNIT_CFLAGS)
tests_test_serve_LDADD = $(HARNESS_LIBS) $(ERP_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)
endif
endif

CUNIT_TESTS += tests/test_match
tests_test_match_SOURCES = tests/test_match.c
tests_test_match_LDADD = $(HARNESS_LIBS)

# make check-browser (not part of make check): the web monitor in Debian's
# headless Chromium, driven over WebDriver by chromium-driver, against
# weir serve --http (tests/test_browser.c); it saves a screenshot.  Its
# log is a CUnit log like the others (.ci/run adds its counts).
EXTRA_PROGRAMS = tests/test_browser
tests_test_browser_SOURCES = tests/test_browser.c tests/e2e.c tests/e2e.h
tests_test_browser_CFLAGS = $(AM_CFLAGS) $(ERP_CFLAGS) $(SQLITE_CFLAGS) $(CUNIT_CFLAGS) $(CURL_CFLAGS)
tests_test_browser_LDADD = $(HARNESS_LIBS) $(ERP_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS) $(CURL_LIBS)
CLEANFILES += tests/test_browser$(EXEEXT) tests/test_browser.log \
	tests/browser-monitor.png
.PHONY: check-browser
if HAVE_MICROHTTPD
if HAVE_CURL
check-browser: all tests/test_browser$(EXEEXT)
	@for p in chromium chromedriver; do command -v $$p >/dev/null || { \
	  echo "make check-browser needs $$p: install the Debian packages chromium chromium-driver" >&2; \
	  exit 1; }; done
	@./tests/test_browser > tests/test_browser.log 2>&1; rc=$$?; \
	  cat tests/test_browser.log; exit $$rc
endif
endif

CUNIT_TESTS += tests/test_track_image
tests_test_track_image_SOURCES = tests/test_track_image.c tests/e2e.c tests/e2e.h
tests_test_track_image_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
tests_test_track_image_LDADD = $(HARNESS_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)
