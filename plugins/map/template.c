/* template.c - see template.h. */
#include "template.h"

#include <stdlib.h>
#include <string.h>

typedef struct segment {
    const char *text; /* literal bytes, or a NUL-terminated field name */
    size_t len;
    int is_field;
} segment;

struct map_template {
    char *store;    /* unescaped literals and field names (owned) */
    segment *segs;  /* (owned) */
    size_t n;
};

void map_template_free(map_template *t)
{
    if (!t)
        return;
    free(t->store);
    free(t->segs);
    free(t);
}

/* Parsing writes into `store`, which never needs more bytes than the text
 * plus one: every escape shrinks, and each field name's NUL replaces its
 * two braces.  Segment count is bounded the same way, so both are
 * allocated once up front. */
map_template *map_template_parse(const char *text, const char **error,
                                 size_t *column)
{
    size_t tlen = strlen(text);
    map_template *t = calloc(1, sizeof *t);
    if (t) {
        t->store = malloc(tlen + 1);
        t->segs = malloc((tlen + 1) * sizeof *t->segs);
    }
    if (!t || !t->store || !t->segs) {
        map_template_free(t);
        *error = "out of memory";
        *column = 0;
        return NULL;
    }

    char *w = t->store;
    segment *lit = NULL; /* the literal segment being extended, if any */
    size_t i = 0;
    while (i < tlen) {
        char c = text[i];
        if (c == '{' && text[i + 1] != '{') {
            size_t j = i + 1;
            while (j < tlen && text[j] != '}' && text[j] != '{')
                j++;
            if (j == tlen || text[j] == '{') {
                *error = j == tlen ? "unterminated '{'"
                                   : "'{' inside a field reference";
                *column = (j == tlen ? i : j) + 1;
                map_template_free(t);
                return NULL;
            }
            if (j == i + 1) {
                *error = "empty field reference '{}'";
                *column = i + 1;
                map_template_free(t);
                return NULL;
            }
            segment *s = &t->segs[t->n++];
            s->text = w;
            s->len = j - i - 1;
            s->is_field = 1;
            memcpy(w, text + i + 1, s->len);
            w += s->len;
            *w++ = '\0';
            lit = NULL;
            i = j + 1;
            continue;
        }
        if (c == '}' && text[i + 1] != '}') {
            *error = "single '}' (write '}}' for a literal brace)";
            *column = i + 1;
            map_template_free(t);
            return NULL;
        }
        if (!lit) {
            lit = &t->segs[t->n++];
            lit->text = w;
            lit->len = 0;
            lit->is_field = 0;
        }
        *w++ = c;
        lit->len++;
        i += (c == '{' || c == '}') ? 2 : 1; /* "{{" and "}}" give one */
    }
    *error = NULL;
    *column = 0;
    return t;
}

int map_template_render(const map_template *t, const weir_host *host,
                        const weir_record *r, map_scratch *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const segment *s = &t->segs[i];
        const char *bytes = s->text;
        size_t len = s->len;
        if (s->is_field) {
            bytes = host->record_get(r, s->text, &len);
            if (!bytes)
                continue; /* missing or NULL: expands to nothing */
        }
        if (map_scratch_put(out, bytes, len) != 0)
            return -1;
    }
    return 0;
}
