/*
 * raw_server.c - a tiny HTTP server with scripted answers (see
 * raw_server.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "raw_server.h"

static void *raw_serve(void *arg)
{
    raw_server *f = arg;
    while (!f->stop) {
        struct pollfd p = {f->fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            continue;
        char buf[8192];
        ssize_t got = recv(c, buf, sizeof buf - 1, 0); /* one small request */
        buf[got > 0 ? got : 0] = '\0';
        for (size_t i = 0; i < f->n; i++)
            if (strncmp(buf, f->rules[i].prefix, strlen(f->rules[i].prefix)) == 0) {
                f->rules[i].hits++;
                memcpy(f->rules[i].last, buf, strlen(buf) + 1);
                (void)!send(c, f->rules[i].reply, strlen(f->rules[i].reply), MSG_NOSIGNAL);
                break;
            }
        close(c);
    }
    return NULL;
}

int raw_start(raw_server *f, const char *addr, raw_rule *rules, size_t n)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
        return -1;
    f->stop = 0;
    f->rules = rules;
    f->n = n;
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(f->fd, 8) != 0 || getsockname(f->fd, (struct sockaddr *)&a, &len) != 0) {
        if (f->fd >= 0)
            close(f->fd);
        return -1;
    }
    f->port = ntohs(a.sin_port);
    snprintf(f->url, sizeof f->url, "http://%s:%u", addr, f->port);
    if (pthread_create(&f->thread, NULL, raw_serve, f) != 0) {
        close(f->fd);
        return -1;
    }
    return 0;
}

void raw_stop(raw_server *f)
{
    f->stop = 1;
    pthread_join(f->thread, NULL);
    close(f->fd);
}
