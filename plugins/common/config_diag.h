/*
 * config_diag.h - where a plugin reports a problem in its configuration
 * (its options, the child elements of its pipeline element).
 *
 * Part of plugins/libplugcommon.la, the helpers shared by the plugins built
 * in this tree.  It depends only on <weir/plugin.h> and libc: plugins never
 * link the core.  Each plugin links its own private copy (the descriptor is
 * all a plugin exports), so nothing here is ABI.
 *
 * A plugin's option checks or rule compiler typically run from check() (for `weir validate`
 * and before open) and again from open().  In check() each problem goes to
 * host->node_error so the user sees "file:line: message" for every one of
 * them; open() only runs after check() passed, so there a problem can only
 * mean a core that skipped check() (or out of memory), and it is logged
 * instead.
 */
#ifndef WEIR_PLUGCOMMON_CONFIG_DIAG_H
#define WEIR_PLUGCOMMON_CONFIG_DIAG_H

#include <weir/plugin.h>

typedef struct weirp_diag {
    weir_instance *inst;
    const weir_host *host;
    int checking; /* 1: report with node_error (check); 0: log (open) */
    int errors;   /* problems reported so far */
} weirp_diag;

/* Report one problem about `node` (borrowed; NULL: the plugin element
 * itself) and count it.  A message is cut at 511 bytes. */
void weirp_diag_report(weirp_diag *d, const weir_node *node, const char *fmt,
                       ...) WEIR_PRINTF(3, 4);

/* Report "option 'OPTION' of PLUGIN: must be longer than 0" when the
 * duration option `option` is given and is not. */
void weirp_diag_positive_duration(weirp_diag *d, const char *plugin,
                                  const char *option);

#endif
