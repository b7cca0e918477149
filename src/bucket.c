/* bucket: the public face of assign (lift/bucket.h) for programs outside liftd. It adds no
 * rule of its own: every answer is assign's, so an offline bucket is the served arm. */
#include "lift/bucket.h"

#include "assign.h"

_Static_assert(LIFT_BUCKET_NOT_IN == ASSIGN_NOT_IN, "not-in value");
_Static_assert(LIFT_BUCKET_INVALID_ID == ASSIGN_INVALID_ID, "invalid-id value");
_Static_assert((int)LIFT_BUCKET_IN_EXPERIMENT == (int)ASSIGN_IN_EXPERIMENT &&
                   (int)LIFT_BUCKET_OUTSIDE_COVERAGE == (int)ASSIGN_OUTSIDE_COVERAGE &&
                   (int)LIFT_BUCKET_OUTSIDE_NAMESPACE == (int)ASSIGN_OUTSIDE_NAMESPACE &&
                   (int)LIFT_BUCKET_INVALID == (int)ASSIGN_INVALID,
               "reasons");

static assign_config_t to_assign(const lift_bucket_config_t *cfg)
{
    assign_config_t a = {
        .weights = cfg->weights,
        .narms = cfg->narms,
        .coverage = cfg->coverage,
        .seed = cfg->seed,
        .seed_len = cfg->seed_len,
        .has_namespace = cfg->has_namespace,
        .ns_id = cfg->ns_id,
        .ns_id_len = cfg->ns_id_len,
        .ns_lo = cfg->ns_lo,
        .ns_hi = cfg->ns_hi,
    };
    return a;
}

int lift_customer_id_check(const char *id, size_t len, char *err, size_t errlen)
{
    return assign_customer_id_check(id, len, err, errlen);
}

int lift_bucket_config_check(const lift_bucket_config_t *cfg, char *err, size_t errlen)
{
    assign_config_t a = to_assign(cfg);
    return assign_config_check(&a, err, errlen);
}

int lift_bucket(const lift_bucket_config_t *cfg, const char *id, size_t len,
                lift_bucket_result_t *out)
{
    assign_config_t a = to_assign(cfg);
    assign_result_t r;
    int arm = assign_bucket(&a, id, len, &r);

    out->arm = r.arm;
    out->reason = (lift_bucket_reason_t)r.reason;
    out->n = r.n;
    out->ns_value = r.ns_value;
    return arm;
}

const char *lift_bucket_reason_name(lift_bucket_reason_t reason)
{
    return assign_reason_name((assign_reason_t)reason);
}
