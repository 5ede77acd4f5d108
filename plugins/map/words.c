/* words.c - see words.h. */
#include "words.h"

#include <stdlib.h>
#include <string.h>

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

int map_words_split(map_words *w, const char *list)
{
    size_t len = strlen(list);
    w->text = malloc(len + 1);
    /* at most one word per two bytes, plus one */
    w->v = malloc((len / 2 + 1) * sizeof *w->v);
    w->n = 0;
    if (!w->text || !w->v) {
        map_words_free(w);
        return -1;
    }
    memcpy(w->text, list, len + 1);
    char *p = w->text;
    while (*p) {
        while (is_space(*p))
            *p++ = '\0';
        if (!*p)
            break;
        w->v[w->n++] = p;
        while (*p && !is_space(*p))
            p++;
    }
    return 0;
}

int map_words_one(map_words *w, const char *name)
{
    size_t len = strlen(name);
    w->text = malloc(len + 1);
    w->v = malloc(sizeof *w->v);
    w->n = 0;
    if (!w->text || !w->v) {
        map_words_free(w);
        return -1;
    }
    memcpy(w->text, name, len + 1);
    w->v[w->n++] = w->text;
    return 0;
}

static int cmp_words(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void map_words_sort(map_words *w)
{
    if (w->n > 1)
        qsort(w->v, w->n, sizeof *w->v, cmp_words);
}

int map_words_find(const map_words *w, const char *name)
{
    return bsearch(&name, w->v, w->n, sizeof *w->v, cmp_words) != NULL;
}

void map_words_free(map_words *w)
{
    free(w->text);
    free(w->v);
    w->text = NULL;
    w->v = NULL;
    w->n = 0;
}
