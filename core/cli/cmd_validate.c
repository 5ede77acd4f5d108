/* cmd_validate.c - `weir validate FILE.xml...`: every problem, file:line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/utf8.h"
#include "cli/cli.h"
#include "pipeline/pipeline.h"

/* A JSON string of `text`, with invalid UTF-8 (a file name, say) made
 * visible as '?' rather than dropped. */
static json_t *json_text(const char *text)
{
    json_t *s = json_string(text);
    if (s)
        return s;
    char *copy = strdup(text);
    if (!copy)
        return json_null();
    weir_utf8_sanitize(copy);
    s = json_string(copy);
    free(copy);
    return s ? s : json_null();
}

static int run_validate(weir_cli *cli)
{
    weir_plugins *reg = weir_cli_plugins(cli);
    if (!reg)
        return WEIR_EXIT_USAGE;
    int problems = 0;
    json_t *out = cli->json ? json_array() : NULL;
    for (int i = 0; i < cli->nargs; i++) {
        const char *file = cli->args[i];
        weir_diag *diag = weir_diag_new();
        weir_pipeline *p = weir_pipeline_load(file, reg, diag);
        size_t n = weir_diag_count(diag);
        problems += n > 0;
        if (out) {
            json_t *list = json_array();
            const char *line;
            for (size_t j = 0; (line = weir_diag_at(diag, j)); j++)
                json_array_append_new(list, json_text(line));
            json_t *entry = json_object();
            json_object_set_new(entry, "file", json_text(file));
            json_object_set_new(entry, "valid", json_boolean(n == 0));
            json_object_set_new(entry, "problems", list);
            json_array_append_new(out, entry);
        } else if (n) {
            weir_diag_print(diag, stderr);
        } else if (!cli->quiet) {
            printf("%s: valid (pipeline '%s')\n", file, p->name);
        }
        weir_pipeline_unref(p);
        weir_diag_free(diag);
    }
    if (out) {
        json_dumpf(out, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(out);
    }
    weir_plugins_free(reg);
    return problems ? WEIR_EXIT_FAILED : WEIR_EXIT_OK;
}

const weir_command weir_cmd_validate = {
    .name = "validate",
    .synopsis = "FILE.xml...",
    .summary = "check pipeline files against the schema and each plugin's "
               "options",
    .help = "Reports every problem as FILE:LINE: MESSAGE (unknown plugins and\n"
            "options, missing required options, bad durations, duplicate\n"
            "instance names, unset ${env:NAME} variables, ...).\n"
            "Exit status: 0 all files valid, 1 problems found, 2 bad usage.\n",
    .min_args = 1,
    .max_args = -1,
    .run = run_validate,
};
