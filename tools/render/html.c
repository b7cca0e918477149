/* render/html: the self-contained HTML page (render_html and its pieces): styles, escaping,
 * tables, the charts of svg.c. No network, no external fonts or scripts. */

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

void render_html_esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static const char *const html_css =
    ":root{--fg:#1f2933;--muted:#616e7c;--line:#d9dee5;--bg:#ffffff;--warn:#fff7e6;"
    "--warnb:#f59e0b;--crit:#fdecec;--critb:#dc2626;--good:#047857;--bad:#b91c1c}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:#f4f6f8;color:var(--fg);font:15px/1.5 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\n"
    "main{max-width:1260px;margin:0 auto;padding:24px}\n"
    "section.report{background:var(--bg);border:1px solid var(--line);border-radius:8px;"
    "padding:24px 28px;margin-bottom:32px}\n"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;padding-bottom:4px;"
    "border-bottom:1px solid var(--line)}h3{font-size:16px;margin:20px 0 6px}\n"
    "p.sub{color:var(--muted);margin:0 0 16px}p.note{color:var(--muted);font-size:13px;"
    "margin:6px 0}p.fn{color:var(--muted);font-size:13px;margin:2px 0}\n"
    "p.nodata{font-size:17px;font-weight:600;padding:16px;background:#eef2f7;border-radius:6px}\n"
    ".warnings{background:var(--warn);border:1px solid var(--warnb);border-left:6px solid "
    "var(--warnb);border-radius:6px;padding:10px 16px;margin:16px 0}\n"
    ".warnings.crit{background:var(--crit);border-color:var(--critb)}\n"
    ".warnings strong{display:block;margin-bottom:4px}.warnings ul{margin:0;padding-left:20px}\n"
    ".warnings li.crit{color:var(--bad);font-weight:600}\n"
    ".headline{border:1px solid var(--line);border-left:6px solid #94a3b8;border-radius:6px;"
    "padding:10px 16px;margin:10px 0}\n"
    ".headline.good{border-left-color:var(--good)}.headline.bad{border-left-color:var(--bad)}\n"
    ".headline .lead{font-size:18px;font-weight:650}.headline .detail{color:var(--muted)}\n"
    "table{border-collapse:collapse;margin:8px 0 4px;font-size:14px;"
    "font-variant-numeric:tabular-nums}\n"
    "th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;"
    "vertical-align:top}\n"
    "td:first-child{overflow-wrap:break-word;max-width:22em}\n"
    "table.wide{font-size:13px}table.wide th,table.wide td{padding:3px 6px}\n"
    "div.tw{max-width:100%;overflow-x:auto}\n"
    "th{background:#f1f4f8;font-weight:600;white-space:nowrap}td.num,th.num{text-align:right;"
    "white-space:nowrap}\n"
    "tr.good td{color:var(--good)}tr.bad td{color:var(--bad)}\n"
    "figure{margin:8px 0 12px}figure svg{width:100%;height:auto;display:block}\n"
    "svg text{font-family:inherit;font-size:13px;fill:var(--fg)}\n"
    "svg .tick{font-size:12px;fill:var(--muted)}svg .axis-title{font-size:12px;fill:var(--muted)}\n"
    "svg .group{font-weight:600}svg .arm{font-size:12px}svg .muted{fill:var(--muted)}\n"
    "svg .grid{stroke:#e6e9ee;stroke-width:1}svg .axis{stroke:#9aa5b1;stroke-width:1}\n"
    "svg .zero{stroke:#334155;stroke-width:1.5;stroke-dasharray:5 4}\n"
    "svg .band{fill:#f5f7fa}svg .track{fill:#eef1f5}\n"
    "footer.provenance{margin-top:32px;padding-top:8px;border-top:2px solid var(--line);"
    "color:var(--muted);font-size:13px}\n"
    "footer.provenance table{font-size:13px}footer.provenance h2{border:0;margin-top:4px;"
    "font-size:16px}\n";

int render_html_begin(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    render_html_esc(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", html_css);
    return ferror(f) ? -1 : 0;
}

int render_html_end(FILE *f)
{
    fputs("</main>\n</body>\n</html>\n", f);
    return ferror(f) ? -1 : 0;
}

/* pre, then s escaped, then post. */
static void html_line(FILE *f, const char *pre, const char *s, const char *post)
{
    fputs(pre, f);
    render_html_esc(f, s);
    fputs(post, f);
}

static void tab_print_html(FILE *f, const render_tab_t *t)
{
    fputs(t->ncols > 7 ? "<div class=\"tw\"><table class=\"wide\">\n<thead><tr>"
                       : "<div class=\"tw\"><table>\n<thead><tr>",
          f);
    for (int c = 0; c < t->ncols; c++) {
        fputs(t->right[c] ? "<th class=\"num\">" : "<th>", f);
        render_html_esc(f, t->hdr[c]);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t r = 0; r < t->nrows; r++) {
        fputs(t->tone[r] > 0   ? "<tr class=\"good\">"
              : t->tone[r] < 0 ? "<tr class=\"bad\">"
                               : "<tr>",
              f);
        for (int c = 0; c < t->ncols; c++) {
            fputs(t->right[c] ? "<td class=\"num\">" : "<td>", f);
            render_html_esc(f, t->cells[r * (size_t)t->ncols + (size_t)c]);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);
}

int render_html_section(const Lift__Report *r, FILE *f)
{
    render_doc_t d;
    if (render_build_doc(&d, r) != 0)
        return -1;
    int footer = 0;
    fputs("<section class=\"report\">\n", f);
    for (size_t i = 0; i < d.n; i++) {
        const render_block_t *b = &d.b[i];
        switch (b->type) {
        case RENDER_B_TITLE:
            html_line(f, "<h1>", b->text, "</h1>\n");
            break;
        case RENDER_B_SUB:
            html_line(f, "<p class=\"sub\">", b->text, "</p>\n");
            break;
        case RENDER_B_H2:
            if (b->level == 1)
                break; /* the warnings box has its own title */
            if (b->level == 2 && !footer) {
                fputs("<footer class=\"provenance\">\n", f);
                footer = 1;
            }
            html_line(f, "<h2>", b->text, "</h2>\n");
            break;
        case RENDER_B_H3:
            html_line(f, "<h3>", b->text, "</h3>\n");
            break;
        case RENDER_B_PARA:
        case RENDER_B_NOTE:
            html_line(f,
                      b->type == RENDER_B_PARA ? "<p>"
                      : b->level               ? "<p class=\"fn\">"
                                               : "<p class=\"note\">",
                      b->text, "</p>\n");
            break;
        case RENDER_B_NODATA:
            html_line(f, "<p class=\"nodata\">", b->text, "</p>\n");
            break;
        case RENDER_B_WARN: {
            size_t j = i;
            int crit = 0;
            for (; j < d.n && d.b[j].type == RENDER_B_WARN; j++)
                crit |= d.b[j].level >= 2;
            fprintf(f, "<div class=\"warnings%s\" role=\"alert\"><strong>Warnings</strong><ul>\n",
                    crit ? " crit" : "");
            for (; i < j; i++)
                html_line(f, d.b[i].level >= 2 ? "<li class=\"crit\">" : "<li>", d.b[i].text,
                          "</li>\n");
            fputs("</ul></div>\n", f);
            i--;
            break;
        }
        case RENDER_B_HEADLINE:
            fprintf(f, "<div class=\"headline%s\"><div class=\"lead\">",
                    b->level > 0   ? " good"
                    : b->level < 0 ? " bad"
                                   : "");
            render_html_esc(f, b->text);
            html_line(f, "</div><div class=\"detail\">", b->text2, "</div></div>\n");
            break;
        case RENDER_B_TABLE:
            tab_print_html(f, b->tab);
            break;
        case RENDER_B_CHART:
            fputs("<figure>\n", f);
            if (b->level == RENDER_CHART_FOREST)
                render_svg_forest(f, &d);
            else if (b->level == RENDER_CHART_WEEKLY)
                render_svg_weekly(f, &d, 0);
            else if (b->level == RENDER_CHART_WEEKLY_INC)
                render_svg_weekly(f, &d, 1);
            else
                render_svg_funnel(f, &d);
            fputs("</figure>\n", f);
            break;
        }
    }
    if (footer)
        fputs("</footer>\n", f);
    fputs("</section>\n", f);
    int oom = d.oom;
    render_doc_clear(&d);
    if (oom)
        errno = ENOMEM;
    return oom || ferror(f) ? -1 : 0;
}

int render_html(const Lift__Report *r, FILE *f)
{
    char title[160];
    snprintf(title, sizeof title, "Lift report: %s", render_experiment_key(r));
    if (render_html_begin(f, title) != 0 || render_html_section(r, f) != 0)
        return -1;
    return render_html_end(f);
}
