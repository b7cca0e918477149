/* model: the simulated customer base of liftsim (see model.h) — customers, their behaviour day
 * by day, the offers of the arms liftd assigns, the events sent, and the ground truth. */
#include "model.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "lift/currency.h"
#include "lift/lift.h"
#include "lift/local.h"
#include "pool.h"
#include "simtime.h"

#define SLOTS_PER_DAY 4  /* assignment batches per context and day */
#define TRACK_INFLIGHT 8 /* track batches queued before the simulation waits */
#define NONE_MS INT64_MAX

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

struct model {
    const opts_t *o;                     /* options */
    const config_t *cfg;                 /* model */
    gsl_rng *rng;                        /* the only source of randomness */
    gsl_ran_discrete_t *d_trig, *d_chan; /* mixes */
    long n;                              /* customers */
    cust_t *cust;                        /* customers */
    char *id_mem;                        /* customer id strings */
    const char **ids;                    /* customer ids */
    expo_t *expo[CONFIG_MAX_EXP];        /* per experiment, per customer */
    truth_t *truth[CONFIG_MAX_EXP];      /* per experiment, per customer */
    int64_t hist_ms, start_ms, end_ms;   /* history start, experiment start, now */
    pool_t pool;                         /* senders */
    pool_job_t *cur;                     /* track batch being filled */
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
    uint8_t *pgroup;    /* per customer: lift_holdout_group, liftd's function */
    uint8_t *pseen;     /* per customer: had a program-eligible decision */
    double *pweek;      /* per week of the period: incremental revenue that
                                            measured customers' offers of that week added */
    double *pweek_pull; /* of it, pulled forward into the period */
    int nweeks;         /* entries in pweek */
};

#define CTX_KEYS (CONFIG_N_ENUM * CONFIG_N_ENUM * CONFIG_N_ENUM * 4 * SLOTS_PER_DAY)

static double unif(model_t *s)
{
    return gsl_rng_uniform(s->rng);
}

static int flush_events(model_t *s)
{
    if (!s->cur)
        return 0;
    pool_job_t *j = s->cur;
    s->cur = NULL;
    pool_submit(&s->pool, j);
    return pool_wait(&s->pool, SIZE_MAX, TRACK_INFLIGHT);
}

/* A new event in the current batch; the caller fills the rest, then calls ev_done(). */
static lift_event_t *ev_new(model_t *s, int type, long cust, int64_t ts)
{
    if (!s->cur) {
        pool_job_t *j = calloc(1, sizeof *j);
        pool_batch_t *b = j ? malloc(sizeof *b) : NULL;
        if (!b) {
            fprintf(stderr, "liftsim: out of memory\n");
            exit(1);
        }
        b->n = 0;
        j->is_track = 1;
        j->batch = b;
        s->cur = j;
    }
    pool_batch_t *b = s->cur->batch;
    size_t k = b->n++;
    snprintf(b->ids[k], POOL_EVID_MAX, "sim-%lu-%s-%" PRIu64, s->o->seed, s->tag, s->n_events++);
    lift_event_t *e = &b->ev[k];
    memset(e, 0, sizeof *e);
    e->event_id = b->ids[k];
    e->customer_id = s->ids[cust];
    e->type = type;
    e->timestamp_ms = ts;
    s->by_type[type]++;
    return e;
}

static int ev_done(model_t *s)
{
    if (s->cur->batch->n == POOL_TRACK_BATCH)
        return flush_events(s);
    return 0;
}

/* An upgrade of customer i at t (one plan up) with its refund decided by the pre-drawn u_ref and
 * delay; nothing when t is after limit or the customer is on the top plan. */
static int emit_upgrade(model_t *s, long i, int64_t t, int64_t limit, double u_ref, int64_t ref_ms)
{
    cust_t *c = &s->cust[i];
    const config_t *cfg = s->cfg;
    if (t > limit || c->plan + 1 >= cfg->n_plans)
        return 0;
    int64_t amount = cfg->plan_price[c->plan + 1];
    lift_event_t *e = ev_new(s, LIFT__EVENT_TYPE__EVENT_CONVERSION, i, t);
    e->has_amount = 1;
    e->amount_minor = amount;
    e->plan_from = cfg->plan_name[c->plan];
    e->plan_to = cfg->plan_name[c->plan + 1];
    c->plan++;
    if (ev_done(s))
        return -1;
    if (u_ref < cfg->refund_share && t + ref_ms <= s->end_ms) {
        e = ev_new(s, LIFT__EVENT_TYPE__EVENT_REFUND, i, t + ref_ms);
        e->has_amount = 1;
        e->amount_minor = amount;
        if (ev_done(s))
            return -1;
    }
    return 0;
}

static int emit_churn(model_t *s, long i, int64_t t)
{
    cust_t *c = &s->cust[i];
    c->churn_ms = t;
    lift_event_t *e = ev_new(s, LIFT__EVENT_TYPE__EVENT_CHURN, i, t);
    e->plan_from = s->cfg->plan_name[c->plan];
    return ev_done(s);
}

/* Revenue factor of an upgrade at t that is refunded with the config's share ref_ms later. */
static double kept(const model_t *s, int64_t t, int64_t limit, int64_t ref_ms)
{
    if (t > limit)
        return 0;
    return 1 - (t + ref_ms <= s->end_ms ? s->cfg->refund_share : 0);
}

/* Resolves one trigger of customer p->cust at t (after liftd answered): the offer of a treatment
 * arm, the organic upgrade chance, and the truth. */
static int resolve_trigger(model_t *s, const pend_t *p, const group_t *g)
{
    const config_t *cfg = s->cfg;
    long i = p->cust;
    cust_t *c = &s->cust[i];
    int64_t t = g->t, limit = c->churn_ms < s->end_ms ? c->churn_ms : s->end_ms;
    double q = cfg->stage[g->stage].in_market * cfg->trig_prop[g->trig] * c->prop;
    if (q > 1)
        q = 1;
    double u_ref = unif(s);
    int64_t ref_ms =
        (int64_t)((cfg->refund_lo + unif(s) * (cfg->refund_hi - cfg->refund_lo)) * SIMTIME_DAY_MS);
    if (p->exp < 0 || p->arm < 1) /* holdout, untreated, not in any experiment: organic */
        return p->u < q ? emit_upgrade(s, i, p->t_org, limit, u_ref, ref_ms) : 0;

    /* A treatment arm: the offer goes out. Times are drawn before outcomes (exact truth). */
    int e = p->exp, arm = p->arm;
    const config_rule_t *r = config_rule_match(cfg, e, arm, g->trig, g->stage, g->chan);
    double lift = r ? r->upgrade_lift : 0, churn_add = r ? r->churn_add : 0;
    int week = t > s->start_ms ? (int)((t - s->start_ms) / (7 * SIMTIME_DAY_MS)) : 0;
    if (cfg->prog && cfg->prog_decay < 1) /* the program's lift fades week after week */
        lift *= pow(cfg->prog_decay, week);
    double lo = cfg->delay_lo[e][arm], hi = cfg->delay_hi[e][arm];
    int64_t t_imp = t + (int64_t)((lo + unif(s) * (hi - lo)) * SIMTIME_MINUTE_MS);
    int64_t t_click = t_imp + (int64_t)(gsl_ran_exponential(s->rng, 10.0) * SIMTIME_MINUTE_MS);
    int64_t t_up = t_click + (int64_t)(gsl_ran_exponential(s->rng, 30.0) * SIMTIME_MINUTE_MS);
    int64_t t_churn = t_imp + (int64_t)(gsl_ran_exponential(s->rng, 3.0) * SIMTIME_DAY_MS);
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
    if (ev_done(s))
        return -1;
    if (r && r->nps_shift != 0) {
        c->nps_shift = (float)r->nps_shift;
        if (t_imp < c->annoy_ms)
            c->annoy_ms = t_imp;
    }
    int churned_now = 0;
    if (churn_add > 0 && c->churn_ms == NONE_MS && u_churn < churn_add && t_churn <= s->end_ms)
        churned_now = 1;
    if (clicked && t_click <= limit) {
        ev = ev_new(s, LIFT__EVENT_TYPE__EVENT_CLICK, i, t_click);
        ev->experiment_key = cfg->exp[e]->key;
        ev->has_arm = 1;
        ev->arm = arm;
        if (ev_done(s))
            return -1;
        if (p->u < q && p->u < q1) {
            int64_t when = u_pull < cfg->prog_pull ? t_pull : p->t_org;
            if (emit_upgrade(s, i, when, limit, u_ref, ref_ms))
                return -1;
        } else if (p->u < q1) {
            if (emit_upgrade(s, i, t_up, limit, u_ref, ref_ms))
                return -1;
        }
    } else if (p->u < q) {
        if (emit_upgrade(s, i, p->t_org, limit, u_ref, ref_ms))
            return -1;
    }
    if (churned_now && emit_churn(s, i, t_churn))
        return -1;
    return 0;
}

/* The array v of *cap elements of size bytes, doubled (first elements when empty) and the new
 * ones zeroed: the moved array with *cap updated, or NULL (v and *cap untouched). */
static void *grow(void *v, size_t *cap, size_t first, size_t size)
{
    size_t c = *cap ? 2 * *cap : first;
    unsigned char *nv = realloc(v, c * size);
    if (!nv)
        return NULL;
    memset(nv + *cap * size, 0, (c - *cap) * size);
    *cap = c;
    return nv;
}

static int pend_push(model_t *s, const pend_t *p)
{
    if (s->n_pend == s->cap_pend) {
        pend_t *np = grow(s->pend, &s->cap_pend, 4096, sizeof *np);
        if (!np)
            return -1;
        s->pend = np;
    }
    s->pend[s->n_pend++] = *p;
    return 0;
}

static int group_add(model_t *s, int key, const group_t *proto, int64_t day_ms, int32_t member)
{
    int gi = s->group_of[key];
    if (gi < 0) {
        if (s->n_groups == s->cap_groups) {
            group_t *ng = grow(s->groups, &s->cap_groups, 256, sizeof *ng);
            if (!ng)
                return -1;
            s->groups = ng;
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
        g->t = day_ms + slot * (SIMTIME_DAY_MS / SLOTS_PER_DAY) +
               (int64_t)(unif(s) * (double)(SIMTIME_DAY_MS / SLOTS_PER_DAY));
        s->group_of[key] = gi;
    }
    group_t *g = &s->groups[gi];
    if (g->n == g->cap) {
        int32_t *nm = grow(g->members, &g->cap, 64, sizeof *nm);
        if (!nm)
            return -1;
        g->members = nm;
    }
    g->members[g->n++] = member;
    s->pend[member].group = gi;
    return 0;
}

/* Asks liftd about today's triggers (experiments in order, each customer until one has them),
 * then resolves them in a fixed order. */
static int decide_day(model_t *s)
{
    const config_t *cfg = s->cfg;
    size_t n_jobs_max = 0;
    for (size_t g = 0; g < s->n_groups; g++)
        n_jobs_max += (s->groups[g].n + LIFT_BATCH_MAX - 1) / LIFT_BATCH_MAX;
    pool_job_t *jobs = calloc(n_jobs_max ? n_jobs_max : 1, sizeof *jobs);
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
                if (p->exp >= 0)
                    continue;
                who[used] = g->members[m];
                idv[used++] = s->ids[p->cust];
            }
            for (size_t off = first; off < used; off += LIFT_BATCH_MAX) {
                pool_job_t *j = &jobs[nj++];
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
            pool_job_t *j = &jobs[k];
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
            lift_assignments_free(&j->out);
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

static void progress(model_t *s, int day, int days, int final)
{
    if (!s->progress)
        return;
    double el = simtime_mono_s() - s->t0;
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

static int model_simulate(model_t *s)
{
    const config_t *cfg = s->cfg;
    int days = cfg->history_days + 7 * s->o->weeks;
    for (int d = 0; d < days; d++) {
        int64_t day_ms = s->hist_ms + (int64_t)d * SIMTIME_DAY_MS;
        int in_period = d >= cfg->history_days;
        if (day_ms > s->end_ms)
            break;
        for (long i = 0; i < s->n; i++) {
            cust_t *c = &s->cust[i];
            if (c->churn_ms <= day_ms)
                continue;
            const config_stage_t *st = &cfg->stage[c->stage];
            if (d > 0 && d % 7 == 0) { /* weekly stage move */
                double u = unif(s), acc = 0;
                for (int to = 1; to < CONFIG_N_ENUM; to++) {
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
                int64_t t = day_ms + (int64_t)(unif(s) * SIMTIME_DAY_MS);
                if (t <= s->end_ms && emit_churn(s, i, t))
                    return -1;
                limit = c->churn_ms < s->end_ms ? c->churn_ms : s->end_ms;
            }
            if (unif(s) < st->organic_weekly * c->prop / 7) {
                double u_ref = unif(s);
                int64_t ref_ms =
                    (int64_t)((cfg->refund_lo + unif(s) * (cfg->refund_hi - cfg->refund_lo)) *
                              SIMTIME_DAY_MS);
                if (emit_upgrade(s, i, day_ms + (int64_t)(unif(s) * SIMTIME_DAY_MS), limit, u_ref,
                                 ref_ms))
                    return -1;
            }
            if (unif(s) < cfg->nps_weekly / 7) {
                int64_t t = day_ms + (int64_t)(unif(s) * SIMTIME_DAY_MS);
                double mean = st->nps_mean + (t >= c->annoy_ms ? c->nps_shift : 0);
                double score = round(mean + gsl_ran_gaussian(s->rng, 1.8));
                if (t <= limit) {
                    lift_event_t *e = ev_new(s, LIFT__EVENT_TYPE__EVENT_NPS, i, t);
                    e->has_nps = 1;
                    e->nps_score = score < 0 ? 0 : score > 10 ? 10 : (int)score;
                    if (ev_done(s))
                        return -1;
                }
            }
            if (!(unif(s) < st->trigger_rate / 7))
                continue;
            /* a trigger */
            int trig = (int)gsl_ran_discrete(s->rng, s->d_trig);
            int chan = (int)gsl_ran_discrete(s->rng, s->d_chan);
            int ticket = unif(s) < cfg->ticket, dispute = unif(s) < cfg->dispute;
            int slot = (int)(unif(s) * SLOTS_PER_DAY);
            pend_t p = {.cust = (int32_t)i, .exp = -1, .arm = -1, .u = unif(s)};
            double odelay = gsl_ran_exponential(s->rng, cfg->organic_delay_days) * SIMTIME_DAY_MS;
            if (!in_period) { /* before the experiments: organic only */
                int64_t t = day_ms + (int64_t)((slot + unif(s)) * (SIMTIME_DAY_MS / SLOTS_PER_DAY));
                double q = cfg->stage[c->stage].in_market * cfg->trig_prop[trig] * c->prop;
                double u_ref = unif(s);
                int64_t ref_ms =
                    (int64_t)((cfg->refund_lo + unif(s) * (cfg->refund_hi - cfg->refund_lo)) *
                              SIMTIME_DAY_MS);
                if (p.u < q && emit_upgrade(s, i, t + (int64_t)odelay, limit, u_ref, ref_ms))
                    return -1;
                continue;
            }
            int key = (((trig * CONFIG_N_ENUM + c->stage) * CONFIG_N_ENUM + chan) * 4 + ticket * 2 +
                       dispute) *
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
        if (s->n_pend && decide_day(s))
            return -1;
        progress(s, d, days, 0);
    }
    return flush_events(s);
}

/* ---- truth ----------------------------------------------------------------------------------- */

typedef struct {
    uint64_t exposed;       /* customers */
    double rev, ups, churn; /* summed truth */
} cell_t;

/* Per experiment: [arm][0] = all, [arm][1 + dim*CONFIG_N_ENUM + level] = segment. */
#define CELLS (1 + 3 * CONFIG_N_ENUM)

static void truth_cells(const model_t *s, int e, cell_t (*cells)[CELLS])
{
    size_t narms = s->cfg->exp[e]->n_arms;
    memset(cells, 0, narms * sizeof *cells);
    for (long i = 0; i < s->n; i++) {
        const expo_t *x = &s->expo[e][i];
        if (x->arm < 0)
            continue;
        const truth_t *t = &s->truth[e][i];
        int idx[4] = {0, 1 + x->trig, 1 + CONFIG_N_ENUM + x->stage,
                      1 + 2 * CONFIG_N_ENUM + x->chan};
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

static prog_truth_t program_truth(const model_t *s)
{
    prog_truth_t p = {0};
    for (long i = 0; i < s->n; i++) {
        if (!s->pseen[i] || s->pgroup[i] == LIFT__HOLDOUT_GROUP__GROUP_EXCLUDED)
            continue;
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

json_t *model_truth_json(const model_t *s, const model_info_t *ri)
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
        if (!cells)
            break;
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
                for (int v = 1; v < CONFIG_N_ENUM; v++) {
                    const cell_t *c = &cells[a][1 + d * CONFIG_N_ENUM + v];
                    if (!c->exposed)
                        continue;
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
        if (k > 0 && (n - k) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[k];
    }
    buf[o] = 0;
}

/* minor units -> major units with the currency's decimals: "-1,234.56" (2), "4,900" (0) */
static void fmt_money(double minor, char *buf, size_t len, int digits)
{
    if (lift_currency_format(buf, len, minor, digits, 0) != 0)
        snprintf(buf, len, "n/e");
}

static void print_row(FILE *f, const char *label, const cell_t *c, int digits)
{
    char ex[24], rev[48], per[48];
    fmt_count(c->exposed, ex, sizeof ex);
    fmt_money(c->rev, rev, sizeof rev, digits);
    fmt_money(c->exposed ? c->rev / (double)c->exposed : 0, per, sizeof per, digits);
    fprintf(f, "  %-34s %9s %15s %12s %10.1f %9.1f\n", label, ex, rev, per, c->ups, c->churn);
}

void model_truth_table(FILE *f, const model_t *s, const model_info_t *ri)
{
    char a[24], b[24], n[24], ev[24], dec[24];
    simtime_fmt_date(s->start_ms, a, sizeof a);
    simtime_fmt_date(s->end_ms, b, sizeof b);
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
        if (!cells)
            return;
        truth_cells(s, e, cells);
        fprintf(f, "\n%s: exposed", def->key);
        for (size_t k = 0; k < def->n_arms; k++) {
            fmt_count(cells[k][0].exposed, n, sizeof n);
            fprintf(f, "%s %s %s", k ? "," : "", def->arms[k]->name, n);
        }
        fprintf(f, "\ntrue incremental revenue vs %s (%s; the expected value the offers added)\n",
                def->arms[0]->name, *ri->currency ? ri->currency : "currency units");
        for (size_t k = 1; k < def->n_arms; k++) {
            fprintf(f, "\n%s vs %s\n", def->arms[k]->name, def->arms[0]->name);
            fprintf(f, "  %-34s %9s %15s %12s %10s %9s\n", "segment (first exposure)", "exposed",
                    "incr. revenue", "per exposed", "+upgrades", "+churned");
            print_row(f, "all", &cells[k][0], ri->digits);
            for (int d = 0; d < 3; d++)
                for (int v = 1; v < CONFIG_N_ENUM; v++) {
                    const cell_t *c = &cells[k][1 + d * CONFIG_N_ENUM + v];
                    if (!c->exposed)
                        continue;
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
        fprintf(f,
                "\nprogram holdout %s (%g%%; lift x %g per week, %g%% of sure upgraders pulled "
                "forward): held out %s, measured %s\n",
                s->cfg->prog_key, s->cfg->prog_percent, s->cfg->prog_decay, 100 * s->cfg->prog_pull,
                h, m);
        fprintf(f,
                "  true incremental revenue per customer %s (of it pulled forward %s); "
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
    if (f)
        fclose(f);
    char extra[64];
    snprintf(extra, sizeof extra, "/%ld/%d", o->customers, o->weeks);
    for (const char *p = extra; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x01000193u;
    snprintf(buf, len, "%08x", h);
}

static int model_setup(model_t *s, const opts_t *o, const config_t *cfg)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    s->cfg = cfg;
    s->n = o->customers;
    run_tag(o, s->tag, sizeof s->tag);
    s->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!s->rng)
        return -1;
    gsl_rng_set(s->rng, o->seed);
    s->d_trig = gsl_ran_discrete_preproc(CONFIG_N_ENUM, cfg->trig_share);
    s->d_chan = gsl_ran_discrete_preproc(CONFIG_N_ENUM, cfg->chan_share);
    s->cust = calloc((size_t)s->n, sizeof *s->cust);
    s->ids = calloc((size_t)s->n, sizeof *s->ids);
    s->id_mem = malloc((size_t)s->n * 48);
    s->group_of = malloc(CTX_KEYS * sizeof *s->group_of);
    if (!s->d_trig || !s->d_chan || !s->cust || !s->ids || !s->id_mem || !s->group_of)
        return -1;
    for (int k = 0; k < CTX_KEYS; k++)
        s->group_of[k] = -1;
    for (int e = 0; e < cfg->n_exp; e++) {
        s->expo[e] = malloc((size_t)s->n * sizeof *s->expo[e]);
        s->truth[e] = calloc((size_t)s->n, sizeof *s->truth[e]);
        if (!s->expo[e] || !s->truth[e])
            return -1;
        for (long i = 0; i < s->n; i++)
            s->expo[e][i] = (expo_t){.arm = -1};
    }
    double ss[CONFIG_N_ENUM];
    for (int k = 0; k < CONFIG_N_ENUM; k++)
        ss[k] = cfg->stage[k].share;
    gsl_ran_discrete_t *ds = gsl_ran_discrete_preproc(CONFIG_N_ENUM, ss);
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
        if (!s->pgroup || !s->pseen || !s->pweek || !s->pweek_pull)
            return -1;
        for (long i = 0; i < s->n; i++) {
            int g = lift_holdout_group(&h, s->ids[i], strlen(s->ids[i]));
            s->pgroup[i] = (uint8_t)(g < 0 ? LIFT__HOLDOUT_GROUP__GROUP_NONE : g);
        }
    }
    return 0;
}

static void model_clear(model_t *s)
{
    for (size_t g = 0; g < s->cap_groups; g++)
        free(s->groups[g].members);
    free(s->groups);
    free(s->pend);
    free(s->group_of);
    for (int e = 0; e < CONFIG_MAX_EXP; e++)
        free(s->expo[e]), free(s->truth[e]);
    free(s->cust);
    free(s->ids);
    free(s->id_mem);
    free(s->pgroup);
    free(s->pseen);
    free(s->pweek);
    free(s->pweek_pull);
    if (s->cur)
        free(s->cur->batch), free(s->cur);
    gsl_ran_discrete_free(s->d_trig);
    gsl_ran_discrete_free(s->d_chan);
    gsl_rng_free(s->rng);
}

model_t *model_new(const opts_t *o, const config_t *cfg, int64_t start_ms, int64_t end_ms,
                   int progress)
{
    model_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (model_setup(s, o, cfg)) {
        model_destroy(&s);
        return NULL;
    }
    s->end_ms = end_ms;
    s->start_ms = start_ms;
    s->hist_ms = start_ms - (int64_t)cfg->history_days * SIMTIME_DAY_MS;
    s->progress = progress;
    s->t0 = simtime_mono_s();
    return s;
}

void model_destroy(model_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    model_clear(*self_p);
    free(*self_p);
    *self_p = NULL;
}

int model_run(model_t *s)
{
    const opts_t *o = s->o;
    int rc = 0;
    if (pool_start(&s->pool, o->endpoint, o->clients, o->local) || model_simulate(s) ||
        pool_wait(&s->pool, 0, 0))
        rc = -1;
    pool_stop(&s->pool);
    if (s->pool.failed) /* --local: the last flush */
        rc = -1;
    int days = s->cfg->history_days + 7 * o->weeks;
    progress(s, days - 1, days, 1);
    if (rc)
        fprintf(stderr, "liftsim: %s\n", s->pool.err[0] ? s->pool.err : "simulation failed");
    return rc;
}

uint64_t model_rejected(const model_t *s, const char **first)
{
    if (first)
        *first = s->pool.reject_msg;
    return s->pool.rejected;
}
