/* store: the only place liftd speaks to its database, and the only source of truth. A
 * backend-neutral contract over an ops table (store_backend.h) chosen at run time from a URI:
 *
 *   sqlite:DIR           the embedded default (a bare DIR means the same; liftd --data DIR)
 *   postgresql://...     libpq URI (also postgres://...): the shared store of several liftd
 *
 * Operations are stated as idempotent facts, so no guarantee depends on process memory: a
 * batch of events comes back as inserted | duplicate | conflict per event (a unique event id
 * decides), a first exposure as first | existing (the stored arm and context) in one step with
 * no check-then-insert, and experiments are read by generation (what changed since G).
 * Backends keep their speed-ups private (SQLite: an in-memory event-id index and its
 * snapshot). Nothing here is SQL-, file- or backend-specific. Definitions are opaque bytes,
 * enums plain ints; no protobuf, sockets or statistics. One thread per store_t. */
#ifndef LIFT_STORE_H
#define LIFT_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

/* What a failed call means for the caller (store_errcode). */
typedef enum {
    STORE_OK = 0,        /* no failure */
    STORE_E_UNAVAILABLE, /* transient: connection lost, database busy/locked, deadlock or
                            * serialization failure, disk full, quota reached. Nothing of the
                            * failed transaction is stored; retrying later can succeed */
    STORE_E_EXISTS,      /* a unique key is taken (experiment key) */
    STORE_E_INVALID,     /* the store refused the value (too long, out of range) */
    STORE_E_INTERNAL     /* anything else: corruption, schema mismatch, a bug */
} store_errcode_t;

/* ---- open, close, transactions ----------------------------------------------------------- */

/* Open (creating and migrating the schema if needed) the store named by uri. A writer holds
 * what the backend needs for its guarantees for its lifetime (SQLite: an exclusive lock on the
 * directory, so a second liftd on it is refused naming the holder's pid; PostgreSQL: nothing,
 * any number of writers share the database). A store that cannot be written is refused as
 * such. Returns NULL with a message in err. The caller owns the result. */
store_t *store_open(const char *uri, char *err, size_t errlen);

/* Close and free; accepts NULL; sets *self_p to NULL. A backend may write a private snapshot
 * of its caches here (only of committed state). */
void store_destroy(store_t **self_p);

/* "sqlite" or "postgresql". */
const char *store_backend(const store_t *self);

/* 1 when other processes may write the same store at the same time (PostgreSQL), so caches
 * of shared state (experiments) must be refreshed by generation; 0 when this store_t is the
 * only writer (SQLite, by its lock). */
int store_shared(const store_t *self);

/* The uri with any password removed, for logs and messages. Owned by self. */
const char *store_uri(const store_t *self);

/* uri into out (len bytes) as store_uri shows it: the password of user:password@ and of a
 * password=... parameter replaced by "***". Returns out. */
const char *store_uri_redact(const char *uri, char *out, size_t len);

/* Storage quota: at most max_bytes stored; a write past it fails exactly as on a full disk
 * (STORE_E_UNAVAILABLE). A store already larger keeps its size as the limit. Sets *used_bytes
 * and *quota_bytes (the limit in force). Not persistent: set at every open. Returns 0, or -1
 * with a message (also when the backend has no quota of its own: PostgreSQL). */
int store_set_max_bytes(store_t *self, int64_t max_bytes, int64_t *used_bytes, int64_t *quota_bytes,
                        char *err, size_t errlen);

/* Schema version in use. */
int store_schema_version(store_t *self);

/* Transactions: begin opens a write transaction; commit makes it durable and returns 0, or -1
 * with the reason in err, after which the transaction is rolled back (nothing of it stored).
 * One transaction holds a group-commit batch of requests. */
int store_begin(store_t *self, char *err, size_t errlen);
int store_commit(store_t *self, char *err, size_t errlen);
void store_rollback(store_t *self);

/* One request of a batch, so that it can be undone alone: request_begin marks the start;
 * request_end keeps the request's writes (keep = 1) or undoes them (keep = 0), the backend's
 * private caches included. Return 0 / -1 (after -1 the whole transaction must be rolled back). */
void store_request_begin(store_t *self);
int store_request_end(store_t *self, int keep);

/* A hint between request_begin and the request's first write: the request makes at most one
 * write statement (atomic by itself) and is normally kept. The backend may then skip the
 * savepoint that would let request_end(keep = 0) undo it; if the request must be undone
 * after all, request_end returns -1 and the caller rolls the whole transaction back, as it
 * does for any request that cannot be undone alone. */
void store_request_single_write(store_t *self);

/* The last failure: text for messages and logs (when an earlier failure ended the batch's
 * transaction — disk full, quota, connection lost — that failure's text, not a later
 * symptom), and what it means (store_errcode_t). */
const char *store_errmsg(store_t *self);
store_errcode_t store_errcode(store_t *self);

/* ---- experiments ------------------------------------------------------------------------
 * Every change of an experiment gives it a new generation, larger than any generation stored
 * before, and generations become visible in increasing order (a reader that has seen G never
 * later finds a change with generation <= G it missed). */

/* A stored experiment row. Pointers are valid only during the callback that receives it. */
typedef struct {
    int64_t id;         /* stable numeric id, used by exposures and events */
    const char *key;    /* unique key */
    int status;         /* ExperimentStatus value */
    const void *def;    /* definition as created (opaque bytes) */
    size_t def_len;     /* bytes in def */
    double coverage;    /* current coverage (ramps change it) */
    int64_t created_ms; /* creation time */
    int64_t started_ms; /* first start, 0 if never started */
    int64_t updated_ms; /* last change */
    int64_t generation; /* generation of the last change */
} store_experiment_t;

/* Insert a new experiment; sets *id_out and *gen_out. Returns 0, 1 when the key is taken
 * (by anyone, committed), or -1. */
int store_experiment_insert(store_t *self, const char *key, int status, const void *def,
                            size_t def_len, double coverage, int64_t now_ms, int64_t *id_out,
                            int64_t *gen_out);

/* Update the mutable part of experiment id, provided it is still at generation expect_gen
 * (nobody changed it since the caller read it); sets *gen_out. Returns 0, 1 when it moved on
 * (re-read it and decide again), or -1. */
int store_experiment_update(store_t *self, int64_t id, int64_t expect_gen, int status,
                            double coverage, int64_t started_ms, int64_t now_ms, int64_t *gen_out);

/* Call cb for every experiment whose generation is > since (0: all), in id order; cb returns
 * 0 to go on, non-zero to stop (that value is returned). Returns 0 after all rows, or -1. */
typedef int (*store_experiment_cb)(void *arg, const store_experiment_t *row);
int store_experiment_each(store_t *self, int64_t since, store_experiment_cb cb, void *arg);

/* The largest generation stored (0 when there are no experiments), or -1. Cheap: callers
 * poll it to learn whether anything changed. */
int64_t store_generation(store_t *self);

/* ---- exposures --------------------------------------------------------------------------- */

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

typedef enum {
    STORE_FIRST = 0,    /* stored now: this is the customer's first exposure */
    STORE_EXISTING = 1, /* an exposure was stored before (here or by another instance, even
                         * one that won a race a moment ago): *stored is it */
    STORE_STALE = 2     /* the experiment is no longer at `generation` (paused, stopped,
                         * ramped by someone): nothing stored; refresh and decide again */
} store_record_t;

/* Record e as the customer's first exposure, in one step, provided experiment
 * e->experiment_id is still at `generation` in the store. Returns STORE_FIRST, STORE_EXISTING
 * (with *stored filled: arm and context as stored; stored->customer = e->customer) or
 * STORE_STALE; -1 on error. A lost race is never an error. */
int store_exposure_record(store_t *self, const store_exposure_t *e, int64_t generation,
                          store_exposure_t *stored);

/* Record a batch of exposures decided already (a store copy; a batch of first exposures), as
 * store_exposure_record would one by one: x[i] is recorded provided experiment
 * x[i].experiment_id is still at generation[i]; out[i] is STORE_FIRST, STORE_EXISTING (with
 * stored[i] filled as store_exposure_record fills *stored; stored may be NULL) or STORE_STALE.
 * Within the batch the first occurrence of a customer in an experiment is the one recorded;
 * a later one is STORE_EXISTING with the first's arm and context (unless its generation is
 * stale). Returns 0, or -1 on a store failure (then nothing of the batch may be kept: undo
 * the request or roll back). One round trip or two on PostgreSQL, whatever n. */
int store_exposures_put(store_t *self, const store_exposure_t *x, const int64_t *generation,
                        size_t n, store_record_t *out, store_exposure_t *stored);

/* Look up a customer's exposure. Returns 1 with *out filled (out->customer = customer), 0 when
 * there is none, -1 on error. */
int store_exposure_get(store_t *self, int64_t experiment_id, const char *customer, size_t len,
                       store_exposure_t *out);

/* Number of exposures recorded for an experiment, or -1 on error. */
int64_t store_exposure_count(store_t *self, int64_t experiment_id);

/* Exposures per arm: fills counts[0..narms-1]. Returns 0, or -1. */
int store_exposure_counts(store_t *self, int64_t experiment_id, int narms, int64_t *counts);

/* ---- events ------------------------------------------------------------------------------ */

/* One event. Strings are NUL-terminated and borrowed for the call. */
typedef struct {
    const char *event_id;    /* idempotency key, unique in the store */
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

/* The digest of an event's content: every field except event_id and received_ms (an id sent
 * again with the same content is a duplicate; with other content, a conflict). Stored with
 * the event. Pure, thread-safe, the same on every backend and host. */
uint64_t store_event_digest(const store_event_t *e);

/* What a stored event is compared by when its id comes again. */
typedef struct {
    char event_id[80];    /* idempotency key (longer ids are cut: they are never stored) */
    uint64_t digest;      /* store_event_digest of the stored content */
    int type;             /* EventType value */
    int has_amount;       /* amount_minor is set */
    int64_t amount_minor; /* conversion/refund amount */
} store_event_key_t;

typedef enum {
    STORE_INSERTED = 0,  /* stored now */
    STORE_DUPLICATE = 1, /* the id is stored (before, or earlier in this batch, here or by
                          * another instance) with the same content: nothing stored */
    STORE_CONFLICT = 2   /* the id is stored with other content: nothing stored; the stored
                          * event's key in stored[i] */
} store_put_t;

/* Store a batch of events inside the open transaction: out[i] says what became of ev[i];
 * for a conflict stored[i] describes what the store holds (stored may be NULL). Within the
 * batch the first occurrence of an id is the one compared against. Returns 0, or -1 on a
 * store failure (the request's writes must then be undone: store_request_end(keep = 0)). */
int store_events_put(store_t *self, const store_event_t *ev, size_t n, store_put_t *out,
                     store_event_key_t *stored);

/* Number of stored events, or -1 on error. */
int64_t store_event_count(store_t *self);

/* ---- deployment settings, checks --------------------------------------------------------- */

/* Deployment settings (e.g. "currency"). get returns 1 and copies the value, 0 when unset,
 * -1 on error; set returns 0 / -1 (inside or outside a transaction). */
int store_meta_get(store_t *self, const char *key, char *buf, size_t len);
int store_meta_set(store_t *self, const char *key, const char *value);

/* The backend's own consistency check: returns 0 when sound, -1 otherwise (message in err). */
int store_integrity_check(store_t *self, char *err, size_t errlen);

/* ---- read side: report threads ----------------------------------------------------------
 * A store_reader_t is a separate read-only connection for one report thread; it reads one
 * consistent snapshot while writers keep committing. A reader is not shared between threads. */
typedef struct store_reader store_reader_t;

/* Open a reader on the store named by uri (store_open must have created it). Returns NULL
 * with a message in err on failure. The caller owns the result. */
store_reader_t *store_reader_open(const char *uri, char *err, size_t errlen);

/* Close and free; accepts NULL; sets *self_p to NULL. Ends an open read transaction. */
void store_reader_destroy(store_reader_t **self_p);

/* Read transaction = one snapshot: every read between begin and end sees the same committed
 * state. Calls nest (a counter): only the outermost begin/end start and finish the snapshot.
 * begin returns 0, or -1 with the reason in err. */
int store_reader_begin(store_reader_t *self, char *err, size_t errlen);
void store_reader_end(store_reader_t *self);

/* Last error text of the reader, for messages. */
const char *store_reader_errmsg(store_reader_t *self);

/* Call cb for every exposure of experiment_id in customer order (bytewise). The row's
 * customer pointer is borrowed for the call only; experiment_id is set. cb returns 0 to go on,
 * non-zero to stop (that value is returned). Returns 0 after all rows, or -1 on a store error. */
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

/* Call cb for every stored event with from_ms <= ts_ms < to_ms, once each, in no defined
 * order (SQLite: storage order, one scan; PostgreSQL inside a snapshot: a large table's two
 * halves read at once on two connections sharing the snapshot, interleaved). cb is called from
 * the calling thread and must not use this reader. Returns 0, cb's non-zero value, or -1 on a
 * store error. The result of a report must not depend on the order. */
typedef int (*store_event_row_cb)(void *arg, const store_event_row_t *row);
int store_reader_events(store_reader_t *self, int64_t from_ms, int64_t to_ms, store_event_row_cb cb,
                        void *arg);

/* Every experiment (id order) and every event with all its columns (storage order), for
 * copying a store. Same callback contracts as above. */
int store_reader_experiments(store_reader_t *self, store_experiment_cb cb, void *arg);
typedef int (*store_event_cb)(void *arg, const store_event_t *row);
int store_reader_all_events(store_reader_t *self, store_event_cb cb, void *arg);

/* A deployment setting (store_meta_get) as of the reader's snapshot: returns 1 and copies the
 * value into buf, 0 when unset, -1 on error. */
int store_reader_meta_get(store_reader_t *self, const char *key, char *buf, size_t len);

/* Number of exposures of an experiment / of all stored events, or -1 on error. */
int64_t store_reader_exposure_count(store_reader_t *self, int64_t experiment_id);
int64_t store_reader_event_count(store_reader_t *self);

#endif
