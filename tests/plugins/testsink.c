/*
 * testsink - a test plugin: a sink that applies records to its own SQLite
 * database, idempotently by record id, and can be told to fail.
 *
 * Options:
 *   database     (required) the sink's own SQLite file (WAL, busy 5 s)
 *   retry-keys   keys answered RETRY "temporary failure for KEY"
 *   retry-times  answer RETRY only while the record's attempt <= this
 *                (default -1: always)
 *   reject-keys  keys answered REJECT "rejected KEY"
 *   down-file    while this file exists, every record is answered DOWN
 *                "endpoint down", and probe() answers DOWN
 *   hold-keys    keys answered HOLD "held KEY"
 *   silent-keys  keys given no answer at all (a buggy sink): the core
 *                must not take them as applied
 *   crash-after-key  once a batch holding this key is committed, the
 *                whole weir process dies (SIGKILL): a crash after the
 *                target applied a change and before weir recorded it
 *   reject-field fields: a record with one of them not empty is answered
 *                REJECT with the first such value as the text (error
 *                classes: "1020 - Terms Code ...")
 *   write-delay  sleep this long in every write() (a slow target), so
 *                that two weir processes draining at once overlap
 *   gate-field   a record whose this field is not empty makes write()
 *                (unless down-file exists) wait, before anything else,
 *                until the file the value
 *                names exists (giving up after 2 minutes); while it
 *                waits, the file VALUE.waiting exists: a test orders two
 *                weir processes' writes exactly.  A record whose file
 *                did not appear in time is answered REJECT "gate FILE
 *                never opened"
 *   gate-timeout how long gate-field waits (default 2m)
 *   state-key    write() calls host->state_set(KEY, "written") first; when
 *                that fails, every record of the batch is answered REJECT
 *                "state_set failed"
 *   assign-ids   answer OK with the id the target assigned: this prefix
 *                followed by the key ("ERP-" gives "ERP-A1")
 *   refuse-batch-keys  a batch holding one of these keys is refused as a
 *                whole at its commit, as a deferred constraint does: it is
 *                rolled back (nothing of it applied) and write() returns
 *                WEIR_STATUS_SPLIT, having given host->set_error()
 *                "deferred constraint failed for KEY"; the core isolates
 *                the record (testsink_v11 returns the same, which a 1.1
 *                sink never meant: the core must not replay for it)
 *
 * A record's key is host->record_key(), else field `code`, else field `id`;
 * a record with none of them is rejected ("no key").
 *
 * Tables, all written in one transaction per write() batch:
 *   target(key TEXT PRIMARY KEY, payload TEXT)
 *       the applied data; payload is the record's fields as name=value
 *       sorted by name (byte order), NULL as \N, joined by \x1f.
 *   applied(id TEXT PRIMARY KEY, key TEXT, op TEXT, at INTEGER, payload TEXT)
 *       one row per record id applied; a record whose id is already here
 *       is answered OK without being applied again (a target that looks
 *       up the idempotency key).
 *   counts(key TEXT PRIMARY KEY, n INTEGER)
 *       how many times each key was applied ("none applied twice").
 *   sends(id TEXT, key TEXT, attempt INTEGER, answer TEXT, pid INTEGER)
 *       every record handed to write() (by process pid), with its answer: "ok" (applied),
 *       "duplicate" (OK, id already applied), "retry", "reject", "down",
 *       "hold", "none" (silent-keys).  Rolled back with the batch on an
 *       SQLite error.
 *   probes(at INTEGER, answer TEXT)
 *       every probe() call (in its own transaction), answered "ok" or
 *       "down".
 *   lifecycle(event TEXT, pid INTEGER)
 *       every open() that succeeded ("open") and every close() of an
 *       opened instance ("close"), by process pid: how long weir keeps
 *       a sink open.
 * op is "upsert", "insert", "update" or "delete"; a delete removes the key
 * from target, anything else replaces the key's row.
 *
 * An SQLite error rolls the batch back and answers every record of it RETRY
 * with SQLite's message.  flush() has nothing to do: each batch is
 * committed by write().
 *
 * Built three times: testsink (the current ABI); testsink_v11 (compiled
 * with TESTSINK_ABI_MINOR=1: a sink built for ABI 1.1, for the
 * compatibility tests: the core keeps the 1.1 contract for it); and
 * tests/beside/testsink (TESTSINK_FLAGS=WEIR_PLUGIN_WRITE_BESIDE: the
 * same sink writing on a thread of its own, which the delivery and crash
 * suites run against as well).  testsink_v11 logs why
 * open() fails instead of set_error(), and fills the slot that probe()
 * took in 1.2 (its reserved[0]) with ts_probe all the same: a 1.1 plugin's
 * slot is never read, so the core must never call it (its probes table
 * stays empty).
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, kill with -std=c11 */

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <weir/plugin.h>

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SEEN,
    ST_DELETE,
    ST_UPSERT,
    ST_APPLIED,
    ST_COUNT,
    ST_SEND,
    ST_PROBE,
    ST_N
};

static const char *const sql_text[ST_N] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SEEN] = "SELECT 1 FROM applied WHERE id = ?1",
    [ST_DELETE] = "DELETE FROM target WHERE key = ?1",
    [ST_UPSERT] = "INSERT INTO target(key, payload) VALUES (?1, ?2) "
                  "ON CONFLICT(key) DO UPDATE SET payload = excluded.payload",
    [ST_APPLIED] = "INSERT INTO applied(id, key, op, at, payload) VALUES (?1, ?2, "
                   "?3, ?4, ?5)",
    [ST_COUNT] = "INSERT INTO counts(key, n) VALUES (?1, 1) "
                 "ON CONFLICT(key) DO UPDATE SET n = n + 1",
    [ST_SEND] = "INSERT INTO sends(id, key, attempt, answer, pid) "
                "VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_PROBE] = "INSERT INTO probes(at, answer) VALUES (?1, ?2)",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS target(key TEXT PRIMARY KEY, payload TEXT);"
    "CREATE TABLE IF NOT EXISTS applied(id TEXT PRIMARY KEY, key TEXT,"
    " op TEXT, at INTEGER, payload TEXT);"
    "CREATE TABLE IF NOT EXISTS counts(key TEXT PRIMARY KEY, n INTEGER);"
    "CREATE TABLE IF NOT EXISTS sends(id TEXT, key TEXT, attempt INTEGER,"
    " answer TEXT, pid INTEGER);"
    "CREATE TABLE IF NOT EXISTS probes(at INTEGER, answer TEXT);"
    "CREATE TABLE IF NOT EXISTS lifecycle(event TEXT, pid INTEGER);";

#ifndef TESTSINK_ABI_MINOR
#define TESTSINK_ABI_MINOR WEIR_ABI_MINOR
#define TESTSINK_NAME "testsink"
#endif

typedef struct field {
    const char *name;
    size_t pos;
} field;

typedef struct state {
    const weir_host *host;
    weir_instance *inst;
    sqlite3 *db;
    sqlite3_stmt *st[ST_N];
    const char *retry_keys, *reject_keys, *hold_keys, *silent_keys;
    long long write_delay_ms;
    const char *down_file;
    const char *crash_after_key;
    const char *reject_field;
    const char *assign_ids;
    const char *refuse_batch_keys;
    const char *gate_field, *state_key;
    long long gate_timeout_ms;
    long long retry_times;
    char *buf; /* payload being built */
    size_t cap;
    field *order; /* the record's fields, sorted by name */
    size_t order_cap;
} state;

static const weir_option_spec options[] = {
    WEIR_OPTION("database", WEIR_OPTION_PATH, WEIR_OPTION_REQUIRED,
                WEIR_KIND_SINK, NULL, "the sink's own SQLite database"),
    WEIR_OPTION("retry-keys", WEIR_OPTION_LIST, 0, WEIR_KIND_SINK, NULL,
                "keys answered RETRY"),
    WEIR_OPTION("retry-times", WEIR_OPTION_INT, 0, WEIR_KIND_SINK, "-1",
                "answer RETRY while the attempt is <= this (-1: always)"),
    WEIR_OPTION("reject-keys", WEIR_OPTION_LIST, 0, WEIR_KIND_SINK, NULL,
                "keys answered REJECT"),
    WEIR_OPTION("down-file", WEIR_OPTION_PATH, 0, WEIR_KIND_SINK, NULL,
                "while this file exists, every record is answered DOWN"),
    WEIR_OPTION("hold-keys", WEIR_OPTION_LIST, 0, WEIR_KIND_SINK, NULL,
                "keys answered HOLD"),
    WEIR_OPTION("silent-keys", WEIR_OPTION_LIST, 0, WEIR_KIND_SINK, NULL,
                "keys given no answer at all"),
    WEIR_OPTION("crash-after-key", WEIR_OPTION_STRING, 0, WEIR_KIND_SINK, NULL,
                "die (SIGKILL) once a batch holding this key is committed"),
    WEIR_OPTION("reject-field", WEIR_OPTION_LIST, 0, WEIR_KIND_SINK, NULL,
                "fields: the first not empty is a REJECT with its value"),
    WEIR_OPTION("write-delay", WEIR_OPTION_DURATION, 0, WEIR_KIND_SINK, NULL,
                "sleep this long in every write() (a slow target)"),
    WEIR_OPTION("assign-ids", WEIR_OPTION_STRING, 0, WEIR_KIND_SINK, NULL,
                "answer OK with this prefix and the key as the assigned id"),
    WEIR_OPTION("refuse-batch-keys", WEIR_OPTION_LIST, 0, WEIR_KIND_SINK,
                NULL, "keys whose batch is refused as a whole (SPLIT)"),
    WEIR_OPTION("gate-field", WEIR_OPTION_STRING, 0, WEIR_KIND_SINK, NULL,
                "a record with this field set waits for the file it names"),
    WEIR_OPTION("gate-timeout", WEIR_OPTION_DURATION, 0, WEIR_KIND_SINK,
                "2m", "how long gate-field waits"),
    WEIR_OPTION("state-key", WEIR_OPTION_STRING, 0, WEIR_KIND_SINK, NULL,
                "write() sets this plugin state key first"),
    WEIR_OPTION_END,
};

/* 1 when `word` is one of the space-separated words of `list` */
static int listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    if (!list || n == 0)
        return 0;
    for (const char *p = list; (p = strstr(p, word)); p++)
        if ((p == list || p[-1] == ' ' || p[-1] == '\t') &&
            (p[n] == ' ' || p[n] == '\t' || p[n] == '\0'))
            return 1;
    return 0;
}

/* Why open() or probe() fails: host->set_error() since ABI 1.2; the
 * testsink_v11 build logs it as an error, as a plugin built for 1.1 does. */
static void ts_error(const weir_host *host, weir_instance *inst,
                     const char *fmt, ...) WEIR_PRINTF(3, 4);
static void ts_error(const weir_host *host, weir_instance *inst,
                     const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
#if TESTSINK_ABI_MINOR >= 2
    host->set_error(inst, "%s", msg);
#else
    host->log(inst, WEIR_LOG_ERROR, "%s", msg);
#endif
}

/* A row of lifecycle(event, pid); SQLITE_OK, or the error. */
static int note_lifecycle(sqlite3 *db, const char *event)
{
    char sql[128];
    snprintf(sql, sizeof(sql),
             "INSERT INTO lifecycle(event, pid) VALUES ('%s', %ld)", event,
             (long)getpid());
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Close an opened instance (noted in lifecycle) or a half-opened one. */
static void ts_release(state *s, int opened)
{
    if (!s)
        return;
    if (opened)
        note_lifecycle(s->db, "close");
    for (int i = 0; i < ST_N; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    free(s->buf);
    free(s->order);
    free(s);
}

static void ts_close(void *vs) { ts_release(vs, 1); }

static weir_status ts_open(weir_instance *inst, const weir_host *host,
                           weir_kind kind, void **out)
{
    if (kind != WEIR_KIND_SINK) {
        ts_error(host, inst, "testsink is a sink only");
        return WEIR_STATUS_ERROR;
    }
    state *s = calloc(1, sizeof(*s));
    if (!s) {
        ts_error(host, inst, "out of memory");
        return WEIR_STATUS_ERROR;
    }
    s->host = host;
    s->inst = inst;
    s->retry_keys = host->option(inst, "retry-keys");
    s->reject_keys = host->option(inst, "reject-keys");
    s->hold_keys = host->option(inst, "hold-keys");
    s->assign_ids = host->option(inst, "assign-ids");
    s->silent_keys = host->option(inst, "silent-keys");
    s->reject_field = host->option(inst, "reject-field");
    s->refuse_batch_keys = host->option(inst, "refuse-batch-keys");
    s->gate_field = host->option(inst, "gate-field");
    if (host->option_duration_ms(inst, "gate-timeout", &s->gate_timeout_ms) != 0)
        s->gate_timeout_ms = 120000;
    s->state_key = host->option(inst, "state-key");
    s->down_file = host->option(inst, "down-file");
    s->crash_after_key = host->option(inst, "crash-after-key");
    if (host->option_int(inst, "retry-times", &s->retry_times) != 0)
        s->retry_times = -1;
    if (host->option_duration_ms(inst, "write-delay", &s->write_delay_ms) != 0)
        s->write_delay_ms = 0;
    const char *path = host->option(inst, "database");
    if (!path) {
        ts_error(host, inst, "option database is required");
        ts_release(s, 0);
        return WEIR_STATUS_ERROR;
    }
    int rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(s->db, 5000);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL);
    for (int i = 0; rc == SQLITE_OK && i < ST_N; i++)
        rc = sqlite3_prepare_v2(s->db, sql_text[i], -1, &s->st[i], NULL);
    if (rc == SQLITE_OK)
        rc = note_lifecycle(s->db, "open");
    if (rc != SQLITE_OK) {
        ts_error(host, inst, "%s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        ts_release(s, 0);
        /* a folder that is not there (yet): the target is unreachable */
        return rc == SQLITE_CANTOPEN ? WEIR_STATUS_DOWN : WEIR_STATUS_ERROR;
    }
    *out = s;
    return WEIR_STATUS_OK;
}

/* run a statement to completion and reset it; SQLITE_OK, or the error */
static int step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static const char *key_of(const state *s, weir_record *r)
{
    const char *k = s->host->record_key(r);
    if (!k)
        k = s->host->record_get(r, "code", NULL);
    if (!k)
        k = s->host->record_get(r, "id", NULL);
    return k;
}

static const char *op_name(weir_op op)
{
    switch (op) {
    case WEIR_OP_INSERT: return "insert";
    case WEIR_OP_UPDATE: return "update";
    case WEIR_OP_DELETE: return "delete";
    default: return "upsert";
    }
}

/* append len bytes to s->buf at *used; -1 out of memory */
static int append(state *s, size_t *used, const char *p, size_t len)
{
    if (*used + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (*used + len + 1 > cap)
            cap *= 2;
        char *nb = realloc(s->buf, cap);
        if (!nb)
            return -1;
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + *used, p, len);
    *used += len;
    s->buf[*used] = '\0';
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const field *)a)->name, ((const field *)b)->name);
}

/* The record's fields as name=value sorted by name, NULL as \N, joined by
 * \x1f, in s->buf; its length in *len.  -1 out of memory. */
static int payload(state *s, const weir_record *r, size_t *len)
{
    const weir_host *h = s->host;
    size_t n = h->record_field_count(r), used = 0;
    if (n > s->order_cap) {
        field *no = realloc(s->order, n * sizeof(*no));
        if (!no)
            return -1;
        s->order = no;
        s->order_cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        s->order[i].name = h->record_field_name(r, i);
        s->order[i].pos = i;
    }
    qsort(s->order, n, sizeof(*s->order), by_name);
    if (append(s, &used, "", 0) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *name = s->order[i].name;
        size_t vlen = 0;
        const char *v = h->record_field_value(r, s->order[i].pos, &vlen);
        if ((i && append(s, &used, "\x1f", 1) != 0) ||
            append(s, &used, name, strlen(name)) != 0 ||
            append(s, &used, "=", 1) != 0 ||
            (v ? append(s, &used, v, vlen) : append(s, &used, "\\N", 2)) != 0)
            return -1;
    }
    *len = used;
    return 0;
}

/* Apply one record unless its id was applied before.  SQLITE_OK with
 * *dup set when it was; else the SQLite error. */
static int apply(state *s, weir_record *r, const char *id, const char *key,
                 int *dup)
{
    const weir_host *h = s->host;
    sqlite3_stmt *st;
    int rc;
    *dup = 0;
    st = s->st[ST_SEEN];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_ROW) {
        *dup = 1;
        return SQLITE_OK;
    }
    if (rc != SQLITE_DONE)
        return rc;
    weir_op op = h->record_op(r);
    size_t len = 0;
    if (op == WEIR_OP_DELETE) {
        st = s->st[ST_DELETE];
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    } else {
        if (payload(s, r, &len) != 0)
            return SQLITE_NOMEM;
        st = s->st[ST_UPSERT];
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, s->buf, (int)len, SQLITE_TRANSIENT);
    }
    if ((rc = step(st)) != SQLITE_OK)
        return rc;
    st = s->st[ST_APPLIED];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, op_name(op), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
    if (op == WEIR_OP_DELETE)
        sqlite3_bind_null(st, 5);
    else
        sqlite3_bind_text(st, 5, s->buf, (int)len, SQLITE_TRANSIENT);
    if ((rc = step(st)) != SQLITE_OK)
        return rc;
    st = s->st[ST_COUNT];
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    return step(st);
}

static int log_send(state *s, const char *id, const char *key, int attempt,
                    const char *answer)
{
    sqlite3_stmt *st = s->st[ST_SEND];
    if (id)
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (key)
        sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, attempt);
    sqlite3_bind_text(st, 4, answer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)getpid());
    return step(st);
}

/* The first non-empty value of the reject-field fields, or NULL. */
static const char *refusal_of(const state *s, weir_record *r)
{
    const char *p = s->reject_field;
    while (p && *p) {
        size_t n = strcspn(p, " ");
        char name[128];
        if (n && n < sizeof(name)) {
            memcpy(name, p, n);
            name[n] = '\0';
            const char *v = s->host->record_get(r, name, NULL);
            if (v && *v)
                return v;
        }
        p += n;
        p += strspn(p, " ");
    }
    return NULL;
}

/* gate-field: wait until the file a record's field names exists. */
static void wait_at_gates(state *s, weir_batch *b)
{
    const weir_host *h = s->host;
    for (size_t i = 0; s->gate_field && i < h->batch_count(b); i++) {
        const char *gate = h->record_get(h->batch_at(b, i), s->gate_field,
                                         NULL);
        if (!gate || !*gate)
            continue;
        char waiting[4096];
        snprintf(waiting, sizeof(waiting), "%s.waiting", gate);
        FILE *f = fopen(waiting, "w");
        if (f)
            fclose(f);
        for (long long t = 0; t < s->gate_timeout_ms / 20 && access(gate, F_OK) != 0; t++) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

/* The gate of `r` (gate-field) that never opened, or NULL. */
static const char *gate_shut(const state *s, const weir_record *r)
{
    const char *gate = s->gate_field ? s->host->record_get(r, s->gate_field,
                                                           NULL)
                                     : NULL;
    return gate && *gate && access(gate, F_OK) != 0 ? gate : NULL;
}

static weir_status ts_write(void *vs, weir_batch *b)
{
    state *s = vs;
    const weir_host *h = s->host;
    size_t n = h->batch_count(b);
    int down = s->down_file && access(s->down_file, F_OK) == 0;
    int no_state = s->state_key &&
                   h->state_set(s->inst, s->state_key, "written") != 0;
    if (!down)
        wait_at_gates(s, b);
    if (s->write_delay_ms > 0) {
        struct timespec ts = {(time_t)(s->write_delay_ms / 1000),
                              (long)(s->write_delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    int rc = step(s->st[ST_BEGIN]);
    size_t i = 0;
    int crash = 0;
    const char *refuse = NULL; /* a key that makes the commit fail */
    for (; rc == SQLITE_OK && i < n; i++) {
        weir_record *r = h->batch_at(b, i);
        const char *id = h->record_id(r);
        const char *key = key_of(s, r);
        int attempt = WEIR_HOST_HAS(h, record_attempt) ? h->record_attempt(r)
                                                        : 1;
        const char *answer;
        const char *refusal = refusal_of(s, r);
        const char *shut = down ? NULL : gate_shut(s, r);
        if (down) {
            h->record_answer(r, WEIR_RESULT_DOWN, "endpoint down", NULL);
            answer = "down";
        } else if (shut) {
            h->record_answerf(r, WEIR_RESULT_REJECT, "gate %s never opened",
                              shut);
            answer = "reject";
        } else if (no_state) {
            h->record_answer(r, WEIR_RESULT_REJECT, "state_set failed", NULL);
            answer = "reject";
        } else if (!key) {
            h->record_answer(r, WEIR_RESULT_REJECT, "no key", NULL);
            answer = "reject";
        } else if (listed(s->silent_keys, key)) {
            answer = "none"; /* the bug under test: no record_answer() */
        } else if (listed(s->hold_keys, key)) {
            h->record_answerf(r, WEIR_RESULT_HOLD, "held %s", key);
            answer = "hold";
        } else if (refusal && *refusal) {
            h->record_answer(r, WEIR_RESULT_REJECT, refusal, NULL);
            answer = "reject";
        } else if (listed(s->reject_keys, key)) {
            h->record_answerf(r, WEIR_RESULT_REJECT, "rejected %s", key);
            answer = "reject";
        } else if (listed(s->retry_keys, key) &&
                   (s->retry_times < 0 || attempt <= s->retry_times)) {
            h->record_answerf(r, WEIR_RESULT_RETRY,
                              "temporary failure for %s", key);
            answer = "retry";
        } else if (!id) {
            h->record_answer(r, WEIR_RESULT_REJECT, "no record id", NULL);
            answer = "reject";
        } else {
            int dup;
            rc = apply(s, r, id, key, &dup);
            if (rc != SQLITE_OK)
                break;
            char assigned[512];
            snprintf(assigned, sizeof(assigned), "%s%s",
                     s->assign_ids ? s->assign_ids : "", key);
            h->record_answer(r, WEIR_RESULT_OK, NULL,
                             s->assign_ids ? assigned : NULL);
            answer = dup ? "duplicate" : "ok";
            crash |= s->crash_after_key && strcmp(key, s->crash_after_key) == 0;
            if (!refuse && listed(s->refuse_batch_keys, key))
                refuse = key;
        }
        rc = log_send(s, id, key, attempt, answer);
    }
    if (rc == SQLITE_OK && refuse) {
        step(s->st[ST_ROLLBACK]);
        ts_error(h, s->inst, "deferred constraint failed for %s", refuse);
        return WEIR_STATUS_SPLIT;
    }
    if (rc == SQLITE_OK)
        rc = step(s->st[ST_COMMIT]);
    if (rc == SQLITE_OK && crash)
        raise(SIGKILL);
    if (rc != SQLITE_OK) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(s->db));
        if (!sqlite3_get_autocommit(s->db))
            step(s->st[ST_ROLLBACK]);
        h->log(s->inst, WEIR_LOG_WARNING, "batch rolled back: %s", msg);
        for (i = 0; i < n; i++)
            h->record_answer(h->batch_at(b, i), WEIR_RESULT_RETRY, msg, NULL);
    }
    return WEIR_STATUS_OK;
}

static weir_status ts_probe(void *vs)
{
    state *s = vs;
    int down = s->down_file && access(s->down_file, F_OK) == 0;
    sqlite3_stmt *st = s->st[ST_PROBE];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
    sqlite3_bind_text(st, 2, down ? "down" : "ok", -1, SQLITE_STATIC);
    if (step(st) != SQLITE_OK) {
        ts_error(s->host, s->inst, "probe: %s", sqlite3_errmsg(s->db));
        return WEIR_STATUS_ERROR;
    }
    if (down) {
        ts_error(s->host, s->inst, "endpoint down (probe)");
        return WEIR_STATUS_DOWN;
    }
    return WEIR_STATUS_OK;
}

static weir_status ts_flush(void *vs)
{
    (void)vs;
    return WEIR_STATUS_OK;
}

WEIR_PLUGIN_DEFINE = {
    .abi_major = WEIR_ABI_MAJOR,
    .abi_minor = TESTSINK_ABI_MINOR,
    .struct_size = sizeof(struct weir_plugin),
    .option_spec_size = sizeof(weir_option_spec),
    .kinds = WEIR_KIND_SINK,
#ifdef TESTSINK_FLAGS
    .flags = TESTSINK_FLAGS,
#endif
    .name = TESTSINK_NAME,
    .version = "1",
    .description = "test sink: applies records to its own SQLite database, "
                   "idempotently by record id; fails on request",
    .options = options,
    .open = ts_open,
    .write = ts_write,
    .flush = ts_flush,
    .close = ts_close,
    .probe = ts_probe, /* never called for testsink_v11: see the top */
};
