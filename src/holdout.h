/* holdout: the pure part of program holdouts — the membership of a customer (GrowthBook
 * hash v2 of (holdout seed, customer id) with two ranges: held out and the measurement slice),
 * exclusions, and which experiment decisions a holdout covers. Compiled into liftd and into the
 * client library (local evaluation, lift/local.h), so a local decision is the served one by
 * construction. No I/O, no allocation; thread-safe. */
#ifndef LIFT_HOLDOUT_H
#define LIFT_HOLDOUT_H

#include <stddef.h>
#include <stdint.h>

#include "lift.pb-c.h"

#define HOLDOUT_ARM_HELD_OUT 0 /* exposure arm of a held-out customer */
#define HOLDOUT_ARM_MEASURED 1 /* exposure arm of a measurement-slice customer */

/* The group of a customer by hash and exclusions alone (Lift__HoldoutGroup values). */
typedef enum {
    HOLDOUT_GROUP_NONE = 0,     /* neither range: treated, not measured */
    HOLDOUT_GROUP_HELD_OUT = 1, /* n < p */
    HOLDOUT_GROUP_MEASURED = 2, /* p <= n < 2p */
    HOLDOUT_GROUP_EXCLUDED = 3  /* excluded by id or prefix: neither held out nor measured */
} holdout_group_t;

/* The group of customer id (len bytes, valid per assign_customer_id_check) under definition
 * h: excluded ids and prefixes first, then n = hash_v2(seed, id) (assign_hash_v2: the same
 * value GrowthBook's SDK computes; the seed defaults to the key), p = percent / 100: held out
 * iff n < p, measured iff p <= n < 2 * p. Returns the group, or -1 when the seed or id is not
 * valid UTF-8. */
int holdout_group(const Lift__Holdout *h, const char *id, size_t len);

/* Is experiment `exp_key` (first started at exp_started_ms, 0 = never) linked to holdout h
 * (started at h_started_ms): named in experiment_keys (LINK_EXPLICIT), or started at or after
 * the holdout (LINK_STARTED_AFTER)? */
int holdout_links(const Lift__Holdout *h, int64_t h_started_ms, const char *exp_key,
                  int64_t exp_started_ms);

/* Does holdout h (status not looked at) cover a decision of experiment `exp_key` (its first
 * start) in context ctx (NULL: any) at now_ms? Linked, inside [start_ms, end_ms), and in the
 * holdout's scope (triggers, stages, channels; an empty list covers every value). */
int holdout_covers(const Lift__Holdout *h, int64_t h_started_ms, const char *exp_key,
                   int64_t exp_started_ms, const Lift__Context *ctx, int64_t now_ms);

/* A running holdout's verdict on an eligible decision of experiment exp_key: the group of the
 * customer when h is running and covers the decision (HOLDOUT_GROUP_HELD_OUT: no arm, reason
 * REASON_PROGRAM_HOLDOUT; HELD_OUT and MEASURED: the decision is the customer's exposure to the
 * holdout), else HOLDOUT_GROUP_NONE. -1 on invalid UTF-8. */
int holdout_decide(const Lift__Holdout *h, const char *exp_key, int64_t exp_started_ms,
                   const char *id, size_t len, const Lift__Context *ctx, int64_t now_ms);

#endif
