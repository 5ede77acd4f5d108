/*
 * erp_server.h - a small ERP for the tests (libmicrohttpd, JSON by jansson).
 *
 * erp_start() runs it in the test's own process, in libmicrohttpd's
 * threads, on 127.0.0.1 and a free port; tests reach it at erp_url().
 * The same server is the standalone program tests/erp/weir-test-erp
 * (built by `make`, never installed) for the example pipelines.
 *
 * Resources (bodies are JSON objects; answers are JSON):
 *   GET  /health                  200 {"status": "ok"}
 *   POST /customers               201 {"id": "C00001"}, Location: /customers/C00001
 *   GET  /customers               paged list (below)
 *   GET|PUT|DELETE /customers/{id}
 *   POST /orders                  201 {"id": "SO00001"}; "customer" must name an
 *                                 existing customer, else 422
 *                                 {"error": {"message": "Customer 'X' not found"}}
 *   GET  /orders[?ref=R], GET|PUT|DELETE /orders/{id-or-ref}
 *   POST /invoices                201 {"id": "INV00001"}; checks, in order:
 *                                 "customer" (when given) as for orders;
 *                                 "terms" (when given) must be defined, else 422
 *                                 {"error": {"code": 1020, "message":
 *                                 "1020 - Terms Code \"F48\" is not defined in A/R Terms"}};
 *                                 "gl_account" and each "lines"[i]."gl_account"
 *                                 (when given) must exist, else 422
 *                                 {"error": {"code": 1021, "message":
 *                                 "1021 - G/L Account \"9999\" is not defined in G/L Accounts"}}
 *   GET  /invoices[?ref=R], GET|PUT|DELETE /invoices/{id-or-ref}
 *                                 (?ref=R: {"data": [the records with "ref" R]},
 *                                 the lookup a sink makes before re-sending)
 *   POST /terms {"code": C}, POST /gl-accounts {"code": C}: define one (201)
 *   POST /oauth/token             OAuth2 client credentials (form or JSON body,
 *                                 or Basic client_id:client_secret): 200
 *                                 {"access_token", "token_type": "Bearer",
 *                                 "expires_in"}; 401 {"error": "invalid_client"}
 *   POST /hooks/...               capture: stores path, headers and body; 200 {"ok": true}
 * Defined from the start: terms N30, N60, COD; G/L accounts 4000, 4100, 1200.
 * Records keep the fields sent plus "id" (assigned) and "modified" (a
 * strictly increasing ISO-8601 time, 2024-01-01T00:00:00Z plus one second
 * per change).  A record's "ref" (string, optional) is the client's key:
 * creates are counted per ref (erp_created), and duplicates are accepted,
 * as many real APIs do, so that a test can see a double.  PUT merges the
 * fields sent into the record; unknown id -> 404.  Malformed JSON -> 400.
 *
 * Paging of GET /customers and GET /orders (records sorted by id, page size
 * `limit`, default erp_set_page_size(), itself 50):
 *   body {"data": [...], "next": URL-or-null, "next_cursor": C-or-null,
 *         "total": N} and a header Link: <URL>; rel="next" while more;
 *   ?page=N (from 1) | ?offset=N | ?cursor=C (C from "next_cursor");
 *   the "next" URL continues in the mode asked (page when none);
 *   ?modified_since=T: only records whose "modified" > T.
 *
 * Idempotency-Key header: the first request with a key that succeeds (2xx)
 * is applied and its answer stored; a later request with the same key gets
 * the stored answer again and changes nothing.  Failed answers are not
 * stored (a resend after the setup is fixed is applied).
 *
 * Switches, applied in this order to every request (the auth switch not to
 * /health and /oauth/token): slow, down, fail-next, flaky, rate limit,
 * auth.
 *
 * Thread-safety: every function may be called from any thread while the
 * server runs, except erp_stop(), which must be the last call.  Strings
 * passed in are copied (borrowed for the call only).  Functions returning
 * json_t * return a new reference (owned: json_decref).
 */
#ifndef WEIR_TEST_ERP_SERVER_H
#define WEIR_TEST_ERP_SERVER_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

typedef struct erp_server erp_server;

/* Start the ERP on 127.0.0.1:`port` (0: a free port, read back with
 * erp_port()).  NULL on failure, with the reason on stderr.
 * (owned: erp_stop) */
erp_server *erp_start(unsigned short port);
/* Stop the server and free it; a request in progress (a slow one too)
 * ends without an answer. NULL ok. */
void erp_stop(erp_server *s);
unsigned short erp_port(const erp_server *s);
/* "http://127.0.0.1:PORT" without a trailing slash. (borrowed: lives as
 * long as the server) */
const char *erp_url(const erp_server *s);

/* Write a line per answered request, "POST /invoices 422", to `log`
 * (borrowed: must stay open while the server runs; NULL: no log). */
void erp_set_log(erp_server *s, FILE *log);

/* ---- data ------------------------------------------------------------ */

/* Define a customer with this id and name (as if created), a terms code, a
 * G/L account.  0 on success, -1 when it already exists. */
int erp_add_customer(erp_server *s, const char *id, const char *name);
/* An edit made in the ERP by a user: `field` of the record `id_or_ref`
 * of `resource` set to `value`, its modified stamp moved on.  0, or -1
 * when there is no such record. */
int erp_edit(erp_server *s, const char *resource, const char *id_or_ref,
             const char *field, const char *value);
int erp_add_terms(erp_server *s, const char *code);
int erp_add_gl_account(erp_server *s, const char *code);
/* Records of `resource` ("customers", "orders", "invoices") now stored. */
size_t erp_record_count(erp_server *s, const char *resource);
/* The stored record with this id, or else the first with this ref; NULL
 * when none. (owned: json_decref) */
json_t *erp_record(erp_server *s, const char *resource, const char *id_or_ref);
/* All stored records of `resource`, sorted by id. (owned: json_decref) */
json_t *erp_records(erp_server *s, const char *resource);
/* Page size of the lists when the request gives no `limit` (default 50). */
void erp_set_page_size(erp_server *s, unsigned n);

/* ---- counters --------------------------------------------------------- */

/* Requests that reached the server (every answer, refused ones too). */
unsigned long erp_requests(erp_server *s);
/* Requests to exactly `method_path`, "POST /invoices" or
 * "PUT /invoices/INV00001" (path without the query). */
unsigned long erp_requests_to(erp_server *s, const char *method_path);
/* Requests that carried Idempotency-Key `key`, and how many of them
 * changed something (at most 1 while keys are honoured). */
unsigned long erp_key_requests(erp_server *s, const char *key);
unsigned long erp_key_applied(erp_server *s, const char *key);
/* Creates applied in `resource` for record ref `ref`, and the largest such
 * count over every resource and ref ("none twice": erp_max_created() <= 1). */
unsigned long erp_created(erp_server *s, const char *resource, const char *ref);
unsigned long erp_max_created(erp_server *s);
/* Changes (create, update, delete) applied to the record with this ref (or
 * id when it has no ref). */
unsigned long erp_applied(erp_server *s, const char *resource, const char *ref);
/* Answers given with this HTTP status (dropped connections: status 0). */
unsigned long erp_answers(erp_server *s, int status);
/* The most requests the server was answering at once (arrived, not yet
 * answered: a slow answer keeps its request in flight). */
unsigned erp_max_in_flight(erp_server *s);
/* Zero every counter (the data stays). */
void erp_reset_counters(erp_server *s);

/* ---- switches --------------------------------------------------------- */

typedef enum erp_down_mode {
    ERP_UP = 0,
    ERP_DOWN_REFUSE, /* not listening: connections are refused */
    ERP_DOWN_503,    /* listening, 503 {"error": ...} to every request */
} erp_down_mode;
/* Switch down or back up (the port stays the same; the data stays;
 * ERP_DOWN_REFUSE ends requests in progress without an answer).
 * 0 on success, -1 when the port could not be bound again (stderr). */
int erp_set_down(erp_server *s, erp_down_mode mode);
/* Delay every answer by `ms` (0: off). */
void erp_set_slow(erp_server *s, unsigned ms);

typedef enum erp_flaky_mode {
    ERP_FLAKY_OFF = 0,
    ERP_FLAKY_503,  /* answer 503 without applying */
    ERP_FLAKY_DROP, /* close the connection without applying or answering */
    ERP_FLAKY_LOSE, /* apply the change, then close without answering */
} erp_flaky_mode;
/* Every `every`-th request from now on (1: each) fails in `mode`. */
void erp_set_flaky(erp_server *s, erp_flaky_mode mode, unsigned every);
/* The next `count` requests get `status` with body {"error": {"message":
 * "injected failure"}} and, when retry_after > 0, Retry-After: retry_after
 * (408, 425, 500 ... for the sink's retry tests). */
void erp_fail_next(erp_server *s, unsigned count, int status, unsigned retry_after);
/* At most `per_second` requests in each clock second (0: off); more get
 * 429 with Retry-After: retry_after. */
void erp_set_rate_limit(erp_server *s, unsigned per_second, unsigned retry_after);
/* Honour Idempotency-Key (default 1); 0 ignores it, as some targets do. */
void erp_set_idempotency(erp_server *s, int honour);

typedef enum erp_auth_mode {
    ERP_AUTH_NONE = 0,
    ERP_AUTH_BEARER, /* a = the token */
    ERP_AUTH_BASIC,  /* a = user, b = password */
    ERP_AUTH_OAUTH2, /* a = client id, b = client secret; Bearer tokens from
                      * POST /oauth/token */
} erp_auth_mode;
/* Require credentials: 401 with WWW-Authenticate without them. */
void erp_set_auth(erp_server *s, erp_auth_mode mode, const char *a, const char *b);
/* Lifetime ("expires_in") of the tokens issued from now on (default 3600). */
void erp_set_token_lifetime(erp_server *s, unsigned seconds);
/* Every token issued so far expires now (401 "token expired" after). */
void erp_expire_tokens(erp_server *s);
/* Tokens issued by POST /oauth/token. */
unsigned long erp_tokens_issued(erp_server *s);

/* ---- capture (POST /hooks/...) ---------------------------------------- */

/* Requests captured so far. */
size_t erp_captured_count(erp_server *s);
/* Wait up to `timeout_ms` until at least `n` are captured; returns the
 * count then. */
size_t erp_wait_captured(erp_server *s, size_t n, int timeout_ms);
/* Capture `i` (from 0) as {"path": "/hooks/x", "headers": {lower-case
 * name: value}, "body": text, "json": parsed body or null}; NULL when
 * i is out of range. (owned: json_decref) */
json_t *erp_captured(erp_server *s, size_t i);

#endif
