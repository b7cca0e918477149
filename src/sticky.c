/* sticky: the repeat-assignment cache. Two hashes per key: FNV-1a 64 and a
 * multiply-rotate hash with a different seed, both finished with Murmur3's mixer. */
#include "sticky.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct {
    uint64_t h1;   /* first hash of (experiment, customer); selects the slot */
    uint64_t h2;   /* second, independent hash: confirms the key */
    int32_t arm;   /* stored arm */
    uint32_t used; /* 1 when the slot holds an entry */
} entry_t;

struct sticky {
    entry_t *slots; /* STICKY_SLOTS entries */
};

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static void hashes(int64_t exp, const char *s, size_t n, uint64_t *h1, uint64_t *h2)
{
    uint64_t a = 0xcbf29ce484222325ULL ^ (uint64_t)exp;
    uint64_t b = 0x9e3779b97f4a7c15ULL + (uint64_t)exp * 0x100000001b3ULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        a = (a ^ c) * 0x100000001b3ULL;
        b = ((b ^ c) * 0xbf58476d1ce4e5b9ULL);
        b = (b << 31) | (b >> 33);
    }
    *h1 = mix(a ^ n);
    *h2 = mix(b + n);
}

sticky_t *sticky_new(void)
{
    sticky_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    /* Probed at random: huge pages keep a probe to one cache miss, without a TLB miss. */
    size_t len = STICKY_SLOTS * sizeof *self->slots;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        free(self);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);
#endif
    self->slots = p;
    return self;
}

void sticky_destroy(sticky_t **self_p)
{
    sticky_t *self = *self_p;
    if (!self)
        return;
    munmap(self->slots, STICKY_SLOTS * sizeof *self->slots);
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

void sticky_put(sticky_t *self, int64_t experiment_id, const char *customer, size_t len,
                int arm)
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
