/* cmd_run.c - `weir run FILE.xml`: one run and its summary. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "engine.h"
#include "log.h"
#include "pipeline.h"

static void print_summary(const weir_cli *cli, const weir_pipeline *p,
                          const weir_run_result *r)
{
    const weir_run_counts *c = &r->counts;
    if (cli->json) {
        json_t *o = json_pack(
            "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:i, s:b, s:s?}",
            "pipeline", p->name, "read", (json_int_t)c->read, "written",
            (json_int_t)c->written, "rejected", (json_int_t)c->rejected,
            "dropped", (json_int_t)c->dropped, "held", (json_int_t)c->held,
            "not_delivered", (json_int_t)c->retry, "seconds", r->seconds,
            "exit_code", r->exit_code, "dry_run", cli->dry_run, "error",
            r->error);
        json_dumpf(o, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(o);
        return;
    }
    if (cli->quiet && r->exit_code == 0)
        return;
    printf("%s: %s%llu read, %llu %s, %llu rejected, %llu dropped",
           p->name, cli->dry_run ? "dry run: " : "",
           (unsigned long long)c->read, (unsigned long long)c->written,
           cli->dry_run ? "would be sent" : "written",
           (unsigned long long)c->rejected, (unsigned long long)c->dropped);
    if (c->held)
        printf(", %llu held", (unsigned long long)c->held);
    if (c->retry)
        printf(", %llu not delivered", (unsigned long long)c->retry);
    printf(" in %.2f s\n", r->seconds);
}

static int run_run(weir_cli *cli)
{
    const char *file = cli->args[0];
    weir_plugins *reg = weir_cli_plugins(cli);
    if (!reg)
        return WEIR_EXIT_USAGE;
    int rc = WEIR_EXIT_USAGE;
    weir_diag *diag = weir_diag_new();
    weir_pipeline *p = weir_pipeline_load(file, reg, diag);
    weir_state *st = NULL;
    char *state_path = NULL;
    if (!p || weir_diag_count(diag)) {
        weir_diag_print(diag, stderr);
        fprintf(stderr, "weir: %s is not a valid pipeline; nothing was run\n",
                file);
        goto out;
    }
    p->diag = NULL;
    if (!cli->dry_run) {
        char *err = NULL;
        state_path = weir_cli_state_path(cli, file);
        st = state_path ? weir_state_open(state_path, &err) : NULL;
        if (!st) {
            weir_log(WEIR_LOG_ERROR, "%s", err ? err : "out of memory");
            free(err);
            rc = WEIR_EXIT_ABORTED;
            goto out;
        }
        weir_state_remember_pipeline(st, p->name, file, p->type);
    }
    weir_run_options opts = {
        .full = cli->full,
        .dry_run = cli->dry_run,
        .force = cli->force,
        .progress = !cli->quiet && !cli->json && isatty(STDERR_FILENO),
    };
    int64_t run = st ? weir_state_run_begin(st, p->name, cli->full ? "full"
                                                                   : "run")
                     : 0;
    weir_run_result res;
    rc = weir_engine_run(p, st, &opts, &res);
    if (res.error)
        weir_log(WEIR_LOG_ERROR, "%s: %s", p->name, res.error);
    if (st && run > 0)
        weir_state_run_end(st, run,
                           rc == 0 ? "ok" : rc == 1 ? "failed" : "error",
                           &res.counts, res.error);
    print_summary(cli, p, &res);
    free(res.error);
out:
    weir_state_close(st);
    free(state_path);
    weir_pipeline_free(p);
    weir_diag_free(diag);
    weir_plugins_free(reg);
    return rc;
}

const weir_command weir_cmd_run = {
    .name = "run",
    .synopsis = "FILE.xml [--full] [--dry-run] [--force]",
    .summary = "run a pipeline once: extract, transform, deliver",
    .help = "Reads the source, passes every record through the transforms and\n"
            "delivers it to each sink, then prints a one-line summary.  On a\n"
            "terminal a long run shows its progress (rows, rows/s).\n"
            "  --full     re-send every record (change-tracking)\n"
            "  --dry-run  read and transform, send nothing, change nothing\n"
            "  --force    run even when the delete guard would refuse\n"
            "Exit status: 0 everything delivered; 1 some records failed\n"
            "(rejected, or not delivered); 2 bad usage or an invalid pipeline;\n"
            "3 the run could not complete (source unreadable, state database\n"
            "corrupt, locked or read-only).\n",
    .flags = CLI_FULL | CLI_DRY_RUN | CLI_FORCE,
    .min_args = 1,
    .max_args = 1,
    .run = run_run,
};
