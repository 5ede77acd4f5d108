/* Unit tests of cron expressions and their next firing times (base/cron.c)
 * and of a pipeline's <schedule cron tz> (pipeline/schedule.c). */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/cron.h"
#include "core_tests.h"
#include "pipeline/pipeline.h"
#include "pipeline/schedule.h"

/* "2026-03-08T07:00:00Z" to ms since the epoch. */
static int64_t ms_of(const char *iso)
{
    struct tm tm = {0};
    CU_ASSERT_EQUAL(sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
                           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                    6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000;
}

/* 1 when the firings of `expr` in `tz` after `after` are, in order, the
 * NULL-terminated times that follow; else 0, printing what came. */
static int fires(const char *expr, const char *tz, const char *after, ...)
{
    char why[256], got[32];
    weir_cron *c = weir_cron_parse(expr, why, sizeof(why));
    if (!c) {
        fprintf(stderr, "\n  %s", why);
        return 0;
    }
    int ok = 1;
    int64_t t = ms_of(after);
    va_list ap;
    va_start(ap, after);
    for (const char *want; ok && (want = va_arg(ap, const char *));) {
        t = weir_cron_next(c, tz, t);
        weir_clock_iso(t, got, sizeof(got));
        if (!t || strcmp(got, want) != 0) {
            fprintf(stderr, "\n  %s in %s: expected %s, got %s", expr,
                    tz ? tz : "local time", want, t ? got : "never");
            ok = 0;
        }
    }
    va_end(ap);
    weir_cron_free(c);
    return ok;
}

/* 1 when `expr` is refused with exactly `want`. */
static int refused(const char *expr, const char *want)
{
    char why[256] = "";
    weir_cron *c = weir_cron_parse(expr, why, sizeof(why));
    weir_cron_free(c);
    if (!c && strcmp(why, want) == 0)
        return 1;
    fprintf(stderr, "\n  %s: expected '%s', got '%s'", expr, want,
            c ? "(accepted)" : why);
    return 0;
}

/* ---- syntax ------------------------------------------------------------ */

static void test_cron_syntax(void)
{
    CU_ASSERT(fires("*/15 * * * *", "UTC", "2026-11-23T10:07:00Z",
                    "2026-11-23T10:15:00Z", "2026-11-23T10:30:00Z", NULL));
    CU_ASSERT(fires("10-50/20 * * * *", "UTC", "2026-11-23T10:00:00Z",
                    "2026-11-23T10:10:00Z", "2026-11-23T10:30:00Z",
                    "2026-11-23T10:50:00Z", "2026-11-23T11:10:00Z", NULL));
    CU_ASSERT(fires("1,15 * * * *", "UTC", "2026-11-23T10:01:00Z",
                    "2026-11-23T10:15:00Z", "2026-11-23T11:01:00Z", NULL));
    /* ranges with a step, day names in any case; 2026-11-27 is a Friday */
    CU_ASSERT(fires("0 9-17/4 * * mon-FRI", "UTC", "2026-11-27T12:00:00Z",
                    "2026-11-27T13:00:00Z", "2026-11-27T17:00:00Z",
                    "2026-11-30T09:00:00Z", NULL));
    CU_ASSERT(fires("0 0 1 jan,Jul *", "UTC", "2026-11-23T00:00:00Z",
                    "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z", NULL));
    CU_ASSERT(fires("0 0 1 1-12/6 *", "UTC", "2026-11-23T00:00:00Z",
                    "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z", NULL));
    /* 0, 7 and SUN are Sunday; MON-SUN is the whole week */
    const char *sundays[] = {"0 0 * * 0", "0 0 * * 7", "0 0 * * sun"};
    for (size_t i = 0; i < sizeof(sundays) / sizeof(*sundays); i++)
        CU_ASSERT(fires(sundays[i], "UTC", "2026-11-27T12:00:00Z",
                        "2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z", NULL));
    CU_ASSERT(fires("0 0 * * 6-7", "UTC", "2026-11-27T12:00:00Z",
                    "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z",
                    "2026-12-05T00:00:00Z", NULL));
    CU_ASSERT(fires("0 0 * * MON-SUN", "UTC", "2026-11-27T12:00:00Z",
                    "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z", NULL));
    CU_ASSERT(fires("\t 30  2\t* * *  ", "UTC", "2026-11-23T00:00:00Z",
                    "2026-11-23T02:30:00Z", NULL));
    /* shortcuts */
    CU_ASSERT(fires("@hourly", "UTC", "2026-11-23T10:07:00Z",
                    "2026-11-23T11:00:00Z", NULL));
    CU_ASSERT(fires("@daily", "UTC", "2026-11-23T10:07:00Z",
                    "2026-11-24T00:00:00Z", NULL));
    CU_ASSERT(fires("@midnight", "UTC", "2026-11-23T10:07:00Z",
                    "2026-11-24T00:00:00Z", NULL));
    CU_ASSERT(fires("@weekly", "UTC", "2026-11-23T10:07:00Z",
                    "2026-11-29T00:00:00Z", NULL));
    CU_ASSERT(fires("@monthly", "UTC", "2026-11-23T10:07:00Z",
                    "2026-12-01T00:00:00Z", NULL));
    CU_ASSERT(fires("@YEARLY", "UTC", "2026-11-23T10:07:00Z",
                    "2027-01-01T00:00:00Z", NULL));
    CU_ASSERT(fires("@annually", "UTC", "2026-11-23T10:07:00Z",
                    "2027-01-01T00:00:00Z", NULL));
}

static void test_cron_errors(void)
{
    CU_ASSERT(refused("0 25 * * *",
                      "cron \"0 25 * * *\": hour 25 is out of range 0-23"));
    CU_ASSERT(refused("60 * * * *",
                      "cron \"60 * * * *\": minute 60 is out of range 0-59"));
    CU_ASSERT(refused("0 0 0 * *", "cron \"0 0 0 * *\": day-of-month 0 is "
                                   "out of range 1-31"));
    CU_ASSERT(refused("0 0 * 13 *",
                      "cron \"0 0 * 13 *\": month 13 is out of range 1-12"));
    CU_ASSERT(refused("0 0 * * 8", "cron \"0 0 * * 8\": day-of-week 8 is out "
                                   "of range 0-7"));
    CU_ASSERT(refused("0 0 * * 99999999999999999999",
                      "cron \"0 0 * * 99999999999999999999\": day-of-week "
                      "99999999999999999999 is out of range 0-7"));
    CU_ASSERT(refused("0 0 * FOO *", "cron \"0 0 * FOO *\": month \"FOO\" is "
                                     "not a number or a name JAN-DEC"));
    CU_ASSERT(refused("0 0 * * Monday", "cron \"0 0 * * Monday\": day-of-week "
                                        "\"Monday\" is not a number or a "
                                        "name SUN-SAT"));
    CU_ASSERT(refused("x * * * *",
                      "cron \"x * * * *\": minute \"x\" is not a number"));
    CU_ASSERT(refused("-5 * * * *",
                      "cron \"-5 * * * *\": minute \"\" is not a number"));
    CU_ASSERT(refused("0 5-1 * * *",
                      "cron \"0 5-1 * * *\": hour range 5-1 ends before it "
                      "starts"));
    CU_ASSERT(refused("*/0 * * * *",
                      "cron \"*/0 * * * *\": minute step 0 is out of range "
                      "1-59"));
    CU_ASSERT(refused("0 */x * * *",
                      "cron \"0 */x * * *\": hour step \"x\" is not a number"));
    CU_ASSERT(refused("0 */ * * *",
                      "cron \"0 */ * * *\": hour step \"\" is not a number"));
    CU_ASSERT(refused("5/10 * * * *",
                      "cron \"5/10 * * * *\": minute \"5/10\": a step needs * "
                      "or a range before it"));
    CU_ASSERT(refused("*-5 * * * *",
                      "cron \"*-5 * * * *\": minute \"*-5\": only a step may "
                      "follow * (*/15)"));
    CU_ASSERT(refused("1,,2 * * * *",
                      "cron \"1,,2 * * * *\": minute \"1,,2\" has an empty "
                      "list item"));
    CU_ASSERT(refused("0 * * *",
                      "cron \"0 * * *\": needs 5 fields (minute hour "
                      "day-of-month month day-of-week), found 4"));
    CU_ASSERT(refused("0 0 * * * *",
                      "cron \"0 0 * * * *\": needs 5 fields (minute hour "
                      "day-of-month month day-of-week), found 6"));
    CU_ASSERT(refused("", "cron \"\": needs 5 fields (minute hour "
                          "day-of-month month day-of-week), found 0"));
    CU_ASSERT(refused("@reboot", "cron \"@reboot\": not a schedule: use 5 "
                                 "fields or @hourly, @daily, @weekly, "
                                 "@monthly, @yearly"));
    CU_ASSERT(refused("@daily 0", "cron \"@daily 0\": not a schedule: use 5 "
                                  "fields or @hourly, @daily, @weekly, "
                                  "@monthly, @yearly"));
    /* days that never come */
    const char *never[] = {"0 0 31 2 *", "0 0 30 feb *",
                           "0 0 31 4,6,9,11 *", "0 0 30,31 2 *"};
    for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++) {
        char want[128];
        snprintf(want, sizeof(want),
                 "cron \"%s\": never fires: none of the months given has "
                 "that day of the month", never[i]);
        CU_ASSERT(refused(never[i], want));
    }
    /* a long expression's text is cut, never overflowed */
    char why[24];
    CU_ASSERT_PTR_NULL(weir_cron_parse("0 25 * * *", why, sizeof(why)));
    CU_ASSERT_STRING_EQUAL(why, "cron \"0 25 * * *\": hour");
}

/* ---- the calendar ------------------------------------------------------ */

static void test_cron_calendar(void)
{
    /* strictly after: a firing time itself, or a moment inside its
     * minute, gives the next one */
    CU_ASSERT(fires("0 * * * *", "UTC", "2026-11-23T10:00:00Z",
                    "2026-11-23T11:00:00Z", NULL));
    CU_ASSERT(fires("0 * * * *", "UTC", "2026-11-23T09:59:59Z",
                    "2026-11-23T10:00:00Z", NULL));
    char why[256];
    weir_cron *c = weir_cron_parse("0 * * * *", why, sizeof(why));
    CU_ASSERT_EQUAL(weir_cron_next(c, "UTC",
                                   ms_of("2026-11-23T10:00:00Z") + 500),
                    ms_of("2026-11-23T11:00:00Z"));
    CU_ASSERT_EQUAL(weir_cron_next(c, "UTC",
                                   ms_of("2026-11-23T09:59:59Z") + 999),
                    ms_of("2026-11-23T10:00:00Z"));
    weir_cron_free(c);
    /* month and year ends; months without day 31 are skipped */
    CU_ASSERT(fires("0 0 1 * *", "UTC", "2026-12-15T00:00:00Z",
                    "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", NULL));
    CU_ASSERT(fires("59 23 31 12 *", "UTC", "2026-12-31T23:59:00Z",
                    "2027-12-31T23:59:00Z", NULL));
    CU_ASSERT(fires("0 0 31 * *", "UTC", "2026-04-01T00:00:00Z",
                    "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
                    "2026-08-31T00:00:00Z", NULL));
    /* leap years: 2100 is none, 2000 was */
    CU_ASSERT(fires("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z",
                    "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", NULL));
    CU_ASSERT(fires("0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z",
                    "2104-02-29T00:00:00Z", NULL));
    CU_ASSERT(fires("0 0 29 2 *", "UTC", "1999-01-01T00:00:00Z",
                    "2000-02-29T00:00:00Z", NULL));
}

static void test_cron_day_rule(void)
{
    /* both restricted: the 13th or a Friday (2026-01-02 is a Friday) */
    CU_ASSERT(fires("0 0 13 * FRI", "UTC", "2026-01-01T00:00:00Z",
                    "2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z",
                    "2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z", NULL));
    /* day-of-month starts with `*`: both must match, as in Vixie cron */
    CU_ASSERT(fires("0 0 */2 * FRI", "UTC", "2026-01-01T00:00:00Z",
                    "2026-01-09T00:00:00Z", "2026-01-23T00:00:00Z",
                    "2026-02-13T00:00:00Z", NULL));
    CU_ASSERT(fires("0 0 13 * *", "UTC", "2026-01-01T00:00:00Z",
                    "2026-01-13T00:00:00Z", "2026-02-13T00:00:00Z", NULL));
    CU_ASSERT(fires("0 0 * * FRI", "UTC", "2026-01-01T00:00:00Z",
                    "2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", NULL));
    /* February 1 or 29 that is a Monday: years apart, found by skipping
     * whole months, not minute by minute */
    CU_ASSERT(fires("0 0 */28 2 MON", "UTC", "2026-01-01T00:00:00Z",
                    "2027-02-01T00:00:00Z", "2038-02-01T00:00:00Z",
                    "2044-02-01T00:00:00Z", "2044-02-29T00:00:00Z", NULL));
}

/* ---- time zones and daylight saving time ------------------------------- */

static void test_cron_zones(void)
{
    /* no DST: local midnight is 22:00 UTC all year */
    CU_ASSERT(fires("0 0 * * *", "Africa/Johannesburg", "2026-06-30T23:00:00Z",
                    "2026-07-01T22:00:00Z", "2026-07-02T22:00:00Z", NULL));
    CU_ASSERT(fires("30 8 * * *", "Africa/Johannesburg",
                    "2026-12-31T07:00:00Z", "2027-01-01T06:30:00Z", NULL));
    CU_ASSERT(fires("0 * * * *", "Africa/Johannesburg",
                    "2026-11-23T10:07:00Z", "2026-11-23T11:00:00Z", NULL));
    /* the month and year end in the zone, not in UTC */
    CU_ASSERT(fires("0 0 1 * *", "Africa/Johannesburg", "2026-11-23T00:00:00Z",
                    "2026-11-30T22:00:00Z", "2026-12-31T22:00:00Z", NULL));
}

static void test_cron_dst_spring_forward(void)
{
    /* America/New_York, 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00
     * UTC.  02:30 does not exist: it fires once, at 03:00 EDT. */
    CU_ASSERT(fires("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
                    "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", NULL));
    /* every quarter hour of the gap is one firing at its end */
    CU_ASSERT(fires("*/15 * * * *", "America/New_York", "2026-03-08T06:40:00Z",
                    "2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z",
                    "2026-03-08T07:15:00Z", NULL));
    CU_ASSERT(fires("0 2 * * *", "America/New_York", "2026-03-08T06:59:59Z",
                    "2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z", NULL));
    /* Europe/London, 2026-03-29: 01:00 GMT becomes 02:00 BST */
    CU_ASSERT(fires("30 1 * * *", "Europe/London", "2026-03-28T12:00:00Z",
                    "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", NULL));
    CU_ASSERT(fires("0 * * * *", "Europe/London", "2026-03-28T23:30:00Z",
                    "2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z",
                    "2026-03-29T02:00:00Z", NULL));
    /* Australia/Lord_Howe, 2026-10-04: 02:00 becomes 02:30 (+10:30 to +11) */
    CU_ASSERT(fires("15 2 * * *", "Australia/Lord_Howe",
                    "2026-10-03T00:00:00Z", "2026-10-03T15:30:00Z",
                    "2026-10-04T15:15:00Z", NULL));
}

static void test_cron_dst_fall_back(void)
{
    /* America/New_York, 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00
     * UTC.  01:30 happens twice: it fires once, the first time. */
    CU_ASSERT(fires("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z",
                    "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", NULL));
    CU_ASSERT(fires("*/20 * * * *", "America/New_York", "2026-11-01T05:10:00Z",
                    "2026-11-01T05:20:00Z", "2026-11-01T05:40:00Z",
                    "2026-11-01T07:00:00Z", NULL));
    /* asked during the second 01:xx: those times have fired */
    CU_ASSERT(fires("45 1 * * *", "America/New_York", "2026-11-01T06:30:00Z",
                    "2026-11-02T06:45:00Z", NULL));
    /* Europe/London, 2026-10-25: 02:00 BST becomes 01:00 GMT; hourly
     * fires at 01:00 BST and next at 02:00 GMT */
    CU_ASSERT(fires("0 * * * *", "Europe/London", "2026-10-24T23:30:00Z",
                    "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z",
                    "2026-10-25T03:00:00Z", NULL));
    CU_ASSERT(fires("30 1 * * *", "Europe/London", "2026-10-24T12:00:00Z",
                    "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", NULL));
    /* Australia/Lord_Howe, 2026-04-05: 02:00 becomes 01:30 (+11 to
     * +10:30): half an hour repeats */
    CU_ASSERT(fires("45 1 * * *", "Australia/Lord_Howe",
                    "2026-04-04T12:00:00Z", "2026-04-04T14:45:00Z",
                    "2026-04-05T15:15:00Z", NULL));
}

/* NULL is the machine's zone (TZ), and a named zone leaves TZ as it was. */
static void test_cron_local_zone_and_tz_restored(void)
{
    char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", "America/New_York", 1);
    tzset();
    CU_ASSERT(fires("30 2 * * *", NULL, "2026-03-07T12:00:00Z",
                    "2026-03-08T07:00:00Z", NULL));
    CU_ASSERT(fires("0 0 * * *", "Africa/Johannesburg", "2026-06-30T23:00:00Z",
                    "2026-07-01T22:00:00Z", NULL));
    CU_ASSERT_STRING_EQUAL(getenv("TZ"), "America/New_York");
    unsetenv("TZ");
    tzset();
    CU_ASSERT(fires("0 0 * * *", "Africa/Johannesburg", "2026-06-30T23:00:00Z",
                    "2026-07-01T22:00:00Z", NULL));
    CU_ASSERT_PTR_NULL(getenv("TZ"));
    if (saved)
        setenv("TZ", saved, 1);
    tzset();
    free(saved);
}

static void test_cron_zone_names(void)
{
    char why[256];
    CU_ASSERT_EQUAL(weir_cron_zone_check("Africa/Johannesburg", why,
                                         sizeof(why)), 0);
    CU_ASSERT_EQUAL(weir_cron_zone_check("UTC", why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(weir_cron_zone_check("America/Argentina/Buenos_Aires",
                                         why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(weir_cron_zone_check("Mars/Olympus", why, sizeof(why)),
                    -1);
    CU_ASSERT_STRING_EQUAL(why, "unknown time zone \"Mars/Olympus\" (not in "
                                "/usr/share/zoneinfo)");
    /* a folder of zones is not a zone */
    CU_ASSERT_EQUAL(weir_cron_zone_check("America", why, sizeof(why)), -1);
    CU_ASSERT_STRING_EQUAL(why, "unknown time zone \"America\" (not in "
                                "/usr/share/zoneinfo)");
    const char *bad[] = {"", "/etc/localtime", "../../etc/passwd",
                         "Africa/../Europe/London", "Europe/London\n",
                         "Europe London"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char want[128];
        snprintf(want, sizeof(want), "time zone \"%s\" is not a zone name "
                 "like Africa/Johannesburg", bad[i]);
        CU_ASSERT_EQUAL(weir_cron_zone_check(bad[i], why, sizeof(why)), -1);
        CU_ASSERT_STRING_EQUAL(why, want);
    }
    /* an unknown zone never fires, rather than in UTC */
    weir_cron *c = weir_cron_parse("0 * * * *", why, sizeof(why));
    CU_ASSERT_EQUAL(weir_cron_next(c, "Mars/Olympus", 0), 0);
    CU_ASSERT_EQUAL(weir_cron_next(c, "../../etc/passwd", 0), 0);
    weir_cron_free(c);
}

/* ---- <schedule> of a pipeline ------------------------------------------ */

static weir_pipeline *load_schedule(const char *schedule, const char *track,
                                    weir_diag *d)
{
    char xml[1024];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"s\">\n%s\n"
             "<source plugin=\"testgen\" name=\"in\"/>\n%s\n"
             "<sink plugin=\"testgen\" name=\"out\"/>\n</pipeline>\n",
             schedule, track);
    weir_plugins *reg = weir_plugins_new(WEIR_BUILDDIR "/tests/.libs");
    weir_pipeline *p = weir_pipeline_load_memory(xml, strlen(xml), "t.xml",
                                                 ".", reg, d);
    weir_plugins_free(reg);
    return p;
}

static void test_schedule_cron(void)
{
    weir_diag *d = weir_diag_new();
    weir_pipeline *p = load_schedule(
        "<schedule cron=\"0 * * * *\" tz=\"Asia/Kolkata\"/>", "", d);
    CU_ASSERT_EQUAL(weir_diag_count(d), 0);
    CU_ASSERT_STRING_EQUAL(p->schedule_text, "cron 0 * * * * Asia/Kolkata");
    /* never ran: the next firing after now (hh:30 UTC in +05:30) */
    int64_t now = ms_of("2026-11-23T10:07:00Z");
    CU_ASSERT_EQUAL(weir_schedule_next(p, 0, now),
                    ms_of("2026-11-23T10:30:00Z"));
    /* the firing after the last run's start */
    CU_ASSERT_EQUAL(weir_schedule_next(p, ms_of("2026-11-23T09:30:00Z"), now),
                    ms_of("2026-11-23T10:30:00Z"));
    /* slots missed while nothing ran: due now, made up once */
    int64_t due = weir_schedule_next(p, ms_of("2026-11-20T09:31:00Z"), now);
    CU_ASSERT_EQUAL(due, ms_of("2026-11-20T10:30:00Z"));
    CU_ASSERT(due <= now);
    CU_ASSERT_EQUAL(weir_schedule_next(p, now + 1000, now + 1000),
                    ms_of("2026-11-23T10:30:00Z"));
    CU_ASSERT_EQUAL(weir_schedule_full_refresh(p, now), 0);
    weir_pipeline_unref(p);

    /* no tz: the machine's zone */
    p = load_schedule("<schedule cron=\"@daily\"/>", "", d);
    CU_ASSERT_EQUAL(weir_diag_count(d), 0);
    CU_ASSERT_STRING_EQUAL(p->schedule_text, "cron @daily");
    CU_ASSERT_PTR_NULL(p->schedule_tz);
    weir_pipeline_unref(p);

    /* every= keeps its contract: due at once when it never ran */
    p = load_schedule("<schedule every=\"1h\"/>",
                      "<track key=\"id\" full-refresh=\"7d\"/>", d);
    CU_ASSERT_EQUAL(weir_diag_count(d), 0);
    CU_ASSERT_STRING_EQUAL(p->schedule_text, "every 1h");
    CU_ASSERT_EQUAL(weir_schedule_next(p, 0, now), now);
    CU_ASSERT_EQUAL(weir_schedule_next(p, now, now + 1), now + 3600000);
    CU_ASSERT_EQUAL(weir_schedule_full_refresh(p, now), now + 7 * 86400000LL);
    CU_ASSERT_EQUAL(weir_schedule_full_refresh(p, 0), 0);
    weir_pipeline_unref(p);

    p = load_schedule("", "<track key=\"id\"/>", d);
    CU_ASSERT_PTR_NULL(p->schedule_text);
    CU_ASSERT_EQUAL(weir_schedule_next(p, 0, now), 0);
    CU_ASSERT_EQUAL(weir_schedule_full_refresh(p, now), 0);
    weir_pipeline_unref(p);
    weir_diag_free(d);
}

static void test_schedule_errors(void)
{
    struct {
        const char *schedule, *error;
    } cases[] = {
        {"<schedule cron=\"0 25 * * *\"/>",
         "t.xml:2: <schedule cron>: cron \"0 25 * * *\": hour 25 is out of "
         "range 0-23"},
        {"<schedule cron=\"0 0 31 2 *\"/>",
         "t.xml:2: <schedule cron>: cron \"0 0 31 2 *\": never fires: none "
         "of the months given has that day of the month"},
        {"<schedule cron=\"@daily\" tz=\"Mars/Olympus\"/>",
         "t.xml:2: <schedule tz>: unknown time zone \"Mars/Olympus\" (not in "
         "/usr/share/zoneinfo)"},
        {"<schedule cron=\"@daily\" tz=\"/etc/localtime\"/>",
         "t.xml:2: <schedule tz>: time zone \"/etc/localtime\" is not a zone "
         "name like Africa/Johannesburg"},
        {"<schedule every=\"1h\" cron=\"@daily\"/>",
         "t.xml:2: Invalid attribute cron for element schedule"},
        {"<schedule every=\"1h\" tz=\"UTC\"/>",
         "t.xml:2: Invalid attribute tz for element schedule"},
        {"<schedule/>", "t.xml:2: Element schedule failed to validate"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        weir_diag *d = weir_diag_new();
        weir_pipeline_unref(load_schedule(cases[i].schedule, "", d));
        int found = 0;
        for (size_t k = 0; k < weir_diag_count(d); k++)
            found |= strncmp(weir_diag_at(d, k), cases[i].error,
                             strlen(cases[i].error)) == 0;
        if (!found) {
            fprintf(stderr, "\n  expected: %s\n  got:", cases[i].error);
            for (size_t k = 0; k < weir_diag_count(d); k++)
                fprintf(stderr, "\n    %s", weir_diag_at(d, k));
        }
        CU_ASSERT(found);
        weir_diag_free(d);
    }
}

void register_cron_tests(void)
{
    CU_pSuite s = CU_add_suite("cron schedules", NULL, NULL);
    CU_add_test(s, "syntax", test_cron_syntax);
    CU_add_test(s, "errors name the field and the reason", test_cron_errors);
    CU_add_test(s, "month and year ends, leap years", test_cron_calendar);
    CU_add_test(s, "day-of-month or day-of-week", test_cron_day_rule);
    CU_add_test(s, "time zones", test_cron_zones);
    CU_add_test(s, "DST: a skipped time fires once after the gap",
                test_cron_dst_spring_forward);
    CU_add_test(s, "DST: a repeated time fires once, the first",
                test_cron_dst_fall_back);
    CU_add_test(s, "the local zone; TZ restored",
                test_cron_local_zone_and_tz_restored);
    CU_add_test(s, "zone names", test_cron_zone_names);
    CU_add_test(s, "<schedule cron tz> of a pipeline", test_schedule_cron);
    CU_add_test(s, "<schedule> errors with file:line", test_schedule_errors);
}
