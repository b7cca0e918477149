/* bench_server: Assign throughput and latency through a real liftd child, next to a bare libzmq
 * ROUTER echo of the same message sizes on the same transport (ipc:// in a temporary
 * directory), with pipelined DEALER clients. Phases: echo, first exposures (written, group
 * commit), repeats (sticky, nothing written), AssignBatch of 1,000 new customers. Built as
 * build/bench_server, run by `make bench` (LIFT_BUILD names the build folder). Loopback only;
 * not a test: it prints figures and exits 1 only when something went wrong. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "lift.pb-c.h"
#include "lift/client.h"
#include "lift/local.h"
#include "../tests/testutil.h"

#define NREQ 200000          /* requests per single-assign phase (BENCH_REQUESTS overrides) */
#define NREQ_MAX 5000000     /* bound on BENCH_REQUESTS */
#define NCLIENTS 4           /* DEALER clients, one thread each */
#ifndef WINDOW
#define WINDOW 64 /* outstanding requests per client (-DWINDOW=n to try others) */
#endif
#define BATCH_SIZE 1000      /* customers per AssignBatch */
#define NBATCH 200           /* AssignBatch requests (200k customers) */
#define BATCH_WINDOW 4       /* outstanding AssignBatch requests per client */
#define VERIFY_EVERY 16      /* decode and check one reply in this many */
#define RECV_TIMEOUT_MS 10000 /* a phase stalled this long is a failure */
#define FSYNC_ROUNDS 100     /* fdatasync samples for the disk figure */
#define ID_LEN 13            /* "cust-00000000" */
#define TARGET_REPEAT_RATIO 0.5
#define TARGET_FIRST_RATIO 0.2
#define TARGET_REPEAT_INSTR 3.0
#define PROBES 64            /* Assigns that measure the mean reply size */
#define ROUNDS 3             /* echo and repeats: best of (they can be rerun unchanged) */
#define TRACK_PER 100        /* events per Track request in the instruction count */
#define CG_REQUESTS 20000    /* requests per phase under callgrind (BENCH_CALLGRIND_REQUESTS) */

static const char EXP_KEY[] = "bench-upsell";

/* ---- requests, packed ahead of time ----------------------------------------------------- */

/* A client's requests, packed back to back. */
typedef struct {
    uint8_t *buf;    /* all packed requests */
    size_t *off;     /* n + 1 offsets into buf */
    int n;           /* requests */
    uint64_t base;   /* request_id of request 0; request i has base + i */
} reqset_t;

static void reqset_free(reqset_t *r)
{
    free(r->buf);
    free(r->off);
    memset(r, 0, sizeof *r);
}

static Lift__Context bench_context(void)
{
    Lift__Context c = LIFT__CONTEXT__INIT;
    c.has_trigger = c.has_stage = c.has_channel = 1;
    c.trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD;
    c.stage = LIFT__STAGE__STAGE_GROWTH;
    c.channel = LIFT__CHANNEL__CHANNEL_IN_APP;
    return c;
}

/* Buffers for n requests of cap bytes in all, request i with request_id base + i. 0 / -1. */
static int reqset_open(reqset_t *r, int n, uint64_t base, size_t cap)
{
    r->buf = malloc(cap);
    r->off = malloc(((size_t)n + 1) * sizeof *r->off);
    if (!r->buf || !r->off)
        return -1;
    r->n = n;
    r->base = base;
    r->off[0] = 0;
    return 0;
}

/* Packs request i after request i - 1. 0, or -1 when it would pass cap. */
static int reqset_pack(reqset_t *r, int i, const Lift__Request *req, size_t cap)
{
    size_t len = lift__request__get_packed_size(req);
    if (r->off[i] + len > cap)
        return -1;
    lift__request__pack(req, r->buf + r->off[i]);
    r->off[i + 1] = r->off[i] + len;
    return 0;
}

/* Assign requests for customers prefix-<first + i>, i < n; or AssignBatch requests of `per`
 * customers each when per > 0. Returns 0 / -1. */
static int reqset_make(reqset_t *r, const char *prefix, int first, int n, int per, uint64_t base)
{
    Lift__Context ctx = bench_context();
    char ids[BATCH_SIZE][ID_LEN + 8];
    char *idp[BATCH_SIZE];
    size_t cap = (size_t)n * (per > 0 ? (size_t)per * 24 + 64 : 64);
    memset(r, 0, sizeof *r);
    if (reqset_open(r, n, base, cap) < 0)
        goto fail;
    for (int i = 0; i < n; i++) {
        Lift__Request req = LIFT__REQUEST__INIT;
        Lift__Assign a = LIFT__ASSIGN__INIT;
        Lift__AssignBatch b = LIFT__ASSIGN_BATCH__INIT;
        req.has_request_id = 1;
        req.request_id = base + (uint64_t)i;
        if (per > 0) {
            for (int k = 0; k < per; k++) {
                snprintf(ids[k], sizeof ids[k], "%s-%08d", prefix, first + i * per + k);
                idp[k] = ids[k];
            }
            b.experiment_key = (char *)EXP_KEY;
            b.n_customer_ids = (size_t)per;
            b.customer_ids = idp;
            b.context = &ctx;
            req.body_case = LIFT__REQUEST__BODY_ASSIGN_BATCH;
            req.assign_batch = &b;
        } else {
            snprintf(ids[0], sizeof ids[0], "%s-%08d", prefix, first + i);
            a.experiment_key = (char *)EXP_KEY;
            a.customer_id = ids[0];
            a.context = &ctx;
            req.body_case = LIFT__REQUEST__BODY_ASSIGN;
            req.assign = &a;
        }
        if (reqset_pack(r, i, &req, cap) < 0)
            goto fail;
    }
    return 0;
fail:
    reqset_free(r);
    return -1;
}

/* Track requests of `per` conversion events each (ids prefix-<first + k>), request i has
 * request_id base + i. Returns 0 / -1. */
static int reqset_track(reqset_t *r, const char *prefix, int first, int n, int per, uint64_t base)
{
    char ids[TRACK_PER][32], custs[TRACK_PER][32];
    Lift__Event ev[TRACK_PER], *evp[TRACK_PER];
    size_t cap = (size_t)n * ((size_t)per * 96 + 64);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 - 60000;
    memset(r, 0, sizeof *r);
    if (per > TRACK_PER)
        return -1;
    if (reqset_open(r, n, base, cap) < 0)
        goto fail;
    for (int i = 0; i < n; i++) {
        Lift__Request req = LIFT__REQUEST__INIT;
        Lift__Track t = LIFT__TRACK__INIT;
        for (int k = 0; k < per; k++) {
            Lift__Event init = LIFT__EVENT__INIT;
            ev[k] = init;
            snprintf(ids[k], sizeof ids[k], "%s-%08d", prefix, first + i * per + k);
            snprintf(custs[k], sizeof custs[k], "cust-%08d", (first + i * per + k) % 100000);
            ev[k].event_id = ids[k];
            ev[k].customer_id = custs[k];
            ev[k].has_type = 1;
            ev[k].type = LIFT__EVENT_TYPE__EVENT_CONVERSION;
            ev[k].has_timestamp_ms = 1;
            ev[k].timestamp_ms = now;
            ev[k].has_amount_minor = 1;
            ev[k].amount_minor = 1000 + k;
            ev[k].plan_from = "starter";
            ev[k].plan_to = "pro";
            evp[k] = &ev[k];
        }
        t.n_events = (size_t)per;
        t.events = evp;
        req.has_request_id = 1;
        req.request_id = base + (uint64_t)i;
        req.body_case = LIFT__REQUEST__BODY_TRACK;
        req.track = &t;
        if (reqset_pack(r, i, &req, cap) < 0)
            goto fail;
    }
    return 0;
fail:
    reqset_free(r);
    return -1;
}

/* request_id of a packed Request or Reply: field 1, a varint, packed first by protobuf-c. The
 * echo server copies it, so both servers are timed with the same client code. */
static int read_request_id(const uint8_t *p, size_t len, uint64_t *out)
{
    if (len < 2 || p[0] != 0x08)
        return -1;
    uint64_t v = 0;
    for (size_t i = 1, shift = 0; i < len && shift < 64; i++, shift += 7) {
        v |= (uint64_t)(p[i] & 0x7f) << shift;
        if (!(p[i] & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* ---- clients ------------------------------------------------------------------------------ */

enum { CHECK_NONE, CHECK_FIRST, CHECK_REPEAT, CHECK_BATCH, CHECK_TRACK };

typedef struct {
    void *zctx;                /* shared client context */
    const char *endpoint;      /* where to connect */
    const reqset_t *reqs;      /* what to send */
    int window;                /* outstanding requests */
    int check;                 /* CHECK_*: what a correct reply looks like */
    int per;                   /* customers per request (batch) */
    pthread_barrier_t *start;  /* all clients begin together */
    double *sent_at;           /* reqs->n send times */
    double *lat_us;            /* reqs->n round trips, microseconds */
    double done_at;            /* when the last reply arrived */
    long bad;                  /* replies that were wrong */
    char err[160];             /* first failure */
} client_t;

/* Decode a liftd reply and check it against the phase. Returns 0 when right. */
static int check_reply(const client_t *c, const uint8_t *p, size_t len)
{
    Lift__Reply *rep = lift__reply__unpack(NULL, len, p);
    if (c->check == CHECK_TRACK) {
        int good = rep && rep->status && rep->status->code == LIFT__CODE__OK &&
                   rep->body_case == LIFT__REPLY__BODY_TRACK &&
                   rep->track->accepted + rep->track->duplicates == (uint32_t)c->per;
        if (rep)
            lift__reply__free_unpacked(rep, NULL);
        return good ? 0 : -1;
    }
    int ok = rep && rep->status && rep->status->code == LIFT__CODE__OK &&
             rep->body_case == LIFT__REPLY__BODY_ASSIGN && rep->assign &&
             rep->assign->n_assignments == (size_t)(c->per > 0 ? c->per : 1);
    for (size_t i = 0; ok && i < rep->assign->n_assignments; i++) {
        const Lift__Assignment *a = rep->assign->assignments[i];
        int want_first = c->check != CHECK_REPEAT;
        ok = a->in_experiment && a->arm_index >= 0 && a->arm_index < 2 &&
             !!a->first_exposure == want_first;
    }
    if (rep)
        lift__reply__free_unpacked(rep, NULL);
    return ok ? 0 : -1;
}

static void *client_run(void *arg)
{
    client_t *c = arg;
    const reqset_t *r = c->reqs;
    void *sock = zmq_socket(c->zctx, ZMQ_DEALER);
    int timeout = RECV_TIMEOUT_MS, linger = 0, hwm = 100000;
    int sent = 0, got = 0;
    if (!sock || zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
        zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm) < 0 ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm) < 0 ||
        zmq_connect(sock, c->endpoint) < 0) {
        snprintf(c->err, sizeof c->err, "client socket: %s", zmq_strerror(zmq_errno()));
        pthread_barrier_wait(c->start);
        goto done;
    }
    pthread_barrier_wait(c->start);
    while (got < r->n) {
        while (sent < r->n && sent - got < c->window) {
            c->sent_at[sent] = tu_now_s();
            if (zmq_send(sock, r->buf + r->off[sent], r->off[sent + 1] - r->off[sent], 0) < 0) {
                snprintf(c->err, sizeof c->err, "send: %s", zmq_strerror(zmq_errno()));
                goto done;
            }
            sent++;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            int e = zmq_errno();
            zmq_msg_close(&m);
            if (e == EINTR)
                continue;
            snprintf(c->err, sizeof c->err, "no reply after %d ms (%d of %d received): %s",
                     RECV_TIMEOUT_MS, got, r->n, zmq_strerror(e));
            goto done;
        }
        double t = tu_now_s();
        const uint8_t *p = zmq_msg_data(&m);
        size_t len = zmq_msg_size(&m);
        uint64_t id;
        if (read_request_id(p, len, &id) < 0 || id < r->base || id - r->base >= (uint64_t)sent ||
            c->lat_us[id - r->base] >= 0) {
            c->bad++;
            if (!c->err[0])
                snprintf(c->err, sizeof c->err, "reply with an unknown request_id (%zu bytes)",
                         len);
        } else {
            uint64_t i = id - r->base;
            c->lat_us[i] = (t - c->sent_at[i]) * 1e6;
            got++;
            if (c->check != CHECK_NONE && (c->per > 0 || i % VERIFY_EVERY == 0) &&
                check_reply(c, p, len) < 0) {
                c->bad++;
                if (!c->err[0])
                    snprintf(c->err, sizeof c->err, "wrong reply to request %" PRIu64, i);
            }
        }
        zmq_msg_close(&m);
    }
done:
    c->done_at = tu_now_s();
    if (sock)
        zmq_close(sock);
    return NULL;
}

typedef struct {
    double rate;    /* requests per second */
    double p50_us;  /* median round trip */
    double p99_us;  /* 99th percentile round trip */
    long bad;       /* wrong or missing replies */
    int n;          /* requests answered */
    double wall_s;  /* first send to last reply */
    double cpu_us;  /* server loop CPU per request (filled by the caller) */
    double busy;    /* server loop CPU / wall time (filled by the caller) */
    double machine; /* share of all cores busy during the phase (anyone's work) */
} result_t;

/* Busy and total jiffies of all cores, from /proc/stat. */
static void machine_cpu(unsigned long long *busy, unsigned long long *total)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    *busy = *total = 0;
    if (!f)
        return;
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]) == 8) {
        for (int i = 0; i < 8; i++)
            *total += v[i];
        *busy = *total - v[3] - v[4]; /* minus idle and iowait */
    }
    fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Run nclients clients over their request sets against endpoint. Returns 0 / -1. */
static int run_phase(const char *label, const char *endpoint, reqset_t *sets, int nclients,
                     int window, int check, int per, result_t *res)
{
    void *zctx = zmq_ctx_new();
    client_t cl[NCLIENTS];
    pthread_t th[NCLIENTS];
    pthread_barrier_t start;
    int total = 0, rc = 0;
    double *all = NULL;

    memset(res, 0, sizeof *res);
    if (!zctx)
        return -1;
    unsigned long long mb0, mt0, mb1, mt1;
    machine_cpu(&mb0, &mt0);
    pthread_barrier_init(&start, NULL, (unsigned)nclients + 1);
    for (int i = 0; i < nclients; i++) {
        memset(&cl[i], 0, sizeof cl[i]);
        cl[i].zctx = zctx;
        cl[i].endpoint = endpoint;
        cl[i].reqs = &sets[i];
        cl[i].window = window;
        cl[i].check = check;
        cl[i].per = per;
        cl[i].start = &start;
        cl[i].sent_at = calloc((size_t)sets[i].n, sizeof(double));
        cl[i].lat_us = malloc((size_t)sets[i].n * sizeof(double));
        if (!cl[i].sent_at || !cl[i].lat_us) {
            fprintf(stderr, "bench_server: out of memory\n");
            exit(1);
        }
        for (int k = 0; k < sets[i].n; k++)
            cl[i].lat_us[k] = -1;
        total += sets[i].n;
        pthread_create(&th[i], NULL, client_run, &cl[i]);
    }
    pthread_barrier_wait(&start);
    double t0 = tu_now_s(), t1 = t0;
    for (int i = 0; i < nclients; i++) {
        pthread_join(th[i], NULL);
        if (cl[i].done_at > t1)
            t1 = cl[i].done_at;
    }
    pthread_barrier_destroy(&start);
    machine_cpu(&mb1, &mt1);
    res->machine = mt1 > mt0 ? (double)(mb1 - mb0) / (double)(mt1 - mt0) : 0;
    if (getenv("BENCH_TRACE")) /* to cut a profile taken with perf record -k CLOCK_MONOTONIC */
        fprintf(stderr, "bench_server: phase %s from %.6f to %.6f (CLOCK_MONOTONIC s)\n", label,
                t0, t1);

    all = malloc((size_t)total * sizeof *all);
    int n = 0;
    for (int i = 0; i < nclients; i++) {
        res->bad += cl[i].bad;
        if (cl[i].err[0]) {
            fprintf(stderr, "bench_server: %s: client %d: %s\n", label, i, cl[i].err);
            rc = -1;
        }
        for (int k = 0; k < sets[i].n; k++)
            if (cl[i].lat_us[k] >= 0 && all)
                all[n++] = cl[i].lat_us[k];
        free(cl[i].sent_at);
        free(cl[i].lat_us);
    }
    res->bad += total - n;
    if (n > 0 && all) {
        qsort(all, (size_t)n, sizeof *all, cmp_double);
        res->p50_us = all[(size_t)((n - 1) * 0.50)];
        res->p99_us = all[(size_t)((n - 1) * 0.99)];
    }
    res->n = n;
    res->wall_s = t1 - t0;
    res->rate = n / (t1 - t0);
    free(all);
    zmq_ctx_term(zctx);
    return rc == 0 && res->bad == 0 ? 0 : -1;
}

/* Split [0, total) over nclients request sets. */
static int make_sets(reqset_t *sets, int nclients, const char *prefix, int total, int per)
{
    int each = total / nclients;
    for (int i = 0; i < nclients; i++)
        if (reqset_make(&sets[i], prefix, i * each * (per > 0 ? per : 1), each, per,
                        ((uint64_t)(i + 1) << 40)) < 0)
            return -1;
    return 0;
}

static void free_sets(reqset_t *sets, int nclients)
{
    for (int i = 0; i < nclients; i++)
        reqset_free(&sets[i]);
}

/* ---- the echo baseline ---------------------------------------------------------------------- */

typedef struct {
    char endpoint[320];   /* ipc endpoint it binds */
    size_t reply_len;     /* bytes in every reply */
    atomic_int stop;      /* set by the main thread */
    atomic_int ready;     /* 1 bound, -1 failed */
    clockid_t cpu;        /* the echo thread's CPU clock, for its cost per request */
} echo_t;

static volatile sig_atomic_t echo_child_stop; /* SIGTERM in the echo child (callgrind) */

/* Answer every request waiting on the ROUTER: the echo's whole per-request work, in one
 * function that callgrind's --toggle-collect can name (kept out of line for that). */
static __attribute__((noinline)) void echo_drain(void *sock, uint8_t *out, size_t reply_len)
{
    for (;;) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            break;
        }
        zmq_msg_init(&body);
        zmq_msg_recv(&body, sock, 0);
        size_t n = zmq_msg_size(&body) < reply_len ? zmq_msg_size(&body) : reply_len;
        memcpy(out, zmq_msg_data(&body), n);
        zmq_msg_close(&body);
        zmq_msg_send(&id, sock, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(sock, out, reply_len, ZMQ_DONTWAIT);
        zmq_msg_close(&id);
    }
}

/* A bare ROUTER: for each request, reply reply_len bytes that begin with the request's bytes
 * (so the request_id comes back). No decoding, no storage: the transport's own cost. */
static void *echo_run(void *arg)
{
    echo_t *e = arg;
    void *zctx = zmq_ctx_new();
    void *sock = zctx ? zmq_socket(zctx, ZMQ_ROUTER) : NULL;
    int one = 1, linger = 0, hwm = 100000;
    uint8_t *out = calloc(1, e->reply_len);
    if (!sock || !out || zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one) < 0 ||
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
        zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm) < 0 ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm) < 0 || zmq_bind(sock, e->endpoint) < 0) {
        atomic_store(&e->ready, -1);
        goto done;
    }
    pthread_getcpuclockid(pthread_self(), &e->cpu);
    atomic_store(&e->ready, 1);
    zmq_pollitem_t items[] = {{sock, 0, ZMQ_POLLIN, 0}};
    while (!atomic_load(&e->stop) && !echo_child_stop) {
        if (zmq_poll(items, 1, 100) <= 0)
            continue;
        echo_drain(sock, out, e->reply_len);
    }
done:
    free(out);
    if (sock)
        zmq_close(sock);
    if (zctx)
        zmq_ctx_term(zctx);
    return NULL;
}

/* ---- liftd child --------------------------------------------------------------------------- */

/* Start liftd on endpoint with its store in data, debug log (one line per batch) to log. */
static pid_t liftd_start(const char *endpoint, const char *data, const char *log)
{
    const char *b = getenv("LIFT_BUILD");
    char prog[512];
    snprintf(prog, sizeof prog, "%s/liftd", b && *b ? b : "build");
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the bench */
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    execl(prog, prog, "--endpoint", endpoint, "--data", data, "--log-level", "debug",
          (char *)NULL);
    fprintf(stderr, "bench_server: exec %s: %s\n", prog, strerror(errno));
    _exit(127);
}

static void liftd_stop(pid_t pid)
{
    int status;
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
}

typedef struct {
    long batches;  /* batches served (one transaction each) */
    long requests; /* requests in them */
    long commits;  /* batches that wrote: one fsync'd commit each */
    long writes;   /* writes in those */
} batches_t;

/* Sum the "event=batch requests=N writes=W" lines of liftd's debug log in [from, to). */
static void batch_stats(const char *log, long from, long to, batches_t *b)
{
    memset(b, 0, sizeof *b);
    FILE *f = fopen(log, "r");
    char line[512];
    if (!f)
        return;
    fseek(f, from, SEEK_SET);
    while (ftell(f) < to && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "event=batch ");
        const char *q = p ? strstr(p, "requests=") : NULL;
        const char *w = p ? strstr(p, "writes=") : NULL;
        if (!q || !w)
            continue;
        char *end;
        long n = strtol(q + 9, &end, 10), k = strtol(w + 7, &end, 10);
        b->batches++;
        b->requests += n;
        if (k > 0) {
            b->commits++;
            b->writes += k;
        }
    }
    fclose(f);
}

static double thread_cpu_s(clockid_t c)
{
    struct timespec ts;
    return clock_gettime(c, &ts) == 0 ? (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 : 0;
}

/* CPU time (user + system) of liftd's main thread, the request loop, from /proc. */
static double loop_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : 0;
}

/* Mean fdatasync of a 4 KiB write in dir, in ms: what one durable commit costs on this disk. */
static double fsync_ms(const char *dir)
{
    char path[400];
    char block[4096];
    snprintf(path, sizeof path, "%s/fsync-probe", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    memset(block, 'x', sizeof block);
    double t0 = tu_now_s();
    for (int i = 0; i < FSYNC_ROUNDS; i++) {
        if (pwrite(fd, block, sizeof block, (off_t)i * (off_t)sizeof block) < 0 ||
            fdatasync(fd) < 0) {
            close(fd);
            return -1;
        }
    }
    double t = (tu_now_s() - t0) / FSYNC_ROUNDS * 1e3;
    close(fd);
    unlink(path);
    return t;
}

/* Send every request of r through a raw DEALER, one at a time; returns the mean reply size
 * (rounded), or 0 when a reply is missing. */
static size_t probe_reply_len(const char *endpoint, const reqset_t *r)
{
    void *zctx = zmq_ctx_new();
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    int timeout = 5000, linger = 0;
    size_t total = 0;
    int got = 0;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(s, endpoint) == 0) {
        for (int i = 0; i < r->n; i++) {
            zmq_msg_t m;
            if (zmq_send(s, r->buf + r->off[i], r->off[i + 1] - r->off[i], 0) < 0)
                break;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s, 0) >= 0) {
                total += zmq_msg_size(&m);
                got++;
            }
            zmq_msg_close(&m);
        }
    }
    zmq_close(s);
    zmq_ctx_term(zctx);
    return got == r->n && got > 0 ? (total + (size_t)got / 2) / (size_t)got : 0;
}

static int setup_experiment(const char *endpoint)
{
    lift_client_opts_t o = {.timeout_ms = 200, .attempts = 1};
    lift_client_t *c = lift_client_new(endpoint, &o);
    int ok = 0;
    for (int i = 0; i < 100 && c && !ok; i++)
        ok = lift_ping(c, NULL, 0, NULL) == LIFT_OK;
    if (!ok) {
        fprintf(stderr, "bench_server: liftd did not answer a ping within 20 s\n");
        lift_client_destroy(&c);
        return -1;
    }
    tu_experiment_t x;
    tu_two_arms(&x, EXP_KEY, 0.5, 0.5)->name = "bench_server experiment";
    x.arm[1].name = "annual-offer";
    x.arm[1].payload = "offer-annual-20";
    int rc = 0;
    if (lift_experiment_create(c, &x.x, NULL) != LIFT_OK ||
        lift_experiment_change(c, EXP_KEY, LIFT__ACTION__ACTION_START, 0, NULL) != LIFT_OK) {
        fprintf(stderr, "bench_server: cannot create and start the experiment: %s\n",
                lift_client_error(c));
        rc = -1;
    }
    lift_client_destroy(&c);
    return rc;
}


/* ---- instructions per request, counted by callgrind ----------------------------------------- */

/* Instructions of the server's request work per request, counted by callgrind: liftd's
 * serve_batch (receive, decode, handle, commit, reply) and the echo's echo_drain, each run
 * under valgrind --toggle-collect with a fixed number of requests. Unlike a rate it does not
 * move with the machine's load. 0 = not measured. */
typedef struct {
    double echo;   /* echo_drain, per request */
    double first;  /* serve_batch, per first-exposure Assign */
    double repeat; /* serve_batch, per repeat Assign */
    double track;  /* serve_batch, per tracked event (TRACK_PER per request) */
} cg_t;

/* Ir total of a callgrind output file, or -1. */
static double cg_total(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    double v = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "totals:", 7) == 0 || strncmp(line, "summary:", 8) == 0)
            v = strtod(line + (line[0] == 't' ? 7 : 8), NULL);
    fclose(f);
    return v;
}

static int cg_control(const char *opt, pid_t pid)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "callgrind_control %s %d >/dev/null 2>&1", opt, (int)pid);
    return system(cmd) == 0 ? 0 : -1;
}

/* valgrind --tool=callgrind --toggle-collect=fn --callgrind-out-file=out prog args... */
static pid_t cg_spawn(const char *fn, const char *out, const char *log, char *const args[])
{
    char toggle[128], outopt[400];
    char *argv[16];
    int n = 0;
    snprintf(toggle, sizeof toggle, "--toggle-collect=%s", fn);
    snprintf(outopt, sizeof outopt, "--callgrind-out-file=%s", out);
    argv[n++] = "valgrind";
    argv[n++] = "--tool=callgrind";
    argv[n++] = toggle;
    argv[n++] = outopt;
    for (int i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    execvp(argv[0], argv);
    _exit(127);
}

static int make_track_sets(reqset_t *sets, int nclients, const char *prefix, int total, int per)
{
    int each = total / nclients;
    for (int i = 0; i < nclients; i++)
        if (reqset_track(&sets[i], prefix, i * each * per, each, per,
                         ((uint64_t)(i + 1) << 40)) < 0)
            return -1;
    return 0;
}

/* Fills *cg; returns 0, or -1 with the reason printed (the timed figures still follow). */
static int cg_measure(const char *dir, size_t reply_len, int ncg, cg_t *cg)
{
    char self_exe[512], ep[400], out[400], log[400], data[400], rl[32], prog[512];
    reqset_t sets[NCLIENTS];
    result_t r;
    int rc = -1, status;
    pid_t pid = -1;
    memset(cg, 0, sizeof *cg);
    memset(sets, 0, sizeof sets);
    if (system("command -v valgrind >/dev/null 2>&1 && command -v callgrind_control "
               ">/dev/null 2>&1") != 0) {
        printf("  instructions per request: not measured (valgrind / callgrind_control "
               "missing)\n");
        return -1;
    }
    ssize_t k = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (k <= 0)
        return -1;
    self_exe[k] = '\0';
    /* The echo, alone in a child under callgrind. */
    snprintf(ep, sizeof ep, "ipc://%s/cg-echo.sock", dir);
    snprintf(out, sizeof out, "%s/cg.echo", dir);
    snprintf(log, sizeof log, "%s/cg-echo.log", dir);
    snprintf(rl, sizeof rl, "%zu", reply_len);
    char *eargs[] = {self_exe, "--echo-child", ep, rl, NULL};
    if (make_sets(sets, NCLIENTS, "cgcu", ncg, 0) < 0)
        goto done;
    pid = cg_spawn("echo_drain", out, log, eargs);
    if (pid < 0 || run_phase("cg echo", ep, sets, NCLIENTS, WINDOW, CHECK_NONE, 0, &r) < 0)
        goto done;
    kill(pid, SIGTERM);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    cg->echo = cg_total(out) / r.n;
    /* liftd under callgrind: counters zeroed after the setup, dumped after each phase. */
    const char *b = getenv("LIFT_BUILD");
    snprintf(prog, sizeof prog, "%s/liftd", b && *b ? b : "build");
    snprintf(ep, sizeof ep, "ipc://%s/cg-liftd.sock", dir);
    snprintf(out, sizeof out, "%s/cg.liftd", dir);
    snprintf(log, sizeof log, "%s/cg-liftd.log", dir);
    snprintf(data, sizeof data, "%s/cgdata", dir);
    char *largs[] = {prog, "--endpoint", ep, "--data", data, NULL};
    pid = cg_spawn("serve_batch", out, log, largs);
    if (pid < 0 || setup_experiment(ep) < 0 || cg_control("-z", pid) < 0)
        goto done;
    char part[420];
    if (run_phase("cg first", ep, sets, NCLIENTS, WINDOW, CHECK_FIRST, 0, &r) < 0 ||
        cg_control("-d", pid) < 0)
        goto done;
    snprintf(part, sizeof part, "%s.1", out);
    cg->first = cg_total(part) / r.n;
    if (run_phase("cg repeat", ep, sets, NCLIENTS, WINDOW, CHECK_REPEAT, 0, &r) < 0 ||
        cg_control("-d", pid) < 0)
        goto done;
    snprintf(part, sizeof part, "%s.2", out);
    cg->repeat = cg_total(part) / r.n;
    free_sets(sets, NCLIENTS);
    /* ncg events: ncg / TRACK_PER requests. */
    if (make_track_sets(sets, NCLIENTS, "cgev", ncg / TRACK_PER, TRACK_PER) < 0 ||
        run_phase("cg track", ep, sets, NCLIENTS, 4, CHECK_TRACK, TRACK_PER, &r) < 0 ||
        cg_control("-d", pid) < 0)
        goto done;
    snprintf(part, sizeof part, "%s.3", out);
    cg->track = cg_total(part) / ((double)r.n * TRACK_PER);
    rc = cg->echo > 0 && cg->first > 0 && cg->repeat > 0 && cg->track > 0 ? 0 : -1;
done:
    if (pid > 0) {
        kill(pid, SIGTERM);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    free_sets(sets, NCLIENTS);
    if (rc < 0)
        printf("  instructions per request: callgrind measurement failed (logs in %s)\n", dir);
    return rc;
}

/* ---- local evaluation (lift/local.h) -------------------------------------------------------- */

#define LOCAL_CUSTOMERS 1000000 /* distinct customers decided locally */
#define LOCAL_REPEATS 5         /* passes over them after the first */
#define LOCAL_FLUSH_N 200000    /* exposures timed through one flush */
#define TARGET_LOCAL_MPS 5.0    /* M assignments/s on one thread */

/* Decisions of lift_local_t on this thread, exposures on (each new customer's queued and sent
 * in the background), then the flush throughput of a queue of LOCAL_FLUSH_N exposures.
 * Returns 0 / -1. */
static int bench_local(const char *endpoint)
{
    lift_local_opts_t o = {.buffer_max = LOCAL_CUSTOMERS, .remember = LOCAL_CUSTOMERS};
    char err[256];
    lift_local_t *l = lift_local_new(endpoint, &o, err, sizeof err);
    char *ids = malloc((size_t)LOCAL_CUSTOMERS * 16);
    if (!l || !ids) {
        fprintf(stderr, "bench_server: local: %s\n", l ? "out of memory" : err);
        lift_local_destroy(&l);
        free(ids);
        return -1;
    }
    for (int i = 0; i < LOCAL_CUSTOMERS; i++)
        snprintf(ids + (size_t)i * 16, 16, "loc-%08d", i);
    lift_context_t ctx = {.trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD,
                          .stage = LIFT__STAGE__STAGE_GROWTH,
                          .channel = LIFT__CHANNEL__CHANNEL_IN_APP};
    lift_assignment_t a;
    long in = 0, bad = 0;
    double t0 = tu_now_s();
    for (int i = 0; i < LOCAL_CUSTOMERS; i++) {
        bad += lift_local_assign(l, EXP_KEY, ids + (size_t)i * 16, &ctx, &a) != LIFT_OK;
        in += a.first_exposure;
    }
    double t1 = tu_now_s(), best = 0;
    for (int r = 0; r < LOCAL_REPEATS; r++) {
        double p0 = tu_now_s();
        for (int i = 0; i < LOCAL_CUSTOMERS; i++) {
            bad += lift_local_assign(l, EXP_KEY, ids + (size_t)i * 16, &ctx, &a) != LIFT_OK;
            in += a.first_exposure;
        }
        double rate = LOCAL_CUSTOMERS / (tu_now_s() - p0) / 1e6;
        if (rate > best)
            best = rate;
    }
    double t2 = tu_now_s();
    lift_err_t fl = lift_local_flush(l, 120000);
    double t3 = tu_now_s();
    lift_local_stats_t st;
    lift_local_stats(l, &st);
    lift_local_destroy(&l);
    double first = LOCAL_CUSTOMERS / (t1 - t0) / 1e6;
    double repeat = (double)LOCAL_CUSTOMERS * LOCAL_REPEATS / (t2 - t1) / 1e6;
    printf("assign: local, 1 thread, exposures on: %.1f M assignments/s over repeats of %d "
           "customers (best pass of %d; mean %.1f), %.1f M assignments/s for new customers (each "
           "queues its exposure); target >= %.0f M/s: %s\n",
           best, LOCAL_CUSTOMERS, LOCAL_REPEATS, repeat, first, TARGET_LOCAL_MPS,
           best >= TARGET_LOCAL_MPS ? "met" : "NOT MET");
    printf("assign: local exposures: %llu queued, %llu acknowledged by liftd (%s %.2f s after the "
           "decisions), %llu dropped, %llu skew\n",
           (unsigned long long)st.queued, (unsigned long long)st.sent,
           fl == LIFT_OK ? "all" : "NOT all", t3 - t2, (unsigned long long)st.dropped,
           (unsigned long long)st.skew);
    if (bad || st.queued != (uint64_t)in) {
        fprintf(stderr, "bench_server: local: %ld failed decisions\n", bad);
        free(ids);
        return -1;
    }
    /* Flush throughput: a queue of LOCAL_FLUSH_N new exposures, sent by one flush. */
    lift_local_opts_t q = {.buffer_max = LOCAL_FLUSH_N, .flush_ms = 3600 * 1000};
    l = lift_local_new(endpoint, &q, err, sizeof err);
    if (!l) {
        free(ids);
        return -1;
    }
    for (int i = 0; i < LOCAL_FLUSH_N; i++) {
        snprintf(ids, 16, "lfl-%08d", i);
        lift_local_assign(l, EXP_KEY, ids, &ctx, &a);
    }
    lift_local_stats(l, &st);
    uint64_t queued = st.queued;
    t0 = tu_now_s();
    fl = lift_local_flush(l, 120000);
    t1 = tu_now_s();
    lift_local_stats(l, &st);
    lift_local_destroy(&l);
    free(ids);
    printf("exposures: local flush %.0f exposures/s (%llu queued, %llu acknowledged in %.2f s; "
           "RecordExposures of %d, group commit)\n",
           st.sent / (t1 - t0), (unsigned long long)queued, (unsigned long long)st.sent, t1 - t0,
           LIFT_LOCAL_FLUSH_BATCH);
    return fl == LIFT_OK ? 0 : -1;
}

/* ---- main ----------------------------------------------------------------------------------- */

/* What the server loop spent on a phase: cpu0/cpu1 are its CPU seconds before and after. */
static void set_cpu(result_t *r, double cpu0, double cpu1)
{
    r->cpu_us = r->n ? (cpu1 - cpu0) / r->n * 1e6 : 0;
    r->busy = r->wall_s > 0 ? (cpu1 - cpu0) / r->wall_s : 0;
}

static void print_line(const char *label, const result_t *r, double base, const char *unit,
                       double instr, double echo_instr)
{
    printf("%-31s %9.0f %s  p50 %6.3f ms  p99 %6.3f ms  loop %5.2f us/req (%3.0f%% busy)  "
           "cores %3.0f%%",
           label, r->rate, unit, r->p50_us / 1e3, r->p99_us / 1e3, r->cpu_us, r->busy * 100,
           r->machine * 100);
    if (base > 0)
        printf("  %.2fx echo", r->rate / base);
    if (instr > 0 && echo_instr > 0 && instr != echo_instr)
        printf("  %6.0f instr/req (%.1fx echo's %.0f)", instr, instr / echo_instr, echo_instr);
    else if (instr > 0)
        printf("  %6.0f instr/req", instr);
    printf("\n");
}

/* Run a phase `rounds` times against the same requests and keep the fastest round. */
static int best_of(int rounds, const char *label, const char *endpoint, reqset_t *sets,
                   int check, double (*cpu)(const void *), const void *cpu_arg, result_t *best)
{
    memset(best, 0, sizeof *best);
    for (int i = 0; i < rounds; i++) {
        result_t r;
        double c0 = cpu(cpu_arg);
        if (run_phase(label, endpoint, sets, NCLIENTS, WINDOW, check, 0, &r) < 0)
            return -1;
        set_cpu(&r, c0, cpu(cpu_arg));
        if (r.rate > best->rate)
            *best = r;
    }
    return 0;
}

static double echo_cpu(const void *arg)
{
    return thread_cpu_s(((const echo_t *)arg)->cpu);
}

static double liftd_cpu(const void *arg)
{
    return loop_cpu_s(*(const pid_t *)arg);
}

static void on_term(int sig)
{
    (void)sig;
    echo_child_stop = 1;
}

/* bench_server --echo-child ENDPOINT REPLY_LEN: the echo alone, until SIGTERM (run under
 * callgrind by cg_measure). */
static int echo_child(const char *endpoint, const char *reply_len)
{
    echo_t e;
    memset(&e, 0, sizeof e);
    snprintf(e.endpoint, sizeof e.endpoint, "%s", endpoint);
    e.reply_len = (size_t)strtoul(reply_len, NULL, 10);
    if (e.reply_len == 0 || e.reply_len > 4096)
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    echo_run(&e);
    return atomic_load(&e.ready) == 1 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--echo-child") == 0)
        return echo_child(argv[2], argv[3]);
    char dir[256], data[300], log[300], lift_ep[320];
    const char *tmp = getenv("TMPDIR");
    reqset_t sets[NCLIENTS], warm[1];
    result_t echo_r, first_r, repeat_r, batch_r, track_r;
    cg_t cg;
    batches_t first_b, repeat_b;
    echo_t echo;
    pthread_t echo_th;
    pid_t pid = -1;
    int rc = 1, echo_started = 0;
    double t_all = tu_now_s();
    int nreq = NREQ;
    const char *env = getenv("BENCH_REQUESTS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end || v < NCLIENTS || v > NREQ_MAX) {
            fprintf(stderr, "bench_server: BENCH_REQUESTS=%s: want %d..%d\n", env, NCLIENTS,
                    NREQ_MAX);
            return 2;
        }
        nreq = (int)v;
    }

    memset(sets, 0, sizeof sets);
    memset(warm, 0, sizeof warm);
    memset(&echo, 0, sizeof echo);
    snprintf(dir, sizeof dir, "%s/lift-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_server: mkdtemp %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(log, sizeof log, "%s/liftd.log", dir);
    snprintf(lift_ep, sizeof lift_ep, "ipc://%s/liftd.sock", dir);
    snprintf(echo.endpoint, sizeof echo.endpoint, "ipc://%s/echo.sock", dir);

    pid = liftd_start(lift_ep, data, log);
    if (pid < 0) {
        fprintf(stderr, "bench_server: fork: %s\n", strerror(errno));
        goto done;
    }
    if (setup_experiment(lift_ep) < 0)
        goto done;

    /* Message sizes: real Assigns and their replies. */
    if (reqset_make(&warm[0], "warm", 0, PROBES, 0, 1) < 0)
        goto done;
    size_t req_len = warm[0].off[1];
    size_t reply_len = probe_reply_len(lift_ep, &warm[0]);
    if (reply_len == 0) {
        fprintf(stderr, "bench_server: no reply to the probe Assigns\n");
        goto done;
    }
    printf("bench_server: ipc:// in %s, %d DEALER clients x %d outstanding, %d requests per "
           "phase, %ld cores online\n",
           dir, NCLIENTS, WINDOW, nreq, sysconf(_SC_NPROCESSORS_ONLN));
    printf("  Assign request %zu B, reply %zu B mean (the echo replies the same sizes); "
           "loop = CPU of the server's request thread, cores = all cores busy (anyone's)\n",
           req_len, reply_len);

    int ncg = CG_REQUESTS;
    const char *cgenv = getenv("BENCH_CALLGRIND_REQUESTS");
    if (cgenv && *cgenv)
        ncg = (int)strtol(cgenv, NULL, 10);
    memset(&cg, 0, sizeof cg);
    if (ncg >= NCLIENTS * TRACK_PER) {
        printf("  instr/req = instructions of the server's request thread per request, counted "
               "by callgrind over %d requests (liftd: serve_batch; echo: echo_drain)\n",
               ncg);
        cg_measure(dir, reply_len, ncg, &cg);
    }

    /* Baseline: the bare echo, fed the very same packed requests as phase (a). */
    echo.reply_len = reply_len;
    if (pthread_create(&echo_th, NULL, echo_run, &echo) != 0)
        goto done;
    echo_started = 1;
    while (atomic_load(&echo.ready) == 0)
        usleep(1000);
    if (atomic_load(&echo.ready) < 0) {
        fprintf(stderr, "bench_server: echo server cannot bind %s\n", echo.endpoint);
        goto done;
    }
    if (make_sets(sets, NCLIENTS, "cust", nreq, 0) < 0) {
        fprintf(stderr, "bench_server: out of memory\n");
        goto done;
    }
    if (best_of(ROUNDS, "echo", echo.endpoint, sets, CHECK_NONE, echo_cpu, &echo, &echo_r) < 0)
        goto done;
    atomic_store(&echo.stop, 1);
    pthread_join(echo_th, NULL);
    echo_started = 0;
    print_line("echo, bare ROUTER (best of 3)", &echo_r, 0, "req/s   ", cg.echo, cg.echo);

    /* (a) first exposures: every customer new, each one written; replies after commit. */
    long log0 = file_size(log);
    double c0 = loop_cpu_s(pid);
    if (run_phase("first", lift_ep, sets, NCLIENTS, WINDOW, CHECK_FIRST, 0, &first_r) < 0)
        goto done;
    set_cpu(&first_r, c0, loop_cpu_s(pid));
    usleep(100000); /* the batch line is logged just after the replies leave */
    long log1 = file_size(log);
    batch_stats(log, log0, log1, &first_b);
    print_line("liftd Assign, first exposure", &first_r, echo_r.rate, "assign/s", cg.first,
               cg.echo);

    /* (b) repeats: the same customers again, sticky, nothing written. */
    if (best_of(ROUNDS, "repeat", lift_ep, sets, CHECK_REPEAT, liftd_cpu, &pid, &repeat_r) < 0)
        goto done;
    usleep(100000);
    batch_stats(log, log1, file_size(log), &repeat_b);
    print_line("liftd Assign, repeat (best of 3)", &repeat_r, echo_r.rate, "assign/s",
               cg.repeat, cg.echo);
    free_sets(sets, NCLIENTS);

    /* AssignBatch of 1,000 new customers per request. */
    if (make_sets(sets, NCLIENTS, "batc", NBATCH, BATCH_SIZE) < 0) {
        fprintf(stderr, "bench_server: out of memory\n");
        goto done;
    }
    c0 = loop_cpu_s(pid);
    if (run_phase("batch", lift_ep, sets, NCLIENTS, BATCH_WINDOW, CHECK_BATCH, BATCH_SIZE,
                  &batch_r) < 0)
        goto done;
    set_cpu(&batch_r, c0, loop_cpu_s(pid));
    printf("%-31s %9.0f %s  p50 %6.2f ms  p99 %6.2f ms  loop %5.2f us/cust (%3.0f%% busy), "
           "per request of %d, %d x %d outstanding\n",
           "liftd AssignBatch, new", batch_r.rate * BATCH_SIZE, "cust/s  ", batch_r.p50_us / 1e3,
           batch_r.p99_us / 1e3, batch_r.cpu_us / BATCH_SIZE, batch_r.busy * 100, BATCH_SIZE,
           NCLIENTS, BATCH_WINDOW);

    /* Track: conversions, TRACK_PER per request, every one new. */
    free_sets(sets, NCLIENTS);
    if (make_track_sets(sets, NCLIENTS, "trk", nreq / TRACK_PER * 10, TRACK_PER) < 0) {
        fprintf(stderr, "bench_server: out of memory\n");
        goto done;
    }
    c0 = loop_cpu_s(pid);
    if (run_phase("track", lift_ep, sets, NCLIENTS, 4, CHECK_TRACK, TRACK_PER, &track_r) < 0)
        goto done;
    set_cpu(&track_r, c0, loop_cpu_s(pid));
    printf("%-31s %9.0f %s  p50 %6.2f ms  p99 %6.2f ms  loop %5.2f us/event (%3.0f%% busy), "
           "%d per request",
           "liftd Track, new events", track_r.rate * TRACK_PER, "event/s ", track_r.p50_us / 1e3,
           track_r.p99_us / 1e3, track_r.cpu_us / TRACK_PER, track_r.busy * 100, TRACK_PER);
    if (cg.track > 0)
        printf("  %6.0f instr/event", cg.track);
    printf("\n");

    if (bench_local(lift_ep) < 0)
        goto done;

    double fs = fsync_ms(dir);
    printf("group commit: first exposures in %ld commits, %.1f exposures per fsync'd commit "
           "(%.1f requests per batch); repeats: %.1f requests per batch\n",
           first_b.commits, first_b.commits ? (double)first_b.writes / first_b.commits : 0.0,
           first_b.batches ? (double)first_b.requests / first_b.batches : 0.0,
           repeat_b.batches ? (double)repeat_b.requests / repeat_b.batches : 0.0);
    if (fs > 0)
        printf("disk: fdatasync of 4 KiB takes %.3f ms here: one commit per exposure would cap "
               "first exposures near %.0f/s; group commit gives %.0f/s (%.0fx)\n",
               fs, 1e3 / fs, first_r.rate, first_r.rate / (1e3 / fs));
    double ratio = repeat_r.rate / echo_r.rate;
    printf("target: repeats >= %.1fx echo: %.2fx, %s; first exposures >= %.1fx echo: %.2fx, %s",
           TARGET_REPEAT_RATIO, ratio, ratio >= TARGET_REPEAT_RATIO ? "met" : "NOT MET",
           TARGET_FIRST_RATIO, first_r.rate / echo_r.rate,
           first_r.rate / echo_r.rate >= TARGET_FIRST_RATIO ? "met" : "NOT MET");
    if (cg.repeat > 0 && cg.echo > 0)
        printf("; repeat instructions <= %.0fx echo: %.1fx, %s", TARGET_REPEAT_INSTR,
               cg.repeat / cg.echo, cg.repeat / cg.echo <= TARGET_REPEAT_INSTR ? "met" : "NOT MET");
    printf("\n");
    printf("total %.1f s\n", tu_now_s() - t_all);
    rc = 0;
done:
    if (echo_started) {
        atomic_store(&echo.stop, 1);
        pthread_join(echo_th, NULL);
    }
    free_sets(sets, NCLIENTS);
    reqset_free(&warm[0]);
    liftd_stop(pid);
    if (getenv("BENCH_KEEP")) /* the callgrind files, for callgrind_annotate */
        fprintf(stderr, "bench_server: kept %s\n", dir);
    else
        tu_rmtree(dir);
    return rc;
}
