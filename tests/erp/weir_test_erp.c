/*
 * weir-test-erp - the tests' ERP as a program, for the example pipelines:
 * runs the server of erp_server.h on 127.0.0.1 until interrupted.
 *
 *   tests/erp/weir-test-erp [--port N] [--slow MS] [--flaky 503|drop|lose:N]
 *       [--rate N] [--bearer TOKEN] [--basic USER:PASSWORD]
 *       [--oauth2 ID:SECRET] [--customers N] [--terms CODE]... [--down 503]
 *
 * It prints its URL on the first line of stdout.  While it runs, SIGUSR1
 * switches it down (connections refused) and SIGUSR2 back up, so a README
 * can show weir holding records while the ERP is down:
 *   kill -USR1 $(pgrep -f weir-test-erp)    # down
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erp_server.h"

static void usage(void)
{
    fputs("usage: weir-test-erp [--port N] [--slow MS] [--flaky 503|drop|lose:N] [--rate N]\n"
          "         [--bearer TOKEN] [--basic USER:PASSWORD] [--oauth2 ID:SECRET]\n"
          "         [--customers N] [--terms CODE]... [--gl-account CODE]... [--down 503]\n"
          "Runs the test ERP on 127.0.0.1 (port 0: a free one) and prints its URL.\n"
          "SIGUSR1: down (connections refused); SIGUSR2: up; SIGINT/SIGTERM: stop.\n",
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

int main(int argc, char **argv)
{
    long port = 0, customers = 0;
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

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = number(argv[++i], 65535);
    erp_server *s = erp_start((unsigned short)port);
    if (!s)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        char *val = i + 1 < argc ? argv[i + 1] : NULL, *b;
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0 || !val) {
            usage();
            erp_stop(s);
            return strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0 ? 0 : 2;
        }
        i++;
        if (strcmp(opt, "--port") == 0) {
            continue;
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
    printf("%s\n", erp_url(s));
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
    erp_stop(s);
    return 0;
}
