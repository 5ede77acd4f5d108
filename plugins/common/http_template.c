/*
 * http_template.c - placeholders in paths and JSON body templates (see
 * http_template.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_client.h"
#include "http_template.h"

/* A bare placeholder, kept in the parsed template as a string that starts
 * with this byte (a template cannot hold it: JSON text escapes control
 * characters, and "\u0001" in a template is refused at parse). */
#define BARE_MARK '\x01'

struct weirp_json_template {
    json_t *doc;
    /* marks where an exact number goes in the rendered text: random, so
     * no record value can imitate it */
    char nonce[17];
};

/* The exact texts of one render's bare numbers, in order. */
typedef struct numbers {
    const weirp_json_template *t;
    char **text;
    size_t n, cap;
} numbers;

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Length of the placeholder name after the '{' at s, when "{name}"
 * follows; 0 when not a placeholder. */
static size_t placeholder(const char *s)
{
    size_t n = 0;
    while (name_char(s[1 + n]))
        n++;
    return n > 0 && s[1 + n] == '}' ? n : 0;
}

/* A growing string. */
typedef struct buf {
    char *s;
    size_t len, cap;
    int oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *g = realloc(b->s, cap);
        if (g == NULL) {
            b->oom = 1;
            return;
        }
        b->s = g;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static int lookup(weirp_field_fn get, void *ctx, const char *name, size_t n,
                  const char **value, size_t *len, char *err, size_t errn)
{
    char field[256];
    if (n >= sizeof field) {
        snprintf(err, errn, "placeholder {%.*s...}: name too long", 32, name);
        return -1;
    }
    memcpy(field, name, n);
    field[n] = '\0';
    if (get(ctx, field, value, len) != 0) {
        snprintf(err, errn, "no field '%s' for {%s}", field, field);
        return -1;
    }
    return 0;
}

char *weirp_path_expand(const char *tmpl, weirp_field_fn get, void *ctx,
                        char *err, size_t errn)
{
    buf b = {0};
    put(&b, "", 0);
    for (const char *p = tmpl; *p != '\0';) {
        if (*p == '}') {
            snprintf(err, errn, "'}' without '{' in \"%s\"", tmpl);
            free(b.s);
            return NULL;
        }
        if (*p != '{') {
            size_t run = strcspn(p, "{}");
            put(&b, p, run);
            p += run;
            continue;
        }
        size_t n = placeholder(p);
        if (n == 0) {
            snprintf(err, errn, "malformed placeholder in \"%s\" (want {field})", tmpl);
            free(b.s);
            return NULL;
        }
        if (get != NULL) {
            const char *value;
            size_t len;
            if (lookup(get, ctx, p + 1, n, &value, &len, err, errn) != 0) {
                free(b.s);
                return NULL;
            }
            if (value == NULL) {
                snprintf(err, errn, "field '%.*s' is null: it cannot go into the path",
                         (int)n, p + 1);
                free(b.s);
                return NULL;
            }
            size_t dots = 0;
            while (dots < len && value[dots] == '.')
                dots++;
            if (len > 0 && dots == len) {
                /* "." and ".." would be dot segments, which libcurl
                 * resolves (DELETE /x/.. goes out as DELETE /) */
                for (size_t i = 0; i < len; i++)
                    put(&b, "%2E", 3);
            } else {
                char *e = weirp_url_escape(value, len);
                if (e == NULL)
                    b.oom = 1;
                else
                    put(&b, e, strlen(e));
                free(e);
            }
        } else
            put(&b, p, n + 2);
        p += n + 2;
    }
    if (b.oom) {
        snprintf(err, errn, "out of memory");
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* ---- body templates ----------------------------------------------------- */

/* The template's text with each bare placeholder turned into a marked
 * string, so that jansson parses the result. */
static char *mark_bare(const char *text, int *bad_control)
{
    buf b = {0};
    int in_string = 0;
    *bad_control = 0;
    put(&b, "", 0);
    for (const char *p = text; *p != '\0'; p++) {
        if (in_string) {
            if (*p == '\\' && p[1] != '\0') {
                if (strncmp(p, "\\u0001", 6) == 0)
                    *bad_control = 1;
                put(&b, p, 2);
                p++;
                continue;
            }
            if (*p == '"')
                in_string = 0;
            put(&b, p, 1);
            continue;
        }
        if (*p == '"')
            in_string = 1;
        size_t n = *p == '{' ? placeholder(p) : 0;
        if (n > 0) {
            put(&b, "\"\\u0001", 7); /* BARE_MARK, as JSON escapes it */
            put(&b, p + 1, n);
            put(&b, "\"", 1);
            p += n + 1;
        } else
            put(&b, p, 1);
    }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

weirp_json_template *weirp_json_template_parse(const char *text, char *err,
                                               size_t errn, int *line)
{
    int bad_control;
    *line = 0;
    char *marked = mark_bare(text, &bad_control);
    if (marked == NULL) {
        snprintf(err, errn, "out of memory");
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = bad_control ? NULL : json_loads(marked, 0, &jerr);
    free(marked);
    if (doc == NULL) {
        if (bad_control)
            snprintf(err, errn, "\\u0001 is not allowed in a body template");
        else {
            *line = jerr.line;
            snprintf(err, errn, "not JSON with its placeholders filled: %s", jerr.text);
        }
        return NULL;
    }
    weirp_json_template *t = malloc(sizeof *t);
    if (t == NULL) {
        json_decref(doc);
        snprintf(err, errn, "out of memory");
        return NULL;
    }
    t->doc = doc;
    unsigned char rnd[8] = {0};
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(rnd, 1, sizeof rnd, f) : 0;
    if (f)
        fclose(f);
    unsigned long long mix = (unsigned long long)(uintptr_t)t ^
                             (unsigned long long)time(NULL) << 20;
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(t->nonce + 2 * i, 3, "%02x",
                 got == sizeof rnd ? rnd[i] : (unsigned)(mix >> (8 * i)) & 0xff);
    return t;
}

void weirp_json_template_free(weirp_json_template *t)
{
    if (t == NULL)
        return;
    json_decref(t->doc);
    free(t);
}

/* The JSON value for bare text: true or false; a number, as a marker
 * that the render replaces with its exact text (jansson keeps numbers as
 * doubles: 59.80 would go out as 59.799999999999997, and integers past
 * 2^63 rounded). */
static json_t *bare_value(numbers *nums, const char *name, const char *value,
                          size_t len, char *err, size_t errn)
{
    if (value == NULL)
        return json_null();
    /* INT_AS_REAL: an integer past 64 bits is a number too (its text
     * goes out as it is) */
    json_t *v = json_loadb(value, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
                           NULL);
    if (v != NULL && json_is_boolean(v))
        return v;
    if (v != NULL && json_is_number(v)) {
        json_decref(v);
        char mark[48];
        if (nums->n == nums->cap) {
            size_t cap = nums->cap ? 2 * nums->cap : 8;
            char **grown = realloc(nums->text, cap * sizeof *grown);
            if (grown == NULL)
                goto oom;
            nums->text = grown;
            nums->cap = cap;
        }
        /* the value as jansson read it: no white space around it */
        while (len && (*value == ' ' || *value == '\t' || *value == '\n' ||
                       *value == '\r')) {
            value++;
            len--;
        }
        while (len && (value[len - 1] == ' ' || value[len - 1] == '\t' ||
                       value[len - 1] == '\n' || value[len - 1] == '\r'))
            len--;
        char *copy = malloc(len + 1);
        if (copy == NULL)
            goto oom;
        memcpy(copy, value, len);
        copy[len] = '\0';
        nums->text[nums->n] = copy;
        snprintf(mark, sizeof mark, "%c%s%zu", BARE_MARK, nums->t->nonce,
                 nums->n++);
        return json_string(mark);
oom:
        snprintf(err, errn, "out of memory");
        return NULL;
    }
    json_decref(v);
    snprintf(err, errn, "field '%s' is \"%.40s%s\": not a number, true or false "
             "(a bare {%s} in the body template needs one; quote it for text)",
             name, value, len > 40 ? "..." : "", name);
    return NULL;
}

/* The JSON string of a field's value; NULL with err set when it is not
 * UTF-8 (jansson refuses it) or memory ran out. */
static json_t *field_string(const char *name, size_t n, const char *value,
                            size_t len, char *err, size_t errn)
{
    json_t *v = json_stringn(value, len);
    if (v == NULL)
        snprintf(err, errn, "field '%.*s' is not valid UTF-8", (int)n, name);
    return v;
}

/* The string `s` of the template, filled: NULL with err set on failure. */
static json_t *fill_string(numbers *nums, const char *s, size_t slen,
                           weirp_field_fn get, void *ctx, char *err,
                           size_t errn)
{
    const char *value;
    size_t len;
    if (slen > 1 && s[0] == BARE_MARK) {
        if (lookup(get, ctx, s + 1, slen - 1, &value, &len, err, errn) != 0)
            return NULL;
        return bare_value(nums, s + 1, value, len, err, errn);
    }
    size_t n = s[0] == '{' ? placeholder(s) : 0;
    if (n > 0 && n + 2 == slen) {
        if (lookup(get, ctx, s + 1, n, &value, &len, err, errn) != 0)
            return NULL;
        return value == NULL ? json_null()
                             : field_string(s + 1, n, value, len, err, errn);
    }
    if (memchr(s, '{', slen) == NULL)
        return json_stringn(s, slen);
    buf b = {0};
    put(&b, "", 0);
    for (size_t i = 0; i < slen;) {
        n = s[i] == '{' ? placeholder(s + i) : 0;
        if (n == 0) {
            put(&b, s + i, 1);
            i++;
            continue;
        }
        if (lookup(get, ctx, s + i + 1, n, &value, &len, err, errn) != 0) {
            free(b.s);
            return NULL;
        }
        if (value == NULL) {
            snprintf(err, errn, "field '%.*s' is null: it cannot go into the text \"%.60s\"",
                     (int)n, s + i + 1, s);
            free(b.s);
            return NULL;
        }
        json_t *check = field_string(s + i + 1, n, value, len, err, errn);
        if (check == NULL) {
            free(b.s);
            return NULL;
        }
        json_decref(check);
        put(&b, value, len);
        i += n + 2;
    }
    json_t *v = b.oom ? NULL : json_stringn(b.s, b.len);
    free(b.s);
    if (v == NULL)
        snprintf(err, errn, "out of memory");
    return v;
}

static json_t *fill(numbers *nums, json_t *node, weirp_field_fn get,
                    void *ctx, char *err, size_t errn)
{
    if (json_is_string(node))
        return fill_string(nums, json_string_value(node),
                           json_string_length(node), get, ctx, err, errn);
    if (json_is_array(node)) {
        json_t *out = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(node, i, item) {
            json_t *v = out ? fill(nums, item, get, ctx, err, errn) : NULL;
            if (v == NULL || json_array_append_new(out, v) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (json_is_object(node)) {
        json_t *out = json_object();
        const char *key;
        json_t *item;
        json_object_foreach(node, key, item) {
            json_t *v = out ? fill(nums, item, get, ctx, err, errn) : NULL;
            if (v == NULL || json_object_set_new(out, key, v) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_incref(node); /* numbers, true, false, null */
}

/* `text` with the marker of number i ("\u0001NONCEi", quoted, as jansson
 * dumped it) replaced by the number's exact text.  (owned) NULL: no
 * memory. */
static char *splice_numbers(char *text, const numbers *nums)
{
    for (size_t i = 0; text && i < nums->n; i++) {
        char mark[64];
        int ml = snprintf(mark, sizeof mark, "\"\\u0001%s%zu\"",
                          nums->t->nonce, i);
        char *at = strstr(text, mark);
        if (at == NULL)
            continue;
        size_t nl = strlen(nums->text[i]), tl = strlen(text);
        char *out = malloc(tl - (size_t)ml + nl + 1);
        if (out != NULL) {
            size_t head = (size_t)(at - text);
            memcpy(out, text, head);
            memcpy(out + head, nums->text[i], nl);
            strcpy(out + head + nl, at + ml);
        }
        free(text);
        text = out;
    }
    return text;
}

char *weirp_json_template_render(const weirp_json_template *t,
                                 weirp_field_fn get, void *ctx, char *err,
                                 size_t errn)
{
    err[0] = '\0';
    numbers nums = {.t = t};
    json_t *v = fill(&nums, t->doc, get, ctx, err, errn);
    char *text = v ? splice_numbers(json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY),
                                    &nums)
                   : NULL;
    json_decref(v);
    for (size_t i = 0; i < nums.n; i++)
        free(nums.text[i]);
    free(nums.text);
    if (text == NULL && err[0] == '\0')
        snprintf(err, errn, "out of memory");
    return text;
}
