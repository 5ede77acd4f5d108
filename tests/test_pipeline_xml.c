/* Pipeline files: the schema, the checks against plugins, and hostile
 * input (malformed XML, DOCTYPE/XXE, entity bombs, deep nesting, size). */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "core_tests.h"
#include "harness.h"
#include "pipeline/pipeline.h"
#include "plugin/host.h"
#include "plugin/instance.h"
#include "plugin/plugins.h"

#define HEAD "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"t\">\n"
#define SRC "<source plugin=\"testgen\" name=\"in\"/>\n"
#define SINK "<sink plugin=\"testgen\" name=\"out\"/>\n"
#define TAIL "</pipeline>\n"

static int has(const char *text, const char *needle)
{
    if (!strstr(text, needle)) {
        fprintf(stderr, "\n  expected \"%s\" in:\n%s\n", needle, text);
        return 0;
    }
    return 1;
}

static void test_valid_minimal(void)
{
    CU_ASSERT_EQUAL(wt_validate(HEAD SRC SINK TAIL, NULL), 0);
    CU_ASSERT_EQUAL(wt_validate(HEAD "<schedule every=\"1h\"/>" SRC
                                "<sink plugin=\"testgen\" name=\"out\" "
                                "system=\"erp\"><retry attempts=\"3\" "
                                "delay=\"15s\" jitter=\"10s\" backoff=\"2\" "
                                "max-delay=\"1h\"/></sink>" TAIL,
                                NULL),
                    0);
}

static void test_malformed(void)
{
    CU_ASSERT(wt_validate(HEAD SRC "<sink plugin=\"testgen\" name=\"out\">"
                          TAIL, NULL) > 0);
    CU_ASSERT(has(wt_last_errors(), "test.xml:4:"));
    CU_ASSERT(wt_validate("", NULL) > 0);
    CU_ASSERT(wt_validate("not xml at all", NULL) > 0);
    CU_ASSERT(has(wt_last_errors(), "test.xml:1:"));
}

static void test_doctype_refused(void)
{
    const char *xxe =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE pipeline [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
        HEAD "<source plugin=\"testgen\" name=\"&x;\"/>" SINK TAIL;
    CU_ASSERT(wt_validate(xxe, NULL) > 0);
    CU_ASSERT(has(wt_last_errors(), "test.xml:2: DOCTYPE declarations are "
                                    "not allowed"));
    CU_ASSERT_PTR_NULL(strstr(wt_last_errors(), "root:"));
    const char *external = "<!DOCTYPE pipeline SYSTEM \"http://127.0.0.1:1/x.dtd\">"
                           HEAD SRC SINK TAIL;
    CU_ASSERT(wt_validate(external, NULL) > 0);
    CU_ASSERT(has(wt_last_errors(), "DOCTYPE"));
}

static void test_entity_bomb_is_quick(void)
{
    char bomb[4096] = "<?xml version=\"1.0\"?>\n<!DOCTYPE p [\n"
                      "<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n";
    for (char c = 'b'; c <= 'k'; c++) {
        char line[256];
        snprintf(line, sizeof(line),
                 "<!ENTITY %c \"&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;\">\n",
                 c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1,
                 c - 1, c - 1);
        strcat(bomb, line);
    }
    strcat(bomb, "]>\n" HEAD "<source plugin=\"testgen\" name=\"&k;\"/>" SINK
                 TAIL);
    clock_t t0 = clock();
    CU_ASSERT(wt_validate(bomb, NULL) > 0);
    /* Not a timing assertion on speed: a bomb expanded would take minutes
     * and gigabytes; refused, it takes microseconds. */
    CU_ASSERT((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
    CU_ASSERT(has(wt_last_errors(), "DOCTYPE"));
}

static void test_deep_nesting(void)
{
    size_t depth = 5000;
    size_t size = depth * 7 + 1024;
    char *xml = malloc(size);
    strcpy(xml, HEAD "<source plugin=\"testgen\" name=\"in\">");
    for (size_t i = 0; i < depth; i++)
        strcat(xml, "<a>");
    for (size_t i = 0; i < depth; i++)
        strcat(xml, "</a>");
    strcat(xml, "</source>" SINK TAIL);
    CU_ASSERT(wt_validate(xml, NULL) > 0);
    free(xml);
}

static void test_huge_file_refused(void)
{
    const char *dir = wt_tmpdir();
    char path[4096];
    snprintf(path, sizeof(path), "%s/huge.xml", dir);
    FILE *f = fopen(path, "w");
    fputs(HEAD SRC SINK "<!--", f);
    for (int i = 0; i < 5 * 1024; i++) {
        char kb[1024];
        memset(kb, 'x', sizeof(kb));
        fwrite(kb, 1, sizeof(kb), f);
    }
    fputs("-->" TAIL, f);
    fclose(f);
    weir_plugins *reg = weir_plugins_new(WEIR_BUILDDIR "/tests/.libs");
    weir_diag *d = weir_diag_new();
    weir_pipeline *p = weir_pipeline_load(path, reg, d);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_EQUAL(weir_diag_count(d), 1);
    CU_ASSERT(has(weir_diag_at(d, 0), "larger than 4194304 bytes"));
    weir_diag_free(d);
    weir_plugins_free(reg);
}

static void test_unknown_plugin_and_option(void)
{
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"nope\" name=\"in\"/>\n"
                                SINK TAIL, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "test.xml:2: source 'in': unknown plugin "
                                    "'nope'"));
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"testgen\" name=\"in\">\n"
                                "<option name=\"colour\">red</option>\n"
                                "</source>\n" SINK TAIL, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "test.xml:3: unknown option 'colour' for "
                                    "source plugin 'testgen' (valid: count, "
                                    "fail-at, read-delay, run-log, gate, "
                                    "gate-open-at, gate-record, state-key)"));
    /* an option of the plugin's other kind */
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"testgen\" name=\"in\">"
                                "<option name=\"reject-id\">1</option>"
                                "</source>\n" SINK TAIL, NULL), 1);
    /* a path-like plugin name never reaches the file system */
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"../tests/.libs/testgen\" "
                                "name=\"in\"/>\n" SINK TAIL, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "not a valid plugin name"));
}

static void test_option_values(void)
{
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"testgen\" name=\"in\">"
                                "<option name=\"count\">ten</option>"
                                "<option name=\"count\">10</option>"
                                "</source>\n" SINK TAIL, NULL), 2);
    CU_ASSERT(has(wt_last_errors(), "option 'count' = \"ten\" is not an integer"));
    CU_ASSERT(has(wt_last_errors(), "option 'count' given twice"));
}

static void test_required_option_and_kind(void)
{
    CU_ASSERT(wt_validate(HEAD "<source plugin=\"csv\" name=\"in\"/>\n" SINK
                          TAIL, NULL) >= 1);
    CU_ASSERT(has(wt_last_errors(), "test.xml:2: source 'in': missing required "
                                    "option 'path'"));
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"map\" name=\"in\"/>\n"
                                SINK TAIL, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "plugin 'map' cannot be a source"));
}

static void test_durations_and_retry(void)
{
    CU_ASSERT_EQUAL(wt_validate(HEAD "<schedule every=\"hourly\"/>\n" SRC
                                "<sink plugin=\"testgen\" name=\"out\">\n"
                                "<retry attempts=\"0\" delay=\"15\" "
                                "backoff=\"0.5\"/>\n</sink>\n" TAIL, NULL), 4);
    const char *e = wt_last_errors();
    CU_ASSERT(has(e, "test.xml:2: <schedule every=\"hourly\">: not a duration"));
    CU_ASSERT(has(e, "test.xml:5: <retry attempts=\"0\">"));
    CU_ASSERT(has(e, "test.xml:5: <retry delay=\"15\">: not a duration"));
    CU_ASSERT(has(e, "<retry backoff=\"0.5\">"));
}

static void test_duplicate_names_and_every_problem(void)
{
    int n = wt_validate(HEAD "<source plugin=\"testgen\" name=\"x\"/>\n"
                        "<transform plugin=\"nope\" name=\"x\"/>\n"
                        "<sink plugin=\"testgen\" name=\"out\">"
                        "<option name=\"bogus\">1</option></sink>\n" TAIL,
                        NULL);
    CU_ASSERT_EQUAL(n, 3);
    const char *e = wt_last_errors();
    CU_ASSERT(has(e, "test.xml:3: duplicate instance name 'x' (also at line 2)"));
    CU_ASSERT(has(e, "test.xml:3: transform 'x': unknown plugin 'nope'"));
    CU_ASSERT(has(e, "test.xml:4: unknown option 'bogus'"));
}

static void test_structure(void)
{
    CU_ASSERT(wt_validate("<pipeline name=\"t\">" SRC SINK TAIL, NULL) > 0);
    CU_ASSERT(has(wt_last_errors(), "urn:weir:pipeline:1"));
    CU_ASSERT(wt_validate(HEAD SRC TAIL, NULL) > 0); /* no sink */
    CU_ASSERT(wt_validate(HEAD SINK SRC TAIL, NULL) > 0); /* order */
    CU_ASSERT(wt_validate(HEAD SRC SRC SINK TAIL, NULL) > 0);
    CU_ASSERT(wt_validate("<pipeline xmlns=\"urn:weir:pipeline:1\">" SRC SINK
                          TAIL, NULL) > 0); /* no name */
    CU_ASSERT(wt_validate("<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"a b\">"
                          SRC SINK TAIL, NULL) > 0);
    CU_ASSERT(has(wt_last_errors(), "pipeline name \"a b\""));
    /* testgen declares no structured config */
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"testgen\" name=\"in\">"
                                "<fields/></source>" SINK TAIL, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "takes no <fields> element"));
}

static void test_track_attributes(void)
{
    CU_ASSERT_EQUAL(wt_validate(HEAD SRC "<track key=\"code\" fields=\"a b\" "
                                "deletes=\"emit\" full-refresh=\"7d\" "
                                "max-delete=\"20%\"/>" SINK TAIL, NULL), 0);
    CU_ASSERT_EQUAL(wt_validate(HEAD SRC "<track key=\"code\" deletes=\"maybe\" "
                                "full-refresh=\"weekly\" max-delete=\"120%\"/>"
                                SINK TAIL, NULL), 3);
    CU_ASSERT(wt_validate(HEAD SRC "<track fields=\"a\"/>" SINK TAIL, NULL) > 0);
}

static void test_env_substitution(void)
{
    unsetenv("WEIR_TEST_MISSING");
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"testgen\" name=\"in\">"
                                "<option name=\"count\">${env:WEIR_TEST_MISSING}"
                                "</option></source>" SINK TAIL, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "environment variable WEIR_TEST_MISSING is "
                                    "not set"));
    setenv("WEIR_TEST_SECRET", "hunter2", 1);
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"testgen\" name=\"in\">"
                                "<option name=\"count\">${env:WEIR_TEST_SECRET}"
                                "</option></source>" SINK TAIL, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "option 'count' (from the environment) is "
                                    "not an integer"));
    CU_ASSERT_PTR_NULL(strstr(wt_last_errors(), "hunter2"));
    setenv("WEIR_TEST_COUNT", "12", 1);
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"testgen\" name=\"in\">"
                                "<option name=\"count\">${env:WEIR_TEST_COUNT}"
                                "</option></source>" SINK TAIL, NULL), 0);
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"testgen\" name=\"in\">"
                                "<option name=\"count\">${file:x}</option>"
                                "</source>" SINK TAIL, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "unknown substitution '${file:x}'"));
}

/* The log lines captured by test_secrets_per_pipeline. */
static char captured[4096];

static void capture_line(weir_log_level level, const char *line, void *ctx)
{
    (void)level;
    (void)ctx;
    size_t n = strlen(captured);
    snprintf(captured + n, sizeof(captured) - n, "%s\n", line);
}

/* Load a pipeline named `name` whose sink option takes ${env:VAR}. */
static weir_pipeline *load_with_secret(weir_plugins *reg, const char *name,
                                       const char *var)
{
    char xml[1024];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"%s\">\n" SRC
             "<sink plugin=\"testgen\" name=\"out\"><option name=\"reject-id\">"
             "${env:%s}</option></sink>\n" TAIL, name, var);
    weir_diag *d = weir_diag_new();
    weir_pipeline *p = weir_pipeline_load_memory(xml, strlen(xml), "t.xml",
                                                 ".", reg, d);
    CU_ASSERT_EQUAL(weir_diag_count(d), 0);
    weir_diag_free(d);
    return p;
}

static void log_both(weir_instance *inst)
{
    weir_host_table.log(inst, WEIR_LOG_WARNING, "a=%s b=%s", "alpha-s3cret",
                        "bravo-s3cret");
}

static void test_secrets_per_pipeline(void)
{
    /* Two pipelines in one process (weir serve): each masks its own
     * ${env:} values in what is printed for it, and only those; a
     * pipeline's secrets go with it. */
    setenv("WEIR_TEST_SECRET_A", "alpha-s3cret", 1);
    setenv("WEIR_TEST_SECRET_B", "bravo-s3cret", 1);
    weir_plugins *reg = weir_plugins_new(WEIR_BUILDDIR "/tests/.libs");
    weir_pipeline *a = load_with_secret(reg, "pa", "WEIR_TEST_SECRET_A");
    weir_pipeline *b = load_with_secret(reg, "pb", "WEIR_TEST_SECRET_B");
    CU_ASSERT_FATAL(a && b && a->nsinks == 1 && b->nsinks == 1);
    /* instances of no run, as check() gets them */
    weir_instance run_a = {.spec = a->sinks[0]}, run_b = {.spec = b->sinks[0]};
    weir_instance *ia = &run_a, *ib = &run_b;
    CU_ASSERT_STRING_EQUAL(weir_instance_option(a->sinks[0], "reject-id", 0)->value,
                           "alpha-s3cret");

    captured[0] = '\0';
    weir_log_set_sink(capture_line, NULL);
    log_both(ia);
    log_both(ib);
    CU_ASSERT(has(captured, "weir: warning: pa/out: a=*** b=bravo-s3cret\n"));
    CU_ASSERT(has(captured, "weir: warning: pb/out: a=alpha-s3cret b=***\n"));
    /* set_error() texts too */
    weir_host_table.set_error(ia, "refused %s", "alpha-s3cret bravo-s3cret");
    weir_host_table.set_error(ib, "refused %s", "alpha-s3cret bravo-s3cret");
    CU_ASSERT_STRING_EQUAL(weir_host_error(ia), "refused *** bravo-s3cret");
    CU_ASSERT_STRING_EQUAL(weir_host_error(ib), "refused alpha-s3cret ***");
    weir_host_error_clear(ia);

    /* A gone, B still masks its own (and A's secret is nobody's now) */
    weir_pipeline_unref(a);
    captured[0] = '\0';
    log_both(ib);
    CU_ASSERT(has(captured, "pb/out: a=alpha-s3cret b=***\n"));
    weir_log_set_sink(NULL, NULL);
    weir_host_error_clear(ib);
    weir_pipeline_unref(b);
    weir_plugins_free(reg);
}

static void test_relative_paths(void)
{
    const char *xml = HEAD "<source plugin=\"csv\" name=\"in\">"
                      "<option name=\"path\">data/in.csv</option>"
                      "<option name=\"delimiter\">tab</option></source>"
                      "<sink plugin=\"csv\" name=\"out\">"
                      "<option name=\"path\">/abs/out.csv</option></sink>" TAIL;
    weir_plugins *reg = weir_plugins_new(WEIR_BUILDDIR "/connectors/.libs");
    weir_diag *d = weir_diag_new();
    weir_pipeline *p = weir_pipeline_load_memory(xml, strlen(xml), "t.xml",
                                                 "/srv/pipes", reg, d);
    CU_ASSERT_EQUAL(weir_diag_count(d), 0);
    CU_ASSERT_STRING_EQUAL(weir_instance_option(p->source, "path", 0)->value,
                           "/srv/pipes/data/in.csv");
    CU_ASSERT_STRING_EQUAL(weir_instance_option(p->source, "delimiter", 0)->value,
                           "\t");
    CU_ASSERT_STRING_EQUAL(weir_instance_option(p->sinks[0], "path", 0)->value,
                           "/abs/out.csv");
    weir_pipeline_unref(p);
    weir_diag_free(d);
    weir_plugins_free(reg);
}

static void test_doctype_only_one_problem(void)
{
    /* Refused once, without follow-up noise about a missing root. */
    CU_ASSERT_EQUAL(wt_validate("<!DOCTYPE pipeline [<!ENTITY % p SYSTEM "
                                "\"file:///etc/passwd\"> %p;]>" HEAD SRC SINK
                                TAIL, NULL), 1);
}

static void test_many_instances(void)
{
    /* More instances than any fixed table could hold: all checked. */
    size_t n = 300, size = n * 80 + 512;
    char *xml = malloc(size);
    strcpy(xml, HEAD SRC);
    for (size_t i = 0; i < n; i++) {
        char sink[96];
        snprintf(sink, sizeof(sink), "<sink plugin=\"testgen\" name=\"s%zu\"/>", i);
        strcat(xml, sink);
    }
    strcat(xml, "<sink plugin=\"nosuch\" name=\"last\"/>" TAIL);
    CU_ASSERT_EQUAL(wt_validate(xml, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "sink 'last': unknown plugin 'nosuch'"));
    free(xml);
}

static void test_many_duplicate_names(void)
{
    /* Thousands of instances, one per line (names checked by sorting,
     * not pair by pair): every repeat points at the first of its name. */
    size_t n = 5000, size = n * 64 + 1024;
    char *xml = malloc(size);
    size_t len = (size_t)snprintf(xml, size, HEAD SRC);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(xml + len, size - len,
                                "<sink plugin=\"testgen\" name=\"s%zu\"/>\n", i);
    snprintf(xml + len, size - len,
             "<sink plugin=\"testgen\" name=\"s10\"/>\n"
             "<sink plugin=\"testgen\" name=\"s10\"/>\n"
             "<sink plugin=\"testgen\" name=\"in\"/>\n" TAIL);
    CU_ASSERT_EQUAL(wt_validate(xml, NULL), 3);
    char want[128];
    snprintf(want, sizeof want,
             "test.xml:%zu: duplicate instance name 's10' (also at line 13)",
             n + 3);
    CU_ASSERT(has(wt_last_errors(), want));
    snprintf(want, sizeof want,
             "test.xml:%zu: duplicate instance name 's10' (also at line 13)",
             n + 4);
    CU_ASSERT(has(wt_last_errors(), want));
    snprintf(want, sizeof want,
             "test.xml:%zu: duplicate instance name 'in' (also at line 2)",
             n + 5);
    CU_ASSERT(has(wt_last_errors(), want));
    free(xml);
}

static void test_problem_flood_is_capped(void)
{
    size_t n = 600, size = n * 64 + 512;
    char *xml = malloc(size);
    strcpy(xml, HEAD "<source plugin=\"testgen\" name=\"in\">");
    for (size_t i = 0; i < n; i++) {
        char opt[64];
        snprintf(opt, sizeof(opt), "<option name=\"x%zu\">1</option>", i);
        strcat(xml, opt);
    }
    strcat(xml, "</source>" SINK TAIL);
    CU_ASSERT_EQUAL(wt_validate(xml, NULL), 600);
    /* only the first 200 are kept */
    CU_ASSERT_PTR_NULL(strstr(wt_last_errors(), "'x200'"));
    CU_ASSERT(has(wt_last_errors(), "'x199'"));
    free(xml);
}

static void test_max_delete_must_be_a_plain_number(void)
{
    static const char *const bad[] = {"nan%", "inf%", "0x10%", " 5%", "-1%",
                                      "101%", "%", "abc"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char xml[512];
        snprintf(xml, sizeof(xml), HEAD SRC "<track key=\"code\" "
                 "max-delete=\"%s\"/>" SINK TAIL, bad[i]);
        CU_ASSERT_EQUAL(wt_validate(xml, NULL), 1);
    }
    CU_ASSERT_EQUAL(wt_validate(HEAD SRC "<track key=\"code\" "
                                "max-delete=\"12.5%\"/>" SINK TAIL, NULL), 0);
}

static void test_fifo_is_refused_not_waited_on(void)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/pipe.xml", wt_tmpdir());
    unlink(path);
    CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
    weir_plugins *reg = weir_plugins_new(WEIR_BUILDDIR "/tests/.libs");
    weir_diag *d = weir_diag_new();
    CU_ASSERT_PTR_NULL(weir_pipeline_load(path, reg, d));
    CU_ASSERT(has(weir_diag_at(d, 0), "not a regular file"));
    weir_diag_free(d);
    weir_plugins_free(reg);
}

static void test_env_escape_and_names(void)
{
    setenv("WEIR_TEST_C", "7", 1);
    /* $${ is a literal ${ */
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"testgen\" name=\"in\">"
                                "<option name=\"count\">$${env:X}</option>"
                                "</source>" SINK TAIL, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "\"${env:X}\" is not an integer"));
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"testgen\" name=\"in\">"
                                "<option name=\"count\">${env:WEIR_TEST_C"
                                "</option></source>" SINK TAIL, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "unterminated '${'"));
    CU_ASSERT_EQUAL(wt_validate(HEAD "<source plugin=\"testgen\" name=\"in\">"
                                "<option name=\"count\">${env:A B}</option>"
                                "</source>" SINK TAIL, NULL), 1);
    CU_ASSERT(has(wt_last_errors(), "is not a variable name"));
}

void register_pipeline_xml_tests(void)
{
    CU_pSuite s = CU_add_suite("pipeline xml", NULL, NULL);
    CU_add_test(s, "valid files", test_valid_minimal);
    CU_add_test(s, "malformed XML names the line", test_malformed);
    CU_add_test(s, "DOCTYPE and XXE refused", test_doctype_refused);
    CU_add_test(s, "entity bomb refused quickly", test_entity_bomb_is_quick);
    CU_add_test(s, "deep nesting refused", test_deep_nesting);
    CU_add_test(s, "huge file refused unread", test_huge_file_refused);
    CU_add_test(s, "unknown plugin and option", test_unknown_plugin_and_option);
    CU_add_test(s, "option values and repeats", test_option_values);
    CU_add_test(s, "required options and kinds", test_required_option_and_kind);
    CU_add_test(s, "durations and retry", test_durations_and_retry);
    CU_add_test(s, "every problem reported", test_duplicate_names_and_every_problem);
    CU_add_test(s, "structure", test_structure);
    CU_add_test(s, "track attributes", test_track_attributes);
    CU_add_test(s, "${env:} substitution, secrets kept", test_env_substitution);
    CU_add_test(s, "two pipelines in one process: each masks its own secrets",
                test_secrets_per_pipeline);
    CU_add_test(s, "relative paths resolve", test_relative_paths);
    CU_add_test(s, "DOCTYPE: one problem, no noise", test_doctype_only_one_problem);
    CU_add_test(s, "300 instances all checked", test_many_instances);
    CU_add_test(s, "thousands of instances, duplicate names",
                test_many_duplicate_names);
    CU_add_test(s, "a flood of problems is capped", test_problem_flood_is_capped);
    CU_add_test(s, "max-delete takes plain numbers only",
                test_max_delete_must_be_a_plain_number);
    CU_add_test(s, "a FIFO is refused, not waited on",
                test_fifo_is_refused_not_waited_on);
    CU_add_test(s, "${env:} escape and names", test_env_escape_and_names);
}
