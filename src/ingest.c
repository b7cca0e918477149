/* ingest: event validation, the rows handed to store_events_put, and the message that names
 * both contents of a conflict. */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "sticky.h"
#include "lift/currency.h"
#include "lift/lift.h"
#include "text.h"

struct ingest {
    store_t *store;             /* borrowed */
    const registry_t *registry; /* borrowed: impressions/clicks name an experiment */
    sticky_t *sticky;           /* borrowed, optional: stored exposures in front of the store */
    char currency[4];           /* deployment currency */
    int64_t skew_ms;            /* future bound */
    store_event_t *rows;        /* per-batch scratch: the valid events as rows */
    uint32_t *pos;              /* rows[k] is the batch's event pos[k] */
    store_put_t *res;           /* what became of rows[k] */
    store_event_key_t *keys;    /* for a conflict: what the store holds */
    size_t cap;                 /* allocated entries in each scratch array */
};

int ingest_currency_check(const char *code)
{
    return lift_currency_check(code, NULL, 0);
}

const char *ingest_currency(const ingest_t *self)
{
    return self->currency;
}

void ingest_set_sticky(ingest_t *self, sticky_t *sticky)
{
    self->sticky = sticky;
}

int64_t ingest_clock_skew_ms(const ingest_t *self)
{
    return self->skew_ms;
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
        ingest_destroy(&self);
        return NULL;
    }
    memcpy(self->currency, cfg->currency, 4);
    return self;
}

void ingest_destroy(ingest_t **self_p)
{
    ingest_t *self = *self_p;
    if (!self)
        return;
    free(self->rows);
    free(self->pos);
    free(self->res);
    free(self->keys);
    free(self);
    *self_p = NULL;
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

#define REJECT(fld, ...)                                                                           \
    do {                                                                                           \
        snprintf(r->field, sizeof r->field, "%s", fld);                                            \
        snprintf(r->reason, sizeof r->reason, __VA_ARGS__);                                        \
        return -1;                                                                                 \
    } while (0)

static int check_plain(const char *s, size_t max, const char *fld, ingest_reject_t *r)
{
    if (text_check(fld, s, strlen(s), 1, max, 0, r->reason, sizeof r->reason) < 0) {
        snprintf(r->field, sizeof r->field, "%s", fld);
        return -1;
    }
    return 0;
}

/* The arm stored for the customer's exposure in experiment x: 1 with *arm, 0 when the customer
 * was never assigned there, -1 on a store error. The sticky cache first (one hash probe), then
 * one indexed lookup, whose answer is cached. */
static int stored_arm(ingest_t *self, const registry_entry_t *x, const char *cid, int *arm)
{
    size_t len = strlen(cid);
    if (self->sticky && sticky_get(self->sticky, x->id, cid, len, arm))
        return 1;
    store_exposure_t have;
    int rc = store_exposure_get(self->store, x->id, cid, len, &have);
    if (rc == 1) {
        *arm = have.arm;
        if (self->sticky)
            sticky_put(self->sticky, x->id, cid, len, have.arm);
    }
    return rc;
}

/* Validate one event; on success sets *exp_id for impressions and clicks. Returns 0, -1 when
 * rejected (r filled), -2 on a store error. */
static int validate(ingest_t *self, const Lift__Event *e, int64_t now, int64_t *exp_id,
                    ingest_reject_t *r)
{
    char msg[160];
    *exp_id = 0;
    if (!e->event_id)
        REJECT("event_id", "event_id is required (1..%d bytes)", LIFT_EVENT_ID_MAX);
    if (check_plain(e->event_id, LIFT_EVENT_ID_MAX, "event_id", r) < 0)
        return -1;
    if (!e->customer_id)
        REJECT("customer_id", "customer_id is required (1..%d bytes of UTF-8)",
               LIFT_CUSTOMER_ID_MAX);
    if (assign_customer_id_check(e->customer_id, strlen(e->customer_id), msg, sizeof msg) < 0)
        REJECT("customer_id", "%s", msg);
    if (!e->has_type || e->type == 0 ||
        !protobuf_c_enum_descriptor_get_value(&lift__event_type__descriptor, e->type)) {
        char choices[200];
        registry_enum_choices(&lift__event_type__descriptor, choices, sizeof choices);
        if (!e->has_type)
            REJECT("type",
                   "type is unset but required (a name the sender's library could not "
                   "map is dropped); valid: %s",
                   choices);
        REJECT("type", "type: %d is not a valid value; valid: %s", (int)e->type, choices);
    }
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
    int money =
        type == LIFT__EVENT_TYPE__EVENT_CONVERSION || type == LIFT__EVENT_TYPE__EVENT_REFUND;
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
            REJECT("arm", "arm: %d is outside 0..%zu for experiment %s", e->arm, x->def->n_arms - 1,
                   x->def->key);
        /* An offer is shown only for the arm the customer was assigned: anything else is a
         * logging bug that would bias the funnel and the CACE, refused here by name. */
        int have;
        int rc = stored_arm(self, x, e->customer_id, &have);
        if (rc < 0)
            return -2;
        if (rc == 0)
            REJECT("arm",
                   "arm: customer '%.128s' was never assigned in experiment %s (no stored "
                   "exposure): a %s is valid only for the arm an Assign reply gave",
                   e->customer_id, x->def->key, tname);
        if (have != e->arm)
            REJECT("arm",
                   "arm: %d (%s) is not customer '%.128s''s arm in experiment %s: the stored "
                   "exposure has arm %d (%s)",
                   e->arm, x->def->arms[e->arm]->name, e->customer_id, x->def->key, have,
                   have >= 0 && (size_t)have < x->def->n_arms ? x->def->arms[have]->name : "?");
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
        if (e->amount_minor <= 0 || e->amount_minor > LIFT_AMOUNT_MAX)
            REJECT("amount_minor", "amount_minor: %lld is outside 1..%lld",
                   (long long)e->amount_minor, LIFT_AMOUNT_MAX);
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
    if (e->plan_from && check_plain(e->plan_from, LIFT_PLAN_MAX, "plan_from", r) < 0)
        return -1;
    if (e->plan_to && check_plain(e->plan_to, LIFT_PLAN_MAX, "plan_to", r) < 0)
        return -1;
    return 0;
}

static int reserve(ingest_t *self, size_t n)
{
    if (n <= self->cap)
        return 0;
    store_event_t *rows = realloc(self->rows, n * sizeof *rows);
    if (rows)
        self->rows = rows;
    uint32_t *pos = realloc(self->pos, n * sizeof *pos);
    if (pos)
        self->pos = pos;
    store_put_t *res = realloc(self->res, n * sizeof *res);
    if (res)
        self->res = res;
    store_event_key_t *keys = realloc(self->keys, n * sizeof *keys);
    if (keys)
        self->keys = keys;
    if (!rows || !pos || !res || !keys)
        return -1;
    self->cap = n;
    return 0;
}

/* The reject for a conflict of row k. */
static void conflict_reject(ingest_t *self, size_t k, Lift__Event *const *events,
                            ingest_reject_t *r)
{
    const store_event_t *row = &self->rows[k];
    const store_event_key_t *stored = &self->keys[k];
    char was[64], now_is[64];
    describe(was, sizeof was, self->currency, stored->type, stored->has_amount,
             stored->amount_minor);
    describe(now_is, sizeof now_is, self->currency, row->type, row->has_amount, row->amount_minor);
    snprintf(r->field, sizeof r->field, "event_id");
    snprintf(r->reason, sizeof r->reason,
             "event_id '%.64s' reused with different content: stored as %s, this one is %s "
             "(give the new fact its own event_id)",
             row->event_id, was, now_is);
    r->index = self->pos[k];
    r->event_id = events[self->pos[k]]->event_id;
    r->conflict = 1;
}

/* Each reject's field as its path from the Request: "nps_score" -> "track.events[3].nps_score". */
static void field_paths(ingest_reject_t *rejects, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char f[sizeof rejects[i].field], p[2 * sizeof rejects[i].field];
        snprintf(f, sizeof f, "%s", rejects[i].field);
        snprintf(p, sizeof p, "track.events[%u].%s", rejects[i].index, f);
        /* The longest, "track.events[9999].experiment_key", is 33 bytes. */
        memcpy(rejects[i].field, p, sizeof rejects[i].field - 1);
        rejects[i].field[sizeof rejects[i].field - 1] = '\0';
    }
}

int ingest_track(ingest_t *self, Lift__Event *const *events, size_t n, int64_t now_ms,
                 uint32_t *accepted, uint32_t *duplicates, uint32_t *conflicts,
                 ingest_reject_t *rejects, size_t *n_rejects, status_t *st)
{
    *accepted = *duplicates = *conflicts = 0;
    *n_rejects = 0;
    if (reserve(self, n) < 0)
        return status_set(st, LIFT__CODE__INTERNAL, NULL, "out of memory for %zu events", n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const Lift__Event *e = events[i];
        ingest_reject_t *r = &rejects[*n_rejects];
        int64_t exp_id;
        r->conflict = 0;
        int v = validate(self, e, now_ms, &exp_id, r);
        if (v == -2)
            return status_set(st, status_store_code(store_errcode(self->store)), NULL,
                              "cannot read the exposure of events[%zu]: %s", i,
                              store_errmsg(self->store));
        if (v < 0) {
            r->index = (uint32_t)i;
            r->event_id = e->event_id ? e->event_id : "";
            (*n_rejects)++;
            continue;
        }
        store_event_t row = {
            .event_id = e->event_id,
            .customer_id = e->customer_id,
            .type = e->type,
            .ts_ms = e->timestamp_ms,
            .experiment_id = exp_id,
            .arm = e->has_arm ? e->arm : 0, /* meaningful for impressions and clicks only */
            .has_amount = e->has_amount_minor,
            .amount_minor = e->amount_minor,
            .plan_from = e->plan_from,
            .plan_to = e->plan_to,
            .nps = e->has_nps_score ? e->nps_score : -1,
            .received_ms = now_ms,
        };
        self->rows[m] = row;
        self->pos[m] = (uint32_t)i;
        m++;
    }
    if (m && store_events_put(self->store, self->rows, m, self->res, self->keys) < 0)
        return status_set(st, status_store_code(store_errcode(self->store)), NULL,
                          "cannot store events: %s", store_errmsg(self->store));
    for (size_t k = 0; k < m; k++) {
        if (self->res[k] == STORE_INSERTED)
            (*accepted)++;
        else if (self->res[k] == STORE_DUPLICATE)
            (*duplicates)++;
        else
            (*conflicts)++;
    }
    if (!*conflicts) {
        field_paths(rejects, *n_rejects);
        return 0;
    }
    /* The same id for other content: a second fact under a key that promised a retry.
     * Refused, never stored and never silently taken for a duplicate. Conflicts join the
     * validation rejects in batch order: merged in place from the end (rejects has room for
     * n, and every event is either a validation reject or a row). */
    size_t v = *n_rejects, out = *n_rejects + *conflicts;
    *n_rejects = out;
    for (size_t k = m; k-- > 0 && out > v;) {
        if (self->res[k] != STORE_CONFLICT)
            continue;
        while (v > 0 && rejects[v - 1].index > self->pos[k])
            rejects[--out] = rejects[--v];
        conflict_reject(self, k, events, &rejects[--out]);
    }
    field_paths(rejects, *n_rejects);
    return 0;
}
