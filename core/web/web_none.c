/*
 * web_none.c - weir built without libmicrohttpd: --http is refused with
 * what to install (web.c is the real server).
 */
#include "config.h"

#include "web/web.h"

weir_web *weir_web_start(const weir_web_config *cfg, weir_error *err)
{
    (void)cfg;
    weir_error_set(err, WEIR_ERR_USAGE, "--http: this weir was built "
                   "without libmicrohttpd (install the Debian package "
                   "libmicrohttpd-dev and configure again)");
    return NULL;
}

const char *weir_web_url(const weir_web *w)
{
    (void)w;
    return "";
}

void weir_web_stop(weir_web *w)
{
    (void)w;
}
