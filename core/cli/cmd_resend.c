/* cmd_resend.c - `weir resend`: failed records back to pending, then sent
 * as drain would (the admin fixed the setup in the ERP and presses
 * resend). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "cli/cli.h"
#include "cli/cli_select.h"
#include "plugin/plugins.h"
#include "store/state.h"

static void not_failed(weir_state *st, int64_t id, void *ctx)
{
    (void)st;
    (void)ctx;
    weir_log(WEIR_LOG_WARNING, "record #%lld is not failed or held; left as "
             "it is",
             (long long)id);
}

typedef struct resend_ctx {
    const weir_cli *cli;
    weir_state *st;
    weir_selection *sel;
} resend_ctx;

/* Once the pipeline files are loaded and their sinks checked: the
 * records back to pending. */
static int put_back(void *vctx)
{
    resend_ctx *c = vctx;
    /* a record given by id may be held too: resending it releases it
     * (one a transform holds re-enters there) */
    int64_t total = weir_selection_apply(c->sel, c->st, 1,
                                         weir_selection_resend, not_failed,
                                         NULL);
    if (total < 0) {
        weir_log(WEIR_LOG_ERROR, "%s",
                 weir_error_message(weir_state_error(c->st)));
        return WEIR_EXIT_ABORTED;
    }
    if (!c->cli->quiet && !c->cli->json)
        printf("%lld record%s back to pending\n", (long long)total,
               total == 1 ? "" : "s");
    return WEIR_EXIT_OK;
}

static int run_resend(weir_cli *cli)
{
    weir_selection sel;
    weir_state *st;
    int rc = weir_selection_begin(cli, &sel, &st);
    weir_plugins *reg = rc == WEIR_EXIT_OK ? weir_cli_plugins(cli) : NULL;
    if (rc == WEIR_EXIT_OK && !reg)
        rc = WEIR_EXIT_USAGE;
    if (rc == WEIR_EXIT_OK) {
        resend_ctx c = {cli, st, &sel};
        rc = weir_cli_drain(cli, st, reg, sel.files, sel.n, put_back, &c);
    }
    weir_selection_release(st, &sel);
    weir_plugins_free(reg);
    weir_state_close(st);
    return rc;
}

const weir_command weir_cmd_resend = {
    .name = "resend",
    .synopsis = WEIR_SELECTION_SYNOPSIS,
    .summary = "failed records back to pending, then deliver them",
    .help = "Puts failed records back to pending with their attempts reset,\n"
            "then delivers them as drain would, in order.  Use it after\n"
            "fixing the setup in the target (the terms code the ERP did not\n"
            "know).\n"
            "  ID...            these records (failed or held: a record a\n"
            "                   transform holds is released and re-enters\n"
            "                   the pipeline at that transform)\n"
            "  --pipeline P --failed\n"
            "                   every failed record of pipeline P, or one\n"
            "                   group of weir monitor, narrowed by:\n"
            "  --sink S         records of sink S\n"
            "  --type T         records of type T\n"
            "  --error TEXT     records whose error is exactly TEXT, as weir\n"
            "                   monitor prints it (one error class)\n"
            "The idempotency id of each record stays the same.\n"
            "Exit status as for run.\n",
    .flags = CLI_FAILED,
    .min_args = 0,
    .max_args = -1,
    .run = run_resend,
};
