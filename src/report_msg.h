/* report_msg: building lift.Report's pieces in the report's arena — estimates, comparisons,
 * retention curves, SRM results — and the bookkeeping across them: the two test families and
 * their adjusted p-values, the warnings by priority. No statistics of its own, no store. */
#ifndef LIFT_REPORT_MSG_H
#define LIFT_REPORT_MSG_H

#include <stddef.h>

#include "arena.h"
#include "lift.pb-c.h"
#include "lift/stats.h"
#include "report_est.h"
#include "report_opts.h"

/* One hypothesis of a family and the estimates that show its adjusted p-value (estimates of
 * the same null hypothesis — a difference, its total, its relative form — share one test). */
#define REPORT_FAM_EST 6
typedef struct {
    double p;                          /* raw p-value of the test of record */
    Lift__Estimate *e[REPORT_FAM_EST]; /* estimates sharing the test (NULL-padded) */
} report_fam_t;

enum { REPORT_FAM_CONF, REPORT_FAM_EXPL, REPORT_FAM_N }; /* confirmatory, exploratory */

/* Warnings by priority, most important first. */
enum {
    REPORT_W_SRM,        /* the split is broken */
    REPORT_W_EMPTY,      /* nobody to compare */
    REPORT_W_OUTCOMES,   /* outcomes read but not counted */
    REPORT_W_OTHERARM,   /* impressions logged for another arm */
    REPORT_W_PRE,        /* pre-period imbalance */
    REPORT_W_SEGSRM,     /* SRM within segment levels */
    REPORT_W_IMPRESSION, /* low impression rate */
    REPORT_W_SEQ,        /* fixed-horizon intervals read weekly */
    REPORT_W_CUPED,      /* CUPED requested, not applied */
    REPORT_W_CAP,        /* the cap */
    REPORT_W_POWER,      /* underpowered against the user's MDE */
    REPORT_W_SMALL,      /* segments not estimated */
    REPORT_W_ARM,        /* exposures with an unknown arm */
    REPORT_W_OUTSIDE,    /* outcomes read but not counted, while others were counted */
    REPORT_W_SKEW,       /* outcomes pile up just before exposure: a sender clock behind? */
    REPORT_W_WEEKS,      /* weekly series cut */
    REPORT_W_MAX
};

/* A report being built. Zero it, then set a and o; free with report_msg_fini. */
typedef struct {
    arena_t *a;                      /* owns every message and string */
    const report_opts_t *o;          /* the resolved options */
    report_fam_t *fam[REPORT_FAM_N]; /* the families' hypotheses */
    size_t n_fam[REPORT_FAM_N];      /* entries in fam */
    size_t cap_fam[REPORT_FAM_N];    /* room in fam */
    char *warn[REPORT_W_MAX * 2];    /* warnings by priority slot (two per priority) */
    int oom;                         /* an allocation failed: the report is void */
} report_msg_t;

/* Jump to the caller's `oom:` label when x is NULL or an allocation of b failed. */
#define REPORT_MSG_CK(x)                                                                           \
    do {                                                                                           \
        if (!(x) || b->oom)                                                                        \
            goto oom;                                                                              \
    } while (0)

/* Free what b holds outside the arena (the families). */
void report_msg_fini(report_msg_t *b);

/* An estimate that says ok = false for `reason` (borrowed: a literal or arena string). NULL
 * (and b->oom set) when out of memory; so for every function below. */
Lift__Estimate *report_msg_fail(report_msg_t *b, const char *reason);

/* The message of estimate s (not OK, or any non-finite figure, gives ok = false with a
 * reason); `seq`: the estimate follows the report's sequential setting. */
Lift__Estimate *report_msg_est(report_msg_t *b, const lift_estimate_t *s, int seq);

/* Adds one hypothesis to family f when its test of record e[0] is OK; e[1..] (NULL-terminated,
 * at most REPORT_FAM_EST in all) show the same adjusted p-value. */
void report_msg_family(report_msg_t *b, int f, Lift__Estimate *const *e);
#define REPORT_MSG_FAMILY(b, f, ...)                                                               \
    report_msg_family((b), (f), (Lift__Estimate *const[]){__VA_ARGS__, NULL})

/* Adjusts each family's p-values (BH or Holm, the request's choice) and labels the estimates. */
void report_msg_adjust(report_msg_t *b);

/* Arm i's name in exp ("" when none). */
const char *report_msg_arm_name(const Lift__Experiment *exp, size_t i);

/* Core comparison of arm `arm` vs the holdout (revenue_diff, relative_lift, incremental_total,
 * and conversion_diff when conv is not NULL), used by segments, weeks and the top level. */
Lift__Comparison *report_msg_comparison(report_msg_t *b, const Lift__Experiment *exp, size_t arm,
                                        const report_revcmp_t *rc, const lift_estimate_t *conv);

/* A comparison whose estimates all say `reason` (a too-small segment). */
Lift__Comparison *report_msg_failed_comparison(report_msg_t *b, const Lift__Experiment *exp,
                                               size_t arm, const char *reason);

/* Kaplan–Meier retention at the requested horizons of n customers (time in days, event 1 =
 * churned); *n_out = the number of points. */
Lift__RetentionPoint **report_msg_retention(report_msg_t *b, const double *time, const int *event,
                                            size_t n, size_t *n_out);

/* The SRM test's outcome into sm (skipped when not estimable). Returns 1 when chi2 and p were
 * estimated (sm->mismatch then holds the verdict), else 0. */
int report_msg_srm(Lift__Srm *sm, const lift_srm_t *sr);

/* A warning at priority prio (REPORT_W_*); two per priority are kept, the first ones. */
void report_msg_warn(report_msg_t *b, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The warnings so far into hl, by priority. Returns 0, or -1 when out of memory. */
int report_msg_warnings(report_msg_t *b, Lift__Health *hl);

#endif
