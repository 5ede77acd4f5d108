/*
 * End-to-end: every documented value of every <track> option, shown by
 * its effect in the target (the testsink's own SQLite file), with the
 * real weir binary.  docs/pipeline-reference.md is the list.
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

/* csv in.csv -> <track ATTRS>BODY</track> -> testsink target.db */
static void pipeline(const char *dir, const char *attrs, const char *body)
{
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"opts\">\n"
             "  <source plugin=\"csv\" name=\"erp\" system=\"erp\">\n"
             "    <option name=\"path\">in.csv</option>\n"
             "  </source>\n"
             "  <track key=\"code\" %s>%s</track>\n"
             "  <sink plugin=\"testsink\" name=\"app\">\n"
             "    <option name=\"database\">target.db</option>\n"
             "  </sink>\n"
             "</pipeline>\n",
             attrs, body ? body : "");
    free(wt_write_file(dir, "p.xml", xml));
}

static void export(const char *dir, const char *csv)
{
    free(wt_write_file(dir, "in.csv", csv));
}

/* Run weir with up to two more arguments; expect exit `code`; returns
 * stdout and stderr together. (owned) */
static char *weir(const char *dir, int code, const char *a1, const char *a2)
{
    const char *args[] = {"run", "p.xml", "--plugin-path", PLUGINS, a1, a2,
                          NULL};
    return e2e_expectv(dir, code, args);
}

static long long target(const char *dir, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/target.db", dir);
    return e2e_query_int(path, sql);
}

#define TEN "code,name,city\nA1,a,x\nA2,b,x\nA3,c,x\nA4,d,x\nA5,e,x\n" \
            "A6,f,x\nA7,g,x\nA8,h,x\nA9,i,x\nA10,j,x\n"

/* deletes="ignore": rows missing from the export are never deleted in
 * the target: not by the guard's judgment, not with --force, not when
 * the export is empty. */
static void test_deletes_ignore(void)
{
    char *d = e2e_scratch("deletes-ignore");
    pipeline(d, "deletes=\"ignore\"", NULL);
    export(d, TEN);
    free(weir(d, 0, NULL, NULL));
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target"), 10);
    /* 3 of 10 left, one of them changed: the change goes, nothing is
     * deleted, and the guard (20%) has nothing to refuse */
    export(d, "code,name,city\nA1,a,x\nA2,B,x\nA3,c,x\n");
    char *out = weir(d, 0, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    CU_ASSERT(e2e_contains(out, "7 keys are no longer in the source; not "
                                "deleted (deletes=\"ignore\")"));
    CU_ASSERT(!strstr(out, " deletes in "));
    free(out);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target"), 10);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM applied WHERE op = 'delete'"), 0);
    /* --force and --full change nothing about it */
    out = weir(d, 0, "--force", "--full");
    free(out);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM applied WHERE op = 'delete'"), 0);
    /* an empty export either */
    export(d, "code,name,city\n");
    free(weir(d, 0, "--force", NULL));
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target"), 10);
    /* a dry run says none would go */
    out = weir(d, 0, "--dry-run", "-v");
    CU_ASSERT(!strstr(out, "delete A"));
    free(out);
    free(d);
}

/* deletes="ignore" holds for a delete already waiting in the outbox too
 * (queued while the pipeline still emitted deletes). */
static void test_deletes_ignore_waiting_in_outbox(void)
{
    char *d = e2e_scratch("deletes-ignore-outbox");
    static const char emit_down[] =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"opts\">\n"
        "  <source plugin=\"csv\" name=\"erp\"><option name=\"path\">"
        "in.csv</option></source>\n"
        "  <track key=\"code\" max-delete=\"off\" deletes=\"%s\"/>\n"
        "  <sink plugin=\"testsink\" name=\"app\">\n"
        "    <option name=\"database\">target.db</option>\n"
        "    <option name=\"down-file\">down</option>\n"
        "  </sink>\n"
        "</pipeline>\n";
    char xml[1024];
    snprintf(xml, sizeof(xml), emit_down, "emit");
    free(wt_write_file(d, "p.xml", xml));
    export(d, "code,name\nK1,a\nK2,b\n");
    free(weir(d, 0, NULL, NULL));
    free(wt_write_file(d, "down", ""));
    export(d, "code,name\nK1,a\n");
    char *out = weir(d, 0, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 held"));
    free(out);
    /* the admin says: never delete; the endpoint is back */
    snprintf(xml, sizeof(xml), emit_down, "ignore");
    free(wt_write_file(d, "p.xml", xml));
    char path[4200];
    snprintf(path, sizeof(path), "%s/down", d);
    CU_ASSERT_EQUAL(remove(path), 0);
    out = weir(d, 0, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 deletes waiting in the outbox were "
                                "discarded: the pipeline has deletes=\"ignore\""));
    free(out);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target WHERE key = 'K2'"), 1);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM applied WHERE op = 'delete'"), 0);
    free(d);
}

/* A filter choosing the target's records: before <track>, a record that
 * leaves it is deleted in the target; after <track>, deletes pass it (a
 * delete carries only its key: dropping it would keep the row for good). */
static void test_filters_and_deletes(void)
{
    static const char xml[] =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"opts\">\n"
        "  <source plugin=\"csv\" name=\"erp\"><option name=\"path\">"
        "in.csv</option></source>\n"
        "  %s\n"
        "  <sink plugin=\"testsink\" name=\"app\">\n"
        "    <option name=\"database\">target.db</option>\n"
        "  </sink>\n"
        "</pipeline>\n";
    static const char filter[] =
        "<transform plugin=\"filter\" name=\"active\">"
        "<keep field=\"status\" equals=\"active\"/></transform>";
    for (int after = 0; after <= 1; after++) {
        char *d = e2e_scratch(after ? "filter-after" : "filter-before");
        char body[512], text[1024];
        static const char track[] = "<track key=\"code\" max-delete=\"off\"/>";
        snprintf(body, sizeof(body), "%s%s", after ? track : filter,
                 after ? filter : track);
        snprintf(text, sizeof(text), xml, body);
        free(wt_write_file(d, "p.xml", text));
        export(d, "code,status\nA1,active\nA2,active\nA3,active\n");
        free(weir(d, 0, NULL, NULL));
        /* A3 leaves the export, A2 leaves the filter */
        export(d, "code,status\nA1,active\nA2,inactive\n");
        char *out = weir(d, 0, NULL, NULL);
        if (after)
            CU_ASSERT(e2e_contains(out, "after <track> dropped deletes; "
                                        "they go on"));
        free(out);
        CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target WHERE key = 'A3'"), 0);
        /* before <track> the filter decides what the target holds */
        CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target WHERE key = 'A2'"),
                        after ? 1 : 0);
        free(d);
    }
}

/* deletes="emit" (the default): a key gone from the export is deleted. */
static void test_deletes_emit(void)
{
    char *d = e2e_scratch("deletes-emit");
    pipeline(d, "deletes=\"emit\"", NULL);
    export(d, TEN);
    free(weir(d, 0, NULL, NULL));
    export(d, "code,name,city\nA1,a,x\nA2,b,x\nA3,c,x\nA4,d,x\nA5,e,x\n"
              "A6,f,x\nA7,g,x\nA8,h,x\nA9,i,x\n");
    char *out = weir(d, 0, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 deletes"));
    free(out);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target"), 9);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target WHERE key = 'A10'"), 0);
    free(d);
}

/* max-delete as a count, a percentage, 0 and off. */
static void test_max_delete_values(void)
{
    static const struct {
        const char *value;
        int refused; /* 8 of 10 rows gone */
    } cases[] = {{"7", 1}, {"8", 0}, {"79%", 1}, {"80%", 0}, {"0", 1},
                 {"off", 0}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char name[64], attrs[64];
        snprintf(name, sizeof(name), "max-delete-%zu", i);
        snprintf(attrs, sizeof(attrs), "max-delete=\"%s\"", cases[i].value);
        char *d = e2e_scratch(name);
        pipeline(d, attrs, NULL);
        export(d, TEN);
        free(weir(d, 0, NULL, NULL));
        export(d, "code,name,city\nA1,a,x\nA2,b,x\n");
        char *out = weir(d, cases[i].refused ? 3 : 0, "--json", NULL);
        /* a script tells a refusal from a failure by its class */
        CU_ASSERT(e2e_contains(out, cases[i].refused
                                        ? "\"error_class\":\"refused\""
                                        : "\"error_class\":null"));
        if (cases[i].refused)
            CU_ASSERT(e2e_contains(out, "nothing was changed"));
        free(out);
        CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target"),
                        cases[i].refused ? 10 : 2);
        free(d);
    }
}

/* fields: only the listed fields make a change. */
static void test_fields_subset(void)
{
    char *d = e2e_scratch("fields");
    pipeline(d, "fields=\"name\"", NULL);
    export(d, "code,name,city\nA1,Alpha,Durban\n");
    free(weir(d, 0, NULL, NULL));
    /* the city is not tracked: no change */
    export(d, "code,name,city\nA1,Alpha,Paarl\n");
    char *out = weir(d, 0, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 unchanged"));
    free(out);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target WHERE payload LIKE '%Durban%'"), 1);
    /* the name is: the whole record goes, city included */
    export(d, "code,name,city\nA1,Alpha Ltd,Paarl\n");
    out = weir(d, 0, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target WHERE payload LIKE '%Paarl%'"), 1);
    free(d);
}

/* fields="" would never detect a change: refused.  A misspelt field is
 * in no record: the run says so. */
static void test_fields_empty_or_misspelt(void)
{
    char *d = e2e_scratch("fields-bad");
    pipeline(d, "fields=\"\"", NULL);
    export(d, "code,name\nA1,Alpha\n");
    char *out = weir(d, 2, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "<track fields>: no field to compare"));
    free(out);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target"), -1);
    pipeline(d, "fields=\"nmae\"", NULL);
    out = weir(d, 0, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "<track fields> names 'nmae', which no record "
                                "of this run has"));
    free(out);
    free(d);
}

/* <field owner>: a field another system owns never reaches the target
 * from this pipeline, and changing it is no change. */
static void test_field_owner(void)
{
    char *d = e2e_scratch("owner");
    pipeline(d, "", "<field name=\"credit_limit\" owner=\"crm\"/>"
                    "<field name=\"name\" owner=\"erp\"/>");
    export(d, "code,name,credit_limit\nA1,Alpha,5000\n");
    free(weir(d, 0, NULL, NULL));
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target WHERE payload LIKE '%credit%'"), 0);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target WHERE payload LIKE '%Alpha%'"), 1);
    export(d, "code,name,credit_limit\nA1,Alpha,9000\n");
    char *out = weir(d, 0, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 unchanged"));
    free(out);
    free(d);
}

/* full-refresh: when the last one is older, every record goes again. */
static void test_full_refresh_due(void)
{
    char *d = e2e_scratch("full-refresh");
    pipeline(d, "full-refresh=\"7d\"", NULL);
    export(d, "code,name\nA1,a\nA2,b\n");
    free(weir(d, 0, NULL, NULL));
    char *out = weir(d, 0, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "2 unchanged"));
    free(out);
    /* 8 days later: the last full refresh is older than 7d */
    e2e_clock_offset("8d");
    out = weir(d, 0, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "2 written"));
    free(out);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM applied WHERE op = 'update'"), 2);
    /* and the clock started again */
    out = weir(d, 0, NULL, NULL);
    e2e_clock_offset(NULL);
    CU_ASSERT(e2e_contains(out, "2 unchanged"));
    free(out);
    free(d);
}

/* A NUL or control byte in a key says so, not "missing". */
static void test_key_with_control_byte(void)
{
    char *d = e2e_scratch("key-bytes");
    pipeline(d, "", NULL);
    export(d, "code,name\nA\x1f" "1,a\nA2,b\n");
    char *out = weir(d, 1, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "key field code holds a NUL byte or the "
                                "control character 0x1F"));
    free(out);
    CU_ASSERT_EQUAL(target(d, "SELECT count(*) FROM target"), 1);
    free(d);
}

/* ---- rows by column ----------------------------------------------
 * The csv source adds whole rows by column (host->batch_add_row) and
 * <track> reads their key and hash by position; a record any stage
 * changed is read by name.  The same runs through a pipeline whose
 * transform before <track> sets a field to its own value (the record as
 * it was, changed by name: never read by column) give the same outcome,
 * run by run. */

/* `dir`'s pipeline: by column unless `by_name`. */
static void rows_pipeline(const char *dir, int by_name, const char *attrs,
                          const char *crash_key)
{
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"rows\">\n"
             "  <source plugin=\"csv\" name=\"erp\" system=\"erp\">\n"
             "    <option name=\"path\">in.csv</option>\n"
             "  </source>\n%s"
             "  <track key=\"code\" %s>"
             "<field name=\"credit\" owner=\"crm\"/>"
             "<field name=\"city\" owner=\"erp\"/></track>\n"
             "  <sink plugin=\"testsink\" name=\"app\">\n"
             "    <option name=\"database\">target.db</option>\n%s%s%s"
             "  </sink>\n"
             "</pipeline>\n",
             by_name ? "  <transform plugin=\"map\" name=\"same\">"
                       "<rename from=\"name\" to=\"n2\"/>"
                       "<rename from=\"n2\" to=\"name\"/></transform>\n"
                     : "",
             attrs, crash_key ? "<option name=\"crash-after-key\">" : "",
             crash_key ? crash_key : "", crash_key ? "</option>\n" : "");
    free(wt_write_file(dir, "p.xml", xml));
}

/* weir's output without debug lines, times and durations. (owned) */
static char *normalized(const char *out)
{
    char *norm = calloc(1, strlen(out) + 1), *o = norm;
    for (const char *line = out; norm && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *w = strstr(line, "weir: ");
        if (w && w < line + len && line[0] >= '0' && line[0] <= '9') {
            len -= (size_t)(w - line); /* the time stamp */
            line = w;
        }
        const char *in = strstr(line, " in ");
        if (in && in < line + len && strstr(line, " read, "))
            len = (size_t)(in - line); /* the duration */
        if (!memmem(line, len, "debug:", 6)) {
            memcpy(o, line, len);
            o += len;
            *o++ = '\n';
        }
        line += len;
        line += strcspn(line, "\n");
        line += *line == '\n';
    }
    return norm;
}

/* The target as testsink holds it: rows and every applied send. */
static char *target_dump(const char *dir)
{
    char path[4200], *dump = NULL;
    snprintf(path, sizeof(path), "%s/target.db", dir);
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(
                db, "SELECT group_concat(x, char(10)) FROM ("
                    "SELECT key || ' ' || payload AS x FROM target "
                    "UNION ALL SELECT id || ' ' || key || ' ' || op || ' ' || "
                    "payload FROM applied ORDER BY x)",
                -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            dump = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return dump ? dump : strdup("");
}

/* One step in both folders: `csv` exported, weir run with `a1` and `a2`
 * (nullable), exit `code`, `expect` (nullable) in the output; the same
 * output, target and snapshot.  `by_column`: how many records the first
 * folder's run reads by column ("<track> read N of"). */
static void rows_step(char *const dirs[2], const char *csv, int code,
                      const char *by_column, const char *expect,
                      const char *a1, const char *a2)
{
    char *out[2], *dump[2];
    for (int i = 0; i < 2; i++) {
        free(wt_write_file(dirs[i], "in.csv", csv));
        const char *args[] = {"run", "p.xml", "-v", "--plugin-path", PLUGINS,
                              a1, a2, NULL};
        e2e_result r = e2e_runv(dirs[i], args);
        CU_ASSERT_EQUAL(r.status, code);
        if (r.status != code)
            printf("\n  exit %d, not %d:\n%s%s", r.status, code, r.out, r.err);
        char *both = malloc(strlen(r.out) + strlen(r.err) + 1);
        strcpy(stpcpy(both, r.out), r.err);
        char want[64];
        snprintf(want, sizeof(want), "<track> read %s of", i ? "0" : by_column);
        if (code != 128 + SIGKILL)
            CU_ASSERT(e2e_contains(both, want));
        if (expect)
            CU_ASSERT(e2e_contains(both, expect));
        out[i] = normalized(both);
        free(both);
        e2e_result_free(&r);
        dump[i] = target_dump(dirs[i]);
    }
    if (strcmp(out[0], out[1]) != 0)
        printf("\n  by column:\n%s  by name:\n%s", out[0], out[1]);
    CU_ASSERT_STRING_EQUAL(out[0], out[1]);
    CU_ASSERT_STRING_EQUAL(dump[0], dump[1]);
    CU_ASSERT_EQUAL(e2e_status_int(dirs[0], "rows", NULL, "snapshot.keys"),
                    e2e_status_int(dirs[1], "rows", NULL, "snapshot.keys"));
    for (int i = 0; i < 2; i++) {
        free(out[i]);
        free(dump[i]);
    }
}

/* The base export: NULL and empty, a duplicate, a row without a key, a
 * malformed row (key readable), a quoted line break. */
#define ROWS_BASE "code,name,city,credit\n" \
    "A1,Alpha,Durban,100\nA2,,Paarl,200\nA3,\"\",Paarl,300\n" \
    "A4,\"Beta, Ltd\",x,1\nA4,dup,x,2\n,nokey,x,3\n" \
    "A5,\"two\nlines\",y,5\nA6,short\nA7,z,z,7\nA9,\"q\"\"d\",q,9\n"
/* credit changed (owned by crm: no change), NULL and empty swapped, A5
 * gone, A6 whole, A8 new, A7 twice */
#define ROWS_NEXT "code,name,city,credit\n" \
    "A1,Alpha,Durban,999\nA2,\"\",Paarl,200\nA3,,Paarl,300\n" \
    "A4,\"Beta, Ltd\",x,1\nA6,six,s,6\nA7,z,z,7\nA8,new,n,8\n" \
    "A7,z,z,7\nA9,\"q\"\"d\",q,9\n"
/* a row without a key (deletes off), the city changed */
#define ROWS_NOKEY "code,name,city,credit\n" \
    "A1,Alpha,Paarl,999\nA2,\"\",Paarl,200\n,x,x,x\nA4,\"Beta, Ltd\",x,1\n" \
    "A6,six,s,6\nA8,new,n,8\nA9,\"q\"\"d\",q,9\n"
/* A4 and A9 gone, a name changed */
#define ROWS_LAST "code,name,city,credit\n" \
    "A1,Alpha,Paarl,999\nA2,\"\",Paarl,200\nA6,six!,s,6\nA8,new,n,8\n"

static void rows_scenario(const char *name, const char *attrs)
{
    char *dirs[2];
    char sub[64];
    for (int i = 0; i < 2; i++) {
        snprintf(sub, sizeof(sub), "%s-%s", name, i ? "by-name" : "by-column");
        dirs[i] = e2e_scratch(sub);
        rows_pipeline(dirs[i], i, attrs, NULL);
    }
    rows_step(dirs, ROWS_BASE, 1, "8", NULL, NULL, NULL);
    rows_step(dirs, ROWS_BASE, 1, "8", NULL, NULL, NULL);
    rows_step(dirs, ROWS_NEXT, 1, "9", NULL, "--dry-run", NULL);
    rows_step(dirs, ROWS_NEXT, 1, "9", NULL, NULL, NULL);
    rows_step(dirs, ROWS_NOKEY, 1, "6", NULL, NULL, NULL);
    rows_step(dirs, ROWS_NOKEY, 1, "6", NULL, "--full", NULL);
    /* the delete guard: half of the keys would go */
    rows_step(dirs, ROWS_LAST, 3, "4", NULL, "--dry-run", NULL);
    rows_step(dirs, ROWS_LAST, 0, "4", NULL, "--dry-run", "--force");
    /* the answers of A6's batch lost: its changes in doubt, sent again */
    for (int i = 0; i < 2; i++)
        rows_pipeline(dirs[i], i, attrs, "A6");
    rows_step(dirs, ROWS_LAST, 128 + SIGKILL, "", NULL, "--force", NULL);
    for (int i = 0; i < 2; i++)
        rows_pipeline(dirs[i], i, attrs, NULL);
    rows_step(dirs, ROWS_LAST, 0, "4",
              "stopped before it recorded what the targets answered for 1 "
              "changes", "--force", NULL);
    rows_step(dirs, ROWS_LAST, 0, "4", NULL, NULL, NULL);
    for (int i = 0; i < 2; i++)
        free(dirs[i]);
}

static void test_rows_by_column(void) { rows_scenario("rows", ""); }

static void test_rows_by_column_fields(void)
{
    rows_scenario("rows-fields", "fields=\"name credit nothing\"");
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("<track> options in the target", NULL, NULL);
    CU_add_test(s, "deletes=\"ignore\" never deletes", test_deletes_ignore);
    CU_add_test(s, "deletes=\"ignore\" also for deletes in the outbox",
                test_deletes_ignore_waiting_in_outbox);
    CU_add_test(s, "deletes=\"emit\" deletes", test_deletes_emit);
    CU_add_test(s, "filters before and after <track>, and deletes",
                test_filters_and_deletes);
    CU_add_test(s, "max-delete: count, percentage, 0, off", test_max_delete_values);
    CU_add_test(s, "fields: only those make a change", test_fields_subset);
    CU_add_test(s, "fields empty refused, misspelt warned",
                test_fields_empty_or_misspelt);
    CU_add_test(s, "<field owner> never sent", test_field_owner);
    CU_add_test(s, "full-refresh when due", test_full_refresh_due);
    CU_add_test(s, "a control byte in a key", test_key_with_control_byte);
    CU_add_test(s, "rows read by column: the same as by name",
                test_rows_by_column);
    CU_add_test(s, "rows read by column, <track fields>: the same as by name",
                test_rows_by_column_fields);
}
