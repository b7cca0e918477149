/* render/svg: the inline SVG charts of the HTML page — forest plot of incremental revenue per
 * segment, cumulative lift by week with its band, funnel bars. No scripts, no external resources. */

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

#define SVG_W 1060 /* viewBox width of every chart; CSS scales it to the page */

static const char *arm_color(int idx)
{
    static const char *const palette[] = {"#2563eb", "#ea580c", "#059669",
                                          "#9333ea", "#db2777", "#0891b2"};
    if (idx <= 0)
        return "#7c8594";
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
    if (fabs(v) < 1e-9 * (step_minor > 0 ? step_minor : 1))
        v = a = 0;
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

/* The forest plot's rows being collected: the overall rows, then one group per dimension and
 * treatment arm (a render_group_fn). */
typedef struct {
    const Lift__Report *r; /* the report */
    frow_t *rows;          /* rows[0..n-1] */
    size_t cap, n;         /* allocated, used */
    char (*gl)[96];        /* group headings (8 dimensions x 16 arms at most) */
    size_t ngl;            /* headings used */
} forest_rows_t;

static int forest_group(void *arg, int dim, int arm, const render_segrow_t *sr, size_t m)
{
    forest_rows_t *fr = arg;
    if (fr->ngl == 8 * 16)
        return 0;
    char *gl = fr->gl[fr->ngl++], name[32];
    snprintf(gl, 96, "By %s: %s", render_dimension_name(dim),
             render_arm_label(fr->r, arm, name, sizeof name));
    for (size_t i = 0; i < m && fr->n < fr->cap; i++)
        fr->rows[fr->n++] =
            (frow_t){sr[i].seg->level && *sr[i].seg->level ? sr[i].seg->level : "(none)",
                     i == 0 ? gl : NULL, sr[i].cmp, 0};
    return 0;
}

/* One row of the forest plot centred at height cy: the label with its arm, the incremental
 * total's interval and estimate (a diamond for the overall rows), the shrunken estimate, the value
 * column; n/e with its footnote when not estimable. The axis maps [lo, hi] to [x0, x1]. */
static void forest_row(FILE *f, render_doc_t *d, const frow_t *row, double lo, double hi, double x0,
                       double x1, double cy)
{
    const Lift__Report *r = d->r;
    const Lift__Comparison *c = row->cmp;
    const Lift__Estimate *e = c->incremental_total;
    char name[32], v[96], ci[200];
    const char *arm = render_cmp_label(r, c, name, sizeof name);
    int ai = c->has_arm_index ? c->arm_index : 1;
    fputs("<g>", f);
    fputs("<title>", f);
    render_html_esc(f, row->label);
    fputs(" · ", f);
    render_html_esc(f, arm);
    fputs("</title>", f);
    fprintf(f, "<text x=\"20\" y=\"%.1f\" class=\"label\">", cy + 4);
    render_html_esc(f, row->label);
    fprintf(f, "<tspan class=\"arm\" fill=\"%s\"> · ", arm_color(ai));
    render_html_esc(f, arm);
    fputs("</tspan></text>", f);
    if (!row->overall && !render_est_ok(c->revenue_diff))
        e = c->revenue_diff; /* its reason */
    if (render_est_ok(e)) {
        double xe = sx(e->estimate, lo, hi, x0, x1);
        const Lift__Estimate *sh = c->incremental_total_shrunk;
        if (render_est_ok(sh)) /* the shrunken estimate: a hollow circle on its own thin interval */
            fprintf(f,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-width=\"1\" stroke-dasharray=\"3 2\"/>"
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#fff\" stroke=\"%s\" "
                    "stroke-width=\"2\"><title>shrunken</title></circle>",
                    sx(render_ci_ok(sh) ? sh->ci_low : sh->estimate, lo, hi, x0, x1), cy + 7,
                    sx(render_ci_ok(sh) ? sh->ci_high : sh->estimate, lo, hi, x0, x1), cy + 7,
                    arm_color(ai), sx(sh->estimate, lo, hi, x0, x1), cy + 7, arm_color(ai));
        if (render_ci_ok(e)) {
            double xa = sx(e->ci_low, lo, hi, x0, x1), xb = sx(e->ci_high, lo, hi, x0, x1);
            fprintf(f,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-width=\"2\"/>",
                    xa, cy, xb, cy, arm_color(ai));
            fprintf(f, "<path d=\"M%.1f %.1fv10M%.1f %.1fv10\" stroke=\"%s\" stroke-width=\"2\"/>",
                    xa, cy - 5, xb, cy - 5, arm_color(ai));
        }
        if (row->overall)
            fprintf(f, "<path d=\"M%.1f %.1fl7 7l-7 7l-7 -7z\" fill=\"%s\"/>", xe, cy - 7,
                    arm_color(ai));
        else
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\" fill=\"%s\"/>",
                    xe - 4.5, cy - 4.5, arm_color(ai));
        render_fmt_amount(v, sizeof v, e->estimate, d->digits, 0);
        render_cell_ci(d, ci, sizeof ci, e, RENDER_U_MONEY);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"value\">%s", (int)x1 + 20, cy + 4, v);
        if (*ci) {
            fputs(" <tspan class=\"muted\">(", f);
            render_html_esc(f, ci);
            fputs(")</tspan>", f);
        }
        fputs("</text>", f);
    } else {
        char ne[48];
        render_doc_ne(d, ne, sizeof ne, render_est_reason(e));
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"muted\">", x0 + 6, cy + 4);
        render_html_esc(f, ne);
        fputs(" not estimable</text>", f);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"value muted\">", (int)x1 + 20, cy + 4);
        render_html_esc(f, ne);
        fputs("</text>", f);
    }
    fputs("</g>\n", f);
}

void render_svg_forest(FILE *f, render_doc_t *d)
{
    const Lift__Report *r = d->r;
    size_t cap = r->n_comparisons + 8, n = 0;
    for (size_t i = 0; i < r->n_segments; i++)
        cap += r->segments[i]->n_comparisons;
    frow_t *rows = calloc(cap, sizeof *rows);
    if (rows == NULL) {
        d->oom = 1;
        return;
    }
    for (size_t i = 0; i < r->n_comparisons; i++)
        rows[n++] = (frow_t){"all customers", i == 0 ? "Overall" : NULL, r->comparisons[i], 1};
    char gl[8 * 16][96]; /* group headings, alive for this call */
    forest_rows_t fr = {r, rows, cap, n, gl, 0};
    render_segment_groups(r, forest_group, &fr);
    n = fr.n;
    double lo = 0, hi = 0;
    size_t maxlab = 0;
    for (size_t i = 0; i < n; i++) {
        char name[32];
        size_t l = render_u8len(rows[i].label) +
                   render_u8len(render_cmp_label(r, rows[i].cmp, name, sizeof name)) + 3;
        if (l > maxlab)
            maxlab = l;
        for (int k = 0; k < 2; k++) {
            const Lift__Estimate *e =
                k ? rows[i].cmp->incremental_total_shrunk : rows[i].cmp->incremental_total;
            if (!render_est_ok(e) || (!k && !render_est_ok(rows[i].cmp->revenue_diff)))
                continue;
            double a = render_ci_ok(e) ? e->ci_low : e->estimate,
                   b = render_ci_ok(e) ? e->ci_high : e->estimate;
            if (a < lo)
                lo = a;
            if (b > hi)
                hi = b;
        }
    }
    double step = nice_step(&lo, &hi, 6);
    /* the label column is as wide as the longest "level · arm" (names are never cut) */
    double x0 = 30 + 7.4 * (double)maxlab;
    if (x0 < 300)
        x0 = 300;
    if (x0 > 560)
        x0 = 560;
    const double x1 = x0 + 460 > SVG_W - 290 ? SVG_W - 290 : x0 + 460, rh = 24, top = 34;
    size_t ngroups = 0;
    for (size_t i = 0; i < n; i++)
        ngroups += rows[i].group != NULL;
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
            render_html_esc(f, rows[i].group);
            fputs("</text>\n", f);
            y += rh;
        }
        forest_row(f, d, &rows[i], lo, hi, x0, x1, y + rh / 2);
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

static void week_tick(char *b, size_t n, double v, double step, int inc, const render_doc_t *d)
{
    if (inc)
        fmt_money_axis(b, n, v, step, d->digits);
    else
        render_fmt_pct(b, n, v, v > 0, "%");
}

void render_svg_weekly(FILE *f, render_doc_t *d, int inc)
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
            if (!render_est_ok(e))
                continue;
            double a = render_ci_ok(e) ? e->ci_low : e->estimate,
                   b = render_ci_ok(e) ? e->ci_high : e->estimate;
            if (a < lo)
                lo = a;
            if (b > hi)
                hi = b;
        }
    double step = nice_step(&lo, &hi, 5);
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
            "aria-label=\"Cumulative relative lift by week with its interval band\">\n",
            SVG_W, H);
#define WX(i) (n == 1 ? (L + R) / 2 : L + 20 + (double)(i) * (R - L - 40) / (double)(n - 1))
#define WY(v) (B - ((v)-lo) / (hi - lo) * (B - T))
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
    if (every < 1)
        every = 1;
    for (size_t i = 0; i < n; i++) {
        if (i % every && i + 1 != n)
            continue;
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"tick\" text-anchor=\"middle\">", WX(i),
                B + 18);
        render_html_esc(f, r->weekly[i]->week ? r->weekly[i]->week : "?");
        fputs("</text>\n", f);
    }
    fprintf(f,
            "<text x=\"%.0f\" y=\"%.0f\" class=\"axis-title\" text-anchor=\"middle\">ISO week "
            "(cumulative to its end)</text>\n",
            (L + R) / 2, B + 44);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" class=\"zero\"/>\n", L, WY(0),
            R, WY(0));
    /* one series per treatment arm, in the order of the top-level comparisons */
    int arms[16];
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < r->weekly[i]->n_comparisons; j++) {
            const Lift__Comparison *c = r->weekly[i]->comparisons[j];
            int a = c->has_arm_index ? c->arm_index : (int)j + 1, seen = 0;
            for (size_t k = 0; k < na; k++)
                seen |= arms[k] == a;
            if (!seen && na < 16)
                arms[na++] = a;
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
                if (!render_est_ok(e)) {
                    i++;
                    break;
                }
                pts[m] = e;
                idx[m++] = i;
            }
            if (m == 0)
                continue;
            int band = 1;
            for (size_t q = 0; q < m; q++)
                band &= render_ci_ok(pts[q]);
            if (band) {
                fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.15\" d=\"", col);
                for (size_t q = 0; q < m; q++)
                    fprintf(f, "%c%.1f %.1f", q ? 'L' : 'M', WX(idx[q]) - (m == 1 ? 6 : 0),
                            WY(pts[q]->ci_high));
                if (m == 1)
                    fprintf(f, "L%.1f %.1f", WX(idx[0]) + 6, WY(pts[0]->ci_high));
                if (m == 1)
                    fprintf(f, "L%.1f %.1f", WX(idx[0]) + 6, WY(pts[0]->ci_low));
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
                    render_fmt_amount(v, sizeof v, pts[q]->estimate, d->digits, 0);
                else
                    render_fmt_pct(v, sizeof v, pts[q]->estimate, 1, "%");
                render_cell_ci(d, ci, sizeof ci, pts[q], inc ? RENDER_U_MONEY : RENDER_U_FRAC);
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>",
                        WX(idx[q]), WY(pts[q]->estimate), col);
                render_html_esc(f, r->weekly[idx[q]]->week);
                fprintf(f, ": %s (", v);
                render_html_esc(f, ci);
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
        render_html_esc(f, render_arm_label(r, arms[k], name, sizeof name));
        fputs("</text>\n", f);
    }
    fprintf(f,
            "<text x=\"%.0f\" y=\"%.0f\" class=\"muted\">band: %s</text>\n"
            "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" class=\"axis\"/>\n</svg>\n",
            R + 24, T + 14 + (double)na * 22, d->ci, L, B, R, B);
#undef WX
#undef WY
}

void render_svg_funnel(FILE *f, render_doc_t *d)
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
        render_html_esc(f, render_arm_label(r, ai, name, sizeof name));
        fprintf(f, "%s</text>\n",
                ai == 0 && !strcasestr(render_arm_label(r, ai, name, sizeof name), "holdout")
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
            fprintf(f,
                    "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" class=\"track\"/>",
                    x0, y, x1 - x0, bh);
            fprintf(f, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"/>",
                    x0, y, w, bh, arm_color(ai));
            fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"value\">%s", x1 + 12, y + bh - 4, cnt);
            /* the rates the tables print, with the tables' denominators */
            if (s == 1 || s == 3)
                fprintf(f, " <tspan class=\"muted\">(%s of exposed: %s)</tspan>",
                        a->exposed ? pct : "n/e", s == 1 ? "impression rate" : "conversion rate");
            else if (s == 2) {
                char ctr[32];
                render_fmt_pct(ctr, sizeof ctr,
                               a->impressions ? (double)a->clicks / (double)a->impressions : NAN, 0,
                               "%");
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
