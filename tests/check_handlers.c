/* handlers: every request's logic called directly (no socket, no liftd) with a SQLite store in
 * a temporary directory: Ping's limits, Assign and AssignBatch (first exposure, sticky repeat,
 * paused and stale experiments, per-item errors), Track's bounds, Report validation and its
 * job, the batch contract (no transaction, commit), and the assigner's rollback rules. Error
 * replies must name the field, the value and the bound. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assigner.h"
#include "handlers.h"
#include "lift/limits.h"
#include "lift/lift.h"
#include "lift.pb-c.h"
#include "testutil.h"

Suite *handlers_suite(void);

#define NOW_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static char D[256];   /* temporary directory */
static char URI[300]; /* sqlite:D */
static store_t *S;    /* the store */
static registry_t *R; /* its registry */
static ingest_t *I;   /* ingest over both */
static handlers_t *H; /* under test */

static void setup(void)
{
    char err[512];
    tu_tempdir(D, sizeof D);
    snprintf(URI, sizeof URI, "sqlite:%s", D);
    S = store_open(URI, err, sizeof err);
    ck_assert_msg(S != NULL, "%s", err);
    ck_assert_int_eq(store_meta_set(S, "currency", "USD"), 0);
    R = registry_new(S, err, sizeof err);
    ck_assert_msg(R != NULL, "%s", err);
    ingest_config_t icfg = {.currency = "USD", .clock_skew_ms = 86400000};
    I = ingest_new(S, R, &icfg, err, sizeof err);
    ck_assert_msg(I != NULL, "%s", err);
    H = handlers_new(S, R, I, LOG_LEVEL_ERROR);
    ck_assert_ptr_nonnull(H);
}

static void teardown(void)
{
    handlers_destroy(&H);
    ck_assert_ptr_null(H);
    ingest_destroy(&I);
    registry_destroy(&R);
    store_destroy(&S);
    tu_rmtree(D);
}

static Lift__Reply *run_at(const Lift__Request *req, int64_t now, handlers_out_t *flags)
{
    return tu_handle(H, req, now, flags);
}

static Lift__Reply *run(const Lift__Request *req)
{
    return run_at(req, NOW_MS, NULL);
}

/* The reply's status is code, on field, with every string of want in its message. */
static void expect_error(const Lift__Reply *r, int code, const char *field, const char *const *want)
{
    ck_assert_int_eq(r->status->code, code);
    if (field)
        ck_assert_str_eq(r->status->field ? r->status->field : "(none)", field);
    for (; want && *want; want++)
        ck_assert_msg(r->status->message && strstr(r->status->message, *want),
                      "message \"%s\" lacks \"%s\"", r->status->message, *want);
}

/* req, a batch of no items, is refused as INVALID_ARGUMENT on field, the message saying
 * `none` (e.g. "0 ids") and the bound 1..LIFT_BATCH_MAX. */
static void expect_batch_bound(const Lift__Request *req, const char *field, const char *none)
{
    Lift__Reply *r = run(req);
    char bound[32];
    snprintf(bound, sizeof bound, "need 1..%d", LIFT_BATCH_MAX);
    expect_error(r, LIFT__CODE__INVALID_ARGUMENT, field, (const char *const[]){none, bound, NULL});
    lift__reply__free_unpacked(r, NULL);
}

static void create_started(const char *key)
{
    tu_handlers_two_arm(H, key, 1, NOW_MS);
}

static void change(const char *key, Lift__Action action)
{
    Lift__ChangeExperiment ch = LIFT__CHANGE_EXPERIMENT__INIT;
    ch.key = (char *)key;
    ch.has_action = 1;
    ch.action = action;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.body_case = LIFT__REQUEST__BODY_CHANGE_EXPERIMENT;
    req.change_experiment = &ch;
    Lift__Reply *r = run(&req);
    ck_assert_int_eq(r->status->code, LIFT__CODE__OK);
    lift__reply__free_unpacked(r, NULL);
}

static Lift__Context CTX = LIFT__CONTEXT__INIT;

static void ctx_init(void)
{
    Lift__Context c = LIFT__CONTEXT__INIT;
    CTX = c;
    CTX.has_trigger = CTX.has_stage = CTX.has_channel = 1;
    CTX.trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD;
    CTX.stage = LIFT__STAGE__STAGE_GROWTH;
    CTX.channel = LIFT__CHANNEL__CHANNEL_IN_APP;
}

/* Assign customer to key; the reply (OK checked) and the flags. */
static Lift__Reply *assign(const char *key, const char *customer, handlers_out_t *flags)
{
    ctx_init();
    Lift__Assign a = LIFT__ASSIGN__INIT;
    a.experiment_key = (char *)key;
    a.customer_id = (char *)customer;
    a.context = &CTX;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.request_id = 42;
    req.body_case = LIFT__REQUEST__BODY_ASSIGN;
    req.assign = &a;
    Lift__Reply *r = run_at(&req, NOW_MS + 10, flags);
    return r;
}

START_TEST(ping_limits)
{
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Ping ping = LIFT__PING__INIT;
    req.request_id = 7;
    req.body_case = LIFT__REQUEST__BODY_PING;
    req.ping = &ping;
    handlers_out_t f;
    Lift__Reply *r = run_at(&req, NOW_MS, &f);
    ck_assert_int_eq(r->status->code, LIFT__CODE__OK);
    ck_assert_int_eq(f.wrote, 0);
    ck_assert_int_eq(r->body_case, LIFT__REPLY__BODY_PONG);
    ck_assert_str_eq(r->pong->version, LIFT_VERSION);
    ck_assert_str_eq(r->pong->currency, "USD");
    ck_assert_int_eq(r->pong->now_ms, NOW_MS);
    ck_assert_uint_eq(r->pong->limits->batch_max, LIFT_BATCH_MAX);
    ck_assert_uint_eq(r->pong->limits->segment_by_max, LIFT_SEGMENT_BY_MAX);
    ck_assert_uint_eq(r->pong->limits->customer_id_max_bytes, LIFT_CUSTOMER_ID_MAX);
    ck_assert_int_eq(r->pong->limits->clock_skew_ms, 86400000);
    lift__reply__free_unpacked(r, NULL);
}
END_TEST

/* Creating the same definition again changes nothing (wrote = 0); a different one under the
 * same key is refused with the field. */
START_TEST(create_idempotent)
{
    tu_handlers_two_arm(H, "offer", 0, NOW_MS);
    Lift__GetExperiment g = LIFT__GET_EXPERIMENT__INIT;
    g.key = "offer";
    Lift__Request req = LIFT__REQUEST__INIT;
    req.body_case = LIFT__REQUEST__BODY_GET_EXPERIMENT;
    req.get_experiment = &g;
    Lift__Reply *got = run(&req);
    ck_assert_int_eq(got->status->code, LIFT__CODE__OK);
    ck_assert_int_eq(got->experiment->status, LIFT__EXPERIMENT_STATUS__STATUS_DRAFT);
    Lift__CreateExperiment ce = LIFT__CREATE_EXPERIMENT__INIT;
    ce.experiment = got->experiment;
    req.body_case = LIFT__REQUEST__BODY_CREATE_EXPERIMENT;
    req.create_experiment = &ce;
    handlers_out_t f;
    Lift__Reply *r = run_at(&req, NOW_MS, &f);
    ck_assert_int_eq(r->status->code, LIFT__CODE__OK);
    ck_assert_int_eq(f.wrote, 0);
    lift__reply__free_unpacked(r, NULL);
    got->experiment->arms[1]->weight = 0.25; /* weights no longer sum to 1 */
    r = run_at(&req, NOW_MS, &f);
    ck_assert_int_ne(r->status->code, LIFT__CODE__OK);
    ck_assert_ptr_nonnull(r->status->field);
    ck_assert_msg(strncmp(r->status->field, "create_experiment.", 18) == 0, "%s", r->status->field);
    ck_assert_int_eq(f.wrote, 0);
    ck_assert_int_eq(f.failed, 1);
    lift__reply__free_unpacked(r, NULL);
    lift__reply__free_unpacked(got, NULL);
}
END_TEST

START_TEST(assign_first_then_sticky)
{
    create_started("offer");
    handlers_out_t f;
    Lift__Reply *r = assign("offer", "cust-1", &f);
    ck_assert_int_eq(r->status->code, LIFT__CODE__OK);
    Lift__Assignment *a = r->assign->assignments[0];
    ck_assert(a->in_experiment && a->eligible);
    ck_assert(a->first_exposure);
    ck_assert_int_eq(f.wrote, 1);
    int arm = a->arm_index;
    ck_assert(arm == 0 || arm == 1);
    ck_assert_str_eq(a->arm_name, arm == 0 ? "holdout" : "offer");
    lift__reply__free_unpacked(r, NULL);
    int64_t id = registry_find(R, "offer")->id;
    ck_assert_int_eq(store_exposure_count(S, id), 1);
    for (int i = 0; i < 3; i++) { /* repeats: the same arm, nothing written */
        r = assign("offer", "cust-1", &f);
        a = r->assign->assignments[0];
        ck_assert(a->in_experiment);
        ck_assert(!a->first_exposure);
        ck_assert_int_eq(a->arm_index, arm);
        ck_assert_int_eq(f.wrote, 0);
        lift__reply__free_unpacked(r, NULL);
    }
    ck_assert_int_eq(store_exposure_count(S, id), 1);
}
END_TEST

/* Paused: not running, no exposure; resumed: exposed. Paused through another registry on the
 * same store (another liftd): the stale cache is caught by the store and decided again. */
START_TEST(assign_paused_and_stale)
{
    char err[256];
    create_started("offer");
    int64_t id = registry_find(R, "offer")->id;
    change("offer", LIFT__ACTION__ACTION_PAUSE);
    handlers_out_t f;
    Lift__Reply *r = assign("offer", "cust-1", &f);
    Lift__Assignment *a = r->assign->assignments[0];
    ck_assert_int_eq(a->reason, LIFT__REASON__REASON_NOT_RUNNING);
    ck_assert(!a->in_experiment);
    ck_assert_int_eq(a->arm_index, -1);
    ck_assert_int_eq(f.wrote, 0);
    lift__reply__free_unpacked(r, NULL);
    ck_assert_int_eq(store_exposure_count(S, id), 0);
    change("offer", LIFT__ACTION__ACTION_RESUME);

    registry_t *other = registry_new(S, err, sizeof err);
    ck_assert_msg(other != NULL, "%s", err);
    const registry_entry_t *e;
    status_t st;
    ck_assert_int_eq(store_begin(S, err, sizeof err), 0);
    ck_assert_int_eq(
        registry_change(other, "offer", LIFT__ACTION__ACTION_PAUSE, 0, 0, NOW_MS + 1, &e, &st), 0);
    ck_assert_int_eq(store_commit(S, err, sizeof err), 0);
    ck_assert_int_eq(registry_find(R, "offer")->def->status,
                     LIFT__EXPERIMENT_STATUS__STATUS_RUNNING); /* the handlers' cache: stale */
    r = assign("offer", "cust-2", &f);
    a = r->assign->assignments[0];
    ck_assert_int_eq(r->status->code, LIFT__CODE__OK);
    ck_assert_int_eq(a->reason, LIFT__REASON__REASON_NOT_RUNNING);
    ck_assert(!a->in_experiment);
    ck_assert_int_eq(f.wrote, 0);
    lift__reply__free_unpacked(r, NULL);
    ck_assert_int_eq(store_exposure_count(S, id), 0);
    ck_assert_int_eq(registry_find(R, "offer")->def->status,
                     LIFT__EXPERIMENT_STATUS__STATUS_PAUSED);
    registry_destroy(&other);
}
END_TEST

START_TEST(assign_errors)
{
    create_started("offer");
    Lift__Reply *r = assign("nope", "cust-1", NULL);
    expect_error(r, LIFT__CODE__NOT_FOUND, "assign.experiment_key",
                 (const char *const[]){"no experiment with key nope", NULL});
    lift__reply__free_unpacked(r, NULL);
    r = assign("offer", NULL, NULL);
    char bound[32];
    snprintf(bound, sizeof bound, "1..%d bytes", LIFT_CUSTOMER_ID_MAX);
    expect_error(r, LIFT__CODE__INVALID_ARGUMENT, "assign.customer_id",
                 (const char *const[]){"required", bound, NULL});
    lift__reply__free_unpacked(r, NULL);
    /* An id past its bound: the reply is OK, the item carries the error and its path. */
    char longid[LIFT_CUSTOMER_ID_MAX + 2];
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    r = assign("offer", longid, NULL);
    ck_assert_int_eq(r->status->code, LIFT__CODE__OK);
    Lift__Assignment *a = r->assign->assignments[0];
    ck_assert_ptr_nonnull(a->error);
    ck_assert_int_eq(a->error->code, LIFT__CODE__INVALID_ARGUMENT);
    ck_assert_str_eq(a->error->field, "assign.customer_id");
    ck_assert_int_eq(a->reason, LIFT__REASON__REASON_INVALID);
    snprintf(bound, sizeof bound, "%d", LIFT_CUSTOMER_ID_MAX);
    ck_assert_msg(strstr(a->error->message, bound), "%s", a->error->message);
    lift__reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(assign_batch)
{
    create_started("offer");
    ctx_init();
    char *ids[3] = {"cust-1", "", "cust-3"};
    Lift__AssignBatch b = LIFT__ASSIGN_BATCH__INIT;
    b.experiment_key = "offer";
    b.context = &CTX;
    b.customer_ids = ids;
    b.n_customer_ids = 0;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.request_id = 9;
    req.body_case = LIFT__REQUEST__BODY_ASSIGN_BATCH;
    req.assign_batch = &b;
    expect_batch_bound(&req, "assign_batch.customer_ids", "0 ids");

    b.n_customer_ids = 3;
    handlers_out_t f;
    Lift__Reply *r = run_at(&req, NOW_MS + 10, &f);
    ck_assert_int_eq(r->status->code, LIFT__CODE__OK);
    ck_assert_uint_eq(r->assign->n_assignments, 3);
    ck_assert_int_eq(f.wrote, 1);
    ck_assert(r->assign->assignments[0]->first_exposure);
    ck_assert(r->assign->assignments[2]->first_exposure);
    Lift__Assignment *bad = r->assign->assignments[1];
    ck_assert_ptr_nonnull(bad->error);
    ck_assert_str_eq(bad->error->field, "assign_batch.customer_ids[1]");
    ck_assert(!bad->in_experiment);
    lift__reply__free_unpacked(r, NULL);
    ck_assert_int_eq(store_exposure_count(S, registry_find(R, "offer")->id), 2);
}
END_TEST

START_TEST(track_bounds)
{
    Lift__Track t = LIFT__TRACK__INIT;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.body_case = LIFT__REQUEST__BODY_TRACK;
    req.track = &t;
    expect_batch_bound(&req, "track.events", "0 events");
    /* One event without an id: accepted none, rejected it with its index and field. */
    Lift__Event ev = LIFT__EVENT__INIT, *evs[1] = {&ev};
    ev.customer_id = "cust-1";
    t.n_events = 1;
    t.events = evs;
    handlers_out_t f;
    Lift__Reply *r = run_at(&req, NOW_MS, &f);
    ck_assert_int_eq(r->status->code, LIFT__CODE__OK);
    ck_assert_uint_eq(r->track->accepted, 0);
    ck_assert_uint_eq(r->track->n_rejected, 1);
    ck_assert_uint_eq(r->track->rejected[0]->index, 0);
    ck_assert_ptr_nonnull(r->track->rejected[0]->field);
    ck_assert_int_eq(f.wrote, 0);
    lift__reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(get_list_and_unknown)
{
    Lift__GetExperiment g = LIFT__GET_EXPERIMENT__INIT;
    g.key = "missing";
    Lift__Request req = LIFT__REQUEST__INIT;
    req.body_case = LIFT__REQUEST__BODY_GET_EXPERIMENT;
    req.get_experiment = &g;
    Lift__Reply *r = run(&req);
    expect_error(r, LIFT__CODE__NOT_FOUND, "get_experiment.key",
                 (const char *const[]){"missing", NULL});
    lift__reply__free_unpacked(r, NULL);
    Lift__ListExperiments l = LIFT__LIST_EXPERIMENTS__INIT;
    l.has_status = 1;
    l.status = 99;
    req.body_case = LIFT__REQUEST__BODY_LIST_EXPERIMENTS;
    req.list_experiments = &l;
    r = run(&req);
    expect_error(r, LIFT__CODE__INVALID_ARGUMENT, "list_experiments.status",
                 (const char *const[]){"99 is not a valid value", NULL});
    lift__reply__free_unpacked(r, NULL);
    req.body_case = LIFT__REQUEST__BODY__NOT_SET;
    r = run(&req);
    expect_error(r, LIFT__CODE__INVALID_ARGUMENT, NULL,
                 (const char *const[]){"no body this server knows", "assign_batch", NULL});
    lift__reply__free_unpacked(r, NULL);
    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
    req.body_case = LIFT__REQUEST__BODY_REPORT; /* handlers_report_job's, not this */
    req.report = &q;
    r = run(&req);
    expect_error(r, LIFT__CODE__INTERNAL, NULL, (const char *const[]){"handlers_report_job", NULL});
    lift__reply__free_unpacked(r, NULL);
    /* Bytes that did not decode: the server's reason is the message. */
    handlers_out_t out;
    ck_assert_int_eq(handlers_handle(H, NULL, "undecodable request: 3 bytes", NOW_MS, &out), 0);
    r = lift__reply__unpack(NULL, out.len, out.bytes);
    free(out.bytes);
    expect_error(r, LIFT__CODE__INVALID_ARGUMENT, NULL,
                 (const char *const[]){"undecodable request: 3 bytes", NULL});
    lift__reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(field_paths)
{
    char buf[64];
    Lift__Request req = LIFT__REQUEST__INIT;
    req.body_case = LIFT__REQUEST__BODY_GET_EXPERIMENT;
    handlers_field_path(&req, "key", buf, sizeof buf);
    ck_assert_str_eq(buf, "get_experiment.key");
    handlers_field_path(&req, "get_experiment.key", buf, sizeof buf);
    ck_assert_str_eq(buf, "get_experiment.key");
    handlers_field_path(&req, "get_experimental", buf, sizeof buf); /* a prefix is no root */
    ck_assert_str_eq(buf, "get_experiment.get_experimental");
    handlers_field_path(&req, NULL, buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    req.body_case = LIFT__REQUEST__BODY_IS_HELD_OUT;
    handlers_field_path(&req, "customer_ids[3]", buf, sizeof buf);
    ck_assert_str_eq(buf, "is_held_out.customer_ids[3]");
}
END_TEST

/* Report validation: the bound, the two keys, the experiment; a valid one becomes a job with
 * the experiment's current definition and its own copy of the request. */
START_TEST(report_validation)
{
    create_started("offer");
    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.request_id = 77;
    req.body_case = LIFT__REQUEST__BODY_REPORT;
    req.report = &q;
    Lift__Dimension dims[LIFT_SEGMENT_BY_MAX + 1];
    for (int i = 0; i <= LIFT_SEGMENT_BY_MAX; i++)
        dims[i] = LIFT__DIMENSION__DIMENSION_TRIGGER;
    q.experiment_key = "offer";
    q.segment_by = dims;
    q.n_segment_by = LIFT_SEGMENT_BY_MAX + 1;
    worker_job_t *job = (worker_job_t *)&job; /* must be set to NULL */
    handlers_out_t out;
    char want[64];
    snprintf(want, sizeof want, "%d dimensions, at most %d", LIFT_SEGMENT_BY_MAX + 1,
             LIFT_SEGMENT_BY_MAX);
    struct {
        const char *key, *hkey;
        int code;
        const char *field, *msg;
    } cases[] = {
        {"offer", NULL, LIFT__CODE__INVALID_ARGUMENT, "report.segment_by", want},
        {"offer", "program", LIFT__CODE__INVALID_ARGUMENT, "report.holdout_key", "both set"},
        {"nope", NULL, LIFT__CODE__NOT_FOUND, "report.experiment_key",
         "no experiment with key nope"},
        {"", NULL, LIFT__CODE__NOT_FOUND, "report.experiment_key", "(empty)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        q.experiment_key = (char *)cases[i].key;
        q.holdout_key = (char *)cases[i].hkey;
        q.n_segment_by = i == 0 ? LIFT_SEGMENT_BY_MAX + 1 : LIFT_SEGMENT_BY_MAX;
        ck_assert_int_eq(handlers_report_job(H, &req, &job, &out), 0);
        ck_assert_ptr_null(job);
        Lift__Reply *r = lift__reply__unpack(NULL, out.len, out.bytes);
        free(out.bytes);
        ck_assert_uint_eq(r->request_id, 77);
        expect_error(r, cases[i].code, cases[i].field, (const char *const[]){cases[i].msg, NULL});
        lift__reply__free_unpacked(r, NULL);
    }
    q.experiment_key = "offer";
    q.holdout_key = NULL;
    ck_assert_int_eq(handlers_report_job(H, &req, &job, &out), 1);
    ck_assert_ptr_null(out.bytes);
    ck_assert_ptr_nonnull(job);
    ck_assert_uint_eq(job->request_id, 77);
    ck_assert_int_eq(job->experiment_id, registry_find(R, "offer")->id);
    ck_assert_ptr_ne(job->req, &q); /* its own copy: the request's arena is reset */
    ck_assert_str_eq(job->req->experiment_key, "offer");
    ck_assert_uint_eq(job->req->n_segment_by, LIFT_SEGMENT_BY_MAX);
    Lift__Experiment *x = lift__experiment__unpack(NULL, job->experiment_len, job->experiment);
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(x->key, "offer");
    ck_assert_int_eq(x->status, LIFT__EXPERIMENT_STATUS__STATUS_RUNNING);
    ck_assert(x->has_exposures);
    lift__experiment__free_unpacked(x, NULL);
    worker_job_free(&job);
}
END_TEST

/* Without a transaction every request is answered UNAVAILABLE, and nothing is written. */
START_TEST(no_transaction)
{
    create_started("offer");
    ctx_init();
    Lift__Assign a = LIFT__ASSIGN__INIT;
    a.experiment_key = "offer";
    a.customer_id = "cust-1";
    a.context = &CTX;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.request_id = 5;
    req.body_case = LIFT__REQUEST__BODY_ASSIGN;
    req.assign = &a;
    handlers_out_t out;
    ck_assert_int_eq(handlers_handle(H, &req, NULL, NOW_MS, &out), 0);
    Lift__Reply *r = lift__reply__unpack(NULL, out.len, out.bytes);
    free(out.bytes);
    ck_assert_int_eq(out.wrote, 0);
    ck_assert_int_eq(out.failed, 1);
    expect_error(r, LIFT__CODE__UNAVAILABLE, NULL, (const char *const[]){"retry", NULL});
    ck_assert_uint_eq(r->request_id, 5);
    lift__reply__free_unpacked(r, NULL);
    ck_assert_int_eq(store_exposure_count(S, registry_find(R, "offer")->id), 0);
    char err[128];
    ck_assert_int_eq(handlers_batch_end(H, err, sizeof err), 0); /* nothing to commit */
}
END_TEST

/* handlers_open checks the deployment's currency against the store's. */
START_TEST(open_currency)
{
    char err[512];
    handlers_config_t cfg = {
        .store = URI, .currency = "USD", .clock_skew_ms = 1000, .log_level = LOG_LEVEL_ERROR};
    handlers_destroy(&H); /* one writer per SQLite store */
    ingest_destroy(&I);
    registry_destroy(&R);
    store_destroy(&S);
    handlers_t *h = handlers_open(&cfg, err, sizeof err);
    ck_assert_msg(h != NULL, "%s", err);
    handlers_describe(h, err, sizeof err);
    ck_assert_msg(strstr(err, "backend=sqlite") && strstr(err, "experiments=0"), "%s", err);
    handlers_destroy(&h);
    cfg.currency = "EUR";
    ck_assert_ptr_null(handlers_open(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "--currency EUR") && strstr(err, "holds USD"), "%s", err);
    cfg.currency = "XYZ";
    ck_assert_ptr_null(handlers_open(&cfg, err, sizeof err));
    ck_assert_msg(strstr(err, "--currency"), "%s", err);
    S = store_open(URI, err, sizeof err); /* for teardown */
    ck_assert_ptr_nonnull(S);
    R = registry_new(S, err, sizeof err);
    ingest_config_t icfg = {.currency = "USD", .clock_skew_ms = 86400000};
    I = ingest_new(S, R, &icfg, err, sizeof err);
    H = handlers_new(S, R, I, LOG_LEVEL_ERROR);
}
END_TEST

/* The assigner's contract: what a rollback undoes, the cache forgets — so the customer's next
 * assignment is a first exposure again, and recorded. */
START_TEST(assigner_rollback)
{
    char err[256];
    status_t st;
    create_started("offer");
    const registry_entry_t *e = registry_find(R, "offer");
    assigner_t *a = assigner_new(S, R, LOG_LEVEL_ERROR);
    ck_assert_ptr_nonnull(a);
    ctx_init();
    assigner_result_t res;
    /* Undone alone (the request's savepoint). */
    ck_assert_int_eq(store_begin(S, err, sizeof err), 0);
    store_request_begin(S);
    assigner_request_begin(a);
    ck_assert_int_eq(assigner_assign(a, e, "cust-1", 6, &CTX, NOW_MS, &res, &st), 0);
    ck_assert(res.first_exposure && res.wrote);
    ck_assert_int_eq(store_request_end(S, 0), 0);
    assigner_request_end(a, 0);
    ck_assert_int_eq(assigner_assign(a, e, "cust-1", 6, &CTX, NOW_MS, &res, &st), 0);
    ck_assert_msg(res.first_exposure, "the cache kept an exposure its request undid");
    int arm = res.arm;
    ck_assert(arm == 0 || arm == 1);
    /* Rolled back with the batch. */
    store_rollback(S);
    assigner_batch_end(a, 0);
    ck_assert_int_eq(store_begin(S, err, sizeof err), 0);
    ck_assert_int_eq(assigner_assign(a, e, "cust-1", 6, &CTX, NOW_MS, &res, &st), 0);
    ck_assert_msg(res.first_exposure, "the cache kept an exposure the rollback undid");
    ck_assert_int_eq(res.arm, arm); /* the bucket does not move */
    ck_assert_int_eq(store_commit(S, err, sizeof err), 0);
    assigner_batch_end(a, 1);
    ck_assert_int_eq(store_exposure_count(S, e->id), 1);
    /* Kept: a repeat, from the cache or the store. */
    ck_assert_int_eq(store_begin(S, err, sizeof err), 0);
    ck_assert_int_eq(assigner_assign(a, e, "cust-1", 6, &CTX, NOW_MS, &res, &st), 0);
    ck_assert(!res.first_exposure && !res.wrote);
    ck_assert_int_eq(res.arm, arm);
    ck_assert_int_eq(res.reason, LIFT__REASON__REASON_NONE);
    ck_assert_int_eq(store_commit(S, err, sizeof err), 0);
    ck_assert_ptr_nonnull(assigner_cache(a));
    assigner_destroy(&a);
    ck_assert_ptr_null(a);
}
END_TEST

Suite *handlers_suite(void)
{
    Suite *s = suite_create("handlers");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ping_limits);
    tcase_add_test(tc, create_idempotent);
    tcase_add_test(tc, assign_first_then_sticky);
    tcase_add_test(tc, assign_paused_and_stale);
    tcase_add_test(tc, assign_batch);
    tcase_add_test(tc, field_paths);
    tcase_add_test(tc, report_validation);
    tcase_add_test(tc, assigner_rollback);
    tcase_add_test(tc, open_currency);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("errors");
    tcase_add_checked_fixture(te, setup, teardown);
    tcase_set_timeout(te, 60);
    tcase_add_test(te, assign_errors);
    tcase_add_test(te, track_bounds);
    tcase_add_test(te, get_list_and_unknown);
    tcase_add_test(te, no_transaction);
    suite_add_tcase(s, te);
    return s;
}
