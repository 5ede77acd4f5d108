/* cmd_show.c - `weir show ID`: one record, its payload and its history. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "engine/track.h"
#include "store/state.h"

typedef struct show_ctx {
    const weir_cli *cli;
    json_t *doc;
    json_t *attempts;
} show_ctx;

static int on_row(const weir_outbox_row *row, void *vctx)
{
    show_ctx *c = vctx;
    char created[32], updated[32], next[32] = "";
    weir_clock_iso(row->created, created, sizeof(created));
    weir_clock_iso(row->updated, updated, sizeof(updated));
    /* a held record is asked again at its retry pace (a sink's hold) */
    if ((row->status == WEIR_OUTBOX_RETRY || row->status == WEIR_OUTBOX_HELD) &&
        row->next_attempt > 0)
        weir_clock_iso(row->next_attempt, next, sizeof(next));
    char *key = row->key ? weir_key_display(row->key) : NULL;
    json_error_t err;
    json_t *payload = json_loads(row->payload, JSON_ALLOW_NUL, &err);
    if (c->doc) {
        json_object_set_new(c->doc, "id", json_integer((json_int_t)row->id));
        json_object_set_new(c->doc, "pipeline", json_string(row->pipeline));
        json_object_set_new(c->doc, "sink", json_string(row->sink));
        json_object_set_new(c->doc, "key", key ? json_string(key) : json_null());
        json_object_set_new(c->doc, "op", json_string(row->op));
        json_object_set_new(c->doc, "type", row->type ? json_string(row->type) : json_null());
        json_object_set_new(c->doc, "status", json_string(weir_outbox_status_name(row->status)));
        json_object_set_new(c->doc, "attempts", json_integer(row->attempts));
        json_object_set_new(c->doc, "next_attempt", next[0] ? json_string(next) : json_null());
        json_object_set_new(c->doc, "error", row->error ? json_string(row->error) : json_null());
        json_object_set_new(c->doc, "held_by", row->held_by ? json_string(row->held_by) : json_null());
        json_object_set_new(c->doc, "idempotency_key", json_string(row->idem));
        json_object_set_new(c->doc, "held_by",
                            row->status == WEIR_OUTBOX_HELD && row->held_by
                                ? json_string(row->held_by)
                                : json_null());
        json_object_set_new(c->doc, "reenters_at", row->stage ? json_string(row->stage) : json_null());
        json_object_set_new(c->doc, "waits_for", row->wait_key ? json_string(row->wait_key) : json_null());
        json_object_set_new(c->doc, "assigned_id", row->assigned_id ? json_string(row->assigned_id) : json_null());
        json_object_set_new(c->doc, "created", json_string(created));
        json_object_set_new(c->doc, "updated", json_string(updated));
        json_object_set_new(c->doc, "payload", payload ? payload : json_null());
        json_t *changes = row->changes ? json_loads(row->changes, JSON_ALLOW_NUL, &err) : NULL;
        json_object_set_new(c->doc, "changes", changes ? changes : json_null());
        json_object_set_new(c->doc, "resent", row->resent ? json_string(row->resent) : json_null());
        free(key);
        return 0;
    }
    printf("record #%lld  %s / %s\n", (long long)row->id, row->pipeline,
           row->sink);
    printf("  key:        %s\n  operation:  %s\n  type:       %s\n", key ? key : "-",
           row->op, row->type ? row->type : "-");
    printf("  status:     %s (%d attempt%s)%s%s\n",
           weir_outbox_status_name(row->status), row->attempts,
           row->attempts == 1 ? "" : "s", next[0] ? ", next " : "", next);
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
           created, updated);
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
                      void *vctx)
{
    show_ctx *c = vctx;
    if (c->attempts) {
        json_array_append_new(c->attempts,
                              json_pack("{s:s, s:s, s:o}", "at", at, "result",
                                        result, "message",
                                        message ? json_string(message)
                                                : json_null()));
        return 0;
    }
    printf("  %s  %-8s %s\n", at, result, message ? message : "");
    return 0;
}

static int run_show(weir_cli *cli)
{
    long long id;
    if (weir_cli_record_id(cli->args[0], &id)) {
        fprintf(stderr, "weir show: '%s' is not a valid record id (see weir "
                        "monitor --records)\n", cli->args[0]);
        return WEIR_EXIT_USAGE;
    }
    weir_state *st = weir_cli_open_state(cli, NULL, WEIR_CLI_STATE_READ);
    if (!st)
        return WEIR_EXIT_ABORTED;
    show_ctx c = {cli, cli->json ? json_object() : NULL,
                  cli->json ? json_array() : NULL};
    int rc = weir_state_outbox_get(st, id, on_row, on_attempt, &c);
    if (rc == 0 && c.doc) {
        json_object_set(c.doc, "history", c.attempts);
        json_dumpf(c.doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    }
    if (rc == 1)
        fprintf(stderr, "weir show: no record #%lld in %s\n", id,
                weir_state_path(st));
    json_decref(c.doc);
    json_decref(c.attempts);
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
