/* Estimators over whole arrays rather than summaries: Benjamini–Hochberg and Holm
 * adjustment of a family of p-values, and the revenue cap (R quantile type 7) used to winsorize
 * revenue before it is folded. Temporary buffers are malloc'd and freed; no I/O. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats_internal.h"

static lift_result_t result(lift_stat_status_t status, const char *reason)
{
    lift_result_t r = {status, reason};
    return r;
}

/* Each p-value travels with its index through qsort, so no file-scope state is needed. */
typedef struct {
    double p;   /* the p-value */
    size_t idx; /* its position in the caller's array */
} bh_item_t;

static int bh_cmp(const void *a, const void *b)
{
    double x = ((const bh_item_t *)a)->p, y = ((const bh_item_t *)b)->p;
    return (x > y) - (x < y);
}

/* The shared start of both adjustments: checks p[0..m), then *sorted = the p-values with
 * their indices in ascending order (malloc'd; the caller frees). On a bad p-value or no
 * memory, p_adj[] is all 1 and *sorted NULL; with m == 0, *sorted is NULL and the result OK. */
static lift_result_t sorted_p(const double *p, size_t m, double *p_adj, bh_item_t **sorted)
{
    *sorted = NULL;
    if (m == 0)
        return result(LIFT_STAT_OK, "");
    if (!p || !p_adj)
        return result(LIFT_STAT_NOT_ESTIMABLE, LIFT__R_NULL);
    for (size_t i = 0; i < m; i++)
        if (!(p[i] >= 0 && p[i] <= 1)) {
            for (size_t j = 0; j < m; j++)
                p_adj[j] = 1.0;
            return result(LIFT_STAT_NOT_ESTIMABLE, "invalid argument: a p-value outside [0, 1]");
        }
    bh_item_t *it = malloc(m * sizeof *it);
    if (!it) {
        for (size_t j = 0; j < m; j++)
            p_adj[j] = 1.0;
        return result(LIFT_STAT_NOT_ESTIMABLE, "out of memory");
    }
    for (size_t i = 0; i < m; i++) {
        it[i].p = p[i];
        it[i].idx = i;
    }
    qsort(it, m, sizeof *it, bh_cmp);
    *sorted = it;
    return result(LIFT_STAT_OK, "");
}

lift_result_t lift_bh_adjust(const double *p, size_t m, double *p_adj)
{
    bh_item_t *it;
    lift_result_t r = sorted_p(p, m, p_adj, &it);
    if (!it)
        return r;
    /* Step up from the largest p: running minimum of p_(j)·m/j (p.adjust "BH"). */
    double run = 1.0;
    for (size_t j = m; j-- > 0;) {
        double v = it[j].p * (double)m / (double)(j + 1);
        if (v < run)
            run = v;
        it[j].p = run;
    }
    for (size_t j = 0; j < m; j++)
        p_adj[it[j].idx] = it[j].p;
    free(it);
    return result(LIFT_STAT_OK, "");
}

lift_result_t lift_holm_adjust(const double *p, size_t m, double *p_adj)
{
    bh_item_t *it;
    lift_result_t r = sorted_p(p, m, p_adj, &it);
    if (!it)
        return r;
    /* Step down from the smallest p: running maximum of min(1, (m − j)·p_(j)), 0-based j. */
    double run = 0.0;
    for (size_t j = 0; j < m; j++) {
        double v = it[j].p * (double)(m - j);
        if (v > 1.0)
            v = 1.0;
        if (v > run)
            run = v;
        it[j].p = run;
    }
    for (size_t j = 0; j < m; j++)
        p_adj[it[j].idx] = it[j].p;
    free(it);
    return result(LIFT_STAT_OK, "");
}

static void swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* Rearranges v[0..n) so v[k] is the k-th smallest, all before ≤ it, all after ≥ it.
 * Three-way partition: revenue has many equal values (zeros), which would make a
 * two-way quickselect quadratic. */
static void select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n; /* active range [lo, hi) contains position k */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        /* median of three as pivot value */
        double a = v[lo], b = v[mid], c = v[hi - 1];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            if (v[i] < pivot)
                swap_d(&v[lt++], &v[i++]);
            else if (v[i] > pivot)
                swap_d(&v[i], &v[--gt]);
            else
                i++;
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return; /* v[k] == pivot */
    }
}

lift_cap_t lift_cap(const double *values, size_t n, double q)
{
    lift_cap_t r = {0};
    r.status = LIFT_STAT_NOT_ESTIMABLE;
    if (!values || n == 0) {
        r.reason = "no values";
        return r;
    }
    if (!(q >= 0 && q <= 1)) {
        r.reason = "invalid argument: quantile must be in [0, 1]";
        return r;
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(values[i])) {
            r.reason = "invalid argument: a value is NaN or infinite";
            return r;
        }
    double *v = malloc(n * sizeof *v);
    if (!v) {
        r.reason = "out of memory";
        return r;
    }
    memcpy(v, values, n * sizeof *v);
    /* R type 7: index h = (n − 1)q (0-based); blend x[⌊h⌋] and x[⌊h⌋ + 1] as R does,
     * (1 − f)·lo + f·hi, so the result matches R bit for bit in most cases. */
    double h = (double)(n - 1) * q;
    size_t k = (size_t)floor(h);
    if (k > n - 1)
        k = n - 1;
    double f = h - (double)k;
    select_kth(v, n, k);
    double lo = v[k], cap = lo;
    if (f > 0 && k + 1 < n) {
        double hi = v[k + 1];
        for (size_t i = k + 2; i < n; i++) /* after selection, the (k+1)-th is the min above */
            if (v[i] < hi)
                hi = v[i];
        if (hi != lo)
            cap = (1.0 - f) * lo + f * hi;
    }
    free(v);
    r.status = LIFT_STAT_OK;
    r.reason = "";
    r.cap = cap;
    return r;
}
