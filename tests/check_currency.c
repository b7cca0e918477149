/* currency suite: the shared ISO 4217 table (lift/currency.h) and what depends on it — liftd
 * refusing a code it does not hold, Pong.currency, liftctl track reading `amount` with the
 * deployment's decimals (JPY 0, KWD 3), and a JPY report rendered without decimals.
 * It does not re-test the other ingest rules (the ingest and liftctl suites do). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lift/currency.h"
#include "testutil.h"
#include "lift/lift.h"

Suite *currency_suite(void);

#define KEY "upsell-usage-q4"
#define EXPERIMENT_FILE "examples/experiment.json"
#define TS "\"timestamp\":\"2026-11-06T12:00:00Z\""

static tliftd_t T;

/* ---- helpers -------------------------------------------------------------------------------- */

typedef struct {
    int rc;    /* exit status, -1 when killed */
    char *out; /* stdout, NUL-terminated */
    char *err; /* stderr, NUL-terminated */
} res_t;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *name, char *path, size_t len, const char *text)
{
    snprintf(path, len, "%s/%s", T.dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "create %s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Runs prog with argv (NULL-terminated, argv[0] included) and stdout/stderr to files in T.dir;
 * kills it after timeout_s (rc -1). */
static res_t run(const char *const *argv, int timeout_s)
{
    char outp[400], errp[400];
    snprintf(outp, sizeof outp, "%s/run.out", T.dir);
    snprintf(errp, sizeof errp, "%s/run.err", T.dir);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0, done = 0;
    for (int i = 0; i < timeout_s * 50 && !done; i++) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        ck_assert_msg(w >= 0 || errno == EINTR, "waitpid: %s", strerror(errno));
        if (w == pid)
            done = 1;
        else
            usleep(20000);
    }
    if (!done) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    res_t r = {done && WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(outp), slurp(errp)};
    ck_assert_msg(r.rc != 126 && r.rc != 127, "cannot run %s: %s", argv[0], r.err);
    return r;
}

/* `liftctl --endpoint <T's> ARGS...` (NULL-terminated). */
static res_t liftctl(const char *first, ...)
{
    char prog[512];
    const char *argv[40];
    int argc = 0;
    tu_program("liftctl", prog, sizeof prog);
    argv[argc++] = prog;
    argv[argc++] = "--endpoint";
    argv[argc++] = T.endpoint;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL; a = va_arg(ap, const char *)) {
        ck_assert_int_lt(argc, 39);
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    return run(argv, 60);
}

#define LIFTCTL(...) liftctl(__VA_ARGS__, (const char *)NULL)

static void res_free(res_t *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* Asserts the exit status and that stderr holds every word (NULL-terminated). */
static void expect(const res_t *r, int rc, ...)
{
    ck_assert_msg(r->rc == rc, "exit %d, want %d; stdout: %s; stderr: %s", r->rc, rc, r->out,
                  r->err);
    va_list ap;
    va_start(ap, rc);
    for (const char *w; (w = va_arg(ap, const char *)) != NULL;)
        ck_assert_msg(strstr(r->err, w) != NULL, "stderr lacks '%s': %s", w, r->err);
    va_end(ap);
}

static int64_t amount_of(const char *event_id)
{
    tu_events_t e = tu_store_events(T.data, &(tu_event_filter_t){.event_id = event_id});
    ck_assert_int_eq(e.count, 1);
    return e.amount;
}

static int64_t stored(const char *event_id)
{
    return tu_store_events(T.data, &(tu_event_filter_t){.event_id = event_id}).count;
}

static void start_with(const char *currency)
{
    tu_liftd_init(&T);
    const char *extra[] = {"--currency", currency, NULL};
    tu_liftd_start(&T, extra);
}

static void setup_jpy(void)
{
    start_with("JPY");
}

static void setup_kwd(void)
{
    start_with("KWD");
}

static void teardown(void)
{
    tu_liftd_fini(&T);
}

/* ---- the table ------------------------------------------------------------------------------ */

START_TEST(test_table_minor_units)
{
    static const struct {
        const char *code;
        int digits;
    } cases[] = {
        {"JPY", 0},
        {"KRW", 0},
        {"VND", 0},
        {"ISK", 0},
        {"CLP", 0},
        {"XOF", 0},
        {"UGX", 0},
        {"USD", 2},
        {"EUR", 2},
        {"GBP", 2},
        {"CHF", 2},
        {"INR", 2},
        {"XCG", 2},
        {"ZWG", 2},
        {"SLE", 2},
        {"VED", 2},
        {"KWD", 3},
        {"BHD", 3},
        {"JOD", 3},
        {"OMR", 3},
        {"TND", 3},
        {"LYD", 3},
        {"IQD", 3},
        {"CLF", 4},
        {"UYW", 4},
        /* not active codes, or codes without minor units: refused */
        {"ABC", -1},
        {"jpy", -1},
        {"Usd", -1},
        {"US", -1},
        {"USDX", -1},
        {"", -1},
        {"HRK", -1},
        {"BGN", -1},
        {"ANG", -1},
        {"SLL", -1},
        {"ZWL", -1},
        {"CUC", -1},
        {"VEF", -1},
        {"XAU", -1},
        {"XDR", -1},
        {"XTS", -1},
        {"XXX", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(lift_currency_digits(cases[i].code) == cases[i].digits, "%s: %d, want %d",
                      cases[i].code, lift_currency_digits(cases[i].code), cases[i].digits);
    ck_assert_int_eq(lift_currency_digits(NULL), -1);
    /* The whole list, not a handful: ISO 4217 List One (2026-01-01) has 178 alphabetic codes,
     * 165 of them with minor units (the other 13 say N.A.). */
    int usable = 0, max = 0;
    char code[4] = "AAA";
    for (code[0] = 'A'; code[0] <= 'Z'; code[0]++)
        for (code[1] = 'A'; code[1] <= 'Z'; code[1]++)
            for (code[2] = 'A'; code[2] <= 'Z'; code[2]++) {
                int d = lift_currency_digits(code);
                usable += d >= 0;
                if (d > max)
                    max = d;
                ck_assert_int_eq(lift_currency_check(code, NULL, 0), d >= 0 ? 0 : -1);
            }
    ck_assert_int_eq(usable, 165);
    ck_assert_int_eq(max, LIFT_CURRENCY_DIGITS_MAX);
}
END_TEST

START_TEST(test_check_names_the_value)
{
    char why[200];
    ck_assert_int_eq(lift_currency_check("USD", why, sizeof why), 0);
    ck_assert_int_eq(lift_currency_check("ABC", why, sizeof why), -1);
    ck_assert_msg(strstr(why, "'ABC'") && strstr(why, "ISO 4217"), "%s", why);
    ck_assert_int_eq(lift_currency_check("jpy", why, sizeof why), -1);
    ck_assert_msg(strstr(why, "'jpy'") && strstr(why, "JPY"), "%s", why);
    ck_assert_int_eq(lift_currency_check("XAU", why, sizeof why), -1);
    ck_assert_msg(strstr(why, "'XAU'") && strstr(why, "minor units"), "%s", why);
    ck_assert_int_eq(lift_currency_check(NULL, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "''"), "%s", why);
}
END_TEST

START_TEST(test_parse_major_units)
{
    static const struct {
        const char *text;
        int digits, rc;
        int64_t minor;
    } cases[] = {
        {"4900", 0, 0, 4900},
        {"49.50", 0, -3, 0},
        {"4900.00", 0, 0, 4900}, /* zeros beyond the currency's decimals change nothing */
        {"0.5", 0, -3, 0},
        {"49.50", 2, 0, 4950},
        {"49.5", 2, 0, 4950},
        {"-3", 2, 0, -300},
        {"+7", 2, 0, 700},
        {"49.001", 2, -3, 0},
        {"49.0010", 3, 0, 49001},
        {"1.234", 3, 0, 1234},
        {"1.2345", 3, -3, 0},
        {"1", 3, 0, 1000},
        {"1.0001", 4, 0, 10001},
        {"9223372036854775807", 0, 0, INT64_MAX},
        {"9223372036854775808", 0, -2, 0},
        {"92233720368547758.07", 2, 0, INT64_MAX},
        {"92233720368547758.08", 2, -2, 0},
        {"-92233720368547758.07", 2, 0, -INT64_MAX},
        {"922337203685477.5807", 4, 0, INT64_MAX},
        {"99999999999999999999999", 2, -2, 0},
        {"", 2, -1, 0},
        {".", 2, -1, 0},
        {"1.", 2, -1, 0},
        {".5", 2, -1, 0},
        {"1e3", 2, -1, 0},
        {" 1", 2, -1, 0},
        {"1 ", 2, -1, 0},
        {"--1", 2, -1, 0},
        {"1,000", 2, -1, 0},
        {"12x", 2, -1, 0},
        {"1", 5, -1, 0},
        {"1", -1, -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 12345;
        int rc = lift_currency_parse(cases[i].text, cases[i].digits, &v);
        ck_assert_msg(rc == cases[i].rc, "'%s' (%d): rc %d, want %d", cases[i].text,
                      cases[i].digits, rc, cases[i].rc);
        ck_assert_msg(v == (rc == 0 ? cases[i].minor : 12345), "'%s' (%d): %" PRId64, cases[i].text,
                      cases[i].digits, v);
    }
    int64_t v;
    ck_assert_int_eq(lift_currency_parse(NULL, 2, &v), -1);
}
END_TEST

START_TEST(test_format_minor_units)
{
    static const struct {
        double minor;
        int digits, plus;
        const char *want;
    } cases[] = {
        {4900, 0, 0, "4,900"},
        {4950, 2, 0, "49.50"},
        {1234, 3, 0, "1.234"},
        {5, 4, 0, "0.0005"},
        {5, 2, 0, "0.05"},
        {0, 0, 0, "0"},
        {-1234567, 0, 0, "-1,234,567"},
        {1234567, 2, 1, "+12,345.67"},
        {-0.4, 2, 0, "0.00"},
        {-0.4, 0, 1, "0"},
        {123456789, 3, 0, "123,456.789"},
        {999.5, 0, 0, "1,000"},
    };
    char b[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(
            lift_currency_format(b, sizeof b, cases[i].minor, cases[i].digits, cases[i].plus), 0);
        ck_assert_str_eq(b, cases[i].want);
    }
    /* Any double, no overflow; failures leave "" */
    char big[600];
    ck_assert_int_eq(lift_currency_format(big, sizeof big, 1e300, 0, 0), 0);
    ck_assert_int_eq(strncmp(big, "1,000,000,", 10), 0);
    ck_assert_int_eq(lift_currency_format(b, 6, 4900, 0, 0), 0); /* "4,900" needs 6 bytes */
    ck_assert_int_eq(lift_currency_format(b, 5, 4900, 0, 0), -1);
    ck_assert_str_eq(b, "");
    ck_assert_int_eq(lift_currency_format(b, sizeof b, NAN, 2, 0), -1);
    ck_assert_int_eq(lift_currency_format(b, sizeof b, 1, 5, 0), -1);
}
END_TEST

/* ---- liftd ---------------------------------------------------------------------------------- */

static void setup_dir(void)
{
    tu_liftd_init(&T);
}

START_TEST(test_liftd_refuses_unknown_code)
{
    /* Three letters used to be enough: ABC started, jpy did not, HRK (withdrawn) and XAU (no
     * minor unit) did. Each must now exit 1 at once, naming the value. */
    static const char *const codes[] = {"ABC", "HRK", "XAU", "jpy"};
    char prog[512];
    tu_program("liftd", prog, sizeof prog);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *argv[] = {prog,   "--endpoint", T.endpoint, "--data",
                              T.data, "--currency", codes[i],   NULL};
        res_t r = run(argv, 10);
        char want[16];
        snprintf(want, sizeof want, "'%s'", codes[i]);
        ck_assert_msg(r.rc == 1, "--currency %s: exit %d (want 1); stderr: %s", codes[i], r.rc,
                      r.err);
        ck_assert_msg(strstr(r.err, "--currency") && strstr(r.err, want) &&
                          strstr(r.err, "ISO 4217"),
                      "--currency %s: %s", codes[i], r.err);
        res_free(&r);
    }
    /* ... and the store it refused never got a currency: a valid one starts it. */
    const char *extra[] = {"--currency", "KWD", NULL};
    tu_liftd_start(&T, extra);
    lift_server_info_t info;
    ck_assert_int_eq(lift_server_info(T.client, &info), LIFT_OK);
    ck_assert_str_eq(info.currency, "KWD");
}
END_TEST

START_TEST(test_pong_carries_currency)
{
    lift_server_info_t info;
    memset(&info, 'x', sizeof info);
    ck_assert_int_eq(lift_server_info(T.client, &info), LIFT_OK);
    ck_assert_str_eq(info.currency, "JPY");
    ck_assert_str_eq(info.version, LIFT_VERSION);
    ck_assert_int_gt(info.now_ms, 0);
    /* lift_ping still answers the old way */
    char version[8];
    int64_t now = 0;
    ck_assert_int_eq(lift_ping(T.client, version, sizeof version, &now), LIFT_OK);
    ck_assert_str_eq(version, LIFT_VERSION);
    ck_assert_int_gt(now, 0);
}
END_TEST

/* ---- liftctl track -------------------------------------------------------------------------- */

START_TEST(test_track_jpy_amounts)
{
    char in[400], csv[400];
    write_file("jpy.jsonl", in, sizeof in,
               /* 1 */
               "{\"event_id\":\"y1\",\"customer_id\":\"c1\",\"type\":\"conversion\"," TS
               ",\"amount\":\"4900\"}\n"
               /* 2 */ "{\"event_id\":\"y2\",\"customer_id\":\"c2\",\"type\":\"conversion\"," TS
               ",\"amount\":\"49.50\"}\n"
               /* 3: a JSON number is read the same way */
               "{\"event_id\":\"y3\",\"customer_id\":\"c3\",\"type\":\"refund\"," TS
               ",\"amount\":1200}\n"
               /* 4 */ "{\"event_id\":\"y4\",\"customer_id\":\"c4\",\"type\":\"conversion\"," TS
               ",\"amount\":49.5}\n"
               /* 5: the row's own currency, given after the amount */
               "{\"event_id\":\"y5\",\"customer_id\":\"c5\",\"type\":\"conversion\"," TS
               ",\"amount\":\"7\",\"currency\":\"JPY\"}\n"
               /* 6: amount_minor is minor units as before (JPY: the same number) */
               "{\"event_id\":\"y6\",\"customer_id\":\"c6\",\"type\":\"conversion\"," TS
               ",\"amount_minor\":4900}\n");
    res_t r = LIFTCTL("track", in);
    expect(&r, 1, "line 2: amount: '49.50'", "JPY has 0 decimals", "line 4: amount: '49.5'", NULL);
    ck_assert_msg(strstr(r.out, "accepted 4, duplicates 0, rejected 2 (2 malformed"), "%s", r.out);
    res_free(&r);
    ck_assert_int_eq(amount_of("y1"), 4900); /* not 490000 */
    ck_assert_int_eq(amount_of("y3"), 1200);
    ck_assert_int_eq(amount_of("y5"), 7);
    ck_assert_int_eq(amount_of("y6"), 4900);
    ck_assert_int_eq(stored("y2"), 0);
    ck_assert_int_eq(stored("y4"), 0);

    /* CSV: the currency column after the amount column */
    write_file("jpy.csv", csv, sizeof csv,
               "event_id,customer_id,type,timestamp,amount,currency\n"
               "z1,c1,conversion,2026-11-06T12:00:00Z,12345,JPY\n"
               "z2,c2,conversion,2026-11-06T12:00:00Z,123.45,\n"
               "z3,c3,conversion,2026-11-06T12:00:00Z,98765,\n");
    r = LIFTCTL("track", csv);
    expect(&r, 1, "line 3: amount: '123.45'", "JPY has 0 decimals", NULL);
    res_free(&r);
    ck_assert_int_eq(amount_of("z1"), 12345);
    ck_assert_int_eq(amount_of("z3"), 98765);
    ck_assert_int_eq(stored("z2"), 0);
}
END_TEST

START_TEST(test_track_kwd_amounts)
{
    char in[400];
    write_file("kwd.jsonl", in, sizeof in,
               "{\"event_id\":\"k1\",\"customer_id\":\"c1\",\"type\":\"conversion\"," TS
               ",\"amount\":\"1.234\"}\n"
               "{\"event_id\":\"k2\",\"customer_id\":\"c2\",\"type\":\"conversion\"," TS
               ",\"amount\":\"1.2345\"}\n"
               "{\"event_id\":\"k3\",\"customer_id\":\"c3\",\"type\":\"conversion\"," TS
               ",\"amount\":0.5}\n"
               "{\"event_id\":\"k4\",\"customer_id\":\"c4\",\"type\":\"conversion\"," TS
               ",\"amount\":\"49\"}\n");
    res_t r = LIFTCTL("track", in);
    expect(&r, 1, "line 2: amount: '1.2345' has more than 3 decimals", "KWD has 3", NULL);
    res_free(&r);
    ck_assert_int_eq(amount_of("k1"), 1234);
    ck_assert_int_eq(amount_of("k3"), 500);
    ck_assert_int_eq(amount_of("k4"), 49000);
    ck_assert_int_eq(stored("k2"), 0);
}
END_TEST

/* ---- the report ----------------------------------------------------------------------------- */

/* Every "JPY <amount>" in text: counts them and fails on one with a decimal point, also in the
 * interval that follows it. */
static int jpy_amounts(const char *text, const char *format)
{
    int n = 0;
    for (const char *p = strstr(text, "JPY "); p; p = strstr(p + 1, "JPY ")) {
        const char *q = p + 4;
        if (*q == '-' || *q == '+')
            q++;
        if (*q < '0' || *q > '9')
            continue;
        while ((*q >= '0' && *q <= '9') || *q == ',')
            q++;
        ck_assert_msg(!(q[0] == '.' && q[1] >= '0' && q[1] <= '9'), "%s: '%.24s' has decimals",
                      format, p);
        if (strncmp(q, " (95%", 5) == 0) { /* its interval, in yen too */
            const char *end = strchr(q, ')');
            ck_assert_ptr_nonnull(end);
            ck_assert_msg(memchr(q, '.', (size_t)(end - q)) == NULL, "%s: '%.*s' has decimals",
                          format, (int)(end - p + 1), p);
        }
        n++;
    }
    return n;
}

/* Fails on a grouped number with decimals ("1,844.10") in what is shown (HTML: outside tags):
 * money with decimals, as percentages and p-values are never grouped. */
static void no_grouped_decimals(const char *html_or_text, const char *format)
{
    char *text = strdup(html_or_text);
    ck_assert_ptr_nonnull(text);
    int in_tag = 0;
    if (strcmp(format, "html") == 0) /* blank the markup: SVG paths are "x,y" pairs */
        for (char *t = text; *t; t++) {
            if (*t == '<')
                in_tag = 1;
            if (in_tag) {
                in_tag = *t != '>';
                *t = ' ';
            }
        }
    for (const char *p = strchr(text, ','); p; p = strchr(p + 1, ',')) {
        if (p == text || p[-1] < '0' || p[-1] > '9')
            continue;
        const char *q = p + 1;
        while ((*q >= '0' && *q <= '9') || *q == ',')
            q++;
        ck_assert_msg(!(q - p > 3 && q[0] == '.' && q[1] >= '0' && q[1] <= '9'),
                      "%s: '%.16s' is an amount with decimals", format, p - 1);
    }
    free(text);
}

START_TEST(test_report_jpy_has_no_decimals)
{
    res_t r = LIFTCTL("experiment", "create", "-f", EXPERIMENT_FILE);
    expect(&r, 0, NULL);
    res_free(&r);
    r = LIFTCTL("experiment", "start", KEY);
    expect(&r, 0, NULL);
    res_free(&r);
    char ids[400], text[64 * 60];
    size_t k = 0;
    for (int i = 0; i < 60; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "team-%02d\n", i);
    write_file("ids.txt", ids, sizeof ids, text);
    r = LIFTCTL("assign", KEY, "--customers", ids, "--trigger", "usage_threshold", "--stage",
                "growth", "--channel", "in_app");
    expect(&r, 0, NULL);
    /* Conversions after exposure: 4,900 yen for every other holdout customer, 12,345 yen for
     * every treated one. */
    lift_server_info_t info;
    ck_assert_int_eq(lift_server_info(T.client, &info), LIFT_OK);
    int64_t at = info.now_ms + 1000, revenue[3] = {0, 0, 0};
    char events[400], *ev = malloc(60 * 200), *line = r.out;
    ck_assert_ptr_nonnull(ev);
    k = 0;
    for (int i = 0; i < 60; i++) {
        char id[16];
        int arm = -1;
        ck_assert_msg(sscanf(line, "%15[^\t]\t%d", id, &arm) == 2 && arm >= 0 && arm <= 2,
                      "assign output: %.60s", line);
        line = strchr(line, '\n') + 1;
        if (arm == 0 && i % 2)
            continue;
        const char *amount = arm == 0 ? "4900" : "12345";
        revenue[arm] += arm == 0 ? 4900 : 12345;
        k += (size_t)snprintf(ev + k, 60 * 200 - k,
                              "{\"event_id\":\"cv-%s\",\"customer_id\":\"%s\",\"type\":"
                              "\"conversion\",\"timestamp_ms\":%" PRId64 ",\"amount\":\"%s\"}\n",
                              id, id, at, amount);
    }
    res_free(&r);
    write_file("conv.jsonl", events, sizeof events, ev);
    free(ev);
    r = LIFTCTL("track", events);
    expect(&r, 0, NULL);
    res_free(&r);
    ck_assert_int_eq(tu_store_events(T.data, NULL).amount_sum,
                     revenue[0] + revenue[1] + revenue[2]);

    char to[32];
    snprintf(to, sizeof to, "%" PRId64, info.now_ms + 3600 * 1000);
    static const char *const human[] = {"table", "markdown", "html"};
    for (size_t f = 0; f < 3; f++) {
        r = LIFTCTL("report", KEY, "--to", to, "--format", human[f]);
        expect(&r, 0, NULL);
        ck_assert_msg(jpy_amounts(r.out, human[f]) >= 1, "%s: no JPY amount in: %s", human[f],
                      r.out);
        no_grouped_decimals(r.out, human[f]);
        /* the per-arm revenue, in yen with thousands separators and no decimals */
        for (int a = 1; a < 3; a++) {
            char want[32];
            ck_assert_int_eq(lift_currency_format(want, sizeof want, (double)revenue[a], 0, 0), 0);
            ck_assert_msg(revenue[a] == 0 || strstr(r.out, want), "%s: arm %d revenue %s missing",
                          human[f], a, want);
        }
        if (f == 0)
            ck_assert_msg(strstr(r.out, "JPY (0 decimals)"), "provenance: %s", r.out);
        res_free(&r);
    }
    r = LIFTCTL("report", KEY, "--to", to, "--format", "json");
    expect(&r, 0, NULL);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    ck_assert_msg(j != NULL, "json: %s", je.text);
    ck_assert_str_eq(json_string_value(json_object_get(j, "currency")), "JPY");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "currency_minor_units")), 0);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(j, "provenance"), "currency")), "JPY");
    json_t *arms = json_object_get(j, "arms");
    ck_assert_int_eq(json_array_size(arms), 3);
    for (size_t a = 0; a < 3; a++) /* minor units of yen are yen */
        ck_assert_int_eq(
            json_integer_value(json_object_get(json_array_get(arms, a), "revenue_minor")),
            revenue[a]);
    json_decref(j);
    res_free(&r);
}
END_TEST

Suite *currency_suite(void)
{
    Suite *s = suite_create("currency");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_table_minor_units);
    tcase_add_test(tc, test_check_names_the_value);
    tcase_add_test(tc, test_parse_major_units);
    tcase_add_test(tc, test_format_minor_units);
    suite_add_tcase(s, tc);

    TCase *te = tcase_create("errors");
    tcase_add_checked_fixture(te, setup_dir, teardown);
    tcase_set_timeout(te, 60);
    tcase_add_test(te, test_liftd_refuses_unknown_code);
    suite_add_tcase(s, te);

    TCase *tj = tcase_create("jpy");
    tcase_add_checked_fixture(tj, setup_jpy, teardown);
    tcase_set_timeout(tj, 120);
    tcase_add_test(tj, test_pong_carries_currency);
    tcase_add_test(tj, test_track_jpy_amounts);
    tcase_add_test(tj, test_report_jpy_has_no_decimals);
    suite_add_tcase(s, tj);

    TCase *tk = tcase_create("kwd");
    tcase_add_checked_fixture(tk, setup_kwd, teardown);
    tcase_set_timeout(tk, 60);
    tcase_add_test(tk, test_track_kwd_amounts);
    suite_add_tcase(s, tk);
    return s;
}
