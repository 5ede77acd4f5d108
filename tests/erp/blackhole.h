/*
 * blackhole.h - a port on 127.0.0.1 where a connection never completes,
 * as behind a firewall that drops packets: its listening socket's accept
 * queue (backlog 0) is filled by one connection that is never accepted,
 * and Linux drops the SYN of every further one.  For connect-timeout
 * tests.
 */
#ifndef WEIR_TEST_BLACKHOLE_H
#define WEIR_TEST_BLACKHOLE_H

typedef struct blackhole {
    int fd[2]; /* the listener, the connection that fills its queue */
    unsigned short port;
} blackhole;

/* 0 on success, -1 (both sockets closed) when a socket call failed. */
int blackhole_open(blackhole *b);
void blackhole_close(blackhole *b);

#endif
