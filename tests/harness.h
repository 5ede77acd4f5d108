/*
 * tests/harness.h - run one plugin against the real core, alone.
 *
 * A test gives a whole pipeline XML text, picks one of its plugin elements
 * by instance name and drives that plugin's callbacks directly, with the
 * core's real records, batches, option handling and plugin loader (the
 * plugin .so is loaded through libltdl from the build tree).
 *
 * Not thread-safe; one test process at a time per scratch directory.
 */
#ifndef WEIR_TEST_HARNESS_H
#define WEIR_TEST_HARNESS_H

#include <stdarg.h>

#include <weir/plugin.h>

typedef struct wt_plugin wt_plugin;

/* The real host table (for record access in tests). (borrowed) */
const weir_host *wt_host(void);

/* Load `xml` (a full <pipeline> document; relative paths resolve against
 * `dir`, or the current directory when NULL), check it like `weir validate`,
 * and open the instance named `instance` as the kind of its element.
 * Returns NULL when the pipeline is invalid or open() failed; the
 * diagnostics are then in wt_last_errors() (for open(): what the plugin
 * logged, then "open failed: REASON" with what it gave host->set_error()).
 * (owned: wt_close) */
wt_plugin *wt_open(const char *xml, const char *dir, const char *instance);

/* Validate `xml` as `weir validate` would.  Returns the number of
 * problems; their text ("file:line: message" lines) is in wt_last_errors(). */
int wt_validate(const char *xml, const char *dir);

/* Diagnostics of the last wt_open()/wt_validate(). (borrowed) */
const char *wt_last_errors(void);

/* 1 when wt_last_errors() has a line holding both ":<line>:" and `text`;
 * else 0, after printing what it looked for and the diagnostics to stderr.
 * For CU_ASSERT(wt_has_error(4, "...")). */
int wt_has_error(int line, const char *text);

/* A whole pipeline around one transform: a csv source "in" (in.csv), the
 * transform `plugin` named `name` holding `body` (raw XML: rules and
 * options), and a csv sink "out" (out.csv).  The transform's start tag is
 * on line 3, so the k-th line of `body` is on line 3 + k.  (owned: free) */
char *wt_transform_pipeline(const char *plugin, const char *name,
                            const char *body);
/* wt_open() that transform, resolving paths against wt_tmpdir(); on
 * failure prints wt_last_errors() to stderr and returns NULL.
 * (owned: wt_close) */
wt_plugin *wt_open_transform(const char *plugin, const char *name,
                             const char *body);
/* wt_validate() that pipeline against wt_tmpdir(). */
int wt_validate_transform(const char *plugin, const char *name,
                          const char *body);

/* Log lines the plugin wrote through host->log since wt_open(). (borrowed) */
const char *wt_log(const wt_plugin *p);

/* A batch of at most `capacity` records. (owned: wt_batch_free) */
weir_batch *wt_batch_new(size_t capacity);
void wt_batch_clear(weir_batch *b); /* drop every record */
void wt_batch_free(weir_batch *b);

/* Append a record: op, then name/value pairs, ending with NULL.  A value
 * of WT_NULL stores SQL NULL.  (borrowed; owned by the batch) */
#define WT_NULL ((const char *)wt_null_marker)
extern const char wt_null_marker[];
weir_record *wt_add(weir_batch *b, weir_op op, ...);
/* The same with a va_list (name/value pairs, then NULL). */
weir_record *wt_addv(weir_batch *b, weir_op op, va_list ap);

/* Call the plugin's callbacks.  Results are the callbacks' own. Before
 * process() every record's answer is reset to OK; before write() to none
 * (WEIR_RESULT_NONE, as the core hands records to a sink): a record the
 * sink leaves unanswered shows as that in wt_result(). */
weir_status wt_read(wt_plugin *p, weir_batch *b);
weir_status wt_process(wt_plugin *p, weir_batch *b);
weir_status wt_write(wt_plugin *p, weir_batch *b);
weir_status wt_flush(wt_plugin *p);
/* Sink: hand the batch over as the engine does (weir_sink_write():
 * write(), flush(), a batch refused as a whole with WEIR_STATUS_SPLIT
 * sent again in parts); every record then holds its final answer. */
void wt_deliver(wt_plugin *p, weir_batch *b);
/* Sink: the plugin's probe() (a WEIR_STATUS_*); -99 when it has none.
 * What it gave host->set_error() is then in wt_error(). */
int wt_probe(wt_plugin *p);
/* The reason the last probe() gave host->set_error(), NULL none.
 * (borrowed, until the next wt_probe()) */
const char *wt_error(const wt_plugin *p);
/* flush() then finish(): what the engine does when a run completes. */
weir_status wt_finish(wt_plugin *p);
/* Notifier: hand the plugin one event of `type` whose JSON is `json`
 * (both copied into a struct weir_event for the call). */
weir_status wt_notify(wt_plugin *p, const char *type, const char *json);
void wt_close(wt_plugin *p);

/* A record's answer from the last stage; message/assigned_id nullable. */
weir_result wt_result(const weir_record *r, const char **message,
                      const char **assigned_id);
/* The record's origin line (set by sources), 0 when unset. */
long wt_origin(const weir_record *r);
/* Field `name` of `r`: its value, or NULL when missing or NULL. (borrowed) */
const char *wt_get(const weir_record *r, const char *name);
/* 1 when `r` has a field `name` (NULL included), else 0. */
int wt_has(const weir_record *r, const char *name);

/* A fresh scratch directory for this test process (under tests/tmp/),
 * removed by nothing: make clean removes tests/tmp. (borrowed) */
const char *wt_tmpdir(void);
/* Write `text` to `dir/name`; returns the full path. (owned: free) */
char *wt_write_file(const char *dir, const char *name, const char *text);
/* Read a whole file. (owned: free), NULL when unreadable. */
char *wt_read_file(const char *path);

#endif
