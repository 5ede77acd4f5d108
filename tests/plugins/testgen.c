/*
 * testgen - a test plugin: a source that makes `count` records and a sink
 * that accepts them, rejects the ids listed in `reject-id`, and fails the
 * whole read at `fail-at` (to test aborted runs).
 * As a source it can also sleep `read-delay` before each batch (a slow
 * export) and note when it is opened and closed in `run-log`, a line
 * "open PID NS" / "close PID NS" (CLOCK_REALTIME nanoseconds) each: a
 * source is opened only by a run, so the lines give each run's span.
 * With `gate` (a file), record `gate-record` (1) carries the field
 * gate=FILE, and the read() that makes record `gate-open-at` + 1 first
 * creates FILE: a
 * testsink with gate-field="gate" writing record 1 waits for it, which
 * only a sink writing beside the reading (or a source reading ahead of
 * the sink) ever sees open.  With `state-key`, read() sets that plugin
 * state key to the number of records made so far, as a source's cursor,
 * and fails (ERROR) when it cannot.
 * Built twice: testgen, and tests/ahead/testgen (TESTGEN_FLAGS=
 * WEIR_PLUGIN_READ_BESIDE: a source read one batch ahead).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep, O_CLOEXEC */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <weir/plugin.h>

typedef struct state {
    const weir_host *host;
    weir_instance *inst;
    long long count, next, fail_at, read_delay_ms, gate_open_at, gate_record;
    const char *reject, *run_log, *gate, *state_key;
} state;

static const weir_option_spec options[] = {
    WEIR_OPTION("count", WEIR_OPTION_INT, 0, WEIR_KIND_SOURCE, "10",
        "records to make"),
    WEIR_OPTION("fail-at", WEIR_OPTION_INT, 0, WEIR_KIND_SOURCE, "-1",
        "fail the read after this many records"),
    WEIR_OPTION("reject-id", WEIR_OPTION_LIST, 0, WEIR_KIND_SINK, NULL,
        "ids the sink rejects"),
    WEIR_OPTION("read-delay", WEIR_OPTION_DURATION, 0, WEIR_KIND_SOURCE, "0s",
        "sleep this long before each batch"),
    WEIR_OPTION("run-log", WEIR_OPTION_PATH, 0, WEIR_KIND_SOURCE, NULL,
        "file noting each open and close (pid, time)"),
    WEIR_OPTION("gate", WEIR_OPTION_PATH, 0, WEIR_KIND_SOURCE, NULL,
                "record 1 carries gate=FILE; FILE is created later"),
    WEIR_OPTION("gate-open-at", WEIR_OPTION_INT, 0, WEIR_KIND_SOURCE, "1",
                "the record whose read() creates the gate file"),
    WEIR_OPTION("gate-record", WEIR_OPTION_INT, 0, WEIR_KIND_SOURCE, "1",
                "the record that carries gate=FILE"),
    WEIR_OPTION("state-key", WEIR_OPTION_STRING, 0, WEIR_KIND_SOURCE, NULL,
                "read() sets this plugin state key first"),
    WEIR_OPTION_END,
};

/* "EVENT PID NS" appended to the run log, in one write. */
static void note(const state *s, const char *event)
{
    if (!s->run_log)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char line[96];
    int n = snprintf(line, sizeof(line), "%s %ld %lld\n", event,
                     (long)getpid(),
                     (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    int fd = open(s->run_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
        close(fd);
    }
}

static weir_status tg_open(weir_instance *inst, const weir_host *host,
                           weir_kind kind, void **out)
{
    state *s = calloc(1, sizeof(*s));
    if (!s)
        return WEIR_STATUS_ERROR;
    s->host = host;
    s->inst = inst;
    host->option_int(inst, "count", &s->count);
    host->option_int(inst, "fail-at", &s->fail_at);
    s->reject = host->option(inst, "reject-id");
    if (kind == WEIR_KIND_SOURCE) {
        host->option_duration_ms(inst, "read-delay", &s->read_delay_ms);
        s->run_log = host->option(inst, "run-log");
        s->gate = host->option(inst, "gate");
        s->state_key = host->option(inst, "state-key");
        host->option_int(inst, "gate-open-at", &s->gate_open_at);
        host->option_int(inst, "gate-record", &s->gate_record);
        note(s, "open");
    }
    *out = s;
    return WEIR_STATUS_OK;
}

static weir_status tg_read(void *vs, weir_batch *b)
{
    state *s = vs;
    if (s->read_delay_ms > 0) {
        struct timespec ts = {(time_t)(s->read_delay_ms / 1000),
                              (long)(s->read_delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (s->gate && s->next == s->gate_open_at) {
        FILE *f = fopen(s->gate, "w");
        if (f)
            fclose(f);
    }
    while (s->next < s->count && s->host->batch_room(b)) {
        if (s->fail_at >= 0 && s->next == s->fail_at) {
            s->host->log(s->inst, WEIR_LOG_ERROR, "failing on purpose");
            return WEIR_STATUS_ERROR;
        }
        weir_record *r = s->host->batch_add(b);
        char id[32], name[64];
        snprintf(id, sizeof(id), "%lld", s->next + 1);
        snprintf(name, sizeof(name), "name %lld", s->next + 1);
        s->host->record_set(r, "id", id, (size_t)-1);
        s->host->record_set(r, "name", name, (size_t)-1);
        if (s->gate && s->next + 1 == s->gate_record)
            s->host->record_set(r, "gate", s->gate, (size_t)-1);
        s->host->record_set_origin(r, (long)(s->next + 1));
        s->next++;
    }
    char made[32];
    snprintf(made, sizeof(made), "%lld", s->next);
    if (s->state_key && s->host->state_set(s->inst, s->state_key, made) != 0) {
        s->host->log(s->inst, WEIR_LOG_ERROR, "state_set failed");
        return WEIR_STATUS_ERROR;
    }
    return s->next < s->count ? WEIR_STATUS_OK : WEIR_STATUS_END;
}

static int listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static weir_status tg_write(void *vs, weir_batch *b)
{
    state *s = vs;
    for (size_t i = 0; i < s->host->batch_count(b); i++) {
        weir_record *r = s->host->batch_at(b, i);
        const char *id = s->host->record_get(r, "id", NULL);
        if (id && listed(s->reject, id))
            s->host->record_answerf(r, WEIR_RESULT_REJECT,
                                    "test sink rejects id %s", id);
        else
            s->host->record_answer(r, WEIR_RESULT_OK, NULL, NULL);
    }
    return WEIR_STATUS_OK;
}

static void tg_close(void *vs)
{
    state *s = vs;
    note(s, "close");
    free(s);
}

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_SOURCE | WEIR_KIND_SINK,
#ifdef TESTGEN_FLAGS
    .flags = TESTGEN_FLAGS,
#endif
    .name = "testgen",
    .version = "1",
    .description = "test records generator and sink",
    .options = options,
    .open = tg_open,
    .read = tg_read,
    .write = tg_write,
    .close = tg_close,
};
