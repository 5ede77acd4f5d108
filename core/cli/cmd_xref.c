/* cmd_xref.c - `weir xref SUBCOMMAND`: inspect and edit the id
 * cross-references of the state (store/xref.h).  One row per subcommand
 * in `subs`; each gets the arguments after its name. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "store/state.h"
#include "store/xref.h"

typedef struct xref_sub {
    const char *name;
    const char *synopsis; /* its arguments */
    int nargs;            /* exactly this many */
    unsigned flags;       /* CLI_XREF: takes --entity and --system;
                             CLI_SUGGEST: --against, --prefix, ... */
    int (*run)(weir_cli *cli, char **args);
} xref_sub;

/* "SYSTEM:ID" into *end (pointing into `text`, which is cut at the
 * colon).  0, or -1 after saying why. */
static int parse_end(const char *who, char *text, weir_xref_end *end)
{
    if (weir_xref_end_parse(text, end) == 0)
        return 0;
    fprintf(stderr, "weir xref %s: '%s' is not SYSTEM:ID (such as "
                    "erp:C00417)\n", who, text);
    return -1;
}

/* The exit code of a failed call on `st`, after saying why. */
static int failed(weir_state *st, const char *hint)
{
    const weir_error *e = weir_state_error(st);
    weir_log(WEIR_LOG_ERROR, "%s%s", weir_error_message(e),
             e->cls == WEIR_ERR_REFUSED && hint ? hint : "");
    return e->cls == WEIR_ERR_REFUSED ? WEIR_EXIT_FAILED
           : e->cls == WEIR_ERR_USAGE ? WEIR_EXIT_USAGE
                                      : WEIR_EXIT_ABORTED;
}

/* ---- list ------------------------------------------------------------ */

typedef struct list_ctx {
    const weir_cli *cli;
    json_t *links; /* with --json */
    int n;
} list_ctx;

static int list_one(const weir_xref_link *l, void *vctx)
{
    list_ctx *c = vctx;
    weir_xref_end first = l->a, second = l->b;
    /* --system: its end first */
    if (c->cli->system && strcmp(second.system, c->cli->system) == 0) {
        first = l->b;
        second = l->a;
    }
    char when[32];
    weir_clock_iso(l->created * 1000, when, sizeof(when));
    c->n++;
    if (c->links)
        return json_array_append_new(
            c->links,
            json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:s, s:s, s:I}",
                      "entity", l->entity, "ends", "system", first.system,
                      "id", first.id, "system", second.system, "id",
                      second.id, "origin", weir_xref_origin_name(l->origin),
                      "created", when, "seq", (json_int_t)l->seq));
    char a[256], b[256];
    snprintf(a, sizeof(a), "%s:%s", first.system, first.id);
    snprintf(b, sizeof(b), "%s:%s", second.system, second.id);
    printf("%-12s %-22s %-22s %-10s %s\n", l->entity, a, b,
           weir_xref_origin_name(l->origin), when);
    return 0;
}

static int xref_list(weir_cli *cli, char **args)
{
    (void)args;
    weir_state *st = weir_cli_open_state(cli, NULL, WEIR_CLI_STATE_READ);
    if (!st)
        return WEIR_EXIT_ABORTED;
    list_ctx c = {cli, cli->json ? json_array() : NULL, 0};
    if (!cli->json)
        printf("%-12s %-22s %-22s %-10s %s\n", "ENTITY", "SYSTEM:ID",
               "SYSTEM:ID", "ORIGIN", "CREATED");
    int rc = weir_xref_each(st, cli->entity, cli->system, list_one, &c) == 0
                 ? WEIR_EXIT_OK : failed(st, NULL);
    if (rc == WEIR_EXIT_OK && cli->json) {
        json_t *doc = json_pack("{s:O}", "links", c.links);
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(doc);
    } else if (rc == WEIR_EXIT_OK && c.n == 0) {
        printf("(no links)\n");
    }
    json_decref(c.links);
    weir_state_close(st);
    return rc;
}

/* ---- add, remove, merge ---------------------------------------------- */

/* ENTITY SYSTEM:ID SYSTEM:ID into *a and *b. */
static int two_ends(const char *who, char **args, weir_xref_end *a,
                    weir_xref_end *b)
{
    return parse_end(who, args[1], a) || parse_end(who, args[2], b) ? -1 : 0;
}

static int xref_add(weir_cli *cli, char **args)
{
    weir_xref_end a, b;
    if (two_ends("add", args, &a, &b))
        return WEIR_EXIT_USAGE;
    /* links may be typed in before the first run: the state is made */
    weir_state *st = weir_cli_open_state(cli, NULL, 0);
    if (!st)
        return WEIR_EXIT_ABORTED;
    char *had = NULL;
    int rc = WEIR_EXIT_OK;
    if (weir_state_begin(st) ||
        weir_xref_get(st, args[0], a, b.system, &had) < 0 ||
        weir_xref_add(st, args[0], a, b, WEIR_XREF_MANUAL) ||
        weir_state_commit(st)) {
        rc = failed(st, "; weir xref merge replaces a link");
        weir_state_rollback(st);
    } else if (!cli->quiet) {
        printf("%s %s %s:%s <-> %s:%s\n", had ? "already linked:" : "linked",
               args[0], a.system, a.id, b.system, b.id);
    }
    free(had);
    weir_state_close(st);
    return rc;
}

static int xref_remove(weir_cli *cli, char **args)
{
    weir_xref_end end;
    if (parse_end("remove", args[1], &end))
        return WEIR_EXIT_USAGE;
    weir_state *st = weir_cli_open_state(cli, NULL,
                                         WEIR_CLI_STATE_MUST_EXIST);
    if (!st)
        return WEIR_EXIT_ABORTED;
    int64_t n = weir_xref_remove(st, args[0], end);
    int rc = n < 0 ? failed(st, NULL) : n == 0 ? WEIR_EXIT_FAILED
                                               : WEIR_EXIT_OK;
    if (n == 0)
        weir_log(WEIR_LOG_ERROR, "%s %s:%s has no link; nothing removed",
                 args[0], end.system, end.id);
    else if (n > 0 && !cli->quiet)
        printf("removed %lld link%s of %s %s:%s\n", (long long)n,
               n == 1 ? "" : "s", args[0], end.system, end.id);
    weir_state_close(st);
    return rc;
}

/* What the merge of a <-> b replaces at `from`: printed. */
static int print_replaced(weir_state *st, const char *entity,
                          weir_xref_end from, weir_xref_end to)
{
    char *id = NULL;
    int rc = weir_xref_get(st, entity, from, to.system, &id);
    if (rc == 0 && strcmp(id, to.id) != 0)
        printf("replaced %s %s:%s <-> %s:%s\n", entity, from.system, from.id,
               to.system, id);
    free(id);
    return rc < 0 ? -1 : 0;
}

static int xref_merge(weir_cli *cli, char **args)
{
    weir_xref_end a, b;
    if (two_ends("merge", args, &a, &b))
        return WEIR_EXIT_USAGE;
    weir_state *st = weir_cli_open_state(cli, NULL,
                                         WEIR_CLI_STATE_MUST_EXIST);
    if (!st)
        return WEIR_EXIT_ABORTED;
    int rc = WEIR_EXIT_OK;
    int quiet = cli->quiet;
    if (weir_state_begin(st) ||
        (!quiet && (print_replaced(st, args[0], a, b) ||
                    print_replaced(st, args[0], b, a))) ||
        weir_xref_merge(st, args[0], a, b) < 0 || weir_state_commit(st)) {
        rc = failed(st, NULL);
        weir_state_rollback(st);
    } else if (!quiet) {
        printf("linked %s %s:%s <-> %s:%s (merged); records held for either "
               "are released (weir drain sends them)\n",
               args[0], a.system, a.id, b.system, b.id);
    }
    weir_state_close(st);
    return rc;
}

/* The subcommands; suggest (the matcher) is in cmd_xref_suggest.c. */
static const xref_sub subs[] = {
    {"list", "[--entity E] [--system S]", 0, CLI_XREF, xref_list},
    {"add", "ENTITY SYSTEM:ID SYSTEM:ID", 3, 0, xref_add},
    {"remove", "ENTITY SYSTEM:ID", 2, 0, xref_remove},
    {"merge", "ENTITY SYSTEM:ID SYSTEM:ID", 3, 0, xref_merge},
    {"suggest", "APP.xml --against ERP.xml [--prefix P] [--name-field F] "
                "[--match \"F ...\"] [--limit N]", 1, CLI_SUGGEST,
     weir_cli_xref_suggest},
};
#define NSUBS (sizeof(subs) / sizeof(subs[0]))

static int run_xref(weir_cli *cli)
{
    const xref_sub *sub = NULL;
    for (size_t i = 0; i < NSUBS; i++)
        if (strcmp(cli->args[0], subs[i].name) == 0)
            sub = &subs[i];
    if (!sub) {
        fprintf(stderr, "weir xref: unknown subcommand '%s' (one of",
                cli->args[0]);
        for (size_t i = 0; i < NSUBS; i++)
            fprintf(stderr, " %s", subs[i].name);
        fprintf(stderr, ")\n");
        return WEIR_EXIT_USAGE;
    }
    if (cli->nargs - 1 != sub->nargs) {
        fprintf(stderr, "usage: weir xref %s %s\n", sub->name, sub->synopsis);
        return WEIR_EXIT_USAGE;
    }
    /* the first option given that this subcommand does not take */
    const char *stray = !(sub->flags & CLI_XREF) && cli->entity   ? "entity"
                        : !(sub->flags & CLI_XREF) && cli->system ? "system"
                        : sub->flags & CLI_SUGGEST                ? NULL
                        : cli->against                            ? "against"
                        : cli->prefix                             ? "prefix"
                        : cli->name_field ? "name-field"
                        : cli->match      ? "match"
                        : cli->limit      ? "limit"
                                          : NULL;
    if (stray) {
        fprintf(stderr, "weir xref %s: option --%s does not apply to it\n",
                sub->name, stray);
        return WEIR_EXIT_USAGE;
    }
    return sub->run(cli, cli->args + 1);
}

const weir_command weir_cmd_xref = {
    .name = "xref",
    .synopsis = "list [--entity E] [--system S] | add ENTITY SYSTEM:ID "
                "SYSTEM:ID | remove ENTITY SYSTEM:ID | merge ENTITY "
                "SYSTEM:ID SYSTEM:ID | suggest APP.xml --against ERP.xml "
                "[--prefix P] [--name-field F] [--match \"F ...\"] "
                "[--limit N]",
    .summary = "inspect and edit id cross-references",
    .help = "The links between the ids one business object has in each\n"
            "system (the app's customer HB_000123 is the ERP's C00417), as\n"
            "the xref transform uses them.  One to one in each direction.\n"
            "  list             the links, by entity, system, id\n"
            "    --entity E     of entity E only\n"
            "    --system S     with an id of system S only (that end\n"
            "                   first)\n"
            "  add ENTITY SYSTEM:ID SYSTEM:ID\n"
            "                   link two ids (origin manual); refused when\n"
            "                   either is linked to another id of the other\n"
            "                   system.  Records the xref transform holds for\n"
            "                   either id are released.\n"
            "  remove ENTITY SYSTEM:ID\n"
            "                   remove every link of that id (kept in the\n"
            "                   history)\n"
            "  merge ENTITY SYSTEM:ID SYSTEM:ID\n"
            "                   link two ids, replacing the links either has\n"
            "                   to the other system (a generated HB_ code;\n"
            "                   kept in the history), and release the\n"
            "                   records held for either\n"
            "  suggest APP.xml --against ERP.xml\n"
            "                   for each record of APP.xml's source (up to\n"
            "                   <track>) with no link to the ERP's system,\n"
            "                   the ERP records most likely the same, by\n"
            "                   name, best first, scores 0..1 (0.8 at least);\n"
            "                   reads both sources, sends and changes nothing\n"
            "    --prefix P     also those whose key starts with P (HB_),\n"
            "                   linked or not\n"
            "    --name-field F the field holding the name (default name)\n"
            "    --match \"F ...\" fields that tell namesakes apart (phone,\n"
            "                   email, postcode, ...)\n"
            "    --limit N      at most N suggestions each (default 3)\n"
            "Exit status: 0 done; 1 refused (a link in the way) or nothing\n"
            "to remove; 2 bad usage or an invalid pipeline; 3 the state\n"
            "database or a source is unreadable.\n",
    .flags = CLI_XREF | CLI_SUGGEST,
    .min_args = 1,
    .max_args = -1,
    .run = run_xref,
};
