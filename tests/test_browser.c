/*
 * test_browser.c - the web monitor in a real browser (make check-browser,
 * not part of make check): Debian's headless Chromium driven over
 * WebDriver by chromedriver (libcurl + jansson), against `weir serve DIR
 * --http` with failed invoices from the test ERP (seed 002).  The page
 * shows the groups with the ERP's words; a customer named
 * <script>alert(1)</script> shows as text and runs nothing; with the
 * token entered, Resend on a group (the terms code defined in the ERP
 * meanwhile) gets the invoices delivered, Discard ends the other, and the
 * page says nothing is undelivered; Resend on a group of records without
 * a type leaves the typed records refused with the same words alone.  A screenshot is saved as
 * tests/browser-monitor.png.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* setenv, mkdtemp */
#endif
#include "config.h"

#include <CUnit/CUnit.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cunit_main.h"
#include "e2e.h"
#include "erp_server.h"
#include "harness.h"

#define TOKEN "browser-test-token-7c2e"
#define PIPELINE "invoices-to-erp-http"
#define HOSTILE "<script>alert(1)</script>"
#define F48_WORDS "1020 - Terms Code \"F48\" is not defined in A/R Terms"
#define SCREENSHOT "tests/browser-monitor.png"
/* WebDriver's key of an element reference */
#define ELEMENT "element-6066-11e4-a52e-4f735466cecf"

static erp_server *erp;
static char *dir;
static pid_t serve_pid, driver_pid;
static char service[64], driver[64], session[128];

/* ---- processes and ports ----------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A port nothing listens on now. */
static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* Start argv (NULL-terminated) in `cwd`, output to `log` in it. */
static pid_t spawn(const char *cwd, const char *log, const char *const *argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(cwd) != 0 || !freopen(log, "w", stdout) ||
            !freopen(log, "a", stderr))
            _exit(127);
        e2e_child_sanitizers();
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static void end(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    int st;
    for (int i = 0; i < 100 && waitpid(*pid, &st, WNOHANG) == 0; i++)
        sleep_ms(50);
    if (waitpid(*pid, &st, WNOHANG) == 0) {
        kill(*pid, SIGKILL);
        waitpid(*pid, &st, 0);
    }
    *pid = 0;
}

/* ---- HTTP -------------------------------------------------------------- */

static size_t gather(char *p, size_t size, size_t n, void *ctx)
{
    char **buf = ctx;
    size_t add = size * n, old = *buf ? strlen(*buf) : 0;
    char *g = realloc(*buf, old + add + 1);
    if (!g)
        return 0;
    memcpy(g + old, p, add);
    g[old + add] = '\0';
    *buf = g;
    return add;
}

/* METHOD url with the JSON `body` (nullable): the answer parsed, NULL when
 * there was none; *status the HTTP status. (owned: json_decref) */
static json_t *request(const char *method, const char *url, json_t *body,
                       long *status)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL, *out = NULL;
    CURL *c = curl_easy_init();
    struct curl_slist *hs = curl_slist_append(NULL, "Content-Type: "
                                                    "application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (text)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, gather);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    *status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
    json_t *doc = out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    free(text);
    return doc;
}

/* ---- WebDriver ---------------------------------------------------------- */

/* A WebDriver command of the session (`path` after /session/ID, "" for
 * the session itself): its "value" (NULL after a failure, printed unless
 * `quiet`). (owned: json_decref) */
static json_t *wd_quiet(int quiet, const char *method, const char *path,
                        json_t *body)
{
    char url[512];
    snprintf(url, sizeof(url), "%s/session/%s%s", driver, session, path);
    long status;
    json_t *doc = request(method, url, body, &status);
    json_decref(body);
    json_t *value = json_incref(json_object_get(doc, "value"));
    if (status != 200) {
        if (!quiet)
            fprintf(stderr, "WebDriver %s %s: HTTP %ld %s\n", method, path,
                    status, json_string_value(json_object_get(value,
                                                              "message")));
        json_decref(value);
        value = NULL;
    }
    json_decref(doc);
    return value;
}
#define wd(...) wd_quiet(0, __VA_ARGS__)

/* The first element `xpath` finds, NULL when none. (owned: free) */
static char *find(const char *xpath)
{
    json_t *v = wd_quiet(1, "POST", "/element",
                         json_pack("{s:s, s:s}", "using", "xpath", "value",
                                   xpath));
    const char *id = json_string_value(json_object_get(v, ELEMENT));
    char *out = id ? strdup(id) : NULL;
    json_decref(v);
    return out;
}

/* Click what `xpath` finds, waiting up to 10 s for it (the page renders
 * anew every few seconds: a reference may go stale, then it is looked up
 * again).  0, or -1. */
static int click(const char *xpath)
{
    for (long long stop = now_ms() + 10000; now_ms() < stop; sleep_ms(200)) {
        char *id = find(xpath);
        char path[256];
        snprintf(path, sizeof(path), "/element/%s/click", id ? id : "-");
        json_t *v = id ? wd_quiet(1, "POST", path, json_object()) : NULL;
        free(id);
        if (v) {
            json_decref(v);
            return 0;
        }
    }
    fprintf(stderr, "cannot click %s\n", xpath);
    return -1;
}

/* Type `text` into the element `xpath` finds.  0, or -1. */
static int type_into(const char *xpath, const char *text)
{
    char *id = find(xpath);
    char path[256];
    snprintf(path, sizeof(path), "/element/%s/value", id ? id : "-");
    json_t *v = id ? wd("POST", path, json_pack("{s:s}", "text", text)) : NULL;
    free(id);
    json_decref(v);
    return v ? 0 : -1;
}

/* The page's visible text now. (owned: free) */
static char *page_text(void)
{
    json_t *v = wd("POST", "/execute/sync",
                   json_pack("{s:s, s:[]}", "script",
                             "return document.body.innerText;", "args"));
    char *text = strdup(json_string_value(v) ? json_string_value(v) : "");
    json_decref(v);
    return text;
}

/* Wait up to `ms` until the page's text has `want`; 1 when it does. */
static int page_shows(const char *want, long ms)
{
    for (long long stop = now_ms() + ms;; sleep_ms(250)) {
        char *text = page_text();
        int found = strstr(text, want) != NULL;
        if (found || now_ms() >= stop) {
            if (!found)
                fprintf(stderr, "\n  the page does not show '%s':\n%s\n",
                        want, text);
            free(text);
            return found;
        }
        free(text);
    }
}

/* An alert is open (a script ran that the page did not mean to). */
static int alert_open(void)
{
    json_t *v = wd_quiet(1, "GET", "/alert/text", NULL);
    json_decref(v);
    return v != NULL;
}

static void screenshot(const char *file)
{
    json_t *v = wd("GET", "/screenshot", NULL);
    const char *b64 = json_string_value(v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b64);
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    FILE *f = fopen(file, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = b64; *p && *p != '='; p++) {
        const char *d = strchr(digits, *p);
        if (!d)
            continue;
        acc = (acc << 6) | (unsigned)(d - digits);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            fputc((int)((acc >> bits) & 0xFF), f);
        }
    }
    CU_ASSERT_EQUAL(fclose(f), 0);
    json_decref(v);
}

/* chromedriver on a free port, and a session of headless Chromium with a
 * fresh profile.  0, or -1. */
static int browser_start(char *profile)
{
    char port[32];
    unsigned p = free_port();
    snprintf(port, sizeof(port), "--port=%u", p);
    snprintf(driver, sizeof(driver), "http://127.0.0.1:%u", p);
    const char *argv[] = {"chromedriver", port, NULL};
    driver_pid = spawn(dir, "chromedriver.log", argv);
    long status = 0;
    char url[128];
    snprintf(url, sizeof(url), "%s/status", driver);
    for (long long stop = now_ms() + 20000; now_ms() < stop; sleep_ms(100)) {
        json_decref(request("GET", url, NULL, &status));
        if (status == 200)
            break;
    }
    if (status != 200)
        return -1;
    char data_dir[4300];
    snprintf(data_dir, sizeof(data_dir), "--user-data-dir=%s", profile);
    json_t *caps = json_pack(
        "{s:{s:{s:s, s:{s:s, s:[s, s, s, s, s, s, s, s, s]}}}}",
        "capabilities", "alwaysMatch", "browserName", "chrome",
        "goog:chromeOptions", "binary", "/usr/bin/chromium", "args",
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-quic", data_dir);
    snprintf(url, sizeof(url), "%s/session", driver);
    json_t *doc = request("POST", url, caps, &status);
    json_decref(caps);
    const char *id = json_string_value(
        json_object_get(json_object_get(doc, "value"), "sessionId"));
    if (id)
        snprintf(session, sizeof(session), "%s", id);
    else
        fprintf(stderr, "no WebDriver session: %s\n",
                json_string_value(json_object_get(
                    json_object_get(doc, "value"), "message")));
    json_decref(doc);
    if (!id)
        return -1;
    json_decref(wd("POST", "/window/rect",
                   json_pack("{s:i, s:i}", "width", 1200, "height", 1100)));
    return 0;
}

static void browser_stop(void)
{
    if (session[0])
        json_decref(wd("DELETE", "", NULL));
    session[0] = '\0';
    end(&driver_pid);
}

/* ---- the service -------------------------------------------------------- */

/* `weir serve DIR --http 127.0.0.1:PORT` with the token in its
 * environment; 0 once it answers, or -1. */
static int service_start(void)
{
    char listen[32];
    unsigned p = free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", p);
    snprintf(service, sizeof(service), "http://%s", listen);
    setenv("WEIR_WEB_TOKEN", TOKEN, 1);
    const char *argv[] = {WEIR_BUILDDIR "/weir", "serve", dir, "--http",
                          listen, "--token-env", "WEIR_WEB_TOKEN", NULL};
    serve_pid = spawn(dir, "serve.log", argv);
    char url[128];
    snprintf(url, sizeof(url), "%s/api/status", service);
    for (long long stop = now_ms() + 20000; now_ms() < stop; sleep_ms(100)) {
        long status;
        json_decref(request("GET", url, NULL, &status));
        if (status == 200)
            return 0;
    }
    return -1;
}

/* ---- the test ------------------------------------------------------------ */

static const char invoices_csv[] =
    "booking,customer,terms,amount\n"
    "10317,C00001,N30,1200.00\n"
    "10318,C00002,F48,340.50\n"
    "10319,C00003,F48,18000.00\n"
    "10320," HOSTILE ",N30,75.00\n";

/* Records of one pipeline without a type and with one (type-field),
 * refused with the same words. */
#define ZZZ_WORDS "1020 - Terms Code \"ZZZ\" is not defined in A/R Terms"
#define UNTYPED "//details[contains(., 'ZZZ') and " \
                "not(contains(summary, 'invoice'))]"
static const char mixed_csv[] = "booking,customer,terms,amount,kind\n"
                                "20001,C00001,ZZZ,1.00,\n"
                                "20002,C00002,ZZZ,2.00,invoice\n";
static const char mixed_xml[] =
    "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"mixed\" "
    "type-field=\"kind\">\n"
    "  <source plugin=\"csv\" name=\"bookings\">\n"
    "    <option name=\"path\">mixed.csv</option>\n"
    "  </source>\n"
    "  <sink plugin=\"http\" name=\"sage300\" system=\"erp\">\n"
    "    <option name=\"url\">${env:ERP_URL}</option>\n"
    "    <option name=\"upsert\">POST /invoices</option>\n"
    "    <option name=\"body\">{\"ref\": \"{booking}\", \"customer\": "
    "\"{customer}\", \"terms\": \"{terms}\", \"amount\": "
    "\"{amount}\"}</option>\n"
    "    <option name=\"error-pointer\">/error/message</option>\n"
    "  </sink>\n"
    "</pipeline>\n";

static void test_monitor_in_chromium(void)
{
    dir = e2e_scratch("browser");
    e2e_copy_example(dir, PIPELINE, "pipeline.xml");
    free(wt_write_file(dir, "invoices.csv", invoices_csv));
    char state[4200], profile[4200];
    snprintf(state, sizeof(state), "%s/weir.db", dir);
    setenv("WEIR_STATE", state, 1);
    char *out = e2e_expect_with(dir, 1, WEIR_BUILDDIR "/connectors/.libs",
                                "run", "pipeline.xml", NULL);
    CU_ASSERT(e2e_contains(out, "4 read, 1 written, 3 rejected"));
    free(out);
    CU_ASSERT_EQUAL_FATAL(service_start(), 0);
    snprintf(profile, sizeof(profile), "%s/profile.XXXXXX", dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(profile));
    CU_ASSERT_EQUAL_FATAL(browser_start(profile), 0);

    /* the groups and the ERP's words */
    json_decref(wd("POST", "/url", json_pack("{s:s}", "url", service)));
    CU_ASSERT(page_shows(F48_WORDS, 15000));
    CU_ASSERT(page_shows("Customer '" HOSTILE "' not found", 5000));
    CU_ASSERT(page_shows(PIPELINE, 5000));
    /* the hostile name is text: no alert, no script element of its own,
     * the text itself in the group's error line */
    CU_ASSERT(!alert_open());
    json_t *n = wd("POST", "/execute/sync",
                   json_pack("{s:s, s:[]}", "script",
                             "return document.scripts.length;", "args"));
    CU_ASSERT_EQUAL(json_integer_value(n), 1);
    json_decref(n);
    char *hostile = find("//span[@class='error' and contains(., "
                         "\"Customer '<script>\")]");
    CU_ASSERT_PTR_NOT_NULL(hostile);
    free(hostile);

    /* the token, once */
    CU_ASSERT_EQUAL(type_into("//input[@id='token']", TOKEN), 0);
    CU_ASSERT_EQUAL(click("//form[@id='token-form']/button"), 0);
    CU_ASSERT(page_shows("token set", 5000));
    screenshot(SCREENSHOT);

    /* the admin defines the terms code in the ERP, then resends the group */
    CU_ASSERT_EQUAL(erp_add_terms(erp, "F48"), 0);
    CU_ASSERT_EQUAL(click("//details[contains(., 'F48')]/summary"), 0);
    CU_ASSERT_EQUAL(click("//details[contains(., 'F48')]"
                          "//button[starts-with(., 'Resend group')]"), 0);
    CU_ASSERT(page_shows("2 records back to pending", 10000));
    for (long long stop = now_ms() + 30000;
         now_ms() < stop && (erp_created(erp, "invoices", "10318") < 1 ||
                             erp_created(erp, "invoices", "10319") < 1);)
        sleep_ms(100);
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "10318"), 1);
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "10319"), 1);

    /* the invoice of the customer that does not exist: its payload and
     * attempts, the name as text; then discarded */
    CU_ASSERT_EQUAL(click("//details[contains(., 'Customer')]/summary"), 0);
    CU_ASSERT_EQUAL(click("//details[contains(., 'Customer')]"
                          "//button[.='Show']"), 0);
    CU_ASSERT(page_shows("Payload", 10000));
    char *cell = find("//section[@id='record-section']//td[.='" HOSTILE "']");
    CU_ASSERT_PTR_NOT_NULL(cell);
    free(cell);
    CU_ASSERT(page_shows("Attempts", 1000));
    CU_ASSERT(page_shows("idempotency key", 1000));
    CU_ASSERT_EQUAL(click("//details[contains(., 'Customer')]"
                          "//button[.='Discard']"), 0);
    sleep_ms(4500); /* the page refreshes meanwhile: still asking */
    CU_ASSERT_EQUAL(click("//details[contains(., 'Customer')]"
                          "//button[starts-with(., 'Discard #')]"), 0);
    CU_ASSERT(page_shows("1 record discarded", 10000));
    CU_ASSERT(page_shows("Nothing undelivered.", 10000));
    char *text = page_text();
    CU_ASSERT_PTR_NULL(strstr(text, " failed\n"));
    CU_ASSERT_PTR_NULL(strstr(text, F48_WORDS));
    free(text);
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "10320"), 0);
    CU_ASSERT(!alert_open());

    /* one error, two groups: records without a type and invoices.
     * Resend on the group without a type resends that group only. */
    free(wt_write_file(dir, "mixed.csv", mixed_csv));
    free(wt_write_file(dir, "mixed.xml", mixed_xml));
    out = e2e_expect_with(dir, 1, WEIR_BUILDDIR "/connectors/.libs", "run",
                          "mixed.xml", NULL);
    CU_ASSERT(e2e_contains(out, "2 read, 0 written, 2 rejected"));
    free(out);
    CU_ASSERT(page_shows(ZZZ_WORDS, 15000));
    CU_ASSERT_EQUAL(click(UNTYPED "/summary"), 0);
    CU_ASSERT_EQUAL(click(UNTYPED "//button[starts-with(., 'Resend group')]"),
                    0);
    CU_ASSERT(page_shows("1 record back to pending", 10000));
    CU_ASSERT_EQUAL(e2e_outbox_count(dir, "status", "failed", "type",
                                     "invoice", NULL), 1);
    /* on a phone's width the page does not scroll sideways: wide tables
     * scroll in their own box */
    json_decref(wd("POST", "/window/rect",
                   json_pack("{s:i, s:i}", "width", 400, "height", 800)));
    json_t *wide = wd("POST", "/execute/sync",
                      json_pack("{s:s, s:[]}", "script",
                                "return [document.documentElement.scrollWidth,"
                                " window.innerWidth];", "args"));
    json_int_t scroll = json_integer_value(json_array_get(wide, 0)),
               inner = json_integer_value(json_array_get(wide, 1));
    CU_ASSERT(inner > 0 && inner <= 500);
    CU_ASSERT(scroll <= inner);
    if (scroll > inner)
        fprintf(stderr, "\n  %lld px wide in a %lld px window\n",
                (long long)scroll, (long long)inner);
    json_decref(wide);
    browser_stop();
    end(&serve_pid);
}

static int start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    erp = erp_start(0);
    if (!erp)
        return -1;
    erp_add_customer(erp, "C00001", "Customer 1");
    erp_add_customer(erp, "C00002", "Customer 2");
    erp_add_customer(erp, "C00003", "Customer 3");
    setenv("ERP_URL", erp_url(erp), 1);
    return 0;
}

/* After a failure: what the service and the driver said. */
static void show_log(const char *name)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *text = wt_read_file(path);
    if (text)
        fprintf(stderr, "---- %s\n%s\n", name, text);
    free(text);
}

static int stop(void)
{
    if (dir && CU_get_number_of_failures()) {
        show_log("serve.log");
        show_log("chromedriver.log");
    }
    browser_stop();
    end(&serve_pid);
    erp_stop(erp);
    free(dir);
    curl_global_cleanup();
    return 0;
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("web monitor in Chromium", start, stop);
    CU_add_test(s, "groups, escaping, token, Resend, Discard",
                test_monitor_in_chromium);
}
