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

/* pre, then s escaped (outside a table), then post. */
static void md_line(FILE *f, const char *pre, const char *s, const char *post)
{
    fputs(pre, f);
    md_text(f, s, 0);
    fputs(post, f);
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
    for (int c = 0; c < t->ncols; c++)
        fputs(t->right[c] ? " ---: |" : " --- |", f);
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
            md_line(f, "# ", b->text, "\n\n");
            break;
        case RENDER_B_SUB:
            md_line(f, "_", b->text, "_\n\n");
            break;
        case RENDER_B_H2:
            md_line(f, "## ", b->text, "\n\n");
            break;
        case RENDER_B_H3:
            md_line(f, "### ", b->text, "\n\n");
            break;
        case RENDER_B_PARA:
            md_line(f, "", b->text, "\n\n");
            break;
        case RENDER_B_NOTE: /* a footnote (nonzero level) is not in italics */
            md_line(f, b->level ? "" : "_", b->text, b->level ? "\n\n" : "_\n\n");
            break;
        case RENDER_B_NODATA:
            md_line(f, "**", b->text, "**\n\n");
            break;
        case RENDER_B_WARN:
            md_line(f, b->level >= 2 ? "> - **Critical:** " : "> - **Warning:** ", b->text,
                    next_warn ? "\n" : "\n\n");
            break;
        case RENDER_B_HEADLINE:
            md_line(f, "- **", b->text, "**  \n  ");
            md_text(f, b->text2, 0);
            fputs(i + 1 < d.n && d.b[i + 1].type == RENDER_B_HEADLINE ? "\n" : "\n\n", f);
            break;
        case RENDER_B_TABLE:
            tab_print_md(f, b->tab);
            break;
        case RENDER_B_CHART:
            break;
        }
    }
    render_doc_clear(&d);
    return ferror(f) ? -1 : 0;
}
