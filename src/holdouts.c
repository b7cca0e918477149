/* holdouts: program holdouts — validation, the cache and the gate of the assignment path. See
 * holdouts.h and README "Program holdout". */
#include "holdouts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "exposure_record.h"
#include "lift/limits.h"
#include "text.h"

struct holdouts {
    holdouts_entry_t **items; /* creation order */
    int count;
    int cap;
};

static const int invalid_code = LIFT__CODE__INVALID_ARGUMENT;

/* ---- validation --------------------------------------------------------------------- */

static int check_key(const char *key, const char *field, status_t *st)
{
    if (!key || !*key)
        return status_set(st, invalid_code, field, "%s is required ([a-z0-9-_.]{1,%d})", field,
                          LIFT_KEY_MAX);
    size_t n = strlen(key);
    if (n > LIFT_KEY_MAX)
        return status_set(st, invalid_code, field, "%s: %zu bytes, at most %d", field, n,
                          LIFT_KEY_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return status_set(st, invalid_code, field,
                              "%s: \"%.64s\" has '%c' at byte %zu; allowed: [a-z0-9-_.]", field,
                              key, c >= 0x20 && c < 0x7f ? c : '?', i);
    }
    return 0;
}

static int check_text(const char *s, const char *field, size_t max, status_t *st)
{
    char msg[sizeof st->message];
    if (s && text_check(field, s, strlen(s), 0, max, 0, msg, sizeof msg) < 0)
        return status_set(st, invalid_code, field, "%s", msg);
    return 0;
}

static int check_enums(const ProtobufCEnumDescriptor *d, const int *v, size_t n, const char *field,
                       status_t *st)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == 0 || !protobuf_c_enum_descriptor_get_value(d, v[i]))
            return status_set(st, invalid_code, field, "%s[%zu]: %d is not a known %s value", field,
                              i, v[i], d->short_name);
    return 0;
}

static int check_time(int64_t v, const char *field, status_t *st)
{
    if (v && (v < LIFT_TIME_MIN_MS || v >= LIFT_TIME_MAX_MS))
        return status_set(st, invalid_code, field,
                          "%s: %lld is outside [%lld, %lld) (2000-01-01 .. 3000-01-01, ms)", field,
                          (long long)v, (long long)LIFT_TIME_MIN_MS, (long long)LIFT_TIME_MAX_MS);
    return 0;
}

int holdouts_validate(Lift__Holdout *h, status_t *st)
{
    char f[96];
    if (check_key(h->key, "holdout.key", st) < 0 ||
        check_text(h->name, "holdout.name", LIFT_NAME_MAX, st) < 0 ||
        check_text(h->owner, "holdout.owner", LIFT_NAME_MAX, st) < 0 ||
        check_text(h->seed, "holdout.seed", LIFT_SEED_MAX, st) < 0)
        return -1;
    if (!h->has_percent)
        return status_set(st, invalid_code, "holdout.percent",
                          "holdout.percent is required (in (0, %g], typically 1..10)",
                          LIFT_HOLDOUT_PERCENT_MAX);
    if (!isfinite(h->percent) || h->percent <= 0 || h->percent > LIFT_HOLDOUT_PERCENT_MAX)
        return status_set(st, invalid_code, "holdout.percent",
                          "holdout.percent: %g is outside (0, %g]", h->percent,
                          LIFT_HOLDOUT_PERCENT_MAX);
    if (check_time(h->start_ms, "holdout.start_ms", st) < 0 ||
        check_time(h->end_ms, "holdout.end_ms", st) < 0)
        return -1;
    if (h->start_ms && h->end_ms && h->end_ms <= h->start_ms)
        return status_set(st, invalid_code, "holdout.end_ms",
                          "holdout.end_ms: %lld is not after holdout.start_ms %lld",
                          (long long)h->end_ms, (long long)h->start_ms);
    if (h->scope && (check_enums(&lift__trigger__descriptor, (const int *)h->scope->triggers,
                                 h->scope->n_triggers, "holdout.scope.triggers", st) < 0 ||
                     check_enums(&lift__stage__descriptor, (const int *)h->scope->stages,
                                 h->scope->n_stages, "holdout.scope.stages", st) < 0 ||
                     check_enums(&lift__channel__descriptor, (const int *)h->scope->channels,
                                 h->scope->n_channels, "holdout.scope.channels", st) < 0))
        return -1;
    if (!h->has_link || (h->link != LIFT__HOLDOUT_LINK__LINK_EXPLICIT &&
                         h->link != LIFT__HOLDOUT_LINK__LINK_STARTED_AFTER))
        return status_set(st, invalid_code, "holdout.link",
                          "holdout.link: %d; need LINK_EXPLICIT (1: the experiment_keys) or "
                          "LINK_STARTED_AFTER (2: every experiment started after the holdout)",
                          h->has_link ? (int)h->link : 0);
    if (h->link == LIFT__HOLDOUT_LINK__LINK_EXPLICIT) {
        if (h->n_experiment_keys < 1 || h->n_experiment_keys > HOLDOUTS_MAX_LINKED)
            return status_set(st, invalid_code, "holdout.experiment_keys",
                              "holdout.experiment_keys: %zu keys, need 1..%d with LINK_EXPLICIT",
                              h->n_experiment_keys, HOLDOUTS_MAX_LINKED);
        for (size_t i = 0; i < h->n_experiment_keys; i++) {
            snprintf(f, sizeof f, "holdout.experiment_keys[%zu]", i);
            if (check_key(h->experiment_keys[i], f, st) < 0)
                return -1;
            for (size_t j = 0; j < i; j++)
                if (strcmp(h->experiment_keys[j], h->experiment_keys[i]) == 0)
                    return status_set(st, invalid_code, f, "%s: \"%s\" is listed at [%zu] too", f,
                                      h->experiment_keys[i], j);
        }
    } else if (h->n_experiment_keys) {
        return status_set(st, invalid_code, "holdout.experiment_keys",
                          "holdout.experiment_keys: %zu keys given with LINK_STARTED_AFTER, "
                          "which links by start time (give none, or use LINK_EXPLICIT)",
                          h->n_experiment_keys);
    }
    const Lift__Exclusions *x = h->exclusions;
    if (x) {
        if (x->n_customer_ids > HOLDOUTS_MAX_EXCLUDED_IDS)
            return status_set(st, invalid_code, "holdout.exclusions.customer_ids",
                              "holdout.exclusions.customer_ids: %zu ids, at most %d",
                              x->n_customer_ids, HOLDOUTS_MAX_EXCLUDED_IDS);
        for (size_t i = 0; i < x->n_customer_ids; i++) {
            char msg[160];
            const char *id = x->customer_ids[i];
            if (assign_customer_id_check(id, strlen(id), msg, sizeof msg) < 0) {
                snprintf(f, sizeof f, "holdout.exclusions.customer_ids[%zu]", i);
                return status_set(st, invalid_code, f, "%s: %s", f, msg);
            }
        }
        if (x->n_id_prefixes > HOLDOUTS_MAX_PREFIXES)
            return status_set(st, invalid_code, "holdout.exclusions.id_prefixes",
                              "holdout.exclusions.id_prefixes: %zu prefixes, at most %d",
                              x->n_id_prefixes, HOLDOUTS_MAX_PREFIXES);
        for (size_t i = 0; i < x->n_id_prefixes; i++) {
            char msg[160];
            const char *p = x->id_prefixes[i];
            snprintf(f, sizeof f, "holdout.exclusions.id_prefixes[%zu]", i);
            if (assign_customer_id_check(p, strlen(p), msg, sizeof msg) < 0)
                return status_set(st, invalid_code, f, "%s: %s (a prefix follows the id rules)", f,
                                  msg);
        }
    }
    return 0;
}

/* The definition as created: validated input without server fields, seed filled. */
static uint8_t *canonical(const Lift__Holdout *in, size_t *len_out)
{
    Lift__Holdout c = *in;
    c.has_status = c.has_created_ms = c.has_started_ms = c.has_updated_ms = 0;
    c.has_held_out = c.has_measured = 0;
    if (!c.seed || !*c.seed)
        c.seed = c.key;
    c.has_start_ms = c.start_ms != 0;
    c.has_end_ms = c.end_ms != 0;
    size_t len = lift__holdout__get_packed_size(&c);
    uint8_t *b = malloc(len ? len : 1);
    if (!b)
        return NULL;
    lift__holdout__pack(&c, b);
    *len_out = len;
    return b;
}

/* ---- cache -------------------------------------------------------------------------- */

holdouts_t *holdouts_new(void)
{
    return calloc(1, sizeof(holdouts_t));
}

static void entry_free(holdouts_entry_t *e)
{
    if (!e)
        return;
    if (e->def)
        lift__holdout__free_unpacked(e->def, NULL);
    free(e->created);
    free(e);
}

void holdouts_clear(holdouts_t *self)
{
    if (!self)
        return;
    for (int i = 0; i < self->count; i++)
        entry_free(self->items[i]);
    self->count = 0;
}

void holdouts_destroy(holdouts_t **self_p)
{
    if (!*self_p)
        return;
    holdouts_clear(*self_p);
    free((*self_p)->items);
    free(*self_p);
    *self_p = NULL;
}

int holdouts_row_is(const store_experiment_t *row)
{
    return strncmp(row->key, HOLDOUTS_KEY_PREFIX, sizeof HOLDOUTS_KEY_PREFIX - 1) == 0;
}

static void entry_set(holdouts_entry_t *e, const store_experiment_t *row)
{
    Lift__Holdout *d = e->def;
    d->has_status = 1;
    d->status = (Lift__ExperimentStatus)row->status;
    d->has_created_ms = 1;
    d->created_ms = row->created_ms;
    d->has_started_ms = row->started_ms != 0;
    d->started_ms = row->started_ms;
    d->has_updated_ms = 1;
    d->updated_ms = row->updated_ms;
    e->generation = row->generation;
}

int holdouts_load_row(holdouts_t *self, const store_experiment_t *row)
{
    for (int i = 0; i < self->count; i++)
        if (self->items[i]->id == row->id) {
            entry_set(self->items[i], row);
            return 0;
        }
    holdouts_entry_t *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    e->id = row->id;
    e->def = lift__holdout__unpack(NULL, row->def_len, row->def);
    e->created = malloc(row->def_len ? row->def_len : 1);
    if (!e->def || !e->def->key || !e->created) {
        entry_free(e);
        return -1;
    }
    memcpy(e->created, row->def, row->def_len);
    e->created_len = row->def_len;
    entry_set(e, row);
    if (self->count == self->cap) {
        int cap = self->cap ? self->cap * 2 : 8;
        holdouts_entry_t **items = realloc(self->items, (size_t)cap * sizeof *items);
        if (!items) {
            entry_free(e);
            return -1;
        }
        self->items = items;
        self->cap = cap;
    }
    self->items[self->count++] = e;
    return 0;
}

int holdouts_count(const holdouts_t *self)
{
    return self->count;
}

const holdouts_entry_t *holdouts_at(const holdouts_t *self, int i)
{
    return i >= 0 && i < self->count ? self->items[i] : NULL;
}

const holdouts_entry_t *holdouts_find(const holdouts_t *self, const char *key)
{
    if (!key)
        return NULL;
    for (int i = 0; i < self->count; i++)
        if (strcmp(self->items[i]->def->key, key) == 0)
            return self->items[i];
    return NULL;
}

static int find_index(const holdouts_t *self, int64_t id)
{
    for (int i = 0; i < self->count; i++)
        if (self->items[i]->id == id)
            return i;
    return -1;
}

int holdouts_create(holdouts_t *self, store_t *store, const Lift__Holdout *in, int64_t now_ms,
                    const holdouts_entry_t **out, int *created, status_t *st)
{
    if (!in)
        return status_set(st, invalid_code, "create_holdout.holdout",
                          "create_holdout.holdout is required");
    Lift__Holdout v = *in;
    if (holdouts_validate(&v, st) < 0)
        return -1;
    size_t len = 0;
    uint8_t *bytes = canonical(&v, &len);
    if (!bytes)
        return status_set(st, LIFT__CODE__INTERNAL, NULL, "out of memory");
    const holdouts_entry_t *old = holdouts_find(self, v.key);
    if (old) {
        int same = old->created_len == len && memcmp(old->created, bytes, len) == 0;
        free(bytes);
        if (!same)
            return status_set(st, LIFT__CODE__ALREADY_EXISTS, "holdout.key",
                              "holdout %s exists with another definition", v.key);
        *out = old;
        *created = 0;
        return 0;
    }
    if (self->count >= LIFT_HOLDOUTS_MAX) {
        free(bytes);
        return status_set(st, LIFT__CODE__FAILED_PRECONDITION, "holdout.key",
                          "%d holdouts are defined, at most %d", self->count, LIFT_HOLDOUTS_MAX);
    }
    char skey[sizeof HOLDOUTS_KEY_PREFIX + LIFT_KEY_MAX];
    snprintf(skey, sizeof skey, "%s%s", HOLDOUTS_KEY_PREFIX, v.key);
    int64_t id = 0, gen = 0;
    int rc = store_experiment_insert(store, skey, LIFT__EXPERIMENT_STATUS__STATUS_DRAFT, bytes, len,
                                     v.percent / 100.0, now_ms, &id, &gen);
    if (rc != 0) {
        free(bytes);
        if (rc == 1)
            return status_set(st, LIFT__CODE__ALREADY_EXISTS, "holdout.key",
                              "holdout %s was created meanwhile by another liftd; read it again",
                              v.key);
        return status_set(st, status_store_code(store_errcode(store)), NULL,
                          "cannot store holdout %s: %s", v.key, store_errmsg(store));
    }
    store_experiment_t row = {
        .id = id,
        .key = skey,
        .status = LIFT__EXPERIMENT_STATUS__STATUS_DRAFT,
        .def = bytes,
        .def_len = len,
        .coverage = v.percent / 100.0,
        .created_ms = now_ms,
        .updated_ms = now_ms,
        .generation = gen,
    };
    rc = holdouts_load_row(self, &row);
    free(bytes);
    if (rc < 0)
        return status_set(st, LIFT__CODE__INTERNAL, NULL, "out of memory");
    *out = self->items[find_index(self, id)];
    *created = 1;
    return 0;
}

int holdouts_change(holdouts_t *self, store_t *store, const char *key, int action, int64_t now_ms,
                    const holdouts_entry_t **out, status_t *st)
{
    holdouts_entry_t *e = (holdouts_entry_t *)holdouts_find(self, key);
    if (!e)
        return status_set(st, LIFT__CODE__NOT_FOUND, "change_holdout.key",
                          "no holdout with key %.64s", key && *key ? key : "(empty)");
    int status = (int)e->def->status, to;
    int64_t started = e->def->has_started_ms ? e->def->started_ms : 0;
    if (action == LIFT__ACTION__ACTION_START) {
        if (status == LIFT__EXPERIMENT_STATUS__STATUS_RUNNING) {
            *out = e;
            return 0;
        }
        if (status != LIFT__EXPERIMENT_STATUS__STATUS_DRAFT)
            return status_set(st, LIFT__CODE__FAILED_PRECONDITION, "change_holdout.action",
                              "holdout %s is stopped; a stopped holdout cannot start again", key);
        to = LIFT__EXPERIMENT_STATUS__STATUS_RUNNING;
        started = now_ms;
    } else if (action == LIFT__ACTION__ACTION_STOP) {
        if (status == LIFT__EXPERIMENT_STATUS__STATUS_STOPPED) {
            *out = e;
            return 0;
        }
        to = LIFT__EXPERIMENT_STATUS__STATUS_STOPPED;
    } else {
        return status_set(st, invalid_code, "change_holdout.action",
                          "change_holdout.action: %d; a holdout takes ACTION_START (1) or "
                          "ACTION_STOP (4)",
                          action);
    }
    int64_t gen = 0;
    int rc = store_experiment_update(store, e->id, e->generation, to, e->def->percent / 100.0,
                                     started, now_ms, &gen);
    if (rc < 0)
        return status_set(st, status_store_code(store_errcode(store)), NULL,
                          "cannot change holdout %s: %s", key, store_errmsg(store));
    if (rc == 1)
        return 1;
    e->def->status = (Lift__ExperimentStatus)to;
    e->def->has_started_ms = started != 0;
    e->def->started_ms = started;
    e->def->updated_ms = now_ms;
    e->generation = gen;
    *out = e;
    return 0;
}

/* The status of a failed exposure record to holdout key (the store's error); returns -1. */
static int record_failed(status_t *st, store_t *store, const char *key)
{
    return status_set(st, status_store_code(store_errcode(store)), NULL,
                      "cannot record the exposure to holdout %s: %s", key, store_errmsg(store));
}

int holdouts_gate(const holdouts_t *self, store_t *store, const char *exp_key,
                  int64_t exp_started_ms, const char *id, size_t len, const Lift__Context *ctx,
                  int64_t now_ms, holdouts_seen_fn seen, holdouts_remember_fn remember, void *cache,
                  int *recorded, status_t *st)
{
    int held = 0;
    for (int i = 0; i < self->count; i++) {
        const holdouts_entry_t *e = self->items[i];
        const Lift__Holdout *h = e->def;
        int g = holdout_decide(h, exp_key, exp_started_ms, id, len, ctx, now_ms);
        if (g != HOLDOUT_GROUP_HELD_OUT && g != HOLDOUT_GROUP_MEASURED)
            continue;
        int arm = g == HOLDOUT_GROUP_HELD_OUT ? HOLDOUT_ARM_HELD_OUT : HOLDOUT_ARM_MEASURED;
        if (g == HOLDOUT_GROUP_HELD_OUT)
            held = 1;
        int cached;
        if (seen && seen(cache, e->id, id, len, &cached))
            continue;
        store_exposure_t have;
        int rc = exposure_record(store, e->id, e->generation, id, len, arm, ctx, now_ms, &have);
        if (rc < 0)
            return record_failed(st, store, h->key);
        if (rc == STORE_STALE)
            return 1;
        if (rc == STORE_FIRST)
            *recorded = 1;
        if (remember)
            remember(cache, e->id, id, len, rc == STORE_FIRST ? arm : have.arm);
    }
    return held ? 2 : 0;
}

const char *holdouts_holding(const holdouts_t *self, const char *exp_key, int64_t exp_started_ms,
                             const char *id, size_t len, const Lift__Context *ctx, int64_t now_ms)
{
    for (int i = 0; i < self->count; i++)
        if (holdout_decide(self->items[i]->def, exp_key, exp_started_ms, id, len, ctx, now_ms) ==
            HOLDOUT_GROUP_HELD_OUT)
            return self->items[i]->def->key;
    return NULL;
}

int holdouts_record(const holdouts_t *self, store_t *store, const char *holdout_key,
                    const char *exp_key, int64_t exp_started_ms, const char *id, size_t len,
                    const Lift__Context *ctx, int64_t decided_ms, const char *field, int *arm,
                    int *first, status_t *st)
{
    char f[160];
    snprintf(f, sizeof f, "%s.holdout_key", field);
    const holdouts_entry_t *e = holdouts_find(self, holdout_key);
    if (!e) {
        status_set(st, LIFT__CODE__NOT_FOUND, f, "%s: no holdout with key %.64s", f, holdout_key);
        return 1;
    }
    const Lift__Holdout *h = e->def;
    if (h->status != LIFT__EXPERIMENT_STATUS__STATUS_RUNNING) {
        status_set(st, LIFT__CODE__FAILED_PRECONDITION, f,
                   "%s: holdout %s is %s: no program exposure is recorded", f, h->key,
                   h->status == LIFT__EXPERIMENT_STATUS__STATUS_DRAFT ? "a draft" : "stopped");
        return 1;
    }
    if (!holdout_links(h, h->started_ms, exp_key, exp_started_ms)) {
        status_set(st, LIFT__CODE__FAILED_PRECONDITION, f,
                   "%s: experiment %s is not linked to holdout %s by liftd's definitions", f,
                   exp_key, h->key);
        return 1;
    }
    int g = holdout_group(h, id, len);
    if (g != HOLDOUT_GROUP_HELD_OUT && g != HOLDOUT_GROUP_MEASURED) {
        status_set(st, LIFT__CODE__FAILED_PRECONDITION, f,
                   "%s: customer %s is in neither group of holdout %s by liftd's definition", f, id,
                   h->key);
        return 1;
    }
    int want = g == HOLDOUT_GROUP_HELD_OUT ? HOLDOUT_ARM_HELD_OUT : HOLDOUT_ARM_MEASURED;
    store_exposure_t have;
    int rc = exposure_record(store, e->id, e->generation, id, len, want, ctx, decided_ms, &have);
    if (rc < 0)
        return record_failed(st, store, h->key);
    if (rc == STORE_STALE)
        return 2;
    *first = rc == STORE_FIRST;
    *arm = rc == STORE_FIRST ? want : have.arm;
    return 0;
}
