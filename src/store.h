/* store: the only place liftd speaks SQL. Durable storage of experiments and exposures
 * behind a backend-neutral interface (SQLite today in store_sqlite.c; a PostgreSQL backend
 * implements the same functions). It knows nothing of protobuf, sockets or statistics:
 * definitions are opaque bytes, enums are plain ints. One writer thread per store_t. */
#ifndef LIFT_STORE_H
#define LIFT_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

/* A stored experiment row. Pointers are valid only during the callback that receives it. */
typedef struct {
    int64_t id;           /* stable numeric id, used by exposures */
    const char *key;      /* unique key */
    int status;           /* ExperimentStatus value */
    const void *def;      /* definition as created (opaque bytes) */
    size_t def_len;       /* bytes in def */
    double coverage;      /* current coverage (ramps change it) */
    int64_t created_ms;   /* creation time */
    int64_t started_ms;   /* first start, 0 if never started */
    int64_t updated_ms;   /* last change */
} store_experiment_t;

/* A customer's first eligible decision in an experiment. */
typedef struct {
    int64_t experiment_id; /* store_experiment_t.id */
    const char *customer;  /* customer id bytes (not NUL-terminated necessarily) */
    size_t customer_len;   /* bytes in customer */
    int arm;               /* arm index */
    int trigger;           /* Trigger value of the decision's context */
    int stage;             /* Stage value */
    int channel;           /* Channel value */
    int64_t trigger_ms;    /* when the trigger fired */
    int64_t decided_ms;    /* when Lift decided */
} store_exposure_t;

/* Open (creating if needed) the store in directory `dir`, apply pending schema migrations.
 * The writer holds an exclusive lock on the store (dir/lift.lock, flock) for its lifetime: a
 * second writer on the same store is refused with the holder's pid in err, and the kernel
 * releases the lock when the holder exits or crashes. A store that cannot be written (file
 * permissions, read-only file system) is refused as such. Returns NULL with a message in err
 * on failure. The caller owns the result. */
store_t *store_open(const char *dir, char *err, size_t errlen);

/* Close and free; accepts NULL; sets *self_p to NULL. */
void store_destroy(store_t **self_p);

/* Storage quota: at most max_bytes of database pages (SQLite PRAGMA max_page_count, so a
 * write past it fails with SQLITE_FULL exactly as on a full disk). A store already larger keeps
 * its size as the limit. Sets *used_bytes and *quota_bytes (the limit in force). Per
 * connection, not persistent: set it at every open. Returns 0, or -1 with a message. */
int store_set_max_bytes(store_t *self, int64_t max_bytes, int64_t *used_bytes,
                        int64_t *quota_bytes, char *err, size_t errlen);

/* Schema version in use (PRAGMA user_version). */
int store_schema_version(store_t *self);

/* Transactions. begin opens a write transaction; commit makes it durable (fsync'd, WAL,
 * synchronous=FULL) and returns 0, or -1 with the reason in err, after which the transaction
 * is rolled back. All return 0 / -1. */
int store_begin(store_t *self, char *err, size_t errlen);
int store_commit(store_t *self, char *err, size_t errlen);
void store_rollback(store_t *self);

/* One request of a group-commit batch, so that it can be undone alone: request_begin marks
 * the start, and a savepoint is opened lazily before the request's first write (most requests
 * of a batch only read). request_end releases it (keep = 1) or rolls the request's writes
 * back (keep = 0). Return 0 / -1. */
void store_request_begin(store_t *self);
int store_request_end(store_t *self, int keep);

/* The last store error, for messages and logs. When an earlier failure ended the batch's
 * transaction (disk full, quota, I/O error), that failure's text, not a later symptom. */
const char *store_errmsg(store_t *self);

/* Insert a new experiment; sets *id_out. Returns 0, or -1 (e.g. key taken). */
int store_experiment_insert(store_t *self, const char *key, int status, const void *def,
                            size_t def_len, double coverage, int64_t now_ms, int64_t *id_out);

/* Update the mutable part of an experiment. Returns 0, or -1. */
int store_experiment_update(store_t *self, int64_t id, int status, double coverage,
                            int64_t started_ms, int64_t now_ms);

/* Call cb for every experiment in id order; cb returns 0 to go on, non-zero to stop (that
 * value is returned). Returns 0 after all rows, or -1 on a store error. */
typedef int (*store_experiment_cb)(void *arg, const store_experiment_t *row);
int store_experiment_each(store_t *self, store_experiment_cb cb, void *arg);

/* Look up a customer's exposure. Returns 1 and fills *arm_out when found, 0 when not, -1 on
 * error. */
int store_exposure_arm(store_t *self, int64_t experiment_id, const char *customer, size_t len,
                       int *arm_out);

/* Record an exposure (must not exist yet). Returns 0, or -1. */
int store_exposure_insert(store_t *self, const store_exposure_t *e);

/* Number of exposures recorded for an experiment, or -1 on error. */
int64_t store_exposure_count(store_t *self, int64_t experiment_id);

/* Exposures per arm: fills counts[0..narms-1]. Returns 0, or -1. */
int store_exposure_counts(store_t *self, int64_t experiment_id, int narms, int64_t *counts);

/* One stored event. Strings are NUL-terminated and borrowed for the call. */
typedef struct {
    uint64_t h;              /* 64-bit hash of event_id (the dedup index key) */
    const char *event_id;    /* idempotency key */
    const char *customer_id; /* customer */
    int type;                /* EventType value */
    int64_t ts_ms;           /* when it happened */
    int64_t experiment_id;   /* impression/click: experiment id; 0 = none */
    int arm;                 /* impression/click: arm index */
    int has_amount;          /* amount_minor is set */
    int64_t amount_minor;    /* conversion/refund amount */
    const char *plan_from;   /* NULL when none */
    const char *plan_to;     /* NULL when none */
    int nps;                 /* NPS score, -1 when none */
    int64_t received_ms;     /* when liftd stored it */
} store_event_t;

/* The digest of an event's content: every field of e except h, event_id and received_ms
 * (an id sent again with the same content is a duplicate; with other content, a conflict).
 * Stored with the event. Pure, thread-safe, the same on every backend and host. */
uint64_t store_event_digest(const store_event_t *e);

/* Append an event (its digest is computed here); sets *id_out to its row id. Returns 0, or
 * -1. */
int store_event_insert(store_t *self, const store_event_t *e, int64_t *id_out);

/* What a stored event is compared by when its id comes again. */
typedef struct {
    char event_id[80];    /* idempotency key (longer ids are cut: they are never stored) */
    uint64_t digest;      /* store_event_digest of the stored content */
    int type;             /* EventType value */
    int has_amount;       /* amount_minor is set */
    int64_t amount_minor; /* conversion/refund amount */
} store_event_key_t;

/* The event stored at row id into *out. Returns 1 found, 0 not, -1 error. */
int store_event_at(store_t *self, int64_t id, store_event_key_t *out);

/* Call cb(arg, row id, h) for every stored event with row id > after_id, in row order; cb
 * returns non-zero to stop. Returns 0, cb's value, or -1 on a store error. Used to rebuild the
 * dedup index at start. */
typedef int (*store_event_scan_cb)(void *arg, int64_t id, uint64_t h);
int store_event_scan(store_t *self, int64_t after_id, store_event_scan_cb cb, void *arg);

/* Largest event row id (0 when there are none; rows are append-only, so it bounds the count),
 * or -1 on error. O(log n). */
int64_t store_event_max_id(store_t *self);

/* Number of stored events with row id <= max_id, or -1 on error. O(rows), without reading
 * the rows' contents. */
int64_t store_event_count_upto(store_t *self, int64_t max_id);

/* Deployment settings (e.g. "currency"). get returns 1 and copies the value, 0 when unset,
 * -1 on error; set returns 0 / -1 (inside or outside a transaction). */
int store_meta_get(store_t *self, const char *key, char *buf, size_t len);
int store_meta_set(store_t *self, const char *key, const char *value);

/* PRAGMA integrity_check: returns 0 when "ok", -1 otherwise (message in err). */
int store_integrity_check(store_t *self, char *err, size_t errlen);

/* ---- read side: report threads ----------------------------------------------------------
 * A store_reader_t is a separate read-only connection (SQLITE_OPEN_READONLY) for one report
 * thread: WAL lets it read a consistent snapshot while the writer keeps committing. One
 * reader per thread; a reader is not shared between threads. It has a large page cache and
 * memory-maps the database, because a report scans every event. */
typedef struct store_reader store_reader_t;

/* Open a reader on the store in directory `dir` (which store_open must have created).
 * Returns NULL with a message in err on failure. The caller owns the result. */
store_reader_t *store_reader_open(const char *dir, char *err, size_t errlen);

/* Close and free; accepts NULL; sets *self_p to NULL. Ends an open read transaction. */
void store_reader_destroy(store_reader_t **self_p);

/* Read transaction = one snapshot: every read between begin and end sees the same committed
 * state. Calls nest (a counter): only the outermost begin/end start and finish the snapshot.
 * begin returns 0, or -1 with the reason in err. */
int store_reader_begin(store_reader_t *self, char *err, size_t errlen);
void store_reader_end(store_reader_t *self);

/* Last SQLite error text of the reader, for messages. */
const char *store_reader_errmsg(store_reader_t *self);

/* Call cb for every exposure of experiment_id (customer order). The row's customer pointer
 * is borrowed for the call only; experiment_id is set. cb returns 0 to go on, non-zero to
 * stop (that value is returned). Returns 0 after all rows, or -1 on a store error. */
typedef int (*store_exposure_cb)(void *arg, const store_exposure_t *row);
int store_reader_exposures(store_reader_t *self, int64_t experiment_id, store_exposure_cb cb,
                           void *arg);

/* One event as a report reads it: the columns a report needs, each only for the types it
 * belongs to (a report compares customers by assigned arm; an impression's logged arm is read only to
 * check it against the assigned one). */
typedef struct {
    const char *customer;  /* customer id bytes, not NUL-terminated; borrowed for the call */
    size_t customer_len;   /* bytes in customer */
    int type;              /* EventType value */
    int64_t ts_ms;         /* when it happened */
    int64_t experiment_id; /* impression/click: experiment id; 0 otherwise or none */
    int64_t amount_minor;  /* conversion/refund (and other non-NPS types): amount; 0 = none */
    int nps;               /* NPS: score 0..10; -1 otherwise or none */
    int arm;               /* impression: the arm the sender logged; -1 otherwise or none */
} store_event_row_t;

/* Call cb for every stored event with from_ms <= ts_ms < to_ms, in storage order (one full
 * scan: events have no secondary index). Same callback contract as store_reader_exposures
 * (cb runs inside SQLite's step: it must not use this reader). Returns 0, cb's non-zero
 * value, or -1 on a store error. */
typedef int (*store_event_row_cb)(void *arg, const store_event_row_t *row);
int store_reader_events(store_reader_t *self, int64_t from_ms, int64_t to_ms,
                        store_event_row_cb cb, void *arg);

/* Number of exposures of an experiment / of all stored events, or -1 on error. */
int64_t store_reader_exposure_count(store_reader_t *self, int64_t experiment_id);
int64_t store_reader_event_count(store_reader_t *self);

#endif
