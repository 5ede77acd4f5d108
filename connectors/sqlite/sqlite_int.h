/*
 * connectors/sqlite/sqlite_int.h - what the sqlite plugin's files share.
 *
 * One plugin is both a source (sqlite_source.c) and a sink (sqlite_sink.c);
 * sqlite_plugin.c holds the descriptor and routes open() by kind.  Every
 * instance state starts with a wsq_common so close() knows which it is.
 */
#ifndef WEIR_SQLITE_INT_H
#define WEIR_SQLITE_INT_H

#include <sqlite3.h>
#include <weir/plugin.h>

typedef struct wsq_common {
    weir_kind kind;
    weir_instance *inst;    /* (borrowed) */
    const weir_host *host;  /* (borrowed) */
} wsq_common;

/* Open `path` with `flags` and the `busy-timeout` option; on failure say
 * "database PATH: reason" with host->set_error() (the open() it serves
 * fails), set *code to SQLite's result code and return NULL.
 * (owned: sqlite3_close_v2) */
sqlite3 *wsq_db_open(weir_instance *inst, const weir_host *host,
                     const char *path, int flags, int *code);

/* strdup, which strict C11 does not declare. (owned: free), NULL on OOM */
char *wsq_strdup(const char *s);

weir_status wsq_source_open(weir_instance *inst, const weir_host *host,
                            void **state);
weir_status wsq_source_read(void *state, weir_batch *batch);
void wsq_source_close(void *state);

weir_status wsq_sink_open(weir_instance *inst, const weir_host *host,
                          void **state);
weir_status wsq_sink_write(void *state, weir_batch *batch);
/* The descriptor's probe() (ABI 1.2): OK when a write transaction can
 * start, else DOWN (busy, locked, I/O) or ERROR, with the reason given to
 * host->set_error(). */
weir_status wsq_sink_probe(void *state);
void wsq_sink_close(void *state);

#endif
