/* report: the incrementality report of one experiment — joins its exposures with every event
 * over one read snapshot, folds per customer, and computes lift.Report through stats/.
 * It does no rendering and no networking; the server runs it on a report worker thread. */
#ifndef LIFT_REPORT_H
#define LIFT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "lift.pb-c.h"
#include "status.h"
#include "store.h"

#define REPORT_MIN_SEGMENT 100    /* customers per arm below which a segment is not estimated */
#define REPORT_MAX_RETENTION 8    /* retention horizons per request */
#define REPORT_MAX_WEEKS 260      /* weekly points kept (the latest ones) */
#define REPORT_LOW_IMPRESSION 0.2 /* treatment impression rate flagged as low below this */

/* Build the report of experiment `exp` (the registry's definition with server fields:
 * arms, weights, status, start_ms, started_ms, analysis) stored under `experiment_id`, for
 * request `req`, as of `now_ms` (the default window end). `currency` (may be NULL) is copied
 * into the provenance. The semantics (window, population, metrics) are described at the top
 * of report.c and in the README's "Reports" section.
 *
 * Reads through `rd` inside one read transaction (store_reader_begin/end, nesting with a
 * caller's own), so the report is a consistent snapshot while ingestion goes on.
 * Returns 0 with *out set, or -1 with st filled: INVALID_ARGUMENT naming the request field
 * ("report.alpha", "report.retention_days[2]", ...), INTERNAL on a store read error,
 * RESOURCE_EXHAUSTED when out of memory. Never aborts on data: an experiment with no
 * exposures, an empty arm or no conversions gives a valid report whose estimates say
 * ok = false with a reason; no double in the message is NaN or Inf.
 *
 * Ownership: *out and everything it points to (strings, sub-messages, the copied experiment)
 * live in one arena owned by the report; free it with report_free only — never with
 * lift__report__free_unpacked. Nothing in it borrows from exp or req. Thread-safe for
 * distinct readers (no shared state; lift_stats_init must have run). While it scans the
 * events it runs one helper thread of its own (joined before it returns), so the scan's
 * decoding and its lookups overlap; without a thread it falls back to one. */
int report_build(store_reader_t *rd, const Lift__Experiment *exp, int64_t experiment_id,
                 const Lift__ReportRequest *req, const char *currency, int64_t now_ms,
                 Lift__Report **out, status_t *st);

/* Free a report made by report_build and set *r_p to NULL; accepts NULL and *r_p == NULL. */
void report_free(Lift__Report **r_p);

/* The ISO week label ("2026-W47") of the week containing ms, UTC, into buf. */
void report_iso_week(int64_t ms, char *buf, size_t len);

#endif
