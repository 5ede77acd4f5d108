/* run_history.c - a run's row in the state's history (run_history.h). */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "engine/run_history.h"
#include "engine/sink_identity.h"

/* Remember the pipeline's file by its absolute path; say so when the
 * name moves. */
static int remember(weir_state *st, const weir_pipeline *p, const char *file)
{
    char abs[PATH_MAX];
    const char *path = realpath(file, abs) ? abs : file;
    char *before = NULL;
    if (weir_state_pipeline_file(st, p->name, &before) < 0)
        return -1;
    if (before && strcmp(before, path) != 0)
        weir_log(WEIR_LOG_WARNING, "pipeline '%s' was last run from %s; its "
                 "state (snapshot, outbox) continues from %s",
                 p->name, before, path);
    free(before);
    return weir_state_remember_pipeline(st, p->name, path, p->type);
}

int weir_run_history_started(weir_pipeline *p, weir_state *st, void *ctx)
{
    weir_run_history *h = ctx;
    char *why = NULL;
    int changed = weir_sink_identity_check(st, p, &why);
    if (changed > 0)
        weir_log(WEIR_LOG_WARNING, "%s: %s; this run delivers them to the "
                 "sink as it is now", p->name, why);
    free(why);
    if (changed < 0 || remember(st, p, h->file) ||
        weir_sink_identity_record(st, p) ||
        (h->run = weir_state_run_begin(st, p->name, h->kind)) < 0) {
        weir_log(WEIR_LOG_ERROR, "cannot record the run: "
                 "%s", weir_error_message(weir_state_error(st)));
        h->run = 0;
        return -1;
    }
    return 0;
}

void weir_run_history_end(weir_state *st, weir_run_history *h,
                          const weir_run_result *res)
{
    if (h->run <= 0)
        return;
    weir_state_run_end(st, h->run,
                       res->status == WEIR_RUN_OK            ? "ok"
                       : res->status == WEIR_RUN_SOME_FAILED ? "failed"
                                                             : "error",
                       &res->counts,
                       res->error.cls != WEIR_ERR_NONE
                           ? weir_error_message(&res->error)
                           : NULL);
}
