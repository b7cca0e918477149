/* registry: experiment definitions — validation with named errors, the state machine
 * (draft -> running <-> paused -> stopped, ramps), eligibility of an offer context, and an
 * in-memory cache of every experiment for the assignment path. Persists through store.h;
 * knows nothing of sockets. Not thread-safe: owned by the server's request loop. */
#ifndef LIFT_REGISTRY_H
#define LIFT_REGISTRY_H

#include <stdint.h>

#include "assign.h"
#include "lift.pb-c.h"
#include "lift/limits.h"
#include "status.h"
#include "store.h"

/* Every bound is the protocol's (lift/limits.h), shared with the clients. */

typedef struct registry registry_t;

/* One experiment as the assignment path sees it. Owned by the registry; valid until the next
 * registry call that changes experiments. */
typedef struct {
    int64_t id;                    /* store id */
    int64_t generation;            /* store generation of the state held here */
    Lift__Experiment *def;         /* current definition; server fields filled in */
    uint8_t *created;              /* canonical definition as created (idempotency) */
    size_t created_len;            /* bytes in created */
    double weights[LIFT_ARMS_MAX]; /* arm weights, for cfg */
    assign_config_t cfg;           /* split, borrowing def's strings and weights */
    char checksum[17];             /* fnv1a-64 of the current definition, hex */
} registry_entry_t;

/* Load every experiment from the store. Returns NULL with a message on failure. */
registry_t *registry_new(store_t *store, char *err, size_t errlen);

/* Free; accepts NULL; sets *self_p to NULL. */
void registry_destroy(registry_t **self_p);

/* Drop the cache and load it again from the store (after a failed commit). Entries pointers
 * become invalid. Returns 0 / -1. */
int registry_reload(registry_t *self, char *err, size_t errlen);

/* Bring the cache up to date with the store when its generation moved (changes made through
 * other instances sharing it): one cheap store_generation poll, then only the experiments
 * changed since the last generation seen. Entries are updated in place (entry pointers and
 * their definitions' strings stay valid); new experiments are added. Returns 0 / -1 (message
 * in err; the cache keeps what it had). */
int registry_refresh(registry_t *self, char *err, size_t errlen);

/* registry_refresh for a request: on failure st says why (the store's error class as the
 * code). Then, when key is not NULL, the experiment `key` into *e (it vanishing is INTERNAL).
 * Returns 0, or -1 with st set. Same thread as the registry. */
int registry_refresh_find(registry_t *self, const char *key, const registry_entry_t **e,
                          status_t *st);

/* Validate `in`, fill defaults and store it as a draft. Creating the same key with the same
 * definition again is a success (*created = 0); a different one is ALREADY_EXISTS.
 * Returns 0 with *out set, or -1 with st filled. Must run inside a store transaction. */
int registry_create(registry_t *self, const Lift__Experiment *in, int64_t now_ms,
                    const registry_entry_t **out, int *created, status_t *st);

/* Find by key; NULL when unknown. */
const registry_entry_t *registry_find(const registry_t *self, const char *key);

/* Apply a state change (Action) or a ramp to `coverage`. Repeating a change that already
 * holds (start a running experiment, ramp to the current coverage) is a success, so retries
 * are safe. The update is conditional on the generation the cache holds: when another
 * instance changed the experiment meanwhile, it is read again and the change decided again on
 * what it is now. Returns 0 with *out set, or -1 with st filled (NOT_FOUND,
 * FAILED_PRECONDITION, INVALID_ARGUMENT, UNAVAILABLE). Must run inside a store transaction. */
int registry_change(registry_t *self, const char *key, int action, int has_coverage,
                    double coverage, int64_t now_ms, const registry_entry_t **out, status_t *st);

/* The program holdouts, loaded and refreshed with the experiments (holdout.h). */
typedef struct holdouts holdouts_t;
holdouts_t *registry_holdouts(const registry_t *self);

/* Number of experiments and the i-th (creation order). */
int registry_count(const registry_t *self);
const registry_entry_t *registry_at(const registry_t *self, int i);

/* Every choice of an enum for an error message: "TRIGGER_USAGE_THRESHOLD = 1 (usage_threshold),
 * ..." (0 and the readers' UNKNOWN left out), truncated to len. */
void registry_enum_choices(const ProtobufCEnumDescriptor *desc, char *buf, size_t len);

/* Validate an offer context: trigger, stage and channel set to known values, trigger time (if
 * given) in [2000-01-01, now + 24 h]. `field` prefixes the field names in messages.
 * Returns 0, or -1 with st filled (INVALID_ARGUMENT). */
int registry_context_check(const Lift__Context *ctx, const char *field, int64_t now_ms,
                           status_t *st);

/* A (validated) context's trigger time against the experiment's start (start_ms, else the
 * first start): an exposure whose trigger fired more than 24 h before the experiment began is
 * not a moment of this experiment, and would stretch the report's default window back to it.
 * Returns 0 (also when no trigger time is given or the experiment has not started), or -1 with
 * st filled (INVALID_ARGUMENT, naming both times). */
int registry_trigger_time_check(const registry_entry_t *e, const Lift__Context *ctx,
                                const char *field, status_t *st);

/* Eligibility of a (validated) context, identical for every arm: LIFT__REASON__REASON_NONE
 * when eligible, else the first reason that excludes it. */
Lift__Reason registry_eligibility(const registry_entry_t *e, const Lift__Context *ctx,
                                  int64_t now_ms);

#endif
