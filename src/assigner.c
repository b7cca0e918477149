/* assigner: holdout gate -> bucket -> sticky cache or first exposure in the store, and the
 * cache's rollback rules. See assigner.h. */
#include "assigner.h"

#include <stdlib.h>

#include "assign.h"
#include "exposure_record.h"
#include "holdouts.h"

struct assigner {
    store_t *store;        /* borrowed */
    registry_t *registry;  /* borrowed: the holdouts */
    sticky_t *sticky;      /* owned: exposures known to be stored, for repeats */
    int request_exposed;   /* the current request recorded an exposure (and cached it) */
    log_level_t log_level; /* threshold for log_emit */
};

assigner_t *assigner_new(store_t *store, registry_t *registry, log_level_t log_level)
{
    assigner_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->registry = registry;
    self->log_level = log_level;
    self->sticky = sticky_new();
    if (!self->sticky) {
        free(self);
        return NULL;
    }
    return self;
}

void assigner_destroy(assigner_t **self_p)
{
    if (*self_p) {
        sticky_destroy(&(*self_p)->sticky);
        free(*self_p);
        *self_p = NULL;
    }
}

sticky_t *assigner_cache(assigner_t *self)
{
    return self->sticky;
}

/* The sticky cache as the holdout gate's cache of stored holdout exposures. */
static int gate_seen(void *arg, int64_t holdout_id, const char *id, size_t len, int *arm)
{
    return sticky_get(((assigner_t *)arg)->sticky, holdout_id, id, len, arm);
}

static void gate_remember(void *arg, int64_t holdout_id, const char *id, size_t len, int arm)
{
    sticky_put(((assigner_t *)arg)->sticky, holdout_id, id, len, arm);
}

int assigner_assign(assigner_t *self, const registry_entry_t *e, const char *id, size_t len,
                    const Lift__Context *ctx, int64_t now_ms, assigner_result_t *r, status_t *st)
{
    r->eligible = r->first_exposure = r->wrote = 0;
    r->arm = -1;
    /* Program holdouts, before the bucketing (holdout.h). */
    int recorded = 0;
    int gate = holdouts_gate(registry_holdouts(self->registry), self->store, e->def->key,
                             e->def->has_started_ms ? e->def->started_ms : 0, id, len, ctx, now_ms,
                             gate_seen, gate_remember, self, &recorded, st);
    if (recorded) {
        self->request_exposed = 1;
        r->wrote = 1;
    }
    if (gate < 0 || gate == 1)
        return gate;
    if (gate == 2) {
        r->reason = LIFT__REASON__REASON_PROGRAM_HOLDOUT;
        return 0;
    }
    r->eligible = 1;
    assign_result_t b;
    int arm = assign_bucket(&e->cfg, id, len, &b);
    if (arm < 0) {
        r->reason = b.reason == ASSIGN_OUTSIDE_NAMESPACE ? LIFT__REASON__REASON_OUTSIDE_NAMESPACE
                                                         : LIFT__REASON__REASON_OUTSIDE_COVERAGE;
        return 0;
    }
    int stored = -1;
    if (sticky_get(self->sticky, e->id, id, len, &stored)) {
        if (stored >= 0 && (size_t)stored < e->def->n_arms)
            arm = stored;
    } else {
        /* One step in the store: recorded now, or the exposure stored before (here or by
         * another liftd that won a race a moment ago) — never a check-then-insert. */
        store_exposure_t have;
        int rc =
            exposure_record(self->store, e->id, e->generation, id, len, arm, ctx, now_ms, &have);
        if (rc < 0)
            return status_set(st, status_store_code(store_errcode(self->store)), NULL,
                              "cannot record exposure: %s", store_errmsg(self->store));
        if (rc == STORE_STALE)
            return 1;
        if (rc == STORE_FIRST) {
            sticky_put(self->sticky, e->id, id, len, arm);
            self->request_exposed = 1;
            r->first_exposure = 1;
            r->wrote = 1;
        } else {
            sticky_put(self->sticky, e->id, id, len, have.arm);
            if (have.arm != arm)
                log_emit(self->log_level, LOG_LEVEL_WARN, "sticky_arm_differs",
                         "key=%s stored=%d computed=%d", e->def->key, have.arm, arm);
            if (have.arm >= 0 && (size_t)have.arm < e->def->n_arms)
                arm = have.arm;
        }
    }
    r->reason = LIFT__REASON__REASON_NONE;
    r->arm = arm;
    return 0;
}

void assigner_request_begin(assigner_t *self)
{
    self->request_exposed = 0;
}

void assigner_request_end(assigner_t *self, int kept)
{
    /* Clearing costs a pass over the whole cache: only when this request cached an exposure
     * that is now rolled back (a request refused by validation wrote nothing). */
    if (!kept && self->request_exposed)
        sticky_clear(self->sticky);
    self->request_exposed = 0;
}

void assigner_batch_end(assigner_t *self, int committed)
{
    if (!committed)
        sticky_clear(self->sticky);
}
