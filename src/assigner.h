/* assigner: the stateful half of an assignment, after the stateless checks (customer id,
 * eligibility): the program holdouts' gate, the bucket (assign.c), and the customer's first
 * exposure recorded in the store, with the sticky cache of stored exposures in front of the
 * store. It owns that cache and the rule that keeps it true: whatever a rollback undoes is
 * forgotten (the hooks below). Builds no replies, knows nothing of ZeroMQ; not thread-safe
 * (the server loop owns it). */
#ifndef LIFT_ASSIGNER_H
#define LIFT_ASSIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "lift.pb-c.h"
#include "log.h"
#include "registry.h"
#include "status.h"
#include "sticky.h"
#include "store.h"

typedef struct assigner assigner_t;

/* What assigner_assign decided for one customer. */
typedef struct {
    int eligible;        /* 1: past the program holdouts (then bucketed) */
    Lift__Reason reason; /* REASON_NONE when in the experiment, else why not */
    int arm;             /* arm index, -1 when not in the experiment */
    int first_exposure;  /* 1: this call recorded the customer's first exposure */
    int wrote;           /* 1: this call wrote to the store (an experiment or holdout exposure) */
} assigner_result_t;

/* Borrow store and registry (both must outlive the assigner). NULL when out of memory. */
assigner_t *assigner_new(store_t *store, registry_t *registry, log_level_t log_level);

/* Free (with the cache); accepts NULL; sets *self_p to NULL. */
void assigner_destroy(assigner_t **self_p);

/* The cache of stored exposures, borrowed, for a reader that checks exposures too (ingest's
 * impression check, ingest_set_sticky). Such a reader may put only exposures that are stored
 * and were not written by the request in hand. */
sticky_t *assigner_cache(assigner_t *self);

/* Decide customer id[0..len) (already checked valid and eligible) for experiment e under ctx at
 * now_ms: the holdout gate, the bucket, then the stored arm for a repeat or the first exposure
 * recorded in the store's transaction in hand (never check-then-insert). Returns 0 with *r
 * filled; 1 when the store says the experiment (or a holdout) moved on since the registry read
 * it (nothing recorded: refresh the registry and call again); -1 on a store failure (st
 * filled: the request's writes must be undone). */
int assigner_assign(assigner_t *self, const registry_entry_t *e, const char *id, size_t len,
                    const Lift__Context *ctx, int64_t now_ms, assigner_result_t *r, status_t *st);

/* The rollback hooks, around the store's transaction (the owner calls them; handlers.c does):
 * request_begin before a request; request_end after it, kept = 0 when its writes were undone
 * alone (store_request_end(keep = 0)); batch_end after the batch's transaction, committed = 0
 * when it was rolled back as a whole. Whatever was undone is forgotten: the cache never claims
 * an exposure the store does not hold. */
void assigner_request_begin(assigner_t *self);
void assigner_request_end(assigner_t *self, int kept);
void assigner_batch_end(assigner_t *self, int committed);

#endif
