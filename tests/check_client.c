/* Check suite for the client library: name tables, the Lazy Pirate loop against a fake ROUTER
 * in a thread (dropped request, stale and garbage replies, timeout, server errors, typed
 * results), endpoint lists, and failover between real liftd processes (tcase "failover").
 * The server's own rules are tested elsewhere. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "lift/client.h"
#include "pgharness.h"
#include "testutil.h"

Suite *client_suite(void);

/* ---- fake server --------------------------------------------------------------------------- */

typedef enum {
    FAKE_DROP_FIRST,    /* ignore the first request, answer the others with a Pong "good" */
    FAKE_STALE_FIRST,   /* answer with a wrong request_id ("stale"), then the right one */
    FAKE_GARBAGE_FIRST, /* answer with undecodable bytes, then the right reply */
    FAKE_SILENT,        /* never answer */
    FAKE_CANNED         /* answer with fake->answer() */
} fake_mode_t;

#define FAKE_MAX 8

typedef struct fake fake_t;
struct fake {
    char dir[64];             /* temp dir holding the ipc socket */
    char endpoint[128];       /* ipc://dir/sock */
    void *ctx;                /* the fake's own ZeroMQ context */
    void *router;             /* bound ROUTER, used only by the thread once started */
    pthread_t thread;         /* the server loop */
    fake_mode_t mode;         /* behaviour */
    int expect;               /* requests to take before the thread ends */
    int seen;                 /* requests taken (read after join) */
    uint64_t ids[FAKE_MAX];   /* their request_ids */
    uint8_t *bytes[FAKE_MAX]; /* their raw bytes */
    size_t sizes[FAKE_MAX];   /* their sizes */
    int checks_failed;        /* the answer callback's own assertions that failed */
    int first_two_identical;  /* requests 0 and 1 had the same bytes (set by fake_stop) */
    void (*answer)(fake_t *f, const Lift__Request *req, Lift__Reply *reply); /* CANNED */
    union { /* storage for a canned reply until it is packed */
        struct {
            Lift__Assignment as[3];    /* assignments */
            Lift__Assignment *ptrs[3]; /* pointers to them */
            Lift__AssignReply ar;      /* the body */
            Lift__Status bad;          /* error of an invalid id */
        } assign;                      /* answer_assign_batch */
        struct {
            Lift__TrackReply tr;  /* the body */
            Lift__Rejected rej;   /* one rejected event */
            Lift__Rejected *rejp; /* pointer to it */
        } track;                  /* answer_track */
        struct {
            Lift__Experiment e; /* the body */
            Lift__Arm arms[2];  /* its arms */
            Lift__Arm *armp[2]; /* pointers to them */
        } exp;                  /* answer_experiment */
    } scratch;
};

static void send_reply(void *router, zmq_msg_t *identity, const Lift__Reply *reply)
{
    size_t len = lift__reply__get_packed_size(reply);
    uint8_t *buf = malloc(len + 1);
    lift__reply__pack(reply, buf);
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    zmq_msg_copy(&id, identity);
    zmq_msg_init_size(&body, len);
    memcpy(zmq_msg_data(&body), buf, len);
    zmq_msg_send(&id, router, ZMQ_SNDMORE);
    zmq_msg_send(&body, router, 0);
    free(buf);
}

static void send_raw(void *router, zmq_msg_t *identity, const char *bytes)
{
    zmq_msg_t id;
    zmq_msg_init(&id);
    zmq_msg_copy(&id, identity);
    zmq_msg_send(&id, router, ZMQ_SNDMORE);
    zmq_send(router, bytes, strlen(bytes), 0);
}

static void pong_reply(void *router, zmq_msg_t *identity, uint64_t id, const char *version)
{
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__Status st = LIFT__STATUS__INIT;
    st.has_code = 1; /* liftd always sends the code */
    st.code = LIFT__CODE__OK;
    Lift__Pong pong = LIFT__PONG__INIT;
    pong.version = (char *)version;
    reply.has_request_id = 1;
    reply.request_id = id;
    reply.status = &st;
    reply.body_case = LIFT__REPLY__BODY_PONG;
    reply.pong = &pong;
    send_reply(router, identity, &reply);
}

static void *fake_loop(void *arg)
{
    fake_t *f = arg;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (f->seen < f->expect) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 8)
            break;
        zmq_pollitem_t item = {f->router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) <= 0)
            continue;
        zmq_msg_t identity, body;
        zmq_msg_init(&identity);
        zmq_msg_init(&body);
        zmq_msg_recv(&identity, f->router, 0);
        zmq_msg_recv(&body, f->router, 0);
        Lift__Request *req = lift__request__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
        int n = f->seen++;
        if (n < FAKE_MAX) {
            f->sizes[n] = zmq_msg_size(&body);
            f->bytes[n] = malloc(f->sizes[n] + 1);
            memcpy(f->bytes[n], zmq_msg_data(&body), f->sizes[n]);
            f->ids[n] = req ? req->request_id : 0;
        }
        if (req == NULL)
            f->checks_failed++;
        else if (f->mode == FAKE_DROP_FIRST && n > 0)
            pong_reply(f->router, &identity, req->request_id, "good");
        else if (f->mode == FAKE_STALE_FIRST) {
            pong_reply(f->router, &identity, req->request_id + 1, "stale");
            pong_reply(f->router, &identity, req->request_id, "good");
        } else if (f->mode == FAKE_GARBAGE_FIRST) {
            send_raw(f->router, &identity, "\xff\xff\xff not protobuf");
            pong_reply(f->router, &identity, req->request_id, "good");
        } else if (f->mode == FAKE_CANNED) {
            Lift__Reply reply = LIFT__REPLY__INIT;
            Lift__Status st = LIFT__STATUS__INIT;
            st.has_code = 1; /* liftd always sends the code */
            st.code = LIFT__CODE__OK;
            reply.status = &st;
            f->answer(f, req, &reply);
            reply.has_request_id = 1;
            reply.request_id = req->request_id;
            send_reply(f->router, &identity, &reply);
        }
        if (req)
            lift__request__free_unpacked(req, NULL);
        zmq_msg_close(&identity);
        zmq_msg_close(&body);
    }
    return NULL;
}

static void fake_start(fake_t *f, fake_mode_t mode, int expect)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/lift-client-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    snprintf(f->endpoint, sizeof f->endpoint, "ipc://%s/sock", f->dir);
    f->mode = mode;
    f->expect = expect;
    f->ctx = zmq_ctx_new();
    f->router = zmq_socket(f->ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(f->router, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_bind(f->router, f->endpoint), 0);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_loop, f), 0);
}

static void fake_stop(fake_t *f)
{
    pthread_join(f->thread, NULL);
    zmq_close(f->router);
    zmq_ctx_term(f->ctx);
    f->first_two_identical = f->seen >= 2 && f->sizes[0] == f->sizes[1] &&
                             memcmp(f->bytes[0], f->bytes[1], f->sizes[0]) == 0;
    for (int i = 0; i < FAKE_MAX; i++)
        free(f->bytes[i]);
    char path[128];
    snprintf(path, sizeof path, "%s/sock", f->dir);
    unlink(path);
    rmdir(f->dir);
}

static lift_client_t *client_for(const fake_t *f, int timeout_ms, int attempts)
{
    lift_client_opts_t o = {.timeout_ms = timeout_ms, .attempts = attempts};
    lift_client_t *c = lift_client_new(f->endpoint, &o);
    ck_assert_ptr_nonnull(c);
    return c;
}

static double elapsed_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* ---- name tables --------------------------------------------------------------------------- */

typedef struct {
    const char *(*name)(int);          /* lift_E_name */
    int (*parse)(const char *, int *); /* lift_E_parse */
    const char *(*names)(void);        /* lift_E_names */
    int first, last;                   /* named values */
    const char *sample;                /* a name and its value */
    int sample_value;                  /* value of sample */
} table_t;

static const table_t tables[] = {
    {lift_trigger_name, lift_trigger_parse, lift_trigger_names, 1, 5, "usage_threshold",
     LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD},
    {lift_stage_name, lift_stage_parse, lift_stage_names, 1, 5, "at_risk",
     LIFT__STAGE__STAGE_AT_RISK},
    {lift_channel_name, lift_channel_parse, lift_channel_names, 1, 5, "push_sms",
     LIFT__CHANNEL__CHANNEL_PUSH_SMS},
    {lift_status_name, lift_status_parse, lift_status_names, 1, 4, "paused",
     LIFT__EXPERIMENT_STATUS__STATUS_PAUSED},
    {lift_metric_name, lift_metric_parse, lift_metric_names, 1, 3, "revenue",
     LIFT__METRIC__METRIC_REVENUE},
    {lift_action_name, lift_action_parse, lift_action_names, 1, 5, "ramp",
     LIFT__ACTION__ACTION_RAMP},
    {lift_reason_name, lift_reason_parse, lift_reason_names, 0, 13, "program_holdout",
     LIFT__REASON__REASON_PROGRAM_HOLDOUT},
    {lift_event_type_name, lift_event_type_parse, lift_event_type_names, 1, 6, "nps",
     LIFT__EVENT_TYPE__EVENT_NPS},
};

START_TEST(test_names_round_trip)
{
    const table_t *t = &tables[_i];
    for (int v = t->first; v <= t->last; v++) {
        const char *name = t->name(v);
        int back = -1;
        ck_assert_int_eq(t->parse(name, &back), 0);
        ck_assert_int_eq(back, v);
        ck_assert_ptr_nonnull(strstr(t->names(), name));
    }
    int v = -7;
    ck_assert_int_eq(t->parse(t->sample, &v), 0);
    ck_assert_int_eq(v, t->sample_value);
    ck_assert_str_eq(t->name(t->last + 1), "unknown");
    ck_assert_str_eq(t->name(-1), "unknown");
}
END_TEST

START_TEST(test_names_reject_unknown)
{
    const table_t *t = &tables[_i];
    int v = 42;
    ck_assert_int_eq(t->parse("bogus", &v), -1);
    ck_assert_int_eq(t->parse("", &v), -1);
    ck_assert_int_eq(t->parse(NULL, &v), -1);
    ck_assert_int_eq(t->parse("unknown", &v), -1);
    if (t->first == 1) {
        ck_assert_str_eq(t->name(0), "unspecified");
        ck_assert_int_eq(t->parse("unspecified", &v), -1);
    }
    char upper[64];
    snprintf(upper, sizeof upper, "%s", t->sample);
    for (char *p = upper; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    ck_assert_int_eq(t->parse(upper, &v), -1); /* names are exact, lower-case */
    ck_assert_int_eq(v, 42);                   /* untouched on failure */
}
END_TEST

/* The body names are the proto's field names, the roots of field paths (proto/README.md). */
START_TEST(test_request_body_names)
{
    ck_assert_str_eq(lift_request_body_name(LIFT__REQUEST__BODY_PING), "ping");
    ck_assert_str_eq(lift_request_body_name(LIFT__REQUEST__BODY_CREATE_EXPERIMENT),
                     "create_experiment");
    ck_assert_str_eq(lift_request_body_name(LIFT__REQUEST__BODY_ASSIGN_BATCH), "assign_batch");
    ck_assert_str_eq(lift_request_body_name(LIFT__REQUEST__BODY_TRACK), "track");
    ck_assert_str_eq(lift_request_body_name(LIFT__REQUEST__BODY_REPORT), "report");
    ck_assert_str_eq(lift_request_body_name(LIFT__REQUEST__BODY_RECORD_EXPOSURES),
                     "record_exposures");
    ck_assert_str_eq(lift_request_body_name(LIFT__REQUEST__BODY_IS_HELD_OUT), "is_held_out");
    ck_assert_ptr_null(lift_request_body_name(LIFT__REQUEST__BODY__NOT_SET));
    ck_assert_ptr_null(lift_request_body_name(1)); /* request_id: a field, not a body */
    ck_assert_ptr_null(lift_request_body_name(-3));
    ck_assert_ptr_null(lift_request_body_name(99999));
}
END_TEST

START_TEST(test_err_names)
{
    ck_assert_str_eq(lift_err_name(LIFT_OK), "OK");
    ck_assert_str_eq(lift_err_name(LIFT__CODE__INVALID_ARGUMENT), "INVALID_ARGUMENT");
    ck_assert_str_eq(lift_err_name(LIFT__CODE__UNAVAILABLE), "UNAVAILABLE");
    ck_assert_str_eq(lift_err_name(LIFT_ERR_PROTOCOL), "PROTOCOL");
    ck_assert_str_eq(lift_err_name(55), "UNKNOWN");
    ck_assert_str_eq(lift_strerror(LIFT_ERR_RESOURCE_EXHAUSTED), "server queue full: retry later");
    ck_assert_str_eq(lift_strerror(-3), "unknown error");
}
END_TEST

/* ---- Lazy Pirate --------------------------------------------------------------------------- */

START_TEST(test_retry_after_dropped_request)
{
    fake_t f;
    fake_start(&f, FAKE_DROP_FIRST, 2);
    lift_client_t *c = client_for(&f, 300, 3);
    char version[32];
    ck_assert_int_eq(lift_ping(c, version, sizeof version, NULL), LIFT_OK);
    ck_assert_str_eq(version, "good");
    ck_assert_str_eq(lift_client_error(c), "");
    lift_client_destroy(&c);
    ck_assert_ptr_null(c);
    fake_stop(&f);
    ck_assert_int_eq(f.seen, 2);
    ck_assert_int_eq(f.checks_failed, 0);
    ck_assert(f.ids[0] == f.ids[1]);  /* the resend is the same request... */
    ck_assert(f.first_two_identical); /* ...byte for byte */
}
END_TEST

START_TEST(test_stale_reply_ignored)
{
    fake_t f;
    fake_start(&f, FAKE_STALE_FIRST, 1);
    lift_client_t *c = client_for(&f, 2000, 3);
    char version[32];
    ck_assert_int_eq(lift_ping(c, version, sizeof version, NULL), LIFT_OK);
    ck_assert_str_eq(version, "good");
    lift_client_destroy(&c);
    fake_stop(&f);
    ck_assert_int_eq(f.seen, 1); /* no resend: the right reply came within the attempt */
}
END_TEST

START_TEST(test_garbage_reply_ignored)
{
    fake_t f;
    fake_start(&f, FAKE_GARBAGE_FIRST, 1);
    lift_client_t *c = client_for(&f, 2000, 1);
    char version[32];
    ck_assert_int_eq(lift_ping(c, version, sizeof version, NULL), LIFT_OK);
    ck_assert_str_eq(version, "good");
    lift_client_destroy(&c);
    fake_stop(&f);
}
END_TEST

START_TEST(test_request_ids_fresh)
{
    fake_t f;
    fake_start(&f, FAKE_STALE_FIRST, 2);
    lift_client_t *c = client_for(&f, 2000, 1);
    ck_assert_int_eq(lift_ping(c, NULL, 0, NULL), LIFT_OK);
    ck_assert_int_eq(lift_ping(c, NULL, 0, NULL), LIFT_OK);
    lift_client_destroy(&c);
    fake_stop(&f);
    ck_assert_int_eq(f.seen, 2);
    ck_assert(f.ids[0] != f.ids[1]);
}
END_TEST

/* ---- typed calls --------------------------------------------------------------------------- */

static void answer_assign_batch(fake_t *f, const Lift__Request *req, Lift__Reply *reply)
{
    Lift__Assignment *as = f->scratch.assign.as;
    Lift__Assignment **ptrs = f->scratch.assign.ptrs;
    Lift__AssignReply *ar = &f->scratch.assign.ar;
    Lift__Status *bad = &f->scratch.assign.bad;
    const Lift__AssignBatch *ab = req->assign_batch;
    if (req->body_case != LIFT__REQUEST__BODY_ASSIGN_BATCH || ab->n_customer_ids != 3 ||
        strcmp(ab->experiment_key, "exp") != 0 || ab->context == NULL ||
        ab->context->trigger != LIFT__TRIGGER__TRIGGER_TEAM_GROWTH ||
        ab->context->stage != LIFT__STAGE__STAGE_GROWTH || !ab->context->has_channel ||
        !ab->context->billing_dispute || ab->context->has_open_support_ticket) {
        f->checks_failed++;
        return;
    }
    lift__assign_reply__init(ar);
    lift__status__init(bad);
    bad->has_code = 1;
    bad->code = LIFT__CODE__INVALID_ARGUMENT;
    bad->message = "customer_id: control character at byte 1";
    for (size_t i = 0; i < 3; i++) {
        lift__assignment__init(&as[i]);
        as[i].customer_id = ab->customer_ids[i];
        as[i].has_in_experiment = as[i].has_eligible = as[i].has_arm_index = as[i].has_reason = 1;
        ptrs[i] = &as[i];
    }
    as[0].in_experiment = as[0].eligible = 1;
    as[0].reason = LIFT__REASON__REASON_NONE;
    as[0].arm_index = 1;
    as[0].arm_name = "offer-immediate";
    as[0].arm_payload = "offer:pro-annual-20";
    as[0].has_first_exposure = as[0].first_exposure = 1;
    as[1].arm_index = -1;
    as[1].reason = (Lift__Reason)57; /* a reason a newer liftd added, sent as eligible */
    as[1].eligible = 1;
    as[2].arm_index = -1;
    as[2].reason = LIFT__REASON__REASON_INVALID;
    as[2].error = bad;
    ar->n_assignments = 3;
    ar->assignments = ptrs;
    reply->body_case = LIFT__REPLY__BODY_ASSIGN;
    reply->assign = ar;
}

START_TEST(test_assign_batch_typed)
{
    fake_t f;
    fake_start(&f, FAKE_CANNED, 1);
    f.answer = answer_assign_batch;
    lift_client_t *c = client_for(&f, 2000, 1);
    const char *ids[] = {"c-1", "c-2", "c\x01"};
    lift_context_t ctx = {LIFT__TRIGGER__TRIGGER_TEAM_GROWTH,
                          LIFT__STAGE__STAGE_GROWTH,
                          LIFT__CHANNEL__CHANNEL_EMAIL,
                          0,
                          false,
                          true};
    lift_assignment_t *out = NULL;
    ck_assert_int_eq(lift_assign_batch(c, "exp", ids, 3, &ctx, &out), LIFT_OK);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out[0].customer_id, "c-1");
    ck_assert(out[0].in_experiment && out[0].eligible && out[0].first_exposure);
    ck_assert_int_eq(out[0].arm_index, 1);
    ck_assert_str_eq(out[0].arm_name, "offer-immediate");
    ck_assert_str_eq(out[0].arm_payload, "offer:pro-annual-20");
    ck_assert(!out[1].in_experiment && !out[1].eligible);
    ck_assert_int_eq(out[1].arm_index, -1);
    ck_assert_ptr_null(out[1].arm_name);
    ck_assert_int_eq(out[1].reason, 57); /* kept as its number: not eligible, never "none" */
    ck_assert_str_eq(lift_reason_name(out[1].reason), "unknown");
    ck_assert_int_eq(out[2].error_code, LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(out[2].error, "customer_id: control character at byte 1");
    lift_assignments_free(&out);
    lift_client_destroy(&c);
    fake_stop(&f);
    ck_assert_int_eq(f.checks_failed, 0);
}
END_TEST

static void answer_track(fake_t *f, const Lift__Request *req, Lift__Reply *reply)
{
    Lift__TrackReply *tr = &f->scratch.track.tr;
    Lift__Rejected *rej = &f->scratch.track.rej;
    f->scratch.track.rejp = rej;
    const Lift__Track *t = req->track;
    if (f->seen == 1) { /* first attempt: busy */
        reply->status->code = LIFT__CODE__RESOURCE_EXHAUSTED;
        return;
    }
    if (req->body_case != LIFT__REQUEST__BODY_TRACK || t->n_events != 2 ||
        strcmp(t->events[0]->event_id, "inv-1") != 0 || !t->events[0]->has_amount_minor ||
        t->events[0]->amount_minor != 4900 || t->events[0]->has_arm ||
        t->events[0]->has_nps_score || !t->events[1]->has_nps_score ||
        t->events[1]->nps_score != 11 || t->events[1]->has_amount_minor) {
        f->checks_failed++;
        return;
    }
    lift__track_reply__init(tr);
    lift__rejected__init(rej);
    tr->has_accepted = 1;
    tr->accepted = 1;
    rej->has_index = 1;
    rej->index = 1;
    rej->event_id = "nps-7";
    rej->field = "events[1].nps_score";
    rej->reason = "11 is above 10";
    tr->n_rejected = 1;
    tr->rejected = &f->scratch.track.rejp;
    reply->body_case = LIFT__REPLY__BODY_TRACK;
    reply->track = tr;
}

START_TEST(test_track_typed_and_retries_busy)
{
    fake_t f;
    fake_start(&f, FAKE_CANNED, 2);
    f.answer = answer_track;
    lift_client_t *c = client_for(&f, 2000, 3);
    lift_event_t ev[2] = {
        {.event_id = "inv-1",
         .customer_id = "c-1",
         .type = LIFT__EVENT_TYPE__EVENT_CONVERSION,
         .timestamp_ms = 1767225600000,
         .has_amount = true,
         .amount_minor = 4900,
         .currency = "USD",
         .plan_from = "basic",
         .plan_to = "pro"},
        {.event_id = "nps-7",
         .customer_id = "c-1",
         .type = LIFT__EVENT_TYPE__EVENT_NPS,
         .timestamp_ms = 1767225600000,
         .has_nps = true,
         .nps_score = 11},
    };
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(c, ev, 2, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, 1);
    ck_assert_uint_eq(r.duplicates, 0);
    ck_assert_uint_eq(r.n_rejected, 1);
    ck_assert_uint_eq(r.rejected[0].index, 1);
    ck_assert_str_eq(r.rejected[0].event_id, "nps-7");
    ck_assert_str_eq(r.rejected[0].field, "events[1].nps_score");
    ck_assert_str_eq(r.rejected[0].reason, "11 is above 10");
    lift_track_result_clear(&r);
    ck_assert_ptr_null(r.rejected);
    lift_client_destroy(&c);
    fake_stop(&f);
    ck_assert_int_eq(f.seen, 2);
    ck_assert_int_eq(f.checks_failed, 0);
}
END_TEST

static void answer_experiment(fake_t *f, const Lift__Request *req, Lift__Reply *reply)
{
    Lift__Experiment *e = &f->scratch.exp.e;
    Lift__Arm *arms = f->scratch.exp.arms;
    Lift__Arm **armp = f->scratch.exp.armp;
    if (req->body_case != LIFT__REQUEST__BODY_GET_EXPERIMENT ||
        strcmp(req->get_experiment->key, "k") != 0) {
        f->checks_failed++;
        return;
    }
    lift__experiment__init(e);
    lift__arm__init(&arms[0]);
    lift__arm__init(&arms[1]);
    armp[0] = &arms[0];
    armp[1] = &arms[1];
    arms[0].name = "holdout";
    arms[1].name = "offer";
    e->key = "k";
    e->n_arms = 2;
    e->arms = armp;
    e->has_status = 1;
    e->status = LIFT__EXPERIMENT_STATUS__STATUS_RUNNING;
    reply->body_case = LIFT__REPLY__BODY_EXPERIMENT;
    reply->experiment = e;
}

START_TEST(test_experiment_get_detached)
{
    fake_t f;
    fake_start(&f, FAKE_CANNED, 1);
    f.answer = answer_experiment;
    lift_client_t *c = client_for(&f, 2000, 1);
    Lift__Experiment *e = NULL;
    ck_assert_int_eq(lift_experiment_get(c, "k", &e), LIFT_OK);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->key, "k");
    ck_assert_uint_eq(e->n_arms, 2);
    ck_assert_str_eq(e->arms[1]->name, "offer");
    ck_assert_int_eq(e->status, LIFT__EXPERIMENT_STATUS__STATUS_RUNNING);
    lift_experiment_free(&e); /* a leak or double free here shows under ASan/valgrind */
    ck_assert_ptr_null(e);
    lift_client_destroy(&c);
    fake_stop(&f);
    ck_assert_int_eq(f.checks_failed, 0);
}
END_TEST

/* ---- errors -------------------------------------------------------------------------------- */

START_TEST(test_timeout_message)
{
    fake_t f;
    fake_start(&f, FAKE_SILENT, 2);
    lift_client_t *c = client_for(&f, 150, 2);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Ping ping = LIFT__PING__INIT;
    req.body_case = LIFT__REQUEST__BODY_PING;
    req.ping = &ping;
    Lift__Reply *reply = (Lift__Reply *)&req; /* must be reset to NULL */
    char err[256];
    ck_assert_int_eq(lift_call(c, &req, &reply, err, sizeof err), LIFT_ERR_UNAVAILABLE);
    double ms = elapsed_ms(&t0);
    ck_assert_ptr_null(reply);
    char want[256];
    snprintf(want, sizeof want, "no reply from %s after 2 attempts of 150 ms", f.endpoint);
    ck_assert_str_eq(err, want);
    ck_assert_str_eq(lift_client_error(c), want);
    ck_assert_msg(ms >= 290 && ms < 2000, "took %.0f ms", ms);
    ck_assert(!req.has_request_id); /* the caller's request is not modified */
    lift_client_destroy(&c);
    fake_stop(&f);
    ck_assert_int_eq(f.seen, 2); /* the second attempt reached the server on a fresh socket */
}
END_TEST

START_TEST(test_no_server)
{
    char dir[] = "/tmp/lift-client-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char ep[128];
    snprintf(ep, sizeof ep, "ipc://%s/nobody", dir);
    lift_client_opts_t o = {.timeout_ms = 100, .attempts = 3};
    lift_client_t *c = lift_client_new(ep, &o);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(lift_ping(c, NULL, 0, NULL), LIFT_ERR_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(lift_client_error(c), "after 3 attempts of 100 ms"));
    lift_client_destroy(&c);
    rmdir(dir);
}
END_TEST

/* A newer liftd's status code (42) and one without a code: errors, never OK. */
static void answer_unknown_code(fake_t *f, const Lift__Request *req, Lift__Reply *reply)
{
    (void)req;
    if (f->seen == 1) {
        reply->status->code = (Lift__Code)42;
    } else {
        reply->status->has_code = 0;
    }
    reply->body_case = LIFT__REPLY__BODY_PONG;
    static Lift__Pong pong = LIFT__PONG__INIT;
    pong.version = "9.9.9";
    reply->pong = &pong;
}

START_TEST(test_unknown_status_code_is_an_error)
{
    fake_t f;
    fake_start(&f, FAKE_CANNED, 2);
    f.answer = answer_unknown_code;
    lift_client_t *c = client_for(&f, 2000, 1);
    char version[32];
    ck_assert_int_eq(lift_ping(c, version, sizeof version, NULL), LIFT_ERR_PROTOCOL);
    ck_assert_ptr_nonnull(strstr(lift_client_error(c), "unknown status code 42"));
    ck_assert_int_eq(lift_ping(c, version, sizeof version, NULL), LIFT_ERR_PROTOCOL);
    ck_assert_ptr_nonnull(strstr(lift_client_error(c), "without a status code"));
    lift_client_destroy(&c);
    fake_stop(&f);
}
END_TEST

static void answer_invalid(fake_t *f, const Lift__Request *req, Lift__Reply *reply)
{
    (void)f;
    (void)req;
    reply->status->code = LIFT__CODE__INVALID_ARGUMENT;
    reply->status->message = "weight 1.5 is above 1";
    reply->status->field = "experiment.arms[1].weight";
}

START_TEST(test_server_error)
{
    fake_t f;
    fake_start(&f, FAKE_CANNED, 2);
    f.answer = answer_invalid;
    lift_client_t *c = client_for(&f, 2000, 3);
    Lift__Experiment def = LIFT__EXPERIMENT__INIT;
    def.key = "k";
    Lift__Experiment *out = (Lift__Experiment *)&def;
    ck_assert_int_eq(lift_experiment_create(c, &def, &out), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(lift_client_error(c), "experiment.arms[1].weight: weight 1.5 is above 1");
    ck_assert_str_eq(lift_client_error_field(c), "experiment.arms[1].weight");
    /* lift_call hands out the reply of a failed request too. */
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Ping ping = LIFT__PING__INIT;
    req.body_case = LIFT__REQUEST__BODY_PING;
    req.ping = &ping;
    Lift__Reply *reply = NULL;
    char err[8]; /* truncated, never overflowed */
    ck_assert_int_eq(lift_call(c, &req, &reply, err, sizeof err), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(err, "experim");
    ck_assert_ptr_nonnull(reply);
    ck_assert_int_eq(reply->status->code, LIFT__CODE__INVALID_ARGUMENT);
    lift_reply_free(&reply);
    ck_assert_ptr_null(reply);
    lift_client_destroy(&c);
    fake_stop(&f);
    ck_assert_int_eq(f.seen, 2); /* an error reply is an answer: no resend */
}
END_TEST

/* ---- limits -------------------------------------------------------------------------------- */

START_TEST(test_batch_bounds)
{
    lift_client_opts_t o = {.timeout_ms = 50, .attempts = 1};
    lift_client_t *c = lift_client_new("ipc:///nonexistent/lift-test", &o);
    ck_assert_ptr_nonnull(c);
    const char *ids[] = {"a"};
    lift_assignment_t *out = (lift_assignment_t *)ids;
    ck_assert_int_eq(lift_assign_batch(c, "k", ids, 0, NULL, &out), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(lift_assign_batch(c, "k", ids, LIFT_BATCH_MAX + 1, NULL, &out),
                     LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(lift_client_error(c), "10001"));
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(c, NULL, 0, &r), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_uint_eq(r.n_rejected, 0);
    lift_track_result_clear(&r);
    lift_client_destroy(&c);
    lift_client_destroy(&c); /* NULL is fine */
    lift_client_destroy(NULL);
}
END_TEST

START_TEST(test_bad_endpoint)
{
    ck_assert_ptr_null(lift_client_new("not-an-endpoint", NULL));
    ck_assert_ptr_null(lift_client_new("", NULL));
    ck_assert_ptr_null(lift_client_new(NULL, NULL));
}
END_TEST

/* ---- endpoint lists and failover ----------------------------------------------------------- */

/* lift_endpoints_check(list) fails and its message contains want. */
static void refused(const char *list, const char *want)
{
    char err[512] = "untouched";
    ck_assert_int_eq(lift_endpoints_check(list, err, sizeof err), -1);
    ck_assert_msg(strstr(err, want) != NULL, "'%s': message '%s' lacks '%s'", list, err, want);
    errno = 0;
    ck_assert_ptr_null(lift_client_new(list, NULL));
    ck_assert_int_eq(errno, EINVAL);
}

START_TEST(test_endpoint_list_refused)
{
    refused("tcp://127.0.0.1:5555,,ipc:///tmp/x", "endpoint 2 of 3 is empty");
    refused("tcp://127.0.0.1:5555,", "endpoint 2 of 2 is empty");
    refused(",tcp://127.0.0.1:5555", "endpoint 1 of 2 is empty");
    refused(" , ", "endpoint 1 of 2 is empty");
    refused("", "endpoint: empty");
    refused("tcp://127.0.0.1:5555,bogus", "endpoint 2 of 2 ('bogus'): not a liftd endpoint");
    refused("udp://127.0.0.1:5555", "endpoint ('udp://127.0.0.1:5555'): not a liftd endpoint");
    refused("inproc://lift", "endpoint ('inproc://lift'): not a liftd endpoint (tcp://HOST:PORT "
                             "or ipc:///PATH)");
    refused("ipc:///tmp/a,tcp://127.0.0.1:5555,ipc:///tmp/a",
            "endpoint 3 of 3 ('ipc:///tmp/a') repeats endpoint 1");
    refused("ipc:///tmp/a,tcp://127.0.0.1:notaport",
            "endpoint 2 of 2 ('tcp://127.0.0.1:notaport'): malformed");
    refused("tcp://bad\x01host:1", "('tcp://bad?host:1')"); /* control characters shown as ? */
    char many[LIFT_CLIENT_ENDPOINTS_MAX * 32];
    size_t pos = 0;
    for (int i = 0; i <= LIFT_CLIENT_ENDPOINTS_MAX; i++)
        pos += (size_t)snprintf(many + pos, sizeof many - pos, "%sipc:///tmp/e%d", i ? "," : "", i);
    refused(many, "17 endpoints, at most 16");
    char longer[LIFT_ENDPOINT_LEN_MAX + 40];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memcpy(longer, "ipc:///", 7);
    char want[64];
    snprintf(want, sizeof want, "%zu bytes, at most %d", strlen(longer), LIFT_ENDPOINT_LEN_MAX);
    refused(longer, want);
    ck_assert_int_eq(lift_endpoints_check(NULL, NULL, 0), -1); /* no message buffer: fine */
}
END_TEST

START_TEST(test_endpoint_list_accepted)
{
    char err[256];
    ck_assert_int_eq(
        lift_endpoints_check(" tcp://127.0.0.1:5555 ,\tipc:///tmp/lift-x.sock", err, sizeof err),
        2);
    ck_assert_str_eq(err, "");
    lift_client_opts_t o = {.timeout_ms = 50, .attempts = 1};
    lift_client_t *c = lift_client_new(" tcp://127.0.0.1:5555 ,\tipc:///tmp/lift-x.sock", &o);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(lift_client_endpoint_count(c), 2);
    ck_assert_str_eq(lift_client_endpoint(c), "tcp://127.0.0.1:5555"); /* blanks trimmed */
    lift_client_destroy(&c);
    c = lift_client_new("ipc:///tmp/lift-y.sock", &o);
    ck_assert_uint_eq(lift_client_endpoint_count(c), 1);
    ck_assert_str_eq(lift_client_endpoint(c), "ipc:///tmp/lift-y.sock");
    lift_client_destroy(&c);
}
END_TEST

/* A dead endpoint in a temp dir: nothing listens there. */
static void dead_endpoint(char *dir, size_t dirlen, char *ep, size_t eplen, const char *name)
{
    tu_tempdir(dir, dirlen);
    snprintf(ep, eplen, "ipc://%s/%s", dir, name);
}

START_TEST(test_failover_all_dead)
{
    char dir[256], a[320], b[320], c3[320], list[1024];
    tu_tempdir(dir, sizeof dir);
    snprintf(a, sizeof a, "ipc://%s/a.sock", dir);
    snprintf(b, sizeof b, "ipc://%s/b.sock", dir);
    snprintf(c3, sizeof c3, "ipc://%s/c.sock", dir);
    snprintf(list, sizeof list, "%s,%s,%s", a, b, c3);
    lift_client_opts_t o = {.timeout_ms = 100, .attempts = 2}; /* fewer attempts than endpoints */
    lift_client_t *c = lift_client_new(list, &o);
    ck_assert_ptr_nonnull(c);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(lift_ping(c, NULL, 0, NULL), LIFT_ERR_UNAVAILABLE);
    double ms = elapsed_ms(&t0);
    char want[1200];
    snprintf(want, sizeof want, "no reply from %s, %s, %s after 3 attempts of 100 ms", a, b, c3);
    ck_assert_str_eq(lift_client_error(c), want); /* every endpoint tried once, each named */
    ck_assert(lift_client_no_reply(c));
    ck_assert_msg(ms >= 290 && ms < 2000, "took %.0f ms", ms);
    /* More attempts than endpoints: round-robin wraps, each endpoint is named once. */
    lift_client_destroy(&c);
    lift_client_opts_t o5 = {.timeout_ms = 60, .attempts = 5};
    c = lift_client_new(list, &o5);
    ck_assert_int_eq(lift_ping(c, NULL, 0, NULL), LIFT_ERR_UNAVAILABLE);
    snprintf(want, sizeof want, "no reply from %s, %s, %s after 5 attempts of 60 ms", a, b, c3);
    ck_assert_str_eq(lift_client_error(c), want);
    /* a b c a b timed out: the next request starts at c, where the last one would go on. */
    ck_assert_str_eq(lift_client_endpoint(c), c3);
    ck_assert_int_eq(lift_ping(c, NULL, 0, NULL), LIFT_ERR_UNAVAILABLE);
    snprintf(want, sizeof want, "no reply from %s, %s, %s after 5 attempts of 60 ms", c3, a, b);
    ck_assert_str_eq(lift_client_error(c), want);
    lift_client_destroy(&c);
    tu_rmtree(dir);
}
END_TEST

static void answer_unavailable(fake_t *f, const Lift__Request *req, Lift__Reply *reply)
{
    (void)f;
    (void)req;
    reply->status->code = LIFT__CODE__UNAVAILABLE;
    reply->status->message = "store unavailable: connection lost";
}

static void answer_track_ok(fake_t *f, const Lift__Request *req, Lift__Reply *reply)
{
    Lift__TrackReply *tr = &f->scratch.track.tr;
    lift__track_reply__init(tr);
    tr->has_accepted = 1;
    tr->accepted = (uint32_t)req->track->n_events;
    reply->body_case = LIFT__REPLY__BODY_TRACK;
    reply->track = tr;
}

START_TEST(test_failover_on_unavailable_reply)
{
    fake_t a, b;
    fake_start(&a, FAKE_CANNED, 1);
    a.answer = answer_unavailable;
    fake_start(&b, FAKE_CANNED, 1);
    b.answer = answer_track_ok;
    char list[300];
    snprintf(list, sizeof list, "%s,%s", a.endpoint, b.endpoint);
    lift_client_opts_t o = {.timeout_ms = 2000, .attempts = 3};
    lift_client_t *c = lift_client_new(list, &o);
    ck_assert_ptr_nonnull(c);
    lift_event_t ev = {.event_id = "e-1",
                       .customer_id = "c-1",
                       .type = LIFT__EVENT_TYPE__EVENT_CHURN,
                       .timestamp_ms = 1767225600000};
    lift_track_result_t r;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(lift_track(c, &ev, 1, &r), LIFT_OK);
    ck_assert_msg(elapsed_ms(&t0) < 1000, "no wait for a timeout: took %.0f ms", elapsed_ms(&t0));
    ck_assert_uint_eq(r.accepted, 1);
    ck_assert_str_eq(lift_client_endpoint(c), b.endpoint);
    lift_track_result_clear(&r);
    lift_client_destroy(&c);
    fake_stop(&a);
    fake_stop(&b);
    ck_assert_int_eq(a.seen, 1);
    ck_assert_int_eq(b.seen, 1);
    ck_assert(a.ids[0] == b.ids[0]); /* the same request, resent to the next instance */
    ck_assert(a.sizes[0] == b.sizes[0]);
}
END_TEST

static const lift_context_t CTX = {
    .trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD,
    .stage = LIFT__STAGE__STAGE_GROWTH,
    .channel = LIFT__CHANNEL__CHANNEL_IN_APP,
};

/* Creates and starts a two-arm experiment "fo" through c. */
static void start_experiment(lift_client_t *c)
{
    tu_experiment_t x;
    tu_two_arms(&x, "fo", 0.5, 0.5)->name = "failover";
    Lift__Experiment *out = NULL;
    ck_assert_msg(lift_experiment_create(c, &x.x, &out) == LIFT_OK, "%s", lift_client_error(c));
    lift_experiment_free(&out);
    ck_assert_msg(lift_experiment_change(c, "fo", LIFT__ACTION__ACTION_START, 0, &out) == LIFT_OK,
                  "%s", lift_client_error(c));
    lift_experiment_free(&out);
}

/* One tracked churn event with id `id`; returns the call's time in ms. */
static double track_one(lift_client_t *c, const char *id, uint32_t want_accepted)
{
    lift_event_t ev = {.event_id = id,
                       .customer_id = "c-1",
                       .type = LIFT__EVENT_TYPE__EVENT_CHURN,
                       .timestamp_ms = 1767225600000};
    lift_track_result_t r;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_msg(lift_track(c, &ev, 1, &r) == LIFT_OK, "%s", lift_client_error(c));
    double ms = elapsed_ms(&t0);
    ck_assert_uint_eq(r.accepted, want_accepted);
    lift_track_result_clear(&r);
    return ms;
}

#define FO_TIMEOUT 600 /* per-attempt timeout of the failover tests, ms */

START_TEST(test_failover_first_dead)
{
    tliftd_t L;
    tu_liftd_init(&L);
    tu_liftd_start(&L, NULL);
    char dir[256], dead[320], list[800];
    dead_endpoint(dir, sizeof dir, dead, sizeof dead, "dead.sock");
    snprintf(list, sizeof list, "%s,%s", dead, L.endpoint);
    lift_client_opts_t o = {.timeout_ms = FO_TIMEOUT, .attempts = 3};
    lift_client_t *c = lift_client_new(list, &o);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(lift_client_endpoint(c), dead);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    start_experiment(c); /* the create pays the one timeout, the start goes straight on */
    double first = elapsed_ms(&t0);
    ck_assert_msg(first >= FO_TIMEOUT - 10 && first < 2 * FO_TIMEOUT,
                  "one timeout expected, took %.0f ms", first);
    ck_assert_str_eq(lift_client_endpoint(c), L.endpoint); /* the one that answered */
    /* Every later call of every kind goes straight to the live instance: no more timeouts. */
    char version[64];
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(lift_ping(c, version, sizeof version, NULL), LIFT_OK);
    lift_assignment_t a;
    ck_assert_msg(lift_assign(c, "fo", "cust-1", &CTX, &a) == LIFT_OK, "%s", lift_client_error(c));
    ck_assert(a.in_experiment && a.first_exposure);
    lift_assignment_clear(&a);
    const char *ids[] = {"cust-2", "cust-3"};
    lift_assignment_t *many = NULL;
    ck_assert_int_eq(lift_assign_batch(c, "fo", ids, 2, &CTX, &many), LIFT_OK);
    lift_assignments_free(&many);
    track_one(c, "ev-1", 1);
    Lift__Experiment *e = NULL;
    ck_assert_int_eq(lift_experiment_get(c, "fo", &e), LIFT_OK);
    ck_assert_uint_eq(e->exposures, 3);
    lift_experiment_free(&e);
    Lift__ExperimentList *list_out = NULL;
    ck_assert_int_eq(lift_experiment_list(c, 0, &list_out), LIFT_OK);
    ck_assert_uint_eq(list_out->n_experiments, 1);
    lift_experiment_list_free(&list_out);
    Lift__ReportRequest rr = LIFT__REPORT_REQUEST__INIT;
    rr.experiment_key = "fo";
    Lift__Report *rep = NULL;
    ck_assert_msg(lift_report(c, &rr, &rep) == LIFT_OK, "%s", lift_client_error(c));
    lift_report_free(&rep);
    double rest = elapsed_ms(&t0);
    ck_assert_msg(rest < FO_TIMEOUT, "later calls waited for a timeout: %.0f ms", rest);
    ck_assert_str_eq(lift_client_endpoint(c), L.endpoint);
    lift_client_destroy(&c);
    tu_rmtree(dir);
    tu_liftd_fini(&L);
}
END_TEST

START_TEST(test_failover_current_killed)
{
    tliftd_t A, B;
    tu_liftd_init(&A);
    tu_liftd_start(&A, NULL);
    tu_liftd_init(&B);
    tu_liftd_start(&B, NULL);
    char list[800];
    snprintf(list, sizeof list, "%s,%s", A.endpoint, B.endpoint);
    lift_client_opts_t o = {.timeout_ms = FO_TIMEOUT, .attempts = 3};
    lift_client_t *c = lift_client_new(list, &o);
    ck_assert_ptr_nonnull(c);
    ck_assert_msg(track_one(c, "ev-a", 1) < FO_TIMEOUT, "A answers at once");
    ck_assert_str_eq(lift_client_endpoint(c), A.endpoint);
    tu_liftd_kill(&A); /* the current instance dies mid-run */
    double ms = track_one(c, "ev-b", 1);
    ck_assert_msg(ms >= FO_TIMEOUT - 10 && ms < 2 * FO_TIMEOUT, "one timeout expected: %.0f ms",
                  ms);
    ck_assert_str_eq(lift_client_endpoint(c), B.endpoint);
    ck_assert_msg(track_one(c, "ev-c", 1) < FO_TIMEOUT, "B is current now");
    ck_assert_int_eq(tu_store_summary(tu_liftd_store(&B)).events, 2); /* ev-b, ev-c */
    ck_assert_int_eq(tu_store_summary(tu_liftd_store(&A)).events, 1); /* ev-a only */
    /* A comes back, B dies: round-robin wraps to the first endpoint. */
    tu_liftd_start(&A, NULL);
    tu_liftd_kill(&B);
    ms = track_one(c, "ev-d", 1);
    ck_assert_msg(ms >= FO_TIMEOUT - 10 && ms < 2 * FO_TIMEOUT, "one timeout expected: %.0f ms",
                  ms);
    ck_assert_str_eq(lift_client_endpoint(c), A.endpoint);
    lift_client_destroy(&c);
    tu_liftd_fini(&A);
    tu_liftd_fini(&B);
}
END_TEST

/* Two liftd over one PostgreSQL database: the instance that got a request freezes (SIGSTOP:
 * it holds the request, answers nothing), the client resends to the other; the frozen one
 * then wakes and may run the same request too. The shared store keeps every fact once. */
START_TEST(test_failover_shared_postgresql)
{
    tliftd_t A, B;
    tu_liftd_init(&A);
    tu_liftd_init(&B);
    tu_pg_newdb(A.store, sizeof A.store);
    snprintf(B.store, sizeof B.store, "%s", A.store);
    tu_liftd_start(&A, NULL);
    tu_liftd_start(&B, NULL);
    char list[800];
    snprintf(list, sizeof list, "%s,%s", A.endpoint, B.endpoint);
    lift_client_opts_t o = {.timeout_ms = FO_TIMEOUT, .attempts = 3};
    lift_client_t *c = lift_client_new(list, &o);
    ck_assert_ptr_nonnull(c);
    start_experiment(c);
    ck_assert_str_eq(lift_client_endpoint(c), A.endpoint);

    enum { N = 40 };
    char ids[N][16], evids[N][16];
    const char *idp[N];
    lift_event_t ev[N];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "cust-%d", i);
        snprintf(evids[i], sizeof evids[i], "churn-%d", i);
        idp[i] = ids[i];
        ev[i] = (lift_event_t){.event_id = evids[i],
                               .customer_id = ids[i],
                               .type = LIFT__EVENT_TYPE__EVENT_CHURN,
                               .timestamp_ms = 1767225600000 + i};
    }
    ck_assert_int_eq(kill(A.pid, SIGSTOP), 0);
    lift_assignment_t *first = NULL;
    ck_assert_msg(lift_assign_batch(c, "fo", idp, N, &CTX, &first) == LIFT_OK, "%s",
                  lift_client_error(c));
    ck_assert_str_eq(lift_client_endpoint(c), B.endpoint);
    lift_track_result_t r;
    ck_assert_msg(lift_track(c, ev, N, &r) == LIFT_OK, "%s", lift_client_error(c));
    ck_assert_uint_eq(r.accepted, N);
    lift_track_result_clear(&r);
    ck_assert_int_eq(kill(A.pid, SIGCONT), 0); /* A may now run the assign it held, too */

    /* Every fact once, whichever instance ran it, however often. */
    lift_client_opts_t oa = {.timeout_ms = 3000, .attempts = 3};
    lift_client_t *ca = lift_client_new(A.endpoint, &oa);
    lift_assignment_t *again = NULL;
    ck_assert_msg(lift_assign_batch(ca, "fo", idp, N, &CTX, &again) == LIFT_OK, "%s",
                  lift_client_error(ca));
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(again[i].arm_index, first[i].arm_index);
        ck_assert(!again[i].first_exposure); /* recorded already, through B */
    }
    ck_assert_msg(lift_track(ca, ev, N, &r) == LIFT_OK, "%s", lift_client_error(ca));
    ck_assert_uint_eq(r.accepted, 0);
    ck_assert_uint_eq(r.duplicates, N);
    lift_track_result_clear(&r);
    int in_exp = 0;
    for (int i = 0; i < N; i++)
        in_exp += first[i].in_experiment;
    ck_assert_int_eq(tu_store_summary(A.store).exposures, in_exp);
    ck_assert_int_eq(tu_pg_scalar(A.store, "SELECT count(*) FROM events"), N);
    lift_assignments_free(&first);
    lift_assignments_free(&again);
    lift_client_destroy(&ca);
    lift_client_destroy(&c);
    tu_liftd_fini(&A);
    tu_liftd_fini(&B);
}
END_TEST

START_TEST(test_failover_shared_postgresql_required)
{
    ck_abort_msg("PostgreSQL is required (CI is set) but could not be started: %s", tu_pg_why());
}
END_TEST

Suite *client_suite(void)
{
    Suite *s = suite_create("client");
    int ntables = (int)(sizeof tables / sizeof tables[0]);

    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 20);
    tcase_add_loop_test(core, test_names_round_trip, 0, ntables);
    tcase_add_test(core, test_err_names);
    tcase_add_test(core, test_request_body_names);
    tcase_add_test(core, test_retry_after_dropped_request);
    tcase_add_test(core, test_stale_reply_ignored);
    tcase_add_test(core, test_garbage_reply_ignored);
    tcase_add_test(core, test_request_ids_fresh);
    tcase_add_test(core, test_assign_batch_typed);
    tcase_add_test(core, test_track_typed_and_retries_busy);
    tcase_add_test(core, test_experiment_get_detached);
    suite_add_tcase(s, core);

    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 20);
    tcase_add_loop_test(errors, test_names_reject_unknown, 0, ntables);
    tcase_add_test(errors, test_timeout_message);
    tcase_add_test(errors, test_no_server);
    tcase_add_test(errors, test_server_error);
    tcase_add_test(errors, test_unknown_status_code_is_an_error);
    suite_add_tcase(s, errors);

    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 20);
    tcase_add_test(limits, test_batch_bounds);
    tcase_add_test(limits, test_bad_endpoint);
    tcase_add_test(limits, test_endpoint_list_refused);
    tcase_add_test(limits, test_endpoint_list_accepted);
    suite_add_tcase(s, limits);

    TCase *failover = tcase_create("failover");
    tcase_set_timeout(failover, 60);
    tcase_add_test(failover, test_failover_all_dead);
    tcase_add_test(failover, test_failover_on_unavailable_reply);
    tcase_add_test(failover, test_failover_first_dead);
    tcase_add_test(failover, test_failover_current_killed);
    if (tu_pg_wanted("client")) {
        if (tu_pg_start() == 0)
            tcase_add_test(failover, test_failover_shared_postgresql);
        else if (tu_pg_required())
            tcase_add_test(failover, test_failover_shared_postgresql_required);
        else
            fprintf(stderr, "client: PostgreSQL case skipped: %s\n", tu_pg_why());
    }
    suite_add_tcase(s, failover);
    return s;
}
