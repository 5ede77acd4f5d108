/*
 * words.h - the values of in="a b c", split once at open and sorted so a
 * record's value is found by bisection whatever the list's length.
 */
#ifndef WEIR_FILTER_WORDS_H
#define WEIR_FILTER_WORDS_H

#include <stddef.h>

typedef struct filter_word {
    const char *text; /* into filter_words.text */
    size_t len;
} filter_word;

typedef struct filter_words {
    char *text;      /* the words, NUL-separated (owned) */
    filter_word *v;  /* n entries, sorted (owned) */
    size_t n;
} filter_words;

/* Split `list` on ASCII whitespace and sort.  Returns 0, or -1 out of
 * memory.  An empty list gives n == 0. */
int filter_words_split(filter_words *w, const char *list);
/* 1 when the `len` bytes at `value` are one of the words, else 0. */
int filter_words_find(const filter_words *w, const char *value, size_t len);
void filter_words_free(filter_words *w);

#endif
