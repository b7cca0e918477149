/* store: the backend-neutral half of store.h — what every backend computes the same way
 * (an event's content digest). No SQL, no I/O. */
#include "store.h"

#include <string.h>

#include "hash.h"

static uint64_t mix_i64(uint64_t h, int64_t v)
{
    uint64_t u = (uint64_t)v;
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(u >> (8 * i)); /* little-endian whatever the host */
    return hash_fnv1a64(h, b, sizeof b);
}

/* A string field: presence, length, bytes — so that "ab"+"c" and "a"+"bc" differ, and NULL
 * differs from "". */
static uint64_t mix_str(uint64_t h, const char *s)
{
    if (!s)
        return mix_i64(h, -1);
    size_t n = strlen(s);
    h = mix_i64(h, (int64_t)n);
    return hash_fnv1a64(h, s, n);
}

uint64_t store_event_digest(const store_event_t *e)
{
    uint64_t h = HASH_FNV64_BASIS;
    int has_exp = e->experiment_id > 0;
    h = mix_str(h, e->customer_id);
    h = mix_i64(h, e->type);
    h = mix_i64(h, e->ts_ms);
    h = mix_i64(h, has_exp ? e->experiment_id : 0);
    h = mix_i64(h, has_exp ? e->arm : -1);
    h = mix_i64(h, e->has_amount ? 1 : 0);
    h = mix_i64(h, e->has_amount ? e->amount_minor : 0);
    h = mix_str(h, e->plan_from);
    h = mix_str(h, e->plan_to);
    h = mix_i64(h, e->nps >= 0 ? e->nps : -1);
    return hash_mix64(h);
}
