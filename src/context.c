/* context: lift_context_t to Lift__Context. No validation. */
#include "context.h"

void context_from_client(Lift__Context *c, const lift_context_t *ctx)
{
    lift__context__init(c);
    if (ctx == NULL)
        return;
    c->has_trigger = ctx->trigger != 0;
    c->trigger = (Lift__Trigger)ctx->trigger;
    c->has_stage = ctx->stage != 0;
    c->stage = (Lift__Stage)ctx->stage;
    c->has_channel = ctx->channel != 0;
    c->channel = (Lift__Channel)ctx->channel;
    c->has_trigger_time_ms = ctx->trigger_time_ms != 0;
    c->trigger_time_ms = ctx->trigger_time_ms;
    c->has_open_support_ticket = ctx->open_support_ticket;
    c->open_support_ticket = ctx->open_support_ticket;
    c->has_billing_dispute = ctx->billing_dispute;
    c->billing_dispute = ctx->billing_dispute;
}
