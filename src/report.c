/* report: one experiment's incrementality report (lift.Report) from a read snapshot of the
 * store — a per-customer fold of exposures and events, then stats/ for every estimate.
 * It does not render, send or schedule anything (liftctl and the server do).
 *
 * Semantics (the README's "Reports" section says the same):
 *  - Window [from, to) on each customer's exposure time = the exposure's trigger_ms (the
 *    sender's trigger time, which a simulator may backdate). Defaults: to = now; from = the
 *    experiment's start_ms, else started_ms, else the earliest exposure — lowered to the
 *    earliest exposure when an exposure's trigger time is earlier (every stored exposure was
 *    decided while the experiment ran, so a backdated trigger time must not drop it).
 *  - Population = customers exposed in the window, by assigned arm (intent to treat);
 *    arm 0 is the holdout. Exposures with an arm outside the definition are ignored (warned).
 *  - Outcomes = the customer's events with exposure <= ts < to: revenue = Σ conversions −
 *    Σ refunds (minor units, netted first, then capped above at the revenue-cap percentile
 *    of the customers with revenue > 0: revenue_cap); converted = at least one conversion; impressions and clicks of THIS experiment (events.experiment_id = id);
 *    churned = a churn event within retention_window_days of exposure; NPS after = first
 *    answer. Covariates = events with exposure − lookback <= ts < exposure: pre-period
 *    revenue (CUPED's x, not capped) and NPS before = last answer. Conversions and refunds of
 *    the population before exposure or at/after `to` are counted and warned about, not used.
 *  - Revenue comparisons (each treatment arm vs the holdout): lift_revenue_diff (calibrated:
 *    skewness-corrected, always-valid when sequential, not estimable below the minimum
 *    expected converters) on the capped revenue, or lift_revenue_diff_cuped on the same raw
 *    summaries (x = pre-period revenue) when CUPED is asked and the pre-period varies;
 *    incremental total / holdout cost / net of cost_per_attempt × impressions scale that
 *    interval. When sequential, conversion, churn, CTR, CACE and the NPS difference are
 *    always-valid too (lift_sequential, N = n_T + n_C); the pre-period balance check stays
 *    fixed-horizon (Estimate.sequential says which).
 *  - Retention: Kaplan–Meier of days from the customer's first post-exposure conversion to
 *    the first churn at or after it, censored at `to`; treated arm vs holdout ("organic").
 *  - Segments: trigger/stage/channel of the exposure, delay = first impression of this
 *    experiment − trigger_ms (<1h, 1-24h, 1-7d, >7d, no impression). A level with fewer than
 *    REPORT_MIN_SEGMENT customers in an arm is listed with its counts, not estimated.
 *  - Two families, each adjusted by BH or Holm (request.adjust): confirmatory = the primary
 *    metric per treatment arm (independent of the segments asked for); exploratory = the other
 *    metrics and every estimated segment level. One hypothesis counts once: revenue_diff,
 *    incremental_total, holdout_cost, relative_lift, cace (and net when the cost is 0) share
 *    one adjusted p. Descriptive per-arm figures, the balance check and the weekly series are
 *    in no family. Per dimension and arm: heterogeneity (Cochran's Q) and empirical-Bayes
 *    shrunken estimates of the levels; levels sorted by the shrunken totals.
 *  - Weekly: ISO weeks (Monday 00:00 UTC) from the week of `from` to the week of to − 1; the
 *    point at the end E of a week uses customers exposed before E and events before E (the
 *    last point equals the report), with its own cap. One event scan serves it: post-exposure
 *    revenue events are kept per week and added to running per-customer totals.
 *
 * Performance: exposures go into an open-addressing hash map (customer id → index, ids in
 * one arena) while they are read; then one scan of the events in [from − lookback, to) folds
 * each event into its customer with order-independent aggregates (sums, first/last times), so
 * no event is stored except post-exposure revenue (for the weekly series) and churns (for
 * retention). Lookups go in batches with prefetching, over huge-page tables (flush_batch). */
#include "report.h"
#include "units.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bigmem.h"
#include "lift/currency.h"
#include "lift/lift.h"
#include "lift/stats.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL
#define WEEK_MS (7 * DAY_MS)
#define MAX_ARMS 32
#define NO_TIME INT64_MAX
#define NO_IDX UINT32_MAX
#define N_DIMS 4
#define N_LEVELS 6 /* enum values 0..5 (0 = unspecified); delay uses 5 */
#define DEFAULT_LOOKBACK_DAYS 30
#define POWER_TARGET 0.8
#define DEFAULT_MDE 0.05 /* the registry's analysis.mde when a definition has none */
/* lift_revenue_diff_cuped's reason when the covariate does not vary (then the plain one) */
#define NO_PRE_PERIOD "no pre-period data"
#define REPORT_TIME_MIN_MS 946684800000LL   /* 2000-01-01T00:00:00Z */
#define REPORT_TIME_MAX_MS 32503680000000LL /* 3000-01-01T00:00:00Z */

/* ---- arena: every byte of the report message ------------------------------------------ */

typedef struct chunk {
    struct chunk *next; /* older chunk */
    size_t used;        /* bytes handed out */
    size_t cap;         /* bytes in data */
    alignas(max_align_t) unsigned char data[];
} chunk_t;

typedef struct {
    chunk_t *head; /* newest chunk */
} arena_t;

/* The report and its arena in one block: report_free finds the arena from the message. */
typedef struct {
    arena_t arena;       /* owns every sub-message and string */
    Lift__Report report; /* handed to the caller */
} report_box_t;

static void *arena_alloc(arena_t *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        chunk_t *c = calloc(1, sizeof *c + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p; /* zeroed: chunks come from calloc and are never reused */
}

static void arena_free(arena_t *a)
{
    chunk_t *c = a->head;
    while (c) {
        chunk_t *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

static void *arena_init(arena_t *a, size_t n, const void *init)
{
    void *p = arena_alloc(a, n);
    if (p)
        memcpy(p, init, n);
    return p;
}

/* A message of `type` set to its protobuf-c INIT value, in the arena; NULL when out of memory. */
#define ANEW(a, type, init) ((type *)arena_init((a), sizeof(type), &(type)init))

static char *arena_strdup(arena_t *a, const char *s)
{
    size_t n = strlen(s);
    char *p = arena_alloc(a, n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

static void *arena_pb_alloc(void *data, size_t size)
{
    return arena_alloc(data, size);
}

static void arena_pb_free(void *data, void *p)
{
    (void)data;
    (void)p; /* freed with the arena */
}

/* ---- big arrays: the scan's random-access tables ----------------------------------------
 * Anonymous mappings with transparent huge pages: the scan touches the hash slots and the
 * customer records at random, and with 4 KiB pages nearly every lookup also missed the TLB. */

/* ---- options: the request resolved against the experiment's analysis settings ---------- */

typedef struct {
    int64_t from, to;         /* window on exposure time */
    int from_given, to_given; /* set by the request */
    double alpha;             /* two-sided error rate */
    int sequential, cuped;    /* methods */
    int64_t lookback_ms;      /* CUPED / NPS-before lookback */
    double cap_pct;           /* revenue cap percentile, (50, 100] */
    uint32_t ret_days[REPORT_MAX_RETENTION]; /* retention horizons */
    size_t n_ret;             /* entries in ret_days */
    int64_t cost;             /* cost per attempt, minor units */
    double n_star;            /* sequential tuning */
    int dims[N_DIMS];         /* requested dimensions, in request order, deduplicated */
    size_t n_dims;            /* entries in dims */
    int64_t churn_ms;         /* retention window for "churned" */
    double mde;               /* relative MDE for power (the experiment's; 0 = not set) */
    int mde_set;              /* analysis.mde was set by the user */
    uint32_t lookback_days;   /* CUPED / NPS-before lookback */
    int adjust;               /* Lift__Adjustment: BH or Holm */
    int primary;              /* Lift__Metric of the confirmatory family */
} opts_t;

static const char *const delay_names[] = {"<1h", "1-24h", "1-7d", ">7d", "no impression"};

static int resolve(const Lift__Experiment *exp, const Lift__ReportRequest *req, int64_t now_ms,
                   opts_t *o, status_t *st)
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
    o->sequential = req->has_sequential ? req->sequential
                                        : (an && an->has_sequential ? an->sequential : 1);
    o->cuped = req->has_cuped ? req->cuped : (an && an->has_cuped ? an->cuped : 1);
    uint32_t lb = req->has_cuped_lookback_days ? req->cuped_lookback_days : DEFAULT_LOOKBACK_DAYS;
    if (lb < 1 || lb > 365)
        return status_set(st, bad, "report.cuped_lookback_days",
                          "report.cuped_lookback_days: %u is outside [1, 365] (leave it unset for "
                          "%d; cuped: false turns CUPED off)",
                          lb, DEFAULT_LOOKBACK_DAYS);
    o->lookback_ms = (int64_t)lb * DAY_MS;
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
    if (req->has_from_ms && (req->from_ms < 0 || req->from_ms > REPORT_TIME_MAX_MS))
        return status_set(st, bad, "report.from_ms",
                          "report.from_ms: %lld is outside [0, 3000-01-01) (a start before the "
                          "experiment's reads from its start)",
                          (long long)req->from_ms);
    if (req->has_to_ms && (req->to_ms < REPORT_TIME_MIN_MS || req->to_ms > REPORT_TIME_MAX_MS))
        return status_set(st, bad, "report.to_ms",
                          "report.to_ms: %lld is outside [2000-01-01, 3000-01-01)",
                          (long long)req->to_ms);
    o->from_given = req->has_from_ms && req->from_ms >= REPORT_TIME_MIN_MS;
    o->to_given = req->has_to_ms;
    o->from = o->from_given ? req->from_ms : 0;
    o->to = req->has_to_ms ? req->to_ms : now_ms;
    if (o->from_given && o->to <= o->from)
        return status_set(st, bad, "report.to_ms", "report.to_ms: %lld is not after from_ms %lld",
                          (long long)o->to, (long long)o->from);
    uint32_t rw = an && an->has_retention_window_days && an->retention_window_days > 0
                      ? an->retention_window_days
                      : 30;
    o->churn_ms = (int64_t)rw * DAY_MS;
    /* The registry stores 5% when a definition gives no MDE, so 5% may be nobody's choice:
     * the report names it as the default rather than as the team's minimum effect. */
    o->mde = an && an->has_mde && an->mde > 0 && isfinite(an->mde) ? an->mde : DEFAULT_MDE;
    o->mde_set = o->mde != DEFAULT_MDE;
    return 0;
}

/* ---- per-customer state ------------------------------------------------------------------ */

/* What the event scan touches for every event: one 32-byte record. */
typedef struct {
    int64_t t0;        /* exposure time (trigger_ms) */
    int64_t first_imp; /* first impression of this experiment after exposure, 0 = none */
    uint32_t imps;     /* impressions of this experiment after exposure */
    uint32_t clicks;   /* clicks of this experiment after exposure */
    uint8_t arm;       /* assigned arm */
    uint8_t trigger;   /* exposure context */
    uint8_t stage;     /* exposure context */
    uint8_t channel;   /* exposure context */
    uint8_t other_arm; /* an impression of this experiment was logged with another arm */
} hot_t;

/* What only conversions, refunds, churn and NPS touch. All-zero is the initial state (times
 * are after 2000, so 0 can mean "none"): the mapping's zero pages need no initialising pass. */
typedef struct {
    int64_t rev;         /* Σ conversions − Σ refunds after exposure (uncapped) */
    int64_t pre;         /* same over the lookback before exposure */
    int64_t refunds;     /* Σ refunds after exposure */
    int64_t first_conv;  /* first conversion after exposure, 0 = none */
    int64_t nps_pre_ts;  /* time of the last answer before exposure, 0 = none */
    int64_t nps_post_ts; /* time of the first answer after exposure, 0 = none */
    uint32_t convs;      /* conversions after exposure */
    uint8_t churned;     /* churned within the retention window */
    uint8_t nps_pre;     /* last answer before + 1, 0 = none */
    uint8_t nps_post;    /* first answer after + 1, 0 = none */
} cold_t;

typedef struct {
    uint32_t cust;  /* customer index */
    uint32_t week;  /* week index from the first week */
    int64_t amount; /* +conversion / −refund */
} revfact_t;

typedef struct {
    uint32_t cust; /* customer index */
    int64_t ts;    /* churn time */
} churnfact_t;

/* Hash map slot: everything a probe needs, so a lookup touches the slot, then (in parallel,
 * prefetched) the customer's record and id bytes. idx = 0 marks an empty slot. */
typedef struct {
    uint32_t tag; /* high 32 bits of the id's hash */
    uint32_t idx; /* customer index + 1 */
    uint32_t off; /* id bytes at ids + off */
    uint32_t len; /* id length */
} slot_t;

/* An event waiting in the scan's batch (see on_event). */
typedef struct {
    uint64_t h;      /* hash of the customer id */
    uint32_t off;    /* id bytes in the batch buffer */
    uint32_t len;    /* id length */
    size_t slot;     /* candidate slot after stage 2 */
    uint32_t k;      /* customer index, NO_IDX when not exposed */
    int type;        /* EventType */
    int nps;         /* NPS answer or -1 */
    int arm;         /* impression: logged arm or -1 */
    int64_t ts;      /* event time */
    int64_t xid;     /* experiment id of an impression/click */
    int64_t amount;  /* conversion/refund amount */
} pend_t;

#define BATCH 64 /* events resolved together: their cache misses overlap */

typedef struct pipe pipe_t;

typedef struct {
    const Lift__Experiment *exp;
    int64_t exp_id;
    opts_t o;
    size_t n_arms;
    /* customers */
    hot_t *hot;           /* big_alloc, cap entries */
    cold_t *cold;         /* big_alloc, cap entries */
    uint32_t n, cap;      /* customers loaded; room (the snapshot's exposure count) */
    char *ids;            /* id bytes of every customer, back to back */
    size_t ids_len, ids_cap;
    size_t slots_n;       /* entries in slots */
    slot_t *slots;        /* open addressing, linear probing, load <= 1/2 */
    size_t mask;          /* slots − 1 */
    pend_t pend[BATCH];   /* the scan's batch */
    int n_pend;           /* events in pend */
    char *pbuf;           /* id bytes of the batch */
    size_t pbuf_len, pbuf_cap;
    pipe_t *pipe;         /* the two-thread scan, NULL = single-threaded */
    /* load */
    uint64_t exposures_read, ignored_arm;
    int64_t lo_expo;      /* exposures with trigger_ms below this are outside the window */
    int64_t min_t0;       /* earliest exposure loaded */
    int oom;
    /* scan */
    uint64_t events_read;
    uint64_t out_before;  /* conversions/refunds of the population before their exposure */
    uint64_t out_lookback;/* ... of which inside the lookback (CUPED covariate) */
    uint64_t out_after;   /* conversions/refunds of the population at or after `to` */
    uint64_t out_in;      /* conversions/refunds counted as outcomes */
    uint64_t out_hour_before; /* ... stamped in the hour before the customer's exposure */
    uint64_t out_hour_after;  /* ... stamped in the hour from the customer's exposure on */
    uint64_t imp_other;   /* this experiment's impressions logged with another arm */
    int64_t week0;        /* Monday of from's week */
    revfact_t *rf;
    size_t n_rf, cap_rf;
    churnfact_t *cf;
    size_t n_cf, cap_cf;
} ctx_t;

/* Hash of a customer id, 8 bytes at a time (the scan hashes every event's id). */
static inline uint64_t hash_id(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, s, n);
        h = (h ^ w) * 0x94d049bb133111ebULL;
        h ^= h >> 29;
    }
    h *= 0xd6e8feb86659fd93ULL;
    return h ^ (h >> 32);
}

/* Probe from slot i on for id (the slow path after a tag collision). */
static uint32_t probe_from(const ctx_t *c, size_t i, uint32_t tag, const char *id, uint32_t len)
{
    for (;; i = (i + 1) & c->mask) {
        const slot_t *s = &c->slots[i];
        if (s->idx == 0)
            return NO_IDX;
        if (s->tag == tag && s->len == len && memcmp(c->ids + s->off, id, len) == 0)
            return s->idx - 1;
    }
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*p, nc * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static int on_exposure(void *arg, const store_exposure_t *e)
{
    ctx_t *c = arg;
    c->exposures_read++;
    if (e->trigger_ms >= c->o.to || e->trigger_ms < c->lo_expo)
        return 0;
    if (e->arm < 0 || (size_t)e->arm >= c->n_arms) {
        c->ignored_arm++;
        return 0;
    }
    if (c->n == c->cap)
        return -3; /* more rows than the snapshot's count: cannot happen in one snapshot */
    size_t need = c->ids_len + e->customer_len;
    if (need > UINT32_MAX)
        return -2; /* 4 GiB of customer ids */
    if (grow((void **)&c->ids, &c->ids_cap, need ? need : 1, 1) < 0)
        return -2;
    memcpy(c->ids + c->ids_len, e->customer, e->customer_len);
    uint64_t hv = hash_id(e->customer, e->customer_len);
    size_t i = (size_t)hv & c->mask;
    while (c->slots[i].idx)
        i = (i + 1) & c->mask;
    c->slots[i] = (slot_t){(uint32_t)(hv >> 32), c->n + 1, (uint32_t)c->ids_len,
                           (uint32_t)e->customer_len};
    c->ids_len = need;
    hot_t *h = &c->hot[c->n++];
    h->t0 = e->trigger_ms; /* the rest is zero (big_alloc) */
    h->arm = (uint8_t)e->arm;
    h->trigger = (uint8_t)(e->trigger >= 0 && e->trigger < N_LEVELS ? e->trigger : 0);
    h->stage = (uint8_t)(e->stage >= 0 && e->stage < N_LEVELS ? e->stage : 0);
    h->channel = (uint8_t)(e->channel >= 0 && e->channel < N_LEVELS ? e->channel : 0);
    if (e->trigger_ms < c->min_t0)
        c->min_t0 = e->trigger_ms;
    return 0;
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Monday 00:00 UTC of the ISO week containing ms (1970-01-01 was a Thursday). */
static int64_t week_start(int64_t ms)
{
    int64_t days = floor_div(ms, DAY_MS);
    int64_t dow = ((days + 3) % 7 + 7) % 7; /* 0 = Monday */
    return (days - dow) * DAY_MS;
}

void report_iso_week(int64_t ms, char *buf, size_t len)
{
    int64_t thursday = week_start(ms) + 3 * DAY_MS;
    time_t t = (time_t)floor_div(thursday, 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, len, "?");
        return;
    }
    snprintf(buf, len, "%04d-W%02d", tm.tm_year + 1900, tm.tm_yday / 7 + 1);
}

/* Fold one resolved event into customer k (order-independent aggregates). */
static int apply_event(ctx_t *c, uint32_t k, const pend_t *ev)
{
    hot_t *h = &c->hot[k];
    int64_t ts = ev->ts;
    int money = ev->type == LIFT__EVENT_TYPE__EVENT_CONVERSION ||
                ev->type == LIFT__EVENT_TYPE__EVENT_REFUND;
    if (ts >= c->o.to) { /* read only to be counted: after the window */
        c->out_after += money;
        return 0;
    }
    if (ts >= h->t0) { /* outcome */
        if (money && ts - h->t0 < HOUR_MS)
            c->out_hour_after++;
        switch (ev->type) {
        case LIFT__EVENT_TYPE__EVENT_IMPRESSION:
            if (ev->xid == c->exp_id) {
                if (ev->arm >= 0 && ev->arm != h->arm) {
                    c->imp_other++;
                    h->other_arm = 1;
                }
                h->imps++;
                if (h->first_imp == 0 || ts < h->first_imp)
                    h->first_imp = ts;
            }
            return 0;
        case LIFT__EVENT_TYPE__EVENT_CLICK:
            if (ev->xid == c->exp_id)
                h->clicks++;
            return 0;
        case LIFT__EVENT_TYPE__EVENT_CONVERSION:
        case LIFT__EVENT_TYPE__EVENT_REFUND: {
            cold_t *d = &c->cold[k];
            int64_t amt = ev->amount;
            if (ev->type == LIFT__EVENT_TYPE__EVENT_REFUND) {
                d->refunds += amt;
                amt = -amt;
            } else {
                d->convs++;
                if (d->first_conv == 0 || ts < d->first_conv)
                    d->first_conv = ts;
            }
            d->rev += amt;
            c->out_in++;
            if (c->n_rf == c->cap_rf && grow((void **)&c->rf, &c->cap_rf, c->n_rf + 1,
                                             sizeof *c->rf) < 0)
                return -2;
            c->rf[c->n_rf++] =
                (revfact_t){k, (uint32_t)((week_start(ts) - c->week0) / WEEK_MS), amt};
            return 0;
        }
        case LIFT__EVENT_TYPE__EVENT_CHURN:
            if (ts - h->t0 < c->o.churn_ms)
                c->cold[k].churned = 1;
            if (c->n_cf == c->cap_cf && grow((void **)&c->cf, &c->cap_cf, c->n_cf + 1,
                                             sizeof *c->cf) < 0)
                return -2;
            c->cf[c->n_cf++] = (churnfact_t){k, ts};
            return 0;
        case LIFT__EVENT_TYPE__EVENT_NPS:
            if (ev->nps >= 0 && ev->nps <= 10 &&
                (c->cold[k].nps_post_ts == 0 || ts < c->cold[k].nps_post_ts)) {
                c->cold[k].nps_post_ts = ts;
                c->cold[k].nps_post = (uint8_t)(ev->nps + 1);
            }
            return 0;
        default:
            return 0;
        }
    }
    c->out_before += money;
    if (money && h->t0 - ts <= HOUR_MS)
        c->out_hour_before++;
    if (ts < h->t0 - c->o.lookback_ms)
        return 0;
    c->out_lookback += money;
    /* covariate period */
    switch (ev->type) {
    case LIFT__EVENT_TYPE__EVENT_CONVERSION:
        c->cold[k].pre += ev->amount;
        break;
    case LIFT__EVENT_TYPE__EVENT_REFUND:
        c->cold[k].pre -= ev->amount;
        break;
    case LIFT__EVENT_TYPE__EVENT_NPS:
        if (ev->nps >= 0 && ev->nps <= 10 && ts >= c->cold[k].nps_pre_ts) {
            c->cold[k].nps_pre_ts = ts;
            c->cold[k].nps_pre = (uint8_t)(ev->nps + 1);
        }
        break;
    default:
        break;
    }
    return 0;
}

/* The scan resolves events in batches of BATCH in three stages — hash and prefetch the slot;
 * read the slot and prefetch the customer's record and id bytes; compare and fold — so that
 * the cache misses of 64 lookups overlap instead of following one another. */
static int fold_batch(ctx_t *c, pend_t *pend, int n, const char *buf)
{
    for (int i = 0; i < n; i++) {
        pend_t *p = &pend[i];
        uint32_t tag = (uint32_t)(p->h >> 32);
        size_t j = (size_t)p->h & c->mask;
        p->k = NO_IDX;
        for (;; j = (j + 1) & c->mask) {
            const slot_t *s = &c->slots[j];
            if (s->idx == 0)
                break;
            if (s->tag == tag && s->len == p->len) {
                p->k = s->idx - 1;
                __builtin_prefetch(&c->hot[p->k], 1);
                __builtin_prefetch(c->ids + s->off);
                if (p->type >= LIFT__EVENT_TYPE__EVENT_CONVERSION)
                    __builtin_prefetch(&c->cold[p->k], 1);
                break;
            }
        }
        p->slot = j;
    }
    for (int i = 0; i < n; i++) {
        pend_t *p = &pend[i];
        if (p->k == NO_IDX)
            continue;
        const slot_t *s = &c->slots[p->slot];
        const char *id = buf + p->off;
        uint32_t k = p->k;
        if (memcmp(c->ids + s->off, id, p->len) != 0)
            k = probe_from(c, (p->slot + 1) & c->mask, s->tag, id, p->len);
        if (k != NO_IDX && apply_event(c, k, p) < 0)
            return -2;
    }
    return 0;
}

static int flush_batch(ctx_t *c)
{
    int r = fold_batch(c, c->pend, c->n_pend, c->pbuf);
    c->n_pend = 0;
    c->pbuf_len = 0;
    return r;
}

/* Copies ev into *p, its id bytes appended to *buf (*len used of *cap); the hash is left to the
 * caller. -1 when the buffer cannot grow (nothing changed but *buf's capacity). */
static int pend_copy(pend_t *p, const store_event_row_t *ev, char **buf, size_t *len, size_t *cap)
{
    if (grow((void **)buf, cap, *len + ev->customer_len + 1, 1) < 0)
        return -1;
    memcpy(*buf + *len, ev->customer, ev->customer_len);
    p->off = (uint32_t)*len;
    p->len = (uint32_t)ev->customer_len;
    *len += ev->customer_len;
    p->type = ev->type;
    p->nps = ev->nps;
    p->arm = ev->arm;
    p->ts = ev->ts_ms;
    p->xid = ev->experiment_id;
    p->amount = ev->amount_minor;
    return 0;
}

/* An event at or after `to` only counts when it is a conversion or refund (apply_event's
 * out_after): the others need no copy and no customer lookup. */
static inline int skip_event(const ctx_t *c, const store_event_row_t *ev)
{
    return ev->customer_len > UINT32_MAX ||
           (ev->ts_ms >= c->o.to && ev->type != LIFT__EVENT_TYPE__EVENT_CONVERSION &&
            ev->type != LIFT__EVENT_TYPE__EVENT_REFUND);
}

static int on_event(void *arg, const store_event_row_t *ev)
{
    ctx_t *c = arg;
    c->events_read++;
    if (skip_event(c, ev))
        return 0;
    pend_t *p = &c->pend[c->n_pend];
    if (pend_copy(p, ev, &c->pbuf, &c->pbuf_len, &c->pbuf_cap) < 0)
        return -2;
    c->n_pend++;
    p->h = hash_id(ev->customer, ev->customer_len);
    __builtin_prefetch(&c->slots[(size_t)p->h & c->mask]);
    return c->n_pend == BATCH ? flush_batch(c) : 0;
}

/* ---- the scan as a two-thread pipeline ------------------------------------------------------
 * SQLite's decoding of 10M rows and the map lookups cost about the same; with a helper thread
 * they overlap. The reading thread (inside store_reader_events) only copies each event into a
 * chunk; the helper hashes, resolves and folds the chunks in scan order, so the result is the
 * same as the single-threaded path (used when the thread cannot be created). The customer
 * tables are touched by the helper only; chunks change hands under the mutex. */

#define PIPE_N 1024  /* events per chunk */
#define PIPE_DEPTH 4 /* chunks in flight */

typedef struct {
    pend_t ev[PIPE_N]; /* events, hash not yet computed */
    int n;             /* events in ev */
    char *buf;         /* their id bytes */
    size_t len, cap;   /* bytes used / allocated in buf */
} evchunk_t;

struct pipe {
    ctx_t *c;                    /* customer state: the helper's alone while it runs */
    pthread_t th;                /* the helper */
    pthread_mutex_t mu;          /* guards head..err */
    pthread_cond_t more, room;   /* a chunk was queued / freed */
    evchunk_t q[PIPE_DEPTH];     /* ring of chunks */
    int head;                    /* chunk the reader fills */
    int count;                   /* chunks queued or being folded */
    int done;                    /* the reader has no more */
    int err;                     /* the helper ran out of memory */
};

static void *pipe_main(void *arg)
{
    pipe_t *pp = arg;
    ctx_t *c = pp->c;
    int tail = 0, err = 0;
    for (;;) {
        pthread_mutex_lock(&pp->mu);
        while (pp->count == 0 && !pp->done)
            pthread_cond_wait(&pp->more, &pp->mu);
        int have = pp->count > 0;
        pthread_mutex_unlock(&pp->mu);
        if (!have)
            break;
        evchunk_t *b = &pp->q[tail];
        for (int i0 = 0; !err && i0 < b->n; i0 += BATCH) {
            int m = b->n - i0 < BATCH ? b->n - i0 : BATCH;
            for (int i = i0; i < i0 + m; i++) {
                pend_t *p = &b->ev[i];
                p->h = hash_id(b->buf + p->off, p->len);
                __builtin_prefetch(&c->slots[(size_t)p->h & c->mask]);
            }
            err = fold_batch(c, b->ev + i0, m, b->buf) < 0;
        }
        pthread_mutex_lock(&pp->mu);
        tail = (tail + 1) % PIPE_DEPTH;
        pp->count--;
        pp->err |= err;
        pthread_cond_signal(&pp->room);
        pthread_mutex_unlock(&pp->mu);
    }
    return NULL;
}

/* Hand the filled chunk to the helper and wait for a free one. 0, or -2 (helper out of memory). */
static int pipe_push(pipe_t *pp)
{
    pthread_mutex_lock(&pp->mu);
    pp->count++;
    pp->head = (pp->head + 1) % PIPE_DEPTH;
    pthread_cond_signal(&pp->more);
    while (pp->count == PIPE_DEPTH)
        pthread_cond_wait(&pp->room, &pp->mu);
    pp->q[pp->head].n = 0;
    pp->q[pp->head].len = 0;
    int err = pp->err;
    pthread_mutex_unlock(&pp->mu);
    return err ? -2 : 0;
}

static int on_event_pipe(void *arg, const store_event_row_t *ev)
{
    ctx_t *c = arg;
    pipe_t *pp = c->pipe;
    evchunk_t *b = &pp->q[pp->head];
    c->events_read++;
    if (skip_event(c, ev))
        return 0;
    if (pend_copy(&b->ev[b->n], ev, &b->buf, &b->len, &b->cap) < 0)
        return -2;
    b->n++;
    return b->n == PIPE_N ? pipe_push(pp) : 0;
}

/* Start the helper; NULL when it cannot be started (the caller scans single-threaded). */
static pipe_t *pipe_start(ctx_t *c)
{
    pipe_t *pp = calloc(1, sizeof *pp);
    if (!pp)
        return NULL;
    pp->c = c;
    int mu = pthread_mutex_init(&pp->mu, NULL) == 0;
    int more = mu && pthread_cond_init(&pp->more, NULL) == 0;
    int room = more && pthread_cond_init(&pp->room, NULL) == 0;
    if (room && pthread_create(&pp->th, NULL, pipe_main, pp) == 0)
        return pp;
    if (room)
        pthread_cond_destroy(&pp->room);
    if (more)
        pthread_cond_destroy(&pp->more);
    if (mu)
        pthread_mutex_destroy(&pp->mu);
    free(pp);
    return NULL;
}

/* Queue what is left, stop the helper and free the pipe. Returns 0, or -2 (out of memory). */
static int pipe_finish(pipe_t *pp)
{
    int rc = 0;
    if (pp->q[pp->head].n > 0)
        rc = pipe_push(pp);
    pthread_mutex_lock(&pp->mu);
    pp->done = 1;
    pthread_cond_signal(&pp->more);
    pthread_mutex_unlock(&pp->mu);
    pthread_join(pp->th, NULL);
    if (pp->err)
        rc = -2;
    for (int i = 0; i < PIPE_DEPTH; i++)
        free(pp->q[i].buf);
    pthread_cond_destroy(&pp->more);
    pthread_cond_destroy(&pp->room);
    pthread_mutex_destroy(&pp->mu);
    free(pp);
    return rc;
}

static void ctx_free(ctx_t *c)
{
    bigmem_free(c->hot, (size_t)c->cap * sizeof *c->hot);
    bigmem_free(c->cold, (size_t)c->cap * sizeof *c->cold);
    free(c->ids);
    bigmem_free(c->slots, c->slots_n * sizeof *c->slots);
    free(c->pbuf);
    free(c->rf);
    free(c->cf);
}

/* ---- estimates ---------------------------------------------------------------------------- */

/* The revenue comparisons of one treatment arm (or segment, or week) vs the holdout. */
typedef struct {
    lift_estimate_t diff, lift, total, holdout, net; /* net only when asked */
    int cuped;                                       /* CUPED applied */
    double vr;                                       /* variance reduction when CUPED */
    const char *cuped_why;                           /* requested, not applied: why */
} revcmp_t;

static lift_estimate_t seq_wrap(const lift_estimate_t *e, double n_total, const opts_t *o)
{
    if (!o->sequential || e->status != LIFT_STAT_OK)
        return *e;
    return lift_sequential(e->estimate, e->se, n_total, o->alpha, o->n_star);
}

/* Revenue comparisons of t vs c (y = capped or uncapped revenue, x = pre-exposure revenue, both
 * raw: the revenue model needs the non-payers at 0); pay_t / pay_c = customers with revenue > 0.
 * The difference is lift_revenue_diff_cuped when CUPED is asked and lift_cuped finds pre-period
 * variation (θ pooled over both arms; its variance reduction and adjusted relative lift go
 * with it), else lift_revenue_diff: calibrated, always-valid when sequential, not estimable
 * below LIFT_MIN_CONVERTERS expected converters. The totals scale it by the arms' sizes and
 * share its p-value; the relative lift follows it into "not estimable" so no revenue interval
 * is printed that the calibration does not back. */
static revcmp_t compare_revenue(const lift_summary_t *t, const lift_summary_t *c, int64_t pay_t,
                                int64_t pay_c, const opts_t *o, double attempts)
{
    revcmp_t r;
    memset(&r, 0, sizeof r);
    double ns = o->sequential ? o->n_star : 0;
    if (o->cuped) {
        lift_cuped_t cu = lift_cuped(t, c, o->alpha);
        if (cu.status != LIFT_STAT_OK) {
            r.cuped_why = cu.reason;
        } else if (cu.diff.status != LIFT_STAT_OK) {
            r.cuped_why = cu.diff.reason;
        } else {
            r.diff = lift_revenue_diff_cuped(t, c, pay_t, pay_c, o->alpha, ns);
            if (r.diff.status != LIFT_STAT_OK && r.diff.reason &&
                strncmp(r.diff.reason, NO_PRE_PERIOD, sizeof NO_PRE_PERIOD - 1) == 0) {
                r.cuped_why = r.diff.reason; /* the plain difference below */
            } else {
                r.cuped = 1;
                r.vr = isfinite(cu.variance_reduction) ? cu.variance_reduction : 0;
                r.lift = cu.lift;
            }
        }
    }
    if (!r.cuped) {
        r.diff = lift_revenue_diff(t, c, pay_t, pay_c, o->alpha, ns);
        r.lift = lift_rel_lift(t, c, o->alpha);
    }
    double n = (double)(t->n + c->n);
    if (r.diff.status != LIFT_STAT_OK) {
        r.lift.status = LIFT_STAT_NOT_ESTIMABLE;
        r.lift.reason = r.diff.reason;
    }
    r.lift = seq_wrap(&r.lift, n, o);
    lift_estimate_t *out[3] = {&r.total, &r.holdout, &r.net};
    double scale[3] = {(double)t->n, (double)c->n, (double)t->n};
    for (int k = 0; k < 3; k++) {
        *out[k] = r.diff;
        if (r.diff.status != LIFT_STAT_OK)
            continue;
        out[k]->estimate *= scale[k];
        out[k]->se *= scale[k];
        out[k]->ci_low *= scale[k];
        out[k]->ci_high *= scale[k];
    }
    if (r.net.status == LIFT_STAT_OK) { /* a known cost shifts the total; same test */
        double cost = (double)o->cost * attempts;
        r.net.estimate -= cost;
        r.net.ci_low -= cost;
        r.net.ci_high -= cost;
        if (cost != 0 && r.net.se > 0) { /* its own null, net = 0: same SE, shifted */
            if (o->sequential) {
                r.net.p_value = lift_sequential(r.net.estimate, r.net.se, n, o->alpha, o->n_star)
                                    .p_value;
            } else {
                r.net.p_value = erfc(fabs(r.net.estimate / r.net.se) / sqrt(2.0));
            }
        }
    }
    return r;
}

/* ---- message building ----------------------------------------------------------------------- */

/* One hypothesis of a family and the estimates that show its adjusted p-value (estimates of
 * the same null hypothesis — a difference, its total, its relative form — share one test). */
#define FAM_EST 6
typedef struct {
    double p;                  /* raw p-value of the test of record */
    Lift__Estimate *e[FAM_EST]; /* estimates sharing the test (NULL-padded) */
} fam_t;

enum { F_CONF, F_EXPL, F_N }; /* confirmatory, exploratory */

typedef struct {
    arena_t *a;
    const opts_t *o;
    fam_t *fam[F_N];
    size_t n_fam[F_N], cap_fam[F_N];
    int oom;
} bld_t;

static Lift__Estimate *est_fail(bld_t *b, const char *reason)
{
    Lift__Estimate *e = ANEW(b->a, Lift__Estimate, LIFT__ESTIMATE__INIT);
    if (!e) {
        b->oom = 1;
        return NULL;
    }
    e->has_ok = 1;
    e->ok = 0;
    e->reason = (char *)reason;
    return e;
}

static Lift__Estimate *est(bld_t *b, const lift_estimate_t *s, int seq)
{
    if (s->status != LIFT_STAT_OK)
        return est_fail(b, s->reason && *s->reason ? s->reason : "not estimable");
    if (!isfinite(s->estimate) || !isfinite(s->se) || !isfinite(s->ci_low) ||
        !isfinite(s->ci_high) || !isfinite(s->p_value))
        return est_fail(b, "numerical failure");
    Lift__Estimate *e = ANEW(b->a, Lift__Estimate, LIFT__ESTIMATE__INIT);
    if (!e) {
        b->oom = 1;
        return NULL;
    }
    e->has_ok = e->ok = 1;
    e->has_estimate = e->has_se = e->has_ci_low = e->has_ci_high = e->has_p_value = 1;
    e->estimate = s->estimate;
    e->se = s->se;
    e->ci_low = s->ci_low;
    e->ci_high = s->ci_high;
    e->p_value = s->p_value;
    e->has_sequential = 1;
    e->sequential = seq && b->o->sequential;
    return e;
}

/* Adds one hypothesis to family f when its test of record e[0] is OK; e[1..] (NULL-terminated,
 * at most FAM_EST in all) show the same adjusted p-value. */
static void family(bld_t *b, int f, Lift__Estimate *const *e)
{
    if (!e[0] || !e[0]->ok || !e[0]->has_p_value)
        return;
    if (b->n_fam[f] == b->cap_fam[f] &&
        grow((void **)&b->fam[f], &b->cap_fam[f], b->n_fam[f] + 1, sizeof *b->fam[f]) < 0) {
        b->oom = 1;
        return;
    }
    fam_t *t = &b->fam[f][b->n_fam[f]++];
    memset(t, 0, sizeof *t);
    t->p = e[0]->p_value;
    for (int i = 0; i < FAM_EST && e[i]; i++)
        t->e[i] = e[i];
}

#define FAMILY(b, f, ...) family((b), (f), (Lift__Estimate *const[]){__VA_ARGS__, NULL})

/* Adjusts each family's p-values (BH or Holm, the request's choice) and labels the estimates. */
static void apply_adjust(bld_t *b)
{
    for (int f = 0; f < F_N; f++) {
        size_t m = b->n_fam[f];
        if (m == 0)
            continue;
        double *p = malloc(m * sizeof *p);
        if (!p) {
            b->oom = 1;
            return;
        }
        for (size_t i = 0; i < m; i++)
            p[i] = b->fam[f][i].p;
        lift_result_t r = b->o->adjust == LIFT__ADJUSTMENT__ADJUSTMENT_HOLM
                              ? lift_holm_adjust(p, m, p)
                              : lift_bh_adjust(p, m, p);
        for (size_t i = 0; i < m; i++)
            for (int j = 0; j < FAM_EST; j++) {
                Lift__Estimate *e = b->fam[f][i].e[j];
                if (e && e->ok && r.status == LIFT_STAT_OK && isfinite(p[i])) {
                    e->has_p_adjusted = 1;
                    e->p_adjusted = p[i];
                    e->has_family = 1;
                    e->family = f == F_CONF ? LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY
                                            : LIFT__TEST_FAMILY__FAMILY_EXPLORATORY;
                }
            }
        free(p);
    }
}

static const char *arm_name(const Lift__Experiment *exp, size_t i)
{
    return i < exp->n_arms && exp->arms[i] && exp->arms[i]->name ? exp->arms[i]->name : "";
}

/* Core comparison (revenue_diff, relative_lift, incremental_total, conversion_diff), used by
 * segments and, with more fields, by the top level. */
static Lift__Comparison *core_comparison(bld_t *b, const Lift__Experiment *exp, size_t arm,
                                         const revcmp_t *rc, const lift_estimate_t *conv)
{
    Lift__Comparison *m = ANEW(b->a, Lift__Comparison, LIFT__COMPARISON__INIT);
    if (!m) {
        b->oom = 1;
        return NULL;
    }
    m->has_arm_index = 1;
    m->arm_index = (int32_t)arm;
    m->arm_name = (char *)arm_name(exp, arm);
    m->revenue_diff = est(b, &rc->diff, 1);
    m->relative_lift = est(b, &rc->lift, 1);
    m->incremental_total = est(b, &rc->total, 1);
    m->has_cuped = 1;
    m->cuped = rc->cuped;
    if (!rc->cuped && b->o->cuped && rc->cuped_why)
        m->cuped_note = (char *)rc->cuped_why;
    if (rc->cuped) {
        m->has_variance_reduction = 1;
        m->variance_reduction = rc->vr;
    }
    if (conv)
        m->conversion_diff = est(b, conv, 1); /* always-valid when sequential (seq_wrap) */
    return m;
}

/* A comparison whose estimates all say `reason` (a too-small segment). */
static Lift__Comparison *failed_comparison(bld_t *b, const Lift__Experiment *exp, size_t arm,
                                           const char *reason)
{
    Lift__Comparison *m = ANEW(b->a, Lift__Comparison, LIFT__COMPARISON__INIT);
    if (!m) {
        b->oom = 1;
        return NULL;
    }
    m->has_arm_index = 1;
    m->arm_index = (int32_t)arm;
    m->arm_name = (char *)arm_name(exp, arm);
    m->revenue_diff = est_fail(b, reason);
    m->relative_lift = est_fail(b, reason);
    m->incremental_total = est_fail(b, reason);
    m->conversion_diff = est_fail(b, reason);
    return m;
}

static Lift__Estimate *nps_est(bld_t *b, const lift_estimate_t *s)
{
    Lift__Estimate *e = est(b, s, 0);
    return e;
}

static Lift__RetentionPoint **retention(bld_t *b, const double *time, const int *event, size_t n,
                                        size_t *n_out)
{
    const opts_t *o = b->o;
    double hz[REPORT_MAX_RETENTION];
    lift_km_point_t pts[REPORT_MAX_RETENTION];
    for (size_t i = 0; i < o->n_ret; i++)
        hz[i] = (double)o->ret_days[i];
    lift_result_t r = {LIFT_STAT_NOT_ESTIMABLE, "no upgraders"};
    if (n > 0)
        r = lift_km(time, event, n, hz, o->n_ret, o->alpha, pts);
    Lift__RetentionPoint **v = arena_alloc(b->a, o->n_ret * sizeof *v);
    if (!v) {
        b->oom = 1;
        return NULL;
    }
    for (size_t i = 0; i < o->n_ret; i++) {
        Lift__RetentionPoint *p = ANEW(b->a, Lift__RetentionPoint, LIFT__RETENTION_POINT__INIT);
        if (!p) {
            b->oom = 1;
            return NULL;
        }
        p->has_days = 1;
        p->days = o->ret_days[i];
        p->has_ok = 1;
        const lift_km_point_t *k = &pts[i];
        if (n > 0 && r.status == LIFT_STAT_OK && k->status == LIFT_STAT_OK &&
            isfinite(k->survival) && isfinite(k->ci_low) && isfinite(k->ci_high)) {
            p->ok = 1;
            p->has_survival = p->has_ci_low = p->has_ci_high = p->has_at_risk = 1;
            p->survival = k->survival;
            p->ci_low = k->ci_low;
            p->ci_high = k->ci_high;
            p->at_risk = (uint64_t)(k->n_risk > 0 ? k->n_risk : 0);
        } else {
            p->ok = 0;
            p->reason = (char *)(n == 0 ? "no upgraders in this group"
                                 : r.status != LIFT_STAT_OK ? r.reason
                                 : k->reason && *k->reason ? k->reason
                                                           : "not estimable");
        }
        v[i] = p;
    }
    *n_out = o->n_ret;
    return v;
}

/* ---- warnings --------------------------------------------------------------------------------- */

enum {
    W_SRM,        /* the split is broken */
    W_EMPTY,      /* nobody to compare */
    W_OUTCOMES,   /* outcomes read but not counted */
    W_OTHERARM,   /* impressions logged for another arm */
    W_PRE,        /* pre-period imbalance */
    W_SEGSRM,     /* SRM within segment levels */
    W_IMPRESSION, /* low impression rate */
    W_SEQ,        /* fixed-horizon intervals read weekly */
    W_CUPED,      /* CUPED requested, not applied */
    W_CAP,        /* the cap */
    W_POWER,      /* underpowered against the user's MDE */
    W_SMALL,      /* segments not estimated */
    W_ARM,        /* exposures with an unknown arm */
    W_OUTSIDE,    /* outcomes read but not counted, while others were counted */
    W_SKEW,       /* outcomes pile up just before exposure: a sender clock behind? */
    W_WEEKS,      /* weekly series cut */
    W_MAX
};

typedef struct {
    char *text[W_MAX * 2]; /* by priority slot */
    int n;
} warn_t;

static void add_warning(bld_t *b, warn_t *w, int prio, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_warning(bld_t *b, warn_t *w, int prio, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    int slot = prio * 2;
    if (w->text[slot])
        slot++;
    if (w->text[slot])
        return;
    w->text[slot] = arena_strdup(b->a, buf);
    if (!w->text[slot])
        b->oom = 1;
}

/* ---- the fold ------------------------------------------------------------------------------ */

typedef struct {
    lift_summary_t rev;   /* y = capped revenue, x = pre-period revenue */
    int64_t exposed;      /* customers */
    int64_t converted;    /* customers with a conversion */
    int64_t payers;       /* customers with revenue > 0 (the calibration's converters) */
} cell_t;

typedef struct {
    cell_t all;                   /* the arm */
    lift_summary_t unc;           /* y = uncapped revenue, x = pre-period revenue */
    uint64_t capped;              /* customers whose revenue the cap lowered */
    uint64_t other_arm;           /* customers with impressions logged for another arm */
    lift_summary_t cace;          /* y = capped revenue, x = impressed */
    lift_summary_t ctr;           /* y = clicks, x = impressions */
    uint64_t imps, clicks, impressed, conversions;
    int64_t revenue, refunds;
    int64_t churned;
    lift_nps_counts_t nps_pre, nps_post;
    lift_summary_t nps_pair;      /* y = score after, x = score before */
    double *km_t;                 /* upgraders: days from first upgrade to churn/censoring */
    int *km_e;                    /* 1 churned */
    size_t km_n;
} armacc_t;

static int delay_level(const hot_t *h)
{
    if (h->first_imp == 0)
        return 4;
    int64_t d = h->first_imp - h->t0;
    return d < HOUR_MS ? 0 : d < DAY_MS ? 1 : d < WEEK_MS ? 2 : 3;
}

static int level_of(const hot_t *h, int dim)
{
    switch (dim) {
    case LIFT__DIMENSION__DIMENSION_TRIGGER:
        return h->trigger;
    case LIFT__DIMENSION__DIMENSION_STAGE:
        return h->stage;
    case LIFT__DIMENSION__DIMENSION_CHANNEL:
        return h->channel;
    default:
        return delay_level(h);
    }
}

static const char *dim_name(int dim)
{
    switch (dim) {
    case LIFT__DIMENSION__DIMENSION_TRIGGER:
        return "trigger";
    case LIFT__DIMENSION__DIMENSION_STAGE:
        return "stage";
    case LIFT__DIMENSION__DIMENSION_CHANNEL:
        return "channel";
    default:
        return "delay";
    }
}

/* "2026-11-23 00:00 UTC" */
static void report_time_str(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)floor_div(ms, 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(buf, len, "%lld ms", (long long)ms);
}

static const char *level_name(int dim, int level)
{
    switch (dim) {
    case LIFT__DIMENSION__DIMENSION_TRIGGER:
        return lift_trigger_name(level);
    case LIFT__DIMENSION__DIMENSION_STAGE:
        return lift_stage_name(level);
    case LIFT__DIMENSION__DIMENSION_CHANNEL:
        return lift_channel_name(level);
    default:
        return delay_names[level < 5 ? level : 4];
    }
}

/* The revenue cap: the pct-th percentile (R quantile type 7) over the customers with revenue
 * > 0 (GrowthBook's "ignore zeros"): pos[m] holds those customers' revenues (the callers
 * gather only them; lift_cap copies what it sorts); 0 = none (pct = 100, or m = 0).
 *
 * Why over payers only: revenue per exposed customer is zero-inflated — with 2% converters,
 * the pooled 99.9th percentile is a payer's amount only while payers exceed 0.1% of the
 * customers; below that it is a quantile of zeros, the cap collapses and whole upgrades vanish
 * (a 49.00 purchase capped to 0.05). Over payers the percentile is always a payment, so the cap
 * trims the top (1 − pct) of payments whatever the conversion rate, and Welch's interval keeps
 * its meaning (winsorizing trades a small bias for a large variance cut; STATS.md). */
static double revenue_cap(const double *pos, size_t m, double pct)
{
    if (pct >= 100 || m == 0)
        return 0;
    lift_cap_t c = lift_cap(pos, m, pct / 100.0);
    if (c.status != LIFT_STAT_OK || !isfinite(c.cap) || c.cap <= 0)
        return 0;
    return c.cap;
}

static inline double capped(int64_t rev, double cap)
{
    double y = (double)rev;
    return cap > 0 ? lift_winsorize(y, cap) : y;
}

typedef struct {
    int dim;
    int level;
    double key;     /* sort key: Σ over arms of the (shrunken, when available) incremental totals */
    int estimable;  /* some arm's revenue difference is estimated */
    Lift__Segment *msg;
} segsort_t;

/* Within a dimension (request order): estimated levels by key, largest first; the others after
 * them in the levels' own order (delay: <1h, 1-24h, 1-7d, >7d, no impression). */
static int seg_cmp(const void *pa, const void *pb)
{
    const segsort_t *a = pa, *b = pb;
    if (a->dim != b->dim)
        return a->dim < b->dim ? -1 : 1; /* request order index */
    if (a->estimable != b->estimable)
        return a->estimable ? -1 : 1;
    if (a->estimable && a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return a->level < b->level ? -1 : a->level > b->level;
}

/* The SRM test's outcome into sm (skipped when not estimable). Returns 1 when chi2 and p were
 * estimated (sm->mismatch then holds the verdict), else 0. */
static int srm_set(Lift__Srm *sm, const lift_srm_t *sr)
{
    sm->has_skipped = sm->has_mismatch = 1;
    sm->skipped = sr->status != LIFT_STAT_OK;
    if (sr->status != LIFT_STAT_OK || !isfinite(sr->chi2) || !isfinite(sr->p_value))
        return 0;
    sm->has_chi2 = sm->has_p_value = 1;
    sm->chi2 = sr->chi2;
    sm->p_value = sr->p_value;
    sm->mismatch = sr->mismatch;
    return 1;
}

/* ---- report_build ------------------------------------------------------------------------- */

static int build(ctx_t *c, bld_t *b, Lift__Report *rep, const char *currency, int64_t now_ms,
                 status_t *st);

int report_build(store_reader_t *rd, const Lift__Experiment *exp, int64_t experiment_id,
                 const Lift__ReportRequest *req, const char *currency, int64_t now_ms,
                 Lift__Report **out, status_t *st)
{
    char err[256];
    ctx_t c;
    memset(&c, 0, sizeof c);
    status_ok(st);
    if (!rd || !exp || !out)
        return status_set(st, LIFT__CODE__INTERNAL, NULL, "report_build: NULL argument");
    *out = NULL;
    if (!req)
        return status_set(st, LIFT__CODE__INVALID_ARGUMENT, "report", "report is required");
    if (exp->n_arms < 1 || exp->n_arms > MAX_ARMS)
        return status_set(st, LIFT__CODE__FAILED_PRECONDITION, "experiment.arms",
                          "experiment has %zu arms: a report needs 1..%d", exp->n_arms, MAX_ARMS);
    if (resolve(exp, req, now_ms, &c.o, st) < 0)
        return -1;
    c.exp = exp;
    c.exp_id = experiment_id;
    c.n_arms = exp->n_arms;
    c.min_t0 = INT64_MAX;
    c.lo_expo = c.o.from_given ? c.o.from : INT64_MIN;

    report_box_t *box = calloc(1, sizeof *box);
    if (!box)
        return status_set(st, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, "out of memory");
    Lift__Report init = LIFT__REPORT__INIT;
    box->report = init;
    bld_t b = {.a = &box->arena, .o = &c.o};
    int rc = -1;

    if (store_reader_begin(rd, err, sizeof err) < 0) {
        status_set(st, LIFT__CODE__INTERNAL, NULL, "report: %s", err);
        goto done;
    }
    int64_t n_expo = store_reader_exposure_count(rd, experiment_id);
    if (n_expo < 0 || n_expo >= (int64_t)UINT32_MAX) {
        status_set(st, LIFT__CODE__INTERNAL, NULL, "report: counting exposures: %s",
                   n_expo < 0 ? store_reader_errmsg(rd) : "too many");
        store_reader_end(rd);
        goto done;
    }
    c.cap = (uint32_t)n_expo;
    c.hot = bigmem_alloc((size_t)c.cap * sizeof *c.hot);
    c.cold = bigmem_alloc((size_t)c.cap * sizeof *c.cold);
    size_t nslots = 1024;
    while (nslots < (size_t)c.cap * 2)
        nslots *= 2;
    c.slots = bigmem_alloc(nslots * sizeof *c.slots);
    c.slots_n = nslots;
    c.mask = nslots - 1;
    if (!c.hot || !c.cold || !c.slots) {
        status_set(st, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, "report: out of memory");
        store_reader_end(rd);
        goto done;
    }
    int lr = store_reader_exposures(rd, experiment_id, on_exposure, &c);
    if (lr != 0) {
        if (lr == -2)
            status_set(st, LIFT__CODE__RESOURCE_EXHAUSTED, NULL,
                       "report: out of memory loading exposures");
        else
            status_set(st, LIFT__CODE__INTERNAL, NULL, "report: reading exposures: %s",
                       store_reader_errmsg(rd));
        store_reader_end(rd);
        goto done;
    }
    /* Default window start (see the top of this file). */
    if (!c.o.from_given) {
        int64_t f = exp->has_start_ms && exp->start_ms > 0       ? exp->start_ms
                    : exp->has_started_ms && exp->started_ms > 0 ? exp->started_ms
                    : c.n > 0                                    ? c.min_t0
                                                                 : c.o.to;
        if (c.n > 0 && c.min_t0 < f)
            f = c.min_t0;
        if (f > c.o.to) {
            if (c.o.to_given) {
                status_set(st, LIFT__CODE__INVALID_ARGUMENT, "report.to_ms",
                           "report.to_ms: %lld is not after the window start %lld (experiment "
                           "start)",
                           (long long)c.o.to, (long long)f);
                store_reader_end(rd);
                goto done;
            }
            f = c.o.to; /* not started yet: an empty window */
        }
        c.o.from = f;
    }
    c.week0 = week_start(c.o.from);
    if (c.n > 0) {
        /* To the end of time: events at or after `to` are only counted (outcomes outside the
         * window are named in a warning, never silently dropped). */
        int64_t lo = c.min_t0 - c.o.lookback_ms;
        c.pipe = pipe_start(&c);
        if (c.pipe) {
            lr = store_reader_events(rd, lo, INT64_MAX, on_event_pipe, &c);
            int pr = pipe_finish(c.pipe); /* always: the helper must stop */
            c.pipe = NULL;
            if (lr == 0)
                lr = pr;
        } else {
            lr = store_reader_events(rd, lo, INT64_MAX, on_event, &c);
            if (lr == 0)
                lr = flush_batch(&c);
        }
        if (lr != 0) {
            if (lr == -2)
                status_set(st, LIFT__CODE__RESOURCE_EXHAUSTED, NULL,
                           "report: out of memory scanning events");
            else
                status_set(st, LIFT__CODE__INTERNAL, NULL, "report: reading events: %s",
                           store_reader_errmsg(rd));
            store_reader_end(rd);
            goto done;
        }
    }
    store_reader_end(rd);
    rc = build(&c, &b, &box->report, currency, now_ms, st);
done:
    ctx_free(&c);
    for (int f = 0; f < F_N; f++)
        free(b.fam[f]);
    if (rc < 0) {
        arena_free(&box->arena);
        free(box);
        return -1;
    }
    report_units(&box->report); /* Estimate.unit on every estimate */
    *out = &box->report;
    return 0;
}

void report_free(Lift__Report *r)
{
    if (!r)
        return;
    report_box_t *box = (report_box_t *)(void *)((char *)r - offsetof(report_box_t, report));
    arena_free(&box->arena);
    free(box);
}

#define CK(x)                                                                                     \
    do {                                                                                          \
        if (!(x) || b->oom)                                                                       \
            goto oom;                                                                             \
    } while (0)

/* What the report applied, for the provenance (the request says what was asked). */
typedef struct {
    double cap;             /* cap applied, minor units; 0 = none */
    size_t n_pos;           /* customers with revenue > 0 (the cap's base) */
    uint64_t capped;        /* customers the cap lowered */
    int cuped_applied;      /* some comparison used CUPED */
    const char *cuped_why;  /* requested, not applied: why (NULL when applied or not asked) */
} applied_t;

static Lift__Provenance *provenance(ctx_t *c, bld_t *b, const char *currency, int64_t now_ms,
                                    const applied_t *ap)
{
    char note[256];
    Lift__Provenance *p = ANEW(b->a, Lift__Provenance, LIFT__PROVENANCE__INIT);
    if (!p)
        return NULL;
    size_t len = lift__experiment__get_packed_size(c->exp);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return NULL;
    lift__experiment__pack(c->exp, buf);
    ProtobufCAllocator al = {arena_pb_alloc, arena_pb_free, b->a};
    p->experiment = lift__experiment__unpack(&al, len, buf);
    free(buf);
    if (!p->experiment)
        return NULL;
    p->hash_version = LIFT_HASH_VERSION;
    p->has_from_ms = p->has_to_ms = p->has_generated_ms = 1;
    p->from_ms = c->o.from;
    p->to_ms = c->o.to;
    p->generated_ms = now_ms;
    p->has_exposures_read = p->has_events_read = 1;
    p->exposures_read = c->exposures_read;
    p->events_read = c->events_read;
    if (currency && !(p->currency = arena_strdup(b->a, currency)))
        return NULL;
    p->has_alpha = p->has_sequential = p->has_cuped = 1;
    p->alpha = c->o.alpha;
    p->sequential = c->o.sequential;
    p->cuped = c->o.cuped;
    p->has_revenue_cap = p->has_revenue_cap_percentile = p->has_n_star = 1;
    p->revenue_cap = ap->cap;
    p->revenue_cap_percentile = c->o.cap_pct;
    p->n_star = c->o.n_star;
    p->lift_version = LIFT_VERSION;
    p->has_cuped_applied = p->has_capped_customers = p->has_cost_per_attempt_minor = 1;
    p->cuped_applied = ap->cuped_applied;
    if (c->o.cuped && !ap->cuped_applied) {
        snprintf(note, sizeof note, "CUPED requested, not applied: %s",
                 ap->cuped_why ? ap->cuped_why : "not estimable");
        if (!(p->cuped_note = arena_strdup(b->a, note)))
            return NULL;
    }
    p->capped_customers = ap->capped;
    if (c->o.cap_pct < 100) {
        snprintf(note, sizeof note, "%gth percentile of the %zu customers with revenue > 0",
                 c->o.cap_pct, ap->n_pos);
        if (!(p->revenue_cap_rule = arena_strdup(b->a, note)))
            return NULL;
        if (ap->cap <= 0 &&
            !(p->revenue_cap_note = arena_strdup(
                  b->a, "cap requested, not applied: no customer has revenue > 0")))
            return NULL;
    }
    p->cost_per_attempt_minor = c->o.cost;
    p->has_lookback_days = 1;
    p->lookback_days = c->o.lookback_days;
    p->has_min_converters = 1;
    p->min_converters = LIFT_MIN_CONVERTERS;
    return p;
}

/* Weekly cumulative series (see the top of this file). */
static int weekly(ctx_t *c, bld_t *b, Lift__Report *rep, warn_t *w)
{
    const opts_t *o = &c->o;
    size_t na = c->n_arms;
    int64_t last = week_start(o->to > o->from ? o->to - 1 : o->from);
    size_t nw = (size_t)((last - c->week0) / WEEK_MS) + 1;
    size_t k0 = nw > REPORT_MAX_WEEKS ? nw - REPORT_MAX_WEEKS : 0;
    if (k0 > 0)
        add_warning(b, w, W_WEEKS, "weekly series shows the last %d of %zu weeks", REPORT_MAX_WEEKS, nw);
    size_t *start = calloc(nw + 1, sizeof *start);
    revfact_t *sorted = malloc((c->n_rf ? c->n_rf : 1) * sizeof *sorted);
    int64_t *run = calloc(c->n ? c->n : 1, sizeof *run);
    double *vals = malloc((c->n ? c->n : 1) * sizeof *vals);
    lift_summary_t *arm = malloc(na * sizeof *arm);
    int64_t *conv = malloc(na * sizeof *conv);
    int rc = -1;
    if (!start || !sorted || !run || !vals || !arm || !conv)
        goto out;
    /* counting sort of the revenue facts by week */
    for (size_t i = 0; i < c->n_rf; i++) {
        size_t k = c->rf[i].week < nw ? c->rf[i].week : nw - 1;
        start[(k < k0 ? k0 : k) + 1]++;
    }
    for (size_t k = 0; k < nw; k++)
        start[k + 1] += start[k];
    {
        size_t *pos = malloc((nw + 1) * sizeof *pos);
        if (!pos)
            goto out;
        memcpy(pos, start, (nw + 1) * sizeof *pos);
        for (size_t i = 0; i < c->n_rf; i++) {
            size_t k = c->rf[i].week < nw ? c->rf[i].week : nw - 1;
            sorted[pos[k < k0 ? k0 : k]++] = c->rf[i];
        }
        free(pos);
    }
    rep->weekly = arena_alloc(b->a, (nw - k0) * sizeof *rep->weekly);
    CK(rep->weekly);
    for (size_t k = k0; k < nw; k++) {
        int64_t end = c->week0 + (int64_t)(k + 1) * WEEK_MS;
        if (end > o->to)
            end = o->to;
        for (size_t i = start[k]; i < start[k + 1]; i++)
            run[sorted[i].cust] += sorted[i].amount;
        size_t m = 0, n_pos = 0; /* exposed by `end`; of which with revenue > 0 (the cap's base) */
        for (uint32_t i = 0; i < c->n; i++)
            if (c->hot[i].t0 < end) {
                m++;
                if (run[i] > 0)
                    vals[n_pos++] = (double)run[i];
            }
        double cap = revenue_cap(vals, n_pos, o->cap_pct);
        for (size_t a = 0; a < na; a++) {
            lift_summary_init(&arm[a]);
            conv[a] = 0;
        }
        for (uint32_t i = 0; i < c->n; i++)
            if (c->hot[i].t0 < end) {
                lift_summary_add_xy(&arm[c->hot[i].arm], capped(run[i], cap),
                                    (double)c->cold[i].pre);
                conv[c->hot[i].arm] += run[i] > 0; /* payers */
            }
        Lift__WeekPoint *p = ANEW(b->a, Lift__WeekPoint, LIFT__WEEK_POINT__INIT);
        CK(p);
        char label[32];
        report_iso_week(c->week0 + (int64_t)k * WEEK_MS, label, sizeof label);
        CK(p->week = arena_strdup(b->a, label));
        p->has_end_ms = p->has_exposed = 1;
        p->end_ms = end;
        p->exposed = m;
        if (na > 1) {
            CK(p->comparisons = arena_alloc(b->a, (na - 1) * sizeof *p->comparisons));
            for (size_t a = 1; a < na; a++) {
                revcmp_t r = compare_revenue(&arm[a], &arm[0], conv[a], conv[0], o, 0);
                CK(p->comparisons[a - 1] = core_comparison(b, c->exp, a, &r, NULL));
            }
            p->n_comparisons = na - 1;
        }
        rep->weekly[rep->n_weekly++] = p;
    }
    rc = 0;
    goto out;
oom:
    b->oom = 1;
out:
    free(start);
    free(sorted);
    free(run);
    free(vals);
    free(arm);
    free(conv);
    return rc;
}

static int build(ctx_t *c, bld_t *b, Lift__Report *rep, const char *currency, int64_t now_ms,
                 status_t *st)
{
    const opts_t *o = &c->o;
    const Lift__Experiment *exp = c->exp;
    size_t na = c->n_arms;
    warn_t w;
    memset(&w, 0, sizeof w);
    applied_t ap;
    memset(&ap, 0, sizeof ap);
    armacc_t *acc = calloc(na, sizeof *acc);
    double *vals = malloc((c->n ? c->n : 1) * sizeof *vals);
    int64_t *churn_after = malloc((c->n ? c->n : 1) * sizeof *churn_after);
    /* segment cells: [dim index][level][arm] */
    cell_t *cells = calloc(N_DIMS * N_LEVELS * na, sizeof *cells);
    segsort_t *segs = NULL;
    int rc = -1;
    if (!acc || !vals || !churn_after || !cells)
        goto oom;

    /* 1. the revenue cap: a percentile of the customers with revenue > 0 (revenue_cap) */
    for (uint32_t i = 0; i < c->n; i++)
        if (c->cold[i].rev > 0)
            vals[ap.n_pos++] = (double)c->cold[i].rev;
    double cap = revenue_cap(vals, ap.n_pos, o->cap_pct);
    ap.cap = cap;

    /* 2. first churn at or after the first upgrade, for retention */
    for (uint32_t i = 0; i < c->n; i++)
        churn_after[i] = NO_TIME;
    for (size_t i = 0; i < c->n_cf; i++) {
        uint32_t k = c->cf[i].cust;
        if (c->cold[k].first_conv != 0 && c->cf[i].ts >= c->cold[k].first_conv &&
            c->cf[i].ts < churn_after[k])
            churn_after[k] = c->cf[i].ts;
    }

    /* 3. the fold */
    size_t n_up[MAX_ARMS] = {0}; /* upgraded customers per arm: one pass for every arm */
    for (uint32_t i = 0; i < c->n; i++)
        n_up[c->hot[i].arm] += c->cold[i].first_conv != 0;
    for (size_t a = 0; a < na; a++) {
        acc[a].km_t = malloc((n_up[a] ? n_up[a] : 1) * sizeof *acc[a].km_t);
        acc[a].km_e = malloc((n_up[a] ? n_up[a] : 1) * sizeof *acc[a].km_e);
        if (!acc[a].km_t || !acc[a].km_e)
            goto oom;
    }
    uint64_t with_pre = 0; /* customers with pre-exposure revenue */
    for (uint32_t i = 0; i < c->n; i++) {
        const hot_t *h = &c->hot[i];
        const cold_t *d = &c->cold[i];
        armacc_t *A = &acc[h->arm];
        double y = capped(d->rev, cap), x = (double)d->pre;
        lift_summary_add_xy(&A->all.rev, y, x);
        lift_summary_add_xy(&A->unc, (double)d->rev, x);
        A->capped += y < (double)d->rev;
        A->other_arm += h->other_arm;
        with_pre += d->pre != 0;
        A->all.exposed++;
        A->all.converted += d->convs > 0;
        A->all.payers += d->rev > 0;
        lift_summary_add_xy(&A->cace, y, h->imps > 0 ? 1.0 : 0.0);
        lift_summary_add_xy(&A->ctr, (double)h->clicks, (double)h->imps);
        A->imps += h->imps;
        A->clicks += h->clicks;
        A->impressed += h->imps > 0;
        A->conversions += d->convs;
        A->revenue += d->rev;
        A->refunds += d->refunds;
        A->churned += d->churned;
        if (d->nps_pre)
            lift_nps_add(&A->nps_pre, d->nps_pre - 1);
        if (d->nps_post)
            lift_nps_add(&A->nps_post, d->nps_post - 1);
        if (d->nps_pre && d->nps_post)
            lift_summary_add_xy(&A->nps_pair, lift_nps_score(d->nps_post - 1),
                                lift_nps_score(d->nps_pre - 1));
        if (d->first_conv != 0) {
            int64_t end = churn_after[i] != NO_TIME ? churn_after[i] : o->to;
            A->km_t[A->km_n] = (double)(end - d->first_conv) / (double)DAY_MS;
            A->km_e[A->km_n++] = churn_after[i] != NO_TIME;
        }
        for (size_t di = 0; di < o->n_dims; di++) {
            cell_t *cl = &cells[(di * N_LEVELS + (size_t)level_of(h, o->dims[di])) * na + h->arm];
            lift_summary_add_xy(&cl->rev, y, x);
            cl->exposed++;
            cl->converted += d->convs > 0;
            cl->payers += d->rev > 0;
        }
    }
    for (size_t a = 0; a < na; a++)
        ap.capped += acc[a].capped;

    /* 4. arms */
    CK(rep->arms = arena_alloc(b->a, na * sizeof *rep->arms));
    for (size_t a = 0; a < na; a++) {
        armacc_t *A = &acc[a];
        Lift__ArmSummary *m = ANEW(b->a, Lift__ArmSummary, LIFT__ARM_SUMMARY__INIT);
        CK(m);
        m->has_arm_index = 1;
        m->arm_index = (int32_t)a;
        m->arm_name = (char *)arm_name(exp, a);
        m->has_exposed = m->has_impressions = m->has_clicks = m->has_impressed_customers = 1;
        m->has_converted_customers = m->has_conversions = m->has_revenue_minor = 1;
        m->has_refunds_minor = m->has_churned = m->has_revenue_per_customer = 1;
        m->has_revenue_per_customer_uncapped = m->has_capped_customers = 1;
        m->has_nps_before_n = m->has_nps_after_n = m->has_nps_pairs = 1;
        m->has_pre_revenue_per_customer = 1;
        m->exposed = (uint64_t)A->all.exposed;
        m->impressions = A->imps;
        m->clicks = A->clicks;
        m->impressed_customers = A->impressed;
        m->converted_customers = (uint64_t)A->all.converted;
        m->conversions = A->conversions;
        m->revenue_minor = A->revenue;
        m->refunds_minor = A->refunds;
        m->churned = (uint64_t)A->churned;
        m->revenue_per_customer = A->all.exposed > 0 && isfinite(A->all.rev.mean_y)
                                      ? A->all.rev.mean_y
                                      : 0;
        m->revenue_per_customer_uncapped =
            A->all.exposed > 0 && isfinite(A->unc.mean_y) ? A->unc.mean_y : 0;
        m->pre_revenue_per_customer =
            A->all.exposed > 0 && isfinite(A->all.rev.mean_x) ? A->all.rev.mean_x : 0;
        m->capped_customers = A->capped;
        m->nps_before_n = (uint64_t)(A->nps_pre.promoters + A->nps_pre.passives +
                                     A->nps_pre.detractors);
        m->nps_after_n = (uint64_t)(A->nps_post.promoters + A->nps_post.passives +
                                    A->nps_post.detractors);
        m->nps_pairs = (uint64_t)A->nps_pair.n;
        /* Per-arm NPS is descriptive: no test (a p-value for "NPS = 0" would mean nothing). */
        lift_estimate_t e = lift_nps(&A->nps_pre, o->alpha);
        CK(m->nps_before = nps_est(b, &e));
        m->nps_before->has_p_value = 0;
        e = lift_nps(&A->nps_post, o->alpha);
        CK(m->nps_after = nps_est(b, &e));
        m->nps_after->has_p_value = 0;
        e = lift_nps_prepost(&A->nps_pair, o->alpha);
        CK(m->nps_change = nps_est(b, &e));
        lift_proportion_t pr = lift_wilson(A->all.converted, A->all.exposed, o->alpha);
        if (pr.status == LIFT_STAT_OK && isfinite(pr.p) && isfinite(pr.ci_low) &&
            isfinite(pr.ci_high)) {
            CK(m->conversion_rate = ANEW(b->a, Lift__Estimate, LIFT__ESTIMATE__INIT));
            m->conversion_rate->has_ok = m->conversion_rate->ok = 1;
            m->conversion_rate->has_estimate = m->conversion_rate->has_ci_low = 1;
            m->conversion_rate->has_ci_high = 1;
            m->conversion_rate->estimate = pr.p;
            m->conversion_rate->ci_low = pr.ci_low;
            m->conversion_rate->ci_high = pr.ci_high;
        } else {
            CK(m->conversion_rate = est_fail(b, pr.reason && *pr.reason ? pr.reason
                                                                        : "no customers"));
        }
        rep->arms[rep->n_arms++] = m;
    }

    /* 5. comparisons. The confirmatory family holds the primary metric's test per treatment
     * arm; every estimate of the same null hypothesis (the revenue difference, its totals, the
     * relative lift, CACE = ITT / compliance, net when the attempt cost is 0) shows that one
     * adjusted p-value. Everything else is exploratory. */
    size_t n_org = acc[0].km_n;
    Lift__RetentionPoint **organic = NULL;
    size_t n_organic = 0;
    if (na > 1) {
        CK(organic = retention(b, acc[0].km_t, acc[0].km_e, n_org, &n_organic));
        CK(rep->comparisons = arena_alloc(b->a, (na - 1) * sizeof *rep->comparisons));
    }
    const armacc_t *C = &acc[0];
    int cuped_any = 0;
    const char *cuped_why = NULL;
    for (size_t a = 1; a < na; a++) {
        const armacc_t *T = &acc[a];
        double ntot = (double)(T->all.exposed + C->all.exposed);
        revcmp_t r = compare_revenue(&T->all.rev, &C->all.rev, T->all.payers, C->all.payers, o,
                                     (double)T->imps);
        cuped_any |= r.cuped;
        if (!r.cuped && r.cuped_why && !cuped_why)
            cuped_why = r.cuped_why;
        lift_estimate_t conv =
            lift_prop_diff(T->all.converted, T->all.exposed, C->all.converted, C->all.exposed,
                           o->alpha);
        conv = seq_wrap(&conv, ntot, o);
        Lift__Comparison *m = core_comparison(b, exp, a, &r, &conv);
        CK(m);
        m->has_converted_treated = m->has_converted_holdout = 1;
        m->converted_treated = (uint64_t)T->all.payers; /* the revenue rule's converters */
        m->converted_holdout = (uint64_t)C->all.payers;
        CK(m->holdout_cost = est(b, &r.holdout, 1));
        CK(m->net_incremental = est(b, &r.net, 1));
        if (cap > 0) {
            revcmp_t u = compare_revenue(&T->unc, &C->unc, T->all.payers, C->all.payers, o, 0);
            CK(m->revenue_diff_uncapped = est(b, &u.diff, 1));
        }
        lift_estimate_t ch =
            lift_prop_diff(T->churned, T->all.exposed, C->churned, C->all.exposed, o->alpha);
        ch = seq_wrap(&ch, ntot, o);
        CK(m->churn_diff = est(b, &ch, 1));
        lift_estimate_t ctr = lift_ratio_diff(&T->ctr, &C->ctr, o->alpha);
        ctr = seq_wrap(&ctr, ntot, o);
        CK(m->ctr_diff = est(b, &ctr, 1));
        lift_cace_t cace = lift_cace(&T->cace, &C->cace, o->alpha);
        lift_estimate_t ce = cace.cace;
        if (cace.status != LIFT_STAT_OK) {
            ce.status = LIFT_STAT_NOT_ESTIMABLE;
            ce.reason = cace.reason;
        }
        ce = seq_wrap(&ce, ntot, o);
        CK(m->cace = est(b, &ce, 1));
        lift_estimate_t nd = lift_nps_diff(&T->nps_post, &C->nps_post, o->alpha);
        nd = seq_wrap(&nd, (double)(T->nps_post.promoters + T->nps_post.passives +
                                    T->nps_post.detractors + C->nps_post.promoters +
                                    C->nps_post.passives + C->nps_post.detractors),
                      o);
        CK(m->nps_diff = est(b, &nd, 1));
        /* health: pre-exposure revenue should not differ (randomization); fixed-horizon Welch */
        lift_summary_t pt = T->all.rev, pc = C->all.rev;
        pt.mean_y = pt.mean_x;
        pt.m2_y = pt.m2_x;
        pc.mean_y = pc.mean_x;
        pc.m2_y = pc.m2_x;
        lift_estimate_t pre = lift_diff_means(&pt, &pc, o->alpha);
        CK(m->pre_period_diff = est(b, &pre, 0));
        if (pre.status == LIFT_STAT_OK && pre.p_value < LIFT_SRM_P_THRESHOLD) {
            char d1[48];
            snprintf(d1, sizeof d1, "%+.2f", pre.estimate);
            add_warning(b, &w, W_PRE,
                        "pre-period imbalance: pre-exposure revenue per customer differs between "
                        "%s and %s by %s minor units (p %.2g < 0.001) although randomization "
                        "makes it equal in expectation: check the assignment and the exposure "
                        "times before trusting the comparison",
                        arm_name(exp, a), arm_name(exp, 0), d1, pre.p_value);
        }
        Lift__Funnel *f = ANEW(b->a, Lift__Funnel, LIFT__FUNNEL__INIT);
        CK(f);
        if (T->all.exposed > 0) {
            f->has_impression_rate = 1;
            f->impression_rate = (double)T->impressed / (double)T->all.exposed;
        }
        if (T->imps > 0) {
            f->has_click_through = f->has_conversion_per_impression = 1;
            f->click_through = (double)T->clicks / (double)T->imps;
            f->conversion_per_impression = (double)T->conversions / (double)T->imps;
            if (m->incremental_total->ok) {
                f->has_revenue_per_attempt = 1;
                f->revenue_per_attempt = m->incremental_total->estimate / (double)T->imps;
            }
        }
        m->funnel = f;
        CK(m->retention_treated = retention(b, T->km_t, T->km_e, T->km_n,
                                            &m->n_retention_treated));
        m->retention_organic = organic;
        m->n_retention_organic = n_organic;
        int rev_conf = o->primary == LIFT__METRIC__METRIC_REVENUE;
        Lift__Estimate *net_same = o->cost == 0 ? m->net_incremental : NULL;
        FAMILY(b, rev_conf ? F_CONF : F_EXPL, m->revenue_diff, m->incremental_total,
               m->holdout_cost, m->relative_lift, m->cace, net_same);
        if (o->cost > 0)
            FAMILY(b, F_EXPL, m->net_incremental);
        FAMILY(b, o->primary == LIFT__METRIC__METRIC_CONVERSION ? F_CONF : F_EXPL,
               m->conversion_diff);
        FAMILY(b, o->primary == LIFT__METRIC__METRIC_RETENTION ? F_CONF : F_EXPL, m->churn_diff);
        FAMILY(b, F_EXPL, m->ctr_diff);
        FAMILY(b, F_EXPL, m->nps_diff);
        rep->comparisons[rep->n_comparisons++] = m;
    }
    ap.cuped_applied = cuped_any;
    if (o->cuped && !cuped_any) {
        ap.cuped_why = with_pre == 0 ? "no customer has pre-exposure revenue in the lookback"
                       : cuped_why   ? cuped_why
                                     : "not estimable";
    }
    /* the confirmatory family is complete here: segments never change its adjusted p-values */

    /* 6. segments */
    uint32_t small = 0, seg_srm_bad = 0;
    char srm_levels[256] = "";
    size_t srm_len = 0;
    int delay_untimed = 0; /* delay segments asked for but not comparable (no ghost impressions) */
    size_t n_seg = 0;
    double wts[MAX_ARMS];
    for (size_t a = 0; a < na; a++)
        wts[a] = exp->arms[a] && exp->arms[a]->has_weight && isfinite(exp->arms[a]->weight) &&
                         exp->arms[a]->weight > 0
                     ? exp->arms[a]->weight
                     : 0;
    CK(segs = calloc(o->n_dims * N_LEVELS + 1, sizeof *segs));
    for (size_t di = 0; di < o->n_dims; di++) {
        int dim = o->dims[di];
        int nlev = dim == LIFT__DIMENSION__DIMENSION_DELAY ? 5 : N_LEVELS;
        /* Delay is measured from impressions. Without ghost impressions for the holdout, its
         * customers all land in "no impression" while treated ones sort themselves into levels
         * by what happened after assignment: comparing a level with the holdout would credit
         * (or blame) the offer for who engages. Then no delay level is estimated. */
        int64_t holdout_timed = 0;
        if (dim == LIFT__DIMENSION__DIMENSION_DELAY)
            for (int lv = 0; lv < 4; lv++)
                holdout_timed += cells[(di * N_LEVELS + (size_t)lv) * na].exposed;
        size_t first = n_seg;
        for (int lv = 0; lv < nlev; lv++) {
            cell_t *row = &cells[(di * N_LEVELS + (size_t)lv) * na];
            int64_t tot = 0, minn = INT64_MAX;
            for (size_t a = 0; a < na; a++) {
                tot += row[a].exposed;
                if (row[a].exposed < minn)
                    minn = row[a].exposed;
            }
            if (tot == 0)
                continue;
            Lift__Segment *s = ANEW(b->a, Lift__Segment, LIFT__SEGMENT__INIT);
            CK(s);
            s->has_dimension = 1;
            s->dimension = (Lift__Dimension)dim;
            s->level = (char *)level_name(dim, lv);
            CK(s->exposed = arena_alloc(b->a, na * sizeof *s->exposed));
            int64_t obs[MAX_ARMS];
            for (size_t a = 0; a < na; a++) {
                s->exposed[a] = (uint64_t)row[a].exposed;
                obs[a] = row[a].exposed;
            }
            s->n_exposed = na;
            /* SRM within the level: a segment defined before assignment splits like the whole */
            if (na > 1 && dim != LIFT__DIMENSION__DIMENSION_DELAY) {
                lift_srm_t sr = lift_srm(obs, wts, na);
                Lift__Srm *sm = ANEW(b->a, Lift__Srm, LIFT__SRM__INIT);
                CK(sm);
                if (srm_set(sm, &sr) && sr.mismatch) {
                    seg_srm_bad++;
                    if (srm_len + 80 < sizeof srm_levels)
                        srm_len += (size_t)snprintf(
                            srm_levels + srm_len, sizeof srm_levels - srm_len,
                            "%s%s=%s (chi2 %.1f, p %.2g)", srm_len ? ", " : "",
                            dim_name(dim), s->level, sr.chi2, sr.p_value);
                }
                s->srm = sm;
            }
            int untimed = dim == LIFT__DIMENSION__DIMENSION_DELAY && holdout_timed == 0;
            int est_ok = minn >= REPORT_MIN_SEGMENT && !untimed;
            delay_untimed |= untimed;
            if (na > 1)
                CK(s->comparisons = arena_alloc(b->a, (na - 1) * sizeof *s->comparisons));
            if (!est_ok && !untimed && na > 1)
                small++;
            int any_ok = 0;
            for (size_t a = 1; a < na; a++) {
                Lift__Comparison *m;
                if (!est_ok) {
                    const char *why =
                        untimed
                            ? "not randomized: the holdout has no (ghost) impressions to time, so "
                              "delay levels sort treated customers by what happened after "
                              "assignment; compare timings with timing arms, or log holdout "
                              "impressions with arm 0 when the offer would have been shown"
                            : "segment too small: fewer than 100 customers in an arm";
                    CK(m = failed_comparison(b, exp, a, why));
                } else {
                    revcmp_t rr = compare_revenue(&row[a].rev, &row[0].rev, row[a].payers,
                                                  row[0].payers, o, 0);
                    lift_estimate_t conv = lift_prop_diff(row[a].converted, row[a].exposed,
                                                          row[0].converted, row[0].exposed,
                                                          o->alpha);
                    conv = seq_wrap(&conv, (double)(row[a].exposed + row[0].exposed), o);
                    CK(m = core_comparison(b, exp, a, &rr, &conv));
                    FAMILY(b, F_EXPL, m->revenue_diff, m->incremental_total, m->relative_lift);
                    FAMILY(b, F_EXPL, m->conversion_diff);
                    any_ok |= m->revenue_diff->ok;
                }
                m->has_converted_treated = m->has_converted_holdout = 1;
                m->converted_treated = (uint64_t)row[a].payers;
                m->converted_holdout = (uint64_t)row[0].payers;
                s->comparisons[s->n_comparisons++] = m;
            }
            segs[n_seg++] = (segsort_t){(int)di, lv, 0, any_ok, s};
        }
        /* per treatment arm over this dimension's estimated levels: heterogeneity (does the
         * effect differ across levels?) and empirical-Bayes shrunken estimates */
        for (size_t a = 1; a < na; a++) {
            double est_v[N_LEVELS], se_v[N_LEVELS];
            size_t idx[N_LEVELS], k = 0;
            for (size_t q = first; q < n_seg; q++) {
                const Lift__Estimate *e = segs[q].msg->comparisons[a - 1]->revenue_diff;
                if (e && e->ok && isfinite(e->se) && e->se > 0) {
                    est_v[k] = e->estimate;
                    se_v[k] = e->se;
                    idx[k++] = q;
                }
            }
            double key_raw[N_LEVELS];
            for (size_t j = 0; j < k; j++) {
                const Lift__Estimate *t = segs[idx[j]].msg->comparisons[a - 1]->incremental_total;
                key_raw[j] = t && t->ok ? t->estimate : 0;
            }
            if (k >= 2) {
                lift_heterogeneity_t hg = lift_heterogeneity(est_v, se_v, k);
                Lift__Heterogeneity *hm = ANEW(b->a, Lift__Heterogeneity, LIFT__HETEROGENEITY__INIT);
                CK(hm);
                hm->has_dimension = hm->has_arm_index = hm->has_ok = hm->has_levels = 1;
                hm->dimension = (Lift__Dimension)dim;
                hm->arm_index = (int32_t)a;
                hm->levels = (uint32_t)k;
                if (hg.status == LIFT_STAT_OK && isfinite(hg.q) && isfinite(hg.p_value) &&
                    isfinite(hg.i2) && isfinite(hg.tau2) && isfinite(hg.df)) {
                    hm->ok = 1;
                    hm->has_q = hm->has_df = hm->has_p_value = hm->has_i2 = hm->has_tau2 = 1;
                    hm->q = hg.q;
                    hm->df = hg.df;
                    hm->p_value = hg.p_value;
                    hm->i2 = hg.i2;
                    hm->tau2 = hg.tau2;
                    hm->levels = (uint32_t)hg.k_used;
                } else {
                    hm->reason = (char *)(hg.reason && *hg.reason ? hg.reason : "not estimable");
                }
                if (rep->n_heterogeneity % 8 == 0) {
                    Lift__Heterogeneity **nv =
                        arena_alloc(b->a, (rep->n_heterogeneity + 8) * sizeof *nv);
                    CK(nv);
                    if (rep->n_heterogeneity)
                        memcpy(nv, rep->heterogeneity, rep->n_heterogeneity * sizeof *nv);
                    rep->heterogeneity = nv;
                }
                rep->heterogeneity[rep->n_heterogeneity++] = hm;
                lift_estimate_t shr[N_LEVELS];
                lift_result_t sr = lift_eb_shrink(est_v, se_v, k, o->alpha, shr);
                for (size_t j = 0; j < k && sr.status == LIFT_STAT_OK; j++) {
                    Lift__Comparison *m = segs[idx[j]].msg->comparisons[a - 1];
                    /* in a sequential report the shrunken interval takes the same always-valid
                     * multiplier as the raw one: a weekly reader must not find significance in
                     * the shrunken column that the raw column's guarantee does not give */
                    double nl = (double)(segs[idx[j]].msg->exposed[a] + segs[idx[j]].msg->exposed[0]);
                    shr[j] = seq_wrap(&shr[j], nl, o);
                    CK(m->revenue_diff_shrunk = est(b, &shr[j], 1));
                    lift_estimate_t tt = shr[j];
                    double nt = (double)segs[idx[j]].msg->exposed[a];
                    tt.estimate *= nt;
                    tt.se *= nt;
                    tt.ci_low *= nt;
                    tt.ci_high *= nt;
                    CK(m->incremental_total_shrunk = est(b, &tt, 1));
                    if (m->incremental_total_shrunk->ok)
                        key_raw[j] = m->incremental_total_shrunk->estimate;
                }
            }
            for (size_t j = 0; j < k; j++)
                segs[idx[j]].key += key_raw[j];
        }
    }
    qsort(segs, n_seg, sizeof *segs, seg_cmp);
    if (n_seg) {
        CK(rep->segments = arena_alloc(b->a, n_seg * sizeof *rep->segments));
        for (size_t i = 0; i < n_seg; i++)
            rep->segments[rep->n_segments++] = segs[i].msg;
    }

    /* 7. weekly series */
    if (weekly(c, b, rep, &w) < 0)
        goto oom;

    /* 8. health */
    Lift__Health *hl = ANEW(b->a, Lift__Health, LIFT__HEALTH__INIT);
    CK(hl);
    Lift__Srm *srm = ANEW(b->a, Lift__Srm, LIFT__SRM__INIT);
    CK(srm);
    {
        int64_t obs[MAX_ARMS];
        double wsum = 0;
        int64_t ntot = 0;
        for (size_t a = 0; a < na; a++) {
            obs[a] = acc[a].all.exposed;
            ntot += obs[a];
            wsum += wts[a];
        }
        CK(srm->observed = arena_alloc(b->a, na * sizeof *srm->observed));
        CK(srm->expected = arena_alloc(b->a, na * sizeof *srm->expected));
        for (size_t a = 0; a < na; a++) {
            srm->observed[a] = (uint64_t)obs[a];
            srm->expected[a] = wsum > 0 && wts[a] > 0 ? wts[a] / wsum * (double)ntot : 0;
        }
        srm->n_observed = srm->n_expected = na;
        lift_srm_t s = na > 1 ? lift_srm(obs, wts, na)
                              : (lift_srm_t){LIFT_STAT_NOT_ESTIMABLE, "one arm", 0, 0, 1, 0};
        if (srm_set(srm, &s) && s.mismatch)
            add_warning(b, &w, W_SRM,
                        "sample ratio mismatch (chi2 %.1f, p %.2g): the split is broken, do not "
                        "trust this report",
                        s.chi2, s.p_value);
        hl->srm = srm;
        if (ntot == 0)
            add_warning(b, &w, W_EMPTY, "no exposed customers in the window: nothing to estimate");
        else
            for (size_t a = 0; a < na; a++)
                if (obs[a] == 0)
                    add_warning(b, &w, W_EMPTY, "arm %zu (%s) has no exposed customers", a,
                         arm_name(exp, a));
        /* outcomes read but not counted */
        hl->has_outcome_events_before_exposure = hl->has_outcome_events_in_lookback = 1;
        hl->has_outcome_events_after_window = 1;
        hl->outcome_events_before_exposure = c->out_before;
        hl->outcome_events_in_lookback = c->out_lookback;
        hl->outcome_events_after_window = c->out_after;
        if (c->out_before || c->out_after) {
            char tf[40];
            report_time_str(o->to, tf, sizeof tf);
            /* top priority when nothing was counted: the data do not reach the window */
            add_warning(b, &w, c->out_in == 0 ? W_OUTCOMES : W_OUTSIDE,
                        "%s%llu conversion/refund event(s) of exposed customers were read but not "
                        "counted as outcomes: %llu before the customer's exposure (%llu of them "
                        "in the %u-day lookback, used only as the pre-exposure covariate) and "
                        "%llu at or after the window end %s; %llu counted",
                        c->out_in == 0 ? "no conversion or refund falls in any exposed customer's "
                                         "outcome window (exposure to window end): "
                                       : "",
                        (unsigned long long)(c->out_before + c->out_after),
                        (unsigned long long)c->out_before, (unsigned long long)c->out_lookback,
                        o->lookback_days, (unsigned long long)c->out_after, tf,
                        (unsigned long long)c->out_in);
        }
        /* Two clocks (proto: Event.timestamp_ms): outcomes are stamped by the sender, exposures
         * by liftd. A sender clock behind liftd's moves the first outcomes after an exposure to
         * just before it, where they count as pre-exposure: more in the hour before than in the
         * hour after is the sign. */
        hl->has_outcome_events_hour_before_exposure = 1;
        hl->has_outcome_events_hour_after_exposure = 1;
        hl->outcome_events_hour_before_exposure = c->out_hour_before;
        hl->outcome_events_hour_after_exposure = c->out_hour_after;
        if (c->out_hour_before >= 5 && c->out_hour_before > c->out_hour_after)
            add_warning(b, &w, W_SKEW,
                        "%llu conversion/refund event(s) are stamped in the hour before their "
                        "customer's exposure and only %llu in the hour after: a sender whose "
                        "clock runs behind liftd's would do this (they count as pre-exposure); "
                        "check the senders' clocks, or send Context.trigger_time_ms from the "
                        "same clock as the events",
                        (unsigned long long)c->out_hour_before,
                        (unsigned long long)c->out_hour_after);
        /* impressions logged for another arm than the customer's */
        uint64_t oc = 0;
        for (size_t a = 0; a < na; a++)
            oc += acc[a].other_arm;
        hl->has_impressions_other_arm = hl->has_customers_other_arm = 1;
        hl->impressions_other_arm = c->imp_other;
        hl->customers_other_arm = oc;
        if (c->imp_other)
            add_warning(b, &w, W_OTHERARM,
                        "%llu impression(s) of this experiment from %llu customer(s) were logged "
                        "for another arm than the customer's assigned one: delivery disagrees "
                        "with assignment (they are analysed in their assigned arm)",
                        (unsigned long long)c->imp_other, (unsigned long long)oc);
        hl->has_segment_srm_mismatches = 1;
        hl->segment_srm_mismatches = seg_srm_bad;
        if (seg_srm_bad)
            add_warning(b, &w, W_SEGSRM,
                        "sample ratio mismatch within %u segment level(s): %s — the split of "
                        "those customers is broken; their estimates are suspect",
                        seg_srm_bad, srm_levels);
        /* impression rate of the treated arms */
        uint64_t imp = 0;
        int64_t texp = 0;
        for (size_t a = 1; a < na; a++) {
            imp += acc[a].impressed;
            texp += acc[a].all.exposed;
        }
        if (texp > 0) {
            double rate = (double)imp / (double)texp;
            hl->has_impression_rate = hl->has_low_impression_rate = 1;
            hl->impression_rate = rate;
            hl->low_impression_rate = rate < REPORT_LOW_IMPRESSION;
            if (hl->low_impression_rate)
                add_warning(b, &w, W_IMPRESSION,
                     "treatment impression rate %.0f%% is low: trigger detection or delivery "
                     "failure?",
                     rate * 100);
        }
        if (!o->sequential && ntot > 0)
            add_warning(b, &w, W_SEQ,
                        "fixed-horizon intervals (sequential off): right for one pre-planned "
                        "read at the end; reading this report every week and acting on the "
                        "first significant week inflates false positives (18.7%% instead of "
                        "5%% over 10 weekly looks in Lift's simulation)");
        if (o->cuped && !ap.cuped_applied && ntot > 0 && na > 1)
            add_warning(b, &w, W_CUPED, "CUPED requested, not applied: %s", ap.cuped_why);
        if (cap > 0 && ap.capped > 0) {
            int digits = currency ? lift_currency_digits(currency) : -1;
            char amt[64];
            if (lift_currency_format(amt, sizeof amt, cap, digits >= 0 ? digits : 2, 0) != 0)
                snprintf(amt, sizeof amt, "%.0f minor units", cap);
            add_warning(b, &w, W_CAP,
                        "revenue cap %s%s%s (the %gth percentile of the %zu customers with "
                        "revenue > 0) lowered %llu customer(s); the uncapped difference is "
                        "shown beside the capped one",
                        currency && digits >= 0 ? currency : "", currency && digits >= 0 ? " " : "",
                        amt, o->cap_pct, ap.n_pos, (unsigned long long)ap.capped);
        }
        /* power to detect the MDE the user set, worst treatment arm; the detectable effect */
        const lift_summary_t *cs = &acc[0].all.rev;
        double sigma2 = lift_summary_var_y(cs), mean = cs->mean_y;
        double pw = 2, mde = -1;
        int power_ok = na > 1 && cs->n >= 2 && sigma2 > 0 && isfinite(sigma2) && mean != 0 &&
                       isfinite(mean);
        for (size_t a = 1; power_ok && a < na; a++) {
            double nt = (double)acc[a].all.exposed, nall = nt + (double)cs->n;
            if (nt < 1) {
                power_ok = 0;
                break;
            }
            double share = nt / nall;
            lift_power_t m = lift_mde(sigma2, nall, share, o->alpha, POWER_TARGET, 0);
            if (m.status != LIFT_STAT_OK || !isfinite(m.effect)) {
                power_ok = 0;
                break;
            }
            if (m.effect / fabs(mean) > mde)
                mde = m.effect / fabs(mean);
            double p = lift_power_at(sigma2, o->mde * fabs(mean), nall, share, o->alpha);
            if (p < 0 || !isfinite(p)) {
                power_ok = 0;
                break;
            }
            if (p < pw)
                pw = p;
        }
        /* every treatment arm's revenue difference already significant: power is moot */
        int all_sig = rep->n_comparisons > 0;
        for (size_t i = 0; i < rep->n_comparisons; i++) {
            const Lift__Estimate *d = rep->comparisons[i]->revenue_diff;
            all_sig &= d && d->ok && d->p_value < o->alpha;
        }
        hl->has_mde_set = 1;
        hl->mde_set = o->mde_set;
        if (power_ok && mde >= 0 && isfinite(mde)) {
            hl->has_mde = 1;
            hl->mde = mde;
            if (pw <= 1) {
                hl->has_power_reached = 1;
                hl->power_reached = pw;
                if (pw < POWER_TARGET && o->mde_set)
                    add_warning(b, &w, W_POWER,
                         "power to detect the experiment's minimum effect of %.3g%% (analysis.mde) "
                         "is %.0f%% (target 80%%): detectable at this size: %.3g%%",
                         o->mde * 100, pw * 100, mde * 100);
                else if (pw < POWER_TARGET && !all_sig)
                    add_warning(b, &w, W_POWER,
                         "power to detect a %.3g%% revenue lift (the default analysis.mde: the "
                         "experiment sets no minimum effect) is %.0f%%: a result that is not "
                         "significant says little; detectable at this size: %.3g%%",
                         o->mde * 100, pw * 100, mde * 100);
            }
        }
        hl->has_small_segments = 1;
        hl->small_segments = small;
        if (small)
            add_warning(b, &w, W_SMALL,
                 "%u segment level(s) have fewer than %d customers in an arm: listed, not "
                 "estimated",
                 small, REPORT_MIN_SEGMENT);
        if (delay_untimed)
            add_warning(b, &w, W_SMALL,
                        "delay segments not compared with the holdout: it has no (ghost) "
                        "impressions to time; the timing arms compare timings directly");
        if (c->ignored_arm)
            add_warning(b, &w, W_ARM, "%llu exposure(s) with an arm outside the definition ignored",
                 (unsigned long long)c->ignored_arm);
        int nw = 0;
        for (int i = 0; i < W_MAX * 2; i++)
            nw += w.text[i] != NULL;
        if (nw) {
            CK(hl->warnings = arena_alloc(b->a, (size_t)nw * sizeof *hl->warnings));
            for (int i = 0; i < W_MAX * 2; i++)
                if (w.text[i])
                    hl->warnings[hl->n_warnings++] = w.text[i];
        }
    }
    rep->health = hl;

    /* 9. the two families adjusted; provenance */
    apply_adjust(b);
    {
        Lift__Testing *t = ANEW(b->a, Lift__Testing, LIFT__TESTING__INIT);
        CK(t);
        t->has_method = t->has_primary_metric = t->has_confirmatory_tests = 1;
        t->has_exploratory_tests = 1;
        t->method = (Lift__Adjustment)o->adjust;
        t->primary_metric = (Lift__Metric)o->primary;
        t->confirmatory_tests = (uint32_t)b->n_fam[F_CONF];
        t->exploratory_tests = (uint32_t)b->n_fam[F_EXPL];
        rep->testing = t;
    }
    CK(rep->provenance = provenance(c, b, currency, now_ms, &ap));
    CK(!b->oom);
    rc = 0;
    goto out;
oom:
    status_set(st, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, "report: out of memory");
out:
    if (acc)
        for (size_t a = 0; a < na; a++) {
            free(acc[a].km_t);
            free(acc[a].km_e);
        }
    free(acc);
    free(vals);
    free(churn_after);
    free(cells);
    free(segs);
    return rc;
}
