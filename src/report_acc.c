/* report_acc: see report_acc.h. One pass over the customers fills every arm and cell; the
 * retention times need the first churn at or after each customer's first upgrade first. */
#include "report_acc.h"

#include <stdlib.h>
#include <string.h>

#include "report_est.h"
#include "report_time.h"

#define NO_TIME INT64_MAX

static int delay_level(const report_hot_t *h)
{
    if (h->first_imp == 0)
        return 4;
    int64_t d = h->first_imp - h->t0;
    return d < REPORT_HOUR_MS ? 0 : d < REPORT_DAY_MS ? 1 : d < REPORT_WEEK_MS ? 2 : 3;
}

int report_acc_level(const report_hot_t *h, int dim)
{
    switch (dim) {
    case LIFT__DIMENSION__DIMENSION_TRIGGER:
        return h->trigger;
    case LIFT__DIMENSION__DIMENSION_STAGE:
        return h->stage;
    case LIFT__DIMENSION__DIMENSION_CHANNEL:
        return h->channel;
    default:
        return delay_level(h);
    }
}

void report_acc_fini(report_acc_t *acc)
{
    if (acc->arm)
        for (size_t a = 0; a < acc->n_arms; a++) {
            free(acc->arm[a].km_t);
            free(acc->arm[a].km_e);
        }
    free(acc->arm);
    free(acc->cells);
    memset(acc, 0, sizeof *acc);
}

/* The revenue cap: a percentile of the customers with revenue > 0 (report_est_cap). */
static int fold_cap(report_acc_t *acc, const report_scan_t *s, const report_opts_t *o)
{
    double *vals = malloc((s->n ? s->n : 1) * sizeof *vals);
    if (!vals)
        return -1;
    for (uint32_t i = 0; i < s->n; i++)
        if (s->cold[i].rev > 0)
            vals[acc->n_pos++] = (double)s->cold[i].rev;
    acc->cap = report_est_cap(vals, acc->n_pos, o->cap_pct);
    free(vals);
    return 0;
}

/* First churn at or after the first upgrade, for retention; NULL when out of memory. */
static int64_t *churn_after_upgrade(const report_scan_t *s)
{
    int64_t *churn_after = malloc((s->n ? s->n : 1) * sizeof *churn_after);
    if (!churn_after)
        return NULL;
    for (uint32_t i = 0; i < s->n; i++)
        churn_after[i] = NO_TIME;
    for (size_t i = 0; i < s->n_cf; i++) {
        uint32_t k = s->cf[i].cust;
        if (s->cold[k].first_conv != 0 && s->cf[i].ts >= s->cold[k].first_conv &&
            s->cf[i].ts < churn_after[k])
            churn_after[k] = s->cf[i].ts;
    }
    return churn_after;
}

/* Room for each arm's retention times: upgraded customers per arm, one pass for every arm. */
static int alloc_km(report_acc_t *acc, const report_scan_t *s)
{
    size_t n_up[LIFT_ARMS_MAX] = {0};
    for (uint32_t i = 0; i < s->n; i++)
        n_up[s->hot[i].arm] += s->cold[i].first_conv != 0;
    for (size_t a = 0; a < acc->n_arms; a++) {
        report_arm_t *A = &acc->arm[a];
        A->km_t = malloc((n_up[a] ? n_up[a] : 1) * sizeof *A->km_t);
        A->km_e = malloc((n_up[a] ? n_up[a] : 1) * sizeof *A->km_e);
        if (!A->km_t || !A->km_e)
            return -1;
    }
    return 0;
}

/* Customer i into its arm and its cells. */
static void fold_one(report_acc_t *acc, const report_scan_t *s, const report_opts_t *o, uint32_t i,
                     int64_t churn_after)
{
    double cap = acc->cap;
    const report_hot_t *h = &s->hot[i];
    const report_cold_t *d = &s->cold[i];
    report_arm_t *A = &acc->arm[h->arm];
    double y = report_est_capped(d->rev, cap), x = (double)d->pre;
    lift_summary_add_xy(&A->all.rev, y, x);
    lift_summary_add_xy(&A->unc, (double)d->rev, x);
    A->capped += y < (double)d->rev;
    A->other_arm += h->other_arm;
    acc->with_pre += d->pre != 0;
    A->all.exposed++;
    A->all.converted += d->convs > 0;
    A->all.payers += d->rev > 0;
    lift_summary_add_xy(&A->cace, y, h->imps > 0 ? 1.0 : 0.0);
    lift_summary_add_xy(&A->ctr, (double)h->clicks, (double)h->imps);
    A->imps += h->imps;
    A->clicks += h->clicks;
    A->impressed += h->imps > 0;
    A->conversions += d->convs;
    A->revenue += d->rev;
    A->refunds += d->refunds;
    A->churned += d->churned;
    if (d->nps_pre)
        lift_nps_add(&A->nps_pre, d->nps_pre - 1);
    if (d->nps_post)
        lift_nps_add(&A->nps_post, d->nps_post - 1);
    if (d->nps_pre && d->nps_post)
        lift_summary_add_xy(&A->nps_pair, lift_nps_score(d->nps_post - 1),
                            lift_nps_score(d->nps_pre - 1));
    if (d->first_conv != 0) {
        int64_t end = churn_after != NO_TIME ? churn_after : o->to;
        A->km_t[A->km_n] = (double)(end - d->first_conv) / (double)REPORT_DAY_MS;
        A->km_e[A->km_n++] = churn_after != NO_TIME;
    }
    for (size_t di = 0; di < o->n_dims; di++) {
        report_cell_t *cl = &report_acc_row(acc, di, report_acc_level(h, o->dims[di]))[h->arm];
        lift_summary_add_xy(&cl->rev, y, x);
        cl->exposed++;
        cl->converted += d->convs > 0;
        cl->payers += d->rev > 0;
    }
}

int report_acc_fold(report_acc_t *acc, const report_scan_t *s, const report_opts_t *o,
                    size_t n_arms)
{
    memset(acc, 0, sizeof *acc);
    acc->n_arms = n_arms;
    acc->arm = calloc(n_arms, sizeof *acc->arm);
    acc->cells = calloc(REPORT_N_DIMS * REPORT_N_LEVELS * n_arms, sizeof *acc->cells);
    if (!acc->arm || !acc->cells || fold_cap(acc, s, o) < 0 || alloc_km(acc, s) < 0)
        return -1;
    int64_t *churn_after = churn_after_upgrade(s);
    if (!churn_after)
        return -1;
    for (uint32_t i = 0; i < s->n; i++)
        fold_one(acc, s, o, i, churn_after[i]);
    free(churn_after);
    for (size_t a = 0; a < n_arms; a++)
        acc->capped += acc->arm[a].capped;
    return 0;
}
