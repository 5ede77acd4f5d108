/*
 * diag.h - where filter reports a problem in its configuration.
 *
 * The same rule compiler runs from check() (for `weir validate` and before
 * open) and from open().  In check() each problem goes to host->node_error
 * so the user sees "file:line: message" for every one of them; open() only
 * runs after check() passed, so there a problem can only mean a core that
 * skipped check(), and it is logged instead.
 */
#ifndef WEIR_FILTER_DIAG_H
#define WEIR_FILTER_DIAG_H

#include <weir/plugin.h>

typedef struct filter_diag {
    weir_instance *inst;
    const weir_host *host;
    int checking; /* 1: report with node_error (check); 0: log (open) */
    int errors;   /* problems reported so far */
} filter_diag;

/* Report one problem about `node` (borrowed; NULL: the plugin element
 * itself) and count it. */
void filter_diag_report(filter_diag *d, const weir_node *node, const char *fmt, ...)
    WEIR_PRINTF(3, 4);

#endif
