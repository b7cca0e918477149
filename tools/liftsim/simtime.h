/* simtime: the clocks liftsim reads (wall time for event timestamps, a monotonic clock for
 * rates and progress), an EINTR-safe sleep and the UTC date format of its output. No state. */
#ifndef LIFTSIM_SIMTIME_H
#define LIFTSIM_SIMTIME_H

#include <stddef.h>
#include <stdint.h>

#define SIMTIME_DAY_MS 86400000LL
#define SIMTIME_MINUTE_MS 60000LL

/* Wall-clock time, ms since the Unix epoch. */
int64_t simtime_wall_ms(void);

/* Monotonic seconds (for durations only). */
double simtime_mono_s(void);

/* "YYYY-MM-DD HH:MM" (UTC) of ms into buf (len bytes). */
void simtime_fmt_date(int64_t ms, char *buf, size_t len);

/* Sleeps ms milliseconds, resuming after signals. */
void simtime_sleep_ms(int ms);

#endif
