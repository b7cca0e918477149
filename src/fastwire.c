/* fastwire: the single-Assign request and its reply without protobuf-c's generic code. The
 * encoder follows protobuf-c's rules (fields in number order; an optional scalar when its has_
 * flag is set, a string when not NULL; int32 and enum values below zero as ten-byte varints). */
#include "fastwire.h"

#include <string.h>

/* ---- decoding ------------------------------------------------------------------------------ */

/* A varint of at most `max` bytes; returns the bytes used, 0 when malformed or longer. */
static size_t get_varint(const uint8_t *p, size_t len, size_t max, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < len && i < max; i++) {
        x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (i == 9 && p[i] > 1)
                return 0; /* beyond 64 bits */
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* A length-delimited value at p: its bytes in [*at, *at + *n). Returns 0 when malformed. */
static int get_len(const uint8_t *p, size_t len, size_t *i, size_t *at, size_t *n)
{
    uint64_t v;
    size_t k = get_varint(p + *i, len - *i, 5, &v);
    if (!k || v > len - *i - k)
        return 0;
    *at = *i + k;
    *n = (size_t)v;
    *i = *at + *n;
    return 1;
}

/* A string value into dst (FASTWIRE_STR_MAX + 1 bytes), refusing NUL bytes. */
static int get_str(const uint8_t *p, size_t n, char *dst)
{
    if (n > FASTWIRE_STR_MAX || memchr(p, 0, n))
        return 0;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 1;
}

static int decode_context(const uint8_t *p, size_t len, Lift__Context *c)
{
    unsigned seen = 0;
    size_t i = 0;
    while (i < len) {
        uint64_t key, v;
        size_t k = get_varint(p + i, len - i, 2, &key);
        if (!k || (key & 7) != 0)
            return 0;
        i += k;
        unsigned f = (unsigned)(key >> 3);
        if (f < 1 || f > 6 || (seen & (1u << f)))
            return 0;
        seen |= 1u << f;
        k = get_varint(p + i, len - i, f == 4 ? 10 : 5, &v);
        if (!k)
            return 0;
        i += k;
        if (f <= 3 && v > 0x7fffffff)
            return 0;
        if (f >= 5 && v > 1)
            return 0;
        switch (f) {
        case 1:
            c->has_trigger = 1;
            c->trigger = (Lift__Trigger)v;
            break;
        case 2:
            c->has_stage = 1;
            c->stage = (Lift__Stage)v;
            break;
        case 3:
            c->has_channel = 1;
            c->channel = (Lift__Channel)v;
            break;
        case 4:
            c->has_trigger_time_ms = 1;
            c->trigger_time_ms = (int64_t)v;
            break;
        case 5:
            c->has_open_support_ticket = 1;
            c->open_support_ticket = (protobuf_c_boolean)v;
            break;
        default:
            c->has_billing_dispute = 1;
            c->billing_dispute = (protobuf_c_boolean)v;
            break;
        }
    }
    return 1;
}

static int decode_assign(const uint8_t *p, size_t len, fastwire_assign_t *out)
{
    unsigned seen = 0;
    size_t i = 0;
    while (i < len) {
        uint64_t key;
        size_t k = get_varint(p + i, len - i, 2, &key), at, n;
        if (!k || (key & 7) != 2)
            return 0;
        i += k;
        unsigned f = (unsigned)(key >> 3);
        if (f < 1 || f > 3 || (seen & (1u << f)) || !get_len(p, len, &i, &at, &n))
            return 0;
        seen |= 1u << f;
        if (f == 1) {
            if (!get_str(p + at, n, out->key))
                return 0;
            out->assign.experiment_key = out->key;
        } else if (f == 2) {
            if (!get_str(p + at, n, out->customer))
                return 0;
            out->assign.customer_id = out->customer;
        } else {
            if (!decode_context(p + at, n, &out->context))
                return 0;
            out->assign.context = &out->context;
        }
    }
    return 1;
}

int fastwire_decode_assign(const uint8_t *buf, size_t len, fastwire_assign_t *out)
{
    static const Lift__Request req_init = LIFT__REQUEST__INIT;
    static const Lift__Assign assign_init = LIFT__ASSIGN__INIT;
    static const Lift__Context context_init = LIFT__CONTEXT__INIT;
    out->req = req_init;
    out->assign = assign_init;
    out->context = context_init;
    int have_id = 0, have_body = 0;
    size_t i = 0;
    while (i < len) {
        uint64_t key, v;
        size_t k = get_varint(buf + i, len - i, 2, &key), at, n;
        if (!k)
            return 0;
        i += k;
        if (key == (1 << 3 | 0) && !have_id) {
            if (!(k = get_varint(buf + i, len - i, 10, &v)))
                return 0;
            i += k;
            out->req.has_request_id = 1;
            out->req.request_id = v;
            have_id = 1;
        } else if (key == (20 << 3 | 2) && !have_body) {
            if (!get_len(buf, len, &i, &at, &n) || !decode_assign(buf + at, n, out))
                return 0;
            have_body = 1;
        } else {
            return 0;
        }
    }
    if (!have_body)
        return 0;
    out->req.body_case = LIFT__REQUEST__BODY_ASSIGN;
    out->req.assign = &out->assign;
    return 1;
}

/* ---- encoding ------------------------------------------------------------------------------ */

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* int32 and enum values as protobuf-c writes them: negative ones sign-extended to 64 bits. */
static uint64_t int32_wire(int32_t v)
{
    return (uint64_t)(int64_t)v;
}

static size_t assignment_size(const Lift__Assignment *a)
{
    size_t n = 0, l;
    if (a->customer_id) {
        l = strlen(a->customer_id);
        n += 1 + varint_size(l) + l;
    }
    if (a->has_in_experiment)
        n += 2;
    if (a->has_eligible)
        n += 2;
    if (a->has_reason)
        n += 1 + varint_size(int32_wire((int32_t)a->reason));
    if (a->has_arm_index)
        n += 1 + varint_size(int32_wire(a->arm_index));
    if (a->arm_name) {
        l = strlen(a->arm_name);
        n += 1 + varint_size(l) + l;
    }
    if (a->arm_payload) {
        l = strlen(a->arm_payload);
        n += 1 + varint_size(l) + l;
    }
    if (a->has_first_exposure)
        n += 2;
    return n;
}

static size_t put_str(uint8_t *p, uint8_t tag, const char *s)
{
    size_t l = strlen(s), n = 0;
    p[n++] = tag;
    n += put_varint(p + n, l);
    memcpy(p + n, s, l);
    return n + l;
}

static size_t put_assignment(uint8_t *p, const Lift__Assignment *a)
{
    size_t n = 0;
    if (a->customer_id)
        n += put_str(p + n, 0x0a, a->customer_id);
    if (a->has_in_experiment) {
        p[n++] = 0x10;
        p[n++] = a->in_experiment ? 1 : 0;
    }
    if (a->has_eligible) {
        p[n++] = 0x18;
        p[n++] = a->eligible ? 1 : 0;
    }
    if (a->has_reason) {
        p[n++] = 0x20;
        n += put_varint(p + n, int32_wire((int32_t)a->reason));
    }
    if (a->has_arm_index) {
        p[n++] = 0x28;
        n += put_varint(p + n, int32_wire(a->arm_index));
    }
    if (a->arm_name)
        n += put_str(p + n, 0x32, a->arm_name);
    if (a->arm_payload)
        n += put_str(p + n, 0x3a, a->arm_payload);
    if (a->has_first_exposure) {
        p[n++] = 0x40;
        p[n++] = a->first_exposure ? 1 : 0;
    }
    return n;
}

/* Bytes of the AssignReply body (the assignments), or 0 when an item has an error. */
static size_t body_size(Lift__Assignment *const *items, size_t n)
{
    size_t body = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i]->error || items[i]->base.n_unknown_fields)
            return 0;
        size_t a = assignment_size(items[i]);
        body += 1 + varint_size(a) + a;
    }
    return body;
}

size_t fastwire_assign_reply_size(uint64_t request_id, Lift__Assignment *const *items, size_t n)
{
    if (n == 0)
        return 0;
    size_t body = body_size(items, n);
    if (body == 0)
        return 0;
    /* request_id, status {code: 0}, assign (tag 20: two bytes) */
    return 1 + varint_size(request_id) + 4 + 2 + varint_size(body) + body;
}

size_t fastwire_assign_reply_pack(uint64_t request_id, Lift__Assignment *const *items, size_t n,
                                  uint8_t *out)
{
    size_t k = 0, body = body_size(items, n);
    out[k++] = 0x08;
    k += put_varint(out + k, request_id);
    out[k++] = 0x12; /* status */
    out[k++] = 2;
    out[k++] = 0x08; /* code */
    out[k++] = 0;
    out[k++] = 0xa2; /* assign = 20, length-delimited */
    out[k++] = 0x01;
    k += put_varint(out + k, body);
    for (size_t i = 0; i < n; i++) {
        out[k++] = 0x0a;
        k += put_varint(out + k, assignment_size(items[i]));
        k += put_assignment(out + k, items[i]);
    }
    return k;
}
