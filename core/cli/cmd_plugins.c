/* cmd_plugins.c - `weir plugins [-v]`: what the plugin path holds. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/log.h"
#include "cli/cli.h"
#include "plugin/options.h"
#include "plugin/plugins.h"

typedef struct list_ctx {
    const weir_cli *cli;
    json_t *json;
    int listed, refused;
} list_ctx;

static void kinds_text(unsigned kinds, char *buf, size_t size)
{
    static const char *const names[] = {"source", "transform", "sink",
                                        "notifier"};
    buf[0] = '\0';
    for (unsigned i = 0; i < 4; i++)
        if (kinds & (1u << i)) {
            if (buf[0])
                strncat(buf, ",", size - strlen(buf) - 1);
            strncat(buf, names[i], size - strlen(buf) - 1);
        }
}

static json_t *options_json(const weir_plugin *p)
{
    json_t *arr = json_array();
    const weir_option_spec *o;
    WEIR_EACH_OPTION(o, p, o_i) {
        char kinds[64];
        kinds_text(o->kinds ? o->kinds : p->kinds, kinds, sizeof(kinds));
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:b, s:b, s:s, s:s?, s:s?, s:s?}",
                           "name", o->name, "type",
                           weir_option_type_name(o->type), "required",
                           (o->flags & WEIR_OPTION_REQUIRED) != 0, "repeatable",
                           (o->flags & WEIR_OPTION_REPEATABLE) != 0,
                           "applies_to", kinds, "default", o->default_value,
                           "help", o->help, "choices", o->choices));
    }
    return arr;
}

static void on_plugin(const char *file, const weir_plugin *p, const char *err,
                      void *vctx)
{
    list_ctx *c = vctx;
    if (!p) {
        c->refused++;
        if (c->json)
            json_array_append_new(c->json, json_pack("{s:s, s:s}", "file", file,
                                                     "refused", err));
        else
            weir_log(WEIR_LOG_WARNING, "refused %s", err);
        return;
    }
    c->listed++;
    char kinds[64];
    kinds_text(p->kinds, kinds, sizeof(kinds));
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:o}", "name", p->name,
                              "kinds", kinds, "version",
                              p->version ? p->version : "",
                              "description", p->description, "file", file,
                              "options", options_json(p));
        json_array_append_new(c->json, o);
        return;
    }
    printf("%-12s %-18s %-8s %s\n", p->name, kinds, p->version ? p->version : "",
           p->description ? p->description : "");
    if (!c->cli->verbose)
        return;
    printf("    file: %s\n", file);
    const weir_option_spec *o;
    WEIR_EACH_OPTION(o, p, o_i) {
        char applies[64] = "";
        if (o->kinds && o->kinds != p->kinds)
            kinds_text(o->kinds, applies, sizeof(applies));
        printf("    %-20s %-8s %s%s%s%s%s%s%s%s\n", o->name,
               weir_option_type_name(o->type),
               (o->flags & WEIR_OPTION_REQUIRED) ? "required. " : "",
               o->help ? o->help : "", o->choices ? " (one of: " : "",
               o->choices ? o->choices : "", o->choices ? ")" : "",
               o->default_value ? " (default: " : "",
               o->default_value ? o->default_value : "",
               o->default_value ? ")" : "");
        if (applies[0])
            printf("    %-20s %-8s (%s only)\n", "", "", applies);
    }
}

static int run_plugins(weir_cli *cli)
{
    weir_plugins *reg = weir_cli_plugins(cli);
    if (!reg)
        return WEIR_EXIT_USAGE;
    list_ctx c = {cli, cli->json ? json_array() : NULL, 0, 0};
    weir_plugins_scan(reg, on_plugin, &c);
    if (c.json) {
        json_t *doc = json_pack("{s:s, s:o}", "path", weir_plugins_path(reg),
                                "plugins", c.json);
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(doc);
    }
    /* An empty listing with exit 0 would pass for "all is well". */
    if (!c.listed)
        weir_log(WEIR_LOG_ERROR, "no plugin found in the plugin path %s%s",
                 weir_plugins_path(reg),
                 c.refused ? " (every file there was refused)" : "");
    weir_plugins_free(reg);
    return c.listed ? WEIR_EXIT_OK : WEIR_EXIT_FAILED;
}

const weir_command weir_cmd_plugins = {
    .name = "plugins",
    .synopsis = "[-v] [--json]",
    .summary = "list the plugins found in the plugin path",
    .help = "One line per plugin: name, kinds, version, description.  With -v,\n"
            "also its file and every option (type, required, default, help).\n"
            "Files that are not loadable weir plugins are reported with the\n"
            "reason (wrong ABI version, no descriptor, not a shared object,\n"
            "writable by others).  --plugin-path DIRS lists folders searched\n"
            "before the default; WEIR_PLUGIN_PATH replaces the default.\n"
            "Exit status: 0 listed; 1 no loadable plugin found; 2 bad usage.\n",
    .flags = CLI_VERBOSE_LIST,
    .min_args = 0,
    .max_args = 0,
    .run = run_plugins,
};
