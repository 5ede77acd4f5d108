/*
 * mail.h - an event as a mail message (RFC 5322, CRLF lines, UTF-8 text
 * body): pure formatting, no network.  smtp.c sends what this builds.
 */
#ifndef SMTP_MAIL_H
#define SMTP_MAIL_H

#include <stddef.h>
#include <time.h>

/* Longest line the body gets (SMTP allows 998 octets). */
#define SMTP_MAIL_LINE_MAX 990

typedef struct smtp_mail_opts {
    const char *from;            /* addr-spec */
    const char *const *to;       /* addr-specs */
    size_t nto;
    const char *subject_prefix;  /* printable ASCII; nullable */
    const char *state;           /* --state of the resend commands; nullable */
    const char *domain;          /* right side of the Message-ID */
    unsigned long long unique;   /* left side of the Message-ID */
    time_t now;                  /* the Date header */
} smtp_mail_opts;

/* The message for one event (its JSON object as the core sends it):
 * headers, a blank line, the body, every line ending CRLF.  NULL when the
 * event is not a JSON object or out of memory. (owned, free()) */
char *smtp_mail_build(const smtp_mail_opts *o, const char *event_json);

/* 1 when `addr` is a plain address this notifier accepts (local@domain,
 * printable ASCII, none of <>(),;:\" or spaces). */
int smtp_mail_address_ok(const char *addr);

#endif
