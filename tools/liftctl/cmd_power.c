/* liftctl power: sizes an experiment before it runs — customers needed in the holdout and
 * the treatment for a relative effect on a conversion rate or on revenue per customer, and
 * the weeks that takes at a weekly traffic. Pure computation (stats/power.c); no server. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lift/stats.h"
#include "cmd.h"
#include "out.h"

#define CMD "power"
#define MAX_CUSTOMERS INT64_C(1000000000000) /* 1e12: beyond any real weekly traffic */

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: liftctl power --baseline-rate P --mde M --holdout H [options]\n"
        "       liftctl power --revenue-mean MEAN --revenue-sd SD --mde M --holdout H [options]\n"
        "\n"
        "Customers needed per arm (holdout and treatment) and in total to detect a relative\n"
        "effect M with a two-sided test, and the weeks needed at a weekly traffic.\n"
        "n_total = (z_{1-alpha/2} + z_power)^2 * var * (1/w + 1/(1-w)) / effect^2,\n"
        "w = 1 - H the treatment share, var = P(1-P) for a rate or SD^2 for revenue.\n"
        "\n"
        "  --baseline-rate P     holdout conversion rate, in [1e-9, 1 - 1e-9]\n"
        "  --revenue-mean MEAN   holdout revenue per customer, in [1e-9, 1e15] (instead of a\n"
        "                        rate)\n"
        "  --revenue-sd SD       its standard deviation per customer, in [1e-9, 1e15]\n"
        "  --mde M               relative effect to detect, in [1e-9, 1e9] (0.10 = +10%% of\n"
        "                        baseline; for a rate at most (1 - P) / P)\n"
        "  --customers N         instead of --mde: the effect detectable with N customers,\n"
        "                        2..1e12\n"
        "  --holdout H           share of customers held out, in [1e-6, 1 - 1e-6]\n"
        "  --alpha A             two-sided significance level, in (0, 1); default 0.05\n"
        "  --power B             power, in (0, 1); default 0.8\n"
        "  --weekly-customers N  eligible customers per week (both arms), 1..1e12\n"
        "  --json                machine-readable output\n"
        "  --help                this text\n"
        "\n"
        "Exit status: 0 ok, 2 bad usage (the message names the flag, the value and the bound).\n");
}

/* 1234567 -> "1,234,567" into buf (len ≥ 32). */
static void fmt_count(int64_t v, char *buf, size_t len)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%" PRId64, v < 0 ? -v : v);
    size_t o = 0;
    if (v < 0 && o + 1 < len)
        buf[o++] = '-';
    for (int i = 0; i < n && o + 1 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 1 < len)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

typedef struct {
    double rate;       /* --baseline-rate, 0 when not given */
    double mean;       /* --revenue-mean, 0 when not given */
    double sd;         /* --revenue-sd, 0 when not given */
    double mde;        /* --mde, 0 when not given */
    double holdout;    /* --holdout, 0 when not given */
    double alpha;      /* --alpha */
    double power;      /* --power */
    int64_t customers; /* --customers, 0 when not given */
    int64_t weekly;    /* --weekly-customers, 0 when not given */
    int json;          /* --json */
} power_args_t;

/* Every input has a bound that keeps the sample-size arithmetic (variance, effect squared,
 * 1/w + 1/(1-w)) finite and away from underflow, so that an impossible input is named with its
 * bound instead of surfacing as a numerical failure. A value is a decimal or e-notation number. */
#define RATE_MIN 1e-9    /* --baseline-rate in [RATE_MIN, 1 - RATE_MIN] */
#define SHARE_MIN 1e-6   /* --holdout in [SHARE_MIN, 1 - SHARE_MIN] */
#define REVENUE_MIN 1e-9 /* --revenue-mean, --revenue-sd in [REVENUE_MIN, REVENUE_MAX] */
#define REVENUE_MAX 1e15
#define MDE_MIN 1e-9 /* --mde in [MDE_MIN, MDE_MAX] */
#define MDE_MAX 1e9

/* Matches "--flag VALUE" holding a number in [lo, hi]; returns 1 taken, 0 not this flag, -1
 * error (printed with the flag, the value and the bound). */
static int opt_range(int argc, char **argv, int *i, const char *flag, double lo, double hi,
                     double *out)
{
    const char *v;
    int r = liftctl_flag(argc, argv, i, flag, &v);
    if (r <= 0)
        return r;
    return liftctl_parse_double(flag, v, lo, 0, hi, 0, out) == 0 ? 1 : -1;
}

/* A share in (0, 1) kept min away from both ends (--baseline-rate, --holdout). */
static int opt_share_within(int argc, char **argv, int *i, const char *flag, double min,
                            double *out)
{
    const char *v;
    int r = liftctl_flag(argc, argv, i, flag, &v);
    if (r <= 0)
        return r;
    if (liftctl_parse_double(flag, v, 0, 1, 1, 1, out) != 0)
        return -1;
    if (*out < min || *out > 1 - min) {
        fprintf(stderr, "liftctl: %s: %s is out of range [%.10g, %.10g]\n", flag, v, min, 1 - min);
        return -1;
    }
    return 1;
}

/* A share in the open interval (0, 1) (--alpha, --power). */
static int opt_share(int argc, char **argv, int *i, const char *flag, double *out)
{
    const char *v;
    int r = liftctl_flag(argc, argv, i, flag, &v);
    if (r <= 0)
        return r;
    return liftctl_parse_double(flag, v, 0, 1, 1, 1, out) == 0 ? 1 : -1;
}

static int opt_int(int argc, char **argv, int *i, const char *flag, int64_t lo, int64_t *out)
{
    const char *v;
    int r = liftctl_flag(argc, argv, i, flag, &v);
    if (r <= 0)
        return r;
    return liftctl_parse_int64(flag, v, lo, MAX_CUSTOMERS, out) == 0 ? 1 : -1;
}

/* Parses argv into *a; returns -1 after printing on a bad flag, 1 for --help, 0 ok. */
static int parse_args(const liftctl_opts_t *opts, int argc, char **argv, power_args_t *a)
{
    liftctl_opts_t g = *opts; /* global flags may follow the sub-command */
    for (int i = 1; i < argc; i++) {
        int r;
        if (liftctl_is_help(argv[i]))
            return 1;
        if ((r = opt_share_within(argc, argv, &i, "--baseline-rate", RATE_MIN, &a->rate)) ||
            (r = opt_range(argc, argv, &i, "--revenue-mean", REVENUE_MIN, REVENUE_MAX, &a->mean)) ||
            (r = opt_range(argc, argv, &i, "--revenue-sd", REVENUE_MIN, REVENUE_MAX, &a->sd)) ||
            (r = opt_range(argc, argv, &i, "--mde", MDE_MIN, MDE_MAX, &a->mde)) ||
            (r = opt_share_within(argc, argv, &i, "--holdout", SHARE_MIN, &a->holdout)) ||
            (r = opt_share(argc, argv, &i, "--alpha", &a->alpha)) ||
            (r = opt_share(argc, argv, &i, "--power", &a->power)) ||
            (r = opt_int(argc, argv, &i, "--customers", 2, &a->customers)) ||
            (r = opt_int(argc, argv, &i, "--weekly-customers", 1, &a->weekly)) ||
            (r = liftctl_global_flag(&g, argc, argv, &i))) {
            if (r < 0)
                return -1;
            continue;
        }
        fprintf(stderr, "liftctl: power: unknown argument '%s'\n", argv[i]);
        return -1;
    }
    a->json = a->json || g.json;
    int revenue = a->mean > 0 || a->sd > 0;
    if (a->rate > 0 && revenue) {
        fprintf(stderr, "liftctl: power: give --baseline-rate or --revenue-mean/--revenue-sd, "
                        "not both\n");
        return -1;
    }
    if (!(a->rate > 0) && !revenue) {
        fprintf(stderr, "liftctl: power: missing --baseline-rate (or --revenue-mean and "
                        "--revenue-sd)\n");
        return -1;
    }
    if (revenue && !(a->mean > 0)) {
        fprintf(stderr, "liftctl: power: --revenue-sd needs --revenue-mean (> 0)\n");
        return -1;
    }
    if (revenue && !(a->sd > 0)) {
        fprintf(stderr, "liftctl: power: --revenue-mean needs --revenue-sd (> 0)\n");
        return -1;
    }
    if ((a->mde > 0) == (a->customers > 0)) {
        fprintf(stderr, "liftctl: power: give exactly one of --mde (effect to detect) and "
                        "--customers (sample to size the effect for)\n");
        return -1;
    }
    if (!(a->holdout > 0)) {
        fprintf(stderr, "liftctl: power: missing --holdout (share held out, in [%.10g, %.10g])\n",
                SHARE_MIN, 1 - SHARE_MIN);
        return -1;
    }
    if (!(a->power > a->alpha / 2)) { /* else z_{1-alpha/2} + z_power <= 0: no sample helps */
        fprintf(stderr,
                "liftctl: --power: %g must be above --alpha / 2 = %g (chance alone gives that "
                "much)\n",
                a->power, a->alpha / 2);
        return -1;
    }
    if (a->rate > 0 && a->mde > 0 && a->rate * (1 + a->mde) > 1) {
        /* a conversion rate above 1 cannot be detected: the effect is out of range */
        fprintf(stderr,
                "liftctl: --mde: %g makes the treatment rate %g * (1 + %g) > 1: at most %.6g "
                "for --baseline-rate %g\n",
                a->mde, a->rate, a->mde, (1 - a->rate) / a->rate, a->rate);
        return -1;
    }
    return 0;
}

static void print_text(const power_args_t *a, const lift_power_t *p, double baseline)
{
    char h[32], t[32], n[32], w[32];
    fmt_count(p->n_holdout, h, sizeof h);
    fmt_count(p->n_treatment, t, sizeof t);
    fmt_count(p->n_holdout + p->n_treatment, n, sizeof n);
    if (a->rate > 0)
        printf("metric:     conversion rate, baseline %.4g%%\n", 100 * a->rate);
    else
        printf("metric:     revenue per customer, mean %.6g, sd %.6g\n", a->mean, a->sd);
    printf("effect:     %s%.4g%% relative (%.6g absolute)\n", a->customers > 0 ? "detectable " : "",
           100 * p->effect / baseline, p->effect);
    printf("test:       two-sided, alpha %.4g, power %.4g, holdout %.4g%%\n", a->alpha, a->power,
           100 * a->holdout);
    printf("customers:  holdout %s, treatment %s, total %s\n", h, t, n);
    if (a->weekly > 0) {
        fmt_count(a->weekly, w, sizeof w);
        printf("duration:   %.0f week%s at %s customers/week\n", p->weeks, p->weeks == 1 ? "" : "s",
               w);
    }
}

static void print_json(const power_args_t *a, const lift_power_t *p, double baseline)
{
    printf("{\"metric\":\"%s\",", a->rate > 0 ? "rate" : "revenue");
    if (a->rate > 0)
        printf("\"baseline_rate\":%.15g,", a->rate);
    else
        printf("\"revenue_mean\":%.15g,\"revenue_sd\":%.15g,", a->mean, a->sd);
    printf("\"mde_relative\":%.15g,\"mde_absolute\":%.15g,\"alpha\":%.15g,\"power\":%.15g,"
           "\"holdout\":%.15g,\"customers_holdout\":%" PRId64 ",\"customers_treatment\":%" PRId64
           ",\"customers_total\":%" PRId64 ",",
           p->effect / baseline, p->effect, a->alpha, a->power, a->holdout, p->n_holdout,
           p->n_treatment, p->n_holdout + p->n_treatment);
    if (a->weekly > 0)
        printf("\"weekly_customers\":%" PRId64 ",\"weeks\":%.0f}\n", a->weekly, p->weeks);
    else
        printf("\"weekly_customers\":null,\"weeks\":null}\n");
}

int cmd_power(const liftctl_opts_t *opts, int argc, char **argv)
{
    power_args_t a = {0};
    a.alpha = 0.05;
    a.power = 0.8;
    int r = parse_args(opts, argc, argv, &a);
    if (r == 1) {
        usage(stdout);
        return LIFTCTL_OK;
    }
    if (r < 0) {
        fprintf(stderr, "(see: liftctl " CMD " --help)\n");
        return LIFTCTL_USAGE;
    }
    lift_stats_init();
    double baseline = a.rate > 0 ? a.rate : a.mean;
    double sigma2 = a.rate > 0 ? a.rate * (1 - a.rate) : a.sd * a.sd;
    lift_power_t p;
    if (a.customers > 0)
        p = lift_mde(sigma2, (double)a.customers, 1 - a.holdout, a.alpha, a.power,
                     (double)a.weekly);
    else if (a.rate > 0)
        p = lift_power_rate(a.rate, a.mde, a.holdout, a.alpha, a.power, (double)a.weekly);
    else
        p = lift_power_revenue(a.mean, a.sd, a.mde, a.holdout, a.alpha, a.power, (double)a.weekly);
    if (p.status != LIFT_STAT_OK) {
        /* arguments were range-checked above, so this is an effect too small to size */
        fprintf(stderr, "liftctl: power: %s%s\n", p.reason, a.mde > 0 ? " (raise --mde)" : "");
        return LIFTCTL_USAGE;
    }
    if (a.json)
        print_json(&a, &p, baseline);
    else
        print_text(&a, &p, baseline);
    return LIFTCTL_OK;
}
