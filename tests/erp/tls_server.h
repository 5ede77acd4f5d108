/*
 * tls_server.h - a real TLS server for the tests: `openssl s_server -WWW`
 * in a child process on 127.0.0.1 and a free port, with a new self-signed
 * certificate for 127.0.0.1.  It answers GET /NAME with the file NAME of
 * its folder (HTTP/1.0 200, the file's bytes); other methods get no
 * answer.  Needs the openssl program: tests skip when it is missing.
 */
#ifndef WEIR_TEST_TLS_SERVER_H
#define WEIR_TEST_TLS_SERVER_H

#include <sys/types.h>

typedef struct tls_server {
    pid_t pid;
    unsigned short port;
} tls_server;

/* Write dir/cert.pem, a new self-signed certificate for 127.0.0.1 (the
 * CA file that verifies it), and its key dir/key.pem: 0, or -1 when the
 * openssl program is missing or failed. */
int tls_make_cert(const char *dir);
/* tls_make_cert(dir), then serve the files of `dir`; 0 once it listens, -1 when openssl is missing
 * or it did not come up within 2 s. */
int tls_server_start(tls_server *t, const char *dir);
/* Stop the child and reap it. */
void tls_server_stop(tls_server *t);

#endif
