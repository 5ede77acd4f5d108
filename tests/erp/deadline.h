/*
 * deadline.h - the CLOCK_REALTIME time `ms` from now, for
 * pthread_cond_timedwait() in the fixtures' wait functions.
 */
#ifndef WEIR_TEST_ERP_DEADLINE_H
#define WEIR_TEST_ERP_DEADLINE_H

#include <time.h>

static inline struct timespec erp_deadline(int ms)
{
    struct timespec d;
    clock_gettime(CLOCK_REALTIME, &d);
    d.tv_sec += ms / 1000;
    d.tv_nsec += (long)(ms % 1000) * 1000000;
    if (d.tv_nsec >= 1000000000) {
        d.tv_sec++;
        d.tv_nsec -= 1000000000;
    }
    return d;
}

#endif
