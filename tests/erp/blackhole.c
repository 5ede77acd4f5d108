/*
 * blackhole.c - a port where connections never complete (blackhole.h).
 */
#include "config.h"

#include "blackhole.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int blackhole_open(blackhole *b)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    b->fd[0] = socket(AF_INET, SOCK_STREAM, 0);
    b->fd[1] = socket(AF_INET, SOCK_STREAM, 0);
    if (b->fd[0] < 0 || b->fd[1] < 0 || bind(b->fd[0], (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(b->fd[0], 0) != 0 || getsockname(b->fd[0], (struct sockaddr *)&a, &len) != 0 ||
        connect(b->fd[1], (struct sockaddr *)&a, sizeof a) != 0) {
        blackhole_close(b);
        return -1;
    }
    b->port = ntohs(a.sin_port);
    return 0;
}

void blackhole_close(blackhole *b)
{
    for (int i = 0; i < 2; i++)
        if (b->fd[i] >= 0)
            close(b->fd[i]);
    b->fd[0] = b->fd[1] = -1;
}
