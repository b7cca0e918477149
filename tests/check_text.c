/* Text suite: the one checker of the protocol's text fields — every UTF-8 error by name and
 * byte, the bounds, control characters (C0, DEL, C1; tab and newlines only when multiline) and
 * bidi controls (only when allowed), each with the message a sender sees. */
#include <check.h>
#include <string.h>

#include "text.h"

/* Checks s as field "f" with bounds 1..8 and flags; returns the message, "" when accepted. */
static const char *check(const char *s, size_t len, unsigned flags)
{
    static char err[200];
    strcpy(err, "untouched");
    if (text_check("f", s, len, 1, 8, flags, err, sizeof err) == 0)
        return "";
    return err;
}

START_TEST(test_utf8_errors)
{
    static const struct {
        const char *s;
        size_t len;
        const char *want;
    } rows[] = {
        {"\200", 1, "f: invalid UTF-8 at byte 0 (unexpected continuation byte)"},
        {"ab\303", 3, "f: invalid UTF-8 at byte 2 (truncated sequence)"},
        {"\303A", 2, "f: invalid UTF-8 at byte 0 (missing continuation byte)"},
        {"a\300\257", 3, "f: invalid UTF-8 at byte 1 (overlong encoding)"},
        {"\340\200\257", 3, "f: invalid UTF-8 at byte 0 (overlong encoding)"},
        {"x\355\240\200", 4, "f: invalid UTF-8 at byte 1 (UTF-16 surrogate encoded)"},
        {"\364\220\200\200", 4, "f: invalid UTF-8 at byte 0 (code point above U+10FFFF)"},
        {"\377", 1, "f: invalid UTF-8 at byte 0 (invalid lead byte)"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ck_assert_str_eq(check(rows[i].s, rows[i].len, 0), rows[i].want);
        size_t at = 99;
        ck_assert_int_lt(text_utf8_check(rows[i].s, rows[i].len, &at), 0);
        ck_assert_uint_lt(at, rows[i].len);
    }
    /* The largest code point of each length is accepted. */
    ck_assert_str_eq(check("\177", 1, 0), "f: control character U+007F at byte 0");
    ck_assert_str_eq(check("\337\277", 2, 0), "");
    ck_assert_str_eq(check("\357\277\277", 3, 0), "");
    ck_assert_str_eq(check("\364\217\277\277", 4, 0), "");
    ck_assert_int_eq(text_utf8_check("\364\217\277\277", 4, NULL), 0);
}
END_TEST

START_TEST(test_bounds)
{
    ck_assert_str_eq(check("", 0, 0), "f: empty (must be 1..8 bytes)");
    ck_assert_str_eq(check("12345678", 8, 0), "");
    ck_assert_str_eq(check("123456789", 9, 0), "f: 9 bytes exceeds the limit of 8");
    char err[100];
    ck_assert_int_eq(text_check("f", "ab", 2, 3, 8, 0, err, sizeof err), -1);
    ck_assert_str_eq(err, "f: 2 bytes, need 3..8");
    /* Optional fields: empty passes with min 0; NULL only with length 0. */
    ck_assert_int_eq(text_check("f", NULL, 0, 0, 8, 0, err, sizeof err), 0);
    ck_assert_int_eq(text_check("f", NULL, 3, 0, 8, 0, err, sizeof err), -1);
    ck_assert_str_eq(err, "f: NULL with length 3");
    /* A too small buffer truncates the message; no buffer at all is allowed. */
    ck_assert_int_eq(text_check("f", "", 0, 1, 8, 0, err, 4), -1);
    ck_assert_str_eq(err, "f: ");
    ck_assert_int_eq(text_check("f", "", 0, 1, 8, 0, NULL, 0), -1);
}
END_TEST

START_TEST(test_controls)
{
    ck_assert_str_eq(check("a\001", 2, 0), "f: control character U+0001 at byte 1");
    ck_assert_str_eq(check("a\0b", 3, 0), "f: control character U+0000 at byte 1");
    ck_assert_str_eq(check("ab\302\205", 4, 0), "f: control character U+0085 at byte 2");
    ck_assert_str_eq(check("\302\240", 2, 0), ""); /* U+00A0, just past C1 */
    /* Tab, newline and carriage return only when multiline; other C0 never. */
    ck_assert_str_eq(check("a\tb", 3, 0), "f: control character U+0009 at byte 1");
    ck_assert_str_eq(check("a\tb\r\n", 5, TEXT_MULTILINE), "");
    ck_assert_str_eq(check("a\033", 2, TEXT_MULTILINE), "f: control character U+001B at byte 1");
    ck_assert_str_eq(check("\302\205", 2, TEXT_MULTILINE), "f: control character U+0085 at byte 0");
}
END_TEST

START_TEST(test_bidi)
{
    /* U+202E RIGHT-TO-LEFT OVERRIDE and U+061C ARABIC LETTER MARK, refused unless allowed. */
    ck_assert_str_eq(check("a\342\200\256", 4, 0),
                     "f: bidi control character U+202E at byte 1 (it reorders how the text "
                     "around it is shown)");
    ck_assert_str_eq(check("\330\234", 2, 0),
                     "f: bidi control character U+061C at byte 0 (it reorders how the text "
                     "around it is shown)");
    ck_assert_str_eq(check("a\342\200\256", 4, TEXT_BIDI_OK), "");
    ck_assert_str_eq(check("\342\200\255", 3, 0), /* U+202D */
                     "f: bidi control character U+202D at byte 0 (it reorders how the text "
                     "around it is shown)");
    ck_assert_str_eq(check("\342\200\257", 3, 0), ""); /* U+202F, a space, not a control */
}
END_TEST

Suite *text_suite(void);
Suite *text_suite(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_utf8_errors);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_controls);
    tcase_add_test(tc, test_bidi);
    suite_add_tcase(s, tc);
    return s;
}
