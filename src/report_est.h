/* report_est: the report's estimates through stats/ — the revenue comparison of two groups
 * (calibrated or CUPED, with its totals), the always-valid wrapper, the revenue cap. Pure
 * functions over summaries; no message building, no store. */
#ifndef LIFT_REPORT_EST_H
#define LIFT_REPORT_EST_H

#include <stddef.h>
#include <stdint.h>

#include "lift/stats.h"
#include "report_opts.h"

/* The revenue comparisons of one treatment arm (or segment, or week) vs the holdout. */
typedef struct {
    lift_estimate_t diff, lift, total, holdout, net; /* net only when asked */
    int cuped;                                       /* CUPED applied */
    double vr;                                       /* variance reduction when CUPED */
    const char *cuped_why;                           /* requested, not applied: why */
} report_revcmp_t;

/* e made always-valid (lift_sequential, N = n_total) when the report is sequential and e is
 * OK; else e unchanged. */
lift_estimate_t report_est_seq(const lift_estimate_t *e, double n_total, const report_opts_t *o);

/* e with its estimate, SE and interval multiplied by k (a total from a per-customer figure);
 * unchanged when not OK. */
lift_estimate_t report_est_scale(lift_estimate_t e, double k);

/* Revenue comparisons of t vs c (y = capped or uncapped revenue, x = pre-exposure revenue, both
 * raw: the revenue model needs the non-payers at 0); pay_t / pay_c = customers with revenue > 0;
 * attempts = the treated arm's impressions (the net's cost). The difference is
 * lift_revenue_diff_cuped when CUPED is asked and lift_cuped finds pre-period variation (θ
 * pooled over both arms; its variance reduction and adjusted relative lift go with it), else
 * lift_revenue_diff: calibrated, always-valid when sequential, not estimable below
 * LIFT_MIN_CONVERTERS expected converters. The totals scale it by the arms' sizes and share its
 * p-value; the relative lift follows it into "not estimable" so no revenue interval is printed
 * that the calibration does not back. */
report_revcmp_t report_est_revenue(const lift_summary_t *t, const lift_summary_t *c, int64_t pay_t,
                                   int64_t pay_c, const report_opts_t *o, double attempts);

/* The revenue cap: the pct-th percentile (R quantile type 7) over the customers with revenue
 * > 0 (GrowthBook's "ignore zeros"): pos[m] holds those customers' revenues (the callers
 * gather only them; lift_cap copies what it sorts); 0 = none (pct = 100, or m = 0). */
double report_est_cap(const double *pos, size_t m, double pct);

/* rev winsorized at cap (cap 0 = none). */
static inline double report_est_capped(int64_t rev, double cap)
{
    double y = (double)rev;
    return cap > 0 ? lift_winsorize(y, cap) : y;
}

#endif
