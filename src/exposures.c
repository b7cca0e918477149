/* exposures: RecordExposures, item by item; per-item errors in the reply, store failures fail
 * the request (its writes are undone with it). */
#include "exposures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "decide.h"
#include "exposure_record.h"
#include "holdouts.h"
#include "lift/lift.h"
#include "status.h"

#define STALE_RETRIES 3 /* refreshes for one item before UNAVAILABLE */

typedef struct {
    Lift__Status st;   /* the item's error */
    char field[128];   /* its field path */
    char message[384]; /* its message */
} item_err_t;

static void item_error(Lift__ExposureResult *r, item_err_t *slot, const status_t *st)
{
    Lift__Status init = LIFT__STATUS__INIT;
    slot->st = init;
    snprintf(slot->field, sizeof slot->field, "%s", st->field);
    snprintf(slot->message, sizeof slot->message, "%s", st->message);
    slot->st.has_code = 1; /* always on the wire: unset reads as UNKNOWN */
    slot->st.code = (Lift__Code)st->code;
    slot->st.field = slot->field[0] ? slot->field : NULL;
    slot->st.message = slot->message;
    r->error = &slot->st;
}

/* After a stale record (`what` `name` moved on in the store): refresh the cache and find
 * experiment key again into *e. Returns 0, or -1 (st set) once STALE_RETRIES are spent, when
 * the refresh fails or when the experiment is gone. */
static int stale_refresh(registry_t *registry, int attempt, const char *what, const char *name,
                         const char *key, const registry_entry_t **e, status_t *st)
{
    if (attempt >= STALE_RETRIES)
        return status_set(st, LIFT__CODE__UNAVAILABLE, NULL,
                          "%s %s kept changing in the store; retry", what, name);
    return registry_refresh_find(registry, key, e, st);
}

/* One item: 0 recorded or answered (r filled), 1 item error (st), -1 store failure (st). */
static int record_one(store_t *store, registry_t *registry, log_level_t log_level,
                      const Lift__ExposureRecord *x, size_t i, int64_t now, Lift__ExposureResult *r,
                      int *wrote, status_t *st)
{
    char f[96], msg[160];
    const char *key = x->experiment_key ? x->experiment_key : "";
    const registry_entry_t *e = registry_find(registry, key);
    if (!e) {
        snprintf(f, sizeof f, "record_exposures.exposures[%zu].experiment_key", i);
        status_set(st, LIFT__CODE__NOT_FOUND, f, "%s: no experiment with key %s", f,
                   *key ? key : "(empty)");
        return 1;
    }
    const char *id = x->customer_id ? x->customer_id : "";
    size_t len = strlen(id);
    if (assign_customer_id_check(id, len, msg, sizeof msg) < 0) {
        snprintf(f, sizeof f, "record_exposures.exposures[%zu].customer_id", i);
        status_set(st, LIFT__CODE__INVALID_ARGUMENT, f, "%s: %s", f, msg);
        return 1;
    }
    snprintf(f, sizeof f, "record_exposures.exposures[%zu].context", i);
    if (registry_context_check(x->context, f, now, st) < 0)
        return 1;
    const Lift__Context *ctx = x->context;
    int64_t decided = x->has_decided_ms && x->decided_ms >= LIFT_TIME_MIN_MS &&
                              x->decided_ms <= now + DECIDE_CLOCK_SKEW_MS
                          ? x->decided_ms
                          : now;
    for (int attempt = 0;; attempt++) {
        /* Program holdouts (holdout.h): a holdout exposure, or a held-out customer refused */
        int64_t started = e->def->has_started_ms ? e->def->started_ms : 0;
        const char *held = NULL;
        if (x->holdout_key && *x->holdout_key) {
            int harm = -1, first = 0;
            snprintf(f, sizeof f, "record_exposures.exposures[%zu]", i);
            int hr = holdouts_record(registry_holdouts(registry), store, x->holdout_key, key,
                                     started, id, len, ctx, decided, f, &harm, &first, st);
            if (hr == 0) {
                r->has_arm_index = 1;
                r->arm_index = harm;
                r->has_first_exposure = first;
                r->first_exposure = first;
                *wrote |= first;
                return 0;
            }
            if (hr != 2)
                return hr;
            /* the holdout moved on in the store: refresh, decide again */
            if (stale_refresh(registry, attempt, "holdout", x->holdout_key, key, &e, st) < 0)
                return -1;
            continue;
        } else if ((held = holdouts_holding(registry_holdouts(registry), key, started, id, len, ctx,
                                            decided)) != NULL) {
            snprintf(f, sizeof f, "record_exposures.exposures[%zu].customer_id", i);
            status_set(st, LIFT__CODE__FAILED_PRECONDITION, f,
                       "%s: customer %s is held out of experiment %s by program holdout %s: "
                       "the local definitions differ from liftd's",
                       f, id, key, held);
            return 1;
        }
        if (e->def->status == LIFT__EXPERIMENT_STATUS__STATUS_DRAFT) {
            snprintf(f, sizeof f, "record_exposures.exposures[%zu].experiment_key", i);
            status_set(st, LIFT__CODE__FAILED_PRECONDITION, f,
                       "%s: experiment %s has not started: no exposure can have happened", f, key);
            return 1;
        }
        assign_result_t res;
        int arm = assign_bucket(&e->cfg, id, len, &res);
        if (arm < 0) {
            snprintf(f, sizeof f, "record_exposures.exposures[%zu].customer_id", i);
            status_set(st, LIFT__CODE__FAILED_PRECONDITION, f,
                       "%s: customer %s is not in experiment %s by liftd's definition (%s, "
                       "coverage %g): the local definitions differ from liftd's",
                       f, id, key, assign_reason_name(res.reason), e->def->coverage);
            return 1;
        }
        store_exposure_t have;
        int rc = exposure_record(store, e->id, e->generation, id, len, arm, ctx, decided, &have);
        if (rc < 0)
            return status_set(st, status_store_code(store_errcode(store)), NULL,
                              "cannot record exposure: %s", store_errmsg(store));
        if (rc == STORE_STALE) {
            if (stale_refresh(registry, attempt, "experiment", key, key, &e, st) < 0)
                return -1;
            continue;
        }
        r->has_arm_index = 1;
        if (rc == STORE_FIRST) {
            r->arm_index = arm;
            r->has_first_exposure = 1;
            r->first_exposure = 1;
            *wrote = 1;
        } else {
            r->arm_index = have.arm;
            if (have.arm != arm)
                log_emit(log_level, LOG_LEVEL_WARN, "sticky_arm_differs",
                         "key=%s stored=%d computed=%d", key, have.arm, arm);
        }
        if (x->has_arm_index && x->arm_index != r->arm_index)
            log_emit(log_level, LOG_LEVEL_INFO, "local_decision_differs",
                     "key=%s local=%d stored=%d detail=\"the sender's definitions differ from "
                     "liftd's, or another decision was stored first\"",
                     key, x->arm_index, r->arm_index);
        return 0;
    }
}

int exposures_record(store_t *store, registry_t *registry, log_level_t log_level,
                     const Lift__Request *req, int64_t now_ms, handlers_out_t *out)
{
    const Lift__RecordExposures *q = req->record_exposures;
    size_t n = q->n_exposures;
    status_t st;
    if (n < 1 || n > LIFT_BATCH_MAX) {
        status_set(&st, LIFT__CODE__INVALID_ARGUMENT, "record_exposures.exposures",
                   "record_exposures.exposures: %zu items, need 1..%d", n, LIFT_BATCH_MAX);
        return handlers_error_reply(req->request_id, st.code, st.field, st.message, out);
    }
    Lift__ExposureResult *items = malloc(n * sizeof *items);
    Lift__ExposureResult **ptrs = malloc(n * sizeof *ptrs);
    item_err_t *errs = NULL;
    size_t nerr = 0;
    int rc = -1;
    if (!items || !ptrs)
        goto done;
    for (size_t i = 0; i < n; i++) {
        Lift__ExposureResult init = LIFT__EXPOSURE_RESULT__INIT;
        items[i] = init;
        items[i].has_arm_index = 1;
        items[i].arm_index = -1;
        ptrs[i] = &items[i];
        int one = record_one(store, registry, log_level, q->exposures[i], i, now_ms, &items[i],
                             &out->wrote, &st);
        if (one < 0) {
            out->failed = 1;
            rc = handlers_error_reply(req->request_id, st.code, st.field, st.message, out);
            out->failed = 1;
            goto done;
        }
        if (one == 1) {
            if (!errs && !(errs = malloc(n * sizeof *errs)))
                goto done;
            item_error(&items[i], &errs[nerr++], &st);
        }
    }
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__Status ok = LIFT__STATUS__INIT;
    Lift__RecordExposuresReply body = LIFT__RECORD_EXPOSURES_REPLY__INIT;
    body.n_results = n;
    body.results = ptrs;
    reply.has_request_id = 1;
    reply.request_id = req->request_id;
    ok.has_code = 1; /* always on the wire: unset reads as UNKNOWN, an error */
    ok.code = LIFT__CODE__OK;
    reply.status = &ok;
    reply.body_case = LIFT__REPLY__BODY_RECORD_EXPOSURES;
    reply.record_exposures = &body;
    out->len = lift__reply__get_packed_size(&reply);
    out->bytes = malloc(out->len);
    if (!out->bytes)
        goto done;
    lift__reply__pack(&reply, out->bytes);
    rc = 0;
done:
    free(items);
    free(ptrs);
    free(errs);
    return rc;
}
