/* csv_utf8.c - see csv_utf8.h. */
#include "csv_utf8.h"

#include <stdint.h>
#include <string.h>

/* Length of the sequence a lead byte starts, 0 for bytes that cannot
 * start one (continuations, C0/C1 overlong leads, F5..FF). */
static size_t lead_len(unsigned char c)
{
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

/* Decode one sequence of `n` (2..4) bytes at `p`; 1 when valid. */
static int valid_seq(const unsigned char *p, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    /* The second byte's range rules out overlongs, surrogates and
     * code points above U+10FFFF (RFC 3629 table 3-7). */
    switch (p[0]) {
    case 0xE0:
        return p[1] >= 0xA0;
    case 0xED:
        return p[1] <= 0x9F;
    case 0xF0:
        return p[1] >= 0x90;
    case 0xF4:
        return p[1] <= 0x8F;
    default:
        return 1;
    }
}

int csv_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + len;

    while (p < end) {
        /* ASCII fast path: eight bytes per step while no high bit is set. */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, sizeof w);
            if (w & UINT64_C(0x8080808080808080))
                break;
            p += 8;
        }
        while (p < end && *p < 0x80)
            p++;
        if (p == end)
            break;
        size_t n = lead_len(*p);
        if (n == 0 || (size_t)(end - p) < n || !valid_seq(p, n))
            return 0;
        p += n;
    }
    return 1;
}
