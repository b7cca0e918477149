/* Lift statistics engine: the public API of stats/, pure functions over mergeable
 * per-arm summaries (no I/O, no ZeroMQ, no protobuf, no SQLite; GSL + libm only).
 * Formulas and their sources: STATS.md; reference values: tests/stats_reference.{R,py}. */
#ifndef LIFT_STATS_H
#define LIFT_STATS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- conventions
 * Every estimator returns a struct that starts with `status` and `reason`.
 *  - status LIFT_STAT_OK: every numeric field is finite and meaningful.
 *  - status LIFT_STAT_NOT_ESTIMABLE: `reason` says why (a static string, never NULL,
 *    never to be freed); every numeric field is 0 except p-values, which are 1, so a
 *    careless reader never sees a "significant" result.
 * No NaN or Inf ever leaves the library and nothing aborts: a numerical failure inside
 * GSL becomes NOT_ESTIMABLE "numerical failure". `alpha` is the two-sided error rate
 * (0.05 → 95% interval) and must be in (0, 1). All functions are thread-safe (no state)
 * once lift_stats_init() has run. */

typedef enum {
    LIFT_STAT_OK = 0,            /* estimate computed */
    LIFT_STAT_NOT_ESTIMABLE = 1, /* not computable from these data; see reason */
} lift_stat_status_t;

/* Calls gsl_set_error_handler_off() so that GSL reports errors by return value instead
 * of aborting. Call once at program start-up, before any other thread uses the library. */
void lift_stats_init(void);

/* "ok" or "not estimable"; never NULL. */
const char *lift_stat_status_str(lift_stat_status_t status);

/* ---------------------------------------------------------------- summaries
 * Sufficient statistics of one arm (or arm × segment) for an outcome y and a companion
 * variable x (pre-period revenue for CUPED, the denominator of a ratio metric, an
 * impression indicator for CACE, the pre answer for NPS pre/post; 0 when unused).
 * Stored as Welford/Chan running means and co-moments, which do not lose digits on
 * revenue-sized numbers the way Σy² − (Σy)²/n does in double. Zero-initialise
 * (or lift_summary_init) for an empty summary; merge with lift_summary_merge. */
typedef struct {
    int64_t n;     /* customers folded in */
    double mean_y; /* running mean of y */
    double mean_x; /* running mean of x */
    double m2_y;   /* Σ(y − ȳ)² */
    double m2_x;   /* Σ(x − x̄)² */
    double c_xy;   /* Σ(x − x̄)(y − ȳ) */
    double m3_y;   /* Σ(y − ȳ)³: the third central moment × n, for skewness corrections */
} lift_summary_t;

/* Empties *s. */
static inline void lift_summary_init(lift_summary_t *s)
{
    s->n = 0;
    s->mean_y = s->mean_x = s->m2_y = s->m2_x = s->c_xy = s->m3_y = 0.0;
}

/* Folds one customer with outcome y and companion x into *s (Welford update). Inline
 * because the report calls it once per customer; y and x must be finite (the caller
 * validates input). Not thread-safe on the same summary. */
static inline void lift_summary_add_xy(lift_summary_t *s, double y, double x)
{
    double n = (double)(++s->n);
    double inv = 1.0 / n;
    double dy = y - s->mean_y;
    double dx = x - s->mean_x;
    double dyn = dy * inv;
    s->mean_y += dyn;
    s->mean_x += dx * inv;
    double dy_new = y - s->mean_y;
    /* Third moment before the second (it uses the old M2): Pébay 2008, eq. 2.1 */
    s->m3_y += dy * dyn * dyn * (n - 1.0) * (n - 2.0) - 3.0 * dyn * s->m2_y;
    s->m2_y += dy * dy_new;
    s->m2_x += dx * (x - s->mean_x);
    s->c_xy += dx * dy_new;
}

/* Folds one customer with outcome y and no companion (x = 0). */
static inline void lift_summary_add(lift_summary_t *s, double y)
{
    lift_summary_add_xy(s, y, 0.0);
}

/* Adds the customers of *other into *into (Chan et al. parallel merge); *other may be
 * empty, and may equal into (the summary then counts every customer twice). */
void lift_summary_merge(lift_summary_t *into, const lift_summary_t *other);

/* Builds a summary from raw sums (n, Σy, Σy², Σx, Σx², Σxy), e.g. from SQL aggregates.
 * Computed in long double, but only as precise as the sums given. Returns 0, or -1 (and
 * an empty *out) when n < 0, a sum is not finite, or a sum of squares is inconsistent.
 * Without Σy³ the third moment is unknown and m3_y is set to 0 (symmetric): use
 * lift_summary_from_sums3 when the summary feeds lift_revenue_diff. */
int lift_summary_from_sums(lift_summary_t *out, int64_t n, double sum_y, double sum_yy,
                           double sum_x, double sum_xx, double sum_xy);

/* As lift_summary_from_sums, with Σy³ for m3_y. */
int lift_summary_from_sums3(lift_summary_t *out, int64_t n, double sum_y, double sum_yy,
                            double sum_yyy, double sum_x, double sum_xx, double sum_xy);

/* Accessors: 0 for an empty summary (variances: 0 when n < 2; variances use n − 1). */
double lift_summary_sum_y(const lift_summary_t *s);  /* Σy */
double lift_summary_var_y(const lift_summary_t *s);  /* sample variance of y */
double lift_summary_var_x(const lift_summary_t *s);  /* sample variance of x */
double lift_summary_cov_xy(const lift_summary_t *s); /* sample covariance of x, y */
/* Unbiased third cumulant k3 = n·Σ(y − ȳ)³/((n − 1)(n − 2)) (0 when n < 3). */
double lift_summary_k3_y(const lift_summary_t *s);

/* ---------------------------------------------------------------- estimates */

/* One estimate with its interval. df is the Welch–Satterthwaite degrees of freedom when
 * the interval uses Student's t, and 0 when it uses the normal quantile. */
typedef struct {
    lift_stat_status_t status; /* LIFT_STAT_OK or NOT_ESTIMABLE */
    const char *reason;        /* why not estimable; "" when OK; static, never NULL */
    double estimate;           /* point estimate */
    double se;                 /* standard error of the estimate */
    double ci_low;             /* lower bound of the (1 − alpha) interval */
    double ci_high;            /* upper bound of the (1 − alpha) interval */
    double p_value;            /* two-sided p-value for "true value = 0" */
    double df;                 /* t degrees of freedom; 0 = normal quantile */
} lift_estimate_t;

/* 1. Difference in means ȳ_T − ȳ_C with the Welch CI and p-value (R t.test,
 * var.equal = FALSE). Not estimable when an arm has < 2 customers or both arms have
 * zero variance. */
lift_estimate_t lift_diff_means(const lift_summary_t *t, const lift_summary_t *c, double alpha);

/* 2. Relative lift (ȳ_T − ȳ_C)/|ȳ_C| with the delta-method variance of STATS.md and the
 * Welch t quantile. Not estimable when the holdout mean is 0 or the difference is not. */
lift_estimate_t lift_rel_lift(const lift_summary_t *t, const lift_summary_t *c, double alpha);

/* 3. Incremental revenue: per-customer difference scaled to totals. */
typedef struct {
    lift_stat_status_t status;    /* status of the underlying difference */
    const char *reason;           /* why not estimable; "" when OK */
    lift_estimate_t per_customer; /* Welch difference in means */
    lift_estimate_t total;        /* Δ × n_T: revenue the treatment added (same p, df) */
    lift_estimate_t holdout_cost; /* Δ × n_C: revenue forgone by holding out (same p, df) */
    lift_estimate_t net;          /* total − cost_per_attempt × attempts (cost is known) */
    double attempt_cost;          /* cost_per_attempt × attempts */
} lift_incremental_t;

/* Incremental revenue total, holdout cost and net of attempt costs. cost_per_attempt
 * and attempts must be finite and ≥ 0 (attempts = impressions or outreach in the
 * treatment arm). */
lift_incremental_t lift_incremental(const lift_summary_t *t, const lift_summary_t *c, double alpha,
                                    double cost_per_attempt, double attempts);

/* 4. Proportions. */
typedef struct {
    lift_stat_status_t status; /* OK, or NOT_ESTIMABLE when n = 0 or x > n */
    const char *reason;        /* why not estimable; "" when OK */
    double p;                  /* x / n */
    double ci_low;             /* Wilson score lower bound (no continuity correction) */
    double ci_high;            /* Wilson score upper bound */
} lift_proportion_t;

/* Wilson score interval for x successes out of n (R prop.test(x, n, correct = FALSE)). */
lift_proportion_t lift_wilson(int64_t x, int64_t n, double alpha);

/* Difference of proportions x_t/n_t − x_c/n_c with the Newcombe hybrid score interval
 * (statsmodels confint_proportions_2indep(method="newcomb")). p_value is the pooled
 * two-proportion z test (= R prop.test(correct = FALSE) χ² test); it is 1 when both arms
 * are all-converted or none-converted. se is the unpooled Wald SE (informational, and
 * what lift_sequential needs). Not estimable when an arm is empty. */
lift_estimate_t lift_prop_diff(int64_t x_t, int64_t n_t, int64_t x_c, int64_t n_c, double alpha);

/* 5. Ratio metric R = ΣM/ΣD with the customer as unit (Deng et al. 2018): fold each
 * customer with lift_summary_add_xy(s, M, D) (y = numerator, x = denominator). Normal
 * quantile; p_value tests R = 0. Not estimable when n < 2 or ΣD = 0. */
lift_estimate_t lift_ratio(const lift_summary_t *s, double alpha);

/* Difference of two arms' ratios R_T − R_C; variances add; normal quantile. */
lift_estimate_t lift_ratio_diff(const lift_summary_t *t, const lift_summary_t *c, double alpha);

/* 6. NPS. */
typedef struct {
    int64_t promoters;  /* answers 9–10 */
    int64_t passives;   /* answers 7–8 */
    int64_t detractors; /* answers 0–6 */
} lift_nps_counts_t;

/* The per-answer NPS score: +100 (9–10), 0 (7–8), −100 (0–6); 0 for an invalid answer. */
static inline double lift_nps_score(int answer)
{
    return answer >= 9 && answer <= 10 ? 100.0 : (answer >= 0 && answer <= 6 ? -100.0 : 0.0);
}

/* Counts one answer 0–10 into *c. Returns 0, or -1 (nothing counted) when out of range. */
int lift_nps_add(lift_nps_counts_t *c, int answer);

/* NPS = 100(p − d) with the multinomial variance 100²(p + d − (p − d)²)/n; normal quantile;
 * p_value tests NPS = 0. Not estimable when n < 2 or every answer is in one category. */
lift_estimate_t lift_nps(const lift_nps_counts_t *c, double alpha);

/* Difference NPS_T − NPS_C of two independent groups; variances add. Not estimable when
 * a group has n < 2 or both have zero variance. */
lift_estimate_t lift_nps_diff(const lift_nps_counts_t *t, const lift_nps_counts_t *c, double alpha);

/* Pre/post NPS change in one arm, paired by customer: fold each customer that answered
 * both with lift_summary_add_xy(s, lift_nps_score(first_after), lift_nps_score(last_before)).
 * Estimate = mean(post − pre), variance of the paired differences (n − 1) / n, normal
 * quantile. Not estimable when n < 2 or every customer's change is the same. */
lift_estimate_t lift_nps_prepost(const lift_summary_t *paired, double alpha);

/* 7. Sample-ratio mismatch. */
typedef struct {
    lift_stat_status_t status; /* NOT_ESTIMABLE when skipped (an arm < 8) or bad weights */
    const char *reason;        /* why skipped; "" when OK */
    double chi2;               /* Σ(o − e)²/e */
    double df;                 /* arms − 1 */
    double p_value;            /* gsl_cdf_chisq_Q(chi2, df) */
    int mismatch;              /* 1 when p_value < 0.001 (LIFT_SRM_P_THRESHOLD) */
} lift_srm_t;

#define LIFT_SRM_P_THRESHOLD 0.001 /* flag level used by GrowthBook and Eppo */
#define LIFT_SRM_MIN_PER_ARM 8     /* below this many customers in an arm the test is skipped */

/* χ² goodness of fit of observed[k] customers per arm against weights[k] (> 0, normalised
 * by their sum). Same as R chisq.test(observed, p = weights) and scipy.stats.chisquare. */
lift_srm_t lift_srm(const int64_t *observed, const double *weights, size_t k);

/* 8. CUPED. */
typedef struct {
    lift_stat_status_t status; /* NOT_ESTIMABLE e.g. when there is no pre-period variation */
    const char *reason;        /* why not estimable; "" when OK */
    double theta;              /* cov(Y, X)/var(X) over both arms merged */
    double variance_reduction; /* 1 − Var(adjusted Δ)/Var(unadjusted Δ); may be < 0 */
    double mean_t;             /* adjusted treatment mean ȳ_T − θ(x̄_T − x̄) */
    double mean_c;             /* adjusted holdout mean ȳ_C − θ(x̄_C − x̄) */
    lift_estimate_t diff;      /* adjusted difference, Welch on adjusted variances */
    lift_estimate_t lift;      /* adjusted relative lift, delta method on adjusted moments */
} lift_cuped_t;

/* CUPED (Deng et al. 2013) with y = outcome, x = pre-exposure covariate in both summaries.
 * θ is estimated on the two arms merged (the OLS slope of Y on X ignoring arm); adjusted
 * means are centred on the pooled x̄ so the lift keeps its revenue scale. θ is treated as
 * known, as in the paper. */
lift_cuped_t lift_cuped(const lift_summary_t *t, const lift_summary_t *c, double alpha);

/* 9. Always-valid (sequential) interval, GrowthBook form (STATS.md). */
#define LIFT_SEQ_DEFAULT_N_STAR 5000.0 /* tuning: expected total sample size */

/* Half-width of the always-valid interval for an estimate with standard error se at
 * total sample n_total (both arms), level alpha, tuning n_star (≤ 0 → default). Returns
 * -1 when an argument is out of range (se < 0, n_total < 1, alpha outside (0, 1)). */
double lift_seq_halfwidth(double se, double n_total, double alpha, double n_star);

/* Wraps an estimate with standard error se into an always-valid interval. The p-value is
 * the smallest alpha at which that interval excludes 0, found by root-finding on
 * a = −2 ln alpha (the half-width decreases monotonically in alpha; tested); it is 1
 * when even the limit alpha → 1 does not exclude 0. df is 0. */
lift_estimate_t lift_sequential(double estimate, double se, double n_total, double alpha,
                                double n_star);

/* Always-valid version of lift_diff_means (Welch SE, N = n_T + n_C). */
lift_estimate_t lift_seq_diff_means(const lift_summary_t *t, const lift_summary_t *c, double alpha,
                                    double n_star);

/* 10. Benjamini–Hochberg. */
typedef struct {
    lift_stat_status_t status; /* NOT_ESTIMABLE on a p outside [0, 1] or out of memory */
    const char *reason;        /* why not estimable; "" when OK */
} lift_result_t;

/* Writes the BH-adjusted p-values of p[m] into p_adj[m] (same order; p_adj may equal p),
 * as R p.adjust(p, "BH"). Allocates a temporary index (freed before return). On failure
 * p_adj is filled with 1. m = 0 is OK and writes nothing. */
lift_result_t lift_bh_adjust(const double *p, size_t m, double *p_adj);

/* Holm step-down adjustment (family-wise error), as R p.adjust(p, "holm"): over the sorted
 * p-values, p_adj(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j)), written back in the caller's
 * order (p_adj may equal p). Same failure and m = 0 behaviour as lift_bh_adjust. */
lift_result_t lift_holm_adjust(const double *p, size_t m, double *p_adj);

/* 11. Power and minimum detectable effect, two-sided test, normal approximation:
 * n_total = (z_{1−α/2} + z_power)² σ² (1/w + 1/(1 − w)) / δ², w = treatment share. */
typedef struct {
    lift_stat_status_t status; /* NOT_ESTIMABLE on arguments out of range */
    const char *reason;        /* which argument and its bound; "" when OK */
    double n_total;            /* customers needed in both arms (real, not rounded) */
    int64_t n_treatment;       /* ceil(w · n_total) */
    int64_t n_holdout;         /* ceil((1 − w) · n_total) */
    double effect;             /* absolute effect δ (given or detectable) */
    double weeks;              /* ceil((n_treatment + n_holdout)/weekly); 0 if no traffic given */
} lift_power_t;

/* Sample size for absolute effect delta > 0 with per-customer variance sigma2 > 0,
 * treatment share w in (0, 1), power in (0, 1), weekly customers ≥ 0 (0 = no weeks). */
lift_power_t lift_power_n(double sigma2, double delta, double w, double alpha, double power,
                          double weekly);

/* Minimum detectable absolute effect for n_total customers (> 1). n_total, n_treatment,
 * n_holdout echo the sample; weeks as in lift_power_n. */
lift_power_t lift_mde(double sigma2, double n_total, double w, double alpha, double power,
                      double weekly);

/* Conversion rate: σ² = p(1 − p), δ = mde_rel · p. holdout = 1 − w. */
lift_power_t lift_power_rate(double baseline_rate, double mde_rel, double holdout, double alpha,
                             double power, double weekly);

/* Revenue per customer: σ² = sd², δ = mde_rel · mean (mean > 0, sd > 0). */
lift_power_t lift_power_revenue(double mean, double sd, double mde_rel, double holdout,
                                double alpha, double power, double weekly);

/* Achieved power of the two-sided z test (both tails, as statsmodels NormalIndPower) for
 * absolute effect delta at n_total customers; -1 on arguments out of range. */
double lift_power_at(double sigma2, double delta, double n_total, double w, double alpha);

/* 12. Revenue capping (winsorization). */
typedef struct {
    lift_stat_status_t status; /* NOT_ESTIMABLE when n = 0, q outside [0,1], NaN/Inf input */
    const char *reason;        /* why not estimable; "" when OK */
    double cap;                /* the q-quantile of the values, R quantile type 7 */
} lift_cap_t;

/* The q-quantile (q in [0, 1], e.g. 0.99) of values[n] by R's default definition
 * (type 7: h = (n − 1)q, x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]) over the sorted values).
 * values is not modified; a temporary copy is allocated and freed (O(n) selection). */
lift_cap_t lift_cap(const double *values, size_t n, double q);

/* Caps v at cap: the value to fold instead of v. */
static inline double lift_winsorize(double v, double cap)
{
    return v > cap ? cap : v;
}

/* 13. Kaplan–Meier survival (time from upgrade to churn, right-censored). */
typedef struct {
    lift_stat_status_t status; /* NOT_ESTIMABLE past the last follow-up or when S = 0 */
    const char *reason;        /* why not estimable; "" when OK */
    double horizon;            /* time asked for (days) */
    double survival;           /* KM estimate S(horizon) */
    double std_err;            /* Greenwood SE of S (as R summary.survfit std.err) */
    double ci_low;             /* lower bound, log transform (R survfit conf.type = "log") */
    double ci_high;            /* upper bound, log transform, capped at 1 */
    int64_t n_risk;            /* still at risk at the horizon (time ≥ horizon), as R */
    int64_t n_events;          /* events at times ≤ horizon */
} lift_km_point_t;

/* Kaplan–Meier estimate of time[n] (days, finite, ≥ 0) with event[n] (1 churned,
 * 0 censored), evaluated at horizons[h] (e.g. 30, 60, 90) into out[h]. Interval:
 * exp(log S ± z·√Σ d/(r(r−d))), the default of R survfit. Returns OK, or NOT_ESTIMABLE
 * (every out[i] then not estimable) when n = 0, an input is invalid, or out of memory.
 * Points past the largest observed time are NOT_ESTIMABLE (R summary omits them). */
lift_result_t lift_km(const double *time, const int *event, size_t n, const double *horizons,
                      size_t h, double alpha, lift_km_point_t *out);

/* 14. Complier average causal effect (Wald / IV estimator). */
#define LIFT_CACE_MIN_COMPLIANCE 0.01 /* impression-rate difference below this: not estimable */

typedef struct {
    lift_stat_status_t status;  /* NOT_ESTIMABLE when compliance is too low to identify it */
    const char *reason;         /* why not estimable; "" when OK */
    lift_estimate_t itt;        /* intent-to-treat difference (Welch) */
    lift_estimate_t compliance; /* impression-rate difference π_T − π_C (normal) */
    lift_estimate_t cace;       /* ITT / compliance, delta method with the ITT–π covariance */
} lift_cace_t;

/* Fold each customer with lift_summary_add_xy(s, revenue, saw_offer ? 1 : 0). The CACE
 * is Δ/π with Var = [Var(Δ) − 2·CACE·Cov(Δ, π) + CACE²·Var(π)]/π², normal quantile.
 * Not estimable when π < LIFT_CACE_MIN_COMPLIANCE or π's (1 − alpha) CI includes 0. */
lift_cace_t lift_cace(const lift_summary_t *t, const lift_summary_t *c, double alpha);

/* 15. Segments: heterogeneity across the levels of one dimension, and shrinkage.
 * Input: k per-level estimates est[i] (e.g. the revenue difference of one arm in each
 * level of "trigger") with standard errors se[i]. A level with se ≤ 0, a non-finite se or
 * a non-finite estimate is skipped (and counted out of k_used). */

/* Heterogeneity: does the effect differ across levels? With w_i = 1/se_i² and the
 * fixed-effect mean μ = Σw·est/Σw (R metafor::rma(method = "DL") computes the same):
 *   Q = Σ w_i (est_i − μ)², df = k_used − 1, p = P(χ²_df > Q),
 *   I² = max(0, (Q − df)/Q) (share of the variation beyond chance, in [0, 1]; 0 when Q = 0),
 *   τ² = max(0, (Q − df)/(Σw − Σw²/Σw)) (DerSimonian–Laird between-level variance).
 * NOT_ESTIMABLE (p = 1, numbers 0, k_used still set) when k_used < 2. */
typedef struct {
    lift_stat_status_t status; /* NOT_ESTIMABLE when fewer than 2 usable levels */
    const char *reason;        /* why not estimable; "" when OK */
    double q;                  /* Cochran's Q */
    double df;                 /* k_used − 1 */
    double p_value;            /* P(χ²_df > Q): small = the levels' effects differ */
    double i2;                 /* I², in [0, 1] */
    double tau2;               /* DerSimonian–Laird τ² (squared units of est) */
    size_t k_used;             /* levels that entered the test */
    double mean;               /* fixed-effect (precision-weighted) mean μ */
} lift_heterogeneity_t;

lift_heterogeneity_t lift_heterogeneity(const double *est, const double *se, size_t k);

/* Empirical-Bayes (normal–normal) shrunken per-level estimates. With the DL τ² above,
 * w*_i = 1/(se_i² + τ²), the random-effects grand mean μ* = Σw*·est/Σw* and
 * B_i = se_i²/(se_i² + τ²):
 *   shrunken_i = μ* + (1 − B_i)(est_i − μ*)   (R metafor blup(rma(method = "DL"))$pred),
 *   Var_i = (1 − B_i)·se_i² + B_i²/Σw* + 2/max(k_used − 3, 1)·B_i²·(est_i − μ*)²
 * (posterior variance, the uncertainty of μ*, and Morris's 1983 term for the estimated B_i,
 * without which levels far from the mean under-cover when τ² comes out small),
 * out[i] = {shrunken_i, √Var_i, shrunken ± z_{1−α/2}·√Var_i, p for "true value = 0", df 0}.
 * τ² = 0 pulls every level to μ* (the data show no heterogeneity). Skipped levels get
 * NOT_ESTIMABLE. The whole call is NOT_ESTIMABLE (every out[i] too) when fewer than 3
 * levels are usable (with 2, τ² rests on one degree of freedom), on a NULL pointer or bad
 * alpha. Coverage and mean squared error against known per-level truth: `make calibrate`. */
#define LIFT_EB_MIN_LEVELS 3

lift_result_t lift_eb_shrink(const double *est, const double *se, size_t k, double alpha,
                             lift_estimate_t *out);

/* 16. The revenue difference the report prints for every arm and segment: calibrated or
 * silent. Treatment − holdout revenue per exposed customer; conv_t, conv_c = customers with
 * revenue > 0 in each arm (0 ≤ conv ≤ n; everyone else is taken to have 0).
 * NOT_ESTIMABLE "too few converters" when the smaller arm's customers times the pooled
 * conversion rate (conv_t + conv_c)/(n_T + n_C) is below LIFT_MIN_CONVERTERS, or an arm has
 * no converter. (A rule on each arm's own count would pick, near the threshold, segments
 * whose holdout happened to convert more, and bias them; the pooled count does not.)
 * Method (chosen by `make calibrate`, README "Revenue intervals"): revenue = converted ×
 * amount. Each arm keeps its conversion rate p; the amount's moments A1, A2, A3 are pooled
 * over both arms' converters. Per arm Var = p·A2 − p²A1² (× n/(n − 1)) and third central
 * moment μ3 = p·A3 − 3p²A1A2 + 2p³A1³; SE² = Var_T/n_T + Var_C/n_C with the Welch–
 * Satterthwaite df; skewness of Δ γ = (μ3_T/n_T² − μ3_C/n_C²)/SE³ and c = Cov(Δ, SE²)/SE³
 * with Cov = Σ± A1(A2 − 2pA1²)p(1 − p)/n². The interval inverts the monotone (Hall 1992)
 * form of the one-term Edgeworth correction, g(T) = T + aT² + a²T³/3 + k, a = (3c − γ)/6,
 * k = c/2 − a:  [Δ − SE·g⁻¹(q), Δ − SE·g⁻¹(−q)]; p = the level at which it just excludes 0.
 * q is the Student t quantile on that df (n_star == 0, fixed horizon) or the always-valid
 * multiplier lift_seq_halfwidth/SE at N = n_T + n_C (n_star > 0, as lift_seq_diff_means;
 * df then 0). estimate is the plain difference of means, se the model SE above; the
 * interval is not symmetric around the estimate. Needs m3_y (lift_summary_add_xy, merge,
 * lift_summary_from_sums3). */
#define LIFT_MIN_CONVERTERS 10

lift_estimate_t lift_revenue_diff(const lift_summary_t *t, const lift_summary_t *c, int64_t conv_t,
                                  int64_t conv_c, double alpha, double n_star);

/* The CUPED-adjusted revenue difference with the same model, minimum and interval: t and c
 * fold each customer as lift_summary_add_xy(s, revenue, pre-period revenue) — the raw
 * revenue, NOT the adjusted one: the model needs non-payers at 0. Estimate = lift_cuped's
 * adjusted difference Δ − θ(x̄_T − x̄_C), θ the OLS slope over both arms merged; per arm
 * Var = p·A2 − p²A1² + θ²·Var X − 2θ·Cov(X, Y), Var X and Cov(X, Y) pooled within arms;
 * skewness and c as lift_revenue_diff (the covariate's own skewness left out). NOT_ESTIMABLE
 * as lift_revenue_diff, and "no pre-period data" when X has zero variance (then report
 * lift_revenue_diff). Calibrated in `make calibrate` (its third table). */
lift_estimate_t lift_revenue_diff_cuped(const lift_summary_t *t, const lift_summary_t *c,
                                        int64_t conv_t, int64_t conv_c, double alpha,
                                        double n_star);

#ifdef __cplusplus
}
#endif

#endif /* LIFT_STATS_H */
