/* arena: a bump allocator for protobuf-c messages and their strings — one arena per request
 * decoded (server) or per report built (report), freed or reset at once, never piece by piece.
 * It does not free single allocations, does not zero unless asked, and is not thread-safe. */
#ifndef LIFT_ARENA_H
#define LIFT_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct arena arena_t;

/* A new, empty arena. `keep_max`: the largest chunk arena_reset keeps for the next round (the
 * arena then grows one chunk to the most bytes asked for between two resets, up to this bound);
 * 0 = keep nothing. Returns NULL when out of memory; free with arena_destroy. */
arena_t *arena_new(size_t keep_max);

/* Free the arena and everything allocated from it; accepts NULL and *self_p == NULL; sets
 * *self_p to NULL. */
void arena_destroy(arena_t **self_p);

/* n bytes aligned for any type, uninitialised; valid until the next reset or destroy. NULL when
 * out of memory (the arena stays usable). */
void *arena_alloc(arena_t *self, size_t n);

/* As arena_alloc, set to zero. */
void *arena_zalloc(arena_t *self, size_t n);

/* A copy of s in the arena; NULL when out of memory. */
char *arena_strdup(arena_t *self, const char *s);

/* Forget every allocation; keeps one chunk for the next round (see arena_new). */
void arena_reset(arena_t *self);

/* protobuf-c's view of the arena (its free does nothing: the arena frees everything at once).
 * The allocator borrows self. */
ProtobufCAllocator arena_allocator(arena_t *self);

/* A message of `type` set to its protobuf-c INIT value, in arena a; NULL when out of memory. */
#define ARENA_NEW(a, type, init) ((type *)arena_copy((a), &(type)init, sizeof(type)))

/* n bytes of src copied into the arena (ARENA_NEW's helper); NULL when out of memory. */
void *arena_copy(arena_t *self, const void *src, size_t n);

#endif
