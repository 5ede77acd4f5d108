/*
 * test_xref_create.c - xref's missing="create" end to end (seed 003): CRM
 * accounts become ERP customers through the http sink and the test ERP,
 * the number the ERP assigns becomes the link in the same transaction as
 * the acknowledgement, and later changes go as updates with it; no
 * customer is created twice, also when the ERP was down or its answer
 * was lost.
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
#include "erp_server.h"
#include "harness.h"

#define PLUGINS WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR "/plugins/.libs"

static erp_server *erp;

static int start(void)
{
    erp = erp_start(0);
    return erp ? 0 : -1;
}

static int stop(void)
{
    erp_stop(erp);
    return 0;
}

/* crm.csv (system crm) -> <track key=account> -> xref account into
 * erp_code, missing=create -> http sink (system erp) to the test ERP. */
static char *crm_dir(const char *name, const char *csv)
{
    char *d = e2e_scratch(name);
    char xml[4096];
    snprintf(xml, sizeof xml,
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"crm-to-erp\" type=\"customer\">\n"
             "  <source plugin=\"csv\" name=\"crm\" system=\"crm\">\n"
             "    <option name=\"path\">crm.csv</option>\n"
             "  </source>\n"
             "  <track key=\"account\" max-delete=\"off\"/>\n"
             "  <transform plugin=\"xref\" name=\"erp-number\">\n"
             "    <option name=\"entity\">customer</option>\n"
             "    <option name=\"field\">account</option>\n"
             "    <option name=\"into\">erp_code</option>\n"
             "    <option name=\"to\">erp</option>\n"
             "    <option name=\"missing\">create</option>\n"
             "  </transform>\n"
             "  <sink plugin=\"http\" name=\"erp\" system=\"erp\">\n"
             "    <option name=\"url\">%s</option>\n"
             "    <option name=\"insert\">POST /customers</option>\n"
             "    <option name=\"update\">PUT /customers/{erp_code}</option>\n"
             "    <option name=\"body\">{\"name\": \"{name}\", \"ref\": \"{account}\"}</option>\n"
             "    <option name=\"id-pointer\">/id</option>\n"
             "    <option name=\"error-pointer\">/error/message</option>\n"
             "    <option name=\"lookup\">GET /customers?ref={account}</option>\n"
             "    <option name=\"lookup-pointer\">/data</option>\n"
             "    <retry attempts=\"5\" delay=\"0s\" jitter=\"0s\"/>\n"
             "  </sink>\n"
             "</pipeline>\n", erp_url(erp));
    free(wt_write_file(d, "p.xml", xml));
    free(wt_write_file(d, "crm.csv", csv));
    return d;
}

/* weir ARGS... --plugin-path, expecting exit `code`: its output. (owned) */
#define weir(dir, code, ...) e2e_expect_with(dir, code, PLUGINS, __VA_ARGS__)

/* The ERP id linked to crm account `account`, "" when none. (owned) */
static char *linked(const char *dir, const char *account)
{
    char *out = weir(dir, 0, "xref", "list", "--json", NULL);
    json_t *doc = json_loads(out, 0, NULL);
    free(out);
    const char *got = "";
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(doc, "links"), i, l) {
        json_t *ends = json_object_get(l, "ends");
        for (size_t k = 0; k < 2; k++) {
            json_t *me = json_array_get(ends, k), *other = json_array_get(ends, 1 - k);
            const char *sys = json_string_value(json_object_get(me, "system"));
            const char *id = json_string_value(json_object_get(me, "id"));
            const char *osys = json_string_value(json_object_get(other, "system"));
            if (sys && id && osys && strcmp(sys, "crm") == 0 && strcmp(id, account) == 0 &&
                strcmp(osys, "erp") == 0)
                got = json_string_value(json_object_get(other, "id"));
        }
    }
    char *r = strdup(got ? got : "");
    json_decref(doc);
    return r;
}

static const char *erp_name(const char *id)
{
    static char name[128];
    json_t *c = erp_record(erp, "customers", id);
    snprintf(name, sizeof name, "%s", json_string_value(json_object_get(c, "name"))
                                          ? json_string_value(json_object_get(c, "name"))
                                          : "");
    json_decref(c);
    return name;
}

/* New accounts are created and linked to the number the ERP gave; a
 * later change is an update of that customer, never a second create. */
static void test_create_links_then_updates(void)
{
    char *d = crm_dir("create", "account,name\nK1,Hilltop Farm\nK2,Brook Dairy\n");
    char *out = weir(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "2 written"));
    free(out);
    CU_ASSERT_EQUAL(erp_created(erp, "customers", "K1"), 1);
    CU_ASSERT_EQUAL(erp_created(erp, "customers", "K2"), 1);
    char *k1 = linked(d, "K1"), *k2 = linked(d, "K2");
    CU_ASSERT(k1[0] == 'C' && k2[0] == 'C' && strcmp(k1, k2) != 0);
    CU_ASSERT_STRING_EQUAL(erp_name(k1), "Hilltop Farm");
    out = weir(d, 0, "xref", "list", NULL);
    CU_ASSERT(e2e_contains(out, "created"));
    free(out);
    /* K1 renamed in the CRM: PUT /customers/<its number> */
    free(wt_write_file(d, "crm.csv", "account,name\nK1,Hilltop Farm Ltd\nK2,Brook Dairy\n"));
    erp_reset_counters(erp);
    out = weir(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    char put[64];
    snprintf(put, sizeof put, "PUT /customers/%s", k1);
    CU_ASSERT_EQUAL(erp_requests_to(erp, put), 1);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /customers"), 0);
    CU_ASSERT_EQUAL(erp_created(erp, "customers", "K1"), 0); /* since the reset */
    CU_ASSERT_STRING_EQUAL(erp_name(k1), "Hilltop Farm Ltd");
    free(k1);
    free(k2);
    free(d);
}

/* Account `account`, created and linked before, renamed `name` in the
 * CRM: the run updates the linked customer, and creates none. */
static void change_goes_as_update(const char *d, const char *account, const char *name)
{
    char csv[256];
    snprintf(csv, sizeof csv, "account,name\n%s,%s\n", account, name);
    free(wt_write_file(d, "crm.csv", csv));
    free(weir(d, 0, "run", "p.xml", NULL));
    CU_ASSERT_EQUAL(erp_created(erp, "customers", account), 1);
    char *k = linked(d, account);
    CU_ASSERT(k[0] == 'C');
    CU_ASSERT_STRING_EQUAL(erp_name(k), name);
    free(k);
}

/* crm_dir() with `from` in the pipeline replaced by `to`. */
static void edit_pipeline(const char *d, const char *from, const char *to)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/p.xml", d);
    char *xml = wt_read_file(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
    char *at = strstr(xml, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    size_t lf = strlen(from), lt = strlen(to), n = strlen(xml);
    char *out = malloc(n - lf + lt + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    memcpy(out, xml, (size_t)(at - xml));
    memcpy(out + (at - xml), to, lt);
    strcpy(out + (at - xml) + lt, at + lf);
    free(wt_write_file(d, "p.xml", out));
    free(out);
    free(xml);
}

/* The create's answer lost, and the account changed again before a
 * drain: the change waits for the create (which alone can make the
 * link), the create goes again with its idempotency key, and the change
 * follows as an update: one customer. */
static void test_create_answer_lost_then_changed(void)
{
    char *d = crm_dir("create-lost-changed", "account,name\nK91,Fern One\n");
    erp_set_flaky(erp, ERP_FLAKY_LOSE, 1);
    free(weir(d, 0, "run", "p.xml", NULL));
    erp_set_flaky(erp, ERP_FLAKY_OFF, 0);
    free(wt_write_file(d, "crm.csv", "account,name\nK91,Fern One Ltd\n"));
    char *out = weir(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 held"));
    CU_ASSERT_PTR_NULL(strstr(out, "superseded"));
    free(out);
    free(weir(d, 0, "drain", NULL)); /* the create, then the change */
    free(weir(d, 0, "drain", NULL));
    CU_ASSERT_EQUAL(erp_created(erp, "customers", "K91"), 1);
    char *k = linked(d, "K91");
    CU_ASSERT_FATAL(k[0] == 'C');
    CU_ASSERT_STRING_EQUAL(erp_name(k), "Fern One Ltd");
    out = weir(d, 0, "monitor", NULL);
    CU_ASSERT(e2e_contains(out, "(nothing undelivered)"));
    free(out);
    free(k);
    change_goes_as_update(d, "K91", "Fern One Plc");
    free(d);
}

/* A target that takes the create but does not say which id it gave: the
 * record fails saying so (also with rejects="retry": sent again it would
 * make another), and the account's next change waits instead of making
 * a second one; once an admin links it, the change goes as an update. */
static void test_create_without_id(void)
{
    char *d = crm_dir("create-no-id", "account,name\nK92,Oak One\n");
    edit_pipeline(d, "POST /customers", "POST /hooks/{account}");
    edit_pipeline(d, "<retry attempts=\"5\" delay=\"0s\" jitter=\"0s\"/>",
                  "<retry attempts=\"5\" delay=\"0s\" jitter=\"0s\" rejects=\"retry\"/>");
    erp_reset_counters(erp);
    char *out = weir(d, 1, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "did not say which id it gave it"));
    free(out);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /hooks/K92"), 1);
    free(wt_write_file(d, "crm.csv", "account,name\nK92,Oak One Ltd\n"));
    out = weir(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 held"));
    free(out);
    free(weir(d, 0, "drain", NULL));
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /hooks/K92"), 1);
    /* the admin finds the customer the target made and links it */
    CU_ASSERT_EQUAL(erp_add_customer(erp, "C00192", "Oak One"), 0);
    free(weir(d, 0, "xref", "add", "customer", "crm:K92", "erp:C00192", NULL));
    free(weir(d, 0, "drain", NULL));
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /hooks/K92"), 1);
    /* both versions go, in order, as updates: the refused create's, then
     * the change's */
    CU_ASSERT_EQUAL(erp_requests_to(erp, "PUT /customers/C00192"), 2);
    CU_ASSERT_STRING_EQUAL(erp_name("C00192"), "Oak One Ltd");
    char *out2 = weir(d, 0, "monitor", NULL);
    CU_ASSERT(e2e_contains(out2, "(nothing undelivered)"));
    free(out2);
    free(d);
}

/* A sink whose system is not `to`: nothing could make the link, so
 * nothing is created (every change would make another). */
static void test_create_needs_the_sink_of_to(void)
{
    char *d = crm_dir("create-wrong-sink", "account,name\nK93,Elm One\n");
    edit_pipeline(d, "name=\"erp\" system=\"erp\"", "name=\"erp-api\"");
    erp_reset_counters(erp);
    char *out = weir(d, 0, "run", "p.xml", NULL); /* waits; the log says why */
    CU_ASSERT(e2e_contains(out, "no <sink> of this pipeline has system=\"erp\""));
    free(out);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /customers"), 0);
    free(d);
}

/* An account new to weir that an admin linked already (the ERP has the
 * customer): an update of it, not a second customer. */
static void test_create_linked_beforehand(void)
{
    char *d = crm_dir("create-linked", "account,name\nK41,Willow Farm\n");
    CU_ASSERT_EQUAL(erp_add_customer(erp, "C00141", "Willow Farm (old name)"), 0);
    free(weir(d, 0, "xref", "add", "customer", "crm:K41", "erp:C00141", NULL));
    erp_reset_counters(erp);
    free(weir(d, 0, "run", "p.xml", NULL));
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /customers"), 0);
    CU_ASSERT_EQUAL(erp_requests_to(erp, "PUT /customers/C00141"), 1);
    CU_ASSERT_STRING_EQUAL(erp_name("C00141"), "Willow Farm");
    free(d);
}

/* A clerk types account `account` into the ERP as `erp_id` and links it:
 * the account held until then goes as an update of that customer, named
 * `name`, and nothing is created. */
static void clerk_links(const char *d, const char *account, const char *erp_id,
                        const char *name)
{
    char *out = weir(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 held"));
    free(out);
    CU_ASSERT_EQUAL(erp_created(erp, "customers", account), 0);
    CU_ASSERT_EQUAL(erp_add_customer(erp, erp_id, "(typed by the clerk)"), 0);
    char crm[64], erp_end[64], put[96];
    snprintf(crm, sizeof crm, "crm:%s", account);
    snprintf(erp_end, sizeof erp_end, "erp:%s", erp_id);
    free(weir(d, 0, "xref", "add", "customer", crm, erp_end, NULL));
    erp_reset_counters(erp);
    free(weir(d, 0, "drain", NULL));
    CU_ASSERT_EQUAL(erp_requests_to(erp, "POST /customers"), 0);
    snprintf(put, sizeof put, "PUT /customers/%s", erp_id);
    CU_ASSERT_EQUAL(erp_requests_to(erp, put), 1);
    CU_ASSERT_STRING_EQUAL(erp_name(erp_id), name);
}

/* missing="hold" for the accounts (a clerk types the customer into the
 * ERP and links it): the account waits; the link releases it, and it
 * goes as an update of the clerk's customer. */
static void test_hold_clerk_links(void)
{
    char *d = crm_dir("hold-clerk", "account,name\nK51,Ash Mill\n");
    edit_pipeline(d, ">create<", ">hold<");
    clerk_links(d, "K51", "C00151", "Ash Mill");
    free(d);
}

/* The same with a composite <track> key (company and account): the id
 * is one of the key's parts, the record is the object: an update. */
static void test_hold_clerk_links_composite_key(void)
{
    char *d = crm_dir("hold-clerk-composite", "company,account,name\nACME,K61,Elm Yard\n");
    edit_pipeline(d, ">create<", ">hold<");
    edit_pipeline(d, "<track key=\"account\"", "<track key=\"company account\"");
    clerk_links(d, "K61", "C00161", "Elm Yard");
    free(d);
}

/* The ERP down at the first run: the create waits in the outbox with its
 * link to make; drained once the ERP is back, it is created once and
 * linked; the next change goes as an update. */
static void test_create_while_down(void)
{
    char *d = crm_dir("create-down", "account,name\nK7,Mill House\n");
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_DOWN_503), 0);
    free(weir(d, 0, "run", "p.xml", NULL));
    CU_ASSERT_EQUAL(erp_created(erp, "customers", "K7"), 0);
    char *k7 = linked(d, "K7");
    CU_ASSERT_STRING_EQUAL(k7, "");
    free(k7);
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_UP), 0);
    free(weir(d, 0, "drain", NULL));
    CU_ASSERT_EQUAL(erp_created(erp, "customers", "K7"), 1);
    change_goes_as_update(d, "K7", "Mill House Bakery");
    free(d);
}

/* The ERP created the customer but its answer was lost: the create is
 * sent again with the same idempotency key (the ERP answers it once
 * more, or the lookup finds it): one customer, linked. */
static void test_create_answer_lost(void)
{
    char *d = crm_dir("create-lost", "account,name\nK9,Fern Nursery\n");
    erp_set_flaky(erp, ERP_FLAKY_LOSE, 1);
    free(weir(d, 0, "run", "p.xml", NULL));
    erp_set_flaky(erp, ERP_FLAKY_OFF, 0);
    free(weir(d, 0, "drain", NULL));
    CU_ASSERT_EQUAL(erp_created(erp, "customers", "K9"), 1);
    char *k9 = linked(d, "K9");
    CU_ASSERT(k9[0] == 'C');
    CU_ASSERT_STRING_EQUAL(erp_name(k9), "Fern Nursery");
    free(k9);
    free(d);
}

/* A create the ERP refuses fails with its words and keeps its link to
 * make: resent, it is created once and linked; a newer change of an
 * account whose create was refused replaces it and is the create. */
static void test_create_refused(void)
{
    char *d = crm_dir("create-refused", "account,name\nK5,Oak Yard\nK6,Ash Mill\n");
    erp_fail_next(erp, 2, 422, 0);
    char *out = weir(d, 1, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "2 rejected"));
    free(out);
    CU_ASSERT_EQUAL(erp_created(erp, "customers", "K5"), 0);
    out = weir(d, 0, "monitor", NULL);
    CU_ASSERT(e2e_contains(out, "injected failure"));
    free(out);
    /* K5 resent as it was; K6 changed at the source */
    free(wt_write_file(d, "crm.csv", "account,name\nK5,Oak Yard\nK6,Ash Mill Ltd\n"));
    out = weir(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    CU_ASSERT(e2e_contains(out, "1 superseded"));
    free(out);
    out = weir(d, 0, "resend", "--pipeline", "crm-to-erp", "--failed", NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(erp_created(erp, "customers", "K5"), 1);
    CU_ASSERT_EQUAL(erp_created(erp, "customers", "K6"), 1);
    char *k5 = linked(d, "K5"), *k6 = linked(d, "K6");
    CU_ASSERT(k5[0] == 'C' && k6[0] == 'C');
    CU_ASSERT_STRING_EQUAL(erp_name(k6), "Ash Mill Ltd");
    free(k5);
    free(k6);
    free(d);
}

/* app orders -> xref customer (missing=keep) -> http POST /orders. */
static char *keep_dir(const char *name)
{
    char *d = e2e_scratch(name);
    char xml[4096];
    snprintf(xml, sizeof xml,
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"app-orders\" type=\"order\">\n"
             "  <source plugin=\"csv\" name=\"app\" system=\"app\">\n"
             "    <option name=\"path\">orders.csv</option>\n"
             "  </source>\n"
             "  <transform plugin=\"xref\" name=\"customer-code\">\n"
             "    <option name=\"entity\">customer</option>\n"
             "    <option name=\"field\">customer</option>\n"
             "    <option name=\"to\">erp</option>\n"
             "    <option name=\"missing\">keep</option>\n"
             "  </transform>\n"
             "  <sink plugin=\"http\" name=\"erp\" system=\"erp\">\n"
             "    <option name=\"url\">%s</option>\n"
             "    <option name=\"upsert\">POST /orders</option>\n"
             "    <option name=\"body\">{\"ref\": \"{order}\", \"customer\": \"{customer}\"}</option>\n"
             "    <option name=\"error-pointer\">/error/message</option>\n"
             "    <retry attempts=\"5\" delay=\"0s\" jitter=\"0s\"/>\n"
             "  </sink>\n"
             "</pipeline>\n", erp_url(erp));
    free(wt_write_file(d, "p.xml", xml));
    return d;
}

/* missing="keep" (seed 000): field-app orders go on with the app's own
 * customer id; the ERP refuses the one at HB_1 with its words; once the
 * admin merges HB_1 into the ERP's customer, that order goes through the
 * transform again and is delivered once, with the ERP's code. */
static void test_keep_refused_then_merged(void)
{
    char *d = keep_dir("keep-merge");
    CU_ASSERT_EQUAL(erp_add_customer(erp, "C00031", "Hilltop Farm"), 0);
    free(wt_write_file(d, "orders.csv", "order,customer\nKO-1,C00031\nKO-2,HB_1\n"));
    char *out = weir(d, 1, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 written, 1 rejected"));
    free(out);
    out = weir(d, 0, "monitor", NULL);
    CU_ASSERT(e2e_contains(out, "Customer 'HB_1' not found"));
    free(out);
    CU_ASSERT_EQUAL(erp_created(erp, "orders", "KO-2"), 0);
    /* HB_1 is the ERP's C00031 */
    free(weir(d, 0, "xref", "merge", "customer", "app:HB_1", "erp:C00031", NULL));
    out = weir(d, 0, "drain", NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(erp_created(erp, "orders", "KO-2"), 1);
    json_t *o = erp_record(erp, "orders", "KO-2");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "customer")), "C00031");
    json_decref(o);
    out = weir(d, 0, "drain", NULL);
    CU_ASSERT_PTR_NULL(strstr(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(erp_created(erp, "orders", "KO-2"), 1);
    out = weir(d, 0, "monitor", NULL);
    CU_ASSERT(e2e_contains(out, "(nothing undelivered)"));
    free(out);
    free(d);
}

/* hold, released by a create: orders for a CRM account the ERP does not
 * have yet wait; the accounts pipeline creates it, and the link its
 * acknowledgement makes releases them: they go with the ERP's number. */
static void test_hold_released_by_create(void)
{
    char *d = crm_dir("hold-create", "account,name\nK21,Fern Nursery\n");
    char xml[4096];
    snprintf(xml, sizeof xml,
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"crm-orders\" type=\"order\">\n"
             "  <source plugin=\"csv\" name=\"crm\" system=\"crm\">\n"
             "    <option name=\"path\">orders.csv</option>\n"
             "  </source>\n"
             "  <transform plugin=\"xref\" name=\"customer-code\">\n"
             "    <option name=\"entity\">customer</option>\n"
             "    <option name=\"field\">customer</option>\n"
             "    <option name=\"to\">erp</option>\n"
             "    <option name=\"missing\">hold</option>\n"
             "  </transform>\n"
             "  <sink plugin=\"http\" name=\"erp\" system=\"erp\">\n"
             "    <option name=\"url\">%s</option>\n"
             "    <option name=\"upsert\">POST /orders</option>\n"
             "    <option name=\"body\">{\"ref\": \"{order}\", \"customer\": \"{customer}\"}</option>\n"
             "  </sink>\n"
             "</pipeline>\n", erp_url(erp));
    free(wt_write_file(d, "orders.xml", xml));
    free(wt_write_file(d, "orders.csv", "order,customer\nHO-1,K21\nHO-2,K21\n"));
    char *out = weir(d, 0, "run", "orders.xml", NULL);
    CU_ASSERT(e2e_contains(out, "2 held"));
    free(out);
    free(weir(d, 0, "run", "p.xml", NULL)); /* creates K21 in the ERP */
    char *k21 = linked(d, "K21");
    CU_ASSERT_FATAL(k21[0] == 'C');
    out = weir(d, 0, "drain", NULL);
    CU_ASSERT(e2e_contains(out, "2 written"));
    free(out);
    for (const char *const *o = (const char *const[]){"HO-1", "HO-2", NULL}; *o; o++) {
        json_t *rec = erp_record(erp, "orders", *o);
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rec, "customer")), k21);
        json_decref(rec);
        CU_ASSERT_EQUAL(erp_created(erp, "orders", *o), 1);
    }
    free(k21);
    free(d);
}

/* keep, the ERP down at the run and refusing in the drain: the refusal
 * in a drain is kept as it reached the transform too, and the merge
 * sends it again. */
static void test_keep_refused_in_a_drain(void)
{
    char *d = keep_dir("keep-drain");
    CU_ASSERT_EQUAL(erp_add_customer(erp, "C00032", "Mill House"), 0);
    free(wt_write_file(d, "orders.csv", "order,customer\nKO-5,HB_2\n"));
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_DOWN_503), 0);
    free(weir(d, 0, "run", "p.xml", NULL));
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_UP), 0);
    char *out = weir(d, 1, "drain", NULL);
    CU_ASSERT(e2e_contains(out, "1 rejected"));
    free(out);
    free(weir(d, 0, "xref", "merge", "customer", "app:HB_2", "erp:C00032", NULL));
    out = weir(d, 0, "drain", NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    json_t *o = erp_record(erp, "orders", "KO-5");
    const char *cust = json_string_value(json_object_get(o, "customer"));
    CU_ASSERT_STRING_EQUAL(cust ? cust : "", "C00032");
    json_decref(o);
    CU_ASSERT_EQUAL(erp_created(erp, "orders", "KO-5"), 1);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("xref missing=create", start, stop);
    CU_add_test(s, "created, linked, then updated with the ERP's number",
                test_create_links_then_updates);
    CU_add_test(s, "ERP down: the create waits, then once, linked", test_create_while_down);
    CU_add_test(s, "linked beforehand: an update, no second customer",
                test_create_linked_beforehand);
    CU_add_test(s, "answer lost, then changed before a drain: one customer",
                test_create_answer_lost_then_changed);
    CU_add_test(s, "acknowledged without an id: held, never made twice",
                test_create_without_id);
    CU_add_test(s, "no sink of the system: nothing created", test_create_needs_the_sink_of_to);
    CU_add_test(s, "missing=hold: the clerk's customer linked, then updated",
                test_hold_clerk_links);
    CU_add_test(s, "the same with a composite key", test_hold_clerk_links_composite_key);
    CU_add_test(s, "answer lost: one customer, linked", test_create_answer_lost);
    CU_add_test(s, "refused create: resent or replaced, created once, linked",
                test_create_refused);
    CU_add_test(s, "missing=keep: refused for HB_1, merged, delivered once",
                test_keep_refused_then_merged);
    CU_add_test(s, "missing=keep: refused in a drain, merged, delivered",
                test_keep_refused_in_a_drain);
    CU_add_test(s, "missing=hold: released by the link a create makes",
                test_hold_released_by_create);
}
