/* wire: the checks liftd makes on a request's raw bytes (wire.c) beside its two decoders — the
 * hand-rolled single-Assign decoder (fastwire.c) and protobuf-c. Mutated and truncated Assign
 * requests: whatever fastwire takes, protobuf-c decodes to the same values and wire.c finds no
 * NUL in; a NUL byte in a string is named by its dotted path at any depth; a request whose
 * bytes break keeps the request_id read before the damage. (check_fastwire.c compares reply
 * bytes and the decoder on well-formed shapes.) */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastwire.h"
#include "lift.pb-c.h"
#include "testutil.h"
#include "wire.h"

Suite *wire_suite(void);

static int str_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* 1 when fastwire's request holds what protobuf-c decoded. */
static int same_assign(const Lift__Request *f, const Lift__Request *r)
{
    if (r->body_case != LIFT__REQUEST__BODY_ASSIGN || f->request_id != r->request_id ||
        f->has_request_id != r->has_request_id)
        return 0;
    const Lift__Assign *x = f->assign, *y = r->assign;
    if (!str_same(x->experiment_key, y->experiment_key) ||
        !str_same(x->customer_id, y->customer_id) || !x->context != !y->context)
        return 0;
    if (!y->context)
        return 1;
    const Lift__Context *c = x->context, *d = y->context;
    return c->has_trigger == d->has_trigger && c->trigger == d->trigger &&
           c->has_stage == d->has_stage && c->stage == d->stage &&
           c->has_channel == d->has_channel && c->channel == d->channel &&
           c->has_trigger_time_ms == d->has_trigger_time_ms &&
           c->trigger_time_ms == d->trigger_time_ms &&
           c->has_open_support_ticket == d->has_open_support_ticket &&
           c->open_support_ticket == d->open_support_ticket &&
           c->has_billing_dispute == d->has_billing_dispute &&
           c->billing_dispute == d->billing_dispute;
}

/* The three readers on buf[0..len): what fastwire decodes, protobuf-c decodes the same and
 * wire.c passes. Returns 1 when fastwire took it. */
static int agree(const uint8_t *buf, size_t len)
{
    static fastwire_assign_t f;
    char field[128], msg[256];
    if (!fastwire_decode_assign(buf, len, &f))
        return 0;
    Lift__Request *r = lift__request__unpack(NULL, len, buf);
    ck_assert_msg(r != NULL, "fastwire decoded %zu bytes protobuf-c refuses", len);
    ck_assert_msg(same_assign(&f.req, r), "fastwire and protobuf-c differ on %zu bytes", len);
    lift__request__free_unpacked(r, NULL);
    ck_assert_int_eq(wire_check_strings(&lift__request__descriptor, buf, len, field, sizeof field,
                                        msg, sizeof msg),
                     0);
    return 1;
}

/* An Assign of the common shape: request_id, key, customer, a full context. */
static size_t sample(uint8_t *buf, size_t cap, int variant)
{
    Lift__Request r = LIFT__REQUEST__INIT;
    Lift__Assign a = LIFT__ASSIGN__INIT;
    Lift__Context c = LIFT__CONTEXT__INIT;
    r.has_request_id = 1;
    r.request_id = variant & 1 ? 300 : 5;
    r.body_case = LIFT__REQUEST__BODY_ASSIGN;
    r.assign = &a;
    a.experiment_key = "upsell-annual";
    a.customer_id = variant & 2 ? "cust-\xc3\xa9-1" : "c";
    if (variant & 4) {
        a.context = &c;
        c.has_trigger = c.has_stage = c.has_channel = c.has_trigger_time_ms = 1;
        c.trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD;
        c.stage = LIFT__STAGE__STAGE_GROWTH;
        c.channel = LIFT__CHANNEL__CHANNEL_IN_APP;
        c.trigger_time_ms = 1767225600000LL;
        c.has_open_support_ticket = c.has_billing_dispute = 1;
        c.billing_dispute = 1;
    }
    return tu_pack_request(&r, buf, cap);
}

/* Every single-byte change and every truncation of valid requests: the readers never
 * disagree, and fastwire still takes the untouched ones. */
START_TEST(mutations_agree)
{
    static const uint8_t values[] = {0x00, 0x01, 0x02, 0x08, 0x0a, 0x10,
                                     0x12, 0x1a, 0x22, 0x7f, 0x80, 0xff};
    uint8_t buf[512], m[512];
    size_t taken = 0, tried = 0;
    for (int v = 0; v < 8; v++) {
        size_t n = sample(buf, sizeof buf, v);
        ck_assert_int_eq(agree(buf, n), 1); /* the common shape: fastwire's */
        for (size_t k = 0; k < n; k++) {
            for (size_t j = 0; j < sizeof values; j++) {
                memcpy(m, buf, n);
                m[k] = values[j];
                taken += (size_t)agree(m, n);
                tried++;
            }
            ck_assert_int_eq(agree(buf, k), 0); /* truncated: never an Assign */
        }
    }
    /* Changed string bytes and field values keep many of them fastwire's: the comparison
     * above ran on decoded requests, not only on refusals. */
    ck_assert_uint_gt(taken, tried / 10);
    ck_assert_uint_lt(taken, tried);
}
END_TEST

/* A NUL byte in a string: fastwire declines it, protobuf-c would cut the string there, and
 * wire.c names the field by its path (0-based indexes). */
START_TEST(nul_paths)
{
    uint8_t buf[1024];
    char field[128], msg[256];
    static fastwire_assign_t f;

    size_t n = sample(buf, sizeof buf, 6);
    uint8_t *p = memmem(buf, n, "cust-", 5);
    ck_assert_ptr_nonnull(p);
    p[2] = 0;
    ck_assert_int_eq(fastwire_decode_assign(buf, n, &f), 0);
    Lift__Request *r = lift__request__unpack(NULL, n, buf);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->assign->customer_id, "cu"); /* what the check exists for */
    lift__request__free_unpacked(r, NULL);
    ck_assert_int_eq(wire_check_strings(&lift__request__descriptor, buf, n, field, sizeof field,
                                        msg, sizeof msg),
                     -1);
    ck_assert_str_eq(field, "assign.customer_id");
    ck_assert_msg(strstr(msg, "assign.customer_id"), "%s", msg);

    /* Repeated fields get their index; nested messages their parent's path. */
    Lift__Request t = LIFT__REQUEST__INIT;
    Lift__Track tr = LIFT__TRACK__INIT;
    Lift__Event ev[3] = {LIFT__EVENT__INIT, LIFT__EVENT__INIT, LIFT__EVENT__INIT};
    Lift__Event *evs[3] = {&ev[0], &ev[1], &ev[2]};
    static const char *const ids[3] = {"aaaa-0", "aaaa-1", "aaaa-2"};
    for (int i = 0; i < 3; i++) {
        ev[i].event_id = "e";
        ev[i].customer_id = (char *)ids[i];
    }
    t.body_case = LIFT__REQUEST__BODY_TRACK;
    t.track = &tr;
    tr.n_events = 3;
    tr.events = evs;
    n = tu_pack_request(&t, buf, sizeof buf);
    ck_assert_int_eq(wire_check_strings(&lift__request__descriptor, buf, n, field, sizeof field,
                                        msg, sizeof msg),
                     0);
    p = memmem(buf, n, "aaaa-2", 6);
    ck_assert_ptr_nonnull(p);
    p[1] = 0;
    ck_assert_int_eq(wire_check_strings(&lift__request__descriptor, buf, n, field, sizeof field,
                                        msg, sizeof msg),
                     -1);
    ck_assert_str_eq(field, "track.events[2].customer_id");

    Lift__Request b = LIFT__REQUEST__INIT;
    Lift__AssignBatch ab = LIFT__ASSIGN_BATCH__INIT;
    char *cids[3] = {"bbbb-0", "bbbb-1", "bbbb-2"};
    b.body_case = LIFT__REQUEST__BODY_ASSIGN_BATCH;
    b.assign_batch = &ab;
    ab.experiment_key = "k";
    ab.customer_ids = cids;
    ab.n_customer_ids = 3;
    n = tu_pack_request(&b, buf, sizeof buf);
    p = memmem(buf, n, "bbbb-1", 6);
    ck_assert_ptr_nonnull(p);
    p[5] = 0; /* the last byte of the string */
    ck_assert_int_eq(wire_check_strings(&lift__request__descriptor, buf, n, field, sizeof field,
                                        msg, sizeof msg),
                     -1);
    ck_assert_str_eq(field, "assign_batch.customer_ids[1]");
    ck_assert_int_eq(fastwire_decode_assign(buf, n, &f), 0); /* not an Assign */
}
END_TEST

/* Broken bytes: protobuf-c refuses them, wire.c leaves them to it, and the request_id read
 * before the damage is still echoed. */
START_TEST(broken_bytes)
{
    uint8_t buf[512];
    char field[128], msg[256];
    uint64_t id = 0;
    size_t n = sample(buf, sizeof buf, 5); /* request_id 300 first */
    /* Cut inside the body: protobuf-c and fastwire refuse, the id survives. */
    ck_assert_ptr_null(lift__request__unpack(NULL, n - 3, buf));
    ck_assert_int_eq(agree(buf, n - 3), 0);
    ck_assert_int_eq(wire_check_strings(&lift__request__descriptor, buf, n - 3, field, sizeof field,
                                        msg, sizeof msg),
                     0);
    ck_assert_int_eq(wire_request_id(buf, n - 3, &id), 1);
    ck_assert_uint_eq(id, 300);
    /* Without a request_id there is nothing to echo. */
    ck_assert_int_eq(wire_request_id(buf + 3, n - 3, &id), 0);
    ck_assert_int_eq(wire_request_id(buf, 0, &id), 0);
    /* A string length past the end: refused by all three readers alike. */
    uint8_t bad[] = {0x08, 0x07, 0x32, 0x05, 0x0a, 0x7f, 'k'};
    ck_assert_ptr_null(lift__request__unpack(NULL, sizeof bad, bad));
    ck_assert_int_eq(agree(bad, sizeof bad), 0);
    ck_assert_int_eq(wire_request_id(bad, sizeof bad, &id), 1);
    ck_assert_uint_eq(id, 7);
}
END_TEST

Suite *wire_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, mutations_agree);
    tcase_add_test(tc, nul_paths);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("errors");
    tcase_add_test(te, broken_bytes);
    suite_add_tcase(s, te);
    return s;
}
