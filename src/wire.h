/* wire: checks on a request's raw protobuf bytes that protobuf-c's decoder does not make.
 * protobuf-c copies a `string` field into a NUL-terminated C string, so a value with an
 * embedded NUL byte would silently lose its tail ("cust\0-2" would become "cust"); this walks
 * the wire format with the message descriptors and refuses such values, naming the field.
 * No allocation, no I/O. */
#ifndef LIFT_WIRE_H
#define LIFT_WIRE_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

/* Returns 0 when no string field (at any depth) of the message `desc` encoded in buf[0..len)
 * holds a NUL byte; -1 otherwise, with the dotted field path in field (e.g.
 * "track.events[2].customer_id", indexes 0-based) and a message naming it in msg. Malformed
 * wire data is left to the decoder (returns 0). Thread-safe. */
int wire_check_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
                       char *field, size_t fieldlen, char *msg, size_t msglen);

/* The request_id (field 1) of a Request whose bytes protobuf-c could not decode, read from the
 * top-level fields before the damage: 1 with *id set when found, else 0. */
int wire_request_id(const uint8_t *buf, size_t len, uint64_t *id);

#endif
