/* sticky: a fixed-size cache of (experiment, customer) -> arm for exposures known to be stored,
 * in front of the store's lookup on the repeat-assignment path. Direct-mapped, keyed by two
 * independent 64-bit hashes of the customer id plus the experiment id (a false hit needs a
 * 128-bit collision). The store stays the truth: the owner clears the cache whenever stored
 * exposures may have been rolled back. No I/O; not thread-safe (the server loop owns it). */
#ifndef LIFT_STICKY_H
#define LIFT_STICKY_H

#include <stddef.h>
#include <stdint.h>

#define STICKY_SLOTS (1u << 20) /* entries (24 bytes each: 24 MiB) */

typedef struct sticky sticky_t;

/* A cache of STICKY_SLOTS entries; NULL when out of memory. */
sticky_t *sticky_new(void);

/* Free; accepts NULL; sets *self_p to NULL. */
void sticky_destroy(sticky_t **self_p);

/* The stored arm of (experiment_id, customer) when cached: returns 1 and sets *arm, else 0. */
int sticky_get(const sticky_t *self, int64_t experiment_id, const char *customer, size_t len,
               int *arm);

/* Remember that (experiment_id, customer) has an exposure stored with `arm` (replaces whatever
 * shared its slot). Call only for exposures in the store or in the transaction in hand. */
void sticky_put(sticky_t *self, int64_t experiment_id, const char *customer, size_t len, int arm);

/* Forget everything (after a rollback). */
void sticky_clear(sticky_t *self);

#endif
