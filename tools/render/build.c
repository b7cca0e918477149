/* render/build: one report into the document (title, warnings, headline, arms, comparisons,
 * funnel, segments, weekly series, retention, NPS, notes, provenance). It prints nothing. */

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

/* 1 when s mentions any of the (lower-case) words: used to skip server warnings that repeat one
 * the structured health fields already produced. */
static int mentions(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcasestr(s, *words))
            return 1;
    return 0;
}

static void build_warnings(render_doc_t *d)
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
        render_p_phrase(a, sizeof a, &pe);
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
        render_doc_add(
            d, RENDER_B_WARN, 2,
            "Sample ratio mismatch (chi-square test %s): customers per arm %s, expected %s. "
            "The split is broken: do not trust the numbers below until it is explained.",
            a, *obs ? obs : "?", *exp ? exp : "?");
        srm = any = 1;
    }
    if (h && h->has_low_impression_rate && h->low_impression_rate) {
        render_fmt_pct(a, sizeof a, h->has_impression_rate ? h->impression_rate : NAN, 0, "%");
        render_doc_add(d, RENDER_B_WARN, 1,
                       "Low impression rate: only %s of treated customers saw an offer. Trigger "
                       "detection or delivery failure?",
                       a);
        imp = any = 1;
    }
    if (h && h->has_small_segments && h->small_segments > 0) {
        render_doc_add(d, RENDER_B_WARN, 1, "%u segment%s below the minimum size %s not estimated.",
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
            render_doc_add(d, RENDER_B_WARN, 1,
                           "Underpowered: %s power to detect the experiment's minimum effect of %s "
                           "(analysis.mde); at this size 80%% power needs a %s lift.",
                           a, b, c);
        else
            render_doc_add(d, RENDER_B_WARN, 1,
                           "Underpowered: %s power; at this size 80%% power needs a %s lift.", a,
                           c);
        power = any = 1;
    }
    static const char *const w_srm[] = {"ratio mismatch", "srm", NULL};
    static const char *const w_imp[] = {"impression rate", NULL};
    static const char *const w_small[] = {"segment", NULL};
    static const char *const w_power[] = {"power", NULL};
    for (size_t i = 0; h && i < h->n_warnings; i++) {
        const char *w = h->warnings[i];
        if (w == NULL || *w == '\0')
            continue;
        if ((srm && mentions(w, w_srm)) || (imp && mentions(w, w_imp)) ||
            (small && mentions(w, w_small)) || (power && mentions(w, w_power)))
            continue;
        render_doc_add(d, RENDER_B_WARN, 1, "%s", w);
        any = 1;
    }
    if (h && h->srm && h->srm->has_skipped && h->srm->skipped) {
        render_doc_add(d, RENDER_B_WARN, 1,
                       "Sample ratio test skipped: an arm has fewer than 8 customers.");
        any = 1;
    }
    if (!any && h) {
        render_fmt_p(a, sizeof a, h->srm && h->srm->has_p_value ? h->srm->p_value : NAN);
        render_fmt_pct(b, sizeof b, h->has_impression_rate ? h->impression_rate : NAN, 0, "%");
        render_fmt_pct(c, sizeof c, h->has_power_reached ? h->power_reached : NAN, 0, "%");
        if (h->has_mde_set && !h->mde_set)
            render_doc_add(
                d, RENDER_B_NOTE, 0,
                "Health: no warnings (sample ratio test p = %s, impression rate %s; power "
                "%s against the default 5%% minimum effect: the experiment sets none).",
                a, b, c);
        else
            render_doc_add(
                d, RENDER_B_NOTE, 0,
                "Health: no warnings (sample ratio test p = %s, impression rate %s, power %s).", a,
                b, c);
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
static void cap_text(render_doc_t *d, char *b, size_t n, const Lift__Provenance *p)
{
    if (p && p->has_revenue_cap && isfinite(p->revenue_cap) && p->revenue_cap > 0) {
        char m[64], cnt[32];
        render_fmt_money(m, sizeof m, p->revenue_cap, d->cur, 0);
        render_fmt_count(cnt, sizeof cnt, p->capped_customers);
        if (p->revenue_cap_rule && *p->revenue_cap_rule && p->has_capped_customers)
            snprintf(b, n, "revenue per customer capped at %s (%s; %s customer%s capped)", m,
                     p->revenue_cap_rule, cnt, p->capped_customers == 1 ? "" : "s");
        else if (p->has_revenue_cap_percentile && isfinite(p->revenue_cap_percentile))
            snprintf(b, n, "revenue per customer capped at %s (p%g)", m, p->revenue_cap_percentile);
        else
            snprintf(b, n, "revenue per customer capped at %s", m);
    } else if (p && p->revenue_cap_note && *p->revenue_cap_note) {
        snprintf(b, n, "no revenue cap (%s)", p->revenue_cap_note);
    } else {
        snprintf(b, n, "no revenue cap");
    }
}

static void build_title(render_doc_t *d)
{
    const Lift__Report *r = d->r;
    const Lift__Provenance *p = r->provenance;
    const Lift__Experiment *e = p ? p->experiment : NULL;
    if (e && e->name && *e->name)
        render_doc_add(d, RENDER_B_TITLE, 0, "Lift report: %s (%s)", render_experiment_key(r),
                       e->name);
    else
        render_doc_add(d, RENDER_B_TITLE, 0, "Lift report: %s", render_experiment_key(r));
    char from[32], to[32], gen[32], cap[400], cu[300];
    render_fmt_time(from, sizeof from, p && p->has_from_ms, p ? p->from_ms : 0);
    render_fmt_time(to, sizeof to, p && p->has_to_ms, p ? p->to_ms : 0);
    render_fmt_time(gen, sizeof gen, p && p->has_generated_ms, p ? p->generated_ms : 0);
    cap_text(d, cap, sizeof cap, p);
    cuped_text(cu, sizeof cu, p);
    int seq = p && p->has_sequential && p->sequential;
    char lvl[16];
    render_ci_level(lvl, sizeof lvl, r);
    render_doc_add(
        d, RENDER_B_SUB, 0,
        "Customers exposed %s to %s UTC (exposure-time window; outcomes from each customer's "
        "exposure to the window end); generated %s UTC; %s intervals, %s; %s; %s; p adj. by "
        "%s within the confirmatory and the exploratory family.",
        from, to, gen, lvl,
        seq ? "always-valid (sequential: safe to read every week)"
            : "fixed-horizon (valid for one pre-planned read)",
        cu, cap, render_adjust_name(r));
}

/* The interval of e contains 0 (1), excludes it (0), or is missing (-1). */
static int ci_has_zero(const Lift__Estimate *e)
{
    if (!render_ci_ok(e))
        return -1;
    return e->ci_low <= 0 && e->ci_high >= 0;
}

static void build_headline(render_doc_t *d)
{
    const Lift__Report *r = d->r;
    render_doc_add(d, RENDER_B_H2, 0, "Headline: incremental revenue vs holdout");
    for (size_t i = 0; i < r->n_comparisons; i++) {
        const Lift__Comparison *c = r->comparisons[i];
        char name[32], tot[96], totci[200], per[96], perci[200], lift[96], liftci[200];
        const char *arm = render_cmp_label(r, c, name, sizeof name);
        render_cell_est(d, tot, sizeof tot, c->incremental_total, RENDER_U_MONEY, 1, 0);
        render_cell_ci(d, totci, sizeof totci, c->incremental_total, RENDER_U_MONEY);
        render_cell_est(d, per, sizeof per, c->revenue_diff, RENDER_U_MONEY, 1, 0);
        render_cell_ci(d, perci, sizeof perci, c->revenue_diff, RENDER_U_MONEY);
        render_cell_est(d, lift, sizeof lift, c->relative_lift, RENDER_U_FRAC, 0, 1);
        render_cell_ci(d, liftci, sizeof liftci, c->relative_lift, RENDER_U_FRAC);
        render_block_t *b =
            render_doc_push(d, RENDER_B_HEADLINE, render_tone_adj(r, c->incremental_total));
        if (b == NULL)
            return;
        char ci1[260] = "", ci2[260] = "", ci3[260] = "", unc[400] = "", pa[96] = "";
        if (*totci)
            snprintf(ci1, sizeof ci1, " (%s %s)", d->ci, totci);
        if (*perci)
            snprintf(ci2, sizeof ci2, " (%s %s)", d->ci, perci);
        if (*liftci)
            snprintf(ci3, sizeof ci3, " (%s %s)", d->ci, liftci);
        if (c->revenue_diff_uncapped) {
            char u[96], uci[200];
            render_cell_est(d, u, sizeof u, c->revenue_diff_uncapped, RENDER_U_MONEY, 1, 0);
            render_cell_ci(d, uci, sizeof uci, c->revenue_diff_uncapped, RENDER_U_MONEY);
            snprintf(unc, sizeof unc, "; uncapped %s%s%s%s", u, *uci ? " (" : "", uci,
                     *uci ? ")" : "");
        }
        char pp[48];
        render_p_phrase(pp, sizeof pp, c->revenue_diff);
        if (render_est_ok(c->revenue_diff) && c->revenue_diff->has_p_adjusted) {
            char q[32];
            const Lift__Estimate *e = c->revenue_diff;
            render_fmt_p(q, sizeof q, e->p_adjusted);
            snprintf(pa, sizeof pa, ", adjusted %s%s%s", q[0] == '<' ? "< " : "",
                     q[0] == '<' ? q + 1 : q,
                     !e->has_family                                        ? ""
                     : e->family == LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY ? " (confirmatory)"
                                                                           : " (exploratory)");
        }
        if (asprintf(&b->text, "%s: incremental revenue %s%s", arm, tot, ci1) < 0 ||
            asprintf(&b->text2, "%s per exposed customer%s%s; lift %s%s; %s%s", per, ci2, unc, lift,
                     ci3, pp, pa) < 0) {
            d->oom = 1;
            return;
        }
        /* lift and incremental test the same hypothesis; when their intervals disagree, say why */
        int zl = ci_has_zero(c->relative_lift), zt = ci_has_zero(c->incremental_total);
        if (zl >= 0 && zt >= 0 && zl != zt)
            render_doc_add(
                d, RENDER_B_NOTE, 0,
                "%s: the relative-lift interval %s 0 while the incremental-revenue interval "
                "%s. Both test \"no revenue difference\"; the lift divides by the holdout's "
                "mean revenue, whose own uncertainty (large when it is small) widens the lift's "
                "interval (delta method). The revenue difference is the test of record.",
                arm, zl ? "includes" : "excludes", zt ? "includes 0" : "does not");
    }
    int seq = r->provenance && r->provenance->has_sequential && r->provenance->sequential;
    if (r->n_comparisons && seq)
        render_doc_add(d, RENDER_B_NOTE, 0,
                       "Intervals are always-valid (sequential): reading them every week does not "
                       "raise the false-positive rate.");
    else if (r->n_comparisons && r->provenance && r->provenance->has_sequential)
        render_doc_add(
            d, RENDER_B_NOTE, 0,
            "Fixed-horizon intervals: valid for one pre-planned read. Reading this report "
            "every week and acting on the first significant week turns 5%% false positives "
            "into 18.7%% over 10 weekly looks (README, \"Why weekly reports use the "
            "sequential interval\").");
}

static void build_arms(render_doc_t *d)
{
    const Lift__Report *r = d->r;
    const Lift__Provenance *p = r->provenance;
    int capped = p && p->has_revenue_cap && isfinite(p->revenue_cap) && p->revenue_cap > 0;
    render_doc_add(d, RENDER_B_H2, 0, "Arms");
    static const char *const hdr[] = {"arm",         "exposed",   "impressed",
                                      "clicks",      "converted", "revenue",
                                      "per exposed", "uncapped",  "conv. rate"};
    /* "uncapped" only when a cap was applied; then clicks (in the funnel) leave the terminal */
    render_tab_t *t = render_tab_new(d, 9, hdr, "lrrrrrrrr", capped ? "s..h....." : "s.......h");
    for (size_t i = 0; i < r->n_arms; i++) {
        const Lift__ArmSummary *a = r->arms[i];
        char name[32], c[8][96];
        const char *label =
            render_arm_label(r, a->has_arm_index ? a->arm_index : (int)i, name, sizeof name);
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
            render_fmt_amount(c[4], sizeof c[4], (double)a->revenue_minor, d->digits, 0);
        else
            render_doc_ne(d, c[4], sizeof c[4], "revenue not reported");
        if (a->has_revenue_per_customer && isfinite(a->revenue_per_customer))
            render_fmt_amount(c[5], sizeof c[5], a->revenue_per_customer, d->digits, 0);
        else
            render_doc_ne(d, c[5], sizeof c[5], "no exposed customers");
        if (capped && a->has_revenue_per_customer_uncapped &&
            isfinite(a->revenue_per_customer_uncapped))
            render_fmt_amount(c[6], sizeof c[6], a->revenue_per_customer_uncapped, d->digits, 0);
        else
            snprintf(c[6], sizeof c[6], "-");
        render_cell_est(d, c[7], sizeof c[7], a->conversion_rate, RENDER_U_FRAC, 0, 0);
        const char *cells[] = {lab, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]};
        render_tab_row(d, t, 0, cells);
    }
    char cap[400];
    cap_text(d, cap, sizeof cap, p);
    if (capped)
        render_doc_add(
            d, RENDER_B_NOTE, 0,
            "Amounts in %s; revenue = upgrades minus refunds after exposure (uncapped sum); "
            "per exposed = mean revenue per exposed customer with the cap applied: %s; "
            "uncapped = the same mean without the cap; conv. rate = converted / exposed.",
            *d->cur ? d->cur : "the report's currency", cap);
    else
        render_doc_add(
            d, RENDER_B_NOTE, 0,
            "Amounts in %s; revenue = upgrades minus refunds after exposure; per exposed = "
            "mean revenue per exposed customer (%s); conv. rate = converted / exposed.",
            *d->cur ? d->cur : "the report's currency", cap);
}

/* The adjusted p cell: render_cell_p's, with the test family's tag (" C", " E") when there is
 * an adjusted p. */
static void cell_p_adj(char *b, size_t n, const Lift__Estimate *e)
{
    render_cell_p(b, n, e, 1);
    if (render_est_ok(e) && e->has_p_adjusted)
        strncat(b, render_fam_tag(e), n - strlen(b) - 1);
}

static int seq_report(const Lift__Report *r)
{
    return r->provenance && r->provenance->has_sequential && r->provenance->sequential;
}

static void build_comparisons(render_doc_t *d)
{
    const Lift__Report *r = d->r;
    const Lift__Provenance *pv = r->provenance;
    int64_t cost = pv && pv->has_cost_per_attempt_minor ? pv->cost_per_attempt_minor : -1;
    static const struct {
        const char *label;
        size_t off;
        render_unit_t unit;
        int sign; /* +1: an increase is good; -1: an increase is bad (churn) */
    } metrics[] = {
        {"revenue per exposed customer", offsetof(Lift__Comparison, revenue_diff), RENDER_U_MONEY,
         1},
        {"  same, uncapped", offsetof(Lift__Comparison, revenue_diff_uncapped), RENDER_U_MONEY, 1},
        {"relative lift", offsetof(Lift__Comparison, relative_lift), RENDER_U_FRAC, 1},
        {"incremental revenue (total)", offsetof(Lift__Comparison, incremental_total),
         RENDER_U_MONEY, 1},
        {"holdout cost (revenue forgone)", offsetof(Lift__Comparison, holdout_cost), RENDER_U_MONEY,
         1},
        {"net of attempt cost", offsetof(Lift__Comparison, net_incremental), RENDER_U_MONEY, 1},
        {"conversion rate", offsetof(Lift__Comparison, conversion_diff), RENDER_U_PP, 1},
        {"churn", offsetof(Lift__Comparison, churn_diff), RENDER_U_PP, -1},
        {"click-through", offsetof(Lift__Comparison, ctr_diff), RENDER_U_PP, 1},
        {"effect on customers who saw it", offsetof(Lift__Comparison, cace), RENDER_U_MONEY, 1},
        {"NPS after exposure (0-10 answers)", offsetof(Lift__Comparison, nps_diff), RENDER_U_NPS,
         1},
        {"pre-exposure revenue (balance)", offsetof(Lift__Comparison, pre_period_diff),
         RENDER_U_MONEY, 0},
    };
    int fixed_any = 0;
    for (size_t i = 0; i < r->n_comparisons; i++) {
        const Lift__Comparison *c = r->comparisons[i];
        char name[32];
        const char *arm = render_cmp_label(r, c, name, sizeof name);
        char hold[32];
        render_doc_add(d, RENDER_B_H3, 0, "%s vs %s (difference)", arm,
                       render_arm_label(r, 0, hold, sizeof hold));
        const char *const hdr[] = {"metric", "estimate", d->ci, "p", "p adj."};
        render_tab_t *t = render_tab_new(d, 5, hdr, "lrrrr", "s....");
        for (size_t m = 0; m < sizeof metrics / sizeof metrics[0]; m++) {
            const Lift__Estimate *e = *(Lift__Estimate *const *)((const char *)c + metrics[m].off);
            if (e == NULL)
                continue;
            char v[96], ci[200], p[32], pa[40], label[96];
            render_cell_est(d, v, sizeof v, e, metrics[m].unit, metrics[m].unit == RENDER_U_MONEY,
                            metrics[m].unit != RENDER_U_MONEY);
            render_cell_ci(d, ci, sizeof ci, e, metrics[m].unit);
            render_cell_p(p, sizeof p, e, 0);
            cell_p_adj(pa, sizeof pa, e);
            snprintf(label, sizeof label, "%s", metrics[m].label);
            if (metrics[m].off == offsetof(Lift__Comparison, net_incremental) && cost == 0)
                snprintf(label, sizeof label, "net of attempt cost (cost 0: = total)");
            /* fixed-horizon rows in a sequential report are marked */
            if (seq_report(r) && render_est_ok(e) && e->has_sequential && !e->sequential) {
                strncat(label, " †", sizeof label - strlen(label) - 1);
                fixed_any = 1;
            }
            const char *cells[] = {label, v, ci, p, pa};
            render_tab_row(d, t, metrics[m].sign * render_tone_adj(r, e), cells);
        }
        if (c->has_cuped && c->cuped) {
            char vr[32] = "";
            if (c->has_variance_reduction && isfinite(c->variance_reduction))
                render_fmt_pct(vr, sizeof vr, c->variance_reduction, 0, "%");
            render_doc_add(d, RENDER_B_NOTE, 0,
                           "CUPED (pre-exposure revenue) applied to revenue and lift%s%s.",
                           *vr ? ": variance reduced by " : "", vr);
        } else if (c->cuped_note && *c->cuped_note) {
            render_doc_add(d, RENDER_B_NOTE, 0, "CUPED requested, not applied to this arm: %s.",
                           c->cuped_note);
        }
    }
    if (r->n_comparisons == 0)
        return;
    char costs[96] = "";
    if (cost > 0) {
        char m[64];
        render_fmt_money(m, sizeof m, (double)cost, d->cur, 0);
        snprintf(costs, sizeof costs, "%s per impression", m);
    }
    const Lift__Testing *tg = r->testing;
    render_doc_add(
        d, RENDER_B_NOTE, 0,
        "Holdout cost = revenue forgone by holding customers out (difference x holdout "
        "customers). Net of attempt cost = incremental total minus %s. Effect on customers "
        "who saw it = the difference divided by the impression-rate difference (CACE). "
        "Pre-exposure revenue is a balance check: randomization makes it 0 in expectation.",
        cost > 0    ? costs
        : cost == 0 ? "the cost per attempt, which is 0 here (none set: net = total)"
                    : "cost per attempt x impressions");
    if (tg && tg->has_confirmatory_tests)
        render_doc_add(
            d, RENDER_B_NOTE, 0,
            "p adj. = %s within two families. C = confirmatory: the primary metric (%s), one "
            "test per treatment arm (%u test%s); it never depends on the segments asked for. "
            "E = exploratory: the other metrics and every segment level (%u tests). Estimates "
            "of one hypothesis (a difference, its total, holdout cost, relative lift, CACE) "
            "share one adjusted p. Colour only when the adjusted p is below alpha.",
            render_adjust_name(r),
            tg->has_primary_metric ? lift_metric_name(tg->primary_metric) : "revenue",
            tg->confirmatory_tests, tg->confirmatory_tests == 1 ? "" : "s", tg->exploratory_tests);
    if (fixed_any)
        render_doc_add(d, RENDER_B_NOTE, 0,
                       "† fixed-horizon interval and p-value (not always-valid).");
}

static void build_funnel(render_doc_t *d)
{
    const Lift__Report *r = d->r;
    render_doc_add(d, RENDER_B_H2, 0, "Funnel");
    render_doc_add(d, RENDER_B_CHART, RENDER_CHART_FUNNEL, NULL);
    static const char *const hdr[] = {"arm", "impression rate", "click-through",
                                      "conv. per impression", "revenue per attempt"};
    render_tab_t *t = render_tab_new(d, 5, hdr, "lrrrr", "s....");
    for (size_t i = 0; i < r->n_comparisons; i++) {
        const Lift__Comparison *c = r->comparisons[i];
        const Lift__Funnel *fu = c->funnel;
        char name[32], v[4][96];
        const char *arm = render_cmp_label(r, c, name, sizeof name);
        if (fu && fu->has_impression_rate && isfinite(fu->impression_rate))
            render_fmt_pct(v[0], sizeof v[0], fu->impression_rate, 0, "%");
        else
            render_doc_ne(d, v[0], sizeof v[0], "no exposed customers in the arm");
        if (fu && fu->has_click_through && isfinite(fu->click_through))
            render_fmt_pct(v[1], sizeof v[1], fu->click_through, 0, "%");
        else
            render_doc_ne(d, v[1], sizeof v[1], "no impressions in the arm");
        if (fu && fu->has_conversion_per_impression && isfinite(fu->conversion_per_impression))
            render_fmt_pct(v[2], sizeof v[2], fu->conversion_per_impression, 0, "%");
        else
            render_doc_ne(d, v[2], sizeof v[2], "no impressions in the arm");
        if (fu && fu->has_revenue_per_attempt && isfinite(fu->revenue_per_attempt))
            render_fmt_money(v[3], sizeof v[3], fu->revenue_per_attempt, d->cur, 0);
        else
            render_doc_ne(d, v[3], sizeof v[3], "no impressions in the arm");
        const char *cells[] = {arm, v[0], v[1], v[2], v[3]};
        render_tab_row(d, t, 0, cells);
    }
    render_doc_add(d, RENDER_B_NOTE, 0,
                   "Impression rate = treated customers who saw an offer / exposed customers; "
                   "click-through = clicks / impressions; conv. per impression = conversions / "
                   "impressions; revenue per attempt = incremental revenue / impressions.");
}

/* "a … b" of an interval in whole currency units, "" when the estimate is n/e. */
static void cell_ci_whole(render_doc_t *d, char *b, size_t n, const Lift__Estimate *e)
{
    if (render_ci_cell_blank(d, b, n, e))
        return;
    char lo[96], hi[96];
    render_fmt_val(lo, sizeof lo, e->ci_low, RENDER_U_WHOLE, NULL, d->digits, 0);
    render_fmt_val(hi, sizeof hi, e->ci_high, RENDER_U_WHOLE, NULL, d->digits, 0);
    snprintf(b, n, "%s … %s", lo, hi);
}

static void build_heterogeneity(render_doc_t *d, int dim, int arm, const char *armname)
{
    const Lift__Report *r = d->r;
    for (size_t i = 0; i < r->n_heterogeneity; i++) {
        const Lift__Heterogeneity *h = r->heterogeneity[i];
        if ((int)h->dimension != dim || (h->has_arm_index && h->arm_index != arm))
            continue;
        if (!(h->has_ok && h->ok) || !isfinite(h->q) || !isfinite(h->p_value)) {
            render_doc_add(
                d, RENDER_B_NOTE, 0, "Heterogeneity across %s levels (%s): not estimable (%s).",
                render_dimension_name(dim), armname, h->reason && *h->reason ? h->reason : "?");
            continue;
        }
        char p[32], i2[32];
        render_fmt_p(p, sizeof p, h->p_value);
        render_fmt_pct(i2, sizeof i2, h->i2, 0, "%");
        render_doc_add(
            d, RENDER_B_NOTE, 0,
            "Heterogeneity across %u %s levels (%s): Cochran's Q = %.2f on %g df, p %s%s, "
            "I² = %s, τ² = %.4g — %s",
            h->levels, render_dimension_name(dim), armname, h->q, h->df, p[0] == '<' ? "" : "= ", p,
            i2, h->tau2,
            h->p_value < render_alpha_of(r)
                ? "the effect differs across levels."
                : "no evidence that the effect differs across levels: read the shrunken "
                  "column, not the raw ranking.");
    }
}

/* One segment group's heading, table and heterogeneity line (a render_group_fn). */
static int build_segment_group(void *arg, int dim, int arm, const render_segrow_t *rows, size_t n)
{
    render_doc_t *d = arg;
    const Lift__Report *r = d->r;
    char name[32], hold[32];
    const char *armname = render_arm_label(r, arm, name, sizeof name);
    render_doc_add(d, RENDER_B_H3, 0, "By %s: %s vs %s", render_dimension_name(dim), armname,
                   render_arm_label(r, 0, hold, sizeof hold));
    const char *const hdr[] = {
        "level",       "exposed T/H", "converters T/H", "per exposed", d->ci,
        "incremental", d->ci,         "shrunken",       d->ci,         "p adj."};
    render_tab_t *t = render_tab_new(d, 10, hdr, "lrrrrrrrrr", "s.hhh.....");
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
        render_cell_est(d, v, sizeof v, c->revenue_diff, RENDER_U_MONEY, 0, 0);
        render_cell_ci(d, ci, sizeof ci, c->revenue_diff, RENDER_U_MONEY);
        if (render_est_ok(c->revenue_diff))
            render_cell_est(d, tot, sizeof tot, c->incremental_total, RENDER_U_WHOLE, 0, 0);
        else
            render_cell_est(d, tot, sizeof tot, c->revenue_diff, RENDER_U_WHOLE, 0, 0);
        cell_ci_whole(d, tci, sizeof tci,
                      render_est_ok(c->revenue_diff) ? c->incremental_total : NULL);
        if (c->incremental_total_shrunk) {
            render_cell_est(d, sh, sizeof sh, c->incremental_total_shrunk, RENDER_U_WHOLE, 0, 0);
            cell_ci_whole(d, sci, sizeof sci, c->incremental_total_shrunk);
        } else {
            snprintf(sh, sizeof sh, "-");
            sci[0] = '\0';
        }
        cell_p_adj(pa, sizeof pa, c->revenue_diff);
        const char *cells[] = {
            s->level && *s->level ? s->level : "(none)", ex, cv, v, ci, tot, tci, sh, sci, pa};
        render_tab_row(d, t, render_tone_adj(r, c->revenue_diff), cells);
    }
    build_heterogeneity(d, dim, arm, armname);
    return 0;
}

static void build_segments(render_doc_t *d)
{
    const Lift__Report *r = d->r;
    if (r->n_segments == 0)
        return;
    int shrunk = 0;
    for (size_t i = 0; i < r->n_segments; i++)
        for (size_t j = 0; j < r->segments[i]->n_comparisons; j++)
            shrunk |= r->segments[i]->comparisons[j]->incremental_total_shrunk != NULL;
    render_doc_add(d, RENDER_B_H2, 0,
                   shrunk ? "Segments (sorted by shrunken incremental revenue)"
                          : "Segments (sorted by incremental revenue)");
    render_doc_add(d, RENDER_B_CHART, RENDER_CHART_FOREST, NULL);
    render_segment_groups(r, build_segment_group, d);
    render_doc_add(
        d, RENDER_B_NOTE, 0,
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
        render_adjust_name(r));
}

static void build_weekly(render_doc_t *d)
{
    const Lift__Report *r = d->r;
    if (r->n_weekly == 0)
        return;
    render_doc_add(d, RENDER_B_H2, 0, "Cumulative by week");
    render_doc_add(d, RENDER_B_CHART, RENDER_CHART_WEEKLY, NULL);
    render_doc_add(d, RENDER_B_CHART, RENDER_CHART_WEEKLY_INC, NULL);
    const char *const hdr[] = {"week", "exposed", "arm", "lift", d->ci, "incremental", d->ci};
    render_tab_t *t = render_tab_new(d, 7, hdr, "lrlrrrr", "..s....");
    for (size_t i = 0; i < r->n_weekly; i++) {
        const Lift__WeekPoint *w = r->weekly[i];
        char ex[32];
        render_fmt_count(ex, sizeof ex, w->exposed);
        for (size_t j = 0; j < w->n_comparisons; j++) {
            const Lift__Comparison *c = w->comparisons[j];
            char name[32], l[96], lci[200], tot[96], tci[200];
            render_cell_est(d, l, sizeof l, c->relative_lift, RENDER_U_FRAC, 0, 1);
            render_cell_ci(d, lci, sizeof lci, c->relative_lift, RENDER_U_FRAC);
            render_cell_est(d, tot, sizeof tot, c->incremental_total, RENDER_U_MONEY, 0, 0);
            render_cell_ci(d, tci, sizeof tci, c->incremental_total, RENDER_U_MONEY);
            const char *cells[] = {j == 0 ? (w->week ? w->week : "?") : "",
                                   j == 0 ? ex : "",
                                   render_cmp_label(r, c, name, sizeof name),
                                   l,
                                   lci,
                                   tot,
                                   tci};
            render_tab_row(d, t, render_tone_of(c->incremental_total), cells);
        }
    }
    render_doc_add(
        d, RENDER_B_NOTE, 0,
        "Cumulative from the start to the end of each ISO week (customers exposed before the "
        "week's end); %s, amounts in %s. Lift and incremental revenue test the same "
        "hypothesis, but the lift's interval also carries the uncertainty of the holdout's "
        "mean it divides by: when that mean is small the lift's interval can include 0 while "
        "the incremental interval does not — the revenue difference is the test of record.",
        d->ci, *d->cur ? d->cur : "minor units");
}

static void retention_cell(render_doc_t *d, char *b, size_t n, const Lift__RetentionPoint *p)
{
    if (p == NULL || !(p->has_ok && p->ok) || !p->has_survival || !isfinite(p->survival)) {
        render_doc_ne(d, b, n, p && p->reason && *p->reason ? p->reason : "too few upgraders");
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

static void build_retention(render_doc_t *d)
{
    const Lift__Report *r = d->r;
    int any = 0;
    for (size_t i = 0; i < r->n_comparisons; i++)
        any |= r->comparisons[i]->n_retention_treated || r->comparisons[i]->n_retention_organic ||
               r->comparisons[i]->churn_diff;
    if (!any)
        return;
    render_doc_add(d, RENDER_B_H2, 0, "Retention after upgrade");
    static const char *const hdr[] = {"arm", "days", "treated upgraders", "organic upgraders"};
    render_tab_t *t = render_tab_new(d, 4, hdr, "lrrr", "s...");
    for (size_t i = 0; i < r->n_comparisons; i++) {
        const Lift__Comparison *c = r->comparisons[i];
        char name[32];
        const char *arm = render_cmp_label(r, c, name, sizeof name);
        size_t n = c->n_retention_treated > c->n_retention_organic ? c->n_retention_treated
                                                                   : c->n_retention_organic;
        for (size_t k = 0; k < n; k++) {
            const Lift__RetentionPoint *pt =
                k < c->n_retention_treated ? c->retention_treated[k] : NULL;
            const Lift__RetentionPoint *po =
                k < c->n_retention_organic ? c->retention_organic[k] : NULL;
            char days[16], a[160], b[160];
            unsigned dd = pt && pt->has_days ? pt->days : po && po->has_days ? po->days : 0;
            snprintf(days, sizeof days, "%u", dd);
            retention_cell(d, a, sizeof a, pt);
            retention_cell(d, b, sizeof b, po);
            const char *cells[] = {k == 0 ? arm : "", days, a, b};
            render_tab_row(d, t, 0, cells);
        }
    }
    render_doc_add(
        d, RENDER_B_NOTE, 0,
        "Share of upgraders still subscribed N days after upgrading (interval, customers at "
        "risk); treated = upgraders in the arm, organic = upgraders in the holdout. The churn "
        "difference for all exposed customers is in the comparison tables above.");
}

static void build_nps(render_doc_t *d)
{
    const Lift__Report *r = d->r;
    int any = 0;
    for (size_t i = 0; i < r->n_arms; i++)
        any |= r->arms[i]->nps_before || r->arms[i]->nps_after || r->arms[i]->nps_change;
    if (!any)
        return;
    render_doc_add(d, RENDER_B_H2, 0, "NPS before and after exposure");
    const char *const hdr[] = {"arm",     "before",        "answers", "after",
                               "answers", "paired change", d->ci,     "customers"};
    render_tab_t *t = render_tab_new(d, 8, hdr, "lrrrrrrr", "s.......");
    for (size_t i = 0; i < r->n_arms; i++) {
        const Lift__ArmSummary *a = r->arms[i];
        char name[32], b[96], af[96], ch[96], ci[200], nb[32], nf[32], np[32];
        render_cell_est(d, b, sizeof b, a->nps_before, RENDER_U_NPS, 0, 0);
        render_cell_est(d, af, sizeof af, a->nps_after, RENDER_U_NPS, 0, 0);
        render_cell_est(d, ch, sizeof ch, a->nps_change, RENDER_U_NPS, 0, 1);
        render_cell_ci(d, ci, sizeof ci, a->nps_change, RENDER_U_NPS);
        if (a->has_nps_before_n)
            render_fmt_count(nb, sizeof nb, a->nps_before_n);
        else
            snprintf(nb, sizeof nb, "-");
        if (a->has_nps_after_n)
            render_fmt_count(nf, sizeof nf, a->nps_after_n);
        else
            snprintf(nf, sizeof nf, "-");
        if (a->has_nps_pairs)
            render_fmt_count(np, sizeof np, a->nps_pairs);
        else
            snprintf(np, sizeof np, "-");
        const char *cells[] = {
            render_arm_label(r, a->has_arm_index ? a->arm_index : (int)i, name, sizeof name),
            b,
            nb,
            af,
            nf,
            ch,
            ci,
            np};
        render_tab_row(d, t, 0, cells);
    }
    /* the between-arm difference: the comparison that answers "did the offer move NPS?" */
    int nd = 0;
    for (size_t i = 0; i < r->n_comparisons; i++)
        nd |= r->comparisons[i]->nps_diff != NULL;
    if (nd) {
        const char *const h2[] = {"arm vs holdout", "NPS after, difference", d->ci, "p", "p adj."};
        render_tab_t *t2 = render_tab_new(d, 5, h2, "lrrrr", "s....");
        for (size_t i = 0; i < r->n_comparisons; i++) {
            const Lift__Comparison *c = r->comparisons[i];
            if (!c->nps_diff)
                continue;
            char name[32], v[96], ci[200], p[32], pa[40];
            render_cell_est(d, v, sizeof v, c->nps_diff, RENDER_U_NPS, 0, 1);
            render_cell_ci(d, ci, sizeof ci, c->nps_diff, RENDER_U_NPS);
            render_cell_p(p, sizeof p, c->nps_diff, 0);
            cell_p_adj(pa, sizeof pa, c->nps_diff);
            const char *cells[] = {render_cmp_label(r, c, name, sizeof name), v, ci, p, pa};
            render_tab_row(d, t2, render_tone_adj(r, c->nps_diff), cells);
        }
    }
    render_doc_add(
        d, RENDER_B_NOTE, 0,
        "Answers are 0-10 scores; NPS = %% promoters (9-10) - %% detractors (0-6), on "
        "-100..100. Before = each customer's last answer in the lookback before exposure; "
        "after = the first answer after exposure. Paired change = after - before for the "
        "customers who answered both only, so it need not equal the difference of the before "
        "and after columns (other customers). The offer's effect is the difference in NPS "
        "after exposure between the arm and the holdout.");
}

static void build_provenance(render_doc_t *d)
{
    const Lift__Report *r = d->r;
    const Lift__Provenance *p = r->provenance;
    render_doc_add(d, RENDER_B_H2, 2,
                   "Provenance"); /* level 2: HTML puts the rest into a <footer> */
    static const char *const hdr[] = {"item", "value"};
    render_tab_t *t = render_tab_new(d, 2, hdr, "ll", ".s");
    if (p == NULL) {
        const char *cells[] = {"provenance", "not reported by the server"};
        render_tab_row(d, t, 0, cells);
        return;
    }
    const Lift__Experiment *e = p->experiment;
    char v[512], a[64], b[64];
#define ROW(label)                                                                                 \
    do {                                                                                           \
        const char *cells_[] = {label, v};                                                         \
        render_tab_row(d, t, 0, cells_);                                                           \
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
    render_fmt_time(a, sizeof a, p->has_from_ms, p->from_ms);
    render_fmt_time(b, sizeof b, p->has_to_ms, p->to_ms);
    snprintf(v, sizeof v,
             "customers exposed %s to %s UTC (end excluded; exposure time = trigger time); "
             "outcomes from each customer's exposure to the window end",
             a, b);
    ROW("exposure window");
    render_fmt_time(a, sizeof a, p->has_generated_ms, p->generated_ms);
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
                 render_alpha_of(r), p->has_n_star ? p->n_star : 0.0, cu);
    else
        snprintf(v, sizeof v, "alpha %g; fixed-horizon intervals (sequential off); %s",
                 render_alpha_of(r), cu);
    ROW("analysis");
    {
        const Lift__Testing *tg = r->testing;
        if (tg && tg->has_confirmatory_tests)
            snprintf(v, sizeof v,
                     "%s within each family: confirmatory = primary metric %s (%u test%s), "
                     "exploratory = other metrics and segments (%u tests)",
                     render_adjust_name(r),
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
static void build_program(render_doc_t *d)
{
    const Lift__Program *p = d->r->program;
    if (p == NULL)
        return;
    char held[32], meas[32], pop[32];
    render_fmt_count(held, sizeof held, p->held_out);
    render_fmt_count(meas, sizeof meas, p->measured);
    render_fmt_count(pop, sizeof pop, (uint64_t)(p->treated_population + 0.5));
    double pct = p->holdout ? p->holdout->percent : 0;
    render_doc_add(d, RENDER_B_H2, 0, "Program holdout");
    render_doc_add(
        d, RENDER_B_PARA, 0,
        "Design: %s. Held out: %s customers (%g%% of the hash range); measurement slice: %s "
        "customers (the next %g%%); program-eligible treated customers, estimated: %s "
        "(measured x (100 - %g) / %g).",
        p->design ? p->design : "-", held, pct, meas, pct, pop, pct, pct);
    const char *const hdr[] = {"program estimate", "estimate", d->ci};
    render_tab_t *t = render_tab_new(d, 3, hdr, "lrr", "s..");
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
        if (rows[i].e == NULL)
            continue;
        char v[96], ci[200];
        render_cell_est(d, v, sizeof v, rows[i].e, RENDER_U_MONEY, 0, 1);
        render_cell_ci(d, ci, sizeof ci, rows[i].e, RENDER_U_MONEY);
        const char *cells[] = {rows[i].name, v, ci};
        render_tab_row(d, t, i < 2 ? render_tone_of(rows[i].e) : 0, cells);
    }
    if (p->n_linked) {
        const char *const lh[] = {"linked experiment", "own incremental revenue", d->ci};
        render_tab_t *lt = render_tab_new(d, 3, lh, "lrr", "s..");
        for (size_t i = 0; i < p->n_linked; i++) {
            const Lift__LinkedEstimate *l = p->linked[i];
            char v[96], ci[200];
            render_cell_est(d, v, sizeof v, l->incremental_total, RENDER_U_MONEY, 0, 1);
            render_cell_ci(d, ci, sizeof ci, l->incremental_total, RENDER_U_MONEY);
            const char *cells[] = {l->experiment_key ? l->experiment_key : "?", v, ci};
            render_tab_row(d, lt, 0, cells);
        }
    }
    render_doc_add(
        d, RENDER_B_NOTE, 0,
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

int render_build_doc(render_doc_t *d, const Lift__Report *r)
{
    memset(d, 0, sizeof *d);
    d->r = r;
    snprintf(d->cur, sizeof d->cur, "%s", render_currency(r));
    d->digits = render_money_digits(d->cur);
    render_ci_label(d->ci, sizeof d->ci, r);
    build_title(d);
    render_doc_add(d, RENDER_B_H2, 1,
                   "Warnings"); /* level 1: HTML draws its own box title instead */
    size_t before = d->n;
    build_warnings(d);
    if (d->n == before) { /* no health section at all: drop the heading */
        free(d->b[--d->n].text);
    }
    if (!render_has_data(r)) {
        render_doc_add(
            d, RENDER_B_NODATA, 0,
            "No data: no customers were exposed to this experiment in the window, so there "
            "is nothing to estimate yet.");
    } else {
        build_program(d);
        if (r->n_comparisons == 0)
            render_doc_add(
                d, RENDER_B_NODATA, 0,
                "No treatment-vs-holdout comparison in this report (only one arm has data).");
        else if (!r->program)
            build_headline(d);
        build_arms(d);
        build_comparisons(d);
        if (r->n_comparisons && !r->program)
            build_funnel(d); /* impressions are the linked
                                                               * experiments', not the holdout's */
        build_segments(d);
        build_weekly(d);
        build_retention(d);
        build_nps(d);
    }
    if (d->nnotes) {
        render_doc_add(d, RENDER_B_H2, 0, "Notes");
        for (size_t i = 0; i < d->nnotes; i++)
            render_doc_add(d, RENDER_B_NOTE, 1, "[%zu] n/e = not estimable: %s", i + 1,
                           d->notes[i]);
    }
    build_provenance(d);
    if (d->oom) {
        render_doc_clear(d);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}
