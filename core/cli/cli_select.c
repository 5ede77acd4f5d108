/* cli_select.c - see cli_select.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cli/cli_select.h"
#include "report/record.h"

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
        sel->group = (weir_outbox_filter){
            .pipeline = cli->pipeline, .sink = cli->sink,
            /* --type -: the group without a type, as monitor shows it */
            .type = cli->type && strcmp(cli->type, "-") != 0 ? cli->type
                                                             : NULL,
            .untyped = cli->type && strcmp(cli->type, "-") == 0,
            .error = cli->error};
    if (!(sel->ids = calloc((size_t)cli->nargs + 1, sizeof(*sel->ids))))
        return WEIR_EXIT_ABORTED;
    for (int i = 0; i < cli->nargs; i++) {
        if (weir_report_record_id(cli->args[i], &sel->ids[sel->nids])) {
            fprintf(stderr, "weir %s: '%s' is not a valid record id (see weir "
                    "monitor --records)\n", cli->command, cli->args[i]);
            return WEIR_EXIT_USAGE;
        }
        sel->nids++;
    }
    return WEIR_EXIT_OK;
}

/* The pipelines concerned, locked; an exit code after saying why. */
static int lock(const weir_cli *cli, weir_state *st, weir_selection *sel)
{
    weir_error err = {0};
    weir_selection_status rc = weir_selection_lock(st, sel, &err);
    if (rc == WEIR_SELECTION_NO_RECORD)
        fprintf(stderr, "weir %s: %s\n", cli->command,
                weir_error_message(&err));
    else if (rc != WEIR_SELECTION_OK)
        weir_log(WEIR_LOG_ERROR, "%s", weir_error_message(&err));
    weir_error_clear(&err);
    return rc == WEIR_SELECTION_OK          ? WEIR_EXIT_OK
           : rc == WEIR_SELECTION_NO_RECORD ? WEIR_EXIT_FAILED
                                            : WEIR_EXIT_ABORTED;
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
