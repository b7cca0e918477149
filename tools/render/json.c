/* render/json: the machine form (render_json, render_json_value), written straight from the
 * message: every field, unset ones as null. It uses no document model. */

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

/* Adds key: value, taking the reference; a NULL value (out of memory) marks *oom. */
static void jset(json_t *o, const char *k, json_t *v, int *oom)
{
    if (v == NULL || o == NULL || json_object_set_new(o, k, v) != 0)
        *oom = 1;
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

static const char *unit_name(render_unit_t u)
{
    switch (u) {
    case RENDER_U_MONEY:
        return "minor";
    case RENDER_U_FRAC:
        return "fraction";
    case RENDER_U_PP:
        return "fraction_difference";
    case RENDER_U_NPS:
        return "nps_points";
    case RENDER_U_RATIO:
        return "number";
    case RENDER_U_WHOLE:
        return "minor";
    }
    return "number";
}

/* Estimate: every field, plus "unit". ok is false (and the numbers null) whenever the estimate
 * cannot be used, whatever the server sent. */
static json_t *est_json(const Lift__Estimate *e, render_unit_t u, int *oom)
{
    if (e == NULL)
        return json_null();
    json_t *o = json_object();
    int ok = render_est_ok(e);
    jset(o, "ok", json_boolean(ok), oom);
    jset(o, "reason", ok ? jstr(e->reason) : json_string(render_est_reason(e)), oom);
    jset(o, "estimate", jnum(ok, e->estimate), oom);
    jset(o, "se", jnum(ok && e->has_se, e->se), oom);
    jset(o, "ci_low", jnum(ok && e->has_ci_low, e->ci_low), oom);
    jset(o, "ci_high", jnum(ok && e->has_ci_high, e->ci_high), oom);
    jset(o, "p_value", jnum(ok && e->has_p_value, e->p_value), oom);
    jset(o, "p_adjusted", jnum(ok && e->has_p_adjusted, e->p_adjusted), oom);
    jset(o, "sequential", jbool(e->has_sequential, e->sequential), oom);
    jset(o, "family", jstr(render_family_name(e)), oom);
    if (e->has_unit &&
        (e->unit < LIFT__UNIT__UNIT_UNSPECIFIED || e->unit > LIFT__UNIT__UNIT_NPS_POINTS)) {
        /* A unit a newer liftd added: shown as its number, never guessed. */
        char name[32];
        snprintf(name, sizeof name, "unknown unit %d", (int)e->unit);
        jset(o, "unit", json_string(name), oom);
    } else {
        jset(o, "unit", json_string(unit_name(render_est_unit(e, u))), oom);
    }
    return o;
}

static json_t *experiment_json(const Lift__Experiment *e, int *oom)
{
    if (e == NULL)
        return json_null();
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
        if (json_array_append_new(arms, ja) != 0)
            *oom = 1;
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
             a->has_primary_metric ? json_string(lift_metric_name(a->primary_metric)) : json_null(),
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
             : ok      ? json_null()
                       : json_string("not estimable (no reason given)"),
             oom);
        if (json_array_append_new(a, o) != 0)
            *oom = 1;
    }
    return a;
}

static json_t *comparison_json(const Lift__Comparison *c, int *oom)
{
    json_t *o = json_object();
    jset(o, "arm_index", jint(c->has_arm_index, c->arm_index), oom);
    jset(o, "arm_name", jstr(c->arm_name), oom);
    jset(o, "revenue_diff", est_json(c->revenue_diff, RENDER_U_MONEY, oom), oom);
    jset(o, "relative_lift", est_json(c->relative_lift, RENDER_U_FRAC, oom), oom);
    jset(o, "incremental_total", est_json(c->incremental_total, RENDER_U_MONEY, oom), oom);
    jset(o, "holdout_cost", est_json(c->holdout_cost, RENDER_U_MONEY, oom), oom);
    jset(o, "net_incremental", est_json(c->net_incremental, RENDER_U_MONEY, oom), oom);
    jset(o, "conversion_diff", est_json(c->conversion_diff, RENDER_U_PP, oom), oom);
    jset(o, "churn_diff", est_json(c->churn_diff, RENDER_U_PP, oom), oom);
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
    jset(o, "cace", est_json(c->cace, RENDER_U_MONEY, oom), oom);
    jset(o, "cuped", jbool(c->has_cuped, c->cuped), oom);
    jset(o, "variance_reduction", jnum(c->has_variance_reduction, c->variance_reduction), oom);
    jset(o, "retention_treated", retention_json(c->retention_treated, c->n_retention_treated, oom),
         oom);
    jset(o, "retention_organic", retention_json(c->retention_organic, c->n_retention_organic, oom),
         oom);
    jset(o, "ctr_diff", est_json(c->ctr_diff, RENDER_U_PP, oom), oom);
    jset(o, "revenue_diff_uncapped", est_json(c->revenue_diff_uncapped, RENDER_U_MONEY, oom), oom);
    jset(o, "nps_diff", est_json(c->nps_diff, RENDER_U_NPS, oom), oom);
    jset(o, "pre_period_diff", est_json(c->pre_period_diff, RENDER_U_MONEY, oom), oom);
    jset(o, "revenue_diff_shrunk", est_json(c->revenue_diff_shrunk, RENDER_U_MONEY, oom), oom);
    jset(o, "incremental_total_shrunk", est_json(c->incremental_total_shrunk, RENDER_U_MONEY, oom),
         oom);
    jset(o, "cuped_note", jstr(c->cuped_note), oom);
    jset(o, "converted_treated", juint(c->has_converted_treated, c->converted_treated), oom);
    jset(o, "converted_holdout", juint(c->has_converted_holdout, c->converted_holdout), oom);
    return o;
}

static json_t *comparisons_json(Lift__Comparison *const *cs, size_t n, int *oom)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, comparison_json(cs[i], oom)) != 0)
            *oom = 1;
    return a;
}

static json_t *provenance_json(const Lift__Provenance *p, int *oom)
{
    if (p == NULL)
        return json_null();
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
    jset(o, "revenue_cap_percentile",
         jnum(p->has_revenue_cap_percentile, p->revenue_cap_percentile), oom);
    jset(o, "n_star", jnum(p->has_n_star, p->n_star), oom);
    jset(o, "lift_version", jstr(p->lift_version), oom);
    jset(o, "cuped_applied", jbool(p->has_cuped_applied, p->cuped_applied), oom);
    jset(o, "cuped_note", jstr(p->cuped_note), oom);
    jset(o, "capped_customers", juint(p->has_capped_customers, p->capped_customers), oom);
    jset(o, "revenue_cap_rule", jstr(p->revenue_cap_rule), oom);
    jset(o, "revenue_cap_note", jstr(p->revenue_cap_note), oom);
    jset(o, "cost_per_attempt_minor",
         jint(p->has_cost_per_attempt_minor, p->cost_per_attempt_minor), oom);
    jset(o, "min_converters", juint(p->has_min_converters, p->min_converters), oom);
    jset(o, "lookback_days", juint(p->has_lookback_days, p->lookback_days), oom);
    return o;
}

static json_t *srm_json(const Lift__Srm *s, int *oom)
{
    if (s == NULL)
        return json_null();
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
    if (h == NULL)
        return json_null();
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
    jset(o, "nps_before", est_json(a->nps_before, RENDER_U_NPS, oom), oom);
    jset(o, "nps_after", est_json(a->nps_after, RENDER_U_NPS, oom), oom);
    jset(o, "nps_change", est_json(a->nps_change, RENDER_U_NPS, oom), oom);
    jset(o, "revenue_per_customer", jnum(a->has_revenue_per_customer, a->revenue_per_customer),
         oom);
    jset(o, "conversion_rate", est_json(a->conversion_rate, RENDER_U_FRAC, oom), oom);
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
    if (o == NULL)
        return NULL;
    const Lift__Experiment *e = r->provenance ? r->provenance->experiment : NULL;
    jset(o, "schema", json_string("lift.report/1"), &oom);
    jset(o, "experiment_key", jstr(e ? e->key : NULL), &oom);
    jset(o, "currency", *render_currency(r) ? json_string(render_currency(r)) : json_null(), &oom);
    /* Every *_minor value and money estimate is in 10^-digits of the currency (JPY 0, KWD 3). */
    int digits = lift_currency_digits(render_currency(r));
    jset(o, "currency_minor_units", digits >= 0 ? json_integer(digits) : json_null(), &oom);
    jset(o, "provenance", provenance_json(r->provenance, &oom), &oom);
    jset(o, "health", health_json(r->health, &oom), &oom);
    json_t *arms = json_array();
    for (size_t i = 0; arms && i < r->n_arms; i++)
        if (json_array_append_new(arms, arm_json(r->arms[i], &oom)) != 0)
            oom = 1;
    jset(o, "arms", arms, &oom);
    jset(o, "comparisons", comparisons_json(r->comparisons, r->n_comparisons, &oom), &oom);
    json_t *segs = json_array();
    for (size_t i = 0; segs && i < r->n_segments; i++) {
        const Lift__Segment *s = r->segments[i];
        json_t *j = json_object(), *ex = json_array();
        jset(j, "dimension",
             s->has_dimension ? json_string(render_dimension_name(s->dimension)) : json_null(),
             &oom);
        jset(j, "level", jstr(s->level), &oom);
        for (size_t k = 0; ex && k < s->n_exposed; k++)
            json_array_append_new(ex, juint(1, s->exposed[k]));
        jset(j, "exposed", ex, &oom);
        jset(j, "comparisons", comparisons_json(s->comparisons, s->n_comparisons, &oom), &oom);
        jset(j, "srm", srm_json(s->srm, &oom), &oom);
        if (json_array_append_new(segs, j) != 0)
            oom = 1;
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
        if (json_array_append_new(weeks, j) != 0)
            oom = 1;
    }
    jset(o, "weekly", weeks, &oom);
    json_t *het = json_array();
    for (size_t i = 0; het && i < r->n_heterogeneity; i++) {
        const Lift__Heterogeneity *h = r->heterogeneity[i];
        json_t *j = json_object();
        int ok = h->has_ok && h->ok;
        jset(j, "dimension",
             h->has_dimension ? json_string(render_dimension_name(h->dimension)) : json_null(),
             &oom);
        jset(j, "arm_index", jint(h->has_arm_index, h->arm_index), &oom);
        jset(j, "ok", json_boolean(ok), &oom);
        jset(j, "reason", jstr(h->reason), &oom);
        jset(j, "q", jnum(ok && h->has_q, h->q), &oom);
        jset(j, "df", jnum(ok && h->has_df, h->df), &oom);
        jset(j, "p_value", jnum(ok && h->has_p_value, h->p_value), &oom);
        jset(j, "i2", jnum(ok && h->has_i2, h->i2), &oom);
        jset(j, "tau2", jnum(ok && h->has_tau2, h->tau2), &oom);
        jset(j, "levels", juint(h->has_levels, h->levels), &oom);
        if (json_array_append_new(het, j) != 0)
            oom = 1;
    }
    jset(o, "heterogeneity", het, &oom);
    if (r->testing) {
        const Lift__Testing *t = r->testing;
        json_t *j = json_object();
        jset(j, "method",
             !t->has_method                                   ? json_null()
             : t->method == LIFT__ADJUSTMENT__ADJUSTMENT_HOLM ? json_string("holm")
                                                              : json_string("bh"),
             &oom);
        jset(j, "primary_metric",
             t->has_primary_metric ? json_string(lift_metric_name(t->primary_metric)) : json_null(),
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
        jset(j, "treated_population", jnum(p->has_treated_population, p->treated_population), &oom);
        jset(j, "revenue_per_customer", est_json(p->revenue_per_customer, RENDER_U_MONEY, &oom),
             &oom);
        jset(j, "incremental_total", est_json(p->incremental_total, RENDER_U_MONEY, &oom), &oom);
        jset(j, "holdout_cost", est_json(p->holdout_cost, RENDER_U_MONEY, &oom), &oom);
        json_t *l = json_array();
        for (size_t i = 0; l && i < p->n_linked; i++) {
            json_t *x = json_object();
            jset(x, "experiment_key", jstr(p->linked[i]->experiment_key), &oom);
            jset(x, "incremental_total",
                 est_json(p->linked[i]->incremental_total, RENDER_U_MONEY, &oom), &oom);
            if (json_array_append_new(l, x) != 0)
                oom = 1;
        }
        jset(j, "linked", l, &oom);
        jset(j, "linked_sum", est_json(p->linked_sum, RENDER_U_MONEY, &oom), &oom);
        jset(j, "naive_gap", est_json(p->naive_gap, RENDER_U_MONEY, &oom), &oom);
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
