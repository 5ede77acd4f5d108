/*
 * test_lookup.c - the lookup transform against the real core, through the
 * test harness: SQLite and CSV references, composite keys, renamed match
 * columns, field subsets, prefixes, every on-missing mode, NULL keys,
 * duplicate and malformed references refused at open, hostile table names
 * and the problems check() reports.
 */
#include <CUnit/CUnit.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cunit_main.h"
#include "harness.h"

#define OPT(name, value) "<option name=\"" name "\">" value "</option>\n"

/* Create (replacing) SQLite file `name` in the scratch dir with `sql`. */
static void make_db(const char *name, const char *sql)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", wt_tmpdir(), name);
    remove(path);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "make_db: %s\n", err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(db);
    CU_ASSERT_EQUAL_FATAL(rc, SQLITE_OK);
}

static void make_file(const char *name, const char *text)
{
    free(wt_write_file(wt_tmpdir(), name, text));
}

/* The seed-001 mapping table: sales-rep code -> app user. */
static void make_reps(void)
{
    make_db("mapping.db",
            "CREATE TABLE rep_users(rep_code TEXT, user TEXT, region TEXT,"
            " phone TEXT, level INTEGER);"
            "INSERT INTO rep_users VALUES('SAL001','sally','north','',3);"
            "INSERT INTO rep_users VALUES('MAL001','mallory',NULL,'555',7);"
            "INSERT INTO rep_users VALUES('', 'nobody','none',NULL,NULL);");
}

static wt_plugin *open_lookup(const char *body)
{
    return wt_open_transform("lookup", "lk", body);
}

static int validate(const char *body)
{
    return wt_validate_transform("lookup", "lk", body);
}

static int errors_have(const char *text)
{
    if (strstr(wt_last_errors(), text))
        return 1;
    fprintf(stderr, "no \"%s\" in:\n%s\n", text, wt_last_errors());
    return 0;
}

static const char *message(const weir_record *r)
{
    const char *m = NULL;
    wt_result(r, &m, NULL);
    return m ? m : "";
}

#define SEED001                                                             \
    OPT("database", "mapping.db")                                           \
    OPT("table", "rep_users") OPT("key", "sales_rep")                       \
    OPT("match", "rep_code")

/* ---- SQLite references --------------------------------------------- */

static void test_seed001(void)
{
    make_reps();
    wt_plugin *p = open_lookup(SEED001 OPT("fields", "user"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(8);
    weir_record *a = wt_add(b, WEIR_OP_UPSERT, "code", "ABC001", "sales_rep",
                            "SAL001", NULL);
    weir_record *m = wt_add(b, WEIR_OP_UPSERT, "code", "ABC002", "sales_rep",
                            "MAL001", "user", "stale", NULL);
    weir_record *x = wt_add(b, WEIR_OP_UPSERT, "code", "ABC003", "sales_rep",
                            "SAL009", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_result(a, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(a, "user"), "sally");
    CU_ASSERT_FALSE(wt_has(a, "region")); /* fields="user" only */
    CU_ASSERT_FALSE(wt_has(a, "rep_code"));
    CU_ASSERT_STRING_EQUAL(wt_get(a, "sales_rep"), "SAL001");
    CU_ASSERT_STRING_EQUAL(wt_get(m, "user"), "mallory"); /* replaced */
    CU_ASSERT_EQUAL(wt_result(x, NULL, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(message(x), "no rep_users row for sales_rep=SAL009");
    CU_ASSERT_FALSE(wt_has(x, "user"));
    wt_batch_free(b);
    wt_close(p);
}

static void test_sqlite_all_fields_null_empty(void)
{
    make_reps();
    wt_plugin *p = open_lookup(SEED001);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(8);
    weir_record *a = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "SAL001", NULL);
    weir_record *m = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "MAL001", NULL);
    weir_record *e = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    /* every column but the matched one */
    CU_ASSERT_STRING_EQUAL(wt_get(a, "user"), "sally");
    CU_ASSERT_STRING_EQUAL(wt_get(a, "region"), "north");
    CU_ASSERT_FALSE(wt_has(a, "rep_code"));
    CU_ASSERT_TRUE(wt_has(a, "phone"));
    CU_ASSERT_STRING_EQUAL(wt_get(a, "phone"), ""); /* empty stays empty */
    CU_ASSERT_STRING_EQUAL(wt_get(a, "level"), "3"); /* integer as text */
    CU_ASSERT_TRUE(wt_has(m, "region"));
    CU_ASSERT_PTR_NULL(wt_get(m, "region")); /* NULL stays NULL */
    CU_ASSERT_STRING_EQUAL(wt_get(m, "phone"), "555");
    /* the empty code is a key like any other */
    CU_ASSERT_EQUAL(wt_result(e, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(e, "user"), "nobody");
    CU_ASSERT_PTR_NULL(wt_get(e, "phone"));
    CU_ASSERT_TRUE(wt_has(e, "phone"));
    wt_batch_free(b);
    wt_close(p);
}

static void test_same_names(void)
{
    make_db("same.db", "CREATE TABLE t(code TEXT PRIMARY KEY, name TEXT);"
                       "INSERT INTO t VALUES('C1','Acme'),('C2','Bolt');");
    wt_plugin *p = open_lookup(OPT("database", "same.db") OPT("table", "t")
                                   OPT("key", "code"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *r = wt_add(b, WEIR_OP_UPSERT, "code", "C2", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(r, "name"), "Bolt");
    CU_ASSERT_STRING_EQUAL(wt_get(r, "code"), "C2");
    wt_batch_free(b);
    wt_close(p);
}

static void test_composite_key(void)
{
    make_db("prices.db",
            "CREATE TABLE prices(item TEXT, list TEXT, price TEXT);"
            "INSERT INTO prices VALUES('A','retail','10'),('A','trade','8'),"
            "('B','retail','20'),('a b','c','split1'),('a','b c','split2');");
    wt_plugin *p = open_lookup(OPT("database", "prices.db")
                                   OPT("table", "prices")
                                   OPT("key", "sku pricelist")
                                   OPT("match", "item list"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(8);
    weir_record *r1 = wt_add(b, WEIR_OP_UPSERT, "sku", "A", "pricelist",
                             "trade", NULL);
    weir_record *r2 = wt_add(b, WEIR_OP_UPSERT, "sku", "B", "pricelist",
                             "retail", NULL);
    weir_record *r3 = wt_add(b, WEIR_OP_UPSERT, "sku", "B", "pricelist",
                             "trade", NULL);
    weir_record *r4 = wt_add(b, WEIR_OP_UPSERT, "sku", "a", "pricelist",
                             "b c", NULL);
    weir_record *r5 = wt_add(b, WEIR_OP_UPSERT, "pricelist", "trade", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(r1, "price"), "8");
    CU_ASSERT_STRING_EQUAL(wt_get(r2, "price"), "20");
    CU_ASSERT_EQUAL(wt_result(r3, NULL, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(message(r3),
                           "no prices row for sku=B, pricelist=trade");
    CU_ASSERT_STRING_EQUAL(wt_get(r4, "price"), "split2");
    CU_ASSERT_EQUAL(wt_result(r5, NULL, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(message(r5),
                           "no prices row for sku=NULL, pricelist=trade");
    wt_batch_free(b);
    wt_close(p);
}

static void test_prefix_and_subset(void)
{
    make_reps();
    wt_plugin *p = open_lookup(SEED001 OPT("fields", "region user")
                                   OPT("prefix", "rep_"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *r = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "SAL001",
                            "user", "keep-me", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(r, "rep_user"), "sally");
    CU_ASSERT_STRING_EQUAL(wt_get(r, "rep_region"), "north");
    CU_ASSERT_STRING_EQUAL(wt_get(r, "user"), "keep-me");
    CU_ASSERT_FALSE(wt_has(r, "rep_phone"));
    CU_ASSERT_FALSE(wt_has(r, "region"));
    wt_batch_free(b);
    wt_close(p);
}

/* ---- on-missing ----------------------------------------------------- */

static void test_on_missing_default(void)
{
    make_reps();
    wt_plugin *p = open_lookup(SEED001 OPT("fields", "user region phone")
                                   OPT("on-missing", "default")
                                   OPT("default", "user=unassigned")
                                   OPT("default", "region=a=b c"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *x = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "NOPE", "phone",
                            "old", NULL);
    weir_record *a = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "SAL001", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_result(x, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(x, "user"), "unassigned");
    CU_ASSERT_STRING_EQUAL(wt_get(x, "region"), "a=b c");
    CU_ASSERT_TRUE(wt_has(x, "phone")); /* no default: NULL */
    CU_ASSERT_PTR_NULL(wt_get(x, "phone"));
    CU_ASSERT_STRING_EQUAL(wt_get(a, "user"), "sally");
    wt_batch_free(b);
    wt_close(p);
}

static void test_on_missing_keep(void)
{
    make_reps();
    wt_plugin *p = open_lookup(SEED001 OPT("fields", "user")
                                   OPT("on-missing", "keep"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *x = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "NOPE", "user",
                            "manual", NULL);
    weir_record *n = wt_add(b, WEIR_OP_UPSERT, "sales_rep", WT_NULL, NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_result(x, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(x, "user"), "manual");
    CU_ASSERT_EQUAL(wt_result(n, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_FALSE(wt_has(n, "user"));
    wt_batch_free(b);
    wt_close(p);
}

static void test_on_missing_null(void)
{
    make_reps();
    wt_plugin *p = open_lookup(SEED001 OPT("fields", "user region")
                                   OPT("on-missing", "null"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *x = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "NOPE", "user",
                            "stale", NULL);
    weir_record *m = wt_add(b, WEIR_OP_UPSERT, "code", "C9", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_result(x, NULL, NULL), WEIR_RESULT_OK);
    CU_ASSERT_TRUE(wt_has(x, "user"));
    CU_ASSERT_PTR_NULL(wt_get(x, "user"));
    CU_ASSERT_TRUE(wt_has(x, "region"));
    CU_ASSERT_PTR_NULL(wt_get(x, "region"));
    CU_ASSERT_TRUE(wt_has(m, "user")); /* missing key field: no row */
    CU_ASSERT_PTR_NULL(wt_get(m, "user"));
    wt_batch_free(b);
    wt_close(p);
}

static void test_null_key_rejects(void)
{
    make_reps();
    wt_plugin *p = open_lookup(SEED001 OPT("fields", "user"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *n = wt_add(b, WEIR_OP_UPSERT, "sales_rep", WT_NULL, NULL);
    weir_record *m = wt_add(b, WEIR_OP_UPSERT, "code", "X", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_result(n, NULL, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(message(n), "no rep_users row for sales_rep=NULL");
    CU_ASSERT_EQUAL(wt_result(m, NULL, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(message(m), "no rep_users row for sales_rep=NULL");
    wt_batch_free(b);
    wt_close(p);
}

static void test_null_reference_key_skipped(void)
{
    /* two NULL codes are not duplicates, and never match */
    make_db("nulls.db", "CREATE TABLE t(code TEXT, v TEXT);"
                        "INSERT INTO t VALUES(NULL,'x'),(NULL,'y'),('A','a');");
    wt_plugin *p = open_lookup(OPT("database", "nulls.db") OPT("table", "t")
                                   OPT("key", "code") OPT("on-missing", "null"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *a = wt_add(b, WEIR_OP_UPSERT, "code", "A", NULL);
    weir_record *e = wt_add(b, WEIR_OP_UPSERT, "code", "", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(a, "v"), "a");
    CU_ASSERT_PTR_NULL(wt_get(e, "v"));
    wt_batch_free(b);
    wt_close(p);
}

/* ---- CSV references ------------------------------------------------- */

static void test_csv_quoting(void)
{
    make_file("reps.csv",
              "\xEF\xBB\xBF"
              "rep_code,user,note\r\n"
              "SAL001,sally,\"north, upper\"\r\n"
              "\"MAL,001\",\"mal \"\"the\"\" lory\",\"two\r\nlines\"\r\n"
              "EMP001,,\"\"\r\n"
              "\"\",blank-code,x\n"
              "UNI001,J\xC3\xBCrgen,\xE2\x82\xAC\n"
              "\n\r\n");
    wt_plugin *p = open_lookup(OPT("path", "reps.csv") OPT("key", "sales_rep")
                                   OPT("match", "rep_code"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(8);
    weir_record *a = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "SAL001", NULL);
    weir_record *m = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "MAL,001", NULL);
    weir_record *e = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "EMP001", NULL);
    weir_record *z = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "", NULL);
    weir_record *u = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "UNI001", NULL);
    weir_record *x = wt_add(b, WEIR_OP_UPSERT, "sales_rep", "NOPE", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(a, "note"), "north, upper");
    CU_ASSERT_STRING_EQUAL(wt_get(m, "user"), "mal \"the\" lory");
    CU_ASSERT_STRING_EQUAL(wt_get(m, "note"), "two\r\nlines");
    CU_ASSERT_TRUE(wt_has(e, "user"));
    CU_ASSERT_PTR_NULL(wt_get(e, "user")); /* unquoted empty: NULL */
    CU_ASSERT_STRING_EQUAL(wt_get(e, "note"), ""); /* "": empty */
    CU_ASSERT_STRING_EQUAL(wt_get(z, "user"), "blank-code");
    CU_ASSERT_STRING_EQUAL(wt_get(u, "user"), "J\xC3\xBCrgen");
    CU_ASSERT_STRING_EQUAL(wt_get(u, "note"), "\xE2\x82\xAC");
    CU_ASSERT_EQUAL(wt_result(x, NULL, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(message(x), "no reps.csv row for sales_rep=NOPE");
    wt_batch_free(b);
    wt_close(p);
}

static void test_csv_delimiter(void)
{
    make_file("semi.csv", "code;name\nA;x,y\nB;\"q;r\"");
    wt_plugin *p = open_lookup(OPT("path", "semi.csv") OPT("key", "code")
                                   OPT("delimiter", ";"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *a = wt_add(b, WEIR_OP_UPSERT, "code", "A", NULL);
    weir_record *c = wt_add(b, WEIR_OP_UPSERT, "code", "B", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(a, "name"), "x,y");
    CU_ASSERT_STRING_EQUAL(wt_get(c, "name"), "q;r"); /* no final newline */
    wt_batch_free(b);
    wt_close(p);

    make_file("tab.csv", "code\tname\nA\tx y\n");
    p = open_lookup(OPT("path", "tab.csv") OPT("key", "code")
                        OPT("delimiter", "tab"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    b = wt_batch_new(4);
    a = wt_add(b, WEIR_OP_UPSERT, "code", "A", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(a, "name"), "x y");
    wt_batch_free(b);
    wt_close(p);
}

static void test_csv_header_only(void)
{
    make_file("empty_rows.csv", "code,name\n");
    wt_plugin *p = open_lookup(OPT("path", "empty_rows.csv")
                                   OPT("key", "code"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *a = wt_add(b, WEIR_OP_UPSERT, "code", "A", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_result(a, NULL, NULL), WEIR_RESULT_REJECT);
    wt_batch_free(b);
    wt_close(p);
}

/* Open `body` expecting failure with `text` in the diagnostics. */
static void expect_open_error(const char *body, const char *text)
{
    wt_plugin *p = open_lookup(body);
    CU_ASSERT_PTR_NULL(p);
    if (p)
        wt_close(p);
    CU_ASSERT(errors_have(text));
}

static void test_csv_malformed(void)
{
    static const struct {
        const char *text, *error;
    } cases[] = {
        {"code,name\nA,\"open\nB,x\n", "line 2: unterminated quote"},
        {"code,name\nA,x\nB,x,extra\n", "line 3: expected 2 fields, got 3"},
        {"code,name\nA,x\nB\n", "line 3: expected 2 fields, got 1"},
        {"code,name\nA,\"x\"y\n", "line 2: text after the closing quote"},
        {"code,name\nA,x\"y\n", "line 2: quote character inside an unquoted"},
        {"code,name\nA,\xC3\x28\n", "line 2: invalid UTF-8 in column 2"},
        {"code,name\nA,x\n\nB,y\n", "line 3: blank line"},
        {"code,,name\n", "line 1: header column 2 has an empty name"},
        {"code,name,code\n", "columns 1 and 3 have the same name 'code'"},
        {"", "is empty"},
        {"code,name\r\nA,\"multi\r\nline\"\r\nB,\"x\"\"\r\n",
         "line 4: unterminated quote"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        make_file("bad.csv", cases[i].text);
        expect_open_error(OPT("path", "bad.csv") OPT("key", "code"),
                          cases[i].error);
        CU_ASSERT(errors_have("bad.csv"));
    }
}

/* ---- refused at open ------------------------------------------------ */

static void test_duplicate_keys(void)
{
    make_db("dup.db", "CREATE TABLE rep_users(rep_code TEXT, user TEXT);"
                      "INSERT INTO rep_users VALUES('SAL001','sally'),"
                      "('MAL001','mal'),('SAL001','sam');");
    expect_open_error(OPT("database", "dup.db") OPT("table", "rep_users")
                          OPT("key", "sales_rep") OPT("match", "rep_code"),
                      "duplicate key rep_code=SAL001 (row 1 and row 3)");
    CU_ASSERT(errors_have("ambiguous"));

    make_file("dup.csv", "a,b,v\n1,2,x\n1,3,y\n1,2,z\n");
    expect_open_error(OPT("path", "dup.csv") OPT("key", "a b"),
                      "duplicate key a=1, b=2 (line 2 and line 4)");
    CU_ASSERT(errors_have("dup.csv"));
}

static void test_missing_reference(void)
{
    make_reps();
    expect_open_error(OPT("database", "mapping.db") OPT("table", "nope")
                          OPT("key", "sales_rep"),
                      "no such table: nope");
    expect_open_error(OPT("database", "absent.db") OPT("table", "t")
                          OPT("key", "k"),
                      "absent.db");
    expect_open_error(OPT("path", "absent.csv") OPT("key", "k"),
                      "absent.csv: No such file or directory");
    expect_open_error(SEED001 OPT("fields", "user email"),
                      "has no column 'email'");
    expect_open_error(OPT("database", "mapping.db") OPT("table", "rep_users")
                          OPT("key", "sales_rep"),
                      "has no column 'sales_rep' (match)");
    make_file("k.csv", "code,name\n");
    expect_open_error(OPT("path", "k.csv") OPT("key", "code")
                          OPT("on-missing", "default")
                          OPT("default", "nmae=x"),
                      "'nmae' is not a column copied");
}

static void test_hostile_identifiers(void)
{
    make_db("hostile.db",
            "CREATE TABLE \"we\"\"ird; DROP TABLE keep; --\"(\"k ey\" TEXT,"
            " \"v\"\"al\" TEXT);"
            "INSERT INTO \"we\"\"ird; DROP TABLE keep; --\" VALUES('A','x');"
            "CREATE TABLE keep(a);");
    wt_plugin *p = open_lookup(
        OPT("database", "hostile.db")
            OPT("table", "we\"ird; DROP TABLE keep; --")
                OPT("key", "code") OPT("match", "k ey"));
    /* "k ey" is two words in a list: match has 2 names for 1 key field */
    CU_ASSERT_PTR_NULL(p);
    if (p)
        wt_close(p);
    p = open_lookup(OPT("database", "hostile.db")
                        OPT("table", "we&quot;ird; DROP TABLE keep; --")
                            OPT("key", "code") OPT("match", "k"));
    CU_ASSERT_PTR_NULL(p); /* no column "k" */
    if (p)
        wt_close(p);
    CU_ASSERT(errors_have("has no column 'k'"));

    make_db("hostile2.db",
            "CREATE TABLE \"t\"\"; DROP TABLE keep; --\"(code TEXT,"
            " \"v\"\"al\" TEXT);"
            "INSERT INTO \"t\"\"; DROP TABLE keep; --\" VALUES('A','x');"
            "CREATE TABLE keep(a); CREATE TABLE t(code TEXT, other TEXT);");
    p = open_lookup(OPT("database", "hostile2.db")
                        OPT("table", "t\"; DROP TABLE keep; --")
                            OPT("key", "code"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(4);
    weir_record *a = wt_add(b, WEIR_OP_UPSERT, "code", "A", NULL);
    CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
    CU_ASSERT_STRING_EQUAL(wt_get(a, "v\"al"), "x");
    CU_ASSERT_FALSE(wt_has(a, "other"));
    wt_batch_free(b);
    wt_close(p);

    /* a name that is not there reads nothing and drops nothing */
    expect_open_error(OPT("database", "hostile2.db")
                          OPT("table", "keep\"; DROP TABLE keep; --")
                              OPT("key", "code"),
                      "no such table");
    char path[4096];
    snprintf(path, sizeof path, "%s/hostile2.db", wt_tmpdir());
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "SELECT * FROM keep", NULL, NULL, NULL),
                    SQLITE_OK);
    sqlite3_close(db);
}

/* ---- check() -------------------------------------------------------- */

static void test_check_errors(void)
{
    /* the transform element is on line 3: options report against it */
    CU_ASSERT(validate(OPT("key", "k")) >= 1);
    CU_ASSERT(wt_has_error(3, "no reference"));

    CU_ASSERT(validate(OPT("database", "a.db") OPT("table", "t")
                           OPT("path", "a.csv") OPT("key", "k")) >= 1);
    CU_ASSERT(wt_has_error(3, "not both"));

    CU_ASSERT(validate(OPT("database", "a.db") OPT("key", "k")) >= 1);
    CU_ASSERT(wt_has_error(3, "\"database\" needs \"table\""));

    CU_ASSERT(validate(OPT("path", "a.csv") OPT("table", "t")
                           OPT("key", "k")) >= 1);
    CU_ASSERT(wt_has_error(3, "\"table\" needs \"database\""));

    CU_ASSERT(validate(OPT("path", "a.csv") OPT("key", "a b")
                           OPT("match", "x")) >= 1);
    CU_ASSERT(wt_has_error(3, "\"match\" names 1 column(s) but \"key\" 2"));

    CU_ASSERT(validate(OPT("path", "a.csv") OPT("key", "a a")) >= 1);
    CU_ASSERT(wt_has_error(3, "\"key\" names 'a' twice"));

    CU_ASSERT(validate(OPT("path", "a.csv") OPT("key", " ")) >= 1);
    CU_ASSERT(wt_has_error(3, "\"key\" names no field"));

    CU_ASSERT(validate(OPT("path", "a.csv") OPT("key", "k")
                           OPT("fields", "x y x")) >= 1);
    CU_ASSERT(wt_has_error(3, "\"fields\" names 'x' twice"));

    CU_ASSERT(validate(OPT("path", "a.csv") OPT("key", "k")
                           OPT("default", "x=1")) >= 1);
    CU_ASSERT(wt_has_error(3, "only used with on-missing=default"));

    CU_ASSERT(validate(OPT("path", "a.csv") OPT("key", "k")
                           OPT("on-missing", "default")) >= 1);
    CU_ASSERT(wt_has_error(3, "needs \"default\""));

    CU_ASSERT_EQUAL(validate(OPT("path", "a.csv") OPT("key", "k")
                                 OPT("fields", "x y")
                                 OPT("on-missing", "default")
                                 OPT("default", "novalue")
                                 OPT("default", "=v")
                                 OPT("default", "z=1")
                                 OPT("default", "x=1")
                                 OPT("default", "x=2")),
                    4);
    CU_ASSERT(wt_has_error(3, "'novalue' is not name=value"));
    CU_ASSERT(wt_has_error(3, "'=v' is not name=value"));
    CU_ASSERT(wt_has_error(3, "'z' is not one of \"fields\""));
    CU_ASSERT(wt_has_error(3, "given twice for 'x'"));

    CU_ASSERT(validate(OPT("database", "a.db") OPT("table", "t")
                           OPT("key", "k") OPT("delimiter", ";")) >= 1);
    CU_ASSERT(wt_has_error(3, "\"delimiter\" applies to a CSV"));

    CU_ASSERT(validate(OPT("path", "a.csv") OPT("key", "k")
                           OPT("delimiter", "\"")) >= 1);
    CU_ASSERT(wt_has_error(3, "cannot be a quote"));

    CU_ASSERT(validate(OPT("path", "a.csv") OPT("key", "k")
                           "<rename from=\"a\" to=\"b\"/>\n") >= 1);
    CU_ASSERT(wt_has_error(6, "unknown element <rename>"));

    CU_ASSERT(validate(OPT("path", "a.csv") OPT("key", "k")
                           OPT("on-missing", "ignore")) >= 1);
    CU_ASSERT(errors_have("on-missing"));

    CU_ASSERT(validate(OPT("path", "a.csv")) >= 1);
    CU_ASSERT(errors_have("key"));

    /* clean configurations: the files need not exist to validate */
    CU_ASSERT_EQUAL(validate(SEED001 OPT("fields", "user")), 0);
    CU_ASSERT_EQUAL(validate(OPT("path", "a.csv") OPT("key", "k")
                                 OPT("fields", "x y") OPT("prefix", "p_")
                                 OPT("on-missing", "default")
                                 OPT("default", "x=")
                                 OPT("delimiter", "tab")),
                    0);
}

/* ---- many rows, many records ---------------------------------------- */

static void test_big_reference(void)
{
    enum { ROWS = 100000, RECORDS = 200000, BATCH = 1000 };
    size_t cap = (size_t)ROWS * 32 + 64, len = 0;
    char *csv = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    len += (size_t)snprintf(csv + len, cap - len, "code,user\n");
    for (int i = 0; i < ROWS; i++)
        len += (size_t)snprintf(csv + len, cap - len, "R%06d,user%d\n", i, i);
    make_file("big.csv", csv);
    free(csv);
    wt_plugin *p = open_lookup(OPT("path", "big.csv") OPT("key", "rep")
                                   OPT("match", "code"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(BATCH);
    int wrong = 0;
    double spent = 0;
    for (int done = 0; done < RECORDS; done += BATCH) {
        wt_batch_clear(b);
        char code[16];
        for (int i = 0; i < BATCH; i++) {
            int k = (done + i) * 7 % (ROWS + 10); /* some misses */
            snprintf(code, sizeof code, "R%06d", k);
            wt_add(b, WEIR_OP_UPSERT, "rep", code, NULL);
        }
        clock_t t0 = clock();
        CU_ASSERT_EQUAL(wt_process(p, b), WEIR_STATUS_OK);
        spent += (double)(clock() - t0) / CLOCKS_PER_SEC;
        const weir_host *h = wt_host();
        for (int i = 0; i < BATCH; i++) {
            weir_record *r = h->batch_at(b, (size_t)i);
            int k = (done + i) * 7 % (ROWS + 10);
            char want[32];
            snprintf(want, sizeof want, "user%d", k);
            if (k < ROWS ? !wt_get(r, "user") ||
                               strcmp(wt_get(r, "user"), want) != 0
                         : wt_result(r, NULL, NULL) != WEIR_RESULT_REJECT)
                wrong++;
        }
    }
    CU_ASSERT_EQUAL(wrong, 0);
    fprintf(stderr, "lookup: %d records in %.3f s (%.0f/s)\n", RECORDS, spent,
            spent > 0 ? RECORDS / spent : 0.0);
    wt_batch_free(b);
    wt_close(p);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("lookup sqlite", NULL, NULL);
    CU_add_test(s, "seed 001 rep -> user", test_seed001);
    CU_add_test(s, "all fields, NULL and empty", test_sqlite_all_fields_null_empty);
    CU_add_test(s, "match names default to key", test_same_names);
    CU_add_test(s, "composite key", test_composite_key);
    CU_add_test(s, "prefix and fields subset", test_prefix_and_subset);
    CU_add_test(s, "hostile identifiers", test_hostile_identifiers);

    s = CU_add_suite("lookup on-missing", NULL, NULL);
    CU_add_test(s, "default", test_on_missing_default);
    CU_add_test(s, "keep", test_on_missing_keep);
    CU_add_test(s, "null", test_on_missing_null);
    CU_add_test(s, "NULL or missing key rejects", test_null_key_rejects);
    CU_add_test(s, "NULL reference keys skipped",
                test_null_reference_key_skipped);

    s = CU_add_suite("lookup csv", NULL, NULL);
    CU_add_test(s, "quoting, CRLF, BOM, NULL", test_csv_quoting);
    CU_add_test(s, "delimiter", test_csv_delimiter);
    CU_add_test(s, "header only", test_csv_header_only);
    CU_add_test(s, "malformed file", test_csv_malformed);

    s = CU_add_suite("lookup open and check", NULL, NULL);
    CU_add_test(s, "duplicate keys refused", test_duplicate_keys);
    CU_add_test(s, "missing reference", test_missing_reference);
    CU_add_test(s, "check errors", test_check_errors);
    CU_add_test(s, "big reference", test_big_reference);
}
