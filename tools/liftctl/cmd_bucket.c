/* liftctl bucket: offline assignment — reads customer ids on stdin and prints each one's arm
 * under a split given on the command line, with the same code liftd uses (lift/bucket.h).
 * It talks to no server and knows no experiment: seed, weights, coverage come from flags. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "lift/bucket.h"
#include "lift/limits.h"
#include "cmd.h"
#include "out.h"

#define PROG "liftctl bucket"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liftctl bucket --seed SEED --weights W0,W1[,...] [--coverage C]\n"
            "                      [--namespace ID:LO:HI] [--json] < ids\n"
            "\n"
            "Reads customer ids from stdin, one per line, and prints \"id<TAB>arm\" for each\n"
            "(-1 when not in the experiment), exactly as liftd and GrowthBook's SDKs with\n"
            "hashVersion 2 would assign them. No server is contacted.\n"
            "\n"
            "  --seed SEED          hash seed (an experiment's seed defaults to its key)\n"
            "  --weights W0,W1,...  arm weights, 2..%d arms, each > 0, summing to 1 (+-%g);\n"
            "                       arm 0 is the holdout\n"
            "  --coverage C         share of customers in the experiment, in (0, 1]; default 1\n"
            "  --namespace ID:LO:HI only customers whose namespace value for ID is in [LO, HI),\n"
            "                       0 <= LO < HI <= 1\n"
            "  --json               one JSON object per line: customer_id, arm, reason, n\n"
            "  --help               this text\n"
            "\n"
            "Exit status: 0 all lines assigned, 1 some line had an invalid id (reported on\n"
            "stderr with its line number; the other lines are still printed), 2 bad usage.\n",
            LIFT_ARMS_MAX, LIFT_WEIGHT_SUM_EPS);
}

typedef struct {
    double *w; /* the weights read so far */
    int n;     /* how many */
} weights_t;

/* One weight of --weights (a liftctl_each_item callback). */
static int add_weight(const char *flag, const char *item, void *arg)
{
    weights_t *ws = arg;
    char wflag[64];
    if (ws->n == LIFT_ARMS_MAX) {
        fprintf(stderr, "liftctl: %s: more than %d arms\n", flag, LIFT_ARMS_MAX);
        return -1;
    }
    snprintf(wflag, sizeof wflag, "%s (arm %d)", flag, ws->n);
    if (liftctl_parse_double(wflag, item, 0, 1, 1, 0, &ws->w[ws->n]) != 0)
        return -1;
    ws->n++;
    return 0;
}

/* "0.1,0.3,0.6" -> weights; checks each weight, the count and the sum. */
static int parse_weights(const char *arg, double *w, int *narms)
{
    weights_t ws = {w, 0};
    double sum = 0;

    if (liftctl_each_item("--weights", arg, add_weight, &ws) != 0)
        return -1;
    if (ws.n < 2) {
        fprintf(stderr, "liftctl: --weights: '%s' gives %d arm, need 2..%d\n", arg, ws.n,
                LIFT_ARMS_MAX);
        return -1;
    }
    for (int k = 0; k < ws.n; k++)
        sum += w[k];
    if (!(fabs(sum - 1.0) <= LIFT_WEIGHT_SUM_EPS)) {
        fprintf(stderr, "liftctl: --weights: '%s' sums to %.12g, must be 1 (+-%g)\n", arg, sum,
                LIFT_WEIGHT_SUM_EPS);
        return -1;
    }
    *narms = ws.n;
    return 0;
}

/* Writes id (len bytes, a checked customer id: valid UTF-8, no controls, at most
 * LIFT_CUSTOMER_ID_MAX bytes) as a JSON string: quote and backslash escaped here, and through
 * lift_safe_json_fputs the bidi and line-separator characters an id may hold as \u escapes (the
 * same string), so they cannot reorder a terminal. */
static void json_write_string(FILE *out, const char *id, size_t len)
{
    char buf[2 + 6 * LIFT_CUSTOMER_ID_MAX + 1], *p = buf;
    *p++ = '"';
    for (size_t i = 0; i < len && i < LIFT_CUSTOMER_ID_MAX; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20) { /* not in a checked id; escaped all the same */
            p += sprintf(p, "\\u%04x", c);
        } else {
            *p++ = (char)c;
        }
    }
    *p++ = '"';
    *p = '\0';
    lift_safe_json_fputs(buf, out);
}

int cmd_bucket(const liftctl_opts_t *opts, int argc, char **argv)
{
    double weights[LIFT_ARMS_MAX];
    lift_bucket_config_t cfg = {.weights = weights, .coverage = 1.0};
    const char *seed = NULL, *weights_arg = NULL, *v;
    int json = opts != NULL && opts->json, rc;
    char err[160];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (liftctl_is_help(a)) {
            usage(stdout);
            return LIFTCTL_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if ((rc = liftctl_flag(argc, argv, &i, "--seed", &v)) != 0) {
            if (rc < 0)
                return LIFTCTL_USAGE;
            seed = v;
        } else if ((rc = liftctl_flag(argc, argv, &i, "--weights", &v)) != 0) {
            if (rc < 0)
                return LIFTCTL_USAGE;
            weights_arg = v;
        } else if ((rc = liftctl_flag(argc, argv, &i, "--coverage", &v)) != 0) {
            if (rc < 0 || liftctl_parse_double("--coverage", v, 0, 1, 1, 0, &cfg.coverage) != 0)
                return LIFTCTL_USAGE;
        } else if ((rc = liftctl_flag(argc, argv, &i, "--namespace", &v)) != 0) {
            if (rc < 0 || liftctl_parse_namespace("--namespace", v, &cfg.ns_id_len, &cfg.ns_lo,
                                                  &cfg.ns_hi) != 0)
                return LIFTCTL_USAGE;
            cfg.has_namespace = 1;
            cfg.ns_id = v;
        } else {
            fprintf(stderr, PROG ": unknown argument '%s' (see --help)\n", a);
            return LIFTCTL_USAGE;
        }
    }
    if (seed == NULL || *seed == '\0') {
        fprintf(stderr, PROG ": --seed: %s (an experiment's seed defaults to its key)\n",
                seed == NULL ? "required" : "must not be empty");
        return LIFTCTL_USAGE;
    }
    if (weights_arg == NULL) {
        fprintf(stderr, PROG ": --weights: required, e.g. --weights 0.1,0.9\n");
        return LIFTCTL_USAGE;
    }
    if (parse_weights(weights_arg, weights, &cfg.narms) != 0)
        return LIFTCTL_USAGE;
    cfg.seed = seed;
    cfg.seed_len = strlen(seed);
    /* The flags are checked above with their own names; this catches what is left (UTF-8). */
    if (lift_bucket_config_check(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": --%s\n", err);
        return LIFTCTL_USAGE;
    }

    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    int failed = 0, tty = isatty(STDOUT_FILENO);

    while ((got = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)got;
        lift_bucket_result_t r;

        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (len > 0 && line[len - 1] == '\r')
            len--; /* CRLF files from spreadsheets */
        if (lift_customer_id_check(line, len, err, sizeof err) != 0) {
            fprintf(stderr, PROG ": line %zu: %s\n", lineno, err);
            failed = 1;
            continue;
        }
        int arm = lift_bucket(&cfg, line, len, &r);
        if (arm == LIFT_BUCKET_INVALID_ID) { /* unreachable after the check: print no bogus arm */
            fprintf(stderr, PROG ": line %zu: customer_id rejected\n", lineno);
            failed = 1;
            continue;
        }
        if (json) {
            fputs("{\"customer_id\":", stdout);
            json_write_string(stdout, line, len);
            printf(",\"arm\":%d,\"reason\":\"%s\",\"n\":%.4f}\n", r.arm,
                   lift_bucket_reason_name(r.reason), r.n);
        } else if (tty) { /* on a terminal, ids are shown, not obeyed (bidi overrides) */
            char shown[LIFT_SAFE_CAP(LIFT_CUSTOMER_ID_MAX)];
            printf("%s\t%d\n", lift_safe_textn(line, len, shown, sizeof shown), r.arm);
        } else {
            fwrite(line, 1, len, stdout);
            printf("\t%d\n", r.arm);
        }
    }
    if (ferror(stdin)) {
        fprintf(stderr, PROG ": reading stdin after line %zu: %s\n", lineno, strerror(errno));
        failed = 1;
    }
    free(line);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, PROG ": writing stdout: %s\n", strerror(errno));
        return LIFTCTL_ERR;
    }
    return failed ? LIFTCTL_ERR : LIFTCTL_OK;
}
