/* e2e.c - see e2e.h. */
#include "config.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "e2e.h"
#include "harness.h"


void e2e_result_free(e2e_result *r)
{
    free(r->out);
    free(r->err);
}

/* Run weir with the arguments (NULL-terminated) in `dir`. */
/* The NULL-terminated arguments of `ap` into args[64]. */
static void collect_args(va_list ap, const char **args)
{
    int n = 0;
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 63)
        args[n++] = a;
    args[n] = NULL;
}

e2e_result e2e_run(const char *dir, ...)
{
    const char *args[64];
    va_list ap;
    va_start(ap, dir);
    collect_args(ap, args);
    va_end(ap);
    return e2e_runv(dir, args);
}

static void ignore(int sig) { (void)sig; }

pid_t e2e_start_in_group(const char *dir, const char *const *args)
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        /* the signals are weir's to handle; the leader only waits (a
         * handler, unlike SIG_IGN, is not inherited by weir) */
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = ignore;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        e2e_result r = e2e_runv(dir, args);
        _exit(r.status);
    }
    if (pid > 0)
        setpgid(pid, pid);
    return pid;
}

char *e2e_expectv(const char *dir, int code, const char *const *args)
{
    e2e_result r = e2e_runv(dir, args);
    if (r.status != code)
        fprintf(stderr, "\n  weir %s: exit %d, expected %d\n%s%s\n",
                args[0] ? args[0] : "", r.status, code, r.out ? r.out : "",
                r.err ? r.err : "");
    CU_ASSERT_EQUAL(r.status, code);
    size_t n = strlen(r.out ? r.out : "") + strlen(r.err ? r.err : "") + 1;
    char *all = malloc(n);
    if (all)
        snprintf(all, n, "%s%s", r.out ? r.out : "", r.err ? r.err : "");
    e2e_result_free(&r);
    return all;
}

char *e2e_expect_with(const char *dir, int code, const char *plugin_path, ...)
{
    const char *args[24] = {NULL};
    int n = 0;
    va_list ap;
    va_start(ap, plugin_path);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 21)
        args[n++] = a;
    va_end(ap);
    args[n++] = "--plugin-path";
    args[n++] = plugin_path;
    return e2e_expectv(dir, code, args);
}

void e2e_child_sanitizers(void)
{
    const char *asan = getenv("ASAN_OPTIONS");
    if (!asan)
        return;
    char opts[1024];
    snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0", asan, *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
}

/* weir with `args` in `dir`, under valgrind when `vg`. */
static e2e_result run_weir(const char *dir, const char *const *args, int vg)
{
    const char *argv[72];
    int n = 0;
    if (vg) {
        argv[n++] = "valgrind";
        argv[n++] = "-q";
        argv[n++] = "--leak-check=full";
        argv[n++] = "--show-leak-kinds=definite,indirect";
        argv[n++] = "--errors-for-leak-kinds=definite,indirect";
        argv[n++] = "--error-exitcode=99";
    }
    argv[n++] = WEIR_BUILDDIR "/weir";
    for (; *args && n < 71; args++)
        argv[n++] = *args;
    argv[n] = NULL;

    char outp[4200], errp[4200];
    snprintf(outp, sizeof(outp), "%s/.stdout", dir);
    snprintf(errp, sizeof(errp), "%s/.stderr", dir);
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir) != 0 || !freopen(outp, "w", stdout) ||
            !freopen(errp, "w", stderr))
            _exit(127);
        e2e_child_sanitizers();
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    e2e_result r = {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
                wt_read_file(outp), wt_read_file(errp)};
    if (r.status == 99 && vg)
        fprintf(stderr, "valgrind found errors:\n%s\n", r.err);
    return r;
}

e2e_result e2e_runv(const char *dir, const char *const *args)
{
    return run_weir(dir, args, getenv("WEIR_E2E_VALGRIND") != NULL);
}

void e2e_copy_example(const char *dir, const char *name, const char *file)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/pipelines/%s/%s", WEIR_SRCDIR, name, file);
    char *text = wt_read_file(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    free(wt_write_file(dir, file, text));
    free(text);
}

char *e2e_scratch(const char *name)
{
    char *dir = malloc(4096);
    snprintf(dir, 4096, "%s/%s", wt_tmpdir(), name);
    mkdir(dir, 0755);
    return dir;
}

long long e2e_query_int(const char *db_path, const char *sql)
{
    sqlite3 *db;
    long long v = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return v;
}

int e2e_contains(const char *hay, const char *needle)
{
    if (hay && strstr(hay, needle))
        return 1;
    fprintf(stderr, "\n  expected \"%s\" in:\n%s\n", needle, hay ? hay : "(null)");
    return 0;
}

int e2e_ends_with(const char *s, const char *tail)
{
    size_t n = s ? strlen(s) : 0, t = strlen(tail);
    if (n >= t && strcmp(s + n - t, tail) == 0)
        return 1;
    fprintf(stderr, "\n  expected \"%s\" to end with \"%s\"\n",
            s ? s : "(null)", tail);
    return 0;
}

/* ---- weir's own state, through the CLI's JSON ----------------------- */

/* weir `args` (no valgrind: see e2e.h) with stdout parsed; *status gets
 * its exit code.  (owned) NULL when stdout is no JSON. */
static json_t *read_json(const char *dir, const char *const *args,
                         int *status)
{
    e2e_result r = run_weir(dir, args, 0);
    json_error_t err;
    json_t *doc = r.status == 0 && r.out ? json_loads(r.out, 0, &err) : NULL;
    *status = r.status;
    if (r.status == 0 && !doc)
        fprintf(stderr, "\n  weir %s: no JSON: %s\n%s\n", args[0], err.text,
                r.out ? r.out : "");
    e2e_result_free(&r);
    return doc;
}

json_t *e2e_json(const char *dir, ...)
{
    const char *args[64];
    va_list ap;
    va_start(ap, dir);
    collect_args(ap, args);
    va_end(ap);
    int status;
    json_t *doc = read_json(dir, args, &status);
    if (!doc)
        fprintf(stderr, "\n  weir %s: exit %d\n", args[0], status);
    CU_ASSERT_PTR_NOT_NULL(doc);
    return doc;
}

/* The member of `array` whose `name` is `value`, NULL none. (borrowed) */
static json_t *find_in(const json_t *array, const char *name,
                       const char *value)
{
    size_t i;
    json_t *o;
    json_array_foreach(array, i, o) {
        const char *v = json_string_value(json_object_get(o, name));
        if (v && strcmp(v, value) == 0)
            return o;
    }
    return NULL;
}

json_t *e2e_status(const char *dir, const char *pipeline, const char *sink)
{
    static const char *const args[] = {"status", "--json", NULL};
    int status;
    json_t *doc = read_json(dir, args, &status);
    json_t *found = NULL;
    if (!sink) {
        found = find_in(json_object_get(doc, "pipelines"), "pipeline",
                        pipeline);
    } else {
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(doc, "endpoints"), i, o) {
            const char *p = json_string_value(json_object_get(o, "pipeline"));
            const char *s = json_string_value(json_object_get(o, "sink"));
            if (p && s && strcmp(p, pipeline) == 0 && strcmp(s, sink) == 0)
                found = o;
        }
    }
    json_incref(found);
    json_decref(doc);
    return found;
}

/* Field `path` (dot-separated names) of `o`, NULL when absent. */
static const json_t *field(const json_t *o, const char *path)
{
    char name[128];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(name))
            return NULL;
        memcpy(name, path, n);
        name[n] = '\0';
        o = json_object_get(o, name);
        path += n + (path[n] == '.');
    }
    return o;
}

long long e2e_json_int(const json_t *o, const char *path)
{
    const json_t *v = field(o, path);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

long long e2e_status_int(const char *dir, const char *pipeline,
                         const char *sink, const char *path)
{
    json_t *o = e2e_status(dir, pipeline, sink);
    long long v = e2e_json_int(o, path);
    json_decref(o);
    return v;
}

int e2e_status_is(const char *dir, const char *pipeline, const char *sink,
                  const char *path, const char *want)
{
    json_t *o = e2e_status(dir, pipeline, sink);
    const char *v = json_string_value(field(o, path));
    int same = v && strcmp(v, want) == 0;
    if (!same)
        fprintf(stderr, "\n  status of %s%s%s: %s is %s, expected \"%s\"\n",
                pipeline, sink ? "/" : "", sink ? sink : "", path,
                v ? v : "(none)", want);
    json_decref(o);
    return same;
}

json_t *e2e_records(const char *dir)
{
    json_t *all = json_array();
    for (long long id = 1;; id++) {
        char ids[32];
        snprintf(ids, sizeof(ids), "%lld", id);
        const char *args[] = {"show", ids, "--json", NULL};
        int status;
        json_t *rec = read_json(dir, args, &status);
        if (!rec) {
            if (status != 1) /* 1: no such record, the end */
                fprintf(stderr, "\n  weir show %s: exit %d\n", ids, status);
            CU_ASSERT_EQUAL(status, 1);
            return all;
        }
        json_array_append_new(all, rec);
    }
}

/* The text a record's field is compared as: owned (free), NULL absent. */
static char *field_text(const json_t *v)
{
    char buf[32];
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return strdup(buf);
    }
    if (json_is_null(v))
        return strdup("null");
    return v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
}

static int matches(const json_t *rec, const char *const *pairs)
{
    for (; pairs[0]; pairs += 2) {
        char name[128];
        size_t n = strlen(pairs[0]);
        int contains = n && pairs[0][n - 1] == '~';
        snprintf(name, sizeof(name), "%.*s", (int)(n - contains), pairs[0]);
        const json_t *v = json_object_get(rec, name);
        char *text = field_text(v);
        int ok = text && (contains ? strstr(text, pairs[1]) != NULL
                          : strcmp(pairs[1], "*") == 0 ? !json_is_null(v)
                          : strcmp(text, pairs[1]) == 0);
        free(text);
        if (!ok)
            return 0;
    }
    return 1;
}

/* The records of `dir` matching `ap`'s pairs: how many, and the first
 * one's id in *first (-1 none). */
static long long count_matching(const char *dir, va_list ap, long long *first)
{
    const char *pairs[64];
    int n = 0;
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 62) {
        pairs[n++] = a;
        pairs[n++] = va_arg(ap, const char *);
    }
    pairs[n] = NULL;
    json_t *all = e2e_records(dir);
    long long count = 0;
    *first = -1;
    size_t i;
    json_t *rec;
    json_array_foreach(all, i, rec) {
        if (!matches(rec, pairs))
            continue;
        if (!count++)
            *first = (long long)json_integer_value(json_object_get(rec, "id"));
    }
    json_decref(all);
    return count;
}

long long e2e_outbox_count(const char *dir, ...)
{
    va_list ap;
    va_start(ap, dir);
    long long first, n = count_matching(dir, ap, &first);
    va_end(ap);
    return n;
}

long long e2e_outbox_id(const char *dir, ...)
{
    va_list ap;
    va_start(ap, dir);
    long long first;
    count_matching(dir, ap, &first);
    va_end(ap);
    return first;
}

long long e2e_history_count(const char *dir, const char *result)
{
    json_t *all = e2e_records(dir), *rec, *line;
    long long n = 0;
    size_t i, j;
    json_array_foreach(all, i, rec) {
        json_array_foreach(json_object_get(rec, "history"), j, line) {
            const char *r = json_string_value(json_object_get(line, "result"));
            n += !result || (r && strcmp(r, result) == 0);
        }
    }
    json_decref(all);
    return n;
}

void e2e_clock_offset(const char *offset)
{
    if (offset)
        setenv("WEIR_CLOCK_OFFSET", offset, 1);
    else
        unsetenv("WEIR_CLOCK_OFFSET");
}

const char *e2e_plugin_path(const char *dirs)
{
    static char path[8192];
    const char *first = getenv("WEIR_TEST_BESIDE");
    snprintf(path, sizeof(path), "%s%s%s", first && *first ? first : "",
             first && *first ? ":" : "", dirs);
    return path;
}
