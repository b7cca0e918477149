/* holdout_handlers: the program-holdout requests (create_holdout, get_holdout, list_holdouts,
 * change_holdout, is_held_out) inside the batch's store transaction, as handlers.c dispatches
 * them. Knows nothing of ZeroMQ. */
#ifndef LIFT_HOLDOUT_HANDLERS_H
#define LIFT_HOLDOUT_HANDLERS_H

#include <stdint.h>

#include "handlers.h"
#include "lift.pb-c.h"
#include "registry.h"
#include "store.h"

/* Handle one holdout request; fills *out (wrote/failed as handlers_handle). Returns 0, or -1
 * when out of memory. */
int holdout_handlers_handle(store_t *store, registry_t *registry, const Lift__Request *req,
                            int64_t now_ms, handlers_out_t *out);

#endif
