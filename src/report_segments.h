/* report_segments: the report's segments — per requested dimension and level, the arms'
 * counts, the SRM within the level and the comparisons (when every arm has enough customers),
 * then per dimension and arm the heterogeneity test and empirical-Bayes shrunken estimates,
 * levels sorted by them. Exploratory family only; no store, no other part of the report. */
#ifndef LIFT_REPORT_SEGMENTS_H
#define LIFT_REPORT_SEGMENTS_H

#include <stdint.h>

#include "lift.pb-c.h"
#include "report_acc.h"
#include "report_msg.h"

/* What the health section says about the segments. */
typedef struct {
    uint32_t small;       /* levels listed, not estimated: an arm below REPORT_MIN_SEGMENT */
    uint32_t srm_bad;     /* levels with a sample ratio mismatch */
    char srm_levels[256]; /* those levels, "dim=level (chi2 .., p ..)", comma-separated */
    int delay_untimed;    /* delay asked for but not comparable (no ghost impressions) */
} report_seg_info_t;

/* rep->segments and rep->heterogeneity from acc's cells; wts = the arms' weights (SRM's
 * expected split). Returns 0 with *info set, or -1 when out of memory (b->oom set). */
int report_seg_build(report_msg_t *b, const report_acc_t *acc, const Lift__Experiment *exp,
                     const double *wts, Lift__Report *rep, report_seg_info_t *info);

#endif
