/*
 * pipeline_xml.c - reading a pipeline file into the model and checking it.
 *
 * Security: pipeline files come from admins but are parsed as untrusted
 * input.  No network (XML_PARSE_NONET), no entity substitution, and any
 * DOCTYPE is refused before its internal subset is read: Debian's libxml2
 * 2.9 predates the newer XXE and amplification guards, and a pipeline
 * never needs a DTD.  Files over MAX_FILE_SIZE are refused unread; depth
 * is bounded by libxml2's default limit (no XML_PARSE_HUGE).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "base/cron.h"
#include "base/duration.h"
#include "base/env_subst.h"
#include "pipeline/pipeline.h"
#include "plugin/host.h"
#include "plugin/instance.h"
#include "plugin/options.h"

#define WEIR_NS "urn:weir:pipeline:1"
#define MAX_FILE_SIZE (4L * 1024 * 1024)
#define DEFAULT_BATCH 5000

/* A plugin element with more <option>s than this is refused: checking
 * them is quadratic and no real plugin has that many. */
#define MAX_OPTIONS 1000

typedef struct load_ctx {
    weir_pipeline *p;
    weir_diag *diag;
    const char *file;
    weir_plugins *plugins;
    int refused; /* the parser was stopped on purpose (DOCTYPE) */
    unsigned env_failures; /* ${env:} substitutions that failed, so far */
    /* room in p->transforms, p->sinks, p->notifiers */
    size_t transforms_cap, sinks_cap, notifiers_cap;
} load_ctx;

/* libxml2 2.12 made the error argument const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *weir_xml_error;
#else
typedef xmlErrorPtr weir_xml_error;
#endif

/* ---- small helpers ------------------------------------------------- */

static char *xstrdup(const char *s) { return s ? strdup(s) : NULL; }

static long line_of(const xmlNode *n) { return n ? xmlGetLineNo(n) : 0; }

static int is_weir(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns &&
           strcmp((const char *)n->ns->href, WEIR_NS) == 0 &&
           (!name || strcmp((const char *)n->name, name) == 0);
}

/* An attribute's raw value (owned: free), NULL when absent. */
static char *raw_attr(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *copy = v ? strdup((const char *)v) : NULL;
    xmlFree(v);
    return copy;
}

static char *trimmed_text(const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    const char *s = v ? (const char *)v : "";
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
                   s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    char *copy = strndup(s, len);
    xmlFree(v);
    return copy;
}

static void free_words(char **w)
{
    for (size_t i = 0; w && w[i]; i++)
        free(w[i]);
    free(w);
}

static char **split_words(const char *s)
{
    size_t n = 0, cap = 4;
    char **words = calloc(cap + 1, sizeof(*words));
    if (!words)
        return NULL;
    while (s && *s) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        if (!*s)
            break;
        const char *start = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            s++;
        if (n == cap) {
            cap *= 2;
            char **g = realloc(words, (cap + 1) * sizeof(*g));
            if (!g) {
                free_words(words);
                return NULL;
            }
            words = g;
        }
        if (!(words[n] = strndup(start, (size_t)(s - start)))) {
            free_words(words);
            return NULL;
        }
        words[++n] = NULL;
    }
    return words;
}


/* ${env:NAME} substitution, reporting a failure against `what`. */
static char *substitute(load_ctx *lc, long line, const char *what,
                        const char *in, int *secret)
{
    char why[256];
    char *out = weir_env_expand(in, lc->p->secrets, secret, why, sizeof(why));
    if (!out) {
        weir_diag_add(lc->diag, lc->file, line, "%s: %s", what, why);
        lc->env_failures++;
    }
    return out;
}

/* ---- libxml2 errors into the diagnostics ---------------------------- */

static void report_xml_error(load_ctx *lc, weir_xml_error err)
{
    if (!err || err->level == XML_ERR_WARNING || lc->refused)
        return;
    long line = err->line;
    if (line <= 0 && err->node) /* RelaxNG errors name a node, not a line */
        line = xmlGetLineNo((xmlNodePtr)err->node);
    weir_diag_add(lc->diag, lc->file, line, "%s",
                  err->message ? err->message : "XML error");
}

/* The parser's handler gets the parser context; the validator's, ours. */
static void parser_error(void *ctxt, weir_xml_error err)
{
    report_xml_error(((xmlParserCtxtPtr)ctxt)->_private, err);
}

static void schema_error(void *lc, weir_xml_error err)
{
    report_xml_error(lc, err);
}

static void refuse_doctype(void *user, const xmlChar *name,
                           const xmlChar *external_id, const xmlChar *system_id)
{
    (void)name;
    (void)external_id;
    (void)system_id;
    xmlParserCtxtPtr ctxt = user;
    load_ctx *lc = ctxt->_private;
    weir_diag_add(lc->diag, lc->file, xmlSAX2GetLineNumber(ctxt),
                  "DOCTYPE declarations are not allowed in pipeline files "
                  "(no DTD, no entities)");
    lc->refused = 1;
    xmlStopParser(ctxt);
}

static xmlDocPtr parse(load_ctx *lc, const char *xml, size_t len)
{
    if (len > (size_t)MAX_FILE_SIZE) {
        weir_diag_add(lc->diag, lc->file, 0,
                      "file is larger than %ld bytes; refusing to parse it",
                      MAX_FILE_SIZE);
        return NULL;
    }
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return NULL;
    /* Errors go to this context's own handler, never the global one. */
    ctxt->_private = lc;
    ctxt->sax->internalSubset = refuse_doctype;
    ctxt->sax->serror = parser_error;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml, (int)len, lc->file, NULL,
                                      XML_PARSE_NONET | XML_PARSE_BIG_LINES |
                                          XML_PARSE_NOCDATA);
    if (doc && (lc->refused || !ctxt->wellFormed || doc->intSubset ||
                doc->extSubset)) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    if (!doc && weir_diag_count(lc->diag) == 0)
        weir_diag_add(lc->diag, lc->file, 0, "not a well-formed XML file");
    xmlFreeParserCtxt(ctxt);
    return doc;
}

/* The schema is parsed once per process and shared by every load, on any
 * thread (libxml2 validates against a parsed grammar without changing
 * it).  Two first loads at once may both parse it: one keeps its copy,
 * the other frees its own. */
static _Atomic(xmlRelaxNGPtr) rng;

void weir_pipeline_cleanup(void)
{
    xmlRelaxNGFree(atomic_exchange(&rng, NULL));
}

static xmlRelaxNGPtr schema(void)
{
    xmlRelaxNGPtr g = atomic_load(&rng);
    if (g)
        return g;
    xmlRelaxNGParserCtxtPtr pc = xmlRelaxNGNewMemParserCtxt(
        weir_pipeline_schema, (int)strlen(weir_pipeline_schema));
    g = pc ? xmlRelaxNGParse(pc) : NULL;
    xmlRelaxNGFreeParserCtxt(pc);
    xmlRelaxNGPtr first = NULL;
    if (g && !atomic_compare_exchange_strong(&rng, &first, g)) {
        xmlRelaxNGFree(g); /* another load got there first */
        g = first;
    }
    return g;
}

static void validate_schema(load_ctx *lc, xmlDocPtr doc)
{
    xmlRelaxNGPtr grammar = schema();
    if (!grammar) {
        weir_diag_add(lc->diag, lc->file, 0, "internal error: bad schema");
        return;
    }
    xmlRelaxNGValidCtxtPtr vc = xmlRelaxNGNewValidCtxt(grammar);
    if (!vc)
        return;
    xmlRelaxNGSetValidStructuredErrors(vc, schema_error, lc);
    xmlRelaxNGValidateDoc(vc, doc);
    xmlRelaxNGFreeValidCtxt(vc);
}

/* ---- building the model -------------------------------------------- */

static void node_free(weir_node *n)
{
    while (n) {
        weir_node *next = n->next;
        node_free(n->child);
        for (size_t i = 0; n->attrs && n->attrs[i]; i++)
            free(n->attrs[i]);
        free(n->attrs);
        free(n->name);
        free(n->text);
        free(n);
        n = next;
    }
}

static weir_node *build_nodes(load_ctx *lc, const xmlNode *x, int skip_known);

static weir_node *build_node(load_ctx *lc, const xmlNode *x)
{
    weir_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->name = strdup((const char *)x->name);
    n->line = line_of(x);
    size_t na = 0;
    for (const xmlAttr *a = x->properties; a; a = a->next)
        na++;
    n->attrs = calloc(2 * na + 1, sizeof(char *));
    size_t i = 0;
    for (const xmlAttr *a = x->properties; a && n->attrs; a = a->next) {
        /* The attribute's own value: a lookup by name would be quadratic
         * and could pick a namespaced twin. */
        xmlChar *raw = xmlNodeListGetString(x->doc, a->children, 1);
        int secret = 0;
        char what[128];
        snprintf(what, sizeof(what), "attribute '%s' of <%s>", a->name, x->name);
        char *val = substitute(lc, n->line, what, raw ? (const char *)raw : "",
                               &secret);
        xmlFree(raw);
        n->attrs[i++] = strdup((const char *)a->name);
        n->attrs[i++] = val ? val : strdup("");
        n->nattrs++;
    }
    int has_elements = 0;
    for (const xmlNode *c = x->children; c; c = c->next)
        has_elements |= c->type == XML_ELEMENT_NODE;
    if (has_elements) {
        n->text = strdup("");
    } else {
        char *raw = trimmed_text(x);
        int secret = 0;
        char what[128];
        snprintf(what, sizeof(what), "text of <%s>", x->name);
        n->text = raw ? substitute(lc, n->line, what, raw, &secret) : NULL;
        free(raw);
        if (!n->text)
            n->text = strdup("");
    }
    n->child = build_nodes(lc, x->children, 0);
    return n;
}

/* Element children as a node list; with skip_known, <option> and <retry>
 * (the core's own) are left out. */
static weir_node *build_nodes(load_ctx *lc, const xmlNode *x, int skip_known)
{
    weir_node *head = NULL, **tail = &head;
    for (; x; x = x->next) {
        if (x->type != XML_ELEMENT_NODE)
            continue;
        if (skip_known && (is_weir(x, "option") || is_weir(x, "retry")))
            continue;
        weir_node *n = build_node(lc, x);
        if (n) {
            *tail = n;
            tail = &n->next;
        }
    }
    return head;
}

static void instance_free(weir_instance_spec *inst)
{
    if (!inst)
        return;
    for (size_t i = 0; i < inst->noptions; i++) {
        free(inst->options[i].name);
        if (inst->options[i].value && inst->options[i].secret)
            memset(inst->options[i].value, 0, strlen(inst->options[i].value));
        free(inst->options[i].value);
    }
    free(inst->options);
    node_free(inst->config);
    free(inst->plugin_name);
    free(inst->name);
    free(inst->system);
    free(inst);
}

static int parse_duration_attr(load_ctx *lc, const xmlNode *x, const char *name,
                               long long *out)
{
    char *v = raw_attr(x, name);
    if (!v)
        return 0;
    int rc = weir_duration_parse(v, out);
    if (rc)
        weir_diag_add(lc->diag, lc->file, line_of(x),
                      "<%s %s=\"%s\">: not a duration (like 250ms, 15s, 10m, "
                      "1h, 7d)",
                      x->name, name, v);
    free(v);
    return rc;
}

static void parse_retry(load_ctx *lc, weir_instance_spec *inst, const xmlNode *x)
{
    weir_retry_policy *r = &inst->retry;
    char *v = raw_attr(x, "attempts");
    long long n;
    if (v) {
        if (weir_parse_int(v, &n) || n < 1 || n > 1000000)
            weir_diag_add(lc->diag, lc->file, line_of(x),
                          "<retry attempts=\"%s\">: must be a whole number of "
                          "sends, at least 1",
                          v);
        else
            r->attempts = (int)n;
        free(v);
    }
    parse_duration_attr(lc, x, "delay", &r->delay_ms);
    parse_duration_attr(lc, x, "jitter", &r->jitter_ms);
    parse_duration_attr(lc, x, "max-delay", &r->max_delay_ms);
    v = raw_attr(x, "rejects");
    if (v) {
        if (strcmp(v, "fail") == 0 || strcmp(v, "retry") == 0)
            r->retry_rejects = strcmp(v, "retry") == 0;
        else
            weir_diag_add(lc->diag, lc->file, line_of(x),
                          "<retry rejects=\"%s\">: must be fail or retry", v);
        free(v);
    }
    v = raw_attr(x, "down-after");
    if (v) {
        if (weir_parse_int(v, &n) || n < 1 || n > 1000)
            weir_diag_add(lc->diag, lc->file, line_of(x),
                          "<retry down-after=\"%s\">: must be 1 to 1000 "
                          "failed writes",
                          v);
        else
            r->down_after = (int)n;
        free(v);
    }
    v = raw_attr(x, "backoff");
    if (v) {
        char *end;
        double b = strtod(v, &end);
        if (!*v || *end || !(b >= 1.0 && b <= 100.0))
            weir_diag_add(lc->diag, lc->file, line_of(x),
                          "<retry backoff=\"%s\">: must be a number from 1 "
                          "to 100",
                          v);
        else
            r->backoff = b;
        free(v);
    }
}

static weir_instance_spec *build_instance(load_ctx *lc, const xmlNode *x,
                                     weir_kind kind)
{
    weir_instance_spec *inst = calloc(1, sizeof(*inst));
    if (!inst)
        return NULL;
    unsigned env_failures = lc->env_failures;
    inst->pipeline = lc->p;
    inst->kind = kind;
    inst->line = line_of(x);
    inst->plugin_name = raw_attr(x, "plugin");
    inst->name = raw_attr(x, "name");
    inst->system = raw_attr(x, "system");
    inst->system_given = inst->system != NULL;
    if (!inst->system && inst->name)
        inst->system = strdup(inst->name);
    /* five sends, 15-25 s apart (an ERP's integration monitor) */
    inst->retry = (weir_retry_policy){5, 15000, 10000, 1.0, 3600000, 0, 3};

    size_t nopt = 0;
    for (const xmlNode *c = x->children; c; c = c->next)
        nopt += is_weir(c, "option");
    if (nopt > MAX_OPTIONS) {
        weir_diag_add(lc->diag, lc->file, inst->line,
                      "%s '%s': %zu options; at most %d are allowed",
                      weir_kind_name(kind), inst->name ? inst->name : "?", nopt,
                      MAX_OPTIONS);
        nopt = 0;
    }
    inst->options = calloc(nopt ? nopt : 1, sizeof(*inst->options));
    for (const xmlNode *c = x->children; c && inst->options; c = c->next) {
        if (inst->noptions == nopt && is_weir(c, "option"))
            continue;
        if (is_weir(c, "retry")) {
            parse_retry(lc, inst, c);
            continue;
        }
        if (!is_weir(c, "option"))
            continue;
        weir_option_value *o = &inst->options[inst->noptions];
        o->line = line_of(c);
        o->name = raw_attr(c, "name");
        if (!o->name)
            continue; /* the schema reported it */
        char *raw = trimmed_text(c);
        char what[160];
        snprintf(what, sizeof(what), "option '%s' of %s '%s'", o->name,
                 weir_kind_name(kind), inst->name ? inst->name : "?");
        o->value = raw ? substitute(lc, o->line, what, raw, &o->secret) : NULL;
        free(raw);
        if (!o->value) {
            /* Reported already; keep the option as given so that it is
             * not also reported as missing. */
            o->value = strdup("");
            o->unusable = 1;
        }
        inst->noptions++;
    }
    inst->config = build_nodes(lc, x->children, 1);
    inst->env_failed = lc->env_failures != env_failures;
    return inst;
}

/* Append to a growing array (doubling: a long pipeline loads in linear
 * time).  0, or -1 out of memory. */
static int push(weir_instance_spec ***arr, size_t *n, size_t *cap,
                weir_instance_spec *inst)
{
    if (*n == *cap) {
        size_t grown_cap = *cap ? 2 * *cap : 4;
        weir_instance_spec **g = realloc(*arr, grown_cap * sizeof(*g));
        if (!g)
            return -1;
        *arr = g;
        *cap = grown_cap;
    }
    (*arr)[(*n)++] = inst;
    return 0;
}

/* <field name="credit_limit" owner="erp"/>: fields another system owns
 * (system of record) are never sent from this pipeline. */
static void parse_field_owners(load_ctx *lc, const xmlNode *x)
{
    weir_track_spec *t = &lc->p->track;
    size_t n = 0;
    for (const xmlNode *c = x->children; c; c = c->next)
        n += is_weir(c, "field");
    t->owners = calloc(2 * n + 1, sizeof(char *));
    if (!t->owners)
        return;
    size_t i = 0;
    for (const xmlNode *c = x->children; c; c = c->next) {
        if (!is_weir(c, "field"))
            continue;
        char *name = raw_attr(c, "name"), *owner = raw_attr(c, "owner");
        if (!name || !owner) { /* the schema reported a missing name */
            free(name);
            free(owner);
            continue;
        }
        t->owners[i++] = name;
        t->owners[i++] = owner;
    }
}

static void parse_track(load_ctx *lc, const xmlNode *x)
{
    weir_track_spec *t = &lc->p->track;
    if (t->present) {
        weir_diag_add(lc->diag, lc->file, line_of(x),
                      "only one <track> per pipeline (the first is at line %ld)",
                      t->line);
        return;
    }
    t->present = 1;
    t->line = line_of(x);
    t->position = lc->p->ntransforms;
    t->emit_deletes = 1;
    t->max_delete_ratio = 0.2;
    t->max_delete_count = -1;
    char *v = raw_attr(x, "key");
    t->key = split_words(v);
    if (v && (!t->key || !t->key[0]))
        weir_diag_add(lc->diag, lc->file, t->line, "<track key>: no key field");
    free(v);
    v = raw_attr(x, "fields");
    if (v) {
        t->fields = split_words(v);
        /* An empty list would compare nothing: no change ever found. */
        if (!t->fields || !t->fields[0])
            weir_diag_add(lc->diag, lc->file, t->line,
                          "<track fields>: no field to compare; leave the "
                          "attribute out to compare every field");
    }
    free(v);
    v = raw_attr(x, "deletes");
    if (v) {
        if (strcmp(v, "emit") == 0)
            t->emit_deletes = 1;
        else if (strcmp(v, "ignore") == 0)
            t->emit_deletes = 0;
        else
            weir_diag_add(lc->diag, lc->file, t->line,
                          "<track deletes=\"%s\">: must be emit or ignore", v);
        free(v);
    }
    parse_duration_attr(lc, x, "full-refresh", &t->full_refresh_ms);
    parse_field_owners(lc, x);
    v = raw_attr(x, "echo"); /* the schema allows suppress and keep */
    t->echo_keep = v && strcmp(v, "keep") == 0;
    free(v);
    v = raw_attr(x, "max-delete");
    if (v) {
        size_t len = strlen(v);
        char *end;
        if (strcmp(v, "off") == 0) {
            t->max_delete_ratio = -1;
        } else if (len > 1 && v[len - 1] == '%') {
            /* Plain decimals only: strtod would also take "nan", "inf"
             * and hex, and NaN would switch the guard off. */
            size_t digits = strspn(v, "0123456789.");
            double pct = strtod(v, &end);
            if (digits != len - 1 || end != v + len - 1 || !(pct >= 0) ||
                pct > 100)
                weir_diag_add(lc->diag, lc->file, t->line,
                              "<track max-delete=\"%s\">: a percentage must "
                              "be 0%% to 100%%",
                              v);
            else
                t->max_delete_ratio = pct / 100.0;
        } else {
            long long n;
            if (weir_parse_int(v, &n) || n < 0)
                weir_diag_add(lc->diag, lc->file, t->line,
                              "<track max-delete=\"%s\">: must be a count, a "
                              "percentage like 20%%, or off",
                              v);
            else
                t->max_delete_count = n;
        }
        free(v);
    }
}

/* p->all: every instance in run order, for loops that need them all. */
static int index_instances(weir_pipeline *p)
{
    size_t n = (p->source ? 1 : 0) + p->ntransforms + p->nsinks +
               p->nnotifiers;
    p->all = calloc(n ? n : 1, sizeof(*p->all));
    if (!p->all)
        return -1;
    if (p->source)
        p->all[p->nall++] = p->source;
    for (size_t i = 0; i < p->ntransforms; i++)
        p->all[p->nall++] = p->transforms[i];
    for (size_t i = 0; i < p->nsinks; i++)
        p->all[p->nall++] = p->sinks[i];
    for (size_t i = 0; i < p->nnotifiers; i++)
        p->all[p->nall++] = p->notifiers[i];
    for (size_t i = 0; i < p->nall; i++)
        p->all[i]->index = i;
    return 0;
}

/* <notify on="rejected endpoint-down ...">; default every event. */
static void parse_events(load_ctx *lc, weir_instance_spec *inst, const xmlNode *x)
{
    char *v = raw_attr(x, "on");
    inst->events = WEIR_EVENT_ALL;
    if (!v)
        return;
    char **words = split_words(v);
    inst->events = 0;
    for (size_t i = 0; words && words[i]; i++) {
        unsigned bit = 0;
        for (unsigned e = 1; e <= WEIR_EVENT_RUN_FAILED; e <<= 1)
            if (strcmp(words[i], weir_event_name(e)) == 0)
                bit = e;
        if (!bit)
            weir_diag_add(lc->diag, lc->file, inst->line,
                          "<notify on>: unknown event '%s' (rejected, "
                          "endpoint-down, endpoint-up, run-failed)",
                          words[i]);
        inst->events |= bit;
    }
    free_words(words);
    free(v);
}

/* <schedule every="1h"/> or <schedule cron="0 * * * *" tz="..."/>; the
 * schema lets only one of every= and cron= through, tz= only with cron=. */
static void parse_schedule(load_ctx *lc, const xmlNode *x)
{
    weir_pipeline *p = lc->p;
    long line = line_of(x);
    char *every = raw_attr(x, "every"), *cron = raw_attr(x, "cron");
    char why[512];
    p->schedule_line = line;
    if (every && parse_duration_attr(lc, x, "every", &p->schedule_ms) == 0 &&
        p->schedule_ms == 0)
        weir_diag_add(lc->diag, lc->file, line,
                      "<schedule every>: must be longer than 0");
    if (cron && !(p->schedule_cron = weir_cron_parse(cron, why, sizeof(why))))
        weir_diag_add(lc->diag, lc->file, line, "<schedule cron>: %s", why);
    p->schedule_tz = raw_attr(x, "tz");
    if (p->schedule_tz &&
        weir_cron_zone_check(p->schedule_tz, why, sizeof(why)))
        weir_diag_add(lc->diag, lc->file, line, "<schedule tz>: %s", why);
    if ((every || cron) &&
        asprintf(&p->schedule_text, "%s %s%s%s", every ? "every" : "cron",
                 every ? every : cron, p->schedule_tz ? " " : "",
                 p->schedule_tz ? p->schedule_tz : "") < 0)
        p->schedule_text = NULL;
    free(every);
    free(cron);
}

static void build_model(load_ctx *lc, xmlNode *root)
{
    weir_pipeline *p = lc->p;
    p->line = line_of(root);
    p->name = raw_attr(root, "name");
    p->type = raw_attr(root, "type");
    p->type_field = raw_attr(root, "type-field");
    char *keep = raw_attr(root, "keep-delivered");
    if (keep) {
        if (weir_duration_parse(keep, &p->keep_delivered_ms))
            weir_diag_add(lc->diag, lc->file, line_of(root),
                          "<pipeline keep-delivered=\"%s\">: not a duration",
                          keep);
        free(keep);
    }
    char *bs = raw_attr(root, "batch-size");
    if (bs) {
        long long n;
        if (weir_parse_int(bs, &n) || n < 1 || n > 1000000)
            weir_diag_add(lc->diag, lc->file, line_of(root),
                          "<pipeline batch-size=\"%s\">: must be 1 to 1000000",
                          bs);
        else
            p->batch_size = (size_t)n;
        free(bs);
    }
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !is_weir(c, NULL))
            continue;
        const char *n = (const char *)c->name;
        if (strcmp(n, "schedule") == 0) {
            parse_schedule(lc, c);
        } else if (strcmp(n, "source") == 0) {
            weir_instance_spec *inst = build_instance(lc, c, WEIR_KIND_SOURCE);
            if (p->source) {
                weir_diag_add(lc->diag, lc->file, line_of(c),
                              "only one <source> per pipeline");
                instance_free(inst);
            } else {
                p->source = inst;
            }
        } else if (strcmp(n, "transform") == 0) {
            weir_instance_spec *inst = build_instance(lc, c, WEIR_KIND_TRANSFORM);
            if (inst && push(&p->transforms, &p->ntransforms,
                             &lc->transforms_cap, inst))
                instance_free(inst);
        } else if (strcmp(n, "sink") == 0) {
            weir_instance_spec *inst = build_instance(lc, c, WEIR_KIND_SINK);
            if (inst && push(&p->sinks, &p->nsinks, &lc->sinks_cap, inst))
                instance_free(inst);
        } else if (strcmp(n, "track") == 0) {
            parse_track(lc, c);
        } else if (strcmp(n, "notify") == 0) {
            weir_instance_spec *inst = build_instance(lc, c, WEIR_KIND_NOTIFIER);
            if (inst && push(&p->notifiers, &p->nnotifiers,
                             &lc->notifiers_cap, inst))
                instance_free(inst);
            else if (inst)
                parse_events(lc, inst, c);
        }
    }
}

/* ---- checks against the plugins ------------------------------------ */

static int valid_name(const char *s)
{
    if (!s || !*s || strlen(s) > 128)
        return 0;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
            return 0;
    return 1;
}

static void list_options(const weir_plugin *pl, weir_kind kind, char *buf,
                         size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    const weir_option_spec *o;
    WEIR_EACH_OPTION(o, pl, o_i) {
        if (o->kinds && !(o->kinds & kind))
            continue;
        int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", o->name);
        if (n < 0 || (size_t)n >= size - len)
            break;
        len += (size_t)n;
    }
    if (!len)
        snprintf(buf, size, "none");
}

static char *resolve_path(const char *dir, const char *value)
{
    if (value[0] == '/' || !dir)
        return strdup(value);
    size_t n = strlen(dir) + strlen(value) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, value);
    return out;
}

/* A checked value as plugins get it: paths resolved against the file's
 * folder, "tab" turned into the character. */
static void normalize(load_ctx *lc, const weir_option_spec *spec, char **value)
{
    char *out = NULL;
    if (spec->type == WEIR_OPTION_PATH) {
        out = resolve_path(lc->p->dir, *value);
    } else if (spec->type == WEIR_OPTION_CHAR) {
        char c[2] = {(char)weir_parse_char(*value), '\0'};
        out = strdup(c);
    } else {
        return;
    }
    if (out) {
        free(*value);
        *value = out;
    }
}

/* A default that needs the same treatment as a given value is stored as
 * if it had been given, so host->option() hands out the processed form. */
static void add_default(load_ctx *lc, weir_instance_spec *inst,
                        const weir_option_spec *s)
{
    weir_option_value *g =
        realloc(inst->options, (inst->noptions + 1) * sizeof(*g));
    if (!g)
        return;
    inst->options = g;
    weir_option_value *o = &g[inst->noptions];
    memset(o, 0, sizeof(*o));
    o->name = strdup(s->name);
    o->value = strdup(s->default_value);
    o->line = inst->line;
    o->is_default = 1;
    if (!o->name || !o->value) {
        free(o->name);
        free(o->value);
        return;
    }
    normalize(lc, s, &o->value);
    inst->noptions++;
}

static void check_options(load_ctx *lc, weir_instance_spec *inst)
{
    const weir_plugin *pl = inst->plugin;
    const char *kind = weir_kind_name(inst->kind);
    for (size_t i = 0; i < inst->noptions; i++) {
        weir_option_value *o = &inst->options[i];
        const weir_option_spec *spec = weir_instance_option_spec(inst, o->name);
        if (!spec) {
            char valid[512];
            list_options(pl, inst->kind, valid, sizeof(valid));
            weir_diag_add(lc->diag, lc->file, o->line,
                          "unknown option '%s' for %s plugin '%s' (valid: %s)",
                          o->name, kind, pl->name, valid);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(inst->options[j].name, o->name) == 0 &&
                !(spec->flags & WEIR_OPTION_REPEATABLE)) {
                weir_diag_add(lc->diag, lc->file, o->line,
                              "option '%s' given twice (first at line %ld)",
                              o->name, inst->options[j].line);
                break;
            }
        if (o->unusable)
            continue;
        const char *why = weir_option_check_value(spec, o->value);
        if (why) {
            /* Never echo a value that came from the environment. */
            if (o->secret)
                weir_diag_add(lc->diag, lc->file, o->line,
                              "option '%s' (from the environment) %s%s%s%s",
                              o->name, why, spec->choices ? " (" : "",
                              spec->choices ? spec->choices : "",
                              spec->choices ? ")" : "");
            else
                weir_diag_add(lc->diag, lc->file, o->line,
                              "option '%s' = \"%s\" %s%s%s%s", o->name,
                              o->value, why, spec->choices ? " (" : "",
                              spec->choices ? spec->choices : "",
                              spec->choices ? ")" : "");
            continue;
        }
        normalize(lc, spec, &o->value);
    }
    const weir_option_spec *s;
    WEIR_EACH_OPTION(s, pl, s_i) {
        if ((s->kinds && !(s->kinds & inst->kind)) ||
            weir_instance_option(inst, s->name, 0))
            continue;
        if (s->flags & WEIR_OPTION_REQUIRED)
            weir_diag_add(lc->diag, lc->file, inst->line,
                          "%s '%s': missing required option '%s' (%s)", kind,
                          inst->name, s->name, s->help ? s->help : "");
        else if (s->default_value && (s->type == WEIR_OPTION_PATH ||
                                      s->type == WEIR_OPTION_CHAR))
            add_default(lc, inst, s);
    }
}



static void check_instance(load_ctx *lc, weir_instance_spec *inst)
{
    const char *kind = weir_kind_name(inst->kind);
    if (!inst->plugin_name || !inst->name)
        return; /* the schema reported the missing attribute */
    if (!valid_name(inst->name))
        weir_diag_add(lc->diag, lc->file, inst->line,
                      "%s name \"%s\": use letters, digits, '-', '_' and '.'",
                      kind, inst->name);
    char *err = NULL;
    inst->plugin = weir_plugins_get(lc->plugins, inst->plugin_name, &err);
    if (!inst->plugin) {
        weir_diag_add(lc->diag, lc->file, inst->line, "%s '%s': %s", kind,
                      inst->name, err ? err : "cannot load plugin");
        free(err);
        return;
    }
    if (!(inst->plugin->kinds & inst->kind)) {
        weir_diag_add(lc->diag, lc->file, inst->line,
                      "plugin '%s' cannot be a %s", inst->plugin_name, kind);
        inst->plugin = NULL;
        return;
    }
    check_options(lc, inst);
    /* A ${env:} that failed is reported, and its value is "": the
     * plugin's own check would only add a second, confusing error
     * ("must not be empty") about a value the user never wrote. */
    if (inst->env_failed)
        return;
    size_t before = weir_diag_count(lc->diag);
    if (inst->plugin->check) {
        /* check() gets an instance of no run: it reads the configuration */
        weir_instance checked = {.spec = inst};
        weir_status rc =
            inst->plugin->check(&checked, &weir_host_table, inst->kind);
        if (rc != WEIR_STATUS_OK && weir_diag_count(lc->diag) == before)
            weir_diag_add(lc->diag, lc->file, inst->line,
                          "%s '%s': plugin '%s' found its configuration "
                          "invalid",
                          kind, inst->name, inst->plugin_name);
        weir_host_error_clear(&checked);
    }
    else if (inst->config)
        weir_diag_add(lc->diag, lc->file, inst->config->line,
                      "plugin '%s' takes no <%s> element (only <option>)",
                      inst->plugin_name, inst->config->name);
}

typedef struct named {
    const char *name;
    size_t at; /* index in p->all */
} named;

static int by_name_then_place(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* first[i]: the index of the first instance named as instance i (i
 * itself when it is the first, or has no name).  By sorting, not by
 * comparing every pair: a pipeline may have tens of thousands of
 * instances.  Returns NULL out of memory. (owned: free) */
static size_t *first_of_names(const weir_pipeline *p)
{
    size_t *first = malloc((p->nall ? p->nall : 1) * sizeof(*first));
    named *v = malloc((p->nall ? p->nall : 1) * sizeof(*v));
    if (!first || !v) {
        free(first);
        free(v);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < p->nall; i++) {
        first[i] = i;
        if (p->all[i]->name)
            v[n++] = (named){p->all[i]->name, i};
    }
    qsort(v, n, sizeof(*v), by_name_then_place);
    for (size_t k = 1; k < n; k++)
        if (strcmp(v[k].name, v[k - 1].name) == 0)
            first[v[k].at] = first[v[k - 1].at];
    free(v);
    return first;
}

static void check_model(load_ctx *lc)
{
    weir_pipeline *p = lc->p;
    if (p->name && !valid_name(p->name))
        weir_diag_add(lc->diag, lc->file, p->line,
                      "pipeline name \"%s\": use letters, digits, '-', '_' "
                      "and '.'",
                      p->name);
    size_t *first = first_of_names(p);
    if (!first) {
        weir_diag_add(lc->diag, lc->file, 0, "out of memory");
        return;
    }
    weir_instance_spec **all = p->all;
    for (size_t i = 0; i < p->nall; i++) {
        if (first[i] != i)
            weir_diag_add(lc->diag, lc->file, all[i]->line,
                          "duplicate instance name '%s' (also at line %ld)",
                          all[i]->name, all[first[i]]->line);
        check_instance(lc, all[i]);
    }
    free(first);
    /* (the schema has already said so when there is no source or sink) */
}

/* ---- entry points ---------------------------------------------------- */

weir_pipeline *weir_pipeline_load_memory(const char *xml, size_t len,
                                         const char *file, const char *dir,
                                         weir_plugins *plugins, weir_diag *diag)
{
    weir_pipeline *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    atomic_init(&p->refs, 1);
    p->file = strdup(file);
    p->dir = xstrdup(dir);
    p->batch_size = DEFAULT_BATCH;
    p->keep_delivered_ms = 7LL * 86400000;
    if (!p->file || !(p->secrets = weir_secrets_new())) {
        weir_diag_add(diag, file, 0, "out of memory");
        weir_pipeline_unref(p);
        return NULL;
    }
    p->diag = diag;
    weir_diag_set_secrets(diag, p->secrets);
    load_ctx lc = {p, diag, p->file, plugins, 0, 0, 0, 0, 0};
    xmlDocPtr doc = parse(&lc, xml, len);
    if (!doc) {
        weir_diag_set_secrets(diag, NULL);
        weir_pipeline_unref(p);
        return NULL;
    }
    validate_schema(&lc, doc);
    xmlNode *root = xmlDocGetRootElement(doc);
    if (root && is_weir(root, "pipeline")) {
        build_model(&lc, root);
        if (index_instances(p) == 0)
            check_model(&lc);
        else
            weir_diag_add(diag, p->file, 0, "out of memory");
    } else {
        weir_diag_add(diag, p->file, line_of(root),
                      "the root element must be <pipeline xmlns=\"" WEIR_NS
                      "\">");
    }
    xmlFreeDoc(doc);
    /* Plugins report through p->diag only while loading. */
    p->diag = NULL;
    weir_diag_set_secrets(diag, NULL);
    return p;
}

weir_pipeline *weir_pipeline_load(const char *path, weir_plugins *plugins,
                                  weir_diag *diag)
{
    /* O_NONBLOCK: a FIFO or device given as the pipeline must fail the
     * regular-file check below, not hang the open. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        weir_diag_add(diag, path, 0, "cannot read: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_FILE_SIZE) {
        if (S_ISREG(st.st_mode))
            weir_diag_add(diag, path, 0, "file is larger than %ld bytes; "
                          "refusing to parse it", MAX_FILE_SIZE);
        else
            weir_diag_add(diag, path, 0, "not a regular file");
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        weir_diag_add(diag, path, 0, "cannot read: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size + 1);
    size_t got = buf ? fread(buf, 1, size, f) : 0;
    fclose(f);
    if (!buf || got != size) {
        weir_diag_add(diag, path, 0, "cannot read: short read");
        free(buf);
        return NULL;
    }
    /* Relative paths in the file resolve against its folder. */
    char abs[PATH_MAX];
    char *dir = NULL;
    if (realpath(path, abs)) {
        char *slash = strrchr(abs, '/');
        dir = slash == abs ? strdup("/") : strndup(abs, (size_t)(slash - abs));
    }
    weir_pipeline *p =
        weir_pipeline_load_memory(buf, size, path, dir ? dir : ".", plugins, diag);
    free(dir);
    free(buf);
    return p;
}

weir_pipeline *weir_pipeline_ref(weir_pipeline *p)
{
    atomic_fetch_add(&p->refs, 1);
    return p;
}

void weir_pipeline_unref(weir_pipeline *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) > 1)
        return;
    instance_free(p->source);
    for (size_t i = 0; i < p->ntransforms; i++)
        instance_free(p->transforms[i]);
    for (size_t i = 0; i < p->nsinks; i++)
        instance_free(p->sinks[i]);
    for (size_t i = 0; i < p->nnotifiers; i++)
        instance_free(p->notifiers[i]);
    free(p->transforms);
    free(p->sinks);
    free(p->notifiers);
    free(p->all);
    free_words(p->track.key);
    free_words(p->track.fields);
    free_words(p->track.owners);
    free(p->file);
    free(p->dir);
    free(p->name);
    free(p->type);
    free(p->type_field);
    weir_cron_free(p->schedule_cron);
    free(p->schedule_tz);
    free(p->schedule_text);
    weir_secrets_free(p->secrets);
    free(p);
}
