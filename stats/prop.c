/* Count-based estimators: Wilson and Newcombe intervals for proportions (conversion,
 * churn), customer-level ratio metrics (delta method), NPS and the sample-ratio-mismatch
 * χ² test. No I/O. */
#include <math.h>

#include <gsl/gsl_cdf.h>

#include "stats_internal.h"

static lift_proportion_t wilson_fail(const char *reason)
{
    lift_proportion_t r = {0};
    r.status = LIFT_STAT_NOT_ESTIMABLE;
    r.reason = reason;
    return r;
}

lift_proportion_t lift_wilson(int64_t x, int64_t n, double alpha)
{
    if (!lift__alpha_ok(alpha))
        return wilson_fail(LIFT__R_ALPHA);
    if (n <= 0)
        return wilson_fail("no customers: n = 0");
    if (x < 0 || x > n)
        return wilson_fail("invalid argument: need 0 <= x <= n");
    double z = lift__z(alpha), dn = (double)n;
    double p = (double)x / dn, z2n = z * z / dn;
    double denom = 1.0 + z2n;
    double centre = (p + z2n / 2.0) / denom;
    double half = z * sqrt(p * (1.0 - p) / dn + z2n / (4.0 * dn)) / denom;
    lift_proportion_t r = {LIFT_STAT_OK, "", p, centre - half, centre + half};
    /* At x = 0 or x = n the bound is exactly 0 or 1; keep rounding from crossing it. */
    if (x == 0 || r.ci_low < 0)
        r.ci_low = 0.0;
    if (x == n || r.ci_high > 1)
        r.ci_high = 1.0;
    if (!isfinite(r.ci_low) || !isfinite(r.ci_high))
        return wilson_fail(LIFT__R_NUMERIC);
    return r;
}

lift_estimate_t lift_prop_diff(int64_t x_t, int64_t n_t, int64_t x_c, int64_t n_c, double alpha)
{
    if (!lift__alpha_ok(alpha))
        return lift__est_fail(LIFT__R_ALPHA);
    if (n_t <= 0 || n_c <= 0)
        return lift__est_fail("no customers in an arm: n = 0");
    lift_proportion_t a = lift_wilson(x_t, n_t, alpha), b = lift_wilson(x_c, n_c, alpha);
    if (a.status != LIFT_STAT_OK)
        return lift__est_fail(a.reason);
    if (b.status != LIFT_STAT_OK)
        return lift__est_fail(b.reason);
    lift_estimate_t e = {0};
    e.status = LIFT_STAT_OK;
    e.reason = "";
    double d = a.p - b.p;
    e.estimate = d;
    /* Newcombe (1998) method 10: combine each arm's Wilson distances. */
    e.ci_low =
        d - sqrt((a.p - a.ci_low) * (a.p - a.ci_low) + (b.ci_high - b.p) * (b.ci_high - b.p));
    e.ci_high =
        d + sqrt((a.ci_high - a.p) * (a.ci_high - a.p) + (b.p - b.ci_low) * (b.p - b.ci_low));
    double nt = (double)n_t, nc = (double)n_c;
    e.se = sqrt(a.p * (1 - a.p) / nt + b.p * (1 - b.p) / nc);
    /* Pooled z test: under H0 both arms share p̄; z² is prop.test's χ² (no correction). */
    double pbar = (double)(x_t + x_c) / (nt + nc);
    double v0 = pbar * (1 - pbar) * (1 / nt + 1 / nc);
    e.p_value = v0 > 0 ? 2.0 * gsl_cdf_ugaussian_Q(fabs(d) / sqrt(v0)) : 1.0;
    if (e.p_value > 1)
        e.p_value = 1;
    e.df = 0;
    lift__est_guard(&e);
    return e;
}

/* Delta-method variance of one arm's ratio ΣM/ΣD; -1 when not defined. */
static double ratio_var(const lift_summary_t *s, double *ratio)
{
    double mm = s->mean_y, md = s->mean_x, n = (double)s->n;
    *ratio = mm / md;
    double md2 = md * md;
    double v = (lift_summary_var_y(s) / md2 - 2.0 * mm * lift_summary_cov_xy(s) / (md2 * md) +
                mm * mm * lift_summary_var_x(s) / (md2 * md2)) /
               n;
    /* The bracket is the variance of M − R·D over μ_D²: 0 when every customer has the same
     * ratio; guard rounding from making it slightly negative. */
    return v > 0 ? v : 0.0;
}

static const char *ratio_check(const lift_summary_t *s)
{
    if (!s)
        return LIFT__R_NULL;
    if (s->n < 2)
        return LIFT__R_FEW;
    if (s->mean_x == 0)
        return "denominator total is 0 (e.g. no impressions): ratio undefined";
    return NULL;
}

lift_estimate_t lift_ratio(const lift_summary_t *s, double alpha)
{
    const char *why = ratio_check(s);
    if (why)
        return lift__est_fail(why);
    double r, v = ratio_var(s, &r);
    return lift__est_normal(r, sqrt(v), alpha);
}

lift_estimate_t lift_ratio_diff(const lift_summary_t *t, const lift_summary_t *c, double alpha)
{
    const char *why = ratio_check(t);
    if (!why)
        why = ratio_check(c);
    if (why)
        return lift__est_fail(why);
    double rt, rc;
    double v = ratio_var(t, &rt) + ratio_var(c, &rc);
    return lift__est_normal(rt - rc, sqrt(v), alpha);
}

int lift_nps_add(lift_nps_counts_t *c, int answer)
{
    if (answer < 0 || answer > 10)
        return -1;
    if (answer >= 9)
        c->promoters++;
    else if (answer >= 7)
        c->passives++;
    else
        c->detractors++;
    return 0;
}

/* NPS and its multinomial variance for one group; returns a reason or NULL. */
static const char *nps_moments(const lift_nps_counts_t *c, double *nps, double *var)
{
    if (!c)
        return LIFT__R_NULL;
    if (c->promoters < 0 || c->passives < 0 || c->detractors < 0)
        return "invalid argument: negative NPS count";
    int64_t n = c->promoters + c->passives + c->detractors;
    if (n < 2)
        return "too few answers: need at least 2";
    double p = (double)c->promoters / (double)n, d = (double)c->detractors / (double)n;
    *nps = 100.0 * (p - d);
    double v = 1e4 * (p + d - (p - d) * (p - d)) / (double)n;
    *var = v > 0 ? v : 0.0;
    return NULL;
}

lift_estimate_t lift_nps(const lift_nps_counts_t *c, double alpha)
{
    double nps = 0, v = 0;
    const char *why = nps_moments(c, &nps, &v);
    if (why)
        return lift__est_fail(why);
    if (lift__negligible(v, 1e4 / (double)(c->promoters + c->passives + c->detractors)))
        return lift__est_fail("zero variance: every answer is in one category");
    return lift__est_normal(nps, sqrt(v), alpha);
}

lift_estimate_t lift_nps_diff(const lift_nps_counts_t *t, const lift_nps_counts_t *c, double alpha)
{
    double a = 0, va = 0, b = 0, vb = 0;
    const char *why = nps_moments(t, &a, &va);
    if (!why)
        why = nps_moments(c, &b, &vb);
    if (why)
        return lift__est_fail(why);
    if (!(va + vb > 0))
        return lift__est_fail("zero variance: every answer is in one category in both groups");
    return lift__est_normal(a - b, sqrt(va + vb), alpha);
}

lift_estimate_t lift_nps_prepost(const lift_summary_t *paired, double alpha)
{
    if (!paired)
        return lift__est_fail(LIFT__R_NULL);
    if (paired->n < 2)
        return lift__est_fail("too few customers with answers before and after: need 2");
    double vy = lift_summary_var_y(paired), vx = lift_summary_var_x(paired);
    double vd = vy + vx - 2.0 * lift_summary_cov_xy(paired);
    if (lift__negligible(vd, vy + vx))
        return lift__est_fail("zero variance: every customer's answer changed by the same");
    return lift__est_normal(paired->mean_y - paired->mean_x, sqrt(vd / (double)paired->n), alpha);
}

static lift_srm_t srm_fail(const char *reason)
{
    lift_srm_t r = {0};
    r.status = LIFT_STAT_NOT_ESTIMABLE;
    r.reason = reason;
    r.p_value = 1.0;
    return r;
}

lift_srm_t lift_srm(const int64_t *observed, const double *weights, size_t k)
{
    if (!observed || !weights)
        return srm_fail(LIFT__R_NULL);
    if (k < 2)
        return srm_fail("need at least 2 arms");
    double wsum = 0, total = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(weights[i] > 0) || !isfinite(weights[i]))
            return srm_fail("invalid argument: every arm weight must be > 0 and finite");
        if (observed[i] < 0)
            return srm_fail("invalid argument: negative customer count");
        if (observed[i] < LIFT_SRM_MIN_PER_ARM)
            return srm_fail("skipped: an arm has fewer than 8 customers");
        wsum += weights[i];
        total += (double)observed[i];
    }
    double chi2 = 0;
    for (size_t i = 0; i < k; i++) {
        double e = weights[i] / wsum * total;
        double d = (double)observed[i] - e;
        chi2 += d * d / e;
    }
    lift_srm_t r = {0};
    r.status = LIFT_STAT_OK;
    r.reason = "";
    r.chi2 = chi2;
    r.df = (double)(k - 1);
    r.p_value = gsl_cdf_chisq_Q(chi2, r.df);
    if (!isfinite(r.chi2) || !isfinite(r.p_value))
        return srm_fail(LIFT__R_NUMERIC);
    r.mismatch = r.p_value < LIFT_SRM_P_THRESHOLD;
    return r;
}
