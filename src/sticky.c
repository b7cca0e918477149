/* sticky: the repeat-assignment cache. Two hashes per key: FNV-1a 64 and a
 * multiply-rotate hash with a different seed, both finished with Murmur3's mixer. */
#include "sticky.h"

#include "bigmem.h"
#include "hash.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t h1;   /* first hash of (experiment, customer); selects the slot */
    uint64_t h2;   /* second, independent hash: confirms the key */
    int32_t arm;   /* stored arm */
    uint32_t used; /* 1 when the slot holds an entry */
} entry_t;

struct sticky {
    entry_t *slots; /* STICKY_SLOTS entries */
};

static void hashes(int64_t exp, const char *s, size_t n, uint64_t *h1, uint64_t *h2)
{
    uint64_t a = HASH_FNV64_BASIS ^ (uint64_t)exp;
    uint64_t b = 0x9e3779b97f4a7c15ULL + (uint64_t)exp * 0x100000001b3ULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        a = (a ^ c) * 0x100000001b3ULL;
        b = ((b ^ c) * 0xbf58476d1ce4e5b9ULL);
        b = (b << 31) | (b >> 33);
    }
    *h1 = hash_mix64(a ^ n);
    *h2 = hash_mix64(b + n);
}

sticky_t *sticky_new(void)
{
    sticky_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->slots = bigmem_alloc(STICKY_SLOTS * sizeof *self->slots);
    if (!self->slots) {
        free(self);
        return NULL;
    }
    return self;
}

void sticky_destroy(sticky_t **self_p)
{
    sticky_t *self = *self_p;
    if (!self)
        return;
    bigmem_free(self->slots, STICKY_SLOTS * sizeof *self->slots);
    free(self);
    *self_p = NULL;
}

int sticky_get(const sticky_t *self, int64_t experiment_id, const char *customer, size_t len,
               int *arm)
{
    uint64_t h1, h2;
    hashes(experiment_id, customer, len, &h1, &h2);
    const entry_t *e = &self->slots[h1 & (STICKY_SLOTS - 1)];
    if (!e->used || e->h1 != h1 || e->h2 != h2)
        return 0;
    *arm = e->arm;
    return 1;
}

void sticky_put(sticky_t *self, int64_t experiment_id, const char *customer, size_t len, int arm)
{
    uint64_t h1, h2;
    hashes(experiment_id, customer, len, &h1, &h2);
    entry_t *e = &self->slots[h1 & (STICKY_SLOTS - 1)];
    e->h1 = h1;
    e->h2 = h2;
    e->arm = arm;
    e->used = 1;
}

void sticky_clear(sticky_t *self)
{
    memset(self->slots, 0, STICKY_SLOTS * sizeof *self->slots);
}
