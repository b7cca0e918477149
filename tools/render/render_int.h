/* render_int: the report renderer's private parts, shared by its files and by nothing else —
 * the document model the human formats (table, Markdown, HTML) print, built once from a report,
 * the report accessors and the number formats. No I/O but the FILE * given; no statistics. */
#ifndef LIFT_RENDER_INT_H
#define LIFT_RENDER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lift.pb-c.h"
#include "render.h"

#define RENDER_TAB_COLS 10 /* most columns of any table */
#define NBSP "\u00a0"      /* keeps "95% CI" and "p = 0.01" on one line when wrapping */

typedef enum {
    RENDER_U_MONEY, /* minor units of the report's currency */
    RENDER_U_FRAC,  /* a fraction shown as a percentage (0.05 -> 5.0%) */
    RENDER_U_PP,    /* a difference of fractions, in percentage points */
    RENDER_U_NPS,   /* NPS points (-100..100) */
    RENDER_U_RATIO, /* a plain number */
    RENDER_U_WHOLE  /* minor units shown rounded to whole currency units (segment totals) */
} render_unit_t;

/* A segment row: which segment and which of its comparisons, for sorting by effect. */
typedef struct {
    const Lift__Segment *seg;
    const Lift__Comparison *cmp;
    size_t order; /* position in the report (segment, then comparison): the tie-break */
} render_segrow_t;

typedef enum {
    RENDER_B_TITLE,    /* report title */
    RENDER_B_SUB,      /* one line under the title: window, settings */
    RENDER_B_H2,       /* section heading */
    RENDER_B_H3,       /* sub-section heading */
    RENDER_B_PARA,     /* ordinary text */
    RENDER_B_NOTE,     /* secondary text (footnotes, explanations) */
    RENDER_B_WARN,     /* a warning; level 2 critical, 1 warning */
    RENDER_B_HEADLINE, /* headline of one treatment arm: text = lead, text2 = detail */
    RENDER_B_TABLE,    /* a table */
    RENDER_B_CHART,    /* an SVG chart (HTML only): level = render_chart_t */
    RENDER_B_NODATA    /* "there is no data" */
} render_btype_t;

typedef enum {
    RENDER_CHART_FOREST,
    RENDER_CHART_WEEKLY,
    RENDER_CHART_FUNNEL,
    RENDER_CHART_WEEKLY_INC
} render_chart_t;

typedef struct {
    int ncols;                        /* columns */
    const char *hdr[RENDER_TAB_COLS]; /* header texts (static strings) */
    char right[RENDER_TAB_COLS];      /* 1: right-aligned (numbers) */
    char shrink[RENDER_TAB_COLS];     /* 1: may be narrowed (wrapped) to fit the terminal */
    char hide[RENDER_TAB_COLS]; /* 1: left out of the terminal table (Markdown and HTML have it) */
    char **cells;               /* nrows * ncols owned strings */
    int *tone;                  /* per row: 1 good, -1 bad, 0 neutral */
    size_t nrows, cap;          /* rows used, allocated */
} render_tab_t;

typedef struct {
    render_btype_t type; /* kind */
    int level;           /* warning level, heading level, chart kind */
    char *text;          /* owned; may be NULL */
    char *text2;         /* owned; may be NULL */
    render_tab_t *tab;   /* owned; RENDER_B_TABLE only */
} render_block_t;

typedef struct {
    const Lift__Report *r; /* the report being rendered */
    render_block_t *b;     /* blocks in order */
    size_t n, cap;         /* used, allocated */
    char **notes;          /* footnote texts, numbered from 1 */
    size_t nnotes, capnotes;
    int oom;      /* an allocation failed: the render returns -1 */
    char cur[16]; /* currency code ("" if unknown) */
    int digits;   /* its ISO 4217 minor-unit digits (2 when unknown) */
    char ci[24];  /* "95% CI" */
} render_doc_t;

/* ---- common.c: number formats and report accessors ------------------------------------------- */

/* Minor-unit digits of a report's currency code: ISO 4217's (JPY 0, KWD 3), or 2 for a code
 * the table does not know (reports from before liftd checked the code). */
int render_money_digits(const char *cur);

/* Minor units with `digits` decimals, no code: "-12,345.67"; "n/e", or "too large" when it does
 * not fit (never a cut-off amount). */
void render_fmt_amount(char *b, size_t n, double minor, int digits, int plus);

/* digits: the currency's decimals for money shown without its code (cur NULL). */
void render_fmt_val(char *b, size_t n, double v, render_unit_t u, const char *cur, int digits,
                    int plus);

/* "2026-11-30 00:00" (UTC) from epoch ms; "-" for 0 / unset. */
void render_fmt_time(char *b, size_t n, int has, int64_t ms);

int render_est_ok(const Lift__Estimate *e);

int render_ci_ok(const Lift__Estimate *e);

const char *render_est_reason(const Lift__Estimate *e);

const char *render_currency(const Lift__Report *r);

double render_alpha_of(const Lift__Report *r);

/* "95%" (or "99.5%") from the report's alpha. */
void render_ci_level(char *b, size_t n, const Lift__Report *r);

/* "95% CI" with a no-break space. */
void render_ci_label(char *b, size_t n, const Lift__Report *r);

const char *render_dimension_name(int d);

/* The arm's name: from the arm summaries, else the experiment definition, else "arm N". */
const char *render_arm_label(const Lift__Report *r, int idx, char *buf, size_t n);

const char *render_cmp_label(const Lift__Report *r, const Lift__Comparison *c, char *buf, size_t n);

/* 1 when the report has anybody to compare. */
int render_has_data(const Lift__Report *r);

/* Colour tone of an effect: 1 interval above zero, -1 below, 0 neither or not estimable. */
int render_tone_of(const Lift__Estimate *e);

/* Tone after multiple testing: an estimate in a family is coloured only when its adjusted
 * p-value is below alpha (an unadjusted interval that excludes 0 is not enough). */
int render_tone_adj(const Lift__Report *r, const Lift__Estimate *e);

/* " C" / " E": the family of an adjusted p-value (confirmatory / exploratory). */
const char *render_fam_tag(const Lift__Estimate *e);

/* The test family of an estimate's adjusted p-value by name: "confirmatory", "exploratory" or
 * "none"; NULL when the estimate says nothing (JSON null, an empty CSV field). */
const char *render_family_name(const Lift__Estimate *e);
const char *render_adjust_name(const Lift__Report *r);

/* One group of segment rows for render_segment_groups(): dimension dim, treatment arm `arm`,
 * its n rows (n > 0) by the shrunken (else raw) incremental total, largest first, not-estimable
 * levels after them in the report's order. rows is freed after the call. Nonzero stops. */
typedef int (*render_group_fn)(void *arg, int dim, int arm, const render_segrow_t *rows, size_t n);

/* Calls fn for every (dimension, treatment arm) group of the report's segments: dimensions in
 * order of first appearance, arms in arm order. Returns 0, or -1 when fn returned nonzero.
 * A group whose rows cannot be allocated is left out. */
int render_segment_groups(const Lift__Report *r, render_group_fn fn, void *arg);

/* ---- doc.c: the document model (blocks, footnotes, cells, tables) ---------------------------- */

render_block_t *render_doc_push(render_doc_t *d, render_btype_t t, int level);

void render_doc_add(render_doc_t *d, render_btype_t t, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "n/e[3]" for a value that cannot be shown, with the reason as footnote 3. */
void render_doc_ne(render_doc_t *d, char *b, size_t n, const char *reason);

/* The unit to show e in: the one the report sets on the estimate (Estimate.unit), else (an
 * older liftd, or a unit this build does not know) the one the field is documented with. Whole
 * currency units stay whole: they are a display choice for minor units. */
render_unit_t render_est_unit(const Lift__Estimate *e, render_unit_t u);

/* The estimate's value, or n/e with a footnote. */
void render_cell_est(render_doc_t *d, char *b, size_t n, const Lift__Estimate *e, render_unit_t u,
                     int code, int plus);

/* The interval cell's text when there is no interval to print: "" when the estimate is n/e
 * (its cell says why), n/e when only the CI is missing. Returns 1 when it wrote b, else 0. */
int render_ci_cell_blank(render_doc_t *d, char *b, size_t n, const Lift__Estimate *e);

/* "lo … hi", "" when the estimate is n/e (its cell says why), n/e when only the CI is missing. */
void render_cell_ci(render_doc_t *d, char *b, size_t n, const Lift__Estimate *e, render_unit_t u);

void render_cell_p(char *b, size_t n, const Lift__Estimate *e, int adjusted);

/* "p" NBSP "=" NBSP "0.0123" or "p < 0.001" for running text. */
void render_p_phrase(char *b, size_t n, const Lift__Estimate *e);

render_tab_t *render_tab_new(render_doc_t *d, int ncols, const char *const *hdr, const char *right,
                             const char *shrink);

/* Adds a row of t->ncols cells (copied). */
void render_tab_row(render_doc_t *d, render_tab_t *t, int tone, const char *const *cells);

void render_doc_clear(render_doc_t *d);

/* ---- build.c: a report into the document ----------------------------------------------------- */

/* The blocks of report r into *d (the caller render_doc_clear()s it). Returns 0, or -1 with errno
 * ENOMEM and *d freed. */
int render_build_doc(render_doc_t *d, const Lift__Report *r);

/* ---- svg.c: the HTML page's charts (inline SVG) ---------------------------------------------- */

void render_svg_forest(FILE *f, render_doc_t *d);

void render_svg_weekly(FILE *f, render_doc_t *d, int inc);

void render_svg_funnel(FILE *f, render_doc_t *d);

/* ---- html.c: escaping ------------------------------------------------------------------------ */

void render_html_esc(FILE *f, const char *s);

#endif
