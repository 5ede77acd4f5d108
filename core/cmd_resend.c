/* cmd_resend.c - `weir resend`: failed records back to pending, then sent
 * as drain would (seed 002: fix the setup in the ERP, press resend). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "plugins.h"
#include "state.h"

/* The pipelines a resend touches: their names (locked before anything
 * changes) and files (for the drain that follows). */
typedef struct touched {
    char **names, **files;
    int n;
} touched;

static int touch(touched *t, weir_state *st, const char *pipeline)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->names[i], pipeline) == 0)
            return 0;
    char *file = weir_state_pipeline_file(st, pipeline);
    char **names = realloc(t->names, (size_t)(t->n + 1) * sizeof(*names));
    if (names)
        t->names = names;
    char **files = realloc(t->files, (size_t)(t->n + 1) * sizeof(*files));
    if (files)
        t->files = files;
    if (!file || !names || !files) {
        free(file);
        weir_log(WEIR_LOG_ERROR, "pipeline '%s' is not known to %s",
                 pipeline, weir_state_path(st));
        return -1;
    }
    t->names[t->n] = strdup(pipeline);
    t->files[t->n++] = file;
    return 0;
}

/* The record ids given, checked, and their pipelines touched. */
static int parse_ids(const weir_cli *cli, weir_state *st, touched *t,
                     int64_t *ids)
{
    for (int i = 0; i < cli->nargs; i++) {
        long long id;
        if (weir_cli_record_id(cli->args[i], &id)) {
            fprintf(stderr, "weir resend: '%s' is not a valid record id\n",
                    cli->args[i]);
            return WEIR_EXIT_USAGE;
        }
        char *pipeline = weir_state_outbox_pipeline(st, id);
        if (!pipeline) {
            fprintf(stderr, "weir resend: no record #%lld in %s\n", id,
                    weir_state_path(st));
            return WEIR_EXIT_FAILED;
        }
        int bad = touch(t, st, pipeline);
        free(pipeline);
        if (bad)
            return WEIR_EXIT_ABORTED;
        ids[i] = id;
    }
    return WEIR_EXIT_OK;
}

static int run_resend(weir_cli *cli)
{
    if ((cli->nargs == 0) == !(cli->pipeline && cli->failed)) {
        fprintf(stderr, "usage: weir resend ID... | --pipeline P --failed\n");
        return WEIR_EXIT_USAGE;
    }
    weir_state *st = weir_cli_open_state(cli, NULL, 1);
    if (!st)
        return WEIR_EXIT_ABORTED;
    weir_plugins *reg = weir_cli_plugins(cli);
    touched t = {NULL, NULL, 0};
    int64_t *ids = calloc((size_t)cli->nargs + 1, sizeof(*ids));
    int rc = reg && ids ? parse_ids(cli, st, &t, ids) : WEIR_EXIT_USAGE;
    if (rc == WEIR_EXIT_OK && cli->pipeline && touch(&t, st, cli->pipeline))
        rc = WEIR_EXIT_ABORTED;
    /* Lock first: a live run must not be overtaken by what we put back. */
    for (int i = 0; rc == WEIR_EXIT_OK && i < t.n; i++) {
        long holder = 0;
        if (weir_state_lock_pipeline(st, t.names[i], &holder) != 0) {
            weir_log(WEIR_LOG_ERROR, "pipeline '%s' is being run by another "
                     "weir process; nothing was changed", t.names[i]);
            rc = WEIR_EXIT_ABORTED;
        }
    }
    int64_t total = 0;
    for (int i = 0; rc == WEIR_EXIT_OK && i < cli->nargs; i++) {
        int64_t n = weir_state_outbox_resend(st, ids[i], NULL);
        if (n < 0)
            rc = WEIR_EXIT_ABORTED;
        else if (n == 0)
            weir_log(WEIR_LOG_WARNING, "record #%lld is not failed; left as "
                     "it is", (long long)ids[i]);
        total += n > 0 ? n : 0;
    }
    if (rc == WEIR_EXIT_OK && cli->pipeline) {
        int64_t n = weir_state_outbox_resend(st, 0, cli->pipeline);
        if (n < 0)
            rc = WEIR_EXIT_ABORTED;
        total += n > 0 ? n : 0;
    }
    if (rc == WEIR_EXIT_OK) {
        if (!cli->quiet && !cli->json)
            printf("%lld record%s back to pending\n", (long long)total,
                   total == 1 ? "" : "s");
        rc = weir_cli_drain(cli, st, reg, t.files, t.n);
    }
    for (int i = 0; i < t.n; i++) {
        weir_state_unlock_pipeline(st, t.names[i]);
        free(t.names[i]);
        free(t.files[i]);
    }
    free(t.names);
    free(t.files);
    free(ids);
    weir_plugins_free(reg);
    weir_state_close(st);
    return rc;
}

const weir_command weir_cmd_resend = {
    .name = "resend",
    .synopsis = "ID... | --pipeline P --failed",
    .summary = "failed records back to pending, then deliver them",
    .help = "Puts the failed records given by id (or every failed record of\n"
            "pipeline P) back to pending with their attempts reset, then\n"
            "delivers them as drain would, in order.  Use it after fixing the\n"
            "setup in the target (the terms code the ERP did not know).\n"
            "Exit status as for run.\n",
    .flags = CLI_FAILED,
    .min_args = 0,
    .max_args = -1,
    .run = run_resend,
};
