/* status: the outcome of a request or of one item in a batch — a code from proto/lift.proto's
 * Code enum, the field that was wrong and a message naming the value and the bound.
 * Plain data; it knows nothing of sockets, and of storage only what a failure class
 * (store_errcode_t) means for a reply. */
#ifndef LIFT_STATUS_H
#define LIFT_STATUS_H

#include <stdarg.h>

typedef struct {
    int code;          /* LIFT__CODE__* value; 0 = OK */
    char field[128];   /* dotted path of the offending field, "" when none */
    char message[384]; /* human-readable, names the value and the bound */
} status_t;

/* Set *st to `code` with `field` and a printf-style message; returns -1 for the caller's
 * convenience (`return status_set(...)`). `field` may be NULL. */
int status_set(status_t *st, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The reply code for a store failure class (store_errcode_t): UNAVAILABLE for a transient
 * failure (retrying can succeed), ALREADY_EXISTS, INVALID_ARGUMENT, else INTERNAL. */
int status_store_code(int store_errcode);

/* Reset *st to OK with no field and no message. */
void status_ok(status_t *st);

#endif
