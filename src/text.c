/* text: untrusted text made safe to show on a terminal (lift/text.h), for liftctl and liftd's
 * own commands alike. It only escapes: it neither validates input nor allocates. */
#include "lift/text.h"

#include <string.h>

/* The code point of the valid UTF-8 sequence at s (n bytes left) into *cp and its length,
 * or 0 when the bytes there are not one (bad lead or continuation byte, overlong, surrogate,
 * beyond U+10FFFF, cut short). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07, min = 0x10000;
    else
        return 0;
    if (n < len) return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[k] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

int lift_is_layout_control(uint32_t cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
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
    if (cap == 0) return buf;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    if (s == NULL) n = 0;
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
        if (fputs(piece, out) == EOF) return EOF;
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
        if (len == 0) len = 1, cp = 0; /* JSON writers write valid UTF-8; pass anything else on */
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
    if (rc == 0 && fwrite(p + n - run, 1, run, out) != run) rc = -1;
    return rc;
}
