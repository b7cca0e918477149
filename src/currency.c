/* Lift currencies: the ISO 4217 table and exact major <-> minor unit conversion, shared by liftd,
 * the client library, liftctl and liftsim. Pure functions over one constant table: no I/O, no
 * allocation, no state. */
#include "lift/currency.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ISO 4217 List One, as published by the maintenance agency (SIX) on 2026-01-01: every active
 * alphabetic code once with its minor units; -1 where the list says "N.A." (no minor unit:
 * precious metals, bond-market units, the SDR, the Sucre, the ADB unit, "XTS" testing and
 * "XXX" no currency). Withdrawn codes (ANG, BGN, CUC, HRK, SLL, ZWL, ...) are not here. Keep it
 * in code order; a new amendment adds or removes lines. */
static const struct {
    char code[4]; /* alphabetic code */
    int digits;   /* minor-unit digits, -1 = N.A. */
} ISO4217[] = {
    {"AED", 2},  {"AFN", 2},  {"ALL", 2},  {"AMD", 2},  {"AOA", 2},  {"ARS", 2},  {"AUD", 2},
    {"AWG", 2},  {"AZN", 2},  {"BAM", 2},  {"BBD", 2},  {"BDT", 2},  {"BHD", 3},  {"BIF", 0},
    {"BMD", 2},  {"BND", 2},  {"BOB", 2},  {"BOV", 2},  {"BRL", 2},  {"BSD", 2},  {"BTN", 2},
    {"BWP", 2},  {"BYN", 2},  {"BZD", 2},  {"CAD", 2},  {"CDF", 2},  {"CHE", 2},  {"CHF", 2},
    {"CHW", 2},  {"CLF", 4},  {"CLP", 0},  {"CNY", 2},  {"COP", 2},  {"COU", 2},  {"CRC", 2},
    {"CUP", 2},  {"CVE", 2},  {"CZK", 2},  {"DJF", 0},  {"DKK", 2},  {"DOP", 2},  {"DZD", 2},
    {"EGP", 2},  {"ERN", 2},  {"ETB", 2},  {"EUR", 2},  {"FJD", 2},  {"FKP", 2},  {"GBP", 2},
    {"GEL", 2},  {"GHS", 2},  {"GIP", 2},  {"GMD", 2},  {"GNF", 0},  {"GTQ", 2},  {"GYD", 2},
    {"HKD", 2},  {"HNL", 2},  {"HTG", 2},  {"HUF", 2},  {"IDR", 2},  {"ILS", 2},  {"INR", 2},
    {"IQD", 3},  {"IRR", 2},  {"ISK", 0},  {"JMD", 2},  {"JOD", 3},  {"JPY", 0},  {"KES", 2},
    {"KGS", 2},  {"KHR", 2},  {"KMF", 0},  {"KPW", 2},  {"KRW", 0},  {"KWD", 3},  {"KYD", 2},
    {"KZT", 2},  {"LAK", 2},  {"LBP", 2},  {"LKR", 2},  {"LRD", 2},  {"LSL", 2},  {"LYD", 3},
    {"MAD", 2},  {"MDL", 2},  {"MGA", 2},  {"MKD", 2},  {"MMK", 2},  {"MNT", 2},  {"MOP", 2},
    {"MRU", 2},  {"MUR", 2},  {"MVR", 2},  {"MWK", 2},  {"MXN", 2},  {"MXV", 2},  {"MYR", 2},
    {"MZN", 2},  {"NAD", 2},  {"NGN", 2},  {"NIO", 2},  {"NOK", 2},  {"NPR", 2},  {"NZD", 2},
    {"OMR", 3},  {"PAB", 2},  {"PEN", 2},  {"PGK", 2},  {"PHP", 2},  {"PKR", 2},  {"PLN", 2},
    {"PYG", 0},  {"QAR", 2},  {"RON", 2},  {"RSD", 2},  {"RUB", 2},  {"RWF", 0},  {"SAR", 2},
    {"SBD", 2},  {"SCR", 2},  {"SDG", 2},  {"SEK", 2},  {"SGD", 2},  {"SHP", 2},  {"SLE", 2},
    {"SOS", 2},  {"SRD", 2},  {"SSP", 2},  {"STN", 2},  {"SVC", 2},  {"SYP", 2},  {"SZL", 2},
    {"THB", 2},  {"TJS", 2},  {"TMT", 2},  {"TND", 3},  {"TOP", 2},  {"TRY", 2},  {"TTD", 2},
    {"TWD", 2},  {"TZS", 2},  {"UAH", 2},  {"UGX", 0},  {"USD", 2},  {"USN", 2},  {"UYI", 0},
    {"UYU", 2},  {"UYW", 4},  {"UZS", 2},  {"VED", 2},  {"VES", 2},  {"VND", 0},  {"VUV", 0},
    {"WST", 2},  {"XAD", 2},  {"XAF", 0},  {"XAG", -1}, {"XAU", -1}, {"XBA", -1}, {"XBB", -1},
    {"XBC", -1}, {"XBD", -1}, {"XCD", 2},  {"XCG", 2},  {"XDR", -1}, {"XOF", 0},  {"XPD", -1},
    {"XPF", 0},  {"XPT", -1}, {"XSU", -1}, {"XTS", -1}, {"XUA", -1}, {"XXX", -1}, {"YER", 2},
    {"ZAR", 2},  {"ZMW", 2},  {"ZWG", 2},
};

#define N_CODES (sizeof ISO4217 / sizeof ISO4217[0])

/* The table entry for exactly `code`, or -1. */
static int find(const char *code)
{
    if (code == NULL || strlen(code) != 3)
        return -1;
    for (size_t i = 0; i < N_CODES; i++)
        if (memcmp(ISO4217[i].code, code, 3) == 0)
            return (int)i;
    return -1;
}

int lift_currency_digits(const char *code)
{
    int i = find(code);
    return i < 0 ? -1 : ISO4217[i].digits;
}

int lift_currency_check(const char *code, char *err, size_t errlen)
{
    int i = find(code);
    if (i >= 0 && ISO4217[i].digits >= 0)
        return 0;
    if (err == NULL || errlen == 0)
        return -1;
    char upper[4] = "";
    if (code && strlen(code) == 3) {
        for (int k = 0; k < 3; k++)
            upper[k] = code[k] >= 'a' && code[k] <= 'z' ? (char)(code[k] - 'a' + 'A') : code[k];
        upper[3] = '\0';
    }
    if (i >= 0)
        snprintf(err, errlen,
                 "'%s' is an ISO 4217 code without minor units (a metal, fund, testing or "
                 "no-currency code): amounts cannot be counted in it",
                 code);
    else if (upper[0] && strcmp(upper, code) != 0 && lift_currency_digits(upper) >= 0)
        snprintf(err, errlen, "'%s' is not an ISO 4217 currency code (codes are upper case: %s)",
                 code, upper);
    else
        snprintf(err, errlen,
                 "'%.16s' is not an active ISO 4217 currency code (like USD, EUR or JPY)",
                 code ? code : "");
    return -1;
}

int lift_currency_parse(const char *text, int digits, int64_t *out)
{
    static const int64_t POW10[] = {1, 10, 100, 1000, 10000};
    if (text == NULL || digits < 0 || digits > LIFT_CURRENCY_DIGITS_MAX)
        return -1;
    const char *p = text;
    int neg = 0, whole_digits = 0, decimals = 0, too_large = 0;
    uint64_t whole = 0, frac = 0;
    const uint64_t limit = (uint64_t)INT64_MAX / (uint64_t)POW10[digits];
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    for (; *p >= '0' && *p <= '9'; p++, whole_digits++) {
        if (whole > (limit - (uint64_t)(*p - '0')) / 10)
            too_large = 1; /* keep scanning: "12x" is still "not a number" */
        else
            whole = whole * 10 + (uint64_t)(*p - '0');
    }
    int extra = 0; /* a non-zero decimal beyond `digits` */
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, decimals++)
            if (decimals < digits)
                frac = frac * 10 + (uint64_t)(*p - '0');
            else if (*p != '0')
                extra = 1;
        if (decimals == 0)
            return -1;
    }
    if (whole_digits == 0 || *p != '\0')
        return -1;
    if (extra)
        return -3;
    if (too_large)
        return -2;
    for (int k = decimals < digits ? decimals : digits; k < digits; k++)
        frac *= 10;
    uint64_t v = whole * (uint64_t)POW10[digits] + frac; /* <= INT64_MAX by `limit` */
    if (v > (uint64_t)INT64_MAX)
        return -2;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

int lift_currency_format(char *buf, size_t len, double minor, int digits, int plus)
{
    if (buf == NULL || len == 0)
        return -1;
    buf[0] = '\0';
    if (!isfinite(minor) || digits < 0 || digits > LIFT_CURRENCY_DIGITS_MAX)
        return -1;
    double r = round(minor);
    char d[400], out[560];
    int n = snprintf(d, sizeof d, "%.0f", fabs(r)); /* at most 309 digits for any double */
    if (n < 0 || (size_t)n >= sizeof d)
        return -1;
    /* Left-pad to at least digits + 1 digits, so there is a whole part: 5 -> "005" -> 0.05. */
    int pad = digits + 1 - n;
    if (pad > 0) {
        memmove(d + pad, d, (size_t)n + 1);
        memset(d, '0', (size_t)pad);
        n += pad;
    }
    int whole = n - digits;
    size_t k = 0;
    if (r < 0)
        out[k++] = '-';
    else if (plus && r > 0)
        out[k++] = '+';
    for (int i = 0; i < whole; i++) {
        if (i > 0 && (whole - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = d[i];
    }
    if (digits > 0) {
        out[k++] = '.';
        memcpy(out + k, d + whole, (size_t)digits);
        k += (size_t)digits;
    }
    out[k] = '\0';
    if (k >= len)
        return -1;
    memcpy(buf, out, k + 1);
    return 0;
}
