# webhook notifier: POST each event as JSON (docs/plugins/webhook.md);
# built with libcurl only.
if HAVE_CURL
pkglib_LTLIBRARIES += plugins/webhook.la
plugins_webhook_la_SOURCES = plugins/webhook/webhook.c \
	plugins/webhook/payload.h plugins/webhook/payload.c \
	plugins/common/url_log.h plugins/common/url_log.c
plugins_webhook_la_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
plugins_webhook_la_CFLAGS = $(AM_CFLAGS) $(PLUGHTTP_CFLAGS)
plugins_webhook_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_webhook_la_LIBADD = plugins/libplughttp.la plugins/libplugdigest.la \
	plugins/libplugcommon.la $(PLUGHTTP_LIBS)
endif

# The notifiers' formatting (webhook's and smtp's), tested without a
# network and without libcurl.
CUNIT_TESTS += tests/test_notify_format
tests_test_notify_format_SOURCES = tests/test_notify_format.c tests/cunit_main.c \
	plugins/webhook/payload.h plugins/webhook/payload.c \
	plugins/smtp/mail.h plugins/smtp/mail.c
tests_test_notify_format_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
tests_test_notify_format_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CUNIT_CFLAGS)
tests_test_notify_format_LDADD = plugins/libplugdigest.la $(CUNIT_LIBS) \
	$(JANSSON_LIBS)
