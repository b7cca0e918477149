/* eventidx: the SQLite backend's private event-id index — hashes of stored event ids mapped to
 * their row ids (open addressing, 16-byte slots), an undo log that keeps it equal to what the
 * store has committed, and a snapshot file for fast restarts. Only store_sqlite.c uses it;
 * nothing above the store may. It holds row ids, never contents: a hash hit is a candidate the
 * backend confirms against the stored row, so a collision never drops an event. No SQL, not
 * thread-safe (owned by the store's writer). */
#ifndef LIFT_EVENTIDX_H
#define LIFT_EVENTIDX_H

#include <stddef.h>
#include <stdint.h>

typedef struct eventidx eventidx_t;

/* The index key of an event id: FNV-1a 64 with Murmur3's finaliser. Stored with each event
 * (events.h) so that the index is rebuilt without re-hashing. Pure, thread-safe. */
uint64_t eventidx_hash(const char *event_id, size_t len);

/* An empty index sized for `expected` entries without rehashing; NULL when out of memory. */
eventidx_t *eventidx_new(uint64_t expected);

/* Free; accepts NULL; sets *self_p to NULL. */
void eventidx_destroy(eventidx_t **self_p);

/* Add (h, id). put: a committed row (loading); add: a row of the open transaction, logged so
 * that undo withdraws it. Return 0, or -1 when out of memory (nothing added). */
int eventidx_put(eventidx_t *self, uint64_t h, int64_t id);
int eventidx_add(eventidx_t *self, uint64_t h, int64_t id);

/* Grow so that n more entries fit without rehashing. Returns 0 / -1 (out of memory). */
int eventidx_reserve(eventidx_t *self, uint64_t n);

/* Bring the slot of h into the cache ahead of a probe. */
void eventidx_prefetch(const eventidx_t *self, uint64_t h);

/* Candidates for h: start with *pos = 0; each call returns the next row id whose entry has
 * hash h, or 0 when there are no more. */
int64_t eventidx_next(const eventidx_t *self, uint64_t h, uint64_t *pos);

/* The undo log: mark is where a request's entries start; undo withdraws the entries added
 * after mark (a request or a transaction rolled back); commit forgets the log (its entries
 * are durable). */
size_t eventidx_mark(const eventidx_t *self);
void eventidx_undo(eventidx_t *self, size_t mark);
void eventidx_commit(eventidx_t *self);

/* Entries in the index. */
uint64_t eventidx_count(const eventidx_t *self);

/* Write the index (temp file + fsync + rename) as covering every row with id <= max_id. Call
 * only when every entry is committed. Returns 0, or -1 with a message. */
int eventidx_save(const eventidx_t *self, const char *path, int64_t max_id, char *err,
                  size_t errlen);

/* Read a snapshot whose header is sound and whose checksum matches, covering no row above
 * max_id_now; *covered = the largest row id it covers. NULL when there is none or it is not
 * usable (the caller then scans). The caller must still check that it matches the store:
 * eventidx_count against the rows <= *covered, and eventidx_sample against stored hashes. */
eventidx_t *eventidx_load(const char *path, int64_t max_id_now, int64_t *covered);

/* Call cb(arg, id, h) for up to n entries spread over the table; stops at cb's non-zero
 * return and returns it, else 0. */
int eventidx_sample(const eventidx_t *self, int n, int (*cb)(void *arg, int64_t id, uint64_t h),
                    void *arg);

#endif
