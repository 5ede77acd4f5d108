/*
 * testhold - a test plugin: a transform that stamps every record it sees
 * and holds some of them (ABI 1.3: host->record_hold), or sets their
 * operation (host->record_set_op).
 *
 * Options:
 *   stamp        appended to field `trail` of every record it sees, before
 *                it decides (so a held record's stored payload must not
 *                have it, and a record that re-enters gets it once)
 *   field        the field examined (default `code`)
 *   hold-values  hold records whose `field` is one of these (none: every
 *                record, while until-file is missing)
 *   until-file   hold only while this file does not exist
 *   wait-prefix  the wait key is this followed by the value of `field`
 *   set-op       insert, update, upsert or delete: the operation of every
 *                record it passes
 *   crash-values the whole weir process dies (SIGKILL) when a record
 *                whose `field` is one of these reaches it: after <track>,
 *                a crash between two batches (the one before settled, the
 *                intent of this one not yet recorded)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <weir/plugin.h>

typedef struct state {
    const weir_host *host;
    const char *stamp, *field, *values, *until, *prefix, *op, *crash;
} state;

static const weir_option_spec options[] = {
    WEIR_OPTION("stamp", WEIR_OPTION_STRING, 0, 0, NULL,
                "appended to field trail of every record"),
    WEIR_OPTION("field", WEIR_OPTION_STRING, 0, 0, "code",
                "the field examined"),
    WEIR_OPTION("hold-values", WEIR_OPTION_LIST, 0, 0, NULL,
                "hold records whose field is one of these"),
    WEIR_OPTION("until-file", WEIR_OPTION_PATH, 0, 0, NULL,
                "hold only while this file does not exist"),
    WEIR_OPTION("wait-prefix", WEIR_OPTION_STRING, 0, 0, "",
                "the wait key: this and the field's value"),
    WEIR_OPTION_CHOICES("set-op", 0, 0, NULL,
                        "the operation of every record passed",
                        "insert update upsert delete"),
    WEIR_OPTION("crash-values", WEIR_OPTION_LIST, 0, 0, NULL,
                "die (SIGKILL) at a record whose field is one of these"),
    WEIR_OPTION_END,
};

static int listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && len && strncmp(p, word, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

static weir_status th_open(weir_instance *inst, const weir_host *host,
                           weir_kind kind, void **out)
{
    (void)kind;
    state *s = calloc(1, sizeof(*s));
    if (!s)
        return WEIR_STATUS_ERROR;
    s->host = host;
    s->stamp = host->option(inst, "stamp");
    s->field = host->option(inst, "field");
    s->values = host->option(inst, "hold-values");
    s->until = host->option(inst, "until-file");
    s->prefix = host->option(inst, "wait-prefix");
    s->op = host->option(inst, "set-op");
    s->crash = host->option(inst, "crash-values");
    *out = s;
    return WEIR_STATUS_OK;
}

static weir_op op_of(const char *name)
{
    return strcmp(name, "insert") == 0   ? WEIR_OP_INSERT
           : strcmp(name, "update") == 0 ? WEIR_OP_UPDATE
           : strcmp(name, "delete") == 0 ? WEIR_OP_DELETE
                                         : WEIR_OP_UPSERT;
}

static weir_status th_process(void *vs, weir_batch *b)
{
    state *s = vs;
    const weir_host *h = s->host;
    int waiting = !s->until || access(s->until, F_OK) != 0;
    for (size_t i = 0; i < h->batch_count(b); i++) {
        weir_record *r = h->batch_at(b, i);
        const char *v = h->record_get(r, s->field, NULL);
        if (s->crash && v && listed(s->crash, v))
            raise(SIGKILL);
        if (s->stamp) {
            const char *trail = h->record_get(r, "trail", NULL);
            char buf[512];
            snprintf(buf, sizeof(buf), "%s%s", trail ? trail : "", s->stamp);
            if (h->record_set(r, "trail", buf, WEIR_NUL_TERMINATED))
                return WEIR_STATUS_ERROR;
        }
        v = h->record_get(r, s->field, NULL);
        if (waiting && (s->values || s->until) &&
            (!s->values || (v && listed(s->values, v)))) {
            char key[512];
            snprintf(key, sizeof(key), "%s%s", s->prefix, v ? v : "");
            if (s->op) /* a change the hold must forget */
                h->record_set_op(r, op_of(s->op));
            h->record_hold(r, key, "waiting for a link");
            continue;
        }
        if (s->op && h->record_set_op(r, op_of(s->op)))
            return WEIR_STATUS_ERROR;
    }
    return WEIR_STATUS_OK;
}

static void th_close(void *s) { free(s); }

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_TRANSFORM,
    .name = "testhold",
    .version = "1",
    .description = "test transform: stamps, holds, sets operations",
    .options = options,
    .open = th_open,
    .process = th_process,
    .close = th_close,
};
