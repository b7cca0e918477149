/* End to end: a small seeded liftsim run against a real liftd, then the report through the
 * client library, checked against the simulator's ground truth and against an independent
 * recomputation from the stored facts (read through the store interface); its JSON form
 * round-trips. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lift/client.h"
#include "render.h"
#include "store.h"
#include "testutil.h"

#define T tu_liftd /* each test's liftd (tu_setup, tu_teardown) */

/* liftsim with a fixed seed: 20,000 customers over 4 weeks (about 1 s here). */
static void simulate(const char *truth)
{
    char prog[512], log[400];
    tu_program("liftsim", prog, sizeof prog);
    snprintf(log, sizeof log, "%s/sim.log", T.dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execl(prog, prog, "--endpoint", T.endpoint, "--config", "examples/sim.json", "--seed", "11",
              "--customers", "20000", "--weeks", "4", "--quiet", "--truth", truth, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "liftsim failed (see %s)", log);
}

/* liftctl report KEY ARGS... against the test liftd, stdout and stderr into `log`; its exit. */
static int liftctl_report(const char *log, const char *const *args)
{
    char prog[512];
    const char *argv[24];
    int n = 0;
    tu_program("liftctl", prog, sizeof prog);
    argv[n++] = prog;
    argv[n++] = "--endpoint";
    argv[n++] = T.endpoint;
    argv[n++] = "report";
    for (; *args && n < 23; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp_file(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char *buf = calloc(1, 1 << 22);
    ck_assert_ptr_nonnull(buf);
    size_t n = fread(buf, 1, (1 << 22) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* An independent recomputation of each arm's exposed customers, revenue after exposure and
 * impressions, from the stored facts (read through the store interface), up to to_ms. */
typedef struct {
    char id[64];     /* customer */
    int arm;         /* assigned arm */
    int64_t trigger; /* exposure's trigger time: outcomes count from here */
} expo_t;

typedef struct {
    int64_t exp_id; /* upsell-usage-q4 */
    expo_t *x;      /* exposures in customer order (the store's order) */
    size_t n, cap;  /* used / allocated */
    int64_t to_ms;  /* end of the window */
    int64_t exposed[3], revenue[3], impressions[3]; /* per arm */
} recompute_t;

static int rc_exp(void *arg, const store_experiment_t *x)
{
    recompute_t *r = arg;
    if (!strcmp(x->key, "upsell-usage-q4"))
        r->exp_id = x->id;
    return 0;
}

static int rc_expo(void *arg, const store_exposure_t *e)
{
    recompute_t *r = arg;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 4096;
        r->x = realloc(r->x, r->cap * sizeof *r->x);
        ck_assert_ptr_nonnull(r->x);
    }
    ck_assert_uint_lt(e->customer_len, sizeof r->x[0].id);
    expo_t *x = &r->x[r->n++];
    memcpy(x->id, e->customer, e->customer_len);
    x->id[e->customer_len] = '\0';
    x->arm = e->arm;
    x->trigger = e->trigger_ms;
    ck_assert(e->arm >= 0 && e->arm < 3);
    r->exposed[e->arm]++;
    return 0;
}

static int cmp_expo(const void *key, const void *elem)
{
    return strcmp(key, ((const expo_t *)elem)->id);
}

static int rc_event(void *arg, const store_event_t *e)
{
    recompute_t *r = arg;
    if (e->type != 1 && e->type != 3 && e->type != 4)
        return 0;
    const expo_t *x = bsearch(e->customer_id, r->x, r->n, sizeof *r->x, cmp_expo);
    if (!x || e->ts_ms < x->trigger || e->ts_ms >= r->to_ms)
        return 0;
    if (e->type == 1 && e->experiment_id == r->exp_id)
        r->impressions[x->arm]++;
    else if (e->type == 3)
        r->revenue[x->arm] += e->amount_minor;
    else if (e->type == 4)
        r->revenue[x->arm] -= e->amount_minor;
    return 0;
}

static void recompute(recompute_t *r, int64_t to_ms)
{
    memset(r, 0, sizeof *r);
    r->to_ms = to_ms;
    char err[512] = "";
    store_reader_t *rd = store_reader_open(tu_liftd_store(&T), err, sizeof err);
    ck_assert_msg(rd != NULL, "%s", err);
    ck_assert_int_eq(store_reader_begin(rd, err, sizeof err), 0);
    ck_assert_int_eq(store_reader_experiments(rd, rc_exp, r), 0);
    ck_assert_int_gt(r->exp_id, 0);
    ck_assert_int_eq(store_reader_exposures(rd, r->exp_id, rc_expo, r), 0);
    /* bsearch needs strcmp order; the store gives bytewise order, which is the same for
     * NUL-free ids. Checked, so a change of order cannot make this recomputation lie. */
    for (size_t i = 1; i < r->n; i++)
        ck_assert_int_lt(strcmp(r->x[i - 1].id, r->x[i].id), 0);
    ck_assert_int_eq(store_reader_all_events(rd, rc_event, r), 0);
    store_reader_end(rd);
    store_reader_destroy(&rd);
}

START_TEST(test_report_finds_the_true_effect)
{
    char truth_path[400];
    snprintf(truth_path, sizeof truth_path, "%s/truth.json", T.dir);
    simulate(truth_path);
    json_error_t je;
    json_t *truth = json_load_file(truth_path, 0, &je);
    ck_assert_msg(truth != NULL, "truth: %s", je.text);
    json_t *tx = json_array_get(json_object_get(truth, "experiments"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(tx, "key")), "upsell-usage-q4");
    json_t *tarms = json_object_get(tx, "arms");

    Lift__ReportRequest q = LIFT__REPORT_REQUEST__INIT;
    Lift__Dimension dims[] = {LIFT__DIMENSION__DIMENSION_TRIGGER, LIFT__DIMENSION__DIMENSION_STAGE,
                              LIFT__DIMENSION__DIMENSION_CHANNEL};
    q.experiment_key = "upsell-usage-q4";
    q.segment_by = dims;
    q.n_segment_by = 3;
    Lift__Report *r = NULL;
    ck_assert_int_eq(lift_report(T.client, &q, &r), LIFT_OK);
    ck_assert_uint_eq(r->n_arms, 3);
    ck_assert_uint_eq(r->n_comparisons, 2);
    ck_assert(r->health && r->health->srm && !r->health->srm->mismatch);

    /* 1. The (always-valid) interval of the incremental revenue holds the true effect. */
    for (int a = 1; a <= 2; a++) {
        const Lift__Comparison *c = r->comparisons[a - 1];
        ck_assert_int_eq(c->arm_index, a);
        double truth_total = json_number_value(
            json_object_get(json_array_get(tarms, (size_t)a), "incremental_revenue_minor"));
        ck_assert(c->incremental_total->ok);
        ck_assert_msg(c->incremental_total->ci_low <= truth_total &&
                          truth_total <= c->incremental_total->ci_high,
                      "arm %d: true %.0f outside [%.0f, %.0f]", a, truth_total,
                      c->incremental_total->ci_low, c->incremental_total->ci_high);
        ck_assert(truth_total > 0); /* the simulated offers do add revenue */
    }

    /* 2. Every per-arm number equals an independent recomputation from the stored facts. */
    recompute_t rc;
    recompute(&rc, r->provenance->to_ms);
    for (int arm = 0; arm < 3; arm++) {
        const Lift__ArmSummary *s = r->arms[arm];
        ck_assert_int_gt(rc.exposed[arm], 0);
        ck_assert_uint_eq(s->exposed, (uint64_t)rc.exposed[arm]);
        ck_assert_int_eq(s->revenue_minor, rc.revenue[arm]);
        ck_assert_uint_eq(s->impressions, (uint64_t)rc.impressions[arm]);
    }
    free(rc.x);

    /* 3. Segments of each dimension add up to the arms. */
    for (int d = LIFT__DIMENSION__DIMENSION_TRIGGER; d <= LIFT__DIMENSION__DIMENSION_CHANNEL; d++) {
        uint64_t sum[3] = {0};
        for (size_t i = 0; i < r->n_segments; i++) {
            const Lift__Segment *s = r->segments[i];
            if ((int)s->dimension != d)
                continue;
            ck_assert_uint_eq(s->n_exposed, 3);
            for (int a = 0; a < 3; a++)
                sum[a] += s->exposed[a];
        }
        for (int a = 0; a < 3; a++)
            ck_assert_uint_eq(sum[a], r->arms[a]->exposed);
    }

    /* 4. The JSON form round-trips the numbers exactly. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(render_json(r, f), 0);
    fclose(f);
    json_t *j = json_loads(buf, 0, &je);
    ck_assert_msg(j != NULL, "report JSON: %s", je.text);
    json_t *jc = json_array_get(json_object_get(j, "comparisons"), 0);
    json_t *jt = json_object_get(jc, "incremental_total");
    ck_assert_double_eq(json_number_value(json_object_get(jt, "estimate")),
                        r->comparisons[0]->incremental_total->estimate);
    ck_assert_double_eq(json_number_value(json_object_get(jt, "ci_low")),
                        r->comparisons[0]->incremental_total->ci_low);
    json_t *ja = json_array_get(json_object_get(j, "arms"), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(ja, "exposed")),
                     (json_int_t)r->arms[1]->exposed);
    json_decref(j);
    free(buf);

    /* 5. Calibrated or silent through the wire: a segment's revenue interval exists only when
     * the smaller arm's customers x the pooled share of payers reach LIFT_MIN_CONVERTERS and
     * each arm has a payer; heterogeneity per dimension and arm. */
    size_t silent = 0, shown = 0;
    for (size_t i = 0; i < r->n_segments; i++)
        for (size_t k = 0; k < r->segments[i]->n_comparisons; k++) {
            const Lift__Segment *g = r->segments[i];
            const Lift__Comparison *c = g->comparisons[k];
            ck_assert(c->has_converted_treated && c->has_converted_holdout);
            ck_assert_uint_gt(g->n_exposed, k + 1);
            double nt = (double)g->exposed[k + 1], nh = (double)g->exposed[0];
            double expected =
                fmin(nt, nh) * (double)(c->converted_treated + c->converted_holdout) / (nt + nh);
            if (c->revenue_diff->ok) {
                ck_assert_msg(expected >= r->provenance->min_converters, "expected %g", expected);
                ck_assert(c->converted_treated > 0 && c->converted_holdout > 0);
                ck_assert_int_eq(c->revenue_diff->family, LIFT__TEST_FAMILY__FAMILY_EXPLORATORY);
                shown++;
            } else if (strstr(c->revenue_diff->reason, "too few converters")) {
                ck_assert(expected < r->provenance->min_converters || c->converted_treated == 0 ||
                          c->converted_holdout == 0);
                silent++;
            }
        }
    ck_assert_uint_gt(shown, 0);
    ck_assert_uint_gt(r->n_heterogeneity, 0);
    ck_assert_ptr_nonnull(r->testing);
    ck_assert_uint_eq(r->testing->confirmatory_tests, 2);

    /* 6. The headline's adjusted p does not depend on the segments asked for; Holm on request. */
    double padj[2] = {r->comparisons[0]->revenue_diff->p_adjusted,
                      r->comparisons[1]->revenue_diff->p_adjusted};
    lift_report_free(&r);
    q.n_segment_by = 0;
    q.segment_by = NULL;
    ck_assert_int_eq(lift_report(T.client, &q, &r), LIFT_OK);
    ck_assert_double_eq(r->comparisons[0]->revenue_diff->p_adjusted, padj[0]);
    ck_assert_double_eq(r->comparisons[1]->revenue_diff->p_adjusted, padj[1]);
    ck_assert_int_eq(r->comparisons[0]->revenue_diff->family,
                     LIFT__TEST_FAMILY__FAMILY_CONFIRMATORY);
    lift_report_free(&r);
    q.has_adjust = 1;
    q.adjust = LIFT__ADJUSTMENT__ADJUSTMENT_HOLM;
    ck_assert_int_eq(lift_report(T.client, &q, &r), LIFT_OK);
    ck_assert_int_eq(r->testing->method, LIFT__ADJUSTMENT__ADJUSTMENT_HOLM);
    ck_assert(r->comparisons[0]->revenue_diff->p_adjusted >= padj[0] - 1e-15);
    lift_report_free(&r);
    (void)silent;
    json_decref(truth);

    /* 7. liftctl report --adjust: the method reaches the report; a bad method is a usage error */
    char log[400], out[400];
    snprintf(log, sizeof log, "%s/report.log", T.dir);
    snprintf(out, sizeof out, "%s/report.json", T.dir);
    const char *holm[] = {
        "upsell-usage-q4", "--adjust", "holm", "--format", "json", "-o", out, NULL};
    ck_assert_int_eq(liftctl_report(log, holm), 0);
    char *txt = slurp_file(out);
    ck_assert_ptr_nonnull(strstr(txt, "\"method\": \"holm\""));
    ck_assert_ptr_nonnull(strstr(txt, "\"family\": \"confirmatory\""));
    free(txt);
    const char *bad[] = {"upsell-usage-q4", "--adjust", "bonferroni", NULL};
    ck_assert_int_eq(liftctl_report(log, bad), 2);
    txt = slurp_file(log);
    ck_assert_ptr_nonnull(strstr(txt, "--adjust: unknown method 'bonferroni' (one of: bh, holm)"));
    free(txt);

    /* 5. An unknown experiment is a clear error, not a report. */
    q.experiment_key = "no-such-experiment";
    ck_assert_int_eq(lift_report(T.client, &q, &r), LIFT_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(lift_client_error(T.client), "no-such-experiment"));
}
END_TEST

Suite *e2e_suite(void);
Suite *e2e_suite(void)
{
    Suite *s = suite_create("e2e");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_report_finds_the_true_effect);
    suite_add_tcase(s, tc);
    return s;
}
