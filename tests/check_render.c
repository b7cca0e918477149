/* Check suite for liftctl's report rendering (tools/render/) and the client's
 * lift_report(): a synthetic lift.Report (2 treatment arms, segments, 3 weeks, a not-estimable
 * estimate, an SRM warning) rendered in every format into memory and checked; an empty report;
 * and lift_report() against a fake ROUTER that answers with that report or NOT_FOUND. */
#include <check.h>
#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "lift/client.h"

#include "render.h"

Suite *render_suite(void);

/* ---- a synthetic report, built on the heap so lift__report__free_unpacked() frees it ---------- */

static void *msg(size_t size, void (*init)(void *))
{
    void *m = calloc(1, size);
    ck_assert_ptr_nonnull(m);
    init(m);
    return m;
}
#define NEW(T, init) ((T *)msg(sizeof(T), (void (*)(void *))(init)))

static char *sdup(const char *s)
{
    char *d = strdup(s);
    ck_assert_ptr_nonnull(d);
    return d;
}

static Lift__Estimate *est(double v, double lo, double hi, double p, double padj)
{
    Lift__Estimate *e = NEW(Lift__Estimate, lift__estimate__init);
    e->has_ok = e->ok = 1;
    e->has_estimate = 1;
    e->estimate = v;
    e->has_se = 1;
    e->se = (hi - lo) / 3.92;
    e->has_ci_low = e->has_ci_high = 1;
    e->ci_low = lo;
    e->ci_high = hi;
    if (p >= 0)
        e->has_p_value = 1, e->p_value = p;
    if (padj >= 0)
        e->has_p_adjusted = 1, e->p_adjusted = padj;
    e->has_sequential = e->sequential = 1;
    return e;
}

#define NE_REASON "segment below the minimum size (12 < 50 customers per arm)"

static Lift__Estimate *est_ne(const char *reason)
{
    Lift__Estimate *e = NEW(Lift__Estimate, lift__estimate__init);
    e->has_ok = 1;
    e->ok = 0;
    e->reason = sdup(reason);
    /* What a careless server might leave behind: must never be printed. */
    e->has_estimate = 1;
    e->estimate = NAN;
    e->has_ci_low = 1;
    e->ci_low = -INFINITY;
    return e;
}

static Lift__RetentionPoint *ret(unsigned days, double s, uint64_t at_risk)
{
    Lift__RetentionPoint *p = NEW(Lift__RetentionPoint, lift__retention_point__init);
    p->has_days = 1, p->days = days;
    p->has_survival = 1, p->survival = s;
    p->has_ci_low = 1, p->ci_low = s - 0.04;
    p->has_ci_high = 1, p->ci_high = s + 0.03;
    p->has_at_risk = 1, p->at_risk = at_risk;
    p->has_ok = p->ok = 1;
    return p;
}

/* Top-level comparison: every estimate. scale = effect size of the arm. */
static Lift__Comparison *full_cmp(int arm, const char *name, double diff, double treated)
{
    Lift__Comparison *c = NEW(Lift__Comparison, lift__comparison__init);
    c->has_arm_index = 1;
    c->arm_index = arm;
    c->arm_name = sdup(name);
    c->revenue_diff = est(diff, diff - 135.2, diff + 135.2, arm == 1 ? 0.0021 : 0.43, -1);
    c->relative_lift = est(diff / 2650.0, (diff - 135.2) / 2650.0, (diff + 135.2) / 2650.0, -1, -1);
    c->incremental_total =
        est(diff * treated, (diff - 135.2) * treated, (diff + 135.2) * treated, -1, -1);
    c->holdout_cost = est(diff * 6012, (diff - 135.2) * 6012, (diff + 135.2) * 6012, -1, -1);
    c->net_incremental = est(diff * treated - 150000, (diff - 135.2) * treated - 150000,
                             (diff + 135.2) * treated - 150000, -1, -1);
    c->conversion_diff = est(0.012, 0.004, 0.020, 0.003, -1);
    c->churn_diff = est(-0.003, -0.011, 0.005, 0.46, -1);
    c->ctr_diff = est(0.021, 0.015, 0.027, 0.0001, -1);
    c->cace = arm == 1 ? est(diff / 0.42, (diff - 135.2) / 0.42, (diff + 135.2) / 0.42, 0.0021, -1)
                       : est_ne("too few customers saw the offer to estimate its effect on them");
    c->funnel = NEW(Lift__Funnel, lift__funnel__init);
    c->funnel->has_impression_rate = 1, c->funnel->impression_rate = arm == 1 ? 0.42 : 0.61;
    c->funnel->has_click_through = 1, c->funnel->click_through = 0.083;
    c->funnel->has_conversion_per_impression = 1, c->funnel->conversion_per_impression = 0.019;
    c->funnel->has_revenue_per_attempt = 1, c->funnel->revenue_per_attempt = 97.5;
    c->has_cuped = c->cuped = 1;
    c->has_variance_reduction = 1, c->variance_reduction = 0.23;
    c->n_retention_treated = c->n_retention_organic = 3;
    c->retention_treated = calloc(3, sizeof *c->retention_treated);
    c->retention_organic = calloc(3, sizeof *c->retention_organic);
    ck_assert(c->retention_treated && c->retention_organic);
    for (int i = 0; i < 3; i++) {
        c->retention_treated[i] = ret(30u * (unsigned)(i + 1), 0.95 - 0.04 * i, 800 - 90 * i);
        c->retention_organic[i] = ret(30u * (unsigned)(i + 1), 0.93 - 0.05 * i, 310 - 40 * i);
    }
    return c;
}

/* Segment or weekly comparison: the core estimates only. */
static Lift__Comparison *core_cmp(int arm, const char *name, double diff, double treated,
                                  double padj)
{
    Lift__Comparison *c = NEW(Lift__Comparison, lift__comparison__init);
    c->has_arm_index = 1;
    c->arm_index = arm;
    c->arm_name = sdup(name);
    c->revenue_diff = est(diff, diff - 190, diff + 190, padj / 2, padj);
    c->relative_lift = est(diff / 2650.0, (diff - 190) / 2650.0, (diff + 190) / 2650.0, -1, -1);
    c->incremental_total =
        est(diff * treated, (diff - 190) * treated, (diff + 190) * treated, -1, -1);
    return c;
}

static Lift__Segment *segment(int dim, const char *level, uint64_t h, uint64_t t1, uint64_t t2,
                              double d1, double d2)
{
    Lift__Segment *s = NEW(Lift__Segment, lift__segment__init);
    s->has_dimension = 1;
    s->dimension = (Lift__Dimension)dim;
    s->level = sdup(level);
    s->n_exposed = 3;
    s->exposed = calloc(3, sizeof *s->exposed);
    ck_assert_ptr_nonnull(s->exposed);
    s->exposed[0] = h, s->exposed[1] = t1, s->exposed[2] = t2;
    s->n_comparisons = 2;
    s->comparisons = calloc(2, sizeof *s->comparisons);
    ck_assert_ptr_nonnull(s->comparisons);
    s->comparisons[0] = core_cmp(1, "in-app-offer", d1, (double)t1, 0.0124);
    s->comparisons[1] = core_cmp(2, "email-offer", d2, (double)t2, 0.61);
    return s;
}

static Lift__ArmSummary *arm_sum(int idx, const char *name, uint64_t exposed, uint64_t impr,
                                 uint64_t conv, int64_t revenue)
{
    Lift__ArmSummary *a = NEW(Lift__ArmSummary, lift__arm_summary__init);
    a->has_arm_index = 1, a->arm_index = idx;
    a->arm_name = sdup(name);
    a->has_exposed = 1, a->exposed = exposed;
    a->has_impressions = 1, a->impressions = impr * 2;
    a->has_clicks = 1, a->clicks = impr / 11;
    a->has_impressed_customers = 1, a->impressed_customers = impr;
    a->has_converted_customers = 1, a->converted_customers = conv;
    a->has_conversions = 1, a->conversions = conv + conv / 9;
    a->has_revenue_minor = 1, a->revenue_minor = revenue;
    a->has_refunds_minor = 1, a->refunds_minor = revenue / 40;
    a->has_churned = 1, a->churned = exposed / 25;
    a->nps_before = est(21.5 + idx, 18.0 + idx, 25.0 + idx, -1, -1);
    a->nps_after = est(23.0 + idx * 2, 19.5 + idx * 2, 26.5 + idx * 2, -1, -1);
    a->nps_change = est(1.5 + idx, -2.0 + idx, 5.0 + idx, 0.31, -1);
    a->has_revenue_per_customer = 1;
    a->revenue_per_customer = (double)revenue / (double)exposed;
    a->conversion_rate = est((double)conv / (double)exposed, (double)conv / (double)exposed - 0.004,
                             (double)conv / (double)exposed + 0.004, -1, -1);
    return a;
}

#define T0 INT64_C(1793577600000) /* 2026-11-02T00:00:00Z, a Monday */
#define WEEK_MS INT64_C(604800000)

/* Exact numbers the JSON test reads back. */
#define INC1 (215.4 * 12401.0)
#define INC1_LO ((215.4 - 135.2) * 12401.0)
#define INC1_HI ((215.4 + 135.2) * 12401.0)

static Lift__Report *synthetic(void)
{
    Lift__Report *r = NEW(Lift__Report, lift__report__init);
    Lift__Provenance *p = r->provenance = NEW(Lift__Provenance, lift__provenance__init);
    Lift__Experiment *e = p->experiment = NEW(Lift__Experiment, lift__experiment__init);
    e->key = sdup("upsell-annual-q4");
    e->name = sdup("Annual plan upsell");
    e->owner = sdup("growth-team");
    e->n_arms = 3;
    e->arms = calloc(3, sizeof *e->arms);
    ck_assert_ptr_nonnull(e->arms);
    const char *names[] = {"holdout", "in-app-offer", "email-offer"};
    const double weights[] = {0.2, 0.4, 0.4};
    for (int i = 0; i < 3; i++) {
        e->arms[i] = NEW(Lift__Arm, lift__arm__init);
        e->arms[i]->name = sdup(names[i]);
        e->arms[i]->has_weight = 1;
        e->arms[i]->weight = weights[i];
    }
    e->analysis = NEW(Lift__Analysis, lift__analysis__init);
    e->analysis->has_mde = 1, e->analysis->mde = 0.05;
    e->analysis->has_primary_metric = 1, e->analysis->primary_metric = LIFT__METRIC__METRIC_REVENUE;
    e->has_status = 1, e->status = LIFT__EXPERIMENT_STATUS__STATUS_RUNNING;
    e->checksum = sdup("9f3a61c2d04b7e15");
    e->seed = sdup("upsell-annual-q4");
    p->hash_version = sdup("growthbook-v2");
    p->has_from_ms = 1, p->from_ms = T0;
    p->has_to_ms = 1, p->to_ms = T0 + 3 * WEEK_MS;
    p->has_generated_ms = 1, p->generated_ms = T0 + 3 * WEEK_MS + 6 * 3600000;
    p->has_exposures_read = 1, p->exposures_read = 30512;
    p->has_events_read = 1, p->events_read = 412334;
    p->currency = sdup("USD");
    p->has_alpha = 1, p->alpha = 0.05;
    p->has_sequential = p->sequential = 1;
    p->has_cuped = p->cuped = 1;
    p->has_revenue_cap = 1, p->revenue_cap = 125000.0;
    p->has_revenue_cap_percentile = 1, p->revenue_cap_percentile = 99.9;
    p->has_n_star = 1, p->n_star = 5000;
    p->lift_version = sdup("0.1.0");

    Lift__Health *h = r->health = NEW(Lift__Health, lift__health__init);
    h->srm = NEW(Lift__Srm, lift__srm__init);
    h->srm->has_chi2 = 1, h->srm->chi2 = 15.7;
    h->srm->has_p_value = 1, h->srm->p_value = 0.00039;
    h->srm->has_mismatch = h->srm->mismatch = 1;
    h->srm->n_observed = h->srm->n_expected = 3;
    h->srm->observed = calloc(3, sizeof *h->srm->observed);
    h->srm->expected = calloc(3, sizeof *h->srm->expected);
    ck_assert(h->srm->observed && h->srm->expected);
    h->srm->observed[0] = 6012, h->srm->observed[1] = 12401, h->srm->observed[2] = 12099;
    h->srm->expected[0] = 6102.4, h->srm->expected[1] = 12204.8, h->srm->expected[2] = 12204.8;
    h->has_impression_rate = 1, h->impression_rate = 0.42;
    h->has_low_impression_rate = h->low_impression_rate = 1;
    h->has_power_reached = 1, h->power_reached = 0.62;
    h->has_mde = 1, h->mde = 0.071;
    h->has_small_segments = 1, h->small_segments = 2;
    h->n_warnings = 2;
    h->warnings = calloc(2, sizeof *h->warnings);
    ck_assert_ptr_nonnull(h->warnings);
    h->warnings[0] = sdup("Sample ratio mismatch: p = 0.00039 (chi2 15.7)");
    h->warnings[1] = sdup("Revenue cap removed 14 outlier customers");

    r->n_arms = 3;
    r->arms = calloc(3, sizeof *r->arms);
    ck_assert_ptr_nonnull(r->arms);
    r->arms[0] = arm_sum(0, "holdout", 6012, 0, 301, 15932000);
    r->arms[1] = arm_sum(1, "in-app-offer", 12401, 5208, 744, 35541700);
    r->arms[2] = arm_sum(2, "email-offer", 12099, 7380, 641, 32547300);

    r->n_comparisons = 2;
    r->comparisons = calloc(2, sizeof *r->comparisons);
    ck_assert_ptr_nonnull(r->comparisons);
    r->comparisons[0] = full_cmp(1, "in-app-offer", 215.4, 12401);
    r->comparisons[1] = full_cmp(2, "email-offer", 40.1, 12099);
    r->comparisons[0]->revenue_diff->has_p_adjusted = 1;
    r->comparisons[0]->revenue_diff->p_adjusted = 0.0063;

    r->n_segments = 5;
    r->segments = calloc(5, sizeof *r->segments);
    ck_assert_ptr_nonnull(r->segments);
    r->segments[0] = segment(LIFT__DIMENSION__DIMENSION_TRIGGER, "usage_threshold", 2403, 4950,
                             4871, 310.2, 55.0);
    r->segments[1] = segment(LIFT__DIMENSION__DIMENSION_TRIGGER, "engagement_acceleration", 2215,
                             4512, 4420, 120.7, -35.3);
    r->segments[2] =
        segment(LIFT__DIMENSION__DIMENSION_TRIGGER, "team_growth", 1394, 2939, 2808, 402.9, 101.1);
    r->segments[3] =
        segment(LIFT__DIMENSION__DIMENSION_CHANNEL, "in_app", 3312, 6800, 6650, 280.0, 12.0);
    r->segments[4] =
        segment(LIFT__DIMENSION__DIMENSION_CHANNEL, "email", 2700, 5601, 5449, 131.8, 75.9);
    /* The not-estimable one. */
    lift__estimate__free_unpacked(r->segments[2]->comparisons[1]->revenue_diff, NULL);
    r->segments[2]->comparisons[1]->revenue_diff = est_ne(NE_REASON);

    r->n_weekly = 3;
    r->weekly = calloc(3, sizeof *r->weekly);
    ck_assert_ptr_nonnull(r->weekly);
    const char *weeks[] = {"2026-W45", "2026-W46", "2026-W47"};
    for (int i = 0; i < 3; i++) {
        Lift__WeekPoint *w = r->weekly[i] = NEW(Lift__WeekPoint, lift__week_point__init);
        w->week = sdup(weeks[i]);
        w->has_end_ms = 1, w->end_ms = T0 + (i + 1) * WEEK_MS;
        w->has_exposed = 1, w->exposed = (uint64_t)(30512 * (i + 1) / 3);
        w->n_comparisons = 2;
        w->comparisons = calloc(2, sizeof *w->comparisons);
        ck_assert_ptr_nonnull(w->comparisons);
        w->comparisons[0] =
            core_cmp(1, "in-app-offer", 150.0 + 30 * i, 4133.0 * (i + 1), 0.2 / (i + 1));
        w->comparisons[1] = core_cmp(2, "email-offer", 60.0 - 10 * i, 4033.0 * (i + 1), 0.7);
    }
    return r;
}

/* r as the client would see it: packed and unpacked again (r is freed). */
static Lift__Report *wire_roundtrip(Lift__Report *r)
{
    size_t len = lift__report__get_packed_size(r);
    uint8_t *buf = malloc(len);
    ck_assert_ptr_nonnull(buf);
    lift__report__pack(r, buf);
    lift__report__free_unpacked(r, NULL);
    Lift__Report *u = lift__report__unpack(NULL, len, buf);
    free(buf);
    ck_assert_ptr_nonnull(u);
    return u;
}

/* The synthetic report as the client would see it. */
static Lift__Report *synthetic_wire(void)
{
    return wire_roundtrip(synthetic());
}

/* ---- helpers ---------------------------------------------------------------------------------- */

typedef int (*render_fn)(const Lift__Report *, FILE *);

static int render_table100(const Lift__Report *r, FILE *f)
{
    return render_table(r, f, 0, 100);
}

static int render_table_color(const Lift__Report *r, FILE *f)
{
    return render_table(r, f, 1, 100);
}

/* Renders into a malloc'd string (caller frees). */
static char *render_to_string(render_fn fn, const Lift__Report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fn(r, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_ptr_nonnull(buf);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static const char *must_find(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    ck_assert_msg(p != NULL, "'%s' not found in output", needle);
    return p;
}

/* Number of CSV fields in one line (RFC 4180 quoting). */
static int csv_fields(const char *line, size_t len)
{
    int n = 1, q = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '"')
            q = !q;
        if (line[i] == ',' && !q)
            n++;
    }
    return n;
}

/* ---- tests ------------------------------------------------------------------------------------ */

START_TEST(test_format_helpers)
{
    char b[600];
    render_fmt_money(b, sizeof b, 1234567.0, "USD", 0);
    ck_assert_str_eq(b, "USD 12,345.67");
    render_fmt_money(b, sizeof b, -1234567.4, "USD", 0);
    ck_assert_str_eq(b, "USD -12,345.67");
    render_fmt_money(b, sizeof b, 5.0, "USD", 0);
    ck_assert_str_eq(b, "USD 0.05");
    render_fmt_money(b, sizeof b, -0.4, NULL, 0);
    ck_assert_str_eq(b, "0.00");
    render_fmt_money(b, sizeof b, 100000000000.0, NULL, 1);
    ck_assert_str_eq(b, "+1,000,000,000.00");
    render_fmt_money(b, sizeof b, 1e300, "USD", 0);         /* no overflow, no crash */
    ck_assert_int_eq(strncmp(b, "USD 10,000,000,", 15), 0); /* 1e298 units */
    render_fmt_money(b, sizeof b, NAN, "USD", 0);
    ck_assert_str_eq(b, "n/e");
    render_fmt_p(b, sizeof b, 0.00039);
    ck_assert_str_eq(b, "<0.001");
    render_fmt_p(b, sizeof b, 0.012345);
    ck_assert_str_eq(b, "0.0123");
    render_fmt_p(b, sizeof b, 0.5);
    ck_assert_str_eq(b, "0.500");
    render_fmt_pct(b, sizeof b, 0.0812, 1, "%");
    ck_assert_str_eq(b, "+8.1%");
    render_fmt_pct(b, sizeof b, -0.0001, 1, "%");
    ck_assert_str_eq(b, "0.0%");
    render_fmt_count(b, sizeof b, 1234567);
    ck_assert_str_eq(b, "1,234,567");
    render_fmt_exact(b, sizeof b, 0.1);
    ck_assert_str_eq(b, "0.1");
    render_fmt_exact(b, sizeof b, INC1);
    ck_assert(strtod(b, NULL) == INC1);
}
END_TEST

START_TEST(test_json_round_trip)
{
    Lift__Report *r = synthetic_wire();
    char *out = render_to_string(render_json, r);
    json_error_t err;
    json_t *j = json_loads(out, 0, &err);
    ck_assert_msg(j != NULL, "JSON does not parse: %s (line %d)", err.text, err.line);
    ck_assert_str_eq(json_string_value(json_object_get(j, "schema")), "lift.report/1");
    ck_assert_str_eq(json_string_value(json_object_get(j, "currency")), "USD");
    ck_assert_str_eq(json_string_value(json_object_get(j, "experiment_key")), "upsell-annual-q4");
    json_t *c0 = json_array_get(json_object_get(j, "comparisons"), 0);
    json_t *inc = json_object_get(c0, "incremental_total");
    ck_assert(json_real_value(json_object_get(inc, "estimate")) == INC1);
    ck_assert(json_real_value(json_object_get(inc, "ci_low")) == INC1_LO);
    ck_assert(json_real_value(json_object_get(inc, "ci_high")) == INC1_HI);
    ck_assert_str_eq(json_string_value(json_object_get(inc, "unit")), "minor");
    ck_assert(json_is_true(json_object_get(inc, "ok")));
    json_t *rd = json_object_get(c0, "revenue_diff");
    ck_assert(json_real_value(json_object_get(rd, "p_adjusted")) == 0.0063);
    ck_assert(json_real_value(json_object_get(rd, "p_value")) == 0.0021);
    /* counts and integer minor units */
    json_t *a1 = json_array_get(json_object_get(j, "arms"), 1);
    ck_assert(json_is_integer(json_object_get(a1, "exposed")));
    ck_assert_int_eq(json_integer_value(json_object_get(a1, "exposed")), 12401);
    ck_assert_int_eq(json_integer_value(json_object_get(a1, "impressed_customers")), 5208);
    ck_assert(json_is_integer(json_object_get(a1, "revenue_minor")));
    ck_assert_int_eq(json_integer_value(json_object_get(a1, "revenue_minor")), 35541700);
    /* enums as lower-case names; the segment's BH-adjusted p */
    json_t *s2 = json_array_get(json_object_get(j, "segments"), 2);
    ck_assert_str_eq(json_string_value(json_object_get(s2, "dimension")), "trigger");
    ck_assert_str_eq(json_string_value(json_object_get(s2, "level")), "team_growth");
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(s2, "exposed"), 1)), 2939);
    json_t *sc0 = json_array_get(json_object_get(s2, "comparisons"), 0);
    ck_assert(json_real_value(
                  json_object_get(json_object_get(sc0, "revenue_diff"), "p_adjusted")) == 0.0124);
    /* the not-estimable estimate: ok false, numbers null, the reason kept */
    json_t *ne =
        json_object_get(json_array_get(json_object_get(s2, "comparisons"), 1), "revenue_diff");
    ck_assert(json_is_false(json_object_get(ne, "ok")));
    ck_assert(json_is_null(json_object_get(ne, "estimate")));
    ck_assert(json_is_null(json_object_get(ne, "ci_low")));
    ck_assert_str_eq(json_string_value(json_object_get(ne, "reason")), NE_REASON);
    json_t *prov = json_object_get(j, "provenance");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(prov, "experiment"), "status")),
        "running");
    ck_assert_int_eq(json_integer_value(json_object_get(prov, "events_read")), 412334);
    json_t *srm = json_object_get(json_object_get(j, "health"), "srm");
    ck_assert(json_is_true(json_object_get(srm, "mismatch")));
    ck_assert_int_eq(json_array_size(json_object_get(j, "weekly")), 3);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(j, "weekly"), 2), "week")),
        "2026-W47");
    /* stable shape: unset fields are present as null */
    ck_assert_ptr_nonnull(json_object_get(prov, "revenue_cap"));
    ck_assert(json_is_null(json_object_get(json_object_get(prov, "experiment"), "namespace")));
    json_decref(j);
    free(out);
    lift__report__free_unpacked(r, NULL);
}
END_TEST

START_TEST(test_csv_rows)
{
    Lift__Report *r = synthetic_wire();
    char *out = render_to_string(render_csv, r);
    const char *header = "segment_dimension,segment_level,metric,arm_index,arm_name,estimate,"
                         "ci_low,ci_high,p_value,p_adjusted,ok,reason,family\n";
    ck_assert_int_eq(strncmp(out, header, strlen(header)), 0);
    /* 2 overall comparisons x 9 metrics + 5 segments x 2 arms x 3 core metrics + 3 weeks x 2 arms
     * x 3 core metrics */
    size_t rows = 0, overall = 0, not_ok = 0;
    const char *line = out + strlen(header);
    while (*line) {
        const char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        ck_assert_int_eq(csv_fields(line, (size_t)(nl - line)), 13);
        rows++;
        overall += strncmp(line, "overall,all,", 12) == 0;
        char one[512];
        snprintf(one, sizeof one, "%.*s", (int)(nl - line), line);
        if (strstr(one, ",false,")) {
            not_ok++;
            ck_assert(strstr(one, ",,,,,,false,") != NULL); /* numbers left empty */
        }
        line = nl + 1;
    }
    ck_assert_int_eq(rows, 2 * 9 + 5 * 2 * 3 + 3 * 2 * 3);
    ck_assert_int_eq(overall, 18);
    ck_assert_int_eq(not_ok, 2); /* the email arm's CACE and one segment */
    must_find(out, "trigger,team_growth,revenue_diff,2,email-offer,,,,,,false,"
                   "segment below the minimum size (12 < 50 customers per arm),\n");
    must_find(out, "overall,all,incremental_total,1,in-app-offer,");
    must_find(out, "week,2026-W46,incremental_total,1,in-app-offer,1487880");
    free(out);

    /* --all-running form: key column */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(render_csv_header(f, 1), 0);
    ck_assert_int_eq(render_csv_rows(r, f, "upsell-annual-q4"), 0);
    fclose(f);
    ck_assert_int_eq(strncmp(buf, "experiment_key,segment_dimension,", 33), 0);
    ck_assert_int_eq(count(buf, "\nupsell-annual-q4,"), 66);
    free(buf);
    lift__report__free_unpacked(r, NULL);
}
END_TEST

START_TEST(test_table_layout)
{
    Lift__Report *r = synthetic_wire();
    char *out = render_to_string(render_table100, r);
    for (const char *line = out; *line;) {
        const char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        char tmp[1024];
        size_t n = (size_t)(nl - line) < sizeof tmp - 1 ? (size_t)(nl - line) : sizeof tmp - 1;
        memcpy(tmp, line, n);
        tmp[n] = '\0';
        ck_assert_msg(render_u8len(tmp) <= 100, "line wider than 100 columns: %s", tmp);
        line = nl + 1;
    }
    /* warnings on top, in order, before the headline */
    const char *srm = must_find(out, "Sample ratio mismatch");
    const char *imp = must_find(out, "Low impression rate");
    const char *small = must_find(out, "2 segments below the minimum size");
    const char *power = must_find(out, "Underpowered");
    const char *head = must_find(out, "in-app-offer: incremental revenue USD 26,711.75");
    ck_assert(srm < imp && imp < small && small < power && power < head);
    must_find(out, "(95%\u00a0CI 9,945.60 … 43,477.91)");
    must_find(out, "Revenue cap removed 14 outlier customers"); /* the server's other warning */
    ck_assert_int_eq(count(out, "Sample ratio mismatch"), 1);   /* not repeated */
    ck_assert_ptr_null(strchr(out, '\033'));                    /* no colour unless asked */
    /* segments sorted by incremental total within a dimension and arm; n/e has a footnote */
    const char *tg = must_find(out, "team_growth"), *ut = must_find(out, "usage_threshold");
    const char *ea = must_find(out, "engagement_acceleration");
    ck_assert(ut < tg && tg < ea);
    must_find(out, "n/e[");
    must_find(out, NE_REASON);
    must_find(out, "2026-W47");
    free(out);
    out = render_to_string(render_table_color, r);
    ck_assert_ptr_nonnull(strstr(out, "\033[1;31m"));
    free(out);
    lift__report__free_unpacked(r, NULL);
}
END_TEST

static const render_fn all_formats[] = {render_table100, render_table_color, render_markdown,
                                        render_json,     render_csv,         render_html};

/* The first "nan" / "inf" / "infinity" printed as a value, i.e. not inside a word such as
 * "provenance" (a proto field name the JSON must keep): NULL when none. */
static const char *bad_number(const char *s)
{
    static const char *const words[] = {"nan", "inf", NULL};
    for (const char *const *w = words; *w; w++)
        for (const char *p = s; (p = strcasestr(p, *w)) != NULL; p++) {
            int before = p > s && isalpha((unsigned char)p[-1]);
            const char *after = p + 3;
            if (strncasecmp(after, "inity", 5) == 0)
                after += 5;
            if (!before && !isalpha((unsigned char)*after))
                return p;
        }
    return NULL;
}

START_TEST(test_no_nan_or_inf)
{
    Lift__Report *r = synthetic_wire();
    char *out = render_to_string(all_formats[_i], r);
    const char *bad = bad_number(out);
    ck_assert_msg(bad == NULL, "format %d prints a non-number: ...%.40s", _i, bad);
    free(out);
    lift__report__free_unpacked(r, NULL);
}
END_TEST

START_TEST(test_html_self_contained)
{
    Lift__Report *r = synthetic_wire();
    char *out = render_to_string(render_html, r);
    ck_assert_int_eq(strncmp(out, "<!DOCTYPE html>", 15), 0);
    must_find(out, "</html>\n");
    ck_assert_int_eq(count(out, "<svg"), 4);
    ck_assert_int_eq(count(out, "</svg>"), 4);
    /* every <svg> closed before the next opens */
    const char *p = out;
    for (int i = 0; i < 3; i++) {
        const char *open = strstr(p, "<svg"), *close = strstr(p, "</svg>");
        ck_assert(open && close && open < close);
        const char *next = strstr(open + 4, "<svg");
        ck_assert(next == NULL || close < next);
        p = close + 6;
    }
    /* no network: the only URL is the SVG namespace */
    size_t urls = count(out, "http://") + count(out, "https://");
    ck_assert_int_eq(urls, count(out, "xmlns=\"http://www.w3.org/2000/svg\""));
    ck_assert_ptr_null(strstr(out, "<script"));
    ck_assert_ptr_null(strstr(out, "<link"));
    ck_assert_ptr_null(strstr(out, "@import"));
    ck_assert_ptr_null(strstr(out, "url("));
    /* warnings first, provenance last */
    const char *warn = must_find(out, "class=\"warnings crit\"");
    ck_assert(warn < strstr(out, "<svg"));
    const char *foot = must_find(out, "<footer class=\"provenance\">");
    ck_assert(foot > strstr(out, "</table>"));
    ck_assert_int_eq(count(out, "<table"), count(out, "</table>"));
    ck_assert_int_eq(count(out, "<section"), count(out, "</section>"));
    ck_assert_int_eq(count(out, "<figure>"), count(out, "</figure>"));
    must_find(out, "USD 26,711.75");
    /* for a look in a browser: CK_RENDER_HTML=/tmp/report-test.html */
    const char *dump = getenv("CK_RENDER_HTML");
    if (dump && *dump) {
        FILE *f = fopen(dump, "w");
        if (f) {
            fputs(out, f);
            fclose(f);
        }
    }
    const char *tdump = getenv("CK_RENDER_TABLE");
    if (tdump && *tdump) {
        FILE *f = fopen(tdump, "w");
        if (f) {
            render_table(r, f, 0, 100);
            fclose(f);
        }
    }
    free(out);
    lift__report__free_unpacked(r, NULL);
}
END_TEST

/* The report-honesty findings, as the renderer shows them: a synthetic report with what a
 * current server sends (families, uncapped, shrunken, heterogeneity, NPS difference, applied
 * settings) rendered in all five formats. */
#define LONG_LEVEL "feature_exploration_after_the_trial_signup"

/* s with every run of spaces and line breaks as one space (malloc'd). */
static char *flat(const char *s)
{
    char *o = malloc(strlen(s) + 1), *w = o;
    ck_assert_ptr_nonnull(o);
    for (; *s; s++) {
        if (*s == ' ' || *s == '\n') {
            if (w > o && w[-1] != ' ')
                *w++ = ' ';
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
    return o;
}

static Lift__Report *synthetic_findings(int sequential)
{
    Lift__Report *r = synthetic();
    Lift__Provenance *p = r->provenance;
    p->sequential = sequential;
    p->has_cuped_applied = 1, p->cuped_applied = 0;
    p->cuped_note = sdup("CUPED requested, not applied: no customer has pre-exposure revenue in "
                         "the lookback");
    p->has_capped_customers = 1, p->capped_customers = 3;
    p->revenue_cap_rule = sdup("99.9th percentile of the 1,686 customers with revenue > 0");
    p->has_cost_per_attempt_minor = 1, p->cost_per_attempt_minor = 0;
    p->has_min_converters = 1, p->min_converters = 10;
    r->health->has_mde_set = 1, r->health->mde_set = 0; /* the default 5%: no "Underpowered" */
    r->testing = NEW(Lift__Testing, lift__testing__init);
    r->testing->has_method = 1, r->testing->method = LIFT__ADJUSTMENT__ADJUSTMENT_HOLM;
    r->testing->has_confirmatory_tests = 1, r->testing->confirmatory_tests = 2;
    r->testing->has_exploratory_tests = 1, r->testing->exploratory_tests = 31;
    r->testing->has_primary_metric = 1;
    r->testing->primary_metric = LIFT__METRIC__METRIC_REVENUE;
    for (size_t i = 0; i < r->n_comparisons; i++) {
        Lift__Comparison *c = r->comparisons[i];
        c->revenue_diff->has_family = 1;
        c->revenue_diff->family = LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY;
        c->revenue_diff_uncapped = est(c->revenue_diff->estimate + 31, c->revenue_diff->ci_low - 20,
                                       c->revenue_diff->ci_high + 90, 0.004, -1);
        c->nps_diff = est(4.5, 1.0, 8.0, 0.012, 0.04);
        c->nps_diff->has_family = 1, c->nps_diff->family = LIFT__TEST_FAMILY__FAMILY_EXPLORATORY;
        c->pre_period_diff = est(-3.0, -40.0, 34.0, 0.87, -1);
        c->pre_period_diff->sequential = 0;
        c->churn_diff->sequential = 0; /* a fixed-horizon row in a sequential report */
    }
    /* in_app / in-app-offer: interval above 0 but adjusted p 0.08 -> not coloured */
    Lift__Estimate *e = r->segments[3]->comparisons[0]->revenue_diff;
    e->p_adjusted = 0.08;
    free(r->segments[4]->level);
    r->segments[4]->level = sdup(LONG_LEVEL);
    /* shrunken totals on the trigger levels of the in-app arm: reverse the raw order */
    const double shr[3] = {900000, 1000000, 1100000}; /* minor units: USD 9,000 .. 11,000 */
    for (int i = 0; i < 3; i++) {
        Lift__Comparison *c = r->segments[i]->comparisons[0];
        c->incremental_total_shrunk = est(shr[i], shr[i] - 400000, shr[i] + 400000, -1, -1);
        c->revenue_diff_shrunk =
            est(shr[i] / 4000, (shr[i] - 4000) / 4000, (shr[i] + 4000) / 4000, -1, -1);
        c->has_converted_treated = c->has_converted_holdout = 1;
        c->converted_treated = 300 + (uint64_t)i, c->converted_holdout = 150;
    }
    r->n_heterogeneity = 1;
    r->heterogeneity = calloc(1, sizeof *r->heterogeneity);
    ck_assert_ptr_nonnull(r->heterogeneity);
    Lift__Heterogeneity *h = r->heterogeneity[0] =
        NEW(Lift__Heterogeneity, lift__heterogeneity__init);
    h->has_dimension = 1, h->dimension = LIFT__DIMENSION__DIMENSION_TRIGGER;
    h->has_arm_index = 1, h->arm_index = 1;
    h->has_ok = h->ok = 1;
    h->has_q = 1, h->q = 3.21;
    h->has_df = 1, h->df = 2;
    h->has_p_value = 1, h->p_value = 0.2;
    h->has_i2 = 1, h->i2 = 0.377;
    h->has_tau2 = 1, h->tau2 = 812.5;
    h->has_levels = 1, h->levels = 3;
    for (size_t i = 0; i < r->n_arms; i++) {
        r->arms[i]->has_revenue_per_customer_uncapped = 1;
        r->arms[i]->revenue_per_customer_uncapped = r->arms[i]->revenue_per_customer + 4.25;
        r->arms[i]->has_nps_pairs = 1, r->arms[i]->nps_pairs = 120 + i;
    }
    /* the lift interval includes 0 while the incremental one does not */
    Lift__Estimate *l = r->comparisons[0]->relative_lift;
    l->ci_low = -0.409, l->ci_high = 2.794;
    return wire_roundtrip(r);
}

START_TEST(test_findings_render)
{
    Lift__Report *r = synthetic_findings(1);
    char *t = render_to_string(render_table100, r);
    char *ft = flat(t); /* wrapped lines joined: phrases are searched in this */
    /* 2 and 9: settings as applied, the window, the cap with its rule and count, the cost */
    must_find(ft, "CUPED requested, not applied: no customer has pre-exposure revenue");
    ck_assert_ptr_null(strstr(ft, "CUPED on"));
    must_find(ft, "exposure-time window");
    must_find(ft, "capped at USD 1,250.00 (99.9th percentile of the 1,686 customers with revenue");
    must_find(ft, "3 customers capped");
    must_find(ft, "holdout cost (revenue forgone)");
    must_find(ft, "Holdout cost = revenue forgone by holding customers out");
    must_find(ft, "net of attempt cost (cost 0: = total)");
    must_find(ft, "which is 0 here (none set: net = total)");
    /* 1: uncapped beside capped */
    must_find(ft, "; uncapped USD 2.46");
    must_find(ft, "uncapped");
    /* 4: the default MDE is not an "Underpowered" warning */
    ck_assert_ptr_null(strstr(ft, "Underpowered"));
    /* 5: two families, Holm, the headline's family */
    must_find(ft, "adjusted 0.00630 (confirmatory)");
    must_find(ft, "Holm within two families");
    /* 6: NPS difference with its test, 0-10 answers */
    must_find(ft, "NPS after, difference");
    must_find(ft, "Answers are 0-10 scores");
    must_find(ft, "Paired change = after - before for the customers who answered both only");
    /* 7: the disagreement explained */
    must_find(ft, "the relative-lift interval includes 0 while the incremental-revenue interval "
                  "does not");
    /* 10: a fixed-horizon row in a sequential report is marked */
    must_find(ft, "churn †");
    must_find(ft, "† fixed-horizon interval");
    /* 11: per arm, by the shrunken total, intervals on incremental, names whole, n/e last */
    const char *h1 = must_find(t, "By trigger: in-app-offer vs holdout");
    const char *h2 = must_find(t, "By trigger: email-offer vs holdout");
    ck_assert(h1 < h2);
    const char *tg = strstr(h1, "team_growth"), *ut = strstr(h1, "usage_threshold");
    const char *ea = strstr(h1, "engagement_");                 /* wrapped after the underscore */
    ck_assert(tg && ut && ea && tg < ea && ea < ut && ut < h2); /* shrunken: 11k, 10k, 9k */
    const char *e_ut = strstr(h2, "usage_threshold"), *e_tg = strstr(h2, "team_growth");
    const char *e_ea = strstr(h2, "engagement_acceleration");
    ck_assert(e_ut && e_ea && e_tg && e_ut < e_ea && e_ea < e_tg); /* n/e last */
    must_find(t, "5,950 … 24,760"); /* the incremental column's interval */
    must_find(t, "11,000");         /* shrunken */
    must_find(ft, "Cochran's Q = 3.21 on 2 df");
    for (const char *q = t; (q = strstr(q, "…")) != NULL; q += 3)
        ck_assert_msg(q > t && q[-1] == ' ', "a cut name: ...%.20s", q - 12);
    must_find(t, "feature_exploration_"); /* wrapped, not cut */
    must_find(t, "signup");               /* the rest of the name, on the next line */
    free(t);
    free(ft);

    char *h = render_to_string(render_html, r);
    /* 11: colour by the adjusted p */
    ck_assert_ptr_null(strstr(h, "<tr class=\"good\"><td>in_app</td>"));
    must_find(h, "<tr><td>in_app</td>");
    must_find(h, "<tr class=\"good\"><td>usage_threshold</td>");
    must_find(h, LONG_LEVEL); /* the forest plot keeps the whole name */
    /* 7 and 9: the incremental series charted, funnel rates with the tables' denominators */
    must_find(h, "cumulative incremental revenue, USD");
    must_find(h, "click-through");
    must_find(h, "of exposed: impression rate");
    must_find(h, "<title>shrunken</title>");
    free(h);

    /* 3: shrunken and heterogeneity in every machine format */
    char *j = render_to_string(render_json, r);
    must_find(j, "\"incremental_total_shrunk\": {");
    must_find(j, "\"heterogeneity\": [");
    must_find(j, "\"family\": \"confirmatory\"");
    must_find(j, "\"method\": \"holm\"");
    must_find(j, "\"cuped_note\": \"CUPED requested, not applied");
    free(j);
    char *c = render_to_string(render_csv, r);
    must_find(c, "trigger,team_growth,incremental_total_shrunk,1,in-app-offer,1100000,");
    must_find(c, "trigger,(all levels),heterogeneity_q,1,in-app-offer,3.21,,,0.2,,true,");
    must_find(c, ",confirmatory\n");
    free(c);
    char *m = render_to_string(render_markdown, r);
    must_find(m, "shrunken");
    must_find(m, "11,000");
    must_find(m, "converters T/H");
    free(m);
    lift__report__free_unpacked(r, NULL);

    /* 9: fixed-horizon intervals read weekly: the 18.7% warning */
    r = synthetic_findings(0);
    t = render_to_string(render_table100, r);
    ft = flat(t);
    must_find(ft, "18.7%");
    must_find(ft, "fixed-horizon (valid for one pre-planned read)");
    free(t);
    free(ft);
    const char *tdump = getenv("CK_RENDER_FINDINGS_TABLE"); /* the README's example */
    if (tdump && *tdump) {
        FILE *f = fopen(tdump, "w");
        if (f) {
            Lift__Report *q = synthetic_findings(1);
            render_table(q, f, 0, 100);
            lift__report__free_unpacked(q, NULL);
            fclose(f);
        }
    }
    /* a look in a browser: CK_RENDER_FINDINGS_HTML=/tmp/f.html */
    const char *dump = getenv("CK_RENDER_FINDINGS_HTML");
    if (dump && *dump) {
        FILE *f = fopen(dump, "w");
        if (f) {
            lift__report__free_unpacked(r, NULL);
            r = synthetic_findings(1);
            render_html(r, f);
            fclose(f);
        }
    }
    lift__report__free_unpacked(r, NULL);
}
END_TEST

START_TEST(test_empty_report)
{
    Lift__Report empty = LIFT__REPORT__INIT;
    for (size_t i = 0; i < sizeof all_formats / sizeof all_formats[0]; i++) {
        char *out = render_to_string(all_formats[i], &empty);
        ck_assert_ptr_null(bad_number(out));
        if (all_formats[i] != render_json && all_formats[i] != render_csv)
            must_find(out, "No data");
        if (all_formats[i] == render_html)
            ck_assert_ptr_null(strstr(out, "<svg"));
        if (all_formats[i] == render_csv)
            ck_assert_int_eq(count(out, "\n"), 1); /* the header only */
        if (all_formats[i] == render_json) {
            json_t *j = json_loads(out, 0, NULL);
            ck_assert_ptr_nonnull(j);
            ck_assert_int_eq(json_array_size(json_object_get(j, "arms")), 0);
            ck_assert(json_is_null(json_object_get(j, "provenance")));
            json_decref(j);
        }
        free(out);
    }
    /* arms but nobody exposed, one arm only: still "No data", no comparison */
    Lift__ArmSummary a0 = LIFT__ARM_SUMMARY__INIT, *arms[] = {&a0};
    Lift__Report one = LIFT__REPORT__INIT;
    one.n_arms = 1;
    one.arms = arms;
    char *out = render_to_string(render_table100, &one);
    must_find(out, "No data");
    free(out);
}
END_TEST

/* ---- lift_report() against a fake ROUTER ------------------------------------------------------- */

typedef struct {
    void *ctx, *router; /* the fake's own context and bound socket */
    pthread_t thread;   /* answers one request */
    int not_found;      /* answer NOT_FOUND instead of the report */
    char key[64];       /* experiment_key seen */
    int body_ok;        /* the request carried a ReportRequest */
    int segment_by;     /* number of dimensions requested */
    char endpoint[128]; /* ipc:// */
    char dir[64];       /* temp dir of the socket */
} fake_t;

static void *fake_main(void *arg)
{
    fake_t *f = arg;
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    Lift__Request *req = NULL;
    /* The client may ping first (a liveness check before a long wait): answer pings with a
     * Pong until the report request comes. */
    for (;;) {
        if (zmq_msg_recv(&id, f->router, 0) < 0 || zmq_msg_recv(&body, f->router, 0) < 0)
            goto out;
        req = lift__request__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
        if (req == NULL)
            goto out;
        if (req->body_case != LIFT__REQUEST__BODY_PING)
            break;
        Lift__Reply pr = LIFT__REPLY__INIT;
        Lift__Status pst = LIFT__STATUS__INIT;
        pst.has_code = 1; /* liftd always sends the code */
        pst.code = LIFT__CODE__OK;
        Lift__Pong pong = LIFT__PONG__INIT;
        pr.has_request_id = 1;
        pr.request_id = req->request_id;
        pr.status = &pst;
        pr.body_case = LIFT__REPLY__BODY_PONG;
        pr.pong = &pong;
        size_t plen = lift__reply__get_packed_size(&pr);
        zmq_msg_t pout;
        zmq_msg_init_size(&pout, plen);
        lift__reply__pack(&pr, zmq_msg_data(&pout));
        zmq_msg_send(&id, f->router, ZMQ_SNDMORE);
        zmq_msg_send(&pout, f->router, 0);
        lift__request__free_unpacked(req, NULL);
        req = NULL;
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        zmq_msg_init(&id);
        zmq_msg_init(&body);
    }
    f->body_ok = req->body_case == LIFT__REQUEST__BODY_REPORT && req->report;
    if (f->body_ok) {
        snprintf(f->key, sizeof f->key, "%s",
                 req->report->experiment_key ? req->report->experiment_key : "");
        f->segment_by = (int)req->report->n_segment_by;
    }
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__Status st = LIFT__STATUS__INIT;
    st.has_code = 1; /* liftd always sends the code */
    st.code = LIFT__CODE__OK;
    reply.has_request_id = 1;
    reply.request_id = req->request_id;
    reply.status = &st;
    Lift__Report *rep = NULL;
    if (f->not_found) {
        st.code = LIFT__CODE__NOT_FOUND;
        st.message = "no experiment with key 'nope'";
        st.field = "report.experiment_key";
    } else {
        rep = synthetic();
        reply.body_case = LIFT__REPLY__BODY_REPORT;
        reply.report = rep;
    }
    size_t len = lift__reply__get_packed_size(&reply);
    zmq_msg_t out;
    zmq_msg_init_size(&out, len);
    lift__reply__pack(&reply, zmq_msg_data(&out));
    zmq_msg_send(&id, f->router, ZMQ_SNDMORE);
    zmq_msg_send(&out, f->router, 0);
    if (rep)
        lift__report__free_unpacked(rep, NULL);
    lift__request__free_unpacked(req, NULL);
out:
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    return NULL;
}

static void fake_start(fake_t *f, int not_found)
{
    memset(f, 0, sizeof *f);
    f->not_found = not_found;
    snprintf(f->dir, sizeof f->dir, "/tmp/lift-render-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    snprintf(f->endpoint, sizeof f->endpoint, "ipc://%s/sock", f->dir);
    f->ctx = zmq_ctx_new();
    f->router = zmq_socket(f->ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(f->router, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_bind(f->router, f->endpoint), 0);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(fake_t *f)
{
    pthread_join(f->thread, NULL);
    zmq_close(f->router);
    zmq_ctx_term(f->ctx);
    char sock[128];
    snprintf(sock, sizeof sock, "%s/sock", f->dir);
    unlink(sock);
    rmdir(f->dir);
}

START_TEST(test_client_report)
{
    fake_t fk;
    fake_start(&fk, 0);
    lift_client_opts_t o = {.timeout_ms = 2000, .attempts = 1};
    lift_client_t *c = lift_client_new(fk.endpoint, &o);
    ck_assert_ptr_nonnull(c);
    Lift__ReportRequest rq = LIFT__REPORT_REQUEST__INIT;
    Lift__Dimension dims[] = {LIFT__DIMENSION__DIMENSION_TRIGGER,
                              LIFT__DIMENSION__DIMENSION_CHANNEL};
    rq.experiment_key = "upsell-annual-q4";
    rq.n_segment_by = 2;
    rq.segment_by = dims;
    Lift__Report *rep = NULL;
    ck_assert_int_eq(lift_report(c, &rq, &rep), LIFT_OK);
    fake_stop(&fk);
    ck_assert(fk.body_ok);
    ck_assert_str_eq(fk.key, "upsell-annual-q4");
    ck_assert_int_eq(fk.segment_by, 2);
    ck_assert_ptr_nonnull(rep);
    ck_assert_int_eq(rep->n_arms, 3);
    ck_assert(rep->comparisons[0]->incremental_total->estimate == INC1);
    lift_report_free(&rep);
    ck_assert_ptr_null(rep);
    lift_report_free(&rep); /* harmless twice */
    /* the report timeout was temporary: the client's own is back */
    ck_assert_int_eq(lift_client_set_timeout(c, 0), 2000);
    ck_assert_int_eq(lift_client_set_timeout(c, 1500), LIFT_CLIENT_TIMEOUT_MS);
    lift_client_destroy(&c);

    fake_start(&fk, 1);
    c = lift_client_new(fk.endpoint, &o);
    rq.experiment_key = "nope";
    rep = (Lift__Report *)&rq; /* must be reset */
    ck_assert_int_eq(lift_report(c, &rq, &rep), LIFT_ERR_NOT_FOUND);
    fake_stop(&fk);
    ck_assert_ptr_null(rep);
    ck_assert_ptr_nonnull(strstr(lift_client_error(c), "no experiment with key 'nope'"));
    lift_client_destroy(&c);
}
END_TEST

Suite *render_suite(void)
{
    Suite *s = suite_create("render");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 30);
    tcase_add_test(core, test_format_helpers);
    tcase_add_test(core, test_json_round_trip);
    tcase_add_test(core, test_csv_rows);
    tcase_add_test(core, test_table_layout);
    tcase_add_loop_test(core, test_no_nan_or_inf, 0,
                        (int)(sizeof all_formats / sizeof all_formats[0]));
    tcase_add_test(core, test_html_self_contained);
    tcase_add_test(core, test_findings_render);
    tcase_add_test(core, test_client_report);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_empty_report);
    suite_add_tcase(s, limits);
    return s;
}
