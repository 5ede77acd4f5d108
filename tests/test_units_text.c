/* Unit tests of the core's text helpers: secret masking (secrets.c),
 * ${env:NAME} substitution (env_subst.c), UTF-8 trimming and sanitizing
 * (utf8.c), option values (options.c) and the clock seam (clock.c). */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/env_subst.h"
#include "base/secrets.h"
#include "base/utf8.h"
#include "core_tests.h"
#include "plugin/options.h"

/* ---- secrets ---------------------------------------------------------- */

static weir_secrets *set; /* the set under test */

/* A new empty set in place of the old one. */
static void fresh(void)
{
    weir_secrets_free(set);
    set = weir_secrets_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(set);
}

static void release(void)
{
    weir_secrets_free(set);
    set = NULL;
}

static char *mask(const char *in, size_t size)
{
    static char out[512];
    memset(out, 'Z', sizeof(out));
    return weir_secrets_mask(set, in, out, size);
}

static void test_secrets_masking(void)
{
    fresh();
    CU_ASSERT_STRING_EQUAL(mask("nothing known", 512), "nothing known");
    CU_ASSERT_FALSE(weir_secrets_in(set, "nothing known"));
    CU_ASSERT_FALSE(weir_secrets_in(set, NULL));

    weir_secrets_add(set, "hunter2");
    weir_secrets_add(set, "hunter2"); /* once */
    CU_ASSERT_TRUE(weir_secrets_in(set, "pw=hunter2"));
    CU_ASSERT_FALSE(weir_secrets_in(set, "pw=hunter"));
    CU_ASSERT_STRING_EQUAL(mask("pw=hunter2", 512), "pw=***");
    CU_ASSERT_STRING_EQUAL(mask("hunter2", 512), "***");
    CU_ASSERT_STRING_EQUAL(mask("hunter2hunter2 and hunter2.", 512),
                           "****** and ***.");
    CU_ASSERT_STRING_EQUAL(mask("", 512), "");
    fresh();
    CU_ASSERT_FALSE(weir_secrets_in(set, "pw=hunter2"));
    CU_ASSERT_STRING_EQUAL(mask("pw=hunter2", 512), "pw=hunter2");
}

static void test_secrets_short_ignored(void)
{
    fresh();
    weir_secrets_add(set, NULL);
    weir_secrets_add(set, "");
    weir_secrets_add(set, "1");
    weir_secrets_add(set, "abc");
    CU_ASSERT_FALSE(weir_secrets_in(set, "abc 1 x"));
    CU_ASSERT_STRING_EQUAL(mask("abc 1 x", 512), "abc 1 x");
    weir_secrets_add(set, "abcd"); /* 4 bytes: the shortest kept */
    CU_ASSERT_STRING_EQUAL(mask("abc abcd", 512), "abc ***");
    release();
}

static void test_secrets_overlapping(void)
{
    fresh();
    weir_secrets_add(set, "token");
    weir_secrets_add(set, "token-long");
    weir_secrets_add(set, "ken-xyz");
    /* at one position the longest secret wins */
    CU_ASSERT_STRING_EQUAL(mask("a token-long b", 512), "a *** b");
    CU_ASSERT_STRING_EQUAL(mask("a token b", 512), "a *** b");
    /* the earliest occurrence wins */
    CU_ASSERT_STRING_EQUAL(mask("xken-xyz token", 512), "x*** ***");
    /* overlapping secrets are masked as one: no part of either shows */
    CU_ASSERT_STRING_EQUAL(mask("a token-xyz b", 512), "a *** b");
    fresh();
    /* registered in the other order: same result */
    weir_secrets_add(set, "token-long");
    weir_secrets_add(set, "token");
    CU_ASSERT_STRING_EQUAL(mask("a token-long b", 512), "a *** b");
    release();
}

static void test_secrets_truncation(void)
{
    fresh();
    weir_secrets_add(set, "s3cret");
    /* the output is always terminated and never overruns */
    char out[16];
    memset(out, 'Z', sizeof(out));
    weir_secrets_mask(set, "abcdefghijklmnopqrstuvwxyz", out, 8);
    CU_ASSERT_STRING_EQUAL(out, "abcdefg");
    CU_ASSERT_EQUAL(out[8], 'Z');
    /* a cut never shows part of a secret */
    CU_ASSERT_STRING_EQUAL(mask("ab s3cret", 6), "ab **");
    CU_ASSERT_STRING_EQUAL(mask("ab s3cret", 5), "ab *");
    CU_ASSERT_STRING_EQUAL(mask("ab s3cret", 4), "ab ");
    CU_ASSERT_STRING_EQUAL(mask("ab s3cret tail", 7), "ab ***");
    CU_ASSERT_STRING_EQUAL(mask("s3cret", 1), "");
    memset(out, 'Z', sizeof(out));
    CU_ASSERT_PTR_EQUAL(weir_secrets_mask(set, "x", out, 0), out);
    CU_ASSERT_EQUAL(out[0], 'Z'); /* size 0: nothing written */
    release();
}

/* ---- env_subst -------------------------------------------------------- */

static char *expand(const char *in, int *secret, char *why)
{
    *secret = 0;
    why[0] = '\0';
    return weir_env_expand(in, set, secret, why, 256);
}

static void test_env_expand(void)
{
    char why[256];
    int secret;
    fresh();
    setenv("WEIR_UT_TOKEN", "tok-value-123", 1);
    setenv("WEIR_UT_EMPTY", "", 1);
    setenv("_u1", "low", 1);

    char *s = expand("plain text, $5 and $ alone$", &secret, why);
    CU_ASSERT_STRING_EQUAL(s, "plain text, $5 and $ alone$");
    CU_ASSERT_EQUAL(secret, 0);
    free(s);
    s = expand("", &secret, why);
    CU_ASSERT_STRING_EQUAL(s, "");
    free(s);

    s = expand("Bearer ${env:WEIR_UT_TOKEN}!", &secret, why);
    CU_ASSERT_STRING_EQUAL(s, "Bearer tok-value-123!");
    CU_ASSERT_EQUAL(secret, 1);
    /* and the value is now a secret */
    CU_ASSERT_TRUE(weir_secrets_in(set, "x tok-value-123 y"));
    free(s);

    s = expand("${env:WEIR_UT_TOKEN}${env:_u1}[${env:WEIR_UT_EMPTY}]", &secret,
               why);
    CU_ASSERT_STRING_EQUAL(s, "tok-value-123low[]");
    free(s);

    /* $${ is a literal ${, and what follows is not substituted */
    s = expand("tpl $${env:WEIR_UT_TOKEN} $${x}", &secret, why);
    CU_ASSERT_STRING_EQUAL(s, "tpl ${env:WEIR_UT_TOKEN} ${x}");
    CU_ASSERT_EQUAL(secret, 0);
    free(s);
    s = expand("$$ and $$$", &secret, why);
    CU_ASSERT_STRING_EQUAL(s, "$$ and $$$");
    free(s);
    /* "$$${" is "$" then the literal "${" */
    s = expand("$$${env:_u1}", &secret, why);
    CU_ASSERT_STRING_EQUAL(s, "$${env:_u1}");
    free(s);
    release();
}

static void test_env_expand_errors(void)
{
    char why[256];
    int secret;
    fresh();
    setenv("WEIR_UT_PASS", "pa55word-value", 1);
    unsetenv("WEIR_UT_UNSET");

    CU_ASSERT_PTR_NULL(expand("x ${env:WEIR_UT_PASS", &secret, why));
    CU_ASSERT_STRING_EQUAL(why, "unterminated '${' (write $${ for a literal ${)");
    CU_ASSERT_PTR_NULL(expand("${", &secret, why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "unterminated"));

    CU_ASSERT_PTR_NULL(expand("${HOME}", &secret, why));
    CU_ASSERT_STRING_EQUAL(why, "unknown substitution '${HOME}' (only "
                                "${env:NAME} is supported; $${ is a literal ${)");
    CU_ASSERT_PTR_NULL(expand("${ENV:X}", &secret, why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "unknown substitution '${ENV:X}'"));
    CU_ASSERT_PTR_NULL(expand("${}", &secret, why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "unknown substitution '${}'"));

    CU_ASSERT_PTR_NULL(expand("${env:}", &secret, why));
    CU_ASSERT_STRING_EQUAL(why, "'' is not a variable name (letters, digits "
                                "and _)");
    CU_ASSERT_PTR_NULL(expand("${env:9LIVES}", &secret, why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "'9LIVES' is not a variable name"));
    CU_ASSERT_PTR_NULL(expand("${env:A-B}", &secret, why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "'A-B' is not a variable name"));
    CU_ASSERT_PTR_NULL(expand("${env:A B}", &secret, why));
    CU_ASSERT_PTR_NULL(expand("${env:WEIR_UT_PASS:-x}", &secret, why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "is not a variable name"));
    char longname[400] = "${env:";
    memset(longname + 6, 'A', 300);
    strcpy(longname + 306, "}");
    CU_ASSERT_PTR_NULL(expand(longname, &secret, why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "is not a variable name"));
    CU_ASSERT(strlen(why) < 200); /* the name is shortened in the reason */

    CU_ASSERT_PTR_NULL(expand("a ${env:WEIR_UT_UNSET} b", &secret, why));
    CU_ASSERT_STRING_EQUAL(why, "environment variable WEIR_UT_UNSET is not set");
    CU_ASSERT_EQUAL(secret, 0);

    /* a failure after a substitution: the reason holds no value */
    CU_ASSERT_PTR_NULL(expand("${env:WEIR_UT_PASS} ${env:WEIR_UT_UNSET}",
                              &secret, why));
    CU_ASSERT_PTR_NULL(strstr(why, "pa55word-value"));
    CU_ASSERT_PTR_NULL(expand("${env:WEIR_UT_PASS} ${oops}", &secret, why));
    CU_ASSERT_PTR_NULL(strstr(why, "pa55word-value"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "'${oops}'"));
    CU_ASSERT_PTR_NULL(expand("${env:WEIR_UT_PASS} ${env:", &secret, why));
    CU_ASSERT_PTR_NULL(strstr(why, "pa55word-value"));
    unsetenv("WEIR_UT_PASS");
    release();
}

/* ---- utf8 ------------------------------------------------------------- */

static void trimmed(const char *in, const char *want)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", in);
    weir_utf8_trim(buf);
    CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_utf8_trim(void)
{
    trimmed("", "");
    trimmed("plain", "plain");
    /* complete sequences stay */
    trimmed("caf\xc3\xa9", "caf\xc3\xa9");                 /* e acute */
    trimmed("\xe2\x82\xac", "\xe2\x82\xac");               /* euro */
    trimmed("x\xf0\x9f\x98\x80", "x\xf0\x9f\x98\x80");     /* emoji */
    /* cut ones go, with everything after their lead byte */
    trimmed("caf\xc3", "caf");
    trimmed("\xc3", "");
    trimmed("a\xe2\x82", "a");
    trimmed("a\xe2", "a");
    trimmed("a\xf0\x9f\x98", "a");
    trimmed("a\xf0\x9f", "a");
    trimmed("a\xf0", "a");
    trimmed("\xc3\xa9\xe2\x82", "\xc3\xa9");
    /* stray continuation bytes are not this function's business */
    trimmed("\x80\x80", "\x80\x80");
    trimmed("ab\x80", "ab\x80");
}

static void sanitized(const char *in, const char *want)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", in);
    weir_utf8_sanitize(buf);
    if (strcmp(buf, want) != 0) {
        fprintf(stderr, "\n  sanitize:");
        for (const char *c = in; *c; c++)
            fprintf(stderr, " %02x", (unsigned char)*c);
        fprintf(stderr, " -> \"%s\"\n", buf);
    }
    CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_utf8_sanitize(void)
{
    /* valid text is untouched, boundaries included */
    sanitized("", "");
    sanitized("plain", "plain");
    sanitized("caf\xc3\xa9", "caf\xc3\xa9");
    sanitized("\xc2\x80", "\xc2\x80");                  /* U+0080 */
    sanitized("\xe2\x82\xac", "\xe2\x82\xac");           /* euro */
    sanitized("\xed\x9f\xbf", "\xed\x9f\xbf");           /* U+D7FF */
    sanitized("\xee\x80\x80", "\xee\x80\x80");           /* U+E000 */
    sanitized("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");   /* emoji */
    sanitized("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");   /* U+10FFFF */
    /* every byte of an invalid sequence becomes '?' */
    sanitized("caf\xe9", "caf?");                           /* Latin-1 */
    sanitized("caf\xe9!", "caf?!");
    sanitized("\xff\xfe", "??");
    sanitized("\x80x", "?x");                               /* stray */
    sanitized("\xc0\xaf", "??");                            /* overlong */
    sanitized("\xc1\xbf", "??");
    sanitized("\xe0\x80\xaf", "???");
    sanitized("\xf0\x80\x80\xaf", "????");
    sanitized("\xed\xa0\x80", "???");                       /* surrogate */
    sanitized("\xf4\x90\x80\x80", "????");                  /* > U+10FFFF */
    /* a sequence cut by the end of the text or by another character */
    sanitized("a\xe2\x82", "a??");
    sanitized("a\xe2\x82z\xc3\xa9", "a??z\xc3\xa9");
    sanitized("\xf0\x9f\x98", "???");
}

/* Regression: lead bytes F5..FF (never valid in UTF-8) followed by
 * continuation bytes once passed sanitize unchanged. */
static void test_utf8_sanitize_high_leads(void)
{
    sanitized("\xf5\x80\x80\x80", "????");
    sanitized("\xff\x80\x80", "???");
    sanitized("\xf8\x88\x80\x80\x80", "?????");
}

/* ---- options ---------------------------------------------------------- */

static void test_option_parsers(void)
{
    int b = -1;
    const char *yes[] = {"true", "TRUE", "Yes", "on", "1"};
    const char *no[] = {"false", "No", "OFF", "0"};
    for (size_t i = 0; i < 5; i++) {
        b = -1;
        CU_ASSERT_EQUAL(weir_parse_bool(yes[i], &b), 0);
        CU_ASSERT_EQUAL(b, 1);
    }
    for (size_t i = 0; i < 4; i++) {
        b = -1;
        CU_ASSERT_EQUAL(weir_parse_bool(no[i], &b), 0);
        CU_ASSERT_EQUAL(b, 0);
    }
    b = 5;
    CU_ASSERT_EQUAL(weir_parse_bool("", &b), -1);
    CU_ASSERT_EQUAL(weir_parse_bool("y", &b), -1);
    CU_ASSERT_EQUAL(weir_parse_bool("2", &b), -1);
    CU_ASSERT_EQUAL(weir_parse_bool(" true", &b), -1);
    CU_ASSERT_EQUAL(b, 5);

    long long n = 7;
    CU_ASSERT_EQUAL(weir_parse_int("42", &n), 0);
    CU_ASSERT_EQUAL(n, 42);
    CU_ASSERT_EQUAL(weir_parse_int("-3", &n), 0);
    CU_ASSERT_EQUAL(n, -3);
    CU_ASSERT_EQUAL(weir_parse_int("9223372036854775807", &n), 0);
    CU_ASSERT_EQUAL(n, 9223372036854775807LL);
    n = 7;
    CU_ASSERT_EQUAL(weir_parse_int("", &n), -1);
    CU_ASSERT_EQUAL(weir_parse_int("4x", &n), -1);
    CU_ASSERT_EQUAL(weir_parse_int("1.5", &n), -1);
    CU_ASSERT_EQUAL(weir_parse_int("99999999999999999999", &n), -1);
    CU_ASSERT_EQUAL(n, 7);

    CU_ASSERT_EQUAL(weir_parse_char("tab"), '\t');
    CU_ASSERT_EQUAL(weir_parse_char("\\t"), '\t');
    CU_ASSERT_EQUAL(weir_parse_char(";"), ';');
    CU_ASSERT_EQUAL(weir_parse_char("\xe9"), 0xe9);
    CU_ASSERT_EQUAL(weir_parse_char(""), -1);
    CU_ASSERT_EQUAL(weir_parse_char(";;"), -1);
    CU_ASSERT_EQUAL(weir_parse_char("TAB"), -1);

    CU_ASSERT_STRING_EQUAL(weir_option_type_name(WEIR_OPTION_STRING), "string");
    CU_ASSERT_STRING_EQUAL(weir_option_type_name(WEIR_OPTION_DURATION),
                           "duration");
    CU_ASSERT_STRING_EQUAL(weir_option_type_name(WEIR_OPTION_LIST), "list");
    CU_ASSERT_STRING_EQUAL(weir_option_type_name((weir_option_type)99), "?");
}

static void test_option_check_value(void)
{
    weir_option_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.name = "x";

    spec.type = (uint32_t)WEIR_OPTION_STRING;
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, "anything"));
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, ""));
    spec.type = (uint32_t)WEIR_OPTION_LIST;
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, "a b c"));
    spec.type = (uint32_t)WEIR_OPTION_BOOL;
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, "yes"));
    CU_ASSERT_STRING_EQUAL(weir_option_check_value(&spec, "maybe"),
                           "is not a boolean (true or false)");
    spec.type = (uint32_t)WEIR_OPTION_INT;
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, "-12"));
    CU_ASSERT_STRING_EQUAL(weir_option_check_value(&spec, "ten"),
                           "is not an integer");
    spec.type = (uint32_t)WEIR_OPTION_DURATION;
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, "1h30m"));
    CU_ASSERT_STRING_EQUAL(weir_option_check_value(&spec, "15"),
                           "is not a duration (like 250ms, 15s, 10m, 1h, 7d)");
    spec.type = (uint32_t)WEIR_OPTION_CHAR;
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, "tab"));
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, ","));
    CU_ASSERT_STRING_EQUAL(weir_option_check_value(&spec, ",,"),
                           "must be one character or 'tab'");
    spec.type = (uint32_t)WEIR_OPTION_PATH;
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, "a/b.csv"));
    CU_ASSERT_STRING_EQUAL(weir_option_check_value(&spec, ""),
                           "must not be empty");
    spec.type = 99;
    CU_ASSERT_STRING_EQUAL(weir_option_check_value(&spec, "x"),
                           "has an unknown type");

    /* choices: whole words only, checked before the type */
    spec.type = (uint32_t)WEIR_OPTION_STRING;
    spec.choices = "  insert upsert  update ";
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, "insert"));
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, "upsert"));
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, "update"));
    const char *bad[] = {"", "ins", "insertx", "sert", "insert upsert", " ",
                         "Insert", "pdate"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_STRING_EQUAL(weir_option_check_value(&spec, bad[i]),
                               "is not one of the allowed values");
    spec.type = (uint32_t)WEIR_OPTION_INT;
    spec.choices = "1 2 x";
    CU_ASSERT_PTR_NULL(weir_option_check_value(&spec, "2"));
    CU_ASSERT_STRING_EQUAL(weir_option_check_value(&spec, "3"),
                           "is not one of the allowed values");
    CU_ASSERT_STRING_EQUAL(weir_option_check_value(&spec, "x"),
                           "is not an integer");
    spec.choices = "";
    CU_ASSERT_STRING_EQUAL(weir_option_check_value(&spec, "1"),
                           "is not one of the allowed values");
}

/* ---- clock ------------------------------------------------------------ */

static int64_t fixed_now(void) { return 1795446063123LL; }

static void test_clock(void)
{
    int64_t real = weir_clock_now_ms();
    CU_ASSERT(real > 1600000000000LL); /* after 2020 */
    weir_clock_set(fixed_now);
    CU_ASSERT_EQUAL(weir_clock_now_ms(), 1795446063123LL);
    CU_ASSERT_EQUAL(weir_clock_now_ms(), 1795446063123LL);
    weir_clock_set(NULL);
    int64_t again = weir_clock_now_ms();
    CU_ASSERT(again >= real && again < real + 600000);

    char buf[32];
    CU_ASSERT_PTR_EQUAL(weir_clock_iso(0, buf, sizeof(buf)), buf);
    CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T00:00:00Z");
    CU_ASSERT_STRING_EQUAL(weir_clock_iso(1795446063123LL, buf, sizeof(buf)),
                           "2026-11-23T15:01:03Z");
    CU_ASSERT_STRING_EQUAL(weir_clock_iso(951782400999LL, buf, sizeof(buf)),
                           "2000-02-29T00:00:00Z");
}

void register_text_tests(void)
{
    CU_pSuite s = CU_add_suite("secrets and env", NULL, NULL);
    CU_add_test(s, "masking", test_secrets_masking);
    CU_add_test(s, "short values ignored", test_secrets_short_ignored);
    CU_add_test(s, "overlapping secrets", test_secrets_overlapping);
    CU_add_test(s, "truncation", test_secrets_truncation);
    CU_add_test(s, "${env:} expansion", test_env_expand);
    CU_add_test(s, "${env:} errors never echo values", test_env_expand_errors);

    s = CU_add_suite("text, options, clock", NULL, NULL);
    CU_add_test(s, "utf8 trim", test_utf8_trim);
    CU_add_test(s, "utf8 sanitize", test_utf8_sanitize);
    CU_add_test(s, "utf8 sanitize refuses lead bytes F5-FF",
                test_utf8_sanitize_high_leads);
    CU_add_test(s, "option parsers", test_option_parsers);
    CU_add_test(s, "option values, choices", test_option_check_value);
    CU_add_test(s, "clock", test_clock);
}
