/* Unit tests of the core's small modules: durations, records and
 * batches, diagnostics.  The other suites of this program live in
 * test_pipeline_xml.c, test_loader.c and test_state.c. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include "base/diag.h"
#include "base/duration.h"
#include "base/secrets.h"
#include "core_tests.h"
#include "cunit_main.h"
#include "record/record.h"

static void test_durations(void)
{
    long long ms = -1;
    CU_ASSERT_EQUAL(weir_duration_parse("250ms", &ms), 0);
    CU_ASSERT_EQUAL(ms, 250);
    CU_ASSERT_EQUAL(weir_duration_parse("15s", &ms), 0);
    CU_ASSERT_EQUAL(ms, 15000);
    CU_ASSERT_EQUAL(weir_duration_parse("1h30m", &ms), 0);
    CU_ASSERT_EQUAL(ms, 5400000);
    CU_ASSERT_EQUAL(weir_duration_parse("7d", &ms), 0);
    CU_ASSERT_EQUAL(ms, 7LL * 86400000);
    CU_ASSERT_EQUAL(weir_duration_parse("0s", &ms), 0);
    CU_ASSERT_EQUAL(ms, 0);
    CU_ASSERT_NOT_EQUAL(weir_duration_parse("", &ms), 0);
    CU_ASSERT_NOT_EQUAL(weir_duration_parse("15", &ms), 0);
    CU_ASSERT_NOT_EQUAL(weir_duration_parse("15 s", &ms), 0);
    CU_ASSERT_NOT_EQUAL(weir_duration_parse("1y", &ms), 0);
    CU_ASSERT_NOT_EQUAL(weir_duration_parse("-5s", &ms), 0);
    CU_ASSERT_NOT_EQUAL(weir_duration_parse("99999999999999999999d", &ms), 0);
    CU_ASSERT_NOT_EQUAL(weir_duration_parse("9999999999999999d", &ms), 0);
}

static void test_record_fields(void)
{
    weir_batch *b = weir_batch_new(4);
    weir_record *r = weir_batch_add(b);
    size_t len = 99;
    CU_ASSERT_PTR_NULL(weir_record_get(r, "a", &len));
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_FALSE(weir_record_has(r, "a"));
    CU_ASSERT_EQUAL(weir_record_set(r, "a", "one", (size_t)-1), 0);
    CU_ASSERT_EQUAL(weir_record_set(r, "empty", "", 0), 0);
    CU_ASSERT_EQUAL(weir_record_set(r, "null", NULL, 0), 0);
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "a", &len), "one");
    CU_ASSERT_EQUAL(len, 3);
    /* NULL is distinct from empty, and both are present */
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "empty", NULL), "");
    CU_ASSERT_PTR_NULL(weir_record_get(r, "null", NULL));
    CU_ASSERT_TRUE(weir_record_has(r, "null"));
    /* replace keeps one field; values with NUL bytes keep their length */
    CU_ASSERT_EQUAL(weir_record_set(r, "a", "x\0y", 3), 0);
    CU_ASSERT_EQUAL(r->nfields, 3);
    CU_ASSERT_EQUAL(memcmp(weir_record_get(r, "a", &len), "x\0y", 3), 0);
    CU_ASSERT_EQUAL(len, 3);
    CU_ASSERT_EQUAL(weir_record_unset(r, "empty"), 0);
    CU_ASSERT_EQUAL(weir_record_unset(r, "empty"), -1);
    CU_ASSERT_EQUAL(r->nfields, 2);
    CU_ASSERT_TRUE(weir_record_has(r, "null"));
    weir_batch_free(b);
}

static void test_record_many_fields_and_reused_name_buffer(void)
{
    weir_batch *b = weir_batch_new(2);
    weir_record *r = weir_batch_add(b);
    char name[16];
    /* The same buffer holds different names: interning must not confuse
     * them, and the field array must grow past its first size. */
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        char value[16];
        snprintf(value, sizeof(value), "v%d", i);
        CU_ASSERT_EQUAL(weir_record_set(r, name, value, (size_t)-1), 0);
    }
    CU_ASSERT_EQUAL(r->nfields, 40);
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "f0", NULL), "v0");
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "f39", NULL), "v39");
    weir_batch_free(b);
}

/* A source that reuses one buffer for the names of every row: the
 * interning's guess (the name after the last one, where the same pointer
 * was seen before) must still read the text, which may differ now. */
static void test_record_name_buffer_rewritten(void)
{
    weir_batch *b = weir_batch_new(2);
    weir_record *r1 = weir_batch_add(b);
    weir_record *r2 = weir_batch_add(b);
    char first[8], second[8];
    strcpy(first, "a");
    strcpy(second, "b");
    CU_ASSERT_EQUAL(weir_record_set(r1, first, "1", 1), 0);
    CU_ASSERT_EQUAL(weir_record_set(r1, second, "2", 1), 0);
    /* the next row: the buffer that held "b" now holds "c" */
    CU_ASSERT_EQUAL(weir_record_set(r2, first, "x", 1), 0);
    strcpy(second, "c");
    CU_ASSERT_EQUAL(weir_record_set(r2, second, "y", 1), 0);
    CU_ASSERT_EQUAL(r2->nfields, 2);
    CU_ASSERT_FALSE(weir_record_has(r2, "b"));
    CU_ASSERT_STRING_EQUAL(weir_record_get(r2, "a", NULL), "x");
    CU_ASSERT_STRING_EQUAL(weir_record_get(r2, "c", NULL), "y");
    CU_ASSERT_STRING_EQUAL(weir_record_get(r1, "b", NULL), "2");
    /* one field read record after record through a buffer: the guess is
     * the name found last, until the buffer holds another */
    char field[8];
    strcpy(field, "b");
    CU_ASSERT_STRING_EQUAL(weir_record_get(r1, field, NULL), "2");
    CU_ASSERT_STRING_EQUAL(weir_record_get(r1, field, NULL), "2");
    strcpy(field, "a");
    CU_ASSERT_STRING_EQUAL(weir_record_get(r1, field, NULL), "1");
    /* the batch's own copy of a name (host->record_field_name) is
     * matched by its pointer, in any record */
    const char *own = r1->fields[1].name;
    CU_ASSERT_EQUAL(weir_record_set(r2, own, "z", 1), 0);
    CU_ASSERT_EQUAL(r2->nfields, 3);
    CU_ASSERT_PTR_EQUAL(weir_record_field(r2, "b")->name, own);
    CU_ASSERT_STRING_EQUAL(weir_record_get(r2, "b", NULL), "z");
    weir_batch_free(b);
}

/* Each field name's hash is kept with the name (weir_field_name_hash):
 * the XXH3-64 of its text, for interned names and for the arena copies
 * past the intern table's limit alike. */
static void test_record_name_hash(void)
{
    weir_batch *b = weir_batch_new(1);
    weir_record *r = weir_batch_add(b);
    char name[16];
    enum { NAMES = 65536 + 2 }; /* past record.c's NAMES_MAX */
    int bad = 0;
    for (int i = 0; i < NAMES; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        if (weir_record_set(r, name, NULL, 0) != 0) {
            bad++;
            break;
        }
        const weir_field *f = &r->fields[r->nfields - 1];
        bad += strcmp(f->name, name) != 0 ||
               weir_field_name_hash(f) != XXH3_64bits(name, strlen(name));
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(r->nfields, NAMES);
    CU_ASSERT_EQUAL(weir_field_name_hash(weir_record_field(r, "n0")),
                    XXH3_64bits("n0", 2));
    weir_batch_free(b);
}

/* Records far wider than the interning fast paths: 1,000 fields set
 * from a reused buffer, read back in another order, replaced, unset, in
 * records that share names and records that do not, across a clear. */
static void test_record_wide(void)
{
    enum { WIDE = 1000 };
    weir_batch *b = weir_batch_new(3);
    char name[16], value[16];
    for (int round = 0; round < 2; round++) {
        weir_record *r = weir_batch_add(b);
        weir_record *other = weir_batch_add(b);
        for (int i = 0; i < WIDE; i++) {
            snprintf(name, sizeof(name), "f%d", i);
            snprintf(value, sizeof(value), "v%d", i);
            CU_ASSERT_EQUAL(weir_record_set(r, name, value, (size_t)-1), 0);
            /* the other record: every other name, backwards */
            snprintf(name, sizeof(name), "f%d", WIDE - 1 - i);
            if (i % 2 == 0)
                CU_ASSERT_EQUAL(weir_record_set(other, name, "o", 1), 0);
        }
        CU_ASSERT_EQUAL(r->nfields, WIDE);
        CU_ASSERT_EQUAL(other->nfields, WIDE / 2);
        int bad = 0;
        for (int i = WIDE - 1; i >= 0; i--) {
            snprintf(name, sizeof(name), "f%d", i);
            snprintf(value, sizeof(value), "v%d", i);
            const char *got = weir_record_get(r, name, NULL);
            bad += !got || strcmp(got, value) != 0;
            bad += weir_record_has(other, name) != (i % 2 == 1);
        }
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT_FALSE(weir_record_has(r, "f1000"));
        CU_ASSERT_FALSE(weir_record_has(r, "nope"));
        /* replacing keeps one field of the name */
        CU_ASSERT_EQUAL(weir_record_set(r, "f500", "new", (size_t)-1), 0);
        CU_ASSERT_EQUAL(r->nfields, WIDE);
        CU_ASSERT_STRING_EQUAL(weir_record_get(r, "f500", NULL), "new");
        /* unset moves fields: the rest are still found, and added to */
        CU_ASSERT_EQUAL(weir_record_unset(r, "f0"), 0);
        CU_ASSERT_EQUAL(weir_record_unset(r, "f998"), 0);
        CU_ASSERT_FALSE(weir_record_has(r, "f0"));
        CU_ASSERT_FALSE(weir_record_has(r, "f998"));
        CU_ASSERT_STRING_EQUAL(weir_record_get(r, "f999", NULL), "v999");
        CU_ASSERT_STRING_EQUAL(weir_record_get(r, "f1", NULL), "v1");
        CU_ASSERT_EQUAL(weir_record_set(r, "extra", "x", 1), 0);
        CU_ASSERT_EQUAL(weir_record_set(r, "f0", "back", 4), 0);
        CU_ASSERT_EQUAL(r->nfields, WIDE);
        CU_ASSERT_STRING_EQUAL(weir_record_get(r, "f0", NULL), "back");
        CU_ASSERT_STRING_EQUAL(weir_record_get(r, "extra", NULL), "x");
        CU_ASSERT_STRING_EQUAL(weir_record_get(r, "f500", NULL), "new");
        weir_batch_clear(b); /* the names stay interned, the fields go */
        CU_ASSERT_EQUAL(weir_batch_count(b), 0);
    }
    weir_batch_free(b);
}

static void test_batch_view(void)
{
    weir_batch *b = weir_batch_new(3);
    CU_ASSERT_EQUAL(weir_batch_room(b), 3);
    weir_record *r1 = weir_batch_add(b);
    weir_record *r2 = weir_batch_add(b);
    weir_record *r3 = weir_batch_add(b);
    CU_ASSERT_PTR_NULL(weir_batch_add(b));
    CU_ASSERT_EQUAL(weir_batch_room(b), 0);
    weir_record_answer(r2, WEIR_RESULT_REJECT, "bad", NULL);
    size_t removed = weir_batch_take_answered(b, NULL, NULL);
    CU_ASSERT_EQUAL(removed, 1);
    CU_ASSERT_EQUAL(weir_batch_count(b), 2);
    CU_ASSERT_PTR_EQUAL(weir_batch_at(b, 0), r1);
    CU_ASSERT_PTR_EQUAL(weir_batch_at(b, 1), r3);
    CU_ASSERT_STRING_EQUAL(r2->message, "bad");
    weir_batch_clear(b);
    CU_ASSERT_EQUAL(weir_batch_count(b), 0);
    CU_ASSERT_EQUAL(weir_batch_room(b), 3);
    weir_batch_free(b);
}

/* A batch's records move to another batch whole (weir_batch_swap: the
 * delivery keeps one on its way to a sink): they belong to it after,
 * what they allocate comes from its arena, their columns are its own,
 * and each batch keeps its secrets.  Column serials are unique across
 * batches, so a cache keyed on one never takes another batch's. */
static void test_batch_swap(void)
{
    weir_batch *a = weir_batch_new(2), *b = weir_batch_new(2);
    weir_secrets *sa = weir_secrets_new(), *sb = weir_secrets_new();
    CU_ASSERT_FATAL(a && b && sa && sb);
    CU_ASSERT_EQUAL(weir_secrets_add(sa, "hunter2-secret"), 0);
    weir_batch_set_secrets(a, sa);
    weir_batch_set_secrets(b, sb);
    const char *names[] = {"code", "name"}, *va[] = {"A1", "Ann"},
               *vb[] = {"B1", "Bob"};
    size_t lens[] = {WEIR_NUL_TERMINATED, WEIR_NUL_TERMINATED};
    CU_ASSERT_EQUAL_FATAL(weir_batch_columns(a, names, 2), 1);
    weir_record *ra = weir_batch_add_row(a, va, lens, 1);
    CU_ASSERT_EQUAL_FATAL(weir_batch_columns(b, names, 2), 1);
    weir_record *rb = weir_batch_add_row(b, vb, lens, 1);
    CU_ASSERT_FATAL(ra && rb && ra->cols && rb->cols);
    CU_ASSERT_NOT_EQUAL(ra->cols->serial, rb->cols->serial);
    uint64_t serial_a = ra->cols->serial;

    weir_batch_swap(a, b);
    CU_ASSERT_EQUAL(weir_batch_count(a), 1);
    CU_ASSERT_PTR_EQUAL(weir_batch_at(a, 0), rb);
    CU_ASSERT_PTR_EQUAL(weir_batch_at(b, 0), ra);
    CU_ASSERT_PTR_EQUAL(rb->batch, a);
    CU_ASSERT_PTR_EQUAL(ra->batch, b);
    /* b's columns now are the ones ra was added with */
    CU_ASSERT_EQUAL(ra->cols->serial, serial_a);
    CU_ASSERT_STRING_EQUAL(weir_record_get(ra, "code", NULL), "A1");
    CU_ASSERT_STRING_EQUAL(weir_record_get(rb, "name", NULL), "Bob");
    /* the secrets stayed: a's masks, b's does not */
    weir_record_answer(rb, WEIR_RESULT_REJECT, "bad hunter2-secret", NULL);
    weir_record_answer(ra, WEIR_RESULT_REJECT, "bad hunter2-secret", NULL);
    CU_ASSERT(strstr(rb->message, "hunter2") == NULL);
    CU_ASSERT(strstr(ra->message, "hunter2") != NULL);
    /* what ra allocated is b's: clearing a leaves it alone */
    weir_record_set(ra, "city", "Lyon", (size_t)-1);
    weir_batch_clear(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(weir_batch_add(a));
    CU_ASSERT_STRING_EQUAL(weir_record_get(ra, "city", NULL), "Lyon");
    CU_ASSERT_STRING_EQUAL(weir_record_get(ra, "code", NULL), "A1");
    CU_ASSERT(strstr(ra->message, "bad ") == ra->message);
    weir_batch_free(a);
    weir_batch_free(b);
    weir_secrets_free(sa);
    weir_secrets_free(sb);
}

static void test_record_ids(void)
{
    weir_batch *b = weir_batch_new(4);
    weir_batch_set_context(b, "p", "sink");
    weir_record *r1 = weir_batch_add(b);
    weir_record *r2 = weir_batch_add(b);
    weir_record_set(r1, "code", "A1", (size_t)-1);
    weir_record_set(r1, "name", "Ann", (size_t)-1);
    /* same content in another field order: same id */
    weir_record_set(r2, "name", "Ann", (size_t)-1);
    weir_record_set(r2, "code", "A1", (size_t)-1);
    char id1[33];
    strcpy(id1, weir_record_id(r1));
    CU_ASSERT_EQUAL(strlen(id1), 32);
    CU_ASSERT_STRING_EQUAL(id1, weir_record_id(r2));
    /* content, operation, sink and pipeline all change it */
    weir_record_set(r2, "name", "Anne", (size_t)-1);
    CU_ASSERT_STRING_NOT_EQUAL(id1, weir_record_id(r2));
    weir_record_set(r2, "name", "Ann", (size_t)-1);
    CU_ASSERT_STRING_EQUAL(id1, weir_record_id(r2));
    r2->op = WEIR_OP_DELETE;
    r2->id[0] = '\0';
    CU_ASSERT_STRING_NOT_EQUAL(id1, weir_record_id(r2));
    r2->op = WEIR_OP_UPSERT;
    weir_batch_set_context(b, "p", "other-sink");
    CU_ASSERT_STRING_NOT_EQUAL(id1, weir_record_id(r1));
    /* NULL and empty differ */
    weir_batch_set_context(b, "p", "sink");
    weir_record_set(r2, "name", NULL, 0);
    CU_ASSERT_STRING_NOT_EQUAL(id1, weir_record_id(r2));
    weir_batch_free(b);
}

static void test_diag(void)
{
    weir_diag *d = weir_diag_new();
    weir_diag_add(d, "p.xml", 3, "bad %s", "thing");
    weir_diag_add(d, "p.xml", 3, "bad %s", "thing"); /* repeat dropped */
    weir_diag_add(d, "p.xml", 0, "whole file\n");
    CU_ASSERT_EQUAL(weir_diag_count(d), 2);
    CU_ASSERT_STRING_EQUAL(weir_diag_at(d, 0), "p.xml:3: bad thing");
    CU_ASSERT_STRING_EQUAL(weir_diag_at(d, 1), "p.xml: whole file");
    CU_ASSERT_PTR_NULL(weir_diag_at(d, 2));
    weir_diag_free(d);
}

void register_core_unit_tests(void)
{
    CU_pSuite s = CU_add_suite("core units", NULL, NULL);
    CU_add_test(s, "durations", test_durations);
    CU_add_test(s, "record fields, NULL vs empty", test_record_fields);
    CU_add_test(s, "many fields, reused name buffer",
                test_record_many_fields_and_reused_name_buffer);
    CU_add_test(s, "a name buffer rewritten between rows",
                test_record_name_buffer_rewritten);
    CU_add_test(s, "field names keep their hash", test_record_name_hash);
    CU_add_test(s, "1,000 fields", test_record_wide);
    CU_add_test(s, "batch view and answers", test_batch_view);
    CU_add_test(s, "batch records moved whole to another batch",
                test_batch_swap);
    CU_add_test(s, "stable record ids", test_record_ids);
    CU_add_test(s, "diagnostics", test_diag);
}

void register_tests(void)
{
    register_core_unit_tests();
    register_pipeline_xml_tests();
    register_loader_tests();
    register_state_tests();
    register_track_tests();
    register_text_tests();
    register_storage_tests();
    register_delivery_unit_tests();
    register_cron_tests();
}
