/* handlers: every request's logic — one decoded lift.Request in, one packed lift.Reply out:
 * validation (Report requests too), the registry, the assignment path (its stateful half in
 * assigner.h), ingest and holdouts, inside the store transaction a batch of requests shares.
 * The server brings the bytes and decides where a batch ends; it never touches the store.
 * Knows nothing of ZeroMQ. Not thread-safe: the server loop owns it. */
#ifndef LIFT_HANDLERS_H
#define LIFT_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include "lift.pb-c.h"
#include "ingest.h"
#include "log.h"
#include "registry.h"
#include "store.h"
#include "worker.h"

typedef struct handlers handlers_t;

/* The outcome of one request. */
typedef struct {
    uint8_t *bytes; /* packed lift.Reply, malloc'd; the caller frees */
    size_t len;     /* bytes in bytes */
    int wrote;      /* 1: the request changed the store (its reply waits for the commit) */
    int failed;     /* 1: the request's writes were undone (its reply is an error) */
} handlers_out_t;

/* What handlers_open opens. */
typedef struct {
    const char *store;       /* store URI: sqlite:DIR or postgresql://... (store.h) */
    const char *currency;    /* ISO 4217 code of all amounts; must match what the store holds */
    int64_t clock_skew_ms;   /* events further in the future are rejected */
    int64_t max_store_bytes; /* storage quota (store_set_max_bytes); 0 = none */
    log_level_t log_level;   /* log threshold */
} handlers_config_t;

/* Open the store (with its quota), load the registry, check the deployment's currency against
 * the store (recorded at the first start) and set up ingest; the handlers own all of it. NULL
 * with a message on failure. */
handlers_t *handlers_open(const handlers_config_t *cfg, char *err, size_t errlen);

/* Handlers over a store, registry and ingest the caller keeps (all must outlive the handlers):
 * for tests and tools that set those up themselves. NULL when out of memory. */
handlers_t *handlers_new(store_t *store, registry_t *registry, ingest_t *ingest,
                         log_level_t log_level);

/* Free, with what handlers_open opened; accepts NULL; sets *self_p to NULL. */
void handlers_destroy(handlers_t **self_p);

/* One line for the start-up log: "store=URI backend=B schema=N experiments=N events=N". */
void handlers_describe(handlers_t *self, char *buf, size_t len);

/* The batch contract. The server calls, for each batch:
 *   handlers_batch_begin, then handlers_handle for each request (handlers_report_job for a
 *   Report) while handlers_batch_broken says 0, then handlers_batch_end,
 * and holds every reply of a request that wrote (out.wrote), and of every request after one,
 * until handlers_batch_end returns 0. One store transaction spans the batch (group commit);
 * each request has its own savepoint, so a request that fails is undone alone. The handlers
 * keep their caches true through it (assigner.h): what a rollback undoes is forgotten.
 *
 * handlers_batch_begin: opens the transaction and takes the experiment changes other liftd
 * made (shared stores). Returns 0, or -1 with a message: the batch then has no transaction and
 * handlers_handle answers every request UNAVAILABLE. */
int handlers_batch_begin(handlers_t *self, char *err, size_t errlen);

/* Handle one request of the batch (NULL when its bytes did not decode: `why` says what was
 * wrong, answered INVALID_ARGUMENT). Fills *out (out->bytes NULL only when not even an error
 * reply could be built; returns -1 then, else 0). A Report is not handled here. */
int handlers_handle(handlers_t *self, const Lift__Request *req, const char *why, int64_t now_ms,
                    handlers_out_t *out);

/* 1 when a request could be neither kept nor undone alone: no further request may join the
 * batch (handlers_handle answers UNAVAILABLE) and handlers_batch_end rolls it back. */
int handlers_batch_broken(const handlers_t *self);

/* End the batch: commit, or roll back when it is broken or the commit fails (then the registry
 * is reloaded from the store and cached exposures forgotten). Returns 0 when the batch's writes
 * are durable (or it had no transaction), -1 with a message when they are gone: every reply
 * still held must then leave as an error. */
int handlers_batch_end(handlers_t *self, char *err, size_t errlen);

/* A Report request: checked (report.segment_by's bound; experiment_key or holdout_key, not
 * both; the experiment exists) and turned into a job for the report thread, with a copy of the
 * experiment as it is now and its own copy of the request body. Returns 1 with *job (malloc'd:
 * the caller fills its routing fields and hands it to worker_submit, or frees it with
 * worker_job_free); 0 with *out holding the error reply instead. */
int handlers_report_job(handlers_t *self, const Lift__Request *req, worker_job_t **job,
                        handlers_out_t *out);

/* Write into buf the path of `field` from the Request message: a path relative to the request
 * body gets the body's field name in front ("key" -> "get_experiment.key"); one already rooted
 * there is kept. "" when field is NULL or empty. */
void handlers_field_path(const Lift__Request *req, const char *field, char *buf, size_t len);

/* Pack an error reply for request_id with code and message (the server uses it for requests
 * it refuses itself and for replies a failed commit voids). Returns 0 / -1 (out of memory). */
int handlers_error_reply(uint64_t request_id, int code, const char *field, const char *message,
                         handlers_out_t *out);

#endif
