/* Sticky-cache suite: hits only for the exact (experiment, customer) that was put, misses after
 * a clear, and a slot shared by two keys answers for the last one put only. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "sticky.h"

static sticky_t *S;

static void setup(void)
{
    S = sticky_new();
    ck_assert_ptr_nonnull(S);
}

static void teardown(void)
{
    sticky_destroy(&S);
    ck_assert_ptr_null(S);
}

START_TEST(test_put_get)
{
    int arm = -1;
    ck_assert_int_eq(sticky_get(S, 1, "cust-1", 6, &arm), 0);
    sticky_put(S, 1, "cust-1", 6, 2);
    ck_assert_int_eq(sticky_get(S, 1, "cust-1", 6, &arm), 1);
    ck_assert_int_eq(arm, 2);
    /* Another experiment, a prefix, a longer id: all misses. */
    ck_assert_int_eq(sticky_get(S, 2, "cust-1", 6, &arm), 0);
    ck_assert_int_eq(sticky_get(S, 1, "cust-", 5, &arm), 0);
    ck_assert_int_eq(sticky_get(S, 1, "cust-10", 7, &arm), 0);
    sticky_clear(S);
    ck_assert_int_eq(sticky_get(S, 1, "cust-1", 6, &arm), 0);
}
END_TEST

START_TEST(test_many_keys_no_false_hits)
{
    /* Put more keys than slots: slots are shared and overwritten, but a key that was never put
     * must never hit, and a hit must carry the arm of that very key. */
    char id[32];
    for (unsigned i = 0; i < STICKY_SLOTS + 100000; i++) {
        int n = snprintf(id, sizeof id, "c%u", i);
        sticky_put(S, 7, id, (size_t)n, (int)(i % 5));
    }
    unsigned hits = 0;
    for (unsigned i = 0; i < STICKY_SLOTS + 100000; i++) {
        int n = snprintf(id, sizeof id, "c%u", i), arm = -1;
        if (sticky_get(S, 7, id, (size_t)n, &arm)) {
            ck_assert_int_eq(arm, (int)(i % 5));
            hits++;
        }
        n = snprintf(id, sizeof id, "never-%u", i);
        ck_assert_int_eq(sticky_get(S, 7, id, (size_t)n, &arm), 0);
    }
    ck_assert_uint_gt(hits, STICKY_SLOTS / 4); /* the recent keys are still there */
    ck_assert_uint_le(hits, STICKY_SLOTS);
}
END_TEST

Suite *sticky_suite(void);
Suite *sticky_suite(void)
{
    Suite *s = suite_create("sticky");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_put_get);
    tcase_add_test(tc, test_many_keys_no_false_hits);
    suite_add_tcase(s, tc);
    return s;
}
