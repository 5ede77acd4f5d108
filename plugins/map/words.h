/*
 * words.h - a space-separated list of names from an attribute
 * (fields="code name city"), split once at open.
 */
#ifndef WEIR_MAP_WORDS_H
#define WEIR_MAP_WORDS_H

#include <stddef.h>

typedef struct map_words {
    char *text;       /* the words, NUL-separated (owned) */
    const char **v;   /* n pointers into text (owned array) */
    size_t n;
} map_words;

/* Split `list` on ASCII whitespace.  Returns 0, or -1 out of memory.
 * An empty list gives n == 0. */
int map_words_split(map_words *w, const char *list);
/* A list of exactly `name`, kept whole.  Returns 0, or -1 out of memory. */
int map_words_one(map_words *w, const char *name);
/* Sort the words (strcmp) so map_words_find() can bisect. */
void map_words_sort(map_words *w);
/* 1 when `name` is one of the sorted words, else 0. */
int map_words_find(const map_words *w, const char *name);
void map_words_free(map_words *w);

#endif
