/* liftsim: simulates a SaaS customer base over the past N weeks, drives a real liftd through the
 * client library (assign -> impression -> click -> upgrade, organic upgrades, refunds, churn, NPS)
 * and prints the ground truth it created; with --rate/--duration it is a load generator.
 * It computes no report and no statistics: comparing the truth with liftd's report is the point.
 *
 * Model (numbers from the config, examples/sim.json; every draw from one gsl_rng_mt19937 seeded
 * by --seed, in a fixed order, so a seed gives the same customers, events and event ids):
 *  - Customers s<seed>-<tag>-c<i> have a plan (price in minor units, from a plan mix), a
 *    lifecycle stage (onboarding, growth, maturity, renewal, at_risk) that moves once a week by
 *    per-stage transition probabilities, and a propensity ~ Gamma(k, 1/k) (mean 1) that scales
 *    their upgrade chances. <tag> hashes the config, --customers and --weeks.
 *  - Time runs day by day over history_days before the experiment start (no offers: pre-exposure
 *    revenue and NPS for CUPED) and then --weeks weeks ending now. Events after now are not sent.
 *  - Each day a live customer may churn (churn_weekly/7), upgrade organically (organic_weekly/7
 *    x propensity), answer an NPS survey (nps_weekly/7; mean by stage, shifted if annoyed), and
 *    emit at most one trigger (trigger_rate/7), with a trigger kind and a channel drawn from
 *    their mixes and suppression flags (open ticket, billing dispute).
 *  - A trigger puts the customer in market: with chance q = in_market[stage] x
 *    propensity[trigger] x propensity they upgrade (one plan up, amount = the new plan's price)
 *    a few days later (Exp(organic_delay_days)) whatever any experiment does: the upgrades that
 *    would happen anyway.
 *  - During the experiment period liftd is asked about every trigger (AssignBatch per context
 *    and 6-hour slot; trigger_time_ms = the slot's trigger time, which is the simulated trigger
 *    time of every customer in that batch). Experiments are asked in config order until one has
 *    the customer. A treatment arm sends the offer after the arm's delay; it is delivered
 *    (impression) with the channel's delivery rate and clicked with the channel's CTR. The first
 *    matching effect rule gives e = upgrade_lift: a customer who clicked upgrades with chance
 *    q(1+e) instead of q (the extra part right after the click). Holdout and untreated
 *    customers keep q. An impression may annoy: churn_add (extra churn chance, churn ~Exp(3 d)
 *    later) and nps_shift on later answers.
 *  - A share of upgrades is refunded after_days later. Top-plan customers cannot upgrade.
 *  - Events go out through lift_track in batches of 1,000 with ids sim-<seed>-<tag>-<n>, retried
 *    until acknowledged: a rerun with the same seed and parameters is all duplicates.
 *
 * Ground truth (what the report should find), per experiment and treatment arm vs holdout,
 * summed over the arm's exposed customers (exposed = had an arm in this run; segment = the
 * context of their first exposure), over every offer they got in the period:
 *   incremental revenue = sum over offers of P(delivered) x P(click) x (q(1+e) - q) x amount x
 *                         [upgrade time <= end] x (1 - refund share x [refund time <= end])
 * i.e. the expected conversion-minus-refund revenue the offers added given the simulated history
 * (the same metric as the report's revenue per exposed customer, in minor units). The times are
 * drawn before the outcomes, so this is an exact expectation over the outcome draws. +upgrades
 * is the same without amount and refunds; +churned = sum of P(delivered) x churn_add for
 * impressions within the period. Not included (second order): an offer-driven upgrade or churn
 * changing that customer's later upgrades. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "experiment_json.h"
#include "lift/client.h"
#include "lift/local.h"
#include "lift/currency.h"
#include "lift/lift.h"

#define DAY_MS 86400000LL
#define MINUTE_MS 60000LL
#define N_ENUM 6         /* trigger / stage / channel values 1..5 (0 = unspecified) */
#define MAX_PLANS 8      /* plans in the config */
#define MAX_EXP 8        /* experiments in the config */
#define MAX_ARMS EXPERIMENT_JSON_ARMS_MAX /* arms per experiment (proto bound) */
#define MAX_RULES 64     /* effect rules */
#define MAX_WORKERS 64   /* sender threads */
#define TRACK_BATCH 1000 /* events per Track request */
#define EVID_MAX 48      /* bytes of an event id */
#define SLOTS_PER_DAY 4  /* assignment batches per context and day */
#define TRACK_INFLIGHT 8 /* track batches queued before the simulation waits */
#define NONE_MS INT64_MAX

/* ---- options ------------------------------------------------------------------------------- */

typedef struct {
    const char *endpoint; /* liftd endpoint */
    const char *config;   /* config file */
    const char *truth;    /* --truth FILE or NULL */
    unsigned long seed;   /* --seed */
    int weeks;            /* --weeks */
    long customers;       /* --customers */
    int json;             /* --json */
    int quiet;            /* --quiet */
    int load;             /* load mode (--rate, --clients or --duration given) */
    double rate;          /* --rate: requests/s, 0 = unpaced */
    int clients;          /* --clients: sender threads */
    double duration;      /* --duration: seconds of load */
    int local;            /* --local: decisions in this process (lift/local.h) */
} opts_t;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("liftsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (liftsim --help)\n", stderr);
    return 2;
}

static void usage(FILE *f)
{
    fputs("usage: liftsim [--endpoint E] [--config FILE] [--seed N] [--weeks N] [--customers N]\n"
          "               [--truth FILE] [--json] [--quiet]\n"
          "       liftsim --rate R [--clients K] [--duration S] [...]   (load mode)\n"
          "\n"
          "Simulates a SaaS customer base over the past N weeks against a real liftd (assign,\n"
          "impressions, clicks, upgrades, refunds, churn, NPS) and prints the true incremental\n"
          "revenue it created per experiment, arm and segment, to compare with the report.\n"
          "\n"
          "  --endpoint E    liftd endpoint, or several separated by commas (failover to the\n"
          "                  next on timeout) (env LIFT_ENDPOINT, default " LIFT_DEFAULT_ENDPOINT
          ")\n"
          "  --config FILE   model and experiments (default examples/sim.json)\n"
          "  --seed N        random seed, 0..4294967295 (default 1); same seed = same events\n"
          "  --weeks N       simulated weeks ending now, 1..52 (default 6)\n"
          "  --customers N   customers, 1..5000000 (default 50000)\n"
          "  --truth FILE    also write the ground truth as JSON to FILE\n"
          "  --json          print the ground truth as JSON instead of a table\n"
          "  --quiet         no progress bar and no notes\n"
          "  --local         decide assignments in this process with liftd's definitions\n"
          "                  (local evaluation, lift/local.h); exposures are sent in batches\n"
          "                  and acknowledged before each day's events\n"
          "  --clients K     sender threads, each with its own client, 1..64 (default 4; load 1)\n"
          "Load mode (any of these): Assign + Track traffic, then throughput and latency\n"
          "  --rate R        target requests/s over all clients, 0..1000000 (0 = unpaced)\n"
          "  --duration S    seconds of traffic, (0, 3600] (default 10)\n"
          "  --help          this text\n",
          f);
}

static int parse_long(const char *flag, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return usage_error("%s: '%s' is not an integer (%ld..%ld)", flag, s, lo, hi);
    if (v < lo || v > hi) return usage_error("%s: %ld is out of range (%ld..%ld)", flag, v, lo, hi);
    *out = v;
    return 0;
}

static int parse_double(const char *flag, const char *s, double lo, int lo_open, double hi,
                        double *out)
{
    char bound[64];
    snprintf(bound, sizeof bound, lo_open ? "%g < value <= %g" : "%g..%g", lo, hi);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return usage_error("%s: '%s' is not a number (%s)", flag, s, bound);
    if ((lo_open ? v <= lo : v < lo) || v > hi)
        return usage_error("%s: %g is out of range (%s)", flag, v, bound);
    *out = v;
    return 0;
}

/* Returns 0 to run, 1 after --help, 2 on a bad command line (printed). */
static int parse_args(int argc, char **argv, opts_t *o)
{
    const char *env = getenv("LIFT_ENDPOINT");
    *o = (opts_t){.endpoint = env && *env ? env : LIFT_DEFAULT_ENDPOINT,
                  .config = "examples/sim.json",
                  .seed = 1,
                  .weeks = 6,
                  .customers = 50000,
                  .clients = 0,
                  .duration = 10};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
            continue;
        }
        if (strcmp(a, "--quiet") == 0) {
            o->quiet = 1;
            continue;
        }
        if (strcmp(a, "--local") == 0) {
            o->local = 1;
            continue;
        }
        static const char *const valued[] = {"--endpoint",  "--config", "--seed", "--weeks",
                                             "--customers", "--truth",  "--rate", "--clients",
                                             "--duration",  NULL};
        const char *flag = NULL, *val = NULL;
        char name[32];
        for (const char *const *v = valued; *v && !flag; v++) {
            size_t n = strlen(*v);
            if (strcmp(a, *v) == 0) {
                flag = *v;
                if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
                    return usage_error("%s: missing value", flag);
                val = argv[++i];
            } else if (strncmp(a, *v, n) == 0 && a[n] == '=') {
                flag = *v;
                val = a + n + 1;
            }
        }
        if (!flag) return usage_error("unknown argument '%s'", a);
        snprintf(name, sizeof name, "%s", flag);
        long n = 0;
        if (strcmp(name, "--endpoint") == 0 || strcmp(name, "--config") == 0 ||
            strcmp(name, "--truth") == 0) {
            if (!*val) return usage_error("%s: empty value", name);
            if (name[2] == 'e')
                o->endpoint = val;
            else if (name[2] == 'c')
                o->config = val;
            else
                o->truth = val;
        } else if (strcmp(name, "--seed") == 0) {
            if (parse_long(name, val, 0, 4294967295L, &n)) return 2;
            o->seed = (unsigned long)n;
        } else if (strcmp(name, "--weeks") == 0) {
            if (parse_long(name, val, 1, 52, &n)) return 2;
            o->weeks = (int)n;
        } else if (strcmp(name, "--customers") == 0) {
            if (parse_long(name, val, 1, 5000000, &o->customers)) return 2;
        } else if (strcmp(name, "--clients") == 0) {
            if (parse_long(name, val, 1, MAX_WORKERS, &n)) return 2;
            o->clients = (int)n;
        } else if (strcmp(name, "--rate") == 0) {
            if (parse_double(name, val, 0, 0, 1e6, &o->rate)) return 2;
            o->load = 1;
        } else {
            if (parse_double(name, val, 0, 1, 3600, &o->duration)) return 2;
            o->load = 1;
        }
    }
    if (o->clients == 0) o->clients = o->load ? 1 : 4;
    if (o->local && o->load)
        return usage_error("--local: for the simulation only (load mode measures liftd itself)");
    return 0;
}

/* ---- config -------------------------------------------------------------------------------- */

typedef struct {
    double share;          /* initial stage mix */
    double trigger_rate;   /* triggers per customer-week (at most one a day) */
    double in_market;      /* base chance of an upgrade after a trigger */
    double organic_weekly; /* upgrade hazard outside triggers */
    double churn_weekly;   /* churn hazard */
    double nps_mean;       /* mean NPS answer */
    double next[N_ENUM];   /* weekly chance to move to each stage */
} stage_cfg_t;

typedef struct {
    int exp;                     /* experiment index, -1 = any */
    char arm[65];                /* arm name, "" = any */
    int arm_idx[MAX_EXP];        /* the arm's index in each experiment: -1 any, -2 not there */
    int trigger, stage, channel; /* 0 = any */
    double upgrade_lift;         /* e: relative change of a clicker's upgrade chance */
    double churn_add;            /* extra churn chance after an impression */
    double nps_shift;            /* added to later NPS answers */
} rule_t;

typedef struct {
    char plan_name[MAX_PLANS][33]; /* plan names, cheapest first */
    int64_t plan_price[MAX_PLANS]; /* monthly price, minor units */
    double plan_share[MAX_PLANS];  /* initial plan mix */
    int n_plans;                   /* plans */
    stage_cfg_t stage[N_ENUM];     /* by lift.Stage value */
    double trig_share[N_ENUM];     /* trigger mix */
    double trig_prop[N_ENUM];      /* trigger propensity multiplier */
    double chan_share[N_ENUM];     /* channel mix */
    double chan_delivery[N_ENUM];  /* P(impression | offer sent) */
    double chan_ctr[N_ENUM];       /* P(click | impression) */
    double delay_lo[MAX_EXP][MAX_ARMS], delay_hi[MAX_EXP][MAX_ARMS]; /* offer delay, minutes */
    double refund_share;            /* share of upgrades refunded */
    double refund_lo, refund_hi;    /* refund delay, days */
    double nps_weekly;              /* NPS answers per customer-week */
    double ticket, dispute;         /* suppression flag rates per trigger */
    double prop_shape;              /* gamma shape of the customer propensity */
    double organic_delay_days;      /* mean trigger -> organic upgrade delay */
    int history_days;               /* days simulated before the experiment start */
    rule_t rules[MAX_RULES];        /* effect rules, first match wins */
    int n_rules;                    /* rules */
    Lift__Experiment *exp[MAX_EXP]; /* experiment definitions (heap, free_unpacked) */
    int n_exp;                      /* experiments */
    /* program_holdout (optional): a program holdout linked to every experiment, and the
     * program's long-run dynamics */
    int prog;                       /* configured */
    char prog_key[65];              /* holdout key */
    double prog_percent;            /* held-out share, percent (0, 50] */
    double prog_decay;              /* offer lift multiplied by this per week of the period */
    double prog_pull;               /* share of clickers who would upgrade anyway and upgrade
                                       right after the click instead (pull-forward) */
} config_t;

/* Where a JSON value came from, for messages: "examples/sim.json: stages.growth.ctr". */
typedef struct {
    const char *src; /* file name */
    char path[160];  /* dotted path */
} jw_t;

static int jerr(const jw_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int jerr(const jw_t *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "liftsim: %s: %s%s", w->src, w->path, w->path[0] ? ": " : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

static jw_t jat(const jw_t *w, const char *key, int index)
{
    jw_t c = *w;
    if (index >= 0)
        snprintf(c.path, sizeof c.path, "%.120s[%d]", w->path, index);
    else
        snprintf(c.path, sizeof c.path, "%.120s%s%.30s", w->path, w->path[0] ? "." : "", key);
    return c;
}

/* An object whose keys are all in allowed (NULL-terminated; "_comment" always allowed). */
static int jobject(const jw_t *w, const json_t *v, const char *const *allowed)
{
    if (!json_is_object(v)) return jerr(w, "must be an object");
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x)
    {
        int ok = strcmp(key, "_comment") == 0;
        for (const char *const *a = allowed; a && *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            char list[400];
            size_t off = 0;
            list[0] = 0;
            for (const char *const *a = allowed; a && *a && off < sizeof list; a++)
                off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", off ? ", " : "", *a);
            return jerr(w, "unknown field '%s' (fields: %s)", key, list);
        }
    }
    return 0;
}

/* A number in [lo, hi] under key; absent: error when required, else *out untouched. */
static int jnum(const jw_t *w, const json_t *obj, const char *key, double lo, double hi,
                int required, double *out)
{
    jw_t k = jat(w, key, -1);
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required) return jerr(&k, "required (a number in %g..%g)", lo, hi);
        return 0;
    }
    if (!json_is_number(v)) return jerr(&k, "must be a number in %g..%g", lo, hi);
    double d = json_number_value(v);
    if (!isfinite(d) || d < lo || d > hi) return jerr(&k, "%g is outside %g..%g", d, lo, hi);
    *out = d;
    return 0;
}

/* [lo, hi] pair of numbers within bounds, lo <= hi. */
static int jrange(const jw_t *w, const json_t *obj, const char *key, double lo, double hi,
                  double *a, double *b)
{
    jw_t k = jat(w, key, -1);
    json_t *v = json_object_get(obj, key);
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(json_array_get(v, 0)) ||
        !json_is_number(json_array_get(v, 1)))
        return jerr(&k, "must be [lo, hi], numbers in %g..%g", lo, hi);
    *a = json_number_value(json_array_get(v, 0));
    *b = json_number_value(json_array_get(v, 1));
    if (*a < lo || *b > hi || *a > *b)
        return jerr(&k, "[%g, %g] is not within %g..%g with lo <= hi", *a, *b, lo, hi);
    return 0;
}

static int jenum(const jw_t *w, const json_t *v, int (*parse)(const char *, int *),
                 const char *(*names)(void), int *out)
{
    if (!json_is_string(v) || parse(json_string_value(v), out) != 0)
        return jerr(w, "%s%s%s is not one of %s", json_is_string(v) ? "'" : "",
                    json_is_string(v) ? json_string_value(v) : "value",
                    json_is_string(v) ? "'" : "", names());
    return 0;
}

/* A map from enum names to objects: calls fn(value, object) for each. */
static int jenum_map(const jw_t *w, const json_t *obj, int (*parse)(const char *, int *),
                     const char *(*names)(void),
                     int (*fn)(config_t *, const jw_t *, int, const json_t *), config_t *cfg)
{
    if (!json_is_object(obj)) return jerr(w, "must be an object keyed by %s", names());
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)obj, key, x)
    {
        if (strcmp(key, "_comment") == 0) continue;
        jw_t k = jat(w, key, -1);
        int e;
        if (parse(key, &e) != 0) return jerr(&k, "unknown name (one of %s)", names());
        if (fn(cfg, &k, e, x) != 0) return -1;
    }
    return 0;
}

static int stage_fn(config_t *c, const jw_t *w, int s, const json_t *v)
{
    static const char *const f[] = {"share",        "trigger_rate", "in_market", "organic_weekly",
                                    "churn_weekly", "nps_mean",     "next",      NULL};
    stage_cfg_t *st = &c->stage[s];
    if (jobject(w, v, f) || jnum(w, v, "share", 0, 1, 1, &st->share) ||
        jnum(w, v, "trigger_rate", 0, 7, 1, &st->trigger_rate) ||
        jnum(w, v, "in_market", 0, 1, 1, &st->in_market) ||
        jnum(w, v, "organic_weekly", 0, 1, 1, &st->organic_weekly) ||
        jnum(w, v, "churn_weekly", 0, 1, 1, &st->churn_weekly) ||
        jnum(w, v, "nps_mean", 0, 10, 1, &st->nps_mean))
        return -1;
    json_t *next = json_object_get(v, "next");
    if (next) {
        jw_t nw = jat(w, "next", -1);
        if (!json_is_object(next))
            return jerr(&nw, "must be an object {stage: weekly probability}");
        const char *key;
        json_t *x;
        double sum = 0;
        json_object_foreach(next, key, x)
        {
            jw_t k = jat(&nw, key, -1);
            int to;
            if (lift_stage_parse(key, &to) != 0)
                return jerr(&k, "unknown stage (one of %s)", lift_stage_names());
            if (!json_is_number(x) || json_number_value(x) < 0 || json_number_value(x) > 1)
                return jerr(&k, "must be a probability in 0..1");
            st->next[to] = json_number_value(x);
            sum += st->next[to];
        }
        if (sum > 1 + 1e-9) return jerr(&nw, "probabilities sum to %g, more than 1", sum);
    }
    return 0;
}

static int trigger_fn(config_t *c, const jw_t *w, int t, const json_t *v)
{
    static const char *const f[] = {"share", "propensity", NULL};
    return jobject(w, v, f) || jnum(w, v, "share", 0, 1, 1, &c->trig_share[t]) ||
                   jnum(w, v, "propensity", 0, 100, 1, &c->trig_prop[t])
               ? -1
               : 0;
}

static int channel_fn(config_t *c, const jw_t *w, int ch, const json_t *v)
{
    static const char *const f[] = {"share", "delivery", "ctr", NULL};
    return jobject(w, v, f) || jnum(w, v, "share", 0, 1, 1, &c->chan_share[ch]) ||
                   jnum(w, v, "delivery", 0, 1, 1, &c->chan_delivery[ch]) ||
                   jnum(w, v, "ctr", 0, 1, 1, &c->chan_ctr[ch])
               ? -1
               : 0;
}

static int mix_check(const jw_t *w, const char *what, const double *share, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += share[i];
    if (fabs(s - 1) > 1e-6) return jerr(w, "%s shares sum to %g, must sum to 1", what, s);
    return 0;
}

/* One config experiment (the shape of examples/experiment.json, "_comment" keys allowed) with a
 * key and 2..MAX_ARMS named arms; the caller frees it with lift__experiment__free_unpacked.
 * NULL after printing the error. */
static Lift__Experiment *experiment_load(const jw_t *w, const json_t *v)
{
    const experiment_json_opts_t opts = {.prog = "liftsim",
                                         .src = w->src,
                                         .path = w->path,
                                         .comments = 1,
                                         .server_fields = 0,
                                         .parse_time = NULL};
    Lift__Experiment *e = experiment_json_parse(v, &opts);
    if (e == NULL) return NULL;
    int ok = 0;
    if (!e->key) {
        jerr(w, "key is required");
    } else if (e->n_arms < 2) {
        jerr(w, "arms is required (2..%d arms; arm 0 is the holdout)", MAX_ARMS);
    } else {
        ok = 1;
        for (size_t i = 0; i < e->n_arms && ok; i++)
            if (!e->arms[i]->name) {
                jw_t aw = jat(w, "arms", -1);
                jw_t iw = jat(&aw, NULL, (int)i);
                jw_t nw = jat(&iw, "name", -1);
                ok = jerr(&nw, "must be a string") == 0;
            }
    }
    if (ok) return e;
    lift__experiment__free_unpacked(e, NULL);
    return NULL;
}

static int arm_index(const Lift__Experiment *e, const char *name)
{
    for (size_t i = 0; i < e->n_arms; i++)
        if (e->arms[i]->name && strcmp(e->arms[i]->name, name) == 0) return (int)i;
    return -1;
}

static int rule_fn(config_t *c, const jw_t *w, const json_t *v)
{
    static const char *const f[] = {"experiment",   "arm",       "trigger",   "stage", "channel",
                                    "upgrade_lift", "churn_add", "nps_shift", NULL};
    if (c->n_rules == MAX_RULES) return jerr(w, "at most %d effect rules", MAX_RULES);
    rule_t *r = &c->rules[c->n_rules];
    memset(r, 0, sizeof *r);
    r->exp = -1;
    if (jobject(w, v, f) || jnum(w, v, "upgrade_lift", -1, 100, 0, &r->upgrade_lift) ||
        jnum(w, v, "churn_add", 0, 1, 0, &r->churn_add) ||
        jnum(w, v, "nps_shift", -10, 10, 0, &r->nps_shift))
        return -1;
    json_t *x;
    if ((x = json_object_get(v, "experiment"))) {
        jw_t k = jat(w, "experiment", -1);
        for (int i = 0; i < c->n_exp && r->exp < 0; i++)
            if (json_is_string(x) && strcmp(c->exp[i]->key, json_string_value(x)) == 0) r->exp = i;
        if (r->exp < 0) return jerr(&k, "not the key of an experiment in this config");
    }
    int found = 0;
    for (int i = 0; i < c->n_exp; i++)
        r->arm_idx[i] = -1;
    if ((x = json_object_get(v, "arm"))) {
        jw_t k = jat(w, "arm", -1);
        if (!json_is_string(x) || strlen(json_string_value(x)) > 64)
            return jerr(&k, "must be an arm name");
        snprintf(r->arm, sizeof r->arm, "%s", json_string_value(x));
        for (int i = 0; i < c->n_exp; i++) {
            r->arm_idx[i] = arm_index(c->exp[i], r->arm);
            if (r->arm_idx[i] < 0)
                r->arm_idx[i] = -2;
            else
                found = 1;
        }
        if (!found) return jerr(&k, "'%s' is not an arm of any experiment in this config", r->arm);
    }
    jw_t tw = jat(w, "trigger", -1), sw = jat(w, "stage", -1), cw = jat(w, "channel", -1);
    if (((x = json_object_get(v, "trigger")) &&
         jenum(&tw, x, lift_trigger_parse, lift_trigger_names, &r->trigger)) ||
        ((x = json_object_get(v, "stage")) &&
         jenum(&sw, x, lift_stage_parse, lift_stage_names, &r->stage)) ||
        ((x = json_object_get(v, "channel")) &&
         jenum(&cw, x, lift_channel_parse, lift_channel_names, &r->channel)))
        return -1;
    c->n_rules++;
    return 0;
}

static void config_free(config_t *c)
{
    for (int i = 0; i < c->n_exp; i++)
        lift__experiment__free_unpacked(c->exp[i], NULL);
    c->n_exp = 0;
}

static int config_load(const char *file, config_t *c)
{
    static const char *const top[] = {"history_days",
                                      "plans",
                                      "stages",
                                      "triggers",
                                      "channels",
                                      "offers",
                                      "refunds",
                                      "nps_weekly",
                                      "suppression",
                                      "propensity_shape",
                                      "organic_delay_days",
                                      "effects",
                                      "experiments",
                                      "program_holdout",
                                      NULL};
    memset(c, 0, sizeof *c);
    jw_t w = {file, ""};
    json_error_t je;
    json_t *root = json_load_file(file, 0, &je);
    if (!root) {
        if (je.line < 0)
            fprintf(stderr, "liftsim: --config: cannot read '%s': %s\n", file, je.text);
        else
            fprintf(stderr, "liftsim: %s:%d:%d: %s\n", file, je.line, je.column, je.text);
        return -1;
    }
    int rc = -1;
    double hd = 0;
    json_t *x;
    if (jobject(&w, root, top) || jnum(&w, root, "history_days", 0, 365, 1, &hd)) goto out;
    c->history_days = (int)hd;
    if (hd != floor(hd)) {
        jw_t k = jat(&w, "history_days", -1);
        jerr(&k, "must be a whole number of days");
        goto out;
    }
    /* experiments first: effect rules and offers name their arms */
    jw_t ew = jat(&w, "experiments", -1);
    x = json_object_get(root, "experiments");
    if (!json_is_array(x) || json_array_size(x) < 1 || json_array_size(x) > MAX_EXP) {
        jerr(&ew, "must be an array of 1..%d experiments (the shape of examples/experiment.json)",
             MAX_EXP);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(x); i++) {
        jw_t iw = jat(&ew, NULL, (int)i);
        if ((c->exp[c->n_exp] = experiment_load(&iw, json_array_get(x, i))) == NULL) goto out;
        c->n_exp++;
        for (int j = 0; j + 1 < c->n_exp; j++)
            if (strcmp(c->exp[j]->key, c->exp[c->n_exp - 1]->key) == 0) {
                jerr(&iw, "key '%s' appears twice", c->exp[j]->key);
                goto out;
            }
    }
    /* plans */
    jw_t pw = jat(&w, "plans", -1);
    x = json_object_get(root, "plans");
    if (!json_is_array(x) || json_array_size(x) < 1 || json_array_size(x) > MAX_PLANS) {
        jerr(&pw, "must be an array of 1..%d plans {name, price, share}, cheapest first",
             MAX_PLANS);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(x); i++) {
        static const char *const f[] = {"name", "price", "share", NULL};
        jw_t iw = jat(&pw, NULL, (int)i), nw = jat(&iw, "name", -1);
        json_t *p = json_array_get(x, i), *n;
        double price = 0;
        if (jobject(&iw, p, f) || jnum(&iw, p, "price", 1, 1e12, 1, &price) ||
            jnum(&iw, p, "share", 0, 1, 1, &c->plan_share[i]))
            goto out;
        n = json_object_get(p, "name");
        if (!json_is_string(n) || !*json_string_value(n) || strlen(json_string_value(n)) > 32) {
            jerr(&nw, "must be a plan name of 1..32 bytes");
            goto out;
        }
        snprintf(c->plan_name[i], sizeof c->plan_name[i], "%s", json_string_value(n));
        c->plan_price[i] = (int64_t)price;
        if (i > 0 && c->plan_price[i] <= c->plan_price[i - 1]) {
            jw_t prw = jat(&iw, "price", -1);
            jerr(&prw, "plans must be listed cheapest first (%" PRId64 " <= %" PRId64 ")",
                 c->plan_price[i], c->plan_price[i - 1]);
            goto out;
        }
        c->n_plans++;
    }
    if (mix_check(&pw, "plan", c->plan_share, c->n_plans)) goto out;
    /* stages, triggers, channels */
    jw_t sw = jat(&w, "stages", -1), tw = jat(&w, "triggers", -1), cw = jat(&w, "channels", -1);
    for (int s = 1; s < N_ENUM; s++)
        c->stage[s].nps_mean = -1; /* marks "not given" */
    if (jenum_map(&sw, json_object_get(root, "stages"), lift_stage_parse, lift_stage_names,
                  stage_fn, c))
        goto out;
    for (int s = 1; s < N_ENUM; s++)
        if (c->stage[s].nps_mean < 0) {
            jerr(&sw, "stage '%s' is missing (all of %s are needed)", lift_stage_name(s),
                 lift_stage_names());
            goto out;
        }
    double ss[N_ENUM];
    for (int s = 0; s < N_ENUM; s++)
        ss[s] = c->stage[s].share;
    if (mix_check(&sw, "stage", ss, N_ENUM) ||
        jenum_map(&tw, json_object_get(root, "triggers"), lift_trigger_parse, lift_trigger_names,
                  trigger_fn, c) ||
        mix_check(&tw, "trigger", c->trig_share, N_ENUM) ||
        jenum_map(&cw, json_object_get(root, "channels"), lift_channel_parse, lift_channel_names,
                  channel_fn, c) ||
        mix_check(&cw, "channel", c->chan_share, N_ENUM))
        goto out;
    /* offers: delays per treatment arm name */
    for (int e = 0; e < c->n_exp; e++)
        for (int a = 0; a < MAX_ARMS; a++)
            c->delay_lo[e][a] = 0, c->delay_hi[e][a] = 5;
    jw_t ow = jat(&w, "offers", -1);
    if ((x = json_object_get(root, "offers"))) {
        if (!json_is_object(x)) {
            jerr(&ow, "must be an object {arm name: {\"delay_minutes\": [lo, hi]}}");
            goto out;
        }
        const char *key;
        json_t *y;
        json_object_foreach(x, key, y)
        {
            static const char *const f[] = {"delay_minutes", NULL};
            if (strcmp(key, "_comment") == 0) continue;
            jw_t k = jat(&ow, key, -1);
            double lo, hi;
            if (jobject(&k, y, f) || jrange(&k, y, "delay_minutes", 0, 60 * 24 * 30, &lo, &hi))
                goto out;
            int found = 0;
            for (int e = 0; e < c->n_exp; e++) {
                int a = arm_index(c->exp[e], key);
                if (a >= 0) {
                    c->delay_lo[e][a] = lo, c->delay_hi[e][a] = hi;
                    found = 1;
                }
            }
            if (!found) {
                jerr(&k, "not an arm of any experiment in this config");
                goto out;
            }
        }
    }
    /* refunds, suppression, scalars */
    static const char *const rf[] = {"share", "after_days", NULL};
    static const char *const sf[] = {"open_support_ticket", "billing_dispute", NULL};
    jw_t rw = jat(&w, "refunds", -1), uw = jat(&w, "suppression", -1);
    json_t *refunds = json_object_get(root, "refunds"), *sup = json_object_get(root, "suppression");
    if (!refunds || jobject(&rw, refunds, rf) ||
        jnum(&rw, refunds, "share", 0, 1, 1, &c->refund_share) ||
        jrange(&rw, refunds, "after_days", 0, 365, &c->refund_lo, &c->refund_hi))
        goto out;
    if (!sup || jobject(&uw, sup, sf) ||
        jnum(&uw, sup, "open_support_ticket", 0, 1, 1, &c->ticket) ||
        jnum(&uw, sup, "billing_dispute", 0, 1, 1, &c->dispute))
        goto out;
    if (jnum(&w, root, "nps_weekly", 0, 7, 1, &c->nps_weekly) ||
        jnum(&w, root, "propensity_shape", 0.01, 1000, 1, &c->prop_shape) ||
        jnum(&w, root, "organic_delay_days", 0, 60, 1, &c->organic_delay_days))
        goto out;
    /* program holdout */
    json_t *ph = json_object_get(root, "program_holdout");
    if (ph) {
        static const char *const pf[] = {"key", "percent", "decay_weekly", "pull_forward", NULL};
        jw_t hw = jat(&w, "program_holdout", -1), kw = jat(&hw, "key", -1);
        json_t *k = json_object_get(ph, "key");
        c->prog_decay = 1;
        if (jobject(&hw, ph, pf) || jnum(&hw, ph, "percent", 0.01, 50, 1, &c->prog_percent) ||
            jnum(&hw, ph, "decay_weekly", 0, 1, 0, &c->prog_decay) ||
            jnum(&hw, ph, "pull_forward", 0, 1, 0, &c->prog_pull))
            goto out;
        if (!json_is_string(k) || json_string_length(k) < 1 || json_string_length(k) > 64) {
            jerr(&kw, "required: the holdout key, [a-z0-9-_.]{1,64}");
            goto out;
        }
        snprintf(c->prog_key, sizeof c->prog_key, "%s", json_string_value(k));
        c->prog = 1;
    }
    /* effects */
    jw_t fw = jat(&w, "effects", -1);
    x = json_object_get(root, "effects");
    if (!json_is_array(x)) {
        jerr(&fw, "must be an array of rules {arm, experiment, trigger, stage, channel, "
                  "upgrade_lift, churn_add, nps_shift}");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(x); i++) {
        jw_t iw = jat(&fw, NULL, (int)i);
        if (rule_fn(c, &iw, json_array_get(x, i))) goto out;
    }
    rc = 0;
out:
    json_decref(root);
    if (rc) config_free(c);
    return rc;
}

static const rule_t *rule_match(const config_t *c, int e, int arm, int trig, int stage, int chan)
{
    for (int i = 0; i < c->n_rules; i++) {
        const rule_t *r = &c->rules[i];
        if ((r->exp >= 0 && r->exp != e) || (r->arm[0] && r->arm_idx[e] != arm) ||
            (r->trigger && r->trigger != trig) || (r->stage && r->stage != stage) ||
            (r->channel && r->channel != chan))
            continue;
        return r;
    }
    return NULL;
}

/* ---- time ---------------------------------------------------------------------------------- */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fmt_date(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int retryable(lift_err_t rc)
{
    return rc == LIFT_ERR_UNAVAILABLE || rc == LIFT_ERR_RESOURCE_EXHAUSTED || rc == LIFT_ERR_SYSTEM;
}

#define RETRY_ROUNDS 10 /* lift_* calls (each with its own attempts) before giving up */

/* ---- sender pool: worker threads, each with its own client ---------------------------------- */

typedef struct {
    lift_event_t ev[TRACK_BATCH];    /* the events */
    char ids[TRACK_BATCH][EVID_MAX]; /* their event ids */
    size_t n;                        /* used */
} batch_t;

typedef struct job {
    struct job *next;       /* queue link */
    int is_track;           /* 1: Track batch (owned by the job), 0: AssignBatch */
    batch_t *batch;         /* track: the events, freed by the worker */
    const char *key;        /* assign: experiment key */
    const char **ids;       /* assign: customer ids */
    size_t n;               /* assign: how many */
    lift_context_t ctx;     /* assign: context */
    lift_assignment_t *out; /* assign: results (caller frees with lift_assignments_free) */
} job_t;

typedef struct {
    pthread_mutex_t mu;                      /* guards everything below */
    pthread_cond_t cv_job;                   /* a job was queued or stop set */
    pthread_cond_t cv_done;                  /* a job finished */
    job_t *ahead, *atail;                    /* assign queue (served first) */
    job_t *thead, *ttail;                    /* track queue */
    size_t assign_pending;                   /* queued or running assign jobs */
    size_t track_pending;                    /* queued or running track jobs */
    int stop;                                /* workers exit when queues are empty */
    int failed;                              /* a job failed for good */
    char err[512];                           /* first failure */
    uint64_t accepted, duplicates, rejected; /* track totals */
    char reject_msg[256];                    /* first rejection */
    uint64_t assign_calls, track_calls;      /* requests sent */
    const char *endpoint;                    /* liftd */
    lift_local_t *local;                     /* --local: the evaluator every worker uses */
    pthread_t th[MAX_WORKERS];               /* workers */
    int n_threads;                           /* started */
} pool_t;

static void pool_fail(pool_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pool_fail(pool_t *p, const char *fmt, ...)
{
    pthread_mutex_lock(&p->mu);
    if (!p->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, sizeof p->err, fmt, ap);
        va_end(ap);
        p->failed = 1;
    }
    pthread_mutex_unlock(&p->mu);
}

static void run_track(pool_t *p, lift_client_t *c, job_t *j)
{
    lift_track_result_t r;
    lift_err_t rc = LIFT_OK;
    for (int round = 0; round < RETRY_ROUNDS; round++) {
        rc = lift_track(c, j->batch->ev, j->batch->n, &r);
        if (rc == LIFT_OK || !retryable(rc)) break;
        sleep_ms(100 * (round + 1));
    }
    if (rc != LIFT_OK) {
        pool_fail(p, "track of %zu events: %s: %s", j->batch->n, lift_err_name(rc),
                  lift_client_error(c));
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->track_calls++;
    p->accepted += r.accepted;
    p->duplicates += r.duplicates;
    p->rejected += r.n_rejected;
    if (r.n_rejected && !p->reject_msg[0])
        snprintf(p->reject_msg, sizeof p->reject_msg, "event %s: %s: %s", r.rejected[0].event_id,
                 r.rejected[0].field, r.rejected[0].reason);
    pthread_mutex_unlock(&p->mu);
    lift_track_result_clear(&r);
}

static void run_assign(pool_t *p, lift_client_t *c, job_t *j)
{
    lift_err_t rc = LIFT_OK;
    for (int round = 0; round < RETRY_ROUNDS; round++) {
        if (p->local) {
            /* Local decisions: the same array shape, freed the same way (no strings). */
            if (!(j->out = calloc(j->n, sizeof *j->out))) {
                rc = LIFT_ERR_NOMEM;
                break;
            }
            rc = lift_local_assign_batch(p->local, j->key, j->ids, j->n, &j->ctx, j->out);
            if (rc != LIFT_OK) {
                free(j->out);
                j->out = NULL;
            }
            break;
        }
        rc = lift_assign_batch(c, j->key, j->ids, j->n, &j->ctx, &j->out);
        if (rc == LIFT_OK || !retryable(rc)) break;
        sleep_ms(100 * (round + 1));
    }
    if (rc != LIFT_OK)
        pool_fail(p, "assign batch of %zu customers in %s: %s: %s", j->n, j->key, lift_err_name(rc),
                  p->local ? "local decision refused" : lift_client_error(c));
    pthread_mutex_lock(&p->mu);
    p->assign_calls++;
    pthread_mutex_unlock(&p->mu);
}

static void *pool_worker(void *arg)
{
    pool_t *p = arg;
    lift_client_opts_t o = {.timeout_ms = 10000, .attempts = 3};
    lift_client_t *c = lift_client_new(p->endpoint, &o);
    if (!c) pool_fail(p, "cannot create a client for %s: %s", p->endpoint, strerror(errno));
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->ahead && !p->thead && !p->stop)
            pthread_cond_wait(&p->cv_job, &p->mu);
        job_t *j = p->ahead ? p->ahead : p->thead;
        if (!j) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        if (j == p->ahead) {
            if (!(p->ahead = j->next)) p->atail = NULL;
        } else if (!(p->thead = j->next)) {
            p->ttail = NULL;
        }
        int skip = p->failed || !c;
        pthread_mutex_unlock(&p->mu);
        if (!skip) j->is_track ? run_track(p, c, j) : run_assign(p, c, j);
        pthread_mutex_lock(&p->mu);
        if (j->is_track) {
            p->track_pending--;
            free(j->batch);
            free(j);
        } else {
            p->assign_pending--;
        }
        pthread_cond_broadcast(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
    }
    lift_client_destroy(&c);
    return NULL;
}

static int pool_start(pool_t *p, const char *endpoint, int n, int local)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_job, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    p->endpoint = endpoint;
    if (local) {
        lift_client_opts_t co = {.timeout_ms = 10000, .attempts = 3};
        lift_local_opts_t lo = {.client = &co, .buffer_max = 10000000, .remember = 5000000};
        char err[256];
        if (!(p->local = lift_local_new(endpoint, &lo, err, sizeof err))) {
            pool_fail(p, "--local: %s", err);
            return -1;
        }
    }
    for (int i = 0; i < n; i++) {
        if (pthread_create(&p->th[i], NULL, pool_worker, p) != 0) {
            pool_fail(p, "cannot start a sender thread");
            return -1;
        }
        p->n_threads++;
    }
    return 0;
}

/* Queues j (a track job: the pool takes it and its batch). */
static void pool_submit(pool_t *p, job_t *j)
{
    pthread_mutex_lock(&p->mu);
    j->next = NULL;
    if (j->is_track) {
        p->track_pending++;
        if (p->ttail)
            p->ttail->next = j;
        else
            p->thead = j;
        p->ttail = j;
    } else {
        p->assign_pending++;
        if (p->atail)
            p->atail->next = j;
        else
            p->ahead = j;
        p->atail = j;
    }
    pthread_cond_signal(&p->cv_job);
    pthread_mutex_unlock(&p->mu);
}

/* Waits until at most max_assign assign jobs and max_track track jobs are pending (or a failure);
 * returns -1 after a failure. */
static int pool_wait(pool_t *p, size_t max_assign, size_t max_track)
{
    pthread_mutex_lock(&p->mu);
    while (!p->failed && (p->assign_pending > max_assign || p->track_pending > max_track))
        pthread_cond_wait(&p->cv_done, &p->mu);
    int rc = p->failed ? -1 : 0;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static void pool_stop(pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv_job);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->th[i], NULL);
    p->n_threads = 0;
    if (p->local) {
        lift_local_stats_t st;
        if (lift_local_flush(p->local, 60000) != LIFT_OK)
            pool_fail(p, "--local: exposures not acknowledged by liftd");
        lift_local_stats(p->local, &st);
        if (st.dropped || st.rejected || st.skew)
            pool_fail(p, "--local: %llu exposures dropped, %llu refused, %llu with another arm",
                      (unsigned long long)st.dropped, (unsigned long long)st.rejected,
                      (unsigned long long)st.skew);
        lift_local_destroy(&p->local);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv_job);
    pthread_cond_destroy(&p->cv_done);
}

/* ---- experiments on the server -------------------------------------------------------------- */

static int same_arms(const Lift__Experiment *a, const Lift__Experiment *b)
{
    if (a->n_arms != b->n_arms) return 0;
    for (size_t i = 0; i < a->n_arms; i++)
        if (!a->arms[i]->name || !b->arms[i]->name ||
            strcmp(a->arms[i]->name, b->arms[i]->name) != 0 ||
            fabs(a->arms[i]->weight - b->arms[i]->weight) > 1e-12)
            return 0;
    return 1;
}

/* The config's program holdout as liftd holds it: created (idempotently; an existing one with
 * the same definition is reused) and started, linked explicitly to every experiment of the
 * config, deciding from start_ms. Returns 0 or -1 (printed). */
static int holdout_ensure(lift_client_t *c, const config_t *cfg, int64_t start_ms)
{
    Lift__Holdout h = LIFT__HOLDOUT__INIT;
    char *keys[MAX_EXP];
    for (int i = 0; i < cfg->n_exp; i++)
        keys[i] = cfg->exp[i]->key;
    h.key = (char *)cfg->prog_key;
    h.has_percent = 1;
    h.percent = cfg->prog_percent;
    h.has_link = 1;
    h.link = LIFT__HOLDOUT_LINK__LINK_EXPLICIT;
    h.n_experiment_keys = (size_t)cfg->n_exp;
    h.experiment_keys = keys;
    h.has_start_ms = 1;
    h.start_ms = start_ms;
    Lift__CreateHoldout ch = LIFT__CREATE_HOLDOUT__INIT;
    ch.holdout = &h;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.body_case = LIFT__REQUEST__BODY_CREATE_HOLDOUT;
    req.create_holdout = &ch;
    Lift__Reply *r = NULL;
    lift_err_t rc = lift_call(c, &req, &r, NULL, 0);
    if (rc == LIFT_ERR_ALREADY_EXISTS) {
        fprintf(stderr, "liftsim: program holdout '%s' exists with another definition (another "
                        "--weeks or config); use a fresh liftd --data directory\n", h.key);
        lift_reply_free(&r);
        return -1;
    }
    if (rc != LIFT_OK || r->body_case != LIFT__REPLY__BODY_HOLDOUT) {
        fprintf(stderr, "liftsim: create program holdout '%s': %s: %s\n", h.key,
                lift_err_name(rc), rc ? lift_client_error(c) : "no holdout in the reply");
        lift_reply_free(&r);
        return -1;
    }
    int status = r->holdout->status;
    lift_reply_free(&r);
    if (status == LIFT__EXPERIMENT_STATUS__STATUS_STOPPED) {
        fprintf(stderr, "liftsim: program holdout '%s' is stopped; use a fresh --data directory\n",
                h.key);
        return -1;
    }
    if (status == LIFT__EXPERIMENT_STATUS__STATUS_RUNNING) return 0;
    Lift__ChangeHoldout chg = LIFT__CHANGE_HOLDOUT__INIT;
    chg.key = h.key;
    chg.has_action = 1;
    chg.action = LIFT__ACTION__ACTION_START;
    req.body_case = LIFT__REQUEST__BODY_CHANGE_HOLDOUT;
    req.change_holdout = &chg;
    if ((rc = lift_call(c, &req, NULL, NULL, 0)) != LIFT_OK) {
        fprintf(stderr, "liftsim: start program holdout '%s': %s: %s\n", h.key, lift_err_name(rc),
                lift_client_error(c));
        return -1;
    }
    return 0;
}

/* Creates (idempotently) and starts every experiment of the config with start_ms; an existing
 * experiment with the same arms is reused. Returns 0 or -1 (printed). */
static int experiments_ensure(lift_client_t *c, config_t *cfg, int64_t start_ms, int quiet)
{
    for (int i = 0; i < cfg->n_exp; i++) {
        Lift__Experiment *def = cfg->exp[i], *got = NULL;
        def->has_start_ms = 1;
        def->start_ms = start_ms;
        lift_err_t rc = lift_experiment_create(c, def, &got);
        if (rc == LIFT_ERR_ALREADY_EXISTS) {
            rc = lift_experiment_get(c, def->key, &got);
            if (rc == LIFT_OK && got && !same_arms(def, got)) {
                fprintf(stderr,
                        "liftsim: experiment '%s' exists with other arms or weights; use a fresh "
                        "liftd --data directory or another key\n",
                        def->key);
                lift_experiment_free(&got);
                return -1;
            }
            if (rc == LIFT_OK && !quiet)
                fprintf(stderr,
                        "liftsim: note: experiment '%s' exists (an earlier run); reusing it\n",
                        def->key);
        }
        if (rc != LIFT_OK || !got) {
            fprintf(stderr, "liftsim: create experiment '%s': %s: %s\n", def->key,
                    lift_err_name(rc), rc ? lift_client_error(c) : "no experiment in the reply");
            lift_experiment_free(&got);
            return -1;
        }
        int action = 0;
        if (got->status == LIFT__EXPERIMENT_STATUS__STATUS_DRAFT)
            action = LIFT__ACTION__ACTION_START;
        else if (got->status == LIFT__EXPERIMENT_STATUS__STATUS_PAUSED)
            action = LIFT__ACTION__ACTION_RESUME;
        else if (got->status == LIFT__EXPERIMENT_STATUS__STATUS_STOPPED) {
            fprintf(stderr, "liftsim: experiment '%s' is stopped; use a fresh --data directory\n",
                    def->key);
            lift_experiment_free(&got);
            return -1;
        }
        lift_experiment_free(&got);
        if (action && (rc = lift_experiment_change(c, def->key, action, 0, NULL)) != LIFT_OK) {
            fprintf(stderr, "liftsim: %s experiment '%s': %s: %s\n", lift_action_name(action),
                    def->key, lift_err_name(rc), lift_client_error(c));
            return -1;
        }
    }
    return 0;
}

/* ---- simulation ------------------------------------------------------------------------------ */

typedef struct {
    int64_t churn_ms; /* when the customer churns (NONE_MS: not scheduled) */
    int64_t annoy_ms; /* NPS answers from then on are shifted (NONE_MS: never) */
    float prop;       /* upgrade propensity, mean 1 */
    float nps_shift;  /* shift of NPS answers after annoy_ms */
    uint8_t stage;    /* lift.Stage */
    uint8_t plan;     /* index into the plans */
} cust_t;

typedef struct {
    int8_t arm;                /* -1: not exposed in this run */
    uint8_t trig, stage, chan; /* context of the first exposure */
} expo_t;

typedef struct {
    double rev;   /* expected incremental revenue, minor units */
    double ups;   /* expected extra upgrades */
    double churn; /* expected extra churned customers */
} truth_t;

typedef struct {
    int32_t cust;  /* customer index */
    int32_t group; /* index into the day's groups */
    int8_t exp;    /* experiment that has the customer (-1 none) */
    int8_t arm;    /* its arm */
    int64_t t_org; /* when an organic upgrade after this trigger would happen */
    double u;      /* the in-market draw */
} pend_t;

typedef struct {
    int key;                                /* context key */
    int trig, stage, chan, ticket, dispute; /* context */
    int64_t t;                              /* trigger time of everyone in the group */
    int32_t *members;                       /* indices into the day's pending triggers */
    size_t n, cap;                          /* members */
} group_t;

typedef struct {
    const opts_t *o;                     /* options */
    const config_t *cfg;                 /* model */
    gsl_rng *rng;                        /* the only source of randomness */
    gsl_ran_discrete_t *d_trig, *d_chan; /* mixes */
    long n;                              /* customers */
    cust_t *cust;                        /* customers */
    char *id_mem;                        /* customer id strings */
    const char **ids;                    /* customer ids */
    expo_t *expo[MAX_EXP];               /* per experiment, per customer */
    truth_t *truth[MAX_EXP];             /* per experiment, per customer */
    int64_t hist_ms, start_ms, end_ms;   /* history start, experiment start, now */
    pool_t pool;                         /* senders */
    job_t *cur;                          /* track batch being filled */
    uint64_t n_events;                   /* events generated (the next event id) */
    uint64_t by_type[8];                 /* events generated per lift.EventType */
    uint64_t decisions;                  /* customers asked about (assign decisions) */
    pend_t *pend;                        /* today's triggers waiting for liftd */
    size_t n_pend, cap_pend;             /* pending */
    group_t *groups;                     /* today's context groups */
    size_t n_groups, cap_groups;         /* groups */
    int *group_of;                       /* context key -> group index today (-1) */
    int progress;                        /* draw a progress bar */
    double t0;                           /* start, monotonic seconds */
    char tag[12]; /* run tag: hash of config, customers, weeks (in every id) */
    /* program holdout (cfg->prog) */
    uint8_t *pgroup;                     /* per customer: lift_holdout_group, liftd's function */
    uint8_t *pseen;                      /* per customer: had a program-eligible decision */
    double *pweek;                       /* per week of the period: incremental revenue that
                                            measured customers' offers of that week added */
    double *pweek_pull;                  /* of it, pulled forward into the period */
    int nweeks;                          /* entries in pweek */
} sim_t;

#define CTX_KEYS (N_ENUM * N_ENUM * N_ENUM * 4 * SLOTS_PER_DAY)

static double unif(sim_t *s)
{
    return gsl_rng_uniform(s->rng);
}

static int flush_events(sim_t *s)
{
    if (!s->cur) return 0;
    job_t *j = s->cur;
    s->cur = NULL;
    pool_submit(&s->pool, j);
    return pool_wait(&s->pool, SIZE_MAX, TRACK_INFLIGHT);
}

/* A new event in the current batch; the caller fills the rest, then calls ev_done(). */
static lift_event_t *ev_new(sim_t *s, int type, long cust, int64_t ts)
{
    if (!s->cur) {
        job_t *j = calloc(1, sizeof *j);
        batch_t *b = j ? malloc(sizeof *b) : NULL;
        if (!b) {
            fprintf(stderr, "liftsim: out of memory\n");
            exit(1);
        }
        b->n = 0;
        j->is_track = 1;
        j->batch = b;
        s->cur = j;
    }
    batch_t *b = s->cur->batch;
    size_t k = b->n++;
    snprintf(b->ids[k], EVID_MAX, "sim-%lu-%s-%" PRIu64, s->o->seed, s->tag, s->n_events++);
    lift_event_t *e = &b->ev[k];
    memset(e, 0, sizeof *e);
    e->event_id = b->ids[k];
    e->customer_id = s->ids[cust];
    e->type = type;
    e->timestamp_ms = ts;
    s->by_type[type]++;
    return e;
}

static int ev_done(sim_t *s)
{
    if (s->cur->batch->n == TRACK_BATCH) return flush_events(s);
    return 0;
}

/* An upgrade of customer i at t (one plan up) with its refund decided by the pre-drawn u_ref and
 * delay; nothing when t is after limit or the customer is on the top plan. */
static int emit_upgrade(sim_t *s, long i, int64_t t, int64_t limit, double u_ref, int64_t ref_ms)
{
    cust_t *c = &s->cust[i];
    const config_t *cfg = s->cfg;
    if (t > limit || c->plan + 1 >= cfg->n_plans) return 0;
    int64_t amount = cfg->plan_price[c->plan + 1];
    lift_event_t *e = ev_new(s, LIFT__EVENT_TYPE__EVENT_CONVERSION, i, t);
    e->has_amount = 1;
    e->amount_minor = amount;
    e->plan_from = cfg->plan_name[c->plan];
    e->plan_to = cfg->plan_name[c->plan + 1];
    c->plan++;
    if (ev_done(s)) return -1;
    if (u_ref < cfg->refund_share && t + ref_ms <= s->end_ms) {
        e = ev_new(s, LIFT__EVENT_TYPE__EVENT_REFUND, i, t + ref_ms);
        e->has_amount = 1;
        e->amount_minor = amount;
        if (ev_done(s)) return -1;
    }
    return 0;
}

static int emit_churn(sim_t *s, long i, int64_t t)
{
    cust_t *c = &s->cust[i];
    c->churn_ms = t;
    lift_event_t *e = ev_new(s, LIFT__EVENT_TYPE__EVENT_CHURN, i, t);
    e->plan_from = s->cfg->plan_name[c->plan];
    return ev_done(s);
}

/* Revenue factor of an upgrade at t that is refunded with the config's share ref_ms later. */
static double kept(const sim_t *s, int64_t t, int64_t limit, int64_t ref_ms)
{
    if (t > limit) return 0;
    return 1 - (t + ref_ms <= s->end_ms ? s->cfg->refund_share : 0);
}

/* Resolves one trigger of customer p->cust at t (after liftd answered): the offer of a treatment
 * arm, the organic upgrade chance, and the truth. */
static int resolve_trigger(sim_t *s, const pend_t *p, const group_t *g)
{
    const config_t *cfg = s->cfg;
    long i = p->cust;
    cust_t *c = &s->cust[i];
    int64_t t = g->t, limit = c->churn_ms < s->end_ms ? c->churn_ms : s->end_ms;
    double q = cfg->stage[g->stage].in_market * cfg->trig_prop[g->trig] * c->prop;
    if (q > 1) q = 1;
    double u_ref = unif(s);
    int64_t ref_ms =
        (int64_t)((cfg->refund_lo + unif(s) * (cfg->refund_hi - cfg->refund_lo)) * DAY_MS);
    if (p->exp < 0 || p->arm < 1) /* holdout, untreated, not in any experiment: organic */
        return p->u < q ? emit_upgrade(s, i, p->t_org, limit, u_ref, ref_ms) : 0;

    /* A treatment arm: the offer goes out. Times are drawn before outcomes (exact truth). */
    int e = p->exp, arm = p->arm;
    const rule_t *r = rule_match(cfg, e, arm, g->trig, g->stage, g->chan);
    double lift = r ? r->upgrade_lift : 0, churn_add = r ? r->churn_add : 0;
    int week = t > s->start_ms ? (int)((t - s->start_ms) / (7 * DAY_MS)) : 0;
    if (cfg->prog && cfg->prog_decay < 1) /* the program's lift fades week after week */
        lift *= pow(cfg->prog_decay, week);
    double lo = cfg->delay_lo[e][arm], hi = cfg->delay_hi[e][arm];
    int64_t t_imp = t + (int64_t)((lo + unif(s) * (hi - lo)) * MINUTE_MS);
    int64_t t_click = t_imp + (int64_t)(gsl_ran_exponential(s->rng, 10.0) * MINUTE_MS);
    int64_t t_up = t_click + (int64_t)(gsl_ran_exponential(s->rng, 30.0) * MINUTE_MS);
    int64_t t_churn = t_imp + (int64_t)(gsl_ran_exponential(s->rng, 3.0) * DAY_MS);
    double p_del = cfg->chan_delivery[g->chan], ctr = cfg->chan_ctr[g->chan];
    int delivered = unif(s) < p_del, clicked = unif(s) < ctr;
    double u_churn = unif(s);
    double u_pull = cfg->prog && cfg->prog_pull > 0 ? unif(s) : 1; /* drawn only when modelled */
    int can_up = c->plan + 1 < cfg->n_plans;
    double q1 = q * (1 + lift);
    q1 = q1 < 0 ? 0 : q1 > 1 ? 1 : q1;

    /* truth */
    truth_t *tr = &s->truth[e][i];
    double rev0 = tr->rev, pulled = 0;
    int64_t t_pull = t_up < p->t_org ? t_up : p->t_org; /* a pulled-forward upgrade's time */
    if (can_up && t_click <= limit) {
        int64_t amount = cfg->plan_price[c->plan + 1];
        int64_t t_aff = q1 >= q ? t_up : p->t_org; /* the upgrade the offer adds or removes */
        double dp = p_del * ctr * (q1 - q);
        double k = kept(s, t_aff, limit, ref_ms);
        tr->rev += dp * (double)amount * k;
        tr->ups += dp * (t_aff <= limit);
        if (cfg->prog && cfg->prog_pull > 0) {
            /* pull-forward: a clicker who would upgrade anyway (u < min(q, q1)) upgrades right
             * after the click; it adds revenue to the period only when the organic upgrade
             * would have come after its end (or its refund moves across the end) */
            double dpf = p_del * ctr * cfg->prog_pull * (q < q1 ? q : q1);
            pulled = dpf * (double)amount *
                     (kept(s, t_pull, limit, ref_ms) - kept(s, p->t_org, limit, ref_ms));
            tr->rev += pulled;
            tr->ups += dpf * ((t_pull <= limit) - (p->t_org <= limit));
        }
    }
    if (cfg->prog && s->pgroup[i] == LIFT__HOLDOUT_GROUP__GROUP_MEASURED && week < s->nweeks) {
        s->pweek[week] += tr->rev - rev0;
        s->pweek_pull[week] += pulled;
    }
    if (churn_add > 0 && c->churn_ms == NONE_MS && t_imp <= s->end_ms && t_churn <= s->end_ms)
        tr->churn += p_del * churn_add;

    /* what happens */
    if (!delivered || t_imp > limit)
        return p->u < q ? emit_upgrade(s, i, p->t_org, limit, u_ref, ref_ms) : 0;
    lift_event_t *ev = ev_new(s, LIFT__EVENT_TYPE__EVENT_IMPRESSION, i, t_imp);
    ev->experiment_key = cfg->exp[e]->key;
    ev->has_arm = 1;
    ev->arm = arm;
    if (ev_done(s)) return -1;
    if (r && r->nps_shift != 0) {
        c->nps_shift = (float)r->nps_shift;
        if (t_imp < c->annoy_ms) c->annoy_ms = t_imp;
    }
    int churned_now = 0;
    if (churn_add > 0 && c->churn_ms == NONE_MS && u_churn < churn_add && t_churn <= s->end_ms)
        churned_now = 1;
    if (clicked && t_click <= limit) {
        ev = ev_new(s, LIFT__EVENT_TYPE__EVENT_CLICK, i, t_click);
        ev->experiment_key = cfg->exp[e]->key;
        ev->has_arm = 1;
        ev->arm = arm;
        if (ev_done(s)) return -1;
        if (p->u < q && p->u < q1) {
            int64_t when = u_pull < cfg->prog_pull ? t_pull : p->t_org;
            if (emit_upgrade(s, i, when, limit, u_ref, ref_ms)) return -1;
        } else if (p->u < q1) {
            if (emit_upgrade(s, i, t_up, limit, u_ref, ref_ms)) return -1;
        }
    } else if (p->u < q) {
        if (emit_upgrade(s, i, p->t_org, limit, u_ref, ref_ms)) return -1;
    }
    if (churned_now && emit_churn(s, i, t_churn)) return -1;
    return 0;
}

static int pend_push(sim_t *s, const pend_t *p)
{
    if (s->n_pend == s->cap_pend) {
        size_t cap = s->cap_pend ? 2 * s->cap_pend : 4096;
        pend_t *np = realloc(s->pend, cap * sizeof *np);
        if (!np) return -1;
        s->pend = np;
        s->cap_pend = cap;
    }
    s->pend[s->n_pend++] = *p;
    return 0;
}

static int group_add(sim_t *s, int key, const group_t *proto, int64_t day_ms, int32_t member)
{
    int gi = s->group_of[key];
    if (gi < 0) {
        if (s->n_groups == s->cap_groups) {
            size_t cap = s->cap_groups ? 2 * s->cap_groups : 256;
            group_t *ng = realloc(s->groups, cap * sizeof *ng);
            if (!ng) return -1;
            memset(ng + s->cap_groups, 0, (cap - s->cap_groups) * sizeof *ng);
            s->groups = ng;
            s->cap_groups = cap;
        }
        gi = (int)s->n_groups++;
        group_t *g = &s->groups[gi];
        int32_t *keep = g->members;
        size_t keep_cap = g->cap;
        *g = *proto;
        g->members = keep;
        g->cap = keep_cap;
        g->n = 0;
        g->key = key;
        int slot = key % SLOTS_PER_DAY;
        g->t = day_ms + slot * (DAY_MS / SLOTS_PER_DAY) +
               (int64_t)(unif(s) * (double)(DAY_MS / SLOTS_PER_DAY));
        s->group_of[key] = gi;
    }
    group_t *g = &s->groups[gi];
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 64;
        int32_t *nm = realloc(g->members, cap * sizeof *nm);
        if (!nm) return -1;
        g->members = nm;
        g->cap = cap;
    }
    g->members[g->n++] = member;
    s->pend[member].group = gi;
    return 0;
}

/* Asks liftd about today's triggers (experiments in order, each customer until one has them),
 * then resolves them in a fixed order. */
static int decide_day(sim_t *s)
{
    const config_t *cfg = s->cfg;
    size_t n_jobs_max = 0;
    for (size_t g = 0; g < s->n_groups; g++)
        n_jobs_max += (s->groups[g].n + LIFT_BATCH_MAX - 1) / LIFT_BATCH_MAX;
    job_t *jobs = calloc(n_jobs_max ? n_jobs_max : 1, sizeof *jobs);
    const char **idv = malloc((s->n_pend ? s->n_pend : 1) * sizeof *idv);
    int32_t *who = malloc((s->n_pend ? s->n_pend : 1) * sizeof *who);
    if (!jobs || !idv || !who) {
        free(jobs), free(idv), free(who);
        fprintf(stderr, "liftsim: out of memory\n");
        return -1;
    }
    int rc = 0;
    for (int e = 0; e < cfg->n_exp && rc == 0; e++) {
        size_t nj = 0, used = 0;
        for (size_t gi = 0; gi < s->n_groups; gi++) {
            group_t *g = &s->groups[gi];
            size_t first = used;
            for (size_t m = 0; m < g->n; m++) {
                pend_t *p = &s->pend[g->members[m]];
                if (p->exp >= 0) continue;
                who[used] = g->members[m];
                idv[used++] = s->ids[p->cust];
            }
            for (size_t off = first; off < used; off += LIFT_BATCH_MAX) {
                job_t *j = &jobs[nj++];
                memset(j, 0, sizeof *j);
                j->key = cfg->exp[e]->key;
                j->ids = idv + off;
                j->n = used - off < LIFT_BATCH_MAX ? used - off : LIFT_BATCH_MAX;
                j->ctx = (lift_context_t){.trigger = g->trig,
                                          .stage = g->stage,
                                          .channel = g->chan,
                                          .trigger_time_ms = g->t,
                                          .open_support_ticket = g->ticket,
                                          .billing_dispute = g->dispute};
            }
        }
        for (size_t k = 0; k < nj; k++)
            pool_submit(&s->pool, &jobs[k]);
        rc = pool_wait(&s->pool, 0, SIZE_MAX);
        /* Local decisions: their exposures are stored before the day's impressions refer to
         * them. */
        if (rc == 0 && s->pool.local && lift_local_flush(s->pool.local, 60000) != LIFT_OK) {
            pool_fail(&s->pool, "--local: exposures not acknowledged by liftd within 60 s");
            rc = -1;
        }
        for (size_t k = 0; k < nj; k++) {
            job_t *j = &jobs[k];
            for (size_t m = 0; rc == 0 && j->out && m < j->n; m++) {
                const lift_assignment_t *a = &j->out[m];
                pend_t *p = &s->pend[who[(j->ids - idv) + (ptrdiff_t)m]];
                s->decisions++;
                if (a->error_code != LIFT_OK) {
                    fprintf(stderr, "liftsim: liftd rejected customer id %s: %s\n", a->customer_id,
                            a->error ? a->error : "?");
                    rc = -1;
                    break;
                }
                if (cfg->prog && (a->eligible || a->reason == LIFT__REASON__REASON_PROGRAM_HOLDOUT))
                    s->pseen[p->cust] = 1; /* liftd recorded the program exposure */
                if (!a->in_experiment || a->arm_index < 0 ||
                    (size_t)a->arm_index >= cfg->exp[e]->n_arms)
                    continue;
                p->exp = (int8_t)e;
                p->arm = (int8_t)a->arm_index;
                expo_t *x = &s->expo[e][p->cust];
                if (x->arm < 0) {
                    const group_t *g = &s->groups[p->group];
                    x->arm = (int8_t)a->arm_index;
                    x->trig = (uint8_t)g->trig;
                    x->stage = (uint8_t)g->stage;
                    x->chan = (uint8_t)g->chan;
                } else if (x->arm != a->arm_index) {
                    fprintf(stderr, "liftsim: warning: %s moved from arm %d to %d in %s\n",
                            s->ids[p->cust], x->arm, a->arm_index, cfg->exp[e]->key);
                }
            }
            lift_assignments_free(j->out);
            j->out = NULL;
        }
    }
    free(jobs);
    free(idv);
    free(who);
    for (size_t k = 0; rc == 0 && k < s->n_pend; k++)
        rc = resolve_trigger(s, &s->pend[k], &s->groups[s->pend[k].group]);
    for (size_t g = 0; g < s->n_groups; g++)
        s->group_of[s->groups[g].key] = -1;
    s->n_groups = 0;
    s->n_pend = 0;
    return rc;
}

static void progress(sim_t *s, int day, int days, int final)
{
    if (!s->progress) return;
    double el = mono_s() - s->t0;
    int hd = s->cfg->history_days;
    char what[48];
    if (day < hd)
        snprintf(what, sizeof what, "history day %d/%d", day + 1, hd);
    else
        snprintf(what, sizeof what, "week %d/%d", (day - hd) / 7 + 1, s->o->weeks);
    int width = 24, fill = days ? (int)((long)width * (day + 1) / days) : width;
    char bar[32];
    for (int k = 0; k < width; k++)
        bar[k] = k < fill ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r\033[K[%s] %-16s events %10" PRIu64 "  %8.0f ev/s  %5.1f s%s", bar, what,
            s->n_events, el > 0 ? (double)s->n_events / el : 0.0, el, final ? "\n" : "");
    fflush(stderr);
}

static int simulate(sim_t *s)
{
    const config_t *cfg = s->cfg;
    int days = cfg->history_days + 7 * s->o->weeks;
    for (int d = 0; d < days; d++) {
        int64_t day_ms = s->hist_ms + (int64_t)d * DAY_MS;
        int in_period = d >= cfg->history_days;
        if (day_ms > s->end_ms) break;
        for (long i = 0; i < s->n; i++) {
            cust_t *c = &s->cust[i];
            if (c->churn_ms <= day_ms) continue;
            const stage_cfg_t *st = &cfg->stage[c->stage];
            if (d > 0 && d % 7 == 0) { /* weekly stage move */
                double u = unif(s), acc = 0;
                for (int to = 1; to < N_ENUM; to++) {
                    acc += st->next[to];
                    if (u < acc) {
                        c->stage = (uint8_t)to;
                        break;
                    }
                }
                st = &cfg->stage[c->stage];
            }
            int64_t limit = c->churn_ms < s->end_ms ? c->churn_ms : s->end_ms;
            if (c->churn_ms == NONE_MS && unif(s) < st->churn_weekly / 7) {
                int64_t t = day_ms + (int64_t)(unif(s) * DAY_MS);
                if (t <= s->end_ms && emit_churn(s, i, t)) return -1;
                limit = c->churn_ms < s->end_ms ? c->churn_ms : s->end_ms;
            }
            if (unif(s) < st->organic_weekly * c->prop / 7) {
                double u_ref = unif(s);
                int64_t ref_ms =
                    (int64_t)((cfg->refund_lo + unif(s) * (cfg->refund_hi - cfg->refund_lo)) *
                              DAY_MS);
                if (emit_upgrade(s, i, day_ms + (int64_t)(unif(s) * DAY_MS), limit, u_ref, ref_ms))
                    return -1;
            }
            if (unif(s) < cfg->nps_weekly / 7) {
                int64_t t = day_ms + (int64_t)(unif(s) * DAY_MS);
                double mean = st->nps_mean + (t >= c->annoy_ms ? c->nps_shift : 0);
                double score = round(mean + gsl_ran_gaussian(s->rng, 1.8));
                if (t <= limit) {
                    lift_event_t *e = ev_new(s, LIFT__EVENT_TYPE__EVENT_NPS, i, t);
                    e->has_nps = 1;
                    e->nps_score = score < 0 ? 0 : score > 10 ? 10 : (int)score;
                    if (ev_done(s)) return -1;
                }
            }
            if (!(unif(s) < st->trigger_rate / 7)) continue;
            /* a trigger */
            int trig = (int)gsl_ran_discrete(s->rng, s->d_trig);
            int chan = (int)gsl_ran_discrete(s->rng, s->d_chan);
            int ticket = unif(s) < cfg->ticket, dispute = unif(s) < cfg->dispute;
            int slot = (int)(unif(s) * SLOTS_PER_DAY);
            pend_t p = {.cust = (int32_t)i, .exp = -1, .arm = -1, .u = unif(s)};
            double odelay = gsl_ran_exponential(s->rng, cfg->organic_delay_days) * DAY_MS;
            if (!in_period) { /* before the experiments: organic only */
                int64_t t = day_ms + (int64_t)((slot + unif(s)) * (DAY_MS / SLOTS_PER_DAY));
                double q = cfg->stage[c->stage].in_market * cfg->trig_prop[trig] * c->prop;
                double u_ref = unif(s);
                int64_t ref_ms =
                    (int64_t)((cfg->refund_lo + unif(s) * (cfg->refund_hi - cfg->refund_lo)) *
                              DAY_MS);
                if (p.u < q && emit_upgrade(s, i, t + (int64_t)odelay, limit, u_ref, ref_ms))
                    return -1;
                continue;
            }
            int key = (((trig * N_ENUM + c->stage) * N_ENUM + chan) * 4 + ticket * 2 + dispute) *
                          SLOTS_PER_DAY +
                      slot;
            group_t proto = {.trig = trig,
                             .stage = c->stage,
                             .chan = chan,
                             .ticket = ticket,
                             .dispute = dispute};
            if (pend_push(s, &p) || group_add(s, key, &proto, day_ms, (int32_t)(s->n_pend - 1))) {
                fprintf(stderr, "liftsim: out of memory\n");
                return -1;
            }
            s->pend[s->n_pend - 1].t_org =
                s->groups[s->pend[s->n_pend - 1].group].t + (int64_t)odelay;
        }
        if (s->n_pend && decide_day(s)) return -1;
        progress(s, d, days, 0);
    }
    return flush_events(s);
}

/* ---- truth ----------------------------------------------------------------------------------- */

typedef struct {
    uint64_t exposed;       /* customers */
    double rev, ups, churn; /* summed truth */
} cell_t;

/* Per experiment: [arm][0] = all, [arm][1 + dim*N_ENUM + level] = segment. */
#define CELLS (1 + 3 * N_ENUM)

static void truth_cells(const sim_t *s, int e, cell_t (*cells)[CELLS])
{
    size_t narms = s->cfg->exp[e]->n_arms;
    memset(cells, 0, narms * sizeof *cells);
    for (long i = 0; i < s->n; i++) {
        const expo_t *x = &s->expo[e][i];
        if (x->arm < 0) continue;
        const truth_t *t = &s->truth[e][i];
        int idx[4] = {0, 1 + x->trig, 1 + N_ENUM + x->stage, 1 + 2 * N_ENUM + x->chan};
        for (int k = 0; k < 4; k++) {
            cell_t *c = &cells[x->arm][idx[k]];
            c->exposed++;
            c->rev += t->rev;
            c->ups += t->ups;
            c->churn += t->churn;
        }
    }
}

static const char *dim_name(int d)
{
    return d == 0 ? "trigger" : d == 1 ? "stage" : "channel";
}

static const char *level_name(int d, int v)
{
    return d == 0 ? lift_trigger_name(v) : d == 1 ? lift_stage_name(v) : lift_channel_name(v);
}

static json_t *cell_json(const cell_t *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "exposed", json_integer((json_int_t)c->exposed));
    json_object_set_new(o, "incremental_revenue_minor", json_real(c->rev));
    json_object_set_new(o, "incremental_revenue_per_exposed_minor",
                        json_real(c->exposed ? c->rev / (double)c->exposed : 0));
    json_object_set_new(o, "extra_upgrades", json_real(c->ups));
    json_object_set_new(o, "extra_churned", json_real(c->churn));
    return o;
}

/* The program-level truth (cfg->prog): what the program added per measured customer and in
 * all, over the customers with a program-eligible decision. */
typedef struct {
    uint64_t held_out, measured, treated; /* customers with a program exposure, by group;
                                             treated = every non-held-out one */
    double rev_measured;                  /* truth summed over the measured customers */
    double rev_treated;                   /* truth summed over every treated one: the program */
    double pulled_measured;               /* of rev_measured, pulled forward into the period */
} prog_truth_t;

static prog_truth_t program_truth(const sim_t *s)
{
    prog_truth_t p = {0};
    for (long i = 0; i < s->n; i++) {
        if (!s->pseen[i] || s->pgroup[i] == LIFT__HOLDOUT_GROUP__GROUP_EXCLUDED) continue;
        double rev = 0;
        for (int e = 0; e < s->cfg->n_exp; e++)
            rev += s->truth[e][i].rev;
        if (s->pgroup[i] == LIFT__HOLDOUT_GROUP__GROUP_HELD_OUT) {
            p.held_out++;
            continue;
        }
        p.treated++;
        p.rev_treated += rev;
        if (s->pgroup[i] == LIFT__HOLDOUT_GROUP__GROUP_MEASURED) {
            p.measured++;
            p.rev_measured += rev;
        }
    }
    for (int w = 0; w < s->nweeks; w++)
        p.pulled_measured += s->pweek_pull[w];
    return p;
}

typedef struct {
    double seconds;    /* wall time of the run */
    char currency[16]; /* liftd's currency ("" when it does not say) */
    int digits;        /* its ISO 4217 minor-unit digits (2 when unknown) */
} run_info_t;

static json_t *truth_json(const sim_t *s, const run_info_t *ri)
{
    json_t *root = json_object();
    json_object_set_new(root, "seed", json_integer((json_int_t)s->o->seed));
    json_object_set_new(root, "weeks", json_integer(s->o->weeks));
    json_object_set_new(root, "customers", json_integer(s->n));
    json_object_set_new(root, "run_tag", json_string(s->tag));
    json_object_set_new(root, "history_days", json_integer(s->cfg->history_days));
    json_object_set_new(root, "history_start_ms", json_integer(s->hist_ms));
    json_object_set_new(root, "start_ms", json_integer(s->start_ms));
    json_object_set_new(root, "end_ms", json_integer(s->end_ms));
    json_object_set_new(root, "seconds", json_real(ri->seconds));
    json_object_set_new(root, "assign_decisions", json_integer((json_int_t)s->decisions));
    json_object_set_new(root, "assign_requests", json_integer((json_int_t)s->pool.assign_calls));
    json_t *ev = json_object();
    for (int t = 1; t <= 6; t++)
        json_object_set_new(ev, lift_event_type_name(t), json_integer((json_int_t)s->by_type[t]));
    json_object_set_new(ev, "total", json_integer((json_int_t)s->n_events));
    json_object_set_new(ev, "accepted", json_integer((json_int_t)s->pool.accepted));
    json_object_set_new(ev, "duplicates", json_integer((json_int_t)s->pool.duplicates));
    json_object_set_new(ev, "rejected", json_integer((json_int_t)s->pool.rejected));
    json_object_set_new(ev, "track_requests", json_integer((json_int_t)s->pool.track_calls));
    json_object_set_new(root, "events", ev);
    json_t *exps = json_array();
    for (int e = 0; e < s->cfg->n_exp; e++) {
        const Lift__Experiment *def = s->cfg->exp[e];
        cell_t(*cells)[CELLS] = calloc(def->n_arms, sizeof *cells);
        if (!cells) break;
        truth_cells(s, e, cells);
        json_t *je = json_object(), *arms = json_array();
        json_object_set_new(je, "key", json_string(def->key));
        for (size_t a = 0; a < def->n_arms; a++) {
            json_t *ja = json_object();
            json_object_set_new(ja, "index", json_integer((json_int_t)a));
            json_object_set_new(ja, "name", json_string(def->arms[a]->name));
            json_object_set_new(ja, "holdout", json_boolean(a == 0));
            json_object_set_new(ja, "exposed", json_integer((json_int_t)cells[a][0].exposed));
            if (a > 0) {
                json_t *all = cell_json(&cells[a][0]);
                json_object_update(ja, all);
                json_decref(all);
            }
            json_t *segs = json_object();
            for (int d = 0; d < 3; d++) {
                json_t *lv = json_array();
                for (int v = 1; v < N_ENUM; v++) {
                    const cell_t *c = &cells[a][1 + d * N_ENUM + v];
                    if (!c->exposed) continue;
                    json_t *jc = a > 0 ? cell_json(c) : json_object();
                    if (a == 0)
                        json_object_set_new(jc, "exposed", json_integer((json_int_t)c->exposed));
                    json_object_set_new(jc, "level", json_string(level_name(d, v)));
                    json_array_append_new(lv, jc);
                }
                json_object_set_new(segs, dim_name(d), lv);
            }
            json_object_set_new(ja, "segments", segs);
            json_array_append_new(arms, ja);
        }
        json_object_set_new(je, "arms", arms);
        json_array_append_new(exps, je);
        free(cells);
    }
    json_object_set_new(root, "experiments", exps);
    if (s->cfg->prog) {
        prog_truth_t p = program_truth(s);
        json_t *jp = json_object(), *wk = json_array();
        json_object_set_new(jp, "key", json_string(s->cfg->prog_key));
        json_object_set_new(jp, "percent", json_real(s->cfg->prog_percent));
        json_object_set_new(jp, "decay_weekly", json_real(s->cfg->prog_decay));
        json_object_set_new(jp, "pull_forward", json_real(s->cfg->prog_pull));
        json_object_set_new(jp, "held_out", json_integer((json_int_t)p.held_out));
        json_object_set_new(jp, "measured", json_integer((json_int_t)p.measured));
        json_object_set_new(jp, "treated", json_integer((json_int_t)p.treated));
        json_object_set_new(jp, "incremental_revenue_per_customer_minor",
                            json_real(p.measured ? p.rev_measured / (double)p.measured : 0));
        json_object_set_new(jp, "incremental_revenue_total_minor", json_real(p.rev_treated));
        json_object_set_new(jp, "pulled_forward_per_customer_minor",
                            json_real(p.measured ? p.pulled_measured / (double)p.measured : 0));
        for (int w = 0; w < s->nweeks; w++) {
            json_t *jw = json_object();
            json_object_set_new(jw, "week", json_integer(w + 1));
            json_object_set_new(jw, "incremental_revenue_per_customer_minor",
                                json_real(p.measured ? s->pweek[w] / (double)p.measured : 0));
            json_object_set_new(jw, "pulled_forward_per_customer_minor",
                                json_real(p.measured ? s->pweek_pull[w] / (double)p.measured : 0));
            json_array_append_new(wk, jw);
        }
        json_object_set_new(jp, "weekly", wk);
        json_object_set_new(
            jp, "definition",
            json_string("per customer = the offers' expected incremental revenue (as for the "
                        "experiments, with the weekly decay and pull-forward) summed over the "
                        "measured customers with a program-eligible decision, / their number; "
                        "total = the same sum over every non-held-out such customer; weekly = "
                        "what the measured customers' offers of each week added, / measured"));
        json_object_set_new(root, "program", jp);
    }
    json_object_set_new(
        root, "definition",
        json_string("incremental revenue = sum over offers to the arm's exposed customers of "
                    "P(delivered) x P(click) x (q(1+e) - q) x upgrade amount x (1 - refund share "
                    "if the refund falls in the period), counting upgrades up to the end; minor "
                    "units; segments = context of the first exposure"));
    return root;
}

/* 1234567 -> "1,234,567" */
static void fmt_count(uint64_t v, char *buf, size_t len)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), o = 0;
    for (int k = 0; k < n && (size_t)o + 2 < len; k++) {
        if (k > 0 && (n - k) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[k];
    }
    buf[o] = 0;
}

/* minor units -> major units with the currency's decimals: "-1,234.56" (2), "4,900" (0) */
static void fmt_money(double minor, char *buf, size_t len, int digits)
{
    if (lift_currency_format(buf, len, minor, digits, 0) != 0) snprintf(buf, len, "n/e");
}

static void print_row(FILE *f, const char *label, const cell_t *c, int digits)
{
    char ex[24], rev[48], per[48];
    fmt_count(c->exposed, ex, sizeof ex);
    fmt_money(c->rev, rev, sizeof rev, digits);
    fmt_money(c->exposed ? c->rev / (double)c->exposed : 0, per, sizeof per, digits);
    fprintf(f, "  %-34s %9s %15s %12s %10.1f %9.1f\n", label, ex, rev, per, c->ups, c->churn);
}

static void truth_table(FILE *f, const sim_t *s, const run_info_t *ri)
{
    char a[24], b[24], n[24], ev[24], dec[24];
    fmt_date(s->start_ms, a, sizeof a);
    fmt_date(s->end_ms, b, sizeof b);
    fmt_count((uint64_t)s->n, n, sizeof n);
    fmt_count(s->n_events, ev, sizeof ev);
    fmt_count(s->decisions, dec, sizeof dec);
    fprintf(f, "liftsim ground truth: seed %lu, %s customers, %d weeks (%s -> %s UTC)\n",
            s->o->seed, n, s->o->weeks, a, b);
    fprintf(f,
            "sent %s events (%" PRIu64 " new, %" PRIu64 " duplicates), %s assign decisions, "
            "%.1f s\n",
            ev, s->pool.accepted, s->pool.duplicates, dec, ri->seconds);
    for (int e = 0; e < s->cfg->n_exp; e++) {
        const Lift__Experiment *def = s->cfg->exp[e];
        cell_t(*cells)[CELLS] = calloc(def->n_arms, sizeof *cells);
        if (!cells) return;
        truth_cells(s, e, cells);
        fprintf(f, "\n%s: exposed", def->key);
        for (size_t k = 0; k < def->n_arms; k++) {
            fmt_count(cells[k][0].exposed, n, sizeof n);
            fprintf(f, "%s %s %s", k ? "," : "", def->arms[k]->name, n);
        }
        fprintf(f,
                "\ntrue incremental revenue vs %s (%s; the expected value the offers added)\n",
                def->arms[0]->name, *ri->currency ? ri->currency : "currency units");
        for (size_t k = 1; k < def->n_arms; k++) {
            fprintf(f, "\n%s vs %s\n", def->arms[k]->name, def->arms[0]->name);
            fprintf(f, "  %-34s %9s %15s %12s %10s %9s\n", "segment (first exposure)", "exposed",
                    "incr. revenue", "per exposed", "+upgrades", "+churned");
            print_row(f, "all", &cells[k][0], ri->digits);
            for (int d = 0; d < 3; d++)
                for (int v = 1; v < N_ENUM; v++) {
                    const cell_t *c = &cells[k][1 + d * N_ENUM + v];
                    if (!c->exposed) continue;
                    char label[48];
                    snprintf(label, sizeof label, "%-8s %s", dim_name(d), level_name(d, v));
                    print_row(f, label, c, ri->digits);
                }
        }
        free(cells);
    }
    if (s->cfg->prog) {
        prog_truth_t p = program_truth(s);
        char per[48], tot[48], pull[48], h[24], m[24];
        fmt_count(p.held_out, h, sizeof h);
        fmt_count(p.measured, m, sizeof m);
        fmt_money(p.measured ? p.rev_measured / (double)p.measured : 0, per, sizeof per,
                  ri->digits);
        fmt_money(p.rev_treated, tot, sizeof tot, ri->digits);
        fmt_money(p.measured ? p.pulled_measured / (double)p.measured : 0, pull, sizeof pull,
                  ri->digits);
        fprintf(f, "\nprogram holdout %s (%g%%; lift x %g per week, %g%% of sure upgraders pulled "
                   "forward): held out %s, measured %s\n",
                s->cfg->prog_key, s->cfg->prog_percent, s->cfg->prog_decay,
                100 * s->cfg->prog_pull, h, m);
        fprintf(f, "  true incremental revenue per customer %s (of it pulled forward %s); "
                   "program total %s\n",
                per, pull, tot);
        fprintf(f, "  by week of the offer (per measured customer):");
        for (int w = 0; w < s->nweeks; w++) {
            fmt_money(p.measured ? s->pweek[w] / (double)p.measured : 0, per, sizeof per,
                      ri->digits);
            fprintf(f, " %s", per);
        }
        fputc('\n', f);
    }
}

/* ---- load mode ----------------------------------------------------------------------------- */

typedef struct {
    int id;                                   /* thread number */
    const opts_t *o;                          /* options */
    const config_t *cfg;                      /* mixes, experiment */
    int64_t run_ms;                           /* run id (wall ms at start) */
    double end_s;                             /* monotonic deadline */
    double start_s;                           /* monotonic start */
    double per_s;                             /* this thread's target requests/s (0 = unpaced) */
    uint64_t assigns, tracks, events, errors; /* done */
    double *lat_a, *lat_t;                    /* latencies, ms */
    size_t n_a, cap_a, n_t, cap_t;            /* latencies */
    char err[256];                            /* first error */
} load_t;

static void lat_push(double **v, size_t *n, size_t *cap, double x)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 4096;
        double *nv = realloc(*v, c * sizeof *nv);
        if (!nv) return;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = x;
}

#define LOAD_BATCH 100 /* events per Track in load mode */

static void load_track(load_t *l, lift_client_t *c, lift_event_t *ev, size_t n)
{
    lift_track_result_t r;
    double t0 = mono_s();
    lift_err_t rc = lift_track(c, ev, n, &r);
    lat_push(&l->lat_t, &l->n_t, &l->cap_t, (mono_s() - t0) * 1000);
    l->tracks++;
    if (rc != LIFT_OK) {
        if (!l->errors++)
            snprintf(l->err, sizeof l->err, "track: %s: %s", lift_err_name(rc),
                     lift_client_error(c));
        return;
    }
    l->events += r.accepted + r.duplicates;
    if (r.n_rejected && !l->errors++)
        snprintf(l->err, sizeof l->err, "event rejected: %s: %s", r.rejected[0].field,
                 r.rejected[0].reason);
    lift_track_result_clear(&r);
}

static void pace(load_t *l, uint64_t k)
{
    if (l->per_s <= 0) return;
    double due = l->start_s + (double)k / l->per_s, now = mono_s();
    if (due > now) {
        double d = due - now;
        struct timespec ts = {(time_t)d, (long)((d - floor(d)) * 1e9)};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
}

static void *load_thread(void *arg)
{
    load_t *l = arg;
    const config_t *cfg = l->cfg;
    lift_client_opts_t co = {.timeout_ms = 5000, .attempts = 3};
    lift_client_t *c = lift_client_new(l->o->endpoint, &co);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_ran_discrete_t *dt = gsl_ran_discrete_preproc(N_ENUM, cfg->trig_share);
    gsl_ran_discrete_t *dc = gsl_ran_discrete_preproc(N_ENUM, cfg->chan_share);
    double ss[N_ENUM];
    for (int k = 0; k < N_ENUM; k++)
        ss[k] = cfg->stage[k].share;
    gsl_ran_discrete_t *ds = gsl_ran_discrete_preproc(N_ENUM, ss);
    static lift_event_t none;
    lift_event_t *ev = calloc(LOAD_BATCH, sizeof *ev);
    char(*ids)[EVID_MAX] = calloc(LOAD_BATCH, EVID_MAX);
    char(*cids)[32] = calloc(LOAD_BATCH, 32);
    if (!c || !rng || !dt || !dc || !ds || !ev || !ids || !cids) {
        snprintf(l->err, sizeof l->err, "cannot set up load thread %d", l->id);
        l->errors++;
        goto done;
    }
    gsl_rng_set(rng, l->o->seed * 1000003UL + (unsigned long)l->id + 1);
    const char *key = cfg->exp[0]->key;
    size_t nb = 0;
    uint64_t k = 0, nev = 0;
    while (mono_s() < l->end_s) {
        pace(l, k++);
        char cid[32];
        snprintf(cid, sizeof cid, "load-c%ld",
                 (long)gsl_rng_uniform_int(rng, (unsigned long)l->o->customers));
        lift_context_t ctx = {.trigger = (int)gsl_ran_discrete(rng, dt),
                              .stage = (int)gsl_ran_discrete(rng, ds),
                              .channel = (int)gsl_ran_discrete(rng, dc)};
        lift_assignment_t a;
        double t0 = mono_s();
        lift_err_t rc = lift_assign(c, key, cid, &ctx, &a);
        lat_push(&l->lat_a, &l->n_a, &l->cap_a, (mono_s() - t0) * 1000);
        l->assigns++;
        if (rc != LIFT_OK) {
            if (!l->errors++)
                snprintf(l->err, sizeof l->err, "assign: %s: %s", lift_err_name(rc),
                         lift_client_error(c));
            continue;
        }
        lift_event_t *e = &ev[nb];
        *e = none;
        snprintf(ids[nb], EVID_MAX, "load-%" PRId64 "-%d-%" PRIu64, l->run_ms, l->id, nev++);
        snprintf(cids[nb], 32, "%s", cid);
        e->event_id = ids[nb];
        e->customer_id = cids[nb];
        e->timestamp_ms = wall_ms();
        if (a.in_experiment && a.arm_index >= 1) {
            e->type = LIFT__EVENT_TYPE__EVENT_IMPRESSION;
            e->experiment_key = key;
            e->has_arm = 1;
            e->arm = a.arm_index;
        } else {
            e->type = LIFT__EVENT_TYPE__EVENT_NPS;
            e->has_nps = 1;
            e->nps_score = (int)gsl_rng_uniform_int(rng, 11);
        }
        lift_assignment_clear(&a);
        if (++nb == LOAD_BATCH) {
            pace(l, k++);
            load_track(l, c, ev, nb);
            nb = 0;
        }
    }
    if (nb) load_track(l, c, ev, nb);
done:
    free(ev);
    free(ids);
    free(cids);
    gsl_ran_discrete_free(dt);
    gsl_ran_discrete_free(dc);
    gsl_ran_discrete_free(ds);
    gsl_rng_free(rng);
    lift_client_destroy(&c);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
    if (!n) return 0;
    size_t k = (size_t)ceil(p * (double)n);
    return v[k ? k - 1 : 0];
}

static int load_run(const opts_t *o, const config_t *cfg)
{
    load_t *ls = calloc((size_t)o->clients, sizeof *ls);
    pthread_t *th = calloc((size_t)o->clients, sizeof *th);
    if (!ls || !th) {
        free(ls), free(th);
        fprintf(stderr, "liftsim: out of memory\n");
        return 1;
    }
    double start = mono_s();
    int64_t run = wall_ms();
    int started = 0;
    for (int i = 0; i < o->clients; i++) {
        ls[i] = (load_t){.id = i,
                         .o = o,
                         .cfg = cfg,
                         .run_ms = run,
                         .start_s = start,
                         .end_s = start + o->duration,
                         .per_s = o->rate / o->clients};
        if (pthread_create(&th[i], NULL, load_thread, &ls[i]) != 0) break;
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    double el = mono_s() - start;
    uint64_t na = 0, nt = 0, ne = 0, nerr = 0;
    size_t la = 0, lt = 0;
    const char *err = NULL;
    for (int i = 0; i < started; i++) {
        na += ls[i].assigns, nt += ls[i].tracks, ne += ls[i].events, nerr += ls[i].errors;
        la += ls[i].n_a, lt += ls[i].n_t;
        if (ls[i].errors && !err) err = ls[i].err;
    }
    double *va = malloc((la ? la : 1) * sizeof *va), *vt = malloc((lt ? lt : 1) * sizeof *vt);
    size_t ka = 0, kt = 0;
    for (int i = 0; i < started && va && vt; i++) {
        memcpy(va + ka, ls[i].lat_a, ls[i].n_a * sizeof *va), ka += ls[i].n_a;
        memcpy(vt + kt, ls[i].lat_t, ls[i].n_t * sizeof *vt), kt += ls[i].n_t;
    }
    if (va && vt) {
        qsort(va, ka, sizeof *va, cmp_double);
        qsort(vt, kt, sizeof *vt, cmp_double);
    } else {
        ka = kt = 0;
    }
    if (o->json) {
        json_t *j = json_pack(
            "{s:i, s:f, s:f, s:I, s:f, s:f, s:f, s:I, s:f, s:f, s:f, s:I, s:f, "
            "s:I}",
            "clients", o->clients, "target_rate", o->rate, "seconds", el, "assign_requests",
            (json_int_t)na, "assignments_per_s", na / el, "assign_p50_ms", pct(va, ka, 0.5),
            "assign_p99_ms", pct(va, ka, 0.99), "track_requests", (json_int_t)nt, "track_p50_ms",
            pct(vt, kt, 0.5), "track_p99_ms", pct(vt, kt, 0.99), "events_per_s", ne / el, "events",
            (json_int_t)ne, "requests_per_s", (na + nt) / el, "errors", (json_int_t)nerr);
        if (j) {
            json_dumpf(j, stdout, JSON_INDENT(2));
            fputc('\n', stdout);
            json_decref(j);
        }
    } else {
        char rate[32];
        if (o->rate > 0)
            snprintf(rate, sizeof rate, "%g req/s", o->rate);
        else
            snprintf(rate, sizeof rate, "unpaced");
        printf("liftsim load: %d client%s, target %s, %.1f s, experiment %s\n", o->clients,
               o->clients == 1 ? "" : "s", rate, el, cfg->exp[0]->key);
        printf("  %-18s %10s %12s %10s %10s\n", "", "requests", "per second", "p50 ms", "p99 ms");
        printf("  %-18s %10" PRIu64 " %12.1f %10.3f %10.3f\n", "assign", na, na / el,
               pct(va, ka, 0.5), pct(va, ka, 0.99));
        printf("  %-18s %10" PRIu64 " %12.1f %10.3f %10.3f\n", "track (100 events)", nt, nt / el,
               pct(vt, kt, 0.5), pct(vt, kt, 0.99));
        printf("  assignments/s %.1f, events/s %.1f (%" PRIu64 " events acknowledged), "
               "requests/s %.1f\n",
               na / el, ne / el, ne, (na + nt) / el);
        if (nerr) printf("  errors: %" PRIu64 " (first: %s)\n", nerr, err ? err : "?");
    }
    for (int i = 0; i < started; i++)
        free(ls[i].lat_a), free(ls[i].lat_t);
    free(va), free(vt), free(ls), free(th);
    if (nerr && err) fprintf(stderr, "liftsim: %" PRIu64 " errors; first: %s\n", nerr, err);
    return nerr || started < o->clients ? 1 : 0;
}

/* ---- main ---------------------------------------------------------------------------------- */

/* FNV-1a 32 over the config file's bytes, --customers and --weeks: the same run gets the same
 * customer and event ids (a rerun is deduplicated), another run cannot collide with it. */
static void run_tag(const opts_t *o, char *buf, size_t len)
{
    uint32_t h = 0x811c9dc5u;
    FILE *f = fopen(o->config, "rb");
    int ch;
    while (f && (ch = getc(f)) != EOF)
        h = (h ^ (uint32_t)ch) * 0x01000193u;
    if (f) fclose(f);
    char extra[64];
    snprintf(extra, sizeof extra, "/%ld/%d", o->customers, o->weeks);
    for (const char *p = extra; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x01000193u;
    snprintf(buf, len, "%08x", h);
}

static int sim_setup(sim_t *s, const opts_t *o, const config_t *cfg)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    s->cfg = cfg;
    s->n = o->customers;
    run_tag(o, s->tag, sizeof s->tag);
    s->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!s->rng) return -1;
    gsl_rng_set(s->rng, o->seed);
    s->d_trig = gsl_ran_discrete_preproc(N_ENUM, cfg->trig_share);
    s->d_chan = gsl_ran_discrete_preproc(N_ENUM, cfg->chan_share);
    s->cust = calloc((size_t)s->n, sizeof *s->cust);
    s->ids = calloc((size_t)s->n, sizeof *s->ids);
    s->id_mem = malloc((size_t)s->n * 48);
    s->group_of = malloc(CTX_KEYS * sizeof *s->group_of);
    if (!s->d_trig || !s->d_chan || !s->cust || !s->ids || !s->id_mem || !s->group_of) return -1;
    for (int k = 0; k < CTX_KEYS; k++)
        s->group_of[k] = -1;
    for (int e = 0; e < cfg->n_exp; e++) {
        s->expo[e] = malloc((size_t)s->n * sizeof *s->expo[e]);
        s->truth[e] = calloc((size_t)s->n, sizeof *s->truth[e]);
        if (!s->expo[e] || !s->truth[e]) return -1;
        for (long i = 0; i < s->n; i++)
            s->expo[e][i] = (expo_t){.arm = -1};
    }
    double ss[N_ENUM];
    for (int k = 0; k < N_ENUM; k++)
        ss[k] = cfg->stage[k].share;
    gsl_ran_discrete_t *ds = gsl_ran_discrete_preproc(N_ENUM, ss);
    gsl_ran_discrete_t *dp = gsl_ran_discrete_preproc((size_t)cfg->n_plans, cfg->plan_share);
    if (!ds || !dp) {
        gsl_ran_discrete_free(ds);
        gsl_ran_discrete_free(dp);
        return -1;
    }
    for (long i = 0; i < s->n; i++) {
        char *id = s->id_mem + (size_t)i * 48;
        snprintf(id, 48, "s%lu-%.8s-c%06ld", o->seed, s->tag, i);
        s->ids[i] = id;
        cust_t *c = &s->cust[i];
        c->churn_ms = NONE_MS;
        c->annoy_ms = NONE_MS;
        c->stage = (uint8_t)gsl_ran_discrete(s->rng, ds);
        c->plan = (uint8_t)gsl_ran_discrete(s->rng, dp);
        c->prop = (float)gsl_ran_gamma(s->rng, cfg->prop_shape, 1.0 / cfg->prop_shape);
    }
    gsl_ran_discrete_free(ds);
    gsl_ran_discrete_free(dp);
    if (cfg->prog) {
        Lift__Holdout h = LIFT__HOLDOUT__INIT;
        h.key = (char *)cfg->prog_key;
        h.seed = (char *)cfg->prog_key;
        h.percent = cfg->prog_percent;
        s->nweeks = o->weeks;
        s->pgroup = malloc((size_t)s->n);
        s->pseen = calloc((size_t)s->n, 1);
        s->pweek = calloc((size_t)s->nweeks, sizeof *s->pweek);
        s->pweek_pull = calloc((size_t)s->nweeks, sizeof *s->pweek_pull);
        if (!s->pgroup || !s->pseen || !s->pweek || !s->pweek_pull) return -1;
        for (long i = 0; i < s->n; i++) {
            int g = lift_holdout_group(&h, s->ids[i], strlen(s->ids[i]));
            s->pgroup[i] = (uint8_t)(g < 0 ? LIFT__HOLDOUT_GROUP__GROUP_NONE : g);
        }
    }
    return 0;
}

static void sim_free(sim_t *s)
{
    for (size_t g = 0; g < s->cap_groups; g++)
        free(s->groups[g].members);
    free(s->groups);
    free(s->pend);
    free(s->group_of);
    for (int e = 0; e < MAX_EXP; e++)
        free(s->expo[e]), free(s->truth[e]);
    free(s->cust);
    free(s->ids);
    free(s->id_mem);
    free(s->pgroup);
    free(s->pseen);
    free(s->pweek);
    free(s->pweek_pull);
    if (s->cur) free(s->cur->batch), free(s->cur);
    gsl_ran_discrete_free(s->d_trig);
    gsl_ran_discrete_free(s->d_chan);
    gsl_rng_free(s->rng);
}

int main(int argc, char **argv)
{
    opts_t o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : 2;
    gsl_set_error_handler_off();
    config_t cfg;
    if (config_load(o.config, &cfg)) return 2;

    lift_client_opts_t co = {.timeout_ms = 2000, .attempts = 2};
    char eperr[512];
    lift_client_t *c = NULL;
    if (lift_endpoints_check(o.endpoint, eperr, sizeof eperr) < 0 ||
        (c = lift_client_new(o.endpoint, &co)) == NULL) {
        if (c == NULL && !*eperr) snprintf(eperr, sizeof eperr, "%s", strerror(errno));
        fprintf(stderr, "liftsim: --endpoint: %s\n", eperr);
        config_free(&cfg);
        return 2;
    }
    lift_server_info_t info;
    lift_err_t lr = lift_server_info(c, &info);
    int64_t server_now = info.now_ms;
    if (lr != LIFT_OK) {
        fprintf(stderr, "liftsim: cannot reach liftd at %s: %s\n", o.endpoint,
                lift_client_error(c));
        lift_client_destroy(&c);
        config_free(&cfg);
        return 1;
    }
    /* The period ends at the start of the current hour by the server's clock (it bounds future
     * timestamps): a rerun with the same seed within the hour sends every event with the same
     * content, so liftd counts it as a duplicate (the same event_id with other content — a
     * shifted timestamp — would be a conflict). */
    int64_t end_ms = server_now ? server_now : wall_ms();
    end_ms -= end_ms % (3600 * 1000);
    int64_t start_ms = end_ms - (int64_t)o.weeks * 7 * DAY_MS;
    if ((cfg.prog && holdout_ensure(c, &cfg, start_ms)) ||
        experiments_ensure(c, &cfg, start_ms, o.quiet)) {
        lift_client_destroy(&c);
        config_free(&cfg);
        return 1;
    }
    lift_client_destroy(&c);
    if (o.load) {
        rc = load_run(&o, &cfg);
        config_free(&cfg);
        return rc;
    }

    sim_t s;
    double t0 = mono_s();
    if (sim_setup(&s, &o, &cfg)) {
        fprintf(stderr, "liftsim: out of memory for %ld customers\n", o.customers);
        sim_free(&s);
        config_free(&cfg);
        return 1;
    }
    s.end_ms = end_ms;
    s.start_ms = start_ms;
    s.hist_ms = start_ms - (int64_t)cfg.history_days * DAY_MS;
    s.progress = !o.quiet && isatty(2);
    s.t0 = t0;
    rc = 0;
    if (pool_start(&s.pool, o.endpoint, o.clients, o.local) || simulate(&s) || pool_wait(&s.pool, 0, 0))
        rc = 1;
    pool_stop(&s.pool);
    if (s.pool.failed) /* --local: the last flush */
        rc = 1;
    progress(&s, cfg.history_days + 7 * o.weeks - 1, cfg.history_days + 7 * o.weeks, 1);
    run_info_t ri = {mono_s() - t0, "", 2};
    snprintf(ri.currency, sizeof ri.currency, "%s", info.currency);
    if (lift_currency_digits(info.currency) >= 0) ri.digits = lift_currency_digits(info.currency);
    if (rc) {
        fprintf(stderr, "liftsim: %s\n", s.pool.err[0] ? s.pool.err : "simulation failed");
    } else {
        if (s.pool.rejected) {
            fprintf(stderr, "liftsim: liftd rejected %" PRIu64 " events; first: %s\n",
                    s.pool.rejected, s.pool.reject_msg);
            rc = 1;
        }
        json_t *j = truth_json(&s, &ri);
        if (o.truth && json_dump_file(j, o.truth, JSON_INDENT(2)) != 0) {
            fprintf(stderr, "liftsim: --truth: cannot write '%s': %s\n", o.truth, strerror(errno));
            rc = 1;
        }
        if (o.json) {
            json_dumpf(j, stdout, JSON_INDENT(2));
            fputc('\n', stdout);
        } else {
            truth_table(stdout, &s, &ri);
        }
        json_decref(j);
    }
    sim_free(&s);
    config_free(&cfg);
    return rc;
}
