/* report_fixture: see report_fixture.h. Moved out of bench_report so that the SQLite and the
 * PostgreSQL benchmarks read the same data set. */
#include "report_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/lift.h"
#include "registry.h"
#include "store.h"
#include "../tests/testutil.h"

#define DAY_MS FIXTURE_DAY_MS
#define START_MS FIXTURE_START_MS
#define WEEKS FIXTURE_WEEKS

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void) /* xorshift64*: a fixture, reproducible */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static double unif(void)
{
    return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

/* Create and start the experiment through the registry (the product path). */
int fixture_experiment(const char *dir, int64_t *id_out, int64_t *gen_out,
                       Lift__Experiment **def_out, int *reused)
{
    char err[256];
    status_t st;
    store_t *s = store_open(dir, err, sizeof err);
    if (!s) {
        fprintf(stderr, "fixture: %s\n", err);
        return -1;
    }
    registry_t *r = registry_new(s, err, sizeof err);
    if (!r) {
        fprintf(stderr, "fixture: %s\n", err);
        store_destroy(&s);
        return -1;
    }
    Lift__Experiment x = LIFT__EXPERIMENT__INIT;
    Lift__Arm a[3] = {LIFT__ARM__INIT, LIFT__ARM__INIT, LIFT__ARM__INIT};
    Lift__Arm *ap[3] = {&a[0], &a[1], &a[2]};
    static const char *names[3] = {"holdout", "offer-a", "offer-b"};
    static const double w[3] = {0.2, 0.4, 0.4};
    for (int i = 0; i < 3; i++) {
        a[i].name = (char *)names[i];
        a[i].has_weight = 1;
        a[i].weight = w[i];
    }
    x.key = FIXTURE_KEY;
    x.n_arms = 3;
    x.arms = ap;
    x.has_start_ms = 1;
    x.start_ms = START_MS;
    const registry_entry_t *e = registry_find(r, x.key);
    int created = 0, rc = -1;
    if (e) { /* a kept fixture (LIFT_BENCH_DIR) */
        *reused = 1;
        goto copy;
    }
    if (store_begin(s, err, sizeof err) < 0)
        goto out;
    if (registry_create(r, &x, START_MS - DAY_MS, &e, &created, &st) < 0 ||
        registry_change(r, x.key, LIFT__ACTION__ACTION_START, 0, 0, START_MS - DAY_MS, &e, &st) <
            0) {
        fprintf(stderr, "fixture: experiment: %s\n", st.message);
        store_rollback(s);
        goto out;
    }
    if (store_commit(s, err, sizeof err) < 0)
        goto out;
copy:;
    size_t len = lift__experiment__get_packed_size(e->def);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        goto out;
    lift__experiment__pack(e->def, buf);
    *def_out = lift__experiment__unpack(NULL, len, buf);
    free(buf);
    *id_out = e->id;
    *gen_out = e->generation;
    rc = *def_out ? 0 : -1;
out:
    registry_destroy(&r);
    store_destroy(&s);
    return rc;
}

#define FIXTURE_BATCH 10000    /* events per store_events_put */
#define FIXTURE_COMMIT 1000000 /* events per transaction (bounds the WAL) */

/* The fixture, written through the store interface (the stored facts liftd would hold):
 * n_cust exposed customers over WEEKS weeks, n_ev events in arrival order (customers
 * interleaved, as ingestion sees them), 10% of them from customers never exposed. */
int fixture_generate(const char *dir, int64_t exp_id, int64_t gen, long n_cust, long n_ev)
{
    char err[256];
    int64_t *t0 = malloc((size_t)n_cust * sizeof *t0);
    signed char *arm = malloc((size_t)n_cust);
    store_event_t *ev = calloc(FIXTURE_BATCH, sizeof *ev);
    store_put_t *put = calloc(FIXTURE_BATCH, sizeof *put);
    char(*eids)[32] = calloc(FIXTURE_BATCH, 32), (*custs)[32] = calloc(FIXTURE_BATCH, 32);
    store_exposure_t *xs = calloc(FIXTURE_BATCH, sizeof *xs);
    int64_t *xgen = calloc(FIXTURE_BATCH, sizeof *xgen);
    store_record_t *xout = calloc(FIXTURE_BATCH, sizeof *xout);
    store_t *st = NULL;
    int rc = -1, in_txn = 0;
    if (!t0 || !arm || !ev || !put || !eids || !custs || !xs || !xgen || !xout)
        goto out;
    if (!(st = store_open(dir, err, sizeof err))) {
        fprintf(stderr, "fixture: %s\n", err);
        goto out;
    }
    if (store_begin(st, err, sizeof err) < 0)
        goto fail;
    in_txn = 1;
    size_t nx = 0;
    for (long i = 0; i < n_cust; i++) {
        double u = unif();
        arm[i] = (signed char)(u < 0.2 ? 0 : u < 0.6 ? 1 : 2);
        t0[i] = START_MS + (int64_t)(unif() * (double)(WEEKS * 7 * DAY_MS));
        int n = snprintf(custs[nx], sizeof custs[nx], "cust-%07ld", i);
        store_exposure_t x = {.experiment_id = exp_id,
                              .customer = custs[nx],
                              .customer_len = (size_t)n,
                              .arm = arm[i]};
        x.trigger = 1 + (int)(rnd() % 5);
        x.stage = 1 + (int)(rnd() % 4);
        x.channel = 1 + (int)(rnd() % 5);
        x.trigger_ms = t0[i];
        x.decided_ms = t0[i] + (int64_t)(rnd() % 600000);
        xs[nx] = x;
        xgen[nx++] = gen;
        if (nx == FIXTURE_BATCH || i == n_cust - 1) {
            if (store_exposures_put(st, xs, xgen, nx, xout, NULL) < 0)
                goto fail;
            for (size_t k = 0; k < nx; k++)
                if (xout[k] != STORE_FIRST) {
                    fprintf(stderr,
                            "fixture: exposure %s not recorded as first (%d): is the "
                            "store empty?\n",
                            custs[k], xout[k]);
                    goto fail;
                }
            nx = 0;
        }
    }
    long others = n_cust / 9; /* ~10% of events from customers never exposed */
    size_t m = 0;
    for (long k = 0; k < n_ev; k++) {
        long c = (long)(rnd() % (uint64_t)(n_cust + others));
        int exposed = c < n_cust;
        int64_t base =
            exposed ? t0[c] : START_MS + (int64_t)(unif() * (double)(WEEKS * 7 * DAY_MS));
        int a = exposed ? arm[c] : -1;
        double u = unif();
        int type, nps = -1;
        int64_t ts, amount = 0, xid = 0;
        if (u < 0.40) { /* impression: this experiment's offer for treated customers */
            type = 1;
            ts = base + (int64_t)(-log(1.0 - unif()) * 2 * DAY_MS);
            xid = a > 0 ? exp_id : exp_id + 1000;
        } else if (u < 0.50) {
            type = 2;
            ts = base + (int64_t)(-log(1.0 - unif()) * 3 * DAY_MS);
            xid = a > 0 ? exp_id : exp_id + 1000;
        } else if (u < 0.70) {
            type = 3;
            ts = base + (int64_t)((unif() * 70.0 - 30.0) * (double)DAY_MS);
            amount = 1000 + (int64_t)(rnd() % 20000) + (a > 0 ? 700 : 0);
        } else if (u < 0.73) {
            type = 4;
            ts = base + (int64_t)((unif() * 60.0 - 10.0) * (double)DAY_MS);
            amount = 1000 + (int64_t)(rnd() % 5000);
        } else if (u < 0.85) {
            type = 5;
            ts = base + (int64_t)((unif() * 70.0 - 20.0) * (double)DAY_MS);
        } else {
            type = 6;
            ts = base + (int64_t)((unif() * 70.0 - 30.0) * (double)DAY_MS);
            nps = (int)(rnd() % 11);
        }
        snprintf(custs[m], sizeof custs[m], "cust-%07ld", c);
        snprintf(eids[m], sizeof eids[m], "evt-%010ld", k);
        store_event_t e = {.event_id = eids[m],
                           .customer_id = custs[m],
                           .type = type,
                           .ts_ms = ts,
                           .experiment_id = xid,
                           .arm = a > 0 ? a : 1,
                           .has_amount = amount != 0,
                           .amount_minor = amount,
                           .plan_from = amount ? "starter" : NULL,
                           .plan_to = amount ? "pro" : NULL,
                           .nps = nps,
                           .received_ms = ts};
        ev[m++] = e;
        if (m == FIXTURE_BATCH || k == n_ev - 1) {
            if (store_events_put(st, ev, m, put, NULL) < 0)
                goto fail;
            m = 0;
        }
        if ((k + 1) % FIXTURE_COMMIT == 0 && k + 1 < n_ev) {
            if (store_commit(st, err, sizeof err) < 0 || store_begin(st, err, sizeof err) < 0) {
                in_txn = 0;
                goto fail;
            }
        }
    }
    in_txn = 0;
    if (store_commit(st, err, sizeof err) < 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "fixture: %s\n", st ? store_errmsg(st) : err);
    if (in_txn)
        store_rollback(st);
out:
    store_destroy(&st);
    free(t0);
    free(arm);
    free(ev);
    free(put);
    free(eids);
    free(custs);
    free(xs);
    free(xgen);
    free(xout);
    return rc;
}

void fixture_report_request(Lift__ReportRequest *req, Lift__Dimension dims[4], const char *key)
{
    static const Lift__ReportRequest init = LIFT__REPORT_REQUEST__INIT;
    *req = init;
    dims[0] = LIFT__DIMENSION__DIMENSION_TRIGGER;
    dims[1] = LIFT__DIMENSION__DIMENSION_STAGE;
    dims[2] = LIFT__DIMENSION__DIMENSION_CHANNEL;
    dims[3] = LIFT__DIMENSION__DIMENSION_DELAY;
    req->experiment_key = (char *)key;
    req->n_segment_by = 4;
    req->segment_by = dims;
}

double fixture_report_time(store_reader_t *rd, const Lift__Experiment *def, int64_t exp_id,
                           const Lift__ReportRequest *req, const char *currency, Lift__Report **r,
                           status_t *st)
{
    report_free(r);
    double t0 = tu_now_s();
    if (report_build(rd, def, exp_id, req, currency, FIXTURE_NOW_MS, r, st) < 0)
        return -1;
    return tu_now_s() - t0;
}
