#include "config.h"

#include <stdio.h>
#include <time.h>

#include "base/clock.h"

static int64_t real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t (*now_fn)(void) = real_now;
static int64_t shift_ms;

int64_t weir_clock_now_ms(void) { return now_fn() + shift_ms; }

void weir_clock_shift(int64_t ms) { shift_ms = ms; }

void weir_clock_set(int64_t (*fn)(void)) { now_fn = fn ? fn : real_now; }

char *weir_clock_iso(int64_t ms, char *buf, size_t size)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
