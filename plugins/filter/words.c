/* words.c - see words.h. */
#include "words.h"

#include <stdlib.h>
#include <string.h>

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Byte order, shorter first on a common prefix: values may hold NUL, so
 * no strcmp. */
static int cmp_word(const void *a, const void *b)
{
    const filter_word *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text, y->text, n);
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

int filter_words_split(filter_words *w, const char *list)
{
    size_t len = strlen(list);
    w->text = malloc(len + 1);
    w->v = malloc((len / 2 + 1) * sizeof *w->v); /* a word per 2 bytes, max */
    w->n = 0;
    if (!w->text || !w->v) {
        filter_words_free(w);
        return -1;
    }
    memcpy(w->text, list, len + 1);
    char *p = w->text;
    while (*p) {
        while (is_space(*p))
            *p++ = '\0';
        if (!*p)
            break;
        char *start = p;
        while (*p && !is_space(*p))
            p++;
        w->v[w->n].text = start;
        w->v[w->n].len = (size_t)(p - start);
        w->n++;
    }
    if (w->n > 1)
        qsort(w->v, w->n, sizeof *w->v, cmp_word);
    return 0;
}

int filter_words_find(const filter_words *w, const char *value, size_t len)
{
    filter_word key = {value, len};
    return bsearch(&key, w->v, w->n, sizeof *w->v, cmp_word) != NULL;
}

void filter_words_free(filter_words *w)
{
    free(w->text);
    free(w->v);
    w->text = NULL;
    w->v = NULL;
    w->n = 0;
}
