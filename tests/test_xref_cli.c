/*
 * test_xref_cli.c - `weir xref list/add/remove/merge` end to end with the
 * real weir binary: links made, refused with the reason, listed (text and
 * JSON, filtered), merged with what was replaced, removed; bad usage; and
 * a link added by hand releasing the records a transform held for it
 * (the test plugin testhold, waiting on the xref wait key).
 *
 * `weir xref suggest` on csv sources: the field app's customers (HB_
 * codes, typos, other legal suffixes, another word order) against the
 * ERP's; the right counterpart first, scores in 0..1; linked customers
 * skipped unless their key has the prefix; --limit; --match evidence
 * telling namesakes apart; the JSON shape and the text table; bad usage
 * and unreadable sources or state.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs"

/* weir ARGS (NULL-terminated) in `dir`, expecting exit `code`; stdout
 * and stderr together. (owned: free) */
/* argv[n...]: the arguments of `ap` (up to NULL), then the plugin path
 * and NULL (argv has room for 40). */
static void with_plugins(const char **argv, int n, va_list ap)
{
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 37)
        argv[n++] = a;
    argv[n++] = "--plugin-path";
    argv[n++] = PLUGINS;
    argv[n] = NULL;
}

static char *expect(const char *dir, int code, ...)
{
    const char *argv[40];
    va_list ap;
    va_start(ap, code);
    with_plugins(argv, 0, ap);
    va_end(ap);
    return e2e_expectv(dir, code, argv);
}

/* expect() and whether its output holds `needle`. */
#define EXPECT_SAYS(dir, code, needle, ...)                                 \
    do {                                                                    \
        char *out_ = expect(dir, code, __VA_ARGS__, NULL);                  \
        CU_ASSERT(e2e_contains(out_ ? out_ : "", needle));                  \
        free(out_);                                                         \
    } while (0)

/* The ends of link `i` of `weir xref list --json ARGS` as "s:i s:i". */
static void link_text(json_t *doc, size_t i, char *buf, size_t n)
{
    json_t *l = json_array_get(json_object_get(doc, "links"), i);
    json_t *ends = json_object_get(l, "ends");
    snprintf(buf, n, "%s %s:%s %s:%s %s",
             json_string_value(json_object_get(l, "entity")),
             json_string_value(json_object_get(json_array_get(ends, 0),
                                               "system")),
             json_string_value(json_object_get(json_array_get(ends, 0),
                                               "id")),
             json_string_value(json_object_get(json_array_get(ends, 1),
                                               "system")),
             json_string_value(json_object_get(json_array_get(ends, 1),
                                               "id")),
             json_string_value(json_object_get(l, "origin")));
}

static void test_add_list_merge_remove(void)
{
    char *d = e2e_scratch("xrefcli");
    /* nothing to list before there is a state */
    free(expect(d, 3, "xref", "list", NULL));
    EXPECT_SAYS(d, 0, "linked customer app:HB_000123 <-> erp:HB_000123",
                "xref", "add", "customer", "app:HB_000123", "erp:HB_000123");
    EXPECT_SAYS(d, 0, "already linked: customer erp:HB_000123 <-> "
                "app:HB_000123", "xref", "add", "customer", "erp:HB_000123",
                "app:HB_000123");
    EXPECT_SAYS(d, 0, "linked customer crm:0015 <-> erp:C00417", "xref",
                "add", "customer", "crm:0015", "erp:C00417");
    /* refused, naming the link in the way and the way out */
    char *out = expect(d, 1, "xref", "add", "customer", "app:HB_000123",
                       "erp:C00417", NULL);
    CU_ASSERT(e2e_contains(out, "customer app:HB_000123 is already linked "
                           "to erp:HB_000123 (manual, "));
    CU_ASSERT(e2e_contains(out, "weir xref merge replaces a link"));
    free(out);

    out = expect(d, 0, "xref", "list", NULL);
    CU_ASSERT(e2e_contains(out, "ENTITY"));
    CU_ASSERT(e2e_contains(out, "app:HB_000123"));
    free(out);
    json_t *doc = e2e_json(d, "xref", "list", "--json", NULL);
    CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(doc, "links")), 2);
    char text[256];
    link_text(doc, 0, text, sizeof(text));
    CU_ASSERT_STRING_EQUAL(text, "customer app:HB_000123 erp:HB_000123 "
                                 "manual");
    json_decref(doc);

    /* merge: the generated code's link replaced, and said so */
    out = expect(d, 0, "xref", "merge", "customer", "app:HB_000123",
                 "erp:C00417", NULL);
    CU_ASSERT(e2e_contains(out, "replaced customer app:HB_000123 <-> "
                           "erp:HB_000123"));
    CU_ASSERT(e2e_contains(out, "linked customer app:HB_000123 <-> "
                           "erp:C00417 (merged)"));
    free(out);
    /* --system: its links only, its end first */
    doc = e2e_json(d, "xref", "list", "--system", "erp", "--json", NULL);
    CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(doc, "links")), 2);
    link_text(doc, 0, text, sizeof(text));
    CU_ASSERT_STRING_EQUAL(text, "customer erp:C00417 app:HB_000123 merged");
    link_text(doc, 1, text, sizeof(text));
    CU_ASSERT_STRING_EQUAL(text, "customer erp:C00417 crm:0015 manual");
    json_decref(doc);
    doc = e2e_json(d, "xref", "list", "--system", "crm", "--entity",
                   "customer", "--json", NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "links")), 1);
    json_decref(doc);
    EXPECT_SAYS(d, 0, "(no links)", "xref", "list", "--entity", "product");

    EXPECT_SAYS(d, 0, "removed 2 links of customer erp:C00417", "xref",
                "remove", "customer", "erp:C00417");
    EXPECT_SAYS(d, 1, "customer erp:C00417 has no link; nothing removed",
                "xref", "remove", "customer", "erp:C00417");
    doc = e2e_json(d, "xref", "list", "--json", NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "links")), 0);
    json_decref(doc);
    free(d);
}

static void test_bad_usage(void)
{
    char *d = e2e_scratch("xrefusage");
    /* remove and merge need a state that exists */
    free(expect(d, 3, "xref", "remove", "customer", "app:1", NULL));
    free(expect(d, 3, "xref", "merge", "customer", "app:1", "erp:1", NULL));
    EXPECT_SAYS(d, 2, "'app' is not SYSTEM:ID", "xref", "add", "customer",
                "app", "erp:1");
    EXPECT_SAYS(d, 2, "'erp:' is not SYSTEM:ID", "xref", "merge", "customer",
                "app:1", "erp:");
    EXPECT_SAYS(d, 2, "a link joins two systems", "xref", "add", "customer",
                "app:1", "app:2");
    EXPECT_SAYS(d, 2, "unknown subcommand 'lsit'", "xref", "lsit");
    EXPECT_SAYS(d, 2, "usage: weir xref remove ENTITY SYSTEM:ID", "xref",
                "remove", "customer");
    EXPECT_SAYS(d, 2, "option --entity does not apply", "xref", "add",
                "--entity", "customer", "customer", "app:1", "erp:1");
    EXPECT_SAYS(d, 2, "does not apply to this command", "xref", "list",
                "--pipeline", "p");
    EXPECT_SAYS(d, 2, "usage: weir xref", "xref");
    free(d);
}

/* csv -> testhold (holds customer HB_1 until the file "linked" exists,
 * waiting for the xref wait key of its app id) -> testsink. */
static void test_add_releases_held(void)
{
    char *d = e2e_scratch("xrefrelease");
    free(wt_write_file(
        d, "p.xml",
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"orders\">\n"
        "  <source plugin=\"csv\" name=\"app\">\n"
        "    <option name=\"path\">in.csv</option>\n"
        "  </source>\n"
        "  <transform plugin=\"testhold\" name=\"link\">"
        "<option name=\"field\">customer</option>"
        "<option name=\"hold-values\">HB_1</option>"
        "<option name=\"until-file\">linked</option>"
        "<option name=\"wait-prefix\">xref:customer:app:</option>"
        "</transform>\n"
        "  <sink plugin=\"testsink\" name=\"erp\">\n"
        "    <option name=\"database\">target.db</option>\n"
        "  </sink>\n"
        "</pipeline>\n"));
    free(wt_write_file(d, "in.csv", "code,customer\nO1,HB_1\nO2,C9\n"));
    free(expect(d, 0, "run", "p.xml", NULL));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 1);
    /* the transform would pass it now, but nothing released it */
    free(wt_write_file(d, "linked", ""));
    free(expect(d, 0, "drain", "p.xml", NULL));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 1);
    /* another id's link releases nothing; its own does */
    free(expect(d, 0, "xref", "add", "customer", "app:HB_2", "erp:C2",
                NULL));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 1);
    free(expect(d, 0, "xref", "add", "customer", "erp:C1", "app:HB_1",
                NULL));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", NULL), 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "pending", NULL), 1);
    free(expect(d, 0, "drain", "p.xml", NULL));
    /* O2 went at the run, O1 now */
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "delivered", NULL), 1);
    char target[4200];
    snprintf(target, sizeof(target), "%s/target.db", d);
    CU_ASSERT_EQUAL(e2e_query_int(target, "SELECT count(*) FROM sends"), 2);
    free(d);
}

/* ---- weir xref suggest ---------------------------------------------- */

/* The app: HB_ codes made in the field, and A-codes already in the ERP. */
static const char app_csv[] =
    "code,name,phone,email\n"
    "HB_000001,Harper & Whitfield Plumbing Ltd,+44 20 7946 0123,\n"
    "HB_000002,Northern Bakery,0161 496 0000,\n"
    "HB_000003,Acme Widgits (Pty) Ltd,,sales@acme.co.za\n"
    "HB_000004,Totally Unknown Llamas,,\n"
    "A100,Smith Enginering,,\n";

/* The ERP: two Northern Bakery Ltd, the wrong one first. */
static const char erp_csv[] =
    "code,name,phone,email\n"
    "C00100,Smith Engineering Ltd,,\n"
    "C00417,Whitfield and Harper Plumbing Limited,(020) 7946-0123,\n"
    "C00500,Northern Bakery Ltd,0113 496 0999,\n"
    "C00501,Northern Bakery Ltd,0161 496 0000,\n"
    "C00600,ACME Widgets,,\n"
    "C00700,Harper Plumbing,,\n"
    "C00800,Jones Haulage,,\n";

/* Pipeline WHO.xml reading WHO.csv, with `before` (XML, nullable) ahead
 * of <track>. */
static void write_pipeline(const char *d, const char *who, const char *csv,
                           const char *before)
{
    char xml[2048], name[32];
    snprintf(xml, sizeof(xml),
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"%s-customers\" "
             "type=\"customer\">\n"
             "  <source plugin=\"csv\" name=\"%s\">\n"
             "    <option name=\"path\">%s.csv</option>\n"
             "  </source>\n"
             "%s"
             "  <track key=\"code\"/>\n"
             "  <sink plugin=\"csv\" name=\"out\">\n"
             "    <option name=\"path\">out-%s.csv</option>\n"
             "  </sink>\n"
             "</pipeline>\n",
             who, who, who, before ? before : "", who);
    snprintf(name, sizeof(name), "%s.xml", who);
    free(wt_write_file(d, name, xml));
    snprintf(name, sizeof(name), "%s.csv", who);
    free(wt_write_file(d, name, csv));
}

static char *setup(const char *name)
{
    char *d = e2e_scratch(name);
    write_pipeline(d, "app", app_csv, NULL);
    write_pipeline(d, "erp", erp_csv, NULL);
    return d;
}

/* `weir xref suggest app.xml --against erp.xml --json ARGS` (run as the
 * command under test, so under valgrind when asked): its stdout parsed,
 * with the shape checked: every suggestion a key, a name, its entity and
 * its end of a link ("app:KEY"), every candidate a key, a name, a score
 * in 0..1, best first, and its end ("erp:KEY").
 * (owned: json_decref) */
static json_t *suggest(const char *dir, ...)
{
    const char *argv[40] = {"xref", "suggest", "app.xml", "--against",
                            "erp.xml", "--json"};
    va_list ap;
    va_start(ap, dir);
    with_plugins(argv, 6, ap);
    va_end(ap);
    e2e_result r = e2e_runv(dir, argv);
    CU_ASSERT_EQUAL(r.status, 0);
    json_error_t err;
    json_t *doc = json_loads(r.out ? r.out : "", 0, &err);
    if (!doc || r.status)
        fprintf(stderr, "\n  exit %d\n%s\n%s\n", r.status, r.out, r.err);
    e2e_result_free(&r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_EQUAL(json_object_size(doc), 1);
    json_t *list = json_object_get(doc, "suggestions");
    CU_ASSERT(json_is_array(list));
    size_t i, j;
    json_t *s, *c;
    json_array_foreach(list, i, s) {
        CU_ASSERT_EQUAL(json_object_size(s), 5);
        CU_ASSERT(json_is_string(json_object_get(s, "key")));
        CU_ASSERT(json_is_string(json_object_get(s, "name")));
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "entity")),
                               "customer");
        char end[128];
        snprintf(end, sizeof(end), "app:%s",
                 json_string_value(json_object_get(s, "key")));
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "xref")),
                               end);
        double last = 1.0;
        json_array_foreach(json_object_get(s, "candidates"), j, c) {
            double score = json_number_value(json_object_get(c, "score"));
            CU_ASSERT_EQUAL(json_object_size(c), 4);
            CU_ASSERT(json_is_string(json_object_get(c, "key")));
            snprintf(end, sizeof(end), "erp:%s",
                     json_string_value(json_object_get(c, "key")));
            CU_ASSERT_STRING_EQUAL(
                json_string_value(json_object_get(c, "xref")), end);
            CU_ASSERT(json_is_string(json_object_get(c, "name")));
            CU_ASSERT(json_is_number(json_object_get(c, "score")));
            CU_ASSERT(score >= 0.0 && score <= last);
            last = score;
        }
    }
    return doc;
}

/* The suggestion for app key `key`, NULL when there is none. (borrowed) */
static json_t *for_key(json_t *doc, const char *key)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(doc, "suggestions"), i, s) {
        if (strcmp(json_string_value(json_object_get(s, "key")), key) == 0)
            return s;
    }
    return NULL;
}

/* Field `field` of candidate `n` of app key `key`'s suggestion, "" when
 * there is no such candidate. (borrowed) */
static const char *cand(json_t *doc, const char *key, size_t n,
                        const char *field)
{
    json_t *c = json_array_get(json_object_get(for_key(doc, key),
                                               "candidates"), n);
    const char *v = json_string_value(json_object_get(c, field));
    return v ? v : "";
}

static size_t ncands(json_t *doc, const char *key)
{
    return json_array_size(json_object_get(for_key(doc, key), "candidates"));
}

static void test_right_counterpart_first(void)
{
    char *d = setup("suggest-rank");
    json_t *doc = suggest(d, NULL);
    /* no state: every customer of the app, in source order */
    json_t *list = json_object_get(doc, "suggestions");
    CU_ASSERT_EQUAL_FATAL(json_array_size(list), 5);
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(json_array_get(list, 0), "key")),
        "HB_000001");
    /* the names as the sources have them, not normalised */
    CU_ASSERT_STRING_EQUAL(
        json_string_value(json_object_get(for_key(doc, "HB_000001"),
                                          "name")),
        "Harper & Whitfield Plumbing Ltd");
    CU_ASSERT_STRING_EQUAL(cand(doc, "HB_000001", 0, "key"), "C00417");
    CU_ASSERT_STRING_EQUAL(cand(doc, "HB_000001", 0, "name"),
                           "Whitfield and Harper Plumbing Limited");
    /* a typo and another suffix */
    CU_ASSERT_STRING_EQUAL(cand(doc, "HB_000003", 0, "key"), "C00600");
    CU_ASSERT_STRING_EQUAL(cand(doc, "A100", 0, "key"), "C00100");
    /* no counterpart: no suggestion */
    CU_ASSERT_PTR_NOT_NULL(for_key(doc, "HB_000004"));
    CU_ASSERT_EQUAL(ncands(doc, "HB_000004"), 0);
    /* the namesakes, by name alone: both, in the ERP's order */
    CU_ASSERT_EQUAL(ncands(doc, "HB_000002"), 2);
    CU_ASSERT_STRING_EQUAL(cand(doc, "HB_000002", 0, "key"), "C00500");
    json_decref(doc);

    /* the text table: one block per customer */
    char *out = expect(d, 0, "xref", "suggest", "app.xml", "--against",
                       "erp.xml", NULL);
    CU_ASSERT(e2e_contains(out, "HB_000001      Harper & Whitfield Plumbing "
                                "Ltd\n  1.000  C00417         Whitfield and "
                                "Harper Plumbing Limited\n"));
    CU_ASSERT(e2e_contains(out, "HB_000004      Totally Unknown Llamas\n"
                                "  (no suggestion)\n"));
    CU_ASSERT(e2e_contains(out, "5 records of app-customers matched "
                                "against 7 of erp-customers\n"));
    free(out);
    free(d);
}

static void test_match_evidence(void)
{
    char *d = setup("suggest-match");
    /* the phone tells the namesakes apart; and agreeing evidence never
     * lowers a score */
    json_t *doc = suggest(d, "--match", "phone email", NULL);
    CU_ASSERT_STRING_EQUAL(cand(doc, "HB_000002", 0, "key"), "C00501");
    CU_ASSERT_STRING_EQUAL(cand(doc, "HB_000002", 1, "key"), "C00500");
    double right = json_number_value(json_object_get(
        json_array_get(json_object_get(for_key(doc, "HB_000002"),
                                       "candidates"), 0), "score"));
    double wrong = json_number_value(json_object_get(
        json_array_get(json_object_get(for_key(doc, "HB_000002"),
                                       "candidates"), 1), "score"));
    CU_ASSERT(right > wrong);
    CU_ASSERT_STRING_EQUAL(cand(doc, "HB_000001", 0, "key"), "C00417");
    json_decref(doc);
    /* --limit */
    doc = suggest(d, "--match", "phone", "--limit", "1", NULL);
    CU_ASSERT_EQUAL(ncands(doc, "HB_000002"), 1);
    CU_ASSERT_STRING_EQUAL(cand(doc, "HB_000002", 0, "key"), "C00501");
    json_decref(doc);
    free(d);
}

static void test_linked_skipped(void)
{
    char *d = setup("suggest-linked");
    free(expect(d, 0, "xref", "add", "customer", "app:A100", "erp:C00100",
                NULL));
    free(expect(d, 0, "xref", "add", "customer", "app:HB_000003",
                "erp:C00600", NULL));
    /* a link of another entity or system does not count */
    free(expect(d, 0, "xref", "add", "product", "app:HB_000001",
                "erp:P1", NULL));
    free(expect(d, 0, "xref", "add", "customer", "app:HB_000002",
                "crm:7", NULL));
    json_t *doc = suggest(d, NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "suggestions")), 3);
    CU_ASSERT_PTR_NULL(for_key(doc, "A100"));
    CU_ASSERT_PTR_NULL(for_key(doc, "HB_000003"));
    CU_ASSERT_PTR_NOT_NULL(for_key(doc, "HB_000001"));
    CU_ASSERT_PTR_NOT_NULL(for_key(doc, "HB_000002"));
    json_decref(doc);
    /* a key with the prefix is matched, linked or not */
    doc = suggest(d, "--prefix", "HB_", NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "suggestions")), 4);
    CU_ASSERT_PTR_NULL(for_key(doc, "A100"));
    CU_ASSERT_STRING_EQUAL(cand(doc, "HB_000003", 0, "key"), "C00600");
    json_decref(doc);
    /* the state is only read */
    doc = e2e_json(d, "xref", "list", "--json", "--plugin-path", PLUGINS,
                   NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "links")), 4);
    json_decref(doc);
    free(d);
}

static void test_name_field(void)
{
    char *d = e2e_scratch("suggest-field");
    static const char app[] = "code,company\nHB_1,Jones Haulage Ltd\n";
    write_pipeline(d, "app", app, NULL);
    write_pipeline(d, "erp", erp_csv, NULL);
    /* the app has no "name": said, not an empty list */
    EXPECT_SAYS(d, 2, "app-customers: no record has a field 'name'", "xref",
                "suggest", "app.xml", "--against", "erp.xml");
    /* the records as the transforms up to <track> make them */
    write_pipeline(d, "app", app,
                   "  <transform plugin=\"map\" name=\"m\">"
                   "<rename from=\"company\" to=\"name\"/></transform>\n");
    char *out = expect(d, 0, "xref", "suggest", "app.xml", "--against",
                       "erp.xml", NULL);
    CU_ASSERT(e2e_contains(out, "C00800         Jones Haulage"));
    free(out);
    /* or another name field, on both sides */
    write_pipeline(d, "app", app, NULL);
    write_pipeline(d, "erp", "code,company\nC9,Jones Haulage\n", NULL);
    out = expect(d, 0, "xref", "suggest", "app.xml", "--against", "erp.xml",
                 "--name-field", "company", NULL);
    CU_ASSERT(e2e_contains(out, "C9             Jones Haulage"));
    free(out);
    free(d);
}

static void test_suggest_bad_usage(void)
{
    char *d = setup("suggest-usage");
    EXPECT_SAYS(d, 2, "--against ERP.xml is required", "xref", "suggest",
                "app.xml");
    EXPECT_SAYS(d, 2, "--limit must be a number from 1 to 1000, not '0'",
                "xref", "suggest", "app.xml", "--against", "erp.xml",
                "--limit", "0");
    EXPECT_SAYS(d, 2, "--limit must be a number from 1 to 1000, not '3x'",
                "xref", "suggest", "app.xml", "--against", "erp.xml",
                "--limit", "3x");
    EXPECT_SAYS(d, 2, "--match takes at most 8 fields", "xref", "suggest",
                "app.xml", "--against", "erp.xml", "--match",
                "a b c d e f g h i");
    EXPECT_SAYS(d, 2, "usage: weir xref suggest APP.xml --against", "xref",
                "suggest", "--against", "erp.xml");
    EXPECT_SAYS(d, 2, "weir xref list: option --prefix does not apply",
                "xref", "list", "--prefix", "HB_");
    EXPECT_SAYS(d, 2, "option --against does not apply to this command",
                "run", "app.xml", "--against", "erp.xml");
    EXPECT_SAYS(d, 2, "nope.xml", "xref", "suggest", "app.xml", "--against",
                "nope.xml");
    /* the key names the records: <track> is needed */
    free(wt_write_file(d, "untracked.xml",
                       "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"u\">"
                       "<source plugin=\"csv\" name=\"s\">"
                       "<option name=\"path\">erp.csv</option></source>"
                       "<sink plugin=\"csv\" name=\"o\">"
                       "<option name=\"path\">o.csv</option></sink>"
                       "</pipeline>\n"));
    EXPECT_SAYS(d, 2, "untracked.xml: no <track key=...>", "xref", "suggest",
                "app.xml", "--against", "untracked.xml");
    /* with a state, the links need the entity: refused, not all listed */
    free(wt_write_file(d, "untyped.xml",
                       "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"t\">"
                       "<source plugin=\"csv\" name=\"app\">"
                       "<option name=\"path\">app.csv</option></source>"
                       "<track key=\"code\"/>"
                       "<sink plugin=\"csv\" name=\"o\">"
                       "<option name=\"path\">o.csv</option></sink>"
                       "</pipeline>\n"));
    free(expect(d, 0, "xref", "suggest", "untyped.xml", "--against",
                "erp.xml", NULL));
    free(expect(d, 0, "xref", "add", "customer", "app:A100", "erp:C00100",
                NULL));
    EXPECT_SAYS(d, 2, "untyped.xml: no type= (the entity of its links",
                "xref", "suggest", "untyped.xml", "--against", "erp.xml");
    /* a source that cannot be read, a state that cannot be: 3 */
    char path[4200];
    snprintf(path, sizeof(path), "%s/erp.csv", d);
    CU_ASSERT_EQUAL(remove(path), 0);
    EXPECT_SAYS(d, 3, "cannot open", "xref", "suggest", "app.xml",
                "--against", "erp.xml");
    free(wt_write_file(d, "erp.csv", erp_csv));
    free(wt_write_file(d, "weir.db", "not a database, just some text that "
                                     "is long enough to be no sqlite "
                                     "header at all\n"));
    free(expect(d, 3, "xref", "suggest", "app.xml", "--against", "erp.xml",
                NULL));
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("weir xref", NULL, NULL);
    CU_add_test(s, "add, list, merge, remove", test_add_list_merge_remove);
    CU_add_test(s, "bad usage", test_bad_usage);
    CU_add_test(s, "a link added by hand releases held records",
                test_add_releases_held);
    s = CU_add_suite("weir xref suggest", NULL, NULL);
    CU_add_test(s, "the right counterpart first, scores in 0..1",
                test_right_counterpart_first);
    CU_add_test(s, "--match evidence and --limit", test_match_evidence);
    CU_add_test(s, "linked records skipped unless they have the prefix",
                test_linked_skipped);
    CU_add_test(s, "--name-field, transforms up to <track>", test_name_field);
    CU_add_test(s, "bad usage, unreadable source or state",
                test_suggest_bad_usage);
}
