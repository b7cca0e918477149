/* decide: the per-customer decision that liftd and the client library's local evaluator
 * (lift/local.h) both make, from one experiment definition: the split handed to assign.c and
 * the eligibility of an offer context. Compiled into liblift and linked by liftd, so that a
 * local decision is the served one by construction. No I/O, no allocation; thread-safe. It
 * does not validate definitions (the registry does) nor record anything. */
#ifndef LIFT_DECIDE_H
#define LIFT_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "assign.h"
#include "lift.pb-c.h"
#include "lift/limits.h"

#define DECIDE_CLOCK_SKEW_MS (24LL * 3600 * 1000) /* trigger times up to now + 24 h */

/* The split of definition d for assign_bucket(): cfg borrows d's seed and namespace strings and
 * `weights` (LIFT_ARMS_MAX entries, filled here), so all three must outlive cfg. A definition
 * without a seed uses "" (the registry always fills one). The seed's hash is precomputed
 * (assign_config_seal). */
void decide_config(const Lift__Experiment *d, double *weights, assign_config_t *cfg);

/* Whether x is one of v[0..n) — an empty list allows every value (an unset filter of
 * triggers, stages or channels). Pure; thread-safe. */
int decide_in_list(const int *v, size_t n, int x);

/* Eligibility of a context (already checked with decide_context_check or liftd's own check),
 * identical for every arm: LIFT__REASON__REASON_NONE when eligible, else the first reason that
 * excludes it — not running, before start, after end, at-risk stage, suppression flags, then
 * the experiment's allowed triggers, stages and channels. */
Lift__Reason decide_eligibility(const Lift__Experiment *d, const Lift__Context *ctx,
                                int64_t now_ms);

/* What is wrong with a context, by liftd's rules for Assign: trigger, stage and channel set to
 * known non-zero values; a trigger time, when given, in [LIFT_TIME_MIN_MS, now + 24 h].
 * Returns NULL when valid, else the name of the first bad field ("trigger", "stage",
 * "channel", "trigger_time_ms"; "context" when ctx is NULL). */
const char *decide_context_check(const Lift__Context *ctx, int64_t now_ms);

/* A (checked) context's trigger time against the experiment's start (start_ms, else the first
 * start): 1 when acceptable (no trigger time, not started, or at most 24 h before the start),
 * 0 when liftd refuses it (INVALID_ARGUMENT on trigger_time_ms). */
int decide_trigger_time_ok(const Lift__Experiment *d, const Lift__Context *ctx);

#endif
