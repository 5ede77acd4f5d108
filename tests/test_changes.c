/*
 * End-to-end: what changed in a tracked record (<track changes>,
 * docs/pipeline-reference.md; weir show and weir run --dry-run -v,
 * docs/cli.md).  Seed 001's example: an ERP customer export whose
 * sales_rep moves from MAL001 to SAL001 is re-sent, and weir says so,
 * field by field, old -> new.  The target (testsink) is kept down, so
 * the re-sent record waits in the outbox where `weir show` reads it.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs"

/* csv customers.csv -> TRANSFORM -> <track ATTRS>BODY</track> ->
 * testsink (down while the file `down` exists; SINK_OPTION added) */
static void pipeline(const char *dir, const char *transform,
                     const char *attrs, const char *body,
                     const char *sink_option)
{
    char xml[4096];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"erp-customers\" "
             "type=\"customer\">\n"
             "  <source plugin=\"csv\" name=\"erp\">\n"
             "    <option name=\"path\">customers.csv</option>\n"
             "  </source>\n%s"
             "  <track key=\"code\" %s>%s</track>\n"
             "  <sink plugin=\"testsink\" name=\"app\">\n"
             "    <option name=\"database\">target.db</option>\n"
             "    <option name=\"down-file\">down</option>\n%s"
             "  </sink>\n"
             "</pipeline>\n",
             transform ? transform : "", attrs ? attrs : "", body ? body : "",
             sink_option ? sink_option : "");
    free(wt_write_file(dir, "p.xml", xml));
}

static void export(const char *dir, const char *csv)
{
    free(wt_write_file(dir, "customers.csv", csv));
}

static void target_down(const char *dir)
{
    free(wt_write_file(dir, "down", ""));
}

/* weir run p.xml [a1 [a2]]: exit `code`; stdout and stderr. (owned) */
static char *run(const char *dir, int code, const char *a1, const char *a2)
{
    const char *args[] = {"run", "p.xml", "--plugin-path", PLUGINS, a1, a2,
                          NULL};
    return e2e_expectv(dir, code, args);
}

/* `weir show ID` of the open record of `key` (text, or with --json). */
static long long record_of(const char *dir, const char *key)
{
    long long id = e2e_outbox_id(dir, "key", key, "status", "held", NULL);
    CU_ASSERT(id > 0);
    return id;
}

static char *show(const char *dir, const char *key)
{
    char id[32];
    snprintf(id, sizeof(id), "%lld", record_of(dir, key));
    const char *args[] = {"show", id, NULL};
    return e2e_expectv(dir, 0, args);
}

static json_t *show_json(const char *dir, const char *key)
{
    char id[32];
    snprintf(id, sizeof(id), "%lld", record_of(dir, key));
    return e2e_json(dir, "show", id, "--json", NULL);
}

/* Is o's "changes" exactly `want` (JSON text)?  Prints both when not. */
static int changes_are(const json_t *o, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    json_t *got = json_object_get(o, "changes");
    int same = json_equal(got, w);
    if (!same) {
        char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        fprintf(stderr, "\n  changes: %s\n  wanted:  %s\n", g ? g : "(none)",
                want);
        free(g);
    }
    json_decref(w);
    return same;
}

/* How many lines of `text` hold `needle`. */
static int lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static long long state_rows(const char *dir, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/weir.db", dir);
    return e2e_query_int(path, sql);
}

#define KEEP "changes=\"keep\""
#define HEADER "code,name,address1,city,sales_rep,credit_limit\n"
#define ABC_MAL "ABC001,ABC Hardware,3 Main Road,Cape Town,MAL001,5000\n"
#define ABC_SAL "ABC001,ABC Hardware,3 Main Road,Cape Town,SAL001,5000\n"
#define XYZ "XYZ002,XYZ Tools,9 Long Street,Durban,SAL001,100\n"

/* Seed 001: sales_rep MAL001 -> SAL001 re-sends ABC001; weir show says
 * exactly that field changed, old -> new, and not the others; a new
 * customer's record has no changes (null: all new). */
static void test_sales_rep_change(void)
{
    char *d = e2e_scratch("changes-seed001");
    pipeline(d, NULL, KEEP, NULL, NULL);
    export(d, HEADER ABC_MAL XYZ);
    free(run(d, 0, NULL, NULL));
    target_down(d);
    export(d, HEADER ABC_SAL XYZ "NEW003,New Shop,1 New Road,Paarl,MAL001,0\n");
    free(run(d, 0, NULL, NULL));

    char *text = show(d, "ABC001");
    CU_ASSERT(e2e_contains(text, "\n  changed:    sales_rep: MAL001 -> SAL001\n"));
    CU_ASSERT_EQUAL(lines_with(text, "changed:"), 1);
    free(text);
    json_t *o = show_json(d, "ABC001");
    CU_ASSERT(changes_are(o, "[{\"field\": \"sales_rep\", \"old\": \"MAL001\", "
                             "\"new\": \"SAL001\"}]"));
    CU_ASSERT(json_is_null(json_object_get(o, "resent")));
    json_decref(o);

    /* an insert: nothing was sent before, so nothing "changed" */
    o = show_json(d, "NEW003");
    CU_ASSERT(json_is_null(json_object_get(o, "changes")));
    json_decref(o);
    text = show(d, "NEW003");
    CU_ASSERT(!strstr(text, "changed:"));
    free(text);
    free(d);
}

/* Only what <track> compares and sends is kept and compared: a field
 * outside <track fields>, and one another system owns, never show. */
static void test_only_tracked_fields(void)
{
    char *d = e2e_scratch("changes-fields");
    pipeline(d, NULL, KEEP " fields=\"name city sales_rep credit_limit\"",
             "<field name=\"credit_limit\" owner=\"app\"/>", NULL);
    export(d, HEADER ABC_MAL);
    free(run(d, 0, NULL, NULL));
    target_down(d);
    /* address1 is not tracked, credit_limit is the app's */
    export(d, HEADER "ABC001,ABC Hardware,4 Side Road,Cape Town,SAL001,9999\n");
    free(run(d, 0, NULL, NULL));
    json_t *o = show_json(d, "ABC001");
    CU_ASSERT(changes_are(o, "[{\"field\": \"sales_rep\", \"old\": \"MAL001\", "
                             "\"new\": \"SAL001\"}]"));
    json_decref(o);
    /* the kept values hold no owned field */
    CU_ASSERT_EQUAL(state_rows(d, "SELECT count(*) FROM track_values WHERE "
                                  "instr(vals, '9999') OR instr(vals, "
                                  "'5000')"), 0);
    CU_ASSERT_EQUAL(state_rows(d, "SELECT count(*) FROM track_values"), 1);
    free(d);
}

/* Seed 001's mapping table: a rep code moves to another app user; every
 * customer of that code is re-sent, and says user: old -> new. */
static void test_mapping_table_change(void)
{
    char *d = e2e_scratch("changes-lookup");
    static const char lookup[] =
        "  <transform plugin=\"lookup\" name=\"rep-to-user\">\n"
        "    <option name=\"path\">reps.csv</option>\n"
        "    <option name=\"key\">sales_rep</option>\n"
        "    <option name=\"match\">rep_code</option>\n"
        "    <option name=\"fields\">user</option>\n"
        "  </transform>\n";
    pipeline(d, lookup, KEEP " fields=\"name city sales_rep user\"", NULL,
             NULL);
    free(wt_write_file(d, "reps.csv", "rep_code,user\nMAL001,mary\n"
                                      "SAL001,sally\n"));
    export(d, HEADER ABC_MAL XYZ);
    free(run(d, 0, NULL, NULL));
    target_down(d);
    free(wt_write_file(d, "reps.csv", "rep_code,user\nMAL001,mary\n"
                                      "SAL001,sam\n"));
    char *out = run(d, 0, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 unchanged"));
    free(out);
    char *text = show(d, "XYZ002");
    CU_ASSERT(e2e_contains(text, "\n  changed:    user: sally -> sam\n"));
    CU_ASSERT_EQUAL(lines_with(text, "changed:"), 1);
    free(text);
    json_t *o = show_json(d, "XYZ002");
    CU_ASSERT(changes_are(o, "[{\"field\": \"user\", \"old\": \"sally\", "
                             "\"new\": \"sam\"}]"));
    json_decref(o);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "key", "ABC001", NULL), 0);
    free(d);
}

/* --dry-run -v lists each key with what changed, and stores nothing. */
static void test_dry_run_verbose(void)
{
    char *d = e2e_scratch("changes-dry-run");
    pipeline(d, NULL, KEEP " max-delete=\"off\"", NULL, NULL);
    export(d, HEADER ABC_MAL XYZ);
    free(run(d, 0, NULL, NULL));
    export(d, HEADER ABC_SAL "NEW003,New Shop,1 New Road,Paarl,MAL001,0\n");
    char *out = run(d, 0, "--dry-run", "-v");
    CU_ASSERT(e2e_contains(out, "update ABC001\n  sales_rep: MAL001 -> SAL001\n"
                                "insert NEW003\n"));
    CU_ASSERT(e2e_contains(out, "delete XYZ002\n"));
    free(out);
    /* the dry run changed nothing: a real run finds the same */
    target_down(d);
    free(run(d, 0, NULL, NULL));
    json_t *o = show_json(d, "ABC001");
    CU_ASSERT(changes_are(o, "[{\"field\": \"sales_rep\", \"old\": \"MAL001\", "
                             "\"new\": \"SAL001\"}]"));
    json_decref(o);
    free(d);
}

/* A full refresh re-sends unchanged records: no field changed. */
static void test_full_refresh(void)
{
    char *d = e2e_scratch("changes-full");
    pipeline(d, NULL, KEEP, NULL, NULL);
    export(d, HEADER ABC_MAL);
    free(run(d, 0, NULL, NULL));
    char *out = run(d, 0, "--dry-run", "-v");
    CU_ASSERT(!strstr(out, "ABC001")); /* unchanged: not sent */
    free(out);
    const char *args[] = {"run", "p.xml", "--plugin-path", PLUGINS,
                          "--dry-run", "--full", "-v", NULL};
    out = e2e_expectv(d, 0, args);
    CU_ASSERT(e2e_contains(out, "update ABC001\n  no field changed (full "
                                "refresh)\n"));
    free(out);
    target_down(d);
    free(run(d, 0, "--full", NULL));
    char *text = show(d, "ABC001");
    CU_ASSERT(e2e_contains(text, "\n  changed:    no field changed (full "
                                 "refresh)\n"));
    free(text);
    json_t *o = show_json(d, "ABC001");
    CU_ASSERT(changes_are(o, "[]"));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "resent")),
                           "full refresh");
    json_decref(o);
    free(d);
}

/* changes="none", the default: nothing kept (the table stays empty,
 * and what an earlier changes="keep" kept goes), nothing said; the
 * record is sent all the same. */
static void test_changes_none(void)
{
    char *d = e2e_scratch("changes-none");
    pipeline(d, NULL, NULL, NULL, NULL);
    export(d, HEADER ABC_MAL XYZ);
    free(run(d, 0, NULL, NULL));
    CU_ASSERT_EQUAL(state_rows(d, "SELECT count(*) FROM track_values"), 0);
    pipeline(d, NULL, KEEP, NULL, NULL);
    free(run(d, 0, "--full", NULL));
    CU_ASSERT_EQUAL(state_rows(d, "SELECT count(*) FROM track_values"), 2);
    pipeline(d, NULL, "changes=\"none\"", NULL, NULL);
    target_down(d);
    export(d, HEADER ABC_SAL XYZ);
    char *out = run(d, 0, "--dry-run", "-v");
    CU_ASSERT(e2e_contains(out, "update ABC001\n"));
    CU_ASSERT(!strstr(out, "MAL001"));
    free(out);
    free(run(d, 0, NULL, NULL));
    CU_ASSERT_EQUAL(state_rows(d, "SELECT count(*) FROM track_values"), 0);
    char *text = show(d, "ABC001");
    CU_ASSERT(!strstr(text, "changed:"));
    free(text);
    json_t *o = show_json(d, "ABC001");
    CU_ASSERT(json_is_null(json_object_get(o, "changes")));
    json_decref(o);
    /* back to keep: values are kept from the next send on, and an
     * update before that is "not known", never a wrong old value */
    pipeline(d, NULL, KEEP, NULL, NULL);
    export(d, HEADER ABC_MAL XYZ);
    free(run(d, 0, NULL, NULL));
    o = show_json(d, "ABC001");
    CU_ASSERT(json_is_null(json_object_get(o, "changes")));
    json_decref(o);
    CU_ASSERT_EQUAL(state_rows(d, "SELECT count(*) FROM track_values"), 1);
    free(d);
}

/* Values with quotes, a newline, a delimiter, non-ASCII text, an empty
 * field: shown and given back exactly. */
static void test_values_round_trip(void)
{
    char *d = e2e_scratch("changes-round-trip");
    pipeline(d, NULL, KEEP, NULL, NULL);
    export(d, "code,name,city,note\n"
              "Q1,\"The \"\"Blue Door\"\", Bakery\",Zürich,\"line 1\nline 2\"\n");
    free(run(d, 0, NULL, NULL));
    target_down(d);
    export(d, "code,name,city,note\n"
              "Q1,\"The \"\"Red Door\"\" Bakery\",Zürich ✓,\n");
    free(run(d, 0, NULL, NULL));
    json_t *o = show_json(d, "Q1");
    CU_ASSERT(changes_are(o,
        "[{\"field\": \"name\", \"old\": \"The \\\"Blue Door\\\", Bakery\", "
        "\"new\": \"The \\\"Red Door\\\" Bakery\"}, "
        "{\"field\": \"city\", \"old\": \"Z\\u00fcrich\", "
        "\"new\": \"Z\\u00fcrich \\u2713\"}, "
        "{\"field\": \"note\", \"old\": \"line 1\\nline 2\", \"new\": null}]"));
    json_decref(o);
    char *text = show(d, "Q1");
    CU_ASSERT(e2e_contains(text, "  changed:    name: The \"Blue Door\", "
                                 "Bakery -> The \"Red Door\" Bakery\n"));
    CU_ASSERT(e2e_contains(text, "  changed:    city: Zürich -> Zürich ✓\n"));
    CU_ASSERT(e2e_contains(text, "  changed:    note: \"line 1\\nline 2\" -> "
                                 "(empty)\n"));
    free(text);
    free(d);
}

/* The kept values move with the snapshot, in its transaction: weir
 * killed after the target took a change (the lost answer) keeps them
 * as it keeps the snapshot.  The same export again: sent again, and
 * said why; the export moved on: the change is against the values
 * that were in doubt. */
static void test_kept_values_survive_a_crash(void)
{
    char *d = e2e_scratch("changes-crash");
    pipeline(d, NULL, KEEP, NULL, NULL);
    export(d, HEADER ABC_MAL XYZ);
    free(run(d, 0, NULL, NULL));
    pipeline(d, NULL, KEEP, NULL,
             "    <option name=\"crash-after-key\">ABC001</option>\n");
    export(d, HEADER ABC_SAL XYZ);
    e2e_result r = e2e_run(d, "run", "p.xml", "--plugin-path", PLUGINS, NULL);
    CU_ASSERT_EQUAL(r.status, 128 + SIGKILL);
    e2e_result_free(&r);
    pipeline(d, NULL, KEEP, NULL, NULL);
    target_down(d);
    free(run(d, 0, NULL, NULL));
    char *text = show(d, "ABC001");
    CU_ASSERT(e2e_contains(text, "\n  changed:    no field changed (sent "
                                 "again: the answer to its last send was "
                                 "lost)\n"));
    free(text);
    json_t *o = show_json(d, "ABC001");
    CU_ASSERT(changes_are(o, "[]"));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "resent")),
                           "in doubt");
    json_decref(o);

    /* again, and this time the export moves on before the next run */
    char *d2 = e2e_scratch("changes-crash-moved");
    pipeline(d2, NULL, KEEP, NULL, NULL);
    export(d2, HEADER ABC_MAL XYZ);
    free(run(d2, 0, NULL, NULL));
    pipeline(d2, NULL, KEEP, NULL,
             "    <option name=\"crash-after-key\">ABC001</option>\n");
    export(d2, HEADER ABC_SAL XYZ);
    r = e2e_run(d2, "run", "p.xml", "--plugin-path", PLUGINS, NULL);
    CU_ASSERT_EQUAL(r.status, 128 + SIGKILL);
    e2e_result_free(&r);
    pipeline(d2, NULL, KEEP, NULL, NULL);
    target_down(d2);
    export(d2, HEADER "ABC001,ABC Hardware,3 Main Road,Cape Town,TOM001,5000\n"
               XYZ);
    free(run(d2, 0, NULL, NULL));
    o = show_json(d2, "ABC001");
    CU_ASSERT(changes_are(o, "[{\"field\": \"sales_rep\", \"old\": \"SAL001\", "
                             "\"new\": \"TOM001\"}]"));
    json_decref(o);
    free(d2);
    free(d);
}

/* sqlite FROM.db -> <track key="code" changes="keep"> -> sqlite TO.db,
 * both with system= (echo suppression, pipeline-reference.md). */
static void sync_pipeline(const char *dir, const char *name, const char *from,
                          const char *to, const char *columns)
{
    char xml[2048], file[64];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"%s\" "
             "type=\"customer\">\n"
             "  <source plugin=\"sqlite\" name=\"%s\" system=\"%s\">\n"
             "    <option name=\"database\">%s.db</option>\n"
             "    <option name=\"query\">SELECT %s FROM customers</option>\n"
             "  </source>\n"
             "  <track key=\"code\" " KEEP "/>\n"
             "  <sink plugin=\"sqlite\" name=\"%s\" system=\"%s\">\n"
             "    <option name=\"database\">%s.db</option>\n"
             "    <option name=\"table\">customers</option>\n"
             "    <option name=\"key\">code</option>\n"
             "  </sink>\n"
             "</pipeline>\n",
             name, from, from, from, columns, to, to, to);
    snprintf(file, sizeof(file), "%s.xml", name);
    free(wt_write_file(dir, file, xml));
}

static void sql(const char *dir, const char *db, const char *text)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s.db", dir, db);
    sqlite3 *h;
    CU_ASSERT_FATAL(sqlite3_open(path, &h) == SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(h, text, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

/* Echo suppression: the ERP number weir wrote back into the CRM is no
 * change, and the kept values take it with the snapshot; the next real
 * edit is shown against them (the number is not "changed" again). */
static void test_echo_keeps_values(void)
{
    char *d = e2e_scratch("changes-echo");
    static const char table[] = "CREATE TABLE customers(code TEXT PRIMARY "
                                "KEY, name TEXT, city TEXT, erp_number TEXT);";
    char crm[256];
    snprintf(crm, sizeof(crm), "%sINSERT INTO customers VALUES ('C1', "
             "'Acme', 'Paris', NULL);", table);
    sql(d, "crm", crm);
    sql(d, "erp", table);
    sync_pipeline(d, "crm-to-erp", "crm", "erp", "code, name, city, erp_number");
    sync_pipeline(d, "erp-number", "erp", "crm", "code, erp_number");
    const char *to_erp[] = {"run", "crm-to-erp.xml", "--plugin-path", PLUGINS,
                            NULL, NULL, NULL};
    const char *back[] = {"run", "erp-number.xml", "--plugin-path", PLUGINS,
                          NULL};
    free(e2e_expectv(d, 0, to_erp));
    sql(d, "erp", "UPDATE customers SET erp_number = 'E-1';");
    free(e2e_expectv(d, 0, back));
    char *out = e2e_expectv(d, 0, to_erp);
    CU_ASSERT(e2e_contains(out, "1 unchanged"));
    free(out);
    sql(d, "crm", "UPDATE customers SET city = 'Lyon';");
    to_erp[4] = "--dry-run";
    to_erp[5] = "-v";
    out = e2e_expectv(d, 0, to_erp);
    CU_ASSERT(e2e_contains(out, "update C1\n  city: Paris -> Lyon\ncrm-to-erp:"));
    free(out);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("what changed in a tracked record", NULL, NULL);
    CU_add_test(s, "seed 001: sales_rep MAL001 -> SAL001", test_sales_rep_change);
    CU_add_test(s, "only tracked, not owned, fields", test_only_tracked_fields);
    CU_add_test(s, "a mapping table change: user old -> new",
                test_mapping_table_change);
    CU_add_test(s, "run --dry-run -v", test_dry_run_verbose);
    CU_add_test(s, "full refresh: no field changed", test_full_refresh);
    CU_add_test(s, "changes=\"none\" (the default) keeps and says nothing",
                test_changes_none);
    CU_add_test(s, "quotes, newlines, unicode round-trip",
                test_values_round_trip);
    CU_add_test(s, "kept values survive a crash like the snapshot",
                test_kept_values_survive_a_crash);
    CU_add_test(s, "an absorbed echo's values are kept", test_echo_keeps_values);
}
