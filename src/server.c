/* server: ZeroMQ ROUTER (CURVE + ZAP roles, or loopback only), envelopes (REQ with an empty
 * delimiter, DEALER without), batching and group commit. A reply to a write leaves only after
 * the transaction holding it commits. */
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
#include "ingest.h"
#include "lift.pb-c.h"
#include "lift/currency.h"
#include "peers.h"
#include "registry.h"
#include "store.h"
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
    handler_out_t out;           /* packed reply and write flags */
    int handed;                  /* the reply went to peers_reply (sent or queued) */
} pending_t;

/* Requests are decoded into a bump arena: protobuf-c would otherwise make one malloc per
 * message and string (thousands for a batch of events), and free each again. The arena is
 * reset after every request and keeps one chunk as large as the largest request seen (up to
 * this bound). */
#define UNPACK_ARENA_MAX (32u * 1024 * 1024) /* largest chunk kept between requests */

struct server {
    server_config_t cfg;    /* copy of the configuration */
    store_t *store;         /* the durable store */
    registry_t *registry;   /* experiment cache */
    ingest_t *ingest;       /* event validation */
    worker_t *worker;       /* report thread */
    handlers_t *handlers;   /* request dispatch */
    void *ctx;              /* ZeroMQ context */
    void *router;           /* the bound ROUTER socket */
    auth_t *auth;           /* ZAP handler and key list; NULL = no CURVE (loopback only) */
    pending_t *batch;       /* SERVER_MAX_BATCH slots */
    uint64_t batches;       /* batches served, for the stop log line */
    uint64_t requests;      /* requests served */
    arena_t *arena;         /* where requests are decoded */
    ProtobufCAllocator alloc; /* protobuf-c's view of arena */
    uint64_t replies_dropped; /* replies to connections that were gone */
    peers_t *peers;         /* replies held per connection, and those waiting for room */
    uint64_t refused_in_flight; /* requests refused: their connection held LIFT_MAX_IN_FLIGHT */
    uint64_t denied;        /* requests refused with PERMISSION_DENIED */
    char broken[300];       /* why the batch's transaction must be rolled back; "" = it need not */
    fastwire_assign_t fast; /* the current request when fastwire decoded it */
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
            log_emit(self->cfg.log_level, LOG_DEBUG, "ipv6_loopback_unavailable",
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
        log_emit(cfg->log_level, LOG_DEBUG, "zap_enforce_domain_unavailable",
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
        snprintf(err, errlen, "--curve-secret: this libzmq has no CURVE support (built without "
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
    self->store = store_open(cfg->store, err, errlen);
    if (!self->store)
        goto fail;
    if (cfg->max_store_bytes > 0) {
        int64_t used = 0, quota = 0;
        if (store_set_max_bytes(self->store, cfg->max_store_bytes, &used, &quota, err, errlen) < 0)
            goto fail;
        log_emit(cfg->log_level, used >= quota ? LOG_WARN : LOG_INFO, "store_quota",
                 "max_bytes=%lld used_bytes=%lld%s", (long long)quota, (long long)used,
                 used >= quota ? " detail=\"store is at its quota: writes fail with UNAVAILABLE "
                                 "until it is raised\""
                               : "");
    }
    self->registry = registry_new(self->store, err, errlen);
    if (!self->registry)
        goto fail;
    char stored[16];
    int have = store_meta_get(self->store, "currency", stored, sizeof stored);
    char why[200];
    if (lift_currency_check(cfg->currency, why, sizeof why) < 0) {
        snprintf(err, errlen, "--currency: %s", why);
        goto fail;
    }
    if (have < 0 || (have == 0 && store_meta_set(self->store, "currency", cfg->currency) < 0)) {
        snprintf(err, errlen, "cannot read or record the currency: %s",
                 store_errmsg(self->store));
        goto fail;
    }
    if (have == 1 && strcmp(stored, cfg->currency) != 0) {
        snprintf(err, errlen,
                 "--currency %s: the store %s holds %s amounts; mixing currencies would make "
                 "revenue meaningless (start with --currency %s)",
                 cfg->currency, store_uri(self->store), stored, stored);
        goto fail;
    }
    ingest_config_t icfg = {.currency = cfg->currency, .clock_skew_ms = cfg->clock_skew_ms};
    self->ingest = ingest_new(self->store, self->registry, &icfg, err, errlen);
    if (!self->ingest)
        goto fail;
    self->handlers = handlers_new(self->store, self->registry, self->ingest, cfg->log_level);
    self->ctx = zmq_ctx_new();
    if (!self->handlers || !self->ctx) {
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
    int64_t maxmsg = SERVER_MAX_MSG;
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
    log_emit(cfg->log_level, LOG_INFO, "listening",
             "endpoint=%s store=%s backend=%s schema=%d experiments=%d events=%lld currency=%s "
             "security=%s authorized_keys=%zu",
             cfg->endpoint, store_uri(self->store), store_backend(self->store),
             store_schema_version(self->store), registry_count(self->registry),
             (long long)store_event_count(self->store), cfg->currency,
             self->auth ? "curve" : "none", self->auth ? auth_key_count(self->auth) : 0);
    if (!self->auth && server_endpoint_is_local(cfg->endpoint))
        log_emit(cfg->log_level, LOG_INFO, "unauthenticated",
                 "endpoint=%s detail=\"no --curve-secret: connections are neither encrypted nor "
                 "authenticated; every client on this host may do everything\"",
                 cfg->endpoint);
    else if (!self->auth)
        log_emit(cfg->log_level, LOG_WARN, "INSECURE",
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
    ingest_destroy(&self->ingest);
    registry_destroy(&self->registry);
    store_destroy(&self->store);
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

/* Hand a Report request to the report thread with a copy of the experiment as it is now; on
 * failure fill p with the error reply. The job gets its own copy of the request body. */
static void submit_report(server_t *self, pending_t *p, Lift__Request *req)
{
    const char *key = req->report->experiment_key;
    const char *hkey = req->report->holdout_key;
    int program = hkey && *hkey; /* the program report of a holdout (holdout_report.h) */
    const registry_entry_t *e = program ? NULL : registry_find(self->registry, key);
    char msg[320];
    if (program && key && *key) {
        handlers_error_reply(p->request_id, LIFT__CODE__INVALID_ARGUMENT, "report.holdout_key",
                             "report.experiment_key and report.holdout_key are both set; a "
                             "report is of an experiment or of a holdout", &p->out);
        return;
    }
    if (!e && !program) {
        snprintf(msg, sizeof msg, "no experiment with key %.64s", key && *key ? key : "(empty)");
        handlers_error_reply(p->request_id, LIFT__CODE__NOT_FOUND, "report.experiment_key", msg,
                             &p->out);
        return;
    }
    worker_job_t *job = calloc(1, sizeof *job);
    if (!job)
        goto nomem;
    memcpy(job->rid, p->rid, p->rid_len);
    job->rid_len = p->rid_len;
    job->delimiter = p->delimiter;
    job->request_id = p->request_id;
    if (program)
        goto request; /* the worker reads the holdout in its own snapshot */
    job->experiment_id = e->id;
    Lift__Experiment view = *e->def;
    view.checksum = (char *)e->checksum;
    int64_t n = store_exposure_count(self->store, e->id);
    view.has_exposures = n >= 0;
    view.exposures = n >= 0 ? (uint64_t)n : 0;
    job->experiment_len = lift__experiment__get_packed_size(&view);
    job->experiment = malloc(job->experiment_len ? job->experiment_len : 1);
    if (!job->experiment)
        goto nomem;
    lift__experiment__pack(&view, job->experiment);
request:;
    /* The request lives in the decode arena: the job gets its own copy. */
    size_t rlen = lift__report_request__get_packed_size(req->report);
    uint8_t *rbuf = malloc(rlen ? rlen : 1);
    if (!rbuf)
        goto nomem;
    lift__report_request__pack(req->report, rbuf);
    job->req = lift__report_request__unpack(NULL, rlen, rbuf);
    free(rbuf);
    if (!job->req)
        goto nomem;
    if (worker_submit(self->worker, job) < 0) {
        worker_job_free(job);
        snprintf(msg, sizeof msg, "%d reports are already queued or running; retry later",
                 WORKER_MAX_PENDING);
        handlers_error_reply(p->request_id, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, msg, &p->out);
    }
    return;
nomem:
    worker_job_free(job);
    handlers_error_reply(p->request_id, LIFT__CODE__INTERNAL, NULL,
                         "out of memory queueing the report", &p->out);
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
        worker_job_free(job);
    }
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
    int more = zmq_msg_more(&id); /* the frame knows: no getsockopt per frame */
    zmq_msg_close(&id);

    const char *why = NULL;
    Lift__Request *req = NULL;
    char msg[320];
    char nul_field[128], nul_msg[256]; /* a string field with a NUL byte (wire_check_strings) */
    int has_nul = 0;
    zmq_msg_init(&body);
    if (!more) {
        why = "empty message: expected one lift.Request frame";
    } else if (zmq_msg_recv(&body, self->router, 0) < 0) {
        why = "cannot receive the request frame";
    } else {
        if (zmq_msg_size(&body) == 0 && zmq_msg_more(&body)) {
            /* REQ envelope: empty delimiter, then the body. */
            p->delimiter = 1;
            zmq_msg_close(&body);
            zmq_msg_init(&body);
            if (zmq_msg_recv(&body, self->router, 0) < 0)
                why = "cannot receive the request frame";
        }
        if (!why && zmq_msg_more(&body)) {
            why = "expected exactly one lift.Request frame, got more";
            drain_frames(self->router);
        } else if (!why && zmq_msg_size(&body) == 0) {
            why = "empty request frame: expected a lift.Request";
        } else if (!why && fastwire_decode_assign(zmq_msg_data(&body), zmq_msg_size(&body),
                                                  &self->fast)) {
            req = &self->fast.req; /* a single Assign in the common shape, strings checked */
        } else if (!why) {
            req = lift__request__unpack(&self->alloc, zmq_msg_size(&body), zmq_msg_data(&body));
            if (!req) {
                /* Echo what can still be read: the request_id before the damage. */
                wire_request_id(zmq_msg_data(&body), zmq_msg_size(&body), &p->request_id);
                snprintf(msg, sizeof msg,
                         "undecodable request: %zu bytes are not a lift.Request protobuf",
                         zmq_msg_size(&body));
                why = msg;
            } else if (wire_check_strings(&lift__request__descriptor, zmq_msg_data(&body),
                                          zmq_msg_size(&body), nul_field, sizeof nul_field,
                                          nul_msg, sizeof nul_msg) < 0) {
                has_nul = 1;
            }
        }
    }
    /* The connection's role, as the ZAP handler set it at the handshake. */
    auth_role_t role = AUTH_ROLE_ADMIN; /* no CURVE: loopback only, every local client */
    if (self->auth) {
        const char *uid = req ? zmq_msg_gets(&body, "User-Id") : NULL;
        if (!uid || auth_role_parse(uid, &role) < 0)
            role = AUTH_ROLE_NONE;
    }
    zmq_msg_close(&body);
    if (why)
        log_emit(self->cfg.log_level, LOG_DEBUG, "bad_request", "reason=\"%s\"", why);

    if (req)
        p->request_id = req->request_id;
    /* Every request taken gets exactly one reply; past the connection's bound that reply is a
     * refusal, sent (or queued) like any other — never dropped. */
    int admit = peers_take(self->peers, p->rid, p->rid_len, LIFT_MAX_IN_FLIGHT);
    if (admit == 0) {
        snprintf(msg, sizeof msg,
                 "this connection has %u requests in flight, the limit is %d "
                 "(Pong.limits.in_flight_per_connection): read replies before sending more, "
                 "then resend this request",
                 (unsigned)peers_held(self->peers, p->rid, p->rid_len) - 1, LIFT_MAX_IN_FLIGHT);
        handlers_error_reply(p->request_id, LIFT__CODE__RESOURCE_EXHAUSTED, NULL, msg, &p->out);
        if (self->refused_in_flight++ % 1000 == 0)
            log_emit(self->cfg.log_level, LOG_WARN, "in_flight_limit",
                     "limit=%d refused_total=%llu", LIFT_MAX_IN_FLIGHT,
                     (unsigned long long)self->refused_in_flight);
        arena_reset(self->arena);
        return 1;
    }
    if (req && !auth_role_allows(role, (int)req->body_case)) {
        const char *what = auth_request_name((int)req->body_case);
        snprintf(msg, sizeof msg, "role %s may not send %s (it may send: %s)",
                 auth_role_name(role), what, auth_role_allowed_list(role));
        handlers_error_reply(p->request_id, LIFT__CODE__PERMISSION_DENIED, NULL, msg, &p->out);
        self->denied++;
        log_emit(self->cfg.log_level, LOG_INFO, "permission_denied", "role=%s request=%s",
                 auth_role_name(role), what);
        arena_reset(self->arena);
        return 1;
    }
    if (has_nul) {
        handlers_error_reply(p->request_id, LIFT__CODE__INVALID_ARGUMENT, nul_field, nul_msg,
                             &p->out);
        arena_reset(self->arena);
        return 1;
    }
    if (!req) { /* not a Request: answered with the request_id its bytes still held */
        handlers_error_reply(p->request_id, LIFT__CODE__INVALID_ARGUMENT, NULL, why, &p->out);
        arena_reset(self->arena);
        return 1;
    }
    if (req && req->body_case == LIFT__REQUEST__BODY_REPORT &&
        req->report->n_segment_by > SERVER_MAX_SEGMENT_BY) {
        snprintf(msg, sizeof msg,
                 "report.segment_by: %zu dimensions, at most %d (trigger, stage, channel, delay)",
                 req->report->n_segment_by, SERVER_MAX_SEGMENT_BY);
        handlers_error_reply(p->request_id, LIFT__CODE__INVALID_ARGUMENT, "report.segment_by",
                             msg, &p->out);
        arena_reset(self->arena);
        return 1;
    }
    if (req && req->body_case == LIFT__REQUEST__BODY_REPORT) {
        submit_report(self, p, req); /* answered later by the report thread */
        arena_reset(self->arena);
        return 1;
    }
    if (unavailable) {
        snprintf(msg, sizeof msg, "store unavailable, retry: %.280s", unavailable);
        handlers_error_reply(p->request_id, LIFT__CODE__UNAVAILABLE, NULL, msg, &p->out);
    } else {
        store_request_begin(self->store);
        handlers_request_begin(self->handlers);
        if (handlers_handle(self->handlers, req, why, now, &p->out) < 0) {
            free(p->out.bytes);
            memset(&p->out, 0, sizeof p->out);
            handlers_error_reply(p->request_id, LIFT__CODE__INTERNAL, NULL,
                                 "out of memory while handling the request", &p->out);
            p->out.failed = 1;
        }
        if (store_request_end(self->store, !p->out.failed) < 0) {
            /* The request could be neither kept nor undone alone: the batch's transaction is
             * rolled back as a whole at its end (store.h), and no further request joins it. */
            snprintf(self->broken, sizeof self->broken, "%.280s", store_errmsg(self->store));
            if (!p->out.failed) {
                free(p->out.bytes);
                snprintf(msg, sizeof msg, "store unavailable, retry: %.280s", self->broken);
                handlers_error_reply(p->request_id, LIFT__CODE__UNAVAILABLE, NULL, msg, &p->out);
                p->out.wrote = 0;
                p->out.failed = 1;
            }
        }
        handlers_request_end(self->handlers, !p->out.failed);
    }
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
    int gone = peers_reply(self->peers, p->rid, p->rid_len, p->delimiter ? PEERS_DELIMITER : 0,
                           p->out.bytes, p->out.len);
    p->out.bytes = NULL;
    if (gone && self->replies_dropped++ % 1000 == 0)
        log_emit(self->cfg.log_level, LOG_DEBUG, "reply_undeliverable",
                 "reason=\"the connection is gone\" undeliverable_total=%llu",
                 (unsigned long long)self->replies_dropped);
}

/* Drain up to SERVER_MAX_BATCH waiting requests, handle them in one transaction, commit,
 * then reply. Returns the number of requests served, or -1 on a socket error. */
static int serve_batch(server_t *self)
{
    char err[256];
    int64_t now = now_ms();
    int n = 0, writes = 0, rc = 0;
    size_t held = 0; /* reply bytes waiting for the commit */
    int began = store_begin(self->store, err, sizeof err) == 0;
    if (!began)
        log_emit(self->cfg.log_level, LOG_ERROR, "store_begin_failed", "reason=\"%s\"", err);
    /* Other instances share the store: take their experiment changes (a pause, a ramp) before
     * deciding anything — one cheap generation poll when nothing changed. An exposure is
     * recorded only at the generation the cache holds, so a change missed here still stops
     * one (STORE_STALE) rather than letting it through. */
    if (began && store_shared(self->store)) {
        char rerr[320];
        if (registry_refresh(self->registry, rerr, sizeof rerr) < 0)
            log_emit(self->cfg.log_level, LOG_WARN, "registry_refresh_failed", "reason=\"%s\"",
                     rerr);
    }
    /* Bounded in requests and in the reply bytes held until the commit (an AssignBatch reply
     * may be tens of MB): past either bound the batch commits and the rest waits in the
     * peers' queues (SERVER_HWM each, then TCP back-pressure), never dropped. */
    self->broken[0] = '\0';
    /* Replies waiting for slow connections are bounded in bytes too: past the bound no request
     * is read (back-pressure through libzmq's queues and TCP) until they drain. */
    while (n < SERVER_MAX_BATCH && held < SERVER_BATCH_BYTES && !self->broken[0] &&
           peers_queued_bytes(self->peers) < SERVER_QUEUED_BYTES) {
        /* Without a transaction every request still gets an answer: UNAVAILABLE. */
        rc = take_one(self, &self->batch[n], now, began ? NULL : err);
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
    int committed = 0;
    if (began && self->broken[0]) {
        store_rollback(self->store);
        snprintf(err, sizeof err, "a request could not be undone alone: %.200s", self->broken);
    } else {
        committed = began && store_commit(self->store, err, sizeof err) == 0;
    }
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
        /* Every reply still held either acknowledges a write that is gone or shows state the
         * rollback undid (a read after a write of this batch): neither may leave as OK. */
        for (int i = 0; i < n; i++) {
            pending_t *p = &self->batch[i];
            if (!p->out.bytes || (!p->out.wrote && p->out.failed))
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

/* SIGHUP: re-read the authorized-keys file; a bad file keeps the old list. */
static void reload_keys(server_t *self)
{
    char err[512];
    if (!self->auth) {
        log_emit(self->cfg.log_level, LOG_WARN, "reload_ignored",
                 "detail=\"SIGHUP: no --authorized-keys to reload\"");
        return;
    }
    if (auth_reload(self->auth, err, sizeof err) < 0)
        log_emit(self->cfg.log_level, LOG_ERROR, "authorized_keys_reload_failed",
                 "reason=\"%s\" keys=%zu detail=\"the previous list stays in force\"", err,
                 auth_key_count(self->auth));
    else
        log_emit(self->cfg.log_level, LOG_INFO, "authorized_keys_reloaded",
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
        int rc = zmq_poll(full ? items + 1 : items, full ? 1 : 2,
                          peers_queued(self->peers) ? 2 : 250);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            log_emit(self->cfg.log_level, LOG_ERROR, "poll_failed", "reason=\"%s\"",
                     zmq_strerror(zmq_errno()));
            return -1;
        }
        if (items[1].revents & ZMQ_POLLIN)
            reports_done(self);
        if (rc == 0 || !(items[0].revents & ZMQ_POLLIN))
            continue;
        if (serve_batch(self) < 0 && zmq_errno() != EINTR) {
            log_emit(self->cfg.log_level, LOG_ERROR, "recv_failed", "reason=\"%s\"",
                     zmq_strerror(zmq_errno()));
            return -1;
        }
    }
    log_emit(self->cfg.log_level, LOG_INFO, "stopping", "batches=%llu requests=%llu denied=%llu",
             (unsigned long long)self->batches, (unsigned long long)self->requests,
             (unsigned long long)self->denied);
    return 0;
}
