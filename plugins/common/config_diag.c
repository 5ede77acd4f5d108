/* config_diag.c - see config_diag.h. */
#include "config_diag.h"

#include <stdarg.h>
#include <stdio.h>

void weirp_diag_report(weirp_diag *d, const weir_node *node, const char *fmt,
                       ...)
{
    /* node_error takes no va_list, so format here first; a message longer
     * than this is a bug in the message, and truncation is harmless. */
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    d->errors++;
    if (d->checking)
        d->host->node_error(d->inst, node, "%s", msg);
    else
        d->host->log(d->inst, WEIR_LOG_ERROR, "%s", msg);
}

void weirp_diag_positive_duration(weirp_diag *d, const char *plugin,
                                  const char *option)
{
    long long ms;
    if (d->host->option_duration_ms(d->inst, option, &ms) == 0 && ms <= 0)
        weirp_diag_report(d, NULL, "option '%s' of %s: must be longer than 0",
                          option, plugin);
}
