/* report_opts: a Report request resolved against the experiment's analysis settings — every
 * option checked (an error names the request field and its bound) and defaulted — and the
 * default window start. No store access and no estimates. */
#ifndef LIFT_REPORT_OPTS_H
#define LIFT_REPORT_OPTS_H

#include <stdint.h>

#include "lift.pb-c.h"
#include "lift/limits.h"
#include "report.h"
#include "status.h"

#define REPORT_N_DIMS 4   /* segment dimensions: trigger, stage, channel, delay */
#define REPORT_N_LEVELS 6 /* enum values 0..5 (0 = unspecified); delay uses 5 */

typedef struct {
    int64_t from, to;                        /* window on exposure time */
    int from_given, to_given;                /* set by the request */
    double alpha;                            /* two-sided error rate */
    int sequential, cuped;                   /* methods */
    int64_t lookback_ms;                     /* CUPED / NPS-before lookback */
    double cap_pct;                          /* revenue cap percentile, (50, 100] */
    uint32_t ret_days[REPORT_MAX_RETENTION]; /* retention horizons */
    size_t n_ret;                            /* entries in ret_days */
    int64_t cost;                            /* cost per attempt, minor units */
    double n_star;                           /* sequential tuning */
    int dims[REPORT_N_DIMS]; /* requested dimensions, in request order, deduplicated */
    size_t n_dims;           /* entries in dims */
    int64_t churn_ms;        /* retention window for "churned" */
    double mde;              /* relative MDE for power (the experiment's; 0 = not set) */
    int mde_set;             /* analysis.mde was set by the user */
    uint32_t lookback_days;  /* CUPED / NPS-before lookback */
    int adjust;              /* Lift__Adjustment: BH or Holm */
    int primary;             /* Lift__Metric of the confirmatory family */
} report_opts_t;

/* Resolve req (and the experiment's analysis defaults) into *o, the window end `to` defaulting
 * to now_ms; the window start is set later by report_opts_window unless the request gives it.
 * Returns 0, or -1 with st = INVALID_ARGUMENT naming the field ("report.alpha", ...). */
int report_opts_resolve(const Lift__Experiment *exp, const Lift__ReportRequest *req, int64_t now_ms,
                        report_opts_t *o, status_t *st);

/* The default window start when the request gave none (see report.c's top comment): the
 * experiment's start_ms, else started_ms, else the earliest exposure (min_t0, meaningful when
 * n_exposed > 0), lowered to min_t0 when an exposure is earlier. Returns 0, or -1 with st set
 * when the request's to_ms is before that start. */
int report_opts_window(report_opts_t *o, const Lift__Experiment *exp, uint32_t n_exposed,
                       int64_t min_t0, status_t *st);

/* The arms' weights of exp into wts[exp->n_arms] (0 for a missing or invalid weight): the
 * split the SRM tests expect. */
void report_opts_weights(const Lift__Experiment *exp, double *wts);

#endif
