/*
 * test_notify_format.c - what the webhook and smtp notifiers make of an
 * event, without a network: the digest's groups (sink, type, the
 * target's text; retries that ran out in the same group), the resend
 * command and its shell quoting (run through /bin/sh to prove it), the
 * webhook's JSON of each event, and the mail's headers, CRLF lines and
 * body.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/digest.h"
#include "cunit_main.h"
#include "smtp/mail.h"
#include "webhook/payload.h"

#define TERMS "1020 - Terms Code \"F48\" is not defined in A/R Terms"
#define TERMS_JSON "1020 - Terms Code \\\"F48\\\" is not defined in A/R Terms"

/* Seed 002's rejects: two terms-code refusals (one after its retries ran
 * out), one GL account refusal of another type, a track duplicate, and a
 * key with a quote in it. */
static const char digest_event[] =
    "{\"event\":\"rejected\",\"pipeline\":\"invoices-to-erp\","
    "\"time\":\"2026-11-22T15:42:12Z\",\"count\":6,\"records\":["
    "{\"status\":\"rejected\",\"stage\":\"erp\",\"key\":\"INV-1\",\"line\":2,"
    "\"error\":\"" TERMS_JSON "\",\"sink\":\"erp\",\"type\":\"invoice\"},"
    "{\"status\":\"rejected\",\"stage\":\"erp\",\"key\":\"INV-2\",\"line\":3,"
    "\"error\":\"2001 - GL account 4711 unknown\",\"sink\":\"erp\","
    "\"type\":\"credit-note\"},"
    "{\"status\":\"failed\",\"stage\":\"erp\",\"key\":\"INV-3\",\"line\":4,"
    "\"error\":\"gave up after 5 attempts: " TERMS_JSON "\",\"sink\":\"erp\","
    "\"type\":\"invoice\"},"
    "{\"status\":\"rejected\",\"stage\":\"track\",\"key\":\"INV-1\",\"line\":5,"
    "\"error\":\"duplicate key in this run (first at line 2)\"},"
    "{\"status\":\"rejected\",\"stage\":\"erp\",\"key\":\"O'Brien\",\"line\":6,"
    "\"error\":\"" TERMS_JSON "\",\"sink\":\"erp\",\"type\":\"invoice\"}"
    "]}";

static json_t *group_at(json_t *groups, size_t i)
{
    return json_array_get(groups, i);
}

static const char *gs(json_t *g, const char *name)
{
    return json_string_value(json_object_get(g, name));
}

static long long gi(json_t *g, const char *name)
{
    return json_integer_value(json_object_get(g, name));
}

static void test_groups(void)
{
    json_t *ev = json_loads(digest_event, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    json_t *groups = weirp_digest_groups(ev, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(groups);
    CU_ASSERT_EQUAL(json_array_size(groups), 3);
    /* the largest first: the terms code, its failed record included */
    json_t *g = group_at(groups, 0);
    CU_ASSERT_STRING_EQUAL(gs(g, "sink"), "erp");
    CU_ASSERT_STRING_EQUAL(gs(g, "type"), "invoice");
    CU_ASSERT_STRING_EQUAL(gs(g, "error"), TERMS);
    CU_ASSERT_EQUAL(gi(g, "count"), 3);
    CU_ASSERT_EQUAL(gi(g, "rejected"), 2);
    CU_ASSERT_EQUAL(gi(g, "failed"), 1);
    json_t *ex = json_object_get(g, "examples");
    CU_ASSERT_EQUAL(json_array_size(ex), 3);
    CU_ASSERT_STRING_EQUAL(gs(json_array_get(ex, 2), "key"), "O'Brien");
    CU_ASSERT_EQUAL(gi(json_array_get(ex, 2), "line"), 6);
    CU_ASSERT_STRING_EQUAL(
        gs(g, "resend"),
        "weir resend --pipeline invoices-to-erp --failed --sink erp "
        "--type invoice --error '" TERMS "'");
    /* ties in the order of the records */
    g = group_at(groups, 1);
    CU_ASSERT_STRING_EQUAL(gs(g, "type"), "credit-note");
    CU_ASSERT_EQUAL(gi(g, "count"), 1);
    g = group_at(groups, 2);
    CU_ASSERT_PTR_NULL(json_object_get(g, "sink"));
    CU_ASSERT_PTR_NULL(json_object_get(g, "resend"));
    CU_ASSERT_STRING_EQUAL(gs(g, "stage"), "track");
    json_decref(groups);
    json_decref(ev);
}

static void test_examples_bounded(void)
{
    json_t *ev = json_pack("{s:s, s:s, s:i, s:[]}", "event", "rejected",
                           "pipeline", "p", "count", 10, "records");
    for (int i = 0; i < 10; i++)
        json_array_append_new(json_object_get(ev, "records"),
                              json_pack("{s:s, s:s, s:n, s:i, s:s, s:s}",
                                        "status", "rejected", "stage", "out",
                                        "key", "line", i + 1, "error", "no",
                                        "sink", "out"));
    json_t *groups = weirp_digest_groups(ev, "/var/lib/weir/state db.db");
    CU_ASSERT_EQUAL_FATAL(json_array_size(groups), 1);
    json_t *g = group_at(groups, 0);
    CU_ASSERT_EQUAL(gi(g, "count"), 10);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(g, "examples")),
                    WEIRP_DIGEST_EXAMPLES);
    CU_ASSERT(json_is_null(json_object_get(
        json_array_get(json_object_get(g, "examples"), 0), "key")));
    /* no type: --type - picks the records without one (none would pick
     * every type); a state with a space is quoted */
    CU_ASSERT_STRING_EQUAL(gs(g, "resend"),
                           "weir resend --state '/var/lib/weir/state db.db' "
                           "--pipeline p --failed --sink out --type - "
                           "--error 'no'");
    json_decref(groups);
    json_decref(ev);
}

static void test_error_class(void)
{
    CU_ASSERT_STRING_EQUAL(weirp_digest_error_class(
                               "gave up after 12 attempts: HTTP 503"),
                           "HTTP 503");
    /* the first " attempts: ", as the state store matches */
    CU_ASSERT_STRING_EQUAL(weirp_digest_error_class(
                               "gave up after 2 attempts: x attempts: y"),
                           "x attempts: y");
    CU_ASSERT_STRING_EQUAL(weirp_digest_error_class("HTTP 400"), "HTTP 400");
    CU_ASSERT_STRING_EQUAL(weirp_digest_error_class("gave up after lunch"),
                           "gave up after lunch");
    CU_ASSERT_PTR_NULL(weirp_digest_error_class(NULL));
}

/* What /bin/sh makes of `printf %s QUOTED`. */
static char *through_shell(const char *quoted)
{
    char *cmd = NULL;
    if (asprintf(&cmd, "printf %%s %s", quoted) < 0)
        return NULL;
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p)
        return NULL;
    char *out = calloc(1, 4096);
    size_t n = fread(out, 1, 4095, p);
    out[n] = '\0';
    pclose(p);
    return out;
}

static void test_shell_quote(void)
{
    static const char *const texts[] = {
        "plain-word_1.2", "it's", "two words", "$(touch /tmp/pwned) `x` $HOME",
        "'", "''", "\\n \\", "a\nb", "-5 bad", "* ?", "", "é ü \"q\""};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        for (int always = 0; always < 2; always++) {
            char *q = weirp_shell_quote(texts[i], always);
            CU_ASSERT_PTR_NOT_NULL_FATAL(q);
            char *back = through_shell(q);
            CU_ASSERT_PTR_NOT_NULL_FATAL(back);
            CU_ASSERT_STRING_EQUAL(back, texts[i]);
            free(back);
            free(q);
        }
    }
    char *q = weirp_shell_quote("plain", 0);
    CU_ASSERT_STRING_EQUAL(q, "plain");
    free(q);
    q = weirp_shell_quote("plain", 1);
    CU_ASSERT_STRING_EQUAL(q, "'plain'");
    free(q);
    q = weirp_shell_quote("it's", 0);
    CU_ASSERT_STRING_EQUAL(q, "'it'\\''s'");
    free(q);
}

/* ---- webhook ------------------------------------------------------------ */

static void test_webhook_events(void)
{
    static const char *const events[] = {
        "{\"event\":\"endpoint-down\",\"pipeline\":\"shop\",\"time\":\"t\","
        "\"sink\":\"erp\",\"error\":\"connection refused\"}",
        "{\"event\":\"endpoint-up\",\"pipeline\":\"shop\",\"time\":\"t\","
        "\"sink\":\"erp\"}",
        "{\"event\":\"run-failed\",\"pipeline\":\"shop\",\"time\":\"t\","
        "\"error\":\"source failed\"}"};
    for (size_t i = 0; i < 3; i++) {
        char *body = webhook_payload(events[i], NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(body);
        /* the core's event as it is, in its order */
        CU_ASSERT_STRING_EQUAL(body, events[i]);
        free(body);
    }
    char *body = webhook_payload(digest_event, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    json_t *o = json_loads(body, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_STRING_EQUAL(gs(o, "event"), "rejected");
    CU_ASSERT_EQUAL(gi(o, "count"), 6);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "records")), 5);
    json_t *g = json_array_get(json_object_get(o, "groups"), 0);
    CU_ASSERT_STRING_EQUAL(gs(g, "error"), TERMS);
    CU_ASSERT_PTR_NOT_NULL(strstr(gs(g, "resend"), "--sink erp"));
    json_decref(o);
    free(body);
    CU_ASSERT_PTR_NULL(webhook_payload("not json", NULL));
    CU_ASSERT_PTR_NULL(webhook_payload("[1]", NULL));
}

/* ---- mail --------------------------------------------------------------- */

static const char *const rcpt[] = {"ops@example.com", "it@example.com"};

static char *mail(const char *event, const char *prefix)
{
    smtp_mail_opts o = {
        .from = "weir@example.com", .to = rcpt, .nto = 2,
        .subject_prefix = prefix, .domain = "host.example",
        .unique = 0xabcdef, .now = 1795448532 /* 2026-11-23 15:42:12 */};
    return smtp_mail_build(&o, event);
}

/* Every line ends CRLF, none longer than SMTP allows, no bare CR or LF. */
static void assert_crlf(const char *m)
{
    const char *line = m;
    for (const char *p = m; *p; p++) {
        if (*p == '\r') {
            CU_ASSERT_EQUAL(p[1], '\n');
        } else if (*p == '\n') {
            CU_ASSERT(p > m && p[-1] == '\r');
            CU_ASSERT(p - line <= SMTP_MAIL_LINE_MAX);
            line = p + 1;
        }
    }
    CU_ASSERT(strlen(m) >= 2 && strcmp(m + strlen(m) - 2, "\r\n") == 0);
}

static void test_mail_headers(void)
{
    char *m = mail("{\"event\":\"endpoint-down\",\"pipeline\":\"shop-orders\","
                   "\"time\":\"2026-11-22T15:42:43Z\",\"sink\":\"erp\","
                   "\"error\":\"connection refused\\nby 127.0.0.1\"}",
                   "[weir]");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    assert_crlf(m);
    CU_ASSERT(strncmp(m, "Date: Mon, 23 Nov 2026 15:42:12 +0000\r\n", 39) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, " +0000\r\nFrom: weir@example.com\r\n"
                                     "To: ops@example.com,\r\n it@example.com\r\n"
                                     "Subject: [weir] shop-orders: endpoint of "
                                     "sink erp is down\r\n"
                                     "Message-ID: <weir.abcdef.1795448532@"
                                     "host.example>\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "Content-Type: text/plain; charset=utf-8"
                                     "\r\n"));
    /* the headers end at the first blank line; the body follows */
    char *body = strstr(m, "\r\n\r\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    CU_ASSERT_PTR_NOT_NULL(strstr(body, "went down (2026-11-22T15:42:43Z)"));
    /* the target's newline shown as a space: no line of its own */
    CU_ASSERT_PTR_NOT_NULL(strstr(body, "connection refused by 127.0.0.1\r\n"));
    free(m);

    m = mail("{\"event\":\"endpoint-up\",\"pipeline\":\"shop-orders\","
             "\"time\":\"2026-11-22T15:42:55Z\",\"sink\":\"erp\"}", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    assert_crlf(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "\r\nSubject: shop-orders: endpoint of "
                                     "sink erp is back up\r\n"));
    free(m);

    m = mail("{\"event\":\"run-failed\",\"pipeline\":\"p\",\"time\":\"t\","
             "\"error\":\"source 'in' failed\"}", "weir:");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "\r\nSubject: weir: p: run failed\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "the run failed (t):\r\n  source 'in' "
                                     "failed\r\n"));
    free(m);
    CU_ASSERT_PTR_NULL(mail("nope", NULL));
}

static void test_mail_digest(void)
{
    char *m = mail(digest_event, "[weir]");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    assert_crlf(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "\r\nSubject: [weir] invoices-to-erp: 6 "
                                     "records rejected or failed\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(
        m, "3 x sink erp, type invoice:\r\n    " TERMS "\r\n"
           "    (1 of them failed after their retries ran out)\r\n"
           "    e.g. key INV-1 (line 2), key INV-3 (line 4), key O'Brien "
           "(line 6)\r\n"
           "    Once the cause is fixed, resend this group with\r\n"
           "      weir resend --pipeline invoices-to-erp --failed --sink erp "
           "--type invoice --error '" TERMS "'\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "1 x stage track:\r\n    duplicate key"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "Not in the outbox"));
    /* 5 records listed of 6 */
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "Only the first 5 of the 6 records"));
    free(m);
}

/* With weir serve --http, the core's events carry "monitor" (the page
 * of their pipeline or endpoint): each group of the digest links its own
 * page below it, and the mails show the links; without, nothing does. */
#define PAGE "http://127.0.0.1:8080/#pipeline=invoices-to-erp"
#define TERMS_PAGE PAGE "&sink=erp&status=failed&type=invoice&error=1020%20-" \
    "%20Terms%20Code%20%22F48%22%20is%20not%20defined%20in%20A%2FR%20Terms"

static void test_monitor_links(void)
{
    json_t *ev = json_loads(digest_event, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    json_object_set_new(ev, "monitor", json_string(PAGE));
    json_t *groups = weirp_digest_groups(ev, NULL);
    CU_ASSERT_STRING_EQUAL(gs(group_at(groups, 0), "monitor"), TERMS_PAGE);
    CU_ASSERT_STRING_EQUAL(gs(group_at(groups, 1), "monitor"),
                           PAGE "&sink=erp&status=failed&type=credit-note&"
                           "error=2001%20-%20GL%20account%204711%20unknown");
    /* the track's reject is in no outbox: no page */
    CU_ASSERT_PTR_NULL(json_object_get(group_at(groups, 2), "monitor"));
    json_decref(groups);
    char *text = json_dumps(ev, JSON_COMPACT);
    char *body = webhook_payload(text, NULL);
    json_t *o = json_loads(body ? body : "", 0, NULL);
    CU_ASSERT_STRING_EQUAL(gs(o, "monitor"), PAGE);
    CU_ASSERT_STRING_EQUAL(
        gs(json_array_get(json_object_get(o, "groups"), 0), "monitor"),
        TERMS_PAGE);
    json_decref(o);
    free(body);
    char *m = mail(text, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    assert_crlf(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(
        m, "--type invoice --error '" TERMS "'\r\n"
           "    or in the web monitor:\r\n      " TERMS_PAGE "\r\n"));
    free(m);
    free(text);
    json_decref(ev);
    m = mail(digest_event, NULL);
    CU_ASSERT_PTR_NULL(strstr(m, "web monitor"));
    free(m);
    m = mail("{\"event\":\"endpoint-down\",\"pipeline\":\"shop\","
             "\"time\":\"t\",\"sink\":\"erp\",\"error\":\"refused\","
             "\"monitor\":\"http://127.0.0.1:8080/#pipeline=shop&sink=erp\"}",
             NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "One more mail says when it does.\r\n"
                                     "The held records in the web monitor:"
                                     "\r\n  http://127.0.0.1:8080/#pipeline="
                                     "shop&sink=erp\r\n"));
    free(m);
}

/* A target's text too long for one mail line: shown cut, and the command
 * replaced by where to find the records. */
static void test_mail_long_text(void)
{
    char error[3000];
    memset(error, 'x', sizeof error - 1);
    error[sizeof error - 1] = '\0';
    char *ev = NULL;
    CU_ASSERT_FATAL(asprintf(&ev,
                             "{\"event\":\"rejected\",\"pipeline\":\"p\","
                             "\"time\":\"t\",\"count\":1,\"records\":[{"
                             "\"status\":\"rejected\",\"stage\":\"s\","
                             "\"sink\":\"s\",\"key\":\"k\",\"line\":1,"
                             "\"error\":\"%s\"}]}", error) > 0);
    char *m = mail(ev, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    assert_crlf(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "xxx...\r\n"));
    CU_ASSERT_PTR_NULL(strstr(m, "weir resend"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "weir monitor --pipeline p --status "
                                     "failed --records"));
    free(m);
    free(ev);
}

static void test_address(void)
{
    CU_ASSERT(smtp_mail_address_ok("ops@example.com"));
    CU_ASSERT(smtp_mail_address_ok("a.b+c@d"));
    CU_ASSERT(!smtp_mail_address_ok("ops"));
    CU_ASSERT(!smtp_mail_address_ok("@example.com"));
    CU_ASSERT(!smtp_mail_address_ok("ops@"));
    CU_ASSERT(!smtp_mail_address_ok("a@b@c"));
    CU_ASSERT(!smtp_mail_address_ok("ops@example.com\r\nBcc: x@y"));
    CU_ASSERT(!smtp_mail_address_ok("<ops@example.com>"));
    CU_ASSERT(!smtp_mail_address_ok("Ops <ops@example.com>"));
    CU_ASSERT(!smtp_mail_address_ok("\xc3\xa9@example.com"));
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("notifier formatting", NULL, NULL);
    CU_add_test(s, "digest groups: sink, type, target's text", test_groups);
    CU_add_test(s, "digest: examples bounded, no type", test_examples_bounded);
    CU_add_test(s, "error class as resend matches it", test_error_class);
    CU_add_test(s, "shell quoting through /bin/sh", test_shell_quote);
    CU_add_test(s, "webhook: JSON of each event", test_webhook_events);
    CU_add_test(s, "mail: headers, CRLF, each event", test_mail_headers);
    CU_add_test(s, "mail: the digest's groups", test_mail_digest);
    CU_add_test(s, "mail: a text too long for a line", test_mail_long_text);
    CU_add_test(s, "web monitor links in groups and mails",
                test_monitor_links);
    CU_add_test(s, "mail: addresses", test_address);
}
