/* Unit tests of change-tracking: the key index (track_index.c) and the
 * <track> stage over a real pipeline (track.c), with an empty snapshot
 * (st NULL) or one in a real state database. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "core_tests.h"
#include "engine/echo.h"
#include "engine/track.h"
#include "engine/track_index.h"
#include "harness.h"
#include "pipeline/pipeline.h"
#include "plugin/plugins.h"
#include "record/record.h"
#include "store/state.h"

/* ---- track_index ----------------------------------------------------- */

static weir_track_verdict see(weir_track_index *t, const char *key,
                              uint64_t hash, long line, long *first,
                              uint32_t *version)
{
    weir_track_verdict v = (weir_track_verdict)-1;
    long f = -7;
    uint32_t ver = 999;
    CU_ASSERT_EQUAL(weir_track_index_see(t, key, strlen(key), hash, line, &v,
                                         &f, &ver), 0);
    if (first)
        *first = f;
    if (version)
        *version = ver;
    return v;
}

static void test_index_verdicts(void)
{
    weir_track_index *t = weir_track_index_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(weir_track_index_loaded(t), 0);
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 0);
    CU_ASSERT_FALSE(weir_track_index_has(t, "a", 1)); /* empty: no table */
    weir_track_index_touch(t, "a", 1);                /* harmless */

    CU_ASSERT_EQUAL(weir_track_index_load(t, "same", 4, 11, 3), 0);
    CU_ASSERT_EQUAL(weir_track_index_load(t, "changed", 7, 22, 5), 0);
    CU_ASSERT_EQUAL(weir_track_index_load(t, "gone", 4, 33, 1), 0);
    CU_ASSERT_EQUAL(weir_track_index_loaded(t), 3);
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 3);

    long first;
    uint32_t version;
    CU_ASSERT_EQUAL(see(t, "same", 11, 2, &first, &version), WEIR_TRACK_SAME);
    CU_ASSERT_EQUAL(version, 3);
    CU_ASSERT_EQUAL(see(t, "changed", 99, 3, &first, &version),
                    WEIR_TRACK_CHANGED);
    CU_ASSERT_EQUAL(version, 5);
    CU_ASSERT_EQUAL(see(t, "new", 7, 4, &first, &version), WEIR_TRACK_NEW);
    CU_ASSERT_EQUAL(version, 0);
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 1);
    /* a new key does not count as loaded */
    CU_ASSERT_EQUAL(weir_track_index_loaded(t), 3);

    /* duplicates: of a snapshot key and of a new key, with first lines */
    CU_ASSERT_EQUAL(see(t, "same", 11, 8, &first, NULL), WEIR_TRACK_DUPLICATE);
    CU_ASSERT_EQUAL(first, 2);
    CU_ASSERT_EQUAL(see(t, "new", 7, 9, &first, NULL), WEIR_TRACK_DUPLICATE);
    CU_ASSERT_EQUAL(first, 4);
    /* a duplicate does not change the unseen count */
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 1);

    /* line out of range is stored as 0 (unknown) */
    CU_ASSERT_EQUAL(see(t, "neg", 1, -5, NULL, NULL), WEIR_TRACK_NEW);
    CU_ASSERT_EQUAL(see(t, "neg", 1, 6, &first, NULL), WEIR_TRACK_DUPLICATE);
    CU_ASSERT_EQUAL(first, 0);

    /* first_line may be NULL */
    weir_track_verdict v;
    uint32_t ver;
    CU_ASSERT_EQUAL(weir_track_index_see(t, "same", 4, 11, 1, &v, NULL, &ver), 0);
    CU_ASSERT_EQUAL(v, WEIR_TRACK_DUPLICATE);

    CU_ASSERT_TRUE(weir_track_index_has(t, "gone", 4));
    CU_ASSERT_TRUE(weir_track_index_has(t, "new", 3));
    CU_ASSERT_FALSE(weir_track_index_has(t, "nope", 4));
    CU_ASSERT_FALSE(weir_track_index_has(t, "gon", 3));
    /* has() marks nothing */
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 1);
    weir_track_index_free(t);
    weir_track_index_free(NULL);
}

static void test_index_tombstones(void)
{
    weir_track_index *t = weir_track_index_new();
    /* hash 0: a deleted key, kept only for its change number */
    CU_ASSERT_EQUAL(weir_track_index_load(t, "dead", 4, 0, 7), 0);
    CU_ASSERT_EQUAL(weir_track_index_loaded(t), 0);
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 0);
    CU_ASSERT_TRUE(weir_track_index_has(t, "dead", 4));
    size_t pos = 0, len;
    const char *key;
    uint32_t version;
    int redo;
    CU_ASSERT_EQUAL(weir_track_index_next_unseen(t, &pos, &key, &len, &version, &redo), 0);
    /* it comes back as NEW, with its old change number */
    CU_ASSERT_EQUAL(see(t, "dead", 5, 1, NULL, &version), WEIR_TRACK_NEW);
    CU_ASSERT_EQUAL(version, 7);
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 0);
    weir_track_index_free(t);
}

static void test_index_deletes_in_doubt(void)
{
    weir_track_index *t = weir_track_index_new();
    /* two deletes whose answers were lost (doubt = 1 + WEIR_OP_DELETE) */
    CU_ASSERT_EQUAL(weir_track_index_load_hashed(
                        t, "d1", 2, weir_track_index_hash(t, "d1", 2), 0, 4,
                        1 + WEIR_OP_DELETE), 0);
    CU_ASSERT_EQUAL(weir_track_index_load_hashed(
                        t, "d2", 2, weir_track_index_hash(t, "d2", 2), 0, 6,
                        1 + WEIR_OP_DELETE), 0);
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 0);
    CU_ASSERT_EQUAL(weir_track_index_unseen_redo(t), 2); /* keys, not ops */
    weir_track_index_touch(t, "d1", 2);
    CU_ASSERT_EQUAL(weir_track_index_unseen_redo(t), 1);
    size_t pos = 0, len;
    const char *key;
    uint32_t version;
    int redo = 0;
    CU_ASSERT_EQUAL(weir_track_index_next_unseen(t, &pos, &key, &len, &version,
                                                 &redo), 1);
    CU_ASSERT_EQUAL(memcmp(key, "d2", 2), 0);
    CU_ASSERT_EQUAL(version, 6);
    CU_ASSERT_EQUAL(redo, 1);
    weir_track_index_free(t);
}

static void test_index_touch_and_next_unseen(void)
{
    weir_track_index *t = weir_track_index_new();
    const char *keys[] = {"k0", "k1", "k2", "k3", "k4"};
    for (uint32_t i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(weir_track_index_load(t, keys[i], 2, 100 + i, 10 + i), 0);
    weir_track_index_touch(t, "k1", 2);
    weir_track_index_touch(t, "k1", 2); /* twice counts once */
    weir_track_index_touch(t, "zz", 2); /* unknown: nothing */
    CU_ASSERT_FALSE(weir_track_index_has(t, "zz", 2));
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 4);
    see(t, "k3", 103, 1, NULL, NULL);
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 3);
    /* a touched key is seen: a later record of it is a duplicate */
    long first = -1;
    CU_ASSERT_EQUAL(see(t, "k1", 101, 9, &first, NULL), WEIR_TRACK_DUPLICATE);
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 3);
    /* touching a key already seen changes nothing */
    weir_track_index_touch(t, "k3", 2);
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 3);

    size_t pos = 0, len;
    const char *key;
    uint32_t version;
    int redo;
    const char *want[] = {"k0", "k2", "k4"};
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL_FATAL(weir_track_index_next_unseen(t, &pos, &key, &len,
                                                           &version, &redo), 1);
        CU_ASSERT_EQUAL(len, 2);
        CU_ASSERT_EQUAL(memcmp(key, want[i], 2), 0);
        CU_ASSERT_EQUAL(version, (uint32_t)(10 + (want[i][1] - '0')));
    }
    CU_ASSERT_EQUAL(weir_track_index_next_unseen(t, &pos, &key, &len, &version, &redo), 0);
    CU_ASSERT_EQUAL(weir_track_index_next_unseen(t, &pos, &key, &len, &version, &redo), 0);
    /* restart from 0: the same again (iteration marks nothing) */
    pos = 0;
    CU_ASSERT_EQUAL(weir_track_index_next_unseen(t, &pos, &key, &len, &version, &redo), 1);
    CU_ASSERT_EQUAL(memcmp(key, "k0", 2), 0);
    weir_track_index_free(t);
}

static void test_index_binary_keys_and_reload(void)
{
    weir_track_index *t = weir_track_index_new();
    /* keys are length-counted: NUL bytes and prefixes are distinct */
    CU_ASSERT_EQUAL(weir_track_index_load(t, "a\0b", 3, 1, 1), 0);
    CU_ASSERT_EQUAL(weir_track_index_load(t, "a\0c", 3, 2, 1), 0);
    CU_ASSERT_EQUAL(weir_track_index_load(t, "a", 1, 3, 1), 0);
    CU_ASSERT_EQUAL(weir_track_index_loaded(t), 3);
    weir_track_verdict v;
    uint32_t ver;
    CU_ASSERT_EQUAL(weir_track_index_see(t, "a\0c", 3, 2, 1, &v, NULL, &ver), 0);
    CU_ASSERT_EQUAL(v, WEIR_TRACK_SAME);
    CU_ASSERT_EQUAL(weir_track_index_see(t, "a\0b", 3, 2, 1, &v, NULL, &ver), 0);
    CU_ASSERT_EQUAL(v, WEIR_TRACK_CHANGED);
    /* loading a key twice keeps one entry, the last hash and version */
    CU_ASSERT_EQUAL(weir_track_index_load(t, "x", 1, 5, 1), 0);
    CU_ASSERT_EQUAL(weir_track_index_load(t, "x", 1, 6, 2), 0);
    CU_ASSERT_EQUAL(weir_track_index_loaded(t), 4);
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), 2);
    CU_ASSERT_EQUAL(weir_track_index_see(t, "x", 1, 6, 1, &v, NULL, &ver), 0);
    CU_ASSERT_EQUAL(v, WEIR_TRACK_SAME);
    CU_ASSERT_EQUAL(ver, 2);
    weir_track_index_free(t);
}

static void test_index_many_keys(void)
{
    /* past the first table size (64 slots) several times */
    weir_track_index *t = weir_track_index_new();
    char key[32];
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        int len = snprintf(key, sizeof(key), "key-%d", i);
        CU_ASSERT_EQUAL_FATAL(weir_track_index_load(t, key, (size_t)len,
                                                    (uint64_t)i + 1,
                                                    (uint32_t)i), 0);
    }
    CU_ASSERT_EQUAL(weir_track_index_loaded(t), (size_t)n);
    size_t same = 0, changed = 0, fresh = 0;
    for (int i = 0; i < n + 500; i += 2) {
        int len = snprintf(key, sizeof(key), "key-%d", i);
        weir_track_verdict v;
        uint32_t ver;
        CU_ASSERT_EQUAL_FATAL(weir_track_index_see(t, key, (size_t)len,
                                                   (uint64_t)(i % 4 ? i + 1 : 0),
                                                   i + 1, &v, NULL, &ver), 0);
        if (v == WEIR_TRACK_SAME) {
            same++;
            CU_ASSERT_EQUAL(ver, (uint32_t)i);
        }
        changed += v == WEIR_TRACK_CHANGED;
        fresh += v == WEIR_TRACK_NEW;
    }
    CU_ASSERT_EQUAL(same, (size_t)n / 4);
    CU_ASSERT_EQUAL(changed, (size_t)n / 4);
    CU_ASSERT_EQUAL(fresh, 250);
    CU_ASSERT_EQUAL(weir_track_index_unseen(t), (size_t)n / 2);
    size_t pos = 0, len, count = 0;
    const char *k;
    uint32_t ver;
    int odd = 1, redo;
    while (weir_track_index_next_unseen(t, &pos, &k, &len, &ver, &redo)) {
        count++;
        int num = atoi(k + 4);
        odd &= num % 2 == 1 && ver == (uint32_t)num;
    }
    CU_ASSERT_EQUAL(count, (size_t)n / 2);
    CU_ASSERT_TRUE(odd);
    weir_track_index_free(t);
}

/* Memory in proportion to the keys, not in steps of two: 40 bytes a slot
 * at most 70% full, and the key text packed (a length byte, the text, a
 * NUL).  A power-of-two table gives 1.0 or 2.0 for the ratio below. */
static size_t bytes_for(int n, int reserve)
{
    weir_track_index *t = weir_track_index_new();
    char key[32];
    if (reserve)
        CU_ASSERT_EQUAL(weir_track_index_reserve(t, (size_t)n), 0);
    size_t reserved = weir_track_index_bytes(t);
    for (int i = 0; i < n; i++) {
        int len = snprintf(key, sizeof(key), "C%07d", i);
        CU_ASSERT_EQUAL_FATAL(weir_track_index_load(t, key, (size_t)len, 1, 1),
                              0);
    }
    size_t b = weir_track_index_bytes(t);
    if (reserve) /* the table reserved is the table used: no growth */
        CU_ASSERT_TRUE(b - reserved <= (size_t)n * 11 * 2);
    weir_track_index_free(t);
    return b;
}

static void test_index_memory_linear(void)
{
    size_t a = bytes_for(100000, 1), b = bytes_for(150000, 1);
    double r = (double)b / (double)a;
    CU_ASSERT_TRUE(r > 1.4 && r < 1.6);
    /* 40 / 0.7 + 10 bytes of text: about 67 bytes a key */
    CU_ASSERT_TRUE(b < 150000 * 75);
    CU_ASSERT_TRUE(b > 150000 * 57);
    /* grown without a reservation: at most twice the room */
    CU_ASSERT_TRUE(bytes_for(150000, 0) < 150000 * 135);
}

static void test_index_long_keys(void)
{
    /* lengths of one, two and three bytes in the text's length prefix */
    weir_track_index *t = weir_track_index_new();
    static char big[70000];
    size_t lens[] = {0, 127, 128, 300, 16383, 16384, sizeof(big)};
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < sizeof(lens) / sizeof(*lens); i++)
        CU_ASSERT_EQUAL(weir_track_index_load(t, big, lens[i], 1 + i,
                                              (uint32_t)i), 0);
    size_t pos = 0, len, n = 0;
    const char *key;
    uint32_t version;
    int redo;
    while (weir_track_index_next_unseen(t, &pos, &key, &len, &version, &redo)) {
        CU_ASSERT_EQUAL(len, lens[version]);
        CU_ASSERT_EQUAL(memcmp(key, big, len), 0);
        CU_ASSERT_EQUAL(key[len], '\0');
        n++;
    }
    CU_ASSERT_EQUAL(n, sizeof(lens) / sizeof(*lens));
    weir_track_index_free(t);
}

/* ---- the tracker ------------------------------------------------------ */

static weir_plugins *registry;

static weir_plugins *plugins(void)
{
    if (!registry)
        registry = weir_plugins_new(WEIR_BUILDDIR "/tests/.libs");
    return registry;
}

static int cleanup_suite(void)
{
    weir_plugins_free(registry);
    registry = NULL;
    return 0;
}

/* A pipeline "t": testgen source "in", the given <track> element, and a
 * testgen sink. (owned: weir_pipeline_unref) */
static weir_pipeline *track_pipeline(const char *track)
{
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"t\">\n"
             "<source plugin=\"testgen\" name=\"in\"/>\n%s\n"
             "<sink plugin=\"testgen\" name=\"out\"/>\n</pipeline>\n",
             track);
    weir_diag *d = weir_diag_new();
    weir_pipeline *p = weir_pipeline_load_memory(xml, strlen(xml), "test.xml",
                                                 wt_tmpdir(), plugins(), d);
    if (weir_diag_count(d)) {
        for (size_t i = 0; i < weir_diag_count(d); i++)
            fprintf(stderr, "\n  %s", weir_diag_at(d, i));
        weir_pipeline_unref(p);
        p = NULL;
    }
    if (p)
        p->diag = NULL;
    weir_diag_free(d);
    return p;
}

static weir_tracker *tracker(weir_pipeline *p, weir_state *st, int full)
{
    weir_error err = {0};
    weir_tracker *t = weir_tracker_new(p, st, full, &err);
    if (!t)
        fprintf(stderr, "\n  tracker: %s\n", weir_error_message(&err));
    weir_error_clear(&err);
    return t;
}

/* A fresh state database in the scratch directory. */
static weir_state *state_db(const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", wt_tmpdir(), name);
    unlink(path);
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    if (!st)
        fprintf(stderr, "\n  state: %s\n", weir_error_message(&err));
    weir_error_clear(&err);
    /* snapshots belong to pipelines the state knows (a run remembers its
     * pipeline first) */
    if (st) {
        CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "t", "/t.xml", NULL), 0);
        CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "other", "/o.xml", NULL), 0);
    }
    return st;
}

/* Add a record: origin line, then name/value pairs (WT_NULL for NULL). */
static weir_record *add(weir_batch *b, long origin, ...)
{
    va_list ap;
    va_start(ap, origin);
    weir_record *r = wt_addv(b, WEIR_OP_UPSERT, ap);
    va_end(ap);
    if (r)
        r->origin = origin;
    return r;
}

static void test_tracker_keys(void)
{
    weir_pipeline *p = track_pipeline("<track key=\"a b\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_tracker *t = tracker(p, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_FALSE(weir_tracker_is_full(t));
    weir_batch *b = weir_batch_new(16);
    weir_record *ok = add(b, 1, "a", "1", "b", "2", "x", "y", NULL);
    weir_record *no_b = add(b, 2, "a", "1", NULL);
    weir_record *empty_a = add(b, 3, "a", "", "b", "2", NULL);
    weir_record *null_b = add(b, 4, "a", "1", "b", WT_NULL, NULL);
    weir_record *sep = add(b, 5, "a", "1\x1f" "2", "b", "3", NULL);
    weir_record *other = add(b, 6, "b", "2", "a", "1 ", NULL);
    CU_ASSERT_EQUAL(weir_tracker_process(t, b), 0);

    CU_ASSERT_EQUAL(ok->result, WEIR_RESULT_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ok->key);
    CU_ASSERT_STRING_EQUAL(ok->key, "1\x1f" "2");
    CU_ASSERT_EQUAL(ok->op, WEIR_OP_INSERT);
    CU_ASSERT_EQUAL(ok->version, 1);
    CU_ASSERT_NOT_EQUAL(ok->hash, 0);

    CU_ASSERT_EQUAL(no_b->result, WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(no_b->message, "key field b is missing or empty");
    CU_ASSERT_EQUAL(empty_a->result, WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(empty_a->message, "key field a is missing or empty");
    CU_ASSERT_EQUAL(null_b->result, WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(null_b->message, "key field b is missing or empty");
    /* a key value holding the separator would make keys ambiguous */
    CU_ASSERT_EQUAL(sep->result, WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(sep->message, "key field a holds a NUL byte or the "
                                         "control character 0x1F, which a key "
                                         "cannot hold");
    /* key parts are taken as they are, in key order, not field order */
    CU_ASSERT_EQUAL(other->result, WEIR_RESULT_OK);
    CU_ASSERT_STRING_EQUAL(other->key, "1 \x1f" "2");
    const weir_track_counts *c = weir_tracker_counts(t);
    CU_ASSERT_EQUAL(c->inserts, 2);
    CU_ASSERT_EQUAL(c->updates + c->unchanged + c->deletes + c->duplicates, 0);

    char *shown = weir_key_display(ok->key);
    CU_ASSERT_STRING_EQUAL(shown, "1 / 2");
    free(shown);
    shown = weir_key_display("plain");
    CU_ASSERT_STRING_EQUAL(shown, "plain");
    free(shown);
    shown = weir_key_display("");
    CU_ASSERT_STRING_EQUAL(shown, "");
    free(shown);

    weir_batch_free(b);
    weir_tracker_free(t);
    weir_pipeline_unref(p);
}

/* A batch far longer than the distance at which classify() prepares
 * records ahead of their look-ups: duplicates near and far apart, and
 * unreadable keys in between, get the verdicts of records in order. */
static void test_tracker_long_batch(void)
{
    weir_pipeline *p = track_pipeline("<track key=\"code\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_tracker *t = tracker(p, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    enum { N = 100 };
    weir_batch *b = weir_batch_new(N);
    char code[16];
    for (int i = 0; i < N; i++) {
        /* records 12 and 13 repeat the key of record 9 (line 10), record
         * 60 that of record 1 (line 2); every 7th record has no key */
        int k = i == 12 || i == 13 ? 9 : i == 60 ? 1 : i;
        snprintf(code, sizeof(code), "K%d", k);
        add(b, i + 1, "code", i % 7 == 3 ? "" : code, "v", "x", NULL);
    }
    CU_ASSERT_EQUAL(weir_tracker_process(t, b), 0);
    int bad = 0, dups = 0, rejected = 0;
    for (int i = 0; i < N; i++) {
        weir_record *r = weir_batch_at(b, i);
        const char *m = r->message ? r->message : "";
        if (i % 7 == 3) {
            rejected++;
            bad += r->result != WEIR_RESULT_REJECT ||
                   strcmp(m, "key field code is missing or empty") != 0;
        } else if (i == 12 || i == 13 || i == 60) {
            dups++;
            bad += r->result != WEIR_RESULT_REJECT ||
                   strcmp(m, i == 60 ? "duplicate key in this run (first "
                                       "at line 2)"
                                     : "duplicate key in this run (first "
                                       "at line 10)") != 0;
        } else {
            bad += r->result != WEIR_RESULT_OK || r->op != WEIR_OP_INSERT ||
                   r->version != 1;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(dups, 3);
    const weir_track_counts *c = weir_tracker_counts(t);
    CU_ASSERT_EQUAL(c->inserts, (size_t)(N - dups - rejected));
    CU_ASSERT_EQUAL(c->duplicates, 3);
    weir_batch_free(b);
    weir_tracker_free(t);
    weir_pipeline_unref(p);
}

/* The hash <track> gives one record of `fields` (name/value pairs), set
 * by name (`by_column` 0) or added as a row of those columns
 * (weir_batch_add_row: read by column). */
static uint64_t hash_by(weir_pipeline *p, const char *const *fields,
                        int by_column)
{
    weir_tracker *t = tracker(p, NULL, 0);
    weir_batch *b = weir_batch_new(1);
    weir_record *r;
    if (by_column) {
        const char *names[16], *values[16];
        size_t lens[16], n = 0;
        for (size_t i = 0; fields[i]; i += 2, n++) {
            names[n] = fields[i];
            values[n] = fields[i + 1] == WT_NULL ? NULL : fields[i + 1];
            lens[n] = WEIR_NUL_TERMINATED;
        }
        CU_ASSERT_EQUAL(weir_batch_columns(b, names, n), 1);
        r = weir_batch_add_row(b, values, lens, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    } else {
        r = weir_batch_add(b);
        for (size_t i = 0; fields[i]; i += 2)
            weir_record_set(r, fields[i],
                            fields[i + 1] == WT_NULL ? NULL : fields[i + 1],
                            (size_t)-1);
    }
    weir_tracker_process(t, b);
    uint64_t h = r->result == WEIR_RESULT_OK ? r->hash : 0;
    CU_ASSERT_EQUAL(weir_tracker_counts(t)->by_column, (uint64_t)(by_column && h));
    weir_batch_free(b);
    weir_tracker_free(t);
    return h;
}

/* The hash <track> gives one record of `fields`: the same by name and by
 * column. */
static uint64_t hash_of(weir_pipeline *p, const char *const *fields)
{
    uint64_t h = hash_by(p, fields, 0);
    CU_ASSERT_EQUAL(hash_by(p, fields, 1), h);
    return h;
}

static void test_tracker_hash(void)
{
    weir_pipeline *p = track_pipeline("<track key=\"code\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const char *base[] = {"code", "A", "x", "1", "y", "2", NULL};
    const char *reordered[] = {"y", "2", "code", "A", "x", "1", NULL};
    const char *x_empty[] = {"code", "A", "x", "", "y", "2", NULL};
    const char *x_null[] = {"code", "A", "x", WT_NULL, "y", "2", NULL};
    const char *x_missing[] = {"code", "A", "y", "2", NULL};
    const char *swapped[] = {"code", "A", "x", "2", "y", "1", NULL};
    const char *renamed[] = {"code", "A", "x", "1", "z", "2", NULL};
    uint64_t h = hash_of(p, base);
    CU_ASSERT_NOT_EQUAL(h, 0);
    CU_ASSERT_EQUAL(hash_of(p, reordered), h);
    CU_ASSERT_NOT_EQUAL(hash_of(p, x_empty), h);
    CU_ASSERT_NOT_EQUAL(hash_of(p, x_null), h);
    CU_ASSERT_NOT_EQUAL(hash_of(p, x_null), hash_of(p, x_empty));
    CU_ASSERT_NOT_EQUAL(hash_of(p, x_missing), h);
    CU_ASSERT_NOT_EQUAL(hash_of(p, x_missing), hash_of(p, x_null));
    CU_ASSERT_NOT_EQUAL(hash_of(p, swapped), h);
    CU_ASSERT_NOT_EQUAL(hash_of(p, renamed), h);
    weir_pipeline_unref(p);

    /* fields="x": only x counts; missing and NULL x still differ */
    p = track_pipeline("<track key=\"code\" fields=\"x\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const char *other_y[] = {"code", "A", "x", "1", "y", "changed", "w", "new",
                             NULL};
    const char *other_x[] = {"code", "A", "x", "9", "y", "2", NULL};
    h = hash_of(p, base);
    CU_ASSERT_EQUAL(hash_of(p, other_y), h);
    CU_ASSERT_EQUAL(hash_of(p, reordered), h);
    CU_ASSERT_NOT_EQUAL(hash_of(p, other_x), h);
    CU_ASSERT_NOT_EQUAL(hash_of(p, x_null), h);
    CU_ASSERT_NOT_EQUAL(hash_of(p, x_empty), h);
    CU_ASSERT_NOT_EQUAL(hash_of(p, x_missing), hash_of(p, x_null));
    CU_ASSERT_NOT_EQUAL(hash_of(p, x_missing), hash_of(p, x_empty));
    weir_pipeline_unref(p);
}

/* The hashes existing snapshots hold: computing them any other way would
 * make every key look changed on the next run after an upgrade. */
static void test_tracker_hash_pinned(void)
{
    CU_ASSERT_EQUAL(weir_field_hash("code", "A", 1),
                    UINT64_C(0xa08264a84ba637a7));
    CU_ASSERT_EQUAL(weir_field_hash("x", NULL, 0),
                    UINT64_C(0xe9c16e573d78611e));
    CU_ASSERT_EQUAL(weir_field_hash("x", "", 0), UINT64_C(0xdfdacc6e33583a53));
    const char *row[] = {"code", "C000042", "name", "Z\xc3\xbcrich AG", "x",
                         WT_NULL, "y", "", NULL};
    const char *no_x[] = {"code", "C000042", "name", "Z\xc3\xbcrich AG", "y",
                          "", NULL};
    weir_pipeline *p = track_pipeline("<track key=\"code\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(hash_of(p, row), UINT64_C(0x78a9cc5a7e1f641c));
    weir_pipeline_unref(p);
    p = track_pipeline("<track key=\"code\" fields=\"name x\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(hash_of(p, row), UINT64_C(0x23ae5a009a2e3a5b));
    CU_ASSERT_EQUAL(hash_of(p, no_x), UINT64_C(0x23ae5a009a2e3a5c));
    weir_pipeline_unref(p);
}

static void test_tracker_owned_fields(void)
{
    weir_pipeline *p = track_pipeline(
        "<track key=\"code\">"
        "<field name=\"credit\" owner=\"erp\"/>"
        "<field name=\"note\" owner=\"in\"/>"
        "</track>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_tracker *t = tracker(p, NULL, 0);
    weir_batch *b = weir_batch_new(2);
    weir_record *r = add(b, 1, "code", "A", "credit", "500", "note", "n",
                         NULL);
    CU_ASSERT_EQUAL(weir_tracker_process(t, b), 0);
    CU_ASSERT_EQUAL(r->result, WEIR_RESULT_OK);
    /* the ERP owns credit: never sent from here; the source owns note */
    CU_ASSERT_FALSE(weir_record_has(r, "credit"));
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "note", NULL), "n");
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "code", NULL), "A");
    CU_ASSERT_EQUAL(r->nfields, 2);
    weir_tracker_free(t);
    weir_batch_free(b);
    /* stripped before hashing: a credit change is no change */
    const char *c1[] = {"code", "A", "credit", "1", "note", "n", NULL};
    const char *c2[] = {"code", "A", "credit", "2", "note", "n", NULL};
    const char *none[] = {"code", "A", "note", "n", NULL};
    CU_ASSERT_EQUAL(hash_of(p, c1), hash_of(p, c2));
    CU_ASSERT_EQUAL(hash_of(p, c1), hash_of(p, none));
    weir_pipeline_unref(p);
}

static void test_tracker_duplicates(void)
{
    weir_pipeline *p = track_pipeline("<track key=\"code\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_tracker *t = tracker(p, NULL, 0);
    weir_batch *b = weir_batch_new(8);
    weir_record *r1 = add(b, 5, "code", "A", NULL);
    weir_record *r2 = add(b, 9, "code", "A", "x", "other", NULL);
    weir_record *r3 = add(b, 0, "code", "B", NULL);
    weir_record *r4 = add(b, 12, "code", "B", NULL);
    CU_ASSERT_EQUAL(weir_tracker_process(t, b), 0);
    CU_ASSERT_EQUAL(r1->result, WEIR_RESULT_OK);
    CU_ASSERT_EQUAL(r2->result, WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(r2->message,
                           "duplicate key in this run (first at line 5)");
    CU_ASSERT_EQUAL(r3->result, WEIR_RESULT_OK);
    CU_ASSERT_EQUAL(r4->result, WEIR_RESULT_REJECT);
    CU_ASSERT_STRING_EQUAL(r4->message, "duplicate key in this run");
    /* the key is set on a duplicate too (for the report) */
    CU_ASSERT_STRING_EQUAL(r2->key, "A");
    /* a duplicate in a later batch still is one */
    weir_batch_clear(b);
    weir_record *r5 = add(b, 30, "code", "A", NULL);
    CU_ASSERT_EQUAL(weir_tracker_process(t, b), 0);
    CU_ASSERT_STRING_EQUAL(r5->message,
                           "duplicate key in this run (first at line 5)");
    const weir_track_counts *c = weir_tracker_counts(t);
    CU_ASSERT_EQUAL(c->inserts, 2);
    CU_ASSERT_EQUAL(c->duplicates, 3);
    weir_batch_free(b);
    weir_tracker_free(t);
    weir_pipeline_unref(p);
}

/* Store snapshot entries: key, hash, version triples. */
static void put_snapshot(weir_state *st, const char *key, uint64_t hash,
                         uint64_t version)
{
    CU_ASSERT_EQUAL(weir_state_snapshot_put(
        st, "t", &(weir_snapshot_entry){key, hash, version, WEIR_OP_INSERT}, 1,
        0), 0);
}

static void test_tracker_against_snapshot(void)
{
    weir_pipeline *p = track_pipeline("<track key=\"code\" deletes=\"emit\" "
                                      "max-delete=\"off\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const char *a[] = {"code", "A", "v", "1", NULL};
    const char *b_old[] = {"code", "B", "v", "1", NULL};
    uint64_t ha = hash_of(p, a), hb = hash_of(p, b_old);
    weir_state *st = state_db("track-snap.db");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    put_snapshot(st, "A", ha, 3);
    put_snapshot(st, "B", hb, 4);
    put_snapshot(st, "C", 12345, 2);
    put_snapshot(st, "D", 0, 9); /* deleted in an earlier run */
    /* another pipeline's snapshot is not ours */
    CU_ASSERT_EQUAL(weir_state_snapshot_put(
        st, "other", &(weir_snapshot_entry){"E", 1, 1, WEIR_OP_INSERT}, 1,
        0), 0);

    for (int full = 0; full <= 1; full++) {
        weir_tracker *t = tracker(p, st, full);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        CU_ASSERT_EQUAL(weir_tracker_is_full(t), full);
        weir_batch *b = weir_batch_new(8);
        weir_record *ra = add(b, 1, "code", "A", "v", "1", NULL);
        weir_record *rb = add(b, 2, "code", "B", "v", "2", NULL);
        weir_record *rd = add(b, 3, "code", "D", "v", "1", NULL);
        weir_record *rn = add(b, 4, "code", "N", "v", "1", NULL);
        CU_ASSERT_EQUAL(weir_tracker_process(t, b), 0);
        if (!full) {
            CU_ASSERT_EQUAL(ra->result, WEIR_RESULT_DROP);
            CU_ASSERT_TRUE(ra->unchanged);
        } else { /* a full refresh sends unchanged records as updates */
            CU_ASSERT_EQUAL(ra->result, WEIR_RESULT_OK);
            CU_ASSERT_FALSE(ra->unchanged);
            CU_ASSERT_EQUAL(ra->op, WEIR_OP_UPDATE);
        }
        CU_ASSERT_EQUAL(ra->version, 4);
        CU_ASSERT_EQUAL(rb->result, WEIR_RESULT_OK);
        CU_ASSERT_EQUAL(rb->op, WEIR_OP_UPDATE);
        CU_ASSERT_EQUAL(rb->version, 5);
        /* a deleted key coming back is an insert with the next number */
        CU_ASSERT_EQUAL(rd->result, WEIR_RESULT_OK);
        CU_ASSERT_EQUAL(rd->op, WEIR_OP_INSERT);
        CU_ASSERT_EQUAL(rd->version, 10);
        CU_ASSERT_EQUAL(rn->op, WEIR_OP_INSERT);
        CU_ASSERT_EQUAL(rn->version, 1);
        const weir_track_counts *c = weir_tracker_counts(t);
        CU_ASSERT_EQUAL(c->inserts, 2);
        CU_ASSERT_EQUAL(c->updates, full ? 2 : 1);
        CU_ASSERT_EQUAL(c->unchanged, full ? 0 : 1);

        /* C was not seen: it is the one delete */
        char why[512] = "";
        CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)), 0);
        weir_batch_clear(b);
        CU_ASSERT_EQUAL(weir_tracker_emit_deletes(t, b), 1);
        weir_record *del = weir_batch_at(b, 0);
        CU_ASSERT_EQUAL(del->op, WEIR_OP_DELETE);
        CU_ASSERT_STRING_EQUAL(del->key, "C");
        CU_ASSERT_STRING_EQUAL(weir_record_get(del, "code", NULL), "C");
        CU_ASSERT_EQUAL(del->version, 3);
        CU_ASSERT_EQUAL(weir_tracker_emit_deletes(t, b), 0);
        CU_ASSERT_EQUAL(weir_tracker_counts(t)->deletes, 1);
        weir_batch_free(b);
        weir_tracker_free(t);
    }
    weir_state_close(st);
    weir_pipeline_unref(p);
}

static int64_t fake_now;
static int64_t fake_clock(void) { return fake_now; }

static void test_tracker_full_refresh_due(void)
{
    weir_pipeline *p = track_pipeline("<track key=\"code\" "
                                      "full-refresh=\"7d\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_state *st = state_db("track-full.db");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    const int64_t day = 86400000;
    fake_now = 1700000000000LL;
    weir_clock_set(fake_clock);
    /* never refreshed yet: no full refresh forced */
    weir_tracker *t = tracker(p, st, 0);
    CU_ASSERT_FALSE(weir_tracker_is_full(t));
    weir_tracker_free(t);
    CU_ASSERT_EQUAL(weir_state_set_last_full_refresh(st, "t", fake_now - 6 * day), 0);
    t = tracker(p, st, 0);
    CU_ASSERT_FALSE(weir_tracker_is_full(t));
    weir_tracker_free(t);
    CU_ASSERT_EQUAL(weir_state_set_last_full_refresh(st, "t", fake_now - 7 * day), 0);
    t = tracker(p, st, 0);
    CU_ASSERT_TRUE(weir_tracker_is_full(t));
    weir_tracker_free(t);
    /* without state: only when asked */
    t = tracker(p, NULL, 0);
    CU_ASSERT_FALSE(weir_tracker_is_full(t));
    weir_tracker_free(t);
    t = tracker(p, NULL, 1);
    CU_ASSERT_TRUE(weir_tracker_is_full(t));
    weir_tracker_free(t);
    weir_clock_set(NULL);
    weir_state_close(st);
    weir_pipeline_unref(p);
}

/* A tracker over a snapshot of keys K00..K(n-1), having seen the first
 * `seen` of them. */
static int count_calls(const char *key, void *ctx)
{
    (void)key;
    ++*(int *)ctx;
    return 0;
}

static weir_tracker *guard_setup(weir_pipeline *p, weir_state *st, int n,
                                 int seen)
{
    char key[16];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "K%02d", i);
        put_snapshot(st, key, 1000 + (uint64_t)i, 1);
    }
    weir_tracker *t = tracker(p, st, 0);
    weir_batch *b = weir_batch_new((size_t)n);
    for (int i = 0; i < seen; i++) {
        snprintf(key, sizeof(key), "K%02d", i);
        add(b, i + 1, "code", key, NULL);
    }
    CU_ASSERT_EQUAL(weir_tracker_process(t, b), 0);
    weir_batch_free(b);
    return t;
}

static void test_tracker_delete_guard(void)
{
    char why[512];
    weir_state *st = state_db("track-guard.db");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);

    /* the default: 20% */
    weir_pipeline *p = track_pipeline("<track key=\"code\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_tracker *t = guard_setup(p, st, 10, 7);
    why[0] = '\0';
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)), WEIR_DELETES_REFUSED);
    CU_ASSERT_STRING_EQUAL(why, "the run would delete 3 of 10 records "
                                "(30.0%), more than max-delete=\"20%\"; "
                                "nothing was changed (use --force if the "
                                "deletions are real)");
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 1, why, sizeof(why)), 0);
    weir_tracker_free(t);
    /* exactly at the limit passes */
    t = guard_setup(p, st, 10, 8);
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)), 0);
    weir_tracker_free(t);
    weir_pipeline_unref(p);

    /* a count */
    p = track_pipeline("<track key=\"code\" max-delete=\"2\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    t = guard_setup(p, st, 10, 7);
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)), WEIR_DELETES_REFUSED);
    CU_ASSERT_STRING_EQUAL(why, "the run would delete 3 of 10 records, more "
                                "than max-delete=\"2\"; nothing was changed "
                                "(use --force if the deletions are real)");
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 1, why, sizeof(why)), 0);
    weir_tracker_free(t);
    t = guard_setup(p, st, 10, 8);
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)), 0);
    weir_tracker_free(t);
    weir_pipeline_unref(p);

    /* 0 means no deletes at all without --force; nothing unseen is fine */
    p = track_pipeline("<track key=\"code\" max-delete=\"0\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    t = guard_setup(p, st, 10, 9);
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)), WEIR_DELETES_REFUSED);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "delete 1 of 10 records, more than "
                                       "max-delete=\"0\""));
    weir_tracker_free(t);
    t = guard_setup(p, st, 10, 10);
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)),
                    WEIR_DELETES_NONE);
    weir_tracker_free(t);
    weir_pipeline_unref(p);

    /* off, and deletes="ignore" */
    p = track_pipeline("<track key=\"code\" max-delete=\"off\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    t = guard_setup(p, st, 10, 0);
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)), 0);
    weir_tracker_free(t);
    weir_pipeline_unref(p);
    /* deletes="ignore": none, whatever the guard or --force says */
    p = track_pipeline("<track key=\"code\" deletes=\"ignore\" "
                       "max-delete=\"off\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    for (int force = 0; force <= 1; force++) {
        t = guard_setup(p, st, 10, 0);
        why[0] = '\0';
        CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, force, why, sizeof(why)),
                        WEIR_DELETES_NONE);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "10 keys are no longer in the "
                                           "source; not deleted"));
        weir_batch *none = weir_batch_new(16);
        CU_ASSERT_EQUAL(weir_tracker_emit_deletes(t, none), 0);
        int calls = 0;
        CU_ASSERT_EQUAL(weir_tracker_each_delete(t, count_calls, &calls), 0);
        CU_ASSERT_EQUAL(calls, 0);
        weir_batch_free(none);
        weir_tracker_free(t);
    }
    weir_pipeline_unref(p);

    /* a fractional percentage */
    p = track_pipeline("<track key=\"code\" max-delete=\"12.5%\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    t = guard_setup(p, st, 10, 8);
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)), WEIR_DELETES_REFUSED);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "delete 2 of 10 records (20.0%), more "
                                       "than max-delete=\"12.5%\""));
    weir_tracker_free(t);
    weir_pipeline_unref(p);
    weir_state_close(st);
}

static void test_tracker_unsent_rows(void)
{
    char why[512];
    weir_state *st = state_db("track-unsent.db");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    weir_pipeline *p = track_pipeline("<track key=\"code\" max-delete=\"off\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_tracker *t = guard_setup(p, st, 10, 6);
    /* a rejected row whose key is readable keeps its key from deletion */
    weir_batch *b = weir_batch_new(4);
    weir_record *r = add(b, 7, "code", "K07", "bad", "x", NULL);
    r->malformed = 1;
    weir_tracker_note_unsent(t, r);
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)), 0);
    size_t n = 0;
    weir_batch *d = weir_batch_new(10);
    n = weir_tracker_emit_deletes(t, d);
    CU_ASSERT_EQUAL(n, 3);
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_STRING_NOT_EQUAL(weir_batch_at(d, i)->key, "K07");
    weir_batch_free(d);
    weir_tracker_free(t);

    /* one whose key cannot be read turns the deletes off, even forced */
    t = guard_setup(p, st, 10, 6);
    weir_record *nokey = add(b, 42, "name", "x", NULL);
    weir_tracker_note_unsent(t, nokey);
    weir_record *nokey2 = add(b, 43, "code", "", NULL);
    weir_tracker_note_unsent(t, nokey2); /* the first line is reported */
    why[0] = '\0';
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)), WEIR_DELETES_OFF);
    CU_ASSERT_STRING_EQUAL(why, "4 deletes not sent: a row whose key could "
                                "not be read (line 42) was rejected, so a "
                                "missing key may only be unreadable");
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 1, why, sizeof(why)), WEIR_DELETES_OFF);
    weir_tracker_free(t);

    /* ... but only matters when there is something to delete */
    t = guard_setup(p, st, 10, 10);
    weir_tracker_note_unsent(t, nokey);
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)),
                    WEIR_DELETES_NONE);
    weir_tracker_free(t);
    weir_batch_free(b);
    weir_pipeline_unref(p);
    weir_state_close(st);
}

static int collect(const char *key, void *ctx)
{
    char *all = ctx;
    strcat(all, key);
    strcat(all, ";");
    return 0;
}

static int stop_at_first(const char *key, void *ctx)
{
    (void)key;
    ++*(int *)ctx;
    return 7;
}

static void test_tracker_emit_composite_deletes(void)
{
    weir_state *st = state_db("track-emit.db");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    weir_pipeline *p = track_pipeline("<track key=\"country code\" "
                                      "max-delete=\"off\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    put_snapshot(st, "DE\x1f" "1", 11, 1);
    put_snapshot(st, "FR\x1f" "2", 12, 5);
    put_snapshot(st, "NL\x1f" "3", 13, 2);
    put_snapshot(st, "BE\x1f" "4", 14, 1);
    put_snapshot(st, "IT\x1f" "5", 0, 8); /* already deleted */
    weir_tracker *t = tracker(p, st, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    weir_batch *b = weir_batch_new(2);
    add(b, 1, "code", "4", "country", "BE", NULL);
    CU_ASSERT_EQUAL(weir_tracker_process(t, b), 0);

    char all[256] = "", why[256];
    CU_ASSERT_EQUAL(weir_tracker_each_delete(t, collect, all), 0);
    CU_ASSERT_STRING_EQUAL(all, ""); /* none before the check lets them go */
    CU_ASSERT_EQUAL(weir_tracker_check_deletes(t, 0, why, sizeof(why)),
                    WEIR_DELETES_GO);
    CU_ASSERT_EQUAL(weir_tracker_each_delete(t, collect, all), 0);
    /* three deletes; each_delete does not consume them */
    CU_ASSERT_EQUAL(strlen(all), 3 * 5);
    int calls = 0;
    CU_ASSERT_EQUAL(weir_tracker_each_delete(t, stop_at_first, &calls), 7);
    CU_ASSERT_EQUAL(calls, 1);

    char seen[256] = "";
    size_t total = 0, n;
    for (int round = 0; round < 4; round++) {
        weir_batch_clear(b);
        n = weir_tracker_emit_deletes(t, b);
        CU_ASSERT(n <= 2);
        total += n;
        for (size_t i = 0; i < n; i++) {
            weir_record *r = weir_batch_at(b, i);
            CU_ASSERT_EQUAL(r->op, WEIR_OP_DELETE);
            CU_ASSERT_EQUAL(r->nfields, 2);
            const char *country = weir_record_get(r, "country", NULL);
            const char *code = weir_record_get(r, "code", NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(country);
            CU_ASSERT_PTR_NOT_NULL_FATAL(code);
            char joined[64];
            snprintf(joined, sizeof(joined), "%s\x1f%s", country, code);
            CU_ASSERT_STRING_EQUAL(joined, r->key);
            if (strcmp(country, "FR") == 0)
                CU_ASSERT_EQUAL(r->version, 6);
            strcat(seen, country);
        }
        if (!n)
            break;
    }
    CU_ASSERT_EQUAL(total, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(seen, "DE"));
    CU_ASSERT_PTR_NOT_NULL(strstr(seen, "FR"));
    CU_ASSERT_PTR_NOT_NULL(strstr(seen, "NL"));
    CU_ASSERT_PTR_NULL(strstr(seen, "BE"));
    CU_ASSERT_PTR_NULL(strstr(seen, "IT"));
    CU_ASSERT_EQUAL(weir_tracker_counts(t)->deletes, 3);
    /* a full batch gets nothing */
    weir_batch_clear(b);
    weir_batch_add(b);
    weir_batch_add(b);
    CU_ASSERT_EQUAL(weir_tracker_emit_deletes(t, b), 0);
    weir_batch_free(b);
    weir_tracker_free(t);
    weir_pipeline_unref(p);
    weir_state_close(st);
}

static void test_tracker_unreadable_snapshot(void)
{
    weir_pipeline *p = track_pipeline("<track key=\"code\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_state *st = state_db("track-broken.db");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    /* the snapshot table gone behind the state's back */
    sqlite3 *db;
    CU_ASSERT_EQUAL(sqlite3_open(weir_state_path(st), &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "DROP TABLE snapshots", NULL, NULL, NULL),
                    SQLITE_OK);
    sqlite3_close(db);
    weir_error err = {0};
    CU_ASSERT_PTR_NULL(weir_tracker_new(p, st, 0, &err));
    CU_ASSERT_NOT_EQUAL(err.cls, WEIR_ERR_NONE);
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err),
                                  "cannot read the change-tracking "
                                  "snapshot: "));
    weir_error_clear(&err);
    weir_state_close(st);
    weir_pipeline_unref(p);
}

/* Regression: a key value with a NUL byte was indexed by length but
 * stored up to the NUL, so "A\0x" and "A\0y" both became key "A" and the
 * next run turned "A" into a delete.  Such keys are now refused. */
static void test_tracker_nul_in_key(void)
{
    weir_pipeline *p = track_pipeline("<track key=\"code\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    weir_tracker *t = tracker(p, NULL, 0);
    weir_batch *b = weir_batch_new(2);
    weir_record *r1 = weir_batch_add(b);
    weir_record *r2 = weir_batch_add(b);
    weir_record_set(r1, "code", "A\0x", 3);
    weir_record_set(r2, "code", "A\0y", 3);
    CU_ASSERT_EQUAL(weir_tracker_process(t, b), 0);
    /* two records sent with one record key: what must never happen */
    int both_sent_same_key = r1->result == WEIR_RESULT_OK &&
                             r2->result == WEIR_RESULT_OK && r1->key &&
                             r2->key && strcmp(r1->key, r2->key) == 0;
    CU_ASSERT_FALSE(both_sent_same_key);
    /* whatever is accepted keeps its whole key */
    if (r1->result == WEIR_RESULT_OK && r1->key)
        CU_ASSERT_EQUAL(strlen(r1->key), 3);
    weir_batch_free(b);
    weir_tracker_free(t);
    weir_pipeline_unref(p);
}

/* A record added as a row (weir_batch_add_row) is the record set field
 * by field: names, values, NULL and "", NUL bytes, the origin. */
static void test_rows_by_column_records(void)
{
    weir_batch *b = weir_batch_new(3);
    const char *names[] = {"code", "name", "note"};
    const char *values[] = {"A1", NULL, "x\0y"};
    size_t lens[] = {WEIR_NUL_TERMINATED, 5, 3};
    /* no columns yet, none given, a name twice: no rows */
    CU_ASSERT_PTR_NULL(weir_batch_add_row(b, values, lens, 1));
    CU_ASSERT_EQUAL(weir_batch_columns(b, names, 0), 0);
    const char *twice[] = {"code", "name", "code"};
    CU_ASSERT_EQUAL(weir_batch_columns(b, twice, 3), 0);
    CU_ASSERT_PTR_NULL(weir_batch_add_row(b, values, lens, 1));
    CU_ASSERT_EQUAL(weir_batch_columns(b, names, 3), 1);
    weir_record *r = weir_batch_add_row(b, values, lens, 42);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->origin, 42);
    CU_ASSERT_EQUAL(r->nfields, 3);
    size_t len = 9;
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "code", &len), "A1");
    CU_ASSERT_EQUAL(len, 2);
    CU_ASSERT_TRUE(weir_record_has(r, "name"));
    CU_ASSERT_PTR_NULL(weir_record_get(r, "name", &len));
    const char *v = weir_record_get(r, "note", &len);
    CU_ASSERT_EQUAL(len, 3);
    CU_ASSERT(v && memcmp(v, "x\0y", 4) == 0); /* NUL-terminated too */
    /* the same id as the record set by name */
    weir_record *named = weir_batch_add(b);
    weir_record_set(named, "code", "A1", 2);
    weir_record_set(named, "name", NULL, 0);
    weir_record_set(named, "note", "x\0y", 3);
    named->origin = 42;
    CU_ASSERT_STRING_EQUAL(weir_record_id(r), weir_record_id(named));
    CU_ASSERT_PTR_NULL(named->cols);
    /* changed, it is a record like any other: no longer by column */
    CU_ASSERT_PTR_NOT_NULL(r->cols);
    weir_record_set(r, "note", "z", 1);
    CU_ASSERT_PTR_NULL(r->cols);
    weir_record *last = weir_batch_add_row(b, values, lens, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(last);
    CU_ASSERT_PTR_NULL(weir_batch_add_row(b, values, lens, 3)); /* full */
    /* an emptied batch forgets its columns; the same names again keep
     * their serial (what <track> plans by) */
    uint64_t serial = last->cols->serial;
    weir_batch_clear(b);
    CU_ASSERT_PTR_NULL(weir_batch_add_row(b, values, lens, 1));
    CU_ASSERT_EQUAL(weir_batch_columns(b, names, 3), 1);
    r = weir_batch_add_row(b, values, lens, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->cols->serial, serial);
    CU_ASSERT_EQUAL(weir_batch_columns(b, names, 2), 1);
    CU_ASSERT_NOT_EQUAL(weir_batch_add_row(b, values, lens, 1)->cols->serial,
                        serial);
    weir_batch_free(b);
}

/* <track> reads a record by column only while it is the row added: a
 * record changed after (by the source, or a transform before <track>)
 * is read by name, its hash that of its values now. */
static void test_rows_by_column_changed(void)
{
    weir_pipeline *p = track_pipeline("<track key=\"code\"/>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const char *now[] = {"code", "A", "x", "2", NULL};
    uint64_t want = hash_of(p, now);
    weir_tracker *t = tracker(p, NULL, 0);
    weir_batch *b = weir_batch_new(2);
    const char *names[] = {"code", "x"};
    const char *values[] = {"A", "1"};
    size_t lens[] = {1, 1};
    CU_ASSERT_EQUAL_FATAL(weir_batch_columns(b, names, 2), 1);
    weir_record *r = weir_batch_add_row(b, values, lens, 1);
    weir_record_set(r, "x", "2", 1);
    /* a key in no column, a key NULL: rejected as by name */
    const char *other[] = {"id", "x"};
    CU_ASSERT_EQUAL_FATAL(weir_batch_columns(b, other, 2), 1);
    weir_record *no_key = weir_batch_add_row(b, values, lens, 2);
    CU_ASSERT_EQUAL(weir_tracker_process(t, b), 0);
    CU_ASSERT_EQUAL(r->hash, want);
    CU_ASSERT_EQUAL(r->result, WEIR_RESULT_OK);
    CU_ASSERT_EQUAL(no_key->result, WEIR_RESULT_REJECT);
    CU_ASSERT_EQUAL(weir_tracker_counts(t)->by_column, 0);
    weir_batch_free(b);
    weir_tracker_free(t);
    weir_pipeline_unref(p);
}

void register_track_tests(void)
{
    CU_pSuite s = CU_add_suite("track index", NULL, NULL);
    CU_add_test(s, "verdicts, versions, duplicates", test_index_verdicts);
    CU_add_test(s, "deleted keys keep their version", test_index_tombstones);
    CU_add_test(s, "touch and next_unseen", test_index_touch_and_next_unseen);
    CU_add_test(s, "deletes in doubt", test_index_deletes_in_doubt);
    CU_add_test(s, "binary keys and reloads", test_index_binary_keys_and_reload);
    CU_add_test(s, "many keys", test_index_many_keys);
    CU_add_test(s, "memory in proportion to the keys",
                test_index_memory_linear);
    CU_add_test(s, "long keys", test_index_long_keys);

    s = CU_add_suite("tracker", NULL, cleanup_suite);
    CU_add_test(s, "keys, composite and missing", test_tracker_keys);
    CU_add_test(s, "a batch longer than the look-ahead",
                test_tracker_long_batch);
    CU_add_test(s, "record hash", test_tracker_hash);
    CU_add_test(s, "record hashes as existing snapshots hold them",
                test_tracker_hash_pinned);
    CU_add_test(s, "owned fields stripped", test_tracker_owned_fields);
    CU_add_test(s, "duplicates", test_tracker_duplicates);
    CU_add_test(s, "against a snapshot, full refresh",
                test_tracker_against_snapshot);
    CU_add_test(s, "full refresh due", test_tracker_full_refresh_due);
    CU_add_test(s, "delete guard", test_tracker_delete_guard);
    CU_add_test(s, "unsent rows", test_tracker_unsent_rows);
    CU_add_test(s, "composite deletes", test_tracker_emit_composite_deletes);
    CU_add_test(s, "unreadable snapshot", test_tracker_unreadable_snapshot);
    CU_add_test(s, "a NUL byte in a key field is refused", test_tracker_nul_in_key);
    CU_add_test(s, "rows by column: the records", test_rows_by_column_records);
    CU_add_test(s, "rows by column: changed records are read by name",
                test_rows_by_column_changed);
}
