#include "config.h"

#include <string.h>

#include "utf8.h"

void weir_utf8_trim(char *s)
{
    size_t n = strlen(s);
    /* Find the start of the last sequence (at most 4 bytes back). */
    size_t i = n, back = 0;
    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (need > 1 && back + 1 < need)
        s[i - 1] = '\0';
}
