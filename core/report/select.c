/* select.c - see select.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report/select.h"

/* Add `pipeline` to the pipelines concerned (once), with the file the
 * state remembers for it. */
static weir_selection_status touch(weir_selection *sel, weir_state *st,
                                   const char *pipeline, weir_error *err)
{
    for (int i = 0; i < sel->n; i++)
        if (strcmp(sel->names[i], pipeline) == 0)
            return WEIR_SELECTION_OK;
    char *file = NULL;
    int known = weir_state_pipeline_file(st, pipeline, &file);
    if (known != 0 || !file) {
        free(file);
        if (known < 0) {
            const weir_error *e = weir_state_error(st);
            weir_error_set(err, e->cls, "%s", weir_error_message(e));
            return WEIR_SELECTION_ERROR;
        }
        weir_error_set(err, WEIR_ERR_USAGE, "pipeline '%s' is not known to "
                       "%s", pipeline, weir_state_path(st));
        return WEIR_SELECTION_UNKNOWN;
    }
    char *name = strdup(pipeline);
    char **names = realloc(sel->names, (size_t)(sel->n + 1) * sizeof(*names));
    if (names)
        sel->names = names;
    char **files = realloc(sel->files, (size_t)(sel->n + 1) * sizeof(*files));
    if (files)
        sel->files = files;
    if (!name || !names || !files) {
        free(name);
        free(file);
        weir_error_set(err, WEIR_ERR_NOMEM, "out of memory");
        return WEIR_SELECTION_ERROR;
    }
    sel->names[sel->n] = name;
    sel->files[sel->n++] = file;
    return WEIR_SELECTION_OK;
}

weir_selection_status weir_selection_lock(weir_state *st, weir_selection *sel,
                                          weir_error *err)
{
    weir_selection_status rc = WEIR_SELECTION_OK;
    for (int i = 0; rc == WEIR_SELECTION_OK && i < sel->nids; i++) {
        char *pipeline = weir_state_outbox_pipeline(st, sel->ids[i]);
        if (!pipeline) {
            weir_error_set(err, WEIR_ERR_USAGE, "no record #%lld in %s",
                           (long long)sel->ids[i], weir_state_path(st));
            return WEIR_SELECTION_NO_RECORD;
        }
        rc = touch(sel, st, pipeline, err);
        free(pipeline);
    }
    if (rc == WEIR_SELECTION_OK && sel->group.pipeline)
        rc = touch(sel, st, sel->group.pipeline, err);
    /* Lock first: a live run must not be overtaken by what changes. */
    while (rc == WEIR_SELECTION_OK && sel->locked < sel->n) {
        long holder = 0;
        const char *name = sel->names[sel->locked];
        if (weir_state_lock_pipeline(st, name, &holder) != 0) {
            weir_error_set(err, WEIR_ERR_BUSY, "pipeline '%s' is being run "
                           "by another weir process; nothing was changed",
                           name);
            rc = WEIR_SELECTION_BUSY;
        } else {
            sel->locked++;
        }
    }
    return rc;
}

int64_t weir_selection_apply(weir_selection *sel, weir_state *st, int held,
                             int64_t (*change)(weir_state *st,
                                               const weir_outbox_filter *f,
                                               void *ctx),
                             void (*unchanged)(weir_state *st, int64_t id,
                                               void *ctx),
                             void *ctx)
{
    int64_t total = 0;
    for (int i = 0; i < sel->nids; i++) {
        weir_outbox_filter f = {.id = sel->ids[i], .held = held};
        int64_t n = change(st, &f, ctx);
        if (n < 0)
            return -1;
        if (n == 0 && unchanged)
            unchanged(st, sel->ids[i], ctx);
        total += n;
    }
    if (sel->group.pipeline) {
        int64_t n = change(st, &sel->group, ctx);
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}

int64_t weir_selection_resend(weir_state *st, const weir_outbox_filter *f,
                              void *ctx)
{
    (void)ctx;
    return weir_state_outbox_resend(st, f);
}

void weir_selection_release(weir_state *st, weir_selection *sel)
{
    for (int i = 0; i < sel->n; i++) {
        if (i < sel->locked)
            weir_state_unlock_pipeline(st, sel->names[i]);
        free(sel->names[i]);
        free(sel->files[i]);
    }
    free(sel->names);
    free(sel->files);
    free(sel->ids);
    memset(sel, 0, sizeof(*sel));
}
