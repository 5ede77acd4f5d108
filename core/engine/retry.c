#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "engine/retry.h"

int64_t weir_retry_wait_ms(const weir_retry_policy *p, int n, double random01)
{
    if (n < 1)
        n = 1;
    double wait = (double)p->delay_ms * pow(p->backoff, (double)(n - 1));
    if (p->max_delay_ms > 0 && wait > (double)p->max_delay_ms)
        wait = (double)p->max_delay_ms;
    if (!(wait < 9e15)) /* overflow or NaN: cap */
        wait = 9e15;
    return (int64_t)wait + (int64_t)(random01 * (double)p->jitter_ms);
}

int weir_retry_allowed(const weir_retry_policy *p, int attempts)
{
    return attempts < p->attempts;
}

double weir_retry_random(void)
{
    /* per thread: pipelines on several threads (weir serve) share no
     * generator state */
    static _Thread_local unsigned short seed[3];
    static _Thread_local int seeded;
    if (!seeded) {
        unsigned long s = (unsigned long)time(NULL) ^
                          ((unsigned long)getpid() << 16) ^
                          (unsigned long)(uintptr_t)seed;
        seed[0] = (unsigned short)s;
        seed[1] = (unsigned short)(s >> 16);
        seed[2] = (unsigned short)(s >> 32);
        seeded = 1;
    }
    return erand48(seed);
}
