/* liftctl: the command-line client of liftd. Parses the global flags, dispatches to the
 * sub-commands in tools/cmd_*.c and holds the flag/number/time helpers they share.
 * It talks to liftd only through the client library (include/lift/client.h). */
#include "liftctl.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: liftctl [--endpoint E] [--json] [--timeout MS] [--retries N]\n"
            "               [--server-key KEY|FILE --key FILE] <command> ...\n"
            "\n"
            "Lift command-line client: register and run upsell experiments, assign customers.\n"
            "\n"
            "commands:\n"
            "  experiment create|list|show|start|pause|resume|stop|ramp   manage experiments\n"
            "  assign EXPERIMENT --customer ID | --customers FILE          assign customers\n"
            "  bucket --seed S --weights W,... [--coverage C]              arms offline (stdin)\n"
            "  power ...                                                   size an experiment\n"
            "  track FILE [--format jsonl|csv] [--rejects FILE]            import events\n"
            "  report EXPERIMENT | --all-running [--week W] [--format F]   incrementality report\n"
            "  ping                                                        check the server\n"
            "  keygen [-o FILE] [--force]                                  make a CurveZMQ key pair\n"
            "\n"
            "global flags (also accepted after the command):\n"
            "  --endpoint E    liftd endpoint (env LIFT_ENDPOINT; default %s)\n"
            "  --json          machine-readable JSON output\n"
            "  --timeout MS    per-attempt timeout, 1..3600000 (default %d)\n"
            "  --server-key K  the server's public key: 40 Z85 characters or a file holding it\n"
            "                  (env LIFT_SERVER_KEY); encrypts with CurveZMQ\n"
            "  --key FILE      this client's key file from `liftctl keygen` (env LIFT_KEY);\n"
            "                  its public key must be in liftd's authorized-keys file. Before\n"
            "                  the command only (after it: --key-file FILE)\n"
            "  --retries N     attempts per request, 1..100 (default %d); retries are safe:\n"
            "                  every Lift write is idempotent\n"
            "  --help, -h      this help; `liftctl <command> --help` for a command\n"
            "  --version       print the version\n"
            "\n"
            "exit status: 0 ok, 1 server or validation error, 2 usage error\n",
            LIFT_DEFAULT_ENDPOINT, LIFT_CLIENT_TIMEOUT_MS, LIFT_CLIENT_ATTEMPTS);
}

int liftctl_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("liftctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see: liftctl %s%s--help)\n", cmd ? cmd : "", cmd ? " " : "");
    return LIFTCTL_USAGE;
}

int liftctl_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int liftctl_flag(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0') return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "liftctl: %s: missing value\n", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int liftctl_global_flag(liftctl_opts_t *opts, int argc, char **argv, int *i)
{
    const char *v;
    int r;
    int64_t n;
    if (strcmp(argv[*i], "--json") == 0) {
        opts->json = 1;
        return 1;
    }
    if ((r = liftctl_flag(argc, argv, i, "--endpoint", &v)) != 0) {
        if (r < 0) return -1;
        if (*v == '\0') {
            fprintf(stderr, "liftctl: --endpoint: empty (e.g. %s)\n", LIFT_DEFAULT_ENDPOINT);
            return -1;
        }
        opts->endpoint = v;
        return 1;
    }
    if ((r = liftctl_flag(argc, argv, i, "--timeout", &v)) != 0) {
        if (r < 0 || liftctl_parse_int64("--timeout", v, 1, 3600000, &n) != 0) return -1;
        opts->timeout_ms = (int)n;
        return 1;
    }
    if ((r = liftctl_flag(argc, argv, i, "--server-key", &v)) != 0) {
        if (r < 0) return -1;
        opts->server_key = v;
        return 1;
    }
    /* --key is global only before the command (main): `experiment create --key` is the
     * experiment's key. --key-file means the key file anywhere. */
    if ((r = liftctl_flag(argc, argv, i, "--key-file", &v)) != 0) {
        if (r < 0) return -1;
        opts->key_file = v;
        return 1;
    }
    if ((r = liftctl_flag(argc, argv, i, "--retries", &v)) != 0) {
        if (r < 0 || liftctl_parse_int64("--retries", v, 1, 100, &n) != 0) return -1;
        opts->retries = (int)n;
        return 1;
    }
    return 0;
}

int liftctl_parse_double(const char *flag, const char *s, double lo, int lo_open, double hi,
                         int hi_open, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        fprintf(stderr, "liftctl: %s: '%s' is not a number\n", flag, s);
        return -1;
    }
    if ((lo_open ? v <= lo : v < lo) || (hi_open ? v >= hi : v > hi)) {
        fprintf(stderr, "liftctl: %s: %s is out of range %c%g, %g%c\n", flag, s,
                lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
        return -1;
    }
    *out = v;
    return 0;
}

int liftctl_parse_int64(const char *flag, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE) {
        fprintf(stderr, "liftctl: %s: '%s' is not an integer\n", flag, s);
        return -1;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "liftctl: %s: %s is out of range [%lld, %lld]\n", flag, s, (long long)lo,
                (long long)hi);
        return -1;
    }
    *out = v;
    return 0;
}

int liftctl_take_digits(const char **p, int digits, int *v)
{
    int r = 0;
    for (int k = 0; k < digits; k++) {
        char c = (*p)[k];
        if (c < '0' || c > '9') return -1;
        r = r * 10 + (c - '0');
    }
    *p += digits;
    *v = r;
    return 0;
}

int liftctl_days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

#define TIME_MAX_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

int liftctl_parse_time(const char *flag, const char *s, int64_t *out_ms)
{
    const char *p = s;
    int all_digits = *p != '\0';
    for (const char *q = s; *q; q++)
        all_digits &= *q >= '0' && *q <= '9';
    if (all_digits) /* epoch milliseconds */
        return liftctl_parse_int64(flag, s, 0, TIME_MAX_MS, out_ms);

    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
    if (liftctl_take_digits(&p, 4, &y) || *p++ != '-' || liftctl_take_digits(&p, 2, &mo) ||
        *p++ != '-' || liftctl_take_digits(&p, 2, &d))
        goto bad;
    if (*p == 'T') {
        p++;
        if (liftctl_take_digits(&p, 2, &h) || *p++ != ':' || liftctl_take_digits(&p, 2, &mi))
            goto bad;
        if (*p == ':') {
            p++;
            if (liftctl_take_digits(&p, 2, &sec)) goto bad;
            if (*p == '.') {
                p++;
                if (liftctl_take_digits(&p, 3, &ms)) goto bad;
            }
        }
        if (*p++ != 'Z') goto bad;
    }
    if (*p != '\0') goto bad;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > liftctl_days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 59) {
        fprintf(stderr, "liftctl: %s: '%s' is not a valid UTC date and time from 1970 on\n", flag,
                s);
        return -1;
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out_ms = (int64_t)timegm(&tm) * 1000 + ms;
    return 0;
bad:
    fprintf(stderr,
            "liftctl: %s: '%s' is not a time: use epoch milliseconds, YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM:SSZ (UTC)\n",
            flag, s);
    return -1;
}

int liftctl_parse_enum(const char *flag, const char *s, int (*parse)(const char *, int *),
                       const char *(*names)(void), int *out)
{
    if (parse(s, out) == 0) return 0;
    fprintf(stderr, "liftctl: %s: unknown value '%s' (one of: %s)\n", flag, s, names());
    return -1;
}

void liftctl_format_time(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < 0 || gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, len, "%lld", (long long)ms);
        return;
    }
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ms % 1000)
        snprintf(buf, len, "%s.%03dZ", base, (int)(ms % 1000));
    else
        snprintf(buf, len, "%sZ", base);
}

lift_client_t *liftctl_connect(const liftctl_opts_t *opts)
{
    lift_client_opts_t co = {.timeout_ms = opts->timeout_ms, .attempts = opts->retries};
    auth_keypair_t kp;
    char server[AUTH_Z85_LEN + 1], err[512];
    int have_server = opts->server_key && *opts->server_key;
    int have_key = opts->key_file && *opts->key_file;
    if (have_server != have_key) {
        fprintf(stderr, "liftctl: %s: CurveZMQ needs both the server's public key (--server-key "
                        "or LIFT_SERVER_KEY) and this client's key file (--key or LIFT_KEY)\n",
                have_server ? "--key" : "--server-key");
        return NULL;
    }
    if (have_server) {
        if (auth_key_parse(opts->server_key, server) < 0 &&
            auth_keyfile_read_public(opts->server_key, server, err, sizeof err) < 0) {
            fprintf(stderr, "liftctl: --server-key: not a 40-character Z85 key, and as a file: %s\n",
                    err);
            return NULL;
        }
        if (auth_keyfile_read_secret(opts->key_file, &kp, err, sizeof err) < 0) {
            fprintf(stderr, "liftctl: --key: %s\n", err);
            return NULL;
        }
        co.server_key = server;
        co.public_key = kp.public_z85;
        co.secret_key = kp.secret_z85;
    }
    lift_client_t *c = lift_client_new(opts->endpoint, &co);
    if (have_server)
        explicit_bzero(&kp, sizeof kp);
    if (c == NULL)
        fprintf(stderr, "liftctl: --endpoint: cannot use '%s': %s\n", opts->endpoint,
                errno == ENOTSUP ? "this libzmq has no CURVE support"
                : errno == EINVAL && have_server ? "bad endpoint or keys"
                : errno == EINVAL || errno == EPROTONOSUPPORT
                    ? "not a ZeroMQ endpoint (e.g. tcp://127.0.0.1:5555, ipc:///path)"
                    : strerror(errno));
    return c;
}

int liftctl_fail(lift_client_t *client, lift_err_t err)
{
    const char *msg = lift_client_error(client);
    fprintf(stderr, "liftctl: %s: %s\n", lift_err_name(err), *msg ? msg : lift_strerror(err));
    return LIFTCTL_ERR;
}

static int cmd_ping(const liftctl_opts_t *gopts, int argc, char **argv)
{
    liftctl_opts_t o = *gopts;
    for (int i = 1; i < argc; i++) {
        if (liftctl_is_help(argv[i])) {
            printf("usage: liftctl ping\n\nAsks liftd for its version and clock; exit 0 when it "
                   "answers.\n");
            return LIFTCTL_OK;
        }
        int g = liftctl_global_flag(&o, argc, argv, &i);
        if (g < 0) return LIFTCTL_USAGE;
        if (g == 0) return liftctl_usage_error("ping", "ping: unexpected argument '%s'", argv[i]);
    }
    lift_client_t *c = liftctl_connect(&o);
    if (c == NULL) return LIFTCTL_USAGE;
    char version[64], when[40];
    int64_t now = 0;
    lift_err_t rc = lift_ping(c, version, sizeof version, &now);
    if (rc != LIFT_OK) {
        int r = liftctl_fail(c, rc);
        lift_client_destroy(&c);
        return r;
    }
    liftctl_format_time(now, when, sizeof when);
    if (o.json) {
        json_t *j = json_pack("{s:s,s:s,s:I}", "endpoint", o.endpoint, "version", version, "now_ms",
                              (json_int_t)now);
        json_dumpf(j, stdout, JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(j);
    } else
        printf("%s: liftd %s, server time %s\n", o.endpoint, version, when);
    lift_client_destroy(&c);
    return LIFTCTL_OK;
}

int main(int argc, char **argv)
{
    const char *env = getenv("LIFT_ENDPOINT");
    liftctl_opts_t opts = {.endpoint = env && *env ? env : LIFT_DEFAULT_ENDPOINT,
                           .timeout_ms = LIFT_CLIENT_TIMEOUT_MS,
                           .retries = LIFT_CLIENT_ATTEMPTS,
                           .server_key = getenv("LIFT_SERVER_KEY"),
                           .key_file = getenv("LIFT_KEY")};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (liftctl_is_help(argv[i])) {
            usage(stdout);
            return LIFTCTL_OK;
        }
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            printf("liftctl %s\n", LIFT_VERSION);
            return LIFTCTL_OK;
        }
        const char *v;
        int g = liftctl_flag(argc, argv, &i, "--key", &v);
        if (g > 0) opts.key_file = v;
        if (g == 0) g = liftctl_global_flag(&opts, argc, argv, &i);
        if (g < 0) return LIFTCTL_USAGE;
        if (g == 0) return liftctl_usage_error(NULL, "unknown flag '%s'", argv[i]);
    }
    if (i >= argc) {
        usage(stderr);
        return LIFTCTL_USAGE;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    if (strcmp(cmd, "experiment") == 0 || strcmp(cmd, "exp") == 0)
        return cmd_experiment(&opts, sub_argc, sub_argv);
    if (strcmp(cmd, "assign") == 0) return cmd_assign(&opts, sub_argc, sub_argv);
    if (strcmp(cmd, "bucket") == 0) return cmd_bucket(&opts, sub_argc, sub_argv);
    if (strcmp(cmd, "power") == 0) return cmd_power(&opts, sub_argc, sub_argv);
    if (strcmp(cmd, "track") == 0) return cmd_track(&opts, sub_argc, sub_argv);
    if (strcmp(cmd, "report") == 0) return cmd_report(&opts, sub_argc, sub_argv);
    if (strcmp(cmd, "ping") == 0) return cmd_ping(&opts, sub_argc, sub_argv);
    if (strcmp(cmd, "keygen") == 0) return cmd_keygen(&opts, sub_argc, sub_argv);
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return LIFTCTL_OK;
    }
    return liftctl_usage_error(
        NULL, "unknown command '%s' (experiment, assign, bucket, power, track, report, ping, keygen)", cmd);
}
