/* liftctl report: asks liftd for the incrementality report of one experiment (or of every
 * running one: the weekly job) and writes it as a terminal table, Markdown, JSON, CSV or HTML.
 * Validation of the command line and output files live here; the formats in tools/render/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmd.h"
#include "out.h"

/* The formats live in tools/render/ (linked into liftctl and the tests). */
#include "render.h"

#define CMD "report"
#define COST_MAX INT64_C(1000000000000) /* minor units per attempt: far beyond any real cost */

typedef enum { FMT_TABLE, FMT_MARKDOWN, FMT_JSON, FMT_CSV, FMT_HTML } format_t;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liftctl report EXPERIMENT [options]\n"
            "       liftctl report --all-running [options]\n"
            "       liftctl report --holdout KEY [options]\n"
            "\n"
            "The incrementality report: revenue the upsell added over the random holdout, with\n"
            "confidence intervals, per arm, segment (trigger, stage, channel, delay) and week.\n"
            "\n"
            "  --all-running          one report per running experiment (the weekly job)\n"
            "  --holdout KEY          the program report of a program holdout: held out vs the\n"
            "                         measurement slice, the program's incremental revenue, the\n"
            "                         linked experiments' own sum next to it (segments default\n"
            "                         to trigger, stage, channel)\n"
            "  --week YYYY-Www        cumulative up to the end of that ISO week (e.g. 2026-W48 =\n"
            "                         up to Monday 2026-11-30 00:00 UTC); not with --from/--to\n"
            "  --from T, --to T       analysis window [T1, T2): YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ\n"
            "                         (UTC) or epoch ms; default: experiment start to now\n"
            "  --segment-by LIST      comma-separated: trigger,stage,channel,delay\n"
            "  --format F             table (default), markdown, json, csv, html\n"
            "  -o, --output FILE      write to FILE: a regular file is replaced atomically\n"
            "                         (a temporary file, then rename); a FIFO or device is\n"
            "                         written in place; a directory or a symbolic link to a\n"
            "                         file is refused\n"
            "  --alpha A              significance level, in (0, 0.5]; default: the experiment's\n"
            "  --no-sequential        fixed-horizon intervals instead of always-valid ones\n"
            "  --no-cuped             no variance reduction with pre-exposure revenue\n"
            "  --cap-percentile P     cap revenue per customer at this percentile, in (50, 100];\n"
            "                         100 = no cap; default 99.9\n"
            "  --cost-per-attempt N   cost of one offer attempt in minor units, 0..%lld\n"
            "  --adjust M             multiple-testing adjustment within each family of tests\n"
            "                         (confirmatory: the primary metric per treatment arm;\n"
            "                         exploratory: other metrics and segments): bh (default,\n"
            "                         Benjamini-Hochberg) or holm\n"
            "  --json                 same as --format json\n"
            "  --help                 this text\n"
            "\n"
            "Each attempt first pings liftd (--timeout, --retries): a dead endpoint fails as\n"
            "fast as `liftctl ping`; once liftd answers, the attempt waits at least %d s for\n"
            "the report (longer with a larger --timeout).\n"
            "Colour only on a terminal (and not with NO_COLOR set).\n"
            "Exit status: 0 ok, 1 server error (e.g. NOT_FOUND) or output failure, 2 bad usage.\n",
            (long long)COST_MAX, LIFT_REPORT_TIMEOUT_MS / 1000);
}

static int64_t days_from_civil(int y, int m, int d)
{
    /* H. Hinnant's algorithm: days since 1970-01-01 in the proleptic Gregorian calendar. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int iso_weeks_in_year(int y)
{
    int p = (y + y / 4 - y / 100 + y / 400) % 7,
        q = ((y - 1) + (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400) % 7;
    return p == 4 || q == 3 ? 53 : 52;
}

/* "YYYY-Www" -> the end of that ISO week (Monday 00:00 UTC of the next week), epoch ms. */
static int parse_week(const char *s, int64_t *end_ms)
{
    int y = 0, w = 0;
    size_t len = strlen(s);
    int shape = len == 8 && s[4] == '-' && (s[5] == 'W' || s[5] == 'w');
    for (int i = 0; shape && i < 8; i++)
        if (i != 4 && i != 5)
            shape &= s[i] >= '0' && s[i] <= '9';
    if (!shape) {
        fprintf(stderr, "liftctl: --week: '%s' is not an ISO week (use YYYY-Www, e.g. 2026-W48)\n",
                s);
        return -1;
    }
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    w = (s[6] - '0') * 10 + (s[7] - '0');
    if (y < 1970) {
        fprintf(stderr, "liftctl: --week: '%s': the year must be 1970 or later\n", s);
        return -1;
    }
    int max = iso_weeks_in_year(y);
    if (w < 1 || w > max) {
        fprintf(stderr, "liftctl: --week: '%s' does not exist: %d has ISO weeks 1..%d\n", s, y,
                max);
        return -1;
    }
    int64_t jan4 = days_from_civil(y, 1, 4);
    int64_t monday1 = jan4 - (jan4 + 3) % 7; /* 1970-01-01 was a Thursday (Monday = 0) */
    *end_ms = (monday1 + 7 * (int64_t)w) * 86400000;
    return 0;
}

/* "trigger,stage" -> dimensions; duplicates and unknown names are errors. */
static int parse_segment_by(const char *s, Lift__Dimension *dims, size_t *n)
{
    static const struct {
        const char *name;
        Lift__Dimension d;
    } names[] = {{"trigger", LIFT__DIMENSION__DIMENSION_TRIGGER},
                 {"stage", LIFT__DIMENSION__DIMENSION_STAGE},
                 {"channel", LIFT__DIMENSION__DIMENSION_CHANNEL},
                 {"delay", LIFT__DIMENSION__DIMENSION_DELAY}};
    *n = 0;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int found = -1;
        for (size_t i = 0; i < 4; i++)
            if (strlen(names[i].name) == len && strncmp(p, names[i].name, len) == 0)
                found = (int)i;
        if (found < 0) {
            fprintf(stderr,
                    "liftctl: --segment-by: unknown dimension '%.*s' in '%s' (one of: trigger, "
                    "stage, channel, delay)\n",
                    (int)len, p, s);
            return -1;
        }
        for (size_t k = 0; k < *n; k++)
            if (dims[k] == names[found].d) {
                fprintf(stderr, "liftctl: --segment-by: '%s' lists %s twice\n", s,
                        names[found].name);
                return -1;
            }
        dims[(*n)++] = names[found].d;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return 0;
}

static int parse_format(const char *s, format_t *f)
{
    static const struct {
        const char *name;
        format_t f;
    } names[] = {{"table", FMT_TABLE}, {"markdown", FMT_MARKDOWN}, {"md", FMT_MARKDOWN},
                 {"json", FMT_JSON},   {"csv", FMT_CSV},           {"html", FMT_HTML}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *f = names[i].f;
            return 0;
        }
    fprintf(stderr,
            "liftctl: --format: unknown format '%s' (one of: table, markdown, json, csv, "
            "html)\n",
            s);
    return -1;
}

static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 100;
}

/* Writes the reports (n >= 0; keys[i] names reports[i]) in one document of the format. */
static int write_reports(FILE *f, format_t fmt, Lift__Report *const *reports, size_t n, int all,
                         int color)
{
    int rc = 0;
    switch (fmt) {
    case FMT_TABLE:
    case FMT_MARKDOWN:
        if (n == 0)
            fputs("No running experiments: there is nothing to report.\n", f);
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (i)
                fputs(fmt == FMT_TABLE ? "\n\n" : "\n---\n\n", f);
            rc = fmt == FMT_TABLE
                     ? render_table(reports[i], f, color, color ? terminal_width() : 100)
                     : render_markdown(reports[i], f);
        }
        break;
    case FMT_JSON:
        if (!all) {
            rc = n ? render_json(reports[0], f) : 0;
        } else {
            json_t *arr = json_array();
            for (size_t i = 0; arr && i < n; i++) {
                json_t *j = render_json_value(reports[i]);
                if (j == NULL || json_array_append_new(arr, j) != 0)
                    rc = -1;
            }
            if (arr == NULL || rc != 0 || json_dumpf(arr, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
                rc = -1;
            fputc('\n', f);
            json_decref(arr);
        }
        break;
    case FMT_CSV:
        rc = render_csv_header(f, all);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = render_csv_rows(reports[i], f, all ? render_experiment_key(reports[i]) : NULL);
        break;
    case FMT_HTML: {
        char title[160];
        if (all)
            snprintf(title, sizeof title, "Lift weekly report: %zu running experiment%s", n,
                     n == 1 ? "" : "s");
        else
            snprintf(title, sizeof title, "Lift report: %s",
                     n ? render_experiment_key(reports[0]) : "?");
        rc = render_html_begin(f, title);
        if (n == 0)
            fputs("<section class=\"report\"><p class=\"nodata\">No running experiments: there is "
                  "nothing to report.</p></section>\n",
                  f);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = render_html_section(reports[i], f);
        if (rc == 0)
            rc = render_html_end(f);
        break;
    }
    }
    if (rc != 0 && !ferror(f)) /* a write error is reported once, where the output is closed */
        fprintf(stderr, "liftctl: cannot write the report: %s\n", strerror(errno));
    return rc;
}

/* What `liftctl report`'s command line asks for. */
typedef struct {
    const char *key;                   /* EXPERIMENT (or the holdout's key) */
    const char *output;                /* -o FILE; NULL: stdout */
    const char *holdout;               /* --holdout KEY: the program report */
    int all;                           /* --all-running */
    int fmt_set;                       /* --format given */
    format_t fmt;                      /* output format */
    int have_week, have_from, have_to; /* which of --week, --from, --to were given */
    int64_t from, to;                  /* --from; --to or the end of --week */
    Lift__Dimension dims[4];           /* --segment-by */
    size_t ndims;                      /* entries in dims */
    Lift__ReportRequest rq;            /* the request's options (keys and window set later) */
} report_args_t;

/* --adjust bh|holm into rq: 0, or -1 (printed). */
static int parse_adjust(const char *v, Lift__ReportRequest *rq)
{
    if (strcmp(v, "bh") == 0) {
        rq->adjust = LIFT__ADJUSTMENT__ADJUSTMENT_BH;
    } else if (strcmp(v, "holm") == 0) {
        rq->adjust = LIFT__ADJUSTMENT__ADJUSTMENT_HOLM;
    } else {
        char sv[LIFT_SAFE_CAP(64)];
        fprintf(stderr, "liftctl: --adjust: unknown method '%s' (one of: bh, holm)\n",
                lift_safe_text(v, sv, sizeof sv));
        return -1;
    }
    rq->has_adjust = 1;
    return 0;
}

/* argv[*i] as one of report's own flags: 1 (applied, *i past its value), 0 not one of them,
 * or an exit code (printed) for a bad value. */
static int report_flag(report_args_t *a, int argc, char **argv, int *i)
{
    Lift__ReportRequest *rq = &a->rq;
    const char *arg = argv[*i], *v;
    int64_t n64;
    int r;
    if (strcmp(arg, "--all-running") == 0) {
        a->all = 1;
    } else if (strcmp(arg, "--no-sequential") == 0) {
        rq->has_sequential = 1;
        rq->sequential = 0;
    } else if (strcmp(arg, "--no-cuped") == 0) {
        rq->has_cuped = 1;
        rq->cuped = 0;
    } else if ((r = liftctl_flag(argc, argv, i, "--holdout", &v)) != 0) {
        if (r < 0)
            return LIFTCTL_USAGE;
        if (*v == '\0')
            return liftctl_usage_error(CMD, "report: --holdout: empty key");
        a->holdout = v;
    } else if ((r = liftctl_flag(argc, argv, i, "--week", &v)) != 0) {
        if (r < 0 || parse_week(v, &a->to) != 0)
            return LIFTCTL_USAGE;
        a->have_week = 1;
    } else if ((r = liftctl_flag(argc, argv, i, "--from", &v)) != 0) {
        if (r < 0 || liftctl_parse_time("--from", v, &a->from) != 0)
            return LIFTCTL_USAGE;
        a->have_from = 1;
    } else if ((r = liftctl_flag(argc, argv, i, "--to", &v)) != 0) {
        if (r < 0 || liftctl_parse_time("--to", v, &a->to) != 0)
            return LIFTCTL_USAGE;
        a->have_to = 1;
    } else if ((r = liftctl_flag(argc, argv, i, "--segment-by", &v)) != 0) {
        if (r < 0 || parse_segment_by(v, a->dims, &a->ndims) != 0)
            return LIFTCTL_USAGE;
    } else if ((r = liftctl_flag(argc, argv, i, "--format", &v)) != 0) {
        if (r < 0 || parse_format(v, &a->fmt) != 0)
            return LIFTCTL_USAGE;
        a->fmt_set = 1;
    } else if ((r = liftctl_flag(argc, argv, i, "--output", &v)) != 0 ||
               (r = liftctl_flag(argc, argv, i, "-o", &v)) != 0) {
        if (r < 0)
            return LIFTCTL_USAGE;
        if (*v == '\0') {
            fprintf(stderr, "liftctl: -o: empty file name\n");
            return LIFTCTL_USAGE;
        }
        a->output = v;
    } else if ((r = liftctl_flag(argc, argv, i, "--alpha", &v)) != 0) {
        if (r < 0 || liftctl_parse_double("--alpha", v, 0, 1, 0.5, 0, &rq->alpha) != 0)
            return LIFTCTL_USAGE;
        rq->has_alpha = 1;
    } else if ((r = liftctl_flag(argc, argv, i, "--cap-percentile", &v)) != 0) {
        if (r < 0 || liftctl_parse_double("--cap-percentile", v, 50, 1, 100, 0,
                                          &rq->revenue_cap_percentile) != 0)
            return LIFTCTL_USAGE;
        rq->has_revenue_cap_percentile = 1;
    } else if ((r = liftctl_flag(argc, argv, i, "--cost-per-attempt", &v)) != 0) {
        if (r < 0 || liftctl_parse_int64("--cost-per-attempt", v, 0, COST_MAX, &n64) != 0)
            return LIFTCTL_USAGE;
        rq->has_cost_per_attempt_minor = 1;
        rq->cost_per_attempt_minor = n64;
    } else if ((r = liftctl_flag(argc, argv, i, "--adjust", &v)) != 0) {
        if (r < 0 || parse_adjust(v, rq) != 0)
            return LIFTCTL_USAGE;
    } else {
        return 0;
    }
    return 1;
}

/* The command line into *a (and global flags into *o): 0, -1 after --help, or an exit code
 * (printed). Also checks how the flags combine and sets the request's window. */
static int report_args(liftctl_opts_t *o, int argc, char **argv, report_args_t *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (liftctl_is_help(arg)) {
            usage(stdout);
            return -1;
        }
        int g = liftctl_global_flag(o, argc, argv, &i);
        if (g < 0)
            return LIFTCTL_USAGE;
        if (g > 0)
            continue;
        int r = report_flag(a, argc, argv, &i);
        if (r == 1)
            continue;
        if (r != 0)
            return r;
        if (arg[0] == '-' && arg[1] != '\0')
            return liftctl_usage_error(CMD, "report: unknown flag '%s'", arg);
        if (a->key != NULL)
            return liftctl_usage_error(CMD, "report: unexpected argument '%s' (one EXPERIMENT)",
                                       arg);
        a->key = arg;
    }
    if (o->json && !a->fmt_set)
        a->fmt = FMT_JSON;
    if (a->holdout && (a->all || a->key))
        return liftctl_usage_error(CMD, "report: --holdout KEY is the program report: not with "
                                        "EXPERIMENT or --all-running");
    if (a->holdout)
        a->key = a->holdout;
    if (a->all && a->key)
        return liftctl_usage_error(CMD, "report: give EXPERIMENT or --all-running, not both");
    if (!a->all && a->key == NULL)
        return liftctl_usage_error(CMD, "report: missing EXPERIMENT (its key) or --all-running");
    if (a->have_week && (a->have_from || a->have_to))
        return liftctl_usage_error(CMD, "report: --week is the window: not with --from/--to");
    if (a->have_from && a->have_to && a->from >= a->to) {
        char x[40], y[40];
        liftctl_format_time(a->to, x, sizeof x);
        liftctl_format_time(a->from, y, sizeof y);
        fprintf(stderr, "liftctl: --to: %s must be after --from (%s)\n", x, y);
        return LIFTCTL_USAGE;
    }
    a->rq.has_from_ms = a->have_from;
    a->rq.from_ms = a->from;
    a->rq.has_to_ms = a->have_week || a->have_to;
    a->rq.to_ms = a->to;
    a->rq.n_segment_by = a->ndims;
    a->rq.segment_by = a->ndims ? a->dims : NULL;
    return 0;
}

/* Asks for the report of each of the nkeys keys into reports (*n of them answered). Returns
 * LIFTCTL_OK, or LIFTCTL_ERR after printing: for --all-running the others are still asked. */
static int fetch_reports(lift_client_t *c, report_args_t *a, const char **keys, size_t nkeys,
                         Lift__Report **reports, size_t *n)
{
    int rc = LIFTCTL_OK;
    for (size_t i = 0; i < nkeys; i++) {
        if (a->holdout)
            a->rq.holdout_key = (char *)keys[i];
        else
            a->rq.experiment_key = (char *)keys[i];
        lift_err_t e = lift_report(c, &a->rq, &reports[*n]);
        if (e == LIFT_OK) {
            ++*n;
            continue;
        }
        if (a->all) { /* the weekly job reports the others and fails at the end */
            char k[LIFT_SAFE_CAP(64)];
            fprintf(stderr, "liftctl: %s: ", lift_safe_text(keys[i], k, sizeof k));
        }
        liftctl_fail(c, e);
        rc = LIFTCTL_ERR;
        if (!a->all)
            break;
    }
    return rc;
}

int cmd_report(const liftctl_opts_t *gopts, int argc, char **argv)
{
    liftctl_opts_t o = *gopts;
    report_args_t a = {.fmt = FMT_TABLE, .rq = LIFT__REPORT_REQUEST__INIT};
    int r = report_args(&o, argc, argv, &a);
    if (r != 0)
        return r < 0 ? LIFTCTL_OK : r;

    lift_client_t *c = liftctl_connect(&o);
    if (c == NULL)
        return LIFTCTL_USAGE;
    int rc = LIFTCTL_OK;
    Lift__ExperimentList *list = NULL;
    const char **keys = &a.key;
    size_t nkeys = 1, n = 0;
    if (a.all) {
        lift_err_t e = lift_experiment_list(c, LIFT__EXPERIMENT_STATUS__STATUS_RUNNING, &list);
        if (e != LIFT_OK) {
            rc = liftctl_fail(c, e);
            lift_client_destroy(&c);
            return rc;
        }
        nkeys = list->n_experiments;
        keys = calloc(nkeys ? nkeys : 1, sizeof *keys);
        if (keys == NULL) {
            fprintf(stderr, "liftctl: out of memory\n");
            lift_experiment_list_free(&list);
            lift_client_destroy(&c);
            return LIFTCTL_ERR;
        }
        for (size_t i = 0; i < nkeys; i++)
            keys[i] = list->experiments[i]->key;
    }
    Lift__Report **reports = calloc(nkeys ? nkeys : 1, sizeof *reports);
    if (reports == NULL) {
        fprintf(stderr, "liftctl: out of memory\n");
        rc = LIFTCTL_ERR;
        goto done;
    }
    rc = fetch_reports(c, &a, keys, nkeys, reports, &n);
    if (rc != LIFTCTL_OK && !a.all)
        goto done;
    liftctl_out_t out;
    if (liftctl_out_open(&out, "-o", a.output, 0) != 0) {
        rc = LIFTCTL_ERR;
        goto done;
    }
    int color = a.output == NULL && a.fmt == FMT_TABLE && isatty(STDOUT_FILENO) &&
                getenv("NO_COLOR") == NULL;
    int ok = write_reports(out.f, a.fmt, reports, n, a.all, color) == 0;
    if (liftctl_out_close(&out, ok) != 0)
        rc = LIFTCTL_ERR;
done:
    for (size_t i = 0; reports && i < n; i++)
        lift_report_free(&reports[i]);
    free(reports);
    if (a.all)
        free(keys);
    lift_experiment_list_free(&list);
    lift_client_destroy(&c);
    return rc;
}
