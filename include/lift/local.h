/* Lift local evaluation: assignment decisions in the sender's process, without a round trip to
 * liftd, with the same eligibility rules and the same arm as liftd (the very same code: liftd
 * links the decision functions of this library), and first exposures recorded in liftd
 * asynchronously, in batches.
 *
 * Contract
 *  - Definitions: fetched from liftd when the evaluator is created (ListExperiments), then
 *    refreshed every refresh interval (default 1 s) with the changes since the generation held.
 *    A decision after a pause, resume, stop or ramp made through liftd is therefore stale for at
 *    most one refresh interval (plus one request while liftd answers). While no liftd answers,
 *    decisions go on with the definitions last fetched.
 *  - Exposures: the first in-experiment decision of a (experiment, customer) pair in this
 *    process queues an exposure (decision time, context, arm). A background thread sends the
 *    queue every flush interval (default 100 ms) and on lift_local_destroy() as RecordExposures
 *    batches, to the endpoints of the list with failover; a batch that no liftd acknowledged is
 *    kept and sent again (RecordExposures is idempotent: the exposure stored first wins, liftd
 *    returns its arm). An exposure is durable once the flush carrying it was acknowledged
 *    (lift_local_stats().sent counts those; lift_local_flush() waits for it). A crash of the
 *    sending process loses at most the exposures not yet acknowledged: the queue, at most
 *    buffer_max of them. Past buffer_max queued exposures, new ones are dropped and counted
 *    (lift_local_stats().dropped); the decisions themselves still succeed.
 *  - Definition skew: when liftd acknowledges an exposure with an arm other than the local
 *    decision (the stored exposure wins — it was decided earlier, elsewhere, or the definitions
 *    differ), it is counted (skew) and logged through opts.log.
 *  - Threading: lift_local_assign() and lift_local_assign_batch() may be called from any number
 *    of threads at once. A decision reads the current definitions through one atomic pointer
 *    (no lock); queueing a first exposure takes a mutex. One background thread (created by
 *    lift_local_new) refreshes and flushes over its own lift_client_t. Definitions replaced by a
 *    refresh stay allocated until lift_local_destroy(), so the arm strings of a decision stay
 *    valid until then. */
#ifndef LIFT_LOCAL_H
#define LIFT_LOCAL_H

#include <stddef.h>
#include <stdint.h>

#include "lift/client.h"

#define LIFT_LOCAL_REFRESH_MS 1000   /* default definitions refresh interval */
#define LIFT_LOCAL_FLUSH_MS 100      /* default exposure flush interval */
#define LIFT_LOCAL_BUFFER_MAX 100000 /* default bound on queued exposures */
#define LIFT_LOCAL_FLUSH_BATCH 5000  /* exposures per RecordExposures request */
#define LIFT_LOCAL_REMEMBER 250000   /* default queued pairs remembered (8 MiB) */

typedef struct lift_local lift_local_t;

typedef struct {
    int refresh_ms;    /* definitions refresh; <= 0: LIFT_LOCAL_REFRESH_MS */
    int flush_ms;      /* exposure flush; <= 0: LIFT_LOCAL_FLUSH_MS */
    size_t buffer_max; /* queued exposures kept; 0: LIFT_LOCAL_BUFFER_MAX */
    /* (experiment, customer) pairs whose exposure was queued, remembered so that a repeat
     * decision queues nothing (32 bytes each; 0: LIFT_LOCAL_REMEMBER). Past it, older pairs
     * are forgotten and may be queued again: liftd answers them as existing, nothing doubles. */
    size_t remember;
    const lift_client_opts_t *client; /* timeouts, attempts, CURVE keys of the connection to
                                         liftd; NULL: timeout 1000 ms, attempts 2 */
    /* Receives one line per definition-skew or rejected exposure (the first and then every
     * 1000th), from the background thread. NULL: written to stderr. */
    void (*log)(void *arg, const char *line);
    void *log_arg; /* passed to log */
} lift_local_opts_t;

/* Counters since lift_local_new (monotonic, except buffered and generation). */
typedef struct {
    uint64_t queued;           /* first exposures queued */
    uint64_t dropped;          /* first exposures not queued: the queue held buffer_max */
    uint64_t sent;             /* exposures acknowledged by liftd (durable) */
    uint64_t first;            /* of those, stored by this evaluator's flush */
    uint64_t skew;             /* acknowledged with a stored arm other than the local decision */
    uint64_t rejected;         /* refused by liftd for the item (unknown experiment, ...) */
    uint64_t flush_failures;   /* flushes that no liftd acknowledged (kept for the next) */
    uint64_t refreshes;        /* refreshes that brought changed definitions */
    uint64_t refresh_failures; /* refreshes that no liftd answered */
    size_t buffered;           /* exposures queued now, not yet acknowledged */
    uint64_t generation;       /* generation of the definitions held */
} lift_local_stats_t;

/* Connects to `endpoint` (one endpoint or a comma-separated list, as lift_client_new), fetches
 * every experiment's definition and starts the background thread. opts NULL = defaults.
 * Returns NULL when the definitions cannot be fetched, with the reason in err (may be NULL).
 * The caller frees the evaluator with lift_local_destroy(). */
lift_local_t *lift_local_new(const char *endpoint, const lift_local_opts_t *opts, char *err,
                             size_t errlen);

/* Flushes the queue (for at most the client's attempts x timeout), stops the background
 * thread and frees everything; accepts NULL and *self_p == NULL; sets *self_p = NULL. Exposures
 * still queued after that last flush are lost (counted in neither sent nor dropped). */
void lift_local_destroy(lift_local_t **self_p);

/* Decides customer_id's arm in experiment `key` in context ctx, in-process, exactly as liftd's
 * Assign would with the definitions held: LIFT_ERR_NOT_FOUND for an unknown key,
 * LIFT_ERR_INVALID_ARGUMENT for a context liftd would refuse (trigger, stage, channel
 * required; trigger time bounds); else LIFT_OK with *out filled like lift_assign(): a rejected
 * customer id is LIFT_OK with out->error_code set (out->error: the rule it broke, static
 * storage), a customer outside eligibility or coverage has in_experiment false and the reason.
 * out->first_exposure is true when this decision queued the customer's exposure.
 * out->customer_id is customer_id itself; arm strings stay valid until lift_local_destroy().
 * Nothing to free (lift_assignment_clear() is harmless). Any thread. */
lift_err_t lift_local_assign(lift_local_t *self, const char *key, const char *customer_id,
                             const lift_context_t *ctx, lift_assignment_t *out);

/* lift_local_assign for n customers in one context, into the caller's array out[0..n-1]
 * (same rules; one definitions snapshot for the whole batch). Any thread. */
lift_err_t lift_local_assign_batch(lift_local_t *self, const char *key,
                                   const char *const *customer_ids, size_t n,
                                   const lift_context_t *ctx, lift_assignment_t *out);

/* Asks the background thread to flush now and waits until the queue is empty and acknowledged,
 * for at most timeout_ms. Returns LIFT_OK, or LIFT_ERR_UNAVAILABLE when exposures are still
 * queued at the deadline (liftd unreachable). Any thread. */
lift_err_t lift_local_flush(lift_local_t *self, int timeout_ms);

/* Asks the background thread to refresh the definitions now and waits for it, for at most
 * timeout_ms. Returns LIFT_OK after a refresh that liftd answered, else LIFT_ERR_UNAVAILABLE.
 * Any thread. */
lift_err_t lift_local_refresh(lift_local_t *self, int timeout_ms);

/* A copy of the counters. Any thread. */
void lift_local_stats(lift_local_t *self, lift_local_stats_t *out);

/* The program-holdout group of customer id (len bytes) under holdout definition h, by the hash
 * and exclusions alone, the way liftd computes it: a Lift__HoldoutGroup value
 * (LIFT__HOLDOUT_GROUP__GROUP_EXCLUDED for an excluded id or prefix, else GROUP_HELD_OUT when
 * hash_v2(seed, id) < percent / 100, GROUP_MEASURED below twice that, else GROUP_NONE; the seed
 * defaults to the key). Returns -1 when the seed or id is not valid UTF-8. Needs no evaluator:
 * a pure function of its arguments, no allocation; any thread. */
int lift_holdout_group(const Lift__Holdout *h, const char *id, size_t len);

#endif
