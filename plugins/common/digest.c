/*
 * digest.c - the `rejected` event's records grouped (see digest.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* open_memstream */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"

#define GAVE_UP "gave up after "
#define ATTEMPTS " attempts: "

char *weirp_shell_quote(const char *s, int always)
{
    int plain = *s != '\0';
    for (const char *p = s; *p && plain; p++)
        plain = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789_-./:=@%+,", *p) != NULL;
    if (plain && !always)
        return strdup(s);
    size_t n = 3;
    for (const char *p = s; *p; p++)
        n += *p == '\'' ? 4 : 1;
    char *q = malloc(n), *o = q;
    if (!q)
        return NULL;
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return q;
}

/* The same rule as the state store's filter: the text after the first
 * " attempts: " of an error that starts "gave up after ". */
const char *weirp_digest_error_class(const char *error)
{
    if (!error || strncmp(error, GAVE_UP, strlen(GAVE_UP)) != 0)
        return error;
    const char *a = strstr(error + strlen(GAVE_UP), ATTEMPTS);
    return a ? a + strlen(ATTEMPTS) : error;
}

static int same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static const char *str(json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

/* " --NAME VALUE" onto f; `always` quotes the value in any case. */
static void arg(FILE *f, const char *name, const char *value, int always,
                int *oom)
{
    char *q = weirp_shell_quote(value, always);
    if (!q) {
        *oom = 1;
        return;
    }
    fprintf(f, " --%s %s", name, q);
    free(q);
}

static json_t *resend_command(const char *pipeline, const char *state,
                              const char *sink, const char *type,
                              const char *error)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    int oom = 0;
    fputs("weir resend", f);
    if (state)
        arg(f, "state", state, 0, &oom);
    arg(f, "pipeline", pipeline, 0, &oom);
    fputs(" --failed", f);
    arg(f, "sink", sink, 0, &oom);
    /* "-": the group of records without a type; none would be any type */
    arg(f, "type", type ? type : "-", 0, &oom);
    if (error) /* quoted in any case: a person reads and edits it */
        arg(f, "error", error, 1, &oom);
    if (fclose(f) != 0 || oom) {
        free(text);
        return NULL;
    }
    json_t *s = json_string(text);
    free(text);
    return s;
}

/* `s` percent-encoded onto f, as a value of the page's #name=value&...
 * (only letters, digits and -._~ as they are). */
static void put_encoded(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-._~", c))
            fputc(c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}

/* The web monitor's page of a group: the event's page (its pipeline's)
 * narrowed to the group's failed records, as `weir monitor` groups them.
 * (new reference) NULL out of memory. */
static json_t *monitor_link(const char *page, const char *sink,
                            const char *type, const char *error)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "%s&sink=", page);
    put_encoded(f, sink);
    fputs("&status=failed", f);
    if (type) {
        fputs("&type=", f);
        put_encoded(f, type);
    }
    if (error) {
        fputs("&error=", f);
        put_encoded(f, error);
    }
    json_t *s = fclose(f) == 0 ? json_string(text) : NULL;
    free(text);
    return s;
}

/* The group of `rec` in `groups`, made when new. */
static json_t *group_of(json_t *groups, json_t *rec)
{
    const char *sink = str(rec, "sink"), *stage = str(rec, "stage"),
               *type = str(rec, "type"),
               *error = weirp_digest_error_class(str(rec, "error"));
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
        if (same(sink, str(g, "sink")) && same(stage, str(g, "stage")) &&
            same(type, str(g, "type")) && same(error, str(g, "error")))
            return g;
    g = json_object();
    const char *names[] = {"sink", "stage", "type", "error"};
    const char *values[] = {sink, stage, type, error};
    for (size_t k = 0; g && k < 4; k++)
        if (values[k] &&
            json_object_set_new(g, names[k], json_string(values[k])) != 0) {
            json_decref(g);
            g = NULL;
        }
    if (g && (json_object_set_new(g, "count", json_integer(0)) != 0 ||
              json_object_set_new(g, "rejected", json_integer(0)) != 0 ||
              json_object_set_new(g, "failed", json_integer(0)) != 0 ||
              json_object_set_new(g, "examples", json_array()) != 0)) {
        json_decref(g);
        return NULL;
    }
    /* (append_new frees g when it fails) */
    return g && json_array_append_new(groups, g) == 0 ? g : NULL;
}

static void add(json_t *g, const char *name, json_int_t n)
{
    json_object_set_new(g, name,
                        json_integer(json_integer_value(json_object_get(g, name)) + n));
}

static int by_count(const void *a, const void *b)
{
    json_t *const *x = a, *const *y = b;
    json_int_t m = json_integer_value(json_object_get(*x, "count"));
    json_int_t n = json_integer_value(json_object_get(*y, "count"));
    if (m != n)
        return m > n ? -1 : 1;
    /* ties: first seen first (the index stored while grouping) */
    json_int_t i = json_integer_value(json_object_get(*x, "_order"));
    json_int_t j = json_integer_value(json_object_get(*y, "_order"));
    return i < j ? -1 : i > j;
}

json_t *weirp_digest_groups(json_t *event, const char *state)
{
    json_t *records = json_object_get(event, "records");
    const char *pipeline = str(event, "pipeline");
    const char *page = str(event, "monitor");
    if (!json_is_array(records) || !pipeline)
        return NULL;
    json_t *groups = json_array();
    if (!groups)
        return NULL;
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec) {
        json_t *g = group_of(groups, rec);
        if (!g)
            goto oom;
        const char *status = str(rec, "status");
        add(g, "count", 1);
        add(g, status && strcmp(status, "failed") == 0 ? "failed" : "rejected",
            1);
        json_t *ex = json_object_get(g, "examples");
        if (json_array_size(ex) < WEIRP_DIGEST_EXAMPLES &&
            json_array_append_new(
                ex, json_pack("{s:O?, s:I}", "key", json_object_get(rec, "key"),
                              "line", json_integer_value(
                                          json_object_get(rec, "line")))) != 0)
            goto oom;
    }
    /* sort: a plain array of the groups, tagged with their first place */
    size_t n = json_array_size(groups);
    json_t **v = n ? malloc(n * sizeof *v) : NULL;
    if (n && !v)
        goto oom;
    json_array_foreach(groups, i, rec) {
        json_object_set_new(rec, "_order", json_integer((json_int_t)i));
        v[i] = json_incref(rec);
    }
    if (n)
        qsort(v, n, sizeof *v, by_count);
    json_array_clear(groups);
    int ok = 1;
    for (i = 0; i < n; i++) {
        json_object_del(v[i], "_order");
        const char *sink = str(v[i], "sink");
        if (ok && sink) {
            json_t *cmd = resend_command(pipeline, state, sink,
                                         str(v[i], "type"),
                                         str(v[i], "error"));
            ok = cmd && json_object_set_new(v[i], "resend", cmd) == 0;
        }
        if (ok && sink && page) {
            json_t *link = monitor_link(page, sink, str(v[i], "type"),
                                        str(v[i], "error"));
            ok = link && json_object_set_new(v[i], "monitor", link) == 0;
        }
        if (json_array_append_new(groups, v[i]) != 0)
            ok = 0;
    }
    free(v);
    if (ok)
        return groups;
oom:
    json_decref(groups);
    return NULL;
}
