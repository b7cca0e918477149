/* Unit suite of src/report.{h,c} and the store's read side on a real SQLite store in a temporary
 * directory, no server: per-arm numbers against an independent recomputation from the stored
 * facts (read through the store interface), the revenue estimates against stats/ on per-customer values computed here, segments,
 * the window, degenerate experiments (no NaN anywhere), request validation. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/lift.h"
#include "lift/stats.h"
#include "registry.h"
#include "report.h"
#include "store.h"
#include "testutil.h"

#define DAY_MS (24LL * 3600 * 1000)
#define START_MS 1719792000000LL /* 2024-07-01T00:00:00Z, a Monday */
#define NOW_MS (START_MS + 30 * DAY_MS)
#define TO_MS (START_MS + 21 * DAY_MS)
#define NC 400 /* exposed customers in the main fixture */

static char DIR_[256];
static store_t *S;
static registry_t *R;
static store_reader_t *RD;
static long EVN; /* event id counter */

/* ---- fixture ------------------------------------------------------------------------------ */

static void setup(void)
{
    char err[256] = "";
    lift_stats_init();
    tu_tempdir(DIR_, sizeof DIR_);
    S = store_open(DIR_, err, sizeof err);
    ck_assert_msg(S != NULL, "store_open: %s", err);
    R = registry_new(S, err, sizeof err);
    ck_assert_msg(R != NULL, "registry_new: %s", err);
    RD = store_reader_open(DIR_, err, sizeof err);
    ck_assert_msg(RD != NULL, "store_reader_open: %s", err);
    EVN = 0;
}

static void teardown(void)
{
    store_reader_destroy(&RD);
    registry_destroy(&R);
    store_destroy(&S);
    tu_rmtree(DIR_);
}

static void begin(void)
{
    char err[256] = "";
    ck_assert_msg(store_begin(S, err, sizeof err) == 0, "store_begin: %s", err);
}

static void commit(void)
{
    char err[256] = "";
    ck_assert_msg(store_commit(S, err, sizeof err) == 0, "store_commit: %s", err);
}

/* Create and start `key` with n_arms equal-weight arms, start_ms = START_MS. */
static const registry_entry_t *experiment(const char *key, int n_arms)
{
    Lift__Experiment x = LIFT__EXPERIMENT__INIT;
    Lift__Arm arms[3] = {LIFT__ARM__INIT, LIFT__ARM__INIT, LIFT__ARM__INIT};
    Lift__Arm *ap[3] = {&arms[0], &arms[1], &arms[2]};
    static const char *names[3] = {"holdout", "offer", "offer-2"};
    for (int i = 0; i < n_arms; i++) {
        arms[i].name = (char *)names[i];
        arms[i].has_weight = 1;
        arms[i].weight = 1.0 / n_arms;
    }
    x.key = (char *)key;
    x.n_arms = (size_t)n_arms;
    x.arms = ap;
    x.has_start_ms = 1;
    x.start_ms = START_MS;
    const registry_entry_t *e = NULL;
    int created = 0;
    status_t st;
    begin();
    ck_assert_msg(registry_create(R, &x, START_MS - DAY_MS, &e, &created, &st) == 0, "%s",
                  st.message);
    ck_assert_msg(
        registry_change(R, key, LIFT__ACTION__ACTION_START, 0, 0, START_MS - DAY_MS, &e, &st) == 0,
        "%s", st.message);
    commit();
    return e;
}

static void expose(int64_t id, const char *cust, int arm, int trigger, int stage, int channel,
                   int64_t t0)
{
    store_exposure_t e = {id, cust, strlen(cust), arm, trigger, stage, channel, t0, t0 + 1000};
    int64_t gen = -1;
    for (int i = 0; i < registry_count(R); i++)
        if (registry_at(R, i)->id == id)
            gen = registry_at(R, i)->generation;
    ck_assert_msg(store_exposure_record(S, &e, gen, NULL) == STORE_FIRST, "exposure: %s",
                  store_errmsg(S));
}

static void event(const char *cust, int type, int64_t ts, int64_t xid, int arm, int64_t amount,
                  int nps)
{
    char eid[32];
    snprintf(eid, sizeof eid, "ev-%ld", ++EVN);
    store_event_t e = {0};
    e.event_id = eid;
    e.customer_id = cust;
    e.type = type;
    e.ts_ms = ts;
    e.experiment_id = xid;
    e.arm = arm;
    e.has_amount = amount != 0;
    e.amount_minor = amount;
    e.nps = nps;
    e.received_ms = ts;
    store_put_t put;
    ck_assert_msg(store_events_put(S, &e, 1, &put, NULL) == 0, "event: %s", store_errmsg(S));
    ck_assert_int_eq(put, STORE_INSERTED);
}

static uint64_t rs = 12345;
static unsigned rnd(unsigned n)
{
    rs = rs * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rs >> 33) % n);
}

/* NC customers over two weeks, alternating arms; trigger with 2 levels of 100 per arm, channel
 * with 5 levels of 40 per arm (too small); revenue before, inside and after the window. */
static const registry_entry_t *main_fixture(void)
{
    const registry_entry_t *e = experiment("rep-main", 2);
    int64_t id = e->id;
    rs = 12345;
    begin();
    for (int i = 0; i < NC; i++) {
        char c[32];
        snprintf(c, sizeof c, "cust-%04d", i);
        int arm = i % 2;
        int64_t t0 = START_MS + (int64_t)i * (14 * DAY_MS / NC) + 7;
        expose(id, c, arm, 1 + (i / 2) % 2, 1 + (i / 4) % 3, 1 + i % 5, t0);
        if (rnd(10) < 3) /* pre-period: CUPED covariate */
            event(c, 3, t0 - 3 * DAY_MS, 0, 0, 1000 + rnd(3000), -1);
        if (rnd(10) < 2) /* before the lookback: ignored */
            event(c, 3, t0 - 45 * DAY_MS, 0, 0, 9999, -1);
        if (rnd(100) < (arm ? 35u : 25u))
            event(c, 3, t0 + rnd(10) * DAY_MS + 5, 0, 0, 2000 + rnd(5000) + (arm ? 800 : 0), -1);
        if (rnd(10) < 1)
            event(c, 3, t0 + 2 * DAY_MS, 0, 0, 1500, -1);
        if (rnd(20) < 1)
            event(c, 4, t0 + 12 * DAY_MS, 0, 0, 500, -1);
        if (arm) {
            int64_t d = (int64_t)rnd(4) * (int64_t)rnd(3) * 3600 * 1000 * 20;
            event(c, 1, t0 + d, id, arm, 0, -1);
            if (rnd(10) < 5)
                event(c, 1, t0 + d + 3600000, id, arm, 0, -1);
            if (rnd(10) < 3)
                event(c, 2, t0 + d + 60000, id, arm, 0, -1);
        }
        if (rnd(10) < 2) /* another experiment's offer: not counted */
            event(c, 1, t0 + DAY_MS, id + 100, 1, 0, -1);
        if (rnd(100) < 15)
            event(c, 5, t0 + rnd(60) * DAY_MS + 1, 0, 0, 0, -1);
        if (rnd(10) < 3)
            event(c, 6, t0 - 2 * DAY_MS, 0, 0, 0, (int)rnd(11));
        if (rnd(10) < 3)
            event(c, 6, t0 + DAY_MS, 0, 0, 0, (int)rnd(11));
        if (rnd(10) < 1) /* after the window: ignored */
            event(c, 3, TO_MS + 3600000, 0, 0, 5000, -1);
    }
    for (int i = 0; i < 50; i++) { /* never exposed */
        char c[32];
        snprintf(c, sizeof c, "other-%d", i);
        event(c, 3, START_MS + i * DAY_MS / 5, 0, 0, 3000, -1);
    }
    commit();
    return e;
}

static Lift__Report *build_ok(const registry_entry_t *e, const Lift__ReportRequest *req)
{
    Lift__Report *r = NULL;
    status_t st;
    int rc = report_build(RD, e->def, e->id, req, "EUR", NOW_MS, &r, &st);
    ck_assert_msg(rc == 0, "report_build: [%s] %s", st.field, st.message);
    ck_assert_ptr_nonnull(r);
    return r;
}

/* Exact request: no CUPED, fixed horizon, no cap, window [START, TO). */
static void exact_req(Lift__ReportRequest *q)
{
    Lift__ReportRequest init = LIFT__REPORT_REQUEST__INIT;
    *q = init;
    q->has_cuped = q->has_sequential = q->has_revenue_cap_percentile = q->has_to_ms = 1;
    q->cuped = 0;
    q->sequential = 0;
    q->revenue_cap_percentile = 100;
    q->to_ms = TO_MS;
}

/* ---- independent recomputation ------------------------------------------------------------ */

/* Each customer exposed in [START_MS, TO_MS), with their events folded here from the stored
 * facts (a reader of its own, through the store interface), independently of report.c. */
typedef struct {
    char id[48];     /* customer */
    int arm;         /* assigned arm */
    int64_t t0;      /* exposure's trigger time */
    int64_t rev;     /* conversions - refunds in [t0, TO) */
    int64_t pre;     /* the same in [t0 - 30 days, t0) */
    int64_t refunds; /* refunds in [t0, TO) */
    int64_t conv;    /* conversions in [t0, TO) */
    int64_t imps;    /* impressions of the experiment in [t0, TO) */
    int64_t clicks;  /* clicks of the experiment in [t0, TO) */
    int churned;     /* churn in [t0, min(t0 + 30 days, TO)) */
} ocust_t;

typedef struct {
    int64_t exp_id; /* the experiment */
    ocust_t *c;     /* exposed customers, customer order */
    size_t n, cap;  /* used / allocated */
} oracle_t;

static int or_exposure(void *arg, const store_exposure_t *x)
{
    oracle_t *o = arg;
    if (x->trigger_ms < START_MS || x->trigger_ms >= TO_MS)
        return 0;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 512;
        o->c = realloc(o->c, o->cap * sizeof *o->c);
        ck_assert_ptr_nonnull(o->c);
    }
    ocust_t *c = &o->c[o->n++];
    memset(c, 0, sizeof *c);
    ck_assert_uint_lt(x->customer_len, sizeof c->id);
    memcpy(c->id, x->customer, x->customer_len);
    c->arm = x->arm;
    c->t0 = x->trigger_ms;
    return 0;
}

static int or_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const ocust_t *)elem)->id);
}

static int or_event(void *arg, const store_event_t *e)
{
    oracle_t *o = arg;
    ocust_t *c = bsearch(e->customer_id, o->c, o->n, sizeof *o->c, or_cmp);
    if (!c)
        return 0;
    int64_t money = e->type == 3 ? e->amount_minor : e->type == 4 ? -e->amount_minor : 0;
    if (e->ts_ms >= c->t0 - 30 * DAY_MS && e->ts_ms < c->t0)
        c->pre += money;
    if (e->ts_ms < c->t0 || e->ts_ms >= TO_MS)
        return 0;
    c->rev += money;
    c->refunds += e->type == 4 ? e->amount_minor : 0;
    c->conv += e->type == 3;
    c->imps += e->type == 1 && e->experiment_id == o->exp_id;
    c->clicks += e->type == 2 && e->experiment_id == o->exp_id;
    c->churned |= e->type == 5 && e->ts_ms < c->t0 + 30 * DAY_MS;
    return 0;
}

static void oracle(int64_t id, oracle_t *o)
{
    memset(o, 0, sizeof *o);
    o->exp_id = id;
    char err[256] = "";
    store_reader_t *rd = store_reader_open(DIR_, err, sizeof err);
    ck_assert_msg(rd != NULL, "%s", err);
    ck_assert_int_eq(store_reader_begin(rd, err, sizeof err), 0);
    ck_assert_int_eq(store_reader_exposures(rd, id, or_exposure, o), 0);
    for (size_t i = 1; i < o->n; i++) /* bsearch needs it; the store promises it */
        ck_assert_int_lt(strcmp(o->c[i - 1].id, o->c[i].id), 0);
    ck_assert_int_eq(store_reader_all_events(rd, or_event, o), 0);
    store_reader_end(rd);
    store_reader_destroy(&rd);
}

/* Per-arm totals of the recomputation. */
typedef struct {
    int64_t exposed, impressions, clicks, impressed, conversions, converted, revenue, refunds,
        churned;
} oarm_t;

static oarm_t oracle_arm(const oracle_t *o, int arm)
{
    oarm_t t = {0};
    for (size_t i = 0; i < o->n; i++) {
        const ocust_t *c = &o->c[i];
        if (c->arm != arm)
            continue;
        t.exposed++;
        t.impressions += c->imps;
        t.clicks += c->clicks;
        t.impressed += c->imps > 0;
        t.conversions += c->conv;
        t.converted += c->conv > 0;
        t.revenue += c->rev;
        t.refunds += c->refunds;
        t.churned += c->churned;
    }
    return t;
}

/* Per-customer revenue (y, capped above at cap when cap > 0) and 30-day pre-period revenue (x)
 * folded per arm, in customer order; conv = customers with a conversion, pay = customers with
 * revenue > 0 (lift_revenue_diff's converters). With trigger > 0 only the main fixture's
 * customers of that trigger level (cust-i has trigger 1 + (i / 2) % 2). */
static void oracle_cell(int64_t id, double cap, int trigger, lift_summary_t s[2], int64_t conv[2],
                        int64_t pay[2], int64_t n[2])
{
    oracle_t o;
    oracle(id, &o);
    lift_summary_init(&s[0]);
    lift_summary_init(&s[1]);
    conv[0] = conv[1] = pay[0] = pay[1] = n[0] = n[1] = 0;
    for (size_t i = 0; i < o.n; i++) {
        int arm = o.c[i].arm;
        ck_assert(arm == 0 || arm == 1);
        if (trigger > 0) {
            ck_assert(strncmp(o.c[i].id, "cust-", 5) == 0);
            if (1 + (atoi(o.c[i].id + 5) / 2) % 2 != trigger)
                continue;
        }
        double y = (double)o.c[i].rev;
        lift_summary_add_xy(&s[arm], cap > 0 && y > cap ? cap : y, (double)o.c[i].pre);
        conv[arm] += o.c[i].conv > 0;
        pay[arm] += o.c[i].rev > 0;
        n[arm]++;
    }
    free(o.c);
}

static void oracle_summaries(int64_t id, lift_summary_t s[2], int64_t conv[2], int64_t pay[2],
                             int64_t n[2])
{
    oracle_cell(id, 0, 0, s, conv, pay, n);
}

/* An estimate scaled by k (a per-customer difference as a total). */
static lift_estimate_t scaled(lift_estimate_t e, double k)
{
    e.estimate *= k;
    e.se *= k;
    e.ci_low *= k;
    e.ci_high *= k;
    return e;
}

static void near(double got, double want, const char *what)
{
    double tol = 1e-9 * fmax(1.0, fabs(want));
    ck_assert_msg(fabs(got - want) <= tol, "%s: got %.15g, want %.15g", what, got, want);
}

static void est_eq(const Lift__Estimate *e, const lift_estimate_t *s, const char *what)
{
    ck_assert_msg(s->status == LIFT_STAT_OK, "%s: reference not estimable: %s", what, s->reason);
    ck_assert_msg(e && e->ok, "%s: not ok: %s", what, e && e->reason ? e->reason : "(null)");
    near(e->estimate, s->estimate, what);
    near(e->se, s->se, what);
    near(e->ci_low, s->ci_low, what);
    near(e->ci_high, s->ci_high, what);
    near(e->p_value, s->p_value, what);
}

/* Every double of the message (and its sub-messages) is finite; every Estimate says ok, and a
 * not-ok one has a reason. Walks protobuf-c descriptors, so a new field is checked too. */
static int walk(const ProtobufCMessage *m)
{
    int bad = 0;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    if (d == &lift__estimate__descriptor) {
        const Lift__Estimate *e = (const Lift__Estimate *)m;
        if (!e->has_ok || (!e->ok && (!e->reason || !*e->reason)))
            bad++;
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(const void *)(base + f->quantifier_offset);
            const void *arr = *(void *const *)(const void *)(base + f->offset);
            for (size_t j = 0; j < n; j++) {
                if (f->type == PROTOBUF_C_TYPE_DOUBLE && !isfinite(((const double *)arr)[j]))
                    bad++;
                if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                    bad += walk(((ProtobufCMessage *const *)arr)[j]);
            }
        } else if (f->type == PROTOBUF_C_TYPE_DOUBLE) {
            int has = f->label != PROTOBUF_C_LABEL_OPTIONAL ||
                      *(const protobuf_c_boolean *)(const void *)(base + f->quantifier_offset);
            if (has && !isfinite(*(const double *)(const void *)(base + f->offset)))
                bad++;
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            const ProtobufCMessage *sub =
                *(ProtobufCMessage *const *)(const void *)(base + f->offset);
            if (sub)
                bad += walk(sub);
        }
    }
    return bad;
}

/* No NaN, every estimate labelled, and the message packs and unpacks. */
static void sane(const Lift__Report *r)
{
    ck_assert_int_eq(walk(&r->base), 0);
    size_t len = lift__report__get_packed_size(r);
    uint8_t *buf = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(lift__report__pack(r, buf), len);
    Lift__Report *u = lift__report__unpack(NULL, len, buf);
    ck_assert_ptr_nonnull(u);
    ck_assert_uint_eq(u->n_arms, r->n_arms);
    lift__report__free_unpacked(u, NULL);
    free(buf);
}

static int has_warning(const Lift__Report *r, const char *needle)
{
    for (size_t i = 0; i < r->health->n_warnings; i++)
        if (strstr(r->health->warnings[i], needle))
            return 1;
    return 0;
}

/* ---- core ---------------------------------------------------------------------------------- */

START_TEST(test_arms_equal_sql)
{
    const registry_entry_t *e = main_fixture();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    ck_assert_uint_eq(r->n_arms, 2);
    ck_assert_int_eq(r->provenance->from_ms, START_MS);
    ck_assert_int_eq(r->provenance->to_ms, TO_MS);
    ck_assert_str_eq(r->provenance->hash_version, "growthbook-v2");
    ck_assert_str_eq(r->provenance->currency, "EUR");
    ck_assert_str_eq(r->provenance->lift_version, LIFT_VERSION);
    ck_assert_str_eq(r->provenance->experiment->key, "rep-main");
    ck_assert_uint_eq(r->provenance->exposures_read, NC);
    ck_assert_double_eq(r->provenance->revenue_cap, 0);
    oracle_t o;
    oracle(e->id, &o);
    ck_assert_uint_eq(o.n, NC);
    oarm_t all0 = oracle_arm(&o, 0), all1 = oracle_arm(&o, 1); /* the fixture exercises each */
    ck_assert(all1.clicks > 0 && all0.conversions > 0 && all1.conversions > 0);
    ck_assert(all0.refunds + all1.refunds > 0 && all0.churned + all1.churned > 0);
    for (int a = 0; a < 2; a++) {
        const Lift__ArmSummary *s = r->arms[a];
        oarm_t t = oracle_arm(&o, a);
        ck_assert_int_eq(s->arm_index, a);
        ck_assert_int_eq((int64_t)s->exposed, t.exposed);
        ck_assert_int_eq((int64_t)s->impressions, t.impressions);
        ck_assert_int_eq((int64_t)s->clicks, t.clicks);
        ck_assert_int_eq((int64_t)s->impressed_customers, t.impressed);
        ck_assert_int_eq((int64_t)s->conversions, t.conversions);
        ck_assert_int_eq((int64_t)s->converted_customers, t.converted);
        ck_assert_int_eq(s->revenue_minor, t.revenue);
        ck_assert_int_eq(s->refunds_minor, t.refunds);
        ck_assert_int_eq((int64_t)s->churned, t.churned);
        ck_assert(s->conversion_rate->ok);
        near(s->conversion_rate->estimate, (double)s->converted_customers / (double)s->exposed,
             "conversion rate");
        ck_assert(s->nps_before->has_ok && s->nps_after->has_ok && s->nps_change->has_ok);
    }
    /* the holdout sees no offer of this experiment; the other experiment's don't count */
    ck_assert_uint_eq(r->arms[0]->impressions, 0);
    ck_assert_uint_gt(r->arms[1]->impressions, 0);
    free(o.c);
    report_free(&r);
}
END_TEST

START_TEST(test_estimates_equal_stats)
{
    const registry_entry_t *e = main_fixture();
    lift_summary_t s[2];
    int64_t conv[2], pay[2], n[2];
    oracle_summaries(e->id, s, conv, pay, n);
    ck_assert_int_eq(n[0] + n[1], NC);

    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Report *r = build_ok(e, &q);
    ck_assert_uint_eq(r->n_comparisons, 1);
    const Lift__Comparison *c = r->comparisons[0];
    ck_assert(!c->cuped);
    lift_estimate_t d = lift_revenue_diff(&s[1], &s[0], pay[1], pay[0], 0.05, 0);
    est_eq(c->revenue_diff, &d, "revenue_diff (calibrated)");
    ck_assert(!c->revenue_diff->sequential);
    lift_estimate_t welch = lift_diff_means(&s[1], &s[0], 0.05); /* not Welch's interval */
    ck_assert(fabs(c->revenue_diff->se - welch.se) > 1e-6);
    lift_estimate_t l = lift_rel_lift(&s[1], &s[0], 0.05);
    est_eq(c->relative_lift, &l, "relative_lift");
    lift_estimate_t tot = scaled(d, (double)n[1]), hc = scaled(d, (double)n[0]);
    est_eq(c->incremental_total, &tot, "incremental_total");
    est_eq(c->holdout_cost, &hc, "holdout_cost");
    ck_assert_int_eq((int64_t)c->converted_treated, pay[1]); /* the rule's converters */
    ck_assert_int_eq((int64_t)c->converted_holdout, pay[0]);
    lift_estimate_t pd = lift_prop_diff(conv[1], n[1], conv[0], n[0], 0.05);
    est_eq(c->conversion_diff, &pd, "conversion_diff");
    ck_assert(c->funnel && c->funnel->has_impression_rate);
    near(c->funnel->impression_rate,
         (double)r->arms[1]->impressed_customers / (double)r->arms[1]->exposed, "impression rate");
    ck_assert(!c->ctr_diff->ok); /* the holdout has no impressions */
    ck_assert_uint_eq(c->n_retention_treated, 3);
    ck_assert_uint_eq(c->n_retention_organic, 3);
    ck_assert_uint_eq(c->retention_treated[0]->days, 30);
    /* BH: adjusted p-values exist for the tests and are never below the raw ones */
    ck_assert(c->revenue_diff->has_p_adjusted);
    ck_assert(c->revenue_diff->p_adjusted >= c->revenue_diff->p_value - 1e-15);
    ck_assert_double_eq(c->incremental_total->p_adjusted, c->revenue_diff->p_adjusted);
    /* the last weekly point is the report itself */
    ck_assert_uint_ge(r->n_weekly, 3);
    const Lift__WeekPoint *last = r->weekly[r->n_weekly - 1];
    ck_assert_int_eq(last->end_ms, TO_MS);
    ck_assert_uint_eq(last->exposed, NC);
    est_eq(last->comparisons[0]->revenue_diff, &d, "last week");
    ck_assert_str_eq(r->weekly[0]->week, "2024-W27");
    for (size_t i = 1; i < r->n_weekly; i++)
        ck_assert_uint_ge(r->weekly[i]->exposed, r->weekly[i - 1]->exposed);
    report_free(&r);

    /* CUPED on: lift_revenue_diff_cuped on the raw revenue and pre-period revenue (non-payers
     * at 0), lift_cuped's variance reduction and adjusted relative lift; the same for the last
     * weekly point and for each trigger level (100 customers per arm) */
    q.has_cuped = 1;
    q.cuped = 1;
    Lift__Dimension dim = LIFT__DIMENSION__DIMENSION_TRIGGER;
    q.segment_by = &dim;
    q.n_segment_by = 1;
    r = build_ok(e, &q);
    c = r->comparisons[0];
    lift_cuped_t cu = lift_cuped(&s[1], &s[0], 0.05);
    ck_assert_msg(cu.status == LIFT_STAT_OK, "%s", cu.reason);
    lift_estimate_t dc = lift_revenue_diff_cuped(&s[1], &s[0], pay[1], pay[0], 0.05, 0);
    ck_assert(c->cuped);
    ck_assert(r->provenance->cuped_applied);
    est_eq(c->revenue_diff, &dc, "revenue_diff (CUPED)");
    ck_assert(fabs(dc.estimate - d.estimate) > 1e-6); /* the adjustment moved it */
    est_eq(c->relative_lift, &cu.lift, "relative_lift (CUPED)");
    near(c->variance_reduction, cu.variance_reduction, "variance reduction");
    tot = scaled(dc, (double)n[1]);
    hc = scaled(dc, (double)n[0]);
    est_eq(c->incremental_total, &tot, "CUPED total");
    est_eq(c->holdout_cost, &hc, "CUPED holdout cost");
    last = r->weekly[r->n_weekly - 1];
    est_eq(last->comparisons[0]->revenue_diff, &dc, "last week (CUPED)");
    ck_assert(last->comparisons[0]->cuped);
    int levels = 0;
    for (size_t i = 0; i < r->n_segments; i++) {
        const Lift__Segment *g = r->segments[i];
        int t = !strcmp(g->level, lift_trigger_name(1))   ? 1
                : !strcmp(g->level, lift_trigger_name(2)) ? 2
                                                          : 0;
        ck_assert_msg(t > 0, "level %s", g->level);
        lift_summary_t ls[2];
        int64_t lconv[2], lpay[2], ln[2];
        oracle_cell(e->id, 0, t, ls, lconv, lpay, ln);
        ck_assert_int_eq((int64_t)g->exposed[1], ln[1]);
        lift_estimate_t want = lift_revenue_diff_cuped(&ls[1], &ls[0], lpay[1], lpay[0], 0.05, 0);
        est_eq(g->comparisons[0]->revenue_diff, &want, "segment revenue_diff (CUPED)");
        ck_assert(g->comparisons[0]->cuped);
        levels++;
    }
    ck_assert_int_eq(levels, 2);
    report_free(&r);

    /* sequential on: the always-valid version of the same CUPED interval */
    q.has_sequential = 1;
    q.sequential = 1;
    r = build_ok(e, &q);
    c = r->comparisons[0];
    lift_estimate_t sq =
        lift_revenue_diff_cuped(&s[1], &s[0], pay[1], pay[0], 0.05, LIFT_SEQ_DEFAULT_N_STAR);
    est_eq(c->revenue_diff, &sq, "revenue_diff (CUPED, sequential)");
    ck_assert(c->revenue_diff->sequential);
    ck_assert(c->revenue_diff->ci_high - c->revenue_diff->ci_low > dc.ci_high - dc.ci_low);
    lift_estimate_t sl =
        lift_sequential(cu.lift.estimate, cu.lift.se, (double)NC, 0.05, LIFT_SEQ_DEFAULT_N_STAR);
    est_eq(c->relative_lift, &sl, "relative_lift (CUPED, sequential)");
    report_free(&r);
}
END_TEST

START_TEST(test_segments_sum)
{
    const registry_entry_t *e = main_fixture();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Dimension dims[] = {LIFT__DIMENSION__DIMENSION_TRIGGER, LIFT__DIMENSION__DIMENSION_STAGE,
                              LIFT__DIMENSION__DIMENSION_CHANNEL, LIFT__DIMENSION__DIMENSION_DELAY,
                              LIFT__DIMENSION__DIMENSION_TRIGGER};
    q.segment_by = dims;
    q.n_segment_by = 5; /* the duplicate is ignored */
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    uint64_t sum[5][2] = {{0}};
    int levels[5] = {0};
    int prev_dim = 0;
    for (size_t i = 0; i < r->n_segments; i++) {
        const Lift__Segment *s = r->segments[i];
        ck_assert_uint_eq(s->n_exposed, 2);
        ck_assert_int_ge(s->dimension, prev_dim); /* grouped by dimension, request order */
        prev_dim = s->dimension;
        for (int a = 0; a < 2; a++)
            sum[s->dimension][a] += s->exposed[a];
        levels[s->dimension]++;
        ck_assert_uint_eq(s->n_comparisons, 1);
        int small = s->exposed[0] < REPORT_MIN_SEGMENT || s->exposed[1] < REPORT_MIN_SEGMENT;
        /* The fixture's holdout has no (ghost) impressions: delay levels are never compared. */
        int untimed = s->dimension == LIFT__DIMENSION__DIMENSION_DELAY;
        ck_assert_int_eq(s->comparisons[0]->revenue_diff->ok, !small && !untimed);
        if (untimed)
            ck_assert_ptr_nonnull(
                strstr(s->comparisons[0]->revenue_diff->reason, "not randomized"));
        else if (small)
            ck_assert_ptr_nonnull(strstr(s->comparisons[0]->revenue_diff->reason, "segment"));
        else
            ck_assert(s->comparisons[0]->revenue_diff->has_p_adjusted);
    }
    for (int d = 1; d <= 4; d++)
        for (int a = 0; a < 2; a++)
            ck_assert_uint_eq(sum[d][a], r->arms[a]->exposed);
    ck_assert_int_eq(levels[1], 2);
    ck_assert_int_eq(levels[3], 5);
    ck_assert_uint_gt(r->health->small_segments, 0);
    /* trigger levels (100 per arm) are estimated and sorted by incremental total */
    const Lift__Segment *t0 = r->segments[0], *t1 = r->segments[1];
    ck_assert_int_eq(t0->dimension, LIFT__DIMENSION__DIMENSION_TRIGGER);
    ck_assert(t0->comparisons[0]->incremental_total->ok &&
              t1->comparisons[0]->incremental_total->ok);
    ck_assert(t0->comparisons[0]->incremental_total->estimate >=
              t1->comparisons[0]->incremental_total->estimate);
    ck_assert(has_warning(r, "segment"));
    report_free(&r);
}
END_TEST

/* Events before exposure are covariates, events at/after `to` are ignored, the exposure time is
 * trigger_ms, and an exposure outside the window is not in the population. */
START_TEST(test_window)
{
    const registry_entry_t *e = experiment("rep-window", 2);
    int64_t t0 = START_MS + DAY_MS;
    begin();
    expose(e->id, "a", 0, 1, 1, 1, t0);
    expose(e->id, "b", 1, 1, 1, 1, t0);
    expose(e->id, "late", 1, 1, 1, 1, TO_MS + 1);  /* after the window */
    event("a", 3, t0 - 1, 0, 0, 700, -1);          /* pre-period */
    event("a", 3, t0, 0, 0, 1000, -1);             /* at exposure: outcome */
    event("a", 3, TO_MS - 1, 0, 0, 10, -1);        /* last ms of the window */
    event("a", 3, TO_MS, 0, 0, 5000, -1);          /* at `to`: ignored */
    event("b", 3, t0 - 2 * DAY_MS, 0, 0, 300, -1); /* pre-period */
    event("b", 4, t0 + DAY_MS, 0, 0, 200, -1);     /* refund: negative revenue */
    event("b", 1, t0 - 1, e->id, 1, 0, -1);        /* impression before exposure: not counted */
    event("b", 1, t0 + 2 * 3600000, e->id, 1, 0, -1);
    event("late", 3, TO_MS + 2, 0, 0, 999, -1);
    commit();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Dimension dim = LIFT__DIMENSION__DIMENSION_DELAY;
    q.segment_by = &dim;
    q.n_segment_by = 1;
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    ck_assert_uint_eq(r->provenance->exposures_read, 3);
    ck_assert_uint_eq(r->arms[0]->exposed, 1);
    ck_assert_uint_eq(r->arms[1]->exposed, 1);
    ck_assert_int_eq(r->arms[0]->revenue_minor, 1010);
    ck_assert_int_eq(r->arms[1]->revenue_minor, -200);
    ck_assert_int_eq(r->arms[1]->refunds_minor, 200);
    ck_assert_uint_eq(r->arms[1]->impressions, 1);
    ck_assert(!r->comparisons[0]->revenue_diff->ok); /* one customer per arm */
    /* delay 2 h -> "1-24h"; the holdout has no impression */
    int seen = 0;
    for (size_t i = 0; i < r->n_segments; i++) {
        if (!strcmp(r->segments[i]->level, "1-24h")) {
            ck_assert_uint_eq(r->segments[i]->exposed[1], 1);
            seen = 1;
        }
        if (!strcmp(r->segments[i]->level, "no impression"))
            ck_assert_uint_eq(r->segments[i]->exposed[0], 1);
    }
    ck_assert(seen);
    report_free(&r);

    /* the window start moves exposures out of the population */
    q.has_from_ms = 1;
    q.from_ms = t0 + 1;
    r = build_ok(e, &q);
    ck_assert_uint_eq(r->arms[0]->exposed + r->arms[1]->exposed, 0);
    report_free(&r);
}
END_TEST

/* ---- limits: degenerate experiments ------------------------------------------------------ */

START_TEST(test_no_exposures)
{
    const registry_entry_t *e = experiment("rep-empty", 3);
    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
    Lift__Dimension dims[] = {LIFT__DIMENSION__DIMENSION_TRIGGER, LIFT__DIMENSION__DIMENSION_DELAY};
    q.segment_by = dims;
    q.n_segment_by = 2;
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    ck_assert_uint_eq(r->n_arms, 3);
    ck_assert_uint_eq(r->n_comparisons, 2);
    ck_assert_uint_eq(r->n_segments, 0);
    for (size_t i = 0; i < r->n_comparisons; i++) {
        ck_assert(!r->comparisons[i]->revenue_diff->ok);
        ck_assert(!r->comparisons[i]->conversion_diff->ok);
        ck_assert(!r->comparisons[i]->relative_lift->ok);
    }
    ck_assert(r->health->srm->skipped);
    ck_assert(has_warning(r, "no exposed customers"));
    ck_assert_uint_ge(r->n_weekly, 1);
    report_free(&r);
}
END_TEST

START_TEST(test_one_arm_empty)
{
    const registry_entry_t *e = experiment("rep-onearm", 2);
    begin();
    for (int i = 0; i < 50; i++) {
        char c[16];
        snprintf(c, sizeof c, "h%d", i);
        expose(e->id, c, 0, 1, 1, 1, START_MS + i * 60000);
        if (i % 3 == 0)
            event(c, 3, START_MS + i * 60000 + 10, 0, 0, 100 + i, -1);
    }
    commit();
    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
    Lift__Dimension dim = LIFT__DIMENSION__DIMENSION_STAGE;
    q.segment_by = &dim;
    q.n_segment_by = 1;
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    ck_assert_uint_eq(r->arms[1]->exposed, 0);
    ck_assert(!r->comparisons[0]->revenue_diff->ok);
    ck_assert(!r->comparisons[0]->incremental_total->ok);
    ck_assert(!r->health->has_impression_rate);
    ck_assert(has_warning(r, "arm 1 (offer) has no exposed customers"));
    report_free(&r);
}
END_TEST

START_TEST(test_no_conversions_and_zero_holdout)
{
    const registry_entry_t *e = experiment("rep-zero", 2);
    begin();
    for (int i = 0; i < 300; i++) {
        char c[16];
        snprintf(c, sizeof c, "z%d", i);
        expose(e->id, c, i % 2, 1, 1, 1, START_MS + i * 60000);
    }
    commit();
    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
    Lift__Dimension dim = LIFT__DIMENSION__DIMENSION_TRIGGER;
    q.segment_by = &dim;
    q.n_segment_by = 1;
    Lift__Report *r = build_ok(e, &q); /* no conversions at all */
    sane(r);
    const Lift__Comparison *c = r->comparisons[0];
    ck_assert(!c->revenue_diff->ok && c->revenue_diff->reason && *c->revenue_diff->reason);
    ck_assert(!c->relative_lift->ok);
    ck_assert(!c->conversion_diff->ok || c->conversion_diff->estimate == 0);
    ck_assert_uint_eq(r->arms[0]->converted_customers, 0);
    ck_assert(r->arms[0]->conversion_rate->ok); /* Wilson at 0/150 is fine */
    ck_assert(has_warning(r, "impression rate 0% is low"));
    ck_assert(r->health->low_impression_rate);
    report_free(&r);

    /* treated customers convert, the holdout does not: fewer than LIFT_MIN_CONVERTERS payers in
     * the holdout, so no revenue interval is printed (calibrated or silent) */
    begin();
    for (int i = 1; i < 300; i += 2) {
        char c2[16];
        snprintf(c2, sizeof c2, "z%d", i);
        event(c2, 3, START_MS + i * 60000 + 5, 0, 0, 1000 + i, -1);
    }
    commit();
    r = build_ok(e, &q);
    sane(r);
    c = r->comparisons[0];
    ck_assert(!c->revenue_diff->ok);
    ck_assert_ptr_nonnull(strstr(c->revenue_diff->reason, "too few converters"));
    ck_assert(!c->incremental_total->ok && !c->relative_lift->ok && !c->holdout_cost->ok);
    ck_assert_ptr_nonnull(c->relative_lift->reason);
    ck_assert(!r->health->has_power_reached);
    report_free(&r);
}
END_TEST

/* The cap is a percentile of the customers with revenue > 0 (GrowthBook's "ignore zeros"):
 * with one buyer in 2,000 customers the pooled p99.9 was 4.90 and ate the 4,900 upgrade. */
START_TEST(test_cap)
{
    const registry_entry_t *e = experiment("rep-cap", 2);
    begin();
    for (int i = 0; i < 2000; i++) {
        char c[16];
        snprintf(c, sizeof c, "k%d", i);
        expose(e->id, c, i % 2, 1, 1, 1, START_MS + i * 60000);
    }
    event("k1", 3, START_MS + 60000 + 5, 0, 0, 4900, -1); /* the only buyer, arm 1 */
    commit();
    Lift__ReportRequest q;
    exact_req(&q);
    q.revenue_cap_percentile = 99.9;
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    ck_assert_double_eq(r->provenance->revenue_cap, 4900); /* the one payment: nothing capped */
    ck_assert_uint_eq(r->provenance->capped_customers, 0);
    near(r->arms[1]->revenue_per_customer, 4900.0 / 1000, "per customer, one buyer");
    ck_assert_ptr_nonnull(strstr(r->provenance->revenue_cap_rule, "revenue > 0"));
    report_free(&r);

    /* many buyers: the cap is lift_cap over the payers; capped customers counted; the capped
     * and the uncapped differences are lift_revenue_diff on the capped and uncapped values */
    const registry_entry_t *m = main_fixture();
    lift_summary_t s[2];
    int64_t conv[2], pay[2], n[2];
    oracle_summaries(m->id, s, conv, pay, n);
    exact_req(&q);
    q.revenue_cap_percentile = 95;
    r = build_ok(m, &q);
    sane(r);
    oracle_t o; /* customers with revenue > 0 in the window, from the stored facts */
    oracle(m->id, &o);
    double pos[NC];
    size_t np = 0;
    for (size_t i = 0; i < o.n && np < NC; i++)
        if (o.c[i].rev > 0)
            pos[np++] = (double)o.c[i].rev;
    free(o.c);
    lift_cap_t want = lift_cap(pos, np, 0.95);
    ck_assert(want.status == LIFT_STAT_OK);
    near(r->provenance->revenue_cap, want.cap, "cap over payers");
    uint64_t over = 0;
    for (size_t i = 0; i < np; i++)
        over += pos[i] > want.cap;
    ck_assert_uint_gt(over, 0);
    ck_assert_uint_eq(r->provenance->capped_customers, over);
    ck_assert_uint_eq(r->arms[0]->capped_customers + r->arms[1]->capped_customers, over);
    lift_estimate_t unc = lift_revenue_diff(&s[1], &s[0], pay[1], pay[0], 0.05, 0);
    est_eq(r->comparisons[0]->revenue_diff_uncapped, &unc, "uncapped difference");
    lift_summary_t cs[2];
    int64_t cconv[2], cpay[2], cn[2];
    oracle_cell(m->id, want.cap, 0, cs, cconv, cpay, cn);
    ck_assert_int_eq(cpay[0], pay[0]);
    lift_estimate_t capd = lift_revenue_diff(&cs[1], &cs[0], cpay[1], cpay[0], 0.05, 0);
    est_eq(r->comparisons[0]->revenue_diff, &capd, "capped difference");
    ck_assert(fabs(capd.estimate - unc.estimate) > 1e-6);
    near(r->arms[1]->revenue_per_customer_uncapped, s[1].mean_y, "uncapped mean");
    ck_assert(r->arms[1]->revenue_per_customer < r->arms[1]->revenue_per_customer_uncapped);
    ck_assert(has_warning(r, "lowered"));
    ck_assert(has_warning(r, "revenue cap EUR ")); /* in the currency, not minor units */
    report_free(&r);
}
END_TEST

/* CUPED requested without pre-exposure revenue: the provenance says it was not applied, why. */
START_TEST(test_cuped_not_applied)
{
    const registry_entry_t *e = experiment("rep-nocuped", 2);
    begin();
    for (int i = 0; i < 200; i++) {
        char c[16];
        snprintf(c, sizeof c, "u%d", i);
        expose(e->id, c, i % 2, 1, 1, 1, START_MS + i * 60000);
        if (i % 5 == 0)
            event(c, 3, START_MS + i * 60000 + 9, 0, 0, 1000 + 37 * i, -1);
    }
    commit();
    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT; /* CUPED on by default */
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    ck_assert(r->provenance->cuped);          /* requested */
    ck_assert(!r->provenance->cuped_applied); /* not applied */
    ck_assert_ptr_nonnull(r->provenance->cuped_note);
    ck_assert_ptr_nonnull(strstr(r->provenance->cuped_note, "CUPED requested, not applied"));
    ck_assert_ptr_nonnull(strstr(r->provenance->cuped_note, "pre-exposure revenue"));
    ck_assert(!r->comparisons[0]->cuped);
    ck_assert(has_warning(r, "CUPED requested, not applied"));
    report_free(&r);
    /* the comparison says why, and its difference is the plain lift_revenue_diff */
    exact_req(&q);
    q.cuped = 1;
    r = build_ok(e, &q);
    const Lift__Comparison *c = r->comparisons[0];
    ck_assert(!c->cuped && !c->has_variance_reduction);
    ck_assert_ptr_nonnull(c->cuped_note);
    ck_assert_ptr_nonnull(strstr(c->cuped_note, "no pre-period data"));
    lift_summary_t s[2];
    int64_t conv[2], pay[2], n[2];
    oracle_summaries(e->id, s, conv, pay, n);
    lift_estimate_t plain = lift_revenue_diff(&s[1], &s[0], pay[1], pay[0], 0.05, 0);
    est_eq(c->revenue_diff, &plain, "revenue_diff (CUPED not applied)");
    lift_estimate_t l = lift_rel_lift(&s[1], &s[0], 0.05);
    est_eq(c->relative_lift, &l, "relative_lift (CUPED not applied)");
    report_free(&r);
    /* with pre-exposure revenue it is applied and says so */
    const registry_entry_t *m = main_fixture();
    r = build_ok(m, &q);
    ck_assert(r->provenance->cuped_applied);
    ck_assert_ptr_null(r->provenance->cuped_note);
    report_free(&r);
}
END_TEST

/* Outcomes read but not counted are counted and named: before exposure, after the window. */
START_TEST(test_outcomes_not_counted)
{
    const registry_entry_t *e = experiment("rep-early", 2);
    begin();
    for (int i = 0; i < 40; i++) {
        char c[16];
        snprintf(c, sizeof c, "w%d", i);
        int64_t t0 = START_MS + 10 * DAY_MS + i * 60000;
        expose(e->id, c, i % 2, 1, 1, 1, t0);
        event(c, 3, t0 - 2 * DAY_MS, 0, 0, 500, -1);  /* before exposure, in the lookback */
        event(c, 3, t0 - 40 * DAY_MS, 0, 0, 500, -1); /* before the lookback: not even read */
        if (i < 3)
            event(c, 3, TO_MS + DAY_MS, 0, 0, 700, -1); /* after the window */
    }
    commit();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    ck_assert_int_eq(r->arms[0]->revenue_minor + r->arms[1]->revenue_minor, 0);
    ck_assert_uint_eq(r->health->outcome_events_in_lookback, 40);
    ck_assert_uint_eq(r->health->outcome_events_before_exposure, 40);
    ck_assert_uint_eq(r->health->outcome_events_after_window, 3);
    ck_assert(has_warning(r, "43 conversion/refund event(s) of exposed customers were read but "
                             "not counted"));
    ck_assert(has_warning(r, "40 before the customer's exposure (40 of them in the 30-day"));
    ck_assert(has_warning(r, "no conversion or refund falls in any exposed customer"));
    report_free(&r);
}
END_TEST

/* Power: warned against the MDE the team set; against the silent 5% default only when the
 * result is not significant, and then named as the default. */
START_TEST(test_power_needs_mde)
{
    const registry_entry_t *e = experiment("rep-power", 2);
    begin();
    for (int i = 0; i < 400; i++) { /* a large, clear effect: +300 per customer */
        char c[16];
        snprintf(c, sizeof c, "p%d", i);
        int64_t t0 = START_MS + i * 60000;
        expose(e->id, c, i % 2, 1, 1, 1, t0);
        if (i % 4 < 2)
            event(c, 3, t0 + 5, 0, 0, (i % 2 ? 900 : 300) + 7 * (i % 13), -1);
    }
    commit();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Report *r = build_ok(e, &q); /* registry default mde 5% */
    ck_assert(r->comparisons[0]->revenue_diff->p_value < 0.001);
    ck_assert(!r->health->mde_set);
    ck_assert(r->health->has_power_reached && r->health->power_reached < 0.8);
    ck_assert(!has_warning(r, "power")); /* significant: no "underpowered" */
    report_free(&r);
    /* the same data with an MDE the team set: warned, naming analysis.mde */
    Lift__Analysis an = *e->def->analysis;
    an.has_mde = 1;
    an.mde = 0.01;
    Lift__Experiment x = *e->def;
    x.analysis = &an;
    Lift__Report *r2 = NULL;
    status_t st;
    ck_assert_int_eq(report_build(RD, &x, e->id, &q, "EUR", NOW_MS, &r2, &st), 0);
    ck_assert(r2->health->mde_set);
    ck_assert(r2->health->power_reached < 0.8);
    ck_assert(has_warning(r2, "minimum effect of 1% (analysis.mde)"));
    report_free(&r2);
    /* default MDE and no significant result: warned, named as the default */
    const registry_entry_t *m = main_fixture();
    Lift__Report *r3 = build_ok(m, &q);
    if (r3->comparisons[0]->revenue_diff->p_value >= 0.05 && r3->health->power_reached < 0.8)
        ck_assert(has_warning(r3, "default analysis.mde"));
    report_free(&r3);
}
END_TEST

/* Two families: the headline's adjusted p does not move with --segment-by; the same hypothesis
 * is counted once; segments are exploratory. */
START_TEST(test_families)
{
    const registry_entry_t *e = main_fixture();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Report *r = build_ok(e, &q);
    const Lift__Comparison *c = r->comparisons[0];
    double padj = c->revenue_diff->p_adjusted;
    ck_assert(c->revenue_diff->has_p_adjusted);
    ck_assert_int_eq(c->revenue_diff->family, LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY);
    /* one arm, one confirmatory test: adjusted = raw */
    ck_assert_double_eq(padj, c->revenue_diff->p_value);
    ck_assert_uint_eq(r->testing->confirmatory_tests, 1);
    ck_assert_int_eq(r->testing->method, LIFT__ADJUSTMENT__ADJUSTMENT_BH);
    ck_assert_double_eq(c->relative_lift->p_adjusted, padj);
    ck_assert_double_eq(c->cace->ok ? c->cace->p_adjusted : padj, padj);
    ck_assert_double_eq(c->net_incremental->p_adjusted, padj); /* cost 0: same hypothesis */
    ck_assert_int_eq(c->conversion_diff->family, LIFT__TEST_FAMILY__FAMILY_EXPLORATORY);
    uint32_t expl = r->testing->exploratory_tests;
    report_free(&r);

    Lift__Dimension dims[] = {LIFT__DIMENSION__DIMENSION_TRIGGER, LIFT__DIMENSION__DIMENSION_STAGE};
    q.segment_by = dims;
    q.n_segment_by = 2;
    r = build_ok(e, &q);
    c = r->comparisons[0];
    ck_assert_double_eq(c->revenue_diff->p_adjusted, padj);
    ck_assert_uint_gt(r->testing->exploratory_tests, expl);
    for (size_t i = 0; i < r->n_segments; i++) {
        const Lift__Estimate *s = r->segments[i]->comparisons[0]->revenue_diff;
        if (s->ok)
            ck_assert_int_eq(s->family, LIFT__TEST_FAMILY__FAMILY_EXPLORATORY);
    }
    report_free(&r);
}
END_TEST

/* NPS: a between-arm difference with interval and test; per-arm NPS has no p-value. */
START_TEST(test_nps_diff)
{
    const registry_entry_t *e = experiment("rep-nps", 2);
    lift_nps_counts_t cnt[2] = {{0, 0, 0}, {0, 0, 0}};
    begin();
    for (int i = 0; i < 120; i++) {
        char c[16];
        snprintf(c, sizeof c, "n%d", i);
        int arm = i % 2;
        int64_t t0 = START_MS + i * 60000;
        expose(e->id, c, arm, 1, 1, 1, t0);
        int ans = arm ? (i * 7) % 11 : (i * 3) % 9;
        event(c, 6, t0 + DAY_MS, 0, 0, 0, ans);
        lift_nps_add(&cnt[arm], ans);
    }
    commit();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    lift_estimate_t d = lift_nps_diff(&cnt[1], &cnt[0], 0.05);
    est_eq(r->comparisons[0]->nps_diff, &d, "nps_diff");
    ck_assert(r->arms[1]->nps_after->ok);
    ck_assert(!r->arms[1]->nps_after->has_p_value);
    ck_assert(!r->arms[1]->nps_before->has_p_value);
    ck_assert_uint_eq(r->arms[1]->nps_after_n, 60);
    ck_assert_int_eq(r->comparisons[0]->nps_diff->family, LIFT__TEST_FAMILY__FAMILY_EXPLORATORY);
    report_free(&r);
}
END_TEST

/* With sequential on, CACE, conversion and churn get the always-valid interval too. */
START_TEST(test_sequential_everywhere)
{
    const registry_entry_t *e = main_fixture();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Report *fixed = build_ok(e, &q);
    q.sequential = 1;
    Lift__Report *r = build_ok(e, &q);
    const Lift__Comparison *f = fixed->comparisons[0], *c = r->comparisons[0];
    double n = (double)(r->arms[0]->exposed + r->arms[1]->exposed);
    const Lift__Estimate *pairs[][2] = {{f->conversion_diff, c->conversion_diff},
                                        {f->churn_diff, c->churn_diff},
                                        {f->cace, c->cace}};
    for (int i = 0; i < 3; i++) {
        const Lift__Estimate *a = pairs[i][0], *b = pairs[i][1];
        if (!a->ok)
            continue;
        ck_assert(!a->sequential);
        ck_assert_msg(b->ok && b->sequential, "estimate %d not sequential", i);
        lift_estimate_t want = lift_sequential(a->estimate, a->se, n, 0.05, 0);
        near(b->ci_low, want.ci_low, "sequential low");
        near(b->ci_high, want.ci_high, "sequential high");
        ck_assert(b->ci_high - b->ci_low > a->ci_high - a->ci_low);
    }
    ck_assert(!has_warning(r, "fixed-horizon"));
    ck_assert(has_warning(fixed, "18.7%"));
    report_free(&fixed);
    report_free(&r);
}
END_TEST

/* Not-estimable levels come after the estimated ones, in the levels' own order. */
START_TEST(test_segment_order)
{
    const registry_entry_t *e = main_fixture();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Dimension dims[] = {LIFT__DIMENSION__DIMENSION_DELAY};
    q.segment_by = dims;
    q.n_segment_by = 1;
    Lift__Report *r = build_ok(e, &q);
    static const char *const order[] = {"<1h", "1-24h", "1-7d", ">7d", "no impression"};
    int last = -1;
    for (size_t i = 0; i < r->n_segments; i++) {
        int k = -1;
        for (int j = 0; j < 5; j++)
            if (!strcmp(r->segments[i]->level, order[j]))
                k = j;
        ck_assert_msg(k > last, "delay level %s out of order", r->segments[i]->level);
        last = k;
    }
    report_free(&r);
}
END_TEST

/* Two clocks: a sender 10 minutes behind liftd stamps the first outcomes after exposure just
 * before it. They count as pre-exposure (by the documented rule) and the report says why. */
START_TEST(test_sender_clock_behind_is_flagged)
{
    const registry_entry_t *e = experiment("rep-skew", 2);
    begin();
    for (int i = 0; i < 40; i++) {
        char c[16];
        snprintf(c, sizeof c, "k%d", i);
        int64_t t0 = START_MS + i * 60000;
        expose(e->id, c, i % 2, 1, 1, 1, t0);
        /* bought 5 minutes after the offer, stamped by a clock 10 minutes behind */
        event(c, 3, t0 + 5 * 60000 - 10 * 60000, 0, 0, 4900, -1);
        if (i % 8 == 0) /* a few honest ones half an hour after */
            event(c, 3, t0 + 30 * 60000, 0, 0, 4900, -1);
    }
    commit();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    ck_assert_uint_eq(r->health->outcome_events_hour_before_exposure, 40);
    ck_assert_uint_eq(r->health->outcome_events_hour_after_exposure, 5);
    ck_assert_uint_ge(r->health->outcome_events_before_exposure, 40);
    ck_assert(has_warning(r, "clock runs behind"));
    ck_assert(r->comparisons[0]->revenue_diff->has_unit); /* units on a report built here too */
    report_free(&r);
}
END_TEST

/* Health: pre-period imbalance, impressions logged for another arm, SRM within a segment. */
START_TEST(test_health_checks)
{
    const registry_entry_t *e = experiment("rep-health", 2);
    begin();
    for (int i = 0; i < 400; i++) {
        char c[16];
        snprintf(c, sizeof c, "h%d", i);
        int arm = i % 2;
        /* channel 1: balanced; channel 2: 3 of 4 customers in arm 1 */
        int channel = i < 200 ? 1 : 2;
        if (channel == 2)
            arm = i % 4 != 0;
        int64_t t0 = START_MS + i * 60000;
        expose(e->id, c, arm, 1, 1, channel, t0);
        event(c, 3, t0 - DAY_MS, 0, 0, arm ? 5000 + 13 * i : 100 + i, -1); /* imbalanced */
        if (arm && i % 10 == 1)
            event(c, 1, t0 + 1000, e->id, 0, 0, -1); /* impression logged for the holdout */
        if (arm && i % 10 == 3)
            event(c, 1, t0 + 1000, e->id, 1, 0, -1); /* the right arm */
    }
    commit();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Dimension dim = LIFT__DIMENSION__DIMENSION_CHANNEL;
    q.segment_by = &dim;
    q.n_segment_by = 1;
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    const Lift__Estimate *pre = r->comparisons[0]->pre_period_diff;
    ck_assert(pre->ok && pre->p_value < 0.001);
    ck_assert(has_warning(r, "pre-period imbalance"));
    uint64_t want = 0;
    for (int i = 0; i < 400; i++) {
        int arm = i < 200 ? i % 2 : i % 4 != 0;
        want += arm && i % 10 == 1;
    }
    ck_assert_uint_eq(r->health->impressions_other_arm, want);
    ck_assert_uint_eq(r->health->customers_other_arm, want);
    ck_assert(has_warning(r, "logged for another arm"));
    ck_assert_uint_ge(r->health->segment_srm_mismatches, 1);
    ck_assert(has_warning(r, "channel="));
    int checked = 0;
    for (size_t i = 0; i < r->n_segments; i++) {
        const Lift__Srm *s = r->segments[i]->srm;
        ck_assert_ptr_nonnull(s);
        int64_t o[2] = {(int64_t)r->segments[i]->exposed[0], (int64_t)r->segments[i]->exposed[1]};
        double wt[2] = {0.5, 0.5};
        lift_srm_t ref = lift_srm(o, wt, 2);
        near(s->p_value, ref.p_value, "segment srm p");
        ck_assert_int_eq(s->mismatch, ref.mismatch);
        checked++;
    }
    ck_assert_int_eq(checked, 2);
    report_free(&r);
}
END_TEST

/* Three triggers of 150 per arm, an unequal split (holdout 1 in 3): per customer values kept
 * here so the revenue differences, heterogeneity and shrinkage can be recomputed. */
#define SEG_N 1200
static double seg_y[SEG_N];
static int seg_arm[SEG_N], seg_trig[SEG_N];

static const registry_entry_t *segment_fixture(const char *key, int few_payers_level)
{
    const registry_entry_t *e = experiment(key, 2);
    rs = 777;
    begin();
    for (int i = 0; i < SEG_N; i++) {
        char c[32];
        snprintf(c, sizeof c, "s-%04d", i);
        int arm = i % 3 != 0;
        int trig = 1 + (i / 3) % 3;
        int64_t t0 = START_MS + (int64_t)i * 60000;
        expose(e->id, c, arm, trig, 1, 1, t0);
        seg_arm[i] = arm;
        seg_trig[i] = trig;
        seg_y[i] = 0;
        unsigned pct = trig == few_payers_level ? 1 : 20 + 5u * (unsigned)trig;
        if (rnd(100) < pct) {
            int64_t amt = 500 + rnd(2000) + (arm ? 300 * trig : 0);
            if (rnd(10) == 0)
                amt *= 8; /* a skewed tail */
            event(c, 3, t0 + 5, 0, 0, amt, -1);
            seg_y[i] = (double)amt;
        }
    }
    commit();
    return e;
}

/* Every printed revenue interval is lift_revenue_diff's; a segment with too few payers is
 * silent ("too few converters"). */
START_TEST(test_calibrated_or_silent)
{
    const registry_entry_t *e = segment_fixture("rep-calib", 3);
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Dimension dim = LIFT__DIMENSION__DIMENSION_TRIGGER;
    q.segment_by = &dim;
    q.n_segment_by = 1;
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    lift_summary_t s[2], lv[4][2];
    int64_t pay[2] = {0, 0}, lpay[4][2] = {{0}};
    lift_summary_init(&s[0]);
    lift_summary_init(&s[1]);
    for (int t = 0; t < 4; t++)
        lift_summary_init(&lv[t][0]), lift_summary_init(&lv[t][1]);
    for (int i = 0; i < SEG_N; i++) {
        lift_summary_add(&s[seg_arm[i]], seg_y[i]);
        lift_summary_add(&lv[seg_trig[i]][seg_arm[i]], seg_y[i]);
        pay[seg_arm[i]] += seg_y[i] > 0;
        lpay[seg_trig[i]][seg_arm[i]] += seg_y[i] > 0;
    }
    lift_estimate_t want = lift_revenue_diff(&s[1], &s[0], pay[1], pay[0], 0.05, 0);
    est_eq(r->comparisons[0]->revenue_diff, &want, "revenue_diff (calibrated)");
    /* unequal arms and skewed revenue: the interval is not Welch's symmetric one */
    lift_estimate_t welch = lift_diff_means(&s[1], &s[0], 0.05);
    ck_assert(fabs(r->comparisons[0]->revenue_diff->ci_low - welch.ci_low) > 1e-6);
    near(r->comparisons[0]->incremental_total->ci_high, want.ci_high * (double)r->arms[1]->exposed,
         "total from the calibrated interval");
    ck_assert_uint_eq(r->provenance->min_converters, LIFT_MIN_CONVERTERS);
    int silent = 0;
    for (size_t i = 0; i < r->n_segments; i++) {
        const Lift__Segment *g = r->segments[i];
        const Lift__Comparison *c = g->comparisons[0];
        int t = !strcmp(g->level, lift_trigger_name(1))   ? 1
                : !strcmp(g->level, lift_trigger_name(2)) ? 2
                                                          : 3;
        if (t == 3) { /* ~1% payers: fewer than K in the holdout */
            ck_assert(lpay[3][0] < LIFT_MIN_CONVERTERS);
            ck_assert(!c->revenue_diff->ok && !c->incremental_total->ok);
            ck_assert_ptr_nonnull(strstr(c->revenue_diff->reason, "too few converters"));
            ck_assert_uint_eq(c->converted_holdout, (uint64_t)lpay[3][0]);
            silent = 1;
        } else {
            lift_estimate_t w =
                lift_revenue_diff(&lv[t][1], &lv[t][0], lpay[t][1], lpay[t][0], 0.05, 0);
            est_eq(c->revenue_diff, &w, "segment revenue_diff");
        }
    }
    ck_assert(silent);
    /* the silent level comes last */
    ck_assert(!r->segments[r->n_segments - 1]->comparisons[0]->revenue_diff->ok);
    report_free(&r);

    /* sequential: the always-valid version of the same calibrated interval */
    q.sequential = 1;
    r = build_ok(e, &q);
    want = lift_revenue_diff(&s[1], &s[0], pay[1], pay[0], 0.05, LIFT_SEQ_DEFAULT_N_STAR);
    est_eq(r->comparisons[0]->revenue_diff, &want, "revenue_diff (calibrated, sequential)");
    ck_assert(r->comparisons[0]->revenue_diff->sequential);
    report_free(&r);
}
END_TEST

/* Heterogeneity and shrinkage per dimension: lift_heterogeneity / lift_eb_shrink over the
 * levels' revenue differences; levels sorted by the shrunken incremental total. */
START_TEST(test_heterogeneity_shrinkage)
{
    const registry_entry_t *e = segment_fixture("rep-shrink", 0);
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Dimension dim = LIFT__DIMENSION__DIMENSION_TRIGGER;
    q.segment_by = &dim;
    q.n_segment_by = 1;
    Lift__Report *r = build_ok(e, &q);
    sane(r);
    ck_assert_uint_eq(r->n_segments, 3);
    double est_v[3], se_v[3];
    for (int i = 0; i < 3; i++) {
        const Lift__Estimate *d = r->segments[i]->comparisons[0]->revenue_diff;
        ck_assert(d->ok);
        est_v[i] = d->estimate;
        se_v[i] = d->se;
    }
    lift_heterogeneity_t h = lift_heterogeneity(est_v, se_v, 3);
    ck_assert_uint_eq(r->n_heterogeneity, 1);
    const Lift__Heterogeneity *hm = r->heterogeneity[0];
    ck_assert(hm->ok);
    ck_assert_int_eq(hm->dimension, LIFT__DIMENSION__DIMENSION_TRIGGER);
    ck_assert_int_eq(hm->arm_index, 1);
    near(hm->q, h.q, "Q");
    near(hm->p_value, h.p_value, "Q p");
    near(hm->i2, h.i2, "I2");
    near(hm->tau2, h.tau2, "tau2");
    lift_estimate_t sh[3];
    ck_assert(lift_eb_shrink(est_v, se_v, 3, 0.05, sh).status == LIFT_STAT_OK);
    double prev = INFINITY;
    for (int i = 0; i < 3; i++) {
        const Lift__Comparison *c = r->segments[i]->comparisons[0];
        est_eq(c->revenue_diff_shrunk, &sh[i], "shrunken");
        double nt = (double)r->segments[i]->exposed[1];
        near(c->incremental_total_shrunk->estimate, sh[i].estimate * nt, "shrunken total");
        ck_assert(c->incremental_total_shrunk->estimate <= prev); /* sorted by it */
        prev = c->incremental_total_shrunk->estimate;
    }
    report_free(&r);
    /* sequential: the shrunken interval takes the always-valid multiplier too */
    q.sequential = 1;
    r = build_ok(e, &q);
    for (int i = 0; i < 3; i++) {
        const Lift__Estimate *d = r->segments[i]->comparisons[0]->revenue_diff;
        est_v[i] = d->estimate;
        se_v[i] = d->se;
    }
    ck_assert(lift_eb_shrink(est_v, se_v, 3, 0.05, sh).status == LIFT_STAT_OK);
    for (int i = 0; i < 3; i++) {
        const Lift__Comparison *c = r->segments[i]->comparisons[0];
        double n = (double)(r->segments[i]->exposed[0] + r->segments[i]->exposed[1]);
        lift_estimate_t w = lift_sequential(sh[i].estimate, sh[i].se, n, 0.05, 0);
        est_eq(c->revenue_diff_shrunk, &w, "shrunken, sequential");
        ck_assert(c->revenue_diff_shrunk->sequential);
    }
    report_free(&r);
}
END_TEST

/* Holm instead of BH: never smaller than BH's adjusted p; the method is stated. */
START_TEST(test_holm)
{
    const registry_entry_t *e = main_fixture();
    Lift__ReportRequest q;
    exact_req(&q);
    Lift__Dimension dims[] = {LIFT__DIMENSION__DIMENSION_TRIGGER};
    q.segment_by = dims;
    q.n_segment_by = 1;
    Lift__Report *bh = build_ok(e, &q);
    q.has_adjust = 1;
    q.adjust = LIFT__ADJUSTMENT__ADJUSTMENT_HOLM;
    Lift__Report *ho = build_ok(e, &q);
    ck_assert_int_eq(ho->testing->method, LIFT__ADJUSTMENT__ADJUSTMENT_HOLM);
    ck_assert_int_eq(bh->testing->method, LIFT__ADJUSTMENT__ADJUSTMENT_BH);
    const Lift__Comparison *a = bh->comparisons[0], *b = ho->comparisons[0];
    ck_assert_double_eq(a->revenue_diff->p_adjusted, b->revenue_diff->p_adjusted); /* m = 1 */
    const Lift__Estimate *x[] = {a->conversion_diff, a->churn_diff};
    const Lift__Estimate *y[] = {b->conversion_diff, b->churn_diff};
    int stricter = 0;
    for (int i = 0; i < 2; i++)
        if (x[i]->ok) {
            ck_assert(y[i]->p_adjusted >= x[i]->p_adjusted - 1e-15);
            stricter |= y[i]->p_adjusted > x[i]->p_adjusted;
        }
    for (size_t i = 0; i < bh->n_segments; i++) {
        const Lift__Estimate *s1 = bh->segments[i]->comparisons[0]->revenue_diff;
        const Lift__Estimate *s2 = ho->segments[i]->comparisons[0]->revenue_diff;
        if (s1->ok) {
            ck_assert(s2->p_adjusted >= s1->p_adjusted - 1e-15);
            stricter |= s2->p_adjusted > s1->p_adjusted;
        }
    }
    ck_assert(stricter);
    report_free(&bh);
    report_free(&ho);
    Lift__ReportRequest bad = LIFT__REPORT_REQUEST__INIT;
    bad.has_adjust = 1;
    bad.adjust = (Lift__Adjustment)7;
    Lift__Report *r = NULL;
    status_t st;
    ck_assert_int_eq(report_build(RD, e->def, e->id, &bad, "EUR", NOW_MS, &r, &st), -1);
    ck_assert_str_eq(st.field, "report.adjust");
}
END_TEST

/* ---- errors -------------------------------------------------------------------------------- */

START_TEST(test_validation)
{
    const registry_entry_t *e = experiment("rep-valid", 2);
    static const uint32_t days9[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const uint32_t days0[2] = {30, 0};
    static const uint32_t days400[1] = {400};
    Lift__Dimension baddim[2] = {LIFT__DIMENSION__DIMENSION_STAGE, (Lift__Dimension)9};
    struct {
        const char *field;
        int kind;
    } rows[] = {
        {"report.alpha", 0},
        {"report.alpha", 1},
        {"report.to_ms", 2},
        {"report.revenue_cap_percentile", 3},
        {"report.revenue_cap_percentile", 4},
        {"report.retention_days", 5},
        {"report.retention_days[1]", 6},
        {"report.retention_days[0]", 7},
        {"report.segment_by[1]", 8},
        {"report.n_star", 9},
        {"report.cuped_lookback_days", 10},
        {"report.cuped_lookback_days", 11},
        {"report.cost_per_attempt_minor", 12},
        {"report.from_ms", 13},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
        switch (rows[i].kind) {
        case 0:
            q.has_alpha = 1;
            q.alpha = 0.7;
            break;
        case 1:
            q.has_alpha = 1;
            q.alpha = 0;
            break;
        case 2:
            q.has_from_ms = q.has_to_ms = 1;
            q.from_ms = START_MS;
            q.to_ms = START_MS;
            break;
        case 3:
            q.has_revenue_cap_percentile = 1;
            q.revenue_cap_percentile = 50;
            break;
        case 4:
            q.has_revenue_cap_percentile = 1;
            q.revenue_cap_percentile = 100.5;
            break;
        case 5:
            q.retention_days = (uint32_t *)days9;
            q.n_retention_days = 9;
            break;
        case 6:
            q.retention_days = (uint32_t *)days0;
            q.n_retention_days = 2;
            break;
        case 7:
            q.retention_days = (uint32_t *)days400;
            q.n_retention_days = 1;
            break;
        case 8:
            q.segment_by = baddim;
            q.n_segment_by = 2;
            break;
        case 9:
            q.has_n_star = 1;
            q.n_star = 0;
            break;
        case 10:
            q.has_cuped_lookback_days = 1;
            q.cuped_lookback_days = 0;
            break;
        case 11:
            q.has_cuped_lookback_days = 1;
            q.cuped_lookback_days = 366;
            break;
        case 12:
            q.has_cost_per_attempt_minor = 1;
            q.cost_per_attempt_minor = -1;
            break;
        case 13:
            q.has_from_ms = 1;
            q.from_ms = -5;
            break; /* 0..2000 read from the start */
        }
        Lift__Report *r = (Lift__Report *)&q; /* must be reset to NULL */
        status_t st;
        int rc = report_build(RD, e->def, e->id, &q, "EUR", NOW_MS, &r, &st);
        ck_assert_msg(rc == -1, "row %zu accepted", i);
        ck_assert_ptr_null(r);
        ck_assert_int_eq(st.code, LIFT__CODE__INVALID_ARGUMENT);
        ck_assert_msg(strcmp(st.field, rows[i].field) == 0, "row %zu: field %s, want %s", i,
                      st.field, rows[i].field);
        ck_assert_msg(strstr(st.message, rows[i].field) != NULL, "row %zu: message %s", i,
                      st.message);
    }
    /* to_ms before the experiment's start with the default from */
    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
    q.has_to_ms = 1;
    q.to_ms = START_MS - DAY_MS;
    Lift__Report *r = NULL;
    status_t st;
    ck_assert_int_eq(report_build(RD, e->def, e->id, &q, NULL, NOW_MS, &r, &st), -1);
    ck_assert_str_eq(st.field, "report.to_ms");
    ck_assert_int_eq(report_build(RD, e->def, e->id, NULL, NULL, NOW_MS, &r, &st), -1);
    ck_assert_int_eq(st.code, LIFT__CODE__INVALID_ARGUMENT);
    report_free(NULL);
}
END_TEST

START_TEST(test_iso_week)
{
    char b[32];
    report_iso_week(START_MS, b, sizeof b); /* Monday 2024-07-01 */
    ck_assert_str_eq(b, "2024-W27");
    report_iso_week(START_MS - 1, b, sizeof b); /* Sunday 2024-06-30 */
    ck_assert_str_eq(b, "2024-W26");
    report_iso_week(1735603200000LL, b, sizeof b); /* Tuesday 2024-12-31 */
    ck_assert_str_eq(b, "2025-W01");
    report_iso_week(1609459200000LL, b, sizeof b); /* Friday 2021-01-01 */
    ck_assert_str_eq(b, "2020-W53");
}
END_TEST

static int stop_after_two(void *arg, const store_event_row_t *row)
{
    int *n = arg;
    ck_assert_int_eq(row->type, 3);
    ck_assert_int_eq(row->amount_minor, 10);
    ck_assert_int_eq(row->nps, -1);
    return ++*n == 2 ? 7 : 0;
}

/* The reader sees a snapshot: rows committed after begin are not in it. */
START_TEST(test_reader_snapshot)
{
    const registry_entry_t *e = experiment("rep-snap", 2);
    char err[256];
    begin();
    expose(e->id, "s1", 0, 1, 1, 1, START_MS);
    commit();
    ck_assert_int_eq(store_reader_begin(RD, err, sizeof err), 0);
    ck_assert_int_eq(store_reader_exposure_count(RD, e->id), 1);
    begin();
    expose(e->id, "s2", 1, 1, 1, 1, START_MS);
    event("s2", 3, START_MS + 1, 0, 0, 10, -1);
    commit();
    ck_assert_int_eq(store_reader_exposure_count(RD, e->id), 1);
    ck_assert_int_eq(store_reader_event_count(RD), 0);
    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
    Lift__Report *r = build_ok(e, &q); /* nests inside the caller's snapshot */
    ck_assert_uint_eq(r->provenance->exposures_read, 1);
    report_free(&r);
    store_reader_end(RD);
    ck_assert_int_eq(store_reader_exposure_count(RD, e->id), 2);
    ck_assert_int_eq(store_reader_event_count(RD), 1);
    /* a callback's non-zero return stops the scan and is returned */
    begin();
    for (int i = 0; i < 5; i++)
        event("s2", 3, START_MS + 2 + i, 0, 0, 10, -1);
    commit();
    int calls = 0;
    ck_assert_int_eq(store_reader_events(RD, 0, INT64_MAX, stop_after_two, &calls), 7);
    ck_assert_int_eq(calls, 2);
    calls = 0;
    ck_assert_int_eq(store_reader_events(RD, START_MS + 3, START_MS + 4, stop_after_two, &calls),
                     0);
    ck_assert_int_eq(calls, 1); /* [from, to) on ts_ms */
}
END_TEST

Suite *report_suite(void);
Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, test_arms_equal_sql);
    tcase_add_test(core, test_estimates_equal_stats);
    tcase_add_test(core, test_segments_sum);
    tcase_add_test(core, test_window);
    tcase_add_test(core, test_iso_week);
    tcase_add_test(core, test_reader_snapshot);
    tcase_add_test(core, test_families);
    tcase_add_test(core, test_sequential_everywhere);
    tcase_add_test(core, test_segment_order);
    tcase_add_test(core, test_calibrated_or_silent);
    tcase_add_test(core, test_heterogeneity_shrinkage);
    tcase_add_test(core, test_holm);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, test_no_exposures);
    tcase_add_test(limits, test_one_arm_empty);
    tcase_add_test(limits, test_no_conversions_and_zero_holdout);
    tcase_add_test(limits, test_cap);
    tcase_add_test(limits, test_cuped_not_applied);
    tcase_add_test(limits, test_outcomes_not_counted);
    tcase_add_test(limits, test_power_needs_mde);
    tcase_add_test(limits, test_nps_diff);
    tcase_add_test(limits, test_health_checks);
    tcase_add_test(limits, test_sender_clock_behind_is_flagged);
    suite_add_tcase(s, limits);
    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_set_timeout(errors, 60);
    tcase_add_test(errors, test_validation);
    suite_add_tcase(s, errors);
    return s;
}
