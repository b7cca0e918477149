/* pool: the sender threads of liftsim (see pool.h). A retryable error (unavailable, resource
 * exhausted, system) is retried RETRY_ROUNDS times with a growing pause. */
#include "pool.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simtime.h"

#define RETRY_ROUNDS 10 /* lift_* calls (each with its own attempts) before giving up */

static int retryable(lift_err_t rc)
{
    return rc == LIFT_ERR_UNAVAILABLE || rc == LIFT_ERR_RESOURCE_EXHAUSTED || rc == LIFT_ERR_SYSTEM;
}

void pool_fail(pool_t *p, const char *fmt, ...)
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

static void run_track(pool_t *p, lift_client_t *c, pool_job_t *j)
{
    lift_track_result_t r;
    lift_err_t rc = LIFT_OK;
    for (int round = 0; round < RETRY_ROUNDS; round++) {
        rc = lift_track(c, j->batch->ev, j->batch->n, &r);
        if (rc == LIFT_OK || !retryable(rc))
            break;
        simtime_sleep_ms(100 * (round + 1));
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

static void run_assign(pool_t *p, lift_client_t *c, pool_job_t *j)
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
        if (rc == LIFT_OK || !retryable(rc))
            break;
        simtime_sleep_ms(100 * (round + 1));
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
    if (!c)
        pool_fail(p, "cannot create a client for %s: %s", p->endpoint, strerror(errno));
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->ahead && !p->thead && !p->stop)
            pthread_cond_wait(&p->cv_job, &p->mu);
        pool_job_t *j = p->ahead ? p->ahead : p->thead;
        if (!j) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        if (j == p->ahead) {
            if (!(p->ahead = j->next))
                p->atail = NULL;
        } else if (!(p->thead = j->next)) {
            p->ttail = NULL;
        }
        int skip = p->failed || !c;
        pthread_mutex_unlock(&p->mu);
        if (!skip)
            j->is_track ? run_track(p, c, j) : run_assign(p, c, j);
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

int pool_start(pool_t *p, const char *endpoint, int n, int local)
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

void pool_submit(pool_t *p, pool_job_t *j)
{
    pthread_mutex_lock(&p->mu);
    pool_job_t **head = j->is_track ? &p->thead : &p->ahead;
    pool_job_t **tail = j->is_track ? &p->ttail : &p->atail;
    j->next = NULL;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
    if (j->is_track)
        p->track_pending++;
    else
        p->assign_pending++;
    pthread_cond_signal(&p->cv_job);
    pthread_mutex_unlock(&p->mu);
}

int pool_wait(pool_t *p, size_t max_assign, size_t max_track)
{
    pthread_mutex_lock(&p->mu);
    while (!p->failed && (p->assign_pending > max_assign || p->track_pending > max_track))
        pthread_cond_wait(&p->cv_done, &p->mu);
    int rc = p->failed ? -1 : 0;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void pool_stop(pool_t *p)
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
