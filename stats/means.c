/* Estimators on revenue-like means: Welch difference, relative lift, incremental
 * revenue totals, CUPED adjustment and the complier average causal effect.
 * All take per-arm summaries (T = treatment, C = holdout); no I/O. */
#include <math.h>

#include "stats_internal.h"

lift_estimate_t lift_diff_means(const lift_summary_t *t, const lift_summary_t *c, double alpha)
{
    if (!t || !c)
        return lift__est_fail(LIFT__R_NULL);
    return lift__welch(t->mean_y, lift_summary_var_y(t), (double)t->n, c->mean_y,
                       lift_summary_var_y(c), (double)c->n, alpha);
}

lift_estimate_t lift_rel_lift(const lift_summary_t *t, const lift_summary_t *c, double alpha)
{
    if (!t || !c)
        return lift__est_fail(LIFT__R_NULL);
    return lift__rel(t->mean_y, lift_summary_var_y(t), (double)t->n, c->mean_y,
                     lift_summary_var_y(c), (double)c->n, alpha);
}

/* The per-customer estimate scaled by k customers: same p-value and df. */
static lift_estimate_t scale_estimate(const lift_estimate_t *e, double k)
{
    lift_estimate_t s = *e;
    s.estimate *= k;
    s.se *= k;
    s.ci_low *= k;
    s.ci_high *= k;
    lift__est_guard(&s);
    return s;
}

lift_incremental_t lift_incremental(const lift_summary_t *t, const lift_summary_t *c, double alpha,
                                    double cost_per_attempt, double attempts)
{
    lift_incremental_t r = {0};
    lift_estimate_t fail;
    if (!isfinite(cost_per_attempt) || cost_per_attempt < 0 || !isfinite(attempts) || attempts < 0)
        fail = lift__est_fail("invalid argument: cost_per_attempt and attempts must be "
                              "finite and >= 0");
    else
        fail = lift_diff_means(t, c, alpha);
    if (fail.status != LIFT_STAT_OK) {
        r.status = fail.status;
        r.reason = fail.reason;
        r.per_customer = r.total = r.holdout_cost = r.net = fail;
        return r;
    }
    r.per_customer = fail;
    r.total = scale_estimate(&r.per_customer, (double)t->n);
    r.holdout_cost = scale_estimate(&r.per_customer, (double)c->n);
    r.attempt_cost = cost_per_attempt * attempts;
    /* The cost is known, not estimated: it shifts the interval but not the SE. */
    r.net = lift__est_t(r.total.estimate - r.attempt_cost, r.total.se, r.total.df, alpha);
    r.status = LIFT_STAT_OK;
    r.reason = "";
    if (r.total.status != LIFT_STAT_OK || r.holdout_cost.status != LIFT_STAT_OK ||
        r.net.status != LIFT_STAT_OK || !isfinite(r.attempt_cost)) {
        lift_estimate_t f = lift__est_fail(LIFT__R_NUMERIC);
        r.per_customer = r.total = r.holdout_cost = r.net = f;
        r.attempt_cost = 0;
        r.status = f.status;
        r.reason = f.reason;
    }
    return r;
}

/* Adjusted variance of Y − θX in one arm (n − 1 denominators), clamped at 0. */
static double cuped_var(const lift_summary_t *s, double theta)
{
    double v = lift_summary_var_y(s) + theta * theta * lift_summary_var_x(s) -
               2.0 * theta * lift_summary_cov_xy(s);
    return v > 0 ? v : 0.0;
}

static lift_cuped_t cuped_fail(const char *reason)
{
    lift_cuped_t r = {0};
    r.status = LIFT_STAT_NOT_ESTIMABLE;
    r.reason = reason;
    r.diff = r.lift = lift__est_fail(reason);
    return r;
}

lift_cuped_t lift_cuped(const lift_summary_t *t, const lift_summary_t *c, double alpha)
{
    if (!t || !c)
        return cuped_fail(LIFT__R_NULL);
    if (!lift__alpha_ok(alpha))
        return cuped_fail(LIFT__R_ALPHA);
    if (t->n < 2 || c->n < 2)
        return cuped_fail(LIFT__R_FEW);
    lift_summary_t pooled = *t;
    lift_summary_merge(&pooled, c);
    /* Pre-period revenue that is the same for everyone (often all 0) carries no
     * information: report it rather than silently fall back. */
    if (lift__negligible(pooled.m2_x, pooled.mean_x * pooled.mean_x * (double)pooled.n))
        return cuped_fail("no pre-period data: the covariate has zero variance");
    lift_cuped_t r = {0};
    r.theta = pooled.c_xy / pooled.m2_x;
    double nt = (double)t->n, nc = (double)c->n;
    double vt = cuped_var(t, r.theta), vc = cuped_var(c, r.theta);
    r.mean_t = t->mean_y - r.theta * (t->mean_x - pooled.mean_x);
    r.mean_c = c->mean_y - r.theta * (c->mean_x - pooled.mean_x);
    r.diff = lift__welch(r.mean_t, vt, nt, r.mean_c, vc, nc, alpha);
    if (r.diff.status != LIFT_STAT_OK)
        return cuped_fail(r.diff.reason);
    r.lift = lift__rel(r.mean_t, vt, nt, r.mean_c, vc, nc, alpha);
    double raw = lift_summary_var_y(t) / nt + lift_summary_var_y(c) / nc;
    r.variance_reduction = raw > 0 ? 1.0 - (vt / nt + vc / nc) / raw : 0.0;
    if (!isfinite(r.theta) || !isfinite(r.mean_t) || !isfinite(r.mean_c) ||
        !isfinite(r.variance_reduction))
        return cuped_fail(LIFT__R_NUMERIC);
    r.status = LIFT_STAT_OK;
    r.reason = "";
    return r;
}

static lift_cace_t cace_fail(const char *reason)
{
    lift_cace_t r = {0};
    r.status = LIFT_STAT_NOT_ESTIMABLE;
    r.reason = reason;
    r.itt = r.compliance = r.cace = lift__est_fail(reason);
    return r;
}

lift_cace_t lift_cace(const lift_summary_t *t, const lift_summary_t *c, double alpha)
{
    if (!t || !c)
        return cace_fail(LIFT__R_NULL);
    if (!lift__alpha_ok(alpha))
        return cace_fail(LIFT__R_ALPHA);
    if (t->n < 2 || c->n < 2)
        return cace_fail(LIFT__R_FEW);
    lift_cace_t r = {0};
    double nt = (double)t->n, nc = (double)c->n;
    r.itt = lift_diff_means(t, c, alpha);
    double pi = t->mean_x - c->mean_x;
    double var_pi = lift_summary_var_x(t) / nt + lift_summary_var_x(c) / nc;
    if (!(pi >= LIFT_CACE_MIN_COMPLIANCE))
        return cace_fail("impression-rate difference below 0.01: too few customers saw "
                         "the offer to identify its effect");
    if (var_pi > 0)
        r.compliance = lift__est_normal(pi, sqrt(var_pi), alpha);
    else /* everyone in T saw it and nobody in C: π is known exactly */
        r.compliance = (lift_estimate_t){LIFT_STAT_OK, "", pi, 0, pi, pi, 0, 0};
    if (r.compliance.status != LIFT_STAT_OK)
        return cace_fail(r.compliance.reason);
    if (!(r.compliance.ci_low > 0))
        return cace_fail("impression-rate difference not distinguishable from 0: its "
                         "interval includes 0");
    if (r.itt.status != LIFT_STAT_OK)
        return cace_fail(r.itt.reason);
    double var_d = lift_summary_var_y(t) / nt + lift_summary_var_y(c) / nc;
    double cov = lift_summary_cov_xy(t) / nt + lift_summary_cov_xy(c) / nc;
    double est = r.itt.estimate / pi;
    double v = (var_d - 2.0 * est * cov + est * est * var_pi) / (pi * pi);
    if (lift__negligible(v, var_d / (pi * pi)))
        return cace_fail(LIFT__R_ZERO_VAR);
    r.cace = lift__est_normal(est, sqrt(v), alpha);
    if (r.cace.status != LIFT_STAT_OK)
        return cace_fail(r.cace.reason);
    r.status = LIFT_STAT_OK;
    r.reason = "";
    return r;
}
