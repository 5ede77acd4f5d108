/* cli_select.c - see cli_select.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cli/cli_select.h"

/* Add `pipeline` to the pipelines concerned (once), with the file the
 * state remembers for it.  0, or an exit code after saying why. */
static int touch(weir_selection *sel, weir_state *st, const char *pipeline)
{
    for (int i = 0; i < sel->n; i++)
        if (strcmp(sel->names[i], pipeline) == 0)
            return WEIR_EXIT_OK;
    char *file = NULL;
    int known = weir_state_pipeline_file(st, pipeline, &file);
    if (known != 0 || !file) {
        if (known < 0)
            weir_log(WEIR_LOG_ERROR, "%s",
                     weir_error_message(weir_state_error(st)));
        else
            weir_log(WEIR_LOG_ERROR, "pipeline '%s' is not known to %s",
                     pipeline, weir_state_path(st));
        free(file);
        return WEIR_EXIT_ABORTED;
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
        weir_log(WEIR_LOG_ERROR, "out of memory");
        return WEIR_EXIT_ABORTED;
    }
    sel->names[sel->n] = name;
    sel->files[sel->n++] = file;
    return WEIR_EXIT_OK;
}

static int usage(const weir_cli *cli, const char *why)
{
    fprintf(stderr, "weir %s: %s\nusage: weir %s %s\n", cli->command, why,
            cli->command, WEIR_SELECTION_SYNOPSIS);
    return WEIR_EXIT_USAGE;
}

static int parse(const weir_cli *cli, weir_selection *sel)
{
    memset(sel, 0, sizeof(*sel));
    int group = cli->pipeline || cli->failed || cli->sink || cli->type ||
                cli->error;
    if (cli->nargs && group)
        return usage(cli, "give record ids or a group (--pipeline P "
                          "--failed ...), not both");
    if (!cli->nargs && !(cli->pipeline && cli->failed))
        return usage(cli, group ? "a group needs both --pipeline P and "
                                  "--failed"
                                : "which records? give ids or --pipeline P "
                                  "--failed");
    if (cli->pipeline)
        sel->group = (weir_outbox_filter){.pipeline = cli->pipeline,
                                          .sink = cli->sink,
                                          .type = cli->type,
                                          .error = cli->error};
    if (!(sel->ids = calloc((size_t)cli->nargs + 1, sizeof(*sel->ids))))
        return WEIR_EXIT_ABORTED;
    for (int i = 0; i < cli->nargs; i++) {
        long long id;
        if (weir_cli_record_id(cli->args[i], &id)) {
            fprintf(stderr, "weir %s: '%s' is not a valid record id (see weir "
                    "monitor --records)\n", cli->command, cli->args[i]);
            return WEIR_EXIT_USAGE;
        }
        sel->ids[sel->nids++] = id;
    }
    return WEIR_EXIT_OK;
}

static int lock(const weir_cli *cli, weir_state *st, weir_selection *sel)
{
    int rc = WEIR_EXIT_OK;
    for (int i = 0; rc == WEIR_EXIT_OK && i < sel->nids; i++) {
        char *pipeline = weir_state_outbox_pipeline(st, sel->ids[i]);
        if (!pipeline) {
            fprintf(stderr, "weir %s: no record #%lld in %s\n", cli->command,
                    (long long)sel->ids[i], weir_state_path(st));
            return WEIR_EXIT_FAILED;
        }
        rc = touch(sel, st, pipeline);
        free(pipeline);
    }
    if (rc == WEIR_EXIT_OK && sel->group.pipeline)
        rc = touch(sel, st, sel->group.pipeline);
    /* Lock first: a live run must not be overtaken by what changes. */
    while (rc == WEIR_EXIT_OK && sel->locked < sel->n) {
        long holder = 0;
        const char *name = sel->names[sel->locked];
        if (weir_state_lock_pipeline(st, name, &holder) != 0) {
            weir_log(WEIR_LOG_ERROR, "pipeline '%s' is being run by another "
                     "weir process; nothing was changed", name);
            rc = WEIR_EXIT_ABORTED;
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

int weir_selection_begin(const weir_cli *cli, weir_selection *sel,
                         weir_state **st)
{
    *st = NULL;
    int rc = parse(cli, sel);
    if (rc == WEIR_EXIT_OK &&
        !(*st = weir_cli_open_state(cli, NULL, WEIR_CLI_STATE_MUST_EXIST)))
        rc = WEIR_EXIT_ABORTED;
    return rc == WEIR_EXIT_OK ? lock(cli, *st, sel) : rc;
}
