/*
 * test_http_client.c - the HTTP helpers of plugins/common without a
 * network: JSON pointers, URL escaping, path and body templates, answer
 * classification and error texts, Retry-After, request descriptions, and
 * that a handle is set up with protocols, timeouts and TLS as promised.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_client.h"
#include "common/http_template.h"
#include "cunit_main.h"

/* ---- JSON pointer -------------------------------------------------------- */

static void test_pointer(void)
{
    json_t *doc = json_loads(
        "{\"a\": {\"b\": [10, {\"c\": \"x\"}]}, \"m~n\": 1, \"a/b\": 2, \"\": 3,"
        " \"e\": {\"message\": {\"value\": \"1020 - Terms\"}}}", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_PTR_EQUAL(weirp_json_pointer(doc, ""), doc);
    CU_ASSERT_EQUAL(json_integer_value(weirp_json_pointer(doc, "/a/b/0")), 10);
    CU_ASSERT_STRING_EQUAL(json_string_value(weirp_json_pointer(doc, "/a/b/1/c")), "x");
    CU_ASSERT_EQUAL(json_integer_value(weirp_json_pointer(doc, "/m~0n")), 1);
    CU_ASSERT_EQUAL(json_integer_value(weirp_json_pointer(doc, "/a~1b")), 2);
    CU_ASSERT_EQUAL(json_integer_value(weirp_json_pointer(doc, "/")), 3);
    CU_ASSERT_STRING_EQUAL(json_string_value(weirp_json_pointer(doc, "/e/message/value")),
                           "1020 - Terms");
    /* absent, malformed, and indexes that are not plain decimals */
    CU_ASSERT_PTR_NULL(weirp_json_pointer(doc, "/nope"));
    CU_ASSERT_PTR_NULL(weirp_json_pointer(doc, "a"));
    CU_ASSERT_PTR_NULL(weirp_json_pointer(doc, "/m~2n"));
    CU_ASSERT_PTR_NULL(weirp_json_pointer(doc, "/a/b/2"));
    CU_ASSERT_PTR_NULL(weirp_json_pointer(doc, "/a/b/01"));
    CU_ASSERT_PTR_NULL(weirp_json_pointer(doc, "/a/b/-"));
    CU_ASSERT_PTR_NULL(weirp_json_pointer(doc, "/a/b/+1"));
    CU_ASSERT_PTR_NULL(weirp_json_pointer(doc, "/a/b/0/x"));
    CU_ASSERT_PTR_NULL(weirp_json_pointer(NULL, "/a"));
    json_decref(doc);
}

static void test_scalar_text(void)
{
    json_t *doc = json_loads("[\"C00417\", 42, 1.5, true, null, {}]", 0, NULL);
    char *s;
    CU_ASSERT_STRING_EQUAL(s = weirp_json_scalar_text(json_array_get(doc, 0)), "C00417");
    free(s);
    CU_ASSERT_STRING_EQUAL(s = weirp_json_scalar_text(json_array_get(doc, 1)), "42");
    free(s);
    CU_ASSERT_STRING_EQUAL(s = weirp_json_scalar_text(json_array_get(doc, 2)), "1.5");
    free(s);
    CU_ASSERT_STRING_EQUAL(s = weirp_json_scalar_text(json_array_get(doc, 3)), "true");
    free(s);
    CU_ASSERT_PTR_NULL(weirp_json_scalar_text(json_array_get(doc, 4)));
    CU_ASSERT_PTR_NULL(weirp_json_scalar_text(json_array_get(doc, 5)));
    json_decref(doc);
    /* an API's decimals become the same number's shortest text, never the
     * binary double's 17 digits (59.80 was "59.799999999999997") */
    doc = json_loads("[59.80, 0.1, 340.5, 1e-7, 123456.789]", 0, NULL);
    const char *want[] = {"59.8", "0.1", "340.5", "1e-07", "123456.789"};
    for (size_t i = 0; i < 5; i++) {
        s = weirp_json_scalar_text(json_array_get(doc, i));
        CU_ASSERT_STRING_EQUAL(s ? s : "", want[i]);
        free(s);
    }
    json_decref(doc);
}

/* ---- templates ------------------------------------------------------------- */

/* Fields for the templates: name=value pairs, "\x02" standing for NULL. */
static const char *const fields[] = {
    "code", "INV/1 & 2?", "name", "Müller \"Ltd\"\n", "amount", "12.50",
    "none", "\x02", "flag", "true", "word", "abc", "price", "59.80",
    "big", "12345678901234567890123", "tiny", " -1.5e-7 ", "mark",
    "\x01" "0000000000000000" "0", "up", "..", "dot", ".", "dots", "a..b",
    "latin1", "M\xfcller", "crlf", "a\r\nX-Evil: 1#?", NULL,
};

static int get_field(void *ctx, const char *name, const char **value,
                     size_t *len)
{
    (void)ctx;
    for (size_t i = 0; fields[i] != NULL; i += 2)
        if (strcmp(fields[i], name) == 0) {
            *value = strcmp(fields[i + 1], "\x02") == 0 ? NULL : fields[i + 1];
            *len = *value ? strlen(*value) : 0;
            return 0;
        }
    return -1;
}

static void test_url_escape(void)
{
    char *e = weirp_url_escape("a b/c?d&e=f#g%ü", strlen("a b/c?d&e=f#g%ü"));
    CU_ASSERT_STRING_EQUAL(e, "a%20b%2Fc%3Fd%26e%3Df%23g%25%C3%BC");
    free(e);
    e = weirp_url_escape("AZaz09-._~", 10);
    CU_ASSERT_STRING_EQUAL(e, "AZaz09-._~");
    free(e);
}

static void test_path_expand(void)
{
    char err[256];
    char *p = weirp_path_expand("/invoices/{code}?ref={code}", get_field, NULL,
                                err, sizeof err);
    CU_ASSERT_STRING_EQUAL(p, "/invoices/INV%2F1%20%26%202%3F?ref=INV%2F1%20%26%202%3F");
    free(p);
    CU_ASSERT_PTR_NULL(weirp_path_expand("/x/{missing}", get_field, NULL, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no field 'missing'"));
    CU_ASSERT_PTR_NULL(weirp_path_expand("/x/{none}", get_field, NULL, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "is null"));
    CU_ASSERT_PTR_NULL(weirp_path_expand("/x/{code", NULL, NULL, err, sizeof err));
    CU_ASSERT_PTR_NULL(weirp_path_expand("/x/{a b}", NULL, NULL, err, sizeof err));
    CU_ASSERT_PTR_NULL(weirp_path_expand("/x/}", NULL, NULL, err, sizeof err));
    p = weirp_path_expand("/x/{code}", NULL, NULL, err, sizeof err);
    CU_ASSERT_STRING_EQUAL(p, "/x/{code}");
    free(p);
    /* "." and ".." would be dot segments: libcurl sends DELETE /x/.. as
     * DELETE /.  They keep their place, as a value. */
    p = weirp_path_expand("/x/{up}/y/{dot}/{dots}", get_field, NULL, err, sizeof err);
    CU_ASSERT_STRING_EQUAL(p, "/x/%2E%2E/y/%2E/a..b");
    free(p);
    p = weirp_path_expand("/x/{crlf}", get_field, NULL, err, sizeof err);
    CU_ASSERT_STRING_EQUAL(p, "/x/a%0D%0AX-Evil%3A%201%23%3F");
    free(p);
}

static char *filled(const char *tmpl, char *err, size_t errn)
{
    int line;
    weirp_json_template *t = weirp_json_template_parse(tmpl, err, errn, &line);
    if (t == NULL)
        fprintf(stderr, "template refused (line %d): %s\n", line, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    char *s = weirp_json_template_render(t, get_field, NULL, err, errn);
    weirp_json_template_free(t);
    return s;
}

static void test_body_template(void)
{
    char err[256];
    char *s = filled("{\"ref\": \"{code}\", \"who\": \"{name}\", \"amount\": {amount},\n"
                     " \"note\": \"Invoice {code} for {name}\", \"n\": \"{none}\",\n"
                     " \"ok\": {flag}, \"z\": {none}, \"lines\": [{\"x\": \"{word}\"}],"
                     " \"{code}\": \"{ not a placeholder }\", \"lit\": 7}",
                     err, sizeof err);
    CU_ASSERT_STRING_EQUAL(s,
        "{\"ref\":\"INV/1 & 2?\",\"who\":\"Müller \\\"Ltd\\\"\\n\",\"amount\":12.50,"
        "\"note\":\"Invoice INV/1 & 2? for Müller \\\"Ltd\\\"\\n\",\"n\":null,"
        "\"ok\":true,\"z\":null,\"lines\":[{\"x\":\"abc\"}],"
        "\"{code}\":\"{ not a placeholder }\",\"lit\":7}");
    free(s);
    /* numbers go out with their exact digits, never through a double */
    s = filled("{\"price\": {price}, \"big\": [{big}], \"tiny\": {tiny}}",
               err, sizeof err);
    CU_ASSERT_STRING_EQUAL(s, "{\"price\":59.80,\"big\":[12345678901234567890123],"
                              "\"tiny\":-1.5e-7}");
    free(s);
    /* a value that looks like the internal number mark stays text */
    s = filled("{\"a\": \"{mark}\", \"b\": {price}}", err, sizeof err);
    CU_ASSERT(s && strstr(s, "\"b\":59.80") != NULL);
    CU_ASSERT(s && strstr(s, "\"a\":\"\\u0001") != NULL);
    free(s);
    /* a bare placeholder takes numbers and booleans only */
    CU_ASSERT_PTR_NULL(filled("{\"a\": {word}}", err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "field 'word' is \"abc\": not a number"));
    CU_ASSERT_PTR_NULL(filled("{\"a\": \"{missing}\"}", err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no field 'missing'"));
    CU_ASSERT_PTR_NULL(filled("{\"a\": \"x {none}\"}", err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "is null"));
    /* text that is not UTF-8 cannot go into JSON: the field is named */
    CU_ASSERT_PTR_NULL(filled("{\"a\": \"{latin1}\"}", err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "field 'latin1' is not valid UTF-8");
    CU_ASSERT_PTR_NULL(filled("{\"a\": \"x {latin1}\"}", err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "field 'latin1' is not valid UTF-8");
    /* a template that is no JSON once filled names its line */
    int line = 0;
    CU_ASSERT_PTR_NULL(weirp_json_template_parse("{\"a\": 1,\n \"b\": {x}\n \"c\": 2}",
                                                 err, sizeof err, &line));
    CU_ASSERT_EQUAL(line, 3);
    CU_ASSERT_PTR_NULL(weirp_json_template_parse("{\"a\": \"\\u0001x\"}", err,
                                                 sizeof err, &line));
}

/* ---- answers ----------------------------------------------------------------- */

static void test_classify(void)
{
    CU_ASSERT_EQUAL(weirp_http_classify(CURLE_OK, 200), WEIRP_HTTP_OK);
    CU_ASSERT_EQUAL(weirp_http_classify(CURLE_OK, 201), WEIRP_HTTP_OK);
    CU_ASSERT_EQUAL(weirp_http_classify(CURLE_OK, 204), WEIRP_HTTP_OK);
    long retry[] = {408, 425, 429, 500, 502, 503, 504};
    for (size_t i = 0; i < sizeof retry / sizeof *retry; i++)
        CU_ASSERT_EQUAL(weirp_http_classify(CURLE_OK, retry[i]), WEIRP_HTTP_RETRY);
    long reject[] = {300, 400, 401, 403, 404, 409, 410, 422};
    for (size_t i = 0; i < sizeof reject / sizeof *reject; i++)
        CU_ASSERT_EQUAL(weirp_http_classify(CURLE_OK, reject[i]), WEIRP_HTTP_REJECT);
    CU_ASSERT_EQUAL(weirp_http_classify(CURLE_COULDNT_CONNECT, 0), WEIRP_HTTP_DOWN);
    CU_ASSERT_EQUAL(weirp_http_classify(CURLE_COULDNT_RESOLVE_HOST, 0), WEIRP_HTTP_DOWN);
    CU_ASSERT_EQUAL(weirp_http_classify(CURLE_OPERATION_TIMEDOUT, 0), WEIRP_HTTP_RETRY);
    CU_ASSERT_EQUAL(weirp_http_classify(CURLE_GOT_NOTHING, 0), WEIRP_HTTP_RETRY);
    CU_ASSERT_EQUAL(weirp_http_classify(CURLE_RECV_ERROR, 0), WEIRP_HTTP_RETRY);
}

static void answer(weirp_http_answer *a, long status, const char *reason,
                   const char *body)
{
    weirp_http_answer_reset(a);
    a->status = status;
    snprintf(a->reason, sizeof a->reason, "%s", reason);
    if (body != NULL) {
        size_t n = strlen(body);
        a->body = malloc(a->body_max + 1);
        a->body_len = n < a->body_max ? n : a->body_max;
        a->body_cut = n > a->body_max;
        memcpy(a->body, body, a->body_len);
        a->body[a->body_len] = '\0';
    }
}

static void test_error_text(void)
{
    weirp_http_answer a;
    char buf[512];
    weirp_http_answer_init(&a, 4096);
    answer(&a, 400, "Bad Request",
           "{\"error\": {\"message\": \"1020 - Terms Code \\\"F48\\\" is not defined in A/R Terms\"}}");
    weirp_http_error_text(CURLE_OK, NULL, &a, "/error/message", buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "1020 - Terms Code \"F48\" is not defined in A/R Terms (HTTP 400)");
    /* the pointer finds nothing: status line and an excerpt */
    weirp_http_error_text(CURLE_OK, NULL, &a, "/nope", buf, sizeof buf);
    CU_ASSERT_NSTRING_EQUAL(buf, "HTTP 400 Bad Request: {\"error\"", 30);
    /* not JSON, with control characters, said so */
    answer(&a, 502, "Bad Gateway", "<html>\n<b>proxy</b>\n</html>");
    weirp_http_error_text(CURLE_OK, NULL, &a, "/error", buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "HTTP 502 Bad Gateway: answer is not JSON: <html> <b>proxy</b> </html>");
    /* malformed JSON never crashes */
    answer(&a, 422, "", "{\"error\": ");
    weirp_http_error_text(CURLE_OK, NULL, &a, "/error", buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "HTTP 422: answer is not JSON: {\"error\": ");
    /* no body */
    answer(&a, 404, "Not Found", NULL);
    weirp_http_error_text(CURLE_OK, NULL, &a, "/error", buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "HTTP 404 Not Found");
    /* a long body is cut to an excerpt, at a character boundary */
    char big[2000];
    for (size_t i = 0; i + 2 < sizeof big; i += 2)
        memcpy(big + i, "é", 2);
    big[sizeof big - 2] = '\0';
    answer(&a, 500, "Internal Server Error", big);
    weirp_http_error_text(CURLE_OK, NULL, &a, NULL, buf, sizeof buf);
    CU_ASSERT(strlen(buf) < 300);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "é..."));
    /* a small buffer still ends in a NUL */
    weirp_http_error_text(CURLE_OK, NULL, &a, NULL, buf, 10);
    CU_ASSERT(strlen(buf) < 10);
    /* a failed transfer: libcurl's words */
    weirp_http_error_text(CURLE_COULDNT_CONNECT, "Failed to connect: refused", &a,
                          NULL, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "Failed to connect: refused");
    weirp_http_error_text(CURLE_OPERATION_TIMEDOUT, "", &a, NULL, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, curl_easy_strerror(CURLE_OPERATION_TIMEDOUT));
    weirp_http_answer_free(&a);
}

static void test_retry_after(void)
{
    time_t now = 1700000000;
    CU_ASSERT_EQUAL(weirp_http_retry_after_ms("3", now), 3000);
    CU_ASSERT_EQUAL(weirp_http_retry_after_ms("0", now), 0);
    CU_ASSERT_EQUAL(weirp_http_retry_after_ms("999999999999999999999", now), 86400000);
    CU_ASSERT_EQUAL(weirp_http_retry_after_ms("3x", now), -1);
    CU_ASSERT_EQUAL(weirp_http_retry_after_ms("", now), -1);
    CU_ASSERT_EQUAL(weirp_http_retry_after_ms("soon", now), -1);
    /* 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT */
    CU_ASSERT_EQUAL(weirp_http_retry_after_ms("Tue, 14 Nov 2023 22:13:50 GMT", now), 30000);
    CU_ASSERT_EQUAL(weirp_http_retry_after_ms("Tue, 14 Nov 2023 22:00:00 GMT", now), 0);
}

static void test_describe(void)
{
    char buf[128];
    weirp_http_describe("GET", "https://user:secret@erp.example:8443/invoices?ref=INV1&token=abc#x",
                        buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "GET /invoices?ref=...&token=...");
    weirp_http_describe("POST", "http://erp.example", buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "POST /");
    weirp_http_describe("PUT", "/invoices/INV%2F1?flag", buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "PUT /invoices/INV%2F1?flag");
    weirp_http_describe("GET", "http://h/a?k=v", buf, 8);
    CU_ASSERT(strlen(buf) < 8);
}

static void test_setup(void)
{
    CURL *h = curl_easy_init();
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    weirp_http_conf conf = {.timeout_ms = 1000, .connect_timeout_ms = 500,
                            .ca_file = NULL, .tls_verify = 1};
    CU_ASSERT_EQUAL(weirp_http_setup(h, &conf), 0);
    /* another protocol is refused before any connection is tried */
    curl_easy_setopt(h, CURLOPT_URL, "file:///etc/passwd");
    CU_ASSERT_EQUAL(curl_easy_perform(h), CURLE_UNSUPPORTED_PROTOCOL);
    curl_easy_setopt(h, CURLOPT_URL, "ftp://127.0.0.1:1/x");
    CU_ASSERT_EQUAL(curl_easy_perform(h), CURLE_UNSUPPORTED_PROTOCOL);
    curl_easy_cleanup(h);
}

/* Mail's protocols: web URLs are refused, an unknown name is an error. */
static void test_setup_protocols(void)
{
    CURL *h = curl_easy_init();
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    weirp_http_conf conf = {.timeout_ms = 1000, .connect_timeout_ms = 500,
                            .ca_file = NULL, .tls_verify = 1};
    CU_ASSERT_EQUAL(weirp_http_setup_protocols(h, &conf, "smtp,smtps"), 0);
    curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/x");
    CU_ASSERT_EQUAL(curl_easy_perform(h), CURLE_UNSUPPORTED_PROTOCOL);
    CU_ASSERT_EQUAL(weirp_http_setup_protocols(h, &conf, "smtp,nosuch"), -1);
    curl_easy_cleanup(h);
}

void register_tests(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    atexit(curl_global_cleanup);
    CU_pSuite s = CU_add_suite("http client", NULL, NULL);
    CU_add_test(s, "JSON pointer (RFC 6901)", test_pointer);
    CU_add_test(s, "scalars as text", test_scalar_text);
    CU_add_test(s, "URL escaping", test_url_escape);
    CU_add_test(s, "path templates", test_path_expand);
    CU_add_test(s, "body templates", test_body_template);
    CU_add_test(s, "answer classes", test_classify);
    CU_add_test(s, "error texts", test_error_text);
    CU_add_test(s, "Retry-After", test_retry_after);
    CU_add_test(s, "request descriptions", test_describe);
    CU_add_test(s, "handle setup", test_setup);
    CU_add_test(s, "handle setup for other protocols", test_setup_protocols);
}
