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
