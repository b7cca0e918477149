/* render: turns a lift.Report into what people and programs read — a terminal table,
 * Markdown, JSON (the stable machine form), CSV (one row per segment, metric and arm) and one
 * self-contained HTML page with inline SVG charts. Pure functions of the report: no I/O but the
 * FILE * given, no network, no state; it computes no statistics (liftd does). */
#ifndef LIFT_RENDER_H
#define LIFT_RENDER_H

#include <jansson.h>
#include <stdio.h>

#include "lift.pb-c.h"

/* Every render_* function below takes a report that may be partly filled (any field unset, no
 * arms at all) and never prints "nan" or "inf": a value that cannot be shown is "n/e" (not
 * estimable) with the reason in a footnote (in JSON: null plus "ok": false and "reason").
 * Money is in the report's minor units; it is shown with the currency's ISO 4217 decimals
 * ("USD 12,345.67", "JPY 4,900", "KWD 1.234"; JSON and CSV keep minor units, and JSON says
 * "currency_minor_units"). They return 0, or -1 when writing to f failed (errno from stdio) or
 * memory ran out. Any thread; r is not modified. */

/* The terminal report: warnings on top, then the headline per treatment arm, per-arm table,
 * comparisons, funnel, segments (sorted by effect, BH-adjusted p), weekly series, retention, NPS,
 * footnotes and provenance. color: 1 = ANSI colours (pass isatty(fileno(f))). width: the
 * terminal's columns; lines never exceed min(width, 100) except for long unbreakable words
 * (<= 0: 100; below 72 treated as 72). */
int render_table(const Lift__Report *r, FILE *f, int color, int width);

/* The same content as GitHub-flavoured Markdown (headings, pipe tables, footnotes). */
int render_markdown(const Lift__Report *r, FILE *f);

/* The complete machine form as a new JSON object (every field of lift.Report, snake_case keys
 * as in the proto, enums as lower-case names, unset fields as null, repeated fields as arrays,
 * plus "schema", "experiment_key" and "currency" at the top). The caller owns the reference
 * (json_decref). NULL when out of memory. */
json_t *render_json_value(const Lift__Report *r);

/* render_json_value() written to f, indented, followed by a newline. */
int render_json(const Lift__Report *r, FILE *f);

/* CSV (RFC 4180, "\r\n"-free: lines end in "\n"): the header then one row per (segment, metric,
 * arm): segment_dimension, segment_level, metric, arm_index, arm_name, estimate, ci_low, ci_high,
 * p_value, p_adjusted, ok, reason. The report's top-level comparisons are the segment
 * "overall"/"all". A row exists for every estimate present in the report. */
int render_csv(const Lift__Report *r, FILE *f);

/* The pieces of render_csv() for several reports in one file: the header (with_key: an
 * experiment_key column first) and the rows of one report (experiment_key NULL: no such column). */
int render_csv_header(FILE *f, int with_key);
int render_csv_rows(const Lift__Report *r, FILE *f, const char *experiment_key);

/* Writes s to f as one CSV field: as it is, or in double quotes (quotes doubled) when it holds a
 * comma, a quote or a line break. Also used for liftctl track's rejects file. */
void render_csv_field(FILE *f, const char *s);

/* One self-contained HTML page (no network, no external fonts or scripts): warnings box, the
 * headline, a forest plot of incremental revenue per segment level, the cumulative lift by week
 * with its interval band, funnel bars per arm, the tables, and the provenance at the bottom. */
int render_html(const Lift__Report *r, FILE *f);

/* The pieces of render_html() for several reports in one page: the document head (title is
 * escaped), one <section> per report, the end of the document. */
int render_html_begin(FILE *f, const char *title);
int render_html_section(const Lift__Report *r, FILE *f);
int render_html_end(FILE *f);

/* Formatting helpers shared with cmd_report.c and the tests: money in minor units as
 * "USD 12,345.67" or "JPY 4,900" (cur's decimals; NULL or unknown cur: 2, no code), percentages, p-values ("<0.001"), counts with separators, exact decimals;
 * the display width of UTF-8 text; the report's experiment key. All write at most n bytes. */
void render_fmt_money(char *b, size_t n, double minor, const char *cur, int plus);
void render_fmt_pct(char *b, size_t n, double frac, int plus, const char *suffix);
void render_fmt_count(char *b, size_t n, uint64_t v);
void render_fmt_exact(char *b, size_t n, double v);
void render_fmt_p(char *b, size_t n, double p);
size_t render_u8len(const char *s);
const char *render_experiment_key(const Lift__Report *r);

#endif
