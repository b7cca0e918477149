/* liftctl: the command-line client of liftd. Parses the global flags, dispatches to the
 * sub-commands in tools/cmd_*.c and holds the flag/number/time helpers they share.
 * It talks to liftd only through the client library (include/lift/client.h). */
#include "liftctl.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lift/keys.h"

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
            "  holdout create|list|show|start|stop|check                   program holdouts\n"
            "  assign EXPERIMENT --customer ID | --customers FILE          assign customers\n"
            "  bucket --seed S --weights W,... [--coverage C]              arms offline (stdin)\n"
            "  power ...                                                   size an experiment\n"
            "  track FILE [--format jsonl|csv] [--rejects FILE]            import events\n"
            "  report EXPERIMENT | --all-running [--week W] [--format F]   incrementality report\n"
            "  ping                                                        check the server\n"
            "  keygen [-o FILE] [--force]                                  make a CurveZMQ key pair\n"
            "\n"
            "global flags (also accepted after the command):\n"
            "  --endpoint E    liftd endpoint, or several of one deployment separated by commas\n"
            "                  (tcp://a:5555,tcp://b:5555): a request that times out is resent\n"
            "                  to the next one (env LIFT_ENDPOINT; default %s)\n"
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

int liftctl_valid_key(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > LIFT_KEY_MAX) return 0;
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

int liftctl_json_print(const json_t *j, FILE *out, size_t flags)
{
    char *text = json_dumps(j, flags);
    if (text == NULL) return -1;
    int rc = lift_safe_json_fputs(text, out) == 0 && fputc('\n', out) != EOF ? 0 : -1;
    free(text);
    return rc;
}

/* ---- output files ------------------------------------------------------------------------ */

int liftctl_write_all(int fd, const void *s, size_t n)
{
    const char *p = s;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* stdio cookie over o->fd that remembers the first write error in o->err: stdio keeps only a
 * flag, and by the time the caller checks it errno says something else. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
    liftctl_out_t *o = cookie;
    if (liftctl_write_all(o->fd, buf, n) == 0) return (ssize_t)n;
    if (o->err == 0) o->err = errno;
    return -1;
}

static int cookie_close(void *cookie)
{
    liftctl_out_t *o = cookie;
    int rc = o->fd >= 0 ? close(o->fd) : 0;
    if (rc != 0 && o->err == 0) o->err = errno;
    o->fd = -1;
    return rc;
}

/* A write stream over o->fd (owned: closed by fclose) with o->err kept up to date; line
 * buffered on a terminal, unbuffered for a secret. NULL (errno) if stdio cannot make one. */
static FILE *out_stream(liftctl_out_t *o)
{
    cookie_io_functions_t io = {
        .read = NULL, .write = cookie_write, .seek = NULL, .close = cookie_close};
    FILE *f = fopencookie(o, "w", io);
    if (f == NULL) return NULL;
    if (o->flags & LIFTCTL_OUT_SECRET)
        setvbuf(f, NULL, _IONBF, 0);
    else if (isatty(o->fd))
        setvbuf(f, NULL, _IOLBF, BUFSIZ);
    return f;
}

static int out_fail(liftctl_out_t *o, const char *why)
{
    fprintf(stderr, "liftctl: %s: '%s': %s\n", o->flag, o->path, why);
    return -1;
}

/* Writes in place into the existing non-regular file at o->path (a FIFO or a device). */
static int out_open_in_place(liftctl_out_t *o, int follow)
{
    int fd = open(o->path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0) return out_fail(o, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        close(fd); /* it changed between the check and the open: touch nothing */
        return out_fail(o, "changed while being opened; not written");
    }
    o->fd = fd;
    if ((o->f = out_stream(o)) == NULL) {
        close(fd);
        o->fd = -1;
        return out_fail(o, strerror(errno));
    }
    return 0;
}

int liftctl_out_open(liftctl_out_t *o, const char *flag, const char *path, int flags)
{
    memset(o, 0, sizeof *o);
    o->flag = flag ? flag : "-o";
    o->path = path;
    o->flags = flags;
    o->fd = -1;
    if (path == NULL) {
        o->f = stdout;
        return 0;
    }
    struct stat ls, ts;
    char why[4200];
    if (lstat(path, &ls) == 0) {
        if (S_ISLNK(ls.st_mode)) {
            char target[4096];
            ssize_t n = readlink(path, target, sizeof target - 1);
            target[n > 0 ? n : 0] = '\0';
            if (stat(path, &ts) != 0) {
                snprintf(why, sizeof why,
                         "is a symbolic link to '%s', which %s; not followed (give the target's "
                         "path)",
                         target, errno == ENOENT ? "does not exist" : strerror(errno));
                return out_fail(o, why);
            }
            if (S_ISREG(ts.st_mode) || S_ISDIR(ts.st_mode) || S_ISSOCK(ts.st_mode)) {
                snprintf(why, sizeof why,
                         "is a symbolic link to %s '%s': neither is replaced (give the target's "
                         "path to replace it)",
                         S_ISREG(ts.st_mode)   ? "the file"
                         : S_ISDIR(ts.st_mode) ? "the directory"
                                               : "the socket",
                         target);
                return out_fail(o, why);
            }
            return out_open_in_place(o, 1); /* /dev/stdout, /dev/fd/N, a link to a FIFO */
        }
        if (S_ISDIR(ls.st_mode)) return out_fail(o, "is a directory");
        if (S_ISSOCK(ls.st_mode)) return out_fail(o, "is a socket: cannot write to it");
        if (!S_ISREG(ls.st_mode)) return out_open_in_place(o, 0);
        if (flags & LIFTCTL_OUT_NOREPLACE) return out_fail(o, "exists (use --force to replace it)");
    } else if (errno != ENOENT) {
        return out_fail(o, strerror(errno));
    }
    /* a new file or a regular one: write beside it, rename over it at close */
    if (snprintf(o->tmp, sizeof o->tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof o->tmp) {
        o->tmp[0] = '\0';
        snprintf(why, sizeof why, "path too long (at most %zu bytes)", sizeof o->tmp - 12);
        return out_fail(o, why);
    }
    int fd = mkostemp(o->tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) {
        o->tmp[0] = '\0';
        snprintf(why, sizeof why, "cannot create a file beside it: %s", strerror(errno));
        return out_fail(o, why);
    }
    if (!(flags & LIFTCTL_OUT_SECRET)) {
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(fd, 0666 & ~mask) != 0) { /* an ordinary file, as the shell's > makes */
            snprintf(why, sizeof why, "cannot set the mode of '%s': %s", o->tmp, strerror(errno));
            close(fd);
            unlink(o->tmp);
            o->tmp[0] = '\0';
            return out_fail(o, why);
        }
    }
    o->fd = fd;
    if ((o->f = out_stream(o)) == NULL) {
        snprintf(why, sizeof why, "%s", strerror(errno));
        close(fd);
        unlink(o->tmp);
        o->tmp[0] = '\0';
        o->fd = -1;
        return out_fail(o, why);
    }
    return 0;
}

/* Renames tmp to path without replacing an existing file (link + unlink where the file system
 * has no RENAME_NOREPLACE). */
static int rename_noreplace(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    if (link(tmp, path) != 0) return -1;
    unlink(tmp);
    return 0;
}

int liftctl_out_close(liftctl_out_t *o, int ok)
{
    if (o->path == NULL) { /* standard output: liftctl's main checks it once, at exit */
        o->f = NULL;
        return ok ? 0 : -1;
    }
    if (o->f == NULL) return -1;
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f)) e = o->err ? o->err : errno ? errno : EIO;
    if (!e && o->tmp[0] && o->fd >= 0 && fsync(o->fd) != 0) e = errno;
    if (fclose(o->f) != 0 && !e) e = o->err ? o->err : errno ? errno : EIO;
    o->f = NULL;
    if (o->tmp[0]) {
        if (ok && !e &&
            ((o->flags & LIFTCTL_OUT_NOREPLACE) ? rename_noreplace(o->tmp, o->path)
                                                : rename(o->tmp, o->path)) != 0)
            e = errno;
        if (!ok || e) unlink(o->tmp);
        if (ok && !e) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s", o->path);
            int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd >= 0) { /* make the rename itself durable */
                fsync(dfd);
                close(dfd);
            }
        }
        o->tmp[0] = '\0';
    }
    if (e) {
        char why[300];
        snprintf(why, sizeof why, "cannot write: %s%s", strerror(e),
                 e == EEXIST && (o->flags & LIFTCTL_OUT_NOREPLACE)
                     ? " (created meanwhile; use --force to replace it)"
                     : "");
        out_fail(o, why);
        return -1;
    }
    return ok ? 0 : -1;
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
        fprintf(stderr, "liftctl: %s: CurveZMQ needs both the server's public key (--server-key "
                        "or LIFT_SERVER_KEY) and this client's key file (--key or LIFT_KEY)\n",
                have_server ? "--key" : "--server-key");
        return NULL;
    }
    if (have_server) {
        if (lift_key_parse(opts->server_key, server) < 0 &&
            lift_keyfile_read_public(opts->server_key, server, err, sizeof err) < 0) {
            fprintf(stderr, "liftctl: --server-key: not a 40-character Z85 key, and as a file: %s\n",
                    err);
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
        if (have_server) explicit_bzero(&kp, sizeof kp);
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
                errno == ENOTSUP ? "this libzmq has no CURVE support"
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

static int cmd_ping(const liftctl_opts_t *gopts, int argc, char **argv)
{
    liftctl_opts_t o = *gopts;
    for (int i = 1; i < argc; i++) {
        if (liftctl_is_help(argv[i])) {
            printf("usage: liftctl ping\n\nAsks liftd for its version and clock, and the "
                   "currency, hash version and\nlimits it announces; exit 0 when it answers. With "
                   "several endpoints, prints\nthe one that answered (the first that does, in "
                   "list order).\n");
            return LIFTCTL_OK;
        }
        int g = liftctl_global_flag(&o, argc, argv, &i);
        if (g < 0) return LIFTCTL_USAGE;
        if (g == 0) return liftctl_usage_error("ping", "ping: unexpected argument '%s'", argv[i]);
    }
    lift_client_t *c = liftctl_connect(&o);
    if (c == NULL) return LIFTCTL_USAGE;
    /* The whole Pong: version and clock, and what the deployment announces (currency, hash
     * version, limits; unset from an older liftd). */
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Ping ping = LIFT__PING__INIT;
    req.body_case = LIFT__REQUEST__BODY_PING;
    req.ping = &ping;
    Lift__Reply *reply = NULL;
    lift_err_t rc = lift_call(c, &req, &reply, NULL, 0);
    if (rc == LIFT_OK && (reply == NULL || reply->body_case != LIFT__REPLY__BODY_PONG))
        rc = LIFT_ERR_PROTOCOL;
    if (rc != LIFT_OK) {
        lift_reply_free(&reply);
        int r = liftctl_fail(c, rc);
        lift_client_destroy(&c);
        return r;
    }
    const Lift__Pong *pg = reply->pong;
    const Lift__Limits *lim = pg->limits;
    const char *version = pg->version ? pg->version : "";
    int64_t now = pg->has_now_ms ? pg->now_ms : 0;
    char when[40];
    liftctl_format_time(now, when, sizeof when);
    if (o.json) {
        json_t *j = json_pack("{s:s,s:s,s:I}", "endpoint", lift_client_endpoint(c), "version",
                              version, "now_ms", (json_int_t)now);
        json_object_set_new(j, "currency", pg->currency ? json_string(pg->currency) : json_null());
        json_object_set_new(j, "hash_version",
                            pg->hash_version ? json_string(pg->hash_version) : json_null());
        json_t *jl = json_null();
        if (lim) {
            jl = json_object();
            if (lim->has_max_request_bytes)
                json_object_set_new(jl, "max_request_bytes", json_integer(lim->max_request_bytes));
            if (lim->has_request_headroom_bytes)
                json_object_set_new(jl, "request_headroom_bytes",
                                    json_integer(lim->request_headroom_bytes));
            if (lim->has_batch_max)
                json_object_set_new(jl, "batch_max", json_integer(lim->batch_max));
            if (lim->has_in_flight_per_connection)
                json_object_set_new(jl, "in_flight_per_connection",
                                    json_integer(lim->in_flight_per_connection));
            if (lim->has_reports_in_flight)
                json_object_set_new(jl, "reports_in_flight", json_integer(lim->reports_in_flight));
            if (lim->has_clock_skew_ms)
                json_object_set_new(jl, "clock_skew_ms", json_integer(lim->clock_skew_ms));
            if (lim->has_customer_id_max_bytes)
                json_object_set_new(jl, "customer_id_max_bytes",
                                    json_integer(lim->customer_id_max_bytes));
            if (lim->has_event_id_max_bytes)
                json_object_set_new(jl, "event_id_max_bytes", json_integer(lim->event_id_max_bytes));
            if (lim->has_segment_by_max)
                json_object_set_new(jl, "segment_by_max", json_integer(lim->segment_by_max));
        }
        json_object_set_new(j, "limits", jl);
        liftctl_json_print(j, stdout, JSON_PRESERVE_ORDER);
        json_decref(j);
    } else {
        char v[LIFT_SAFE_CAP(64)];
        char ep[LIFT_SAFE_CAP(LIFT_ENDPOINT_LEN_MAX)];
        printf("%s: liftd %s, server time %s\n",
               lift_safe_text(lift_client_endpoint(c), ep, sizeof ep),
               lift_safe_text(version, v, sizeof v), when);
        if (pg->currency || pg->hash_version) {
            char cur[LIFT_SAFE_CAP(16)], hv[LIFT_SAFE_CAP(64)];
            printf("  currency %s, hash %s\n",
                   pg->currency ? lift_safe_text(pg->currency, cur, sizeof cur) : "?",
                   pg->hash_version ? lift_safe_text(pg->hash_version, hv, sizeof hv) : "?");
        }
        if (lim && lim->has_in_flight_per_connection && lim->has_batch_max &&
            lim->has_max_request_bytes)
            printf("  limits: %u requests in flight per connection, %u per batch, %u-byte "
                   "requests\n",
                   lim->in_flight_per_connection, lim->batch_max, lim->max_request_bytes);
    }
    lift_reply_free(&reply);
    lift_client_destroy(&c);
    return LIFTCTL_OK;
}

static int dispatch(liftctl_opts_t *opts, int argc, char **argv)
{
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
        if (g > 0) opts->key_file = v;
        if (g == 0) g = liftctl_global_flag(opts, argc, argv, &i);
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
        return cmd_experiment(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "assign") == 0) return cmd_assign(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "holdout") == 0) return cmd_holdout(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "bucket") == 0) return cmd_bucket(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "power") == 0) return cmd_power(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "track") == 0) return cmd_track(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "report") == 0) return cmd_report(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "ping") == 0) return cmd_ping(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "keygen") == 0) return cmd_keygen(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return LIFTCTL_OK;
    }
    if (strcmp(cmd, "store") == 0) /* the store belongs to liftd: liftctl only talks to it */
        return liftctl_usage_error(NULL, "unknown command 'store' (copying stores is `liftd copy "
                                         "SRC DST`)");
    return liftctl_usage_error(NULL,
                               "unknown command '%s' (experiment, holdout, assign, bucket, "
                               "power, track, report, ping, keygen)",
                               cmd);
}

int main(int argc, char **argv)
{
    const char *env = getenv("LIFT_ENDPOINT");
    liftctl_opts_t opts = {.endpoint = env && *env ? env : LIFT_DEFAULT_ENDPOINT,
                           .endpoint_src = env && *env ? "LIFT_ENDPOINT" : "--endpoint",
                           .timeout_ms = LIFT_CLIENT_TIMEOUT_MS,
                           .retries = LIFT_CLIENT_ATTEMPTS,
                           .server_key = getenv("LIFT_SERVER_KEY"),
                           .key_file = getenv("LIFT_KEY")};
    /* Every command prints through stdout; a write error there (a full disk, /dev/full, a
     * closed terminal) must not end in exit 0. Standard output goes through a stream that keeps
     * the first error's errno, checked once here after the command. */
    liftctl_out_t so = {.flag = "stdout", .fd = STDOUT_FILENO};
    FILE *wrapped = out_stream(&so);
    FILE *real = stdout;
    if (wrapped) stdout = wrapped;
    int rc = dispatch(&opts, argc, argv);
    int e = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) e = so.err ? so.err : errno ? errno : EIO;
    if (wrapped) {
        if (fclose(wrapped) != 0 && !e) e = so.err ? so.err : EIO; /* closes fd 1: NFS errors */
        stdout = real;
    }
    if (e) {
        fprintf(stderr, "liftctl: cannot write output: %s\n", strerror(e));
        if (rc == LIFTCTL_OK) rc = LIFTCTL_ERR;
    }
    return rc;
}
