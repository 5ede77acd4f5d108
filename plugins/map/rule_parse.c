/*
 * rule_parse.c - compile the children of <transform plugin="map"> into
 * map_rules.  See rule.h; the vocabulary is documented in
 * docs/plugins/map.md.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include "rule.h"

#include <stdlib.h>
#include <string.h>

#include "common/bool_word.h"
#include "common/config_table.h"

typedef struct parse_ctx {
    weirp_diag *d;
    const weir_node *node;
    const char *elem; /* the element's name, for messages */
    int strict;       /* instance default for rename/copy */
} parse_ctx;

static char *dup_or_report(parse_ctx *c, const char *s)
{
    char *p = strdup(s);
    if (!p)
        weirp_diag_report(c->d, c->node, "<%s>: out of memory", c->elem);
    return p;
}

/* A required attribute, which may be empty; NULL when missing (reported). */
static const char *attr_required(parse_ctx *c, const char *attr)
{
    const char *v = c->d->host->node_attr(c->node, attr);
    if (!v)
        weirp_diag_report(c->d, c->node, "<%s>: missing attribute \"%s\"",
                          c->elem, attr);
    return v;
}

/* A required attribute naming a field: present and not empty. */
static int attr_name(parse_ctx *c, const char *attr, char **out)
{
    const char *v = attr_required(c, attr);
    if (!v)
        return -1;
    if (!*v) {
        weirp_diag_report(c->d, c->node, "<%s>: attribute \"%s\" is empty",
                          c->elem, attr);
        return -1;
    }
    *out = dup_or_report(c, v);
    return *out ? 0 : -1;
}

/* An optional boolean attribute; `*out` keeps its value when absent. */
static int attr_bool(parse_ctx *c, const char *attr, int *out)
{
    const char *v = c->d->host->node_attr(c->node, attr);
    if (!v)
        return 0;
    if (weirp_parse_bool(v, out) != 0) {
        weirp_diag_report(c->d, c->node,
                          "<%s>: attribute \"%s\" must be true or false, not "
                          "\"%s\"",
                          c->elem, attr, v);
        return -1;
    }
    return 0;
}

/* field="one name" or fields="a b c", exactly one of them. */
static int attr_fields(parse_ctx *c, weirp_words *out)
{
    const char *one = c->d->host->node_attr(c->node, "field");
    const char *many = c->d->host->node_attr(c->node, "fields");
    if (one && many) {
        weirp_diag_report(c->d, c->node,
                          "<%s>: give \"field\" or \"fields\", not both",
                          c->elem);
        return -1;
    }
    if (!one && !many) {
        weirp_diag_report(c->d, c->node,
                          "<%s>: missing attribute \"field\" or \"fields\"",
                          c->elem);
        return -1;
    }
    if (one && !*one) {
        weirp_diag_report(c->d, c->node, "<%s>: attribute \"field\" is empty",
                          c->elem);
        return -1;
    }
    /* A single name is kept whole: field names may contain spaces. */
    int rc = one ? weirp_words_one(out, one) : weirp_words_split(out, many);
    if (rc != 0) {
        weirp_diag_report(c->d, c->node, "<%s>: out of memory", c->elem);
        return -1;
    }
    if (out->n == 0) {
        weirp_diag_report(c->d, c->node, "<%s>: attribute \"fields\" is empty",
                          c->elem);
        return -1;
    }
    return 0;
}

static int parse_move(parse_ctx *c, map_rule *r)
{
    int rc = 0;
    r->strict = c->strict;
    rc |= attr_name(c, "from", &r->from);
    rc |= attr_name(c, "to", &r->field);
    rc |= attr_bool(c, "strict", &r->strict);
    return rc;
}

static int parse_set(parse_ctx *c, map_rule *r)
{
    int rc = attr_name(c, "field", &r->field);
    int is_null = 0;
    if (attr_bool(c, "null", &is_null) != 0)
        return -1; /* reported; "value" cannot be judged without it */
    const char *value = c->d->host->node_attr(c->node, "value");
    if (is_null && value) {
        weirp_diag_report(c->d, c->node,
                          "<%s>: give \"value\" or null=\"true\", not both",
                          c->elem);
        return -1;
    }
    if (is_null)
        return rc; /* r->value stays NULL: SQL NULL */
    if (!value) {
        weirp_diag_report(c->d, c->node,
                          "<%s>: missing attribute \"value\" "
                          "(or null=\"true\")",
                          c->elem);
        return -1;
    }
    r->value = dup_or_report(c, value);
    r->value_len = strlen(value);
    return r->value ? rc : -1;
}

static int parse_default(parse_ctx *c, map_rule *r)
{
    int rc = attr_name(c, "field", &r->field);
    const char *value = attr_required(c, "value");
    if (!value)
        return -1;
    r->value = dup_or_report(c, value);
    r->value_len = strlen(value);
    return r->value ? rc : -1;
}

static int parse_template(parse_ctx *c, map_rule *r)
{
    int rc = attr_name(c, "field", &r->field);
    const char *value = attr_required(c, "value");
    if (!value)
        return -1;
    const char *error;
    size_t column;
    r->tmpl = map_template_parse(value, &error, &column);
    if (!r->tmpl) {
        if (column)
            weirp_diag_report(c->d, c->node,
                              "<%s>: %s at column %zu of \"%s\"", c->elem,
                              error, column, value);
        else
            weirp_diag_report(c->d, c->node, "<%s>: %s", c->elem, error);
        return -1;
    }
    return rc;
}

/* <join to="address" from="address1 address2 city" separator=", "/> */
static int parse_join(parse_ctx *c, map_rule *r)
{
    int rc = attr_name(c, "to", &r->field);
    const char *from = attr_required(c, "from");
    if (!from) {
        rc = -1;
    } else if (weirp_words_split(&r->fields, from) != 0) {
        weirp_diag_report(c->d, c->node, "<%s>: out of memory", c->elem);
        rc = -1;
    } else if (r->fields.n == 0) {
        weirp_diag_report(c->d, c->node, "<%s>: attribute \"from\" is empty",
                          c->elem);
        rc = -1;
    }
    /* Required, so that ", " or " " is a visible choice; "" glues. */
    const char *separator = attr_required(c, "separator");
    if (!separator)
        return -1;
    r->value = dup_or_report(c, separator);
    r->value_len = strlen(separator);
    return r->value ? rc : -1;
}

static int parse_fields(parse_ctx *c, map_rule *r)
{
    return attr_fields(c, &r->fields);
}

static int parse_keep(parse_ctx *c, map_rule *r)
{
    if (attr_fields(c, &r->fields) != 0)
        return -1;
    weirp_words_sort(&r->fields); /* bisected once per field per record */
    return 0;
}

typedef int (*parse_fn)(parse_ctx *c, map_rule *r);

static const struct element {
    const char *name;
    map_op op;
    parse_fn parse;
} elements[] = {
    {"rename", MAP_RENAME, parse_move},
    {"copy", MAP_COPY, parse_move},
    {"set", MAP_SET, parse_set},
    {"template", MAP_TEMPLATE, parse_template},
    {"drop", MAP_DROP, parse_fields},
    {"keep", MAP_KEEP, parse_keep},
    {"trim", MAP_TRIM, parse_fields},
    {"upper", MAP_UPPER, parse_fields},
    {"lower", MAP_LOWER, parse_fields},
    {"default", MAP_DEFAULT, parse_default},
    {"join", MAP_JOIN, parse_join},
};

static void rule_free(map_rule *r)
{
    free(r->from);
    free(r->field);
    free(r->value);
    map_template_free(r->tmpl);
    weirp_words_free(&r->fields);
}

int map_rules_compile(weirp_diag *d, int strict, map_rules *out)
{
    const weir_host *h = d->host;
    size_t count;
    out->v = weirp_config_table(d, "map", sizeof *out->v, &count);
    out->n = 0;
    if (count && !out->v)
        return -1; /* reported */

    for (const weir_node *n = h->config_first(d->inst); n; n = h->node_next(n)) {
        const char *name = h->node_name(n);
        const struct element *e = NULL;
        for (size_t i = 0; name && i < sizeof elements / sizeof *elements; i++)
            if (strcmp(name, elements[i].name) == 0)
                e = &elements[i];
        if (!e) {
            weirp_diag_report(d, n,
                              "unknown map rule <%s> (expected rename, copy, "
                              "set, template, join, drop, keep, trim, upper, "
                              "lower or default)",
                              name ? name : "?");
            continue;
        }
        parse_ctx c = {d, n, e->name, strict};
        if (h->node_first_child(n))
            weirp_diag_report(d, n, "<%s>: takes no child elements", e->name);
        map_rule *r = &out->v[out->n];
        memset(r, 0, sizeof *r);
        r->op = e->op;
        if (e->parse(&c, r) == 0)
            out->n++;
        else
            rule_free(r); /* reported; keep going for the next problem */
    }
    return d->errors == 0 ? 0 : -1;
}

void map_rules_free(map_rules *rules)
{
    for (size_t i = 0; i < rules->n; i++)
        rule_free(&rules->v[i]);
    free(rules->v);
    rules->v = NULL;
    rules->n = 0;
}
