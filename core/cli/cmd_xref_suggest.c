/* cmd_xref_suggest.c - `weir xref suggest APP.xml --against ERP.xml`:
 * for each record of the first pipeline that has no counterpart yet, the
 * records of the second most likely to be the same object
 * (report/suggest.h does the work; this reads the command line and
 * prints). */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/cli.h"
#include "plugin/plugins.h"
#include "report/suggest.h"

/* Split --match into q->fields (pointing into `buf`, a copy).  0, or -1
 * after saying why. */
static int split_match(weir_suggest_query *q, char *buf)
{
    for (char *f = strtok(buf, " ,"); f; f = strtok(NULL, " ,")) {
        if (q->nfields == WEIR_MATCH_MAX_FIELDS) {
            fprintf(stderr, "weir xref suggest: --match takes at most %d "
                            "fields\n", WEIR_MATCH_MAX_FIELDS);
            return -1;
        }
        q->fields[q->nfields++] = f;
    }
    return 0;
}

/* Load `file` and check it for suggest (`links`: the app, with a state
 * to read links from).  NULL after saying why. */
static weir_pipeline *load(weir_plugins *reg, const char *file, int links)
{
    weir_pipeline *p = weir_cli_load(reg, file);
    weir_error err = {0};
    if (p && weir_suggest_check(p, file, links, &err)) {
        weir_log(WEIR_LOG_ERROR, "%s", weir_error_message(&err));
        weir_error_clear(&err);
        weir_pipeline_unref(p);
        return NULL;
    }
    return p;
}

/* Is there a state beside the app's file (or --state) to read links
 * from? */
static int have_state(const weir_cli *cli, const char *file)
{
    char *path = weir_cli_state_path(cli, file);
    int have = path && access(path, F_OK) == 0;
    free(path);
    return have;
}

static void print_text(json_t *suggestions)
{
    size_t i, j;
    json_t *s, *cand;
    json_array_foreach(suggestions, i, s) {
        json_t *cands = json_object_get(s, "candidates");
        printf("%s%-14s %s\n", i ? "\n" : "",
               json_string_value(json_object_get(s, "key")),
               json_string_value(json_object_get(s, "name")));
        if (json_array_size(cands) == 0)
            printf("  (no suggestion)\n");
        json_array_foreach(cands, j, cand)
            printf("  %.3f  %-14s %s\n",
                   json_real_value(json_object_get(cand, "score")),
                   json_string_value(json_object_get(cand, "key")),
                   json_string_value(json_object_get(cand, "name")));
    }
}

int weir_cli_xref_suggest(weir_cli *cli, char **args)
{
    if (!cli->against) {
        fprintf(stderr, "weir xref suggest: --against ERP.xml is required "
                        "(the pipeline whose records are the candidates)\n");
        return WEIR_EXIT_USAGE;
    }
    weir_suggest_query q = {.prefix = cli->prefix,
                            .name_field = cli->name_field,
                            .limit = cli->limit,
                            .cancel = &weir_cli_stop_requested};
    char *match = cli->match ? strdup(cli->match) : NULL;
    weir_plugins *reg = NULL;
    int links = have_state(cli, args[0]);
    int rc = WEIR_EXIT_USAGE;
    if ((cli->match && (!match || split_match(&q, match))) ||
        !(reg = weir_cli_plugins(cli)) ||
        !(q.app = load(reg, args[0], links)) ||
        !(q.erp = load(reg, cli->against, 0)))
        goto out;
    weir_cli_catch_signals();
    rc = WEIR_EXIT_ABORTED;
    if (links && !(q.st = weir_cli_open_state(cli, args[0],
                                              WEIR_CLI_STATE_READ)))
        goto out;
    weir_error err = {0};
    size_t read = 0;
    json_t *doc = weir_report_suggest(&q, &read, &err);
    json_t *suggestions = json_object_get(doc, "suggestions");
    if (!doc) {
        weir_log(WEIR_LOG_ERROR, "%s", weir_error_message(&err));
        rc = err.cls == WEIR_ERR_USAGE ? WEIR_EXIT_USAGE : WEIR_EXIT_ABORTED;
    } else if (cli->json) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                    JSON_REAL_PRECISION(3));
        putchar('\n');
        rc = WEIR_EXIT_OK;
    } else {
        print_text(suggestions);
        if (!cli->quiet)
            printf("%s%zu record%s of %s matched against %zu of %s\n",
                   json_array_size(suggestions) ? "\n" : "",
                   json_array_size(suggestions),
                   json_array_size(suggestions) == 1 ? "" : "s", q.app->name,
                   read, q.erp->name);
        rc = WEIR_EXIT_OK;
    }
    json_decref(doc);
    weir_error_clear(&err);
out:
    weir_state_close(q.st);
    weir_pipeline_unref(q.erp);
    weir_pipeline_unref(q.app);
    weir_plugins_free(reg);
    free(match);
    return rc;
}
