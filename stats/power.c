/* Planning: sample size, minimum detectable effect and achieved power of a two-sided
 * two-sample z test with unequal allocation (holdout vs treatment); weeks at a given
 * weekly traffic. Used by `liftctl power`. No I/O. */
#include <math.h>

#include <gsl/gsl_cdf.h>

#include "stats_internal.h"

#define LIFT_POWER_MAX_N 9.0e15 /* beyond this a sample size no longer fits int64 exactly */

static lift_power_t power_fail(const char *reason)
{
    lift_power_t r = {0};
    r.status = LIFT_STAT_NOT_ESTIMABLE;
    r.reason = reason;
    return r;
}

/* Checks the arguments every planner shares; returns a reason or NULL. */
static const char *power_args(double sigma2, double w, double alpha, double power, double weekly)
{
    if (!(sigma2 > 0) || !isfinite(sigma2))
        return "invalid argument: variance must be > 0";
    if (!(w > 0 && w < 1))
        return "invalid argument: treatment share must be in (0, 1)";
    if (!lift__alpha_ok(alpha))
        return LIFT__R_ALPHA;
    if (!(power > 0 && power < 1))
        return "invalid argument: power must be in (0, 1)";
    if (!(weekly >= 0) || !isfinite(weekly))
        return "invalid argument: weekly customers must be >= 0";
    return NULL;
}

/* Splits n_total into arms (rounded up) and converts to weeks. */
static lift_power_t power_finish(double n_total, double effect, double w, double weekly)
{
    if (!isfinite(n_total) || !isfinite(effect))
        return power_fail(LIFT__R_NUMERIC);
    if (n_total > LIFT_POWER_MAX_N)
        return power_fail("effect too small: more than 9e15 customers needed");
    lift_power_t r = {0};
    r.status = LIFT_STAT_OK;
    r.reason = "";
    r.n_total = n_total;
    r.n_treatment = (int64_t)ceil(w * n_total);
    r.n_holdout = (int64_t)ceil((1.0 - w) * n_total);
    r.effect = effect;
    r.weeks = weekly > 0 ? ceil((double)(r.n_treatment + r.n_holdout) / weekly) : 0.0;
    return r;
}

lift_power_t lift_power_n(double sigma2, double delta, double w, double alpha, double power,
                          double weekly)
{
    const char *why = power_args(sigma2, w, alpha, power, weekly);
    if (why)
        return power_fail(why);
    if (!(delta > 0) || !isfinite(delta))
        return power_fail("invalid argument: effect must be > 0");
    double z = gsl_cdf_ugaussian_Qinv(alpha / 2.0) + gsl_cdf_ugaussian_Pinv(power);
    double n = z * z * sigma2 * (1.0 / w + 1.0 / (1.0 - w)) / (delta * delta);
    return power_finish(n, delta, w, weekly);
}

lift_power_t lift_mde(double sigma2, double n_total, double w, double alpha, double power,
                      double weekly)
{
    const char *why = power_args(sigma2, w, alpha, power, weekly);
    if (why)
        return power_fail(why);
    if (!(n_total > 1) || !isfinite(n_total))
        return power_fail("invalid argument: sample size must be > 1");
    double z = gsl_cdf_ugaussian_Qinv(alpha / 2.0) + gsl_cdf_ugaussian_Pinv(power);
    double delta = z * sqrt(sigma2 * (1.0 / w + 1.0 / (1.0 - w)) / n_total);
    return power_finish(n_total, delta, w, weekly);
}

lift_power_t lift_power_rate(double baseline_rate, double mde_rel, double holdout, double alpha,
                             double power, double weekly)
{
    if (!(baseline_rate > 0 && baseline_rate < 1))
        return power_fail("invalid argument: baseline rate must be in (0, 1)");
    if (!(mde_rel > 0) || !isfinite(mde_rel))
        return power_fail("invalid argument: relative MDE must be > 0");
    if (!(holdout > 0 && holdout < 1))
        return power_fail("invalid argument: holdout share must be in (0, 1)");
    return lift_power_n(baseline_rate * (1.0 - baseline_rate), mde_rel * baseline_rate,
                        1.0 - holdout, alpha, power, weekly);
}

lift_power_t lift_power_revenue(double mean, double sd, double mde_rel, double holdout,
                                double alpha, double power, double weekly)
{
    if (!(mean > 0) || !isfinite(mean))
        return power_fail("invalid argument: revenue mean must be > 0");
    if (!(sd > 0) || !isfinite(sd))
        return power_fail("invalid argument: revenue sd must be > 0");
    if (!(mde_rel > 0) || !isfinite(mde_rel))
        return power_fail("invalid argument: relative MDE must be > 0");
    if (!(holdout > 0 && holdout < 1))
        return power_fail("invalid argument: holdout share must be in (0, 1)");
    return lift_power_n(sd * sd, mde_rel * mean, 1.0 - holdout, alpha, power, weekly);
}

double lift_power_at(double sigma2, double delta, double n_total, double w, double alpha)
{
    if (power_args(sigma2, w, alpha, 0.5, 0) || !isfinite(delta) || !(n_total > 0) ||
        !isfinite(n_total))
        return -1.0;
    double se = sqrt(sigma2 * (1.0 / w + 1.0 / (1.0 - w)) / n_total);
    double z = gsl_cdf_ugaussian_Qinv(alpha / 2.0);
    double p = gsl_cdf_ugaussian_Q(z - delta / se) + gsl_cdf_ugaussian_P(-z - delta / se);
    return isfinite(p) ? (p > 1 ? 1.0 : p) : -1.0;
}
