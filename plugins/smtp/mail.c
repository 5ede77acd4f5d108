/*
 * mail.c - an event as a mail message (see mail.h).
 *
 * The subject is ASCII by construction (names are, the prefix is checked),
 * so it needs no RFC 2047 encoding; the body is UTF-8 (8bit).  Text from
 * the target is shown with its control characters as spaces and cut to a
 * bounded excerpt; the resend command keeps it exact, or is left out
 * (with what to run instead) when it could not stand on one mail line.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* open_memstream */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/digest.h"
#include "mail.h"

/* Bytes of a target's text shown in the body. */
#define EXCERPT_MAX 400

int smtp_mail_address_ok(const char *addr)
{
    const char *at = strchr(addr, '@');
    if (!at || at == addr || !at[1] || strchr(at + 1, '@'))
        return 0;
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
        if (*p <= ' ' || *p >= 0x7F || strchr("<>(),;:\\\"[]", *p))
            return 0;
    return 1;
}

static const char *str(json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

/* RFC 5322 date, always UTC, English names whatever the locale. */
static void mail_date(time_t t, char *buf, size_t size)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
             days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* `s` for the body: control characters as spaces, at most `max` bytes
 * (not cutting a UTF-8 sequence), "..." when cut. */
static void put_text(FILE *f, const char *s, size_t max)
{
    size_t len = strlen(s), n = len > max ? max : len;
    while (n < len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--; /* s[n] starts the first byte left out */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc(c < 0x20 || c == 0x7F ? ' ' : c, f);
    }
    if (n < len)
        fputs("...", f);
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F)
            return 1;
    return 0;
}

/* ---- bodies, LF lines (CRLF when the message is assembled) ----------- */

/* The web monitor's page (weir serve --http), when the event has one:
 * its text is percent-encoded, so it fits a line as it is. */
static void put_monitor(FILE *f, const char *indent, const char *lead,
                        const char *url)
{
    if (url && strlen(url) + strlen(indent) + 2 < SMTP_MAIL_LINE_MAX &&
        !has_control(url))
        fprintf(f, "%s%s\n%s  %s\n", indent, lead, indent, url);
}

static void body_group(FILE *f, json_t *g, const char *pipeline)
{
    const char *sink = str(g, "sink"), *stage = str(g, "stage"),
               *type = str(g, "type"), *error = str(g, "error");
    json_int_t count = json_integer_value(json_object_get(g, "count"));
    json_int_t failed = json_integer_value(json_object_get(g, "failed"));
    fprintf(f, "%lld x %s %s", (long long)count, sink ? "sink" : "stage",
            sink ? sink : stage ? stage : "?");
    if (type)
        fprintf(f, ", type %s", type);
    fputs(":\n    ", f);
    put_text(f, error ? error : "(no reason given)", EXCERPT_MAX);
    fputc('\n', f);
    if (failed)
        fprintf(f, "    (%lld of them failed after their retries ran out)\n",
                (long long)failed);
    json_t *ex = json_object_get(g, "examples");
    size_t i;
    json_t *e;
    json_array_foreach(ex, i, e) {
        const char *key = str(e, "key");
        json_int_t line = json_integer_value(json_object_get(e, "line"));
        fputs(i ? ", " : "    e.g. ", f);
        if (key) {
            fputs("key ", f);
            put_text(f, key, 80);
        }
        if (line > 0)
            fprintf(f, key ? " (line %lld)" : "line %lld", (long long)line);
        else if (!key)
            fputs("(no key)", f);
    }
    if (i)
        fputc('\n', f);
    const char *resend = str(g, "resend");
    if (resend && (strlen(resend) + 6 > SMTP_MAIL_LINE_MAX ||
                   has_control(resend)))
        fprintf(f, "    Once the cause is fixed, resend this group: its error "
                "text does not fit a mail line; pick its records with\n"
                "      weir monitor --pipeline %s --status failed --records\n",
                pipeline);
    else if (resend)
        fprintf(f, "    Once the cause is fixed, resend this group with\n"
                "      %s\n", resend);
    else
        fputs("    Not in the outbox: once the cause is fixed in the source "
              "or the pipeline,\n    the records come again with the next "
              "run.\n", f);
    put_monitor(f, "    ", "or in the web monitor:", str(g, "monitor"));
    fputc('\n', f);
}

static void body_rejected(FILE *f, json_t *ev, const char *pipeline,
                          const char *state, const char *time)
{
    json_int_t count = json_integer_value(json_object_get(ev, "count"));
    size_t listed = json_array_size(json_object_get(ev, "records"));
    fprintf(f, "Pipeline %s: %lld record%s rejected or failed (run or drain "
            "ending %s).\n\n", pipeline, (long long)count,
            count == 1 ? "" : "s", time);
    json_t *groups = weirp_digest_groups(ev, state);
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
        body_group(f, g, pipeline);
    json_decref(groups);
    if ((json_int_t)listed < count)
        fprintf(f, "Only the first %zu of the %lld records are grouped "
                "here; see them all with\n  weir monitor --pipeline %s\n\n",
                listed, (long long)count, pipeline);
    fputs("A resend command picks every failed record of its group in the "
          "state database,\nthose of earlier runs too.\n", f);
}

/* ---- the message ------------------------------------------------------ */

static char *subject(const smtp_mail_opts *o, json_t *ev, const char *type,
                     const char *pipeline)
{
    char *s = NULL;
    const char *sink = str(ev, "sink");
    const char *pre = o->subject_prefix && *o->subject_prefix
                          ? o->subject_prefix : NULL;
    json_int_t count = json_integer_value(json_object_get(ev, "count"));
    char what[160];
    if (strcmp(type, "rejected") == 0)
        snprintf(what, sizeof what, "%lld record%s rejected or failed",
                 (long long)count, count == 1 ? "" : "s");
    else if (strcmp(type, "endpoint-down") == 0)
        snprintf(what, sizeof what, "endpoint of sink %s is down",
                 sink ? sink : "?");
    else if (strcmp(type, "endpoint-up") == 0)
        snprintf(what, sizeof what, "endpoint of sink %s is back up",
                 sink ? sink : "?");
    else if (strcmp(type, "run-failed") == 0)
        snprintf(what, sizeof what, "run failed");
    else
        snprintf(what, sizeof what, "%s", type);
    if (asprintf(&s, "%s%s%s: %s", pre ? pre : "", pre ? " " : "", pipeline,
                 what) < 0)
        return NULL;
    return s;
}

/* `text` with every line ending CRLF (LF or CRLF in, a lone CR dropped). */
static char *crlf(const char *text, size_t len)
{
    size_t lf = 0;
    for (size_t i = 0; i < len; i++)
        lf += text[i] == '\n';
    char *out = malloc(len + lf + 3), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\r')
            continue;
        if (text[i] == '\n')
            *o++ = '\r';
        *o++ = text[i];
    }
    if (o == out || o[-1] != '\n') {
        *o++ = '\r';
        *o++ = '\n';
    }
    *o = '\0';
    return out;
}

char *smtp_mail_build(const smtp_mail_opts *o, const char *event_json)
{
    json_t *ev = json_loads(event_json, 0, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);
        return NULL;
    }
    const char *type = str(ev, "event"), *pipeline = str(ev, "pipeline"),
               *time = str(ev, "time"), *sink = str(ev, "sink"),
               *error = str(ev, "error");
    if (!type)
        type = "event";
    if (!pipeline)
        pipeline = "?";
    if (!time)
        time = "?";
    char *subj = subject(o, ev, type, pipeline);
    char *text = NULL;
    size_t len = 0;
    FILE *f = subj ? open_memstream(&text, &len) : NULL;
    if (!f) {
        free(subj);
        json_decref(ev);
        return NULL;
    }
    char date[64];
    mail_date(o->now, date, sizeof date);
    fprintf(f, "Date: %s\nFrom: %s\nTo: ", date, o->from);
    for (size_t i = 0; i < o->nto; i++)
        fprintf(f, "%s%s", i ? ",\n " : "", o->to[i]);
    fprintf(f, "\nSubject: %s\nMessage-ID: <weir.%llx.%lld@%s>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n"
            "Auto-Submitted: auto-generated\n\n",
            subj, o->unique, (long long)o->now, o->domain);
    free(subj);
    if (strcmp(type, "rejected") == 0) {
        body_rejected(f, ev, pipeline, o->state, time);
    } else if (strcmp(type, "endpoint-down") == 0) {
        fprintf(f, "Pipeline %s: the endpoint of sink %s went down (%s):"
                "\n  ", pipeline, sink ? sink : "?", time);
        put_text(f, error ? error : "(no reason given)", EXCERPT_MAX);
        fputs("\n\nIts records are held, no attempts spent, and go in order "
              "when it answers\nagain. One more mail says when it does.\n", f);
        put_monitor(f, "", "The held records in the web monitor:",
                    str(ev, "monitor"));
    } else if (strcmp(type, "endpoint-up") == 0) {
        fprintf(f, "Pipeline %s: the endpoint of sink %s answers again (%s)."
                "\nThe records held for it are being delivered.\n",
                pipeline, sink ? sink : "?", time);
        put_monitor(f, "", "Follow them in the web monitor:",
                    str(ev, "monitor"));
    } else {
        fprintf(f, "Pipeline %s: %s (%s)", pipeline,
                strcmp(type, "run-failed") == 0 ? "the run failed" : type,
                time);
        if (error) {
            fputs(":\n  ", f);
            put_text(f, error, EXCERPT_MAX);
        }
        fputs("\n", f);
        put_monitor(f, "", "The pipeline in the web monitor:",
                    str(ev, "monitor"));
    }
    json_decref(ev);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    char *msg = crlf(text, len);
    free(text);
    return msg;
}
