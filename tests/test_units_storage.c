/* Unit tests of what records become on their way: the spool of a tracked
 * run (spool.c), the outbox payload (payload.c), and the batch view and
 * record ids (record.c). */
#include "config.h"

#include <CUnit/CUnit.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Records no source makes every day, through the spool and back: no
 * fields, no key, a link, NULL, empty and binary values, hundreds of
 * fields, a value larger than the spool's buffer, names in another order
 * and names never seen, extreme numbers. */
static void test_spool_awkward_records(void)
{
    enum { WIDE = 300 };
    const size_t big_len = (3u << 20) + 7; /* three buffers and a bit */
    char *big = malloc(big_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)(i % 251); /* NULs included */
    weir_spool *s = weir_spool_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    weir_batch *in = weir_batch_new(8);
    char name[16];

    weir_record *a = weir_batch_add(in); /* nothing but numbers and a link */
    a->op = WEIR_OP_DELETE;
    a->sent_for = WEIR_SENT_IN_DOUBT;
    a->version = UINT64_MAX;
    a->origin = -5;
    weir_record_set_link(a, "account\x1f" "crm\x1f" "7\x1f" "erp");
    weir_record *b = weir_batch_add(in); /* wide: NULL, empty, binary */
    b->sent_for = WEIR_SENT_CHANGED;
    b->hash = 1;
    weir_record_set_key(b, "wide");
    for (int i = 0; i < WIDE; i++) {
        snprintf(name, sizeof(name), "f%03d", i);
        weir_record_set(b, name, i % 3 == 0 ? NULL : "\0x\0", (size_t)(i % 3));
    }
    weir_record *c = weir_batch_add(in); /* larger than the buffer */
    weir_record_set_key(c, "big");
    weir_record_set(c, "big", big, big_len);
    weir_record_set(c, "", "no name", (size_t)-1);
    weir_record *d = weir_batch_add(in); /* other order, a new name */
    for (int i = WIDE - 1; i >= 0; i -= 7) {
        snprintf(name, sizeof(name), "f%03d", i);
        weir_record_set(d, name, name, (size_t)-1);
    }
    weir_record_set(d, "new", "", 0);
    weir_record *e = weir_batch_add(in); /* a value of exactly 127 bytes */
    e->sent_for = WEIR_SENT_FULL_REFRESH;
    e->origin = 1L << 40;
    weir_record_set(e, "f000", big + 1, 127);
    for (size_t i = 0; i < weir_batch_count(in); i++)
        CU_ASSERT_EQUAL(weir_spool_put(s, weir_batch_at(in, i)), 0);
    CU_ASSERT_EQUAL(weir_spool_rewind(s), 0);
    CU_ASSERT_EQUAL(weir_spool_put(s, a), -1); /* reading now */

    weir_batch *out = weir_batch_new(2); /* three reads */
    weir_record *rs[5];
    size_t n = 0;
    long got;
    weir_batch *keep[3];
    for (int k = 0; k < 3; k++) {
        keep[k] = weir_batch_new(2);
        got = weir_spool_read(s, keep[k]);
        CU_ASSERT_EQUAL(got, k < 2 ? 2 : 1);
        for (long j = 0; j < got && n < 5; j++)
            rs[n++] = weir_batch_at(keep[k], (size_t)j);
    }
    CU_ASSERT_EQUAL(weir_spool_read(s, out), 0);
    CU_ASSERT_EQUAL_FATAL(n, 5);

    weir_record *r = rs[0];
    CU_ASSERT_EQUAL(r->op, WEIR_OP_DELETE);
    CU_ASSERT_EQUAL(r->sent_for, WEIR_SENT_IN_DOUBT);
    CU_ASSERT_EQUAL(r->version, UINT64_MAX);
    CU_ASSERT_EQUAL(r->origin, -5);
    CU_ASSERT_EQUAL(r->nfields, 0);
    CU_ASSERT_PTR_NULL(r->key);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->link);
    CU_ASSERT_STRING_EQUAL(r->link, "account\x1f" "crm\x1f" "7\x1f" "erp");

    r = rs[1];
    CU_ASSERT_EQUAL(r->op, WEIR_OP_UPSERT);
    CU_ASSERT_EQUAL(r->sent_for, WEIR_SENT_CHANGED);
    CU_ASSERT_EQUAL(r->hash, 1);
    CU_ASSERT_PTR_NULL(r->link);
    CU_ASSERT_STRING_EQUAL(r->key, "wide");
    CU_ASSERT_EQUAL_FATAL(r->nfields, WIDE);
    int ok = 1;
    for (int i = 0; i < WIDE; i++) {
        snprintf(name, sizeof(name), "f%03d", i);
        size_t len = 99;
        const char *v = weir_record_get(r, name, &len);
        ok &= strcmp(r->fields[i].name, name) == 0; /* in order */
        ok &= weir_record_has(r, name);
        ok &= i % 3 == 0 ? !v && len == 0
                         : v && len == (size_t)(i % 3) &&
                           memcmp(v, "\0x\0", len) == 0 && v[len] == '\0';
    }
    CU_ASSERT_TRUE(ok);

    r = rs[2];
    size_t len = 0;
    const char *v = weir_record_get(r, "big", &len);
    CU_ASSERT_EQUAL(len, big_len);
    CU_ASSERT_TRUE(v && memcmp(v, big, big_len) == 0);
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "", NULL), "no name");
    CU_ASSERT_STRING_EQUAL(r->key, "big");

    r = rs[3];
    CU_ASSERT_PTR_NULL(r->key);
    CU_ASSERT_EQUAL_FATAL(r->nfields, (WIDE + 6) / 7 + 1);
    CU_ASSERT_STRING_EQUAL(r->fields[0].name, "f299");
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "f299", NULL), "f299");
    CU_ASSERT_STRING_EQUAL(weir_record_get(r, "new", &len), "");
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_FALSE(weir_record_has(r, "f298"));

    r = rs[4];
    CU_ASSERT_EQUAL(r->sent_for, WEIR_SENT_FULL_REFRESH);
    CU_ASSERT_EQUAL(r->origin, 1L << 40);
    v = weir_record_get(r, "f000", &len);
    CU_ASSERT_TRUE(len == 127 && v && memcmp(v, big + 1, 127) == 0);

    for (int k = 0; k < 3; k++)
        weir_batch_free(keep[k]);
    weir_batch_free(out);
    weir_batch_free(in);
    weir_spool_free(s);
    free(big);
}

/* A source making names up: past the spool's table of names (65,536)
 * they are written out with each record, and still come back. */
static void test_spool_names_made_up(void)
{
    enum { N = 70000 };
    weir_spool *s = weir_spool_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    weir_batch *b = weir_batch_new(500);
    char name[16];
    for (int i = 0; i < N; i++) {
        if (!weir_batch_room(b))
            weir_batch_clear(b);
        weir_record *r = weir_batch_add(b);
        snprintf(name, sizeof(name), "n%d", i);
        weir_record_set(r, "id", name, (size_t)-1);
        weir_record_set(r, name, NULL, 0);
        CU_ASSERT_EQUAL_FATAL(weir_spool_put(s, r), 0);
    }
    CU_ASSERT_EQUAL(weir_spool_rewind(s), 0);
    int next = 0, ok = 1;
    long got;
    weir_batch_clear(b);
    while ((got = weir_spool_read(s, b)) > 0) {
        for (long j = 0; j < got; j++, next++) {
            weir_record *r = weir_batch_at(b, (size_t)j);
            snprintf(name, sizeof(name), "n%d", next);
            ok &= r->nfields == 2 && strcmp(r->fields[1].name, name) == 0 &&
                  !r->fields[1].value && weir_record_has(r, name);
            const char *id = weir_record_get(r, "id", NULL);
            ok &= id && strcmp(id, name) == 0;
        }
        weir_batch_clear(b);
    }
    CU_ASSERT_EQUAL(got, 0);
    CU_ASSERT_EQUAL(next, N);
    CU_ASSERT_TRUE(ok);
    weir_batch_free(b);
    weir_spool_free(s);
}

/* The descriptor of the spool's file in `dir` (open, unlinked), -1 when
 * none is found (no /proc). */
static int spool_fd(const char *dir)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int fd = -1;
    size_t n = strlen(dir);
    struct dirent *e;
    while (fd < 0 && (e = readdir(d))) {
        char link[4096], path[300];
        snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(path, link, sizeof(link) - 1);
        if (len <= 0)
            continue;
        link[len] = '\0';
        if (strncmp(link, dir, n) == 0 && strstr(link, "/weir-spool.") &&
            strstr(link, " (deleted)"))
            fd = atoi(e->d_name);
    }
    closedir(d);
    return fd;
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n - 2; /* . and .. */
}

/* The file is in $TMPDIR, unlinked from the start; a file cut short or
 * overwritten reads back as an error (EIO), never as records. */
static void test_spool_file(void)
{
    char dir[4200], missing[4300];
    snprintf(dir, sizeof(dir), "%s/weir-spool-test.XXXXXX", weir_spool_dir());
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(missing, sizeof(missing), "%s/missing", dir);
    char *saved = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", missing, 1);
    errno = 0;
    CU_ASSERT_PTR_NULL(weir_spool_new());
    CU_ASSERT_EQUAL(errno, ENOENT);
    setenv("TMPDIR", dir, 1);
    CU_ASSERT_STRING_EQUAL(weir_spool_dir(), dir);
    weir_spool *s = weir_spool_new();
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(entries(dir), 0); /* unlinked */
    int fd = spool_fd(dir);
    if (fd < 0) {
        fprintf(stderr, "(no /proc/self/fd: the file is not checked) ");
        weir_spool_free(s);
        rmdir(dir);
        return;
    }

    weir_batch *b = weir_batch_new(4);
    for (int i = 0; i < 3; i++) { /* three records of the same size */
        weir_record *r = weir_batch_add(b);
        weir_record_set_key(r, "k");
        weir_record_set(r, "code", "A1", (size_t)-1);
        CU_ASSERT_EQUAL(weir_spool_put(s, r), 0);
    }
    CU_ASSERT_EQUAL(weir_spool_rewind(s), 0);
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(fstat(fd, &st), 0);
    off_t size = st.st_size;
    CU_ASSERT_TRUE(size > 0 && size % 3 == 0 && size < 3 * 128);
    weir_batch_clear(b);
    CU_ASSERT_EQUAL(weir_spool_read(s, b), 3);

    /* the second record's op (after its 1-byte length) made no op */
    off_t op_at = size / 3 + 1;
    unsigned char was, bad = 0x7f;
    CU_ASSERT_EQUAL(pread(fd, &was, 1, op_at), 1);
    CU_ASSERT_EQUAL(pwrite(fd, &bad, 1, op_at), 1);
    CU_ASSERT_EQUAL(weir_spool_rewind(s), 0);
    weir_batch_clear(b);
    errno = 0;
    CU_ASSERT_EQUAL(weir_spool_read(s, b), -1);
    CU_ASSERT_EQUAL(errno, EIO);
    CU_ASSERT_EQUAL(pwrite(fd, &was, 1, op_at), 1);

    /* cut inside the last record, then after the second */
    off_t cuts[2] = {size - 1, 2 * size / 3};
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(ftruncate(fd, cuts[i]), 0);
        CU_ASSERT_EQUAL(weir_spool_rewind(s), 0);
        weir_batch_clear(b);
        errno = 0;
        CU_ASSERT_EQUAL(weir_spool_read(s, b), -1);
        CU_ASSERT_EQUAL(errno, EIO);
    }
    weir_batch_free(b);
    weir_spool_free(s);
    CU_ASSERT_EQUAL(rmdir(dir), 0);
}

/* A write that fails (a full disk; here the file size limit) loses the
 * spool: that put or a later one fails, and so does every later call. */
static void test_spool_write_error(void)
{
    pid_t pid = fork();
    CU_ASSERT_TRUE_FATAL(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl;
        getrlimit(RLIMIT_FSIZE, &rl);
        rl.rlim_cur = 3u << 20;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
            rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_FSIZE, &rl))
            _exit(10);
        weir_spool *s = weir_spool_new();
        weir_batch *b = weir_batch_new(1);
        if (!s || !b)
            _exit(11);
        static char val[10000];
        memset(val, 'v', sizeof(val));
        weir_record *r = weir_batch_add(b);
        weir_record_set(r, "v", val, sizeof(val));
        int failed_at = -1;
        for (int i = 0; i < 1000 && failed_at < 0; i++) /* 10 MB */
            if (weir_spool_put(s, r))
                failed_at = i;
        if (failed_at < 0)
            _exit(12);
        if (errno != EFBIG)
            _exit(13);
        if (weir_spool_put(s, r) == 0 || weir_spool_rewind(s) == 0)
            _exit(14);
        _exit(0); /* no leak check in the child */
    }
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_TRUE(WIFEXITED(status));
    CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
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

/* weir_batch_intern(): the pointer records' fields name a field by, the
 * same for every record, whatever copy of the name it was given. */
static void test_batch_intern(void)
{
    weir_batch *b = weir_batch_new(4);
    char name[8] = "code";
    const char *code = weir_batch_intern(b, name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    CU_ASSERT_PTR_NOT_EQUAL(code, name); /* a copy of its own */
    CU_ASSERT_STRING_EQUAL(code, "code");
    weir_record *r = weir_batch_add(b);
    weir_record_set(r, "code", "A1", (size_t)-1);
    weir_record_set(r, "city", "Durban", (size_t)-1);
    CU_ASSERT_PTR_EQUAL(r->fields[0].name, code);
    strcpy(name, "city"); /* the same buffer, another name */
    const char *city = weir_batch_intern(b, name);
    CU_ASSERT_PTR_EQUAL(city, r->fields[1].name);
    weir_record *r2 = weir_batch_add(b);
    CU_ASSERT_EQUAL(weir_record_set(r2, city, "Cape Town", (size_t)-1), 0);
    CU_ASSERT_EQUAL(weir_record_set(r2, code, "A2", (size_t)-1), 0);
    CU_ASSERT_EQUAL(weir_record_set(r2, "code", "A3", (size_t)-1), 0);
    CU_ASSERT_EQUAL(r2->nfields, 2);
    CU_ASSERT_STRING_EQUAL(weir_record_get(r2, "code", NULL), "A3");
    CU_ASSERT_PTR_EQUAL(weir_batch_intern(b, "code"), code);
    weir_batch_free(b);
}

void register_storage_tests(void)
{
    CU_pSuite s = CU_add_suite("spool and payload", NULL, NULL);
    CU_add_test(s, "spool round trip", test_spool_round_trip);
    CU_add_test(s, "spool across batches", test_spool_many_records);
    CU_add_test(s, "spool of awkward records", test_spool_awkward_records);
    CU_add_test(s, "spool of made-up names", test_spool_names_made_up);
    CU_add_test(s, "spool file: TMPDIR, unlinked, cut or overwritten",
                test_spool_file);
    CU_add_test(s, "spool write error", test_spool_write_error);
    CU_add_test(s, "payload round trip", test_payload_round_trip);
    CU_add_test(s, "payload refusals", test_payload_refusals);

    s = CU_add_suite("record view and ids", NULL, NULL);
    CU_add_test(s, "narrow and widen", test_batch_narrow_widen);
    CU_add_test(s, "interned names", test_batch_intern);
    CU_add_test(s, "answers mask secrets", test_record_answer_masks_secrets);
    CU_add_test(s, "id inputs", test_record_id_inputs);
    CU_add_test(s, "fixed ids stay", test_record_fixed_id);
    CU_add_test(s, "ids of wide records", test_record_id_many_fields);
}
