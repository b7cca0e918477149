/* exposure_record: a decision's context to a store exposure row, recorded in one step. No
 * decisions, no replies. */
#include "exposure_record.h"

int exposure_record(store_t *store, int64_t experiment_id, int64_t generation, const char *id,
                    size_t len, int arm, const Lift__Context *ctx, int64_t decided_ms,
                    store_exposure_t *have)
{
    store_exposure_t x = {
        .experiment_id = experiment_id,
        .customer = id,
        .customer_len = len,
        .arm = arm,
        .trigger = ctx->trigger,
        .stage = ctx->stage,
        .channel = ctx->channel,
        .trigger_ms = ctx->has_trigger_time_ms ? ctx->trigger_time_ms : decided_ms,
        .decided_ms = decided_ms,
    };
    return store_exposure_record(store, &x, generation, have);
}
