/*
 * lookup.c - the lookup transform: enrich each record from a reference
 * table (a SQLite table or a CSV file), by key.  See docs/plugins/lookup.md.
 *
 * The reference is loaded once at open into a hash table (ref_table.c);
 * each record then costs one hash lookup, and the copied values are set
 * from the table's own buffer: no malloc per record.
 *
 * This file is the plugin's face: options, check/open/process/close.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/plugin.h>

#include "common/config_diag.h"
#include "common/words.h"
#include "lookup_int.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

typedef enum lookup_missing {
    MISSING_REJECT = 0,
    MISSING_DEFAULT,
    MISSING_KEEP,
    MISSING_NULL
} lookup_missing;

/* The options, read and checked (by check() and again by open()). */
typedef struct lookup_config {
    const char *database, *table, *path; /* (borrowed) */
    char delim;
    weirp_words key, match, fields; /* match: key's names when not given */
    int has_fields;
    const char *prefix; /* "" when none (borrowed) */
    lookup_missing missing;
    size_t ndefaults; /* `default` values, name=value (borrowed) */
} lookup_config;

typedef struct lookup_state {
    weir_instance *inst;
    const weir_host *host;
    lookup_config cfg;
    lk_spec spec;
    lk_table table;
    char *what;    /* the reference, for load messages (owned) */
    char *refname; /* the reference, for record messages (owned) */
    size_t nout;
    char **outnames;    /* prefix + copied column (owned) */
    lk_cell *defaults;  /* with on-missing=default, LK_NULL when none */
    const char **match; /* cfg.match as an array for the loaders (owned) */
    const char **fieldv; /* cfg.fields likewise (owned) */
    char *keybuf;       /* the encoded key of the record at hand */
    size_t keycap;
} lookup_state;

static int has_dup(const weirp_words *w, const char **dup)
{
    for (size_t i = 0; i < w->n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(w->v[i].text, w->v[j].text) == 0) {
                *dup = w->v[i].text;
                return 1;
            }
    return 0;
}

static int in_words(const weirp_words *w, const char *s, size_t len)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->v[i].len == len && memcmp(w->v[i].text, s, len) == 0)
            return 1;
    return 0;
}

static void config_free(lookup_config *c)
{
    weirp_words_free(&c->key);
    weirp_words_free(&c->match);
    weirp_words_free(&c->fields);
}

static int split(weirp_diag *d, weirp_words *w, const char *list)
{
    if (weirp_words_split(w, list ? list : "") == 0)
        return 0;
    weirp_diag_report(d, NULL, "lookup: out of memory");
    return -1;
}

/* Read and check the options; every problem is reported through `d`.
 * Returns 0 when valid, -1 otherwise (`c` is then still to be freed). */
static int config_read(weirp_diag *d, lookup_config *c)
{
    weir_instance *inst = d->inst;
    const weir_host *h = d->host;
    memset(c, 0, sizeof *c);

    /* Options only: any child element is a mistake. */
    for (const weir_node *n = h->config_first(inst); n; n = h->node_next(n))
        weirp_diag_report(d, n,
                          "lookup: unknown element <%s> (lookup takes "
                          "<option> elements only)",
                          h->node_name(n));

    c->database = h->option(inst, "database");
    c->table = h->option(inst, "table");
    c->path = h->option(inst, "path");
    if (c->database && c->path)
        weirp_diag_report(d, NULL,
                          "lookup: give either \"database\" (with \"table\") "
                          "or \"path\", not both");
    else if (!c->database && !c->path)
        weirp_diag_report(d, NULL,
                          "lookup: no reference: give \"database\" and "
                          "\"table\" (SQLite) or \"path\" (CSV)");
    if (c->database && !c->table)
        weirp_diag_report(d, NULL,
                          "lookup: \"database\" needs \"table\": the table "
                          "to read");
    if (!c->database && c->table)
        weirp_diag_report(d, NULL,
                          "lookup: \"table\" needs \"database\" (a CSV "
                          "reference is read with \"path\")");
    if (c->table && !*c->table)
        weirp_diag_report(d, NULL, "lookup: \"table\" is empty");

    const char *delim = h->option(inst, "delimiter");
    c->delim = delim && *delim ? delim[0] : ',';
    if (delim && !c->path)
        weirp_diag_report(d, NULL,
                          "lookup: \"delimiter\" applies to a CSV reference "
                          "(\"path\") only");
    if (c->delim == '"' || c->delim == '\r' || c->delim == '\n')
        weirp_diag_report(d, NULL,
                          "lookup: \"delimiter\" cannot be a quote or a line "
                          "break");

    const char *dup = NULL;
    if (split(d, &c->key, h->option(inst, "key")) != 0)
        return -1;
    if (c->key.n == 0)
        weirp_diag_report(d, NULL,
                          "lookup: \"key\" names no field: give the record "
                          "field(s) to match");
    else if (has_dup(&c->key, &dup))
        weirp_diag_report(d, NULL, "lookup: \"key\" names '%s' twice", dup);

    const char *match = h->option(inst, "match");
    if (split(d, &c->match, match ? match : h->option(inst, "key")) != 0)
        return -1;
    if (match && c->match.n != c->key.n)
        weirp_diag_report(d, NULL,
                          "lookup: \"match\" names %zu column(s) but \"key\" "
                          "%zu field(s): one column per key field",
                          c->match.n, c->key.n);
    else if (match && has_dup(&c->match, &dup))
        weirp_diag_report(d, NULL, "lookup: \"match\" names '%s' twice", dup);

    const char *fields = h->option(inst, "fields");
    c->has_fields = fields != NULL;
    if (split(d, &c->fields, fields) != 0)
        return -1;
    if (fields && c->fields.n == 0)
        weirp_diag_report(d, NULL,
                          "lookup: \"fields\" names no column (leave it out "
                          "to copy every column but the matched ones)");
    else if (has_dup(&c->fields, &dup))
        weirp_diag_report(d, NULL, "lookup: \"fields\" names '%s' twice",
                          dup);

    c->prefix = h->option(inst, "prefix");
    if (!c->prefix)
        c->prefix = "";

    const char *mode = h->option(inst, "on-missing");
    if (!mode || strcmp(mode, "reject") == 0)
        c->missing = MISSING_REJECT;
    else if (strcmp(mode, "default") == 0)
        c->missing = MISSING_DEFAULT;
    else if (strcmp(mode, "keep") == 0)
        c->missing = MISSING_KEEP;
    else if (strcmp(mode, "null") == 0)
        c->missing = MISSING_NULL;
    else /* the core refuses other values; be safe anyway */
        weirp_diag_report(d, NULL, "lookup: unknown on-missing '%s'", mode);

    c->ndefaults = h->option_count(inst, "default");
    if (c->ndefaults && c->missing != MISSING_DEFAULT)
        weirp_diag_report(d, NULL,
                          "lookup: \"default\" is only used with "
                          "on-missing=default");
    if (!c->ndefaults && c->missing == MISSING_DEFAULT)
        weirp_diag_report(d, NULL,
                          "lookup: on-missing=default needs \"default\" "
                          "options (name=value); use on-missing=null to set "
                          "NULLs");
    for (size_t i = 0; i < c->ndefaults; i++) {
        const char *v = h->option_at(inst, "default", i);
        const char *eq = v ? strchr(v, '=') : NULL;
        if (!eq || eq == v) {
            weirp_diag_report(d, NULL,
                              "lookup: \"default\" '%s' is not name=value",
                              v ? v : "");
            continue;
        }
        size_t len = (size_t)(eq - v);
        if (c->has_fields && !in_words(&c->fields, v, len))
            weirp_diag_report(d, NULL,
                              "lookup: \"default\" '%.*s' is not one of "
                              "\"fields\"",
                              (int)len, v);
        for (size_t j = 0; j < i; j++) {
            const char *w = h->option_at(inst, "default", j);
            if (w && strncmp(w, v, len) == 0 && w[len] == '=') {
                weirp_diag_report(d, NULL,
                                  "lookup: \"default\" given twice for '%.*s'",
                                  (int)len, v);
                break;
            }
        }
    }
    return d->errors ? -1 : 0;
}

static weir_status lookup_check(weir_instance *inst, const weir_host *host,
                                weir_kind kind)
{
    (void)kind;
    weirp_diag d = {inst, host, 1, 0};
    lookup_config c;
    int rc = config_read(&d, &c);
    config_free(&c);
    return rc == 0 ? WEIR_STATUS_OK : WEIR_STATUS_ERROR;
}

static void lookup_close(void *state)
{
    lookup_state *st = state;
    if (!st)
        return;
    if (st->outnames)
        for (size_t i = 0; i < st->nout; i++)
            free(st->outnames[i]);
    free(st->outnames);
    free(st->defaults);
    free(st->match);
    free(st->fieldv);
    free(st->keybuf);
    free(st->what);
    free(st->refname);
    lk_table_free(&st->table);
    lk_spec_free(&st->spec);
    config_free(&st->cfg);
    free(st);
}

static char *concat(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb);
        memcpy(s + la + lb, c, lc + 1);
    }
    return s;
}

static const char **word_array(const weirp_words *w)
{
    const char **v = calloc(w->n ? w->n : 1, sizeof *v);
    if (v)
        for (size_t i = 0; i < w->n; i++)
            v[i] = w->v[i].text;
    return v;
}

/* The copied fields' output names and their defaults, once the reference
 * has said which columns are copied. */
static int prepare_output(lookup_state *st)
{
    const weir_host *h = st->host;
    const lookup_config *c = &st->cfg;
    size_t n = st->table.nout;
    const char *const *cols = c->has_fields
                                  ? (const char *const *)st->fieldv
                                  : (const char *const *)st->spec.bound_fields;
    st->nout = n;
    st->outnames = calloc(n ? n : 1, sizeof *st->outnames);
    st->defaults = calloc(n ? n : 1, sizeof *st->defaults);
    if (!st->outnames || !st->defaults)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        st->outnames[i] = concat(c->prefix, cols[i], "");
        if (!st->outnames[i])
            goto nomem;
        st->defaults[i].p = NULL;
        st->defaults[i].len = LK_NULL;
    }
    for (size_t k = 0; k < c->ndefaults; k++) {
        const char *v = h->option_at(st->inst, "default", k);
        const char *eq = strchr(v, '=');
        size_t len = (size_t)(eq - v);
        size_t i = 0;
        while (i < n && !(strlen(cols[i]) == len && memcmp(cols[i], v, len) == 0))
            i++;
        if (i == n) {
            h->log(st->inst, WEIR_LOG_ERROR,
                   "lookup: \"default\" '%.*s' is not a column copied from "
                   "%s",
                   (int)len, v, st->what);
            return -1;
        }
        st->defaults[i].p = eq + 1;
        st->defaults[i].len = strlen(eq + 1);
    }
    return 0;
nomem:
    h->log(st->inst, WEIR_LOG_ERROR, "lookup: out of memory");
    return -1;
}

static weir_status lookup_open(weir_instance *inst, const weir_host *host,
                               weir_kind kind, void **state)
{
    *state = NULL;
    if (kind != WEIR_KIND_TRANSFORM) {
        host->log(inst, WEIR_LOG_ERROR, "lookup can only be a <transform>");
        return WEIR_STATUS_ERROR;
    }
    lookup_state *st = calloc(1, sizeof *st);
    if (!st) {
        host->log(inst, WEIR_LOG_ERROR, "lookup: out of memory");
        return WEIR_STATUS_ERROR;
    }
    st->inst = inst;
    st->host = host;
    /* check() has run; failing here means a core that skipped it or out of
     * memory, and the reasons are logged. */
    weirp_diag d = {inst, host, 0, 0};
    if (config_read(&d, &st->cfg) != 0)
        goto fail;
    const lookup_config *c = &st->cfg;
    if (c->database) {
        st->what = concat("table ", c->table, "");
        char *w = st->what ? concat(st->what, " in ", c->database) : NULL;
        free(st->what);
        st->what = w;
        st->refname = lk_strdup(c->table);
    } else {
        st->what = lk_strdup(c->path);
        const char *base = strrchr(c->path, '/');
        st->refname = lk_strdup(base ? base + 1 : c->path);
    }
    st->match = word_array(&c->match);
    st->fieldv = word_array(&c->fields);
    if (!st->what || !st->refname || !st->match || !st->fieldv) {
        host->log(inst, WEIR_LOG_ERROR, "lookup: out of memory");
        goto fail;
    }
    st->spec.inst = inst;
    st->spec.host = host;
    st->spec.what = st->what;
    st->spec.unit = c->database ? "row" : "line";
    st->spec.match = st->match;
    st->spec.nmatch = c->match.n;
    st->spec.fields = c->has_fields ? st->fieldv : NULL;
    st->spec.nfields = c->fields.n;
    int rc = c->database
                 ? lk_load_sqlite(&st->table, &st->spec, c->database, c->table)
                 : lk_load_csv(&st->table, &st->spec, c->path, c->delim);
    if (rc != 0 || prepare_output(st) != 0)
        goto fail;
    host->log(inst, WEIR_LOG_DEBUG, "lookup: %zu rows from %s",
              st->table.nrows, st->what);
    *state = st;
    return WEIR_STATUS_OK;
fail:
    lookup_close(st);
    return WEIR_STATUS_ERROR;
}

/* Answer a record whose key has no reference row: "no rep_users row for
 * sales_rep=SAL009" (or "a=1, b=2"; a missing or NULL field shows as
 * NULL). */
static void reject_missing(const lookup_state *st, weir_record *r)
{
    const weir_host *h = st->host;
    char msg[1024];
    int used = snprintf(msg, sizeof msg, "no %s row for ", st->refname);
    for (size_t k = 0; k < st->cfg.key.n && used >= 0 &&
                       (size_t)used < sizeof msg;
         k++) {
        size_t len = 0;
        const char *v = h->record_get(r, st->cfg.key.v[k].text, &len);
        int shown = len > 200 ? 200 : (int)len;
        used += snprintf(msg + used, sizeof msg - (size_t)used, "%s%s=%.*s",
                         k ? ", " : "", st->cfg.key.v[k].text,
                         v ? shown : 4, v ? v : "NULL");
    }
    h->record_answer(r, WEIR_RESULT_REJECT, msg, NULL);
}

/* Set every copied field from `vals` (n cells or stored values). */
static int set_cells(const lookup_state *st, weir_record *r,
                     const lk_cell *cells)
{
    for (size_t i = 0; i < st->nout; i++) {
        const lk_cell *c = cells ? &cells[i] : NULL;
        int rc = c && c->len != LK_NULL
                     ? st->host->record_set(r, st->outnames[i], c->p, c->len)
                     : st->host->record_set(r, st->outnames[i], NULL, 0);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static weir_status lookup_process(void *state, weir_batch *batch)
{
    lookup_state *st = state;
    const weir_host *h = st->host;
    const lk_table *t = &st->table;
    size_t n = h->batch_count(batch);
    for (size_t i = 0; i < n; i++) {
        weir_record *r = h->batch_at(batch, i);
        size_t keylen = 0;
        int have_key = 1;
        for (size_t k = 0; k < st->cfg.key.n; k++) {
            size_t len = 0;
            const char *v = h->record_get(r, st->cfg.key.v[k].text, &len);
            if (!v) {
                have_key = 0; /* missing or NULL: matches nothing */
                break;
            }
            if (lk_key_append(&st->keybuf, &keylen, &st->keycap, v, len) != 0)
                goto nomem;
        }
        const lk_row *row = have_key ? lk_table_find(t, st->keybuf, keylen)
                                     : NULL;
        if (row) {
            for (size_t f = 0; f < st->nout; f++) {
                const lk_val *v = lk_table_val(t, row, f);
                int rc = v->len == LK_NULL
                             ? h->record_set(r, st->outnames[f], NULL, 0)
                             : h->record_set(r, st->outnames[f],
                                             t->buf + v->off, v->len);
                if (rc != 0)
                    goto nomem;
            }
            continue;
        }
        switch (st->cfg.missing) {
        case MISSING_REJECT:
            reject_missing(st, r);
            break;
        case MISSING_KEEP:
            break;
        case MISSING_DEFAULT:
            if (set_cells(st, r, st->defaults) != 0)
                goto nomem;
            break;
        case MISSING_NULL:
            if (set_cells(st, r, NULL) != 0)
                goto nomem;
            break;
        }
    }
    return WEIR_STATUS_OK;
nomem:
    /* Not the record's fault, so not a REJECT: fail the batch and let the
     * core keep the records for another run. */
    h->log(st->inst, WEIR_LOG_ERROR, "lookup: out of memory");
    return WEIR_STATUS_ERROR;
}

static const weir_option_spec lookup_options[] = {
    WEIR_OPTION("database", WEIR_OPTION_PATH, 0, WEIR_KIND_TRANSFORM, NULL,
        "SQLite file holding the reference table (with \"table\")"),
    WEIR_OPTION("table", WEIR_OPTION_STRING, 0, WEIR_KIND_TRANSFORM, NULL,
        "the reference table in \"database\""),
    WEIR_OPTION("path", WEIR_OPTION_PATH, 0, WEIR_KIND_TRANSFORM, NULL,
        "CSV file with a header line holding the reference (instead of "
        "\"database\")"),
    /* no declared default: a delimiter given with "database" is an error */
    WEIR_OPTION("delimiter", WEIR_OPTION_CHAR, 0, WEIR_KIND_TRANSFORM, NULL,
        "field separator of the CSV reference: one byte, or \"tab\" "
        "(default ,)"),
    WEIR_OPTION("key", WEIR_OPTION_LIST, WEIR_OPTION_REQUIRED,
        WEIR_KIND_TRANSFORM, NULL, "the record field(s) to look up"),
    WEIR_OPTION("match", WEIR_OPTION_LIST, 0, WEIR_KIND_TRANSFORM, NULL,
        "the reference column(s) matched, one per key field (default: the "
        "key's names)"),
    WEIR_OPTION("fields", WEIR_OPTION_LIST, 0, WEIR_KIND_TRANSFORM, NULL,
        "reference columns copied into the record (default: all but the "
        "matched ones)"),
    WEIR_OPTION("prefix", WEIR_OPTION_STRING, 0, WEIR_KIND_TRANSFORM, NULL,
        "prefix for the names of the copied fields"),
    WEIR_OPTION_CHOICES("on-missing", 0, WEIR_KIND_TRANSFORM, "reject",
        "a record with no reference row: reject it, set the defaults, keep "
        "it unchanged or set the fields to NULL",
        "reject default keep null"),
    WEIR_OPTION("default", WEIR_OPTION_STRING, WEIR_OPTION_REPEATABLE,
        WEIR_KIND_TRANSFORM, NULL,
        "name=value: a copied field's value with on-missing=default"),
    WEIR_OPTION_END,
};

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_TRANSFORM,
    .name = "lookup",
    .version = PACKAGE_VERSION,
    .description = "enrich records from a reference table (SQLite or CSV), "
                   "by key",
    .options = lookup_options,
    .check = lookup_check,
    .open = lookup_open,
    .process = lookup_process,
    .close = lookup_close,
};
