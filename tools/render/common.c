/* render/common: the number formats (money with the currency's decimals, percentages, p-values,
 * counts, exact decimals, UTC times) and the report accessors every format uses. */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/currency.h"
#include "lift/lift.h"
#include "render_int.h"

/* "12,345" for an unsigned count. */
void render_fmt_count(char *b, size_t n, uint64_t v)
{
    char d[32];
    snprintf(d, sizeof d, "%llu", (unsigned long long)v);
    size_t len = strlen(d), k = 0;
    for (size_t i = 0; i < len && k + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            b[k++] = ',';
        b[k++] = d[i];
    }
    b[k] = '\0';
}

int render_money_digits(const char *cur)
{
    int digits = lift_currency_digits(cur);
    return digits >= 0 ? digits : 2;
}

void render_fmt_amount(char *b, size_t n, double minor, int digits, int plus)
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
    render_fmt_amount(a, sizeof a, minor, render_money_digits(cur), plus);
    int w =
        cur && *cur && isfinite(minor) ? snprintf(b, n, "%s %s", cur, a) : snprintf(b, n, "%s", a);
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
    if (fabs(v) < 0.05)
        v = 0.0;
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

void render_fmt_val(char *b, size_t n, double v, render_unit_t u, const char *cur, int digits,
                    int plus)
{
    if (!isfinite(v)) {
        snprintf(b, n, "n/e");
        return;
    }
    switch (u) {
    case RENDER_U_MONEY:
        if (cur)
            render_fmt_money(b, n, v, cur, plus);
        else
            render_fmt_amount(b, n, v, digits, plus);
        break;
    case RENDER_U_FRAC:
        render_fmt_pct(b, n, v, plus, "%");
        break;
    case RENDER_U_PP:
        render_fmt_pct(b, n, v, 1, " pp");
        break;
    case RENDER_U_NPS:
        if (fabs(v) < 0.05)
            v = 0.0;
        snprintf(b, n, plus && v != 0.0 ? "%+.1f" : "%.1f", v);
        break;
    case RENDER_U_RATIO:
        snprintf(b, n, "%.3g", v);
        break;
    case RENDER_U_WHOLE:
        render_fmt_amount(b, n, round(v / pow(10, digits)), 0, plus);
        break;
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
        if (strtod(b, NULL) == v)
            return;
    }
}

void render_fmt_time(char *b, size_t n, int has, int64_t ms)
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

int render_est_ok(const Lift__Estimate *e)
{
    return e && e->has_ok && e->ok && e->has_estimate && isfinite(e->estimate);
}

int render_ci_ok(const Lift__Estimate *e)
{
    return render_est_ok(e) && e->has_ci_low && e->has_ci_high && isfinite(e->ci_low) &&
           isfinite(e->ci_high);
}

const char *render_est_reason(const Lift__Estimate *e)
{
    if (e == NULL)
        return "not computed for this report";
    if (e->reason && *e->reason)
        return e->reason;
    if (!(e->has_ok && e->ok))
        return "not estimable (no reason given)";
    return "value missing or not finite";
}

const char *render_currency(const Lift__Report *r)
{
    return r->provenance && r->provenance->currency && *r->provenance->currency
               ? r->provenance->currency
               : "";
}

double render_alpha_of(const Lift__Report *r)
{
    const Lift__Provenance *p = r->provenance;
    if (p && p->has_alpha && p->alpha > 0 && p->alpha < 1)
        return p->alpha;
    return 0.05;
}

void render_ci_level(char *b, size_t n, const Lift__Report *r)
{
    double lvl = (1.0 - render_alpha_of(r)) * 100.0;
    if (fabs(lvl - round(lvl)) < 1e-9)
        snprintf(b, n, "%.0f%%", lvl);
    else
        snprintf(b, n, "%.1f%%", lvl);
}

void render_ci_label(char *b, size_t n, const Lift__Report *r)
{
    char lvl[16];
    render_ci_level(lvl, sizeof lvl, r);
    snprintf(b, n, "%s" NBSP "CI", lvl);
}

const char *render_experiment_key(const Lift__Report *r)
{
    const Lift__Experiment *e = r->provenance ? r->provenance->experiment : NULL;
    return e && e->key && *e->key ? e->key : "(unknown experiment)";
}

const char *render_dimension_name(int d)
{
    switch (d) {
    case LIFT__DIMENSION__DIMENSION_TRIGGER:
        return "trigger";
    case LIFT__DIMENSION__DIMENSION_STAGE:
        return "stage";
    case LIFT__DIMENSION__DIMENSION_CHANNEL:
        return "channel";
    case LIFT__DIMENSION__DIMENSION_DELAY:
        return "delay";
    case LIFT__DIMENSION__DIMENSION_UNSPECIFIED:
        return "unspecified";
    default:
        return "unknown";
    }
}

const char *render_arm_label(const Lift__Report *r, int idx, char *buf, size_t n)
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

const char *render_cmp_label(const Lift__Report *r, const Lift__Comparison *c, char *buf, size_t n)
{
    if (c->arm_name && *c->arm_name)
        return c->arm_name;
    return render_arm_label(r, c->has_arm_index ? c->arm_index : -1, buf, n);
}

int render_has_data(const Lift__Report *r)
{
    for (size_t i = 0; i < r->n_arms; i++)
        if (r->arms[i]->has_exposed && r->arms[i]->exposed > 0)
            return 1;
    return 0;
}

int render_tone_of(const Lift__Estimate *e)
{
    if (!render_ci_ok(e))
        return 0;
    if (e->ci_low > 0)
        return 1;
    if (e->ci_high < 0)
        return -1;
    return 0;
}

int render_tone_adj(const Lift__Report *r, const Lift__Estimate *e)
{
    int t = render_tone_of(e);
    if (t && e->has_p_adjusted && !(isfinite(e->p_adjusted) && e->p_adjusted < render_alpha_of(r)))
        return 0;
    return t;
}

const char *render_fam_tag(const Lift__Estimate *e)
{
    if (!e || !e->has_family)
        return "";
    return e->family == LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY  ? " C"
           : e->family == LIFT__TEST_FAMILY__FAMILY_EXPLORATORY ? " E"
                                                                : "";
}

const char *render_family_name(const Lift__Estimate *e)
{
    if (!e || !e->has_family)
        return NULL;
    return e->family == LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY  ? "confirmatory"
           : e->family == LIFT__TEST_FAMILY__FAMILY_EXPLORATORY ? "exploratory"
                                                                : "none";
}

const char *render_adjust_name(const Lift__Report *r)
{
    return r->testing && r->testing->has_method &&
                   r->testing->method == LIFT__ADJUSTMENT__ADJUSTMENT_HOLM
               ? "Holm"
               : "Benjamini-Hochberg";
}

/* The sort key of a segment row: the shrunken incremental total when the report has one (the
 * ranking that survives a second look), else the incremental total; 0 = none (not estimable). */
static int segrow_key(const Lift__Comparison *c, double *key)
{
    if (render_est_ok(c->incremental_total_shrunk)) {
        *key = c->incremental_total_shrunk->estimate;
        return 1;
    }
    if (render_est_ok(c->incremental_total) && render_est_ok(c->revenue_diff)) {
        *key = c->incremental_total->estimate;
        return 1;
    }
    return 0;
}

static int segrow_cmp(const void *a, const void *b)
{
    const render_segrow_t *ra = a, *rb = b;
    double x = 0, y = 0;
    int ox = segrow_key(ra->cmp, &x), oy = segrow_key(rb->cmp, &y);
    if (ox != oy)
        return oy - ox; /* not estimable last */
    if (ox && x != y)
        return x < y ? 1 : -1;
    /* ties and not-estimable rows: report order (the levels' own order) */
    return ra->order < rb->order ? -1 : ra->order > rb->order;
}

/* The treatment arms that have segment rows in dimension dim, in order; returns how many. */
static size_t segment_arms(const Lift__Report *r, int dim, int *arms, size_t max)
{
    size_t na = 0;
    for (size_t i = 0; i < r->n_segments; i++) {
        const Lift__Segment *s = r->segments[i];
        if ((int)s->dimension != dim)
            continue;
        for (size_t j = 0; j < s->n_comparisons; j++) {
            int a = s->comparisons[j]->has_arm_index ? s->comparisons[j]->arm_index : (int)j + 1;
            int seen = 0;
            for (size_t k = 0; k < na; k++)
                seen |= arms[k] == a;
            if (!seen && na < max)
                arms[na++] = a;
        }
    }
    return na;
}

/* The segment rows of dimension `dim` for treatment arm `arm` (-1: every arm, grouped by arm
 * in arm order), each arm's rows by the shrunken (else raw) incremental total, largest first,
 * not-estimable levels after them in the report's order. Returns a malloc'd array (count in *n;
 * NULL and 0 when none or out of memory). */
static render_segrow_t *segment_rows(const Lift__Report *r, int dim, int arm, size_t *n)
{
    size_t cnt = 0;
    for (size_t i = 0; i < r->n_segments; i++)
        if ((int)r->segments[i]->dimension == dim)
            cnt += r->segments[i]->n_comparisons;
    *n = 0;
    if (cnt == 0)
        return NULL;
    render_segrow_t *rows = malloc(cnt * sizeof *rows);
    if (rows == NULL)
        return NULL;
    int arms[64];
    size_t na = segment_arms(r, dim, arms, 64);
    for (size_t k = 0; k < na; k++) {
        if (arm >= 0 && arms[k] != arm)
            continue;
        size_t first = *n;
        for (size_t i = 0; i < r->n_segments; i++) {
            const Lift__Segment *s = r->segments[i];
            if ((int)s->dimension != dim)
                continue;
            for (size_t j = 0; j < s->n_comparisons; j++) {
                const Lift__Comparison *c = s->comparisons[j];
                if ((c->has_arm_index ? c->arm_index : (int)j + 1) == arms[k] && *n < cnt)
                    rows[(*n)++] = (render_segrow_t){s, c, (i << 20) + j};
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
        for (size_t k = 0; k < n; k++)
            seen |= dims[k] == d;
        if (!seen && n < max)
            dims[n++] = d;
    }
    return n;
}

int render_segment_groups(const Lift__Report *r, render_group_fn fn, void *arg)
{
    int dims[8];
    size_t nd = dimensions(r, dims, 8);
    for (size_t k = 0; k < nd; k++) {
        int arms[16];
        size_t na = segment_arms(r, dims[k], arms, 16);
        for (size_t ai = 0; ai < na; ai++) {
            size_t n = 0;
            render_segrow_t *rows = segment_rows(r, dims[k], arms[ai], &n);
            if (rows == NULL)
                continue;
            int rc = fn(arg, dims[k], arms[ai], rows, n);
            free(rows);
            if (rc)
                return -1;
        }
    }
    return 0;
}
