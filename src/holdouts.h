/* holdouts: the program holdouts of a deployment — definition and validation with named errors,
 * and the cache of holdouts the assignment path reads (membership and coverage are the pure
 * functions of holdout.h). A holdout is stored as a row of the store's experiment table under
 * the key "holdout:KEY" (experiment keys cannot contain ':'), so it gets generations, the
 * conditional update and the first-exposure record of the store contract unchanged: a
 * customer's first program-eligible decision is stored as an exposure of that row, arm 0 =
 * held out, arm 1 = measurement slice. No sockets, no SQL. Not thread-safe. */
#ifndef LIFT_HOLDOUTS_H
#define LIFT_HOLDOUTS_H

#include <stddef.h>
#include <stdint.h>

#include "holdout.h"
#include "lift.pb-c.h"
#include "status.h"
#include "store.h"

#define HOLDOUTS_KEY_PREFIX "holdout:"  /* store key of a holdout row: prefix + holdout key */
#define HOLDOUTS_MAX_LINKED 1000        /* experiment keys of an explicit link */
#define HOLDOUTS_MAX_EXCLUDED_IDS 10000 /* excluded customer ids */
#define HOLDOUTS_MAX_PREFIXES 100       /* excluded id prefixes */

typedef struct holdouts holdouts_t;

/* One holdout as the cache holds it. */
typedef struct {
    int64_t id;         /* store row id (its exposures' experiment_id) */
    int64_t generation; /* store generation of the state held here */
    Lift__Holdout *def; /* definition with server fields filled in */
    uint8_t *created;   /* canonical definition as created (idempotency) */
    size_t created_len; /* bytes in created */
} holdouts_entry_t;

/* Validate a definition to create (server fields ignored); fill defaults (seed = key).
 * Returns 0, or -1 with st naming the field ("holdout.percent", ...), its value and bound. */
int holdouts_validate(Lift__Holdout *h, status_t *st);

/* ---- the cache ------------------------------------------------------------------------- */

holdouts_t *holdouts_new(void);
void holdouts_destroy(holdouts_t **self_p);
void holdouts_clear(holdouts_t *self);

/* 1 when a stored experiment row is a holdout (by its key's prefix). */
int holdouts_row_is(const store_experiment_t *row);

/* A holdout row from the store: added, or updated in place. Returns 0 / -1. */
int holdouts_load_row(holdouts_t *self, const store_experiment_t *row);

int holdouts_count(const holdouts_t *self);
const holdouts_entry_t *holdouts_at(const holdouts_t *self, int i);
const holdouts_entry_t *holdouts_find(const holdouts_t *self, const char *key);

/* Create (as a draft) inside the open store transaction. The same definition again is a
 * success (*created = 0); another one under the same key is ALREADY_EXISTS. Returns 0 with
 * *out set, or -1 with st filled. The caller refreshed the cache first. */
int holdouts_create(holdouts_t *self, store_t *store, const Lift__Holdout *in, int64_t now_ms,
                    const holdouts_entry_t **out, int *created, status_t *st);

/* Start (draft -> running) or stop (running -> stopped, final; a draft may be stopped too).
 * Repeating a change that holds is a success. Conditional on the cached generation: returns
 * 0 with *out set, 1 when the row moved on in the store (refresh and call again), or -1 with
 * st filled (NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT, UNAVAILABLE). */
int holdouts_change(holdouts_t *self, store_t *store, const char *key, int action, int64_t now_ms,
                    const holdouts_entry_t **out, status_t *st);

/* The gate of one assignment decision, after the experiment's own eligibility passed and
 * before its bucketing: for every running holdout covering (exp_key, exp_started_ms, ctx) —
 * an excluded customer is skipped — the customer's first such decision is recorded as an
 * exposure of the holdout (first-or-existing, conditional on the holdout's generation).
 * Returns 0 (go on and assign), 2 (held out: answer REASON_PROGRAM_HOLDOUT), 1 (a holdout
 * moved on in the store: refresh and decide again), -1 (store failure, st filled).
 * *recorded is set to 1 when an exposure was stored now. `seen`/`remember` are the caller's
 * cache of stored exposures (may be NULL): seen returns 1 and the arm when known. */
typedef int (*holdouts_seen_fn)(void *arg, int64_t holdout_id, const char *id, size_t len,
                                int *arm);
typedef void (*holdouts_remember_fn)(void *arg, int64_t holdout_id, const char *id, size_t len,
                                     int arm);
int holdouts_gate(const holdouts_t *self, store_t *store, const char *exp_key,
                  int64_t exp_started_ms, const char *id, size_t len, const Lift__Context *ctx,
                  int64_t now_ms, holdouts_seen_fn seen, holdouts_remember_fn remember, void *cache,
                  int *recorded, status_t *st);

/* The running holdout (its key) that holds customer id out of a decision of experiment
 * exp_key in ctx at now_ms, or NULL: for exposures decided elsewhere (RecordExposures), which
 * liftd must never store for a held-out customer. */
const char *holdouts_holding(const holdouts_t *self, const char *exp_key, int64_t exp_started_ms,
                             const char *id, size_t len, const Lift__Context *ctx, int64_t now_ms);

/* RecordExposures item with holdout_key (a local evaluator's program-holdout exposure): the
 * group recomputed from liftd's definition and recorded first-or-existing. field names the
 * item ("record_exposures.exposures[3]"). Returns 0 with *arm (the stored group arm) and
 * *first set, 1 an item error (st: NOT_FOUND unknown holdout, FAILED_PRECONDITION not
 * running, not linked or in neither group), 2 the holdout moved on in the store (refresh the
 * cache and call again), -1 a store failure (st). */
int holdouts_record(const holdouts_t *self, store_t *store, const char *holdout_key,
                    const char *exp_key, int64_t exp_started_ms, const char *id, size_t len,
                    const Lift__Context *ctx, int64_t decided_ms, const char *field, int *arm,
                    int *first, status_t *st);

#endif
