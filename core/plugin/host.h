/* host.h - the host table handed to every plugin's open() and check(). */
#ifndef WEIR_HOST_H
#define WEIR_HOST_H

#include <weir/plugin.h>

extern const weir_host weir_host_table;

struct weir_instances;

/* Before a callback whose failure the core explains (open(), probe()):
 * forget what the instance said of an earlier one. */
void weir_host_error_clear(weir_instance *inst);
/* Why that callback failed: what it gave host->set_error(), else (a
 * plugin built before ABI 1.2) its last WEIR_LOG_ERROR line; NULL when
 * neither.  Masked.  (borrowed, until the next clear) */
const char *weir_host_error(const weir_instance *inst);

/* Write the plugin state the run's instances set since the last call
 * (host->state_set) into its state store, inside the transaction the
 * caller has open; the pending values are dropped either way.  Returns
 * 0, or -1. */
int weir_host_commit_plugin_state(struct weir_instances *in);
/* Forget the plugin state set since the last commit (a run that ends),
 * parked or not. */
void weir_host_drop_plugin_state(struct weir_instances *in);
/* Set the pending plugin state aside: weir_host_commit_plugin_state()
 * leaves it until weir_host_commit_parked_plugin_state() writes it, in
 * the transaction the caller has open (0, or -1; dropped either way).
 * With <track>, what the source set while the export was read (its
 * cursor) belongs to every change of that export, not to the first
 * batch of them that is delivered.  Plugins still read their own parked
 * values (state_get). */
void weir_host_park_plugin_state(struct weir_instances *in);
int weir_host_commit_parked_plugin_state(struct weir_instances *in);

#endif
