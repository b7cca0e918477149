/* Segment-level statistics over per-level estimates with standard errors: Cochran's Q
 * heterogeneity with I² and the DerSimonian–Laird τ², and empirical-Bayes (normal–normal)
 * shrinkage toward the random-effects mean. Pure functions over arrays; no I/O. */
#include <math.h>

#include <gsl/gsl_cdf.h>

#include "stats_internal.h"

#define R_LEVEL_SKIPPED "level skipped: its standard error is not positive and finite"

/* 1 when level i takes part: finite estimate, finite se > 0 whose weight 1/se² is finite. */
static int level_ok(double est, double se)
{
    return isfinite(est) && isfinite(se) && se > 0 && isfinite(1.0 / (se * se));
}

static lift_heterogeneity_t het_fail(const char *reason, size_t k_used)
{
    lift_heterogeneity_t h = {0};
    h.status = LIFT_STAT_NOT_ESTIMABLE;
    h.reason = reason;
    h.p_value = 1.0;
    h.k_used = k_used;
    return h;
}

/* Q, df, p, I², τ² and the fixed-effect mean over the usable levels. Sums in long double:
 * weights can span many orders of magnitude between a large and a tiny segment. */
lift_heterogeneity_t lift_heterogeneity(const double *est, const double *se, size_t k)
{
    if (k > 0 && (!est || !se))
        return het_fail(LIFT__R_NULL, 0);
    size_t used = 0;
    long double sw = 0, sw2 = 0, swy = 0;
    for (size_t i = 0; i < k; i++) {
        if (!level_ok(est[i], se[i]))
            continue;
        long double w = 1.0L / ((long double)se[i] * se[i]);
        used++;
        sw += w;
        sw2 += w * w;
        swy += w * est[i];
    }
    if (used < 2)
        return het_fail("fewer than 2 levels with an estimate", used);
    long double mu = swy / sw, q = 0;
    for (size_t i = 0; i < k; i++) {
        if (!level_ok(est[i], se[i]))
            continue;
        long double d = est[i] - mu;
        q += d * d / ((long double)se[i] * se[i]);
    }
    lift_heterogeneity_t h = {0};
    h.status = LIFT_STAT_OK;
    h.reason = "";
    h.k_used = used;
    h.df = (double)(used - 1);
    h.q = (double)q;
    h.mean = (double)mu;
    h.p_value = h.q > 0 ? gsl_cdf_chisq_Q(h.q, h.df) : 1.0;
    h.i2 = h.q > h.df ? (h.q - h.df) / h.q : 0.0;
    long double c = sw - sw2 / sw;
    h.tau2 = (h.q > h.df && c > 0) ? (double)(((long double)h.q - h.df) / c) : 0.0;
    if (!isfinite(h.q) || !isfinite(h.p_value) || !isfinite(h.i2) || !isfinite(h.tau2) ||
        !isfinite(h.mean) || h.p_value < 0 || h.p_value > 1)
        return het_fail(LIFT__R_NUMERIC, used);
    return h;
}

lift_result_t lift_eb_shrink(const double *est, const double *se, size_t k, double alpha,
                             lift_estimate_t *out)
{
    lift_result_t r = {LIFT_STAT_NOT_ESTIMABLE, ""};
    if (k == 0) {
        r.status = LIFT_STAT_OK;
        return r;
    }
    if (!out) {
        r.reason = LIFT__R_NULL;
        return r;
    }
    if (!est || !se)
        r.reason = LIFT__R_NULL;
    else if (!lift__alpha_ok(alpha))
        r.reason = LIFT__R_ALPHA;
    lift_heterogeneity_t h = {0};
    if (!*r.reason) {
        h = lift_heterogeneity(est, se, k);
        if (h.k_used < LIFT_EB_MIN_LEVELS)
            r.reason = "fewer than 3 levels with an estimate: nothing to shrink toward";
        else if (h.status != LIFT_STAT_OK)
            r.reason = h.reason;
    }
    if (*r.reason) {
        for (size_t i = 0; i < k; i++)
            out[i] = lift__est_fail(r.reason);
        return r;
    }
    /* Random-effects grand mean with weights 1/(se² + τ²). */
    long double sw = 0, swy = 0;
    for (size_t i = 0; i < k; i++) {
        if (!level_ok(est[i], se[i]))
            continue;
        long double w = 1.0L / ((long double)se[i] * se[i] + h.tau2);
        sw += w;
        swy += w * est[i];
    }
    double mu = (double)(swy / sw), var_mu = (double)(1.0L / sw);
    double z = lift__z(alpha);
    double morris = 2.0 / (h.k_used > 4 ? (double)(h.k_used - 3) : 1.0);
    for (size_t i = 0; i < k; i++) {
        if (!level_ok(est[i], se[i])) {
            out[i] = lift__est_fail(R_LEVEL_SKIPPED);
            continue;
        }
        double v = se[i] * se[i];
        double b = v / (v + h.tau2); /* shrinkage factor: 1 = all the way to μ* */
        double shrunk = mu + (1.0 - b) * (est[i] - mu);
        /* Morris (1983): the last term is the uncertainty of the estimated B, without which
         * the intervals of levels far from the mean under-cover when τ² is estimated small. */
        double dev = est[i] - mu;
        double var = (1.0 - b) * v + b * b * var_mu + morris * b * b * dev * dev;
        lift_estimate_t e = lift__est_normal(shrunk, sqrt(var), alpha);
        if (e.status == LIFT_STAT_OK && !(isfinite(z) && e.ci_low <= e.ci_high))
            e = lift__est_fail(LIFT__R_NUMERIC);
        out[i] = e;
    }
    r.status = LIFT_STAT_OK;
    r.reason = "";
    return r;
}
