/* The revenue difference the report prints for every arm and segment: Welch's difference
 * with Hall's skewness-corrected interval, and "not estimable" below LIFT_MIN_CONVERTERS
 * converting customers in an arm (both chosen by tools/calibrate.c). No I/O. */
#include <math.h>

#include <gsl/gsl_cdf.h>

#include "stats_internal.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define R_FEW_CONVERTERS                                                                           \
    "too few converters: fewer than " STR(LIFT_MIN_CONVERTERS) " customers with revenue in an arm"

/* Hall (1992): g(T) = T + aT² + a²T³/3 + a/2 = ((1 + aT)³ − 1)/(3a) + a/2, increasing. */
static double hall_g(double t, double a)
{
    return t + a * t * t + a * a * t * t * t / 3.0 + a / 2.0;
}

/* The inverse of hall_g: T = (∛(1 + 3a(y − a/2)) − 1)/a, its first-order series for tiny a. */
static double hall_inv(double y, double a)
{
    if (fabs(a) < 1e-8) return y - a / 2.0 - a * y * y;
    return (cbrt(1.0 + 3.0 * a * (y - a / 2.0)) - 1.0) / a;
}

lift_estimate_t lift__revenue_diff_k(const lift_summary_t *t, const lift_summary_t *c,
                                     int64_t conv_t, int64_t conv_c, double alpha, double n_star,
                                     int64_t k_min)
{
    if (!t || !c) return lift__est_fail(LIFT__R_NULL);
    if (!lift__alpha_ok(alpha)) return lift__est_fail(LIFT__R_ALPHA);
    if (!(n_star >= 0) || !isfinite(n_star))
        return lift__est_fail("invalid argument: n_star must be finite and >= 0");
    if (conv_t < 0 || conv_c < 0 || conv_t > t->n || conv_c > c->n)
        return lift__est_fail("invalid argument: converters must be in [0, customers]");
    if (conv_t < k_min || conv_c < k_min) return lift__est_fail(R_FEW_CONVERTERS);
    lift_estimate_t w = lift_diff_means(t, c, alpha);
    if (w.status != LIFT_STAT_OK) return w;
    double nt = (double)t->n, nc = (double)c->n;
    /* Skewness of Δ from the arms' pooled third moment (a shared shape, as under "no
     * effect"): μ3·(1/n_T² − 1/n_C²) over SE³. */
    double m3 = (t->m3_y + c->m3_y) / (nt + nc);
    double k3 = m3 * (1.0 / (nt * nt) - 1.0 / (nc * nc));
    double a = k3 / (w.se * w.se * w.se) / 3.0;
    if (!isfinite(a)) return lift__est_fail(LIFT__R_NUMERIC);
    double g0 = hall_g(w.estimate / w.se, a); /* the corrected statistic for "Δ = 0" */
    lift_estimate_t e = w;
    double q;
    if (n_star > 0) {
        double n_total = nt + nc;
        double h = lift_seq_halfwidth(w.se, n_total, alpha, n_star);
        if (!(h > 0)) return lift__est_fail(LIFT__R_NUMERIC);
        q = h / w.se;
        lift_estimate_t s = lift_sequential(g0 * w.se, w.se, n_total, alpha, n_star);
        if (s.status != LIFT_STAT_OK) return s;
        e.p_value = s.p_value;
        e.df = 0;
    } else {
        q = gsl_cdf_tdist_Qinv(alpha / 2.0, w.df);
        e.p_value = 2.0 * gsl_cdf_tdist_Q(fabs(g0), w.df);
        if (e.p_value > 1.0) e.p_value = 1.0;
    }
    e.ci_low = w.estimate - w.se * hall_inv(q, a);
    e.ci_high = w.estimate - w.se * hall_inv(-q, a);
    lift__est_guard(&e);
    return e;
}

lift_estimate_t lift_revenue_diff(const lift_summary_t *t, const lift_summary_t *c, int64_t conv_t,
                                  int64_t conv_c, double alpha, double n_star)
{
    return lift__revenue_diff_k(t, c, conv_t, conv_c, alpha, n_star, LIFT_MIN_CONVERTERS);
}
