/* bench_pg: the PostgreSQL store on its own throw-away server (fsync on, unix socket), next to
 * bare libpq baselines in the same run on the same table and unique index:
 *   1. how a batch of events is deduplicated: the store (COPY, and when the batch holds an id
 *      stored before, a pipelined multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING) vs COPY
 *      into a temporary table + INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING — fresh
 *      events, the same batches resent, batches half stored before;
 *   2. events through liftd (--store postgresql://...) vs a bare COPY of the same rows;
 *   3. AssignBatch of new customers through liftd (each first exposure recorded), then the
 *      same customers again, vs a bare COPY of as many exposure rows.
 * Bounded counts, loopback only. Usage: bench_pg [events] [batch] */
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tests/pgharness.h"
#include "lift/client.h"
#include "store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
        r->ev[k] = (store_event_t){.event_id = r->id[k], .customer_id = r->cust[k], .type = 3,
                                   .ts_ms = 1700000000000LL + k, .has_amount = 1,
                                   .amount_minor = 1000 + k % 9000, .plan_from = "starter",
                                   .plan_to = "pro", .nps = -1,
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
    double t0 = now_s();
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
    double dt = now_s() - t0;
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
        o += (size_t)snprintf(buf + o, cap - o, "\t%lld\t", (long long)(int64_t)store_event_digest(e));
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
    double t0 = now_s();
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
                o += (size_t)snprintf(arr + o, (size_t)batch * 32 + 8 - o, "%s\"%s\"", i ? "," : "", r->ev[k + i].event_id);
            arr[o++] = '}';
            arr[o] = '\0';
            const char *v[1] = {arr};
            res = PQexecParams(c, "SELECT event_id, digest, type, amount_minor FROM events "
                                  "WHERE event_id = ANY($1::text[])", 1, NULL, v, NULL, NULL, 0);
            ok(c, res, "stored");
            *dups += PQntuples(res);
            PQclear(res);
        }
        res = PQexec(c, "COMMIT");
        ok(c, res, "commit");
        PQclear(res);
    }
    double dt = now_s() - t0;
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
    double t0 = now_s();
    for (long k = 0; k < r->n; k += batch) {
        long m = r->n - k < batch ? r->n - k : batch;
        size_t len = copy_rows(buf, (size_t)batch * 256, r->ev + k, m);
        PQclear(PQexec(c, "BEGIN"));
        copy_in(c, "COPY events FROM STDIN", buf, len);
        PGresult *res = PQexec(c, "COMMIT");
        ok(c, res, "commit");
        PQclear(res);
    }
    double dt = now_s() - t0;
    free(buf);
    PQfinish(c);
    return (double)r->n / dt;
}

typedef struct {
    const char *ep;   /* liftd endpoint */
    const rows_t *r;  /* all rows */
    long first, end;  /* this sender's rows [first, end) */
    long batch;       /* events per Track */
    long accepted;    /* result */
    int failed;       /* result */
} sender_t;

static void *send_events(void *arg)
{
    sender_t *s = arg;
    lift_client_opts_t o = {.timeout_ms = 30000, .attempts = 3};
    lift_client_t *c = lift_client_new(s->ep, &o);
    lift_event_t *evs = calloc((size_t)s->batch, sizeof *evs);
    if (!c || !evs) {
        s->failed = 1;
        return NULL;
    }
    for (long k = s->first; k < s->end; k += s->batch) {
        long m = s->end - k < s->batch ? s->end - k : s->batch;
        for (long i = 0; i < m; i++) {
            const store_event_t *e = &s->r->ev[k + i];
            evs[i] = (lift_event_t){.event_id = e->event_id, .customer_id = e->customer_id,
                                    .type = e->type, .timestamp_ms = e->ts_ms,
                                    .has_amount = true, .amount_minor = e->amount_minor,
                                    .plan_from = e->plan_from, .plan_to = e->plan_to};
        }
        lift_track_result_t res;
        if (lift_track(c, evs, (size_t)m, &res) != LIFT_OK) {
            fprintf(stderr, "bench_pg: track: %s\n", lift_client_error(c));
            s->failed = 1;
            break;
        }
        s->accepted += res.accepted;
        lift_track_result_clear(&res);
    }
    free(evs);
    lift_client_destroy(&c);
    return NULL;
}

/* Start a liftd on the store at uri, listening on ep; returns its pid once it answers. */
static pid_t spawn_liftd(const char *uri, char *ep, size_t eplen)
{
    const char *b = getenv("LIFT_BUILD");
    char liftd[512];
    snprintf(liftd, sizeof liftd, "%s/liftd", b && *b ? b : "build");
    snprintf(ep, eplen, "ipc://%s/bench-liftd.sock", tu_pg_dir());
    pid_t pid = fork();
    if (pid == 0) {
        execl(liftd, liftd, "--endpoint", ep, "--store", uri, "--log-level", "warn",
              (char *)NULL);
        _exit(127);
    }
    lift_client_opts_t q = {.timeout_ms = 100, .attempts = 1};
    lift_client_t *probe = lift_client_new(ep, &q);
    double t0 = now_s();
    while (lift_ping(probe, NULL, 0, NULL) != LIFT_OK && now_s() - t0 < 30)
        ;
    lift_client_destroy(&probe);
    return pid;
}

/* Events through a liftd on the store at uri, from nclients senders; returns events/s. */
static double via_liftd(const char *uri, const rows_t *r, long batch, int nclients)
{
    char ep[400];
    pid_t pid = spawn_liftd(uri, ep, sizeof ep);
    double t0;
    sender_t s[8];
    pthread_t t[8];
    if (nclients > 8)
        nclients = 8;
    long per = (r->n / nclients + batch - 1) / batch * batch, accepted = 0;
    t0 = now_s();
    for (int i = 0; i < nclients; i++) {
        long first = i * per, end = (i + 1) * per < r->n ? (i + 1) * per : r->n;
        s[i] = (sender_t){ep, r, first < r->n ? first : r->n, end, batch, 0, 0};
        pthread_create(&t[i], NULL, send_events, &s[i]);
    }
    int failed = 0;
    for (int i = 0; i < nclients; i++) {
        pthread_join(t[i], NULL);
        failed |= s[i].failed;
        accepted += s[i].accepted;
    }
    double dt = now_s() - t0;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (failed || accepted != r->n) {
        fprintf(stderr, "bench_pg: liftd accepted %ld of %ld events\n", accepted, r->n);
        exit(1);
    }
    return (double)r->n / dt;
}

#define ASSIGN_BATCH 1000
#define EXP_KEY "bench-pg"

typedef struct {
    const char *ep;     /* liftd endpoint */
    long first, end;    /* customers [first, end) */
    long firsts;        /* result: first exposures replied */
    int failed;         /* result */
} assigner_t;

static void *assign_customers(void *arg)
{
    assigner_t *a = arg;
    lift_client_opts_t o = {.timeout_ms = 60000, .attempts = 1};
    lift_client_t *c = lift_client_new(a->ep, &o);
    char(*names)[24] = malloc(ASSIGN_BATCH * sizeof *names);
    const char **ids = malloc(ASSIGN_BATCH * sizeof *ids);
    lift_context_t ctx = {.trigger = 1, .stage = 2, .channel = 1};
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
        lift_assignments_free(out);
    }
    free(names);
    free(ids);
    lift_client_destroy(&c);
    return NULL;
}

/* AssignBatch of ncust customers from nclients clients through a liftd on uri, twice: first
 * exposures (each recorded), then repeats. */
static void assign_liftd(const char *uri, long ncust, int nclients, double *first_rate,
                         double *repeat_rate)
{
    char ep[400];
    pid_t pid = spawn_liftd(uri, ep, sizeof ep);
    lift_client_opts_t o = {.timeout_ms = 5000, .attempts = 1};
    lift_client_t *c = lift_client_new(ep, &o);
    Lift__Experiment x = LIFT__EXPERIMENT__INIT;
    Lift__Arm a0 = LIFT__ARM__INIT, a1 = LIFT__ARM__INIT;
    Lift__Arm *arms[] = {&a0, &a1};
    a0.name = "holdout";
    a0.has_weight = 1;
    a0.weight = 0.5;
    a1.name = "offer";
    a1.has_weight = 1;
    a1.weight = 0.5;
    x.key = (char *)EXP_KEY;
    x.name = "bench_pg experiment";
    x.n_arms = 2;
    x.arms = arms;
    if (lift_experiment_create(c, &x, NULL) != LIFT_OK ||
        lift_experiment_change(c, EXP_KEY, LIFT__ACTION__ACTION_START, 0, NULL) != LIFT_OK)
        die("experiment", lift_client_error(c));
    lift_client_destroy(&c);
    for (int round = 0; round < 2; round++) {
        assigner_t a[8];
        pthread_t t[8];
        long per = (ncust / nclients + ASSIGN_BATCH - 1) / ASSIGN_BATCH * ASSIGN_BATCH, firsts = 0;
        double t0 = now_s();
        for (int i = 0; i < nclients; i++) {
            long first = i * per < ncust ? i * per : ncust;
            long end = (i + 1) * per < ncust ? (i + 1) * per : ncust;
            a[i] = (assigner_t){ep, first, end, 0, 0};
            pthread_create(&t[i], NULL, assign_customers, &a[i]);
        }
        int failed = 0;
        for (int i = 0; i < nclients; i++) {
            pthread_join(t[i], NULL);
            failed |= a[i].failed;
            firsts += a[i].firsts;
        }
        double rate = (double)ncust / (now_s() - t0);
        if (failed || firsts != (round == 0 ? ncust : 0)) {
            fprintf(stderr, "bench_pg: %ld first exposures in round %d of %ld customers\n",
                    firsts, round, ncust);
            exit(1);
        }
        *(round == 0 ? first_rate : repeat_rate) = rate;
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

/* The bare baseline of first exposures: the same number of exposure rows by COPY into the
 * exposures table (its primary key and all), a commit per 1000. */
static double bare_exposures(const char *uri, long ncust)
{
    PGconn *c = conn(uri);
    char *buf = malloc((size_t)ASSIGN_BATCH * 96);
    double t0 = now_s();
    for (long k = 0; k < ncust; k += ASSIGN_BATCH) {
        long m = ncust - k < ASSIGN_BATCH ? ncust - k : ASSIGN_BATCH;
        size_t o = 0;
        for (long i = 0; i < m; i++)
            o += (size_t)snprintf(buf + o, (size_t)ASSIGN_BATCH * 96 - o,
                                  "1\tcust-%ld\t%ld\t1\t2\t1\t1700000000000\t1700000000000\n",
                                  k + i, (k + i) % 2);
        PQclear(PQexec(c, "BEGIN"));
        copy_in(c, "COPY exposures FROM STDIN", buf, o);
        PGresult *res = PQexec(c, "COMMIT");
        ok(c, res, "commit");
        PQclear(res);
    }
    double dt = now_s() - t0;
    free(buf);
    PQfinish(c);
    return (double)ncust / dt;
}

/* ---- the read side of a report -------------------------------------------------------- */

static int count_expo(void *arg, const store_exposure_t *e)
{
    int64_t *sum = arg;
    *sum += e->arm + (int64_t)e->customer_len;
    return 0;
}

static int count_event(void *arg, const store_event_row_t *e)
{
    int64_t *sum = arg;
    *sum += e->amount_minor + (int64_t)e->customer_len;
    return 0;
}

/* A report's fixture by COPY: ncust exposures of experiment 1 and nev events of those
 * customers (and 10% others), conversions and impressions. */
static void report_fixture(const char *uri, long ncust, long nev)
{
    PGconn *c = conn(uri);
    size_t cap = 64 * 1024 * 1024, o = 0;
    char *buf = malloc(cap);
    if (!buf)
        die("fixture", "out of memory");
    PQclear(PQexec(c, "BEGIN"));
    for (long i = 0; i < ncust; i++)
        o += (size_t)snprintf(buf + o, cap - o, "1\tcust-%07ld\t%ld\t1\t2\t1\t%lld\t%lld\n", i,
                              i % 3, 1700000000000LL + i, 1700000000000LL + i);
    copy_in(c, "COPY exposures FROM STDIN", buf, o);
    for (long k = 0; k < nev;) {
        o = 0;
        for (long j = 0; j < 100000 && k < nev; j++, k++) {
            long cust = (k * 7919) % (ncust + ncust / 9);
            int conv = k % 3 == 0;
            o += (size_t)snprintf(buf + o, cap - o,
                                  "evt-%010ld\t%ld\tcust-%07ld\t%d\t%lld\t%s\t%s\t%s\t\\N\t"
                                  "\\N\t\\N\t%lld\n",
                                  k, k * 2654435761L, cust, conv ? 3 : 1,
                                  1700000000000LL + cust + k % 1000000, conv ? "\\N" : "1",
                                  conv ? "\\N" : "1", conv ? "4900" : "\\N",
                                  1700000000000LL + k);
        }
        copy_in(c, "COPY events (event_id, digest, customer_id, type, ts_ms, experiment_id, arm, "
                   "amount_minor, plan_from, plan_to, nps, received_ms) FROM STDIN", buf, o);
    }
    PGresult *res = PQexec(c, "COMMIT");
    ok(c, res, "commit");
    PQclear(res);
    PQclear(PQexec(c, "VACUUM ANALYZE"));
    free(buf);
    PQfinish(c);
}

/* What a report reads, through a store reader: every exposure of the experiment in customer
 * order, every event in the window (seconds). */
static double report_scan(const char *uri)
{
    char err[512];
    store_reader_t *r = store_reader_open(uri, err, sizeof err);
    if (!r)
        die("reader", err);
    int64_t sum = 0;
    double t0 = now_s();
    if (store_reader_begin(r, err, sizeof err) < 0 ||
        store_reader_exposures(r, 1, count_expo, &sum) < 0 ||
        store_reader_events(r, 0, INT64_MAX, count_event, &sum) < 0)
        die("scan", store_reader_errmsg(r));
    store_reader_end(r);
    double dt = now_s() - t0;
    store_reader_destroy(&r);
    return dt;
}

/* The bare baseline: PostgreSQL joining and aggregating the same tables itself. */
static double bare_report_sql(const char *uri)
{
    PGconn *c = conn(uri);
    double t0 = now_s();
    PGresult *res = PQexec(c, "SELECT x.arm, count(*), sum(e.amount_minor) FROM events e JOIN "
                              "exposures x ON x.experiment_id = 1 AND x.customer_id = "
                              "e.customer_id WHERE e.ts_ms >= x.trigger_ms GROUP BY x.arm");
    ok(c, res, "join");
    double dt = now_s() - t0;
    PQclear(res);
    PQfinish(c);
    return dt;
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

static long arg(int argc, char **argv, int i, long dflt)
{
    if (argc <= i)
        return dflt;
    char *end;
    errno = 0;
    long v = strtol(argv[i], &end, 10);
    if (errno || *end || v <= 0) {
        fprintf(stderr, "bench_pg: argument %d: '%s' is not a positive number\n", i, argv[i]);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    long n = arg(argc, argv, 1, 200000), batch = arg(argc, argv, 2, 1000);
    tu_pg_durable();
    if (tu_pg_start() < 0) {
        fprintf(stderr, "bench_pg: cannot start PostgreSQL: %s\n", tu_pg_why());
        return 1;
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
           "%.0f events/s\n", ins);
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
    printf("pg: store, half of each batch stored before: %.0f events/s (%ld duplicates)\n",
           mixed, dups);
    printf("pg: ratio store / bare COPY = %.2f\n", ins / bare);
    char d[700], e[700];
    fresh(d, sizeof d);
    fresh(e, sizeof e);
    double lift = via_liftd(d, &r, batch, 4);
    double bare2 = bare_copy(e, &r, batch);
    printf("pg: liftd --store postgresql, batches of %ld from 4 clients, exactly-once: %.0f "
           "events/s\n", batch, lift);
    printf("pg: bare COPY of the same rows, same table and unique index: %.0f events/s\n", bare2);
    printf("pg: ratio liftd / bare COPY = %.2f (target >= 0.5)\n", lift / bare2);
    char f[700], g[700];
    fresh(f, sizeof f);
    fresh(g, sizeof g);
    long ncust = n / 2;
    double first_rate = 0, repeat_rate = 0;
    assign_liftd(f, ncust, 4, &first_rate, &repeat_rate);
    double bare3 = bare_exposures(g, ncust);
    printf("pg: liftd AssignBatch of %d new customers from 4 clients (each exposure recorded): "
           "%.0f customers/s\n", ASSIGN_BATCH, first_rate);
    printf("pg: liftd AssignBatch, the same customers again (repeats): %.0f customers/s\n",
           repeat_rate);
    printf("pg: bare COPY of as many exposure rows into exposures: %.0f rows/s; ratio first "
           "exposures / bare = %.2f\n", bare3, first_rate / bare3);
    char h[700];
    fresh(h, sizeof h);
    long rcust = n * 2, rev = n * 20;
    report_fixture(h, rcust, rev);
    double scan = report_scan(h), join = bare_report_sql(h);
    printf("pg: a report's reads through a store reader (%ld exposures in customer order, %ld "
           "events streamed): %.2f s\n", rcust, rev, scan);
    printf("pg: bare SQL join + GROUP BY of the same tables: %.2f s; ratio reads / join = "
           "%.2f\n", join, scan / join);
    tu_pg_stop();
    return 0;
}
