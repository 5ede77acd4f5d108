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
endif
