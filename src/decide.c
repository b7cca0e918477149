/* decide: split and eligibility from a definition (see decide.h). */
#include "decide.h"

#include <string.h>

void decide_config(const Lift__Experiment *d, double *weights, assign_config_t *cfg)
{
    for (size_t i = 0; i < d->n_arms && i < LIFT_ARMS_MAX; i++)
        weights[i] = d->arms[i]->weight;
    memset(cfg, 0, sizeof *cfg);
    cfg->weights = weights;
    cfg->narms = (int)d->n_arms;
    cfg->coverage = d->coverage;
    cfg->seed = d->seed ? d->seed : "";
    cfg->seed_len = strlen(cfg->seed);
    if (d->namespace_) {
        cfg->has_namespace = 1;
        cfg->ns_id = d->namespace_->id;
        cfg->ns_id_len = strlen(d->namespace_->id);
        cfg->ns_lo = d->namespace_->lo;
        cfg->ns_hi = d->namespace_->hi;
    }
    assign_config_seal(cfg); /* an invalid seed stays unsealed: assign_bucket refuses it */
}

int decide_in_list(const int *v, size_t n, int x)
{
    if (n == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

Lift__Reason decide_eligibility(const Lift__Experiment *d, const Lift__Context *ctx, int64_t now_ms)
{
    if (d->status != LIFT__EXPERIMENT_STATUS__STATUS_RUNNING)
        return LIFT__REASON__REASON_NOT_RUNNING;
    if (d->has_start_ms && d->start_ms && now_ms < d->start_ms)
        return LIFT__REASON__REASON_BEFORE_START;
    if (d->has_end_ms && d->end_ms && now_ms >= d->end_ms)
        return LIFT__REASON__REASON_AFTER_END;
    if (ctx->stage == LIFT__STAGE__STAGE_AT_RISK)
        return LIFT__REASON__REASON_AT_RISK;
    if (ctx->has_open_support_ticket && ctx->open_support_ticket)
        return LIFT__REASON__REASON_SUPPRESSED_TICKET;
    if (ctx->has_billing_dispute && ctx->billing_dispute)
        return LIFT__REASON__REASON_SUPPRESSED_DISPUTE;
    const Lift__Eligibility *el = d->eligibility;
    if (el) {
        if (!decide_in_list((const int *)el->triggers, el->n_triggers, (int)ctx->trigger))
            return LIFT__REASON__REASON_TRIGGER_NOT_ALLOWED;
        if (!decide_in_list((const int *)el->stages, el->n_stages, (int)ctx->stage))
            return LIFT__REASON__REASON_STAGE_NOT_ALLOWED;
        if (!decide_in_list((const int *)el->channels, el->n_channels, (int)ctx->channel))
            return LIFT__REASON__REASON_CHANNEL_NOT_ALLOWED;
    }
    return LIFT__REASON__REASON_NONE;
}

const char *decide_context_check(const Lift__Context *ctx, int64_t now_ms)
{
    if (!ctx)
        return "context";
    if (!ctx->has_trigger || ctx->trigger == 0 ||
        !protobuf_c_enum_descriptor_get_value(&lift__trigger__descriptor, ctx->trigger))
        return "trigger";
    if (!ctx->has_stage || ctx->stage == 0 ||
        !protobuf_c_enum_descriptor_get_value(&lift__stage__descriptor, ctx->stage))
        return "stage";
    if (!ctx->has_channel || ctx->channel == 0 ||
        !protobuf_c_enum_descriptor_get_value(&lift__channel__descriptor, ctx->channel))
        return "channel";
    if (ctx->has_trigger_time_ms && (ctx->trigger_time_ms < LIFT_TIME_MIN_MS ||
                                     ctx->trigger_time_ms > now_ms + DECIDE_CLOCK_SKEW_MS))
        return "trigger_time_ms";
    return NULL;
}

int decide_trigger_time_ok(const Lift__Experiment *d, const Lift__Context *ctx)
{
    int64_t start = d->has_start_ms && d->start_ms > 0       ? d->start_ms
                    : d->has_started_ms && d->started_ms > 0 ? d->started_ms
                                                             : 0;
    return !ctx->has_trigger_time_ms || start == 0 ||
           ctx->trigger_time_ms >= start - DECIDE_CLOCK_SKEW_MS;
}
