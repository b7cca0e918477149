/* holdout_handlers: program-holdout requests. See holdout_handlers.h. */
#include "holdout_handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "holdouts.h"
#include "lift/limits.h"
#include "log.h"

#define CHANGE_RETRIES 3 /* refreshes of a holdout another liftd keeps changing */

static int pack(uint64_t request_id, Lift__Reply *reply, const status_t *st, handlers_out_t *out)
{
    Lift__Status status = LIFT__STATUS__INIT;
    status.has_code = 1; /* always on the wire: unset reads as UNKNOWN, an error */
    status.code = LIFT__CODE__OK;
    if (st) {
        status.code = (Lift__Code)st->code;
        status.message = (char *)st->message;
        status.field = st->field[0] ? (char *)st->field : NULL;
        out->wrote = 0;
        out->failed = st->code != LIFT__CODE__OK;
    }
    reply->status = &status;
    reply->has_request_id = 1;
    reply->request_id = request_id;
    out->len = lift__reply__get_packed_size(reply);
    out->bytes = malloc(out->len ? out->len : 1);
    if (!out->bytes)
        return -1;
    lift__reply__pack(reply, out->bytes);
    return 0;
}

/* An error reply to req, its field as a path rooted at the request body. */
static int error(const Lift__Request *req, const status_t *st, handlers_out_t *out)
{
    Lift__Reply reply = LIFT__REPLY__INIT;
    status_t rooted = *st;
    handlers_field_path(req, st->field, rooted.field, sizeof rooted.field);
    return pack(req->request_id, &reply, &rooted, out);
}

/* A reply copy of an entry with the groups' recorded sizes. */
static void view(store_t *store, const holdouts_entry_t *e, Lift__Holdout *v)
{
    *v = *e->def;
    int64_t c[2] = {0, 0};
    if (store_exposure_counts(store, e->id, 2, c) == 0) {
        v->has_held_out = v->has_measured = 1;
        v->held_out = (uint64_t)c[HOLDOUT_ARM_HELD_OUT];
        v->measured = (uint64_t)c[HOLDOUT_ARM_MEASURED];
    }
}

static int one_reply(store_t *store, uint64_t request_id, const holdouts_entry_t *e,
                     handlers_out_t *out)
{
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__Holdout v;
    view(store, e, &v);
    reply.body_case = LIFT__REPLY__BODY_HOLDOUT;
    reply.holdout = &v;
    return pack(request_id, &reply, NULL, out);
}

static int handle_list(store_t *store, holdouts_t *hs, uint64_t rid, handlers_out_t *out)
{
    int n = holdouts_count(hs);
    Lift__Holdout *views = calloc((size_t)(n ? n : 1), sizeof *views);
    Lift__Holdout **ptrs = calloc((size_t)(n ? n : 1), sizeof *ptrs);
    int rc = -1;
    if (views && ptrs) {
        for (int i = 0; i < n; i++) {
            view(store, holdouts_at(hs, i), &views[i]);
            ptrs[i] = &views[i];
        }
        Lift__Reply reply = LIFT__REPLY__INIT;
        Lift__HoldoutList list = LIFT__HOLDOUT_LIST__INIT;
        list.n_holdouts = (size_t)n;
        list.holdouts = ptrs;
        reply.body_case = LIFT__REPLY__BODY_HOLDOUTS;
        reply.holdouts = &list;
        rc = pack(rid, &reply, NULL, out);
    }
    free(views);
    free(ptrs);
    return rc;
}

#define ID_MSG_LEN 160

static int handle_is_held_out(holdouts_t *hs, const Lift__Request *req, int64_t now,
                              handlers_out_t *out)
{
    const Lift__IsHeldOut *q = req->is_held_out;
    uint64_t rid = req->request_id;
    status_t st;
    const holdouts_entry_t *e = holdouts_find(hs, q->holdout_key);
    if (!e) {
        status_set(&st, LIFT__CODE__NOT_FOUND, "is_held_out.holdout_key",
                   "no holdout with key %.64s",
                   q->holdout_key && *q->holdout_key ? q->holdout_key : "(empty)");
        return error(req, &st, out);
    }
    size_t n = q->n_customer_ids;
    if (n < 1 || n > LIFT_BATCH_MAX) {
        status_set(&st, LIFT__CODE__INVALID_ARGUMENT, "is_held_out.customer_ids",
                   "is_held_out.customer_ids: %zu ids, need 1..%d", n, LIFT_BATCH_MAX);
        return error(req, &st, out);
    }
    const Lift__Holdout *h = e->def;
    int active = h->status == LIFT__EXPERIMENT_STATUS__STATUS_RUNNING &&
                 !(h->start_ms && now < h->start_ms) && !(h->end_ms && now >= h->end_ms);
    Lift__HeldOut *items = calloc(n, sizeof *items);
    Lift__HeldOut **ptrs = calloc(n, sizeof *ptrs);
    Lift__Status *errs = calloc(n, sizeof *errs);
    char *msgs = calloc(n, ID_MSG_LEN);
    char(*paths)[48] = calloc(n, sizeof *paths); /* is_held_out.customer_ids[i] */
    int rc = -1;
    if (!items || !ptrs || !errs || !msgs || !paths)
        goto done;
    for (size_t i = 0; i < n; i++) {
        Lift__HeldOut init = LIFT__HELD_OUT__INIT;
        items[i] = init;
        ptrs[i] = &items[i];
        const char *id = q->customer_ids[i];
        size_t len = strlen(id);
        items[i].customer_id = (char *)id;
        items[i].has_held_out = items[i].has_group = 1;
        char *msg = msgs + i * ID_MSG_LEN;
        int g =
            assign_customer_id_check(id, len, msg, ID_MSG_LEN) < 0 ? -1 : holdout_group(h, id, len);
        if (g < 0) {
            Lift__Status s0 = LIFT__STATUS__INIT;
            errs[i] = s0;
            errs[i].has_code = 1;
            errs[i].code = LIFT__CODE__INVALID_ARGUMENT;
            snprintf(paths[i], sizeof paths[i], "is_held_out.customer_ids[%zu]", i);
            errs[i].field = paths[i];
            if (!*msg)
                snprintf(msg, ID_MSG_LEN, "customer_id: not valid UTF-8");
            errs[i].message = msg;
            items[i].error = &errs[i];
            continue;
        }
        items[i].group = (Lift__HoldoutGroup)g;
        items[i].held_out = active && g == HOLDOUT_GROUP_HELD_OUT;
    }
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__HeldOutReply body = LIFT__HELD_OUT_REPLY__INIT;
    body.holdout_key = h->key;
    body.has_status = 1;
    body.status = h->status;
    body.n_customers = n;
    body.customers = ptrs;
    reply.body_case = LIFT__REPLY__BODY_HELD_OUT;
    reply.held_out = &body;
    rc = pack(rid, &reply, NULL, out);
done:
    free(paths);
    free(items);
    free(ptrs);
    free(errs);
    free(msgs);
    return rc;
}

int holdout_handlers_handle(store_t *store, registry_t *registry, const Lift__Request *req,
                            int64_t now_ms, handlers_out_t *out)
{
    status_t st;
    status_ok(&st);
    uint64_t rid = req->request_id;
    holdouts_t *hs = registry_holdouts(registry);
    /* Holdouts created or changed through another liftd sharing the store: one cheap poll. */
    if (registry_refresh_find(registry, NULL, NULL, &st) < 0)
        return error(req, &st, out);
    const holdouts_entry_t *e = NULL;
    switch (req->body_case) {
    case LIFT__REQUEST__BODY_CREATE_HOLDOUT: {
        int created = 0;
        if (holdouts_create(hs, store, req->create_holdout->holdout, now_ms, &e, &created, &st) < 0)
            return error(req, &st, out);
        if (one_reply(store, rid, e, out) < 0)
            return -1;
        out->wrote = created;
        return 0;
    }
    case LIFT__REQUEST__BODY_GET_HOLDOUT:
        e = holdouts_find(hs, req->get_holdout->key);
        if (!e) {
            const char *k = req->get_holdout->key;
            status_set(&st, LIFT__CODE__NOT_FOUND, "get_holdout.key", "no holdout with key %.64s",
                       k && *k ? k : "(empty)");
            return error(req, &st, out);
        }
        return one_reply(store, rid, e, out);
    case LIFT__REQUEST__BODY_LIST_HOLDOUTS:
        return handle_list(store, hs, rid, out);
    case LIFT__REQUEST__BODY_CHANGE_HOLDOUT: {
        const Lift__ChangeHoldout *c = req->change_holdout;
        const holdouts_entry_t *before = holdouts_find(hs, c->key);
        int64_t gen0 = before ? before->generation : 0;
        for (int tries = 0;; tries++) {
            int rc = holdouts_change(hs, store, c->key, c->has_action ? (int)c->action : 0, now_ms,
                                     &e, &st);
            if (rc < 0)
                return error(req, &st, out);
            if (rc == 0)
                break;
            if (tries >= CHANGE_RETRIES) {
                status_set(&st, LIFT__CODE__UNAVAILABLE, NULL,
                           "holdout %s kept changing in the store; retry", c->key);
                return error(req, &st, out);
            }
            if (registry_refresh_find(registry, NULL, NULL, &st) < 0)
                return error(req, &st, out);
        }
        if (one_reply(store, rid, e, out) < 0)
            return -1;
        out->wrote = e->generation != gen0;
        return 0;
    }
    case LIFT__REQUEST__BODY_IS_HELD_OUT:
        return handle_is_held_out(hs, req, now_ms, out);
    default:
        status_set(&st, LIFT__CODE__INTERNAL, NULL,
                   "holdout_handlers_handle: request %d is not a holdout request",
                   (int)req->body_case);
        return error(req, &st, out);
    }
}
