/* cmd_monitor.c - `weir monitor`: undelivered records, grouped (the Integration
 * Monitor: failed invoices by type and the ERP's error text). */
#include "config.h"

#include <stdio.h>

#include <jansson.h>

#include "base/log.h"
#include "cli/cli.h"
#include "report/monitor.h"
#include "report/values.h"
#include "store/state.h"

static void print_record(const json_t *r)
{
    const char *next = weir_report_text(r, "next_attempt", NULL);
    const char *waits = weir_report_text(r, "waits_for", NULL);
    printf("    #%lld  key %s  attempts %d%s%s%s%s\n",
           (long long)json_integer_value(json_object_get(r, "id")),
           weir_report_text(r, "key", "-"),
           (int)json_integer_value(json_object_get(r, "attempts")),
           next ? "  next " : "", next ? next : "", waits ? "  waits for " : "",
           waits ? waits : "");
}

static void print_group(const json_t *g)
{
    const char *held_by = weir_report_text(g, "held_by_transform", NULL);
    printf("%-20s %-12s %-10s %-9s %6lld  %s .. %s\n  %s\n",
           weir_report_text(g, "pipeline", ""),
           weir_report_text(g, "sink", ""), weir_report_text(g, "type", "-"),
           weir_report_text(g, "status", ""),
           (long long)json_integer_value(json_object_get(g, "count")),
           weir_report_text(g, "oldest", "-"),
           weir_report_text(g, "newest", "-"),
           weir_report_text(g, "error", "(no error text)"));
    if (held_by)
        printf("  held by transform '%s' (not sent to the sink yet)\n",
               held_by);
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(g, "records"), i, r)
        print_record(r);
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
    json_t *doc = weir_report_monitor(st, cli->pipeline, cli->status,
                                      cli->type, cli->records, 0);
    json_t *groups = json_object_get(doc, "groups");
    if (!doc) {
        weir_log(WEIR_LOG_ERROR, "%s",
                 weir_error_message(weir_state_error(st)));
    } else if (cli->json) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        printf("%-20s %-12s %-10s %-9s %6s  %s\n", "PIPELINE", "SINK", "TYPE",
               "STATUS", "COUNT", "OLDEST .. NEWEST / ERROR");
        size_t i;
        const json_t *g;
        json_array_foreach(groups, i, g)
            print_group(g);
        if (!json_array_size(groups))
            printf("(nothing undelivered)\n");
    }
    int rc = doc ? WEIR_EXIT_OK : WEIR_EXIT_ABORTED;
    json_decref(doc);
    weir_state_close(st);
    return rc;
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
