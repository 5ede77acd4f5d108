/*
 * state_sqlite.c - the SQLite backend of the state database (state.h).
 *
 * WAL so readers (monitor, status) never block a run; a busy timeout so
 * two weir processes on one file queue instead of failing at once.
 * Migrations only go forward; each runs in one transaction.  Nothing is
 * written to a file before it is known to be a weir state (or made new
 * where no file was); readers open read-only and never migrate.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "store/sqlite/state_int.h"

#define BUSY_TIMEOUT_MS 10000

/* Migration N takes schema N-1 to N. */
static const char *const migrations[] = {
    /* 1: run history, pipeline files, plugin state */
    "CREATE TABLE pipelines ("
    "  name TEXT PRIMARY KEY, file TEXT NOT NULL, type TEXT,"
    "  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);"
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY, pipeline TEXT NOT NULL, mode TEXT,"
    "  started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,"
    "  records_read INTEGER NOT NULL DEFAULT 0,"
    "  written INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,"
    "  dropped INTEGER NOT NULL DEFAULT 0, held INTEGER NOT NULL DEFAULT 0,"
    "  retry INTEGER NOT NULL DEFAULT 0, message TEXT, pid INTEGER);"
    "CREATE INDEX runs_by_pipeline ON runs(pipeline, id);"
    "CREATE TABLE plugin_state ("
    "  pipeline TEXT NOT NULL, instance TEXT NOT NULL, key TEXT NOT NULL,"
    "  value TEXT, PRIMARY KEY (pipeline, instance, key));",

    /* 2: change-tracking snapshots, the outbox, endpoint health */
    /* pid: the pipeline's rowid in `pipelines`, so a million rows do not
     * repeat its name */
    "CREATE TABLE snapshots ("
    "  pid INTEGER NOT NULL, key TEXT NOT NULL, hash INTEGER NOT NULL,"
    "  version INTEGER NOT NULL, PRIMARY KEY (pid, key)) WITHOUT ROWID;"
    /* snapshots of a run whose sinks publish only when it completes
     * (finish()): moved into snapshots then, dropped if it never does */
    "CREATE TABLE snapshot_stage ("
    "  pid INTEGER NOT NULL, key TEXT NOT NULL, hash INTEGER NOT NULL,"
    "  version INTEGER NOT NULL, PRIMARY KEY (pid, key)) WITHOUT ROWID;"
    "CREATE TABLE track_state ("
    "  pipeline TEXT PRIMARY KEY, last_full_refresh INTEGER NOT NULL);"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY, pipeline TEXT NOT NULL, sink TEXT NOT NULL,"
    "  key TEXT, idem TEXT NOT NULL, op TEXT NOT NULL, type TEXT,"
    "  payload TEXT NOT NULL, status TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt INTEGER NOT NULL DEFAULT 0, error TEXT, held_by TEXT,"
    "  origin INTEGER, created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    /* only rows not yet delivered: the history does not slow delivery */
    "CREATE INDEX outbox_open ON outbox(pipeline, sink, id) WHERE "
    "  status IN ('pending', 'in_flight', 'retry', 'held', 'failed');"
    "CREATE INDEX outbox_open_by_key ON outbox(pipeline, sink, key, id) WHERE "
    "  status IN ('pending', 'in_flight', 'retry', 'held', 'failed');"
    "CREATE INDEX outbox_delivered ON outbox(updated) WHERE "
    "  status = 'delivered';"
    "CREATE TABLE attempts ("
    "  outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL, result TEXT NOT NULL, message TEXT);"
    "CREATE INDEX attempts_by_row ON attempts(outbox_id);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE endpoints ("
    "  pipeline TEXT NOT NULL, sink TEXT NOT NULL, down INTEGER NOT NULL,"
    "  failures INTEGER NOT NULL, probes INTEGER NOT NULL,"
    "  since INTEGER NOT NULL, next_probe INTEGER NOT NULL, error TEXT,"
    "  PRIMARY KEY (pipeline, sink));",

    /* 3: the lost answer (state.h): snapshot values are intents before
     * the sinks see them.  snapshots.intent: 0 settled, -1 in doubt,
     * else the intent's number, in doubt while above track_state.settled;
     * snapshots.op: the operation it was sent with (0 upsert, 1 insert,
     * 2 update, 3 delete), so a change in doubt goes again as it went */
    "ALTER TABLE snapshots ADD COLUMN intent INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE snapshots ADD COLUMN op INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE track_state ADD COLUMN intent INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE track_state ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;"
    /* what a run staged and never published may have reached the target:
     * intent 1, unsettled, so the next run says so and sends it again */
    "INSERT INTO snapshots(pid, key, hash, version, intent) SELECT pid, key,"
    "  hash, version, 1 FROM snapshot_stage WHERE true ON CONFLICT(pid, key)"
    "  DO UPDATE SET hash = excluded.hash, version = excluded.version,"
    "  intent = 1;"
    "INSERT INTO track_state(pipeline, last_full_refresh, intent) SELECT name,"
    "  0, 1 FROM pipelines WHERE rowid IN (SELECT pid FROM snapshot_stage)"
    "  ON CONFLICT(pipeline) DO UPDATE SET intent = max(intent, 1);"
    "DROP TABLE snapshot_stage;"
    /* rows that ended without a send are pruned like delivered ones */
    "DROP INDEX outbox_delivered;"
    "CREATE INDEX outbox_ended ON outbox(updated) WHERE "
    "  status IN ('delivered', 'superseded', 'discarded');",

    /* 4: several workers share the outbox (state.h, claiming): a row in
     * flight belongs to lease_owner until lease_until (0: to nobody, due
     * at once, as a row found in flight after a crash always was);
     * endpoint health changes are compare-and-set on version */
    "ALTER TABLE outbox ADD COLUMN lease_owner TEXT;"
    "ALTER TABLE outbox ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX outbox_leases ON outbox(lease_owner) WHERE "
    "  status = 'in_flight';"
    "ALTER TABLE endpoints ADD COLUMN version INTEGER NOT NULL DEFAULT 1;",

    /* 5: holds by transforms and ids the targets assigned.  outbox.stage:
     * the transform a row re-enters at (state.h); while it holds the row,
     * held_by = stage.  assigned_ids: per pipeline, sink and key, the id
     * the target gave the latest acknowledged record (xref's create) */
    "ALTER TABLE outbox ADD COLUMN stage TEXT;"
    "ALTER TABLE outbox ADD COLUMN wait_key TEXT;"
    "ALTER TABLE outbox ADD COLUMN assigned_id TEXT;"
    "CREATE INDEX outbox_waiting ON outbox(wait_key) WHERE "
    "  status = 'held' AND held_by = stage;"
    "CREATE TABLE assigned_ids ("
    "  pipeline TEXT NOT NULL, sink TEXT NOT NULL, key TEXT NOT NULL,"
    "  assigned_id TEXT NOT NULL, at INTEGER NOT NULL,"
    "  PRIMARY KEY (pipeline, sink, key)) WITHOUT ROWID;",

    /* 6: cross-references (xref.h).  A link is one row, its ends ordered
     * (a_system < b_system); the two UNIQUE constraints make it one to
     * one in each direction and are the indexes of lookups from either
     * end.  seq orders links for the xref source: AUTOINCREMENT, so a
     * removed link's number is never handed out again.  xref_history
     * keeps links a merge replaced or a remove took away;
     * xref_sequences the next number of generate per (entity, system,
     * prefix). */
    "CREATE TABLE xref_links ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT NOT NULL,"
    "  a_system TEXT NOT NULL, a_id TEXT NOT NULL,"
    "  b_system TEXT NOT NULL, b_id TEXT NOT NULL,"
    "  origin TEXT NOT NULL CHECK (origin IN ('manual', 'generated',"
    "    'created', 'merged')),"
    "  created INTEGER NOT NULL, CHECK (a_system < b_system),"
    "  UNIQUE (entity, a_system, a_id, b_system),"
    "  UNIQUE (entity, b_system, b_id, a_system));"
    "CREATE TABLE xref_history ("
    "  id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
    "  action TEXT NOT NULL, note TEXT, seq INTEGER NOT NULL,"
    "  entity TEXT NOT NULL, a_system TEXT NOT NULL, a_id TEXT NOT NULL,"
    "  b_system TEXT NOT NULL, b_id TEXT NOT NULL, origin TEXT NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE INDEX xref_history_by_entity ON xref_history(entity, id);"
    "CREATE TABLE xref_sequences ("
    "  entity TEXT NOT NULL, system TEXT NOT NULL, prefix TEXT NOT NULL,"
    "  next INTEGER NOT NULL, PRIMARY KEY (entity, system, prefix))"
    "  WITHOUT ROWID;",

    /* 7: creates by xref (missing="create").  outbox.link: the link the
     * sink's acknowledgement makes (state.h); an open row with it means
     * a create of that id is under way.  outbox_provisional: refused rows
     * a release sends through their transform again (missing="keep") */
    "ALTER TABLE outbox ADD COLUMN link TEXT;"
    "CREATE INDEX outbox_links ON outbox(link) WHERE link IS NOT NULL;"
    "CREATE INDEX outbox_provisional ON outbox(wait_key) WHERE "
    "  status = 'failed' AND stage IS NOT NULL;",

    /* 8: echo suppression (engine/echo.h).  echo_written: what weir last
     * wrote into a system per entity and key, as per-field hashes (one
     * blob, engine/echo.c's format), and when.  track_fields: the same
     * for a <track> key's snapshot value (hash says which value), kept
     * only for the pipelines that take part. */
    "CREATE TABLE echo_written ("
    "  system TEXT NOT NULL, entity TEXT NOT NULL, key TEXT NOT NULL,"
    "  fields BLOB NOT NULL, at INTEGER NOT NULL,"
    "  PRIMARY KEY (system, entity, key)) WITHOUT ROWID;"
    "CREATE TABLE track_fields ("
    "  pid INTEGER NOT NULL, key TEXT NOT NULL, hash INTEGER NOT NULL,"
    "  fields BLOB NOT NULL, PRIMARY KEY (pid, key)) WITHOUT ROWID;",

    /* 9: what changed (engine/changes.h).  track_values: per key of a
     * <track changes="keep">, the values it last passed on (one blob,
     * engine/changes.c's format) and the snapshot value (hash) they
     * belong to.  outbox.changes and outbox.resent: why a tracked record
     * was sent (state.h) */
    "CREATE TABLE track_values ("
    "  pid INTEGER NOT NULL, key TEXT NOT NULL, hash INTEGER NOT NULL,"
    "  vals BLOB NOT NULL, PRIMARY KEY (pid, key)) WITHOUT ROWID;"
    "ALTER TABLE outbox ADD COLUMN changes TEXT;"
    "ALTER TABLE outbox ADD COLUMN resent TEXT;",

    /* 10: track_state.generation: changes with every write to the
     * pipeline's snapshot (state.h, weir_state_snapshot_generation) */
    "ALTER TABLE track_state ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == WEIR_STATE_SCHEMA,
               "one migration per schema version");

static void set_err(weir_error *err, weir_error_class cls, const char *path,
                    const char *what, const char *detail)
{
    weir_error_set(err, cls, "state database %s: %s%s%s", path, what,
                   detail ? ": " : "", detail ? detail : "");
}

/* Now as UTC ISO 8601 with milliseconds, on the clock the outbox uses:
 * a run's end then orders exactly against the rows it left. */
static void iso_of(int64_t ms, char *buf, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n + sizeof(".000Z") <= size)
        snprintf(buf + n, size - n, ".%03uZ", (unsigned)(ms % 1000) % 1000u);
}

static void now_iso(char *buf, size_t size)
{
    iso_of(weir_clock_now_ms(), buf, size);
}

int sq_history_prune(weir_store_conn *st, int64_t before)
{
    if (sq_outbox_prune(st, before))
        return -1;
    /* the run history too, but each pipeline's last run (status) */
    char iso[32];
    iso_of(before, iso, sizeof(iso));
    const char *args[] = {iso};
    return sq__exec(st, "DELETE FROM runs WHERE finished < ?1 AND id NOT IN "
                        "(SELECT max(id) FROM runs GROUP BY pipeline)",
                    1, args);
}

static int get_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* The class of a failed statement's error (base/error.h). */
static weir_error_class class_of(sqlite3 *db)
{
    switch (sqlite3_extended_errcode(db) & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return WEIR_ERR_BUSY;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return WEIR_ERR_CORRUPT;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return WEIR_ERR_READONLY;
    case SQLITE_FULL:
        return WEIR_ERR_FULL;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return WEIR_ERR_IO;
    case SQLITE_NOMEM:
        return WEIR_ERR_NOMEM;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
        return WEIR_ERR_USAGE;
    default:
        return WEIR_ERR_INTERNAL;
    }
}

/* Why a failed statement failed, in the admin's terms. */
static const char *what_failed(sqlite3 *db)
{
    switch (sqlite3_extended_errcode(db) & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "is locked by another process";
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return "is corrupt or not a weir state database";
    case SQLITE_READONLY:
        return "is read-only";
    default:
        return "cannot be used";
    }
}

/* Refuse a database that is not this weir's to use: one written by a
 * newer weir, another application's (version 0 with tables of its own),
 * and, for a reader (which never migrates), one older than this weir. */
static int check_schema(weir_store_conn *st, int version, int reader, weir_error *err)
{
    if (version > NMIGRATIONS) {
        char detail[128];
        snprintf(detail, sizeof(detail),
                 "schema version %d, this weir knows up to %d; upgrade weir",
                 version, NMIGRATIONS);
        set_err(err, WEIR_ERR_VERSION, st->path, "written by a newer weir", detail);
        return -1;
    }
    if (version == 0) {
        /* Never adopt another application's database as our state. */
        sqlite3_stmt *s = sq__prepare(
            st, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE "
                "'sqlite_%'", 0, NULL);
        int step = s ? sqlite3_step(s) : SQLITE_ERROR;
        int foreign = step == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
        sqlite3_finalize(s);
        if (step != SQLITE_ROW) {
            set_err(err, class_of(st->db), st->path, what_failed(st->db),
                           sqlite3_errmsg(st->db));
            return -1;
        }
        if (foreign) {
            set_err(err, WEIR_ERR_CORRUPT, st->path, "is not a weir state database",
                           "it holds other tables; choose another --state "
                           "file");
            return -1;
        }
    }
    if (reader && version < NMIGRATIONS) {
        char detail[160];
        snprintf(detail, sizeof(detail),
                 "schema version %d, this weir reads %d; run weir run or "
                 "weir drain once to bring it up to date",
                 version, NMIGRATIONS);
        set_err(err, WEIR_ERR_VERSION, st->path, "is from an older weir", detail);
        return -1;
    }
    return 0;
}

/* Read the schema version and check it (check_schema), changing nothing. */
static int read_schema(weir_store_conn *st, int reader, int *version, weir_error *err)
{
    *version = 0;
    if (get_version(st->db, version)) {
        set_err(err, class_of(st->db), st->path, what_failed(st->db), sqlite3_errmsg(st->db));
        return -1;
    }
    return check_schema(st, *version, reader, err);
}

/* Bring the schema up to date in one IMMEDIATE transaction: the version
 * is read inside it, so two processes opening a new file never both
 * migrate (the second waits, then finds the work done). */
static int migrate(weir_store_conn *st, weir_error *err)
{
    char *msg = NULL;
    int version = 0;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
        set_err(err, class_of(st->db), st->path, what_failed(st->db),
                       msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return -1;
    }
    if (read_schema(st, 0, &version, err))
        goto fail;
    for (int v = version; v < NMIGRATIONS; v++) {
        char pragma[64];
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(st->db, migrations[v], NULL, NULL, &msg) ||
            sqlite3_exec(st->db, pragma, NULL, NULL, &msg)) {
            set_err(err, class_of(st->db), st->path, "cannot migrate the schema",
                           msg ? msg : sqlite3_errmsg(st->db));
            sqlite3_free(msg);
            goto fail;
        }
    }
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
        set_err(err, class_of(st->db), st->path, what_failed(st->db),
                       msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        goto fail;
    }
    return 0;
fail:
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* Switch to WAL.  Needs a moment of exclusive access on a new file, which
 * the busy handler does not cover: retry for up to the busy timeout. */
static int use_wal(weir_store_conn *st, char **msg)
{
    for (int tries = 0;; tries++) {
        int rc = sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL, msg);
        int busy = (sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_BUSY;
        if (rc == SQLITE_OK || !busy || tries * 50 >= BUSY_TIMEOUT_MS)
            return rc == SQLITE_OK ? 0 : -1;
        sqlite3_free(*msg);
        *msg = NULL;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int query_text(weir_store_conn *st, const char *sql, int n,
                      const char *const *args, char **out);

/* st->wal: whether SQLite kept the file in WAL mode (0, -1 on error). */
static int journal_is_wal(weir_store_conn *st)
{
    char *mode = NULL;
    if (query_text(st, "PRAGMA journal_mode", 0, NULL, &mode) < 0)
        return -1;
    st->wal = mode && strcmp(mode, "wal") == 0;
    free(mode);
    return 0;
}

/* How often the state is checked for corruption at open: a full check
 * reads the whole file (about 0.2 s per million snapshot rows), so by
 * default once a day; WEIR_INTEGRITY_CHECK=always|daily|never. */
#define CHECK_EVERY_MS (24LL * 3600 * 1000)

static int check_integrity(weir_store_conn *st, weir_error *err)
{
    const char *mode = getenv("WEIR_INTEGRITY_CHECK");
    if (mode && strcmp(mode, "never") == 0)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    char *last = NULL, *result = NULL;
    /* a meta table that cannot be read: check now */
    int rc = query_text(st, "SELECT value FROM meta WHERE key = "
                            "'integrity_checked'", 0, NULL, &last);
    int64_t when = rc == 0 && last ? strtoll(last, NULL, 10) : 0;
    free(last);
    if (!(mode && strcmp(mode, "always") == 0) && now - when < CHECK_EVERY_MS)
        return 0;
    if (query_text(st, "PRAGMA quick_check(1)", 0, NULL, &result) != 0 ||
        !result || strcmp(result, "ok") != 0) {
        set_err(err, WEIR_ERR_CORRUPT, st->path, "is corrupt (integrity check failed)",
                       result ? result : sqlite3_errmsg(st->db));
        free(result);
        return -1;
    }
    free(result);
    char stamp[32];
    snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
    const char *args[] = {stamp};
    sq__exec(st, "INSERT INTO meta(key, value) VALUES "
                         "('integrity_checked', ?1) ON CONFLICT(key) DO UPDATE "
                         "SET value = excluded.value", 1, args);
    return 0;
}

/* Once per process, before SQLite's first use: no memory statistics.
 * Kept, they put every allocation of every connection behind one global
 * mutex, and a sink that writes beside the run's thread (its own
 * connection) then waited on the state's: the first load of 1,000,000
 * rows spent 0.4 s more in the kernel (docs/benchmarks.md).  weir reads
 * no statistics.  Too late (SQLite already initialized) it is refused,
 * harmlessly. */
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* A handle on `db_file` (SQLite flags `flags`), named `path` in
 * messages.  NULL with *err set on failure. */
static weir_store_conn *open_handle(const char *path, const char *db_file,
                               int flags, weir_error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    weir_store_conn *st = calloc(1, sizeof(*st));
    if (!st || !(st->path = strdup(path))) {
        free(st);
        set_err(err, WEIR_ERR_NOMEM, path, "out of memory", NULL);
        return NULL;
    }
    st->lock_fd = -1;
    int rc = sqlite3_open_v2(db_file, &st->db, flags | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        set_err(err, WEIR_ERR_IO, path, "cannot open", sqlite3_errstr(rc));
        sq_close(st);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(st->db, 1);
    return st;
}

/* A new state is made complete beside `path` (schema and all) and only
 * then linked into place, so a state file weir finds is never one that
 * another weir is still making, and an empty file is never mistaken for
 * a new state.  0 when `path` exists afterwards (made here, or by another
 * weir at the same moment). */
static int create_state(const char *path, weir_error *err)
{
    size_t n = strlen(path) + sizeof(".new-XXXXXX");
    char *tmp = malloc(n);
    if (!tmp) {
        set_err(err, WEIR_ERR_NOMEM, path, "out of memory", NULL);
        return -1;
    }
    snprintf(tmp, n, "%s.new-XXXXXX", path);
    /* mkstemp: mode 0600 whatever the umask (business data and ids) */
    int fd = mkstemp(tmp);
    if (fd < 0) {
        set_err(err, WEIR_ERR_IO, path, "cannot open", strerror(errno));
        free(tmp);
        return -1;
    }
    close(fd);
    int rc = -1;
    weir_store_conn *st = open_handle(path, tmp, SQLITE_OPEN_READWRITE, err);
    if (st && migrate(st, err) == 0) {
        sq_close(st); /* nothing left in a journal */
        st = NULL;
        if (link(tmp, path) == 0 || errno == EEXIST)
            rc = 0;
        else
            set_err(err, WEIR_ERR_IO, path, "cannot create", strerror(errno));
    }
    sq_close(st);
    unlink(tmp);
    free(tmp);
    return rc;
}

/* Is there a usable file at `path`?  1 yes, 0 none (ENOENT), -1 no (an
 * empty file, one weir may not write, ...; *err set).  Nothing is
 * changed. */
static int existing_file(const char *path, int reader, weir_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return 0;
        set_err(err, WEIR_ERR_IO, path, "cannot open", strerror(errno));
        return -1;
    }
    if (sb.st_size == 0) {
        /* A truncated copy or a touched file: taking it for a new state
         * would send everything again (or skip changes), silently. */
        set_err(err, WEIR_ERR_CORRUPT, path, "is an empty file, not a weir state",
                       "weir makes a new state only where no file exists; "
                       "to start afresh (every record is sent again), "
                       "delete it");
        return -1;
    }
    if (!reader && access(path, W_OK) != 0 &&
        (errno == EACCES || errno == EROFS || errno == EPERM)) {
        set_err(err, WEIR_ERR_READONLY, path, "is read-only", strerror(errno));
        return -1;
    }
    return 1;
}

static weir_store_conn *open_writer(const char *path, int must_exist,
                                    weir_error *err)
{
    if (sq__check_open_term()) {
        set_err(err, WEIR_ERR_INTERNAL, path, "cannot be used",
                "this weir's outbox statuses and its SQLite terms disagree");
        return NULL;
    }
    int have = existing_file(path, 0, err);
    if (have == 0 && must_exist)
        set_err(err, WEIR_ERR_IO, path, "not found", NULL);
    if (have < 0 || (have == 0 && (must_exist || create_state(path, err))))
        return NULL;
    weir_store_conn *st = open_handle(path, path, SQLITE_OPEN_READWRITE, err);
    if (!st)
        return NULL;
    if (sqlite3_db_readonly(st->db, "main") == 1) {
        set_err(err, WEIR_ERR_READONLY, path, "is read-only", NULL);
        sq_close(st);
        return NULL;
    }
    /* Look before changing anything: WAL rewrites the file's header, and
     * a foreign or newer database must be left exactly as it was. */
    int version;
    char *msg = NULL;
    if (read_schema(st, 0, &version, err)) {
        sq_close(st);
        return NULL;
    }
    /* No mmap: it made loading a million snapshot rows no faster, and
     * every page it touched (and the kernel's neighbours of it: the
     * kept values of changes="keep" lie between the snapshot's pages)
     * counted as the run's memory (docs/benchmarks.md).  The WAL is
     * copied into the file when a run ends (sq_run_end) and when it
     * reaches 64 MiB, not every 4 MiB (SQLite's default): a run that
     * changes the same pages again and again (the snapshot's) writes
     * each to the file once, in one copy (two syncs) instead of dozens.
     * Emptied, it shrinks back to 4 MiB (weir serve keeps it open). */
    if (use_wal(st, &msg) ||
        sqlite3_exec(st->db,
                     "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                     "PRAGMA mmap_size=0; PRAGMA cache_size=-8192; "
                     "PRAGMA wal_autocheckpoint=16384; "
                     "PRAGMA journal_size_limit=4194304",
                     NULL, NULL, &msg) ||
        journal_is_wal(st)) {
        set_err(err, class_of(st->db), path, what_failed(st->db),
                       msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        sq_close(st);
        return NULL;
    }
    if (migrate(st, err) || check_integrity(st, err)) {
        sq_close(st);
        return NULL;
    }
    return st;
}

/* "file:PATH?immutable=1", PATH escaped for a URI. (owned) NULL: ENOMEM */
static char *immutable_uri(const char *path)
{
    size_t n = strlen(path);
    char *uri = malloc(sizeof("file:?immutable=1") + 3 * n);
    if (!uri)
        return NULL;
    char *o = uri + sprintf(uri, "file:");
    for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
        if (*c == '%' || *c == '?' || *c == '#' || *c <= ' ' || *c >= 0x7f)
            o += sprintf(o, "%%%02X", *c);
        else
            *o++ = (char)*c;
    }
    strcpy(o, "?immutable=1");
    return uri;
}

/* A reader that may not write the state's folder cannot make the -shm
 * file SQLite needs for a WAL database.  When no -wal file exists no
 * weir has the state open (the last to close removes it), so the file
 * is complete as it is and may be read as immutable. */
static weir_store_conn *open_unwritable(const char *path, weir_error *err)
{
    size_t n = strlen(path) + sizeof("-wal");
    char *wal = malloc(n);
    if (!wal) {
        set_err(err, WEIR_ERR_NOMEM, path, "out of memory", NULL);
        return NULL;
    }
    snprintf(wal, n, "%s-wal", path);
    int running = access(wal, F_OK) == 0;
    free(wal);
    if (running) {
        set_err(err, WEIR_ERR_BUSY, path, "cannot be read", "a weir process has it open "
                       "and this user may not write its folder, where "
                       "SQLite keeps its -shm file; try again when it is "
                       "done, or as a user who may");
        return NULL;
    }
    char *uri = immutable_uri(path);
    weir_store_conn *st = uri ? open_handle(path, uri, SQLITE_OPEN_READONLY |
                                                      SQLITE_OPEN_URI, err)
                         : NULL;
    if (!uri)
        set_err(err, WEIR_ERR_NOMEM, path, "out of memory", NULL);
    free(uri);
    return st;
}

static weir_store_conn *open_reader(const char *path, weir_error *err)
{
    int have = existing_file(path, 1, err);
    if (have == 0)
        set_err(err, WEIR_ERR_IO, path, "not found", NULL);
    if (have <= 0)
        return NULL;
    weir_store_conn *st = open_handle(path, path, SQLITE_OPEN_READONLY, err);
    int version;
    if (st && get_version(st->db, &version) &&
        (sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_READONLY) {
        sq_close(st);
        st = open_unwritable(path, err);
    }
    if (st && (read_schema(st, 1, &version, err) ||
               sqlite3_exec(st->db, "PRAGMA query_only=1", NULL, NULL,
                            NULL) != SQLITE_OK)) {
        if (err->cls == WEIR_ERR_NONE)
            set_err(err, class_of(st->db), path, what_failed(st->db), sqlite3_errmsg(st->db));
        sq_close(st);
        return NULL;
    }
    return st;
}

const char *sq_worker(weir_store_conn *st)
{
    return sq__worker_register(st);
}

weir_store_conn *sq_open(const char *path, weir_store_mode mode,
                         weir_error *err)
{
    if (mode == WEIR_STORE_READ)
        return open_reader(path, err);
    return open_writer(path, mode == WEIR_STORE_EXISTING, err);
}

void sq_close(weir_store_conn *st)
{
    if (!st)
        return;
    if (st->worker)
        sq_outbox_unclaim(st);
    sqlite3_stmt *cached[] = {st->snap_put, st->ob_add, st->ob_settle,
                              st->ob_attempt, st->ob_claim, st->ob_take,
                              st->ob_assigned, st->echo_put, st->echo_get,
                              st->tf_put, st->tf_get, st->tv_put,
                              st->tv_del, st->tv_get};
    for (size_t i = 0; i < sizeof(cached) / sizeof(cached[0]); i++)
        sqlite3_finalize(cached[i]);
    sqlite3_close(st->db);
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    free(st->endpoint_err);
    free(st->worker);
    weir_error_clear(&st->err);
    free(st->pid_name);
    free(st->path);
    free(st);
}


sqlite3_stmt *sq__prepare(weir_store_conn *st, const char *sql, int n,
                                  const char *const *args)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return NULL;
    for (int i = 0; i < n; i++)
        sqlite3_bind_text(s, i + 1, args[i], -1, SQLITE_TRANSIENT);
    return s;
}

int sq__exec(weir_store_conn *st, const char *sql, int n,
                     const char *const *args)
{
    sqlite3_stmt *s = sq__prepare(st, sql, n, args);
    if (!s)
        return -1;
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int sq__exec_int(weir_store_conn *st, const char *sql, const char *text,
                         int64_t value)
{
    sqlite3_stmt *s = sq__prepare(st, sql, 1, &text);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 2, value);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

sqlite3_stmt *sq__cached(weir_store_conn *st, sqlite3_stmt **slot,
                                 const char *sql)
{
    if (!*slot && sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                     slot, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_reset(*slot);
    sqlite3_clear_bindings(*slot);
    return *slot;
}

const char *sq__text_or_null(sqlite3_stmt *s, int col)
{
    return (const char *)sqlite3_column_text(s, col);
}

const char *sq__text(sqlite3_stmt *s, int col)
{
    const char *t = sq__text_or_null(s, col);
    return t ? t : "";
}

/* The error is read from SQLite when asked for: every failing call left
 * it there, and the calls that fail outside SQLite (the lock file, out of
 * memory) set st->err and leave SQLite's code at SQLITE_OK. */
int sq__each_count(weir_store_conn *st, const char *sql, const char *arg,
                   int (*fn)(const char *name, int64_t n, void *ctx),
                   void *ctx)
{
    sqlite3_stmt *s = sq__prepare(st, sql, 1, &arg);
    if (!s)
        return -1;
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = fn(sq__text(s, 0), sqlite3_column_int64(s, 1), ctx);
    if (!rc && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(s);
    return rc;
}

const weir_error *sq_error(weir_store_conn *st)
{
    int code = sqlite3_errcode(st->db);
    if (code != SQLITE_OK && code != SQLITE_ROW && code != SQLITE_DONE)
        weir_error_set(&st->err, class_of(st->db), "state database %s: %s",
                       st->path, sqlite3_errmsg(st->db));
    else if (st->err.cls == WEIR_ERR_NONE)
        weir_error_set(&st->err, WEIR_ERR_INTERNAL, "state database %s: "
                       "failed without a reason", st->path);
    return &st->err;
}

/* Back to syncing every commit after a lazy transaction (SQLite takes
 * the setting only outside a transaction).  0, or -1: the connection
 * stays lazy, and every later begin and commit fails until this works. */
static int durable_again(weir_store_conn *st)
{
    if (!st->lazy || !sqlite3_get_autocommit(st->db))
        return 0;
    if (sqlite3_exec(st->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL))
        return -1;
    st->lazy = 0;
    return 0;
}

int sq_begin(weir_store_conn *st)
{
    return !durable_again(st) &&
                   sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL,
                                NULL) == SQLITE_OK
               ? 0 : -1;
}

/* In WAL mode, synchronous=NORMAL commits without syncing the WAL: the
 * next commit that syncs it (any connection's) makes this one durable
 * too, since the WAL is replayed only up to its first frame that did
 * not reach the disk. */
int sq_begin_lazy(weir_store_conn *st)
{
    /* Outside WAL mode (a file system without shared memory) NORMAL is
     * not "the next sync covers it": a power loss may corrupt the file. */
    if (!st->wal)
        return sq_begin(st);
    if (durable_again(st) ||
        sqlite3_exec(st->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL))
        return -1;
    st->lazy = 1;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    durable_again(st);
    return -1;
}

int sq_commit(weir_store_conn *st)
{
    return sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK &&
                   !durable_again(st)
               ? 0 : -1;
}

void sq_rollback(weir_store_conn *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    durable_again(st);
}

int sq_in_place(weir_store_conn *st)
{
    int moved = 0;
    if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_HAS_MOVED,
                             &moved) != SQLITE_OK || !moved)
        return 0; /* (a VFS that cannot tell: nothing to go by) */
    weir_error_set(&st->err, WEIR_ERR_IO, "state database %s was removed or "
                   "replaced while weir was using it; stopped, so that "
                   "nothing more is written where no weir will find it "
                   "(restore the file, then start again)", st->path);
    return -1;
}

int sq_in_transaction(weir_store_conn *st)
{
    return !sqlite3_get_autocommit(st->db);
}

int sq_remember_pipeline(weir_store_conn *st, const char *name,
                                 const char *file, const char *type)
{
    char now[32];
    now_iso(now, sizeof(now));
    const char *args[] = {name, file, type, now};
    return sq__exec(st,
                            "INSERT INTO pipelines(name, file, type, "
                            "first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4) "
                            "ON CONFLICT(name) DO UPDATE SET file = "
                            "excluded.file, type = excluded.type, last_seen = "
                            "excluded.last_seen",
                            4, args);
}

/* The first column of the first row as an owned string, or NULL. */
/* The first column of the first row in *out (owned; NULL for SQL NULL):
 * 0, 1 when there is no row, -1 when the query failed. */
static int query_text(weir_store_conn *st, const char *sql, int n,
                      const char *const *args, char **out)
{
    sqlite3_stmt *s = sq__prepare(st, sql, n, args);
    *out = NULL;
    if (!s)
        return -1;
    int step = sqlite3_step(s), rc = step == SQLITE_DONE ? 1 : -1;
    if (step == SQLITE_ROW) {
        rc = 0;
        if (sqlite3_column_type(s, 0) != SQLITE_NULL &&
            !(*out = strdup(sq__text(s, 0))))
            rc = -1;
    }
    sqlite3_finalize(s);
    return rc;
}

int sq_pipeline_file(weir_store_conn *st, const char *name, char **file)
{
    const char *args[] = {name};
    return query_text(st, "SELECT file FROM pipelines WHERE name = ?1", 1, args,
                      file);
}

/* Stored in `meta` under the key ["sink", pipeline, sink]: JSON, so no
 * two (pipeline, sink) pairs share a key whatever their names. */
int sq_sink_identity(weir_store_conn *st, const char *pipeline,
                             const char *sink, char **identity)
{
    const char *args[] = {pipeline, sink};
    sqlite3_stmt *s = sq__prepare(
        st, "SELECT value FROM meta WHERE key = json_array('sink', ?1, ?2)",
        2, args);
    *identity = NULL;
    if (!s)
        return -1;
    int rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? 1 : -1;
    if (rc == SQLITE_ROW)
        out = (*identity = strdup(sq__text(s, 0))) ? 0 : -1;
    sqlite3_finalize(s);
    return out;
}

int sq_set_sink_identity(weir_store_conn *st, const char *pipeline,
                                 const char *sink, const char *identity)
{
    const char *args[] = {pipeline, sink, identity};
    return sq__exec(st,
                            "INSERT INTO meta(key, value) VALUES (json_array("
                            "'sink', ?1, ?2), ?3) ON CONFLICT(key) DO UPDATE "
                            "SET value = excluded.value",
                            3, args);
}

int64_t sq_run_begin(weir_store_conn *st, const char *pipeline,
                             const char *mode)
{
    char now[32], pid[32];
    now_iso(now, sizeof(now));
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    const char *args[] = {pipeline, mode, now, pid};
    if (sq__exec(st,
                         "INSERT INTO runs(pipeline, mode, started, status, "
                         "pid) VALUES (?1, ?2, ?3, 'running', ?4)",
                         4, args))
        return -1;
    return sqlite3_last_insert_rowid(st->db);
}

int sq_run_end(weir_store_conn *st, int64_t run, const char *status,
                       const weir_run_counts *c, const char *message)
{
    char now[32];
    now_iso(now, sizeof(now));
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE runs SET finished = ?1, status = ?2, "
                           "records_read = ?3, written = ?4, rejected = ?5, "
                           "dropped = ?6, held = ?7, retry = ?8, message = ?9 "
                           "WHERE id = ?10",
                           -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(s, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)c->read);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)c->written);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)c->rejected);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)c->dropped);
    sqlite3_bind_int64(s, 7, (sqlite3_int64)c->held);
    sqlite3_bind_int64(s, 8, (sqlite3_int64)c->retry);
    sqlite3_bind_text(s, 9, message, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 10, run);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    /* What the run wrote goes into the file now, while its pages are
     * still cached, and the WAL starts again from its beginning; a reader
     * in the way (passive: it waits for none) leaves the rest for later. */
    if (rc == SQLITE_DONE && sqlite3_get_autocommit(st->db))
        sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                  NULL, NULL);
    return rc == SQLITE_DONE ? 0 : -1;
}

int sq_kv_get(weir_store_conn *st, const char *pipeline,
                      const char *instance, const char *key, char **value)
{
    const char *args[] = {pipeline, instance, key};
    *value = NULL;
    sqlite3_stmt *s = sq__prepare(
        st,
        "SELECT value FROM plugin_state WHERE pipeline = ?1 AND instance = ?2 "
        "AND key = ?3",
        3, args);
    if (!s)
        return -1;
    int rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? 1 : -1;
    if (rc == SQLITE_ROW) {
        *value = sqlite3_column_type(s, 0) == SQLITE_NULL
                     ? NULL
                     : strdup(sq__text(s, 0));
        out = sqlite3_column_type(s, 0) == SQLITE_NULL ? 1 : *value ? 0 : -1;
    }
    sqlite3_finalize(s);
    return out;
}

int sq_kv_set(weir_store_conn *st, const char *pipeline,
                      const char *instance, const char *key, const char *value)
{
    const char *args[] = {pipeline, instance, key, value};
    return sq__exec(st,
                            "INSERT INTO plugin_state(pipeline, instance, key, "
                            "value) VALUES (?1, ?2, ?3, ?4) ON CONFLICT("
                            "pipeline, instance, key) DO UPDATE SET value = "
                            "excluded.value",
                            4, args);
}

int sq_each_pipeline(weir_store_conn *st,
                             int (*fn)(const char *name, const char *file,
                                       void *ctx),
                             void *ctx)
{
    sqlite3_stmt *s = sq__prepare(
        st, "SELECT name, file FROM pipelines ORDER BY name", 0, NULL);
    if (!s)
        return -1;
    int rc = 0, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = fn(sq__text(s, 0), sq__text(s, 1), ctx);
    if (!rc && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(s);
    return rc;
}

/* "2026-11-22T15:42:39Z" or, since runs record milliseconds,
 * "2026-11-22T15:42:39.123Z"; 0 when neither. */
static int64_t iso_to_ms(const char *iso)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *rest = iso ? strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    int ms = 0, n = 0;
    if (!rest)
        return 0;
    if (*rest == '.') {
        if (sscanf(rest, ".%3d%n", &ms, &n) != 1 || n != 4 || ms < 0)
            return 0;
        rest += n;
    }
    return strcmp(rest, "Z") == 0 ? (int64_t)timegm(&tm) * 1000 + ms : 0;
}

int sq_last_run(weir_store_conn *st, const char *pipeline,
                        int64_t *started, int64_t *finished, char **status,
                        weir_run_counts *counts)
{
    const char *args[] = {pipeline};
    sqlite3_stmt *s = sq__prepare(
        st,
        "SELECT started, finished, status, records_read, written, rejected, "
        "dropped, held, retry FROM runs WHERE pipeline = ?1 "
        "ORDER BY id DESC LIMIT 1",
        1, args);
    *started = *finished = 0;
    *status = NULL;
    if (counts)
        memset(counts, 0, sizeof(*counts));
    int step = s ? sqlite3_step(s) : SQLITE_ERROR;
    int rc = step == SQLITE_DONE ? 1 : -1;
    if (step == SQLITE_ROW) {
        *started = iso_to_ms(sq__text_or_null(s, 0));
        *finished = iso_to_ms(sq__text_or_null(s, 1));
        *status = strdup(sq__text(s, 2));
        if (counts) {
            uint64_t *to[] = {&counts->read, &counts->written,
                              &counts->rejected, &counts->dropped,
                              &counts->held, &counts->retry};
            for (int i = 0; i < 6; i++)
                *to[i] = (uint64_t)sqlite3_column_int64(s, 3 + i);
        }
        rc = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

int sq_run_tally(weir_store_conn *st, const char *pipeline,
                         int (*fn)(const char *status, int64_t runs,
                                   void *ctx),
                         void *ctx)
{
    return sq__each_count(st,
                          "SELECT status, count(*) FROM runs WHERE pipeline "
                          "= ?1 GROUP BY status ORDER BY status",
                          pipeline, fn, ctx);
}

/* ---- the table of operations (store/backend.h) ---------------------- */

const weir_store_ops weir_store_sqlite = {
    .version = WEIR_STORE_OPS_VERSION,
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .error = sq_error,
    .worker = sq_worker,
    .remember_pipeline = sq_remember_pipeline,
    .pipeline_file = sq_pipeline_file,
    .sink_identity = sq_sink_identity,
    .set_sink_identity = sq_set_sink_identity,
    .run_begin = sq_run_begin,
    .run_end = sq_run_end,
    .kv_get = sq_kv_get,
    .kv_set = sq_kv_set,
    .each_pipeline = sq_each_pipeline,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .lock_pipeline = sq_lock_pipeline,
    .unlock_pipeline = sq_unlock_pipeline,
    .snapshot_each = sq_snapshot_each,
    .snapshot_count = sq_snapshot_count,
    .snapshot_generation = sq_snapshot_generation,
    .intent_begin = sq_intent_begin,
    .snapshot_put = sq_snapshot_put,
    .intent_settle = sq_intent_settle,
    .snapshot_doubt = sq_snapshot_doubt,
    .snapshot_recover = sq_snapshot_recover,
    .last_full_refresh = sq_last_full_refresh,
    .set_last_full_refresh = sq_set_last_full_refresh,
    .outbox_add = sq_outbox_add,
    .outbox_claim = sq_outbox_claim,
    .outbox_renew = sq_outbox_renew,
    .outbox_unclaim = sq_outbox_unclaim,
    .outbox_hold = sq_outbox_hold,
    .outbox_release = sq_outbox_release,
    .assigned_put = sq_assigned_put,
    .assigned_get = sq_assigned_get,
    .outbox_settle = sq_outbox_settle,
    .outbox_keys = sq_outbox_keys,
    .outbox_supersede = sq_outbox_supersede,
    .outbox_drop_deletes = sq_outbox_drop_deletes,
    .outbox_next_due = sq_outbox_next_due,
    .outbox_counts = sq_outbox_counts,
    .outbox_get = sq_outbox_get,
    .outbox_resend = sq_outbox_resend,
    .outbox_discard = sq_outbox_discard,
    .outbox_open_sinks = sq_outbox_open_sinks,
    .outbox_pipeline = sq_outbox_pipeline,
    .outbox_settled_since = sq_outbox_settled_since,
    .history_prune = sq_history_prune,
    .monitor = sq_monitor,
    .monitor_records = sq_monitor_records,
    .endpoint_get = sq_endpoint_get,
    .endpoint_set = sq_endpoint_set,
    .each_endpoint = sq_each_endpoint,
    .last_run = sq_last_run,
    .run_tally = sq_run_tally,
    .in_transaction = sq_in_transaction,
    .in_place = sq_in_place,
    .begin_lazy = sq_begin_lazy,
    .xref_get = sq_xref_get,
    .xref_add = sq_xref_add,
    .xref_merge = sq_xref_merge,
    .xref_remove = sq_xref_remove,
    .xref_generate = sq_xref_generate,
    .xref_each = sq_xref_each,
    .xref_each_since = sq_xref_each_since,
    .xref_history = sq_xref_history,
    .outbox_creating = sq_outbox_creating,
    .echo_put = sq_echo_put,
    .echo_get = sq_echo_get,
    .track_fields_put = sq_track_fields_put,
    .track_fields_get = sq_track_fields_get,
    .track_values_put = sq_track_values_put,
    .track_values_get = sq_track_values_get,
    .track_values_clear = sq_track_values_clear,
};
