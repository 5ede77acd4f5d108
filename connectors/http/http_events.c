/*
 * connectors/http/http_events.c - drive a curl multi handle by socket
 * events: one poll() over every connection, and libcurl told which one
 * is ready.
 *
 * Why not curl_multi_perform() and curl_multi_poll(): perform() visits
 * every transfer on each call and, not knowing which socket woke it,
 * polls each one again.  At thousands of requests a second that was
 * three poll() calls per request, a fifth of the sink's time (measured
 * with bench/http.sh).  With curl_multi_socket_action() libcurl tells us
 * the sockets and its timer, and we tell it what poll() found.
 */
#include <poll.h>
#include <stdlib.h>

#include "http_int.h"

/* libcurl: watch `fd` for `what` (CURL_POLL_IN/OUT/INOUT), or stop. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
    (void)easy;
    (void)socketp;
    whttp_events *ev = userp;
    size_t i = 0;
    while (i < ev->n && ev->fds[i].fd != fd)
        i++;
    if (what == CURL_POLL_REMOVE) {
        if (i < ev->n)
            ev->fds[i] = ev->fds[--ev->n];
        return 0;
    }
    if (i == ev->n) {
        if (ev->n == ev->cap) {
            size_t cap = ev->cap ? ev->cap * 2 : 16;
            struct pollfd *p = realloc(ev->fds, cap * sizeof *p);
            if (p != NULL)
                ev->fds = p;
            struct pollfd *r = p ? realloc(ev->ready, cap * sizeof *r) : NULL;
            if (r == NULL)
                return -1; /* libcurl fails the transfer: a retry */
            ev->ready = r;
            ev->cap = cap;
        }
        ev->fds[ev->n++].fd = fd;
    }
    ev->fds[i].events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) |
                                ((what & CURL_POLL_OUT) ? POLLOUT : 0));
    ev->fds[i].revents = 0;
    return 0;
}

/* libcurl: call us back in `ms` (-1: never). */
static int on_timer(CURLM *multi, long ms, void *userp)
{
    (void)multi;
    whttp_events *ev = userp;
    ev->due_ms = ms < 0 ? -1 : whttp_now_ms() + ms;
    return 0;
}

void whttp_events_init(whttp_events *ev, CURLM *multi)
{
    *ev = (whttp_events){.multi = multi, .due_ms = -1};
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, ev);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, ev);
}

void whttp_events_free(whttp_events *ev)
{
    free(ev->fds);
    free(ev->ready);
    ev->fds = ev->ready = NULL;
    ev->n = ev->cap = 0;
}

void whttp_events_run(whttp_events *ev, long long max_wait_ms)
{
    int running;
    long long now = whttp_now_ms();
    if (ev->due_ms >= 0 && ev->due_ms <= now) {
        ev->due_ms = -1;
        curl_multi_socket_action(ev->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        return;
    }
    long long wait = max_wait_ms;
    if (ev->due_ms >= 0 && ev->due_ms - now < wait)
        wait = ev->due_ms - now;
    /* A copy: libcurl changes the set while it handles an event. */
    size_t n = ev->n;
    struct pollfd *ready = ev->ready;
    for (size_t i = 0; i < n; i++)
        ready[i] = ev->fds[i];
    int got = poll(ready, n, (int)wait);
    for (size_t i = 0; got > 0 && i < n; i++) {
        if (ready[i].revents == 0)
            continue;
        int flags = ((ready[i].revents & POLLIN) ? CURL_CSELECT_IN : 0) |
                    ((ready[i].revents & POLLOUT) ? CURL_CSELECT_OUT : 0) |
                    ((ready[i].revents & (POLLERR | POLLHUP | POLLNVAL))
                     ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(ev->multi, ready[i].fd, flags, &running);
    }
    if (ev->due_ms >= 0 && ev->due_ms <= whttp_now_ms()) {
        ev->due_ms = -1;
        curl_multi_socket_action(ev->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
}
