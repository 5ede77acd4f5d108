/* bool_word.c - see bool_word.h. */
#define _POSIX_C_SOURCE 200809L /* strcasecmp */

#include "bool_word.h"

#include <stddef.h>
#include <strings.h>

int weirp_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}
