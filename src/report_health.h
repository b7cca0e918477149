/* report_health: the report's health section — the split's SRM test, outcomes read but not
 * counted, delivery against assignment, impression rate, power against the MDE — and the
 * warnings that go with them. Reads the scan and the folds; no store, no estimates of effects. */
#ifndef LIFT_REPORT_HEALTH_H
#define LIFT_REPORT_HEALTH_H

#include "lift.pb-c.h"
#include "report_acc.h"
#include "report_msg.h"
#include "report_scan.h"
#include "report_segments.h"

/* What the health section reads. */
typedef struct {
    const report_scan_t *scan;    /* counts of the read */
    const report_acc_t *acc;      /* per-arm folds */
    const Lift__Experiment *exp;  /* arm names */
    const double *wts;            /* arm weights (the expected split) */
    const char *currency;         /* for the cap's amount; may be NULL */
    const report_seg_info_t *seg; /* the segments' small and SRM levels */
    int cuped_applied;            /* some comparison used CUPED */
    const char *cuped_why;        /* requested, not applied: why */
} report_health_in_t;

/* rep->health from `in` and the comparisons already in rep, with every warning added to b so
 * far (report_msg_warnings). Returns 0, or -1 when out of memory (b->oom set). */
int report_health_build(report_msg_t *b, const report_health_in_t *in, Lift__Report *rep);

#endif
