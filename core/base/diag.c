#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/secrets.h"
#include "base/utf8.h"

/* A hostile file can have thousands of problems: keep the first ones,
 * count the rest (and keep the repeat check linear). */
#define MAX_LINES 200

struct weir_diag {
    char **lines;
    size_t count, cap;
    size_t dropped; /* problems past MAX_LINES */
    const weir_secrets *secrets; /* borrowed, nullable */
};

weir_diag *weir_diag_new(void) { return calloc(1, sizeof(weir_diag)); }

void weir_diag_free(weir_diag *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->count; i++)
        free(d->lines[i]);
    free(d->lines);
    free(d);
}

void weir_diag_set_secrets(weir_diag *d, const weir_secrets *secrets)
{
    d->secrets = secrets;
}

void weir_diag_addv(weir_diag *d, const char *file, long line,
                    const char *fmt, va_list ap)
{
    if (d->count >= MAX_LINES) {
        d->dropped++;
        return;
    }
    char raw[2048], msg[2048];
    char head[1024];
    vsnprintf(raw, sizeof(raw), fmt, ap);
    weir_secrets_mask(d->secrets, raw, msg, sizeof(msg));
    weir_utf8_trim(msg);
    /* libxml2 messages end in a newline; ours do not. */
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    if (line > 0)
        snprintf(head, sizeof(head), "%s:%ld: ", file ? file : "-", line);
    else
        snprintf(head, sizeof(head), "%s: ", file ? file : "-");
    size_t len = strlen(head) + n + 1;
    char *text = malloc(len);
    if (!text)
        return;
    snprintf(text, len, "%s%s", head, msg);
    for (size_t i = 0; i < d->count; i++)
        if (strcmp(d->lines[i], text) == 0) {
            free(text);
            return;
        }
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        char **grown = realloc(d->lines, cap * sizeof(*grown));
        if (!grown) {
            free(text);
            return;
        }
        d->lines = grown;
        d->cap = cap;
    }
    d->lines[d->count++] = text;
}

void weir_diag_add(weir_diag *d, const char *file, long line,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    weir_diag_addv(d, file, line, fmt, ap);
    va_end(ap);
}

size_t weir_diag_count(const weir_diag *d) { return d->count + d->dropped; }

const char *weir_diag_at(const weir_diag *d, size_t i)
{
    return i < d->count ? d->lines[i] : NULL;
}

void weir_diag_print(const weir_diag *d, FILE *out)
{
    for (size_t i = 0; i < d->count; i++)
        fprintf(out, "%s\n", d->lines[i]);
    if (d->dropped)
        fprintf(out, "(%zu more problems not shown)\n", d->dropped);
}
