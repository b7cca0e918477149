/* text: one checker for every text field of the protocol (see text.h). The messages are the
 * ones liftd, liftctl and the client library show; tests compare them. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>

const char *text_utf8_error(int e)
{
    switch (e) {
    case TEXT_UTF8_CONTINUATION:
        return "unexpected continuation byte";
    case TEXT_UTF8_TRUNCATED:
        return "truncated sequence";
    case TEXT_UTF8_MISSING_CONT:
        return "missing continuation byte";
    case TEXT_UTF8_OVERLONG:
        return "overlong encoding";
    case TEXT_UTF8_SURROGATE:
        return "UTF-16 surrogate encoded";
    case TEXT_UTF8_TOO_BIG:
        return "code point above U+10FFFF";
    default:
        return "invalid lead byte";
    }
}

/* Unicode Bidi_Control: characters that reorder the text shown around them (an owner that
 * reads as someone else's name, a hypothesis that hides what it says). */
static int is_bidi_control(uint32_t cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int text_utf8_check(const char *s, size_t len, size_t *at)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;

    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        int k = text_utf8_decode(p + i, len - i, &cp);
        if (k < 0) {
            if (at)
                *at = i;
            return k;
        }
        i += (size_t)k;
    }
    return 0;
}

int text_check(const char *field, const char *s, size_t len, size_t min, size_t max,
               unsigned flags, char *err, size_t errlen)
{
    const unsigned char *p = (const unsigned char *)s;

    if (len == 0 && min > 0)
        return fail(err, errlen, "%s: empty (must be %zu..%zu bytes)", field, min, max);
    if (len < min)
        return fail(err, errlen, "%s: %zu bytes, need %zu..%zu", field, len, min, max);
    if (len > max)
        return fail(err, errlen, "%s: %zu bytes exceeds the limit of %zu", field, len, max);
    if (len > 0 && !s)
        return fail(err, errlen, "%s: NULL with length %zu", field, len);
    for (size_t i = 0; i < len;) {
        uint32_t cp = p[i];
        int k = 1;
        if (cp >= 0x80) {
            k = text_utf8_decode(p + i, len - i, &cp);
            if (k < 0)
                return fail(err, errlen, "%s: invalid UTF-8 at byte %zu (%s)", field, i,
                            text_utf8_error(k));
        }
        if (text_is_control(cp) &&
            !((flags & TEXT_MULTILINE) && (cp == '\t' || cp == '\n' || cp == '\r')))
            return fail(err, errlen, "%s: control character U+%04X at byte %zu", field,
                        (unsigned)cp, i);
        if (!(flags & TEXT_BIDI_OK) && is_bidi_control(cp))
            return fail(err, errlen,
                        "%s: bidi control character U+%04X at byte %zu (it reorders how the "
                        "text around it is shown)",
                        field, (unsigned)cp, i);
        i += (size_t)k;
    }
    return 0;
}
