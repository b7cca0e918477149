/* load: liftsim's load generator (see load.h). Each thread has its own client and random
 * stream; latencies are kept per thread and merged at the end. */
#include "load.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "lift/client.h"
#include "pool.h"
#include "simtime.h"

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
        if (!nv)
            return;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = x;
}

#define LOAD_BATCH 100 /* events per Track in load mode */

/* Counts an error; the first one's message is kept in l->err. */
static void load_error(load_t *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void load_error(load_t *l, const char *fmt, ...)
{
    if (l->errors++)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, sizeof l->err, fmt, ap);
    va_end(ap);
}

static void load_track(load_t *l, lift_client_t *c, lift_event_t *ev, size_t n)
{
    lift_track_result_t r;
    double t0 = simtime_mono_s();
    lift_err_t rc = lift_track(c, ev, n, &r);
    lat_push(&l->lat_t, &l->n_t, &l->cap_t, (simtime_mono_s() - t0) * 1000);
    l->tracks++;
    if (rc != LIFT_OK) {
        load_error(l, "track: %s: %s", lift_err_name(rc), lift_client_error(c));
        return;
    }
    l->events += r.accepted + r.duplicates;
    if (r.n_rejected)
        load_error(l, "event rejected: %s: %s", r.rejected[0].field, r.rejected[0].reason);
    lift_track_result_clear(&r);
}

static void pace(load_t *l, uint64_t k)
{
    if (l->per_s <= 0)
        return;
    double due = l->start_s + (double)k / l->per_s, now = simtime_mono_s();
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
    gsl_ran_discrete_t *dt = gsl_ran_discrete_preproc(CONFIG_N_ENUM, cfg->trig_share);
    gsl_ran_discrete_t *dc = gsl_ran_discrete_preproc(CONFIG_N_ENUM, cfg->chan_share);
    double ss[CONFIG_N_ENUM];
    for (int k = 0; k < CONFIG_N_ENUM; k++)
        ss[k] = cfg->stage[k].share;
    gsl_ran_discrete_t *ds = gsl_ran_discrete_preproc(CONFIG_N_ENUM, ss);
    static lift_event_t none;
    lift_event_t *ev = calloc(LOAD_BATCH, sizeof *ev);
    char(*ids)[POOL_EVID_MAX] = calloc(LOAD_BATCH, POOL_EVID_MAX);
    char(*cids)[32] = calloc(LOAD_BATCH, 32);
    if (!c || !rng || !dt || !dc || !ds || !ev || !ids || !cids) {
        load_error(l, "cannot set up load thread %d", l->id);
        goto done;
    }
    gsl_rng_set(rng, l->o->seed * 1000003UL + (unsigned long)l->id + 1);
    const char *key = cfg->exp[0]->key;
    size_t nb = 0;
    uint64_t k = 0, nev = 0;
    while (simtime_mono_s() < l->end_s) {
        pace(l, k++);
        char cid[32];
        snprintf(cid, sizeof cid, "load-c%ld",
                 (long)gsl_rng_uniform_int(rng, (unsigned long)l->o->customers));
        lift_context_t ctx = {.trigger = (int)gsl_ran_discrete(rng, dt),
                              .stage = (int)gsl_ran_discrete(rng, ds),
                              .channel = (int)gsl_ran_discrete(rng, dc)};
        lift_assignment_t a;
        double t0 = simtime_mono_s();
        lift_err_t rc = lift_assign(c, key, cid, &ctx, &a);
        lat_push(&l->lat_a, &l->n_a, &l->cap_a, (simtime_mono_s() - t0) * 1000);
        l->assigns++;
        if (rc != LIFT_OK) {
            load_error(l, "assign: %s: %s", lift_err_name(rc), lift_client_error(c));
            continue;
        }
        lift_event_t *e = &ev[nb];
        *e = none;
        snprintf(ids[nb], POOL_EVID_MAX, "load-%" PRId64 "-%d-%" PRIu64, l->run_ms, l->id, nev++);
        snprintf(cids[nb], 32, "%s", cid);
        e->event_id = ids[nb];
        e->customer_id = cids[nb];
        e->timestamp_ms = simtime_wall_ms();
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
    if (nb)
        load_track(l, c, ev, nb);
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
    if (!n)
        return 0;
    size_t k = (size_t)ceil(p * (double)n);
    return v[k ? k - 1 : 0];
}

int load_run(const opts_t *o, const config_t *cfg)
{
    load_t *ls = calloc((size_t)o->clients, sizeof *ls);
    pthread_t *th = calloc((size_t)o->clients, sizeof *th);
    if (!ls || !th) {
        free(ls), free(th);
        fprintf(stderr, "liftsim: out of memory\n");
        return 1;
    }
    double start = simtime_mono_s();
    int64_t run = simtime_wall_ms();
    int started = 0;
    for (int i = 0; i < o->clients; i++) {
        ls[i] = (load_t){.id = i,
                         .o = o,
                         .cfg = cfg,
                         .run_ms = run,
                         .start_s = start,
                         .end_s = start + o->duration,
                         .per_s = o->rate / o->clients};
        if (pthread_create(&th[i], NULL, load_thread, &ls[i]) != 0)
            break;
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    double el = simtime_mono_s() - start;
    uint64_t na = 0, nt = 0, ne = 0, nerr = 0;
    size_t la = 0, lt = 0;
    const char *err = NULL;
    for (int i = 0; i < started; i++) {
        na += ls[i].assigns, nt += ls[i].tracks, ne += ls[i].events, nerr += ls[i].errors;
        la += ls[i].n_a, lt += ls[i].n_t;
        if (ls[i].errors && !err)
            err = ls[i].err;
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
        if (nerr)
            printf("  errors: %" PRIu64 " (first: %s)\n", nerr, err ? err : "?");
    }
    for (int i = 0; i < started; i++)
        free(ls[i].lat_a), free(ls[i].lat_t);
    free(va), free(vt), free(ls), free(th);
    if (nerr && err)
        fprintf(stderr, "liftsim: %" PRIu64 " errors; first: %s\n", nerr, err);
    return nerr || started < o->clients ? 1 : 0;
}
