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
#include "benchutil.h"

#define NREQ 200000      /* requests per single-assign phase (BENCH_REQUESTS overrides) */
#define NREQ_MAX 5000000 /* bound on BENCH_REQUESTS */
#define NCLIENTS 4       /* DEALER clients, one thread each */
#ifndef WINDOW
#define WINDOW 64 /* outstanding requests per client (-DWINDOW=n to try others) */
#endif
#define BATCH_SIZE 1000       /* customers per AssignBatch */
#define NBATCH 200            /* AssignBatch requests (200k customers) */
#define BATCH_WINDOW 4        /* outstanding AssignBatch requests per client */
#define VERIFY_EVERY 16       /* decode and check one reply in this many */
#define RECV_TIMEOUT_MS 10000 /* a phase stalled this long is a failure */
#define FSYNC_ROUNDS 100      /* fdatasync samples for the disk figure */
#define ID_LEN 13             /* "cust-00000000" */
#define TARGET_REPEAT_RATIO 0.5
#define TARGET_FIRST_RATIO 0.2
#define TARGET_REPEAT_INSTR 3.0
#define PROBES 64         /* Assigns that measure the mean reply size */
#define ROUNDS 3          /* echo and repeats: best of (they can be rerun unchanged) */
#define TRACK_PER 100     /* events per Track request in the instruction count */
#define CG_REQUESTS 20000 /* requests per phase under callgrind (BENCH_CALLGRIND_REQUESTS) */

static const char EXP_KEY[] = "bench-upsell";

/* ---- requests, packed ahead of time ----------------------------------------------------- */

/* A client's requests, packed back to back. */
typedef struct {
    uint8_t *buf;  /* all packed requests */
    size_t *off;   /* n + 1 offsets into buf */
    int n;         /* requests */
    uint64_t base; /* request_id of request 0; request i has base + i */
} reqset_t;

static void reqset_free(reqset_t *r)
{
    free(r->buf);
    free(r->off);
    memset(r, 0, sizeof *r);
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

/* Sets the body of request i; what it points to lives in arg until the request is packed. */
typedef void (*reqbody_fn)(void *arg, int i, Lift__Request *req);

/* n requests of cap bytes in all, request i with request_id base + i and the body body(arg, i)
 * gives it. Returns 0 / -1 (r left empty). */
static int reqset_build(reqset_t *r, int n, uint64_t base, size_t cap, reqbody_fn body, void *arg)
{
    memset(r, 0, sizeof *r);
    if (reqset_open(r, n, base, cap) < 0)
        goto fail;
    for (int i = 0; i < n; i++) {
        Lift__Request req = LIFT__REQUEST__INIT;
        req.has_request_id = 1;
        req.request_id = base + (uint64_t)i;
        body(arg, i, &req);
        if (reqset_pack(r, i, &req, cap) < 0)
            goto fail;
    }
    return 0;
fail:
    reqset_free(r);
    return -1;
}

/* Assign of customer prefix-<first + i>, or AssignBatch of customers prefix-<first + i * per
 * + k>, k < per, when per > 0. */
typedef struct {
    const char *prefix;               /* customer id prefix */
    int first, per;                   /* first customer; customers per request (0: Assign) */
    Lift__Context ctx;                /* every request's context */
    char ids[BATCH_SIZE][ID_LEN + 8]; /* the request's customer ids */
    char *idp[BATCH_SIZE];            /* pointers to them */
    Lift__Assign a;                   /* the Assign body */
    Lift__AssignBatch b;              /* the AssignBatch body */
} assign_body_t;

static void assign_body(void *arg, int i, Lift__Request *req)
{
    assign_body_t *x = arg;
    if (x->per > 0) {
        for (int k = 0; k < x->per; k++) {
            snprintf(x->ids[k], sizeof x->ids[k], "%s-%08d", x->prefix, x->first + i * x->per + k);
            x->idp[k] = x->ids[k];
        }
        lift__assign_batch__init(&x->b);
        x->b.experiment_key = (char *)EXP_KEY;
        x->b.n_customer_ids = (size_t)x->per;
        x->b.customer_ids = x->idp;
        x->b.context = &x->ctx;
        req->body_case = LIFT__REQUEST__BODY_ASSIGN_BATCH;
        req->assign_batch = &x->b;
    } else {
        snprintf(x->ids[0], sizeof x->ids[0], "%s-%08d", x->prefix, x->first + i);
        lift__assign__init(&x->a);
        x->a.experiment_key = (char *)EXP_KEY;
        x->a.customer_id = x->ids[0];
        x->a.context = &x->ctx;
        req->body_case = LIFT__REQUEST__BODY_ASSIGN;
        req->assign = &x->a;
    }
}

/* Assign requests for customers prefix-<first + i>, i < n; or AssignBatch requests of `per`
 * customers each when per > 0. Returns 0 / -1. */
static int reqset_make(reqset_t *r, const char *prefix, int first, int n, int per, uint64_t base)
{
    assign_body_t *x = calloc(1, sizeof *x);
    size_t cap = (size_t)n * (per > 0 ? (size_t)per * 24 + 64 : 64);
    memset(r, 0, sizeof *r);
    if (!x)
        return -1;
    x->prefix = prefix;
    x->first = first;
    x->per = per;
    x->ctx = tu_context();
    int rc = reqset_build(r, n, base, cap, assign_body, x);
    free(x);
    return rc;
}

/* Track of `per` conversion events, ids prefix-<first + i * per + k>. */
typedef struct {
    const char *prefix;                            /* event id prefix */
    int first, per;                                /* first event; events per request */
    int64_t now;                                   /* their timestamp */
    char ids[TRACK_PER][32], custs[TRACK_PER][32]; /* the request's event and customer ids */
    Lift__Event ev[TRACK_PER], *evp[TRACK_PER];    /* its events */
    Lift__Track t;                                 /* the Track body */
} track_body_t;

static void track_body(void *arg, int i, Lift__Request *req)
{
    track_body_t *x = arg;
    for (int k = 0; k < x->per; k++) {
        Lift__Event *e = &x->ev[k];
        lift__event__init(e);
        snprintf(x->ids[k], sizeof x->ids[k], "%s-%08d", x->prefix, x->first + i * x->per + k);
        snprintf(x->custs[k], sizeof x->custs[k], "cust-%08d",
                 (x->first + i * x->per + k) % 100000);
        e->event_id = x->ids[k];
        e->customer_id = x->custs[k];
        e->has_type = 1;
        e->type = LIFT__EVENT_TYPE__EVENT_CONVERSION;
        e->has_timestamp_ms = 1;
        e->timestamp_ms = x->now;
        e->has_amount_minor = 1;
        e->amount_minor = 1000 + k;
        e->plan_from = "starter";
        e->plan_to = "pro";
        x->evp[k] = e;
    }
    lift__track__init(&x->t);
    x->t.n_events = (size_t)x->per;
    x->t.events = x->evp;
    req->body_case = LIFT__REQUEST__BODY_TRACK;
    req->track = &x->t;
}

/* Track requests of `per` conversion events each (ids prefix-<first + k>), request i has
 * request_id base + i. Returns 0 / -1. */
static int reqset_track(reqset_t *r, const char *prefix, int first, int n, int per, uint64_t base)
{
    track_body_t *x = per <= TRACK_PER ? calloc(1, sizeof *x) : NULL;
    size_t cap = (size_t)n * ((size_t)per * 96 + 64);
    memset(r, 0, sizeof *r);
    if (!x)
        return -1;
    x->prefix = prefix;
    x->first = first;
    x->per = per;
    x->now = tu_now_ms() - 60000;
    int rc = reqset_build(r, n, base, cap, track_body, x);
    free(x);
    return rc;
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
    void *zctx;               /* shared client context */
    const char *endpoint;     /* where to connect */
    const reqset_t *reqs;     /* what to send */
    int window;               /* outstanding requests */
    int check;                /* CHECK_*: what a correct reply looks like */
    int per;                  /* customers per request (batch) */
    pthread_barrier_t *start; /* all clients begin together */
    double *sent_at;          /* reqs->n send times */
    double *lat_us;           /* reqs->n round trips, microseconds */
    double done_at;           /* when the last reply arrived */
    long bad;                 /* replies that were wrong */
    char err[160];            /* first failure */
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
        fprintf(stderr, "bench_server: phase %s from %.6f to %.6f (CLOCK_MONOTONIC s)\n", label, t0,
                t1);

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
        qsort(all, (size_t)n, sizeof *all, bench_cmp_double);
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

/* Split [0, total) requests over nclients request sets: Assign requests (per 0), AssignBatch
 * requests of `per` customers, or (track) Track requests of `per` events. */
static int make_sets(reqset_t *sets, int nclients, const char *prefix, int total, int per,
                     int track)
{
    int each = total / nclients;
    for (int i = 0; i < nclients; i++) {
        int first = i * each * (per > 0 ? per : 1);
        uint64_t base = (uint64_t)(i + 1) << 40;
        if ((track ? reqset_track(&sets[i], prefix, first, each, per, base)
                   : reqset_make(&sets[i], prefix, first, each, per, base)) < 0)
            return -1;
    }
    return 0;
}

static void free_sets(reqset_t *sets, int nclients)
{
    for (int i = 0; i < nclients; i++)
        reqset_free(&sets[i]);
}

/* ---- liftd child --------------------------------------------------------------------------- */

/* Start liftd on endpoint with its store in data, debug log (one line per batch) to log. */
static pid_t liftd_start(const char *endpoint, const char *data, const char *log)
{
    const char *const args[] = {"--endpoint",  endpoint, "--data", data,
                                "--log-level", "debug",  NULL};
    return bench_liftd_spawn(log, args);
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
    char buf[1024];
    const char *p = tu_proc_stat(pid, pid, buf, sizeof buf);
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
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
    if (bench_liftd_wait(endpoint, 200, 20) < 0) {
        fprintf(stderr, "bench_server: liftd did not answer a ping within 20 s\n");
        return -1;
    }
    lift_client_opts_t o = {.timeout_ms = 200, .attempts = 1};
    lift_client_t *c = lift_client_new(endpoint, &o);
    tu_experiment_t x;
    tu_two_arms(&x, EXP_KEY, 0.5, 0.5)->name = "bench_server experiment";
    x.arm[1].name = "annual-offer";
    x.arm[1].payload = "offer-annual-20";
    int rc = 0;
    if (!c || lift_experiment_create(c, &x.x, NULL) != LIFT_OK ||
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

/* Fills *cg; returns 0, or -1 with the reason printed (the timed figures still follow). */
static int cg_measure(const char *dir, size_t reply_len, int ncg, cg_t *cg)
{
    char self_exe[512], ep[400], out[400], log[400], data[400], rl[32], prog[512];
    reqset_t sets[NCLIENTS];
    result_t r;
    int rc = -1;
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
    if (make_sets(sets, NCLIENTS, "cgcu", ncg, 0, 0) < 0)
        goto done;
    pid = cg_spawn("echo_drain", out, log, eargs);
    if (pid < 0 || run_phase("cg echo", ep, sets, NCLIENTS, WINDOW, CHECK_NONE, 0, &r) < 0)
        goto done;
    bench_child_stop(pid);
    pid = -1;
    cg->echo = cg_total(out) / r.n;
    /* liftd under callgrind: counters zeroed after the setup, dumped after each phase. */
    tu_program("liftd", prog, sizeof prog);
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
    if (make_sets(sets, NCLIENTS, "cgev", ncg / TRACK_PER, TRACK_PER, 1) < 0 ||
        run_phase("cg track", ep, sets, NCLIENTS, 4, CHECK_TRACK, TRACK_PER, &r) < 0 ||
        cg_control("-d", pid) < 0)
        goto done;
    snprintf(part, sizeof part, "%s.3", out);
    cg->track = cg_total(part) / ((double)r.n * TRACK_PER);
    rc = cg->echo > 0 && cg->first > 0 && cg->repeat > 0 && cg->track > 0 ? 0 : -1;
done:
    bench_child_stop(pid);
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
    lift_context_t ctx = tu_lift_context();
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
static int best_of(int rounds, const char *label, const char *endpoint, reqset_t *sets, int check,
                   double (*cpu)(const void *), const void *cpu_arg, result_t *best)
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
    return thread_cpu_s(((const bench_echo_t *)arg)->cpu);
}

static double liftd_cpu(const void *arg)
{
    return loop_cpu_s(*(const pid_t *)arg);
}

/* bench_server --echo-child ENDPOINT REPLY_LEN: the echo alone, until SIGTERM (run under
 * callgrind by cg_measure). */
static int echo_child(const char *endpoint, const char *reply_len)
{
    bench_echo_t e;
    memset(&e, 0, sizeof e);
    snprintf(e.endpoint, sizeof e.endpoint, "%s", endpoint);
    e.reply_len = (size_t)strtoul(reply_len, NULL, 10);
    if (e.reply_len == 0 || e.reply_len > 4096)
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bench_echo_halt;
    sigaction(SIGTERM, &sa, NULL);
    bench_echo_run(&e);
    return atomic_load(&e.ready) == 1 ? 0 : 1;
}

/* One run: its directory and liftd, the message sizes, and every phase's figures. */
typedef struct {
    char dir[256], data[300], log[300], lift_ep[320]; /* temp dir, store, liftd log, endpoint */
    pid_t pid;                                        /* liftd, -1 when not running */
    int nreq;                                         /* requests per single-assign phase */
    size_t reply_len;                           /* mean Assign reply size (the echo replies it) */
    reqset_t sets[NCLIENTS];                    /* the current phase's requests */
    cg_t cg;                                    /* instructions per request (0: not measured) */
    result_t echo, first, repeat, batch, track; /* each phase's figures */
    batches_t first_b, repeat_b;                /* liftd's batches in the first and repeat phases */
} run_t;

/* The temporary directory, liftd on it with the experiment started, the message sizes (probe
 * Assigns) and the header lines; then the callgrind counts when asked for. Returns 0 / -1. */
static int run_open(run_t *b)
{
    const char *tmp = getenv("TMPDIR");
    reqset_t warm;
    snprintf(b->dir, sizeof b->dir, "%s/lift-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(b->dir)) {
        fprintf(stderr, "bench_server: mkdtemp %s: %s\n", b->dir, strerror(errno));
        b->dir[0] = '\0';
        return -1;
    }
    snprintf(b->data, sizeof b->data, "%s/data", b->dir);
    snprintf(b->log, sizeof b->log, "%s/liftd.log", b->dir);
    snprintf(b->lift_ep, sizeof b->lift_ep, "ipc://%s/liftd.sock", b->dir);
    b->pid = liftd_start(b->lift_ep, b->data, b->log);
    if (b->pid < 0) {
        fprintf(stderr, "bench_server: fork: %s\n", strerror(errno));
        return -1;
    }
    if (setup_experiment(b->lift_ep) < 0)
        return -1;

    /* Message sizes: real Assigns and their replies. */
    if (reqset_make(&warm, "warm", 0, PROBES, 0, 1) < 0)
        return -1;
    size_t req_len = warm.off[1];
    b->reply_len = probe_reply_len(b->lift_ep, &warm);
    reqset_free(&warm);
    if (b->reply_len == 0) {
        fprintf(stderr, "bench_server: no reply to the probe Assigns\n");
        return -1;
    }
    printf("bench_server: ipc:// in %s, %d DEALER clients x %d outstanding, %d requests per "
           "phase, %ld cores online\n",
           b->dir, NCLIENTS, WINDOW, b->nreq, sysconf(_SC_NPROCESSORS_ONLN));
    printf("  Assign request %zu B, reply %zu B mean (the echo replies the same sizes); "
           "loop = CPU of the server's request thread, cores = all cores busy (anyone's)\n",
           req_len, b->reply_len);

    int ncg = CG_REQUESTS;
    const char *cgenv = getenv("BENCH_CALLGRIND_REQUESTS");
    if (cgenv && *cgenv)
        ncg = (int)strtol(cgenv, NULL, 10);
    if (ncg >= NCLIENTS * TRACK_PER) {
        printf("  instr/req = instructions of the server's request thread per request, counted "
               "by callgrind over %d requests (liftd: serve_batch; echo: echo_drain)\n",
               ncg);
        cg_measure(b->dir, b->reply_len, ncg, &b->cg);
    }
    return 0;
}

/* Baseline: the bare echo, fed the very same packed requests as the first exposures (it makes
 * b->sets, which phase_assign uses next). Returns 0 / -1. */
static int phase_echo(run_t *b)
{
    bench_echo_t echo;
    pthread_t th;
    int rc = -1;
    memset(&echo, 0, sizeof echo);
    snprintf(echo.endpoint, sizeof echo.endpoint, "ipc://%s/echo.sock", b->dir);
    echo.reply_len = b->reply_len;
    if (pthread_create(&th, NULL, bench_echo_run, &echo) != 0)
        return -1;
    while (atomic_load(&echo.ready) == 0)
        usleep(1000);
    if (atomic_load(&echo.ready) < 0) {
        fprintf(stderr, "bench_server: echo server cannot bind %s\n", echo.endpoint);
        goto done;
    }
    if (make_sets(b->sets, NCLIENTS, "cust", b->nreq, 0, 0) < 0) {
        fprintf(stderr, "bench_server: out of memory\n");
        goto done;
    }
    rc = best_of(ROUNDS, "echo", echo.endpoint, b->sets, CHECK_NONE, echo_cpu, &echo, &b->echo);
done:
    atomic_store(&echo.stop, 1);
    pthread_join(th, NULL);
    if (rc == 0)
        print_line("echo, bare ROUTER (best of 3)", &b->echo, 0, "req/s   ", b->cg.echo,
                   b->cg.echo);
    return rc;
}

/* (a) first exposures: every customer new, each one written; replies after commit. (b)
 * repeats: the same customers again, sticky, nothing written. Returns 0 / -1. */
static int phase_assign(run_t *b)
{
    long log0 = file_size(b->log);
    double c0 = loop_cpu_s(b->pid);
    if (run_phase("first", b->lift_ep, b->sets, NCLIENTS, WINDOW, CHECK_FIRST, 0, &b->first) < 0)
        return -1;
    set_cpu(&b->first, c0, loop_cpu_s(b->pid));
    usleep(100000); /* the batch line is logged just after the replies leave */
    long log1 = file_size(b->log);
    batch_stats(b->log, log0, log1, &b->first_b);
    print_line("liftd Assign, first exposure", &b->first, b->echo.rate, "assign/s", b->cg.first,
               b->cg.echo);

    if (best_of(ROUNDS, "repeat", b->lift_ep, b->sets, CHECK_REPEAT, liftd_cpu, &b->pid,
                &b->repeat) < 0)
        return -1;
    usleep(100000);
    batch_stats(b->log, log1, file_size(b->log), &b->repeat_b);
    print_line("liftd Assign, repeat (best of 3)", &b->repeat, b->echo.rate, "assign/s",
               b->cg.repeat, b->cg.echo);
    free_sets(b->sets, NCLIENTS);
    return 0;
}

/* AssignBatch of 1,000 new customers per request. Returns 0 / -1. */
static int phase_batch(run_t *b)
{
    if (make_sets(b->sets, NCLIENTS, "batc", NBATCH, BATCH_SIZE, 0) < 0) {
        fprintf(stderr, "bench_server: out of memory\n");
        return -1;
    }
    double c0 = loop_cpu_s(b->pid);
    if (run_phase("batch", b->lift_ep, b->sets, NCLIENTS, BATCH_WINDOW, CHECK_BATCH, BATCH_SIZE,
                  &b->batch) < 0)
        return -1;
    set_cpu(&b->batch, c0, loop_cpu_s(b->pid));
    const result_t *r = &b->batch;
    printf("%-31s %9.0f %s  p50 %6.2f ms  p99 %6.2f ms  loop %5.2f us/cust (%3.0f%% busy), "
           "per request of %d, %d x %d outstanding\n",
           "liftd AssignBatch, new", r->rate * BATCH_SIZE, "cust/s  ", r->p50_us / 1e3,
           r->p99_us / 1e3, r->cpu_us / BATCH_SIZE, r->busy * 100, BATCH_SIZE, NCLIENTS,
           BATCH_WINDOW);
    free_sets(b->sets, NCLIENTS);
    return 0;
}

/* Track: conversions, TRACK_PER per request, every one new. Returns 0 / -1. */
static int phase_track(run_t *b)
{
    if (make_sets(b->sets, NCLIENTS, "trk", b->nreq / TRACK_PER * 10, TRACK_PER, 1) < 0) {
        fprintf(stderr, "bench_server: out of memory\n");
        return -1;
    }
    double c0 = loop_cpu_s(b->pid);
    if (run_phase("track", b->lift_ep, b->sets, NCLIENTS, 4, CHECK_TRACK, TRACK_PER, &b->track) < 0)
        return -1;
    set_cpu(&b->track, c0, loop_cpu_s(b->pid));
    const result_t *r = &b->track;
    printf("%-31s %9.0f %s  p50 %6.2f ms  p99 %6.2f ms  loop %5.2f us/event (%3.0f%% busy), "
           "%d per request",
           "liftd Track, new events", r->rate * TRACK_PER, "event/s ", r->p50_us / 1e3,
           r->p99_us / 1e3, r->cpu_us / TRACK_PER, r->busy * 100, TRACK_PER);
    if (b->cg.track > 0)
        printf("  %6.0f instr/event", b->cg.track);
    printf("\n");
    free_sets(b->sets, NCLIENTS);
    return 0;
}

/* Group commit, the disk's fsync cost, and the targets. */
static void print_summary(const run_t *b)
{
    const batches_t *fb = &b->first_b, *rb = &b->repeat_b;
    double fs = fsync_ms(b->dir);
    printf("group commit: first exposures in %ld commits, %.1f exposures per fsync'd commit "
           "(%.1f requests per batch); repeats: %.1f requests per batch\n",
           fb->commits, fb->commits ? (double)fb->writes / fb->commits : 0.0,
           fb->batches ? (double)fb->requests / fb->batches : 0.0,
           rb->batches ? (double)rb->requests / rb->batches : 0.0);
    if (fs > 0)
        printf("disk: fdatasync of 4 KiB takes %.3f ms here: one commit per exposure would cap "
               "first exposures near %.0f/s; group commit gives %.0f/s (%.0fx)\n",
               fs, 1e3 / fs, b->first.rate, b->first.rate / (1e3 / fs));
    double ratio = b->repeat.rate / b->echo.rate, first = b->first.rate / b->echo.rate;
    printf("target: repeats >= %.1fx echo: %.2fx, %s; first exposures >= %.1fx echo: %.2fx, %s",
           TARGET_REPEAT_RATIO, ratio, ratio >= TARGET_REPEAT_RATIO ? "met" : "NOT MET",
           TARGET_FIRST_RATIO, first, first >= TARGET_FIRST_RATIO ? "met" : "NOT MET");
    const cg_t *cg = &b->cg;
    if (cg->repeat > 0 && cg->echo > 0)
        printf("; repeat instructions <= %.0fx echo: %.1fx, %s", TARGET_REPEAT_INSTR,
               cg->repeat / cg->echo,
               cg->repeat / cg->echo <= TARGET_REPEAT_INSTR ? "met" : "NOT MET");
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--echo-child") == 0)
        return echo_child(argv[2], argv[3]);
    double t_all = tu_now_s();
    run_t b;
    memset(&b, 0, sizeof b);
    b.pid = -1;
    long nreq = bench_env_count("bench_server", "BENCH_REQUESTS", NREQ, NCLIENTS, NREQ_MAX);
    if (nreq < 0)
        return 2;
    b.nreq = (int)nreq;
    int rc = 1;
    if (run_open(&b) < 0 || phase_echo(&b) < 0 || phase_assign(&b) < 0 || phase_batch(&b) < 0 ||
        phase_track(&b) < 0 || bench_local(b.lift_ep) < 0)
        goto done;
    print_summary(&b);
    printf("total %.1f s\n", tu_now_s() - t_all);
    rc = 0;
done:
    free_sets(b.sets, NCLIENTS);
    bench_child_stop(b.pid);
    if (!b.dir[0])
        return rc;
    if (getenv("BENCH_KEEP")) /* the callgrind files, for callgrind_annotate */
        fprintf(stderr, "bench_server: kept %s\n", b.dir);
    else
        tu_rmtree(b.dir);
    return rc;
}
