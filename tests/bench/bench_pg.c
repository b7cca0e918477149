/* bench_pg: the PostgreSQL store on its own throw-away server (fsync on, unix socket), each
 * figure next to a bare baseline in the same run on the same server:
 *   1. how a batch of events is deduplicated: the store (COPY, and when the batch holds an id
 *      stored before, a pipelined multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING) vs COPY
 *      into a temporary table + INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING — fresh
 *      events, the same batches resent, batches half stored before; vs a bare COPY;
 *   2. events through 1 and through 3 liftd (--store postgresql://...) on one database vs a bare
 *      COPY of the same rows into the same table and unique index;
 *   3. AssignBatch of new customers (each first exposure recorded), then of the same customers
 *      again (repeats), through 1 and 3 liftd vs a bare ZeroMQ echo of the same message sizes;
 *   4. the full report (report_build over a store reader: all 4 dimensions, CUPED, sequential)
 *      on the report benchmarks' data set, vs a bare SQL aggregation of the same tables.
 * Bounded counts, loopback only. Usage: bench_pg [events] [batch] [report customers] [report
 * events] (defaults 200000 1000 1000000 10000000). BENCH_PG_ONLY=report runs phase 4 alone;
 * BENCH_PG_EXPLAIN=1 prints the baseline's EXPLAIN ANALYZE; BENCH_PG_PERF=DIR records
 * system-wide perf profiles of phases 2-4 (see perf_start). */
#include <errno.h>
#include <stdatomic.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "pgharness.h"
#include "lift.pb-c.h"
#include "lift/client.h"
#include "lift/stats.h"
#include "report.h"
#include "report_fixture.h"
#include "store.h"
#include "../tests/testutil.h"
#include "benchutil.h"

typedef struct {
    long n;            /* events */
    char (*id)[24];    /* their ids */
    char (*cust)[24];  /* their customers */
    store_event_t *ev; /* the events */
} rows_t;

static int make_rows(rows_t *r, long n)
{
    r->n = n;
    r->id = malloc((size_t)n * sizeof *r->id);
    r->cust = malloc((size_t)n * sizeof *r->cust);
    r->ev = calloc((size_t)n, sizeof *r->ev);
    if (!r->id || !r->cust || !r->ev)
        return -1;
    for (long k = 0; k < n; k++) {
        snprintf(r->id[k], sizeof r->id[k], "inv-%010ld", k);
        snprintf(r->cust[k], sizeof r->cust[k], "cust-%ld", (k * 7919) % 1000000);
        r->ev[k] = (store_event_t){.event_id = r->id[k],
                                   .customer_id = r->cust[k],
                                   .type = 3,
                                   .ts_ms = 1700000000000LL + k,
                                   .has_amount = 1,
                                   .amount_minor = 1000 + k % 9000,
                                   .plan_from = "starter",
                                   .plan_to = "pro",
                                   .nps = -1,
                                   .received_ms = 1700000000000LL + k};
    }
    return 0;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_pg: %s: %s\n", what, msg);
    exit(1);
}

/* Events through the store's API, batch per transaction; returns events/s. */
static double via_store(const char *uri, const rows_t *r, long batch, long *dups)
{
    char err[512];
    store_t *s = store_open(uri, err, sizeof err);
    if (!s)
        die("open", err);
    store_put_t *out = malloc((size_t)batch * sizeof *out);
    double t0 = tu_now_s();
    *dups = 0;
    for (long k = 0; k < r->n; k += batch) {
        long m = r->n - k < batch ? r->n - k : batch;
        if (store_begin(s, err, sizeof err) < 0)
            die("begin", err);
        if (store_events_put(s, r->ev + k, (size_t)m, out, NULL) < 0)
            die("put", store_errmsg(s));
        if (store_commit(s, err, sizeof err) < 0)
            die("commit", err);
        for (long i = 0; i < m; i++)
            *dups += out[i] == STORE_DUPLICATE;
    }
    double dt = tu_now_s() - t0;
    free(out);
    store_destroy(&s);
    return (double)r->n / dt;
}

/* A COPY text field: \N for NULL, backslash, tab and newline escaped. */
static size_t copy_field(char *o, const char *s)
{
    size_t n = 0;
    if (!s) {
        memcpy(o, "\\N", 2);
        return 2;
    }
    for (; *s; s++) {
        if (*s == '\\' || *s == '\t' || *s == '\n')
            o[n++] = '\\';
        o[n++] = *s == '\t' ? 't' : *s == '\n' ? 'n' : *s;
    }
    return n;
}

/* The batch as COPY text rows of the events table's columns. */
static size_t copy_rows(char *buf, size_t cap, const store_event_t *ev, long m)
{
    size_t o = 0;
    for (long i = 0; i < m; i++) {
        const store_event_t *e = &ev[i];
        o += copy_field(buf + o, e->event_id);
        o += (size_t)snprintf(buf + o, cap - o, "\t%lld\t",
                              (long long)(int64_t)store_event_digest(e));
        o += copy_field(buf + o, e->customer_id);
        o += (size_t)snprintf(buf + o, cap - o, "\t%d\t%lld\t\\N\t\\N\t%lld\t", e->type,
                              (long long)e->ts_ms, (long long)e->amount_minor);
        o += copy_field(buf + o, e->plan_from);
        buf[o++] = '\t';
        o += copy_field(buf + o, e->plan_to);
        o += (size_t)snprintf(buf + o, cap - o, "\t\\N\t%lld\n", (long long)e->received_ms);
    }
    return o;
}

static PGconn *conn(const char *uri)
{
    PGconn *c = PQconnectdb(uri);
    if (PQstatus(c) != CONNECTION_OK)
        die("connect", PQerrorMessage(c));
    return c;
}

static void ok(PGconn *c, PGresult *res, const char *what)
{
    ExecStatusType s = PQresultStatus(res);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_COPY_IN)
        die(what, PQerrorMessage(c));
}

static void copy_in(PGconn *c, const char *sql, const char *buf, size_t len)
{
    PGresult *res = PQexec(c, sql);
    ok(c, res, "copy");
    PQclear(res);
    if (PQputCopyData(c, buf, (int)len) != 1 || PQputCopyEnd(c, NULL) != 1)
        die("copy data", PQerrorMessage(c));
    res = PQgetResult(c);
    ok(c, res, "copy end");
    PQclear(res);
    while ((res = PQgetResult(c)))
        PQclear(res);
}

/* COPY into a temporary table, then INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING,
 * then the stored keys of the ids that came back from neither (as the store does). */
static double via_copy_temp(const char *uri, const rows_t *r, long batch, long *dups)
{
    PGconn *c = conn(uri);
    PGresult *res = PQexec(c, "CREATE TEMP TABLE events_in (LIKE events) ON COMMIT DELETE ROWS");
    ok(c, res, "temp table");
    PQclear(res);
    char *buf = malloc((size_t)batch * 256);
    char *arr = malloc((size_t)batch * 32 + 8);
    double t0 = tu_now_s();
    *dups = 0;
    for (long k = 0; k < r->n; k += batch) {
        long m = r->n - k < batch ? r->n - k : batch;
        size_t len = copy_rows(buf, (size_t)batch * 256, r->ev + k, m);
        PQclear(PQexec(c, "BEGIN"));
        copy_in(c, "COPY events_in FROM STDIN", buf, len);
        res = PQexec(c, "INSERT INTO events SELECT * FROM events_in ON CONFLICT (event_id) DO "
                        "NOTHING RETURNING event_id");
        ok(c, res, "insert select");
        long inserted = PQntuples(res);
        PQclear(res);
        if (inserted < m) { /* read the stored keys back, as the store does */
            size_t o = 0;
            arr[o++] = '{';
            for (long i = 0; i < m; i++)
                o += (size_t)snprintf(arr + o, (size_t)batch * 32 + 8 - o, "%s\"%s\"", i ? "," : "",
                                      r->ev[k + i].event_id);
            arr[o++] = '}';
            arr[o] = '\0';
            const char *v[1] = {arr};
            res = PQexecParams(c,
                               "SELECT event_id, digest, type, amount_minor FROM events "
                               "WHERE event_id = ANY($1::text[])",
                               1, NULL, v, NULL, NULL, 0);
            ok(c, res, "stored");
            *dups += PQntuples(res);
            PQclear(res);
        }
        res = PQexec(c, "COMMIT");
        ok(c, res, "commit");
        PQclear(res);
    }
    double dt = tu_now_s() - t0;
    free(arr);
    free(buf);
    PQfinish(c);
    return (double)r->n / dt;
}

/* The bare baseline: COPY straight into the events table (unique index and all), a commit
 * per batch, no deduplication answer. */
static double bare_copy(const char *uri, const rows_t *r, long batch)
{
    PGconn *c = conn(uri);
    char *buf = malloc((size_t)batch * 256);
    double t0 = tu_now_s();
    for (long k = 0; k < r->n; k += batch) {
        long m = r->n - k < batch ? r->n - k : batch;
        size_t len = copy_rows(buf, (size_t)batch * 256, r->ev + k, m);
        PQclear(PQexec(c, "BEGIN"));
        copy_in(c, "COPY events FROM STDIN", buf, len);
        PGresult *res = PQexec(c, "COMMIT");
        ok(c, res, "commit");
        PQclear(res);
    }
    double dt = tu_now_s() - t0;
    free(buf);
    PQfinish(c);
    return (double)r->n / dt;
}

/* ---- profiles: BENCH_PG_PERF=DIR records a system-wide `perf record -a -g` of some phases
 * (liftd, the benchmark and the PostgreSQL backends together) into DIR/<phase>.data --------- */

static pid_t perf_pid = -1;

static void perf_start(const char *phase)
{
    const char *dir = getenv("BENCH_PG_PERF");
    if (!dir || !*dir)
        return;
    char out[600];
    snprintf(out, sizeof out, "%s/%s.data", dir, phase);
    fflush(NULL);
    perf_pid = fork();
    if (perf_pid == 0) {
        execlp("perf", "perf", "record", "-q", "-a", "-g", "-o", out, (char *)NULL);
        _exit(127);
    }
    sleep(1); /* perf is recording */
}

static void perf_stop(void)
{
    if (perf_pid <= 0)
        return;
    kill(perf_pid, SIGINT);
    waitpid(perf_pid, NULL, 0);
    perf_pid = -1;
}

#define MAX_CLIENTS 12
#define MAX_INST 3
#define SENDERS 6 /* client threads in every phase through liftd: 6 on 1 instance, 2 on each of 3 */

/* A sender's event k: row k of the rows_t arg. */
static void rows_row(void *arg, long k, store_event_t *e, char *id, char *cust)
{
    (void)id;
    (void)cust;
    *e = ((const rows_t *)arg)->ev[k];
}

typedef struct {
    int n;                  /* instances running */
    pid_t pid[MAX_INST];    /* their processes */
    char ep[MAX_INST][400]; /* their endpoints */
} fleet_t;

/* Start n liftd on the store at uri (each its own endpoint); returns once all answer. */
static void fleet_start(fleet_t *f, const char *uri, int n)
{
    f->n = n;
    for (int i = 0; i < n; i++) {
        snprintf(f->ep[i], sizeof f->ep[i], "ipc://%s/bench-liftd-%d.sock", tu_pg_dir(), i);
        const char *const args[] = {"--endpoint",  f->ep[i], "--store", uri,
                                    "--log-level", "warn",   NULL};
        f->pid[i] = bench_liftd_spawn(NULL, args);
    }
    for (int i = 0; i < n; i++)
        bench_liftd_wait(f->ep[i], 100, 30);
}

static void fleet_stop(fleet_t *f)
{
    for (int i = 0; i < f->n; i++)
        kill(f->pid[i], SIGTERM);
    for (int i = 0; i < f->n; i++)
        waitpid(f->pid[i], NULL, 0);
    f->n = 0;
}

/* Events through ninst liftd on the store at uri, from SENDERS senders (sender i talks to
 * instance i % ninst); returns events/s. */
static double via_liftd(const char *uri, const rows_t *r, long batch, int ninst)
{
    fleet_t f;
    fleet_start(&f, uri, ninst);
    bench_sender_t s[SENDERS];
    long per = (r->n / SENDERS + batch - 1) / batch * batch, accepted = 0;
    for (int i = 0; i < SENDERS; i++) {
        long first = i * per, end = (i + 1) * per < r->n ? (i + 1) * per : r->n;
        s[i] = (bench_sender_t){.ep = f.ep[i % ninst],
                                .first = first < r->n ? first : r->n,
                                .end = end,
                                .batch = batch,
                                .row = rows_row,
                                .arg = (void *)r};
    }
    if (ninst == 1)
        perf_start("ingest");
    double t0 = tu_now_s();
    bench_threads(bench_send_events, s, sizeof s[0], SENDERS);
    int failed = 0;
    for (int i = 0; i < SENDERS; i++) {
        failed |= s[i].failed;
        accepted += s[i].accepted;
    }
    double dt = tu_now_s() - t0;
    perf_stop();
    fleet_stop(&f);
    if (failed || accepted != r->n) {
        fprintf(stderr, "bench_pg: liftd accepted %ld of %ld events\n", accepted, r->n);
        exit(1);
    }
    return (double)r->n / dt;
}

#define ASSIGN_BATCH 1000
#define EXP_KEY "bench-pg"

typedef struct {
    const char *ep;  /* liftd endpoint */
    long first, end; /* customers [first, end) */
    long firsts;     /* result: first exposures replied */
    int failed;      /* result */
} assigner_t;

static void *assign_customers(void *arg)
{
    assigner_t *a = arg;
    lift_client_opts_t o = {.timeout_ms = 60000, .attempts = 1};
    lift_client_t *c = lift_client_new(a->ep, &o);
    char(*names)[24] = malloc(ASSIGN_BATCH * sizeof *names);
    const char **ids = malloc(ASSIGN_BATCH * sizeof *ids);
    lift_context_t ctx = tu_lift_context();
    if (!c || !names || !ids) {
        a->failed = 1;
        return NULL;
    }
    for (long k = a->first; k < a->end; k += ASSIGN_BATCH) {
        long m = a->end - k < ASSIGN_BATCH ? a->end - k : ASSIGN_BATCH;
        for (long i = 0; i < m; i++) {
            snprintf(names[i], sizeof names[i], "cust-%ld", k + i);
            ids[i] = names[i];
        }
        lift_assignment_t *out = NULL;
        if (lift_assign_batch(c, EXP_KEY, ids, (size_t)m, &ctx, &out) != LIFT_OK) {
            fprintf(stderr, "bench_pg: assign: %s\n", lift_client_error(c));
            a->failed = 1;
            break;
        }
        for (long i = 0; i < m; i++)
            a->firsts += out[i].first_exposure;
        lift_assignments_free(&out);
    }
    free(names);
    free(ids);
    lift_client_destroy(&c);
    return NULL;
}

/* AssignBatch of ncust customers from SENDERS clients through ninst liftd on uri (the
 * experiment created and started through the first): first exposures (each recorded), then
 * repeats through the instance that recorded them (its sticky cache knows them), then, with
 * several instances, repeats through another instance (a cache that does not: the store
 * answers each as an existing exposure). rate[0..2]; rate[2] = 0 with one instance. */
static void assign_liftd(const char *uri, long ncust, int ninst, double rate[3])
{
    fleet_t f;
    fleet_start(&f, uri, ninst);
    lift_client_opts_t o = {.timeout_ms = 5000, .attempts = 1};
    lift_client_t *c = lift_client_new(f.ep[0], &o);
    tu_experiment_t x;
    tu_two_arms(&x, EXP_KEY, 0.5, 0.5)->name = "bench_pg experiment";
    if (lift_experiment_create(c, &x.x, NULL) != LIFT_OK ||
        lift_experiment_change(c, EXP_KEY, LIFT__ACTION__ACTION_START, 0, NULL) != LIFT_OK)
        die("experiment", lift_client_error(c));
    lift_client_destroy(&c);
    rate[2] = 0;
    for (int round = 0; round < (ninst > 1 ? 3 : 2); round++) {
        assigner_t a[SENDERS];
        long per = (ncust / SENDERS + ASSIGN_BATCH - 1) / ASSIGN_BATCH * ASSIGN_BATCH, firsts = 0;
        for (int i = 0; i < SENDERS; i++) {
            long first = i * per < ncust ? i * per : ncust;
            long end = (i + 1) * per < ncust ? (i + 1) * per : ncust;
            a[i] = (assigner_t){f.ep[(i + (round == 2)) % ninst], first, end, 0, 0};
        }
        if (round == 0 && ninst == 1)
            perf_start("assign-first");
        double t0 = tu_now_s();
        bench_threads(assign_customers, a, sizeof a[0], SENDERS);
        int failed = 0;
        for (int i = 0; i < SENDERS; i++) {
            failed |= a[i].failed;
            firsts += a[i].firsts;
        }
        double r = (double)ncust / (tu_now_s() - t0);
        perf_stop();
        if (failed || firsts != (round == 0 ? ncust : 0)) {
            fprintf(stderr, "bench_pg: %ld first exposures in round %d of %ld customers\n", firsts,
                    round, ncust);
            exit(1);
        }
        rate[round] = r;
    }
    fleet_stop(&f);
}

/* ---- the echo baseline of assignments --------------------------------------------------- */

typedef struct {
    void *zctx;         /* shared */
    const char *ep;     /* echo endpoint */
    const uint8_t *req; /* the packed request */
    size_t req_len;     /* its bytes */
    long n;             /* requests to send, one at a time */
    int failed;         /* result */
} echo_client_t;

static void *echo_client(void *arg)
{
    echo_client_t *c = arg;
    void *sock = zmq_socket(c->zctx, ZMQ_REQ);
    int timeout = 30000, linger = 0;
    if (!sock || zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
        zmq_connect(sock, c->ep) < 0) {
        c->failed = 1;
        goto done;
    }
    for (long i = 0; i < c->n; i++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_send(sock, c->req, c->req_len, 0) < 0 || zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            c->failed = 1;
            break;
        }
        zmq_msg_close(&m);
    }
done:
    if (sock)
        zmq_close(sock);
    return NULL;
}

/* The packed AssignBatch request of ASSIGN_BATCH customers, and the packed size of its reply
 * (every customer assigned: id, arm index and name, flags). */
static uint8_t *assign_batch_sizes(size_t *req_len, size_t *reply_len)
{
    static char names[ASSIGN_BATCH][24];
    static char *ids[ASSIGN_BATCH];
    static Lift__Assignment as[ASSIGN_BATCH];
    static Lift__Assignment *ap[ASSIGN_BATCH];
    for (int i = 0; i < ASSIGN_BATCH; i++) {
        snprintf(names[i], sizeof names[i], "cust-%d", 100000 + i);
        ids[i] = names[i];
        lift__assignment__init(&as[i]);
        as[i].customer_id = names[i];
        as[i].has_in_experiment = as[i].has_eligible = as[i].has_first_exposure = 1;
        as[i].in_experiment = as[i].eligible = as[i].first_exposure = 1;
        as[i].has_arm_index = 1;
        as[i].arm_index = 1;
        as[i].arm_name = "offer";
        ap[i] = &as[i];
    }
    Lift__Context ctx = tu_context();
    Lift__AssignBatch b = LIFT__ASSIGN_BATCH__INIT;
    b.experiment_key = (char *)EXP_KEY;
    b.n_customer_ids = ASSIGN_BATCH;
    b.customer_ids = ids;
    b.context = &ctx;
    Lift__Request q = LIFT__REQUEST__INIT;
    q.has_request_id = 1;
    q.request_id = 123456789;
    q.body_case = LIFT__REQUEST__BODY_ASSIGN_BATCH;
    q.assign_batch = &b;
    Lift__Status st = LIFT__STATUS__INIT;
    Lift__AssignReply ar = LIFT__ASSIGN_REPLY__INIT;
    ar.n_assignments = ASSIGN_BATCH;
    ar.assignments = ap;
    Lift__Reply rep = LIFT__REPLY__INIT;
    rep.has_request_id = 1;
    rep.request_id = 123456789;
    rep.status = &st;
    rep.body_case = LIFT__REPLY__BODY_ASSIGN;
    rep.assign = &ar;
    *req_len = lift__request__get_packed_size(&q);
    *reply_len = lift__reply__get_packed_size(&rep);
    uint8_t *buf = malloc(*req_len);
    if (!buf)
        die("echo", "out of memory");
    lift__request__pack(&q, buf);
    return buf;
}

/* ncust customers in AssignBatch requests from SENDERS REQ clients through nsrv echo servers
 * (client i to server i % nsrv); customers/s. */
static double echo_assign(long ncust, int nsrv)
{
    size_t req_len, reply_len;
    uint8_t *req = assign_batch_sizes(&req_len, &reply_len);
    bench_echo_t e[MAX_INST];
    pthread_t et[MAX_INST];
    for (int i = 0; i < nsrv; i++) {
        memset(&e[i], 0, sizeof e[i]);
        snprintf(e[i].endpoint, sizeof e[i].endpoint, "ipc://%s/bench-echo-%d.sock", tu_pg_dir(),
                 i);
        e[i].reply_len = reply_len;
        e[i].req_peers = 1;
        pthread_create(&et[i], NULL, bench_echo_run, &e[i]);
        while (atomic_load(&e[i].ready) == 0)
            usleep(1000);
        if (atomic_load(&e[i].ready) < 0)
            die("echo", "cannot bind");
    }
    void *zctx = zmq_ctx_new();
    echo_client_t c[SENDERS];
    long reqs = (ncust + ASSIGN_BATCH - 1) / ASSIGN_BATCH, per = (reqs + SENDERS - 1) / SENDERS;
    for (int i = 0; i < SENDERS; i++) {
        long n = reqs - i * per < per ? reqs - i * per : per;
        c[i] = (echo_client_t){zctx, e[i % nsrv].endpoint, req, req_len, n > 0 ? n : 0, 0};
    }
    double t0 = tu_now_s();
    bench_threads(echo_client, c, sizeof c[0], SENDERS);
    int failed = 0;
    for (int i = 0; i < SENDERS; i++)
        failed |= c[i].failed;
    double dt = tu_now_s() - t0;
    for (int i = 0; i < nsrv; i++) {
        atomic_store(&e[i].stop, 1);
        pthread_join(et[i], NULL);
    }
    zmq_ctx_term(zctx);
    free(req);
    if (failed)
        die("echo", "a client failed");
    return (double)(reqs * ASSIGN_BATCH) / dt;
}

/* ---- the report ------------------------------------------------------------------------- */

static int noop_expo(void *arg, const store_exposure_t *e)
{
    (*(int64_t *)arg) += e->arm;
    return 0;
}

static int noop_event(void *arg, const store_event_row_t *e)
{
    (*(int64_t *)arg) += e->type;
    return 0;
}

/* What a report reads, with nothing done per row: every exposure of the experiment in customer
 * order and every event in the window, through a store reader (seconds). */
static double reads_only(const char *uri, int64_t exp_id)
{
    char err[512];
    store_reader_t *r = store_reader_open(uri, err, sizeof err);
    if (!r)
        die("reader", err);
    int64_t sum = 0;
    double t0 = tu_now_s();
    if (store_reader_begin(r, err, sizeof err) < 0 ||
        store_reader_exposures(r, exp_id, noop_expo, &sum) < 0 ||
        store_reader_events(r, 0, FIXTURE_NOW_MS, noop_event, &sum) < 0)
        die("scan", store_reader_errmsg(r));
    store_reader_end(r);
    double dt = tu_now_s() - t0;
    store_reader_destroy(&r);
    return dt;
}

/* The bare baseline: PostgreSQL joining and aggregating the same tables itself (the same
 * statement as bench_report's SQLite baseline), best of two (seconds). serial: with parallel
 * query off (one backend, as the report's reads are); else PostgreSQL's defaults (here: a
 * parallel hash join over 2 workers and the leader). */
static double bare_report_sql(const char *uri, int64_t exp_id, int serial, long long *rows)
{
    PGconn *c = conn(uri);
    if (serial)
        PQclear(PQexec(c, "SET max_parallel_workers_per_gather = 0"));
    char id[24], now[24];
    snprintf(id, sizeof id, "%lld", (long long)exp_id);
    snprintf(now, sizeof now, "%lld", (long long)FIXTURE_NOW_MS);
    const char *v[2] = {id, now};
    double best = 1e9;
    for (int round = 0; round < 2; round++) {
        double t0 = tu_now_s();
        PGresult *res = PQexecParams(c,
                                     "SELECT x.arm, count(*), sum(e.amount_minor) FROM events e "
                                     "JOIN exposures x ON x.experiment_id = $1::bigint AND "
                                     "x.customer_id = e.customer_id WHERE e.ts_ms >= "
                                     "x.trigger_ms AND e.ts_ms < $2::bigint GROUP BY x.arm",
                                     2, NULL, v, NULL, NULL, 0);
        ok(c, res, "join");
        double dt = tu_now_s() - t0;
        *rows = 0;
        for (int i = 0; i < PQntuples(res); i++)
            *rows += strtoll(PQgetvalue(res, i, 1), NULL, 10);
        PQclear(res);
        if (dt < best)
            best = dt;
    }
    if (getenv("BENCH_PG_EXPLAIN") &&
        !serial) { /* where the baseline's time goes: the plan, timed */
        PGresult *res = PQexecParams(c,
                                     "EXPLAIN (ANALYZE, COSTS OFF) SELECT x.arm, count(*), "
                                     "sum(e.amount_minor) FROM events e JOIN exposures x ON "
                                     "x.experiment_id = $1::bigint AND x.customer_id = "
                                     "e.customer_id WHERE e.ts_ms >= x.trigger_ms AND e.ts_ms "
                                     "< $2::bigint GROUP BY x.arm",
                                     2, NULL, v, NULL, NULL, 0);
        ok(c, res, "explain");
        for (int i = 0; i < PQntuples(res); i++)
            printf("pg:   %s\n", PQgetvalue(res, i, 0));
        PQclear(res);
    }
    PQfinish(c);
    return best;
}

/* The full report on the report benchmarks' data set written into a fresh database through
 * the store, next to the bare aggregation. */
static void report_phase(long ncust, long nev)
{
    char uri[700], err[512];
    tu_pg_newdb(uri, sizeof uri);
    int64_t exp_id = 0, gen = 0;
    int reused = 0;
    Lift__Experiment *def = NULL;
    double g0 = tu_now_s();
    if (fixture_experiment(uri, &exp_id, &gen, &def, &reused) < 0 ||
        fixture_generate(uri, exp_id, gen, ncust, nev) < 0)
        die("report fixture", "see above");
    double gen_s = tu_now_s() - g0;
    PGconn *c = conn(uri);
    g0 = tu_now_s();
    PQclear(PQexec(c, "VACUUM ANALYZE")); /* what autovacuum does after a bulk load */
    double vac_s = tu_now_s() - g0;
    PQfinish(c);
    printf("pg: report data set: %ld exposed customers, %ld events, written through the store "
           "in %.1f s (+ VACUUM ANALYZE %.1f s)\n",
           ncust, nev, gen_s, vac_s);
    long long rows = 0;
    double bare = bare_report_sql(uri, exp_id, 0, &rows);
    double bare1 = bare_report_sql(uri, exp_id, 1, &rows);
    double reads = reads_only(uri, exp_id);
    store_reader_t *rd = store_reader_open(uri, err, sizeof err);
    if (!rd)
        die("reader", err);
    Lift__ReportRequest req;
    Lift__Dimension dims[4];
    fixture_report_request(&req, dims, def->key);
    double best = 1e9;
    Lift__Report *r = NULL;
    for (int round = 0; round < 2; round++) {
        status_t st;
        if (round == 1)
            perf_start("report");
        double t = fixture_report_time(rd, def, exp_id, &req, "USD", &r, &st);
        perf_stop();
        if (t < 0)
            die("report_build", st.message);
        if (t < best)
            best = t;
    }
    printf("pg: report_build over a store reader (all 4 dimensions, CUPED, sequential), best of "
           "2: %.2f s (%llu exposures, %llu events read, %zu segments)\n",
           best, (unsigned long long)r->provenance->exposures_read,
           (unsigned long long)r->provenance->events_read, r->n_segments);
    printf("pg: its reads alone (reader, no-op callbacks): %.2f s\n", reads);
    printf("pg: bare SQL aggregation (events JOIN exposures GROUP BY arm), best of 2: %.2f s "
           "(%lld joined rows)\n",
           bare, rows);
    printf("pg: the same with parallel query off (one backend): %.2f s\n", bare1);
    printf("pg: ratio report / bare aggregation = %.2f (target <= 2); to the serial one %.2f\n",
           best / bare, best / bare1);
    report_free(&r);
    store_reader_destroy(&rd);
    lift__experiment__free_unpacked(def, NULL);
}

/* A fresh database with the store's schema (made by store_open). */
static void fresh(char *uri, size_t len)
{
    char err[512];
    tu_pg_newdb(uri, len);
    store_t *s = store_open(uri, err, sizeof err);
    if (!s)
        die("open", err);
    store_destroy(&s);
}

/* The report's data set by default: bench_report's 1M exposed customers and 10M events (about
 * 40 s to write through the store on a 2-core machine; arguments 3 and 4 scale it). */
#define REPORT_CUSTOMERS 1000000
#define REPORT_EVENTS 10000000

int main(int argc, char **argv)
{
    long n = bench_arg("bench_pg", argc, argv, 1, 200000);
    long batch = bench_arg("bench_pg", argc, argv, 2, 1000);
    long rcust = bench_arg("bench_pg", argc, argv, 3, REPORT_CUSTOMERS);
    long rev = bench_arg("bench_pg", argc, argv, 4, REPORT_EVENTS);
    const char *only = getenv("BENCH_PG_ONLY"); /* "report": that phase alone (profiling) */
    lift_stats_init();
    tu_pg_durable();
    if (tu_pg_start() < 0) {
        fprintf(stderr, "bench_pg: cannot start PostgreSQL: %s\n", tu_pg_why());
        return 1;
    }
    if (only && !strcmp(only, "report")) {
        report_phase(rcust, rev);
        tu_pg_stop();
        return 0;
    }
    rows_t r;
    if (make_rows(&r, n) < 0)
        die("rows", "out of memory");
    char a[700], b[700], c[700];
    long dups;
    fresh(a, sizeof a);
    fresh(b, sizeof b);
    fresh(c, sizeof c);
    printf("pg: %ld events in batches of %ld, one transaction each, fsync on\n", n, batch);
    double bare = bare_copy(c, &r, batch);
    printf("pg: bare COPY into events (unique index, no dedupe answer): %.0f events/s\n", bare);
    double ins = via_store(a, &r, batch, &dups);
    printf("pg: store (COPY; a batch with a stored id: pipelined INSERT ... ON CONFLICT), new: "
           "%.0f events/s\n",
           ins);
    double ins_dup = via_store(a, &r, batch, &dups);
    printf("pg: store, the same batches again: %.0f events/s (%ld duplicates)\n", ins_dup, dups);
    double cp = via_copy_temp(b, &r, batch, &dups);
    printf("pg: COPY to a temp table + INSERT ... SELECT ... ON CONFLICT, new: %.0f events/s\n",
           cp);
    double cp_dup = via_copy_temp(b, &r, batch, &dups);
    printf("pg: COPY to a temp table, the same batches again: %.0f events/s (%ld duplicates)\n",
           cp_dup, dups);
    rows_t half; /* each batch: half of it stored before (a partial retry), half new */
    if (make_rows(&half, n) < 0)
        die("rows", "out of memory");
    for (long k = 0; k < n; k++)
        if ((k % batch) >= batch / 2)
            snprintf(half.id[k], sizeof half.id[k], "new-%010ld", k);
    double mixed = via_store(a, &half, batch, &dups);
    printf("pg: store, half of each batch stored before: %.0f events/s (%ld duplicates)\n", mixed,
           dups);
    printf("pg: ratio store / bare COPY = %.2f\n", ins / bare);

    static const int insts[2] = {1, MAX_INST};
    for (int k = 0; k < 2; k++) {
        char d[700], e[700];
        fresh(d, sizeof d);
        fresh(e, sizeof e);
        double lift = via_liftd(d, &r, batch, insts[k]);
        double bare2 = bare_copy(e, &r, batch);
        printf("pg: %d liftd, Track of %ld events from %d clients, exactly-once: %.0f events/s; "
               "bare COPY of the same rows: %.0f events/s; ratio %.2f (target >= 0.5)\n",
               insts[k], batch, SENDERS, lift, bare2, lift / bare2);
    }
    long ncust = n / 2;
    for (int k = 0; k < 2; k++) {
        char f[700];
        fresh(f, sizeof f);
        double rate[3];
        assign_liftd(f, ncust, insts[k], rate);
        double echo = echo_assign(ncust, insts[k]);
        printf("pg: %d liftd, AssignBatch of %d from %d clients: new customers (each first "
               "exposure recorded) %.0f customers/s (%.3fx echo), the same again (repeats, "
               "through the instance that recorded them) %.0f customers/s (%.3fx echo)",
               insts[k], ASSIGN_BATCH, SENDERS, rate[0], rate[0] / echo, rate[1], rate[1] / echo);
        if (rate[2] > 0)
            printf(", repeats through another instance %.0f customers/s (%.3fx echo)", rate[2],
                   rate[2] / echo);
        printf("; bare echo of the same sizes through %d server%s: %.0f customers/s\n", insts[k],
               insts[k] > 1 ? "s" : "", echo);
    }
    report_phase(rcust, rev);
    tu_pg_stop();
    return 0;
}
