/*
 * test_examples_http.c - the example pipelines that talk to an ERP over
 * HTTP, run as their READMEs say (copied to a scratch folder, ERP_URL and
 * SMTP_URL set, WEIR_STATE beside them, the real weir binary), against
 * the test ERP and SMTP receiver in this process instead of the
 * weir-test-erp program:
 *   invoices-to-erp-http (seed 002): the F48 invoice refused with the
 *             ERP's words in monitor --json, resent after the terms code
 *             is defined, created once
 *   shop-orders-to-erp (seed 004): the ERP down, the orders held and one
 *             mail; back up, drain --wait delivers each once in the
 *             shop's order, one more mail
 *   field-orders-to-erp (seed 000): the HB_ order refused, the admins'
 *             mail with the ERP's words and the resend command; the
 *             corrected order goes, the refused one is superseded
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* setenv */
#endif
#include "config.h"

#include <CUnit/CUnit.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "e2e.h"
#include "erp_server.h"
#include "harness.h"
#include "smtp_receiver.h"

static erp_server *erp;
static smtp_receiver *mail;

/* The READMEs' ERP: weir-test-erp --customers 3 (--smtp 8425). */
static int start(void)
{
    erp = erp_start(0);
    mail = smtp_receiver_start();
    if (!erp || !mail)
        return -1;
    erp_add_customer(erp, "C00001", "Customer 1");
    erp_add_customer(erp, "C00002", "Customer 2");
    erp_add_customer(erp, "C00003", "Customer 3");
    setenv("ERP_URL", erp_url(erp), 1);
    setenv("SMTP_URL", smtp_receiver_url(mail), 1);
    return 0;
}

static int stop(void)
{
    erp_stop(erp);
    smtp_receiver_stop(mail);
    return 0;
}

/* A scratch folder with the example's files and WEIR_STATE in it. */
static char *example(const char *name, const char *data)
{
    char *d = e2e_scratch(name);
    e2e_copy_example(d, name, "pipeline.xml");
    e2e_copy_example(d, name, data);
    char path[4200];
    snprintf(path, sizeof(path), "%s/weir.db", d);
    setenv("WEIR_STATE", path, 1);
    return d;
}

/* `weir ARGS...` in `dir`, asserting exit `code`; stdout and stderr. */
static char *weir(const char *dir, int code, const char *a1, const char *a2,
                  const char *a3, const char *a4)
{
    const char *args[] = {a1, a2, a3, a4, NULL};
    return e2e_expectv(dir, code, args);
}

/* Mail `i`'s headers and body, "" when it did not come within 5 s.
 * (owned: free) */
static char *mail_text(size_t i)
{
    smtp_receiver_wait(mail, i + 1, 5000);
    smtp_message *m = smtp_receiver_message(mail, i);
    char *text = strdup(m ? m->data : "");
    smtp_message_free(m);
    return text;
}

static void test_seed_002_invoices_rejected_and_resent(void)
{
    char *d = example("invoices-to-erp-http", "invoices.csv");
    char *out = weir(d, 1, "run", "pipeline.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "4 read, 3 written, 1 rejected"));
    free(out);
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "10319"), 0);
    out = weir(d, 0, "monitor", "--json", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "\"error\": \"1020 - Terms Code \\\"F48\\\" is not "
                                "defined in A/R Terms (HTTP 422)\""));
    CU_ASSERT(e2e_contains(out, "\"status\": \"failed\""));
    free(out);
    /* the README's curl -d '{"code": "F48"}' $ERP_URL/terms */
    CU_ASSERT_EQUAL(erp_add_terms(erp, "F48"), 0);
    out = weir(d, 0, "resend", "--pipeline", "invoices-to-erp-http", "--failed");
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(erp_created(erp, "invoices", "10319"), 1);
    for (const char *const *b = (const char *const[]){"10317", "10318", "10320", NULL}; *b; b++)
        CU_ASSERT_EQUAL(erp_created(erp, "invoices", *b), 1);
    out = weir(d, 0, "monitor", NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "(nothing undelivered)"));
    free(out);
    free(d);
}

static void test_seed_004_held_while_down_then_delivered_once_in_order(void)
{
    const char *p = "shop-orders-to-erp";
    size_t mails = smtp_receiver_count(mail);
    char *d = example(p, "orders.csv");
    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_DOWN_REFUSE), 0); /* kill -USR1 */
    char *out = weir(d, 0, "run", "pipeline.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "5 read, 0 written"));
    CU_ASSERT(e2e_contains(out, "5 held"));
    free(out);
    CU_ASSERT_EQUAL(e2e_status_int(d, p, NULL, "queue.held"), 5);
    CU_ASSERT(e2e_status_is(d, p, "erp", "health", "down"));
    char *m = mail_text(mails);
    CU_ASSERT(e2e_contains(m, "Subject: [weir] shop-orders-to-erp: endpoint of sink erp is down"));
    free(m);

    CU_ASSERT_EQUAL_FATAL(erp_set_down(erp, ERP_UP), 0); /* kill -USR2 */
    /* the README's drain --wait, without its wait for the next probe */
    e2e_clock_offset("1m");
    out = weir(d, 0, "drain", "--wait", NULL, NULL);
    e2e_clock_offset(NULL);
    CU_ASSERT(e2e_contains(out, "5 written"));
    free(out);
    CU_ASSERT_EQUAL(e2e_status_int(d, p, NULL, "queue.held"), 0);
    CU_ASSERT_EQUAL(e2e_status_int(d, p, NULL, "queue.failed"), 0);
    /* each once, numbered by the ERP in the shop's order */
    json_t *orders = erp_records(erp, "orders");
    const char *want[] = {"WEB-1001", "WEB-1002", "WEB-1003", "WEB-1004", "WEB-1005"};
    size_t seen = 0, i;
    json_t *o;
    json_array_foreach(orders, i, o) {
        const char *ref = json_string_value(json_object_get(o, "ref"));
        if (ref && strncmp(ref, "WEB-", 4) == 0) {
            CU_ASSERT(seen < 5 && strcmp(ref, want[seen]) == 0);
            seen++;
        }
    }
    json_decref(orders);
    CU_ASSERT_EQUAL(seen, 5);
    for (size_t k = 0; k < 5; k++)
        CU_ASSERT_EQUAL(erp_created(erp, "orders", want[k]), 1);
    json_t *first = erp_record(erp, "orders", "WEB-1001");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "total")), "59.80");
    json_decref(first);
    m = mail_text(mails + 1);
    CU_ASSERT(e2e_contains(m, "Subject: [weir] shop-orders-to-erp: endpoint of sink erp is back up"));
    free(m);
    CU_ASSERT_EQUAL(smtp_receiver_count(mail), mails + 2);
    /* run again: nothing sent twice */
    out = weir(d, 0, "run", "pipeline.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "5 unchanged"));
    free(out);
    CU_ASSERT_EQUAL(erp_max_created(erp), 1);
    free(d);
}

static void test_seed_000_failure_mailed_with_erp_words(void)
{
    size_t mails = smtp_receiver_count(mail);
    char *d = example("field-orders-to-erp", "field-orders.csv");
    char *out = weir(d, 1, "run", "pipeline.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "4 read, 3 written, 1 rejected"));
    free(out);
    char *m = mail_text(mails);
    CU_ASSERT(e2e_contains(m, "Subject: [weir] field-orders-to-erp: 1 record rejected or failed"));
    CU_ASSERT(e2e_contains(m, "To: erp-admins@example.com"));
    CU_ASSERT(e2e_contains(m, "    Customer 'HB_00042' not found (HTTP 422)\r\n"
                              "    e.g. key FO-2203 (line 4)\r\n"));
    CU_ASSERT(e2e_contains(m, "weir resend --pipeline field-orders-to-erp --failed "
                              "--sink erp --type order --error 'Customer '\\''HB_00042'\\'' "
                              "not found (HTTP 422)'"));
    free(m);
    /* the admin sets the customer up in the ERP, the app gets its code */
    CU_ASSERT_EQUAL(erp_add_customer(erp, "C00004", "Hilltop Farm"), 0);
    char path[4200];
    snprintf(path, sizeof(path), "%s/field-orders.csv", d);
    char *csv = wt_read_file(path);
    char *at = strstr(csv, "HB_00042");
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    memcpy(at, "C00004", 6);
    memmove(at + 6, at + 8, strlen(at + 8) + 1);
    free(wt_write_file(d, "field-orders.csv", csv));
    free(csv);
    out = weir(d, 0, "run", "pipeline.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    CU_ASSERT(e2e_contains(out, "1 superseded"));
    free(out);
    json_t *o = erp_record(erp, "orders", "FO-2203");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "customer")), "C00004");
    json_decref(o);
    CU_ASSERT_EQUAL(erp_created(erp, "orders", "FO-2203"), 1);
    CU_ASSERT_EQUAL(smtp_receiver_count(mail), mails + 1); /* nothing failed this time */
    out = weir(d, 0, "monitor", NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "(nothing undelivered)"));
    free(out);
    free(d);
}

/* The README of field-orders-linked: the app's customer ids become the
 * ERP's codes; orders of a customer the ERP does not have yet wait, held,
 * until the admin links it, then go in order with the ERP's code. */
static void test_seed_000_orders_held_until_linked(void)
{
    const char *p = "field-orders-linked";
    char *d = example(p, "field-orders.csv");
    const char *add17[] = {"xref", "add", "customer", "app:APP-17", "erp:C00001", NULL};
    free(e2e_expectv(d, 0, add17));
    const char *add18[] = {"xref", "add", "customer", "app:APP-18", "erp:C00002", NULL};
    free(e2e_expectv(d, 0, add18));
    char *out = weir(d, 0, "run", "pipeline.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "4 read, 2 written"));
    CU_ASSERT(e2e_contains(out, "2 held"));
    free(out);
    json_t *o = erp_record(erp, "orders", "FO-3101");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "customer")), "C00001");
    json_decref(o);
    out = weir(d, 0, "monitor", NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "waiting until app customer HB_00042 has an id in erp"));
    free(out);
    CU_ASSERT_EQUAL(erp_created(erp, "orders", "FO-3103"), 0);
    /* the admin sets the customer up in the ERP and links it */
    CU_ASSERT_EQUAL(erp_add_customer(erp, "C00014", "Hilltop Farm"), 0);
    const char *link[] = {"xref", "add", "customer", "app:HB_00042", "erp:C00014", NULL};
    free(e2e_expectv(d, 0, link));
    out = weir(d, 0, "drain", NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "2 written"));
    free(out);
    /* in the order they were taken: the ERP numbered FO-3103 first */
    json_t *o3 = erp_record(erp, "orders", "FO-3103"), *o4 = erp_record(erp, "orders", "FO-3104");
    const char *id3 = json_string_value(json_object_get(o3, "id"));
    const char *id4 = json_string_value(json_object_get(o4, "id"));
    CU_ASSERT(id3 && id4 && strcmp(id3, id4) < 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o3, "customer")), "C00014");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o4, "customer")), "C00014");
    json_decref(o3);
    json_decref(o4);
    CU_ASSERT_EQUAL(erp_created(erp, "orders", "FO-3103"), 1);
    CU_ASSERT_EQUAL(erp_created(erp, "orders", "FO-3104"), 1);
    out = weir(d, 0, "monitor", NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "(nothing undelivered)"));
    free(out);
    free(d);
}

/* The README of field-orders-merge (seed 000): the order at HB_00042 is
 * refused with the ERP's words and mailed; suggest finds the ERP
 * customer; the merge sends the order again, once, with the ERP's code. */
static void test_seed_000_suggest_merge_delivered_once(void)
{
    const char *p = "field-orders-merge";
    size_t mails = smtp_receiver_count(mail);
    char *d = example(p, "field-orders.csv");
    const char *more[] = {"app-customers.xml", "app-customers.csv", "erp-customers.xml",
                          "erp-customers.csv"};
    for (size_t i = 0; i < 4; i++)
        e2e_copy_example(d, p, more[i]);
    char *out = weir(d, 1, "run", "pipeline.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "4 read, 3 written, 1 rejected"));
    free(out);
    char *m = mail_text(mails);
    CU_ASSERT(e2e_contains(m, "Customer 'HB_00042' not found"));
    free(m);
    /* curl -d '{"name": "Hilltop Farm"}' $ERP_URL/customers (the seed
     * 000 test before made C00004 already in this ERP) */
    erp_add_customer(erp, "C00004", "Hilltop Farm");
    json_t *c4 = erp_record(erp, "customers", "C00004");
    CU_ASSERT_PTR_NOT_NULL(c4);
    json_decref(c4);
    const char *suggest[] = {"xref", "suggest", "app-customers.xml", "--against",
                             "erp-customers.xml", "--prefix", "HB_", "--match", "phone",
                             "--json", NULL};
    out = e2e_expectv(d, 0, suggest);
    json_t *doc = json_loads(out, 0, NULL);
    free(out);
    size_t i;
    json_t *sg, *best = NULL;
    json_array_foreach(json_object_get(doc, "suggestions"), i, sg)
        if (strcmp(json_string_value(json_object_get(sg, "key")), "HB_00042") == 0)
            best = json_array_get(json_object_get(sg, "candidates"), 0);
    CU_ASSERT_STRING_EQUAL(best ? json_string_value(json_object_get(best, "key")) : "",
                           "C00004");
    json_decref(doc);
    const char *merge[] = {"xref", "merge", "customer", "app:HB_00042", "erp:C00004", NULL};
    free(e2e_expectv(d, 0, merge));
    out = weir(d, 0, "drain", NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    json_t *o = erp_record(erp, "orders", "FO-4103");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "customer")), "C00004");
    json_decref(o);
    CU_ASSERT_EQUAL(erp_created(erp, "orders", "FO-4103"), 1);
    out = weir(d, 0, "drain", NULL, NULL, NULL);
    free(out);
    CU_ASSERT_EQUAL(erp_created(erp, "orders", "FO-4103"), 1);
    out = weir(d, 0, "monitor", NULL, NULL, NULL);
    CU_ASSERT(e2e_contains(out, "(nothing undelivered)"));
    free(out);
    free(d);
}

/* SQL on the demo's CRM (the README's sqlite3 lines). */
static void crm_sql(const char *dir, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/crm.db", dir);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static long long crm_int(const char *dir, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/crm.db", dir);
    return e2e_query_int(path, sql);
}

/* The README of crm-accounts-to-erp (seed 003): accounts created in the
 * ERP once each and linked, the numbers written back, edits on either
 * side reach the other and do not come back, a round with nothing new
 * sends nothing. */
static void test_seed_003_create_write_back_no_loops(void)
{
    const char *p = "crm-accounts-to-erp";
    char *d = e2e_scratch(p);
    const char *files[] = {"crm-to-erp.xml", "numbers-to-crm.xml", "erp-to-crm.xml",
                           "crm.sql"};
    for (size_t i = 0; i < 4; i++)
        e2e_copy_example(d, p, files[i]);
    char path[4200], *sql;
    snprintf(path, sizeof path, "%s/crm.sql", d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sql = wt_read_file(path));
    crm_sql(d, sql);
    free(sql);
    snprintf(path, sizeof path, "%s/weir.db", d);
    setenv("WEIR_STATE", path, 1);
    /* its own ERP: the README starts an empty one */
    erp_server *own = erp_start(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(own);
    setenv("ERP_URL", erp_url(own), 1);
    char *out = weir(d, 0, "run", "crm-to-erp.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "3 read, 3 written"));
    free(out);
    out = weir(d, 0, "xref", "list", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "crm:K2"));
    CU_ASSERT(e2e_contains(out, "created"));
    free(out);
    out = weir(d, 0, "run", "numbers-to-crm.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "3 read, 3 written"));
    free(out);
    CU_ASSERT_EQUAL(crm_int(d, "SELECT count(*) FROM accounts WHERE erp_code LIKE 'C0%'"), 3);
    out = weir(d, 0, "run", "numbers-to-crm.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "3 unchanged"));
    free(out);
    out = weir(d, 0, "run", "crm-to-erp.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "0 written"));
    CU_ASSERT(e2e_contains(out, "3 unchanged"));
    free(out);
    out = weir(d, 0, "run", "erp-to-crm.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "3 read, 3 written"));
    free(out);
    /* an edit in the CRM goes to the ERP as an update */
    crm_sql(d, "UPDATE accounts SET city = 'York' WHERE account = 'K2'");
    erp_reset_counters(own);
    out = weir(d, 0, "run", "crm-to-erp.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(erp_requests_to(own, "POST /customers"), 0);
    json_t *k2 = erp_record(own, "customers", "K2");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k2, "city")), "York");
    const char *k2_id = json_string_value(json_object_get(k2, "id"));
    char put[64];
    snprintf(put, sizeof put, "PUT /customers/%s", k2_id ? k2_id : "?");
    CU_ASSERT_EQUAL(erp_requests_to(own, put), 1);
    json_decref(k2);
    /* an edit in the ERP (the README's curl -X PUT) reaches the CRM */
    CU_ASSERT_EQUAL(erp_edit(own, "customers", "K1", "name", "Brook Dairy Ltd"), 0);
    out = weir(d, 0, "run", "erp-to-crm.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(crm_int(d, "SELECT count(*) FROM accounts WHERE account = 'K1' AND "
                               "name = 'Brook Dairy Ltd'"), 1);
    /* and does not come back; a third round sends nothing */
    erp_reset_counters(own);
    out = weir(d, 0, "run", "crm-to-erp.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "0 written"));
    free(out);
    out = weir(d, 0, "run", "erp-to-crm.xml", NULL, NULL);
    CU_ASSERT(e2e_contains(out, "0 written"));
    free(out);
    CU_ASSERT_EQUAL(erp_requests_to(own, "POST /customers"), 0);
    for (const char *const *k = (const char *const[]){"K1", "K2", "K3", NULL}; *k; k++)
        CU_ASSERT_EQUAL(erp_created(own, "customers", *k), 0); /* since the reset */
    CU_ASSERT_EQUAL(erp_record_count(own, "customers"), 3);
    erp_stop(own);
    setenv("ERP_URL", erp_url(erp), 1);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("example pipelines over HTTP", start, stop);
    CU_add_test(s, "invoices-to-erp-http: F48 refused with the ERP's words, resent after the fix",
                test_seed_002_invoices_rejected_and_resent);
    CU_add_test(s, "shop-orders-to-erp: held while the ERP is down, mailed, delivered once in order",
                test_seed_004_held_while_down_then_delivered_once_in_order);
    CU_add_test(s, "field-orders-to-erp: a refused order mailed with the ERP's words",
                test_seed_000_failure_mailed_with_erp_words);
    CU_add_test(s, "field-orders-linked: orders held until the customer is linked",
                test_seed_000_orders_held_until_linked);
    CU_add_test(s, "field-orders-merge: refused, mailed, suggested, merged, delivered once",
                test_seed_000_suggest_merge_delivered_once);
    CU_add_test(s, "crm-accounts-to-erp: created once, numbers written back, no loops",
                test_seed_003_create_write_back_no_loops);
}
