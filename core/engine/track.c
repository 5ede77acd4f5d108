#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "base/clock.h"
#include "base/log.h"
#include "engine/changes.h"
#include "engine/echo.h"
#include "engine/track.h"
#include "engine/track_index.h"

#define KEY_SEP '\x1f'

struct weir_tracker {
    weir_pipeline *p;
    const weir_track_spec *spec;
    weir_track_index *index;
    const char *source_system;
    int full;
    int no_deletes;      /* a row with an unreadable key was not sent */
    long no_deletes_line;
    int deletes_go;      /* weir_tracker_check_deletes() let them go */
    size_t delete_pos;   /* weir_tracker_emit_deletes' place */
    unsigned char *field_found; /* per <track fields> name: in some record */
    size_t nfields;
    weir_track_counts counts;
    char *keybuf;
    size_t keycap;
    weir_key_hash *hashes; /* one batch's key hashes */
    size_t hcap;
    /* echo suppression (echo.h), when the pipeline takes part */
    int echo;
    int read_only;           /* a dry run: echoes found, nothing stored */
    weir_state *st;
    weir_echo_fields fields; /* one record's */
    /* keys with outbox rows still waiting: never an echo, since the
     * waiting rows hold older values that the change must supersede */
    weir_track_index *waiting;
    int in_tx;               /* this batch's field hashes are being stored */
    unsigned char *values;   /* an absorbed echo's kept values (changes.h) */
    size_t values_cap;
    /* the index image (weir_tracker_save): its file, and the snapshot
     * writes committed since loading */
    char *image;
    int64_t image_gen; /* of the image read at the start, else 0 */
    int watching;
    struct jrow {
        uint64_t hash;
        uint32_t id, version; /* weir_track_index_id() */
    } *journal;
    size_t njournal, jcap;
    size_t committed;    /* journal rows whose transaction committed */
    /* Records a source added by column (weir_batch_add_row): where the
     * key and the tracked fields are among the columns, computed once
     * per set of columns (prepare_by_column) */
    struct col_plan {
        const weir_columns *cols; /* NULL: none yet */
        uint64_t serial;
        long *key;             /* per key field: its column, -1 none */
        long *field;           /* per <track fields> name: its column, -1
                                  absent or stripped */
        unsigned char *strip;  /* per column: another system owns it */
        int any_strip;
    } plan;
    uint64_t *absent;          /* per <track fields> name: its hash absent */
};

/* Loading a million keys: each is hashed (starting the fetch of its
 * slot) a few rows before it is inserted, so the inserts hit the cache. */
#define LOAD_AHEAD 16

typedef struct loader {
    weir_track_index *index;
    struct {
        char *key;
        size_t len, cap;
        weir_key_hash h;
        uint64_t hash;
        uint32_t version;
        int doubt;
    } ring[LOAD_AHEAD];
    size_t n; /* rows taken so far */
} loader;

static int load_flush_one(loader *l, size_t i)
{
    return weir_track_index_load_hashed(l->index, l->ring[i].key,
                                        l->ring[i].len, l->ring[i].h,
                                        l->ring[i].hash, l->ring[i].version,
                                        l->ring[i].doubt);
}

static int load_one(const char *key, size_t len, uint64_t hash,
                    uint64_t version, int doubt, void *ctx)
{
    loader *l = ctx;
    if (version > UINT32_MAX)
        return -1; /* never written by weir: see weir_tracker_process */
    size_t i = l->n % LOAD_AHEAD;
    if (l->n >= LOAD_AHEAD && load_flush_one(l, i))
        return -1;
    if (len + 1 > l->ring[i].cap) {
        char *g = realloc(l->ring[i].key, len + 1);
        if (!g)
            return -1;
        l->ring[i].key = g;
        l->ring[i].cap = len + 1;
    }
    memcpy(l->ring[i].key, key, len);
    l->ring[i].key[len] = '\0';
    l->ring[i].len = len;
    l->ring[i].h = weir_track_index_hash(l->index, key, len);
    l->ring[i].hash = hash;
    l->ring[i].version = (uint32_t)version;
    l->ring[i].doubt = doubt;
    l->n++;
    return 0;
}

/* Insert what is still in the ring, free it; 0 or -1. */
static int load_finish(loader *l, int rc)
{
    size_t start = l->n > LOAD_AHEAD ? l->n - LOAD_AHEAD : 0;
    for (size_t k = start; rc == 0 && k < l->n; k++)
        rc = load_flush_one(l, k % LOAD_AHEAD);
    for (size_t i = 0; i < LOAD_AHEAD; i++)
        free(l->ring[i].key);
    return rc;
}

/* *err: why the snapshot could not be read. */
static void snapshot_error(weir_state *st, weir_error *err)
{
    const weir_error *e = weir_state_error(st);
    weir_error_set(err, e->cls, "cannot read the change-tracking snapshot: %s",
                   weir_error_message(e));
}

static int add_waiting(const char *key, void *ctx)
{
    return weir_track_index_load(ctx, key, strlen(key), 0, 0);
}

/* The keys of `t`'s pipeline with outbox rows not ended, at any sink. */
static int load_waiting(weir_tracker *t)
{
    unsigned open = 1u << WEIR_OUTBOX_PENDING | 1u << WEIR_OUTBOX_IN_FLIGHT |
                    1u << WEIR_OUTBOX_RETRY | 1u << WEIR_OUTBOX_HELD |
                    1u << WEIR_OUTBOX_FAILED;
    if (!(t->waiting = weir_track_index_new()))
        return -1;
    for (size_t i = 0; i < t->p->nsinks; i++)
        if (weir_state_outbox_keys(t->st, t->p->name, t->p->sinks[i]->name,
                                   open, add_waiting, t->waiting))
            return -1;
    return 0;
}

/* The image of `pipeline`'s index: next to a state kept in a file
 * (operations.md), NULL for other stores. (owned) */
static char *image_path(weir_state *st, const char *pipeline)
{
    const char *file = st ? weir_state_file(st) : NULL;
    if (!file)
        return NULL;
    size_t n = strlen(file) + strlen(pipeline) + 16;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s-index-%s", file, pipeline);
    return path;
}

/* weir_snapshot_watcher's: a snapshot write, for the image.  Keys are
 * hashed (their slots fetched) a few rows before they are looked up. */
static int journal_put(const weir_snapshot_entry *e, size_t n, void *ctx)
{
    weir_tracker *t = ctx;
    if (t->njournal + n > t->jcap) {
        size_t cap = t->jcap ? t->jcap : 1024;
        while (cap < t->njournal + n)
            cap *= 2;
        struct jrow *g = realloc(t->journal, cap * sizeof(*g));
        if (!g)
            return -1;
        t->journal = g;
        t->jcap = cap;
    }
    weir_key_hash ring[LOAD_AHEAD];
    for (size_t i = 0; i < n + LOAD_AHEAD; i++) {
        if (i >= LOAD_AHEAD) {
            const weir_snapshot_entry *x = &e[i - LOAD_AHEAD];
            int64_t id = weir_track_index_id(t->index, x->key, 0,
                                             ring[i % LOAD_AHEAD]);
            if (x->version > UINT32_MAX || id < 0)
                return -1;
            t->journal[t->njournal++] =
                (struct jrow){x->hash, (uint32_t)id, (uint32_t)x->version};
        }
        if (i < n)
            ring[i % LOAD_AHEAD] =
                weir_track_index_hash(t->index, e[i].key, strlen(e[i].key));
    }
    return 0;
}

static void journal_end(int committed, void *ctx)
{
    weir_tracker *t = ctx;
    if (committed)
        t->committed = t->njournal;
    else
        t->njournal = t->committed;
}

/* The committed writes into the index, keys hashed a few rows ahead. */
static int journal_apply(weir_tracker *t)
{
    weir_key_hash ring[LOAD_AHEAD];
    size_t n = t->committed;
    for (size_t i = 0; i < n + LOAD_AHEAD; i++) {
        if (i >= LOAD_AHEAD) {
            const struct jrow *j = &t->journal[i - LOAD_AHEAD];
            if (weir_track_index_set_row(t->index, ring[i % LOAD_AHEAD],
                                         j->hash, j->version))
                return -1;
        }
        if (i < n) {
            size_t len;
            const char *key = weir_track_index_key(t->index,
                                                   t->journal[i].id, &len);
            ring[i % LOAD_AHEAD] = weir_track_index_hash(t->index, key, len);
        }
    }
    return 0;
}

/* Load the snapshot into t->index: from the image when it is of
 * generation `gen`, else from the rows.  *whole: the rows were of `gen`
 * throughout.  0, or -1 (*err set). */
static int load_snapshot(weir_tracker *t, weir_state *st, int64_t gen,
                         int *whole, weir_error *err)
{
    const char *name = t->p->name;
    *whole = 1;
    if (gen && t->image) {
        if (weir_track_index_restore(t->index, t->image, name, gen) == 0) {
            weir_log(WEIR_LOG_DEBUG, "%s: key index read from %s", name,
                     t->image);
            t->image_gen = gen;
            return 0;
        }
        weir_track_index_free(t->index);
        if (!(t->index = weir_track_index_new())) {
            weir_error_set(err, WEIR_ERR_NOMEM, "out of memory");
            return -1;
        }
    }
    int64_t known = st ? weir_state_snapshot_count(st, name) : 0;
    if (known < 0) {
        snapshot_error(st, err);
        return -1;
    }
    /* room for this run's new keys too, without rehashing */
    if (weir_track_index_reserve(t->index, (size_t)known + (size_t)known / 8)) {
        weir_error_set(err, WEIR_ERR_NOMEM, "out of memory for the key index");
        return -1;
    }
    loader ld = {.index = t->index};
    int rc = st ? weir_state_snapshot_each(st, name, load_one, &ld) : 0;
    int64_t after = 0;
    if (load_finish(&ld, rc) != 0 ||
        (st && weir_state_snapshot_generation(st, name, &after))) {
        snapshot_error(st, err);
        return -1;
    }
    *whole = after == gen;
    return 0;
}

weir_tracker *weir_tracker_new(weir_pipeline *p, weir_state *st, int full,
                               weir_error *err)
{
    weir_tracker *t = calloc(1, sizeof(*t));
    if (!t || !(t->index = weir_track_index_new())) {
        free(t);
        weir_error_set(err, WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->p = p;
    t->spec = &p->track;
    t->source_system = p->source->system;
    t->st = st;
    t->echo = st && weir_echo_takes_part(p);
    for (char **f = t->spec->fields; f && *f; f++)
        t->nfields++;
    if (t->nfields && (!(t->field_found = calloc(t->nfields, 1)) ||
                       !(t->absent = malloc(t->nfields *
                                            sizeof(*t->absent))))) {
        weir_tracker_free(t);
        weir_error_set(err, WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < t->nfields; i++)
        t->absent[i] = weir_field_hash(t->spec->fields[i], NULL, 0);
    /* No state yet (a dry run before the first run): an empty snapshot. */
    int64_t last = 0, gen = 0;
    int whole;
    if (st && (weir_state_last_full_refresh(st, p->name, &last) != 0 ||
               weir_state_snapshot_generation(st, p->name, &gen) != 0)) {
        snapshot_error(st, err);
        weir_tracker_free(t);
        return NULL;
    }
    t->image = image_path(st, p->name);
    if (load_snapshot(t, st, gen, &whole, err)) {
        weir_tracker_free(t);
        return NULL;
    }
    /* follow this run's snapshot writes, to save the image at the end */
    weir_snapshot_watcher by = {journal_put, journal_end, t};
    t->watching = t->image && whole &&
                  weir_state_watch(st, p->name, gen, &by) == 0;
    if (weir_log_level_get() >= WEIR_LOG_DEBUG) /* _loaded() reads it all */
        weir_log(WEIR_LOG_DEBUG, "%s: %zu snapshot keys loaded, key index "
                 "%.1f MB", p->name, weir_track_index_loaded(t->index),
                 (double)weir_track_index_bytes(t->index) / 1e6);
    if (t->echo && load_waiting(t)) {
        snapshot_error(st, err);
        weir_tracker_free(t);
        return NULL;
    }
    t->full = full ||
              (t->spec->full_refresh_ms > 0 && last > 0 &&
               weir_clock_now_ms() - last >= t->spec->full_refresh_ms);
    return t;
}

void weir_tracker_save(weir_tracker *t)
{
    if (!t->watching)
        return;
    t->watching = 0;
    int64_t gen;
    int ok = weir_state_watch_end(t->st, t, &gen) == 1;
    if (t->read_only)
        return; /* nothing written: the image, if any, is as good as before */
    ok = ok && gen != 0;
    if (ok && gen == t->image_gen)
        return; /* nothing written: the image read is the rows */
    ok = ok && journal_apply(t) == 0;
    if (ok && weir_track_index_save(t->index, t->image, t->p->name, gen) == 0)
        return;
    if (ok)
        weir_log(WEIR_LOG_DEBUG, "%s: cannot write the key index image %s",
                 t->p->name, t->image);
    unlink(t->image); /* stale: the next run reads the rows */
}

void weir_tracker_free(weir_tracker *t)
{
    if (!t)
        return;
    if (t->watching) {
        int64_t gen;
        weir_state_watch_end(t->st, t, &gen);
    }
    free(t->image);
    free(t->journal);
    weir_track_index_free(t->index);
    free(t->field_found);
    free(t->absent);
    free(t->plan.key);
    free(t->plan.field);
    free(t->plan.strip);
    free(t->keybuf);
    free(t->hashes);
    weir_echo_fields_free(&t->fields);
    free(t->values);
    weir_track_index_free(t->waiting);
    free(t);
}

void weir_tracker_read_only(weir_tracker *t) { t->read_only = 1; }

int weir_tracker_is_full(const weir_tracker *t) { return t->full; }

const weir_track_counts *weir_tracker_counts(const weir_tracker *t)
{
    return &t->counts;
}

/* Why a record has no usable key. */
typedef enum key_fault {
    KEY_OK,
    KEY_MISSING,  /* absent, NULL or empty */
    KEY_BAD_BYTE, /* holds a NUL byte or the key separator */
    KEY_NO_MEMORY
} key_fault;

/* Append key field value v (n bytes) to the key of *len bytes in
 * t->keybuf, NUL-terminated.  KEY_OK, or why v cannot be part of it. */
static key_fault key_append(weir_tracker *t, size_t *len, const char *v,
                            size_t n)
{
    if (!v || !n)
        return KEY_MISSING;
    /* Keys are C strings in the snapshot: no NUL, no separator. */
    if (memchr(v, KEY_SEP, n) || memchr(v, '\0', n))
        return KEY_BAD_BYTE;
    if (*len + n + 2 > t->keycap) {
        size_t cap = (*len + n + 2) * 2;
        char *g = realloc(t->keybuf, cap);
        if (!g)
            return KEY_NO_MEMORY;
        t->keybuf = g;
        t->keycap = cap;
    }
    if (*len)
        t->keybuf[(*len)++] = KEY_SEP;
    memcpy(t->keybuf + *len, v, n);
    *len += n;
    t->keybuf[*len] = '\0';
    return KEY_OK;
}

/* The record's key in t->keybuf: its key fields joined.  Returns the
 * length, or -1 with *fault and *field (the field at fault). */
static long build_key(weir_tracker *t, const weir_record *r, key_fault *fault,
                      const char **field)
{
    size_t len = 0;
    for (char **k = t->spec->key; k && *k; k++) {
        size_t n;
        const char *v = weir_record_get(r, *k, &n);
        *field = *k;
        if ((*fault = key_append(t, &len, v, n)) != KEY_OK)
            return -1;
    }
    return (long)len;
}

static void key_fault_text(key_fault fault, const char *field, char *buf,
                           size_t size)
{
    switch (fault) {
    case KEY_BAD_BYTE:
        snprintf(buf, size, "key field %s holds a NUL byte or the control "
                 "character 0x1F, which a key cannot hold", field);
        break;
    case KEY_NO_MEMORY:
        snprintf(buf, size, "out of memory for the key");
        break;
    default:
        snprintf(buf, size, "key field %s is missing or empty", field);
        break;
    }
}

/* Remove fields another system owns: this pipeline never sends them. */
static void strip_owned(weir_tracker *t, weir_record *r)
{
    for (char **o = t->spec->owners; o && o[0]; o += 2)
        if (strcmp(o[1], t->source_system) != 0)
            weir_record_unset(r, o[0]);
}

/* weir_field_hash() of field f, its name's hash kept by the batch. */
static uint64_t field_hash(const weir_field *f)
{
    return weir_field_hash_seeded(weir_field_name_hash(f), f->value, f->len);
}

/* Field hashes (weir_field_hash) are added, so the order of the fields
 * does not matter: a reordered export is not a change.  Snapshots hold
 * these sums: they must never change (tests/test_units_track.c pins
 * them). */
static uint64_t record_hash(weir_tracker *t, const weir_record *r)
{
    uint64_t h = 1; /* 0 marks a deleted key in the snapshot */
    if (t->spec->fields) {
        for (size_t i = 0; i < t->nfields; i++) {
            const char *name = t->spec->fields[i];
            const weir_field *f = weir_record_field(r, name);
            t->field_found[i] |= f != NULL;
            h += f ? field_hash(f) * 2 : t->absent[i] * 2 + 1;
        }
    } else {
        for (uint32_t i = 0; i < r->nfields; i++)
            h += field_hash(&r->fields[i]);
    }
    return h ? h : 1;
}

/* What <track> found for record r: set its operation and answer.
 * `doubt`: 0, or 1 + the operation of a send whose answer was lost. */
static void apply_verdict(weir_tracker *t, weir_record *r, weir_track_verdict v,
                          long first, int doubt)
{
    /* an insert in doubt may never have reached the target: whatever
     * goes next for the key goes as an insert */
    int insert_in_doubt = doubt == 1 + WEIR_OP_INSERT;
    switch (v) {
    case WEIR_TRACK_DUPLICATE: {
        char msg[128];
        if (first > 0)
            snprintf(msg, sizeof(msg), "duplicate key in this run "
                     "(first at line %ld)", first);
        else
            snprintf(msg, sizeof(msg), "duplicate key in this run");
        weir_record_answer(r, WEIR_RESULT_REJECT, msg, NULL);
        t->counts.duplicates++;
        break;
    }
    case WEIR_TRACK_NEW:
        r->op = WEIR_OP_INSERT;
        r->sent_for = WEIR_SENT_NEW;
        t->counts.inserts++;
        break;
    case WEIR_TRACK_RESEND:
        /* Sent before, answer lost: the same change again, with the same
         * operation and change number (so the same idempotency id). */
        r->op = insert_in_doubt ? WEIR_OP_INSERT : WEIR_OP_UPDATE;
        r->sent_for = WEIR_SENT_IN_DOUBT;
        t->counts.resent++;
        break;
    case WEIR_TRACK_CHANGED:
    case WEIR_TRACK_SAME:
        if (v == WEIR_TRACK_SAME && !t->full) {
            r->unchanged = 1;
            weir_record_answer(r, WEIR_RESULT_DROP, NULL, NULL);
            t->counts.unchanged++;
            break;
        }
        r->op = insert_in_doubt ? WEIR_OP_INSERT : WEIR_OP_UPDATE;
        r->sent_for = v == WEIR_TRACK_SAME ? WEIR_SENT_FULL_REFRESH
                                           : WEIR_SENT_CHANGED;
        t->counts.updates++;
        break;
    }
}

/* Room for one batch's key hashes. */
static int reserve_hashes(weir_tracker *t, size_t n)
{
    if (n <= t->hcap)
        return 0;
    weir_key_hash *g = realloc(t->hashes, n * sizeof(*g));
    if (!g)
        return -1;
    t->hashes = g;
    t->hcap = n;
    return 0;
}

/* A new or changed key of a pipeline that takes part in echo
 * suppression: its field hashes are stored with its new value, and when
 * every difference is a value weir wrote into the source system (an
 * echo), the snapshot takes the value and 1 is returned: not sent.  0 a
 * change, -1 out of memory or the store failed. */
static int absorb_echo(weir_tracker *t, weir_record *r, weir_track_verdict v,
                       uint32_t version, int doubt)
{
    if (weir_echo_fields_build(&t->fields, r, t->spec->fields))
        return -1;
    const char *entity = weir_pipeline_record_type(t->p, r);
    /* a full refresh sends everything; a value in doubt may not be the
     * target's; a key with rows waiting must supersede them: all go as
     * changes */
    int echo = !t->full && !doubt && entity &&
                       !weir_track_index_has(t->waiting, r->key,
                                             strlen(r->key))
                   ? weir_echo_only(t->st, t->p->name, t->source_system,
                                    entity, r->key, &t->fields,
                                    v == WEIR_TRACK_NEW)
                   : 0;
    if (echo < 0 || t->read_only)
        return echo;
    if (!t->in_tx && weir_state_begin(t->st))
        return -1;
    t->in_tx = 1;
    weir_snapshot_entry e = {r->key, r->hash, version, WEIR_OP_UPDATE};
    if (weir_state_track_fields_put(t->st, t->p->name, r->key, r->hash,
                                    t->fields.buf, t->fields.len) ||
        (echo && weir_state_snapshot_put(t->st, t->p->name, &e, 1, 0)))
        return -1; /* intent 0: settled, never in doubt */
    /* the kept values follow the snapshot (changes.h) */
    if (echo && t->spec->keep_changes) {
        weir_track_values kept = {r->key, r->hash, NULL, 0};
        if (weir_changes_values(r, t->spec, &t->values, &kept.len,
                                &t->values_cap))
            return -1;
        kept.blob = t->values;
        if (weir_state_track_values_put(t->st, t->p->name, &kept, 1))
            return -1;
    }
    return echo;
}

/* The column named `name` among `cols`, or -1. */
static long column_of(const weir_columns *cols, const char *name)
{
    for (uint32_t c = 0; c < cols->n; c++)
        if (strcmp(cols->names[c], name) == 0)
            return (long)c;
    return -1;
}

/* t->plan for `cols`: where build_key(), strip_owned() and
 * record_hash() find their fields among them.  0, or -1 out of memory. */
static int plan_columns(weir_tracker *t, const weir_columns *cols)
{
    struct col_plan *pl = &t->plan;
    if (pl->cols == cols && pl->serial == cols->serial)
        return 0;
    size_t nkey = 0;
    for (char **k = t->spec->key; k && *k; k++)
        nkey++;
    pl->cols = NULL;
    free(pl->key);
    free(pl->field);
    free(pl->strip);
    pl->key = malloc((nkey + 1) * sizeof(*pl->key));
    pl->field = malloc((t->nfields + 1) * sizeof(*pl->field));
    pl->strip = calloc(cols->n, 1);
    if (!pl->key || !pl->field || !pl->strip)
        return -1;
    for (size_t i = 0; i < nkey; i++)
        pl->key[i] = column_of(cols, t->spec->key[i]);
    pl->any_strip = 0;
    for (char **o = t->spec->owners; o && o[0]; o += 2) {
        long c = strcmp(o[1], t->source_system) != 0
                     ? column_of(cols, o[0])
                     : -1;
        if (c >= 0)
            pl->strip[c] = pl->any_strip = 1;
    }
    for (size_t i = 0; i < t->nfields; i++) {
        long c = column_of(cols, t->spec->fields[i]);
        pl->field[i] = c >= 0 && !pl->strip[c] ? c : -1;
    }
    pl->cols = cols;
    pl->serial = cols->serial;
    return 0;
}

/* prepare() of a record still as weir_batch_add_row() made it: its key
 * and hash read by column, the same as build_key(), strip_owned() and
 * record_hash() give (tests/test_units_track.c compares them).  1 done,
 * 0 when its key cannot be read (prepare() then rejects it), -1 out of
 * memory. */
static int prepare_by_column(weir_tracker *t, weir_record *r,
                             weir_key_hash *h)
{
    if (plan_columns(t, r->cols))
        return -1;
    const struct col_plan *pl = &t->plan;
    size_t len = 0;
    for (size_t k = 0; t->spec->key && t->spec->key[k]; k++) {
        if (pl->key[k] < 0)
            return 0;
        const weir_field *f = &r->fields[pl->key[k]];
        key_fault fault = key_append(t, &len, f->value, f->len);
        if (fault != KEY_OK)
            return fault == KEY_NO_MEMORY ? -1 : 0;
    }
    uint64_t sum = 1;
    if (t->spec->fields) {
        for (size_t i = 0; i < t->nfields; i++) {
            long c = pl->field[i];
            if (c < 0) {
                sum += t->absent[i] * 2 + 1;
                continue;
            }
            const weir_field *f = &r->fields[c];
            t->field_found[i] = 1;
            sum += field_hash(f) * 2;
        }
    } else {
        for (uint32_t c = 0; c < r->nfields; c++) {
            const weir_field *f = &r->fields[c];
            if (!pl->strip[c])
                sum += field_hash(f);
        }
    }
    if (weir_record_set_key(r, t->keybuf))
        return -1;
    if (pl->any_strip)
        strip_owned(t, r);
    r->hash = sum ? sum : 1;
    *h = weir_track_index_hash(t->index, t->keybuf, len);
    return 1;
}

/* Record r's key, its hash and the hash of its tracked fields; the
 * key's hash starts fetching its index slot.  0 (r rejected when its
 * key cannot be read), or -1 out of memory. */
static int prepare(weir_tracker *t, weir_record *r, weir_key_hash *h)
{
    if (r->cols && r->nfields == r->cols->n) {
        int done = prepare_by_column(t, r, h);
        t->counts.by_column += done > 0;
        if (done)
            return done < 0 ? -1 : 0;
    }
    key_fault fault = KEY_OK;
    const char *field = NULL;
    long len = build_key(t, r, &fault, &field);
    if (len < 0) {
        /* Its key cannot be read, so any key may be missing only
         * because of it: no deletes this run. */
        if (!t->no_deletes) {
            t->no_deletes = 1;
            t->no_deletes_line = r->origin;
        }
        char msg[256];
        key_fault_text(fault, field, msg, sizeof(msg));
        weir_record_answer(r, WEIR_RESULT_REJECT, msg, NULL);
        return 0;
    }
    if (weir_record_set_key(r, t->keybuf))
        return -1;
    strip_owned(t, r);
    r->hash = record_hash(t, r);
    *h = weir_track_index_hash(t->index, t->keybuf, (size_t)len);
    return 0;
}

/* Look r up in the index (its key hashed: h) and give it its verdict.
 * 0, or -1 out of memory or the store failed. */
static int look_up(weir_tracker *t, weir_record *r, weir_key_hash h)
{
    if (r->result != WEIR_RESULT_OK)
        return 0;
    weir_track_verdict v;
    long first = 0;
    uint32_t version = 0;
    int doubt = 0;
    if (weir_track_index_see_hashed(t->index, r->key, strlen(r->key), h,
                                    r->hash, r->origin, &v, &first, &version,
                                    &doubt))
        return -1;
    if (version == UINT32_MAX && v != WEIR_TRACK_RESEND &&
        v != WEIR_TRACK_DUPLICATE) {
        /* a new change number would repeat an old idempotency id */
        weir_record_answer(r, WEIR_RESULT_REJECT, "this key has used up "
                           "its change numbers (4294967295 changes)",
                           NULL);
        return 0;
    }
    r->version = (uint64_t)version + (v != WEIR_TRACK_RESEND);
    if (t->echo && (v == WEIR_TRACK_NEW || v == WEIR_TRACK_CHANGED)) {
        int echo = absorb_echo(t, r, v, version, doubt);
        if (echo < 0)
            return -1;
        if (echo) {
            r->unchanged = 1;
            weir_record_answer(r, WEIR_RESULT_DROP, NULL, NULL);
            t->counts.unchanged++;
            t->counts.echoes++;
            return 0;
        }
    }
    apply_verdict(t, r, v, first, doubt);
    return 0;
}

/* Look-ups in an index much larger than the cache wait for memory: each
 * record is prepared (its slot fetched) this many records before its
 * look-up, early enough for the fetch to arrive and late enough for the
 * line to be still there (a whole batch ahead, it is not). */
#define LOOKUP_AHEAD 16

static int classify(weir_tracker *t, weir_batch *b)
{
    size_t n = weir_batch_count(b);
    if (reserve_hashes(t, n))
        return -1;
    for (size_t i = 0; i < n + LOOKUP_AHEAD; i++) {
        if (i < n && prepare(t, weir_batch_at(b, i), &t->hashes[i]))
            return -1;
        if (i >= LOOKUP_AHEAD) {
            size_t j = i - LOOKUP_AHEAD;
            if (look_up(t, weir_batch_at(b, j), t->hashes[j]))
                return -1;
        }
    }
    return 0;
}

int weir_tracker_process(weir_tracker *t, weir_batch *b)
{
    int rc = classify(t, b);
    if (t->in_tx) {
        t->in_tx = 0;
        if (rc || weir_state_commit(t->st)) {
            weir_state_rollback(t->st);
            rc = -1;
        }
    }
    return rc;
}

void weir_tracker_note_unsent(weir_tracker *t, weir_record *r)
{
    key_fault fault;
    const char *field;
    long len = build_key(t, r, &fault, &field);
    if (len >= 0) {
        weir_track_index_touch(t->index, t->keybuf, (size_t)len);
    } else if (!t->no_deletes) {
        t->no_deletes = 1;
        t->no_deletes_line = r->origin;
    }
}

weir_delete_verdict weir_tracker_check_deletes(weir_tracker *t, int force,
                                               char *why, size_t whysize)
{
    const weir_track_spec *s = t->spec;
    /* deletes in doubt were weighed by the run that first sent them */
    size_t unseen = weir_track_index_unseen(t->index);
    size_t redo = weir_track_index_unseen_redo(t->index);
    t->deletes_go = 0;
    if (unseen + redo == 0)
        return WEIR_DELETES_NONE;
    if (!s->emit_deletes) {
        snprintf(why, whysize, "%zu keys are no longer in the source; not "
                 "deleted (deletes=\"ignore\")", unseen + redo);
        return WEIR_DELETES_NONE;
    }
    if (t->no_deletes) {
        snprintf(why, whysize,
                 "%zu deletes not sent: a row whose key could not be read "
                 "(line %ld) was rejected, so a missing key may only be "
                 "unreadable",
                 unseen + redo, t->no_deletes_line);
        return WEIR_DELETES_OFF;
    }
    size_t loaded = weir_track_index_loaded(t->index);
    int over = s->max_delete_count >= 0
                   ? unseen > (size_t)s->max_delete_count
                   : s->max_delete_ratio >= 0 &&
                         (double)unseen > s->max_delete_ratio * (double)loaded;
    if (over && !force) {
        if (s->max_delete_count >= 0)
            snprintf(why, whysize, "the run would delete %zu of %zu records, "
                     "more than max-delete=\"%lld\"; nothing was changed (use "
                     "--force if the deletions are real)",
                     unseen, loaded, s->max_delete_count);
        else
            snprintf(why, whysize, "the run would delete %zu of %zu records "
                     "(%.1f%%), more than max-delete=\"%g%%\"; nothing was "
                     "changed (use --force if the deletions are real)",
                     unseen, loaded, 100.0 * (double)unseen / (double)loaded,
                     s->max_delete_ratio * 100.0);
        return WEIR_DELETES_REFUSED;
    }
    t->deletes_go = 1;
    return WEIR_DELETES_GO;
}

size_t weir_tracker_emit_deletes(weir_tracker *t, weir_batch *b)
{
    size_t added = 0;
    const char *key;
    size_t len;
    uint32_t version;
    int redo;
    /* Only what weir_tracker_check_deletes() allowed: deletes="ignore",
     * the guard and an unreadable key all end here. */
    while (t->deletes_go && weir_batch_room(b) &&
           weir_track_index_next_unseen(t->index, &t->delete_pos, &key, &len,
                                        &version, &redo)) {
        weir_record *r = weir_batch_add(b);
        r->op = WEIR_OP_DELETE;
        r->version = (uint64_t)version + !redo;
        if (r->version > UINT32_MAX) /* see weir_tracker_process */
            weir_record_answer(r, WEIR_RESULT_REJECT, "this key has used up "
                               "its change numbers (4294967295 changes)",
                               NULL);
        int failed = weir_record_set_key(r, key);
        /* The key fields, split back out of the joined key. */
        const char *p = key, *end = key + len;
        for (char **k = t->spec->key; k && *k && p <= end; k++) {
            const char *sep = memchr(p, KEY_SEP, (size_t)(end - p));
            size_t n = sep ? (size_t)(sep - p) : (size_t)(end - p);
            failed |= weir_record_set(r, *k, p, n);
            p += n + 1;
        }
        if (failed) /* out of memory: a delete without its key is worse */
            weir_record_answer(r, WEIR_RESULT_REJECT, "out of memory", NULL);
        t->counts.deletes++;
        added++;
    }
    return added;
}

size_t weir_tracker_deletes_due(const weir_tracker *t)
{
    return t->deletes_go ? weir_track_index_unseen(t->index) +
                               weir_track_index_unseen_redo(t->index)
                         : 0;
}

int weir_tracker_each_delete(weir_tracker *t,
                             int (*fn)(const char *key, void *ctx), void *ctx)
{
    size_t pos = 0, len;
    const char *key;
    uint32_t version;
    int rc = 0, redo;
    while (!rc && t->deletes_go &&
           weir_track_index_next_unseen(t->index, &pos, &key, &len, &version,
                                        &redo))
        rc = fn(key, ctx);
    return rc;
}

int weir_tracker_each_unfound_field(const weir_tracker *t,
                                    int (*fn)(const char *field, void *ctx),
                                    void *ctx)
{
    int rc = 0;
    const weir_track_counts *c = &t->counts;
    if (!(c->inserts + c->updates + c->unchanged + c->resent))
        return 0; /* no record: nothing to say about their fields */
    for (size_t i = 0; !rc && i < t->nfields; i++)
        if (!t->field_found[i])
            rc = fn(t->spec->fields[i], ctx);
    return rc;
}

char *weir_key_display(const char *key)
{
    size_t n = 0;
    for (const char *p = key; *p; p++)
        n += *p == KEY_SEP ? 3 : 1;
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = key; *p; p++) {
        if (*p == KEY_SEP) {
            memcpy(o, " / ", 3);
            o += 3;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}
