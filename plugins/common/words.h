/*
 * words.h - a space-separated list from an attribute (fields="code name
 * city", in="a b c"), split once at open into {text, len} words.
 *
 * Part of plugins/libplugcommon.la (see config_diag.h for what that library
 * may depend on).
 *
 * Every word's text is NUL-terminated, so a list of names can hand a word
 * straight to the host; its len is there for values, which are compared by
 * length and may hold NUL bytes.  After weirp_words_sort() the list is in
 * byte order (shorter first on a common prefix; for NUL-free text that is
 * strcmp order), and weirp_words_find() bisects it.
 */
#ifndef WEIR_PLUGCOMMON_WORDS_H
#define WEIR_PLUGCOMMON_WORDS_H

#include <stddef.h>

typedef struct weirp_word {
    const char *text; /* NUL-terminated, into weirp_words.text */
    size_t len;       /* strlen(text) */
} weirp_word;

typedef struct weirp_words {
    char *text;     /* the words, NUL-separated (owned) */
    weirp_word *v;  /* n entries, in list order until sorted (owned) */
    size_t n;
} weirp_words;

/* Split `list` on ASCII whitespace.  Returns 0, or -1 out of memory (then
 * `w` is empty).  An empty or all-blank list gives n == 0. */
int weirp_words_split(weirp_words *w, const char *list);
/* A list of exactly `word`, kept whole (spaces and all).  Returns 0, or -1
 * out of memory (then `w` is empty). */
int weirp_words_one(weirp_words *w, const char *word);
/* Sort the words so weirp_words_find() can bisect. */
void weirp_words_sort(weirp_words *w);
/* 1 when the `len` bytes at `s` are one of the sorted words, else 0. */
int weirp_words_find(const weirp_words *w, const char *s, size_t len);
/* Release the words; `w` is left empty and may be freed again. */
void weirp_words_free(weirp_words *w);

#endif
