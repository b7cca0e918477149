/* fastwire: the hand-rolled Assign decoder and reply encoder against protobuf-c itself —
 * every reply byte-identical to lift__reply__pack, every decoded request equal to what
 * lift__request__unpack gives, and every shape it must not take declined. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastwire.h"
#include "lift.pb-c.h"
#include "testutil.h"

Suite *fastwire_suite(void);

/* The reference: protobuf-c's bytes for the same reply. */
static void check_reply_same(uint64_t id, Lift__Assignment **items, size_t n)
{
    Lift__Reply reply = LIFT__REPLY__INIT;
    Lift__Status ok = LIFT__STATUS__INIT;
    Lift__AssignReply body = LIFT__ASSIGN_REPLY__INIT;
    ok.has_code = 1; /* as liftd's replies: the code always on the wire */
    ok.code = LIFT__CODE__OK;
    reply.has_request_id = 1;
    reply.request_id = id;
    reply.status = &ok;
    body.n_assignments = n;
    body.assignments = items;
    reply.body_case = LIFT__REPLY__BODY_ASSIGN;
    reply.assign = &body;
    size_t want = lift__reply__get_packed_size(&reply);
    uint8_t *a = malloc(want), *b = malloc(want + 16);
    lift__reply__pack(&reply, a);
    size_t got = fastwire_assign_reply_size(id, items, n);
    ck_assert_uint_eq(got, want);
    ck_assert_uint_eq(fastwire_assign_reply_pack(id, items, n, b), want);
    ck_assert_mem_eq(a, b, want);
    free(a);
    free(b);
}

START_TEST(reply_bytes_identical)
{
    static const uint64_t ids[] = {0, 1, 127, 128, 300, (uint64_t)1 << 40, UINT64_MAX};
    static const int arms[] = {-1, 0, 1, 19, 127, 128};
    static const char *payloads[] = {NULL, "", "offer-annual-20", NULL};
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        for (size_t k = 0; k < sizeof arms / sizeof arms[0]; k++)
            for (size_t p = 0; p < 4; p++)
                for (int flags = 0; flags < 16; flags++) {
                    Lift__Assignment a = LIFT__ASSIGNMENT__INIT, b = LIFT__ASSIGNMENT__INIT;
                    Lift__Assignment *items[] = {&a, &b};
                    a.customer_id = flags & 1 ? "cust-1" : NULL;
                    a.has_in_experiment = a.has_eligible = a.has_reason = 1;
                    a.in_experiment = arms[k] >= 0;
                    a.eligible = !!(flags & 2);
                    a.reason = (Lift__Reason)(flags % 7);
                    a.has_arm_index = 1;
                    a.arm_index = arms[k];
                    a.arm_name = flags & 4 ? "annual-offer" : (p == 3 ? longname : NULL);
                    a.arm_payload = (char *)payloads[p];
                    a.has_first_exposure = !!(flags & 8);
                    a.first_exposure = !!(flags & 8);
                    b.customer_id = longname;
                    b.has_arm_index = 1;
                    b.arm_index = -1;
                    check_reply_same(ids[i], items, 1);
                    check_reply_same(ids[i], items, 2);
                }
}
END_TEST

START_TEST(reply_with_error_declined)
{
    Lift__Assignment a = LIFT__ASSIGNMENT__INIT;
    Lift__Status e = LIFT__STATUS__INIT;
    Lift__Assignment *items[] = {&a};
    a.customer_id = "";
    a.error = &e;
    ck_assert_uint_eq(fastwire_assign_reply_size(1, items, 1), 0);
    ck_assert_uint_eq(fastwire_assign_reply_size(1, items, 0), 0);
}
END_TEST

/* Decode with both and compare every field. */
static void check_decode_same(const uint8_t *buf, size_t len)
{
    static fastwire_assign_t f;
    Lift__Request *r = lift__request__unpack(NULL, len, buf);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(fastwire_decode_assign(buf, len, &f), 1);
    ck_assert_int_eq(f.req.has_request_id, r->has_request_id);
    ck_assert_uint_eq(f.req.request_id, r->request_id);
    ck_assert_int_eq(f.req.body_case, r->body_case);
    const Lift__Assign *x = f.req.assign, *y = r->assign;
    ck_assert_int_eq(!x->experiment_key, !y->experiment_key);
    if (y->experiment_key)
        ck_assert_str_eq(x->experiment_key, y->experiment_key);
    ck_assert_int_eq(!x->customer_id, !y->customer_id);
    if (y->customer_id)
        ck_assert_str_eq(x->customer_id, y->customer_id);
    ck_assert_int_eq(!x->context, !y->context);
    if (y->context) {
        const Lift__Context *c = x->context, *d = y->context;
        ck_assert_int_eq(c->has_trigger, d->has_trigger);
        ck_assert_int_eq(c->trigger, d->trigger);
        ck_assert_int_eq(c->has_stage, d->has_stage);
        ck_assert_int_eq(c->stage, d->stage);
        ck_assert_int_eq(c->has_channel, d->has_channel);
        ck_assert_int_eq(c->channel, d->channel);
        ck_assert_int_eq(c->has_trigger_time_ms, d->has_trigger_time_ms);
        ck_assert_int_eq(c->trigger_time_ms, d->trigger_time_ms);
        ck_assert_int_eq(c->has_open_support_ticket, d->has_open_support_ticket);
        ck_assert_int_eq(c->open_support_ticket, d->open_support_ticket);
        ck_assert_int_eq(c->has_billing_dispute, d->has_billing_dispute);
        ck_assert_int_eq(c->billing_dispute, d->billing_dispute);
    }
    lift__request__free_unpacked(r, NULL);
}

START_TEST(decode_matches_protobuf_c)
{
    static const int64_t times[] = {0, 1, 1700000000000LL, -1, INT64_MAX, INT64_MIN};
    uint8_t buf[1024];
    for (int flags = 0; flags < 256; flags++)
        for (size_t t = 0; t < sizeof times / sizeof times[0]; t++) {
            Lift__Request r = LIFT__REQUEST__INIT;
            Lift__Assign a = LIFT__ASSIGN__INIT;
            Lift__Context c = LIFT__CONTEXT__INIT;
            r.has_request_id = !!(flags & 1);
            r.request_id = flags & 2 ? UINT64_MAX : 77;
            r.body_case = LIFT__REQUEST__BODY_ASSIGN;
            r.assign = &a;
            a.experiment_key = flags & 4 ? "bench-upsell" : (flags & 128 ? "" : NULL);
            a.customer_id = flags & 8 ? "cust-\xc3\xa9-00000001" : NULL;
            if (flags & 16) {
                a.context = &c;
                c.has_trigger = c.has_stage = c.has_channel = 1;
                c.trigger = (Lift__Trigger)(flags % 6);
                c.stage = (Lift__Stage)(flags % 5 + 1);
                c.channel = (Lift__Channel)(flags & 64 ? 1000000 : 2);
                c.has_trigger_time_ms = !!(flags & 32);
                c.trigger_time_ms = times[t];
                c.has_open_support_ticket = !!(flags & 64);
                c.open_support_ticket = 1;
                c.has_billing_dispute = !!(flags & 32);
            }
            check_decode_same(buf, tu_pack_request(&r, buf, sizeof buf));
        }
}
END_TEST

START_TEST(decode_declines)
{
    static fastwire_assign_t f;
    uint8_t buf[1024];
    Lift__Request r = LIFT__REQUEST__INIT;
    Lift__Assign a = LIFT__ASSIGN__INIT;
    Lift__Context c = LIFT__CONTEXT__INIT;
    r.body_case = LIFT__REQUEST__BODY_ASSIGN;
    r.assign = &a;
    a.experiment_key = "k";
    a.customer_id = "cust";
    a.context = &c;
    size_t n = tu_pack_request(&r, buf, sizeof buf);
    ck_assert_int_eq(fastwire_decode_assign(buf, n, &f), 1);
    /* A NUL inside the customer id ("cust" -> "cu\0t"): left to wire.c's named error. */
    uint8_t *p = memmem(buf, n, "cust", 4);
    ck_assert_ptr_nonnull(p);
    p[2] = 0;
    ck_assert_int_eq(fastwire_decode_assign(buf, n, &f), 0);
    p[2] = 's';
    /* Truncated anywhere: declined (protobuf-c decides). */
    for (size_t k = 1; k < n; k++)
        ck_assert_int_eq(fastwire_decode_assign(buf, k, &f), 0);
    /* The same field twice (protobuf-c would merge): declined. */
    uint8_t twice[2048];
    memcpy(twice, buf, n);
    memcpy(twice + n, buf, n);
    ck_assert_int_eq(fastwire_decode_assign(twice, 2 * n, &f), 0);
    /* A negative enum (ten-byte varint) and a bool of 2: declined. */
    c.has_trigger = 1;
    c.trigger = (Lift__Trigger)-1;
    n = tu_pack_request(&r, buf, sizeof buf);
    ck_assert_int_eq(fastwire_decode_assign(buf, n, &f), 0);
    c.has_trigger = 0;
    n = tu_pack_request(&r, buf, sizeof buf);
    ck_assert_int_eq(fastwire_decode_assign(buf, n, &f), 1);
    /* Another request type, and an empty request: declined. */
    Lift__Request ping = LIFT__REQUEST__INIT;
    Lift__Ping pg = LIFT__PING__INIT;
    ping.body_case = LIFT__REQUEST__BODY_PING;
    ping.ping = &pg;
    n = tu_pack_request(&ping, buf, sizeof buf);
    ck_assert_int_eq(fastwire_decode_assign(buf, n, &f), 0);
    ck_assert_int_eq(fastwire_decode_assign(buf, 0, &f), 0);
    /* An id longer than FASTWIRE_STR_MAX: declined (liftd's own check names the bound). */
    char lng[FASTWIRE_STR_MAX + 2];
    memset(lng, 'x', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    a.customer_id = lng;
    n = tu_pack_request(&r, buf, sizeof buf);
    ck_assert_int_eq(fastwire_decode_assign(buf, n, &f), 0);
    lng[FASTWIRE_STR_MAX] = '\0';
    n = tu_pack_request(&r, buf, sizeof buf);
    ck_assert_int_eq(fastwire_decode_assign(buf, n, &f), 1);
    ck_assert_uint_eq(strlen(f.customer), FASTWIRE_STR_MAX);
}
END_TEST

Suite *fastwire_suite(void)
{
    Suite *s = suite_create("fastwire");
    TCase *core = tcase_create("core");
    tcase_add_test(core, reply_bytes_identical);
    tcase_add_test(core, decode_matches_protobuf_c);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, reply_with_error_declined);
    tcase_add_test(errors, decode_declines);
    suite_add_tcase(s, errors);
    return s;
}
