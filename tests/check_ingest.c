/* Ingestion suite: validation (table-driven), exactly-once across batches and restarts, crash
 * safety — a real liftd killed with SIGKILL while a sender streams batches — and, on SQLite,
 * exactly-once through the event index: the snapshot liftd writes at a clean stop is used at
 * the next start, a stale one (events stored after it, then a crash) is completed by scanning
 * the tail, and a damaged one is ignored in favour of a full scan. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lift/client.h"
#include "store.h"
#include "testutil.h"

#define T tu_liftd  /* each test's liftd (setup, tu_teardown) */
static int ARM = 1; /* cust-1's arm in "exp": impressions and clicks must name it */

static void setup(void)
{
    tu_setup();
    /* An experiment for impressions and clicks. */
    tu_experiment_t x;
    ck_assert_int_eq(lift_experiment_create(T.client, tu_two_arms(&x, "exp", 0.1, 0.9), NULL),
                     LIFT_OK);
    ck_assert_int_eq(lift_experiment_change(T.client, "exp", LIFT__ACTION__ACTION_START, 0, NULL),
                     LIFT_OK);
    lift_context_t ctx = {.trigger = 1, .stage = 1, .channel = 1};
    lift_assignment_t a;
    ck_assert_int_eq(lift_assign(T.client, "exp", "cust-1", &ctx, &a), LIFT_OK);
    ck_assert(a.in_experiment);
    ARM = a.arm_index;
    lift_assignment_clear(&a);
}

static lift_event_t ev(const char *id, int type)
{
    /* One timestamp per test: a retry resends the same content (an id sent again with other
     * content is a conflict, not a duplicate). */
    static int64_t t0;
    if (!t0)
        t0 = tu_now_ms() - 60000;
    lift_event_t e = {.event_id = id, .customer_id = "cust-1", .type = type, .timestamp_ms = t0};
    if (type == LIFT__EVENT_TYPE__EVENT_IMPRESSION || type == LIFT__EVENT_TYPE__EVENT_CLICK) {
        e.experiment_key = "exp";
        e.has_arm = true;
        e.arm = ARM;
    }
    if (type == LIFT__EVENT_TYPE__EVENT_CONVERSION || type == LIFT__EVENT_TYPE__EVENT_REFUND) {
        e.has_amount = true;
        e.amount_minor = 4900;
    }
    if (type == LIFT__EVENT_TYPE__EVENT_NPS) {
        e.has_nps = true;
        e.nps_score = 9;
    }
    return e;
}

/* One invalid event per row: the field the reply must name and a word of the reason. */
typedef struct {
    const char *name;  /* what the row breaks */
    lift_event_t e;    /* the event */
    const char *field; /* expected Rejected.field */
    const char *word;  /* expected in Rejected.reason */
} bad_row_t;

START_TEST(test_validation_table)
{
    int64_t now = tu_now_ms();
    char long_id[80];
    memset(long_id, 'x', 65);
    long_id[65] = '\0';
    bad_row_t rows[32];
    int n = 0;
#define ROW(nm, ev_, fld, w)                                                                       \
    do {                                                                                           \
        rows[n].name = nm;                                                                         \
        rows[n].e = ev_;                                                                           \
        rows[n].field = fld;                                                                       \
        rows[n].word = w;                                                                          \
        n++;                                                                                       \
    } while (0)
    lift_event_t e;
    e = ev(NULL, LIFT__EVENT_TYPE__EVENT_CHURN);
    ROW("no id", e, "event_id", "required");
    e = ev("", LIFT__EVENT_TYPE__EVENT_CHURN);
    ROW("empty id", e, "event_id", "1..64");
    e = ev(long_id, LIFT__EVENT_TYPE__EVENT_CHURN);
    ROW("65-byte id", e, "event_id", "65 bytes");
    e = ev("bad-utf8-\xc3", LIFT__EVENT_TYPE__EVENT_CHURN);
    ROW("id not UTF-8", e, "event_id", "UTF-8");
    e = ev("v1", LIFT__EVENT_TYPE__EVENT_CHURN);
    e.customer_id = "";
    ROW("empty customer", e, "customer_id", "customer_id");
    e = ev("v2", 0);
    ROW("no type", e, "type", "required");
    e = ev("v3", 42);
    ROW("unknown type", e, "type", "42 is not a valid value");
    e = ev("v4", LIFT__EVENT_TYPE__EVENT_CHURN);
    e.timestamp_ms = 0; /* 1970 */
    ROW("1970", e, "timestamp_ms", "2000-01-01");
    e = ev("v5", LIFT__EVENT_TYPE__EVENT_CHURN);
    e.timestamp_ms = 4102444800000LL; /* 2100 */
    ROW("2100", e, "timestamp_ms", "future");
    e = ev("v6", LIFT__EVENT_TYPE__EVENT_CONVERSION);
    e.amount_minor = 0;
    ROW("zero amount", e, "amount_minor", "outside");
    e = ev("v7", LIFT__EVENT_TYPE__EVENT_CONVERSION);
    e.amount_minor = -5;
    ROW("negative amount", e, "amount_minor", "-5");
    e = ev("v8", LIFT__EVENT_TYPE__EVENT_REFUND);
    e.has_amount = false;
    ROW("refund without amount", e, "amount_minor", "required");
    e = ev("v9", LIFT__EVENT_TYPE__EVENT_CONVERSION);
    e.currency = "EUR";
    ROW("other currency", e, "currency", "USD");
    e = ev("v10", LIFT__EVENT_TYPE__EVENT_NPS);
    e.nps_score = 11;
    ROW("NPS 11", e, "nps_score", "0..10");
    e = ev("v11", LIFT__EVENT_TYPE__EVENT_NPS);
    e.has_nps = false;
    ROW("NPS missing", e, "nps_score", "required");
    e = ev("v12", LIFT__EVENT_TYPE__EVENT_IMPRESSION);
    e.experiment_key = NULL;
    ROW("impression without experiment", e, "experiment_key", "required");
    e = ev("v13", LIFT__EVENT_TYPE__EVENT_CLICK);
    e.experiment_key = "nope";
    ROW("click for unknown experiment", e, "experiment_key", "nope");
    e = ev("v14", LIFT__EVENT_TYPE__EVENT_IMPRESSION);
    e.arm = 2;
    ROW("arm out of range", e, "arm", "0..1");
    e = ev("v15", LIFT__EVENT_TYPE__EVENT_IMPRESSION);
    e.has_arm = false;
    ROW("impression without arm", e, "arm", "required");
    e = ev("v16", LIFT__EVENT_TYPE__EVENT_CHURN);
    e.has_amount = true;
    e.amount_minor = 10;
    ROW("churn with amount", e, "amount_minor", "only");
    e = ev("v17", LIFT__EVENT_TYPE__EVENT_NPS);
    e.experiment_key = "exp";
    ROW("nps with experiment", e, "experiment_key", "only");
    e = ev("v18", LIFT__EVENT_TYPE__EVENT_CONVERSION);
    e.amount_minor = 100000000001LL;
    ROW("amount too large", e, "amount_minor", "100000000000");
    e = ev("v19", LIFT__EVENT_TYPE__EVENT_IMPRESSION);
    e.plan_to = "pro";
    ROW("plan on impression", e, "plan_to", "only");
#undef ROW
    /* Interleave one valid event after each bad one: valid parts of a batch are kept. */
    lift_event_t batch[64];
    char ids[32][16];
    int m = 0;
    for (int i = 0; i < n; i++) {
        batch[m++] = rows[i].e;
        snprintf(ids[i], sizeof ids[i], "good-%d", i);
        batch[m++] = ev(ids[i], i % 2 ? LIFT__EVENT_TYPE__EVENT_CONVERSION
                                      : LIFT__EVENT_TYPE__EVENT_IMPRESSION);
    }
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(T.client, batch, (size_t)m, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, (unsigned)n);
    ck_assert_uint_eq(r.n_rejected, (size_t)n);
    for (int i = 0; i < n; i++) {
        const lift_rejected_t *x = &r.rejected[i];
        ck_assert_uint_eq(x->index, (size_t)(2 * i));
        char path[64];
        snprintf(path, sizeof path, "track.events[%d].%s", 2 * i, rows[i].field);
        ck_assert_msg(strcmp(x->field, path) == 0, "%s: field %s, want %s", rows[i].name, x->field,
                      path);
        ck_assert_msg(strstr(x->reason, rows[i].word) != NULL, "%s: reason '%s' lacks '%s'",
                      rows[i].name, x->reason, rows[i].word);
    }
    lift_track_result_clear(&r);
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).count, n);
    (void)now;
}
END_TEST

START_TEST(test_exactly_once)
{
    lift_event_t b[4] = {ev("e1", LIFT__EVENT_TYPE__EVENT_CONVERSION),
                         ev("e2", LIFT__EVENT_TYPE__EVENT_CHURN),
                         ev("e1", LIFT__EVENT_TYPE__EVENT_CONVERSION), /* same batch */
                         ev("e3", LIFT__EVENT_TYPE__EVENT_NPS)};
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(T.client, b, 4, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, 3);
    ck_assert_uint_eq(r.duplicates, 1);
    lift_track_result_clear(&r);
    /* The retried batch: all duplicates. */
    ck_assert_int_eq(lift_track(T.client, b, 4, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, 0);
    ck_assert_uint_eq(r.duplicates, 4);
    lift_track_result_clear(&r);
    /* After a restart the index is rebuilt from the store. */
    ck_assert_int_eq(tu_liftd_stop(&T), 0);
    tu_liftd_start(&T, NULL);
    lift_event_t c[2] = {ev("e2", LIFT__EVENT_TYPE__EVENT_CHURN),
                         ev("e4", LIFT__EVENT_TYPE__EVENT_CHURN)};
    ck_assert_int_eq(lift_track(T.client, c, 2, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, 1);
    ck_assert_uint_eq(r.duplicates, 1);
    lift_track_result_clear(&r);
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).count, 4);
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).distinct_ids, 4);
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).amount_sum, 4900);
}
END_TEST

/* Conflicts (found by the store) and validation rejects (found before it) come back as one
 * list in batch order, each naming its event. */
START_TEST(test_rejects_in_batch_order)
{
    lift_event_t first[2] = {ev("c1", LIFT__EVENT_TYPE__EVENT_CONVERSION),
                             ev("c2", LIFT__EVENT_TYPE__EVENT_CONVERSION)};
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(T.client, first, 2, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, 2);
    lift_track_result_clear(&r);
    lift_event_t b[6] = {ev("c1", LIFT__EVENT_TYPE__EVENT_CONVERSION),  /* conflict */
                         ev(NULL, LIFT__EVENT_TYPE__EVENT_CHURN),       /* no id */
                         ev("c2", LIFT__EVENT_TYPE__EVENT_CONVERSION),  /* conflict */
                         ev("c3", LIFT__EVENT_TYPE__EVENT_CHURN),       /* new */
                         ev("c4", LIFT__EVENT_TYPE__EVENT_NPS),         /* nps out of range */
                         ev("c1", LIFT__EVENT_TYPE__EVENT_CONVERSION)}; /* conflict again */
    b[0].amount_minor = 5000;
    b[2].amount_minor = 100;
    b[4].nps_score = 11;
    b[5].amount_minor = 7;
    ck_assert_int_eq(lift_track(T.client, b, 6, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, 1);
    ck_assert_uint_eq(r.conflicts, 3);
    ck_assert_uint_eq(r.n_rejected, 5);
    static const size_t index[5] = {0, 1, 2, 4, 5};
    static const char *const field[5] = {"track.events[0].event_id", "track.events[1].event_id",
                                         "track.events[2].event_id", "track.events[4].nps_score",
                                         "track.events[5].event_id"};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_uint_eq(r.rejected[i].index, index[i]);
        ck_assert_str_eq(r.rejected[i].field, field[i]);
    }
    ck_assert_ptr_nonnull(strstr(r.rejected[0].reason, "reused with different content"));
    ck_assert_ptr_nonnull(strstr(r.rejected[4].reason, "reused with different content"));
    lift_track_result_clear(&r);
}
END_TEST

START_TEST(test_currency_is_fixed)
{
    ck_assert_int_eq(tu_liftd_stop(&T), 0);
    /* The store holds USD: starting with EUR must be refused, not mix currencies. */
    char prog[512];
    tu_program("liftd", prog, sizeof prog);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        execl(prog, prog, "--endpoint", T.endpoint, "--store", tu_liftd_store(&T), "--currency",
              "EUR", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 1);
    tu_liftd_start(&T, NULL);
}
END_TEST

START_TEST(test_batch_bounds)
{
    lift_track_result_t r;
    lift_event_t one = ev("x", LIFT__EVENT_TYPE__EVENT_CHURN);
    ck_assert_int_eq(lift_track(T.client, &one, 0, &r), LIFT_ERR_INVALID_ARGUMENT);
    /* The server checks the bound too: a raw request with no events. */
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Track t = LIFT__TRACK__INIT;
    req.body_case = LIFT__REQUEST__BODY_TRACK;
    req.track = &t;
    Lift__Reply *reply = NULL;
    ck_assert_int_eq(lift_call(T.client, &req, &reply, NULL, 0), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(reply->status->field, "track.events");
    lift_reply_free(&reply);
}
END_TEST

/* Crash safety: a sender process streams batches, retrying each until acknowledged and logging
 * acknowledged batches; liftd is SIGKILLed at random moments and restarted. In the end every
 * event is stored exactly once and the database is intact. */
static void sender(const char *endpoint, int batches, int size, const char *ack_path)
{
    lift_client_opts_t o = {.timeout_ms = 400, .attempts = 2};
    lift_client_t *c = lift_client_new(endpoint, &o);
    FILE *ack = fopen(ack_path, "w");
    lift_event_t *evs = calloc((size_t)size, sizeof *evs);
    char(*ids)[32] = calloc((size_t)size, sizeof *ids);
    if (!c || !ack || !evs || !ids)
        _exit(3);
    for (int b = 0; b < batches; b++) {
        for (int i = 0; i < size; i++) {
            snprintf(ids[i], sizeof ids[i], "b%d-e%d", b, i);
            evs[i] = ev(ids[i], LIFT__EVENT_TYPE__EVENT_CONVERSION);
            evs[i].amount_minor = 100 + i;
        }
        lift_track_result_t r;
        int tries = 0;
        while (lift_track(c, evs, (size_t)size, &r) != LIFT_OK) {
            if (++tries > 200)
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

START_TEST(test_crash_safety)
{
    const char *env = getenv("LIFT_SOAK_ROUNDS");
    int rounds = env && *env ? (int)strtol(env, NULL, 10) : 4;
    if (rounds < 1)
        rounds = 1;
    const int size = 500, batches = 40 + rounds * 10;
    char ack_path[400];
    snprintf(ack_path, sizeof ack_path, "%s/acks", T.dir);
    pid_t s = fork();
    ck_assert_int_ge(s, 0);
    if (s == 0)
        sender(T.endpoint, batches, size, ack_path);
    srand(12345);
    for (int k = 0; k < rounds; k++) {
        usleep((useconds_t)(20000 + rand() % 150000));
        tu_liftd_kill(&T);
        tu_liftd_start(&T, NULL);
    }
    int status;
    while (waitpid(s, &status, 0) < 0 && errno == EINTR)
        ;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sender failed: %d",
                  WEXITSTATUS(status));
    ck_assert_int_eq(tu_liftd_stop(&T), 0);
    FILE *f = fopen(ack_path, "r");
    ck_assert_ptr_nonnull(f);
    int acked = 0, b;
    while (fscanf(f, "%d", &b) == 1)
        acked++;
    fclose(f);
    ck_assert_int_eq(acked, batches);
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).count, (int64_t)batches * size);
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).distinct_ids,
                     (int64_t)batches * size);
    /* Each amount of a batch is 100 + i: the total proves no row was altered either. */
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).amount_sum,
                     (int64_t)batches * (100LL * size + (int64_t)size * (size - 1) / 2));
    /* the backend's own consistency check (SQLite: PRAGMA integrity_check) */
    char err[256];
    store_t *st = store_open(tu_liftd_store(&T), err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    ck_assert_msg(store_integrity_check(st, err, sizeof err) == 0, "%s", err);
    store_destroy(&st);
}
END_TEST

/* ---- SQLite's event index across restarts ------------------------------------------------ */

/* Send events id-<from>..id-<to-1>; return (accepted, duplicates) through the pointers. */
static void send_range(int from, int to, unsigned *acc, unsigned *dup)
{
    static lift_event_t evs[2000];
    static char ids[2000][24];
    static int64_t t0; /* one timestamp per test: a resend carries the same content */
    if (!t0)
        t0 = tu_now_ms() - 60000;
    int n = to - from;
    ck_assert_int_le(n, 2000);
    for (int i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "id-%d", from + i);
        lift_event_t e = {
            .event_id = ids[i], .customer_id = "c", .type = 5 /* churn */, .timestamp_ms = t0};
        evs[i] = e;
    }
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(T.client, evs, (size_t)n, &r), LIFT_OK);
    ck_assert_uint_eq(r.n_rejected, 0);
    *acc = r.accepted;
    *dup = r.duplicates;
    lift_track_result_clear(&r);
}

static int snapshot_exists(void)
{
    char path[400];
    struct stat sb;
    snprintf(path, sizeof path, "%s/event-index", T.data);
    return stat(path, &sb) == 0;
}

START_TEST(test_snapshot_then_crash)
{
    unsigned acc, dup;
    send_range(0, 1000, &acc, &dup);
    ck_assert_uint_eq(acc, 1000);
    ck_assert(!snapshot_exists());
    ck_assert_int_eq(tu_liftd_stop(&T), 0);
    ck_assert(snapshot_exists()); /* written at the clean stop */
    tu_liftd_start(&T, NULL);
    send_range(500, 1500, &acc, &dup); /* half known from the snapshot */
    ck_assert_uint_eq(acc, 500);
    ck_assert_uint_eq(dup, 500);
    tu_liftd_kill(&T); /* the snapshot now covers only id-0..999 */
    tu_liftd_start(&T, NULL);
    send_range(0, 2000, &acc, &dup);
    ck_assert_uint_eq(acc, 500);
    ck_assert_uint_eq(dup, 1500);
}
END_TEST

START_TEST(test_damaged_snapshot_ignored)
{
    unsigned acc, dup;
    send_range(0, 800, &acc, &dup);
    ck_assert_int_eq(tu_liftd_stop(&T), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/event-index", T.data);
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, 4096, SEEK_SET);
    fwrite("garbage!garbage!", 1, 16, f); /* checksum no longer matches */
    fclose(f);
    tu_liftd_start(&T, NULL);
    send_range(0, 1000, &acc, &dup);
    ck_assert_uint_eq(acc, 200);
    ck_assert_uint_eq(dup, 800);
}
END_TEST

Suite *ingest_suite(void);
Suite *ingest_suite(void)
{
    Suite *s = suite_create("ingest");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, tu_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_exactly_once);
    tcase_add_test(tc, test_rejects_in_batch_order);
    tcase_add_test(tc, test_currency_is_fixed);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("errors");
    tcase_add_checked_fixture(te, setup, tu_teardown);
    tcase_set_timeout(te, 120);
    tcase_add_test(te, test_validation_table);
    tcase_add_test(te, test_batch_bounds);
    suite_add_tcase(s, te);
    TCase *tk = tcase_create("crash");
    tcase_add_checked_fixture(tk, setup, tu_teardown);
    tcase_set_timeout(tk, 900);
    tcase_add_test(tk, test_crash_safety);
    suite_add_tcase(s, tk);
    if (!tu_store_backend_pg()) { /* the SQLite backend's snapshot file (DIR/event-index) */
        TCase *ti = tcase_create("index");
        tcase_add_checked_fixture(ti, tu_setup, tu_teardown);
        tcase_set_timeout(ti, 120);
        tcase_add_test(ti, test_snapshot_then_crash);
        tcase_add_test(ti, test_damaged_snapshot_ignored);
        suite_add_tcase(s, ti);
    }
    return s;
}
