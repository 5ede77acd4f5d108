/* cmd_monitor.c - `weir monitor`: undelivered records, grouped (the Integration
 * Monitor: failed invoices by type and the ERP's error text). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "engine/track.h"
#include "store/state.h"

typedef struct mon_ctx {
    const weir_cli *cli;
    weir_state *st;
    json_t *groups;
    size_t shown;
} mon_ctx;

static json_t *iso_or_null(int64_t ms)
{
    char buf[32];
    return ms > 0 ? json_string(weir_clock_iso(ms, buf, sizeof(buf)))
                  : json_null();
}

static json_t *opt_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int record_json(const weir_outbox_row *row, void *ctx)
{
    json_t *arr = ctx;
    char *key = row->key ? weir_key_display(row->key) : NULL;
    json_array_append_new(
        arr, json_pack("{s:I, s:o, s:i, s:o, s:o, s:o, s:o, s:o}", "id",
                       (json_int_t)row->id, "key", opt_string(key), "attempts",
                       row->attempts, "error", opt_string(row->error),
                       "next_attempt",
                       row->status == WEIR_OUTBOX_RETRY
                           ? iso_or_null(row->next_attempt)
                           : json_null(),
                       "held_by", opt_string(row->status == WEIR_OUTBOX_HELD
                                                 ? row->held_by
                                                 : NULL),
                       "reenters_at", opt_string(row->stage), "waits_for",
                       opt_string(row->wait_key)));
    free(key);
    return 0;
}

static int record_text(const weir_outbox_row *row, void *ctx)
{
    (void)ctx;
    char *key = row->key ? weir_key_display(row->key) : NULL;
    char next[32] = "";
    if (row->status == WEIR_OUTBOX_RETRY && row->next_attempt > 0)
        weir_clock_iso(row->next_attempt, next, sizeof(next));
    printf("    #%lld  key %s  attempts %d%s%s%s%s\n", (long long)row->id,
           key ? key : "-", row->attempts, next[0] ? "  next " : "", next,
           row->wait_key ? "  waits for " : "",
           row->wait_key ? row->wait_key : "");
    free(key);
    return 0;
}

static int on_group(const weir_monitor_group *g, void *vctx)
{
    mon_ctx *c = vctx;
    c->shown++;
    if (c->groups) {
        json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:o, s:I, s:o, s:o, s:o}",
                              "pipeline", g->pipeline, "sink", g->sink, "type",
                              opt_string(g->type), "status", g->status, "error",
                              opt_string(g->error), "count",
                              (json_int_t)g->count, "oldest",
                              iso_or_null(g->oldest), "newest",
                              iso_or_null(g->newest), "held_by_transform",
                              opt_string(g->held_by));
        if (c->cli->records) {
            json_t *records = json_array();
            weir_state_monitor_records(c->st, g, record_json, records);
            json_object_set_new(o, "records", records);
        }
        json_array_append_new(c->groups, o);
        return 0;
    }
    char oldest[32], newest[32];
    weir_clock_iso(g->oldest, oldest, sizeof(oldest));
    weir_clock_iso(g->newest, newest, sizeof(newest));
    printf("%-20s %-12s %-10s %-9s %6lld  %s .. %s\n  %s\n", g->pipeline,
           g->sink, g->type ? g->type : "-", g->status, (long long)g->count,
           oldest, newest, g->error ? g->error : "(no error text)");
    if (g->held_by)
        printf("  held by transform '%s' (not sent to the sink yet)\n",
               g->held_by);
    if (c->cli->records)
        weir_state_monitor_records(c->st, g, record_text, NULL);
    return 0;
}

static int run_monitor(weir_cli *cli)
{
    if (cli->status && weir_outbox_status_parse(cli->status) < 0) {
        fprintf(stderr, "weir monitor: --status %s: one of pending, "
                        "in_flight, retry, failed, held\n", cli->status);
        return WEIR_EXIT_USAGE;
    }
    weir_state *st = weir_cli_open_state(cli, NULL, WEIR_CLI_STATE_READ);
    if (!st)
        return WEIR_EXIT_ABORTED;
    mon_ctx c = {cli, st, cli->json ? json_array() : NULL, 0};
    if (!cli->json)
        printf("%-20s %-12s %-10s %-9s %6s  %s\n", "PIPELINE", "SINK", "TYPE",
               "STATUS", "COUNT", "OLDEST .. NEWEST / ERROR");
    int rc = weir_state_monitor(st, cli->pipeline, cli->status, cli->type,
                                on_group, &c);
    if (c.groups) {
        json_t *doc = json_pack("{s:o}", "groups", c.groups);
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(doc);
    } else if (!c.shown) {
        printf("(nothing undelivered)\n");
    }
    if (rc)
        weir_log(WEIR_LOG_ERROR, "%s", weir_error_message(weir_state_error(st)));
    weir_state_close(st);
    return rc ? WEIR_EXIT_ABORTED : WEIR_EXIT_OK;
}

const weir_command weir_cmd_monitor = {
    .name = "monitor",
    .synopsis = "[--pipeline P] [--status S] [--type T] [--records] [--json]",
    .summary = "undelivered records grouped by pipeline, sink, type, status, "
               "error",
    .help = "Lists what the outbox holds that is not delivered, one group per\n"
            "pipeline, sink, record type, status and error text, with counts\n"
            "and the oldest and newest record; records a transform holds are\n"
            "grouped apart and name it.  --records lists each group's records\n"
            "(id, key, attempts, next attempt, what a held one waits for).\n"
            "--json prints\n"
            "{\"groups\": [...]} as docs/cli.md describes.  The state database is\n"
            "--state, else weir.db in the current folder; monitor only reads it.\n"
            "A group's error text picks it for weir resend or weir discard\n"
            "(--pipeline P --failed --error TEXT).\n",
    .flags = CLI_FILTERS,
    .min_args = 0,
    .max_args = 0,
    .run = run_monitor,
};
