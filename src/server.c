/* server: ZeroMQ ROUTER, envelopes (REQ with an empty delimiter, DEALER without), batching
 * and group commit. A reply to a write leaves only after the transaction holding it commits. */
#include "server.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "handlers.h"
#include "ingest.h"
#include "lift.pb-c.h"
#include "registry.h"
#include "store.h"

#define ROUTING_ID_MAX 256

/* One request of a batch, from receipt to reply. */
typedef struct {
    uint8_t rid[ROUTING_ID_MAX]; /* peer routing id */
    size_t rid_len;              /* bytes in rid */
    int delimiter;               /* 1: REQ-style envelope, reply with an empty frame first */
    uint64_t request_id;         /* echoed in error replies */
    handler_out_t out;           /* packed reply and write flags */
} pending_t;

struct server {
    server_config_t cfg;    /* copy of the configuration */
    store_t *store;         /* the durable store */
    registry_t *registry;   /* experiment cache */
    ingest_t *ingest;       /* event validation and dedup index */
    handlers_t *handlers;   /* request dispatch */
    void *ctx;              /* ZeroMQ context */
    void *router;           /* the bound ROUTER socket */
    pending_t *batch;       /* SERVER_MAX_BATCH slots */
    uint64_t batches;       /* batches served, for the stop log line */
    uint64_t requests;      /* requests served */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

server_t *server_new(const server_config_t *cfg, char *err, size_t errlen)
{
    server_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->cfg = *cfg;
    self->batch = calloc(SERVER_MAX_BATCH, sizeof *self->batch);
    if (!self->batch) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    self->store = store_open(cfg->data_dir, err, errlen);
    if (!self->store)
        goto fail;
    self->registry = registry_new(self->store, err, errlen);
    if (!self->registry)
        goto fail;
    char stored[16];
    int have = store_meta_get(self->store, "currency", stored, sizeof stored);
    if (ingest_currency_check(cfg->currency) < 0) {
        snprintf(err, errlen, "--currency: '%s' is not an ISO 4217 code (three letters A-Z)",
                 cfg->currency);
        goto fail;
    }
    if (have < 0 || (have == 0 && store_meta_set(self->store, "currency", cfg->currency) < 0)) {
        snprintf(err, errlen, "cannot read or record the currency: %s",
                 store_errmsg(self->store));
        goto fail;
    }
    if (have == 1 && strcmp(stored, cfg->currency) != 0) {
        snprintf(err, errlen,
                 "--currency %s: the store in %s holds %s amounts; mixing currencies would make "
                 "revenue meaningless (start with --currency %s)",
                 cfg->currency, cfg->data_dir, stored, stored);
        goto fail;
    }
    char index_path[1100];
    snprintf(index_path, sizeof index_path, "%s/event-index", cfg->data_dir);
    ingest_config_t icfg = {.currency = cfg->currency, .clock_skew_ms = cfg->clock_skew_ms,
                            .index_path = index_path};
    self->ingest = ingest_new(self->store, self->registry, &icfg, err, errlen);
    if (!self->ingest)
        goto fail;
    self->handlers = handlers_new(self->store, self->registry, self->ingest, cfg->log_level);
    self->ctx = zmq_ctx_new();
    if (!self->handlers || !self->ctx) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    self->router = zmq_socket(self->ctx, ZMQ_ROUTER);
    if (!self->router) {
        snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    int one = 1, linger = 1000, hwm = 100000;
    int64_t maxmsg = SERVER_MAX_MSG;
    if (zmq_setsockopt(self->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) < 0 ||
        zmq_setsockopt(self->router, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
        zmq_setsockopt(self->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) < 0 ||
        zmq_setsockopt(self->router, ZMQ_RCVHWM, &hwm, sizeof hwm) < 0 ||
        zmq_setsockopt(self->router, ZMQ_SNDHWM, &hwm, sizeof hwm) < 0) {
        snprintf(err, errlen, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (zmq_bind(self->router, cfg->endpoint) < 0) {
        snprintf(err, errlen, "cannot bind %s: %s", cfg->endpoint, zmq_strerror(zmq_errno()));
        goto fail;
    }
    log_emit(cfg->log_level, LOG_INFO, "listening",
             "endpoint=%s data=%s schema=%d experiments=%d events=%llu index=%s currency=%s",
             cfg->endpoint, cfg->data_dir, store_schema_version(self->store),
             registry_count(self->registry), (unsigned long long)ingest_count(self->ingest),
             ingest_loaded_snapshot(self->ingest) ? "snapshot" : "scan", cfg->currency);
    return self;
fail:
    server_destroy(&self);
    return NULL;
}

void server_destroy(server_t **self_p)
{
    server_t *self = *self_p;
    if (!self)
        return;
    if (self->router)
        zmq_close(self->router);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    handlers_destroy(&self->handlers);
    ingest_destroy(&self->ingest);
    registry_destroy(&self->registry);
    store_destroy(&self->store);
    if (self->batch)
        for (int i = 0; i < SERVER_MAX_BATCH; i++)
            free(self->batch[i].out.bytes);
    free(self->batch);
    free(self);
    *self_p = NULL;
}

/* Discard the remaining frames of a message. */
static void drain_frames(void *sock)
{
    int more = 1;
    size_t sz = sizeof more;
    while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        zmq_msg_close(&m);
    }
}

static int has_more(void *sock)
{
    int more = 0;
    size_t sz = sizeof more;
    return zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) == 0 && more;
}

/* Receive one message into slot p and handle it. Returns 1 when a request was taken, 0 when
 * nothing was waiting, -1 on a socket error. */
static int take_one(server_t *self, pending_t *p, int64_t now, const char *unavailable)
{
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, self->router, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        zmq_msg_close(&id);
        return (e == EAGAIN || e == EINTR) ? 0 : -1;
    }
    memset(p, 0, sizeof *p);
    p->rid_len = zmq_msg_size(&id);
    if (p->rid_len > ROUTING_ID_MAX)
        p->rid_len = ROUTING_ID_MAX;
    memcpy(p->rid, zmq_msg_data(&id), p->rid_len);
    zmq_msg_close(&id);

    const char *why = NULL;
    Lift__Request *req = NULL;
    char msg[320];
    zmq_msg_init(&body);
    if (!has_more(self->router)) {
        why = "empty message: expected one lift.Request frame";
    } else if (zmq_msg_recv(&body, self->router, 0) < 0) {
        why = "cannot receive the request frame";
    } else {
        if (zmq_msg_size(&body) == 0 && has_more(self->router)) {
            /* REQ envelope: empty delimiter, then the body. */
            p->delimiter = 1;
            zmq_msg_close(&body);
            zmq_msg_init(&body);
            if (zmq_msg_recv(&body, self->router, 0) < 0)
                why = "cannot receive the request frame";
        }
        if (!why && has_more(self->router)) {
            why = "expected exactly one lift.Request frame, got more";
            drain_frames(self->router);
        } else if (!why && zmq_msg_size(&body) == 0) {
            why = "empty request frame: expected a lift.Request";
        } else if (!why) {
            req = lift__request__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
            if (!req) {
                snprintf(msg, sizeof msg,
                         "undecodable request: %zu bytes are not a lift.Request protobuf",
                         zmq_msg_size(&body));
                why = msg;
            }
        }
    }
    zmq_msg_close(&body);
    if (why)
        log_emit(self->cfg.log_level, LOG_DEBUG, "bad_request", "reason=\"%s\"", why);

    p->request_id = req ? req->request_id : 0;
    if (unavailable) {
        snprintf(msg, sizeof msg, "store unavailable, retry: %.280s", unavailable);
        handlers_error_reply(p->request_id, LIFT__CODE__UNAVAILABLE, NULL, msg, &p->out);
    } else {
        store_request_begin(self->store);
        if (handlers_handle(self->handlers, req, why, now, &p->out) < 0) {
            free(p->out.bytes);
            memset(&p->out, 0, sizeof p->out);
            handlers_error_reply(p->request_id, LIFT__CODE__INTERNAL, NULL,
                                 "out of memory while handling the request", &p->out);
            p->out.failed = 1;
        }
        if (store_request_end(self->store, !p->out.failed) < 0 && !p->out.failed) {
            free(p->out.bytes);
            snprintf(msg, sizeof msg, "store unavailable, retry: %.280s",
                     store_errmsg(self->store));
            handlers_error_reply(p->request_id, LIFT__CODE__UNAVAILABLE, NULL, msg, &p->out);
            p->out.wrote = 0;
        }
    }
    if (req)
        lift__request__free_unpacked(req, NULL);
    return 1;
}

static void send_reply(server_t *self, pending_t *p)
{
    if (!p->out.bytes)
        return;
    int rc = zmq_send(self->router, p->rid, p->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0 && p->delimiter)
        rc = zmq_send(self->router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = zmq_send(self->router, p->out.bytes, p->out.len, ZMQ_DONTWAIT);
    if (rc < 0)
        log_emit(self->cfg.log_level, LOG_DEBUG, "reply_dropped", "reason=\"%s\"",
                 zmq_strerror(zmq_errno()));
    free(p->out.bytes);
    p->out.bytes = NULL;
}

/* Drain up to SERVER_MAX_BATCH waiting requests, handle them in one transaction, commit,
 * then reply. Returns the number of requests served, or -1 on a socket error. */
static int serve_batch(server_t *self)
{
    char err[256];
    int64_t now = now_ms();
    int n = 0, writes = 0, rc = 0;
    int began = store_begin(self->store, err, sizeof err) == 0;
    if (!began)
        log_emit(self->cfg.log_level, LOG_ERROR, "store_begin_failed", "reason=\"%s\"", err);
    while (n < SERVER_MAX_BATCH) {
        /* Without a transaction every request still gets an answer: UNAVAILABLE. */
        rc = take_one(self, &self->batch[n], now, began ? NULL : err);
        if (rc <= 0)
            break;
        writes += self->batch[n].out.wrote;
        /* A read that saw no uncommitted write of this batch need not wait for the commit. */
        if (writes == 0)
            send_reply(self, &self->batch[n]);
        n++;
    }
    int committed = began && store_commit(self->store, err, sizeof err) == 0;
    handlers_batch_done(self->handlers, committed);
    if (began && !committed) {
        log_emit(self->cfg.log_level, LOG_ERROR, "commit_failed", "requests=%d writes=%d reason=\"%s\"",
                 n, writes, err);
        char rerr[256];
        if (registry_reload(self->registry, rerr, sizeof rerr) < 0)
            log_emit(self->cfg.log_level, LOG_ERROR, "registry_reload_failed", "reason=\"%s\"",
                     rerr);
        char msg[320];
        snprintf(msg, sizeof msg, "not stored, retry: %.280s", err);
        for (int i = 0; i < n; i++) {
            pending_t *p = &self->batch[i];
            if (!p->out.wrote)
                continue;
            free(p->out.bytes);
            handlers_error_reply(p->request_id, LIFT__CODE__UNAVAILABLE, NULL, msg, &p->out);
        }
    }
    for (int i = 0; i < n; i++)
        send_reply(self, &self->batch[i]);
    if (n > 0) {
        self->batches++;
        self->requests += (uint64_t)n;
        log_emit(self->cfg.log_level, LOG_DEBUG, "batch", "requests=%d writes=%d", n, writes);
    }
    return rc < 0 ? -1 : n;
}

int server_run(server_t *self, volatile sig_atomic_t *stop)
{
    zmq_pollitem_t items[] = {{self->router, 0, ZMQ_POLLIN, 0}};
    while (!*stop) {
        int rc = zmq_poll(items, 1, 250);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            log_emit(self->cfg.log_level, LOG_ERROR, "poll_failed", "reason=\"%s\"",
                     zmq_strerror(zmq_errno()));
            return -1;
        }
        if (rc == 0 || !(items[0].revents & ZMQ_POLLIN))
            continue;
        if (serve_batch(self) < 0 && zmq_errno() != EINTR) {
            log_emit(self->cfg.log_level, LOG_ERROR, "recv_failed", "reason=\"%s\"",
                     zmq_strerror(zmq_errno()));
            return -1;
        }
    }
    log_emit(self->cfg.log_level, LOG_INFO, "stopping", "batches=%llu requests=%llu",
             (unsigned long long)self->batches, (unsigned long long)self->requests);
    char err[512];
    if (ingest_save(self->ingest, err, sizeof err) < 0)
        log_emit(self->cfg.log_level, LOG_WARN, "index_not_saved",
                 "reason=\"%s\" next_start=full_scan", err);
    return 0;
}
