/* error.c - the core's error type (error.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"

void weir_error_set(weir_error *e, weir_error_class cls, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (msg)
        vsnprintf(msg, (size_t)n + 1, fmt, again);
    va_end(again);
    free(e->message);
    if (!msg) {
        e->cls = WEIR_ERR_NOMEM;
        e->message = NULL;
        return;
    }
    e->cls = cls;
    e->message = msg;
}

void weir_error_clear(weir_error *e)
{
    free(e->message);
    e->message = NULL;
    e->cls = WEIR_ERR_NONE;
}

const char *weir_error_message(const weir_error *e)
{
    if (e->message)
        return e->message;
    return e->cls == WEIR_ERR_NOMEM ? "out of memory" : "";
}

const char *weir_error_class_name(weir_error_class cls)
{
    static const char *const names[] = {
        "none", "busy", "corrupt", "full", "io", "read-only", "version",
        "usage", "plugin", "out of memory", "refused", "cancelled", "internal",
    };
    _Static_assert(sizeof(names) / sizeof(names[0]) == WEIR_ERR_INTERNAL + 1,
                   "a name for every error class");
    return (unsigned)cls <= WEIR_ERR_INTERNAL ? names[cls] : "internal";
}
