/* Post-upgrade retention: Kaplan–Meier estimate of time from upgrade to churn with
 * right censoring, Greenwood variance and R survfit's default log-transformed interval,
 * evaluated at chosen horizons (30/60/90 days). No I/O. */
#include <math.h>
#include <stdlib.h>

#include "stats_internal.h"

typedef struct {
    double t; /* time in days */
    int ev;   /* 1 churned, 0 censored */
} km_obs_t;

static int km_cmp(const void *a, const void *b)
{
    double x = ((const km_obs_t *)a)->t, y = ((const km_obs_t *)b)->t;
    return (x > y) - (x < y);
}

static void km_point_fail(lift_km_point_t *p, double horizon, const char *reason)
{
    lift_km_point_t z = {0};
    z.status = LIFT_STAT_NOT_ESTIMABLE;
    z.reason = reason;
    z.horizon = isfinite(horizon) ? horizon : 0.0;
    *p = z;
}

static lift_result_t km_fail(const double *horizons, size_t h, lift_km_point_t *out,
                             const char *reason)
{
    if (out)
        for (size_t i = 0; i < h; i++)
            km_point_fail(&out[i], horizons ? horizons[i] : 0.0, reason);
    lift_result_t r = {LIFT_STAT_NOT_ESTIMABLE, reason};
    return r;
}

lift_result_t lift_km(const double *time, const int *event, size_t n, const double *horizons,
                      size_t h, double alpha, lift_km_point_t *out)
{
    if (h == 0)
        return (lift_result_t){LIFT_STAT_OK, ""};
    if (!out || !horizons)
        return km_fail(horizons, h, out, LIFT__R_NULL);
    if (!lift__alpha_ok(alpha))
        return km_fail(horizons, h, out, LIFT__R_ALPHA);
    if (!time || !event || n == 0)
        return km_fail(horizons, h, out, "no customers");
    for (size_t i = 0; i < n; i++)
        if (!(time[i] >= 0) || !isfinite(time[i]) || (event[i] != 0 && event[i] != 1))
            return km_fail(horizons, h, out,
                           "invalid argument: times must be finite and >= 0, events 0 or 1");
    for (size_t i = 0; i < h; i++)
        if (!isfinite(horizons[i]))
            return km_fail(horizons, h, out, "invalid argument: horizon not finite");
    km_obs_t *obs = malloc(n * sizeof *obs);
    if (!obs)
        return km_fail(horizons, h, out, "out of memory");
    for (size_t i = 0; i < n; i++) {
        obs[i].t = time[i];
        obs[i].ev = event[i];
    }
    qsort(obs, n, sizeof *obs, km_cmp);
    double z = lift__z(alpha);
    double t_max = obs[n - 1].t;

    for (size_t k = 0; k < h; k++) {
        double hz = horizons[k];
        if (hz > t_max) {
            km_point_fail(&out[k], hz, "horizon beyond the last follow-up time");
            continue;
        }
        /* Walk the distinct times ≤ horizon: S ∏(1 − d/r), Greenwood Σ d/(r(r − d)). */
        double s = 1.0, gw = 0.0;
        int64_t at_risk = (int64_t)n, events = 0, before = 0;
        size_t i = 0;
        while (i < n && obs[i].t <= hz) {
            size_t j = i;
            int64_t d = 0;
            while (j < n && obs[j].t == obs[i].t) {
                d += obs[j].ev;
                j++;
            }
            if (d > 0) {
                double r = (double)at_risk;
                s *= 1.0 - (double)d / r;
                if (at_risk > d)
                    gw += (double)d / (r * (r - (double)d));
                events += d;
            }
            at_risk -= (int64_t)(j - i);
            i = j;
        }
        while (before < (int64_t)n && obs[before].t < hz)
            before++;
        lift_km_point_t *p = &out[k];
        if (!(s > 0)) {
            km_point_fail(p, hz, "survival is 0: every customer at risk churned");
            continue;
        }
        p->status = LIFT_STAT_OK;
        p->reason = "";
        p->horizon = hz;
        p->survival = s;
        p->std_err = s * sqrt(gw);
        p->ci_low = s * exp(-z * sqrt(gw));
        p->ci_high = s * exp(z * sqrt(gw));
        if (p->ci_high > 1)
            p->ci_high = 1.0;
        p->n_risk = (int64_t)n - before; /* time >= horizon, as R summary.survfit */
        p->n_events = events;
        if (!isfinite(p->std_err) || !isfinite(p->ci_low) || !isfinite(p->ci_high))
            km_point_fail(p, hz, LIFT__R_NUMERIC);
    }
    free(obs);
    return (lift_result_t){LIFT_STAT_OK, ""};
}
