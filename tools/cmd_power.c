/* liftctl power: sizes an experiment before it runs — customers needed in the holdout and
 * the treatment for a relative effect on a conversion rate or on revenue per customer, and
 * the weeks that takes at a weekly traffic. Pure computation (stats/power.c); no server. */
#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lift/stats.h"
#include "liftctl.h"

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
        "  --baseline-rate P     holdout conversion rate, in (0, 1)\n"
        "  --revenue-mean MEAN   holdout revenue per customer, > 0 (instead of a rate)\n"
        "  --revenue-sd SD       its standard deviation per customer, > 0\n"
        "  --mde M               relative effect to detect, > 0 (0.10 = +10%% of baseline)\n"
        "  --customers N         instead of --mde: the effect detectable with N customers\n"
        "  --holdout H           share of customers held out, in (0, 1)\n"
        "  --alpha A             two-sided significance level, in (0, 1); default 0.05\n"
        "  --power B             power, in (0, 1); default 0.8\n"
        "  --weekly-customers N  eligible customers per week (both arms), >= 1\n"
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
    if (v < 0 && o + 1 < len) buf[o++] = '-';
    for (int i = 0; i < n && o + 1 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 1 < len) buf[o++] = ',';
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

/* Matches a "--flag VALUE" option holding a share in (0, 1); returns 1 taken, 0 not this
 * flag, -1 error (printed with the flag, the value and the bound). */
static int opt_share(int argc, char **argv, int *i, const char *flag, double *out)
{
    const char *v;
    int r = liftctl_flag(argc, argv, i, flag, &v);
    if (r <= 0) return r;
    return liftctl_parse_double(flag, v, 0, 1, 1, 1, out) == 0 ? 1 : -1;
}

/* Same for a positive number without upper bound. */
static int opt_positive(int argc, char **argv, int *i, const char *flag, double *out)
{
    const char *v;
    int r = liftctl_flag(argc, argv, i, flag, &v);
    if (r <= 0) return r;
    if (liftctl_parse_double(flag, v, -DBL_MAX, 0, DBL_MAX, 0, out) != 0) return -1;
    if (!(*out > 0)) {
        fprintf(stderr, "liftctl: %s: %s is out of range: must be > 0\n", flag, v);
        return -1;
    }
    return 1;
}

static int opt_int(int argc, char **argv, int *i, const char *flag, int64_t *out)
{
    const char *v;
    int r = liftctl_flag(argc, argv, i, flag, &v);
    if (r <= 0) return r;
    return liftctl_parse_int64(flag, v, 1, MAX_CUSTOMERS, out) == 0 ? 1 : -1;
}

/* Parses argv into *a; returns -1 after printing on a bad flag, 1 for --help, 0 ok. */
static int parse_args(const liftctl_opts_t *opts, int argc, char **argv, power_args_t *a)
{
    liftctl_opts_t g = *opts; /* global flags may follow the sub-command */
    for (int i = 1; i < argc; i++) {
        int r;
        if (liftctl_is_help(argv[i])) return 1;
        if ((r = opt_share(argc, argv, &i, "--baseline-rate", &a->rate)) ||
            (r = opt_positive(argc, argv, &i, "--revenue-mean", &a->mean)) ||
            (r = opt_positive(argc, argv, &i, "--revenue-sd", &a->sd)) ||
            (r = opt_positive(argc, argv, &i, "--mde", &a->mde)) ||
            (r = opt_share(argc, argv, &i, "--holdout", &a->holdout)) ||
            (r = opt_share(argc, argv, &i, "--alpha", &a->alpha)) ||
            (r = opt_share(argc, argv, &i, "--power", &a->power)) ||
            (r = opt_int(argc, argv, &i, "--customers", &a->customers)) ||
            (r = opt_int(argc, argv, &i, "--weekly-customers", &a->weekly)) ||
            (r = liftctl_global_flag(&g, argc, argv, &i))) {
            if (r < 0) return -1;
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
        fprintf(stderr, "liftctl: power: missing --holdout (share held out, in (0, 1))\n");
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
        fprintf(stderr, "liftctl: power: %s\n", p.reason);
        return LIFTCTL_USAGE;
    }
    if (a.json)
        print_json(&a, &p, baseline);
    else
        print_text(&a, &p, baseline);
    return LIFTCTL_OK;
}
