/* liftctl suite: runs the built liftctl as a child process against a real liftd (experiment,
 * assign, bucket, power, track) and checks its output, exit codes and what liftd stored.
 * It does not re-test the server's rules: those are in the registry and ingest suites. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <inttypes.h>
#include <math.h>
#include <pty.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lift/stats.h"
#include "pgharness.h"
#include "store.h"
#include "testutil.h"

#define KEY "upsell-usage-q4"
#define EXPERIMENT_FILE "examples/experiment.json"
#define EVENTS_JSONL "examples/events.jsonl"
#define EVENTS_CSV "examples/events.csv"

static tliftd_t T;

typedef struct {
    int rc;    /* exit status, -1 when killed */
    char *out; /* stdout, NUL-terminated */
    char *err; /* stderr, NUL-terminated */
} res_t;

static void setup(void)
{
    tu_liftd_init(&T);
    tu_liftd_start(&T, NULL);
}

/* The copy cases name their backends themselves: every test liftd on SQLite even under make
 * check-pg (a checked fixture runs in the test's own process: the variable goes with it). */
static void setup_sqlite(void)
{
    unsetenv("LIFT_TEST_STORE");
    setup();
}

static void teardown(void)
{
    tu_liftd_fini(&T);
}

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

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "create %s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", T.dir, name);
}

/* 1: run_liftctl leaves out --endpoint (the endpoint then comes from LIFT_ENDPOINT). */
static int no_endpoint_flag;

/* Runs build/<name> ARGS (ap, NULL-terminated) with stdin from in_path (NULL: /dev/null),
 * liftctl with `--endpoint <T's>` first unless no_endpoint_flag, and returns its exit status
 * and output. */
static res_t run_program(const char *name, const char *in_path, va_list ap)
{
    char prog[512], outp[400], errp[400];
    const char *argv[40];
    int argc = 0;
    tu_program(name, prog, sizeof prog);
    argv[argc++] = prog;
    if (strcmp(name, "liftctl") == 0 && !no_endpoint_flag) {
        argv[argc++] = "--endpoint";
        argv[argc++] = T.endpoint;
    }
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL) {
        ck_assert_int_lt(argc, 39);
        argv[argc++] = a;
    }
    argv[argc] = NULL;
    tmp_path(outp, sizeof outp, "liftctl.out");
    tmp_path(errp, sizeof errp, "liftctl.err");
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
        int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    res_t r = {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(outp), slurp(errp)};
    ck_assert_msg(r.rc != 126 && r.rc != 127, "cannot run %s: %s", prog, r.err);
    return r;
}

/* Runs `liftctl --endpoint <T's> ARGS...` (NULL-terminated) with stdin from in_path. */
static res_t run_liftctl(const char *in_path, ...)
{
    va_list ap;
    va_start(ap, in_path);
    res_t r = run_program("liftctl", in_path, ap);
    va_end(ap);
    return r;
}

/* Runs `liftd ARGS...` (NULL-terminated) with stdin from in_path: `liftd copy` (COPY), the
 * store copy, is the server's command. */
static res_t run_liftd(const char *in_path, ...)
{
    va_list ap;
    va_start(ap, in_path);
    res_t r = run_program("liftd", in_path, ap);
    va_end(ap);
    return r;
}

#define LIFTCTL(in, ...) run_liftctl(in, __VA_ARGS__, (const char *)NULL)
#define COPY(...) run_liftd(NULL, "copy", __VA_ARGS__, (const char *)NULL)

static void res_free(res_t *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* Asserts rc and that stderr contains every word (NULL-terminated). */
static void expect(const res_t *r, int rc, ...)
{
    va_list ap;
    const char *w;
    ck_assert_msg(r->rc == rc, "exit %d, want %d; stdout: %s; stderr: %s", r->rc, rc, r->out,
                  r->err);
    va_start(ap, rc);
    while ((w = va_arg(ap, const char *)) != NULL)
        ck_assert_msg(strstr(r->err, w) != NULL, "stderr lacks '%s': %s", w, r->err);
    va_end(ap);
}

static json_t *parse_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    ck_assert_msg(j != NULL, "not JSON (%s): %s", e.text, text);
    return j;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* Non-blank lines of a file. */
static int file_rows(const char *path)
{
    char *text = slurp(path);
    int n = 0, blank = 1;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            n += !blank;
            blank = 1;
        } else if (*p != ' ' && *p != '\r') {
            blank = 0;
        }
    }
    n += !blank;
    free(text);
    return n;
}

/* The example customers' exposures at endpoint (their impressions and clicks in examples/
 * name the arm liftd assigns them). */
static void assign_examples(const char *endpoint, const char *channel)
{
    res_t r = LIFTCTL(NULL, "--endpoint", endpoint, "assign", KEY, "--customers",
                      "examples/customers.txt", "--trigger", "usage_threshold", "--stage", "growth",
                      "--channel", channel);
    expect(&r, 0, NULL);
    res_free(&r);
}

static void create_and_start(void)
{
    res_t r = LIFTCTL(NULL, "experiment", "create", "-f", EXPERIMENT_FILE);
    expect(&r, 0, NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "experiment", "start", KEY);
    expect(&r, 0, NULL);
    res_free(&r);
    assign_examples(T.endpoint, "in_app");
}

/* `liftctl --json track ...` summary counts. */
typedef struct {
    json_int_t accepted, duplicates, rejected, malformed, server;
} counts_t;

static counts_t track_counts(const res_t *r)
{
    json_t *j = parse_json(r->out);
    counts_t c;
    ck_assert_int_eq(json_unpack(j, "{s:I,s:I,s:I,s:I,s:I}", "accepted", &c.accepted, "duplicates",
                                 &c.duplicates, "rejected", &c.rejected, "malformed", &c.malformed,
                                 "server_rejected", &c.server),
                     0);
    json_decref(j);
    return c;
}

/* ---- experiment ----------------------------------------------------------------------------- */

START_TEST(test_experiment_lifecycle)
{
    ck_assert_msg(access(EXPERIMENT_FILE, R_OK) == 0, "run from the repository root (%s)",
                  EXPERIMENT_FILE);
    res_t r = LIFTCTL(NULL, "experiment", "create", "-f", EXPERIMENT_FILE);
    expect(&r, 0, NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "experiment", "create", "-f", EXPERIMENT_FILE); /* idempotent retry */
    expect(&r, 0, NULL);
    res_free(&r);

    r = LIFTCTL(NULL, "--json", "experiment", "show", KEY);
    expect(&r, 0, NULL);
    json_t *j = parse_json(r.out);
    ck_assert_str_eq(json_string_value(json_object_get(j, "key")), KEY);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "draft");
    ck_assert_uint_eq(json_array_size(json_object_get(j, "arms")), 3);
    json_decref(j);
    res_free(&r);

    r = LIFTCTL(NULL, "experiment", "start", KEY);
    expect(&r, 0, NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "experiment", "list", "--status", "running");
    expect(&r, 0, NULL);
    ck_assert_msg(strstr(r.out, KEY) != NULL, "running list lacks %s: %s", KEY, r.out);
    res_free(&r);
    r = LIFTCTL(NULL, "experiment", "list", "--status", "draft");
    expect(&r, 0, NULL);
    ck_assert_msg(strstr(r.out, KEY) == NULL, "draft list has the running %s: %s", KEY, r.out);
    res_free(&r);

    r = LIFTCTL(NULL, "experiment", "create", "-f", EXPERIMENT_FILE, "--coverage", "1.5");
    expect(&r, 2, "--coverage", "(0, 1]", NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "experiment", "ramp", KEY, "--coverage", "0.5"); /* 1 -> 0.5: down */
    expect(&r, 1, "coverage", NULL);
    res_free(&r);
}
END_TEST

/* ---- assign and bucket ---------------------------------------------------------------------- */

START_TEST(test_assign)
{
    create_and_start();
    res_t r = LIFTCTL(NULL, "assign", KEY, "--customer", "cust-1", "--trigger", "usage_threshold",
                      "--stage", "growth", "--channel", "in_app");
    expect(&r, 0, NULL);
    int arm = -1, used = 0;
    char name[64] = "";
    ck_assert_int_eq(count_lines(r.out), 1);
    ck_assert_msg(sscanf(r.out, "cust-1\t%d\t%63[^\n]\n%n", &arm, name, &used) == 2 &&
                      (size_t)used == strlen(r.out),
                  "not `id<TAB>arm<TAB>name`: %s", r.out);
    static const char *const names[] = {"holdout", "offer-immediate", "offer-delayed-24h"};
    ck_assert_int_ge(arm, 0);
    ck_assert_int_le(arm, 2);
    ck_assert_str_eq(name, names[arm]);
    res_free(&r);

    /* at_risk is never eligible, whatever the stored exposure says */
    r = LIFTCTL(NULL, "assign", KEY, "--customer", "cust-1", "--trigger", "usage_threshold",
                "--stage", "at_risk", "--channel", "in_app");
    expect(&r, 0, NULL);
    ck_assert_str_eq(r.out, "cust-1\t-1\tnone\n");
    res_free(&r);

    char ids[400];
    tmp_path(ids, sizeof ids, "ids.txt");
    FILE *f = fopen(ids, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 100; i++)
        fprintf(f, "team-%03d\n", i);
    fclose(f);
    r = LIFTCTL(NULL, "assign", KEY, "--customers", ids, "--trigger", "team_growth", "--stage",
                "maturity", "--channel", "email");
    expect(&r, 0, NULL);
    ck_assert_int_eq(count_lines(r.out), 100);
    const char *p = r.out;
    for (int i = 0; i < 100; i++) {
        char want[16];
        snprintf(want, sizeof want, "team-%03d\t", i);
        ck_assert_msg(strncmp(p, want, strlen(want)) == 0, "line %d: %.40s", i + 1, p);
        p = strchr(p, '\n') + 1;
    }
    res_free(&r);

    /* --local decides in liftctl's process: the same lines as liftd's, for new customers
     * (their exposures acknowledged before liftctl exits) and for those liftd decided. */
    tmp_path(ids, sizeof ids, "ids2.txt");
    f = fopen(ids, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 100; i++)
        fprintf(f, "%s-%03d\n", i % 2 ? "team" : "loc", i);
    fclose(f);
    res_t loc = LIFTCTL(NULL, "assign", KEY, "--customers", ids, "--trigger", "team_growth",
                        "--stage", "maturity", "--channel", "email", "--local");
    expect(&loc, 0, NULL);
    ck_assert_int_eq(count_lines(loc.out), 100);
    res_t srv = LIFTCTL(NULL, "assign", KEY, "--customers", ids, "--trigger", "team_growth",
                        "--stage", "maturity", "--channel", "email", "--json");
    expect(&srv, 0, NULL);
    res_t again = LIFTCTL(NULL, "assign", KEY, "--customers", ids, "--trigger", "team_growth",
                          "--stage", "maturity", "--channel", "email");
    expect(&again, 0, NULL);
    ck_assert_str_eq(loc.out, again.out);
    /* liftd found every exposure stored already: by the local run or the served one before */
    ck_assert_ptr_null(strstr(srv.out, "\"first_exposure\":true"));
    res_free(&loc);
    res_free(&srv);
    res_free(&again);
    r = LIFTCTL(NULL, "assign", "no-such-key", "--customer", "c-1", "--trigger", "team_growth",
                "--stage", "maturity", "--channel", "email", "--local");
    expect(&r, 1, "NOT_FOUND", NULL);
    res_free(&r);
}
END_TEST

/* The pure-function promise: `bucket` with the experiment's seed and weights gives every
 * customer the arm liftd gives them. */
START_TEST(test_bucket_matches_server)
{
    create_and_start();
    res_t r = LIFTCTL(NULL, "--json", "experiment", "show", KEY);
    expect(&r, 0, NULL);
    json_t *x = parse_json(r.out);
    res_free(&r);
    char seed[128], weights[128] = "";
    size_t k;
    json_t *arm;
    snprintf(seed, sizeof seed, "%s", json_string_value(json_object_get(x, "seed")));
    json_array_foreach(json_object_get(x, "arms"), k, arm)
    {
        size_t n = strlen(weights);
        snprintf(weights + n, sizeof weights - n, "%s%.17g", k ? "," : "",
                 json_real_value(json_object_get(arm, "weight")));
    }
    ck_assert_double_eq(json_real_value(json_object_get(x, "coverage")), 1.0);
    json_decref(x);

    char ids[400];
    tmp_path(ids, sizeof ids, "ids.txt");
    FILE *f = fopen(ids, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 200; i++)
        fprintf(f, "%s-%d\n", i % 3 ? "acct" : "Zoë-café", i * 7919); /* non-ASCII too */
    fclose(f);

    res_t srv = LIFTCTL(NULL, "assign", KEY, "--customers", ids, "--trigger", "usage_threshold",
                        "--stage", "growth", "--channel", "in_app");
    expect(&srv, 0, NULL);
    res_t off = LIFTCTL(ids, "bucket", "--seed", seed, "--weights", weights);
    expect(&off, 0, NULL);
    ck_assert_int_eq(count_lines(srv.out), 200);
    ck_assert_int_eq(count_lines(off.out), 200);
    const char *a = srv.out, *b = off.out;
    int seen[3] = {0};
    for (int i = 0; i < 200; i++) {
        char ida[160], idb[160];
        int arm_a, arm_b;
        ck_assert_int_eq(sscanf(a, "%159[^\t]\t%d", ida, &arm_a), 2);
        ck_assert_int_eq(sscanf(b, "%159[^\t]\t%d", idb, &arm_b), 2);
        ck_assert_str_eq(ida, idb);
        ck_assert_msg(arm_a == arm_b, "%s: liftd arm %d, bucket arm %d", ida, arm_a, arm_b);
        ck_assert(arm_a >= 0 && arm_a <= 2);
        seen[arm_a]++;
        a = strchr(a, '\n') + 1;
        b = strchr(b, '\n') + 1;
    }
    ck_assert(seen[0] > 0 && seen[1] > 0 && seen[2] > 0); /* 200 draws hit every arm */
    res_free(&srv);
    res_free(&off);

    r = LIFTCTL(ids, "bucket", "--seed", seed, "--weights", "0.5,0.6");
    expect(&r, 2, "--weights", "must be 1", NULL);
    ck_assert_str_eq(r.out, "");
    res_free(&r);

    /* --json: quote and backslash escaped, bidi controls as \u escapes (the same JSON string,
     * but a terminal cannot reorder it) */
    f = fopen(ids, "w");
    ck_assert_ptr_nonnull(f);
    fputs("q\"uo\\te\nalice\xe2\x80\xae"
          "evil\xe2\x81\xa6\n\xd8\x9cx\njos\xc3\xa9\n",
          f);
    fclose(f);
    r = LIFTCTL(ids, "--json", "bucket", "--seed", seed, "--weights", weights);
    expect(&r, 0, NULL);
    ck_assert_ptr_nonnull(strstr(r.out, "{\"customer_id\":\"q\\\"uo\\\\te\","));
    ck_assert_ptr_nonnull(strstr(r.out, "{\"customer_id\":\"alice\\u202eevil\\u2066\","));
    ck_assert_ptr_nonnull(strstr(r.out, "{\"customer_id\":\"\\u061cx\","));
    ck_assert_ptr_nonnull(strstr(r.out, "{\"customer_id\":\"jos\xc3\xa9\","));
    ck_assert_ptr_null(strstr(r.out, "\xe2\x80\xae"));
    res_free(&r);
}
END_TEST

/* ---- power ---------------------------------------------------------------------------------- */

START_TEST(test_power)
{
    res_t r = LIFTCTL(NULL, "power", "--baseline-rate", "0.04", "--mde", "0.10", "--holdout", "0.1",
                      "--json");
    expect(&r, 0, NULL);
    lift_stats_init();
    lift_power_t want = lift_power_rate(0.04, 0.10, 0.1, 0.05, 0.8, 0);
    ck_assert_int_eq(want.status, LIFT_STAT_OK);
    json_t *j = parse_json(r.out);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "customers_holdout")), want.n_holdout);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "customers_treatment")),
                     want.n_treatment);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "customers_total")),
                     want.n_holdout + want.n_treatment);
    ck_assert_double_eq_tol(json_number_value(json_object_get(j, "mde_absolute")), want.effect,
                            1e-12);
    json_decref(j);
    res_free(&r);

    r = LIFTCTL(NULL, "power", "--baseline-rate", "1.5", "--mde", "0.10", "--holdout", "0.1");
    expect(&r, 2, "--baseline-rate", "(0, 1)", NULL);
    res_free(&r);
}
END_TEST

/* ---- track ---------------------------------------------------------------------------------- */

START_TEST(test_track_examples)
{
    create_and_start();
    int jsonl = file_rows(EVENTS_JSONL), csv = file_rows(EVENTS_CSV) - 1; /* minus the header */
    ck_assert_int_ge(jsonl, 15);
    ck_assert_int_ge(csv, 3);

    res_t r = LIFTCTL(NULL, "--json", "track", EVENTS_JSONL);
    expect(&r, 0, NULL);
    counts_t c = track_counts(&r);
    ck_assert_int_eq(c.accepted, jsonl);
    ck_assert_int_eq(c.duplicates + c.rejected, 0);
    res_free(&r);
    r = LIFTCTL(NULL, "track", EVENTS_CSV); /* the text summary */
    expect(&r, 0, NULL);
    char want[128];
    snprintf(want, sizeof want,
             "accepted %d, duplicates 0, rejected 0 (0 malformed, 0 by the "
             "server), conflicts 0\n",
             csv);
    ck_assert_str_eq(r.out, want);
    res_free(&r);
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).count, jsonl + csv);
    /* the amounts: amount_minor, "39.20", 120.5 and "49.00" all end up in minor units */
    ck_assert_int_eq(
        tu_store_events(tu_liftd_store(&T), &(tu_event_filter_t){.type = 3}).amount_sum,
        4900 + 3920 + 4900 + 12050 + 4900 + 3920);
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T),
                                     &(tu_event_filter_t){.plan_to = "Pro, annual (\"Q4 offer\")"})
                         .count,
                     1);

    /* Re-importing is safe: everything is a duplicate, nothing new is stored. */
    r = LIFTCTL(NULL, "--json", "track", EVENTS_JSONL, "--batch", "7");
    expect(&r, 0, NULL);
    c = track_counts(&r);
    ck_assert_int_eq(c.accepted, 0);
    ck_assert_int_eq(c.duplicates, jsonl);
    res_free(&r);
    r = LIFTCTL(EVENTS_CSV, "--json", "track", "-", "--format", "csv"); /* stdin */
    expect(&r, 0, NULL);
    c = track_counts(&r);
    ck_assert_int_eq(c.accepted, 0);
    ck_assert_int_eq(c.duplicates, csv);
    res_free(&r);
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).count, jsonl + csv);
}
END_TEST

/* A rejected row as the rejects file must list it. */
typedef struct {
    long line;         /* input line */
    const char *field; /* reported field */
    const char *word;  /* expected in the reason */
} want_reject_t;

#define TS "\"timestamp\":\"2026-11-06T12:00:00Z\""

START_TEST(test_track_malformed_jsonl)
{
    create_and_start();
    char in[400], rej[400];
    tmp_path(in, sizeof in, "bad.jsonl");
    tmp_path(rej, sizeof rej, "rejects.jsonl");
    write_file(
        in,
        /* 1 */ "{\"event_id\":\"ok-1\",\"customer_id\":\"c1\",\"type\":\"churn\"," TS "}\n"
                /* 2 */ "{\"event_id\":\"bad-1\",\"customer_id\":\"c1\",\"type\":\"churn\"," TS "\n"
                /* 3 */ "{\"event_id\":\"bad-2\",\"customer_id\":\"c1\",\"type\":\"conversion\"," TS
                ",\"amount\":\"12x\"}\n"
                /* 4 */ "\n"
                /* 5 */ "{\"event_id\":\"bad-3\",\"customer_id\":\"c1\",\"type\":\"nps\"," TS
                ",\"nps_score\":11}\n"
                /* 6 */ "{\"event_id\":\"ok-2\",\"customer_id\":\"c2\",\"type\":\"conversion\"," TS
                ",\"amount\":\"49.50\"}\n"
                /* 7 */ "{\"event_id\":\"bad-4\",\"customer_id\":\"c1\",\"type\":\"upgrade\"," TS
                "}\n"
                /* 8 */ "{\"event_id\":\"bad-5\",\"customer_id\":\"c1\",\"type\":\"churn\","
                "\"timestamp\":\"2026-11-31T10:00:00Z\"}\n"
                /* 9 */ "{\"event_id\":\"bad-6\",\"customer_id\":\"c1\",\"type\":\"conversion\"," TS
                ",\"amount\":\"49.001\"}\n"
                /* 10 */ "{\"event_id\":\"bad-7\",\"customer_id\":\"c1\",\"type\":\"click\"," TS
                ",\"experiment_key\":\"" KEY "\",\"arm\":3}\n"
                /* 11 */ "{\"event_id\":\"ok-3\",\"customer_id\":\"initech\",\"type\":"
                "\"impression\"," TS ",\"experiment_key\":\"" KEY "\",\"arm\":2}\n"
                /* 12 */ "[1,2]\n"
                /* 13 */ "{\"event_id\":\"ok-4\",\"customer_id\":\"c4\",\"type\":\"nps\","
                "\"timestamp_ms\":1793966400000,\"nps_score\":0}\n");
    static const want_reject_t want[] = {
        {2, "json", "JSON"},    {3, "amount", "12x"},           {5, "nps_score", "0..10"},
        {7, "type", "upgrade"}, {8, "timestamp", "2026-11-31"}, {9, "amount", "2 decimals"},
        {10, "arm", "0..2"},    {12, "json", "object"},
    };
    size_t n_want = sizeof want / sizeof want[0];
    /* batches of 3 valid rows (lines 1-6, 7-13), so liftd's rejections (lines 5 and 10) sit
     * mid-batch among malformed rows and must map back to their own lines */
    res_t r = LIFTCTL(NULL, "--json", "track", in, "--rejects", rej, "--batch", "3");
    expect(&r, 1, "line 2:", "line 5:", "line 10:", NULL);
    counts_t c = track_counts(&r);
    ck_assert_int_eq(c.accepted, 4);
    ck_assert_int_eq(c.duplicates, 0);
    ck_assert_int_eq(c.rejected, (json_int_t)n_want);
    ck_assert_int_eq(c.server, 2); /* NPS 11 and arm 3: liftd's rules */
    ck_assert_int_eq(c.malformed, (json_int_t)n_want - 2);
    res_free(&r);

    char *text = slurp(rej), *line = text;
    ck_assert_int_eq(count_lines(text), (int)n_want);
    for (size_t i = 0; i < n_want; i++) {
        char *nl = strchr(line, '\n');
        *nl = '\0';
        json_t *o = parse_json(line);
        ck_assert_int_eq(json_integer_value(json_object_get(o, "line")), want[i].line);
        ck_assert_str_eq(json_string_value(json_object_get(o, "field")), want[i].field);
        const char *reason = json_string_value(json_object_get(o, "reason"));
        ck_assert_msg(reason && strstr(reason, want[i].word), "line %ld: reason '%s' lacks '%s'",
                      want[i].line, reason, want[i].word);
        ck_assert_msg(json_is_string(json_object_get(o, "row")), "line %ld: no row", want[i].line);
        json_decref(o);
        line = nl + 1;
    }
    free(text);

    ck_assert_int_eq(
        tu_store_events(tu_liftd_store(&T), &(tu_event_filter_t){.id_prefix = "ok-"}).count, 4);
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).count, 4);
    ck_assert_int_eq(
        tu_store_events(tu_liftd_store(&T), &(tu_event_filter_t){.event_id = "ok-2"}).amount, 4950);
}
END_TEST

START_TEST(test_track_malformed_csv)
{
    create_and_start();
    char in[400], rej[400];
    tmp_path(in, sizeof in, "bad.csv");
    tmp_path(rej, sizeof rej, "rejects.csv");
    write_file(
        in,
        /* 1 */ "type,event_id,customer_id,timestamp,amount,plan_to,nps_score\r\n"
                /* 2 */ "churn,ok-1,c1,2026-11-06T12:00:00Z,,,\r\n"
                /* 3 */ "churn,bad-1,c1\r\n"
                /* 4 */ "conversion,bad-2,c1,2026-11-06T12:00:00Z,forty,,\r\n"
                /* 5 */ "conversion,ok-2,\"c,2\",2026-11-06T12:00:00Z,12.5,\"Pro \"\"annual\"\", "
                "billed yearly\",\r\n"
                /* 6 */ "nps,bad-3,c1,2026-11-06T12:00:00Z,,,11\r\n"
                /* 7 */ "upgrade,bad-4,c1,2026-11-06T12:00:00Z,,,\r\n"
                /* 8 */ "churn,bad-6,c3,2026-11-06T12:00:00Z,,\"two\n"
                /* 9 */ "lines\",\r\n"
                /* 10 */ "churn,bad-5,c1,yesterday,,,\r\n");
    res_t r = LIFTCTL(NULL, "--json", "track", in, "--rejects", rej);
    expect(&r, 1, "line 3:", "line 4:", "line 6:", "line 7:", "line 8:", "line 10:", NULL);
    counts_t c = track_counts(&r);
    ck_assert_int_eq(c.accepted, 2);
    ck_assert_int_eq(c.rejected, 6);
    ck_assert_int_eq(c.malformed, 4);
    ck_assert_int_eq(c.server, 2); /* NPS 11; a newline in a plan name (parsed, but not allowed) */
    res_free(&r);

    char *text = slurp(rej);
    const char *expected =
        "type,event_id,customer_id,timestamp,amount,plan_to,nps_score,line,field,reason\n"
        "churn,bad-1,c1,3,columns,\"3 columns, the header has 7\"\n";
    ck_assert_msg(strncmp(text, expected, strlen(expected)) == 0, "rejects file: %s", text);
    ck_assert_int_eq(count_lines(text), 8); /* header, 6 rows, one of them on two lines */
    static const char *const rows[] = {
        "conversion,bad-2,c1,2026-11-06T12:00:00Z,forty,,,4,amount,",
        "nps,bad-3,c1,2026-11-06T12:00:00Z,,,11,6,nps_score,",
        "upgrade,bad-4,c1,2026-11-06T12:00:00Z,,,,7,type,",
        "churn,bad-5,c1,yesterday,,,,10,timestamp,",
        "churn,bad-6,c3,2026-11-06T12:00:00Z,,\"two\nlines\",,8,plan_to,",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        ck_assert_msg(strstr(text, rows[i]) != NULL, "rejects file lacks '%s': %s", rows[i], text);
    free(text);

    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).count, 2);
    tu_events_t c2 = tu_store_events(
        tu_liftd_store(&T),
        &(tu_event_filter_t){.customer = "c,2", .plan_to = "Pro \"annual\", billed yearly"});
    ck_assert_int_eq(c2.count, 1);
    ck_assert_int_eq(c2.amount, 1250);

    /* An unknown column is an error naming it, before anything is sent. */
    write_file(in, "event_id,customer_id,type,timestamp,colour\nx,c,churn,2026-11-06,red\n");
    r = LIFTCTL(NULL, "track", in);
    expect(&r, 1, "unknown column 'colour'", NULL);
    res_free(&r);
    ck_assert_int_eq(tu_store_events(tu_liftd_store(&T), NULL).count, 2);
}
END_TEST

START_TEST(test_track_usage)
{
    res_t r = LIFTCTL(NULL, "track");
    expect(&r, 2, "FILE", NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "track", "events.txt");
    expect(&r, 2, "--format", NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "track", EVENTS_JSONL, "--batch", "0");
    expect(&r, 2, "--batch", "[1, 10000]", NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "track", EVENTS_JSONL, "--format", "xml");
    expect(&r, 2, "--format", "jsonl or csv", NULL);
    res_free(&r);
    char missing[400];
    tmp_path(missing, sizeof missing, "nope.jsonl");
    r = LIFTCTL(NULL, "track", missing);
    expect(&r, 2, "nope.jsonl", NULL);
    res_free(&r);
    /* liftd gone: the error, and how much was acknowledged */
    tu_liftd_stop(&T);
    r = LIFTCTL(NULL, "--timeout", "100", "--retries", "2", "track", EVENTS_JSONL);
    expect(&r, 1, "UNAVAILABLE", "0 events acknowledged", NULL);
    res_free(&r);
}
END_TEST

/* ---- several endpoints --------------------------------------------------------------------- */

START_TEST(test_endpoints_failover)
{
    char dead[400], list[900], want[1000];
    snprintf(dead, sizeof dead, "ipc://%s/dead.sock", T.dir);
    snprintf(list, sizeof list, "%s,%s", dead, T.endpoint);
    res_t r = LIFTCTL(NULL, "--endpoint", list, "--timeout", "400", "ping");
    expect(&r, 0, NULL);
    snprintf(want, sizeof want, "%s: liftd ", T.endpoint); /* the one that answered */
    ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "stdout: %s", r.out);
    res_free(&r);
    /* A command with several requests pays the dead endpoint's timeout once. */
    r = LIFTCTL(NULL, "--endpoint", list, "--timeout", "400", "experiment", "create", "-f",
                EXPERIMENT_FILE);
    expect(&r, 0, NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "--endpoint", list, "--timeout", "400", "--json", "experiment", "show", KEY);
    expect(&r, 0, NULL);
    ck_assert_ptr_nonnull(strstr(r.out, KEY));
    res_free(&r);
    /* Every endpoint dead: the error names each one tried, and the hint speaks of all. */
    char dead2[400];
    snprintf(dead2, sizeof dead2, "ipc://%s/dead2.sock", T.dir);
    snprintf(list, sizeof list, "%s,%s", dead, dead2);
    r = LIFTCTL(NULL, "--endpoint", list, "--timeout", "100", "--retries", "1", "ping");
    snprintf(want, sizeof want, "no reply from %s, %s after 2 attempts of 100 ms", dead, dead2);
    expect(&r, 1, want, "not running at any of those endpoints", NULL);
    res_free(&r);
}
END_TEST

START_TEST(test_endpoints_refused)
{
    res_t r = LIFTCTL(NULL, "--endpoint", "tcp://127.0.0.1:5555,,ipc:///tmp/x", "ping");
    expect(&r, 2, "--endpoint: endpoint 2 of 3 is empty", NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "ping", "--endpoint=tcp://127.0.0.1:5555,nonsense");
    expect(&r, 2, "--endpoint: endpoint 2 of 2 ('nonsense'): not a liftd endpoint", NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "--endpoint", "", "ping");
    expect(&r, 2, "--endpoint: endpoint: empty", NULL);
    res_free(&r);
    /* From the environment: the message says where the list came from. */
    no_endpoint_flag = 1;
    setenv("LIFT_ENDPOINT", "ipc:///tmp/a,ipc:///tmp/a", 1);
    r = LIFTCTL(NULL, "ping");
    unsetenv("LIFT_ENDPOINT");
    no_endpoint_flag = 0;
    expect(&r, 2, "LIFT_ENDPOINT: endpoint 2 of 2 ('ipc:///tmp/a') repeats endpoint 1", NULL);
    res_free(&r);
    /* ...and a good list there is used. */
    char list[900];
    snprintf(list, sizeof list, "ipc://%s/nobody.sock, %s", T.dir, T.endpoint);
    no_endpoint_flag = 1;
    setenv("LIFT_ENDPOINT", list, 1);
    r = LIFTCTL(NULL, "--timeout", "300", "--json", "ping");
    unsetenv("LIFT_ENDPOINT");
    no_endpoint_flag = 0;
    expect(&r, 0, NULL);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    ck_assert_msg(j != NULL, "not JSON: %s", r.out);
    ck_assert_str_eq(json_string_value(json_object_get(j, "endpoint")), T.endpoint);
    /* What the deployment announces (Pong): currency, hash version, limits. */
    ck_assert_str_eq(json_string_value(json_object_get(j, "hash_version")), "growthbook-v2");
    ck_assert_str_eq(json_string_value(json_object_get(j, "currency")), "USD");
    json_t *lim = json_object_get(j, "limits");
    ck_assert_int_eq(json_integer_value(json_object_get(lim, "in_flight_per_connection")), 1024);
    ck_assert_int_eq(json_integer_value(json_object_get(lim, "batch_max")), 10000);
    json_decref(j);
    res_free(&r);
}
END_TEST

/* ---- store copy ---------------------------------------------------------------------------- */

/* A seeded liftsim run into T (2,000 customers over 2 weeks). via_dead: through the endpoint
 * list "<a dead endpoint>,<T's>", so that every client of liftsim fails over once. */
static void simulate_into_T(int via_dead)
{
    char prog[512], log[400], list[900];
    if (via_dead)
        snprintf(list, sizeof list, "ipc://%s/dead.sock,%s", T.dir, T.endpoint);
    else
        snprintf(list, sizeof list, "%s", T.endpoint);
    tu_program("liftsim", prog, sizeof prog);
    tmp_path(log, sizeof log, "sim.log");
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execl(prog, prog, "--endpoint", list, "--config", "examples/sim.json", "--seed", "7",
              "--customers", "2000", "--weeks", "2", "--quiet", (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "liftsim failed (see %s)", log);
}

/* The JSON report of KEY from the liftd at endpoint, up to to_ms, without its generation
 * time (the only field that depends on when it was asked). */
static json_t *report_json(const char *endpoint, const char *to_ms)
{
    res_t r =
        LIFTCTL(NULL, "--endpoint", endpoint, "report", KEY, "--to", to_ms, "--format", "json");
    expect(&r, 0, NULL);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    ck_assert_msg(j != NULL, "report is not JSON (%s): %s", je.text, r.out);
    res_free(&r);
    json_t *prov = json_object_get(j, "provenance");
    ck_assert_ptr_nonnull(json_object_get(prov, "generated_ms"));
    json_object_del(prov, "generated_ms");
    return j;
}

/* The reports of KEY from liftd at ep_a and at ep_b, up to to_ms, are the same JSON apart from
 * their generation time, and not empty. */
static void assert_same_report(const char *ep_a, const char *ep_b, const char *to_ms)
{
    json_t *a = report_json(ep_a, to_ms), *b = report_json(ep_b, to_ms);
    json_t *arm0 = json_array_get(json_object_get(a, "arms"), 0);
    ck_assert_int_gt(json_integer_value(json_object_get(arm0, "exposed")), 50);
    if (!json_equal(a, b)) {
        char *ja = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
        char *jb = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
        size_t k = 0;
        while (ja[k] && ja[k] == jb[k])
            k++;
        ck_abort_msg("reports differ at byte %zu: ...%.160s / ...%.160s", k,
                     ja + (k > 40 ? k - 40 : 0), jb + (k > 40 ? k - 40 : 0));
    }
    json_decref(a);
    json_decref(b);
}

/* Rows of `what` ("experiments", "exposures" or "events") in the store (a directory or a
 * URI), read through the store interface. */
static int64_t count_in(const char *store, const char *what)
{
    tu_store_summary_t sum = tu_store_summary(store);
    if (strcmp(what, "experiments") == 0)
        return sum.experiments;
    if (strcmp(what, "exposures") == 0)
        return sum.exposures;
    ck_assert_str_eq(what, "events");
    return sum.events;
}

/* The deployment setting `key` of the store (a directory or a URI), read through the store
 * interface, into buf; "" when unset. */
static const char *setting_of(const char *store, const char *key, char *buf, size_t len)
{
    char err[512];
    store_t *s = store_open(store, err, sizeof err);
    ck_assert_msg(s != NULL, "open %s: %s", store, err);
    int have = store_meta_get(s, key, buf, len);
    ck_assert_msg(have >= 0, "%s: %s", store, store_errmsg(s));
    if (have == 0)
        buf[0] = '\0';
    store_destroy(&s);
    return buf;
}

/* stdout of r contains the printf-formatted line. */
static void expect_out(const res_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void expect_out(const res_t *r, const char *fmt, ...)
{
    char want[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    ck_assert_msg(strstr(r->out, want) != NULL, "stdout lacks '%s': %s", want, r->out);
}

/* Runs `liftd copy src dst` on a pseudo-terminal and returns all it wrote (stdout and
 * stderr both go to the terminal). */
static char *run_in_pty(const char *src, const char *dst)
{
    char prog[512];
    tu_program("liftd", prog, sizeof prog);
    int master = -1;
    fflush(NULL);
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    ck_assert_msg(pid >= 0, "forkpty: %s", strerror(errno));
    if (pid == 0) {
        execl(prog, prog, "copy", src, dst, (char *)NULL);
        _exit(127);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    for (;;) {
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        ssize_t got = read(master, buf + n, cap - n - 1);
        if (got > 0)
            n += (size_t)got;
        else if (got < 0 && errno == EINTR)
            continue;
        else
            break; /* EIO once the child has closed the terminal */
    }
    buf[n] = '\0';
    close(master);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit %d: %s",
                  WIFEXITED(status) ? WEXITSTATUS(status) : -1, buf);
    return buf;
}

START_TEST(test_store_copy_sqlite)
{
    simulate_into_T(1);
    const char *src = tu_liftd_store(&T);
    int64_t n_exp = count_in(src, "experiments"), n_x = count_in(src, "exposures"),
            n_e = count_in(src, "events");
    ck_assert_int_eq(n_exp, 1);
    ck_assert_int_gt(n_x, 500);
    ck_assert_int_gt(n_e, 1000);
    tliftd_t D;
    tu_liftd_init(&D);
    char dst[400];
    snprintf(dst, sizeof dst, "sqlite:%s", D.data);

    /* 1. Copy while the source's liftd keeps running (the source is only read). */
    res_t r = COPY(src, dst);
    expect(&r, 0, NULL);
    expect_out(&r, "currency:    USD (set in DST)\n");
    expect_out(&r, "experiments: 1 copied, 0 already there");
    expect_out(&r, "exposures:   %" PRId64 " inserted, 0 already there, 0 conflicts", n_x);
    expect_out(&r, "events:      %" PRId64 " inserted, 0 duplicates, 0 conflicts", n_e);
    ck_assert_msg(strstr(r.out, "nothing new") == NULL, "%s", r.out);
    ck_assert_str_eq(r.err, ""); /* not a terminal: no progress bar */
    res_free(&r);
    char cur[32];
    ck_assert_str_eq(setting_of(dst, "currency", cur, sizeof cur), "USD"); /* the setting too */
    ck_assert_int_eq(count_in(D.data, "exposures"), n_x);
    ck_assert_int_eq(count_in(D.data, "events"), n_e);
    ck_assert_int_eq(count_in(src, "events"), n_e); /* the source was not written */

    /* On a terminal, a progress bar on stderr (the summary still on stdout). */
    char dst2[400];
    tmp_path(dst2, sizeof dst2, "tty-copy");
    char *tty = run_in_pty(src, dst2);
    ck_assert_msg(strstr(tty, "\r[##############################] 100%") != NULL, "%s", tty);
    char want[128];
    snprintf(want, sizeof want, "events %" PRId64 "/%" PRId64, n_e, n_e);
    ck_assert_msg(strstr(tty, want) != NULL, "%s", tty);
    ck_assert_msg(strstr(tty, "\r\033[Kcopied ") != NULL, "bar not cleared: %s", tty);
    free(tty);

    /* 2. The report over the copy is the report over the source. */
    char to[32];
    snprintf(to, sizeof to, "%lld", (long long)time(NULL) * 1000);
    tu_liftd_start(&D, NULL);
    assert_same_report(T.endpoint, D.endpoint, to);

    /* 3. A SQLite destination held by a running liftd is refused by its lock. */
    r = COPY(src, dst);
    expect(&r, 1, "in use by another liftd", "stop it and copy again", NULL);
    res_free(&r);
    ck_assert_int_eq(tu_liftd_stop(&D), 0);

    /* 4. A rerun copies nothing new, and says so (also as JSON). */
    r = COPY(src, dst);
    expect(&r, 0, NULL);
    expect_out(&r, "currency:    USD (DST has it already)\n");
    expect_out(&r, "experiments: 0 copied, 1 already there (0 with their state brought forward)");
    expect_out(&r, "exposures:   0 inserted, %" PRId64 " already there, 0 conflicts", n_x);
    expect_out(&r, "events:      0 inserted, %" PRId64 " duplicates, 0 conflicts", n_e);
    expect_out(&r, "nothing new: DST already held everything in SRC");
    res_free(&r);
    ck_assert_int_eq(count_in(D.data, "events"), n_e);

    /* 5. What came into the source since is copied on the next run; so is a pause. */
    char path[512];
    snprintf(path, sizeof path, "%s", EVENTS_JSONL);
    assign_examples(T.endpoint, "in_app");
    r = LIFTCTL(NULL, "track", path);
    expect(&r, 0, NULL);
    res_free(&r);
    int64_t n_new = count_in(src, "events") - n_e;
    ck_assert_int_gt(n_new, 0);
    r = LIFTCTL(NULL, "experiment", "pause", KEY);
    expect(&r, 0, NULL);
    res_free(&r);
    r = COPY("--json", src, dst, "--batch", "7");
    expect(&r, 0, NULL);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    ck_assert_msg(j != NULL, "not JSON: %s", r.out);
    ck_assert(json_is_false(json_object_get(j, "nothing_new")));
    json_t *ev = json_object_get(j, "events"), *ex = json_object_get(j, "experiments");
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "inserted")), n_new);
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "duplicates")), n_e);
    ck_assert_int_eq(json_integer_value(json_object_get(ex, "state_updated")), 1);
    json_t *set = json_object_get(j, "settings");
    ck_assert_str_eq(json_string_value(json_object_get(set, "currency")), "USD");
    ck_assert(json_is_false(json_object_get(set, "currency_copied")));
    json_decref(j);
    res_free(&r);
    ck_assert_int_eq(count_in(D.data, "events"), n_e + n_new);
    tu_store_summary_t ds = tu_store_summary(D.data), ts = tu_store_summary(src);
    ck_assert_int_eq(ts.status_sum, LIFT__EXPERIMENT_STATUS__STATUS_PAUSED);
    ck_assert_int_eq(ds.status_sum, ts.status_sum); /* the pause came along */
    tu_liftd_fini(&D);
}
END_TEST

/* Assigns cust-0..cust-7 of KEY through the liftd at endpoint, on channel ch. */
static void assign_some(const char *endpoint, const char *ch)
{
    for (int i = 0; i < 8; i++) {
        char id[16];
        snprintf(id, sizeof id, "cust-%d", i);
        res_t r = LIFTCTL(NULL, "--endpoint", endpoint, "assign", KEY, "--customer", id,
                          "--trigger", "usage_threshold", "--stage", "growth", "--channel", ch);
        expect(&r, 0, NULL);
        res_free(&r);
    }
}

START_TEST(test_store_copy_conflicts)
{
    /* Source: the example experiment, 8 decisions in-app, the example events. */
    create_and_start();
    assign_some(T.endpoint, "in_app");
    res_t r = LIFTCTL(NULL, "track", EVENTS_JSONL);
    expect(&r, 0, NULL);
    res_free(&r);
    tu_event_filter_t imp1 = {.event_id = "imp-0001"};
    ck_assert_int_eq(tu_store_events(T.data, &imp1).count, 1);
    int64_t n_x = count_in(T.data, "exposures"), n_e = count_in(T.data, "events");
    ck_assert_int_gt(n_x, 0);
    /* Destination: the same experiment, decided on its own by email; imp-0001 is a churn. */
    tliftd_t X;
    tu_liftd_init(&X);
    tu_liftd_start(&X, NULL);
    r = LIFTCTL(NULL, "--endpoint", X.endpoint, "experiment", "create", "-f", EXPERIMENT_FILE);
    expect(&r, 0, NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "--endpoint", X.endpoint, "experiment", "start", KEY);
    expect(&r, 0, NULL);
    res_free(&r);
    assign_some(X.endpoint, "email");
    assign_examples(X.endpoint, "email");
    char other[400];
    tmp_path(other, sizeof other, "other.jsonl");
    write_file(other, "{\"event_id\":\"imp-0001\",\"customer_id\":\"someone-else\","
                      "\"type\":\"churn\",\"timestamp\":\"2026-11-02T09:00:00Z\"}\n");
    r = LIFTCTL(NULL, "--endpoint", X.endpoint, "track", other);
    expect(&r, 0, NULL);
    res_free(&r);
    ck_assert_int_eq(count_in(X.data, "exposures"), n_x); /* the same customers, by email */
    ck_assert_int_eq(tu_liftd_stop(&X), 0);

    r = COPY(T.data, X.data);
    expect(&r, 1, NULL); /* conflicts: the stores disagree, DST keeps its own */
    expect_out(&r, "experiments: 0 copied, 1 already there (0 with their state brought forward)");
    expect_out(&r, "exposures:   0 inserted, 0 already there, %" PRId64 " conflicts", n_x);
    expect_out(&r, "events:      %" PRId64 " inserted, 0 duplicates, 1 conflicts", n_e - 1);
    expect_out(&r, "event conflicts (DST holds the id with other content; kept): imp-0001\n");
    expect_out(&r, "exposure conflicts (DST had recorded another arm or context; kept): ");
    expect_out(&r, "cust-");
    res_free(&r);
    tu_event_filter_t churn1 = {.event_id = "imp-0001", .type = LIFT__EVENT_TYPE__EVENT_CHURN};
    ck_assert_int_eq(tu_store_events(X.data, &churn1).count, 1); /* DST's own imp-0001 */
    tu_store_summary_t xs = tu_store_summary(X.data);            /* DST's own exposures stand */
    ck_assert_int_eq(xs.exposures, n_x);
    ck_assert_int_eq(xs.channel_min, LIFT__CHANNEL__CHANNEL_EMAIL);
    ck_assert_int_eq(xs.channel_max, LIFT__CHANNEL__CHANNEL_EMAIL);
    tu_liftd_fini(&X);
}
END_TEST

START_TEST(test_store_copy_refused)
{
    create_and_start();
    res_t r;
    /* Another store with a different experiment under the same key. */
    tliftd_t X;
    tu_liftd_init(&X);
    tu_liftd_start(&X, NULL);
    r = LIFTCTL(NULL, "--endpoint", X.endpoint, "experiment", "create", "-f", EXPERIMENT_FILE,
                "--name", "another experiment");
    expect(&r, 0, NULL);
    res_free(&r);
    ck_assert_int_eq(tu_liftd_stop(&X), 0);
    r = LIFTCTL(NULL, "track", EVENTS_JSONL);
    expect(&r, 0, NULL);
    res_free(&r);
    r = COPY(T.data, X.data);
    expect(&r, 1, "experiment " KEY ": ", "holds a different definition under this key",
           "nothing copied", NULL);
    res_free(&r);
    ck_assert_int_eq(count_in(X.data, "events"), 0); /* refused before anything was written */
    ck_assert_int_eq(count_in(X.data, "experiments"), 1);
    tu_liftd_fini(&X);

    /* Usage errors and a source that is not a store. */
    char same[400], missing[400];
    snprintf(same, sizeof same, "sqlite:%s/../%s", T.data, strrchr(T.data, '/') + 1);
    r = COPY(T.data, same);
    expect(&r, 2, "SRC and DST are the same store", NULL);
    res_free(&r);
    r = COPY(T.data);
    expect(&r, 2, "needs SRC and DST", NULL);
    res_free(&r);
    r = COPY(T.data, "x", "y");
    expect(&r, 2, "unexpected argument 'y'", NULL);
    res_free(&r);
    r = COPY("--batch", "0", T.data, "x");
    expect(&r, 2, "--batch: 0 is out of range", NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "store", "copy", T.data, "x"); /* liftctl does not open stores */
    expect(&r, 2, "unknown command 'store'", "`liftd copy SRC DST`", NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "--help");
    expect(&r, 0, NULL);
    ck_assert_msg(strstr(r.out, "store") == NULL, "liftctl --help lists store: %s", r.out);
    res_free(&r);
    snprintf(missing, sizeof missing, "%s/no-such-store", T.dir);
    tmp_path(same, sizeof same, "dst-never-made");
    r = COPY(missing, same);
    expect(&r, 1, "liftd copy: SRC ", NULL);
    res_free(&r);
    ck_assert_int_ne(access(same, F_OK), 0); /* DST is not made for a source that fails */
    r = COPY("--help");
    expect(&r, 0, NULL);
    ck_assert_ptr_nonnull(strstr(r.out, "usage: liftd copy SRC DST"));
    res_free(&r);
}
END_TEST

/* The currency travels with the data: a DST recording another one is refused before
 * anything is written, naming both; one recording none gets SRC's, and a liftd started on it
 * with another currency is then refused. */
START_TEST(test_store_copy_currency)
{
    create_and_start();
    assign_some(T.endpoint, "in_app");
    res_t r = LIFTCTL(NULL, "track", EVENTS_JSONL);
    expect(&r, 0, NULL);
    res_free(&r);
    int64_t n_x = count_in(T.data, "exposures"), n_e = count_in(T.data, "events");
    tliftd_t X;
    tu_liftd_init(&X);
    static const char *const eur[] = {"--currency", "EUR", NULL};
    tu_liftd_start(&X, eur);
    ck_assert_int_eq(tu_liftd_stop(&X), 0);
    char cur[32];
    ck_assert_str_eq(setting_of(X.data, "currency", cur, sizeof cur), "EUR");

    r = COPY(T.data, X.data);
    expect(&r, 1, "currency: SRC ", " holds amounts in USD, DST ", " in EUR; nothing copied", NULL);
    ck_assert_msg(strstr(r.err, T.data) && strstr(r.err, X.data), "names both stores: %s", r.err);
    res_free(&r);
    ck_assert_int_eq(count_in(X.data, "experiments"), 0); /* refused before any write */
    ck_assert_int_eq(count_in(X.data, "exposures"), 0);
    ck_assert_int_eq(count_in(X.data, "events"), 0);
    ck_assert_str_eq(setting_of(X.data, "currency", cur, sizeof cur), "EUR");

    /* A fresh DST takes SRC's currency; a liftd on it must then use it. */
    char fresh[400];
    tmp_path(fresh, sizeof fresh, "fresh-dst");
    r = COPY("--json", T.data, fresh);
    expect(&r, 0, NULL);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    ck_assert_msg(j != NULL, "not JSON: %s", r.out);
    json_t *set = json_object_get(j, "settings");
    ck_assert_str_eq(json_string_value(json_object_get(set, "currency")), "USD");
    ck_assert(json_is_true(json_object_get(set, "currency_copied")));
    ck_assert(json_is_false(json_object_get(j, "nothing_new")));
    json_decref(j);
    res_free(&r);
    ck_assert_str_eq(setting_of(fresh, "currency", cur, sizeof cur), "USD");
    ck_assert_int_eq(count_in(fresh, "exposures"), n_x);
    ck_assert_int_eq(count_in(fresh, "events"), n_e);
    char liftd[512];
    tu_program("liftd", liftd, sizeof liftd);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s --endpoint ipc://%s/fresh.sock --data %s --currency EUR "
             ">%s/fresh-liftd.log 2>&1",
             liftd, T.dir, fresh, T.dir);
    int st = system(cmd);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 0, "liftd started on a USD store as EUR");
    char logp[512];
    snprintf(logp, sizeof logp, "%s/fresh-liftd.log", T.dir);
    char *log = slurp(logp);
    ck_assert_msg(strstr(log, "holds USD amounts") != NULL, "%s", log);
    free(log);
    tu_liftd_fini(&X);
}
END_TEST

START_TEST(test_store_copy_postgresql)
{
    simulate_into_T(0);
    int64_t n_x = count_in(T.data, "exposures"), n_e = count_in(T.data, "events");
    tliftd_t P;
    tu_liftd_init(&P);
    tu_pg_newdb(P.store, sizeof P.store);

    /* 0. A PostgreSQL DST recording another currency is refused before anything is written. */
    char other[700], cur[32], err[512];
    tu_pg_newdb(other, sizeof other);
    store_t *o = store_open(other, err, sizeof err);
    ck_assert_msg(o != NULL, "%s", err);
    ck_assert_int_eq(store_meta_set(o, "currency", "JPY"), 0);
    store_destroy(&o);
    res_t r = COPY(T.data, other);
    expect(&r, 1, " holds amounts in USD, DST postgresql:", " in JPY; nothing copied", NULL);
    res_free(&r);
    ck_assert_int_eq(count_in(other, "experiments"), 0);
    ck_assert_int_eq(count_in(other, "events"), 0);

    /* 1. SQLite into an empty PostgreSQL database (liftd makes the schema on first open). */
    r = COPY(T.data, P.store);
    expect(&r, 0, NULL);
    expect_out(&r, "currency:    USD (set in DST)\n");
    ck_assert_str_eq(setting_of(P.store, "currency", cur, sizeof cur), "USD");
    expect_out(&r, "experiments: 1 copied, 0 already there");
    expect_out(&r, "exposures:   %" PRId64 " inserted, 0 already there, 0 conflicts", n_x);
    expect_out(&r, "events:      %" PRId64 " inserted, 0 duplicates, 0 conflicts", n_e);
    res_free(&r);
    ck_assert_int_eq(tu_pg_scalar(P.store, "SELECT count(*) FROM events"), n_e);
    ck_assert_int_eq(count_in(P.store, "exposures"), n_x);

    /* 2. The same report from a liftd on PostgreSQL as from the one on SQLite. */
    char to[32];
    snprintf(to, sizeof to, "%lld", (long long)time(NULL) * 1000);
    tu_liftd_start(&P, NULL);
    assert_same_report(T.endpoint, P.endpoint, to);

    /* 3. A rerun into the live PostgreSQL store copies nothing new. */
    r = COPY(T.data, P.store);
    expect(&r, 0, NULL);
    expect_out(&r, "events:      0 inserted, %" PRId64 " duplicates, 0 conflicts", n_e);
    expect_out(&r, "nothing new");
    res_free(&r);

    /* 4. And back: PostgreSQL as the source, into a new SQLite store. */
    char back[400];
    tmp_path(back, sizeof back, "back");
    r = COPY(P.store, back);
    expect(&r, 0, NULL);
    expect_out(&r, "events:      %" PRId64 " inserted, 0 duplicates, 0 conflicts", n_e);
    expect_out(&r, "currency:    USD (set in DST)\n");
    res_free(&r);
    ck_assert_str_eq(setting_of(back, "currency", cur, sizeof cur), "USD");
    ck_assert_int_eq(count_in(back, "events"), n_e);
    ck_assert_int_eq(count_in(back, "exposures"), n_x);
    tu_liftd_fini(&P);
}
END_TEST

START_TEST(test_store_copy_postgresql_required)
{
    ck_abort_msg("PostgreSQL is required (CI is set) but could not be started: %s", tu_pg_why());
}
END_TEST

Suite *liftctl_suite(void);
Suite *liftctl_suite(void)
{
    Suite *s = suite_create("liftctl");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_experiment_lifecycle);
    tcase_add_test(tc, test_assign);
    tcase_add_test(tc, test_bucket_matches_server);
    tcase_add_test(tc, test_power);
    tcase_add_test(tc, test_track_examples);
    tcase_add_test(tc, test_endpoints_failover);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("errors");
    tcase_add_checked_fixture(te, setup, teardown);
    tcase_set_timeout(te, 60);
    tcase_add_test(te, test_track_malformed_jsonl);
    tcase_add_test(te, test_track_malformed_csv);
    tcase_add_test(te, test_track_usage);
    tcase_add_test(te, test_endpoints_refused);
    suite_add_tcase(s, te);
    TCase *ts = tcase_create("store");
    tcase_add_checked_fixture(ts, setup_sqlite, teardown);
    tcase_set_timeout(ts, 120);
    tcase_add_test(ts, test_store_copy_sqlite);
    tcase_add_test(ts, test_store_copy_refused);
    tcase_add_test(ts, test_store_copy_conflicts);
    tcase_add_test(ts, test_store_copy_currency);
    if (tu_pg_wanted("liftctl")) {
        if (tu_pg_start() == 0)
            tcase_add_test(ts, test_store_copy_postgresql);
        else if (tu_pg_required())
            tcase_add_test(ts, test_store_copy_postgresql_required);
        else
            fprintf(stderr, "liftctl: PostgreSQL case skipped: %s\n", tu_pg_why());
    }
    suite_add_tcase(s, ts);
    return s;
}
