/*
 * test_http_sink.c - the http sink end to end: the real weir binary, a
 * csv source, and the test ERP (tests/erp/erp_server.h) on 127.0.0.1.
 * Rejects with the ERP's words, retries on 503 and 429 (Retry-After),
 * the ERP down and back (held, drained in order, none lost or twice),
 * assigned ids, secrets kept out of every output, a lost answer not
 * creating a record twice (idempotency key; lookup), OAuth2 tokens.
 * Retry delays are 0s so nothing sleeps.
 */
#define _POSIX_C_SOURCE 200809L /* setenv, strdup */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blackhole.h"
#include "cunit_main.h"
#include "e2e.h"
#include "erp_server.h"
#include "harness.h"
#include "raw_server.h"
#include "tls_server.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs"
#define SECRET "tok-S3CRET-4711"

static erp_server *erp;

static int start_erp(void)
{
    erp = erp_start(0);
    return erp ? 0 : -1;
}

static int stop_erp(void)
{
    erp_stop(erp);
    return 0;
}

/* A pipeline file: csv source -> `track` -> http sink "erp", retries
 * without delay.  Unset fields take the defaults named. */
typedef struct sink_pipeline {
    const char *file;  /* in the scratch folder; "p.xml" */
    const char *name;  /* the pipeline's name; "inv" */
    const char *csv;   /* the source's file; "in.csv" */
    const char *track; /* XML between source and sink; none */
    const char *url;   /* the sink's; the test ERP's */
    const char *opts;  /* the sink's options (XML) */
    int attempts;      /* of <retry> */
} sink_pipeline;

static void write_sink_pipeline(const char *d, sink_pipeline p)
{
    char xml[4096];
    int n = snprintf(xml, sizeof xml,
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"%s\" type=\"invoice\">\n"
             "  <source plugin=\"csv\" name=\"shop\"><option name=\"path\">%s</option></source>\n"
             "  %s\n"
             "  <sink plugin=\"http\" name=\"erp\">\n"
             "    <option name=\"url\">%s</option>\n"
             "    %s\n"
             "    <retry attempts=\"%d\" delay=\"0s\" jitter=\"0s\"/>\n"
             "  </sink>\n"
             "</pipeline>\n",
             p.name ? p.name : "inv", p.csv ? p.csv : "in.csv",
             p.track ? p.track : "", p.url ? p.url : erp_url(erp),
             p.opts ? p.opts : "", p.attempts);
    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof xml);
    free(wt_write_file(d, p.file ? p.file : "p.xml", xml));
}

/* Scratch folder `name` with in.csv = `csv` and p.xml: csv -> http sink
 * (POST /invoices, body {"ref","terms"}, concurrency 1 so the order is
 * the file's) with `opts` spliced into the sink. */
static char *setup(const char *name, const char *csv, const char *opts)
{
    char *d = e2e_scratch(name);
    char all[2048];
    int n = snprintf(all, sizeof all,
             "<option name=\"upsert\">POST /invoices</option>\n"
             "    <option name=\"body\">{\"ref\": \"{ref}\", \"terms\": \"{terms}\"}</option>\n"
             "    <option name=\"error-pointer\">/error/message</option>\n"
             "    <option name=\"id-pointer\">/id</option>\n"
             "    <option name=\"health\">GET /health</option>\n"
             "    <option name=\"concurrency\">1</option>\n"
             "    %s", opts ? opts : "");
    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof all);
    write_sink_pipeline(d, (sink_pipeline){.opts = all, .attempts = 5});
    free(wt_write_file(d, "in.csv", csv));
    erp_reset_counters(erp);
    return d;
}

static char *weir(const char *d, int code, const char *cmd, const char *arg)
{
    const char *args[] = {cmd, "--plugin-path", PLUGINS, arg, NULL};
    return e2e_expectv(d, code, args);
}

/* The record of the ERP with ref `ref`: its "id", or "" when none. */
static char *erp_id(const char *ref)
{
    json_t *r = erp_record(erp, "invoices", ref);
    const char *id = json_string_value(json_object_get(r, "id"));
    char *copy = strdup(id ? id : "");
    json_decref(r);
    return copy;
}

static void test_reject_with_erp_text(void)
{
    char *d = setup("reject", "ref,terms\nR1,N30\nR2,F48\nR3,COD\n", NULL);
    free(weir(d, 1, "run", "p.xml"));
    CU_ASSERT_EQUAL(erp_record_count(erp, "invoices"), 2);
    e2e_result r = e2e_run(d, "monitor", "--json", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "1020 - Terms Code \\\"F48\\\" is not defined in A/R Terms"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", "key", "null", NULL), 1);
    free(d);
}

static void test_retry_503_then_delivered(void)
{
    char *d = setup("retry503", "ref,terms\nS1,N30\nS2,N30\n", NULL);
    erp_fail_next(erp, 2, 503, 0);
    free(weir(d, 0, "run", "p.xml"));
    free(weir(d, 0, "drain", "p.xml"));
    CU_ASSERT_EQUAL(erp_answers(erp, 503), 2);
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "S1"), 1);
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "S2"), 1);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "delivered", NULL), 2);
    CU_ASSERT(e2e_history_count(d, "retry") >= 1);
    free(d);
}

static void test_429_retry_after(void)
{
    char *d = setup("ra429", "ref,terms\nT1,N30\n", NULL);
    erp_fail_next(erp, 1, 429, 120);
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_EQUAL(erp_answers(erp, 429), 1);
    /* delay is 0s, but the ERP asked for 120 s: a drain now sends nothing */
    free(weir(d, 0, "drain", "p.xml"));
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /invoices"), 1);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "retry", NULL), 1);
    e2e_clock_offset("3m");
    free(weir(d, 0, "drain", "p.xml"));
    e2e_clock_offset(NULL);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /invoices"), 2);
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "T1"), 1);
    free(d);
}

static void test_down_held_drained_in_order(void)
{
    char *d = setup("down", "ref,terms\nD1,N30\nD2,N60\nD3,COD\nD4,N30\n", NULL);
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_DOWN_REFUSE), 0);
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 4);
    CU_ASSERT_EQUAL(e2e_history_count(d, "retry"), 0); /* no attempt spent */
    free(weir(d, 0, "drain", "p.xml")); /* still down: stays held */
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 4);
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_UP), 0);
    size_t before = erp_record_count(erp, "invoices");
    e2e_clock_offset("1h"); /* past the next probe */
    free(weir(d, 0, "drain", "p.xml"));
    e2e_clock_offset(NULL);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "delivered", NULL), 4);
    CU_ASSERT_EQUAL(erp_record_count(erp, "invoices"), before + 4);
    CU_ASSERT_EQUAL(erp_max_created(erp), 1);
    /* in order: the ERP numbered them as the file lists them */
    const char *refs[] = {"D1", "D2", "D3", "D4"};
    char *prev = strdup("");
    for (size_t i = 0; i < 4; i++) {
        char *id = erp_id(refs[i]);
        CU_ASSERT(strcmp(prev, id) < 0);
        /* the assigned id is in `weir show --json` */
        CU_ASSERT_EQUAL(e2e_outbox_count(d, "assigned_id", id, NULL), 1);
        free(prev);
        prev = id;
    }
    free(prev);
    free(d);
}

/* Does the file at dir/name hold `needle`?  (binary-safe) */
static int file_has(const char *dir, const char *name, const char *needle)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    size_t n = strlen(needle), at = 0;
    int c, found = 0;
    while (!found && (c = fgetc(f)) != EOF) {
        at = (char)c == needle[at] ? at + 1 : ((char)c == needle[0]);
        found = at == n;
    }
    fclose(f);
    return found;
}

static void test_secrets_stay_out(void)
{
    setenv("ERP_TOKEN", SECRET, 1);
    erp_set_auth(erp, ERP_AUTH_BEARER, SECRET, NULL);
    char *d = setup("secrets", "ref,terms\nK1,N30\nK2,F48\n",
                    "<option name=\"auth\">bearer</option>"
                    "<option name=\"token\">${env:ERP_TOKEN}</option>"
                    "<option name=\"header\">X-Api-Key: ${env:ERP_TOKEN}</option>");
    char *out = weir(d, 1, "run", "p.xml");
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "K1"), 1);
    CU_ASSERT_PTR_NULL(strstr(out, SECRET));
    free(out);
    /* a wrong token: refused, and still no secret in the texts */
    erp_set_auth(erp, ERP_AUTH_BEARER, "another", NULL);
    free(wt_write_file(d, "in.csv", "ref,terms\nK3,N30\n"));
    out = weir(d, 1, "run", "p.xml");
    free(out);
    const char *views[][3] = {{"monitor", "--json", "--records"}, {"show", "1", "--json"},
                              {"show", "2", "--json"}, {"status", "--json", NULL}};
    for (size_t i = 0; i < sizeof views / sizeof *views; i++) {
        e2e_result r = e2e_run(d, views[i][0], views[i][1], views[i][2], NULL);
        CU_ASSERT_PTR_NULL(strstr(r.out, SECRET));
        CU_ASSERT_PTR_NULL(strstr(r.err, SECRET));
        e2e_result_free(&r);
    }
    CU_ASSERT(!file_has(d, "weir.db", SECRET));
    CU_ASSERT(!file_has(d, "weir.db-wal", SECRET));
    erp_set_auth(erp, ERP_AUTH_NONE, NULL, NULL);
    free(d);
}

/* The ERP applies the create, then drops the connection: the answer is
 * lost.  The resend must not create it again.  The invoice's ref is
 * `name`: each test's own, so that no other test's invoice is found. */
static void lost_answer(const char *name, int honour_key, const char *opts,
                        unsigned long want_created /* 1, or 2: more than one */)
{
    char csv[128];
    snprintf(csv, sizeof csv, "ref,terms\n%s,N30\n", name);
    char *d = setup(name, csv, opts);
    erp_set_idempotency(erp, honour_key);
    erp_set_flaky(erp, ERP_FLAKY_LOSE, 1);
    free(weir(d, 0, "run", "p.xml"));
    erp_set_flaky(erp, ERP_FLAKY_OFF, 0);
    /* (the run itself sends it again: the retry delay is 0s) */
    free(weir(d, 0, "drain", "p.xml"));
    CU_ASSERT(e2e_history_count(d, "retry") >= 1); /* the answer was lost */
    erp_set_idempotency(erp, 1);
    unsigned long created = erp_created(erp, "invoices", name);
    CU_ASSERT(want_created == 1 ? created == 1 : created > 1);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "delivered", NULL), 1);
    if (want_created == 1) {
        char *id = erp_id(name);
        CU_ASSERT_EQUAL(e2e_outbox_count(d, "assigned_id", id, NULL), 1);
        free(id);
    }
    free(d);
}

static void test_lost_answer_idempotency_key(void)
{
    lost_answer("lost-key", 1, NULL, 1);
}

static void test_lost_answer_lookup(void)
{
    lost_answer("lost-lookup", 0,
                "<option name=\"lookup\">GET /invoices?ref={ref}</option>"
                "<option name=\"lookup-pointer\">/data</option>", 1);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /invoices"), 1);
    CU_ASSERT(erp_requests_to(erp, "GET /invoices") >= 1);
}

/* The control: a target that ignores the key, and no lookup, gets it twice
 * (so the two tests above can fail). */
static void test_lost_answer_without_either_doubles(void)
{
    lost_answer("lost-none", 0, NULL, 2);
}

/* A record that changes what the target already has (PUT), tried again
 * after a 503: the lookup finds the target's old version, which proves
 * nothing about this change.  It must be sent, not acknowledged. */
static void test_lookup_never_acknowledges_an_update(void)
{
    char *d = setup("lookup-update", "ref,terms\nU1,N30\n", NULL);
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_EQUAL_FATAL(erp_created(erp, "invoices", "U1"), 1);
    write_sink_pipeline(d, (sink_pipeline){
        .file = "u.xml", .name = "upd", .csv = "in2.csv", .attempts = 5,
        .opts = "<option name=\"upsert\">PUT /invoices/{ref}</option>\n"
                "    <option name=\"body\">{\"terms\": \"{terms}\"}</option>\n"
                "    <option name=\"lookup\">GET /invoices?ref={ref}</option>\n"
                "    <option name=\"lookup-pointer\">/data</option>\n"
                "    <option name=\"concurrency\">1</option>"});
    free(wt_write_file(d, "in2.csv", "ref,terms\nU1,N60\n"));
    erp_fail_next(erp, 1, 503, 0);
    free(weir(d, 0, "run", "u.xml"));
    free(weir(d, 0, "drain", "u.xml"));
    json_t *r = erp_record(erp, "invoices", "U1");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "terms")), "N60");
    json_decref(r);
    free(d);
}

/* A lookup whose filter the target ignores (a wrong query name) answers
 * with every invoice: that is no proof that this one was made.  The
 * record is not acknowledged. */
static void test_lookup_finding_many_is_no_proof(void)
{
    char *d = setup("lookup-many", "ref,terms\nM1,N30\nM2,N30\n", NULL);
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_FATAL(erp_record_count(erp, "invoices") >= 2);
    free(d);
    d = setup("lookup-many2", "ref,terms\nM3,N30\n",
              "<option name=\"lookup\">GET /invoices?reference={ref}</option>"
              "<option name=\"lookup-pointer\">/data</option>");
    erp_fail_next(erp, 1, 503, 0);
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "delivered", NULL), 0);
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "M3"), 0);
    e2e_result r = e2e_run(d, "monitor", "--json", NULL);
    CU_ASSERT(e2e_contains(r.out, "records at lookup-pointer /data: cannot tell"));
    e2e_result_free(&r);
    free(d);
}

/* Scratch folder `name` with in.csv = `csv` and r.xml: csv -> http sink
 * at `url`, POST /invoices, the record as its body, no retries. */
static char *setup_raw(const char *name, const char *url, const char *csv)
{
    char *d = e2e_scratch(name);
    write_sink_pipeline(d, (sink_pipeline){
        .file = "r.xml", .name = "raw", .url = url, .attempts = 1,
        .opts = "<option name=\"upsert\">POST /invoices</option>\n"
                "    <option name=\"id-pointer\">/id</option>\n"
                "    <option name=\"concurrency\">1</option>"});
    free(wt_write_file(d, "in.csv", csv));
    return d;
}

/* A second version of an invoice (new terms) whose create failed with a
 * 503 is looked up: the target holds the first version.  That is not this
 * change: it must not be acknowledged. */
static void test_lookup_finding_stale_version_is_no_proof(void)
{
    char *d = setup("lookup-stale", "ref,terms\nV1,N30\n", NULL);
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_FATAL(erp_created(erp, "invoices", "V1") == 1);
    free(d);
    d = setup("lookup-stale2", "ref,terms\nV1,N60\n",
              "<option name=\"lookup\">GET /invoices?ref={ref}</option>"
              "<option name=\"lookup-pointer\">/data</option>");
    erp_fail_next(erp, 1, 503, 0);
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "delivered", NULL), 0);
    e2e_result r = e2e_run(d, "monitor", "--json", NULL);
    CU_ASSERT(e2e_contains(r.out, "its 'terms' is \\\"N30\\\", this change's is \\\"N60\\\""));
    e2e_result_free(&r);
    free(d);
}

/* A lookup on a target that does not filter by `ref` and has one other
 * invoice: the one found is not this record (its ref differs), so the
 * record is not acknowledged. */
static void test_lookup_finding_another_is_no_proof(void)
{
    raw_rule rules[] = {
        {"GET /invoices?ref=N1 ",
         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 42\r\n"
         "Connection: close\r\n\r\n{\"data\": [{\"id\": \"INV9\", \"ref\": \"OTHER\"}]}", 0, ""},
        {"POST ", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n", 0, ""},
    };
    raw_server f;
    CU_ASSERT_FATAL(raw_start(&f, "127.0.0.1", rules, 2) == 0);
    char *d = setup_raw("lookup-other", f.url, "ref,terms\nN1,N30\n");
    write_sink_pipeline(d, (sink_pipeline){
        .file = "r.xml", .name = "raw", .url = f.url, .attempts = 2,
        .opts = "<option name=\"upsert\">POST /invoices</option>\n"
                "    <option name=\"lookup\">GET /invoices?ref={ref}</option>\n"
                "    <option name=\"lookup-pointer\">/data</option>\n"
                "    <option name=\"id-pointer\">/id</option>\n"
                "    <option name=\"concurrency\">1</option>"});
    free(weir(d, 1, "run", "r.xml"));
    raw_stop(&f);
    CU_ASSERT_EQUAL(rules[0].hits, 1);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "delivered", NULL), 0);
    e2e_result r = e2e_run(d, "monitor", "--json", NULL);
    CU_ASSERT(e2e_contains(r.out, "found another record (its 'ref' is"));
    e2e_result_free(&r);
    free(d);
}

/* A rejection whose answer is not UTF-8 (a Latin-1 error page): its
 * text still reads in the monitor's JSON. */
static void test_reject_text_not_utf8(void)
{
    raw_rule rules[] = {
        {"POST ", "HTTP/1.1 422 Unprocessable Entity\r\nContent-Type: text/plain\r\n"
                  "Content-Length: 20\r\nConnection: close\r\n\r\nKunde M\xfcller fehlt\x80\xff", 0, ""},
    };
    raw_server f;
    CU_ASSERT_FATAL(raw_start(&f, "127.0.0.1", rules, 1) == 0);
    char *d = setup_raw("latin1", f.url, "ref,terms\nZ1,N30\n");
    free(weir(d, 1, "run", "r.xml"));
    raw_stop(&f);
    e2e_result r = e2e_run(d, "monitor", "--json", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    json_t *j = json_loads(r.out, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL(j);
    CU_ASSERT(e2e_contains(r.out, "Kunde M"));
    json_decref(j);
    e2e_result_free(&r);
    free(d);
}

/* A reject text quoting a value cut in the middle of a character (the
 * 40 bytes shown of a long value) still reads in the monitor's JSON. */
static void test_reject_text_cut_value(void)
{
    char *d = e2e_scratch("cutvalue");
    write_sink_pipeline(d, (sink_pipeline){
        .file = "c.xml", .name = "cut", .attempts = 1,
        .opts = "<option name=\"upsert\">POST /invoices</option>\n"
                "    <option name=\"body\">{\"amount\": {amount}}</option>"});
    free(wt_write_file(d, "in.csv", "ref,amount\nC1,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xe2\x82\xac\n"));
    free(weir(d, 1, "run", "c.xml"));
    e2e_result r = e2e_run(d, "monitor", "--json", NULL);
    CU_ASSERT(e2e_contains(r.out, "field 'amount' is"));
    e2e_result_free(&r);
    free(d);
}

/* The endpoint is down and its health probe answers a Latin-1 page: the
 * reason still reads in weir status --json. */
static void test_probe_text_not_utf8(void)
{
    raw_rule rules[] = {
        {"POST ", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n", 0, ""},
        {"GET /health", "HTTP/1.1 500 Fehler\r\nContent-Type: text/plain\r\n"
                        "Content-Length: 20\r\nConnection: close\r\n\r\nKunde M\xfcller fehlt\x80\xff", 0, ""},
    };
    raw_server f;
    CU_ASSERT_FATAL(raw_start(&f, "127.0.0.1", rules, 2) == 0);
    char *d = e2e_scratch("probe-latin1");
    write_sink_pipeline(d, (sink_pipeline){
        .file = "r.xml", .name = "pr", .url = f.url, .attempts = 9,
        .opts = "<option name=\"upsert\">POST /invoices</option>\n"
                "    <option name=\"health\">GET /health</option>\n"
                "    <option name=\"concurrency\">1</option>"});
    free(wt_write_file(d, "in.csv", "ref\nP1\nP2\nP3\nP4\nP5\nP6\n"));
    free(weir(d, 0, "run", "r.xml"));
    e2e_clock_offset("1h"); /* past the next probe */
    free(weir(d, 0, "drain", "r.xml"));
    e2e_clock_offset(NULL);
    raw_stop(&f);
    CU_ASSERT(rules[1].hits >= 1);
    e2e_result r = e2e_run(d, "status", "--json", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "Kunde M"));
    e2e_result_free(&r);
    free(d);
}

/* A create answered with a redirect (an expired session sent to its login
 * page) was followed as a GET, whose 200 acknowledged a record the target
 * never got.  A change is never redirected: the record is not delivered. */
static void test_redirected_create_not_delivered(void)
{
    raw_rule rules[] = {
        {"POST ", "HTTP/1.1 302 Found\r\nLocation: /login\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n", 0, ""},
        {"GET ", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n"
                 "Connection: close\r\n\r\nlogin!", 0, ""},
    };
    raw_server f;
    CU_ASSERT_FATAL(raw_start(&f, "127.0.0.1", rules, 2) == 0);
    char *d = setup_raw("redirect", f.url, "ref,terms\nX1,N30\n");
    char *out = weir(d, 1, "run", "r.xml");
    raw_stop(&f);
    CU_ASSERT(e2e_contains(out, "HTTP 302 Found: redirected to /login: a change is not redirected"));
    free(out);
    CU_ASSERT_EQUAL(rules[0].hits, 1);
    CU_ASSERT_EQUAL(rules[1].hits, 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "delivered", NULL), 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", NULL), 1);
    free(d);
}

/* Four creates in flight at once all come back 401 (a token revoked under
 * them): one new token is fetched, not one per request. */
static void test_oauth2_one_refresh_for_many_401(void)
{
    raw_rule rules[] = {
        {"POST /oauth/token", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: 53\r\nConnection: close\r\n\r\n"
                              "{\"access_token\": \"t\", \"token_type\": \"Bearer\", \"x\": 1}", 0, ""},
        {"POST /invoices", "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n"
                           "Connection: close\r\n\r\n", 0, ""},
    };
    raw_server f;
    CU_ASSERT_FATAL(raw_start(&f, "127.0.0.1", rules, 2) == 0);
    setenv("ERP_CLIENT_SECRET", "cs-S3CRET", 1);
    char *d = e2e_scratch("oauth-race");
    char opts[1024];
    snprintf(opts, sizeof opts,
             "<option name=\"upsert\">POST /invoices</option>\n"
             "    <option name=\"concurrency\">4</option>\n"
             "    <option name=\"auth\">oauth2</option>\n"
             "    <option name=\"token-url\">%s/oauth/token</option>\n"
             "    <option name=\"client-id\">weir</option>\n"
             "    <option name=\"client-secret\">${env:ERP_CLIENT_SECRET}</option>",
             f.url);
    write_sink_pipeline(d, (sink_pipeline){.file = "r.xml", .name = "race",
                                           .url = f.url, .opts = opts,
                                           .attempts = 1});
    free(wt_write_file(d, "in.csv", "ref\nA1\nA2\nA3\nA4\n"));
    free(weir(d, 1, "run", "r.xml"));
    raw_stop(&f);
    CU_ASSERT_EQUAL(rules[0].hits, 2); /* the open's, and one after the 401s */
    CU_ASSERT_EQUAL(rules[1].hits, 8); /* each record: the 401, once more */
    free(d);
}

static void test_oauth2_refresh(void)
{
    setenv("ERP_CLIENT_SECRET", "cs-S3CRET", 1);
    erp_set_auth(erp, ERP_AUTH_OAUTH2, "weir", "cs-S3CRET");
    char opts[1024];
    snprintf(opts, sizeof opts,
             "<option name=\"auth\">oauth2</option>"
             "<option name=\"token-url\">%s/oauth/token</option>"
             "<option name=\"client-id\">weir</option>"
             "<option name=\"client-secret\">${env:ERP_CLIENT_SECRET}</option>",
             erp_url(erp));
    char *d = setup("oauth", "ref,terms\nO1,N30\n", opts);
    unsigned long issued = erp_tokens_issued(erp);
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "O1"), 1);
    CU_ASSERT_EQUAL(erp_tokens_issued(erp), issued + 1);
    /* a second open fetches a token; it expires under it: 401, one refresh */
    erp_expire_tokens(erp);
    free(wt_write_file(d, "in.csv", "ref,terms\nO1,N30\nO2,N30\n"));
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "O2"), 1);
    /* a wrong secret: the run cannot open the sink, and says why */
    erp_set_auth(erp, ERP_AUTH_OAUTH2, "weir", "other");
    free(wt_write_file(d, "in.csv", "ref,terms\nO3,N30\n"));
    char *out = weir(d, 3, "run", "p.xml");
    CU_ASSERT(e2e_contains(out, "invalid_client"));
    CU_ASSERT_PTR_NULL(strstr(out, "cs-S3CRET"));
    free(out);
    erp_set_auth(erp, ERP_AUTH_NONE, NULL, NULL);
    free(d);
}

/* A token with a line break (a file read with its newline) would add
 * header lines of its own: libcurl sends "Bearer <token>" as it is.  It is
 * refused, without being shown. */
static void test_token_line_break_refused(void)
{
    setenv("ERP_TOKEN", SECRET "\r\nX-Evil: 1", 1);
    char *d = setup("token-crlf", "ref,terms\nH1,N30\n",
                    "<option name=\"auth\">bearer</option>"
                    "<option name=\"token\">${env:ERP_TOKEN}</option>");
    char *out = weir(d, 1, "validate", "p.xml");
    CU_ASSERT(e2e_contains(out, "sink 'erp': token: a line break or control character"));
    CU_ASSERT_PTR_NULL(strstr(out, SECRET));
    free(out);
    out = weir(d, 2, "run", "p.xml"); /* not a valid pipeline */
    CU_ASSERT_PTR_NULL(strstr(out, SECRET));
    free(out);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /invoices"), 0);
    setenv("ERP_TOKEN", SECRET, 1);
    free(d);
}

static void test_validate_names_line(void)
{
    char *d = setup("validate", "ref,terms\n", NULL);
    char xml[1024];
    snprintf(xml, sizeof xml,
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"v\">\n"
             "  <source plugin=\"csv\" name=\"in\"><option name=\"path\">in.csv</option></source>\n"
             "  <sink plugin=\"http\" name=\"erp\">\n"
             "    <option name=\"url\">%s</option>\n"
             "    <option name=\"upsert\">POST invoices</option>\n"
             "    <option name=\"body\">{\"a\": 1,\n \"b\": {x}\n \"c\": 2}</option>\n"
             "    <option name=\"auth\">bearer</option>\n"
             "  </sink>\n"
             "</pipeline>\n", erp_url(erp));
    free(wt_write_file(d, "v.xml", xml));
    char *out = weir(d, 1, "validate", "v.xml");
    CU_ASSERT(e2e_contains(out, "v.xml:3: sink 'erp': upsert: \"POST invoices\": the path must start with '/'"));
    CU_ASSERT(e2e_contains(out, "v.xml:3: sink 'erp': body: template line 3:"));
    CU_ASSERT(e2e_contains(out, "v.xml:3: sink 'erp': auth bearer needs the option 'token'"));
    free(out);
    free(d);
}


/* Scratch folder `name` with in.csv = `csv` and p.xml: csv -> `track`
 * (XML, may be "") -> http sink on `url` with exactly `opts` after it,
 * two attempts without delay. */
static char *setup_at(const char *name, const char *url, const char *csv,
                      const char *track, const char *opts)
{
    char *d = e2e_scratch(name);
    write_sink_pipeline(d, (sink_pipeline){.track = track, .url = url,
                                           .opts = opts, .attempts = 2});
    free(wt_write_file(d, "in.csv", csv));
    erp_reset_counters(erp);
    return d;
}

/* The same on the test ERP. */
static char *setup_bare(const char *name, const char *csv, const char *track,
                        const char *opts)
{
    return setup_at(name, erp_url(erp), csv, track, opts);
}

#define TRACK "<track key=\"ref\" max-delete=\"off\"/>"
#define BODY "<option name=\"body\">{\"ref\": \"{ref}\", \"terms\": \"{terms}\"}</option>"

/* insert, update and delete records each go to their own action, also
 * one after another on one connection (the sink keeps a request's
 * options for the next one of the same action only). */
static void actions_by_operation(const char *name, const char *concurrency, char p)
{
    char opts[600], csv[64], what[64];
    snprintf(opts, sizeof opts,
             "<option name=\"insert\">POST /invoices</option>"
             "<option name=\"update\">PUT /invoices/{ref}</option>"
             "<option name=\"delete\">DELETE /invoices/{ref}</option>"
             "<option name=\"concurrency\">%s</option>" BODY, concurrency);
    snprintf(csv, sizeof csv, "ref,terms\n%c1,N30\n%c2,N30\n", p, p);
    char *d = setup_bare(name, csv, TRACK, opts);
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /invoices"), 2);
    CU_ASSERT_EQUAL(erp_requests(erp), 2);
    /* 1 changed, 2 gone, 3 new */
    snprintf(csv, sizeof csv, "ref,terms\n%c1,N60\n%c3,COD\n", p, p);
    free(wt_write_file(d, "in.csv", csv));
    erp_reset_counters(erp);
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /invoices"), 1);
    snprintf(what, sizeof what, "PUT /invoices/%c1", p);
    CU_ASSERT_EQUAL(erp_requests_to(erp, what), 1);
    snprintf(what, sizeof what, "DELETE /invoices/%c2", p);
    CU_ASSERT_EQUAL(erp_requests_to(erp, what), 1);
    CU_ASSERT_EQUAL(erp_requests(erp), 3);
    snprintf(what, sizeof what, "%c3", p);
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", what), 1);
    snprintf(what, sizeof what, "%c1", p);
    json_t *r1 = erp_record(erp, "invoices", what);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r1, "terms")), "N60");
    json_decref(r1);
    snprintf(what, sizeof what, "%c2", p);
    json_t *r2 = erp_record(erp, "invoices", what);
    CU_ASSERT_PTR_NULL(r2);
    json_decref(r2);
    free(d);
}

static void test_actions_by_operation(void)
{
    actions_by_operation("actions", "8", 'A');
}

static void test_actions_by_operation_one_connection(void)
{
    actions_by_operation("actions1", "1", 'B');
}

/* Inserts and updates without their own action use upsert; a delete
 * without one is rejected, and nothing is sent for it. */
static void test_upsert_and_missing_action(void)
{
    char *d = setup_bare("upsert", "ref,terms\nUP1,N30\nUP2,N30\n", TRACK,
                         "<option name=\"upsert\">PUT /invoices/{ref}</option>" BODY);
    /* the ERP knows UP1 and UP2 already: PUT updates them */
    json_t *none = erp_record(erp, "invoices", "UP1");
    CU_ASSERT_PTR_NULL_FATAL(none);
    char *s = setup_bare("upsert-seed", "ref,terms\nUP1,N30\nUP2,N30\n", "",
                         "<option name=\"upsert\">POST /invoices</option>" BODY);
    free(weir(s, 0, "run", "p.xml"));
    free(s);
    erp_reset_counters(erp);
    free(weir(d, 0, "run", "p.xml")); /* two inserts */
    CU_ASSERT_EQUAL(erp_requests_to(erp, "PUT /invoices/UP1"), 1);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "PUT /invoices/UP2"), 1);
    free(wt_write_file(d, "in.csv", "ref,terms\nUP1,COD\n"));
    erp_reset_counters(erp);
    char *out = weir(d, 1, "run", "p.xml"); /* an update, a delete */
    CU_ASSERT_EQUAL(erp_requests_to(erp, "PUT /invoices/UP1"), 1);
    CU_ASSERT_EQUAL(erp_requests(erp), 1);
    free(out);
    json_t *u1 = erp_record(erp, "invoices", "UP1");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(u1, "terms")), "COD");
    json_decref(u1);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", "key", "UP2",
                                     "error~", "no action for delete records", NULL), 1);
    free(d);
}

/* The capture of the request to /hooks/`ref` (the last one). (owned) */
static json_t *hook(const char *ref)
{
    char path[64];
    snprintf(path, sizeof path, "/hooks/%s", ref);
    json_t *found = NULL;
    for (size_t i = erp_captured_count(erp); i-- > 0 && !found;) {
        json_t *c = erp_captured(erp, i);
        if (strcmp(json_string_value(json_object_get(c, "path")), path) == 0)
            found = c;
        else
            json_decref(c);
    }
    return found;
}

static const char *hook_header(json_t *c, const char *name)
{
    return json_string_value(json_object_get(json_object_get(c, "headers"), name));
}

/* body record: every field a string, NULL as null; headers as given; the idempotency
 * key under its default name, another name, or none. */
static void test_body_record_headers_and_key(void)
{
    char *d = setup_bare("record", "ref,terms,n,empty\nH1,N30,5,\n", "",
                         "<option name=\"upsert\">POST /hooks/{ref}</option>"
                         "<option name=\"header\">X-Api-Key: k-1</option>"
                         "<option name=\"header\">X-Tenant: acme</option>");
    /* a first 503 puts the record into the outbox (with its key) */
    erp_fail_next(erp, 1, 503, 0);
    free(weir(d, 0, "run", "p.xml"));
    json_t *c = hook("H1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    json_t *want = json_pack("{s:s, s:s, s:s, s:n}", "ref", "H1", "terms", "N30", "n", "5",
                             "empty");
    CU_ASSERT(json_equal(json_object_get(c, "json"), want));
    json_decref(want);
    CU_ASSERT_STRING_EQUAL(hook_header(c, "x-api-key"), "k-1");
    CU_ASSERT_STRING_EQUAL(hook_header(c, "x-tenant"), "acme");
    CU_ASSERT_STRING_EQUAL(hook_header(c, "content-type"), "application/json");
    CU_ASSERT_STRING_EQUAL(hook_header(c, "accept"), "application/json");
    json_t *rec = e2e_records(d);
    const char *key = json_string_value(json_object_get(json_array_get(rec, 0), "idempotency_key"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    CU_ASSERT_STRING_EQUAL(hook_header(c, "idempotency-key"), key);
    json_decref(c);
    free(d);

    /* another name: the same key there, no Idempotency-Key */
    d = setup_bare("record-key", "ref,terms\nH2,N30\n", "",
                   "<option name=\"upsert\">POST /hooks/{ref}</option>"
                   "<option name=\"idempotency-header\">X-Request-Id</option>" BODY);
    erp_fail_next(erp, 1, 503, 0);
    free(weir(d, 0, "run", "p.xml"));
    c = hook("H2");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    json_decref(rec);
    rec = e2e_records(d);
    key = json_string_value(json_object_get(json_array_get(rec, 0), "idempotency_key"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    CU_ASSERT_STRING_EQUAL(hook_header(c, "x-request-id"), key);
    CU_ASSERT_PTR_NULL(hook_header(c, "idempotency-key"));
    /* a template body: exactly the template's members */
    want = json_pack("{s:s, s:s}", "ref", "H2", "terms", "N30");
    CU_ASSERT(json_equal(json_object_get(c, "json"), want));
    json_decref(want);
    json_decref(c);
    json_decref(rec);
    free(d);

    /* empty: no such header at all */
    d = setup_bare("record-nokey", "ref,terms\nH3,N30\n", "",
                   "<option name=\"upsert\">POST /hooks/{ref}</option>"
                   "<option name=\"idempotency-header\"></option>" BODY);
    free(weir(d, 0, "run", "p.xml"));
    c = hook("H3");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_PTR_NULL(hook_header(c, "idempotency-key"));
    /* host, accept, content-type, content-length: nothing else */
    CU_ASSERT_EQUAL(json_object_size(json_object_get(c, "headers")), 4);
    json_decref(c);
    free(d);
}

/* Without id-pointer, or with one the answer has nothing at, the id is
 * the last segment of Location. */
static void test_id_from_location(void)
{
    const char *opts[] = {"", "<option name=\"id-pointer\">/no/such</option>"};
    for (size_t i = 0; i < 2; i++) {
        char ref[8];
        snprintf(ref, sizeof ref, "Y%zu", i);
        char csv[64];
        snprintf(csv, sizeof csv, "ref,terms\n%s,N30\n", ref);
        char o[256];
        snprintf(o, sizeof o, "<option name=\"upsert\">POST /invoices</option>" BODY "%s",
                 opts[i]);
        char *d = setup_bare(i ? "location-ptr" : "location", csv, "", o);
        erp_fail_next(erp, 1, 503, 0); /* into the outbox, where the id is kept */
        free(weir(d, 0, "run", "p.xml"));
        char *id = erp_id(ref);
        CU_ASSERT(strncmp(id, "INV", 3) == 0);
        CU_ASSERT_EQUAL(e2e_outbox_count(d, "assigned_id", id, NULL), 1);
        free(id);
        free(d);
    }
}

/* concurrency N: N requests at the (slow) ERP at once, never more. */
static void test_concurrency(void)
{
    const char *csv = "ref,terms\nQ1,N30\nQ2,N30\nQ3,N30\nQ4,N30\nQ5,N30\n";
    for (int n = 1; n <= 4; n += 3) {
        char o[256], name[32];
        snprintf(o, sizeof o, "<option name=\"upsert\">POST /hooks/{ref}</option>"
                 "<option name=\"concurrency\">%d</option>", n);
        snprintf(name, sizeof name, "concurrency%d", n);
        char *d = setup_bare(name, csv, "", o);
        erp_set_slow(erp, 150);
        free(weir(d, 0, "run", "p.xml"));
        erp_set_slow(erp, 0);
        CU_ASSERT_EQUAL(erp_max_in_flight(erp), (unsigned)n);
        CU_ASSERT_EQUAL(erp_requests(erp), 5);
        CU_ASSERT_EQUAL(erp_answers(erp, 200), 5);
        free(d);
    }
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* rate 3: six requests take over a second and a half and never meet the
 * ERP's limit of 5 per second (without it, the first burst of six would;
 * 3, not 5, leaves room for a late request on a loaded machine). */
static void test_rate(void)
{
    char *d = setup_bare("rate", "ref,terms\nP1,N30\nP2,N30\nP3,N30\nP4,N30\nP5,N30\nP6,N30\n",
                         "", "<option name=\"upsert\">POST /hooks/{ref}</option>"
                             "<option name=\"concurrency\">6</option>"
                             "<option name=\"rate\">3</option>");
    erp_set_rate_limit(erp, 5, 1);
    long long t0 = now_ms();
    free(weir(d, 0, "run", "p.xml"));
    long long took = now_ms() - t0;
    erp_set_rate_limit(erp, 0, 0);
    CU_ASSERT_EQUAL(erp_answers(erp, 429), 0);
    CU_ASSERT_EQUAL(erp_answers(erp, 200), 6);
    CU_ASSERT(took >= 1666);
    free(d);
}

/* auth basic: the ERP lets only these credentials in. */
static void test_auth_basic(void)
{
    setenv("ERP_PASSWORD", "pw-B4SIC", 1);
    erp_set_auth(erp, ERP_AUTH_BASIC, "weir", "pw-B4SIC");
    const char *opts = "<option name=\"upsert\">POST /invoices</option>" BODY
                       "<option name=\"auth\">basic</option>"
                       "<option name=\"user\">weir</option>"
                       "<option name=\"password\">${env:ERP_PASSWORD}</option>";
    char *d = setup_bare("basic", "ref,terms\nB1,N30\n", "", opts);
    char *out = weir(d, 0, "run", "p.xml");
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "B1"), 1);
    CU_ASSERT_EQUAL(erp_answers(erp, 401), 0);
    free(out);
    free(d);
    /* the ERP wants another password: refused, the password not shown */
    erp_set_auth(erp, ERP_AUTH_BASIC, "weir", "other");
    d = setup_bare("basic-wrong", "ref,terms\nB2,N30\n", "", opts);
    out = weir(d, 1, "run", "p.xml");
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "B2"), 0);
    CU_ASSERT_EQUAL(erp_answers(erp, 401), 1);
    CU_ASSERT(e2e_contains(out, "HTTP 401"));
    CU_ASSERT_PTR_NULL(strstr(out, "pw-B4SIC"));
    free(out);
    erp_set_auth(erp, ERP_AUTH_NONE, NULL, NULL);
    free(d);
}

/* While the endpoint is down, `health` is asked, not the records' action:
 * a 503 there keeps it down without spending a record's attempt. */
static void test_health_probe_while_down(void)
{
    char *d = setup_bare("health", "ref,terms\nZ1,N30\nZ2,N30\n", "",
                         "<option name=\"upsert\">POST /invoices</option>" BODY
                         "<option name=\"health\">GET /health</option>");
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_DOWN_REFUSE), 0);
    free(weir(d, 0, "run", "p.xml"));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 2);
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_DOWN_503), 0);
    erp_reset_counters(erp);
    e2e_clock_offset("1h"); /* past the next probe */
    free(weir(d, 0, "drain", "p.xml"));
    CU_ASSERT(erp_requests_to(erp, "GET /health") >= 1);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /invoices"), 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 2);
    CU_ASSERT_EQUAL(e2e_history_count(d, "retry"), 0);
    /* healthy again: the probe passes, both go, once */
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_UP), 0);
    erp_reset_counters(erp);
    e2e_clock_offset("2h");
    free(weir(d, 0, "drain", "p.xml"));
    e2e_clock_offset(NULL);
    CU_ASSERT(erp_requests_to(erp, "GET /health") >= 1);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /invoices"), 2);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "delivered", NULL), 2);
    free(d);
}

/* TLS: tls-verify false is a warning at every open; https to a port that
 * speaks plain HTTP fails the request (a retry), it does not hang or send
 * in clear.  (No TLS server in the tests: a real handshake, ca-file and
 * the verification itself are not exercised here.) */
static void test_tls_options(void)
{
    char url[128];
    snprintf(url, sizeof url, "https://127.0.0.1:%u", erp_port(erp));
    char *d = setup_at("tls", url, "ref,terms\nX1,N30\n", "",
                       "<option name=\"upsert\">POST /invoices</option>"
                       "<option name=\"tls-verify\">false</option>"
                       "<option name=\"timeout\">2s</option>");
    char *out = weir(d, 1, "run", "p.xml");
    CU_ASSERT(e2e_contains(out, "tls-verify is false"));
    CU_ASSERT(e2e_contains(out, "gave up after 2 attempts: POST /invoices: "));
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "X1"), 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", NULL), 1);
    free(out);
    free(d);
}

/* ca-file against a real TLS server (openssl s_server, which leaves a
 * POST unanswered): without it the certificate is refused; with it, or
 * with tls-verify false, the handshake passes and the request only times
 * out waiting for the answer. */
static void test_tls_ca_file(void)
{
    char *srv = e2e_scratch("tls-server");
    tls_server t;
    if (tls_server_start(&t, srv) != 0) {
        fprintf(stderr, "\n  skipped: no openssl s_server to test TLS against\n");
        free(srv);
        return;
    }
    const char *opts[] = {"", "<option name=\"ca-file\">%s/cert.pem</option>",
                          "<option name=\"tls-verify\">false</option>"};
    for (size_t i = 0; i < 3; i++) {
        char o[2048], extra[1200], name[32];
        snprintf(extra, sizeof extra, opts[i], srv);
        /* the server never answers HTTP: the timeout ends each try; under
         * valgrind the TLS handshake alone takes about a second */
        snprintf(o, sizeof o, "<option name=\"upsert\">POST /invoices</option>"
                 "<option name=\"timeout\">%s</option>%s",
                 getenv("WEIR_E2E_VALGRIND") ? "5s" : "300ms", extra);
        snprintf(name, sizeof name, "tls-ca%zu", i);
        char url[64];
        snprintf(url, sizeof url, "https://127.0.0.1:%u", t.port);
        char *d = setup_at(name, url, "ref,terms\nT1,N30\n", "", o);
        char *out = weir(d, 1, "run", "p.xml");
        if (i == 0) {
            CU_ASSERT(e2e_contains(out, "certificate"));
            CU_ASSERT_PTR_NULL(strstr(out, "timed out"));
        } else {
            CU_ASSERT(e2e_contains(out, "POST /invoices: Operation timed out after"));
        }
        free(out);
        free(d);
    }
    tls_server_stop(&t);
    free(srv);
}

/* connect-timeout: a connection that does not complete is given up after
 * it, and the record retried, not waited for until `timeout`. */
static void test_connect_timeout(void)
{
    blackhole b;
    CU_ASSERT_FATAL(blackhole_open(&b) == 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", b.port);
    char *d = setup_at("ctimeout", url, "ref,terms\nV1,N30\n", "",
                       "<option name=\"upsert\">POST /invoices</option>"
                       "<option name=\"connect-timeout\">200ms</option>");
    long long t0 = now_ms();
    char *out = weir(d, 1, "run", "p.xml");
    long long took = now_ms() - t0;
    CU_ASSERT(took < 5000);
    CU_ASSERT(e2e_contains(out, "gave up after 2 attempts"));
    CU_ASSERT(e2e_contains(out, "POST /invoices: Failed to connect to 127.0.0.1"));
    CU_ASSERT(e2e_contains(out, "Timeout was reached"));
    free(out);
    blackhole_close(&b);
    free(d);
}

/* A request longer than `timeout` is given up and retried, not waited for. */
static void test_timeout(void)
{
    char *d = setup_bare("timeout", "ref,terms\nW1,N30\n", "",
                         "<option name=\"upsert\">POST /hooks/{ref}</option>"
                         "<option name=\"timeout\">200ms</option>");
    erp_set_slow(erp, 8000);
    long long t0 = now_ms();
    free(weir(d, 1, "run", "p.xml")); /* failed after its 2 attempts */
    long long took = now_ms() - t0;
    erp_set_slow(erp, 0);
    CU_ASSERT(took < 6000); /* two tries of 200 ms, not one of 8 s */
    CU_ASSERT_EQUAL(erp_requests(erp), 2);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", "key", "null",
                                     "error~", "Operation timed out after", NULL), 1);
    free(d);
}

/* lookup-pointer not given: the lookup's whole answer is the record
 * (GET /invoices/{ref}: the record, or 404). */
static void test_lost_answer_lookup_root(void)
{
    lost_answer("lost-lookup-root", 0,
                "<option name=\"lookup\">GET /invoices/{ref}</option>", 1);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /invoices"), 1);
    CU_ASSERT(erp_requests_to(erp, "GET /invoices/lost-lookup-root") >= 1);
}

/* Without error-pointer a refusal's text is the status and the answer;
 * a trailing / on url is dropped. */
static void test_no_error_pointer_and_url_slash(void)
{
    char url[128];
    snprintf(url, sizeof url, "%s/", erp_url(erp));
    char *d = setup_at("noerrptr", url, "ref,terms\nE1,F48\n", "",
                       "<option name=\"upsert\">POST /invoices</option>" BODY);
    free(weir(d, 1, "run", "p.xml"));
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /invoices"), 1);
    /* the reason phrase is the server's (libmicrohttpd: "Unprocessable Content") */
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", "error~", "HTTP 422 Unprocessable ",
                                     NULL), 1);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "error~", ": {\"error\":{\"message\":\"1020 - Terms",
                                     NULL), 1);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("http sink against the test ERP", start_erp, stop_erp);
    CU_add_test(s, "rejects carry the ERP's text", test_reject_with_erp_text);
    CU_add_test(s, "503 retried, then delivered", test_retry_503_then_delivered);
    CU_add_test(s, "429 honours Retry-After", test_429_retry_after);
    CU_add_test(s, "down: held, then drained in order", test_down_held_drained_in_order);
    CU_add_test(s, "secrets stay out of outputs and state", test_secrets_stay_out);
    CU_add_test(s, "lost answer: idempotency key", test_lost_answer_idempotency_key);
    CU_add_test(s, "lost answer: lookup", test_lost_answer_lookup);
    CU_add_test(s, "lost answer without either: doubled", test_lost_answer_without_either_doubles);
    CU_add_test(s, "lookup never acknowledges an update", test_lookup_never_acknowledges_an_update);
    CU_add_test(s, "a lookup finding many is no proof", test_lookup_finding_many_is_no_proof);
    CU_add_test(s, "a lookup finding an old version is no proof",
                test_lookup_finding_stale_version_is_no_proof);
    CU_add_test(s, "a lookup finding another is no proof", test_lookup_finding_another_is_no_proof);
    CU_add_test(s, "a reject text that is not UTF-8", test_reject_text_not_utf8);
    CU_add_test(s, "a reject text with a value cut mid-character", test_reject_text_cut_value);
    CU_add_test(s, "a probe text that is not UTF-8", test_probe_text_not_utf8);
    CU_add_test(s, "a redirected create is not delivered", test_redirected_create_not_delivered);
    CU_add_test(s, "OAuth2: one new token for many 401s", test_oauth2_one_refresh_for_many_401);
    CU_add_test(s, "OAuth2: token fetched, refreshed on 401", test_oauth2_refresh);
    CU_add_test(s, "a token with a line break is refused", test_token_line_break_refused);
    CU_add_test(s, "validate names file and line", test_validate_names_line);
    CU_add_test(s, "insert, update, delete: each its own action", test_actions_by_operation);
    CU_add_test(s, "insert, update, delete in turn on one connection",
                test_actions_by_operation_one_connection);
    CU_add_test(s, "upsert for the rest; no action: rejected", test_upsert_and_missing_action);
    CU_add_test(s, "body record, headers, idempotency header", test_body_record_headers_and_key);
    CU_add_test(s, "id from Location without id-pointer", test_id_from_location);
    CU_add_test(s, "concurrency: so many in flight", test_concurrency);
    CU_add_test(s, "rate: requests spread over the seconds", test_rate);
    CU_add_test(s, "lookup without lookup-pointer: the root", test_lost_answer_lookup_root);
    CU_add_test(s, "no error-pointer: status and answer; url with /",
                test_no_error_pointer_and_url_slash);
    CU_add_test(s, "auth basic", test_auth_basic);
    CU_add_test(s, "health asked while down, no record spent", test_health_probe_while_down);
    CU_add_test(s, "tls-verify false warned; https to plain HTTP fails", test_tls_options);
    CU_add_test(s, "ca-file against a real TLS server", test_tls_ca_file);
    CU_add_test(s, "connect-timeout", test_connect_timeout);
    /* last: its slow answers end only when the ERP stops */
    CU_add_test(s, "timeout: a slow answer is retried", test_timeout);
}
