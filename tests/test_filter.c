/*
 * test_filter.c - the filter transform against the real core, through the
 * test harness: every condition, first-match order, the default for
 * unmatched records, `otherwise`, `reject-message` and check() errors.
 */
#include <CUnit/CUnit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "harness.h"

/* A whole pipeline with a filter transform named "f" (see
 * wt_transform_pipeline: the k-th line of `body` is on line 3 + k). */
static wt_plugin *open_filter(const char *body)
{
    return wt_open_transform("filter", "f", body);
}

static int validate(const char *body)
{
    return wt_validate_transform("filter", "f", body);
}

/* Run one single-field record per value through `body` (field `f`;
 * WT_NULL for NULL, MISSING for a record without `f`) and write one letter
 * per record to `out`: k kept, d dropped, r rejected, ? anything else.
 * The verdict string makes a whole truth table one assertion. */
static const char MISSING[] = "(missing)";

static const char *verdicts(char *out, const char *body, ...)
{
    wt_plugin *p = open_filter(body);
    out[0] = '\0';
    if (!p)
        return "open failed";
    weir_batch *b = wt_batch_new(64);
    weir_record *r[64];
    size_t n = 0;
    va_list ap;
    va_start(ap, body);
    for (const char *v; n < 64 && (v = va_arg(ap, const char *)) != NULL;) {
        if (v == MISSING)
            r[n++] = wt_add(b, WEIR_OP_UPSERT, "other", "x", NULL);
        else
            r[n++] = wt_add(b, WEIR_OP_UPSERT, "f", v, NULL);
    }
    va_end(ap);
    if (wt_process(p, b) != WEIR_STATUS_OK) {
        strcpy(out, "process failed");
    } else {
        for (size_t i = 0; i < n; i++) {
            switch (wt_result(r[i], NULL, NULL)) {
            case WEIR_RESULT_OK: out[i] = 'k'; break;
            case WEIR_RESULT_DROP: out[i] = 'd'; break;
            case WEIR_RESULT_REJECT: out[i] = 'r'; break;
            default: out[i] = '?'; break;
            }
        }
        out[n] = '\0';
    }
    wt_batch_free(b);
    wt_close(p);
    return out;
}

#define V(body, ...) verdicts(buf, body, __VA_ARGS__, (const char *)NULL)

/* ---- conditions ------------------------------------------------------- */

static void test_equals(void)
{
    char buf[80];
    CU_ASSERT_STRING_EQUAL(V("<keep field=\"f\" equals=\"active\"/>\n",
                             "active", "Active", "active ", "", WT_NULL,
                             MISSING),
                           "kddddd");
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" equals=\"\"/>\n", "", "x",
                             WT_NULL, MISSING),
                           "dkkk");
}

static void test_not_equals(void)
{
    char buf[80];
    /* missing and NULL are "not equal" to any text */
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" not-equals=\"ZA\"/>\n", "ZA",
                             "NA", "", WT_NULL, MISSING),
                           "kdddd");
}

static void test_in(void)
{
    char buf[80];
    CU_ASSERT_STRING_EQUAL(V("<keep field=\"f\" in=\"a  bb\tccc\"/>\n", "a",
                             "bb", "ccc", "b", "a bb", "", WT_NULL, MISSING),
                           "kkkddddd");
}

static void test_matches(void)
{
    char buf[80];
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" matches=\"^HB_[0-9]+$\"/>\n",
                             "HB_000123", "HB_", "XHB_1", "HB_12a", WT_NULL,
                             MISSING),
                           "dkkkkk");
    /* unanchored patterns search anywhere; ERE syntax (+, |, groups) */
    CU_ASSERT_STRING_EQUAL(V("<keep field=\"f\" matches=\"(ab)+|z\"/>\n",
                             "xxabab", "zz", "a", ""),
                           "kkdd");
}

static void test_empty(void)
{
    char buf[80];
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" empty=\"true\"/>\n", "x", " ",
                             "", WT_NULL, MISSING),
                           "kkddd");
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" empty=\"false\"/>\n", "x", " ",
                             "", WT_NULL, MISSING),
                           "ddkkk");
}

static void test_null(void)
{
    char buf[80];
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" null=\"true\"/>\n", "x", "",
                             WT_NULL, MISSING),
                           "kkdd");
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" null=\"false\"/>\n", "x", "",
                             WT_NULL, MISSING),
                           "ddkk");
}

static void test_less_greater(void)
{
    char buf[80];
    /* numeric, not text, order; a non-numeric value never matches */
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" less=\"10\"/>\n", "9", "10",
                             "100", "-3.5", " 2 ", "1e0", "abc", "5x", "",
                             WT_NULL, MISSING),
                           "dkkdddkkkkk");
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" greater=\"-0.5\"/>\n", "0",
                             "-0.5", "-1", "0.25", "nan", "x"),
                           "dkkdkk");
}

/* ---- deciding ------------------------------------------------------- */

static void test_first_match_decides(void)
{
    char buf[80];
    /* f=x is dropped by the first rule although the second would keep it */
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" equals=\"x\"/>\n"
                             "<keep field=\"f\" in=\"x y\"/>\n",
                             "x", "y", "z"),
                           "dkd");
    CU_ASSERT_STRING_EQUAL(V("<keep field=\"f\" in=\"x y\"/>\n"
                             "<drop field=\"f\" equals=\"x\"/>\n",
                             "x", "y", "z"),
                           "kkd");
}

static void test_rules_on_several_fields(void)
{
    wt_plugin *p = open_filter("<drop field=\"email\" empty=\"true\"/>\n"
                               "<keep field=\"status\" equals=\"active\"/>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(8);
    weir_record *r1 = wt_add(b, WEIR_OP_UPSERT, "email", "a@b", "status",
                             "active", NULL);
    weir_record *r2 = wt_add(b, WEIR_OP_UPSERT, "email", "", "status",
                             "active", NULL);
    weir_record *r3 = wt_add(b, WEIR_OP_UPSERT, "email", "a@b", "status",
                             "closed", NULL);
    weir_record *r4 = wt_add(b, WEIR_OP_DELETE, "status", "active", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    const char *msg = "unset";
    CU_ASSERT_EQUAL(wt_result(r1, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_EQUAL(wt_result(r2, &msg, NULL), WEIR_RESULT_DROP);
    CU_ASSERT_PTR_NULL(msg); /* a drop is not an error: no message */
    CU_ASSERT_EQUAL(wt_result(r3, NULL, NULL), WEIR_RESULT_DROP);
    CU_ASSERT_EQUAL(wt_result(r4, NULL, NULL), WEIR_RESULT_DROP);
    wt_batch_free(b);
    wt_close(p);
}

static void test_default_semantics(void)
{
    char buf[80];
    /* only drops: unmatched records are kept */
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" equals=\"a\"/>\n", "a", "b"),
                           "dk");
    /* any keep: unmatched records are dropped */
    CU_ASSERT_STRING_EQUAL(V("<drop field=\"f\" equals=\"a\"/>\n"
                             "<keep field=\"f\" equals=\"b\"/>\n",
                             "a", "b", "c"),
                           "dkd");
    /* no rules at all: everything passes */
    CU_ASSERT_STRING_EQUAL(V("", "a", WT_NULL, MISSING), "kkk");
}

static void test_otherwise(void)
{
    char buf[80];
    CU_ASSERT_STRING_EQUAL(V("<option name=\"otherwise\">keep</option>\n"
                             "<keep field=\"f\" equals=\"a\"/>\n"
                             "<drop field=\"f\" equals=\"b\"/>\n",
                             "a", "b", "c"),
                           "kdk");
    CU_ASSERT_STRING_EQUAL(V("<option name=\"otherwise\">drop</option>\n"
                             "<drop field=\"f\" equals=\"b\"/>\n",
                             "a", "b"),
                           "dd");
    CU_ASSERT_STRING_EQUAL(V("<option name=\"otherwise\">drop</option>\n", "a"),
                           "d");
}

static void test_reject_message(void)
{
    wt_plugin *p = open_filter(
        "<option name=\"reject-message\">must have a customer code</option>\n"
        "<drop field=\"code\" empty=\"true\"/>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *ok = wt_add(b, WEIR_OP_UPSERT, "code", "C1", NULL);
    weir_record *bad = wt_add(b, WEIR_OP_UPSERT, "code", "", NULL);
    weir_record *none = wt_add(b, WEIR_OP_UPSERT, "name", "x", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    const char *msg = NULL;
    CU_ASSERT_EQUAL(wt_result(ok, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_EQUAL(wt_result(bad, &msg, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(msg ? msg : "", "must have a customer code");
    CU_ASSERT_EQUAL(wt_result(none, &msg, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(msg ? msg : "", "must have a customer code");
    wt_batch_free(b);
    wt_close(p);

    /* unmatched records dropped by the default are rejected as well */
    char buf[80];
    CU_ASSERT_STRING_EQUAL(V("<option name=\"reject-message\">no</option>\n"
                             "<keep field=\"f\" equals=\"a\"/>\n",
                             "a", "b"),
                           "kr");
}

static void test_big_batch(void)
{
    enum { N = 3000 };
    wt_plugin *p = open_filter("<drop field=\"n\" greater=\"1999\"/>\n"
                               "<keep field=\"tag\" in=\"t0 t2 t4\"/>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(N);
    weir_record *r[N];
    char n[32], tag[32];
    for (int i = 0; i < N; i++) {
        snprintf(n, sizeof n, "%d", i);
        snprintf(tag, sizeof tag, "t%d", i % 5);
        r[i] = wt_add(b, WEIR_OP_UPSERT, "n", n, "tag", tag, NULL);
    }
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        int keep = i <= 1999 && (i % 5) % 2 == 0;
        weir_result want = keep ? WEIR_RESULT_OK : WEIR_RESULT_DROP;
        if (wt_result(r[i], NULL, NULL) != want)
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    wt_batch_free(b);
    wt_close(p);
}

/* ---- check() -------------------------------------------------------- */

static void test_bad_regex(void)
{
    CU_ASSERT_EQUAL(validate("<keep field=\"f\" matches=\"(unclosed\"/>\n"), 1);
    CU_ASSERT(wt_has_error(4, "bad regular expression \"(unclosed\": "));
                           CU_ASSERT(wt_has_error(4, "<keep>"));
    char *xml = wt_transform_pipeline("filter", "f",
                                      "<drop field=\"f\" matches=\"a[\"/>\n");
    wt_plugin *p = wt_open(xml, wt_tmpdir(), "f");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT(wt_has_error(4, "bad regular expression"));
    if (p)
        wt_close(p);
    free(xml);
}

static void test_check_every_error_reported(void)
{
    int n = validate("<keep field=\"f\"/>\n"                       /* 4 */
                     "<drop field=\"f\" equals=\"a\" in=\"b\"/>\n" /* 5 */
                     "<pass field=\"f\" equals=\"a\"/>\n"          /* 6 */
                     "<drop equals=\"a\"/>\n"                      /* 7 */
                     "<keep field=\"f\" less=\"ten\"/>\n"          /* 8 */
                     "<keep field=\"f\" empty=\"sometimes\"/>\n"   /* 9 */
                     "<keep field=\"f\" matches=\"*[\"/>\n"        /* 10 */
                     "<keep field=\"f\" equals=\"fine\"/>\n"       /* 11 */
                     "<drop field=\"f\" in=\" \"/>\n"              /* 12 */
                     "<drop field=\"\" null=\"yes\"/>\n");         /* 13 */
    CU_ASSERT_EQUAL(n, 9);
    CU_ASSERT(wt_has_error(4, "needs a condition"));
    CU_ASSERT(wt_has_error(5, "exactly one"));
    CU_ASSERT(wt_has_error(6, "<pass>"));
    CU_ASSERT(wt_has_error(7, "\"field\""));
    CU_ASSERT(wt_has_error(8, "number"));
    CU_ASSERT(wt_has_error(9, "true or false"));
    CU_ASSERT(wt_has_error(10, "bad regular expression"));
    CU_ASSERT(wt_has_error(12, "\"in\""));
    CU_ASSERT(wt_has_error(13, "\"field\""));
}

static void test_check_missing_field_and_condition(void)
{
    /* both problems of one element are reported */
    CU_ASSERT_EQUAL(validate("<keep/>\n"), 2);
    CU_ASSERT(wt_has_error(4, "\"field\""));
    CU_ASSERT(wt_has_error(4, "needs a condition"));
}

static void test_check_otherwise(void)
{
    /* the core checks the declared choices, on the option's own line */
    CU_ASSERT_EQUAL(validate("<option name=\"otherwise\">maybe</option>\n"
                             "<keep field=\"f\" equals=\"a\"/>\n"),
                    1);
    CU_ASSERT(wt_has_error(4, "option 'otherwise' = \"maybe\" is not one of "
                              "the allowed values (keep drop)"));
    CU_ASSERT_EQUAL(validate("<option name=\"otherwise\">drop</option>\n"
                             "<option name=\"reject-message\">x</option>\n"),
                    0);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("filter conditions", NULL, NULL);
    CU_add_test(s, "equals", test_equals);
    CU_add_test(s, "not-equals", test_not_equals);
    CU_add_test(s, "in", test_in);
    CU_add_test(s, "matches", test_matches);
    CU_add_test(s, "empty", test_empty);
    CU_add_test(s, "null", test_null);
    CU_add_test(s, "less and greater", test_less_greater);

    s = CU_add_suite("filter decisions", NULL, NULL);
    CU_add_test(s, "first match decides", test_first_match_decides);
    CU_add_test(s, "rules on several fields", test_rules_on_several_fields);
    CU_add_test(s, "default for unmatched records", test_default_semantics);
    CU_add_test(s, "otherwise", test_otherwise);
    CU_add_test(s, "reject-message", test_reject_message);
    CU_add_test(s, "big batch", test_big_batch);

    s = CU_add_suite("filter check", NULL, NULL);
    CU_add_test(s, "bad regex", test_bad_regex);
    CU_add_test(s, "every error reported", test_check_every_error_reported);
    CU_add_test(s, "missing field and condition",
                test_check_missing_field_and_condition);
    CU_add_test(s, "otherwise value", test_check_otherwise);
}
