# http connector: the sink (requests per record through libcurl's multi
# interface) and the source (pages of JSON records); built only with
# libcurl (configure's --with-curl).
if HAVE_CURL
pkglib_LTLIBRARIES += connectors/http.la
connectors_http_la_SOURCES = connectors/http/http_plugin.c \
	connectors/http/http_int.h \
	connectors/http/http_auth.c \
	connectors/http/http_events.c \
	connectors/http/http_sink.c \
	connectors/http/http_source.c
connectors_http_la_CPPFLAGS = $(AM_CPPFLAGS) $(PLUGCOMMON_CPPFLAGS)
connectors_http_la_CFLAGS = $(AM_CFLAGS) $(PLUGHTTP_CFLAGS)
connectors_http_la_LIBADD = plugins/libplughttp.la plugins/libplugcommon.la \
	$(PLUGHTTP_LIBS)
connectors_http_la_LDFLAGS = $(PLUGIN_LDFLAGS)
endif

# End to end against the test ERP (tests/erp), so only with libmicrohttpd.
if HAVE_CURL
if HAVE_MICROHTTPD
CUNIT_TESTS += tests/test_http_sink
tests_test_http_sink_SOURCES = tests/test_http_sink.c tests/e2e.c tests/e2e.h \
	tests/raw_server.c tests/raw_server.h
tests_test_http_sink_CFLAGS = $(AM_CFLAGS) $(ERP_CFLAGS) $(SQLITE_CFLAGS) $(CUNIT_CFLAGS)
tests_test_http_sink_LDADD = $(HARNESS_LIBS) $(ERP_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)
endif
endif

if HAVE_CURL
if HAVE_MICROHTTPD
CUNIT_TESTS += tests/test_http_source
tests_test_http_source_SOURCES = tests/test_http_source.c tests/e2e.c tests/e2e.h \
	tests/raw_server.c tests/raw_server.h
tests_test_http_source_CFLAGS = $(AM_CFLAGS) $(ERP_CFLAGS) $(SQLITE_CFLAGS) $(CUNIT_CFLAGS) $(CURL_CFLAGS)
tests_test_http_source_LDADD = $(HARNESS_LIBS) $(ERP_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS) $(CURL_LIBS)
endif
endif
