/* fastwire: hand-rolled protobuf decoding of the hottest request (a single Assign) and encoding
 * of its reply, byte for byte what protobuf-c reads and writes for the same messages, without
 * the descriptor-driven generic code. Anything outside the common shape (an unknown or repeated
 * field, an unusual encoding, a NUL byte in a string, an id or key longer than the bounds) is
 * declined and left to protobuf-c and wire.c, which answer it exactly as before.
 * No allocation, no I/O; thread-safe. */
#ifndef LIFT_FASTWIRE_H
#define LIFT_FASTWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "lift.pb-c.h"

#define FASTWIRE_STR_MAX 256 /* longest key or customer id decoded here (longer: declined) */

/* A decoded Assign request: the protobuf-c structs, pointing into the string copies. */
typedef struct {
    Lift__Request req;                   /* body_case ASSIGN, assign = &assign */
    Lift__Assign assign;                 /* experiment_key, customer_id -> key, customer */
    Lift__Context context;               /* assign.context = &context when sent */
    char key[FASTWIRE_STR_MAX + 1];      /* NUL-terminated experiment key */
    char customer[FASTWIRE_STR_MAX + 1]; /* NUL-terminated customer id */
} fastwire_assign_t;

/* Decodes buf[0..len) when it is a Request whose body is an Assign in the common shape
 * (fields request_id, assign{experiment_key, customer_id, context{trigger, stage, channel,
 * trigger_time_ms, open_support_ticket, billing_dispute}}, each at most once, canonical
 * varints, no NUL in a string). Returns 1 with *out filled (out->req is what
 * lift__request__unpack would have returned), or 0: not decoded here, use protobuf-c. */
int fastwire_decode_assign(const uint8_t *buf, size_t len, fastwire_assign_t *out);

/* Bytes of the packed Reply{request_id, status{code OK}, assign{items}}, or 0 when an item
 * has something this encoder does not write (an error Status): use protobuf-c then. */
size_t fastwire_assign_reply_size(uint64_t request_id, Lift__Assignment *const *items, size_t n);

/* Writes that reply to out (fastwire_assign_reply_size bytes, which must be > 0): the same
 * bytes lift__reply__pack writes for it. Returns the bytes written. */
size_t fastwire_assign_reply_pack(uint64_t request_id, Lift__Assignment *const *items, size_t n,
                                  uint8_t *out);

#endif
