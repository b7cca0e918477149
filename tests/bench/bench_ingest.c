/* bench_ingest: end-to-end ingestion through liftd with 10 million events already stored and
 * exactly-once on, next to a bare SQLite loop appending the same rows with the same pragmas;
 * also liftd's restart time with those 10M events and its peak RSS. Loopback (ipc) only,
 * bounded counts. Usage: bench_ingest [stored_events] [sent_events] [clients] */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "eventidx.h"
#include "lift/client.h"
#include "store.h"
#include "../tests/testutil.h"
#include "benchutil.h"

#define BATCH 1000

/* The row every path stores: a conversion with an amount and plans. */
static void fill(store_event_t *e, char *id, size_t idlen, char *cust, size_t custlen, long k,
                 int64_t ts)
{
    snprintf(id, idlen, "inv-%010ld", k);
    snprintf(cust, custlen, "cust-%ld", k % 1000000);
    memset(e, 0, sizeof *e);
    e->event_id = id;
    e->customer_id = cust;
    e->type = 3;
    e->ts_ms = ts;
    e->has_amount = 1;
    e->amount_minor = 1000 + k % 9000;
    e->plan_from = "starter";
    e->plan_to = "pro";
    e->nps = -1;
    e->received_ms = ts;
}

/* The stored fixture, through the store interface in batches of BATCH events. The backend's
 * index snapshot written at close is removed, so that liftd's first start is a full scan. */
static int generate(const char *dir, long n)
{
    char err[256], (*id)[32] = calloc(BATCH, 32), (*cust)[32] = calloc(BATCH, 32);
    store_event_t *ev = calloc(BATCH, sizeof *ev);
    store_put_t *put = calloc(BATCH, sizeof *put);
    char uri[400];
    snprintf(uri, sizeof uri, "sqlite:%s", dir);
    store_t *st = id && cust && ev && put ? store_open(uri, err, sizeof err) : NULL;
    int rc = -1;
    if (!st) {
        fprintf(stderr, "bench_ingest: %s\n", id && cust && ev && put ? err : "out of memory");
        goto done;
    }
    int64_t ts = tu_now_ms() - 86400000LL;
    for (long k = 0; k < n;) {
        if (store_begin(st, err, sizeof err) < 0)
            goto done;
        for (long j = 0; j < 200000 && k < n; j += BATCH) {
            size_t m = 0;
            for (; m < BATCH && k < n; m++, k++)
                fill(&ev[m], id[m], 32, cust[m], 32, k, ts);
            if (store_events_put(st, ev, m, put, NULL) < 0) {
                fprintf(stderr, "bench_ingest: insert: %s\n", store_errmsg(st));
                goto done;
            }
        }
        if (store_commit(st, err, sizeof err) < 0)
            goto done;
    }
    rc = 0;
done:
    store_destroy(&st);
    char snap[400];
    snprintf(snap, sizeof snap, "%s/event-index", dir);
    unlink(snap);
    free(id);
    free(cust);
    free(ev);
    free(put);
    return rc;
}

static pid_t spawn_liftd(const char *ep, const char *data)
{
    const char *const args[] = {"--endpoint", ep, "--data", data, "--log-level", "warn", NULL};
    return bench_liftd_spawn(NULL, args);
}

static long peak_rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/* A sender's event k: the row every path stores, timestamped *(int64_t *)arg. */
static void live_row(void *arg, long k, store_event_t *e, char *id, char *cust)
{
    fill(e, id, 32, cust, 32, k, *(const int64_t *)arg);
}

/* The bare baseline: the same rows appended with the same pragmas, one commit per batch, to
 * the same events table of the same (10M-row) database file, with liftd stopped. */
static double bare_append(const char *data, long first, long n)
{
    char path[512], id[32], cust[32];
    snprintf(path, sizeof path, "%s/lift.db", data);
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return 0;
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-131072;",
                 NULL, NULL, NULL);
    sqlite3_prepare_v2(db,
                       "INSERT INTO events (h, event_id, customer_id, type, ts_ms, experiment_id, "
                       "arm, amount_minor, plan_from, plan_to, nps, received_ms) VALUES "
                       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                       -1, &st, NULL);
    int64_t ts = tu_now_ms();
    double t0 = tu_now_s();
    for (long k = first; k < first + n; k += BATCH) {
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        for (long j = k; j < k + BATCH; j++) {
            store_event_t e;
            fill(&e, id, sizeof id, cust, sizeof cust, j, ts);
            sqlite3_bind_int64(st, 1, (sqlite3_int64)eventidx_hash(id, strlen(id)));
            sqlite3_bind_text(st, 2, e.event_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, e.customer_id, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 4, e.type);
            sqlite3_bind_int64(st, 5, e.ts_ms);
            sqlite3_bind_int64(st, 8, e.amount_minor);
            sqlite3_bind_text(st, 9, e.plan_from, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 10, e.plan_to, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 12, e.received_ms);
            sqlite3_step(st);
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    double dt = tu_now_s() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return (double)n / dt;
}

int main(int argc, char **argv)
{
    long stored = bench_arg("bench_ingest", argc, argv, 1, 10000000);
    long sent = bench_arg("bench_ingest", argc, argv, 2, 2000000);
    int clients = (int)bench_arg("bench_ingest", argc, argv, 3, 4);
    if (clients > 16)
        clients = 16;
    sent = (sent / (BATCH * clients)) * BATCH * clients;
    char dir[256], data[300], ep[320];
    snprintf(dir, sizeof dir, "%s/lift-bench-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(ep, sizeof ep, "ipc://%s/lift.sock", dir);

    double t0 = tu_now_s();
    if (generate(data, stored) < 0)
        return 1;
    printf("ingest: generated %ld stored events in %.1f s (fixture)\n", stored, tu_now_s() - t0);

    pid_t pid = spawn_liftd(ep, data);
    double ready = bench_liftd_wait(ep, 100, 60);
    printf("ingest: liftd first start with %ld events stored (no index snapshot, full scan): "
           "%.2f s to first reply\n",
           stored, ready);

    bench_sender_t s[16];
    int64_t ts = tu_now_ms() - 3600000;
    for (int i = 0; i < clients; i++) {
        long first = stored + (long)i * (sent / clients);
        s[i] = (bench_sender_t){.ep = ep,
                                .first = first,
                                .end = first + sent / clients,
                                .batch = BATCH,
                                .row = live_row,
                                .arg = &ts};
    }
    t0 = tu_now_s();
    bench_threads(bench_send_events, s, sizeof s[0], clients);
    long accepted = 0;
    int failed = 0;
    for (int i = 0; i < clients; i++) {
        accepted += s[i].accepted;
        failed |= s[i].failed;
    }
    double dt = tu_now_s() - t0;
    double rate = (double)accepted / dt;
    long rss = peak_rss_kb(pid);
    bench_child_stop(pid);
    pid = spawn_liftd(ep, data);
    ready = bench_liftd_wait(ep, 100, 60);
    bench_child_stop(pid);
    printf("ingest: liftd restart with %ld events stored (index snapshot): %.2f s to first reply "
           "(target <= 3 s)\n",
           stored + accepted, ready);
    printf("ingest: liftd %ld events in batches of %d from %d clients: %.0f events/s "
           "(target >= 300000)%s\n",
           accepted, BATCH, clients, rate, failed ? " [FAILED]" : "");
    printf("ingest: liftd peak RSS %.1f MiB (event index + page cache)\n", (double)rss / 1024);

    double bare = bare_append(data, stored + sent, sent);
    printf("ingest: bare SQLite append to the same table, same rows and pragmas, %d per commit: "
           "%.0f rows/s\n",
           BATCH, bare);
    printf("ingest: ratio liftd / bare = %.2f (target >= 0.6)\n", bare > 0 ? rate / bare : 0);

    tu_rmtree(dir);
    return failed;
}
