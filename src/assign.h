/* assign: the pure function (experiment definition, customer id) -> arm, bit-identical to
 * GrowthBook's JavaScript SDK with hashVersion 2 (FNV-1a over UTF-16 code units, see DESIGN.md).
 * No I/O, no allocation, no global state: safe to call from any thread. No eligibility rules.
 * Programs outside liftd reach it through lift/bucket.h (src/bucket.c). */
#ifndef LIFT_ASSIGN_H
#define LIFT_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "lift/bucket.h"
#include "lift/limits.h"

/* What assign_bucket() returns besides an arm index (>= 0). */
#define ASSIGN_NOT_IN (-1)     /* valid id, not in the experiment: see assign_result_t.reason */
#define ASSIGN_INVALID_ID (-2) /* id breaks the assign_customer_id_check() contract */

/* One experiment's split, as the registry holds it. The struct only borrows the pointers. */
typedef struct {
    const double *weights; /* narms weights, each > 0, summing to 1 +- LIFT_WEIGHT_SUM_EPS */
    int narms;             /* number of arms, 2..LIFT_ARMS_MAX; arm 0 is the holdout */
    double coverage;       /* share of traffic in the experiment, in (0, 1] */
    const char *seed;      /* hash seed, UTF-8 (Lift's default: the experiment key); may be "" */
    size_t seed_len;       /* bytes in seed */
    int has_namespace;     /* 1: only ids whose namespace value is in [ns_lo, ns_hi) take part */
    const char *ns_id;     /* namespace id, UTF-8, non-empty when has_namespace */
    size_t ns_id_len;      /* bytes in ns_id */
    double ns_lo;          /* namespace range start, in [0, 1) */
    double ns_hi;          /* namespace range end (excluded), in (ns_lo, 1] */
    int seed_hashed;       /* 1: seed_hash holds assign_fnv1a32_utf16(seed) (assign_config_seal) */
    uint32_t seed_hash;    /* the FNV state after the seed, reused by every assign_bucket */
} assign_config_t;

/* Why a customer got, or did not get, an arm. */
typedef enum {
    ASSIGN_IN_EXPERIMENT = 0, /* arm is valid */
    ASSIGN_OUTSIDE_COVERAGE,  /* n fell in no arm's covered range [start, start + coverage*w) */
    ASSIGN_OUTSIDE_NAMESPACE, /* namespace value outside [ns_lo, ns_hi); checked before coverage */
    ASSIGN_INVALID            /* id rejected: empty, too long, bad UTF-8 or control character */
} assign_reason_t;

/* The outcome of one assign_bucket() call. */
typedef struct {
    int arm;                /* arm index, or -1 when reason != ASSIGN_IN_EXPERIMENT */
    assign_reason_t reason; /* why arm is what it is */
    double n;               /* hash v2 value in [0, 1) (SDK's result.bucket); -1 if invalid */
    double ns_value;        /* namespace value in [0, 1); -1 if no namespace or invalid */
} assign_result_t;

/* Checks a customer id: 1..LIFT_CUSTOMER_ID_MAX bytes of valid UTF-8 (no overlong forms, no UTF-16
 * surrogates, nothing above U+10FFFF) without control characters (C0, DEL, C1).
 * Returns 0 if valid; -1 otherwise, with a message naming the problem and the bound or the
 * 0-based byte offset written to err (e.g. "customer_id: invalid UTF-8 at byte 3 (overlong
 * encoding)"); err may be NULL or errlen 0. id may be NULL only when len is 0. Thread-safe. */
int assign_customer_id_check(const char *id, size_t len, char *err, size_t errlen);

/* Checks a split the way Lift's registry does before it stores one: narms in 2..LIFT_ARMS_MAX,
 * finite weights > 0 summing to 1 +- LIFT_WEIGHT_SUM_EPS, coverage in (0, 1], seed valid UTF-8,
 * namespace id non-empty valid UTF-8 with 0 <= ns_lo < ns_hi <= 1. Returns 0 or -1 with a
 * message naming the field, its value and the bound in err (may be NULL). Thread-safe. */
int assign_config_check(const assign_config_t *cfg, char *err, size_t errlen);

/* Precomputes the hash of cfg's seed into cfg (seed_hashed, seed_hash), so that assign_bucket
 * does not hash the seed again for every customer; the results are identical. Call again
 * after changing seed. Returns 0, or -1 (cfg unchanged) when the seed is not valid UTF-8. */
int assign_config_seal(assign_config_t *cfg);

/* Assigns customer id (len bytes, UTF-8, need not be NUL-terminated) under cfg, exactly as
 * GrowthBook's SDK run() with hashVersion 2: namespace first, then
 * n = (fnv1a32(decimal(fnv1a32(seed + id))) % 10000) / 10000 and the first arm i with
 * start_i <= n < start_i + coverage * w_i. Returns the arm index (>= 0), ASSIGN_NOT_IN, or
 * ASSIGN_INVALID_ID (call assign_customer_id_check() for the message); out (required) gets
 * the details. Precondition: assign_config_check(cfg) == 0 — the SDK would silently replace
 * weights that do not sum to 1 +- 0.01 by equal weights and clamp coverage to [0, 1]; this
 * function does neither. A seed with invalid UTF-8 also yields ASSIGN_INVALID_ID.
 * No allocation, no I/O; thread-safe. */
int assign_bucket(const assign_config_t *cfg, const char *id, size_t len, assign_result_t *out);

/* GrowthBook's chooseVariation(n, getBucketRanges(narms, coverage, weights)) in plain IEEE
 * double arithmetic: the first arm i with start_i <= n < start_i + coverage * w_i, where
 * start_i is the running sum of the weights before i; -1 if none. Same precondition. */
int assign_choose_arm(const assign_config_t *cfg, double n);

/* Hash v2 value of (seed, id) in [0, 1): (fnv1a32(decimal(fnv1a32(seed + id))) % 10000) / 10000,
 * both strings hashed as UTF-16 code units. Returns 0, or -1 if either is invalid UTF-8.
 * Does not check the customer id rules. Thread-safe. */
int assign_hash_v2(const char *seed, size_t seed_len, const char *id, size_t len, double *n);

/* FNV-1a 32 over raw bytes (the textbook definition; equal to the UTF-16 hash for ASCII). */
uint32_t assign_fnv1a32(const void *data, size_t len);

/* FNV-1a 32 over the UTF-16 code units of a UTF-8 string, as JavaScript's charCodeAt() sees
 * them (a character above U+FFFF counts as its surrogate pair). Returns 0 with *h set, or -1
 * if s is not valid UTF-8. Thread-safe. */
int assign_fnv1a32_utf16(const char *s, size_t len, uint32_t *h);

/* Stable lower-case name of a reason ("in_experiment", "outside_coverage",
 * "outside_namespace", "invalid_id"), for logs and JSON; static storage. */
const char *assign_reason_name(assign_reason_t reason);

#endif
