# smtp notifier: one mail per event through libcurl's SMTP
# (docs/plugins/smtp.md); built with libcurl only.  Its formatting is
# tested in tests/test_notify_format (plugins/webhook/local.mk).
if HAVE_CURL
pkglib_LTLIBRARIES += plugins/smtp.la
plugins_smtp_la_SOURCES = plugins/smtp/smtp.c \
	plugins/smtp/mail.h plugins/smtp/mail.c \
	plugins/common/url_log.h plugins/common/url_log.c
plugins_smtp_la_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
plugins_smtp_la_CFLAGS = $(AM_CFLAGS) $(PLUGHTTP_CFLAGS)
plugins_smtp_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_smtp_la_LIBADD = plugins/libplughttp.la plugins/libplugdigest.la \
	plugins/libplugcommon.la $(PLUGHTTP_LIBS)

# Both notifiers end to end, against the test ERP's capture endpoint and
# the test SMTP receiver (tests/erp/).
if HAVE_MICROHTTPD
CUNIT_TESTS += tests/test_notifiers
tests_test_notifiers_SOURCES = tests/test_notifiers.c tests/e2e.c tests/e2e.h \
	tests/raw_server.c tests/raw_server.h
tests_test_notifiers_CFLAGS = $(AM_CFLAGS) $(ERP_CFLAGS) $(CUNIT_CFLAGS)
tests_test_notifiers_LDADD = $(HARNESS_LIBS) $(ERP_LIBS) $(JANSSON_LIBS)
endif
endif
