/*
 * smtp_receiver.h - a minimal SMTP server for the tests, on 127.0.0.1.
 *
 * SMTP with STARTTLS when smtp_receiver_starttls() gave it a certificate
 * (OpenSSL), else plain: EHLO/HELO, AUTH PLAIN and LOGIN (accepted and
 * recorded; checked only after smtp_receiver_require_auth), MAIL FROM,
 * RCPT TO, DATA, RSET, NOOP, QUIT.  It serves one connection at a time in
 * its own thread; lines are limited to 1000 bytes, a message to 1 MiB, a
 * connection to 100 recipients, and an idle connection is closed after 10 s.
 *
 * Thread-safety: every function may be called from any thread while the
 * receiver runs, except smtp_receiver_stop(), which must be the last call.
 * Strings passed in are copied.
 */
#ifndef WEIR_TEST_SMTP_RECEIVER_H
#define WEIR_TEST_SMTP_RECEIVER_H

#include <stddef.h>

typedef struct smtp_receiver smtp_receiver;

/* One received message. */
typedef struct smtp_message {
    char *helo;      /* the EHLO/HELO argument */
    char *from;      /* MAIL FROM address, without <> */
    char **rcpt;     /* RCPT TO addresses, without <> */
    size_t n_rcpt;
    char *data;      /* headers and body as sent, CRLF line ends, dots unstuffed */
    char *auth_user; /* NULL when the client did not authenticate */
    char *auth_pass;
    int tls;         /* the mail came after STARTTLS */
} smtp_message;

/* Start on 127.0.0.1 and a free port.  NULL on failure (stderr).
 * (owned: smtp_receiver_stop) */
smtp_receiver *smtp_receiver_start(void);
/* The same on `port` (0: a free one), for weir-test-erp --smtp. */
smtp_receiver *smtp_receiver_start_on(unsigned short port);
/* Stop the thread, close the sockets and free everything. NULL ok. */
void smtp_receiver_stop(smtp_receiver *r);
unsigned short smtp_receiver_port(const smtp_receiver *r);
/* "smtp://127.0.0.1:PORT". (borrowed: lives as long as the receiver) */
const char *smtp_receiver_url(const smtp_receiver *r);

/* Messages received so far. */
size_t smtp_receiver_count(smtp_receiver *r);
/* Wait up to `timeout_ms` until at least `n` messages arrived; returns
 * the count then. */
size_t smtp_receiver_wait(smtp_receiver *r, size_t n, int timeout_ms);
/* A copy of message `i` (from 0), NULL when out of range.
 * (owned: smtp_message_free) */
smtp_message *smtp_receiver_message(smtp_receiver *r, size_t i);
void smtp_message_free(smtp_message *m);

/* Refuse MAIL FROM without AUTH (530) and AUTH with other credentials
 * (535).  NULL user: any client again. */
void smtp_receiver_require_auth(smtp_receiver *r, const char *user, const char *password);
/* Offer STARTTLS (EHLO) with the certificate and key of these PEM files
 * (tls_make_cert).  0, or -1 when they do not load. */
int smtp_receiver_starttls(smtp_receiver *r, const char *cert_file, const char *key_file);
/* Answer every MAIL FROM with `code` (451: transient, 550: permanent) and
 * accept nothing; 0: normal again. */
void smtp_receiver_fail(smtp_receiver *r, int code);

#endif
