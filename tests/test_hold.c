/*
 * test_hold.c - the per-record contract of ABI 1.3, end to end with the
 * real weir binary: a transform holds records (host->record_hold), they
 * are in the monitor as held with what they wait for, reach no sink, and
 * after release (weir resend ID, weir_engine_release()) re-enter at that
 * transform; a transform sets the operation (host->record_set_op); a
 * sink's ok carries the id the target assigned, stored and shown.
 * Transforms and sinks are the test plugins testhold and testsink.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "e2e.h"
#include "engine/engine.h"
#include "harness.h"
#include "store/state.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs"

/* csv -> [<track key=code>] -> testhold "link" -> testhold "after" ->
 * testsink "app"; the options of each spliced in. */
static void write_pipeline(const char *dir, int track, const char *link,
                           const char *after, const char *sink)
{
    char xml[4096];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"cust\" "
             "type=\"customer\">\n"
             "  <source plugin=\"csv\" name=\"erp\">\n"
             "    <option name=\"path\">in.csv</option>\n"
             "  </source>\n"
             "  %s\n"
             "  <transform plugin=\"testhold\" name=\"link\">%s</transform>\n"
             "  <transform plugin=\"testhold\" name=\"after\">%s</transform>\n"
             "  <sink plugin=\"testsink\" name=\"app\">\n"
             "    <option name=\"database\">target.db</option>\n"
             "    %s\n"
             "    <retry attempts=\"3\" delay=\"0s\" jitter=\"0s\"/>\n"
             "  </sink>\n"
             "</pipeline>\n",
             track ? "<track key=\"code\" max-delete=\"off\"/>" : "", link,
             after, sink ? sink : "");
    free(wt_write_file(dir, "p.xml", xml));
}

static void csv(const char *dir, const char *text)
{
    free(wt_write_file(dir, "in.csv", text));
}

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(4200);
    snprintf(p, 4200, "%s/%s", dir, name);
    return p;
}

static long long q(const char *dir, const char *sql)
{
    char *path = path_in(dir, "target.db");
    long long v = e2e_query_int(path, sql);
    free(path);
    return v;
}

/* weir with `args` (NULL-terminated, after the command's plugin path),
 * expecting exit `code`; its stdout as JSON (owned: json_decref). */
static json_t *weir_json(const char *dir, int code, ...)
{
    const char *args[16] = {NULL};
    int n = 0;
    va_list ap;
    va_start(ap, code);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 13)
        args[n++] = a;
    va_end(ap);
    args[n++] = "--plugin-path";
    args[n++] = PLUGINS;
    e2e_result r = e2e_runv(dir, args);
    CU_ASSERT_EQUAL(r.status, code);
    if (r.status != code)
        fprintf(stderr, "\n%s%s", r.out, r.err);
    json_error_t err;
    json_t *doc = json_loads(r.out ? r.out : "", 0, &err);
    e2e_result_free(&r);
    return doc;
}

static void weir_ok(const char *dir, const char *cmd, const char *arg)
{
    const char *args[] = {cmd, "--plugin-path", PLUGINS, arg, NULL};
    free(e2e_expectv(dir, 0, args));
}

/* The monitor's group of status `status` (borrowed from `doc`). */
static json_t *group_of(json_t *doc, const char *status)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(doc, "groups"), i, g)
        if (strcmp(json_string_value(json_object_get(g, "status")), status) == 0)
            return g;
    return NULL;
}

/* The id of the monitor's held record of `key`, 0 when none. */
static long long held_id(const char *dir, const char *key)
{
    json_t *doc = weir_json(dir, 0, "monitor", "--json", "--records", NULL);
    json_t *g = group_of(doc, "held");
    long long id = 0;
    size_t i;
    json_t *rec;
    json_array_foreach(g ? json_object_get(g, "records") : NULL, i, rec)
        if (strcmp(json_string_value(json_object_get(rec, "key")), key) == 0)
            id = json_integer_value(json_object_get(rec, "id"));
    json_decref(doc);
    return id;
}

static json_t *show(const char *dir, long long id)
{
    char arg[32];
    snprintf(arg, sizeof(arg), "%lld", id);
    return weir_json(dir, 0, "show", arg, "--json", NULL);
}

static const char *str(json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s ? s : "(null)";
}

static int64_t release(const char *dir, const char *wait_key)
{
    char *path = path_in(dir, "weir.db");
    weir_error err = {0};
    weir_state *st = weir_state_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    int64_t n = weir_engine_release(st, wait_key);
    weir_state_close(st);
    free(path);
    return n;
}

#define LINK "<option name=\"stamp\">L</option>" \
    "<option name=\"field\">cust</option>" \
    "<option name=\"hold-values\">C9</option>" \
    "<option name=\"until-file\">linked</option>" \
    "<option name=\"wait-prefix\">customer app:</option>"
#define AFTER "<option name=\"stamp\">B</option>"

static void test_held_released_reentered(void)
{
    char *d = e2e_scratch("hold");
    write_pipeline(d, 1, LINK, AFTER, NULL);
    csv(d, "code,cust,name\nA1,C1,Alpha\nA2,C9,Beta\nA3,C9,Gamma\n");
    weir_ok(d, "run", "p.xml");
    /* A1 passed both transforms once; A2 and A3 reached no sink */
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM target WHERE key = 'A1' AND "
                         "payload LIKE '%trail=LB'"), 1);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM sends WHERE key != 'A1'"), 0);

    json_t *doc = weir_json(d, 0, "monitor", "--json", "--records", NULL);
    json_t *g = group_of(doc, "held");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_STRING_EQUAL(str(g, "held_by_transform"), "link");
    CU_ASSERT_STRING_EQUAL(str(g, "error"), "waiting for a link");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(g, "count")), 2);
    json_t *rec = json_array_get(json_object_get(g, "records"), 0);
    CU_ASSERT_STRING_EQUAL(str(rec, "held_by"), "link");
    CU_ASSERT_STRING_EQUAL(str(rec, "reenters_at"), "link");
    CU_ASSERT_STRING_EQUAL(str(rec, "waits_for"), "customer app:C9");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(rec, "attempts")), 0);
    json_decref(doc);

    /* stored as it reached "link": without that transform's stamp */
    long long a2 = held_id(d, "A2"), a3 = held_id(d, "A3");
    CU_ASSERT(a2 > 0 && a3 > 0);
    json_t *row = show(d, a2);
    CU_ASSERT_STRING_EQUAL(str(row, "status"), "held");
    CU_ASSERT_STRING_EQUAL(str(row, "held_by"), "link");
    CU_ASSERT_STRING_EQUAL(str(row, "waits_for"), "customer app:C9");
    CU_ASSERT_STRING_EQUAL(str(row, "op"), "insert");
    CU_ASSERT_STRING_EQUAL(str(json_object_get(row, "payload"), "name"), "Beta");
    CU_ASSERT_PTR_NULL(json_object_get(json_object_get(row, "payload"), "trail"));
    json_decref(row);

    /* released while the link is still missing: held again, no attempt */
    char id[32];
    snprintf(id, sizeof(id), "%lld", a2);
    weir_ok(d, "resend", id);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM sends WHERE key = 'A2'"), 0);
    row = show(d, a2);
    CU_ASSERT_STRING_EQUAL(str(row, "status"), "held");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(row, "attempts")), 0);
    CU_ASSERT_PTR_NULL(json_object_get(json_object_get(row, "payload"), "trail"));
    CU_ASSERT_EQUAL(json_array_size(json_object_get(row, "history")), 2);
    json_decref(row);

    /* a newer change of a held key replaces it: the latest state wins */
    csv(d, "code,cust,name\nA1,C1,Alpha\nA2,C9,Beta\nA3,C9,Gamma2\n");
    weir_ok(d, "run", "p.xml");
    long long a3new = held_id(d, "A3");
    CU_ASSERT(a3new > a3);
    row = show(d, a3);
    CU_ASSERT_STRING_EQUAL(str(row, "status"), "superseded");
    json_decref(row);

    /* the link exists: A2 resent re-enters at "link", both transforms
     * run once more on the stored payload, then the sink */
    free(wt_write_file(d, "linked", ""));
    weir_ok(d, "resend", id);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM target WHERE key = 'A2' AND "
                         "payload LIKE '%name=Beta%trail=LB'"), 1);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM sends WHERE key = 'A2'"), 1);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM sends WHERE key = 'A3'"), 0);
    row = show(d, a2);
    CU_ASSERT_STRING_EQUAL(str(row, "status"), "delivered");
    CU_ASSERT(json_is_null(json_object_get(row, "assigned_id")));
    json_decref(row);

    /* the xref store's call: A3's newest change only, then a drain */
    CU_ASSERT_EQUAL(release(d, "customer app:C9"), 1);
    CU_ASSERT_EQUAL(release(d, "customer app:C9"), 0);
    weir_ok(d, "drain", "p.xml");
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM target WHERE key = 'A3' AND "
                         "payload LIKE '%name=Gamma2%trail=LB'"), 1);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM applied WHERE key = 'A3'"), 1);
    doc = weir_json(d, 0, "monitor", "--json", NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "groups")), 0);
    json_decref(doc);
    free(d);
}

/* Without <track>: records are held, released together, and delivered in
 * the order they came; held again by a later transform, the stored
 * payload is the one that reached that transform. */
static void test_release_order_and_later_transform(void)
{
    char *d = e2e_scratch("holdorder");
    write_pipeline(d, 0, "<option name=\"stamp\">L</option>",
                   "<option name=\"stamp\">B</option>"
                   "<option name=\"field\">cust</option>"
                   "<option name=\"until-file\">linked</option>"
                   "<option name=\"wait-prefix\">customer app:</option>",
                   NULL);
    csv(d, "code,cust,name\nA1,C9,One\nA1,C9,Two\nA1,C9,Three\n");
    weir_ok(d, "run", "p.xml");
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM sends"), 0);
    json_t *doc = weir_json(d, 0, "monitor", "--json", "--records", NULL);
    json_t *g = group_of(doc, "held");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_STRING_EQUAL(str(g, "held_by_transform"), "after");
    long long first = json_integer_value(json_object_get(
        json_array_get(json_object_get(g, "records"), 0), "id"));
    json_decref(doc);
    /* held at "after": stored with the stamp of "link", not its own */
    json_t *row = show(d, first);
    CU_ASSERT_STRING_EQUAL(str(row, "reenters_at"), "after");
    CU_ASSERT_STRING_EQUAL(str(json_object_get(row, "payload"), "trail"), "L");
    json_decref(row);
    /* still waiting: a drain sends nothing */
    weir_ok(d, "drain", "p.xml");
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM sends"), 0);

    free(wt_write_file(d, "linked", ""));
    CU_ASSERT_EQUAL(release(d, "customer app:C9"), 3);
    weir_ok(d, "drain", "p.xml");
    /* "link" did not run again; "after" did, once; in the source's order */
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM applied"), 3);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM target WHERE key = 'A1' AND "
                         "payload LIKE '%name=Three%trail=LB'"), 1);
    CU_ASSERT_EQUAL(q(d, "SELECT group_concat(substr(payload, instr(payload, "
                         "'name=') + 5, 2), '') = 'OnTwTh' FROM (SELECT "
                         "payload FROM applied ORDER BY rowid)"), 1);
    free(d);
}

static void test_set_op(void)
{
    char *d = e2e_scratch("setop");
    csv(d, "code,cust,name\nA1,C1,Alpha\nA2,C2,Beta\n");
    write_pipeline(d, 0, "", "<option name=\"set-op\">insert</option>", NULL);
    weir_ok(d, "run", "p.xml");
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM applied WHERE op = 'insert'"), 2);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM target"), 2);
    write_pipeline(d, 0, "", "<option name=\"set-op\">delete</option>", NULL);
    weir_ok(d, "run", "p.xml");
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM applied WHERE op = 'delete'"), 2);
    CU_ASSERT_EQUAL(q(d, "SELECT count(*) FROM target"), 0);

    /* an operation set before a hold is forgotten with the rest */
    char *d2 = e2e_scratch("setophold");
    csv(d2, "code,cust,name\nA1,C1,Alpha\nA2,C9,Beta\n");
    write_pipeline(d2, 1, LINK "<option name=\"set-op\">update</option>", "",
                   NULL);
    weir_ok(d2, "run", "p.xml");
    CU_ASSERT_EQUAL(q(d2, "SELECT count(*) FROM applied WHERE key = 'A1' AND "
                          "op = 'update'"), 1);
    json_t *row = show(d2, held_id(d2, "A2"));
    CU_ASSERT_STRING_EQUAL(str(row, "op"), "insert");
    json_decref(row);
    free(d2);
    free(d);
}

static void test_assigned_ids(void)
{
    char *d = e2e_scratch("assigned");
    csv(d, "code,cust,name\nA1,C1,Alpha\nA2,C2,Beta\n");
    write_pipeline(d, 1, "", "",
                   "<option name=\"assign-ids\">ERP-</option>"
                   "<option name=\"hold-keys\">A2</option>");
    weir_ok(d, "run", "p.xml");
    /* the target held A2: it goes through the outbox */
    json_t *doc = weir_json(d, 0, "monitor", "--json", "--records", NULL);
    json_t *g = group_of(doc, "held");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT(json_is_null(json_object_get(g, "held_by_transform")));
    long long a2 = json_integer_value(json_object_get(
        json_array_get(json_object_get(g, "records"), 0), "id"));
    json_decref(doc);
    write_pipeline(d, 1, "", "", "<option name=\"assign-ids\">ERP-</option>");
    weir_ok(d, "drain", "p.xml");
    json_t *row = show(d, a2);
    CU_ASSERT_STRING_EQUAL(str(row, "status"), "delivered");
    CU_ASSERT_STRING_EQUAL(str(row, "assigned_id"), "ERP-A2");
    json_decref(row);
    /* and per key, for the record a run delivered without an outbox row */
    char *path = path_in(d, "weir.db");
    char *id = NULL;
    weir_error err = {0};
    weir_state *st = weir_state_open_reader(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(weir_state_assigned_get(st, "cust", "app", "A1", &id), 0);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "ERP-A1");
    free(id);
    CU_ASSERT_EQUAL(weir_state_assigned_get(st, "cust", "app", "A2", &id), 0);
    CU_ASSERT_STRING_EQUAL(id ? id : "", "ERP-A2");
    free(id);
    CU_ASSERT_EQUAL(weir_state_assigned_get(st, "cust", "app", "A9", &id), 1);
    CU_ASSERT_PTR_NULL(id);
    weir_state_close(st);
    free(path);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("hold", NULL, NULL);
    CU_add_test(s, "held by a transform, released, re-entered there",
                test_held_released_reentered);
    CU_add_test(s, "released in order; held at a later transform",
                test_release_order_and_later_transform);
    CU_add_test(s, "record_set_op", test_set_op);
    CU_add_test(s, "assigned ids stored and shown", test_assigned_ids);
}
