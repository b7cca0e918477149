/* check_pg: liftd on the PostgreSQL store — real liftd processes started with --store
 * postgresql://... on the test run's own server (pgharness.h): exactly-once ingestion across
 * resends and SIGKILLs, several instances on one database agreeing on assignments, first
 * exposures and pauses, and the database going away mid-import. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "assign.h"
#include "lift/client.h"
#include "pgharness.h"
#include "render.h"
#include "testutil.h"

#define NI 3 /* instances */

static tliftd_t T[NI];
static char URI[700];

static void setup(void)
{
    tu_pg_newdb(URI, sizeof URI);
    for (int i = 0; i < NI; i++) {
        tu_liftd_init(&T[i]);
        snprintf(T[i].store, sizeof T[i].store, "%s", URI);
    }
    tu_liftd_start(&T[0], NULL);
}

static void teardown(void)
{
    for (int i = 0; i < NI; i++)
        tu_liftd_fini(&T[i]);
}

static long long sql(const char *q)
{
    return tu_pg_scalar(URI, q);
}

static const lift_context_t CTX = {
    .trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD,
    .stage = LIFT__STAGE__STAGE_GROWTH,
    .channel = LIFT__CHANNEL__CHANNEL_IN_APP,
};

/* Create experiment key (holdout 0.5, offer 0.5) through instance c, start it through s. */
static void create_and_start(lift_client_t *c, lift_client_t *s, const char *key)
{
    tu_experiment_t x;
    tu_two_arms(&x, key, 0.5, 0.5)->name = "shared experiment";
    ck_assert_int_eq(lift_experiment_create(c, &x.x, NULL), LIFT_OK);
    ck_assert_int_eq(lift_experiment_change(s, key, LIFT__ACTION__ACTION_START, 0, NULL), LIFT_OK);
}

/* Conversion i of batch b: fixed content, so a resend is a duplicate. */
static lift_event_t conv(const char *id, int64_t t0, int i)
{
    return (lift_event_t){.event_id = id,
                          .customer_id = "cust-1",
                          .type = LIFT__EVENT_TYPE__EVENT_CONVERSION,
                          .timestamp_ms = t0,
                          .has_amount = true,
                          .amount_minor = 100 + i};
}

/* Send batches [from, to) of size events each, retrying each until acknowledged; log the
 * acknowledged batches to ack_path. Runs in a child process; exits 0 when all were. */
static void sender(const char *endpoint, int from, int to, int size, int64_t t0,
                   const char *ack_path, int max_tries)
{
    lift_client_opts_t o = {.timeout_ms = 400, .attempts = 2};
    lift_client_t *c = lift_client_new(endpoint, &o);
    FILE *ack = fopen(ack_path, "w");
    lift_event_t *evs = calloc((size_t)size, sizeof *evs);
    char(*ids)[32] = calloc((size_t)size, sizeof *ids);
    if (!c || !ack || !evs || !ids)
        _exit(3);
    for (int b = from; b < to; b++) {
        for (int i = 0; i < size; i++) {
            snprintf(ids[i], sizeof ids[i], "b%d-e%d", b, i);
            evs[i] = conv(ids[i], t0, i);
        }
        lift_track_result_t r;
        int tries = 0;
        while (lift_track(c, evs, (size_t)size, &r) != LIFT_OK) {
            if (++tries > max_tries)
                _exit(4);
            usleep(20000);
        }
        if (r.accepted + r.duplicates != (uint32_t)size || r.n_rejected)
            _exit(5);
        lift_track_result_clear(&r);
        fprintf(ack, "%d\n", b);
        fflush(ack);
    }
    fclose(ack);
    free(evs);
    free(ids);
    lift_client_destroy(&c);
    _exit(0);
}

/* Send batches [from, to) once through c; returns the totals. */
static void send_all(lift_client_t *c, int from, int to, int size, int64_t t0, uint32_t *acc,
                     uint32_t *dup)
{
    lift_event_t evs[500];
    char ids[500][32];
    ck_assert_int_le(size, 500);
    *acc = *dup = 0;
    for (int b = from; b < to; b++) {
        for (int i = 0; i < size; i++) {
            snprintf(ids[i], sizeof ids[i], "b%d-e%d", b, i);
            evs[i] = conv(ids[i], t0, i);
        }
        lift_track_result_t r;
        ck_assert_int_eq(lift_track(c, evs, (size_t)size, &r), LIFT_OK);
        ck_assert_uint_eq(r.n_rejected, 0);
        *acc += r.accepted;
        *dup += r.duplicates;
        lift_track_result_clear(&r);
    }
}

START_TEST(track_resend_all_duplicates)
{
    int64_t t0 = tu_now_ms() - 60000;
    uint32_t acc, dup;
    send_all(T[0].client, 0, 5, 200, t0, &acc, &dup);
    ck_assert_uint_eq(acc, 1000);
    ck_assert_uint_eq(dup, 0);
    send_all(T[0].client, 0, 5, 200, t0, &acc, &dup);
    ck_assert_uint_eq(acc, 0);
    ck_assert_uint_eq(dup, 1000);
    /* an id again with another amount: a conflict, not stored */
    lift_event_t e = conv("b0-e0", t0, 99);
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(T[0].client, &e, 1, &r), LIFT_OK);
    ck_assert_uint_eq(r.conflicts, 1);
    ck_assert_uint_eq(r.accepted, 0);
    lift_track_result_clear(&r);
    ck_assert_int_eq(sql("SELECT count(*) FROM events"), 1000);
    ck_assert_int_eq(sql("SELECT sum(amount_minor) FROM events"), 5 * (200 * 100 + 199 * 100));
    /* a restart keeps nothing in memory that matters: still all duplicates */
    ck_assert_int_eq(tu_liftd_stop(&T[0]), 0);
    tu_liftd_start(&T[0], NULL);
    send_all(T[0].client, 0, 5, 200, t0, &acc, &dup);
    ck_assert_uint_eq(dup, 1000);
}
END_TEST

static int acked_batches(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    int n = 0, b;
    while (fscanf(f, "%d", &b) == 1)
        n++;
    fclose(f);
    return n;
}

/* SIGKILL liftd while a sender streams; restart; every batch stored exactly once. */
START_TEST(crash_exactly_once)
{
    const int size = 500, batches = 40;
    int64_t t0 = tu_now_ms() - 60000;
    char ack[400];
    snprintf(ack, sizeof ack, "%s/acks", T[0].dir);
    pid_t s = fork();
    ck_assert_int_ge(s, 0);
    if (s == 0)
        sender(T[0].endpoint, 0, batches, size, t0, ack, 200);
    srand(4242);
    for (int k = 0; k < 3; k++) {
        usleep((useconds_t)(50000 + rand() % 200000));
        tu_liftd_kill(&T[0]);
        tu_liftd_start(&T[0], NULL);
    }
    int status;
    while (waitpid(s, &status, 0) < 0 && errno == EINTR)
        ;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sender failed: %d",
                  WEXITSTATUS(status));
    ck_assert_int_eq(acked_batches(ack), batches);
    ck_assert_int_eq(sql("SELECT count(*) FROM events"), (long long)batches * size);
    ck_assert_int_eq(sql("SELECT count(DISTINCT event_id) FROM events"), (long long)batches * size);
    ck_assert_int_eq(sql("SELECT sum(amount_minor) FROM events"),
                     (long long)batches * (100LL * size + (long long)size * (size - 1) / 2));
    uint32_t acc, dup;
    send_all(T[0].client, 0, batches, size, t0, &acc, &dup);
    ck_assert_uint_eq(acc, 0);
    ck_assert_uint_eq(dup, (uint32_t)(batches * size));
}
END_TEST

/* Three instances, a sender on each sending the same batches, instances SIGKILLed at random
 * and restarted: every batch is acknowledged, stored exactly once, and a resend is all
 * duplicates. */
START_TEST(instances_crash_exactly_once)
{
    const int size = 300, batches = 20;
    int64_t t0 = tu_now_ms() - 60000;
    tu_liftd_start(&T[1], NULL);
    tu_liftd_start(&T[2], NULL);
    pid_t s[NI];
    char ack[NI][400];
    for (int k = 0; k < NI; k++) {
        snprintf(ack[k], sizeof ack[k], "%s/acks", T[k].dir);
        s[k] = fork();
        ck_assert_int_ge(s[k], 0);
        if (s[k] == 0)
            sender(T[k].endpoint, 0, batches, size, t0, ack[k], 400);
    }
    srand(777);
    for (int k = 0; k < 5; k++) {
        usleep((useconds_t)(50000 + rand() % 150000));
        int victim = rand() % NI;
        tu_liftd_kill(&T[victim]);
        tu_liftd_start(&T[victim], NULL);
    }
    for (int k = 0; k < NI; k++) {
        int status;
        while (waitpid(s[k], &status, 0) < 0 && errno == EINTR)
            ;
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sender %d failed: %d", k,
                      WEXITSTATUS(status));
        ck_assert_int_eq(acked_batches(ack[k]), batches);
    }
    ck_assert_int_eq(sql("SELECT count(*) FROM events"), (long long)batches * size);
    ck_assert_int_eq(sql("SELECT count(DISTINCT event_id) FROM events"), (long long)batches * size);
    ck_assert_int_eq(sql("SELECT sum(amount_minor) FROM events"),
                     (long long)batches * (100LL * size + (long long)size * (size - 1) / 2));
    uint32_t acc, dup;
    send_all(T[2].client, 0, batches, size, t0, &acc, &dup);
    ck_assert_uint_eq(acc, 0);
    ck_assert_uint_eq(dup, (uint32_t)(batches * size));
}
END_TEST

/* Three instances: an experiment created on one and started on another is assigned
 * identically by all three. */
START_TEST(three_instances_agree)
{
    tu_liftd_start(&T[1], NULL);
    tu_liftd_start(&T[2], NULL);
    create_and_start(T[0].client, T[1].client, "shared");
    enum { N = 60 };
    char names[N][16];
    const char *ids[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "cust-%d", i);
        ids[i] = names[i];
    }
    lift_assignment_t *a[NI];
    /* instance 2 first (it never saw the experiment), then 0 and 1 repeat the decisions */
    for (int k = NI - 1; k >= 0; k--)
        ck_assert_int_eq(lift_assign_batch(T[k].client, "shared", ids, N, &CTX, &a[k]), LIFT_OK);
    /* and as the pure GrowthBook v2 bucketing says (src/assign.c, held to GrowthBook's own
     * test vectors by the assign suite) */
    const double w[2] = {0.5, 0.5};
    assign_config_t cfg = {
        .weights = w, .narms = 2, .coverage = 1, .seed = "shared", .seed_len = 6};
    int in_offer = 0;
    for (int i = 0; i < N; i++) {
        assign_result_t res;
        ck_assert_int_eq(assign_bucket(&cfg, ids[i], strlen(ids[i]), &res), a[2][i].arm_index);
        ck_assert(a[2][i].in_experiment);
        ck_assert(a[2][i].first_exposure);
        for (int k = 0; k < 2; k++) {
            ck_assert_int_eq(a[k][i].arm_index, a[2][i].arm_index);
            ck_assert(!a[k][i].first_exposure);
        }
        in_offer += a[2][i].arm_index == 1;
    }
    ck_assert_int_gt(in_offer, 10); /* both arms used: 50/50 of 60 */
    ck_assert_int_lt(in_offer, 50);
    for (int k = 0; k < NI; k++)
        lift_assignments_free(&a[k]);
    ck_assert_int_eq(sql("SELECT count(*) FROM exposures"), N);
}
END_TEST

typedef struct {
    const char *endpoint;  /* instance */
    const char *customer;  /* to assign */
    pthread_barrier_t *go; /* start together */
    lift_err_t rc;         /* result */
    int arm;               /* arm replied */
    int first;             /* first_exposure replied */
} racer_t;

static void *racer_main(void *arg)
{
    racer_t *r = arg;
    lift_client_opts_t o = {.timeout_ms = 3000, .attempts = 1};
    lift_client_t *c = lift_client_new(r->endpoint, &o);
    lift_assignment_t a;
    pthread_barrier_wait(r->go);
    r->rc = c ? lift_assign(c, "race", r->customer, &CTX, &a) : LIFT_ERR_INTERNAL;
    if (r->rc == LIFT_OK) {
        r->arm = a.arm_index;
        r->first = a.first_exposure;
        lift_assignment_clear(&a);
    }
    lift_client_destroy(&c);
    return NULL;
}

/* The same new customer through two instances at once: one exposure, the same arm in both
 * replies, no error. */
START_TEST(concurrent_first_exposure)
{
    tu_liftd_start(&T[1], NULL);
    create_and_start(T[0].client, T[1].client, "race");
    enum { ROUNDS = 25 };
    int firsts = 0;
    for (int k = 0; k < ROUNDS; k++) {
        char cust[32];
        snprintf(cust, sizeof cust, "racer-%d", k);
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        racer_t r[2] = {{T[0].endpoint, cust, &go, 0, -1, 0}, {T[1].endpoint, cust, &go, 0, -1, 0}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, racer_main, &r[i]);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&go);
        ck_assert_msg(r[0].rc == LIFT_OK && r[1].rc == LIFT_OK, "round %d: %d %d", k, r[0].rc,
                      r[1].rc);
        ck_assert_int_eq(r[0].arm, r[1].arm);
        ck_assert_int_eq(r[0].first + r[1].first, 1);
        firsts += r[0].first + r[1].first;
    }
    ck_assert_int_eq(firsts, ROUNDS);
    ck_assert_int_eq(sql("SELECT count(*) FROM exposures"), ROUNDS);
}
END_TEST

/* A pause through one instance: no instance records a new exposure afterwards. */
START_TEST(pause_reaches_every_instance)
{
    tu_liftd_start(&T[1], NULL);
    tu_liftd_start(&T[2], NULL);
    create_and_start(T[0].client, T[0].client, "paused");
    lift_assignment_t a;
    for (int k = 0; k < NI; k++) { /* every instance has it cached as running */
        char cust[16];
        snprintf(cust, sizeof cust, "warm-%d", k);
        ck_assert_int_eq(lift_assign(T[k].client, "paused", cust, &CTX, &a), LIFT_OK);
        ck_assert(a.in_experiment);
        lift_assignment_clear(&a);
    }
    long long before = sql("SELECT count(*) FROM exposures");
    ck_assert_int_eq(before, NI);
    ck_assert_int_eq(
        lift_experiment_change(T[1].client, "paused", LIFT__ACTION__ACTION_PAUSE, 0, NULL),
        LIFT_OK);
    for (int k = 0; k < NI; k++)
        for (int i = 0; i < 5; i++) {
            char cust[16];
            snprintf(cust, sizeof cust, "new-%d-%d", k, i);
            ck_assert_int_eq(lift_assign(T[k].client, "paused", cust, &CTX, &a), LIFT_OK);
            ck_assert_msg(!a.in_experiment, "instance %d assigned %s after the pause", k, cust);
            ck_assert_int_eq(a.reason, LIFT__REASON__REASON_NOT_RUNNING);
            lift_assignment_clear(&a);
        }
    ck_assert_int_eq(sql("SELECT count(*) FROM exposures"), before);
    /* resumed through another instance: assigning again everywhere */
    ck_assert_int_eq(
        lift_experiment_change(T[2].client, "paused", LIFT__ACTION__ACTION_RESUME, 0, NULL),
        LIFT_OK);
    ck_assert_int_eq(lift_assign(T[0].client, "paused", "after-resume", &CTX, &a), LIFT_OK);
    ck_assert(a.in_experiment);
    lift_assignment_clear(&a);
}
END_TEST

/* PostgreSQL stopped mid-import: liftd answers UNAVAILABLE and stays up; once the database is
 * back, the import completes — nothing lost, nothing doubled. */
START_TEST(database_stopped_mid_import)
{
    const int size = 200, batches = 30;
    int64_t t0 = tu_now_ms() - 60000;
    create_and_start(T[0].client, T[0].client, "outage");
    char ack[400];
    snprintf(ack, sizeof ack, "%s/acks", T[0].dir);
    pid_t s = fork();
    ck_assert_int_ge(s, 0);
    if (s == 0)
        sender(T[0].endpoint, 0, batches, size, t0, ack, 1000);
    usleep(300 * 1000);
    ck_assert_int_eq(tu_pg_stop_server(), 0);
    /* while it is down: a write is refused UNAVAILABLE, and liftd is alive */
    lift_client_opts_t o = {.timeout_ms = 2000, .attempts = 1};
    lift_client_t *c = lift_client_new(T[0].endpoint, &o);
    lift_event_t e = conv("while-down", t0, 0);
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(c, &e, 1, &r), LIFT_ERR_UNAVAILABLE);
    lift_assignment_t down;
    ck_assert_int_eq(lift_assign(c, "outage", "during-outage", &CTX, &down),
                     LIFT_ERR_UNAVAILABLE); /* a first exposure cannot be recorded */
    lift_assignment_clear(&down);
    int status;
    ck_assert_int_eq(waitpid(T[0].pid, &status, WNOHANG), 0);
    lift_client_destroy(&c);
    usleep(500 * 1000);
    ck_assert_int_eq(tu_pg_restart_server(), 0);
    while (waitpid(s, &status, 0) < 0 && errno == EINTR)
        ;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sender failed: %d",
                  WEXITSTATUS(status));
    ck_assert_int_eq(waitpid(T[0].pid, &status, WNOHANG), 0);
    ck_assert_int_eq(acked_batches(ack), batches);
    ck_assert_int_eq(sql("SELECT count(*) FROM events"), (long long)batches * size);
    ck_assert_int_eq(sql("SELECT count(*) FROM events WHERE event_id = 'while-down'"), 0);
    uint32_t acc, dup;
    send_all(T[0].client, 0, batches, size, t0, &acc, &dup);
    ck_assert_uint_eq(dup, (uint32_t)(batches * size));
    /* the experiments survived the outage: assigning records exposures again */
    lift_assignment_t a;
    ck_assert_int_eq(lift_assign(T[0].client, "outage", "after-outage", &CTX, &a), LIFT_OK);
    ck_assert(a.in_experiment);
    ck_assert(a.first_exposure);
    lift_assignment_clear(&a);
    ck_assert_int_eq(sql("SELECT count(*) FROM exposures WHERE customer_id = 'after-outage'"), 1);
}
END_TEST

/* A storage quota is the database's business: liftd refuses --max-store-mb with it. */
START_TEST(quota_refused)
{
    char prog[512];
    tu_program("liftd", prog, sizeof prog);
    pid_t p = fork();
    ck_assert_int_ge(p, 0);
    if (p == 0) {
        int nul = open("/dev/null", O_WRONLY);
        if (nul >= 0)
            dup2(nul, 2);
        execl(prog, prog, "--endpoint", "ipc:///nonexistent-dir/x.sock", "--store", URI,
              "--max-store-mb", "5", (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(p, &status, 0) < 0 && errno == EINTR)
        ;
    ck_assert(WIFEXITED(status));
    ck_assert_int_ne(WEXITSTATUS(status), 0);
}
END_TEST

/* ---- the same report from both backends ------------------------------------------------- */

/* Copies store `from` into `to` with `liftd copy --json` (the one copy there is: the store
 * interface's experiments, exposures and events) and checks that every event of `from` was
 * inserted. */
static void copy_store(const char *from, const char *to)
{
    char prog[512], outp[700];
    tu_program("liftd", prog, sizeof prog);
    snprintf(outp, sizeof outp, "%s/copy.json", T[1].dir);
    int64_t events = tu_store_summary(from).events;
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0)
            _exit(126);
        execl(prog, prog, "copy", from, to, "--json", (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "liftd copy %s %s failed", from,
                  to);
    json_error_t je;
    json_t *j = json_load_file(outp, 0, &je);
    ck_assert_msg(j != NULL, "liftd copy --json: %s", je.text);
    ck_assert(json_is_true(json_object_get(j, "complete")));
    json_t *ev = json_object_get(j, "events");
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "inserted")), events);
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "conflicts")), 0);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(j, "experiments"), "copied")), 1);
    json_decref(j);
}

/* The report as JSON without its provenance (generation time, row counts read). */
static json_t *report_json(lift_client_t *c, int64_t from_ms, int64_t to_ms, Lift__Report **keep)
{
    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
    Lift__Dimension dims[] = {LIFT__DIMENSION__DIMENSION_TRIGGER, LIFT__DIMENSION__DIMENSION_STAGE,
                              LIFT__DIMENSION__DIMENSION_CHANNEL};
    q.experiment_key = "upsell-usage-q4";
    q.segment_by = dims;
    q.n_segment_by = 3;
    if (to_ms) {
        q.has_from_ms = q.has_to_ms = 1;
        q.from_ms = from_ms;
        q.to_ms = to_ms;
    }
    Lift__Report *r = NULL;
    ck_assert_msg(lift_report(c, &q, &r) == LIFT_OK, "%s", lift_client_error(c));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(render_json(r, f), 0);
    fclose(f);
    json_error_t je;
    json_t *j = json_loads(buf, 0, &je);
    ck_assert_msg(j != NULL, "%s", je.text);
    free(buf);
    json_object_del(j, "provenance");
    *keep = r;
    return j;
}

/* Reports on PostgreSQL give the same numbers as on SQLite for the same data: a liftsim run
 * into a SQLite liftd, the store copied into PostgreSQL with liftd copy, the same report from
 * both. */
START_TEST(report_same_as_sqlite)
{
    T[1].store[0] = '\0'; /* T[1]: SQLite */
    tu_liftd_start(&T[1], NULL);
    char prog[512], log[400];
    tu_program("liftsim", prog, sizeof prog);
    snprintf(log, sizeof log, "%s/sim.log", T[1].dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execl(prog, prog, "--endpoint", T[1].endpoint, "--config", "examples/sim.json", "--seed",
              "11", "--customers", "5000", "--weeks", "3", "--quiet", (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "liftsim failed (see %s)", log);
    Lift__Report *r1 = NULL, *r2 = NULL, *r3 = NULL;
    json_t *first = report_json(T[1].client, 0, 0, &r1);
    int64_t from = r1->provenance->from_ms, to = r1->provenance->to_ms;
    ck_assert_int_gt(r1->arms[0]->exposed, 100);
    copy_store(T[1].data, URI);
    json_t *lite = report_json(T[1].client, from, to, &r2);
    json_t *pg = report_json(T[0].client, from, to, &r3);
    ck_assert(json_equal(first, lite));
    ck_assert_uint_eq(r3->provenance->exposures_read, r2->provenance->exposures_read);
    ck_assert_uint_eq(r3->provenance->events_read, r2->provenance->events_read);
    if (!json_equal(lite, pg)) {
        char *a = json_dumps(lite, JSON_SORT_KEYS | JSON_COMPACT);
        char *b = json_dumps(pg, JSON_SORT_KEYS | JSON_COMPACT);
        size_t k = 0;
        while (a[k] && a[k] == b[k])
            k++;
        ck_abort_msg("reports differ at byte %zu: sqlite ...%.120s / postgresql ...%.120s", k,
                     a + (k > 40 ? k - 40 : 0), b + (k > 40 ? k - 40 : 0));
    }
    json_decref(first);
    json_decref(lite);
    json_decref(pg);
    lift_report_free(&r1);
    lift_report_free(&r2);
    lift_report_free(&r3);
}
END_TEST

START_TEST(pg_unavailable)
{
    ck_abort_msg("PostgreSQL is required (CI is set) but could not be started: %s", tu_pg_why());
}
END_TEST

Suite *pg_suite(void);
Suite *pg_suite(void)
{
    Suite *s = suite_create("pg");
    if (!tu_pg_wanted("pg"))
        return s;
    if (tu_pg_start() < 0) {
        fprintf(stderr, "pg: PostgreSQL cases %s: %s\n", tu_pg_required() ? "FAIL" : "skipped",
                tu_pg_why());
        if (tu_pg_required()) {
            TCase *tc = tcase_create("errors");
            tcase_add_test(tc, pg_unavailable);
            suite_add_tcase(s, tc);
        }
        return s;
    }
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 120);
    tcase_add_test(core, track_resend_all_duplicates);
    tcase_add_test(core, crash_exactly_once);
    tcase_add_test(core, quota_refused);
    tcase_add_test(core, report_same_as_sqlite);
    suite_add_tcase(s, core);
    TCase *multi = tcase_create("instances");
    tcase_add_checked_fixture(multi, setup, teardown);
    tcase_set_timeout(multi, 120);
    tcase_add_test(multi, three_instances_agree);
    tcase_add_test(multi, instances_crash_exactly_once);
    tcase_add_test(multi, concurrent_first_exposure);
    tcase_add_test(multi, pause_reaches_every_instance);
    suite_add_tcase(s, multi);
    TCase *fail = tcase_create("errors");
    tcase_add_checked_fixture(fail, setup, teardown);
    tcase_set_timeout(fail, 120);
    tcase_add_test(fail, database_stopped_mid_import);
    suite_add_tcase(s, fail);
    return s;
}
