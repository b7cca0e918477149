/* util: liftctl's shared helpers (util.h): flags and values, the one date-time parser, the
 * connection to liftd and the error messages. No output files (out.c), no sub-command. */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/keys.h"
#include "lift/limits.h"

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

int liftctl_valid_key(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > LIFT_KEY_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
              *s == '.'))
            return 0;
    return 1;
}

int liftctl_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int liftctl_flag(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "liftctl: %s: missing value\n", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

const char *liftctl_sub_command(int argc, char **argv, void (*help)(FILE *out), int *rc)
{
    if (argc < 2) {
        help(stderr);
        *rc = LIFTCTL_USAGE;
        return NULL;
    }
    if (liftctl_is_help(argv[1])) {
        help(stdout);
        *rc = LIFTCTL_OK;
        return NULL;
    }
    return argv[1];
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
        if (r < 0)
            return -1;
        char err[512];
        if (lift_endpoints_check(v, err, sizeof err) < 0) {
            fputs("liftctl: --endpoint: ", stderr);
            lift_safe_fputs(err, stderr);
            fputc('\n', stderr);
            return -1;
        }
        opts->endpoint = v;
        opts->endpoint_src = "--endpoint";
        return 1;
    }
    if ((r = liftctl_flag(argc, argv, i, "--timeout", &v)) != 0) {
        if (r < 0 || liftctl_parse_int64("--timeout", v, 1, 3600000, &n) != 0)
            return -1;
        opts->timeout_ms = (int)n;
        return 1;
    }
    if ((r = liftctl_flag(argc, argv, i, "--server-key", &v)) != 0) {
        if (r < 0)
            return -1;
        opts->server_key = v;
        return 1;
    }
    /* --key is global only before the command (main): `experiment create --key` is the
     * experiment's key. --key-file means the key file anywhere. */
    if ((r = liftctl_flag(argc, argv, i, "--key-file", &v)) != 0) {
        if (r < 0)
            return -1;
        opts->key_file = v;
        return 1;
    }
    if ((r = liftctl_flag(argc, argv, i, "--retries", &v)) != 0) {
        if (r < 0 || liftctl_parse_int64("--retries", v, 1, 100, &n) != 0)
            return -1;
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
    if (end == s || *end != '\0' || isnan(v)) {
        fprintf(stderr, "liftctl: %s: '%s' is not a number\n", flag, s);
        return -1;
    }
    /* too large or too small for a double (ERANGE, inf) is out of range like any other */
    if (errno == ERANGE || !isfinite(v) || (lo_open ? v <= lo : v < lo) ||
        (hi_open ? v >= hi : v > hi)) {
        fprintf(stderr, "liftctl: %s: %s is out of range %c%g, %g%c\n", flag, s,
                lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
        return -1;
    }
    *out = v;
    return 0;
}

int liftctl_parse_namespace(const char *flag, const char *s, size_t *id_len, double *lo, double *hi)
{
    const char *c2 = strrchr(s, ':');
    const char *c1 = c2 ? memrchr(s, ':', (size_t)(c2 - s)) : NULL;
    if (c1 == NULL || c1 == s) {
        fprintf(stderr, "liftctl: %s: '%s' is not ID:LO:HI (e.g. checkout:0:0.5)\n", flag, s);
        return -1;
    }
    char lo_flag[64], hi_flag[64];
    snprintf(lo_flag, sizeof lo_flag, "%s (LO)", flag);
    snprintf(hi_flag, sizeof hi_flag, "%s (HI)", flag);
    char *lo_s = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
    int bad = lo_s == NULL || liftctl_parse_double(lo_flag, lo_s, 0, 0, 1, 1, lo) != 0 ||
              liftctl_parse_double(hi_flag, c2 + 1, 0, 1, 1, 0, hi) != 0;
    free(lo_s);
    if (bad)
        return -1;
    if (*hi <= *lo) {
        fprintf(stderr, "liftctl: %s: HI %g must be above LO %g\n", flag, *hi, *lo);
        return -1;
    }
    *id_len = (size_t)(c1 - s);
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

/* Reads exactly `digits` decimal digits at *p into *v and advances *p; -1 (nothing moved) on a
 * non-digit. */
static int take_digits(const char **p, int digits, int *v)
{
    int r = 0;
    for (int k = 0; k < digits; k++) {
        char c = (*p)[k];
        if (c < '0' || c > '9')
            return -1;
        r = r * 10 + (c - '0');
    }
    *p += digits;
    *v = r;
    return 0;
}

/* The days in month m (1..12) of year y, Gregorian leap years. */
static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* The time of day and zone after "YYYY-MM-DD": [(T|t)HH:MM[:SS[.fraction]](Z|z|+HH[:]MM|-HH[:]MM)]
 * (with LIFTCTL_TIME_ISO the part is required, seconds included). Fills the fields; -1 when the
 * text does not have this form. */
static int scan_time_of_day(const char *p, int mode, int *h, int *mi, int *sec, int *ms,
                            int *offset_s)
{
    if (*p == '\0' && mode != LIFTCTL_TIME_ISO)
        return 0;
    if ((*p != 'T' && *p != 't') || (p++, take_digits(&p, 2, h)) || *p++ != ':' ||
        take_digits(&p, 2, mi))
        return -1;
    if (*p == ':') {
        p++;
        if (take_digits(&p, 2, sec))
            return -1;
        if (*p == '.') {
            int n = 0;
            for (p++; *p >= '0' && *p <= '9'; p++, n++)
                if (n < 3)
                    *ms = *ms * 10 + (*p - '0');
            if (n == 0 || n > 9)
                return -1;
            for (; n < 3; n++)
                *ms *= 10;
        }
    } else if (mode == LIFTCTL_TIME_ISO) {
        return -1;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (take_digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (take_digits(&p, 2, &om) || oh > 23 || om > 59)
            return -1;
        *offset_s = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    return *p == '\0' ? 0 : -1;
}

int liftctl_time_scan(const char *s, int mode, int64_t *out_ms)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, offset_s = 0;
    if (take_digits(&p, 4, &y) || *p++ != '-' || take_digits(&p, 2, &mo) || *p++ != '-' ||
        take_digits(&p, 2, &d) || scan_time_of_day(p, mode, &h, &mi, &sec, &ms, &offset_s) != 0)
        return -1;
    /* a leap second (:60) is the next minute's first */
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 60)
        return -2;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out_ms = ((int64_t)timegm(&tm) - offset_s) * 1000 + ms;
    return 0;
}

#define TIME_MAX_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

int liftctl_parse_time(const char *flag, const char *s, int64_t *out_ms)
{
    int all_digits = *s != '\0';
    for (const char *q = s; *q; q++)
        all_digits &= *q >= '0' && *q <= '9';
    if (all_digits) /* epoch milliseconds */
        return liftctl_parse_int64(flag, s, 0, TIME_MAX_MS, out_ms);
    int rc = liftctl_time_scan(s, LIFTCTL_TIME_FLAG, out_ms);
    if (rc == -2)
        fprintf(stderr, "liftctl: %s: '%s' is not a valid UTC date and time from 1970 on\n", flag,
                s);
    else if (rc != 0)
        fprintf(stderr,
                "liftctl: %s: '%s' is not a time: use epoch milliseconds, YYYY-MM-DD or "
                "YYYY-MM-DDTHH:MM:SSZ (UTC)\n",
                flag, s);
    return rc == 0 ? 0 : -1;
}

int liftctl_parse_enum(const char *flag, const char *s, int (*parse)(const char *, int *),
                       const char *(*names)(void), int *out)
{
    if (parse(s, out) == 0)
        return 0;
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

/* A client (local == 0) or a local evaluator over the same endpoints and keys. */
static void *connect_any(const liftctl_opts_t *opts, int local)
{
    lift_client_opts_t co = {.timeout_ms = opts->timeout_ms, .attempts = opts->retries};
    lift_keypair_t kp;
    char server[LIFT_KEY_Z85_LEN + 1], err[512];
    int have_server = opts->server_key && *opts->server_key;
    int have_key = opts->key_file && *opts->key_file;
    if (have_server != have_key) {
        fprintf(stderr,
                "liftctl: %s: CurveZMQ needs both the server's public key (--server-key "
                "or LIFT_SERVER_KEY) and this client's key file (--key or LIFT_KEY)\n",
                have_server ? "--key" : "--server-key");
        return NULL;
    }
    if (have_server) {
        if (lift_key_parse(opts->server_key, server) < 0 &&
            lift_keyfile_read_public(opts->server_key, server, err, sizeof err) < 0) {
            fprintf(stderr,
                    "liftctl: --server-key: not a 40-character Z85 key, and as a file: %s\n", err);
            return NULL;
        }
        if (lift_keyfile_read_secret(opts->key_file, &kp, err, sizeof err) < 0) {
            fprintf(stderr, "liftctl: --key: %s\n", err);
            return NULL;
        }
        co.server_key = server;
        co.public_key = kp.public_z85;
        co.secret_key = kp.secret_z85;
    }
    char eperr[512];
    if (lift_endpoints_check(opts->endpoint, eperr, sizeof eperr) < 0) {
        if (have_server)
            explicit_bzero(&kp, sizeof kp);
        fprintf(stderr, "liftctl: %s: ", opts->endpoint_src ? opts->endpoint_src : "--endpoint");
        lift_safe_fputs(eperr, stderr);
        fputc('\n', stderr);
        return NULL;
    }
    char lerr[512] = "";
    lift_local_opts_t lo = {.client = &co};
    void *c = local ? (void *)lift_local_new(opts->endpoint, &lo, lerr, sizeof lerr)
                    : (void *)lift_client_new(opts->endpoint, &co);
    if (have_server)
        explicit_bzero(&kp, sizeof kp);
    if (c == NULL && local) {
        fprintf(stderr, "liftctl: --local: cannot fetch the experiments' definitions: ");
        lift_safe_fputs(lerr, stderr);
        fputc('\n', stderr);
    } else if (c == NULL)
        fprintf(stderr, "liftctl: --endpoint: cannot use '%s': %s\n", opts->endpoint,
                errno == ENOTSUP                 ? "this libzmq has no CURVE support"
                : errno == EINVAL && have_server ? "bad keys"
                                                 : strerror(errno));
    return c;
}

lift_client_t *liftctl_connect(const liftctl_opts_t *opts)
{
    return connect_any(opts, 0);
}

lift_local_t *liftctl_connect_local(const liftctl_opts_t *opts)
{
    return connect_any(opts, 1);
}

int liftctl_fail(lift_client_t *client, lift_err_t err)
{
    const char *msg = lift_client_error(client);
    fprintf(stderr, "liftctl: %s: ", lift_err_name(err));
    lift_safe_fputs(*msg ? msg : lift_strerror(err), stderr);
    fputc('\n', stderr);
    if (lift_client_no_reply(client)) /* nothing answered: say where to look */
        fprintf(stderr,
                "liftctl: likely causes: liftd is not running at %s, or the endpoint%s "
                "wrong (--endpoint, LIFT_ENDPOINT; `liftctl ping` checks it)%s\n",
                lift_client_endpoint_count(client) > 1 ? "any of those endpoints" : "that endpoint",
                lift_client_endpoint_count(client) > 1 ? "s are" : " is",
                lift_client_uses_curve(client)
                    ? "; or liftd does not know this client's public key (it must be in liftd's "
                      "--authorized-keys file, re-read on SIGHUP), or --server-key is not that "
                      "liftd's public key: CurveZMQ drops both without any reply"
                    : "");
    return LIFTCTL_ERR;
}

int liftctl_each_item(const char *flag, const char *s,
                      int (*fn)(const char *flag, const char *item, void *arg), void *arg)
{
    if (*s == '\0') {
        fprintf(stderr, "liftctl: %s: empty list\n", flag);
        return -1;
    }
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == 0) {
            fprintf(stderr, "liftctl: %s: empty item in '%s'\n", flag, s);
            return -1;
        }
        char *item = strndup(p, n);
        if (item == NULL) {
            fprintf(stderr, "liftctl: %s: out of memory\n", flag);
            return -1;
        }
        int rc = fn(flag, item, arg);
        free(item);
        if (rc)
            return -1;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}
