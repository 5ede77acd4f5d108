/* Unit tests of what records become on their way: the spool of a tracked
 * run (spool.c), the outbox payload (payload.c), and the batch view and
 * record ids (record.c). */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secrets.h"
#include "core_tests.h"
#include "record/payload.h"
#include "record/record.h"
#include "record/spool.h"

/* ---- spool ------------------------------------------------------------ */

static void test_spool_round_trip(void)
{
    weir_spool *s = weir_spool_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(weir_spool_count(s), 0);
    weir_batch *in = weir_batch_new(4);
    weir_record *a = weir_batch_add(in);
    a->op = WEIR_OP_UPDATE;
    a->hash = 0xfedcba9876543210ULL;
    a->version = 4000000000ULL;
    a->origin = 123456;
    weir_record_set_key(a, "A\x1f" "1");
    weir_record_set(a, "code", "A1", (size_t)-1);
    weir_record_set(a, "empty", "", 0);
    weir_record_set(a, "null", NULL, 0);
    weir_record_set(a, "nul", "x\0y\0", 4);
    weir_record_set(a, "utf8", "caf\xc3\xa9", (size_t)-1);
    weir_record *b = weir_batch_add(in); /* no key, no fields */
    b->op = WEIR_OP_DELETE;
    weir_record *c = weir_batch_add(in);
    weir_record_set_key(c, "");
    CU_ASSERT_EQUAL(weir_spool_put(s, a), 0);
    CU_ASSERT_EQUAL(weir_spool_put(s, b), 0);
    CU_ASSERT_EQUAL(weir_spool_put(s, c), 0);
    CU_ASSERT_EQUAL(weir_spool_count(s), 3);
    CU_ASSERT_EQUAL(weir_spool_rewind(s), 0);

    weir_batch *out = weir_batch_new(8);
    CU_ASSERT_EQUAL(weir_spool_read(s, out), 3);
    weir_record *r = weir_batch_at(out, 0);
    CU_ASSERT_EQUAL(r->op, WEIR_OP_UPDATE);
    CU_ASSERT_EQUAL(r->hash, 0xfedcba9876543210ULL);
    CU_ASSERT_EQUAL(r->version, 4000000000ULL);
    CU_ASSERT_EQUAL(r->origin, 123456);
    CU_ASSERT_STRING_EQUAL(r->key, "A\x1f" "1");
    CU_ASSERT_EQUAL(r->nfields, 5);
    size_t len = 99;
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "code", &len), "A1");
    CU_ASSERT_EQUAL(len, 2);
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "empty", &len), "");
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_PTR_NULL(weir_record_get(r, "null", &len));
    CU_ASSERT_TRUE(weir_record_has(r, "null"));
    const char *v = weir_record_get(r, "nul", &len);
    CU_ASSERT_EQUAL(len, 4);
    CU_ASSERT_EQUAL(memcmp(v, "x\0y\0", 4), 0);
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "utf8", NULL), "caf\xc3\xa9");
    /* field order is kept */
    CU_ASSERT_STRING_EQUAL(r->fields[0].name, "code");
    CU_ASSERT_STRING_EQUAL(r->fields[4].name, "utf8");
    /* same id as the original, in the same context */
    weir_batch_set_context(in, "p", "s");
    weir_batch_set_context(out, "p", "s");
    CU_ASSERT_STRING_EQUAL(weir_record_id(r), weir_record_id(a));

    r = weir_batch_at(out, 1);
    CU_ASSERT_EQUAL(r->op, WEIR_OP_DELETE);
    CU_ASSERT_PTR_NULL(r->key);
    CU_ASSERT_EQUAL(r->nfields, 0);
    r = weir_batch_at(out, 2);
    CU_ASSERT_PTR_NOT_NULL(r->key); /* "" stays distinct from no key */
    if (r->key)
        CU_ASSERT_STRING_EQUAL(r->key, "");
    CU_ASSERT_EQUAL(r->op, WEIR_OP_UPSERT);

    weir_batch_clear(out);
    CU_ASSERT_EQUAL(weir_spool_read(s, out), 0);
    /* rewinding reads it all again */
    CU_ASSERT_EQUAL(weir_spool_rewind(s), 0);
    weir_batch_clear(out);
    CU_ASSERT_EQUAL(weir_spool_read(s, out), 3);
    weir_batch_free(out);
    weir_batch_free(in);
    weir_spool_free(s);
    weir_spool_free(NULL);
}

static void test_spool_many_records(void)
{
    weir_spool *s = weir_spool_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    weir_batch *b = weir_batch_new(64);
    const int n = 1000;
    char key[32], val[4096];
    for (int i = 0; i < n; i++) {
        weir_record *r = weir_batch_add(b);
        snprintf(key, sizeof(key), "k%d", i);
        weir_record_set_key(r, key);
        r->origin = i + 1;
        r->version = (uint64_t)i;
        r->op = (weir_op)(i % 4);
        weir_record_set(r, "id", key, (size_t)-1);
        /* values of growing size, past the read buffer's first size */
        size_t vl = (size_t)(i * 3) % sizeof(val);
        memset(val, 'a' + i % 26, vl);
        weir_record_set(r, "v", val, vl);
        if (i % 3 == 0)
            weir_record_set(r, "maybe", NULL, 0);
        CU_ASSERT_EQUAL_FATAL(weir_spool_put(s, r), 0);
        if (!weir_batch_room(b))
            weir_batch_clear(b);
    }
    CU_ASSERT_EQUAL(weir_spool_count(s), (size_t)n);
    CU_ASSERT_EQUAL(weir_spool_rewind(s), 0);
    int next = 0, ok = 1;
    long got;
    size_t rounds = 0;
    weir_batch *in = weir_batch_new(37); /* not a divisor of n */
    while ((got = weir_spool_read(s, in)) > 0) {
        rounds++;
        for (long j = 0; j < got; j++, next++) {
            weir_record *r = weir_batch_at(in, (size_t)j);
            snprintf(key, sizeof(key), "k%d", next);
            size_t vl = (size_t)(next * 3) % sizeof(val), len;
            const char *v = weir_record_get(r, "v", &len);
            ok &= r->key && strcmp(r->key, key) == 0;
            ok &= r->origin == next + 1 && r->version == (uint64_t)next;
            ok &= r->op == (weir_op)(next % 4);
            ok &= len == vl && v && (vl == 0 || (v[0] == 'a' + next % 26 &&
                                                 v[vl - 1] == v[0]));
            ok &= weir_record_has(r, "maybe") == (next % 3 == 0);
            ok &= r->nfields == (next % 3 == 0 ? 3u : 2u);
        }
        weir_batch_clear(in);
    }
    CU_ASSERT_EQUAL(got, 0);
    CU_ASSERT_EQUAL(next, n);
    CU_ASSERT_EQUAL(rounds, (size_t)(n + 36) / 37);
    CU_ASSERT_TRUE(ok);
    weir_batch_free(in);
    weir_batch_free(b);
    weir_spool_free(s);
}

/* ---- payload ---------------------------------------------------------- */

static void test_payload_round_trip(void)
{
    weir_batch *b = weir_batch_new(4);
    weir_record *r = weir_batch_add(b);
    weir_record_set(r, "code", "A1", (size_t)-1);
    weir_record_set(r, "city", NULL, 0);
    weir_record_set(r, "empty", "", 0);
    weir_record_set(r, "quote", "say \"hi\"\\\n\t", (size_t)-1);
    weir_record_set(r, "nul", "a\0b", 3);
    weir_record_set(r, "utf8", "\xe2\x82\xac 5", (size_t)-1);
    char why[128] = "";
    char *json = weir_payload_encode(r, why, sizeof(why));
    CU_ASSERT_PTR_NOT_NULL_FATAL(json);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"code\":\"A1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"city\":null"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"empty\":\"\""));
    /* in field order */
    CU_ASSERT(strstr(json, "\"code\"") < strstr(json, "\"city\""));

    weir_record *back = weir_batch_add(b);
    CU_ASSERT_EQUAL(weir_payload_decode(back, json), 0);
    CU_ASSERT_EQUAL(back->nfields, 6);
    size_t len;
    CU_ASSERT_STRING_EQUAL(weir_record_get(back, "code", NULL), "A1");
    CU_ASSERT_PTR_NULL(weir_record_get(back, "city", NULL));
    CU_ASSERT_TRUE(weir_record_has(back, "city"));
    CU_ASSERT_STRING_EQUAL(weir_record_get(back, "empty", &len), "");
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_STRING_EQUAL(weir_record_get(back, "quote", NULL),
                           "say \"hi\"\\\n\t");
    const char *v = weir_record_get(back, "nul", &len);
    CU_ASSERT_EQUAL(len, 3);
    CU_ASSERT_EQUAL(memcmp(v, "a\0b", 3), 0);
    CU_ASSERT_STRING_EQUAL(weir_record_get(back, "utf8", NULL), "\xe2\x82\xac 5");
    /* the same content: the same id */
    weir_batch_set_context(b, "p", "s");
    CU_ASSERT_STRING_EQUAL(weir_record_id(back), weir_record_id(r));
    free(json);

    /* no fields: an empty object, and back */
    weir_record *none = weir_batch_add(b);
    json = weir_payload_encode(none, why, sizeof(why));
    CU_ASSERT_STRING_EQUAL(json, "{}");
    weir_record *none2 = weir_batch_add(b);
    CU_ASSERT_EQUAL(weir_payload_decode(none2, json), 0);
    CU_ASSERT_EQUAL(none2->nfields, 0);
    free(json);
    weir_batch_free(b);
}

static void test_payload_refusals(void)
{
    weir_batch *b = weir_batch_new(4);
    weir_record *r = weir_batch_add(b);
    weir_record_set(r, "ok", "fine", (size_t)-1);
    weir_record_set(r, "latin1", "caf\xe9", (size_t)-1);
    char why[128] = "";
    CU_ASSERT_PTR_NULL(weir_payload_encode(r, why, sizeof(why)));
    CU_ASSERT_STRING_EQUAL(why, "field latin1 is not valid UTF-8");
    /* a cut multi-byte sequence too */
    weir_record_set(r, "latin1", "caf\xc3", (size_t)-1);
    CU_ASSERT_PTR_NULL(weir_payload_encode(r, why, sizeof(why)));

    weir_record *d = weir_batch_add(b);
    CU_ASSERT_EQUAL(weir_payload_decode(d, "[\"a\"]"), -1);
    CU_ASSERT_EQUAL(weir_payload_decode(d, "\"a\""), -1);
    CU_ASSERT_EQUAL(weir_payload_decode(d, "null"), -1);
    CU_ASSERT_EQUAL(weir_payload_decode(d, ""), -1);
    CU_ASSERT_EQUAL(weir_payload_decode(d, "{\"a\":"), -1);
    CU_ASSERT_EQUAL(weir_payload_decode(d, "not json"), -1);
    CU_ASSERT_EQUAL(weir_payload_decode(d, "{\"a\":1}"), -1);
    CU_ASSERT_EQUAL(weir_payload_decode(d, "{\"a\":true}"), -1);
    CU_ASSERT_EQUAL(weir_payload_decode(d, "{\"a\":{\"b\":\"c\"}}"), -1);
    CU_ASSERT_EQUAL(weir_payload_decode(d, "{\"a\":[\"x\"]}"), -1);
    weir_record *e = weir_batch_add(b);
    CU_ASSERT_EQUAL(weir_payload_decode(e, "{\"a\":\"\\u0000x\"}"), 0);
    size_t len;
    const char *v = weir_record_get(e, "a", &len);
    CU_ASSERT_EQUAL(len, 2);
    CU_ASSERT_EQUAL(memcmp(v, "\0x", 2), 0);
    weir_batch_free(b);
}

/* ---- record.c: the view and ids --------------------------------------- */

static void test_batch_narrow_widen(void)
{
    weir_batch *b = weir_batch_new(5);
    weir_record *r[5];
    for (int i = 0; i < 5; i++)
        r[i] = weir_batch_add(b);
    const unsigned char keep[5] = {1, 0, 1, 0, 1};
    weir_batch_narrow(b, keep);
    CU_ASSERT_EQUAL(weir_batch_count(b), 3);
    CU_ASSERT_PTR_EQUAL(weir_batch_at(b, 0), r[0]);
    CU_ASSERT_PTR_EQUAL(weir_batch_at(b, 1), r[2]);
    CU_ASSERT_PTR_EQUAL(weir_batch_at(b, 2), r[4]);
    CU_ASSERT_PTR_NULL(weir_batch_at(b, 3));
    /* answers given while narrowed stay on the records */
    weir_record_answer(r[2], WEIR_RESULT_RETRY, "later", NULL);
    weir_batch_widen(b);
    CU_ASSERT_EQUAL(weir_batch_count(b), 5);
    for (int i = 0; i < 5; i++)
        CU_ASSERT_PTR_EQUAL(weir_batch_at(b, (size_t)i), r[i]);
    CU_ASSERT_EQUAL(r[2]->result, WEIR_RESULT_RETRY);
    /* nothing kept */
    const unsigned char none[5] = {0};
    weir_batch_narrow(b, none);
    CU_ASSERT_EQUAL(weir_batch_count(b), 0);
    weir_batch_widen(b);
    CU_ASSERT_EQUAL(weir_batch_count(b), 5);
    /* reset_answers works on the view only */
    weir_record_answer(r[1], WEIR_RESULT_REJECT, "no", "id-1");
    weir_batch_narrow(b, keep);
    weir_batch_reset_answers(b, WEIR_RESULT_OK);
    CU_ASSERT_EQUAL(r[2]->result, WEIR_RESULT_OK);
    CU_ASSERT_PTR_NULL(r[2]->message);
    CU_ASSERT_EQUAL(r[1]->result, WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(r[1]->assigned_id, "id-1");
    weir_batch_widen(b);
    /* take_answered calls back in order */
    weir_record_answer(r[3], WEIR_RESULT_DROP, NULL, NULL);
    CU_ASSERT_EQUAL(weir_batch_take_answered(b, NULL, NULL), 2);
    CU_ASSERT_EQUAL(weir_batch_count(b), 3);
    CU_ASSERT_PTR_EQUAL(weir_batch_at(b, 1), r[2]);
    weir_batch_free(b);
    weir_batch_free(NULL);
}

static void test_record_answer_masks_secrets(void)
{
    /* with the secrets of the batch's pipeline, and only those */
    weir_secrets *mine = weir_secrets_new(), *other = weir_secrets_new();
    CU_ASSERT_FATAL(mine && other);
    CU_ASSERT_EQUAL(weir_secrets_add(mine, "t0ps3cr3t"), 0);
    CU_ASSERT_EQUAL(weir_secrets_add(other, "0th3r-s3cr3t"), 0);
    weir_batch *b = weir_batch_new(2);
    weir_batch_set_secrets(b, mine);
    weir_record *r = weir_batch_add(b);
    weir_record_answer(r, WEIR_RESULT_REJECT,
                       "bad token t0ps3cr3t here, not 0th3r-s3cr3t", NULL);
    CU_ASSERT_STRING_EQUAL(r->message, "bad token *** here, not 0th3r-s3cr3t");
    weir_batch_set_secrets(b, NULL);
    r = weir_batch_add(b);
    weir_record_answer(r, WEIR_RESULT_REJECT, "t0ps3cr3t", NULL);
    CU_ASSERT_STRING_EQUAL(r->message, "t0ps3cr3t");
    weir_batch_free(b);
    weir_secrets_free(mine);
    weir_secrets_free(other);
}

static void test_record_id_inputs(void)
{
    weir_batch *b = weir_batch_new(8);
    weir_batch_set_context(b, "p", "sink");
    weir_record *r1 = weir_batch_add(b);
    weir_record *r2 = weir_batch_add(b);
    weir_record_set(r1, "a", "1", (size_t)-1);
    weir_record_set(r1, "b", "2", (size_t)-1);
    weir_record_set(r1, "c", "3", (size_t)-1);
    weir_record_set(r2, "c", "3", (size_t)-1);
    weir_record_set(r2, "a", "1", (size_t)-1);
    weir_record_set(r2, "b", "2", (size_t)-1);
    weir_record_set_key(r1, "K");
    weir_record_set_key(r2, "K");
    char id[33];
    snprintf(id, sizeof(id), "%s", weir_record_id(r1));
    CU_ASSERT_EQUAL(strspn(id, "0123456789abcdef"), 32);
    CU_ASSERT_STRING_EQUAL(weir_record_id(r2), id);

    /* the version (change number) */
    r2->version = 1;
    r2->id[0] = '\0';
    CU_ASSERT_STRING_NOT_EQUAL(weir_record_id(r2), id);
    r2->version = 0;
    r2->id[0] = '\0';
    CU_ASSERT_STRING_EQUAL(weir_record_id(r2), id);
    /* the operation */
    r2->op = WEIR_OP_INSERT;
    r2->id[0] = '\0';
    CU_ASSERT_STRING_NOT_EQUAL(weir_record_id(r2), id);
    r2->op = WEIR_OP_UPSERT;
    r2->id[0] = '\0';
    /* the key: set_key recomputes */
    weir_record_set_key(r2, "K2");
    CU_ASSERT_STRING_NOT_EQUAL(weir_record_id(r2), id);
    weir_record_set_key(r2, NULL);
    CU_ASSERT_STRING_NOT_EQUAL(weir_record_id(r2), id);
    weir_record_set_key(r2, "K");
    CU_ASSERT_STRING_EQUAL(weir_record_id(r2), id);
    /* the stage and the pipeline */
    weir_batch_set_context(b, "p", "sink2");
    CU_ASSERT_STRING_NOT_EQUAL(weir_record_id(r2), id);
    weir_batch_set_context(b, "p2", "sink");
    CU_ASSERT_STRING_NOT_EQUAL(weir_record_id(r2), id);
    weir_batch_set_context(b, "p", "sink");
    CU_ASSERT_STRING_EQUAL(weir_record_id(r2), id);
    /* unset recomputes */
    weir_record_unset(r2, "c");
    CU_ASSERT_STRING_NOT_EQUAL(weir_record_id(r2), id);
    weir_record_set(r2, "c", "3", (size_t)-1);
    CU_ASSERT_STRING_EQUAL(weir_record_id(r2), id);
    /* field name and value boundaries do not run together */
    weir_record *x = weir_batch_add(b);
    weir_record *y = weir_batch_add(b);
    weir_record_set(x, "ab", "c", (size_t)-1);
    weir_record_set(y, "a", "bc", (size_t)-1);
    CU_ASSERT_STRING_NOT_EQUAL(weir_record_id(x), weir_record_id(y));
    weir_batch_free(b);
}

static void test_record_fixed_id(void)
{
    weir_batch *b = weir_batch_new(2);
    weir_batch_set_context(b, "p", "sink");
    weir_record *r = weir_batch_add(b);
    weir_record_set(r, "a", "1", (size_t)-1);
    const char *fixed = "0123456789abcdef0123456789abcdef";
    weir_record_fix_id(r, fixed);
    CU_ASSERT_TRUE(r->fixed_id);
    CU_ASSERT_STRING_EQUAL(weir_record_id(r), fixed);
    /* nothing changes it: content, key, unset, context */
    weir_record_set(r, "a", "2", (size_t)-1);
    weir_record_set(r, "b", NULL, 0);
    weir_record_unset(r, "b");
    weir_record_set_key(r, "K");
    weir_batch_set_context(b, "other", "stage");
    CU_ASSERT_STRING_EQUAL(weir_record_id(r), fixed);
    /* a computed id in the same batch is still recomputed */
    weir_record *o = weir_batch_add(b);
    weir_record_set(o, "a", "2", (size_t)-1);
    char id[33];
    snprintf(id, sizeof(id), "%s", weir_record_id(o));
    weir_batch_set_context(b, "p", "sink");
    CU_ASSERT_STRING_NOT_EQUAL(weir_record_id(o), id);
    CU_ASSERT_STRING_EQUAL(weir_record_id(r), fixed);
    weir_batch_free(b);
}

static void test_record_id_many_fields(void)
{
    /* more than 64 fields: the id's sorting takes the heap path */
    weir_batch *b = weir_batch_new(2);
    weir_record *r1 = weir_batch_add(b);
    weir_record *r2 = weir_batch_add(b);
    char name[16];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "f%03d", i);
        weir_record_set(r1, name, name, (size_t)-1);
    }
    for (int i = 99; i >= 0; i--) {
        snprintf(name, sizeof(name), "f%03d", i);
        weir_record_set(r2, name, name, (size_t)-1);
    }
    CU_ASSERT_STRING_EQUAL(weir_record_id(r1), weir_record_id(r2));
    weir_record_set(r2, "f050", "x", (size_t)-1);
    CU_ASSERT_STRING_NOT_EQUAL(weir_record_id(r1), weir_record_id(r2));
    weir_batch_free(b);
}

void register_storage_tests(void)
{
    CU_pSuite s = CU_add_suite("spool and payload", NULL, NULL);
    CU_add_test(s, "spool round trip", test_spool_round_trip);
    CU_add_test(s, "spool across batches", test_spool_many_records);
    CU_add_test(s, "payload round trip", test_payload_round_trip);
    CU_add_test(s, "payload refusals", test_payload_refusals);

    s = CU_add_suite("record view and ids", NULL, NULL);
    CU_add_test(s, "narrow and widen", test_batch_narrow_widen);
    CU_add_test(s, "answers mask secrets", test_record_answer_masks_secrets);
    CU_add_test(s, "id inputs", test_record_id_inputs);
    CU_add_test(s, "fixed ids stay", test_record_fixed_id);
    CU_add_test(s, "ids of wide records", test_record_id_many_fields);
}
