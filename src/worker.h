/* worker: the report thread. The server loop hands it Report requests (with a copy of the
 * experiment definition) over an inproc socket; it builds each report on a read snapshot of
 * the store and hands the packed reply back, so assignments and ingestion keep flowing while a
 * report runs. It never touches the ROUTER socket (ZeroMQ sockets are not thread-safe). */
#ifndef LIFT_WORKER_H
#define LIFT_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "lift.pb-c.h"
#include "lift/limits.h"
#include "log.h"

#define WORKER_MAX_PENDING                                                                         \
    LIFT_REPORTS_IN_FLIGHT /* reports queued or running before RESOURCE_EXHAUSTED */

typedef struct worker worker_t;

/* A report to build, from the server loop to the worker and back. */
typedef struct {
    uint8_t rid[256];         /* peer routing id */
    size_t rid_len;           /* bytes in rid */
    int delimiter;            /* REQ envelope */
    uint64_t request_id;      /* echoed */
    Lift__ReportRequest *req; /* owned: unpacked request body */
    uint8_t *experiment;      /* owned: packed Lift__Experiment (definition + server fields) */
    size_t experiment_len;    /* bytes in experiment */
    int64_t experiment_id;    /* store id */
    uint8_t *reply;           /* set by the worker: packed lift.Reply (owned) */
    size_t reply_len;         /* bytes in reply */
} worker_job_t;

/* Start the worker thread reading the store named by the URI `store` (its own reader, opened
 * at the first job). `zmq_ctx` is the server's context. Returns NULL with a message on
 * failure. */
worker_t *worker_new(void *zmq_ctx, const char *store, const char *currency, log_level_t log_level,
                     char *err, size_t errlen);

/* The socket the server polls for finished jobs (ZMQ_POLLIN). */
void *worker_socket(worker_t *self);

/* Queue a job; takes ownership on success (returns 0). Returns -1 when WORKER_MAX_PENDING jobs
 * are pending (the caller keeps the job and answers RESOURCE_EXHAUSTED). */
int worker_submit(worker_t *self, worker_job_t *job);

/* Take one finished job (NULL when none); the caller sends job->reply and frees the job with
 * worker_job_free. */
worker_job_t *worker_take(worker_t *self);

/* Free a job and everything it owns and set *job_p to NULL; accepts NULL and *job_p == NULL. */
void worker_job_free(worker_job_t **job_p);

/* Stop the thread after the job in hand (jobs still queued are not built) and free every job
 * not taken back, unanswered (their clients retry); accepts NULL; sets *self_p to NULL.
 * Server thread only. */
void worker_destroy(worker_t **self_p);

#endif
