/* cmd_show.c - `weir show ID`: one record, its payload and its history. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "engine/track.h"
#include "report/record.h"
#include "store/state.h"

/* The record as text (--json: report/record.c). */
static int on_row(const weir_outbox_row *row, void *ctx)
{
    (void)ctx;
    weir_report_times t;
    weir_report_record_times(row, &t);
    char *key = row->key ? weir_key_display(row->key) : NULL;
    json_t *payload = json_loads(row->payload, JSON_ALLOW_NUL, NULL);
    printf("record #%lld  %s / %s\n", (long long)row->id, row->pipeline,
           row->sink);
    printf("  key:        %s\n  operation:  %s\n  type:       %s\n", key ? key : "-",
           row->op, row->type ? row->type : "-");
    printf("  status:     %s (%d attempt%s)%s%s\n",
           weir_outbox_status_name(row->status), row->attempts,
           row->attempts == 1 ? "" : "s", t.next[0] ? ", next " : "", t.next);
    if (row->error)
        printf("  error:      %s\n", row->error);
    if (row->status == WEIR_OUTBOX_HELD && row->stage &&
        row->held_by && strcmp(row->held_by, row->stage) == 0)
        printf("  held by:    transform '%s'\n", row->held_by);
    else if (row->status == WEIR_OUTBOX_HELD && row->held_by)
        printf("  held by:    sink '%s'\n", row->held_by);
    if (row->wait_key)
        printf("  waits for:  %s\n", row->wait_key);
    if (row->stage)
        printf("  re-enters:  at transform '%s' (its payload is the record "
               "as it reached it)\n", row->stage);
    if (row->assigned_id)
        printf("  target id:  %s\n", row->assigned_id);
    printf("  id:         %s\n  created:    %s\n  updated:    %s\n", row->idem,
           t.created, t.updated);
    if (row->origin > 0)
        printf("  source row: %ld\n", row->origin);
    weir_cli_print_changes("  changed:    ", row->changes, row->resent);
    char *text = payload ? json_dumps(payload, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
                         : NULL;
    printf("  payload:\n%s\n  attempts:\n", text ? text : row->payload);
    free(text);
    json_decref(payload);
    free(key);
    return 0;
}

static int on_attempt(const char *at, const char *result, const char *message,
                      void *ctx)
{
    (void)ctx;
    printf("  %s  %-8s %s\n", at, result, message ? message : "");
    return 0;
}

static int run_show(weir_cli *cli)
{
    int64_t id;
    if (weir_report_record_id(cli->args[0], &id)) {
        fprintf(stderr, "weir show: '%s' is not a valid record id (see weir "
                        "monitor --records)\n", cli->args[0]);
        return WEIR_EXIT_USAGE;
    }
    weir_state *st = weir_cli_open_state(cli, NULL, WEIR_CLI_STATE_READ);
    if (!st)
        return WEIR_EXIT_ABORTED;
    json_t *doc = NULL;
    int rc = cli->json ? weir_report_record(st, id, &doc)
                       : weir_state_outbox_get(st, id, on_row, on_attempt, NULL);
    if (rc == 0 && doc) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    }
    if (rc == 1)
        fprintf(stderr, "weir show: no record #%lld in %s\n", (long long)id,
                weir_state_path(st));
    json_decref(doc);
    weir_state_close(st);
    return rc == 0 ? WEIR_EXIT_OK : rc == 1 ? WEIR_EXIT_FAILED : WEIR_EXIT_ABORTED;
}

const weir_command weir_cmd_show = {
    .name = "show",
    .synopsis = "ID [--json]",
    .summary = "one outbox record: payload, status, attempt history",
    .help = "Shows record ID (from weir monitor --records): its fields, status,\n"
            "idempotency key and every attempt with the target's answer; a\n"
            "held one, what holds it and what it waits for; a delivered one,\n"
            "the id its target assigned (when the sink reported one); a\n"
            "change-tracked one, the fields that changed since the values\n"
            "last sent for its key, old -> new.\n",
    .min_args = 1,
    .max_args = 1,
    .run = run_show,
};
