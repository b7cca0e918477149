/* text: the protocol's text fields, both ways — checked on the way in (text.h: UTF-8, bounds,
 * control and bidi characters, one message naming the field and the byte) and made safe to show
 * on a terminal on the way out (lift/text.h, for liftctl and liftd's own commands). One UTF-8
 * decoder for both. No allocation, no state. */
#include "text.h"
#include "lift/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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

int text_check(const char *field, const char *s, size_t len, size_t min, size_t max, unsigned flags,
               char *err, size_t errlen)
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
    /* One pass; ASCII (ids, keys, plan names: the common case) costs one comparison a byte. */
    for (size_t i = 0; i < len;) {
        uint32_t cp = p[i];
        if (cp >= 0x20 && cp < 0x7F) {
            i++;
            continue;
        }
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

/* ---- safe to show (lift/text.h) ---------------------------------------------------------- */

/* The code point of the valid UTF-8 sequence at s (n > 0 bytes left) into *cp and its length,
 * or 0 when the bytes there are not one. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int k = text_utf8_decode(s, n, cp);
    return k < 0 ? 0 : (size_t)k;
}

int lift_is_layout_control(uint32_t cp)
{
    return is_bidi_control(cp) || cp == 0x2028 || cp == 0x2029;
}

/* The printable form of the character at s (n > 0 bytes left) into out (>= 12 bytes,
 * terminated); returns how many input bytes it stands for. */
static size_t safe_piece(const unsigned char *s, size_t n, char out[12])
{
    uint32_t cp;
    size_t len = utf8_decode(s, n, &cp);
    if (len == 0) {
        snprintf(out, 12, "\\x%02x", s[0]);
        return 1;
    }
    if (cp == '\n' || cp == '\r' || cp == '\t')
        snprintf(out, 12, "\\%c", cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't');
    else if (cp < 0x20 || cp == 0x7F)
        snprintf(out, 12, "\\x%02x", (unsigned)cp);
    else if ((cp >= 0x80 && cp <= 0x9F) || lift_is_layout_control(cp))
        snprintf(out, 12, "\\u%04x", (unsigned)cp);
    else {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return len;
}

const char *lift_safe_textn(const char *s, size_t n, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    if (s == NULL)
        n = 0;
    size_t at = 0, i = 0;
    while (i < n) {
        char piece[12];
        size_t used = safe_piece(p + i, n - i, piece);
        size_t pl = strlen(piece);
        /* room for this piece and, when more follows, for the "..." that may end the text:
         * so "..." always fits once the first piece is in (or cap is below 4) */
        size_t need = pl + (i + used < n ? 3 : 0);
        if (at + need >= cap) {
            size_t dots = cap - 1 - at < 3 ? cap - 1 - at : 3;
            memcpy(buf + at, "...", dots);
            at += dots;
            break;
        }
        memcpy(buf + at, piece, pl);
        at += pl;
        i += used;
    }
    buf[at] = '\0';
    return buf;
}

const char *lift_safe_text(const char *s, char *buf, size_t cap)
{
    return lift_safe_textn(s, s ? strlen(s) : 0, buf, cap);
}

int lift_safe_fputs(const char *s, FILE *out)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    for (size_t i = 0; i < n;) {
        char piece[12];
        i += safe_piece(p + i, n - i, piece);
        if (fputs(piece, out) == EOF)
            return EOF;
    }
    return 0;
}

int lift_safe_json_fputs(const char *json, FILE *out)
{
    const unsigned char *p = (const unsigned char *)(json ? json : "");
    size_t n = strlen((const char *)p), run = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        uint32_t cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (len == 0)
            len = 1, cp = 0; /* JSON writers write valid UTF-8; pass anything else on */
        if (cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || lift_is_layout_control(cp)) {
            /* only possible inside a string, where \uXXXX means the same character */
            if (fwrite(p + i - run, 1, run, out) != run || fprintf(out, "\\u%04x", cp) < 0)
                rc = -1;
            run = 0;
        } else {
            run += len;
        }
        i += len;
    }
    if (rc == 0 && fwrite(p + n - run, 1, run, out) != run)
        rc = -1;
    return rc;
}
