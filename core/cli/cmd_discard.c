/* cmd_discard.c - `weir discard`: failed or held records that must not be
 * sent (the admin captured the order in the ERP by hand) end as
 * discarded, kept in history, and no longer hold up their key. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "cli/cli.h"
#include "cli/cli_select.h"
#include "store/state.h"

typedef struct discard_ctx {
    int refused; /* ids that were not failed or held */
} discard_ctx;

static int64_t discard(weir_state *st, const weir_outbox_filter *f, void *ctx)
{
    (void)ctx;
    return weir_state_outbox_discard(st, f, "discarded by the admin "
                                            "(weir discard)");
}

static int status_of(const weir_outbox_row *row, void *ctx)
{
    *(weir_outbox_status *)ctx = row->status;
    return 0;
}

/* An id that was not discarded: say why, per id. */
static void refuse(weir_state *st, int64_t id, void *vctx)
{
    discard_ctx *c = vctx;
    weir_outbox_status status = WEIR_OUTBOX_NSTATUS;
    c->refused++;
    if (weir_state_outbox_get(st, id, status_of, NULL, &status) != 0 ||
        status == WEIR_OUTBOX_NSTATUS) {
        weir_log(WEIR_LOG_ERROR, "record #%lld: cannot be read; left as it is",
                 (long long)id);
        return;
    }
    weir_log(WEIR_LOG_ERROR, "record #%lld is %s, not failed or held: only "
             "those can be discarded; left as it is", (long long)id,
             weir_outbox_status_name(status));
}

static int run_discard(weir_cli *cli)
{
    weir_selection sel;
    weir_state *st;
    int rc = weir_selection_begin(cli, &sel, &st);
    discard_ctx c = {0};
    if (rc == WEIR_EXIT_OK) {
        int64_t total = weir_selection_apply(&sel, st, 1, discard, refuse, &c);
        if (total < 0) {
            weir_log(WEIR_LOG_ERROR, "%s; nothing more "
                     "was discarded", weir_error_message(weir_state_error(st)));
            rc = WEIR_EXIT_ABORTED;
        } else {
            if (!cli->quiet)
                printf("%lld record%s discarded\n", (long long)total,
                       total == 1 ? "" : "s");
            rc = c.refused ? WEIR_EXIT_FAILED : WEIR_EXIT_OK;
        }
    }
    weir_selection_release(st, &sel);
    weir_state_close(st);
    return rc;
}

const weir_command weir_cmd_discard = {
    .name = "discard",
    .synopsis = WEIR_SELECTION_SYNOPSIS,
    .summary = "failed or held records that must not be sent: discarded",
    .help = "Marks records that must never be sent as discarded (the order\n"
            "was captured in the ERP by hand).  They stay in the\n"
            "history (weir show), leave weir monitor, and no longer hold up\n"
            "later records of their key, which go with the next run or\n"
            "drain.  Nothing is sent.\n"
            "  ID...            these records (failed or held; any other\n"
            "                   status is refused, per id)\n"
            "  --pipeline P --failed\n"
            "                   every failed record of pipeline P, or one\n"
            "                   group of weir monitor, narrowed by:\n"
            "  --sink S         records of sink S\n"
            "  --type T         records of type T\n"
            "  --error TEXT     records whose error is exactly TEXT, as weir\n"
            "                   monitor prints it (one error class)\n"
            "Exit status: 0 discarded; 1 an id not failed or held (the\n"
            "others are discarded) or unknown (nothing is); 2 bad usage; 3\n"
            "the state database is unusable or a pipeline concerned is being\n"
            "run (nothing was changed).\n",
    .flags = CLI_FAILED,
    .min_args = 0,
    .max_args = -1,
    .run = run_discard,
};
