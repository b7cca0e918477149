/* opts: liftsim's command line (see opts.h): usage text, number parsing with bounds, and the
 * checks between options. */
#include "opts.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/client.h"
#include "pool.h"

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("liftsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (liftsim --help)\n", stderr);
    return 2;
}

static void usage(FILE *f)
{
    fputs("usage: liftsim [--endpoint E] [--config FILE] [--seed N] [--weeks N] [--customers N]\n"
          "               [--truth FILE] [--json] [--quiet]\n"
          "       liftsim --rate R [--clients K] [--duration S] [...]   (load mode)\n"
          "\n"
          "Simulates a SaaS customer base over the past N weeks against a real liftd (assign,\n"
          "impressions, clicks, upgrades, refunds, churn, NPS) and prints the true incremental\n"
          "revenue it created per experiment, arm and segment, to compare with the report.\n"
          "\n"
          "  --endpoint E    liftd endpoint, or several separated by commas (failover to the\n"
          "                  next on timeout) (env LIFT_ENDPOINT, default " LIFT_DEFAULT_ENDPOINT
          ")\n"
          "  --config FILE   model and experiments (default examples/sim.json)\n"
          "  --seed N        random seed, 0..4294967295 (default 1); same seed = same events\n"
          "  --weeks N       simulated weeks ending now, 1..52 (default 6)\n"
          "  --customers N   customers, 1..5000000 (default 50000)\n"
          "  --truth FILE    also write the ground truth as JSON to FILE\n"
          "  --json          print the ground truth as JSON instead of a table\n"
          "  --quiet         no progress bar and no notes\n"
          "  --local         decide assignments in this process with liftd's definitions\n"
          "                  (local evaluation, lift/local.h); exposures are sent in batches\n"
          "                  and acknowledged before each day's events\n"
          "  --clients K     sender threads, each with its own client, 1..64 (default 4; load 1)\n"
          "Load mode (any of these): Assign + Track traffic, then throughput and latency\n"
          "  --rate R        target requests/s over all clients, 0..1000000 (0 = unpaced)\n"
          "  --duration S    seconds of traffic, (0, 3600] (default 10)\n"
          "  --help          this text\n",
          f);
}

static int parse_long(const char *flag, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return usage_error("%s: '%s' is not an integer (%ld..%ld)", flag, s, lo, hi);
    if (v < lo || v > hi)
        return usage_error("%s: %ld is out of range (%ld..%ld)", flag, v, lo, hi);
    *out = v;
    return 0;
}

static int parse_double(const char *flag, const char *s, double lo, int lo_open, double hi,
                        double *out)
{
    char bound[64];
    snprintf(bound, sizeof bound, lo_open ? "%g < value <= %g" : "%g..%g", lo, hi);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return usage_error("%s: '%s' is not a number (%s)", flag, s, bound);
    if ((lo_open ? v <= lo : v < lo) || v > hi)
        return usage_error("%s: %g is out of range (%s)", flag, v, bound);
    *out = v;
    return 0;
}

int opts_parse(int argc, char **argv, opts_t *o)
{
    const char *env = getenv("LIFT_ENDPOINT");
    *o = (opts_t){.endpoint = env && *env ? env : LIFT_DEFAULT_ENDPOINT,
                  .config = "examples/sim.json",
                  .seed = 1,
                  .weeks = 6,
                  .customers = 50000,
                  .clients = 0,
                  .duration = 10};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
            continue;
        }
        if (strcmp(a, "--quiet") == 0) {
            o->quiet = 1;
            continue;
        }
        if (strcmp(a, "--local") == 0) {
            o->local = 1;
            continue;
        }
        static const char *const valued[] = {"--endpoint",  "--config", "--seed", "--weeks",
                                             "--customers", "--truth",  "--rate", "--clients",
                                             "--duration",  NULL};
        const char *flag = NULL, *val = NULL;
        char name[32];
        for (const char *const *v = valued; *v && !flag; v++) {
            size_t n = strlen(*v);
            if (strcmp(a, *v) == 0) {
                flag = *v;
                if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
                    return usage_error("%s: missing value", flag);
                val = argv[++i];
            } else if (strncmp(a, *v, n) == 0 && a[n] == '=') {
                flag = *v;
                val = a + n + 1;
            }
        }
        if (!flag)
            return usage_error("unknown argument '%s'", a);
        snprintf(name, sizeof name, "%s", flag);
        long n = 0;
        if (strcmp(name, "--endpoint") == 0 || strcmp(name, "--config") == 0 ||
            strcmp(name, "--truth") == 0) {
            if (!*val)
                return usage_error("%s: empty value", name);
            if (name[2] == 'e')
                o->endpoint = val;
            else if (name[2] == 'c')
                o->config = val;
            else
                o->truth = val;
        } else if (strcmp(name, "--seed") == 0) {
            if (parse_long(name, val, 0, 4294967295L, &n))
                return 2;
            o->seed = (unsigned long)n;
        } else if (strcmp(name, "--weeks") == 0) {
            if (parse_long(name, val, 1, 52, &n))
                return 2;
            o->weeks = (int)n;
        } else if (strcmp(name, "--customers") == 0) {
            if (parse_long(name, val, 1, 5000000, &o->customers))
                return 2;
        } else if (strcmp(name, "--clients") == 0) {
            if (parse_long(name, val, 1, POOL_THREADS_MAX, &n))
                return 2;
            o->clients = (int)n;
        } else if (strcmp(name, "--rate") == 0) {
            if (parse_double(name, val, 0, 0, 1e6, &o->rate))
                return 2;
            o->load = 1;
        } else {
            if (parse_double(name, val, 0, 1, 3600, &o->duration))
                return 2;
            o->load = 1;
        }
    }
    if (o->clients == 0)
        o->clients = o->load ? 1 : 4;
    if (o->local && o->load)
        return usage_error("--local: for the simulation only (load mode measures liftd itself)");
    return 0;
}
