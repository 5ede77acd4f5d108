/*
 * test_map.c - the map transform against the real core, through the test
 * harness: every rule, the order they apply in, NULL versus empty,
 * templates, strict renames and the problems check() reports.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "harness.h"

/* A whole pipeline with a map transform named "m" (see
 * wt_transform_pipeline: the k-th line of `body` is on line 3 + k). */
static wt_plugin *open_map(const char *body)
{
    return wt_open_transform("map", "m", body);
}

static int validate(const char *body)
{
    return wt_validate_transform("map", "m", body);
}

/* Field names of `r` in order, space-separated, into `out`. */
static const char *names(const weir_record *r, char *out, size_t size)
{
    const weir_host *h = wt_host();
    out[0] = '\0';
    for (size_t i = 0; i < h->record_field_count(r); i++) {
        if (i)
            strncat(out, " ", size - strlen(out) - 1);
        strncat(out, h->record_field_name(r, i), size - strlen(out) - 1);
    }
    return out;
}

/* Open `body`, run one record through it and keep plugin and batch for
 * the test to inspect; `done` releases both. */
typedef struct run {
    wt_plugin *p;
    weir_batch *b;
    weir_record *r;
} run;

#define RUN1(body, ...)                                                     \
    run t = {open_map(body), wt_batch_new(16), NULL};                      \
    CU_ASSERT_PTR_NOT_NULL_FATAL(t.p);                                     \
    t.r = wt_add(t.b, WEIR_OP_UPSERT, __VA_ARGS__, NULL);                  \
    CU_ASSERT_EQUAL_FATAL(wt_process(t.p, t.b), WEIR_STATUS_OK)

static void done(run *t)
{
    wt_batch_free(t->b);
    wt_close(t->p);
}

/* ---- rename ------------------------------------------------------ */

static void test_rename(void)
{
    RUN1("<rename from=\"cust_code\" to=\"code\"/>\n", "cust_code", "C1",
         "name", "Acme");
    char buf[256];
    CU_ASSERT_EQUAL(wt_result(t.r, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_FALSE(wt_has(t.r, "cust_code"));
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "code"), "C1");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "name"), "Acme");
    CU_ASSERT_STRING_EQUAL(names(t.r, buf, sizeof buf), "name code");
    done(&t);
}

static void test_rename_missing_left_alone(void)
{
    RUN1("<rename from=\"cust_code\" to=\"code\"/>\n", "name", "Acme");
    char buf[256];
    CU_ASSERT_EQUAL(wt_result(t.r, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_FALSE(wt_has(t.r, "code"));
    CU_ASSERT_STRING_EQUAL(names(t.r, buf, sizeof buf), "name");
    done(&t);
}

static void test_rename_strict_rejects(void)
{
    RUN1("<option name=\"strict\">true</option>\n"
         "<rename from=\"cust_code\" to=\"code\"/>\n"
         "<set field=\"after\" value=\"x\"/>\n",
         "name", "Acme");
    const char *msg;
    CU_ASSERT_EQUAL(wt_result(t.r, &msg, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT_STRING_EQUAL(msg, "field cust_code missing");
    /* the rules after the failing one do not run */
    CU_ASSERT_FALSE(wt_has(t.r, "after"));
    done(&t);
}

static void test_rename_strict_passes_present(void)
{
    RUN1("<option name=\"strict\">true</option>\n"
         "<rename from=\"cust_code\" to=\"code\"/>\n",
         "cust_code", "");
    CU_ASSERT_EQUAL(wt_result(t.r, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "code"), "");
    done(&t);
}

static void test_rename_strict_attribute(void)
{
    /* the element's strict= overrides the option both ways */
    wt_plugin *p = open_map("<option name=\"strict\">true</option>\n"
                            "<rename from=\"a\" to=\"b\" strict=\"false\"/>\n"
                            "<rename from=\"c\" to=\"d\"/>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *r1 = wt_add(b, WEIR_OP_UPSERT, "c", "1", NULL);
    weir_record *r2 = wt_add(b, WEIR_OP_UPSERT, "a", "1", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_result(r1, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(r1, "d"), "1");
    const char *msg;
    CU_ASSERT_EQUAL(wt_result(r2, &msg, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(msg, "field c missing");
    wt_batch_free(b);
    wt_close(p);

    RUN1("<copy from=\"a\" to=\"b\" strict=\"yes\"/>\n", "x", "1");
    CU_ASSERT_EQUAL(wt_result(t.r, &msg, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(msg, "field a missing");
    done(&t);
}

static void test_rename_null_stays_null(void)
{
    RUN1("<rename from=\"a\" to=\"b\"/>\n<copy from=\"b\" to=\"c\"/>\n",
         "a", WT_NULL);
    CU_ASSERT_FALSE(wt_has(t.r, "a"));
    CU_ASSERT_TRUE(wt_has(t.r, "b"));
    CU_ASSERT_PTR_NULL(wt_get(t.r, "b"));
    CU_ASSERT_TRUE(wt_has(t.r, "c"));
    CU_ASSERT_PTR_NULL(wt_get(t.r, "c"));
    done(&t);
}

static void test_rename_overwrites_target(void)
{
    RUN1("<rename from=\"a\" to=\"b\"/>\n", "a", "new", "b", "old");
    char buf[256];
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "b"), "new");
    CU_ASSERT_STRING_EQUAL(names(t.r, buf, sizeof buf), "b");
    done(&t);
}

static void test_rename_to_itself(void)
{
    RUN1("<rename from=\"a\" to=\"a\"/>\n", "a", "v");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "a"), "v");
    done(&t);
}

/* ---- copy, set ---------------------------------------------------- */

static void test_copy(void)
{
    RUN1("<copy from=\"name\" to=\"display_name\"/>\n"
         "<copy from=\"missing\" to=\"x\"/>\n",
         "name", "Acme", "x", "kept");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "name"), "Acme");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "display_name"), "Acme");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "x"), "kept");
    done(&t);
}

static void test_set(void)
{
    RUN1("<set field=\"country\" value=\"ZA\"/>\n"
         "<set field=\"blank\" value=\"\"/>\n"
         "<set field=\"gone\" null=\"true\"/>\n"
         "<set field=\"name\" value=\"B\"/>\n",
         "name", "A");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "country"), "ZA");
    CU_ASSERT_TRUE(wt_has(t.r, "blank"));
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "blank"), "");
    CU_ASSERT_TRUE(wt_has(t.r, "gone"));
    CU_ASSERT_PTR_NULL(wt_get(t.r, "gone"));
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "name"), "B");
    done(&t);
}

/* ---- template ------------------------------------------------------ */

static void test_template(void)
{
    RUN1("<template field=\"address\" "
         "value=\"{address1}, {city} {postcode}\"/>\n",
         "address1", "1 Main Rd", "city", "Durban", "postcode", "4001");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "address"), "1 Main Rd, Durban 4001");
    done(&t);
}

static void test_template_missing_and_null(void)
{
    RUN1("<template field=\"address\" value=\"[{a}|{b}|{c}]\"/>\n", "a",
         WT_NULL, "c", "C");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "address"), "[||C]");
    done(&t);
}

static void test_template_braces(void)
{
    RUN1("<template field=\"j\" value=\"{{&quot;id&quot;: {id}}}\"/>\n"
         "<template field=\"k\" value=\"{{{id}}}{{}}\"/>\n",
         "id", "7");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "j"), "{\"id\": 7}");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "k"), "{7}{}");
    done(&t);
}

static void test_template_self_and_empty(void)
{
    /* a template may read the field it writes; an empty one sets "" */
    RUN1("<template field=\"name\" value=\"{name} {name}\"/>\n"
         "<template field=\"e\" value=\"\"/>\n"
         "<template field=\"lit\" value=\"no fields\"/>\n",
         "name", "ab");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "name"), "ab ab");
    CU_ASSERT_TRUE(wt_has(t.r, "e"));
    CU_ASSERT_PTR_NOT_NULL(wt_get(t.r, "e"));
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "lit"), "no fields");
    done(&t);
}

static void test_template_long_values(void)
{
    /* the scratch buffer grows past its first size and is reused */
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    wt_plugin *p = open_map("<template field=\"t\" value=\"[{a}]\"/>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *r1 = wt_add(b, WEIR_OP_UPSERT, "a", big, NULL);
    weir_record *r2 = wt_add(b, WEIR_OP_UPSERT, "a", "s", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    size_t len = 0;
    const char *v = wt_host()->record_get(r1, "t", &len);
    CU_ASSERT_EQUAL(len, sizeof big + 1);
    CU_ASSERT(v && v[0] == '[' && v[len - 1] == ']' && v[1] == 'x');
    CU_ASSERT_STRING_EQUAL(wt_get(r2, "t"), "[s]");
    wt_batch_free(b);
    wt_close(p);
}

/* ---- drop, keep ---------------------------------------------------- */

static void test_drop(void)
{
    RUN1("<drop field=\"internal_notes\"/>\n<drop fields=\"a  b\tnone\"/>\n",
         "internal_notes", "x", "a", "1", "b", "2", "c", "3");
    char buf[256];
    CU_ASSERT_STRING_EQUAL(names(t.r, buf, sizeof buf), "c");
    done(&t);
}

static void test_keep(void)
{
    RUN1("<keep fields=\"code name city\"/>\n", "x", "1", "name", "N",
         "code", "C", "y", WT_NULL, "z", "3", "city", "D");
    char buf[256];
    CU_ASSERT_STRING_EQUAL(names(t.r, buf, sizeof buf), "name code city");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "code"), "C");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "city"), "D");
    done(&t);
}

static void test_keep_does_not_add(void)
{
    RUN1("<keep fields=\"code name\"/>\n", "name", WT_NULL, "other", "1");
    char buf[256];
    CU_ASSERT_STRING_EQUAL(names(t.r, buf, sizeof buf), "name");
    CU_ASSERT_PTR_NULL(wt_get(t.r, "name"));
    done(&t);
}

/* ---- trim, upper, lower, default ------------------------------------ */

static void test_trim(void)
{
    RUN1("<trim fields=\"a b c d n\"/>\n", "a", "  x y \t", "b", "clean",
         "c", " \r\n", "d", "", "n", WT_NULL, "e", "  untouched ");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "a"), "x y");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "b"), "clean");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "c"), "");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "d"), "");
    CU_ASSERT_TRUE(wt_has(t.r, "n"));
    CU_ASSERT_PTR_NULL(wt_get(t.r, "n"));
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "e"), "  untouched ");
    CU_ASSERT_FALSE(wt_has(t.r, "missing"));
    done(&t);
}

static void test_upper_lower(void)
{
    RUN1("<upper field=\"a\"/>\n<lower fields=\"b c\"/>\n", "a",
         "caf\xc3\xa9 z9", "b", "MiXeD \xc3\x89", "c", WT_NULL);
    /* ASCII only: the UTF-8 bytes of é and É are left as they are */
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "a"), "CAF\xc3\xa9 Z9");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "b"), "mixed \xc3\x89");
    CU_ASSERT_PTR_NULL(wt_get(t.r, "c"));
    done(&t);
}

static void test_default(void)
{
    wt_plugin *p = open_map("<default field=\"country\" value=\"ZA\"/>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *missing = wt_add(b, WEIR_OP_UPSERT, "x", "1", NULL);
    weir_record *null = wt_add(b, WEIR_OP_UPSERT, "country", WT_NULL, NULL);
    weir_record *empty = wt_add(b, WEIR_OP_UPSERT, "country", "", NULL);
    weir_record *set = wt_add(b, WEIR_OP_UPSERT, "country", "NA", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(missing, "country"), "ZA");
    CU_ASSERT_STRING_EQUAL(wt_get(null, "country"), "ZA");
    CU_ASSERT_STRING_EQUAL(wt_get(empty, "country"), "ZA");
    CU_ASSERT_STRING_EQUAL(wt_get(set, "country"), "NA");
    wt_batch_free(b);
    wt_close(p);
}

/* ---- join ------------------------------------------------------------ */

static void test_join(void)
{
    wt_plugin *p = open_map("<join to=\"address\" from=\"address1 address2 "
                            "city\" separator=\", \"/>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(8);
    weir_record *all = wt_add(b, WEIR_OP_UPSERT, "address1", "12 Main St",
                              "address2", "Unit 4", "city", "Cape Town", NULL);
    /* empty, NULL and missing parts are left out with their separator */
    weir_record *empty = wt_add(b, WEIR_OP_UPSERT, "address1", "12 Main St",
                                "address2", "", "city", "Cape Town", NULL);
    weir_record *null = wt_add(b, WEIR_OP_UPSERT, "address1", WT_NULL,
                               "address2", "PO Box 7", "city", "Durban", NULL);
    weir_record *missing = wt_add(b, WEIR_OP_UPSERT, "city", "Paarl", NULL);
    weir_record *none = wt_add(b, WEIR_OP_UPSERT, "address1", "",
                               "address2", WT_NULL, NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(all, "address"),
                           "12 Main St, Unit 4, Cape Town");
    CU_ASSERT_STRING_EQUAL(wt_get(empty, "address"), "12 Main St, Cape Town");
    CU_ASSERT_STRING_EQUAL(wt_get(null, "address"), "PO Box 7, Durban");
    CU_ASSERT_STRING_EQUAL(wt_get(missing, "address"), "Paarl");
    /* nothing to join: NULL, not "" */
    CU_ASSERT_TRUE(wt_has(none, "address"));
    CU_ASSERT_PTR_NULL(wt_get(none, "address"));
    /* the parts stay */
    CU_ASSERT_STRING_EQUAL(wt_get(all, "address2"), "Unit 4");
    wt_batch_free(b);
    wt_close(p);
}

static void test_join_into_a_part(void)
{
    /* The target may be one of the parts, an empty separator glues, and
     * the parts come in the order given, not the record's. */
    RUN1("<join to=\"name\" from=\"title name suffix\" separator=\" \"/>\n"
         "<join to=\"code\" from=\"prefix number\" separator=\"\"/>\n",
         "name", "Smith", "suffix", "Jr", "title", "Dr", "number", "0042",
         "prefix", "HB_");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "name"), "Dr Smith Jr");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "code"), "HB_0042");
    done(&t);
}

static void test_check_join(void)
{
    CU_ASSERT_EQUAL(validate("<join to=\"a\" from=\"b c\"/>\n"         /* 4 */
                             "<join from=\"b c\" separator=\",\"/>\n"  /* 5 */
                             "<join to=\"a\" from=\"\" separator=\",\"/>\n" /* 6 */
                             "<join to=\"a\" from=\"b\" separator=\", \"/>\n"),
                    3);
    CU_ASSERT(wt_has_error(4, "<join>: missing attribute \"separator\""));
    CU_ASSERT(wt_has_error(5, "<join>: missing attribute \"to\""));
    CU_ASSERT(wt_has_error(6, "<join>: attribute \"from\" is empty"));
}

/* ---- order, batches ------------------------------------------------ */

static void test_order_of_application(void)
{
    wt_plugin *p = open_map("<copy from=\"name\" to=\"orig\"/>\n"
                            "<upper field=\"name\"/>\n"
                            "<copy from=\"name\" to=\"shout\"/>\n"
                            "<rename from=\"shout\" to=\"loud\"/>\n"
                            "<template field=\"both\" value=\"{orig}/{loud}\"/>\n"
                            "<keep fields=\"both loud\"/>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *r = wt_add(b, WEIR_OP_UPSERT, "name", "Ab", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    char buf[256];
    CU_ASSERT_STRING_EQUAL(names(r, buf, sizeof buf), "loud both");
    CU_ASSERT_STRING_EQUAL(wt_get(r, "both"), "Ab/AB");
    wt_batch_free(b);
    wt_close(p);
}

static void test_big_batch(void)
{
    enum { N = 2000 };
    wt_plugin *p = open_map("<rename from=\"cust_code\" to=\"code\"/>\n"
                            "<template field=\"label\" value=\"{code}:{name}\"/>\n"
                            "<drop field=\"name\"/>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(N);
    weir_record *r[N];
    char code[32], name[32];
    for (int i = 0; i < N; i++) {
        snprintf(code, sizeof code, "C%d", i);
        snprintf(name, sizeof name, "name %d", i * 7);
        r[i] = wt_add(b, WEIR_OP_UPSERT, "cust_code", code, "name", name,
                      NULL);
    }
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        char want[64];
        snprintf(want, sizeof want, "C%d:name %d", i, i * 7);
        const char *v = wt_get(r[i], "label");
        if (!v || strcmp(v, want) != 0 || wt_has(r[i], "name") ||
            wt_has(r[i], "cust_code") ||
            wt_result(r[i], NULL, NULL) != WEIR_RESULT_OK)
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    wt_batch_free(b);
    wt_close(p);
}

static void test_no_rules(void)
{
    RUN1("", "a", "1");
    CU_ASSERT_STRING_EQUAL(wt_get(t.r, "a"), "1");
    CU_ASSERT_EQUAL(wt_result(t.r, NULL, NULL), WEIR_RESULT_OK);
    done(&t);
}

/* ---- check() -------------------------------------------------------- */

static void test_check_every_error_reported(void)
{
    int n = validate("<rename from=\"a\"/>\n"              /* line 4 */
                     "<frobnicate field=\"x\"/>\n"         /* 5 */
                     "<template field=\"t\" value=\"{a\"/>\n" /* 6 */
                     "<set field=\"x\"/>\n"                /* 7 */
                     "<copy to=\"b\"/>\n"                  /* 8 */
                     "<drop/>\n"                           /* 9 */
                     "<keep fields=\"\"/>\n"               /* 10 */
                     "<default field=\"d\"/>\n"            /* 11 */
                     "<set field=\"ok\" value=\"fine\"/>\n" /* 12 */
                     "<upper field=\"\"/>\n");             /* 13 */
    CU_ASSERT_EQUAL(n, 9);
    CU_ASSERT(wt_has_error(4, "<rename>"));
    CU_ASSERT(wt_has_error(4, "\"to\""));
    CU_ASSERT(wt_has_error(5, "<frobnicate>"));
    CU_ASSERT(wt_has_error(6, "unterminated '{'"));
    CU_ASSERT(wt_has_error(7, "\"value\""));
    CU_ASSERT(wt_has_error(8, "\"from\""));
    CU_ASSERT(wt_has_error(9, "<drop>"));
    CU_ASSERT(wt_has_error(10, "<keep>"));
    CU_ASSERT(wt_has_error(11, "<default>"));
    CU_ASSERT(wt_has_error(13, "<upper>"));
}

static void test_check_templates(void)
{
    CU_ASSERT_EQUAL(validate("<template field=\"t\" value=\"a {b\"/>\n"), 1);
    CU_ASSERT(wt_has_error(4, "unterminated '{'"));
    CU_ASSERT_EQUAL(validate("<template field=\"t\" value=\"{}\"/>\n"), 1);
    CU_ASSERT(wt_has_error(4, "empty field reference"));
    CU_ASSERT_EQUAL(validate("<template field=\"t\" value=\"a}b\"/>\n"), 1);
    CU_ASSERT(wt_has_error(4, "single '}'"));
    CU_ASSERT_EQUAL(validate("<template field=\"t\" value=\"{a{b}\"/>\n"), 1);
    CU_ASSERT(wt_has_error(4, "inside a field reference"));
    CU_ASSERT_EQUAL(validate("<template field=\"t\"/>\n"), 1);
    CU_ASSERT(wt_has_error(4, "<template>"));
    CU_ASSERT_EQUAL(validate("<template value=\"{{}}\"/>\n"), 1);
    CU_ASSERT(wt_has_error(4, "\"field\""));
    CU_ASSERT_EQUAL(validate("<template field=\"t\" value=\"{{a}} {b}\"/>\n"),
                    0);
}

static void test_check_attributes(void)
{
    CU_ASSERT_EQUAL(validate("<set field=\"x\" value=\"v\" null=\"true\"/>\n"),
                    1);
    CU_ASSERT(wt_has_error(4, "not both"));
    CU_ASSERT_EQUAL(validate("<set field=\"x\" null=\"maybe\"/>\n"), 1);
    CU_ASSERT(wt_has_error(4, "true or false"));
    CU_ASSERT_EQUAL(validate("<rename from=\"a\" to=\"b\" strict=\"2\"/>\n"),
                    1);
    CU_ASSERT(wt_has_error(4, "\"strict\""));
    CU_ASSERT_EQUAL(validate("<drop field=\"a\" fields=\"b c\"/>\n"), 1);
    CU_ASSERT(wt_has_error(4, "not both"));
    CU_ASSERT_EQUAL(validate("<trim/>\n"), 1);
    CU_ASSERT(wt_has_error(4, "<trim>"));
    CU_ASSERT_EQUAL(validate("<rename from=\"\" to=\"b\"/>\n"), 1);
    CU_ASSERT(wt_has_error(4, "empty"));
    CU_ASSERT_EQUAL(validate("<set field=\"x\" null=\"false\" value=\"\"/>\n"
                             "<set field=\"y\" null=\"true\"/>\n"),
                    0);
}

static void test_check_children(void)
{
    CU_ASSERT_EQUAL(validate("<rename from=\"a\" to=\"b\">\n"
                             "  <extra/>\n"
                             "</rename>\n"),
                    1);
    CU_ASSERT(wt_has_error(4, "child"));
}

static void test_open_refuses_bad_config(void)
{
    char *xml = wt_transform_pipeline("map", "m", "<rename from=\"a\"/>\n");
    wt_plugin *p = wt_open(xml, wt_tmpdir(), "m");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(wt_has_error(4, "<rename>"));
    if (p)
        wt_close(p);
    free(xml);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("map rules", NULL, NULL);
    CU_add_test(s, "rename", test_rename);
    CU_add_test(s, "rename of a missing field", test_rename_missing_left_alone);
    CU_add_test(s, "strict rename rejects", test_rename_strict_rejects);
    CU_add_test(s, "strict rename of an empty field",
                test_rename_strict_passes_present);
    CU_add_test(s, "strict attribute", test_rename_strict_attribute);
    CU_add_test(s, "NULL stays NULL", test_rename_null_stays_null);
    CU_add_test(s, "rename overwrites", test_rename_overwrites_target);
    CU_add_test(s, "rename to itself", test_rename_to_itself);
    CU_add_test(s, "copy", test_copy);
    CU_add_test(s, "set", test_set);
    CU_add_test(s, "template", test_template);
    CU_add_test(s, "template missing and NULL", test_template_missing_and_null);
    CU_add_test(s, "template braces", test_template_braces);
    CU_add_test(s, "template self and empty", test_template_self_and_empty);
    CU_add_test(s, "template long values", test_template_long_values);
    CU_add_test(s, "drop", test_drop);
    CU_add_test(s, "keep", test_keep);
    CU_add_test(s, "keep does not add", test_keep_does_not_add);
    CU_add_test(s, "trim", test_trim);
    CU_add_test(s, "upper and lower", test_upper_lower);
    CU_add_test(s, "default", test_default);
    CU_add_test(s, "join skips empty parts", test_join);
    CU_add_test(s, "join into a part, empty separator", test_join_into_a_part);
    CU_add_test(s, "order of application", test_order_of_application);
    CU_add_test(s, "big batch", test_big_batch);
    CU_add_test(s, "no rules", test_no_rules);

    s = CU_add_suite("map check", NULL, NULL);
    CU_add_test(s, "every error reported", test_check_every_error_reported);
    CU_add_test(s, "template errors", test_check_templates);
    CU_add_test(s, "attribute errors", test_check_attributes);
    CU_add_test(s, "child elements", test_check_children);
    CU_add_test(s, "join errors", test_check_join);
    CU_add_test(s, "open refuses bad config", test_open_refuses_bad_config);
}
