/* local: lift_local_t against a real liftd — every local decision equal to the served one
 * (experiments with weights, coverage, namespaces, eligibility lists; contexts of every
 * eligibility rule; ids with non-ASCII, invalid ids), ramps and pauses after a refresh, locally
 * decided exposures stored like served ones, liftd killed under a running sender (decisions go
 * on, exposures arrive after the restart, none doubled), the queue bound and its counter, and
 * RecordExposures' own per-item answers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lift/local.h"
#include "testutil.h"

Suite *local_suite(void);

static const lift_context_t CTX = {
    .trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD,
    .stage = LIFT__STAGE__STAGE_GROWTH,
    .channel = LIFT__CHANNEL__CHANNEL_IN_APP,
};

typedef struct {
    const char *key;
    int narms;
    const double *weights;
    double coverage;
    const char *seed; /* NULL: the key */
    const char *ns;   /* namespace id or NULL */
    double ns_lo, ns_hi;
    int ntrig, nchan; /* eligibility lists (0: any) */
    const Lift__Trigger *trig;
    const Lift__Channel *chan;
    int start; /* start it */
} spec_t;

static void create(lift_client_t *c, const spec_t *s)
{
    static const char *names[] = {"holdout", "offer-a", "offer-b", "offer-c"};
    Lift__Experiment x = LIFT__EXPERIMENT__INIT;
    Lift__Arm arms[4], *ptrs[4];
    Lift__Namespace ns = LIFT__NAMESPACE__INIT;
    Lift__Eligibility el = LIFT__ELIGIBILITY__INIT;
    for (int i = 0; i < s->narms; i++) {
        Lift__Arm a = LIFT__ARM__INIT;
        arms[i] = a;
        arms[i].name = (char *)names[i];
        arms[i].has_weight = 1;
        arms[i].weight = s->weights[i];
        arms[i].payload = i ? "payload" : NULL;
        ptrs[i] = &arms[i];
    }
    x.key = (char *)s->key;
    x.name = (char *)s->key;
    x.n_arms = (size_t)s->narms;
    x.arms = ptrs;
    x.has_coverage = 1;
    x.coverage = s->coverage;
    x.seed = (char *)s->seed;
    if (s->ns) {
        ns.id = (char *)s->ns;
        ns.has_lo = ns.has_hi = 1;
        ns.lo = s->ns_lo;
        ns.hi = s->ns_hi;
        x.namespace_ = &ns;
    }
    if (s->ntrig || s->nchan) {
        el.n_triggers = (size_t)s->ntrig;
        el.triggers = (Lift__Trigger *)s->trig;
        el.n_channels = (size_t)s->nchan;
        el.channels = (Lift__Channel *)s->chan;
        x.eligibility = &el;
    }
    Lift__Experiment *out = NULL;
    ck_assert_msg(lift_experiment_create(c, &x, &out) == LIFT_OK, "%s", lift_client_error(c));
    lift_experiment_free(&out);
    if (s->start) {
        ck_assert_msg(lift_experiment_change(c, s->key, LIFT__ACTION__ACTION_START, 0, &out) ==
                          LIFT_OK,
                      "%s", lift_client_error(c));
        lift_experiment_free(&out);
    }
}

/* opts.log: counts the lines that mention what the test looks for. */
typedef struct {
    const char *want;
    int n;
} logs_t;

static void count_log(void *arg, const char *line)
{
    logs_t *lg = arg;
    if (strstr(line, lg->want))
        __atomic_add_fetch(&lg->n, 1, __ATOMIC_SEQ_CST);
}

static logs_t LOGS = {"not acknowledged", 0};

static lift_local_t *local_new(const tliftd_t *L, int refresh_ms, int flush_ms, size_t max)
{
    lift_client_opts_t co = {.timeout_ms = 300, .attempts = 1};
    lift_local_opts_t o = {.refresh_ms = refresh_ms,
                           .flush_ms = flush_ms,
                           .buffer_max = max,
                           .client = &co,
                           .log = count_log,
                           .log_arg = &LOGS};
    char err[256];
    lift_local_t *l = lift_local_new(L->endpoint, &o, err, sizeof err);
    ck_assert_msg(l != NULL, "lift_local_new: %s", err);
    return l;
}

/* Served and local decisions for one (key, id, ctx) must agree on everything liftd decides. */
static void check_same(lift_client_t *c, lift_local_t *l, const char *key, const char *id,
                       const lift_context_t *ctx)
{
    lift_assignment_t s, x;
    lift_err_t rs = lift_assign(c, key, id, ctx, &s);
    lift_err_t rl = lift_local_assign(l, key, id, ctx, &x);
    ck_assert_msg(rs == rl, "%s/%s: served %d, local %d (%s)", key, id, rs, rl,
                  lift_client_error(c));
    if (rs == LIFT_OK) {
        ck_assert_msg(s.in_experiment == x.in_experiment && s.eligible == x.eligible &&
                          s.reason == x.reason && s.arm_index == x.arm_index &&
                          (s.error_code != 0) == (x.error_code != 0),
                      "%s/%s stage %d: served in=%d elig=%d reason=%d arm=%d err=%d, local in=%d "
                      "elig=%d reason=%d arm=%d err=%d",
                      key, id, ctx->stage, s.in_experiment, s.eligible, s.reason, s.arm_index,
                      s.error_code, x.in_experiment, x.eligible, x.reason, x.arm_index,
                      x.error_code);
        if (s.in_experiment) {
            ck_assert_str_eq(s.arm_name, x.arm_name);
            ck_assert_int_eq(!s.arm_payload, !x.arm_payload);
        }
    }
    lift_assignment_clear(&s);
    lift_assignment_clear(&x);
}

START_TEST(same_as_served)
{
    tliftd_t L;
    tu_liftd_init(&L);
    tu_liftd_start(&L, NULL);
    static const double w2[] = {0.5, 0.5}, w3[] = {0.2, 0.3, 0.5}, w4[] = {0.1, 0.2, 0.3, 0.4};
    static const Lift__Trigger trig[] = {LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD,
                                         LIFT__TRIGGER__TRIGGER_TEAM_GROWTH};
    static const Lift__Channel chan[] = {LIFT__CHANNEL__CHANNEL_IN_APP,
                                         LIFT__CHANNEL__CHANNEL_EMAIL};
    const spec_t specs[] = {
        {"eq-a", 2, w2, 1.0, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 1},
        {"eq-b", 3, w3, 0.6, "seed-b", NULL, 0, 0, 2, 2, trig, chan, 1},
        {"eq-c", 4, w4, 0.8, NULL, "ns-1", 0.2, 0.7, 0, 0, NULL, NULL, 1},
        {"eq-draft", 2, w2, 1.0, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 0},
    };
    for (size_t i = 0; i < 4; i++)
        create(L.client, &specs[i]);
    lift_local_t *l = local_new(&L, 1000, 100, 0);
    /* Every eligibility rule: eligible; at-risk; both suppressions; a trigger and a channel
     * outside eq-b's lists; another stage. */
    lift_context_t ctxs[7];
    for (int i = 0; i < 7; i++)
        ctxs[i] = CTX;
    ctxs[1].stage = LIFT__STAGE__STAGE_AT_RISK;
    ctxs[2].open_support_ticket = true;
    ctxs[3].billing_dispute = true;
    ctxs[4].trigger = LIFT__TRIGGER__TRIGGER_INTEGRATION;
    ctxs[5].channel = LIFT__CHANNEL__CHANNEL_CSM;
    ctxs[6].stage = LIFT__STAGE__STAGE_RENEWAL;
    /* GrowthBook hashes UTF-16 code units: ids with 2-, 3- and 4-byte characters; then ids
     * liftd rejects (empty, invalid UTF-8, a control character, too long). */
    static const char *special[] = {"\xc3\xbc-1",         "\xe6\x97\xa5\xe6\x9c\xac-2",
                                    "\xf0\x9f\x98\x80-3", "",
                                    "bad-\xff",           "ctl-\x01",
                                    "user@example.com"};
    char lng[LIFT_CUSTOMER_ID_MAX + 2];
    memset(lng, 'x', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    int decided = 0;
    for (size_t e = 0; e < 4; e++)
        for (int k = 0; k < 7; k++) {
            for (int i = 0; i < 120; i++) {
                char id[32];
                snprintf(id, sizeof id, "cust-%d", i * 7919 + k);
                check_same(L.client, l, specs[e].key, id, &ctxs[k]);
                decided++;
            }
            for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
                check_same(L.client, l, specs[e].key, special[i], &ctxs[k]);
            check_same(L.client, l, specs[e].key, lng, &ctxs[k]);
        }
    ck_assert_int_eq(decided, 4 * 7 * 120);
    /* Contexts liftd refuses, an unknown key: the same error. */
    lift_context_t bad = CTX;
    bad.trigger = 0;
    check_same(L.client, l, "eq-a", "c-1", &bad);
    bad = CTX;
    bad.channel = 99;
    check_same(L.client, l, "eq-a", "c-1", &bad);
    bad = CTX;
    bad.trigger_time_ms = 1000; /* before 2000-01-01 */
    check_same(L.client, l, "eq-a", "c-1", &bad);
    check_same(L.client, l, "no-such", "c-1", &CTX);
    /* A batch decides like single calls. */
    const char *ids[] = {"cust-0", "cust-7919", "\xc3\xbc-1", "bad-\xff", "", "ctl-\x01"};
    lift_assignment_t out[6];
    ck_assert_int_eq(lift_local_assign_batch(l, "eq-c", ids, 6, &CTX, out), LIFT_OK);
    /* Each rejected id keeps its own reason within one batch. */
    ck_assert_ptr_null(out[0].error);
    ck_assert_ptr_nonnull(strstr(out[3].error, "UTF-8"));
    ck_assert_ptr_nonnull(strstr(out[4].error, "empty"));
    ck_assert_ptr_nonnull(strstr(out[5].error, "control"));
    for (int i = 3; i < 6; i++)
        ck_assert_int_eq(out[i].error_code, LIFT_ERR_INVALID_ARGUMENT);
    for (int i = 0; i < 6; i++) {
        lift_assignment_t one;
        ck_assert_int_eq(lift_local_assign(l, "eq-c", ids[i], &CTX, &one), LIFT_OK);
        ck_assert_int_eq(one.arm_index, out[i].arm_index);
        ck_assert_int_eq(one.reason, out[i].reason);
    }
    lift_local_destroy(&l);
    ck_assert_ptr_null(l);
    tu_liftd_fini(&L);
}
END_TEST

START_TEST(ramp_and_pause_after_refresh)
{
    tliftd_t L;
    tu_liftd_init(&L);
    tu_liftd_start(&L, NULL);
    static const double w2[] = {0.5, 0.5};
    spec_t s = {"ramp", 2, w2, 0.3, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 1};
    create(L.client, &s);
    lift_local_t *l = local_new(&L, 50, 100, 0);
    int before[400], in_before = 0, in_after = 0;
    for (int i = 0; i < 400; i++) {
        char id[32];
        lift_assignment_t a;
        snprintf(id, sizeof id, "r-%d", i);
        ck_assert_int_eq(lift_local_assign(l, "ramp", id, &CTX, &a), LIFT_OK);
        before[i] = a.arm_index;
        in_before += a.in_experiment;
    }
    Lift__Experiment *out = NULL;
    ck_assert_int_eq(lift_experiment_change(L.client, "ramp", LIFT__ACTION__ACTION_RAMP, 0.9, &out),
                     LIFT_OK);
    lift_experiment_free(&out);
    /* Within one refresh interval (50 ms here) the ramp is seen. */
    usleep(400 * 1000);
    for (int i = 0; i < 400; i++) {
        char id[32];
        lift_assignment_t a;
        snprintf(id, sizeof id, "r-%d", i);
        ck_assert_int_eq(lift_local_assign(l, "ramp", id, &CTX, &a), LIFT_OK);
        in_after += a.in_experiment;
        if (before[i] >= 0) /* a ramp keeps every customer in the arm they had */
            ck_assert_int_eq(a.arm_index, before[i]);
        check_same(L.client, l, "ramp", id, &CTX);
    }
    ck_assert_int_gt(in_after, in_before + 100);
    ck_assert_int_eq(lift_experiment_change(L.client, "ramp", LIFT__ACTION__ACTION_PAUSE, 0, &out),
                     LIFT_OK);
    lift_experiment_free(&out);
    ck_assert_int_eq(lift_local_refresh(l, 2000), LIFT_OK);
    lift_assignment_t a;
    ck_assert_int_eq(lift_local_assign(l, "ramp", "r-1", &CTX, &a), LIFT_OK);
    ck_assert(!a.in_experiment);
    ck_assert_int_eq(a.reason, LIFT__REASON__REASON_NOT_RUNNING);
    check_same(L.client, l, "ramp", "r-1", &CTX);
    lift_local_stats_t st;
    lift_local_stats(l, &st);
    ck_assert_uint_ge(st.refreshes, 2);
    lift_local_destroy(&l);
    tu_liftd_fini(&L);
}
END_TEST

/* Local decisions of customers local-<i>; returns how many are in the experiment, their arms
 * in arms[] (-1 when out). */
static int decide_range(lift_local_t *l, const char *key, int from, int to, int *arms)
{
    int in = 0;
    for (int i = from; i < to; i++) {
        char id[32];
        lift_assignment_t a;
        snprintf(id, sizeof id, "local-%d", i);
        ck_assert_int_eq(lift_local_assign(l, key, id, &CTX, &a), LIFT_OK);
        arms[i] = a.arm_index;
        in += a.in_experiment;
    }
    return in;
}

static uint64_t stored_exposures(lift_client_t *c, const char *key)
{
    Lift__Experiment *x = NULL;
    ck_assert_int_eq(lift_experiment_get(c, key, &x), LIFT_OK);
    ck_assert(x->has_exposures);
    uint64_t n = x->exposures;
    lift_experiment_free(&x);
    return n;
}

START_TEST(exposures_stored_like_served)
{
    tliftd_t L;
    tu_liftd_init(&L);
    tu_liftd_start(&L, NULL);
    static const double w2[] = {0.5, 0.5};
    spec_t s = {"expo", 2, w2, 0.7, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 1};
    create(L.client, &s);
    lift_local_t *l = local_new(&L, 1000, 20, 0);
    int arms[600];
    int in = decide_range(l, "expo", 0, 600, arms);
    ck_assert_int_gt(in, 300);
    decide_range(l, "expo", 0, 600, arms); /* repeats queue nothing */
    ck_assert_int_eq(lift_local_flush(l, 5000), LIFT_OK);
    lift_local_stats_t st;
    lift_local_stats(l, &st);
    ck_assert_uint_eq(st.queued, (uint64_t)in);
    ck_assert_uint_eq(st.sent, (uint64_t)in);
    ck_assert_uint_eq(st.first, (uint64_t)in);
    ck_assert_uint_eq(st.skew, 0);
    ck_assert_uint_eq(st.buffered, 0);
    ck_assert_uint_eq(stored_exposures(L.client, "expo"), (uint64_t)in);
    /* liftd holds them as if it had decided them: a served Assign finds the exposure stored
     * (first_exposure false) with the same arm. */
    for (int i = 0; i < 600; i++) {
        char id[32];
        lift_assignment_t a;
        snprintf(id, sizeof id, "local-%d", i);
        ck_assert_int_eq(lift_assign(L.client, "expo", id, &CTX, &a), LIFT_OK);
        ck_assert_int_eq(a.arm_index, arms[i]);
        ck_assert(!a.first_exposure);
        lift_assignment_clear(&a);
    }
    ck_assert_uint_eq(stored_exposures(L.client, "expo"), (uint64_t)in);
    /* Served decisions for other customers: the report counts both kinds alike, per arm. */
    int64_t want[2] = {0, 0};
    for (int i = 0; i < 600; i++)
        if (arms[i] >= 0)
            want[arms[i]]++;
    for (int i = 0; i < 300; i++) {
        char id[32];
        lift_assignment_t a;
        snprintf(id, sizeof id, "served-%d", i);
        ck_assert_int_eq(lift_assign(L.client, "expo", id, &CTX, &a), LIFT_OK);
        if (a.in_experiment)
            want[a.arm_index]++;
        lift_assignment_clear(&a);
    }
    /* The report's window ends at liftd's "now", excluded: an exposure recorded in that very
     * millisecond would fall outside it. Let the clock move on first. */
    usleep(5 * 1000);
    Lift__ReportRequest rq = LIFT__REPORT_REQUEST__INIT;
    rq.experiment_key = "expo";
    Lift__Report *rep = NULL;
    ck_assert_msg(lift_report(L.client, &rq, &rep) == LIFT_OK, "%s", lift_client_error(L.client));
    ck_assert_uint_eq(rep->n_arms, 2);
    for (size_t k = 0; k < 2; k++) {
        ck_assert_int_eq(rep->arms[k]->arm_index, (int)k);
        ck_assert_uint_eq(rep->arms[k]->exposed, (uint64_t)want[k]);
    }
    lift_report_free(&rep);
    lift_local_destroy(&l);
    tu_liftd_stop(&L);
    /* Stored with the decision's context, like a served exposure. */
    tu_store_summary_t sum = tu_store_summary(L.data);
    ck_assert_int_eq(sum.exposures, want[0] + want[1]);
    ck_assert_int_eq(sum.trigger_min, LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD);
    ck_assert_int_eq(sum.trigger_max, LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD);
    ck_assert_int_eq(sum.channel_min, LIFT__CHANNEL__CHANNEL_IN_APP);
    ck_assert_int_eq(sum.channel_max, LIFT__CHANNEL__CHANNEL_IN_APP);
    tu_liftd_fini(&L);
}
END_TEST

START_TEST(liftd_killed_under_sender)
{
    tliftd_t L;
    tu_liftd_init(&L);
    tu_liftd_start(&L, NULL);
    static const double w2[] = {0.5, 0.5};
    spec_t s = {"kill", 2, w2, 1.0, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 1};
    create(L.client, &s);
    lift_local_t *l = local_new(&L, 50, 20, 0);
    int arms[500];
    decide_range(l, "kill", 0, 200, arms);
    ck_assert_int_eq(lift_local_flush(l, 5000), LIFT_OK);
    ck_assert_uint_eq(stored_exposures(L.client, "kill"), 200);
    tu_liftd_kill(&L);
    /* Decisions go on while liftd is down; the exposures wait in the queue. */
    ck_assert_int_eq(decide_range(l, "kill", 200, 500, arms), 300);
    ck_assert_int_eq(lift_local_flush(l, 400), LIFT_ERR_UNAVAILABLE);
    lift_local_stats_t st;
    lift_local_stats(l, &st);
    ck_assert_uint_eq(st.buffered, 300);
    ck_assert_uint_gt(st.flush_failures, 0);
    ck_assert_int_ge(__atomic_load_n(&LOGS.n, __ATOMIC_SEQ_CST), 1); /* and it was said */
    tu_liftd_start(&L, NULL);
    ck_assert_int_eq(lift_local_flush(l, 10000), LIFT_OK);
    lift_local_stats(l, &st);
    ck_assert_uint_eq(st.sent, 500);
    ck_assert_uint_eq(st.first, 500);
    ck_assert_uint_eq(stored_exposures(L.client, "kill"), 500);
    lift_local_destroy(&l);
    /* A second sender (nothing cached) sends all 500 again: none doubled, same arms. */
    l = local_new(&L, 1000, 20, 0);
    int again[500];
    decide_range(l, "kill", 0, 500, again);
    ck_assert_mem_eq(again, arms, sizeof arms);
    ck_assert_int_eq(lift_local_flush(l, 5000), LIFT_OK);
    lift_local_stats(l, &st);
    ck_assert_uint_eq(st.sent, 500);
    ck_assert_uint_eq(st.first, 0);
    ck_assert_uint_eq(st.skew, 0);
    ck_assert_uint_eq(stored_exposures(L.client, "kill"), 500);
    lift_local_destroy(&l);
    tu_liftd_fini(&L);
}
END_TEST

START_TEST(queue_bound_and_drops)
{
    tliftd_t L;
    tu_liftd_init(&L);
    tu_liftd_start(&L, NULL);
    static const double w2[] = {0.5, 0.5};
    spec_t s = {"bound", 2, w2, 1.0, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 1};
    create(L.client, &s);
    lift_local_t *l = local_new(&L, 1000, 600000, 10); /* no timed flush during the test */
    int arms[100];
    ck_assert_int_eq(decide_range(l, "bound", 0, 100, arms), 100); /* decisions all succeed */
    lift_local_stats_t st;
    lift_local_stats(l, &st);
    ck_assert_uint_eq(st.queued, 10);
    ck_assert_uint_eq(st.dropped, 90);
    ck_assert_uint_eq(st.buffered, 10);
    ck_assert_int_eq(lift_local_flush(l, 5000), LIFT_OK);
    lift_local_stats(l, &st);
    ck_assert_uint_eq(st.sent, 10);
    ck_assert_uint_eq(stored_exposures(L.client, "bound"), 10);
    /* A dropped exposure was not remembered as queued: deciding again queues it. */
    lift_assignment_t a;
    ck_assert_int_eq(lift_local_assign(l, "bound", "local-50", &CTX, &a), LIFT_OK);
    ck_assert(a.first_exposure);
    lift_local_destroy(&l); /* flushes on close */
    ck_assert_uint_eq(stored_exposures(L.client, "bound"), 11);
    tu_liftd_fini(&L);
}
END_TEST

static Lift__ExposureRecord record(const char *key, const char *id, int arm, Lift__Context *c)
{
    Lift__ExposureRecord r = LIFT__EXPOSURE_RECORD__INIT;
    r.experiment_key = (char *)key;
    r.customer_id = (char *)id;
    r.has_arm_index = 1;
    r.arm_index = arm;
    r.context = c;
    return r;
}

START_TEST(record_exposures_items)
{
    tliftd_t L;
    tu_liftd_init(&L);
    tu_liftd_start(&L, NULL);
    static const double w2[] = {0.5, 0.5};
    spec_t s = {"rec", 2, w2, 1.0, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 1};
    spec_t d = {"rec-draft", 2, w2, 1.0, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 0};
    create(L.client, &s);
    create(L.client, &d);
    lift_assignment_t served;
    ck_assert_int_eq(lift_assign(L.client, "rec", "r-ok", &CTX, &served), LIFT_OK);
    int arm = served.arm_index;
    lift_assignment_clear(&served);
    Lift__Context c = LIFT__CONTEXT__INIT, noctx = LIFT__CONTEXT__INIT;
    c.has_trigger = c.has_stage = c.has_channel = 1;
    c.trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD;
    c.stage = LIFT__STAGE__STAGE_GROWTH;
    c.channel = LIFT__CHANNEL__CHANNEL_EMAIL;
    Lift__ExposureRecord r[6] = {
        record("rec", "r-new", 0, &c),      /* recorded now */
        record("rec", "r-ok", 1 - arm, &c), /* stored before with `arm`: that arm wins */
        record("nope", "r-1", 0, &c),       /* unknown experiment */
        record("rec", "bad-\xff", 0, &c),   /* invalid customer id */
        record("rec", "r-2", 0, &noctx),    /* context without trigger */
        record("rec-draft", "r-3", 0, &c),  /* never started */
    };
    Lift__ExposureRecord *p[6];
    for (int i = 0; i < 6; i++)
        p[i] = &r[i];
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__RecordExposures body = LIFT__RECORD_EXPOSURES__INIT;
    body.n_exposures = 6;
    body.exposures = p;
    req.body_case = LIFT__REQUEST__BODY_RECORD_EXPOSURES;
    req.record_exposures = &body;
    for (int round = 0; round < 2; round++) {
        Lift__Reply *rep = NULL;
        ck_assert_int_eq(lift_call(L.client, &req, &rep, NULL, 0), LIFT_OK);
        ck_assert_int_eq(rep->body_case, LIFT__REPLY__BODY_RECORD_EXPOSURES);
        Lift__ExposureResult **res = rep->record_exposures->results;
        ck_assert_uint_eq(rep->record_exposures->n_results, 6);
        ck_assert_ptr_null(res[0]->error);
        ck_assert_int_eq(res[0]->first_exposure, round == 0); /* a resend changes nothing */
        ck_assert_int_ge(res[0]->arm_index, 0);
        ck_assert_ptr_null(res[1]->error);
        ck_assert_int_eq(res[1]->arm_index, arm);
        ck_assert(!res[1]->first_exposure);
        ck_assert_int_eq(res[2]->error->code, LIFT__CODE__NOT_FOUND);
        ck_assert_str_eq(res[2]->error->field, "record_exposures.exposures[2].experiment_key");
        ck_assert_int_eq(res[3]->error->code, LIFT__CODE__INVALID_ARGUMENT);
        ck_assert_str_eq(res[3]->error->field, "record_exposures.exposures[3].customer_id");
        ck_assert_int_eq(res[4]->error->code, LIFT__CODE__INVALID_ARGUMENT);
        ck_assert_ptr_nonnull(strstr(res[4]->error->field, "exposures[4].context"));
        ck_assert_int_eq(res[5]->error->code, LIFT__CODE__FAILED_PRECONDITION);
        for (int i = 2; i < 6; i++)
            ck_assert_int_eq(res[i]->arm_index, -1);
        lift_reply_free(&rep);
    }
    ck_assert_uint_eq(stored_exposures(L.client, "rec"), 2);
    /* An empty batch is refused as a whole. */
    body.n_exposures = 0;
    Lift__Reply *rep = NULL;
    ck_assert_int_eq(lift_call(L.client, &req, &rep, NULL, 0), LIFT_ERR_INVALID_ARGUMENT);
    lift_reply_free(&rep);
    tu_liftd_fini(&L);
}
END_TEST

START_TEST(new_fails_without_liftd)
{
    char dir[256], ep[320], err[256] = "";
    tu_tempdir(dir, sizeof dir);
    snprintf(ep, sizeof ep, "ipc://%s/none.sock", dir);
    lift_client_opts_t co = {.timeout_ms = 100, .attempts = 1};
    lift_local_opts_t o = {.client = &co};
    ck_assert_ptr_null(lift_local_new(ep, &o, err, sizeof err));
    ck_assert_msg(strstr(err, "no reply") != NULL, "%s", err);
    ck_assert_ptr_null(lift_local_new("bogus://x", &o, err, sizeof err));
    lift_local_t *none = NULL;
    lift_local_destroy(&none);
    lift_local_destroy(NULL);
    tu_rmtree(dir);
}
END_TEST

Suite *local_suite(void)
{
    Suite *s = suite_create("local");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, same_as_served);
    tcase_add_test(core, ramp_and_pause_after_refresh);
    tcase_add_test(core, exposures_stored_like_served);
    tcase_add_test(core, record_exposures_items);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 120);
    tcase_add_test(limits, liftd_killed_under_sender);
    tcase_add_test(limits, queue_bound_and_drops);
    suite_add_tcase(s, limits);
    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 30);
    tcase_add_test(errors, new_fails_without_liftd);
    suite_add_tcase(s, errors);
    return s;
}
