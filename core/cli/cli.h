/*
 * cli.h - the command line: options common to every command, and the
 * commands themselves (one file each: cmd_run.c, cmd_validate.c, ...).
 */
#ifndef WEIR_CLI_H
#define WEIR_CLI_H

#include <signal.h>

#include "engine/engine.h"

/* Flags a command accepts besides the common ones. */
enum {
    CLI_FULL = 1 << 0,
    CLI_DRY_RUN = 1 << 1,
    CLI_FORCE = 1 << 2,
    CLI_VERBOSE_LIST = 1 << 3, /* -v means "more columns", not "more log" */
    CLI_WAIT = 1 << 4,         /* --wait, --max-wait */
    CLI_FILTERS = 1 << 5,      /* --pipeline, --status, --type, --records */
    CLI_FAILED = 1 << 6,       /* --pipeline P --failed [--sink S] [--type T]
                                  [--error TEXT] */
    CLI_XREF = 1 << 7,         /* xref list: --entity E --system S */
    CLI_SUGGEST = 1 << 8,      /* xref suggest: --against, --prefix,
                                  --name-field, --match, --limit */
    CLI_HTTP = 1 << 9          /* serve: --http, --token-env */
};

typedef struct weir_cli {
    const char *command;
    /* --state, else $WEIR_STATE; NULL = weir.db beside the pipeline */
    const char *state_path;
    const char *plugin_path; /* --plugin-path: folders before the default */
    int verbose, quiet, json;
    int log_format;          /* --log-format: a weir_log_format */
    int full, dry_run, force;
    int wait;                /* --wait */
    long long max_wait_ms;   /* --max-wait (default 10m) */
    const char *pipeline, *status, *type; /* monitor/resend filters */
    const char *sink, *error; /* resend/discard: one monitor group */
    int records, failed;     /* --records, --failed */
    const char *entity, *system; /* xref list's filters */
    /* xref suggest: --against, --prefix, --name-field, --match */
    const char *against, *prefix, *name_field, *match;
    unsigned limit;          /* --limit; 0: not given */
    const char *http;        /* serve --http ADDR:PORT: the web monitor */
    const char *token_env;   /* serve --token-env: the token's variable */
    const char *public_url;  /* serve --public-url: the monitor as people
                                reach it (a proxy), for links */
    char **args; /* positional arguments (borrowed from argv) */
    int nargs;
} weir_cli;

typedef struct weir_command {
    const char *name;
    const char *synopsis; /* "FILE.xml [--full] ..." */
    const char *summary;  /* one line */
    const char *help;     /* paragraphs for `weir CMD --help` */
    unsigned flags;
    int min_args, max_args; /* max -1: unlimited */
    int (*run)(weir_cli *cli);
} weir_command;

/* Exit codes (see docs/cli.md). */
enum {
    WEIR_EXIT_OK = 0,
    WEIR_EXIT_FAILED = 1,   /* some records failed / problems found */
    WEIR_EXIT_USAGE = 2,    /* bad usage or an invalid pipeline */
    WEIR_EXIT_ABORTED = 3   /* the run could not complete */
};

extern const weir_command weir_cmd_run;
extern const weir_command weir_cmd_drain;
extern const weir_command weir_cmd_validate;
extern const weir_command weir_cmd_plugins;
extern const weir_command weir_cmd_monitor;
extern const weir_command weir_cmd_show;
extern const weir_command weir_cmd_resend;
extern const weir_command weir_cmd_discard;
extern const weir_command weir_cmd_status;
extern const weir_command weir_cmd_xref;
extern const weir_command weir_cmd_serve;

/* `weir xref suggest APP.xml` (cmd_xref_suggest.c), args[0] the file:
 * the exit code. */
int weir_cli_xref_suggest(weir_cli *cli, char **args);

/* The state database path for a pipeline file: --state or weir.db beside
 * it. (owned: free) */
char *weir_cli_state_path(const weir_cli *cli, const char *pipeline_file);

/* The plugin registry: --plugin-path's folders, then $WEIR_PLUGIN_PATH
 * or the default (see plugins.h);
 * NULL (after printing why) when libltdl cannot start. (owned) */
struct weir_plugins *weir_cli_plugins(const weir_cli *cli);

struct weir_state;
struct weir_pipeline;
/* How weir_cli_open_state() opens. */
enum {
    WEIR_CLI_STATE_MUST_EXIST = 1, /* a missing file is an error, not new */
    WEIR_CLI_STATE_READ = 3        /* read-only, never waits for a run
                                      (monitor, status, show); must exist */
};
/* Open the state database: --state, else weir.db beside `pipeline_file`
 * (or in the current folder when NULL), as `how` (WEIR_CLI_STATE_* bits;
 * 0: for a run, created when missing).  NULL after printing why.
 * (owned: weir_state_close) */
struct weir_state *weir_cli_open_state(const weir_cli *cli,
                                       const char *pipeline_file, int how);
/* Load and check a pipeline file; NULL after printing every problem.
 * (owned: weir_pipeline_unref) */
struct weir_pipeline *weir_cli_load(struct weir_plugins *reg, const char *file);

/* Deliver what is due for the pipeline files given (every pipeline the
 * state knows when n == 0), as `weir drain` does, honouring --wait and
 * --max-wait; print the summaries.  A pipeline whose file no longer has
 * the sinks its undelivered records were queued for (sink_identity.h) is
 * refused (exit 3) and the others go on; with `before` (nullable), any
 * refusal stops everything, else before(ctx) runs once every file is
 * loaded and checked, before anything is delivered, and a nonzero return
 * is the exit code.  Returns the exit code. */
int weir_cli_drain(const weir_cli *cli, struct weir_state *st,
                   struct weir_plugins *reg, char **files, int n,
                   int (*before)(void *ctx), void *ctx);

/* Install SIGINT/SIGTERM handlers that ask runs to stop between batches. */
/* Set by the SIGINT/SIGTERM handlers of weir_cli_catch_signals(): runs
 * and drains get it as their cancel flag and stop between batches. */
extern volatile sig_atomic_t weir_cli_stop_requested;
void weir_cli_catch_signals(void);
/* A run's or drain's status as the exit code the CLI reference gives. */
int weir_cli_exit_code(weir_run_status status);

/* What changed in a tracked record (engine/changes.h), on stdout, each
 * line after `prefix`: per field "sales_rep: MAL001 -> SAL001" from
 * `changes` (a JSON array; NULL: not known, nothing printed), or "no
 * field changed" with why it was sent anyway (`resent`, nullable). */
void weir_cli_print_changes(const char *prefix, const char *changes,
                            const char *resent);

#endif
