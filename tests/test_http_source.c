/*
 * test_http_source.c - the http source end to end: the real weir binary
 * reads GET /customers of the test ERP (tests/erp/erp_server.h) on
 * 127.0.0.1 into a sqlite sink.  Every pagination style reads each record
 * once; nested fields are dotted; `since` reads only what changed, and a
 * run that fails leaves the cursor where it was; a page that is no JSON
 * stops the run with a clear message; a bearer token stays out of every
 * output and the state.  Retry delays are 0s so nothing sleeps.
 */
#define _POSIX_C_SOURCE 200809L /* setenv, strdup */
#include "config.h"

#include <CUnit/CUnit.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blackhole.h"
#include "cunit_main.h"
#include "e2e.h"
#include "erp_server.h"
#include "harness.h"
#include "raw_server.h"
#include "tls_server.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs"
#define SECRET "tok-S3CRET-0815"

static erp_server *erp;

/* A fresh ERP for each test: its customers and counters are the test's. */
static void erp_fresh(unsigned page_size)
{
    erp_stop(erp);
    erp = erp_start(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(erp);
    erp_set_page_size(erp, page_size);
}

static int stop_erp(void)
{
    erp_stop(erp);
    erp = NULL;
    return 0;
}

/* POST /customers with this JSON body; 1 when it was created. */
static int post_customer(const char *body)
{
    char url[256];
    snprintf(url, sizeof url, "%s/customers", erp_url(erp));
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    fclose(sink);
    return status == 201;
}

static void add_customers(int from, int to)
{
    for (int i = from; i <= to; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"ref\": \"R%03d\", \"name\": \"Customer %d\", "
                 "\"address\": {\"city\": \"City %d\", \"geo\": {\"zip\": \"%04d\"}}, "
                 "\"tags\": [\"a\", %d], \"vip\": %s, \"note\": null}",
                 i, i, i, 1000 + i, i, i % 2 ? "true" : "false");
        CU_ASSERT_FATAL(post_customer(body));
    }
}

/* Scratch folder `name` with p.xml: http source on `url` (NULL: the ERP)
 * with `opts` (path GET /customers, records /data and retry-delay 0s
 * unless they give their own) -> sqlite sink out.db, table customers keyed
 * by id. */
static char *setup(const char *name, const char *url, const char *opts)
{
    char *d = e2e_scratch(name);
    char xml[4096];
    snprintf(xml, sizeof xml,
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"cust\" type=\"customer\">\n"
             "  <source plugin=\"http\" name=\"erp\">\n"
             "    <option name=\"url\">%s</option>\n"
             "    %s\n"
             "    %s\n"
             "    %s\n"
             "    %s\n"
             "  </source>\n"
             "  <sink plugin=\"sqlite\" name=\"db\">\n"
             "    <option name=\"database\">out.db</option>\n"
             "    <option name=\"table\">customers</option>\n"
             "    <option name=\"key\">id</option>\n"
             "  </sink>\n"
             "</pipeline>\n",
             url ? url : erp_url(erp),
             opts && strstr(opts, "\"path\"") ? "" : "<option name=\"path\">GET /customers</option>",
             opts && strstr(opts, "\"records\"") ? "" : "<option name=\"records\">/data</option>",
             opts && strstr(opts, "\"retry-delay\"") ? "" : "<option name=\"retry-delay\">0s</option>",
             opts ? opts : "");
    free(wt_write_file(d, "p.xml", xml));
    return d;
}

/* `weir run p.xml --json`, expecting exit `code`: the records read, -1
 * when the summary is unreadable.  The whole output in *out (nullable). */
static long long run(const char *d, int code, char **out)
{
    const char *args[] = {"run", "--plugin-path", PLUGINS, "--json", "p.xml", NULL};
    char *text = e2e_expectv(d, code, args);
    long long read = -1;
    const char *brace = strchr(text, '{');
    json_t *j = brace ? json_loads(brace, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    if (j)
        read = e2e_json_int(j, "read");
    json_decref(j);
    if (out)
        *out = text;
    else
        free(text);
    return read;
}

static long long db_int(const char *d, const char *sql)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/out.db", d);
    return e2e_query_int(path, sql);
}

/* Each style over 7 customers in pages of 3: every record read once
 * (`weir run` counts what was read; the ERP the pages asked for). */
static void paginate(const char *name, const char *opts, unsigned long want_pages,
                     long long want_read)
{
    erp_fresh(3);
    add_customers(1, 7);
    char *d = setup(name, NULL, opts);
    erp_reset_counters(erp);
    CU_ASSERT_EQUAL(run(d, 0, NULL), want_read);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), want_pages);
    CU_ASSERT_EQUAL(db_int(d, "SELECT count(*) FROM customers"), want_read);
    CU_ASSERT_EQUAL(db_int(d, "SELECT count(DISTINCT ref) FROM customers"), want_read);
    free(d);
}

static void test_next_link(void)
{
    paginate("link", "<option name=\"next\">link</option>", 3, 7);
}

static void test_next_pointer(void)
{
    paginate("pointer", "<option name=\"next\">/next</option>", 3, 7);
}

static void test_next_page(void)
{
    /* the fourth, empty page says there are no more */
    paginate("page", "<option name=\"next\">page:page</option>", 4, 7);
}

static void test_next_offset(void)
{
    paginate("offset", "<option name=\"next\">offset:offset</option>"
                       "<option name=\"limit\">3</option>", 3, 7);
}

static void test_next_cursor(void)
{
    paginate("cursor", "<option name=\"next\">cursor:/next_cursor:cursor</option>", 3, 7);
}

static void test_no_next_reads_one_page(void)
{
    paginate("none", NULL, 1, 3); /* the first page only */
}

static void test_nested_fields_dotted(void)
{
    erp_fresh(50);
    add_customers(1, 2);
    char *d = setup("nested", NULL, NULL);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 2);
    CU_ASSERT_EQUAL(db_int(d, "SELECT count(*) FROM customers WHERE ref = 'R001' AND "
                              "\"address.city\" = 'City 1' AND \"address.geo.zip\" = '1001' "
                              "AND tags = '[\"a\",1]' AND vip = 'true' AND note IS NULL"), 1);
    CU_ASSERT_EQUAL(db_int(d, "SELECT count(*) FROM customers WHERE vip = 'false'"), 1);
    free(d);
}

#define SINCE "<option name=\"next\">link</option>" \
              "<option name=\"since\">modified_since={cursor}</option>" \
              "<option name=\"cursor-field\">modified</option>"

static void test_since_reads_only_newer(void)
{
    erp_fresh(3);
    add_customers(1, 5);
    char *d = setup("since", NULL, SINCE);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 5);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 0); /* nothing changed */
    add_customers(6, 7);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 2);
    CU_ASSERT_EQUAL(db_int(d, "SELECT count(*) FROM customers"), 7);
    free(d);
}

/* A page that fails after its tries stops the run (exit 3) and the cursor
 * stays: the next run reads the same records again. */
static void test_failed_page_keeps_cursor(void)
{
    erp_fresh(3);
    add_customers(1, 2);
    char *d = setup("sincefail", NULL, SINCE "<option name=\"attempts\">1</option>");
    CU_ASSERT_EQUAL(run(d, 0, NULL), 2);
    add_customers(3, 7); /* five new: two pages */
    /* the first page answers, the second fails (its only try) */
    erp_set_flaky(erp, ERP_FLAKY_503, 2);
    char *out = NULL;
    run(d, 3, &out);
    erp_set_flaky(erp, ERP_FLAKY_OFF, 0);
    CU_ASSERT(e2e_contains(out, "page 2 (GET /customers?"));
    CU_ASSERT(e2e_contains(out, "503"));
    free(out);
    /* down: refused at the first page */
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_DOWN_REFUSE), 0);
    run(d, 3, NULL);
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_UP), 0);
    /* the old cursor: all five again */
    CU_ASSERT_EQUAL(run(d, 0, NULL), 5);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 0);
    free(d);
}

/* 503, 408 (request timeout), 425 (too early) and 429: the page is
 * asked for again, and the run reads everything. */
static void test_transient_failure_retried(void)
{
    const int statuses[] = {503, 408, 425, 429};
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
        erp_fresh(3);
        add_customers(1, 4);
        char name[32];
        snprintf(name, sizeof name, "retry%d", statuses[i]);
        char *d = setup(name, NULL, "<option name=\"next\">link</option>"
                                    "<option name=\"retry-delay\">100ms</option>");
        erp_reset_counters(erp);
        erp_fail_next(erp, 2, statuses[i], 0);
        CU_ASSERT_EQUAL(run(d, 0, NULL), 4);
        CU_ASSERT_EQUAL(erp_answers(erp, statuses[i]), 2);
        CU_ASSERT_EQUAL(db_int(d, "SELECT count(*) FROM customers"), 4);
        free(d);
    }
}

/* A raw_server on 127.0.0.1 that answers every GET 200 with `body`
 * (JSON), its reply text in `reply`. */
static int json_server(raw_server *f, raw_rule *rule, char *reply, size_t n,
                       const char *body)
{
    snprintf(reply, n, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(body), body);
    *rule = (raw_rule){.prefix = "GET ", .reply = reply};
    return raw_start(f, "127.0.0.1", rule, 1);
}

static void test_malformed_page(void)
{
    raw_server f;
    raw_rule rule;
    char reply[512];
    CU_ASSERT_FATAL(json_server(&f, &rule, reply, sizeof reply,
                                "{\"data\": [{\"id\": \"C1\"}, ") == 0);
    char *d = setup("malformed", f.url, NULL);
    char *out = NULL;
    run(d, 3, &out);
    CU_ASSERT(e2e_contains(out, "page 1 (GET /customers): the answer is no JSON"));
    free(out);
    raw_stop(&f);
    /* the records pointer names no array */
    erp_fresh(3);
    add_customers(1, 1);
    free(d);
    d = setup("notarray", NULL, "<option name=\"records\">/total</option>");
    run(d, 3, &out);
    CU_ASSERT(e2e_contains(out, "page 1 (GET /customers): records \"/total\" is no array"));
    free(out);
    free(d);
}

/* A next URL that leads back to a page already read is an error. */
static void test_pagination_loop(void)
{
    raw_server f;
    raw_rule rule;
    char reply[512];
    CU_ASSERT_FATAL(json_server(&f, &rule, reply, sizeof reply,
                                "{\"data\": [{\"id\": \"C1\"}], \"next\": \"/customers\"}") == 0);
    char *d = setup("loop", f.url, "<option name=\"next\">/next</option>");
    char *out = NULL;
    run(d, 3, &out);
    CU_ASSERT(e2e_contains(out, "page 2 (GET /customers): the API sent this page's URL again"));
    free(out);
    raw_stop(&f);
    free(d);
}

static int file_has(const char *dir, const char *name, const char *needle)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = strlen(needle), have = 0;
    int found = 0, ch;
    char *win = calloc(n, 1);
    while (!found && (ch = fgetc(f)) != EOF) {
        memmove(win, win + 1, n - 1);
        win[n - 1] = (char)ch;
        found = ++have >= n && memcmp(win, needle, n) == 0;
    }
    free(win);
    fclose(f);
    return found;
}

static void test_bearer_secret_stays_out(void)
{
    erp_fresh(2);
    add_customers(1, 3);
    setenv("ERP_TOKEN", SECRET, 1);
    erp_set_auth(erp, ERP_AUTH_BEARER, SECRET, NULL);
    char *d = setup("secret", NULL, SINCE "<option name=\"auth\">bearer</option>"
                                    "<option name=\"token\">${env:ERP_TOKEN}</option>");
    char *out = NULL;
    CU_ASSERT_EQUAL(run(d, 0, &out), 3);
    CU_ASSERT_PTR_NULL(strstr(out, SECRET));
    free(out);
    /* refused: a clear stop, and still no secret */
    erp_set_auth(erp, ERP_AUTH_BEARER, "another", NULL);
    run(d, 3, &out);
    CU_ASSERT(e2e_contains(out, "401"));
    CU_ASSERT_PTR_NULL(strstr(out, SECRET));
    free(out);
    e2e_result r = e2e_run(d, "status", "--json", NULL);
    CU_ASSERT_PTR_NULL(strstr(r.out, SECRET));
    CU_ASSERT_PTR_NULL(strstr(r.err, SECRET));
    e2e_result_free(&r);
    CU_ASSERT(!file_has(d, "weir.db", SECRET));
    CU_ASSERT(!file_has(d, "weir.db-wal", SECRET));
    CU_ASSERT(!file_has(d, "out.db", SECRET));
    erp_set_auth(erp, ERP_AUTH_NONE, NULL, NULL);
    free(d);
}

/* The API redirects the page to another host (127.0.0.2): the `header`
 * holding a key (X-Api-Key) must not go there.  (libcurl keeps its own
 * bearer and basic credentials to the first host, but sends every header
 * of ours on.) */
static void test_redirect_keeps_header_secret(void)
{
    raw_rule other = {.prefix = "GET ",
                      .reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Content-Length: 26\r\nConnection: close\r\n\r\n"
                               "{\"data\": [{\"id\": \"EVIL\"}]}"};
    raw_server evil, api;
    if (raw_start(&evil, "127.0.0.2", &other, 1) != 0) {
        fprintf(stderr, "no 127.0.0.2 here: redirect test skipped\n");
        return;
    }
    char reply[256];
    snprintf(reply, sizeof reply, "HTTP/1.1 302 Found\r\nLocation: %s/customers\r\n"
             "Content-Length: 0\r\nConnection: close\r\n\r\n", evil.url);
    raw_rule redirect = {.prefix = "GET ", .reply = reply};
    CU_ASSERT_FATAL(raw_start(&api, "127.0.0.1", &redirect, 1) == 0);
    setenv("API_KEY", SECRET, 1);
    char *d = setup("redirect", api.url,
                    "<option name=\"header\">X-Api-Key: ${env:API_KEY}</option>");
    char *out = NULL;
    run(d, 3, &out);
    raw_stop(&api);
    raw_stop(&evil);
    CU_ASSERT(redirect.hits >= 1);
    CU_ASSERT_PTR_NULL(strstr(other.last, SECRET));
    CU_ASSERT_EQUAL(other.hits, 0);
    CU_ASSERT(e2e_contains(out, "redirected to another host"));
    CU_ASSERT_PTR_NULL(strstr(out, SECRET));
    free(out);
    free(d);
}

static void test_validate_names_problems(void)
{
    char *d = setup("validate", "http://127.0.0.1:1",
                    "<option name=\"next\">offset:offset</option>"
                    "<option name=\"since\">modified_since={since}</option>");
    const char *args[] = {"validate", "--plugin-path", PLUGINS, "p.xml", NULL};
    char *out = e2e_expectv(d, 1, args);
    CU_ASSERT(e2e_contains(out, "source 'erp': next offset:PARAM needs the option 'limit'"));
    CU_ASSERT(e2e_contains(out, "source 'erp': since and cursor-field go together"));
    CU_ASSERT(e2e_contains(out, "since: \"modified_since={since}\" must hold {cursor}"));
    free(out);
    free(d);
}

static long long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* limit N is sent on every page: 5 customers in pages of 2 (the ERP's
 * own page size is 50). */
static void test_limit(void)
{
    erp_fresh(50);
    add_customers(1, 5);
    char *d = setup("limit", NULL, "<option name=\"next\">link</option>"
                                   "<option name=\"limit\">2</option>");
    erp_reset_counters(erp);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 5);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), 3);
    free(d);
}

/* More pages than max-pages is an error, not an endless read. */
static void test_max_pages(void)
{
    erp_fresh(2);
    add_customers(1, 5); /* three pages */
    char *d = setup("maxpages", NULL, "<option name=\"next\">link</option>"
                                      "<option name=\"max-pages\">2</option>");
    erp_reset_counters(erp);
    char *out = NULL;
    run(d, 3, &out);
    CU_ASSERT(e2e_contains(out, "max-pages"));
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), 2);
    free(out);
    free(d);
    d = setup("maxpages3", NULL, "<option name=\"next\">link</option>"
                                 "<option name=\"max-pages\">3</option>");
    CU_ASSERT_EQUAL(run(d, 0, NULL), 5);
    free(d);
}

/* attempts: so many tries per page; retry-delay: the wait before the
 * second. */
static void test_attempts_and_retry_delay(void)
{
    erp_fresh(50);
    add_customers(1, 2);
    char *d = setup("attempts2", NULL, "<option name=\"attempts\">2</option>");
    erp_reset_counters(erp);
    erp_fail_next(erp, 2, 503, 0);
    char *out = NULL;
    run(d, 3, &out);
    CU_ASSERT(e2e_contains(out, "(after 2 tries)"));
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), 2);
    free(out);
    free(d);
    /* three tries get past two failures, waiting retry-delay, then twice
     * that: 150 + 300 ms (the other tests wait 0s) */
    d = setup("attempts3", NULL, "<option name=\"attempts\">3</option>"
                                 "<option name=\"retry-delay\">150ms</option>");
    erp_reset_counters(erp);
    erp_fail_next(erp, 2, 503, 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 2);
    CU_ASSERT(elapsed_ms(&t0) >= 450);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), 3);
    free(d);
}

/* header: sent with every page (here the credentials the ERP wants). */
static void test_header(void)
{
    erp_fresh(2);
    add_customers(1, 3);
    erp_set_auth(erp, ERP_AUTH_BEARER, "hdr-token", NULL);
    char *d = setup("header", NULL, "<option name=\"next\">link</option>"
                                    "<option name=\"header\">Authorization: Bearer hdr-token</option>");
    erp_reset_counters(erp);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 3);
    CU_ASSERT_EQUAL(erp_answers(erp, 401), 0);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), 2);
    free(d);
    /* the control: without it, refused */
    d = setup("noheader", NULL, NULL);
    run(d, 3, NULL);
    CU_ASSERT_EQUAL(erp_answers(erp, 401), 1);
    erp_set_auth(erp, ERP_AUTH_NONE, NULL, NULL);
    free(d);
}

/* records empty (the root pointer, as when not given): the page itself
 * is the array. */
static void test_records_root(void)
{
    raw_server f;
    raw_rule rule;
    char reply[512];
    CU_ASSERT_FATAL(json_server(&f, &rule, reply, sizeof reply,
                                "[{\"id\": \"C1\", \"name\": \"a\"}, "
                                "{\"id\": \"C2\", \"name\": \"b\"}]") == 0);
    char *d = setup("root", f.url, "<option name=\"records\"></option>");
    CU_ASSERT_EQUAL(run(d, 0, NULL), 2);
    CU_ASSERT_EQUAL(db_int(d, "SELECT count(*) FROM customers WHERE name IN ('a', 'b')"), 2);
    raw_stop(&f);
    free(d);
}

/* A Retry-After longer than retry-max-delay stops the run at once. */
static void test_retry_max_delay(void)
{
    erp_fresh(50);
    add_customers(1, 2);
    char *d = setup("maxdelay", NULL, "<option name=\"retry-max-delay\">1s</option>");
    erp_reset_counters(erp);
    erp_fail_next(erp, 1, 429, 120);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run(d, 3, NULL);
    CU_ASSERT(elapsed_ms(&t0) < 30000); /* not the 120 s asked for */
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), 1);
    free(d);
}

/* rate 4: the three pages start 250 ms apart. */
static void test_rate(void)
{
    erp_fresh(2);
    add_customers(1, 5);
    char *d = setup("rate", NULL, "<option name=\"next\">link</option>"
                                  "<option name=\"rate\">4</option>");
    erp_reset_counters(erp);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 5);
    CU_ASSERT(elapsed_ms(&t0) >= 500);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), 3);
    free(d);
}

/* timeout: a page slower than it is a failed try, not a wait.  The
 * page would take 30 s: two tries that waited for it would take a
 * minute, two that gave up after 200 ms take well under 15 s even under
 * valgrind on a loaded machine. */
static void test_timeout(void)
{
    erp_fresh(50);
    add_customers(1, 1);
    char *d = setup("timeout", NULL, "<option name=\"timeout\">200ms</option>"
                                     "<option name=\"attempts\">2</option>");
    erp_set_slow(erp, 30000);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *out = NULL;
    run(d, 3, &out);
    CU_ASSERT(elapsed_ms(&t0) < 15000);
    CU_ASSERT(e2e_contains(out, "(after 2 tries)"));
    free(out);
    erp_fresh(50); /* ends the slow answers */
    free(d);
}

/* The certificate is checked: refused without ca-file, accepted with it;
 * tls-verify false reads without checking, and says so. */
static void test_tls_ca_file_and_verify(void)
{
    char *srv = e2e_scratch("tls-server");
    free(wt_write_file(srv, "customers", "{\"data\": [{\"id\": \"C1\", \"name\": \"tls\"}]}"));
    tls_server t;
    if (tls_server_start(&t, srv) != 0) {
        fprintf(stderr, "\n  skipped: no openssl s_server to test TLS against\n");
        free(srv);
        return;
    }
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%u", t.port);
    char *d = setup("tls-default", url, "<option name=\"attempts\">1</option>");
    char *out = NULL;
    run(d, 3, &out);
    CU_ASSERT(e2e_contains(out, "page 1 (GET /customers): "));
    CU_ASSERT(e2e_contains(out, "certificate"));
    free(out);
    free(d);
    char opts[1200];
    snprintf(opts, sizeof opts, "<option name=\"ca-file\">%s/cert.pem</option>", srv);
    d = setup("tls-ca", url, opts);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 1);
    CU_ASSERT_EQUAL(db_int(d, "SELECT count(*) FROM customers WHERE name = 'tls'"), 1);
    free(d);
    d = setup("tls-noverify", url, "<option name=\"tls-verify\">false</option>");
    CU_ASSERT_EQUAL(run(d, 0, &out), 1);
    CU_ASSERT(e2e_contains(out, "tls-verify is false"));
    free(out);
    free(d);
    tls_server_stop(&t);
    free(srv);
}

/* connect-timeout: a server that never completes the connection. */
static void test_connect_timeout(void)
{
    blackhole b;
    CU_ASSERT_FATAL(blackhole_open(&b) == 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", b.port);
    char *d = setup("ctimeout", url, "<option name=\"connect-timeout\">200ms</option>"
                                     "<option name=\"attempts\">2</option>");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *out = NULL;
    run(d, 3, &out);
    CU_ASSERT(elapsed_ms(&t0) < 30000); /* not curl's 300 s default, twice */
    CU_ASSERT(e2e_contains(out, "page 1 (GET /customers): "));
    CU_ASSERT(e2e_contains(out, "Timeout was reached"));
    CU_ASSERT(e2e_contains(out, "(after 2 tries)"));
    free(out);
    blackhole_close(&b);
    free(d);
}

/* auth basic on every page. */
static void test_auth_basic(void)
{
    erp_fresh(2);
    add_customers(1, 3);
    setenv("ERP_PASSWORD", "pw-S0URCE", 1);
    erp_set_auth(erp, ERP_AUTH_BASIC, "reader", "pw-S0URCE");
    char *d = setup("basic", NULL, "<option name=\"next\">link</option>"
                                   "<option name=\"auth\">basic</option>"
                                   "<option name=\"user\">reader</option>"
                                   "<option name=\"password\">${env:ERP_PASSWORD}</option>");
    erp_reset_counters(erp);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 3);
    CU_ASSERT_EQUAL(erp_answers(erp, 401), 0);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), 2);
    /* another password wanted: refused, and not shown */
    erp_set_auth(erp, ERP_AUTH_BASIC, "reader", "other");
    char *out = NULL;
    run(d, 3, &out);
    CU_ASSERT(e2e_contains(out, "HTTP 401"));
    CU_ASSERT_PTR_NULL(strstr(out, "pw-S0URCE"));
    free(out);
    erp_set_auth(erp, ERP_AUTH_NONE, NULL, NULL);
    free(d);
}

/* A source with auth oauth2 against the ERP, which now wants it. (owned) */
static char *oauth2_source(const char *name)
{
    setenv("ERP_CLIENT_SECRET", "cs-S0URCE", 1);
    erp_set_auth(erp, ERP_AUTH_OAUTH2, "reader", "cs-S0URCE");
    char opts[1024];
    snprintf(opts, sizeof opts,
             "<option name=\"next\">link</option>"
             "<option name=\"auth\">oauth2</option>"
             "<option name=\"token-url\">%s/oauth/token</option>"
             "<option name=\"client-id\">reader</option>"
             "<option name=\"client-secret\">${env:ERP_CLIENT_SECRET}</option>", erp_url(erp));
    return setup(name, NULL, opts);
}

/* auth oauth2: a token from token-url, sent with every page. */
static void test_auth_oauth2(void)
{
    erp_fresh(2);
    add_customers(1, 3);
    char *d = oauth2_source("oauth2");
    erp_reset_counters(erp);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 3);
    CU_ASSERT_EQUAL(erp_tokens_issued(erp), 1);
    CU_ASSERT_EQUAL(erp_answers(erp, 401), 0);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), 2);
    erp_set_auth(erp, ERP_AUTH_NONE, NULL, NULL);
    free(d);
}

/* An OAuth2 token is fetched again before it expires: with tokens good
 * for 2 s (kept for half of that) and pages 700 ms apart, a run of three
 * pages needs a second one, and no page is refused for an old token. */
static void test_auth_oauth2_refreshed_before_expiry(void)
{
    erp_fresh(2);
    add_customers(1, 5);
    erp_set_token_lifetime(erp, 2);
    char *d = oauth2_source("oauth2-refresh");
    erp_reset_counters(erp);
    unsigned long issued = erp_tokens_issued(erp);
    erp_set_slow(erp, 700);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 5);
    erp_set_slow(erp, 0);
    CU_ASSERT(erp_tokens_issued(erp) >= issued + 2);
    CU_ASSERT_EQUAL(erp_answers(erp, 401), 0);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), 3);
    erp_set_token_lifetime(erp, 3600);
    erp_set_auth(erp, ERP_AUTH_NONE, NULL, NULL);
    free(d);
}

/* A query in `path` goes with the first page. */
static void test_path_query(void)
{
    erp_fresh(50);
    add_customers(1, 3);
    char *d = setup("pathquery", NULL, "<option name=\"path\">GET /customers?limit=2</option>");
    erp_reset_counters(erp);
    CU_ASSERT_EQUAL(run(d, 0, NULL), 2); /* one page (no next), of 2 */
    CU_ASSERT_EQUAL(erp_requests_to(erp, "GET /customers"), 1);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("http source against the test ERP", NULL, stop_erp);
    CU_add_test(s, "next link (Link header)", test_next_link);
    CU_add_test(s, "next /pointer (URL in the body)", test_next_pointer);
    CU_add_test(s, "next page:PARAM", test_next_page);
    CU_add_test(s, "next offset:PARAM with limit", test_next_offset);
    CU_add_test(s, "next cursor:/pointer:PARAM", test_next_cursor);
    CU_add_test(s, "no next: one page", test_no_next_reads_one_page);
    CU_add_test(s, "nested fields dotted, arrays as JSON", test_nested_fields_dotted);
    CU_add_test(s, "since: only the newer records", test_since_reads_only_newer);
    CU_add_test(s, "failed page: exit 3, cursor kept", test_failed_page_keeps_cursor);
    CU_add_test(s, "transient failure retried", test_transient_failure_retried);
    CU_add_test(s, "malformed page: a clear stop", test_malformed_page);
    CU_add_test(s, "pagination loop is an error", test_pagination_loop);
    CU_add_test(s, "bearer token out of outputs and state", test_bearer_secret_stays_out);
    CU_add_test(s, "a redirect to another host gets no header secret",
                test_redirect_keeps_header_secret);
    CU_add_test(s, "validate names the problems", test_validate_names_problems);
    CU_add_test(s, "limit sent on every page", test_limit);
    CU_add_test(s, "max-pages: more is an error", test_max_pages);
    CU_add_test(s, "attempts per page, retry-delay between", test_attempts_and_retry_delay);
    CU_add_test(s, "header sent with every page", test_header);
    CU_add_test(s, "records at the root", test_records_root);
    CU_add_test(s, "retry-max-delay: a longer Retry-After stops", test_retry_max_delay);
    CU_add_test(s, "rate: pages spread", test_rate);
    CU_add_test(s, "timeout: a slow page is a failed try", test_timeout);
    CU_add_test(s, "TLS: ca-file, tls-verify", test_tls_ca_file_and_verify);
    CU_add_test(s, "connect-timeout", test_connect_timeout);
    CU_add_test(s, "auth basic", test_auth_basic);
    CU_add_test(s, "auth oauth2", test_auth_oauth2);
    CU_add_test(s, "auth oauth2: token fetched again before it expires",
                test_auth_oauth2_refreshed_before_expiry);
    CU_add_test(s, "a query in path", test_path_query);
}
