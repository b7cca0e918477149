/* report_msg: see report_msg.h. Every message and string lives in the builder's arena; the
 * strings of reasons are literals or arena copies, never borrowed from the request. */
#include "report_msg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void report_msg_fini(report_msg_t *b)
{
    for (int f = 0; f < REPORT_FAM_N; f++) {
        free(b->fam[f]);
        b->fam[f] = NULL;
        b->n_fam[f] = b->cap_fam[f] = 0;
    }
}

Lift__Estimate *report_msg_fail(report_msg_t *b, const char *reason)
{
    Lift__Estimate *e = ARENA_NEW(b->a, Lift__Estimate, LIFT__ESTIMATE__INIT);
    if (!e) {
        b->oom = 1;
        return NULL;
    }
    e->has_ok = 1;
    e->ok = 0;
    e->reason = (char *)reason;
    return e;
}

Lift__Estimate *report_msg_est(report_msg_t *b, const lift_estimate_t *s, int seq)
{
    if (s->status != LIFT_STAT_OK)
        return report_msg_fail(b, s->reason && *s->reason ? s->reason : "not estimable");
    if (!isfinite(s->estimate) || !isfinite(s->se) || !isfinite(s->ci_low) ||
        !isfinite(s->ci_high) || !isfinite(s->p_value))
        return report_msg_fail(b, "numerical failure");
    Lift__Estimate *e = ARENA_NEW(b->a, Lift__Estimate, LIFT__ESTIMATE__INIT);
    if (!e) {
        b->oom = 1;
        return NULL;
    }
    e->has_ok = e->ok = 1;
    e->has_estimate = e->has_se = e->has_ci_low = e->has_ci_high = e->has_p_value = 1;
    e->estimate = s->estimate;
    e->se = s->se;
    e->ci_low = s->ci_low;
    e->ci_high = s->ci_high;
    e->p_value = s->p_value;
    e->has_sequential = 1;
    e->sequential = seq && b->o->sequential;
    return e;
}

/* Adds one hypothesis to family f when its test of record e[0] is OK; e[1..] (NULL-terminated,
 * at most REPORT_FAM_EST in all) show the same adjusted p-value. */
void report_msg_family(report_msg_t *b, int f, Lift__Estimate *const *e)
{
    if (!e[0] || !e[0]->ok || !e[0]->has_p_value)
        return;
    if (b->n_fam[f] == b->cap_fam[f]) {
        size_t cap = b->cap_fam[f] ? 2 * b->cap_fam[f] : 64;
        report_fam_t *v = realloc(b->fam[f], cap * sizeof *v);
        if (!v) {
            b->oom = 1;
            return;
        }
        b->fam[f] = v;
        b->cap_fam[f] = cap;
    }
    report_fam_t *t = &b->fam[f][b->n_fam[f]++];
    memset(t, 0, sizeof *t);
    t->p = e[0]->p_value;
    for (int i = 0; i < REPORT_FAM_EST && e[i]; i++)
        t->e[i] = e[i];
}

/* Adjusts each family's p-values (BH or Holm, the request's choice) and labels the estimates. */
void report_msg_adjust(report_msg_t *b)
{
    for (int f = 0; f < REPORT_FAM_N; f++) {
        size_t m = b->n_fam[f];
        if (m == 0)
            continue;
        double *p = malloc(m * sizeof *p);
        if (!p) {
            b->oom = 1;
            return;
        }
        for (size_t i = 0; i < m; i++)
            p[i] = b->fam[f][i].p;
        lift_result_t r = b->o->adjust == LIFT__ADJUSTMENT__ADJUSTMENT_HOLM
                              ? lift_holm_adjust(p, m, p)
                              : lift_bh_adjust(p, m, p);
        for (size_t i = 0; i < m; i++)
            for (int j = 0; j < REPORT_FAM_EST; j++) {
                Lift__Estimate *e = b->fam[f][i].e[j];
                if (e && e->ok && r.status == LIFT_STAT_OK && isfinite(p[i])) {
                    e->has_p_adjusted = 1;
                    e->p_adjusted = p[i];
                    e->has_family = 1;
                    e->family = f == REPORT_FAM_CONF ? LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY
                                                     : LIFT__TEST_FAMILY__FAMILY_EXPLORATORY;
                }
            }
        free(p);
    }
}

const char *report_msg_arm_name(const Lift__Experiment *exp, size_t i)
{
    return i < exp->n_arms && exp->arms[i] && exp->arms[i]->name ? exp->arms[i]->name : "";
}

/* An empty comparison of arm `arm` (index and name set); NULL when out of memory. */
static Lift__Comparison *comparison_of(report_msg_t *b, const Lift__Experiment *exp, size_t arm)
{
    Lift__Comparison *m = ARENA_NEW(b->a, Lift__Comparison, LIFT__COMPARISON__INIT);
    if (!m) {
        b->oom = 1;
        return NULL;
    }
    m->has_arm_index = 1;
    m->arm_index = (int32_t)arm;
    m->arm_name = (char *)report_msg_arm_name(exp, arm);
    return m;
}

/* Core comparison (revenue_diff, relative_lift, incremental_total, conversion_diff), used by
 * segments and, with more fields, by the top level. */
Lift__Comparison *report_msg_comparison(report_msg_t *b, const Lift__Experiment *exp, size_t arm,
                                        const report_revcmp_t *rc, const lift_estimate_t *conv)
{
    Lift__Comparison *m = comparison_of(b, exp, arm);
    if (!m)
        return NULL;
    m->revenue_diff = report_msg_est(b, &rc->diff, 1);
    m->relative_lift = report_msg_est(b, &rc->lift, 1);
    m->incremental_total = report_msg_est(b, &rc->total, 1);
    m->has_cuped = 1;
    m->cuped = rc->cuped;
    if (!rc->cuped && b->o->cuped && rc->cuped_why)
        m->cuped_note = (char *)rc->cuped_why;
    if (rc->cuped) {
        m->has_variance_reduction = 1;
        m->variance_reduction = rc->vr;
    }
    if (conv)
        m->conversion_diff = report_msg_est(b, conv, 1); /* always-valid when sequential */
    return m;
}

/* A comparison whose estimates all say `reason` (a too-small segment). */
Lift__Comparison *report_msg_failed_comparison(report_msg_t *b, const Lift__Experiment *exp,
                                               size_t arm, const char *reason)
{
    Lift__Comparison *m = comparison_of(b, exp, arm);
    if (!m)
        return NULL;
    m->revenue_diff = report_msg_fail(b, reason);
    m->relative_lift = report_msg_fail(b, reason);
    m->incremental_total = report_msg_fail(b, reason);
    m->conversion_diff = report_msg_fail(b, reason);
    return m;
}

Lift__RetentionPoint **report_msg_retention(report_msg_t *b, const double *time, const int *event,
                                            size_t n, size_t *n_out)
{
    const report_opts_t *o = b->o;
    double hz[REPORT_MAX_RETENTION];
    lift_km_point_t pts[REPORT_MAX_RETENTION];
    for (size_t i = 0; i < o->n_ret; i++)
        hz[i] = (double)o->ret_days[i];
    lift_result_t r = {LIFT_STAT_NOT_ESTIMABLE, "no upgraders"};
    if (n > 0)
        r = lift_km(time, event, n, hz, o->n_ret, o->alpha, pts);
    Lift__RetentionPoint **v = arena_zalloc(b->a, o->n_ret * sizeof *v);
    if (!v) {
        b->oom = 1;
        return NULL;
    }
    for (size_t i = 0; i < o->n_ret; i++) {
        Lift__RetentionPoint *p =
            ARENA_NEW(b->a, Lift__RetentionPoint, LIFT__RETENTION_POINT__INIT);
        if (!p) {
            b->oom = 1;
            return NULL;
        }
        p->has_days = 1;
        p->days = o->ret_days[i];
        p->has_ok = 1;
        const lift_km_point_t *k = &pts[i];
        if (n > 0 && r.status == LIFT_STAT_OK && k->status == LIFT_STAT_OK &&
            isfinite(k->survival) && isfinite(k->ci_low) && isfinite(k->ci_high)) {
            p->ok = 1;
            p->has_survival = p->has_ci_low = p->has_ci_high = p->has_at_risk = 1;
            p->survival = k->survival;
            p->ci_low = k->ci_low;
            p->ci_high = k->ci_high;
            p->at_risk = (uint64_t)(k->n_risk > 0 ? k->n_risk : 0);
        } else {
            p->ok = 0;
            p->reason = (char *)(n == 0                     ? "no upgraders in this group"
                                 : r.status != LIFT_STAT_OK ? r.reason
                                 : k->reason && *k->reason  ? k->reason
                                                            : "not estimable");
        }
        v[i] = p;
    }
    *n_out = o->n_ret;
    return v;
}

int report_msg_srm(Lift__Srm *sm, const lift_srm_t *sr)
{
    sm->has_skipped = sm->has_mismatch = 1;
    sm->skipped = sr->status != LIFT_STAT_OK;
    if (sr->status != LIFT_STAT_OK || !isfinite(sr->chi2) || !isfinite(sr->p_value))
        return 0;
    sm->has_chi2 = sm->has_p_value = 1;
    sm->chi2 = sr->chi2;
    sm->p_value = sr->p_value;
    sm->mismatch = sr->mismatch;
    return 1;
}

void report_msg_warn(report_msg_t *b, int prio, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    int slot = prio * 2;
    if (b->warn[slot])
        slot++;
    if (b->warn[slot])
        return;
    b->warn[slot] = arena_strdup(b->a, buf);
    if (!b->warn[slot])
        b->oom = 1;
}

int report_msg_warnings(report_msg_t *b, Lift__Health *hl)
{
    int nw = 0;
    for (int i = 0; i < REPORT_W_MAX * 2; i++)
        nw += b->warn[i] != NULL;
    if (nw == 0)
        return 0;
    hl->warnings = arena_zalloc(b->a, (size_t)nw * sizeof *hl->warnings);
    if (!hl->warnings) {
        b->oom = 1;
        return -1;
    }
    for (int i = 0; i < REPORT_W_MAX * 2; i++)
        if (b->warn[i])
            hl->warnings[hl->n_warnings++] = b->warn[i];
    return 0;
}
