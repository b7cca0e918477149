/* Integration suite: a real liftd on an ipc:// endpoint in a temporary directory, driven
 * through the client library (and raw ZeroMQ sockets for malformed traffic). */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "assign.h"
#include "lift/client.h"
#include "testutil.h"

static tliftd_t T;

static void setup(void)
{
    tu_liftd_init(&T);
    tu_liftd_start(&T, NULL);
}

static void teardown(void)
{
    tu_liftd_fini(&T);
}

/* A definition with narms arms of the given weights; coverage < 0 leaves it unset. */
typedef struct {
    Lift__Experiment x;
    Lift__Arm arms[8];
    Lift__Arm *ptrs[8];
    char names[8][16];
} texp_t;

static void texp(texp_t *t, const char *key, int narms, const double *w, double coverage)
{
    Lift__Experiment x = LIFT__EXPERIMENT__INIT;
    t->x = x;
    t->x.key = (char *)key;
    t->x.name = "test experiment";
    for (int i = 0; i < narms; i++) {
        Lift__Arm a = LIFT__ARM__INIT;
        t->arms[i] = a;
        snprintf(t->names[i], sizeof t->names[i], i == 0 ? "holdout" : "offer-%d", i);
        t->arms[i].name = t->names[i];
        t->arms[i].has_weight = 1;
        t->arms[i].weight = w[i];
        t->ptrs[i] = &t->arms[i];
    }
    t->x.n_arms = (size_t)narms;
    t->x.arms = t->ptrs;
    if (coverage >= 0) {
        t->x.has_coverage = 1;
        t->x.coverage = coverage;
    }
}

static const lift_context_t CTX = {
    .trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD,
    .stage = LIFT__STAGE__STAGE_GROWTH,
    .channel = LIFT__CHANNEL__CHANNEL_IN_APP,
};

static void create_and_start(const texp_t *t)
{
    Lift__Experiment *out = NULL;
    ck_assert_int_eq(lift_experiment_create(T.client, &t->x, &out), LIFT_OK);
    ck_assert_int_eq(out->status, LIFT__EXPERIMENT_STATUS__STATUS_DRAFT);
    lift_experiment_free(&out);
    ck_assert_int_eq(
        lift_experiment_change(T.client, t->x.key, LIFT__ACTION__ACTION_START, 0, &out), LIFT_OK);
    ck_assert_int_eq(out->status, LIFT__EXPERIMENT_STATUS__STATUS_RUNNING);
    lift_experiment_free(&out);
}

static char **make_ids(const char *prefix, size_t n)
{
    char **ids = calloc(n, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        ids[i] = malloc(48);
        snprintf(ids[i], 48, "%s-%zu", prefix, i);
    }
    return ids;
}

static void free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

static uint64_t exposures_of(const char *key)
{
    Lift__Experiment *out = NULL;
    ck_assert_int_eq(lift_experiment_get(T.client, key, &out), LIFT_OK);
    uint64_t n = out->exposures;
    lift_experiment_free(&out);
    return n;
}

START_TEST(test_split_and_sticky)
{
    const double w[] = {0.1, 0.45, 0.45};
    texp_t t;
    texp(&t, "split-test", 3, w, -1);
    create_and_start(&t);
    enum { N = 10000 };
    char **ids = make_ids("cust", N);
    lift_assignment_t *a = NULL;
    ck_assert_int_eq(
        lift_assign_batch(T.client, "split-test", (const char *const *)ids, N, &CTX, &a), LIFT_OK);
    double counts[3] = {0};
    assign_config_t cfg = {.weights = w,
                           .narms = 3,
                           .coverage = 1,
                           .seed = "split-test",
                           .seed_len = strlen("split-test")};
    for (int i = 0; i < N; i++) {
        ck_assert(a[i].in_experiment);
        ck_assert(a[i].first_exposure);
        ck_assert_int_ge(a[i].arm_index, 0);
        ck_assert_int_lt(a[i].arm_index, 3);
        assign_result_t r;
        /* The server and the in-process function agree: assignment is a pure function. */
        ck_assert_int_eq(assign_bucket(&cfg, ids[i], strlen(ids[i]), &r), a[i].arm_index);
        counts[a[i].arm_index]++;
    }
    double chi2 = 0;
    for (int k = 0; k < 3; k++) {
        double e = w[k] * N;
        chi2 += (counts[k] - e) * (counts[k] - e) / e;
    }
    ck_assert_msg(gsl_cdf_chisq_Q(chi2, 2) > 0.001, "split %g/%g/%g fails chi2 (%g)", counts[0],
                  counts[1], counts[2], chi2);
    ck_assert_uint_eq(exposures_of("split-test"), N);

    /* Repeats: same arms, nothing new recorded. */
    lift_assignment_t *b = NULL;
    ck_assert_int_eq(
        lift_assign_batch(T.client, "split-test", (const char *const *)ids, N, &CTX, &b), LIFT_OK);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(b[i].arm_index, a[i].arm_index);
        ck_assert(!b[i].first_exposure);
    }
    ck_assert_uint_eq(exposures_of("split-test"), N);
    lift_assignments_free(&a);
    lift_assignments_free(&b);
    free_ids(ids, N);
}
END_TEST

START_TEST(test_sticky_after_restart)
{
    const double w[] = {0.5, 0.5};
    texp_t t;
    texp(&t, "sticky", 2, w, -1);
    create_and_start(&t);
    lift_assignment_t first[20];
    char id[32];
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, "c%d", i);
        ck_assert_int_eq(lift_assign(T.client, "sticky", id, &CTX, &first[i]), LIFT_OK);
        ck_assert(first[i].first_exposure);
    }
    ck_assert_int_eq(tu_liftd_stop(&T), 0); /* SIGTERM: clean exit 0 */
    tu_liftd_start(&T, NULL);
    lift_context_t other = CTX;
    other.channel = LIFT__CHANNEL__CHANNEL_EMAIL;
    other.trigger = LIFT__TRIGGER__TRIGGER_TEAM_GROWTH;
    for (int i = 0; i < 20; i++) {
        lift_assignment_t again;
        snprintf(id, sizeof id, "c%d", i);
        ck_assert_int_eq(lift_assign(T.client, "sticky", id, &other, &again), LIFT_OK);
        ck_assert_int_eq(again.arm_index, first[i].arm_index);
        ck_assert(!again.first_exposure);
        lift_assignment_clear(&again);
        lift_assignment_clear(&first[i]);
    }
    /* The exposure keeps the first context: an independent look at the store. */
    tu_store_summary_t sum = tu_store_summary(tu_liftd_store(&T));
    ck_assert_int_eq(sum.exposures, 20);
    ck_assert_int_eq(sum.trigger_min, LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD);
    ck_assert_int_eq(sum.trigger_max, LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD);
    ck_assert_int_eq(sum.channel_min, LIFT__CHANNEL__CHANNEL_IN_APP);
    ck_assert_int_eq(sum.channel_max, LIFT__CHANNEL__CHANNEL_IN_APP);
}
END_TEST

START_TEST(test_ramp_keeps_arms)
{
    const double w[] = {0.2, 0.8};
    texp_t t;
    texp(&t, "ramp", 2, w, 0.2);
    create_and_start(&t);
    enum { N = 4000 };
    char **ids = make_ids("r", N);
    lift_assignment_t *a = NULL, *b = NULL;
    ck_assert_int_eq(lift_assign_batch(T.client, "ramp", (const char *const *)ids, N, &CTX, &a),
                     LIFT_OK);
    int in_a = 0, in_b = 0;
    for (int i = 0; i < N; i++) {
        in_a += a[i].in_experiment;
        if (!a[i].in_experiment) {
            ck_assert_int_eq(a[i].reason, LIFT__REASON__REASON_OUTSIDE_COVERAGE);
            ck_assert(a[i].eligible);
        }
    }
    Lift__Experiment *out = NULL;
    ck_assert_int_eq(lift_experiment_change(T.client, "ramp", LIFT__ACTION__ACTION_RAMP, 0.6, &out),
                     LIFT_OK);
    ck_assert_double_eq(out->coverage, 0.6);
    lift_experiment_free(&out);
    ck_assert_int_eq(lift_assign_batch(T.client, "ramp", (const char *const *)ids, N, &CTX, &b),
                     LIFT_OK);
    for (int i = 0; i < N; i++) {
        in_b += b[i].in_experiment;
        if (a[i].in_experiment) {
            ck_assert(b[i].in_experiment);
            ck_assert_int_eq(b[i].arm_index, a[i].arm_index);
        }
    }
    ck_assert_msg(in_a > 0.15 * N && in_a < 0.25 * N, "coverage 0.2 gave %d of %d", in_a, N);
    ck_assert_msg(in_b > 0.55 * N && in_b < 0.65 * N, "coverage 0.6 gave %d of %d", in_b, N);
    ck_assert_uint_eq(exposures_of("ramp"), (uint64_t)in_b);
    /* Ramping down would move customers: refused, nothing changes. */
    ck_assert_int_eq(lift_experiment_change(T.client, "ramp", LIFT__ACTION__ACTION_RAMP, 0.3, &out),
                     LIFT_ERR_FAILED_PRECONDITION);
    ck_assert_ptr_nonnull(strstr(lift_client_error(T.client), "only grows"));
    /* The same ramp again is a safe retry. */
    ck_assert_int_eq(lift_experiment_change(T.client, "ramp", LIFT__ACTION__ACTION_RAMP, 0.6, &out),
                     LIFT_OK);
    lift_experiment_free(&out);
    lift_assignments_free(&a);
    lift_assignments_free(&b);
    free_ids(ids, N);
}
END_TEST

static int assign_reason(const char *key, const char *id, const lift_context_t *ctx)
{
    lift_assignment_t a;
    ck_assert_int_eq(lift_assign(T.client, key, id, ctx, &a), LIFT_OK);
    int r = a.in_experiment ? -1 : a.reason;
    if (!a.in_experiment)
        ck_assert_int_eq(a.arm_index, -1);
    lift_assignment_clear(&a);
    return r;
}

START_TEST(test_eligibility)
{
    const double w[] = {0.5, 0.5};
    texp_t t;
    texp(&t, "elig", 2, w, -1);
    Lift__Eligibility el = LIFT__ELIGIBILITY__INIT;
    Lift__Channel chans[] = {LIFT__CHANNEL__CHANNEL_IN_APP, LIFT__CHANNEL__CHANNEL_EMAIL};
    el.channels = chans;
    el.n_channels = 2;
    t.x.eligibility = &el;
    Lift__Experiment *out = NULL;
    ck_assert_int_eq(lift_experiment_create(T.client, &t.x, &out), LIFT_OK);
    lift_experiment_free(&out);
    /* Draft: not running. */
    ck_assert_int_eq(assign_reason("elig", "x1", &CTX), LIFT__REASON__REASON_NOT_RUNNING);
    ck_assert_int_eq(lift_experiment_change(T.client, "elig", LIFT__ACTION__ACTION_START, 0, NULL),
                     LIFT_OK);
    lift_context_t c = CTX;
    c.stage = LIFT__STAGE__STAGE_AT_RISK;
    ck_assert_int_eq(assign_reason("elig", "x1", &c), LIFT__REASON__REASON_AT_RISK);
    c = CTX;
    c.open_support_ticket = true;
    ck_assert_int_eq(assign_reason("elig", "x1", &c), LIFT__REASON__REASON_SUPPRESSED_TICKET);
    c = CTX;
    c.billing_dispute = true;
    ck_assert_int_eq(assign_reason("elig", "x1", &c), LIFT__REASON__REASON_SUPPRESSED_DISPUTE);
    c = CTX;
    c.channel = LIFT__CHANNEL__CHANNEL_CSM;
    ck_assert_int_eq(assign_reason("elig", "x1", &c), LIFT__REASON__REASON_CHANNEL_NOT_ALLOWED);
    ck_assert_uint_eq(exposures_of("elig"), 0); /* nothing recorded for ineligible moments */
    ck_assert_int_eq(assign_reason("elig", "x1", &CTX), -1);
    ck_assert_uint_eq(exposures_of("elig"), 1);
    ck_assert_int_eq(lift_experiment_change(T.client, "elig", LIFT__ACTION__ACTION_PAUSE, 0, NULL),
                     LIFT_OK);
    ck_assert_int_eq(assign_reason("elig", "x2", &CTX), LIFT__REASON__REASON_NOT_RUNNING);
    ck_assert_int_eq(lift_experiment_change(T.client, "elig", LIFT__ACTION__ACTION_RESUME, 0, NULL),
                     LIFT_OK);
    ck_assert_int_eq(assign_reason("elig", "x2", &CTX), -1);
    ck_assert_int_eq(lift_experiment_change(T.client, "elig", LIFT__ACTION__ACTION_STOP, 0, NULL),
                     LIFT_OK);
    ck_assert_int_eq(assign_reason("elig", "x3", &CTX), LIFT__REASON__REASON_NOT_RUNNING);
    ck_assert_int_eq(lift_experiment_change(T.client, "elig", LIFT__ACTION__ACTION_RESUME, 0, NULL),
                     LIFT_ERR_FAILED_PRECONDITION);
    ck_assert_uint_eq(exposures_of("elig"), 2);
}
END_TEST

START_TEST(test_batch_keeps_valid_ids)
{
    const double w[] = {0.5, 0.5};
    texp_t t;
    texp(&t, "mixed", 2, w, -1);
    create_and_start(&t);
    const char *ids[] = {"ok-1", "", "bad\xff", "ok-2", "tab\tid"};
    lift_assignment_t *a = NULL;
    ck_assert_int_eq(lift_assign_batch(T.client, "mixed", ids, 5, &CTX, &a), LIFT_OK);
    ck_assert(a[0].in_experiment);
    ck_assert_int_eq(a[1].error_code, LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(a[2].error_code, LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(a[2].error, "UTF-8"));
    ck_assert(a[3].in_experiment);
    ck_assert_int_eq(a[4].error_code, LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(a[4].reason, LIFT__REASON__REASON_INVALID);
    lift_assignments_free(&a);
    ck_assert_uint_eq(exposures_of("mixed"), 2);

    /* A missing context is a named error. */
    lift_context_t none = {0};
    lift_assignment_t one;
    ck_assert_int_eq(lift_assign(T.client, "mixed", "ok-3", &none, &one),
                     LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(T.client), "assign.context.trigger");
    ck_assert_int_eq(lift_assign(T.client, "nope", "ok-3", &CTX, &one), LIFT_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_create_idempotent)
{
    const double w[] = {0.1, 0.9};
    texp_t t;
    texp(&t, "idem", 2, w, -1);
    Lift__Experiment *a = NULL, *b = NULL;
    ck_assert_int_eq(lift_experiment_create(T.client, &t.x, &a), LIFT_OK);
    ck_assert_int_eq(lift_experiment_create(T.client, &t.x, &b), LIFT_OK);
    ck_assert_str_eq(a->checksum, b->checksum);
    ck_assert_str_eq(b->seed, "idem"); /* default seed: the key */
    ck_assert_double_eq(b->coverage, 1.0);
    lift_experiment_free(&a);
    lift_experiment_free(&b);
    t.arms[0].weight = 0.2;
    t.arms[1].weight = 0.8;
    ck_assert_int_eq(lift_experiment_create(T.client, &t.x, &a), LIFT_ERR_ALREADY_EXISTS);
    /* Validation over the wire names the field. */
    texp(&t, "BAD KEY", 2, w, -1);
    ck_assert_int_eq(lift_experiment_create(T.client, &t.x, &a), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(T.client), "create_experiment.experiment.key");
    Lift__ExperimentList *list = NULL;
    ck_assert_int_eq(lift_experiment_list(T.client, 0, &list), LIFT_OK);
    ck_assert_uint_eq(list->n_experiments, 1);
    lift_experiment_list_free(&list);
    ck_assert_int_eq(lift_experiment_list(T.client, LIFT__EXPERIMENT_STATUS__STATUS_RUNNING, &list),
                     LIFT_OK);
    ck_assert_uint_eq(list->n_experiments, 0);
    lift_experiment_list_free(&list);
}
END_TEST

/* Send raw frames on a socket, return the decoded reply (NULL if none within 2 s). */
static Lift__Reply *raw_exchange(void *sock, const void *const *frames, const size_t *lens, int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_int_ge(zmq_send(sock, frames[i], lens[i], i < n - 1 ? ZMQ_SNDMORE : 0), 0);
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, 2000) <= 0)
        return NULL;
    zmq_msg_t m;
    zmq_msg_init(&m);
    ck_assert_int_ge(zmq_msg_recv(&m, sock, 0), 0);
    Lift__Reply *r = lift__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    return r;
}

START_TEST(test_malformed_traffic)
{
    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_connect(d, T.endpoint), 0);

    const char garbage[] = "\xff\xff\xff\xff not protobuf";
    const void *f1[] = {garbage};
    size_t l1[] = {sizeof garbage};
    Lift__Reply *r = raw_exchange(d, f1, l1, 1);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status->code, LIFT__CODE__INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(r->status->message, "undecodable"));
    lift__reply__free_unpacked(r, NULL);

    /* Two body frames. */
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Ping ping = LIFT__PING__INIT;
    req.body_case = LIFT__REQUEST__BODY_PING;
    req.ping = &ping;
    req.has_request_id = 1;
    req.request_id = 42;
    uint8_t buf[64];
    size_t len = lift__request__pack(&req, buf);
    const void *f2[] = {buf, buf};
    size_t l2[] = {len, len};
    r = raw_exchange(d, f2, l2, 2);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status->code, LIFT__CODE__INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(r->status->message, "exactly one"));
    lift__reply__free_unpacked(r, NULL);

    /* An empty message. */
    const void *f3[] = {""};
    size_t l3[] = {0};
    r = raw_exchange(d, f3, l3, 1);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status->code, LIFT__CODE__INVALID_ARGUMENT);
    lift__reply__free_unpacked(r, NULL);

    /* A request with no body. */
    Lift__Request empty = LIFT__REQUEST__INIT;
    empty.has_request_id = 1;
    empty.request_id = 7;
    len = lift__request__pack(&empty, buf);
    const void *f4[] = {buf};
    size_t l4[] = {len};
    r = raw_exchange(d, f4, l4, 1);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status->code, LIFT__CODE__INVALID_ARGUMENT);
    ck_assert_uint_eq(r->request_id, 7);
    lift__reply__free_unpacked(r, NULL);

    /* A REQ peer (empty delimiter) is served too. */
    void *q = zmq_socket(ctx, ZMQ_REQ);
    zmq_setsockopt(q, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_connect(q, T.endpoint), 0);
    len = lift__request__pack(&req, buf);
    l4[0] = len;
    r = raw_exchange(q, f4, l4, 1);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status->code, LIFT__CODE__OK);
    ck_assert_uint_eq(r->request_id, 42);
    ck_assert_int_eq(r->body_case, LIFT__REPLY__BODY_PONG);
    lift__reply__free_unpacked(r, NULL);

    /* Over the size limit: that peer is dropped, the server keeps serving others. */
    size_t big = 17u * 1024 * 1024;
    char *huge = calloc(1, big);
    const void *f5[] = {huge};
    size_t l5[] = {big};
    r = raw_exchange(d, f5, l5, 1);
    ck_assert_ptr_null(r);
    free(huge);
    ck_assert_int_eq(lift_ping(T.client, NULL, 0, NULL), LIFT_OK);

    zmq_close(d);
    zmq_close(q);
    zmq_ctx_term(ctx);
}
END_TEST

/* A NUL byte inside a string field would be cut off by the decoder: the request is refused
 * with the field named, and nothing is recorded. */
START_TEST(test_nul_in_string)
{
    const double w[] = {0.5, 0.5};
    texp_t t;
    texp(&t, "nul", 2, w, -1);
    create_and_start(&t);
    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_connect(d, T.endpoint), 0);

    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Assign a = LIFT__ASSIGN__INIT;
    Lift__Context c = LIFT__CONTEXT__INIT;
    c.has_trigger = c.has_stage = c.has_channel = 1;
    c.trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD;
    c.stage = LIFT__STAGE__STAGE_GROWTH;
    c.channel = LIFT__CHANNEL__CHANNEL_IN_APP;
    a.experiment_key = "nul";
    a.customer_id = "cust#tail";
    a.context = &c;
    req.has_request_id = 1;
    req.request_id = 99;
    req.body_case = LIFT__REQUEST__BODY_ASSIGN;
    req.assign = &a;
    uint8_t buf[256];
    size_t len = lift__request__pack(&req, buf);
    uint8_t *hash = memchr(buf, '#', len);
    ck_assert_ptr_nonnull(hash);
    *hash = 0; /* "cust\0tail" */
    const void *f[] = {buf};
    size_t l[] = {len};
    Lift__Reply *r = raw_exchange(d, f, l, 1);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status->code, LIFT__CODE__INVALID_ARGUMENT);
    ck_assert_str_eq(r->status->field, "assign.customer_id");
    ck_assert_uint_eq(r->request_id, 99);
    lift__reply__free_unpacked(r, NULL);
    ck_assert_uint_eq(exposures_of("nul"), 0);

    /* Nested: an event id inside a Track batch. */
    Lift__Request tr = LIFT__REQUEST__INIT;
    Lift__Track track = LIFT__TRACK__INIT;
    Lift__Event ev = LIFT__EVENT__INIT;
    Lift__Event *evs[] = {&ev};
    ev.event_id = "evt#1";
    ev.customer_id = "c1";
    ev.has_type = 1;
    ev.type = LIFT__EVENT_TYPE__EVENT_CHURN;
    track.n_events = 1;
    track.events = evs;
    tr.body_case = LIFT__REQUEST__BODY_TRACK;
    tr.track = &track;
    len = lift__request__pack(&tr, buf);
    hash = memchr(buf, '#', len);
    ck_assert_ptr_nonnull(hash);
    *hash = 0;
    l[0] = len;
    r = raw_exchange(d, f, l, 1);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status->code, LIFT__CODE__INVALID_ARGUMENT);
    ck_assert_str_eq(r->status->field, "track.events[0].event_id");
    lift__reply__free_unpacked(r, NULL);
    zmq_close(d);
    zmq_ctx_term(ctx);
}
END_TEST

/* ---- the wire contract (proto/README.md) ---------------------------------------------------- */

/* Friction 9: an impression or click names the customer's stored arm; one for a customer never
 * assigned, or for another arm, is refused by name, and only the right one is stored. */
START_TEST(test_impression_checked_against_exposure)
{
    const double w[] = {0.5, 0.5};
    texp_t t;
    texp(&t, "imp-check", 2, w, -1);
    create_and_start(&t);
    lift_assignment_t a;
    ck_assert_int_eq(lift_assign(T.client, "imp-check", "cust-1", &CTX, &a), LIFT_OK);
    ck_assert(a.in_experiment);
    int arm = a.arm_index, other = 1 - arm;
    lift_assignment_clear(&a);
    lift_event_t ev[4];
    memset(ev, 0, sizeof ev);
    const char *ids[] = {"i-right", "i-other", "i-ghost", "c-other"};
    const char *cust[] = {"cust-1", "cust-1", "ghost", "cust-1"};
    int arms[] = {arm, other, arm, other};
    for (int i = 0; i < 4; i++) {
        ev[i].event_id = ids[i];
        ev[i].customer_id = cust[i];
        ev[i].type = i == 3 ? LIFT__EVENT_TYPE__EVENT_CLICK : LIFT__EVENT_TYPE__EVENT_IMPRESSION;
        ev[i].timestamp_ms = 1790000000000LL;
        ev[i].experiment_key = "imp-check";
        ev[i].has_arm = true;
        ev[i].arm = arms[i];
    }
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(T.client, ev, 4, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, 1);
    ck_assert_uint_eq(r.n_rejected, 3);
    char want[64];
    snprintf(want, sizeof want, "stored exposure has arm %d", arm);
    ck_assert_str_eq(r.rejected[0].field, "track.events[1].arm");
    ck_assert_ptr_nonnull(strstr(r.rejected[0].reason, want));
    ck_assert_str_eq(r.rejected[1].field, "track.events[2].arm");
    ck_assert_ptr_nonnull(strstr(r.rejected[1].reason, "never assigned"));
    ck_assert_str_eq(r.rejected[2].field, "track.events[3].arm");
    ck_assert_ptr_nonnull(strstr(r.rejected[2].reason, want));
    lift_track_result_clear(&r);
    /* An unset arm is not the holdout: refused as missing. */
    memset(ev, 0, sizeof ev);
    ev[0].event_id = "i-noarm";
    ev[0].customer_id = "cust-1";
    ev[0].type = LIFT__EVENT_TYPE__EVENT_IMPRESSION;
    ev[0].timestamp_ms = 1790000000000LL;
    ev[0].experiment_key = "imp-check";
    ck_assert_int_eq(lift_track(T.client, ev, 1, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, 0);
    ck_assert_str_eq(r.rejected[0].field, "track.events[0].arm");
    ck_assert_ptr_nonnull(strstr(r.rejected[0].reason, "required"));
    lift_track_result_clear(&r);
    /* The default on the wire for readers: -1. */
    Lift__Event fresh = LIFT__EVENT__INIT;
    ck_assert_int_eq(fresh.arm, -1);
}
END_TEST

/* Friction 6: Pong announces the currency, the hash version and the limits. */
START_TEST(test_pong_limits)
{
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Ping ping = LIFT__PING__INIT;
    req.body_case = LIFT__REQUEST__BODY_PING;
    req.ping = &ping;
    Lift__Reply *rep = NULL;
    ck_assert_int_eq(lift_call(T.client, &req, &rep, NULL, 0), LIFT_OK);
    const Lift__Pong *p = rep->pong;
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->hash_version, "growthbook-v2");
    ck_assert_ptr_nonnull(p->currency);
    ck_assert_ptr_nonnull(p->limits);
    ck_assert(p->limits->has_in_flight_per_connection);
    ck_assert_uint_eq(p->limits->in_flight_per_connection, LIFT_MAX_IN_FLIGHT);
    ck_assert_uint_eq(p->limits->max_request_bytes, LIFT_MAX_REQUEST_BYTES);
    ck_assert_uint_eq(p->limits->batch_max, LIFT_BATCH_MAX);
    ck_assert_uint_eq(p->limits->reports_in_flight, 16);
    ck_assert_int_eq(p->limits->clock_skew_ms, 24LL * 3600 * 1000);
    ck_assert(rep->status->has_code); /* OK is on the wire, not left to the default */
    lift_reply_free(&rep);
}
END_TEST

/* Friction 3: a frame liftd cannot decode is answered with the request_id it could read. */
START_TEST(test_undecodable_echoes_request_id)
{
    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_connect(d, T.endpoint), 0);
    /* request_id 300 (08 ac 02), then a ping body whose length runs past the end. */
    const uint8_t bad[] = {0x08, 0xac, 0x02, 0x12, 0x05, 0x00};
    const void *f[] = {bad};
    size_t l[] = {sizeof bad};
    Lift__Reply *r = raw_exchange(d, f, l, 1);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status->code, LIFT__CODE__INVALID_ARGUMENT);
    ck_assert(r->has_request_id);
    ck_assert_uint_eq(r->request_id, 300);
    lift__reply__free_unpacked(r, NULL);
    zmq_close(d);
    zmq_ctx_term(ctx);
}
END_TEST

/* Friction 8: every field path starts at the request body's name. */
START_TEST(test_field_paths)
{
    const double w[] = {0.5, 0.5};
    texp_t t;
    texp(&t, "paths", 2, w, -1);
    create_and_start(&t);
    const char *ids[] = {"ok-1", "", "ok-2"};
    lift_assignment_t *a = NULL;
    ck_assert_int_eq(lift_assign_batch(T.client, "paths", ids, 3, &CTX, &a), LIFT_OK);
    ck_assert_int_eq(a[1].error_code, LIFT_ERR_INVALID_ARGUMENT);
    lift_assignments_free(&a);
    /* The per-item path, read from the raw reply. */
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__AssignBatch ab = LIFT__ASSIGN_BATCH__INIT;
    Lift__Context c = LIFT__CONTEXT__INIT;
    c.has_trigger = c.has_stage = c.has_channel = 1;
    c.trigger = CTX.trigger;
    c.stage = CTX.stage;
    c.channel = CTX.channel;
    ab.experiment_key = "paths";
    ab.customer_ids = (char **)ids;
    ab.n_customer_ids = 3;
    ab.context = &c;
    req.body_case = LIFT__REQUEST__BODY_ASSIGN_BATCH;
    req.assign_batch = &ab;
    Lift__Reply *rep = NULL;
    ck_assert_int_eq(lift_call(T.client, &req, &rep, NULL, 0), LIFT_OK);
    ck_assert_ptr_nonnull(rep->assign->assignments[1]->error);
    ck_assert_str_eq(rep->assign->assignments[1]->error->field, "assign_batch.customer_ids[1]");
    ck_assert_int_eq(rep->assign->assignments[0]->reason, LIFT__REASON__REASON_NONE);
    ck_assert(rep->assign->assignments[0]->has_reason);
    lift_reply_free(&rep);
    /* Top-level fields of each body. */
    Lift__Experiment *x = NULL;
    ck_assert_int_eq(lift_experiment_get(T.client, "nope", &x), LIFT_ERR_NOT_FOUND);
    ck_assert_str_eq(lift_client_error_field(T.client), "get_experiment.key");
    lift_assignment_t one;
    ck_assert_int_eq(lift_assign(T.client, "nope", "c", &CTX, &one), LIFT_ERR_NOT_FOUND);
    ck_assert_str_eq(lift_client_error_field(T.client), "assign.experiment_key");
    ck_assert_int_eq(lift_experiment_change(T.client, "paths", 99, 0, NULL),
                     LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(T.client), "change_experiment.action");
    lift_event_t ev = {.event_id = "n1",
                       .customer_id = "c",
                       .type = LIFT__EVENT_TYPE__EVENT_NPS,
                       .timestamp_ms = 1790000000000LL,
                       .has_nps = true,
                       .nps_score = 11};
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(T.client, &ev, 1, &r), LIFT_OK);
    ck_assert_str_eq(r.rejected[0].field, "track.events[0].nps_score");
    lift_track_result_clear(&r);
}
END_TEST

/* Friction 1: an unset or unknown enum is named with the valid values, wire and short names. */
START_TEST(test_enum_errors_list_valid_values)
{
    const double w[] = {0.5, 0.5};
    texp_t t;
    texp(&t, "enums", 2, w, -1);
    create_and_start(&t);
    lift_context_t ctx = CTX;
    ctx.trigger = 0; /* as a library that dropped a name it could not map */
    lift_assignment_t a;
    ck_assert_int_eq(lift_assign(T.client, "enums", "c", &ctx, &a), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(T.client), "assign.context.trigger");
    const char *m = lift_client_error(T.client);
    ck_assert_ptr_nonnull(strstr(m, "TRIGGER_USAGE_THRESHOLD = 1 (usage_threshold)"));
    ck_assert_ptr_nonnull(strstr(m, "TRIGGER_INTEGRATION = 5 (integration)"));
    ctx = CTX;
    ctx.channel = 42;
    ck_assert_int_eq(lift_assign(T.client, "enums", "c", &ctx, &a), LIFT_ERR_INVALID_ARGUMENT);
    m = lift_client_error(T.client);
    ck_assert_ptr_nonnull(strstr(m, "42 is not a valid value"));
    ck_assert_ptr_nonnull(strstr(m, "CHANNEL_PUSH_SMS = 5 (push_sms)"));
}
END_TEST

/* Friction 2: an explicit value means that value — a valid zero is taken, an invalid one is
 * refused saying what unset would give (never "is required"). */
START_TEST(test_explicit_zeros)
{
    const double w[] = {0.5, 0.5};
    texp_t t;
    texp(&t, "zeros", 2, w, 0.0);
    Lift__Experiment *out = NULL;
    ck_assert_int_eq(lift_experiment_create(T.client, &t.x, &out), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(T.client), "create_experiment.experiment.coverage");
    ck_assert_ptr_nonnull(strstr(lift_client_error(T.client), "leave it unset for 1"));
    ck_assert_ptr_null(strstr(lift_client_error(T.client), "required"));
    /* start_ms 0 and seed "" are values too: no bound, and the key. */
    texp(&t, "zeros", 2, w, -1);
    t.x.has_start_ms = 1;
    t.x.start_ms = 0;
    t.x.seed = "";
    create_and_start(&t);
    lift_assignment_t a;
    ck_assert_int_eq(lift_assign(T.client, "zeros", "cust-9", &CTX, &a), LIFT_OK);
    assign_config_t cfg = {.weights = w, .narms = 2, .coverage = 1, .seed = "zeros", .seed_len = 5};
    assign_result_t res;
    ck_assert_int_eq(a.arm_index, assign_bucket(&cfg, "cust-9", 6, &res));
    lift_assignment_clear(&a);
    /* Report: from_ms 0 reads from the start; alpha 0 and n_star 0 refused by value. */
    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
    q.experiment_key = "zeros";
    q.has_from_ms = 1;
    q.from_ms = 0;
    Lift__Report *rep = NULL;
    ck_assert_int_eq(lift_report(T.client, &q, &rep), LIFT_OK);
    ck_assert_int_gt(rep->provenance->from_ms, 946684800000LL);
    /* Units: every comparison estimate carries one. */
    ck_assert_int_ge(rep->n_comparisons, 1);
    const Lift__Comparison *c = rep->comparisons[0];
    ck_assert(c->revenue_diff->has_unit);
    ck_assert_int_eq(c->revenue_diff->unit, LIFT__UNIT__UNIT_MINOR);
    ck_assert_int_eq(c->relative_lift->unit, LIFT__UNIT__UNIT_FRACTION);
    ck_assert_int_eq(c->conversion_diff->unit, LIFT__UNIT__UNIT_FRACTION_DIFFERENCE);
    ck_assert_int_eq(rep->arms[0]->conversion_rate->unit, LIFT__UNIT__UNIT_FRACTION);
    lift_report_free(&rep);
    q.has_from_ms = 0;
    q.has_alpha = 1;
    q.alpha = 0;
    ck_assert_int_eq(lift_report(T.client, &q, &rep), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(T.client), "report.alpha");
    ck_assert_ptr_nonnull(strstr(lift_client_error(T.client), "leave it unset"));
    q.has_alpha = 0;
    q.has_n_star = 1;
    q.n_star = 0;
    ck_assert_int_eq(lift_report(T.client, &q, &rep), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(T.client), "report.n_star");
    ck_assert_ptr_nonnull(strstr(lift_client_error(T.client), "leave it unset for 5000"));
}
END_TEST

Suite *server_suite(void);
Suite *server_suite(void)
{
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_split_and_sticky);
    tcase_add_test(tc, test_sticky_after_restart);
    tcase_add_test(tc, test_ramp_keeps_arms);
    tcase_add_test(tc, test_eligibility);
    tcase_add_test(tc, test_create_idempotent);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("errors");
    tcase_add_checked_fixture(te, setup, teardown);
    tcase_set_timeout(te, 120);
    tcase_add_test(te, test_batch_keeps_valid_ids);
    tcase_add_test(te, test_malformed_traffic);
    tcase_add_test(te, test_nul_in_string);
    tcase_add_test(te, test_impression_checked_against_exposure);
    tcase_add_test(te, test_pong_limits);
    tcase_add_test(te, test_undecodable_echoes_request_id);
    tcase_add_test(te, test_field_paths);
    tcase_add_test(te, test_enum_errors_list_valid_values);
    tcase_add_test(te, test_explicit_zeros);
    suite_add_tcase(s, te);
    return s;
}
