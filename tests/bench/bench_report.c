/* bench_report: the incrementality report over 1M exposed customers and 10M events (segmented
 * by trigger, stage, channel and delay), next to bare SQL aggregations of the same tables in
 * the same run, with peak RSS. The fixture is written through the store interface into a
 * SQLite store in a temporary directory (transactions of a million events).
 * Usage: bench_report [customers] [events]   (defaults 1000000 10000000) */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lift/client.h"

#include "lift/lift.h"
#include "lift/stats.h"
#include "registry.h"
#include "report.h"
#include "report_fixture.h"
#include "store.h"
#include "../tests/testutil.h"
#include "benchutil.h"

#define NOW_MS FIXTURE_NOW_MS
#define TARGET_S 3.0
#define TARGET_RATIO 2.0

static long peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static int exec1(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "bench_report: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* dir/lift.db read-only with the product reader's cache and mmap sizes; NULL on failure. */
static sqlite3 *open_bare(const char *dir)
{
    char path[512];
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/lift.db", dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        exec1(db, "PRAGMA cache_size = -262144") < 0 ||
        exec1(db, "PRAGMA mmap_size = 17179869184") < 0) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* Run the statements sql[0..n) on dir/lift.db, their parameters :exp (exp_id) and :now
 * (NOW_MS), timing the steps (not the preparation). *rows: the sum of column `col` over the
 * last statement's rows. Returns the seconds, or -1. */
static double bare_sql(const char *dir, const char *const sql[], int n, int col, int64_t exp_id,
                       int64_t *rows)
{
    sqlite3 *db = open_bare(dir);
    sqlite3_stmt *q[2] = {NULL, NULL};
    double t = -1;
    if (!db || n > 2)
        goto out;
    for (int i = 0; i < n; i++)
        if (sqlite3_prepare_v2(db, sql[i], -1, &q[i], NULL) != SQLITE_OK)
            goto out;
    double t0 = tu_now_s();
    for (int i = 0; i < n; i++) {
        int p = sqlite3_bind_parameter_index(q[i], ":exp");
        if (p > 0)
            sqlite3_bind_int64(q[i], p, exp_id);
        if ((p = sqlite3_bind_parameter_index(q[i], ":now")) > 0)
            sqlite3_bind_int64(q[i], p, NOW_MS);
        *rows = 0;
        while (sqlite3_step(q[i]) == SQLITE_ROW)
            *rows += sqlite3_column_int64(q[i], col);
    }
    t = tu_now_s() - t0;
out:
    for (int i = 0; i < 2; i++)
        sqlite3_finalize(q[i]);
    sqlite3_close(db);
    return t;
}

/* The bare baselines: SQLite doing the join (no index on events: a scan of events with a
 * primary-key probe of exposures per row), and the scan floor (one pass over each table). */
static double bare_join(const char *dir, int64_t exp_id, int64_t *rows)
{
    static const char *const sql[] = {
        "SELECT x.arm, count(*), sum(e.amount_minor) FROM events e JOIN exposures x ON "
        "x.experiment_id = :exp AND x.customer_id = e.customer_id WHERE e.ts_ms >= x.trigger_ms "
        "AND e.ts_ms < :now GROUP BY x.arm"};
    return bare_sql(dir, sql, 1, 1, exp_id, rows);
}

static double bare_scan(const char *dir, int64_t exp_id, int64_t *rows)
{
    static const char *const sql[] = {
        "SELECT arm, count(*), sum(trigger_ms) FROM exposures WHERE experiment_id = :exp "
        "GROUP BY arm",
        "SELECT count(*), sum(amount_minor), total(ts_ms), sum(type), "
        "total(length(customer_id)) FROM events WHERE ts_ms < :now"};
    return bare_sql(dir, sql, 2, 0, exp_id, rows);
}

static int noop_event(void *arg, const store_event_row_t *row)
{
    (*(int64_t *)arg) += row->type;
    return 0;
}

/* The product's own read path with nothing done per row: what the scan alone costs. */
static double reader_scan(store_reader_t *rd, int64_t *rows)
{
    char err[256];
    double t0 = tu_now_s();
    int64_t sink = 0;
    if (store_reader_begin(rd, err, sizeof err) < 0 ||
        store_reader_events(rd, 0, NOW_MS, noop_event, &sink) < 0)
        return -1;
    store_reader_end(rd);
    *rows = sink;
    return tu_now_s() - t0;
}

/* ---- assignment latency while a report runs, through a real liftd on the fixture ----------
 * The fixture's arms are random, not GrowthBook buckets, so liftd's stored arm wins over the
 * computed one here (it logs that at warn level: hence --log-level error). */

typedef struct {
    const char *ep;  /* endpoint */
    const char *key; /* experiment */
    int done;        /* set when the report came back */
    int ok;          /* the report succeeded */
    double seconds;  /* its duration */
} report_job_t;

static void *run_report(void *arg)
{
    report_job_t *j = arg;
    lift_client_opts_t o = {.timeout_ms = 120000, .attempts = 1};
    lift_client_t *c = lift_client_new(j->ep, &o);
    Lift__ReportRequest q;
    Lift__Dimension dims[4];
    fixture_report_request(&q, dims, j->key);
    Lift__Report *r = NULL;
    double t0 = tu_now_s();
    j->ok = c && lift_report(c, &q, &r) == LIFT_OK;
    j->seconds = tu_now_s() - t0;
    lift_report_free(&r);
    lift_client_destroy(&c);
    __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Repeat assignments of exposed customers, one at a time, until `stop` (or n samples): their
 * round-trip latencies in ms go to lat[]. Returns the count. */
static size_t assign_loop(lift_client_t *c, const char *key, double *lat, size_t n, const int *stop)
{
    lift_context_t ctx = tu_lift_context();
    char id[32];
    size_t k = 0;
    for (; k < n && !(stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE)); k++) {
        snprintf(id, sizeof id, "cust-%07zu", (k * 7919) % 100000);
        lift_assignment_t a;
        double t0 = tu_now_s();
        if (lift_assign(c, key, id, &ctx, &a) != LIFT_OK)
            break;
        lat[k] = (tu_now_s() - t0) * 1e3;
        lift_assignment_clear(&a);
    }
    return k;
}

static void print_latency(const char *what, double *lat, size_t n)
{
    if (n == 0) {
        printf("%s: no samples\n", what);
        return;
    }
    qsort(lat, n, sizeof *lat, bench_cmp_double);
    printf("%s: %zu assignments, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", what, n, lat[n / 2],
           lat[(size_t)((double)n * 0.99)], lat[n - 1]);
}

static void latency_during_report(const char *dir, const char *key)
{
    char ep[400];
    snprintf(ep, sizeof ep, "ipc://%s/bench.sock", dir);
    const char *const args[] = {"--endpoint", ep,           "--data", dir, "--log-level",
                                "error",      "--currency", "EUR",    NULL};
    pid_t pid = bench_liftd_spawn(NULL, args);
    bench_liftd_wait(ep, 200, 60);
    lift_client_opts_t o = {.timeout_ms = 10000, .attempts = 1};
    lift_client_t *c = lift_client_new(ep, &o);
    enum { N = 200000 };
    double *lat = malloc(N * sizeof *lat);
    assign_loop(c, key, lat, 5000, NULL); /* warm the page cache and the sockets */
    size_t n = assign_loop(c, key, lat, 20000, NULL);
    print_latency("liftd repeat Assign, idle", lat, n);
    report_job_t job = {.ep = ep, .key = key};
    pthread_t th;
    pthread_create(&th, NULL, run_report, &job);
    n = assign_loop(c, key, lat, N, &job.done);
    pthread_join(th, NULL);
    print_latency("liftd repeat Assign while a report runs", lat, n);
    printf("liftd report through the server (all 4 dimensions): %s in %.3f s\n",
           job.ok ? "ok" : "FAILED", job.seconds);
    free(lat);
    lift_client_destroy(&c);
    bench_child_stop(pid);
}

int main(int argc, char **argv)
{
    long n_cust = 1000000, n_ev = 10000000;
    char dir[256], err[256];
    const char *tmp = getenv("TMPDIR");
    Lift__Experiment *def = NULL;
    int64_t exp_id = 0;
    int rc = 1;

    if (argc > 1)
        n_cust = strtol(argv[1], NULL, 10);
    if (argc > 2)
        n_ev = strtol(argv[2], NULL, 10);
    if (n_cust < 10 || n_ev < 10) {
        fprintf(stderr, "usage: bench_report [customers >= 10] [events >= 10]\n");
        return 2;
    }
    lift_stats_init();
    /* LIFT_BENCH_DIR=path keeps the fixture there and reuses it on the next run (profiling) */
    const char *keep = getenv("LIFT_BENCH_DIR");
    int reused = 0;
    if (keep && *keep) {
        snprintf(dir, sizeof dir, "%s", keep);
        mkdir(dir, 0750);
    } else {
        snprintf(dir, sizeof dir, "%s/lift-bench-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    double g0 = tu_now_s();
    int64_t gen = 0;
    if (fixture_experiment(dir, &exp_id, &gen, &def, &reused) < 0)
        goto out;
    if (!reused) {
        /* In a child, so that the generator's memory (its store's event index and page
         * cache) stays out of this process's peak RSS. */
        pid_t gpid = fork();
        if (gpid == 0)
            _exit(fixture_generate(dir, exp_id, gen, n_cust, n_ev) < 0 ? 1 : 0);
        int gst = 0;
        if (gpid < 0 || waitpid(gpid, &gst, 0) < 0 || !WIFEXITED(gst) || WEXITSTATUS(gst) != 0)
            goto out;
    }
    /* Flush the fixture to disk first: the kernel writing back 0.8 GB of dirty pages during
     * the timed runs would measure the generator, not the report. */
    sync();
    printf("fixture: %ld exposed customers, %ld events, generated in %.1f s (%s)\n", n_cust, n_ev,
           tu_now_s() - g0, dir);

    /* liftd's writer connection stays open, as in production (it keeps the WAL index). */
    store_t *writer = store_open(dir, err, sizeof err);
    store_reader_t *rd = writer ? store_reader_open(dir, err, sizeof err) : NULL;
    if (!rd) {
        fprintf(stderr, "bench_report: %s\n", err);
        store_destroy(&writer);
        goto out;
    }
    int64_t join_rows = 0, scan_rows = 0;
    double t_join = bare_join(dir, exp_id, &join_rows);
    double t_scan = bare_scan(dir, exp_id, &scan_rows);
    int64_t sink = 0;
    double t_reader = reader_scan(rd, &sink);

    Lift__ReportRequest req;
    Lift__Dimension dims[4];
    fixture_report_request(&req, dims, def->key);
    double best = 1e9;
    Lift__Report *r = NULL;
    for (int round = 0; round < 2; round++) {
        status_t st;
        double t = fixture_report_time(rd, def, exp_id, &req, "EUR", &r, &st);
        if (t < 0) {
            fprintf(stderr, "bench_report: report_build: %s\n", st.message);
            store_reader_destroy(&rd);
            store_destroy(&writer);
            goto out;
        }
        printf("report_build (all 4 dimensions, CUPED, sequential) run %d: %.3f s\n", round + 1, t);
        if (t < best)
            best = t;
    }
    printf("bare SQL join aggregation (events JOIN exposures GROUP BY arm): %.3f s (%lld rows)\n",
           t_join, (long long)join_rows);
    printf("bare SQL scan floor (one pass over each table, no join):        %.3f s (%lld rows)\n",
           t_scan, (long long)scan_rows);
    printf("store_reader_events, no-op callback (the read path alone):      %.3f s\n", t_reader);
    printf("report: %llu exposures, %llu events read, %zu segments, %zu weeks\n",
           (unsigned long long)r->provenance->exposures_read,
           (unsigned long long)r->provenance->events_read, r->n_segments, r->n_weekly);
    if (r->n_comparisons > 0 && r->comparisons[0]->incremental_total->ok)
        printf("incremental revenue arm 1: %.0f [%.0f, %.0f] minor units\n",
               r->comparisons[0]->incremental_total->estimate,
               r->comparisons[0]->incremental_total->ci_low,
               r->comparisons[0]->incremental_total->ci_high);
    double ratio = t_join > 0 ? best / t_join : 0;
    printf("report %.3f s (target <= %.1f s): ratio to the join %.2fx (target <= %.1fx), "
           "to the scan floor %.2fx; peak RSS %ld MB\n",
           best, TARGET_S, ratio, TARGET_RATIO, t_scan > 0 ? best / t_scan : 0, peak_rss_mb());
    printf("%s\n", best <= TARGET_S && ratio <= TARGET_RATIO ? "PASS" : "MISS");
    report_free(&r);
    store_reader_destroy(&rd);
    store_destroy(&writer);
    latency_during_report(dir, def->key);
    rc = 0;
out:
    lift__experiment__free_unpacked(def, NULL);
    if (!(keep && *keep))
        tu_rmtree(dir);
    return rc;
}
