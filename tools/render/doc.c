/* render/doc: the document model of the human formats — blocks, deduplicated footnotes
 * ("n/e[3]"), estimate and interval cells, tables. It prints nothing: text.c, markdown.c and html.c do. */

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

render_block_t *render_doc_push(render_doc_t *d, render_btype_t t, int level)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        render_block_t *nb = realloc(d->b, cap * sizeof *nb);
        if (nb == NULL) {
            d->oom = 1;
            return NULL;
        }
        d->b = nb;
        d->cap = cap;
    }
    render_block_t *b = &d->b[d->n++];
    memset(b, 0, sizeof *b);
    b->type = t;
    b->level = level;
    return b;
}

void render_doc_add(render_doc_t *d, render_btype_t t, int level, const char *fmt, ...)
{
    render_block_t *b = render_doc_push(d, t, level);
    if (b == NULL)
        return;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&b->text, fmt, ap) < 0) {
            b->text = NULL;
            d->oom = 1;
        }
        va_end(ap);
    }
}

/* Footnote number for reason (deduplicated), or 0 when out of memory. */
static size_t doc_note(render_doc_t *d, const char *reason)
{
    for (size_t i = 0; i < d->nnotes; i++)
        if (strcmp(d->notes[i], reason) == 0)
            return i + 1;
    if (d->nnotes == d->capnotes) {
        size_t cap = d->capnotes ? d->capnotes * 2 : 8;
        char **nn = realloc(d->notes, cap * sizeof *nn);
        if (nn == NULL) {
            d->oom = 1;
            return 0;
        }
        d->notes = nn;
        d->capnotes = cap;
    }
    if ((d->notes[d->nnotes] = strdup(reason)) == NULL) {
        d->oom = 1;
        return 0;
    }
    return ++d->nnotes;
}

void render_doc_ne(render_doc_t *d, char *b, size_t n, const char *reason)
{
    size_t k = doc_note(d, reason);
    if (k)
        snprintf(b, n, "n/e[%zu]", k);
    else
        snprintf(b, n, "n/e");
}

render_unit_t render_est_unit(const Lift__Estimate *e, render_unit_t u)
{
    if (!e || !e->has_unit)
        return u;
    switch (e->unit) {
    case LIFT__UNIT__UNIT_MINOR:
        return u == RENDER_U_WHOLE ? RENDER_U_WHOLE : RENDER_U_MONEY;
    case LIFT__UNIT__UNIT_FRACTION:
        return RENDER_U_FRAC;
    case LIFT__UNIT__UNIT_FRACTION_DIFFERENCE:
        return RENDER_U_PP;
    case LIFT__UNIT__UNIT_NPS_POINTS:
        return RENDER_U_NPS;
    default:
        return u;
    }
}

void render_cell_est(render_doc_t *d, char *b, size_t n, const Lift__Estimate *e, render_unit_t u,
                     int code, int plus)
{
    u = render_est_unit(e, u);
    if (render_est_ok(e))
        render_fmt_val(b, n, e->estimate, u, code ? d->cur : NULL, d->digits, plus);
    else
        render_doc_ne(d, b, n, render_est_reason(e));
}

int render_ci_cell_blank(render_doc_t *d, char *b, size_t n, const Lift__Estimate *e)
{
    if (!render_est_ok(e)) {
        snprintf(b, n, "%s", "");
        return 1;
    }
    if (!render_ci_ok(e)) {
        render_doc_ne(d, b, n, "interval not computed");
        return 1;
    }
    return 0;
}

void render_cell_ci(render_doc_t *d, char *b, size_t n, const Lift__Estimate *e, render_unit_t u)
{
    u = render_est_unit(e, u);
    if (render_ci_cell_blank(d, b, n, e))
        return;
    char lo[96], hi[96];
    int plus = u != RENDER_U_MONEY && u != RENDER_U_RATIO;
    if (u == RENDER_U_PP) { /* "+0.4 … +2.0 pp" */
        render_fmt_pct(lo, sizeof lo, e->ci_low, 1, "");
        render_fmt_pct(hi, sizeof hi, e->ci_high, 1, " pp");
    } else {
        render_fmt_val(lo, sizeof lo, e->ci_low, u, NULL, d->digits, plus);
        render_fmt_val(hi, sizeof hi, e->ci_high, u, NULL, d->digits, plus);
    }
    snprintf(b, n, "%s … %s", lo, hi);
}

void render_cell_p(char *b, size_t n, const Lift__Estimate *e, int adjusted)
{
    if (!render_est_ok(e) || !(adjusted ? e->has_p_adjusted : e->has_p_value))
        snprintf(b, n, "-");
    else
        render_fmt_p(b, n, adjusted ? e->p_adjusted : e->p_value);
}

void render_p_phrase(char *b, size_t n, const Lift__Estimate *e)
{
    char p[32];
    render_cell_p(p, sizeof p, e, 0);
    if (p[0] == '<')
        snprintf(b, n, "p" NBSP "<" NBSP "%s", p + 1);
    else
        snprintf(b, n, "p" NBSP "=" NBSP "%s", p);
}

render_tab_t *render_tab_new(render_doc_t *d, int ncols, const char *const *hdr, const char *right,
                             const char *shrink)
{
    render_block_t *b = render_doc_push(d, RENDER_B_TABLE, 0);
    if (b == NULL)
        return NULL;
    render_tab_t *t = calloc(1, sizeof *t);
    if (t == NULL) {
        d->oom = 1;
        return NULL;
    }
    t->ncols = ncols;
    for (int i = 0; i < ncols; i++) {
        t->hdr[i] = hdr[i];
        t->right[i] = right[i] == 'r';
        t->shrink[i] = shrink && shrink[i] == 's';
        t->hide[i] = shrink && shrink[i] == 'h';
    }
    b->tab = t;
    return t;
}

void render_tab_row(render_doc_t *d, render_tab_t *t, int tone, const char *const *cells)
{
    if (t == NULL)
        return;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **nc = realloc(t->cells, cap * (size_t)t->ncols * sizeof *nc);
        if (nc == NULL) {
            d->oom = 1;
            return;
        }
        t->cells = nc;
        int *nt = realloc(t->tone, cap * sizeof *nt);
        if (nt == NULL) {
            d->oom = 1;
            return;
        }
        t->tone = nt;
        t->cap = cap;
    }
    for (int i = 0; i < t->ncols; i++) {
        char *s = strdup(cells[i] ? cells[i] : "");
        if (s == NULL) {
            d->oom = 1;
            for (int k = 0; k < i; k++)
                free(t->cells[t->nrows * (size_t)t->ncols + (size_t)k]);
            return;
        }
        t->cells[t->nrows * (size_t)t->ncols + (size_t)i] = s;
    }
    t->tone[t->nrows++] = tone;
}

void render_doc_clear(render_doc_t *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->b[i].text);
        free(d->b[i].text2);
        render_tab_t *t = d->b[i].tab;
        if (t) {
            for (size_t k = 0; k < t->nrows * (size_t)t->ncols; k++)
                free(t->cells[k]);
            free(t->cells);
            free(t->tone);
            free(t);
        }
    }
    free(d->b);
    for (size_t i = 0; i < d->nnotes; i++)
        free(d->notes[i]);
    free(d->notes);
    memset(d, 0, sizeof *d);
}
