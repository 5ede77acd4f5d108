/*
 * smtp.c - the smtp notifier: one mail per event through libcurl's SMTP
 * (STARTTLS or implicit TLS, login from ${env:} secrets).  See
 * docs/plugins/smtp.md.  mail.c writes the message; this file is the
 * plugin's face and the sending.
 *
 * A mail server that is down or slow must not fail the run: the send has
 * timeouts, and a failure is one warning (the URL without its secrets)
 * and ERROR to the core, which goes on.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <weir/plugin.h>

#include "common/config_diag.h"
#include "common/http_client.h"
#include "common/url_log.h"
#include "common/words.h"
#include "mail.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

typedef struct smtp_state {
    weir_instance *inst;
    const weir_host *host;
    const char *url, *from, *user, *password; /* (borrowed until close) */
    char where[512];          /* the URL for log lines, without secrets */
    weirp_words to;           /* every address of every `to` */
    const char **to_v;        /* the words as strings, for mail.c */
    struct curl_slist *rcpt;  /* "<addr>" for RCPT TO */
    long use_ssl;             /* CURLOPT_USE_SSL */
    weirp_http_conf conf;
    smtp_mail_opts mail;
    char domain[256];         /* of the Message-ID */
    unsigned long long sent;  /* messages made, for the Message-ID */
} smtp_state;

static long use_ssl_of(const char *starttls)
{
    if (starttls && strcmp(starttls, "none") == 0)
        return CURLUSESSL_NONE;
    if (starttls && strcmp(starttls, "try") == 0)
        return CURLUSESSL_TRY;
    return CURLUSESSL_ALL;
}

static int printable_ascii(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s >= 0x7F)
            return 0;
    return 1;
}

/* The options' problems, to node_error (check) or the log (open). */
static int check_options(weir_instance *inst, const weir_host *host,
                         int report)
{
    weirp_diag d = {inst, host, report, 0};
    const char *url = host->option(inst, "url");
    if (url && strncmp(url, "smtp://", 7) != 0 &&
        strncmp(url, "smtps://", 8) != 0)
        weirp_diag_report(&d, NULL, "option 'url' of smtp: must start with "
                          "smtp:// (STARTTLS as option 'starttls' says) or "
                          "smtps:// (TLS from the start)");
    const char *from = host->option(inst, "from");
    if (from && !smtp_mail_address_ok(from))
        weirp_diag_report(&d, NULL, "option 'from' of smtp: '%s' is not an "
                          "address like weir@example.com", from);
    size_t n = host->option_count(inst, "to"), addresses = 0;
    for (size_t i = 0; i < n; i++) {
        weirp_words w;
        if (weirp_words_split(&w, host->option_at(inst, "to", i)) != 0) {
            weirp_diag_report(&d, NULL, "smtp: out of memory");
            continue;
        }
        for (size_t k = 0; k < w.n; k++, addresses++)
            if (!smtp_mail_address_ok(w.v[k].text))
                weirp_diag_report(&d, NULL, "option 'to' of smtp: '%s' is not "
                                  "an address like ops@example.com",
                                  w.v[k].text);
        weirp_words_free(&w);
    }
    if (n && !addresses)
        weirp_diag_report(&d, NULL, "option 'to' of smtp: name at least one "
                          "address");
    const char *password = host->option(inst, "password");
    if (password && !(WEIR_HOST_HAS(host, option_is_secret) &&
                      host->option_is_secret(inst, "password")))
        weirp_diag_report(&d, NULL, "option 'password' of smtp: give it as "
                          "${env:NAME}, never in the pipeline file");
    if (!password != !host->option(inst, "user"))
        weirp_diag_report(&d, NULL, "smtp: options 'user' and 'password' go "
                          "together");
    const char *prefix = host->option(inst, "subject-prefix");
    if (prefix && !printable_ascii(prefix))
        weirp_diag_report(&d, NULL, "option 'subject-prefix' of smtp: "
                          "printable ASCII only");
    weirp_http_conf_check(&d, "smtp");
    return d.errors;
}

static weir_status smtp_check(weir_instance *inst, const weir_host *host,
                              weir_kind kind)
{
    (void)kind;
    return check_options(inst, host, 1) ? WEIR_STATUS_ERROR : WEIR_STATUS_OK;
}

static void smtp_close(void *state)
{
    smtp_state *st = state;
    if (!st)
        return;
    curl_slist_free_all(st->rcpt);
    free(st->to_v);
    weirp_words_free(&st->to);
    free(st);
}

/* The Message-ID's domain: this host's name when it is one. */
static void message_domain(char *buf, size_t n)
{
    if (gethostname(buf, n) != 0 || !buf[0])
        buf[0] = '\0';
    buf[n - 1] = '\0';
    for (char *p = buf; *p; p++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789-.", *p))
            buf[0] = '\0';
    if (!buf[0])
        snprintf(buf, n, "localhost");
}

static weir_status smtp_open(weir_instance *inst, const weir_host *host,
                             weir_kind kind, void **state)
{
    *state = NULL;
    if (kind != WEIR_KIND_NOTIFIER) {
        host->log(inst, WEIR_LOG_ERROR, "smtp can only be a <notify>");
        return WEIR_STATUS_ERROR;
    }
    if (check_options(inst, host, 0))
        return WEIR_STATUS_ERROR;
    smtp_state *st = calloc(1, sizeof *st);
    if (!st)
        goto oom;
    st->inst = inst;
    st->host = host;
    st->url = host->option(inst, "url");
    st->from = host->option(inst, "from");
    st->user = host->option(inst, "user");
    st->password = host->option(inst, "password");
    st->use_ssl = use_ssl_of(host->option(inst, "starttls"));
    weirp_url_for_log(st->url,
                      WEIR_HOST_HAS(host, option_is_secret) &&
                          host->option_is_secret(inst, "url"),
                      st->where, sizeof st->where);
    weirp_http_conf_read(inst, host, &st->conf);
    /* every `to` value's words, as one list */
    size_t n = host->option_count(inst, "to"), len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(host->option_at(inst, "to", i)) + 1;
    char *all = calloc(1, len);
    if (!all)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        strcat(all, host->option_at(inst, "to", i));
        strcat(all, " ");
    }
    int split = weirp_words_split(&st->to, all);
    free(all);
    if (split != 0)
        goto oom;
    if (!(st->to_v = calloc(st->to.n + 1, sizeof *st->to_v)))
        goto oom;
    for (size_t i = 0; i < st->to.n; i++) {
        char rcpt[512];
        snprintf(rcpt, sizeof rcpt, "<%s>", st->to.v[i].text);
        struct curl_slist *l = curl_slist_append(st->rcpt, rcpt);
        if (!l)
            goto oom;
        st->rcpt = l;
        st->to_v[i] = st->to.v[i].text;
    }
    message_domain(st->domain, sizeof st->domain);
    st->mail = (smtp_mail_opts){
        .from = st->from, .to = st->to_v, .nto = st->to.n,
        .subject_prefix = host->option(inst, "subject-prefix"),
        .state = host->option(inst, "state"), .domain = st->domain};
    if (st->password && st->use_ssl != CURLUSESSL_ALL &&
        strncmp(st->url, "smtps://", 8) != 0)
        host->log(inst, WEIR_LOG_WARNING, "smtp %s: starttls is not "
                  "'required': the password may cross the network in clear",
                  st->where);
    *state = st;
    return WEIR_STATUS_OK;
oom:
    smtp_close(st);
    host->log(inst, WEIR_LOG_ERROR, "smtp: out of memory");
    return WEIR_STATUS_ERROR;
}

/* ---- sending --------------------------------------------------------- */

typedef struct upload {
    const char *data;
    size_t left;
} upload;

static size_t read_message(char *buf, size_t size, size_t nmemb, void *arg)
{
    upload *u = arg;
    size_t n = size * nmemb < u->left ? size * nmemb : u->left;
    memcpy(buf, u->data, n);
    u->data += n;
    u->left -= n;
    return n;
}

static int send_mail(smtp_state *st, const char *msg, char *why, size_t n)
{
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(why, n, "cannot make a libcurl handle");
        return -1;
    }
    char curl_error[CURL_ERROR_SIZE] = "";
    char from[512];
    snprintf(from, sizeof from, "<%s>", st->from);
    upload u = {msg, strlen(msg)};
    int rc = -1;
    /* (no redirects: libcurl follows them for HTTP only) */
    if (weirp_http_setup_protocols(h, &st->conf, "smtp,smtps") != 0) {
        snprintf(why, n, "libcurl refused a setting (too old a libcurl?)");
        goto done;
    }
    curl_easy_setopt(h, CURLOPT_URL, st->url);
    curl_easy_setopt(h, CURLOPT_USE_SSL, st->use_ssl);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, st->rcpt);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u.left);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
    if (st->user) {
        curl_easy_setopt(h, CURLOPT_USERNAME, st->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, st->password);
    }
    CURLcode res = curl_easy_perform(h);
    if (res == CURLE_OK) {
        rc = 0;
    } else {
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        /* libcurl's words (never the password), and the server's code */
        snprintf(why, n, "%s", curl_error[0] ? curl_error
                                             : curl_easy_strerror(res));
        if (code > 0) {
            size_t len = strlen(why);
            snprintf(why + len, n - len, " (server answered %ld)", code);
        }
    }
done:
    curl_easy_cleanup(h);
    return rc;
}

static weir_status smtp_notify(void *state, const weir_event *event)
{
    smtp_state *st = state;
    const weir_host *h = st->host;
    const char *type = h->event_type(event);
    const char *json = h->event_json(event);
    if (!type)
        type = "?";
    st->mail.now = time(NULL);
    st->mail.unique = ((unsigned long long)getpid() << 32) ^
                      (unsigned long long)clock() ^ ++st->sent << 20;
    char *msg = json ? smtp_mail_build(&st->mail, json) : NULL;
    if (!msg) {
        h->log(st->inst, WEIR_LOG_ERROR, "smtp: the %s event could not be "
               "made into a mail (out of memory?)", type);
        return WEIR_STATUS_ERROR;
    }
    char why[CURL_ERROR_SIZE + 64] = "";
    int rc = send_mail(st, msg, why, sizeof why);
    free(msg);
    if (rc == 0) {
        h->log(st->inst, WEIR_LOG_DEBUG, "smtp %s: mail for the %s event "
               "sent to %zu address%s", st->where, type, st->to.n,
               st->to.n == 1 ? "" : "es");
        return WEIR_STATUS_OK;
    }
    h->log(st->inst, WEIR_LOG_WARNING, "smtp %s: the mail for the %s event "
           "was not sent: %s", st->where, type, why);
    return WEIR_STATUS_ERROR;
}

static const weir_option_spec smtp_options[] = {
    WEIR_OPTION("url", WEIR_OPTION_STRING, WEIR_OPTION_REQUIRED,
        WEIR_KIND_NOTIFIER, NULL,
        "the mail server: smtp://host:587 (STARTTLS, see starttls) or "
        "smtps://host:465 (TLS from the start)"),
    WEIR_OPTION("from", WEIR_OPTION_STRING, WEIR_OPTION_REQUIRED,
        WEIR_KIND_NOTIFIER, NULL, "sender address (weir@example.com)"),
    WEIR_OPTION("to", WEIR_OPTION_LIST, WEIR_OPTION_REQUIRED |
        WEIR_OPTION_REPEATABLE, WEIR_KIND_NOTIFIER, NULL,
        "recipient addresses, space-separated; repeatable"),
    WEIR_OPTION_CHOICES("starttls", 0, WEIR_KIND_NOTIFIER, "required",
        "with smtp://: required (no mail without TLS), try (TLS when the "
        "server offers it), none (plain text)", "none try required"),
    WEIR_OPTION("user", WEIR_OPTION_STRING, 0, WEIR_KIND_NOTIFIER, NULL,
        "login name at the mail server (with password)"),
    WEIR_OPTION("password", WEIR_OPTION_STRING, 0, WEIR_KIND_NOTIFIER, NULL,
        "login password, as ${env:NAME} only; never logged"),
    WEIR_OPTION("subject-prefix", WEIR_OPTION_STRING, 0, WEIR_KIND_NOTIFIER,
        "[weir]", "start of every subject (printable ASCII)"),
    WEIR_OPTION("timeout", WEIR_OPTION_DURATION, 0, WEIR_KIND_NOTIFIER, "30s",
        "per mail, connecting included"),
    WEIR_OPTION("connect-timeout", WEIR_OPTION_DURATION, 0,
        WEIR_KIND_NOTIFIER, "10s", "for the connection"),
    WEIR_OPTION("ca-file", WEIR_OPTION_PATH, 0, WEIR_KIND_NOTIFIER, NULL,
        "CA certificates (PEM) to verify the server with; default: the "
        "system's"),
    WEIR_OPTION("tls-verify", WEIR_OPTION_BOOL, 0, WEIR_KIND_NOTIFIER, "true",
        "false: do not check the server's certificate (logged)"),
    WEIR_OPTION("state", WEIR_OPTION_STRING, 0, WEIR_KIND_NOTIFIER, NULL,
        "the state database as the digest's weir resend commands name it "
        "(--state); default: none"),
    WEIR_OPTION_END,
};

WEIR_PLUGIN_DEFINE = {
    WEIR_PLUGIN_HEADER,
    .kinds = WEIR_KIND_NOTIFIER,
    .name = "smtp",
    .version = PACKAGE_VERSION,
    .description = "mail each event (the rejected digest with its resend "
                   "commands) through an SMTP server",
    .options = smtp_options,
    .load = weirp_http_load,
    .unload = weirp_http_unload,
    .check = smtp_check,
    .open = smtp_open,
    .notify = smtp_notify,
    .close = smtp_close,
};
