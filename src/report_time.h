/* report_time: the calendar arithmetic of the report — ISO weeks (Monday 00:00 UTC) and the
 * UTC time text of warnings. Pure functions, thread-safe; no window or request logic. */
#ifndef LIFT_REPORT_TIME_H
#define LIFT_REPORT_TIME_H

#include <stddef.h>
#include <stdint.h>

#define REPORT_DAY_MS 86400000LL
#define REPORT_HOUR_MS 3600000LL
#define REPORT_WEEK_MS (7 * REPORT_DAY_MS)

/* Monday 00:00 UTC of the ISO week containing ms (any ms, negative included). */
int64_t report_time_week_start(int64_t ms);

/* "2026-11-23 00:00 UTC" for ms into buf (or "<ms> ms" when the time cannot be shown). */
void report_time_str(int64_t ms, char *buf, size_t len);

#endif
