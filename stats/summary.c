/* Mergeable per-arm summaries (Welford/Chan) and the shared estimate helpers: status
 * strings, normal/t intervals with GSL status checks, and the NaN/Inf guard.
 * The per-customer add path is inline in include/lift/stats.h. */
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "stats_internal.h"

void lift_stats_init(void)
{
    gsl_set_error_handler_off();
}

const char *lift_stat_status_str(lift_stat_status_t status)
{
    switch (status) {
    case LIFT_STAT_OK:
        return "ok";
    case LIFT_STAT_NOT_ESTIMABLE:
        return "not estimable";
    }
    return "unknown status";
}

void lift_summary_merge(lift_summary_t *into, const lift_summary_t *other)
{
    if (other->n == 0)
        return;
    if (into->n == 0) {
        *into = *other;
        return;
    }
    /* Chan et al.: the cross terms come from the distance between the two means. */
    lift_summary_t b = *other; /* copy: other may alias into */
    double na = (double)into->n, nb = (double)b.n, n = na + nb;
    double dy = b.mean_y - into->mean_y;
    double dx = b.mean_x - into->mean_x;
    double w = na * nb / n;
    /* Third moment first: it needs both M2 before they are combined (Pébay 2008). */
    into->m3_y +=
        b.m3_y + dy * dy * dy * w * (na - nb) / n + 3.0 * dy * (na * b.m2_y - nb * into->m2_y) / n;
    into->m2_y += b.m2_y + dy * dy * w;
    into->m2_x += b.m2_x + dx * dx * w;
    into->c_xy += b.c_xy + dx * dy * w;
    into->mean_y += dy * (nb / n);
    into->mean_x += dx * (nb / n);
    into->n += b.n;
}

int lift_summary_from_sums(lift_summary_t *out, int64_t n, double sum_y, double sum_yy,
                           double sum_x, double sum_xx, double sum_xy)
{
    int rc = lift_summary_from_sums3(out, n, sum_y, sum_yy, 0.0, sum_x, sum_xx, sum_xy);
    out->m3_y = 0.0; /* Σy³ unknown: treated as symmetric (documented) */
    return rc;
}

int lift_summary_from_sums3(lift_summary_t *out, int64_t n, double sum_y, double sum_yy,
                            double sum_yyy, double sum_x, double sum_xx, double sum_xy)
{
    lift_summary_init(out);
    if (n < 0 || !isfinite(sum_y) || !isfinite(sum_yy) || !isfinite(sum_yyy) || !isfinite(sum_x) ||
        !isfinite(sum_xx) || !isfinite(sum_xy))
        return -1;
    if (n == 0)
        return (sum_y == 0 && sum_yy == 0 && sum_yyy == 0 && sum_x == 0 && sum_xx == 0 &&
                sum_xy == 0)
                   ? 0
                   : -1;
    long double ln = (long double)n;
    long double my = (long double)sum_y / ln;
    /* Σ(y − ȳ)³ = Σy³ − 3ȳΣy² + 2nȳ³ */
    long double m3y = (long double)sum_yyy - 3.0L * my * sum_yy + 2.0L * ln * my * my * my;
    long double m2y = (long double)sum_yy - (long double)sum_y * sum_y / ln;
    long double m2x = (long double)sum_xx - (long double)sum_x * sum_x / ln;
    long double cxy = (long double)sum_xy - (long double)sum_x * sum_y / ln;
    /* Rounding in the caller's sums can leave a tiny negative; a large one is an error. */
    long double tol_y = 1e-12L * ((long double)sum_yy + 1.0L);
    long double tol_x = 1e-12L * ((long double)sum_xx + 1.0L);
    if (m2y < -tol_y || m2x < -tol_x)
        return -1;
    out->n = n;
    out->mean_y = (double)((long double)sum_y / ln);
    out->mean_x = (double)((long double)sum_x / ln);
    out->m2_y = m2y > 0 ? (double)m2y : 0.0;
    out->m2_x = m2x > 0 ? (double)m2x : 0.0;
    out->c_xy = (double)cxy;
    out->m3_y = (double)m3y;
    return 0;
}

double lift_summary_sum_y(const lift_summary_t *s)
{
    return s->n > 0 ? s->mean_y * (double)s->n : 0.0;
}

double lift_summary_var_y(const lift_summary_t *s)
{
    return s->n > 1 ? s->m2_y / (double)(s->n - 1) : 0.0;
}

double lift_summary_var_x(const lift_summary_t *s)
{
    return s->n > 1 ? s->m2_x / (double)(s->n - 1) : 0.0;
}

double lift_summary_cov_xy(const lift_summary_t *s)
{
    return s->n > 1 ? s->c_xy / (double)(s->n - 1) : 0.0;
}

double lift_summary_k3_y(const lift_summary_t *s)
{
    if (s->n < 3)
        return 0.0;
    double n = (double)s->n;
    return n * s->m3_y / ((n - 1.0) * (n - 2.0));
}

/* ------------------------------------------------------------- shared helpers */

lift_estimate_t lift__est_fail(const char *reason)
{
    lift_estimate_t e = {0};
    e.status = LIFT_STAT_NOT_ESTIMABLE;
    e.reason = reason;
    e.p_value = 1.0;
    return e;
}

int lift__alpha_ok(double alpha)
{
    return alpha > 0.0 && alpha < 1.0; /* false for NaN too */
}

double lift__z(double alpha)
{
    return gsl_cdf_ugaussian_Qinv(alpha / 2.0);
}

int lift__negligible(double v, double scale)
{
    return !(v > 1e-12 * scale) || v <= 0.0;
}

void lift__est_guard(lift_estimate_t *e)
{
    if (e->status != LIFT_STAT_OK)
        return;
    if (!isfinite(e->estimate) || !isfinite(e->se) || !isfinite(e->ci_low) ||
        !isfinite(e->ci_high) || !isfinite(e->p_value) || !isfinite(e->df))
        *e = lift__est_fail(LIFT__R_NUMERIC);
}

lift_estimate_t lift__est_normal(double estimate, double se, double alpha)
{
    if (!lift__alpha_ok(alpha))
        return lift__est_fail(LIFT__R_ALPHA);
    if (!(se > 0.0))
        return lift__est_fail(LIFT__R_ZERO_VAR);
    lift_estimate_t e = {0};
    e.status = LIFT_STAT_OK;
    e.reason = "";
    double z = lift__z(alpha);
    e.estimate = estimate;
    e.se = se;
    e.ci_low = estimate - z * se;
    e.ci_high = estimate + z * se;
    e.p_value = 2.0 * gsl_cdf_ugaussian_Q(fabs(estimate / se));
    if (e.p_value > 1.0)
        e.p_value = 1.0;
    e.df = 0.0;
    lift__est_guard(&e);
    return e;
}

lift_estimate_t lift__est_t(double estimate, double se, double df, double alpha)
{
    if (!lift__alpha_ok(alpha))
        return lift__est_fail(LIFT__R_ALPHA);
    if (!(se > 0.0))
        return lift__est_fail(LIFT__R_ZERO_VAR);
    if (!(df > 0.0))
        return lift__est_fail(LIFT__R_NUMERIC);
    lift_estimate_t e = {0};
    e.status = LIFT_STAT_OK;
    e.reason = "";
    double q = gsl_cdf_tdist_Qinv(alpha / 2.0, df);
    e.estimate = estimate;
    e.se = se;
    e.ci_low = estimate - q * se;
    e.ci_high = estimate + q * se;
    e.p_value = 2.0 * gsl_cdf_tdist_Q(fabs(estimate / se), df);
    if (e.p_value > 1.0)
        e.p_value = 1.0;
    e.df = df;
    lift__est_guard(&e);
    return e;
}

static double welch_df(double vt, double n_t, double vc, double n_c)
{
    double den = vt * vt / (n_t - 1.0) + vc * vc / (n_c - 1.0);
    double se2 = vt + vc;
    return se2 * se2 / den;
}

lift_estimate_t lift__welch(double mean_t, double var_t, double n_t, double mean_c, double var_c,
                            double n_c, double alpha)
{
    if (!lift__alpha_ok(alpha))
        return lift__est_fail(LIFT__R_ALPHA);
    if (n_t < 2 || n_c < 2)
        return lift__est_fail(LIFT__R_FEW);
    double vt = var_t / n_t, vc = var_c / n_c; /* squared standard errors of the means */
    if (!(vt + vc > 0.0))
        return lift__est_fail(LIFT__R_ZERO_VAR);
    return lift__est_t(mean_t - mean_c, sqrt(vt + vc), welch_df(vt, n_t, vc, n_c), alpha);
}

lift_estimate_t lift__rel(double mean_t, double var_t, double n_t, double mean_c, double var_c,
                          double n_c, double alpha)
{
    if (!lift__alpha_ok(alpha))
        return lift__est_fail(LIFT__R_ALPHA);
    if (n_t < 2 || n_c < 2)
        return lift__est_fail(LIFT__R_FEW);
    if (mean_c == 0.0)
        return lift__est_fail("holdout mean is 0: relative lift undefined");
    double vt = var_t / n_t, vc = var_c / n_c;
    if (!(vt + vc > 0.0))
        return lift__est_fail(LIFT__R_ZERO_VAR);
    double mc2 = mean_c * mean_c;
    /* GrowthBook gbstats: Var(L) = s_T²/(n_T ȳ_C²) + s_C² ȳ_T²/(n_C ȳ_C⁴). */
    double var_l = vt / mc2 + vc * mean_t * mean_t / (mc2 * mc2);
    if (!(var_l > 0.0))
        return lift__est_fail(LIFT__R_ZERO_VAR);
    return lift__est_t((mean_t - mean_c) / fabs(mean_c), sqrt(var_l), welch_df(vt, n_t, vc, n_c),
                       alpha);
}
