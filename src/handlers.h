/* handlers: one decoded lift.Request in, one packed lift.Reply out. Dispatches to the registry
 * and the assignment path; all writes go through the store inside the transaction the server
 * holds open for the batch. Knows nothing of ZeroMQ. Not thread-safe: the server loop owns it. */
#ifndef LIFT_HANDLERS_H
#define LIFT_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include "lift.pb-c.h"
#include "ingest.h"
#include "log.h"
#include "registry.h"
#include "store.h"

typedef struct handlers handlers_t;

/* The outcome of one request. */
typedef struct {
    uint8_t *bytes;   /* packed lift.Reply, malloc'd; the caller frees */
    size_t len;       /* bytes in bytes */
    int wrote;        /* 1: the request changed the store (its reply waits for the commit) */
    int failed;       /* 1: roll this request's writes back (its reply is an error) */
} handler_out_t;

/* Borrow store, registry and ingest (all must outlive the handlers). */
handlers_t *handlers_new(store_t *store, registry_t *registry, ingest_t *ingest,
                         log_level_t log_level);
void handlers_destroy(handlers_t **self_p);

/* Handle a request (NULL when the bytes did not decode: `why` says what was wrong).
 * Fills *out; returns 0, or -1 when out of memory (no reply could be built). */
int handlers_handle(handlers_t *self, const Lift__Request *req, const char *why, int64_t now_ms,
                    handler_out_t *out);

/* Around one request inside the batch's transaction: request_end with kept = 0 when the
 * request's writes were rolled back alone (after store_request_end(keep = 0)), so the sticky
 * cache forgets the exposures it recorded. */
void handlers_request_begin(handlers_t *self);
void handlers_request_end(handlers_t *self, int kept);

/* The batch's transaction committed (ok = 1) or rolled back (ok = 0): forget cached
 * exposures that were rolled back. */
void handlers_batch_done(handlers_t *self, int ok);

/* Write into buf the path of `field` from the Request message: a path relative to the request
 * body gets the body's field name in front ("key" -> "get_experiment.key"); one already rooted
 * there is kept. "" when field is NULL or empty. */
void handlers_field_path(const Lift__Request *req, const char *field, char *buf, size_t len);

/* Pack an error reply for request_id with code and message (used by the server when a commit
 * fails and for envelope errors). Returns 0 / -1 (out of memory). */
int handlers_error_reply(uint64_t request_id, int code, const char *field, const char *message,
                         handler_out_t *out);

#endif
