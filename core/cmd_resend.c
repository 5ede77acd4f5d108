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

/* The distinct pipelines touched, as files for weir_cli_drain. */
typedef struct touched {
    char **files;
    int n;
} touched;

static void touch(touched *t, weir_state *st, const char *pipeline)
{
    char *file = weir_state_pipeline_file(st, pipeline);
    if (!file)
        return;
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->files[i], file) == 0) {
            free(file);
            return;
        }
    char **g = realloc(t->files, (size_t)(t->n + 1) * sizeof(*g));
    if (!g) {
        free(file);
        return;
    }
    t->files = g;
    t->files[t->n++] = file;
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
    touched t = {NULL, 0};
    int rc = reg ? WEIR_EXIT_OK : WEIR_EXIT_USAGE;
    int64_t total = 0;
    for (int i = 0; rc == WEIR_EXIT_OK && i < cli->nargs; i++) {
        char *end, *pipeline = NULL;
        long long id = strtoll(cli->args[i], &end, 10);
        if (!*cli->args[i] || *end || id <= 0) {
            fprintf(stderr, "weir resend: '%s' is not a record id\n", cli->args[i]);
            rc = WEIR_EXIT_USAGE;
            break;
        }
        int64_t n = weir_state_outbox_resend(st, id, NULL, &pipeline);
        if (n < 0) {
            rc = WEIR_EXIT_ABORTED;
        } else if (!pipeline) {
            fprintf(stderr, "weir resend: no record #%lld\n", id);
            rc = WEIR_EXIT_FAILED;
        } else {
            if (n == 0)
                weir_log(WEIR_LOG_WARNING, "record #%lld is not failed; left "
                         "as it is", id);
            total += n;
            touch(&t, st, pipeline);
        }
        free(pipeline);
    }
    if (rc == WEIR_EXIT_OK && cli->pipeline) {
        int64_t n = weir_state_outbox_resend(st, 0, cli->pipeline, NULL);
        if (n < 0)
            rc = WEIR_EXIT_ABORTED;
        total += n > 0 ? n : 0;
        touch(&t, st, cli->pipeline);
    }
    if (rc == WEIR_EXIT_OK) {
        if (!cli->quiet && !cli->json)
            printf("%lld record%s back to pending\n", (long long)total,
                   total == 1 ? "" : "s");
        if (t.n)
            rc = weir_cli_drain(cli, st, reg, t.files, t.n);
    }
    for (int i = 0; i < t.n; i++)
        free(t.files[i]);
    free(t.files);
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
            "setup in the target (seed 002: a missing terms code).\n"
            "Exit status as for run.\n",
    .flags = CLI_FAILED,
    .min_args = 0,
    .max_args = -1,
    .run = run_resend,
};
