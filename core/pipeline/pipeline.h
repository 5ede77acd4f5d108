/*
 * pipeline.h - a pipeline as loaded from its XML file.
 *
 * weir_pipeline_load() parses and checks a file and returns the model with
 * every problem in a weir_diag; a pipeline with problems is returned too
 * (so `weir validate` can report them all) but must not be run.
 * The model owns all its strings.  It is configuration only: read-only
 * once loaded, so any number of runs (engine/run.h) and threads may share
 * it, each holding a reference (weir_pipeline_ref/unref).  What a run
 * opens and changes lives in the run (plugin/instance.h), never here.
 */
#ifndef WEIR_PIPELINE_H
#define WEIR_PIPELINE_H

#include <stddef.h>

#include <weir/plugin.h>

#include "base/cron.h"
#include "base/diag.h"
#include "record/record.h"
#include "plugin/plugins.h"

typedef struct weir_pipeline weir_pipeline;
/* One plugin element of the file, as configured: the weir_instance a run
 * opens from it is plugin/instance.h's. */
typedef struct weir_instance_spec weir_instance_spec;

typedef struct weir_option_value {
    char *name;
    char *value; /* after ${env:} substitution and path resolution */
    int secret;  /* came from the environment: never print */
    int unusable; /* its ${env:} failed (reported); value is "" */
    int is_default; /* not given: the declared default, processed */
    long line;
} weir_option_value;

/* A structured child of a plugin element (everything but <option>). */
struct weir_node {
    char *name;
    char **attrs; /* name, value, name, value, ..., NULL */
    size_t nattrs;
    char *text;   /* trimmed text content, "" when none */
    long line;
    weir_node *next, *child;
};

/* <retry attempts delay jitter backoff max-delay> of a sink. */
typedef struct weir_retry_policy {
    int attempts;          /* sends, the first included */
    long long delay_ms;
    long long jitter_ms;
    double backoff;
    long long max_delay_ms;
    int retry_rejects;     /* rejects="retry": rejects are retried too */
    int down_after;        /* consecutive failed writes that mean "down" */
} weir_retry_policy;

/* <track> (change-tracking; the engine for it is the next issue's). */
typedef struct weir_track_spec {
    int present;
    long line;
    char **key;   /* NULL-terminated */
    char **fields; /* NULL-terminated; NULL = every field */
    int emit_deletes;
    long long full_refresh_ms; /* 0 = never */
    double max_delete_ratio;   /* < 0: off */
    long long max_delete_count; /* < 0: use ratio */
    size_t position; /* how many transforms run before it */
    char **owners;   /* field, owner system, ..., NULL (<field owner>) */
    int echo_keep;   /* echo="keep": no echo suppression (engine/echo.h) */
} weir_track_spec;

/* Notification events (<notify on="...">). */
enum {
    WEIR_EVENT_REJECTED = 1u << 0,      /* records rejected or failed (digest) */
    WEIR_EVENT_ENDPOINT_DOWN = 1u << 1,
    WEIR_EVENT_ENDPOINT_UP = 1u << 2,
    WEIR_EVENT_RUN_FAILED = 1u << 3,
    WEIR_EVENT_ALL = 15u
};
/* "rejected", ... for one bit; NULL for none. */
const char *weir_event_name(unsigned event);

struct weir_instance_spec {
    weir_pipeline *pipeline; /* borrowed back-pointer */
    weir_kind kind;
    char *plugin_name;
    char *name;
    char *system;
    int system_given; /* system= in the XML, not the name by default */
    long line;
    weir_option_value *options;
    size_t noptions;
    weir_node *config;
    int env_failed;          /* an ${env:} in its options or config failed */
    weir_retry_policy retry; /* sinks */
    unsigned events;           /* notifiers: WEIR_EVENT_* bits of on="..." */
    const weir_plugin *plugin; /* borrowed from the registry; NULL if unknown */
    size_t index;              /* its place in the pipeline's `all` */
};

struct weir_pipeline {
    char *file;  /* as given */
    char *dir;   /* folder relative paths resolve against */
    char *name;
    char *type;  /* nullable */
    char *type_field; /* nullable: the field that gives a record's type */
    long long keep_delivered_ms; /* outbox history of delivered rows */
    /* <schedule every> or <schedule cron tz> (pipeline/schedule.h) */
    long long schedule_ms;     /* every=; 0 = none */
    weir_cron *schedule_cron;  /* cron=; NULL = none */
    char *schedule_tz;         /* tz=; NULL: the machine's zone */
    char *schedule_text;       /* as status shows it; NULL = none */
    long schedule_line;
    long line; /* of <pipeline> */
    size_t batch_size;
    weir_instance_spec *source;
    weir_instance_spec **transforms;
    size_t ntransforms;
    weir_instance_spec **sinks;
    size_t nsinks;
    weir_instance_spec **notifiers;
    size_t nnotifiers;
    weir_instance_spec **all; /* every instance: source, transforms, */
    size_t nall;              /* sinks, notifiers, in this order (borrowed) */
    weir_track_spec track;
    weir_diag *diag;   /* borrowed while loading/checking */
    /* the values its ${env:} substitutions took: masked in what is
     * printed on its behalf (base/secrets.h); read-only once loaded */
    weir_secrets *secrets;
    _Atomic size_t refs; /* weir_pipeline_ref/unref */
};

/* Load `path`.  Problems go to `diag`; returns NULL only when the file
 * could not be read or parsed at all.  Plugins are looked up in `plugins`
 * (borrowed; must outlive the pipeline).  The caller holds the one
 * reference (weir_pipeline_unref). */
weir_pipeline *weir_pipeline_load(const char *path, weir_plugins *plugins,
                                  weir_diag *diag);
/* Same from memory; `file` names it in messages, `dir` resolves paths. */
weir_pipeline *weir_pipeline_load_memory(const char *xml, size_t len,
                                         const char *file, const char *dir,
                                         weir_plugins *plugins,
                                         weir_diag *diag);
/* Another holder of `p` (a run, a scheduler, another thread); returns p.
 * Thread-safe, as is unref. */
weir_pipeline *weir_pipeline_ref(weir_pipeline *p);
/* Drop a reference; the last one frees the pipeline.  NULL is allowed. */
void weir_pipeline_unref(weir_pipeline *p);

weir_instance_spec *weir_pipeline_find(const weir_pipeline *p,
                                       const char *name);

/* A record's type: its `type-field` value, else the pipeline's `type`
 * (nullable; borrowed from the record or the pipeline). */
const char *weir_pipeline_record_type(const weir_pipeline *p,
                                      const weir_record *r);

/* Option lookups over an instance (values borrowed). */
const weir_option_value *weir_instance_option(const weir_instance_spec *inst,
                                              const char *name, size_t nth);
const weir_option_spec *
weir_instance_option_spec(const weir_instance_spec *inst, const char *name);
const char *weir_kind_name(weir_kind kind);

/* Release what loading keeps for the process (the parsed schema), once
 * no load is running: at exit.  The next load parses it again. */
void weir_pipeline_cleanup(void);

/* The embedded RelaxNG schema (data/pipeline.rng). */
extern const char weir_pipeline_schema[];

#endif
