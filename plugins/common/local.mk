# Helpers shared by the transform and connector plugins built in this tree
# (a convenience library: each plugin links its own private copy, and only
# the plugin descriptor is exported).  Depends only on include/weir/plugin.h
# and libc; plugins never link the core.  A plugin using it adds
#   plugins_NAME_la_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
#   plugins_NAME_la_LIBADD = plugins/libplugcommon.la
# and includes "common/words.h" and the like.
noinst_LTLIBRARIES += plugins/libplugcommon.la
plugins_libplugcommon_la_SOURCES = \
	plugins/common/config_diag.h plugins/common/config_diag.c \
	plugins/common/config_table.h plugins/common/config_table.c \
	plugins/common/bool_word.h plugins/common/bool_word.c \
	plugins/common/file_stamp.h plugins/common/file_stamp.c \
	plugins/common/words.h plugins/common/words.c
PLUGCOMMON_CPPFLAGS = -I$(top_srcdir)/plugins

# The notifiers' view of a `rejected` digest (webhook, smtp): jansson.
noinst_LTLIBRARIES += plugins/libplugdigest.la
plugins_libplugdigest_la_SOURCES = \
	plugins/common/digest.h plugins/common/digest.c
plugins_libplugdigest_la_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
plugins_libplugdigest_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
plugins_libplugdigest_la_LIBADD = $(JANSSON_LIBS)

# The HTTP helpers (http_client.h): curl handle setup, answers, JSON
# pointers, path and body templates.  A separate convenience library
# because it needs libcurl and jansson; built only with libcurl.  A plugin
# using it adds
#   plugins_NAME_la_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
#   plugins_NAME_la_CFLAGS = $(AM_CFLAGS) $(PLUGHTTP_CFLAGS)
#   plugins_NAME_la_LIBADD = plugins/libplughttp.la plugins/libplugcommon.la \
#       $(PLUGHTTP_LIBS)
# and includes "common/http_client.h".
if HAVE_CURL
noinst_LTLIBRARIES += plugins/libplughttp.la
plugins_libplughttp_la_SOURCES = \
	plugins/common/http_client.h plugins/common/http_client.c \
	plugins/common/http_template.h plugins/common/http_template.c
plugins_libplughttp_la_CFLAGS = $(AM_CFLAGS) $(PLUGHTTP_CFLAGS)

CUNIT_TESTS += tests/test_http_client
tests_test_http_client_SOURCES = tests/test_http_client.c tests/cunit_main.c
tests_test_http_client_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
tests_test_http_client_CFLAGS = $(AM_CFLAGS) $(PLUGHTTP_CFLAGS) $(CUNIT_CFLAGS)
tests_test_http_client_LDADD = plugins/libplughttp.la plugins/libplugcommon.la \
	$(PLUGHTTP_LIBS) $(CUNIT_LIBS)
endif
PLUGHTTP_CFLAGS = $(CURL_CFLAGS) $(JANSSON_CFLAGS)
PLUGHTTP_LIBS = $(CURL_LIBS) $(JANSSON_LIBS)
