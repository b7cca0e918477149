/* store_backend: what a store backend implements — the ops table behind store.h. Only store.c
 * (the dispatcher) and the backends include this. Each op has the contract of the store.h
 * function of the same name, with the backend's own state `b` in place of store_t; errcode
 * reports what the last failure means. store.c computes event digests before events_put, so
 * every backend stores the same digest. */
#ifndef LIFT_STORE_BACKEND_H
#define LIFT_STORE_BACKEND_H

#include "store.h"

typedef struct {
    const char *name; /* "sqlite", "postgresql" */
    int shared;       /* store_shared() */

    /* target: what follows the scheme ("DIR" for sqlite:DIR; the whole URI for libpq) */
    void *(*open)(const char *target, char *err, size_t errlen);
    void (*destroy)(void *b);
    int (*set_max_bytes)(void *b, int64_t max_bytes, int64_t *used, int64_t *quota, char *err,
                         size_t errlen);
    int (*schema_version)(void *b);
    int (*begin)(void *b, char *err, size_t errlen);
    int (*commit)(void *b, char *err, size_t errlen);
    void (*rollback)(void *b);
    void (*request_begin)(void *b);
    int (*request_end)(void *b, int keep);
    void (*request_single_write)(void *b); /* optional (NULL: nothing to save) */
    const char *(*errmsg)(void *b);
    store_errcode_t (*errcode)(void *b);

    int (*experiment_insert)(void *b, const char *key, int status, const void *def, size_t def_len,
                             double coverage, int64_t now_ms, int64_t *id_out, int64_t *gen_out);
    int (*experiment_update)(void *b, int64_t id, int64_t expect_gen, int status, double coverage,
                             int64_t started_ms, int64_t now_ms, int64_t *gen_out);
    int (*experiment_each)(void *b, int64_t since, store_experiment_cb cb, void *arg);
    int64_t (*generation)(void *b);

    int (*exposure_record)(void *b, const store_exposure_t *e, int64_t generation,
                           store_exposure_t *stored);
    int (*exposures_put)(void *b, const store_exposure_t *x, const int64_t *generation, size_t n,
                         store_record_t *out, store_exposure_t *stored);
    int (*exposure_get)(void *b, int64_t experiment_id, const char *customer, size_t len,
                        store_exposure_t *out);
    int64_t (*exposure_count)(void *b, int64_t experiment_id);
    int (*exposure_counts)(void *b, int64_t experiment_id, int narms, int64_t *counts);

    /* digests[i] = store_event_digest(&ev[i]) */
    int (*events_put)(void *b, const store_event_t *ev, const uint64_t *digests, size_t n,
                      store_put_t *out, store_event_key_t *stored);
    int64_t (*event_count)(void *b);

    int (*meta_get)(void *b, const char *key, char *buf, size_t len);
    int (*meta_set)(void *b, const char *key, const char *value);
    int (*integrity_check)(void *b, char *err, size_t errlen);

    /* readers */
    void *(*reader_open)(const char *target, char *err, size_t errlen);
    void (*reader_destroy)(void *r);
    int (*reader_begin)(void *r, char *err, size_t errlen);
    void (*reader_end)(void *r);
    const char *(*reader_errmsg)(void *r);
    int (*reader_exposures)(void *r, int64_t experiment_id, store_exposure_cb cb, void *arg);
    int (*reader_events)(void *r, int64_t from_ms, int64_t to_ms, store_event_row_cb cb, void *arg);
    int (*reader_experiments)(void *r, store_experiment_cb cb, void *arg);
    int (*reader_all_events)(void *r, store_event_cb cb, void *arg);
    int (*reader_meta_get)(void *r, const char *key, char *buf, size_t len);
    int64_t (*reader_exposure_count)(void *r, int64_t experiment_id);
    int64_t (*reader_event_count)(void *r);
} store_ops_t;

extern const store_ops_t store_sqlite_ops; /* store_sqlite.c */
extern const store_ops_t store_pg_ops;     /* store_pg.c */

#endif
