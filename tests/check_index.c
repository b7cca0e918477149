/* Event-index suite: the snapshot liftd writes at a clean stop is used at the next start, a
 * stale one (events stored after it, then a crash) is completed by scanning the tail, and a
 * damaged one is ignored in favour of a full scan — duplicates are caught in every case. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lift/client.h"
#include "testutil.h"

static tliftd_t T;

static void setup(void)
{
    tu_liftd_init(&T);
    tu_liftd_start(&T, NULL);
}

static void teardown(void)
{
    tu_liftd_fini(&T);
}

/* Send events id-<from>..id-<to-1>; return (accepted, duplicates) through the pointers. */
static void send_range(int from, int to, unsigned *acc, unsigned *dup)
{
    static lift_event_t evs[2000];
    static char ids[2000][24];
    static int64_t t0; /* one timestamp per test: a resend carries the same content */
    if (!t0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        t0 = (int64_t)ts.tv_sec * 1000 - 60000;
    }
    int n = to - from;
    ck_assert_int_le(n, 2000);
    for (int i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "id-%d", from + i);
        lift_event_t e = {.event_id = ids[i], .customer_id = "c", .type = 5 /* churn */,
                          .timestamp_ms = t0};
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

Suite *index_suite(void);
Suite *index_suite(void)
{
    Suite *s = suite_create("index");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_snapshot_then_crash);
    tcase_add_test(tc, test_damaged_snapshot_ignored);
    suite_add_tcase(s, tc);
    return s;
}
