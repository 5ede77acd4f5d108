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
