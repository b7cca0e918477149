/* server: ZeroMQ ROUTER (CURVE + ZAP roles, or loopback only), envelopes (REQ with an empty
 * delimiter, DEALER without), decoding, batching and group commit through the handlers' batch
 * contract (handlers.h). A reply to a write leaves only after the transaction holding it
 * commits. What a request means is the handlers' business. */
#include "server.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "arena.h"
#include "auth.h"
#include "fastwire.h"
#include "handlers.h"
#include "lift.pb-c.h"
#include "peers.h"
#include "wire.h"
#include "worker.h"

#define ROUTING_ID_MAX 256

/* A draft option in libzmq 4.3 (absent from zmq.h without ZMQ_BUILD_DRAFT_API): with it set, a
 * missing ZAP handler refuses connections instead of admitting them. Tried when present. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

/* One request of a batch, from receipt to reply. */
typedef struct {
    uint8_t rid[ROUTING_ID_MAX]; /* peer routing id */
    size_t rid_len;              /* bytes in rid */
    int delimiter;               /* 1: REQ-style envelope, reply with an empty frame first */
    uint64_t request_id;         /* echoed in error replies */
    peers_entry_t *peer;         /* its connection's entry (peers_take), NULL when none */
    handlers_out_t out;          /* packed reply and write flags */
    int handed;                  /* the reply went to peers_reply (sent or queued) */
} pending_t;

/* Requests are decoded into a bump arena: protobuf-c would otherwise make one malloc per
 * message and string (thousands for a batch of events), and free each again. The arena is
 * reset after every request and keeps one chunk as large as the largest request seen (up to
 * this bound). */
#define UNPACK_ARENA_MAX (32u * 1024 * 1024) /* largest chunk kept between requests */

struct server {
    server_config_t cfg;        /* copy of the configuration */
    worker_t *worker;           /* report thread */
    handlers_t *handlers;       /* every request's logic, the store beneath them */
    void *ctx;                  /* ZeroMQ context */
    void *router;               /* the bound ROUTER socket */
    auth_t *auth;               /* ZAP handler and key list; NULL = no CURVE (loopback only) */
    pending_t *batch;           /* SERVER_MAX_BATCH slots */
    uint64_t batches;           /* batches served, for the stop log line */
    uint64_t requests;          /* requests served */
    arena_t *arena;             /* where requests are decoded */
    ProtobufCAllocator alloc;   /* protobuf-c's view of arena */
    uint64_t replies_dropped;   /* replies to connections that were gone */
    peers_t *peers;             /* replies held per connection, and those waiting for room */
    uint64_t refused_in_flight; /* requests refused: their connection held LIFT_MAX_IN_FLIGHT */
    uint64_t denied;            /* requests refused with PERMISSION_DENIED */
    fastwire_assign_t fast;     /* the current request when fastwire decoded it */
};

static int peer_send(void *arg, const uint8_t *rid, size_t rid_len, int flags, const uint8_t *bytes,
                     size_t len);

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int server_endpoint_is_local(const char *ep)
{
    if (strncmp(ep, "ipc://", 6) == 0 || strncmp(ep, "inproc://", 9) == 0)
        return 1;
    if (strncmp(ep, "tcp://", 6) != 0)
        return 0;
    const char *h = ep + 6;
    if (strncmp(h, "[::1]:", 6) == 0 || strncmp(h, "localhost:", 10) == 0)
        return 1;
    if (strncmp(h, "127.", 4) != 0)
        return 0;
    /* 127.a.b.c:port, digits and dots only up to the port. */
    for (h += 4; *h && *h != ':'; h++)
        if (!((*h >= '0' && *h <= '9') || *h == '.'))
            return 0;
    return *h == ':';
}

/* Before binding ipc://PATH: libzmq would unlink whatever is at PATH and take it over, so a
 * second liftd would silently steal a running one's clients. Refuse when a process accepts
 * connections there, or when PATH is not a socket; a stale socket (nobody listening) is left
 * for libzmq to replace. Returns 0, or -1 with a message. */
static int ipc_check(const char *endpoint, char *err, size_t errlen)
{
    if (strncmp(endpoint, "ipc://", 6) != 0 || endpoint[6] == '@' || endpoint[6] == '*')
        return 0; /* not a path (abstract namespace, or a name libzmq picks) */
    const char *path = endpoint + 6;
    struct stat sb;
    if (lstat(path, &sb) < 0)
        return 0; /* nothing there (or libzmq's bind will say why) */
    if (!S_ISSOCK(sb.st_mode)) {
        snprintf(err, errlen,
                 "cannot bind %s: %s exists and is not a socket (liftd would delete it); "
                 "choose another path",
                 endpoint, path);
        return -1;
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path)
        return 0; /* libzmq refuses it itself */
    memcpy(sa.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int live = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno == EAGAIN;
    close(fd);
    if (live) {
        snprintf(err, errlen,
                 "cannot bind %s: another process is listening there (a running liftd?); stop "
                 "it first or choose another endpoint",
                 endpoint);
        return -1;
    }
    return 0;
}

/* Bind the ROUTER. tcp://localhost:P binds the loopback addresses (libzmq takes "localhost"
 * in a bind for a network interface name and fails with ENODEV): 127.0.0.1, and [::1] when
 * this host has IPv6, so a client that resolves localhost to either reaches liftd. */
static int bind_endpoint(server_t *self, const char *endpoint, char *err, size_t errlen)
{
    if (ipc_check(endpoint, err, errlen) < 0)
        return -1;
    if (strncmp(endpoint, "tcp://localhost:", 16) == 0) {
        const char *port = endpoint + 16;
        char v4[64], v6[64];
        snprintf(v4, sizeof v4, "tcp://127.0.0.1:%.40s", port);
        snprintf(v6, sizeof v6, "tcp://[::1]:%.40s", port);
        if (zmq_bind(self->router, v4) < 0) {
            snprintf(err, errlen, "cannot bind %s (%s): %s", endpoint, v4,
                     zmq_strerror(zmq_errno()));
            return -1;
        }
        if (zmq_bind(self->router, v6) < 0)
            log_emit(self->cfg.log_level, LOG_LEVEL_DEBUG, "ipv6_loopback_unavailable",
                     "endpoint=%s reason=\"%s\"", v6, zmq_strerror(zmq_errno()));
        return 0;
    }
    if (zmq_bind(self->router, endpoint) < 0) {
        snprintf(err, errlen, "cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

/* Make the ROUTER a CURVE server whose handshakes the ZAP handler decides. */
static int setup_curve(server_t *self, const server_config_t *cfg, char *err, size_t errlen)
{
    lift_keypair_t kp;
    if (lift_keyfile_read_secret(cfg->curve_secret, &kp, err, errlen) < 0)
        return -1;
    /* The handler is bound before the ROUTER exists: no connection can beat it. */
    self->auth = auth_new(self->ctx, cfg->authorized_keys, cfg->log_level, err, errlen);
    if (!self->auth) {
        explicit_bzero(&kp, sizeof kp);
        return -1;
    }
    int one = 1;
    int rc = zmq_setsockopt(self->router, ZMQ_CURVE_SERVER, &one, sizeof one);
    if (rc == 0)
        rc = zmq_setsockopt(self->router, ZMQ_CURVE_SECRETKEY, kp.secret_z85, LIFT_KEY_Z85_LEN + 1);
    if (rc == 0)
        rc = zmq_setsockopt(self->router, ZMQ_ZAP_DOMAIN, AUTH_DOMAIN, strlen(AUTH_DOMAIN));
    explicit_bzero(&kp, sizeof kp);
    if (rc < 0) {
        snprintf(err, errlen, "CURVE setup: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    if (zmq_setsockopt(self->router, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) < 0)
        log_emit(cfg->log_level, LOG_LEVEL_DEBUG, "zap_enforce_domain_unavailable",
                 "detail=\"draft option missing; the ZAP handler stays bound while the ROUTER "
                 "is open, so no connection is admitted without it\"");
    return 0;
}

server_t *server_new(const server_config_t *cfg, char *err, size_t errlen)
{
    if ((cfg->curve_secret == NULL) != (cfg->authorized_keys == NULL)) {
        snprintf(err, errlen, "--curve-secret and --authorized-keys go together");
        return NULL;
    }
    if (cfg->curve_secret && !zmq_has("curve")) {
        snprintf(err, errlen,
                 "--curve-secret: this libzmq has no CURVE support (built without "
                 "libsodium); install a libzmq with CURVE");
        return NULL;
    }
    if (!cfg->curve_secret && !cfg->insecure && !server_endpoint_is_local(cfg->endpoint)) {
        snprintf(err, errlen,
                 "--endpoint %s is reachable from other hosts and no --curve-secret / "
                 "--authorized-keys were given: anyone could create experiments and write "
                 "events. Give keys (liftctl keygen), bind a loopback endpoint, or pass "
                 "--insecure",
                 cfg->endpoint);
        return NULL;
    }
    server_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->cfg = *cfg;
    self->arena = arena_new(UNPACK_ARENA_MAX);
    self->alloc = arena_allocator(self->arena);
    self->batch = calloc(SERVER_MAX_BATCH, sizeof *self->batch);
    self->peers = peers_new(peer_send, self);
    if (!self->arena || !self->batch || !self->peers) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    handlers_config_t hcfg = {.store = cfg->store,
                              .currency = cfg->currency,
                              .clock_skew_ms = cfg->clock_skew_ms,
                              .max_store_bytes = cfg->max_store_bytes,
                              .log_level = cfg->log_level};
    self->handlers = handlers_open(&hcfg, err, errlen);
    if (!self->handlers)
        goto fail;
    self->ctx = zmq_ctx_new();
    if (!self->ctx) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    self->worker = worker_new(self->ctx, cfg->store, cfg->currency, cfg->log_level, err, errlen);
    if (!self->worker)
        goto fail;
    self->router = zmq_socket(self->ctx, ZMQ_ROUTER);
    if (!self->router) {
        snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    int one = 1, linger = 1000, hwm = SERVER_HWM, sndhwm = SERVER_SNDHWM;
    int64_t maxmsg = LIFT_MAX_REQUEST_BYTES;
    if (zmq_setsockopt(self->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) < 0 ||
        zmq_setsockopt(self->router, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
        zmq_setsockopt(self->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) < 0 ||
        zmq_setsockopt(self->router, ZMQ_RCVHWM, &hwm, sizeof hwm) < 0 ||
        zmq_setsockopt(self->router, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm) < 0) {
        snprintf(err, errlen, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    /* IPv6 on: tcp://[::1]:P (and localhost's IPv6 address) can be bound; IPv4 still works. */
    if (zmq_setsockopt(self->router, ZMQ_IPV6, &one, sizeof one) < 0) {
        snprintf(err, errlen, "zmq_setsockopt: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (cfg->curve_secret && setup_curve(self, cfg, err, errlen) < 0)
        goto fail;
    if (bind_endpoint(self, cfg->endpoint, err, errlen) < 0)
        goto fail;
    char described[600];
    handlers_describe(self->handlers, described, sizeof described);
    log_emit(cfg->log_level, LOG_LEVEL_INFO, "listening",
             "endpoint=%s %s currency=%s security=%s authorized_keys=%zu", cfg->endpoint, described,
             cfg->currency, self->auth ? "curve" : "none",
             self->auth ? auth_key_count(self->auth) : 0);
    if (!self->auth && server_endpoint_is_local(cfg->endpoint))
        log_emit(cfg->log_level, LOG_LEVEL_INFO, "unauthenticated",
                 "endpoint=%s detail=\"no --curve-secret: connections are neither encrypted nor "
                 "authenticated; every client on this host may do everything\"",
                 cfg->endpoint);
    else if (!self->auth)
        log_emit(cfg->log_level, LOG_LEVEL_WARN, "INSECURE",
                 "endpoint=%s detail=\"--insecure: no encryption and no authentication on an "
                 "endpoint other hosts can reach; anyone who can connect may create, stop and "
                 "ramp experiments and write events\"",
                 cfg->endpoint);
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
    worker_destroy(&self->worker);
    peers_destroy(&self->peers);
    if (self->router)
        zmq_close(self->router);
    auth_destroy(&self->auth); /* after the ROUTER: a CURVE socket never outlives its handler */
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    handlers_destroy(&self->handlers);
    if (self->batch)
        for (int i = 0; i < SERVER_MAX_BATCH; i++)
            free(self->batch[i].out.bytes);
    free(self->batch);
    arena_destroy(&self->arena);
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

static void send_reply(server_t *self, pending_t *p);

/* Hand a Report request to the report thread as the handlers prepared it; or fill p with the
 * error reply. */
static void submit_report(server_t *self, pending_t *p, const Lift__Request *req)
{
    worker_job_t *job;
    if (!handlers_report_job(self->handlers, req, &job, &p->out))
        return;
    memcpy(job->rid, p->rid, p->rid_len);
    job->rid_len = p->rid_len;
    job->delimiter = p->delimiter;
    if (worker_submit(self->worker, job) < 0) {
        worker_job_free(&job);
        char msg[128];
        snprintf(msg, sizeof msg, "%d reports are already queued or running; retry later",
                 WORKER_MAX_PENDING);
        handlers_error_reply(p->request_id, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, msg, &p->out);
    }
}

/* Send the replies of finished reports. */
static void reports_done(server_t *self)
{
    worker_job_t *job;
    while ((job = worker_take(self->worker)) != NULL) {
        pending_t p;
        memset(&p, 0, sizeof p);
        memcpy(p.rid, job->rid, job->rid_len);
        p.rid_len = job->rid_len;
        p.delimiter = job->delimiter;
        p.out.bytes = job->reply;
        p.out.len = job->reply_len;
        job->reply = NULL;
        send_reply(self, &p);
        worker_job_free(&job);
    }
}

/* A request as it came off the wire: decoded, or why not. */
typedef struct {
    Lift__Request *req;  /* decoded (into the arena or self->fast); NULL when refused */
    const char *why;     /* why req is NULL (points into msg or at a literal) */
    char msg[320];       /* room for why */
    int has_nul;         /* a string field holds a NUL byte (wire_check_strings) */
    char nul_field[128]; /* its path */
    char nul_msg[256];   /* and the message naming it */
    auth_role_t role;    /* the connection's role (the ZAP handler's User-Id) */
} decoded_t;

/* Receive the routing id frame into p. Returns 1 (with *more: a body follows), 0 when nothing
 * was waiting, -1 on a socket error. */
static int recv_envelope(server_t *self, pending_t *p, int *more)
{
    zmq_msg_t id;
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
    *more = zmq_msg_more(&id); /* the frame knows: no getsockopt per frame */
    zmq_msg_close(&id);
    return 1;
}

/* Decode one body frame into d (fastwire for a single Assign, protobuf-c for the rest); p gets
 * the request_id that undecodable bytes still hold. */
static void decode_body(server_t *self, pending_t *p, zmq_msg_t *body, decoded_t *d)
{
    const uint8_t *data = zmq_msg_data(body);
    size_t len = zmq_msg_size(body);
    if (fastwire_decode_assign(data, len, &self->fast)) {
        d->req = &self->fast.req; /* a single Assign in the common shape, strings checked */
        return;
    }
    d->req = lift__request__unpack(&self->alloc, len, data);
    if (!d->req) {
        /* Echo what can still be read: the request_id before the damage. */
        wire_request_id(data, len, &p->request_id);
        snprintf(d->msg, sizeof d->msg,
                 "undecodable request: %zu bytes are not a lift.Request protobuf", len);
        d->why = d->msg;
    } else if (wire_check_strings(&lift__request__descriptor, data, len, d->nul_field,
                                  sizeof d->nul_field, d->nul_msg, sizeof d->nul_msg) < 0) {
        d->has_nul = 1;
    }
}

/* Receive the rest of p's message (an empty delimiter first for REQ, then one body frame),
 * decode it into d and read the connection's role. */
static void recv_request(server_t *self, pending_t *p, int more, decoded_t *d)
{
    zmq_msg_t body;
    zmq_msg_init(&body);
    if (!more) {
        d->why = "empty message: expected one lift.Request frame";
    } else if (zmq_msg_recv(&body, self->router, 0) < 0) {
        d->why = "cannot receive the request frame";
    } else {
        if (zmq_msg_size(&body) == 0 && zmq_msg_more(&body)) {
            /* REQ envelope: empty delimiter, then the body. */
            p->delimiter = 1;
            zmq_msg_close(&body);
            zmq_msg_init(&body);
            if (zmq_msg_recv(&body, self->router, 0) < 0)
                d->why = "cannot receive the request frame";
        }
        if (!d->why && zmq_msg_more(&body)) {
            d->why = "expected exactly one lift.Request frame, got more";
            drain_frames(self->router);
        } else if (!d->why && zmq_msg_size(&body) == 0) {
            d->why = "empty request frame: expected a lift.Request";
        } else if (!d->why) {
            decode_body(self, p, &body, d);
        }
    }
    /* The connection's role, as the ZAP handler set it at the handshake. */
    d->role = AUTH_ROLE_ADMIN; /* no CURVE: loopback only, every local client */
    if (self->auth) {
        const char *uid = d->req ? zmq_msg_gets(&body, "User-Id") : NULL;
        if (!uid || auth_role_parse(uid, &d->role) < 0)
            d->role = AUTH_ROLE_NONE;
    }
    zmq_msg_close(&body);
    if (d->why)
        log_emit(self->cfg.log_level, LOG_LEVEL_DEBUG, "bad_request", "reason=\"%s\"", d->why);
    if (d->req)
        p->request_id = d->req->request_id;
}

/* The refusals the transport makes before any handler runs: the connection's in-flight bound,
 * the role's permissions, a NUL byte in a string, bytes that are not a Request. Returns 1 with
 * p->out holding the refusal, else 0. Every request taken gets exactly one reply; past the
 * connection's bound that reply is a refusal, sent (or queued) like any other — never dropped. */
static int refuse(server_t *self, pending_t *p, const decoded_t *d)
{
    char msg[320];
    int admit = 1;
    p->peer = peers_take(self->peers, p->rid, p->rid_len, LIFT_MAX_IN_FLIGHT, &admit);
    if (!admit) {
        snprintf(msg, sizeof msg,
                 "this connection has %u requests in flight, the limit is %d "
                 "(Pong.limits.in_flight_per_connection): read replies before sending more, "
                 "then resend this request",
                 (unsigned)peers_held(p->peer) - 1, LIFT_MAX_IN_FLIGHT);
        handlers_error_reply(p->request_id, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, msg, &p->out);
        if (self->refused_in_flight++ % 1000 == 0)
            log_emit(self->cfg.log_level, LOG_LEVEL_WARN, "in_flight_limit",
                     "limit=%d refused_total=%llu", LIFT_MAX_IN_FLIGHT,
                     (unsigned long long)self->refused_in_flight);
        return 1;
    }
    if (d->req && !auth_role_allows(d->role, (int)d->req->body_case)) {
        const char *what = auth_request_name((int)d->req->body_case);
        snprintf(msg, sizeof msg, "role %s may not send %s (it may send: %s)",
                 auth_role_name(d->role), what, auth_role_allowed_list(d->role));
        handlers_error_reply(p->request_id, LIFT__CODE__PERMISSION_DENIED, NULL, msg, &p->out);
        self->denied++;
        log_emit(self->cfg.log_level, LOG_LEVEL_INFO, "permission_denied", "role=%s request=%s",
                 auth_role_name(d->role), what);
        return 1;
    }
    if (d->has_nul) {
        handlers_error_reply(p->request_id, LIFT__CODE__INVALID_ARGUMENT, d->nul_field, d->nul_msg,
                             &p->out);
        return 1;
    }
    if (!d->req) { /* not a Request: answered with the request_id its bytes still held */
        handlers_error_reply(p->request_id, LIFT__CODE__INVALID_ARGUMENT, NULL, d->why, &p->out);
        return 1;
    }
    return 0;
}

/* Receive one message into slot p and handle it. Returns 1 when a request was taken, 0 when
 * nothing was waiting, -1 on a socket error. */
static int take_one(server_t *self, pending_t *p, int64_t now)
{
    int more = 0;
    int rc = recv_envelope(self, p, &more);
    if (rc <= 0)
        return rc;
    decoded_t d;
    d.req = NULL;
    d.why = NULL;
    d.has_nul = 0;
    recv_request(self, p, more, &d);
    if (refuse(self, p, &d))
        ; /* answered */
    else if (d.req->body_case == LIFT__REQUEST__BODY_REPORT)
        submit_report(self, p, d.req); /* answered later by the report thread */
    else
        handlers_handle(self->handlers, d.req, NULL, now, &p->out);
    arena_reset(self->arena);
    return 1;
}

/* peers_send_fn: one reply on the ROUTER. */
static int peer_send(void *arg, const uint8_t *rid, size_t rid_len, int flags, const uint8_t *bytes,
                     size_t len)
{
    server_t *self = arg;
    int dw = (flags & PEERS_BLOCK) ? 0 : ZMQ_DONTWAIT;
    int rc = zmq_send(self->router, rid, rid_len, ZMQ_SNDMORE | dw);
    if (rc >= 0 && (flags & PEERS_DELIMITER))
        rc = zmq_send(self->router, "", 0, ZMQ_SNDMORE | dw);
    if (rc >= 0)
        rc = zmq_send(self->router, bytes, len, dw);
    if (rc >= 0)
        return 0;
    /* EAGAIN: the connection has SERVER_SNDHWM replies unread; keep this one for later. ROUTER
     * refuses a message at its first frame, so nothing was half sent. */
    return zmq_errno() == EAGAIN ? 1 : -1;
}

/* Hand p's reply to its connection: sent now or queued until the connection takes it (peers.h).
 * Only a connection that is gone loses its reply. */
static void send_reply(server_t *self, pending_t *p)
{
    if (p->handed) /* a read answered before the commit: already on its way */
        return;
    p->handed = 1;
    int gone = peers_reply(self->peers, p->peer, p->rid, p->rid_len,
                           p->delimiter ? PEERS_DELIMITER : 0, p->out.bytes, p->out.len);
    p->out.bytes = NULL;
    if (gone && self->replies_dropped++ % 1000 == 0)
        log_emit(self->cfg.log_level, LOG_LEVEL_DEBUG, "reply_undeliverable",
                 "reason=\"the connection is gone\" undeliverable_total=%llu",
                 (unsigned long long)self->replies_dropped);
}

/* After a batch whose writes are gone (err says why): every reply still held either
 * acknowledges a write that is gone or shows state the rollback undid (a read after a write of
 * this batch): neither may leave as OK. */
static void void_replies(server_t *self, int n, const char *err)
{
    char msg[320];
    snprintf(msg, sizeof msg, "not stored, retry: %.280s", err);
    for (int i = 0; i < n; i++) {
        pending_t *p = &self->batch[i];
        if (!p->out.bytes || (!p->out.wrote && p->out.failed))
            continue;
        free(p->out.bytes);
        handlers_error_reply(p->request_id, LIFT__CODE__UNAVAILABLE, NULL, msg, &p->out);
    }
}

/* Drain up to SERVER_MAX_BATCH waiting requests, handle them in one transaction, commit,
 * then reply. Returns the number of requests served, or -1 on a socket error. */
static int serve_batch(server_t *self)
{
    char err[256];
    int64_t now = now_ms();
    int n = 0, writes = 0, rc = 0;
    size_t held = 0; /* reply bytes waiting for the commit */
    /* Without a transaction every request still gets an answer: UNAVAILABLE (handlers.h). */
    if (handlers_batch_begin(self->handlers, err, sizeof err) < 0)
        log_emit(self->cfg.log_level, LOG_LEVEL_ERROR, "store_begin_failed", "reason=\"%s\"", err);
    /* Bounded in requests and in the reply bytes held until the commit (an AssignBatch reply
     * may be tens of MB): past either bound the batch commits and the rest waits in the
     * peers' queues (SERVER_HWM each, then TCP back-pressure), never dropped. Replies waiting
     * for slow connections are bounded in bytes too: past the bound no request is read
     * (back-pressure through libzmq's queues and TCP) until they drain. */
    while (n < SERVER_MAX_BATCH && held < SERVER_BATCH_BYTES &&
           !handlers_batch_broken(self->handlers) &&
           peers_queued_bytes(self->peers) < SERVER_QUEUED_BYTES) {
        rc = take_one(self, &self->batch[n], now);
        if (rc <= 0)
            break;
        writes += self->batch[n].out.wrote;
        /* A read that saw no uncommitted write of this batch need not wait for the commit. */
        if (writes == 0)
            send_reply(self, &self->batch[n]);
        else
            held += self->batch[n].out.len;
        n++;
    }
    if (handlers_batch_end(self->handlers, err, sizeof err) < 0) {
        log_emit(self->cfg.log_level, LOG_LEVEL_ERROR, "commit_failed",
                 "requests=%d writes=%d reason=\"%s\"", n, writes, err);
        void_replies(self, n, err);
    }
    for (int i = 0; i < n; i++)
        send_reply(self, &self->batch[i]);
    if (n > 0) {
        self->batches++;
        self->requests += (uint64_t)n;
        log_emit(self->cfg.log_level, LOG_LEVEL_DEBUG, "batch", "requests=%d writes=%d", n, writes);
    }
    return rc < 0 ? -1 : n;
}

/* SIGHUP: re-read the authorized-keys file; a bad file keeps the old list. */
static void reload_keys(server_t *self)
{
    char err[512];
    if (!self->auth) {
        log_emit(self->cfg.log_level, LOG_LEVEL_WARN, "reload_ignored",
                 "detail=\"SIGHUP: no --authorized-keys to reload\"");
        return;
    }
    if (auth_reload(self->auth, err, sizeof err) < 0)
        log_emit(self->cfg.log_level, LOG_LEVEL_ERROR, "authorized_keys_reload_failed",
                 "reason=\"%s\" keys=%zu detail=\"the previous list stays in force\"", err,
                 auth_key_count(self->auth));
    else
        log_emit(self->cfg.log_level, LOG_LEVEL_INFO, "authorized_keys_reloaded",
                 "file=%s keys=%zu detail=\"applies to new connections\"",
                 self->cfg.authorized_keys, auth_key_count(self->auth));
}

int server_run(server_t *self, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
    zmq_pollitem_t items[] = {{self->router, 0, ZMQ_POLLIN, 0},
                              {worker_socket(self->worker), 0, ZMQ_POLLIN, 0}};
    while (!*stop) {
        if (reload && *reload) {
            *reload = 0;
            reload_keys(self);
        }
        peers_flush(self->peers);
        /* Replies wait for slow connections: look again soon (ROUTER's POLLOUT is no help: it
         * does not say which connection has room). Past SERVER_QUEUED_BYTES of them no request
         * is read: only the report thread is watched until they drain. */
        int full = peers_queued_bytes(self->peers) >= SERVER_QUEUED_BYTES;
        items[0].revents = items[1].revents = 0;
        int rc =
            zmq_poll(full ? items + 1 : items, full ? 1 : 2, peers_queued(self->peers) ? 2 : 250);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            log_emit(self->cfg.log_level, LOG_LEVEL_ERROR, "poll_failed", "reason=\"%s\"",
                     zmq_strerror(zmq_errno()));
            return -1;
        }
        if (items[1].revents & ZMQ_POLLIN)
            reports_done(self);
        if (rc == 0 || !(items[0].revents & ZMQ_POLLIN))
            continue;
        if (serve_batch(self) < 0 && zmq_errno() != EINTR) {
            log_emit(self->cfg.log_level, LOG_LEVEL_ERROR, "recv_failed", "reason=\"%s\"",
                     zmq_strerror(zmq_errno()));
            return -1;
        }
    }
    log_emit(self->cfg.log_level, LOG_LEVEL_INFO, "stopping",
             "batches=%llu requests=%llu denied=%llu", (unsigned long long)self->batches,
             (unsigned long long)self->requests, (unsigned long long)self->denied);
    return 0;
}
