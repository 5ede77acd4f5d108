/* main.c - `weir COMMAND [OPTIONS] [ARGS]`: parse, dispatch, exit code. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "base/clock.h"
#include "base/duration.h"
#include "base/log.h"
#include "cli/cli.h"
#include "pipeline/pipeline.h"

static const weir_command *const commands[] = {
    &weir_cmd_run,     &weir_cmd_drain, &weir_cmd_validate, &weir_cmd_plugins,
    &weir_cmd_monitor, &weir_cmd_show,  &weir_cmd_resend,   &weir_cmd_discard,
    &weir_cmd_status,  &weir_cmd_xref,  &weir_cmd_serve,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char common_help[] =
    "Common options (also before the command: weir --state FILE status):\n"
    "  --state FILE        state database (default: $WEIR_STATE; else "
    "weir.db beside\n"
    "                      the pipeline, or in the current folder)\n"
    "  --plugin-path DIRS  colon-separated plugin folders, searched before "
    "the\n"
    "                      default ($WEIR_PLUGIN_PATH; else the build tree's "
    "plugins\n"
    "                      when run from it; else " WEIR_PLUGINDIR ")\n"
    "  -q, --quiet         errors only\n"
    "  -v, --verbose       more detail\n"
    "  --log-format F      plain (default), logfmt or json\n"
    "  --json              machine-readable output\n"
    "  -h, --help          this help\n";

static void usage(FILE *out)
{
    fprintf(out, "usage: weir [COMMON OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
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

enum {
    O_STATE = 256, O_PLUGIN_PATH, O_LOG_FORMAT, O_JSON, O_VERSION, O_FULL,
    O_DRY_RUN, O_FORCE, O_WAIT, O_MAX_WAIT, O_PIPELINE, O_STATUS, O_TYPE,
    O_RECORDS, O_FAILED, O_SINK, O_ERROR, O_ENTITY, O_SYSTEM,
    O_AGAINST, O_PREFIX, O_NAME_FIELD, O_MATCH, O_LIMIT, O_HTTP,
    O_TOKEN_ENV, O_PUBLIC_URL
};

/* The options every command takes, before or after its name. */
#define COMMON_LONGOPTS                                                     \
    {"state", required_argument, NULL, O_STATE},                           \
    {"plugin-path", required_argument, NULL, O_PLUGIN_PATH},               \
    {"quiet", no_argument, NULL, 'q'},                                     \
    {"verbose", no_argument, NULL, 'v'},                                   \
    {"log-format", required_argument, NULL, O_LOG_FORMAT},                 \
    {"json", no_argument, NULL, O_JSON},                                   \
    {"help", no_argument, NULL, 'h'}

/* Check an option's value.  A value that looks like an option ("--state
 * -v") is a forgotten value, not a file named "-v"; an empty one ("--state
 * ''", an unset shell variable) is none either.  Returns 0, or -1 after
 * saying why. */
static int check_value(const char *who, const char *opt, const char *arg)
{
    if (arg && *arg && !(arg[0] == '-' && arg[1]))
        return 0;
    fprintf(stderr, "%s: option --%s needs a value\n", who, opt);
    return -1;
}

/* Apply a common option.  Returns 1 when `ch` is one (and applied), 0 when
 * it is not, -1 after saying why its value is bad. */
static int common_option(const char *who, int ch, const char *opt,
                         const char *arg, weir_cli *cli)
{
    switch (ch) {
    case O_STATE:
    case O_PLUGIN_PATH:
    case O_LOG_FORMAT:
        if (check_value(who, opt, arg))
            return -1;
        break;
    case 'q':
    case 'v':
    case O_JSON:
        break;
    default:
        return 0;
    }
    switch (ch) {
    case O_STATE: cli->state_path = arg; break;
    case O_PLUGIN_PATH: cli->plugin_path = arg; break;
    case 'q': cli->quiet = 1; break;
    case 'v': cli->verbose++; break;
    case O_JSON: cli->json = 1; break;
    case O_LOG_FORMAT: {
        weir_log_format f;
        if (weir_log_format_parse(arg, &f)) {
            fprintf(stderr, "%s: --log-format must be plain, logfmt or json, "
                            "not '%s'\n", who, arg);
            return -1;
        }
        cli->log_format = (int)f;
        break;
    }
    }
    return 1;
}

/* --max-wait D: a duration longer than 0. */
static int max_wait(const char *who, const char *arg, weir_cli *cli)
{
    long long ms = 0;
    if (arg && arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9') {
        fprintf(stderr, "%s: --max-wait must be a positive duration (like "
                        "30s, 10m, 1h), not %s\n", who, arg);
        return -1;
    }
    if (check_value(who, "max-wait", arg))
        return -1;
    if (weir_duration_parse(arg, &ms)) {
        fprintf(stderr, "%s: --max-wait %s is not a duration (like 30s, 10m, "
                        "1h)\n", who, arg);
        return -1;
    }
    if (ms <= 0) {
        fprintf(stderr, "%s: --max-wait must be a positive duration (like "
                        "30s, 10m, 1h), not %s\n", who, arg);
        return -1;
    }
    cli->max_wait_ms = ms;
    return 0;
}

/* --limit N: how many suggestions per record, 1..1000. */
static int limit(const char *who, const char *arg, weir_cli *cli)
{
    char *end = NULL;
    long n = strtol(arg, &end, 10);
    if (*arg < '0' || *arg > '9' || *end || n < 1 || n > 1000) {
        fprintf(stderr, "%s: --limit must be a number from 1 to 1000, not "
                        "'%s'\n", who, arg);
        return -1;
    }
    cli->limit = (unsigned)n;
    return 0;
}

static int parse(const weir_command *c, int argc, char **argv, weir_cli *cli)
{
    static const struct option longopts[] = {
        COMMON_LONGOPTS,
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
        {"entity", required_argument, NULL, O_ENTITY},
        {"system", required_argument, NULL, O_SYSTEM},
        {"against", required_argument, NULL, O_AGAINST},
        {"prefix", required_argument, NULL, O_PREFIX},
        {"name-field", required_argument, NULL, O_NAME_FIELD},
        {"match", required_argument, NULL, O_MATCH},
        {"limit", required_argument, NULL, O_LIMIT},
        {"http", required_argument, NULL, O_HTTP},
        {"token-env", required_argument, NULL, O_TOKEN_ENV},
        {"public-url", required_argument, NULL, O_PUBLIC_URL},
        {NULL, 0, NULL, 0},
    };
    char who[64];
    snprintf(who, sizeof(who), "weir %s", c->name);
    optind = 0; /* a fresh scan (GNU getopt) */
    opterr = 0;
    int ch, idx;
    while ((ch = getopt_long(argc, argv, ":qvh", longopts, &idx)) != -1) {
        unsigned need = 0;
        const char *opt = ch >= 256 ? longopts[idx].name : "";
        int common = ch == 'h' ? 0 : common_option(who, ch, opt, optarg, cli);
        if (common < 0)
            return -1;
        if (common)
            continue;
        switch (ch) {
        case 'h': command_usage(c, stdout); exit(WEIR_EXIT_OK);
        case O_FULL: cli->full = 1; need = CLI_FULL; break;
        case O_DRY_RUN: cli->dry_run = 1; need = CLI_DRY_RUN; break;
        case O_FORCE: cli->force = 1; need = CLI_FORCE; break;
        case O_WAIT: cli->wait = 1; need = CLI_WAIT; break;
        case O_MAX_WAIT:
            need = CLI_WAIT;
            if (max_wait(who, optarg, cli))
                return -1;
            break;
        case O_PIPELINE:
        case O_STATUS:
        case O_TYPE:
            if (check_value(who, opt, optarg))
                return -1;
            if (ch == O_STATUS) {
                cli->status = optarg;
                need = CLI_FILTERS;
            } else {
                /* resend and discard pick their group with these */
                *(ch == O_PIPELINE ? &cli->pipeline : &cli->type) = optarg;
                need = c->flags & CLI_FAILED ? CLI_FAILED : CLI_FILTERS;
            }
            break;
        case O_RECORDS: cli->records = 1; need = CLI_FILTERS; break;
        case O_FAILED: cli->failed = 1; need = CLI_FAILED; break;
        case O_SINK:
            if (check_value(who, opt, optarg))
                return -1;
            cli->sink = optarg;
            need = CLI_FAILED;
            break;
        case O_ERROR: cli->error = optarg; need = CLI_FAILED; break;
        case O_ENTITY:
        case O_SYSTEM:
            if (check_value(who, opt, optarg))
                return -1;
            *(ch == O_ENTITY ? &cli->entity : &cli->system) = optarg;
            need = CLI_XREF;
            break;
        case O_AGAINST:
        case O_PREFIX:
        case O_NAME_FIELD:
        case O_MATCH:
            if (check_value(who, opt, optarg))
                return -1;
            *(ch == O_AGAINST ? &cli->against
              : ch == O_PREFIX ? &cli->prefix
              : ch == O_NAME_FIELD ? &cli->name_field
                                   : &cli->match) = optarg;
            need = CLI_SUGGEST;
            break;
        case O_LIMIT:
            need = CLI_SUGGEST;
            if (limit(who, optarg, cli))
                return -1;
            break;
        case O_HTTP:
        case O_TOKEN_ENV:
        case O_PUBLIC_URL:
            if (check_value(who, opt, optarg))
                return -1;
            *(ch == O_HTTP ? &cli->http
              : ch == O_TOKEN_ENV ? &cli->token_env
                                  : &cli->public_url) = optarg;
            need = CLI_HTTP;
            break;
        case ':':
            fprintf(stderr, "%s: option %s needs a value\n", who,
                    argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "%s: unknown option %s\n", who, argv[optind - 1]);
            return -1;
        }
        if (need && !(c->flags & need)) {
            fprintf(stderr, "%s: option --%s does not apply to this "
                            "command\n", who, opt);
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

static void print_version(void)
{
    printf("weir %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, WEIR_ABI_MAJOR,
           WEIR_ABI_MINOR);
}

/* Common options before the command ("weir --state X status", as git and
 * systemctl take them).  Returns the index of the command in argv, or -1
 * with *rc set (help and version printed, or bad usage reported). */
static int parse_leading(int argc, char **argv, weir_cli *cli, int *rc)
{
    static const struct option longopts[] = {
        COMMON_LONGOPTS,
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    optind = 0;
    opterr = 0;
    int ch, idx;
    /* "+": stop at the first word that is not an option: the command. */
    while ((ch = getopt_long(argc, argv, "+:qvh", longopts, &idx)) != -1) {
        const char *opt = ch >= 256 ? longopts[idx].name : "";
        int common = ch == 'h' ? 0 : common_option("weir", ch, opt, optarg, cli);
        if (common < 0) {
            *rc = WEIR_EXIT_USAGE;
            return -1;
        }
        if (common)
            continue;
        switch (ch) {
        case 'h':
            usage(stdout);
            *rc = WEIR_EXIT_OK;
            return -1;
        case O_VERSION:
            print_version();
            *rc = WEIR_EXIT_OK;
            return -1;
        case ':':
            fprintf(stderr, "weir: option %s needs a value\n", argv[optind - 1]);
            break;
        default:
            fprintf(stderr, "weir: unknown option %s before the command (only "
                            "the common options may come first; a command's "
                            "own options go after the command)\n",
                    argv[optind - 1]);
            break;
        }
        *rc = WEIR_EXIT_USAGE;
        return -1;
    }
    if (optind >= argc) {
        fprintf(stderr, "weir: no command given\n\n");
        usage(stderr);
        *rc = WEIR_EXIT_USAGE;
        return -1;
    }
    return optind;
}

/* WEIR_CLOCK_OFFSET="2h" (or "-30m"): weir's own clock runs that much
 * ahead (behind), so a rehearsal or a test sees retries, probes and full
 * refreshes come due without waiting (docs/operations.md). */
static int apply_clock_offset(void)
{
    const char *env = getenv("WEIR_CLOCK_OFFSET");
    if (!env || !*env)
        return 0;
    long long ms;
    int minus = *env == '-';
    if (weir_duration_parse(env + minus, &ms)) {
        fprintf(stderr, "weir: WEIR_CLOCK_OFFSET=%s: not a duration (such as "
                        "2h or -30m)\n", env);
        return -1;
    }
    weir_clock_shift(minus ? -ms : ms);
    return 0;
}

int main(int argc, char **argv)
{
    weir_cli cli = {.max_wait_ms = 600000,
                    .log_format = WEIR_LOG_FORMAT_PLAIN};
    int rc = WEIR_EXIT_USAGE;
    if (argc < 2) {
        usage(stderr);
        return WEIR_EXIT_USAGE;
    }
    int at = parse_leading(argc, argv, &cli, &rc);
    if (at < 0)
        return rc;
    const char *name = argv[at];
    if (strcmp(name, "help") == 0) {
        usage(stdout);
        return WEIR_EXIT_OK;
    }
    if (strcmp(name, "version") == 0) {
        print_version();
        return WEIR_EXIT_OK;
    }
    const weir_command *c = NULL;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i]->name) == 0)
            c = commands[i];
    if (!c) {
        fprintf(stderr, "weir: unknown command '%s'\n\n", name);
        usage(stderr);
        return WEIR_EXIT_USAGE;
    }
    cli.command = c->name;
    if (parse(c, argc - at, argv + at, &cli) || apply_clock_offset())
        return WEIR_EXIT_USAGE;
    if (!cli.state_path) {
        const char *env = getenv("WEIR_STATE");
        if (env && *env)
            cli.state_path = env;
    }
    weir_log_set_format((weir_log_format)cli.log_format);
    if (cli.quiet)
        weir_log_set_level(WEIR_LOG_ERROR);
    else if (cli.verbose && !(c->flags & CLI_VERBOSE_LIST))
        weir_log_set_level(WEIR_LOG_DEBUG);
    LIBXML_TEST_VERSION
    rc = c->run(&cli);
    weir_pipeline_cleanup();
    xmlCleanupParser();
    return rc;
}
