/* handlers: request dispatch and reply packing, the batch's transaction around them, and the
 * stateless half of assignment (checks, eligibility; the rest in assigner.c). Replies borrow
 * strings from the request and the registry until packed. */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assigner.h"
#include "assign.h"
#include "exposures.h"
#include "fastwire.h"
#include "holdout_handlers.h"
#include "lift/currency.h"
#include "lift/lift.h"

/* Where the batch's transaction stands. */
enum { BATCH_NONE, BATCH_OPEN, BATCH_FAILED };

struct handlers {
    store_t *store;        /* borrowed, or owned when `owned` */
    registry_t *registry;  /* borrowed, or owned when `owned` */
    ingest_t *ingest;      /* borrowed, or owned when `owned` */
    int owned;             /* 1: handlers_open opened store, registry and ingest */
    assigner_t *assigner;  /* owned: the stateful half of assignment, with its cache */
    log_level_t log_level; /* threshold for log_emit */
    int batch;             /* BATCH_NONE, BATCH_OPEN or BATCH_FAILED (no transaction) */
    char unavailable[300]; /* why the batch has no transaction */
    char broken[300];      /* why the batch's transaction must be rolled back; "" = it need not */
};

handlers_t *handlers_new(store_t *store, registry_t *registry, ingest_t *ingest,
                         log_level_t log_level)
{
    handlers_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->registry = registry;
    self->ingest = ingest;
    self->log_level = log_level;
    self->assigner = assigner_new(store, registry, log_level);
    if (!self->assigner) {
        free(self);
        return NULL;
    }
    /* impressions are checked against exposures */
    ingest_set_sticky(ingest, assigner_cache(self->assigner));
    return self;
}

/* The deployment's currency: valid, and the one the store holds (recorded at the first
 * start). Returns 0, or -1 with a message. */
static int currency_check(store_t *store, const char *currency, char *err, size_t errlen)
{
    char stored[16], why[200];
    int have = store_meta_get(store, "currency", stored, sizeof stored);
    if (lift_currency_check(currency, why, sizeof why) < 0) {
        snprintf(err, errlen, "--currency: %s", why);
        return -1;
    }
    if (have < 0 || (have == 0 && store_meta_set(store, "currency", currency) < 0)) {
        snprintf(err, errlen, "cannot read or record the currency: %s", store_errmsg(store));
        return -1;
    }
    if (have == 1 && strcmp(stored, currency) != 0) {
        snprintf(err, errlen,
                 "--currency %s: the store %s holds %s amounts; mixing currencies would make "
                 "revenue meaningless (start with --currency %s)",
                 currency, store_uri(store), stored, stored);
        return -1;
    }
    return 0;
}

handlers_t *handlers_open(const handlers_config_t *cfg, char *err, size_t errlen)
{
    store_t *store = NULL;
    registry_t *registry = NULL;
    ingest_t *ingest = NULL;
    store = store_open(cfg->store, err, errlen);
    if (!store)
        goto fail;
    if (cfg->max_store_bytes > 0) {
        int64_t used = 0, quota = 0;
        if (store_set_max_bytes(store, cfg->max_store_bytes, &used, &quota, err, errlen) < 0)
            goto fail;
        log_emit(cfg->log_level, used >= quota ? LOG_LEVEL_WARN : LOG_LEVEL_INFO, "store_quota",
                 "max_bytes=%lld used_bytes=%lld%s", (long long)quota, (long long)used,
                 used >= quota ? " detail=\"store is at its quota: writes fail with UNAVAILABLE "
                                 "until it is raised\""
                               : "");
    }
    registry = registry_new(store, err, errlen);
    if (!registry || currency_check(store, cfg->currency, err, errlen) < 0)
        goto fail;
    ingest_config_t icfg = {.currency = cfg->currency, .clock_skew_ms = cfg->clock_skew_ms};
    ingest = ingest_new(store, registry, &icfg, err, errlen);
    if (!ingest)
        goto fail;
    handlers_t *self = handlers_new(store, registry, ingest, cfg->log_level);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    self->owned = 1;
    return self;
fail:
    ingest_destroy(&ingest);
    registry_destroy(&registry);
    store_destroy(&store);
    return NULL;
}

void handlers_destroy(handlers_t **self_p)
{
    handlers_t *self = *self_p;
    if (!self)
        return;
    assigner_destroy(&self->assigner);
    if (self->owned) {
        ingest_destroy(&self->ingest);
        registry_destroy(&self->registry);
        store_destroy(&self->store);
    }
    free(self);
    *self_p = NULL;
}

void handlers_describe(handlers_t *self, char *buf, size_t len)
{
    snprintf(buf, len, "store=%s backend=%s schema=%d experiments=%d events=%lld",
             store_uri(self->store), store_backend(self->store), store_schema_version(self->store),
             registry_count(self->registry), (long long)store_event_count(self->store));
}

/* Pack `reply` for request_id into out; a reply without a status gets OK. */
static int pack_reply(uint64_t request_id, Lift__Reply *reply, handlers_out_t *out)
{
    Lift__Status ok = LIFT__STATUS__INIT;
    ok.has_code = 1;
    ok.code = LIFT__CODE__OK; /* always on the wire: unset reads as UNKNOWN, an error */
    reply->has_request_id = 1;
    reply->request_id = request_id;
    if (!reply->status)
        reply->status = &ok;
    out->len = lift__reply__get_packed_size(reply);
    out->bytes = malloc(out->len ? out->len : 1);
    if (!out->bytes)
        return -1;
    lift__reply__pack(reply, out->bytes);
    return 0;
}

int handlers_error_reply(uint64_t request_id, int code, const char *field, const char *message,
                         handlers_out_t *out)
{
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__Status status = LIFT__STATUS__INIT;
    status.has_code = 1;
    status.code = (Lift__Code)code;
    status.message = (char *)message;
    status.field = field && *field ? (char *)field : NULL;
    reply.status = &status;
    out->wrote = 0;
    out->failed = code != LIFT__CODE__OK;
    return pack_reply(request_id, &reply, out);
}

void handlers_field_path(const Lift__Request *req, const char *field, char *buf, size_t len)
{
    const char *root = req ? lift_request_body_name((int)req->body_case) : NULL;
    size_t rl = root ? strlen(root) : 0;
    if (!field || !*field) {
        buf[0] = '\0';
    } else if (!root || (strncmp(field, root, rl) == 0 && (field[rl] == '.' || !field[rl]))) {
        snprintf(buf, len, "%s", field);
    } else {
        snprintf(buf, len, "%s.%s", root, field);
    }
}

/* An error reply for req, its field given as a path relative to the request body (or already
 * rooted at the body's name). */
static int status_reply_in(const Lift__Request *req, const status_t *st, handlers_out_t *out)
{
    char path[160];
    handlers_field_path(req, st->field, path, sizeof path);
    return handlers_error_reply(req->request_id, st->code, path, st->message, out);
}

/* A reply copy of an entry's definition with the live counters filled in. */
static void experiment_view(handlers_t *self, const registry_entry_t *e, Lift__Experiment *view)
{
    *view = *e->def;
    view->checksum = (char *)e->checksum;
    int64_t n = store_exposure_count(self->store, e->id);
    view->has_exposures = n >= 0;
    view->exposures = n >= 0 ? (uint64_t)n : 0;
}

static int experiment_reply(handlers_t *self, uint64_t request_id, const registry_entry_t *e,
                            handlers_out_t *out)
{
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__Experiment view;
    experiment_view(self, e, &view);
    reply.body_case = LIFT__REPLY__BODY_EXPERIMENT;
    reply.experiment = &view;
    return pack_reply(request_id, &reply, out);
}

static int handle_create(handlers_t *self, const Lift__Request *req, int64_t now,
                         handlers_out_t *out)
{
    status_t st;
    const registry_entry_t *e;
    int created = 0;
    const Lift__Experiment *x = req->create_experiment->experiment;
    if (registry_create(self->registry, x, now, &e, &created, &st) < 0) {
        out->failed = 1;
        return status_reply_in(req, &st, out);
    }
    out->wrote = created;
    if (created)
        log_emit(self->log_level, LOG_LEVEL_INFO, "experiment_created",
                 "key=%s arms=%zu checksum=%s", e->def->key, e->def->n_arms, e->checksum);
    return experiment_reply(self, req->request_id, e, out);
}

static int handle_get(handlers_t *self, const Lift__Request *req, handlers_out_t *out)
{
    status_t st;
    const char *key = req->get_experiment->key;
    const registry_entry_t *e = registry_find(self->registry, key);
    if (!e) {
        status_set(&st, LIFT__CODE__NOT_FOUND, "key", "no experiment with key %s",
                   key && *key ? key : "(empty)");
        return status_reply_in(req, &st, out);
    }
    return experiment_reply(self, req->request_id, e, out);
}

static int handle_list(handlers_t *self, const Lift__Request *req, handlers_out_t *out)
{
    const Lift__ListExperiments *q = req->list_experiments;
    status_t st;
    if (q->has_status && q->status != 0 &&
        !protobuf_c_enum_descriptor_get_value(&lift__experiment_status__descriptor, q->status)) {
        char choices[300];
        registry_enum_choices(&lift__experiment_status__descriptor, choices, sizeof choices);
        status_set(&st, LIFT__CODE__INVALID_ARGUMENT, "status",
                   "list_experiments.status: %d is not a valid value (unset or 0: all); valid: %s",
                   q->status, choices);
        return status_reply_in(req, &st, out);
    }
    int n = registry_count(self->registry), k = 0, rc;
    Lift__Experiment *views = calloc((size_t)(n ? n : 1), sizeof *views);
    Lift__Experiment **ptrs = calloc((size_t)(n ? n : 1), sizeof *ptrs);
    if (!views || !ptrs) {
        free(views);
        free(ptrs);
        return -1;
    }
    int64_t newest = 0;
    for (int i = 0; i < n; i++) {
        const registry_entry_t *e = registry_at(self->registry, i);
        if (e->generation > newest)
            newest = e->generation;
        if (q->has_status && q->status != 0 && e->def->status != q->status)
            continue;
        if (q->has_since_generation && e->generation <= (int64_t)q->since_generation)
            continue; /* unchanged since the caller's copy */
        experiment_view(self, e, &views[k]);
        ptrs[k] = &views[k];
        k++;
    }
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__ExperimentList list = LIFT__EXPERIMENT_LIST__INIT;
    list.n_experiments = (size_t)k;
    list.experiments = ptrs;
    list.has_generation = 1;
    list.generation = (uint64_t)newest;
    reply.body_case = LIFT__REPLY__BODY_EXPERIMENTS;
    reply.experiments = &list;
    rc = pack_reply(req->request_id, &reply, out);
    free(views);
    free(ptrs);
    return rc;
}

static int handle_change(handlers_t *self, const Lift__Request *req, int64_t now,
                         handlers_out_t *out)
{
    const Lift__ChangeExperiment *c = req->change_experiment;
    status_t st;
    const registry_entry_t *e;
    const registry_entry_t *before = registry_find(self->registry, c->key);
    int old_status = before ? (int)before->def->status : 0;
    double old_cov = before ? before->def->coverage : 0;
    if (registry_change(self->registry, c->key, c->has_action ? (int)c->action : 0, c->has_coverage,
                        c->coverage, now, &e, &st) < 0) {
        out->failed = 1;
        return status_reply_in(req, &st, out);
    }
    out->wrote = (int)e->def->status != old_status || e->def->coverage != old_cov;
    if (out->wrote)
        log_emit(self->log_level, LOG_LEVEL_INFO, "experiment_changed",
                 "key=%s action=%s status=%s->%s coverage=%g->%g", e->def->key,
                 lift_action_name(c->action), lift_status_name(old_status),
                 lift_status_name(e->def->status), old_cov, e->def->coverage);
    return experiment_reply(self, req->request_id, e, out);
}

/* Assign one customer: the checks and eligibility here, the rest in the assigner. Returns 0;
 * 1 when the store says the experiment moved on since the cache read it (nothing recorded:
 * refresh and decide again); -1 on a store failure (st filled). */
static int assign_one(handlers_t *self, const registry_entry_t *e, const char *id,
                      const Lift__Context *ctx, Lift__Reason eligibility, int64_t now,
                      Lift__Assignment *a, Lift__Status *err_out, char *err_msg, size_t err_len,
                      int *wrote, status_t *st)
{
    size_t len = id ? strlen(id) : 0;
    a->customer_id = (char *)(id ? id : "");
    a->has_arm_index = 1;
    a->arm_index = -1;
    a->has_in_experiment = a->has_eligible = a->has_reason = 1;
    if (assign_customer_id_check(id, len, err_msg, err_len) < 0) {
        a->reason = LIFT__REASON__REASON_INVALID;
        err_out->has_code = 1;
        err_out->code = LIFT__CODE__INVALID_ARGUMENT;
        err_out->message = err_msg;
        err_out->field = "customer_id"; /* the caller gives it its path */
        a->error = err_out;
        return 0;
    }
    if (eligibility != LIFT__REASON__REASON_NONE) {
        a->reason = eligibility;
        return 0;
    }
    assigner_result_t r;
    int rc = assigner_assign(self->assigner, e, id, len, ctx, now, &r, st);
    if (r.wrote)
        *wrote = 1;
    if (rc != 0)
        return rc;
    a->eligible = r.eligible;
    a->reason = r.reason; /* set explicitly: unset reads as REASON_UNKNOWN */
    if (r.arm < 0)
        return 0;
    if (r.first_exposure)
        a->has_first_exposure = a->first_exposure = 1;
    a->in_experiment = 1;
    a->arm_index = r.arm;
    a->arm_name = e->def->arms[r.arm]->name;
    a->arm_payload = e->def->arms[r.arm]->payload;
    return 0;
}

#define ERR_MSG_LEN 160
#define ERR_PATH_LEN 40        /* "assign_batch.customer_ids[9999]" */
#define ASSIGN_STALE_RETRIES 3 /* refreshes of one request's experiment before UNAVAILABLE */

static int handle_assign(handlers_t *self, const Lift__Request *req, int64_t now,
                         handlers_out_t *out)
{
    const char *key;
    char *const *ids;
    size_t n;
    const Lift__Context *ctx;
    const char *ctx_field;
    char *single[1];
    status_t st;

    if (req->body_case == LIFT__REQUEST__BODY_ASSIGN) {
        key = req->assign->experiment_key;
        single[0] = req->assign->customer_id;
        ids = single;
        n = 1;
        ctx = req->assign->context;
        ctx_field = "assign.context";
        if (!single[0]) {
            status_set(&st, LIFT__CODE__INVALID_ARGUMENT, "assign.customer_id",
                       "assign.customer_id is required (1..%d bytes of UTF-8)",
                       LIFT_CUSTOMER_ID_MAX);
            return status_reply_in(req, &st, out);
        }
    } else {
        key = req->assign_batch->experiment_key;
        ids = req->assign_batch->customer_ids;
        n = req->assign_batch->n_customer_ids;
        ctx = req->assign_batch->context;
        ctx_field = "assign_batch.context";
        if (n < 1 || n > LIFT_BATCH_MAX) {
            status_set(&st, LIFT__CODE__INVALID_ARGUMENT, "assign_batch.customer_ids",
                       "assign_batch.customer_ids: %zu ids, need 1..%d", n, LIFT_BATCH_MAX);
            return status_reply_in(req, &st, out);
        }
    }
    const registry_entry_t *e = registry_find(self->registry, key);
    if (!e) {
        status_set(&st, LIFT__CODE__NOT_FOUND, "experiment_key", "no experiment with key %s",
                   key && *key ? key : "(empty)");
        return status_reply_in(req, &st, out);
    }
    if (registry_context_check(ctx, ctx_field, now, &st) < 0 ||
        registry_trigger_time_check(e, ctx, ctx_field, &st) < 0)
        return status_reply_in(req, &st, out);
    Lift__Reason eligibility = registry_eligibility(e, ctx, now);
    if (n == 1)
        store_request_single_write(self->store); /* one exposure at most, nothing after it */

    /* A single Assign (the hot path) needs no heap for its items. */
    Lift__Assignment one_item, *one_ptr;
    Lift__Assignment *items = n == 1 ? &one_item : malloc(n * sizeof *items);
    Lift__Assignment **ptrs = n == 1 ? &one_ptr : malloc(n * sizeof *ptrs);
    Lift__Status *errs = NULL;
    char *msgs = NULL;
    size_t nerr = 0;
    int rc = -1, stale = 0;
    if (!items || !ptrs)
        goto done;
    for (size_t i = 0; i < n; i++) {
        Lift__Assignment init = LIFT__ASSIGNMENT__INIT;
        items[i] = init;
        ptrs[i] = &items[i];
        Lift__Status serr = LIFT__STATUS__INIT;
        char msg[ERR_MSG_LEN];
        int one = assign_one(self, e, ids[i], ctx, eligibility, now, &items[i], &serr, msg,
                             sizeof msg, &out->wrote, &st);
        if (one == 1) {
            /* Paused, stopped or ramped through another liftd: take the store's state and
             * decide this customer again (entries are refreshed in place, so the replies
             * built so far stay valid). */
            if (++stale > ASSIGN_STALE_RETRIES) {
                status_set(&st, LIFT__CODE__UNAVAILABLE, NULL,
                           "experiment %s kept changing in the store while assigning; retry", key);
                one = -1;
            } else if (registry_refresh_find(self->registry, key, &e, &st) < 0 ||
                       registry_trigger_time_check(e, ctx, ctx_field, &st) < 0) {
                one = -1;
            } else {
                eligibility = registry_eligibility(e, ctx, now);
                i--; /* this customer again */
                continue;
            }
        }
        if (one < 0) {
            out->failed = 1;
            rc = status_reply_in(req, &st, out);
            goto done;
        }
        if (items[i].error) {
            /* Invalid ids are rare: give each its own copy of the message. */
            if (!errs) {
                errs = malloc(n * sizeof *errs);
                msgs = malloc(n * (ERR_MSG_LEN + ERR_PATH_LEN));
                if (!errs || !msgs)
                    goto done;
            }
            char *m = msgs + nerr * (ERR_MSG_LEN + ERR_PATH_LEN);
            errs[nerr] = serr;
            memcpy(m, msg, ERR_MSG_LEN);
            errs[nerr].message = m;
            if (req->body_case == LIFT__REQUEST__BODY_ASSIGN)
                snprintf(m + ERR_MSG_LEN, ERR_PATH_LEN, "assign.customer_id");
            else
                snprintf(m + ERR_MSG_LEN, ERR_PATH_LEN, "assign_batch.customer_ids[%zu]", i);
            errs[nerr].field = m + ERR_MSG_LEN;
            items[i].error = &errs[nerr];
            nerr++;
        }
    }
    size_t fast = fastwire_assign_reply_size(req->request_id, ptrs, n);
    if (fast > 0) {
        /* The same bytes protobuf-c writes (tests/check_fastwire.c), without its generic
         * descriptor walk. */
        out->bytes = malloc(fast);
        if (!out->bytes)
            goto done;
        out->len = fastwire_assign_reply_pack(req->request_id, ptrs, n, out->bytes);
        rc = 0;
        goto done;
    }
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__AssignReply body = LIFT__ASSIGN_REPLY__INIT;
    body.n_assignments = n;
    body.assignments = ptrs;
    reply.body_case = LIFT__REPLY__BODY_ASSIGN;
    reply.assign = &body;
    rc = pack_reply(req->request_id, &reply, out);
done:
    if (items != &one_item)
        free(items);
    if (ptrs != &one_ptr)
        free(ptrs);
    free(errs);
    free(msgs);
    return rc;
}

static int handle_track(handlers_t *self, const Lift__Request *req, int64_t now,
                        handlers_out_t *out)
{
    const Lift__Track *t = req->track;
    status_t st;
    size_t n = t->n_events, nrej = 0;
    if (n < 1 || n > LIFT_BATCH_MAX) {
        status_set(&st, LIFT__CODE__INVALID_ARGUMENT, "track.events",
                   "track.events: %zu events, need 1..%d", n, LIFT_BATCH_MAX);
        return status_reply_in(req, &st, out);
    }
    ingest_reject_t *rej = malloc(n * sizeof *rej);
    Lift__Rejected *items = NULL;
    Lift__Rejected **ptrs = NULL;
    uint32_t accepted = 0, dups = 0, conflicts = 0;
    int rc = -1;
    if (!rej)
        return -1;
    if (ingest_track(self->ingest, t->events, n, now, &accepted, &dups, &conflicts, rej, &nrej,
                     &st) < 0) {
        out->failed = 1;
        rc = status_reply_in(req, &st, out);
        goto done;
    }
    out->wrote = accepted > 0;
    if (conflicts) {
        /* Not a validation slip but two facts under one key: an operator must hear of it. */
        for (size_t i = 0; i < nrej; i++)
            if (rej[i].conflict) {
                log_emit(self->log_level, LOG_LEVEL_WARN, "event_id_conflict",
                         "conflicts=%u first_index=%u reason=\"%s\"", conflicts, rej[i].index,
                         rej[i].reason);
                break;
            }
    }
    if (nrej) {
        items = malloc(nrej * sizeof *items);
        ptrs = malloc(nrej * sizeof *ptrs);
        if (!items || !ptrs)
            goto done;
        for (size_t i = 0; i < nrej; i++) {
            Lift__Rejected init = LIFT__REJECTED__INIT;
            items[i] = init;
            items[i].has_index = 1;
            items[i].index = rej[i].index;
            items[i].event_id = (char *)rej[i].event_id;
            items[i].field = rej[i].field;
            items[i].reason = rej[i].reason;
            ptrs[i] = &items[i];
        }
    }
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__TrackReply body = LIFT__TRACK_REPLY__INIT;
    body.has_accepted = body.has_duplicates = body.has_conflicts = 1;
    body.accepted = accepted;
    body.duplicates = dups;
    body.conflicts = conflicts;
    body.n_rejected = nrej;
    body.rejected = ptrs;
    reply.body_case = LIFT__REPLY__BODY_TRACK;
    reply.track = &body;
    rc = pack_reply(req->request_id, &reply, out);
done:
    free(rej);
    free(items);
    free(ptrs);
    return rc;
}

static int handle_ping(handlers_t *self, const Lift__Request *req, int64_t now, handlers_out_t *out)
{
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__Pong pong = LIFT__PONG__INIT;
    pong.version = LIFT_VERSION;
    pong.has_now_ms = 1;
    pong.now_ms = now;
    pong.currency = (char *)ingest_currency(self->ingest); /* clients read amounts with it */
    pong.hash_version = (char *)LIFT_HASH_VERSION;
    Lift__Limits lim = LIFT__LIMITS__INIT;
    lim.has_max_request_bytes = lim.has_request_headroom_bytes = lim.has_batch_max = 1;
    lim.max_request_bytes = LIFT_MAX_REQUEST_BYTES;
    lim.request_headroom_bytes = LIFT_REQUEST_HEADROOM;
    lim.batch_max = LIFT_BATCH_MAX;
    lim.has_in_flight_per_connection = lim.has_reports_in_flight = lim.has_clock_skew_ms = 1;
    lim.in_flight_per_connection = LIFT_MAX_IN_FLIGHT;
    lim.reports_in_flight = LIFT_REPORTS_IN_FLIGHT;
    lim.clock_skew_ms = ingest_clock_skew_ms(self->ingest);
    lim.has_customer_id_max_bytes = lim.has_event_id_max_bytes = lim.has_segment_by_max = 1;
    lim.customer_id_max_bytes = LIFT_CUSTOMER_ID_MAX;
    lim.event_id_max_bytes = LIFT_EVENT_ID_MAX;
    lim.segment_by_max = LIFT_SEGMENT_BY_MAX;
    pong.limits = &lim;
    reply.body_case = LIFT__REPLY__BODY_PONG;
    reply.pong = &pong;
    return pack_reply(req->request_id, &reply, out);
}

/* One request's logic, inside the request's savepoint. Returns 0, or -1 when out of memory. */
static int dispatch(handlers_t *self, const Lift__Request *req, int64_t now_ms, handlers_out_t *out)
{
    switch (req->body_case) {
    case LIFT__REQUEST__BODY_PING:
        return handle_ping(self, req, now_ms, out);
    case LIFT__REQUEST__BODY_CREATE_EXPERIMENT:
        return handle_create(self, req, now_ms, out);
    case LIFT__REQUEST__BODY_GET_EXPERIMENT:
        return handle_get(self, req, out);
    case LIFT__REQUEST__BODY_LIST_EXPERIMENTS:
        return handle_list(self, req, out);
    case LIFT__REQUEST__BODY_CHANGE_EXPERIMENT:
        return handle_change(self, req, now_ms, out);
    case LIFT__REQUEST__BODY_ASSIGN:
    case LIFT__REQUEST__BODY_ASSIGN_BATCH:
        return handle_assign(self, req, now_ms, out);
    case LIFT__REQUEST__BODY_TRACK:
        return handle_track(self, req, now_ms, out);
    case LIFT__REQUEST__BODY_RECORD_EXPOSURES:
        return exposures_record(self->store, self->registry, self->log_level, req, now_ms, out);
    case LIFT__REQUEST__BODY_CREATE_HOLDOUT:
    case LIFT__REQUEST__BODY_GET_HOLDOUT:
    case LIFT__REQUEST__BODY_LIST_HOLDOUTS:
    case LIFT__REQUEST__BODY_CHANGE_HOLDOUT:
    case LIFT__REQUEST__BODY_IS_HELD_OUT:
        return holdout_handlers_handle(self->store, self->registry, req, now_ms, out);
    case LIFT__REQUEST__BODY_REPORT: /* a programmer error: the caller skipped the contract */
        return handlers_error_reply(req->request_id, LIFT__CODE__INTERNAL, NULL,
                                    "report requests are built by the report thread "
                                    "(handlers_report_job), not by handlers_handle",
                                    out);
    default:
        return handlers_error_reply(req->request_id, LIFT__CODE__INVALID_ARGUMENT, NULL,
                                    "request has no body this server knows (ping, "
                                    "create_experiment, get_experiment, list_experiments, "
                                    "change_experiment, assign, assign_batch, "
                                    "record_exposures, track, create_holdout, get_holdout, "
                                    "list_holdouts, change_holdout, is_held_out)",
                                    out);
    }
}

int handlers_handle(handlers_t *self, const Lift__Request *req, const char *why, int64_t now_ms,
                    handlers_out_t *out)
{
    char msg[320];
    memset(out, 0, sizeof *out);
    if (!req)
        return handlers_error_reply(0, LIFT__CODE__INVALID_ARGUMENT, NULL, why, out);
    if (self->batch != BATCH_OPEN || self->broken[0]) {
        snprintf(msg, sizeof msg, "store unavailable, retry: %.280s",
                 self->broken[0]               ? self->broken
                 : self->batch == BATCH_FAILED ? self->unavailable
                                               : "no transaction (handlers_batch_begin)");
        return handlers_error_reply(req->request_id, LIFT__CODE__UNAVAILABLE, NULL, msg, out);
    }
    store_request_begin(self->store);
    assigner_request_begin(self->assigner);
    if (dispatch(self, req, now_ms, out) < 0) {
        free(out->bytes);
        memset(out, 0, sizeof *out);
        handlers_error_reply(req->request_id, LIFT__CODE__INTERNAL, NULL,
                             "out of memory while handling the request", out);
        out->failed = 1;
    }
    if (store_request_end(self->store, !out->failed) < 0) {
        /* The request could be neither kept nor undone alone: the batch's transaction is
         * rolled back as a whole at its end (store.h), and no further request joins it. */
        snprintf(self->broken, sizeof self->broken, "%.280s", store_errmsg(self->store));
        if (!out->failed) {
            free(out->bytes);
            snprintf(msg, sizeof msg, "store unavailable, retry: %.280s", self->broken);
            handlers_error_reply(req->request_id, LIFT__CODE__UNAVAILABLE, NULL, msg, out);
            out->wrote = 0;
            out->failed = 1;
        }
    }
    assigner_request_end(self->assigner, !out->failed);
    return out->bytes ? 0 : -1;
}

int handlers_batch_begin(handlers_t *self, char *err, size_t errlen)
{
    self->broken[0] = '\0';
    if (store_begin(self->store, err, errlen) < 0) {
        self->batch = BATCH_FAILED;
        snprintf(self->unavailable, sizeof self->unavailable, "%s", err);
        return -1;
    }
    self->batch = BATCH_OPEN;
    /* Other instances share the store: take their experiment changes (a pause, a ramp) before
     * deciding anything — one cheap generation poll when nothing changed. An exposure is
     * recorded only at the generation the cache holds, so a change missed here still stops
     * one (STORE_STALE) rather than letting it through. */
    if (store_shared(self->store)) {
        char rerr[320];
        if (registry_refresh(self->registry, rerr, sizeof rerr) < 0)
            log_emit(self->log_level, LOG_LEVEL_WARN, "registry_refresh_failed", "reason=\"%s\"",
                     rerr);
    }
    return 0;
}

int handlers_batch_broken(const handlers_t *self)
{
    return self->broken[0] != '\0';
}

int handlers_batch_end(handlers_t *self, char *err, size_t errlen)
{
    int began = self->batch == BATCH_OPEN;
    int committed = 0;
    self->batch = BATCH_NONE;
    if (began && self->broken[0]) {
        store_rollback(self->store);
        snprintf(err, errlen, "a request could not be undone alone: %.200s", self->broken);
    } else {
        committed = began && store_commit(self->store, err, errlen) == 0;
    }
    self->broken[0] = '\0';
    assigner_batch_end(self->assigner, committed);
    if (!began || committed)
        return 0;
    /* The registry's cache may hold what the rollback undid (a created or changed experiment). */
    char rerr[256];
    if (registry_reload(self->registry, rerr, sizeof rerr) < 0)
        log_emit(self->log_level, LOG_LEVEL_ERROR, "registry_reload_failed", "reason=\"%s\"", rerr);
    return -1;
}

int handlers_report_job(handlers_t *self, const Lift__Request *req, worker_job_t **job_p,
                        handlers_out_t *out)
{
    const Lift__ReportRequest *q = req->report;
    const char *key = q->experiment_key;
    const char *hkey = q->holdout_key;
    int program = hkey && *hkey; /* the program report of a holdout (holdout_report.h) */
    char msg[320];
    memset(out, 0, sizeof *out);
    *job_p = NULL;
    if (q->n_segment_by > LIFT_SEGMENT_BY_MAX) {
        snprintf(msg, sizeof msg,
                 "report.segment_by: %zu dimensions, at most %d (trigger, stage, channel, delay)",
                 q->n_segment_by, LIFT_SEGMENT_BY_MAX);
        handlers_error_reply(req->request_id, LIFT__CODE__INVALID_ARGUMENT, "report.segment_by",
                             msg, out);
        return 0;
    }
    if (program && key && *key) {
        handlers_error_reply(req->request_id, LIFT__CODE__INVALID_ARGUMENT, "report.holdout_key",
                             "report.experiment_key and report.holdout_key are both set; a "
                             "report is of an experiment or of a holdout",
                             out);
        return 0;
    }
    const registry_entry_t *e = program ? NULL : registry_find(self->registry, key);
    if (!e && !program) {
        snprintf(msg, sizeof msg, "no experiment with key %.64s", key && *key ? key : "(empty)");
        handlers_error_reply(req->request_id, LIFT__CODE__NOT_FOUND, "report.experiment_key", msg,
                             out);
        return 0;
    }
    worker_job_t *job = calloc(1, sizeof *job);
    if (!job)
        goto nomem;
    job->request_id = req->request_id;
    /* A holdout's program report has no experiment: the worker reads the holdout in its own
     * snapshot. */
    if (e) {
        Lift__Experiment view;
        experiment_view(self, e, &view);
        job->experiment_id = e->id;
        job->experiment_len = lift__experiment__get_packed_size(&view);
        job->experiment = malloc(job->experiment_len ? job->experiment_len : 1);
        if (!job->experiment)
            goto nomem;
        lift__experiment__pack(&view, job->experiment);
    }
    /* The request lives in the server's decode arena: the job gets its own copy. */
    size_t rlen = lift__report_request__get_packed_size(q);
    uint8_t *rbuf = malloc(rlen ? rlen : 1);
    if (!rbuf)
        goto nomem;
    lift__report_request__pack(q, rbuf);
    job->req = lift__report_request__unpack(NULL, rlen, rbuf);
    free(rbuf);
    if (!job->req)
        goto nomem;
    *job_p = job;
    return 1;
nomem:
    worker_job_free(&job);
    handlers_error_reply(req->request_id, LIFT__CODE__INTERNAL, NULL,
                         "out of memory queueing the report", out);
    return 0;
}
