/*
 * url_log.c - a URL as log lines may show it (see url_log.h).
 */
#include <stdio.h>

#include <curl/curl.h>

#include "common/url_log.h"

void weirp_url_for_log(const char *url, int secret, char *buf, size_t n)
{
    snprintf(buf, n, "(unreadable URL)");
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        /* both absent when not in the URL */
        curl_url_get(u, CURLUPART_PORT, &port, 0);
        curl_url_get(u, CURLUPART_PATH, &path, 0);
        const char *p = path && path[0] && !(path[0] == '/' && !path[1])
                            ? (secret ? "/..." : path)
                            : "";
        snprintf(buf, n, "%s://%s%s%s%s", scheme, host, port ? ":" : "",
                 port ? port : "", p);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
}
