/* ingest: event validation, the event-id index (open addressing, linear probing, 16-byte
 * slots) and the undo log that keeps the index equal to what the store has committed. */
#include "ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assign.h"
#include "bigmem.h"
#include "hash.h"
#include "lift/currency.h"
#include "lift/lift.h"

typedef struct {
    uint64_t h;  /* mixed hash of the event id */
    int64_t id;  /* events row id; 0 = empty slot */
} slot_t;

struct ingest {
    store_t *store;             /* borrowed */
    const registry_t *registry; /* borrowed: impressions/clicks name an experiment */
    char currency[4];           /* deployment currency */
    int64_t skew_ms;            /* future bound */
    slot_t *slots;              /* the index */
    uint64_t mask;              /* capacity - 1 (capacity is a power of two) */
    uint64_t count;             /* used slots */
    slot_t *undo;               /* entries added since the last commit */
    size_t n_undo;              /* used entries in undo */
    size_t cap_undo;            /* allocated entries in undo */
    char index_path[1024];      /* snapshot file, "" for none */
    uint64_t *hashes;           /* per-batch scratch: the event ids' hashes */
    size_t cap_hashes;          /* allocated entries in hashes */
    int from_snapshot;          /* 1: start-up read a snapshot */
};

#define SNAP_MAGIC "LIFTIDX1"

/* Header of the snapshot file; the slots follow. Native byte order: it is a local cache that
 * a full scan can always replace. */
typedef struct {
    char magic[8];     /* SNAP_MAGIC */
    uint64_t mask;     /* capacity - 1 */
    uint64_t count;    /* used slots */
    int64_t max_id;    /* every event with row id <= max_id is in the slots */
    uint64_t checksum; /* of the slots */
} snap_header_t;

uint64_t ingest_hash(const char *s, size_t n)
{
    return hash_mix64(hash_fnv1a64(HASH_FNV64_BASIS, s, n));
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

static int grow(ingest_t *self)
{
    uint64_t cap = self->slots ? (self->mask + 1) * 2 : 1u << 16;
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

static int index_add(ingest_t *self, uint64_t h, int64_t id)
{
    if ((self->count + 1) * 10 > (self->mask + 1) * 7 && grow(self) < 0)
        return -1;
    slot_put(self->slots, self->mask, h, id);
    self->count++;
    return 0;
}

/* Remove the entry (h, id) with backward-shift deletion, so no tombstones accumulate. */
static void index_remove(ingest_t *self, uint64_t h, int64_t id)
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

static int scan_row(void *arg, int64_t id, uint64_t h)
{
    return index_add(arg, h, id) < 0 ? 1 : 0;
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

/* Read a snapshot if there is a valid one covering no more than what the store holds; a few
 * entries are checked against the store so a file from another store is never trusted. */
static int load_snapshot(ingest_t *self, int64_t max_id_now, int64_t *covered)
{
    snap_header_t hd;
    FILE *f = fopen(self->index_path, "rb");
    if (!f)
        return -1;
    slot_t *slots = NULL;
    if (fread(&hd, sizeof hd, 1, f) != 1 || memcmp(hd.magic, SNAP_MAGIC, 8) != 0 ||
        hd.mask < 0xffff || (hd.mask & (hd.mask + 1)) != 0 || hd.mask > (1ULL << 32) ||
        hd.max_id < 0 || hd.max_id > max_id_now || hd.count > hd.mask)
        goto fail;
    slots = slots_alloc(hd.mask + 1);
    if (!slots || fread(slots, sizeof *slots, hd.mask + 1, f) != hd.mask + 1 ||
        slots_checksum(slots, hd.mask + 1) != hd.checksum)
        goto fail;
    /* The snapshot's entries are distinct rows with ids <= max_id (each indexed row once);
     * if the store holds exactly that many such rows, the entries are all of them. Rows are
     * appended above max_id afterwards (the scan below reads those); a row below it that the
     * snapshot lacks (another writer, a file from elsewhere) makes the counts differ. */
    int64_t upto = store_event_count_upto(self->store, hd.max_id);
    if (upto < 0 || (uint64_t)upto != hd.count)
        goto fail;
    uint64_t step = (hd.mask + 1) / 64, checked = 0;
    store_event_key_t stored;
    for (uint64_t i = 0; i <= hd.mask && checked < 64; i += step ? step : 1) {
        uint64_t j = i;
        while (j <= hd.mask && slots[j].id == 0)
            j++;
        if (j > hd.mask)
            break;
        if (slots[j].id > hd.max_id ||
            store_event_at(self->store, slots[j].id, &stored) != 1 ||
            ingest_hash(stored.event_id, strlen(stored.event_id)) != slots[j].h)
            goto fail;
        checked++;
    }
    fclose(f);
    slots_free(self->slots, self->slots ? self->mask + 1 : 0);
    self->slots = slots;
    self->mask = hd.mask;
    self->count = hd.count;
    *covered = hd.max_id;
    return 0;
fail:
    slots_free(slots, hd.mask + 1);
    fclose(f);
    return -1;
}

int ingest_save(ingest_t *self, char *err, size_t errlen)
{
    char tmp[1100];
    if (!self->index_path[0])
        return 0;
    snprintf(tmp, sizeof tmp, "%s.tmp", self->index_path);
    int64_t max_id = store_event_max_id(self->store);
    if (max_id < 0) {
        snprintf(err, errlen, "cannot read the last event id: %s", store_errmsg(self->store));
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
    if (!ok || rename(tmp, self->index_path) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", self->index_path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int ingest_loaded_snapshot(const ingest_t *self)
{
    return self->from_snapshot;
}

int ingest_currency_check(const char *code)
{
    return lift_currency_check(code, NULL, 0);
}

const char *ingest_currency(const ingest_t *self)
{
    return self->currency;
}

ingest_t *ingest_new(store_t *store, const registry_t *registry, const ingest_config_t *cfg,
                     char *err, size_t errlen)
{
    ingest_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->store = store;
    self->registry = registry;
    self->skew_ms = cfg->clock_skew_ms;
    char why[200];
    if (lift_currency_check(cfg->currency, why, sizeof why) < 0) {
        snprintf(err, errlen, "currency: %s", why);
        goto fail;
    }
    memcpy(self->currency, cfg->currency, 4);
    snprintf(self->index_path, sizeof self->index_path, "%s",
             cfg->index_path ? cfg->index_path : "");
    int64_t n = store_event_max_id(store), covered = INT64_MIN; /* no snapshot: scan every row */
    if (n < 0) {
        snprintf(err, errlen, "cannot read the last event id: %s", store_errmsg(store));
        goto fail;
    }
    if (self->index_path[0] && load_snapshot(self, n, &covered) == 0) {
        self->from_snapshot = 1;
        /* Make room for the events stored after the snapshot in one step. */
        while ((self->count + (uint64_t)(n - covered)) * 10 > (self->mask + 1) * 7)
            if (grow(self) < 0) {
                snprintf(err, errlen, "out of memory for the event index");
                goto fail;
            }
    } else {
        /* Size the index once for what is stored (load <= 0.7), so start-up never rehashes. */
        uint64_t cap = 1u << 16;
        while ((uint64_t)n * 10 >= cap * 7)
            cap <<= 1;
        self->slots = slots_alloc(cap);
        if (!self->slots) {
            snprintf(err, errlen, "out of memory for the event index (%llu slots)",
                     (unsigned long long)cap);
            goto fail;
        }
        self->mask = cap - 1;
    }
    if (store_event_scan(store, covered, scan_row, self) != 0) {
        snprintf(err, errlen, "cannot load the event index: %s", store_errmsg(store));
        goto fail;
    }
    return self;
fail:
    ingest_destroy(&self);
    return NULL;
}

void ingest_destroy(ingest_t **self_p)
{
    ingest_t *self = *self_p;
    if (!self)
        return;
    slots_free(self->slots, self->mask + 1);
    free(self->undo);
    free(self->hashes);
    free(self);
    *self_p = NULL;
}

uint64_t ingest_count(const ingest_t *self)
{
    return self->count;
}

void ingest_committed(ingest_t *self)
{
    self->n_undo = 0;
}

static void undo_to(ingest_t *self, size_t mark)
{
    while (self->n_undo > mark) {
        slot_t *u = &self->undo[--self->n_undo];
        index_remove(self, u->h, u->id);
    }
}

size_t ingest_request_mark(const ingest_t *self)
{
    return self->n_undo;
}

void ingest_request_undo(ingest_t *self, size_t mark)
{
    undo_to(self, mark);
}

void ingest_rolled_back(ingest_t *self)
{
    undo_to(self, 0);
}

/* 1 if an event with this id is stored (its key in *stored), 0 if not, -1 on a store error. */
static int find(ingest_t *self, uint64_t h, const char *event_id, store_event_key_t *stored)
{
    for (uint64_t i = h & self->mask; self->slots[i].id != 0; i = (i + 1) & self->mask) {
        if (self->slots[i].h != h)
            continue;
        int rc = store_event_at(self->store, self->slots[i].id, stored);
        if (rc < 0)
            return -1;
        if (rc == 1 && strcmp(stored->event_id, event_id) == 0)
            return 1;
    }
    return 0;
}

/* "conversion of USD 49.00 (4900 minor units)" / "churn": what an event is, for a conflict
 * message; the amount in the deployment currency's ISO 4217 decimals. */
static void describe(char *buf, size_t len, const char *currency, int type, int has_amount,
                     int64_t amount)
{
    const char *t = lift_event_type_name(type);
    char major[48];
    int w = -1;
    if (has_amount && lift_currency_format(major, sizeof major, (double)amount,
                                           lift_currency_digits(currency), 0) == 0)
        w = snprintf(buf, len, "%s of %s %s (%lld minor units)", t ? t : "event", currency, major,
                     (long long)amount);
    if (has_amount && (w < 0 || (size_t)w >= len)) /* no room for both: minor units alone */
        snprintf(buf, len, "%s of %lld minor units", t ? t : "event", (long long)amount);
    else if (!has_amount)
        snprintf(buf, len, "%s", t ? t : "event");
}

#define REJECT(fld, ...)                                                                          \
    do {                                                                                          \
        snprintf(r->field, sizeof r->field, "%s", fld);                                           \
        snprintf(r->reason, sizeof r->reason, __VA_ARGS__);                                       \
        return -1;                                                                                \
    } while (0)

static int check_plain(const char *s, size_t max, const char *fld, ingest_reject_t *r)
{
    size_t len = strlen(s);
    uint32_t h;
    if (len == 0 || len > max)
        REJECT(fld, "%s: %zu bytes, need 1..%zu", fld, len, max);
    if (assign_fnv1a32_utf16(s, len, &h) < 0)
        REJECT(fld, "%s: not valid UTF-8", fld);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            REJECT(fld, "%s: control character 0x%02x at byte %zu", fld, (unsigned char)s[i], i);
    return 0;
}

/* Validate one event; on success sets *exp_id for impressions and clicks. */
static int validate(ingest_t *self, const Lift__Event *e, int64_t now, int64_t *exp_id,
                    ingest_reject_t *r)
{
    char msg[160];
    *exp_id = 0;
    if (!e->event_id)
        REJECT("event_id", "event_id is required (1..%d bytes)", INGEST_EVENT_ID_MAX);
    if (check_plain(e->event_id, INGEST_EVENT_ID_MAX, "event_id", r) < 0)
        return -1;
    if (!e->customer_id)
        REJECT("customer_id", "customer_id is required (1..%d bytes of UTF-8)",
               LIFT_CUSTOMER_ID_MAX);
    if (assign_customer_id_check(e->customer_id, strlen(e->customer_id), msg, sizeof msg) < 0)
        REJECT("customer_id", "%s", msg);
    if (!e->has_type || e->type == 0 ||
        !protobuf_c_enum_descriptor_get_value(&lift__event_type__descriptor, e->type))
        REJECT("type", "type: %s (one of %s)", e->has_type ? "not a known value" : "is required",
               lift_event_type_names());
    if (!e->has_timestamp_ms)
        REJECT("timestamp_ms", "timestamp_ms is required (epoch milliseconds)");
    char t1[40], t2[40];
    if (e->timestamp_ms < LIFT_TIME_MIN_MS)
        REJECT("timestamp_ms", "timestamp_ms: %lld (%s) is before 2000-01-01 (%lld)",
               (long long)e->timestamp_ms, lift_time_format(e->timestamp_ms, t1, sizeof t1),
               LIFT_TIME_MIN_MS);
    if (e->timestamp_ms > now + self->skew_ms)
        REJECT("timestamp_ms",
               "timestamp_ms: %lld (%s) is more than %lld s in the future (now %s; --clock-skew)",
               (long long)e->timestamp_ms, lift_time_format(e->timestamp_ms, t1, sizeof t1),
               (long long)(self->skew_ms / 1000), lift_time_format(now, t2, sizeof t2));
    if (e->currency && strcmp(e->currency, self->currency) != 0)
        REJECT("currency", "currency: '%.8s' is not this deployment's currency %s", e->currency,
               self->currency);

    int type = e->type;
    int offer = type == LIFT__EVENT_TYPE__EVENT_IMPRESSION || type == LIFT__EVENT_TYPE__EVENT_CLICK;
    int money = type == LIFT__EVENT_TYPE__EVENT_CONVERSION || type == LIFT__EVENT_TYPE__EVENT_REFUND;
    const char *tname = lift_event_type_name(type);
    if (offer) {
        if (!e->experiment_key || !*e->experiment_key)
            REJECT("experiment_key", "experiment_key is required for %s events", tname);
        const registry_entry_t *x = registry_find(self->registry, e->experiment_key);
        if (!x)
            REJECT("experiment_key", "experiment_key: no experiment with key '%.64s'",
                   e->experiment_key);
        if (!e->has_arm)
            REJECT("arm", "arm is required for %s events (0..%zu)", tname, x->def->n_arms - 1);
        if (e->arm < 0 || (size_t)e->arm >= x->def->n_arms)
            REJECT("arm", "arm: %d is outside 0..%zu for experiment %s", e->arm,
                   x->def->n_arms - 1, x->def->key);
        *exp_id = x->id;
    } else if (e->experiment_key || e->has_arm) {
        REJECT(e->experiment_key ? "experiment_key" : "arm",
               "%s: only impression and click events name an experiment",
               e->experiment_key ? "experiment_key" : "arm");
    }
    if (money) {
        if (!e->has_amount_minor)
            REJECT("amount_minor", "amount_minor is required for %s events (> 0, minor units)",
                   tname);
        if (e->amount_minor <= 0 || e->amount_minor > INGEST_AMOUNT_MAX)
            REJECT("amount_minor", "amount_minor: %lld is outside 1..%lld",
                   (long long)e->amount_minor, INGEST_AMOUNT_MAX);
    } else if (e->has_amount_minor) {
        REJECT("amount_minor", "amount_minor: only conversion and refund events carry an amount");
    }
    if (type == LIFT__EVENT_TYPE__EVENT_NPS) {
        if (!e->has_nps_score)
            REJECT("nps_score", "nps_score is required for nps events (0..10)");
        if (e->nps_score < 0 || e->nps_score > 10)
            REJECT("nps_score", "nps_score: %d is outside 0..10", e->nps_score);
    } else if (e->has_nps_score) {
        REJECT("nps_score", "nps_score: only nps events carry a score");
    }
    int plans = type == LIFT__EVENT_TYPE__EVENT_CONVERSION || type == LIFT__EVENT_TYPE__EVENT_CHURN;
    if ((e->plan_from || e->plan_to) && !plans)
        REJECT(e->plan_from ? "plan_from" : "plan_to",
               "%s: only conversion and churn events name plans",
               e->plan_from ? "plan_from" : "plan_to");
    if (e->plan_from && check_plain(e->plan_from, INGEST_PLAN_MAX, "plan_from", r) < 0)
        return -1;
    if (e->plan_to && check_plain(e->plan_to, INGEST_PLAN_MAX, "plan_to", r) < 0)
        return -1;
    return 0;
}

static int undo_push(ingest_t *self, uint64_t h, int64_t id)
{
    if (self->n_undo == self->cap_undo) {
        size_t cap = self->cap_undo ? self->cap_undo * 2 : 4096;
        slot_t *u = realloc(self->undo, cap * sizeof *u);
        if (!u)
            return -1;
        self->undo = u;
        self->cap_undo = cap;
    }
    self->undo[self->n_undo].h = h;
    self->undo[self->n_undo].id = id;
    self->n_undo++;
    return 0;
}

int ingest_track(ingest_t *self, Lift__Event *const *events, size_t n, int64_t now_ms,
                 uint32_t *accepted, uint32_t *duplicates, uint32_t *conflicts,
                 ingest_reject_t *rejects, size_t *n_rejects, status_t *st)
{
    size_t mark = self->n_undo;
    *accepted = *duplicates = *conflicts = 0;
    *n_rejects = 0;
    if (n > self->cap_hashes) {
        uint64_t *hs = realloc(self->hashes, n * sizeof *hs);
        if (!hs)
            return status_set(st, LIFT__CODE__INTERNAL, NULL, "out of memory for %zu events", n);
        self->hashes = hs;
        self->cap_hashes = n;
    }
    /* Hash the whole batch and prefetch its index slots first: the probes below then find
     * their cache lines loaded instead of waiting on one miss per event in turn. */
    for (size_t i = 0; i < n; i++) {
        const char *id = events[i]->event_id;
        self->hashes[i] = id ? ingest_hash(id, strlen(id)) : 0;
        __builtin_prefetch(&self->slots[self->hashes[i] & self->mask]);
    }
    for (size_t i = 0; i < n; i++) {
        const Lift__Event *e = events[i];
        ingest_reject_t *r = &rejects[*n_rejects];
        int64_t exp_id;
        r->conflict = 0;
        if (validate(self, e, now_ms, &exp_id, r) < 0) {
            r->index = (uint32_t)i;
            r->event_id = e->event_id ? e->event_id : "";
            (*n_rejects)++;
            continue;
        }
        uint64_t h = self->hashes[i];
        store_event_key_t stored;
        int found = find(self, h, e->event_id, &stored);
        if (found < 0)
            goto store_fail;
        store_event_t row = {
            .h = h,
            .event_id = e->event_id,
            .customer_id = e->customer_id,
            .type = e->type,
            .ts_ms = e->timestamp_ms,
            .experiment_id = exp_id,
            .arm = e->has_arm ? e->arm : 0,
            .has_amount = e->has_amount_minor,
            .amount_minor = e->amount_minor,
            .plan_from = e->plan_from,
            .plan_to = e->plan_to,
            .nps = e->has_nps_score ? e->nps_score : -1,
            .received_ms = now_ms,
        };
        if (found) {
            if (stored.digest == store_event_digest(&row)) {
                (*duplicates)++;
                continue;
            }
            /* The same id for other content: a second fact under a key that promised a
             * retry. Refused, never stored and never silently taken for a duplicate. */
            char was[64], now_is[64];
            describe(was, sizeof was, self->currency, stored.type, stored.has_amount,
                     stored.amount_minor);
            describe(now_is, sizeof now_is, self->currency, row.type, row.has_amount,
                     row.amount_minor);
            snprintf(r->field, sizeof r->field, "event_id");
            snprintf(r->reason, sizeof r->reason,
                     "event_id '%.64s' reused with different content: stored as %s, this one "
                     "is %s (give the new fact its own event_id)",
                     e->event_id, was, now_is);
            r->index = (uint32_t)i;
            r->event_id = e->event_id;
            r->conflict = 1;
            (*n_rejects)++;
            (*conflicts)++;
            continue;
        }
        int64_t id;
        if (store_event_insert(self->store, &row, &id) < 0)
            goto store_fail;
        if (undo_push(self, h, id) < 0 || index_add(self, h, id) < 0) {
            if (self->n_undo > mark && self->undo[self->n_undo - 1].id == id)
                self->n_undo--;
            undo_to(self, mark);
            return status_set(st, LIFT__CODE__INTERNAL, NULL, "out of memory for the event index");
        }
        (*accepted)++;
    }
    return 0;
store_fail:
    undo_to(self, mark);
    return status_set(st, LIFT__CODE__UNAVAILABLE, NULL, "cannot store events: %s",
                      store_errmsg(self->store));
}
