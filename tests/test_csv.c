/*
 * test_csv.c - the csv connector against the real core, through the test
 * harness: RFC 4180 reading (quotes, line breaks, BOM, delimiters, NULL
 * versus empty), malformed rows, batch and buffer boundaries, and the sink
 * (quoting, header, rejects, append, atomic replace, I/O errors).
 */
#define _XOPEN_SOURCE 700 /* utimensat, struct stat's st_mtim */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cunit_main.h"
#include "harness.h"
#include "record/record.h"

/* Was r added as a whole row (host->batch_add_row), which <track> reads
 * by column? */
#define BY_COLUMN(r) ((r)->cols != NULL)

/* ---- helpers ---------------------------------------------------------- */

/* A whole pipeline: a csv source "in" with `src` options (raw XML) and a
 * csv sink "out" with `dst` options.  Both files sit in wt_tmpdir(). */
static char *pipeline(const char *src, const char *dst)
{
    static const char fmt[] =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"t\">\n"
        "<source plugin=\"csv\" name=\"in\">%s</source>\n"
        "<sink plugin=\"csv\" name=\"out\">%s</sink>\n"
        "</pipeline>\n";
    static const char path_in[] = "<option name=\"path\">in.csv</option>";
    static const char path_out[] = "<option name=\"path\">out.csv</option>";
    if (!src)
        src = path_in;
    if (!dst)
        dst = path_out;
    size_t n = sizeof fmt + strlen(src) + strlen(dst);
    char *xml = malloc(n);
    snprintf(xml, n, fmt, src, dst);
    return xml;
}

static wt_plugin *open_instance(const char *src, const char *dst,
                                const char *instance)
{
    char *xml = pipeline(src, dst);
    wt_plugin *p = wt_open(xml, wt_tmpdir(), instance);
    free(xml);
    return p;
}

/* Write in.csv and open the source with `opts` (extra <option>s). */
static wt_plugin *open_source(const char *csv, const char *opts)
{
    char src[1024];
    snprintf(src, sizeof src, "<option name=\"path\">in.csv</option>%s",
             opts ? opts : "");
    free(wt_write_file(wt_tmpdir(), "in.csv", csv));
    wt_plugin *p = open_instance(src, NULL, "in");
    if (!p)
        fprintf(stderr, "wt_open(in) failed:\n%s\n", wt_last_errors());
    return p;
}

static wt_plugin *open_sink(const char *opts)
{
    char dst[1024];
    snprintf(dst, sizeof dst, "<option name=\"path\">out.csv</option>%s",
             opts ? opts : "");
    wt_plugin *p = open_instance(NULL, dst, "out");
    if (!p)
        fprintf(stderr, "wt_open(out) failed:\n%s\n", wt_last_errors());
    return p;
}

/* Read everything into `b` (big enough); returns the last status. */
static int read_all(wt_plugin *p, weir_batch *b)
{
    int rc;
    do
        rc = wt_read(p, b);
    while (rc == WEIR_STATUS_OK);
    return rc;
}

/* Check the source `p` opened, read everything into a new batch of
 * `capacity` to the end and check it holds `want` records.  (owned:
 * wt_batch_free) */
static weir_batch *read_source(wt_plugin *p, size_t capacity, size_t want)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(capacity);
    CU_ASSERT_EQUAL(read_all(p, b), WEIR_STATUS_END);
    CU_ASSERT_EQUAL_FATAL(wt_host()->batch_count(b), want);
    return b;
}

static weir_result result(const weir_record *r, const char **message)
{
    const char *m = NULL;
    weir_result res = wt_result(r, &m, NULL);
    if (message)
        *message = m ? m : "";
    return res;
}

static int contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

static char *tmp_path(const char *name)
{
    size_t n = strlen(wt_tmpdir()) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", wt_tmpdir(), name);
    return p;
}

/* Contents of a file in wt_tmpdir() (owned), NULL when missing. */
static char *slurp(const char *name)
{
    char *path = tmp_path(name);
    char *text = wt_read_file(path);
    free(path);
    return text;
}

static int exists(const char *name)
{
    char *path = tmp_path(name);
    int ok = access(path, F_OK) == 0;
    free(path);
    return ok;
}

static void remove_file(const char *name)
{
    char *path = tmp_path(name);
    unlink(path);
    free(path);
}

/* Expect field `name` of `r` to be the string `want` (NULL: SQL NULL). */
#define CHECK_FIELD(r, name, want)                                         \
    do {                                                                   \
        const char *got_ = wt_get((r), (name));                               \
        if ((want) == NULL) {                                              \
            CU_ASSERT_TRUE(wt_has((r), (name)));                              \
            CU_ASSERT_PTR_NULL(got_);                                      \
        } else {                                                           \
            CU_ASSERT_PTR_NOT_NULL_FATAL(got_);                            \
            CU_ASSERT_STRING_EQUAL(got_, (want));                          \
        }                                                                  \
    } while (0)

/* ---- source: well-formed input ------------------------------------------ */

static void test_header(void)
{
    wt_plugin *p = open_source("code,name\nA1,Alice\nB2,Bob\n", NULL);
    weir_batch *b = read_source(p, 100, 2);
    const weir_host *h = wt_host();
    weir_record *r = h->batch_at(b, 0);
    CU_ASSERT_EQUAL(h->record_field_count(r), 2);
    CU_ASSERT_STRING_EQUAL(h->record_field_name(r, 0), "code");
    CHECK_FIELD(r, "code", "A1");
    CHECK_FIELD(r, "name", "Alice");
    CU_ASSERT_EQUAL(wt_origin(r), 2);
    CU_ASSERT_EQUAL(result(r, NULL), WEIR_RESULT_OK);
    CHECK_FIELD(h->batch_at(b, 1), "name", "Bob");
    CU_ASSERT_EQUAL(wt_origin(h->batch_at(b, 1)), 3);
    wt_batch_free(b);
    wt_close(p);
}

/* The source hands the batch its own copies of the column names back,
 * learnt per read(): a row that leaves a column out (bad UTF-8) comes
 * first, and each read() goes into a new batch, the last one freed (a
 * name kept from it would be read after its free: ASan, valgrind). */
static void test_names_batch_after_batch(void)
{
    wt_plugin *p = open_source("code,name\n\xff,Alice\nB2,Bob\nC3,Carl\n",
                               NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const weir_host *h = wt_host();
    weir_batch *b = wt_batch_new(2);
    CU_ASSERT_EQUAL(wt_read(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL_FATAL(h->batch_count(b), 2);
    weir_record *bad = h->batch_at(b, 0), *r = h->batch_at(b, 1);
    CU_ASSERT_EQUAL(result(bad, NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_FALSE(BY_COLUMN(bad)); /* a malformed row: field by field */
    CU_ASSERT_TRUE(BY_COLUMN(r));
    CU_ASSERT_FALSE(wt_has(bad, "code"));
    CHECK_FIELD(bad, "name", "Alice");
    CU_ASSERT_EQUAL(h->record_field_count(r), 2);
    CU_ASSERT_STRING_EQUAL(h->record_field_name(r, 0), "code");
    CU_ASSERT_STRING_EQUAL(h->record_field_name(r, 1), "name");
    CHECK_FIELD(r, "code", "B2");
    CHECK_FIELD(r, "name", "Bob");
    wt_batch_free(b);
    b = wt_batch_new(2);
    CU_ASSERT_EQUAL(read_all(p, b), WEIR_STATUS_END);
    CU_ASSERT_EQUAL_FATAL(h->batch_count(b), 1);
    r = h->batch_at(b, 0);
    CU_ASSERT_EQUAL(h->record_field_count(r), 2);
    CHECK_FIELD(r, "code", "C3");
    CHECK_FIELD(r, "name", "Carl");
    wt_batch_free(b);
    wt_close(p);
}

static void test_no_header(void)
{
    wt_plugin *p = open_source("A1,Alice,x\nB2,Bob,y",
                               "<option name=\"header\">false</option>");
    weir_batch *b = read_source(p, 100, 2);
    const weir_host *h = wt_host();
    CHECK_FIELD(h->batch_at(b, 0), "col1", "A1");
    CHECK_FIELD(h->batch_at(b, 0), "col3", "x");
    CHECK_FIELD(h->batch_at(b, 1), "col2", "Bob"); /* no final line break */
    CU_ASSERT_EQUAL(wt_origin(h->batch_at(b, 0)), 1);
    CU_ASSERT_EQUAL(wt_origin(h->batch_at(b, 1)), 2);
    CU_ASSERT_TRUE(BY_COLUMN(h->batch_at(b, 1)));
    wt_batch_free(b);
    wt_close(p);
}

static void test_columns_option(void)
{
    /* header=false: `columns` names the fields. */
    wt_plugin *p = open_source("A1,Alice\n",
                               "<option name=\"header\">false</option>"
                               "<option name=\"columns\">code name</option>");
    weir_batch *b = read_source(p, 10, 1);
    CHECK_FIELD(wt_host()->batch_at(b, 0), "name", "Alice");
    wt_batch_free(b);
    wt_close(p);

    /* header=true: `columns` renames the header's columns. */
    p = open_source("Code,Customer Name\nA1,Alice\n",
                    "<option name=\"columns\">code name</option>");
    b = read_source(p, 10, 1);
    CHECK_FIELD(wt_host()->batch_at(b, 0), "code", "A1");
    CU_ASSERT_FALSE(wt_has(wt_host()->batch_at(b, 0), "Code"));
    CU_ASSERT_TRUE(BY_COLUMN(wt_host()->batch_at(b, 0)));
    wt_batch_free(b);
    wt_close(p);

    /* ... and must name as many. */
    p = open_source("a,b,c\n1,2,3\n",
                    "<option name=\"columns\">code name</option>");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_TRUE(contains(wt_last_errors(), "header has 3"));
    if (p)
        wt_close(p);
}

static void test_quoted(void)
{
    wt_plugin *p = open_source("a,b,c\n"
                               "\"x, y\",\"he said \"\"hi\"\"\",\"\"\"\"\n"
                               "\"\",\"a\"\"\",\" lead\"\n",
                               NULL);
    weir_batch *b = read_source(p, 10, 2);
    const weir_host *h = wt_host();
    weir_record *r = h->batch_at(b, 0);
    CHECK_FIELD(r, "a", "x, y");
    CHECK_FIELD(r, "b", "he said \"hi\"");
    CHECK_FIELD(r, "c", "\"");
    r = h->batch_at(b, 1);
    CHECK_FIELD(r, "a", "");
    CHECK_FIELD(r, "b", "a\"");
    CHECK_FIELD(r, "c", " lead");
    CU_ASSERT_EQUAL(result(r, NULL), WEIR_RESULT_OK);
    wt_batch_free(b);
    wt_close(p);
}

static void test_embedded_newlines(void)
{
    wt_plugin *p = open_source("id,note\n"
                               "1,\"two\nlines\"\n"
                               "2,\"three\r\nlines\r\nhere\"\n"
                               "3,plain\n",
                               NULL);
    weir_batch *b = read_source(p, 10, 3);
    const weir_host *h = wt_host();
    CHECK_FIELD(h->batch_at(b, 0), "note", "two\nlines");
    CHECK_FIELD(h->batch_at(b, 1), "note", "three\r\nlines\r\nhere");
    CHECK_FIELD(h->batch_at(b, 2), "note", "plain");
    CU_ASSERT_EQUAL(wt_origin(h->batch_at(b, 0)), 2);
    CU_ASSERT_EQUAL(wt_origin(h->batch_at(b, 1)), 4);
    CU_ASSERT_EQUAL(wt_origin(h->batch_at(b, 2)), 7);
    wt_batch_free(b);
    wt_close(p);
}

static void test_crlf_and_bom(void)
{
    wt_plugin *p = open_source("\xEF\xBB\xBF" "code,name\r\nA1,Alice\r\n"
                               "B2,\"B\r\nob\"\r\nC3,Carol\r\n",
                               NULL);
    weir_batch *b = read_source(p, 10, 3);
    const weir_host *h = wt_host();
    weir_record *r = h->batch_at(b, 0);
    CU_ASSERT_STRING_EQUAL(h->record_field_name(r, 0), "code"); /* no BOM */
    CHECK_FIELD(r, "code", "A1");
    CHECK_FIELD(r, "name", "Alice"); /* no CR */
    CHECK_FIELD(h->batch_at(b, 1), "name", "B\r\nob");
    CHECK_FIELD(h->batch_at(b, 2), "name", "Carol");
    CU_ASSERT_EQUAL(wt_origin(h->batch_at(b, 2)), 5);
    wt_batch_free(b);
    wt_close(p);
}

/* Fields of every length across the eight-byte steps of the scan, made
 * of characters whose bytes are the stop bytes plus 0x80 (the euro sign
 * ends in 0xAC, ',' | 0x80; E with circumflex in 0x8A, '\\n' | 0x80), ending
 * in LF or CRLF. */
static void test_field_lengths(void)
{
    static const char *const units[] = {"a", "\xe2\x82\xac", "\xc3\x8a",
                                        "\xc3\x8d", "\xc3\xa2", "b"};
    enum { ROWS = 40 };
    char csv[ROWS * 128 + 16] = "k,v,w\n", want[ROWS][100];
    size_t len = strlen(csv);
    for (int i = 0; i < ROWS; i++) {
        want[i][0] = '\0';
        for (int u = 0; u < i; u++)
            strcat(want[i], units[(i + u) % 6]);
        len += (size_t)snprintf(csv + len, sizeof csv - len, "k%d,%s,%s%s", i,
                                want[i], i % 3 ? "z" : "",
                                i % 2 ? "\r\n" : "\n");
    }
    wt_plugin *p = open_source(csv, NULL);
    weir_batch *b = read_source(p, 64 * ROWS, ROWS); /* room for misreads */
    const weir_host *h = wt_host();
    int bad = 0;
    for (int i = 0; i < ROWS; i++) {
        weir_record *r = h->batch_at(b, (size_t)i);
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        const char *v = wt_get(r, "v"), *w = wt_get(r, "w");
        bad += result(r, NULL) != WEIR_RESULT_OK ||
               strcmp(wt_get(r, "k"), k) != 0 ||
               (i ? !v || strcmp(v, want[i]) != 0 : v != NULL) ||
               (i % 3 ? !w || strcmp(w, "z") != 0 : w != NULL);
    }
    CU_ASSERT_EQUAL(bad, 0);
    wt_batch_free(b);
    wt_close(p);
}

static void test_delimiters(void)
{
    static const struct {
        const char *opt;
        const char *text;
    } cases[] = {
        {"tab", "a\tb\n1,5\t\"x\ty\"\n"},
        {";", "a;b\n1,5;\"x;y\"\n"},
        {"|", "a|b\n1,5|\"x|y\"\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char opt[128];
        snprintf(opt, sizeof opt, "<option name=\"delimiter\">%s</option>",
                 cases[i].opt);
        wt_plugin *p = open_source(cases[i].text, opt);
        weir_batch *b = read_source(p, 10, 1);
        weir_record *r = wt_host()->batch_at(b, 0);
        CHECK_FIELD(r, "a", "1,5");
        CU_ASSERT_EQUAL(result(r, NULL), WEIR_RESULT_OK);
        const char *v = wt_get(r, "b");
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        CU_ASSERT_EQUAL(strlen(v), 3);
        CU_ASSERT_EQUAL(v[0], 'x');
        CU_ASSERT_EQUAL(v[2], 'y');
        wt_batch_free(b);
        wt_close(p);
    }
}

static void test_quote_option(void)
{
    wt_plugin *p = open_source("a,b\n'x,y','it''s'\n",
                               "<option name=\"quote\">'</option>");
    weir_batch *b = read_source(p, 10, 1);
    CHECK_FIELD(wt_host()->batch_at(b, 0), "a", "x,y");
    CHECK_FIELD(wt_host()->batch_at(b, 0), "b", "it's");
    wt_batch_free(b);
    wt_close(p);
}

static void test_null_vs_empty(void)
{
    wt_plugin *p = open_source("a,b,c\n,\"\",x\n\"\",,\n", NULL);
    weir_batch *b = read_source(p, 10, 2);
    weir_record *r = wt_host()->batch_at(b, 0);
    CHECK_FIELD(r, "a", NULL);
    CHECK_FIELD(r, "b", "");
    CHECK_FIELD(r, "c", "x");
    r = wt_host()->batch_at(b, 1);
    CHECK_FIELD(r, "a", "");
    CHECK_FIELD(r, "b", NULL);
    CHECK_FIELD(r, "c", NULL); /* trailing delimiter: one more NULL field */
    CU_ASSERT_TRUE(BY_COLUMN(r));
    CU_ASSERT_TRUE(BY_COLUMN(wt_host()->batch_at(b, 0)));
    wt_batch_free(b);
    wt_close(p);
}

static void test_empty_and_header_only(void)
{
    static const char *texts[] = {"", "a,b\n", "a,b", "\xEF\xBB\xBF",
                                  "a,b\n\n\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        wt_plugin *p = open_source(texts[i], NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        weir_batch *b = wt_batch_new(10);
        CU_ASSERT_EQUAL(wt_read(p, b), WEIR_STATUS_END);
        CU_ASSERT_EQUAL(wt_host()->batch_count(b), 0);
        wt_batch_free(b);
        wt_close(p);
    }
}

static void test_blank_lines(void)
{
    /* Trailing blank lines are ignored; a blank line inside the data is a
     * row with too few fields (or a NULL in a one-column file). */
    wt_plugin *p = open_source("a,b\n1,2\n\n3,4\n\r\n\n", NULL);
    weir_batch *b = read_source(p, 10, 3);
    const weir_host *h = wt_host();
    const char *msg;
    CU_ASSERT_EQUAL(result(h->batch_at(b, 1), &msg), WEIR_RESULT_REJECT);
    CU_ASSERT_TRUE(contains(msg, "line 3"));
    CU_ASSERT_TRUE(contains(msg, "blank line"));
    CHECK_FIELD(h->batch_at(b, 2), "a", "3");
    CU_ASSERT_EQUAL(wt_origin(h->batch_at(b, 2)), 4);
    wt_batch_free(b);
    wt_close(p);

    p = open_source("a\n1\n\n2\n\n", NULL);
    b = read_source(p, 10, 3);
    CHECK_FIELD(h->batch_at(b, 1), "a", NULL);
    CU_ASSERT_EQUAL(result(h->batch_at(b, 1), NULL), WEIR_RESULT_OK);
    CHECK_FIELD(h->batch_at(b, 2), "a", "2");
    wt_batch_free(b);
    wt_close(p);
}

/* ---- source: malformed rows --------------------------------------------- */

static void test_wrong_field_count(void)
{
    wt_plugin *p = open_source("code,name,city\n"
                               "A1,Alice\n"
                               "B2,Bob,Paris,extra\n"
                               "C3,Carol,Rome\n",
                               NULL);
    weir_batch *b = read_source(p, 10, 3);
    const weir_host *h = wt_host();
    const char *msg;
    weir_record *r = h->batch_at(b, 0);
    CU_ASSERT_EQUAL(result(r, &msg), WEIR_RESULT_REJECT);
    CU_ASSERT_TRUE(contains(msg, "line 2"));
    CU_ASSERT_TRUE(contains(msg, "expected 3 fields, got 2"));
    CHECK_FIELD(r, "code", "A1"); /* the key is still readable */
    r = h->batch_at(b, 1);
    CU_ASSERT_EQUAL(result(r, &msg), WEIR_RESULT_REJECT);
    CU_ASSERT_TRUE(contains(msg, "line 3"));
    CU_ASSERT_TRUE(contains(msg, "expected 3 fields, got 4"));
    CHECK_FIELD(r, "code", "B2");
    r = h->batch_at(b, 2);
    CU_ASSERT_EQUAL(result(r, NULL), WEIR_RESULT_OK);
    CHECK_FIELD(r, "city", "Rome");
    CU_ASSERT_EQUAL(wt_origin(r), 4);
    wt_batch_free(b);
    wt_close(p);
}

static void test_unterminated_quote(void)
{
    /* The file ends inside a quoted field: the writer died mid-row and the
     * quote swallowed what were meant to be rows.  The input is not whole,
     * so the read fails (no row of it may pass as the full data set). */
    wt_plugin *p = open_source("code,note\n"
                               "A1,ok\n"
                               "B2,\"starts here\n"
                               "C3,swallowed\n"
                               "D4,swallowed too\n",
                               NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    CU_ASSERT_EQUAL(read_all(p, b), WEIR_STATUS_ERROR);
    const char *log = wt_log(p);
    CU_ASSERT_TRUE(contains(log, "in.csv: line 3: unterminated quote"));
    CU_ASSERT_TRUE(contains(log, "column 2 ('note')"));
    CU_ASSERT_TRUE(contains(log, "end of the file"));
    wt_batch_free(b);
    wt_close(p);

    /* The same when the good rows went out in earlier batches, and when
     * the quote opens on a later line of a multi-line row. */
    p = open_source("code,note\n"
                    "A1,ok\n"
                    "B2,\"two\nlines\",\"opens on line 4\n"
                    "C3,x\n",
                    NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    b = wt_batch_new(1);
    CU_ASSERT_EQUAL(wt_read(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_host()->batch_count(b), 1);
    wt_batch_clear(b);
    CU_ASSERT_EQUAL(wt_read(p, b), WEIR_STATUS_ERROR);
    CU_ASSERT_TRUE(contains(wt_log(p), "in.csv: line 4: unterminated quote"));
    CU_ASSERT_TRUE(contains(wt_log(p), "column 3 that opens here"));
    CU_ASSERT_EQUAL(wt_read(p, b), WEIR_STATUS_ERROR); /* and stays failed */
    wt_batch_free(b);
    wt_close(p);

    /* In the header: the source does not open. */
    p = open_source("code,\"note\nA1,x\n", NULL);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_TRUE(contains(wt_last_errors(), "in.csv: line 1: unterminated quote"));
    if (p)
        wt_close(p);
}

static void test_cut_mid_row(void)
{
    /* The writer died inside the last row, outside any quote: the row
     * has too few fields and no line break.  That is a cut-short file,
     * not one malformed row: the rows after it are missing too. */
    wt_plugin *p = open_source("code,name,city\n"
                               "A1,Alpha,Cape Town\n"
                               "B2,Be",
                               NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    CU_ASSERT_EQUAL(read_all(p, b), WEIR_STATUS_ERROR);
    CU_ASSERT_TRUE(contains(wt_log(p), "in.csv: line 3: the last row has 2 "
                                       "of 3 fields and no line break"));
    wt_batch_free(b);
    wt_close(p);

    /* A whole last row needs no line break... */
    p = open_source("code,name,city\nA1,Alpha,Cape Town\nB2,Beta,", NULL);
    b = read_source(p, 10, 2);
    CU_ASSERT_EQUAL(result(wt_host()->batch_at(b, 1), NULL), WEIR_RESULT_OK);
    wt_batch_free(b);
    wt_close(p);

    /* ...and a short row that ends its line is one malformed row. */
    p = open_source("code,name,city\nA1,Alpha\n", NULL);
    b = read_source(p, 10, 1);
    CU_ASSERT_EQUAL(result(wt_host()->batch_at(b, 0), NULL), WEIR_RESULT_REJECT);
    wt_batch_free(b);
    wt_close(p);
}

static void test_stray_quote(void)
{
    wt_plugin *p = open_source("code,size\n"
                               "A1,12\"\n"
                               "B2,\"5\"x\n"
                               "C3,7\n",
                               NULL);
    weir_batch *b = read_source(p, 10, 3);
    const weir_host *h = wt_host();
    const char *msg;
    weir_record *r = h->batch_at(b, 0);
    CU_ASSERT_EQUAL(result(r, &msg), WEIR_RESULT_REJECT);
    CU_ASSERT_TRUE(contains(msg, "line 2"));
    CU_ASSERT_TRUE(contains(msg, "quote character inside an unquoted field"));
    CU_ASSERT_TRUE(contains(msg, "column 2 ('size')"));
    CHECK_FIELD(r, "code", "A1");
    r = h->batch_at(b, 1);
    CU_ASSERT_EQUAL(result(r, &msg), WEIR_RESULT_REJECT);
    CU_ASSERT_TRUE(contains(msg, "line 3"));
    CU_ASSERT_TRUE(contains(msg, "after the closing quote"));
    CHECK_FIELD(r, "code", "B2");
    r = h->batch_at(b, 2);
    CU_ASSERT_EQUAL(result(r, NULL), WEIR_RESULT_OK);
    CHECK_FIELD(r, "size", "7");
    CU_ASSERT_EQUAL(wt_origin(r), 4);
    wt_batch_free(b);
    wt_close(p);
}

static void test_invalid_utf8(void)
{
    wt_plugin *p = open_source("code,name,city\n"
                               "A1,Caf\xE9,Paris\n"        /* Latin-1 */
                               "B2,\xC3\xA9t\xC3\xA9,\"Z\xC3\xBCrich\"\n"
                               "C3,x,\xED\xA0\x80\n"       /* surrogate */
                               "D4,\xC0\xAF,y\n",          /* overlong */
                               NULL);
    weir_batch *b = read_source(p, 10, 4);
    const weir_host *h = wt_host();
    const char *msg;
    weir_record *r = h->batch_at(b, 0);
    CU_ASSERT_EQUAL(result(r, &msg), WEIR_RESULT_REJECT);
    CU_ASSERT_TRUE(contains(msg, "line 2"));
    CU_ASSERT_TRUE(contains(msg, "invalid UTF-8"));
    CU_ASSERT_TRUE(contains(msg, "column 2 ('name')"));
    CHECK_FIELD(r, "code", "A1");
    CHECK_FIELD(r, "city", "Paris");
    CU_ASSERT_FALSE(wt_has(r, "name"));
    r = h->batch_at(b, 1);
    CU_ASSERT_EQUAL(result(r, NULL), WEIR_RESULT_OK);
    CHECK_FIELD(r, "city", "Z\xC3\xBCrich");
    CU_ASSERT_EQUAL(result(h->batch_at(b, 2), &msg), WEIR_RESULT_REJECT);
    CU_ASSERT_TRUE(contains(msg, "column 3 ('city')"));
    CU_ASSERT_EQUAL(result(h->batch_at(b, 3), &msg), WEIR_RESULT_REJECT);
    CU_ASSERT_TRUE(contains(msg, "line 5"));
    wt_batch_free(b);
    wt_close(p);
}

static void test_bad_header(void)
{
    wt_plugin *p = open_source("code,name,code\n1,2,3\n", NULL);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_TRUE(contains(wt_last_errors(), "'code'"));
    CU_ASSERT_TRUE(contains(wt_last_errors(), "columns 1 and 3"));
    if (p)
        wt_close(p);

    p = open_source("code,,name\n1,2,3\n", NULL);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_TRUE(contains(wt_last_errors(), "column 2 has an empty name"));
    if (p)
        wt_close(p);
}

static void test_unreadable(void)
{
    remove_file("missing.csv");
    wt_plugin *p = open_instance("<option name=\"path\">missing.csv</option>",
                                 NULL, "in");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_TRUE(contains(wt_last_errors(), "missing.csv"));
    CU_ASSERT_TRUE(contains(wt_last_errors(), "No such file"));
    if (p)
        wt_close(p);

    /* A folder opens but cannot be read. */
    char *dir = tmp_path("adir.csv");
    mkdir(dir, 0755);
    free(dir);
    p = open_instance("<option name=\"path\">adir.csv</option>", NULL, "in");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_TRUE(contains(wt_last_errors(), "adir.csv"));
    if (p)
        wt_close(p);
}

/* ---- source: streaming -------------------------------------------------- */

static void test_batch_boundaries(void)
{
    enum { ROWS = 2500, CAP = 100 };
    size_t size = 32 + (size_t)ROWS * 40;
    char *text = malloc(size);
    size_t len = (size_t)snprintf(text, size, "id,text\n");
    for (int i = 0; i < ROWS; i++) /* every 7th row spans two lines */
        len += (size_t)snprintf(text + len, size - len,
                                i % 7 ? "%d,row %d\n" : "%d,\"row\n%d\"\n", i,
                                i);
    wt_plugin *p = open_source(text, NULL);
    free(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const weir_host *h = wt_host();
    weir_batch *b = wt_batch_new(CAP);
    int next = 0;
    long line = 2;
    int rc;
    int bad = 0;
    do {
        wt_batch_clear(b);
        rc = wt_read(p, b);
        CU_ASSERT_TRUE(rc == WEIR_STATUS_OK || rc == WEIR_STATUS_END);
        if (rc == WEIR_STATUS_OK)
            CU_ASSERT_EQUAL(h->batch_count(b), CAP);
        for (size_t i = 0; i < h->batch_count(b); i++, next++) {
            weir_record *r = h->batch_at(b, i);
            char want[32];
            snprintf(want, sizeof want, "%d", next);
            const char *id = wt_get(r, "id");
            if (!id || strcmp(id, want) != 0 || wt_origin(r) != line ||
                result(r, NULL) != WEIR_RESULT_OK)
                bad++;
            line += next % 7 ? 1 : 2;
        }
    } while (rc == WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(rc, WEIR_STATUS_END);
    CU_ASSERT_EQUAL(next, ROWS);
    CU_ASSERT_EQUAL(bad, 0);
    wt_batch_free(b);
    wt_close(p);
}

static void test_huge_field(void)
{
    /* Fields larger than the 64 KiB read buffer, quoted (with doubled
     * quotes right at the old buffer end) and unquoted. */
    const size_t big = 200000;
    char *text = malloc(3 * big + 100);
    size_t len = (size_t)sprintf(text, "a,b\n1,\"");
    for (size_t i = 0; i < big; i++)
        text[len++] = i % 3 == 0 ? '"' : 'q';
    /* every quote doubled */
    char *doubled = malloc(3 * big + 100);
    size_t dl = 0;
    for (size_t i = 0; i < len; i++) {
        doubled[dl++] = text[i];
        if (i >= 7 && text[i] == '"')
            doubled[dl++] = '"';
    }
    dl += (size_t)sprintf(doubled + dl, "\"\n2,");
    for (size_t i = 0; i < big; i++)
        doubled[dl++] = 'u';
    dl += (size_t)sprintf(doubled + dl, "\n3,end\n");
    doubled[dl] = '\0';
    wt_plugin *p = open_source(doubled, NULL);
    free(doubled);
    weir_batch *b = read_source(p, 10, 3);
    const weir_host *h = wt_host();
    size_t vlen = 0;
    const char *v = h->record_get(h->batch_at(b, 0), "b", &vlen);
    CU_ASSERT_EQUAL_FATAL(vlen, big);
    CU_ASSERT_EQUAL(memcmp(v, text + 7, big), 0);
    h->record_get(h->batch_at(b, 1), "b", &vlen);
    CU_ASSERT_EQUAL(vlen, big);
    CHECK_FIELD(h->batch_at(b, 2), "b", "end");
    CU_ASSERT_EQUAL(wt_origin(h->batch_at(b, 2)), 4);
    free(text);
    wt_batch_free(b);
    wt_close(p);
}

static void test_max_row_size(void)
{
    wt_plugin *p = open_source("a\n\"closed, but longer than the limit\"\nb\n",
                               "<option name=\"max-row-size\">16</option>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    CU_ASSERT_EQUAL(read_all(p, b), WEIR_STATUS_ERROR);
    CU_ASSERT_TRUE(contains(wt_log(p), "max-row-size"));
    CU_ASSERT_TRUE(contains(wt_log(p), "line 2"));
    wt_batch_free(b);
    wt_close(p);
}

/* Open in.csv (three rows) as a source, read the first row, let
 * `change` do something to the file, then read on.  Returns the plugin
 * after the last read, whose status is in *status. */
static wt_plugin *read_around(void (*change)(void), int *status)
{
    wt_plugin *p = open_source("code,name\nA1,Alpha\nB2,Beta\nC3,Gamma\n",
                               NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(1);
    CU_ASSERT_EQUAL(wt_read(p, b), WEIR_STATUS_OK);
    change();
    do {
        wt_batch_clear(b);
        *status = wt_read(p, b);
    } while (*status == WEIR_STATUS_OK);
    wt_batch_free(b);
    return p;
}

static void nothing(void) {}

/* The ERP rewrites the export in place: shorter, so the size differs. */
static void rewrite_shorter(void)
{
    free(wt_write_file(wt_tmpdir(), "in.csv", "code,name\nA1,Alpha\n"));
}

/* The same size, other bytes, another modification time: only the time
 * tells.  (Set explicitly: a rewrite within one clock tick keeps it.) */
static void rewrite_same_size(void)
{
    char *path = tmp_path("in.csv");
    free(wt_write_file(wt_tmpdir(), "in.csv",
                       "code,name\nA1,Alpha\nB2,Betb\nC3,Gamma\n"));
    struct stat st;
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    times[1].tv_nsec = (times[1].tv_nsec + 1) % 1000000000L;
    CU_ASSERT_EQUAL(utimensat(AT_FDCWD, path, times, 0), 0);
    free(path);
}

/* A new file renamed over the path: another inode. */
static void replace_by_rename(void)
{
    char *path = tmp_path("in.csv");
    char *next = wt_write_file(wt_tmpdir(), "in.csv.new",
                               "code,name\nA1,Alpha\nB2,Beta\nC3,Gamma\n");
    CU_ASSERT_EQUAL(rename(next, path), 0);
    free(next);
    free(path);
}

static void test_changed_while_read(void)
{
    int status;
    wt_plugin *p = read_around(nothing, &status);
    CU_ASSERT_EQUAL(status, WEIR_STATUS_END);
    wt_close(p);

    p = read_around(rewrite_shorter, &status);
    CU_ASSERT_EQUAL(status, WEIR_STATUS_ERROR);
    CU_ASSERT_TRUE(contains(wt_log(p), "in.csv changed while it was read"));
    CU_ASSERT_TRUE(contains(wt_log(p), "size"));
    CU_ASSERT_TRUE(contains(wt_log(p), "rename"));
    wt_close(p);

    p = read_around(rewrite_same_size, &status);
    CU_ASSERT_EQUAL(status, WEIR_STATUS_ERROR);
    CU_ASSERT_TRUE(contains(wt_log(p), "in.csv changed while it was read"));
    CU_ASSERT_TRUE(contains(wt_log(p), "modification time"));
    wt_close(p);

    p = read_around(replace_by_rename, &status);
    CU_ASSERT_EQUAL(status, WEIR_STATUS_ERROR);
    CU_ASSERT_TRUE(contains(wt_log(p), "in.csv changed while it was read"));
    CU_ASSERT_TRUE(contains(wt_log(p), "replaced"));
    wt_close(p);
}

static void test_wide_round_trip(void)
{
    /* 1,000 columns: every field read where it belongs, and written back
     * by the sink to the same text. */
    enum { COLS = 1000, ROWS = 30 };
    size_t size = (size_t)(ROWS + 1) * COLS * 12 + 1;
    char *text = malloc(size);
    size_t len = 0;
    for (int r = 0; r <= ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            const char *end = c + 1 < COLS ? "," : "\n";
            if (r == 0)
                len += (size_t)snprintf(text + len, size - len, "c%d%s", c,
                                        end);
            else
                len += (size_t)snprintf(text + len, size - len, "%d.%d%s", r,
                                        c, end);
        }
    wt_plugin *p = open_source(text, NULL);
    weir_batch *b = read_source(p, ROWS + 1, ROWS);
    const weir_host *h = wt_host();
    int bad = 0;
    for (int r = 0; r < ROWS; r++) {
        weir_record *rec = h->batch_at(b, (size_t)r);
        bad += h->record_field_count(rec) != COLS;
        for (int c = COLS - 1; c >= 0; c--) {
            char name[16], want[32];
            snprintf(name, sizeof name, "c%d", c);
            snprintf(want, sizeof want, "%d.%d", r + 1, c);
            const char *got = wt_get(rec, name);
            bad += !got || strcmp(got, want) != 0;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    wt_close(p);

    p = open_sink(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
    wt_close(p);
    char *out = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_STRING_EQUAL(out, text);
    free(out);
    free(text);
    wt_batch_free(b);
}

/* ---- sink --------------------------------------------------------------- */

static void test_sink_round_trip(void)
{
    remove_file("out.csv");
    wt_plugin *p = open_sink(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "id", "1", "text", "plain", "note", WT_NULL,
           NULL);
    wt_add(b, WEIR_OP_UPSERT, "id", "2", "text", "", "note", "a,b", NULL);
    wt_add(b, WEIR_OP_UPSERT, "id", "3", "text", "say \"hi\"", "note",
           "two\nlines", NULL);
    wt_add(b, WEIR_OP_UPSERT, "id", "4", "text", " padded ", "note",
           "cr\r\nlf", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    const weir_host *h = wt_host();
    for (size_t i = 0; i < h->batch_count(b); i++)
        CU_ASSERT_EQUAL(result(h->batch_at(b, i), NULL), WEIR_RESULT_OK);
    CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
    wt_close(p);
    wt_batch_free(b);

    char *text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "id,text,note\n"
                                 "1,plain,\n"
                                 "2,\"\",\"a,b\"\n"
                                 "3,\"say \"\"hi\"\"\",\"two\nlines\"\n"
                                 "4,\" padded \",\"cr\r\nlf\"\n");
    CU_ASSERT_FALSE(exists("out.csv.tmp"));

    /* Read it back with the source: the same values, NULL stays NULL. */
    wt_plugin *src = open_source(text, NULL);
    free(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    b = wt_batch_new(10);
    CU_ASSERT_EQUAL(read_all(src, b), WEIR_STATUS_END);
    CU_ASSERT_EQUAL_FATAL(h->batch_count(b), 4);
    CHECK_FIELD(h->batch_at(b, 0), "note", NULL);
    CHECK_FIELD(h->batch_at(b, 1), "text", "");
    CHECK_FIELD(h->batch_at(b, 1), "note", "a,b");
    CHECK_FIELD(h->batch_at(b, 2), "text", "say \"hi\"");
    CHECK_FIELD(h->batch_at(b, 2), "note", "two\nlines");
    CHECK_FIELD(h->batch_at(b, 3), "text", " padded ");
    CHECK_FIELD(h->batch_at(b, 3), "note", "cr\r\nlf");
    wt_batch_free(b);
    wt_close(src);
}

static void test_sink_header_from_first_record(void)
{
    remove_file("out.csv");
    wt_plugin *p = open_sink(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "b", "1", "a", "2", NULL);
    wt_add(b, WEIR_OP_UPSERT, "a", "3", "b", "4", NULL); /* other order */
    wt_add(b, WEIR_OP_UPSERT, "a", "5", NULL);           /* missing: NULL */
    wt_add(b, WEIR_OP_UPSERT, "a", "6", "c", "7", NULL); /* unknown field */
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    const char *msg;
    CU_ASSERT_EQUAL(result(wt_host()->batch_at(b, 2), NULL), WEIR_RESULT_OK);
    CU_ASSERT_EQUAL(result(wt_host()->batch_at(b, 3), &msg),
                    WEIR_RESULT_REJECT);
    CU_ASSERT_TRUE(contains(msg, "'c'"));
    CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
    wt_close(p);
    wt_batch_free(b);
    char *text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "b,a\n1,2\n4,3\n,5\n");
    free(text);
}

static void test_sink_columns_crlf_no_header(void)
{
    remove_file("out.csv");
    wt_plugin *p = open_sink("<option name=\"columns\">id name</option>"
                             "<option name=\"line-ending\">crlf</option>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "name", "x", "id", "1", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
    wt_close(p);
    wt_batch_free(b);
    char *text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "id,name\r\n1,x\r\n");
    free(text);

    p = open_sink("<option name=\"header\">false</option>"
                  "<option name=\"delimiter\">;</option>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "id", "1", "name", "a;b", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
    wt_close(p);
    wt_batch_free(b);
    text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "1;\"a;b\"\n");
    free(text);
}

static void test_sink_deletes(void)
{
    remove_file("out.csv");
    wt_plugin *p = open_sink(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_DELETE, "id", "1", NULL);
    wt_add(b, WEIR_OP_UPSERT, "id", "2", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    const char *msg;
    CU_ASSERT_EQUAL(result(wt_host()->batch_at(b, 0), &msg),
                    WEIR_RESULT_REJECT);
    CU_ASSERT_TRUE(contains(msg, "operation-column"));
    CU_ASSERT_EQUAL(result(wt_host()->batch_at(b, 1), NULL), WEIR_RESULT_OK);
    CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
    wt_close(p);
    wt_batch_free(b);
    char *text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "id\n2\n");
    free(text);

    p = open_sink("<option name=\"operation-column\">op</option>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    b = wt_batch_new(10);
    wt_add(b, WEIR_OP_INSERT, "id", "1", NULL);
    wt_add(b, WEIR_OP_UPDATE, "id", "2", NULL);
    wt_add(b, WEIR_OP_DELETE, "id", "3", NULL);
    wt_add(b, WEIR_OP_UPSERT, "id", "4", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    for (size_t i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(result(wt_host()->batch_at(b, i), NULL),
                        WEIR_RESULT_OK);
    CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
    wt_close(p);
    wt_batch_free(b);
    text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text,
                           "id,op\n1,insert\n2,update\n3,delete\n4,upsert\n");
    free(text);
}

static void test_sink_append(void)
{
    static const char opts[] = "<option name=\"mode\">append</option>";
    remove_file("out.csv");
    const weir_host *h = wt_host();
    for (int run = 0; run < 2; run++) {
        wt_plugin *p = open_sink(opts);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        weir_batch *b = wt_batch_new(10);
        /* The second run lists fields in another order: the existing
         * header decides the columns. */
        if (run == 0)
            wt_add(b, WEIR_OP_UPSERT, "id", "1", "name", "a", NULL);
        else
            wt_add(b, WEIR_OP_UPSERT, "name", "b", "id", "2", NULL);
        CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
        CU_ASSERT_EQUAL(result(h->batch_at(b, 0), NULL), WEIR_RESULT_OK);
        /* Append writes in place: visible before the flush. */
        char *text = slurp("out.csv");
        CU_ASSERT_PTR_NOT_NULL(text);
        free(text);
        CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
        wt_close(p);
        wt_batch_free(b);
    }
    char *text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "id,name\n1,a\n2,b\n");
    free(text);

    /* A file cut short by an earlier crash gets its row ended first. */
    free(wt_write_file(wt_tmpdir(), "out.csv", "id,name\n1,a\n2,cut"));
    wt_plugin *p = open_sink(opts);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "id", "3", "name", "c", NULL);
    wt_add(b, WEIR_OP_UPSERT, "id", "4", "zip", "c", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(result(h->batch_at(b, 1), NULL), WEIR_RESULT_REJECT);
    CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
    CU_ASSERT_TRUE(contains(wt_log(p), "line break"));
    wt_close(p);
    wt_batch_free(b);
    text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "id,name\n1,a\n2,cut\n3,c\n");
    free(text);
}

static void test_sink_append_operation_column(void)
{
    /* columns + operation-column in append mode: the header written on
     * the first run holds the operation column, and every later run
     * must accept that header as its own. */
    static const char opts[] =
        "<option name=\"mode\">append</option>"
        "<option name=\"columns\">id name</option>"
        "<option name=\"operation-column\">op</option>";
    remove_file("out.csv");
    for (int run = 0; run < 3; run++) {
        wt_plugin *p = open_sink(opts);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        weir_batch *b = wt_batch_new(10);
        char id[16];
        snprintf(id, sizeof id, "%d", run + 1);
        wt_add(b, run == 2 ? WEIR_OP_DELETE : WEIR_OP_UPSERT, "id", id,
               "name", "n", NULL);
        CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
        CU_ASSERT_EQUAL(result(wt_host()->batch_at(b, 0), NULL),
                        WEIR_RESULT_OK);
        CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
        wt_close(p);
        wt_batch_free(b);
    }
    char *text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "id,name,op\n1,n,upsert\n2,n,upsert\n"
                                 "3,n,delete\n");
    free(text);

    /* A header that really differs is still refused. */
    free(wt_write_file(wt_tmpdir(), "out.csv", "id,name,operation\n"));
    wt_plugin *p = open_sink(opts);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_TRUE(contains(wt_last_errors(), "columns (id name op) but the "
                                              "header has (id name operation)"));
    if (p)
        wt_close(p);
}

static void test_sink_atomic_write(void)
{
    free(wt_write_file(wt_tmpdir(), "out.csv", "old contents\n"));
    wt_plugin *p = open_sink(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "id", "1", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    char *text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "old contents\n"); /* not yet replaced */
    free(text);
    CU_ASSERT_TRUE(exists("out.csv.tmp"));
    /* Durable after flush, published only when the run completes. */
    CU_ASSERT_EQUAL(wt_flush(p), WEIR_STATUS_OK);
    text = slurp("out.csv");
    CU_ASSERT_STRING_EQUAL(text, "old contents\n");
    free(text);
    CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
    text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "id\n1\n");
    free(text);
    CU_ASSERT_FALSE(exists("out.csv.tmp"));
    wt_close(p);
    wt_batch_free(b);

    /* Closed without a flush (an aborted run): the target stays. */
    p = open_sink(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "id", "2", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    wt_close(p);
    wt_batch_free(b);
    text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "id\n1\n");
    free(text);
    CU_ASSERT_FALSE(exists("out.csv.tmp"));
}

static void test_sink_nothing_written(void)
{
    /* A sink that writes no rows (a drain with nothing due) leaves the
     * target alone, even when flushed. */
    free(wt_write_file(wt_tmpdir(), "out.csv", "id\n1\n"));
    wt_plugin *p = open_sink("<option name=\"columns\">id</option>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
    wt_close(p);
    char *text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "id\n1\n");
    free(text);
    CU_ASSERT_FALSE(exists("out.csv.tmp"));
}

static void test_sink_large_field(void)
{
    /* A field larger than the writer's buffer, with quotes to double. */
    const size_t big = 150000;
    char *value = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        value[i] = i % 1000 == 0 ? '"' : (i % 777 == 0 ? '\n' : 'v');
    value[big] = '\0';
    remove_file("out.csv");
    wt_plugin *p = open_sink(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "id", "1", "blob", value, NULL);
    wt_add(b, WEIR_OP_UPSERT, "id", "2", "blob", "small", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_finish(p), WEIR_STATUS_OK);
    wt_close(p);
    wt_batch_free(b);

    char *text = slurp("out.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    wt_plugin *src = open_source(text, NULL);
    free(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    b = wt_batch_new(10);
    CU_ASSERT_EQUAL(read_all(src, b), WEIR_STATUS_END);
    CU_ASSERT_EQUAL_FATAL(wt_host()->batch_count(b), 2);
    CHECK_FIELD(wt_host()->batch_at(b, 0), "blob", value);
    CHECK_FIELD(wt_host()->batch_at(b, 1), "blob", "small");
    wt_batch_free(b);
    wt_close(src);
    free(value);
}

static void test_sink_io_error(void)
{
    /* /dev/full refuses every write with ENOSPC. */
    if (access("/dev/full", W_OK) != 0)
        return;
    wt_plugin *p = open_instance(NULL,
                                 "<option name=\"path\">/dev/full</option>"
                                 "<option name=\"mode\">append</option>",
                                 "out");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_batch *b = wt_batch_new(10);
    wt_add(b, WEIR_OP_UPSERT, "id", "1", NULL);
    wt_add(b, WEIR_OP_DELETE, "id", "2", NULL);
    CU_ASSERT_EQUAL(wt_write(p, b), WEIR_STATUS_OK);
    const char *msg;
    CU_ASSERT_EQUAL(result(wt_host()->batch_at(b, 0), &msg), WEIR_RESULT_RETRY);
    CU_ASSERT_TRUE(contains(msg, "No space left"));
    CU_ASSERT_EQUAL(result(wt_host()->batch_at(b, 1), NULL),
                    WEIR_RESULT_REJECT);
    wt_close(p);
    wt_batch_free(b);
}

static void test_sink_bad_options(void)
{
    wt_plugin *p = open_instance(NULL,
                                 "<option name=\"path\">out.csv</option>"
                                 "<option name=\"mode\">overwrite</option>",
                                 "out");
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_TRUE(contains(wt_last_errors(), "overwrite"));
    if (p)
        wt_close(p);

    /* Sink-only options are refused on a source. */
    char *xml = pipeline("<option name=\"path\">in.csv</option>"
                         "<option name=\"mode\">append</option>",
                         NULL);
    CU_ASSERT_TRUE(wt_validate(xml, wt_tmpdir()) >= 1);
    free(xml);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("csv source", NULL, NULL);
    CU_add_test(s, "header row", test_header);
    CU_add_test(s, "column names batch after batch",
                test_names_batch_after_batch);
    CU_add_test(s, "no header", test_no_header);
    CU_add_test(s, "fields of every length", test_field_lengths);
    CU_add_test(s, "columns option", test_columns_option);
    CU_add_test(s, "quoted fields and doubled quotes", test_quoted);
    CU_add_test(s, "embedded newlines", test_embedded_newlines);
    CU_add_test(s, "CRLF and BOM", test_crlf_and_bom);
    CU_add_test(s, "tab, ; and | delimiters", test_delimiters);
    CU_add_test(s, "quote option", test_quote_option);
    CU_add_test(s, "NULL vs empty", test_null_vs_empty);
    CU_add_test(s, "empty and header-only files", test_empty_and_header_only);
    CU_add_test(s, "blank lines", test_blank_lines);
    CU_add_test(s, "unreadable file", test_unreadable);
    CU_add_test(s, "bad header", test_bad_header);

    s = CU_add_suite("csv source malformed", NULL, NULL);
    CU_add_test(s, "wrong field count", test_wrong_field_count);
    CU_add_test(s, "unterminated quote", test_unterminated_quote);
    CU_add_test(s, "cut inside the last row", test_cut_mid_row);
    CU_add_test(s, "stray quote", test_stray_quote);
    CU_add_test(s, "invalid UTF-8", test_invalid_utf8);

    s = CU_add_suite("csv source streaming", NULL, NULL);
    CU_add_test(s, "batch boundaries", test_batch_boundaries);
    CU_add_test(s, "field larger than the buffer", test_huge_field);
    CU_add_test(s, "max-row-size", test_max_row_size);
    CU_add_test(s, "file changed while read", test_changed_while_read);
    CU_add_test(s, "1,000 columns", test_wide_round_trip);

    s = CU_add_suite("csv sink", NULL, NULL);
    CU_add_test(s, "round trip", test_sink_round_trip);
    CU_add_test(s, "header from first record", test_sink_header_from_first_record);
    CU_add_test(s, "columns, crlf, no header", test_sink_columns_crlf_no_header);
    CU_add_test(s, "deletes and operation-column", test_sink_deletes);
    CU_add_test(s, "append mode", test_sink_append);
    CU_add_test(s, "append mode with columns and operation-column",
                test_sink_append_operation_column);
    CU_add_test(s, "atomic write mode", test_sink_atomic_write);
    CU_add_test(s, "no rows: target untouched", test_sink_nothing_written);
    CU_add_test(s, "field larger than the buffer", test_sink_large_field);
    CU_add_test(s, "I/O error answers RETRY", test_sink_io_error);
    CU_add_test(s, "bad options", test_sink_bad_options);
}
