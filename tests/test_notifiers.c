/*
 * test_notifiers.c - the webhook and smtp notifiers end to end: the weir
 * binary, testsink as the target, the test ERP's capture endpoint as the
 * webhook and the test SMTP receiver (tests/erp/).  A run with rejected
 * records sends one POST and one mail with the grouped failures, and the
 * mail's resend command, run through /bin/sh, picks exactly its group;
 * endpoint down and back are one mail each across several drains; a dead
 * webhook changes no exit code and is logged without its secrets; the
 * SMTP password from ${env:} reaches the server and never a log.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "blackhole.h"
#include "cunit_main.h"
#include "e2e.h"
#include "erp_server.h"
#include "harness.h"
#include "raw_server.h"
#include "smtp_receiver.h"
#include "tls_server.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs"

#define TERMS "1020 - Terms Code \"F48\" is not defined in A/R Terms"
#define HOOK_TOKEN "hook-token-Zq81"
#define SMTP_PASSWORD "smtp-pass-Xk27"

static erp_server *erp;
static smtp_receiver *mail;

static int start(void)
{
    setenv("WEIR_TEST_HOOK_TOKEN", HOOK_TOKEN, 1);
    setenv("WEIR_TEST_SMTP_PW", SMTP_PASSWORD, 1);
    erp = erp_start(0);
    mail = smtp_receiver_start();
    return erp && mail ? 0 : -1;
}

static int stop(void)
{
    erp_stop(erp);
    smtp_receiver_stop(mail);
    return 0;
}

/* A csv source -> <track> -> testsink pipeline with `sink_opts`, and the
 * notifiers `notify` (XML). */
static void write_pipeline(const char *dir, const char *sink_opts,
                           const char *notify)
{
    char xml[8192];
    snprintf(xml, sizeof xml,
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"inv\" "
             "type=\"invoice\">\n"
             "  <source plugin=\"csv\" name=\"books\">\n"
             "    <option name=\"path\">in.csv</option>\n"
             "  </source>\n"
             "  <track key=\"code\"/>\n"
             "  <sink plugin=\"testsink\" name=\"erp\">\n"
             "    <option name=\"database\">target.db</option>\n"
             "    %s\n"
             "    <retry attempts=\"3\" delay=\"0s\" jitter=\"0s\"/>\n"
             "  </sink>\n%s"
             "</pipeline>\n", sink_opts, notify);
    free(wt_write_file(dir, "p.xml", xml));
}

/* The webhook (the ERP's capture) and the mail (the receiver). */
static char *notifiers(void)
{
    char *xml = NULL;
    CU_ASSERT_FATAL(asprintf(
        &xml,
        "  <notify plugin=\"webhook\" name=\"hook\">\n"
        "    <option name=\"url\">%s/hooks/weir</option>\n"
        "    <option name=\"header\">Authorization: Bearer "
        "${env:WEIR_TEST_HOOK_TOKEN}</option>\n"
        "  </notify>\n"
        "  <notify plugin=\"smtp\" name=\"mail\">\n"
        "    <option name=\"url\">%s</option>\n"
        "    <option name=\"starttls\">none</option>\n"
        "    <option name=\"from\">weir@example.com</option>\n"
        "    <option name=\"to\">ops@example.com</option>\n"
        "    <option name=\"to\">it@example.com acct@example.com</option>\n"
        "  </notify>\n",
        erp_url(erp), smtp_receiver_url(mail)) > 0);
    return xml;
}

static char *run(const char *dir, int code, const char *cmd, const char *file)
{
    const char *args[] = {cmd, "--plugin-path", PLUGINS, file, NULL};
    return e2e_expectv(dir, code, args);
}

/* The line of `text` after `marker` (its CRLF not included). (owned) */
static char *line_after(const char *text, const char *marker)
{
    const char *at = strstr(text, marker);
    if (!at)
        return NULL;
    at += strlen(marker);
    const char *end = strstr(at, "\r\n");
    return end ? strndup(at, (size_t)(end - at)) : NULL;
}

static void test_rejected_digest(void)
{
    char *d = e2e_scratch("digest");
    size_t mails0 = smtp_receiver_count(mail);
    size_t hooks0 = erp_captured_count(erp);
    free(wt_write_file(d, "in.csv",
                       "code,name,err\n"
                       "A1,x,\"" "1020 - Terms Code \"\"F48\"\" is not "
                       "defined in A/R Terms\"\n"
                       "A2,y,\n"
                       "A3,z,\"1020 - Terms Code \"\"F48\"\" is not defined "
                       "in A/R Terms\"\n"
                       "A4,w,2001 - GL account 4711 unknown\n"
                       "A5,v,\n"));
    char *n = notifiers();
    write_pipeline(d, "<option name=\"reject-field\">err</option>"
                      "<option name=\"reject-keys\">A5</option>", n);
    char *out = run(d, 1, "run", "p.xml");
    CU_ASSERT(e2e_contains(out, "4 rejected"));
    /* no secret in what weir printed */
    CU_ASSERT_PTR_NULL(strstr(out, HOOK_TOKEN));
    free(out);

    /* one POST: the event with its groups, the header from ${env:} */
    CU_ASSERT_EQUAL(erp_wait_captured(erp, hooks0 + 1, 5000), hooks0 + 1);
    json_t *c = erp_captured(erp, hooks0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "path")),
                           "/hooks/weir");
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(json_object_get(c, "headers"),
                                          "authorization")),
        "Bearer " HOOK_TOKEN);
    json_t *ev = json_object_get(c, "json");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ev, "event")),
                           "rejected");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(ev, "count")), 4);
    json_t *g = json_array_get(json_object_get(ev, "groups"), 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(g, "error")),
                           TERMS);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(g, "count")), 2);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(ev, "groups")), 3);
    json_decref(c);

    /* one mail, to all three, with the groups */
    CU_ASSERT_EQUAL(smtp_receiver_wait(mail, mails0 + 1, 5000), mails0 + 1);
    smtp_message *m = smtp_receiver_message(mail, mails0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_STRING_EQUAL(m->from, "weir@example.com");
    CU_ASSERT_EQUAL(m->n_rcpt, 3);
    CU_ASSERT(e2e_contains(m->data, "\r\nSubject: [weir] inv: 4 records "
                                    "rejected or failed\r\n"));
    CU_ASSERT(e2e_contains(m->data, "\r\nTo: ops@example.com,\r\n "
                                    "it@example.com,\r\n acct@example.com\r\n"));
    CU_ASSERT(e2e_contains(m->data, "2 x sink erp, type invoice:\r\n    "
                                    TERMS "\r\n    e.g. key A1 (line 2), key "
                                    "A3 (line 4)\r\n"));
    CU_ASSERT(e2e_contains(m->data, "1 x sink erp, type invoice:\r\n    "
                                    "rejected A5\r\n"));
    char *cmd = line_after(m->data, TERMS "\r\n    e.g. key A1 (line 2), key "
                                   "A3 (line 4)\r\n    Once the cause is "
                                   "fixed, resend this group with\r\n      ");
    smtp_message_free(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cmd);
    CU_ASSERT_STRING_EQUAL(cmd, "weir resend --pipeline inv --failed --sink "
                                "erp --type invoice --error '" TERMS "'");

    /* the ERP's setup is fixed; the command, as a person would paste it,
     * resends that group and nothing else */
    write_pipeline(d, "<option name=\"reject-field\">none</option>"
                      "<option name=\"reject-keys\">A5</option>", n);
    free(n);
    char *sh = NULL;
    CU_ASSERT_FATAL(asprintf(&sh, "cd '%s' && PATH='%s':\"$PATH\" "
                             "WEIR_PLUGIN_PATH='%s' %s > resend.out 2>&1",
                             d, WEIR_BUILDDIR, PLUGINS, cmd) > 0);
    CU_ASSERT_EQUAL(system(sh), 0);
    free(sh);
    free(cmd);
    char path[4200];
    snprintf(path, sizeof path, "%s/resend.out", d);
    char *said = wt_read_file(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(said);
    CU_ASSERT(e2e_contains(said, "2 records back to pending"));
    CU_ASSERT(e2e_contains(said, "2 written"));
    free(said);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", NULL), 2);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", "key", "A4",
                                     NULL), 1);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", "key", "A5",
                                     NULL), 1);
    /* nothing failed in the resend: no second digest */
    CU_ASSERT_EQUAL(smtp_receiver_count(mail), mails0 + 1);
    free(d);
}

static void test_endpoint_down_and_back_once(void)
{
    char *d = e2e_scratch("down");
    size_t mails0 = smtp_receiver_count(mail);
    free(wt_write_file(d, "in.csv", "code,name\nA1,x\nA2,y\nA3,z\n"));
    free(wt_write_file(d, "down", "x"));
    char *n = notifiers();
    write_pipeline(d, "<option name=\"down-file\">down</option>", n);
    free(n);
    char *out = run(d, 0, "run", "p.xml");
    CU_ASSERT(e2e_contains(out, "3 held"));
    free(out);
    /* still down across drains: no more mails */
    for (int i = 0; i < 2; i++)
        free(run(d, 0, "drain", "p.xml"));
    char path[4200];
    snprintf(path, sizeof path, "%s/down", d);
    unlink(path);
    out = run(d, 0, "drain", "p.xml");
    CU_ASSERT(e2e_contains(out, "3 written"));
    free(out);
    free(run(d, 0, "drain", "p.xml"));
    CU_ASSERT_EQUAL(smtp_receiver_wait(mail, mails0 + 2, 5000), mails0 + 2);
    CU_ASSERT_EQUAL(smtp_receiver_count(mail), mails0 + 2);
    smtp_message *m = smtp_receiver_message(mail, mails0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT(e2e_contains(m->data, "\r\nSubject: [weir] inv: endpoint of "
                                    "sink erp is down\r\n"));
    CU_ASSERT(e2e_contains(m->data, "endpoint down"));
    smtp_message_free(m);
    m = smtp_receiver_message(mail, mails0 + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT(e2e_contains(m->data, "\r\nSubject: [weir] inv: endpoint of "
                                    "sink erp is back up\r\n"));
    smtp_message_free(m);
    free(d);
}

/* A port nobody listens on: bound, then closed. */
static unsigned short closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
                    getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_dead_webhook(void)
{
    char *d = e2e_scratch("dead-hook");
    free(wt_write_file(d, "in.csv", "code,name\nA1,x\nA2,y\n"));
    char notify[1024];
    unsigned short port = closed_port();
    snprintf(notify, sizeof notify,
             "  <notify plugin=\"webhook\" name=\"hook\">\n"
             "    <option name=\"url\">http://127.0.0.1:%u/hooks/x?key=QsecretQ"
             "</option>\n"
             "    <option name=\"header\">Authorization: Bearer "
             "${env:WEIR_TEST_HOOK_TOKEN}</option>\n"
             "    <option name=\"attempts\">2</option>\n"
             "    <option name=\"retry-wait\">50ms</option>\n"
             "  </notify>\n", port);
    write_pipeline(d, "<option name=\"reject-keys\">A1</option>", notify);
    /* exit 1 for the reject, as without the notifier */
    char *out = run(d, 1, "run", "p.xml");
    char want[256];
    snprintf(want, sizeof want, "webhook POST http://127.0.0.1:%u/hooks/x: "
             "the rejected event was not delivered (2 attempts): ", port);
    CU_ASSERT(e2e_contains(out, want));
    CU_ASSERT(e2e_contains(out, "notifier 'hook' could not deliver the "
                                "rejected event"));
    CU_ASSERT(e2e_contains(out, "1 written, 1 rejected"));
    CU_ASSERT_PTR_NULL(strstr(out, "QsecretQ"));
    CU_ASSERT_PTR_NULL(strstr(out, HOOK_TOKEN));
    free(out);
    free(d);
}

/* A webhook URL from ${env:} (a chat webhook's path is its token): the
 * failure says where it went, "/..." in place of the path. */
static void test_dead_webhook_url_from_env(void)
{
    char *d = e2e_scratch("dead-hook-env");
    free(wt_write_file(d, "in.csv", "code,name\nA1,x\n"));
    unsigned short port = closed_port();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/services/T0/B1/Pathtoken42", port);
    setenv("WEIR_TEST_HOOK_URL", url, 1);
    write_pipeline(d, "<option name=\"reject-keys\">A1</option>",
                   "  <notify plugin=\"webhook\" name=\"hook\">\n"
                   "    <option name=\"url\">${env:WEIR_TEST_HOOK_URL}</option>\n"
                   "    <option name=\"attempts\">1</option>\n"
                   "  </notify>\n");
    char *out = run(d, 1, "run", "p.xml");
    char want[128];
    snprintf(want, sizeof want, "webhook POST http://127.0.0.1:%u/...: the rejected "
             "event was not delivered", port);
    CU_ASSERT(e2e_contains(out, want));
    CU_ASSERT_PTR_NULL(strstr(out, "Pathtoken42"));
    CU_ASSERT_PTR_NULL(strstr(out, "services"));
    free(out);
    free(d);
}

/* A webhook answering 302 to a login page has not taken the event:
 * following it as a GET, whose 200 read as delivered, lost the alert. */
static void test_redirected_webhook(void)
{
    raw_rule rules[] = {
        {"POST ", "HTTP/1.1 302 Found\r\nLocation: /login\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n", 0, ""},
        {"GET ", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n"
                 "Connection: close\r\n\r\nlogin!", 0, ""},
    };
    raw_server f;
    CU_ASSERT_FATAL(raw_start(&f, "127.0.0.1", rules, 2) == 0);
    char *d = e2e_scratch("redirect-hook");
    free(wt_write_file(d, "in.csv", "code,name\nA1,x\nA2,y\n"));
    char notify[1024];
    snprintf(notify, sizeof notify,
             "  <notify plugin=\"webhook\" name=\"hook\">\n"
             "    <option name=\"url\">%s/hooks/x</option>\n"
             "    <option name=\"attempts\">1</option>\n"
             "  </notify>\n", f.url);
    write_pipeline(d, "<option name=\"reject-keys\">A1</option>", notify);
    char *out = run(d, 1, "run", "p.xml");
    raw_stop(&f);
    CU_ASSERT(e2e_contains(out, "the rejected event was not delivered (1 attempt): "
                                "HTTP 302 Found"));
    CU_ASSERT_EQUAL(rules[1].hits, 0);
    free(out);
    free(d);
}

static void test_smtp_password(void)
{
    char *d = e2e_scratch("smtp-auth");
    size_t mails0 = smtp_receiver_count(mail);
    free(wt_write_file(d, "in.csv", "code,name\nA1,x\n"));
    char notify[1024];
    snprintf(notify, sizeof notify,
             "  <notify plugin=\"smtp\" name=\"mail\">\n"
             "    <option name=\"url\">%s</option>\n"
             "    <option name=\"starttls\">none</option>\n"
             "    <option name=\"from\">weir@example.com</option>\n"
             "    <option name=\"to\">ops@example.com</option>\n"
             "    <option name=\"user\">weir</option>\n"
             "    <option name=\"password\">${env:WEIR_TEST_SMTP_PW}</option>\n"
             "  </notify>\n", smtp_receiver_url(mail));
    write_pipeline(d, "<option name=\"reject-keys\">A1</option>", notify);
    smtp_receiver_require_auth(mail, "weir", SMTP_PASSWORD);
    char *out = run(d, 1, "run", "p.xml");
    CU_ASSERT_PTR_NULL(strstr(out, SMTP_PASSWORD));
    /* the clear-text warning, without the password */
    CU_ASSERT(e2e_contains(out, "starttls is not 'required'"));
    free(out);
    CU_ASSERT_EQUAL(smtp_receiver_wait(mail, mails0 + 1, 5000), mails0 + 1);
    smtp_message *m = smtp_receiver_message(mail, mails0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_STRING_EQUAL(m->auth_user, "weir");
    CU_ASSERT_STRING_EQUAL(m->auth_pass, SMTP_PASSWORD);
    smtp_message_free(m);
    /* refused login: warned without the password, the exit code as before */
    smtp_receiver_require_auth(mail, "weir", "another");
    free(wt_write_file(d, "in.csv", "code,name\nA1,x\nA2,y\n"));
    write_pipeline(d, "<option name=\"reject-keys\">A1 A2</option>", notify);
    out = run(d, 1, "run", "p.xml");
    CU_ASSERT(e2e_contains(out, "the mail for the rejected event was not "
                                "sent"));
    CU_ASSERT_PTR_NULL(strstr(out, SMTP_PASSWORD));
    free(out);
    CU_ASSERT_EQUAL(smtp_receiver_count(mail), mails0 + 1);
    smtp_receiver_require_auth(mail, NULL, NULL);
    free(d);
}

static void test_check(void)
{
    char *d = e2e_scratch("check");
    write_pipeline(d, "",
                   "  <notify plugin=\"smtp\" name=\"mail\">\n"
                   "    <option name=\"url\">http://x</option>\n"
                   "    <option name=\"from\">weir</option>\n"
                   "    <option name=\"to\">ops@example.com bad</option>\n"
                   "    <option name=\"user\">u</option>\n"
                   "    <option name=\"password\">literal</option>\n"
                   "  </notify>\n"
                   "  <notify plugin=\"webhook\" name=\"hook\">\n"
                   "    <option name=\"url\">ftp://x</option>\n"
                   "    <option name=\"header\">no colon</option>\n"
                   "  </notify>\n");
    char *out = run(d, 1, "validate", "p.xml");
    CU_ASSERT(e2e_contains(out, "must start with smtp://"));
    CU_ASSERT(e2e_contains(out, "'weir' is not an address"));
    CU_ASSERT(e2e_contains(out, "'bad' is not an address"));
    CU_ASSERT(e2e_contains(out, "give it as ${env:NAME}"));
    CU_ASSERT(e2e_contains(out, "must start with http:// or https://"));
    CU_ASSERT(e2e_contains(out, "must be 'Name: value'"));
    free(out);
    free(d);
}

/* Both notifiers refuse a timeout that is not longer than 0. */
static void test_check_timeouts(void)
{
    char *d = e2e_scratch("check-timeouts");
    write_pipeline(d, "",
                   "  <notify plugin=\"smtp\" name=\"mail\">\n"
                   "    <option name=\"url\">smtp://127.0.0.1:1</option>\n"
                   "    <option name=\"from\">weir@example.com</option>\n"
                   "    <option name=\"to\">ops@example.com</option>\n"
                   "    <option name=\"timeout\">0s</option>\n"
                   "    <option name=\"connect-timeout\">0s</option>\n"
                   "  </notify>\n"
                   "  <notify plugin=\"webhook\" name=\"hook\">\n"
                   "    <option name=\"url\">http://127.0.0.1:1/</option>\n"
                   "    <option name=\"timeout\">0s</option>\n"
                   "    <option name=\"connect-timeout\">0s</option>\n"
                   "  </notify>\n");
    char *out = run(d, 1, "validate", "p.xml");
    CU_ASSERT(e2e_contains(out, "option 'timeout' of smtp: must be longer "
                                "than 0"));
    CU_ASSERT(e2e_contains(out, "option 'connect-timeout' of smtp: must be "
                                "longer than 0"));
    CU_ASSERT(e2e_contains(out, "option 'timeout' of webhook: must be "
                                "longer than 0"));
    CU_ASSERT(e2e_contains(out, "option 'connect-timeout' of webhook: must "
                                "be longer than 0"));
    free(out);
    free(d);
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A pipeline whose one record is rejected, notifying `notify`; its run's
 * output. (owned) */
static char *run_rejecting(const char *name, const char *notify)
{
    char *d = e2e_scratch(name);
    free(wt_write_file(d, "in.csv", "code,name\nA1,x\n"));
    write_pipeline(d, "<option name=\"reject-keys\">A1</option>", notify);
    char *out = run(d, 1, "run", "p.xml");
    free(d);
    return out;
}

/* A webhook at `e` (the ERP or another one) with `opts`. (owned) */
static char *webhook_at(erp_server *e, const char *path, const char *opts)
{
    char *xml = NULL;
    CU_ASSERT_FATAL(asprintf(&xml,
                             "  <notify plugin=\"webhook\" name=\"hook\">\n"
                             "    <option name=\"url\">%s%s</option>\n    %s\n"
                             "  </notify>\n", erp_url(e), path, opts) > 0);
    return xml;
}

/* attempts: failures up to one less are tried again, waiting retry-wait
 * and then twice that; attempts failures lose the event. */
static void test_webhook_attempts(void)
{
    char *n = webhook_at(erp, "/hooks/attempts",
                         "<option name=\"attempts\">3</option>"
                         "<option name=\"retry-wait\">100ms</option>");
    size_t hooks0 = erp_captured_count(erp);
    erp_reset_counters(erp);
    erp_fail_next(erp, 2, 503, 0);
    long long t0 = now_ms();
    free(run_rejecting("hook-attempts3", n));
    CU_ASSERT(now_ms() - t0 >= 300); /* 100 + 200 ms */
    CU_ASSERT_EQUAL(erp_answers(erp, 503), 2);
    CU_ASSERT_EQUAL(erp_captured_count(erp), hooks0 + 1);
    free(n);
    n = webhook_at(erp, "/hooks/attempts",
                   "<option name=\"attempts\">2</option>"
                   "<option name=\"retry-wait\">10ms</option>");
    erp_reset_counters(erp);
    erp_fail_next(erp, 2, 503, 0);
    char *out = run_rejecting("hook-attempts2", n);
    CU_ASSERT(e2e_contains(out, "the rejected event was not delivered (2 attempts)"));
    CU_ASSERT_EQUAL(erp_answers(erp, 503), 2);
    CU_ASSERT_EQUAL(erp_captured_count(erp), hooks0 + 1);
    free(out);
    free(n);
}

/* timeout: a webhook slower than it is given up, the run goes on. */
static void test_webhook_timeout(void)
{
    erp_server *slow = erp_start(0); /* its own: its slow answers end with it */
    CU_ASSERT_PTR_NOT_NULL_FATAL(slow);
    erp_set_slow(slow, 5000);
    char *n = webhook_at(slow, "/hooks/slow", "<option name=\"attempts\">1</option>"
                                              "<option name=\"timeout\">200ms</option>");
    long long t0 = now_ms();
    char *out = run_rejecting("hook-timeout", n);
    CU_ASSERT(now_ms() - t0 < 3000);
    CU_ASSERT(e2e_contains(out, "the rejected event was not delivered (1 attempt): "));
    CU_ASSERT(e2e_contains(out, "imed out"));
    CU_ASSERT(e2e_contains(out, "0 written, 1 rejected"));
    free(out);
    free(n);
    erp_stop(slow);
}

/* The smtp notifier against receiver `r` with `opts`. (owned) */
static char *smtp_at(smtp_receiver *r, const char *opts)
{
    char *xml = NULL;
    CU_ASSERT_FATAL(asprintf(&xml,
                             "  <notify plugin=\"smtp\" name=\"mail\">\n"
                             "    <option name=\"url\">%s</option>\n"
                             "    <option name=\"from\">weir@example.com</option>\n"
                             "    <option name=\"to\">ops@example.com</option>\n    %s\n"
                             "  </notify>\n", smtp_receiver_url(r), opts) > 0);
    return xml;
}

/* The smtp notifier against the plain receiver with `opts`. (owned) */
static char *smtp_with(const char *opts)
{
    return smtp_at(mail, opts);
}

/* starttls against a server without STARTTLS: required (the default)
 * sends nothing and says why; try and none send in clear. */
static void test_smtp_starttls(void)
{
    const char *modes[] = {"", "<option name=\"starttls\">required</option>",
                           "<option name=\"starttls\">try</option>",
                           "<option name=\"starttls\">none</option>"};
    for (size_t i = 0; i < 4; i++) {
        size_t mails0 = smtp_receiver_count(mail);
        char *n = smtp_with(modes[i]);
        char name[32];
        snprintf(name, sizeof name, "starttls%zu", i);
        char *out = run_rejecting(name, n);
        if (i < 2) {
            CU_ASSERT(e2e_contains(out, "the mail for the rejected event was not sent: STARTTLS"));
            CU_ASSERT(e2e_contains(out, "notifier 'mail' could not deliver the rejected event"));
            CU_ASSERT_EQUAL(smtp_receiver_count(mail), mails0);
        } else {
            CU_ASSERT_EQUAL(smtp_receiver_wait(mail, mails0 + 1, 5000), mails0 + 1);
            CU_ASSERT_PTR_NULL(strstr(out, "not sent"));
        }
        free(out);
        free(n);
    }
}

/* STARTTLS against a server that offers it (required and try): the mail
 * and the login go over TLS, the server verified with ca-file.  Without
 * that CA its certificate is refused and nothing is sent: no fallback to
 * clear text, even with try. */
static void test_smtp_starttls_upgrade(void)
{
    char *d = e2e_scratch("starttls-upgrade");
    char *cert = NULL, *key = NULL;
    CU_ASSERT_FATAL(asprintf(&cert, "%s/cert.pem", d) > 0 && asprintf(&key, "%s/key.pem", d) > 0);
    CU_ASSERT_FATAL(tls_make_cert(d) == 0);
    smtp_receiver *tm = smtp_receiver_start();
    CU_ASSERT_PTR_NOT_NULL_FATAL(tm);
    CU_ASSERT_FATAL(smtp_receiver_starttls(tm, cert, key) == 0);
    smtp_receiver_require_auth(tm, "weir", SMTP_PASSWORD);
    const char *modes[] = {"required", "try"};
    char opts[1024], name[32];
    for (size_t i = 0; i < 2; i++) {
        snprintf(opts, sizeof opts,
                 "<option name=\"starttls\">%s</option>"
                 "<option name=\"ca-file\">%s</option>"
                 "<option name=\"user\">weir</option>"
                 "<option name=\"password\">${env:WEIR_TEST_SMTP_PW}</option>",
                 modes[i], cert);
        char *n = smtp_at(tm, opts);
        snprintf(name, sizeof name, "starttls-up%zu", i);
        char *out = run_rejecting(name, n);
        CU_ASSERT_PTR_NULL(strstr(out, "not sent"));
        CU_ASSERT_EQUAL_FATAL(smtp_receiver_wait(tm, i + 1, 5000), i + 1);
        smtp_message *m = smtp_receiver_message(tm, i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_EQUAL(m->tls, 1);
        CU_ASSERT_STRING_EQUAL(m->auth_user ? m->auth_user : "", "weir");
        CU_ASSERT_STRING_EQUAL(m->auth_pass ? m->auth_pass : "", SMTP_PASSWORD);
        CU_ASSERT(e2e_contains(m->data, "rejected"));
        smtp_message_free(m);
        free(out);
        free(n);
    }
    /* the system's CAs do not know the test certificate */
    char *n = smtp_at(tm, "<option name=\"starttls\">try</option>"
                          "<option name=\"user\">weir</option>"
                          "<option name=\"password\">${env:WEIR_TEST_SMTP_PW}</option>");
    char *out = run_rejecting("starttls-unknown-ca", n);
    CU_ASSERT(e2e_contains(out, "the mail for the rejected event was not sent"));
    CU_ASSERT_PTR_NULL(strstr(out, SMTP_PASSWORD));
    CU_ASSERT_EQUAL(smtp_receiver_count(tm), 2);
    free(out);
    free(n);
    smtp_receiver_stop(tm);
    free(cert);
    free(key);
    free(d);
}

static void test_smtp_subject_prefix(void)
{
    size_t mails0 = smtp_receiver_count(mail);
    char *n = smtp_with("<option name=\"starttls\">none</option>"
                        "<option name=\"subject-prefix\">[ERP sync]</option>");
    free(run_rejecting("prefix", n));
    free(n);
    CU_ASSERT_EQUAL_FATAL(smtp_receiver_wait(mail, mails0 + 1, 5000), mails0 + 1);
    smtp_message *m = smtp_receiver_message(mail, mails0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT(e2e_contains(m->data, "\r\nSubject: [ERP sync] inv: 1 record"));
    smtp_message_free(m);
}

/* state: the resend commands name that state database; tls-verify false
 * is a warning (the URLs are plain http/smtp here, so it is only that). */
static void test_state_and_tls_verify(void)
{
    size_t mails0 = smtp_receiver_count(mail);
    size_t hooks0 = erp_captured_count(erp);
    char *hook = webhook_at(erp, "/hooks/state",
                            "<option name=\"state\">/srv/weir/erp.db</option>"
                            "<option name=\"tls-verify\">false</option>");
    char *smtp = smtp_with("<option name=\"starttls\">none</option>"
                           "<option name=\"state\">/srv/weir/erp.db</option>"
                           "<option name=\"tls-verify\">false</option>");
    char *both = NULL;
    CU_ASSERT_FATAL(asprintf(&both, "%s%s", hook, smtp) > 0);
    char *out = run_rejecting("state", both);
    CU_ASSERT(e2e_contains(out, "inv/hook: tls-verify is false"));
    CU_ASSERT(e2e_contains(out, "inv/mail: tls-verify is false"));
    free(out);
    const char *cmd = "weir resend --state /srv/weir/erp.db --pipeline inv --failed "
                      "--sink erp --type invoice --error 'rejected A1'";
    CU_ASSERT_EQUAL_FATAL(erp_wait_captured(erp, hooks0 + 1, 5000), hooks0 + 1);
    json_t *c = erp_captured(erp, hooks0);
    json_t *g = json_array_get(json_object_get(json_object_get(c, "json"), "groups"), 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(g, "resend")), cmd);
    json_decref(c);
    CU_ASSERT_EQUAL_FATAL(smtp_receiver_wait(mail, mails0 + 1, 5000), mails0 + 1);
    smtp_message *m = smtp_receiver_message(mail, mails0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT(e2e_contains(m->data, cmd));
    smtp_message_free(m);
    free(both);
    free(hook);
    free(smtp);
}

/* A webhook to `url` and a mail to `smtp_url`, both with `opts`. (owned) */
static char *both_at(const char *url, const char *smtp_url, const char *opts)
{
    char *xml = NULL;
    CU_ASSERT_FATAL(asprintf(&xml,
                             "  <notify plugin=\"webhook\" name=\"hook\">\n"
                             "    <option name=\"url\">%s/hooks/x</option>\n"
                             "    <option name=\"attempts\">1</option>\n    %s\n"
                             "  </notify>\n"
                             "  <notify plugin=\"smtp\" name=\"mail\">\n"
                             "    <option name=\"url\">%s</option>\n"
                             "    <option name=\"from\">weir@example.com</option>\n"
                             "    <option name=\"to\">ops@example.com</option>\n    %s\n"
                             "  </notify>\n", url, opts, smtp_url, opts) > 0);
    return xml;
}

/* Does the line of `out` with `what` say that time ran out? */
static int said_timeout(const char *out, const char *what)
{
    const char *at = strstr(out, what);
    if (!at) {
        e2e_contains(out, what); /* prints both */
        return 0;
    }
    const char *end = strchr(at, '\n');
    char *line = strndup(at, end ? (size_t)(end - at) : strlen(at));
    int yes = strcasestr(line, "time") != NULL;
    if (!yes)
        fprintf(stderr, "\n  no timeout in: %s\n", line);
    free(line);
    return yes;
}

/* connect-timeout: a server that never completes the connection is given
 * up after it, by both notifiers. */
static void test_connect_timeout(void)
{
    blackhole b;
    CU_ASSERT_FATAL(blackhole_open(&b) == 0);
    char url[64], smtp_url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", b.port);
    snprintf(smtp_url, sizeof smtp_url, "smtp://127.0.0.1:%u", b.port);
    char *n = both_at(url, smtp_url, "<option name=\"connect-timeout\">200ms</option>");
    long long t0 = now_ms();
    char *out = run_rejecting("connect-timeout", n);
    CU_ASSERT(now_ms() - t0 < 4000);
    /* (libcurl words a connect timeout in more than one way) */
    CU_ASSERT(said_timeout(out, "not delivered (1 attempt): "));
    CU_ASSERT(said_timeout(out, "the mail for the rejected event was not sent: "));
    free(out);
    free(n);
    blackhole_close(&b);
}

/* smtp timeout: a server that takes the connection and never greets. */
static void test_smtp_timeout(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 4) == 0 &&
                    getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%u", ntohs(a.sin_port));
    char *n = NULL;
    CU_ASSERT_FATAL(asprintf(&n,
                             "  <notify plugin=\"smtp\" name=\"mail\">\n"
                             "    <option name=\"url\">%s</option>\n"
                             "    <option name=\"starttls\">none</option>\n"
                             "    <option name=\"timeout\">300ms</option>\n"
                             "    <option name=\"from\">weir@example.com</option>\n"
                             "    <option name=\"to\">ops@example.com</option>\n"
                             "  </notify>\n", url) > 0);
    long long t0 = now_ms();
    char *out = run_rejecting("smtp-timeout", n);
    CU_ASSERT(now_ms() - t0 < 4000);
    CU_ASSERT(e2e_contains(out, "the mail for the rejected event was not sent: "));
    CU_ASSERT(e2e_contains(out, "imed out"));
    free(out);
    free(n);
    close(fd);
}

/* ca-file against a real TLS server (openssl s_server, which neither
 * answers a POST nor greets as SMTP): without it the certificate is
 * refused; with it, or with tls-verify false, the handshake passes and
 * only the wait for the answer times out. */
static void test_tls_ca_file(void)
{
    char *srv = e2e_scratch("tls-server");
    tls_server t;
    if (tls_server_start(&t, srv) != 0) {
        fprintf(stderr, "\n  skipped: no openssl s_server to test TLS against\n");
        free(srv);
        return;
    }
    char url[64], smtp_url[64], opts[1400];
    snprintf(url, sizeof url, "https://127.0.0.1:%u", t.port);
    snprintf(smtp_url, sizeof smtp_url, "smtps://127.0.0.1:%u", t.port);
    /* none; ca-file; tls-verify false */
    for (int i = 0; i < 3; i++) {
        if (i == 1)
            snprintf(opts, sizeof opts, "<option name=\"timeout\">1s</option>"
                     "<option name=\"ca-file\">%s/cert.pem</option>", srv);
        else if (i == 2)
            snprintf(opts, sizeof opts, "<option name=\"timeout\">1s</option>"
                     "<option name=\"tls-verify\">false</option>");
        else /* the refusal comes at once; a TLS handshake under
              * valgrind on a loaded machine can take longer than 1s */
            snprintf(opts, sizeof opts, "<option name=\"timeout\">10s</option>");
        char *n = both_at(url, smtp_url, opts);
        char name[32];
        snprintf(name, sizeof name, "tls-%d", i);
        char *out = run_rejecting(name, n);
        if (i == 0) {
            CU_ASSERT(e2e_contains(out, "not delivered (1 attempt): SSL certificate problem"));
            CU_ASSERT(e2e_contains(out, "the mail for the rejected event was not sent: "
                                        "SSL certificate problem"));
        } else {
            CU_ASSERT(said_timeout(out, "not delivered (1 attempt): "));
            CU_ASSERT(said_timeout(out, "the mail for the rejected event was not sent: "));
            CU_ASSERT_PTR_NULL(strstr(out, "SSL certificate problem"));
        }
        free(out);
        free(n);
    }
    tls_server_stop(&t);
    free(srv);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("webhook and smtp notifiers", start, stop);
    CU_add_test(s, "rejects: one POST, one mail, its resend command",
                test_rejected_digest);
    CU_add_test(s, "endpoint down and back: one mail each",
                test_endpoint_down_and_back_once);
    CU_add_test(s, "a dead webhook: logged, exit code unchanged",
                test_dead_webhook);
    CU_add_test(s, "dead webhook at a URL from the environment: path not shown",
                test_dead_webhook_url_from_env);
    CU_add_test(s, "a redirected webhook: not delivered", test_redirected_webhook);
    CU_add_test(s, "smtp password from ${env:}: sent, never logged",
                test_smtp_password);
    CU_add_test(s, "option checks", test_check);
    CU_add_test(s, "timeouts longer than 0", test_check_timeouts);
    CU_add_test(s, "webhook attempts and retry-wait", test_webhook_attempts);
    CU_add_test(s, "webhook timeout", test_webhook_timeout);
    CU_add_test(s, "smtp starttls required, try, none", test_smtp_starttls);
    CU_add_test(s, "smtp STARTTLS upgrade: login and mail over verified TLS",
                test_smtp_starttls_upgrade);
    CU_add_test(s, "smtp subject-prefix", test_smtp_subject_prefix);
    CU_add_test(s, "state in the resend commands; tls-verify false warned",
                test_state_and_tls_verify);
    CU_add_test(s, "connect-timeout", test_connect_timeout);
    CU_add_test(s, "smtp timeout", test_smtp_timeout);
    CU_add_test(s, "ca-file against a real TLS server", test_tls_ca_file);
}
