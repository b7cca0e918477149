/* status: filling status_t values. No I/O. */
#include "status.h"

#include <stdio.h>
#include <string.h>

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
