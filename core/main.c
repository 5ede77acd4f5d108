/* main.c - `weir COMMAND [OPTIONS] [ARGS]`: parse, dispatch, exit code. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "cli.h"
#include "duration.h"
#include "log.h"
#include "pipeline.h"
#include "secrets.h"

static const weir_command *const commands[] = {
    &weir_cmd_run,     &weir_cmd_drain, &weir_cmd_validate, &weir_cmd_plugins,
    &weir_cmd_monitor, &weir_cmd_show,  &weir_cmd_resend,   &weir_cmd_discard,
    &weir_cmd_status,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char common_help[] =
    "Common options:\n"
    "  --state FILE        state database (default: weir.db beside the "
    "pipeline)\n"
    "  --plugin-path DIRS  colon-separated plugin folders (default: "
    "$WEIR_PLUGIN_PATH;\n"
    "                      else the build tree's plugins when run from it;\n"
    "                      else " WEIR_PLUGINDIR ")\n"
    "  -q, --quiet         errors only\n"
    "  -v, --verbose       more detail\n"
    "  --json              machine-readable output\n"
    "  -h, --help          this help\n";

static void usage(FILE *out)
{
    fprintf(out, "usage: weir COMMAND [OPTIONS] [ARGS]\n\n"
                 "weir is a plugin-based ETL engine: it moves records from a "
                 "source through\ntransforms to sinks, as an XML pipeline "
                 "file describes.\n\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\n%s\n'weir COMMAND --help' describes one command; "
                 "'weir --version' prints the version.\n",
            common_help);
}

static void command_usage(const weir_command *c, FILE *out)
{
    fprintf(out, "usage: weir %s %s\n\n%s\n\n%s\n%s", c->name, c->synopsis,
            c->summary, c->help, common_help);
}

static int parse(const weir_command *c, int argc, char **argv, weir_cli *cli)
{
    enum {
        O_STATE = 256, O_PLUGIN_PATH, O_JSON, O_FULL, O_DRY_RUN, O_FORCE,
        O_WAIT, O_MAX_WAIT, O_PIPELINE, O_STATUS, O_TYPE, O_RECORDS, O_FAILED,
        O_SINK, O_ERROR
    };
    static const struct option longopts[] = {
        {"state", required_argument, NULL, O_STATE},
        {"plugin-path", required_argument, NULL, O_PLUGIN_PATH},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, 'h'},
        {"full", no_argument, NULL, O_FULL},
        {"dry-run", no_argument, NULL, O_DRY_RUN},
        {"force", no_argument, NULL, O_FORCE},
        {"wait", no_argument, NULL, O_WAIT},
        {"max-wait", required_argument, NULL, O_MAX_WAIT},
        {"pipeline", required_argument, NULL, O_PIPELINE},
        {"status", required_argument, NULL, O_STATUS},
        {"type", required_argument, NULL, O_TYPE},
        {"records", no_argument, NULL, O_RECORDS},
        {"failed", no_argument, NULL, O_FAILED},
        {"sink", required_argument, NULL, O_SINK},
        {"error", required_argument, NULL, O_ERROR},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":qvh", longopts, NULL)) != -1) {
        unsigned need = 0;
        /* "--state -v" is a forgotten value, not a file named "-v". */
        if (optarg && optarg[0] == '-' && optarg[1]) {
            fprintf(stderr, "weir %s: option %s needs a value\n", c->name,
                    argv[optind - 2]);
            return -1;
        }
        switch (ch) {
        case O_STATE: cli->state_path = optarg; break;
        case O_PLUGIN_PATH: cli->plugin_path = optarg; break;
        case 'q': cli->quiet = 1; break;
        case 'v': cli->verbose++; break;
        case O_JSON: cli->json = 1; break;
        case 'h': command_usage(c, stdout); exit(WEIR_EXIT_OK);
        case O_FULL: cli->full = 1; need = CLI_FULL; break;
        case O_DRY_RUN: cli->dry_run = 1; need = CLI_DRY_RUN; break;
        case O_FORCE: cli->force = 1; need = CLI_FORCE; break;
        case O_WAIT: cli->wait = 1; need = CLI_WAIT; break;
        case O_MAX_WAIT:
            need = CLI_WAIT;
            if (weir_duration_parse(optarg, &cli->max_wait_ms)) {
                fprintf(stderr, "weir %s: --max-wait %s is not a duration "
                                "(like 30s, 10m, 1h)\n", c->name, optarg);
                return -1;
            }
            break;
        case O_PIPELINE:
            cli->pipeline = optarg;
            need = c->flags & CLI_FAILED ? CLI_FAILED : CLI_FILTERS;
            break;
        case O_STATUS: cli->status = optarg; need = CLI_FILTERS; break;
        case O_TYPE:
            cli->type = optarg;
            need = c->flags & CLI_FAILED ? CLI_FAILED : CLI_FILTERS;
            break;
        case O_RECORDS: cli->records = 1; need = CLI_FILTERS; break;
        case O_FAILED: cli->failed = 1; need = CLI_FAILED; break;
        case O_SINK: cli->sink = optarg; need = CLI_FAILED; break;
        case O_ERROR: cli->error = optarg; need = CLI_FAILED; break;
        case ':':
            fprintf(stderr, "weir %s: option %s needs a value\n", c->name,
                    argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "weir %s: unknown option %s\n", c->name,
                    argv[optind - 1]);
            return -1;
        }
        if (need && !(c->flags & need)) {
            fprintf(stderr, "weir %s: option %s does not apply to this "
                            "command\n",
                    c->name, argv[optind - 1]);
            return -1;
        }
    }
    cli->args = argv + optind;
    cli->nargs = argc - optind;
    if (cli->nargs < c->min_args || (c->max_args >= 0 && cli->nargs > c->max_args)) {
        fprintf(stderr, "usage: weir %s %s\n", c->name, c->synopsis);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return WEIR_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return WEIR_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("weir %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, WEIR_ABI_MAJOR,
               WEIR_ABI_MINOR);
        return WEIR_EXIT_OK;
    }
    const weir_command *c = NULL;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i]->name) == 0)
            c = commands[i];
    if (!c) {
        fprintf(stderr, "weir: unknown command '%s'\n\n", argv[1]);
        usage(stderr);
        return WEIR_EXIT_USAGE;
    }
    weir_cli cli = {.command = c->name, .max_wait_ms = 600000};
    if (parse(c, argc - 1, argv + 1, &cli))
        return WEIR_EXIT_USAGE;
    if (cli.quiet)
        weir_log_set_level(WEIR_LOG_ERROR);
    else if (cli.verbose && !(c->flags & CLI_VERBOSE_LIST))
        weir_log_set_level(WEIR_LOG_DEBUG);
    LIBXML_TEST_VERSION
    int rc = c->run(&cli);
    weir_pipeline_cleanup();
    weir_secrets_clear();
    xmlCleanupParser();
    return rc;
}
