/*
 * retry.h - when the next attempt of a record is due (the <retry> policy).
 *
 * The wait before the n-th retry is min(delay * backoff^(n-1), max-delay)
 * plus a random 0..jitter; `attempts` counts sends, the first included, so
 * a record answered RETRY on its attempts-th send has failed for good.
 */
#ifndef WEIR_RETRY_H
#define WEIR_RETRY_H

#include <stdint.h>

#include "pipeline/pipeline.h"

/* The wait in ms before retry number `n` (1 = the first retry) of a
 * record, with `random01` in [0, 1) choosing the jitter. */
int64_t weir_retry_wait_ms(const weir_retry_policy *p, int n, double random01);

/* 1 when a record that has been sent `attempts` times may be sent again. */
int weir_retry_allowed(const weir_retry_policy *p, int attempts);

/* A uniform random number in [0, 1) for jitter (not for secrets); each
 * thread draws from its own generator. */
double weir_retry_random(void);

#endif
