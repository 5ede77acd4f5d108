/*
 * config_table.h - the table a rule compiler fills: one entry per child
 * element of the plugin's pipeline element.
 *
 * Part of plugins/libplugcommon.la (see config_diag.h for what that library
 * may depend on).
 */
#ifndef WEIR_PLUGCOMMON_CONFIG_TABLE_H
#define WEIR_PLUGCOMMON_CONFIG_TABLE_H

#include <stddef.h>

#include "config_diag.h"

/* Allocate `*count` zeroed entries of `size` bytes, where `*count` is set to
 * the number of elements in d->inst's configuration.  Returns the table
 * (owned by the caller; free() it), or NULL: with *count == 0 there is
 * nothing to hold, otherwise out of memory, already reported through `d` as
 * "<plugin>: out of memory" against the first element. */
void *weirp_config_table(weirp_diag *d, const char *plugin, size_t size,
                         size_t *count);

#endif
