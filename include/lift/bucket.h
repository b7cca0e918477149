/* Lift bucketing: which arm a customer gets under a split, computed offline with the code liftd
 * runs (GrowthBook's hash version 2, coverage ranges, namespaces). For tools that answer "which
 * arm would this id get" without a server (liftctl bucket). It knows no experiment, no
 * eligibility rule and no holdout: only the split given to it. No I/O, no allocation. */
#ifndef LIFT_BUCKET_H
#define LIFT_BUCKET_H

#include <stddef.h>

#include "lift/limits.h" /* LIFT_ARMS_MAX, LIFT_CUSTOMER_ID_MAX, LIFT_WEIGHT_SUM_EPS */

/* What lift_bucket() returns besides an arm index (>= 0). */
#define LIFT_BUCKET_NOT_IN (-1)     /* valid id, not in the experiment: see the result's reason */
#define LIFT_BUCKET_INVALID_ID (-2) /* id breaks the lift_customer_id_check() contract */

/* A split. The struct only borrows the pointers. */
typedef struct {
    const double *weights; /* narms weights, each > 0, summing to 1 +- LIFT_WEIGHT_SUM_EPS */
    int narms;             /* number of arms, 2..LIFT_ARMS_MAX; arm 0 is the holdout */
    double coverage;       /* share of traffic in the experiment, in (0, 1] */
    const char *seed;      /* hash seed, UTF-8 (an experiment's seed defaults to its key) */
    size_t seed_len;       /* bytes in seed */
    int has_namespace;     /* 1: only ids whose namespace value is in [ns_lo, ns_hi) take part */
    const char *ns_id;     /* namespace id, UTF-8, non-empty when has_namespace */
    size_t ns_id_len;      /* bytes in ns_id */
    double ns_lo;          /* namespace range start, in [0, 1) */
    double ns_hi;          /* namespace range end (excluded), in (ns_lo, 1] */
} lift_bucket_config_t;

/* Why a customer got, or did not get, an arm. */
typedef enum {
    LIFT_BUCKET_IN_EXPERIMENT = 0, /* arm is valid */
    LIFT_BUCKET_OUTSIDE_COVERAGE,  /* n fell in no arm's covered range */
    LIFT_BUCKET_OUTSIDE_NAMESPACE, /* namespace value outside [ns_lo, ns_hi) */
    LIFT_BUCKET_INVALID            /* id rejected: empty, too long, bad UTF-8 or control */
} lift_bucket_reason_t;

/* The outcome of one lift_bucket() call. */
typedef struct {
    int arm;                     /* arm index, or -1 when reason != LIFT_BUCKET_IN_EXPERIMENT */
    lift_bucket_reason_t reason; /* why arm is what it is */
    double n;                    /* hash v2 value in [0, 1) (the SDK's bucket); -1 if invalid */
    double ns_value;             /* namespace value in [0, 1); -1 if no namespace or invalid */
} lift_bucket_result_t;

/* Checks a customer id as liftd does: 1..LIFT_CUSTOMER_ID_MAX bytes (lift/limits.h) of valid
 * UTF-8 without control characters. Returns 0 if valid; -1 otherwise with a message naming the
 * problem and the bound or byte offset in err (may be NULL or errlen 0). Thread-safe. */
int lift_customer_id_check(const char *id, size_t len, char *err, size_t errlen);

/* Checks a split as liftd does before it stores one: narms in 2..LIFT_ARMS_MAX, finite
 * weights > 0 summing to 1, coverage in (0, 1], seed valid UTF-8, namespace id non-empty valid
 * UTF-8 with 0 <= ns_lo < ns_hi <= 1. Returns 0, or -1 with a message naming the field, its
 * value and the bound in err (may be NULL). Thread-safe. */
int lift_bucket_config_check(const lift_bucket_config_t *cfg, char *err, size_t errlen);

/* The arm of customer id (len bytes of UTF-8, need not be NUL-terminated) under cfg, exactly as
 * liftd and GrowthBook's SDKs with hashVersion 2 assign it. Returns the arm index (>= 0),
 * LIFT_BUCKET_NOT_IN or LIFT_BUCKET_INVALID_ID (lift_customer_id_check gives the message); out
 * (required) gets the details. Precondition: lift_bucket_config_check(cfg) == 0. Thread-safe. */
int lift_bucket(const lift_bucket_config_t *cfg, const char *id, size_t len,
                lift_bucket_result_t *out);

/* Stable lower-case name of a reason ("in_experiment", "outside_coverage",
 * "outside_namespace", "invalid_id"), for logs and JSON; static storage. */
const char *lift_bucket_reason_name(lift_bucket_reason_t reason);

#endif
