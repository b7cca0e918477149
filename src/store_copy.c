/* store_copy: `liftd copy SRC DST`, which copies the settings (currency), experiments,
 * exposures and events from one store into another (SQLite to PostgreSQL, or any pair the store
 * contract opens), idempotently, through the store API of store.h only. It runs no server and
 * never writes the source: the source is read through a store reader, in one snapshot. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lift/text.h"
#include "store.h"
#include "store_copy.h"

#define COPY_BATCH_DEFAULT 5000 /* rows per destination transaction */
#define COPY_BATCH_MIN 1
#define COPY_BATCH_MAX 100000
#define COPY_SAMPLES 3 /* conflicting ids named in the summary */
#define PROG "liftd copy"
#define EXIT_OK 0    /* copied (or nothing new) */
#define EXIT_ERR 1   /* an error or conflicts */
#define EXIT_USAGE 2 /* bad command line */

/* One experiment as read from a store, with its own copies of the row's bytes. */
typedef struct {
    int64_t id;         /* id in the store it was read from */
    char *key;          /* unique key */
    int status;         /* ExperimentStatus value */
    void *def;          /* definition bytes */
    size_t def_len;     /* bytes in def */
    double coverage;    /* current coverage */
    int64_t created_ms; /* creation time */
    int64_t started_ms; /* first start, 0 if never */
    int64_t updated_ms; /* last change */
    int64_t generation; /* generation of the last change (in its own store) */
    int64_t dst_id;     /* source rows: the id of the same experiment in the destination */
    int64_t dst_gen;    /* source rows: its generation there (exposures are recorded at it) */
} cexp_t;

typedef struct {
    cexp_t *v;  /* rows */
    size_t n;   /* used */
    size_t cap; /* allocated */
} cexps_t;

typedef struct {
    uint64_t inserted;             /* stored now */
    uint64_t already;              /* there before with the same content */
    uint64_t conflicts;            /* there before with other content: left as it is */
    char sample[COPY_SAMPLES][96]; /* the first conflicting ids, for the summary */
} tally_t;

typedef struct {
    store_reader_t *src;  /* the source, read-only, one snapshot */
    store_t *dst;         /* the destination */
    const char *src_name; /* source URI for messages (password hidden) */
    const char *dst_name; /* destination URI for messages (password hidden) */
    size_t batch;         /* rows per destination transaction */
    cexps_t sx;           /* source experiments (id order) */
    cexps_t dx;           /* destination experiments before the copy */
    char currency[256];   /* SRC's currency setting ("" when it records none) */
    int currency_set;     /* it was written into DST by this copy */
    uint64_t exp_copied;  /* experiments inserted */
    uint64_t exp_already; /* experiments there with the same definition */
    uint64_t exp_updated; /* of those: state (status, coverage, start) brought forward */
    tally_t xp;           /* exposures */
    tally_t ev;           /* events */
    /* the exposure batch */
    store_exposure_t *xb;      /* rows, experiment_id already the destination's */
    int64_t *xgen;             /* the destination generation each row is recorded at */
    store_record_t *xout;      /* per-row result */
    store_exposure_t *xstored; /* per-row: what DST held when it held one */
    char **xcust;              /* owned customer bytes of each row */
    size_t xn;                 /* rows buffered */
    cexp_t *xexp;              /* the source experiment whose exposures are being read */
    /* the event batch */
    store_event_t *eb; /* rows, experiment_id already the destination's */
    char **estr;       /* owned block holding each row's strings */
    store_put_t *eput; /* per-row result */
    size_t en;         /* rows buffered */
    /* progress */
    int tty;         /* draw a progress line on stderr */
    int drawn;       /* a progress line is on screen */
    double t_draw;   /* last draw, monotonic seconds */
    double t0;       /* start */
    int64_t x_total; /* exposures in the source snapshot */
    int64_t e_total; /* events in the source snapshot */
    uint64_t x_done; /* exposures handled */
    uint64_t e_done; /* events handled */
    char err[2048];  /* why the copy stopped ("" while it runs) */
} copy_t;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_clear(copy_t *c)
{
    if (c->drawn)
        fputs("\r\033[K", stderr);
    c->drawn = 0;
}

/* A bar over exposures and events together: the two tables are copied one after the other. */
static void progress(copy_t *c, int force)
{
    if (!c->tty)
        return;
    double now = mono_now();
    if (!force && c->drawn && now - c->t_draw < 0.1)
        return;
    c->t_draw = now;
    double total = (double)(c->x_total + c->e_total);
    double done = (double)(c->x_done + c->e_done);
    double frac = total > 0 ? done / total : 1.0;
    if (frac > 1)
        frac = 1;
    char bar[31];
    int full = (int)(frac * 30 + 0.5);
    for (int i = 0; i < 30; i++)
        bar[i] = i < full ? '#' : '-';
    bar[30] = '\0';
    double el = now - c->t0;
    fprintf(stderr,
            "\r[%s] %3.0f%%  exposures %" PRIu64 "/%" PRId64 "  events %" PRIu64 "/%" PRId64
            "  %.0f rows/s\033[K",
            bar, frac * 100, c->x_done, c->x_total, c->e_done, c->e_total,
            el > 0 ? done / el : 0.0);
    c->drawn = 1;
}

static int stop(copy_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int stop(copy_t *c, const char *fmt, ...)
{
    if (c->err[0])
        return 1; /* the first reason is the one that counts */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return 1;
}

/* ---- deployment settings --------------------------------------------------------------- */

/* The settings a store keeps for its deployment (store_meta_*), copied with the data: the
 * currency above all, since every amount stored is an integer in its minor units. */
static const char *const copy_settings_keys[] = {"currency"};
#define N_SETTINGS (sizeof copy_settings_keys / sizeof copy_settings_keys[0])

/* Reads SRC's settings (in its snapshot) and DST's; a setting both hold with different values
 * refuses the copy before anything is written, naming both. Then writes what DST lacks.
 * 0, or -1 with c->err set. */
static int copy_settings(copy_t *c)
{
    char sv[N_SETTINGS][256], dv[N_SETTINGS][256];
    int shave[N_SETTINGS], dhave[N_SETTINGS];
    for (size_t k = 0; k < N_SETTINGS; k++) {
        const char *key = copy_settings_keys[k];
        shave[k] = store_reader_meta_get(c->src, key, sv[k], sizeof sv[k]);
        if (shave[k] < 0)
            return stop(c, "cannot read the %s setting of %s: %s", key, c->src_name,
                        store_reader_errmsg(c->src)),
                   -1;
        dhave[k] = store_meta_get(c->dst, key, dv[k], sizeof dv[k]);
        if (dhave[k] < 0)
            return stop(c, "cannot read the %s setting of %s: %s", key, c->dst_name,
                        store_errmsg(c->dst)),
                   -1;
        if (shave[k] == 1 && dhave[k] == 1 && strcmp(sv[k], dv[k]) != 0) {
            char a[LIFT_SAFE_CAP(64)], b[LIFT_SAFE_CAP(64)];
            lift_safe_text(sv[k], a, sizeof a);
            lift_safe_text(dv[k], b, sizeof b);
            if (strcmp(key, "currency") == 0)
                return stop(c,
                            "currency: SRC %s holds amounts in %s, DST %s in %s; nothing "
                            "copied: amounts are integers in the minor units of their store's "
                            "currency, so one store cannot hold both",
                            c->src_name, a, c->dst_name, b),
                       -1;
            return stop(c, "setting %s: SRC %s has %s, DST %s has %s; nothing copied", key,
                        c->src_name, a, c->dst_name, b),
                   -1;
        }
    }
    for (size_t k = 0; k < N_SETTINGS; k++) {
        const char *key = copy_settings_keys[k];
        int is_currency = strcmp(key, "currency") == 0;
        if (shave[k] == 1 && is_currency)
            snprintf(c->currency, sizeof c->currency, "%s", sv[k]);
        if (shave[k] != 1 || dhave[k] == 1)
            continue;
        if (store_meta_set(c->dst, key, sv[k]) < 0)
            return stop(c, "cannot write the %s setting into %s: %s", key, c->dst_name,
                        store_errmsg(c->dst)),
                   -1;
        if (is_currency)
            c->currency_set = 1;
    }
    return 0;
}

/* ---- experiments ----------------------------------------------------------------------- */

static void cexps_free(cexps_t *x)
{
    for (size_t i = 0; i < x->n; i++) {
        free(x->v[i].key);
        free(x->v[i].def);
    }
    free(x->v);
    memset(x, 0, sizeof *x);
}

static int collect_experiment(void *arg, const store_experiment_t *row)
{
    cexps_t *x = arg;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        cexp_t *v = realloc(x->v, cap * sizeof *v);
        if (v == NULL)
            return ENOMEM;
        x->v = v;
        x->cap = cap;
    }
    cexp_t *e = &x->v[x->n];
    memset(e, 0, sizeof *e);
    e->key = strdup(row->key ? row->key : "");
    e->def = malloc(row->def_len ? row->def_len : 1);
    if (e->key == NULL || e->def == NULL) {
        free(e->key);
        free(e->def);
        return ENOMEM;
    }
    if (row->def_len)
        memcpy(e->def, row->def, row->def_len);
    e->id = row->id;
    e->status = row->status;
    e->def_len = row->def_len;
    e->coverage = row->coverage;
    e->created_ms = row->created_ms;
    e->started_ms = row->started_ms;
    e->updated_ms = row->updated_ms;
    e->generation = row->generation;
    x->n++;
    return 0;
}

static cexp_t *find_key(cexps_t *x, const char *key)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->v[i].key, key) == 0)
            return &x->v[i];
    return NULL;
}

static const cexp_t *find_src_id(const copy_t *c, int64_t id)
{
    size_t lo = 0, hi = c->sx.n; /* id order, as the reader gives them */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->sx.v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->sx.n && c->sx.v[lo].id == id)
        return &c->sx.v[lo];
    for (size_t i = 0; i < c->sx.n; i++) /* not sorted after all: still correct */
        if (c->sx.v[i].id == id)
            return &c->sx.v[i];
    return NULL;
}

/* Writes source row s's state (status, coverage, start and last change) over the destination's
 * experiment `id` at generation `gen`, keeping the generation it gets in s->dst_gen. 0, or -1
 * with c->err set: the row moved on in the destination meanwhile, or a store error. */
static int state_update(copy_t *c, cexp_t *s, const char *k, int64_t id, int64_t gen)
{
    int u = store_experiment_update(c->dst, id, gen, s->status, s->coverage, s->started_ms,
                                    s->updated_ms, &s->dst_gen);
    if (u == 0)
        return 0;
    return stop(c, "experiment %s: %s", k,
                u == 1 ? "changed in the destination during the copy; run it again"
                       : store_errmsg(c->dst)),
           -1;
}

/* Reads both experiment lists, refuses a key whose definition differs (before anything is
 * written), then inserts what is missing and brings forward the state of what is there when
 * the source changed it later. One transaction. 0, or -1 with c->err set. */
static int copy_experiments(copy_t *c)
{
    char err[1024];
    int rc = store_reader_experiments(c->src, collect_experiment, &c->sx);
    if (rc != 0)
        return stop(c, "cannot read the experiments of %s: %s", c->src_name,
                    rc == ENOMEM ? "out of memory" : store_reader_errmsg(c->src)),
               -1;
    rc = store_experiment_each(c->dst, 0, collect_experiment, &c->dx);
    if (rc != 0)
        return stop(c, "cannot read the experiments of %s: %s", c->dst_name,
                    rc == ENOMEM ? "out of memory" : store_errmsg(c->dst)),
               -1;
    size_t differ = 0;
    const cexp_t *first = NULL, *first_dst = NULL;
    for (size_t i = 0; i < c->sx.n; i++) {
        const cexp_t *s = &c->sx.v[i], *d = find_key(&c->dx, s->key);
        if (d && (d->def_len != s->def_len || memcmp(d->def, s->def, s->def_len) != 0)) {
            if (!first) {
                first = s;
                first_dst = d;
            }
            differ++;
        }
    }
    if (differ) {
        char k[LIFT_SAFE_CAP(64)];
        return stop(c,
                    "experiment %s: %s holds a different definition under this key (%zu bytes "
                    "there, %zu in %s)%s; nothing copied: an experiment's definition is frozen, "
                    "so the two stores hold different experiments under one key",
                    lift_safe_text(first->key, k, sizeof k), c->dst_name, first_dst->def_len,
                    first->def_len, c->src_name, differ > 1 ? " (and more keys like it)" : ""),
               -1;
    }
    if (c->sx.n == 0)
        return 0;
    if (store_begin(c->dst, err, sizeof err) != 0)
        return stop(c, "cannot begin a transaction on %s: %s", c->dst_name, err), -1;
    for (size_t i = 0; i < c->sx.n; i++) {
        cexp_t *s = &c->sx.v[i];
        cexp_t *d = find_key(&c->dx, s->key);
        char k[LIFT_SAFE_CAP(64)];
        lift_safe_text(s->key, k, sizeof k);
        if (d) {
            c->exp_already++;
            s->dst_id = d->id;
            s->dst_gen = d->generation;
            /* Same experiment: its state follows whichever store changed it last, so a copy
             * rerun after a pause in the source carries the pause, and a rerun from an old
             * source never undoes a later change made in the destination. */
            if (s->updated_ms > d->updated_ms &&
                (s->status != d->status || s->coverage != d->coverage ||
                 s->started_ms != d->started_ms)) {
                if (state_update(c, s, k, d->id, d->generation) != 0)
                    goto fail;
                c->exp_updated++;
            }
            continue;
        }
        int64_t gen = 0;
        int ins = store_experiment_insert(c->dst, s->key, s->status, s->def, s->def_len,
                                          s->coverage, s->created_ms, &s->dst_id, &gen);
        if (ins != 0) {
            stop(c, "experiment %s: %s", k,
                 ins == 1 ? "created in the destination during the copy; run it again"
                          : store_errmsg(c->dst));
            goto fail;
        }
        s->dst_gen = gen;
        /* The insert knows no start time and stamps the creation as the last change: the
         * update carries both, so the copy reads as the source does. */
        if (s->started_ms != 0 || s->updated_ms != s->created_ms) {
            if (state_update(c, s, k, s->dst_id, gen) != 0)
                goto fail;
        }
        c->exp_copied++;
    }
    if (store_commit(c->dst, err, sizeof err) != 0)
        return stop(c, "cannot commit the experiments into %s: %s", c->dst_name, err), -1;
    return 0;
fail:
    store_rollback(c->dst);
    c->exp_copied = c->exp_already = c->exp_updated = 0;
    return -1;
}

/* ---- exposures ------------------------------------------------------------------------- */

/* Counts a conflict of `what` (an id, len bytes) in t, naming the first few. */
static void tally_conflict(tally_t *t, const char *what, size_t len)
{
    if (t->conflicts < COPY_SAMPLES)
        lift_safe_textn(what, len, t->sample[t->conflicts], sizeof t->sample[0]);
    t->conflicts++;
}

/* Adds the counts of a committed batch b to t. */
static void tally_add(tally_t *t, const tally_t *b)
{
    for (uint64_t i = 0; i < b->conflicts && i < COPY_SAMPLES; i++)
        if (t->conflicts + i < COPY_SAMPLES)
            memcpy(t->sample[t->conflicts + i], b->sample[i], sizeof t->sample[0]);
    t->inserted += b->inserted;
    t->already += b->already;
    t->conflicts += b->conflicts;
}

/* The destination's generation of experiment dst_id now (after someone changed it). */
typedef struct {
    int64_t id;  /* wanted */
    int64_t gen; /* found, -1 when not */
} gen_probe_t;

static int probe_gen(void *arg, const store_experiment_t *row)
{
    gen_probe_t *p = arg;
    if (row->id == p->id) {
        p->gen = row->generation;
        return 1;
    }
    return 0;
}

/* An exposure DST held already: the same decision (arm and context) or a conflict. */
static void tally_exposure(tally_t *t, const store_exposure_t *e, const store_exposure_t *stored)
{
    if (stored->arm == e->arm && stored->trigger == e->trigger && stored->stage == e->stage &&
        stored->channel == e->channel && stored->trigger_ms == e->trigger_ms &&
        stored->decided_ms == e->decided_ms)
        t->already++;
    else /* the destination decided on its own: it keeps its exposure */
        tally_conflict(t, e->customer, e->customer_len);
}

/* Frees the n strings a batch owns (v[0..*n)) and empties it. */
static void batch_clear(char **v, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        free(v[i]);
        v[i] = NULL;
    }
    *n = 0;
}

/* Records the buffered exposures in one transaction, as one batch (store_exposures_put: on
 * PostgreSQL one statement for the batch and one read-back of what was there, not a round
 * trip per row). 0, or 1 with c->err set. */
static int flush_exposures(copy_t *c)
{
    char err[1024];
    tally_t t = {0}; /* this batch: counted once it is committed */
    if (c->xn == 0)
        return 0;
    if (store_begin(c->dst, err, sizeof err) != 0)
        return stop(c, "cannot begin a transaction on %s: %s", c->dst_name, err);
    int r = store_exposures_put(c->dst, c->xb, c->xgen, c->xn, c->xout, c->xstored);
    if (r < 0) {
        stop(c, "cannot record the exposures of experiment %s in %s: %s", c->xexp->key, c->dst_name,
             store_errmsg(c->dst));
        goto fail;
    }
    size_t nstale = 0, handled = 0;
    for (size_t i = 0; i < c->xn; i++)
        nstale += c->xout[i] == STORE_STALE;
    if (nstale) { /* changed there meanwhile: record at its generation now, once */
        gen_probe_t p = {c->xexp->dst_id, -1};
        if (store_experiment_each(c->dst, 0, probe_gen, &p) < 0 || p.gen < 0) {
            stop(c, "cannot re-read experiment %s in %s: %s", c->xexp->key, c->dst_name,
                 store_errmsg(c->dst));
            goto fail;
        }
        c->xexp->dst_gen = p.gen; /* and for the batches still to come */
        size_t k = 0;
        for (size_t i = 0; i < c->xn; i++)
            if (c->xout[i] == STORE_STALE) {
                c->xb[k] = c->xb[i]; /* compacted in place: the batch is done after this */
                c->xcust[k] = c->xcust[i];
                if (k != i)
                    c->xcust[i] = NULL;
                c->xgen[k] = p.gen;
                k++;
            } else {
                if (c->xout[i] == STORE_FIRST)
                    t.inserted++;
                else
                    tally_exposure(&t, &c->xb[i], &c->xstored[i]);
                free(c->xcust[i]);
                c->xcust[i] = NULL;
            }
        handled = c->xn - k;
        c->xn = k;
        r = store_exposures_put(c->dst, c->xb, c->xgen, c->xn, c->xout, c->xstored);
        if (r < 0) {
            stop(c, "cannot record the exposures of experiment %s in %s: %s", c->xexp->key,
                 c->dst_name, store_errmsg(c->dst));
            goto fail;
        }
    }
    for (size_t i = 0; i < c->xn; i++) {
        if (c->xout[i] == STORE_STALE) {
            stop(c,
                 "cannot record an exposure of experiment %s in %s: it keeps changing "
                 "there; run the copy again",
                 c->xexp->key, c->dst_name);
            goto fail;
        }
        if (c->xout[i] == STORE_FIRST)
            t.inserted++;
        else
            tally_exposure(&t, &c->xb[i], &c->xstored[i]);
    }
    if (store_commit(c->dst, err, sizeof err) != 0)
        return stop(c, "cannot commit exposures into %s: %s", c->dst_name, err);
    tally_add(&c->xp, &t);
    c->x_done += handled + c->xn;
    batch_clear(c->xcust, &c->xn);
    progress(c, 0);
    return 0;
fail:
    store_rollback(c->dst);
    return 1;
}

static int take_exposure(void *arg, const store_exposure_t *row)
{
    copy_t *c = arg;
    size_t i = c->xn;
    char *cust = malloc(row->customer_len ? row->customer_len : 1);
    if (cust == NULL)
        return stop(c, "out of memory");
    if (row->customer_len)
        memcpy(cust, row->customer, row->customer_len);
    c->xb[i] = *row;
    c->xb[i].experiment_id = c->xexp->dst_id;
    c->xb[i].customer = cust;
    c->xcust[i] = cust;
    c->xgen[i] = c->xexp->dst_gen;
    c->xn++;
    return c->xn == c->batch ? flush_exposures(c) : 0;
}

static int copy_exposures(copy_t *c)
{
    for (size_t i = 0; i < c->sx.n; i++) {
        c->xexp = &c->sx.v[i];
        int rc = store_reader_exposures(c->src, c->xexp->id, take_exposure, c);
        if (rc == 0)
            rc = flush_exposures(c); /* one experiment's rows per transaction batch */
        if (rc != 0) {
            if (!c->err[0])
                stop(c, "cannot read the exposures of experiment %s from %s: %s", c->xexp->key,
                     c->src_name, store_reader_errmsg(c->src));
            batch_clear(c->xcust, &c->xn);
            return -1;
        }
    }
    return 0;
}

/* ---- events ---------------------------------------------------------------------------- */

static int flush_events(copy_t *c)
{
    char err[1024];
    if (c->en == 0)
        return 0;
    if (store_begin(c->dst, err, sizeof err) != 0)
        return stop(c, "cannot begin a transaction on %s: %s", c->dst_name, err);
    store_request_begin(c->dst);
    if (store_events_put(c->dst, c->eb, c->en, c->eput, NULL) != 0) {
        stop(c, "cannot store events into %s: %s", c->dst_name, store_errmsg(c->dst));
        store_request_end(c->dst, 0);
        store_rollback(c->dst);
        return 1;
    }
    if (store_request_end(c->dst, 1) != 0) {
        stop(c, "cannot store events into %s: %s", c->dst_name, store_errmsg(c->dst));
        store_rollback(c->dst);
        return 1;
    }
    if (store_commit(c->dst, err, sizeof err) != 0)
        return stop(c, "cannot commit events into %s: %s", c->dst_name, err);
    for (size_t i = 0; i < c->en; i++) {
        if (c->eput[i] == STORE_INSERTED)
            c->ev.inserted++;
        else if (c->eput[i] == STORE_DUPLICATE)
            c->ev.already++;
        else
            tally_conflict(&c->ev, c->eb[i].event_id, strlen(c->eb[i].event_id));
    }
    c->e_done += c->en;
    batch_clear(c->estr, &c->en);
    progress(c, 0);
    return 0;
}

static char *put_s(char **pos, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*pos, s, n);
    char *r = *pos;
    *pos += n;
    return r;
}

static int take_event(void *arg, const store_event_t *row)
{
    copy_t *c = arg;
    size_t i = c->en;
    int64_t dst_exp = 0;
    if (row->experiment_id > 0) {
        const cexp_t *x = find_src_id(c, row->experiment_id);
        if (x == NULL) {
            char id[LIFT_SAFE_CAP(80)];
            return stop(c,
                        "event %s names experiment id %" PRId64 ", which %s does not hold "
                        "(the source store is inconsistent: liftd copy stops here)",
                        lift_safe_text(row->event_id, id, sizeof id), row->experiment_id,
                        c->src_name);
        }
        dst_exp = x->dst_id;
    }
    size_t len = strlen(row->event_id) + 1 + strlen(row->customer_id) + 1 +
                 (row->plan_from ? strlen(row->plan_from) + 1 : 0) +
                 (row->plan_to ? strlen(row->plan_to) + 1 : 0);
    char *block = malloc(len), *pos = block;
    if (block == NULL)
        return stop(c, "out of memory");
    c->eb[i] = *row;
    c->eb[i].experiment_id = dst_exp;
    c->eb[i].event_id = put_s(&pos, row->event_id);
    c->eb[i].customer_id = put_s(&pos, row->customer_id);
    c->eb[i].plan_from = put_s(&pos, row->plan_from);
    c->eb[i].plan_to = put_s(&pos, row->plan_to);
    c->estr[i] = block;
    c->en++;
    return c->en == c->batch ? flush_events(c) : 0;
}

static int copy_events(copy_t *c)
{
    int rc = store_reader_all_events(c->src, take_event, c);
    if (rc == 0)
        rc = flush_events(c);
    if (rc != 0) {
        if (!c->err[0])
            stop(c, "cannot read the events of %s: %s", c->src_name, store_reader_errmsg(c->src));
        batch_clear(c->estr, &c->en);
        return -1;
    }
    return 0;
}

/* ---- command --------------------------------------------------------------------------- */

static int is_pg(const char *uri)
{
    return strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0;
}

/* The directory of a SQLite store URI (sqlite:DIR, sqlite://DIR or DIR) resolved, or the URI
 * itself for PostgreSQL, so that two spellings of one store compare equal. */
static void store_identity(const char *uri, char *buf, size_t cap)
{
    if (is_pg(uri)) {
        snprintf(buf, cap, "%s", uri);
        return;
    }
    const char *dir = uri;
    if (strncmp(dir, "sqlite:", 7) == 0)
        dir += 7;
    if (strncmp(dir, "//", 2) == 0)
        dir += 2;
    char real[PATH_MAX];
    snprintf(buf, cap, "sqlite:%s", realpath(dir, real) ? real : dir);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liftd copy SRC DST [--batch N] [--json]\n"
            "\n"
            "Copies every experiment, exposure and event of the store SRC into the store DST,\n"
            "e.g. from the embedded SQLite store to a shared PostgreSQL. SRC is only read (one\n"
            "consistent snapshot; a liftd may keep running on it). DST must not be held by a\n"
            "running liftd when it is a SQLite store (its lock refuses a second writer); a\n"
            "PostgreSQL DST may be live. The copy is idempotent: what DST holds already is left\n"
            "alone, so it can be rerun (after an interruption, or to pick up what came into\n"
            "SRC since) and then copies only what is new. No server is started.\n"
            "\n"
            "  SRC, DST     store URIs: sqlite:DIR (or a bare DIR), or\n"
            "               postgresql://USER@HOST/DB (e.g. ?host=/run/postgresql for a socket)\n"
            "  --batch N    rows per DST transaction, %d..%d (default %d)\n"
            "  --json       the summary as JSON\n"
            "\n"
            "The deployment settings come along: SRC's currency is written into DST when DST\n"
            "has none; a DST recording another currency is refused before anything is\n"
            "written (amounts are integers in the currency's minor units).\n"
            "Experiments are matched by key (ids differ between stores). One that DST holds\n"
            "with the same definition is \"already there\" (its status, coverage and start\n"
            "follow SRC when SRC changed it later); a different definition under the same key\n"
            "is refused before anything is written. Exposures already in DST are kept; events\n"
            "already there are duplicates; an event id DST holds with other content is a\n"
            "conflict and stays as DST has it. A progress bar is drawn on stderr when it is a\n"
            "terminal. The summary goes to stdout (--json: as JSON).\n"
            "\n"
            "exit status: 0 copied (or nothing new), 1 an error or conflicts, 2 usage error\n",
            COPY_BATCH_MIN, COPY_BATCH_MAX, COPY_BATCH_DEFAULT);
}

static void print_json_summary(const copy_t *c, int ok, int nothing_new)
{
    json_t *xs = json_array(), *es = json_array();
    for (uint64_t i = 0; i < c->xp.conflicts && i < COPY_SAMPLES; i++)
        json_array_append_new(xs, json_string(c->xp.sample[i]));
    for (uint64_t i = 0; i < c->ev.conflicts && i < COPY_SAMPLES; i++)
        json_array_append_new(es, json_string(c->ev.sample[i]));
    json_t *j = json_pack(
        "{s:s,s:s,s:b,s:b,s:{s:s?,s:b},s:{s:I,s:I,s:I},s:{s:I,s:I,s:I,s:o},"
        "s:{s:I,s:I,s:I,s:o}}",
        "src", c->src_name, "dst", c->dst_name, "complete", ok, "nothing_new", ok && nothing_new,
        "settings", "currency", c->currency[0] ? c->currency : NULL, "currency_copied",
        c->currency_set, "experiments", "copied", (json_int_t)c->exp_copied, "already_there",
        (json_int_t)c->exp_already, "state_updated", (json_int_t)c->exp_updated, "exposures",
        "inserted", (json_int_t)c->xp.inserted, "already_there", (json_int_t)c->xp.already,
        "conflicts", (json_int_t)c->xp.conflicts, "conflict_customers", xs, "events", "inserted",
        (json_int_t)c->ev.inserted, "duplicates", (json_int_t)c->ev.already, "conflicts",
        (json_int_t)c->ev.conflicts, "conflict_ids", es);
    char *text = j ? json_dumps(j, JSON_PRESERVE_ORDER) : NULL;
    if (text && lift_safe_json_fputs(text, stdout) == 0)
        fputc('\n', stdout);
    free(text);
    json_decref(j);
}

static void print_summary(const copy_t *c, int json, int ok)
{
    int nothing_new = c->exp_copied == 0 && c->exp_updated == 0 && c->xp.inserted == 0 &&
                      c->ev.inserted == 0 && !c->currency_set;
    if (json) {
        print_json_summary(c, ok, nothing_new);
        return;
    }
    char s[LIFT_SAFE_CAP(1024)], d[LIFT_SAFE_CAP(1024)];
    printf("%s %s -> %s\n", ok ? "copied" : "stopped copying",
           lift_safe_text(c->src_name, s, sizeof s), lift_safe_text(c->dst_name, d, sizeof d));
    if (c->currency[0]) {
        char cur[LIFT_SAFE_CAP(256)];
        printf("currency:    %s (%s)\n", lift_safe_text(c->currency, cur, sizeof cur),
               c->currency_set ? "set in DST" : "DST has it already");
    } else if (ok) {
        printf("currency:    none recorded in SRC (DST's stays as it is)\n");
    }
    printf("experiments: %" PRIu64 " copied, %" PRIu64 " already there (%" PRIu64
           " with their state brought forward)\n",
           c->exp_copied, c->exp_already, c->exp_updated);
    printf("exposures:   %" PRIu64 " inserted, %" PRIu64 " already there, %" PRIu64 " conflicts\n",
           c->xp.inserted, c->xp.already, c->xp.conflicts);
    printf("events:      %" PRIu64 " inserted, %" PRIu64 " duplicates, %" PRIu64 " conflicts\n",
           c->ev.inserted, c->ev.already, c->ev.conflicts);
    if (c->xp.conflicts) {
        printf("exposure conflicts (DST had recorded another arm or context; kept):");
        for (uint64_t i = 0; i < c->xp.conflicts && i < COPY_SAMPLES; i++)
            printf(" %s", c->xp.sample[i]);
        printf("%s\n", c->xp.conflicts > COPY_SAMPLES ? " ..." : "");
    }
    if (c->ev.conflicts) {
        printf("event conflicts (DST holds the id with other content; kept):");
        for (uint64_t i = 0; i < c->ev.conflicts && i < COPY_SAMPLES; i++)
            printf(" %s", c->ev.sample[i]);
        printf("%s\n", c->ev.conflicts > COPY_SAMPLES ? " ..." : "");
    }
    if (ok && nothing_new)
        printf("nothing new: DST already held everything in SRC\n");
}

/* Prints "liftd copy: <message>" and a pointer to --help; returns EXIT_USAGE. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(see: liftd copy --help)\n", stderr);
    return EXIT_USAGE;
}

/* What the command line asks for. */
typedef struct {
    const char *uri[2]; /* SRC, DST */
    int64_t batch;      /* --batch */
    int json;           /* --json */
    int help;           /* --help: print the usage, copy nothing */
} copy_args_t;

/* argv[0] is "copy". Returns 0, or EXIT_USAGE after printing why. */
static int parse_args(int argc, char **argv, copy_args_t *a)
{
    int nuri = 0;
    *a = (copy_args_t){.batch = COPY_BATCH_DEFAULT};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            a->help = 1;
            return 0;
        }
        if (strcmp(arg, "--json") == 0) {
            a->json = 1;
            continue;
        }
        if (strncmp(arg, "--batch=", 8) == 0)
            v = arg + 8;
        else if (strcmp(arg, "--batch") == 0 && i + 1 >= argc)
            return usage_error("--batch: missing value");
        else if (strcmp(arg, "--batch") == 0)
            v = argv[++i];
        if (v != NULL) {
            char *end = NULL;
            errno = 0;
            long long n = strtoll(v, &end, 10);
            if (end == v || *end != '\0' || errno == ERANGE)
                return usage_error("--batch: '%s' is not an integer", v);
            if (n < COPY_BATCH_MIN || n > COPY_BATCH_MAX)
                return usage_error("--batch: %s is out of range [%d, %d]", v, COPY_BATCH_MIN,
                                   COPY_BATCH_MAX);
            a->batch = n;
            continue;
        }
        if (arg[0] == '-' && arg[1] != '\0')
            return usage_error("unknown flag '%s'", arg);
        if (nuri == 2)
            return usage_error("unexpected argument '%s' (SRC and DST are given already)", arg);
        if (arg[0] == '\0')
            return usage_error("%s: empty store URI", nuri ? "DST" : "SRC");
        a->uri[nuri++] = arg;
    }
    if (nuri < 2)
        return usage_error("needs SRC and DST (store URIs: sqlite:DIR or postgresql://...)");
    char id_s[PATH_MAX + 16], id_d[PATH_MAX + 16];
    store_identity(a->uri[0], id_s, sizeof id_s);
    store_identity(a->uri[1], id_d, sizeof id_d);
    if (strcmp(id_s, id_d) == 0) {
        char shown[sizeof id_s];
        return usage_error("SRC and DST are the same store (%s)",
                           store_uri_redact(id_s, shown, sizeof shown));
    }
    return 0;
}

/* Prints "liftd copy: <what> <name>: <err>" with err made safe for a terminal. */
static void print_store_error(const char *what, const char *name, const char *err)
{
    fprintf(stderr, PROG ": %s %s: ", what, name);
    lift_safe_fputs(err, stderr);
    fputc('\n', stderr);
}

/* Opens both stores and starts SRC's snapshot. 0, or -1 after printing why. */
static int open_stores(copy_t *c, const copy_args_t *a)
{
    char err[1024];
    c->src = store_reader_open(a->uri[0], err, sizeof err);
    if (c->src == NULL) {
        print_store_error("SRC", c->src_name, err);
        return -1;
    }
    c->dst = store_open(a->uri[1], err, sizeof err);
    if (c->dst == NULL) {
        print_store_error("DST", c->dst_name, err);
        if (!is_pg(a->uri[1]))
            fprintf(stderr, PROG ": a SQLite store has one writer at a time: when a liftd holds "
                                 "DST, stop it and copy again\n");
        return -1;
    }
    c->dst_name = store_uri(c->dst);
    if (store_reader_begin(c->src, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": SRC %s: cannot start a snapshot: ", c->src_name);
        lift_safe_fputs(err, stderr);
        fputc('\n', stderr);
        return -1;
    }
    return 0;
}

/* Copies everything in SRC's snapshot (settings, experiments, exposures, events). 0, or -1
 * with the reason in c->err. */
static int copy_all(copy_t *c)
{
    int failed = copy_settings(c) != 0;
    if (!failed)
        failed = copy_experiments(c) != 0;
    if (!failed) {
        c->e_total = store_reader_event_count(c->src);
        for (size_t i = 0; i < c->sx.n && c->x_total >= 0; i++) {
            int64_t n = store_reader_exposure_count(c->src, c->sx.v[i].id);
            c->x_total = n < 0 ? -1 : c->x_total + n;
        }
        if (c->e_total < 0 || c->x_total < 0) {
            stop(c, "cannot count the rows of %s: %s", c->src_name, store_reader_errmsg(c->src));
            failed = 1;
        }
    }
    if (!failed)
        progress(c, 1);
    if (!failed)
        failed = copy_exposures(c) != 0;
    if (!failed)
        failed = copy_events(c) != 0;
    if (!failed)
        progress(c, 1);
    return failed ? -1 : 0;
}

static void copy_free(copy_t *c)
{
    store_reader_destroy(&c->src);
    store_destroy(&c->dst);
    batch_clear(c->xcust, &c->xn);
    batch_clear(c->estr, &c->en);
    cexps_free(&c->sx);
    cexps_free(&c->dx);
    free(c->xb);
    free(c->xgen);
    free(c->xout);
    free(c->xstored);
    free(c->xcust);
    free(c->eb);
    free(c->estr);
    free(c->eput);
    free(c);
}

int store_copy_main(int argc, char **argv)
{
    copy_args_t a;
    if (parse_args(argc, argv, &a) != 0)
        return EXIT_USAGE;
    if (a.help) {
        usage(stdout);
        return EXIT_OK;
    }
    copy_t *c = calloc(1, sizeof *c);
    char sname[1024], dname[1024];
    if (c == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        return EXIT_ERR;
    }
    c->batch = (size_t)a.batch;
    c->src_name = store_uri_redact(a.uri[0], sname, sizeof sname);
    c->dst_name = store_uri_redact(a.uri[1], dname, sizeof dname);
    c->tty = isatty(STDERR_FILENO);
    c->t0 = mono_now();
    c->xb = calloc(c->batch, sizeof *c->xb);
    c->xgen = calloc(c->batch, sizeof *c->xgen);
    c->xout = calloc(c->batch, sizeof *c->xout);
    c->xstored = calloc(c->batch, sizeof *c->xstored);
    c->xcust = calloc(c->batch, sizeof *c->xcust);
    c->eb = calloc(c->batch, sizeof *c->eb);
    c->estr = calloc(c->batch, sizeof *c->estr);
    c->eput = calloc(c->batch, sizeof *c->eput);
    if (!c->xb || !c->xgen || !c->xout || !c->xstored || !c->xcust || !c->eb || !c->estr ||
        !c->eput) {
        fprintf(stderr, PROG ": out of memory for batches of %zu rows\n", c->batch);
        copy_free(c);
        return EXIT_ERR;
    }
    if (open_stores(c, &a) != 0) {
        copy_free(c);
        return EXIT_ERR;
    }
    int ok = copy_all(c) == 0;
    store_reader_end(c->src);
    progress_clear(c);
    print_summary(c, a.json, ok);
    if (!ok) {
        fputs(PROG ": ", stderr);
        lift_safe_fputs(c->err, stderr);
        fputc('\n', stderr);
        if (c->exp_copied || c->xp.inserted || c->ev.inserted)
            fprintf(stderr, PROG ": the batches committed before stay in DST; run the same copy "
                                 "again to finish (it skips what is there)\n");
    }
    int rc = ok && c->xp.conflicts == 0 && c->ev.conflicts == 0 ? EXIT_OK : EXIT_ERR;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, PROG ": cannot write output: %s\n", strerror(errno));
        rc = EXIT_ERR;
    }
    copy_free(c);
    return rc;
}
