/*
 * weir/plugin.h - the weir plugin ABI.
 *
 * A weir plugin is a shared object that exports one data symbol,
 * WEIR_PLUGIN_SYMBOL, of type `const weir_plugin`.  The core reads the
 * descriptor's version fields before it calls any plugin code and refuses a
 * plugin whose ABI major differs from its own, or whose ABI minor is newer.
 *
 * Plugins never link against the weir binary.  Everything they need from the
 * core (logging, options, records, per-plugin state) comes through the
 * weir_host function table handed to open().
 *
 * The growth rule.  Within a major nothing moves, nothing goes away and
 * no meaning changes; everything added comes with a new minor (a plugin
 * declares the minor it was built for, the core refuses one newer than
 * its own).  How it is added depends on whose memory it is:
 *   - the plugin's, read by the core (the descriptor, the option
 *     declarations): the size never changes within a major (struct_size
 *     and option_spec_size must be the header's sizeof; anything else is
 *     refused as truncated or corrupt); a new field takes a `reserved`
 *     slot, and the core reads a field added in minor m only from a plugin
 *     that declares m or later, whatever an older plugin's slot holds;
 *   - the core's, read by the plugin (the host table): it grows at its
 *     end; host->size is the running core's sizeof(weir_host), and a
 *     plugin that declares an older minor than its header (to load on
 *     older cores) checks WEIR_HOST_HAS() before it calls a newer entry;
 *   - values and rules (enum values, status codes, what a callback must
 *     do): a value or rule added in minor m is given to, taken from and
 *     applied to plugins that declare m or later; an older plugin keeps
 *     the contract it was built for.
 * Why two kinds: the core knows the plugin's declared minor, so the minor
 * alone says which of its fields exist, and a fixed size means the core
 * never reads past a plugin's descriptor; a plugin cannot know at build
 * time which core will run it, so the table's size tells it what the
 * running core has.  Regrouping or resizing anything is a new major.
 *
 * Ownership, in the GStreamer way:
 *   (borrowed)  the callee must not free it; valid for the documented span.
 *   (owned)     the receiver frees it, with the function named.
 *
 * Threading: the core calls one instance from one thread at a time;
 * different pipelines may run on different threads (`weir serve`), and so
 * may the instances of one pipeline when a sink declares
 * WEIR_PLUGIN_WRITE_BESIDE or a source WEIR_PLUGIN_READ_BESIDE.  Plugins
 * keep their mutable data in the state pointer returned by open(), not
 * in globals; process-wide setup (a library's global init) belongs in
 * load().
 *
 * Build a plugin out of tree with:
 *   cc -shared -fPIC $(pkg-config --cflags weir) -o myplugin.so myplugin.c
 */
#ifndef WEIR_PLUGIN_H
#define WEIR_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version.  Major: incompatible change.  Minor: additions by the
 * growth rule (at the top); older plugins keep working.
 *   1.1  WEIR_STATUS_DOWN from a sink's open()
 *   1.2  a sink answers every record (an unanswered one is retried);
 *        descriptor: probe(); host: set_error()
 *   1.3  WEIR_STATUS_SPLIT from a sink's write() or flush(); host:
 *        record_set_op(), record_hold() (a transform holds a record,
 *        naming what it waits for; it is stored, released, re-entered);
 *        callbacks declared returning weir_status instead of int (source
 *        only: same values, same size)
 *   1.4  host: source_system(), link_get(), link_generate(), link_each(),
 *        link_create() (the cross-reference store), record_provisional()
 *   1.5  host: batch_columns(), batch_add_row() (a source's rows by
 *        column, each record in one call)
 *   1.6  descriptor flags WEIR_PLUGIN_WRITE_BESIDE (a sink's write()
 *        runs beside the reading of the next batch) and
 *        WEIR_PLUGIN_READ_BESIDE (a source's read() runs ahead, beside
 *        the processing of the batch before) */
#define WEIR_ABI_MAJOR 1
#define WEIR_ABI_MINOR 6

/* The exported descriptor's name. */
#define WEIR_PLUGIN_SYMBOL "weir_plugin_descriptor"

#if defined(__GNUC__)
#define WEIR_EXPORT __attribute__((visibility("default")))
#define WEIR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define WEIR_EXPORT
#define WEIR_PRINTF(f, a)
#endif

/* A NUL-terminated value for host->record_set(). */
#define WEIR_NUL_TERMINATED ((size_t)-1)

/* Define the descriptor:  WEIR_PLUGIN_DEFINE = { WEIR_PLUGIN_HEADER, ... }; */
#define WEIR_PLUGIN_DEFINE \
    WEIR_EXPORT extern const struct weir_plugin weir_plugin_descriptor; \
    const struct weir_plugin weir_plugin_descriptor
#define WEIR_PLUGIN_HEADER \
    .abi_major = WEIR_ABI_MAJOR, .abi_minor = WEIR_ABI_MINOR, \
    .struct_size = sizeof(struct weir_plugin), \
    .option_spec_size = sizeof(struct weir_option_spec)

/* ---- opaque handles (owned by the core) ---------------------------- */

typedef struct weir_instance weir_instance; /* one plugin element of a pipeline */
typedef struct weir_record weir_record;     /* one record: named UTF-8 fields */
typedef struct weir_batch weir_batch;       /* records moving together */
typedef struct weir_node weir_node;         /* a structured config child */
typedef struct weir_event weir_event;       /* a notification (notifiers) */

/* What a plugin can be.  A plugin may be both a source and a sink; the
 * pipeline element it sits in says which (the `kind` passed to open()). */
typedef enum weir_kind {
    WEIR_KIND_SOURCE = 1u << 0,
    WEIR_KIND_TRANSFORM = 1u << 1,
    WEIR_KIND_SINK = 1u << 2,
    WEIR_KIND_NOTIFIER = 1u << 3
} weir_kind;

/* The operation a record carries to the sinks.  Records from a pipeline
 * without <track> are upserts; <track> decides insert, update or delete. */
typedef enum weir_op {
    WEIR_OP_UPSERT = 0,
    WEIR_OP_INSERT = 1,
    WEIR_OP_UPDATE = 2,
    WEIR_OP_DELETE = 3
} weir_op;

/* A stage's answer for one record.  Every record ends a stage with one.
 * Transforms: records start as WEIR_RESULT_OK, so a transform only answers
 * the records that did not simply pass.
 * Sinks (since ABI minor 2): records reach write() with no answer, and a
 * sink answers every one; a record it leaves unanswered was not applied
 * as far as anyone knows, and is retried (RETRY "sink 'NAME' (plugin P)
 * gave no answer for this record", with a warning).  Silence never
 * acknowledges.  A sink built for minor 0 or 1 was told its records start
 * OK, and the core keeps that rule for it. */
typedef enum weir_result {
    /* Transform: pass it on (changed or not).  Sink: applied; may carry the
     * id the target assigned. */
    WEIR_RESULT_OK = 0,
    /* Transform only: filtered out on purpose; not an error, not counted
     * as rejected. */
    WEIR_RESULT_DROP = 1,
    /* Permanent: this record is bad or the target refused it.  The message
     * is the reason in the target's own words ("1020 - Terms Code ..."). */
    WEIR_RESULT_REJECT = 2,
    /* Transient: this record could not be applied now (timeout, lock,
     * 5xx); the core retries it by the sink's <retry> policy. */
    WEIR_RESULT_RETRY = 3,
    /* Waiting for something outside the record (a cross-reference, a
     * link): kept without spending attempts until it is there.  From a
     * transform (better with host->record_hold(), which names what it
     * waits for) the record is stored in the outbox as it reached that
     * transform, goes to no sink, and re-enters the pipeline at that
     * transform when released. */
    WEIR_RESULT_HOLD = 4,
    /* The endpoint, not the record, is failing (connection refused, the
     * target is down).  The core pauses the sink and holds its records. */
    WEIR_RESULT_DOWN = 5
} weir_result;

/* Return codes of plugin callbacks as a whole (not per record). */
typedef enum weir_status {
    WEIR_STATUS_OK = 0,    /* done; per-record answers are on the records */
    WEIR_STATUS_END = 1,   /* source read(): no more records (batch may hold some) */
    WEIR_STATUS_ERROR = -1, /* the call failed as a whole; reason already logged */
    /* Since ABI minor 1, from a sink's open(): the target cannot be
     * reached now (its database locked, its share not mounted, the host
     * unreachable), as opposed to a setup that can never work (ERROR).
     * The core counts the endpoint as down: the run goes on, the sink's
     * records wait in the outbox, and it is opened again later.
     * Since minor 2 also from probe(): the endpoint is still down. */
    WEIR_STATUS_DOWN = 2,
    /* Since ABI minor 3, from a transactional sink's write() or flush():
     * the target refused the batch as a whole, for a fault of some record
     * in it that the sink cannot pin down (a deferred constraint failing
     * COMMIT, a trigger that rolled the transaction back), and nothing of
     * the batch was applied.  The core sends the records again in smaller
     * batches (halves, down to one record) so that only the bad one is
     * refused; see write(). */
    WEIR_STATUS_SPLIT = 3
} weir_status;

typedef enum weir_log_level {
    WEIR_LOG_ERROR = 0,
    WEIR_LOG_WARNING = 1,
    WEIR_LOG_INFO = 2,
    WEIR_LOG_DEBUG = 3
} weir_log_level;

/* ---- declared options ---------------------------------------------- */

typedef enum weir_option_type {
    WEIR_OPTION_STRING = 0,
    WEIR_OPTION_BOOL,     /* true/false, yes/no, on/off, 1/0 */
    WEIR_OPTION_INT,      /* decimal integer */
    WEIR_OPTION_DURATION, /* 250ms, 15s, 10m, 1h, 7d (combinable: 1h30m) */
    WEIR_OPTION_PATH,     /* resolved against the pipeline file's folder */
    WEIR_OPTION_CHAR,     /* exactly one byte, or "tab" */
    WEIR_OPTION_LIST      /* space-separated words */
} weir_option_type;

#define WEIR_OPTION_REQUIRED (1u << 0)   /* must be given */
#define WEIR_OPTION_REPEATABLE (1u << 1) /* may be given more than once */

/* One declared option.  Its size is fixed within a major (the descriptor's
 * option_spec_size says which the plugin saw): a field added later takes
 * a `reserved` slot and is read only from plugins that declare its minor
 * (the growth rule at the top).  Declare entries with the WEIR_OPTION
 * macros below, so that your source never names a slot. */
typedef struct weir_option_spec {
    const char *name;
    uint32_t type;             /* weir_option_type */
    uint32_t flags;            /* WEIR_OPTION_REQUIRED | WEIR_OPTION_REPEATABLE */
    uint32_t kinds;            /* weir_kind bits it applies to; 0 = every kind */
    const char *default_value; /* as text; NULL = none */
    const char *help;          /* one line */
    /* STRING options with a fixed set of values: the values, space-
     * separated ("write append"); `weir validate` refuses any other.
     * NULL = any value. */
    const char *choices;
    const void *reserved[2]; /* zero */
} weir_option_spec;

/* Declare options with these, so a field added to weir_option_spec later
 * never changes a plugin's source:
 *   static const weir_option_spec options[] = {
 *       WEIR_OPTION("path", WEIR_OPTION_PATH, WEIR_OPTION_REQUIRED, 0, NULL,
 *                   "the file to read"),
 *       WEIR_OPTION_CHOICES("mode", 0, WEIR_KIND_SINK, "write",
 *                           "write or append", "write append"),
 *       WEIR_OPTION_END,
 *   };  */
#define WEIR_OPTION(name_, type_, flags_, kinds_, default_, help_) \
    { .name = (name_), .type = (type_), .flags = (flags_), .kinds = (kinds_), \
      .default_value = (default_), .help = (help_) }
#define WEIR_OPTION_CHOICES(name_, flags_, kinds_, default_, help_, choices_) \
    { .name = (name_), .type = WEIR_OPTION_STRING, .flags = (flags_), \
      .kinds = (kinds_), .default_value = (default_), .help = (help_), \
      .choices = (choices_) }
#define WEIR_OPTION_END { .name = NULL }

/* ---- the host API ---------------------------------------------------- */

/* True when the host table handed in has the entry `member`. */
#define WEIR_HOST_HAS(host, member) \
    ((host)->size >= offsetof(weir_host, member) + sizeof((host)->member))

/* The core's memory, read by the plugin: it grows at its end (the growth
 * rule at the top), so entries stand in the order they were added, not by
 * topic.  Its groups (regrouping would move entries: a new major):
 *   header      size, abi_minor
 *   logging     log; logv (later in 1.0)
 *   instance    instance_name, pipeline_name, system_name
 *   options     option, option_count, option_at, option_bool, option_int,
 *               option_duration_ms; option_is_secret (later in 1.0)
 *   config      config_first, node_next, node_first_child, node_name,
 *               node_attr, node_text, node_error; node_attr_at (later)
 *   batches     batch_count, batch_at, batch_room, batch_add
 *   records     record_get, record_has, record_set, record_unset,
 *               record_field_count, record_field_name, record_field_value,
 *               record_op, record_key, record_id, record_set_origin,
 *               record_answer, record_answerf; record_attempt,
 *               record_retry_after (later in 1.0); record_set_op,
 *               record_hold (1.3)
 *   state       state_get, state_set
 *   memory      free
 *   events      event_type, event_json
 *   errors      set_error (1.2)
 *   links       source_system, link_get, link_generate, link_each,
 *               link_create, record_provisional (1.4)
 *   rows        batch_columns, batch_add_row (1.5)
 * Every entry not marked is ABI 1.0. */
typedef struct weir_host {
    uint32_t size;      /* sizeof(weir_host) of the running core */
    uint32_t abi_minor; /* WEIR_ABI_MINOR of the running core */

    /* -- logging; messages are prefixed with pipeline and instance names.
     * The core masks the values of ${env:...} substitutions in everything
     * it prints, but a plugin should still not log credentials. */
    void (*log)(weir_instance *inst, weir_log_level level, const char *fmt, ...)
        WEIR_PRINTF(3, 4);

    /* -- instance: this one */
    const char *(*instance_name)(weir_instance *inst); /* (borrowed) */
    const char *(*pipeline_name)(weir_instance *inst); /* (borrowed) */
    /* the system this instance talks to: `system=` or the instance name */
    const char *(*system_name)(weir_instance *inst); /* (borrowed) */

    /* -- options, already checked against the declared table.
     * option(): the value (after ${env:} substitution, path resolution
     * and "tab" conversion), or the declared default treated the same
     * way; NULL when neither.  For a repeatable
     * option, option_at() walks the values; option_count() counts them.
     * (borrowed, valid until close) */
    const char *(*option)(weir_instance *inst, const char *name);
    size_t (*option_count)(weir_instance *inst, const char *name);
    const char *(*option_at)(weir_instance *inst, const char *name, size_t i);
    /* typed readers; return 0 on success, -1 when the option is unset */
    int (*option_bool)(weir_instance *inst, const char *name, int *out);
    int (*option_int)(weir_instance *inst, const char *name, long long *out);
    int (*option_duration_ms)(weir_instance *inst, const char *name,
                              long long *out);

    /* -- config: structured children of the plugin element (everything but
     * <option>), for plugins with a config of their own (a field map).
     * (borrowed, valid until close) */
    const weir_node *(*config_first)(weir_instance *inst);
    const weir_node *(*node_next)(const weir_node *node);
    const weir_node *(*node_first_child)(const weir_node *node);
    const char *(*node_name)(const weir_node *node);
    /* attribute value after ${env:} substitution, NULL when absent */
    const char *(*node_attr)(const weir_node *node, const char *name);
    const char *(*node_text)(const weir_node *node);
    /* Report a problem with a config node (NULL: the plugin element
     * itself) as "file:line: message" and mark the pipeline invalid.
     * Use it from check(). */
    void (*node_error)(weir_instance *inst, const weir_node *node,
                       const char *fmt, ...) WEIR_PRINTF(3, 4);

    /* -- batches */
    size_t (*batch_count)(const weir_batch *b);
    weir_record *(*batch_at)(weir_batch *b, size_t i); /* (borrowed) */
    /* Source: room left before the batch is full; read() stops there. */
    size_t (*batch_room)(const weir_batch *b);
    /* Source: append an empty record (borrowed; owned by the batch). */
    weir_record *(*batch_add)(weir_batch *b);

    /* -- records; names and values are UTF-8, values may hold NUL when
     * a length is given.  A NULL value is SQL NULL, distinct from "".
     * Everything a record hands out is borrowed until the callback that
     * received the batch returns, or until that field changes. */
    /* value of field `name`; NULL when absent or NULL (see record_has).
     * `len` (nullable) receives the length; the value is always followed
     * by a NUL byte. */
    const char *(*record_get)(const weir_record *r, const char *name,
                              size_t *len);
    int (*record_has)(const weir_record *r, const char *name);
    /* set (copying) or add a field; value NULL = SQL NULL; len
     * WEIR_NUL_TERMINATED = strlen.  Returns 0, or -1 out of memory. */
    int (*record_set)(weir_record *r, const char *name, const char *value,
                      size_t len);
    /* remove a field; 0 when removed, -1 when absent */
    int (*record_unset)(weir_record *r, const char *name);
    /* Fields by position.  A name pointer from record_field_name may be
     * passed back to record_get, record_set and record_unset, which then
     * match it without a string compare. */
    size_t (*record_field_count)(const weir_record *r);
    const char *(*record_field_name)(const weir_record *r, size_t i);
    const char *(*record_field_value)(const weir_record *r, size_t i,
                                      size_t *len);
    weir_op (*record_op)(const weir_record *r);
    /* the record's key as text (fields joined), NULL before <track> or a
     * key was set */
    const char *(*record_key)(const weir_record *r);
    /* stable id (32 hex digits): the same for the same pipeline, sink,
     * key, operation, content and change (with <track>; without it, the
     * record's place in the source), across retries, resends and re-runs;
     * a change that reverts an earlier one gets a new id.  Sinks send it
     * as the idempotency key. */
    const char *(*record_id)(weir_record *r);
    /* Where the record came from, for messages ("line 42").  Sources set
     * it; the core prefixes it with the source name. */
    void (*record_set_origin)(weir_record *r, long line);
    /* The stage's answer for this record (see weir_result); a later
     * answer replaces an earlier one.  `message` (copied, nullable) is the
     * reason; `assigned_id` (copied, nullable) the id the target gave the
     * record (sinks, with WEIR_RESULT_OK). */
    void (*record_answer)(weir_record *r, weir_result result,
                          const char *message, const char *assigned_id);
    /* Same with a printf message. */
    void (*record_answerf)(weir_record *r, weir_result result,
                           const char *fmt, ...) WEIR_PRINTF(3, 4);

    /* -- state: per-plugin persistent state in the state database, keyed by
     * pipeline, instance and `key` (a source's watermark, say).
     * state_get: 0 and *value an owned copy (free with host->free); 1 when
     * never set (*value NULL); -1 when the state could not be read (the
     * plugin must then fail, never start over).
     * state_set: 0, or -1.  The value is written in the same transaction
     * as the records of the run so far, so a watermark never runs ahead of
     * what was delivered or queued; it is durable when the run commits. */
    int (*state_get)(weir_instance *inst, const char *key, char **value);
    int (*state_set)(weir_instance *inst, const char *key, const char *value);

    /* -- memory: handed across the boundary */
    void (*free)(void *p);

    /* -- config, continued: the i-th attribute's value, its name in
     * *name; NULL past the last.  Lets check() report unknown attributes.
     * (borrowed, valid until close) */
    const char *(*node_attr_at)(const weir_node *node, size_t i,
                                const char **name);

    /* -- logging, continued: with a va_list, for plugins with their own
     * wrappers */
    void (*logv)(weir_instance *inst, weir_log_level level, const char *fmt,
                 va_list ap) WEIR_PRINTF(3, 0);

    /* -- records, continued: delivery details for sinks */
    /* Which send of this record this is: 1 the first; more after retries,
     * resends or a crash (a sink that can look the id up in the target
     * does so when > 1). */
    int (*record_attempt)(const weir_record *r);
    /* With WEIR_RESULT_RETRY or DOWN: the target asked for at least `ms`
     * before the next try (HTTP Retry-After). */
    void (*record_retry_after)(weir_record *r, long long ms);

    /* -- events: notifications (notifiers) */
    /* "rejected", "endpoint-down", "endpoint-up", "run-failed" */
    const char *(*event_type)(const weir_event *e);
    /* the whole event as one JSON object (borrowed, during notify()) */
    const char *(*event_json)(const weir_event *e);

    /* -- options, continued: 1 when option `name` (its first value) came
     * from ${env:...}: a credential to send, never to print */
    int (*option_is_secret)(weir_instance *inst, const char *name);

    /* -- since ABI minor 2 --------------------------------------------- */

    /* -- errors: why the callback now running fails as a whole, for the
     * core's own message instead of a log line of the plugin's (SQLite's
     * pzErrMsg): open() returning ERROR or DOWN ("sink 'app' (plugin P)
     * could not open: REASON", the endpoint's error), probe() returning
     * DOWN or ERROR (the endpoint's error), write() or flush() returning
     * SPLIT (ABI 1.3: the target's text for the refusal).  Copied, ${env:}
     * secrets masked; a later call replaces it; not printed by itself.
     * (A plugin built before minor 2 logs the reason at WEIR_LOG_ERROR
     * instead: the core takes its last error line.) */
    void (*set_error)(weir_instance *inst, const char *fmt, ...)
        WEIR_PRINTF(2, 3);

    /* -- since ABI minor 3 --------------------------------------------- */

    /* -- records, continued: for transforms.
     * Transform: the operation the record carries to the sinks (a record
     * that must be created, or deleted, in the target).  After <track>,
     * or without it: <track> sets the operation of the records it sees.
     * Returns 0, or -1 for a value that is no weir_op (nothing changed). */
    int (*record_set_op)(weir_record *r, weir_op op);
    /* Transform: hold the record (answer WEIR_RESULT_HOLD) until what it
     * waits for exists.  `wait_key` (copied, nullable) names it, the same
     * text the releaser uses ("customer app:4711"); `message` (copied,
     * nullable) says why, for the monitor.  The record is stored in the
     * outbox with the fields and operation it had when it reached this
     * transform (changes the transform made to it are forgotten), reaches
     * no sink, and later records of its key wait behind it.  Released
     * (the core's release call for its wait key, or `weir resend ID`), it
     * re-enters the pipeline at this transform: this transform and the
     * ones after it run again, then the sinks.  Held again, it waits
     * again; no attempt is spent.  A transform before <track> cannot hold
     * for good: its record is compared again by the next run. */
    void (*record_hold)(weir_record *r, const char *wait_key,
                        const char *message);

    /* -- since ABI minor 4 --------------------------------------------- */

    /* -- instance, continued: the system of the pipeline's <source>
     * (its `system=`, else its name): where the ids a transform reads
     * come from unless told otherwise. (borrowed) */
    const char *(*source_system)(weir_instance *inst);

    /* -- links: the state's cross-reference store (docs/xref.md), which
     * id one business object (`entity`: "customer") has in each system.
     * A link made by a pipeline or by `weir xref` is seen at once by
     * every pipeline on the same state.  A failed call (-1) has logged
     * why; a transform answers its record WEIR_RESULT_RETRY then. */
    /* The id that `id` of system `from` has in system `to`: 0 and *to_id
     * (owned: host->free); 1 when they are not linked; -1. */
    int (*link_get)(weir_instance *inst, const char *entity, const char *from,
                    const char *id, const char *to, char **to_id);
    /* A new id for system `to`: `prefix` and a number zero-padded to
     * `digits` ("HB_000123"), never an id the store knows for `to`,
     * never handed out twice (two pipelines generating at once
     * included), linked to `id` of `from` at once, origin "generated":
     * 0 and *to_id (owned: host->free); -1.  In a dry run nothing is
     * stored and *to_id is the prefix and `digits` '?'. */
    int (*link_generate)(weir_instance *inst, const char *entity,
                         const char *from, const char *id, const char *to,
                         const char *prefix, int digits, char **to_id);
    /* Sources: fn for each link of `entity` between systems `a` and `b`,
     * oldest first, with a's id, b's id, who made the link ("manual",
     * "generated", "created", "merged") and when (unix seconds); the
     * strings live for the call; fn returning non-zero stops the walk
     * with that value.  0, or -1. */
    int (*link_each)(weir_instance *inst, const char *entity, const char *a,
                     const char *b,
                     int (*fn)(void *ctx, const char *a_id, const char *b_id,
                               const char *origin, long long created),
                     void *ctx);
    /* Transforms: record `r` creates its object in system `to` (`id` of
     * `from` has no link there yet).  It goes on as an insert, and when
     * the sink of system `to` acknowledges it with the id the target
     * assigned, `id` and that id are linked ("created") in the same
     * state transaction as the acknowledgement.  Acknowledged without an
     * id, the record fails (the target did not say what it made).
     * Returns 0; 1 when a create of `id` is under way already (an
     * earlier record of this run or one not yet acknowledged): hold `r`
     * for the link instead (wait key "xref:ENTITY:FROM:ID"); -1. */
    int (*link_create)(weir_instance *inst, weir_record *r, const char *entity,
                       const char *from, const char *id, const char *to);
    /* Transforms after <track> (or without one): `r` goes on with a value
     * that may be wrong until `wait_key` exists (an id the target may not
     * know, passed on unlinked).  Should a sink refuse it, it is stored
     * failed as it reached this transform, and the release of `wait_key`
     * (a link of that id) sends it through this transform again.  0, or
     * -1 (before <track>: nothing kept; the next run compares it again). */
    int (*record_provisional)(weir_record *r, const char *wait_key);

    /* -- since ABI minor 5 --------------------------------------------- */

    /* -- rows: a source whose rows all have the same columns (a file
     * with a header) adds each row in one call instead of batch_add()
     * and a record_set() per field.  Besides saving those calls, <track>
     * then reads a record's key and hashes its fields by position, and a
     * row it finds unchanged costs little more than the copy of its
     * values: most rows of an incremental run.
     * batch_columns: the columns of the rows batch_add_row() adds to `b`
     * from now on: `n` distinct names (copied).  Call it in each read()
     * before the first row (a batch forgets its columns when the core
     * empties it), and again when the columns change.  Returns 1 when
     * the batch takes rows, 0 when it does not (no names, a name given
     * twice, a source making up too many names): add records with
     * batch_add() and record_set() then; -1 out of memory. */
    int (*batch_columns)(weir_batch *b, const char *const *names, size_t n);
    /* batch_add_row: append a record of every column: values[i] (copied;
     * NULL = SQL NULL, distinct from "") of lens[i] bytes
     * (WEIR_NUL_TERMINATED = strlen) for column i, from `line` (as
     * record_set_origin; 0 unknown).  The same record as batch_add(),
     * record_set() of each column in order and record_set_origin(); it
     * may be changed or answered like any other.  NULL when the batch is
     * full, has no columns, or out of memory. (borrowed) */
    weir_record *(*batch_add_row)(weir_batch *b, const char *const *values,
                                  const size_t *lens, long line);
} weir_host;

/* ---- the descriptor ------------------------------------------------- */

/* The plugin's memory, read by the core: its size never changes within a
 * major.  A field added in a later minor takes the first `reserved` slot
 * and is read only from a plugin that declares that minor or later (the
 * growth rule at the top).  Added so far: probe() (1.2, reserved[0]). */
/* weir_plugin.flags (ABI 1.6; a plugin declaring an older minor has none).
 *
 * WEIR_PLUGIN_WRITE_BESIDE: the sink's write() and flush() may run on a
 * thread of their own, beside the source's read() and the transforms'
 * process() of the next batch (other instances of the same pipeline),
 * when the pipeline has this one sink.  The batch it gets is its own
 * until write() and flush() return.  Its write() and flush() must not
 * call state_get(), state_set() or the link functions (they fail, -1,
 * and say why in the log).  What the core promises is unchanged: a
 * batch's records are recorded as sent before write() sees them, and
 * answered after flush(). */
#define WEIR_PLUGIN_WRITE_BESIDE (1u << 0)
/* WEIR_PLUGIN_READ_BESIDE: the source's read() may run on a thread of its
 * own, reading the next batch while the pipeline's transforms, <track>
 * and sinks work on the one before (other instances).  The batch it
 * fills is its own until read() returns.  Its read() must not call
 * state_get(), state_set() or the link functions (they fail, -1, and say
 * why in the log).  weir may read one batch ahead of what it processes:
 * a run that stops (an error, a signal) may have read a batch it never
 * used, so a read must not change anything outside the plugin (no
 * acknowledging or moving of the input). */
#define WEIR_PLUGIN_READ_BESIDE (1u << 1)

typedef struct weir_plugin {
    /* These three never move: the core reads them before anything else. */
    uint32_t abi_major;
    uint32_t abi_minor;
    /* sizeof(struct weir_plugin) the plugin saw: always the same within
     * a major; another value means a truncated or corrupt descriptor */
    uint32_t struct_size;
    uint32_t option_spec_size; /* sizeof(weir_option_spec) it saw: likewise */

    uint32_t kinds;          /* weir_kind bits */
    uint32_t flags;          /* capability bits: WEIR_PLUGIN_* (1.6) */
    const char *name;        /* as used in plugin="..." */
    const char *version;     /* the plugin's own version */
    const char *description; /* one line */
    const weir_option_spec *options; /* ends with WEIR_OPTION_END; nullable */

    /* Optional, once per process, after the ABI check and before any
     * instance opens: global setup of a library the plugin uses.  Returns
     * WEIR_STATUS_OK, or WEIR_STATUS_ERROR (the plugin is then refused,
     * with the reason logged).
     * unload() undoes it at exit. */
    weir_status (*load)(const weir_host *host);
    void (*unload)(void);

    /* Optional: check the structured config (host->config_first()) and
     * report each problem with host->node_error(), going on after the
     * first so that `weir validate` lists them all.  Called by validate
     * and before every run.  Returns WEIR_STATUS_OK when valid,
     * WEIR_STATUS_ERROR when not (an ERROR without any node_error() report
     * is reported generically). */
    weir_status (*check)(weir_instance *inst, const weir_host *host,
                         weir_kind kind);

    /* Open one instance as `kind`.  Store private state in *state.
     * Returns WEIR_STATUS_OK, or WEIR_STATUS_ERROR (a sink: also
     * WEIR_STATUS_DOWN) after saying why with host->set_error(). */
    weir_status (*open)(weir_instance *inst, const weir_host *host,
                        weir_kind kind, void **state);

    /* Source: append records with host->batch_add() until batch_room() is
     * 0 or input ends.  Returns OK (more to come), END (input finished) or
     * ERROR (the source failed: the core aborts the run and advances
     * nothing).  A malformed row is not an ERROR: add it and answer it
     * WEIR_RESULT_REJECT with the reason. */
    weir_status (*read)(void *state, weir_batch *batch);

    /* Transform: answer each record of the batch (change it in place,
     * or answer DROP, REJECT or HOLD).  Records already answered by an
     * earlier stage are not in the batch. */
    weir_status (*process)(void *state, weir_batch *batch);

    /* Sink: apply each record and answer every one: OK, RETRY, REJECT or
     * DOWN (HOLD: the target needs something first, a link).  A record
     * left unanswered is retried (see weir_result).  Never sleep or retry
     * here: the core owns retries.  Returns ERROR only when nothing of the
     * batch was applied.
     * A transactional sink (one transaction per batch) whose target
     * refuses the transaction as a whole returns SPLIT (ABI 1.3) and does
     * not replay the batch itself.  It must then guarantee that nothing of
     * the batch was applied (rolled back), answer REJECT the records it
     * knows are at fault (a trigger's RAISE(ROLLBACK) names its record),
     * and give the target's text with host->set_error().  The core keeps
     * those REJECTs, drops every other answer and sends the other records
     * again: as one batch when the sink named a culprit, else in halves;
     * a batch of one record refused as a whole rejects that record with
     * the set_error() text.  The records keep their ids and attempt
     * numbers (they were never applied).  A transient failure is still
     * answered RETRY per record, never SPLIT. */
    weir_status (*write)(void *state, weir_batch *batch);

    /* Sink, optional: make every record answered OK so far durable.
     * Called after each write() and before the core commits that batch's
     * state: an OK is final only once flush() succeeded.  ERROR turns the
     * batch's OKs into RETRY; SPLIT (ABI 1.3: the batch's transaction was
     * refused at its commit and rolled back) works as from write(). */
    weir_status (*flush)(void *state);

    /* Sink, optional: the run or drain completed; publish what was written
     * (an export replaced atomically).  Called once, after the last
     * flush(); never after a failed or interrupted run.  Returns OK or
     * ERROR (logged; the run then fails). */
    weir_status (*finish)(void *state);

    /* Notifier: deliver one event (see host->event_json).  Returns OK, or
     * ERROR when it could not be delivered (the core warns and goes on). */
    weir_status (*notify)(void *state, const weir_event *event);

    /* Release the instance (nullable state allowed). */
    void (*close)(void *state);

    /* -- since ABI minor 2 --------------------------------------------- */

    /* Sink, optional: is the endpoint reachable again?  Called instead of
     * sending a held record while the endpoint is down, when its probe
     * time has come, so that no record is spent as a probe.  Cheap and
     * without side effects on the target's data (connect, BEGIN and
     * ROLLBACK, a health URL).  Returns OK (the endpoint is marked up and
     * the held records flow), DOWN or ERROR (it stays down; the next probe
     * waits longer) after saying why with host->set_error().  Without
     * probe() the core sends one held record as the probe. */
    weir_status (*probe)(void *state);

    void *reserved[7]; /* zero; appended fields take these slots */
} weir_plugin;

#ifdef __cplusplus
}
#endif
#endif /* WEIR_PLUGIN_H */
