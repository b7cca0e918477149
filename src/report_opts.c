/* report_opts: see report_opts.h. The request wins over the experiment's analysis settings,
 * which win over the defaults below. */
#include "report_opts.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lift/stats.h"
#include "report_time.h"

#define DEFAULT_LOOKBACK_DAYS 30
#define DEFAULT_MDE 0.05 /* the registry's analysis.mde when a definition has none */

int report_opts_resolve(const Lift__Experiment *exp, const Lift__ReportRequest *req, int64_t now_ms,
                        report_opts_t *o, status_t *st)
{
    const Lift__Analysis *an = exp->analysis;
    memset(o, 0, sizeof *o);
    const int bad = LIFT__CODE__INVALID_ARGUMENT;

    o->alpha = req->has_alpha ? req->alpha : (an && an->has_alpha ? an->alpha : 0.05);
    if (!(o->alpha > 0 && o->alpha <= 0.5))
        return status_set(st, bad, "report.alpha",
                          "report.alpha: %g is outside (0, 0.5] (leave it unset for the "
                          "experiment's, %g)",
                          o->alpha, an && an->has_alpha ? an->alpha : 0.05);
    o->sequential =
        req->has_sequential ? req->sequential : (an && an->has_sequential ? an->sequential : 1);
    o->cuped = req->has_cuped ? req->cuped : (an && an->has_cuped ? an->cuped : 1);
    uint32_t lb = req->has_cuped_lookback_days ? req->cuped_lookback_days : DEFAULT_LOOKBACK_DAYS;
    if (lb < 1 || lb > 365)
        return status_set(st, bad, "report.cuped_lookback_days",
                          "report.cuped_lookback_days: %u is outside [1, 365] (leave it unset for "
                          "%d; cuped: false turns CUPED off)",
                          lb, DEFAULT_LOOKBACK_DAYS);
    o->lookback_ms = (int64_t)lb * REPORT_DAY_MS;
    o->lookback_days = lb;
    o->adjust = req->has_adjust ? (int)req->adjust : LIFT__ADJUSTMENT__ADJUSTMENT_BH;
    if (o->adjust == LIFT__ADJUSTMENT__ADJUSTMENT_UNSPECIFIED)
        o->adjust = LIFT__ADJUSTMENT__ADJUSTMENT_BH;
    if (o->adjust != LIFT__ADJUSTMENT__ADJUSTMENT_BH &&
        o->adjust != LIFT__ADJUSTMENT__ADJUSTMENT_HOLM)
        return status_set(st, bad, "report.adjust",
                          "report.adjust: %d is not a known method (1 = bh, 2 = holm)", o->adjust);
    o->primary = an && an->has_primary_metric &&
                         (an->primary_metric == LIFT__METRIC__METRIC_CONVERSION ||
                          an->primary_metric == LIFT__METRIC__METRIC_RETENTION)
                     ? (int)an->primary_metric
                     : LIFT__METRIC__METRIC_REVENUE;
    o->cap_pct = req->has_revenue_cap_percentile
                     ? req->revenue_cap_percentile
                     : (an && an->has_revenue_cap_percentile ? an->revenue_cap_percentile : 99.9);
    if (!(o->cap_pct > 50 && o->cap_pct <= 100))
        return status_set(st, bad, "report.revenue_cap_percentile",
                          "report.revenue_cap_percentile: %g is outside (50, 100] (100 = no cap; "
                          "leave it unset for the experiment's)",
                          o->cap_pct);
    if (req->n_retention_days > REPORT_MAX_RETENTION)
        return status_set(st, bad, "report.retention_days",
                          "report.retention_days: %zu horizons, at most %d", req->n_retention_days,
                          REPORT_MAX_RETENTION);
    for (size_t i = 0; i < req->n_retention_days; i++) {
        uint32_t d = req->retention_days[i];
        if (d < 1 || d > 365) {
            char field[64];
            snprintf(field, sizeof field, "report.retention_days[%zu]", i);
            return status_set(st, bad, field, "%s: %u is outside [1, 365]", field, d);
        }
        o->ret_days[o->n_ret++] = d;
    }
    if (o->n_ret == 0) {
        static const uint32_t def[] = {30, 60, 90};
        memcpy(o->ret_days, def, sizeof def);
        o->n_ret = 3;
    }
    o->cost = req->has_cost_per_attempt_minor
                  ? req->cost_per_attempt_minor
                  : (an && an->has_cost_per_attempt_minor ? an->cost_per_attempt_minor : 0);
    if (o->cost < 0)
        return status_set(st, bad, "report.cost_per_attempt_minor",
                          "report.cost_per_attempt_minor: %lld is negative", (long long)o->cost);
    o->n_star = req->has_n_star ? req->n_star : LIFT_SEQ_DEFAULT_N_STAR;
    if (!(o->n_star > 0) || !isfinite(o->n_star))
        return status_set(st, bad, "report.n_star",
                          "report.n_star: %g is not > 0 (leave it unset for %g)", o->n_star,
                          (double)LIFT_SEQ_DEFAULT_N_STAR);
    for (size_t i = 0; i < req->n_segment_by; i++) {
        int d = (int)req->segment_by[i];
        if (d < LIFT__DIMENSION__DIMENSION_TRIGGER || d > LIFT__DIMENSION__DIMENSION_DELAY) {
            char field[64];
            snprintf(field, sizeof field, "report.segment_by[%zu]", i);
            return status_set(st, bad, field,
                              "%s: %d is not a known dimension (trigger, stage, channel, delay)",
                              field, d);
        }
        int dup = 0;
        for (size_t j = 0; j < o->n_dims; j++)
            dup |= o->dims[j] == d;
        if (!dup)
            o->dims[o->n_dims++] = d;
    }
    /* Any start before 2000 (0 included) is before every experiment: the window reads from
     * the experiment's start, as when from_ms is unset (proto: presence). */
    if (req->has_from_ms && (req->from_ms < 0 || req->from_ms > LIFT_TIME_MAX_MS))
        return status_set(st, bad, "report.from_ms",
                          "report.from_ms: %lld is outside [0, 3000-01-01) (a start before the "
                          "experiment's reads from its start)",
                          (long long)req->from_ms);
    if (req->has_to_ms && (req->to_ms < LIFT_TIME_MIN_MS || req->to_ms > LIFT_TIME_MAX_MS))
        return status_set(st, bad, "report.to_ms",
                          "report.to_ms: %lld is outside [2000-01-01, 3000-01-01)",
                          (long long)req->to_ms);
    o->from_given = req->has_from_ms && req->from_ms >= LIFT_TIME_MIN_MS;
    o->to_given = req->has_to_ms;
    o->from = o->from_given ? req->from_ms : 0;
    o->to = req->has_to_ms ? req->to_ms : now_ms;
    if (o->from_given && o->to <= o->from)
        return status_set(st, bad, "report.to_ms", "report.to_ms: %lld is not after from_ms %lld",
                          (long long)o->to, (long long)o->from);
    uint32_t rw = an && an->has_retention_window_days && an->retention_window_days > 0
                      ? an->retention_window_days
                      : 30;
    o->churn_ms = (int64_t)rw * REPORT_DAY_MS;
    /* The registry stores 5% when a definition gives no MDE, so 5% may be nobody's choice:
     * the report names it as the default rather than as the team's minimum effect. */
    o->mde = an && an->has_mde && an->mde > 0 && isfinite(an->mde) ? an->mde : DEFAULT_MDE;
    o->mde_set = o->mde != DEFAULT_MDE;
    return 0;
}

int report_opts_window(report_opts_t *o, const Lift__Experiment *exp, uint32_t n_exposed,
                       int64_t min_t0, status_t *st)
{
    if (o->from_given)
        return 0;
    int64_t f = exp->has_start_ms && exp->start_ms > 0       ? exp->start_ms
                : exp->has_started_ms && exp->started_ms > 0 ? exp->started_ms
                : n_exposed > 0                              ? min_t0
                                                             : o->to;
    if (n_exposed > 0 && min_t0 < f)
        f = min_t0;
    if (f > o->to) {
        if (o->to_given)
            return status_set(st, LIFT__CODE__INVALID_ARGUMENT, "report.to_ms",
                              "report.to_ms: %lld is not after the window start %lld "
                              "(experiment start)",
                              (long long)o->to, (long long)f);
        f = o->to; /* not started yet: an empty window */
    }
    o->from = f;
    return 0;
}

void report_opts_weights(const Lift__Experiment *exp, double *wts)
{
    for (size_t a = 0; a < exp->n_arms; a++)
        wts[a] = exp->arms[a] && exp->arms[a]->has_weight && isfinite(exp->arms[a]->weight) &&
                         exp->arms[a]->weight > 0
                     ? exp->arms[a]->weight
                     : 0;
}
