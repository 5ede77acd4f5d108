/* duration.h - "250ms", "15s", "10m", "1h", "7d", "1h30m" to milliseconds. */
#ifndef WEIR_DURATION_H
#define WEIR_DURATION_H

/* Parse `text`; returns 0 and sets *ms, or -1 when it is not a duration
 * (empty, a number without a unit, an unknown unit, overflow). */
int weir_duration_parse(const char *text, long long *ms);

#endif
