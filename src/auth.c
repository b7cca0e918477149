/* auth: the authorized-keys list and the ZAP handler thread (RFC 27); key files are keyfile.c.
 * Fail-closed throughout: a file that cannot be read or parsed is an error, a ZAP request that
 * is not CURVE in our domain with a listed key is refused. No store, no protobuf beyond the
 * request body-case numbers. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "keyfile.h"
#include "lift/lift.h"
#include "lift.pb-c.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_MAX_FRAMES 16 /* a CURVE request has 7; more is malformed */

/* ---- roles ------------------------------------------------------------------------------- */

const char *auth_role_name(auth_role_t role)
{
    switch (role) {
    case AUTH_ROLE_ADMIN:
        return "admin";
    case AUTH_ROLE_SENDER:
        return "sender";
    case AUTH_ROLE_READER:
        return "reader";
    default:
        return "none";
    }
}

int auth_role_parse(const char *name, auth_role_t *out)
{
    static const auth_role_t roles[] = {AUTH_ROLE_ADMIN, AUTH_ROLE_SENDER, AUTH_ROLE_READER};
    for (size_t i = 0; name && i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(name, auth_role_name(roles[i])) == 0) {
            *out = roles[i];
            return 0;
        }
    return -1;
}

int auth_role_allows(auth_role_t role, int body_case)
{
    switch (body_case) {
    case LIFT__REQUEST__BODY__NOT_SET: /* the handlers answer INVALID_ARGUMENT, no store access */
    case LIFT__REQUEST__BODY_PING:
        return role != AUTH_ROLE_NONE;
    case LIFT__REQUEST__BODY_GET_EXPERIMENT:
    case LIFT__REQUEST__BODY_LIST_EXPERIMENTS:
    case LIFT__REQUEST__BODY_GET_HOLDOUT:
    case LIFT__REQUEST__BODY_LIST_HOLDOUTS:
        /* A sender reads definitions too: local evaluation (lift/local.h) decides with them,
         * program holdouts included. */
        return role != AUTH_ROLE_NONE;
    case LIFT__REQUEST__BODY_REPORT:
        return role == AUTH_ROLE_READER || role == AUTH_ROLE_ADMIN;
    case LIFT__REQUEST__BODY_IS_HELD_OUT: /* senders ask it before an offer; readers too */
        return role != AUTH_ROLE_NONE;
    case LIFT__REQUEST__BODY_ASSIGN:
    case LIFT__REQUEST__BODY_ASSIGN_BATCH:
    case LIFT__REQUEST__BODY_RECORD_EXPOSURES:
    case LIFT__REQUEST__BODY_TRACK:
        return role == AUTH_ROLE_SENDER || role == AUTH_ROLE_ADMIN;
    case LIFT__REQUEST__BODY_CREATE_EXPERIMENT:
    case LIFT__REQUEST__BODY_CHANGE_EXPERIMENT:
    case LIFT__REQUEST__BODY_CREATE_HOLDOUT:
    case LIFT__REQUEST__BODY_CHANGE_HOLDOUT:
        return role == AUTH_ROLE_ADMIN;
    default: /* a body this table does not know: nobody, until someone decides */
        return 0;
    }
}

const char *auth_request_name(int body_case)
{
    const char *name = lift_request_body_name(body_case);
    if (name)
        return name;
    return body_case == LIFT__REQUEST__BODY__NOT_SET ? "(no body)" : "(unknown request)";
}

const char *auth_role_allowed_list(auth_role_t role)
{
    switch (role) {
    case AUTH_ROLE_ADMIN:
        return "every request";
    case AUTH_ROLE_SENDER:
        return "assign, assign_batch, record_exposures, track, is_held_out, get_experiment, "
               "list_experiments, get_holdout, list_holdouts, ping";
    case AUTH_ROLE_READER:
        return "get_experiment, list_experiments, get_holdout, list_holdouts, report, "
               "is_held_out, ping";
    default:
        return "nothing";
    }
}

/* ---- keys and key files ------------------------------------------------------------------ */

/* ---- authorized keys --------------------------------------------------------------------- */

typedef struct {
    uint8_t key[32];  /* binary public key */
    auth_role_t role; /* what it may do */
    int line;         /* where it was listed, for messages */
} entry_t;

typedef struct {
    entry_t *v; /* sorted by key */
    size_t n;   /* entries */
} keylist_t;

static int cmp_entry(const void *a, const void *b)
{
    return memcmp(((const entry_t *)a)->key, ((const entry_t *)b)->key, 32);
}

static int load_keys(const char *path, keylist_t *out, char *err, size_t errlen)
{
    FILE *f = keyfile_open(path, 1, err, errlen);
    if (!f)
        return -1;
    char buf[LIFT_KEY_LINE_MAX + 2];
    int lineno = 0, r;
    size_t cap = 0;
    char *line;
    out->v = NULL;
    out->n = 0;
    while ((r = keyfile_next_entry(f, path, buf, &lineno, &line, err, errlen)) > 0) {
        char *key = line, *role = line;
        while (*role && *role != ' ' && *role != '\t')
            role++;
        if (*role)
            *role++ = '\0';
        role = keyfile_trim(role);
        char *rest = role;
        while (*rest && *rest != ' ' && *rest != '\t')
            rest++;
        *rest = '\0'; /* what follows the role is a comment */
        char z85[LIFT_KEY_Z85_LEN + 1];
        entry_t e;
        if (lift_key_parse(key, z85) < 0) {
            snprintf(err, errlen, "%s:%d: '%.48s' is not a %d-character Z85 public key", path,
                     lineno, key, LIFT_KEY_Z85_LEN);
            goto fail;
        }
        if (!*role) {
            snprintf(err, errlen, "%s:%d: no role after the key (admin, sender, reader)", path,
                     lineno);
            goto fail;
        }
        if (auth_role_parse(role, &e.role) < 0) {
            snprintf(err, errlen, "%s:%d: unknown role '%.32s' (admin, sender, reader)", path,
                     lineno, role);
            goto fail;
        }
        zmq_z85_decode(e.key, z85);
        e.line = lineno;
        if (out->n == AUTH_MAX_KEYS) {
            snprintf(err, errlen, "%s:%d: more than %d keys", path, lineno, AUTH_MAX_KEYS);
            goto fail;
        }
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            entry_t *v = realloc(out->v, ncap * sizeof *v);
            if (!v) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto fail;
            }
            out->v = v;
            cap = ncap;
        }
        out->v[out->n++] = e;
    }
    if (r < 0)
        goto fail;
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    if (out->n > 1) {
        qsort(out->v, out->n, sizeof *out->v, cmp_entry);
        for (size_t i = 1; i < out->n; i++)
            if (memcmp(out->v[i - 1].key, out->v[i].key, 32) == 0) {
                int a = out->v[i - 1].line, b = out->v[i].line;
                snprintf(err, errlen, "%s:%d: key already listed on line %d", path, a > b ? a : b,
                         a > b ? b : a);
                goto fail;
            }
    }
    fclose(f);
    return 0;
fail:
    fclose(f);
    free(out->v);
    out->v = NULL;
    out->n = 0;
    return -1;
}

static auth_role_t lookup(const keylist_t *l, const uint8_t key[32])
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(key, l->v[mid].key, 32);
        if (c == 0)
            return l->v[mid].role;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return AUTH_ROLE_NONE;
}

/* ---- the ZAP handler --------------------------------------------------------------------- */

struct auth {
    char *path;            /* authorized-keys file */
    log_level_t log_level; /* threshold */
    void *zap;             /* REP bound to ZAP_ENDPOINT; used by the thread only */
    pthread_t thread;      /* the handler */
    int started;           /* thread was started */
    atomic_int stop;       /* set by auth_destroy */
    pthread_mutex_t lock;  /* guards keys */
    keylist_t keys;        /* current list */
    time_t log_second;     /* denial logging: the current second */
    unsigned log_count;    /* denials logged in log_second */
    unsigned suppressed;   /* denials not logged since the last logged one */
};

static int send_frame(void *sock, const void *data, size_t len, int more)
{
    return zmq_send(sock, data, len, more ? ZMQ_SNDMORE : 0) < 0 ? -1 : 0;
}

static void zap_reply(void *sock, const zmq_msg_t *request_id, const char *code, const char *text,
                      const char *user_id)
{
    send_frame(sock, "1.0", 3, 1);
    send_frame(sock, request_id ? zmq_msg_data((zmq_msg_t *)request_id) : "",
               request_id ? zmq_msg_size((zmq_msg_t *)request_id) : 0, 1);
    send_frame(sock, code, strlen(code), 1);
    send_frame(sock, text, strlen(text), 1);
    send_frame(sock, user_id, strlen(user_id), 1);
    send_frame(sock, "", 0, 0);
}

static int frame_is(zmq_msg_t *m, const char *s)
{
    size_t n = strlen(s);
    return zmq_msg_size(m) == n && memcmp(zmq_msg_data(m), s, n) == 0;
}

/* Printable copy of a frame for logs (address, mechanism). */
static void frame_text(zmq_msg_t *m, char *buf, size_t len)
{
    size_t n = zmq_msg_size(m), k = 0;
    const unsigned char *p = zmq_msg_data(m);
    for (size_t i = 0; i < n && k + 1 < len; i++)
        buf[k++] = p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' ? (char)p[i] : '?';
    buf[k] = '\0';
}

/* Log a refusal, at most 10 a second (an unlisted client retrying must not flood the log). */
static void log_denied(auth_t *self, const char *reason, const char *key, const char *address)
{
    time_t now = time(NULL);
    if (now != self->log_second) {
        self->log_second = now;
        self->log_count = 0;
    }
    if (self->log_count >= 10) {
        self->suppressed++;
        return;
    }
    self->log_count++;
    log_emit(self->log_level, LOG_LEVEL_WARN, "client_refused",
             "reason=\"%s\" key=%s address=\"%s\" suppressed_before=%u", reason, key, address,
             self->suppressed);
    self->suppressed = 0;
}

static void zap_serve_one(auth_t *self)
{
    zmq_msg_t f[ZAP_MAX_FRAMES];
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, self->zap, 0) < 0) {
            zmq_msg_close(&m);
            if (n == 0)
                return; /* nothing taken: the REP socket expects no reply */
            break;
        }
        more = zmq_msg_more(&m);
        if (n < ZAP_MAX_FRAMES)
            f[n++] = m;
        else
            zmq_msg_close(&m);
    }
    char key[LIFT_KEY_Z85_LEN + 1] = "-", address[64] = "", mech[32] = "";
    const zmq_msg_t *rid = n >= 2 ? &f[1] : NULL;
    if (n >= 4)
        frame_text(&f[3], address, sizeof address);
    if (n >= 6)
        frame_text(&f[5], mech, sizeof mech);
    if (n < 6 || !frame_is(&f[0], "1.0")) {
        zap_reply(self->zap, rid, "400", "malformed ZAP request", "");
        log_denied(self, "malformed ZAP request", key, address);
    } else if (!frame_is(&f[2], AUTH_DOMAIN)) {
        zap_reply(self->zap, rid, "400", "unknown domain", "");
        log_denied(self, "unknown ZAP domain", key, address);
    } else if (!frame_is(&f[5], "CURVE")) {
        zap_reply(self->zap, rid, "400", "only CURVE is accepted", "");
        char why[64];
        snprintf(why, sizeof why, "mechanism %s is not accepted", mech);
        log_denied(self, why, key, address);
    } else if (n != 7 || zmq_msg_size(&f[6]) != 32) {
        zap_reply(self->zap, rid, "400", "malformed CURVE credentials", "");
        log_denied(self, "malformed CURVE credentials", key, address);
    } else {
        const uint8_t *pub = zmq_msg_data(&f[6]);
        zmq_z85_encode(key, pub, 32);
        pthread_mutex_lock(&self->lock);
        auth_role_t role = lookup(&self->keys, pub);
        pthread_mutex_unlock(&self->lock);
        if (role == AUTH_ROLE_NONE) {
            zap_reply(self->zap, rid, "400", "key not authorized", "");
            log_denied(self, "key not in the authorized-keys file", key, address);
        } else {
            zap_reply(self->zap, rid, "200", "OK", auth_role_name(role));
            log_emit(self->log_level, LOG_LEVEL_INFO, "client_admitted",
                     "role=%s key=%s address=\"%s\"", auth_role_name(role), key, address);
        }
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

static void *zap_main(void *arg)
{
    auth_t *self = arg;
    zmq_pollitem_t it = {self->zap, 0, ZMQ_POLLIN, 0};
    while (!atomic_load(&self->stop)) {
        int rc = zmq_poll(&it, 1, 100);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            /* The socket stays bound and unanswered: handshakes stall, nobody gets in. */
            log_emit(self->log_level, LOG_LEVEL_ERROR, "zap_handler_failed", "reason=\"%s\"",
                     zmq_strerror(zmq_errno()));
            break;
        }
        if (rc > 0 && (it.revents & ZMQ_POLLIN))
            zap_serve_one(self);
    }
    return NULL;
}

auth_t *auth_new(void *zmq_ctx, const char *keys_path, log_level_t log_level, char *err,
                 size_t errlen)
{
    auth_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    self->log_level = log_level;
    self->path = strdup(keys_path);
    if (!self->path) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (load_keys(keys_path, &self->keys, err, errlen) < 0)
        goto fail;
    self->zap = zmq_socket(zmq_ctx, ZMQ_REP);
    int linger = 0;
    if (!self->zap || zmq_setsockopt(self->zap, ZMQ_LINGER, &linger, sizeof linger) < 0) {
        snprintf(err, errlen, "ZAP socket: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (zmq_bind(self->zap, ZAP_ENDPOINT) < 0) {
        snprintf(err, errlen,
                 "cannot bind the ZAP handler on %s: %s (another handler in this "
                 "process?)",
                 ZAP_ENDPOINT, zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (pthread_create(&self->thread, NULL, zap_main, self) != 0) {
        snprintf(err, errlen, "cannot start the ZAP thread");
        goto fail;
    }
    self->started = 1;
    if (self->keys.n == 0)
        log_emit(log_level, LOG_LEVEL_WARN, "no_authorized_keys",
                 "file=%s detail=\"the file lists no key: nobody can connect\"", keys_path);
    return self;
fail:
    auth_destroy(&self);
    return NULL;
}

int auth_reload(auth_t *self, char *err, size_t errlen)
{
    keylist_t fresh, old;
    if (load_keys(self->path, &fresh, err, errlen) < 0)
        return -1;
    pthread_mutex_lock(&self->lock);
    old = self->keys;
    self->keys = fresh;
    pthread_mutex_unlock(&self->lock);
    free(old.v);
    return 0;
}

size_t auth_key_count(auth_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->keys.n;
    pthread_mutex_unlock(&self->lock);
    return n;
}

void auth_destroy(auth_t **self_p)
{
    auth_t *self = *self_p;
    if (!self)
        return;
    if (self->started) {
        atomic_store(&self->stop, 1);
        pthread_join(self->thread, NULL);
    }
    if (self->zap)
        zmq_close(self->zap);
    free(self->keys.v);
    free(self->path);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
