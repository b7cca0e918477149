/* holdout: membership and coverage of program holdouts. See holdout.h. */
#include "holdout.h"

#include <string.h>

#include "assign.h"
#include "decide.h"

static int excluded(const Lift__Holdout *h, const char *id, size_t len)
{
    const Lift__Exclusions *x = h->exclusions;
    if (!x)
        return 0;
    for (size_t i = 0; i < x->n_customer_ids; i++)
        if (strlen(x->customer_ids[i]) == len && memcmp(x->customer_ids[i], id, len) == 0)
            return 1;
    for (size_t i = 0; i < x->n_id_prefixes; i++) {
        size_t pl = strlen(x->id_prefixes[i]);
        if (pl <= len && memcmp(x->id_prefixes[i], id, pl) == 0)
            return 1;
    }
    return 0;
}

/* The group by the hash alone (exclusions not looked at). */
static int hash_group(const Lift__Holdout *h, const char *id, size_t len)
{
    const char *seed = h->seed && *h->seed ? h->seed : h->key;
    double n;
    if (!seed || assign_hash_v2(seed, strlen(seed), id, len, &n) < 0)
        return -1;
    double p = h->percent / 100.0;
    if (n < p)
        return HOLDOUT_GROUP_HELD_OUT;
    if (n < 2.0 * p)
        return HOLDOUT_GROUP_MEASURED;
    return HOLDOUT_GROUP_NONE;
}

int holdout_group(const Lift__Holdout *h, const char *id, size_t len)
{
    int g = hash_group(h, id, len);
    return g >= 0 && excluded(h, id, len) ? HOLDOUT_GROUP_EXCLUDED : g;
}

int holdout_links(const Lift__Holdout *h, int64_t h_started_ms, const char *exp_key,
                  int64_t exp_started_ms)
{
    if (h->link == LIFT__HOLDOUT_LINK__LINK_EXPLICIT) {
        int found = 0;
        for (size_t i = 0; i < h->n_experiment_keys && !found; i++)
            found = exp_key && strcmp(h->experiment_keys[i], exp_key) == 0;
        if (!found)
            return 0;
    } else if (h->link == LIFT__HOLDOUT_LINK__LINK_STARTED_AFTER) {
        if (h_started_ms <= 0 || exp_started_ms < h_started_ms)
            return 0;
    } else {
        return 0;
    }
    return 1;
}

int holdout_covers(const Lift__Holdout *h, int64_t h_started_ms, const char *exp_key,
                   int64_t exp_started_ms, const Lift__Context *ctx, int64_t now_ms)
{
    if (h->start_ms && now_ms < h->start_ms)
        return 0;
    if (h->end_ms && now_ms >= h->end_ms)
        return 0;
    if (!holdout_links(h, h_started_ms, exp_key, exp_started_ms))
        return 0;
    const Lift__Eligibility *s = h->scope;
    if (s && ctx) {
        if (!decide_in_list((const int *)s->triggers, s->n_triggers, (int)ctx->trigger) ||
            !decide_in_list((const int *)s->stages, s->n_stages, (int)ctx->stage) ||
            !decide_in_list((const int *)s->channels, s->n_channels, (int)ctx->channel))
            return 0;
    }
    return 1;
}

int holdout_decide(const Lift__Holdout *h, const char *exp_key, int64_t exp_started_ms,
                   const char *id, size_t len, const Lift__Context *ctx, int64_t now_ms)
{
    if (h->status != LIFT__EXPERIMENT_STATUS__STATUS_RUNNING ||
        !holdout_covers(h, h->has_started_ms ? h->started_ms : 0, exp_key, exp_started_ms, ctx,
                        now_ms))
        return HOLDOUT_GROUP_NONE;
    /* the exclusion lists are scanned only for the 2p of customers in a group */
    int g = hash_group(h, id, len);
    if ((g == HOLDOUT_GROUP_HELD_OUT || g == HOLDOUT_GROUP_MEASURED) && excluded(h, id, len))
        return HOLDOUT_GROUP_NONE;
    return g;
}
