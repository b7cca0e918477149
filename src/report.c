/* report: one experiment's incrementality report (lift.Report) from a read snapshot of the
 * store — a per-customer fold of exposures and events, then stats/ for every estimate.
 * It does not render, send or schedule anything (liftctl and the server do).
 *
 * Semantics (the README's "Reports" section says the same):
 *  - Window [from, to) on each customer's exposure time = the exposure's trigger_ms (the
 *    sender's trigger time, which a simulator may backdate). Defaults: to = now; from = the
 *    experiment's start_ms, else started_ms, else the earliest exposure — lowered to the
 *    earliest exposure when an exposure's trigger time is earlier (every stored exposure was
 *    decided while the experiment ran, so a backdated trigger time must not drop it).
 *  - Population = customers exposed in the window, by assigned arm (intent to treat);
 *    arm 0 is the holdout. Exposures with an arm outside the definition are ignored (warned).
 *  - Outcomes = the customer's events with exposure <= ts < to: revenue = Σ conversions −
 *    Σ refunds (minor units, netted first, then capped above at the revenue-cap percentile
 *    of the customers with revenue > 0: report_est_cap); converted = at least one conversion; impressions and clicks of THIS experiment (events.experiment_id = id);
 *    churned = a churn event within retention_window_days of exposure; NPS after = first
 *    answer. Covariates = events with exposure − lookback <= ts < exposure: pre-period
 *    revenue (CUPED's x, not capped) and NPS before = last answer. Conversions and refunds of
 *    the population before exposure or at/after `to` are counted and warned about, not used.
 *  - Revenue comparisons (each treatment arm vs the holdout): lift_revenue_diff (calibrated:
 *    skewness-corrected, always-valid when sequential, not estimable below the minimum
 *    expected converters) on the capped revenue, or lift_revenue_diff_cuped on the same raw
 *    summaries (x = pre-period revenue) when CUPED is asked and the pre-period varies;
 *    incremental total / holdout cost / net of cost_per_attempt × impressions scale that
 *    interval. When sequential, conversion, churn, CTR, CACE and the NPS difference are
 *    always-valid too (lift_sequential, N = n_T + n_C); the pre-period balance check stays
 *    fixed-horizon (Estimate.sequential says which).
 *  - Retention: Kaplan–Meier of days from the customer's first post-exposure conversion to
 *    the first churn at or after it, censored at `to`; treated arm vs holdout ("organic").
 *  - Segments: trigger/stage/channel of the exposure, delay = first impression of this
 *    experiment − trigger_ms (<1h, 1-24h, 1-7d, >7d, no impression). A level with fewer than
 *    REPORT_MIN_SEGMENT customers in an arm is listed with its counts, not estimated.
 *  - Two families, each adjusted by BH or Holm (request.adjust): confirmatory = the primary
 *    metric per treatment arm (independent of the segments asked for); exploratory = the other
 *    metrics and every estimated segment level. One hypothesis counts once: revenue_diff,
 *    incremental_total, holdout_cost, relative_lift, cace (and net when the cost is 0) share
 *    one adjusted p. Descriptive per-arm figures, the balance check and the weekly series are
 *    in no family. Per dimension and arm: heterogeneity (Cochran's Q) and empirical-Bayes
 *    shrunken estimates of the levels; levels sorted by the shrunken totals.
 *  - Weekly: ISO weeks (Monday 00:00 UTC) from the week of `from` to the week of to − 1; the
 *    point at the end E of a week uses customers exposed before E and events before E (the
 *    last point equals the report), with its own cap. One event scan serves it: post-exposure
 *    revenue events are kept per week and added to running per-customer totals.
 *
 * The work is split by concern: report_opts (the request resolved), report_scan (the read:
 * hash map of customers, the two-thread event scan), report_acc (per-arm and per-cell folds),
 * report_est (estimates through stats/), report_msg (message pieces, families, warnings),
 * report_segments, report_weekly and report_health; this file runs them in order and builds
 * the arms, the comparisons, the testing summary and the provenance. */
#include "report.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "lift/lift.h"
#include "lift/stats.h"
#include "report_acc.h"
#include "report_est.h"
#include "report_health.h"
#include "report_msg.h"
#include "report_opts.h"
#include "report_scan.h"
#include "report_segments.h"
#include "report_weekly.h"
#include "units.h"

/* The report and the arena that holds it, in that arena: report_free finds the arena from the
 * message. */
typedef struct {
    arena_t *arena;      /* owns every sub-message and string, and this box */
    Lift__Report report; /* handed to the caller */
} report_box_t;

/* What the comparisons applied, for the health section and the provenance. */
typedef struct {
    int cuped_applied;     /* some comparison used CUPED */
    const char *cuped_why; /* requested, not applied: why (NULL when applied or not asked) */
} applied_t;

/* The descriptive summary of arm a (no test). */
static Lift__ArmSummary *arm_summary(report_msg_t *b, const Lift__Experiment *exp,
                                     const report_arm_t *A, size_t a)
{
    const report_opts_t *o = b->o;
    Lift__ArmSummary *m = ARENA_NEW(b->a, Lift__ArmSummary, LIFT__ARM_SUMMARY__INIT);
    REPORT_MSG_CK(m);
    m->has_arm_index = 1;
    m->arm_index = (int32_t)a;
    m->arm_name = (char *)report_msg_arm_name(exp, a);
    m->has_exposed = m->has_impressions = m->has_clicks = m->has_impressed_customers = 1;
    m->has_converted_customers = m->has_conversions = m->has_revenue_minor = 1;
    m->has_refunds_minor = m->has_churned = m->has_revenue_per_customer = 1;
    m->has_revenue_per_customer_uncapped = m->has_capped_customers = 1;
    m->has_nps_before_n = m->has_nps_after_n = m->has_nps_pairs = 1;
    m->has_pre_revenue_per_customer = 1;
    m->exposed = (uint64_t)A->all.exposed;
    m->impressions = A->imps;
    m->clicks = A->clicks;
    m->impressed_customers = A->impressed;
    m->converted_customers = (uint64_t)A->all.converted;
    m->conversions = A->conversions;
    m->revenue_minor = A->revenue;
    m->refunds_minor = A->refunds;
    m->churned = (uint64_t)A->churned;
    m->revenue_per_customer =
        A->all.exposed > 0 && isfinite(A->all.rev.mean_y) ? A->all.rev.mean_y : 0;
    m->revenue_per_customer_uncapped =
        A->all.exposed > 0 && isfinite(A->unc.mean_y) ? A->unc.mean_y : 0;
    m->pre_revenue_per_customer =
        A->all.exposed > 0 && isfinite(A->all.rev.mean_x) ? A->all.rev.mean_x : 0;
    m->capped_customers = A->capped;
    m->nps_before_n =
        (uint64_t)(A->nps_pre.promoters + A->nps_pre.passives + A->nps_pre.detractors);
    m->nps_after_n =
        (uint64_t)(A->nps_post.promoters + A->nps_post.passives + A->nps_post.detractors);
    m->nps_pairs = (uint64_t)A->nps_pair.n;
    /* Per-arm NPS is descriptive: no test (a p-value for "NPS = 0" would mean nothing). */
    lift_estimate_t e = lift_nps(&A->nps_pre, o->alpha);
    REPORT_MSG_CK(m->nps_before = report_msg_est(b, &e, 0));
    m->nps_before->has_p_value = 0;
    e = lift_nps(&A->nps_post, o->alpha);
    REPORT_MSG_CK(m->nps_after = report_msg_est(b, &e, 0));
    m->nps_after->has_p_value = 0;
    e = lift_nps_prepost(&A->nps_pair, o->alpha);
    REPORT_MSG_CK(m->nps_change = report_msg_est(b, &e, 0));
    lift_proportion_t pr = lift_wilson(A->all.converted, A->all.exposed, o->alpha);
    if (pr.status == LIFT_STAT_OK && isfinite(pr.p) && isfinite(pr.ci_low) &&
        isfinite(pr.ci_high)) {
        REPORT_MSG_CK(m->conversion_rate = ARENA_NEW(b->a, Lift__Estimate, LIFT__ESTIMATE__INIT));
        m->conversion_rate->has_ok = m->conversion_rate->ok = 1;
        m->conversion_rate->has_estimate = m->conversion_rate->has_ci_low = 1;
        m->conversion_rate->has_ci_high = 1;
        m->conversion_rate->estimate = pr.p;
        m->conversion_rate->ci_low = pr.ci_low;
        m->conversion_rate->ci_high = pr.ci_high;
    } else {
        REPORT_MSG_CK(m->conversion_rate =
                          report_msg_fail(b, pr.reason && *pr.reason ? pr.reason : "no customers"));
    }
    return m;
oom:
    b->oom = 1;
    return NULL;
}

/* Health of comparison m: pre-exposure revenue should not differ between T and C
 * (randomization); fixed-horizon Welch, warned about below LIFT_SRM_P_THRESHOLD. */
static void pre_period(report_msg_t *b, const Lift__Experiment *exp, size_t a,
                       const report_arm_t *T, const report_arm_t *C, Lift__Comparison *m)
{
    const report_opts_t *o = b->o;
    lift_summary_t pt = T->all.rev, pc = C->all.rev;
    pt.mean_y = pt.mean_x;
    pt.m2_y = pt.m2_x;
    pc.mean_y = pc.mean_x;
    pc.m2_y = pc.m2_x;
    lift_estimate_t pre = lift_diff_means(&pt, &pc, o->alpha);
    m->pre_period_diff = report_msg_est(b, &pre, 0);
    if (pre.status == LIFT_STAT_OK && pre.p_value < LIFT_SRM_P_THRESHOLD) {
        char d1[48];
        snprintf(d1, sizeof d1, "%+.2f", pre.estimate);
        report_msg_warn(b, REPORT_W_PRE,
                        "pre-period imbalance: pre-exposure revenue per customer differs between "
                        "%s and %s by %s minor units (p %.2g < 0.001) although randomization "
                        "makes it equal in expectation: check the assignment and the exposure "
                        "times before trusting the comparison",
                        report_msg_arm_name(exp, a), report_msg_arm_name(exp, 0), d1, pre.p_value);
    }
}

/* The treated arm T's funnel into m (after m's incremental total). */
static void funnel(report_msg_t *b, const report_arm_t *T, Lift__Comparison *m)
{
    Lift__Funnel *f = ARENA_NEW(b->a, Lift__Funnel, LIFT__FUNNEL__INIT);
    if (!f) {
        b->oom = 1;
        return;
    }
    if (T->all.exposed > 0) {
        f->has_impression_rate = 1;
        f->impression_rate = (double)T->impressed / (double)T->all.exposed;
    }
    if (T->imps > 0) {
        f->has_click_through = f->has_conversion_per_impression = 1;
        f->click_through = (double)T->clicks / (double)T->imps;
        f->conversion_per_impression = (double)T->conversions / (double)T->imps;
        if (m->incremental_total->ok) {
            f->has_revenue_per_attempt = 1;
            f->revenue_per_attempt = m->incremental_total->estimate / (double)T->imps;
        }
    }
    m->funnel = f;
}

/* m's estimates into the two families: the primary metric's test is confirmatory. */
static void families(report_msg_t *b, Lift__Comparison *m)
{
    const report_opts_t *o = b->o;
    int rev = o->primary == LIFT__METRIC__METRIC_REVENUE ? REPORT_FAM_CONF : REPORT_FAM_EXPL;
    int conv = o->primary == LIFT__METRIC__METRIC_CONVERSION ? REPORT_FAM_CONF : REPORT_FAM_EXPL;
    int ret = o->primary == LIFT__METRIC__METRIC_RETENTION ? REPORT_FAM_CONF : REPORT_FAM_EXPL;
    Lift__Estimate *net_same = o->cost == 0 ? m->net_incremental : NULL;
    REPORT_MSG_FAMILY(b, rev, m->revenue_diff, m->incremental_total, m->holdout_cost,
                      m->relative_lift, m->cace, net_same);
    if (o->cost > 0)
        REPORT_MSG_FAMILY(b, REPORT_FAM_EXPL, m->net_incremental);
    REPORT_MSG_FAMILY(b, conv, m->conversion_diff);
    REPORT_MSG_FAMILY(b, ret, m->churn_diff);
    REPORT_MSG_FAMILY(b, REPORT_FAM_EXPL, m->ctr_diff);
    REPORT_MSG_FAMILY(b, REPORT_FAM_EXPL, m->nps_diff);
}

/* Treatment arm a vs the holdout (arm 0), with the holdout's retention curve `organic`. */
static Lift__Comparison *comparison(report_msg_t *b, const Lift__Experiment *exp,
                                    const report_acc_t *acc, size_t a,
                                    Lift__RetentionPoint **organic, size_t n_organic, applied_t *ap)
{
    const report_opts_t *o = b->o;
    const report_arm_t *T = &acc->arm[a], *C = &acc->arm[0];
    double ntot = (double)(T->all.exposed + C->all.exposed);
    report_revcmp_t r = report_est_revenue(&T->all.rev, &C->all.rev, T->all.payers, C->all.payers,
                                           o, (double)T->imps);
    ap->cuped_applied |= r.cuped;
    if (!r.cuped && r.cuped_why && !ap->cuped_why)
        ap->cuped_why = r.cuped_why;
    lift_estimate_t conv = lift_prop_diff(T->all.converted, T->all.exposed, C->all.converted,
                                          C->all.exposed, o->alpha);
    conv = report_est_seq(&conv, ntot, o);
    Lift__Comparison *m = report_msg_comparison(b, exp, a, &r, &conv);
    REPORT_MSG_CK(m);
    m->has_converted_treated = m->has_converted_holdout = 1;
    m->converted_treated = (uint64_t)T->all.payers; /* the revenue rule's converters */
    m->converted_holdout = (uint64_t)C->all.payers;
    REPORT_MSG_CK(m->holdout_cost = report_msg_est(b, &r.holdout, 1));
    REPORT_MSG_CK(m->net_incremental = report_msg_est(b, &r.net, 1));
    if (acc->cap > 0) {
        report_revcmp_t u =
            report_est_revenue(&T->unc, &C->unc, T->all.payers, C->all.payers, o, 0);
        REPORT_MSG_CK(m->revenue_diff_uncapped = report_msg_est(b, &u.diff, 1));
    }
    lift_estimate_t ch =
        lift_prop_diff(T->churned, T->all.exposed, C->churned, C->all.exposed, o->alpha);
    ch = report_est_seq(&ch, ntot, o);
    REPORT_MSG_CK(m->churn_diff = report_msg_est(b, &ch, 1));
    lift_estimate_t ctr = lift_ratio_diff(&T->ctr, &C->ctr, o->alpha);
    ctr = report_est_seq(&ctr, ntot, o);
    REPORT_MSG_CK(m->ctr_diff = report_msg_est(b, &ctr, 1));
    lift_cace_t cace = lift_cace(&T->cace, &C->cace, o->alpha);
    lift_estimate_t ce = cace.cace;
    if (cace.status != LIFT_STAT_OK) {
        ce.status = LIFT_STAT_NOT_ESTIMABLE;
        ce.reason = cace.reason;
    }
    ce = report_est_seq(&ce, ntot, o);
    REPORT_MSG_CK(m->cace = report_msg_est(b, &ce, 1));
    lift_estimate_t nd = lift_nps_diff(&T->nps_post, &C->nps_post, o->alpha);
    nd = report_est_seq(&nd,
                        (double)(T->nps_post.promoters + T->nps_post.passives +
                                 T->nps_post.detractors + C->nps_post.promoters +
                                 C->nps_post.passives + C->nps_post.detractors),
                        o);
    REPORT_MSG_CK(m->nps_diff = report_msg_est(b, &nd, 1));
    pre_period(b, exp, a, T, C, m);
    funnel(b, T, m);
    REPORT_MSG_CK(m->retention_treated =
                      report_msg_retention(b, T->km_t, T->km_e, T->km_n, &m->n_retention_treated));
    m->retention_organic = organic;
    m->n_retention_organic = n_organic;
    families(b, m);
    REPORT_MSG_CK(!b->oom);
    return m;
oom:
    b->oom = 1;
    return NULL;
}

/* rep->comparisons: every treatment arm vs the holdout. The confirmatory family holds the
 * primary metric's test per treatment arm; every estimate of the same null hypothesis (the
 * revenue difference, its totals, the relative lift, CACE = ITT / compliance, net when the
 * attempt cost is 0) shows that one adjusted p-value. Everything else is exploratory. */
static int comparisons(report_msg_t *b, const Lift__Experiment *exp, const report_acc_t *acc,
                       Lift__Report *rep, applied_t *ap)
{
    size_t na = acc->n_arms;
    if (na < 2)
        return 0;
    const report_arm_t *C = &acc->arm[0];
    size_t n_organic = 0;
    Lift__RetentionPoint **organic = report_msg_retention(b, C->km_t, C->km_e, C->km_n, &n_organic);
    REPORT_MSG_CK(organic);
    REPORT_MSG_CK(rep->comparisons = arena_zalloc(b->a, (na - 1) * sizeof *rep->comparisons));
    for (size_t a = 1; a < na; a++) {
        Lift__Comparison *m = comparison(b, exp, acc, a, organic, n_organic, ap);
        REPORT_MSG_CK(m);
        rep->comparisons[rep->n_comparisons++] = m;
    }
    return 0;
oom:
    b->oom = 1;
    return -1;
}

/* The provenance: what was read, what was asked (the copied experiment, the options) and what
 * was applied. NULL when out of memory. */
static Lift__Provenance *provenance(report_msg_t *b, const Lift__Experiment *exp,
                                    const report_scan_t *c, const report_acc_t *acc,
                                    const applied_t *ap, const char *currency, int64_t now_ms)
{
    char note[256];
    Lift__Provenance *p = ARENA_NEW(b->a, Lift__Provenance, LIFT__PROVENANCE__INIT);
    if (!p)
        return NULL;
    size_t len = lift__experiment__get_packed_size(exp);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return NULL;
    lift__experiment__pack(exp, buf);
    ProtobufCAllocator al = arena_allocator(b->a);
    p->experiment = lift__experiment__unpack(&al, len, buf);
    free(buf);
    if (!p->experiment)
        return NULL;
    p->hash_version = LIFT_HASH_VERSION;
    p->has_from_ms = p->has_to_ms = p->has_generated_ms = 1;
    p->from_ms = b->o->from;
    p->to_ms = b->o->to;
    p->generated_ms = now_ms;
    p->has_exposures_read = p->has_events_read = 1;
    p->exposures_read = c->exposures_read;
    p->events_read = c->events_read;
    if (currency && !(p->currency = arena_strdup(b->a, currency)))
        return NULL;
    p->has_alpha = p->has_sequential = p->has_cuped = 1;
    p->alpha = b->o->alpha;
    p->sequential = b->o->sequential;
    p->cuped = b->o->cuped;
    p->has_revenue_cap = p->has_revenue_cap_percentile = p->has_n_star = 1;
    p->revenue_cap = acc->cap;
    p->revenue_cap_percentile = b->o->cap_pct;
    p->n_star = b->o->n_star;
    p->lift_version = LIFT_VERSION;
    p->has_cuped_applied = p->has_capped_customers = p->has_cost_per_attempt_minor = 1;
    p->cuped_applied = ap->cuped_applied;
    if (b->o->cuped && !ap->cuped_applied) {
        snprintf(note, sizeof note, "CUPED requested, not applied: %s",
                 ap->cuped_why ? ap->cuped_why : "not estimable");
        if (!(p->cuped_note = arena_strdup(b->a, note)))
            return NULL;
    }
    p->capped_customers = acc->capped;
    if (b->o->cap_pct < 100) {
        snprintf(note, sizeof note, "%gth percentile of the %zu customers with revenue > 0",
                 b->o->cap_pct, acc->n_pos);
        if (!(p->revenue_cap_rule = arena_strdup(b->a, note)))
            return NULL;
        if (acc->cap <= 0 &&
            !(p->revenue_cap_note =
                  arena_strdup(b->a, "cap requested, not applied: no customer has revenue > 0")))
            return NULL;
    }
    p->cost_per_attempt_minor = b->o->cost;
    p->has_lookback_days = 1;
    p->lookback_days = b->o->lookback_days;
    p->has_min_converters = 1;
    p->min_converters = LIFT_MIN_CONVERTERS;
    return p;
}

static Lift__Testing *testing(report_msg_t *b)
{
    Lift__Testing *t = ARENA_NEW(b->a, Lift__Testing, LIFT__TESTING__INIT);
    if (!t)
        return NULL;
    t->has_method = t->has_primary_metric = t->has_confirmatory_tests = 1;
    t->has_exploratory_tests = 1;
    t->method = (Lift__Adjustment)b->o->adjust;
    t->primary_metric = (Lift__Metric)b->o->primary;
    t->confirmatory_tests = (uint32_t)b->n_fam[REPORT_FAM_CONF];
    t->exploratory_tests = (uint32_t)b->n_fam[REPORT_FAM_EXPL];
    return t;
}

/* The message from a finished scan: arms, comparisons, segments, weekly series, health, the
 * two families adjusted, testing and provenance. Returns 0, or -1 when out of memory. */
static int build(report_msg_t *b, const Lift__Experiment *exp, const report_scan_t *s,
                 Lift__Report *rep, const char *currency, int64_t now_ms)
{
    const report_opts_t *o = b->o;
    size_t na = exp->n_arms;
    report_acc_t acc;
    applied_t ap = {0, NULL};
    report_seg_info_t seg;
    double wts[LIFT_ARMS_MAX];
    int rc = -1;
    if (report_acc_fold(&acc, s, o, na) < 0)
        goto out;
    REPORT_MSG_CK(rep->arms = arena_zalloc(b->a, na * sizeof *rep->arms));
    for (size_t a = 0; a < na; a++)
        REPORT_MSG_CK(rep->arms[rep->n_arms++] = arm_summary(b, exp, &acc.arm[a], a));
    if (comparisons(b, exp, &acc, rep, &ap) < 0)
        goto out;
    if (o->cuped && !ap.cuped_applied)
        ap.cuped_why = acc.with_pre == 0 ? "no customer has pre-exposure revenue in the lookback"
                       : ap.cuped_why    ? ap.cuped_why
                                         : "not estimable";
    /* the confirmatory family is complete here: segments never change its adjusted p-values */
    report_opts_weights(exp, wts);
    if (report_seg_build(b, &acc, exp, wts, rep, &seg) < 0 ||
        report_weekly_build(b, s, exp, rep) < 0)
        goto out;
    report_health_in_t hin = {s, &acc, exp, wts, currency, &seg, ap.cuped_applied, ap.cuped_why};
    if (report_health_build(b, &hin, rep) < 0)
        goto out;
    report_msg_adjust(b);
    REPORT_MSG_CK(rep->testing = testing(b));
    REPORT_MSG_CK(rep->provenance = provenance(b, exp, s, &acc, &ap, currency, now_ms));
    REPORT_MSG_CK(!b->oom);
    rc = 0;
    goto out;
oom:
    b->oom = 1;
out:
    report_acc_fini(&acc);
    return rc;
}

int report_build(store_reader_t *rd, const Lift__Experiment *exp, int64_t experiment_id,
                 const Lift__ReportRequest *req, const char *currency, int64_t now_ms,
                 Lift__Report **out, status_t *st)
{
    status_ok(st);
    if (!rd || !exp || !out)
        return status_set(st, LIFT__CODE__INTERNAL, NULL, "report_build: NULL argument");
    *out = NULL;
    if (!req)
        return status_set(st, LIFT__CODE__INVALID_ARGUMENT, "report", "report is required");
    if (exp->n_arms < 1 || exp->n_arms > LIFT_ARMS_MAX)
        return status_set(st, LIFT__CODE__FAILED_PRECONDITION, "experiment.arms",
                          "experiment has %zu arms: a report needs 1..%d", exp->n_arms,
                          LIFT_ARMS_MAX);
    report_opts_t o;
    if (report_opts_resolve(exp, req, now_ms, &o, st) < 0)
        return -1;
    arena_t *a = arena_new(0);
    report_box_t *box = a ? arena_zalloc(a, sizeof *box) : NULL;
    if (!box) {
        arena_destroy(&a);
        return status_set(st, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, "out of memory");
    }
    Lift__Report init = LIFT__REPORT__INIT;
    box->arena = a;
    box->report = init;
    report_scan_t scan;
    report_msg_t b = {.a = a, .o = &o};
    int rc = report_scan_run(rd, exp, experiment_id, &o, &scan, st);
    if (rc == 0 && (rc = build(&b, exp, &scan, &box->report, currency, now_ms)) < 0)
        status_set(st, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, "report: out of memory");
    report_scan_fini(&scan);
    report_msg_fini(&b);
    if (rc < 0) {
        arena_destroy(&a);
        return -1;
    }
    units_fill(&box->report); /* Estimate.unit on every estimate */
    *out = &box->report;
    return 0;
}

void report_free(Lift__Report **r_p)
{
    Lift__Report *r = r_p ? *r_p : NULL;
    if (!r)
        return;
    *r_p = NULL;
    report_box_t *box = (report_box_t *)(void *)((char *)r - offsetof(report_box_t, report));
    arena_t *a = box->arena; /* the box lives in the arena */
    arena_destroy(&a);
}
