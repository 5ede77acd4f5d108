/*
 * raw_server.h - a tiny HTTP server for tests that need answers the test
 * ERP would never give (malformed, redirects, dropped connections): each
 * request (one per connection) gets the raw text of the first rule whose
 * prefix starts the request; the request's text is kept for the test.
 * It listens on `addr` (a loopback address, "127.0.0.1") and a free port.
 */
#ifndef WEIR_TEST_RAW_SERVER_H
#define WEIR_TEST_RAW_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct raw_rule {
    const char *prefix, *reply;
    unsigned long hits;
    char last[8192]; /* the last request that matched */
} raw_rule;

typedef struct raw_server {
    int fd;
    atomic_int stop; /* set by the test's thread, read by the server's */
    unsigned short port;
    raw_rule *rules;
    size_t n;
    pthread_t thread;
    char url[64]; /* http://addr:port */
} raw_server;

/* 0, or -1 when it cannot listen. */
int raw_start(raw_server *f, const char *addr, raw_rule *rules, size_t n);
void raw_stop(raw_server *f);

#endif
