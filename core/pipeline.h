/*
 * pipeline.h - a pipeline as loaded from its XML file.
 *
 * weir_pipeline_load() parses and checks a file and returns the model with
 * every problem in a weir_diag; a pipeline with problems is returned too
 * (so `weir validate` can report them all) but must not be run.
 * The model owns all its strings.  Not thread-safe; read-only after load.
 */
#ifndef WEIR_PIPELINE_H
#define WEIR_PIPELINE_H

#include <stddef.h>

#include <weir/plugin.h>

#include "diag.h"
#include "plugins.h"

typedef struct weir_pipeline weir_pipeline;

typedef struct weir_option_value {
    char *name;
    char *value; /* after ${env:} substitution and path resolution */
    int secret;  /* came from the environment: never print */
    long line;
} weir_option_value;

/* A structured child of a plugin element (everything but <option>). */
struct weir_node {
    char *name;
    char **attrs; /* name, value, name, value, ..., NULL */
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
} weir_track_spec;

struct weir_instance {
    weir_pipeline *pipeline; /* borrowed back-pointer */
    weir_kind kind;
    char *plugin_name;
    char *name;
    char *system;
    long line;
    weir_option_value *options;
    size_t noptions;
    weir_node *config;
    weir_retry_policy retry; /* sinks */
    const weir_plugin *plugin; /* borrowed from the registry; NULL if unknown */
    void *state;               /* plugin's, between open and close */
    int opened;
};

struct weir_pipeline {
    char *file;  /* as given */
    char *dir;   /* folder relative paths resolve against */
    char *name;
    char *type;  /* nullable */
    long long schedule_ms; /* 0 = none */
    long schedule_line;
    size_t batch_size;
    weir_instance *source;
    weir_instance **transforms;
    size_t ntransforms;
    weir_instance **sinks;
    size_t nsinks;
    weir_track_spec track;
    weir_diag *diag;   /* borrowed while loading/checking */
    void *state_store; /* the engine's state handle while running (borrowed) */
};

/* Load `path`.  Problems go to `diag`; returns NULL only when the file
 * could not be read or parsed at all.  Plugins are looked up in `plugins`
 * (borrowed; must outlive the pipeline). (owned: weir_pipeline_free) */
weir_pipeline *weir_pipeline_load(const char *path, weir_plugins *plugins,
                                  weir_diag *diag);
/* Same from memory; `file` names it in messages, `dir` resolves paths. */
weir_pipeline *weir_pipeline_load_memory(const char *xml, size_t len,
                                         const char *file, const char *dir,
                                         weir_plugins *plugins,
                                         weir_diag *diag);
void weir_pipeline_free(weir_pipeline *p);

/* Every plugin instance in run order: source, transforms, sinks. */
size_t weir_pipeline_instances(weir_pipeline *p, weir_instance **out,
                               size_t max);
weir_instance *weir_pipeline_find(weir_pipeline *p, const char *name);

/* Option lookups over an instance (values borrowed). */
const weir_option_value *weir_instance_option(const weir_instance *inst,
                                              const char *name, size_t nth);
const weir_option_spec *weir_instance_option_spec(const weir_instance *inst,
                                                  const char *name);
const char *weir_kind_name(weir_kind kind);

/* Release what loading keeps for the process (the parsed schema). */
void weir_pipeline_cleanup(void);

/* The embedded RelaxNG schema (data/pipeline.rng). */
extern const char weir_pipeline_schema[];

#endif
