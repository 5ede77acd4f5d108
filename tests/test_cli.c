/*
 * test_cli.c - the command line as a user meets it, with the real weir
 * binary: common options before the command, WEIR_STATE, usage errors
 * that say what is wrong, the plugin path (added to, replaced, folders
 * that are missing, empty or writable by others), and log lines (time
 * stamps off a terminal, logfmt, JSON, secrets masked).
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define TESTLIBS WEIR_BUILDDIR "/tests/.libs"

static const char customers_csv[] = "code,name\nA1,Alpha\nA2,Beta\n";

static const char csv_to_csv[] =
    "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"copy\">\n"
    "  <source plugin=\"csv\" name=\"in\">\n"
    "    <option name=\"path\">customers.csv</option>\n"
    "  </source>\n"
    "  <sink plugin=\"csv\" name=\"out\">\n"
    "    <option name=\"path\">out.csv</option>\n"
    "  </sink>\n"
    "</pipeline>\n";

/* A scratch folder holding customers.csv and p.xml. (owned: free) */
static char *scratch_pipeline(const char *name)
{
    char *dir = e2e_scratch(name);
    free(wt_write_file(dir, "customers.csv", customers_csv));
    free(wt_write_file(dir, "p.xml", csv_to_csv));
    return dir;
}

static int exists(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* ---- common options before the command ---------------------------- */

static void test_common_options_before_the_command(void)
{
    char *dir = scratch_pipeline("before");
    e2e_result r = e2e_run(dir, "--state", "s.db", "-q", "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_STRING_EQUAL(r.out, "");
    e2e_result_free(&r);
    CU_ASSERT(exists(dir, "s.db"));
    CU_ASSERT(!exists(dir, "weir.db"));

    r = e2e_run(dir, "--state", "s.db", "status", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "copy"));
    e2e_result_free(&r);
    r = e2e_run(dir, "--state=s.db", "--json", "status", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "\"state\": \"s.db\""));
    e2e_result_free(&r);
    /* -v before `plugins` means what it means after it: more detail */
    r = e2e_run(dir, "-v", "plugins", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "delimiter"));
    e2e_result_free(&r);
    r = e2e_run(dir, "--plugin-path", TESTLIBS, "plugins", NULL);
    CU_ASSERT(e2e_contains(r.out, "testgen"));
    e2e_result_free(&r);

    /* a command's own option before the command: bad usage, said so */
    r = e2e_run(dir, "--dry-run", "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "--dry-run"));
    CU_ASSERT(e2e_contains(r.err, "after the command"));
    e2e_result_free(&r);
    /* options but no command */
    r = e2e_run(dir, "--state", "s.db", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "no command"));
    e2e_result_free(&r);
    r = e2e_run(dir, "-q", "--help", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "Commands:"));
    e2e_result_free(&r);
    r = e2e_run(dir, "--state", "s.db", "frobnicate", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "unknown command 'frobnicate'"));
    e2e_result_free(&r);
    free(dir);
}

static void test_weir_state_environment(void)
{
    char *dir = scratch_pipeline("envstate");
    setenv("WEIR_STATE", "from-env.db", 1);
    e2e_result r = e2e_run(dir, "run", "-q", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    CU_ASSERT(exists(dir, "from-env.db"));
    CU_ASSERT(!exists(dir, "weir.db"));
    r = e2e_run(dir, "status", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "copy"));
    e2e_result_free(&r);
    /* --state wins over the environment */
    r = e2e_run(dir, "status", "--state", "other.db", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(e2e_contains(r.err, "other.db"));
    e2e_result_free(&r);
    /* an empty WEIR_STATE is no setting */
    setenv("WEIR_STATE", "", 1);
    r = e2e_run(dir, "run", "-q", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    CU_ASSERT(exists(dir, "weir.db"));
    unsetenv("WEIR_STATE");
    free(dir);
}

/* ---- usage errors that say what is wrong --------------------------- */

static void test_usage_messages(void)
{
    char *dir = scratch_pipeline("usage");
    e2e_result r = e2e_run(dir, "run", "--state", "", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "--state needs a value"));
    e2e_result_free(&r);
    r = e2e_run(dir, "--state", "", "status", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    e2e_result_free(&r);

    r = e2e_run(dir, "drain", "--wait", "--max-wait", "-5s", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "--max-wait must be a positive duration"));
    e2e_result_free(&r);
    r = e2e_run(dir, "drain", "--wait", "--max-wait", "0s", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "--max-wait must be a positive duration"));
    e2e_result_free(&r);
    r = e2e_run(dir, "drain", "--wait", "--max-wait", "soon", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "--max-wait soon is not a duration"));
    e2e_result_free(&r);
    /* a forgotten value is still told apart from a negative number */
    r = e2e_run(dir, "drain", "--wait", "--max-wait", "-q", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "--max-wait needs a value"));
    e2e_result_free(&r);

    r = e2e_run(dir, "run", "-q", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    r = e2e_run(dir, "show", "99999999999999999999999", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "'99999999999999999999999' is not a valid "
                                  "record id"));
    CU_ASSERT(strstr(r.err, "9223372036854775807") == NULL);
    e2e_result_free(&r);
    r = e2e_run(dir, "resend", "99999999999999999999999", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "'99999999999999999999999' is not a valid "
                                  "record id"));
    e2e_result_free(&r);
    r = e2e_run(dir, "show", "+7", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    e2e_result_free(&r);
    r = e2e_run(dir, "show", "9223372036854775807", NULL);
    CU_ASSERT_EQUAL(r.status, 1); /* the largest id is an id: not there */
    e2e_result_free(&r);
    free(dir);
}

/* ---- the plugin path ----------------------------------------------- */

/* Copy the test plugin testgen.so into `dir`. */
static void copy_testgen(const char *dir)
{
    char src[4200], dst[4200];
    snprintf(src, sizeof(src), "%s/testgen.so", TESTLIBS);
    snprintf(dst, sizeof(dst), "%s/testgen.so", dir);
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        CU_ASSERT_EQUAL(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
    chmod(dst, 0755);
}

static void test_plugin_path_adds_to_the_default(void)
{
    char *dir = scratch_pipeline("ppath");
    char *mine = e2e_scratch("ppath/mine");
    copy_testgen(mine);
    /* the user's folder first, the shipped plugins still there */
    e2e_result r = e2e_run(dir, "plugins", "--plugin-path", mine, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "testgen"));
    CU_ASSERT(e2e_contains(r.out, "csv "));
    CU_ASSERT(e2e_contains(r.out, "sqlite "));
    e2e_result_free(&r);
    r = e2e_run(dir, "run", "-q", "--plugin-path", mine, "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    /* a relative folder is taken from the current folder */
    r = e2e_run(dir, "plugins", "--plugin-path", "mine", "--json", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "/ppath/mine/testgen.so"));
    e2e_result_free(&r);

    /* WEIR_PLUGIN_PATH replaces the default */
    setenv("WEIR_PLUGIN_PATH", mine, 1);
    r = e2e_run(dir, "plugins", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "testgen"));
    CU_ASSERT(strstr(r.out, "csv ") == NULL);
    e2e_result_free(&r);
    unsetenv("WEIR_PLUGIN_PATH");
    free(mine);
    free(dir);
}

static void test_plugin_path_warnings(void)
{
    char *dir = e2e_scratch("pwarn");
    char *empty = e2e_scratch("pwarn/empty");
    char missing[4200];
    snprintf(missing, sizeof(missing), "%s/nosuch", dir);
    e2e_result r = e2e_run(dir, "plugins", "--plugin-path", missing, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.err, "nosuch: no such folder"));
    CU_ASSERT(e2e_contains(r.out, "csv "));
    e2e_result_free(&r);
    r = e2e_run(dir, "plugins", "--plugin-path", empty, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.err, "pwarn/empty: holds no plugin (no *.so)"));
    e2e_result_free(&r);

    /* nothing found at all: a warning and exit 1, never a silent 0 */
    setenv("WEIR_PLUGIN_PATH", empty, 1);
    r = e2e_run(dir, "plugins", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(e2e_contains(r.err, "no plugin found"));
    e2e_result_free(&r);
    r = e2e_run(dir, "plugins", "--json", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(e2e_contains(r.out, "\"plugins\": []"));
    e2e_result_free(&r);
    unsetenv("WEIR_PLUGIN_PATH");
    free(empty);
    free(dir);
}

static void test_plugin_folder_writable_by_others(void)
{
    char *dir = e2e_scratch("pperm");
    char *open_dir = e2e_scratch("pperm/open");
    copy_testgen(open_dir);
    CU_ASSERT_EQUAL(chmod(open_dir, 0777), 0);
    e2e_result r = e2e_run(dir, "plugins", "--plugin-path", open_dir, NULL);
    CU_ASSERT(e2e_contains(r.err, "pperm/open: writable by group or "
                                  "others; not loading plugins from it "
                                  "(chmod go-w"));
    CU_ASSERT(strstr(r.out, "testgen") == NULL);
    CU_ASSERT(e2e_contains(r.out, "csv "));
    e2e_result_free(&r);
    /* the same for a plugin file others may write */
    CU_ASSERT_EQUAL(chmod(open_dir, 0755), 0);
    char so[4200];
    snprintf(so, sizeof(so), "%s/testgen.so", open_dir);
    CU_ASSERT_EQUAL(chmod(so, 0757), 0);
    r = e2e_run(dir, "plugins", "--plugin-path", open_dir, NULL);
    CU_ASSERT(e2e_contains(r.err, "testgen.so: writable by group or others"));
    CU_ASSERT(strstr(r.out, "testgen") == NULL);
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(chmod(so, 0755), 0);
    r = e2e_run(dir, "plugins", "--plugin-path", open_dir, NULL);
    CU_ASSERT(e2e_contains(r.out, "testgen"));
    e2e_result_free(&r);
    free(open_dir);
    free(dir);
}

/* ---- log lines ------------------------------------------------------ */

/* A pipeline whose source file is missing, under a folder named by an
 * environment variable: one error line that holds a secret. */
static const char missing_source[] =
    "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"lost\">\n"
    "  <source plugin=\"csv\" name=\"in\">\n"
    "    <option name=\"path\">${env:WEIR_TEST_SECRET_DIR}/x.csv</option>\n"
    "  </source>\n"
    "  <sink plugin=\"csv\" name=\"out\">\n"
    "    <option name=\"path\">out.csv</option>\n"
    "  </sink>\n"
    "</pipeline>\n";
#define SECRET_DIR "/nonexistent/s3cret-folder"

/* "2026-11-22T15:42:26.123Z" at the start of `s`? */
static int iso_stamp(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
            return 0;
    return 1;
}

static void test_log_formats(void)
{
    char *dir = e2e_scratch("logs");
    free(wt_write_file(dir, "p.xml", missing_source));
    setenv("WEIR_TEST_SECRET_DIR", SECRET_DIR, 1);

    /* plain, off a terminal: every line starts with a time stamp */
    e2e_result r = e2e_run(dir, "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(iso_stamp(r.err));
    CU_ASSERT(e2e_contains(r.err, "Z weir: error: lost/in: "));
    CU_ASSERT(e2e_contains(r.err, "***/x.csv"));
    CU_ASSERT(strstr(r.err, "s3cret") == NULL);
    e2e_result_free(&r);

    r = e2e_run(dir, "--log-format", "logfmt", "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(strncmp(r.err, "time=", 5) == 0 && iso_stamp(r.err + 5));
    CU_ASSERT(e2e_contains(r.err, " level=error instance=lost/in msg=\""));
    CU_ASSERT(e2e_contains(r.err, "***/x.csv"));
    CU_ASSERT(strstr(r.err, "s3cret") == NULL);
    e2e_result_free(&r);

    r = e2e_run(dir, "run", "p.xml", "--log-format=json", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(strstr(r.err, "s3cret") == NULL);
    int lines = 0, errors = 0;
    for (char *save = NULL, *line = strtok_r(r.err, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        json_t *o = json_loads(line, 0, &jerr);
        CU_ASSERT_PTR_NOT_NULL(o);
        if (!o) {
            fprintf(stderr, "not JSON: %s\n", line);
            continue;
        }
        lines++;
        const char *time = NULL, *level = NULL, *msg = NULL;
        CU_ASSERT_EQUAL(json_unpack(o, "{s:s, s:s, s:s}", "time", &time,
                                    "level", &level, "msg", &msg), 0);
        CU_ASSERT(time && iso_stamp(time));
        /* the plugin's own line names its instance (the run's failure
         * message, which repeats the reason, names none) */
        const char *instance = json_string_value(json_object_get(o, "instance"));
        if (level && strcmp(level, "error") == 0 && msg &&
            strstr(msg, "***/x.csv") && instance &&
            strcmp(instance, "lost/in") == 0)
            errors++;
        json_decref(o);
    }
    CU_ASSERT(lines >= 1);
    CU_ASSERT_EQUAL(errors, 1);
    e2e_result_free(&r);

    r = e2e_run(dir, "run", "p.xml", "--log-format", "xml", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT(e2e_contains(r.err, "--log-format must be plain, logfmt or json"));
    e2e_result_free(&r);
    unsetenv("WEIR_TEST_SECRET_DIR");
    free(dir);
}

/* ---- <schedule cron tz> in validate and status --------------------- */

/* A pipeline with `schedule` (an element) and a weekly full refresh. */
static void write_scheduled(const char *dir, const char *file,
                            const char *schedule)
{
    char xml[1024];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"nightly\">\n"
             "  %s\n"
             "  <source plugin=\"csv\" name=\"in\">\n"
             "    <option name=\"path\">customers.csv</option>\n"
             "  </source>\n"
             "  <track key=\"code\" full-refresh=\"7d\"/>\n"
             "  <sink plugin=\"csv\" name=\"out\">\n"
             "    <option name=\"path\">out.csv</option>\n"
             "  </sink>\n"
             "</pipeline>\n",
             schedule);
    free(wt_write_file(dir, file, xml));
}

static void test_validate_cron_schedules(void)
{
    char *dir = scratch_pipeline("cron-validate");
    write_scheduled(dir, "cron.xml", "<schedule cron=\"0 25 * * *\"/>");
    write_scheduled(dir, "tz.xml",
                    "<schedule cron=\"@daily\" tz=\"Mars/Olympus\"/>");
    write_scheduled(dir, "ok.xml", "<schedule cron=\"0 * * * *\" "
                                   "tz=\"Africa/Johannesburg\"/>");
    e2e_result r = e2e_run(dir, "validate", "cron.xml", "tz.xml", "ok.xml",
                           NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT(e2e_contains(r.err, "cron.xml:2: <schedule cron>: cron "
                                  "\"0 25 * * *\": hour 25 is out of range "
                                  "0-23"));
    CU_ASSERT(e2e_contains(r.err, "tz.xml:2: <schedule tz>: unknown time "
                                  "zone \"Mars/Olympus\" (not in "
                                  "/usr/share/zoneinfo)"));
    CU_ASSERT(e2e_contains(r.out, "ok.xml: valid (pipeline 'nightly')"));
    e2e_result_free(&r);
    /* an invalid schedule never runs */
    r = e2e_run(dir, "run", "tz.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    e2e_result_free(&r);
    free(dir);
}

/* A time field of `weir status --json`'s entry of "nightly", in ms. */
static long long status_ms(const char *dir, const char *field)
{
    json_t *o = e2e_status(dir, "nightly", NULL);
    const char *iso = json_string_value(json_object_get(o, field));
    struct tm tm = {0};
    long long ms = -1;
    if (iso && sscanf(iso, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon,
                      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        ms = (long long)timegm(&tm) * 1000;
    }
    json_decref(o);
    return ms;
}

static void test_status_cron_and_full_refresh(void)
{
    const long long day = 86400000, week = 7 * day;
    char *dir = scratch_pipeline("cron-status");
    write_scheduled(dir, "nightly.xml", "<schedule cron=\"0 0 * * *\" "
                                        "tz=\"Africa/Johannesburg\"/>");
    e2e_result r = e2e_run(dir, "-q", "run", "nightly.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    r = e2e_run(dir, "status", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "  schedule: cron 0 0 * * * "
                                  "Africa/Johannesburg\n"
                                  "  next full refresh: "));
    e2e_result_free(&r);
    /* midnight in Johannesburg (UTC+2, no DST) is 22:00 UTC, the first
     * after the run's start */
    CU_ASSERT(e2e_status_is(dir, "nightly", NULL, "schedule",
                            "cron 0 0 * * * Africa/Johannesburg"));
    json_t *o = e2e_status(dir, "nightly", NULL);
    const char *next_run = json_string_value(json_object_get(o, "next_run"));
    CU_ASSERT(next_run && e2e_ends_with(next_run, "T22:00:00Z"));
    json_decref(o);
    long long last = status_ms(dir, "last_run");
    long long next = status_ms(dir, "next_run");
    long long full = status_ms(dir, "next_full_refresh");
    CU_ASSERT(last > 0 && next > last && next <= last + day);
    /* the first run starts the full-refresh clock */
    CU_ASSERT(full >= last + week && full < last + week + 60000);

    /* a day later: an ordinary run; the full refresh stays put */
    e2e_clock_offset("1d");
    r = e2e_run(dir, "-q", "run", "nightly.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    long long last2 = status_ms(dir, "last_run");
    CU_ASSERT(last2 >= last + day);
    CU_ASSERT(status_ms(dir, "next_run") > last2);
    CU_ASSERT_EQUAL(status_ms(dir, "next_full_refresh"), full);
    /* eight days later the run is the full refresh: the next is a week on */
    e2e_clock_offset("8d");
    r = e2e_run(dir, "-q", "run", "nightly.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    long long last3 = status_ms(dir, "last_run");
    long long full3 = status_ms(dir, "next_full_refresh");
    CU_ASSERT(full3 >= last3 + week && full3 < last3 + week + 60000);
    e2e_clock_offset(NULL);

    /* no <schedule>, no <track>: neither is shown */
    r = e2e_run(dir, "-q", "run", "p.xml", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    o = e2e_status(dir, "copy", NULL);
    CU_ASSERT(json_is_null(json_object_get(o, "schedule")));
    CU_ASSERT(json_is_null(json_object_get(o, "next_full_refresh")));
    CU_ASSERT(json_is_null(json_object_get(o, "next_run")));
    json_decref(o);
    free(dir);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("command line", NULL, NULL);
    CU_add_test(s, "common options before the command",
                test_common_options_before_the_command);
    CU_add_test(s, "WEIR_STATE", test_weir_state_environment);
    CU_add_test(s, "usage errors say what is wrong", test_usage_messages);
    CU_add_test(s, "--plugin-path adds; WEIR_PLUGIN_PATH replaces",
                test_plugin_path_adds_to_the_default);
    CU_add_test(s, "plugin folders missing or empty; nothing found",
                test_plugin_path_warnings);
    CU_add_test(s, "plugin folders and files writable by others",
                test_plugin_folder_writable_by_others);
    CU_add_test(s, "log lines: time stamps, logfmt, JSON, secrets masked",
                test_log_formats);
    CU_add_test(s, "validate: a bad cron or time zone, with file:line",
                test_validate_cron_schedules);
    CU_add_test(s, "status: a cron pipeline's next run and next full refresh",
                test_status_cron_and_full_refresh);
}
