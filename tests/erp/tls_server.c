/*
 * tls_server.c - openssl s_server -WWW as a TLS server for the tests.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf */
#endif
#include "config.h"

#include "tls_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int tls_make_cert(const char *dir)
{
    char *gen = NULL;
    if (asprintf(&gen, "cd '%s' && openssl req -x509 -newkey ec -pkeyopt "
                 "ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 -addext "
                 "subjectAltName=IP:127.0.0.1 -days 2 -keyout key.pem -out cert.pem "
                 ">/dev/null 2>&1", dir) < 0)
        return -1;
    int ok = system(gen) == 0;
    free(gen);
    return ok ? 0 : -1;
}

int tls_server_start(tls_server *t, const char *dir)
{
    if (tls_make_cert(dir) != 0)
        return -1;
    /* a free port: bound, read, closed (the server binds it next) */
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    t->port = ntohs(a.sin_port);
    char accept_at[32];
    snprintf(accept_at, sizeof accept_at, "127.0.0.1:%u", t->port);
    t->pid = fork();
    if (t->pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        if (chdir(dir) == 0)
            execlp("openssl", "openssl", "s_server", "-accept", accept_at, "-cert",
                   "cert.pem", "-key", "key.pem", "-WWW", "-quiet", (char *)NULL);
        _exit(127);
    }
    if (t->pid < 0)
        return -1;
    for (int i = 0; i < 100; i++) { /* up to 2 s */
        fd = socket(AF_INET, SOCK_STREAM, 0);
        int up = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (up)
            return 0;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    kill(t->pid, SIGTERM);
    waitpid(t->pid, NULL, 0);
    return -1;
}

void tls_server_stop(tls_server *t)
{
    kill(t->pid, SIGTERM);
    waitpid(t->pid, NULL, 0);
}
