/* The revenue difference the report prints for every arm and segment: a conversion × amount
 * variance model with an Edgeworth (Hall-form) skewness correction, and "not estimable" below
 * LIFT_MIN_CONVERTERS expected converters in the smaller arm (both chosen by
 * tests/bench/calibrate.c; formulas in include/lift/stats.h). No I/O. */
#include <math.h>

#include <gsl/gsl_cdf.h>

#include "stats_internal.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define R_FEW_CONVERTERS                                                                           \
    "too few converters: fewer than " STR(LIFT_MIN_CONVERTERS) " expected in the smaller arm at "  \
                                                               "the pooled conversion rate"

/* The monotone (Hall 1992) form of a one-term Edgeworth correction. For T = (Δ − true)/SE
 * with P(T ≤ x) ≈ Φ(x) + [c/2 − (γ − 3c)(x² − 1)/6]·φ(x) (γ = skewness of Δ, c =
 * Cov(Δ, SE²)/SE³), g(T) = T + aT² + a²T³/3 + k with a = (3c − γ)/6, k = c/2 − a is close to
 * N(0, 1), and g = ((1 + aT)³ − 1)/(3a) + k is increasing. c = γ gives Hall's own
 * transformation of Student's t; c = 0 the Cornish–Fisher correction of a known SE. */
static double skew_g(double t, double a, double k)
{
    return t + a * t * t + a * a * t * t * t / 3.0 + k;
}

/* The inverse of skew_g: T = (∛(1 + 3a(y − k)) − 1)/a, its first-order series for tiny a. */
static double skew_inv(double y, double a, double k)
{
    if (fabs(a) < 1e-8)
        return (y - k) - a * (y - k) * (y - k);
    return (cbrt(1.0 + 3.0 * a * (y - k)) - 1.0) / a;
}

/* Σy, Σy², Σy³ of one arm from its central moments. */
static void raw_sums(const lift_summary_t *s, double *s1, double *s2, double *s3)
{
    double n = (double)s->n, m = s->mean_y;
    *s1 = n * m;
    *s2 = s->m2_y + n * m * m;
    *s3 = s->m3_y + 3.0 * m * s->m2_y + n * m * m * m;
}

/* The model and interval shared by the plain and the CUPED-adjusted revenue difference.
 * theta = 0: the plain difference; otherwise Y − θ(X − x̄) with X's variance and its
 * covariance with Y pooled over the arms (X is measured before exposure, so randomization
 * gives both arms its distribution). */
static lift_estimate_t revenue_model(const lift_summary_t *t, const lift_summary_t *c,
                                     int64_t conv_t, int64_t conv_c, double alpha, double n_star,
                                     int64_t k_min, int cuped)
{
    if (!t || !c)
        return lift__est_fail(LIFT__R_NULL);
    if (!lift__alpha_ok(alpha))
        return lift__est_fail(LIFT__R_ALPHA);
    if (!(n_star >= 0) || !isfinite(n_star))
        return lift__est_fail("invalid argument: n_star must be finite and >= 0");
    if (conv_t < 0 || conv_c < 0 || conv_t > t->n || conv_c > c->n)
        return lift__est_fail("invalid argument: converters must be in [0, customers]");
    /* The minimum is on the converters the smaller arm should have at the pooled conversion
     * rate, not on its own count: the pooled count carries no information on the difference
     * (Cov(k_T + k_C, k_T/n_T − k_C/n_C) = 0 when the rates are equal), so the rule does not
     * select segments whose arms happen to differ. */
    double nmin = (double)(t->n < c->n ? t->n : c->n);
    double expected =
        t->n + c->n > 0 ? nmin * (double)(conv_t + conv_c) / (double)(t->n + c->n) : 0;
    if (expected < (double)k_min)
        return lift__est_fail(R_FEW_CONVERTERS);
    if (conv_t == 0 || conv_c == 0)
        return lift__est_fail("too few converters: an arm has no customer with revenue");
    lift_estimate_t w = lift_diff_means(t, c, alpha); /* argument and degenerate-data checks */
    if (w.status != LIFT_STAT_OK)
        return w;
    double nt = (double)t->n, nc = (double)c->n;
    double theta = 0, vx = 0, cxy = 0;
    if (cuped) {
        lift_summary_t pooled = *t;
        lift_summary_merge(&pooled, c);
        if (lift__negligible(pooled.m2_x, pooled.mean_x * pooled.mean_x * (double)pooled.n))
            return lift__est_fail("no pre-period data: the covariate has zero variance");
        theta = pooled.c_xy / pooled.m2_x; /* as lift_cuped: the OLS slope over both arms */
        vx = (t->m2_x + c->m2_x) / (nt + nc - 2.0);
        cxy = (t->c_xy + c->c_xy) / (nt + nc - 2.0);
        w.estimate -= theta * (t->mean_x - c->mean_x);
    }
    /* Revenue per customer = converted (0/1) × amount. Each arm keeps its own conversion rate
     * p; the amount moments A1..A3 are pooled over both arms' converters, so an arm's spread
     * is not estimated from its own few payers (whose absence makes mean and variance small
     * together, the source of plain Welch's one-sided false positives). */
    double t1, t2, t3, c1, c2, c3;
    raw_sums(t, &t1, &t2, &t3);
    raw_sums(c, &c1, &c2, &c3);
    double kk = (double)(conv_t + conv_c);
    double a1 = (t1 + c1) / kk, a2 = (t2 + c2) / kk, a3 = (t3 + c3) / kk;
    double pt = (double)conv_t / nt, pc = (double)conv_c / nc;
    double adj = theta * theta * vx - 2.0 * theta * cxy; /* CUPED: + θ²Var X − 2θ Cov(X, Y) */
    double vt = (pt * a2 - pt * pt * a1 * a1) * nt / (nt - 1.0) + adj;
    double vc = (pc * a2 - pc * pc * a1 * a1) * nc / (nc - 1.0) + adj;
    if (!(vt > 0) || !(vc > 0) || !isfinite(vt) || !isfinite(vc))
        return lift__est_fail(LIFT__R_NUMERIC);
    double et = vt / nt, ec = vc / nc, se2 = et + ec, se = sqrt(se2);
    double df = se2 * se2 / (et * et / (nt - 1.0) + ec * ec / (nc - 1.0));
    /* Third central moment per arm, p·A3 − 3p²·A1·A2 + 2p³·A1³, and the skewness of Δ (the
     * covariate's own third moments are left out: θ is small next to 1 in practice). */
    double mt3 = pt * a3 - 3.0 * pt * pt * a1 * a2 + 2.0 * pt * pt * pt * a1 * a1 * a1;
    double mc3 = pc * a3 - 3.0 * pc * pc * a1 * a2 + 2.0 * pc * pc * pc * a1 * a1 * a1;
    double se3 = se2 * se;
    double gamma = (mt3 / (nt * nt) - mc3 / (nc * nc)) / se3;
    /* Cov(Δ, SE²)/SE³: SE² moves with each arm's conversion rate, Cov(ȳ, p̂) = A1·p(1 − p)/n. */
    double cov = a1 * (a2 - 2.0 * pt * a1 * a1) * pt * (1.0 - pt) / (nt * nt) -
                 a1 * (a2 - 2.0 * pc * a1 * a1) * pc * (1.0 - pc) / (nc * nc);
    double cc = cov / se3;
    double a = (3.0 * cc - gamma) / 6.0, k = cc / 2.0 - a;
    if (!isfinite(a) || !isfinite(k) || !isfinite(df) || !(df > 0) || !isfinite(w.estimate))
        return lift__est_fail(LIFT__R_NUMERIC);
    double g0 = skew_g(w.estimate / se, a, k); /* the corrected statistic for "Δ = 0" */
    lift_estimate_t e = w;
    e.se = se;
    double q;
    if (n_star > 0) {
        double n_total = nt + nc;
        double h = lift_seq_halfwidth(se, n_total, alpha, n_star);
        if (!(h > 0))
            return lift__est_fail(LIFT__R_NUMERIC);
        q = h / se;
        lift_estimate_t s = lift_sequential(g0 * se, se, n_total, alpha, n_star);
        if (s.status != LIFT_STAT_OK)
            return s;
        e.p_value = s.p_value;
        e.df = 0;
    } else {
        q = gsl_cdf_tdist_Qinv(alpha / 2.0, df);
        e.p_value = 2.0 * gsl_cdf_tdist_Q(fabs(g0), df);
        if (e.p_value > 1.0)
            e.p_value = 1.0;
        e.df = df;
    }
    e.ci_low = w.estimate - se * skew_inv(q, a, k);
    e.ci_high = w.estimate - se * skew_inv(-q, a, k);
    lift__est_guard(&e);
    return e;
}

lift_estimate_t lift__revenue_diff_k(const lift_summary_t *t, const lift_summary_t *c,
                                     int64_t conv_t, int64_t conv_c, double alpha, double n_star,
                                     int64_t k_min)
{
    return revenue_model(t, c, conv_t, conv_c, alpha, n_star, k_min, 0);
}

lift_estimate_t lift_revenue_diff_cuped(const lift_summary_t *t, const lift_summary_t *c,
                                        int64_t conv_t, int64_t conv_c, double alpha, double n_star)
{
    return revenue_model(t, c, conv_t, conv_c, alpha, n_star, LIFT_MIN_CONVERTERS, 1);
}

lift_estimate_t lift_revenue_diff(const lift_summary_t *t, const lift_summary_t *c, int64_t conv_t,
                                  int64_t conv_c, double alpha, double n_star)
{
    return lift__revenue_diff_k(t, c, conv_t, conv_c, alpha, n_star, LIFT_MIN_CONVERTERS);
}
