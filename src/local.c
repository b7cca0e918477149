/* local: lift_local_t — definitions snapshots published through one atomic pointer (replaced,
 * never changed in place; retired ones freed at destroy), decisions with decide.c and assign.c
 * (the code liftd runs), and a bounded exposure queue drained by one background thread that
 * also refreshes the definitions. */
#include "lift/local.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assign.h"
#include "context.h"
#include "decide.h"
#include "hash.h"
#include "holdout.h"

#define SEEN_WAYS 4    /* slots per bucket of the remembered pairs (half a cache line) */
#define LOG_EVERY 1000 /* log the first and every 1000th of a kind */

/* One experiment of a snapshot. */
typedef struct {
    const char *key;               /* def->key */
    uint64_t key_hash;             /* fnv1a-64 of key */
    const Lift__Experiment *def;   /* owned by the snapshot that introduced it */
    double weights[LIFT_ARMS_MAX]; /* for cfg */
    assign_config_t cfg;           /* the split, as liftd's registry builds it */
} lexp_t;

/* The definitions at one generation. Never modified once published. */
typedef struct snap {
    uint64_t uid;          /* unique in the process (thread caches compare it, not addresses) */
    uint64_t generation;   /* ExperimentList.generation it reflects */
    size_t n;              /* experiments */
    lexp_t *exps;          /* n experiments */
    uint32_t *slots;       /* open addressing by key_hash: index + 1, 0 = empty */
    size_t mask;           /* slots - 1 */
    Lift__Reply *reply;    /* owns the definitions this snapshot introduced */
    Lift__Reply *holdouts; /* ListHoldouts at this generation (NULL: none, or an older liftd) */
    uint64_t *hkey_hash;   /* per holdout: fnv1a-64 of "holdout:" + key (remembered pairs) */
    struct snap *older;    /* the snapshot it replaced (kept until destroy) */
} snap_t;

/* One queued first exposure. */
typedef struct {
    const char *key;  /* experiment key (a snapshot's: lives until destroy) */
    const char *hkey; /* program holdout key: this is the customer's
                                                exposure to that holdout (arm = its group);
                                                NULL for an experiment exposure */
    char customer[LIFT_CUSTOMER_ID_MAX + 1]; /* customer id */
    int arm;                                 /* the local decision */
    int trigger, stage, channel;             /* context */
    int has_trigger_time;                    /* trigger_time_ms was given */
    int64_t trigger_time_ms;                 /* when the trigger fired */
    int64_t decided_ms;                      /* when the decision was made */
} qitem_t;

struct lift_local {
    _Atomic(snap_t *) snap;           /* current definitions */
    _Atomic uint64_t *seen;           /* seen_slots hashes of queued (experiment, customer) pairs */
    size_t seen_slots;                /* a power of two >= 4 x opts.remember */
    pthread_mutex_t mu;               /* guards the queue and the flags below */
    pthread_cond_t wake;              /* background thread: something to do */
    pthread_cond_t done;              /* waiters: a flush or refresh finished */
    qitem_t *q;                       /* ring of qcap items */
    size_t qcap, qhead, qcount, qmax; /* capacity, first, count, bound */
    size_t inflight;                  /* items of the head being sent */
    int stop, flush_now, refresh_now; /* requests to the background thread */
    uint64_t refreshed;               /* refreshes finished */
    int refresh_ok;                   /* the last one got an answer */
    pthread_t thread;                 /* background thread */
    int started;                      /* thread is running */
    lift_client_t *client;            /* the background thread's connection */
    int refresh_ms, flush_ms;         /* intervals */
    void (*log)(void *, const char *); /* opts.log */
    void *log_arg;                     /* opts.log_arg */
    _Atomic uint64_t queued, dropped, sent, first, skew, rejected, flush_failures, refreshes,
        refresh_failures; /* lift_local_stats_t */
};

/* The decision time: the coarse real-time clock (one tick, a few ms, behind; 5x cheaper than
 * CLOCK_REALTIME) — liftd too reads its clock once per batch, not per decision. */
static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void emit(lift_local_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(lift_local_t *self, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (self->log)
        self->log(self->log_arg, line);
    else
        fprintf(stderr, "lift_local: %s\n", line);
}

/* ---- snapshots ------------------------------------------------------------------------------ */

static const lexp_t *snap_find(const snap_t *s, const char *key)
{
    uint64_t h = hash_fnv1a64(HASH_FNV64_BASIS, key, strlen(key));
    for (size_t i = h & s->mask; s->slots[i]; i = (i + 1) & s->mask) {
        const lexp_t *x = &s->exps[s->slots[i] - 1];
        if (x->key_hash == h && strcmp(x->key, key) == 0)
            return x;
    }
    return NULL;
}

static void snap_add(snap_t *s, const Lift__Experiment *def)
{
    if (!def->key || def->n_arms < 2 || def->n_arms > LIFT_ARMS_MAX || snap_find(s, def->key))
        return; /* not a definition liftd could hold; or already there (newer) */
    for (size_t i = 0; i < def->n_arms; i++)
        if (!def->arms[i] || !def->arms[i]->name)
            return;
    lexp_t *x = &s->exps[s->n];
    x->def = def;
    x->key = def->key;
    x->key_hash = hash_fnv1a64(HASH_FNV64_BASIS, def->key, strlen(def->key));
    decide_config(def, x->weights, &x->cfg);
    size_t i = x->key_hash & s->mask;
    while (s->slots[i])
        i = (i + 1) & s->mask;
    s->slots[i] = (uint32_t)(s->n + 1);
    s->n++;
}

/* The definitions of `reply` (changed since cur) over those of cur. Takes reply on success. */
static snap_t *snap_build(const snap_t *cur, Lift__Reply *reply, uint64_t generation)
{
    const Lift__ExperimentList *l = reply->experiments;
    size_t max = (cur ? cur->n : 0) + l->n_experiments, cap = 16;
    while (cap < 2 * max)
        cap <<= 1;
    snap_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->exps = calloc(max ? max : 1, sizeof *s->exps);
    s->slots = calloc(cap, sizeof *s->slots);
    if (!s->exps || !s->slots) {
        free(s->exps);
        free(s->slots);
        free(s);
        return NULL;
    }
    s->mask = cap - 1;
    for (size_t i = 0; i < l->n_experiments; i++)
        snap_add(s, l->experiments[i]);
    for (size_t i = 0; cur && i < cur->n; i++)
        snap_add(s, cur->exps[i].def);
    static _Atomic uint64_t uids;
    s->uid = atomic_fetch_add(&uids, 1) + 1;
    s->generation = generation;
    s->reply = reply;
    return s;
}

static void snap_free_all(snap_t *s)
{
    while (s) {
        snap_t *older = s->older;
        lift_reply_free(&s->reply);
        lift_reply_free(&s->holdouts);
        free(s->hkey_hash);
        free(s->exps);
        free(s->slots);
        free(s);
        s = older;
    }
}

/* Fetch the changes since the generation held and publish them. Background thread (or
 * lift_local_new before it starts). Returns 0 / -1 (err). */
static int refresh(lift_local_t *self, char *err, size_t errlen)
{
    snap_t *cur = atomic_load_explicit(&self->snap, memory_order_acquire);
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__ListExperiments q = LIFT__LIST_EXPERIMENTS__INIT;
    if (cur) {
        q.has_since_generation = 1;
        q.since_generation = cur->generation;
    }
    req.body_case = LIFT__REQUEST__BODY_LIST_EXPERIMENTS;
    req.list_experiments = &q;
    Lift__Reply *reply = NULL;
    lift_err_t rc = lift_call(self->client, &req, &reply, err, errlen);
    if (rc == LIFT_OK && (reply->body_case != LIFT__REPLY__BODY_EXPERIMENTS ||
                          !reply->experiments->has_generation)) {
        snprintf(err, errlen,
                 "liftd's ListExperiments reply has no generation: a liftd too old "
                 "for local evaluation");
        rc = LIFT_ERR_PROTOCOL;
    }
    if (rc != LIFT_OK) {
        lift_reply_free(&reply);
        atomic_fetch_add(&self->refresh_failures, 1);
        return -1;
    }
    uint64_t gen = reply->experiments->generation;
    if (cur && reply->experiments->n_experiments == 0 && gen == cur->generation) {
        lift_reply_free(&reply);
        return 0;
    }
    snap_t *s = snap_build(cur, reply, gen);
    if (!s) {
        lift_reply_free(&reply);
        snprintf(err, errlen, "out of memory building the definitions");
        return -1;
    }
    /* Program holdouts (holdout.h) at least as new as the experiments: the whole list
     * (a few), fetched whenever the generation moved. A liftd without them answers
     * INVALID_ARGUMENT: then there are none. */
    Lift__Request hq = LIFT__REQUEST__INIT;
    Lift__ListHoldouts lh = LIFT__LIST_HOLDOUTS__INIT;
    hq.body_case = LIFT__REQUEST__BODY_LIST_HOLDOUTS;
    hq.list_holdouts = &lh;
    Lift__Reply *hr = NULL;
    rc = lift_call(self->client, &hq, &hr, err, errlen);
    if (rc == LIFT_OK && hr->body_case == LIFT__REPLY__BODY_HOLDOUTS &&
        hr->holdouts->n_holdouts > 0) {
        size_t nh = hr->holdouts->n_holdouts;
        s->hkey_hash = calloc(nh, sizeof *s->hkey_hash);
        if (!s->hkey_hash) {
            lift_reply_free(&hr);
            snap_free_all(s);
            snprintf(err, errlen, "out of memory building the definitions");
            return -1;
        }
        for (size_t i = 0; i < nh; i++) {
            const char *k = hr->holdouts->holdouts[i]->key ? hr->holdouts->holdouts[i]->key : "";
            s->hkey_hash[i] =
                hash_fnv1a64(hash_fnv1a64(HASH_FNV64_BASIS, "holdout:", 8), k, strlen(k));
        }
        s->holdouts = hr;
    } else if (rc == LIFT_OK || rc == LIFT_ERR_INVALID_ARGUMENT) {
        lift_reply_free(&hr);
    } else {
        lift_reply_free(&hr);
        snap_free_all(s); /* not published: the next refresh asks again */
        atomic_fetch_add(&self->refresh_failures, 1);
        return -1;
    }
    s->older = cur;
    atomic_store_explicit(&self->snap, s, memory_order_release);
    if (cur)
        atomic_fetch_add(&self->refreshes, 1);
    return 0;
}

/* ---- the exposure queue --------------------------------------------------------------------- */

static uint64_t pair_hash(uint64_t key_hash, const char *id, size_t len)
{
    return hash_mix64(hash_fnv1a64(key_hash ^ 0x9e3779b97f4a7c15ULL, id, len)) | 1;
}

static uint64_t seen_hash(const lexp_t *x, const char *id, size_t len)
{
    return pair_hash(x->key_hash, id, len);
}

/* Queue the first exposure of (x, id) (h = seen_hash(x, id, len)) unless this process queued
 * it before — or, with hkey, the customer's exposure to program holdout hkey in a decision of
 * x (h = pair_hash of the holdout's hash). Returns 1 when queued now. Any thread. */
static int enqueue(lift_local_t *self, const lexp_t *x, const char *hkey, const char *id,
                   size_t len, int arm, const Lift__Context *c, int64_t now, uint64_t h)
{
    /* 4-way buckets: a pair stays remembered until four later pairs of its bucket push it
     * out (a forgotten pair is queued again: liftd answers it as existing). */
    _Atomic uint64_t *bucket = &self->seen[(h >> 1) & (self->seen_slots - SEEN_WAYS)], *slot = NULL;
    for (int w = 0; w < SEEN_WAYS; w++) {
        uint64_t v = atomic_load_explicit(&bucket[w], memory_order_relaxed);
        if (v == h)
            return 0;
        if (!v && !slot)
            slot = &bucket[w];
    }
    if (!slot)
        slot = &bucket[(h >> 40) & (SEEN_WAYS - 1)];
    pthread_mutex_lock(&self->mu);
    if (self->qcount == self->qmax) {
        pthread_mutex_unlock(&self->mu);
        atomic_fetch_add_explicit(&self->dropped, 1, memory_order_relaxed);
        return 0;
    }
    if (self->qcount == self->qcap) {
        size_t cap = self->qcap ? self->qcap * 2 : 1024;
        if (cap > self->qmax)
            cap = self->qmax;
        qitem_t *nq = malloc(cap * sizeof *nq);
        if (!nq) {
            pthread_mutex_unlock(&self->mu);
            atomic_fetch_add_explicit(&self->dropped, 1, memory_order_relaxed);
            return 0;
        }
        for (size_t i = 0; i < self->qcount; i++)
            nq[i] = self->q[(self->qhead + i) % self->qcap];
        free(self->q);
        self->q = nq;
        self->qcap = cap;
        self->qhead = 0;
    }
    qitem_t *it = &self->q[(self->qhead + self->qcount) % self->qcap];
    it->key = x->key;
    it->hkey = hkey;
    memcpy(it->customer, id, len);
    it->customer[len] = '\0';
    it->arm = arm;
    it->trigger = (int)c->trigger;
    it->stage = (int)c->stage;
    it->channel = (int)c->channel;
    it->has_trigger_time = c->has_trigger_time_ms;
    it->trigger_time_ms = c->trigger_time_ms;
    it->decided_ms = now;
    self->qcount++;
    pthread_mutex_unlock(&self->mu);
    atomic_store_explicit(slot, h, memory_order_relaxed);
    atomic_fetch_add_explicit(&self->queued, 1, memory_order_relaxed);
    return 1;
}

/* Send the head of the queue in batches until it is empty or no liftd acknowledges one.
 * Background thread. */
static void flush_all(lift_local_t *self)
{
    qitem_t *items = NULL;
    Lift__ExposureRecord *recs = NULL, **ptrs = NULL;
    Lift__Context *ctxs = NULL;
    for (;;) {
        pthread_mutex_lock(&self->mu);
        size_t k = self->qcount < LIFT_LOCAL_FLUSH_BATCH ? self->qcount : LIFT_LOCAL_FLUSH_BATCH;
        if (k == 0) {
            pthread_mutex_unlock(&self->mu);
            break;
        }
        if (!items) {
            items = malloc(LIFT_LOCAL_FLUSH_BATCH * sizeof *items);
            recs = malloc(LIFT_LOCAL_FLUSH_BATCH * sizeof *recs);
            ptrs = malloc(LIFT_LOCAL_FLUSH_BATCH * sizeof *ptrs);
            ctxs = malloc(LIFT_LOCAL_FLUSH_BATCH * sizeof *ctxs);
            if (!items || !recs || !ptrs || !ctxs) {
                pthread_mutex_unlock(&self->mu);
                break;
            }
        }
        for (size_t i = 0; i < k; i++)
            items[i] = self->q[(self->qhead + i) % self->qcap];
        self->inflight = k;
        pthread_mutex_unlock(&self->mu);

        for (size_t i = 0; i < k; i++) {
            Lift__ExposureRecord r = LIFT__EXPOSURE_RECORD__INIT;
            Lift__Context c = LIFT__CONTEXT__INIT;
            c.has_trigger = c.has_stage = c.has_channel = 1;
            c.trigger = (Lift__Trigger)items[i].trigger;
            c.stage = (Lift__Stage)items[i].stage;
            c.channel = (Lift__Channel)items[i].channel;
            c.has_trigger_time_ms = items[i].has_trigger_time;
            c.trigger_time_ms = items[i].trigger_time_ms;
            ctxs[i] = c;
            r.experiment_key = (char *)items[i].key;
            r.holdout_key = (char *)items[i].hkey;
            r.customer_id = items[i].customer;
            r.has_arm_index = 1;
            r.arm_index = items[i].arm;
            r.context = &ctxs[i];
            r.has_decided_ms = 1;
            r.decided_ms = items[i].decided_ms;
            recs[i] = r;
            ptrs[i] = &recs[i];
        }
        Lift__Request req = LIFT__REQUEST__INIT;
        Lift__RecordExposures body = LIFT__RECORD_EXPOSURES__INIT;
        body.n_exposures = k;
        body.exposures = ptrs;
        req.body_case = LIFT__REQUEST__BODY_RECORD_EXPOSURES;
        req.record_exposures = &body;
        Lift__Reply *reply = NULL;
        char err[256];
        lift_err_t rc = lift_call(self->client, &req, &reply, err, sizeof err);
        int acked = rc == LIFT_OK && reply->body_case == LIFT__REPLY__BODY_RECORD_EXPOSURES &&
                    reply->record_exposures->n_results == k;
        if (!acked) {
            uint64_t f = atomic_fetch_add(&self->flush_failures, 1);
            if (f % LOG_EVERY == 0)
                emit(self, "flush of %zu exposures not acknowledged (kept for the next): %s", k,
                     rc == LIFT_OK ? "reply does not match the request" : err);
            lift_reply_free(&reply);
            pthread_mutex_lock(&self->mu);
            self->inflight = 0;
            pthread_cond_broadcast(&self->done);
            pthread_mutex_unlock(&self->mu);
            break;
        }
        for (size_t i = 0; i < k; i++) {
            const Lift__ExposureResult *r = reply->record_exposures->results[i];
            if (r->error) {
                uint64_t n = atomic_fetch_add(&self->rejected, 1);
                if (n % LOG_EVERY == 0)
                    emit(self, "exposure of %s in %s refused by liftd: %s", items[i].customer,
                         items[i].key, r->error->message ? r->error->message : "(no message)");
                continue;
            }
            atomic_fetch_add(&self->sent, 1);
            if (r->has_first_exposure && r->first_exposure)
                atomic_fetch_add(&self->first, 1);
            if (r->has_arm_index && r->arm_index != items[i].arm) {
                uint64_t n = atomic_fetch_add(&self->skew, 1);
                if (n % LOG_EVERY == 0)
                    emit(self,
                         "definition skew: %s in %s decided arm %d locally, liftd holds arm %d "
                         "(skew total %llu)",
                         items[i].customer, items[i].key, items[i].arm, r->arm_index,
                         (unsigned long long)n + 1);
            }
        }
        lift_reply_free(&reply);
        pthread_mutex_lock(&self->mu);
        self->qhead = (self->qhead + k) % self->qcap;
        self->qcount -= k;
        self->inflight = 0;
        pthread_cond_broadcast(&self->done);
        pthread_mutex_unlock(&self->mu);
    }
    free(items);
    free(recs);
    free(ptrs);
    free(ctxs);
}

static void deadline_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *bg_run(void *arg)
{
    lift_local_t *self = arg;
    int64_t next_refresh = mono_ms() + self->refresh_ms, next_flush = mono_ms() + self->flush_ms;
    pthread_mutex_lock(&self->mu);
    while (!self->stop) {
        int64_t now = mono_ms(), next = next_refresh < next_flush ? next_refresh : next_flush;
        if (!self->flush_now && !self->refresh_now && now < next) {
            struct timespec ts;
            deadline_after(&ts, (int)(next - now));
            pthread_cond_timedwait(&self->wake, &self->mu, &ts);
            continue;
        }
        int do_refresh = self->refresh_now || now >= next_refresh;
        int do_flush = self->flush_now || now >= next_flush;
        self->refresh_now = self->flush_now = 0;
        pthread_mutex_unlock(&self->mu);
        if (do_refresh) {
            char err[256];
            int ok = refresh(self, err, sizeof err) == 0;
            next_refresh = mono_ms() + self->refresh_ms;
            pthread_mutex_lock(&self->mu);
            self->refreshed++;
            self->refresh_ok = ok;
            pthread_cond_broadcast(&self->done);
            pthread_mutex_unlock(&self->mu);
        }
        if (do_flush) {
            flush_all(self);
            next_flush = mono_ms() + self->flush_ms;
        }
        pthread_mutex_lock(&self->mu);
        pthread_cond_broadcast(&self->done);
    }
    pthread_mutex_unlock(&self->mu);
    flush_all(self); /* on close */
    return NULL;
}

/* ---- public --------------------------------------------------------------------------------- */

lift_local_t *lift_local_new(const char *endpoint, const lift_local_opts_t *opts, char *err,
                             size_t errlen)
{
    char dummy[8];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    lift_local_opts_t o = {0};
    if (opts)
        o = *opts;
    lift_client_opts_t co = {.timeout_ms = 1000, .attempts = 2};
    if (o.client)
        co = *o.client;
    lift_local_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->wake, NULL);
    pthread_cond_init(&self->done, NULL);
    self->refresh_ms = o.refresh_ms > 0 ? o.refresh_ms : LIFT_LOCAL_REFRESH_MS;
    self->flush_ms = o.flush_ms > 0 ? o.flush_ms : LIFT_LOCAL_FLUSH_MS;
    self->qmax = o.buffer_max > 0 ? o.buffer_max : LIFT_LOCAL_BUFFER_MAX;
    self->log = o.log;
    self->log_arg = o.log_arg;
    size_t remember = o.remember > 0 ? o.remember : LIFT_LOCAL_REMEMBER;
    self->seen_slots = 1024;
    while (self->seen_slots < 4 * remember && self->seen_slots < ((size_t)1 << 34))
        self->seen_slots <<= 1;
    self->seen = calloc(self->seen_slots, sizeof *self->seen);
    if (!self->seen) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    self->client = lift_client_new(endpoint, &co);
    if (!self->client) {
        char why[256] = "";
        lift_endpoints_check(endpoint, why, sizeof why);
        snprintf(err, errlen, "cannot create the client: %s",
                 why[0] ? why : "bad keys or out of memory");
        goto fail;
    }
    if (refresh(self, err, errlen) < 0)
        goto fail;
    if (pthread_create(&self->thread, NULL, bg_run, self) != 0) {
        snprintf(err, errlen, "cannot start the background thread");
        goto fail;
    }
    self->started = 1;
    return self;
fail:
    lift_local_destroy(&self);
    return NULL;
}

void lift_local_destroy(lift_local_t **self_p)
{
    lift_local_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    if (self->started) {
        pthread_mutex_lock(&self->mu);
        self->stop = 1;
        pthread_cond_broadcast(&self->wake);
        pthread_mutex_unlock(&self->mu);
        pthread_join(self->thread, NULL);
    }
    lift_client_destroy(&self->client);
    snap_free_all(atomic_load(&self->snap));
    free((void *)self->seen);
    free(self->q);
    pthread_mutex_destroy(&self->mu);
    pthread_cond_destroy(&self->wake);
    pthread_cond_destroy(&self->done);
    free(self);
    *self_p = NULL;
}

/* Why an id was rejected, in static storage (a batch may reject many ids; each keeps its own
 * message pointer): the rule it broke, as assign_customer_id_check states it. */
static const char *id_error(const char *id, size_t len)
{
    if (len == 0)
        return "customer_id: empty (must be 1..128 bytes of UTF-8)";
    if (len > LIFT_CUSTOMER_ID_MAX)
        return "customer_id: longer than 128 bytes";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
            return "customer_id: a control character";
    return "customer_id: invalid UTF-8 or a control character (C1)";
}

/* The program holdouts of snapshot s on an eligible decision of x (liftd's holdouts_gate,
 * with the same holdout_decide): each holdout covering it queues the customer's exposure to
 * it (held out or measured); returns 1 when one holds the customer out. */
static int holdouts_gate(lift_local_t *self, const snap_t *s, const lexp_t *x, const char *id,
                         size_t len, const Lift__Context *c, int64_t now)
{
    int held = 0;
    int64_t started = x->def->has_started_ms ? x->def->started_ms : 0;
    for (size_t i = 0; i < s->holdouts->holdouts->n_holdouts; i++) {
        const Lift__Holdout *h = s->holdouts->holdouts->holdouts[i];
        int g = holdout_decide(h, x->key, started, id, len, c, now);
        if (g != HOLDOUT_GROUP_HELD_OUT && g != HOLDOUT_GROUP_MEASURED)
            continue;
        held |= g == HOLDOUT_GROUP_HELD_OUT;
        enqueue(self, x, h->key, id, len,
                g == HOLDOUT_GROUP_HELD_OUT ? HOLDOUT_ARM_HELD_OUT : HOLDOUT_ARM_MEASURED, c, now,
                pair_hash(s->hkey_hash[i], id, len));
    }
    return held;
}

/* One customer, as liftd's handlers decide it (customer id, eligibility, program holdouts,
 * bucket). */
static void decide_one(lift_local_t *self, const snap_t *s, const lexp_t *x, const char *id,
                       const Lift__Context *c, Lift__Reason eligibility, int64_t now,
                       lift_assignment_t *out)
{
    memset(out, 0, sizeof *out);
    out->arm_index = -1;
    out->customer_id = id ? id : "";
    size_t len = id ? strlen(id) : 0;
    uint64_t h = 0;
    if (len <= LIFT_CUSTOMER_ID_MAX) { /* the remembered pairs' bucket: fetched while we hash */
        h = seen_hash(x, id, len);
        __builtin_prefetch(&self->seen[(h >> 1) & (self->seen_slots - SEEN_WAYS)]);
    }
    /* liftd checks the id first (an invalid id is "invalid" whatever the eligibility). For an
     * eligible context assign_bucket enforces the same id contract while it hashes, so the
     * separate check runs only when it refuses the id (for the message). */
    assign_result_t r;
    int arm = ASSIGN_INVALID_ID;
    if (eligibility == LIFT__REASON__REASON_NONE)
        arm = assign_bucket(&x->cfg, id, len, &r);
    if (arm == ASSIGN_INVALID_ID && assign_customer_id_check(id, len, NULL, 0) < 0) {
        out->reason = LIFT__REASON__REASON_INVALID;
        out->error_code = LIFT_ERR_INVALID_ARGUMENT;
        out->error = id_error(id, len);
        return;
    }
    if (eligibility != LIFT__REASON__REASON_NONE) {
        out->reason = (int)eligibility;
        return;
    }
    if (s->holdouts && holdouts_gate(self, s, x, id, len, c, now)) {
        out->reason = LIFT__REASON__REASON_PROGRAM_HOLDOUT;
        return;
    }
    out->eligible = true;
    if (arm < 0) {
        out->reason = r.reason == ASSIGN_OUTSIDE_NAMESPACE ? LIFT__REASON__REASON_OUTSIDE_NAMESPACE
                                                           : LIFT__REASON__REASON_OUTSIDE_COVERAGE;
        return;
    }
    out->in_experiment = true;
    out->arm_index = arm;
    out->arm_name = x->def->arms[arm]->name;
    out->arm_payload = x->def->arms[arm]->payload;
    out->first_exposure = enqueue(self, x, NULL, id, len, arm, c, now, h) == 1;
}

/* This thread's last lookup and its last context that passed the checks: a sender asks about
 * one experiment in one context many times in a row. Never trusted across snapshots. A context
 * once valid stays valid: its only time-dependent bound (trigger time <= now + 24 h) only
 * widens as now advances. */
static _Thread_local struct {
    uint64_t snap;       /* uid of the snapshot of the lookup */
    const char *key;     /* the caller's key pointer (its text is compared too) */
    const lexp_t *x;     /* what it found */
    lift_context_t ctx;  /* a context decide_context_check accepted ... */
    const lexp_t *ctx_x; /* ... with this experiment's trigger time rule */
    uint64_t ctx_snap;   /* ... of this snapshot */
} last;

/* The experiment and the context's eligibility, as handle_assign checks them. */
static lift_err_t prepare(lift_local_t *self, const char *key, const lift_context_t *ctx,
                          const snap_t **sp, const lexp_t **x, Lift__Context *c, int64_t *now,
                          Lift__Reason *elig)
{
    const snap_t *s = atomic_load_explicit(&self->snap, memory_order_acquire);
    *sp = s;
    if (!key)
        return LIFT_ERR_NOT_FOUND;
    if (last.snap == s->uid && last.key == key && strcmp(last.x->key, key) == 0) {
        *x = last.x;
    } else {
        if (!(*x = snap_find(s, key)))
            return LIFT_ERR_NOT_FOUND;
        last.snap = s->uid;
        last.key = key;
        last.x = *x;
    }
    if (!ctx)
        return LIFT_ERR_INVALID_ARGUMENT;
    context_from_client(c, ctx);
    *now = wall_ms();
    if (last.ctx_x != *x || last.ctx_snap != s->uid || memcmp(&last.ctx, ctx, sizeof *ctx) != 0) {
        if (decide_context_check(c, *now) || !decide_trigger_time_ok((*x)->def, c))
            return LIFT_ERR_INVALID_ARGUMENT;
        last.ctx = *ctx;
        last.ctx_x = *x;
        last.ctx_snap = s->uid;
    }
    *elig = decide_eligibility((*x)->def, c, *now);
    return LIFT_OK;
}

lift_err_t lift_local_assign(lift_local_t *self, const char *key, const char *customer_id,
                             const lift_context_t *ctx, lift_assignment_t *out)
{
    memset(out, 0, sizeof *out);
    out->arm_index = -1;
    const snap_t *s;
    const lexp_t *x;
    Lift__Context c;
    int64_t now;
    Lift__Reason elig;
    if (!customer_id)
        return LIFT_ERR_INVALID_ARGUMENT;
    lift_err_t rc = prepare(self, key, ctx, &s, &x, &c, &now, &elig);
    if (rc != LIFT_OK)
        return rc;
    decide_one(self, s, x, customer_id, &c, elig, now, out);
    return LIFT_OK;
}

lift_err_t lift_local_assign_batch(lift_local_t *self, const char *key,
                                   const char *const *customer_ids, size_t n,
                                   const lift_context_t *ctx, lift_assignment_t *out)
{
    const snap_t *s;
    const lexp_t *x;
    Lift__Context c;
    int64_t now;
    Lift__Reason elig;
    if (n < 1 || n > LIFT_BATCH_MAX || !customer_ids)
        return LIFT_ERR_INVALID_ARGUMENT;
    lift_err_t rc = prepare(self, key, ctx, &s, &x, &c, &now, &elig);
    if (rc != LIFT_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        decide_one(self, s, x, customer_ids[i], &c, elig, now, &out[i]);
    return LIFT_OK;
}

lift_err_t lift_local_flush(lift_local_t *self, int timeout_ms)
{
    struct timespec ts;
    deadline_after(&ts, timeout_ms > 0 ? timeout_ms : 0);
    pthread_mutex_lock(&self->mu);
    self->flush_now = 1;
    pthread_cond_signal(&self->wake);
    int timed_out = 0;
    while ((self->qcount > 0 || self->inflight > 0 || self->flush_now) && !timed_out) {
        timed_out = pthread_cond_timedwait(&self->done, &self->mu, &ts) == ETIMEDOUT;
        if (!timed_out && self->qcount > 0 && !self->flush_now && !self->inflight) {
            self->flush_now = 1; /* a failed round: try again at once while time is left */
            pthread_cond_signal(&self->wake);
        }
    }
    int empty = self->qcount == 0 && self->inflight == 0;
    pthread_mutex_unlock(&self->mu);
    return empty ? LIFT_OK : LIFT_ERR_UNAVAILABLE;
}

lift_err_t lift_local_refresh(lift_local_t *self, int timeout_ms)
{
    struct timespec ts;
    deadline_after(&ts, timeout_ms > 0 ? timeout_ms : 0);
    pthread_mutex_lock(&self->mu);
    uint64_t seen = self->refreshed;
    self->refresh_now = 1;
    pthread_cond_signal(&self->wake);
    while (self->refreshed == seen)
        if (pthread_cond_timedwait(&self->done, &self->mu, &ts) == ETIMEDOUT)
            break;
    int ok = self->refreshed != seen && self->refresh_ok;
    pthread_mutex_unlock(&self->mu);
    return ok ? LIFT_OK : LIFT_ERR_UNAVAILABLE;
}

void lift_local_stats(lift_local_t *self, lift_local_stats_t *out)
{
    memset(out, 0, sizeof *out);
    out->queued = atomic_load(&self->queued);
    out->dropped = atomic_load(&self->dropped);
    out->sent = atomic_load(&self->sent);
    out->first = atomic_load(&self->first);
    out->skew = atomic_load(&self->skew);
    out->rejected = atomic_load(&self->rejected);
    out->flush_failures = atomic_load(&self->flush_failures);
    out->refreshes = atomic_load(&self->refreshes);
    out->refresh_failures = atomic_load(&self->refresh_failures);
    const snap_t *s = atomic_load(&self->snap);
    out->generation = s ? s->generation : 0;
    pthread_mutex_lock(&self->mu);
    out->buffered = self->qcount;
    pthread_mutex_unlock(&self->mu);
}

int lift_holdout_group(const Lift__Holdout *h, const char *id, size_t len)
{
    return holdout_group(h, id, len);
}
