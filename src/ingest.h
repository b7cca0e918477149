/* ingest: validation and exactly-once storage of events (impressions, clicks, conversions,
 * refunds, churn, NPS). Exactly-once is the store's (store_events_put: inserted, duplicate or
 * conflict per event); this module validates, builds the rows and explains conflicts. No
 * sockets, nothing of its own kept between requests (it borrows the exposure cache). */
#ifndef LIFT_INGEST_H
#define LIFT_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "lift.pb-c.h"
#include "lift/limits.h"
#include "registry.h"
#include "status.h"
#include "store.h"

typedef struct ingest ingest_t;

typedef struct {
    const char *currency;  /* ISO 4217 code of the deployment, e.g. "USD" */
    int64_t clock_skew_ms; /* events more than this far in the future are rejected */
} ingest_config_t;

/* A rejected event of a batch. */
typedef struct {
    uint32_t index;       /* position in the batch */
    const char *event_id; /* borrowed from the request ("" when missing) */
    char field[48];       /* offending field's path: "track.events[3].nps_score" */
    char reason[320];     /* names the value and the bound */
    int conflict;         /* 1: the id is stored with other content (not a validation error) */
} ingest_reject_t;

/* Create; borrows store and registry. Returns NULL with a message on failure (an unknown
 * currency). */
ingest_t *ingest_new(store_t *store, const registry_t *registry, const ingest_config_t *cfg,
                     char *err, size_t errlen);
void ingest_destroy(ingest_t **self_p);

/* Validate and store a batch (inside the caller's transaction). Valid events are stored even
 * when others are rejected; an event whose id is already stored (earlier, or earlier in this
 * batch) with the same content (store_event_digest) counts as a duplicate, with other content
 * as a conflict: rejected (field "event_id", a reason naming both) and counted in *conflicts
 * as well as in rejects. rejects must have room for n entries.
 * Returns 0, or -1 on a store failure (st filled with the code its class calls for; this
 * call's writes must be rolled back by the caller: store_request_end(keep = 0)). */
int ingest_track(ingest_t *self, Lift__Event *const *events, size_t n, int64_t now_ms,
                 uint32_t *accepted, uint32_t *duplicates, uint32_t *conflicts,
                 ingest_reject_t *rejects, size_t *n_rejects, status_t *st);

/* Validate a deployment currency: an active ISO 4217 code with minor units (the shared table,
 * lift/currency.h; lift_currency_check gives the reason). Returns 0 / -1. */
int ingest_currency_check(const char *code);

/* The deployment's ISO 4217 code (what cfg->currency was), owned by self. */
const char *ingest_currency(const ingest_t *self);

/* Check impressions and clicks against the exposures in this cache before the store (borrowed;
 * NULL = the store alone). The cache is filled with what the store answers. */
typedef struct sticky sticky_t;
void ingest_set_sticky(ingest_t *self, sticky_t *sticky);

/* How far ahead of now an event's timestamp may be (--clock-skew), ms. */
int64_t ingest_clock_skew_ms(const ingest_t *self);

#endif
