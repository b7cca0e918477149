/* exposures: the RecordExposures request — first exposures that a local evaluator (the client
 * library's lift_local_t) decided in-process, recorded in one batch. Each item is checked like
 * an Assign (experiment, customer id, context), its arm recomputed from liftd's definition with
 * assign.c, and recorded with store_exposure_record: the exposure already stored wins and its
 * arm is returned, so a resent batch changes nothing. Eligibility is not applied again: it was
 * applied where the offer was decided and shown. Knows nothing of ZeroMQ; not thread-safe. */
#ifndef LIFT_EXPOSURES_H
#define LIFT_EXPOSURES_H

#include <stdint.h>

#include "handlers.h"
#include "lift.pb-c.h"
#include "log.h"
#include "registry.h"
#include "store.h"

/* Handle req->record_exposures inside the batch's transaction; fills *out (out->wrote when an
 * exposure was stored, out->failed on a store failure, which fails the whole request).
 * Returns 0, or -1 when out of memory. */
int exposures_record(store_t *store, registry_t *registry, log_level_t log_level,
                     const Lift__Request *req, int64_t now_ms, handlers_out_t *out);

#endif
