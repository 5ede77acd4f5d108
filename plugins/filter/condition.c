/* condition.c - see condition.h; semantics in docs/plugins/filter.md. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include "condition.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/bool_word.h"

static const struct {
    const char *attr;
    filter_cond_kind kind;
} attrs[] = {
    {"equals", FILTER_EQUALS}, {"not-equals", FILTER_NOT_EQUALS},
    {"in", FILTER_IN},         {"matches", FILTER_MATCHES},
    {"empty", FILTER_EMPTY},   {"less", FILTER_LESS},
    {"greater", FILTER_GREATER}, {"null", FILTER_NULL},
};
#define N_ATTRS (sizeof attrs / sizeof *attrs)

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* The whole of `s` (`len` bytes) as a number: optional surrounding blanks,
 * nothing else.  strtod also accepts "nan", which compares false with
 * everything anyway, and hex and "inf", which are harmless.
 * Relies on `s` being NUL-terminated (the core's values are; a value with
 * an embedded NUL stops strtod early and is then not numeric). */
static int parse_number(const char *s, size_t len, double *out)
{
    char *end;
    if (len == 0)
        return -1;
    double v = strtod(s, &end);
    if (end == s)
        return -1;
    while (end < s + len && is_space(*end))
        end++;
    if (end != s + len || isnan(v))
        return -1;
    *out = v;
    return 0;
}

int filter_cond_compile(filter_cond *c, weirp_diag *d, const weir_node *node,
                        const char *elem)
{
    const weir_host *h = d->host;
    const char *found[N_ATTRS];
    size_t first = N_ATTRS, count = 0;
    for (size_t i = 0; i < N_ATTRS; i++) {
        found[i] = h->node_attr(node, attrs[i].attr);
        if (found[i]) {
            if (count++ == 0)
                first = i;
        }
    }
    if (count == 0) {
        weirp_diag_report(d, node,
                          "<%s>: needs a condition: one of equals, "
                          "not-equals, in, matches, empty, less, greater, "
                          "null",
                          elem);
        return -1;
    }
    if (count > 1) {
        size_t second = first + 1;
        while (!found[second])
            second++;
        weirp_diag_report(d, node,
                          "<%s>: has %zu conditions (\"%s\" and \"%s\"%s); "
                          "give exactly one per rule",
                          elem, count, attrs[first].attr, attrs[second].attr,
                          count > 2 ? ", ..." : "");
        return -1;
    }

    const char *attr = attrs[first].attr, *v = found[first];
    c->kind = attrs[first].kind;
    switch (c->kind) {
    case FILTER_EQUALS:
    case FILTER_NOT_EQUALS:
        c->text = strdup(v);
        c->text_len = strlen(v);
        if (!c->text)
            goto nomem;
        return 0;
    case FILTER_IN:
        if (weirp_words_split(&c->words, v) != 0)
            goto nomem;
        if (c->words.n == 0) {
            weirp_diag_report(d, node, "<%s>: attribute \"in\" is empty",
                              elem);
            return -1;
        }
        return 0;
    case FILTER_MATCHES: {
        /* REG_NOSUB: only yes/no is needed, which lets the matcher skip
         * recording groups. */
        int rc = regcomp(&c->re, v, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char why[256];
            regerror(rc, &c->re, why, sizeof why);
            weirp_diag_report(d, node,
                              "<%s>: bad regular expression \"%s\": %s",
                              elem, v, why);
            return -1;
        }
        c->has_re = 1;
        return 0;
    }
    case FILTER_EMPTY:
    case FILTER_NULL:
        if (weirp_parse_bool(v, &c->want) != 0) {
            weirp_diag_report(d, node,
                              "<%s>: attribute \"%s\" must be true or "
                              "false, not \"%s\"",
                              elem, attr, v);
            return -1;
        }
        return 0;
    case FILTER_LESS:
    case FILTER_GREATER:
        if (parse_number(v, strlen(v), &c->number) != 0) {
            weirp_diag_report(d, node,
                              "<%s>: attribute \"%s\" must be a number, not "
                              "\"%s\"",
                              elem, attr, v);
            return -1;
        }
        return 0;
    }
    return 0;
nomem:
    weirp_diag_report(d, node, "<%s>: out of memory", elem);
    return -1;
}

static int regex_match(const regex_t *re, const char *value, size_t len)
{
#ifdef REG_STARTEND
    /* Give the length so a value holding NUL is searched whole. */
    regmatch_t m[1];
    m[0].rm_so = 0;
    m[0].rm_eo = (regoff_t)len;
    return regexec(re, value, 1, m, REG_STARTEND) == 0;
#else
    (void)len;
    return regexec(re, value, 0, NULL, 0) == 0;
#endif
}

int filter_cond_match(const filter_cond *c, const char *value, size_t len)
{
    double n;
    switch (c->kind) {
    case FILTER_EQUALS:
        return value && len == c->text_len &&
               memcmp(value, c->text, len) == 0;
    case FILTER_NOT_EQUALS:
        return !(value && len == c->text_len &&
                 memcmp(value, c->text, len) == 0);
    case FILTER_IN:
        return value && weirp_words_find(&c->words, value, len);
    case FILTER_MATCHES:
        return value && regex_match(&c->re, value, len);
    case FILTER_EMPTY:
        return (!value || len == 0) == c->want;
    case FILTER_NULL:
        return (value == NULL) == c->want;
    case FILTER_LESS:
        return value && parse_number(value, len, &n) == 0 && n < c->number;
    case FILTER_GREATER:
        return value && parse_number(value, len, &n) == 0 && n > c->number;
    }
    return 0;
}

void filter_cond_free(filter_cond *c)
{
    free(c->text);
    c->text = NULL;
    weirp_words_free(&c->words);
    if (c->has_re)
        regfree(&c->re);
    c->has_re = 0;
}
