/* hostile_input: liftctl fed input that is too large, of the wrong type or shape, or stopped
 * half-way (issue 9: parts 3, 6, 11 and 15's input messages) — one oversized row must not stop
 * an import, `assign` output stays in input order, `track --json` always ends in a summary, and
 * errors name the field the input gave. It runs the built liftctl against a real liftd; liftd's
 * own rules are the ingest and registry suites'. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "assign.h"
#include "ingest.h"
#include "lift.pb-c.h"
#include "lift/limits.h"
#include "registry.h"
#include "server.h"
#include "testutil.h"

#define KEY "upsell-usage-q4"
#define EXPERIMENT_FILE "examples/experiment.json"
#define EVENTS_CSV "examples/events.csv"
#define TS "\"timestamp\":\"2026-01-06T12:00:00Z\""
#define MB (1024 * 1024)

#define T tu_liftd /* each test's liftd (tu_setup, tu_teardown) */

typedef struct {
    int rc;    /* exit status, -1 when killed */
    char *out; /* stdout, NUL-terminated */
    size_t out_len;
    char *err; /* stderr, NUL-terminated */
    size_t err_len;
    double secs; /* how long it ran */
} res_t;

static char *slurp(const char *path, size_t *len)
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
    if (len)
        *len = n;
    return buf;
}

static void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", T.dir, name);
}

static FILE *create(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "create %s: %s", path, strerror(errno));
    return f;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = create(path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Starts `liftctl --endpoint <T's> ARGS...` with stdin from in_path (NULL: /dev/null) and its
 * output into files named after tag (so that several may run at once); returns its pid. */
static pid_t spawn_liftctl_as(const char *tag, const char *in_path, const char *const *args)
{
    char prog[512], outp[400], errp[400];
    const char *argv[40];
    int argc = 0;
    tu_program("liftctl", prog, sizeof prog);
    argv[argc++] = prog;
    argv[argc++] = "--endpoint";
    argv[argc++] = T.endpoint;
    for (; *args; args++) {
        ck_assert_int_lt(argc, 39);
        argv[argc++] = *args;
    }
    argv[argc] = NULL;
    snprintf(outp, sizeof outp, "%s/%s.out", T.dir, tag);
    snprintf(errp, sizeof errp, "%s/%s.err", T.dir, tag);
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
    return pid;
}

static res_t wait_liftctl_as(const char *tag, pid_t pid, double t0)
{
    char outp[400], errp[400];
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    snprintf(outp, sizeof outp, "%s/%s.out", T.dir, tag);
    snprintf(errp, sizeof errp, "%s/%s.err", T.dir, tag);
    res_t r = {WIFEXITED(status) ? WEXITSTATUS(status) : -1, NULL, 0, NULL, 0, tu_now_s() - t0};
    r.out = slurp(outp, &r.out_len);
    r.err = slurp(errp, &r.err_len);
    ck_assert_msg(r.rc != 126 && r.rc != 127, "cannot run liftctl: %s", r.err);
    return r;
}

static pid_t spawn_liftctl(const char *in_path, const char *const *args)
{
    return spawn_liftctl_as("liftctl", in_path, args);
}

static res_t wait_liftctl(pid_t pid, double t0)
{
    return wait_liftctl_as("liftctl", pid, t0);
}

static res_t run_liftctl(const char *in_path, ...)
{
    const char *args[40];
    int n = 0;
    va_list ap;
    va_start(ap, in_path);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL) {
        ck_assert_int_lt(n, 39);
        args[n++] = a;
    }
    va_end(ap);
    args[n] = NULL;
    double t0 = tu_now_s();
    return wait_liftctl(spawn_liftctl(in_path, args), t0);
}

#define LIFTCTL(in, ...) run_liftctl(in, __VA_ARGS__, (const char *)NULL)

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
    ck_assert_msg(r->rc == rc, "exit %d, want %d; stdout: %.2000s; stderr: %.2000s", r->rc, rc,
                  r->out, r->err);
    va_start(ap, rc);
    while ((w = va_arg(ap, const char *)) != NULL)
        ck_assert_msg(strstr(r->err, w) != NULL, "stderr lacks '%s': %.2000s", w, r->err);
    va_end(ap);
}

static json_t *parse_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    ck_assert_msg(j != NULL, "not JSON (%s): %.2000s", e.text, text);
    return j;
}

static json_int_t jint(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    ck_assert_msg(json_is_integer(v), "no integer '%s'", k);
    return json_integer_value(v);
}

static void create_and_start(void)
{
    res_t r = LIFTCTL(NULL, "experiment", "create", "-f", EXPERIMENT_FILE);
    expect(&r, 0, NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "experiment", "start", KEY);
    expect(&r, 0, NULL);
    res_free(&r);
    /* The example customers' exposures: their impressions and clicks name the stored arm. */
    r = LIFTCTL(NULL, "assign", "upsell-usage-q4", "--customers", "examples/customers.txt",
                "--trigger", "usage_threshold", "--stage", "growth", "--channel", "in_app");
    expect(&r, 0, NULL);
    res_free(&r);
}

/* A valid churn row. */
static void churn_row(FILE *f, const char *id)
{
    fprintf(f, "{\"event_id\":\"%s\",\"customer_id\":\"c-%s\",\"type\":\"churn\"," TS "}\n", id,
            id);
}

/* A row whose `field` holds n copies of 'x' (the rest valid). */
static void big_row(FILE *f, const char *id, const char *field, size_t n)
{
    fprintf(f, "{\"event_id\":\"%s\",\"type\":\"conversion\",\"amount_minor\":4900," TS, id);
    if (strcmp(field, "customer_id") != 0)
        fputs(",\"customer_id\":\"c-big\"", f);
    fprintf(f, ",\"%s\":\"", field);
    for (size_t i = 0; i < n; i++)
        fputc('x', f);
    fputs("\"}\n", f);
}

/* Line `line` of a --rejects JSON-lines file. */
static json_t *reject_at(const char *rejects, long line)
{
    char *text = slurp(rejects, NULL), *p = text;
    json_t *found = NULL;
    while (*p && !found) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        json_t *o = parse_json(p);
        if (jint(o, "line") == line)
            found = o;
        else
            json_decref(o);
        p = nl ? nl + 1 : p + strlen(p);
    }
    free(text);
    ck_assert_msg(found != NULL, "no rejected line %ld in %s", line, rejects);
    return found;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* ---- core: one definition of the limits ----------------------------------------------------- */

static char *filled(size_t n, char c)
{
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

START_TEST(test_event_max_bytes)
{
    /* LIFT_EVENT_MAX_BYTES is what one event at every bound packs to, with its entry header */
    char *id = filled(LIFT_EVENT_ID_MAX, 'e'), *cust = filled(LIFT_CUSTOMER_ID_MAX, 'c');
    char *key = filled(LIFT_KEY_MAX, 'k'), *plan = filled(LIFT_PLAN_MAX, 'p');
    char cur[] = "USD";
    Lift__Event e = LIFT__EVENT__INIT;
    e.event_id = id;
    e.customer_id = cust;
    e.has_type = 1;
    e.type = LIFT__EVENT_TYPE__EVENT_CONVERSION;
    e.has_timestamp_ms = 1;
    e.timestamp_ms = INT64_MIN; /* negative int64: the 10-byte varint */
    e.experiment_key = key;
    e.has_arm = 1;
    e.arm = -1;
    e.has_amount_minor = 1;
    e.amount_minor = INT64_MIN;
    e.currency = cur;
    e.plan_from = plan;
    e.plan_to = plan;
    e.has_nps_score = 1;
    e.nps_score = -1;
    size_t packed = lift__event__get_packed_size(&e);
    ck_assert_uint_eq(packed + 3, LIFT_EVENT_MAX_BYTES); /* tag + 2-byte length */
    /* so a full batch of them fits one request, with the headroom */
    ck_assert_uint_le((size_t)LIFT_BATCH_MAX * LIFT_EVENT_MAX_BYTES + LIFT_REQUEST_HEADROOM,
                      LIFT_MAX_REQUEST_BYTES);
    free(id);
    free(cust);
    free(key);
    free(plan);
}
END_TEST

/* ---- limits: oversized rows and definitions -------------------------------------------------- */

START_TEST(test_track_oversized_rows_among_valid)
{
    char in[400], rej[400];
    tmp_path(in, sizeof in, "big.jsonl");
    tmp_path(rej, sizeof rej, "rejects.jsonl");
    FILE *f = create(in);
    churn_row(f, "ok-1");                        /* 1 */
    churn_row(f, "ok-2");                        /* 2 */
    big_row(f, "big-1", "customer_id", 10 * MB); /* 3: the 10 MB line */
    churn_row(f, "ok-3");                        /* 4 */
    big_row(f, "big-2", "plan_to", 1 * MB);      /* 5 */
    big_row(f, "big-3", "currency", 100);        /* 6 */
    fprintf(f, "{\"event_id\":\"");              /* 7: a 100 KB event id */
    for (int i = 0; i < 100 * 1024; i++)
        fputc('i', f);
    fprintf(f, "\",\"customer_id\":\"c\",\"type\":\"churn\"," TS "}\n");
    fputs("{\"event_id\":\"broken\",\"customer_id\":\"", f); /* 8: 10 MB of broken JSON */
    for (int i = 0; i < 10 * MB; i++)
        fputc('y', f);
    fputc('\n', f);
    churn_row(f, "ok-4"); /* 9 */
    ck_assert_int_eq(fclose(f), 0);

    res_t r = LIFTCTL(NULL, "--json", "track", in, "--rejects", rej);
    expect(&r, 1, "line 3: customer_id: 10485760 bytes", "128", NULL);
    ck_assert_msg(strstr(r.err, "no reply") == NULL, "%s", r.err);
    ck_assert_msg(r.secs < 8, "took %.1f s", r.secs);
    json_t *j = parse_json(r.out);
    ck_assert_int_eq(jint(j, "accepted"), 4);
    ck_assert_int_eq(jint(j, "acknowledged"), 4);
    ck_assert_int_eq(jint(j, "malformed"), 5);
    ck_assert(json_is_true(json_object_get(j, "complete")));
    json_decref(j);
    res_free(&r);
    ck_assert_int_eq(tu_store_events(T.data, NULL).count, 4);
    ck_assert_int_eq(tu_store_events(T.data, &(tu_event_filter_t){.id_prefix = "ok-"}).count, 4);

    /* each rejection names the field, the value's size and the bound */
    static const struct {
        long line;
        const char *field, *size, *bound;
    } want[] = {{3, "customer_id", "10485760 bytes", "128 bytes"},
                {5, "plan_to", "1048576 bytes", "64 bytes"},
                {6, "currency", "100 bytes", "3 bytes"},
                {7, "event_id", "102400 bytes", "64 bytes"},
                {8, "json", "", ""}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_t *o = reject_at(rej, want[i].line);
        const char *reason = json_string_value(json_object_get(o, "reason"));
        ck_assert_str_eq(json_string_value(json_object_get(o, "field")), want[i].field);
        ck_assert_msg(strstr(reason, want[i].size) && strstr(reason, want[i].bound),
                      "line %ld: '%s' lacks '%s' / '%s'", want[i].line, reason, want[i].size,
                      want[i].bound);
        json_decref(o);
    }

    /* running it again is safe and fails the same way only for the bad rows */
    r = LIFTCTL(NULL, "--json", "track", in);
    expect(&r, 1, NULL);
    j = parse_json(r.out);
    ck_assert_int_eq(jint(j, "duplicates"), 4);
    ck_assert_int_eq(jint(j, "accepted"), 0);
    json_decref(j);
    res_free(&r);
}
END_TEST

START_TEST(test_track_many_long_customer_ids)
{
    char in[400];
    tmp_path(in, sizeof in, "long-ids.jsonl");
    FILE *f = create(in);
    char id[32];
    int valid = 0;
    for (int i = 0; i < 1000; i++) { /* 1,000 x 6 KB = 6 MB: more than one request may carry */
        snprintf(id, sizeof id, "long-%d", i);
        fprintf(f, "{\"event_id\":\"%s\",\"type\":\"churn\"," TS ",\"customer_id\":\"", id);
        for (int k = 0; k < 6 * 1024; k++)
            fputc('c', f);
        fputs("\"}\n", f);
        if (i % 50 == 0) {
            snprintf(id, sizeof id, "ok-%d", i);
            churn_row(f, id);
            valid++;
        }
    }
    ck_assert_int_eq(fclose(f), 0);
    res_t r = LIFTCTL(NULL, "--json", "track", in);
    expect(&r, 1, "customer_id: 6144 bytes, more than the limit of 128 bytes", NULL);
    ck_assert_msg(r.secs < 8, "took %.1f s", r.secs);
    json_t *j = parse_json(r.out);
    ck_assert_int_eq(jint(j, "accepted"), valid);
    ck_assert_int_eq(jint(j, "malformed"), 1000);
    json_decref(j);
    res_free(&r);
    ck_assert_int_eq(tu_store_events(T.data, NULL).count, valid);
}
END_TEST

START_TEST(test_track_full_batch_at_bounds)
{
    /* 10,000 events in one request with their strings at the bounds: the largest Track a valid
     * file makes, which must fit liftd's frame limit */
    char in[400];
    tmp_path(in, sizeof in, "bounds.jsonl");
    FILE *f = create(in);
    char *cust = filled(LIFT_CUSTOMER_ID_MAX - 6, 'c'), *plan = filled(LIFT_PLAN_MAX, 'p');
    for (int i = 0; i < LIFT_BATCH_MAX; i++)
        fprintf(f,
                "{\"event_id\":\"%064d\",\"customer_id\":\"%s%06d\",\"type\":\"conversion\"," TS
                ",\"amount_minor\":%lld,\"currency\":\"USD\",\"plan_from\":\"%s\",\"plan_to\":"
                "\"%s\"}\n",
                i, cust, i, LIFT_AMOUNT_MAX, plan, plan);
    ck_assert_int_eq(fclose(f), 0);
    free(cust);
    free(plan);
    res_t r = LIFTCTL(NULL, "--json", "track", in, "--batch", "10000");
    expect(&r, 0, NULL);
    json_t *j = parse_json(r.out);
    ck_assert_int_eq(jint(j, "accepted"), LIFT_BATCH_MAX);
    json_decref(j);
    res_free(&r);
    ck_assert_int_eq(tu_store_events(T.data, NULL).count, LIFT_BATCH_MAX);
}
END_TEST

/* A definition with one text field of n bytes at JSON path `field` (hypothesis or a payload). */
static void write_big_definition(const char *path, const char *field, size_t n)
{
    FILE *f = create(path);
    int payload = strcmp(field, "payload") == 0;
    fprintf(f,
            "{\"key\":\"big-def\",\"arms\":[{\"name\":\"holdout\",\"weight\":0.5},"
            "{\"name\":\"offer\",\"weight\":0.5%s",
            payload ? ",\"payload\":\"" : "}]");
    if (!payload)
        fputs(",\"hypothesis\":\"", f);
    for (size_t i = 0; i < n; i++)
        fputc('h', f);
    fputs(payload ? "\"}]}\n" : "\"}\n", f);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_experiment_create_oversized)
{
    char def[400];
    tmp_path(def, sizeof def, "big-def.json");
    write_big_definition(def, "hypothesis", 9 * MB);
    res_t r = LIFTCTL(NULL, "experiment", "create", "-f", def);
    expect(&r, 1, "hypothesis: 9437184 bytes", "limit of 4096 bytes", NULL);
    ck_assert_msg(strstr(r.err, "no reply") == NULL && strstr(r.err, "UNAVAILABLE") == NULL, "%s",
                  r.err);
    ck_assert_msg(r.secs < 5, "took %.1f s", r.secs);
    res_free(&r);

    write_big_definition(def, "payload", 9 * MB);
    r = LIFTCTL(NULL, "experiment", "create", "-f", def);
    expect(&r, 1, "arms[1].payload: 9437184 bytes", "limit of 4096 bytes", NULL);
    res_free(&r);

    r = LIFTCTL(NULL, "experiment", "show", "big-def");
    expect(&r, 1, "NOT_FOUND", NULL); /* nothing was sent */
    res_free(&r);

    /* at the bound it is sent and stored */
    write_big_definition(def, "hypothesis", LIFT_TEXT_MAX);
    r = LIFTCTL(NULL, "experiment", "create", "-f", def);
    expect(&r, 0, NULL);
    res_free(&r);
}
END_TEST

/* ---- errors: order, summaries, messages ------------------------------------------------------ */

START_TEST(test_assign_output_in_input_order)
{
    create_and_start();
    char in[400];
    tmp_path(in, sizeof in, "ids.txt");
    FILE *f = create(in);
    fputs("c1\n", f);
    for (int i = 0; i < 200; i++) /* too long: rejected here */
        fputc('x', f);
    fputs("\nc2\n", f);
    fwrite("ab\0cd\n", 1, 6, f);        /* a NUL byte: rejected here */
    fputs("c3\n\nc\033[31m4\nc5\n", f); /* a blank line (skipped); a control byte (by liftd) */
    ck_assert_int_eq(fclose(f), 0);
    static const char *const order[] = {"c1", "x", "c2", "ab", "c3", "c", "c5"};
    static const int rejected[] = {0, 1, 0, 1, 0, 1, 0};

    res_t r = LIFTCTL(NULL, "assign", KEY, "--customers", in, "--trigger", "usage_threshold",
                      "--stage", "growth", "--channel", "in_app");
    expect(&r, 1, "line 2: INVALID_ARGUMENT: customer_id: 200 bytes",
           "line 4:", "line 7:", "3 customer ids rejected", NULL);
    ck_assert_int_eq(count_lines(r.out), 7);
    char *p = r.out;
    for (size_t i = 0; i < 7; i++) {
        char *nl = strchr(p, '\n');
        *nl = '\0';
        ck_assert_msg(strncmp(p, order[i], strlen(order[i])) == 0, "line %zu: '%s', want %s...",
                      i + 1, p, order[i]);
        if (rejected[i])
            ck_assert_msg(strstr(p, "\t-1\tnone") != NULL, "line %zu: %s", i + 1, p);
        p = nl + 1;
    }
    ck_assert_msg(memchr(r.out, '\033', r.out_len) == NULL &&
                      memchr(r.err, '\033', r.err_len) == NULL,
                  "a raw ESC byte was printed");
    res_free(&r);

    r = LIFTCTL(NULL, "--json", "assign", KEY, "--customers", in, "--trigger", "usage_threshold",
                "--stage", "growth", "--channel", "in_app");
    expect(&r, 1, NULL);
    ck_assert_int_eq(count_lines(r.out), 7);
    p = r.out;
    for (size_t i = 0; i < 7; i++) {
        char *nl = strchr(p, '\n');
        *nl = '\0';
        json_t *o = parse_json(p);
        const char *id = json_string_value(json_object_get(o, "customer_id"));
        ck_assert_msg(id && strncmp(id, order[i], strlen(order[i])) == 0, "line %zu: %s", i + 1, p);
        ck_assert_int_eq(json_object_get(o, "error") != NULL, rejected[i]);
        json_decref(o);
        p = nl + 1;
    }
    res_free(&r);
}
END_TEST

START_TEST(test_track_summary_when_unreachable)
{
    char in[400];
    tmp_path(in, sizeof in, "few.jsonl");
    FILE *f = create(in);
    churn_row(f, "u-1");
    churn_row(f, "u-2");
    ck_assert_int_eq(fclose(f), 0);
    tu_liftd_stop(&T);
    res_t r = LIFTCTL(NULL, "--json", "--timeout", "200", "--retries", "1", "track", in);
    expect(&r, 1, "UNAVAILABLE", NULL);
    json_t *j = parse_json(r.out);
    ck_assert_int_eq(jint(j, "acknowledged"), 0);
    ck_assert_int_eq(jint(j, "accepted"), 0);
    ck_assert(json_is_false(json_object_get(j, "complete")));
    json_t *s = json_object_get(j, "stopped");
    ck_assert(json_is_object(s));
    ck_assert_str_eq(json_string_value(json_object_get(s, "code")), "UNAVAILABLE");
    ck_assert_int_eq(jint(s, "line"), 1);
    ck_assert_msg(strstr(json_string_value(json_object_get(s, "reason")), "no reply"), "%s", r.out);
    json_decref(j);
    res_free(&r);
}
END_TEST

START_TEST(test_track_summary_when_stopped_midway)
{
    char fifo[400];
    tmp_path(fifo, sizeof fifo, "events.fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    const char *args[] = {"--json", "--timeout", "300",     "--retries", "1",
                          "track",  "-",         "--batch", "5",         NULL};
    double t0 = tu_now_s();
    pid_t pid = spawn_liftctl(fifo, args);
    FILE *f = fopen(fifo, "w");
    ck_assert_ptr_nonnull(f);
    char id[32];
    for (int i = 1; i <= 5; i++) { /* one batch, acknowledged */
        snprintf(id, sizeof id, "m-%d", i);
        churn_row(f, id);
    }
    fflush(f);
    for (int i = 0; i < 500 && tu_store_events(T.data, NULL).count < 5; i++)
        usleep(20 * 1000);
    ck_assert_int_eq(tu_store_events(T.data, NULL).count, 5);
    tu_liftd_stop(&T); /* then liftd goes away */
    for (int i = 6; i <= 8; i++) {
        snprintf(id, sizeof id, "m-%d", i);
        churn_row(f, id);
    }
    fprintf(f, "not json\n"); /* line 9: read, reported, counted */
    fclose(f);
    res_t r = wait_liftctl(pid, t0);
    expect(&r, 1, "UNAVAILABLE", "stopped at line 6", "5 events acknowledged", NULL);
    json_t *j = parse_json(r.out);
    ck_assert_int_eq(jint(j, "acknowledged"), 5);
    ck_assert_int_eq(jint(j, "accepted"), 5);
    ck_assert_int_eq(jint(j, "duplicates"), 0);
    ck_assert_int_eq(jint(j, "rejected"), 1);
    ck_assert(json_is_false(json_object_get(j, "complete")));
    json_t *s = json_object_get(j, "stopped");
    ck_assert_int_eq(jint(s, "line"), 6);
    ck_assert_str_eq(json_string_value(json_object_get(s, "code")), "UNAVAILABLE");
    json_decref(j);
    res_free(&r);
}
END_TEST

START_TEST(test_track_blames_the_given_field)
{
    char in[400], rej[400];
    tmp_path(in, sizeof in, "blame.jsonl");
    tmp_path(rej, sizeof rej, "rejects.jsonl");
    write_file(
        in,
        /* 1 */ "{\"event_id\":\"b1\",\"customer_id\":\"c\",\"type\":\"churn\","
                "\"timestamp\":\"2099-01-06T12:00:00Z\"}\n"
                /* 2 */ "{\"event_id\":\"b2\",\"customer_id\":\"c\",\"type\":\"conversion\"," TS
                ",\"amount\":\"0.00\"}\n"
                /* 3 */ "{\"event_id\":\"b3\",\"customer_id\":\"c\",\"type\":\"churn\"," TS
                ",\"amount\":\"5.00\"}\n"
                /* 4 */ "{\"event_id\":\"b4\",\"customer_id\":\"c\",\"type\":\"churn\","
                "\"timestamp_ms\":4070908800000}\n"
                /* 5 */ "{\"event_id\":\"b5\",\"customer_id\":\"c\",\"type\":\"conversion\"," TS
                ",\"amount_minor\":0}\n"
                /* 6 */ "{\"event_id\":\"b6\",\"customer_id\":\"c\",\"type\":\"churn\","
                "\"timestamp\":\"1999-12-31T23:00:00Z\"}\n");
    res_t r = LIFTCTL(NULL, "track", in, "--rejects", rej);
    expect(&r, 1, "line 1: timestamp: ", "line 2: amount: '0.00'", NULL);
    ck_assert_msg(strstr(r.err, "line 1: timestamp_ms") == NULL, "%s", r.err);
    res_free(&r);
    static const struct {
        long line;
        const char *field, *word;
    } want[] = {{1, "timestamp", "2099-01-06T12:00:00"},
                {2, "amount", "'0.00'"},
                {3, "amount", "'5.00'"},
                {4, "timestamp_ms", "2099-01-01T00:00:00"},
                {5, "amount_minor", "amount_minor: 0"},
                {6, "timestamp", "1999-12-31T23:00:00"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_t *o = reject_at(rej, want[i].line);
        const char *reason = json_string_value(json_object_get(o, "reason"));
        ck_assert_msg(strcmp(json_string_value(json_object_get(o, "field")), want[i].field) == 0,
                      "line %ld: field %s, want %s", want[i].line,
                      json_string_value(json_object_get(o, "field")), want[i].field);
        ck_assert_msg(strncmp(reason, want[i].field, strlen(want[i].field)) == 0 &&
                          strstr(reason, want[i].word),
                      "line %ld: '%s' does not start with %s or lacks '%s'", want[i].line, reason,
                      want[i].field, want[i].word);
        json_decref(o);
    }
}
END_TEST

START_TEST(test_readable_times_in_messages)
{
    char in[400], def[400];
    tmp_path(in, sizeof in, "times.jsonl");
    tmp_path(def, sizeof def, "times.json");
    write_file(in, "{\"event_id\":\"t1\",\"customer_id\":\"c\",\"type\":\"churn\","
                   "\"timestamp_ms\":-5}\n");
    res_t r = LIFTCTL(NULL, "track", in);
    expect(&r, 1, "timestamp_ms: -5", "1970-01-01T00:00:00Z", NULL);
    res_free(&r);
    write_file(def, "{\"key\":\"t\",\"arms\":[{\"name\":\"a\",\"weight\":0.5},{\"name\":\"b\","
                    "\"weight\":0.5}],\"start_ms\":5}\n");
    r = LIFTCTL(NULL, "experiment", "create", "-f", def);
    expect(&r, 1, "start_ms: 1970-01-01T00:00:00.005Z", "2000-01-01T00:00:00Z",
           "3000-01-01T00:00:00Z", NULL);
    res_free(&r);
}
END_TEST

START_TEST(test_experiment_wrong_json_types)
{
    static const struct {
        const char *json, *words;
    } cases[] = {
        {"{\"key\":42,\"arms\":[{\"name\":\"a\",\"weight\":0.5},{\"name\":\"b\",\"weight\":0.5}]}",
         "key: must be a string, not a number"},
        {"{\"key\":true,\"arms\":[]}", "key: must be a string, not true"},
        {"{\"key\":\"k\",\"arms\":{\"name\":\"a\"}}", "arms: must be an array"},
        {"{\"key\":\"k\",\"name\":[1],\"arms\":[]}", "name: must be a string, not an array"},
        {"{\"key\":\"k\",\"arms\":[{\"name\":\"a\",\"weight\":\"0.5\"}]}",
         "arms[0].weight: must be a number, not a string"},
        {"{\"key\":\"k\",\"coverage\":null,\"arms\":[]}", "coverage: must be a number, not null"},
    };
    char def[400];
    tmp_path(def, sizeof def, "types.json");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(def, cases[i].json);
        res_t r = LIFTCTL(NULL, "experiment", "create", "-f", def);
        expect(&r, 1, cases[i].words, NULL);
        ck_assert_msg(strstr(r.err, "missing") == NULL, "%s: %s", cases[i].json, r.err);
        res_free(&r);
    }
    /* really missing is still a usage error */
    write_file(def, "{\"arms\":[{\"name\":\"a\",\"weight\":0.5},{\"name\":\"b\",\"weight\":0.5}]}");
    res_t r = LIFTCTL(NULL, "experiment", "create", "-f", def);
    expect(&r, 2, "missing --key", NULL);
    res_free(&r);
}
END_TEST

START_TEST(test_track_csv_on_stdin)
{
    create_and_start();
    /* CSV piped without --format: read as CSV, every row stored */
    res_t r = LIFTCTL(EVENTS_CSV, "--json", "track", "-");
    expect(&r, 0, NULL);
    char *text = slurp(EVENTS_CSV, NULL);
    int rows = count_lines(text) - 1;
    free(text);
    json_t *j = parse_json(r.out);
    ck_assert_int_eq(jint(j, "accepted"), rows);
    ck_assert_int_eq(jint(j, "malformed"), 0);
    json_decref(j);
    res_free(&r);

    /* a header with quoted names is a header too */
    char quoted[400];
    tmp_path(quoted, sizeof quoted, "quoted.txt");
    write_file(quoted, "\"event_id\",\"customer_id\",type,timestamp\n"
                       "q1,c1,churn,2026-01-06T12:00:00Z\n");
    r = LIFTCTL(quoted, "--json", "track", "-");
    expect(&r, 0, NULL);
    j = parse_json(r.out);
    ck_assert_int_eq(jint(j, "accepted"), 1);
    json_decref(j);
    res_free(&r);

    /* neither JSON nor a header of known columns: refused once, before anything is sent */
    char in[400];
    tmp_path(in, sizeof in, "other.csv.txt");
    write_file(in, "id,amount\n1,2\n3,4\n5,6\n");
    r = LIFTCTL(in, "track", "-");
    expect(&r, 2, "cannot tell the format", "--format", NULL);
    ck_assert_msg(strstr(r.err, "line 2") == NULL && strstr(r.err, "not valid JSON") == NULL, "%s",
                  r.err);
    ck_assert_int_le(count_lines(r.err), 2); /* the message and the --help pointer */
    res_free(&r);

    /* a .jsonl name holding CSV: refused once too */
    tmp_path(in, sizeof in, "mislabelled.jsonl");
    write_file(in, "event_id,customer_id,type,timestamp\ne1,c1,churn,2026-01-06T12:00:00Z\n");
    r = LIFTCTL(NULL, "track", in);
    expect(&r, 2, "CSV header", "--format csv", NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "track", in, "--format", "csv");
    expect(&r, 0, NULL);
    res_free(&r);
}
END_TEST

START_TEST(test_track_no_raw_control_bytes)
{
    char in[400];
    tmp_path(in, sizeof in, "esc.jsonl");
    write_file(in,
               "{\"event_id\":\"e1\",\"customer_id\":\"c\\u001b[2J\",\"type\":\"churn\"," TS "}\n"
               "{\"event_id\":\"e2\",\"customer_id\":\"c\",\"type\":\"churn\"," TS
               ",\"x\\u001b]0;owned\\u0007\":1}\n"
               "{\"event_id\":\"e3\",\"customer_id\":\"c\",\"type\":\"\\u009b31m\"," TS "}\n");
    res_t r = LIFTCTL(NULL, "track", in);
    expect(&r, 1, "line 1:", "line 2:", "line 3:", NULL);
    ck_assert_msg(memchr(r.err, '\033', r.err_len) == NULL &&
                      memchr(r.err, '\007', r.err_len) == NULL && strstr(r.err, "\302\233") == NULL,
                  "a raw control byte reached stderr: %s", r.err);
    res_free(&r);
}
END_TEST

/* An id stored before with other content is counted apart in both summaries, not hidden among
 * the duplicates, and the run fails. */
START_TEST(test_track_summary_counts_conflicts)
{
    char a[400], b[400];
    tmp_path(a, sizeof a, "first.jsonl");
    tmp_path(b, sizeof b, "second.jsonl");
    write_file(a, "{\"event_id\":\"pay-1\",\"customer_id\":\"c1\",\"type\":\"conversion\","
                  "\"amount_minor\":4900," TS "}\n");
    write_file(b, "{\"event_id\":\"pay-1\",\"customer_id\":\"c1\",\"type\":\"refund\","
                  "\"amount_minor\":99900," TS "}\n"
                  "{\"event_id\":\"pay-2\",\"customer_id\":\"c2\",\"type\":\"churn\"," TS "}\n");
    res_t r = LIFTCTL(NULL, "track", a);
    expect(&r, 0, NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "track", b);
    ck_assert_msg(r.rc != 0, "a conflict must not exit 0: %s", r.out);
    ck_assert_msg(strstr(r.out, "accepted 1, duplicates 0, rejected 1") &&
                      strstr(r.out, "conflicts 1"),
                  "%s", r.out);
    ck_assert_msg(strstr(r.err, "pay-1") || strstr(r.out, "pay-1"), "%s%s", r.out, r.err);
    res_free(&r);
    r = LIFTCTL(NULL, "--json", "track", b);
    json_t *j = parse_json(r.out);
    ck_assert_int_eq(jint(j, "conflicts"), 1);
    ck_assert_int_eq(jint(j, "duplicates"), 1);
    ck_assert_int_eq(jint(j, "accepted"), 0);
    json_decref(j);
    res_free(&r);
    ck_assert_int_eq(tu_store_events(T.data, NULL).count, 2);
    tu_events_t pay = tu_store_events(T.data, &(tu_event_filter_t){.event_id = "pay-1"});
    ck_assert_int_eq(pay.count, 1);
    ck_assert_int_eq(pay.amount, 4900);
}
END_TEST

/* Two imports of overlapping files at the same time: every event is stored once, and the two
 * summaries add up to the truth. */
START_TEST(test_concurrent_overlapping_imports)
{
    enum { N = 3000, OVERLAP = 1000 };
    char a[400], b[400], id[32];
    tmp_path(a, sizeof a, "part-a.jsonl");
    tmp_path(b, sizeof b, "part-b.jsonl");
    FILE *fa = create(a), *fb = create(b);
    for (int i = 0; i < N; i++) { /* a: 0 .. 1999, b: 1000 .. 2999 */
        snprintf(id, sizeof id, "ov-%d", i);
        if (i < N - OVERLAP)
            churn_row(fa, id);
        if (i >= N - 2 * OVERLAP)
            churn_row(fb, id);
    }
    ck_assert_int_eq(fclose(fa), 0);
    ck_assert_int_eq(fclose(fb), 0);
    const char *args_a[] = {"--json", "track", a, "--batch", "50", NULL};
    const char *args_b[] = {"--json", "track", b, "--batch", "50", NULL};
    double t0 = tu_now_s();
    pid_t pa = spawn_liftctl_as("a", NULL, args_a);
    pid_t pb = spawn_liftctl_as("b", NULL, args_b);
    res_t ra = wait_liftctl_as("a", pa, t0), rb = wait_liftctl_as("b", pb, t0);
    expect(&ra, 0, NULL);
    expect(&rb, 0, NULL);
    json_t *ja = parse_json(ra.out), *jb = parse_json(rb.out);
    ck_assert_int_eq(jint(ja, "accepted") + jint(jb, "accepted"), N);
    ck_assert_int_eq(jint(ja, "duplicates") + jint(jb, "duplicates"), OVERLAP);
    ck_assert_int_eq(jint(ja, "conflicts") + jint(jb, "conflicts"), 0);
    json_decref(ja);
    json_decref(jb);
    res_free(&ra);
    res_free(&rb);
    tu_events_t all = tu_store_events(T.data, NULL);
    ck_assert_int_eq(all.count, N);
    ck_assert_int_eq(all.distinct_ids, N);
    /* A resend of both is all duplicates. */
    res_t r = LIFTCTL(NULL, "--json", "track", a);
    json_t *j = parse_json(r.out);
    ck_assert_int_eq(jint(j, "accepted"), 0);
    ck_assert_int_eq(jint(j, "duplicates"), N - OVERLAP);
    json_decref(j);
    res_free(&r);
}
END_TEST

Suite *hostile_input_suite(void);
Suite *hostile_input_suite(void)
{
    Suite *s = suite_create("hostile_input");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_event_max_bytes);
    suite_add_tcase(s, tc);

    TCase *tl = tcase_create("limits");
    tcase_add_checked_fixture(tl, tu_setup, tu_teardown);
    tcase_set_timeout(tl, 120);
    tcase_add_test(tl, test_track_oversized_rows_among_valid);
    tcase_add_test(tl, test_track_many_long_customer_ids);
    tcase_add_test(tl, test_track_full_batch_at_bounds);
    tcase_add_test(tl, test_experiment_create_oversized);
    suite_add_tcase(s, tl);

    TCase *te = tcase_create("errors");
    tcase_add_checked_fixture(te, tu_setup, tu_teardown);
    tcase_set_timeout(te, 60);
    tcase_add_test(te, test_assign_output_in_input_order);
    tcase_add_test(te, test_track_summary_when_unreachable);
    tcase_add_test(te, test_track_summary_when_stopped_midway);
    tcase_add_test(te, test_track_blames_the_given_field);
    tcase_add_test(te, test_readable_times_in_messages);
    tcase_add_test(te, test_experiment_wrong_json_types);
    tcase_add_test(te, test_track_csv_on_stdin);
    tcase_add_test(te, test_track_no_raw_control_bytes);
    tcase_add_test(te, test_track_summary_counts_conflicts);
    tcase_add_test(te, test_concurrent_overlapping_imports);
    suite_add_tcase(s, te);
    return s;
}
