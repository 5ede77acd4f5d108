/*
 * test_erp.c - the test fixtures themselves: the ERP server (driven with
 * libcurl, as the http connector will) and the SMTP receiver (libcurl's
 * SMTP and a raw socket for the malformed input libcurl never sends).
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cunit_main.h"
#include "erp_server.h"
#include "smtp_receiver.h"

/* ---- an HTTP client ----------------------------------------------------- */

typedef struct reply {
    CURLcode code; /* CURLE_OK when an answer came */
    long status;
    char *body, *headers; /* headers: the raw header lines */
    json_t *json; /* the body parsed, or NULL */
} reply;

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    char **buf = ud;
    size_t add = size * n;
    char *old = *buf;
    size_t have = old ? strlen(old) : 0;
    char *nb = realloc(old, have + add + 1);
    if (!nb)
        return 0;
    memcpy(nb + have, p, add);
    nb[have + add] = '\0';
    *buf = nb;
    return add;
}

/* METHOD url+path with `body` (NULL: none) and extra header lines
 * (NULL-terminated, may be NULL). */
static reply call_h(const char *url, const char *method, const char *path, const char *body,
                    const char *const *hdrs)
{
    reply r = {0};
    char full[512];
    snprintf(full, sizeof full, "%s%s", url, path);
    CURL *c = curl_easy_init();
    struct curl_slist *list = NULL;
    if (body)
        list = curl_slist_append(list, "Content-Type: application/json");
    for (size_t i = 0; hdrs && hdrs[i]; i++)
        list = curl_slist_append(list, hdrs[i]);
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    r.code = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(c);
    curl_slist_free_all(list);
    if (r.body)
        r.json = json_loads(r.body, 0, NULL);
    return r;
}

static reply call(erp_server *s, const char *method, const char *path, const char *body)
{
    return call_h(erp_url(s), method, path, body, NULL);
}

static void reply_free(reply *r)
{
    free(r->body);
    free(r->headers);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

/* The value of header `name` in the reply (trimmed), or "" when absent.
 * (static buffer) */
static const char *hdr(const reply *r, const char *name)
{
    static char value[512];
    size_t nl = strlen(name);
    value[0] = '\0';
    for (const char *p = r->headers; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r\n");
            if (vl >= sizeof value)
                vl = sizeof value - 1;
            memcpy(value, v, vl);
            value[vl] = '\0';
        }
    }
    return value;
}

static const char *jstr(json_t *j, const char *pointer_key)
{
    const char *v = json_string_value(json_object_get(j, pointer_key));
    return v ? v : "";
}

/* ---- basic resources ---------------------------------------------------- */

static void test_customers(void)
{
    erp_server *s = erp_start(0);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT(erp_port(s) > 0);
    reply r = call(s, "GET", "/health", NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "status"), "ok");
    reply_free(&r);

    r = call(s, "POST", "/customers", "{\"name\": \"Acme\", \"ref\": \"app-1\"}");
    CU_ASSERT_EQUAL(r.status, 201);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "id"), "C00001");
    char loc[128];
    snprintf(loc, sizeof loc, "%s/customers/C00001", erp_url(s));
    CU_ASSERT_STRING_EQUAL(hdr(&r, "Location"), loc);
    reply_free(&r);
    r = call(s, "POST", "/customers", "{\"name\": \"Bolt\"}");
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "id"), "C00002");
    reply_free(&r);

    r = call(s, "PUT", "/customers/C00001", "{\"city\": \"Lyon\"}");
    CU_ASSERT_EQUAL(r.status, 200);
    reply_free(&r);
    r = call(s, "GET", "/customers/C00001", NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "name"), "Acme");
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "city"), "Lyon");
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "modified"), "2024-01-01T00:00:02Z");
    reply_free(&r);
    /* by ref too */
    r = call(s, "GET", "/customers/app-1", NULL);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "id"), "C00001");
    reply_free(&r);

    r = call(s, "DELETE", "/customers/C00002", NULL);
    CU_ASSERT_EQUAL(r.status, 204);
    reply_free(&r);
    r = call(s, "GET", "/customers/C00002", NULL);
    CU_ASSERT_EQUAL(r.status, 404);
    reply_free(&r);
    r = call(s, "PUT", "/customers/C09999", "{}");
    CU_ASSERT_EQUAL(r.status, 404);
    reply_free(&r);
    CU_ASSERT_EQUAL(erp_record_count(s, "customers"), 1);
    CU_ASSERT_EQUAL(erp_applied(s, "customers", "app-1"), 2);
    CU_ASSERT_EQUAL(erp_created(s, "customers", "app-1"), 1);

    /* malformed bodies and unknown paths */
    r = call(s, "POST", "/customers", "{\"name\": ");
    CU_ASSERT_EQUAL(r.status, 400);
    CU_ASSERT(strstr(r.body, "Malformed JSON") != NULL);
    reply_free(&r);
    r = call(s, "POST", "/customers", "[1]");
    CU_ASSERT_EQUAL(r.status, 400);
    reply_free(&r);
    r = call(s, "GET", "/nothing/here/at/all", NULL);
    CU_ASSERT_EQUAL(r.status, 404);
    reply_free(&r);
    char *big = malloc(2 * 1024 * 1024);
    memset(big, ' ', 2 * 1024 * 1024 - 1);
    big[2 * 1024 * 1024 - 1] = '\0';
    r = call(s, "POST", "/customers", big);
    CU_ASSERT_EQUAL(r.status, 413);
    reply_free(&r);
    free(big);
    CU_ASSERT_EQUAL(erp_record_count(s, "customers"), 1);

    CU_ASSERT_EQUAL(erp_requests_to(s, "POST /customers"), 5);
    CU_ASSERT_EQUAL(erp_requests_to(s, "GET /customers/C00002"), 1);
    CU_ASSERT_EQUAL(erp_answers(s, 404), 3);
    CU_ASSERT_EQUAL(erp_requests(s), 13);
    erp_reset_counters(s);
    CU_ASSERT_EQUAL(erp_requests(s), 0);
    CU_ASSERT_EQUAL(erp_applied(s, "customers", "app-1"), 0);
    erp_stop(s);
}

static void test_validation(void)
{
    erp_server *s = erp_start(0);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(erp_add_customer(s, "C00100", "Known"), 0);
    CU_ASSERT_EQUAL(erp_add_customer(s, "C00100", "Again"), -1);

    reply r = call(s, "POST", "/orders", "{\"customer\": \"C00999\", \"ref\": \"o1\"}");
    CU_ASSERT_EQUAL(r.status, 422);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"error\":{\"message\":\"Customer 'C00999' not found\"}}");
    reply_free(&r);
    r = call(s, "POST", "/orders", "{\"ref\": \"o1\"}");
    CU_ASSERT_EQUAL(r.status, 422);
    reply_free(&r);
    r = call(s, "POST", "/orders", "{\"customer\": \"C00100\", \"ref\": \"o1\"}");
    CU_ASSERT_EQUAL(r.status, 201);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "id"), "SO00001");
    reply_free(&r);

    /* seed 002: the terms code Sage does not know */
    const char *inv = "{\"ref\": \"10319\", \"customer\": \"C00100\", \"terms\": \"F48\","
                      " \"lines\": [{\"gl_account\": \"4000\", \"amount\": 10}]}";
    r = call(s, "POST", "/invoices", inv);
    CU_ASSERT_EQUAL(r.status, 422);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"error\":{\"message\":\"1020 - Terms Code \\\"F48\\\" is "
                                   "not defined in A/R Terms\",\"code\":1020}}");
    reply_free(&r);
    CU_ASSERT_EQUAL(erp_add_terms(s, "F48"), 0);
    CU_ASSERT_EQUAL(erp_add_terms(s, "F48"), -1);
    r = call(s, "POST", "/invoices", inv);
    CU_ASSERT_EQUAL(r.status, 201);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "id"), "INV00001");
    reply_free(&r);

    /* unknown G/L accounts, on the invoice or on a line */
    r = call(s, "POST", "/invoices", "{\"ref\": \"2\", \"gl_account\": \"9999\"}");
    CU_ASSERT_EQUAL(r.status, 422);
    CU_ASSERT(json_integer_value(json_object_get(json_object_get(r.json, "error"), "code")) ==
              1021);
    CU_ASSERT(strstr(r.body, "G/L Account \\\"9999\\\"") != NULL);
    reply_free(&r);
    r = call(s, "POST", "/invoices", "{\"ref\": \"3\", \"lines\": [{\"gl_account\": \"4000\"},"
                                     " {\"gl_account\": \"7\"}]}");
    CU_ASSERT_EQUAL(r.status, 422);
    reply_free(&r);
    CU_ASSERT_EQUAL(erp_add_gl_account(s, "7"), 0);
    r = call(s, "POST", "/gl-accounts", "{\"code\": \"8\"}");
    CU_ASSERT_EQUAL(r.status, 201);
    reply_free(&r);
    r = call(s, "POST", "/invoices", "{\"ref\": \"3\", \"lines\": [{\"gl_account\": \"8\"},"
                                     " {\"gl_account\": \"7\"}]}");
    CU_ASSERT_EQUAL(r.status, 201);
    reply_free(&r);

    /* PUT validates the merged record; by ref or id */
    r = call(s, "PUT", "/invoices/10319", "{\"terms\": \"X1\"}");
    CU_ASSERT_EQUAL(r.status, 422);
    reply_free(&r);
    r = call(s, "PUT", "/invoices/INV00001", "{\"terms\": \"N30\"}");
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "terms"), "N30");
    reply_free(&r);
    json_t *rec = erp_record(s, "invoices", "10319");
    CU_ASSERT_STRING_EQUAL(jstr(rec, "terms"), "N30");
    CU_ASSERT_STRING_EQUAL(jstr(rec, "id"), "INV00001");
    json_decref(rec);

    /* the lookup before a re-send */
    r = call(s, "GET", "/invoices?ref=10319", NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 1);
    CU_ASSERT_STRING_EQUAL(jstr(json_array_get(json_object_get(r.json, "data"), 0), "id"),
                           "INV00001");
    reply_free(&r);
    r = call(s, "GET", "/invoices?ref=nope", NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 0);
    reply_free(&r);
    erp_stop(s);
}

static void test_idempotency(void)
{
    erp_server *s = erp_start(0);
    CU_ASSERT_FATAL(s != NULL);
    const char *k1[] = {"Idempotency-Key: k1", NULL};
    const char *body = "{\"ref\": \"r1\", \"terms\": \"F48\"}";
    /* a rejected request is not stored: the resend after the fix applies */
    reply r = call_h(erp_url(s), "POST", "/invoices", body, k1);
    CU_ASSERT_EQUAL(r.status, 422);
    reply_free(&r);
    erp_add_terms(s, "F48");
    r = call_h(erp_url(s), "POST", "/invoices", body, k1);
    CU_ASSERT_EQUAL(r.status, 201);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "id"), "INV00001");
    reply_free(&r);
    /* the repeat gets the same answer, and nothing is applied twice */
    r = call_h(erp_url(s), "POST", "/invoices", body, k1);
    CU_ASSERT_EQUAL(r.status, 201);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "id"), "INV00001");
    CU_ASSERT(strstr(hdr(&r, "Location"), "/invoices/INV00001") != NULL);
    reply_free(&r);
    CU_ASSERT_EQUAL(erp_key_requests(s, "k1"), 3);
    CU_ASSERT_EQUAL(erp_key_applied(s, "k1"), 1);
    CU_ASSERT_EQUAL(erp_created(s, "invoices", "r1"), 1);
    CU_ASSERT_EQUAL(erp_max_created(s), 1);
    CU_ASSERT_EQUAL(erp_record_count(s, "invoices"), 1);

    /* a target that ignores the key: the double shows */
    erp_set_idempotency(s, 0);
    const char *k2[] = {"Idempotency-Key: k2", NULL};
    body = "{\"ref\": \"r2\"}";
    for (int i = 0; i < 2; i++) {
        r = call_h(erp_url(s), "POST", "/invoices", body, k2);
        CU_ASSERT_EQUAL(r.status, 201);
        reply_free(&r);
    }
    CU_ASSERT_EQUAL(erp_key_applied(s, "k2"), 2);
    CU_ASSERT_EQUAL(erp_created(s, "invoices", "r2"), 2);
    CU_ASSERT_EQUAL(erp_max_created(s), 2);
    CU_ASSERT_EQUAL(erp_record_count(s, "invoices"), 3);
    CU_ASSERT_EQUAL(erp_key_requests(s, "never"), 0);
    erp_stop(s);
}

/* ---- paging ------------------------------------------------------------- */

/* Follow the pages from `path`: by the Link header when `by_link`, else by
 * the body's "next"; the ids in order into `ids`. Returns the page count. */
static int read_pages(erp_server *s, const char *path, int by_link, json_t *ids)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", erp_url(s), path);
    int pages = 0;
    while (url[0] && pages < 50) {
        reply r = call_h(url, "GET", "", NULL, NULL);
        CU_ASSERT_EQUAL(r.status, 200);
        pages++;
        size_t i;
        json_t *rec;
        json_array_foreach(json_object_get(r.json, "data"), i, rec)
            json_array_append(ids, json_object_get(rec, "id"));
        const char *next = json_string_value(json_object_get(r.json, "next"));
        const char *link = hdr(&r, "Link");
        url[0] = '\0';
        if (by_link && link[0]) {
            CU_ASSERT(strstr(link, "rel=\"next\"") != NULL);
            size_t n = strcspn(link + 1, ">");
            if (n < sizeof url) {
                memcpy(url, link + 1, n);
                url[n] = '\0';
            }
        } else if (!by_link && next) {
            snprintf(url, sizeof url, "%s", next);
        }
        CU_ASSERT_EQUAL(!!link[0], next != NULL);
        reply_free(&r);
    }
    return pages;
}

static void check_ids(json_t *ids, int from, int to)
{
    CU_ASSERT_EQUAL(json_array_size(ids), (size_t)(to - from + 1));
    for (int i = from; i <= to && (size_t)(i - from) < json_array_size(ids); i++) {
        char want[16];
        snprintf(want, sizeof want, "C%05d", i);
        CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(ids, (size_t)(i - from))), want);
    }
    json_array_clear(ids);
}

static void test_paging(void)
{
    erp_server *s = erp_start(0);
    CU_ASSERT_FATAL(s != NULL);
    for (int i = 1; i <= 120; i++) {
        char id[16];
        snprintf(id, sizeof id, "C%05d", i);
        erp_add_customer(s, id, "x");
    }
    json_t *ids = json_array();
    CU_ASSERT_EQUAL(read_pages(s, "/customers", 1, ids), 3); /* 50 by default */
    check_ids(ids, 1, 120);
    erp_set_page_size(s, 40);
    CU_ASSERT_EQUAL(read_pages(s, "/customers", 0, ids), 3);
    check_ids(ids, 1, 120);
    CU_ASSERT_EQUAL(read_pages(s, "/customers?page=1&limit=7", 1, ids), 18);
    check_ids(ids, 1, 120);
    CU_ASSERT_EQUAL(read_pages(s, "/customers?page=3&per_page=50", 1, ids), 1);
    check_ids(ids, 101, 120);
    CU_ASSERT_EQUAL(read_pages(s, "/customers?offset=0&limit=25", 0, ids), 5);
    check_ids(ids, 1, 120);
    CU_ASSERT_EQUAL(read_pages(s, "/customers?offset=110&limit=25", 0, ids), 1);
    check_ids(ids, 111, 120);

    /* cursor: from the body's next_cursor */
    reply r = call(s, "GET", "/customers?cursor=C00060&limit=30", NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(r.json, "data")), 30);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "next_cursor"), "C00090");
    CU_ASSERT(strstr(jstr(r.json, "next"), "cursor=C00090") != NULL);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.json, "total")), 120);
    reply_free(&r);
    CU_ASSERT_EQUAL(read_pages(s, "/customers?cursor=C00060&limit=30", 1, ids), 2);
    check_ids(ids, 61, 120);
    r = call(s, "GET", "/customers?limit=0", NULL);
    CU_ASSERT_EQUAL(r.status, 400);
    reply_free(&r);

    /* incremental: only what changed after the stored cursor */
    r = call(s, "PUT", "/customers/C00007", "{\"name\": \"new\"}");
    reply_free(&r);
    r = call(s, "PUT", "/customers/C00003", "{\"name\": \"new\"}");
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "modified"), "2024-01-01T00:02:01Z");
    reply_free(&r);
    CU_ASSERT_EQUAL(read_pages(s, "/customers?modified_since=2024-01-01T00:01:59Z&limit=1", 1,
                               ids),
                    2);
    CU_ASSERT_EQUAL(json_array_size(ids), 2);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(ids, 0)), "C00003");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(ids, 1)), "C00007");
    json_array_clear(ids);
    CU_ASSERT_EQUAL(read_pages(s, "/customers?modified_since=2024-01-01T00:02:01Z", 1, ids), 1);
    CU_ASSERT_EQUAL(json_array_size(ids), 0);

    json_t *all = erp_records(s, "customers");
    CU_ASSERT_EQUAL(json_array_size(all), 120);
    json_decref(all);
    json_decref(ids);
    erp_stop(s);
}

/* ---- switches ----------------------------------------------------------- */

static long long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_down_and_slow(void)
{
    erp_server *s = erp_start(0);
    CU_ASSERT_FATAL(s != NULL);
    unsigned short port = erp_port(s);
    reply r = call(s, "POST", "/customers", "{\"name\": \"kept\"}");
    reply_free(&r);

    CU_ASSERT_EQUAL(erp_set_down(s, ERP_DOWN_503), 0);
    r = call(s, "POST", "/customers", "{}");
    CU_ASSERT_EQUAL(r.status, 503);
    reply_free(&r);
    r = call(s, "GET", "/health", NULL);
    CU_ASSERT_EQUAL(r.status, 503);
    reply_free(&r);

    CU_ASSERT_EQUAL(erp_set_down(s, ERP_DOWN_REFUSE), 0);
    r = call(s, "GET", "/health", NULL);
    CU_ASSERT_EQUAL(r.code, CURLE_COULDNT_CONNECT);
    reply_free(&r);
    CU_ASSERT_EQUAL(erp_set_down(s, ERP_UP), 0);
    CU_ASSERT_EQUAL(erp_port(s), port);
    r = call(s, "GET", "/customers/C00001", NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "name"), "kept");
    reply_free(&r);
    CU_ASSERT_EQUAL(erp_record_count(s, "customers"), 1);

    erp_set_slow(s, 300);
    long long t0 = ms_now();
    r = call(s, "GET", "/health", NULL);
    CU_ASSERT(ms_now() - t0 >= 300);
    CU_ASSERT_EQUAL(r.status, 200);
    reply_free(&r);
    /* a slow server still stops promptly */
    erp_set_slow(s, 60000);
    t0 = ms_now();
    erp_stop(s);
    CU_ASSERT(ms_now() - t0 < 5000);
}

static void test_flaky(void)
{
    erp_server *s = erp_start(0);
    CU_ASSERT_FATAL(s != NULL);
    erp_set_flaky(s, ERP_FLAKY_503, 2);
    long statuses[4];
    for (int i = 0; i < 4; i++) {
        reply r = call(s, "GET", "/health", NULL);
        statuses[i] = r.status;
        reply_free(&r);
    }
    CU_ASSERT(statuses[0] == 200 && statuses[1] == 503 && statuses[2] == 200 &&
              statuses[3] == 503);

    /* dropped: nothing applied, no answer */
    erp_set_flaky(s, ERP_FLAKY_DROP, 1);
    reply r = call(s, "POST", "/orders", "{\"ref\": \"o\"}");
    CU_ASSERT_EQUAL(r.code, CURLE_GOT_NOTHING);
    reply_free(&r);
    CU_ASSERT_EQUAL(erp_answers(s, 0), 1);

    /* lost: applied, then no answer */
    erp_add_customer(s, "C1", "c");
    erp_set_flaky(s, ERP_FLAKY_LOSE, 1);
    const char *key[] = {"Idempotency-Key: lost-1", NULL};
    r = call_h(erp_url(s), "POST", "/orders", "{\"ref\": \"o2\", \"customer\": \"C1\"}", key);
    CU_ASSERT_EQUAL(r.code, CURLE_GOT_NOTHING);
    reply_free(&r);
    CU_ASSERT_EQUAL(erp_record_count(s, "orders"), 1);
    CU_ASSERT_EQUAL(erp_created(s, "orders", "o2"), 1);
    /* the re-send with the key gets the stored answer */
    erp_set_flaky(s, ERP_FLAKY_OFF, 0);
    r = call_h(erp_url(s), "POST", "/orders", "{\"ref\": \"o2\", \"customer\": \"C1\"}", key);
    CU_ASSERT_EQUAL(r.status, 201);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "id"), "SO00001");
    reply_free(&r);
    CU_ASSERT_EQUAL(erp_max_created(s), 1);

    /* injected failures with Retry-After */
    erp_fail_next(s, 2, 500, 3);
    for (int i = 0; i < 2; i++) {
        r = call(s, "GET", "/health", NULL);
        CU_ASSERT_EQUAL(r.status, 500);
        CU_ASSERT_STRING_EQUAL(hdr(&r, "Retry-After"), "3");
        reply_free(&r);
    }
    r = call(s, "GET", "/health", NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(hdr(&r, "Retry-After"), "");
    reply_free(&r);
    erp_stop(s);
}

static void test_rate_limit(void)
{
    erp_server *s = erp_start(0);
    CU_ASSERT_FATAL(s != NULL);
    erp_set_rate_limit(s, 3, 2);
    int ok = 0, limited = 0;
    /* within at most two clock seconds: at most 6 pass */
    for (int i = 0; i < 10; i++) {
        reply r = call(s, "GET", "/health", NULL);
        if (r.status == 200)
            ok++;
        if (r.status == 429) {
            limited++;
            CU_ASSERT_STRING_EQUAL(hdr(&r, "Retry-After"), "2");
        }
        reply_free(&r);
    }
    CU_ASSERT(ok >= 3 && ok <= 6);
    CU_ASSERT_EQUAL(ok + limited, 10);
    CU_ASSERT_EQUAL(erp_answers(s, 429), (unsigned long)limited);
    erp_set_rate_limit(s, 0, 0);
    reply r = call(s, "GET", "/health", NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    reply_free(&r);
    erp_stop(s);
}

static void test_auth(void)
{
    erp_server *s = erp_start(0);
    CU_ASSERT_FATAL(s != NULL);
    erp_set_auth(s, ERP_AUTH_BEARER, "s3cret", NULL);
    reply r = call(s, "GET", "/customers", NULL);
    CU_ASSERT_EQUAL(r.status, 401);
    CU_ASSERT(strncmp(hdr(&r, "WWW-Authenticate"), "Bearer", 6) == 0);
    reply_free(&r);
    const char *wrong[] = {"Authorization: Bearer nope", NULL};
    r = call_h(erp_url(s), "GET", "/customers", NULL, wrong);
    CU_ASSERT_EQUAL(r.status, 401);
    reply_free(&r);
    const char *right[] = {"Authorization: Bearer s3cret", NULL};
    r = call_h(erp_url(s), "GET", "/customers", NULL, right);
    CU_ASSERT_EQUAL(r.status, 200);
    reply_free(&r);
    r = call(s, "GET", "/health", NULL); /* the probe needs none */
    CU_ASSERT_EQUAL(r.status, 200);
    reply_free(&r);

    erp_set_auth(s, ERP_AUTH_BASIC, "erp", "pa:ss");
    const char *basic[] = {"Authorization: Basic ZXJwOnBhOnNz", NULL}; /* erp:pa:ss */
    r = call_h(erp_url(s), "GET", "/customers", NULL, basic);
    CU_ASSERT_EQUAL(r.status, 200);
    reply_free(&r);
    r = call_h(erp_url(s), "GET", "/customers", NULL, right);
    CU_ASSERT_EQUAL(r.status, 401);
    CU_ASSERT(strncmp(hdr(&r, "WWW-Authenticate"), "Basic", 5) == 0);
    reply_free(&r);

    erp_set_auth(s, ERP_AUTH_OAUTH2, "client", "shh");
    erp_set_token_lifetime(s, 120);
    r = call_h(erp_url(s), "POST", "/oauth/token",
               "grant_type=client_credentials&client_id=client&client_secret=bad", NULL);
    CU_ASSERT_EQUAL(r.status, 401);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "error"), "invalid_client");
    reply_free(&r);
    r = call_h(erp_url(s), "POST", "/oauth/token", "grant_type=password", NULL);
    CU_ASSERT_EQUAL(r.status, 400);
    reply_free(&r);
    const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    r = call_h(erp_url(s), "POST", "/oauth/token",
               "grant_type=client_credentials&client_id=client&client_secret=s%68h", form);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(jstr(r.json, "token_type"), "Bearer");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r.json, "expires_in")), 120);
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", jstr(r.json, "access_token"));
    reply_free(&r);
    const char *tok[] = {auth, NULL};
    r = call_h(erp_url(s), "GET", "/customers", NULL, tok);
    CU_ASSERT_EQUAL(r.status, 200);
    reply_free(&r);
    erp_expire_tokens(s);
    r = call_h(erp_url(s), "GET", "/customers", NULL, tok);
    CU_ASSERT_EQUAL(r.status, 401);
    CU_ASSERT(strstr(r.body, "Token expired") != NULL);
    CU_ASSERT(strstr(hdr(&r, "WWW-Authenticate"), "invalid_token") != NULL);
    reply_free(&r);
    /* client credentials in a Basic header and a JSON body work too */
    const char *cbasic[] = {"Authorization: Basic Y2xpZW50OnNoaA==", NULL}; /* client:shh */
    r = call_h(erp_url(s), "POST", "/oauth/token", "{\"grant_type\": \"client_credentials\"}",
               cbasic);
    CU_ASSERT_EQUAL(r.status, 200);
    reply_free(&r);
    CU_ASSERT_EQUAL(erp_tokens_issued(s), 2);
    erp_stop(s);
}

static void test_capture(void)
{
    erp_server *s = erp_start(0);
    CU_ASSERT_FATAL(s != NULL);
    const char *h[] = {"X-Weir-Event: run.failed", NULL};
    reply r = call_h(erp_url(s), "POST", "/hooks/admin", "{\"event\": \"down\"}", h);
    CU_ASSERT_EQUAL(r.status, 200);
    reply_free(&r);
    r = call(s, "POST", "/hooks/x", "not json");
    reply_free(&r);
    CU_ASSERT_EQUAL(erp_wait_captured(s, 2, 1000), 2);
    CU_ASSERT_EQUAL(erp_wait_captured(s, 3, 50), 2); /* times out */
    json_t *c = erp_captured(s, 0);
    CU_ASSERT_STRING_EQUAL(jstr(c, "path"), "/hooks/admin");
    CU_ASSERT_STRING_EQUAL(jstr(json_object_get(c, "headers"), "x-weir-event"), "run.failed");
    CU_ASSERT_STRING_EQUAL(jstr(json_object_get(c, "json"), "event"), "down");
    json_decref(c);
    c = erp_captured(s, 1);
    CU_ASSERT_STRING_EQUAL(jstr(c, "body"), "not json");
    CU_ASSERT(json_is_null(json_object_get(c, "json")));
    json_decref(c);
    CU_ASSERT(erp_captured(s, 2) == NULL);
    erp_stop(s);
}

/* ---- SMTP --------------------------------------------------------------- */

typedef struct payload {
    const char *text;
    size_t off;
} payload;

static size_t read_payload(char *buf, size_t size, size_t n, void *ud)
{
    payload *p = ud;
    size_t left = strlen(p->text) - p->off, take = size * n < left ? size * n : left;
    memcpy(buf, p->text + p->off, take);
    p->off += take;
    return take;
}

static CURLcode send_mail(smtp_receiver *r, const char *user, const char *pass, const char *text)
{
    CURL *c = curl_easy_init();
    struct curl_slist *to = curl_slist_append(NULL, "<admin@example.com>");
    to = curl_slist_append(to, "<ops@example.com>");
    payload p = {text, 0};
    curl_easy_setopt(c, CURLOPT_URL, smtp_receiver_url(r));
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, "<weir@example.com>");
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_payload);
    curl_easy_setopt(c, CURLOPT_READDATA, &p);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    if (user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
    }
    CURLcode code = curl_easy_perform(c);
    curl_slist_free_all(to);
    curl_easy_cleanup(c);
    return code;
}

static void test_smtp_curl(void)
{
    smtp_receiver *r = smtp_receiver_start();
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(smtp_receiver_port(r) > 0);
    const char *mail = "Subject: weir: 2 failed\r\n\r\nline one\r\n.leading dot\r\n";
    CU_ASSERT_EQUAL(send_mail(r, NULL, NULL, mail), CURLE_OK);
    CU_ASSERT_EQUAL(send_mail(r, "mailer", "pw", mail), CURLE_OK);
    CU_ASSERT_EQUAL(smtp_receiver_wait(r, 2, 2000), 2);
    smtp_message *m = smtp_receiver_message(r, 0);
    CU_ASSERT_FATAL(m != NULL);
    CU_ASSERT_STRING_EQUAL(m->from, "weir@example.com");
    CU_ASSERT_EQUAL(m->n_rcpt, 2);
    CU_ASSERT_STRING_EQUAL(m->rcpt[0], "admin@example.com");
    CU_ASSERT_STRING_EQUAL(m->rcpt[1], "ops@example.com");
    CU_ASSERT_STRING_EQUAL(m->data, mail); /* curl stuffed the dot; unstuffed here */
    CU_ASSERT(m->auth_user == NULL);
    smtp_message_free(m);
    m = smtp_receiver_message(r, 1);
    CU_ASSERT_STRING_EQUAL(m->auth_user, "mailer");
    CU_ASSERT_STRING_EQUAL(m->auth_pass, "pw");
    smtp_message_free(m);
    CU_ASSERT(smtp_receiver_message(r, 2) == NULL);

    smtp_receiver_require_auth(r, "mailer", "right");
    CU_ASSERT_EQUAL(send_mail(r, "mailer", "wrong", mail), CURLE_LOGIN_DENIED);
    CU_ASSERT_NOT_EQUAL(send_mail(r, NULL, NULL, mail), CURLE_OK);
    CU_ASSERT_EQUAL(send_mail(r, "mailer", "right", mail), CURLE_OK);
    smtp_receiver_require_auth(r, NULL, NULL);
    smtp_receiver_fail(r, 451);
    CU_ASSERT_NOT_EQUAL(send_mail(r, NULL, NULL, mail), CURLE_OK);
    smtp_receiver_fail(r, 0);
    CU_ASSERT_EQUAL(smtp_receiver_count(r), 3);
    smtp_receiver_stop(r);
}

/* A raw SMTP conversation: `lines` sent one by one, each answer's code
 * checked against `codes` (the greeting first). */
static int raw_connect(smtp_receiver *r)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(smtp_receiver_port(r));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* The code of the next (possibly multi-line) answer; 0 when none. */
static int raw_answer(int fd)
{
    char buf[2048];
    size_t len = 0;
    for (;;) {
        ssize_t n = recv(fd, buf + len, 1, 0);
        if (n <= 0)
            return 0;
        if (buf[len++] == '\n') {
            buf[len] = '\0';
            if (len >= 4 && buf[3] == ' ')
                return atoi(buf);
            len = 0;
        }
        if (len >= sizeof buf - 1)
            return 0;
    }
}

static int raw_send(int fd, const char *text)
{
    CU_ASSERT(send(fd, text, strlen(text), MSG_NOSIGNAL) == (ssize_t)strlen(text));
    return raw_answer(fd);
}

static void test_smtp_raw(void)
{
    smtp_receiver *r = smtp_receiver_start();
    CU_ASSERT_FATAL(r != NULL);
    int fd = raw_connect(r);
    CU_ASSERT_EQUAL(raw_answer(fd), 220);
    CU_ASSERT_EQUAL(raw_send(fd, "GARBAGE\r\n"), 502);
    CU_ASSERT_EQUAL(raw_send(fd, "RCPT TO:<a@b>\r\n"), 503);
    CU_ASSERT_EQUAL(raw_send(fd, "DATA\r\n"), 503);
    CU_ASSERT_EQUAL(raw_send(fd, "MAIL <nocolon>\r\n"), 501);
    char *long_line = malloc(5000);
    memset(long_line, 'x', 4997);
    memcpy(long_line + 4997, "\r\n", 3);
    CU_ASSERT_EQUAL(raw_send(fd, long_line), 500);
    CU_ASSERT_EQUAL(raw_send(fd, "HELO raw\r\n"), 250);
    CU_ASSERT_EQUAL(raw_send(fd, "AUTH CRAM-MD5\r\n"), 504);
    CU_ASSERT_EQUAL(raw_send(fd, "AUTH PLAIN !!!\r\n"), 501);
    /* "\0u\0p" */
    CU_ASSERT_EQUAL(raw_send(fd, "AUTH PLAIN AHUAcA==\r\n"), 235);
    CU_ASSERT_EQUAL(raw_send(fd, "AUTH LOGIN\r\n"), 334);
    CU_ASSERT_EQUAL(raw_send(fd, "dXNlcg==\r\n"), 334);
    CU_ASSERT_EQUAL(raw_send(fd, "cGFzcw==\r\n"), 235); /* user / pass */
    CU_ASSERT_EQUAL(raw_send(fd, "MAIL FROM:<x@y>\r\n"), 250);
    CU_ASSERT_EQUAL(raw_send(fd, "RCPT TO:<z@y>\r\n"), 250);
    CU_ASSERT_EQUAL(raw_send(fd, "DATA\r\n"), 354);
    /* an overlong line inside DATA spoils the message: 552 */
    send(fd, "ok\r\n", 4, MSG_NOSIGNAL);
    send(fd, long_line, strlen(long_line), MSG_NOSIGNAL);
    CU_ASSERT_EQUAL(raw_send(fd, ".\r\n"), 552);
    CU_ASSERT_EQUAL(raw_send(fd, "RCPT TO:<z@y>\r\n"), 503);
    CU_ASSERT_EQUAL(raw_send(fd, "MAIL FROM:<x@y>\r\n"), 250);
    CU_ASSERT_EQUAL(raw_send(fd, "RCPT TO:z@y\r\n"), 250);
    CU_ASSERT_EQUAL(raw_send(fd, "DATA\r\n"), 354);
    CU_ASSERT_EQUAL(raw_send(fd, "Subject: s\n\n..dot\nend\n.\n"), 250); /* bare LF too */
    CU_ASSERT_EQUAL(raw_send(fd, "NOOP\r\n"), 250);
    CU_ASSERT_EQUAL(raw_send(fd, "QUIT\r\n"), 221);
    close(fd);
    free(long_line);
    CU_ASSERT_EQUAL(smtp_receiver_wait(r, 1, 1000), 1);
    smtp_message *m = smtp_receiver_message(r, 0);
    CU_ASSERT_FATAL(m != NULL);
    CU_ASSERT_STRING_EQUAL(m->helo, "raw");
    CU_ASSERT_STRING_EQUAL(m->auth_user, "user");
    CU_ASSERT_STRING_EQUAL(m->auth_pass, "pass");
    CU_ASSERT_STRING_EQUAL(m->rcpt[0], "z@y");
    CU_ASSERT_STRING_EQUAL(m->data, "Subject: s\r\n\r\n.dot\r\nend\r\n");
    smtp_message_free(m);

    /* a client that says nothing does not hold up stop() */
    fd = raw_connect(r);
    CU_ASSERT_EQUAL(raw_answer(fd), 220);
    long long t0 = ms_now();
    smtp_receiver_stop(r);
    CU_ASSERT(ms_now() - t0 < 2000);
    close(fd);
}

void register_tests(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CU_pSuite s = CU_add_suite("test ERP server", NULL, NULL);
    CU_add_test(s, "customers: ids, Location, PUT, DELETE, errors", test_customers);
    CU_add_test(s, "orders and invoices: validation texts", test_validation);
    CU_add_test(s, "idempotency keys: applied once, failures not stored", test_idempotency);
    CU_add_test(s, "paging: link, next, page, offset, cursor, since", test_paging);
    CU_add_test(s, "down (503, refused), back up, slow", test_down_and_slow);
    CU_add_test(s, "flaky: 503, dropped, lost answers; injected", test_flaky);
    CU_add_test(s, "rate limit: 429 with Retry-After", test_rate_limit);
    CU_add_test(s, "auth: bearer, basic, OAuth2 tokens and expiry", test_auth);
    CU_add_test(s, "capture of webhooks", test_capture);
    s = CU_add_suite("test SMTP receiver", NULL, NULL);
    CU_add_test(s, "mail from libcurl, auth, refusals", test_smtp_curl);
    CU_add_test(s, "raw conversation: bad input, AUTH, dots", test_smtp_raw);
}
