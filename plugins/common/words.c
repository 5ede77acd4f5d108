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
    const weirp_word *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text, y->text, n);
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* A copy of the `len` bytes of `src` (plus its NUL) and room for `max`
 * words. */
static int words_alloc(weirp_words *w, const char *src, size_t len, size_t max)
{
    w->text = malloc(len + 1);
    w->v = malloc(max * sizeof *w->v);
    w->n = 0;
    if (!w->text || !w->v) {
        weirp_words_free(w);
        return -1;
    }
    memcpy(w->text, src, len + 1);
    return 0;
}

int weirp_words_split(weirp_words *w, const char *list)
{
    size_t len = strlen(list);
    /* at most one word per two bytes, plus one */
    if (words_alloc(w, list, len, len / 2 + 1) != 0)
        return -1;
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
    return 0;
}

int weirp_words_one(weirp_words *w, const char *word)
{
    size_t len = strlen(word);
    if (words_alloc(w, word, len, 1) != 0)
        return -1;
    w->v[0].text = w->text;
    w->v[0].len = len;
    w->n = 1;
    return 0;
}

void weirp_words_sort(weirp_words *w)
{
    if (w->n > 1)
        qsort(w->v, w->n, sizeof *w->v, cmp_word);
}

int weirp_words_find(const weirp_words *w, const char *s, size_t len)
{
    weirp_word key = {s, len};
    return bsearch(&key, w->v, w->n, sizeof *w->v, cmp_word) != NULL;
}

void weirp_words_free(weirp_words *w)
{
    free(w->text);
    free(w->v);
    w->text = NULL;
    w->v = NULL;
    w->n = 0;
}
