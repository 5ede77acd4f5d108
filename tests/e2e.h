/*
 * e2e.h - running the real weir binary in end-to-end tests.
 * With WEIR_E2E_VALGRIND=1 every weir process runs under valgrind and a
 * leak or memory error makes it exit 99.
 */
#ifndef WEIR_E2E_H
#define WEIR_E2E_H

#include <jansson.h>
#include <sys/types.h>

typedef struct e2e_result {
    int status; /* exit code, or 128+signal */
    char *out, *err;
} e2e_result;

/* In a child about to exec weir, in an AddressSanitizer build: no leak
 * check at its exit.  LeakSanitizer's tracer intermittently crashes at
 * process exit on this kernel ("Tracer caught signal 11",
 * google/sanitizers#1353), failing a run that did its work; the weir
 * processes of the end-to-end tests are checked for leaks by valgrind
 * instead (.ci/run), and ASan still checks every access. */
void e2e_child_sanitizers(void);
/* Run weir with the arguments (NULL-terminated) in folder `dir`. */
e2e_result e2e_run(const char *dir, ...);
/* The same with the arguments in a NULL-terminated array. */
e2e_result e2e_runv(const char *dir, const char *const *args);
void e2e_result_free(e2e_result *r);
/* weir with `args` (NULL-terminated) in folder `dir`, in the background:
 * in a process group of its own, led by a child that waits for it and
 * exits with its status, as a shell runs a job (a signal sent to the
 * group, kill(-pid, sig), reaches weir; the leader only waits).  Its
 * output stays in dir/.stdout and dir/.stderr.  The leader's pid, or -1. */
pid_t e2e_start_in_group(const char *dir, const char *const *args);
/* e2e_runv() and a CUnit assertion that it exited with `code` (printing
 * both outputs when not); returns stdout and stderr together.
 * (owned: free) */
char *e2e_expectv(const char *dir, int code, const char *const *args);
/* e2e_expectv() of the arguments (NULL-terminated, at most 20) and
 * --plugin-path `plugin_path`. (owned: free) */
char *e2e_expect_with(const char *dir, int code, const char *plugin_path, ...);
/* A scratch folder `name` under the test's tmpdir. (owned: free) */
/* `dirs` (a --plugin-path), after $WEIR_TEST_BESIDE when that is set:
 * tests/beside.sh runs a suite again with its testsink writing beside
 * the reading (WEIR_PLUGIN_WRITE_BESIDE).  (borrowed: valid until the
 * next call) */
const char *e2e_plugin_path(const char *dirs);
char *e2e_scratch(const char *name);
/* Copy the example's pipelines/NAME/FILE into `dir`, as its README does. */
void e2e_copy_example(const char *dir, const char *name, const char *file);
/* The first column of the first row of `sql` on database `db_path`, -1
 * when there is none. */
long long e2e_query_int(const char *db_path, const char *sql);
/* Is `needle` in `hay`?  Prints both when not. */
int e2e_contains(const char *hay, const char *needle);
/* Does `s` end with `tail`?  Prints both when not. */
int e2e_ends_with(const char *s, const char *tail);

/* ---- weir's own state, through the CLI's JSON ------------------------
 * Tests never read weir.db with SQL: they ask weir, as an admin would.
 * These helpers read the state weir.db in `dir` (the default --state);
 * their weir processes run without valgrind (they check the test's
 * facts, not weir's memory: the commands under test run under it). */

/* `weir ARGS...` (NULL-terminated) in `dir`: its stdout parsed as JSON;
 * NULL, with a CUnit failure, when it did not exit 0 with JSON.
 * (owned: json_decref) */
json_t *e2e_json(const char *dir, ...);
/* The `weir status --json` entry of pipeline `pipeline`, or with `sink`
 * of endpoint pipeline/sink; NULL when status has none or failed (no
 * state yet: a test compares what it finds, so a NULL fails there).
 * (owned: json_decref) */
json_t *e2e_status(const char *dir, const char *pipeline, const char *sink);
/* Field `path` ("snapshot.keys") of that entry as an integer, -1 when
 * there is no entry or no such integer. */
long long e2e_status_int(const char *dir, const char *pipeline,
                         const char *sink, const char *path);
/* Is field `path` of that entry the string `want`?  Prints it when not. */
int e2e_status_is(const char *dir, const char *pipeline, const char *sink,
                  const char *path, const char *want);
/* Every outbox record of the state, delivered ones too, as `weir show
 * --json` prints them (ids 1, 2, ... up to the first missing one: tests
 * never prune).  (owned: json_decref) */
json_t *e2e_records(const char *dir);
/* How many outbox records match every name/value pair (NULL-terminated):
 * the field's text is the value (numbers in decimal, null as "null");
 * "*" matches any non-null value; a name ending in '~' ("payload~")
 * matches when the field's text (objects as compact JSON) contains it. */
long long e2e_outbox_count(const char *dir, ...);
/* The id of the first such record, -1 when none. */
long long e2e_outbox_id(const char *dir, ...);
/* How many lines of attempt history (`weir show`'s) the outbox records
 * hold; only those whose result is `result` when not NULL. */
long long e2e_history_count(const char *dir, const char *result);
/* Field `path` ("queue.failed") of `o` as an integer, -1 when absent. */
long long e2e_json_int(const json_t *o, const char *path);
/* weir processes started from now on see their clock `offset` ahead
 * (WEIR_CLOCK_OFFSET: "2h", "-1d"); NULL: the real clock again. */
void e2e_clock_offset(const char *offset);

#endif
