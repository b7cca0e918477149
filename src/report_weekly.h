/* report_weekly: the report's weekly cumulative series — one point per ISO week from the week
 * of the window start to the week of its end, each the revenue comparisons as of that week's
 * end. Reads a finished scan; no store access, no other part of the report. */
#ifndef LIFT_REPORT_WEEKLY_H
#define LIFT_REPORT_WEEKLY_H

#include "lift.pb-c.h"
#include "report_msg.h"
#include "report_scan.h"

/* rep->weekly from scan s (the last REPORT_MAX_WEEKS weeks, warned about when cut): the point
 * at the end E of a week uses customers exposed before E and events before E (the last point
 * equals the report), with its own revenue cap. Returns 0, or -1 when out of memory (b->oom
 * set). */
int report_weekly_build(report_msg_t *b, const report_scan_t *s, const Lift__Experiment *exp,
                        Lift__Report *rep);

#endif
