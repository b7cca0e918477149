/* report_fixture: the report benchmarks' data set, written through the store interface into
 * any store (sqlite:DIR or postgresql://...): one started experiment with three arms (holdout
 * 20%, two offers 40% each), n_cust exposed customers over FIXTURE_WEEKS weeks with random
 * contexts, and n_ev events in arrival order (customers interleaved as ingestion sees them;
 * 10% from customers never exposed): impressions, clicks, conversions, refunds, churns, NPS.
 * Seeded: the same sizes give the same stored facts on every backend. Also the report request
 * both benchmarks time, and the timing of one report_build. Benchmarks only. */
#ifndef LIFT_REPORT_FIXTURE_H
#define LIFT_REPORT_FIXTURE_H

#include <stdint.h>

#include "lift.pb-c.h"
#include "report.h"
#include "store.h"

#define FIXTURE_DAY_MS 86400000LL
#define FIXTURE_START_MS 1767571200000LL /* 2026-01-05T00:00:00Z, a Monday */
#define FIXTURE_WEEKS 6
#define FIXTURE_NOW_MS (FIXTURE_START_MS + (FIXTURE_WEEKS * 7 + 1) * FIXTURE_DAY_MS)
#define FIXTURE_KEY "bench-upsell"

/* Create and start the experiment through the registry (the product path) in the store at
 * uri, or find it there (*reused = 1). Sets its id, generation and definition (the caller
 * frees it with lift__experiment__free_unpacked). Returns 0, or -1 with a message on stderr. */
int fixture_experiment(const char *uri, int64_t *id_out, int64_t *gen_out,
                       Lift__Experiment **def_out, int *reused);

/* Write the exposures and events (batches of 10,000 through store_exposures_put and
 * store_events_put, a transaction per million rows). Returns 0, or -1 with a message on
 * stderr. */
int fixture_generate(const char *uri, int64_t exp_id, int64_t gen, long n_cust, long n_ev);

/* The report benchmarks' request: the experiment `key` segmented by all four dimensions
 * (trigger, stage, channel, delay). req points into dims (4 of them): dims must outlive it. */
void fixture_report_request(Lift__ReportRequest *req, Lift__Dimension dims[4], const char *key);

/* One timed report_build of req over rd at FIXTURE_NOW_MS in currency; *r (report_free'd
 * first) gets the report. Returns its seconds, or -1 with the reason in *st. */
double fixture_report_time(store_reader_t *rd, const Lift__Experiment *def, int64_t exp_id,
                           const Lift__ReportRequest *req, const char *currency, Lift__Report **r,
                           status_t *st);

#endif
