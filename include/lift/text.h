/* Lift text: untrusted text (server messages, experiment fields, customer and event ids, bytes
 * of an input file) made safe to print on a terminal, for the command-line programs. It escapes
 * for eyes only: the result is not reversible and is no validation of the input. */
#ifndef LIFT_TEXT_H
#define LIFT_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bytes of buf that always hold the escaped form of n input bytes. */
#define LIFT_SAFE_CAP(n) ((n)*4 + 4)

/* The escaped text: C0 controls and DEL as \n \r \t or \xNN, C1 controls (U+0080-U+009F) as
 * \u0080..\u009f, the layout controls (lift_is_layout_control) as \uXXXX, and each byte that
 * is not part of valid UTF-8 (also overlong forms, surrogates, > U+10FFFF) as \xNN. Everything
 * else, backslash included, is copied as is. lift_safe_text escapes the NUL-terminated s (NULL
 * prints as ""), lift_safe_textn the n bytes at s (NULs shown as \x00). Both write at most cap
 * bytes into buf (always terminated when cap > 0; a result that does not fit is cut at an
 * escape or character boundary and ends in "..."; LIFT_SAFE_CAP(n) bytes always fit n input
 * bytes) and return buf, so they can be a printf argument. No allocation; any thread. */
const char *lift_safe_text(const char *s, char *buf, size_t cap);
const char *lift_safe_textn(const char *s, size_t n, char *buf, size_t cap);

/* Writes the whole escaped s (as lift_safe_text, no truncation) to out. Returns EOF on a write
 * error, else >= 0. */
int lift_safe_fputs(const char *s, FILE *out);

/* Writes the JSON text json to out with what JSON lets through raw but a terminal acts on
 * written as \u escapes instead: DEL, C1 controls and the layout controls (the same JSON value,
 * every byte printable). No newline is added. Returns 0, or -1 on a write error. */
int lift_safe_json_fputs(const char *json, FILE *out);

/* 1 for the code points that reorder or break the text around them: Unicode Bidi_Control
 * (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and U+2028, U+2029; else 0. */
int lift_is_layout_control(uint32_t cp);

#endif
