/* cli_util.c - what several commands share: paths and the plugin registry. */
#include "config.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "cli/cli.h"
#include "engine/engine.h"
#include "pipeline/pipeline.h"
#include "plugin/plugins.h"
#include "store/state.h"

char *weir_cli_state_path(const weir_cli *cli, const char *pipeline_file)
{
    if (cli->state_path)
        return strdup(cli->state_path);
    char *copy = strdup(pipeline_file);
    if (!copy)
        return NULL;
    const char *dir = dirname(copy);
    size_t n = strlen(dir) + sizeof("/weir.db");
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/weir.db", dir);
    free(copy);
    return out;
}

weir_plugins *weir_cli_plugins(const weir_cli *cli)
{
    char *path = weir_plugins_default_path(cli->plugin_path);
    weir_plugins *reg = path ? weir_plugins_new(path) : NULL;
    if (!reg)
        weir_log(WEIR_LOG_ERROR, "cannot start the plugin loader (libltdl)");
    else
        weir_log(WEIR_LOG_DEBUG, "plugin path: %s", path);
    free(path);
    return reg;
}

weir_state *weir_cli_open_state(const weir_cli *cli, const char *pipeline_file,
                                int how)
{
    char *path = pipeline_file ? weir_cli_state_path(cli, pipeline_file)
                               : strdup(cli->state_path ? cli->state_path
                                                        : "weir.db");
    if (!path)
        return NULL;
    weir_error err = {0};
    weir_state *st = how == WEIR_CLI_STATE_READ ? weir_state_open_reader(path, &err)
                     : how & WEIR_CLI_STATE_MUST_EXIST
                         ? weir_state_open_existing(path, &err)
                         : weir_state_open(path, &err);
    if (!st)
        weir_log(WEIR_LOG_ERROR, "%s%s", weir_error_message(&err),
                 (how & WEIR_CLI_STATE_MUST_EXIST) && !cli->state_path &&
                         err.cls == WEIR_ERR_IO
                     ? " (give --state)" : "");
    weir_error_clear(&err);
    free(path);
    return st;
}

weir_pipeline *weir_cli_load(weir_plugins *reg, const char *file)
{
    weir_diag *diag = weir_diag_new();
    if (!diag)
        return NULL;
    weir_pipeline *p = weir_pipeline_load(file, reg, diag);
    if (!p || weir_diag_count(diag)) {
        weir_diag_print(diag, stderr);
        fprintf(stderr, "weir: %s is not a valid pipeline; nothing was run\n",
                file);
        weir_pipeline_unref(p);
        p = NULL;
    }
    weir_diag_free(diag);
    return p;
}

volatile sig_atomic_t weir_cli_stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    weir_cli_stop_requested = 1;
}

int weir_cli_exit_code(weir_run_status status)
{
    switch (status) {
    case WEIR_RUN_OK:
        return WEIR_EXIT_OK;
    case WEIR_RUN_SOME_FAILED:
        return WEIR_EXIT_FAILED;
    default:
        return WEIR_EXIT_ABORTED;
    }
}

void weir_cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* A value as a line shows it: as it is when that cannot be misread,
 * else quoted with JSON's escapes (newlines, quotes, spaces at an end);
 * NULL is "(empty)". (owned: free) */
static char *shown_value(json_t *v)
{
    if (!json_is_string(v))
        return strdup("(empty)");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    int plain = n > 0 && s[0] != '"' && s[0] != '(' && s[0] != ' ' &&
                s[n - 1] != ' ' && strlen(s) == n && !strstr(s, " -> ");
    for (size_t i = 0; plain && i < n; i++)
        plain = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f;
    return plain ? strdup(s) : json_dumps(v, JSON_ENCODE_ANY);
}

void weir_cli_print_changes(const char *prefix, const char *changes,
                            const char *resent)
{
    json_t *a = changes ? json_loads(changes, JSON_ALLOW_NUL, NULL) : NULL;
    size_t i;
    json_t *c;
    if (json_is_array(a) && json_array_size(a) == 0)
        printf("%sno field changed%s%s%s\n", prefix,
               resent ? " (" : "",
               resent && strcmp(resent, "in doubt") == 0
                   ? "sent again: the answer to its last send was lost"
                   : resent ? resent : "",
               resent ? ")" : "");
    json_array_foreach(a, i, c) {
        char *old = shown_value(json_object_get(c, "old"));
        char *now = shown_value(json_object_get(c, "new"));
        const char *field = json_string_value(json_object_get(c, "field"));
        printf("%s%s: %s -> %s\n", prefix, field ? field : "?",
               old ? old : "?", now ? now : "?");
        free(old);
        free(now);
    }
    json_decref(a);
}
