/* The state database: creation, migrations, refusals, plugin state. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core_tests.h"
#include "harness.h"
#include "store/state.h"
#include "store/xref.h"

static char *state_file(const char *name)
{
    char *path = malloc(4096);
    snprintf(path, 4096, "%s/%s", wt_tmpdir(), name);
    unlink(path);
    return path;
}

/* weir_state_run_tally(): the runs of every status together. */
static int count_runs(const char *status, int64_t runs, void *ctx)
{
    (void)status;
    *(int64_t *)ctx += runs;
    return 0;
}

static void test_create_and_reopen(void)
{
    char *path = state_file("s1.db");
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    struct stat sb;
    CU_ASSERT_EQUAL(stat(path, &sb), 0);
    CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/x/p.xml", "customer"), 0);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/y/p.xml", NULL), 0);
    int64_t run = weir_state_run_begin(st, "p", "run");
    CU_ASSERT(run > 0);
    weir_run_counts c = {.read = 10, .written = 9, .rejected = 1};
    CU_ASSERT_EQUAL(weir_state_run_end(st, run, "failed", &c, NULL), 0);
    CU_ASSERT_EQUAL(weir_state_kv_set(st, "p", "src", "cursor", "42"), 0);
    CU_ASSERT_EQUAL(weir_state_kv_set(st, "p", "src", "cursor", "43"), 0);
    weir_state_close(st);

    st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    char *file = NULL;
    CU_ASSERT_EQUAL(weir_state_pipeline_file(st, "p", &file), 0);
    CU_ASSERT_STRING_EQUAL(file, "/y/p.xml");
    free(file);
    CU_ASSERT_EQUAL(weir_state_pipeline_file(st, "unknown", &file), 1);
    CU_ASSERT_PTR_NULL(file);
    char *v = NULL;
    CU_ASSERT_EQUAL(weir_state_kv_get(st, "p", "src", "cursor", &v), 0);
    CU_ASSERT_STRING_EQUAL(v, "43");
    free(v);
    CU_ASSERT_EQUAL(weir_state_kv_get(st, "p", "other", "cursor", &v), 1);
    CU_ASSERT_PTR_NULL(v);

    int64_t started, finished;
    char *status = NULL;
    weir_run_counts got;
    CU_ASSERT_EQUAL(weir_state_last_run(st, "p", &started, &finished, &status,
                                        &got), 0);
    CU_ASSERT_STRING_EQUAL(status, "failed");
    CU_ASSERT(started > 0 && finished >= started);
    CU_ASSERT_EQUAL(got.read, 10);
    CU_ASSERT_EQUAL(got.written, 9);
    CU_ASSERT_EQUAL(got.rejected, 1);
    free(status);
    int64_t runs = 0;
    CU_ASSERT_EQUAL(weir_state_run_tally(st, "p", count_runs, &runs), 0);
    CU_ASSERT_EQUAL(runs, 1);
    weir_state_close(st);
    free(path);
}

static void test_newer_schema_refused(void)
{
    char *path = state_file("newer.db");
    weir_error err = {0};
    weir_state_close(weir_state_open(path, &err));
    /* a newer weir's file: raw SQL on purpose, no weir writes one */
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    CU_ASSERT_PTR_NULL(weir_state_open(path, &err));
    CU_ASSERT_NOT_EQUAL(err.cls, WEIR_ERR_NONE);
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), path));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "written by a newer weir"));
    weir_error_clear(&err);
    free(path);
}

static void test_corrupt_refused(void)
{
    char *path = state_file("corrupt.db");
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 64; i++)
        fputs("this is not a database, just some text the admin saved\n", f);
    fclose(f);
    weir_error err = {0};
    CU_ASSERT_PTR_NULL(weir_state_open(path, &err));
    CU_ASSERT_NOT_EQUAL_FATAL(err.cls, WEIR_ERR_NONE);
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), path));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "corrupt or not a weir state database"));
    weir_error_clear(&err);
    /* the file was not reset */
    char *text = wt_read_file(path);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "just some text"));
    free(text);
    free(path);
}

static void test_unopenable_path(void)
{
    weir_error err = {0};
    CU_ASSERT_PTR_NULL(weir_state_open("/nonexistent-dir/x/weir.db", &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "/nonexistent-dir/x/weir.db: cannot open"));
    weir_error_clear(&err);
}

static void test_two_processes_open_a_new_file(void)
{
    /* Both migrate-or-wait; neither may fail (the cron overlap case). */
    for (int round = 0; round < 10; round++) {
        char name[32];
        snprintf(name, sizeof(name), "race%d.db", round);
        char *path = state_file(name);
        pid_t kids[2];
        for (int k = 0; k < 2; k++) {
            kids[k] = fork();
            if (kids[k] == 0) {
                weir_error err = {0};
                weir_state *st = weir_state_open(path, &err);
                if (!st)
                    fprintf(stderr, "race: %s\n", weir_error_message(&err));
                int ok = st != NULL;
                weir_state_close(st);
                weir_error_clear(&err);
                free(path);
                _exit(ok ? 0 : 1);
            }
        }
        for (int k = 0; k < 2; k++) {
            int status = 0;
            waitpid(kids[k], &status, 0);
            CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        free(path);
    }
}

static void test_foreign_database_refused(void)
{
    char *path = state_file("app.db");
    /* another application's database, made with SQL on purpose */
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE customers(code TEXT)", NULL, NULL, NULL);
    sqlite3_close(db);
    weir_error err = {0};
    CU_ASSERT_PTR_NULL(weir_state_open(path, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "is not a weir state database"));
    weir_error_clear(&err);
    free(path);
}

static void test_integrity_check_finds_damage(void)
{
    char *path = state_file("damaged.db");
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    CU_ASSERT_EQUAL(weir_state_begin(st), 0);
    for (int i = 0; i < 20000; i++) {
        char key[64];
        snprintf(key, sizeof(key), "K%06d-some-padding-to-fill-pages", i);
        CU_ASSERT_EQUAL_FATAL(weir_state_snapshot_put(
            st, "p", &(weir_snapshot_entry){key, (uint64_t)i + 1, 1, WEIR_OP_INSERT}, 1,
            0), 0);
    }
    CU_ASSERT_EQUAL(weir_state_commit(st), 0);
    weir_state_close(st);
    /* fold the WAL in, then damage pages in the middle of the file */
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
    FILE *f = fopen(path, "r+b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 4096L * 40, SEEK_SET);
    for (int i = 0; i < 4096 * 4; i++)
        fputc(0x5a, f);
    fclose(f);
    setenv("WEIR_INTEGRITY_CHECK", "always", 1);
    CU_ASSERT_PTR_NULL(weir_state_open(path, &err));
    CU_ASSERT_NOT_EQUAL(err.cls, WEIR_ERR_NONE);
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "is corrupt"));
    weir_error_clear(&err);
    /* the file was not reset */
    struct stat sb;
    CU_ASSERT_EQUAL(stat(path, &sb), 0);
    CU_ASSERT(sb.st_size > 4096L * 44);
    unsetenv("WEIR_INTEGRITY_CHECK");
    free(path);
}

/* A file's bytes, for "nothing was changed". (owned: free) */
static char *file_bytes(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    *size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (*size = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)*size + 1)) &&
        fread(buf, 1, (size_t)*size, f) != (size_t)*size) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

static int exists(const char *path, const char *suffix)
{
    char p[4200];
    snprintf(p, sizeof(p), "%s%s", path, suffix);
    return access(p, F_OK) == 0;
}

static void test_foreign_database_left_unchanged(void)
{
    /* Regression: the file was switched to WAL before being refused. */
    char *path = state_file("app2.db");
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE customers(code TEXT); INSERT INTO "
                     "customers VALUES ('C1')", NULL, NULL, NULL);
    sqlite3_close(db);
    long n0, n1;
    char *before = file_bytes(path, &n0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    weir_error err = {0};
    CU_ASSERT_PTR_NULL(weir_state_open(path, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "is not a weir state database"));
    weir_error_clear(&err);
    CU_ASSERT_PTR_NULL(weir_state_open_reader(path, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "is not a weir state database"));
    weir_error_clear(&err);
    char *after = file_bytes(path, &n1);
    CU_ASSERT_EQUAL(n0, n1);
    CU_ASSERT(after && n0 == n1 && memcmp(before, after, (size_t)n0) == 0);
    CU_ASSERT_FALSE(exists(path, "-wal"));
    free(before);
    free(after);
    free(path);
}

static void test_empty_file_refused(void)
{
    /* An existing 0-byte file is not a new state: refused, unchanged. */
    char *path = state_file("empty.db");
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    weir_error err = {0};
    CU_ASSERT_PTR_NULL(weir_state_open(path, &err));
    CU_ASSERT_NOT_EQUAL_FATAL(err.cls, WEIR_ERR_NONE);
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), path));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "is an empty file"));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "delete it"));
    weir_error_clear(&err);
    CU_ASSERT_PTR_NULL(weir_state_open_reader(path, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "is an empty file"));
    weir_error_clear(&err);
    struct stat sb;
    CU_ASSERT_EQUAL(stat(path, &sb), 0);
    CU_ASSERT_EQUAL(sb.st_size, 0);
    CU_ASSERT_FALSE(exists(path, "-wal"));
    /* where no file exists, a new state is made, and no leftovers */
    unlink(path);
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL(st);
    weir_state_close(st);
    CU_ASSERT_EQUAL(stat(path, &sb), 0);
    CU_ASSERT(sb.st_size > 0);
    free(path);
}

/* A child holding a write transaction on `path` until killed. */
static pid_t hold_write_lock(const char *path)
{
    int fds[2];
    if (pipe(fds))
        return -1;
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        sqlite3 *db;
        sqlite3_open(path, &db);
        int rc = sqlite3_exec(db, "BEGIN EXCLUSIVE; INSERT INTO meta(key, "
                                  "value) VALUES ('held', 'x')",
                              NULL, NULL, NULL);
        if (write(fds[1], rc == SQLITE_OK ? "y" : "n", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    close(fds[1]);
    char c = 'n';
    if (read(fds[0], &c, 1) != 1 || c != 'y') {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = -1;
    }
    close(fds[0]);
    return child;
}

static void test_reader_reads_only(void)
{
    char *path = state_file("reader.db");
    weir_error err = {0};
    CU_ASSERT_PTR_NULL(weir_state_open_reader(path, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "not found"));
    weir_error_clear(&err);
    CU_ASSERT_FALSE(exists(path, ""));
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    weir_state_close(st);
    char lock[4200];
    snprintf(lock, sizeof(lock), "%s.lock", path);
    unlink(lock);

    /* a run's write transaction does not make a reader wait */
    pid_t holder = hold_write_lock(path);
    CU_ASSERT_FATAL(holder > 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = weir_state_open_reader(path, &err);
    CU_ASSERT_PTR_NOT_NULL(st);
    if (!st)
        fprintf(stderr, "reader: %s\n", weir_error_message(&err));
    weir_error_clear(&err);
    char *file = NULL;
    CU_ASSERT(st && weir_state_pipeline_file(st, "p", &file) == 0);
    CU_ASSERT_STRING_EQUAL(file ? file : "", "/p.xml");
    free(file);
    uint64_t counts[WEIR_OUTBOX_NSTATUS];
    CU_ASSERT(st && weir_state_outbox_counts(st, "p", counts) == 0);
    /* and it cannot write */
    CU_ASSERT(st && weir_state_remember_pipeline(st, "q", "/q.xml", NULL) != 0);
    weir_state_close(st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CU_ASSERT(t1.tv_sec - t0.tv_sec < 3);
    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    CU_ASSERT_FALSE(exists(path, ".lock"));

    /* an older schema is not migrated by a reader: refused, unchanged */
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL);
    sqlite3_close(db);
    long n0, n1;
    char *before = file_bytes(path, &n0);
    CU_ASSERT_PTR_NULL(weir_state_open_reader(path, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(&err), "run weir run or weir drain"));
    weir_error_clear(&err);
    char *after = file_bytes(path, &n1);
    CU_ASSERT(before && after && n0 == n1 &&
              memcmp(before, after, (size_t)n0) == 0);
    free(before);
    free(after);
    free(path);
}

static int64_t add_row(weir_state *st, const char *key, const char *type,
                       weir_outbox_status status, const char *error,
                       int64_t next)
{
    weir_outbox_row r = {.pipeline = "p", .sink = "erp", .key = key,
                         .idem = key, .op = "upsert", .type = type,
                         .payload = "{}", .error = error, .status = status,
                         .attempts = 1, .next_attempt = next};
    int64_t id = -1;
    return weir_state_outbox_add(st, &r, 1, &id) ? -1 : id;
}

static int collect_id(const weir_outbox_row *row, void *ctx)
{
    int64_t *ids = ctx;
    for (; *ids; ids++)
        ;
    *ids = row->id;
    return 0;
}

static int row_status(const weir_outbox_row *row, void *ctx)
{
    *(weir_outbox_status *)ctx = row->status;
    return 0;
}

typedef struct history {
    int discarded;
    char message[128];
} history;

static int on_history(const char *at, const char *result, const char *message,
                      void *ctx)
{
    (void)at;
    history *h = ctx;
    if (strcmp(result, "discarded") == 0) {
        h->discarded++;
        snprintf(h->message, sizeof(h->message), "%s", message ? message : "");
    }
    return 0;
}

static int history_row(const weir_outbox_row *row, void *ctx)
{
    (void)row;
    (void)ctx;
    return 0;
}

static int count_group(const weir_monitor_group *g, void *ctx)
{
    (void)g;
    (*(int *)ctx)++;
    return 0;
}

static weir_outbox_status status_of(weir_state *st, int64_t id)
{
    weir_outbox_status s = WEIR_OUTBOX_NSTATUS;
    weir_state_outbox_get(st, id, row_status, NULL, &s);
    return s;
}

static void test_discard_and_resend_filters(void)
{
    char *path = state_file("picks.db");
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    int64_t later = 4102444800000LL; /* 2100: not due */
    int64_t k1 = add_row(st, "K", "invoice", WEIR_OUTBOX_FAILED, "E1", 0);
    int64_t k2 = add_row(st, "K", "invoice", WEIR_OUTBOX_PENDING, NULL, 0);
    int64_t l1 = add_row(st, "L", "payment", WEIR_OUTBOX_FAILED, "E2", 0);
    int64_t m1 = add_row(st, "M", "invoice", WEIR_OUTBOX_HELD, "held", later);
    /* N: delivered (claimed, answered OK) */
    int64_t n1 = add_row(st, "N", "invoice", WEIR_OUTBOX_PENDING, NULL, 0);
    int64_t got[8] = {0};
    weir_outbox_claim take = {.pipeline = "p", .sink = "erp", .now = 1,
                              .lease_ms = 1000, .limit = 10};
    CU_ASSERT_EQUAL_FATAL(weir_state_outbox_claim(st, &take, collect_id, got), 1);
    CU_ASSERT_EQUAL(got[0], n1);
    weir_outbox_answer ok = {.id = n1, .status = WEIR_OUTBOX_DELIVERED};
    CU_ASSERT_EQUAL_FATAL(weir_state_begin(st), 0);
    CU_ASSERT_EQUAL(weir_state_outbox_settle(st, &ok, 1), 1);
    CU_ASSERT_EQUAL_FATAL(weir_state_commit(st), 0);
    int64_t f2 = add_row(st, "F", "invoice", WEIR_OUTBOX_FAILED, "E2", 0);
    CU_ASSERT_FATAL(k1 > 0 && f2 > 0);

    /* K's pending row waits behind its failed one */
    int64_t due[8] = {0};
    weir_outbox_claim claim = {.pipeline = "p", .sink = "erp",
                               .now = later - 1, .lease_ms = 1000,
                               .with_held = 1, .limit = 10};
    CU_ASSERT_EQUAL(weir_state_outbox_claim(st, &claim, collect_id, due), 0);
    CU_ASSERT_EQUAL(due[0], 0);

    /* only failed (or, asked, held) rows: never delivered or pending ones */
    weir_outbox_filter by_id = {.id = n1, .held = 1};
    CU_ASSERT_EQUAL(weir_state_outbox_discard(st, &by_id, "x"), 0);
    by_id.id = k2;
    CU_ASSERT_EQUAL(weir_state_outbox_discard(st, &by_id, "x"), 0);
    CU_ASSERT_EQUAL(weir_state_outbox_resend(st, &by_id), 0);
    CU_ASSERT_EQUAL(status_of(st, n1), WEIR_OUTBOX_DELIVERED);
    CU_ASSERT_EQUAL(status_of(st, k2), WEIR_OUTBOX_PENDING);
    by_id.id = m1;
    by_id.held = 0;
    CU_ASSERT_EQUAL(weir_state_outbox_discard(st, &by_id, "x"), 0);

    /* one error class of one pipeline */
    weir_outbox_filter group = {.pipeline = "p", .error = "E1"};
    CU_ASSERT_EQUAL(weir_state_outbox_discard(st, &group,
                                              "discarded by the admin"), 1);
    CU_ASSERT_EQUAL(status_of(st, k1), WEIR_OUTBOX_DISCARDED);
    history h = {0, ""};
    CU_ASSERT_EQUAL(weir_state_outbox_get(st, k1, history_row, on_history, &h), 0);
    CU_ASSERT_EQUAL(h.discarded, 1);
    CU_ASSERT_STRING_EQUAL(h.message, "discarded by the admin");

    /* ... and K's later row is no longer held up */
    memset(due, 0, sizeof(due));
    CU_ASSERT_EQUAL(weir_state_outbox_claim(st, &claim, collect_id, due), 1);
    CU_ASSERT_EQUAL(due[0], k2);
    CU_ASSERT_EQUAL(due[1], 0);

    /* the monitor no longer shows it: K pending, L and F failed, M held */
    int groups = 0;
    CU_ASSERT_EQUAL(weir_state_monitor(st, "p", "failed", NULL, count_group,
                                       &groups), 0);
    CU_ASSERT_EQUAL(groups, 2); /* (payment, E2) and (invoice, E2) */

    /* narrowed by type, by sink */
    group = (weir_outbox_filter){.pipeline = "p", .sink = "other"};
    CU_ASSERT_EQUAL(weir_state_outbox_resend(st, &group), 0);
    group = (weir_outbox_filter){.pipeline = "q"};
    CU_ASSERT_EQUAL(weir_state_outbox_resend(st, &group), 0);
    group = (weir_outbox_filter){.pipeline = "p", .sink = "erp",
                                 .type = "payment", .error = "E2"};
    CU_ASSERT_EQUAL(weir_state_outbox_resend(st, &group), 1);
    CU_ASSERT_EQUAL(status_of(st, l1), WEIR_OUTBOX_PENDING);
    CU_ASSERT_EQUAL(status_of(st, f2), WEIR_OUTBOX_FAILED);

    /* a held row by id, when asked */
    by_id = (weir_outbox_filter){.id = m1, .held = 1};
    CU_ASSERT_EQUAL(weir_state_outbox_discard(st, &by_id, "x"), 1);
    CU_ASSERT_EQUAL(weir_state_outbox_discard(st, &by_id, "x"), 0);
    CU_ASSERT_EQUAL(status_of(st, m1), WEIR_OUTBOX_DISCARDED);

    /* no pipeline and no id picks nothing: refused */
    group = (weir_outbox_filter){.error = "E2"};
    CU_ASSERT_EQUAL(weir_state_outbox_discard(st, &group, "x"), -1);
    CU_ASSERT_EQUAL(weir_state_outbox_resend(st, &group), -1);
    CU_ASSERT_EQUAL(status_of(st, f2), WEIR_OUTBOX_FAILED);
    weir_state_close(st);
    free(path);
}

static int held_by_group(const weir_monitor_group *g, void *ctx)
{
    if (g->held_by)
        snprintf(ctx, 64, "%s", g->held_by);
    return 0;
}

/* A row a transform holds is not due until released, and its key's later
 * rows wait behind it; the release names its wait key.  Assigned ids:
 * the latest per pipeline, sink and key. */
static void test_transform_holds_and_assigned_ids(void)
{
    char *path = state_file("holds.db");
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    weir_outbox_row r = {.pipeline = "p", .sink = "erp", .key = "K",
                         .idem = "i1", .op = "insert", .payload = "{}",
                         .status = WEIR_OUTBOX_HELD, .held_by = "xref",
                         .stage = "xref", .wait_key = "customer app:1"};
    int64_t held = -1;
    weir_state_outbox_add(st, &r, 1, &held);
    r = (weir_outbox_row){.pipeline = "p", .sink = "erp", .key = "K",
                          .idem = "i2", .op = "update", .payload = "{}",
                          .status = WEIR_OUTBOX_PENDING};
    int64_t behind = -1;
    weir_state_outbox_add(st, &r, 1, &behind);
    CU_ASSERT_FATAL(held > 0 && behind > held);

    int64_t due[4] = {0};
    weir_outbox_claim claim = {.pipeline = "p", .sink = "erp", .now = 1,
                               .lease_ms = 1000, .with_held = 1, .limit = 10};
    CU_ASSERT_EQUAL(weir_state_outbox_claim(st, &claim, collect_id, due), 0);
    CU_ASSERT_EQUAL(due[0], 0); /* neither: held, and behind it */
    CU_ASSERT_EQUAL(weir_state_outbox_next_due(st, "p", "erp"), 0);
    char by[64] = "";
    CU_ASSERT_EQUAL(weir_state_monitor(st, "p", "held", NULL, held_by_group,
                                       by), 0);
    CU_ASSERT_STRING_EQUAL(by, "xref");

    CU_ASSERT_EQUAL(weir_state_outbox_release(st, "customer app:2"), 0);
    CU_ASSERT_EQUAL(weir_state_outbox_release(st, "customer app:1"), 1);
    CU_ASSERT_EQUAL(status_of(st, held), WEIR_OUTBOX_PENDING);
    memset(due, 0, sizeof(due));
    CU_ASSERT_EQUAL(weir_state_outbox_claim(st, &claim, collect_id, due), 1);
    CU_ASSERT_EQUAL(due[0], held); /* first, the later one still behind */
    CU_ASSERT_EQUAL(due[1], 0);

    /* held again where it re-entered: not due, payload replaced */
    CU_ASSERT_EQUAL(weir_state_outbox_hold(st, held, "xref", "customer app:1",
                                           "no link", "{\"a\":\"1\"}"), 0);
    CU_ASSERT_EQUAL(status_of(st, held), WEIR_OUTBOX_HELD);
    memset(due, 0, sizeof(due));
    CU_ASSERT_EQUAL(weir_state_outbox_claim(st, &claim, collect_id, due), 0);
    CU_ASSERT_EQUAL(due[0], 0);

    char *id = NULL;
    CU_ASSERT_EQUAL(weir_state_assigned_get(st, "p", "erp", "K", &id), 1);
    CU_ASSERT_EQUAL(weir_state_assigned_put(st, "p", "erp", "K", 0, "C1"), 0);
    CU_ASSERT_EQUAL(weir_state_assigned_put(st, "p", "erp", "K", behind, "C2"), 0);
    CU_ASSERT_EQUAL(weir_state_assigned_put(st, "p", "crm", "K", 0, "X9"), 0);
    CU_ASSERT_EQUAL(weir_state_assigned_get(st, "p", "erp", "K", &id), 0);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "C2"); /* the latest wins */
    free(id);
    CU_ASSERT_EQUAL(weir_state_assigned_get(st, "q", "erp", "K", &id), 1);
    weir_state_close(st);
    free(path);
}

/* Queries that fail say so: an unreadable table is never "nothing". */
static void test_failed_queries_say_so(void)
{
    char path[4200];
    weir_error err = {0};
    snprintf(path, sizeof(path), "%s/failing.db", wt_tmpdir());
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    CU_ASSERT_EQUAL(weir_state_snapshot_count(st, "p"), 0);
    weir_state_close(st);
    /* another program breaks the tables behind weir's back */
    sqlite3 *db;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "DROP TABLE track_state; DROP TABLE "
                                     "outbox; DROP TABLE runs; ALTER TABLE "
                                     "snapshots RENAME TO gone",
                                 NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    setenv("WEIR_INTEGRITY_CHECK", "never", 1);
    st = weir_state_open(path, &err);
    unsetenv("WEIR_INTEGRITY_CHECK");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    int64_t when = 7, started, finished;
    char *status = NULL;
    CU_ASSERT_EQUAL(weir_state_last_full_refresh(st, "p", &when), -1);
    /* the failure has a class and names the store */
    const weir_error *why = weir_state_error(st);
    CU_ASSERT_EQUAL(why->cls, WEIR_ERR_INTERNAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(why), path));
    CU_ASSERT_PTR_NOT_NULL(strstr(weir_error_message(why), "no such table"));
    CU_ASSERT_EQUAL(weir_state_snapshot_count(st, "p"), -1);
    CU_ASSERT_EQUAL(weir_state_outbox_next_due(st, "p", NULL), -1);
    CU_ASSERT_EQUAL(weir_state_last_run(st, "p", &started, &finished, &status,
                                        NULL), -1);
    CU_ASSERT_PTR_NULL(status);
    weir_state_close(st);
}

static int user_version(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) ==
            SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return v;
}

/* What migrations 9 and 10 added, taken away again: a state an older
 * weir left. */
#define UNDO_MIGRATION_10                                                 \
    "ALTER TABLE track_state DROP COLUMN generation; "
#define UNDO_MIGRATION_9                                                  \
    UNDO_MIGRATION_10                                                     \
    "DROP TABLE track_values; ALTER TABLE outbox DROP COLUMN changes; "   \
    "ALTER TABLE outbox DROP COLUMN resent; "

/* Migration 6 (cross-references) on a schema 5 state: what it held is
 * kept, and links can be made. */
static void test_migration_6(void)
{
    char *path = state_file("schema5.db");
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    weir_state_close(st);
    CU_ASSERT_EQUAL(user_version(path), WEIR_STATE_SCHEMA);
    /* back to schema 5: raw SQL on purpose, as an older weir left it */
    sqlite3 *db;
    sqlite3_open(path, &db);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "DROP TABLE xref_links; DROP TABLE "
                                 "xref_history; DROP TABLE xref_sequences; "
                                 "DROP INDEX outbox_links; DROP INDEX "
                                 "outbox_provisional; ALTER TABLE outbox "
                                 "DROP COLUMN link; DROP TABLE echo_written; "
                                 "DROP TABLE track_fields; "
                                 UNDO_MIGRATION_9
                                 "PRAGMA user_version = 5",
                                 NULL, NULL, NULL),
                    SQLITE_OK);
    sqlite3_close(db);
    CU_ASSERT_PTR_NULL(weir_state_open_reader(path, &err));
    weir_error_clear(&err);
    st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(user_version(path), WEIR_STATE_SCHEMA);
    char *file = NULL;
    CU_ASSERT_EQUAL(weir_state_pipeline_file(st, "p", &file), 0);
    free(file);
    weir_xref_end app = {"app", "HB_1"}, erp = {"erp", "C1"};
    CU_ASSERT_EQUAL(weir_xref_add(st, "customer", app, erp,
                                  WEIR_XREF_MANUAL), 0);
    char *id = weir_xref_generate(st, "customer", "app", "HB_", 6);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "HB_000001");
    free(id);
    /* 7: the link a create makes, kept on its row; a retrying create is
     * under way for everyone, a refused one not for its own key */
    const char *l1 = "customer\x1f" "crm\x1f" "K1\x1f" "erp";
    const char *l3 = "customer\x1f" "crm\x1f" "K3\x1f" "erp";
    weir_outbox_row rows[] = {
        {.pipeline = "p", .sink = "erp", .key = "K1", .idem = "i1", .op = "insert",
         .payload = "{}", .status = WEIR_OUTBOX_RETRY, .link = l1},
        {.pipeline = "p", .sink = "erp", .key = "K3", .idem = "i3", .op = "insert",
         .payload = "{}", .status = WEIR_OUTBOX_FAILED, .link = l3}};
    CU_ASSERT_EQUAL(weir_state_outbox_add(st, rows, 2, NULL), 0);
    CU_ASSERT_EQUAL(weir_state_outbox_creating(st, l1, "p", "K1", 0), 1);
    CU_ASSERT_EQUAL(weir_state_outbox_creating(st, l3, "p", "K3", 0), 0);
    CU_ASSERT_EQUAL(weir_state_outbox_creating(st, l3, "q", "K3", 0), 1);
    CU_ASSERT_EQUAL(weir_state_outbox_creating(st, "customer\x1f" "crm\x1f" "K2\x1f" "erp",
                                               "p", "K2", 0), 0);
    weir_state_close(st);
    /* one to one is the schema's, not only the writer's check: a second
     * link of either end to the other system cannot be stored at all */
    sqlite3_open(path, &db);
    const char *in_the_way[] = {
        "INSERT INTO xref_links(entity, a_system, a_id, b_system, b_id, "
        "origin, created) VALUES ('customer', 'app', 'HB_1', 'erp', 'C2', "
        "'manual', 0)",
        "INSERT INTO xref_links(entity, a_system, a_id, b_system, b_id, "
        "origin, created) VALUES ('customer', 'app', 'HB_2', 'erp', 'C1', "
        "'manual', 0)"};
    for (int i = 0; i < 2; i++)
        CU_ASSERT_EQUAL(sqlite3_exec(db, in_the_way[i], NULL, NULL, NULL),
                        SQLITE_CONSTRAINT);
    sqlite3_close(db);
    free(path);
}

/* Migration 8 (echo suppression) on a schema 7 state: what it held is
 * kept; what weir wrote is remembered per system, entity and key, the
 * last write wins; field hashes are given only for the value the
 * snapshot holds. */
static void test_migration_8(void)
{
    char *path = state_file("schema7.db");
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    weir_state_close(st);
    sqlite3 *db;
    sqlite3_open(path, &db);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "DROP TABLE echo_written; DROP TABLE "
                                 "track_fields; "
                                 UNDO_MIGRATION_9
                                 "PRAGMA user_version = 7",
                                 NULL, NULL, NULL),
                    SQLITE_OK);
    sqlite3_close(db);
    st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(user_version(path), WEIR_STATE_SCHEMA);
    char *file = NULL;
    CU_ASSERT_EQUAL(weir_state_pipeline_file(st, "p", &file), 0);
    CU_ASSERT_STRING_EQUAL(file ? file : "", "/p.xml");
    free(file);

    void *blob = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL(weir_state_begin(st), 0);
    CU_ASSERT_EQUAL(weir_state_echo_put(st, "crm", "customer", "C1", "ab", 2),
                    0);
    /* written again: replaces */
    CU_ASSERT_EQUAL(weir_state_echo_put(st, "crm", "customer", "C1", "xyz", 3),
                    0);
    CU_ASSERT_EQUAL(weir_state_echo_put(st, "erp", "customer", "C1", "e", 1),
                    0);
    CU_ASSERT_EQUAL(weir_state_commit(st), 0);
    CU_ASSERT_EQUAL(weir_state_echo_get(st, "crm", "customer", "C1", &blob,
                                        &len), 1);
    CU_ASSERT(len == 3 && blob && memcmp(blob, "xyz", 3) == 0);
    free(blob);
    CU_ASSERT_EQUAL(weir_state_echo_get(st, "crm", "order", "C1", &blob,
                                        &len), 0);
    CU_ASSERT_PTR_NULL(blob);

    /* field hashes of value 7; the snapshot holds 5, then 7 */
    CU_ASSERT_EQUAL(weir_state_track_fields_put(st, "p", "C1", 7, "abcd", 4),
                    0);
    weir_snapshot_entry e = {"C1", 5, 1, 0};
    CU_ASSERT_EQUAL(weir_state_snapshot_put(st, "p", &e, 1, 0), 0);
    CU_ASSERT_EQUAL(weir_state_track_fields_get(st, "p", "C1", &blob, &len), 0);
    CU_ASSERT_PTR_NULL(blob);
    e.hash = 7;
    CU_ASSERT_EQUAL(weir_state_snapshot_put(st, "p", &e, 1, 0), 0);
    CU_ASSERT_EQUAL(weir_state_track_fields_get(st, "p", "C1", &blob, &len), 1);
    CU_ASSERT(len == 4 && blob && memcmp(blob, "abcd", 4) == 0);
    free(blob);
    CU_ASSERT_EQUAL(weir_state_track_fields_get(st, "never", "C1", &blob,
                                                &len), 0);
    weir_state_close(st);
    free(path);
}

/* Migration 9 (what changed) on a schema 8 state: what it held is kept,
 * and values can be kept (the conformance suite, test_store.c, holds
 * what they promise). */
static void test_migration_9(void)
{
    char *path = state_file("schema8.db");
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    weir_state_close(st);
    sqlite3 *db;
    sqlite3_open(path, &db);
    CU_ASSERT_EQUAL(sqlite3_exec(db, UNDO_MIGRATION_9
                                 "PRAGMA user_version = 8",
                                 NULL, NULL, NULL),
                    SQLITE_OK);
    sqlite3_close(db);
    st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(user_version(path), WEIR_STATE_SCHEMA);
    char *file = NULL;
    CU_ASSERT_EQUAL(weir_state_pipeline_file(st, "p", &file), 0);
    CU_ASSERT_STRING_EQUAL(file ? file : "", "/p.xml");
    free(file);
    weir_track_values v = {"C1", 5, "one", 3};
    CU_ASSERT_EQUAL(weir_state_track_values_put(st, "p", &v, 1), 0);
    CU_ASSERT_EQUAL(weir_state_track_values_clear(st, "p"), 1);
    weir_state_close(st);
    free(path);
}

/* ---- a crash of the machine: what reached the disk --------------------
 * A VFS over the default one that remembers, per WAL file, how many bytes
 * were written when it was last synced: a copy of the database with its
 * WAL cut there is what a power loss at that moment leaves (SQLite
 * replays a WAL up to its first frame that is not whole). */
static sqlite3_vfs *base_vfs;
static char synced_wal[4200];
static sqlite3_int64 synced_bytes;
static int wal_syncs;
static int all_syncs;

typedef struct pl_file {
    sqlite3_file f;
    sqlite3_file *real; /* follows this struct (szOsFile) */
    int wal;
} pl_file;

static int pl_close(sqlite3_file *f)
{
    return ((pl_file *)f)->real->pMethods->xClose(((pl_file *)f)->real);
}
static int pl_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xRead(r, b, n, o);
}
static int pl_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xWrite(r, b, n, o);
}
static int pl_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xTruncate(r, size);
}
static int pl_sync(sqlite3_file *f, int flags)
{
    pl_file *p = (pl_file *)f;
    int rc = p->real->pMethods->xSync(p->real, flags);
    all_syncs += rc == SQLITE_OK;
    if (rc == SQLITE_OK && p->wal) {
        wal_syncs++;
        p->real->pMethods->xFileSize(p->real, &synced_bytes);
    }
    return rc;
}
static int pl_size(sqlite3_file *f, sqlite3_int64 *size)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xFileSize(r, size);
}
static int pl_lock(sqlite3_file *f, int l)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xLock(r, l);
}
static int pl_unlock(sqlite3_file *f, int l)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xUnlock(r, l);
}
static int pl_check(sqlite3_file *f, int *out)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xCheckReservedLock(r, out);
}
static int pl_control(sqlite3_file *f, int op, void *arg)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xFileControl(r, op, arg);
}
static int pl_sector(sqlite3_file *f)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xSectorSize(r);
}
static int pl_caps(sqlite3_file *f)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xDeviceCharacteristics(r);
}
static int pl_shm_map(sqlite3_file *f, int i, int sz, int ext, void volatile **pp)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xShmMap(r, i, sz, ext, pp);
}
static int pl_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xShmLock(r, off, n, flags);
}
static void pl_shm_barrier(sqlite3_file *f)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    r->pMethods->xShmBarrier(r);
}
static int pl_shm_unmap(sqlite3_file *f, int del)
{
    sqlite3_file *r = ((pl_file *)f)->real;
    return r->pMethods->xShmUnmap(r, del);
}

static const sqlite3_io_methods pl_methods = {
    2, pl_close, pl_read, pl_write, pl_truncate, pl_sync, pl_size,
    pl_lock, pl_unlock, pl_check, pl_control, pl_sector, pl_caps,
    pl_shm_map, pl_shm_lock, pl_shm_barrier, pl_shm_unmap, NULL, NULL};

/* Without the shared-memory methods: SQLite cannot use WAL (as on some
 * network file systems). */
static const sqlite3_io_methods pl_methods_no_shm = {
    1, pl_close, pl_read, pl_write, pl_truncate, pl_sync, pl_size,
    pl_lock, pl_unlock, pl_check, pl_control, pl_sector, pl_caps,
    NULL, NULL, NULL, NULL, NULL, NULL};
static int no_shm;

static int pl_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                   int flags, int *out)
{
    (void)vfs;
    pl_file *p = (pl_file *)f;
    p->real = (sqlite3_file *)(p + 1);
    p->wal = name && strcmp(name, synced_wal) == 0;
    int rc = base_vfs->xOpen(base_vfs, name, p->real, flags, out);
    p->f.pMethods = rc != SQLITE_OK ? NULL
                    : no_shm        ? &pl_methods_no_shm
                                    : &pl_methods;
    return rc;
}

/* The first `bytes` of `from` as `to`. */
static void copy_file(const char *from, const char *to, long bytes)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    char buf[8192];
    size_t n;
    while ((bytes < 0 || bytes > 0) &&
           (n = fread(buf, 1, bytes < 0 || bytes > (long)sizeof(buf)
                                  ? sizeof(buf) : (size_t)bytes, in)) > 0) {
        CU_ASSERT_EQUAL(fwrite(buf, 1, n, out), n);
        if (bytes > 0)
            bytes -= (long)n;
    }
    fclose(in);
    fclose(out);
}

/* The state `path` as a crash now leaves it, opened: of weir (all it
 * wrote), or of the machine (what it synced). */
static weir_state *after_crash(const char *path, const char *as,
                               int machine)
{
    char *copy = state_file(as), wal[4200];
    copy_file(path, copy, -1);
    snprintf(wal, sizeof(wal), "%s-wal", copy);
    copy_file(synced_wal, wal, machine ? (long)synced_bytes : -1);
    weir_error err = {0};
    weir_state *st = weir_state_open(copy, &err);
    if (!st)
        fprintf(stderr, "\n  %s\n", weir_error_message(&err));
    weir_error_clear(&err);
    free(copy);
    return st;
}

static int64_t retry_rows(weir_state *st)
{
    uint64_t c[WEIR_OUTBOX_NSTATUS] = {0};
    CU_ASSERT_EQUAL(weir_state_outbox_counts(st, "p", c), 0);
    return (int64_t)c[WEIR_OUTBOX_RETRY];
}

/* One batch's intent (durable), then its settle with an outbox row for
 * the key the sink did not take: the settle is lazy (no sync), so a
 * power loss before the next intent leaves the intent in doubt, as a
 * crash of weir before the settle does; the next intent's commit makes
 * the settle durable with it. */
static void test_lazy_settle_power_loss(void)
{
    static sqlite3_vfs vfs;
    base_vfs = sqlite3_vfs_find(NULL);
    vfs = *base_vfs;
    vfs.zName = "powerloss";
    vfs.szOsFile = (int)sizeof(pl_file) + base_vfs->szOsFile;
    vfs.xOpen = pl_open;
    CU_ASSERT_EQUAL_FATAL(sqlite3_vfs_register(&vfs, 1), SQLITE_OK);
    char *path = state_file("lazy.db");
    snprintf(synced_wal, sizeof(synced_wal), "%s-wal", path);
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);

    int syncs = wal_syncs;
    CU_ASSERT_EQUAL_FATAL(weir_state_begin(st), 0);
    int64_t first = weir_state_intent_begin(st, "p");
    CU_ASSERT_EQUAL(weir_state_snapshot_put(
        st, "p", &(weir_snapshot_entry){"A", 11, 1, 1}, 1, first), 0);
    CU_ASSERT_EQUAL_FATAL(weir_state_commit(st), 0);
    CU_ASSERT_EQUAL(wal_syncs, syncs + 1); /* before any sink sees it */

    syncs = wal_syncs;
    CU_ASSERT_EQUAL_FATAL(weir_state_begin_lazy(st), 0);
    weir_outbox_row row = {.pipeline = "p", .sink = "erp", .key = "A",
                           .idem = "A-1", .op = "insert",
                           .payload = "{\"n\":1}",
                           .status = WEIR_OUTBOX_RETRY, .attempts = 1};
    CU_ASSERT_EQUAL(weir_state_outbox_add(st, &row, 1, NULL), 0);
    CU_ASSERT_EQUAL(weir_state_intent_settle(st, "p", first), 0);
    CU_ASSERT_EQUAL_FATAL(weir_state_commit(st), 0);
    CU_ASSERT_EQUAL(wal_syncs, syncs); /* lazy */
    /* weir dies: the settle is kept */
    weir_state *kept = after_crash(path, "lazy-kept.db", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kept);
    CU_ASSERT_EQUAL(weir_state_snapshot_recover(kept, "p"), 0);
    weir_state_close(kept);
    /* the machine dies: as before the settle, the intent in doubt and
     * no outbox row: its key goes again, with the same id */
    weir_state *lost = after_crash(path, "lazy-lost.db", 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lost);
    CU_ASSERT_EQUAL(weir_state_snapshot_recover(lost, "p"), 1);
    CU_ASSERT_EQUAL(retry_rows(lost), 0);
    weir_state_close(lost);

    /* the next intent syncs, and the settle with it */
    syncs = wal_syncs;
    CU_ASSERT_EQUAL_FATAL(weir_state_begin(st), 0);
    int64_t second = weir_state_intent_begin(st, "p");
    CU_ASSERT_EQUAL(weir_state_snapshot_put(
        st, "p", &(weir_snapshot_entry){"B", 12, 1, 1}, 1, second), 0);
    CU_ASSERT_EQUAL_FATAL(weir_state_commit(st), 0);
    CU_ASSERT_EQUAL(wal_syncs, syncs + 1);
    weir_state *later = after_crash(path, "lazy-later.db", 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(later);
    CU_ASSERT_EQUAL(weir_state_snapshot_recover(later, "p"), 1); /* B only */
    CU_ASSERT_EQUAL(retry_rows(later), 1);
    weir_state_close(later);
    /* a lazy transaction rolled back leaves the next commits durable */
    CU_ASSERT_EQUAL_FATAL(weir_state_begin_lazy(st), 0);
    weir_state_rollback(st);
    syncs = wal_syncs;
    CU_ASSERT_EQUAL(weir_state_kv_set(st, "p", "src", "watermark", "7"), 0);
    CU_ASSERT_EQUAL(wal_syncs, syncs + 1);

    weir_state_close(st);
    sqlite3_vfs_unregister(&vfs);
    sqlite3_vfs_register(base_vfs, 1);
    free(path);
}

/* Where SQLite keeps the state out of WAL mode, a lazy settle syncs like
 * any other commit: there, an unsynced commit could corrupt the file on
 * a power loss, and no later sync would cover it. */
static void test_lazy_needs_wal(void)
{
    static sqlite3_vfs vfs;
    base_vfs = sqlite3_vfs_find(NULL);
    vfs = *base_vfs;
    vfs.zName = "noshm";
    vfs.szOsFile = (int)sizeof(pl_file) + base_vfs->szOsFile;
    vfs.xOpen = pl_open;
    no_shm = 1;
    CU_ASSERT_EQUAL_FATAL(sqlite3_vfs_register(&vfs, 1), SQLITE_OK);
    char *path = state_file("noshm.db");
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    int syncs[2];
    for (int lazy = 0; lazy < 2; lazy++) {
        int before = all_syncs;
        CU_ASSERT_EQUAL_FATAL(lazy ? weir_state_begin_lazy(st)
                                   : weir_state_begin(st), 0);
        CU_ASSERT_EQUAL(weir_state_kv_set(st, "p", "src", "n",
                                          lazy ? "2" : "1"), 0);
        CU_ASSERT_EQUAL_FATAL(weir_state_commit(st), 0);
        syncs[lazy] = all_syncs - before;
    }
    CU_ASSERT(syncs[0] > 0);
    CU_ASSERT_EQUAL(syncs[1], syncs[0]);
    weir_state_close(st);
    no_shm = 0;
    sqlite3_vfs_unregister(&vfs);
    sqlite3_vfs_register(base_vfs, 1);
    free(path);
}

/* A run's writes go into the file when it ends, and the WAL, emptied,
 * shrinks back: a long-lived handle (weir serve) keeps it small. */
static void test_wal_bounded_between_runs(void)
{
    char *path = state_file("walsize.db"), wal[4200];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    int64_t run = weir_state_run_begin(st, "p", "run");
    CU_ASSERT(run > 0);
    /* 300,000 snapshot rows: more than the 4 MiB the WAL keeps */
    enum { N = 10000 };
    static char keys[N][16];
    static weir_snapshot_entry e[N];
    CU_ASSERT_EQUAL_FATAL(weir_state_begin(st), 0);
    int64_t intent = weir_state_intent_begin(st, "p");
    for (int b = 0; b < 30; b++) {
        for (int i = 0; i < N; i++) {
            snprintf(keys[i], sizeof(keys[i]), "K%02d%05d", b, i);
            e[i] = (weir_snapshot_entry){keys[i], (uint64_t)i + 1, 1, 1};
        }
        CU_ASSERT_EQUAL(weir_state_snapshot_put(st, "p", e, N, intent), 0);
    }
    CU_ASSERT_EQUAL_FATAL(weir_state_commit(st), 0);
    struct stat sb;
    CU_ASSERT_EQUAL(stat(wal, &sb), 0);
    CU_ASSERT(sb.st_size > 6 * 1024 * 1024);
    weir_run_counts c = {0};
    CU_ASSERT_EQUAL(weir_state_run_end(st, run, "ok", &c, NULL), 0);
    /* the next write starts the WAL again, cut back to 4 MiB */
    CU_ASSERT_EQUAL(weir_state_kv_set(st, "p", "src", "watermark", "1"), 0);
    CU_ASSERT_EQUAL(stat(wal, &sb), 0);
    CU_ASSERT(sb.st_size <= 4 * 1024 * 1024);
    weir_state_close(st);
    free(path);
}

/* Migration 10 on a schema 9 state: the snapshot's generation, 0 until
 * the first intent, then new with every write to the snapshot. */
static void test_migration_10(void)
{
    char *path = state_file("schema9.db");
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    CU_ASSERT_EQUAL(weir_state_intent_begin(st, "p"), 1);
    weir_state_close(st);
    sqlite3 *db;
    sqlite3_open(path, &db);
    CU_ASSERT_EQUAL(sqlite3_exec(db, UNDO_MIGRATION_10
                                 "PRAGMA user_version = 9",
                                 NULL, NULL, NULL),
                    SQLITE_OK);
    sqlite3_close(db);
    st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(user_version(path), WEIR_STATE_SCHEMA);
    int64_t g0 = -1, g1 = 0;
    CU_ASSERT_EQUAL(weir_state_snapshot_generation(st, "p", &g0), 0);
    CU_ASSERT_EQUAL(g0, 0);
    weir_snapshot_entry e = {"K", 7, 1, WEIR_OP_INSERT};
    CU_ASSERT_EQUAL(weir_state_snapshot_put(st, "p", &e, 1, 1), 0);
    CU_ASSERT_EQUAL(weir_state_snapshot_generation(st, "p", &g1), 0);
    CU_ASSERT_NOT_EQUAL(g1, 0);
    weir_state_close(st);
    free(path);
}

/* seen[0]: entries put, not yet ended; seen[1]: entries committed */
static int count_put(const weir_snapshot_entry *e, size_t n, void *ctx)
{
    (void)e;
    ((int *)ctx)[0] += (int)n;
    return 0;
}

static void count_end(int committed, void *ctx)
{
    int *seen = ctx;
    if (committed)
        seen[1] += seen[0];
    seen[0] = 0;
}

/* A watch from the generation read with the rows: 1 at the end only
 * when every write since went through it, committed, settled. */
static int watched(weir_state *st, weir_state *other, int how, int *seen)
{
    int64_t gen, now;
    weir_snapshot_entry e = {"K", 7, 2, WEIR_OP_UPDATE};
    CU_ASSERT_EQUAL(weir_state_snapshot_generation(st, "p", &gen), 0);
    weir_snapshot_watcher by = {count_put, count_end, seen};
    CU_ASSERT_EQUAL(weir_state_watch(st, "p", gen, &by), 0);
    CU_ASSERT_EQUAL(weir_state_watch(st, "p", gen, &by), 1);
    if (how != 1) /* 1: no recover first */
        CU_ASSERT(weir_state_snapshot_recover(st, "p") >= 0);
    CU_ASSERT_EQUAL(weir_state_begin(st), 0);
    int64_t intent = weir_state_intent_begin(st, "p");
    CU_ASSERT_EQUAL(weir_state_snapshot_put(st, "p", &e, 1, intent), 0);
    if (how == 2) { /* rolled back, then done again */
        weir_state_rollback(st);
        CU_ASSERT_EQUAL(weir_state_begin(st), 0);
        intent = weir_state_intent_begin(st, "p");
        CU_ASSERT_EQUAL(weir_state_snapshot_put(st, "p", &e, 1, intent), 0);
    }
    CU_ASSERT_EQUAL(weir_state_commit(st), 0);
    if (how == 3) /* another handle writes */
        CU_ASSERT_EQUAL(weir_state_snapshot_put(other, "p", &e, 1, 0), 0);
    if (how == 4)
        CU_ASSERT_EQUAL(weir_state_snapshot_doubt(st, "p", "K"), 0);
    if (how != 5) /* 5: never settled */
        CU_ASSERT_EQUAL(weir_state_intent_settle(st, "p", intent), 0);
    int ok = weir_state_watch_end(st, seen, &now);
    int64_t gen2;
    CU_ASSERT_EQUAL(weir_state_snapshot_generation(st, "p", &gen2), 0);
    if (ok)
        CU_ASSERT_EQUAL(now, gen2);
    CU_ASSERT_EQUAL(weir_state_watch_end(st, seen, &now), 0); /* ended */
    return ok;
}

static void test_snapshot_watch(void)
{
    char *path = state_file("watch.db");
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    weir_state *other = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(other);
    CU_ASSERT_EQUAL(weir_state_remember_pipeline(st, "p", "/p.xml", NULL), 0);
    int seen[2] = {0, 0};
    CU_ASSERT_EQUAL(watched(st, other, 0, seen), 1);
    CU_ASSERT_EQUAL(seen[1], 1);
    seen[1] = 0;
    CU_ASSERT_EQUAL(watched(st, other, 2, seen), 1);
    CU_ASSERT_EQUAL(seen[1], 1); /* the rolled back entry is not counted */
    for (int how = 1; how <= 5; how++) {
        if (how == 2)
            continue;
        CU_ASSERT_EQUAL(watched(st, other, how, seen), 0);
    }
    weir_state_close(other);
    weir_state_close(st);
    free(path);
}

void register_state_tests(void)
{
    CU_pSuite s = CU_add_suite("state database", NULL, NULL);
    CU_add_test(s, "create 0600, reopen, remember", test_create_and_reopen);
    CU_add_test(s, "a query that fails says so", test_failed_queries_say_so);
    CU_add_test(s, "newer schema refused", test_newer_schema_refused);
    CU_add_test(s, "migrations 6 and 7: cross-references, creates", test_migration_6);
    CU_add_test(s, "migration 8: echo suppression", test_migration_8);
    CU_add_test(s, "migration 9: what changed", test_migration_9);
    CU_add_test(s, "migration 10: the snapshot's generation",
                test_migration_10);
    CU_add_test(s, "a watch of the snapshot's writes", test_snapshot_watch);
    CU_add_test(s, "corrupt file refused, not reset", test_corrupt_refused);
    CU_add_test(s, "unopenable path", test_unopenable_path);
    CU_add_test(s, "two processes open a new file", test_two_processes_open_a_new_file);
    CU_add_test(s, "another application's database refused",
                test_foreign_database_refused);
    CU_add_test(s, "the integrity check finds damage",
                test_integrity_check_finds_damage);
    CU_add_test(s, "another application's database is left unchanged",
                test_foreign_database_left_unchanged);
    CU_add_test(s, "an existing empty file is not a new state",
                test_empty_file_refused);
    CU_add_test(s, "a reader reads only, and never waits for a run",
                test_reader_reads_only);
    CU_add_test(s, "transform holds; assigned ids",
                test_transform_holds_and_assigned_ids);
    CU_add_test(s, "discard and resend pick by id or by group",
                test_discard_and_resend_filters);
    CU_add_test(s, "a lazy settle: lost in a power loss as if never made, "
                   "durable with the next intent",
                test_lazy_settle_power_loss);
    CU_add_test(s, "a lazy settle syncs outside WAL mode", test_lazy_needs_wal);
    CU_add_test(s, "the WAL goes into the file when a run ends, and shrinks",
                test_wal_bounded_between_runs);
}
