/* units: Estimate.unit for every estimate of a report. */
#include "units.h"

#include <stddef.h>

static void set(Lift__Estimate *e, Lift__Unit u)
{
    if (e) {
        e->has_unit = 1;
        e->unit = u;
    }
}

static void comparison(Lift__Comparison *c)
{
    if (!c)
        return;
    set(c->revenue_diff, LIFT__UNIT__UNIT_MINOR);
    set(c->relative_lift, LIFT__UNIT__UNIT_FRACTION);
    set(c->incremental_total, LIFT__UNIT__UNIT_MINOR);
    set(c->holdout_cost, LIFT__UNIT__UNIT_MINOR);
    set(c->net_incremental, LIFT__UNIT__UNIT_MINOR);
    set(c->conversion_diff, LIFT__UNIT__UNIT_FRACTION_DIFFERENCE);
    set(c->churn_diff, LIFT__UNIT__UNIT_FRACTION_DIFFERENCE);
    set(c->cace, LIFT__UNIT__UNIT_MINOR);
    set(c->ctr_diff, LIFT__UNIT__UNIT_FRACTION_DIFFERENCE);
    set(c->revenue_diff_uncapped, LIFT__UNIT__UNIT_MINOR);
    set(c->nps_diff, LIFT__UNIT__UNIT_NPS_POINTS);
    set(c->pre_period_diff, LIFT__UNIT__UNIT_MINOR);
    set(c->revenue_diff_shrunk, LIFT__UNIT__UNIT_MINOR);
    set(c->incremental_total_shrunk, LIFT__UNIT__UNIT_MINOR);
}

void units_fill(Lift__Report *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; i < rep->n_arms; i++) {
        Lift__ArmSummary *a = rep->arms[i];
        set(a->nps_before, LIFT__UNIT__UNIT_NPS_POINTS);
        set(a->nps_after, LIFT__UNIT__UNIT_NPS_POINTS);
        set(a->nps_change, LIFT__UNIT__UNIT_NPS_POINTS);
        set(a->conversion_rate, LIFT__UNIT__UNIT_FRACTION);
    }
    for (size_t i = 0; i < rep->n_comparisons; i++)
        comparison(rep->comparisons[i]);
    for (size_t s = 0; s < rep->n_segments; s++)
        for (size_t i = 0; i < rep->segments[s]->n_comparisons; i++)
            comparison(rep->segments[s]->comparisons[i]);
    for (size_t w = 0; w < rep->n_weekly; w++)
        for (size_t i = 0; i < rep->weekly[w]->n_comparisons; i++)
            comparison(rep->weekly[w]->comparisons[i]);
    Lift__Program *p = rep->program;
    if (p) {
        set(p->revenue_per_customer, LIFT__UNIT__UNIT_MINOR);
        set(p->incremental_total, LIFT__UNIT__UNIT_MINOR);
        set(p->holdout_cost, LIFT__UNIT__UNIT_MINOR);
        set(p->linked_sum, LIFT__UNIT__UNIT_MINOR);
        set(p->naive_gap, LIFT__UNIT__UNIT_MINOR);
        for (size_t i = 0; i < p->n_linked; i++)
            if (p->linked[i])
                set(p->linked[i]->incremental_total, LIFT__UNIT__UNIT_MINOR);
    }
}
