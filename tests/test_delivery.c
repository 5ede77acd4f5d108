/*
 * End-to-end tests of the shared stages (issue: change-tracking, outbox,
 * retries, endpoint health, monitor, resend) with the real weir binary,
 * the csv source and the testsink plugin (tests/plugins/testsink.c),
 * which applies records to its own SQLite file and can be told to retry,
 * reject or be down.  Retry delays are 0s so nothing sleeps.
 */
#include "config.h"

#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cunit_main.h"
#include "e2e.h"
#include "harness.h"

#define PLUGINS e2e_plugin_path(WEIR_BUILDDIR "/connectors/.libs:" WEIR_BUILDDIR \
    "/plugins/.libs:" WEIR_BUILDDIR "/tests/.libs")

/* A pipeline: csv source -> <track> -> testsink, with `sink_opts` and
 * `track_attrs` spliced in; an exec notifier appends every event to
 * events.jsonl. */
static void write_pipeline(const char *dir, const char *track_attrs,
                           const char *sink_opts, const char *retry)
{
    char xml[4096];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"cust\" "
             "type=\"customer\" batch-size=\"50\">\n"
             "  <source plugin=\"csv\" name=\"erp\">\n"
             "    <option name=\"path\">in.csv</option>\n"
             "  </source>\n"
             "  %s%s%s\n"
             "  <sink plugin=\"testsink\" name=\"app\">\n"
             "    <option name=\"database\">target.db</option>\n"
             "    %s\n    %s\n"
             "  </sink>\n"
             "  <notify plugin=\"exec\" name=\"ops\">\n"
             "    <option name=\"command\">cat >> events.jsonl</option>\n"
             "  </notify>\n"
             "</pipeline>\n",
             track_attrs ? "<track key=\"code\" " : "",
             track_attrs ? track_attrs : "", track_attrs ? "/>" : "",
             sink_opts ? sink_opts : "",
             retry ? retry : "<retry attempts=\"3\" delay=\"0s\" jitter=\"0s\"/>");
    free(wt_write_file(dir, "p.xml", xml));
}

/* Run and expect an exit code; returns stdout+stderr for inspection. */
static char *expect(const char *dir, int code, const char *cmd,
                    const char *a1, const char *a2)
{
    const char *args[] = {cmd, "--plugin-path", PLUGINS, a1, a2, NULL};
    return e2e_expectv(dir, code, args);
}

static long long q(const char *dir, const char *db, const char *sql)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, db);
    return e2e_query_int(path, sql);
}

static void csv(const char *dir, const char *text)
{
    free(wt_write_file(dir, "in.csv", text));
}

static char *read_events(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/events.jsonl", dir);
    char *text = wt_read_file(path);
    return text ? text : strdup("");
}

static int count_lines(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

/* The sink of the pipeline in `dir` becomes `plugin` (testsink_v11: the
 * same sink, built for ABI 1.1). */
static void use_sink_plugin(const char *dir, const char *plugin)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/p.xml", dir);
    char *xml = wt_read_file(path);
    const char *from = "plugin=\"testsink\"";
    char *at = xml ? strstr(xml, from) : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    size_t n = strlen(xml) + strlen(plugin) + 1;
    char *out = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    *at = '\0';
    snprintf(out, n, "%splugin=\"%s\"%s", xml, plugin, at + strlen(from));
    free(wt_write_file(dir, "p.xml", out));
    free(out);
    free(xml);
}

#define CUST3 "code,name,city\nA1,Alpha,Cape Town\nA2,Beta,Durban\nA3,Gamma,Paarl\n"

static void test_track_ops(void)
{
    char *d = e2e_scratch("ops");
    write_pipeline(d, "max-delete=\"off\"", NULL, NULL);
    csv(d, CUST3);
    free(expect(d, 0, "run", "p.xml", NULL));
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied WHERE op = 'insert'"), 3);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 unchanged"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends"), 3);
    /* one change, one new, one gone */
    csv(d, "code,name,city\nA1,Alpha,Cape Town\nA2,Beta,Pretoria\nA4,Delta,Paarl\n");
    out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 written"));
    CU_ASSERT(e2e_contains(out, "1 unchanged, 1 deletes"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied WHERE op = 'update' AND key = 'A2'"), 1);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied WHERE op = 'insert' AND key = 'A4'"), 1);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied WHERE op = 'delete' AND key = 'A3'"), 1);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 3);
    CU_ASSERT_EQUAL(e2e_status_int(d, "cust", NULL, "snapshot.keys"), 3);
    /* a reordered export with the same content is no change */
    csv(d, "city,code,name\nCape Town,A1,Alpha\nPretoria,A2,Beta\nPaarl,A4,Delta\n");
    out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 unchanged"));
    free(out);
    free(d);
}

static void test_delete_guard(void)
{
    char *d = e2e_scratch("guard");
    write_pipeline(d, "", NULL, NULL);
    csv(d, "code,name\nA1,a\nA2,b\nA3,c\nA4,d\nA5,e\nA6,f\nA7,g\nA8,h\nA9,i\nA10,j\n");
    free(expect(d, 0, "run", "p.xml", NULL));
    /* a truncated export: 7 of 10 gone, over the default 20% */
    csv(d, "code,name\nA1,a\nA2,B\nA3,c\n");
    char *out = expect(d, 3, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "would delete 7 of 10 records"));
    CU_ASSERT(e2e_contains(out, "nothing was changed"));
    free(out);
    /* nothing changed: not even the update of A2 */
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends"), 10);
    CU_ASSERT_EQUAL(e2e_status_int(d, "cust", NULL, "snapshot.keys"), 10);
    out = expect(d, 0, "run", "p.xml", "--force");
    CU_ASSERT(e2e_contains(out, "7 deletes"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 3);
    free(d);
}

static void test_source_failure_changes_nothing(void)
{
    char *d = e2e_scratch("srcfail");
    write_pipeline(d, "", NULL, NULL);
    csv(d, CUST3);
    free(expect(d, 0, "run", "p.xml", NULL));
    /* An unterminated quote running to the end of a huge field: the csv
     * source fails the read (max-row-size); nothing may move. */
    FILE *f = fopen("/dev/null", "r");
    fclose(f);
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"cust\" batch-size=\"1\">"
             "<source plugin=\"csv\" name=\"erp\"><option name=\"path\">in.csv</option>"
             "<option name=\"max-row-size\">64</option></source>"
             "<track key=\"code\"/>"
             "<sink plugin=\"testsink\" name=\"app\"><option name=\"database\">"
             "target.db</option></sink></pipeline>");
    free(wt_write_file(d, "p.xml", xml));
    csv(d, "code,name,city\nA1,Alpha2,Cape Town\nA2,\"Beta, this field never ends"
           "...........................................................\n");
    char *out = expect(d, 3, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "changed nothing"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends"), 3);
    CU_ASSERT_EQUAL(e2e_status_int(d, "cust", NULL, "snapshot.keys"), 3);
    CU_ASSERT_EQUAL(e2e_status_int(d, "cust", NULL, "runs.error"), 1);
    free(d);
}

static void test_malformed_rows_never_delete(void)
{
    char *d = e2e_scratch("malformed");
    write_pipeline(d, "max-delete=\"off\"", NULL, NULL);
    csv(d, CUST3);
    free(expect(d, 0, "run", "p.xml", NULL));
    /* A2's row is malformed but its key readable: counts as seen. */
    csv(d, "code,name,city\nA1,Alpha,Cape Town\nA2,too,many,fields\nA3,Gamma,Paarl\n");
    char *out = expect(d, 1, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 rejected"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied WHERE op = 'delete'"), 0);
    /* A row whose key cannot be read (bad UTF-8 in the key): no deletes at all */
    csv(d, "code,name,city\nA1,Alpha,Cape Town\n\"A\xff\",x,y\n");
    out = expect(d, 1, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "deletes not sent"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied WHERE op = 'delete'"), 0);
    CU_ASSERT_EQUAL(e2e_status_int(d, "cust", NULL, "snapshot.keys"), 3);
    /* A row that reads fine but has an empty key: <track> rejects it, and
     * no delete goes out either (regression: A1 was deleted) */
    csv(d, "code,name,city\n,Alpha,Cape Town\nA2,Beta,Durban\nA3,Gamma,Paarl\n");
    out = expect(d, 1, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "key field code is missing or empty"));
    CU_ASSERT(e2e_contains(out, "deletes not sent"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied WHERE op = 'delete'"), 0);
    free(d);
}

static void test_duplicate_keys_reported(void)
{
    char *d = e2e_scratch("dupes");
    write_pipeline(d, "", NULL, NULL);
    csv(d, "code,name\nA1,first\nA2,x\nA1,second\n");
    char *out = expect(d, 1, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "cust/erp:4 key A1: rejected by <track>"));
    CU_ASSERT(e2e_contains(out, "duplicate key in this run (first at line 2)"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 2);
    free(d);
}

static void test_full_refresh_and_dry_run(void)
{
    char *d = e2e_scratch("full");
    write_pipeline(d, "full-refresh=\"7d\"", NULL, NULL);
    csv(d, CUST3);
    free(expect(d, 0, "run", "p.xml", NULL));
    char *out = expect(d, 0, "run", "p.xml", "--full");
    CU_ASSERT(e2e_contains(out, "3 written"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends"), 6);
    /* a dry run lists what would be sent and sends nothing */
    csv(d, "code,name,city\nA1,Alpha,Cape Town\nA2,Beta,Durban\nA3,Gamma,Worcester\n");
    out = expect(d, 0, "run", "p.xml", "--dry-run");
    CU_ASSERT(e2e_contains(out, "dry run: 3 read, 1 would be sent"));
    free(out);
    e2e_result r = e2e_run(d, "run", "--plugin-path", PLUGINS, "p.xml",
                           "--dry-run", "-v", NULL);
    CU_ASSERT(e2e_contains(r.out, "update A3"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends"), 6);
    /* two runs recorded, the dry runs none */
    json_t *st = e2e_status(d, "cust", NULL);
    CU_ASSERT_EQUAL(json_object_size(json_object_get(st, "runs")), 1);
    CU_ASSERT_EQUAL(e2e_json_int(st, "runs.ok"), 2);
    json_decref(st);
    /* full-refresh="1ms": the next run is a full one */
    write_pipeline(d, "full-refresh=\"1ms\"", NULL, NULL);
    usleep(5000);
    out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 written"));
    free(out);
    free(d);
}

/* The run history is pruned with the delivered history (keep-delivered),
 * but a pipeline's last run stays: weir status shows it. */
static void test_run_history_pruned(void)
{
    char *d = e2e_scratch("runs-pruned");
    const char *xml =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"gen\" "
        "keep-delivered=\"%s\">\n"
        "  <source plugin=\"testgen\" name=\"in\"/>\n"
        "  <sink plugin=\"testgen\" name=\"out\"/>\n"
        "</pipeline>\n";
    char text[512];
    snprintf(text, sizeof(text), xml, "7d");
    free(wt_write_file(d, "p.xml", text));
    for (int i = 0; i < 3; i++)
        free(expect(d, 0, "run", "p.xml", NULL));
    CU_ASSERT_EQUAL(e2e_status_int(d, "gen", NULL, "runs.ok"), 3);
    snprintf(text, sizeof(text), xml, "0s");
    free(wt_write_file(d, "p.xml", text));
    usleep(5000);
    free(expect(d, 0, "run", "p.xml", NULL));
    /* the runs before are gone; the one that pruned them is the last */
    CU_ASSERT_EQUAL(e2e_status_int(d, "gen", NULL, "runs.ok"), 1);
    CU_ASSERT(e2e_status_is(d, "gen", NULL, "status", "ok"));
    free(d);
}

/* A delivered record's outbox row goes after keep-delivered, and its
 * attempt history with it: nothing of it is left to grow the state. */
static void test_delivered_pruned_with_attempts(void)
{
    char *d = e2e_scratch("pruned-attempts");
    write_pipeline(d, "", "<option name=\"retry-keys\">A2</option>"
                          "<option name=\"retry-times\">1</option>", NULL);
    csv(d, CUST3);
    free(expect(d, 0, "run", "p.xml", NULL));
    long long row = q(d, "weir.db", "SELECT id FROM outbox WHERE key = 'A2'");
    CU_ASSERT(row > 0);
    CU_ASSERT_EQUAL(q(d, "weir.db", "SELECT count(*) FROM attempts"), 2);
    /* keep none: the next run's end prunes the row and its attempts */
    char path[4200];
    snprintf(path, sizeof(path), "%s/p.xml", d);
    char *xml = wt_read_file(path), *at = strstr(xml, "batch-size=\"50\"");
    CU_ASSERT_FATAL(at != NULL);
    char text[4400];
    snprintf(text, sizeof(text), "%.*skeep-delivered=\"0s\" %s",
             (int)(at - xml), xml, at);
    free(wt_write_file(d, "p.xml", text));
    free(xml);
    usleep(5000);
    free(expect(d, 0, "run", "p.xml", NULL));
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE id = %lld",
             row);
    CU_ASSERT_EQUAL(q(d, "weir.db", sql), 0);
    CU_ASSERT_EQUAL(q(d, "weir.db", "SELECT count(*) FROM attempts WHERE "
                                    "outbox_id NOT IN (SELECT id FROM outbox)"),
                    0);
    CU_ASSERT_EQUAL(q(d, "weir.db", "SELECT count(*) FROM outbox WHERE "
                                    "status = 'delivered'"), 0);
    free(d);
}

static void test_retry_then_drain(void)
{
    char *d = e2e_scratch("retry");
    write_pipeline(d, "", "<option name=\"retry-keys\">A2</option>"
                          "<option name=\"retry-times\">1</option>", NULL);
    csv(d, CUST3);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    /* delay 0s: the run's own drain already retried it */
    CU_ASSERT(e2e_contains(out, "3 written"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE key = 'A2'"), 2);
    /* the same idempotency id both times */
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(DISTINCT id) FROM sends WHERE key = 'A2'"), 1);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT max(attempt) FROM sends WHERE key = 'A2'"), 2);
    CU_ASSERT_EQUAL(e2e_status_int(d, "cust", NULL, "settled.delivered"), 1);
    CU_ASSERT_EQUAL(e2e_history_count(d, NULL), 2);
    free(d);
}

static void test_out_of_attempts_monitor_show_resend(void)
{
    char *d = e2e_scratch("attempts");
    write_pipeline(d, "", "<option name=\"retry-keys\">A2</option>", NULL);
    csv(d, CUST3);
    /* the run sends it, and retries it once in its own drain (delay 0s):
     * one pass sends a record at most once */
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "waiting for retry"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE key = 'A2'"), 2);
    out = expect(d, 1, "drain", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 failed"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE key = 'A2'"), 3);
    long long id = e2e_outbox_id(d, "status", "failed", NULL);
    CU_ASSERT(id > 0);
    e2e_result r = e2e_run(d, "monitor", "--json", "--records", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "\"pipeline\": \"cust\""));
    CU_ASSERT(e2e_contains(r.out, "\"sink\": \"app\""));
    CU_ASSERT(e2e_contains(r.out, "\"type\": \"customer\""));
    CU_ASSERT(e2e_contains(r.out, "\"status\": \"failed\""));
    CU_ASSERT(e2e_contains(r.out, "\"error\": \"gave up after 3 attempts: temporary failure for A2\""));
    CU_ASSERT(e2e_contains(r.out, "\"count\": 1"));
    CU_ASSERT(e2e_contains(r.out, "\"oldest\": \"20"));
    CU_ASSERT(e2e_contains(r.out, "\"key\": \"A2\""));
    CU_ASSERT(e2e_contains(r.out, "\"attempts\": 3"));
    e2e_result_free(&r);
    char ids[32];
    snprintf(ids, sizeof(ids), "%lld", id);
    r = e2e_run(d, "show", ids, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "status:     failed (3 attempts)"));
    CU_ASSERT(e2e_contains(r.out, "\"name\": \"Beta\""));
    CU_ASSERT(e2e_contains(r.out, "retry    temporary failure for A2"));
    e2e_result_free(&r);
    /* the admin fixes the target, then resends */
    write_pipeline(d, "", NULL, NULL);
    out = expect(d, 0, "resend", ids, NULL);
    CU_ASSERT(e2e_contains(out, "1 record back to pending"));
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target WHERE key = 'A2'"), 1);
    r = e2e_run(d, "monitor", NULL);
    CU_ASSERT(e2e_contains(r.out, "(nothing undelivered)"));
    e2e_result_free(&r);
    free(d);
}

static void test_reject_goes_to_monitor(void)
{
    char *d = e2e_scratch("reject");
    write_pipeline(d, "", "<option name=\"reject-keys\">A1 A3</option>", NULL);
    csv(d, CUST3);
    char *out = expect(d, 1, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 written, 2 rejected"));
    free(out);
    /* straight to failed, one send each */
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends"), 3);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", "attempts", "1", NULL), 2);
    /* one digest for the run, not a message per record */
    char *events = read_events(d);
    CU_ASSERT(e2e_contains(events, "\"event\":\"rejected\""));
    CU_ASSERT(e2e_contains(events, "\"count\":2"));
    CU_ASSERT(e2e_contains(events, "\"error\":\"rejected A1\""));
    CU_ASSERT_EQUAL(count_lines(events), 1);
    free(events);
    e2e_result r = e2e_run(d, "monitor", "--status", "failed", NULL);
    CU_ASSERT(e2e_contains(r.out, "cust"));
    CU_ASSERT(e2e_contains(r.out, "rejected"));
    e2e_result_free(&r);
    /* the admin fixes the setup in the target, then resends them all */
    write_pipeline(d, "", NULL, NULL);
    r = e2e_run(d, "resend", "--plugin-path", PLUGINS, "--pipeline", "cust",
                "--failed", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT(e2e_contains(r.out, "2 records back to pending"));
    CU_ASSERT(e2e_contains(r.out, "2 written"));
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 3);
    CU_ASSERT_EQUAL(e2e_status_int(d, "cust", NULL, "settled.delivered"), 2);
    free(d);
}

static void test_endpoint_down_holds_then_flows(void)
{
    char *d = e2e_scratch("down");
    write_pipeline(d, "", "<option name=\"down-file\">down</option>",
                   "<retry attempts=\"3\" delay=\"1h\" jitter=\"0s\"/>");
    free(wt_write_file(d, "down", "x"));
    csv(d, CUST3);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 held"));
    CU_ASSERT(e2e_contains(out, "endpoint of sink 'app' is down"));
    free(out);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", "attempts", "0", NULL), 3);
    e2e_result r = e2e_run(d, "status", "--json", NULL);
    CU_ASSERT(e2e_contains(r.out, "\"health\": \"down\""));
    e2e_result_free(&r);
    /* before its next probe (1h on) a drain does not try it, and says
     * until when */
    json_t *ep = e2e_status(d, "cust", "app");
    char until[80];
    snprintf(until, sizeof(until), "its records stay held until it is tried "
             "again at %.19s", json_string_value(json_object_get(ep, "next_probe")));
    json_decref(ep);
    out = expect(d, 0, "drain", "--state", "weir.db");
    CU_ASSERT(e2e_contains(out, until));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends"), 3);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM probes"), 0);
    e2e_clock_offset("2h");
    /* back up: the held records flow, in order */
    char path[4200];
    snprintf(path, sizeof(path), "%s/down", d);
    unlink(path);
    out = expect(d, 0, "drain", "--state", "weir.db");
    e2e_clock_offset(NULL);
    CU_ASSERT(e2e_contains(out, "3 written"));
    free(out);
    CU_ASSERT(e2e_status_is(d, "cust", "app", "health", "up"));
    /* told once when it went down, once when it came back */
    char *events = read_events(d);
    CU_ASSERT(e2e_contains(events, "\"event\":\"endpoint-down\",\"pipeline\":\"cust\""));
    CU_ASSERT(e2e_contains(events, "\"event\":\"endpoint-up\""));
    CU_ASSERT_EQUAL(count_lines(events), 2);
    free(events);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 3);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT group_concat(key, ',') = 'A1,A2,A3' FROM (SELECT key FROM applied ORDER BY rowid)"), 1);
    free(d);
}

/* The endpoint of a testsink `plugin` goes down (the down-file) in a
 * run and comes back: how many records were sent as probes. */
static void check_probes(const char *plugin, int probe_records)
{
    char name[64];
    snprintf(name, sizeof(name), "probe-%s", plugin);
    char *d = e2e_scratch(name);
    write_pipeline(d, "", "<option name=\"down-file\">down</option>", NULL);
    use_sink_plugin(d, plugin);
    free(wt_write_file(d, "down", "x"));
    csv(d, CUST3);
    /* the first write finds it down; the run's own drain probes it at
     * once (delay 0s) */
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 held"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE "
                                      "answer = 'down'"), 3 + probe_records);
    /* still down: a drain probes again */
    out = expect(d, 0, "drain", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "its records stay held until it is tried "
                                "again at"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE "
                                      "answer = 'down'"), 3 + 2 * probe_records);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", "attempts", "0",
                                     NULL), 3);
    CU_ASSERT(e2e_status_is(d, "cust", "app", "health", "down"));
    /* back: the held records flow, in order, in the same drain */
    char path[4200];
    snprintf(path, sizeof(path), "%s/down", d);
    unlink(path);
    out = expect(d, 0, "drain", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 written"));
    free(out);
    CU_ASSERT(e2e_status_is(d, "cust", "app", "health", "up"));
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT group_concat(key, ',') = "
                                      "'A1,A2,A3' FROM (SELECT key FROM "
                                      "applied ORDER BY rowid)"), 1);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE "
                                      "answer = 'down'"), 3 + 2 * probe_records);
    char *events = read_events(d);
    CU_ASSERT(e2e_contains(events, "\"event\":\"endpoint-up\""));
    CU_ASSERT_EQUAL(count_lines(events), 2);
    free(events);
    free(d);
}

static void test_probe_spends_no_record(void)
{
    /* A sink with probe() (ABI 1.2) is asked instead: after the write
     * that found the endpoint down, no record goes to it until it is up. */
    check_probes("testsink", 0);
    CU_ASSERT_EQUAL(q(wt_tmpdir(), "probe-testsink/target.db",
                      "SELECT count(*) FROM probes WHERE answer = 'down'"), 2);
    CU_ASSERT_EQUAL(q(wt_tmpdir(), "probe-testsink/target.db",
                      "SELECT count(*) FROM probes WHERE answer = 'ok'"), 1);
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/probe-testsink", wt_tmpdir());
    json_t *ep = e2e_status(dir, "cust", "app");
    CU_ASSERT_PTR_NOT_NULL(ep);
    CU_ASSERT(json_is_null(json_object_get(ep, "error")));
    json_decref(ep);
    /* A sink built for ABI 1.1 has no probe(): one held record is the
     * probe, as before.  Its descriptor's slot that probe() took in 1.2
     * holds a callback all the same, which is never called: a field of a
     * later minor is never read from an older plugin. */
    check_probes("testsink_v11", 1);
    CU_ASSERT_EQUAL(q(wt_tmpdir(), "probe-testsink_v11/target.db",
                      "SELECT count(*) FROM probes"), 0);
}

static void test_newer_change_supersedes_retrying(void)
{
    char *d = e2e_scratch("supersede-retry");
    /* A2 keeps failing transiently; then the export changes A2 again:
     * the latest state wins, the old change is never sent again. */
    write_pipeline(d, "", "<option name=\"retry-keys\">A2</option>",
                   "<retry attempts=\"5\" delay=\"1h\" jitter=\"0s\"/>");
    csv(d, CUST3);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 waiting for retry"));
    free(out);
    csv(d, "code,name,city\nA1,Alpha,Cape Town\nA2,Beta v2,Durban\nA3,Gamma,Paarl\n");
    out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 superseded"));
    free(out);
    /* v2 was tried at once (and is retrying now); v1 is history */
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE key = 'A2'"), 2);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "key", "A2", "status", "superseded",
                                     "payload~", "\"Beta\"", NULL), 1);
    CU_ASSERT_EQUAL(e2e_history_count(d, "superseded"), 1);
    /* the target recovers, and the hour has passed: only v2 goes */
    write_pipeline(d, "", NULL, "<retry attempts=\"5\" delay=\"0s\" jitter=\"0s\"/>");
    e2e_clock_offset("2h");
    out = expect(d, 0, "drain", "p.xml", NULL);
    e2e_clock_offset(NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target WHERE key = 'A2' AND payload LIKE '%Beta v2%'"), 1);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied WHERE key = 'A2'"), 1);
    /* monitor no longer lists it */
    out = expect(d, 0, "monitor", "--state", "weir.db");
    CU_ASSERT(!strstr(out, "superseded"));
    free(out);
    free(d);
}

/* A2 waits an hour for its retry; then a drain sends it and weir dies
 * (testsink's crash-after-key) right after the target applied it, before
 * weir recorded the answer: A2 stays in flight. */
static void crash_in_flight(const char *d)
{
    write_pipeline(d, "", "<option name=\"retry-keys\">A2</option>",
                   "<retry attempts=\"5\" delay=\"1h\" jitter=\"0s\"/>");
    csv(d, CUST3);
    free(expect(d, 0, "run", "p.xml", NULL));
    write_pipeline(d, "", "<option name=\"crash-after-key\">A2</option>",
                   "<retry attempts=\"5\" delay=\"1h\" jitter=\"0s\"/>");
    e2e_clock_offset("2h");
    free(expect(d, 128 + SIGKILL, "drain", "p.xml", NULL));
    e2e_clock_offset(NULL);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "key", "A2", "status", "in_flight",
                                     NULL), 1);
}

static void test_in_flight_keeps_order_per_key(void)
{
    char *d = e2e_scratch("order");
    /* A change found in flight (weir died while sending it) may have
     * reached the target: a newer change of its key queues behind it
     * instead of superseding it, and the two go in order. */
    crash_in_flight(d);
    csv(d, "code,name,city\nA1,Alpha,Cape Town\nA2,Beta v2,Durban\nA3,Gamma,Paarl\n");
    write_pipeline(d, "", NULL, "<retry attempts=\"5\" delay=\"0s\" jitter=\"0s\"/>");
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 queued"));
    CU_ASSERT(!strstr(out, "superseded"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target WHERE key = 'A2' AND payload LIKE '%Beta v2%'"), 1);
    /* v1 (before the crash), v2; v1 went again first, answered from its
     * idempotency id */
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied WHERE key = 'A2'"), 2);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE key = 'A2' "
                                      "AND answer = 'duplicate'"), 1);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT payload LIKE '%v2%' FROM applied WHERE key = 'A2' "
                                      "ORDER BY rowid DESC LIMIT 1"), 1);
    free(d);
}

static void test_lock_dies_with_holder(void)
{
    char *d = e2e_scratch("lock");
    write_pipeline(d, "", NULL, NULL);
    csv(d, CUST3);
    free(expect(d, 0, "run", "p.xml", NULL));
    /* Another process holds the pipeline's lock: exit 3, clear message. */
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        char lock[4200];
        snprintf(lock, sizeof(lock), "%s/weir.db.lock", d);
        int fd = open(lock, O_RDWR | O_CREAT, 0600);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                           .l_start = 0, .l_len = 0};
        fcntl(fd, F_SETLK, &fl);
        if (write(fds[1], "x", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    close(fds[1]);
    char c;
    CU_ASSERT_EQUAL(read(fds[0], &c, 1), 1);
    char *out = expect(d, 3, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "already being run by another weir process"));
    free(out);
    /* a resend changes nothing behind a live run's back */
    e2e_result r = e2e_run(d, "resend", "--plugin-path", PLUGINS, "--pipeline",
                           "cust", "--failed", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT(e2e_contains(r.err, "nothing was changed"));
    e2e_result_free(&r);
    /* SIGKILL the holder: the lock dies with it */
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(fds[0]);
    free(expect(d, 0, "run", "p.xml", NULL));
    free(d);
}

/* ---- the settle's commit lost in a crash of the machine -------------
 * A batch's settle commits without a sync (deliver.c: the next intent's
 * commit syncs it).  The machine dying in between leaves the WAL up to
 * the intent's commit: cut it there, and the next run must lose nothing
 * and send nothing twice under another id. */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* Drop the last transaction of the WAL `dir`/weir.db-wal (and the
 * -shm built from it), as a power loss before it reached the disk. */
static void lose_last_commit(const char *dir)
{
    char wal[4200], shm[4200];
    snprintf(wal, sizeof(wal), "%s/weir.db-wal", dir);
    snprintf(shm, sizeof(shm), "%s/weir.db-shm", dir);
    char *text = NULL;
    FILE *f = fopen(wal, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    CU_ASSERT_FATAL(size > 32 && (text = malloc((size_t)size)) != NULL);
    CU_ASSERT_EQUAL_FATAL(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    const unsigned char *w = (const unsigned char *)text;
    long frame = 24 + (long)be32(w + 8), ends[2] = {0, 0};
    for (long at = 32; at + frame <= size; at += frame) {
        if (memcmp(w + at + 8, w + 16, 8) != 0) /* an older WAL's frame */
            break;
        if (be32(w + at + 4)) { /* a commit */
            ends[0] = ends[1];
            ends[1] = at + frame;
        }
    }
    free(text);
    CU_ASSERT_FATAL(ends[0] > 0);
    CU_ASSERT_EQUAL(truncate(wal, ends[0]), 0);
    unlink(shm);
}

static void test_settle_lost_with_the_machine(void)
{
    char *d = e2e_scratch("settle-lost");
    char xml[2048];
    static const char shape[] =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"lazy\" "
        "batch-size=\"2\">\n"
        "  <source plugin=\"csv\" name=\"erp\"><option name=\"path\">in.csv"
        "</option></source>\n"
        "  <track key=\"code\" max-delete=\"off\"/>\n"
        "  <transform plugin=\"testhold\" name=\"between\">%s</transform>\n"
        "  <sink plugin=\"testsink\" name=\"app\">\n"
        "    <option name=\"database\">target.db</option>\n"
        "    <option name=\"retry-keys\">K2</option>\n"
        "    <option name=\"retry-times\">1</option>\n"
        "    <retry attempts=\"3\" delay=\"0s\" jitter=\"0s\"/>\n"
        "  </sink>\n"
        "</pipeline>\n";
    /* the first batch (K1 taken, K2 to retry) settled, then weir dies
     * before the second's intent */
    snprintf(xml, sizeof(xml), shape,
             "<option name=\"crash-values\">K3</option>");
    free(wt_write_file(d, "p.xml", xml));
    csv(d, "code,name\nK1,a\nK2,b\nK3,c\nK4,d\n");
    /* the sink written inline: one writing beside settles a batch only
     * once the next is handed to it, so weir's death here would leave
     * the first in doubt (tests/test_crash covers that, run beside too) */
    const char *inline_sink[] = {"run", "--plugin-path", WEIR_BUILDDIR
                                 "/connectors/.libs:" WEIR_BUILDDIR
                                 "/tests/.libs", "p.xml", NULL};
    free(e2e_expectv(d, 128 + SIGKILL, inline_sink));
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied"), 1);
    char copy[4200], cmd[9000];
    snprintf(copy, sizeof(copy), "%s/kept", d);
    CU_ASSERT_EQUAL(mkdir(copy, 0700), 0);
    snprintf(cmd, sizeof(cmd), "cp '%s/weir.db' '%s/weir.db-wal' '%s/'", d, d,
             copy);
    CU_ASSERT_EQUAL(system(cmd), 0);
    /* weir's death kept the settle: nothing in doubt, K2 to retry */
    CU_ASSERT_EQUAL(e2e_status_int(copy, "lazy", NULL, "snapshot.in_doubt"), 0);
    CU_ASSERT_EQUAL(e2e_status_int(copy, "lazy", NULL, "queue.retry"), 1);
    /* the machine's death loses it: both in doubt, no outbox row */
    lose_last_commit(d);
    CU_ASSERT_EQUAL(e2e_status_int(d, "lazy", NULL, "snapshot.in_doubt"), 2);
    CU_ASSERT_EQUAL(e2e_status_int(d, "lazy", NULL, "queue.retry"), 0);

    snprintf(xml, sizeof(xml), shape, "");
    free(wt_write_file(d, "p.xml", xml));
    free(expect(d, 0, "run", "p.xml", NULL));
    /* every key applied once, K1 answered from its id */
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 4);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied"), 4);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(DISTINCT key) FROM applied"), 4);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE "
                                      "key = 'K1' AND answer = 'duplicate'"), 1);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(DISTINCT id) FROM sends "
                                      "WHERE key IN ('K1', 'K2')"), 2);
    CU_ASSERT_EQUAL(e2e_status_int(d, "lazy", NULL, "snapshot.in_doubt"), 0);
    CU_ASSERT_EQUAL(e2e_status_int(d, "lazy", NULL, "queue.retry"), 0);
    CU_ASSERT_EQUAL(e2e_status_int(d, "lazy", NULL, "queue.pending"), 0);
    free(d);
}

static void test_state_newer_schema(void)
{
    char *d = e2e_scratch("newer");
    write_pipeline(d, "", NULL, NULL);
    csv(d, CUST3);
    free(expect(d, 0, "run", "p.xml", NULL));
    /* a file as a newer weir leaves it: only its schema version says so */
    char path[4200];
    snprintf(path, sizeof(path), "%s/weir.db", d);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL);
    sqlite3_close(db);
    char *out = expect(d, 3, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "weir.db: written by a newer weir"));
    free(out);
    free(d);
}

static void test_down_during_drain_recovers(void)
{
    /* The endpoint goes down while the outbox drains (transient answers
     * only): those records are held without spending attempts, probed,
     * and flow once it answers again. */
    char *d = e2e_scratch("down-in-drain");
    write_pipeline(d, "", "<option name=\"retry-keys\">A1 A2 A3</option>",
                   "<retry attempts=\"3\" delay=\"0s\" jitter=\"0s\" "
                   "down-after=\"2\"/>");
    csv(d, CUST3);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "is down"));
    free(out);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", "held_by", "app",
                                     NULL), 3);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", NULL), 0);
    /* the target recovers */
    write_pipeline(d, "", NULL, "<retry attempts=\"3\" delay=\"0s\" "
                   "jitter=\"0s\" down-after=\"2\"/>");
    out = expect(d, 0, "drain", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 written"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 3);
    CU_ASSERT(e2e_status_is(d, "cust", "app", "health", "up"));
    free(d);
}

static void test_sink_hold_waits(void)
{
    /* A record the target holds (waiting for a link) is kept without
     * spending attempts, asked again at the retry pace, and never makes
     * a run spin. */
    char *d = e2e_scratch("hold");
    write_pipeline(d, "", "<option name=\"hold-keys\">A2</option>",
                   "<retry attempts=\"3\" delay=\"1h\" jitter=\"0s\"/>");
    csv(d, CUST3);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "2 written"));
    CU_ASSERT(e2e_contains(out, "1 held"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE key = 'A2'"), 1);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "held", "attempts", "0",
                                     "next_attempt", "*", NULL), 1);
    /* not due yet: a drain leaves it alone */
    out = expect(d, 0, "drain", "p.xml", NULL);
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE key = 'A2'"), 1);
    /* the hour has passed; with a 0s pace, one drain asks once, not
     * forever */
    write_pipeline(d, "", "<option name=\"hold-keys\">A2</option>", NULL);
    e2e_clock_offset("2h");
    out = expect(d, 0, "drain", "p.xml", NULL);
    e2e_clock_offset(NULL);
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE key = 'A2'"), 2);
    free(d);
}

static void test_newer_change_supersedes_failed(void)
{
    /* v1 of A1 is refused; fixing the record at the source is enough:
     * v2 supersedes the failed v1 and goes at once, and a resend never
     * sends the old, wrong payload again. */
    char *d = e2e_scratch("failed-supersede");
    write_pipeline(d, "", "<option name=\"reject-keys\">A1</option>", NULL);
    csv(d, CUST3);
    free(expect(d, 1, "run", "p.xml", NULL));
    write_pipeline(d, "", NULL, NULL);
    csv(d, "code,name,city\nA1,Alpha v2,Cape Town\nA2,Beta,Durban\nA3,Gamma,Paarl\n");
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 written"));
    CU_ASSERT(e2e_contains(out, "1 superseded"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target WHERE key = 'A1' "
                                      "AND payload LIKE '%Alpha v2%'"), 1);
    e2e_result r = e2e_run(d, "resend", "--plugin-path", PLUGINS, "--pipeline",
                           "cust", "--failed", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target WHERE key = 'A1' "
                                      "AND payload LIKE '%Alpha v2%'"), 1);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM applied WHERE key = 'A1'"), 1);
    free(d);
}

static void test_events_are_never_superseded(void)
{
    /* Without <track> records are events (orders, invoices): a failed
     * one stays failed for the admin, whatever comes after it. */
    char *d = e2e_scratch("events");
    write_pipeline(d, NULL, "<option name=\"reject-keys\">A1</option>", NULL);
    csv(d, CUST3);
    free(expect(d, 1, "run", "p.xml", NULL));
    free(expect(d, 1, "run", "p.xml", NULL));
    CU_ASSERT_EQUAL(e2e_status_int(d, "cust", NULL, "queue.failed"), 2);
    CU_ASSERT_EQUAL(e2e_status_int(d, "cust", NULL, "settled.superseded"), 0);
    free(d);
}

static void test_source_that_cannot_open_is_notified(void)
{
    /* The export is missing: the run fails (exit 3) and the people who
     * watch it are told, because notifiers open before everything else. */
    char *d = e2e_scratch("notify-open");
    write_pipeline(d, "", NULL, NULL);
    char *out = expect(d, 3, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "could not open"));
    free(out);
    char *events = read_events(d);
    CU_ASSERT(e2e_contains(events, "\"event\":\"run-failed\""));
    CU_ASSERT(e2e_contains(events, "could not open"));
    free(events);
    free(d);
}

/* csv -> <track> -> a testsink whose folder gone/ does not exist (yet),
 * with or without the exec notifier writing events.jsonl. */
static void gone_sink_pipeline(const char *dir, int notify)
{
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"cust\">\n"
             "  <source plugin=\"csv\" name=\"erp\"><option name=\"path\">"
             "in.csv</option></source>\n"
             "  <track key=\"code\"/>\n"
             "  <sink plugin=\"testsink\" name=\"app\">\n"
             "    <option name=\"database\">gone/target.db</option>\n"
             "    <retry delay=\"0s\" jitter=\"0s\"/>\n"
             "  </sink>\n%s"
             "</pipeline>\n",
             notify ? "  <notify plugin=\"exec\" name=\"ops\">\n"
                      "    <option name=\"command\">cat >> events.jsonl</option>\n"
                      "  </notify>\n"
                    : "");
    free(wt_write_file(dir, "p.xml", xml));
}

static void test_sink_that_cannot_open_holds(void)
{
    /* The target cannot be opened (its folder is gone): that is an
     * endpoint that is down, not a reason to drop the run's work.  The
     * records wait, held, and flow when it is back. */
    char *d = e2e_scratch("sink-open");
    gone_sink_pipeline(d, 1);
    csv(d, CUST3);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 held"));
    CU_ASSERT(e2e_contains(out, "could not open"));
    free(out);
    CU_ASSERT_EQUAL(e2e_status_int(d, "cust", NULL, "queue.held"), 3);
    char *events = read_events(d);
    CU_ASSERT(e2e_contains(events, "\"event\":\"endpoint-down\""));
    free(events);
    /* the folder is back: a drain delivers them */
    char path[4200];
    snprintf(path, sizeof(path), "%s/gone", d);
    CU_ASSERT_EQUAL(mkdir(path, 0700), 0);
    out = expect(d, 0, "drain", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 written"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "gone/target.db", "SELECT count(*) FROM target"), 3);
    events = read_events(d);
    CU_ASSERT(e2e_contains(events, "\"event\":\"endpoint-up\""));
    free(events);
    free(d);
}

/* A testsink `plugin` whose folder is gone cannot open: weir's message
 * names the reason; `logged`: the plugin logged it as an error itself
 * (built for ABI 1.1, before host->set_error()). */
static void check_open_reason(const char *plugin, int logged)
{
    char name[64];
    snprintf(name, sizeof(name), "open-reason-%s", plugin);
    char *d = e2e_scratch(name);
    gone_sink_pipeline(d, 0);
    use_sink_plugin(d, plugin);
    csv(d, CUST3);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    char said[256];
    snprintf(said, sizeof(said), "weir: warning: cust: sink 'app' (plugin %s) "
             "could not open: ", plugin);
    CU_ASSERT(e2e_contains(out, said));
    CU_ASSERT(e2e_contains(out, "gone/target.db: unable to open database "
                                "file; its records are held"));
    /* no error line of the plugin's own for a run that goes on */
    CU_ASSERT_EQUAL(strstr(out, "weir: error: cust/app: ") != NULL, logged);
    free(out);
    json_t *ep = e2e_status(d, "cust", "app");
    const char *error = json_string_value(json_object_get(ep, "error"));
    CU_ASSERT(e2e_contains(error, "could not open: "));
    CU_ASSERT(e2e_ends_with(error, "gone/target.db: unable to open database "
                                   "file"));
    json_decref(ep);
    free(d);
}

static void test_open_reason(void)
{
    /* open() says why with host->set_error(): the reason is in weir's
     * own messages, and a target that is down is no error line. */
    check_open_reason("testsink", 0);
    /* A sink built for ABI 1.1 logs the reason: weir still names it. */
    check_open_reason("testsink_v11", 1);
}

/* csv -> <track> -> BEFORE, then a sqlite sink whose table has no index
 * on the key (a setup that can never work), then AFTER. */
static void never_working_pipeline(const char *d, const char *before,
                                   const char *after)
{
    sqlite3 *db;
    char path[4200], xml[4096];
    snprintf(path, sizeof(path), "%s/app.db", d);
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "CREATE TABLE c(code TEXT, name TEXT)",
                                 NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    snprintf(xml, sizeof(xml),
             "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"cust\">\n"
             "  <source plugin=\"csv\" name=\"erp\"><option name=\"path\">"
             "in.csv</option></source>\n"
             "  <track key=\"code\"/>\n%s"
             "  <sink plugin=\"sqlite\" name=\"app\">\n"
             "    <option name=\"database\">app.db</option>\n"
             "    <option name=\"table\">c</option>\n"
             "    <option name=\"key\">code</option>\n"
             "  </sink>\n%s"
             "</pipeline>\n",
             before, after);
    free(wt_write_file(d, "p.xml", xml));
}

static void test_sink_that_can_never_work_stops_the_run(void)
{
    /* A table without an index on the key can never take upserts: that
     * is a setup to fix, not an endpoint to wait for.  The run stops
     * (exit 3), nothing is held, and the people watching are told. */
    char *d = e2e_scratch("sink-setup");
    never_working_pipeline(d, "",
                           "  <notify plugin=\"exec\" name=\"ops\">\n"
                           "    <option name=\"command\">cat >> "
                           "events.jsonl</option>\n"
                           "  </notify>\n");
    csv(d, "code,name\nA1,Alpha\n");
    char *out = expect(d, 3, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "sink 'app' (plugin sqlite) could not open: "
                                "database /"));
    CU_ASSERT(e2e_contains(out, "/app.db: table \"c\" has no PRIMARY KEY or "
                                "UNIQUE index"));
    CU_ASSERT(!strstr(out, "error: cust/app: "));
    free(out);
    json_t *records = e2e_records(d);
    CU_ASSERT_EQUAL(json_array_size(records), 0);
    json_decref(records);
    char *events = read_events(d);
    CU_ASSERT(e2e_contains(events, "\"event\":\"run-failed\""));
    free(events);
    free(d);
}

static void test_resend_class_after_retries(void)
{
    /* Retries ran out: the monitor says "gave up after 2 attempts: TEXT";
     * the error class to resend is still the target's TEXT. */
    char *d = e2e_scratch("class-gave-up");
    write_pipeline(d, "", "<option name=\"retry-keys\">A2</option>",
                   "<retry attempts=\"1\" delay=\"0s\" jitter=\"0s\"/>");
    csv(d, CUST3);
    free(expect(d, 1, "run", "p.xml", NULL));
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "error", "gave up after 1 attempts: "
                                     "temporary failure for A2", NULL), 1);
    write_pipeline(d, "", NULL, NULL);
    const char *args[] = {"resend", "--plugin-path", PLUGINS, "--pipeline",
                          "cust", "--failed", "--error",
                          "temporary failure for A2", NULL};
    char *out = e2e_expectv(d, 0, args);
    CU_ASSERT(e2e_contains(out, "1 record back to pending"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target WHERE key = 'A2'"), 1);
    free(d);
}

static void test_drain_wait_says_why(void)
{
    /* A2 fails once; drain --wait sleeps until its retry is due, says
     * so, and its summary counts the time it waited. */
    char *d = e2e_scratch("drain-wait");
    write_pipeline(d, "", "<option name=\"retry-keys\">A2</option>"
                          "<option name=\"retry-times\">1</option>",
                   "<retry attempts=\"3\" delay=\"1h\" jitter=\"0s\"/>");
    csv(d, CUST3);
    free(expect(d, 0, "run", "p.xml", NULL));
    /* 59m55s later, the retry is due 5 s from now: long after drain
     * started, even under valgrind */
    e2e_clock_offset("59m55s");
    char *out = expect(d, 0, "drain", "p.xml", "--wait");
    e2e_clock_offset(NULL);
    CU_ASSERT(e2e_contains(out, "for the next retry that is due"));
    CU_ASSERT(e2e_contains(out, "1 written"));
    CU_ASSERT(!strstr(out, "in 0.0"));
    free(out);
    free(d);
}

static void test_newer_change_not_stuck_behind_failed(void)
{
    /* B of K was in flight (weir died sending it) when C came: C queued
     * behind it.  B then fails: the latest state wins, B is superseded
     * and C goes (here it is refused too, then resent once fixed). */
    char *d = e2e_scratch("stuck");
    crash_in_flight(d);
    write_pipeline(d, "", "<option name=\"reject-keys\">A2</option>", NULL);
    csv(d, "code,name,city\nA1,Alpha,Cape Town\nA2,Beta v2,Durban\nA3,Gamma,Paarl\n");
    char *out = expect(d, 1, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 superseded"));
    free(out);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "pending", NULL), 0);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "status", "failed", "payload~",
                                     "Beta v2", NULL), 1);
    write_pipeline(d, "", NULL, NULL);
    e2e_result r = e2e_run(d, "resend", "--plugin-path", PLUGINS, "--pipeline",
                           "cust", "--failed", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    e2e_result_free(&r);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target WHERE key = 'A2' "
                                      "AND payload LIKE '%Beta v2%'"), 1);
    free(d);
}

static void test_unanswered_is_retried(void)
{
    /* A sink that leaves a record unanswered has not applied it, as far
     * as anyone knows: silence never acknowledges.  The record is retried
     * and fails once its attempts run out; the target never had it. */
    char *d = e2e_scratch("silent");
    write_pipeline(d, "", "<option name=\"silent-keys\">A2</option>", NULL);
    csv(d, CUST3);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "2 written"));
    CU_ASSERT(e2e_contains(out, "waiting for retry"));
    CU_ASSERT(e2e_contains(out, "cust: sink 'app' (plugin testsink) gave no "
                                "answer for 1 of 3 records; they are retried"));
    free(out);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "key", "A2", "status", "retry", NULL),
                    1);
    out = expect(d, 1, "drain", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 failed"));
    free(out);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "key", "A2", "status", "failed",
                                     "error", "gave up after 3 attempts: sink "
                                     "'app' (plugin testsink) gave no answer "
                                     "for this record", NULL), 1);
    CU_ASSERT_EQUAL(e2e_outbox_count(d, "key", "A2", "status", "delivered",
                                     NULL), 0);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE key = 'A2' "
                                      "AND answer = 'none'"), 3);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target WHERE key = 'A2'"), 0);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 2);
    free(d);
}

static void test_unanswered_by_a_1_1_sink(void)
{
    /* A sink built for ABI 1.1 was told its records start OK: the core
     * keeps that contract for it, so its silence still acknowledges. */
    char *d = e2e_scratch("silent-v11");
    write_pipeline(d, "", "<option name=\"silent-keys\">A2</option>", NULL);
    use_sink_plugin(d, "testsink_v11");
    csv(d, CUST3);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "3 written"));
    CU_ASSERT(!strstr(out, "gave no answer"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM sends WHERE key = 'A2'"), 1);
    free(d);
}

#define CUST7 "code,name,city\nA1,a,x\nA2,b,x\nA3,c,x\nA4,d,x\nA5,e,x\nA6,f,x\nA7,g,x\n"

/* After a batch of CUST7 in which the target refused A2 and A6 as a
 * whole each time (refuse-batch-keys): the five others applied exactly
 * once, the two rejected with the target's own text, nothing retried. */
static void check_isolated(const char *d, const char *out)
{
    CU_ASSERT(e2e_contains(out, "5 written, 2 rejected"));
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 5);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target WHERE key "
                                      "IN ('A2', 'A6')"), 0);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM counts WHERE n = 1"), 5);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM counts WHERE n > 1"), 0);
    e2e_result r = e2e_run(d, "monitor", "--json", "--records", NULL);
    CU_ASSERT(e2e_contains(r.out, "deferred constraint failed for A2"));
    CU_ASSERT(e2e_contains(r.out, "deferred constraint failed for A6"));
    CU_ASSERT(!strstr(r.out, "for A1") && !strstr(r.out, "\"retry\""));
    e2e_result_free(&r);
}

static void test_refused_batch_isolated_on_run(void)
{
    /* The sink refuses every batch holding A2 or A6 as a whole (SPLIT):
     * the core sends the records again in parts until only those two
     * are refused, alone. */
    char *d = e2e_scratch("split-run");
    write_pipeline(d, "", "<option name=\"refuse-batch-keys\">A2 A6</option>",
                   NULL);
    csv(d, CUST7);
    char *out = expect(d, 1, "run", "p.xml", NULL);
    check_isolated(d, out);
    free(out);
    free(d);
}

static void test_refused_batch_isolated_on_drain(void)
{
    /* The same records, held while the endpoint is down, go out of the
     * outbox in one batch when it is back: the drain isolates too. */
    char *d = e2e_scratch("split-drain");
    write_pipeline(d, "", "<option name=\"refuse-batch-keys\">A2 A6</option>"
                   "<option name=\"down-file\">down</option>", NULL);
    free(wt_write_file(d, "down", "x"));
    csv(d, CUST7);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "7 held"));
    free(out);
    char path[4200];
    snprintf(path, sizeof(path), "%s/down", d);
    unlink(path);
    out = expect(d, 1, "drain", "p.xml", NULL);
    check_isolated(d, out);
    free(out);
    free(d);
}

static void test_split_from_a_1_1_sink_is_not_replayed(void)
{
    /* SPLIT means nothing from a sink built for ABI 1.1: its batch
     * failed, and every record is retried as before, none replayed. */
    char *d = e2e_scratch("split-v11");
    write_pipeline(d, "", "<option name=\"refuse-batch-keys\">A2</option>",
                   NULL);
    use_sink_plugin(d, "testsink_v11");
    csv(d, CUST3);
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "0 written"));
    CU_ASSERT(e2e_contains(out, "0 written, 0 rejected"));
    free(out);
    CU_ASSERT_EQUAL(q(d, "target.db", "SELECT count(*) FROM target"), 0);
    free(d);
}

static void test_superseded_insert_goes_as_insert(void)
{
    /* The inserts of A1..A3 wait, held (the target cannot be opened);
     * A1 changes: its update supersedes the insert, and must go as the
     * insert the target never got. */
    char *d = e2e_scratch("supersede-insert");
    gone_sink_pipeline(d, 0);
    csv(d, CUST3);
    free(expect(d, 0, "run", "p.xml", NULL));
    csv(d, "code,name,city\nA1,Alpha v2,Cape Town\nA2,Beta,Durban\nA3,Gamma,Paarl\n");
    char *out = expect(d, 0, "run", "p.xml", NULL);
    CU_ASSERT(e2e_contains(out, "1 superseded"));
    free(out);
    char path[4200];
    snprintf(path, sizeof(path), "%s/gone", d);
    CU_ASSERT_EQUAL(mkdir(path, 0700), 0);
    free(expect(d, 0, "drain", "p.xml", NULL));
    CU_ASSERT_EQUAL(q(d, "gone/target.db", "SELECT count(*) FROM applied WHERE "
                                           "key = 'A1' AND op = 'insert' AND "
                                           "payload LIKE '%Alpha v2%'"), 1);
    CU_ASSERT_EQUAL(q(d, "gone/target.db", "SELECT count(*) FROM applied WHERE op = 'update'"), 0);
    free(d);
}

static void test_drain_wait_does_not_spin_on_a_down_endpoint(void)
{
    /* A retry row of a sink whose endpoint is down waits for the probe,
     * not for its own time: drain --wait must sleep, not spin. */
    char *d = e2e_scratch("no-spin");
    write_pipeline(d, "", "<option name=\"retry-keys\">A1</option>"
                          "<option name=\"down-file\">down</option>",
                   "<retry attempts=\"50\" delay=\"1s\" jitter=\"0s\"/>");
    csv(d, "code,name\nA1,a\n");
    free(expect(d, 0, "run", "p.xml", NULL));
    free(wt_write_file(d, "down", "x"));
    csv(d, "code,name\nA1,a\nA2,b\n");
    free(expect(d, 0, "run", "p.xml", NULL));
    CU_ASSERT(e2e_status_is(d, "cust", "app", "health", "down"));
    /* a minute on, A1's retry is due (and the probe) */
    e2e_clock_offset("1m");
    const char *args[] = {"drain", "--plugin-path", PLUGINS, "p.xml", "--wait",
                          "--max-wait", "3s", NULL};
    char *out = e2e_expectv(d, 0, args);
    e2e_clock_offset(NULL);
    int lines = 0;
    for (const char *c = out; *c; c++)
        lines += *c == '\n';
    CU_ASSERT(lines < 60);
    if (lines >= 60)
        fprintf(stderr, "\n  drain --wait wrote %d lines in 3 s\n", lines);
    free(out);
    long long probes = e2e_status_int(d, "cust", "app", "probes");
    CU_ASSERT(probes >= 0 && probes < 20);
    free(d);
}

static void test_superseded_insert_is_per_target(void)
{
    /* Target a refused A1's insert, target b applied it.  A1 changes: a
     * gets it as the insert it never had, b as an update. */
    char *d = e2e_scratch("per-target-insert");
    static const char xml[] =
        "<pipeline xmlns=\"urn:weir:pipeline:1\" name=\"cust\">\n"
        "  <source plugin=\"csv\" name=\"erp\"><option name=\"path\">"
        "in.csv</option></source>\n"
        "  <track key=\"code\"/>\n"
        "  <sink plugin=\"testsink\" name=\"a\"><option name=\"database\">"
        "a.db</option>%s</sink>\n"
        "  <sink plugin=\"testsink\" name=\"b\"><option name=\"database\">"
        "b.db</option></sink>\n"
        "</pipeline>\n";
    char text[2048];
    snprintf(text, sizeof(text), xml,
             "<option name=\"reject-keys\">A1</option>");
    free(wt_write_file(d, "p.xml", text));
    csv(d, "code,name\nA1,a\n");
    free(expect(d, 1, "run", "p.xml", NULL));
    snprintf(text, sizeof(text), xml, "");
    free(wt_write_file(d, "p.xml", text));
    csv(d, "code,name\nA1,a2\n");
    free(expect(d, 0, "run", "p.xml", NULL));
    CU_ASSERT_EQUAL(q(d, "a.db", "SELECT count(*) FROM applied WHERE key = 'A1' "
                                 "AND op = 'insert' AND payload LIKE '%a2%'"), 1);
    CU_ASSERT_EQUAL(q(d, "b.db", "SELECT count(*) FROM applied WHERE key = 'A1' "
                                 "AND op = 'update' AND payload LIKE '%a2%'"), 1);
    CU_ASSERT_EQUAL(q(d, "b.db", "SELECT count(*) FROM applied WHERE op = 'insert'"), 1);
    free(d);
}

static void test_refused_run_leaves_endpoints_alone(void)
{
    /* One sink's target cannot be reached now, another can never work:
     * the run is refused, and refused runs change nothing: no endpoint
     * marked down, nobody told it is. */
    char *d = e2e_scratch("refused-endpoints");
    never_working_pipeline(d,
                           "  <sink plugin=\"testsink\" name=\"gone\">"
                           "<option name=\"database\">gone/t.db</option>"
                           "</sink>\n",
                           "");
    csv(d, "code,name\nA1,Alpha\n");
    free(expect(d, 3, "run", "p.xml", NULL));
    json_t *st = e2e_json(d, "status", "--json", NULL);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(st, "endpoints")), 0);
    json_decref(st);
    free(d);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("delivery end to end", NULL, NULL);
    CU_add_test(s, "track: insert, update, unchanged, delete", test_track_ops);
    CU_add_test(s, "delete guard refuses, --force overrides", test_delete_guard);
    CU_add_test(s, "source failure changes nothing", test_source_failure_changes_nothing);
    CU_add_test(s, "malformed rows never become deletes", test_malformed_rows_never_delete);
    CU_add_test(s, "duplicate keys reported", test_duplicate_keys_reported);
    CU_add_test(s, "full refresh and dry run", test_full_refresh_and_dry_run);
    CU_add_test(s, "delivered rows pruned with their attempts",
                test_delivered_pruned_with_attempts);
    CU_add_test(s, "run history pruned after keep-delivered, the last run "
                   "kept", test_run_history_pruned);
    CU_add_test(s, "retry, same idempotency id", test_retry_then_drain);
    CU_add_test(s, "out of attempts, monitor, show, resend",
                test_out_of_attempts_monitor_show_resend);
    CU_add_test(s, "rejects go to the monitor", test_reject_goes_to_monitor);
    CU_add_test(s, "endpoint down: held, then flows", test_endpoint_down_holds_then_flows);
    CU_add_test(s, "probe(): no record spent on a down endpoint",
                test_probe_spends_no_record);
    CU_add_test(s, "a newer change supersedes a retrying one", test_newer_change_supersedes_retrying);
    CU_add_test(s, "a change in flight keeps order per key", test_in_flight_keeps_order_per_key);
    CU_add_test(s, "a held record waits without spinning", test_sink_hold_waits);
    CU_add_test(s, "a newer change supersedes a failed one",
                test_newer_change_supersedes_failed);
    CU_add_test(s, "events are never superseded", test_events_are_never_superseded);
    CU_add_test(s, "down during a drain: held, probed, recovered",
                test_down_during_drain_recovers);
    CU_add_test(s, "locks die with their holder", test_lock_dies_with_holder);
    CU_add_test(s, "a source that cannot open is notified",
                test_source_that_cannot_open_is_notified);
    CU_add_test(s, "a sink that cannot open holds its records",
                test_sink_that_cannot_open_holds);
    CU_add_test(s, "a sink that can never work stops the run",
                test_sink_that_can_never_work_stops_the_run);
    CU_add_test(s, "open() says why: the reason in weir's message",
                test_open_reason);
    CU_add_test(s, "drain --wait says what it waits for", test_drain_wait_says_why);
    CU_add_test(s, "an error class after retries ran out",
                test_resend_class_after_retries);
    CU_add_test(s, "drain --wait does not spin on a down endpoint",
                test_drain_wait_does_not_spin_on_a_down_endpoint);
    CU_add_test(s, "a superseded insert goes as insert to that target only",
                test_superseded_insert_is_per_target);
    CU_add_test(s, "a refused run leaves endpoints alone",
                test_refused_run_leaves_endpoints_alone);
    CU_add_test(s, "a newer change is not stuck behind a failed one",
                test_newer_change_not_stuck_behind_failed);
    CU_add_test(s, "a superseded insert: the newer change goes as insert",
                test_superseded_insert_goes_as_insert);
    CU_add_test(s, "an unanswered record is retried, never delivered",
                test_unanswered_is_retried);
    CU_add_test(s, "a sink built for ABI 1.1 keeps its contract",
                test_unanswered_by_a_1_1_sink);
    CU_add_test(s, "a batch refused as a whole: the bad records isolated (run)",
                test_refused_batch_isolated_on_run);
    CU_add_test(s, "a batch refused as a whole: the bad records isolated (drain)",
                test_refused_batch_isolated_on_drain);
    CU_add_test(s, "SPLIT from a sink built for ABI 1.1 is not replayed",
                test_split_from_a_1_1_sink_is_not_replayed);
    CU_add_test(s, "newer state schema refused", test_state_newer_schema);
    CU_add_test(s, "a settle lost with the machine: nothing lost, the same "
                   "ids", test_settle_lost_with_the_machine);
}
