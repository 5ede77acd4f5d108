/* cmd_status.c - `weir status`: last and next runs, queues, endpoints. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/log.h"
#include "cli/cli.h"
#include "plugin/plugins.h"
#include "report/status.h"
#include "report/values.h"
#include "store/state.h"

/* A JSON integer field of `o` as unsigned long long, for printf. */
static unsigned long long count(const json_t *o, const char *name)
{
    return (unsigned long long)json_integer_value(json_object_get(o, name));
}

/* The document as text: a paragraph per pipeline, a line per endpoint. */
static void print_text(const json_t *doc)
{
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(doc, "pipelines"), i, o) {
        const json_t *q = json_object_get(o, "queue");
        const char *schedule = weir_report_text(o, "schedule", NULL),
                   *full = weir_report_text(o, "next_full_refresh", NULL);
        printf("%-24s last %s (%s), next %s\n  %s\n",
               weir_report_text(o, "pipeline", ""),
               weir_report_text(o, "last_run", "never"),
               weir_report_text(o, "result", ""),
               weir_report_text(o, "next_run", "-"),
               weir_report_text(o, "file", ""));
        if (schedule)
            printf("  schedule: %s\n", schedule);
        if (full)
            printf("  next full refresh: %s\n", full);
        printf("  queue: %llu pending, %llu in flight, %llu retry, %llu held, "
               "%llu failed\n",
               count(q, "pending"), count(q, "in_flight"), count(q, "retry"),
               count(q, "held"), count(q, "failed"));
    }
    json_array_foreach(json_object_get(doc, "endpoints"), i, o) {
        int down = strcmp(weir_report_text(o, "health", ""), "down") == 0;
        const char *error = down ? weir_report_text(o, "error", NULL) : NULL;
        printf("endpoint %s/%s: %s since %s%s%s\n",
               weir_report_text(o, "pipeline", ""),
               weir_report_text(o, "sink", ""), down ? "DOWN" : "up",
               weir_report_text(o, "since", "-"), error ? ": " : "",
               error ? error : "");
    }
}

static int run_status(weir_cli *cli)
{
    weir_state *st = weir_cli_open_state(cli, NULL, WEIR_CLI_STATE_READ);
    if (!st)
        return WEIR_EXIT_ABORTED;
    weir_plugins *reg = weir_cli_plugins(cli);
    json_t *doc = weir_report_status(st, reg, cli->json);
    if (!doc) {
        weir_log(WEIR_LOG_ERROR, "%s",
                 weir_error_message(weir_state_error(st)));
    } else if (cli->json) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        print_text(doc);
    }
    int rc = doc ? WEIR_EXIT_OK : WEIR_EXIT_ABORTED;
    json_decref(doc);
    weir_plugins_free(reg);
    weir_state_close(st);
    return rc;
}

const weir_command weir_cmd_status = {
    .name = "status",
    .synopsis = "[--json]",
    .summary = "last runs, next runs, queue counts, endpoint health",
    .help = "For every pipeline the state database knows: its file, last run\n"
            "and result (when it failed, also what became of its failures:\n"
            "delivered or discarded since, how many are failed now), next\n"
            "scheduled run and the schedule (<schedule every> or cron), next\n"
            "full refresh (<track full-refresh>), outbox counts by status\n"
            "now; then the health of every endpoint.  Only reads the state.\n",
    .min_args = 0,
    .max_args = 0,
    .run = run_status,
};
