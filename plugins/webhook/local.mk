# webhook notifier: POST each event as JSON (docs/plugins/webhook.md)
# The formatting, tested without a network (smtp's too).
CUNIT_TESTS += tests/test_notify_format
tests_test_notify_format_SOURCES = tests/test_notify_format.c tests/cunit_main.c \
	plugins/webhook/payload.h plugins/webhook/payload.c \
	plugins/smtp/mail.h plugins/smtp/mail.c
tests_test_notify_format_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
tests_test_notify_format_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CUNIT_CFLAGS)
tests_test_notify_format_LDADD = plugins/libplugdigest.la $(CUNIT_LIBS) \
	$(JANSSON_LIBS)
