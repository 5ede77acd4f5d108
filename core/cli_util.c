/* cli_util.c - what several commands share: paths and the plugin registry. */
#include "config.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "plugins.h"

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
