/* model: liftsim's simulation of a SaaS customer base against a real liftd, and the ground truth
 * it created. It parses no command line and no config (opts.h, config.h); it computes no report
 * and no statistics: comparing the truth with liftd's report is the point.
 *
 * Model (numbers from the config, examples/sim.json; every draw from one gsl_rng_mt19937 seeded
 * by --seed, in a fixed order, so a seed gives the same customers, events and event ids):
 *  - Customers s<seed>-<tag>-c<i> have a plan (price in minor units, from a plan mix), a
 *    lifecycle stage (onboarding, growth, maturity, renewal, at_risk) that moves once a week by
 *    per-stage transition probabilities, and a propensity ~ Gamma(k, 1/k) (mean 1) that scales
 *    their upgrade chances. <tag> hashes the config, --customers and --weeks.
 *  - Time runs day by day over history_days before the experiment start (no offers: pre-exposure
 *    revenue and NPS for CUPED) and then --weeks weeks ending now. Events after now are not sent.
 *  - Each day a live customer may churn (churn_weekly/7), upgrade organically (organic_weekly/7
 *    x propensity), answer an NPS survey (nps_weekly/7; mean by stage, shifted if annoyed), and
 *    emit at most one trigger (trigger_rate/7), with a trigger kind and a channel drawn from
 *    their mixes and suppression flags (open ticket, billing dispute).
 *  - A trigger puts the customer in market: with chance q = in_market[stage] x
 *    propensity[trigger] x propensity they upgrade (one plan up, amount = the new plan's price)
 *    a few days later (Exp(organic_delay_days)) whatever any experiment does: the upgrades that
 *    would happen anyway.
 *  - During the experiment period liftd is asked about every trigger (AssignBatch per context
 *    and 6-hour slot; trigger_time_ms = the slot's trigger time, which is the simulated trigger
 *    time of every customer in that batch). Experiments are asked in config order until one has
 *    the customer. A treatment arm sends the offer after the arm's delay; it is delivered
 *    (impression) with the channel's delivery rate and clicked with the channel's CTR. The first
 *    matching effect rule gives e = upgrade_lift: a customer who clicked upgrades with chance
 *    q(1+e) instead of q (the extra part right after the click). Holdout and untreated
 *    customers keep q. An impression may annoy: churn_add (extra churn chance, churn ~Exp(3 d)
 *    later) and nps_shift on later answers.
 *  - A share of upgrades is refunded after_days later. Top-plan customers cannot upgrade.
 *  - Events go out through lift_track in batches of 1,000 with ids sim-<seed>-<tag>-<n>, retried
 *    until acknowledged: a rerun with the same seed and parameters is all duplicates.
 *
 * Ground truth (what the report should find), per experiment and treatment arm vs holdout,
 * summed over the arm's exposed customers (exposed = had an arm in this run; segment = the
 * context of their first exposure), over every offer they got in the period:
 *   incremental revenue = sum over offers of P(delivered) x P(click) x (q(1+e) - q) x amount x
 *                         [upgrade time <= end] x (1 - refund share x [refund time <= end])
 * i.e. the expected conversion-minus-refund revenue the offers added given the simulated history
 * (the same metric as the report's revenue per exposed customer, in minor units). The times are
 * drawn before the outcomes, so this is an exact expectation over the outcome draws. +upgrades
 * is the same without amount and refunds; +churned = sum of P(delivered) x churn_add for
 * impressions within the period. Not included (second order): an offer-driven upgrade or churn
 * changing that customer's later upgrades. */
#ifndef LIFTSIM_MODEL_H
#define LIFTSIM_MODEL_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "opts.h"

typedef struct model model_t;

/* What the truth output says about the run beside the model. */
typedef struct {
    double seconds;    /* wall time of the run */
    char currency[16]; /* liftd's currency ("" when it does not say) */
    int digits;        /* its ISO 4217 minor-unit digits (2 when unknown) */
} model_info_t;

/* A model of o->customers customers (drawn from o->seed) under cfg, for the experiment period
 * [start_ms, end_ms] after cfg->history_days of history; progress: draw a progress bar on
 * stderr. o and cfg must outlive the model. NULL when out of memory. */
model_t *model_new(const opts_t *o, const config_t *cfg, int64_t start_ms, int64_t end_ms,
                   int progress);

/* Frees the model; takes NULL; sets *self_p to NULL. */
void model_destroy(model_t **self_p);

/* Runs the simulation against liftd at o->endpoint with o->clients sender threads (o->local:
 * decisions by a local evaluator): every event sent and acknowledged. Returns 0, or -1 after
 * printing the reason. Call once. */
int model_run(model_t *s);

/* Events liftd rejected in model_run(); *first (may be NULL) = the first rejection's message,
 * valid until model_destroy(). */
uint64_t model_rejected(const model_t *s, const char **first);

/* The ground truth as a new JSON object (the caller owns the reference): run, events, per
 * experiment, arm and segment, the program holdout. NULL when out of memory. */
json_t *model_truth_json(const model_t *s, const model_info_t *ri);

/* The same as a table for people. */
void model_truth_table(FILE *f, const model_t *s, const model_info_t *ri);

#endif
