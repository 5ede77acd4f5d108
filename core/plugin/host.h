/* host.h - the host table handed to every plugin's open() and check(). */
#ifndef WEIR_HOST_H
#define WEIR_HOST_H

#include <weir/plugin.h>

extern const weir_host weir_host_table;

struct weir_pipeline;
/* Write the plugin state set since the last call (host->state_set) into
 * the state database, inside the transaction the caller has open; the
 * pending values are dropped either way.  Returns 0, or -1. */
int weir_host_commit_plugin_state(struct weir_pipeline *p);

#endif
