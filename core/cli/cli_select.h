/*
 * cli_select.h - the records `weir resend` and `weir discard` act on:
 * record ids given as arguments, or one monitor group
 * (--pipeline P --failed [--sink S] [--type T] [--error TEXT]) read
 * from the command line; the pipelines concerned locked before anything
 * changes (report/select.h: applying and releasing it).
 */
#ifndef WEIR_CLI_SELECT_H
#define WEIR_CLI_SELECT_H

#include <stdint.h>

#include "cli/cli.h"
#include "report/select.h"
#include "store/state.h"

/* The synopsis both commands share. */
#define WEIR_SELECTION_SYNOPSIS \
    "ID... | --pipeline P --failed [--sink S] [--type T] [--error TEXT]"

/* Read the selection from the command line, open the state (it must
 * exist), find the pipeline of each record (an unknown id: exit 1; a
 * pipeline the state does not know: exit 3) and take the locks of the
 * pipelines concerned (held by a live run: exit 3).  Returns
 * WEIR_EXIT_OK, or the exit code after saying why (bad usage: 2);
 * nothing is changed either way.  *st gets the state (owned: close it
 * after weir_selection_release), NULL when it could not be opened. */
int weir_selection_begin(const weir_cli *cli, weir_selection *sel,
                         weir_state **st);

#endif
