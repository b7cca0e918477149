/* eventidx: open addressing with linear probing and backward-shift deletion (no tombstones),
 * 16-byte slots on huge pages, an undo log of the entries the open transaction added, and the
 * snapshot file (native byte order: a local cache that a full scan can always replace). */
#include "eventidx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bigmem.h"
#include "hash.h"

typedef struct {
    uint64_t h; /* mixed hash of the event id */
    int64_t id; /* events row id; 0 = empty slot */
} slot_t;

struct eventidx {
    slot_t *slots;   /* the table */
    uint64_t mask;   /* capacity - 1 (capacity is a power of two) */
    uint64_t count;  /* used slots */
    slot_t *undo;    /* entries added since the last commit */
    size_t n_undo;   /* used entries in undo */
    size_t cap_undo; /* allocated entries in undo */
};

#define SNAP_MAGIC "LIFTIDX1"
#define MIN_CAP (1u << 16)

/* Header of the snapshot file; the slots follow. */
typedef struct {
    char magic[8];     /* SNAP_MAGIC */
    uint64_t mask;     /* capacity - 1 */
    uint64_t count;    /* used slots */
    int64_t max_id;    /* every event with row id <= max_id is in the slots */
    uint64_t checksum; /* of the slots */
} snap_header_t;

uint64_t eventidx_hash(const char *s, size_t n)
{
    return hash_bytes64(s, n); /* the value is in snapshots: it must not change */
}

static void slot_put(slot_t *slots, uint64_t mask, uint64_t h, int64_t id)
{
    uint64_t i = h & mask;
    while (slots[i].id != 0)
        i = (i + 1) & mask;
    slots[i].h = h;
    slots[i].id = id;
}

/* The index is large (16 bytes a slot, 256 MiB at 10M events) and probed at random. */
static slot_t *slots_alloc(uint64_t cap)
{
    return bigmem_alloc((size_t)cap * sizeof(slot_t));
}

static void slots_free(slot_t *slots, uint64_t cap)
{
    bigmem_free(slots, (size_t)cap * sizeof(slot_t));
}

/* Capacity for n entries at a load of at most 0.7. */
static uint64_t cap_for(uint64_t n)
{
    uint64_t cap = MIN_CAP;
    while (n * 10 >= cap * 7)
        cap <<= 1;
    return cap;
}

static int resize(eventidx_t *self, uint64_t cap)
{
    slot_t *slots = slots_alloc(cap);
    if (!slots)
        return -1;
    if (self->slots) {
        for (uint64_t i = 0; i <= self->mask; i++)
            if (self->slots[i].id)
                slot_put(slots, cap - 1, self->slots[i].h, self->slots[i].id);
        slots_free(self->slots, self->mask + 1);
    }
    self->slots = slots;
    self->mask = cap - 1;
    return 0;
}

eventidx_t *eventidx_new(uint64_t expected)
{
    eventidx_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    if (resize(self, cap_for(expected)) < 0) {
        free(self);
        return NULL;
    }
    return self;
}

void eventidx_destroy(eventidx_t **self_p)
{
    eventidx_t *self = *self_p;
    if (!self)
        return;
    if (self->slots)
        slots_free(self->slots, self->mask + 1);
    free(self->undo);
    free(self);
    *self_p = NULL;
}

int eventidx_reserve(eventidx_t *self, uint64_t n)
{
    if ((self->count + n) * 10 < (self->mask + 1) * 7)
        return 0;
    return resize(self, cap_for(self->count + n));
}

int eventidx_put(eventidx_t *self, uint64_t h, int64_t id)
{
    if ((self->count + 1) * 10 > (self->mask + 1) * 7 && resize(self, (self->mask + 1) * 2) < 0)
        return -1;
    slot_put(self->slots, self->mask, h, id);
    self->count++;
    return 0;
}

/* Remove the entry (h, id) with backward-shift deletion, so no tombstones accumulate. */
static void slot_remove(eventidx_t *self, uint64_t h, int64_t id)
{
    uint64_t mask = self->mask, i = h & mask;
    while (self->slots[i].id != 0 && !(self->slots[i].h == h && self->slots[i].id == id))
        i = (i + 1) & mask;
    if (self->slots[i].id == 0)
        return;
    uint64_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (self->slots[j].id == 0)
            break;
        uint64_t k = self->slots[j].h & mask;
        /* Entry j may move to i only if its home k is not cyclically in (i, j]. */
        if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
            continue;
        self->slots[i] = self->slots[j];
        i = j;
    }
    self->slots[i].id = 0;
    self->slots[i].h = 0;
    self->count--;
}

int eventidx_add(eventidx_t *self, uint64_t h, int64_t id)
{
    if (self->n_undo == self->cap_undo) {
        size_t cap = self->cap_undo ? self->cap_undo * 2 : 4096;
        slot_t *u = realloc(self->undo, cap * sizeof *u);
        if (!u)
            return -1;
        self->undo = u;
        self->cap_undo = cap;
    }
    if (eventidx_put(self, h, id) < 0)
        return -1;
    self->undo[self->n_undo].h = h;
    self->undo[self->n_undo].id = id;
    self->n_undo++;
    return 0;
}

void eventidx_prefetch(const eventidx_t *self, uint64_t h)
{
    __builtin_prefetch(&self->slots[h & self->mask]);
}

int64_t eventidx_next(const eventidx_t *self, uint64_t h, uint64_t *pos)
{
    /* *pos counts the slots already looked at from h's home slot. */
    for (uint64_t i = (h + *pos) & self->mask; self->slots[i].id != 0 && *pos <= self->mask;
         i = (i + 1) & self->mask) {
        (*pos)++;
        if (self->slots[i].h == h)
            return self->slots[i].id;
    }
    return 0;
}

size_t eventidx_mark(const eventidx_t *self)
{
    return self->n_undo;
}

void eventidx_undo(eventidx_t *self, size_t mark)
{
    while (self->n_undo > mark) {
        slot_t *u = &self->undo[--self->n_undo];
        slot_remove(self, u->h, u->id);
    }
}

void eventidx_commit(eventidx_t *self)
{
    self->n_undo = 0;
}

uint64_t eventidx_count(const eventidx_t *self)
{
    return self->count;
}

static uint64_t slots_checksum(const slot_t *slots, uint64_t n)
{
    uint64_t a = 0x9e3779b97f4a7c15ULL, b = 0;
    for (uint64_t i = 0; i < n; i++) {
        a = (a ^ slots[i].h) * 0x100000001b3ULL;
        b = (b + (uint64_t)slots[i].id) * 0xff51afd7ed558ccdULL + i;
    }
    return a ^ (b >> 1);
}

int eventidx_save(const eventidx_t *self, const char *path, int64_t max_id, char *err,
                  size_t errlen)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf(err, errlen, "snapshot path too long");
        return -1;
    }
    snap_header_t hd;
    memset(&hd, 0, sizeof hd);
    memcpy(hd.magic, SNAP_MAGIC, 8);
    hd.mask = self->mask;
    hd.count = self->count;
    hd.max_id = max_id;
    hd.checksum = slots_checksum(self->slots, self->mask + 1);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    int ok = fwrite(&hd, sizeof hd, 1, f) == 1 &&
             fwrite(self->slots, sizeof *self->slots, self->mask + 1, f) == self->mask + 1;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

eventidx_t *eventidx_load(const char *path, int64_t max_id_now, int64_t *covered)
{
    snap_header_t hd;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    eventidx_t *self = NULL;
    slot_t *slots = NULL;
    if (fread(&hd, sizeof hd, 1, f) != 1 || memcmp(hd.magic, SNAP_MAGIC, 8) != 0 ||
        hd.mask < MIN_CAP - 1 || (hd.mask & (hd.mask + 1)) != 0 || hd.mask > (1ULL << 32) ||
        hd.max_id < 0 || hd.max_id > max_id_now || hd.count > hd.mask)
        goto fail;
    slots = slots_alloc(hd.mask + 1);
    if (!slots || fread(slots, sizeof *slots, hd.mask + 1, f) != hd.mask + 1 ||
        slots_checksum(slots, hd.mask + 1) != hd.checksum)
        goto fail;
    self = calloc(1, sizeof *self);
    if (!self)
        goto fail;
    fclose(f);
    self->slots = slots;
    self->mask = hd.mask;
    self->count = hd.count;
    *covered = hd.max_id;
    return self;
fail:
    if (slots)
        slots_free(slots, hd.mask + 1);
    fclose(f);
    return NULL;
}

int eventidx_sample(const eventidx_t *self, int n, int (*cb)(void *arg, int64_t id, uint64_t h),
                    void *arg)
{
    uint64_t step = (self->mask + 1) / (uint64_t)(n > 0 ? n : 1);
    int checked = 0;
    for (uint64_t i = 0; i <= self->mask && checked < n; i += step ? step : 1) {
        uint64_t j = i;
        while (j <= self->mask && self->slots[j].id == 0)
            j++;
        if (j > self->mask)
            break;
        int rc = cb(arg, self->slots[j].id, self->slots[j].h);
        if (rc)
            return rc;
        checked++;
    }
    return 0;
}
