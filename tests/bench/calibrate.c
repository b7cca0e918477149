/* calibrate: seeded simulations behind the choices of stats/. (1) The revenue interval the
 * report prints (lift_revenue_diff): A/A false-positive rate and A/B coverage of zero-inflated
 * log-normal revenue, per segment size and conversion rate, next to plain Welch; and the A/A
 * false-positive rate by expected converters in the smaller arm, which fixes
 * LIFT_MIN_CONVERTERS. (2) Empirical-Bayes segment estimates (lift_eb_shrink) against raw ones
 * on known per-level truth. (3) The CUPED-adjusted interval (lift_revenue_diff_cuped). (4) The
 * sequential interval under weekly looks.
 * Built as build/calibrate, run by `make calibrate`; prints tables, writes no files. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "stats_internal.h"
#include "lift/stats.h"

#define ALPHA 0.05
#define MEANLOG 8.0        /* payers' amounts: log-normal(8, σ), median ≈ 2,981 minor units */
static double SDLOG = 1.0; /* σ; --sdlog */
#define AB_RATIO 1.25      /* A/B: treatment conversion = 1.25 × holdout conversion */
#define AB2_CONV 1.5       /* second A/B: conversion × 1.5 at amounts × 0.8 (a discount offer) */
#define AB2_AMOUNT 0.8

/* Targets from the issue: FPR 5% ± 1.5%, each one-sided miss 2.5% ± 1%. */
#define FPR_LO 0.035
#define FPR_HI 0.065
#define SIDE_LO 0.015
#define SIDE_HI 0.035

/* Clopper–Pearson (exact binomial) interval for x successes out of n, by bisection on the
 * binomial tail (GSL's inverse beta is unreliable far in the tails). */
static double cp_bound(int64_t x, int64_t n, double tail, int upper)
{
    double lo = 0, hi = 1;
    for (int i = 0; i < 100; i++) {
        double mid = 0.5 * (lo + hi);
        /* lower bound: P(X ≥ x | mid) = tail; upper bound: P(X ≤ x | mid) = tail */
        double f = upper ? gsl_cdf_binomial_P((unsigned)x, mid, (unsigned)n) - tail
                         : tail - gsl_cdf_binomial_Q((unsigned)x - 1, mid, (unsigned)n);
        if (f > 0)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static void clopper_pearson(int64_t x, int64_t n, double alpha, double *lo, double *hi)
{
    *lo = x == 0 ? 0.0 : cp_bound(x, n, alpha / 2, 0);
    *hi = x == n ? 1.0 : cp_bound(x, n, alpha / 2, 1);
}

/* One arm of one segment: n customers, each converts with probability conv and then pays a
 * log-normal amount; folded per customer with lift_summary_add_xy as the report does. */
static int64_t draw_arm(gsl_rng *rng, int64_t n, double conv, double scale, lift_summary_t *s)
{
    lift_summary_init(s);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        double y = 0.0;
        if (gsl_rng_uniform(rng) < conv) {
            y = scale * gsl_ran_lognormal(rng, MEANLOG, SDLOG);
            k++;
        }
        lift_summary_add_xy(s, y, 0.0);
    }
    return k;
}

typedef struct {
    int64_t shown;  /* intervals printed (estimable) */
    int64_t silent; /* not estimable */
    int64_t low;    /* interval entirely below the truth */
    int64_t high;   /* interval entirely above the truth */
} tally_t;

static void tally(tally_t *t, const lift_estimate_t *e, double truth)
{
    if (e->status != LIFT_STAT_OK) {
        t->silent++;
        return;
    }
    t->shown++;
    t->high += e->ci_low > truth;
    t->low += e->ci_high < truth;
}

/* A/A false-positive rate by min(converters) per arm, for the K choice (no minimum). */
#define NBUCKET 10
static const int BUCKET_LO[NBUCKET] = {1, 4, 6, 8, 10, 12, 15, 20, 30, 50};
static tally_t by_conv_lift[NBUCKET], by_conv_welch[NBUCKET];

static int bucket_of(int64_t k)
{
    int b = -1;
    for (int i = 0; i < NBUCKET; i++)
        if (k >= BUCKET_LO[i])
            b = i;
    return b;
}

/* ok: within the target; conservative: FPR below it with neither side above its band;
 * OUT: too many false positives overall or on one side. */
static const char *verdict(const tally_t *t)
{
    if (t->shown == 0)
        return "silent";
    if (t->shown < 100)
        return "few shown";
    double n = (double)t->shown;
    double f = (double)(t->low + t->high) / n, lo = (double)t->low / n, hi = (double)t->high / n;
    if (f >= FPR_LO && f <= FPR_HI && lo >= SIDE_LO && lo <= SIDE_HI && hi >= SIDE_LO &&
        hi <= SIDE_HI)
        return "ok";
    if (f < FPR_LO && lo <= SIDE_HI && hi <= SIDE_HI)
        return "conservative";
    return "OUT";
}

static double cover(const tally_t *t)
{
    return t->shown ? 100.0 * (1.0 - (double)(t->low + t->high) / (double)t->shown) : 0.0;
}

static void print_row(int64_t n_c, int64_t n_t, double conv, const char *method, const tally_t *aa,
                      const tally_t *ab, const tally_t *ab2)
{
    int64_t tot = aa->shown + aa->silent;
    printf("%6lld %6lld  %3.0f%%  %-6s", (long long)n_c, (long long)n_t, 100 * conv, method);
    if (aa->shown == 0) {
        printf("  %6s  %-12s  %5s  %5s  %6s  %6s  %6.1f%%  %s\n", "-", "-", "-", "-", "-", "-",
               100.0 * (double)aa->silent / (double)tot, verdict(aa));
        return;
    }
    double n = (double)aa->shown, lo, hi;
    clopper_pearson(aa->low + aa->high, aa->shown, 0.05, &lo, &hi);
    printf("  %5.2f%%  %5.2f-%5.2f%%  %4.2f%%  %4.2f%%  %5.1f%%  ",
           100.0 * (double)(aa->low + aa->high) / n, 100 * lo, 100 * hi,
           100.0 * (double)aa->low / n, 100.0 * (double)aa->high / n, cover(ab));
    if (ab2->shown + ab2->silent)
        printf("%5.1f%%", cover(ab2));
    else
        printf("%6s", "-");
    printf("  %6.1f%%  %s\n", 100.0 * (double)aa->silent / (double)tot, verdict(aa));
}

static void revenue_table(gsl_rng *rng, double scale, int64_t k_min)
{
    static const int64_t sizes[] = {100, 200, 500, 1000, 2000, 5000, 10000};
    static const double convs[] = {0.02, 0.05};
    static const double ratios[] = {1.0, 4.5}; /* treatment customers per holdout customer */
    const double amount = exp(MEANLOG + SDLOG * SDLOG / 2);
    printf(
        "Revenue difference per customer, 95%% intervals: A/A false positives, A/B coverage\n"
        "(each customer converts with the given rate and pays a log-normal(%g, %g) amount;\n"
        " FPR = the A/A interval excludes 0, with its Clopper-Pearson 95%% interval; low/high =\n"
        " entirely below/above 0; cov = A/B coverage of the true difference, conversion x %.2f\n"
        " (cov2: conversion x %.1f at amounts x %.1f, a discount); silent = not estimable;\n"
        " target: FPR %.1f-%.1f%%, each side %.1f-%.1f%%)\n\n",
        MEANLOG, SDLOG, AB_RATIO, AB2_CONV, AB2_AMOUNT, 100 * FPR_LO, 100 * FPR_HI, 100 * SIDE_LO,
        100 * SIDE_HI);
    printf("%6s %6s  %4s  %-6s  %6s  %-12s  %5s  %5s  %6s  %6s  %7s\n", "hold.", "treat.", "conv",
           "method", "FPR", "FPR 95% CI", "low", "high", "cov", "cov2", "silent");
    for (size_t r = 0; r < sizeof ratios / sizeof ratios[0]; r++)
        for (size_t ci = 0; ci < sizeof convs / sizeof convs[0]; ci++)
            for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
                int64_t n_c = sizes[si], n_t = (int64_t)llround(ratios[r] * (double)n_c);
                double conv = convs[ci];
                int reps = (int)((n_c <= 1000 ? 4000 : 2000) * scale);
                if (reps < 50)
                    reps = 50;
                double truth = (AB_RATIO - 1.0) * conv * amount;
                double truth2 = (AB2_CONV * AB2_AMOUNT - 1.0) * conv * amount;
                tally_t aa_w = {0}, ab_w = {0}, ab2_w = {0}, aa_l = {0}, ab_l = {0}, ab2_l = {0};
                for (int k = 0; k < reps; k++) {
                    lift_summary_t t, c;
                    int64_t kt = draw_arm(rng, n_t, conv, 1, &t);
                    int64_t kc = draw_arm(rng, n_c, conv, 1, &c);
                    lift_estimate_t w = lift_diff_means(&t, &c, ALPHA);
                    lift_estimate_t l = lift__revenue_diff_k(&t, &c, kt, kc, ALPHA, 0, k_min);
                    tally(&aa_w, &w, 0.0);
                    tally(&aa_l, &l, 0.0);
                    int b = bucket_of((int64_t)floor((double)(n_t < n_c ? n_t : n_c) *
                                                     (double)(kt + kc) / (double)(n_t + n_c)));
                    if (b >= 0) {
                        lift_estimate_t h = lift__revenue_diff_k(&t, &c, kt, kc, ALPHA, 0, 1);
                        tally(&by_conv_lift[b], &h, 0.0);
                        tally(&by_conv_welch[b], &w, 0.0);
                    }
                    kt = draw_arm(rng, n_t, conv * AB_RATIO, 1, &t);
                    kc = draw_arm(rng, n_c, conv, 1, &c);
                    w = lift_diff_means(&t, &c, ALPHA);
                    l = lift__revenue_diff_k(&t, &c, kt, kc, ALPHA, 0, k_min);
                    tally(&ab_w, &w, truth);
                    tally(&ab_l, &l, truth);
                    kt = draw_arm(rng, n_t, conv * AB2_CONV, AB2_AMOUNT, &t);
                    kc = draw_arm(rng, n_c, conv, 1, &c);
                    w = lift_diff_means(&t, &c, ALPHA);
                    l = lift__revenue_diff_k(&t, &c, kt, kc, ALPHA, 0, k_min);
                    tally(&ab2_w, &w, truth2);
                    tally(&ab2_l, &l, truth2);
                }
                print_row(n_c, n_t, conv, "welch", &aa_w, &ab_w, &ab2_w);
                print_row(n_c, n_t, conv, "lift", &aa_l, &ab_l, &ab2_l);
            }
    printf("\n(welch = plain Welch t interval, which the report printed whenever each arm had two\n"
           " customers; lift = lift_revenue_diff, silent below %lld expected converters in the\n"
           " smaller arm; conservative = FPR under the target with neither side over its band)\n\n",
           (long long)k_min);
    printf(
        "A/A false-positive rate by expected converters in the smaller arm (its customers x the\n"
        "pooled conversion rate), every A/A experiment above pooled, no minimum applied\n"
        "(low/high sides in brackets)\n\n");
    printf("%10s  %7s  %-28s  %s\n", "converters", "A/A", "welch", "lift");
    for (int b = 0; b < NBUCKET; b++) {
        const tally_t *w = &by_conv_welch[b], *h = &by_conv_lift[b];
        if (h->shown + h->silent == 0)
            continue;
        char range[16];
        if (b + 1 < NBUCKET)
            snprintf(range, sizeof range, "%d-%d", BUCKET_LO[b], BUCKET_LO[b + 1] - 1);
        else
            snprintf(range, sizeof range, "%d+", BUCKET_LO[b]);
        double nw = w->shown ? (double)w->shown : 1, nh = h->shown ? (double)h->shown : 1;
        printf("%10s  %7lld  %5.2f%% (%4.2f/%4.2f) %-12s %5.2f%% (%4.2f/%4.2f) %s\n", range,
               (long long)(h->shown + h->silent), 100.0 * (double)(w->low + w->high) / nw,
               100.0 * (double)w->low / nw, 100.0 * (double)w->high / nw, verdict(w),
               100.0 * (double)(h->low + h->high) / nh, 100.0 * (double)h->low / nh,
               100.0 * (double)h->high / nh, verdict(h));
    }
    printf("\n");
}

/* ------------------------------------------------------------------ CUPED */

/* One arm with a pre-period covariate: 10% of customers are "engaged" and pay 8.2× as often
 * (the rest 0.2×, so the rate averages conv), in the pre period and again after exposure
 * (× lift); a customer's amounts share a scale, log-normal(8 + 0.9z + 0.436ε), σ = 1 overall.
 * Folds (revenue, pre-period revenue) per customer. */
static int64_t draw_arm_x(gsl_rng *rng, int64_t n, double conv, double lift, lift_summary_t *s)
{
    lift_summary_init(s);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        double p = conv * (gsl_rng_uniform(rng) < 0.1 ? 8.2 : 0.2);
        double z = gsl_ran_gaussian(rng, 1.0), x = 0, y = 0;
        if (gsl_rng_uniform(rng) < p)
            x = exp(MEANLOG + 0.9 * z + gsl_ran_gaussian(rng, 0.43589));
        if (gsl_rng_uniform(rng) < p * lift) {
            y = exp(MEANLOG + 0.9 * z + gsl_ran_gaussian(rng, 0.43589));
            k++;
        }
        lift_summary_add_xy(s, y, x);
    }
    return k;
}

static void cuped_table(gsl_rng *rng, double scale)
{
    static const int64_t sizes[] = {200, 500, 1000, 2000, 5000};
    static const double convs[] = {0.02, 0.05};
    const double amount = exp(MEANLOG + 0.5);
    printf(
        "CUPED-adjusted revenue difference (lift_revenue_diff_cuped; pre-period revenue as the\n"
        "covariate, correlated through engaged customers and a per-customer amount scale;\n"
        "treatment 4.5 x the holdout; cuped = Welch on the adjusted values, as lift_cuped;\n"
        "the line below each pair: mean variance reduction, 1 - SE^2 adjusted / SE^2 plain)\n\n");
    printf("%6s %6s  %4s  %-6s  %6s  %-12s  %5s  %5s  %6s  %8s  %7s\n", "hold.", "treat.", "conv",
           "method", "FPR", "FPR 95% CI", "low", "high", "cov", "", "silent");
    for (size_t ci = 0; ci < sizeof convs / sizeof convs[0]; ci++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            int64_t n_c = sizes[si], n_t = (int64_t)llround(4.5 * (double)n_c);
            double conv = convs[ci], truth = (AB_RATIO - 1.0) * conv * amount;
            int reps = (int)(2000 * scale);
            if (reps < 50)
                reps = 50;
            tally_t aa_w = {0}, ab_w = {0}, aa_l = {0}, ab_l = {0}, none = {0};
            double vr = 0;
            int nvr = 0;
            for (int k = 0; k < reps; k++) {
                lift_summary_t t, c;
                int64_t kt = draw_arm_x(rng, n_t, conv, 1, &t),
                        kc = draw_arm_x(rng, n_c, conv, 1, &c);
                lift_cuped_t w = lift_cuped(&t, &c, ALPHA);
                lift_estimate_t l = lift_revenue_diff_cuped(&t, &c, kt, kc, ALPHA, 0);
                lift_estimate_t plain = lift_revenue_diff(&t, &c, kt, kc, ALPHA, 0);
                tally(&aa_w, &w.diff, 0.0);
                tally(&aa_l, &l, 0.0);
                if (l.status == LIFT_STAT_OK && plain.status == LIFT_STAT_OK) {
                    vr += 1.0 - (l.se * l.se) / (plain.se * plain.se);
                    nvr++;
                }
                kt = draw_arm_x(rng, n_t, conv, AB_RATIO, &t);
                kc = draw_arm_x(rng, n_c, conv, 1, &c);
                w = lift_cuped(&t, &c, ALPHA);
                l = lift_revenue_diff_cuped(&t, &c, kt, kc, ALPHA, 0);
                tally(&ab_w, &w.diff, truth);
                tally(&ab_l, &l, truth);
            }
            print_row(n_c, n_t, conv, "cuped", &aa_w, &ab_w, &none);
            print_row(n_c, n_t, conv, "lift", &aa_l, &ab_l, &none);
            if (nvr)
                printf("%27s variance reduction %.1f%%\n", "", 100.0 * vr / nvr);
        }
    printf("\n");
}

/* ------------------------------------------------------------------ weekly looks */

/* A/A read every week for 10 weeks (200 holdout + 900 treatment customers a week): "excludes
 * 0 at any look" is the false-positive rate a weekly reader experiences. */
static void peeking_table(gsl_rng *rng, double scale)
{
    static const double convs[] = {0.02, 0.05};
    const int looks = 10, weekly_c = 200, weekly_t = 900;
    int exps = (int)(1000 * scale);
    if (exps < 50)
        exps = 50;
    printf(
        "Weekly reading: %d A/A experiments per row, %d weekly looks, %d holdout + %d treatment\n"
        "customers a week; share of experiments whose interval excludes 0 at any look\n\n",
        exps, looks, weekly_c, weekly_t);
    printf("%5s  %18s  %18s  %18s\n", "conv", "lift sequential", "lift fixed", "Welch sequential");
    for (size_t ci = 0; ci < sizeof convs / sizeof convs[0]; ci++) {
        int any_s = 0, any_f = 0, any_w = 0;
        for (int k = 0; k < exps; k++) {
            lift_summary_t t, c, wt, wc;
            lift_summary_init(&t);
            lift_summary_init(&c);
            int64_t kt = 0, kc = 0;
            int fs = 0, ff = 0, fw = 0;
            for (int w = 0; w < looks; w++) {
                kt += draw_arm(rng, weekly_t, convs[ci], 1, &wt);
                kc += draw_arm(rng, weekly_c, convs[ci], 1, &wc);
                lift_summary_merge(&t, &wt);
                lift_summary_merge(&c, &wc);
                lift_estimate_t e =
                    lift_revenue_diff(&t, &c, kt, kc, ALPHA, LIFT_SEQ_DEFAULT_N_STAR);
                lift_estimate_t f = lift_revenue_diff(&t, &c, kt, kc, ALPHA, 0);
                lift_estimate_t q = lift_seq_diff_means(&t, &c, ALPHA, LIFT_SEQ_DEFAULT_N_STAR);
                fs |= e.status == LIFT_STAT_OK && (e.ci_low > 0 || e.ci_high < 0);
                ff |= f.status == LIFT_STAT_OK && (f.ci_low > 0 || f.ci_high < 0);
                fw |= q.status == LIFT_STAT_OK && (q.ci_low > 0 || q.ci_high < 0);
            }
            any_s += fs;
            any_f += ff;
            any_w += fw;
        }
        printf("%4.0f%%  %17.1f%%  %17.1f%%  %17.1f%%\n", 100 * convs[ci], 100.0 * any_s / exps,
               100.0 * any_f / exps, 100.0 * any_w / exps);
    }
    printf("\n");
}

/* ------------------------------------------------------------------ shrinkage */

typedef struct {
    const char *name;
    size_t k;         /* levels */
    double share[12]; /* customers of each level, share of the segment population */
    double conv[12];  /* holdout conversion per level */
    double lift[12];  /* relative conversion lift of the treatment per level */
} dimension_t;

/* Average ranks (ties share the mean of their positions), 1-based. */
static void ranks(const double *v, size_t k, double *r)
{
    for (size_t i = 0; i < k; i++) {
        double below = 0, equal = 0;
        for (size_t j = 0; j < k; j++) {
            below += v[j] < v[i];
            equal += v[j] == v[i];
        }
        r[i] = below + (equal + 1.0) / 2.0;
    }
}

/* Spearman correlation (Pearson on average ranks); 0 when either side is all ties, as when
 * shrinkage pulls every level to the same mean (no ranking at all). */
static double spearman(const double *a, const double *b, size_t k)
{
    double ra[12], rb[12], ma = 0, mb = 0;
    ranks(a, k, ra);
    ranks(b, k, rb);
    for (size_t i = 0; i < k; i++) {
        ma += ra[i] / (double)k;
        mb += rb[i] / (double)k;
    }
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < k; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 0.0;
}

/* Credit for picking level `top` as the best from estimates v: 1/m when it is among the m
 * levels tied for the largest estimate, else 0. */
static double top_credit(const double *v, size_t k, size_t top)
{
    double mx = v[0];
    for (size_t i = 1; i < k; i++)
        if (v[i] > mx)
            mx = v[i];
    double m = 0;
    for (size_t i = 0; i < k; i++)
        m += v[i] == mx;
    return v[top] == mx ? 1.0 / m : 0.0;
}

static size_t argmax(const double *v, size_t k)
{
    size_t m = 0;
    for (size_t i = 1; i < k; i++)
        if (v[i] > v[m])
            m = i;
    return m;
}

static void shrink_table(gsl_rng *rng, double scale)
{
    /* Per-level truth after liftsim's model (examples/sim.json): triggers with their shares and
     * propensities (holdout conversion 2% × propensity) and the delayed offer's upgrade lifts
     * (feature_exploration +4.0 × click-through, the rest +2.5 × click-through 0.14); the stage
     * dimension; and ten equal levels (no heterogeneity at all). */
    static const dimension_t dims[] = {
        {"trigger",
         5,
         {0.35, 0.25, 0.15, 0.15, 0.10},
         {0.030, 0.016, 0.020, 0.026, 0.018},
         {0.35, 0.56, 0.35, 0.35, 0.35}},
        {"stage",
         4,
         {0.20, 0.30, 0.30, 0.12},
         {0.024, 0.032, 0.016, 0.016},
         {0.35, 0.70, 0.35, -0.04}},
        {"10 equal",
         10,
         {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1},
         {0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02},
         {0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3}},
    };
    static const int64_t totals[] = {5000, 20000, 50000}; /* holdout customers over all levels */
    const double amount = exp(MEANLOG + SDLOG * SDLOG / 2);
    int seeds = (int)(400 * scale);
    if (seeds < 20)
        seeds = 20;
    printf(
        "Segment estimates: raw (lift_revenue_diff per level) vs empirical-Bayes shrunken\n"
        "(lift_eb_shrink of the raw estimates and standard errors; %d seeds per row; treatment arm "
        "4.5 x the holdout; MSE over levels and seeds of the\n"
        " estimate minus the true per-level revenue difference, minor units squared; rank =\n"
        " mean Spearman correlation with the true ranking; top = the top-ranked level is the\n"
        " true top; overstated = mean (estimate - truth) of the top-ranked level; cover = share\n"
        " of 95%% intervals holding the truth)\n\n",
        seeds);
    printf("%-9s %7s  %10s %10s %6s  %5s %5s  %5s %5s  %8s %8s  %5s %5s  %6s\n", "dimension",
           "holdout", "MSE raw", "MSE EB", "ratio", "rank", "rank", "top", "top", "overst.",
           "overst.", "cover", "cover", "shown");
    printf("%-9s %7s  %10s %10s %6s  %5s %5s  %5s %5s  %8s %8s  %5s %5s\n", "", "", "", "", "",
           "raw", "EB", "raw", "EB", "raw", "EB", "raw", "EB");
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (size_t ti = 0; ti < sizeof totals / sizeof totals[0]; ti++) {
            const dimension_t *D = &dims[d];
            double se_raw = 0, se_eb = 0, rk_raw = 0, rk_eb = 0, over_raw = 0, over_eb = 0;
            double top_raw = 0, top_eb = 0;
            int used = 0;
            int64_t cov_raw = 0, cov_eb = 0, levels = 0, total_levels = 0;
            for (int s = 0; s < seeds; s++) {
                double est[12], se[12], truth[12], shr[12] = {0};
                lift_estimate_t raw[12], eb[12];
                for (size_t j = 0; j < D->k; j++) {
                    int64_t n_c = (int64_t)llround(D->share[j] * (double)totals[ti]);
                    int64_t n_t = (int64_t)llround(4.5 * (double)n_c);
                    lift_summary_t t, c;
                    int64_t kt = draw_arm(rng, n_t, D->conv[j] * (1 + D->lift[j]), 1, &t);
                    int64_t kc = draw_arm(rng, n_c, D->conv[j], 1, &c);
                    raw[j] = lift_revenue_diff(&t, &c, kt, kc, ALPHA, 0);
                    est[j] = raw[j].estimate;
                    se[j] = raw[j].status == LIFT_STAT_OK ? raw[j].se : 0;
                    truth[j] = D->conv[j] * D->lift[j] * amount;
                }
                lift_result_t r = lift_eb_shrink(est, se, D->k, ALPHA, eb);
                /* Compare on the levels the report would print (silent ones are skipped by
                 * lift_eb_shrink too); a seed with fewer than 3 of them has no shrinkage. */
                double e2[12], s2[12], t2[12];
                size_t m = 0;
                for (size_t j = 0; j < D->k; j++) {
                    total_levels++;
                    if (raw[j].status != LIFT_STAT_OK)
                        continue;
                    if (r.status != LIFT_STAT_OK || eb[j].status != LIFT_STAT_OK)
                        continue;
                    e2[m] = est[j];
                    s2[m] = eb[j].estimate;
                    t2[m] = truth[j];
                    se_raw += (est[j] - truth[j]) * (est[j] - truth[j]);
                    se_eb += (eb[j].estimate - truth[j]) * (eb[j].estimate - truth[j]);
                    cov_raw += raw[j].ci_low <= truth[j] && truth[j] <= raw[j].ci_high;
                    cov_eb += eb[j].ci_low <= truth[j] && truth[j] <= eb[j].ci_high;
                    levels++;
                    m++;
                }
                if (m < 3)
                    continue;
                used++;
                size_t true_top = argmax(t2, m), tr = argmax(e2, m), te = argmax(s2, m);
                top_raw += top_credit(e2, m, true_top);
                top_eb += top_credit(s2, m, true_top);
                over_raw += e2[tr] - t2[tr];
                over_eb += s2[te] - t2[te];
                rk_raw += spearman(e2, t2, m);
                rk_eb += spearman(s2, t2, m);
                (void)shr;
            }
            int distinct_dim = 0;
            for (size_t j = 1; j < D->k; j++)
                distinct_dim |= D->lift[j] * D->conv[j] != D->lift[0] * D->conv[0];
            double nl = (double)levels, u = used ? (double)used : 1;
            printf("%-9s %7lld  %10.4g %10.4g %6.3f  ", D->name, (long long)totals[ti], se_raw / nl,
                   se_eb / nl, se_eb / se_raw);
            if (distinct_dim)
                printf("%5.3f %5.3f  %4.0f%% %4.0f%%  ", rk_raw / u, rk_eb / u, 100 * top_raw / u,
                       100 * top_eb / u);
            else
                printf("%5s %5s  %5s %5s  ", "-", "-", "-", "-");
            printf("%8.1f %8.1f  %4.1f%% %4.1f%%  %5.1f%%\n", over_raw / u, over_eb / u,
                   100.0 * (double)cov_raw / nl, 100.0 * (double)cov_eb / nl,
                   100.0 * (double)levels / (double)total_levels);
        }
    printf("\n");
}

int main(int argc, char **argv)
{
    double scale = 1.0;
    unsigned long seed = 20261205;
    long long k_min = LIFT_MIN_CONVERTERS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc)
            scale = atof(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--min-converters") == 0 && i + 1 < argc)
            k_min = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--sdlog") == 0 && i + 1 < argc)
            SDLOG = atof(argv[++i]);
        else {
            fprintf(stderr,
                    "usage: calibrate [--scale F (replicates x F, in (0, 100])] [--seed N] "
                    "[--min-converters K (1..1000, default %d)] [--sdlog S (0..3, default 1)]\n",
                    LIFT_MIN_CONVERTERS);
            return 2;
        }
    }
    if (!(scale > 0 && scale <= 100)) {
        fprintf(stderr, "calibrate: --scale %g out of range (0, 100]\n", scale);
        return 2;
    }
    if (!(SDLOG > 0 && SDLOG <= 3)) {
        fprintf(stderr, "calibrate: --sdlog %g out of range (0, 3]\n", SDLOG);
        return 2;
    }
    if (k_min < 1 || k_min > 1000) {
        fprintf(stderr, "calibrate: --min-converters %lld out of range 1..1000\n", k_min);
        return 2;
    }
    lift_stats_init();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return 1;
    gsl_rng_set(rng, seed);
    printf("calibrate: seed %lu, replicates x %g, minimum converters %lld\n\n", seed, scale, k_min);
    revenue_table(rng, scale, (int64_t)k_min);
    shrink_table(rng, scale);
    cuped_table(rng, scale);
    peeking_table(rng, scale);
    gsl_rng_free(rng);
    return 0;
}
