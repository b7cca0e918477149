/* holdout_report: the program report of one holdout — the experiment report's own code path
 * (report_build) on the holdout's stored groups (arm 0 = held out, arm 1 = the measurement
 * slice), plus the program-level figures (lift.Program): the program's incremental revenue,
 * the cost of holding out, and the sum of the linked experiments' own estimates next to it.
 * Reads one snapshot through the reader; no rendering, no networking. */
#ifndef LIFT_HOLDOUT_REPORT_H
#define LIFT_HOLDOUT_REPORT_H

#include <stdint.h>

#include "lift.pb-c.h"
#include "status.h"
#include "store.h"

/* Build the program report of req->holdout_key (req->experiment_key must be unset or empty).
 * segment_by defaults to trigger, stage and channel. Returns 0 with *out set (free it with
 * holdout_report_free only), or -1 with st filled (NOT_FOUND naming report.holdout_key,
 * FAILED_PRECONDITION for a holdout never started, what report_build returns otherwise). */
int holdout_report_build(store_reader_t *rd, const Lift__ReportRequest *req, const char *currency,
                         int64_t now_ms, Lift__Report **out, status_t *st);

/* Free a report made by holdout_report_build and set *r_p to NULL; accepts NULL and
 * *r_p == NULL. */
void holdout_report_free(Lift__Report **r_p);

/* The pseudo-experiment a holdout is reported as (arms held_out / measured, 1/2 each: the two
 * groups are equal hash ranges), with the holdout's times and status; exposed for tests.
 * Strings borrow from h; arms and weights live in *store. */
typedef struct {
    Lift__Experiment exp;
    Lift__Arm arm[2];
    Lift__Arm *arms[2];
    char name[96];
} holdout_report_pseudo_t;
void holdout_report_pseudo_experiment(const Lift__Holdout *h, holdout_report_pseudo_t *store);

#endif
