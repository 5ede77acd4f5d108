/* cmd_drain.c - `weir drain`: deliver what the outbox holds that is due. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "cli/summary.h"
#include "engine/engine.h"
#include "engine/scheduler.h"
#include "engine/sink_identity.h"
#include "pipeline/pipeline.h"
#include "plugin/plugins.h"
#include "store/state.h"

typedef struct target {
    weir_pipeline *p;
    weir_run_result total;
    int refused; /* its sinks stopped being its records' */
} target;

typedef struct targets {
    target *v;
    size_t n;
    weir_plugins *reg;
    weir_state *st;
    int bad;     /* a file could not be loaded */
    int refused; /* a pipeline's sinks are not its records' any more */
} targets;

/* Deliver only where the records were meant to go: 0 when every sink
 * of `p` is still the one its waiting records were queued for, else -1
 * (said, `sent` saying whether something was sent for it already). */
static int same_targets(weir_state *st, const weir_pipeline *p, int sent)
{
    char *why = NULL;
    int rc = weir_sink_identity_check(st, p, &why);
    if (rc > 0)
        weir_log(WEIR_LOG_ERROR, "%s: %s; nothing %s sent for it.  Restore "
                 "the file, or run it (weir run %s) to send them to the "
                 "sink as it is now", p->name, why,
                 sent ? "more is" : "was", p->file);
    else if (rc < 0)
        weir_log(WEIR_LOG_ERROR, "%s: %s", p->name,
                 weir_error_message(weir_state_error(st)));
    free(why);
    return rc ? -1 : 0;
}

static int add_target(targets *t, const char *file)
{
    weir_pipeline *p = weir_cli_load(t->reg, file);
    if (!p) {
        t->bad = 1;
        return 0;
    }
    if (same_targets(t->st, p, 0) != 0) {
        weir_pipeline_unref(p);
        t->refused = 1;
        return 0;
    }
    target *g = realloc(t->v, (t->n + 1) * sizeof(*g));
    if (!g) {
        weir_pipeline_unref(p);
        return -1;
    }
    t->v = g;
    memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
    t->v[t->n++].p = p;
    return 0;
}

static int add_known(const char *name, const char *file, void *ctx)
{
    (void)name;
    return add_target(ctx, file);
}

static void add_counts(weir_run_counts *to, const weir_run_counts *c)
{
    to->written += c->written;
    to->rejected += c->rejected;
    to->held += c->held;
    to->retry += c->retry;
    to->failed += c->failed;
    to->queued += c->queued;
}

/* The scheduler's hooks: each pass's counts add up per pipeline. */
static void passed(size_t i, const weir_pipeline *p, weir_run_result *res,
                   void *ctx)
{
    target *g = &((targets *)ctx)->v[i];
    add_counts(&g->total.counts, &res->counts);
    if (res->error.cls != WEIR_ERR_NONE) {
        weir_log(WEIR_LOG_ERROR, "%s: %s", p->name,
                 weir_error_message(&res->error));
        weir_error_clear(&g->total.error);
        g->total.error = res->error; /* taken over */
        res->error = (weir_error){0};
    }
}

/* Asked before every pass, not only when the file is loaded: while
 * drain --wait sleeps, a copy of the file with another target may run on
 * the same state (weir run, weir serve) and queue records for its own
 * target.  A pipeline refused once stays left out. */
static int refused_now(size_t i, const weir_pipeline *p, void *ctx)
{
    targets *t = ctx;
    target *g = &t->v[i];
    if (!g->refused && same_targets(t->st, p, 1) != 0)
        g->refused = t->refused = 1;
    return g->refused;
}

/* drain --wait: what it waits for, once a wait is long enough to wonder. */
static void say_waiting(int64_t wait_ms, int down, void *ctx)
{
    (void)ctx;
    if (wait_ms < 1000)
        return;
    char at[32];
    weir_clock_iso(weir_clock_now_ms() + wait_ms, at, sizeof(at));
    weir_log(WEIR_LOG_INFO, "waiting %.0f s (until %s) for %s", wait_ms / 1000.0,
             at, down ? "the next probe of an endpoint that is down, or the "
                        "next retry"
                      : "the next retry that is due");
}

/* Drain the targets: once, or with --wait until nothing is due but
 * failed records.  Returns the exit code of the passes. */
static int drain_targets(const weir_cli *cli, targets *t)
{
    weir_scheduler *s = weir_scheduler_new(t->st, &weir_cli_stop_requested);
    for (size_t i = 0; s && i < t->n; i++)
        if (weir_scheduler_add(s, t->v[i].p)) {
            weir_scheduler_free(s);
            s = NULL;
        }
    if (!s) {
        weir_log(WEIR_LOG_ERROR, "out of memory");
        return WEIR_EXIT_ABORTED;
    }
    const weir_schedule_hooks hooks = {.skip = refused_now, .passed = passed,
                                       .waiting = say_waiting, .ctx = t};
    weir_run_status worst = WEIR_RUN_OK;
    weir_cli_catch_signals();
    if (weir_scheduler_drain(s, cli->wait, cli->max_wait_ms, &hooks,
                             &worst) == WEIR_SCHEDULE_GAVE_UP)
        weir_log(WEIR_LOG_WARNING, "an endpoint is still down after "
                 "--max-wait; its records stay held");
    /* A pass stops at the rows a copy queued for its target meanwhile
     * (the claims leave them): without a pass after it, say so here. */
    for (size_t i = 0; i < t->n; i++)
        refused_now(i, t->v[i].p, t);
    weir_scheduler_free(s);
    return weir_cli_exit_code(worst);
}

int weir_cli_drain(const weir_cli *cli, weir_state *st, weir_plugins *reg,
                   char **files, int n, int (*before)(void *ctx), void *ctx)
{
    targets t = {NULL, 0, reg, st, 0, 0};
    int rc = WEIR_EXIT_OK;
    if (n == 0 && weir_state_each_pipeline(st, add_known, &t) != 0)
        rc = WEIR_EXIT_ABORTED;
    for (int i = 0; i < n && rc == WEIR_EXIT_OK; i++)
        if (add_target(&t, files[i]))
            rc = WEIR_EXIT_ABORTED;
    if (t.bad && rc == WEIR_EXIT_OK)
        rc = WEIR_EXIT_USAGE;
    /* A pipeline refused is left out; the others are drained, unless
     * something must change first (resend): then nothing is. */
    if (t.refused && rc == WEIR_EXIT_OK)
        rc = before ? WEIR_EXIT_ABORTED : WEIR_EXIT_OK;
    if (before && rc == WEIR_EXIT_OK)
        rc = before(ctx);
    int64_t started = weir_clock_now_ms();
    if (rc == WEIR_EXIT_OK || rc == WEIR_EXIT_FAILED) {
        int drained = drain_targets(cli, &t);
        if (drained > rc)
            rc = drained;
    }
    int worst = t.refused ? WEIR_EXIT_ABORTED : WEIR_EXIT_OK;
    /* what the admin waited for, not only the time spent sending */
    double wall = (double)(weir_clock_now_ms() - started) / 1000.0;
    for (size_t i = 0; i < t.n; i++) {
        t.v[i].total.seconds = wall;
        int code = t.v[i].total.counts.rejected || t.v[i].total.counts.failed
                       ? WEIR_EXIT_FAILED : WEIR_EXIT_OK;
        weir_summary_print(cli, t.v[i].p->name, &t.v[i].total,
                           t.v[i].total.error.cls != WEIR_ERR_NONE
                               ? WEIR_EXIT_ABORTED
                               : code);
        weir_error_clear(&t.v[i].total.error);
        weir_pipeline_unref(t.v[i].p);
    }
    free(t.v);
    return rc > worst ? rc : worst;
}

static int run_drain(weir_cli *cli)
{
    weir_plugins *reg = weir_cli_plugins(cli);
    if (!reg)
        return WEIR_EXIT_USAGE;
    int rc = WEIR_EXIT_ABORTED;
    /* Files name their pipelines; the state comes from --state or the
     * first file's folder. */
    weir_state *st = weir_cli_open_state(cli, cli->nargs ? cli->args[0] : NULL,
                                         cli->nargs == 0);
    if (st)
        rc = weir_cli_drain(cli, st, reg, cli->args, cli->nargs, NULL, NULL);
    weir_state_close(st);
    weir_plugins_free(reg);
    return rc;
}

const weir_command weir_cmd_drain = {
    .name = "drain",
    .synopsis = "[FILE.xml...] [--wait [--max-wait D]]",
    .summary = "deliver everything due from the outbox",
    .help = "Delivers what the outbox holds for the named pipelines (or for\n"
            "every pipeline the state database knows): pending records,\n"
            "records found in flight after a crash, retries whose time has\n"
            "come, held records whose endpoint answers again.\n"
            "  --wait          keep going, sleeping until the next retry is due,\n"
            "                  until nothing but failed records is left\n"
            "  --max-wait D    with --wait: give up when an endpoint stays down\n"
            "                  longer than D (default 10m)\n"
            "Exit status as for run.\n",
    .flags = CLI_WAIT,
    .min_args = 0,
    .max_args = -1,
    .run = run_drain,
};
