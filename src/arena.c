/* arena: chunks handed out front to back; see arena.h. A request that does not fit the current
 * chunk opens a new one (at least ARENA_CHUNK bytes); a reset frees all but one kept chunk. */
#include "arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK 65536 /* smallest chunk opened when the current one is full */

typedef struct arena_chunk {
    struct arena_chunk *next; /* older chunk */
    size_t used;              /* bytes handed out */
    size_t cap;               /* bytes in data */
    alignas(max_align_t) unsigned char data[];
} arena_chunk_t;

struct arena {
    arena_chunk_t *head; /* chunk being filled; the older ones follow it */
    size_t want;         /* bytes asked for since the last reset */
    size_t keep_max;     /* largest chunk a reset keeps */
};

static arena_chunk_t *chunk_new(size_t cap)
{
    arena_chunk_t *c = malloc(sizeof *c + cap);
    if (!c)
        return NULL;
    c->next = NULL;
    c->used = 0;
    c->cap = cap;
    return c;
}

arena_t *arena_new(size_t keep_max)
{
    arena_t *self = calloc(1, sizeof *self);
    if (self)
        self->keep_max = keep_max;
    return self;
}

static void free_chunks(arena_chunk_t *c, const arena_chunk_t *keep)
{
    while (c) {
        arena_chunk_t *next = c->next;
        if (c != keep)
            free(c);
        c = next;
    }
}

void arena_destroy(arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free_chunks((*self_p)->head, NULL);
    free(*self_p);
    *self_p = NULL;
}

void *arena_alloc(arena_t *self, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    self->want += n;
    arena_chunk_t *c = self->head;
    if (!c || c->cap - c->used < n) {
        c = chunk_new(n > ARENA_CHUNK ? n : ARENA_CHUNK);
        if (!c)
            return NULL;
        c->next = self->head;
        self->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

void *arena_zalloc(arena_t *self, size_t n)
{
    void *p = arena_alloc(self, n);
    if (p)
        memset(p, 0, n);
    return p;
}

void *arena_copy(arena_t *self, const void *src, size_t n)
{
    void *p = arena_alloc(self, n);
    if (p)
        memcpy(p, src, n);
    return p;
}

char *arena_strdup(arena_t *self, const char *s)
{
    return arena_copy(self, s, strlen(s) + 1);
}

void arena_reset(arena_t *self)
{
    arena_chunk_t *keep = NULL;
    for (arena_chunk_t *c = self->head; c; c = c->next)
        if (c->cap <= self->keep_max && (!keep || c->cap > keep->cap))
            keep = c;
    if (self->want > 0 && self->want <= self->keep_max && (!keep || keep->cap < self->want)) {
        arena_chunk_t *big = chunk_new(self->want); /* the next round fits in one chunk */
        if (big)
            keep = big;
    }
    free_chunks(self->head, keep);
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    self->head = keep;
    self->want = 0;
}

static void *pb_alloc(void *data, size_t size)
{
    return arena_alloc(data, size);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    (void)p; /* freed with the arena */
}

ProtobufCAllocator arena_allocator(arena_t *self)
{
    ProtobufCAllocator al = {pb_alloc, pb_free, self};
    return al;
}
