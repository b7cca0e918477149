/* exposure_record: the one way a decision becomes a stored first exposure — the store row
 * built from the decision's context (trigger time defaults to the decision time) and recorded
 * in one step. Decides nothing and reports nothing: callers turn the result into replies. */
#ifndef LIFT_EXPOSURE_RECORD_H
#define LIFT_EXPOSURE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "lift.pb-c.h"
#include "store.h"

/* Record customer id[0..len) as exposed to experiment (or holdout row) experiment_id on `arm`,
 * decided at decided_ms under context ctx, provided the row is still at `generation`. Returns
 * what store_exposure_record returns (STORE_FIRST, STORE_EXISTING with *have filled,
 * STORE_STALE, or -1 with the store's error). Same thread rules as the store. */
int exposure_record(store_t *store, int64_t experiment_id, int64_t generation, const char *id,
                    size_t len, int arm, const Lift__Context *ctx, int64_t decided_ms,
                    store_exposure_t *have);

#endif
