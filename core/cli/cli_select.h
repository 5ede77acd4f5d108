/*
 * cli_select.h - the records `weir resend` and `weir discard` act on:
 * record ids given as arguments, or one monitor group
 * (--pipeline P --failed [--sink S] [--type T] [--error TEXT]), and the
 * pipelines concerned, locked before anything changes.
 */
#ifndef WEIR_CLI_SELECT_H
#define WEIR_CLI_SELECT_H

#include <stdint.h>

#include "cli/cli.h"
#include "store/state.h"

/* The synopsis both commands share. */
#define WEIR_SELECTION_SYNOPSIS \
    "ID... | --pipeline P --failed [--sink S] [--type T] [--error TEXT]"

typedef struct weir_selection {
    int64_t *ids;             /* the record ids given */
    int nids;
    weir_outbox_filter group; /* group.pipeline NULL: no group */
    char **names, **files;    /* pipelines concerned and their files */
    int n, locked;            /* how many; how many of them are locked */
} weir_selection;

/* Read the selection from the command line, open the state (it must
 * exist), find the pipeline of each record (an unknown id: exit 1; a
 * pipeline the state does not know: exit 3) and take the locks of the
 * pipelines concerned (held by a live run: exit 3).  Returns
 * WEIR_EXIT_OK, or the exit code after saying why (bad usage: 2);
 * nothing is changed either way.  *st gets the state (owned: close it
 * after weir_selection_release), NULL when it could not be opened. */
int weir_selection_begin(const weir_cli *cli, weir_selection *sel,
                         weir_state **st);

/* Apply `change` (weir_state_outbox_resend, ...: returns how many rows
 * changed, -1 on error) to each id, with `held` set in its filter, then
 * to the group.  `unchanged` (nullable) is told of each id that `change`
 * left as it was.  Returns how many rows changed in all, -1 on error. */
int64_t weir_selection_apply(weir_selection *sel, weir_state *st, int held,
                             int64_t (*change)(weir_state *st,
                                               const weir_outbox_filter *f,
                                               void *ctx),
                             void (*unchanged)(weir_state *st, int64_t id,
                                               void *ctx),
                             void *ctx);

/* Unlock and free what weir_selection_begin() filled (also after it
 * failed). */
void weir_selection_release(weir_state *st, weir_selection *sel);

#endif
