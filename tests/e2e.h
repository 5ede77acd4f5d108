/*
 * e2e.h - running the real weir binary in end-to-end tests.
 * With WEIR_E2E_VALGRIND=1 every weir process runs under valgrind and a
 * leak or memory error makes it exit 99.
 */
#ifndef WEIR_E2E_H
#define WEIR_E2E_H

typedef struct e2e_result {
    int status; /* exit code, or 128+signal */
    char *out, *err;
} e2e_result;

/* Run weir with the arguments (NULL-terminated) in folder `dir`. */
e2e_result e2e_run(const char *dir, ...);
/* The same with the arguments in a NULL-terminated array. */
e2e_result e2e_runv(const char *dir, const char *const *args);
void e2e_result_free(e2e_result *r);
/* e2e_runv() and a CUnit assertion that it exited with `code` (printing
 * both outputs when not); returns stdout and stderr together.
 * (owned: free) */
char *e2e_expectv(const char *dir, int code, const char *const *args);
/* A scratch folder `name` under the test's tmpdir. (owned: free) */
char *e2e_scratch(const char *name);
/* The first column of the first row of `sql` on database `db_path`, -1
 * when there is none. */
long long e2e_query_int(const char *db_path, const char *sql);
/* Is `needle` in `hay`?  Prints both when not. */
int e2e_contains(const char *hay, const char *needle);

#endif
