/* Always-valid (sequential) intervals and p-values for reports read every week
 * (Waudby-Smith et al. 2021 in GrowthBook's form = the mSPRT boundary of Johari et al.).
 * Wraps any estimate with a standard error; no I/O. */
#include <math.h>

#include "stats_internal.h"

/* (half-width / se)² as a function of a = −2 ln α, r = N/N*:
 * with u = N ρ² = r (a + ln(1 + a)), STATS.md's
 *   N · 2(Nρ² + 1)/(N²ρ²) · ln(√(Nρ² + 1)/α)  simplifies to  (1 + 1/u)(ln(1 + u) + a).
 * It increases in a (decreases in α) and tends to 1 + 1/(2r) as α → 1. */
static double seq_g(double a, double r)
{
    double u = r * (a + log1p(a));
    return (1.0 + 1.0 / u) * (log1p(u) + a);
}

static double seq_dg(double a, double r)
{
    double u = r * (a + log1p(a));
    double du = r * (1.0 + 1.0 / (1.0 + a));
    return -du / (u * u) * (log1p(u) + a) + (1.0 + 1.0 / u) * (du / (1.0 + u) + 1.0);
}

double lift_seq_halfwidth(double se, double n_total, double alpha, double n_star)
{
    if (!(se >= 0) || !isfinite(se) || !(n_total >= 1) || !isfinite(n_total) ||
        !lift__alpha_ok(alpha))
        return -1.0;
    if (!(n_star > 0) || !isfinite(n_star))
        n_star = LIFT_SEQ_DEFAULT_N_STAR;
    double h = se * sqrt(seq_g(-2.0 * log(alpha), n_total / n_star));
    return isfinite(h) ? h : -1.0;
}

/* Smallest α whose always-valid interval excludes 0 for |estimate/se| = z: solves
 * g(a) = z² for a (safeguarded Newton inside a bisection bracket), α = exp(−a/2). */
static double seq_p_value(double z, double r)
{
    double z2 = z * z;
    double g0 = 1.0 + 1.0 / (2.0 * r); /* limit of g as a → 0 (α → 1) */
    if (!(z2 > g0))
        return 1.0;
    if (!isfinite(z2))
        return 0.0;
    double lo = 0.0, hi = z2; /* g(a) ≥ a, so g(z²) ≥ z² brackets the root */
    double a = z2;
    for (int i = 0; i < 200; i++) {
        double f = seq_g(a, r) - z2;
        if (f > 0)
            hi = a;
        else
            lo = a;
        if (f == 0 || hi - lo <= 1e-15 * hi)
            break;
        double d = seq_dg(a, r);
        double next = (d > 0 && isfinite(d)) ? a - f / d : NAN;
        a = (next > lo && next < hi) ? next : 0.5 * (lo + hi);
        if (a <= 0)
            a = 0.5 * hi;
    }
    return exp(-0.5 * a);
}

lift_estimate_t lift_sequential(double estimate, double se, double n_total, double alpha,
                                double n_star)
{
    if (!lift__alpha_ok(alpha))
        return lift__est_fail(LIFT__R_ALPHA);
    if (!isfinite(estimate) || !isfinite(se) || !isfinite(n_total) || n_total < 2)
        return lift__est_fail("invalid argument: estimate/se must be finite, n_total >= 2");
    if (!(se > 0))
        return lift__est_fail(LIFT__R_ZERO_VAR);
    if (!(n_star > 0) || !isfinite(n_star))
        n_star = LIFT_SEQ_DEFAULT_N_STAR;
    double h = lift_seq_halfwidth(se, n_total, alpha, n_star);
    if (!(h > 0))
        return lift__est_fail(LIFT__R_NUMERIC);
    lift_estimate_t e = {0};
    e.status = LIFT_STAT_OK;
    e.reason = "";
    e.estimate = estimate;
    e.se = se;
    e.ci_low = estimate - h;
    e.ci_high = estimate + h;
    e.p_value = seq_p_value(estimate / se, n_total / n_star);
    e.df = 0;
    lift__est_guard(&e);
    return e;
}

lift_estimate_t lift_seq_diff_means(const lift_summary_t *t, const lift_summary_t *c, double alpha,
                                    double n_star)
{
    lift_estimate_t d = lift_diff_means(t, c, alpha);
    if (d.status != LIFT_STAT_OK)
        return d;
    return lift_sequential(d.estimate, d.se, (double)(t->n + c->n), alpha, n_star);
}
