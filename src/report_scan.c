/* report_scan: see report_scan.h.
 *
 * Exposures go into an open-addressing hash map (customer id → index, ids in one buffer) while
 * they are read; then one scan of the events in [min exposure − lookback, ∞) folds each event
 * into its customer with order-independent aggregates, so no event is stored except
 * post-exposure revenue (for the weekly series) and churns (for retention). Events at or after
 * `to` are only counted. Lookups go in batches with prefetching, over huge-page tables. */
#include "report_scan.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "hash.h"
#include "report_time.h"

#define NO_IDX UINT32_MAX

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
    uint64_t h;     /* hash of the customer id */
    uint32_t off;   /* id bytes in the batch buffer */
    uint32_t len;   /* id length */
    size_t slot;    /* candidate slot after stage 2 */
    uint32_t k;     /* customer index, NO_IDX when not exposed */
    int type;       /* EventType */
    int nps;        /* NPS answer or -1 */
    int arm;        /* impression: logged arm or -1 */
    int64_t ts;     /* event time */
    int64_t xid;    /* experiment id of an impression/click */
    int64_t amount; /* conversion/refund amount */
} pend_t;

#define BATCH 64 /* events resolved together: their cache misses overlap */

typedef struct pipe pipe_t;

typedef struct {
    report_scan_t r; /* the result, handed to the caller */
    int64_t exp_id;  /* the experiment's id (its impressions and clicks) */
    report_opts_t o; /* the resolved options (to, lookback, churn window) */
    size_t n_arms;   /* arms in the definition */
    char *ids;       /* id bytes of every customer, back to back */
    size_t ids_len, ids_cap;
    size_t slots_n;     /* entries in slots */
    slot_t *slots;      /* open addressing, linear probing, load <= 1/2 */
    size_t mask;        /* slots − 1 */
    pend_t pend[BATCH]; /* the scan's batch */
    int n_pend;         /* events in pend */
    char *pbuf;         /* id bytes of the batch */
    size_t pbuf_len, pbuf_cap;
    pipe_t *pipe;    /* the two-thread scan, NULL = single-threaded */
    int64_t lo_expo; /* exposures with trigger_ms below this are outside the window */
    int64_t min_t0;  /* earliest exposure loaded */
} ctx_t;

/* Stage 1 of a lookup: hash event p's customer id (its p->len bytes at id) and prefetch the
 * slot it starts probing at. */
static inline void hash_pend(const ctx_t *c, pend_t *p, const char *id)
{
    p->h = hash_bytes64(id, p->len);
    __builtin_prefetch(&c->slots[(size_t)p->h & c->mask]);
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
    c->r.exposures_read++;
    if (e->trigger_ms >= c->o.to || e->trigger_ms < c->lo_expo)
        return 0;
    if (e->arm < 0 || (size_t)e->arm >= c->n_arms) {
        c->r.ignored_arm++;
        return 0;
    }
    if (c->r.n == c->r.cap)
        return -3; /* more rows than the snapshot's count: cannot happen in one snapshot */
    size_t need = c->ids_len + e->customer_len;
    if (need > UINT32_MAX)
        return -2; /* 4 GiB of customer ids */
    if (grow((void **)&c->ids, &c->ids_cap, need ? need : 1, 1) < 0)
        return -2;
    memcpy(c->ids + c->ids_len, e->customer, e->customer_len);
    uint64_t hv = hash_bytes64(e->customer, e->customer_len);
    size_t i = (size_t)hv & c->mask;
    while (c->slots[i].idx)
        i = (i + 1) & c->mask;
    c->slots[i] =
        (slot_t){(uint32_t)(hv >> 32), c->r.n + 1, (uint32_t)c->ids_len, (uint32_t)e->customer_len};
    c->ids_len = need;
    report_hot_t *h = &c->r.hot[c->r.n++];
    h->t0 = e->trigger_ms; /* the rest is zero (bigmem_alloc) */
    h->arm = (uint8_t)e->arm;
    h->trigger = (uint8_t)(e->trigger >= 0 && e->trigger < REPORT_N_LEVELS ? e->trigger : 0);
    h->stage = (uint8_t)(e->stage >= 0 && e->stage < REPORT_N_LEVELS ? e->stage : 0);
    h->channel = (uint8_t)(e->channel >= 0 && e->channel < REPORT_N_LEVELS ? e->channel : 0);
    if (e->trigger_ms < c->min_t0)
        c->min_t0 = e->trigger_ms;
    return 0;
}

/* Fold one resolved event into customer k (order-independent aggregates). */
static int apply_event(ctx_t *c, uint32_t k, const pend_t *ev)
{
    report_hot_t *h = &c->r.hot[k];
    int64_t ts = ev->ts;
    int money = ev->type == LIFT__EVENT_TYPE__EVENT_CONVERSION ||
                ev->type == LIFT__EVENT_TYPE__EVENT_REFUND;
    if (ts >= c->o.to) { /* read only to be counted: after the window */
        c->r.out_after += money;
        return 0;
    }
    if (ts >= h->t0) { /* outcome */
        if (money && ts - h->t0 < REPORT_HOUR_MS)
            c->r.out_hour_after++;
        switch (ev->type) {
        case LIFT__EVENT_TYPE__EVENT_IMPRESSION:
            if (ev->xid == c->exp_id) {
                if (ev->arm >= 0 && ev->arm != h->arm) {
                    c->r.imp_other++;
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
            report_cold_t *d = &c->r.cold[k];
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
            c->r.out_in++;
            if (c->r.n_rf == c->r.cap_rf &&
                grow((void **)&c->r.rf, &c->r.cap_rf, c->r.n_rf + 1, sizeof *c->r.rf) < 0)
                return -2;
            c->r.rf[c->r.n_rf++] = (report_revfact_t){
                k, (uint32_t)((report_time_week_start(ts) - c->r.week0) / REPORT_WEEK_MS), amt};
            return 0;
        }
        case LIFT__EVENT_TYPE__EVENT_CHURN:
            if (ts - h->t0 < c->o.churn_ms)
                c->r.cold[k].churned = 1;
            if (c->r.n_cf == c->r.cap_cf &&
                grow((void **)&c->r.cf, &c->r.cap_cf, c->r.n_cf + 1, sizeof *c->r.cf) < 0)
                return -2;
            c->r.cf[c->r.n_cf++] = (report_churnfact_t){k, ts};
            return 0;
        case LIFT__EVENT_TYPE__EVENT_NPS:
            if (ev->nps >= 0 && ev->nps <= 10 &&
                (c->r.cold[k].nps_post_ts == 0 || ts < c->r.cold[k].nps_post_ts)) {
                c->r.cold[k].nps_post_ts = ts;
                c->r.cold[k].nps_post = (uint8_t)(ev->nps + 1);
            }
            return 0;
        default:
            return 0;
        }
    }
    c->r.out_before += money;
    if (money && h->t0 - ts <= REPORT_HOUR_MS)
        c->r.out_hour_before++;
    if (ts < h->t0 - c->o.lookback_ms)
        return 0;
    c->r.out_lookback += money;
    /* covariate period */
    switch (ev->type) {
    case LIFT__EVENT_TYPE__EVENT_CONVERSION:
        c->r.cold[k].pre += ev->amount;
        break;
    case LIFT__EVENT_TYPE__EVENT_REFUND:
        c->r.cold[k].pre -= ev->amount;
        break;
    case LIFT__EVENT_TYPE__EVENT_NPS:
        if (ev->nps >= 0 && ev->nps <= 10 && ts >= c->r.cold[k].nps_pre_ts) {
            c->r.cold[k].nps_pre_ts = ts;
            c->r.cold[k].nps_pre = (uint8_t)(ev->nps + 1);
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
                __builtin_prefetch(&c->r.hot[p->k], 1);
                __builtin_prefetch(c->ids + s->off);
                if (p->type >= LIFT__EVENT_TYPE__EVENT_CONVERSION)
                    __builtin_prefetch(&c->r.cold[p->k], 1);
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
    c->r.events_read++;
    if (skip_event(c, ev))
        return 0;
    pend_t *p = &c->pend[c->n_pend];
    if (pend_copy(p, ev, &c->pbuf, &c->pbuf_len, &c->pbuf_cap) < 0)
        return -2;
    c->n_pend++;
    hash_pend(c, p, ev->customer);
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
    ctx_t *c;                  /* customer state: the helper's alone while it runs */
    pthread_t th;              /* the helper */
    pthread_mutex_t mu;        /* guards head..err */
    pthread_cond_t more, room; /* a chunk was queued / freed */
    evchunk_t q[PIPE_DEPTH];   /* ring of chunks */
    int head;                  /* chunk the reader fills */
    int count;                 /* chunks queued or being folded */
    int done;                  /* the reader has no more */
    int err;                   /* the helper ran out of memory */
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
                hash_pend(c, p, b->buf + p->off);
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
    c->r.events_read++;
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
    bigmem_free(c->slots, c->slots_n * sizeof *c->slots);
    free(c->ids);
    free(c->pbuf);
    c->slots = NULL;
    c->ids = c->pbuf = NULL;
}

void report_scan_fini(report_scan_t *s)
{
    bigmem_free(s->hot, (size_t)s->cap * sizeof *s->hot);
    bigmem_free(s->cold, (size_t)s->cap * sizeof *s->cold);
    free(s->rf);
    free(s->cf);
    memset(s, 0, sizeof *s);
}

/* A read's failure into st: lr = -2 is out of memory while `doing`, else the store's error
 * while `reading`. Returns -1. */
static int read_failed(status_t *st, int lr, store_reader_t *rd, const char *doing,
                       const char *reading)
{
    if (lr == -2)
        return status_set(st, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, "report: out of memory %s",
                          doing);
    return status_set(st, LIFT__CODE__INTERNAL, NULL, "report: %s: %s", reading,
                      store_reader_errmsg(rd));
}

/* The customer tables sized for the snapshot's exposure count. */
static int alloc_tables(ctx_t *c, store_reader_t *rd, status_t *st)
{
    int64_t n_expo = store_reader_exposure_count(rd, c->exp_id);
    if (n_expo < 0 || n_expo >= (int64_t)UINT32_MAX)
        return status_set(st, LIFT__CODE__INTERNAL, NULL, "report: counting exposures: %s",
                          n_expo < 0 ? store_reader_errmsg(rd) : "too many");
    c->r.cap = (uint32_t)n_expo;
    c->r.hot = bigmem_alloc((size_t)c->r.cap * sizeof *c->r.hot);
    c->r.cold = bigmem_alloc((size_t)c->r.cap * sizeof *c->r.cold);
    size_t nslots = 1024;
    while (nslots < (size_t)c->r.cap * 2)
        nslots *= 2;
    c->slots = bigmem_alloc(nslots * sizeof *c->slots);
    c->slots_n = nslots;
    c->mask = nslots - 1;
    if (!c->r.hot || !c->r.cold || !c->slots)
        return status_set(st, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, "report: out of memory");
    return 0;
}

/* The events from the lookback before the earliest exposure to the end of time: events at or
 * after `to` are only counted (outcomes outside the window are named in a warning, never
 * silently dropped). Two threads when the helper starts, else one. */
static int scan_events(ctx_t *c, store_reader_t *rd)
{
    int64_t lo = c->min_t0 - c->o.lookback_ms;
    c->pipe = pipe_start(c);
    if (c->pipe) {
        int lr = store_reader_events(rd, lo, INT64_MAX, on_event_pipe, c);
        int pr = pipe_finish(c->pipe); /* always: the helper must stop */
        c->pipe = NULL;
        return lr != 0 ? lr : pr;
    }
    int lr = store_reader_events(rd, lo, INT64_MAX, on_event, c);
    return lr != 0 ? lr : flush_batch(c);
}

static int scan_locked(ctx_t *c, store_reader_t *rd, const Lift__Experiment *exp, report_opts_t *o,
                       status_t *st)
{
    if (alloc_tables(c, rd, st) < 0)
        return -1;
    int lr = store_reader_exposures(rd, c->exp_id, on_exposure, c);
    if (lr != 0)
        return read_failed(st, lr, rd, "loading exposures", "reading exposures");
    if (report_opts_window(o, exp, c->r.n, c->min_t0, st) < 0)
        return -1;
    c->o.from = o->from;
    c->r.week0 = report_time_week_start(o->from);
    if (c->r.n > 0 && (lr = scan_events(c, rd)) != 0)
        return read_failed(st, lr, rd, "scanning events", "reading events");
    return 0;
}

int report_scan_run(store_reader_t *rd, const Lift__Experiment *exp, int64_t experiment_id,
                    report_opts_t *o, report_scan_t *out, status_t *st)
{
    char err[256];
    ctx_t *c = calloc(1, sizeof *c);
    memset(out, 0, sizeof *out);
    if (!c)
        return status_set(st, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, "report: out of memory");
    c->exp_id = experiment_id;
    c->o = *o;
    c->n_arms = exp->n_arms;
    c->min_t0 = INT64_MAX;
    c->lo_expo = o->from_given ? o->from : INT64_MIN;
    int rc = -1;
    if (store_reader_begin(rd, err, sizeof err) < 0) {
        status_set(st, LIFT__CODE__INTERNAL, NULL, "report: %s", err);
    } else {
        rc = scan_locked(c, rd, exp, o, st);
        store_reader_end(rd);
    }
    ctx_free(c);
    *out = c->r;
    free(c);
    return rc;
}
