/* status: filling status_t values. No I/O. */
#include "status.h"

#include <stdio.h>
#include <string.h>

#include "lift.pb-c.h"
#include "store.h"

int status_set(status_t *st, int code, const char *field, const char *fmt, ...)
{
    va_list ap;
    st->code = code;
    snprintf(st->field, sizeof st->field, "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
    return -1;
}

void status_ok(status_t *st)
{
    st->code = 0;
    st->field[0] = '\0';
    st->message[0] = '\0';
}

int status_store_code(int store_errcode)
{
    switch (store_errcode) {
    case STORE_E_UNAVAILABLE:
        return LIFT__CODE__UNAVAILABLE;
    case STORE_E_EXISTS:
        return LIFT__CODE__ALREADY_EXISTS;
    case STORE_E_INVALID:
        return LIFT__CODE__INVALID_ARGUMENT;
    default:
        return LIFT__CODE__INTERNAL;
    }
}
