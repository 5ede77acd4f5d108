/*
 * weir-test-erp - the tests' ERP as a program, for the example pipelines:
 * runs the server of erp_server.h on 127.0.0.1 until interrupted.
 *
 *   tests/erp/weir-test-erp [--port N] [--slow MS] [--flaky 503|drop|lose:N]
 *       (the port 8480 unless given; 0: a free one)
 *       [--rate N] [--bearer TOKEN] [--basic USER:PASSWORD]
 *       [--oauth2 ID:SECRET] [--customers N] [--terms CODE]... [--down 503]
 *       [--smtp PORT]
 *
 * It prints its URL on the first line of stdout, and a line per request
 * ("POST /invoices 422") on stderr.  With --smtp it also runs the SMTP
 * receiver of smtp_receiver.h on that port and writes each mail it gets
 * to stderr, so an example's smtp notifier has a server to talk to.  While it runs, SIGUSR1
 * switches it down (connections refused) and SIGUSR2 back up, so a README
 * can show weir holding records while the ERP is down:
 *   kill -USR1 $(pgrep -f weir-test-erp)    # down
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erp_server.h"
#include "smtp_receiver.h"

static void usage(void)
{
    fputs("usage: weir-test-erp [--port N] [--slow MS] [--flaky 503:N|drop:N|lose:N] [--rate N]\n"
          "         [--bearer TOKEN] [--basic USER:PASSWORD] [--oauth2 ID:SECRET]\n"
          "         [--customers N] [--terms CODE]... [--gl-account CODE]... [--down 503]\n"
          "         [--smtp PORT]\n"
          "Runs the test ERP on 127.0.0.1:8480 (--port 0: a free port) and prints its URL.\n"
          "--flaky MODE:N fails every Nth request: 503, drop the connection, or lose\n"
          "the answer after applying.  See tests/erp/erp_server.h for what it answers.\n"
          "--smtp PORT also takes mail on smtp://127.0.0.1:PORT (plain, any login).\n"
          "Logs each request, and each mail received, on stderr.  SIGUSR1: down (connections refused);\n"
          "SIGUSR2: up; SIGINT/SIGTERM: stop.\n",
          stderr);
}

/* "a:b" split at the first colon into `a` (modified in place) and *b. */
static int split(char *arg, char **b)
{
    char *colon = strchr(arg, ':');
    if (!colon)
        return -1;
    *colon = '\0';
    *b = colon + 1;
    return 0;
}

static long number(const char *s, long max)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0 || v > max) {
        fprintf(stderr, "weir-test-erp: not a number from 0 to %ld: '%s'\n", max, s);
        exit(2);
    }
    return v;
}

/* Mail `i` of `r` on stderr: who to whom, then its lines indented. */
static void log_mail(smtp_receiver *r, size_t i)
{
    smtp_message *m = smtp_receiver_message(r, i);
    if (!m)
        return;
    fprintf(stderr, "weir-test-erp: mail from %s to", m->from);
    for (size_t k = 0; k < m->n_rcpt; k++)
        fprintf(stderr, " %s", m->rcpt[k]);
    fputs(":\n", stderr);
    for (const char *line = m->data; *line;) {
        size_t n = strcspn(line, "\r\n");
        fprintf(stderr, "    %.*s\n", (int)n, line);
        line += n;
        line += *line == '\r' && line[1] == '\n' ? 2 : *line != '\0';
    }
    smtp_message_free(m);
}

static atomic_bool stopping;

/* Logs each mail as it arrives (before the client's DATA is answered, so
 * a demo's `cat erp.log` right after weir's run finds it). */
static void *mail_logger(void *arg)
{
    smtp_receiver *r = arg;
    for (size_t logged = 0; !atomic_load(&stopping);)
        for (size_t n = smtp_receiver_wait(r, logged + 1, 200); logged < n; logged++)
            log_mail(r, logged);
    return NULL;
}

int main(int argc, char **argv)
{
    long port = 8480, customers = 0, smtp_port = -1;
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGUSR1);
    sigaddset(&sigs, SIGUSR2);
    /* blocked before the server's threads start, so they inherit it and
     * sigwait() below receives every one */
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        }
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = number(argv[++i], 65535);
    }
    erp_server *s = erp_start((unsigned short)port);
    if (!s)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        char *val = i + 1 < argc ? argv[i + 1] : NULL, *b;
        if (!val) {
            usage();
            erp_stop(s);
            return 2;
        }
        i++;
        if (strcmp(opt, "--port") == 0) {
            continue;
        } else if (strcmp(opt, "--smtp") == 0) {
            smtp_port = number(val, 65535);
        } else if (strcmp(opt, "--slow") == 0) {
            erp_set_slow(s, (unsigned)number(val, 600000));
        } else if (strcmp(opt, "--rate") == 0) {
            erp_set_rate_limit(s, (unsigned)number(val, 1000000), 1);
        } else if (strcmp(opt, "--customers") == 0) {
            customers = number(val, 99999);
        } else if (strcmp(opt, "--terms") == 0) {
            erp_add_terms(s, val);
        } else if (strcmp(opt, "--gl-account") == 0) {
            erp_add_gl_account(s, val);
        } else if (strcmp(opt, "--down") == 0 && strcmp(val, "503") == 0) {
            erp_set_down(s, ERP_DOWN_503);
        } else if (strcmp(opt, "--bearer") == 0) {
            erp_set_auth(s, ERP_AUTH_BEARER, val, NULL);
        } else if ((strcmp(opt, "--basic") == 0 || strcmp(opt, "--oauth2") == 0) &&
                   split(val, &b) == 0) {
            erp_set_auth(s, opt[2] == 'b' ? ERP_AUTH_BASIC : ERP_AUTH_OAUTH2, val, b);
        } else if (strcmp(opt, "--flaky") == 0 && split(val, &b) == 0) {
            erp_flaky_mode m = strcmp(val, "503") == 0    ? ERP_FLAKY_503
                               : strcmp(val, "drop") == 0 ? ERP_FLAKY_DROP
                               : strcmp(val, "lose") == 0 ? ERP_FLAKY_LOSE
                                                          : ERP_FLAKY_OFF;
            if (m == ERP_FLAKY_OFF) {
                usage();
                erp_stop(s);
                return 2;
            }
            erp_set_flaky(s, m, (unsigned)number(b, 1000000));
        } else {
            usage();
            erp_stop(s);
            return 2;
        }
    }
    for (long c = 1; c <= customers; c++) {
        char id[24], name[32];
        snprintf(id, sizeof id, "C%05ld", c);
        snprintf(name, sizeof name, "Customer %ld", c);
        erp_add_customer(s, id, name);
    }
    smtp_receiver *mail = NULL;
    if (smtp_port >= 0 && !(mail = smtp_receiver_start_on((unsigned short)smtp_port))) {
        erp_stop(s);
        return 1;
    }
    erp_set_log(s, stderr); /* what the ERP was asked, for a demo's reader */
    printf("%s\n", erp_url(s)); /* after: a client that read it is logged */
    pthread_t logger;
    if (mail && pthread_create(&logger, NULL, mail_logger, mail) != 0) {
        fputs("weir-test-erp: cannot start the mail logger\n", stderr);
        smtp_receiver_stop(mail);
        erp_stop(s);
        return 1;
    }
    if (mail)
        printf("%s\n", smtp_receiver_url(mail));
    fflush(stdout);

    for (;;) {
        int sig;
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGUSR1 || sig == SIGUSR2) {
            erp_set_down(s, sig == SIGUSR1 ? ERP_DOWN_REFUSE : ERP_UP);
            fprintf(stderr, "weir-test-erp: %s\n", sig == SIGUSR1 ? "down" : "up");
            continue;
        }
        break;
    }
    if (mail) {
        atomic_store(&stopping, true);
        pthread_join(logger, NULL);
        smtp_receiver_stop(mail);
    }
    erp_stop(s);
    return 0;
}
