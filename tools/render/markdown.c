/* render/markdown: the GitHub-flavoured Markdown format (render_markdown), printed from the
 * document that build.c makes; decides no content. */

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

/* Writes s with the characters that would break a table cell or start markup escaped. */
static void md_text(FILE *f, const char *s, int in_table)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '\\' || *s == '*' || *s == '`' || (*s == '_' && !in_table) ||
            *s == '<' || *s == '[')
            fputc('\\', f);
        if (*s == '\n')
            fputs(in_table ? " " : "  \n", f);
        else
            fputc(*s, f);
    }
}

static void tab_print_md(FILE *f, const render_tab_t *t)
{
    fputc('|', f);
    for (int c = 0; c < t->ncols; c++) {
        fputc(' ', f);
        md_text(f, t->hdr[c], 1);
        fputs(" |", f);
    }
    fputs("\n|", f);
    for (int c = 0; c < t->ncols; c++) fputs(t->right[c] ? " ---: |" : " --- |", f);
    fputc('\n', f);
    for (size_t r = 0; r < t->nrows; r++) {
        fputc('|', f);
        for (int c = 0; c < t->ncols; c++) {
            fputc(' ', f);
            md_text(f, t->cells[r * (size_t)t->ncols + (size_t)c], 1);
            fputs(" |", f);
        }
        fputc('\n', f);
    }
    fputc('\n', f);
}

int render_markdown(const Lift__Report *r, FILE *f)
{
    render_doc_t d;
    if (render_build_doc(&d, r) != 0)
        return -1;
    for (size_t i = 0; i < d.n; i++) {
        const render_block_t *b = &d.b[i];
        int next_warn = i + 1 < d.n && d.b[i + 1].type == RENDER_B_WARN;
        switch (b->type) {
        case RENDER_B_TITLE:
            fputs("# ", f);
            md_text(f, b->text, 0);
            fputs("\n\n", f);
            break;
        case RENDER_B_SUB:
            fputc('_', f);
            md_text(f, b->text, 0);
            fputs("_\n\n", f);
            break;
        case RENDER_B_H2:
            fputs("## ", f);
            md_text(f, b->text, 0);
            fputs("\n\n", f);
            break;
        case RENDER_B_H3:
            fputs("### ", f);
            md_text(f, b->text, 0);
            fputs("\n\n", f);
            break;
        case RENDER_B_PARA:
        case RENDER_B_NOTE:
            if (b->type == RENDER_B_NOTE && !b->level) fputc('_', f);
            md_text(f, b->text, 0);
            fputs(b->type == RENDER_B_NOTE && !b->level ? "_\n\n" : "\n\n", f);
            break;
        case RENDER_B_NODATA:
            fputs("**", f);
            md_text(f, b->text, 0);
            fputs("**\n\n", f);
            break;
        case RENDER_B_WARN:
            fputs(b->level >= 2 ? "> - **Critical:** " : "> - **Warning:** ", f);
            md_text(f, b->text, 0);
            fputs(next_warn ? "\n" : "\n\n", f);
            break;
        case RENDER_B_HEADLINE:
            fputs("- **", f);
            md_text(f, b->text, 0);
            fputs("**  \n  ", f);
            md_text(f, b->text2, 0);
            fputs(i + 1 < d.n && d.b[i + 1].type == RENDER_B_HEADLINE ? "\n" : "\n\n", f);
            break;
        case RENDER_B_TABLE: tab_print_md(f, b->tab); break;
        case RENDER_B_CHART: break;
        }
    }
    render_doc_clear(&d);
    return ferror(f) ? -1 : 0;
}
