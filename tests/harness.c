/* harness.c - see harness.h. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "harness.h"
#include "pipeline/pipeline.h"
#include "plugin/event.h"
#include "plugin/host.h"
#include "plugin/instance.h"
#include "plugin/plugins.h"
#include "plugin/sink_write.h"
#include "record/record.h"

const char wt_null_marker[] = "<WT_NULL>";

struct wt_plugin {
    weir_pipeline *p;
    weir_instances *in; /* a run of p, without a state store */
    weir_instance *inst;
    char *log;
    size_t loglen;
};

static weir_plugins *registry;
static char *last_errors;
static wt_plugin *logging_to;

static void cleanup(void)
{
    weir_plugins_free(registry);
    registry = NULL;
    free(last_errors);
    last_errors = NULL;
    weir_pipeline_cleanup();
}

static weir_plugins *plugins(void)
{
    if (!registry) {
        registry = weir_plugins_new(WEIR_BUILDDIR "/connectors/.libs:"
                                    WEIR_BUILDDIR "/plugins/.libs:"
                                    WEIR_BUILDDIR "/tests/.libs");
        atexit(cleanup);
    }
    return registry;
}

static void capture(weir_log_level level, const char *line, void *ctx)
{
    (void)level;
    (void)ctx;
    fprintf(stderr, "%s\n", line);
    wt_plugin *p = logging_to;
    if (!p)
        return;
    size_t n = strlen(line);
    char *g = realloc(p->log, p->loglen + n + 2);
    if (!g)
        return;
    p->log = g;
    memcpy(p->log + p->loglen, line, n);
    p->loglen += n;
    p->log[p->loglen++] = '\n';
    p->log[p->loglen] = '\0';
}

const weir_host *wt_host(void) { return &weir_host_table; }

static void keep_errors(weir_diag *d)
{
    size_t total = 1;
    for (size_t i = 0; weir_diag_at(d, i); i++)
        total += strlen(weir_diag_at(d, i)) + 1;
    free(last_errors);
    last_errors = malloc(total);
    if (!last_errors)
        return;
    last_errors[0] = '\0';
    for (size_t i = 0; weir_diag_at(d, i); i++) {
        strcat(last_errors, weir_diag_at(d, i));
        strcat(last_errors, "\n");
    }
}

const char *wt_last_errors(void) { return last_errors ? last_errors : ""; }

static weir_pipeline *load(const char *xml, const char *dir, int *problems)
{
    char cwd[4096];
    if (!dir)
        dir = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
    weir_diag *d = weir_diag_new();
    weir_pipeline *p = weir_pipeline_load_memory(xml, strlen(xml), "test.xml",
                                                 dir, plugins(), d);
    *problems = (int)weir_diag_count(d);
    keep_errors(d);
    if (p)
        p->diag = NULL;
    weir_diag_free(d);
    return p;
}

int wt_validate(const char *xml, const char *dir)
{
    int problems = 0;
    weir_pipeline_unref(load(xml, dir, &problems));
    return problems;
}

int wt_has_error(int line, const char *text)
{
    const char *all = wt_last_errors();
    char tag[32];
    snprintf(tag, sizeof tag, ":%d:", line);
    for (const char *s = all; s && *s;) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        char one[1024];
        snprintf(one, sizeof one, "%.*s", (int)len, s);
        if (strstr(one, tag) && strstr(one, text))
            return 1;
        s += len + (eol ? 1 : 0);
    }
    fprintf(stderr, "no error \"%s\" on line %d in:\n%s\n", text, line,
            all ? all : "(null)");
    return 0;
}

char *wt_transform_pipeline(const char *plugin, const char *name,
                            const char *body)
{
    static const char fmt[] =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"t\">\n"
        "<source plugin=\"csv\" name=\"in\"><option name=\"path\">in.csv"
        "</option></source>\n"
        "<transform plugin=\"%s\" name=\"%s\">\n"
        "%s"
        "</transform>\n"
        "<sink plugin=\"csv\" name=\"out\"><option name=\"path\">out.csv"
        "</option></sink>\n"
        "</pipeline>\n";
    size_t n = sizeof fmt + strlen(plugin) + strlen(name) + strlen(body);
    char *xml = malloc(n);
    snprintf(xml, n, fmt, plugin, name, body);
    return xml;
}

wt_plugin *wt_open_transform(const char *plugin, const char *name,
                             const char *body)
{
    char *xml = wt_transform_pipeline(plugin, name, body);
    wt_plugin *p = wt_open(xml, wt_tmpdir(), name);
    if (!p)
        fprintf(stderr, "wt_open failed:\n%s\n", wt_last_errors());
    free(xml);
    return p;
}

int wt_validate_transform(const char *plugin, const char *name,
                          const char *body)
{
    char *xml = wt_transform_pipeline(plugin, name, body);
    int n = wt_validate(xml, wt_tmpdir());
    free(xml);
    return n;
}

wt_plugin *wt_open(const char *xml, const char *dir, const char *instance)
{
    int problems = 0;
    weir_log_set_level(WEIR_LOG_DEBUG);
    weir_pipeline *p = load(xml, dir, &problems);
    if (!p || problems) {
        fprintf(stderr, "wt_open: invalid pipeline:\n%s", wt_last_errors());
        weir_pipeline_unref(p);
        return NULL;
    }
    weir_instance_spec *spec = weir_pipeline_find(p, instance);
    weir_instances *in = spec && spec->plugin ? weir_instances_new(p, NULL)
                                              : NULL;
    if (!in) {
        fprintf(stderr, "wt_open: no instance '%s'\n", instance);
        weir_pipeline_unref(p);
        return NULL;
    }
    weir_instance *inst = &in->all[spec->index];
    wt_plugin *w = calloc(1, sizeof(*w));
    w->p = p;
    w->in = in;
    w->inst = inst;
    logging_to = w;
    weir_log_set_sink(capture, NULL);
    weir_host_error_clear(inst);
    if (spec->plugin->open(inst, &weir_host_table, spec->kind, &inst->state) !=
        WEIR_STATUS_OK) {
        /* what it logged, then the reason it gave host->set_error() */
        const char *log = w->log ? w->log : "", *why = inst->error;
        size_t n = strlen(log) + (why ? strlen(why) : 0) + 32;
        free(last_errors);
        if ((last_errors = malloc(n)))
            snprintf(last_errors, n, "%sopen failed%s%s\n", log,
                     why ? ": " : "", why ? why : "");
        logging_to = NULL;
        free(w->log);
        free(w);
        weir_instances_free(in);
        weir_pipeline_unref(p);
        return NULL;
    }
    inst->opened = 1;
    return w;
}

const char *wt_log(const wt_plugin *p) { return p->log ? p->log : ""; }

weir_batch *wt_batch_new(size_t capacity) { return weir_batch_new(capacity); }
void wt_batch_clear(weir_batch *b) { weir_batch_clear(b); }
void wt_batch_free(weir_batch *b) { weir_batch_free(b); }

weir_record *wt_addv(weir_batch *b, weir_op op, va_list ap)
{
    weir_record *r = weir_batch_add(b);
    if (!r)
        return NULL;
    r->op = op;
    const char *name;
    while ((name = va_arg(ap, const char *))) {
        const char *value = va_arg(ap, const char *);
        weir_record_set(r, name, value == WT_NULL ? NULL : value, (size_t)-1);
    }
    return r;
}

weir_record *wt_add(weir_batch *b, weir_op op, ...)
{
    va_list ap;
    va_start(ap, op);
    weir_record *r = wt_addv(b, op, ap);
    va_end(ap);
    return r;
}

static void bind(wt_plugin *p, weir_batch *b)
{
    logging_to = p;
    weir_batch_set_context(b, p->p->name, p->inst->spec->name);
    weir_batch_set_secrets(b, p->p->secrets);
}

weir_status wt_read(wt_plugin *p, weir_batch *b)
{
    bind(p, b);
    return p->inst->spec->plugin->read(p->inst->state, b);
}

weir_status wt_process(wt_plugin *p, weir_batch *b)
{
    bind(p, b);
    weir_batch_reset_answers(b, WEIR_RESULT_OK);
    return p->inst->spec->plugin->process(p->inst->state, b);
}

weir_status wt_write(wt_plugin *p, weir_batch *b)
{
    bind(p, b);
    weir_batch_reset_answers(b, WEIR_RESULT_NONE);
    return p->inst->spec->plugin->write(p->inst->state, b);
}

void wt_deliver(wt_plugin *p, weir_batch *b)
{
    bind(p, b);
    weir_sink_write(p->inst, b);
}

weir_status wt_finish(wt_plugin *p)
{
    weir_status rc = wt_flush(p);
    const weir_plugin *pl = p->inst->spec->plugin;
    if (rc == WEIR_STATUS_OK && pl->finish)
        rc = pl->finish(p->inst->state);
    return rc;
}

weir_status wt_flush(wt_plugin *p)
{
    logging_to = p;
    const weir_plugin *pl = p->inst->spec->plugin;
    return pl->flush ? pl->flush(p->inst->state) : WEIR_STATUS_OK;
}

int wt_probe(wt_plugin *p)
{
    logging_to = p;
    weir_host_error_clear(p->inst);
    const weir_plugin *d = p->inst->spec->plugin;
    return WEIR_PLUGIN_HAS(d, probe, 2) && d->probe ? d->probe(p->inst->state)
                                                    : -99;
}

const char *wt_error(const wt_plugin *p) { return p->inst->error; }

weir_status wt_notify(wt_plugin *p, const char *type, const char *json)
{
    logging_to = p;
    char *copy = json ? strdup(json) : NULL;
    if (json && !copy)
        return WEIR_STATUS_ERROR;
    struct weir_event e = {type, copy};
    weir_status rc = p->inst->spec->plugin->notify(p->inst->state, &e);
    free(copy);
    return rc;
}

void wt_close(wt_plugin *p)
{
    if (!p)
        return;
    logging_to = p;
    weir_instances_free(p->in);
    logging_to = NULL;
    weir_log_set_sink(NULL, NULL);
    weir_pipeline_unref(p->p);
    free(p->log);
    free(p);
}

weir_result wt_result(const weir_record *r, const char **message,
                      const char **assigned_id)
{
    if (message)
        *message = r->message;
    if (assigned_id)
        *assigned_id = r->assigned_id;
    return r->result;
}

long wt_origin(const weir_record *r) { return r->origin; }

const char *wt_get(const weir_record *r, const char *name)
{
    return weir_host_table.record_get(r, name, NULL);
}

int wt_has(const weir_record *r, const char *name)
{
    return weir_host_table.record_has(r, name);
}

const char *wt_tmpdir(void)
{
    static char dir[4096];
    if (!dir[0]) {
        mkdir(WEIR_BUILDDIR "/tests", 0755);
        mkdir(WEIR_BUILDDIR "/tests/tmp", 0755);
        snprintf(dir, sizeof(dir), "%s/tests/tmp/wt-XXXXXX", WEIR_BUILDDIR);
        if (!mkdtemp(dir)) {
            fprintf(stderr, "wt_tmpdir: %s\n", strerror(errno));
            abort();
        }
    }
    return dir;
}

char *wt_write_file(const char *dir, const char *name, const char *text)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "wt_write_file %s: %s\n", path, strerror(errno));
        abort();
    }
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    return path;
}

char *wt_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            char *g = realloc(buf, cap * 2);
            if (!g) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = g;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}
