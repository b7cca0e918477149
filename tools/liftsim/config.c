/* config: loading and checking liftsim's config file (see config.h). Each section has its own
 * loader; a loader prints its error (file: path: reason) and returns -1. */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/lift.h"

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
    if (!json_is_object(v))
        return jerr(w, "must be an object");
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
        if (required)
            return jerr(&k, "required (a number in %g..%g)", lo, hi);
        return 0;
    }
    if (!json_is_number(v))
        return jerr(&k, "must be a number in %g..%g", lo, hi);
    double d = json_number_value(v);
    if (!isfinite(d) || d < lo || d > hi)
        return jerr(&k, "%g is outside %g..%g", d, lo, hi);
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
    if (!json_is_object(obj))
        return jerr(w, "must be an object keyed by %s", names());
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)obj, key, x)
    {
        if (strcmp(key, "_comment") == 0)
            continue;
        jw_t k = jat(w, key, -1);
        int e;
        if (parse(key, &e) != 0)
            return jerr(&k, "unknown name (one of %s)", names());
        if (fn(cfg, &k, e, x) != 0)
            return -1;
    }
    return 0;
}

static int stage_fn(config_t *c, const jw_t *w, int s, const json_t *v)
{
    static const char *const f[] = {"share",        "trigger_rate", "in_market", "organic_weekly",
                                    "churn_weekly", "nps_mean",     "next",      NULL};
    config_stage_t *st = &c->stage[s];
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
        if (sum > 1 + 1e-9)
            return jerr(&nw, "probabilities sum to %g, more than 1", sum);
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
    if (fabs(s - 1) > 1e-6)
        return jerr(w, "%s shares sum to %g, must sum to 1", what, s);
    return 0;
}

/* One config experiment (the shape of examples/experiment.json, "_comment" keys allowed) with a
 * key and 2..CONFIG_MAX_ARMS named arms; the caller frees it with lift__experiment__free_unpacked.
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
    if (e == NULL)
        return NULL;
    int ok = 0;
    if (!e->key) {
        jerr(w, "key is required");
    } else if (e->n_arms < 2) {
        jerr(w, "arms is required (2..%d arms; arm 0 is the holdout)", CONFIG_MAX_ARMS);
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
    if (ok)
        return e;
    lift__experiment__free_unpacked(e, NULL);
    return NULL;
}

static int arm_index(const Lift__Experiment *e, const char *name)
{
    for (size_t i = 0; i < e->n_arms; i++)
        if (e->arms[i]->name && strcmp(e->arms[i]->name, name) == 0)
            return (int)i;
    return -1;
}

static int rule_fn(config_t *c, const jw_t *w, const json_t *v)
{
    static const char *const f[] = {"experiment",   "arm",       "trigger",   "stage", "channel",
                                    "upgrade_lift", "churn_add", "nps_shift", NULL};
    if (c->n_rules == CONFIG_MAX_RULES)
        return jerr(w, "at most %d effect rules", CONFIG_MAX_RULES);
    config_rule_t *r = &c->rules[c->n_rules];
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
            if (json_is_string(x) && strcmp(c->exp[i]->key, json_string_value(x)) == 0)
                r->exp = i;
        if (r->exp < 0)
            return jerr(&k, "not the key of an experiment in this config");
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
        if (!found)
            return jerr(&k, "'%s' is not an arm of any experiment in this config", r->arm);
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

void config_clear(config_t *c)
{
    for (int i = 0; i < c->n_exp; i++)
        lift__experiment__free_unpacked(c->exp[i], NULL);
    c->n_exp = 0;
}

/* experiments first: effect rules and offers name their arms */
static int load_experiments(config_t *c, const jw_t *w, const json_t *root)
{
    jw_t ew = jat(w, "experiments", -1);
    json_t *x = json_object_get(root, "experiments");
    if (!json_is_array(x) || json_array_size(x) < 1 || json_array_size(x) > CONFIG_MAX_EXP)
        return jerr(&ew,
                    "must be an array of 1..%d experiments (the shape of examples/experiment.json)",
                    CONFIG_MAX_EXP);
    for (size_t i = 0; i < json_array_size(x); i++) {
        jw_t iw = jat(&ew, NULL, (int)i);
        if ((c->exp[c->n_exp] = experiment_load(&iw, json_array_get(x, i))) == NULL)
            return -1;
        c->n_exp++;
        for (int j = 0; j + 1 < c->n_exp; j++)
            if (strcmp(c->exp[j]->key, c->exp[c->n_exp - 1]->key) == 0)
                return jerr(&iw, "key '%s' appears twice", c->exp[j]->key);
    }
    return 0;
}

static int load_plans(config_t *c, const jw_t *w, const json_t *root)
{
    jw_t pw = jat(w, "plans", -1);
    json_t *x = json_object_get(root, "plans");
    if (!json_is_array(x) || json_array_size(x) < 1 || json_array_size(x) > CONFIG_MAX_PLANS)
        return jerr(&pw, "must be an array of 1..%d plans {name, price, share}, cheapest first",
                    CONFIG_MAX_PLANS);
    for (size_t i = 0; i < json_array_size(x); i++) {
        static const char *const f[] = {"name", "price", "share", NULL};
        jw_t iw = jat(&pw, NULL, (int)i), nw = jat(&iw, "name", -1);
        json_t *p = json_array_get(x, i), *n;
        double price = 0;
        if (jobject(&iw, p, f) || jnum(&iw, p, "price", 1, 1e12, 1, &price) ||
            jnum(&iw, p, "share", 0, 1, 1, &c->plan_share[i]))
            return -1;
        n = json_object_get(p, "name");
        if (!json_is_string(n) || !*json_string_value(n) || strlen(json_string_value(n)) > 32)
            return jerr(&nw, "must be a plan name of 1..32 bytes");
        snprintf(c->plan_name[i], sizeof c->plan_name[i], "%s", json_string_value(n));
        c->plan_price[i] = (int64_t)price;
        if (i > 0 && c->plan_price[i] <= c->plan_price[i - 1]) {
            jw_t prw = jat(&iw, "price", -1);
            return jerr(&prw, "plans must be listed cheapest first (%" PRId64 " <= %" PRId64 ")",
                        c->plan_price[i], c->plan_price[i - 1]);
        }
        c->n_plans++;
    }
    return mix_check(&pw, "plan", c->plan_share, c->n_plans);
}

/* stages, triggers, channels */
static int load_mixes(config_t *c, const jw_t *w, const json_t *root)
{
    jw_t sw = jat(w, "stages", -1), tw = jat(w, "triggers", -1), cw = jat(w, "channels", -1);
    for (int s = 1; s < CONFIG_N_ENUM; s++)
        c->stage[s].nps_mean = -1; /* marks "not given" */
    if (jenum_map(&sw, json_object_get(root, "stages"), lift_stage_parse, lift_stage_names,
                  stage_fn, c))
        return -1;
    for (int s = 1; s < CONFIG_N_ENUM; s++)
        if (c->stage[s].nps_mean < 0)
            return jerr(&sw, "stage '%s' is missing (all of %s are needed)", lift_stage_name(s),
                        lift_stage_names());
    double ss[CONFIG_N_ENUM];
    for (int s = 0; s < CONFIG_N_ENUM; s++)
        ss[s] = c->stage[s].share;
    if (mix_check(&sw, "stage", ss, CONFIG_N_ENUM) ||
        jenum_map(&tw, json_object_get(root, "triggers"), lift_trigger_parse, lift_trigger_names,
                  trigger_fn, c) ||
        mix_check(&tw, "trigger", c->trig_share, CONFIG_N_ENUM) ||
        jenum_map(&cw, json_object_get(root, "channels"), lift_channel_parse, lift_channel_names,
                  channel_fn, c) ||
        mix_check(&cw, "channel", c->chan_share, CONFIG_N_ENUM))
        return -1;
    return 0;
}

/* offers: delays per treatment arm name */
static int load_offers(config_t *c, const jw_t *w, const json_t *root)
{
    for (int e = 0; e < c->n_exp; e++)
        for (int a = 0; a < CONFIG_MAX_ARMS; a++)
            c->delay_lo[e][a] = 0, c->delay_hi[e][a] = 5;
    jw_t ow = jat(w, "offers", -1);
    json_t *x = json_object_get(root, "offers");
    if (!x)
        return 0;
    if (!json_is_object(x))
        return jerr(&ow, "must be an object {arm name: {\"delay_minutes\": [lo, hi]}}");
    const char *key;
    json_t *y;
    json_object_foreach(x, key, y)
    {
        static const char *const f[] = {"delay_minutes", NULL};
        if (strcmp(key, "_comment") == 0)
            continue;
        jw_t k = jat(&ow, key, -1);
        double lo, hi;
        if (jobject(&k, y, f) || jrange(&k, y, "delay_minutes", 0, 60 * 24 * 30, &lo, &hi))
            return -1;
        int found = 0;
        for (int e = 0; e < c->n_exp; e++) {
            int a = arm_index(c->exp[e], key);
            if (a >= 0) {
                c->delay_lo[e][a] = lo, c->delay_hi[e][a] = hi;
                found = 1;
            }
        }
        if (!found)
            return jerr(&k, "not an arm of any experiment in this config");
    }
    return 0;
}

/* refunds, suppression, scalars */
static int load_scalars(config_t *c, const jw_t *w, const json_t *root)
{
    static const char *const rf[] = {"share", "after_days", NULL};
    static const char *const sf[] = {"open_support_ticket", "billing_dispute", NULL};
    jw_t rw = jat(w, "refunds", -1), uw = jat(w, "suppression", -1);
    json_t *refunds = json_object_get(root, "refunds"), *sup = json_object_get(root, "suppression");
    if (!refunds || jobject(&rw, refunds, rf) ||
        jnum(&rw, refunds, "share", 0, 1, 1, &c->refund_share) ||
        jrange(&rw, refunds, "after_days", 0, 365, &c->refund_lo, &c->refund_hi))
        return -1;
    if (!sup || jobject(&uw, sup, sf) ||
        jnum(&uw, sup, "open_support_ticket", 0, 1, 1, &c->ticket) ||
        jnum(&uw, sup, "billing_dispute", 0, 1, 1, &c->dispute))
        return -1;
    if (jnum(w, root, "nps_weekly", 0, 7, 1, &c->nps_weekly) ||
        jnum(w, root, "propensity_shape", 0.01, 1000, 1, &c->prop_shape) ||
        jnum(w, root, "organic_delay_days", 0, 60, 1, &c->organic_delay_days))
        return -1;
    return 0;
}

/* program holdout (optional) */
static int load_program(config_t *c, const jw_t *w, const json_t *root)
{
    json_t *ph = json_object_get(root, "program_holdout");
    if (!ph)
        return 0;
    static const char *const pf[] = {"key", "percent", "decay_weekly", "pull_forward", NULL};
    jw_t hw = jat(w, "program_holdout", -1), kw = jat(&hw, "key", -1);
    json_t *k = json_object_get(ph, "key");
    c->prog_decay = 1;
    if (jobject(&hw, ph, pf) || jnum(&hw, ph, "percent", 0.01, 50, 1, &c->prog_percent) ||
        jnum(&hw, ph, "decay_weekly", 0, 1, 0, &c->prog_decay) ||
        jnum(&hw, ph, "pull_forward", 0, 1, 0, &c->prog_pull))
        return -1;
    if (!json_is_string(k) || json_string_length(k) < 1 || json_string_length(k) > 64)
        return jerr(&kw, "required: the holdout key, [a-z0-9-_.]{1,64}");
    snprintf(c->prog_key, sizeof c->prog_key, "%s", json_string_value(k));
    c->prog = 1;
    return 0;
}

static int load_effects(config_t *c, const jw_t *w, const json_t *root)
{
    jw_t fw = jat(w, "effects", -1);
    json_t *x = json_object_get(root, "effects");
    if (!json_is_array(x))
        return jerr(&fw, "must be an array of rules {arm, experiment, trigger, stage, channel, "
                         "upgrade_lift, churn_add, nps_shift}");
    for (size_t i = 0; i < json_array_size(x); i++) {
        jw_t iw = jat(&fw, NULL, (int)i);
        if (rule_fn(c, &iw, json_array_get(x, i)))
            return -1;
    }
    return 0;
}

int config_load(const char *file, config_t *c)
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
    if (jobject(&w, root, top) || jnum(&w, root, "history_days", 0, 365, 1, &hd))
        goto out;
    c->history_days = (int)hd;
    if (hd != floor(hd)) {
        jw_t k = jat(&w, "history_days", -1);
        jerr(&k, "must be a whole number of days");
        goto out;
    }
    if (load_experiments(c, &w, root) || load_plans(c, &w, root) || load_mixes(c, &w, root) ||
        load_offers(c, &w, root) || load_scalars(c, &w, root) || load_program(c, &w, root) ||
        load_effects(c, &w, root))
        goto out;
    rc = 0;
out:
    json_decref(root);
    if (rc)
        config_clear(c);
    return rc;
}

const config_rule_t *config_rule_match(const config_t *c, int e, int arm, int trig, int stage,
                                       int chan)
{
    for (int i = 0; i < c->n_rules; i++) {
        const config_rule_t *r = &c->rules[i];
        if ((r->exp >= 0 && r->exp != e) || (r->arm[0] && r->arm_idx[e] != arm) ||
            (r->trigger && r->trigger != trig) || (r->stage && r->stage != stage) ||
            (r->channel && r->channel != chan))
            continue;
        return r;
    }
    return NULL;
}
