/* report_scan: the report's read of one snapshot — the experiment's exposures into a hash map
 * of customers, then one scan of the events folded into each customer's record (sums, first
 * and last times), with a helper thread doing the lookups. No estimates, no messages. */
#ifndef LIFT_REPORT_SCAN_H
#define LIFT_REPORT_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "lift.pb-c.h"
#include "report_opts.h"
#include "status.h"
#include "store.h"

/* What the event scan touches for every event: one 32-byte record. */
typedef struct {
    int64_t t0;        /* exposure time (trigger_ms) */
    int64_t first_imp; /* first impression of this experiment after exposure, 0 = none */
    uint32_t imps;     /* impressions of this experiment after exposure */
    uint32_t clicks;   /* clicks of this experiment after exposure */
    uint8_t arm;       /* assigned arm */
    uint8_t trigger;   /* exposure context */
    uint8_t stage;     /* exposure context */
    uint8_t channel;   /* exposure context */
    uint8_t other_arm; /* an impression of this experiment was logged with another arm */
} report_hot_t;

/* What only conversions, refunds, churn and NPS touch. All-zero is the initial state (times
 * are after 2000, so 0 can mean "none"): the mapping's zero pages need no initialising pass. */
typedef struct {
    int64_t rev;         /* Σ conversions − Σ refunds after exposure (uncapped) */
    int64_t pre;         /* same over the lookback before exposure */
    int64_t refunds;     /* Σ refunds after exposure */
    int64_t first_conv;  /* first conversion after exposure, 0 = none */
    int64_t nps_pre_ts;  /* time of the last answer before exposure, 0 = none */
    int64_t nps_post_ts; /* time of the first answer after exposure, 0 = none */
    uint32_t convs;      /* conversions after exposure */
    uint8_t churned;     /* churned within the retention window */
    uint8_t nps_pre;     /* last answer before + 1, 0 = none */
    uint8_t nps_post;    /* first answer after + 1, 0 = none */
} report_cold_t;

/* A post-exposure conversion or refund, kept for the weekly series. */
typedef struct {
    uint32_t cust;  /* customer index */
    uint32_t week;  /* week index from the first week */
    int64_t amount; /* +conversion / −refund */
} report_revfact_t;

/* A churn of an exposed customer, kept for retention. */
typedef struct {
    uint32_t cust; /* customer index */
    int64_t ts;    /* churn time */
} report_churnfact_t;

/* The scan's result: customers by index (0..n-1, in exposure read order) and the counts. */
typedef struct {
    report_hot_t *hot;        /* bigmem, cap entries */
    report_cold_t *cold;      /* bigmem, cap entries */
    uint32_t n, cap;          /* customers loaded; room (the snapshot's exposure count) */
    report_revfact_t *rf;     /* post-exposure revenue events, scan order */
    size_t n_rf, cap_rf;      /* entries in rf; room */
    report_churnfact_t *cf;   /* churns, scan order */
    size_t n_cf, cap_cf;      /* entries in cf; room */
    int64_t week0;            /* Monday of the window start's week */
    uint64_t exposures_read;  /* exposure rows read */
    uint64_t ignored_arm;     /* exposures with an arm outside the definition */
    uint64_t events_read;     /* event rows read */
    uint64_t out_before;      /* conversions/refunds of the population before their exposure */
    uint64_t out_lookback;    /* ... of which inside the lookback (CUPED covariate) */
    uint64_t out_after;       /* conversions/refunds of the population at or after `to` */
    uint64_t out_in;          /* conversions/refunds counted as outcomes */
    uint64_t out_hour_before; /* ... stamped in the hour before the customer's exposure */
    uint64_t out_hour_after;  /* ... stamped in the hour from the customer's exposure on */
    uint64_t imp_other;       /* this experiment's impressions logged with another arm */
} report_scan_t;

/* Read experiment `experiment_id`'s exposures (arms 0..n_arms-1) and the events from the
 * lookback before the earliest exposure on, inside one read transaction of rd, into *out.
 * Sets o->from (report_opts_window) when the request did not. Returns 0, or -1 with st set
 * (INTERNAL on a store error, RESOURCE_EXHAUSTED when out of memory, INVALID_ARGUMENT from
 * report_opts_window). Either way free *out with report_scan_fini. Runs one helper thread of
 * its own, joined before it returns. */
int report_scan_run(store_reader_t *rd, const Lift__Experiment *exp, int64_t experiment_id,
                    report_opts_t *o, report_scan_t *out, status_t *st);

/* Free what *s holds (not s); accepts an all-zero *s. */
void report_scan_fini(report_scan_t *s);

#endif
