/*
 * smtp_receiver.c - the test SMTP server (see smtp_receiver.h).
 *
 * One thread accepts and serves one connection at a time: the notifier
 * under test sends a mail per connection, so there is no need for more.
 * The thread waits in poll() on the sockets and a pipe that
 * smtp_receiver_stop() writes to, so stopping never waits for a timeout.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "deadline.h"
#include "smtp_receiver.h"

#define MAX_LINE 1000 /* RFC 5321: 998 characters and CRLF */
#define MAX_DATA (1024 * 1024)
#define MAX_RCPT 100
#define IDLE_MS 10000

struct smtp_receiver {
    int listen_fd, wake[2];
    pthread_t thread;
    unsigned short port;
    char url[40];

    pthread_mutex_t lock; /* everything below */
    pthread_cond_t arrived;
    smtp_message **msgs;
    size_t n, cap;
    char *need_user, *need_pass;
    int fail_code;
    SSL_CTX *tls; /* STARTTLS offered when set */
};

/* One connection: its socket, read buffer and the transaction so far. */
typedef struct session {
    smtp_receiver *r;
    int fd;
    SSL_CTX *tls;     /* STARTTLS offered (a reference) */
    SSL *ssl;         /* after STARTTLS */
    char in[4096];
    size_t in_len;
    char line[MAX_LINE + 1];
    smtp_message msg; /* the mail being received */
    int mail;         /* MAIL FROM accepted */
} session;

/* ---- messages ----------------------------------------------------------- */

static void message_clear(smtp_message *m, int keep_auth)
{
    free(m->from);
    for (size_t i = 0; i < m->n_rcpt; i++)
        free(m->rcpt[i]);
    free(m->rcpt);
    free(m->data);
    m->from = m->data = NULL;
    m->rcpt = NULL;
    m->n_rcpt = 0;
    if (!keep_auth) {
        free(m->helo);
        free(m->auth_user);
        free(m->auth_pass);
        m->helo = m->auth_user = m->auth_pass = NULL;
    }
}

void smtp_message_free(smtp_message *m)
{
    if (!m)
        return;
    message_clear(m, 0);
    free(m);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static smtp_message *message_copy(const smtp_message *m)
{
    smtp_message *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->helo = dup_or_null(m->helo);
    c->from = dup_or_null(m->from);
    c->data = dup_or_null(m->data);
    c->auth_user = dup_or_null(m->auth_user);
    c->auth_pass = dup_or_null(m->auth_pass);
    c->tls = m->tls;
    c->rcpt = calloc(m->n_rcpt + 1, sizeof *c->rcpt);
    if (c->rcpt)
        for (; c->n_rcpt < m->n_rcpt; c->n_rcpt++)
            c->rcpt[c->n_rcpt] = strdup(m->rcpt[c->n_rcpt]);
    return c;
}

/* ---- the wire ----------------------------------------------------------- */

static int reply(session *s, const char *text)
{
    size_t n = strlen(text), off = 0;
    while (off < n) {
        ssize_t w = s->ssl ? SSL_write(s->ssl, text + off, (int)(n - off))
                           : send(s->fd, text + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

/* The next line into s->line, without CR LF.  1: a line; 0: a line longer
 * than MAX_LINE (discarded); -1: closed, idle too long or stopping. */
static int read_line(session *s)
{
    int overlong = 0;
    for (;;) {
        char *nl = memchr(s->in, '\n', s->in_len);
        if (nl) {
            size_t len = (size_t)(nl - s->in);
            size_t keep = len && s->in[len - 1] == '\r' ? len - 1 : len;
            if (!overlong && keep <= MAX_LINE) {
                memcpy(s->line, s->in, keep);
                s->line[keep] = '\0';
            } else {
                overlong = 1;
            }
            s->in_len -= len + 1;
            memmove(s->in, nl + 1, s->in_len);
            return overlong ? 0 : 1;
        }
        if (s->in_len == sizeof s->in) { /* no line end in a full buffer */
            overlong = 1;
            s->in_len = 0;
        }
        if (!s->ssl || SSL_pending(s->ssl) == 0) {
            struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->r->wake[0], POLLIN, 0}};
            int n = poll(p, 2, IDLE_MS);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0 || p[1].revents)
                return -1;
        }
        ssize_t got = s->ssl ? SSL_read(s->ssl, s->in + s->in_len,
                                        (int)(sizeof s->in - s->in_len))
                             : recv(s->fd, s->in + s->in_len, sizeof s->in - s->in_len, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        s->in_len += (size_t)got;
    }
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decode base64 `in`; *len gets the length (the result may hold NULs).
 * NULL when malformed. (owned) */
static char *b64decode(const char *in, size_t *len)
{
    size_t n = strlen(in);
    char *out = malloc(n / 4 * 3 + 4);
    unsigned acc = 0;
    int bits = 0;
    *len = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n && in[i] != '='; i++) {
        int v = b64val((unsigned char)in[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[(*len)++] = (char)(acc >> bits & 0xff);
        }
    }
    out[*len] = '\0';
    return out;
}

/* ---- commands ----------------------------------------------------------- */

/* The address in "<addr>" after the verb, or the bare word. (owned) */
static char *address(const char *arg)
{
    while (*arg == ' ')
        arg++;
    const char *lt = strchr(arg, '<');
    if (lt) {
        const char *gt = strchr(lt, '>');
        return gt ? strndup(lt + 1, (size_t)(gt - lt - 1)) : NULL;
    }
    return strndup(arg, strcspn(arg, " "));
}

/* A base64 answer to a 334 prompt (the initial response when given).
 * (owned, decoded; NULL when malformed or the connection ended) */
static char *auth_answer(session *s, const char *initial, const char *prompt, size_t *len)
{
    if (initial && *initial)
        return b64decode(initial, len);
    if (reply(s, prompt) < 0 || read_line(s) != 1)
        return NULL;
    return b64decode(s->line, len);
}

static int auth(session *s, const char *arg)
{
    char mech[16] = "";
    const char *initial = NULL;
    size_t ml = strcspn(arg, " ");
    if (ml < sizeof mech) {
        memcpy(mech, arg, ml);
        mech[ml] = '\0';
    }
    if (arg[ml] == ' ')
        initial = arg + ml + 1;
    char *user = NULL, *pass = NULL;
    size_t len;
    if (strcasecmp(mech, "PLAIN") == 0) {
        char *d = auth_answer(s, initial, "334 \r\n", &len);
        /* authzid NUL user NUL password */
        char *u = d ? memchr(d, '\0', len) : NULL;
        char *p = u && (size_t)(u - d) + 1 < len ? memchr(u + 1, '\0', len - (size_t)(u - d) - 1)
                    : NULL;
        if (p) {
            user = strdup(u + 1);
            pass = strdup(p + 1);
        }
        free(d);
    } else if (strcasecmp(mech, "LOGIN") == 0) {
        user = auth_answer(s, initial, "334 VXNlcm5hbWU6\r\n", &len);
        if (user)
            pass = auth_answer(s, NULL, "334 UGFzc3dvcmQ6\r\n", &len);
    } else {
        return reply(s, "504 5.5.4 Unrecognized authentication type\r\n");
    }
    if (!user || !pass) {
        free(user);
        free(pass);
        return reply(s, "501 5.5.2 Cannot decode the credentials\r\n");
    }
    pthread_mutex_lock(&s->r->lock);
    int ok = !s->r->need_user ||
             (strcmp(user, s->r->need_user) == 0 && strcmp(pass, s->r->need_pass) == 0);
    pthread_mutex_unlock(&s->r->lock);
    if (!ok) {
        free(user);
        free(pass);
        return reply(s, "535 5.7.8 Authentication credentials invalid\r\n");
    }
    free(s->msg.auth_user);
    free(s->msg.auth_pass);
    s->msg.auth_user = user;
    s->msg.auth_pass = pass;
    return reply(s, "235 2.7.0 Authentication successful\r\n");
}

/* DATA: the lines up to ".", dots unstuffed; the message stored when it
 * fits. */
static int data(session *s)
{
    if (reply(s, "354 End data with <CR><LF>.<CR><LF>\r\n") < 0)
        return -1;
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    int too_big = !buf;
    for (;;) {
        int got = read_line(s);
        if (got < 0) {
            free(buf);
            return -1;
        }
        if (got == 0) {
            too_big = 1;
            continue;
        }
        if (strcmp(s->line, ".") == 0)
            break;
        const char *l = s->line[0] == '.' ? s->line + 1 : s->line;
        size_t ll = strlen(l);
        if (too_big || len + ll + 3 > MAX_DATA) {
            too_big = 1;
            continue;
        }
        if (len + ll + 3 > cap) {
            cap = (len + ll + 3) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                too_big = 1;
                continue;
            }
            buf = nb;
        }
        memcpy(buf + len, l, ll);
        memcpy(buf + len + ll, "\r\n", 2);
        len += ll + 2;
    }
    if (too_big) {
        free(buf);
        message_clear(&s->msg, 1);
        s->mail = 0;
        return reply(s, "552 5.3.4 Message too big or lines too long\r\n");
    }
    buf[len] = '\0';
    s->msg.data = buf;
    s->msg.tls = s->ssl != NULL;
    smtp_receiver *r = s->r;
    smtp_message *copy = message_copy(&s->msg);
    pthread_mutex_lock(&r->lock);
    if (copy && r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 8;
        smtp_message **nm = realloc(r->msgs, nc * sizeof *nm);
        if (nm) {
            r->msgs = nm;
            r->cap = nc;
        }
    }
    int stored = copy && r->n < r->cap;
    if (stored)
        r->msgs[r->n++] = copy;
    pthread_cond_broadcast(&r->arrived);
    pthread_mutex_unlock(&r->lock);
    message_clear(&s->msg, 1);
    s->mail = 0;
    if (!stored) {
        smtp_message_free(copy);
        return reply(s, "452 4.3.1 Out of memory\r\n");
    }
    return reply(s, "250 2.0.0 OK: queued\r\n");
}

/* STARTTLS: the handshake, then the session starts over (RFC 3207:
 * what the client said before is forgotten, a pipelined rest dropped). */
static int starttls(session *s)
{
    if (!s->tls || s->ssl)
        return reply(s, "454 4.7.0 TLS not available\r\n");
    if (reply(s, "220 2.0.0 Ready to start TLS\r\n") < 0)
        return -1;
    s->in_len = 0;
    message_clear(&s->msg, 0);
    s->mail = 0;
    /* the handshake blocks: bounded like an idle connection */
    struct timeval tv = {IDLE_MS / 1000, 0};
    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    s->ssl = SSL_new(s->tls);
    if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1 || SSL_accept(s->ssl) != 1) {
        SSL_free(s->ssl);
        s->ssl = NULL;
        return -1; /* no clear text after a failed handshake */
    }
    return 0;
}

/* One command; -1 ends the connection. */
static int command(session *s)
{
    char *line = s->line;
    size_t vl = strcspn(line, " ");
    const char *arg = line[vl] ? line + vl + 1 : "";
    line[vl] = '\0';
    if (strcasecmp(line, "EHLO") == 0 || strcasecmp(line, "HELO") == 0) {
        message_clear(&s->msg, 0);
        s->mail = 0;
        s->msg.helo = strdup(arg);
        if (strcasecmp(line, "HELO") == 0)
            return reply(s, "250 localhost\r\n");
        if (s->tls && !s->ssl && reply(s, "250-STARTTLS\r\n") < 0)
            return -1;
        return reply(s, "250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250-SIZE 1048576\r\n"
                        "250 8BITMIME\r\n");
    }
    if (strcasecmp(line, "AUTH") == 0)
        return auth(s, arg);
    if (strcasecmp(line, "MAIL") == 0) {
        if (strncasecmp(arg, "FROM:", 5) != 0)
            return reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
        pthread_mutex_lock(&s->r->lock);
        int code = s->r->fail_code, need = s->r->need_user != NULL;
        pthread_mutex_unlock(&s->r->lock);
        if (code) {
            char msg[64];
            snprintf(msg, sizeof msg, "%d Refused by the test switch\r\n", code);
            return reply(s, msg);
        }
        if (need && !s->msg.auth_user)
            return reply(s, "530 5.7.0 Authentication required\r\n");
        char *from = address(arg + 5);
        if (!from)
            return reply(s, "501 5.1.7 Bad sender address syntax\r\n");
        message_clear(&s->msg, 1);
        s->msg.from = from;
        s->mail = 1;
        return reply(s, "250 2.1.0 OK\r\n");
    }
    if (strcasecmp(line, "RCPT") == 0) {
        if (!s->mail)
            return reply(s, "503 5.5.1 MAIL first\r\n");
        if (strncasecmp(arg, "TO:", 3) != 0)
            return reply(s, "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
        if (s->msg.n_rcpt >= MAX_RCPT)
            return reply(s, "452 4.5.3 Too many recipients\r\n");
        char *to = address(arg + 3);
        char **nr = to ? realloc(s->msg.rcpt, (s->msg.n_rcpt + 1) * sizeof *nr) : NULL;
        if (!nr) {
            free(to);
            return reply(s, "501 5.1.3 Bad recipient address syntax\r\n");
        }
        s->msg.rcpt = nr;
        s->msg.rcpt[s->msg.n_rcpt++] = to;
        return reply(s, "250 2.1.5 OK\r\n");
    }
    if (strcasecmp(line, "DATA") == 0) {
        if (!s->mail || !s->msg.n_rcpt)
            return reply(s, "503 5.5.1 MAIL and RCPT first\r\n");
        return data(s);
    }
    if (strcasecmp(line, "RSET") == 0) {
        message_clear(&s->msg, 1);
        s->mail = 0;
        return reply(s, "250 2.0.0 OK\r\n");
    }
    if (strcasecmp(line, "NOOP") == 0)
        return reply(s, "250 2.0.0 OK\r\n");
    if (strcasecmp(line, "QUIT") == 0) {
        reply(s, "221 2.0.0 Bye\r\n");
        return -1;
    }
    if (strcasecmp(line, "STARTTLS") == 0)
        return starttls(s);
    return reply(s, "502 5.5.2 Command not recognized\r\n");
}

static void serve(smtp_receiver *r, int fd)
{
    session *s = calloc(1, sizeof *s);
    if (!s)
        return;
    s->r = r;
    s->fd = fd;
    pthread_mutex_lock(&r->lock);
    if (r->tls && SSL_CTX_up_ref(r->tls) == 1)
        s->tls = r->tls;
    pthread_mutex_unlock(&r->lock);
    if (reply(s, "220 localhost ESMTP weir-test\r\n") == 0) {
        for (;;) {
            int got = read_line(s);
            if (got < 0)
                break;
            if (got == 0 ? reply(s, "500 5.5.6 Line too long\r\n") < 0 : command(s) < 0)
                break;
        }
    }
    if (s->ssl) {
        SSL_shutdown(s->ssl);
        SSL_free(s->ssl);
    }
    SSL_CTX_free(s->tls);
    message_clear(&s->msg, 0);
    free(s);
}

static void *run(void *arg)
{
    smtp_receiver *r = arg;
    for (;;) {
        struct pollfd p[2] = {{r->listen_fd, POLLIN, 0}, {r->wake[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        int fd = accept(r->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        serve(r, fd);
        close(fd);
    }
    return NULL;
}

/* ---- the API ------------------------------------------------------------ */

smtp_receiver *smtp_receiver_start(void)
{
    return smtp_receiver_start_on(0);
}

smtp_receiver *smtp_receiver_start_on(unsigned short port)
{
    smtp_receiver *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    r->wake[0] = r->wake[1] = -1;
    struct sockaddr_in addr;
    socklen_t alen = sizeof addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (port && r->listen_fd >= 0) /* a fixed port again soon after a demo's restart */
        setsockopt(r->listen_fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
    if (r->listen_fd < 0 || bind(r->listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(r->listen_fd, 16) < 0 ||
        getsockname(r->listen_fd, (struct sockaddr *)&addr, &alen) < 0 ||
        pipe2(r->wake, O_CLOEXEC) < 0) {
        fprintf(stderr, "smtp_receiver: cannot listen on 127.0.0.1:%u: %s\n", port,
                strerror(errno));
        if (r->listen_fd >= 0)
            close(r->listen_fd);
        free(r);
        return NULL;
    }
    r->port = ntohs(addr.sin_port);
    snprintf(r->url, sizeof r->url, "smtp://127.0.0.1:%u", r->port);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->arrived, NULL);
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        fprintf(stderr, "smtp_receiver: cannot start its thread\n");
        close(r->listen_fd);
        close(r->wake[0]);
        close(r->wake[1]);
        pthread_cond_destroy(&r->arrived);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return NULL;
    }
    return r;
}

void smtp_receiver_stop(smtp_receiver *r)
{
    if (!r)
        return;
    while (write(r->wake[1], "x", 1) < 0 && errno == EINTR)
        ;
    pthread_join(r->thread, NULL);
    close(r->listen_fd);
    close(r->wake[0]);
    close(r->wake[1]);
    for (size_t i = 0; i < r->n; i++)
        smtp_message_free(r->msgs[i]);
    free(r->msgs);
    free(r->need_user);
    free(r->need_pass);
    SSL_CTX_free(r->tls);
    pthread_cond_destroy(&r->arrived);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

unsigned short smtp_receiver_port(const smtp_receiver *r)
{
    return r->port;
}

const char *smtp_receiver_url(const smtp_receiver *r)
{
    return r->url;
}

size_t smtp_receiver_count(smtp_receiver *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

size_t smtp_receiver_wait(smtp_receiver *r, size_t n, int timeout_ms)
{
    struct timespec deadline = erp_deadline(timeout_ms);
    pthread_mutex_lock(&r->lock);
    while (r->n < n && pthread_cond_timedwait(&r->arrived, &r->lock, &deadline) == 0)
        ;
    size_t got = r->n;
    pthread_mutex_unlock(&r->lock);
    return got;
}

smtp_message *smtp_receiver_message(smtp_receiver *r, size_t i)
{
    pthread_mutex_lock(&r->lock);
    smtp_message *m = i < r->n ? message_copy(r->msgs[i]) : NULL;
    pthread_mutex_unlock(&r->lock);
    return m;
}

void smtp_receiver_require_auth(smtp_receiver *r, const char *user, const char *password)
{
    char *u = user ? strdup(user) : NULL, *p = user ? strdup(password ? password : "") : NULL;
    pthread_mutex_lock(&r->lock);
    free(r->need_user);
    free(r->need_pass);
    r->need_user = u;
    r->need_pass = p;
    pthread_mutex_unlock(&r->lock);
}

void smtp_receiver_fail(smtp_receiver *r, int code)
{
    pthread_mutex_lock(&r->lock);
    r->fail_code = code;
    pthread_mutex_unlock(&r->lock);
}

int smtp_receiver_starttls(smtp_receiver *r, const char *cert_file, const char *key_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_file(ctx, cert_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        fprintf(stderr, "smtp_receiver: cannot load %s and %s\n", cert_file, key_file);
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(ctx);
        return -1;
    }
    pthread_mutex_lock(&r->lock);
    SSL_CTX_free(r->tls);
    r->tls = ctx;
    pthread_mutex_unlock(&r->lock);
    return 0;
}
