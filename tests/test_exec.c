/*
 * test_exec.c - the exec notifier against the real core, through the test
 * harness: the event's JSON on the command's standard input, its
 * environment, the `on` filter, failures and their log lines, the timeout
 * and its kills, a command that never reads its input, option checks, and
 * no child left behind.
 *
 * Every command runs in the harness's scratch folder (the pipeline's
 * folder, the default of option `dir`).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cunit_main.h"
#include "harness.h"

/* The <notify> element's start tag is on line 4. */
static char *pipeline(const char *body)
{
    static const char fmt[] =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"t\">\n"
        "<source plugin=\"testgen\" name=\"in\"/>\n"
        "<sink plugin=\"testgen\" name=\"out\"/>\n"
        "<notify plugin=\"exec\" name=\"ops\">\n"
        "%s"
        "</notify>\n"
        "</pipeline>\n";
    size_t n = sizeof fmt + strlen(body);
    char *xml = malloc(n);
    snprintf(xml, n, fmt, body);
    return xml;
}

static wt_plugin *open_exec(const char *body)
{
    char *xml = pipeline(body);
    wt_plugin *p = wt_open(xml, wt_tmpdir(), "ops");
    if (!p)
        fprintf(stderr, "wt_open failed:\n%s\n", wt_last_errors());
    free(xml);
    return p;
}

static int validate(const char *body)
{
    char *xml = pipeline(body);
    int n = wt_validate(xml, wt_tmpdir());
    free(xml);
    return n;
}

/* <option name="command">TEXT</option> plus `extra` options. */
static wt_plugin *open_command(const char *command, const char *extra)
{
    char body[4096];
    snprintf(body, sizeof body, "<option name=\"command\">%s</option>\n%s",
             command, extra ? extra : "");
    return open_exec(body);
}

static char *scratch(const char *name)
{
    size_t n = strlen(wt_tmpdir()) + strlen(name) + 2;
    char *path = malloc(n);
    snprintf(path, n, "%s/%s", wt_tmpdir(), name);
    return path;
}

static char *read_scratch(const char *name)
{
    char *path = scratch(name);
    char *text = wt_read_file(path);
    free(path);
    return text;
}

static void remove_scratch(const char *name)
{
    char *path = scratch(name);
    unlink(path);
    free(path);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* No child of this process is left, reaped or not. */
static void assert_no_child(void)
{
    int status;
    errno = 0;
    pid_t r = waitpid(-1, &status, WNOHANG);
    CU_ASSERT_EQUAL(r, -1);
    CU_ASSERT_EQUAL(errno, ECHILD);
}

/* 1 when process `pid` is gone or a zombie (killed, not yet reaped by its
 * new parent), waiting up to `s` seconds. */
static int process_gone(pid_t pid, double s)
{
    double until = seconds() + s;
    do {
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
        FILE *f = fopen(path, "r");
        if (!f)
            return kill(pid, 0) != 0 && errno == ESRCH;
        char state = '?';
        int got = fscanf(f, "%*d %*s %c", &state);
        fclose(f);
        if (got == 1 && (state == 'Z' || state == 'X'))
            return 1;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    } while (seconds() < until);
    return 0;
}

static const char sample_json[] =
    "{\"event\": \"rejected\", \"pipeline\": \"t\", "
    "\"time\": \"2024-05-01T10:00:00Z\", \"sink\": \"erp\", "
    "\"error\": \"1020 - Terms Code \\\"F48\\\" is not defined\", "
    "\"name\": \"Caf\xc3\xa9 M\xc3\xbcller \\u00e9\\n\", \"tab\": \"a\\tb\"}";

/* ---- standard input and environment ------------------------------ */

static void test_json_on_stdin(void)
{
    remove_scratch("out.json");
    wt_plugin *p = open_command("cat &gt; out.json", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", sample_json), WEIR_STATUS_OK);
    char *got = read_scratch("out.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    size_t n = strlen(sample_json);
    CU_ASSERT_EQUAL(strlen(got), n + 1);
    CU_ASSERT(memcmp(got, sample_json, n) == 0);
    CU_ASSERT_EQUAL(got[n], '\n');
    free(got);
    wt_close(p);
    assert_no_child();
}

static void test_environment(void)
{
    remove_scratch("env.txt");
    wt_plugin *p = open_command(
        "printf '%s|%s|%s' \"$WEIR_EVENT\" \"$WEIR_PIPELINE\" \"$(pwd -P)\" "
        "&gt; env.txt",
        NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    setenv("WEIR_EVENT", "stale", 1); /* weir's own value is replaced */
    CU_ASSERT_EQUAL(wt_notify(p, "endpoint-down", "{}"), WEIR_STATUS_OK);
    unsetenv("WEIR_EVENT");
    char *got = read_scratch("env.txt");
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    char *dir = realpath(wt_tmpdir(), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char want[4200];
    snprintf(want, sizeof want, "endpoint-down|t|%s", dir);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(dir);
    free(got);
    wt_close(p);
    assert_no_child();
}

static void test_on_filter(void)
{
    remove_scratch("on.txt");
    wt_plugin *p = open_command(
        "echo \"$WEIR_EVENT\" &gt;&gt; on.txt",
        "<option name=\"on\">endpoint-down endpoint-up</option>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", "{}"), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_notify(p, "run-failed", "{}"), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_notify(p, "endpoint-up", "{}"), WEIR_STATUS_OK);
    CU_ASSERT_EQUAL(wt_notify(p, "endpoint-down", "{}"), WEIR_STATUS_OK);
    char *got = read_scratch("on.txt");
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, "endpoint-up\nendpoint-down\n");
    free(got);
    wt_close(p);
    assert_no_child();
}

static void test_default_every_event(void)
{
    remove_scratch("all.txt");
    wt_plugin *p = open_command("echo \"$WEIR_EVENT\" &gt;&gt; all.txt",
                                NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const char *types[] = {"rejected", "endpoint-down", "endpoint-up",
                           "run-failed"};
    for (size_t i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(wt_notify(p, types[i], "{}"), WEIR_STATUS_OK);
    char *got = read_scratch("all.txt");
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got,
                           "rejected\nendpoint-down\nendpoint-up\nrun-failed\n");
    free(got);
    wt_close(p);
    assert_no_child();
}

/* ---- failures ----------------------------------------------------- */

static void test_failure_logged(void)
{
    wt_plugin *p = open_command(
        "cat &gt;/dev/null; echo 'to stdout'; echo 'mail: no such user' &gt;&amp;2; "
        "exit 3",
        NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", sample_json), WEIR_STATUS_ERROR);
    const char *log = wt_log(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "warning"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "exited with status 3"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "mail: no such user"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "to stdout"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "rejected"));
    wt_close(p);
    assert_no_child();
}

static void test_success_logged_at_debug(void)
{
    wt_plugin *p = open_command("echo fine", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_notify(p, "run-failed", "{}"), WEIR_STATUS_OK);
    const char *log = wt_log(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "debug"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "exited with status 0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "fine"));
    CU_ASSERT_PTR_NULL(strstr(log, "warning"));
    wt_close(p);
    assert_no_child();
}

static void test_killed_by_signal(void)
{
    wt_plugin *p = open_command("kill -9 $$", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", "{}"), WEIR_STATUS_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(wt_log(p), "killed by signal 9 (SIGKILL)"));
    wt_close(p);
    assert_no_child();
}

static void test_output_bounded(void)
{
    /* 100 KiB of output: kept up to the bound, the rest counted */
    wt_plugin *p = open_command(
        "head -c 102400 /dev/zero | tr '\\000' x; exit 1", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", "{}"), WEIR_STATUS_ERROR);
    const char *log = wt_log(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "exited with status 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "more bytes]"));
    CU_ASSERT(strlen(log) < 8192);
    wt_close(p);
    assert_no_child();
}

static void test_cannot_start(void)
{
    wt_plugin *p = open_command(
        "true", "<option name=\"dir\">no/such/folder</option>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", "{}"), WEIR_STATUS_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(wt_log(p), "cannot run"));
    wt_close(p);
    assert_no_child();
}

static void test_command_not_found(void)
{
    wt_plugin *p = open_command("/no/such/program --flag", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", "{}"), WEIR_STATUS_ERROR);
    const char *log = wt_log(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "exited with status 127"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "/no/such/program"));
    wt_close(p);
    assert_no_child();
}

static void test_no_fd_leak(void)
{
    /* an fd weir opened without O_CLOEXEC does not reach the command */
    int fd = open("/dev/null", O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(dup2(fd, 57) == 57);
    close(fd);
    wt_plugin *p = open_command(
        "if [ -e /proc/self/fd/57 ]; then echo leaked; exit 1; fi", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", "{}"), WEIR_STATUS_OK);
    close(57);
    wt_close(p);
    assert_no_child();
}

/* ---- never hang ------------------------------------------------------ */

static void test_timeout_sigterm(void)
{
    wt_plugin *p = open_command("sleep 30",
                                "<option name=\"timeout\">1s</option>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    double t0 = seconds();
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", "{}"), WEIR_STATUS_ERROR);
    double took = seconds() - t0;
    CU_ASSERT(took >= 0.9);
    CU_ASSERT(took < 3.0 + 0.5); /* timeout + 2 s grace, and some slack */
    CU_ASSERT_PTR_NOT_NULL(strstr(wt_log(p), "timed out after 1s"));
    CU_ASSERT_PTR_NOT_NULL(strstr(wt_log(p), "warning"));
    wt_close(p);
    assert_no_child();
}

static void test_timeout_sigkill_group(void)
{
    /* The shell and its children ignore SIGTERM; a background child keeps
     * the output pipe open.  SIGKILL to the group 2 s after SIGTERM. */
    remove_scratch("bg.pid");
    wt_plugin *p = open_command(
        "trap '' TERM; sleep 30 &amp; echo $! &gt; bg.pid; sleep 30",
        "<option name=\"timeout\">1s</option>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    double t0 = seconds();
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", "{}"), WEIR_STATUS_ERROR);
    double took = seconds() - t0;
    CU_ASSERT(took >= 2.9);
    CU_ASSERT(took < 3.0 + 0.5);
    CU_ASSERT_PTR_NOT_NULL(strstr(wt_log(p), "SIGKILL 2 s later"));
    CU_ASSERT_PTR_NOT_NULL(strstr(wt_log(p), "signal 9"));
    char *pid = read_scratch("bg.pid");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pid);
    CU_ASSERT(process_gone((pid_t)atol(pid), 2.0));
    free(pid);
    wt_close(p);
    assert_no_child();
}

static void test_background_keeps_pipe(void)
{
    /* The command ends at once but leaves a process holding its output:
     * weir does not wait for it (nor kill it). */
    wt_plugin *p = open_command("sleep 2 &amp; echo started", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    double t0 = seconds();
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", "{}"), WEIR_STATUS_OK);
    CU_ASSERT(seconds() - t0 < 1.5);
    CU_ASSERT_PTR_NOT_NULL(strstr(wt_log(p), "started"));
    wt_close(p);
    assert_no_child();
}

static char *big_json(size_t size)
{
    char *json = malloc(size + 1);
    static const char head[] = "{\"event\": \"rejected\", \"pad\": \"";
    memcpy(json, head, sizeof head - 1);
    memset(json + sizeof head - 1, 'x', size - (sizeof head - 1) - 2);
    memcpy(json + size - 2, "\"}", 2);
    json[size] = '\0';
    return json;
}

static int sigpipe_pending(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigpending(&s);
    return sigismember(&s, SIGPIPE) == 1;
}

static int sigpipe_blocked(void)
{
    sigset_t s;
    sigemptyset(&s);
    pthread_sigmask(SIG_BLOCK, NULL, &s);
    return sigismember(&s, SIGPIPE) == 1;
}

static void test_command_ignores_input(void)
{
    /* 1 MiB never read: the command exits (at once, and after the pipe
     * filled up).  SIGPIPE must neither kill this process nor stay pending
     * or blocked. */
    char *json = big_json(1024 * 1024);
    const char *commands[] = {"exit 0", "sleep 0.3", "head -c 10 &gt;/dev/null",
                              "exec 0&lt;&amp;-; sleep 0.3"};
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        wt_plugin *p = open_command(commands[i],
                                    "<option name=\"timeout\">5s</option>\n");
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        double t0 = seconds();
        CU_ASSERT_EQUAL(wt_notify(p, "rejected", json), WEIR_STATUS_OK);
        CU_ASSERT(seconds() - t0 < 2.0);
        CU_ASSERT(!sigpipe_pending());
        CU_ASSERT(!sigpipe_blocked());
        CU_ASSERT_PTR_NOT_NULL(strstr(wt_log(p), "bytes of its input"));
        wt_close(p);
        assert_no_child();
    }
    free(json);
}

static void test_big_input_read(void)
{
    remove_scratch("big.json");
    char *json = big_json(1024 * 1024);
    wt_plugin *p = open_command("cat &gt; big.json", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", json), WEIR_STATUS_OK);
    char *got = read_scratch("big.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    size_t n = strlen(json);
    CU_ASSERT_EQUAL(strlen(got), n + 1);
    CU_ASSERT(memcmp(got, json, n) == 0);
    free(got);
    free(json);
    wt_close(p);
    assert_no_child();
}

static void test_ignores_input_past_timeout(void)
{
    char *json = big_json(1024 * 1024);
    wt_plugin *p = open_command("sleep 30",
                                "<option name=\"timeout\">1s</option>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    double t0 = seconds();
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", json), WEIR_STATUS_ERROR);
    CU_ASSERT(seconds() - t0 < 3.5);
    CU_ASSERT(!sigpipe_pending());
    free(json);
    wt_close(p);
    assert_no_child();
}

/* ---- options ---------------------------------------------------------- */

static void test_check_empty_command(void)
{
    CU_ASSERT(validate("<option name=\"command\">  </option>\n") > 0);
    CU_ASSERT(wt_has_error(4, "must not be empty"));
    CU_ASSERT(validate("<option name=\"command\"></option>\n") > 0);
    CU_ASSERT(wt_has_error(4, "must not be empty"));
}

static void test_check_missing_command(void)
{
    CU_ASSERT(validate("<option name=\"timeout\">5s</option>\n") > 0);
    CU_ASSERT(strstr(wt_last_errors(), "command") != NULL);
}

static void test_check_on_and_timeout(void)
{
    CU_ASSERT(validate("<option name=\"command\">true</option>\n"
                       "<option name=\"on\">rejected endpoint-dwn</option>\n") >
              0);
    CU_ASSERT(wt_has_error(4, "unknown event type 'endpoint-dwn'"));
    CU_ASSERT(validate("<option name=\"command\">true</option>\n"
                       "<option name=\"timeout\">0s</option>\n") > 0);
    CU_ASSERT(wt_has_error(4, "must be longer than 0"));
    CU_ASSERT(validate("<option name=\"command\">true</option>\n"
                       "<option name=\"timeout\">soon</option>\n") > 0);
    CU_ASSERT_EQUAL(validate("<option name=\"command\">mail -s \"weir\" "
                             "ops@example.com</option>\n"
                             "<option name=\"on\">rejected run-failed</option>\n"
                             "<option name=\"timeout\">1m</option>\n"),
                    0);
}

/* ---- secrets from the environment ------------------------------------ */

/* A value that runs commands if a shell ever reads it as script text. */
#define EVIL "$(touch pwned1)`touch pwned2`;touch pwned3"

static int pwned(void)
{
    char *names[] = {"pwned1", "pwned2", "pwned3"};
    int any = 0;
    for (size_t i = 0; i < 3; i++) {
        char *path = scratch(names[i]);
        any |= access(path, F_OK) == 0;
        unlink(path);
        free(path);
    }
    return any;
}

static void test_secret_pasted_into_command_refused(void)
{
    pwned();
    setenv("WEIR_TEST_TOKEN", EVIL, 1);
    CU_ASSERT_EQUAL(validate("<option name=\"command\">echo "
                             "${env:WEIR_TEST_TOKEN} &gt; out.txt</option>\n"),
                    1);
    CU_ASSERT(wt_has_error(4, "would become shell code"));
    CU_ASSERT(wt_has_error(4, "write \"$NAME\""));
    CU_ASSERT(strstr(wt_last_errors(), "pwned") == NULL);
    wt_plugin *p = open_command("echo ${env:WEIR_TEST_TOKEN} &gt; out.txt",
                                NULL);
    CU_ASSERT_PTR_NULL(p);
    if (p) {
        wt_notify(p, "rejected", "{}");
        wt_close(p);
    }
    CU_ASSERT(!pwned());
    unsetenv("WEIR_TEST_TOKEN");
}

static void test_secret_through_the_environment(void)
{
    pwned();
    remove_scratch("token.txt");
    setenv("WEIR_TEST_TOKEN", EVIL, 1);
    wt_plugin *p = open_command("printf '%s' \"$WEIR_TEST_TOKEN\" &gt; "
                                "token.txt", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(wt_notify(p, "rejected", "{}"), WEIR_STATUS_OK);
    char *got = read_scratch("token.txt");
    CU_ASSERT_PTR_NOT_NULL(got);
    if (got)
        CU_ASSERT_STRING_EQUAL(got, EVIL);
    free(got);
    CU_ASSERT(!pwned());
    wt_close(p);
    unsetenv("WEIR_TEST_TOKEN");
    assert_no_child();
}

static void test_unset_variable_one_error(void)
{
    unsetenv("WEIR_TEST_UNSET");
    CU_ASSERT_EQUAL(validate("<option name=\"command\">${env:WEIR_TEST_UNSET}"
                             "</option>\n"),
                    1);
    CU_ASSERT(strstr(wt_last_errors(), "environment variable WEIR_TEST_UNSET "
                                       "is not set") != NULL);
    CU_ASSERT(strstr(wt_last_errors(), "must not be empty") == NULL);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("exec notifier", NULL, NULL);
    CU_add_test(s, "JSON on stdin, byte-exact", test_json_on_stdin);
    CU_add_test(s, "WEIR_EVENT, WEIR_PIPELINE, dir", test_environment);
    CU_add_test(s, "on: other events skipped", test_on_filter);
    CU_add_test(s, "default: every event", test_default_every_event);
    CU_add_test(s, "failure: status and stderr logged", test_failure_logged);
    CU_add_test(s, "success logged at debug", test_success_logged_at_debug);
    CU_add_test(s, "killed by a signal", test_killed_by_signal);
    CU_add_test(s, "output bounded", test_output_bounded);
    CU_add_test(s, "cannot start", test_cannot_start);
    CU_add_test(s, "command not found", test_command_not_found);
    CU_add_test(s, "no fd leaks into the command", test_no_fd_leak);
    CU_add_test(s, "timeout: SIGTERM", test_timeout_sigterm);
    CU_add_test(s, "timeout: SIGKILL to the group", test_timeout_sigkill_group);
    CU_add_test(s, "background process keeps the pipe",
                test_background_keeps_pipe);
    CU_add_test(s, "1 MiB never read", test_command_ignores_input);
    CU_add_test(s, "1 MiB read", test_big_input_read);
    CU_add_test(s, "1 MiB never read, past timeout",
                test_ignores_input_past_timeout);
    CU_add_test(s, "check: empty command", test_check_empty_command);
    CU_add_test(s, "check: missing command", test_check_missing_command);
    CU_add_test(s, "check: on, timeout", test_check_on_and_timeout);
    CU_add_test(s, "${env:} pasted into the command is refused",
                test_secret_pasted_into_command_refused);
    CU_add_test(s, "a secret through the environment never runs",
                test_secret_through_the_environment);
    CU_add_test(s, "an unset ${env:} in the command: one error",
                test_unset_variable_one_error);
}
