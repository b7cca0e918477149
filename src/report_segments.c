/* report_segments: see report_segments.h. A level with fewer than REPORT_MIN_SEGMENT customers
 * in an arm is listed with its counts, not estimated; delay levels are not compared with a
 * holdout that has no (ghost) impressions to time. */
#include "report_segments.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/lift.h"

static const char *const delay_names[] = {"<1h", "1-24h", "1-7d", ">7d", "no impression"};

static const char *dim_name(int dim)
{
    switch (dim) {
    case LIFT__DIMENSION__DIMENSION_TRIGGER:
        return "trigger";
    case LIFT__DIMENSION__DIMENSION_STAGE:
        return "stage";
    case LIFT__DIMENSION__DIMENSION_CHANNEL:
        return "channel";
    default:
        return "delay";
    }
}

static const char *level_name(int dim, int level)
{
    switch (dim) {
    case LIFT__DIMENSION__DIMENSION_TRIGGER:
        return lift_trigger_name(level);
    case LIFT__DIMENSION__DIMENSION_STAGE:
        return lift_stage_name(level);
    case LIFT__DIMENSION__DIMENSION_CHANNEL:
        return lift_channel_name(level);
    default:
        return delay_names[level < 5 ? level : 4];
    }
}

typedef struct {
    int dim;       /* index into the requested dimensions */
    int level;     /* level within the dimension */
    double key;    /* sort key: Σ over arms of the (shrunken, when available) incremental totals */
    int estimable; /* some arm's revenue difference is estimated */
    Lift__Segment *msg; /* the segment */
} segsort_t;

/* Within a dimension (request order): estimated levels by key, largest first; the others after
 * them in the levels' own order (delay: <1h, 1-24h, 1-7d, >7d, no impression). */
static int seg_cmp(const void *pa, const void *pb)
{
    const segsort_t *a = pa, *b = pb;
    if (a->dim != b->dim)
        return a->dim < b->dim ? -1 : 1; /* request order index */
    if (a->estimable != b->estimable)
        return a->estimable ? -1 : 1;
    if (a->estimable && a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return a->level < b->level ? -1 : a->level > b->level;
}

/* SRM within the level: a segment defined before assignment splits like the whole. */
static int level_srm(report_msg_t *b, Lift__Segment *s, int dim, const int64_t *obs,
                     const double *wts, size_t na, report_seg_info_t *info)
{
    lift_srm_t sr = lift_srm(obs, wts, na);
    Lift__Srm *sm = ARENA_NEW(b->a, Lift__Srm, LIFT__SRM__INIT);
    if (!sm) {
        b->oom = 1;
        return -1;
    }
    if (report_msg_srm(sm, &sr) && sr.mismatch) {
        info->srm_bad++;
        size_t len = strlen(info->srm_levels);
        if (len + 80 < sizeof info->srm_levels)
            snprintf(info->srm_levels + len, sizeof info->srm_levels - len,
                     "%s%s=%s (chi2 %.1f, p %.2g)", len ? ", " : "", dim_name(dim), s->level,
                     sr.chi2, sr.p_value);
    }
    s->srm = sm;
    return 0;
}

/* The comparisons of one level's cells (row, one per arm): estimated when est_ok, else each
 * says why not. *any_ok: some arm's revenue difference is estimated. */
static int level_comparisons(report_msg_t *b, const Lift__Experiment *exp, const report_cell_t *row,
                             int est_ok, int untimed, Lift__Segment *s, int *any_ok)
{
    const report_opts_t *o = b->o;
    size_t na = exp->n_arms;
    for (size_t a = 1; a < na; a++) {
        Lift__Comparison *m;
        if (!est_ok) {
            const char *why =
                untimed ? "not randomized: the holdout has no (ghost) impressions to time, so "
                          "delay levels sort treated customers by what happened after "
                          "assignment; compare timings with timing arms, or log holdout "
                          "impressions with arm 0 when the offer would have been shown"
                        : "segment too small: fewer than 100 customers in an arm";
            REPORT_MSG_CK(m = report_msg_failed_comparison(b, exp, a, why));
        } else {
            report_revcmp_t rr =
                report_est_revenue(&row[a].rev, &row[0].rev, row[a].payers, row[0].payers, o, 0);
            lift_estimate_t conv = lift_prop_diff(row[a].converted, row[a].exposed,
                                                  row[0].converted, row[0].exposed, o->alpha);
            conv = report_est_seq(&conv, (double)(row[a].exposed + row[0].exposed), o);
            REPORT_MSG_CK(m = report_msg_comparison(b, exp, a, &rr, &conv));
            REPORT_MSG_FAMILY(b, REPORT_FAM_EXPL, m->revenue_diff, m->incremental_total,
                              m->relative_lift);
            REPORT_MSG_FAMILY(b, REPORT_FAM_EXPL, m->conversion_diff);
            *any_ok |= m->revenue_diff->ok;
        }
        m->has_converted_treated = m->has_converted_holdout = 1;
        m->converted_treated = (uint64_t)row[a].payers;
        m->converted_holdout = (uint64_t)row[0].payers;
        s->comparisons[s->n_comparisons++] = m;
    }
    return 0;
oom:
    b->oom = 1;
    return -1;
}

/* The segment of level lv of dimension index di, or NULL: no customer in it (b->oom clear) or
 * out of memory (b->oom set). holdout_timed: holdout customers in a timed delay level. */
static Lift__Segment *level_segment(report_msg_t *b, const report_acc_t *acc,
                                    const Lift__Experiment *exp, const double *wts, size_t di,
                                    int lv, int64_t holdout_timed, report_seg_info_t *info,
                                    int *any_ok)
{
    int dim = b->o->dims[di];
    size_t na = acc->n_arms;
    const report_cell_t *row = report_acc_row(acc, di, lv);
    int64_t tot = 0, minn = INT64_MAX;
    int64_t obs[LIFT_ARMS_MAX];
    for (size_t a = 0; a < na; a++) {
        tot += row[a].exposed;
        if (row[a].exposed < minn)
            minn = row[a].exposed;
        obs[a] = row[a].exposed;
    }
    if (tot == 0)
        return NULL;
    Lift__Segment *s = ARENA_NEW(b->a, Lift__Segment, LIFT__SEGMENT__INIT);
    REPORT_MSG_CK(s);
    s->has_dimension = 1;
    s->dimension = (Lift__Dimension)dim;
    s->level = (char *)level_name(dim, lv);
    REPORT_MSG_CK(s->exposed = arena_zalloc(b->a, na * sizeof *s->exposed));
    for (size_t a = 0; a < na; a++)
        s->exposed[a] = (uint64_t)row[a].exposed;
    s->n_exposed = na;
    if (na > 1 && dim != LIFT__DIMENSION__DIMENSION_DELAY &&
        level_srm(b, s, dim, obs, wts, na, info) < 0)
        goto oom;
    int untimed = dim == LIFT__DIMENSION__DIMENSION_DELAY && holdout_timed == 0;
    int est_ok = minn >= REPORT_MIN_SEGMENT && !untimed;
    info->delay_untimed |= untimed;
    if (na > 1)
        REPORT_MSG_CK(s->comparisons = arena_zalloc(b->a, (na - 1) * sizeof *s->comparisons));
    if (!est_ok && !untimed && na > 1)
        info->small++;
    if (level_comparisons(b, exp, row, est_ok, untimed, s, any_ok) < 0)
        goto oom;
    return s;
oom:
    b->oom = 1;
    return NULL;
}

/* The heterogeneity message of k >= 2 levels' estimates; NULL when out of memory. */
static Lift__Heterogeneity *heterogeneity(report_msg_t *b, int dim, size_t a, const double *est_v,
                                          const double *se_v, size_t k)
{
    lift_heterogeneity_t hg = lift_heterogeneity(est_v, se_v, k);
    Lift__Heterogeneity *hm = ARENA_NEW(b->a, Lift__Heterogeneity, LIFT__HETEROGENEITY__INIT);
    if (!hm) {
        b->oom = 1;
        return NULL;
    }
    hm->has_dimension = hm->has_arm_index = hm->has_ok = hm->has_levels = 1;
    hm->dimension = (Lift__Dimension)dim;
    hm->arm_index = (int32_t)a;
    hm->levels = (uint32_t)k;
    if (hg.status == LIFT_STAT_OK && isfinite(hg.q) && isfinite(hg.p_value) && isfinite(hg.i2) &&
        isfinite(hg.tau2) && isfinite(hg.df)) {
        hm->ok = 1;
        hm->has_q = hm->has_df = hm->has_p_value = hm->has_i2 = hm->has_tau2 = 1;
        hm->q = hg.q;
        hm->df = hg.df;
        hm->p_value = hg.p_value;
        hm->i2 = hg.i2;
        hm->tau2 = hg.tau2;
        hm->levels = (uint32_t)hg.k_used;
    } else {
        hm->reason = (char *)(hg.reason && *hg.reason ? hg.reason : "not estimable");
    }
    return hm;
}

/* Appends hm to rep->heterogeneity (grown in the arena, 8 at a time). */
static int add_heterogeneity(report_msg_t *b, Lift__Report *rep, Lift__Heterogeneity *hm)
{
    if (rep->n_heterogeneity % 8 == 0) {
        Lift__Heterogeneity **nv = arena_zalloc(b->a, (rep->n_heterogeneity + 8) * sizeof *nv);
        if (!nv) {
            b->oom = 1;
            return -1;
        }
        if (rep->n_heterogeneity)
            memcpy(nv, rep->heterogeneity, rep->n_heterogeneity * sizeof *nv);
        rep->heterogeneity = nv;
    }
    rep->heterogeneity[rep->n_heterogeneity++] = hm;
    return 0;
}

/* Treatment arm a over the levels segs[first..n_seg) of dimension dim: heterogeneity (does the
 * effect differ across levels?) and empirical-Bayes shrunken estimates; adds each level's
 * (shrunken, when available) incremental total to its sort key. */
static int shrink_arm(report_msg_t *b, Lift__Report *rep, segsort_t *segs, size_t first,
                      size_t n_seg, int dim, size_t a)
{
    const report_opts_t *o = b->o;
    double est_v[REPORT_N_LEVELS], se_v[REPORT_N_LEVELS];
    size_t idx[REPORT_N_LEVELS], k = 0;
    for (size_t q = first; q < n_seg; q++) {
        const Lift__Estimate *e = segs[q].msg->comparisons[a - 1]->revenue_diff;
        if (e && e->ok && isfinite(e->se) && e->se > 0) {
            est_v[k] = e->estimate;
            se_v[k] = e->se;
            idx[k++] = q;
        }
    }
    double key_raw[REPORT_N_LEVELS];
    for (size_t j = 0; j < k; j++) {
        const Lift__Estimate *t = segs[idx[j]].msg->comparisons[a - 1]->incremental_total;
        key_raw[j] = t && t->ok ? t->estimate : 0;
    }
    if (k >= 2) {
        Lift__Heterogeneity *hm = heterogeneity(b, dim, a, est_v, se_v, k);
        if (!hm || add_heterogeneity(b, rep, hm) < 0)
            return -1;
        lift_estimate_t shr[REPORT_N_LEVELS];
        lift_result_t sr = lift_eb_shrink(est_v, se_v, k, o->alpha, shr);
        for (size_t j = 0; j < k && sr.status == LIFT_STAT_OK; j++) {
            const Lift__Segment *sg = segs[idx[j]].msg;
            Lift__Comparison *m = sg->comparisons[a - 1];
            /* in a sequential report the shrunken interval takes the same always-valid
             * multiplier as the raw one: a weekly reader must not find significance in
             * the shrunken column that the raw column's guarantee does not give */
            shr[j] = report_est_seq(&shr[j], (double)(sg->exposed[a] + sg->exposed[0]), o);
            REPORT_MSG_CK(m->revenue_diff_shrunk = report_msg_est(b, &shr[j], 1));
            lift_estimate_t tt = report_est_scale(shr[j], (double)sg->exposed[a]);
            REPORT_MSG_CK(m->incremental_total_shrunk = report_msg_est(b, &tt, 1));
            if (m->incremental_total_shrunk->ok)
                key_raw[j] = m->incremental_total_shrunk->estimate;
        }
    }
    for (size_t j = 0; j < k; j++)
        segs[idx[j]].key += key_raw[j];
    return 0;
oom:
    b->oom = 1;
    return -1;
}

/* The levels of dimension index di appended to segs (*n_seg entries), then shrunk per arm. */
static int dimension(report_msg_t *b, const report_acc_t *acc, const Lift__Experiment *exp,
                     const double *wts, size_t di, Lift__Report *rep, segsort_t *segs,
                     size_t *n_seg, report_seg_info_t *info)
{
    int dim = b->o->dims[di];
    size_t na = acc->n_arms;
    int nlev = dim == LIFT__DIMENSION__DIMENSION_DELAY ? 5 : REPORT_N_LEVELS;
    /* Delay is measured from impressions. Without ghost impressions for the holdout, its
     * customers all land in "no impression" while treated ones sort themselves into levels
     * by what happened after assignment: comparing a level with the holdout would credit
     * (or blame) the offer for who engages. Then no delay level is estimated. */
    int64_t holdout_timed = 0;
    if (dim == LIFT__DIMENSION__DIMENSION_DELAY)
        for (int lv = 0; lv < 4; lv++)
            holdout_timed += report_acc_row(acc, di, lv)[0].exposed;
    size_t first = *n_seg;
    for (int lv = 0; lv < nlev; lv++) {
        int any_ok = 0;
        Lift__Segment *s = level_segment(b, acc, exp, wts, di, lv, holdout_timed, info, &any_ok);
        if (b->oom)
            return -1;
        if (s)
            segs[(*n_seg)++] = (segsort_t){(int)di, lv, 0, any_ok, s};
    }
    for (size_t a = 1; a < na; a++)
        if (shrink_arm(b, rep, segs, first, *n_seg, dim, a) < 0)
            return -1;
    return 0;
}

int report_seg_build(report_msg_t *b, const report_acc_t *acc, const Lift__Experiment *exp,
                     const double *wts, Lift__Report *rep, report_seg_info_t *info)
{
    const report_opts_t *o = b->o;
    memset(info, 0, sizeof *info);
    size_t n_seg = 0;
    int rc = -1;
    segsort_t *segs = calloc(o->n_dims * REPORT_N_LEVELS + 1, sizeof *segs);
    if (!segs)
        goto out;
    for (size_t di = 0; di < o->n_dims; di++)
        if (dimension(b, acc, exp, wts, di, rep, segs, &n_seg, info) < 0)
            goto out;
    qsort(segs, n_seg, sizeof *segs, seg_cmp);
    if (n_seg) {
        rep->segments = arena_zalloc(b->a, n_seg * sizeof *rep->segments);
        if (!rep->segments)
            goto out;
        for (size_t i = 0; i < n_seg; i++)
            rep->segments[rep->n_segments++] = segs[i].msg;
    }
    rc = 0;
out:
    if (rc < 0)
        b->oom = 1;
    free(segs);
    return rc;
}
