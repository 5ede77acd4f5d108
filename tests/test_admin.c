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
#include <fcntl.h>
#include <grp.h>
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

/* FILE in `dir`: pipeline "inv" (orders and invoices: events, no
 * <track>) reading in.csv, the record type its field `kind`, into
 * testsink database `target` with `sink_opts` spliced in. */
static void write_pipeline_as(const char *dir, const char *file,
                              const char *target, const char *sink_opts)
{
    char xml[4096];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"inv\" "
             "type-field=\"kind\">\n"
             "  <source plugin=\"csv\" name=\"byondpro\">\n"
             "    <option name=\"path\">in.csv</option>\n"
             "  </source>\n"
             "  <sink plugin=\"testsink\" name=\"sage\">\n"
             "    <option name=\"database\">%s</option>\n"
             "    %s\n"
             "    <retry attempts=\"2\" delay=\"0s\" jitter=\"0s\"/>\n"
             "  </sink>\n"
             "</pipeline>\n",
             target, sink_opts ? sink_opts : "");
    free(wt_write_file(dir, file, xml));
}

static void write_pipeline(const char *dir, const char *sink_opts)
{
    write_pipeline_as(dir, "p.xml", "target.db", sink_opts);
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
    return e2e_expectv(dir, code, argv);
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

/* Is `text` anywhere in the bytes of dir/weir.db or its WAL? */
static int state_has(const char *dir, const char *text)
{
    static const char *const files[] = {"weir.db", "weir.db-wal"};
    int found = 0;
    for (size_t i = 0; i < 2; i++) {
        snapshot s = snap(dir, files[i]);
        found |= s.size > 0 && memmem(s.bytes, (size_t)s.size, text,
                                      strlen(text)) != NULL;
        snap_free(&s);
    }
    return found;
}

static int exists(const char *dir, const char *name)
{
    char *path = path_in(dir, name);
    int yes = access(path, F_OK) == 0;
    free(path);
    return yes;
}

/* ---- a live run, as another process ---------------------------------- */

/* A child that does what `take` does in `dir` (0: done) and then holds
 * on until killed; -1 when `take` failed. */
static pid_t spawn_holder(const char *dir, int (*take)(const char *dir))
{
    int fds[2];
    if (pipe(fds))
        return -1;
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        if (write(fds[1], take(dir) == 0 ? "y" : "n", 1) != 1)
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

static void end_holder(pid_t child)
{
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

/* The write lock of dir/weir.db, as a run committing a batch holds it
 * (the connection stays open: the child never returns).  A busy
 * database is simulated with SQL on purpose: no weir command holds the
 * lock that long. */
static int take_write_lock(const char *dir)
{
    char *path = path_in(dir, "weir.db");
    sqlite3 *h;
    int rc = sqlite3_open(path, &h) == SQLITE_OK &&
                     sqlite3_exec(h, "BEGIN EXCLUSIVE; UPDATE outbox SET "
                                     "updated = updated + 1",
                                  NULL, NULL, NULL) == SQLITE_OK
                 ? 0 : -1;
    free(path);
    return rc;
}

/* Every pipeline lock of dir/weir.db, as a live run holds its own. */
static int take_pipeline_locks(const char *dir)
{
    char *lock = path_in(dir, "weir.db.lock");
    int fd = open(lock, O_RDWR | O_CREAT, 0600);
    free(lock);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                       .l_start = 0, .l_len = 0};
    return fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0 ? 0 : -1;
}

/* ---- state files weir must refuse, unchanged ------------------------- */

static void test_foreign_and_empty_state_refused(void)
{
    char *d = e2e_scratch("faults");
    write_pipeline(d, NULL);
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

/* Run weir ARGS (NULL-terminated) in `dir` as a user who may only read:
 * nobody when we are root (root reads and writes whatever the modes
 * say), else ourselves.  Returns the exit status; stdout in dir. */
static int run_reader(const char *dir, const char *const *args)
{
    pid_t child = fork();
    if (child == 0) {
        if (geteuid() == 0 &&
            (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
            _exit(126);
        e2e_result r = e2e_runv(dir, args);
        _exit(r.status);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Can the reader of run_reader() run weir at all?  As root the reader
 * is nobody, who needs a build tree it may enter (CI makes it so). */
static int reader_reaches_weir(void)
{
    if (geteuid() != 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
            _exit(1);
        _exit(access(WEIR_BUILDDIR "/weir", X_OK) == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* monitor, status and show of the state in `d`, copied to a folder the
 * reader may not write, as a file it may only read. */
static void read_only_user(const char *d, const char *id)
{
    if (!reader_reaches_weir()) {
        printf("\n  (as root: user nobody cannot reach %s; the read-only "
               "user part is left out)\n", WEIR_BUILDDIR "/weir");
        return;
    }
    char ro[] = "/tmp/weir-ro-XXXXXX", out[] = "/tmp/weir-out-XXXXXX";
    CU_ASSERT_FATAL(mkdtemp(ro) && mkdtemp(out));
    char *from = path_in(d, "weir.db"), *to = path_in(ro, "weir.db");
    char *bytes = wt_read_file(from);
    struct stat sb;
    CU_ASSERT_FATAL(bytes && stat(from, &sb) == 0);
    FILE *f = fopen(to, "wb");
    CU_ASSERT_FATAL(f && fwrite(bytes, 1, (size_t)sb.st_size, f) ==
                             (size_t)sb.st_size);
    fclose(f);
    CU_ASSERT_EQUAL(chmod(to, 0444), 0);
    CU_ASSERT_EQUAL(chmod(ro, 0555), 0);
    CU_ASSERT_EQUAL(chmod(out, 0777), 0);
    snapshot before = snap(ro, "weir.db");
    const char *monitor[] = {"monitor", "--state", to, NULL};
    const char *status[] = {"status", "--state", to, NULL};
    const char *show[] = {"show", "--state", to, id, NULL};
    const char *const *cmds[] = {monitor, status, show};
    const char *says[] = {"Terms Code F48", "1 failed", "status:     failed"};
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(run_reader(out, cmds[i]), 0);
        char *stdout_path = path_in(out, ".stdout");
        char *text = wt_read_file(stdout_path);
        CU_ASSERT(e2e_contains(text, says[i]));
        free(text);
        unlink(stdout_path);
        free(stdout_path);
        char *stderr_path = path_in(out, ".stderr");
        unlink(stderr_path);
        free(stderr_path);
    }
    snapshot after = snap(ro, "weir.db");
    CU_ASSERT(same(&before, &after));
    CU_ASSERT_FALSE(exists(ro, "weir.db-wal"));
    snap_free(&before);
    snap_free(&after);
    chmod(ro, 0755);
    unlink(to);
    rmdir(ro);
    rmdir(out);
    free(bytes);
    free(from);
    free(to);
}

static void test_readers_only_read(void)
{
    char *d = e2e_scratch("readers");
    write_pipeline(d, "<option name=\"reject-field\">err</option>");
    csv(d, "code,kind,name,err\nI1,invoice,one,\nI2,invoice,two,Terms Code F48\n");
    free(expect(d, 1, "run", "p.xml", NULL));
    char id[32];
    snprintf(id, sizeof(id), "%lld",
             e2e_outbox_id(d, "status", "failed", NULL));
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
    pid_t holder = spawn_holder(d, take_write_lock);
    CU_ASSERT_FATAL(holder > 0);
    double t0 = now_s();
    read_commands(d, id);
    CU_ASSERT(now_s() - t0 < 5.0);
    end_holder(holder);

    /* A user who may only read the state, and not write its folder. */
    read_only_user(d, id);
    after = snap(d, "weir.db");
    CU_ASSERT(before.size == after.size &&
              memcmp(before.bytes, after.bytes, (size_t)before.size) == 0);
    snap_free(&before);
    snap_free(&after);
    free(d);
}

/* ---- resend and discard by group ------------------------------------- */

#define TERMS "1020 - Terms Code \"F48\" is not defined in A/R Terms"
#define HOLD "Customer C9 is on credit hold"

/* Seed 002: invoices and payments, two error classes from the target. */
static const char invoices_csv[] =
    "code,kind,amount,terms_err,cust_err\n"
    "I1,invoice,10,,\n"
    "I2,invoice,20,\"" "1020 - Terms Code \"\"F48\"\" is not defined in A/R Terms" "\",\n"
    "I3,invoice,30,\"" "1020 - Terms Code \"\"F48\"\" is not defined in A/R Terms" "\",\n"
    "P4,payment,40,," HOLD "\n"
    "I5,invoice,50,," HOLD "\n";

/* How often `key` was handed to the target (with `answer`: so answered). */
static long long sends_of(const char *d, const char *key, const char *answer)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM sends WHERE key = '%s'%s%s%s",
             key, answer ? " AND answer = '" : "", answer ? answer : "",
             answer ? "'" : "");
    return q(d, "target.db", sql);
}

static long long sends(const char *d, const char *key)
{
    return sends_of(d, key, NULL);
}

static long long outbox_id(const char *d, const char *key)
{
    char code[64];
    snprintf(code, sizeof(code), "\"code\":\"%s\"", key);
    long long id = e2e_outbox_id(d, "key", key, NULL);
    return id > 0 ? id : e2e_outbox_id(d, "payload~", code, NULL);
}

/* A monitor group without a type ("-"): `--type -` picks it alone, as
 * the notifications' resend command names it; without --type the same
 * error text of every type would go too. */
static void test_resend_untyped_group(void)
{
    char *d = e2e_scratch("resend-untyped");
    write_pipeline(d, "<option name=\"reject-field\">terms_err</option>");
    csv(d, "code,kind,amount,terms_err\n"
           "U1,,10,1020 - no terms\n"
           "I2,invoice,20,1020 - no terms\n");
    free(expect(d, 1, "run", "p.xml", NULL));
    write_pipeline(d, NULL); /* the ERP is fixed */
    char *out = expect(d, 0, "resend", "--pipeline", "inv", "--failed",
                       "--type", "-", "--error", "1020 - no terms", NULL);
    CU_ASSERT(e2e_contains(out, "1 record back to pending"));
    free(out);
    CU_ASSERT_EQUAL(sends(d, "U1"), 2);
    CU_ASSERT_EQUAL(sends(d, "I2"), 1); /* the invoice was not picked */
    CU_ASSERT_EQUAL(e2e_status_int(d, "inv", NULL, "queue.failed"), 1);
    free(d);
}

static void test_resend_one_error_class(void)
{
    char *d = e2e_scratch("resend-class");
    write_pipeline(d, "<option name=\"reject-field\">terms_err cust_err</option>");
    csv(d, invoices_csv);
    char *out = expect(d, 1, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 written, 4 rejected"));
    free(out);
    out = expect(d, 0, "monitor", "--json", NULL);
    CU_ASSERT(e2e_contains(out, "\"error\": \"1020 - Terms Code \\\"F48\\\" is not"));
    free(out);
    /* the admin defines terms code F48 in the ERP; customer C9 stays on
     * hold: resend that error class only */
    write_pipeline(d, "<option name=\"reject-field\">cust_err</option>");
    out = expect(d, 0, "resend", "--pipeline", "inv", "--failed", "--error",
                 TERMS, NULL);
    CU_ASSERT(e2e_contains(out, "2 records back to pending"));
    CU_ASSERT(e2e_contains(out, "inv: 2 written, 0 rejected"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target WHERE "
                                      "key IN ('I2', 'I3')"), 2);
    /* the other class was not touched: not sent again, still failed */
    CU_ASSERT_EQUAL(sends(d, "P4"), 1);
    CU_ASSERT_EQUAL(sends(d, "I5"), 1);
    CU_ASSERT_EQUAL(e2e_status_int(d, "inv", NULL, "queue.failed"), 2);
    /* by type and sink: nothing of a sink or type that has none */
    out = expect(d, 0, "resend", "--pipeline", "inv", "--failed", "--sink",
                 "other", NULL);
    CU_ASSERT(e2e_contains(out, "0 records back to pending"));
    free(out);
    CU_ASSERT_EQUAL(sends(d, "P4"), 1);
    out = expect(d, 1, "resend", "--pipeline", "inv", "--failed", "--type",
                 "payment", "--sink", "sage", NULL);
    CU_ASSERT(e2e_contains(out, "1 record back to pending"));
    CU_ASSERT(e2e_contains(out, "1 rejected"));
    free(out);
    CU_ASSERT_EQUAL(sends(d, "P4"), 2);
    CU_ASSERT_EQUAL(sends(d, "I5"), 1);
    /* usage */
    free(expect(d, 2, "resend", "--sink", "sage", NULL));
    free(expect(d, 2, "resend", "1", "--pipeline", "inv", "--failed", NULL));
    free(expect(d, 2, "monitor", "--error", "x", NULL));
    free(d);
}

static void test_discard(void)
{
    char *d = e2e_scratch("discard");
    write_pipeline(d, "<option name=\"reject-field\">terms_err cust_err</option>");
    csv(d, invoices_csv);
    free(expect(d, 1, "run", "p.xml", NULL));
    json_t *records = e2e_records(d);
    long long i1 = (long long)json_array_size(records);
    json_decref(records);
    CU_ASSERT_EQUAL(i1, 4); /* I1 went through at once: no row */
    /* the admin captured P4 in the ERP by hand: discard that group */
    char *out = expect(d, 0, "discard", "--pipeline", "inv", "--failed",
                       "--type", "payment", "--error", HOLD, NULL);
    CU_ASSERT(e2e_contains(out, "1 record discarded"));
    free(out);
    char id[32];
    snprintf(id, sizeof(id), "%lld", outbox_id(d, "P4"));
    out = expect(d, 0, "show", id, NULL);
    CU_ASSERT(e2e_contains(out, "status:     discarded"));
    CU_ASSERT(e2e_contains(out, "discarded by the admin"));
    CU_ASSERT(e2e_contains(out, HOLD)); /* the target's words stay */
    free(out);
    out = expect(d, 0, "monitor", NULL);
    CU_ASSERT(strstr(out, "payment") == NULL);
    CU_ASSERT(e2e_contains(out, "invoice"));
    free(out);
    /* a resend of everything failed leaves it alone: never sent again */
    write_pipeline(d, NULL);
    out = expect(d, 0, "resend", "--pipeline", "inv", "--failed", NULL);
    CU_ASSERT(e2e_contains(out, "3 records back to pending"));
    free(out);
    CU_ASSERT_EQUAL(sends(d, "P4"), 1);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target WHERE "
                                      "key = 'P4'"), 0);
    CU_ASSERT_EQUAL(e2e_status_int(d, "inv", NULL, "settled.discarded"), 1);
    /* delivered (and unknown) records are refused, per id */
    char i2[32];
    snprintf(i2, sizeof(i2), "%lld", outbox_id(d, "I2"));
    out = expect(d, 1, "discard", i2, id, NULL);
    CU_ASSERT(e2e_contains(out, "is delivered, not failed or held"));
    CU_ASSERT(e2e_contains(out, "is discarded, not failed or held"));
    CU_ASSERT(e2e_contains(out, "0 records discarded"));
    free(out);
    out = expect(d, 1, "discard", "9999", NULL);
    CU_ASSERT(e2e_contains(out, "no record #9999"));
    free(out);
    out = expect(d, 2, "discard", "x1", NULL);
    free(out);
    CU_ASSERT_EQUAL(e2e_status_int(d, "inv", NULL, "settled.delivered"), 3);
    free(d);
}

static void test_discard_held(void)
{
    char *d = e2e_scratch("discard-held");
    write_pipeline(d, "<option name=\"down-file\">down</option>");
    free(wt_write_file(d, "down", "x"));
    csv(d, "code,kind\nI1,invoice\nI2,invoice\n");
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "2 held"));
    free(out);
    char id[32];
    snprintf(id, sizeof(id), "%lld", outbox_id(d, "I1"));
    out = expect(d, 0, "discard", id, NULL);
    CU_ASSERT(e2e_contains(out, "1 record discarded"));
    free(out);
    /* while a run holds the pipeline, a discard changes nothing */
    snprintf(id, sizeof(id), "%lld", outbox_id(d, "I2"));
    pid_t holder = spawn_holder(d, take_pipeline_locks);
    CU_ASSERT_FATAL(holder > 0);
    out = expect(d, 3, "discard", id, NULL);
    CU_ASSERT(e2e_contains(out, "nothing was changed"));
    free(out);
    end_holder(holder);
    CU_ASSERT_EQUAL(e2e_status_int(d, "inv", NULL, "queue.held"), 1);
    /* the endpoint is back: only I2 goes */
    char *down = path_in(d, "down");
    unlink(down);
    free(down);
    out = expect(d, 0, "drain", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(sends_of(d, "I1", "ok"), 0);
    CU_ASSERT_EQUAL(sends_of(d, "I2", "ok"), 1);
    free(d);
}

/* ---- a refused run changes nothing; deliver only where meant --------- */

static void test_refused_copy_changes_nothing(void)
{
    /* The admin's pipeline in orig/, and a copy of it in copy/ writing to
     * another target (a test setup, say), both on orig's state. */
    char *d = e2e_scratch("copy");
    char *orig = path_in(d, "orig"), *copy = path_in(d, "copy");
    mkdir(orig, 0755);
    mkdir(copy, 0755);
    write_pipeline(orig, "<option name=\"reject-field\">terms_err</option>");
    csv(orig, "code,kind,terms_err\nI1,invoice,\nI2,invoice,no terms F48\n");
    free(expect(orig, 1, "run", "p.xml", NULL));
    write_pipeline(copy, NULL);
    json_t *runs = e2e_status(orig, "inv", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(runs);

    /* the copy's source is missing: refused, exit 3 */
    char *out = expect(copy, 3, "run", "p.xml", "--state", "../orig/weir.db",
                       NULL);
    CU_ASSERT(e2e_contains(out, "in.csv"));
    free(out);
    /* the copy is refused while the pipeline is being run */
    csv(copy, "code,kind\nC1,invoice\n");
    pid_t holder = spawn_holder(orig, take_pipeline_locks);
    CU_ASSERT_FATAL(holder > 0);
    out = expect(copy, 3, "run", "p.xml", "--state", "../orig/weir.db", NULL);
    CU_ASSERT(e2e_contains(out, "already being run"));
    free(out);
    end_holder(holder);
    /* neither changed anything: the pipeline's file is still orig's */
    json_t *now = e2e_status(orig, "inv", NULL);
    CU_ASSERT(e2e_ends_with(json_string_value(json_object_get(now, "file")),
                            "/orig/p.xml"));
    CU_ASSERT(json_equal(json_object_get(now, "runs"),
                         json_object_get(runs, "runs")));
    json_decref(now);
    json_decref(runs);
    CU_ASSERT_FALSE(exists(copy, "target.db"));

    /* the admin fixes terms code F48 and resends: into orig's target */
    write_pipeline(orig, NULL);
    out = expect(orig, 0, "resend", "--pipeline", "inv", "--failed", NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(q(orig, "target.db", "SELECT count(*) FROM target WHERE "
                                         "key = 'I2'"), 1);
    CU_ASSERT_FALSE(exists(copy, "target.db"));
    free(orig);
    free(copy);
    free(d);
}

static void test_resend_refuses_another_target(void)
{
    char *d = e2e_scratch("retarget");
    write_pipeline(d, "<option name=\"reject-field\">terms_err</option>");
    csv(d, "code,kind,terms_err\nI1,invoice,\nI2,invoice,no terms F48\n");
    free(expect(d, 1, "run", "p.xml", NULL));
    /* the remembered file now writes elsewhere: the failed record was
     * never meant for that target */
    write_pipeline_as(d, "p.xml", "other.db", NULL);
    char *out = expect(d, 3, "resend", "--pipeline", "inv", "--failed", NULL);
    CU_ASSERT(e2e_contains(out, "sink 'sage' of pipeline 'inv'"));
    CU_ASSERT(e2e_contains(out, "other.db"));
    CU_ASSERT(e2e_contains(out, "1 undelivered record was queued for"));
    CU_ASSERT(e2e_contains(out, "weir run"));
    free(out);
    out = expect(d, 3, "drain", NULL);
    CU_ASSERT(e2e_contains(out, "nothing was sent for it"));
    free(out);
    CU_ASSERT_EQUAL(e2e_status_int(d, "inv", NULL, "queue.failed"), 1);
    CU_ASSERT_FALSE(exists(d, "other.db"));
    /* a sink that is gone */
    free(wt_write_file(d, "p.xml",
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"inv\">\n"
        "  <source plugin=\"csv\" name=\"byondpro\"><option name=\"path\">"
        "in.csv</option></source>\n"
        "  <sink plugin=\"testsink\" name=\"sage2\"><option name=\"database\">"
        "target.db</option></sink>\n</pipeline>\n"));
    out = expect(d, 3, "resend", "--pipeline", "inv", "--failed", NULL);
    CU_ASSERT(e2e_contains(out, "for sink 'sage', which"));
    CU_ASSERT(e2e_contains(out, "does not have"));
    free(out);
    CU_ASSERT_EQUAL(e2e_status_int(d, "inv", NULL, "queue.failed"), 1);
    /* the same target, other options (the fix): resent */
    write_pipeline(d, NULL);
    out = expect(d, 0, "resend", "--pipeline", "inv", "--failed", NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 2);
    free(d);
}

static void test_run_moves_records_to_new_target(void)
{
    /* Running the changed file is the admin's word: its run delivers
     * what is due to the sink as it is now, and says so. */
    char *d = e2e_scratch("rerun");
    write_pipeline(d, "<option name=\"down-file\">down</option>");
    free(wt_write_file(d, "down", "x"));
    csv(d, "code,kind\nI1,invoice\nI2,invoice\n");
    free(expect(d, 0, "run", "p.xml", NULL));
    write_pipeline_as(d, "p.xml", "other.db", NULL);
    free(expect(d, 3, "drain", NULL));
    csv(d, "code,kind\n");
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "this run delivers them to the sink as it "
                                "is now"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "other.db", "SELECT count(*) FROM target"), 2);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 0);
    /* a target from the environment is recorded as a hash only */
    setenv("WEIR_TEST_SECRET_DB", "secret-target.db", 1);
    write_pipeline_as(d, "p.xml", "${env:WEIR_TEST_SECRET_DB}", NULL);
    free(expect(d, 0, "run", "p.xml", NULL));
    unsetenv("WEIR_TEST_SECRET_DB");
    /* the state's bytes (WAL too), whatever table it would be in */
    CU_ASSERT(state_has(d, "from the environment"));
    CU_ASSERT_FALSE(state_has(d, "secret-target"));
    free(d);
}

/* ---- status says what is true now ------------------------------------ */

static void test_status_tells_what_is_true_now(void)
{
    char *d = e2e_scratch("status-now");
    write_pipeline(d, "<option name=\"reject-field\">terms_err</option>");
    csv(d, "code,kind,terms_err\nI1,invoice,\nI2,invoice,no F48\n"
           "I3,invoice,no F48\nI4,invoice,no F49\n");
    free(expect(d, 1, "run", "p.xml", NULL));
    char *out = expect(d, 0, "status", NULL);
    CU_ASSERT(e2e_contains(out, "(failed: 3 rejected; 3 still failed)"));
    free(out);
    /* F48 defined in the ERP: that class resent and delivered; the
     * other record was captured by hand and is discarded */
    write_pipeline(d, NULL);
    free(expect(d, 0, "resend", "--pipeline", "inv", "--failed", "--error",
                "no F48", NULL));
    out = expect(d, 0, "status", NULL);
    CU_ASSERT(e2e_contains(out, "(failed: 3 rejected; since: 2 delivered; "
                                "1 still failed)"));
    free(out);
    free(expect(d, 0, "discard", "--pipeline", "inv", "--failed", NULL));
    out = expect(d, 0, "status", NULL);
    CU_ASSERT(e2e_contains(out, "(failed: 3 rejected; since: 2 delivered, "
                                "1 discarded; none failed now)"));
    CU_ASSERT(e2e_contains(out, "0 failed"));
    free(out);
    out = expect(d, 0, "status", "--json", NULL);
    CU_ASSERT(e2e_contains(out, "\"status\": \"failed\""));
    CU_ASSERT(e2e_contains(out, "\"result\": \"failed: 3 rejected; since: "
                                "2 delivered, 1 discarded; none failed now\""));
    CU_ASSERT(e2e_contains(out, "\"since_last_run\": {"));
    CU_ASSERT(e2e_contains(out, "\"delivered\": 2,"));
    CU_ASSERT(e2e_contains(out, "\"discarded\": 1,"));
    free(out);
    /* all of it resent and delivered: said in so many words */
    char *d2 = e2e_scratch("status-all");
    write_pipeline(d2, "<option name=\"reject-field\">terms_err</option>");
    csv(d2, "code,kind,terms_err\nI1,invoice,no F48\nI2,invoice,no F48\n");
    free(expect(d2, 1, "run", "p.xml", NULL));
    write_pipeline(d2, NULL);
    free(expect(d2, 0, "resend", "--pipeline", "inv", "--failed", NULL));
    out = expect(d2, 0, "status", NULL);
    CU_ASSERT(e2e_contains(out, "(failed: 2 rejected; all since delivered)"));
    free(out);
    free(d2);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("admin commands end to end", NULL, NULL);
    CU_add_test(s, "a foreign or empty state file is refused unchanged",
                test_foreign_and_empty_state_refused);
    CU_add_test(s, "monitor, status and show only read",
                test_readers_only_read);
    CU_add_test(s, "resend --type -: the group without a type alone",
                test_resend_untyped_group);
    CU_add_test(s, "resend one error class", test_resend_one_error_class);
    CU_add_test(s, "discard by group and by id", test_discard);
    CU_add_test(s, "discard a held record", test_discard_held);
    CU_add_test(s, "a refused run of a copy changes nothing",
                test_refused_copy_changes_nothing);
    CU_add_test(s, "resend and drain refuse another target",
                test_resend_refuses_another_target);
    CU_add_test(s, "a run of the changed file moves records on",
                test_run_moves_records_to_new_target);
    CU_add_test(s, "status says what is true now",
                test_status_tells_what_is_true_now);
}
