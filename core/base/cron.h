/*
 * cron.h - 5-field cron expressions (<schedule cron tz>) and their next
 * firing time in an IANA time zone.
 *
 * "minute hour day-of-month month day-of-week", each field `*`, a number,
 * a range `1-5`, a list `1,15`, or `*` or a range with a step (`/15`,
 * `10-50/10`); months JAN-DEC and days SUN-SAT in any case; 0 and 7 are
 * both Sunday; @hourly, @daily (@midnight), @weekly, @monthly, @yearly
 * (@annually).  As in Vixie cron and cronie, when day-of-month and
 * day-of-week are both restricted (neither starts with `*`), a day
 * matching either fires.
 *
 * Daylight saving time, as cron(8) treats jobs at a fixed time, here for
 * every expression: a local time the clock skips (spring forward) fires
 * once, at the first minute after the gap; a local time the clock shows
 * twice (fall back) fires once, the first time.
 */
#ifndef WEIR_CRON_H
#define WEIR_CRON_H

#include <stddef.h>
#include <stdint.h>

typedef struct weir_cron weir_cron;

/* Parse `expr`.  Returns the schedule (owned: weir_cron_free), or NULL
 * with the reason in `why`, naming the field:
 * `cron "0 25 * * *": hour 25 is out of range 0-23`.  An expression that
 * can never fire (`0 0 31 2 *`) is refused too. */
weir_cron *weir_cron_parse(const char *expr, char *why, size_t whysize);
void weir_cron_free(weir_cron *c); /* NULL is allowed */

/* 0 when `tz` names a zone of the system's time zone database
 * (/usr/share/zoneinfo/NAME, Debian's tzdata); otherwise -1 with the
 * reason in `why`.  Absolute paths and `..` are refused. */
int weir_cron_zone_check(const char *tz, char *why, size_t whysize);

/* The first firing of `c` strictly after `after_ms` (ms since the epoch),
 * in the zone `tz` (borrowed; NULL: the machine's local zone).  0: never
 * (within the 400 years the calendar takes to repeat), or `tz` is not a
 * zone (weir_cron_zone_check).
 *
 * Thread-safety: the C library converts local time only in the zone the
 * TZ variable names, so a call sets TZ, tzset()s, and puts TZ back (or
 * unsets it again) before it returns; calls are serialized by a mutex of
 * this module.  Meanwhile nothing else in the process may use local time
 * or change the environment: weir's own code formats and reads times with
 * gmtime_r and timegm, which ignore TZ (base/clock.c, store/sqlite/).
 * Reading the environment meanwhile (libcurl reads its proxy variables)
 * is safe where TZ was set at start: glibc replaces it in place.  Where
 * it was not, adding and removing it shifts the array under a concurrent
 * getenv, which may then miss a variable for that moment. */
int64_t weir_cron_next(const weir_cron *c, const char *tz, int64_t after_ms);

#endif
