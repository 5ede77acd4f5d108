/* name_norm.c - company names, phones, e-mails and postcodes made
 * comparable (see name_norm.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "match/name_norm.h"

#define MAX_TOKENS 48

/* ASCII for U+00C0..U+00FF and U+0100..U+017F; a digit stands for a
 * two-letter spelling (ligatures, thorn, sharp s), ' ' for a sign (×, ÷). */
static const char latin1[] =
    "aaaaaa3ceeeeiiiidnooooo ouuuuy45"
    "aaaaaa3ceeeeiiiidnooooo ouuuuy4y";
static const char latin_ext_a[] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii1jjkkkllllllllll"
    "nnnnnnnnnoooooo2rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
static const char *const two_letters[] = {"ij", "oe", "ae", "th", "ss"};

/* Append the folded form of `s` to out: lower-case ASCII letters and
 * digits, accents dropped, ' ' between words, '&' as " and ".  Apostrophes
 * and dots vanish without breaking a word.  Other non-ASCII letters are
 * kept byte for byte.  Returns the length (at most cap - 1). */
static size_t fold(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;

#define PUT(c)                                                              \
    do {                                                                    \
        if (n + 1 < cap)                                                    \
            out[n++] = (char)(c);                                           \
    } while (0)
    while (p && *p) {
        unsigned c = *p;
        const char *spell = NULL;
        char one[2] = {0, 0};
        size_t adv = 1;

        if (c < 0x80) {
            if (c >= 'A' && c <= 'Z')
                one[0] = (char)(c - 'A' + 'a');
            else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                one[0] = (char)c;
            else if (c == '\'' || c == '.')
                spell = "";
            else if (c == '&')
                spell = " and ";
            else
                spell = " ";
        } else if ((c == 0xC3 || c == 0xC4 || c == 0xC5) && p[1] >= 0x80 &&
                   p[1] < 0xC0) {
            unsigned cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
            char a = cp < 0x100 ? latin1[cp - 0xC0]
                                : cp < 0x180 ? latin_ext_a[cp - 0x100] : ' ';
            adv = 2;
            if (a >= '1' && a <= '5')
                spell = two_letters[a - '1'];
            else
                one[0] = a;
        } else if (c == 0xE2 && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
            spell = ""; /* typographic apostrophes */
            adv = 3;
        } else if (c == 0xC2 && p[1]) {
            spell = " "; /* no-break space, ©, ®, ... */
            adv = 2;
        } else if (c >= 0xC0) {
            /* another script: the whole sequence is part of the word */
            size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2, i;
            for (i = 1; i < len && p[i] >= 0x80 && p[i] < 0xC0; i++)
                ;
            if (i == len) {
                for (i = 0; i < len; i++)
                    PUT(p[i]);
                p += len;
                continue;
            }
            spell = " ";
        } else {
            spell = " "; /* a stray continuation byte */
        }
        if (!spell)
            spell = one;
        for (; *spell; spell++)
            PUT(*spell);
        p += adv;
    }
#undef PUT
    out[n] = '\0';
    return n;
}

/* Abbreviations spelled out, so "Smith Bros" meets "Smith Brothers". */
static const char *const abbreviations[][2] = {
    {"assoc", "associates"}, {"bldrs", "builders"}, {"bros", "brothers"},
    {"center", "centre"},    {"cntr", "centre"},    {"ctr", "centre"},
    {"dept", "department"},  {"dist", "distribution"},
    {"elec", "electrical"},  {"eng", "engineering"},
    {"engg", "engineering"}, {"grp", "group"},      {"hldgs", "holdings"},
    {"intl", "international"}, {"mfg", "manufacturing"},
    {"mgmt", "management"},  {"mtrs", "motors"},    {"natl", "national"},
    {"svc", "services"},     {"svcs", "services"},  {"supp", "supplies"},
    {"whsl", "wholesale"},   {"whsle", "wholesale"},
};

/* Legal forms, dropped from the end of a name ("and" so that "& Co" and
 * "GmbH & Co. KG" go as a whole). */
static const char *const suffixes[] = {
    "ab",  "ag",      "and",        "aps",       "as",       "bv",
    "cc",  "co",      "company",    "corp",      "corporation",
    "cv",  "cyf",     "dac",        "gmbh",      "inc",      "incorporated",
    "kft", "kg",      "limited",    "llc",       "llp",      "lp",
    "ltd", "nv",      "oy",         "plc",       "proprietary",
    "pty", "sa",      "sarl",       "sas",       "sl",       "spa",
    "sro", "srl",     "teoranta",   "ug",
};

static const char *const fillers[] = {"and", "of", "the"};

static int in_list(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w, list[i]) == 0)
            return 1;
    return 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int cmp_words(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t weir_name_norm(const char *name, char *out, size_t cap)
{
    char buf[WEIR_NAME_NORM_MAX * 2];
    char *w[MAX_TOKENS];
    size_t nw = 0, n = 0;

    fold(name, buf, sizeof buf);
    /* split in place (strtok is not thread-safe) */
    for (char *p = buf; *p && nw < MAX_TOKENS;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        w[nw++] = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';
    }
    /* join runs of single letters */
    size_t k = 0;
    for (size_t i = 0; i < nw; i++) {
        if (w[i][1] == '\0' && i + 1 < nw && w[i + 1][1] == '\0') {
            char *dst = w[i];
            size_t len = 1;
            while (i + 1 < nw && w[i + 1][1] == '\0')
                dst[len++] = w[++i][0];
            dst[len] = '\0';
            w[k++] = dst;
        } else {
            w[k++] = w[i];
        }
    }
    nw = k;
    for (size_t i = 0; i < nw; i++)
        for (size_t j = 0; j < COUNT(abbreviations); j++)
            if (strcmp(w[i], abbreviations[j][0]) == 0) {
                w[i] = (char *)abbreviations[j][1];
                break;
            }
    while (nw > 1 && in_list(w[nw - 1], suffixes, COUNT(suffixes)))
        nw--;
    k = 0;
    for (size_t i = 0; i < nw; i++)
        if (nw == 1 || !in_list(w[i], fillers, COUNT(fillers)))
            w[k++] = w[i];
    nw = k;
    qsort(w, nw, sizeof *w, cmp_words);
    for (size_t i = 0; i < nw; i++) {
        size_t len = strlen(w[i]);
        if (n + (n > 0) + len + 1 > cap)
            break;
        if (n > 0)
            out[n++] = ' ';
        memcpy(out + n, w[i], len);
        n += len;
    }
    if (cap > 0)
        out[n] = '\0';
    return n;
}

size_t weir_name_norm_phone(const char *phone, char *out, size_t cap)
{
    char d[64];
    size_t n = 0, from;

    for (const char *p = phone; p && *p && n < sizeof d; p++)
        if (*p >= '0' && *p <= '9')
            d[n++] = *p;
    if (n < 6 || cap < 10) {
        if (cap)
            out[0] = '\0';
        return 0;
    }
    from = n > 9 ? n - 9 : 0;
    memcpy(out, d + from, n - from);
    out[n - from] = '\0';
    return n - from;
}

size_t weir_name_norm_email(const char *email, char *out, size_t cap)
{
    size_t n = 0;
    const char *p = email, *end;

    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (!p || !strchr(p, '@'))
        return 0;
    while (*p == ' ' || *p == '\t' || *p == '<')
        p++;
    end = p + strlen(p);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '>'))
        end--;
    for (; p < end && n + 1 < cap; p++)
        out[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
    out[n] = '\0';
    return n;
}

size_t weir_name_norm_text(const char *text, char *out, size_t cap)
{
    char buf[WEIR_NAME_NORM_MAX];
    size_t n = 0;

    if (cap == 0)
        return 0;
    fold(text, buf, sizeof buf);
    for (const char *p = buf; *p && n + 1 < cap; p++)
        if (*p != ' ')
            out[n++] = *p;
    out[n] = '\0';
    return n;
}
