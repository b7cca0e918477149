/* assign: GrowthBook-compatible bucketing (hash version 2, coverage ranges, namespaces) and
 * the customer id contract. Strings are hashed as JavaScript sees them, as UTF-16 code units,
 * streamed straight from the UTF-8 bytes: no copy, no allocation. No I/O, no state. */
#include "assign.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "text.h"

#define FNV_OFFSET 0x811c9dc5u
#define FNV_PRIME 0x01000193u

static inline uint32_t fnv_step(uint32_t h, uint32_t unit)
{
    return (h ^ unit) * FNV_PRIME;
}

/* Feeds the UTF-16 code units of a code point: JavaScript strings are UTF-16, and
 * GrowthBook's hashFnv32a xors charCodeAt(i), so an astral character is two units. */
static inline uint32_t fnv_codepoint(uint32_t h, uint32_t cp)
{
    if (cp < 0x10000)
        return fnv_step(h, cp);
    cp -= 0x10000;
    h = fnv_step(h, 0xD800 + (cp >> 10));
    return fnv_step(h, 0xDC00 + (cp & 0x3FF));
}

/* Streams s into *h as UTF-16 units. Returns 0, or -1 on invalid UTF-8. */
static int fnv_utf8(uint32_t *h, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t x = *h, cp;
    size_t i = 0;

    while (i < len) {
        if (p[i] < 0x80) {
            x = fnv_step(x, p[i++]);
            continue;
        }
        int k = text_utf8_decode(p + i, len - i, &cp);
        if (k < 0)
            return -1;
        x = fnv_codepoint(x, cp);
        i += (size_t)k;
    }
    *h = x;
    return 0;
}

/* Streams a customer id into two FNV states at once (the bucket hash continues from the
 * seed's state, the namespace hash starts fresh), so the id is decoded only once, and enforces
 * the id contract on the way. Returns 0, or -1 if the id is invalid. */
static inline int fnv_id2(uint32_t *h1, uint32_t *h2, const char *id, size_t len)
{
    const unsigned char *p = (const unsigned char *)id;
    uint32_t a = *h1, b = *h2, cp;
    size_t i = 0;

    while (i < len) {
        uint32_t c = p[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                return -1;
            a = fnv_step(a, c);
            b = fnv_step(b, c);
            i++;
            continue;
        }
        int k = text_utf8_decode(p + i, len - i, &cp);
        if (k < 0 || cp < 0xA0)
            return -1; /* 0x80..0x9F: C1 controls */
        a = fnv_codepoint(a, cp);
        b = fnv_codepoint(b, cp);
        i += (size_t)k;
    }
    *h1 = a;
    *h2 = b;
    return 0;
}

/* The same for an id when no namespace needs the second state (the common case). */
static inline int fnv_id1(uint32_t *h1, const char *id, size_t len)
{
    const unsigned char *p = (const unsigned char *)id;
    uint32_t a = *h1, cp;
    size_t i = 0;

    while (i < len) {
        uint32_t c = p[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                return -1;
            a = fnv_step(a, c);
            i++;
            continue;
        }
        int k = text_utf8_decode(p + i, len - i, &cp);
        if (k < 0 || cp < 0xA0)
            return -1; /* 0x80..0x9F: C1 controls */
        a = fnv_codepoint(a, cp);
        i += (size_t)k;
    }
    *h1 = a;
    return 0;
}

/* Hashes the decimal form of v, as JavaScript's `hash + ""` spells a uint32 (two digits per
 * division). */
static inline uint32_t fnv_decimal(uint32_t h, uint32_t v)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    char digits[10];
    int k = 10;

    while (v >= 100) {
        uint32_t r = v % 100;
        v /= 100;
        digits[--k] = pairs[2 * r + 1];
        digits[--k] = pairs[2 * r];
    }
    if (v >= 10) {
        digits[--k] = pairs[2 * v + 1];
        digits[--k] = pairs[2 * v];
    } else {
        digits[--k] = (char)('0' + v);
    }
    for (; k < 10; k++)
        h = fnv_step(h, (uint32_t)(unsigned char)digits[k]);
    return h;
}

static inline double bucket_v2(uint32_t seeded)
{
    /* % then / in double, as `hashFnv32a(...) % 10000 / 10000` evaluates in JavaScript. */
    return (double)(fnv_decimal(FNV_OFFSET, seeded) % 10000u) / 10000.0;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int assign_customer_id_check(const char *id, size_t len, char *err, size_t errlen)
{
    /* Bidi controls pass: an id is opaque, hashed as given, never laid out as text. */
    return text_check("customer_id", id, len, 1, LIFT_CUSTOMER_ID_MAX, TEXT_BIDI_OK, err, errlen);
}

/* Checks that s is valid UTF-8; reports the first bad byte under the field's name. */
static int utf8_field_check(const char *field, const char *s, size_t len, char *err, size_t errlen)
{
    size_t at = 0;
    int e;

    if (len > 0 && s == NULL) {
        set_err(err, errlen, "%s: NULL with length %zu", field, len);
        return -1;
    }
    if ((e = text_utf8_check(s, len, &at)) != 0) {
        set_err(err, errlen, "%s: invalid UTF-8 at byte %zu (%s)", field, at, text_utf8_error(e));
        return -1;
    }
    return 0;
}

int assign_config_check(const assign_config_t *cfg, char *err, size_t errlen)
{
    double sum = 0;

    if (cfg->narms < 2 || cfg->narms > LIFT_ARMS_MAX) {
        set_err(err, errlen, "arms: %d outside 2..%d", cfg->narms, LIFT_ARMS_MAX);
        return -1;
    }
    if (cfg->weights == NULL) {
        set_err(err, errlen, "weights: missing");
        return -1;
    }
    for (int i = 0; i < cfg->narms; i++) {
        double w = cfg->weights[i];
        if (!isfinite(w) || !(w > 0)) {
            set_err(err, errlen, "weights[%d]: %g must be a finite number > 0", i, w);
            return -1;
        }
        sum += w; /* in order, like getBucketRanges' cumulative sum */
    }
    if (!(fabs(sum - 1.0) <= LIFT_WEIGHT_SUM_EPS)) {
        set_err(err, errlen, "weights: sum %.12g is not 1 (+-%g)", sum, LIFT_WEIGHT_SUM_EPS);
        return -1;
    }
    if (!(cfg->coverage > 0 && cfg->coverage <= 1)) {
        set_err(err, errlen, "coverage: %g outside (0, 1]", cfg->coverage);
        return -1;
    }
    if (utf8_field_check("seed", cfg->seed, cfg->seed_len, err, errlen) != 0)
        return -1;
    if (cfg->has_namespace) {
        if (cfg->ns_id == NULL || cfg->ns_id_len == 0) {
            set_err(err, errlen, "namespace: empty id");
            return -1;
        }
        if (utf8_field_check("namespace", cfg->ns_id, cfg->ns_id_len, err, errlen) != 0)
            return -1;
        if (!(cfg->ns_lo >= 0 && cfg->ns_lo < 1)) {
            set_err(err, errlen, "namespace: start %g outside [0, 1)", cfg->ns_lo);
            return -1;
        }
        if (!(cfg->ns_hi > 0 && cfg->ns_hi <= 1)) {
            set_err(err, errlen, "namespace: end %g outside (0, 1]", cfg->ns_hi);
            return -1;
        }
        if (!(cfg->ns_lo < cfg->ns_hi)) {
            set_err(err, errlen, "namespace: start %g must be < end %g", cfg->ns_lo, cfg->ns_hi);
            return -1;
        }
    }
    return 0;
}

int assign_choose_arm(const assign_config_t *cfg, double n)
{
    /* getBucketRanges + chooseVariation, fused: same operations in the same order, so the
     * range ends round exactly as the SDK's do (0.2+0.2+0.2 is 0.6000000000000001). */
    double cumulative = 0;

    for (int i = 0; i < cfg->narms; i++) {
        double w = cfg->weights[i];
        double start = cumulative;
        cumulative += w;
        if (n >= start && n < start + cfg->coverage * w)
            return i;
    }
    return -1;
}

int assign_bucket(const assign_config_t *cfg, const char *id, size_t len, assign_result_t *out)
{
    uint32_t h = FNV_OFFSET, hns = FNV_OFFSET;

    out->arm = -1;
    out->n = -1;
    out->ns_value = -1;
    out->reason = ASSIGN_INVALID;
    if (len == 0 || len > LIFT_CUSTOMER_ID_MAX)
        return ASSIGN_INVALID_ID;
    if (cfg->seed_hashed)
        h = cfg->seed_hash;
    else if (fnv_utf8(&h, cfg->seed, cfg->seed_len) != 0)
        return ASSIGN_INVALID_ID;
    if ((cfg->has_namespace ? fnv_id2(&h, &hns, id, len) : fnv_id1(&h, id, len)) != 0)
        return ASSIGN_INVALID_ID;
    out->n = bucket_v2(h);
    if (cfg->has_namespace) {
        /* The SDK's inNamespace is hash("__" + ns, id, 1) = fnv1a32(id + "__" + ns) % 1000 / 1000.
         */
        hns = fnv_step(fnv_step(hns, '_'), '_');
        if (fnv_utf8(&hns, cfg->ns_id, cfg->ns_id_len) != 0)
            return ASSIGN_INVALID_ID;
        out->ns_value = (double)(hns % 1000u) / 1000.0;
        if (!(out->ns_value >= cfg->ns_lo && out->ns_value < cfg->ns_hi)) {
            out->reason = ASSIGN_OUTSIDE_NAMESPACE;
            return ASSIGN_NOT_IN;
        }
    }
    out->arm = assign_choose_arm(cfg, out->n);
    if (out->arm < 0) {
        out->reason = ASSIGN_OUTSIDE_COVERAGE;
        return ASSIGN_NOT_IN;
    }
    out->reason = ASSIGN_IN_EXPERIMENT;
    return out->arm;
}

int assign_config_seal(assign_config_t *cfg)
{
    uint32_t h = FNV_OFFSET;
    if (fnv_utf8(&h, cfg->seed, cfg->seed_len) != 0)
        return -1;
    cfg->seed_hash = h;
    cfg->seed_hashed = 1;
    return 0;
}

int assign_hash_v2(const char *seed, size_t seed_len, const char *id, size_t len, double *n)
{
    uint32_t h = FNV_OFFSET;

    if (fnv_utf8(&h, seed, seed_len) != 0 || fnv_utf8(&h, id, len) != 0)
        return -1;
    *n = bucket_v2(h);
    return 0;
}

uint32_t assign_fnv1a32(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t h = FNV_OFFSET;

    for (size_t i = 0; i < len; i++)
        h = fnv_step(h, p[i]);
    return h;
}

int assign_fnv1a32_utf16(const char *s, size_t len, uint32_t *h)
{
    uint32_t x = FNV_OFFSET;

    if (fnv_utf8(&x, s, len) != 0)
        return -1;
    *h = x;
    return 0;
}

const char *assign_reason_name(assign_reason_t reason)
{
    switch (reason) {
    case ASSIGN_IN_EXPERIMENT:
        return "in_experiment";
    case ASSIGN_OUTSIDE_COVERAGE:
        return "outside_coverage";
    case ASSIGN_OUTSIDE_NAMESPACE:
        return "outside_namespace";
    case ASSIGN_INVALID:
        return "invalid_id";
    }
    return "unknown";
}
