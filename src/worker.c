/* worker: one report thread fed over an inproc PAIR socket with job pointers (the jobs never
 * cross a process boundary, so a pointer is the cheapest message). */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "holdout_report.h"
#include "report.h"
#include "status.h"
#include "store.h"

struct worker {
    void *ctx;             /* borrowed ZeroMQ context */
    void *main_sock;       /* PAIR used by the server thread */
    void *thread_sock;     /* PAIR used by the worker thread */
    pthread_t thread;      /* the worker */
    int started;           /* thread is running */
    atomic_int stopping;   /* set by worker_destroy: jobs still queued go back unbuilt */
    int pending;           /* jobs submitted and not yet taken back (server thread only) */
    char store[1024];      /* store URI, for the reader */
    char currency[8];      /* deployment currency */
    log_level_t log_level; /* log threshold */
};

void worker_job_free(worker_job_t **job_p)
{
    worker_job_t *job = job_p ? *job_p : NULL;
    if (!job)
        return;
    *job_p = NULL;
    if (job->req)
        lift__report_request__free_unpacked(job->req, NULL);
    free(job->experiment);
    free(job->reply);
    free(job);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pack_reply(worker_job_t *job, const status_t *st, Lift__Report *report)
{
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__Status status = LIFT__STATUS__INIT;
    status.has_code = 1; /* always on the wire: unset reads as UNKNOWN */
    status.code = (Lift__Code)st->code;
    status.message = st->message[0] ? (char *)st->message : NULL;
    status.field = st->field[0] ? (char *)st->field : NULL;
    reply.has_request_id = 1;
    reply.request_id = job->request_id;
    reply.status = &status;
    if (report) {
        reply.body_case = LIFT__REPLY__BODY_REPORT;
        reply.report = report;
    }
    job->reply_len = lift__reply__get_packed_size(&reply);
    job->reply = malloc(job->reply_len ? job->reply_len : 1);
    if (job->reply)
        lift__reply__pack(&reply, job->reply);
    else
        job->reply_len = 0;
}

static void build(worker_t *self, store_reader_t **rd, worker_job_t *job)
{
    status_t st;
    status_ok(&st);
    Lift__Report *report = NULL;
    int program = job->req->holdout_key && *job->req->holdout_key;
    Lift__Experiment *exp =
        program ? NULL : lift__experiment__unpack(NULL, job->experiment_len, job->experiment);
    char err[256];
    if (!*rd)
        *rd = store_reader_open(self->store, err, sizeof err);
    if (program && *rd) {
        if (holdout_report_build(*rd, job->req, self->currency, now_ms(), &report, &st) < 0)
            report = NULL;
        log_emit(self->log_level, LOG_LEVEL_INFO, "program_report", "holdout=%s ok=%d",
                 job->req->holdout_key, report != NULL);
    } else if (program) {
        status_set(&st, LIFT__CODE__UNAVAILABLE, NULL, "cannot open the store for reading: %s",
                   err);
    } else if (!exp) {
        status_set(&st, LIFT__CODE__INTERNAL, NULL, "cannot decode the experiment definition");
    } else if (!*rd) {
        status_set(&st, LIFT__CODE__UNAVAILABLE, NULL, "cannot open the store for reading: %s",
                   err);
    } else {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (report_build(*rd, exp, job->experiment_id, job->req, self->currency, now_ms(), &report,
                         &st) < 0)
            report = NULL;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        log_emit(self->log_level, LOG_LEVEL_INFO, "report", "key=%s ok=%d ms=%.1f", exp->key,
                 report != NULL,
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    }
    pack_reply(job, &st, report);
    if (report && program)
        holdout_report_free(&report);
    else if (report)
        report_free(&report);
    if (exp)
        lift__experiment__free_unpacked(exp, NULL);
}

static void *run(void *arg)
{
    worker_t *self = arg;
    store_reader_t *rd = NULL;
    for (;;) {
        worker_job_t *job = NULL;
        int rc = zmq_recv(self->thread_sock, &job, sizeof job, 0);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            break;
        }
        if (rc != (int)sizeof job || !job)
            break; /* NULL job: stop */
        if (!atomic_load(&self->stopping))
            build(self, &rd, job);
        while (zmq_send(self->thread_sock, &job, sizeof job, 0) < 0 && zmq_errno() == EINTR)
            ;
    }
    store_reader_destroy(&rd);
    return NULL;
}

worker_t *worker_new(void *zmq_ctx, const char *store, const char *currency, log_level_t log_level,
                     char *err, size_t errlen)
{
    worker_t *self = calloc(1, sizeof *self);
    char endpoint[64];
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->ctx = zmq_ctx;
    self->log_level = log_level;
    snprintf(self->store, sizeof self->store, "%s", store);
    snprintf(self->currency, sizeof self->currency, "%s", currency);
    snprintf(endpoint, sizeof endpoint, "inproc://lift-worker-%p", (void *)self);
    self->main_sock = zmq_socket(zmq_ctx, ZMQ_PAIR);
    self->thread_sock = zmq_socket(zmq_ctx, ZMQ_PAIR);
    int zero = 0;
    if (!self->main_sock || !self->thread_sock ||
        zmq_setsockopt(self->main_sock, ZMQ_LINGER, &zero, sizeof zero) < 0 ||
        zmq_setsockopt(self->thread_sock, ZMQ_LINGER, &zero, sizeof zero) < 0 ||
        zmq_bind(self->main_sock, endpoint) < 0 || zmq_connect(self->thread_sock, endpoint) < 0) {
        snprintf(err, errlen, "report worker socket: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (pthread_create(&self->thread, NULL, run, self) != 0) {
        snprintf(err, errlen, "cannot start the report thread");
        goto fail;
    }
    self->started = 1;
    return self;
fail:
    worker_destroy(&self);
    return NULL;
}

void *worker_socket(worker_t *self)
{
    return self->main_sock;
}

int worker_submit(worker_t *self, worker_job_t *job)
{
    if (self->pending >= WORKER_MAX_PENDING)
        return -1;
    if (zmq_send(self->main_sock, &job, sizeof job, ZMQ_DONTWAIT) < 0)
        return -1;
    self->pending++;
    return 0;
}

worker_job_t *worker_take(worker_t *self)
{
    worker_job_t *job = NULL;
    if (zmq_recv(self->main_sock, &job, sizeof job, ZMQ_DONTWAIT) != (int)sizeof job)
        return NULL;
    self->pending--;
    return job;
}

void worker_destroy(worker_t **self_p)
{
    worker_t *self = *self_p;
    if (!self)
        return;
    if (self->started) {
        worker_job_t *stop = NULL;
        atomic_store(&self->stopping, 1);
        zmq_send(self->main_sock, &stop, sizeof stop, 0);
        /* Jobs still coming back are freed unanswered: their clients retry. */
        pthread_join(self->thread, NULL);
        worker_job_t *job;
        while ((job = worker_take(self)) != NULL)
            worker_job_free(&job);
    }
    if (self->main_sock)
        zmq_close(self->main_sock);
    if (self->thread_sock)
        zmq_close(self->thread_sock);
    free(self);
    *self_p = NULL;
}
