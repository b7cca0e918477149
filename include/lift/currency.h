/* Lift currencies: the ISO 4217 table (alphabetic code -> minor-unit digits) that liftd, the
 * client library, liftctl and liftsim share, with exact major <-> minor unit conversion.
 * Pure functions over one constant table: no I/O, no allocation, no state, no exchange rates. */
#ifndef LIFT_CURRENCY_H
#define LIFT_CURRENCY_H

#include <stddef.h>
#include <stdint.h>

#define LIFT_CURRENCY_DIGITS_MAX 4 /* most minor-unit digits of any code (CLF, UYW) */

/* Minor-unit digits of an active ISO 4217 code: 0 for "JPY", 2 for "USD", 3 for "KWD", 4 for
 * "CLF". -1 when code is NULL, not exactly an active code (upper case; withdrawn codes such as
 * "HRK" are not active) or a code without minor units in ISO 4217 ("N.A.": gold "XAU", the SDR
 * "XDR", "XXX", "XTS", ...), in which no amount can be counted. Any thread. */
int lift_currency_digits(const char *code);

/* 0 when code can be a deployment's currency (lift_currency_digits(code) >= 0). Otherwise -1
 * and, when err is not NULL, a one-line reason naming the value, e.g. "'JPN' is not an active
 * ISO 4217 currency code (like USD, EUR or JPY)" (without a field name: the caller adds it).
 * Any thread. */
int lift_currency_check(const char *code, char *err, size_t errlen);

/* Exact decimal text in major units -> minor units of a currency with `digits` (0..4) decimals:
 * "49.50" (2) -> 4950, "4900" (0) -> 4900, "1.234" (3) -> 1234, "-3" (2) -> -300. Accepts an
 * optional sign, digits, and an optional point followed by at least one digit; extra decimals
 * that are all zeros are allowed ("49.00" in JPY is 49). Returns 0 with *out set; -1 not such a
 * number (also exponents, spaces, "" and NULL); -2 beyond int64 minor units; -3 more non-zero
 * decimals than `digits` (*out untouched on failure). Any thread. */
int lift_currency_parse(const char *text, int digits, int64_t *out);

/* Minor units as major units with `digits` (0..4) decimals and ',' between thousands:
 * 123456789 -> "1,234,567.89" (2), "123,456,789" (0), "123,456.789" (3); plus: "+" before
 * positive amounts. The value is rounded to whole minor units first and may be any finite
 * double (no integer overflow); -0.4 prints as "0.00". Returns 0, or -1 when minor is not finite,
 * digits is outside 0..4 or the text does not fit in len bytes (buf is then ""). Any thread. */
int lift_currency_format(char *buf, size_t len, double minor, int digits, int plus);

#endif
