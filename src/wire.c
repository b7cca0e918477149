/* wire: a descriptor-driven walk of protobuf wire data (varint keys, the four live wire types),
 * recursing into sub-messages, looking at string values only. */
#include "wire.h"

#include <stdio.h>
#include <string.h>

#define WIRE_MAX_DEPTH 32

/* Reads a varint; returns the bytes used, or 0 when malformed or truncated. */
static size_t varint(const uint8_t *p, size_t len, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* 1: found a NUL (path in field, when field is not NULL), 0: clean or malformed. The path is
 * built only on the second walk that a hit asks for: formatting it for every field of every
 * clean request cost more than the walk itself. */
static int walk(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t len, int depth,
                char *field, size_t fieldlen, size_t at)
{
    size_t i = 0;
    uint32_t seen[64]; /* occurrences so far of fields 1..63: a repeated field's index */
    if (depth > WIRE_MAX_DEPTH)
        return 0;
    if (field) /* only the second walk (after a hit) counts: the first runs on every request */
        memset(seen, 0, sizeof seen);
    while (i < len) {
        uint64_t key, n;
        size_t k = varint(p + i, len - i, &key);
        if (!k)
            return 0;
        i += k;
        unsigned type = (unsigned)(key & 7);
        uint32_t number = (uint32_t)(key >> 3);
        switch (type) {
        case 0: /* varint */
            if (!(k = varint(p + i, len - i, &n)))
                return 0;
            i += k;
            break;
        case 1: /* fixed64 */
            if (len - i < 8)
                return 0;
            i += 8;
            break;
        case 5: /* fixed32 */
            if (len - i < 4)
                return 0;
            i += 4;
            break;
        case 2: { /* length-delimited: string, bytes, message or packed */
            if (!(k = varint(p + i, len - i, &n)) || n > len - i - k)
                return 0;
            i += k;
            const ProtobufCFieldDescriptor *f =
                desc ? protobuf_c_message_descriptor_get_field(desc, number) : NULL;
            if (f && (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)) {
                size_t l = at;
                if (field) { /* the second walk: the path, a repeated field with its index */
                    int w;
                    if (f->label == PROTOBUF_C_LABEL_REPEATED && number < 64)
                        w = snprintf(field + at, fieldlen - at, "%s%s[%u]", at ? "." : "", f->name,
                                     (unsigned)seen[number]++);
                    else
                        w = snprintf(field + at, fieldlen - at, "%s%s", at ? "." : "", f->name);
                    if (w > 0 && (size_t)w < fieldlen - at)
                        l = at + (size_t)w;
                }
                if (f->type == PROTOBUF_C_TYPE_STRING && memchr(p + i, 0, (size_t)n))
                    return 1;
                if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
                    walk(f->descriptor, p + i, (size_t)n, depth + 1, field, fieldlen, l))
                    return 1;
                if (field)
                    field[at] = '\0';
            }
            i += (size_t)n;
            break;
        }
        default: /* groups (3, 4) and unknown types: the decoder rejects them */
            return 0;
        }
    }
    return 0;
}

int wire_check_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
                       char *field, size_t fieldlen, char *msg, size_t msglen)
{
    if (fieldlen == 0)
        return 0;
    field[0] = '\0';
    if (!walk(desc, buf, len, 0, NULL, 0, 0))
        return 0;
    walk(desc, buf, len, 0, field, fieldlen, 0);
    snprintf(msg, msglen, "%s: a NUL byte inside the value (strings must not contain NUL)", field);
    return -1;
}

int wire_request_id(const uint8_t *buf, size_t len, uint64_t *id)
{
    size_t pos = 0, k;
    int found = 0;
    while (pos < len) {
        uint64_t key, v;
        if (!(k = varint(buf + pos, len - pos, &key)))
            break;
        pos += k;
        uint32_t field = (uint32_t)(key >> 3), type = (uint32_t)(key & 7);
        if (field == 0)
            break;
        if (type == 0) {
            if (!(k = varint(buf + pos, len - pos, &v)))
                break;
            pos += k;
            if (field == 1) {
                *id = v;
                found = 1;
            }
        } else if (type == 2) {
            if (!(k = varint(buf + pos, len - pos, &v)) || v > len - pos - k)
                break;
            pos += k + (size_t)v;
        } else if (type == 1 && len - pos >= 8) {
            pos += 8;
        } else if (type == 5 && len - pos >= 4) {
            pos += 4;
        } else {
            break;
        }
    }
    return found;
}
