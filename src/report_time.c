/* report_time: see report_time.h. report_iso_week (report.h) lives here too: the week label
 * and the week start must agree. */
#include "report_time.h"

#include <stdio.h>
#include <time.h>

#include "report.h"

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* 1970-01-01 was a Thursday. */
int64_t report_time_week_start(int64_t ms)
{
    int64_t days = floor_div(ms, REPORT_DAY_MS);
    int64_t dow = ((days + 3) % 7 + 7) % 7; /* 0 = Monday */
    return (days - dow) * REPORT_DAY_MS;
}

void report_iso_week(int64_t ms, char *buf, size_t len)
{
    int64_t thursday = report_time_week_start(ms) + 3 * REPORT_DAY_MS;
    time_t t = (time_t)floor_div(thursday, 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, len, "?");
        return;
    }
    snprintf(buf, len, "%04d-W%02d", tm.tm_year + 1900, tm.tm_yday / 7 + 1);
}

void report_time_str(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)floor_div(ms, 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(buf, len, "%lld ms", (long long)ms);
}
