/* cron.c - cron expressions and their next firing time (cron.h).
 *
 * The search walks the local calendar, skipping a month, a day or an hour
 * at a time where the fields cannot match, and turns a matching local
 * time into an instant with the C library's zone data (localtime_r under
 * TZ, never a tzfile reader of our own). */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <weir/plugin.h>

#include "base/cron.h"

#define ZONEINFO "/usr/share/zoneinfo"
/* The Gregorian calendar, weekdays included, repeats every 400 years:
 * a schedule that has not fired in that time never will. */
#define SEARCH_YEARS 400

enum { MINUTE, HOUR, DOM, MONTH, DOW, NFIELDS };

struct weir_cron {
    uint64_t bits[NFIELDS]; /* bit n set: value n fires (Sunday is 0) */
    int dom_star, dow_star; /* the field starts with `*` (day_matches) */
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR",
                                          "MAY", "JUN", "JUL", "AUG",
                                          "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const day_names[] = {"SUN", "MON", "TUE", "WED",
                                        "THU", "FRI", "SAT", NULL};

static const struct field {
    const char *name;
    int min, max;
    const char *const *names; /* names[i] is the value min + i */
    const char *names_hint;
} fields[NFIELDS] = {
    {"minute", 0, 59, NULL, NULL},
    {"hour", 0, 23, NULL, NULL},
    {"day-of-month", 1, 31, NULL, NULL},
    {"month", 1, 12, month_names, "JAN-DEC"},
    {"day-of-week", 0, 7, day_names, "SUN-SAT"},
};

static const struct {
    const char *name, *expr;
} shortcuts[] = {
    {"@hourly", "0 * * * *"},  {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"}, {"@weekly", "0 0 * * 0"},
    {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
};

/* ---- calendar arithmetic (proleptic Gregorian, no time zone) ---------- */

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* A local (wall-clock) time to the minute. */
typedef struct wall {
    int64_t y;
    int mon, d, h, min; /* 1-12, 1-31, 0-23, 0-59 */
} wall;

/* Seconds since the epoch as if the wall time were UTC. */
static int64_t wall_seconds(const wall *w)
{
    return days_from_civil(w->y, w->mon, w->d) * 86400 + w->h * 3600 +
           w->min * 60;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

/* The wall time of `s` (as wall_seconds gives), cut to the minute
 * (Hinnant's civil_from_days). */
static void wall_from_seconds(int64_t s, wall *w)
{
    int64_t z = floor_div(s, 86400), secs = s - z * 86400;
    w->h = (int)(secs / 3600);
    w->min = (int)(secs % 3600 / 60);
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    w->d = (int)(doy - (153 * mp + 2) / 5 + 1);
    w->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
    w->y = yoe + era * 400 + (w->mon <= 2);
}

/* ---- parsing ----------------------------------------------------------- */

typedef struct parse_ctx {
    const char *expr;
    char *why;
    size_t whysize;
} parse_ctx;

static int fail(parse_ctx *pc, const char *fmt, ...) WEIR_PRINTF(2, 3);
static int fail(parse_ctx *pc, const char *fmt, ...)
{
    int n = snprintf(pc->why, pc->whysize, "cron \"%s\": ", pc->expr);
    if (n >= 0 && (size_t)n < pc->whysize) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(pc->why + n, pc->whysize - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The whole number s[0..n), or -1 when it is none.  It stops growing
 * past 1000: whatever the digits, out of range. */
static long parse_number(const char *s, size_t n)
{
    long v = n ? 0 : -1;
    for (size_t i = 0; i < n && v >= 0; i++) {
        if (!isdigit((unsigned char)s[i]))
            v = -1;
        else if (v < 1000)
            v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* A number or, in month and day-of-week, a name: text s[0..n). */
static int parse_value(parse_ctx *pc, const struct field *f, const char *s,
                       size_t n, int *out)
{
    for (size_t i = 0; f->names && f->names[i] && n == 3; i++)
        if (strncasecmp(s, f->names[i], 3) == 0) {
            *out = f->min + (int)i;
            return 0;
        }
    long v = parse_number(s, n);
    if (v < 0)
        return f->names
                   ? fail(pc, "%s \"%.*s\" is not a number or a name %s",
                          f->name, (int)n, s, f->names_hint)
                   : fail(pc, "%s \"%.*s\" is not a number", f->name, (int)n,
                          s);
    if (v < f->min || v > f->max)
        return fail(pc, "%s %.*s is out of range %d-%d", f->name, (int)n, s,
                    f->min, f->max);
    *out = (int)v;
    return 0;
}

/* One item of a list: `*`, `N`, `N-M`, each but `N` with an optional
 * `/STEP`; its values go into *bits. */
static int parse_item(parse_ctx *pc, const struct field *f, const char *s,
                      size_t n, uint64_t *bits)
{
    const char *slash = memchr(s, '/', n);
    size_t base = slash ? (size_t)(slash - s) : n;
    int lo = f->min, hi = f->max, step = 1;
    if (base == 1 && s[0] == '*') {
        if (f->min == 0 && f->max == 7) /* 7 is Sunday again */
            hi = 6;
    } else if (base && s[0] == '*') {
        return fail(pc, "%s \"%.*s\": only a step may follow * (*/15)",
                    f->name, (int)n, s);
    } else {
        const char *dash = memchr(s, '-', base);
        size_t first = dash ? (size_t)(dash - s) : base;
        if (parse_value(pc, f, s, first, &lo))
            return -1;
        hi = lo;
        if (dash) {
            const char *end = dash + 1;
            size_t len = base - first - 1;
            if (parse_value(pc, f, end, len, &hi))
                return -1;
            /* MON-SUN: the Sunday that ends a week is 7 */
            if (f->max == 7 && hi == 0 && lo > 0 && len &&
                isalpha((unsigned char)*end))
                hi = 7;
            if (hi < lo)
                return fail(pc, "%s range %.*s ends before it starts", f->name,
                            (int)base, s);
        } else if (slash) {
            return fail(pc, "%s \"%.*s\": a step needs * or a range before it",
                        f->name, (int)n, s);
        }
    }
    if (slash) {
        const char *t = slash + 1;
        size_t len = n - base - 1;
        long v = parse_number(t, len);
        if (v < 0)
            return fail(pc, "%s step \"%.*s\" is not a number", f->name,
                        (int)len, t);
        if (v < 1 || v > f->max)
            return fail(pc, "%s step %.*s is out of range 1-%d", f->name,
                        (int)len, t, f->max);
        step = (int)v;
    }
    for (int v = lo; v <= hi; v += step)
        *bits |= (uint64_t)1 << v;
    return 0;
}

static int parse_field(parse_ctx *pc, int i, const char *s, size_t n,
                       weir_cron *c)
{
    const struct field *f = &fields[i];
    const char *end = s + n;
    for (const char *item = s;; ) {
        const char *comma = memchr(item, ',', (size_t)(end - item));
        const char *stop = comma ? comma : end;
        if (stop == item)
            return fail(pc, "%s \"%.*s\" has an empty list item", f->name,
                        (int)n, s);
        if (parse_item(pc, f, item, (size_t)(stop - item), &c->bits[i]))
            return -1;
        if (!comma)
            break;
        item = comma + 1;
    }
    if (i == DOW && (c->bits[DOW] >> 7 & 1))
        c->bits[DOW] = (c->bits[DOW] | 1) & 0x7f;
    if (i == DOM)
        c->dom_star = s[0] == '*';
    else if (i == DOW)
        c->dow_star = s[0] == '*';
    return 0;
}

/* Some allowed month has some allowed day of the month (February has 29
 * in leap years).  Only matters when the days of the month decide. */
static int can_fire(const weir_cron *c)
{
    if (!c->dom_star && !c->dow_star) /* either field fires */
        return 1;
    for (int m = 1; m <= 12; m++)
        for (int d = 1; d <= days_in_month(2000, m); d++)
            if ((c->bits[MONTH] >> m & 1) && (c->bits[DOM] >> d & 1))
                return 1;
    return 0;
}

static int is_space(char ch) { return ch == ' ' || ch == '\t'; }

weir_cron *weir_cron_parse(const char *expr, char *why, size_t whysize)
{
    parse_ctx pc = {expr, why, whysize};
    const char *s = expr;
    while (is_space(*s))
        s++;
    if (*s == '@') {
        size_t n = 0;
        while (s[n] && !is_space(s[n]))
            n++;
        const char *found = NULL;
        for (size_t i = 0; i < sizeof(shortcuts) / sizeof(shortcuts[0]); i++)
            if (strlen(shortcuts[i].name) == n &&
                strncasecmp(s, shortcuts[i].name, n) == 0)
                found = shortcuts[i].expr;
        for (const char *t = s + n; found && *t; t++)
            if (!is_space(*t))
                found = NULL;
        if (!found) {
            fail(&pc, "not a schedule: use 5 fields or @hourly, @daily, "
                      "@weekly, @monthly, @yearly");
            return NULL;
        }
        s = found;
    }
    const char *start[NFIELDS];
    size_t len[NFIELDS];
    int n = 0;
    while (*s) {
        const char *f = s;
        while (*s && !is_space(*s))
            s++;
        if (n < NFIELDS) {
            start[n] = f;
            len[n] = (size_t)(s - f);
        }
        n++;
        while (is_space(*s))
            s++;
    }
    if (n != NFIELDS) {
        fail(&pc, "needs 5 fields (minute hour day-of-month month "
                  "day-of-week), found %d", n);
        return NULL;
    }
    weir_cron *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(why, whysize, "out of memory");
        return NULL;
    }
    for (int i = 0; i < NFIELDS; i++)
        if (parse_field(&pc, i, start[i], len[i], c)) {
            free(c);
            return NULL;
        }
    if (!can_fire(c)) {
        fail(&pc, "never fires: none of the months given has that day of "
                  "the month");
        free(c);
        return NULL;
    }
    return c;
}

void weir_cron_free(weir_cron *c) { free(c); }

/* ---- time zones -------------------------------------------------------- */

int weir_cron_zone_check(const char *tz, char *why, size_t whysize)
{
    int name_ok = *tz && *tz != '/' && strlen(tz) < 200 && !strstr(tz, "..");
    for (const char *t = tz; name_ok && *t; t++)
        name_ok = isalnum((unsigned char)*t) || strchr("/_-+.", *t);
    if (!name_ok) {
        if (why)
            snprintf(why, whysize,
                     "time zone \"%s\" is not a zone name like "
                     "Africa/Johannesburg", tz);
        return -1;
    }
    char path[256];
    struct stat sb;
    snprintf(path, sizeof(path), ZONEINFO "/%s", tz);
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (why)
            snprintf(why, whysize,
                     "unknown time zone \"%s\" (not in " ZONEINFO ")", tz);
        return -1;
    }
    return 0;
}

/* TZ is the process's; one conversion at a time. */
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* The UTC offset, in seconds, of the zone in TZ at instant `t`. */
static int64_t offset_at(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        return 0;
    wall w = {tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
              tm.tm_min};
    return wall_seconds(&w) + tm.tm_sec - t;
}

/* The first instant the zone in TZ shows the wall time `ws` (as
 * wall_seconds gives): of two (fall back), the earlier; of none (the
 * clock skipped it), the instant the clock jumped, when it shows the
 * first minute after the gap. */
static int64_t first_instant(int64_t ws)
{
    /* the offsets in force a day either side cover any one transition */
    int64_t before = offset_at(ws - 86400), after = offset_at(ws + 86400);
    int64_t t1 = ws - before, t2 = ws - after;
    int ok1 = offset_at(t1) == before, ok2 = offset_at(t2) == after;
    if (ok1 && ok2)
        return t1 < t2 ? t1 : t2;
    if (ok1 || ok2)
        return ok1 ? t1 : t2;
    int64_t lo = t1 < t2 ? t1 : t2, hi = t1 < t2 ? t2 : t1;
    int64_t old = offset_at(lo);
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (offset_at(mid) == old)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* ---- the next firing ---------------------------------------------------- */

static int next_bit(uint64_t bits, int from, int max)
{
    for (int v = from; v <= max; v++)
        if (bits >> v & 1)
            return v;
    return -1;
}

/* As Vixie cron: a day fires when both fields match, unless both are
 * restricted, then when either does. */
static int day_matches(const weir_cron *c, const wall *w)
{
    int64_t days = days_from_civil(w->y, w->mon, w->d);
    int dow = (int)(((days + 4) % 7 + 7) % 7); /* 1970-01-01: Thursday */
    int dom_ok = c->bits[DOM] >> w->d & 1, dow_ok = c->bits[DOW] >> dow & 1;
    return c->dom_star || c->dow_star ? dom_ok && dow_ok : dom_ok || dow_ok;
}

static void next_month(wall *w)
{
    w->d = 1;
    w->h = w->min = 0;
    if (++w->mon > 12) {
        w->mon = 1;
        w->y++;
    }
}

static void next_day(wall *w)
{
    w->h = w->min = 0;
    if (++w->d > days_in_month(w->y, w->mon))
        next_month(w);
}

/* Move *w to the first wall time at or after it that matches `c`;
 * -1 past `last_year`. */
static int next_match(const weir_cron *c, wall *w, int64_t last_year)
{
    while (w->y <= last_year) {
        if (!(c->bits[MONTH] >> w->mon & 1)) {
            next_month(w);
            continue;
        }
        if (!day_matches(c, w)) {
            next_day(w);
            continue;
        }
        int h = next_bit(c->bits[HOUR], w->h, 23);
        if (h < 0) {
            next_day(w);
            continue;
        }
        if (h > w->h) {
            w->h = h;
            w->min = 0;
        }
        int m = next_bit(c->bits[MINUTE], w->min, 59);
        if (m < 0) {
            w->min = 0;
            if (++w->h > 23)
                next_day(w);
            continue;
        }
        w->min = m;
        return 0;
    }
    return -1;
}

static int64_t next_in_zone(const weir_cron *c, int64_t after_ms)
{
    int64_t after = floor_div(after_ms, 1000);
    int64_t local = after + offset_at(after);
    wall w;
    wall_from_seconds((floor_div(local, 60) + 1) * 60, &w);
    int64_t last_year = w.y + SEARCH_YEARS;
    while (next_match(c, &w, last_year) == 0) {
        int64_t ws = wall_seconds(&w);
        int64_t t = first_instant(ws);
        /* not after: the second showing of a time that fired, or one
         * that does not exist and fired as the gap ended */
        if (t * 1000 > after_ms)
            return t * 1000;
        wall_from_seconds(ws + 60, &w);
    }
    return 0;
}

int64_t weir_cron_next(const weir_cron *c, const char *tz, int64_t after_ms)
{
    char zone[sizeof(ZONEINFO) + 202];
    if (tz && weir_cron_zone_check(tz, NULL, 0))
        return 0;
    if (tz)
        snprintf(zone, sizeof(zone), ":" ZONEINFO "/%s", tz);
    pthread_mutex_lock(&tz_lock);
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    int64_t next = 0;
    if ((!old || saved) && (!tz || setenv("TZ", zone, 1) == 0)) {
        tzset();
        next = next_in_zone(c, after_ms);
    }
    if (tz) {
        if (saved)
            setenv("TZ", saved, 1);
        else if (!old)
            unsetenv("TZ");
        tzset();
    }
    free(saved);
    pthread_mutex_unlock(&tz_lock);
    return next;
}
