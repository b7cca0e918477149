/* report_weekly: see report_weekly.h. One event scan serves every week: the post-exposure
 * revenue events are sorted by week (counting sort) and added to running per-customer totals
 * week after week. */
#include "report_weekly.h"

#include <stdlib.h>
#include <string.h>

#include "report_est.h"
#include "report_time.h"

/* The week index of fact f, weeks before k0 folded into k0, beyond nw − 1 into nw − 1. */
static size_t fact_week(const report_revfact_t *f, size_t k0, size_t nw)
{
    size_t k = f->week < nw ? f->week : nw - 1;
    return k < k0 ? k0 : k;
}

/* Counting sort of the revenue facts by week into sorted; start[k] = the first of week k. */
static int sort_facts(const report_scan_t *s, size_t k0, size_t nw, size_t *start,
                      report_revfact_t *sorted)
{
    for (size_t i = 0; i < s->n_rf; i++)
        start[fact_week(&s->rf[i], k0, nw) + 1]++;
    for (size_t k = 0; k < nw; k++)
        start[k + 1] += start[k];
    size_t *pos = malloc((nw + 1) * sizeof *pos);
    if (!pos)
        return -1;
    memcpy(pos, start, (nw + 1) * sizeof *pos);
    for (size_t i = 0; i < s->n_rf; i++)
        sorted[pos[fact_week(&s->rf[i], k0, nw)]++] = s->rf[i];
    free(pos);
    return 0;
}

/* Work space of the series. */
typedef struct {
    int64_t *run;        /* running revenue per customer */
    double *vals;        /* revenues > 0 of the customers exposed by the week's end */
    lift_summary_t *arm; /* per arm: y = capped revenue, x = pre-period revenue */
    int64_t *conv;       /* per arm: payers */
} week_ws_t;

/* The point of the week ending at `end` (customers exposed before it, revenue so far). */
static Lift__WeekPoint *week_point(report_msg_t *b, const report_scan_t *s,
                                   const Lift__Experiment *exp, week_ws_t *ws, int64_t week,
                                   int64_t end)
{
    const report_opts_t *o = b->o;
    size_t na = exp->n_arms;
    size_t m = 0, n_pos = 0; /* exposed by `end`; of which with revenue > 0 (the cap's base) */
    for (uint32_t i = 0; i < s->n; i++)
        if (s->hot[i].t0 < end) {
            m++;
            if (ws->run[i] > 0)
                ws->vals[n_pos++] = (double)ws->run[i];
        }
    double cap = report_est_cap(ws->vals, n_pos, o->cap_pct);
    for (size_t a = 0; a < na; a++) {
        lift_summary_init(&ws->arm[a]);
        ws->conv[a] = 0;
    }
    for (uint32_t i = 0; i < s->n; i++)
        if (s->hot[i].t0 < end) {
            lift_summary_add_xy(&ws->arm[s->hot[i].arm], report_est_capped(ws->run[i], cap),
                                (double)s->cold[i].pre);
            ws->conv[s->hot[i].arm] += ws->run[i] > 0; /* payers */
        }
    Lift__WeekPoint *p = ARENA_NEW(b->a, Lift__WeekPoint, LIFT__WEEK_POINT__INIT);
    REPORT_MSG_CK(p);
    char label[32];
    report_iso_week(week, label, sizeof label);
    REPORT_MSG_CK(p->week = arena_strdup(b->a, label));
    p->has_end_ms = p->has_exposed = 1;
    p->end_ms = end;
    p->exposed = m;
    if (na > 1) {
        REPORT_MSG_CK(p->comparisons = arena_zalloc(b->a, (na - 1) * sizeof *p->comparisons));
        for (size_t a = 1; a < na; a++) {
            report_revcmp_t r =
                report_est_revenue(&ws->arm[a], &ws->arm[0], ws->conv[a], ws->conv[0], o, 0);
            REPORT_MSG_CK(p->comparisons[a - 1] = report_msg_comparison(b, exp, a, &r, NULL));
        }
        p->n_comparisons = na - 1;
    }
    return p;
oom:
    b->oom = 1;
    return NULL;
}

int report_weekly_build(report_msg_t *b, const report_scan_t *s, const Lift__Experiment *exp,
                        Lift__Report *rep)
{
    const report_opts_t *o = b->o;
    size_t na = exp->n_arms;
    int64_t last = report_time_week_start(o->to > o->from ? o->to - 1 : o->from);
    size_t nw = (size_t)((last - s->week0) / REPORT_WEEK_MS) + 1;
    size_t k0 = nw > REPORT_MAX_WEEKS ? nw - REPORT_MAX_WEEKS : 0;
    if (k0 > 0)
        report_msg_warn(b, REPORT_W_WEEKS, "weekly series shows the last %d of %zu weeks",
                        REPORT_MAX_WEEKS, nw);
    size_t *start = calloc(nw + 1, sizeof *start);
    report_revfact_t *sorted = malloc((s->n_rf ? s->n_rf : 1) * sizeof *sorted);
    week_ws_t ws = {
        .run = calloc(s->n ? s->n : 1, sizeof *ws.run),
        .vals = malloc((s->n ? s->n : 1) * sizeof *ws.vals),
        .arm = malloc(na * sizeof *ws.arm),
        .conv = malloc(na * sizeof *ws.conv),
    };
    int rc = -1;
    if (!start || !sorted || !ws.run || !ws.vals || !ws.arm || !ws.conv ||
        sort_facts(s, k0, nw, start, sorted) < 0)
        goto oom;
    REPORT_MSG_CK(rep->weekly = arena_zalloc(b->a, (nw - k0) * sizeof *rep->weekly));
    for (size_t k = k0; k < nw; k++) {
        int64_t end = s->week0 + (int64_t)(k + 1) * REPORT_WEEK_MS;
        if (end > o->to)
            end = o->to;
        for (size_t i = start[k]; i < start[k + 1]; i++)
            ws.run[sorted[i].cust] += sorted[i].amount;
        Lift__WeekPoint *p =
            week_point(b, s, exp, &ws, s->week0 + (int64_t)k * REPORT_WEEK_MS, end);
        REPORT_MSG_CK(p);
        rep->weekly[rep->n_weekly++] = p;
    }
    rc = 0;
    goto out;
oom:
    b->oom = 1;
out:
    free(start);
    free(sorted);
    free(ws.run);
    free(ws.vals);
    free(ws.arm);
    free(ws.conv);
    return rc;
}
