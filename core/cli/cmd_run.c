/* cmd_run.c - `weir run FILE.xml`: one run and its summary. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "cli/cli.h"
#include "cli/summary.h"
#include "engine/engine.h"
#include "engine/run_history.h"
#include "pipeline/pipeline.h"
#include "plugin/plugins.h"

/* On a terminal: the run's phase, how far it is, and its wall time. */
static void show_progress(const weir_progress *p, void *ctx)
{
    (void)ctx;
    if (p->final)
        fprintf(stderr, "\r\033[K");
    else if (p->total)
        fprintf(stderr, "\r\033[K%s: %s %llu of %llu changes, %.0f s",
                p->pipeline, p->phase, (unsigned long long)p->done,
                (unsigned long long)p->total, p->seconds);
    else
        fprintf(stderr, "\r\033[K%s: %s: %llu rows, %.0f rows/s, %.0f s",
                p->pipeline, p->phase, (unsigned long long)p->done,
                p->seconds > 0 ? (double)p->done / p->seconds : 0.0,
                p->seconds);
    fflush(stderr);
}

/* --dry-run -v: the keys that would be sent. */
static void show_key(const char *op, const char *key, void *ctx)
{
    (void)ctx;
    printf("%s %s\n", op, key);
}

static int run_run(weir_cli *cli)
{
    const char *file = cli->args[0];
    weir_plugins *reg = weir_cli_plugins(cli);
    if (!reg)
        return WEIR_EXIT_USAGE;
    int rc = WEIR_EXIT_USAGE;
    weir_state *st = NULL;
    weir_run_result res;
    memset(&res, 0, sizeof(res));
    weir_pipeline *p = weir_cli_load(reg, file);
    if (!p)
        goto out;
    rc = WEIR_EXIT_ABORTED;
    /* A dry run changes nothing: it reads the state only when there is one. */
    char *path = weir_cli_state_path(cli, file);
    int have_state = path && access(path, F_OK) == 0;
    free(path);
    if (!cli->dry_run || have_state) {
        if (!(st = weir_cli_open_state(cli, file, 0)))
            goto out;
    }
    weir_run_history record = {file, cli->full ? "full" : "run", 0};
    weir_run_options opts = {
        .full = cli->full,
        .dry_run = cli->dry_run,
        .force = cli->force,
        .progress = !cli->quiet && !cli->json && isatty(STDERR_FILENO)
                        ? show_progress
                        : NULL,
        .would_send = cli->dry_run && cli->verbose ? show_key : NULL,
        .started = cli->dry_run ? NULL : weir_run_history_started,
        .started_ctx = &record,
    };
    weir_run *run = weir_run_new(p, st, &weir_cli_stop_requested);
    if (!run) {
        weir_error_set(&res.error, WEIR_ERR_NOMEM, "out of memory");
        goto out;
    }
    weir_cli_catch_signals();
    rc = weir_cli_exit_code(weir_engine_run(run, &opts, &res));
    weir_run_free(run);
    if (res.error.cls != WEIR_ERR_NONE)
        weir_log(WEIR_LOG_ERROR, "%s: %s", p->name,
                 weir_error_message(&res.error));
    weir_run_history_end(st, &record, &res);
out:
    weir_summary_print(cli, p ? p->name : file, &res, rc);
    weir_error_clear(&res.error);
    weir_state_close(st);
    weir_pipeline_unref(p);
    weir_plugins_free(reg);
    return rc;
}

const weir_command weir_cmd_run = {
    .name = "run",
    .synopsis = "FILE.xml [--full] [--dry-run] [--force]",
    .summary = "run a pipeline once: extract, transform, track, deliver",
    .help = "Reads the source, passes every record through the transforms and\n"
            "<track>, delivers it to each sink (what a sink does not\n"
            "acknowledge waits in the outbox), then delivers what else is due,\n"
            "and prints a one-line summary.  Never waits for a down endpoint:\n"
            "its records are held and counted.  On a terminal a long run\n"
            "shows its progress (rows, rows/s).\n"
            "  --full     re-send every record (a full refresh)\n"
            "  --dry-run  read, transform and compare; send and change nothing\n"
            "             (-v lists the keys that would be sent)\n"
            "  --force    run even when the delete guard (max-delete) refuses\n"
            "Exit status: 0 everything delivered, held or waiting for a retry;\n"
            "1 some records failed (rejected, or out of attempts); 2 bad usage\n"
            "or an invalid pipeline (nothing run); 3 the run could not\n"
            "complete: refused before it started (state database unusable,\n"
            "pipeline already running, a plugin could not open) or, with\n"
            "<track>, while reading the source or by the delete guard: nothing\n"
            "was changed; stopped later (interrupted, disk full): what was\n"
            "delivered is recorded, the rest waits in the outbox, nothing is\n"
            "lost or sent twice.\n",
    .flags = CLI_FULL | CLI_DRY_RUN | CLI_FORCE,
    .min_args = 1,
    .max_args = 1,
    .run = run_run,
};
