#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "base/duration.h"

static long long unit_ms(const char *u, size_t n)
{
    static const struct { const char *name; long long ms; } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
        {"d", 86400000}, {"w", 604800000},
    };
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
            return units[i].ms;
    return -1;
}

int weir_duration_parse(const char *text, long long *ms)
{
    long long total = 0;
    const char *p = text;
    if (!p || !*p)
        return -1;
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return -1;
        long long n = 0;
        while (isdigit((unsigned char)*p)) {
            if (n > (LLONG_MAX - 9) / 10)
                return -1;
            n = n * 10 + (*p++ - '0');
        }
        const char *u = p;
        while (isalpha((unsigned char)*p))
            p++;
        long long scale = unit_ms(u, (size_t)(p - u));
        if (scale < 0 || (n && n > LLONG_MAX / scale))
            return -1;
        if (total > LLONG_MAX - n * scale)
            return -1;
        total += n * scale;
    }
    *ms = total;
    return 0;
}
