/* report_est: see report_est.h. */
#include "report_est.h"

#include <math.h>
#include <string.h>

/* lift_revenue_diff_cuped's reason when the covariate does not vary (then the plain one) */
#define NO_PRE_PERIOD "no pre-period data"

lift_estimate_t report_est_seq(const lift_estimate_t *e, double n_total, const report_opts_t *o)
{
    if (!o->sequential || e->status != LIFT_STAT_OK)
        return *e;
    return lift_sequential(e->estimate, e->se, n_total, o->alpha, o->n_star);
}

lift_estimate_t report_est_scale(lift_estimate_t e, double k)
{
    if (e.status != LIFT_STAT_OK)
        return e;
    e.estimate *= k;
    e.se *= k;
    e.ci_low *= k;
    e.ci_high *= k;
    return e;
}

report_revcmp_t report_est_revenue(const lift_summary_t *t, const lift_summary_t *c, int64_t pay_t,
                                   int64_t pay_c, const report_opts_t *o, double attempts)
{
    report_revcmp_t r;
    memset(&r, 0, sizeof r);
    double ns = o->sequential ? o->n_star : 0;
    if (o->cuped) {
        lift_cuped_t cu = lift_cuped(t, c, o->alpha);
        if (cu.status != LIFT_STAT_OK) {
            r.cuped_why = cu.reason;
        } else if (cu.diff.status != LIFT_STAT_OK) {
            r.cuped_why = cu.diff.reason;
        } else {
            r.diff = lift_revenue_diff_cuped(t, c, pay_t, pay_c, o->alpha, ns);
            if (r.diff.status != LIFT_STAT_OK && r.diff.reason &&
                strncmp(r.diff.reason, NO_PRE_PERIOD, sizeof NO_PRE_PERIOD - 1) == 0) {
                r.cuped_why = r.diff.reason; /* the plain difference below */
            } else {
                r.cuped = 1;
                r.vr = isfinite(cu.variance_reduction) ? cu.variance_reduction : 0;
                r.lift = cu.lift;
            }
        }
    }
    if (!r.cuped) {
        r.diff = lift_revenue_diff(t, c, pay_t, pay_c, o->alpha, ns);
        r.lift = lift_rel_lift(t, c, o->alpha);
    }
    double n = (double)(t->n + c->n);
    if (r.diff.status != LIFT_STAT_OK) {
        r.lift.status = LIFT_STAT_NOT_ESTIMABLE;
        r.lift.reason = r.diff.reason;
    }
    r.lift = report_est_seq(&r.lift, n, o);
    r.total = report_est_scale(r.diff, (double)t->n);
    r.holdout = report_est_scale(r.diff, (double)c->n);
    r.net = report_est_scale(r.diff, (double)t->n);
    if (r.net.status == LIFT_STAT_OK) { /* a known cost shifts the total; same test */
        double cost = (double)o->cost * attempts;
        r.net.estimate -= cost;
        r.net.ci_low -= cost;
        r.net.ci_high -= cost;
        if (cost != 0 && r.net.se > 0) { /* its own null, net = 0: same SE, shifted */
            if (o->sequential) {
                r.net.p_value =
                    lift_sequential(r.net.estimate, r.net.se, n, o->alpha, o->n_star).p_value;
            } else {
                r.net.p_value = erfc(fabs(r.net.estimate / r.net.se) / sqrt(2.0));
            }
        }
    }
    return r;
}

/* Why over payers only: revenue per exposed customer is zero-inflated — with 2% converters,
 * the pooled 99.9th percentile is a payer's amount only while payers exceed 0.1% of the
 * customers; below that it is a quantile of zeros, the cap collapses and whole upgrades vanish
 * (a 49.00 purchase capped to 0.05). Over payers the percentile is always a payment, so the cap
 * trims the top (1 − pct) of payments whatever the conversion rate, and Welch's interval keeps
 * its meaning (winsorizing trades a small bias for a large variance cut; STATS.md). */
double report_est_cap(const double *pos, size_t m, double pct)
{
    if (pct >= 100 || m == 0)
        return 0;
    lift_cap_t c = lift_cap(pos, m, pct / 100.0);
    if (c.status != LIFT_STAT_OK || !isfinite(c.cap) || c.cap <= 0)
        return 0;
    return c.cap;
}
