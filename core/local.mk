# The weir core (a convenience library shared by the program and the tests)
# and the weir program.
noinst_LTLIBRARIES += core/libweircore.la
core_libweircore_la_SOURCES = \
	core/arena.c core/arena.h \
	core/record.c core/record.h \
	core/duration.c core/duration.h \
	core/log.c core/log.h \
	core/diag.c core/diag.h \
	core/options.c core/options.h \
	core/plugins.c core/plugins.h \
	core/pipeline.c core/pipeline.h \
	core/pipeline_xml.c \
	core/host.c core/host.h \
	core/state.h core/state_int.h core/state_sqlite.c \
	core/state_track.c core/state_outbox.c core/state_endpoint.c \
	core/state_lock.c \
	core/engine.c core/engine.h \
	core/deliver.c core/deliver.h \
	core/track.c core/track.h \
	core/spool.c core/spool.h \
	core/payload.c core/payload.h \
	core/notify.c core/notify.h core/event.h \
	core/clock.c core/clock.h \
	core/retry.c core/retry.h \
	core/track_index.c core/track_index.h \
	core/sink_identity.c core/sink_identity.h \
	core/secrets.c core/secrets.h \
	core/env_subst.c core/env_subst.h \
	core/utf8.c core/utf8.h
nodist_core_libweircore_la_SOURCES = core/schema_rng.c
core_libweircore_la_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(SQLITE_CFLAGS) \
	$(XXHASH_CFLAGS) $(JANSSON_CFLAGS)
core_libweircore_la_LIBADD = $(XML_LIBS) $(SQLITE_LIBS) $(LTDL_LIBS) \
	$(XXHASH_LIBS) $(JANSSON_LIBS) -lm

# The schema is compiled in, so weir never depends on finding it at run
# time; the same file is installed for editors and other tools.
core/schema_rng.c: $(top_srcdir)/data/pipeline.rng
	$(AM_V_GEN)mkdir -p core && { \
	  echo '/* generated from data/pipeline.rng; do not edit */'; \
	  echo 'const char weir_pipeline_schema[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@-t && mv $@-t $@
BUILT_SOURCES += core/schema_rng.c
CLEANFILES += core/schema_rng.c

bin_PROGRAMS += weir
weir_SOURCES = core/main.c core/cli.h core/cli_util.c \
	core/summary.c core/summary.h \
	core/cmd_run.c core/cmd_drain.c core/cmd_validate.c core/cmd_plugins.c \
	core/cmd_monitor.c core/cmd_show.c core/cmd_resend.c core/cmd_status.c \
	core/cmd_discard.c core/cli_select.c core/cli_select.h
weir_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(JANSSON_CFLAGS)
weir_LDADD = core/libweircore.la $(JANSSON_LIBS)
