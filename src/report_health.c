/* report_health: see report_health.h. Every check names what it saw and what to do; the
 * warnings' priorities are report_msg.h's REPORT_W_*. */
#include "report_health.h"

#include <math.h>
#include <stdio.h>

#include "lift/currency.h"
#include "report_time.h"

#define POWER_TARGET 0.8

/* The split's SRM test; no customer, or an arm without any, is warned about. *ntot = exposed. */
static int health_srm(report_msg_t *b, const report_health_in_t *in, Lift__Health *hl,
                      int64_t *ntot)
{
    size_t na = in->acc->n_arms;
    const double *wts = in->wts;
    Lift__Srm *srm = ARENA_NEW(b->a, Lift__Srm, LIFT__SRM__INIT);
    REPORT_MSG_CK(srm);
    int64_t obs[LIFT_ARMS_MAX];
    double wsum = 0;
    *ntot = 0;
    for (size_t a = 0; a < na; a++) {
        obs[a] = in->acc->arm[a].all.exposed;
        *ntot += obs[a];
        wsum += wts[a];
    }
    REPORT_MSG_CK(srm->observed = arena_zalloc(b->a, na * sizeof *srm->observed));
    REPORT_MSG_CK(srm->expected = arena_zalloc(b->a, na * sizeof *srm->expected));
    for (size_t a = 0; a < na; a++) {
        srm->observed[a] = (uint64_t)obs[a];
        srm->expected[a] = wsum > 0 && wts[a] > 0 ? wts[a] / wsum * (double)*ntot : 0;
    }
    srm->n_observed = srm->n_expected = na;
    lift_srm_t s = na > 1 ? lift_srm(obs, wts, na)
                          : (lift_srm_t){LIFT_STAT_NOT_ESTIMABLE, "one arm", 0, 0, 1, 0};
    if (report_msg_srm(srm, &s) && s.mismatch)
        report_msg_warn(b, REPORT_W_SRM,
                        "sample ratio mismatch (chi2 %.1f, p %.2g): the split is broken, do not "
                        "trust this report",
                        s.chi2, s.p_value);
    hl->srm = srm;
    if (*ntot == 0)
        report_msg_warn(b, REPORT_W_EMPTY,
                        "no exposed customers in the window: nothing to estimate");
    else
        for (size_t a = 0; a < na; a++)
            if (obs[a] == 0)
                report_msg_warn(b, REPORT_W_EMPTY, "arm %zu (%s) has no exposed customers", a,
                                report_msg_arm_name(in->exp, a));
    return 0;
oom:
    b->oom = 1;
    return -1;
}

/* Outcomes read but not counted, and the sign of a sender clock behind liftd's. */
static void health_outcomes(report_msg_t *b, const report_health_in_t *in, Lift__Health *hl)
{
    const report_scan_t *c = in->scan;
    const report_opts_t *o = b->o;
    hl->has_outcome_events_before_exposure = hl->has_outcome_events_in_lookback = 1;
    hl->has_outcome_events_after_window = 1;
    hl->outcome_events_before_exposure = c->out_before;
    hl->outcome_events_in_lookback = c->out_lookback;
    hl->outcome_events_after_window = c->out_after;
    if (c->out_before || c->out_after) {
        char tf[40];
        report_time_str(o->to, tf, sizeof tf);
        /* top priority when nothing was counted: the data do not reach the window */
        report_msg_warn(b, c->out_in == 0 ? REPORT_W_OUTCOMES : REPORT_W_OUTSIDE,
                        "%s%llu conversion/refund event(s) of exposed customers were read but not "
                        "counted as outcomes: %llu before the customer's exposure (%llu of them "
                        "in the %u-day lookback, used only as the pre-exposure covariate) and "
                        "%llu at or after the window end %s; %llu counted",
                        c->out_in == 0 ? "no conversion or refund falls in any exposed customer's "
                                         "outcome window (exposure to window end): "
                                       : "",
                        (unsigned long long)(c->out_before + c->out_after),
                        (unsigned long long)c->out_before, (unsigned long long)c->out_lookback,
                        o->lookback_days, (unsigned long long)c->out_after, tf,
                        (unsigned long long)c->out_in);
    }
    /* Two clocks (proto: Event.timestamp_ms): outcomes are stamped by the sender, exposures
     * by liftd. A sender clock behind liftd's moves the first outcomes after an exposure to
     * just before it, where they count as pre-exposure: more in the hour before than in the
     * hour after is the sign. */
    hl->has_outcome_events_hour_before_exposure = 1;
    hl->has_outcome_events_hour_after_exposure = 1;
    hl->outcome_events_hour_before_exposure = c->out_hour_before;
    hl->outcome_events_hour_after_exposure = c->out_hour_after;
    if (c->out_hour_before >= 5 && c->out_hour_before > c->out_hour_after)
        report_msg_warn(b, REPORT_W_SKEW,
                        "%llu conversion/refund event(s) are stamped in the hour before their "
                        "customer's exposure and only %llu in the hour after: a sender whose "
                        "clock runs behind liftd's would do this (they count as pre-exposure); "
                        "check the senders' clocks, or send Context.trigger_time_ms from the "
                        "same clock as the events",
                        (unsigned long long)c->out_hour_before,
                        (unsigned long long)c->out_hour_after);
}

/* Delivery against assignment: impressions logged for another arm, SRM within segment levels,
 * the treated arms' impression rate. */
static void health_delivery(report_msg_t *b, const report_health_in_t *in, Lift__Health *hl)
{
    const report_scan_t *c = in->scan;
    const report_acc_t *acc = in->acc;
    size_t na = acc->n_arms;
    uint64_t oc = 0;
    for (size_t a = 0; a < na; a++)
        oc += acc->arm[a].other_arm;
    hl->has_impressions_other_arm = hl->has_customers_other_arm = 1;
    hl->impressions_other_arm = c->imp_other;
    hl->customers_other_arm = oc;
    if (c->imp_other)
        report_msg_warn(b, REPORT_W_OTHERARM,
                        "%llu impression(s) of this experiment from %llu customer(s) were logged "
                        "for another arm than the customer's assigned one: delivery disagrees "
                        "with assignment (they are analysed in their assigned arm)",
                        (unsigned long long)c->imp_other, (unsigned long long)oc);
    hl->has_segment_srm_mismatches = 1;
    hl->segment_srm_mismatches = in->seg->srm_bad;
    if (in->seg->srm_bad)
        report_msg_warn(b, REPORT_W_SEGSRM,
                        "sample ratio mismatch within %u segment level(s): %s — the split of "
                        "those customers is broken; their estimates are suspect",
                        in->seg->srm_bad, in->seg->srm_levels);
    /* impression rate of the treated arms */
    uint64_t imp = 0;
    int64_t texp = 0;
    for (size_t a = 1; a < na; a++) {
        imp += acc->arm[a].impressed;
        texp += acc->arm[a].all.exposed;
    }
    if (texp > 0) {
        double rate = (double)imp / (double)texp;
        hl->has_impression_rate = hl->has_low_impression_rate = 1;
        hl->impression_rate = rate;
        hl->low_impression_rate = rate < REPORT_LOW_IMPRESSION;
        if (hl->low_impression_rate)
            report_msg_warn(b, REPORT_W_IMPRESSION,
                            "treatment impression rate %.0f%% is low: trigger detection or "
                            "delivery failure?",
                            rate * 100);
    }
}

/* What the methods did: fixed-horizon intervals, CUPED not applied, the cap. */
static void health_methods(report_msg_t *b, const report_health_in_t *in, int64_t ntot)
{
    const report_opts_t *o = b->o;
    const report_acc_t *acc = in->acc;
    const char *currency = in->currency;
    if (!o->sequential && ntot > 0)
        report_msg_warn(b, REPORT_W_SEQ,
                        "fixed-horizon intervals (sequential off): right for one pre-planned "
                        "read at the end; reading this report every week and acting on the "
                        "first significant week inflates false positives (18.7%% instead of "
                        "5%% over 10 weekly looks in Lift's simulation)");
    if (o->cuped && !in->cuped_applied && ntot > 0 && acc->n_arms > 1)
        report_msg_warn(b, REPORT_W_CUPED, "CUPED requested, not applied: %s", in->cuped_why);
    if (acc->cap > 0 && acc->capped > 0) {
        int digits = currency ? lift_currency_digits(currency) : -1;
        char amt[64];
        if (lift_currency_format(amt, sizeof amt, acc->cap, digits >= 0 ? digits : 2, 0) != 0)
            snprintf(amt, sizeof amt, "%.0f minor units", acc->cap);
        report_msg_warn(b, REPORT_W_CAP,
                        "revenue cap %s%s%s (the %gth percentile of the %zu customers with "
                        "revenue > 0) lowered %llu customer(s); the uncapped difference is "
                        "shown beside the capped one",
                        currency && digits >= 0 ? currency : "", currency && digits >= 0 ? " " : "",
                        amt, o->cap_pct, acc->n_pos, (unsigned long long)acc->capped);
    }
}

/* Power to detect the MDE the user set, worst treatment arm (*pw, 2 = none computed), and the
 * detectable effect (*mde, relative). Returns 1 when both could be computed. */
static int power(const report_acc_t *acc, const report_opts_t *o, double *pw, double *mde)
{
    size_t na = acc->n_arms;
    const lift_summary_t *cs = &acc->arm[0].all.rev;
    double sigma2 = lift_summary_var_y(cs), mean = cs->mean_y;
    *pw = 2;
    *mde = -1;
    if (!(na > 1 && cs->n >= 2 && sigma2 > 0 && isfinite(sigma2) && mean != 0 && isfinite(mean)))
        return 0;
    for (size_t a = 1; a < na; a++) {
        double nt = (double)acc->arm[a].all.exposed, nall = nt + (double)cs->n;
        if (nt < 1)
            return 0;
        double share = nt / nall;
        lift_power_t m = lift_mde(sigma2, nall, share, o->alpha, POWER_TARGET, 0);
        if (m.status != LIFT_STAT_OK || !isfinite(m.effect))
            return 0;
        if (m.effect / fabs(mean) > *mde)
            *mde = m.effect / fabs(mean);
        double p = lift_power_at(sigma2, o->mde * fabs(mean), nall, share, o->alpha);
        if (p < 0 || !isfinite(p))
            return 0;
        if (p < *pw)
            *pw = p;
    }
    return 1;
}

static void health_power(report_msg_t *b, const report_health_in_t *in, const Lift__Report *rep,
                         Lift__Health *hl)
{
    const report_opts_t *o = b->o;
    double pw, mde;
    int power_ok = power(in->acc, o, &pw, &mde);
    /* every treatment arm's revenue difference already significant: power is moot */
    int all_sig = rep->n_comparisons > 0;
    for (size_t i = 0; i < rep->n_comparisons; i++) {
        const Lift__Estimate *d = rep->comparisons[i]->revenue_diff;
        all_sig &= d && d->ok && d->p_value < o->alpha;
    }
    hl->has_mde_set = 1;
    hl->mde_set = o->mde_set;
    if (!power_ok || mde < 0 || !isfinite(mde))
        return;
    hl->has_mde = 1;
    hl->mde = mde;
    if (pw > 1)
        return;
    hl->has_power_reached = 1;
    hl->power_reached = pw;
    if (pw < POWER_TARGET && o->mde_set)
        report_msg_warn(b, REPORT_W_POWER,
                        "power to detect the experiment's minimum effect of %.3g%% (analysis.mde) "
                        "is %.0f%% (target 80%%): detectable at this size: %.3g%%",
                        o->mde * 100, pw * 100, mde * 100);
    else if (pw < POWER_TARGET && !all_sig)
        report_msg_warn(b, REPORT_W_POWER,
                        "power to detect a %.3g%% revenue lift (the default analysis.mde: the "
                        "experiment sets no minimum effect) is %.0f%%: a result that is not "
                        "significant says little; detectable at this size: %.3g%%",
                        o->mde * 100, pw * 100, mde * 100);
}

int report_health_build(report_msg_t *b, const report_health_in_t *in, Lift__Report *rep)
{
    int64_t ntot;
    Lift__Health *hl = ARENA_NEW(b->a, Lift__Health, LIFT__HEALTH__INIT);
    REPORT_MSG_CK(hl);
    if (health_srm(b, in, hl, &ntot) < 0)
        goto oom;
    health_outcomes(b, in, hl);
    health_delivery(b, in, hl);
    health_methods(b, in, ntot);
    health_power(b, in, rep, hl);
    hl->has_small_segments = 1;
    hl->small_segments = in->seg->small;
    if (in->seg->small)
        report_msg_warn(b, REPORT_W_SMALL,
                        "%u segment level(s) have fewer than %d customers in an arm: listed, not "
                        "estimated",
                        in->seg->small, REPORT_MIN_SEGMENT);
    if (in->seg->delay_untimed)
        report_msg_warn(b, REPORT_W_SMALL,
                        "delay segments not compared with the holdout: it has no (ghost) "
                        "impressions to time; the timing arms compare timings directly");
    if (in->scan->ignored_arm)
        report_msg_warn(b, REPORT_W_ARM,
                        "%llu exposure(s) with an arm outside the definition ignored",
                        (unsigned long long)in->scan->ignored_arm);
    REPORT_MSG_CK(report_msg_warnings(b, hl) == 0);
    rep->health = hl;
    return 0;
oom:
    b->oom = 1;
    return -1;
}
