/* cmd_validate.c - `weir validate FILE.xml...`: every problem, file:line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/utf8.h"
#include "cli/cli.h"
#include "pipeline/ownership.h"
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

typedef struct validated {
    weir_pipeline **ps;
    json_t **warnings; /* --json: each file's list */
    int quiet;
} validated;

/* A warning about file i: not a problem (the exit status stays). */
static void warn(void *ctx, size_t i, const char *text)
{
    validated *v = ctx;
    if (v->warnings)
        json_array_append_new(v->warnings[i], json_text(text));
    else if (!v->quiet)
        fprintf(stderr, "%s\n", text);
}

static int run_validate(weir_cli *cli)
{
    weir_plugins *reg = weir_cli_plugins(cli);
    if (!reg)
        return WEIR_EXIT_USAGE;
    size_t n = (size_t)cli->nargs;
    validated v = {calloc(n, sizeof(*v.ps)), NULL, cli->quiet};
    json_t **entries = cli->json ? calloc(n, sizeof(*entries)) : NULL;
    if (cli->json)
        v.warnings = calloc(n, sizeof(*v.warnings));
    if (!v.ps || (cli->json && (!entries || !v.warnings))) {
        fprintf(stderr, "weir: out of memory\n");
        free(v.ps);
        free(entries);
        free(v.warnings);
        weir_plugins_free(reg);
        return WEIR_EXIT_USAGE;
    }
    int problems = 0;
    for (size_t i = 0; i < n; i++) {
        const char *file = cli->args[i];
        weir_diag *diag = weir_diag_new();
        weir_pipeline *p = weir_pipeline_load(file, reg, diag);
        size_t nd = weir_diag_count(diag);
        problems += nd > 0;
        if (entries) {
            json_t *list = json_array();
            const char *line;
            for (size_t j = 0; (line = weir_diag_at(diag, j)); j++)
                json_array_append_new(list, json_text(line));
            entries[i] = json_object();
            json_object_set_new(entries[i], "file", json_text(file));
            json_object_set_new(entries[i], "valid", json_boolean(nd == 0));
            json_object_set_new(entries[i], "problems", list);
            v.warnings[i] = json_array();
        } else if (nd) {
            weir_diag_print(diag, stderr);
        } else if (!cli->quiet) {
            printf("%s: valid (pipeline '%s')\n", file, p->name);
        }
        /* a pipeline with problems takes no part in the checks across
         * files: its own come first */
        if (nd)
            weir_pipeline_unref(p);
        else
            v.ps[i] = p;
        weir_diag_free(diag);
    }
    weir_ownership_check(v.ps, n, warn, &v);
    if (entries) {
        json_t *out = json_array();
        for (size_t i = 0; i < n; i++) {
            json_object_set_new(entries[i], "warnings", v.warnings[i]);
            json_array_append_new(out, entries[i]);
        }
        json_dumpf(out, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(out);
    }
    for (size_t i = 0; i < n; i++)
        weir_pipeline_unref(v.ps[i]);
    free(v.ps);
    free(entries);
    free(v.warnings);
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
            "Files validated together are also checked against each other:\n"
            "a pipeline sending into a system that another one declares the\n"
            "owner of a field (<field owner>) is warned about (not a problem).\n"
            "Exit status: 0 all files valid, 1 problems found, 2 bad usage.\n",
    .min_args = 1,
    .max_args = -1,
    .run = run_validate,
};
