/* text: the protocol's text fields checked in one pass — valid UTF-8 (RFC 3629: no overlong
 * form, no UTF-16 surrogate, nothing above U+10FFFF), a byte bound, no control characters —
 * with a message naming the field, the first offending byte and the rule it broke. Pure: no
 * allocation, no state. In the client library too: assign decodes customer ids with it. Its
 * public half, lift/text.h, makes untrusted text safe to print. */
#ifndef LIFT_TEXT_INT_H
#define LIFT_TEXT_INT_H

#include <stddef.h>
#include <stdint.h>

/* Why a byte sequence is not UTF-8 (text_utf8_decode's negative returns). */
enum {
    TEXT_UTF8_CONTINUATION = -1, /* a continuation byte where a character starts */
    TEXT_UTF8_TRUNCATED = -2,    /* the text ends inside a sequence */
    TEXT_UTF8_MISSING_CONT = -3, /* a sequence lacks a continuation byte */
    TEXT_UTF8_OVERLONG = -4,     /* a longer encoding than the code point needs */
    TEXT_UTF8_SURROGATE = -5,    /* U+D800..U+DFFF encoded */
    TEXT_UTF8_TOO_BIG = -6,      /* above U+10FFFF */
    TEXT_UTF8_BAD_LEAD = -7      /* 0xF8..0xFF never start a sequence */
};

/* Flags of text_check. */
#define TEXT_MULTILINE 1u /* tab, newline and carriage return are allowed */
#define TEXT_BIDI_OK 2u   /* bidi controls are allowed (opaque text that may be right-to-left) */

/* Decodes the multi-byte sequence at p (p[0] >= 0x80; avail >= 1 bytes readable). Returns its
 * length (2..4) with *cp set, or a TEXT_UTF8_ error. Follows RFC 3629's table, so every check
 * (overlong, surrogate, range) is one comparison on the decoded value. Inline: the bucketing
 * hash decodes every non-ASCII character of an id with it. */
static inline int text_utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp)
{
    uint32_t b0 = p[0], c;
    int need;

    if (b0 < 0xC0)
        return TEXT_UTF8_CONTINUATION;
    if (b0 < 0xE0) {
        need = 2;
        c = b0 & 0x1F;
    } else if (b0 < 0xF0) {
        need = 3;
        c = b0 & 0x0F;
    } else if (b0 < 0xF8) {
        need = 4;
        c = b0 & 0x07;
    } else {
        return TEXT_UTF8_BAD_LEAD;
    }
    for (int k = 1; k < need; k++) {
        if ((size_t)k >= avail)
            return TEXT_UTF8_TRUNCATED;
        if ((p[k] & 0xC0) != 0x80)
            return TEXT_UTF8_MISSING_CONT;
        c = (c << 6) | (p[k] & 0x3F);
    }
    if ((need == 2 && c < 0x80) || (need == 3 && c < 0x800) || (need == 4 && c < 0x10000))
        return TEXT_UTF8_OVERLONG;
    if (c >= 0xD800 && c <= 0xDFFF)
        return TEXT_UTF8_SURROGATE;
    if (c > 0x10FFFF)
        return TEXT_UTF8_TOO_BIG;
    *cp = c;
    return need;
}

/* The rule a TEXT_UTF8_ error broke, e.g. "overlong encoding" (static storage). */
const char *text_utf8_error(int e);

/* Is cp a control character: C0 (U+0000..U+001F), DEL or C1 (U+0080..U+009F)? */
static inline int text_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

/* Checks the field `field` holding s (len bytes; s may be NULL only when len is 0): len in
 * min..max, valid UTF-8, no control character (flags TEXT_MULTILINE: tab, newline and carriage
 * return allowed) and, without TEXT_BIDI_OK, no bidi control (U+061C, U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069: they reorder how the text around them is shown). Returns 0, or -1 with
 * "<field>: <what, where, the bound>" in err (errlen bytes; err may be NULL). Thread-safe. */
int text_check(const char *field, const char *s, size_t len, size_t min, size_t max, unsigned flags,
               char *err, size_t errlen);

/* Is s (len bytes) valid UTF-8? 0 when it is, else the TEXT_UTF8_ error of the first bad
 * sequence with its byte offset in *at (when at is not NULL). Control characters pass. */
int text_utf8_check(const char *s, size_t len, size_t *at);

#endif
