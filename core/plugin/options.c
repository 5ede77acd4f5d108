#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/duration.h"
#include "plugin/options.h"

int weir_parse_bool(const char *t, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(t, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(t, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

int weir_parse_int(const char *t, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (!*t || *end || errno)
        return -1;
    *out = v;
    return 0;
}

int weir_parse_char(const char *t)
{
    if (strcmp(t, "tab") == 0 || strcmp(t, "\\t") == 0)
        return '\t';
    if (strlen(t) == 1)
        return (unsigned char)t[0];
    return -1;
}

const char *weir_option_type_name(weir_option_type type)
{
    static const char *const names[] = {"string", "bool",  "int",  "duration",
                                        "path",   "char", "list"};
    return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

/* Is `value` one of the space-separated words of `choices`? */
static int one_of(const char *choices, const char *value)
{
    size_t n = strlen(value);
    for (const char *p = choices; *p;) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ' ')
            end++;
        if (n && (size_t)(end - p) == n && memcmp(p, value, n) == 0)
            return 1;
        p = end;
    }
    return 0;
}

const char *weir_option_check_value(const weir_option_spec *spec,
                                    const char *value)
{
    int b;
    long long n;
    if (spec->choices && !one_of(spec->choices, value))
        return "is not one of the allowed values";
    switch (spec->type) {
    case WEIR_OPTION_BOOL:
        return weir_parse_bool(value, &b) ? "is not a boolean (true or false)"
                                          : NULL;
    case WEIR_OPTION_INT:
        return weir_parse_int(value, &n) ? "is not an integer" : NULL;
    case WEIR_OPTION_DURATION:
        return weir_duration_parse(value, &n)
                   ? "is not a duration (like 250ms, 15s, 10m, 1h, 7d)"
                   : NULL;
    case WEIR_OPTION_CHAR:
        return weir_parse_char(value) < 0 ? "must be one character or 'tab'"
                                          : NULL;
    case WEIR_OPTION_PATH:
        return *value ? NULL : "must not be empty";
    case WEIR_OPTION_STRING:
    case WEIR_OPTION_LIST:
        return NULL;
    }
    return "has an unknown type";
}
