/* Lift client library: one DEALER socket per client, one protobuf frame each way, Lazy Pirate
 * retries (on timeout: close the socket, open a fresh one to the next endpoint of the list,
 * resend the same bytes). It does not validate request contents (liftd does) and is not
 * thread-safe per client. */
#include "lift/client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "context.h"

struct lift_client {
    void *ctx;                                  /* ZeroMQ context, owned */
    void *sock;                                 /* DEALER; NULL until needed and after a timeout */
    char *endpoints[LIFT_CLIENT_ENDPOINTS_MAX]; /* owned copies, in the order given */
    size_t n_endpoints; /* entries in endpoints (1..LIFT_CLIENT_ENDPOINTS_MAX) */
    size_t current;     /* index of the endpoint the socket talks to */
    int timeout_ms;     /* per attempt */
    int attempts;       /* sends per request */
    uint64_t next_id;   /* next request_id */
    char err[LIFT_CLIENT_ENDPOINTS_MAX * (LIFT_ENDPOINT_LEN_MAX + 2) + 512]; /* message of the
                                                  last failed call (may list every endpoint) */
    char field[256];    /* Status.field of the last failed call */
    int no_reply;       /* 1: the last call failed with no reply at all (every attempt timed out) */
    int single_attempt; /* 1 while lift_report sends the report itself: exactly `attempts` */
    int curve;          /* 1: every socket is a CURVE client with the keys below */
    char server_key[41]; /* Z85 */
    char public_key[41]; /* Z85 */
    char secret_key[41]; /* Z85; wiped by lift_client_destroy */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static lift_err_t set_err(lift_client_t *self, lift_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static lift_err_t set_err(lift_client_t *self, lift_err_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->err, sizeof self->err, fmt, ap);
    va_end(ap);
    self->field[0] = '\0';
    self->no_reply = 0;
    return code;
}

static void clear_err(lift_client_t *self)
{
    self->err[0] = '\0';
    self->field[0] = '\0';
    self->no_reply = 0;
}

static void close_socket(lift_client_t *self)
{
    if (self->sock) {
        int zero = 0;
        zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(self->sock);
        self->sock = NULL;
    }
}

static int open_socket(lift_client_t *self)
{
    void *s = zmq_socket(self->ctx, ZMQ_DEALER);
    if (s == NULL)
        return -1;
    int zero = 0, one = 1;
    /* A send never blocks longer than one attempt, even with no connected peer. IPv6 on, so
     * tcp://[::1]:P and hosts that resolve to IPv6 addresses connect (IPv4 still does). */
    if (zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(s, ZMQ_IPV6, &one, sizeof one) != 0 ||
        zmq_setsockopt(s, ZMQ_SNDTIMEO, &self->timeout_ms, sizeof self->timeout_ms) != 0 ||
        (self->curve && (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, self->server_key, 41) != 0 ||
                         zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, self->public_key, 41) != 0 ||
                         zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, self->secret_key, 41) != 0)) ||
        zmq_connect(s, self->endpoints[self->current]) != 0) {
        int e = errno;
        zmq_close(s);
        errno = e;
        return -1;
    }
    self->sock = s;
    return 0;
}

/* The endpoint the next request goes to. */
static const char *cur_ep(const lift_client_t *self)
{
    return self->endpoints[self->current];
}

/* An endpoint for a message: at most 80 bytes, control characters as '?'. */
static const char *shown(const char *s, size_t len, char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < cap && i < 80; i++)
        buf[n++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (len > 80 && n + 4 < cap) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Splits the comma-separated list into items[] (owned copies, surrounding blanks trimmed) and
 * checks each: not empty, at most LIFT_ENDPOINT_LEN_MAX bytes, tcp:// or ipc://, no repeats, and
 * accepted by zmq_connect (on a probe socket of ctx). Returns the number of items, or -1 with errno
 * (EINVAL, ENOMEM) and a message naming the item in err; on failure items[] holds nothing. */
static int parse_endpoints(void *ctx, const char *list, char **items, char *err, size_t errlen)
{
    size_t total = 1, n = 0;
    char a[128];
    if (list == NULL || *list == '\0') {
        snprintf(err, errlen, "endpoint: empty (e.g. %s, or several: tcp://a:5555,tcp://b:5555)",
                 LIFT_DEFAULT_ENDPOINT);
        errno = EINVAL;
        return -1;
    }
    for (const char *p = list; *p; p++)
        total += *p == ',';
    if (total > LIFT_CLIENT_ENDPOINTS_MAX) {
        snprintf(err, errlen, "endpoint list: %zu endpoints, at most %d", total,
                 LIFT_CLIENT_ENDPOINTS_MAX);
        errno = EINVAL;
        return -1;
    }
    void *probe = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    if (probe == NULL || zmq_setsockopt(probe, ZMQ_LINGER, &zero, sizeof zero) != 0) {
        snprintf(err, errlen, "endpoint: cannot make a socket: %s", zmq_strerror(errno));
        goto fail;
    }
    const char *p = list;
    for (size_t i = 1; i <= total; i++) {
        const char *comma = strchr(p, ',');
        const char *e = comma ? comma : p + strlen(p);
        while (p < e && is_blank(*p))
            p++;
        const char *q = e;
        while (q > p && is_blank(q[-1]))
            q--;
        size_t len = (size_t)(q - p);
        char where[48];
        if (total > 1)
            snprintf(where, sizeof where, "endpoint %zu of %zu", i, total);
        else
            snprintf(where, sizeof where, "endpoint");
        if (len == 0) {
            snprintf(err, errlen, "%s is empty (a stray comma in '%s'?)", where,
                     shown(list, strlen(list), a, sizeof a));
            errno = EINVAL;
            goto fail;
        }
        if (len > LIFT_ENDPOINT_LEN_MAX) {
            snprintf(err, errlen, "%s ('%s'): %zu bytes, at most %d", where,
                     shown(p, len, a, sizeof a), len, LIFT_ENDPOINT_LEN_MAX);
            errno = EINVAL;
            goto fail;
        }
        /* inproc:// is left out on purpose: the client's ZeroMQ context is its own, so no
         * server could ever be reached there. */
        if (strncmp(p, "tcp://", 6) != 0 && strncmp(p, "ipc://", 6) != 0) {
            snprintf(err, errlen,
                     "%s ('%s'): not a liftd endpoint (tcp://HOST:PORT or ipc:///PATH)", where,
                     shown(p, len, a, sizeof a));
            errno = EINVAL;
            goto fail;
        }
        if ((items[n] = strndup(p, len)) == NULL) {
            snprintf(err, errlen, "out of memory");
            errno = ENOMEM;
            goto fail;
        }
        for (size_t k = 0; k < n; k++)
            if (strcmp(items[k], items[n]) == 0) {
                snprintf(err, errlen, "%s ('%s') repeats endpoint %zu", where,
                         shown(p, len, a, sizeof a), k + 1);
                n++;
                errno = EINVAL;
                goto fail;
            }
        if (zmq_connect(probe, items[n]) != 0) {
            int en = errno;
            snprintf(err, errlen, "%s ('%s'): %s", where, shown(p, len, a, sizeof a),
                     en == EINVAL || en == EPROTONOSUPPORT
                         ? "malformed (e.g. tcp://127.0.0.1:5555, ipc:///run/lift.sock)"
                         : zmq_strerror(en));
            n++;
            errno = en == EPROTONOSUPPORT ? EINVAL : en;
            goto fail;
        }
        n++;
        p = comma ? comma + 1 : e;
    }
    zmq_close(probe);
    return (int)n;
fail:;
    int en = errno ? errno : EINVAL;
    if (probe)
        zmq_close(probe);
    for (size_t k = 0; k < n; k++) {
        free(items[k]);
        items[k] = NULL;
    }
    errno = en;
    return -1;
}

int lift_endpoints_check(const char *list, char *err, size_t errlen)
{
    char *items[LIFT_CLIENT_ENDPOINTS_MAX] = {0};
    char scratch[8];
    if (err == NULL || errlen == 0) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = '\0';
    void *ctx = zmq_ctx_new();
    if (ctx == NULL) {
        snprintf(err, errlen, "cannot make a ZeroMQ context: %s", zmq_strerror(errno));
        return -1;
    }
    int n = parse_endpoints(ctx, list, items, err, errlen);
    int en = errno;
    for (int i = 0; i < n; i++)
        free(items[i]);
    zmq_ctx_term(ctx);
    errno = en;
    return n;
}

lift_client_t *lift_client_new(const char *endpoint, const lift_client_opts_t *opts)
{
    char err[256];
    lift_client_t *self = calloc(1, sizeof *self);
    if (self == NULL)
        return NULL;
    errno = 0;
    self->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : LIFT_CLIENT_TIMEOUT_MS;
    self->attempts = opts && opts->attempts > 0 ? opts->attempts : LIFT_CLIENT_ATTEMPTS;
    if (opts && (opts->server_key || opts->public_key || opts->secret_key)) {
        const char *k[3] = {opts->server_key, opts->public_key, opts->secret_key};
        char *dst[3] = {self->server_key, self->public_key, self->secret_key};
        for (int i = 0; i < 3; i++) {
            if (k[i] == NULL || strlen(k[i]) != 40) {
                errno = EINVAL; /* all three keys, 40 characters of Z85 each */
                goto fail;
            }
            memcpy(dst[i], k[i], 41);
        }
        if (!zmq_has("curve")) {
            errno = ENOTSUP;
            goto fail;
        }
        self->curve = 1; /* open_socket rejects keys that are not Z85 (EINVAL) */
    }
    self->ctx = zmq_ctx_new();
    if (self->ctx == NULL)
        goto fail;
    int n = parse_endpoints(self->ctx, endpoint, self->endpoints, err, sizeof err);
    if (n < 0)
        goto fail;
    self->n_endpoints = (size_t)n;
    if (open_socket(self) != 0) /* fails early on malformed keys */
        goto fail;
    /* Ids only need to be unique per client; a time/pid start keeps logs of clients apart. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    self->next_id =
        ((uint64_t)ts.tv_sec << 32 ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 16) | 1;
    return self;
fail:;
    int e = errno ? errno : ENOMEM;
    lift_client_destroy(&self);
    errno = e;
    return NULL;
}

void lift_client_destroy(lift_client_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    lift_client_t *self = *self_p;
    close_socket(self);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    for (size_t i = 0; i < self->n_endpoints; i++)
        free(self->endpoints[i]);
    explicit_bzero(self->secret_key, sizeof self->secret_key);
    free(self);
    *self_p = NULL;
}

size_t lift_client_endpoint_count(const lift_client_t *self)
{
    return self ? self->n_endpoints : 0;
}

const char *lift_client_endpoint(const lift_client_t *self)
{
    return self ? cur_ep(self) : "";
}

int lift_client_set_timeout(lift_client_t *self, int timeout_ms)
{
    int old = self->timeout_ms;
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : LIFT_CLIENT_TIMEOUT_MS;
    if (self->sock) /* a send on the open socket must not give up sooner either */
        zmq_setsockopt(self->sock, ZMQ_SNDTIMEO, &self->timeout_ms, sizeof self->timeout_ms);
    return old;
}

const char *lift_client_error(const lift_client_t *self)
{
    return self ? self->err : "";
}

const char *lift_client_error_field(const lift_client_t *self)
{
    return self ? self->field : "";
}

bool lift_client_no_reply(const lift_client_t *self)
{
    return self && self->no_reply;
}

bool lift_client_uses_curve(const lift_client_t *self)
{
    return self && self->curve;
}

void lift_reply_free(Lift__Reply **reply_p)
{
    if (reply_p && *reply_p) {
        lift__reply__free_unpacked(*reply_p, NULL);
        *reply_p = NULL;
    }
}

/* 0 sent, 1 timed out (no peer took it in time), -1 error (errno). */
static int send_frame(void *sock, const uint8_t *data, size_t len)
{
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, len) != 0)
        return -1;
    if (len)
        memcpy(zmq_msg_data(&m), data, len);
    for (;;) {
        if (zmq_msg_send(&m, sock, 0) >= 0)
            return 0; /* the message now belongs to ZeroMQ */
        if (errno == EINTR)
            continue;
        int e = errno;
        zmq_msg_close(&m);
        errno = e;
        return e == EAGAIN ? 1 : -1;
    }
}

/* Reads one whole message (all frames) that is known to be waiting. Accepts a single frame,
 * optionally after an empty delimiter. 0 and *out = decoded reply, 1 = not a reply (discarded),
 * -1 error (errno). */
static int recv_reply(void *sock, Lift__Reply **out)
{
    zmq_msg_t m, body;
    int bodies = 0, more;
    zmq_msg_init(&body);
    do {
        zmq_msg_init(&m);
        int rc;
        while ((rc = zmq_msg_recv(&m, sock, 0)) < 0 && errno == EINTR)
            ;
        if (rc < 0) {
            int e = errno;
            zmq_msg_close(&m);
            zmq_msg_close(&body);
            errno = e;
            return -1;
        }
        more = zmq_msg_more(&m);
        if (zmq_msg_size(&m) > 0) {
            bodies++;
            zmq_msg_move(&body, &m);
        }
        zmq_msg_close(&m);
    } while (more);
    *out = NULL;
    if (bodies == 1)
        *out = lift__reply__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
    zmq_msg_close(&body); /* unpack copied what it needs */
    return *out ? 0 : 1;
}

/* Waits until deadline for the reply to `id`, discarding replies to other ids and garbage.
 * 0 got it, 1 timed out, -1 error (errno). */
static int wait_reply(lift_client_t *self, uint64_t id, int64_t deadline, Lift__Reply **out)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 1;
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, (long)left);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (rc == 0 || !(item.revents & ZMQ_POLLIN))
            continue;
        Lift__Reply *reply = NULL;
        rc = recv_reply(self->sock, &reply);
        if (rc < 0)
            return -1;
        if (rc > 0)
            continue;
        if (reply->has_request_id && reply->request_id == id && reply->status) {
            *out = reply;
            return 0;
        }
        lift__reply__free_unpacked(reply, NULL); /* stale: a reply to an earlier request */
    }
}

/* After a timeout (or a refusal to serve) the next request goes to the next endpoint. */
static void fail_over(lift_client_t *self)
{
    close_socket(self);
    self->current = (self->current + 1) % self->n_endpoints;
}

/* "no reply from A, B after ..." naming each endpoint tried, in the order tried. */
static lift_err_t no_reply_err(lift_client_t *self, const unsigned char *tried, size_t ntried,
                               int attempts)
{
    char list[sizeof self->err - 128];
    size_t pos = 0;
    list[0] = '\0';
    for (size_t i = 0; i < ntried && pos < sizeof list; i++) {
        int w = snprintf(list + pos, sizeof list - pos, "%s%s", i ? ", " : "",
                         self->endpoints[tried[i]]);
        if (w < 0)
            break;
        pos += (size_t)w;
    }
    lift_err_t rc =
        set_err(self, LIFT_ERR_UNAVAILABLE, "no reply from %s after %d attempt%s of %d ms", list,
                attempts, attempts == 1 ? "" : "s", self->timeout_ms);
    self->no_reply = 1;
    return rc;
}

/* The reply's code as a lift_err_t: a code this build knows (OK..INTERNAL), else
 * LIFT_ERR_PROTOCOL — an unset code, UNKNOWN or a code a newer liftd added is an error, never
 * OK (proto: Code). */
static int status_code(const Lift__Status *st)
{
    if (!st || !st->has_code)
        return LIFT_ERR_PROTOCOL;
    if ((int)st->code < LIFT__CODE__OK || (int)st->code > LIFT__CODE__INTERNAL)
        return LIFT_ERR_PROTOCOL;
    return (int)st->code;
}

/* The Lazy Pirate loop. retry_busy: also resend after RESOURCE_EXHAUSTED / UNAVAILABLE
 * replies (writes are idempotent); an UNAVAILABLE reply moves on to the next endpoint like a
 * timeout (that instance cannot serve now). all_endpoints: make at least one attempt per
 * endpoint, so that a request fails only when every endpoint was tried. Always leaves
 * *reply_out set or NULL. */
static lift_err_t call(lift_client_t *self, const Lift__Request *req, Lift__Reply **reply_out,
                       int retry_busy, int all_endpoints)
{
    *reply_out = NULL;
    clear_err(self);
    Lift__Request r = *req; /* shallow: only the id differs */
    r.has_request_id = 1;
    r.request_id = self->next_id++;
    size_t len = lift__request__get_packed_size(&r);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        return set_err(self, LIFT_ERR_NOMEM, "out of memory packing a %zu-byte request", len);
    lift__request__pack(&r, buf);

    int attempts = self->attempts;
    if (all_endpoints && (size_t)attempts < self->n_endpoints)
        attempts = (int)self->n_endpoints;
    unsigned char tried[LIFT_CLIENT_ENDPOINTS_MAX]; /* distinct endpoints, in the order tried */
    size_t ntried = 0;
    lift_err_t rc = LIFT_OK;
    Lift__Reply *reply = NULL;
    for (int attempt = 1; attempt <= attempts; attempt++) {
        if (self->sock == NULL && open_socket(self) != 0) {
            rc = set_err(self, LIFT_ERR_SYSTEM, "cannot connect to %s: %s", cur_ep(self),
                         zmq_strerror(errno));
            goto done;
        }
        size_t k = 0;
        while (k < ntried && tried[k] != self->current)
            k++;
        if (k == ntried)
            tried[ntried++] = (unsigned char)self->current;
        int64_t deadline = now_ms() + self->timeout_ms;
        int s = send_frame(self->sock, buf, len);
        if (s < 0) {
            rc = set_err(self, LIFT_ERR_SYSTEM, "cannot send to %s: %s", cur_ep(self),
                         zmq_strerror(errno));
            close_socket(self);
            goto done;
        }
        int w = s == 0 ? wait_reply(self, r.request_id, deadline, &reply) : 1;
        if (w < 0) {
            rc = set_err(self, LIFT_ERR_SYSTEM, "cannot receive from %s: %s", cur_ep(self),
                         zmq_strerror(errno));
            close_socket(self);
            goto done;
        }
        if (w == 1) { /* timed out: the socket may hold a half-dead connection, replace it */
            fail_over(self);
            continue;
        }
        int code = status_code(reply->status);
        if (retry_busy && attempt < attempts &&
            (code == LIFT__CODE__RESOURCE_EXHAUSTED || code == LIFT__CODE__UNAVAILABLE)) {
            lift__reply__free_unpacked(reply, NULL);
            reply = NULL;
            if (code == LIFT__CODE__UNAVAILABLE && self->n_endpoints > 1) {
                fail_over(self); /* another instance may serve it now */
                continue;
            }
            int backoff = 50 * attempt * attempt;
            sleep_ms(backoff < self->timeout_ms ? backoff : self->timeout_ms);
            continue;
        }
        break;
    }
    if (reply == NULL) {
        rc = no_reply_err(self, tried, ntried, attempts);
        goto done;
    }
    const Lift__Status *st = reply->status;
    rc = (lift_err_t)status_code(st);
    char unknown[96];
    if (rc == LIFT_ERR_PROTOCOL) { /* a code this build does not know: an error, never OK */
        if (st->has_code)
            snprintf(unknown, sizeof unknown, "unknown status code %d (an error)", (int)st->code);
        else
            snprintf(unknown, sizeof unknown, "reply without a status code (an error)");
    }
    if (rc != LIFT_OK) {
        const char *msg = st->message && *st->message ? st->message : lift_strerror(rc);
        if (rc == LIFT_ERR_PROTOCOL && !(st->message && *st->message))
            msg = unknown;
        if (st->field && *st->field && strstr(msg, st->field) == NULL)
            snprintf(self->err, sizeof self->err, "%s: %s", st->field, msg);
        else
            snprintf(self->err, sizeof self->err, "%s", msg);
        snprintf(self->field, sizeof self->field, "%s", st->field ? st->field : "");
    }
    *reply_out = reply;
done:
    free(buf);
    return rc;
}

lift_err_t lift_call(lift_client_t *self, const Lift__Request *req, Lift__Reply **reply_out,
                     char *err, size_t errlen)
{
    Lift__Reply *reply = NULL;
    lift_err_t rc = call(self, req, &reply, 0, 1);
    if (err && errlen)
        snprintf(err, errlen, "%s", self->err);
    if (reply_out)
        *reply_out = reply;
    else
        lift_reply_free(&reply);
    return rc;
}

/* Runs a request whose OK reply must carry body `want`; anything else is a protocol error. */
static lift_err_t call_expect(lift_client_t *self, const Lift__Request *req,
                              Lift__Reply__BodyCase want, int optional, int retry_busy,
                              Lift__Reply **reply_out)
{
    lift_err_t rc = call(self, req, reply_out, retry_busy, !self->single_attempt);
    if (rc != LIFT_OK) {
        lift_reply_free(reply_out);
        return rc;
    }
    if ((*reply_out)->body_case != want &&
        !(optional && (*reply_out)->body_case == LIFT__REPLY__BODY__NOT_SET)) {
        rc = set_err(self, LIFT_ERR_PROTOCOL, "unexpected reply body %d (wanted %d) from %s",
                     (int)(*reply_out)->body_case, (int)want, cur_ep(self));
        lift_reply_free(reply_out);
    }
    return rc;
}

lift_err_t lift_ping(lift_client_t *self, char *version, size_t versionlen, int64_t *now)
{
    lift_server_info_t info;
    lift_err_t rc = lift_server_info(self, &info);
    if (rc != LIFT_OK)
        return rc;
    if (version && versionlen)
        snprintf(version, versionlen, "%s", info.version);
    if (now)
        *now = info.now_ms;
    return LIFT_OK;
}

lift_err_t lift_server_info(lift_client_t *self, lift_server_info_t *out)
{
    memset(out, 0, sizeof *out);
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Ping ping = LIFT__PING__INIT;
    req.body_case = LIFT__REQUEST__BODY_PING;
    req.ping = &ping;
    Lift__Reply *reply = NULL;
    lift_err_t rc = call_expect(self, &req, LIFT__REPLY__BODY_PONG, 1, 0, &reply);
    if (rc != LIFT_OK)
        return rc;
    const Lift__Pong *pong = reply->body_case == LIFT__REPLY__BODY_PONG ? reply->pong : NULL;
    if (pong && pong->version)
        snprintf(out->version, sizeof out->version, "%s", pong->version);
    if (pong && pong->has_now_ms)
        out->now_ms = pong->now_ms;
    if (pong && pong->currency && strlen(pong->currency) < sizeof out->currency)
        snprintf(out->currency, sizeof out->currency, "%s", pong->currency);
    lift_reply_free(&reply);
    return LIFT_OK;
}

/* ---- Assignment ---------------------------------------------------------------------------- */

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* Copies s into the string area at *pos; NULL stays NULL. */
static const char *put_str(char **pos, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*pos, s, n);
    char *r = *pos;
    *pos += n;
    return r;
}

/* One allocation: the n results followed by their strings. NULL when out of memory. */
static lift_assignment_t *convert_assignments(const Lift__AssignReply *ar)
{
    size_t n = ar->n_assignments, strings = 0;
    for (size_t i = 0; i < n; i++) {
        const Lift__Assignment *a = ar->assignments[i];
        strings += str_size(a->customer_id) + str_size(a->arm_name) + str_size(a->arm_payload);
        if (a->error)
            strings += str_size(a->error->message ? a->error->message : "");
    }
    lift_assignment_t *items = malloc(n * sizeof *items + strings + 1);
    if (items == NULL)
        return NULL;
    char *pos = (char *)(items + n);
    for (size_t i = 0; i < n; i++) {
        const Lift__Assignment *a = ar->assignments[i];
        lift_assignment_t *o = &items[i];
        memset(o, 0, sizeof *o);
        o->customer_id = put_str(&pos, a->customer_id);
        o->in_experiment = a->has_in_experiment && a->in_experiment;
        /* A reason this build does not know (a newer liftd) means not eligible (proto: Reason). */
        int known = a->has_reason && strcmp(lift_reason_name((int)a->reason), "unknown") != 0;
        o->eligible = a->has_eligible && a->eligible && known;
        /* Unset reads as REASON_UNKNOWN (not eligible); an unknown value is kept as its number. */
        o->reason = a->has_reason ? (int)a->reason : LIFT__REASON__REASON_UNKNOWN;
        o->arm_index = o->in_experiment && a->has_arm_index ? a->arm_index : -1;
        o->arm_name = o->in_experiment ? put_str(&pos, a->arm_name) : NULL;
        o->arm_payload = o->in_experiment ? put_str(&pos, a->arm_payload) : NULL;
        o->first_exposure = a->has_first_exposure && a->first_exposure;
        if (a->error) {
            int ec = status_code(a->error); /* unset or unknown: an error all the same */
            o->error_code =
                ec != LIFT_OK && ec != LIFT_ERR_PROTOCOL ? ec : LIFT_ERR_INVALID_ARGUMENT;
            o->error = put_str(&pos, a->error->message ? a->error->message : "");
        }
    }
    return items;
}

lift_err_t lift_assign(lift_client_t *self, const char *key, const char *customer_id,
                       const lift_context_t *ctx, lift_assignment_t *out)
{
    memset(out, 0, sizeof *out);
    out->arm_index = -1;
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Assign as = LIFT__ASSIGN__INIT;
    Lift__Context c;
    context_from_client(&c, ctx);
    as.experiment_key = (char *)key;
    as.customer_id = (char *)customer_id;
    as.context = ctx ? &c : NULL;
    req.body_case = LIFT__REQUEST__BODY_ASSIGN;
    req.assign = &as;
    Lift__Reply *reply = NULL;
    lift_err_t rc = call_expect(self, &req, LIFT__REPLY__BODY_ASSIGN, 0, 0, &reply);
    if (rc != LIFT_OK)
        return rc;
    if (reply->assign->n_assignments != 1) {
        rc = set_err(self, LIFT_ERR_PROTOCOL, "Assign reply holds %zu assignments, not 1",
                     reply->assign->n_assignments);
        lift_reply_free(&reply);
        return rc;
    }
    lift_assignment_t *items = convert_assignments(reply->assign);
    lift_reply_free(&reply);
    if (items == NULL)
        return set_err(self, LIFT_ERR_NOMEM, "out of memory decoding an assignment");
    *out = items[0];
    out->mem_ = items;
    return LIFT_OK;
}

void lift_assignment_clear(lift_assignment_t *a)
{
    if (a == NULL)
        return;
    free(a->mem_);
    memset(a, 0, sizeof *a);
    a->arm_index = -1;
}

lift_err_t lift_assign_batch(lift_client_t *self, const char *key, const char *const *customer_ids,
                             size_t n, const lift_context_t *ctx, lift_assignment_t **out)
{
    *out = NULL;
    clear_err(self);
    if (n < 1 || n > LIFT_BATCH_MAX)
        return set_err(self, LIFT_ERR_INVALID_ARGUMENT,
                       "assign batch of %zu customers: must be 1..%d", n, LIFT_BATCH_MAX);
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__AssignBatch ab = LIFT__ASSIGN_BATCH__INIT;
    Lift__Context c;
    context_from_client(&c, ctx);
    ab.experiment_key = (char *)key;
    ab.n_customer_ids = n;
    ab.customer_ids = (char **)customer_ids; /* pack only reads them */
    ab.context = ctx ? &c : NULL;
    req.body_case = LIFT__REQUEST__BODY_ASSIGN_BATCH;
    req.assign_batch = &ab;
    Lift__Reply *reply = NULL;
    lift_err_t rc = call_expect(self, &req, LIFT__REPLY__BODY_ASSIGN, 0, 0, &reply);
    if (rc != LIFT_OK)
        return rc;
    if (reply->assign->n_assignments != n) {
        rc = set_err(self, LIFT_ERR_PROTOCOL, "AssignBatch of %zu customers got %zu assignments", n,
                     reply->assign->n_assignments);
        lift_reply_free(&reply);
        return rc;
    }
    *out = convert_assignments(reply->assign);
    lift_reply_free(&reply);
    if (*out == NULL)
        return set_err(self, LIFT_ERR_NOMEM, "out of memory decoding %zu assignments", n);
    return LIFT_OK;
}

void lift_assignments_free(lift_assignment_t **items_p)
{
    if (items_p) {
        free(*items_p);
        *items_p = NULL;
    }
}

/* ---- Events -------------------------------------------------------------------------------- */

static void fill_event(Lift__Event *e, const lift_event_t *in)
{
    lift__event__init(e);
    e->event_id = (char *)in->event_id;
    e->customer_id = (char *)in->customer_id;
    e->has_type = in->type != 0;
    e->type = (Lift__EventType)in->type;
    e->has_timestamp_ms = 1;
    e->timestamp_ms = in->timestamp_ms;
    e->experiment_key = (char *)in->experiment_key;
    e->has_arm = in->has_arm;
    e->arm = in->arm;
    e->has_amount_minor = in->has_amount;
    e->amount_minor = in->amount_minor;
    e->currency = (char *)in->currency;
    e->plan_from = (char *)in->plan_from;
    e->plan_to = (char *)in->plan_to;
    e->has_nps_score = in->has_nps;
    e->nps_score = in->nps_score;
}

size_t lift_event_wire_size(const lift_event_t *event)
{
    Lift__Event e;
    fill_event(&e, event);
    size_t n = lift__event__get_packed_size(&e), prefix = 1;
    for (size_t v = n; v >= 0x80; v >>= 7)
        prefix++;
    return 1 + prefix + n; /* field tag of Track.events (1 byte), length prefix, the event */
}

static int convert_track(const Lift__TrackReply *tr, lift_track_result_t *out)
{
    out->accepted = tr->has_accepted ? tr->accepted : 0;
    out->duplicates = tr->has_duplicates ? tr->duplicates : 0;
    out->conflicts = tr->has_conflicts ? tr->conflicts : 0;
    size_t n = tr->n_rejected, strings = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const Lift__Rejected *r = tr->rejected[i];
        strings += str_size(r->event_id ? r->event_id : "") + str_size(r->field ? r->field : "") +
                   str_size(r->reason ? r->reason : "");
    }
    lift_rejected_t *rej = malloc(n * sizeof *rej + strings);
    if (rej == NULL)
        return -1;
    char *pos = (char *)(rej + n);
    for (size_t i = 0; i < n; i++) {
        const Lift__Rejected *r = tr->rejected[i];
        rej[i].index = r->has_index ? r->index : 0;
        rej[i].event_id = put_str(&pos, r->event_id ? r->event_id : "");
        rej[i].field = put_str(&pos, r->field ? r->field : "");
        rej[i].reason = put_str(&pos, r->reason ? r->reason : "");
    }
    out->rejected = rej;
    out->n_rejected = n;
    return 0;
}

lift_err_t lift_track(lift_client_t *self, const lift_event_t *events, size_t n,
                      lift_track_result_t *out)
{
    memset(out, 0, sizeof *out);
    clear_err(self);
    if (n < 1 || n > LIFT_BATCH_MAX)
        return set_err(self, LIFT_ERR_INVALID_ARGUMENT, "track batch of %zu events: must be 1..%d",
                       n, LIFT_BATCH_MAX);
    Lift__Event *evs = malloc(n * sizeof *evs);
    Lift__Event **ptrs = malloc(n * sizeof *ptrs);
    if (evs == NULL || ptrs == NULL) {
        free(evs);
        free(ptrs);
        return set_err(self, LIFT_ERR_NOMEM, "out of memory for %zu events", n);
    }
    for (size_t i = 0; i < n; i++) {
        fill_event(&evs[i], &events[i]);
        ptrs[i] = &evs[i];
    }
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Track t = LIFT__TRACK__INIT;
    t.n_events = n;
    t.events = ptrs;
    req.body_case = LIFT__REQUEST__BODY_TRACK;
    req.track = &t;
    Lift__Reply *reply = NULL;
    lift_err_t rc = call_expect(self, &req, LIFT__REPLY__BODY_TRACK, 0, 1, &reply);
    free(ptrs);
    free(evs);
    if (rc != LIFT_OK)
        return rc;
    if (convert_track(reply->track, out) != 0)
        rc = set_err(self, LIFT_ERR_NOMEM, "out of memory decoding a track reply");
    lift_reply_free(&reply);
    return rc;
}

void lift_track_result_clear(lift_track_result_t *r)
{
    if (r == NULL)
        return;
    free(r->rejected);
    memset(r, 0, sizeof *r);
}

/* ---- Experiments --------------------------------------------------------------------------- */

/* Runs a request answered by an Experiment and hands it to *out, detached from the reply. */
static lift_err_t call_experiment(lift_client_t *self, const Lift__Request *req,
                                  Lift__Experiment **out)
{
    if (out)
        *out = NULL;
    Lift__Reply *reply = NULL;
    lift_err_t rc = call_expect(self, req, LIFT__REPLY__BODY_EXPERIMENT, 1, 0, &reply);
    if (rc != LIFT_OK)
        return rc;
    if (out && reply->body_case == LIFT__REPLY__BODY_EXPERIMENT) {
        *out = reply->experiment; /* unpack allocates each sub-message on its own */
        reply->experiment = NULL;
        reply->body_case = LIFT__REPLY__BODY__NOT_SET;
    }
    lift_reply_free(&reply);
    return LIFT_OK;
}

lift_err_t lift_experiment_create(lift_client_t *self, const Lift__Experiment *def,
                                  Lift__Experiment **out)
{
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__CreateExperiment ce = LIFT__CREATE_EXPERIMENT__INIT;
    ce.experiment = (Lift__Experiment *)def; /* pack only reads it */
    req.body_case = LIFT__REQUEST__BODY_CREATE_EXPERIMENT;
    req.create_experiment = &ce;
    return call_experiment(self, &req, out);
}

lift_err_t lift_experiment_get(lift_client_t *self, const char *key, Lift__Experiment **out)
{
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__GetExperiment ge = LIFT__GET_EXPERIMENT__INIT;
    ge.key = (char *)key;
    req.body_case = LIFT__REQUEST__BODY_GET_EXPERIMENT;
    req.get_experiment = &ge;
    return call_experiment(self, &req, out);
}

lift_err_t lift_experiment_change(lift_client_t *self, const char *key, int action, double coverage,
                                  Lift__Experiment **out)
{
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__ChangeExperiment ch = LIFT__CHANGE_EXPERIMENT__INIT;
    ch.key = (char *)key;
    ch.has_action = 1;
    ch.action = (Lift__Action)action;
    ch.has_coverage = action == LIFT__ACTION__ACTION_RAMP;
    ch.coverage = coverage;
    req.body_case = LIFT__REQUEST__BODY_CHANGE_EXPERIMENT;
    req.change_experiment = &ch;
    return call_experiment(self, &req, out);
}

lift_err_t lift_experiment_list(lift_client_t *self, int status, Lift__ExperimentList **out)
{
    *out = NULL;
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__ListExperiments le = LIFT__LIST_EXPERIMENTS__INIT;
    le.has_status = status != 0;
    le.status = (Lift__ExperimentStatus)status;
    req.body_case = LIFT__REQUEST__BODY_LIST_EXPERIMENTS;
    req.list_experiments = &le;
    Lift__Reply *reply = NULL;
    lift_err_t rc = call_expect(self, &req, LIFT__REPLY__BODY_EXPERIMENTS, 1, 0, &reply);
    if (rc != LIFT_OK)
        return rc;
    if (reply->body_case == LIFT__REPLY__BODY_EXPERIMENTS) {
        *out = reply->experiments;
        reply->experiments = NULL;
        reply->body_case = LIFT__REPLY__BODY__NOT_SET;
    } else if ((*out = malloc(sizeof **out)) != NULL) { /* an empty list may come as no body */
        lift__experiment_list__init(*out);
    }
    lift_reply_free(&reply);
    if (*out == NULL)
        return set_err(self, LIFT_ERR_NOMEM, "out of memory");
    return LIFT_OK;
}

void lift_experiment_free(Lift__Experiment **exp_p)
{
    if (exp_p && *exp_p) {
        lift__experiment__free_unpacked(*exp_p, NULL);
        *exp_p = NULL;
    }
}

void lift_experiment_list_free(Lift__ExperimentList **list_p)
{
    if (list_p && *list_p) {
        lift__experiment_list__free_unpacked(*list_p, NULL);
        *list_p = NULL;
    }
}

/* ---- Reports ------------------------------------------------------------------------------- */

lift_err_t lift_report(lift_client_t *self, const Lift__ReportRequest *rr, Lift__Report **out)
{
    *out = NULL;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.body_case = LIFT__REQUEST__BODY_REPORT;
    req.report = (Lift__ReportRequest *)rr; /* packed, never modified */
    const int timeout = self->timeout_ms, attempts = self->attempts;
    const int wait = timeout > LIFT_REPORT_TIMEOUT_MS ? timeout : LIFT_REPORT_TIMEOUT_MS;
    Lift__Reply *reply = NULL;
    lift_err_t rc = LIFT_OK;
    char sent[sizeof self->err - 256]; /* the endpoints that were asked for the report */
    size_t pos = 0;
    sent[0] = '\0';
    /* A report may take long to compute, a dead endpoint must not: before each attempt a Ping
     * with the client's own timeout and attempts (liftd answers pings while a report thread
     * works; with several endpoints the ping fails over to one that answers) tells "nobody
     * there" (fail now, like any call) from "busy computing" (wait). A report that times out
     * moves on to the next endpoint like any request (it is read-only). */
    for (int attempt = 1; attempt <= attempts; attempt++) {
        lift_server_info_t info;
        rc = lift_server_info(self, &info);
        if (rc != LIFT_OK && (self->no_reply || rc == LIFT_ERR_SYSTEM || rc == LIFT_ERR_NOMEM))
            return rc; /* an error reply still proves liftd is there: go on */
        const char *ep = cur_ep(self);
        if (strstr(sent, ep) == NULL && pos < sizeof sent) {
            int w = snprintf(sent + pos, sizeof sent - pos, "%s%s", pos ? ", " : "", ep);
            if (w > 0)
                pos += (size_t)w;
        }
        lift_client_set_timeout(self, wait);
        self->attempts = 1;
        self->single_attempt = 1;
        rc = call_expect(self, &req, LIFT__REPLY__BODY_REPORT, 0, 0, &reply);
        self->single_attempt = 0;
        self->attempts = attempts;
        lift_client_set_timeout(self, timeout);
        if (!(rc == LIFT_ERR_UNAVAILABLE && self->no_reply))
            break;
    }
    if (rc == LIFT_ERR_UNAVAILABLE && self->no_reply)
        return set_err(self, LIFT_ERR_UNAVAILABLE,
                       "no report from %s after %d attempt%s of %d ms: liftd answered a ping "
                       "before each, so it is up but did not finish in time (a longer client "
                       "timeout waits longer)",
                       sent, attempts, attempts == 1 ? "" : "s", wait);
    if (rc != LIFT_OK)
        return rc;
    *out = reply->report; /* detach the body so that freeing the reply leaves it alone */
    reply->report = NULL;
    reply->body_case = LIFT__REPLY__BODY__NOT_SET;
    lift_reply_free(&reply);
    if (*out == NULL)
        return set_err(self, LIFT_ERR_PROTOCOL, "report reply without a report from %s",
                       cur_ep(self));
    return LIFT_OK;
}

void lift_report_free(Lift__Report **report_p)
{
    if (report_p && *report_p) {
        lift__report__free_unpacked(*report_p, NULL);
        *report_p = NULL;
    }
}

/* ---- Program holdouts ------------------------------------------------------------------- */

lift_err_t lift_is_held_out(lift_client_t *self, const char *holdout_key, const char *customer_id,
                            bool *held_out, int *group)
{
    if (held_out)
        *held_out = false;
    if (group)
        *group = 0;
    if (!customer_id)
        return set_err(self, LIFT_ERR_INVALID_ARGUMENT, "customer_id is required");
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__IsHeldOut q = LIFT__IS_HELD_OUT__INIT;
    char *ids[1] = {(char *)customer_id};
    q.holdout_key = (char *)holdout_key;
    q.n_customer_ids = 1;
    q.customer_ids = ids;
    req.body_case = LIFT__REQUEST__BODY_IS_HELD_OUT;
    req.is_held_out = &q;
    Lift__Reply *reply = NULL;
    lift_err_t rc = call_expect(self, &req, LIFT__REPLY__BODY_HELD_OUT, 0, 0, &reply);
    if (rc != LIFT_OK)
        return rc;
    const Lift__HeldOutReply *r = reply->held_out;
    if (r->n_customers != 1) {
        rc = set_err(self, LIFT_ERR_PROTOCOL, "is_held_out: %zu answers for one customer from %s",
                     r->n_customers, cur_ep(self));
    } else if (r->customers[0]->error) {
        const Lift__Status *e = r->customers[0]->error;
        rc = set_err(self, (lift_err_t)e->code, "%s", e->message ? e->message : "invalid id");
    } else {
        if (held_out)
            *held_out = r->customers[0]->held_out;
        if (group)
            *group = (int)r->customers[0]->group;
    }
    lift_reply_free(&reply);
    return rc;
}
