/* Private helpers shared by the stats/ sources: building estimate structs, the
 * "never NaN out" guard, and quantiles with GSL status checks. Not part of the
 * public API (include/lift/stats.h); nothing here does I/O. */
#ifndef LIFT_STATS_INTERNAL_H
#define LIFT_STATS_INTERNAL_H

#include "lift/stats.h"

/* Reason strings shared by several estimators (static, compared by tests with strstr). */
#define LIFT__R_ALPHA "invalid argument: alpha must be in (0, 1)"
#define LIFT__R_NULL "invalid argument: NULL pointer"
#define LIFT__R_FEW "too few customers: need at least 2 per arm"
#define LIFT__R_ZERO_VAR "zero variance: every customer has the same value"
#define LIFT__R_NUMERIC "numerical failure in the estimator"

/* A NOT_ESTIMABLE estimate: numeric fields 0, p-value 1. */
lift_estimate_t lift__est_fail(const char *reason);

/* 1 when alpha is in (0, 1). */
int lift__alpha_ok(double alpha);

/* z_{1−α/2}, or NaN on failure (caller checks with isfinite). */
double lift__z(double alpha);

/* Estimate with a normal interval and two-sided p-value; se must be > 0. */
lift_estimate_t lift__est_normal(double estimate, double se, double alpha);

/* Estimate with a Student t interval on df degrees of freedom; se > 0, df > 0. */
lift_estimate_t lift__est_t(double estimate, double se, double df, double alpha);

/* Turns an OK estimate with any non-finite field into NOT_ESTIMABLE "numerical failure":
 * the single gate that keeps NaN and Inf inside the library. */
void lift__est_guard(lift_estimate_t *e);

/* Welch difference of two arms given by mean, sample variance and size (n ≥ 2 each). */
lift_estimate_t lift__welch(double mean_t, double var_t, double n_t, double mean_c, double var_c,
                            double n_c, double alpha);

/* Delta-method relative lift of two arms given by moments, with the Welch df. */
lift_estimate_t lift__rel(double mean_t, double var_t, double n_t, double mean_c, double var_c,
                          double n_c, double alpha);

/* 1 when v is negligible next to scale (a variance that is 0 up to rounding). */
int lift__negligible(double v, double scale);

/* lift_revenue_diff with the converter minimum k_min instead of LIFT_MIN_CONVERTERS (the
 * calibration tool compares minimums with it). */
lift_estimate_t lift__revenue_diff_k(const lift_summary_t *t, const lift_summary_t *c,
                                     int64_t conv_t, int64_t conv_c, double alpha, double n_star,
                                     int64_t k_min);

#endif /* LIFT_STATS_INTERNAL_H */
