/* check_store: the conformance suite of store.h — one set of tests run unchanged against every
 * backend (loop index 0: SQLite in a temporary directory, 1: PostgreSQL on the test run's own
 * server, see pgharness.h). Cases that only one backend can show (two writers at once on
 * PostgreSQL; the single-writer lock of SQLite) say so. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgharness.h"
#include "holdouts.h"
#include "store.h"
#include "testutil.h"

enum { BK_SQLITE, BK_PG, BK_N };

typedef struct {
    int bk;        /* BK_* */
    char dir[256]; /* SQLite: temporary directory */
    char uri[700]; /* the store's URI */
    store_t *s;    /* open writer */
} fx_t;

static void fx_open(fx_t *f, int bk)
{
    memset(f, 0, sizeof *f);
    f->bk = bk;
    if (bk == BK_SQLITE) {
        tu_tempdir(f->dir, sizeof f->dir);
        snprintf(f->uri, sizeof f->uri, "sqlite:%s/data", f->dir);
    } else {
        tu_pg_newdb(f->uri, sizeof f->uri);
    }
    char err[512];
    f->s = store_open(f->uri, err, sizeof err);
    ck_assert_msg(f->s != NULL, "open %s: %s", f->uri, err);
}

static void fx_reopen(fx_t *f)
{
    char err[512];
    store_destroy(&f->s);
    f->s = store_open(f->uri, err, sizeof err);
    ck_assert_msg(f->s != NULL, "reopen %s: %s", f->uri, err);
}

static void fx_close(fx_t *f)
{
    store_destroy(&f->s);
    if (f->dir[0])
        tu_rmtree(f->dir);
}

/* An event: a conversion of amount for customer. */
static store_event_t conv(const char *id, const char *customer, int64_t amount)
{
    return (store_event_t){.event_id = id,
                           .customer_id = customer,
                           .type = 3,
                           .ts_ms = 1700000000000LL,
                           .has_amount = 1,
                           .amount_minor = amount,
                           .nps = -1,
                           .received_ms = 1700000001000LL};
}

static void put(store_t *s, const store_event_t *ev, size_t n, store_put_t *out,
                store_event_key_t *stored)
{
    ck_assert_msg(store_events_put(s, ev, n, out, stored) == 0, "events_put: %s", store_errmsg(s));
}

static int64_t new_experiment(store_t *s, const char *key, int64_t *gen)
{
    int64_t id = 0;
    static const unsigned char def[] = {1, 0, 2, 0xff, 'x'};
    ck_assert_int_eq(store_experiment_insert(s, key, 1, def, sizeof def, 0.5, 1000, &id, gen), 0);
    ck_assert_int_gt(id, 0);
    ck_assert_int_gt(*gen, 0);
    return id;
}

static store_exposure_t expo(int64_t exp, const char *customer, int arm)
{
    return (store_exposure_t){.experiment_id = exp,
                              .customer = customer,
                              .customer_len = strlen(customer),
                              .arm = arm,
                              .trigger = 2,
                              .stage = 3,
                              .channel = 1,
                              .trigger_ms = 5000 + arm,
                              .decided_ms = 6000 + arm};
}

/* ---- events --------------------------------------------------------------------------------- */

START_TEST(events_across_batches)
{
    fx_t f;
    fx_open(&f, _i);
    store_event_t a[2] = {conv("e-1", "c1", 500), conv("e-2", "c2", 700)};
    store_put_t out[3];
    store_event_key_t stored[3];
    tu_store_begin(f.s);
    put(f.s, a, 2, out, stored);
    tu_store_commit(f.s);
    ck_assert_int_eq(out[0], STORE_INSERTED);
    ck_assert_int_eq(out[1], STORE_INSERTED);

    /* again: e-1 the same (a retry), e-2 with another amount (a conflict), e-3 new */
    store_event_t b[3] = {conv("e-1", "c1", 500), conv("e-2", "c2", 701), conv("e-3", "c3", 1)};
    memset(stored, 0, sizeof stored);
    tu_store_begin(f.s);
    put(f.s, b, 3, out, stored);
    tu_store_commit(f.s);
    ck_assert_int_eq(out[0], STORE_DUPLICATE);
    ck_assert_int_eq(out[1], STORE_CONFLICT);
    ck_assert_int_eq(out[2], STORE_INSERTED);
    ck_assert_str_eq(stored[1].event_id, "e-2");
    ck_assert_int_eq(stored[1].digest, store_event_digest(&a[1]));
    ck_assert_int_ne(stored[1].digest, store_event_digest(&b[1]));
    ck_assert_int_eq(stored[1].type, 3);
    ck_assert_int_eq(stored[1].has_amount, 1);
    ck_assert_int_eq(stored[1].amount_minor, 700);
    ck_assert_int_eq(store_event_count(f.s), 3);

    /* the received time is not content: a retry received later is still a duplicate */
    store_event_t c = conv("e-3", "c3", 1);
    c.received_ms += 99999;
    tu_store_begin(f.s);
    put(f.s, &c, 1, out, NULL);
    tu_store_commit(f.s);
    ck_assert_int_eq(out[0], STORE_DUPLICATE);
    fx_close(&f);
}
END_TEST

START_TEST(events_inside_batch)
{
    fx_t f;
    fx_open(&f, _i);
    /* in one call: x, x again, x with other content, y */
    store_event_t ev[4] = {conv("x", "c1", 10), conv("x", "c1", 10), conv("x", "c1", 11),
                           conv("y", "c2", 20)};
    store_put_t out[4];
    store_event_key_t stored[4];
    memset(stored, 0, sizeof stored);
    tu_store_begin(f.s);
    put(f.s, ev, 4, out, stored);
    ck_assert_int_eq(out[0], STORE_INSERTED);
    ck_assert_int_eq(out[1], STORE_DUPLICATE);
    ck_assert_int_eq(out[2], STORE_CONFLICT);
    ck_assert_int_eq(out[3], STORE_INSERTED);
    ck_assert_str_eq(stored[2].event_id, "x");
    ck_assert_int_eq(stored[2].amount_minor, 10); /* the first occurrence is what is stored */
    ck_assert_int_eq(stored[2].digest, store_event_digest(&ev[0]));

    /* a second call in the same transaction sees the first one's events */
    store_event_t again[2] = {conv("y", "c2", 20), conv("y", "c2", 21)};
    put(f.s, again, 2, out, stored);
    ck_assert_int_eq(out[0], STORE_DUPLICATE);
    ck_assert_int_eq(out[1], STORE_CONFLICT);
    ck_assert_int_eq(stored[1].amount_minor, 20);
    tu_store_commit(f.s);
    ck_assert_int_eq(store_event_count(f.s), 2);
    fx_close(&f);
}
END_TEST

/* What a reader finds for one event id. */
typedef struct {
    const char *id;    /* looked for */
    int found;         /* rows with that id */
    store_event_t ev;  /* the last one (strings not kept) */
    int has_plan_from; /* plan_from was non-NULL */
    char plan_to[32];  /* plan_to copied */
    int digest_ok;     /* the row read back has the digest of what was stored (every
                         * field came back byte for byte) */
    uint64_t want;     /* that digest, when known (0: not checked) */
} find_t;

static int find_event(void *arg, const store_event_t *e)
{
    find_t *f = arg;
    if (!strcmp(e->event_id, f->id)) {
        f->found++;
        f->ev = *e;
        f->has_plan_from = e->plan_from != NULL;
        snprintf(f->plan_to, sizeof f->plan_to, "%s", e->plan_to ? e->plan_to : "(null)");
        f->digest_ok = !f->want || store_event_digest(e) == f->want;
    }
    return 0;
}

/* Batches large enough for a backend's bulk path (PostgreSQL: COPY), all new, then mixed with
 * stored ids (retries and conflicts) and repeats inside the batch; text that needs escaping. */
START_TEST(events_large_batches)
{
    fx_t f;
    fx_open(&f, _i);
    enum { N = 100 };
    static char ids[2 * N][24];
    store_event_t a[N], b[N + 10];
    store_put_t out[N + 10];
    store_event_key_t stored[N + 10];
    const char *odd = "tab\there\\back\nnl\r \"q\"";
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "big-%d", i);
        a[i] = conv(ids[i], i == 7 ? odd : "c", i);
    }
    a[3].plan_from = odd;
    tu_store_begin(f.s);
    put(f.s, a, N, out, stored);
    tu_store_commit(f.s);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(out[i], STORE_INSERTED);
    /* 25 retries, 25 conflicts, 50 new, then 10 repeats of new ones */
    for (int i = 0; i < N; i++) {
        if (i < 50) {
            b[i] = a[i];
            if (i >= 25)
                b[i].amount_minor += 1000;
        } else {
            snprintf(ids[N + i], sizeof ids[N + i], "big-new-%d", i);
            b[i] = conv(ids[N + i], "d", i);
        }
    }
    for (int i = 0; i < 10; i++)
        b[N + i] = b[50 + i];
    b[N + 9].amount_minor = 1; /* a repeat with other content */
    memset(stored, 0, sizeof stored);
    tu_store_begin(f.s);
    put(f.s, b, N + 10, out, stored);
    tu_store_commit(f.s);
    for (int i = 0; i < N + 10; i++) {
        store_put_t want = i < 25      ? STORE_DUPLICATE
                           : i < 50    ? STORE_CONFLICT
                           : i < N     ? STORE_INSERTED
                           : i < N + 9 ? STORE_DUPLICATE
                                       : STORE_CONFLICT;
        ck_assert_msg(out[i] == want, "event %d: %d, expected %d", i, out[i], want);
    }
    ck_assert_int_eq(stored[30].amount_minor, 30);
    ck_assert_int_eq(stored[N + 9].amount_minor, 59);
    ck_assert_int_eq(store_event_count(f.s), N + 50);
    char err[512];
    store_reader_t *r = store_reader_open(f.uri, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    find_t fd = {.id = "big-7", .want = store_event_digest(&a[7])};
    find_t fp = {.id = "big-3", .want = store_event_digest(&a[3])};
    ck_assert_int_eq(store_reader_all_events(r, find_event, &fd), 0);
    ck_assert_int_eq(store_reader_all_events(r, find_event, &fp), 0);
    ck_assert_int_eq(fd.found, 1);
    ck_assert_int_eq(fd.digest_ok, 1);
    ck_assert_int_eq(fp.digest_ok, 1);
    ck_assert_int_eq(fp.has_plan_from, 1);
    store_reader_destroy(&r);
    fx_close(&f);
}
END_TEST

START_TEST(events_first_occurrence_wins)
{
    fx_t f;
    fx_open(&f, _i);
    store_event_t ev[2] = {conv("w", "c1", 1), conv("w", "c1", 2)};
    store_put_t out[2];
    tu_store_begin(f.s);
    put(f.s, ev, 2, out, NULL); /* stored may be NULL */
    tu_store_commit(f.s);
    ck_assert_int_eq(out[0], STORE_INSERTED);
    ck_assert_int_eq(out[1], STORE_CONFLICT);
    char err[512];
    store_reader_t *r = store_reader_open(f.uri, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    find_t fd = {.id = "w"};
    ck_assert_int_eq(store_reader_all_events(r, find_event, &fd), 0);
    ck_assert_int_eq(fd.found, 1);
    ck_assert_int_eq(fd.ev.amount_minor, 1);
    store_reader_destroy(&r);
    fx_close(&f);
}
END_TEST

START_TEST(events_all_columns)
{
    fx_t f;
    fx_open(&f, _i);
    int64_t gen;
    int64_t exp = new_experiment(f.s, "cols", &gen);
    store_event_t ev[3] = {
        {.event_id = "imp",
         .customer_id = "c\"1\\",
         .type = 1,
         .ts_ms = 11,
         .experiment_id = exp,
         .arm = 2,
         .nps = -1,
         .received_ms = 12},
        {.event_id = "nps",
         .customer_id = "c2",
         .type = 6,
         .ts_ms = 21,
         .nps = 0,
         .received_ms = 22},
        {.event_id = "up",
         .customer_id = "c3",
         .type = 3,
         .ts_ms = 31,
         .has_amount = 1,
         .amount_minor = -5,
         .plan_from = "basic",
         .plan_to = "pro",
         .nps = -1,
         .received_ms = 32},
    };
    store_put_t out[3];
    tu_store_begin(f.s);
    put(f.s, ev, 3, out, NULL);
    tu_store_commit(f.s);
    char err[512];
    store_reader_t *r = store_reader_open(f.uri, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    find_t a = {.id = "imp"}, b = {.id = "nps"}, c = {.id = "up"};
    ck_assert_int_eq(store_reader_all_events(r, find_event, &a), 0);
    ck_assert_int_eq(store_reader_all_events(r, find_event, &b), 0);
    ck_assert_int_eq(store_reader_all_events(r, find_event, &c), 0);
    ck_assert_int_eq(a.found, 1);
    ck_assert_int_eq(a.ev.type, 1);
    ck_assert_int_eq(a.ev.ts_ms, 11);
    ck_assert_int_eq(a.ev.experiment_id, exp);
    ck_assert_int_eq(a.ev.arm, 2);
    ck_assert_int_eq(a.ev.has_amount, 0);
    ck_assert_int_eq(a.ev.nps, -1);
    ck_assert_int_eq(a.ev.received_ms, 12);
    ck_assert_int_eq(a.has_plan_from, 0);
    ck_assert_int_eq(b.ev.nps, 0);
    ck_assert_int_eq(b.ev.experiment_id, 0);
    ck_assert_int_eq(c.ev.amount_minor, -5);
    ck_assert_int_eq(c.ev.has_amount, 1);
    ck_assert_int_eq(c.has_plan_from, 1);
    ck_assert_str_eq(c.plan_to, "pro");
    /* the same content read back has the same digest: a resend of what was read is a
     * duplicate (the digest covers every stored field) */
    ck_assert_int_eq(store_reader_event_count(r), 3);
    store_reader_destroy(&r);
    fx_close(&f);
}
END_TEST

/* ---- transactions ---------------------------------------------------------------------------- */

START_TEST(request_undo_alone)
{
    fx_t f;
    fx_open(&f, _i);
    store_put_t out[1];
    store_event_t r1 = conv("r1", "c", 1), r2 = conv("r2", "c", 2), r3 = conv("r3", "c", 3);
    int64_t id, gen;
    tu_store_begin(f.s);
    store_request_begin(f.s);
    put(f.s, &r1, 1, out, NULL);
    ck_assert_int_eq(store_request_end(f.s, 1), 0);
    store_request_begin(f.s);
    put(f.s, &r2, 1, out, NULL);
    ck_assert_int_eq(store_experiment_insert(f.s, "undone", 1, "d", 1, 1.0, 5, &id, &gen), 0);
    ck_assert_int_eq(store_meta_set(f.s, "currency", "EUR"), 0);
    ck_assert_int_eq(store_request_end(f.s, 0), 0);
    store_request_begin(f.s);
    put(f.s, &r3, 1, out, NULL);
    ck_assert_int_eq(store_request_end(f.s, 1), 0);
    store_request_begin(f.s); /* a request that writes nothing */
    ck_assert_int_eq(store_request_end(f.s, 0), 0);
    tu_store_commit(f.s);
    ck_assert_int_eq(store_event_count(f.s), 2);
    ck_assert_int_eq(store_generation(f.s), 0);
    char buf[16];
    ck_assert_int_eq(store_meta_get(f.s, "currency", buf, sizeof buf), 0);
    tu_store_begin(f.s); /* r2 is not stored: it inserts now */
    put(f.s, &r2, 1, out, NULL);
    ck_assert_int_eq(out[0], STORE_INSERTED);
    put(f.s, &r1, 1, out, NULL);
    ck_assert_int_eq(out[0], STORE_DUPLICATE);
    tu_store_commit(f.s);
    fx_close(&f);
}
END_TEST

START_TEST(rollback_stores_nothing)
{
    fx_t f;
    fx_open(&f, _i);
    store_event_t e = conv("rb", "c", 1);
    store_put_t out[1];
    int64_t id, gen;
    tu_store_begin(f.s);
    put(f.s, &e, 1, out, NULL);
    ck_assert_int_eq(store_experiment_insert(f.s, "gone", 1, "d", 1, 1.0, 5, &id, &gen), 0);
    ck_assert_int_eq(store_meta_set(f.s, "k", "v"), 0);
    store_rollback(f.s);
    ck_assert_int_eq(store_event_count(f.s), 0);
    ck_assert_int_eq(store_generation(f.s), 0);
    char buf[8];
    ck_assert_int_eq(store_meta_get(f.s, "k", buf, sizeof buf), 0);
    /* the key is free again */
    tu_store_begin(f.s);
    ck_assert_int_eq(store_experiment_insert(f.s, "gone", 1, "d", 1, 1.0, 5, &id, &gen), 0);
    tu_store_commit(f.s);
    fx_close(&f);
}
END_TEST

typedef struct {
    int n;                   /* experiments seen */
    int64_t ids[8];          /* their ids in order */
    int64_t gens[8];         /* their generations */
    char keys[8][16];        /* their keys */
    size_t def_len[8];       /* their definitions' lengths */
    unsigned char def[8][8]; /* their first definition bytes */
    double coverage[8];      /* their coverage */
    int status[8];           /* their status */
    int64_t started[8];      /* their first start */
} exps_t;

static int collect_exp(void *arg, const store_experiment_t *e)
{
    exps_t *x = arg;
    if (x->n < 8) {
        x->ids[x->n] = e->id;
        x->gens[x->n] = e->generation;
        snprintf(x->keys[x->n], sizeof x->keys[0], "%s", e->key);
        x->def_len[x->n] = e->def_len;
        memcpy(x->def[x->n], e->def, e->def_len < 8 ? e->def_len : 8);
        x->coverage[x->n] = e->coverage;
        x->status[x->n] = e->status;
        x->started[x->n] = e->started_ms;
    }
    x->n++;
    return 0;
}

START_TEST(commit_is_durable)
{
    fx_t f;
    fx_open(&f, _i);
    store_event_t e = conv("dur", "c", 77);
    store_put_t out[1];
    int64_t gen;
    tu_store_begin(f.s);
    int64_t id = new_experiment(f.s, "durable", &gen);
    put(f.s, &e, 1, out, NULL);
    ck_assert_int_eq(store_meta_set(f.s, "currency", "JPY"), 0);
    store_exposure_t x = expo(id, "cust", 1);
    store_exposure_t st;
    ck_assert_int_eq(store_exposure_record(f.s, &x, gen, &st), STORE_FIRST);
    tu_store_commit(f.s);
    fx_reopen(&f);
    ck_assert_int_eq(store_event_count(f.s), 1);
    char buf[16];
    ck_assert_int_eq(store_meta_get(f.s, "currency", buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "JPY");
    exps_t xs = {0};
    ck_assert_int_eq(store_experiment_each(f.s, 0, collect_exp, &xs), 0);
    ck_assert_int_eq(xs.n, 1);
    ck_assert_str_eq(xs.keys[0], "durable");
    ck_assert_uint_eq(xs.def_len[0], 5); /* opaque bytes, a NUL inside */
    ck_assert_int_eq(xs.def[0][3], 0xff);
    ck_assert_int_eq(xs.def[0][1], 0);
    ck_assert(xs.coverage[0] == 0.5);
    ck_assert_int_eq(store_exposure_get(f.s, id, "cust", 4, &st), 1);
    ck_assert_int_eq(st.arm, 1);
    ck_assert_int_gt(store_schema_version(f.s), 0);
    char err[256];
    ck_assert_msg(store_integrity_check(f.s, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(store_backend(f.s), _i == BK_SQLITE ? "sqlite" : "postgresql");
    ck_assert_int_eq(store_shared(f.s), _i == BK_PG);
    fx_close(&f);
}
END_TEST

START_TEST(meta_settings)
{
    fx_t f;
    fx_open(&f, _i);
    char buf[32] = "untouched";
    ck_assert_int_eq(store_meta_get(f.s, "currency", buf, sizeof buf), 0);
    ck_assert_int_eq(store_meta_set(f.s, "currency", "USD"), 0); /* outside a transaction */
    ck_assert_int_eq(store_meta_get(f.s, "currency", buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "USD");
    tu_store_begin(f.s);
    ck_assert_int_eq(store_meta_set(f.s, "currency", "EUR"), 0);
    tu_store_commit(f.s);
    ck_assert_int_eq(store_meta_get(f.s, "currency", buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "EUR");
    fx_close(&f);
}
END_TEST

/* ---- experiments and generations ------------------------------------------------------------ */

START_TEST(experiments_generations)
{
    fx_t f;
    fx_open(&f, _i);
    ck_assert_int_eq(store_generation(f.s), 0);
    int64_t ga, gb, gc, gx, id;
    tu_store_begin(f.s);
    int64_t a = new_experiment(f.s, "a", &ga);
    int64_t b = new_experiment(f.s, "b", &gb);
    tu_store_commit(f.s);
    ck_assert_int_gt(gb, ga);
    ck_assert_int_gt(b, a);
    ck_assert_int_eq(store_generation(f.s), gb);
    tu_store_begin(f.s); /* the key is taken: 1, nothing changes */
    ck_assert_int_eq(store_experiment_insert(f.s, "a", 1, "z", 1, 1.0, 9, &id, &gx), 1);
    tu_store_commit(f.s);
    ck_assert_int_eq(store_generation(f.s), gb);

    tu_store_begin(f.s);
    ck_assert_int_eq(store_experiment_update(f.s, a, ga, 2, 0.75, 4242, 5000, &gc), 0);
    tu_store_commit(f.s);
    ck_assert_int_gt(gc, gb);
    ck_assert_int_eq(store_generation(f.s), gc);
    tu_store_begin(f.s); /* somebody changed it since ga: 1 */
    ck_assert_int_eq(store_experiment_update(f.s, a, ga, 3, 0.9, 4242, 6000, &gx), 1);
    tu_store_commit(f.s);

    exps_t since = {0};
    ck_assert_int_eq(store_experiment_each(f.s, gb, collect_exp, &since), 0);
    ck_assert_int_eq(since.n, 1); /* only what changed after gb */
    ck_assert_int_eq(since.ids[0], a);
    ck_assert_int_eq(since.gens[0], gc);
    ck_assert_int_eq(since.status[0], 2);
    ck_assert(since.coverage[0] == 0.75);
    ck_assert_int_eq(since.started[0], 4242);
    exps_t all = {0};
    ck_assert_int_eq(store_experiment_each(f.s, 0, collect_exp, &all), 0);
    ck_assert_int_eq(all.n, 2);
    ck_assert_int_eq(all.ids[0], a); /* id order */
    ck_assert_int_eq(all.ids[1], b);
    exps_t none = {0};
    ck_assert_int_eq(store_experiment_each(f.s, gc, collect_exp, &none), 0);
    ck_assert_int_eq(none.n, 0);
    fx_close(&f);
}
END_TEST

/* ---- exposures ------------------------------------------------------------------------------ */

/* Program holdouts through the store contract (holdout.h): a holdout is an experiment row under
 * "holdout:KEY" beside an experiment of the same key; a second cache learns its creation and
 * start by generation; its exposures are first-or-existing; a stop through one cache makes the
 * other's gate stale (decide again), never a record. */
static int load_holdouts(void *arg, const store_experiment_t *row)
{
    return holdouts_row_is(row) ? holdouts_load_row(arg, row) : 0;
}

START_TEST(holdout_rows)
{
    fx_t f;
    fx_open(&f, _i);
    int64_t gen;
    holdouts_t *a = holdouts_new(), *b = holdouts_new();
    tu_store_begin(f.s);
    new_experiment(f.s, "prog", &gen); /* an experiment with the holdout's key */
    Lift__Holdout h = LIFT__HOLDOUT__INIT;
    char *keys[] = {"prog"};
    h.key = "prog";
    h.has_percent = 1;
    h.percent = 50;
    h.has_link = 1;
    h.link = LIFT__HOLDOUT_LINK__LINK_EXPLICIT;
    h.n_experiment_keys = 1;
    h.experiment_keys = keys;
    const holdouts_entry_t *e = NULL;
    int created = 0;
    status_t st;
    ck_assert_msg(holdouts_create(a, f.s, &h, 1000, &e, &created, &st) == 0, "%s", st.message);
    ck_assert(created);
    tu_store_commit(f.s);
    ck_assert_int_eq(store_experiment_each(f.s, 0, load_holdouts, b), 0);
    ck_assert_int_eq(holdouts_count(b), 1);
    ck_assert_str_eq(holdouts_at(b, 0)->def->seed, "prog"); /* the default seed, stored */
    int64_t seen = store_generation(f.s);
    tu_store_begin(f.s);
    ck_assert_int_eq(holdouts_change(a, f.s, "prog", LIFT__ACTION__ACTION_START, 2000, &e, &st), 0);
    tu_store_commit(f.s);
    ck_assert_int_gt(store_generation(f.s), seen);
    ck_assert_int_eq(store_experiment_each(f.s, seen, load_holdouts, b), 0);
    ck_assert_int_eq(holdouts_at(b, 0)->def->status, LIFT__EXPERIMENT_STATUS__STATUS_RUNNING);
    Lift__Context ctx = LIFT__CONTEXT__INIT;
    ctx.trigger = LIFT__TRIGGER__TRIGGER_TEAM_GROWTH;
    ctx.stage = LIFT__STAGE__STAGE_GROWTH;
    ctx.channel = LIFT__CHANNEL__CHANNEL_CSM;
    int first = 0, recorded = 0, nmember = 0;
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "m-%d", i);
        int g = holdout_group(holdouts_at(a, 0)->def, id, strlen(id));
        tu_store_begin(f.s);
        recorded = 0;
        int rc = holdouts_gate(a, f.s, "prog", 1500, id, strlen(id), &ctx, 3000, NULL, NULL, NULL,
                               &recorded, &st);
        tu_store_commit(f.s);
        ck_assert_int_eq(rc, g == HOLDOUT_GROUP_HELD_OUT ? 2 : 0);
        ck_assert_int_eq(recorded, 1); /* 50%: every customer is in one of the two groups */
        first += recorded;
        /* through the other cache: existing, nothing new */
        tu_store_begin(f.s);
        recorded = 0;
        ck_assert_int_eq(holdouts_gate(b, f.s, "prog", 1500, id, strlen(id), &ctx, 3000, NULL, NULL,
                                       NULL, &recorded, &st),
                         rc);
        tu_store_commit(f.s);
        ck_assert_int_eq(recorded, 0);
        nmember += g == HOLDOUT_GROUP_HELD_OUT;
    }
    int64_t counts[2];
    ck_assert_int_eq(store_exposure_counts(f.s, holdouts_at(a, 0)->id, 2, counts), 0);
    ck_assert_int_eq(counts[0], nmember);
    ck_assert_int_eq(counts[0] + counts[1], first);
    ck_assert_int_gt(nmember, 5);
    /* stopped through a: b's gate, at the old generation, records nothing and says "stale" */
    tu_store_begin(f.s);
    ck_assert_int_eq(holdouts_change(a, f.s, "prog", LIFT__ACTION__ACTION_STOP, 4000, &e, &st), 0);
    tu_store_commit(f.s);
    tu_store_begin(f.s);
    recorded = 0;
    ck_assert_int_eq(holdouts_gate(b, f.s, "prog", 1500, "new-1", 5, &ctx, 5000, NULL, NULL, NULL,
                                   &recorded, &st),
                     1);
    store_rollback(f.s);
    ck_assert_int_eq(store_exposure_count(f.s, holdouts_at(a, 0)->id), first);
    holdouts_destroy(&a);
    holdouts_destroy(&b);
    fx_close(&f);
}
END_TEST

START_TEST(exposures_first_existing_stale)
{
    fx_t f;
    fx_open(&f, _i);
    int64_t gen, gen2;
    tu_store_begin(f.s);
    int64_t id = new_experiment(f.s, "ex", &gen);
    tu_store_commit(f.s);
    store_exposure_t st, e1 = expo(id, "alice", 1), e2 = expo(id, "alice", 0);
    tu_store_begin(f.s);
    ck_assert_int_eq(store_exposure_record(f.s, &e1, gen, &st), STORE_FIRST);
    tu_store_commit(f.s);
    memset(&st, 0, sizeof st);
    tu_store_begin(f.s); /* again, deciding another arm: the stored one wins */
    ck_assert_int_eq(store_exposure_record(f.s, &e2, gen, &st), STORE_EXISTING);
    tu_store_commit(f.s);
    ck_assert_int_eq(st.arm, 1);
    ck_assert_int_eq(st.trigger, 2);
    ck_assert_int_eq(st.stage, 3);
    ck_assert_int_eq(st.channel, 1);
    ck_assert_int_eq(st.trigger_ms, 5001);
    ck_assert_int_eq(st.decided_ms, 6001);
    ck_assert_uint_eq(st.customer_len, 5);
    ck_assert(memcmp(st.customer, "alice", 5) == 0);
    ck_assert_int_eq(st.experiment_id, id);

    /* a customer id that is not NUL-terminated where its length ends */
    const char raw[] = "bobXXX";
    store_exposure_t e3 = expo(id, "bob", 0);
    e3.customer = raw;
    e3.customer_len = 3;
    tu_store_begin(f.s);
    ck_assert_int_eq(store_exposure_record(f.s, &e3, gen, &st), STORE_FIRST);
    /* inside the same transaction, the exposure is there */
    ck_assert_int_eq(store_exposure_get(f.s, id, "bob", 3, &st), 1);
    ck_assert_int_eq(store_exposure_get(f.s, id, "bobX", 4, &st), 0);
    tu_store_commit(f.s);

    int64_t counts[3];
    ck_assert_int_eq(store_exposure_count(f.s, id), 2);
    ck_assert_int_eq(store_exposure_counts(f.s, id, 3, counts), 0);
    ck_assert_int_eq(counts[0], 1);
    ck_assert_int_eq(counts[1], 1);
    ck_assert_int_eq(counts[2], 0);

    /* the experiment changes (paused): a decision against the old generation is stale */
    tu_store_begin(f.s);
    ck_assert_int_eq(store_experiment_update(f.s, id, gen, 3, 0.5, 0, 7000, &gen2), 0);
    tu_store_commit(f.s);
    store_exposure_t e4 = expo(id, "carol", 1);
    tu_store_begin(f.s);
    ck_assert_int_eq(store_exposure_record(f.s, &e4, gen, &st), STORE_STALE);
    tu_store_commit(f.s);
    ck_assert_int_eq(store_exposure_get(f.s, id, "carol", 5, &st), 0);
    tu_store_begin(f.s);
    ck_assert_int_eq(store_exposure_record(f.s, &e4, gen2, &st), STORE_FIRST);
    tu_store_commit(f.s);
    ck_assert_int_eq(store_exposure_count(f.s, id), 3);
    fx_close(&f);
}
END_TEST

/* The batch form: first, existing (stored before, or earlier in the batch), stale, several
 * experiments in one batch, customer ids an array literal must quote, raw bytes. */
START_TEST(exposures_batch)
{
    fx_t f;
    fx_open(&f, _i);
    int64_t ga, gb, gb2;
    tu_store_begin(f.s);
    int64_t a = new_experiment(f.s, "batch-a", &ga);
    int64_t b = new_experiment(f.s, "batch-b", &gb);
    tu_store_commit(f.s);
    store_exposure_t st1, pre = expo(a, "alice", 1);
    tu_store_begin(f.s);
    ck_assert_int_eq(store_exposure_record(f.s, &pre, ga, &st1), STORE_FIRST);
    tu_store_commit(f.s);
    tu_store_begin(f.s); /* b changes: a row decided at gb is stale, at gb2 it is recorded */
    ck_assert_int_eq(store_experiment_update(f.s, b, gb, 3, 0.5, 0, 7000, &gb2), 0);
    tu_store_commit(f.s);

    static const char quoted[] = "q\"u\\o,te {x} NULL";
    const char raw[] = "carolXXX";
    store_exposure_t x[8] = {
        expo(a, "alice", 0), /* 0: stored before with arm 1: existing */
        expo(a, "bob", 0),   /* 1: first */
        expo(b, "bob", 2),   /* 2: another experiment: first */
        expo(a, "bob", 1),   /* 3: bob again in a: existing, the batch's first arm (0) */
        expo(a, quoted, 1),  /* 4: first */
        expo(a, "carol", 2), /* 5: raw bytes, not NUL-terminated: first */
        expo(b, "dave", 1),  /* 6: at b's old generation: stale */
        expo(a, "", 1),      /* 7: the empty customer id: first */
    };
    x[5].customer = raw;
    x[5].customer_len = 5;
    int64_t gens[8] = {ga, ga, gb2, ga, ga, ga, gb, ga};
    store_record_t out[8];
    store_exposure_t st[8];
    memset(st, 0, sizeof st);
    tu_store_begin(f.s);
    ck_assert_msg(store_exposures_put(f.s, x, gens, 8, out, st) == 0, "%s", store_errmsg(f.s));
    tu_store_commit(f.s);
    static const store_record_t want[8] = {STORE_EXISTING, STORE_FIRST, STORE_FIRST, STORE_EXISTING,
                                           STORE_FIRST,    STORE_FIRST, STORE_STALE, STORE_FIRST};
    for (int i = 0; i < 8; i++)
        ck_assert_msg(out[i] == want[i], "row %d: %d, expected %d", i, out[i], want[i]);
    ck_assert_int_eq(st[0].arm, 1); /* alice's stored arm and context */
    ck_assert_int_eq(st[0].trigger_ms, 5001);
    ck_assert_int_eq(st[0].decided_ms, 6001);
    ck_assert_int_eq(st[0].experiment_id, a);
    ck_assert_ptr_eq(st[0].customer, x[0].customer);
    ck_assert_int_eq(st[3].arm, 0); /* the first occurrence in the batch won */
    ck_assert_int_eq(st[3].decided_ms, 6000);
    ck_assert_int_eq(store_exposure_count(f.s, a), 5); /* alice, bob, quoted, carol, "" */
    ck_assert_int_eq(store_exposure_count(f.s, b), 1);
    store_exposure_t g;
    ck_assert_int_eq(store_exposure_get(f.s, a, quoted, strlen(quoted), &g), 1);
    ck_assert_int_eq(g.arm, 1);
    ck_assert_int_eq(store_exposure_get(f.s, a, "carol", 5, &g), 1);
    ck_assert_int_eq(g.arm, 2);
    ck_assert_int_eq(store_exposure_get(f.s, a, "", 0, &g), 1);
    ck_assert_int_eq(store_exposure_get(f.s, b, "bob", 3, &g), 1);
    ck_assert_int_eq(g.arm, 2);
    ck_assert_int_eq(store_exposure_get(f.s, b, "dave", 4, &g), 0); /* stale: not stored */

    /* The same batch again (stored NULL): all existing but the stale row. */
    tu_store_begin(f.s);
    ck_assert_int_eq(store_exposures_put(f.s, x, gens, 8, out, NULL), 0);
    tu_store_commit(f.s);
    for (int i = 0; i < 8; i++)
        ck_assert_msg(out[i] == (i == 6 ? STORE_STALE : STORE_EXISTING), "rerun row %d: %d", i,
                      out[i]);

    /* Many rows, then a rollback: nothing of a rolled-back batch stays. */
    enum { M = 3000 };
    store_exposure_t *many = calloc(M, sizeof *many);
    int64_t *mg = calloc(M, sizeof *mg);
    store_record_t *mo = calloc(M, sizeof *mo);
    store_exposure_t *ms = calloc(M, sizeof *ms);
    char(*names)[16] = calloc(M, 16);
    ck_assert(many && mg && mo && ms && names);
    for (int i = 0; i < M; i++) {
        snprintf(names[i], 16, "m-%05d", (i * 7919) % M);
        many[i] = expo(a, names[i], i % 3);
        mg[i] = ga;
    }
    tu_store_begin(f.s);
    ck_assert_int_eq(store_exposures_put(f.s, many, mg, M, mo, ms), 0);
    store_rollback(f.s);
    ck_assert_int_eq(store_exposure_count(f.s, a), 5);
    tu_store_begin(f.s);
    ck_assert_int_eq(store_exposures_put(f.s, many, mg, M, mo, ms), 0);
    tu_store_commit(f.s);
    for (int i = 0; i < M; i++)
        ck_assert_int_eq(mo[i], STORE_FIRST);
    ck_assert_int_eq(store_exposure_count(f.s, a), 5 + M);
    for (int i = 0; i < M; i++)
        many[i].arm = (i + 1) % 3; /* decided otherwise now: the stored arms stand */
    tu_store_begin(f.s);
    ck_assert_int_eq(store_exposures_put(f.s, many, mg, M, mo, ms), 0);
    tu_store_commit(f.s);
    for (int i = 0; i < M; i++) {
        ck_assert_int_eq(mo[i], STORE_EXISTING);
        ck_assert_int_eq(ms[i].arm, i % 3);
        ck_assert_uint_eq(ms[i].customer_len, strlen(names[i]));
    }
    ck_assert_int_eq(store_exposure_count(f.s, a), 5 + M);
    ck_assert_int_eq(store_exposures_put(f.s, many, mg, 0, mo, ms), 0); /* nothing: fine */
    free(many);
    free(mg);
    free(mo);
    free(ms);
    free(names);
    fx_close(&f);
}
END_TEST

/* Settings through a reader: as of its snapshot. */
START_TEST(reader_meta)
{
    fx_t f;
    fx_open(&f, _i);
    char err[512], buf[32] = "untouched";
    ck_assert_int_eq(store_meta_set(f.s, "currency", "JPY"), 0);
    store_reader_t *r = store_reader_open(f.uri, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert_int_eq(store_reader_meta_get(r, "nothing-here", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "untouched");
    ck_assert_int_eq(store_reader_begin(r, err, sizeof err), 0);
    ck_assert_int_eq(store_reader_meta_get(r, "currency", buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "JPY");
    ck_assert_int_eq(store_meta_set(f.s, "currency", "KWD"), 0); /* committed meanwhile */
    ck_assert_int_eq(store_reader_meta_get(r, "currency", buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "JPY"); /* the snapshot's value */
    store_reader_end(r);
    ck_assert_int_eq(store_reader_meta_get(r, "currency", buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "KWD");
    char small[3];
    ck_assert_int_eq(store_reader_meta_get(r, "currency", small, sizeof small), 1);
    ck_assert_str_eq(small, "KW"); /* cut to the buffer, NUL-terminated */
    store_reader_destroy(&r);
    fx_close(&f);
}
END_TEST

/* A scan large enough to be split into two streams on PostgreSQL (two halves of the table on
 * two connections sharing the reader's snapshot): every event exactly once, nothing committed
 * after the snapshot, a callback's stop value returned with the reader still usable. */
typedef struct {
    unsigned char *seen; /* per event number: times seen */
    long n;              /* rows */
    long dup;            /* rows seen twice */
    long stop_at;        /* > 0: return 7 at this row */
} split_seen_t;

static int split_row_cb(void *arg, const store_event_row_t *e)
{
    split_seen_t *s = arg;
    long k = e->amount_minor - 1; /* amount = event number + 1 */
    if (k >= 0 && k < 300000) {
        s->dup += s->seen[k] != 0;
        s->seen[k] = 1;
    }
    s->n++;
    return s->stop_at > 0 && s->n == s->stop_at ? 7 : 0;
}

START_TEST(reader_split_scan)
{
    fx_t f;
    fx_open(&f, BK_PG);
    enum { N = 220000, B = 10000, MORE = 1000 };
    store_event_t *ev = calloc(B, sizeof *ev);
    store_put_t *out = calloc(B, sizeof *out);
    char(*ids)[24] = calloc(B, 24), (*cust)[24] = calloc(B, 24);
    ck_assert(ev && out && ids && cust);
    for (long k = 0; k < N + MORE; k += B) {
        if (k == N) /* the rest after the snapshot below */
            break;
        for (long i = 0; i < B; i++) {
            snprintf(ids[i], 24, "split-%08ld", k + i);
            snprintf(cust[i], 24, "cust-%06ld", (k + i) % 5000);
            ev[i] = conv(ids[i], cust[i], k + i + 1);
            ev[i].plan_from = "starter-monthly";
            ev[i].plan_to = "professional-annual";
        }
        tu_store_begin(f.s);
        put(f.s, ev, B, out, NULL);
        tu_store_commit(f.s);
    }
    ck_assert_int_ge(tu_pg_scalar(f.uri, "SELECT pg_relation_size('events') / 8192"), 2048);
    char err[512];
    store_reader_t *r = store_reader_open(f.uri, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert_int_eq(store_reader_begin(r, err, sizeof err), 0);
    for (long i = 0; i < MORE; i++) { /* committed after the snapshot: not seen */
        snprintf(ids[i], 24, "split-%08ld", N + i);
        ev[i] = conv(ids[i], "late", N + i + 1);
    }
    tu_store_begin(f.s);
    put(f.s, ev, MORE, out, NULL);
    tu_store_commit(f.s);
    split_seen_t s = {calloc(300000, 1), 0, 0, 0};
    ck_assert_ptr_nonnull(s.seen);
    ck_assert_int_eq(store_reader_events(r, 0, INT64_MAX, split_row_cb, &s), 0);
    ck_assert_int_eq(s.n, N);
    ck_assert_int_eq(s.dup, 0);
    for (long k = 0; k < N; k++)
        ck_assert_msg(s.seen[k] == 1, "event %ld not seen", k);
    /* the scan was split: the reader holds a second connection now */
    ck_assert_int_eq(tu_pg_scalar(f.uri, "SELECT count(*) FROM pg_stat_activity WHERE "
                                         "application_name = 'liftd-report' AND datname = "
                                         "current_database()"),
                     2);
    /* stopped by the callback: its value, and the reader goes on in the same snapshot */
    split_seen_t stop = {calloc(300000, 1), 0, 0, 1000};
    ck_assert_int_eq(store_reader_events(r, 0, INT64_MAX, split_row_cb, &stop), 7);
    ck_assert_int_eq(stop.n, 1000);
    memset(s.seen, 0, 300000);
    s.n = s.dup = 0;
    ck_assert_int_eq(store_reader_events(r, 0, INT64_MAX, split_row_cb, &s), 0);
    ck_assert_int_eq(s.n, N);
    ck_assert_int_eq(store_reader_event_count(r), N);
    store_reader_end(r);
    ck_assert_int_eq(store_reader_begin(r, err, sizeof err), 0); /* a new snapshot: all */
    memset(s.seen, 0, 300000);
    s.n = s.dup = 0;
    ck_assert_int_eq(store_reader_events(r, 0, INT64_MAX, split_row_cb, &s), 0);
    ck_assert_int_eq(s.n, N + MORE);
    ck_assert_int_eq(s.dup, 0);
    store_reader_end(r);
    store_reader_destroy(&r);
    free(s.seen);
    free(stop.seen);
    free(ev);
    free(out);
    free(ids);
    free(cust);
    fx_close(&f);
}
END_TEST

/* ---- concurrency: two writers (PostgreSQL) / one writer (SQLite) ------------------------------ */

typedef struct {
    const char *uri;     /* store */
    int64_t exp, gen;    /* experiment and generation to record against */
    int arm;             /* arm this writer decided */
    int hold_ms;         /* keep the transaction open this long after recording */
    int rc;              /* store_exposure_record's result */
    store_exposure_t st; /* stored exposure when EXISTING */
    pthread_mutex_t *mu; /* signals that the record ran */
    pthread_cond_t *cv;  /* with mu */
    int *recorded;       /* set under mu */
    char err[256];       /* failure */
} writer_t;

static void *writer_main(void *arg)
{
    writer_t *w = arg;
    store_t *s = store_open(w->uri, w->err, sizeof w->err);
    w->rc = -2;
    if (!s)
        return NULL;
    if (store_begin(s, w->err, sizeof w->err) == 0) {
        store_exposure_t e = expo(w->exp, "race", w->arm);
        w->rc = store_exposure_record(s, &e, w->gen, &w->st);
        if (w->rc < 0)
            snprintf(w->err, sizeof w->err, "%s", store_errmsg(s));
        pthread_mutex_lock(w->mu);
        *w->recorded = 1;
        pthread_cond_signal(w->cv);
        pthread_mutex_unlock(w->mu);
        usleep((useconds_t)w->hold_ms * 1000);
        if (store_commit(s, w->err, sizeof w->err) < 0)
            w->rc = -3;
    }
    store_destroy(&s);
    return NULL;
}

typedef struct {
    const char *uri;  /* store */
    int64_t exp, gen; /* experiment and generation */
    int arm;          /* arm this writer decided for everyone */
    int reverse;      /* send the customers in reverse order */
    int rc;           /* store_exposures_put's result (-2: not run, -3: commit failed) */
    int firsts;       /* STORE_FIRST rows */
    int arms[300];    /* the arm each customer ended with (by customer number) */
    char err[256];    /* failure */
} batcher_t;

static void *batcher_main(void *arg)
{
    batcher_t *w = arg;
    enum { K = 300 };
    char names[K][16];
    store_exposure_t x[K], st[K];
    int64_t g[K];
    store_record_t out[K];
    w->rc = -2;
    store_t *s = store_open(w->uri, w->err, sizeof w->err);
    if (!s)
        return NULL;
    for (int i = 0; i < K; i++) {
        int c = w->reverse ? K - 1 - i : i;
        snprintf(names[i], sizeof names[i], "bc-%03d", c);
        x[i] = expo(w->exp, names[i], w->arm);
        g[i] = w->gen;
    }
    if (store_begin(s, w->err, sizeof w->err) == 0) {
        w->rc = store_exposures_put(s, x, g, K, out, st);
        if (w->rc < 0)
            snprintf(w->err, sizeof w->err, "%s", store_errmsg(s));
        if (store_commit(s, w->err, sizeof w->err) < 0)
            w->rc = -3;
    }
    for (int i = 0; w->rc == 0 && i < K; i++) {
        int c = w->reverse ? K - 1 - i : i;
        w->firsts += out[i] == STORE_FIRST;
        w->arms[c] = out[i] == STORE_FIRST ? w->arm : out[i] == STORE_EXISTING ? st[i].arm : -1;
    }
    store_destroy(&s);
    return NULL;
}

/* Two writers record overlapping batches at once, in opposite orders: every customer gets
 * exactly one first exposure, both writers see the same arm for it, and neither fails (no
 * deadlock between the two batches). */
START_TEST(exposures_batch_concurrent)
{
    fx_t f;
    fx_open(&f, BK_PG);
    int64_t gen;
    tu_store_begin(f.s);
    int64_t id = new_experiment(f.s, "batch-race", &gen);
    tu_store_commit(f.s);
    for (int round = 0; round < 3; round++) {
        char key[32];
        int64_t g2;
        snprintf(key, sizeof key, "batch-race-%d", round);
        tu_store_begin(f.s);
        int64_t xid = round ? new_experiment(f.s, key, &g2) : id;
        tu_store_commit(f.s);
        batcher_t *p = calloc(2, sizeof *p);
        ck_assert_ptr_nonnull(p);
        p[0] = (batcher_t){.uri = f.uri, .exp = xid, .gen = round ? g2 : gen, .arm = 0};
        p[1] = p[0];
        p[1].arm = 1;
        p[1].reverse = 1;
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, batcher_main, &p[i]), 0);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        for (int i = 0; i < 2; i++)
            ck_assert_msg(p[i].rc == 0, "writer %d: %d %s", i, p[i].rc, p[i].err);
        ck_assert_int_eq(p[0].firsts + p[1].firsts, 300);
        for (int c = 0; c < 300; c++) {
            ck_assert_int_ge(p[0].arms[c], 0);
            ck_assert_int_eq(p[0].arms[c], p[1].arms[c]);
        }
        ck_assert_int_eq(store_exposure_count(f.s, xid), 300);
        free(p);
    }
    fx_close(&f);
}
END_TEST

START_TEST(exposures_concurrent_first)
{
    fx_t f;
    fx_open(&f, _i);
    int64_t gen;
    tu_store_begin(f.s);
    int64_t id = new_experiment(f.s, "race", &gen);
    tu_store_commit(f.s);
    if (_i == BK_SQLITE) {
        /* one writer per store: a second open is refused, so two writers cannot race */
        char err[512] = "";
        store_t *second = store_open(f.uri, err, sizeof err);
        ck_assert_msg(second == NULL, "a second writer opened the SQLite store");
        ck_assert_msg(err[0] != '\0', "the refusal says why");
        fx_close(&f);
        return;
    }
    /* Writer A records first and holds its transaction open; writer B records the same
     * customer with another arm meanwhile: B waits for A, then finds A's exposure. */
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    int recorded = 0, unused = 0;
    writer_t a = {.uri = f.uri,
                  .exp = id,
                  .gen = gen,
                  .arm = 1,
                  .hold_ms = 300,
                  .mu = &mu,
                  .cv = &cv,
                  .recorded = &recorded};
    writer_t b = {.uri = f.uri,
                  .exp = id,
                  .gen = gen,
                  .arm = 0,
                  .hold_ms = 0,
                  .mu = &mu,
                  .cv = &cv,
                  .recorded = &unused};
    pthread_t ta, tb;
    ck_assert_int_eq(pthread_create(&ta, NULL, writer_main, &a), 0);
    pthread_mutex_lock(&mu);
    while (!recorded)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    ck_assert_int_eq(pthread_create(&tb, NULL, writer_main, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_msg(a.rc == STORE_FIRST, "A: %d %s", a.rc, a.err);
    ck_assert_msg(b.rc == STORE_EXISTING, "B: %d %s", b.rc, b.err);
    ck_assert_int_eq(b.st.arm, 1); /* A's arm, in both replies */
    ck_assert_int_eq(store_exposure_count(f.s, id), 1);

    /* Both at once, many customers' worth: exactly one FIRST per customer, never an error. */
    writer_t c = {.uri = f.uri,
                  .exp = id,
                  .gen = gen,
                  .arm = 0,
                  .hold_ms = 0,
                  .mu = &mu,
                  .cv = &cv,
                  .recorded = &unused};
    writer_t d = c;
    d.arm = 1;
    pthread_create(&ta, NULL, writer_main, &c);
    pthread_create(&tb, NULL, writer_main, &d);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_int_eq(c.rc, STORE_EXISTING); /* "race" is stored already */
    ck_assert_int_eq(d.rc, STORE_EXISTING);
    ck_assert_int_eq(c.st.arm, 1);
    fx_close(&f);
}
END_TEST

typedef struct {
    const char *uri;     /* store */
    int64_t exp, gen;    /* experiment, generation it is at */
    int64_t new_gen;     /* after the update */
    int hold_ms;         /* transaction kept open after the update */
    pthread_mutex_t *mu; /* signals the update ran */
    pthread_cond_t *cv;  /* with mu */
    int *updated;        /* set under mu */
    int rc;              /* update result */
    char err[256];       /* failure */
} pauser_t;

static void *pauser_main(void *arg)
{
    pauser_t *p = arg;
    p->rc = -2;
    store_t *s = store_open(p->uri, p->err, sizeof p->err);
    if (!s)
        return NULL;
    if (store_begin(s, p->err, sizeof p->err) == 0) {
        p->rc = store_experiment_update(s, p->exp, p->gen, 3, 0.5, 0, 9000, &p->new_gen);
        pthread_mutex_lock(p->mu);
        *p->updated = 1;
        pthread_cond_signal(p->cv);
        pthread_mutex_unlock(p->mu);
        usleep((useconds_t)p->hold_ms * 1000);
        if (store_commit(s, p->err, sizeof p->err) < 0)
            p->rc = -3;
    }
    store_destroy(&s);
    return NULL;
}

/* PostgreSQL: a pause committing while an exposure is being recorded against the old
 * generation — the exposure waits for the pause and comes back STALE, never stored. */
START_TEST(exposure_waits_for_pause)
{
    fx_t f;
    fx_open(&f, BK_PG);
    int64_t gen;
    tu_store_begin(f.s);
    int64_t id = new_experiment(f.s, "pause", &gen);
    tu_store_commit(f.s);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    int updated = 0;
    pauser_t p = {.uri = f.uri,
                  .exp = id,
                  .gen = gen,
                  .hold_ms = 300,
                  .mu = &mu,
                  .cv = &cv,
                  .updated = &updated};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, pauser_main, &p), 0);
    pthread_mutex_lock(&mu);
    while (!updated)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    store_exposure_t st, e = expo(id, "late", 1);
    tu_store_begin(f.s);
    int rc = store_exposure_record(f.s, &e, gen, &st);
    tu_store_commit(f.s);
    pthread_join(t, NULL);
    ck_assert_msg(p.rc == 0, "pause: %d %s", p.rc, p.err);
    ck_assert_int_eq(rc, STORE_STALE);
    ck_assert_int_eq(store_exposure_count(f.s, id), 0);
    fx_close(&f);
}
END_TEST

/* PostgreSQL: generations become visible in increasing order. While one writer's change
 * (generation G1) is uncommitted, another writer's change waits for it, so when the second
 * (G2 > G1) is visible, G1 is too: a reader that has seen G2 never later finds G1. */
START_TEST(generations_commit_in_order)
{
    fx_t f;
    fx_open(&f, BK_PG);
    int64_t ga, gb;
    tu_store_begin(f.s);
    int64_t a = new_experiment(f.s, "first", &ga);
    int64_t b = new_experiment(f.s, "second", &gb);
    tu_store_commit(f.s);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    int updated = 0;
    pauser_t p = {.uri = f.uri,
                  .exp = a,
                  .gen = ga,
                  .hold_ms = 300,
                  .mu = &mu,
                  .cv = &cv,
                  .updated = &updated};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, pauser_main, &p), 0);
    pthread_mutex_lock(&mu);
    while (!updated)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    int64_t g2;
    tu_store_begin(f.s);
    ck_assert_int_eq(store_experiment_update(f.s, b, gb, 3, 0.5, 0, 9500, &g2), 0);
    tu_store_commit(f.s);
    /* the second change is visible: the first must be as well */
    exps_t xs = {0};
    ck_assert_int_eq(store_experiment_each(f.s, gb, collect_exp, &xs), 0);
    pthread_join(t, NULL);
    ck_assert_msg(p.rc == 0, "first change: %d %s", p.rc, p.err);
    ck_assert_int_gt(g2, p.new_gen);
    ck_assert_int_eq(xs.n, 2);
    ck_assert_int_eq(xs.ids[0], a);
    ck_assert_int_eq(xs.gens[0], p.new_gen);
    ck_assert_int_eq(xs.gens[1], g2);
    fx_close(&f);
}
END_TEST

/* PostgreSQL: instances starting together create the schema once, without an error. */
typedef struct {
    const char *uri; /* store */
    int ok;          /* opened */
    int version;     /* its schema version */
    char err[256];   /* failure */
} opener_t;

static void *opener_main(void *arg)
{
    opener_t *o = arg;
    store_t *s = store_open(o->uri, o->err, sizeof o->err);
    o->ok = s != NULL;
    if (s)
        o->version = store_schema_version(s);
    store_destroy(&s);
    return NULL;
}

START_TEST(schema_concurrent_open)
{
    char uri[700];
    tu_pg_newdb(uri, sizeof uri);
    opener_t o[3] = {{.uri = uri}, {.uri = uri}, {.uri = uri}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, opener_main, &o[i]);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(o[i].ok, "open %d: %s", i, o[i].err);
        ck_assert_int_eq(o[i].version, o[0].version);
    }
    ck_assert_int_eq(tu_pg_scalar(uri, "SELECT count(*) FROM lift_schema"), 1);
}
END_TEST

/* ---- readers ---------------------------------------------------------------------------- */

typedef struct {
    int n;            /* rows */
    char cust[8][16]; /* customers in order */
    int arm[8];       /* their arms */
    int64_t sum;      /* events: sum of amounts */
    int64_t exp_sum;  /* events: sum of experiment ids */
    int nps_n;        /* events: NPS rows with a score */
} rows_t;

static int collect_expo(void *arg, const store_exposure_t *e)
{
    rows_t *r = arg;
    if (r->n < 8) {
        snprintf(r->cust[r->n], sizeof r->cust[0], "%.*s", (int)e->customer_len, e->customer);
        r->arm[r->n] = e->arm;
    }
    r->n++;
    return 0;
}

static int collect_row(void *arg, const store_event_row_t *e)
{
    rows_t *r = arg;
    r->n++;
    r->sum += e->amount_minor;
    r->exp_sum += e->experiment_id;
    r->nps_n += e->nps >= 0;
    return 0;
}

static int stop_at_two(void *arg, const store_event_row_t *e)
{
    (void)e;
    rows_t *r = arg;
    return ++r->n == 2 ? 7 : 0;
}

START_TEST(reader_snapshot)
{
    fx_t f;
    fx_open(&f, _i);
    store_put_t out[2];
    store_event_t a[2] = {conv("s1", "c", 1), conv("s2", "c", 2)};
    tu_store_begin(f.s);
    put(f.s, a, 2, out, NULL);
    tu_store_commit(f.s);
    char err[512];
    store_reader_t *r = store_reader_open(f.uri, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert_msg(store_reader_begin(r, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(store_reader_begin(r, err, sizeof err), 0); /* nests */
    store_event_t b = conv("s3", "c", 4);
    tu_store_begin(f.s);
    put(f.s, &b, 1, out, NULL);
    tu_store_commit(f.s);
    ck_assert_int_eq(store_reader_event_count(r), 2); /* the snapshot of begin */
    rows_t rows = {0};
    ck_assert_int_eq(store_reader_events(r, 0, INT64_MAX, collect_row, &rows), 0);
    ck_assert_int_eq(rows.n, 2);
    ck_assert_int_eq(rows.sum, 3);
    store_reader_end(r); /* inner */
    ck_assert_int_eq(store_reader_event_count(r), 2);
    store_reader_end(r); /* outer: the snapshot ends */
    ck_assert_int_eq(store_reader_event_count(r), 3);
    ck_assert_msg(store_reader_begin(r, err, sizeof err) == 0, "%s", err);
    memset(&rows, 0, sizeof rows);
    ck_assert_int_eq(store_reader_events(r, 0, INT64_MAX, collect_row, &rows), 0);
    ck_assert_int_eq(rows.sum, 7);
    /* a callback's non-zero value stops the scan and is returned */
    memset(&rows, 0, sizeof rows);
    ck_assert_int_eq(store_reader_events(r, 0, INT64_MAX, stop_at_two, &rows), 7);
    ck_assert_int_eq(rows.n, 2);
    /* and the reader goes on working after a stopped scan */
    ck_assert_int_eq(store_reader_event_count(r), 3);
    store_reader_end(r);
    store_reader_destroy(&r);
    store_reader_destroy(&r); /* NULL is fine */
    fx_close(&f);
}
END_TEST

START_TEST(reader_orders_and_ranges)
{
    fx_t f;
    fx_open(&f, _i);
    int64_t gen, gen2;
    tu_store_begin(f.s);
    int64_t id = new_experiment(f.s, "ord", &gen);
    int64_t id2 = new_experiment(f.s, "ord2", &gen2);
    /* bytewise: "B" < "a" < "aa" < "b" < "\xc3\xa9" (é) */
    const char *cust[] = {"b", "\xc3\xa9", "a", "B", "aa"};
    store_exposure_t st;
    for (int i = 0; i < 5; i++) {
        store_exposure_t e = expo(id, cust[i], i % 2);
        ck_assert_int_eq(store_exposure_record(f.s, &e, gen, &st), STORE_FIRST);
    }
    store_exposure_t other = expo(id2, "zz", 0);
    ck_assert_int_eq(store_exposure_record(f.s, &other, gen2, &st), STORE_FIRST);
    store_event_t ev[4] = {
        {.event_id = "i",
         .customer_id = "a",
         .type = 1,
         .ts_ms = 100,
         .experiment_id = id,
         .arm = 1,
         .nps = -1,
         .received_ms = 1},
        {.event_id = "n", .customer_id = "a", .type = 6, .ts_ms = 200, .nps = 9, .received_ms = 1},
        {.event_id = "c",
         .customer_id = "b",
         .type = 3,
         .ts_ms = 300,
         .has_amount = 1,
         .amount_minor = 1000,
         .nps = -1,
         .received_ms = 1},
        {.event_id = "late",
         .customer_id = "b",
         .type = 3,
         .ts_ms = 400,
         .has_amount = 1,
         .amount_minor = 5,
         .nps = -1,
         .received_ms = 1},
    };
    store_put_t out[4];
    put(f.s, ev, 4, out, NULL);
    tu_store_commit(f.s);
    char err[512];
    store_reader_t *r = store_reader_open(f.uri, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    rows_t x = {0};
    ck_assert_int_eq(store_reader_exposures(r, id, collect_expo, &x), 0);
    ck_assert_int_eq(x.n, 5);
    ck_assert_str_eq(x.cust[0], "B");
    ck_assert_str_eq(x.cust[1], "a");
    ck_assert_str_eq(x.cust[2], "aa");
    ck_assert_str_eq(x.cust[3], "b");
    ck_assert_str_eq(x.cust[4], "\xc3\xa9");
    ck_assert_int_eq(x.arm[1], 0); /* "a" was i = 2 */
    ck_assert_int_eq(x.arm[0], 1); /* "B" was i = 3 */
    ck_assert_int_eq(store_reader_exposure_count(r, id), 5);
    ck_assert_int_eq(store_reader_exposure_count(r, id2), 1);
    rows_t e = {0};
    ck_assert_int_eq(store_reader_events(r, 100, 400, collect_row, &e), 0); /* [100, 400) */
    ck_assert_int_eq(e.n, 3);
    ck_assert_int_eq(e.sum, 1000);   /* the conversion's amount; NPS/impression give 0 */
    ck_assert_int_eq(e.exp_sum, id); /* only the impression carries the experiment */
    ck_assert_int_eq(e.nps_n, 1);
    exps_t xs = {0};
    ck_assert_int_eq(store_reader_experiments(r, collect_exp, &xs), 0);
    ck_assert_int_eq(xs.n, 2);
    ck_assert_int_eq(xs.ids[0], id);
    ck_assert_int_eq(xs.ids[1], id2);
    store_reader_destroy(&r);
    fx_close(&f);
}
END_TEST

/* ---- failures ------------------------------------------------------------------------------ */

/* PostgreSQL: the connection is killed from outside (pg_terminate_backend): the batch fails
 * UNAVAILABLE, nothing of it is stored, and the next begin reconnects and works. */
START_TEST(connection_killed)
{
    fx_t f;
    fx_open(&f, BK_PG);
    store_put_t out[1];
    store_event_t e1 = conv("k1", "c", 1), e2 = conv("k2", "c", 2);
    tu_store_begin(f.s);
    put(f.s, &e1, 1, out, NULL);
    tu_store_commit(f.s);
    tu_store_begin(f.s);
    store_request_begin(f.s);
    put(f.s, &e2, 1, out, NULL);
    ck_assert_int_eq(store_request_end(f.s, 1), 0);
    long long killed = tu_pg_scalar(f.uri, "SELECT count(pg_terminate_backend(pid)) FROM "
                                           "pg_stat_activity WHERE datname = current_database() "
                                           "AND pid <> pg_backend_pid()");
    ck_assert_int_ge(killed, 1);
    usleep(100 * 1000);
    char err[512];
    store_request_begin(f.s);
    store_event_t e3 = conv("k3", "c", 3);
    ck_assert_int_eq(store_events_put(f.s, &e3, 1, out, NULL), -1);
    ck_assert_int_eq(store_errcode(f.s), STORE_E_UNAVAILABLE);
    ck_assert_msg(strstr(store_errmsg(f.s), "connection") != NULL, "%s", store_errmsg(f.s));
    ck_assert_int_eq(store_request_end(f.s, 0), -1); /* the transaction is gone */
    ck_assert_int_eq(store_commit(f.s, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "connection") != NULL, "%s", err);
    ck_assert_int_eq(store_errcode(f.s), STORE_E_UNAVAILABLE);
    /* the next batch reconnects */
    tu_store_begin(f.s);
    put(f.s, &e2, 1, out, NULL);
    ck_assert_int_eq(out[0], STORE_INSERTED); /* k2 was never committed */
    tu_store_commit(f.s);
    ck_assert_int_eq(store_errcode(f.s), STORE_OK);
    ck_assert_int_eq(store_event_count(f.s), 2);
    fx_close(&f);
}
END_TEST

/* PostgreSQL: the database refuses connections for a while — begin fails at once with
 * UNAVAILABLE (no long block), and works again once the database is back. */
START_TEST(database_away_and_back)
{
    fx_t f;
    fx_open(&f, BK_PG);
    char admin[800], sql[200], err[512];
    const char *q = strchr(f.uri, '?');
    const char *name = f.uri + strlen("postgresql:///");
    int nlen = (int)(q - name);
    snprintf(admin, sizeof admin, "postgresql:///postgres%s", q);
    char alter[200];
    snprintf(alter, sizeof alter, "ALTER DATABASE %.*s ALLOW_CONNECTIONS false", nlen, name);
    tu_pg_exec(admin, alter);
    snprintf(sql, sizeof sql,
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE datname = '%.*s'",
             nlen, name);
    ck_assert_int_ge(tu_pg_scalar(admin, sql), 1);
    usleep(100 * 1000);
    store_event_t e = conv("away", "c", 1);
    store_put_t out[1];
    /* the connection is found gone by the first statement; later begins try to reconnect */
    int failures = 0;
    for (int i = 0; i < 5; i++) {
        if (store_begin(f.s, err, sizeof err) < 0 || store_events_put(f.s, &e, 1, out, NULL) < 0 ||
            store_commit(f.s, err, sizeof err) < 0) {
            ck_assert_int_eq(store_errcode(f.s), STORE_E_UNAVAILABLE);
            store_rollback(f.s);
            failures++;
        }
    }
    ck_assert_int_eq(failures, 5);
    snprintf(alter, sizeof alter, "ALTER DATABASE %.*s ALLOW_CONNECTIONS true", nlen, name);
    tu_pg_exec(admin, alter);
    int ok = 0;
    for (int i = 0; i < 60 && !ok; i++) { /* the backoff is at most 2 s */
        if (store_begin(f.s, err, sizeof err) == 0) {
            ok = store_events_put(f.s, &e, 1, out, NULL) == 0 &&
                 store_commit(f.s, err, sizeof err) == 0;
            if (!ok)
                store_rollback(f.s);
        }
        if (!ok)
            usleep(100 * 1000);
    }
    ck_assert_msg(ok, "the store did not come back: %s", store_errmsg(f.s));
    ck_assert_int_eq(out[0], STORE_INSERTED);
    ck_assert_int_eq(store_event_count(f.s), 1);
    fx_close(&f);
}
END_TEST

START_TEST(quota)
{
    fx_t f;
    fx_open(&f, _i);
    char err[512] = "";
    int64_t used = 0, limit = 0;
    if (_i == BK_PG) {
        ck_assert_int_eq(store_set_max_bytes(f.s, 1 << 20, &used, &limit, err, sizeof err), -1);
        ck_assert_msg(strstr(err, "not supported by the postgresql backend") != NULL, "%s", err);
        fx_close(&f);
        return;
    }
    ck_assert_msg(store_set_max_bytes(f.s, 64 * 1024, &used, &limit, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_int_gt(used, 0);
    ck_assert_int_le(limit, 64 * 1024);
    /* writing past the limit fails as a full disk would, UNAVAILABLE, and nothing of the
     * failed batch is stored */
    int64_t before = -1;
    char ids[400][16], cust[16] = "a-customer";
    store_event_t ev[400];
    for (int i = 0; i < 400; i++) {
        snprintf(ids[i], sizeof ids[i], "q-%d", i);
        ev[i] = conv(ids[i], cust, i);
    }
    store_put_t out[400];
    int failed = 0;
    for (int round = 0; round < 20 && !failed; round++) {
        for (int i = 0; i < 400; i++)
            snprintf(ids[i], sizeof ids[i], "q-%d-%d", round, i);
        before = store_event_count(f.s);
        tu_store_begin(f.s);
        if (store_events_put(f.s, ev, 400, out, NULL) < 0 ||
            store_commit(f.s, err, sizeof err) < 0) {
            failed = 1;
            ck_assert_int_eq(store_errcode(f.s), STORE_E_UNAVAILABLE);
            store_rollback(f.s);
        }
    }
    ck_assert_msg(failed, "a write past the quota succeeded");
    ck_assert_int_eq(store_event_count(f.s), before);
    fx_close(&f);
}
END_TEST

/* ---- the URI ----------------------------------------------------------------------------- */

START_TEST(uri_hides_password)
{
    /* a refused open leaves no store; the redaction is shown on a store that opens: use the
     * harness's database with a password parameter that trust authentication ignores */
    char uri[700], withpw[800], err[512];
    tu_pg_newdb(uri, sizeof uri);
    snprintf(withpw, sizeof withpw, "%s&password=s3cret", uri);
    store_t *s = store_open(withpw, err, sizeof err);
    ck_assert_msg(s != NULL, "%s", err);
    ck_assert_ptr_null(strstr(store_uri(s), "s3cret"));
    ck_assert_ptr_nonnull(strstr(store_uri(s), "password=***"));
    store_destroy(&s);
    /* user:password@ form: the open fails (no such host), the message must not leak it */
    s = store_open("postgresql://u:hunter2@127.0.0.1:1/db?connect_timeout=1", err, sizeof err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, "hunter2") == NULL, "%s", err);
    ck_assert_int_eq(store_open("mysql://x", err, sizeof err) == NULL, 1);
    ck_assert_msg(strstr(err, "unknown scheme") != NULL, "%s", err);
}
END_TEST

START_TEST(pg_unavailable)
{
    ck_abort_msg("PostgreSQL is required (CI is set) but could not be started: %s", tu_pg_why());
}
END_TEST

Suite *store_suite(void);
Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    int nbk = BK_SQLITE + 1;
    int pg_ok = 0;
    if (tu_pg_wanted("store")) {
        pg_ok = tu_pg_start() == 0;
        if (pg_ok)
            nbk = BK_N;
        else
            fprintf(stderr, "store: PostgreSQL cases %s: %s\n",
                    tu_pg_required() ? "FAIL" : "skipped", tu_pg_why());
    }
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_loop_test(core, events_across_batches, 0, nbk);
    tcase_add_loop_test(core, events_inside_batch, 0, nbk);
    tcase_add_loop_test(core, events_first_occurrence_wins, 0, nbk);
    tcase_add_loop_test(core, events_large_batches, 0, nbk);
    tcase_add_loop_test(core, events_all_columns, 0, nbk);
    tcase_add_loop_test(core, request_undo_alone, 0, nbk);
    tcase_add_loop_test(core, rollback_stores_nothing, 0, nbk);
    tcase_add_loop_test(core, commit_is_durable, 0, nbk);
    tcase_add_loop_test(core, meta_settings, 0, nbk);
    tcase_add_loop_test(core, experiments_generations, 0, nbk);
    tcase_add_loop_test(core, exposures_first_existing_stale, 0, nbk);
    tcase_add_loop_test(core, exposures_batch, 0, nbk);
    tcase_add_loop_test(core, reader_meta, 0, nbk);
    tcase_add_loop_test(core, holdout_rows, 0, nbk);
    tcase_add_loop_test(core, reader_snapshot, 0, nbk);
    tcase_add_loop_test(core, reader_orders_and_ranges, 0, nbk);
    suite_add_tcase(s, core);

    TCase *conc = tcase_create("concurrency");
    tcase_set_timeout(conc, 60);
    tcase_add_loop_test(conc, exposures_concurrent_first, 0, nbk);
    if (pg_ok) {
        tcase_add_test(conc, exposure_waits_for_pause);
        tcase_add_test(conc, exposures_batch_concurrent);
        tcase_add_test(conc, reader_split_scan);
        tcase_add_test(conc, schema_concurrent_open);
        tcase_add_test(conc, generations_commit_in_order);
    }
    suite_add_tcase(s, conc);

    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 60);
    tcase_add_loop_test(errors, quota, 0, nbk);
    if (pg_ok) {
        tcase_add_test(errors, connection_killed);
        tcase_add_test(errors, database_away_and_back);
        tcase_add_test(errors, uri_hides_password);
    } else if (tu_pg_wanted("store") && tu_pg_required()) {
        tcase_add_test(errors, pg_unavailable);
    }
    suite_add_tcase(s, errors);
    return s;
}
