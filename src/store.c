/* store: the backend-neutral half of store.h — the dispatcher that picks a backend from the
 * URI and forwards each call through its ops table (store_backend.h), and what every backend
 * computes the same way (an event's content digest). No SQL, no I/O of its own. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "store_backend.h"

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

/* ---- the dispatcher: store.h over the ops table of the backend the URI names ----------- */

#define URI_MAX 1024

struct store {
    const store_ops_t *ops;
    void *b;           /* the backend's state */
    char uri[URI_MAX]; /* as given, password removed */
};

struct store_reader {
    const store_ops_t *ops;
    void *r;
};

const char *store_uri_redact(const char *uri, char *out, size_t len)
{
    snprintf(out, len, "%s", uri);
    char *scheme = strstr(out, "://");
    if (scheme) {
        char *auth = scheme + 3, *at = strchr(auth, '@'), *slash = strchr(auth, '/');
        char *colon = strchr(auth, ':');
        if (at && (!slash || at < slash) && colon && colon < at) {
            char rest[URI_MAX];
            snprintf(rest, sizeof rest, "%s", at);
            snprintf(colon, len - (size_t)(colon - out), ":***%s", rest);
        }
    }
    char *pw = strstr(out, "password=");
    if (pw) {
        char *end = pw + 9;
        while (*end && *end != '&' && *end != ' ')
            end++;
        char rest[URI_MAX];
        snprintf(rest, sizeof rest, "%s", end);
        snprintf(pw + 9, len - (size_t)(pw + 9 - out), "***%s", rest);
    }
    return out;
}

/* Which backend a URI names and what it passes on. Returns NULL with a message for a scheme
 * no backend knows. */
static const store_ops_t *pick(const char *uri, const char **target, char *err, size_t errlen)
{
    if (!uri || !uri[0]) {
        snprintf(err, errlen, "no store given (sqlite:DIR or postgresql://...)");
        return NULL;
    }
    if (!strncmp(uri, "sqlite:", 7)) {
        *target = uri + 7;
        if (!strncmp(*target, "//", 2))
            *target += 2; /* sqlite://DIR as well */
        if (!**target) {
            snprintf(err, errlen, "store %s names no directory (sqlite:DIR)", uri);
            return NULL;
        }
        return &store_sqlite_ops;
    }
    if (!strncmp(uri, "postgresql://", 13) || !strncmp(uri, "postgres://", 11)) {
        *target = uri;
        return &store_pg_ops;
    }
    const char *sep = strstr(uri, "://");
    if (sep) {
        int scheme = 1;
        for (const char *p = uri; p < sep; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
                scheme = 0;
        if (scheme && sep > uri) {
            snprintf(err, errlen,
                     "store %.*s: unknown scheme \"%.*s\" (known: sqlite:DIR, postgresql://...)",
                     200, uri, (int)(sep - uri) > 32 ? 32 : (int)(sep - uri), uri);
            return NULL;
        }
    }
    *target = uri; /* a bare directory */
    return &store_sqlite_ops;
}

store_t *store_open(const char *uri, char *err, size_t errlen)
{
    const char *target = NULL;
    const store_ops_t *ops = pick(uri, &target, err, errlen);
    if (!ops)
        return NULL;
    if (strlen(uri) >= URI_MAX) {
        snprintf(err, errlen, "store uri is %zu bytes, longer than %d", strlen(uri), URI_MAX - 1);
        return NULL;
    }
    store_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->ops = ops;
    store_uri_redact(uri, self->uri, sizeof self->uri);
    self->b = ops->open(target, err, errlen);
    if (!self->b) {
        free(self);
        return NULL;
    }
    return self;
}

void store_destroy(store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    self->ops->destroy(self->b);
    free(self);
    *self_p = NULL;
}

const char *store_backend(const store_t *self)
{
    return self->ops->name;
}
int store_shared(const store_t *self)
{
    return self->ops->shared;
}
const char *store_uri(const store_t *self)
{
    return self->uri;
}

int store_set_max_bytes(store_t *self, int64_t max_bytes, int64_t *used_bytes, int64_t *quota_bytes,
                        char *err, size_t errlen)
{
    if (!self->ops->set_max_bytes) {
        snprintf(err, errlen,
                 "a storage quota is not available on the %s store (set one in "
                 "the database itself)",
                 self->ops->name);
        return -1;
    }
    return self->ops->set_max_bytes(self->b, max_bytes, used_bytes, quota_bytes, err, errlen);
}

int store_schema_version(store_t *self)
{
    return self->ops->schema_version(self->b);
}

int store_begin(store_t *self, char *err, size_t errlen)
{
    return self->ops->begin(self->b, err, errlen);
}

int store_commit(store_t *self, char *err, size_t errlen)
{
    return self->ops->commit(self->b, err, errlen);
}

void store_rollback(store_t *self)
{
    self->ops->rollback(self->b);
}
void store_request_begin(store_t *self)
{
    self->ops->request_begin(self->b);
}
int store_request_end(store_t *self, int keep)
{
    return self->ops->request_end(self->b, keep);
}

void store_request_single_write(store_t *self)
{
    if (self->ops->request_single_write)
        self->ops->request_single_write(self->b);
}
const char *store_errmsg(store_t *self)
{
    return self->ops->errmsg(self->b);
}
store_errcode_t store_errcode(store_t *self)
{
    return self->ops->errcode(self->b);
}

int store_experiment_insert(store_t *self, const char *key, int status, const void *def,
                            size_t def_len, double coverage, int64_t now_ms, int64_t *id_out,
                            int64_t *gen_out)
{
    return self->ops->experiment_insert(self->b, key, status, def, def_len, coverage, now_ms,
                                        id_out, gen_out);
}

int store_experiment_update(store_t *self, int64_t id, int64_t expect_gen, int status,
                            double coverage, int64_t started_ms, int64_t now_ms, int64_t *gen_out)
{
    return self->ops->experiment_update(self->b, id, expect_gen, status, coverage, started_ms,
                                        now_ms, gen_out);
}

int store_experiment_each(store_t *self, int64_t since, store_experiment_cb cb, void *arg)
{
    return self->ops->experiment_each(self->b, since, cb, arg);
}

int64_t store_generation(store_t *self)
{
    return self->ops->generation(self->b);
}

int store_exposure_record(store_t *self, const store_exposure_t *e, int64_t generation,
                          store_exposure_t *stored)
{
    return self->ops->exposure_record(self->b, e, generation, stored);
}

int store_exposures_put(store_t *self, const store_exposure_t *x, const int64_t *generation,
                        size_t n, store_record_t *out, store_exposure_t *stored)
{
    if (n == 0)
        return 0;
    return self->ops->exposures_put(self->b, x, generation, n, out, stored);
}

int store_exposure_get(store_t *self, int64_t experiment_id, const char *customer, size_t len,
                       store_exposure_t *out)
{
    return self->ops->exposure_get(self->b, experiment_id, customer, len, out);
}

int64_t store_exposure_count(store_t *self, int64_t experiment_id)
{
    return self->ops->exposure_count(self->b, experiment_id);
}

int store_exposure_counts(store_t *self, int64_t experiment_id, int narms, int64_t *counts)
{
    return self->ops->exposure_counts(self->b, experiment_id, narms, counts);
}

#define DIGESTS_ON_STACK 256

int store_events_put(store_t *self, const store_event_t *ev, size_t n, store_put_t *out,
                     store_event_key_t *stored)
{
    uint64_t local[DIGESTS_ON_STACK] = {0},
             *d = local; /* zeroed: gcc cannot see n bounds the reads */
    if (n > DIGESTS_ON_STACK && !(d = malloc(n * sizeof *d)))
        return -1;
    for (size_t i = 0; i < n; i++)
        d[i] = store_event_digest(&ev[i]);
    int rc = self->ops->events_put(self->b, ev, d, n, out, stored);
    if (d != local)
        free(d);
    return rc;
}

int64_t store_event_count(store_t *self)
{
    return self->ops->event_count(self->b);
}

int store_meta_get(store_t *self, const char *key, char *buf, size_t len)
{
    return self->ops->meta_get(self->b, key, buf, len);
}

int store_meta_set(store_t *self, const char *key, const char *value)
{
    return self->ops->meta_set(self->b, key, value);
}

int store_integrity_check(store_t *self, char *err, size_t errlen)
{
    return self->ops->integrity_check(self->b, err, errlen);
}

store_reader_t *store_reader_open(const char *uri, char *err, size_t errlen)
{
    const char *target = NULL;
    const store_ops_t *ops = pick(uri, &target, err, errlen);
    if (!ops)
        return NULL;
    store_reader_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->ops = ops;
    self->r = ops->reader_open(target, err, errlen);
    if (!self->r) {
        free(self);
        return NULL;
    }
    return self;
}

void store_reader_destroy(store_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_reader_t *self = *self_p;
    self->ops->reader_destroy(self->r);
    free(self);
    *self_p = NULL;
}

int store_reader_begin(store_reader_t *self, char *err, size_t errlen)
{
    return self->ops->reader_begin(self->r, err, errlen);
}

void store_reader_end(store_reader_t *self)
{
    self->ops->reader_end(self->r);
}
const char *store_reader_errmsg(store_reader_t *self)
{
    return self->ops->reader_errmsg(self->r);
}

int store_reader_exposures(store_reader_t *self, int64_t experiment_id, store_exposure_cb cb,
                           void *arg)
{
    return self->ops->reader_exposures(self->r, experiment_id, cb, arg);
}

int store_reader_events(store_reader_t *self, int64_t from_ms, int64_t to_ms, store_event_row_cb cb,
                        void *arg)
{
    return self->ops->reader_events(self->r, from_ms, to_ms, cb, arg);
}

int store_reader_experiments(store_reader_t *self, store_experiment_cb cb, void *arg)
{
    return self->ops->reader_experiments(self->r, cb, arg);
}

int store_reader_all_events(store_reader_t *self, store_event_cb cb, void *arg)
{
    return self->ops->reader_all_events(self->r, cb, arg);
}

int store_reader_meta_get(store_reader_t *self, const char *key, char *buf, size_t len)
{
    return self->ops->reader_meta_get(self->r, key, buf, len);
}

int64_t store_reader_exposure_count(store_reader_t *self, int64_t experiment_id)
{
    return self->ops->reader_exposure_count(self->r, experiment_id);
}

int64_t store_reader_event_count(store_reader_t *self)
{
    return self->ops->reader_event_count(self->r);
}
