/* e2e.c - see e2e.h. */
#include "config.h"

#include <sqlite3.h>
#include <stdarg.h>
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
e2e_result e2e_run(const char *dir, ...)
{
    const char *args[64];
    int n = 0;
    va_list ap;
    va_start(ap, dir);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 63)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return e2e_runv(dir, args);
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

e2e_result e2e_runv(const char *dir, const char *const *args)
{
    const char *argv[72];
    int n = 0;
    const int vg = getenv("WEIR_E2E_VALGRIND") != NULL;
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

