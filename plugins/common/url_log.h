/*
 * url_log.h - a URL as log lines and messages may show it (the webhook
 * and smtp notifiers): never its user info, query or fragment.
 */
#ifndef WEIRP_URL_LOG_H
#define WEIRP_URL_LOG_H

#include <stddef.h>

/* "scheme://host[:port]/path" of `url` into `buf` (at most `n` bytes);
 * with `secret` (the URL came from ${env:}, like a chat webhook whose
 * path is its token) the path becomes "/...".  "(unreadable URL)" when
 * libcurl cannot parse it. */
void weirp_url_for_log(const char *url, int secret, char *buf, size_t n);

#endif
