/* config_table.c - see config_table.h. */
#include "config_table.h"

#include <stdlib.h>

void *weirp_config_table(weirp_diag *d, const char *plugin, size_t size,
                         size_t *count)
{
    const weir_host *h = d->host;
    size_t n = 0;
    for (const weir_node *e = h->config_first(d->inst); e; e = h->node_next(e))
        n++;
    *count = n;
    if (n == 0)
        return NULL;
    void *v = calloc(n, size);
    if (!v)
        weirp_diag_report(d, h->config_first(d->inst), "%s: out of memory",
                          plugin);
    return v;
}
