/* bench_stats: in-process cost of stats/ on one core — the per-customer summary fold over 1M
 * customers (next to a bare indexed double-sum loop over the same data as the baseline) and
 * every summary-based estimator over 1,000 segments' summaries, plus the array-based ones
 * (revenue cap, Kaplan–Meier) for context. Built as build/bench_stats, run by `make bench`. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "lift/stats.h"
#include "../tests/testutil.h"

#define NCUST 1000000
#define NSEG 1000
#define ROUNDS 5 /* best of: shields the figure from a noisy neighbour */
#define TARGET_FOLD_MPS 50.0
#define TARGET_EST_MS 10.0

typedef struct {
    lift_summary_t rev[2];    /* revenue (y) with pre-period revenue (x), per arm */
    lift_summary_t ctr[2];    /* clicks (y) per impressions (x), per arm */
    lift_summary_t saw[2];    /* revenue (y) with saw-the-offer (x), per arm */
    lift_nps_counts_t nps[2]; /* NPS answers per arm */
    int64_t conv[2];          /* converted customers per arm */
} segment_t;

/* Every summary-based estimator for every segment, then BH over the whole family. */
static double run_estimators(const segment_t *seg, double *p, double *p_adj, double *sink)
{
    static const double weights[2] = {0.1, 0.9};
    double t0 = tu_now_s();
    size_t m = 0;
    for (int s = 0; s < NSEG; s++) {
        const segment_t *g = &seg[s];
        const lift_summary_t *c = &g->rev[0], *t = &g->rev[1];
        lift_estimate_t d = lift_diff_means(t, c, 0.05);
        lift_estimate_t l = lift_rel_lift(t, c, 0.05);
        lift_incremental_t inc = lift_incremental(t, c, 0.05, 0.5, (double)t->n);
        lift_proportion_t wt = lift_wilson(g->conv[1], t->n, 0.05);
        lift_proportion_t wc = lift_wilson(g->conv[0], c->n, 0.05);
        lift_estimate_t pd = lift_prop_diff(g->conv[1], t->n, g->conv[0], c->n, 0.05);
        lift_estimate_t r = lift_ratio_diff(&g->ctr[1], &g->ctr[0], 0.05);
        lift_estimate_t n = lift_nps_diff(&g->nps[1], &g->nps[0], 0.05);
        int64_t obs[2] = {c->n, t->n};
        lift_srm_t srm = lift_srm(obs, weights, 2);
        lift_cuped_t cu = lift_cuped(t, c, 0.05);
        lift_estimate_t sq = lift_seq_diff_means(t, c, 0.05, 0);
        lift_estimate_t sl = lift_sequential(l.estimate, l.se, (double)(t->n + c->n), 0.05, 0);
        lift_cace_t ca = lift_cace(&g->saw[1], &g->saw[0], 0.05);
        p[m++] = d.p_value;
        p[m++] = pd.p_value;
        p[m++] = r.p_value;
        p[m++] = n.p_value;
        p[m++] = cu.diff.p_value;
        *sink += inc.net.ci_low + wt.ci_low + wc.ci_high + srm.p_value + sq.ci_low + sl.ci_high +
                 ca.cace.estimate;
    }
    lift_result_t bh = lift_bh_adjust(p, m, p_adj);
    *sink += p_adj[m / 2] + (double)bh.status;
    return tu_now_s() - t0;
}

int main(void)
{
    lift_stats_init();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    uint32_t *cell = malloc(NCUST * sizeof *cell);
    double *y = malloc(NCUST * sizeof *y), *x = malloc(NCUST * sizeof *x);
    lift_summary_t *sum = malloc(2 * NSEG * sizeof *sum);
    double *plain = malloc(2 * NSEG * sizeof *plain);
    segment_t *seg = calloc(NSEG, sizeof *seg);
    double *p = malloc(5 * NSEG * sizeof *p), *p_adj = malloc(5 * NSEG * sizeof *p_adj);
    int *ev = malloc(NCUST * sizeof *ev);
    if (!rng || !cell || !y || !x || !sum || !plain || !seg || !p || !p_adj || !ev) {
        fprintf(stderr, "bench_stats: out of memory\n");
        return 1;
    }
    gsl_rng_set(rng, 1);
    /* 1M customers: random (segment, arm) cell, 10% holdout; revenue mostly 0, log-normal
     * payers; pre-period revenue correlated with it. */
    for (int i = 0; i < NCUST; i++) {
        uint32_t s = (uint32_t)gsl_rng_uniform_int(rng, NSEG);
        uint32_t arm = gsl_rng_uniform(rng) < 0.1 ? 0 : 1;
        cell[i] = s * 2 + arm;
        double pay = gsl_rng_uniform(rng) < (arm ? 0.12 : 0.10);
        y[i] = pay ? gsl_ran_lognormal(rng, 8.0, 1.0) : 0.0;
        x[i] = 0.5 * y[i] + (gsl_rng_uniform(rng) < 0.3 ? gsl_ran_lognormal(rng, 7.0, 1.0) : 0.0);
    }

    /* The fold the report runs: one Welford update per customer into its cell. */
    double best_fold = 1e9, best_base = 1e9, sink = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int k = 0; k < 2 * NSEG; k++) {
            lift_summary_init(&sum[k]);
            plain[k] = 0;
        }
        double t0 = tu_now_s();
        for (int i = 0; i < NCUST; i++)
            lift_summary_add_xy(&sum[cell[i]], y[i], x[i]);
        double t1 = tu_now_s();
        for (int i = 0; i < NCUST; i++)
            plain[cell[i]] += y[i];
        double t2 = tu_now_s();
        if (t1 - t0 < best_fold)
            best_fold = t1 - t0;
        if (t2 - t1 < best_base)
            best_base = t2 - t1;
        sink += sum[r].mean_y + plain[r];
    }

    /* Fill the segments for the estimators from the fold, plus simulated counts. */
    for (int s = 0; s < NSEG; s++)
        for (int a = 0; a < 2; a++) {
            segment_t *g = &seg[s];
            g->rev[a] = sum[s * 2 + a];
            int64_t n = g->rev[a].n;
            lift_summary_init(&g->ctr[a]);
            lift_summary_init(&g->saw[a]);
            for (int64_t i = 0; i < n && i < 200; i++) {
                double imp = (double)(1 + gsl_rng_uniform_int(rng, 5));
                lift_summary_add_xy(&g->ctr[a], (double)gsl_ran_binomial(rng, 0.1, (unsigned)imp),
                                    imp);
                double saw = a == 1 && gsl_rng_uniform(rng) < 0.6;
                lift_summary_add_xy(&g->saw[a], saw ? gsl_ran_exponential(rng, 50) : 0, saw);
            }
            g->conv[a] = (int64_t)gsl_ran_binomial(rng, a ? 0.12 : 0.10, (unsigned)n);
            g->nps[a].promoters = 40 + (int64_t)gsl_rng_uniform_int(rng, 20);
            g->nps[a].passives = 30;
            g->nps[a].detractors = 25 + (int64_t)gsl_rng_uniform_int(rng, 20);
        }
    double best_est = 1e9;
    for (int r = 0; r < ROUNDS; r++) {
        double t = run_estimators(seg, p, p_adj, &sink);
        if (t < best_est)
            best_est = t;
    }

    /* Array-based estimators, for context: cap at the 99th percentile of 1M values and
     * Kaplan–Meier over 1M customers at 3 horizons. */
    double best_cap = 1e9, best_km = 1e9;
    double *days = x; /* x is no longer needed: reuse it for days from upgrade to churn */
    for (int i = 0; i < NCUST; i++) {
        ev[i] = gsl_rng_uniform(rng) < 0.3;
        days[i] = floor(gsl_ran_exponential(rng, 120.0));
    }
    const double horizons[3] = {30, 60, 90};
    lift_km_point_t km[3];
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = tu_now_s();
        lift_cap_t cap = lift_cap(y, NCUST, 0.99);
        double t1 = tu_now_s();
        lift_result_t k = lift_km(days, ev, NCUST, horizons, 3, 0.05, km);
        double t2 = tu_now_s();
        if (t1 - t0 < best_cap)
            best_cap = t1 - t0;
        if (t2 - t1 < best_km)
            best_km = t2 - t1;
        sink += cap.cap + km[0].survival + (double)k.status;
    }

    double fold_mps = NCUST / best_fold / 1e6, base_mps = NCUST / best_base / 1e6;
    double est_ms = best_est * 1e3;
    printf(
        "stats: baseline indexed double sum %.1f M customer-updates/s (%d customers, best of %d)\n",
        base_mps, NCUST, ROUNDS);
    printf("stats: summary fold: %.1f M customer-updates/s (target >= %.0f M/s), %.2fx baseline "
           "time%s\n",
           fold_mps, TARGET_FOLD_MPS, best_fold / best_base,
           fold_mps >= TARGET_FOLD_MPS ? "" : "  ** BELOW TARGET **");
    printf("stats: estimators over %d segments: %.2f ms (target <= %.0f ms; 13 estimators per "
           "segment + BH over %d p-values)%s\n",
           NSEG, est_ms, TARGET_EST_MS, 5 * NSEG,
           est_ms <= TARGET_EST_MS ? "" : "  ** ABOVE TARGET **");
    printf("stats: revenue cap (p99 of %d values): %.1f ms; Kaplan-Meier (%d customers, 3 "
           "horizons): %.1f ms\n",
           NCUST, best_cap * 1e3, NCUST, best_km * 1e3);
    fprintf(stderr, "stats: checksum %.6g\n", sink);

    gsl_rng_free(rng);
    free(cell);
    free(y);
    free(x);
    free(sum);
    free(plain);
    free(seg);
    free(p);
    free(p_adj);
    free(ev);
    return 0;
}
