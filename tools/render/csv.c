/* render/csv: one CSV row per (segment, metric, arm) (render_csv and its pieces), written
 * straight from the message. It uses no document model. */

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

void render_csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int render_csv_header(FILE *f, int with_key)
{
    if (with_key)
        fputs("experiment_key,", f);
    fputs("segment_dimension,segment_level,metric,arm_index,arm_name,estimate,ci_low,ci_high,"
          "p_value,p_adjusted,ok,reason,family\n",
          f);
    return ferror(f) ? -1 : 0;
}

/* The experiment_key column, when the file has one (key not NULL). */
static void csv_key(FILE *f, const char *key)
{
    if (key == NULL)
        return;
    render_csv_field(f, key);
    fputc(',', f);
}

/* The estimate, interval bounds, p-value and adjusted p-value of e as exact decimals; "" for
 * each one e lacks, and for all of them when e is not ok. */
static void csv_values(char v[5][40], const Lift__Estimate *e, int ok)
{
    render_fmt_exact(v[0], sizeof v[0], ok ? e->estimate : NAN);
    render_fmt_exact(v[1], sizeof v[1], ok && e->has_ci_low ? e->ci_low : NAN);
    render_fmt_exact(v[2], sizeof v[2], ok && e->has_ci_high ? e->ci_high : NAN);
    render_fmt_exact(v[3], sizeof v[3], ok && e->has_p_value ? e->p_value : NAN);
    render_fmt_exact(v[4], sizeof v[4], ok && e->has_p_adjusted ? e->p_adjusted : NAN);
}

static void csv_comparison(FILE *f, const Lift__Report *r, const char *key, const char *dim,
                           const char *level, const Lift__Comparison *c)
{
    static const struct {
        const char *name;
        size_t off;
    } metrics[] = {
        {"revenue_diff", offsetof(Lift__Comparison, revenue_diff)},
        {"relative_lift", offsetof(Lift__Comparison, relative_lift)},
        {"incremental_total", offsetof(Lift__Comparison, incremental_total)},
        {"holdout_cost", offsetof(Lift__Comparison, holdout_cost)},
        {"net_incremental", offsetof(Lift__Comparison, net_incremental)},
        {"conversion_diff", offsetof(Lift__Comparison, conversion_diff)},
        {"churn_diff", offsetof(Lift__Comparison, churn_diff)},
        {"cace", offsetof(Lift__Comparison, cace)},
        {"ctr_diff", offsetof(Lift__Comparison, ctr_diff)},
        {"revenue_diff_uncapped", offsetof(Lift__Comparison, revenue_diff_uncapped)},
        {"nps_diff", offsetof(Lift__Comparison, nps_diff)},
        {"pre_period_diff", offsetof(Lift__Comparison, pre_period_diff)},
        {"revenue_diff_shrunk", offsetof(Lift__Comparison, revenue_diff_shrunk)},
        {"incremental_total_shrunk", offsetof(Lift__Comparison, incremental_total_shrunk)},
    };
    char name[32], idx[16];
    const char *arm = render_cmp_label(r, c, name, sizeof name);
    if (c->has_arm_index)
        snprintf(idx, sizeof idx, "%d", c->arm_index);
    else
        idx[0] = '\0';
    for (size_t m = 0; m < sizeof metrics / sizeof metrics[0]; m++) {
        const Lift__Estimate *e = *(Lift__Estimate *const *)((const char *)c + metrics[m].off);
        if (e == NULL)
            continue;
        int ok = render_est_ok(e);
        char v[5][40];
        csv_values(v, e, ok);
        csv_key(f, key);
        render_csv_field(f, dim);
        fputc(',', f);
        render_csv_field(f, level);
        fprintf(f, ",%s,%s,", metrics[m].name, idx);
        render_csv_field(f, arm);
        fprintf(f, ",%s,%s,%s,%s,%s,%s,", v[0], v[1], v[2], v[3], v[4], ok ? "true" : "false");
        render_csv_field(f, ok ? (e->reason ? e->reason : "") : render_est_reason(e));
        const char *fam = render_family_name(e);
        fprintf(f, ",%s\n", fam && strcmp(fam, "none") != 0 ? fam : "");
    }
}

/* One program-level estimate as a CSV row: dimension "program", level "all". */
static void csv_program(FILE *f, const char *key, const char *metric, const Lift__Estimate *e)
{
    if (e == NULL)
        return;
    int ok = render_est_ok(e);
    char v[5][40];
    csv_values(v, e, ok);
    csv_key(f, key);
    fprintf(f, "program,all,%s,1,measured,%s,%s,%s,,,%s,", metric, v[0], v[1], v[2],
            ok ? "true" : "false");
    render_csv_field(f, ok ? "" : render_est_reason(e));
    fputs(",\n", f);
}

int render_csv_rows(const Lift__Report *r, FILE *f, const char *experiment_key_col)
{
    if (r->program) {
        const Lift__Program *p = r->program;
        csv_program(f, experiment_key_col, "program_revenue_per_customer", p->revenue_per_customer);
        csv_program(f, experiment_key_col, "program_incremental_total", p->incremental_total);
        csv_program(f, experiment_key_col, "program_holdout_cost", p->holdout_cost);
        csv_program(f, experiment_key_col, "linked_sum", p->linked_sum);
        csv_program(f, experiment_key_col, "naive_gap", p->naive_gap);
        for (size_t i = 0; i < p->n_linked; i++) {
            char m[128];
            snprintf(m, sizeof m, "linked_incremental_total:%.64s",
                     p->linked[i]->experiment_key ? p->linked[i]->experiment_key : "?");
            csv_program(f, experiment_key_col, m, p->linked[i]->incremental_total);
        }
    }
    for (size_t i = 0; i < r->n_comparisons; i++)
        csv_comparison(f, r, experiment_key_col, "overall", "all", r->comparisons[i]);
    for (size_t i = 0; i < r->n_segments; i++) {
        const Lift__Segment *s = r->segments[i];
        for (size_t j = 0; j < s->n_comparisons; j++)
            csv_comparison(f, r, experiment_key_col, render_dimension_name(s->dimension),
                           s->level ? s->level : "", s->comparisons[j]);
    }
    /* Heterogeneity per dimension and arm: level "(all levels)", metric "heterogeneity_q"
     * (estimate = Cochran's Q, p_value its chi-square p) and "heterogeneity_i2" (I^2). */
    for (size_t i = 0; i < r->n_heterogeneity; i++) {
        const Lift__Heterogeneity *h = r->heterogeneity[i];
        int ok = h->has_ok && h->ok && isfinite(h->q) && isfinite(h->p_value) && isfinite(h->i2);
        char name[32], idx[16], q[40], p[40], i2[40];
        const char *arm =
            render_arm_label(r, h->has_arm_index ? h->arm_index : -1, name, sizeof name);
        snprintf(idx, sizeof idx, "%d", h->has_arm_index ? h->arm_index : -1);
        render_fmt_exact(q, sizeof q, ok ? h->q : NAN);
        render_fmt_exact(p, sizeof p, ok ? h->p_value : NAN);
        render_fmt_exact(i2, sizeof i2, ok ? h->i2 : NAN);
        for (int k = 0; k < 2; k++) {
            csv_key(f, experiment_key_col);
            fprintf(f, "%s,(all levels),%s,%s,", render_dimension_name(h->dimension),
                    k ? "heterogeneity_i2" : "heterogeneity_q", idx);
            render_csv_field(f, arm);
            fprintf(f, ",%s,,,%s,,%s,", k ? i2 : q, k ? "" : p, ok ? "true" : "false");
            render_csv_field(f, ok ? "" : h->reason && *h->reason ? h->reason : "not estimable");
            fputs(",\n", f);
        }
    }
    /* The weekly series: dimension "week", level the ISO week, cumulative to its end. */
    for (size_t i = 0; i < r->n_weekly; i++) {
        const Lift__WeekPoint *w = r->weekly[i];
        for (size_t j = 0; j < w->n_comparisons; j++)
            csv_comparison(f, r, experiment_key_col, "week", w->week ? w->week : "",
                           w->comparisons[j]);
    }
    return ferror(f) ? -1 : 0;
}

int render_csv(const Lift__Report *r, FILE *f)
{
    if (render_csv_header(f, 0) != 0)
        return -1;
    return render_csv_rows(r, f, NULL);
}
