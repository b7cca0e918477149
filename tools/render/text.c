/* render/text: the terminal table format (render_table): word wrap, column widths that fit the
 * terminal, ANSI colours. Prints the document that build.c makes; decides no content. */

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

#define MAX_WIDTH 100 /* terminal lines never exceed this: readable anywhere */
#define MIN_WIDTH 72  /* below this the tables would be unreadable anyway */

#define ANSI_BOLD "\033[1m"
#define ANSI_DIM "\033[2m"
#define ANSI_RED "\033[31m"
#define ANSI_BOLD_RED "\033[1;31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_GREEN "\033[32m"
#define ANSI_OFF "\033[0m"

/* Display width: code points (every character Lift prints is one column wide). */
size_t render_u8len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Byte offset just past the first `cols` code points of s. */
static size_t u8prefix(const char *s, size_t cols)
{
    size_t i = 0, n = 0;
    while (s[i]) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == cols)
                break;
            n++;
        }
        i++;
    }
    return i;
}

static void put_rep(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputs(s, f);
}

/* s in exactly w columns: padded, or cut with "…" when longer. */
static void put_cell(FILE *f, const char *s, size_t w, int right, int last)
{
    size_t len = render_u8len(s);
    if (len > w) {
        fwrite(s, 1, u8prefix(s, w ? w - 1 : 0), f);
        if (w)
            fputs("…", f);
        return;
    }
    if (right)
        put_rep(f, " ", w - len);
    fputs(s, f);
    if (!right && !last)
        put_rep(f, " ", w - len);
}

/* Word-wraps text to `width` columns: the first line starts with `first` (already counted in
 * its own width), the others with `hang` spaces. on/off wrap each line in a colour. */
static void wrap(FILE *f, const char *text, size_t width, const char *first, size_t hang,
                 const char *on, const char *off)
{
    size_t col = render_u8len(first);
    fputs(on, f);
    fputs(first, f);
    const char *p = text;
    int line_empty = 1;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        char word[512];
        size_t wl = (size_t)(e - p) < sizeof word - 1 ? (size_t)(e - p) : sizeof word - 1;
        memcpy(word, p, wl);
        word[wl] = '\0';
        size_t ww = render_u8len(word);
        if (!line_empty && col + 1 + ww > width) {
            fputs(off, f);
            fputc('\n', f);
            fputs(on, f);
            put_rep(f, " ", hang);
            col = hang;
            line_empty = 1;
        }
        if (!line_empty) {
            fputc(' ', f);
            col++;
        }
        fputs(word, f);
        col += ww;
        line_empty = 0;
        p = e;
    }
    fputs(off, f);
    fputc('\n', f);
}

/* The part of s that fits in w columns, broken after '_', '-', '/' or ' ' when one is in the
 * second half (names stay readable): its byte length. */
static size_t wrap_cut(const char *s, size_t w)
{
    size_t end = u8prefix(s, w), best = 0;
    for (size_t i = 0; i < end; i++)
        if ((s[i] == '_' || s[i] == '-' || s[i] == '/' || s[i] == ' ') && render_u8len(s) > w &&
            i + 1 >= end / 2)
            best = i + 1;
    return best ? best : end;
}

static void tab_print_text(FILE *f, const render_tab_t *t, int color, size_t width)
{
    size_t w[RENDER_TAB_COLS], indent = 2, gap = 2;
    int first = -1, last = -1;
    for (int c = 0; c < t->ncols; c++) {
        w[c] = render_u8len(t->hdr[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t l = render_u8len(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (l > w[c])
                w[c] = l;
        }
        if (!t->hide[c]) {
            if (first < 0)
                first = c;
            last = c;
        }
    }
    size_t total = indent;
    for (int c = 0; c < t->ncols; c++)
        if (!t->hide[c])
            total += w[c] + (c != first ? gap : 0);
    while (total > width) { /* narrow the widest text column that may wrap */
        int best = -1;
        for (int c = 0; c < t->ncols; c++)
            if (!t->hide[c] && t->shrink[c] && w[c] > 10 && (best < 0 || w[c] > w[best]))
                best = c;
        if (best < 0)
            break;
        w[best]--;
        total--;
    }
    put_rep(f, " ", indent);
    if (color)
        fputs(ANSI_BOLD, f);
    for (int c = 0; c < t->ncols; c++) {
        if (t->hide[c])
            continue;
        if (c != first)
            put_rep(f, " ", gap);
        put_cell(f, t->hdr[c], w[c], t->right[c], c == last);
    }
    if (color)
        fputs(ANSI_OFF, f);
    fputc('\n', f);
    put_rep(f, " ", indent);
    put_rep(f, "─", total - indent);
    fputc('\n', f);
    for (size_t r = 0; r < t->nrows; r++) {
        int tone = t->tone[r];
        /* a cell wider than its column (a long level name) continues on the next lines */
        const char *rest[RENDER_TAB_COLS];
        for (int c = 0; c < t->ncols; c++)
            rest[c] = t->cells[r * (size_t)t->ncols + (size_t)c];
        for (int line = 0;; line++) {
            int more = 0;
            put_rep(f, " ", indent);
            if (color && tone)
                fputs(tone > 0 ? ANSI_GREEN : ANSI_RED, f);
            for (int c = 0; c < t->ncols; c++) {
                if (t->hide[c])
                    continue;
                if (c != first)
                    put_rep(f, " ", gap);
                const char *cell = rest[c];
                if (render_u8len(cell) > w[c] && t->shrink[c]) {
                    size_t cut = wrap_cut(cell, w[c]);
                    char part[512];
                    size_t k = cut < sizeof part - 1 ? cut : sizeof part - 1;
                    memcpy(part, cell, k);
                    part[k] = '\0';
                    put_cell(f, part, w[c], t->right[c], c == last);
                    rest[c] = cell + cut;
                    while (*rest[c] == ' ')
                        rest[c]++;
                    more |= *rest[c] != '\0';
                } else {
                    put_cell(f, cell, w[c], t->right[c], c == last);
                    rest[c] = "";
                }
            }
            if (color && tone)
                fputs(ANSI_OFF, f);
            fputc('\n', f);
            if (!more)
                break;
        }
    }
}

int render_table(const Lift__Report *r, FILE *f, int color, int width)
{
    render_doc_t d;
    if (render_build_doc(&d, r) != 0)
        return -1;
    size_t w = width <= 0 ? MAX_WIDTH : width < MIN_WIDTH ? MIN_WIDTH : (size_t)width;
    if (w > MAX_WIDTH)
        w = MAX_WIDTH;
    const char *bold = color ? ANSI_BOLD : "", *dim = color ? ANSI_DIM : "",
               *off = color ? ANSI_OFF : "";
    for (size_t i = 0; i < d.n; i++) {
        const render_block_t *b = &d.b[i];
        switch (b->type) {
        case RENDER_B_TITLE:
            wrap(f, b->text, w, "", 0, bold, off);
            put_rep(f, "═", w);
            fputc('\n', f);
            break;
        case RENDER_B_SUB:
            wrap(f, b->text, w, "", 0, dim, off);
            break;
        case RENDER_B_H2:
            fputc('\n', f);
            wrap(f, b->text, w, "", 0, bold, off);
            break;
        case RENDER_B_H3:
            fputc('\n', f);
            wrap(f, b->text, w, "  ", 2, bold, off);
            break;
        case RENDER_B_PARA:
            wrap(f, b->text, w, "  ", 2, "", "");
            break;
        case RENDER_B_NOTE:
            wrap(f, b->text, w, "  ", b->level ? 6 : 2, dim, off);
            break;
        case RENDER_B_NODATA:
            fputc('\n', f);
            wrap(f, b->text, w, "  ", 2, bold, off);
            break;
        case RENDER_B_WARN:
            wrap(f, b->text, w, b->level >= 2 ? "  !! " : "  !  ", 5,
                 color ? (b->level >= 2 ? ANSI_BOLD_RED : ANSI_YELLOW) : "", off);
            break;
        case RENDER_B_HEADLINE: {
            const char *tone = !color         ? ""
                               : b->level > 0 ? ANSI_GREEN
                               : b->level < 0 ? ANSI_RED
                                              : "";
            char on[32];
            snprintf(on, sizeof on, "%s%s", bold, tone);
            wrap(f, b->text, w, "  ", 4, on, off);
            wrap(f, b->text2, w, "    ", 4, "", "");
            break;
        }
        case RENDER_B_TABLE:
            tab_print_text(f, b->tab, color, w);
            break;
        case RENDER_B_CHART:
            break;
        }
    }
    render_doc_clear(&d);
    return ferror(f) ? -1 : 0;
}
