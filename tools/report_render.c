/* report_render: lift.Report -> terminal table, Markdown, JSON, CSV, HTML with inline SVG.
 * The human formats share one document model (titles, warnings, headline, tables, charts) built
 * once from the report; JSON and CSV are written straight from the message. No statistics are
 * computed here: every number is the server's, only formatted. */
#include "report_render.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/currency.h"
#include "lift/lift.h"

#define MAX_WIDTH 100 /* terminal lines never exceed this: readable anywhere */
#define MIN_WIDTH 72  /* below this the tables would be unreadable anyway */
#define TAB_COLS 10   /* most columns of any table */
#define NBSP "\u00a0"    /* keeps "95% CI" and "p = 0.01" on one line when wrapping */

/* ---- number formatting ---------------------------------------------------------------------- */

typedef enum {
    U_MONEY, /* minor units of the report's currency */
    U_FRAC,  /* a fraction shown as a percentage (0.05 -> 5.0%) */
    U_PP,    /* a difference of fractions, in percentage points */
    U_NPS,   /* NPS points (-100..100) */
    U_RATIO, /* a plain number */
    U_WHOLE  /* minor units shown rounded to whole currency units (segment totals) */
} unit_t;

/* "12,345" for an unsigned count. */
void render_fmt_count(char *b, size_t n, uint64_t v)
{
    char d[32];
    snprintf(d, sizeof d, "%llu", (unsigned long long)v);
    size_t len = strlen(d), k = 0;
    for (size_t i = 0; i < len && k + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0) b[k++] = ',';
        b[k++] = d[i];
    }
    b[k] = '\0';
}

/* Minor-unit digits of a report's currency code: ISO 4217's (JPY 0, KWD 3), or 2 for a code
 * the table does not know (reports from before liftd checked the code). */
static int money_digits(const char *cur)
{
    int digits = lift_currency_digits(cur);
    return digits >= 0 ? digits : 2;
}

/* Minor units with `digits` decimals, no code: "-12,345.67"; "n/e", or "too large" when it does
 * not fit (never a cut-off amount). */
static void fmt_amount(char *b, size_t n, double minor, int digits, int plus)
{
    if (!isfinite(minor))
        snprintf(b, n, "n/e");
    else if (lift_currency_format(b, n, minor, digits, plus) != 0)
        snprintf(b, n, "%s", n > 9 ? "too large" : "n/e");
}

/* Minor units as "USD -12,345.67", "JPY 4,900", "KWD 1.234" (the code's ISO 4217 decimals; cur
 * NULL, "" or unknown: no code, 2 decimals; plus: "+" before positive amounts). Any finite
 * double works: the digits come from "%.0f", so there is no integer overflow. */
void render_fmt_money(char *b, size_t n, double minor, const char *cur, int plus)
{
    char a[600];
    fmt_amount(a, sizeof a, minor, money_digits(cur), plus);
    int w = cur && *cur && isfinite(minor) ? snprintf(b, n, "%s %s", cur, a)
                                           : snprintf(b, n, "%s", a);
    if (w < 0 || (size_t)w >= n) /* never print a cut-off amount */
        snprintf(b, n, "%s", n > 9 ? "too large" : "n/e");
}

/* A fraction as a percentage with one decimal ("4.5%", "+4.5%"); never "-0.0%". */
void render_fmt_pct(char *b, size_t n, double frac, int plus, const char *suffix)
{
    if (!isfinite(frac)) {
        snprintf(b, n, "n/e");
        return;
    }
    double v = frac * 100.0;
    if (fabs(v) < 0.05) v = 0.0;
    snprintf(b, n, plus && v != 0.0 ? "%+.1f%s" : "%.1f%s", v, suffix);
}

/* p-values: three significant digits, or "<0.001". */
void render_fmt_p(char *b, size_t n, double p)
{
    if (!isfinite(p) || p < 0)
        snprintf(b, n, "n/e");
    else if (p < 0.001)
        snprintf(b, n, "<0.001");
    else
        snprintf(b, n, "%#.3g", p > 1 ? 1.0 : p);
}

/* digits: the currency's decimals for money shown without its code (cur NULL). */
static void fmt_val(char *b, size_t n, double v, unit_t u, const char *cur, int digits, int plus)
{
    if (!isfinite(v)) {
        snprintf(b, n, "n/e");
        return;
    }
    switch (u) {
    case U_MONEY:
        if (cur)
            render_fmt_money(b, n, v, cur, plus);
        else
            fmt_amount(b, n, v, digits, plus);
        break;
    case U_FRAC: render_fmt_pct(b, n, v, plus, "%"); break;
    case U_PP: render_fmt_pct(b, n, v, 1, " pp"); break;
    case U_NPS:
        if (fabs(v) < 0.05) v = 0.0;
        snprintf(b, n, plus && v != 0.0 ? "%+.1f" : "%.1f", v);
        break;
    case U_RATIO: snprintf(b, n, "%.3g", v); break;
    case U_WHOLE: fmt_amount(b, n, round(v / pow(10, digits)), 0, plus); break;
    }
}

/* Shortest "%g" that reads back as exactly v (CSV): 15, 16 or 17 digits. "" when not finite. */
void render_fmt_exact(char *b, size_t n, double v)
{
    if (!isfinite(v)) {
        snprintf(b, n, "%s", "");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(b, n, "%.*g", prec, v);
        if (strtod(b, NULL) == v) return;
    }
}

/* "2026-11-30 00:00" (UTC) from epoch ms; "-" for 0 / unset. */
static void fmt_time(char *b, size_t n, int has, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!has || ms <= 0 || gmtime_r(&t, &tm) == NULL) {
        snprintf(b, n, "-");
        return;
    }
    strftime(b, n, "%Y-%m-%d %H:%M", &tm);
}

/* ---- report accessors ------------------------------------------------------------------------ */

static int est_ok(const Lift__Estimate *e)
{
    return e && e->has_ok && e->ok && e->has_estimate && isfinite(e->estimate);
}

static int ci_ok(const Lift__Estimate *e)
{
    return est_ok(e) && e->has_ci_low && e->has_ci_high && isfinite(e->ci_low) &&
           isfinite(e->ci_high);
}

static const char *est_reason(const Lift__Estimate *e)
{
    if (e == NULL) return "not computed for this report";
    if (e->reason && *e->reason) return e->reason;
    if (!(e->has_ok && e->ok)) return "not estimable (no reason given)";
    return "value missing or not finite";
}

static const char *currency(const Lift__Report *r)
{
    return r->provenance && r->provenance->currency && *r->provenance->currency
               ? r->provenance->currency
               : "";
}

static double alpha_of(const Lift__Report *r)
{
    const Lift__Provenance *p = r->provenance;
    if (p && p->has_alpha && p->alpha > 0 && p->alpha < 1) return p->alpha;
    return 0.05;
}

/* "95%" (or "99.5%") from the report's alpha. */
static void ci_level(char *b, size_t n, const Lift__Report *r)
{
    double lvl = (1.0 - alpha_of(r)) * 100.0;
    if (fabs(lvl - round(lvl)) < 1e-9)
        snprintf(b, n, "%.0f%%", lvl);
    else
        snprintf(b, n, "%.1f%%", lvl);
}

/* "95% CI" with a no-break space. */
static void ci_label(char *b, size_t n, const Lift__Report *r)
{
    char lvl[16];
    ci_level(lvl, sizeof lvl, r);
    snprintf(b, n, "%s" NBSP "CI", lvl);
}

const char *render_experiment_key(const Lift__Report *r)
{
    const Lift__Experiment *e = r->provenance ? r->provenance->experiment : NULL;
    return e && e->key && *e->key ? e->key : "(unknown experiment)";
}

static const char *dimension_name(int d)
{
    switch (d) {
    case LIFT__DIMENSION__DIMENSION_TRIGGER: return "trigger";
    case LIFT__DIMENSION__DIMENSION_STAGE: return "stage";
    case LIFT__DIMENSION__DIMENSION_CHANNEL: return "channel";
    case LIFT__DIMENSION__DIMENSION_DELAY: return "delay";
    case LIFT__DIMENSION__DIMENSION_UNSPECIFIED: return "unspecified";
    default: return "unknown";
    }
}

/* The arm's name: from the arm summaries, else the experiment definition, else "arm N". */
static const char *arm_label(const Lift__Report *r, int idx, char *buf, size_t n)
{
    for (size_t i = 0; i < r->n_arms; i++)
        if (r->arms[i]->has_arm_index && r->arms[i]->arm_index == idx && r->arms[i]->arm_name &&
            *r->arms[i]->arm_name)
            return r->arms[i]->arm_name;
    const Lift__Experiment *e = r->provenance ? r->provenance->experiment : NULL;
    if (e && idx >= 0 && (size_t)idx < e->n_arms && e->arms[idx]->name && *e->arms[idx]->name)
        return e->arms[idx]->name;
    snprintf(buf, n, "arm %d", idx);
    return buf;
}

static const char *cmp_label(const Lift__Report *r, const Lift__Comparison *c, char *buf,
                             size_t n)
{
    if (c->arm_name && *c->arm_name) return c->arm_name;
    return arm_label(r, c->has_arm_index ? c->arm_index : -1, buf, n);
}

/* 1 when the report has anybody to compare. */
static int has_data(const Lift__Report *r)
{
    for (size_t i = 0; i < r->n_arms; i++)
        if (r->arms[i]->has_exposed && r->arms[i]->exposed > 0) return 1;
    return 0;
}

/* Colour tone of an effect: 1 interval above zero, -1 below, 0 neither or not estimable. */
static int tone_of(const Lift__Estimate *e)
{
    if (!ci_ok(e)) return 0;
    if (e->ci_low > 0) return 1;
    if (e->ci_high < 0) return -1;
    return 0;
}

/* Tone after multiple testing: an estimate in a family is coloured only when its adjusted
 * p-value is below alpha (an unadjusted interval that excludes 0 is not enough). */
static int tone_adj(const Lift__Report *r, const Lift__Estimate *e)
{
    int t = tone_of(e);
    if (t && e->has_p_adjusted && !(isfinite(e->p_adjusted) && e->p_adjusted < alpha_of(r)))
        return 0;
    return t;
}

/* " C" / " E": the family of an adjusted p-value (confirmatory / exploratory). */
static const char *fam_tag(const Lift__Estimate *e)
{
    if (!e || !e->has_family) return "";
    return e->family == LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY  ? " C"
           : e->family == LIFT__TEST_FAMILY__FAMILY_EXPLORATORY ? " E"
                                                               : "";
}

static const char *adjust_name(const Lift__Report *r)
{
    return r->testing && r->testing->has_method &&
                   r->testing->method == LIFT__ADJUSTMENT__ADJUSTMENT_HOLM
               ? "Holm"
               : "Benjamini-Hochberg";
}

/* A segment row: which segment and which of its comparisons, for sorting by effect. */
typedef struct {
    const Lift__Segment *seg;
    const Lift__Comparison *cmp;
    size_t order; /* position in the report (segment, then comparison): the tie-break */
} segrow_t;

/* The sort key of a segment row: the shrunken incremental total when the report has one (the
 * ranking that survives a second look), else the incremental total; 0 = none (not estimable). */
static int segrow_key(const Lift__Comparison *c, double *key)
{
    if (est_ok(c->incremental_total_shrunk)) {
        *key = c->incremental_total_shrunk->estimate;
        return 1;
    }
    if (est_ok(c->incremental_total) && est_ok(c->revenue_diff)) {
        *key = c->incremental_total->estimate;
        return 1;
    }
    return 0;
}

static int segrow_cmp(const void *a, const void *b)
{
    const segrow_t *ra = a, *rb = b;
    double x = 0, y = 0;
    int ox = segrow_key(ra->cmp, &x), oy = segrow_key(rb->cmp, &y);
    if (ox != oy) return oy - ox; /* not estimable last */
    if (ox && x != y) return x < y ? 1 : -1;
    /* ties and not-estimable rows: report order (the levels' own order) */
    return ra->order < rb->order ? -1 : ra->order > rb->order;
}

/* The treatment arms that have segment rows in dimension dim, in order; returns how many. */
static size_t segment_arms(const Lift__Report *r, int dim, int *arms, size_t max)
{
    size_t na = 0;
    for (size_t i = 0; i < r->n_segments; i++) {
        const Lift__Segment *s = r->segments[i];
        if ((int)s->dimension != dim) continue;
        for (size_t j = 0; j < s->n_comparisons; j++) {
            int a = s->comparisons[j]->has_arm_index ? s->comparisons[j]->arm_index : (int)j + 1;
            int seen = 0;
            for (size_t k = 0; k < na; k++) seen |= arms[k] == a;
            if (!seen && na < max) arms[na++] = a;
        }
    }
    return na;
}

/* The segment rows of dimension `dim` for treatment arm `arm` (-1: every arm, grouped by arm
 * in arm order), each arm's rows by the shrunken (else raw) incremental total, largest first,
 * not-estimable levels after them in the report's order. Returns a malloc'd array (count in *n;
 * NULL and 0 when none or out of memory). */
static segrow_t *segment_rows(const Lift__Report *r, int dim, int arm, size_t *n)
{
    size_t cnt = 0;
    for (size_t i = 0; i < r->n_segments; i++)
        if ((int)r->segments[i]->dimension == dim) cnt += r->segments[i]->n_comparisons;
    *n = 0;
    if (cnt == 0) return NULL;
    segrow_t *rows = malloc(cnt * sizeof *rows);
    if (rows == NULL) return NULL;
    int arms[64];
    size_t na = segment_arms(r, dim, arms, 64);
    for (size_t k = 0; k < na; k++) {
        if (arm >= 0 && arms[k] != arm) continue;
        size_t first = *n;
        for (size_t i = 0; i < r->n_segments; i++) {
            const Lift__Segment *s = r->segments[i];
            if ((int)s->dimension != dim) continue;
            for (size_t j = 0; j < s->n_comparisons; j++) {
                const Lift__Comparison *c = s->comparisons[j];
                if ((c->has_arm_index ? c->arm_index : (int)j + 1) == arms[k] && *n < cnt)
                    rows[(*n)++] = (segrow_t){s, c, (i << 20) + j};
            }
        }
        qsort(rows + first, *n - first, sizeof *rows, segrow_cmp);
    }
    return rows;
}

/* The dimensions present, in order of first appearance; returns how many (<= 8). */
static size_t dimensions(const Lift__Report *r, int *dims, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_segments; i++) {
        int d = (int)r->segments[i]->dimension, seen = 0;
        for (size_t k = 0; k < n; k++) seen |= dims[k] == d;
        if (!seen && n < max) dims[n++] = d;
    }
    return n;
}

/* ---- the document model shared by table, Markdown and HTML ----------------------------------- */

typedef enum {
    B_TITLE,    /* report title */
    B_SUB,      /* one line under the title: window, settings */
    B_H2,       /* section heading */
    B_H3,       /* sub-section heading */
    B_PARA,     /* ordinary text */
    B_NOTE,     /* secondary text (footnotes, explanations) */
    B_WARN,     /* a warning; level 2 critical, 1 warning */
    B_HEADLINE, /* headline of one treatment arm: text = lead, text2 = detail */
    B_TABLE,    /* a table */
    B_CHART,    /* an SVG chart (HTML only): level = chart_t */
    B_NODATA    /* "there is no data" */
} btype_t;

typedef enum { CHART_FOREST, CHART_WEEKLY, CHART_FUNNEL, CHART_WEEKLY_INC } chart_t;

typedef struct {
    int ncols;             /* columns */
    const char *hdr[TAB_COLS]; /* header texts (static strings) */
    char right[TAB_COLS];  /* 1: right-aligned (numbers) */
    char shrink[TAB_COLS]; /* 1: may be narrowed (wrapped) to fit the terminal */
    char hide[TAB_COLS];   /* 1: left out of the terminal table (Markdown and HTML have it) */
    char **cells;          /* nrows * ncols owned strings */
    int *tone;             /* per row: 1 good, -1 bad, 0 neutral */
    size_t nrows, cap;     /* rows used, allocated */
} tab_t;

typedef struct {
    btype_t type; /* kind */
    int level;    /* warning level, heading level, chart kind */
    char *text;   /* owned; may be NULL */
    char *text2;  /* owned; may be NULL */
    tab_t *tab;   /* owned; B_TABLE only */
} block_t;

typedef struct {
    const Lift__Report *r; /* the report being rendered */
    block_t *b;            /* blocks in order */
    size_t n, cap;         /* used, allocated */
    char **notes;          /* footnote texts, numbered from 1 */
    size_t nnotes, capnotes;
    int oom;               /* an allocation failed: the render returns -1 */
    char cur[16];          /* currency code ("" if unknown) */
    int digits;            /* its ISO 4217 minor-unit digits (2 when unknown) */
    char ci[24];           /* "95% CI" */
} doc_t;

static block_t *doc_push(doc_t *d, btype_t t, int level)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        block_t *nb = realloc(d->b, cap * sizeof *nb);
        if (nb == NULL) {
            d->oom = 1;
            return NULL;
        }
        d->b = nb;
        d->cap = cap;
    }
    block_t *b = &d->b[d->n++];
    memset(b, 0, sizeof *b);
    b->type = t;
    b->level = level;
    return b;
}

static void doc_add(doc_t *d, btype_t t, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void doc_add(doc_t *d, btype_t t, int level, const char *fmt, ...)
{
    block_t *b = doc_push(d, t, level);
    if (b == NULL) return;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&b->text, fmt, ap) < 0) {
            b->text = NULL;
            d->oom = 1;
        }
        va_end(ap);
    }
}

/* Footnote number for reason (deduplicated), or 0 when out of memory. */
static size_t doc_note(doc_t *d, const char *reason)
{
    for (size_t i = 0; i < d->nnotes; i++)
        if (strcmp(d->notes[i], reason) == 0) return i + 1;
    if (d->nnotes == d->capnotes) {
        size_t cap = d->capnotes ? d->capnotes * 2 : 8;
        char **nn = realloc(d->notes, cap * sizeof *nn);
        if (nn == NULL) {
            d->oom = 1;
            return 0;
        }
        d->notes = nn;
        d->capnotes = cap;
    }
    if ((d->notes[d->nnotes] = strdup(reason)) == NULL) {
        d->oom = 1;
        return 0;
    }
    return ++d->nnotes;
}

/* "n/e[3]" for a value that cannot be shown, with the reason as footnote 3. */
static void doc_ne(doc_t *d, char *b, size_t n, const char *reason)
{
    size_t k = doc_note(d, reason);
    if (k)
        snprintf(b, n, "n/e[%zu]", k);
    else
        snprintf(b, n, "n/e");
}

/* The unit to show e in: the one the report sets on the estimate (Estimate.unit), else (an
 * older liftd, or a unit this build does not know) the one the field is documented with. Whole
 * currency units stay whole: they are a display choice for minor units. */
static unit_t est_unit(const Lift__Estimate *e, unit_t u)
{
    if (!e || !e->has_unit)
        return u;
    switch (e->unit) {
    case LIFT__UNIT__UNIT_MINOR: return u == U_WHOLE ? U_WHOLE : U_MONEY;
    case LIFT__UNIT__UNIT_FRACTION: return U_FRAC;
    case LIFT__UNIT__UNIT_FRACTION_DIFFERENCE: return U_PP;
    case LIFT__UNIT__UNIT_NPS_POINTS: return U_NPS;
    default: return u;
    }
}

/* The estimate's value, or n/e with a footnote. */
static void cell_est(doc_t *d, char *b, size_t n, const Lift__Estimate *e, unit_t u, int code,
                     int plus)
{
    u = est_unit(e, u);
    if (est_ok(e))
        fmt_val(b, n, e->estimate, u, code ? d->cur : NULL, d->digits, plus);
    else
        doc_ne(d, b, n, est_reason(e));
}

/* The interval cell's text when there is no interval to print: "" when the estimate is n/e
 * (its cell says why), n/e when only the CI is missing. Returns 1 when it wrote b, else 0. */
static int ci_cell_blank(doc_t *d, char *b, size_t n, const Lift__Estimate *e)
{
    if (!est_ok(e)) {
        snprintf(b, n, "%s", "");
        return 1;
    }
    if (!ci_ok(e)) {
        doc_ne(d, b, n, "interval not computed");
        return 1;
    }
    return 0;
}

/* "lo … hi", "" when the estimate is n/e (its cell says why), n/e when only the CI is missing. */
static void cell_ci(doc_t *d, char *b, size_t n, const Lift__Estimate *e, unit_t u)
{
    u = est_unit(e, u);
    if (ci_cell_blank(d, b, n, e)) return;
    char lo[96], hi[96];
    int plus = u != U_MONEY && u != U_RATIO;
    if (u == U_PP) { /* "+0.4 … +2.0 pp" */
        render_fmt_pct(lo, sizeof lo, e->ci_low, 1, "");
        render_fmt_pct(hi, sizeof hi, e->ci_high, 1, " pp");
    } else {
        fmt_val(lo, sizeof lo, e->ci_low, u, NULL, d->digits, plus);
        fmt_val(hi, sizeof hi, e->ci_high, u, NULL, d->digits, plus);
    }
    snprintf(b, n, "%s … %s", lo, hi);
}

static void cell_p(char *b, size_t n, const Lift__Estimate *e, int adjusted)
{
    if (!est_ok(e) || !(adjusted ? e->has_p_adjusted : e->has_p_value))
        snprintf(b, n, "-");
    else
        render_fmt_p(b, n, adjusted ? e->p_adjusted : e->p_value);
}

/* "p" NBSP "=" NBSP "0.0123" or "p < 0.001" for running text. */
static void p_phrase(char *b, size_t n, const Lift__Estimate *e)
{
    char p[32];
    cell_p(p, sizeof p, e, 0);
    if (p[0] == '<')
        snprintf(b, n, "p" NBSP "<" NBSP "%s", p + 1);
    else
        snprintf(b, n, "p" NBSP "=" NBSP "%s", p);
}

static tab_t *tab_new(doc_t *d, int ncols, const char *const *hdr, const char *right,
                      const char *shrink)
{
    block_t *b = doc_push(d, B_TABLE, 0);
    if (b == NULL) return NULL;
    tab_t *t = calloc(1, sizeof *t);
    if (t == NULL) {
        d->oom = 1;
        return NULL;
    }
    t->ncols = ncols;
    for (int i = 0; i < ncols; i++) {
        t->hdr[i] = hdr[i];
        t->right[i] = right[i] == 'r';
        t->shrink[i] = shrink && shrink[i] == 's';
        t->hide[i] = shrink && shrink[i] == 'h';
    }
    b->tab = t;
    return t;
}

/* Adds a row of t->ncols cells (copied). */
static void tab_row(doc_t *d, tab_t *t, int tone, const char *const *cells)
{
    if (t == NULL) return;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **nc = realloc(t->cells, cap * (size_t)t->ncols * sizeof *nc);
        if (nc == NULL) {
            d->oom = 1;
            return;
        }
        t->cells = nc;
        int *nt = realloc(t->tone, cap * sizeof *nt);
        if (nt == NULL) {
            d->oom = 1;
            return;
        }
        t->tone = nt;
        t->cap = cap;
    }
    for (int i = 0; i < t->ncols; i++) {
        char *s = strdup(cells[i] ? cells[i] : "");
        if (s == NULL) {
            d->oom = 1;
            for (int k = 0; k < i; k++) free(t->cells[t->nrows * (size_t)t->ncols + (size_t)k]);
            return;
        }
        t->cells[t->nrows * (size_t)t->ncols + (size_t)i] = s;
    }
    t->tone[t->nrows++] = tone;
}

static void doc_free(doc_t *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->b[i].text);
        free(d->b[i].text2);
        tab_t *t = d->b[i].tab;
        if (t) {
            for (size_t k = 0; k < t->nrows * (size_t)t->ncols; k++) free(t->cells[k]);
            free(t->cells);
            free(t->tone);
            free(t);
        }
    }
    free(d->b);
    for (size_t i = 0; i < d->nnotes; i++) free(d->notes[i]);
    free(d->notes);
    memset(d, 0, sizeof *d);
}

/* ---- building the document ------------------------------------------------------------------- */

/* 1 when s mentions any of the (lower-case) words: used to skip server warnings that repeat one
 * the structured health fields already produced. */
static int mentions(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcasestr(s, *words)) return 1;
    return 0;
}

static void build_warnings(doc_t *d)
{
    const Lift__Report *r = d->r;
    const Lift__Health *h = r->health;
    char a[96], b[96], c[96];
    int srm = 0, imp = 0, small = 0, power = 0, any = 0;
    if (h && h->srm && h->srm->has_mismatch && h->srm->mismatch) {
        const Lift__Srm *s = h->srm;
        Lift__Estimate pe = LIFT__ESTIMATE__INIT;
        pe.has_ok = pe.ok = pe.has_estimate = pe.has_p_value = 1;
        pe.p_value = s->has_p_value ? s->p_value : NAN;
        p_phrase(a, sizeof a, &pe);
        char obs[256] = "", exp[256] = "";
        size_t ko = 0, ke = 0;
        for (size_t i = 0; i < s->n_observed && ko + 32 < sizeof obs; i++) {
            render_fmt_count(b, sizeof b, s->observed[i]);
            ko += (size_t)snprintf(obs + ko, sizeof obs - ko, "%s%s", i ? " / " : "", b);
        }
        for (size_t i = 0; i < s->n_expected && ke + 32 < sizeof exp; i++) {
            render_fmt_count(b, sizeof b,
                      isfinite(s->expected[i]) && s->expected[i] > 0
                          ? (uint64_t)llround(s->expected[i])
                          : 0);
            ke += (size_t)snprintf(exp + ke, sizeof exp - ke, "%s%s", i ? " / " : "", b);
        }
        doc_add(d, B_WARN, 2,
                "Sample ratio mismatch (chi-square test %s): customers per arm %s, expected %s. "
                "The split is broken: do not trust the numbers below until it is explained.",
                a, *obs ? obs : "?", *exp ? exp : "?");
        srm = any = 1;
    }
    if (h && h->has_low_impression_rate && h->low_impression_rate) {
        render_fmt_pct(a, sizeof a, h->has_impression_rate ? h->impression_rate : NAN, 0, "%");
        doc_add(d, B_WARN, 1,
                "Low impression rate: only %s of treated customers saw an offer. Trigger "
                "detection or delivery failure?",
                a);
        imp = any = 1;
    }
    if (h && h->has_small_segments && h->small_segments > 0) {
        doc_add(d, B_WARN, 1, "%u segment%s below the minimum size %s not estimated.",
                h->small_segments, h->small_segments == 1 ? "" : "s",
                h->small_segments == 1 ? "was" : "were");
        small = any = 1;
    }
    /* Underpowered only against an MDE the team set (a server that says so); otherwise the
     * server's own warning, if any, names the default it used. */
    if (h && h->has_power_reached && isfinite(h->power_reached) && h->power_reached < 0.8 &&
        (!h->has_mde_set || h->mde_set)) {
        const Lift__Experiment *e = r->provenance ? r->provenance->experiment : NULL;
        double mde = e && e->analysis && e->analysis->has_mde ? e->analysis->mde : NAN;
        render_fmt_pct(a, sizeof a, h->power_reached, 0, "%");
        render_fmt_pct(b, sizeof b, mde, 0, "%");
        render_fmt_pct(c, sizeof c, h->has_mde ? h->mde : NAN, 0, "%");
        if (isfinite(mde))
            doc_add(d, B_WARN, 1,
                    "Underpowered: %s power to detect the experiment's minimum effect of %s "
                    "(analysis.mde); at this size 80%% power needs a %s lift.",
                    a, b, c);
        else
            doc_add(d, B_WARN, 1,
                    "Underpowered: %s power; at this size 80%% power needs a %s lift.", a, c);
        power = any = 1;
    }
    static const char *const w_srm[] = {"ratio mismatch", "srm", NULL};
    static const char *const w_imp[] = {"impression rate", NULL};
    static const char *const w_small[] = {"segment", NULL};
    static const char *const w_power[] = {"power", NULL};
    for (size_t i = 0; h && i < h->n_warnings; i++) {
        const char *w = h->warnings[i];
        if (w == NULL || *w == '\0') continue;
        if ((srm && mentions(w, w_srm)) || (imp && mentions(w, w_imp)) ||
            (small && mentions(w, w_small)) || (power && mentions(w, w_power)))
            continue;
        doc_add(d, B_WARN, 1, "%s", w);
        any = 1;
    }
    if (h && h->srm && h->srm->has_skipped && h->srm->skipped) {
        doc_add(d, B_WARN, 1, "Sample ratio test skipped: an arm has fewer than 8 customers.");
        any = 1;
    }
    if (!any && h) {
        render_fmt_p(a, sizeof a, h->srm && h->srm->has_p_value ? h->srm->p_value : NAN);
        render_fmt_pct(b, sizeof b, h->has_impression_rate ? h->impression_rate : NAN, 0, "%");
        render_fmt_pct(c, sizeof c, h->has_power_reached ? h->power_reached : NAN, 0, "%");
        if (h->has_mde_set && !h->mde_set)
            doc_add(d, B_NOTE, 0,
                    "Health: no warnings (sample ratio test p = %s, impression rate %s; power "
                    "%s against the default 5%% minimum effect: the experiment sets none).",
                    a, b, c);
        else
            doc_add(d, B_NOTE, 0,
                    "Health: no warnings (sample ratio test p = %s, impression rate %s, power %s).",
                    a, b, c);
    }
}

/* What the report applied for CUPED: "CUPED applied", "CUPED requested, not applied: why",
 * "CUPED off". */
static void cuped_text(char *b, size_t n, const Lift__Provenance *p)
{
    if (!p || !(p->has_cuped && p->cuped))
        snprintf(b, n, "CUPED off");
    else if (p->cuped_note && *p->cuped_note)
        snprintf(b, n, "%s", p->cuped_note);
    else if (p->has_cuped_applied && p->cuped_applied)
        snprintf(b, n, "CUPED applied (pre-exposure revenue%s%u-day lookback)",
                 p->has_lookback_days ? ", " : "", p->has_lookback_days ? p->lookback_days : 0);
    else if (p->has_cuped_applied)
        snprintf(b, n, "CUPED requested, not applied");
    else
        snprintf(b, n, "CUPED requested");
}

/* The cap as applied: "revenue capped at USD 49.00 (99.9th percentile of the 37 customers with
 * revenue > 0; 1 customer capped)", "no revenue cap", or the note why a requested cap was not
 * applied. */
static void cap_text(doc_t *d, char *b, size_t n, const Lift__Provenance *p)
{
    if (p && p->has_revenue_cap && isfinite(p->revenue_cap) && p->revenue_cap > 0) {
        char m[64], cnt[32];
        render_fmt_money(m, sizeof m, p->revenue_cap, d->cur, 0);
        render_fmt_count(cnt, sizeof cnt, p->capped_customers);
        if (p->revenue_cap_rule && *p->revenue_cap_rule && p->has_capped_customers)
            snprintf(b, n, "revenue per customer capped at %s (%s; %s customer%s capped)", m,
                     p->revenue_cap_rule, cnt, p->capped_customers == 1 ? "" : "s");
        else if (p->has_revenue_cap_percentile && isfinite(p->revenue_cap_percentile))
            snprintf(b, n, "revenue per customer capped at %s (p%g)", m,
                     p->revenue_cap_percentile);
        else
            snprintf(b, n, "revenue per customer capped at %s", m);
    } else if (p && p->revenue_cap_note && *p->revenue_cap_note) {
        snprintf(b, n, "no revenue cap (%s)", p->revenue_cap_note);
    } else {
        snprintf(b, n, "no revenue cap");
    }
}

static void build_title(doc_t *d)
{
    const Lift__Report *r = d->r;
    const Lift__Provenance *p = r->provenance;
    const Lift__Experiment *e = p ? p->experiment : NULL;
    if (e && e->name && *e->name)
        doc_add(d, B_TITLE, 0, "Lift report: %s (%s)", render_experiment_key(r), e->name);
    else
        doc_add(d, B_TITLE, 0, "Lift report: %s", render_experiment_key(r));
    char from[32], to[32], gen[32], cap[400], cu[300];
    fmt_time(from, sizeof from, p && p->has_from_ms, p ? p->from_ms : 0);
    fmt_time(to, sizeof to, p && p->has_to_ms, p ? p->to_ms : 0);
    fmt_time(gen, sizeof gen, p && p->has_generated_ms, p ? p->generated_ms : 0);
    cap_text(d, cap, sizeof cap, p);
    cuped_text(cu, sizeof cu, p);
    int seq = p && p->has_sequential && p->sequential;
    char lvl[16];
    ci_level(lvl, sizeof lvl, r);
    doc_add(d, B_SUB, 0,
            "Customers exposed %s to %s UTC (exposure-time window; outcomes from each customer's "
            "exposure to the window end); generated %s UTC; %s intervals, %s; %s; %s; p adj. by "
            "%s within the confirmatory and the exploratory family.",
            from, to, gen, lvl,
            seq ? "always-valid (sequential: safe to read every week)"
                : "fixed-horizon (valid for one pre-planned read)",
            cu, cap, adjust_name(r));
}

/* The interval of e contains 0 (1), excludes it (0), or is missing (-1). */
static int ci_has_zero(const Lift__Estimate *e)
{
    if (!ci_ok(e)) return -1;
    return e->ci_low <= 0 && e->ci_high >= 0;
}

static void build_headline(doc_t *d)
{
    const Lift__Report *r = d->r;
    doc_add(d, B_H2, 0, "Headline: incremental revenue vs holdout");
    for (size_t i = 0; i < r->n_comparisons; i++) {
        const Lift__Comparison *c = r->comparisons[i];
        char name[32], tot[96], totci[200], per[96], perci[200], lift[96], liftci[200];
        const char *arm = cmp_label(r, c, name, sizeof name);
        cell_est(d, tot, sizeof tot, c->incremental_total, U_MONEY, 1, 0);
        cell_ci(d, totci, sizeof totci, c->incremental_total, U_MONEY);
        cell_est(d, per, sizeof per, c->revenue_diff, U_MONEY, 1, 0);
        cell_ci(d, perci, sizeof perci, c->revenue_diff, U_MONEY);
        cell_est(d, lift, sizeof lift, c->relative_lift, U_FRAC, 0, 1);
        cell_ci(d, liftci, sizeof liftci, c->relative_lift, U_FRAC);
        block_t *b = doc_push(d, B_HEADLINE, tone_adj(r, c->incremental_total));
        if (b == NULL) return;
        char ci1[260] = "", ci2[260] = "", ci3[260] = "", unc[400] = "", pa[96] = "";
        if (*totci) snprintf(ci1, sizeof ci1, " (%s %s)", d->ci, totci);
        if (*perci) snprintf(ci2, sizeof ci2, " (%s %s)", d->ci, perci);
        if (*liftci) snprintf(ci3, sizeof ci3, " (%s %s)", d->ci, liftci);
        if (c->revenue_diff_uncapped) {
            char u[96], uci[200];
            cell_est(d, u, sizeof u, c->revenue_diff_uncapped, U_MONEY, 1, 0);
            cell_ci(d, uci, sizeof uci, c->revenue_diff_uncapped, U_MONEY);
            snprintf(unc, sizeof unc, "; uncapped %s%s%s%s", u, *uci ? " (" : "", uci,
                     *uci ? ")" : "");
        }
        char pp[48];
        p_phrase(pp, sizeof pp, c->revenue_diff);
        if (est_ok(c->revenue_diff) && c->revenue_diff->has_p_adjusted) {
            char q[32];
            const Lift__Estimate *e = c->revenue_diff;
            render_fmt_p(q, sizeof q, e->p_adjusted);
            snprintf(pa, sizeof pa, ", adjusted %s%s%s", q[0] == '<' ? "< " : "",
                     q[0] == '<' ? q + 1 : q,
                     !e->has_family ? ""
                     : e->family == LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY ? " (confirmatory)"
                                                                          : " (exploratory)");
        }
        if (asprintf(&b->text, "%s: incremental revenue %s%s", arm, tot, ci1) < 0 ||
            asprintf(&b->text2, "%s per exposed customer%s%s; lift %s%s; %s%s", per, ci2, unc,
                     lift, ci3, pp, pa) < 0) {
            d->oom = 1;
            return;
        }
        /* lift and incremental test the same hypothesis; when their intervals disagree, say why */
        int zl = ci_has_zero(c->relative_lift), zt = ci_has_zero(c->incremental_total);
        if (zl >= 0 && zt >= 0 && zl != zt)
            doc_add(d, B_NOTE, 0,
                    "%s: the relative-lift interval %s 0 while the incremental-revenue interval "
                    "%s. Both test \"no revenue difference\"; the lift divides by the holdout's "
                    "mean revenue, whose own uncertainty (large when it is small) widens the lift's "
                    "interval (delta method). The revenue difference is the test of record.",
                    arm, zl ? "includes" : "excludes", zt ? "includes 0" : "does not");
    }
    int seq = r->provenance && r->provenance->has_sequential && r->provenance->sequential;
    if (r->n_comparisons && seq)
        doc_add(d, B_NOTE, 0,
                "Intervals are always-valid (sequential): reading them every week does not "
                "raise the false-positive rate.");
    else if (r->n_comparisons && r->provenance && r->provenance->has_sequential)
        doc_add(d, B_NOTE, 0,
                "Fixed-horizon intervals: valid for one pre-planned read. Reading this report "
                "every week and acting on the first significant week turns 5%% false positives "
                "into 18.7%% over 10 weekly looks (README, \"Why weekly reports use the "
                "sequential interval\").");
}

static void build_arms(doc_t *d)
{
    const Lift__Report *r = d->r;
    const Lift__Provenance *p = r->provenance;
    int capped = p && p->has_revenue_cap && isfinite(p->revenue_cap) && p->revenue_cap > 0;
    doc_add(d, B_H2, 0, "Arms");
    static const char *const hdr[] = {"arm",      "exposed",     "impressed",
                                      "clicks",   "converted",   "revenue",
                                      "per exposed", "uncapped", "conv. rate"};
    /* "uncapped" only when a cap was applied; then clicks (in the funnel) leave the terminal */
    tab_t *t = tab_new(d, 9, hdr, "lrrrrrrrr", capped ? "s..h....." : "s.......h");
    for (size_t i = 0; i < r->n_arms; i++) {
        const Lift__ArmSummary *a = r->arms[i];
        char name[32], c[8][96];
        const char *label = arm_label(r, a->has_arm_index ? a->arm_index : (int)i, name,
                                      sizeof name);
        char lab[96];
        snprintf(lab, sizeof lab, "%s%s", label,
                 a->has_arm_index && a->arm_index == 0 && !strcasestr(label, "holdout")
                     ? " (holdout)"
                     : "");
        render_fmt_count(c[0], sizeof c[0], a->exposed);
        render_fmt_count(c[1], sizeof c[1], a->impressed_customers);
        render_fmt_count(c[2], sizeof c[2], a->clicks);
        render_fmt_count(c[3], sizeof c[3], a->converted_customers);
        if (a->has_revenue_minor)
            fmt_amount(c[4], sizeof c[4], (double)a->revenue_minor, d->digits, 0);
        else
            doc_ne(d, c[4], sizeof c[4], "revenue not reported");
        if (a->has_revenue_per_customer && isfinite(a->revenue_per_customer))
            fmt_amount(c[5], sizeof c[5], a->revenue_per_customer, d->digits, 0);
        else
            doc_ne(d, c[5], sizeof c[5], "no exposed customers");
        if (capped && a->has_revenue_per_customer_uncapped &&
            isfinite(a->revenue_per_customer_uncapped))
            fmt_amount(c[6], sizeof c[6], a->revenue_per_customer_uncapped, d->digits, 0);
        else
            snprintf(c[6], sizeof c[6], "-");
        cell_est(d, c[7], sizeof c[7], a->conversion_rate, U_FRAC, 0, 0);
        const char *cells[] = {lab, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]};
        tab_row(d, t, 0, cells);
    }
    char cap[400];
    cap_text(d, cap, sizeof cap, p);
    if (capped)
        doc_add(d, B_NOTE, 0,
                "Amounts in %s; revenue = upgrades minus refunds after exposure (uncapped sum); "
                "per exposed = mean revenue per exposed customer with the cap applied: %s; "
                "uncapped = the same mean without the cap; conv. rate = converted / exposed.",
                *d->cur ? d->cur : "the report's currency", cap);
    else
        doc_add(d, B_NOTE, 0,
                "Amounts in %s; revenue = upgrades minus refunds after exposure; per exposed = "
                "mean revenue per exposed customer (%s); conv. rate = converted / exposed.",
                *d->cur ? d->cur : "the report's currency", cap);
}

static int seq_report(const Lift__Report *r)
{
    return r->provenance && r->provenance->has_sequential && r->provenance->sequential;
}

static void build_comparisons(doc_t *d)
{
    const Lift__Report *r = d->r;
    const Lift__Provenance *pv = r->provenance;
    int64_t cost = pv && pv->has_cost_per_attempt_minor ? pv->cost_per_attempt_minor : -1;
    static const struct {
        const char *label;
        size_t off;
        unit_t unit;
        int sign; /* +1: an increase is good; -1: an increase is bad (churn) */
    } metrics[] = {
        {"revenue per exposed customer", offsetof(Lift__Comparison, revenue_diff), U_MONEY, 1},
        {"  same, uncapped", offsetof(Lift__Comparison, revenue_diff_uncapped), U_MONEY, 1},
        {"relative lift", offsetof(Lift__Comparison, relative_lift), U_FRAC, 1},
        {"incremental revenue (total)", offsetof(Lift__Comparison, incremental_total), U_MONEY, 1},
        {"holdout cost (revenue forgone)", offsetof(Lift__Comparison, holdout_cost), U_MONEY, 1},
        {"net of attempt cost", offsetof(Lift__Comparison, net_incremental), U_MONEY, 1},
        {"conversion rate", offsetof(Lift__Comparison, conversion_diff), U_PP, 1},
        {"churn", offsetof(Lift__Comparison, churn_diff), U_PP, -1},
        {"click-through", offsetof(Lift__Comparison, ctr_diff), U_PP, 1},
        {"effect on customers who saw it", offsetof(Lift__Comparison, cace), U_MONEY, 1},
        {"NPS after exposure (0-10 answers)", offsetof(Lift__Comparison, nps_diff), U_NPS, 1},
        {"pre-exposure revenue (balance)", offsetof(Lift__Comparison, pre_period_diff), U_MONEY, 0},
    };
    int fixed_any = 0;
    for (size_t i = 0; i < r->n_comparisons; i++) {
        const Lift__Comparison *c = r->comparisons[i];
        char name[32];
        const char *arm = cmp_label(r, c, name, sizeof name);
        char hold[32];
        doc_add(d, B_H3, 0, "%s vs %s (difference)", arm, arm_label(r, 0, hold, sizeof hold));
        const char *const hdr[] = {"metric", "estimate", d->ci, "p", "p adj."};
        tab_t *t = tab_new(d, 5, hdr, "lrrrr", "s....");
        for (size_t m = 0; m < sizeof metrics / sizeof metrics[0]; m++) {
            const Lift__Estimate *e = *(Lift__Estimate *const *)((const char *)c + metrics[m].off);
            if (e == NULL) continue;
            char v[96], ci[200], p[32], pa[40], label[96];
            cell_est(d, v, sizeof v, e, metrics[m].unit, metrics[m].unit == U_MONEY,
                     metrics[m].unit != U_MONEY);
            cell_ci(d, ci, sizeof ci, e, metrics[m].unit);
            cell_p(p, sizeof p, e, 0);
            cell_p(pa, sizeof pa, e, 1);
            if (est_ok(e) && e->has_p_adjusted) strncat(pa, fam_tag(e), sizeof pa - strlen(pa) - 1);
            snprintf(label, sizeof label, "%s", metrics[m].label);
            if (metrics[m].off == offsetof(Lift__Comparison, net_incremental) && cost == 0)
                snprintf(label, sizeof label, "net of attempt cost (cost 0: = total)");
            /* fixed-horizon rows in a sequential report are marked */
            if (seq_report(r) && est_ok(e) && e->has_sequential && !e->sequential) {
                strncat(label, " †", sizeof label - strlen(label) - 1);
                fixed_any = 1;
            }
            const char *cells[] = {label, v, ci, p, pa};
            tab_row(d, t, metrics[m].sign * tone_adj(r, e), cells);
        }
        if (c->has_cuped && c->cuped) {
            char vr[32] = "";
            if (c->has_variance_reduction && isfinite(c->variance_reduction))
                render_fmt_pct(vr, sizeof vr, c->variance_reduction, 0, "%");
            doc_add(d, B_NOTE, 0,
                    "CUPED (pre-exposure revenue) applied to revenue and lift%s%s.",
                    *vr ? ": variance reduced by " : "", vr);
        } else if (c->cuped_note && *c->cuped_note) {
            doc_add(d, B_NOTE, 0, "CUPED requested, not applied to this arm: %s.", c->cuped_note);
        }
    }
    if (r->n_comparisons == 0) return;
    char costs[96] = "";
    if (cost > 0) {
        char m[64];
        render_fmt_money(m, sizeof m, (double)cost, d->cur, 0);
        snprintf(costs, sizeof costs, "%s per impression", m);
    }
    const Lift__Testing *tg = r->testing;
    doc_add(d, B_NOTE, 0,
            "Holdout cost = revenue forgone by holding customers out (difference x holdout "
            "customers). Net of attempt cost = incremental total minus %s. Effect on customers "
            "who saw it = the difference divided by the impression-rate difference (CACE). "
            "Pre-exposure revenue is a balance check: randomization makes it 0 in expectation.",
            cost > 0 ? costs : cost == 0 ? "the cost per attempt, which is 0 here (none set: net = total)"
                                         : "cost per attempt x impressions");
    if (tg && tg->has_confirmatory_tests)
        doc_add(d, B_NOTE, 0,
                "p adj. = %s within two families. C = confirmatory: the primary metric (%s), one "
                "test per treatment arm (%u test%s); it never depends on the segments asked for. "
                "E = exploratory: the other metrics and every segment level (%u tests). Estimates "
                "of one hypothesis (a difference, its total, holdout cost, relative lift, CACE) "
                "share one adjusted p. Colour only when the adjusted p is below alpha.",
                adjust_name(r),
                tg->has_primary_metric ? lift_metric_name(tg->primary_metric) : "revenue",
                tg->confirmatory_tests, tg->confirmatory_tests == 1 ? "" : "s",
                tg->exploratory_tests);
    if (fixed_any)
        doc_add(d, B_NOTE, 0, "† fixed-horizon interval and p-value (not always-valid).");
}

static void build_funnel(doc_t *d)
{
    const Lift__Report *r = d->r;
    doc_add(d, B_H2, 0, "Funnel");
    doc_add(d, B_CHART, CHART_FUNNEL, NULL);
    static const char *const hdr[] = {"arm", "impression rate", "click-through",
                                      "conv. per impression", "revenue per attempt"};
    tab_t *t = tab_new(d, 5, hdr, "lrrrr", "s....");
    for (size_t i = 0; i < r->n_comparisons; i++) {
        const Lift__Comparison *c = r->comparisons[i];
        const Lift__Funnel *fu = c->funnel;
        char name[32], v[4][96];
        const char *arm = cmp_label(r, c, name, sizeof name);
        if (fu && fu->has_impression_rate && isfinite(fu->impression_rate))
            render_fmt_pct(v[0], sizeof v[0], fu->impression_rate, 0, "%");
        else
            doc_ne(d, v[0], sizeof v[0], "no exposed customers in the arm");
        if (fu && fu->has_click_through && isfinite(fu->click_through))
            render_fmt_pct(v[1], sizeof v[1], fu->click_through, 0, "%");
        else
            doc_ne(d, v[1], sizeof v[1], "no impressions in the arm");
        if (fu && fu->has_conversion_per_impression && isfinite(fu->conversion_per_impression))
            render_fmt_pct(v[2], sizeof v[2], fu->conversion_per_impression, 0, "%");
        else
            doc_ne(d, v[2], sizeof v[2], "no impressions in the arm");
        if (fu && fu->has_revenue_per_attempt && isfinite(fu->revenue_per_attempt))
            render_fmt_money(v[3], sizeof v[3], fu->revenue_per_attempt, d->cur, 0);
        else
            doc_ne(d, v[3], sizeof v[3], "no impressions in the arm");
        const char *cells[] = {arm, v[0], v[1], v[2], v[3]};
        tab_row(d, t, 0, cells);
    }
    doc_add(d, B_NOTE, 0,
            "Impression rate = treated customers who saw an offer / exposed customers; "
            "click-through = clicks / impressions; conv. per impression = conversions / "
            "impressions; revenue per attempt = incremental revenue / impressions.");
}

/* "a … b" of an interval in whole currency units, "" when the estimate is n/e. */
static void cell_ci_whole(doc_t *d, char *b, size_t n, const Lift__Estimate *e)
{
    if (ci_cell_blank(d, b, n, e)) return;
    char lo[96], hi[96];
    fmt_val(lo, sizeof lo, e->ci_low, U_WHOLE, NULL, d->digits, 0);
    fmt_val(hi, sizeof hi, e->ci_high, U_WHOLE, NULL, d->digits, 0);
    snprintf(b, n, "%s … %s", lo, hi);
}

static void build_heterogeneity(doc_t *d, int dim, int arm, const char *armname)
{
    const Lift__Report *r = d->r;
    for (size_t i = 0; i < r->n_heterogeneity; i++) {
        const Lift__Heterogeneity *h = r->heterogeneity[i];
        if ((int)h->dimension != dim || (h->has_arm_index && h->arm_index != arm)) continue;
        if (!(h->has_ok && h->ok) || !isfinite(h->q) || !isfinite(h->p_value)) {
            doc_add(d, B_NOTE, 0, "Heterogeneity across %s levels (%s): not estimable (%s).",
                    dimension_name(dim), armname, h->reason && *h->reason ? h->reason : "?");
            continue;
        }
        char p[32], i2[32];
        render_fmt_p(p, sizeof p, h->p_value);
        render_fmt_pct(i2, sizeof i2, h->i2, 0, "%");
        doc_add(d, B_NOTE, 0,
                "Heterogeneity across %u %s levels (%s): Cochran's Q = %.2f on %g df, p %s%s, "
                "I² = %s, τ² = %.4g — %s",
                h->levels, dimension_name(dim), armname, h->q, h->df, p[0] == '<' ? "" : "= ",
                p, i2, h->tau2,
                h->p_value < alpha_of(r)
                    ? "the effect differs across levels."
                    : "no evidence that the effect differs across levels: read the shrunken "
                      "column, not the raw ranking.");
    }
}

static void build_segments(doc_t *d)
{
    const Lift__Report *r = d->r;
    if (r->n_segments == 0) return;
    int shrunk = 0;
    for (size_t i = 0; i < r->n_segments; i++)
        for (size_t j = 0; j < r->segments[i]->n_comparisons; j++)
            shrunk |= r->segments[i]->comparisons[j]->incremental_total_shrunk != NULL;
    doc_add(d, B_H2, 0, shrunk ? "Segments (sorted by shrunken incremental revenue)"
                               : "Segments (sorted by incremental revenue)");
    doc_add(d, B_CHART, CHART_FOREST, NULL);
    int dims[8];
    size_t nd = dimensions(r, dims, 8);
    for (size_t k = 0; k < nd; k++) {
        int arms[16];
        size_t na = segment_arms(r, dims[k], arms, 16);
        for (size_t ai = 0; ai < na; ai++) {
            size_t n = 0;
            segrow_t *rows = segment_rows(r, dims[k], arms[ai], &n);
            if (rows == NULL) {
                if (n == 0) continue;
                d->oom = 1;
                return;
            }
            char name[32], hold[32];
            const char *armname = arm_label(r, arms[ai], name, sizeof name);
            doc_add(d, B_H3, 0, "By %s: %s vs %s", dimension_name(dims[k]), armname,
                    arm_label(r, 0, hold, sizeof hold));
            const char *const hdr[] = {"level",     "exposed T/H", "converters T/H",
                                       "per exposed", d->ci,        "incremental",
                                       d->ci,       "shrunken",    d->ci,
                                       "p adj."};
            tab_t *t = tab_new(d, 10, hdr, "lrrrrrrrrr", "s.hhh.....");
            for (size_t i = 0; i < n; i++) {
                const Lift__Segment *s = rows[i].seg;
                const Lift__Comparison *c = rows[i].cmp;
                char ex[80], cv[80], t1[32], t2[32], v[96], ci[200], tot[96], tci[200];
                char sh[96], sci[200], pa[40];
                int ai2 = c->has_arm_index ? c->arm_index : -1;
                render_fmt_count(t1, sizeof t1,
                                 ai2 >= 0 && (size_t)ai2 < s->n_exposed ? s->exposed[ai2] : 0);
                render_fmt_count(t2, sizeof t2, s->n_exposed ? s->exposed[0] : 0);
                snprintf(ex, sizeof ex, "%s/%s", t1, t2);
                if (c->has_converted_treated && c->has_converted_holdout) {
                    render_fmt_count(t1, sizeof t1, c->converted_treated);
                    render_fmt_count(t2, sizeof t2, c->converted_holdout);
                    snprintf(cv, sizeof cv, "%s/%s", t1, t2);
                } else {
                    snprintf(cv, sizeof cv, "-");
                }
                cell_est(d, v, sizeof v, c->revenue_diff, U_MONEY, 0, 0);
                cell_ci(d, ci, sizeof ci, c->revenue_diff, U_MONEY);
                if (est_ok(c->revenue_diff))
                    cell_est(d, tot, sizeof tot, c->incremental_total, U_WHOLE, 0, 0);
                else
                    cell_est(d, tot, sizeof tot, c->revenue_diff, U_WHOLE, 0, 0);
                cell_ci_whole(d, tci, sizeof tci, est_ok(c->revenue_diff) ? c->incremental_total
                                                                          : NULL);
                if (c->incremental_total_shrunk) {
                    cell_est(d, sh, sizeof sh, c->incremental_total_shrunk, U_WHOLE, 0, 0);
                    cell_ci_whole(d, sci, sizeof sci, c->incremental_total_shrunk);
                } else {
                    snprintf(sh, sizeof sh, "-");
                    sci[0] = '\0';
                }
                cell_p(pa, sizeof pa, c->revenue_diff, 1);
                if (est_ok(c->revenue_diff) && c->revenue_diff->has_p_adjusted)
                    strncat(pa, fam_tag(c->revenue_diff), sizeof pa - strlen(pa) - 1);
                const char *cells[] = {s->level && *s->level ? s->level : "(none)",
                                       ex, cv, v, ci, tot, tci, sh, sci, pa};
                tab_row(d, t, tone_adj(r, c->revenue_diff), cells);
            }
            free(rows);
            build_heterogeneity(d, dims[k], arms[ai], armname);
        }
    }
    doc_add(d, B_NOTE, 0,
            "T/H = customers in the treatment arm / holdout. Per exposed = revenue difference per "
            "exposed customer (%s); incremental = that difference x the segment's treated "
            "customers, in whole %s, with its %s. Shrunken = the empirical-Bayes estimate: each "
            "level's difference pulled toward the dimension's common effect in proportion to its "
            "noise (DerSimonian-Laird between-level variance), with its interval (always-valid "
            "like the others in a sequential report); the largest raw "
            "effect among many levels is usually inflated by luck (the winner's curse), so rank "
            "by the shrunken value. p adj. = %s within the exploratory family (E). Colour only "
            "when the adjusted p is below alpha. Levels that are not estimable follow, in their "
            "own order.",
            *d->cur ? d->cur : "minor units", *d->cur ? d->cur : "currency units", d->ci,
            adjust_name(r));
}

static void build_weekly(doc_t *d)
{
    const Lift__Report *r = d->r;
    if (r->n_weekly == 0) return;
    doc_add(d, B_H2, 0, "Cumulative by week");
    doc_add(d, B_CHART, CHART_WEEKLY, NULL);
    doc_add(d, B_CHART, CHART_WEEKLY_INC, NULL);
    const char *const hdr[] = {"week", "exposed", "arm", "lift", d->ci, "incremental", d->ci};
    tab_t *t = tab_new(d, 7, hdr, "lrlrrrr", "..s....");
    for (size_t i = 0; i < r->n_weekly; i++) {
        const Lift__WeekPoint *w = r->weekly[i];
        char ex[32];
        render_fmt_count(ex, sizeof ex, w->exposed);
        for (size_t j = 0; j < w->n_comparisons; j++) {
            const Lift__Comparison *c = w->comparisons[j];
            char name[32], l[96], lci[200], tot[96], tci[200];
            cell_est(d, l, sizeof l, c->relative_lift, U_FRAC, 0, 1);
            cell_ci(d, lci, sizeof lci, c->relative_lift, U_FRAC);
            cell_est(d, tot, sizeof tot, c->incremental_total, U_MONEY, 0, 0);
            cell_ci(d, tci, sizeof tci, c->incremental_total, U_MONEY);
            const char *cells[] = {j == 0 ? (w->week ? w->week : "?") : "", j == 0 ? ex : "",
                                   cmp_label(r, c, name, sizeof name), l, lci, tot, tci};
            tab_row(d, t, tone_of(c->incremental_total), cells);
        }
    }
    doc_add(d, B_NOTE, 0,
            "Cumulative from the start to the end of each ISO week (customers exposed before the "
            "week's end); %s, amounts in %s. Lift and incremental revenue test the same "
            "hypothesis, but the lift's interval also carries the uncertainty of the holdout's "
            "mean it divides by: when that mean is small the lift's interval can include 0 while "
            "the incremental interval does not — the revenue difference is the test of record.",
            d->ci, *d->cur ? d->cur : "minor units");
}

static void retention_cell(doc_t *d, char *b, size_t n, const Lift__RetentionPoint *p)
{
    if (p == NULL || !(p->has_ok && p->ok) || !p->has_survival || !isfinite(p->survival)) {
        doc_ne(d, b, n, p && p->reason && *p->reason ? p->reason : "too few upgraders");
        return;
    }
    char s[32], lo[32], hi[32], risk[32];
    render_fmt_pct(s, sizeof s, p->survival, 0, "%");
    render_fmt_count(risk, sizeof risk, p->at_risk);
    if (p->has_ci_low && p->has_ci_high && isfinite(p->ci_low) && isfinite(p->ci_high)) {
        render_fmt_pct(lo, sizeof lo, p->ci_low, 0, "");
        render_fmt_pct(hi, sizeof hi, p->ci_high, 0, "%");
        snprintf(b, n, "%s (%s … %s), n=%s", s, lo, hi, risk);
    } else {
        snprintf(b, n, "%s, n=%s", s, risk);
    }
}

static void build_retention(doc_t *d)
{
    const Lift__Report *r = d->r;
    int any = 0;
    for (size_t i = 0; i < r->n_comparisons; i++)
        any |= r->comparisons[i]->n_retention_treated || r->comparisons[i]->n_retention_organic ||
               r->comparisons[i]->churn_diff;
    if (!any) return;
    doc_add(d, B_H2, 0, "Retention after upgrade");
    static const char *const hdr[] = {"arm", "days", "treated upgraders", "organic upgraders"};
    tab_t *t = tab_new(d, 4, hdr, "lrrr", "s...");
    for (size_t i = 0; i < r->n_comparisons; i++) {
        const Lift__Comparison *c = r->comparisons[i];
        char name[32];
        const char *arm = cmp_label(r, c, name, sizeof name);
        size_t n = c->n_retention_treated > c->n_retention_organic ? c->n_retention_treated
                                                                   : c->n_retention_organic;
        for (size_t k = 0; k < n; k++) {
            const Lift__RetentionPoint *pt = k < c->n_retention_treated ? c->retention_treated[k] : NULL;
            const Lift__RetentionPoint *po = k < c->n_retention_organic ? c->retention_organic[k] : NULL;
            char days[16], a[160], b[160];
            unsigned dd = pt && pt->has_days ? pt->days : po && po->has_days ? po->days : 0;
            snprintf(days, sizeof days, "%u", dd);
            retention_cell(d, a, sizeof a, pt);
            retention_cell(d, b, sizeof b, po);
            const char *cells[] = {k == 0 ? arm : "", days, a, b};
            tab_row(d, t, 0, cells);
        }
    }
    doc_add(d, B_NOTE, 0,
            "Share of upgraders still subscribed N days after upgrading (interval, customers at "
            "risk); treated = upgraders in the arm, organic = upgraders in the holdout. The churn "
            "difference for all exposed customers is in the comparison tables above.");
}

static void build_nps(doc_t *d)
{
    const Lift__Report *r = d->r;
    int any = 0;
    for (size_t i = 0; i < r->n_arms; i++)
        any |= r->arms[i]->nps_before || r->arms[i]->nps_after || r->arms[i]->nps_change;
    if (!any) return;
    doc_add(d, B_H2, 0, "NPS before and after exposure");
    const char *const hdr[] = {"arm", "before", "answers", "after", "answers",
                               "paired change", d->ci, "customers"};
    tab_t *t = tab_new(d, 8, hdr, "lrrrrrrr", "s.......");
    for (size_t i = 0; i < r->n_arms; i++) {
        const Lift__ArmSummary *a = r->arms[i];
        char name[32], b[96], af[96], ch[96], ci[200], nb[32], nf[32], np[32];
        cell_est(d, b, sizeof b, a->nps_before, U_NPS, 0, 0);
        cell_est(d, af, sizeof af, a->nps_after, U_NPS, 0, 0);
        cell_est(d, ch, sizeof ch, a->nps_change, U_NPS, 0, 1);
        cell_ci(d, ci, sizeof ci, a->nps_change, U_NPS);
        if (a->has_nps_before_n) render_fmt_count(nb, sizeof nb, a->nps_before_n);
        else snprintf(nb, sizeof nb, "-");
        if (a->has_nps_after_n) render_fmt_count(nf, sizeof nf, a->nps_after_n);
        else snprintf(nf, sizeof nf, "-");
        if (a->has_nps_pairs) render_fmt_count(np, sizeof np, a->nps_pairs);
        else snprintf(np, sizeof np, "-");
        const char *cells[] = {arm_label(r, a->has_arm_index ? a->arm_index : (int)i, name,
                                         sizeof name),
                               b, nb, af, nf, ch, ci, np};
        tab_row(d, t, 0, cells);
    }
    /* the between-arm difference: the comparison that answers "did the offer move NPS?" */
    int nd = 0;
    for (size_t i = 0; i < r->n_comparisons; i++) nd |= r->comparisons[i]->nps_diff != NULL;
    if (nd) {
        const char *const h2[] = {"arm vs holdout", "NPS after, difference", d->ci, "p",
                                  "p adj."};
        tab_t *t2 = tab_new(d, 5, h2, "lrrrr", "s....");
        for (size_t i = 0; i < r->n_comparisons; i++) {
            const Lift__Comparison *c = r->comparisons[i];
            if (!c->nps_diff) continue;
            char name[32], v[96], ci[200], p[32], pa[40];
            cell_est(d, v, sizeof v, c->nps_diff, U_NPS, 0, 1);
            cell_ci(d, ci, sizeof ci, c->nps_diff, U_NPS);
            cell_p(p, sizeof p, c->nps_diff, 0);
            cell_p(pa, sizeof pa, c->nps_diff, 1);
            if (est_ok(c->nps_diff) && c->nps_diff->has_p_adjusted)
                strncat(pa, fam_tag(c->nps_diff), sizeof pa - strlen(pa) - 1);
            const char *cells[] = {cmp_label(r, c, name, sizeof name), v, ci, p, pa};
            tab_row(d, t2, tone_adj(r, c->nps_diff), cells);
        }
    }
    doc_add(d, B_NOTE, 0,
            "Answers are 0-10 scores; NPS = %% promoters (9-10) - %% detractors (0-6), on "
            "-100..100. Before = each customer's last answer in the lookback before exposure; "
            "after = the first answer after exposure. Paired change = after - before for the "
            "customers who answered both only, so it need not equal the difference of the before "
            "and after columns (other customers). The offer's effect is the difference in NPS "
            "after exposure between the arm and the holdout.");
}

static void build_provenance(doc_t *d)
{
    const Lift__Report *r = d->r;
    const Lift__Provenance *p = r->provenance;
    doc_add(d, B_H2, 2, "Provenance"); /* level 2: HTML puts the rest into a <footer> */
    static const char *const hdr[] = {"item", "value"};
    tab_t *t = tab_new(d, 2, hdr, "ll", ".s");
    if (p == NULL) {
        const char *cells[] = {"provenance", "not reported by the server"};
        tab_row(d, t, 0, cells);
        return;
    }
    const Lift__Experiment *e = p->experiment;
    char v[512], a[64], b[64];
#define ROW(label)                                                                                 \
    do {                                                                                           \
        const char *cells_[] = {label, v};                                                         \
        tab_row(d, t, 0, cells_);                                                                  \
    } while (0)
    snprintf(v, sizeof v, "%s", render_experiment_key(r));
    ROW("experiment");
    if (e) {
        snprintf(v, sizeof v, "%s", e->checksum && *e->checksum ? e->checksum : "-");
        ROW("definition checksum");
        snprintf(v, sizeof v, "%s", e->has_status ? lift_status_name(e->status) : "-");
        ROW("status");
        snprintf(v, sizeof v, "%s", e->seed && *e->seed ? e->seed : render_experiment_key(r));
        ROW("seed");
        size_t k = 0;
        v[0] = '\0';
        for (size_t i = 0; i < e->n_arms && k + 80 < sizeof v; i++)
            k += (size_t)snprintf(v + k, sizeof v - k, "%s%s %g", i ? ", " : "",
                                  e->arms[i]->name ? e->arms[i]->name : "?",
                                  e->arms[i]->has_weight ? e->arms[i]->weight : 0.0);
        ROW("arms and weights");
        snprintf(v, sizeof v, "%g", e->has_coverage ? e->coverage : 1.0);
        ROW("coverage");
    }
    snprintf(v, sizeof v, "%s", p->hash_version && *p->hash_version ? p->hash_version : "-");
    ROW("hash version");
    fmt_time(a, sizeof a, p->has_from_ms, p->from_ms);
    fmt_time(b, sizeof b, p->has_to_ms, p->to_ms);
    snprintf(v, sizeof v,
             "customers exposed %s to %s UTC (end excluded; exposure time = trigger time); "
             "outcomes from each customer's exposure to the window end",
             a, b);
    ROW("exposure window");
    fmt_time(a, sizeof a, p->has_generated_ms, p->generated_ms);
    snprintf(v, sizeof v, "%s UTC", a);
    ROW("generated");
    render_fmt_count(a, sizeof a, p->exposures_read);
    render_fmt_count(b, sizeof b, p->events_read);
    snprintf(v, sizeof v, "%s exposures, %s events", a, b);
    ROW("read");
    char cu[300];
    cuped_text(cu, sizeof cu, p);
    if (p->has_sequential && p->sequential)
        snprintf(v, sizeof v, "alpha %g; always-valid (sequential) intervals, n* %g; %s",
                 alpha_of(r), p->has_n_star ? p->n_star : 0.0, cu);
    else
        snprintf(v, sizeof v, "alpha %g; fixed-horizon intervals (sequential off); %s",
                 alpha_of(r), cu);
    ROW("analysis");
    {
        const Lift__Testing *tg = r->testing;
        if (tg && tg->has_confirmatory_tests)
            snprintf(v, sizeof v,
                     "%s within each family: confirmatory = primary metric %s (%u test%s), "
                     "exploratory = other metrics and segments (%u tests)",
                     adjust_name(r),
                     tg->has_primary_metric ? lift_metric_name(tg->primary_metric) : "revenue",
                     tg->confirmatory_tests, tg->confirmatory_tests == 1 ? "" : "s",
                     tg->exploratory_tests);
        else
            snprintf(v, sizeof v, "Benjamini-Hochberg across the report");
        ROW("multiple testing");
    }
    cap_text(d, v, sizeof v, p);
    ROW("revenue cap");
    if (p->has_cost_per_attempt_minor) {
        if (p->cost_per_attempt_minor > 0) {
            render_fmt_money(a, sizeof a, (double)p->cost_per_attempt_minor, d->cur, 0);
            snprintf(v, sizeof v, "%s per impression", a);
        } else {
            snprintf(v, sizeof v, "0 (none set: net of attempt cost = incremental total)");
        }
        ROW("attempt cost");
    }
    if (p->has_min_converters && p->min_converters > 0) {
        snprintf(v, sizeof v,
                 "a revenue interval needs %u expected converters in the smaller arm (its "
                 "customers x the pooled share with revenue > 0) and one in each arm "
                 "(calibrated); below: not estimable, too few converters",
                 p->min_converters);
        ROW("minimum converters");
    }
    if (lift_currency_digits(d->cur) >= 0)
        snprintf(v, sizeof v, "%s (%d decimal%s)", d->cur, d->digits, d->digits == 1 ? "" : "s");
    else
        snprintf(v, sizeof v, "%s", *d->cur ? d->cur : "-");
    ROW("currency");
    snprintf(v, sizeof v, "%s", p->lift_version && *p->lift_version ? p->lift_version : "-");
    ROW("lift version");
#undef ROW
}

/* The program section of a program (holdout) report: which design, the program's estimate,
 * the cost of holding out and the linked experiments' own sum next to it. */
static void build_program(doc_t *d)
{
    const Lift__Program *p = d->r->program;
    if (p == NULL) return;
    char held[32], meas[32], pop[32];
    render_fmt_count(held, sizeof held, p->held_out);
    render_fmt_count(meas, sizeof meas, p->measured);
    render_fmt_count(pop, sizeof pop, (uint64_t)(p->treated_population + 0.5));
    double pct = p->holdout ? p->holdout->percent : 0;
    doc_add(d, B_H2, 0, "Program holdout");
    doc_add(d, B_PARA, 0,
            "Design: %s. Held out: %s customers (%g%% of the hash range); measurement slice: %s "
            "customers (the next %g%%); program-eligible treated customers, estimated: %s "
            "(measured x (100 - %g) / %g).",
            p->design ? p->design : "-", held, pct, meas, pct, pop, pct, pct);
    const char *const hdr[] = {"program estimate", "estimate", d->ci};
    tab_t *t = tab_new(d, 3, hdr, "lrr", "s..");
    const struct {
        const char *name;
        const Lift__Estimate *e;
    } rows[] = {
        {"incremental revenue per customer", p->revenue_per_customer},
        {"incremental revenue of the program (total)", p->incremental_total},
        {"cost of holding out (revenue forgone)", p->holdout_cost},
        {"sum of the linked experiments' own estimates", p->linked_sum},
        {"naive sum minus program (overstatement)", p->naive_gap},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].e == NULL) continue;
        char v[96], ci[200];
        cell_est(d, v, sizeof v, rows[i].e, U_MONEY, 0, 1);
        cell_ci(d, ci, sizeof ci, rows[i].e, U_MONEY);
        const char *cells[] = {rows[i].name, v, ci};
        tab_row(d, t, i < 2 ? tone_of(rows[i].e) : 0, cells);
    }
    if (p->n_linked) {
        const char *const lh[] = {"linked experiment", "own incremental revenue", d->ci};
        tab_t *lt = tab_new(d, 3, lh, "lrr", "s..");
        for (size_t i = 0; i < p->n_linked; i++) {
            const Lift__LinkedEstimate *l = p->linked[i];
            char v[96], ci[200];
            cell_est(d, v, sizeof v, l->incremental_total, U_MONEY, 0, 1);
            cell_ci(d, ci, sizeof ci, l->incremental_total, U_MONEY);
            const char *cells[] = {l->experiment_key ? l->experiment_key : "?", v, ci};
            tab_row(d, lt, 0, cells);
        }
    }
    doc_add(d, B_NOTE, 0,
            "The program's estimate compares whole groups by intent to treat: what every linked "
            "offer, trigger and channel added together, net of overlap and of upgrades pulled "
            "forward within the window. Each linked experiment's own estimate compares its arms "
            "within its own customers; their sum counts an upgrade that several offers chased "
            "once per offer, and the gap is what naive summing overstates. The sum's and the "
            "gap's intervals add half-widths in quadrature (independence assumed). Amounts in "
            "%s; the arms below are held_out (arm 0) and measured (arm 1), and there the "
            "incremental total and holdout cost scale the same difference by the measurement "
            "slice and by the held-out customers.",
            *d->cur ? d->cur : "minor units");
}

/* The blocks of report r into *d (the caller doc_free()s it). Returns 0, or -1 with errno
 * ENOMEM and *d freed. */
static int build_doc(doc_t *d, const Lift__Report *r)
{
    memset(d, 0, sizeof *d);
    d->r = r;
    snprintf(d->cur, sizeof d->cur, "%s", currency(r));
    d->digits = money_digits(d->cur);
    ci_label(d->ci, sizeof d->ci, r);
    build_title(d);
    doc_add(d, B_H2, 1, "Warnings"); /* level 1: HTML draws its own box title instead */
    size_t before = d->n;
    build_warnings(d);
    if (d->n == before) { /* no health section at all: drop the heading */
        free(d->b[--d->n].text);
    }
    if (!has_data(r)) {
        doc_add(d, B_NODATA, 0,
                "No data: no customers were exposed to this experiment in the window, so there "
                "is nothing to estimate yet.");
    } else {
        build_program(d);
        if (r->n_comparisons == 0)
            doc_add(d, B_NODATA, 0,
                    "No treatment-vs-holdout comparison in this report (only one arm has data).");
        else if (!r->program)
            build_headline(d);
        build_arms(d);
        build_comparisons(d);
        if (r->n_comparisons && !r->program) build_funnel(d); /* impressions are the linked
                                                               * experiments', not the holdout's */
        build_segments(d);
        build_weekly(d);
        build_retention(d);
        build_nps(d);
    }
    if (d->nnotes) {
        doc_add(d, B_H2, 0, "Notes");
        for (size_t i = 0; i < d->nnotes; i++)
            doc_add(d, B_NOTE, 1, "[%zu] n/e = not estimable: %s", i + 1, d->notes[i]);
    }
    build_provenance(d);
    if (d->oom) {
        doc_free(d);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* ---- terminal table -------------------------------------------------------------------------- */

#define ANSI_BOLD "\033[1m"
#define ANSI_DIM "\033[2m"
#define ANSI_RED "\033[31m"
#define ANSI_BOLD_RED "\033[1;31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_GREEN "\033[32m"
#define ANSI_OFF "\033[0m"

/* Display width: code points (every character Lift prints is one column wide). */
size_t render_u8len(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Byte offset just past the first `cols` code points of s. */
static size_t u8prefix(const char *s, size_t cols)
{
    size_t i = 0, n = 0;
    while (s[i]) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == cols) break;
            n++;
        }
        i++;
    }
    return i;
}

static void put_rep(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) fputs(s, f);
}

/* s in exactly w columns: padded, or cut with "…" when longer. */
static void put_cell(FILE *f, const char *s, size_t w, int right, int last)
{
    size_t len = render_u8len(s);
    if (len > w) {
        fwrite(s, 1, u8prefix(s, w ? w - 1 : 0), f);
        if (w) fputs("…", f);
        return;
    }
    if (right) put_rep(f, " ", w - len);
    fputs(s, f);
    if (!right && !last) put_rep(f, " ", w - len);
}

/* Word-wraps text to `width` columns: the first line starts with `first` (already counted in
 * its own width), the others with `hang` spaces. on/off wrap each line in a colour. */
static void wrap(FILE *f, const char *text, size_t width, const char *first, size_t hang,
                 const char *on, const char *off)
{
    size_t col = render_u8len(first);
    fputs(on, f);
    fputs(first, f);
    const char *p = text;
    int line_empty = 1;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ' ') e++;
        char word[512];
        size_t wl = (size_t)(e - p) < sizeof word - 1 ? (size_t)(e - p) : sizeof word - 1;
        memcpy(word, p, wl);
        word[wl] = '\0';
        size_t ww = render_u8len(word);
        if (!line_empty && col + 1 + ww > width) {
            fputs(off, f);
            fputc('\n', f);
            fputs(on, f);
            put_rep(f, " ", hang);
            col = hang;
            line_empty = 1;
        }
        if (!line_empty) {
            fputc(' ', f);
            col++;
        }
        fputs(word, f);
        col += ww;
        line_empty = 0;
        p = e;
    }
    fputs(off, f);
    fputc('\n', f);
}

/* The part of s that fits in w columns, broken after '_', '-', '/' or ' ' when one is in the
 * second half (names stay readable): its byte length. */
static size_t wrap_cut(const char *s, size_t w)
{
    size_t end = u8prefix(s, w), best = 0;
    for (size_t i = 0; i < end; i++)
        if ((s[i] == '_' || s[i] == '-' || s[i] == '/' || s[i] == ' ') && render_u8len(s) > w &&
            i + 1 >= end / 2)
            best = i + 1;
    return best ? best : end;
}

static void tab_print_text(FILE *f, const tab_t *t, int color, size_t width)
{
    size_t w[TAB_COLS], indent = 2, gap = 2;
    int first = -1, last = -1;
    for (int c = 0; c < t->ncols; c++) {
        w[c] = render_u8len(t->hdr[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t l = render_u8len(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (l > w[c]) w[c] = l;
        }
        if (!t->hide[c]) {
            if (first < 0) first = c;
            last = c;
        }
    }
    size_t total = indent;
    for (int c = 0; c < t->ncols; c++)
        if (!t->hide[c]) total += w[c] + (c != first ? gap : 0);
    while (total > width) { /* narrow the widest text column that may wrap */
        int best = -1;
        for (int c = 0; c < t->ncols; c++)
            if (!t->hide[c] && t->shrink[c] && w[c] > 10 && (best < 0 || w[c] > w[best]))
                best = c;
        if (best < 0) break;
        w[best]--;
        total--;
    }
    put_rep(f, " ", indent);
    if (color) fputs(ANSI_BOLD, f);
    for (int c = 0; c < t->ncols; c++) {
        if (t->hide[c]) continue;
        if (c != first) put_rep(f, " ", gap);
        put_cell(f, t->hdr[c], w[c], t->right[c], c == last);
    }
    if (color) fputs(ANSI_OFF, f);
    fputc('\n', f);
    put_rep(f, " ", indent);
    put_rep(f, "─", total - indent);
    fputc('\n', f);
    for (size_t r = 0; r < t->nrows; r++) {
        int tone = t->tone[r];
        /* a cell wider than its column (a long level name) continues on the next lines */
        const char *rest[TAB_COLS];
        for (int c = 0; c < t->ncols; c++) rest[c] = t->cells[r * (size_t)t->ncols + (size_t)c];
        for (int line = 0;; line++) {
            int more = 0;
            put_rep(f, " ", indent);
            if (color && tone) fputs(tone > 0 ? ANSI_GREEN : ANSI_RED, f);
            for (int c = 0; c < t->ncols; c++) {
                if (t->hide[c]) continue;
                if (c != first) put_rep(f, " ", gap);
                const char *cell = rest[c];
                if (render_u8len(cell) > w[c] && t->shrink[c]) {
                    size_t cut = wrap_cut(cell, w[c]);
                    char part[512];
                    size_t k = cut < sizeof part - 1 ? cut : sizeof part - 1;
                    memcpy(part, cell, k);
                    part[k] = '\0';
                    put_cell(f, part, w[c], t->right[c], c == last);
                    rest[c] = cell + cut;
                    while (*rest[c] == ' ') rest[c]++;
                    more |= *rest[c] != '\0';
                } else {
                    put_cell(f, cell, w[c], t->right[c], c == last);
                    rest[c] = "";
                }
            }
            if (color && tone) fputs(ANSI_OFF, f);
            fputc('\n', f);
            if (!more) break;
        }
    }
}

int render_table(const Lift__Report *r, FILE *f, int color, int width)
{
    doc_t d;
    if (build_doc(&d, r) != 0)
        return -1;
    size_t w = width <= 0 ? MAX_WIDTH : width < MIN_WIDTH ? MIN_WIDTH : (size_t)width;
    if (w > MAX_WIDTH) w = MAX_WIDTH;
    const char *bold = color ? ANSI_BOLD : "", *dim = color ? ANSI_DIM : "",
               *off = color ? ANSI_OFF : "";
    for (size_t i = 0; i < d.n; i++) {
        const block_t *b = &d.b[i];
        switch (b->type) {
        case B_TITLE:
            wrap(f, b->text, w, "", 0, bold, off);
            put_rep(f, "═", w);
            fputc('\n', f);
            break;
        case B_SUB: wrap(f, b->text, w, "", 0, dim, off); break;
        case B_H2:
            fputc('\n', f);
            wrap(f, b->text, w, "", 0, bold, off);
            break;
        case B_H3:
            fputc('\n', f);
            wrap(f, b->text, w, "  ", 2, bold, off);
            break;
        case B_PARA: wrap(f, b->text, w, "  ", 2, "", ""); break;
        case B_NOTE: wrap(f, b->text, w, "  ", b->level ? 6 : 2, dim, off); break;
        case B_NODATA:
            fputc('\n', f);
            wrap(f, b->text, w, "  ", 2, bold, off);
            break;
        case B_WARN:
            wrap(f, b->text, w, b->level >= 2 ? "  !! " : "  !  ", 5,
                 color ? (b->level >= 2 ? ANSI_BOLD_RED : ANSI_YELLOW) : "", off);
            break;
        case B_HEADLINE: {
            const char *tone = !color ? "" : b->level > 0 ? ANSI_GREEN : b->level < 0 ? ANSI_RED : "";
            char on[32];
            snprintf(on, sizeof on, "%s%s", bold, tone);
            wrap(f, b->text, w, "  ", 4, on, off);
            wrap(f, b->text2, w, "    ", 4, "", "");
            break;
        }
        case B_TABLE: tab_print_text(f, b->tab, color, w); break;
        case B_CHART: break;
        }
    }
    doc_free(&d);
    return ferror(f) ? -1 : 0;
}

/* ---- Markdown -------------------------------------------------------------------------------- */

/* Writes s with the characters that would break a table cell or start markup escaped. */
static void md_text(FILE *f, const char *s, int in_table)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '\\' || *s == '*' || *s == '`' || (*s == '_' && !in_table) ||
            *s == '<' || *s == '[')
            fputc('\\', f);
        if (*s == '\n')
            fputs(in_table ? " " : "  \n", f);
        else
            fputc(*s, f);
    }
}

static void tab_print_md(FILE *f, const tab_t *t)
{
    fputc('|', f);
    for (int c = 0; c < t->ncols; c++) {
        fputc(' ', f);
        md_text(f, t->hdr[c], 1);
        fputs(" |", f);
    }
    fputs("\n|", f);
    for (int c = 0; c < t->ncols; c++) fputs(t->right[c] ? " ---: |" : " --- |", f);
    fputc('\n', f);
    for (size_t r = 0; r < t->nrows; r++) {
        fputc('|', f);
        for (int c = 0; c < t->ncols; c++) {
            fputc(' ', f);
            md_text(f, t->cells[r * (size_t)t->ncols + (size_t)c], 1);
            fputs(" |", f);
        }
        fputc('\n', f);
    }
    fputc('\n', f);
}

int render_markdown(const Lift__Report *r, FILE *f)
{
    doc_t d;
    if (build_doc(&d, r) != 0)
        return -1;
    for (size_t i = 0; i < d.n; i++) {
        const block_t *b = &d.b[i];
        int next_warn = i + 1 < d.n && d.b[i + 1].type == B_WARN;
        switch (b->type) {
        case B_TITLE:
            fputs("# ", f);
            md_text(f, b->text, 0);
            fputs("\n\n", f);
            break;
        case B_SUB:
            fputc('_', f);
            md_text(f, b->text, 0);
            fputs("_\n\n", f);
            break;
        case B_H2:
            fputs("## ", f);
            md_text(f, b->text, 0);
            fputs("\n\n", f);
            break;
        case B_H3:
            fputs("### ", f);
            md_text(f, b->text, 0);
            fputs("\n\n", f);
            break;
        case B_PARA:
        case B_NOTE:
            if (b->type == B_NOTE && !b->level) fputc('_', f);
            md_text(f, b->text, 0);
            fputs(b->type == B_NOTE && !b->level ? "_\n\n" : "\n\n", f);
            break;
        case B_NODATA:
            fputs("**", f);
            md_text(f, b->text, 0);
            fputs("**\n\n", f);
            break;
        case B_WARN:
            fputs(b->level >= 2 ? "> - **Critical:** " : "> - **Warning:** ", f);
            md_text(f, b->text, 0);
            fputs(next_warn ? "\n" : "\n\n", f);
            break;
        case B_HEADLINE:
            fputs("- **", f);
            md_text(f, b->text, 0);
            fputs("**  \n  ", f);
            md_text(f, b->text2, 0);
            fputs(i + 1 < d.n && d.b[i + 1].type == B_HEADLINE ? "\n" : "\n\n", f);
            break;
        case B_TABLE: tab_print_md(f, b->tab); break;
        case B_CHART: break;
        }
    }
    doc_free(&d);
    return ferror(f) ? -1 : 0;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* Adds key: value, taking the reference; a NULL value (out of memory) marks *oom. */
static void jset(json_t *o, const char *k, json_t *v, int *oom)
{
    if (v == NULL || o == NULL || json_object_set_new(o, k, v) != 0) *oom = 1;
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A finite double, or null. */
static json_t *jnum(int has, double v)
{
    return has && isfinite(v) ? json_real(v) : json_null();
}

static json_t *jint(int has, int64_t v)
{
    return has ? json_integer((json_int_t)v) : json_null();
}

static json_t *juint(int has, uint64_t v)
{
    return has ? json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v) : json_null();
}

static json_t *jbool(int has, int v)
{
    return has ? json_boolean(v) : json_null();
}

static const char *unit_name(unit_t u)
{
    switch (u) {
    case U_MONEY: return "minor";
    case U_FRAC: return "fraction";
    case U_PP: return "fraction_difference";
    case U_NPS: return "nps_points";
    case U_RATIO: return "number";
    case U_WHOLE: return "minor";
    }
    return "number";
}

/* Estimate: every field, plus "unit". ok is false (and the numbers null) whenever the estimate
 * cannot be used, whatever the server sent. */
static json_t *est_json(const Lift__Estimate *e, unit_t u, int *oom)
{
    if (e == NULL) return json_null();
    json_t *o = json_object();
    int ok = est_ok(e);
    jset(o, "ok", json_boolean(ok), oom);
    jset(o, "reason", ok ? jstr(e->reason) : json_string(est_reason(e)), oom);
    jset(o, "estimate", jnum(ok, e->estimate), oom);
    jset(o, "se", jnum(ok && e->has_se, e->se), oom);
    jset(o, "ci_low", jnum(ok && e->has_ci_low, e->ci_low), oom);
    jset(o, "ci_high", jnum(ok && e->has_ci_high, e->ci_high), oom);
    jset(o, "p_value", jnum(ok && e->has_p_value, e->p_value), oom);
    jset(o, "p_adjusted", jnum(ok && e->has_p_adjusted, e->p_adjusted), oom);
    jset(o, "sequential", jbool(e->has_sequential, e->sequential), oom);
    jset(o, "family",
         !e->has_family ? json_null()
         : e->family == LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY ? json_string("confirmatory")
         : e->family == LIFT__TEST_FAMILY__FAMILY_EXPLORATORY  ? json_string("exploratory")
                                                               : json_string("none"),
         oom);
    if (e->has_unit && (e->unit < LIFT__UNIT__UNIT_UNSPECIFIED ||
                        e->unit > LIFT__UNIT__UNIT_NPS_POINTS)) {
        /* A unit a newer liftd added: shown as its number, never guessed. */
        char name[32];
        snprintf(name, sizeof name, "unknown unit %d", (int)e->unit);
        jset(o, "unit", json_string(name), oom);
    } else {
        jset(o, "unit", json_string(unit_name(est_unit(e, u))), oom);
    }
    return o;
}

static json_t *experiment_json(const Lift__Experiment *e, int *oom)
{
    if (e == NULL) return json_null();
    json_t *o = json_object();
    jset(o, "key", jstr(e->key), oom);
    jset(o, "name", jstr(e->name), oom);
    jset(o, "hypothesis", jstr(e->hypothesis), oom);
    jset(o, "owner", jstr(e->owner), oom);
    json_t *arms = json_array();
    for (size_t i = 0; arms && i < e->n_arms; i++) {
        const Lift__Arm *a = e->arms[i];
        json_t *ja = json_object();
        jset(ja, "name", jstr(a->name), oom);
        jset(ja, "weight", jnum(a->has_weight, a->weight), oom);
        jset(ja, "payload", jstr(a->payload), oom);
        if (json_array_append_new(arms, ja) != 0) *oom = 1;
    }
    jset(o, "arms", arms, oom);
    jset(o, "coverage", jnum(e->has_coverage, e->coverage), oom);
    jset(o, "seed", jstr(e->seed), oom);
    if (e->namespace_) {
        json_t *ns = json_object();
        jset(ns, "id", jstr(e->namespace_->id), oom);
        jset(ns, "lo", jnum(e->namespace_->has_lo, e->namespace_->lo), oom);
        jset(ns, "hi", jnum(e->namespace_->has_hi, e->namespace_->hi), oom);
        jset(o, "namespace", ns, oom);
    } else {
        jset(o, "namespace", json_null(), oom);
    }
    if (e->eligibility) {
        const Lift__Eligibility *el = e->eligibility;
        json_t *j = json_object(), *t = json_array(), *s = json_array(), *c = json_array();
        for (size_t i = 0; t && i < el->n_triggers; i++)
            json_array_append_new(t, json_string(lift_trigger_name(el->triggers[i])));
        for (size_t i = 0; s && i < el->n_stages; i++)
            json_array_append_new(s, json_string(lift_stage_name(el->stages[i])));
        for (size_t i = 0; c && i < el->n_channels; i++)
            json_array_append_new(c, json_string(lift_channel_name(el->channels[i])));
        jset(j, "triggers", t, oom);
        jset(j, "stages", s, oom);
        jset(j, "channels", c, oom);
        jset(o, "eligibility", j, oom);
    } else {
        jset(o, "eligibility", json_null(), oom);
    }
    jset(o, "start_ms", jint(e->has_start_ms, e->start_ms), oom);
    jset(o, "end_ms", jint(e->has_end_ms, e->end_ms), oom);
    if (e->analysis) {
        const Lift__Analysis *a = e->analysis;
        json_t *j = json_object();
        jset(j, "primary_metric",
             a->has_primary_metric ? json_string(lift_metric_name(a->primary_metric))
                                   : json_null(),
             oom);
        jset(j, "alpha", jnum(a->has_alpha, a->alpha), oom);
        jset(j, "sequential", jbool(a->has_sequential, a->sequential), oom);
        jset(j, "cuped", jbool(a->has_cuped, a->cuped), oom);
        jset(j, "revenue_cap_percentile",
             jnum(a->has_revenue_cap_percentile, a->revenue_cap_percentile), oom);
        jset(j, "retention_window_days",
             jint(a->has_retention_window_days, a->retention_window_days), oom);
        jset(j, "cost_per_attempt_minor",
             jint(a->has_cost_per_attempt_minor, a->cost_per_attempt_minor), oom);
        jset(j, "mde", jnum(a->has_mde, a->mde), oom);
        jset(o, "analysis", j, oom);
    } else {
        jset(o, "analysis", json_null(), oom);
    }
    jset(o, "status", e->has_status ? json_string(lift_status_name(e->status)) : json_null(), oom);
    jset(o, "created_ms", jint(e->has_created_ms, e->created_ms), oom);
    jset(o, "started_ms", jint(e->has_started_ms, e->started_ms), oom);
    jset(o, "updated_ms", jint(e->has_updated_ms, e->updated_ms), oom);
    jset(o, "exposures", juint(e->has_exposures, e->exposures), oom);
    jset(o, "checksum", jstr(e->checksum), oom);
    return o;
}

static json_t *retention_json(Lift__RetentionPoint *const *pts, size_t n, int *oom)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        const Lift__RetentionPoint *p = pts[i];
        json_t *o = json_object();
        int ok = p->has_ok && p->ok && p->has_survival && isfinite(p->survival);
        jset(o, "days", jint(p->has_days, p->days), oom);
        jset(o, "survival", jnum(ok, p->survival), oom);
        jset(o, "ci_low", jnum(ok && p->has_ci_low, p->ci_low), oom);
        jset(o, "ci_high", jnum(ok && p->has_ci_high, p->ci_high), oom);
        jset(o, "at_risk", juint(p->has_at_risk, p->at_risk), oom);
        jset(o, "ok", json_boolean(ok), oom);
        jset(o, "reason",
             p->reason ? json_string(p->reason)
                       : ok ? json_null() : json_string("not estimable (no reason given)"),
             oom);
        if (json_array_append_new(a, o) != 0) *oom = 1;
    }
    return a;
}

static json_t *comparison_json(const Lift__Comparison *c, int *oom)
{
    json_t *o = json_object();
    jset(o, "arm_index", jint(c->has_arm_index, c->arm_index), oom);
    jset(o, "arm_name", jstr(c->arm_name), oom);
    jset(o, "revenue_diff", est_json(c->revenue_diff, U_MONEY, oom), oom);
    jset(o, "relative_lift", est_json(c->relative_lift, U_FRAC, oom), oom);
    jset(o, "incremental_total", est_json(c->incremental_total, U_MONEY, oom), oom);
    jset(o, "holdout_cost", est_json(c->holdout_cost, U_MONEY, oom), oom);
    jset(o, "net_incremental", est_json(c->net_incremental, U_MONEY, oom), oom);
    jset(o, "conversion_diff", est_json(c->conversion_diff, U_PP, oom), oom);
    jset(o, "churn_diff", est_json(c->churn_diff, U_PP, oom), oom);
    if (c->funnel) {
        const Lift__Funnel *f = c->funnel;
        json_t *j = json_object();
        jset(j, "impression_rate", jnum(f->has_impression_rate, f->impression_rate), oom);
        jset(j, "click_through", jnum(f->has_click_through, f->click_through), oom);
        jset(j, "conversion_per_impression",
             jnum(f->has_conversion_per_impression, f->conversion_per_impression), oom);
        jset(j, "revenue_per_attempt", jnum(f->has_revenue_per_attempt, f->revenue_per_attempt),
             oom);
        jset(o, "funnel", j, oom);
    } else {
        jset(o, "funnel", json_null(), oom);
    }
    jset(o, "cace", est_json(c->cace, U_MONEY, oom), oom);
    jset(o, "cuped", jbool(c->has_cuped, c->cuped), oom);
    jset(o, "variance_reduction", jnum(c->has_variance_reduction, c->variance_reduction), oom);
    jset(o, "retention_treated", retention_json(c->retention_treated, c->n_retention_treated, oom),
         oom);
    jset(o, "retention_organic", retention_json(c->retention_organic, c->n_retention_organic, oom),
         oom);
    jset(o, "ctr_diff", est_json(c->ctr_diff, U_PP, oom), oom);
    jset(o, "revenue_diff_uncapped", est_json(c->revenue_diff_uncapped, U_MONEY, oom), oom);
    jset(o, "nps_diff", est_json(c->nps_diff, U_NPS, oom), oom);
    jset(o, "pre_period_diff", est_json(c->pre_period_diff, U_MONEY, oom), oom);
    jset(o, "revenue_diff_shrunk", est_json(c->revenue_diff_shrunk, U_MONEY, oom), oom);
    jset(o, "incremental_total_shrunk", est_json(c->incremental_total_shrunk, U_MONEY, oom), oom);
    jset(o, "cuped_note", jstr(c->cuped_note), oom);
    jset(o, "converted_treated", juint(c->has_converted_treated, c->converted_treated), oom);
    jset(o, "converted_holdout", juint(c->has_converted_holdout, c->converted_holdout), oom);
    return o;
}

static json_t *comparisons_json(Lift__Comparison *const *cs, size_t n, int *oom)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, comparison_json(cs[i], oom)) != 0) *oom = 1;
    return a;
}

static json_t *provenance_json(const Lift__Provenance *p, int *oom)
{
    if (p == NULL) return json_null();
    json_t *o = json_object();
    jset(o, "experiment", experiment_json(p->experiment, oom), oom);
    jset(o, "hash_version", jstr(p->hash_version), oom);
    jset(o, "from_ms", jint(p->has_from_ms, p->from_ms), oom);
    jset(o, "to_ms", jint(p->has_to_ms, p->to_ms), oom);
    jset(o, "generated_ms", jint(p->has_generated_ms, p->generated_ms), oom);
    jset(o, "exposures_read", juint(p->has_exposures_read, p->exposures_read), oom);
    jset(o, "events_read", juint(p->has_events_read, p->events_read), oom);
    jset(o, "currency", jstr(p->currency), oom);
    jset(o, "alpha", jnum(p->has_alpha, p->alpha), oom);
    jset(o, "sequential", jbool(p->has_sequential, p->sequential), oom);
    jset(o, "cuped", jbool(p->has_cuped, p->cuped), oom);
    jset(o, "revenue_cap", jnum(p->has_revenue_cap, p->revenue_cap), oom);
    jset(o, "revenue_cap_percentile", jnum(p->has_revenue_cap_percentile, p->revenue_cap_percentile),
         oom);
    jset(o, "n_star", jnum(p->has_n_star, p->n_star), oom);
    jset(o, "lift_version", jstr(p->lift_version), oom);
    jset(o, "cuped_applied", jbool(p->has_cuped_applied, p->cuped_applied), oom);
    jset(o, "cuped_note", jstr(p->cuped_note), oom);
    jset(o, "capped_customers", juint(p->has_capped_customers, p->capped_customers), oom);
    jset(o, "revenue_cap_rule", jstr(p->revenue_cap_rule), oom);
    jset(o, "revenue_cap_note", jstr(p->revenue_cap_note), oom);
    jset(o, "cost_per_attempt_minor", jint(p->has_cost_per_attempt_minor, p->cost_per_attempt_minor),
         oom);
    jset(o, "min_converters", juint(p->has_min_converters, p->min_converters), oom);
    jset(o, "lookback_days", juint(p->has_lookback_days, p->lookback_days), oom);
    return o;
}

static json_t *srm_json(const Lift__Srm *s, int *oom)
{
    if (s == NULL) return json_null();
    json_t *j = json_object(), *obs = json_array(), *exp = json_array();
    for (size_t i = 0; obs && i < s->n_observed; i++)
        json_array_append_new(obs, juint(1, s->observed[i]));
    for (size_t i = 0; exp && i < s->n_expected; i++)
        json_array_append_new(exp, jnum(1, s->expected[i]));
    jset(j, "chi2", jnum(s->has_chi2, s->chi2), oom);
    jset(j, "p_value", jnum(s->has_p_value, s->p_value), oom);
    jset(j, "mismatch", jbool(s->has_mismatch, s->mismatch), oom);
    jset(j, "skipped", jbool(s->has_skipped, s->skipped), oom);
    jset(j, "observed", obs, oom);
    jset(j, "expected", exp, oom);
    return j;
}

static json_t *health_json(const Lift__Health *h, int *oom)
{
    if (h == NULL) return json_null();
    json_t *o = json_object();
    jset(o, "srm", srm_json(h->srm, oom), oom);
    jset(o, "impression_rate", jnum(h->has_impression_rate, h->impression_rate), oom);
    jset(o, "low_impression_rate", jbool(h->has_low_impression_rate, h->low_impression_rate), oom);
    jset(o, "power_reached", jnum(h->has_power_reached, h->power_reached), oom);
    jset(o, "mde", jnum(h->has_mde, h->mde), oom);
    jset(o, "small_segments", jint(h->has_small_segments, h->small_segments), oom);
    jset(o, "mde_set", jbool(h->has_mde_set, h->mde_set), oom);
    jset(o, "outcome_events_before_exposure",
         juint(h->has_outcome_events_before_exposure, h->outcome_events_before_exposure), oom);
    jset(o, "outcome_events_in_lookback",
         juint(h->has_outcome_events_in_lookback, h->outcome_events_in_lookback), oom);
    jset(o, "outcome_events_after_window",
         juint(h->has_outcome_events_after_window, h->outcome_events_after_window), oom);
    jset(o, "outcome_events_hour_before_exposure",
         juint(h->has_outcome_events_hour_before_exposure, h->outcome_events_hour_before_exposure),
         oom);
    jset(o, "outcome_events_hour_after_exposure",
         juint(h->has_outcome_events_hour_after_exposure, h->outcome_events_hour_after_exposure),
         oom);
    jset(o, "impressions_other_arm", juint(h->has_impressions_other_arm, h->impressions_other_arm),
         oom);
    jset(o, "customers_other_arm", juint(h->has_customers_other_arm, h->customers_other_arm), oom);
    jset(o, "segment_srm_mismatches",
         juint(h->has_segment_srm_mismatches, h->segment_srm_mismatches), oom);
    json_t *w = json_array();
    for (size_t i = 0; w && i < h->n_warnings; i++)
        json_array_append_new(w, jstr(h->warnings[i]));
    jset(o, "warnings", w, oom);
    return o;
}

static json_t *arm_json(const Lift__ArmSummary *a, int *oom)
{
    json_t *o = json_object();
    jset(o, "arm_index", jint(a->has_arm_index, a->arm_index), oom);
    jset(o, "arm_name", jstr(a->arm_name), oom);
    jset(o, "exposed", juint(a->has_exposed, a->exposed), oom);
    jset(o, "impressions", juint(a->has_impressions, a->impressions), oom);
    jset(o, "clicks", juint(a->has_clicks, a->clicks), oom);
    jset(o, "impressed_customers", juint(a->has_impressed_customers, a->impressed_customers), oom);
    jset(o, "converted_customers", juint(a->has_converted_customers, a->converted_customers), oom);
    jset(o, "conversions", juint(a->has_conversions, a->conversions), oom);
    jset(o, "revenue_minor", jint(a->has_revenue_minor, a->revenue_minor), oom);
    jset(o, "refunds_minor", jint(a->has_refunds_minor, a->refunds_minor), oom);
    jset(o, "churned", juint(a->has_churned, a->churned), oom);
    jset(o, "nps_before", est_json(a->nps_before, U_NPS, oom), oom);
    jset(o, "nps_after", est_json(a->nps_after, U_NPS, oom), oom);
    jset(o, "nps_change", est_json(a->nps_change, U_NPS, oom), oom);
    jset(o, "revenue_per_customer", jnum(a->has_revenue_per_customer, a->revenue_per_customer),
         oom);
    jset(o, "conversion_rate", est_json(a->conversion_rate, U_FRAC, oom), oom);
    jset(o, "revenue_per_customer_uncapped",
         jnum(a->has_revenue_per_customer_uncapped, a->revenue_per_customer_uncapped), oom);
    jset(o, "capped_customers", juint(a->has_capped_customers, a->capped_customers), oom);
    jset(o, "nps_before_n", juint(a->has_nps_before_n, a->nps_before_n), oom);
    jset(o, "nps_after_n", juint(a->has_nps_after_n, a->nps_after_n), oom);
    jset(o, "nps_pairs", juint(a->has_nps_pairs, a->nps_pairs), oom);
    jset(o, "pre_revenue_per_customer",
         jnum(a->has_pre_revenue_per_customer, a->pre_revenue_per_customer), oom);
    return o;
}

json_t *render_json_value(const Lift__Report *r)
{
    int oom = 0;
    json_t *o = json_object();
    if (o == NULL) return NULL;
    const Lift__Experiment *e = r->provenance ? r->provenance->experiment : NULL;
    jset(o, "schema", json_string("lift.report/1"), &oom);
    jset(o, "experiment_key", jstr(e ? e->key : NULL), &oom);
    jset(o, "currency", *currency(r) ? json_string(currency(r)) : json_null(), &oom);
    /* Every *_minor value and money estimate is in 10^-digits of the currency (JPY 0, KWD 3). */
    int digits = lift_currency_digits(currency(r));
    jset(o, "currency_minor_units", digits >= 0 ? json_integer(digits) : json_null(), &oom);
    jset(o, "provenance", provenance_json(r->provenance, &oom), &oom);
    jset(o, "health", health_json(r->health, &oom), &oom);
    json_t *arms = json_array();
    for (size_t i = 0; arms && i < r->n_arms; i++)
        if (json_array_append_new(arms, arm_json(r->arms[i], &oom)) != 0) oom = 1;
    jset(o, "arms", arms, &oom);
    jset(o, "comparisons", comparisons_json(r->comparisons, r->n_comparisons, &oom), &oom);
    json_t *segs = json_array();
    for (size_t i = 0; segs && i < r->n_segments; i++) {
        const Lift__Segment *s = r->segments[i];
        json_t *j = json_object(), *ex = json_array();
        jset(j, "dimension",
             s->has_dimension ? json_string(dimension_name(s->dimension)) : json_null(), &oom);
        jset(j, "level", jstr(s->level), &oom);
        for (size_t k = 0; ex && k < s->n_exposed; k++)
            json_array_append_new(ex, juint(1, s->exposed[k]));
        jset(j, "exposed", ex, &oom);
        jset(j, "comparisons", comparisons_json(s->comparisons, s->n_comparisons, &oom), &oom);
        jset(j, "srm", srm_json(s->srm, &oom), &oom);
        if (json_array_append_new(segs, j) != 0) oom = 1;
    }
    jset(o, "segments", segs, &oom);
    json_t *weeks = json_array();
    for (size_t i = 0; weeks && i < r->n_weekly; i++) {
        const Lift__WeekPoint *w = r->weekly[i];
        json_t *j = json_object();
        jset(j, "week", jstr(w->week), &oom);
        jset(j, "end_ms", jint(w->has_end_ms, w->end_ms), &oom);
        jset(j, "exposed", juint(w->has_exposed, w->exposed), &oom);
        jset(j, "comparisons", comparisons_json(w->comparisons, w->n_comparisons, &oom), &oom);
        if (json_array_append_new(weeks, j) != 0) oom = 1;
    }
    jset(o, "weekly", weeks, &oom);
    json_t *het = json_array();
    for (size_t i = 0; het && i < r->n_heterogeneity; i++) {
        const Lift__Heterogeneity *h = r->heterogeneity[i];
        json_t *j = json_object();
        int ok = h->has_ok && h->ok;
        jset(j, "dimension",
             h->has_dimension ? json_string(dimension_name(h->dimension)) : json_null(), &oom);
        jset(j, "arm_index", jint(h->has_arm_index, h->arm_index), &oom);
        jset(j, "ok", json_boolean(ok), &oom);
        jset(j, "reason", jstr(h->reason), &oom);
        jset(j, "q", jnum(ok && h->has_q, h->q), &oom);
        jset(j, "df", jnum(ok && h->has_df, h->df), &oom);
        jset(j, "p_value", jnum(ok && h->has_p_value, h->p_value), &oom);
        jset(j, "i2", jnum(ok && h->has_i2, h->i2), &oom);
        jset(j, "tau2", jnum(ok && h->has_tau2, h->tau2), &oom);
        jset(j, "levels", juint(h->has_levels, h->levels), &oom);
        if (json_array_append_new(het, j) != 0) oom = 1;
    }
    jset(o, "heterogeneity", het, &oom);
    if (r->testing) {
        const Lift__Testing *t = r->testing;
        json_t *j = json_object();
        jset(j, "method",
             !t->has_method ? json_null()
             : t->method == LIFT__ADJUSTMENT__ADJUSTMENT_HOLM ? json_string("holm")
                                                             : json_string("bh"),
             &oom);
        jset(j, "primary_metric",
             t->has_primary_metric ? json_string(lift_metric_name(t->primary_metric))
                                   : json_null(),
             &oom);
        jset(j, "confirmatory_tests", juint(t->has_confirmatory_tests, t->confirmatory_tests),
             &oom);
        jset(j, "exploratory_tests", juint(t->has_exploratory_tests, t->exploratory_tests), &oom);
        jset(o, "testing", j, &oom);
    } else {
        jset(o, "testing", json_null(), &oom);
    }
    if (r->program) {
        const Lift__Program *p = r->program;
        json_t *j = json_object();
        jset(j, "holdout_key", jstr(p->holdout ? p->holdout->key : NULL), &oom);
        jset(j, "percent", jnum(p->holdout != NULL, p->holdout ? p->holdout->percent : 0), &oom);
        jset(j, "design", jstr(p->design), &oom);
        jset(j, "held_out", juint(p->has_held_out, p->held_out), &oom);
        jset(j, "measured", juint(p->has_measured, p->measured), &oom);
        jset(j, "treated_population", jnum(p->has_treated_population, p->treated_population),
             &oom);
        jset(j, "revenue_per_customer", est_json(p->revenue_per_customer, U_MONEY, &oom), &oom);
        jset(j, "incremental_total", est_json(p->incremental_total, U_MONEY, &oom), &oom);
        jset(j, "holdout_cost", est_json(p->holdout_cost, U_MONEY, &oom), &oom);
        json_t *l = json_array();
        for (size_t i = 0; l && i < p->n_linked; i++) {
            json_t *x = json_object();
            jset(x, "experiment_key", jstr(p->linked[i]->experiment_key), &oom);
            jset(x, "incremental_total", est_json(p->linked[i]->incremental_total, U_MONEY, &oom),
                 &oom);
            if (json_array_append_new(l, x) != 0) oom = 1;
        }
        jset(j, "linked", l, &oom);
        jset(j, "linked_sum", est_json(p->linked_sum, U_MONEY, &oom), &oom);
        jset(j, "naive_gap", est_json(p->naive_gap, U_MONEY, &oom), &oom);
        jset(o, "program", j, &oom);
    }
    if (oom) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int render_json(const Lift__Report *r, FILE *f)
{
    json_t *j = render_json_value(r);
    if (j == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int rc = json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    fputc('\n', f);
    return rc != 0 || ferror(f) ? -1 : 0;
}

/* ---- CSV ------------------------------------------------------------------------------------- */

void render_csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int render_csv_header(FILE *f, int with_key)
{
    if (with_key) fputs("experiment_key,", f);
    fputs("segment_dimension,segment_level,metric,arm_index,arm_name,estimate,ci_low,ci_high,"
          "p_value,p_adjusted,ok,reason,family\n",
          f);
    return ferror(f) ? -1 : 0;
}

static void csv_comparison(FILE *f, const Lift__Report *r, const char *key, const char *dim,
                           const char *level, const Lift__Comparison *c)
{
    static const struct {
        const char *name;
        size_t off;
    } metrics[] = {
        {"revenue_diff", offsetof(Lift__Comparison, revenue_diff)},
        {"relative_lift", offsetof(Lift__Comparison, relative_lift)},
        {"incremental_total", offsetof(Lift__Comparison, incremental_total)},
        {"holdout_cost", offsetof(Lift__Comparison, holdout_cost)},
        {"net_incremental", offsetof(Lift__Comparison, net_incremental)},
        {"conversion_diff", offsetof(Lift__Comparison, conversion_diff)},
        {"churn_diff", offsetof(Lift__Comparison, churn_diff)},
        {"cace", offsetof(Lift__Comparison, cace)},
        {"ctr_diff", offsetof(Lift__Comparison, ctr_diff)},
        {"revenue_diff_uncapped", offsetof(Lift__Comparison, revenue_diff_uncapped)},
        {"nps_diff", offsetof(Lift__Comparison, nps_diff)},
        {"pre_period_diff", offsetof(Lift__Comparison, pre_period_diff)},
        {"revenue_diff_shrunk", offsetof(Lift__Comparison, revenue_diff_shrunk)},
        {"incremental_total_shrunk", offsetof(Lift__Comparison, incremental_total_shrunk)},
    };
    char name[32], idx[16];
    const char *arm = cmp_label(r, c, name, sizeof name);
    if (c->has_arm_index)
        snprintf(idx, sizeof idx, "%d", c->arm_index);
    else
        idx[0] = '\0';
    for (size_t m = 0; m < sizeof metrics / sizeof metrics[0]; m++) {
        const Lift__Estimate *e = *(Lift__Estimate *const *)((const char *)c + metrics[m].off);
        if (e == NULL) continue;
        int ok = est_ok(e);
        char v[5][40];
        render_fmt_exact(v[0], sizeof v[0], ok ? e->estimate : NAN);
        render_fmt_exact(v[1], sizeof v[1], ok && e->has_ci_low ? e->ci_low : NAN);
        render_fmt_exact(v[2], sizeof v[2], ok && e->has_ci_high ? e->ci_high : NAN);
        render_fmt_exact(v[3], sizeof v[3], ok && e->has_p_value ? e->p_value : NAN);
        render_fmt_exact(v[4], sizeof v[4], ok && e->has_p_adjusted ? e->p_adjusted : NAN);
        if (key) {
            render_csv_field(f, key);
            fputc(',', f);
        }
        render_csv_field(f, dim);
        fputc(',', f);
        render_csv_field(f, level);
        fprintf(f, ",%s,%s,", metrics[m].name, idx);
        render_csv_field(f, arm);
        fprintf(f, ",%s,%s,%s,%s,%s,%s,", v[0], v[1], v[2], v[3], v[4], ok ? "true" : "false");
        render_csv_field(f, ok ? (e->reason ? e->reason : "") : est_reason(e));
        fprintf(f, ",%s\n",
                !e->has_family                                       ? ""
                : e->family == LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY ? "confirmatory"
                : e->family == LIFT__TEST_FAMILY__FAMILY_EXPLORATORY  ? "exploratory"
                                                                     : "");
    }
}

/* One program-level estimate as a CSV row: dimension "program", level "all". */
static void csv_program(FILE *f, const char *key, const char *metric, const Lift__Estimate *e)
{
    if (e == NULL) return;
    int ok = est_ok(e);
    char v[3][40];
    render_fmt_exact(v[0], sizeof v[0], ok ? e->estimate : NAN);
    render_fmt_exact(v[1], sizeof v[1], ok && e->has_ci_low ? e->ci_low : NAN);
    render_fmt_exact(v[2], sizeof v[2], ok && e->has_ci_high ? e->ci_high : NAN);
    if (key) {
        render_csv_field(f, key);
        fputc(',', f);
    }
    fprintf(f, "program,all,%s,1,measured,%s,%s,%s,,,%s,", metric, v[0], v[1], v[2],
            ok ? "true" : "false");
    render_csv_field(f, ok ? "" : est_reason(e));
    fputs(",\n", f);
}

int render_csv_rows(const Lift__Report *r, FILE *f, const char *experiment_key_col)
{
    if (r->program) {
        const Lift__Program *p = r->program;
        csv_program(f, experiment_key_col, "program_revenue_per_customer",
                    p->revenue_per_customer);
        csv_program(f, experiment_key_col, "program_incremental_total", p->incremental_total);
        csv_program(f, experiment_key_col, "program_holdout_cost", p->holdout_cost);
        csv_program(f, experiment_key_col, "linked_sum", p->linked_sum);
        csv_program(f, experiment_key_col, "naive_gap", p->naive_gap);
        for (size_t i = 0; i < p->n_linked; i++) {
            char m[128];
            snprintf(m, sizeof m, "linked_incremental_total:%.64s",
                     p->linked[i]->experiment_key ? p->linked[i]->experiment_key : "?");
            csv_program(f, experiment_key_col, m, p->linked[i]->incremental_total);
        }
    }
    for (size_t i = 0; i < r->n_comparisons; i++)
        csv_comparison(f, r, experiment_key_col, "overall", "all", r->comparisons[i]);
    for (size_t i = 0; i < r->n_segments; i++) {
        const Lift__Segment *s = r->segments[i];
        for (size_t j = 0; j < s->n_comparisons; j++)
            csv_comparison(f, r, experiment_key_col, dimension_name(s->dimension),
                           s->level ? s->level : "", s->comparisons[j]);
    }
    /* Heterogeneity per dimension and arm: level "(all levels)", metric "heterogeneity_q"
     * (estimate = Cochran's Q, p_value its chi-square p) and "heterogeneity_i2" (I^2). */
    for (size_t i = 0; i < r->n_heterogeneity; i++) {
        const Lift__Heterogeneity *h = r->heterogeneity[i];
        int ok = h->has_ok && h->ok && isfinite(h->q) && isfinite(h->p_value) && isfinite(h->i2);
        char name[32], idx[16], q[40], p[40], i2[40];
        const char *arm = arm_label(r, h->has_arm_index ? h->arm_index : -1, name, sizeof name);
        snprintf(idx, sizeof idx, "%d", h->has_arm_index ? h->arm_index : -1);
        render_fmt_exact(q, sizeof q, ok ? h->q : NAN);
        render_fmt_exact(p, sizeof p, ok ? h->p_value : NAN);
        render_fmt_exact(i2, sizeof i2, ok ? h->i2 : NAN);
        for (int k = 0; k < 2; k++) {
            if (experiment_key_col) {
                render_csv_field(f, experiment_key_col);
                fputc(',', f);
            }
            fprintf(f, "%s,(all levels),%s,%s,", dimension_name(h->dimension),
                    k ? "heterogeneity_i2" : "heterogeneity_q", idx);
            render_csv_field(f, arm);
            fprintf(f, ",%s,,,%s,,%s,", k ? i2 : q, k ? "" : p, ok ? "true" : "false");
            render_csv_field(f, ok ? "" : h->reason && *h->reason ? h->reason : "not estimable");
            fputs(",\n", f);
        }
    }
    /* The weekly series: dimension "week", level the ISO week, cumulative to its end. */
    for (size_t i = 0; i < r->n_weekly; i++) {
        const Lift__WeekPoint *w = r->weekly[i];
        for (size_t j = 0; j < w->n_comparisons; j++)
            csv_comparison(f, r, experiment_key_col, "week", w->week ? w->week : "",
                           w->comparisons[j]);
    }
    return ferror(f) ? -1 : 0;
}

int render_csv(const Lift__Report *r, FILE *f)
{
    if (render_csv_header(f, 0) != 0) return -1;
    return render_csv_rows(r, f, NULL);
}

/* ---- HTML and SVG ---------------------------------------------------------------------------- */

#define SVG_W 1060 /* viewBox width of every chart; CSS scales it to the page */

static void html_esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char *arm_color(int idx)
{
    static const char *const palette[] = {"#2563eb", "#ea580c", "#059669",
                                          "#9333ea", "#db2777", "#0891b2"};
    if (idx <= 0) return "#7c8594";
    return palette[(size_t)(idx - 1) % (sizeof palette / sizeof palette[0])];
}

/* "Nice" axis ticks over [lo, hi]: a step of 1, 2 or 5 x 10^k giving about `want` ticks;
 * widens lo/hi to whole steps. */
static double nice_step(double *lo, double *hi, int want)
{
    if (!(*hi > *lo)) {
        double m = fabs(*lo) > 0 ? fabs(*lo) : 1.0;
        *lo -= m;
        *hi += m;
    }
    double raw = (*hi - *lo) / want, mag = pow(10, floor(log10(raw))), step;
    double norm = raw / mag;
    step = norm <= 1 ? mag : norm <= 2 ? 2 * mag : norm <= 5 ? 5 * mag : 10 * mag;
    *lo = floor(*lo / step) * step;
    *hi = ceil(*hi / step) * step;
    return step;
}

/* Axis label for an amount in minor units of a currency with `digits` decimals, in major units:
 * "-1.5k", "12k", "2.5M", "40", "0.50" (2 decimals), never a fraction of a yen. */
static void fmt_money_axis(char *b, size_t n, double minor, double step_minor, int digits)
{
    double unit = pow(10, digits), v = minor / unit, a = fabs(v);
    if (fabs(v) < 1e-9 * (step_minor > 0 ? step_minor : 1)) v = a = 0;
    if (a >= 1e6)
        snprintf(b, n, "%.*fM", fmod(v, 1e6) == 0 ? 0 : 1, v / 1e6);
    else if (a >= 1e4)
        snprintf(b, n, "%.*fk", fmod(v, 1e3) == 0 ? 0 : 1, v / 1e3);
    else if (step_minor / unit < 1)
        snprintf(b, n, "%.*f", digits, v);
    else
        snprintf(b, n, "%.0f", v);
}

/* x position of value v on [lo, hi] mapped to [x0, x1]. */
static double sx(double v, double lo, double hi, double x0, double x1)
{
    return x0 + (v - lo) / (hi - lo) * (x1 - x0);
}

typedef struct {
    const char *label;           /* row label */
    const char *group;           /* group heading before this row, or NULL */
    const Lift__Comparison *cmp; /* the comparison plotted */
    int overall;                 /* drawn as a diamond */
} frow_t;

static void svg_forest(FILE *f, doc_t *d)
{
    const Lift__Report *r = d->r;
    size_t cap = r->n_comparisons + 8, n = 0;
    for (size_t i = 0; i < r->n_segments; i++) cap += r->segments[i]->n_comparisons;
    frow_t *rows = calloc(cap, sizeof *rows);
    if (rows == NULL) {
        d->oom = 1;
        return;
    }
    for (size_t i = 0; i < r->n_comparisons; i++)
        rows[n++] = (frow_t){"all customers", i == 0 ? "Overall" : NULL, r->comparisons[i], 1};
    int dims[8];
    size_t nd = dimensions(r, dims, 8);
    char gl[8][16][96]; /* group headings, alive for this call */
    for (size_t k = 0; k < nd; k++) {
        int arms[16];
        size_t na = segment_arms(r, dims[k], arms, 16);
        for (size_t ai = 0; ai < na; ai++) {
            size_t m = 0;
            segrow_t *sr = segment_rows(r, dims[k], arms[ai], &m);
            char name[32];
            snprintf(gl[k][ai], sizeof gl[k][ai], "By %s: %s", dimension_name(dims[k]),
                     arm_label(r, arms[ai], name, sizeof name));
            for (size_t i = 0; i < m && n < cap; i++)
                rows[n++] = (frow_t){sr[i].seg->level && *sr[i].seg->level ? sr[i].seg->level
                                                                           : "(none)",
                                     i == 0 ? gl[k][ai] : NULL, sr[i].cmp, 0};
            free(sr);
        }
    }
    double lo = 0, hi = 0;
    size_t maxlab = 0;
    for (size_t i = 0; i < n; i++) {
        char name[32];
        size_t l = render_u8len(rows[i].label) +
                   render_u8len(cmp_label(r, rows[i].cmp, name, sizeof name)) + 3;
        if (l > maxlab) maxlab = l;
        for (int k = 0; k < 2; k++) {
            const Lift__Estimate *e =
                k ? rows[i].cmp->incremental_total_shrunk : rows[i].cmp->incremental_total;
            if (!est_ok(e) || (!k && !est_ok(rows[i].cmp->revenue_diff))) continue;
            double a = ci_ok(e) ? e->ci_low : e->estimate, b = ci_ok(e) ? e->ci_high : e->estimate;
            if (a < lo) lo = a;
            if (b > hi) hi = b;
        }
    }
    double step = nice_step(&lo, &hi, 6);
    /* the label column is as wide as the longest "level · arm" (names are never cut) */
    double x0 = 30 + 7.4 * (double)maxlab;
    if (x0 < 300) x0 = 300;
    if (x0 > 560) x0 = 560;
    const double x1 = x0 + 460 > SVG_W - 290 ? SVG_W - 290 : x0 + 460, rh = 24, top = 34;
    size_t ngroups = 0;
    for (size_t i = 0; i < n; i++) ngroups += rows[i].group != NULL;
    double h = top + (double)(n + ngroups) * rh + 56;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
            "aria-label=\"Forest plot of incremental revenue per segment\">\n",
            SVG_W, h);
    /* the axis title goes under the axis: above the plot it would run into the value column */
    fprintf(f, "<text x=\"%d\" y=\"18\" class=\"axis-title\">estimate (interval)</text>\n",
            (int)x1 + 20);
    double y = top, ybottom = top + (double)(n + ngroups) * rh;
    /* grid and ticks */
    for (double t = lo; t <= hi + step / 2; t += step) {
        double x = sx(t, lo, hi, x0, x1);
        char lab[32];
        fmt_money_axis(lab, sizeof lab, t, step, d->digits);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" class=\"grid\"/>\n", x,
                top, x, ybottom);
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"tick\" text-anchor=\"middle\">%s</text>\n",
                x, ybottom + 16, lab);
    }
    fprintf(f,
            "<text x=\"%.0f\" y=\"%.0f\" class=\"axis-title\" text-anchor=\"middle\">incremental "
            "revenue, %s (■ estimate with its %s; ○ shrunken)</text>\n",
            (x0 + x1) / 2, ybottom + 38, *d->cur ? d->cur : "minor units", d->ci);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].group) {
            fprintf(f, "<rect x=\"0\" y=\"%.0f\" width=\"%d\" height=\"%.0f\" class=\"band\"/>\n",
                    y, SVG_W, rh);
            fprintf(f, "<text x=\"8\" y=\"%.0f\" class=\"group\">", y + rh / 2 + 5);
            html_esc(f, rows[i].group);
            fputs("</text>\n", f);
            y += rh;
        }
        const Lift__Comparison *c = rows[i].cmp;
        const Lift__Estimate *e = c->incremental_total;
        char name[32], v[96], ci[200];
        const char *arm = cmp_label(r, c, name, sizeof name);
        int ai = c->has_arm_index ? c->arm_index : 1;
        double cy = y + rh / 2;
        fputs("<g>", f);
        fputs("<title>", f);
        html_esc(f, rows[i].label);
        fputs(" · ", f);
        html_esc(f, arm);
        fputs("</title>", f);
        fprintf(f, "<text x=\"20\" y=\"%.1f\" class=\"label\">", cy + 4);
        html_esc(f, rows[i].label);
        fprintf(f, "<tspan class=\"arm\" fill=\"%s\"> · ", arm_color(ai));
        html_esc(f, arm);
        fputs("</tspan></text>", f);
        if (!rows[i].overall && !est_ok(c->revenue_diff)) e = c->revenue_diff; /* its reason */
        if (est_ok(e)) {
            double xe = sx(e->estimate, lo, hi, x0, x1);
            const Lift__Estimate *sh = c->incremental_total_shrunk;
            if (est_ok(sh)) /* the shrunken estimate: a hollow circle on its own thin interval */
                fprintf(f,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                        "stroke-width=\"1\" stroke-dasharray=\"3 2\"/>"
                        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#fff\" stroke=\"%s\" "
                        "stroke-width=\"2\"><title>shrunken</title></circle>",
                        sx(ci_ok(sh) ? sh->ci_low : sh->estimate, lo, hi, x0, x1), cy + 7,
                        sx(ci_ok(sh) ? sh->ci_high : sh->estimate, lo, hi, x0, x1), cy + 7,
                        arm_color(ai), sx(sh->estimate, lo, hi, x0, x1), cy + 7, arm_color(ai));
            if (ci_ok(e)) {
                double xa = sx(e->ci_low, lo, hi, x0, x1), xb = sx(e->ci_high, lo, hi, x0, x1);
                fprintf(f,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                        "stroke-width=\"2\"/>",
                        xa, cy, xb, cy, arm_color(ai));
                fprintf(f,
                        "<path d=\"M%.1f %.1fv10M%.1f %.1fv10\" stroke=\"%s\" stroke-width=\"2\"/>",
                        xa, cy - 5, xb, cy - 5, arm_color(ai));
            }
            if (rows[i].overall)
                fprintf(f, "<path d=\"M%.1f %.1fl7 7l-7 7l-7 -7z\" fill=\"%s\"/>", xe, cy - 7,
                        arm_color(ai));
            else
                fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\" fill=\"%s\"/>",
                        xe - 4.5, cy - 4.5, arm_color(ai));
            fmt_amount(v, sizeof v, e->estimate, d->digits, 0);
            cell_ci(d, ci, sizeof ci, e, U_MONEY);
            fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"value\">%s", (int)x1 + 20, cy + 4, v);
            if (*ci) {
                fputs(" <tspan class=\"muted\">(", f);
                html_esc(f, ci);
                fputs(")</tspan>", f);
            }
            fputs("</text>", f);
        } else {
            char ne[48];
            doc_ne(d, ne, sizeof ne, est_reason(e));
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"muted\">", x0 + 6, cy + 4);
            html_esc(f, ne);
            fputs(" not estimable</text>", f);
            fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"value muted\">", (int)x1 + 20, cy + 4);
            html_esc(f, ne);
            fputs("</text>", f);
        }
        fputs("</g>\n", f);
        y += rh;
    }
    double xz = sx(0, lo, hi, x0, x1);
    fprintf(f,
            "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" class=\"zero\"/>\n"
            "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" class=\"axis\"/>\n</svg>\n",
            xz, top - 4, xz, ybottom, x0, ybottom, x1, ybottom);
    free(rows);
}

/* The weekly series' estimate plotted: relative lift, or incremental total (inc). */
static const Lift__Estimate *week_est(const Lift__Comparison *c, int inc)
{
    return inc ? c->incremental_total : c->relative_lift;
}

static void week_tick(char *b, size_t n, double v, double step, int inc, const doc_t *d)
{
    if (inc)
        fmt_money_axis(b, n, v, step, d->digits);
    else
        render_fmt_pct(b, n, v, v > 0, "%");
}

static void svg_weekly(FILE *f, doc_t *d, int inc)
{
    const Lift__Report *r = d->r;
    size_t n = r->n_weekly;
    /* L leaves room for the widest tick label (right-aligned at L - 8) and, left of it, the
     * rotated axis title, so they never overlap. */
    const double L = 104, R = SVG_W - 190, T = 20, H = 330, B = H - 56;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < r->weekly[i]->n_comparisons; j++) {
            const Lift__Estimate *e = week_est(r->weekly[i]->comparisons[j], inc);
            if (!est_ok(e)) continue;
            double a = ci_ok(e) ? e->ci_low : e->estimate, b = ci_ok(e) ? e->ci_high : e->estimate;
            if (a < lo) lo = a;
            if (b > hi) hi = b;
        }
    double step = nice_step(&lo, &hi, 5);
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
            "aria-label=\"Cumulative relative lift by week with its interval band\">\n",
            SVG_W, H);
#define WX(i) (n == 1 ? (L + R) / 2 : L + 20 + (double)(i) * (R - L - 40) / (double)(n - 1))
#define WY(v) (B - ((v) - lo) / (hi - lo) * (B - T))
    for (double t = lo; t <= hi + step / 2; t += step) {
        char lab[32];
        week_tick(lab, sizeof lab, t, step, inc, d);
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" class=\"grid\"/>\n", L,
                WY(t), R, WY(t));
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>\n",
                L - 8, WY(t) + 4, lab);
    }
    if (inc)
        fprintf(f,
                "<text transform=\"translate(16 %.0f) rotate(-90)\" class=\"axis-title\" "
                "text-anchor=\"middle\">cumulative incremental revenue, %s</text>\n",
                (T + B) / 2, *d->cur ? d->cur : "amount");
    else
        fprintf(f,
                "<text transform=\"translate(16 %.0f) rotate(-90)\" class=\"axis-title\" "
                "text-anchor=\"middle\">cumulative lift in revenue per customer</text>\n",
                (T + B) / 2);
    size_t every = n > 0 ? (size_t)ceil((double)n * 70.0 / (R - L)) : 1;
    if (every < 1) every = 1;
    for (size_t i = 0; i < n; i++) {
        if (i % every && i + 1 != n) continue;
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"tick\" text-anchor=\"middle\">", WX(i),
                B + 18);
        html_esc(f, r->weekly[i]->week ? r->weekly[i]->week : "?");
        fputs("</text>\n", f);
    }
    fprintf(f,
            "<text x=\"%.0f\" y=\"%.0f\" class=\"axis-title\" text-anchor=\"middle\">ISO week "
            "(cumulative to its end)</text>\n",
            (L + R) / 2, B + 44);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" class=\"zero\"/>\n", L,
            WY(0), R, WY(0));
    /* one series per treatment arm, in the order of the top-level comparisons */
    int arms[16];
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < r->weekly[i]->n_comparisons; j++) {
            const Lift__Comparison *c = r->weekly[i]->comparisons[j];
            int a = c->has_arm_index ? c->arm_index : (int)j + 1, seen = 0;
            for (size_t k = 0; k < na; k++) seen |= arms[k] == a;
            if (!seen && na < 16) arms[na++] = a;
        }
    for (size_t k = 0; k < na; k++) {
        const char *col = arm_color(arms[k]);
        /* Each run of consecutive estimable weeks is one band and one line. */
        size_t i = 0;
        while (i < n) {
            const Lift__Estimate *pts[512];
            size_t idx[512], m = 0;
            for (; i < n && m < 512; i++) {
                const Lift__Estimate *e = NULL;
                for (size_t j = 0; j < r->weekly[i]->n_comparisons; j++) {
                    const Lift__Comparison *c = r->weekly[i]->comparisons[j];
                    if ((c->has_arm_index ? c->arm_index : (int)j + 1) == arms[k])
                        e = week_est(c, inc);
                }
                if (!est_ok(e)) {
                    i++;
                    break;
                }
                pts[m] = e;
                idx[m++] = i;
            }
            if (m == 0) continue;
            int band = 1;
            for (size_t q = 0; q < m; q++) band &= ci_ok(pts[q]);
            if (band) {
                fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.15\" d=\"", col);
                for (size_t q = 0; q < m; q++)
                    fprintf(f, "%c%.1f %.1f", q ? 'L' : 'M', WX(idx[q]) - (m == 1 ? 6 : 0),
                            WY(pts[q]->ci_high));
                if (m == 1) fprintf(f, "L%.1f %.1f", WX(idx[0]) + 6, WY(pts[0]->ci_high));
                if (m == 1) fprintf(f, "L%.1f %.1f", WX(idx[0]) + 6, WY(pts[0]->ci_low));
                for (size_t q = m; q-- > 0;)
                    fprintf(f, "L%.1f %.1f", WX(idx[q]) - (m == 1 ? 6 : 0), WY(pts[q]->ci_low));
                fputs("Z\"/>\n", f);
            }
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"", col);
            for (size_t q = 0; q < m; q++)
                fprintf(f, "%s%.1f,%.1f", q ? " " : "", WX(idx[q]), WY(pts[q]->estimate));
            fputs("\"/>\n", f);
            for (size_t q = 0; q < m; q++) {
                char v[48], ci[200];
                if (inc)
                    fmt_amount(v, sizeof v, pts[q]->estimate, d->digits, 0);
                else
                    render_fmt_pct(v, sizeof v, pts[q]->estimate, 1, "%");
                cell_ci(d, ci, sizeof ci, pts[q], inc ? U_MONEY : U_FRAC);
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>", WX(idx[q]),
                        WY(pts[q]->estimate), col);
                html_esc(f, r->weekly[idx[q]]->week);
                fprintf(f, ": %s (", v);
                html_esc(f, ci);
                fputs(")</title></circle>\n", f);
            }
        }
        char name[32];
        double ly = T + 10 + (double)k * 22;
        fprintf(f,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"14\" fill=\"%s\" "
                "fill-opacity=\"0.35\" stroke=\"%s\"/>"
                "<text x=\"%.0f\" y=\"%.0f\" class=\"label\">",
                R + 24, ly - 11, col, col, R + 46, ly);
        html_esc(f, arm_label(r, arms[k], name, sizeof name));
        fputs("</text>\n", f);
    }
    fprintf(f,
            "<text x=\"%.0f\" y=\"%.0f\" class=\"muted\">band: %s</text>\n"
            "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" class=\"axis\"/>\n</svg>\n",
            R + 24, T + 14 + (double)na * 22, d->ci, L, B, R, B);
#undef WX
#undef WY
}

static void svg_funnel(FILE *f, doc_t *d)
{
    const Lift__Report *r = d->r;
    static const char *const steps[] = {"exposed", "saw the offer", "clicks", "converted"};
    const double x0 = 200, x1 = 760, bh = 18, gap = 6, ghead = 30;
    double h = 16 + (double)r->n_arms * (ghead + 4 * (bh + gap) + 12);
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
            "aria-label=\"Funnel per arm: exposed, impressed, clicked, converted\">\n",
            SVG_W, h);
    double y = 10;
    for (size_t i = 0; i < r->n_arms; i++) {
        const Lift__ArmSummary *a = r->arms[i];
        int ai = a->has_arm_index ? a->arm_index : (int)i;
        char name[32];
        fprintf(f, "<text x=\"8\" y=\"%.0f\" class=\"group\">", y + 18);
        html_esc(f, arm_label(r, ai, name, sizeof name));
        fprintf(f, "%s</text>\n",
                ai == 0 && !strcasestr(arm_label(r, ai, name, sizeof name), "holdout")
                    ? " (holdout)"
                    : "");
        y += ghead;
        uint64_t v[4] = {a->exposed, a->impressed_customers, a->clicks, a->converted_customers};
        for (int s = 0; s < 4; s++) {
            double share = a->exposed ? (double)v[s] / (double)a->exposed : 0;
            double w = (x1 - x0) * (share > 1 ? 1 : share);
            char cnt[32], pct[32];
            render_fmt_count(cnt, sizeof cnt, v[s]);
            render_fmt_pct(pct, sizeof pct, a->exposed ? share : NAN, 0, "%");
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"label\" text-anchor=\"end\">%s</text>",
                    x0 - 10, y + bh - 4, steps[s]);
            fprintf(f, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" class=\"track\"/>",
                    x0, y, x1 - x0, bh);
            fprintf(f,
                    "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"/>",
                    x0, y, w, bh, arm_color(ai));
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"value\">%s", x1 + 12, y + bh - 4, cnt);
            /* the rates the tables print, with the tables' denominators */
            if (s == 1 || s == 3)
                fprintf(f, " <tspan class=\"muted\">(%s of exposed: %s)</tspan>",
                        a->exposed ? pct : "n/e", s == 1 ? "impression rate" : "conversion rate");
            else if (s == 2) {
                char ctr[32];
                render_fmt_pct(ctr, sizeof ctr,
                               a->impressions ? (double)a->clicks / (double)a->impressions : NAN,
                               0, "%");
                if (a->impressions)
                    fprintf(f, " <tspan class=\"muted\">(click-through %s of impressions)</tspan>",
                            ctr);
                else
                    fputs(" <tspan class=\"muted\">(no impressions)</tspan>", f);
            }
            fputs("</text>\n", f);
            y += bh + gap;
        }
        y += 12;
    }
    fputs("</svg>\n", f);
}

static const char *const html_css =
    ":root{--fg:#1f2933;--muted:#616e7c;--line:#d9dee5;--bg:#ffffff;--warn:#fff7e6;"
    "--warnb:#f59e0b;--crit:#fdecec;--critb:#dc2626;--good:#047857;--bad:#b91c1c}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:#f4f6f8;color:var(--fg);font:15px/1.5 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\n"
    "main{max-width:1260px;margin:0 auto;padding:24px}\n"
    "section.report{background:var(--bg);border:1px solid var(--line);border-radius:8px;"
    "padding:24px 28px;margin-bottom:32px}\n"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;padding-bottom:4px;"
    "border-bottom:1px solid var(--line)}h3{font-size:16px;margin:20px 0 6px}\n"
    "p.sub{color:var(--muted);margin:0 0 16px}p.note{color:var(--muted);font-size:13px;"
    "margin:6px 0}p.fn{color:var(--muted);font-size:13px;margin:2px 0}\n"
    "p.nodata{font-size:17px;font-weight:600;padding:16px;background:#eef2f7;border-radius:6px}\n"
    ".warnings{background:var(--warn);border:1px solid var(--warnb);border-left:6px solid "
    "var(--warnb);border-radius:6px;padding:10px 16px;margin:16px 0}\n"
    ".warnings.crit{background:var(--crit);border-color:var(--critb)}\n"
    ".warnings strong{display:block;margin-bottom:4px}.warnings ul{margin:0;padding-left:20px}\n"
    ".warnings li.crit{color:var(--bad);font-weight:600}\n"
    ".headline{border:1px solid var(--line);border-left:6px solid #94a3b8;border-radius:6px;"
    "padding:10px 16px;margin:10px 0}\n"
    ".headline.good{border-left-color:var(--good)}.headline.bad{border-left-color:var(--bad)}\n"
    ".headline .lead{font-size:18px;font-weight:650}.headline .detail{color:var(--muted)}\n"
    "table{border-collapse:collapse;margin:8px 0 4px;font-size:14px;"
    "font-variant-numeric:tabular-nums}\n"
    "th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;"
    "vertical-align:top}\n"
    "td:first-child{overflow-wrap:break-word;max-width:22em}\n"
    "table.wide{font-size:13px}table.wide th,table.wide td{padding:3px 6px}\n"
    "div.tw{max-width:100%;overflow-x:auto}\n"
    "th{background:#f1f4f8;font-weight:600;white-space:nowrap}td.num,th.num{text-align:right;"
    "white-space:nowrap}\n"
    "tr.good td{color:var(--good)}tr.bad td{color:var(--bad)}\n"
    "figure{margin:8px 0 12px}figure svg{width:100%;height:auto;display:block}\n"
    "svg text{font-family:inherit;font-size:13px;fill:var(--fg)}\n"
    "svg .tick{font-size:12px;fill:var(--muted)}svg .axis-title{font-size:12px;fill:var(--muted)}\n"
    "svg .group{font-weight:600}svg .arm{font-size:12px}svg .muted{fill:var(--muted)}\n"
    "svg .grid{stroke:#e6e9ee;stroke-width:1}svg .axis{stroke:#9aa5b1;stroke-width:1}\n"
    "svg .zero{stroke:#334155;stroke-width:1.5;stroke-dasharray:5 4}\n"
    "svg .band{fill:#f5f7fa}svg .track{fill:#eef1f5}\n"
    "footer.provenance{margin-top:32px;padding-top:8px;border-top:2px solid var(--line);"
    "color:var(--muted);font-size:13px}\n"
    "footer.provenance table{font-size:13px}footer.provenance h2{border:0;margin-top:4px;"
    "font-size:16px}\n";

int render_html_begin(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    html_esc(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", html_css);
    return ferror(f) ? -1 : 0;
}

int render_html_end(FILE *f)
{
    fputs("</main>\n</body>\n</html>\n", f);
    return ferror(f) ? -1 : 0;
}

static void tab_print_html(FILE *f, const tab_t *t)
{
    fputs(t->ncols > 7 ? "<div class=\"tw\"><table class=\"wide\">\n<thead><tr>"
                       : "<div class=\"tw\"><table>\n<thead><tr>",
          f);
    for (int c = 0; c < t->ncols; c++) {
        fputs(t->right[c] ? "<th class=\"num\">" : "<th>", f);
        html_esc(f, t->hdr[c]);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t r = 0; r < t->nrows; r++) {
        fputs(t->tone[r] > 0 ? "<tr class=\"good\">" : t->tone[r] < 0 ? "<tr class=\"bad\">" : "<tr>",
              f);
        for (int c = 0; c < t->ncols; c++) {
            fputs(t->right[c] ? "<td class=\"num\">" : "<td>", f);
            html_esc(f, t->cells[r * (size_t)t->ncols + (size_t)c]);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
}

int render_html_section(const Lift__Report *r, FILE *f)
{
    doc_t d;
    if (build_doc(&d, r) != 0)
        return -1;
    int footer = 0;
    fputs("<section class=\"report\">\n", f);
    for (size_t i = 0; i < d.n; i++) {
        const block_t *b = &d.b[i];
        switch (b->type) {
        case B_TITLE:
            fputs("<h1>", f);
            html_esc(f, b->text);
            fputs("</h1>\n", f);
            break;
        case B_SUB:
            fputs("<p class=\"sub\">", f);
            html_esc(f, b->text);
            fputs("</p>\n", f);
            break;
        case B_H2:
            if (b->level == 1) break; /* the warnings box has its own title */
            if (b->level == 2 && !footer) {
                fputs("<footer class=\"provenance\">\n", f);
                footer = 1;
            }
            fputs("<h2>", f);
            html_esc(f, b->text);
            fputs("</h2>\n", f);
            break;
        case B_H3:
            fputs("<h3>", f);
            html_esc(f, b->text);
            fputs("</h3>\n", f);
            break;
        case B_PARA:
        case B_NOTE:
            fputs(b->type == B_PARA ? "<p>" : b->level ? "<p class=\"fn\">" : "<p class=\"note\">",
                  f);
            html_esc(f, b->text);
            fputs("</p>\n", f);
            break;
        case B_NODATA:
            fputs("<p class=\"nodata\">", f);
            html_esc(f, b->text);
            fputs("</p>\n", f);
            break;
        case B_WARN: {
            size_t j = i;
            int crit = 0;
            for (; j < d.n && d.b[j].type == B_WARN; j++) crit |= d.b[j].level >= 2;
            fprintf(f, "<div class=\"warnings%s\" role=\"alert\"><strong>Warnings</strong><ul>\n",
                    crit ? " crit" : "");
            for (; i < j; i++) {
                fputs(d.b[i].level >= 2 ? "<li class=\"crit\">" : "<li>", f);
                html_esc(f, d.b[i].text);
                fputs("</li>\n", f);
            }
            fputs("</ul></div>\n", f);
            i--;
            break;
        }
        case B_HEADLINE:
            fprintf(f, "<div class=\"headline%s\"><div class=\"lead\">",
                    b->level > 0 ? " good" : b->level < 0 ? " bad" : "");
            html_esc(f, b->text);
            fputs("</div><div class=\"detail\">", f);
            html_esc(f, b->text2);
            fputs("</div></div>\n", f);
            break;
        case B_TABLE: tab_print_html(f, b->tab); break;
        case B_CHART:
            fputs("<figure>\n", f);
            if (b->level == CHART_FOREST)
                svg_forest(f, &d);
            else if (b->level == CHART_WEEKLY)
                svg_weekly(f, &d, 0);
            else if (b->level == CHART_WEEKLY_INC)
                svg_weekly(f, &d, 1);
            else
                svg_funnel(f, &d);
            fputs("</figure>\n", f);
            break;
        }
    }
    if (footer) fputs("</footer>\n", f);
    fputs("</section>\n", f);
    int oom = d.oom;
    doc_free(&d);
    if (oom) errno = ENOMEM;
    return oom || ferror(f) ? -1 : 0;
}

int render_html(const Lift__Report *r, FILE *f)
{
    char title[160];
    snprintf(title, sizeof title, "Lift report: %s", render_experiment_key(r));
    if (render_html_begin(f, title) != 0 || render_html_section(r, f) != 0) return -1;
    return render_html_end(f);
}
