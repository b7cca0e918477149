/* pool: liftsim's senders — worker threads, each with its own client (or, with --local, one
 * shared local evaluator), that run AssignBatch and Track jobs against liftd with retries.
 * Assign jobs go first; a job that fails for good stops the pool. It builds no events. */
#ifndef LIFTSIM_POOL_H
#define LIFTSIM_POOL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "lift/client.h"
#include "lift/local.h"

#define POOL_THREADS_MAX 64   /* sender threads */
#define POOL_TRACK_BATCH 1000 /* events per Track request */
#define POOL_EVID_MAX 48      /* bytes of an event id */

typedef struct {
    lift_event_t ev[POOL_TRACK_BATCH];         /* the events */
    char ids[POOL_TRACK_BATCH][POOL_EVID_MAX]; /* their event ids */
    size_t n;                                  /* used */
} pool_batch_t;

typedef struct pool_job {
    struct pool_job *next;  /* queue link */
    int is_track;           /* 1: Track batch (owned by the job), 0: AssignBatch */
    pool_batch_t *batch;    /* track: the events, freed by the worker */
    const char *key;        /* assign: experiment key */
    const char **ids;       /* assign: customer ids */
    size_t n;               /* assign: how many */
    lift_context_t ctx;     /* assign: context */
    lift_assignment_t *out; /* assign: results (caller frees with lift_assignments_free) */
} pool_job_t;

typedef struct {
    pthread_mutex_t mu;                      /* guards everything below */
    pthread_cond_t cv_job;                   /* a job was queued or stop set */
    pthread_cond_t cv_done;                  /* a job finished */
    pool_job_t *ahead, *atail;               /* assign queue (served first) */
    pool_job_t *thead, *ttail;               /* track queue */
    size_t assign_pending;                   /* queued or running assign jobs */
    size_t track_pending;                    /* queued or running track jobs */
    int stop;                                /* workers exit when queues are empty */
    int failed;                              /* a job failed for good */
    char err[512];                           /* first failure */
    uint64_t accepted, duplicates, rejected; /* track totals */
    char reject_msg[256];                    /* first rejection */
    uint64_t assign_calls, track_calls;      /* requests sent */
    const char *endpoint;                    /* liftd */
    lift_local_t *local;                     /* --local: the evaluator every worker uses */
    pthread_t th[POOL_THREADS_MAX];          /* workers */
    int n_threads;                           /* started */
} pool_t;

/* Starts n worker threads (1..POOL_THREADS_MAX) sending to endpoint; local: decisions by one
 * lift_local_t evaluator instead of AssignBatch. Returns 0, or -1 with the reason in p->err
 * (pool_stop() still to be called). */
int pool_start(pool_t *p, const char *endpoint, int n, int local);

/* Queues j. A track job (is_track) and its batch are the pool's from then on (freed by a
 * worker); an assign job stays the caller's, who reads j->out after pool_wait() and frees it
 * with lift_assignments_free(). */
void pool_submit(pool_t *p, pool_job_t *j);

/* Waits until at most max_assign assign jobs and max_track track jobs are pending (or a failure);
 * returns -1 after a failure. */
int pool_wait(pool_t *p, size_t max_assign, size_t max_track);

/* Records the first failure (printf format) in p->err and marks the pool failed. Any thread. */
void pool_fail(pool_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lets the workers finish the queued jobs and joins them; with --local, flushes the exposures
 * and fails the pool when any was dropped, refused or acknowledged with another arm. */
void pool_stop(pool_t *p);

#endif
