/* holdout_report: the program report. See holdout_report.h and README "Program holdout".
 *
 * Design stated in the report: held-out customers (hash range [0, p)) vs an equally sized,
 * randomly chosen measurement slice ([p, 2p) of the same hash) of program-eligible customers,
 * both recorded at their first program-eligible decision (same moment, same footing), compared
 * by intent to treat. The per-customer difference is the experiment report's calibrated
 * revenue difference (lift_revenue_diff) of arm 1 vs arm 0; the program total scales it by
 * the program-eligible treated population, estimated as measured x (100 - p) / p. */
#include "holdout_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "holdouts.h"
#include "report.h"
#include "units.h"

#define DESIGN_TEXT                                                                                \
    "program holdout: held-out customers (hash range [0, p)) vs an equally sized random "          \
    "measurement slice of program-eligible customers (range [p, 2p) of the same hash), both "      \
    "recorded at their first program-eligible decision, compared by intent to treat"

void holdout_report_pseudo_experiment(const Lift__Holdout *h, holdout_report_pseudo_t *s)
{
    Lift__Experiment e = LIFT__EXPERIMENT__INIT;
    Lift__Arm a = LIFT__ARM__INIT;
    memset(s, 0, sizeof *s);
    s->arm[0] = s->arm[1] = a;
    s->arm[0].name = "held_out";
    s->arm[1].name = "measured";
    for (int i = 0; i < 2; i++) {
        s->arm[i].has_weight = 1;
        s->arm[i].weight = 0.5;
        s->arms[i] = &s->arm[i];
    }
    snprintf(s->name, sizeof s->name, "program holdout %s", h->key);
    e.key = h->key;
    e.name = s->name;
    e.owner = h->owner;
    e.n_arms = 2;
    e.arms = s->arms;
    e.has_coverage = 1;
    e.coverage = 1;
    e.seed = h->seed;
    e.has_start_ms = h->has_start_ms;
    e.start_ms = h->start_ms;
    e.has_end_ms = h->has_end_ms;
    e.end_ms = h->end_ms;
    e.eligibility = h->scope;
    e.has_status = h->has_status;
    e.status = h->status;
    e.has_created_ms = h->has_created_ms;
    e.created_ms = h->created_ms;
    e.has_started_ms = h->has_started_ms;
    e.started_ms = h->started_ms;
    e.has_updated_ms = h->has_updated_ms;
    e.updated_ms = h->updated_ms;
    s->exp = e;
}

/* What the report reads of the store: the holdout row and the linked experiments. */
typedef struct {
    char skey[96];
    int64_t id;
    Lift__Holdout *h;
    int64_t *lid;            /* linked experiments' ids */
    Lift__Experiment **lexp; /* their definitions with server fields */
    size_t nl, capl;
    int oom;
} scan_t;

static int scan_row(void *arg, const store_experiment_t *row)
{
    scan_t *s = arg;
    if (holdouts_row_is(row)) {
        if (strcmp(row->key, s->skey) == 0) {
            s->id = row->id;
            s->h = lift__holdout__unpack(NULL, row->def_len, row->def);
            if (!s->h)
                return -1;
            s->h->has_status = 1;
            s->h->status = (Lift__ExperimentStatus)row->status;
            s->h->has_created_ms = 1;
            s->h->created_ms = row->created_ms;
            s->h->has_started_ms = row->started_ms != 0;
            s->h->started_ms = row->started_ms;
            s->h->has_updated_ms = 1;
            s->h->updated_ms = row->updated_ms;
        }
        return 0;
    }
    if (row->started_ms == 0)
        return 0; /* never ran: no estimate of its own */
    Lift__Experiment *e = lift__experiment__unpack(NULL, row->def_len, row->def);
    if (!e)
        return 0;
    e->has_status = 1;
    e->status = (Lift__ExperimentStatus)row->status;
    e->has_coverage = 1;
    e->coverage = row->coverage;
    e->has_created_ms = 1;
    e->created_ms = row->created_ms;
    e->has_started_ms = 1;
    e->started_ms = row->started_ms;
    e->has_updated_ms = 1;
    e->updated_ms = row->updated_ms;
    if (s->nl == s->capl) {
        size_t cap = s->capl ? 2 * s->capl : 16;
        int64_t *ids = realloc(s->lid, cap * sizeof *ids);
        if (ids)
            s->lid = ids;
        Lift__Experiment **xs = realloc(s->lexp, cap * sizeof *xs);
        if (xs)
            s->lexp = xs;
        if (!ids || !xs) {
            lift__experiment__free_unpacked(e, NULL);
            s->oom = 1;
            return -1;
        }
        s->capl = cap;
    }
    s->lid[s->nl] = row->id;
    s->lexp[s->nl++] = e;
    return 0;
}

/* Everything the Program message points to, freed with the report. Program comes first. */
typedef struct {
    Lift__Program prog;
    Lift__Holdout *holdout;
    Lift__Estimate rpc, total, cost, sum, gap;
    Lift__LinkedEstimate *linked;
    Lift__LinkedEstimate **linked_p;
    Lift__Estimate *linked_est;
    char **keys;
    size_t nl;
    char reason[5][200];
} prog_box_t;

static void prog_box_free(prog_box_t *p)
{
    if (!p)
        return;
    if (p->holdout)
        lift__holdout__free_unpacked(p->holdout, NULL);
    for (size_t i = 0; i < p->nl; i++)
        free(p->keys ? p->keys[i] : NULL);
    free(p->keys);
    free(p->linked);
    free(p->linked_p);
    free(p->linked_est);
    free(p);
}

void holdout_report_free(Lift__Report **r_p)
{
    Lift__Report *r = r_p ? *r_p : NULL;
    if (!r)
        return;
    prog_box_free((prog_box_t *)(void *)r->program);
    r->program = NULL;
    report_free(r_p);
}

/* An estimate scaled by k >= 0 (a total from a per-customer difference). */
static void scaled(const Lift__Estimate *in, double k, Lift__Estimate *out)
{
    *out = *in;
    out->p_adjusted = 0;
    out->has_p_adjusted = 0;
    out->has_family = 1;
    out->family = LIFT__TEST_FAMILY__FAMILY_NONE;
    if (!in->ok)
        return;
    out->estimate = in->estimate * k;
    out->se = in->se * k;
    out->ci_low = in->ci_low * k;
    out->ci_high = in->ci_high * k;
}

static void not_ok(Lift__Estimate *e, char *buf, size_t len, const char *why)
{
    Lift__Estimate init = LIFT__ESTIMATE__INIT;
    *e = init;
    e->has_ok = 1;
    e->ok = 0;
    snprintf(buf, len, "%s", why);
    e->reason = buf;
}

/* a + sign * b: point estimates added, interval half-widths in quadrature (independence). */
static void combine(Lift__Estimate *acc, const Lift__Estimate *b, double sign)
{
    double ha = (acc->ci_high - acc->ci_low) / 2, hb = (b->ci_high - b->ci_low) / 2;
    double est = acc->estimate + sign * b->estimate;
    double h = sqrt(ha * ha + hb * hb);
    acc->estimate = est;
    acc->se = sqrt(acc->se * acc->se + b->se * b->se);
    acc->ci_low = est - h;
    acc->ci_high = est + h;
    acc->has_p_value = 0;
}

static void drop_impression_warning(Lift__Report *r)
{
    Lift__Health *hl = r->health;
    if (!hl)
        return;
    /* The groups' impressions belong to the linked experiments, not to the holdout. */
    hl->has_impression_rate = hl->has_low_impression_rate = 0;
    size_t k = 0;
    for (size_t i = 0; i < hl->n_warnings; i++)
        if (strncmp(hl->warnings[i], "treatment impression rate", 25) != 0)
            hl->warnings[k++] = hl->warnings[i];
    hl->n_warnings = k;
}

/* The holdout row and the linked experiments of req->holdout_key into *s, inside the caller's
 * read transaction. Returns 0, or -1 with st set (NOT_FOUND, FAILED_PRECONDITION, a store
 * error). */
static int read_holdout(store_reader_t *rd, const Lift__ReportRequest *req, scan_t *s, status_t *st)
{
    if (store_reader_experiments(rd, scan_row, s) != 0)
        return status_set(st, s->oom ? LIFT__CODE__RESOURCE_EXHAUSTED : LIFT__CODE__INTERNAL, NULL,
                          "cannot read the holdout and experiments: %s", store_reader_errmsg(rd));
    if (!s->h)
        return status_set(st, LIFT__CODE__NOT_FOUND, "report.holdout_key",
                          "no holdout with key %.64s", req->holdout_key);
    if (!s->h->has_started_ms || s->h->started_ms == 0)
        return status_set(st, LIFT__CODE__FAILED_PRECONDITION, "report.holdout_key",
                          "holdout %s has never been started: nothing to report", s->h->key);
    return 0;
}

/* The two groups' report: report_build on the holdout's pseudo-experiment, segmented by the
 * first program-eligible moment unless the request says otherwise. */
static int group_report(store_reader_t *rd, const Lift__ReportRequest *req, const scan_t *s,
                        const char *currency, int64_t now_ms, Lift__Report **r, status_t *st)
{
    holdout_report_pseudo_t ps;
    holdout_report_pseudo_experiment(s->h, &ps);
    Lift__ReportRequest q = *req;
    q.holdout_key = NULL;
    q.experiment_key = s->h->key;
    static const Lift__Dimension dims[] = {LIFT__DIMENSION__DIMENSION_TRIGGER,
                                           LIFT__DIMENSION__DIMENSION_STAGE,
                                           LIFT__DIMENSION__DIMENSION_CHANNEL};
    if (q.n_segment_by == 0) {
        q.n_segment_by = 3;
        q.segment_by = (Lift__Dimension *)dims;
    }
    if (report_build(rd, &ps.exp, s->id, &q, currency, now_ms, r, st) < 0)
        return -1;
    drop_impression_warning(*r);
    return 0;
}

/* The program's own figures from the groups' report r: sizes, the treated population, the
 * revenue per customer, its program total and the cost of holding out. */
static void program_figures(prog_box_t *p, const Lift__Report *r)
{
    uint64_t n0 = r->n_arms > 0 ? r->arms[0]->exposed : 0;
    uint64_t n1 = r->n_arms > 1 ? r->arms[1]->exposed : 0;
    p->prog.has_held_out = p->prog.has_measured = 1;
    p->prog.held_out = n0;
    p->prog.measured = n1;
    double pct = p->holdout->percent;
    double pop = (double)n1 * (100.0 - pct) / pct;
    p->prog.has_treated_population = 1;
    p->prog.treated_population = pop;
    const Lift__Comparison *m = r->n_comparisons > 0 ? r->comparisons[0] : NULL;
    if (m && m->revenue_diff) {
        p->rpc = *m->revenue_diff;
        scaled(m->revenue_diff, pop, &p->total);
        if (m->holdout_cost)
            p->cost = *m->holdout_cost;
        else
            not_ok(&p->cost, p->reason[0], sizeof p->reason[0], "no comparison");
    } else {
        not_ok(&p->rpc, p->reason[1], sizeof p->reason[1], "no comparison of the two groups");
        not_ok(&p->total, p->reason[1], sizeof p->reason[1], "no comparison of the two groups");
        not_ok(&p->cost, p->reason[1], sizeof p->reason[1], "no comparison of the two groups");
    }
    p->prog.revenue_per_customer = &p->rpc;
    p->prog.incremental_total = &p->total;
    p->prog.holdout_cost = &p->cost;
}

/* Linked experiment e's own report (the request's window options) summed over its treatment
 * arms into le. Returns 1 when le is estimated, else 0 (le says why). */
static int linked_estimate(store_reader_t *rd, const Lift__ReportRequest *req,
                           const Lift__Experiment *e, int64_t id, const char *currency,
                           int64_t now_ms, Lift__Estimate *le)
{
    Lift__ReportRequest lq = LIFT__REPORT_REQUEST__INIT;
    lq.experiment_key = e->key;
    lq.has_alpha = req->has_alpha;
    lq.alpha = req->alpha;
    lq.has_sequential = req->has_sequential;
    lq.sequential = req->sequential;
    lq.has_cuped = req->has_cuped;
    lq.cuped = req->cuped;
    lq.has_to_ms = req->has_to_ms;
    lq.to_ms = req->to_ms;
    Lift__Report *lr = NULL;
    status_t lst;
    Lift__Estimate einit = LIFT__ESTIMATE__INIT;
    *le = einit;
    le->has_ok = 1;
    if (report_build(rd, e, id, &lq, currency, now_ms, &lr, &lst) < 0) {
        le->reason = "its own report failed (see the experiment's report)";
        return 0;
    }
    le->ok = lr->n_comparisons > 0;
    le->has_estimate = le->has_se = le->has_ci_low = le->has_ci_high = 1;
    for (size_t a = 0; a < lr->n_comparisons; a++) {
        const Lift__Estimate *t = lr->comparisons[a]->incremental_total;
        if (!t || !t->ok) {
            le->ok = 0;
            break;
        }
        combine(le, t, 1);
    }
    le->has_p_value = 0;
    report_free(&lr);
    if (!le->ok) {
        le->reason = "not estimable (see the experiment's own report)";
        le->has_estimate = le->has_se = le->has_ci_low = le->has_ci_high = 0;
        return 0;
    }
    return 1;
}

/* The linked experiments (those holdout_links accepts; the others are freed from s) with their
 * own estimates, their sum, and the gap between that sum and the program's estimate. Returns
 * 0, or -1 when out of memory. */
static int linked(store_reader_t *rd, const Lift__ReportRequest *req, scan_t *s, prog_box_t *p,
                  const char *currency, int64_t now_ms)
{
    size_t nl = 0;
    for (size_t i = 0; i < s->nl; i++) {
        Lift__Experiment *e = s->lexp[i];
        if (!holdout_links(p->holdout, p->holdout->started_ms, e->key, e->started_ms)) {
            lift__experiment__free_unpacked(e, NULL);
            s->lexp[i] = NULL;
        } else {
            nl++;
        }
    }
    p->linked = calloc(nl ? nl : 1, sizeof *p->linked);
    p->linked_p = calloc(nl ? nl : 1, sizeof *p->linked_p);
    p->linked_est = calloc(nl ? nl : 1, sizeof *p->linked_est);
    p->keys = calloc(nl ? nl : 1, sizeof *p->keys);
    if (!p->linked || !p->linked_p || !p->linked_est || !p->keys)
        return -1;
    Lift__Estimate sum = LIFT__ESTIMATE__INIT;
    sum.has_ok = sum.has_estimate = sum.has_se = sum.has_ci_low = sum.has_ci_high = 1;
    sum.ok = 1;
    int sum_ok = nl > 0;
    for (size_t i = 0; i < s->nl; i++) {
        Lift__Experiment *e = s->lexp[i];
        if (!e)
            continue;
        size_t k = p->nl;
        Lift__LinkedEstimate li = LIFT__LINKED_ESTIMATE__INIT;
        p->linked[k] = li;
        p->keys[k] = strdup(e->key);
        p->nl++;
        if (!p->keys[k])
            return -1;
        p->linked[k].experiment_key = p->keys[k];
        p->linked[k].incremental_total = &p->linked_est[k];
        p->linked_p[k] = &p->linked[k];
        if (linked_estimate(rd, req, e, s->lid[i], currency, now_ms, &p->linked_est[k]))
            combine(&sum, &p->linked_est[k], 1);
        else
            sum_ok = 0;
    }
    p->prog.n_linked = p->nl;
    p->prog.linked = p->linked_p;
    if (sum_ok) {
        p->sum = sum;
        if (p->total.ok) {
            p->gap = sum;
            combine(&p->gap, &p->total, -1);
        } else {
            not_ok(&p->gap, p->reason[2], sizeof p->reason[2],
                   "the program estimate is not estimable");
        }
    } else {
        not_ok(&p->sum, p->reason[3], sizeof p->reason[3],
               nl ? "a linked experiment's estimate is not estimable"
                  : "no linked experiment has started");
        not_ok(&p->gap, p->reason[4], sizeof p->reason[4], p->reason[3]);
    }
    p->prog.linked_sum = &p->sum;
    p->prog.naive_gap = &p->gap;
    return 0;
}

int holdout_report_build(store_reader_t *rd, const Lift__ReportRequest *req, const char *currency,
                         int64_t now_ms, Lift__Report **out, status_t *st)
{
    *out = NULL;
    status_ok(st);
    if (!req->holdout_key || !*req->holdout_key)
        return status_set(st, LIFT__CODE__INVALID_ARGUMENT, "report.holdout_key",
                          "report.holdout_key is required for a program report");
    if (req->experiment_key && *req->experiment_key)
        return status_set(st, LIFT__CODE__INVALID_ARGUMENT, "report.experiment_key",
                          "report.experiment_key and report.holdout_key are both set; a report "
                          "is of an experiment or of a holdout");
    scan_t s;
    memset(&s, 0, sizeof s);
    snprintf(s.skey, sizeof s.skey, "%s%.64s", HOLDOUTS_KEY_PREFIX, req->holdout_key);
    char err[256];
    int rc = -1;
    Lift__Report *r = NULL;
    prog_box_t *p = NULL;
    if (store_reader_begin(rd, err, sizeof err) < 0)
        return status_set(st, LIFT__CODE__UNAVAILABLE, NULL, "cannot read the store: %s", err);
    if (read_holdout(rd, req, &s, st) < 0 ||
        group_report(rd, req, &s, currency, now_ms, &r, st) < 0)
        goto done;
    p = calloc(1, sizeof *p);
    if (!p)
        goto oom;
    Lift__Program pinit = LIFT__PROGRAM__INIT;
    p->prog = pinit;
    p->holdout = s.h;
    s.h = NULL;
    p->prog.holdout = p->holdout;
    p->prog.design = DESIGN_TEXT;
    program_figures(p, r);
    /* Linked experiments: each one's own report (same window options), its incremental
     * totals summed over treatment arms. */
    if (linked(rd, req, &s, p, currency, now_ms) < 0)
        goto oom;
    r->program = &p->prog;
    units_fill(r); /* the program's estimates get their units too */
    *out = r;
    r = NULL;
    p = NULL;
    rc = 0;
    goto done;
oom:
    status_set(st, LIFT__CODE__RESOURCE_EXHAUSTED, NULL,
               "out of memory building the program report");
done:
    store_reader_end(rd);
    prog_box_free(p);
    report_free(&r);
    if (s.h)
        lift__holdout__free_unpacked(s.h, NULL);
    for (size_t i = 0; i < s.nl; i++)
        if (s.lexp[i])
            lift__experiment__free_unpacked(s.lexp[i], NULL);
    free(s.lexp);
    free(s.lid);
    return rc;
}
