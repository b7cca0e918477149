/* report_acc: the customers of a scan summed per arm and per segment cell (dimension, level,
 * arm) — capped revenue, conversions, CACE and CTR pairs, NPS, retention times — for the
 * estimates. No estimates, no messages, no store. */
#ifndef LIFT_REPORT_ACC_H
#define LIFT_REPORT_ACC_H

#include <stddef.h>
#include <stdint.h>

#include "lift/stats.h"
#include "report_opts.h"
#include "report_scan.h"

typedef struct {
    lift_summary_t rev; /* y = capped revenue, x = pre-period revenue */
    int64_t exposed;    /* customers */
    int64_t converted;  /* customers with a conversion */
    int64_t payers;     /* customers with revenue > 0 (the calibration's converters) */
} report_cell_t;

typedef struct {
    report_cell_t all;   /* the arm */
    lift_summary_t unc;  /* y = uncapped revenue, x = pre-period revenue */
    uint64_t capped;     /* customers whose revenue the cap lowered */
    uint64_t other_arm;  /* customers with impressions logged for another arm */
    lift_summary_t cace; /* y = capped revenue, x = impressed */
    lift_summary_t ctr;  /* y = clicks, x = impressions */
    uint64_t imps, clicks, impressed, conversions;
    int64_t revenue, refunds;
    int64_t churned;
    lift_nps_counts_t nps_pre, nps_post;
    lift_summary_t nps_pair; /* y = score after, x = score before */
    double *km_t;            /* upgraders: days from first upgrade to churn/censoring */
    int *km_e;               /* 1 churned */
    size_t km_n;
} report_arm_t;

typedef struct {
    report_arm_t *arm;    /* per arm, n_arms entries */
    report_cell_t *cells; /* [dimension index][level][arm]: report_acc_row */
    size_t n_arms;        /* arms */
    double cap;           /* revenue cap applied, minor units; 0 = none */
    size_t n_pos;         /* customers with revenue > 0 (the cap's base) */
    uint64_t capped;      /* customers the cap lowered */
    uint64_t with_pre;    /* customers with pre-exposure revenue */
} report_acc_t;

/* Fold scan s's customers into *acc (the revenue cap first: a percentile of the customers with
 * revenue > 0, report_est_cap). Returns 0, or -1 when out of memory; either way free with
 * report_acc_fini. */
int report_acc_fold(report_acc_t *acc, const report_scan_t *s, const report_opts_t *o,
                    size_t n_arms);

/* The cells of dimension index di (into o->dims), level lv: one per arm. */
static inline report_cell_t *report_acc_row(const report_acc_t *acc, size_t di, int lv)
{
    return &acc->cells[(di * REPORT_N_LEVELS + (size_t)lv) * acc->n_arms];
}

/* The level of a customer in dimension dim (delay: 0..4 = <1h, 1-24h, 1-7d, >7d, none). */
int report_acc_level(const report_hot_t *h, int dim);

/* Free what acc holds; accepts an all-zero *acc. */
void report_acc_fini(report_acc_t *acc);

#endif
