/*
 * exec.c - the exec notifier: run a command for each event, with the event
 * as one line of JSON on its standard input.  See docs/plugins/exec.md.
 *
 * This file is the plugin's face: descriptor, check/open/notify/close, the
 * command's environment and what is logged.  Starting and watching the
 * command is run.c's job.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* environ */
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <weir/plugin.h>

#include "common/config_diag.h"
#include "common/words.h"
#include "run.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

/* After SIGTERM at the timeout, SIGKILL this much later. */
#define EXEC_GRACE_MS 2000

/* The event types the core sends (host->event_type). */
static const char *const event_types[] = {
    "rejected", "endpoint-down", "endpoint-up", "run-failed", NULL};
#define EVENT_TYPES_TEXT "rejected, endpoint-down, endpoint-up, run-failed"

typedef struct exec_state {
    weir_instance *inst;
    const weir_host *host;
    const char *command; /* (borrowed from the host until close) */
    const char *dir;     /* (borrowed) resolved against the pipeline's folder */
    long long timeout_ms;
    weirp_words on; /* sorted; n == 0: every event */
} exec_state;

static int known_event(const char *word)
{
    for (size_t i = 0; event_types[i]; i++)
        if (strcmp(word, event_types[i]) == 0)
            return 1;
    return 0;
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    return 1;
}

/* Check the options; with `report` each problem goes to node_error (check),
 * otherwise to the log (open).  Returns the number of problems. */
static int check_options(weir_instance *inst, const weir_host *host,
                         int report)
{
    weirp_diag d = {inst, host, report, 0};
    const char *command = host->option(inst, "command");
    if (command && blank(command))
        weirp_diag_report(&d, NULL, "option 'command' of exec: must not be "
                          "empty");
    /* The shell reads the command as a script: a value pasted into it
     * from ${env:NAME} would be code ("$(...)" in a token would run) and
     * would show in `ps`.  The command gets weir's environment, so the
     * shell can expand the variable itself, as data. */
    if (command && WEIR_HOST_HAS(host, option_is_secret) &&
        host->option_is_secret(inst, "command"))
        weirp_diag_report(&d, NULL, "option 'command' of exec: a ${env:NAME} "
                          "value would become shell code (a $(...) in it "
                          "would run); write \"$NAME\" instead: the command "
                          "runs with weir's environment");
    /* (a missing `command` is reported by the core: it is required) */

    weirp_diag_positive_duration(&d, "exec", "timeout");

    const char *on = host->option(inst, "on");
    if (on) {
        weirp_words w;
        if (weirp_words_split(&w, on) != 0) {
            weirp_diag_report(&d, NULL, "exec: out of memory");
        } else {
            if (w.n == 0)
                weirp_diag_report(&d, NULL, "option 'on' of exec: name at "
                                  "least one event type (" EVENT_TYPES_TEXT
                                  ")");
            for (size_t i = 0; i < w.n; i++)
                if (!known_event(w.v[i].text))
                    weirp_diag_report(&d, NULL, "option 'on' of exec: unknown "
                                      "event type '%s' (known: "
                                      EVENT_TYPES_TEXT ")", w.v[i].text);
            weirp_words_free(&w);
        }
    }
    return d.errors;
}

static weir_status exec_check(weir_instance *inst, const weir_host *host,
                              weir_kind kind)
{
    (void)kind;
    return check_options(inst, host, 1) ? WEIR_STATUS_ERROR : WEIR_STATUS_OK;
}

static void exec_close(void *state)
{
    exec_state *st = state;
    if (!st)
        return;
    weirp_words_free(&st->on);
    free(st);
}

static weir_status exec_open(weir_instance *inst, const weir_host *host,
                             weir_kind kind, void **state)
{
    *state = NULL;
    if (kind != WEIR_KIND_NOTIFIER) {
        host->log(inst, WEIR_LOG_ERROR, "exec can only be a <notify>");
        return WEIR_STATUS_ERROR;
    }
    /* check() has run; this only fails on a core that skipped it. */
    if (check_options(inst, host, 0))
        return WEIR_STATUS_ERROR;
    exec_state *st = calloc(1, sizeof *st);
    if (!st) {
        host->log(inst, WEIR_LOG_ERROR, "exec: out of memory");
        return WEIR_STATUS_ERROR;
    }
    st->inst = inst;
    st->host = host;
    st->command = host->option(inst, "command");
    st->dir = host->option(inst, "dir");
    if (!st->command) {
        host->log(inst, WEIR_LOG_ERROR, "exec: option 'command' is required");
        exec_close(st);
        return WEIR_STATUS_ERROR;
    }
    if (host->option_duration_ms(inst, "timeout", &st->timeout_ms) != 0)
        st->timeout_ms = 30000;
    const char *on = host->option(inst, "on");
    if (on && weirp_words_split(&st->on, on) != 0) {
        host->log(inst, WEIR_LOG_ERROR, "exec: out of memory");
        exec_close(st);
        return WEIR_STATUS_ERROR;
    }
    weirp_words_sort(&st->on);
    *state = st;
    return WEIR_STATUS_OK;
}

/* ---- the command's environment ------------------------------------ */

static int env_is(const char *entry, const char *name)
{
    size_t n = strlen(name);
    return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

static char *env_entry(const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s=%s", name, value);
    return s;
}

/* weir's environment with WEIR_EVENT and WEIR_PIPELINE set.  The strings
 * of environ are borrowed; ours are the last two slots before NULL.
 * (owned: env_free) */
static char **env_build(const char *event, const char *pipeline)
{
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    char **env = malloc((n + 3) * sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (char **e = environ; e && *e; e++)
        if (!env_is(*e, "WEIR_EVENT") && !env_is(*e, "WEIR_PIPELINE"))
            env[k++] = *e;
    char *a = env_entry("WEIR_EVENT", event);
    char *b = env_entry("WEIR_PIPELINE", pipeline);
    if (!a || !b) {
        free(a);
        free(b);
        free(env);
        return NULL;
    }
    env[k++] = a;
    env[k++] = b;
    env[k] = NULL;
    return env;
}

static void env_free(char **env)
{
    if (!env)
        return;
    size_t k = 0;
    while (env[k])
        k++;
    /* the last two are ours */
    free(env[k - 1]);
    free(env[k - 2]);
    free(env);
}

/* ---- logging the outcome ------------------------------------------- */

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGSEGV: return "SIGSEGV";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    default: return "signal";
    }
}

/* The captured output made fit for a log line, in place: control bytes
 * (NUL included) but newline and tab become '?', a UTF-8 sequence cut by
 * the capture limit is dropped, trailing white space is trimmed. */
static size_t tidy_output(char *s, size_t len, int cut)
{
    if (cut) {
        size_t back = 0;
        while (back < 4 && back < len &&
               ((unsigned char)s[len - 1 - back] & 0xC0) == 0x80)
            back++;
        if (back < len) {
            unsigned char lead = (unsigned char)s[len - 1 - back];
            size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3
                        : lead >= 0xC0 ? 2 : 1;
            if (need > back + 1)
                len -= back + 1;
        }
    }
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
                   s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F)
            s[i] = '?';
    }
    s[len] = '\0';
    return len;
}

static void log_outcome(exec_state *st, const char *event, exec_outcome *o,
                        size_t input_len, int ok)
{
    char status[256], limit[32];
    if (st->timeout_ms % 1000 == 0)
        snprintf(limit, sizeof limit, "%llds", st->timeout_ms / 1000);
    else
        snprintf(limit, sizeof limit, "%lldms", st->timeout_ms);
    char how[64];
    if (o->exited)
        snprintf(how, sizeof how, "exited with status %d", o->code);
    else if (o->signaled)
        snprintf(how, sizeof how, "was killed by signal %d (%s)", o->sig,
                 signal_name(o->sig));
    else
        snprintf(how, sizeof how, "ended, exit status unknown");
    if (o->timed_out)
        snprintf(status, sizeof status, "timed out after %s (%s) and %s",
                 limit,
                 o->killed ? "SIGTERM to its process group, SIGKILL 2 s later"
                           : "SIGTERM to its process group",
                 how);
    else
        snprintf(status, sizeof status, "%s", how);

    char more[96] = "";
    if (o->output_total > o->output_len)
        snprintf(more, sizeof more, " [... %zu more bytes]",
                 o->output_total - o->output_len);
    char input[96] = "";
    if (o->input_short)
        snprintf(input, sizeof input,
                 " (it took %zu of the %zu bytes of its input)",
                 o->input_written, input_len);

    size_t len = tidy_output(o->output, o->output_len,
                             o->output_total > o->output_len);
    st->host->log(st->inst, ok ? WEIR_LOG_DEBUG : WEIR_LOG_WARNING,
                  "command for event %s %s in %lld ms%s%s%.*s%s", event,
                  status, o->elapsed_ms, input,
                  len ? "; output:\n" : "", (int)len, o->output, more);
}

/* ---- notify ---------------------------------------------------------- */

static weir_status exec_notify(void *state, const weir_event *event)
{
    exec_state *st = state;
    const weir_host *h = st->host;
    const char *type = h->event_type(event);
    if (!type)
        type = "";
    if (st->on.n && !weirp_words_find(&st->on, type, strlen(type))) {
        h->log(st->inst, WEIR_LOG_DEBUG, "event %s: not in 'on', skipped",
               type);
        return WEIR_STATUS_OK;
    }
    const char *json = h->event_json(event);
    if (!json)
        json = "{}";
    const char *pipeline = h->pipeline_name(st->inst);

    char **env = env_build(type, pipeline ? pipeline : "");
    if (!env) {
        h->log(st->inst, WEIR_LOG_ERROR, "exec: out of memory");
        return WEIR_STATUS_ERROR;
    }
    exec_job job = {
        .command = st->command,
        .dir = st->dir,
        .envp = env,
        .input = json,
        .input_len = strlen(json),
        .input_newline = 1,
        .timeout_ms = st->timeout_ms,
        .grace_ms = EXEC_GRACE_MS,
    };
    exec_outcome *o = malloc(sizeof *o); /* 3 KiB: not on a plugin's stack */
    if (!o) {
        env_free(env);
        h->log(st->inst, WEIR_LOG_ERROR, "exec: out of memory");
        return WEIR_STATUS_ERROR;
    }
    int rc = exec_run(&job, o);
    env_free(env);
    if (!o->started) {
        if (st->dir)
            h->log(st->inst, WEIR_LOG_ERROR,
                   "cannot run the command for event %s (/bin/sh in %s): "
                   "%s: %s", type, st->dir, o->failed, strerror(o->err));
        else
            h->log(st->inst, WEIR_LOG_ERROR,
                   "cannot run the command for event %s (/bin/sh): %s: %s",
                   type, o->failed, strerror(o->err));
    } else {
        log_outcome(st, type, o, job.input_len + 1, rc == 0);
    }
    free(o);
    return rc == 0 ? WEIR_STATUS_OK : WEIR_STATUS_ERROR;
}

static const weir_option_spec exec_options[] = {
    WEIR_OPTION("command", WEIR_OPTION_STRING, WEIR_OPTION_REQUIRED,
        WEIR_KIND_NOTIFIER, NULL,
        "shell command (/bin/sh -c) run for each event, the event's JSON on "
        "its standard input"),
    WEIR_OPTION("timeout", WEIR_OPTION_DURATION, 0, WEIR_KIND_NOTIFIER, "30s",
        "then the command's process group gets SIGTERM, and SIGKILL 2 s "
        "later"),
    WEIR_OPTION("on", WEIR_OPTION_LIST, 0, WEIR_KIND_NOTIFIER, NULL,
        "event types that run the command (rejected endpoint-down "
        "endpoint-up run-failed; <notify on> filters too); default: every "
        "event"),
    WEIR_OPTION("dir", WEIR_OPTION_PATH, 0, WEIR_KIND_NOTIFIER, ".",
        "working directory of the command (. is the pipeline file's folder)"),
    WEIR_OPTION_END,
};

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_NOTIFIER,
    .name = "exec",
    .version = PACKAGE_VERSION,
    .description = "run a command for each event, the event as JSON on its "
                   "standard input",
    .options = exec_options,
    .check = exec_check,
    .open = exec_open,
    .notify = exec_notify,
    .close = exec_close,
};
