/* worker: the report thread on its own — jobs prepared by the handlers (handlers_report_job)
 * over a SQLite store in a temporary directory, submitted, built on the thread's own reader and
 * taken back; the bound on jobs in flight; stopping with jobs still queued; the errors a job
 * can end in (no reader, an undecodable definition). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "handlers.h"
#include "lift/limits.h"
#include "lift.pb-c.h"
#include "testutil.h"
#include "worker.h"

Suite *worker_suite(void);

#define NOW_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static char D[256];   /* temporary directory */
static char URI[300]; /* sqlite:D */
static handlers_t *H; /* prepares the jobs */
static void *CTX;     /* ZeroMQ context of the worker */
static worker_t *W;   /* under test */

static void setup(void)
{
    char err[512];
    tu_tempdir(D, sizeof D);
    snprintf(URI, sizeof URI, "sqlite:%s", D);
    handlers_config_t cfg = {
        .store = URI, .currency = "USD", .clock_skew_ms = 86400000, .log_level = LOG_LEVEL_ERROR};
    H = handlers_open(&cfg, err, sizeof err);
    ck_assert_msg(H != NULL, "%s", err);
    tu_handlers_two_arm(H, "offer", 0, NOW_MS);
    CTX = zmq_ctx_new();
    ck_assert_ptr_nonnull(CTX);
    W = worker_new(CTX, URI, "USD", LOG_LEVEL_ERROR, err, sizeof err);
    ck_assert_msg(W != NULL, "%s", err);
}

static void teardown(void)
{
    worker_destroy(&W);
    ck_assert_ptr_null(W);
    zmq_ctx_term(CTX);
    handlers_destroy(&H);
    tu_rmtree(D);
}

/* A job for a report of "offer" with request_id id. */
static worker_job_t *job_for(uint64_t id)
{
    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
    q.experiment_key = "offer";
    Lift__Request req = LIFT__REQUEST__INIT;
    req.request_id = id;
    req.body_case = LIFT__REQUEST__BODY_REPORT;
    req.report = &q;
    worker_job_t *job;
    handlers_out_t out;
    ck_assert_int_eq(handlers_report_job(H, &req, &job, &out), 1);
    return job;
}

/* Wait (up to 20 s) for a finished job and take it. */
static worker_job_t *take(void)
{
    for (int i = 0; i < 200; i++) {
        worker_job_t *job = worker_take(W);
        if (job)
            return job;
        zmq_pollitem_t it = {worker_socket(W), 0, ZMQ_POLLIN, 0};
        zmq_poll(&it, 1, 100);
    }
    ck_abort_msg("no job came back from the report thread in 20 s");
    return NULL;
}

/* The job's reply: decoded, for request_id id, with code; freed with the job. */
static void expect_reply(worker_job_t *job, uint64_t id, int code, const char *msg)
{
    ck_assert_ptr_nonnull(job->reply);
    Lift__Reply *r = lift__reply__unpack(NULL, job->reply_len, job->reply);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->request_id, id);
    ck_assert_int_eq(r->status->code, code);
    if (code == LIFT__CODE__OK) {
        ck_assert_int_eq(r->body_case, LIFT__REPLY__BODY_REPORT);
        ck_assert_uint_eq(r->report->n_arms, 2);
    } else {
        ck_assert_msg(r->status->message && strstr(r->status->message, msg), "%s",
                      r->status->message);
    }
    lift__reply__free_unpacked(r, NULL);
    worker_job_free(&job);
}

/* WORKER_MAX_PENDING jobs submitted, request ids 1..WORKER_MAX_PENDING, each accepted. */
static void submit_max(void)
{
    for (int i = 0; i < WORKER_MAX_PENDING; i++)
        ck_assert_int_eq(worker_submit(W, job_for((uint64_t)i + 1)), 0);
}

START_TEST(one_report)
{
    ck_assert_ptr_null(worker_take(W)); /* nothing submitted, nothing back */
    ck_assert_int_eq(worker_submit(W, job_for(11)), 0);
    expect_reply(take(), 11, LIFT__CODE__OK, NULL);
    ck_assert_ptr_null(worker_take(W));
}
END_TEST

/* WORKER_MAX_PENDING jobs in flight (queued, running, or done and not taken back): the next is
 * refused and stays the caller's; taking one back makes room. */
START_TEST(pending_bound)
{
    submit_max();
    worker_job_t *extra = job_for(999);
    ck_assert_int_eq(worker_submit(W, extra), -1);
    int seen[WORKER_MAX_PENDING + 1] = {0};
    for (int i = 0; i < WORKER_MAX_PENDING; i++) {
        worker_job_t *job = take();
        ck_assert_uint_ge(job->request_id, 1);
        ck_assert_uint_le(job->request_id, WORKER_MAX_PENDING);
        seen[job->request_id]++;
        expect_reply(job, job->request_id, LIFT__CODE__OK, NULL);
        if (i == 0)
            ck_assert_int_eq(worker_submit(W, extra), 0); /* room again */
    }
    for (int i = 1; i <= WORKER_MAX_PENDING; i++)
        ck_assert_int_eq(seen[i], 1);
    expect_reply(take(), 999, LIFT__CODE__OK, NULL);
    ck_assert_ptr_null(worker_take(W));
}
END_TEST

/* Stopping with the queue full: worker_destroy returns promptly and frees every job (the
 * memory checkers see a leak otherwise). */
START_TEST(stop_with_jobs_queued)
{
    submit_max();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    worker_destroy(&W);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_ptr_null(W);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    ck_assert_msg(s < 10, "worker_destroy took %.1f s", s);
    worker_destroy(&W); /* NULL is fine */
}
END_TEST

START_TEST(job_errors)
{
    worker_job_t *job = job_for(21);
    free(job->experiment);
    job->experiment = malloc(3);
    memcpy(job->experiment, "\xff\xff\xff", 3); /* not a Lift.Experiment */
    job->experiment_len = 3;
    ck_assert_int_eq(worker_submit(W, job), 0);
    expect_reply(take(), 21, LIFT__CODE__INTERNAL, "cannot decode the experiment definition");

    char err[256], gone[400];
    snprintf(gone, sizeof gone, "sqlite:%s/missing", D);
    worker_t *w2 = worker_new(CTX, gone, "USD", LOG_LEVEL_ERROR, err, sizeof err);
    ck_assert_msg(w2 != NULL, "%s", err);
    worker_t *keep = W;
    W = w2;
    ck_assert_int_eq(worker_submit(W, job_for(22)), 0);
    expect_reply(take(), 22, LIFT__CODE__UNAVAILABLE, "cannot open the store for reading");
    worker_destroy(&w2);
    W = keep;
}
END_TEST

Suite *worker_suite(void)
{
    Suite *s = suite_create("worker");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, one_report);
    tcase_add_test(tc, stop_with_jobs_queued);
    suite_add_tcase(s, tc);
    TCase *tl = tcase_create("limits");
    tcase_add_checked_fixture(tl, setup, teardown);
    tcase_set_timeout(tl, 120);
    tcase_add_test(tl, pending_bound);
    suite_add_tcase(s, tl);
    TCase *te = tcase_create("errors");
    tcase_add_checked_fixture(te, setup, teardown);
    tcase_set_timeout(te, 120);
    tcase_add_test(te, job_errors);
    suite_add_tcase(s, te);
    return s;
}
