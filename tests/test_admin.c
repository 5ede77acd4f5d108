/*
 * End-to-end tests of the admin's commands (issue 6): discard, group
 * filters for resend and discard, read-only monitor/status/show, state
 * files weir must refuse unchanged, a refused run that changes nothing,
 * and status telling what is true now.  The real weir binary, the csv
 * source and the testsink plugin (tests/plugins/testsink.c); retry delays
 * are 0s so nothing sleeps.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs"

/* FILE in `dir`: pipeline "inv" reading in.csv (the record type is its
 * field `kind`), into testsink database `target` with `sink_opts`
 * spliced in; `track` adds <track key="code"/>. */
static void write_pipeline_as(const char *dir, const char *file,
                              const char *target, const char *sink_opts,
                              int track)
{
    char xml[4096];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"inv\" "
             "type-field=\"kind\">\n"
             "  <source plugin=\"csv\" name=\"byondpro\">\n"
             "    <option name=\"path\">in.csv</option>\n"
             "  </source>\n"
             "  %s\n"
             "  <sink plugin=\"testsink\" name=\"sage\">\n"
             "    <option name=\"database\">%s</option>\n"
             "    %s\n"
             "    <retry attempts=\"2\" delay=\"0s\" jitter=\"0s\"/>\n"
             "  </sink>\n"
             "</pipeline>\n",
             track ? "<track key=\"code\" max-delete=\"off\"/>" : "", target,
             sink_opts ? sink_opts : "");
    free(wt_write_file(dir, file, xml));
}

static void write_pipeline(const char *dir, const char *sink_opts, int track)
{
    write_pipeline_as(dir, "p.xml", "target.db", sink_opts, track);
}

/* weir COMMAND --plugin-path ... ARGS (NULL-terminated) in `dir`,
 * expecting exit `code`; returns stdout and stderr together.
 * (owned: free) */
static char *expect(const char *dir, int code, const char *cmd, ...)
{
    const char *argv[32] = {cmd, "--plugin-path", PLUGINS};
    int n = 3;
    va_list ap;
    va_start(ap, cmd);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 31)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    e2e_result r = e2e_runv(dir, argv);
    if (r.status != code)
        fprintf(stderr, "\n  weir %s: exit %d, expected %d\n%s%s\n", cmd,
                r.status, code, r.out ? r.out : "", r.err ? r.err : "");
    CU_ASSERT_EQUAL(r.status, code);
    size_t len = strlen(r.out ? r.out : "") + strlen(r.err ? r.err : "") + 1;
    char *all = malloc(len);
    snprintf(all, len, "%s%s", r.out ? r.out : "", r.err ? r.err : "");
    e2e_result_free(&r);
    return all;
}

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static long long q(const char *dir, const char *db, const char *sql)
{
    char *path = path_in(dir, db);
    long long v = e2e_query_int(path, sql);
    free(path);
    return v;
}

static void exec_sql(const char *dir, const char *db, const char *sql)
{
    char *path = path_in(dir, db);
    sqlite3 *h;
    CU_ASSERT_EQUAL(sqlite3_open(path, &h), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    free(path);
}

static void csv(const char *dir, const char *text)
{
    free(wt_write_file(dir, "in.csv", text));
}

/* A file's bytes and size, to show that nothing was changed. */
typedef struct snapshot {
    char *bytes;
    long size;
    struct timespec mtime;
} snapshot;

static snapshot snap(const char *dir, const char *name)
{
    snapshot s = {NULL, -1, {0, 0}};
    char *path = path_in(dir, name);
    struct stat sb;
    FILE *f = fopen(path, "rb");
    if (f && stat(path, &sb) == 0) {
        s.size = (long)sb.st_size;
        s.mtime = sb.st_mtim;
        s.bytes = malloc((size_t)s.size + 1);
        if (fread(s.bytes, 1, (size_t)s.size, f) != (size_t)s.size)
            s.size = -2;
    }
    if (f)
        fclose(f);
    free(path);
    return s;
}

static int same(const snapshot *a, const snapshot *b)
{
    int eq = a->size >= 0 && a->size == b->size &&
             memcmp(a->bytes, b->bytes, (size_t)a->size) == 0 &&
             a->mtime.tv_sec == b->mtime.tv_sec &&
             a->mtime.tv_nsec == b->mtime.tv_nsec;
    if (!eq)
        fprintf(stderr, "\n  file changed: %ld -> %ld bytes\n", a->size,
                b->size);
    return eq;
}

static void snap_free(snapshot *s) { free(s->bytes); }

static int exists(const char *dir, const char *name)
{
    char *path = path_in(dir, name);
    int yes = access(path, F_OK) == 0;
    free(path);
    return yes;
}

/* ---- state files weir must refuse, unchanged ------------------------- */

static void test_foreign_and_empty_state_refused(void)
{
    char *d = e2e_scratch("faults");
    write_pipeline(d, NULL, 1);
    csv(d, "code,kind,name\nI1,invoice,one\n");
    exec_sql(d, "app.db", "CREATE TABLE customers(code TEXT); INSERT INTO "
                          "customers VALUES ('C1')");
    snapshot before = snap(d, "app.db");
    char *out = expect(d, 3, "run", "p.xml", "--state", "app.db", NULL);
    CU_ASSERT(e2e_contains(out, "app.db: is not a weir state database"));
    free(out);
    out = expect(d, 3, "monitor", "--state", "app.db", NULL);
    CU_ASSERT(e2e_contains(out, "app.db: is not a weir state database"));
    free(out);
    snapshot after = snap(d, "app.db");
    CU_ASSERT(same(&before, &after));
    CU_ASSERT_FALSE(exists(d, "app.db-wal"));
    snap_free(&before);
    snap_free(&after);

    /* an existing empty file: never taken for a new state */
    free(wt_write_file(d, "weir.db", ""));
    before = snap(d, "weir.db");
    out = expect(d, 3, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "weir.db: is an empty file"));
    CU_ASSERT(e2e_contains(out, "delete it"));
    free(out);
    out = expect(d, 3, "monitor", NULL);
    CU_ASSERT(e2e_contains(out, "weir.db: is an empty file"));
    free(out);
    out = expect(d, 3, "status", NULL);
    free(out);
    after = snap(d, "weir.db");
    CU_ASSERT(same(&before, &after));
    CU_ASSERT_EQUAL(after.size, 0);
    CU_ASSERT_FALSE(exists(d, "target.db")); /* nothing was sent */
    snap_free(&before);
    snap_free(&after);
    free(d);
}

/* ---- monitor, status and show only read ------------------------------ */

/* A child holding a write transaction on dir/db until killed, as a run
 * committing a batch does. */
static pid_t hold_write_lock(const char *dir, const char *db)
{
    int fds[2];
    if (pipe(fds))
        return -1;
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        char *path = path_in(dir, db);
        sqlite3 *h;
        sqlite3_open(path, &h);
        int rc = sqlite3_exec(h, "BEGIN EXCLUSIVE; UPDATE outbox SET "
                                 "updated = updated + 1",
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* monitor, status and show each succeed and say what they must. */
static void read_commands(const char *d, const char *id)
{
    char *out = expect(d, 0, "monitor", NULL);
    CU_ASSERT(e2e_contains(out, "Terms Code F48"));
    free(out);
    out = expect(d, 0, "status", NULL);
    CU_ASSERT(e2e_contains(out, "1 failed"));
    free(out);
    out = expect(d, 0, "show", id, NULL);
    CU_ASSERT(e2e_contains(out, "status:     failed"));
    free(out);
}

static void test_readers_only_read(void)
{
    char *d = e2e_scratch("readers");
    write_pipeline(d, "<option name=\"reject-field\">err</option>", 0);
    csv(d, "code,kind,name,err\nI1,invoice,one,\nI2,invoice,two,Terms Code F48\n");
    free(expect(d, 1, "run", "p.xml", NULL));
    char id[32];
    snprintf(id, sizeof(id), "%lld",
             q(d, "weir.db", "SELECT id FROM outbox WHERE status = 'failed'"));
    char *lock = path_in(d, "weir.db.lock");
    unlink(lock);
    free(lock);
    snapshot before = snap(d, "weir.db");
    read_commands(d, id);
    snapshot after = snap(d, "weir.db");
    CU_ASSERT(same(&before, &after));
    CU_ASSERT_FALSE(exists(d, "weir.db.lock"));
    snap_free(&after);

    /* A run holding the database's write lock does not make them wait
     * (they used to wait 10 s for it, then fail). */
    pid_t holder = hold_write_lock(d, "weir.db");
    CU_ASSERT_FATAL(holder > 0);
    double t0 = now_s();
    read_commands(d, id);
    CU_ASSERT(now_s() - t0 < 5.0);
    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);

    /* A user who may only read the state can use them.  (root reads and
     * writes whatever the mode, so this part means something only for
     * another user.) */
    if (geteuid() != 0) {
        char *path = path_in(d, "weir.db");
        CU_ASSERT_EQUAL(chmod(path, 0444), 0);
        read_commands(d, id);
        chmod(path, 0600);
        free(path);
    }
    after = snap(d, "weir.db");
    CU_ASSERT(before.size == after.size &&
              memcmp(before.bytes, after.bytes, (size_t)before.size) == 0);
    snap_free(&before);
    snap_free(&after);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("admin commands end to end", NULL, NULL);
    CU_add_test(s, "a foreign or empty state file is refused unchanged",
                test_foreign_and_empty_state_refused);
    CU_add_test(s, "monitor, status and show only read",
                test_readers_only_read);
}
