/*
 * clock.h - wall-clock time for schedules, retries and history, with a
 * seam for tests: weir_clock_set() replaces the time source, so retry
 * schedules are tested without sleeping.
 * Not thread-safe to change; set it before starting work.
 */
#ifndef WEIR_CLOCK_H
#define WEIR_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the Unix epoch. */
int64_t weir_clock_now_ms(void);
/* Use `fn` (NULL: the real clock) from now on. */
void weir_clock_set(int64_t (*fn)(void));
/* From now on the time is `ms` later (negative: earlier) than the time
 * source says: WEIR_CLOCK_OFFSET, for rehearsals and end-to-end tests
 * that let retries, probes and full refreshes come due without waiting. */
void weir_clock_shift(int64_t ms);
/* "2026-11-22T15:01:03Z" for `ms`; returns buf. */
char *weir_clock_iso(int64_t ms, char *buf, size_t size);

#endif
