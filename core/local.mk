# The weir core (a convenience library shared by the program and the tests)
# and the weir program.  One folder per subsystem, listed from the bottom up
# (docs/architecture.md); a file includes another by its folder,
# "base/log.h", "store/state.h", with -I$(top_srcdir)/core (Makefile.am).
noinst_LTLIBRARIES += core/libweircore.la
core_libweircore_la_SOURCES =

# base/: helpers that know nothing above them (only include/weir/plugin.h)
core_libweircore_la_SOURCES += \
	core/base/arena.c core/base/arena.h \
	core/base/clock.c core/base/clock.h \
	core/base/worker.c core/base/worker.h \
	core/base/cron.c core/base/cron.h \
	core/base/diag.c core/base/diag.h \
	core/base/duration.c core/base/duration.h \
	core/base/error.c core/base/error.h \
	core/base/env_subst.c core/base/env_subst.h \
	core/base/log.c core/base/log.h \
	core/base/secrets.c core/base/secrets.h \
	core/base/utf8.c core/base/utf8.h

# match/: fuzzy matching of names with evidence (weir xref suggest); knows
# only base/
core_libweircore_la_SOURCES += \
	core/match/match.h core/match/match_index.c \
	core/match/name_norm.c core/match/name_norm.h

# record/: records and batches, the outbox's JSON payload, the spool
core_libweircore_la_SOURCES += \
	core/record/record.c core/record/record.h \
	core/record/payload.c core/record/payload.h \
	core/record/spool.c core/record/spool.h

# store/: the state store's interface (state.h); store/sqlite/ is its only
# backend and the only code that sees SQLite
core_libweircore_la_SOURCES += \
	core/store/state.h core/store/state.c core/store/backend.h \
	core/store/outbox.c core/store/outbox.h \
	core/store/sqlite/state_int.h core/store/sqlite/state_sqlite.c \
	core/store/sqlite/state_track.c core/store/sqlite/state_outbox.c \
	core/store/sqlite/state_endpoint.c core/store/sqlite/state_lock.c \
	core/store/sqlite/state_claim.c core/store/sqlite/state_xref.c \
	core/store/sqlite/state_echo.c \
	core/store/xref.h core/store/xref.c \
	core/store/created_link.h core/store/created_link.c

# plugin/: the plugin loader, option tables, the host table plugins call,
# a run's instances of a pipeline's plugins
core_libweircore_la_SOURCES += \
	core/plugin/plugins.c core/plugin/plugins.h \
	core/plugin/options.c core/plugin/options.h \
	core/plugin/host.c core/plugin/host.h core/plugin/event.h \
	core/plugin/instance.c core/plugin/instance.h \
	core/plugin/sink_write.c core/plugin/sink_write.h

# pipeline/: the pipeline model and its XML loader
core_libweircore_la_SOURCES += \
	core/pipeline/pipeline.c core/pipeline/pipeline.h \
	core/pipeline/pipeline_xml.c \
	core/pipeline/ownership.c core/pipeline/ownership.h \
	core/pipeline/schedule.c core/pipeline/schedule.h
nodist_core_libweircore_la_SOURCES = core/pipeline/schema_rng.c

# engine/: a run and a drain: <track>, delivery, retries, notifications,
# the scheduler that repeats drains
core_libweircore_la_SOURCES += \
	core/engine/engine.c core/engine/engine.h \
	core/engine/run.c core/engine/run.h \
	core/engine/run_history.c core/engine/run_history.h \
	core/engine/scheduler.c core/engine/scheduler.h \
	core/engine/track.c core/engine/track.h \
	core/engine/echo.c core/engine/echo.h \
	core/engine/changes.c core/engine/changes.h \
	core/engine/track_index.c core/engine/track_index.h \
	core/engine/deliver.c core/engine/deliver.h \
	core/engine/reader.c core/engine/reader.h \
	core/engine/endpoint.c core/engine/endpoint.h \
	core/engine/retry.c core/engine/retry.h \
	core/engine/sink_identity.c core/engine/sink_identity.h \
	core/engine/notify.c core/engine/notify.h

core_libweircore_la_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(SQLITE_CFLAGS) \
	$(XXHASH_CFLAGS) $(JANSSON_CFLAGS)
core_libweircore_la_LIBADD = $(XML_LIBS) $(SQLITE_LIBS) $(LTDL_LIBS) \
	$(XXHASH_LIBS) $(JANSSON_LIBS) -lm

# The schema is compiled in, so weir never depends on finding it at run
# time; the same file is installed for editors and other tools.
core/pipeline/schema_rng.c: $(top_srcdir)/data/pipeline.rng
	$(AM_V_GEN)mkdir -p core/pipeline && { \
	  echo '/* generated from data/pipeline.rng; do not edit */'; \
	  echo 'const char weir_pipeline_schema[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@-t && mv $@-t $@
BUILT_SOURCES += core/pipeline/schema_rng.c
CLEANFILES += core/pipeline/schema_rng.c

# report/: the documents the CLI prints and the web API serves (status,
# monitor, one record, xref suggestions) and the admin's selection of
# records to resend or discard
core_libweircore_la_SOURCES += \
	core/report/values.c core/report/values.h \
	core/report/status.c core/report/status.h \
	core/report/monitor.c core/report/monitor.h \
	core/report/record.c core/report/record.h \
	core/report/select.c core/report/select.h \
	core/report/suggest.c core/report/suggest.h

# web/: the web monitor of weir serve --http (libmicrohttpd): the API's
# routes, the server, and the page compiled in (assets.c, generated from
# monitor.html, monitor.js and monitor.css).  Without libmicrohttpd,
# web_none.c refuses --http.
if HAVE_MICROHTTPD
core_libweircore_la_SOURCES += \
	core/web/web.h core/web/web.c core/web/api.c core/web/api.h \
	core/web/assets.h
nodist_core_libweircore_la_SOURCES += core/web/assets.c
core_libweircore_la_CFLAGS += $(MICROHTTPD_CFLAGS)
core_libweircore_la_LIBADD += $(MICROHTTPD_LIBS)
else
core_libweircore_la_SOURCES += core/web/web.h core/web/web_none.c
endif
WEB_ASSETS = core/web/monitor.html core/web/monitor.js core/web/monitor.css
EXTRA_DIST += $(WEB_ASSETS)
core/web/assets.c: $(WEB_ASSETS:%=$(top_srcdir)/%)
	$(AM_V_GEN)mkdir -p core/web && { \
	  echo '/* generated from core/web/monitor.*; do not edit */'; \
	  for f in html js css; do \
	    echo "const char weir_web_monitor_$$f[] ="; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' \
	      $(top_srcdir)/core/web/monitor.$$f; \
	    echo ';'; \
	  done; } > $@-t && mv $@-t $@
BUILT_SOURCES += core/web/assets.c
CLEANFILES += core/web/assets.c

# serve/: weir serve: the folder's pipelines, the loop of scheduled runs
# and drain passes
core_libweircore_la_SOURCES += \
	core/serve/serve.c core/serve/serve.h \
	core/serve/serve_folder.c core/serve/serve_folder.h

# cli/: the weir program: the common options, one file per command
bin_PROGRAMS += weir
weir_SOURCES = core/cli/main.c core/cli/cli.h core/cli/cli_util.c \
	core/cli/summary.c core/cli/summary.h \
	core/cli/cmd_run.c core/cli/cmd_drain.c core/cli/cmd_validate.c \
	core/cli/cmd_plugins.c core/cli/cmd_monitor.c core/cli/cmd_show.c \
	core/cli/cmd_resend.c core/cli/cmd_status.c core/cli/cmd_discard.c \
	core/cli/cmd_xref.c core/cli/cmd_xref_suggest.c core/cli/cmd_serve.c \
	core/cli/cli_select.c core/cli/cli_select.h
weir_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(JANSSON_CFLAGS)
weir_LDADD = core/libweircore.la $(JANSSON_LIBS)
