/* check_sim: runs the built liftsim against a real liftd with a small seeded simulation and checks
 * its ground-truth JSON against the store (exposures and events, read-only SQLite), and that a
 * rerun with the same seed adds nothing (exactly-once). Does not judge the model's numbers. */
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

#include "store.h"
#include "testutil.h"

static tliftd_t T;

static void setup(void)
{
    tu_liftd_init(&T);
    tu_liftd_start(&T, NULL);
}

static void teardown(void)
{
    tu_liftd_fini(&T);
}

/* Runs liftsim with args (NULL-terminated) against T, stdout and stderr to files in T.dir;
 * returns its exit status (-1 if it did not exit normally). */
static int run_sim(const char *const *args)
{
    char prog[512], out[400], err[400];
    tu_program("liftsim", prog, sizeof prog);
    snprintf(out, sizeof out, "%s/sim.out", T.dir);
    snprintf(err, sizeof err, "%s/sim.err", T.dir);
    const char *argv[32] = {prog, "--endpoint", T.endpoint, "--config", "examples/sim.json"};
    int argc = 5;
    for (int i = 0; args[i] && argc < 31; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(126);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The whole content of T.dir/name (caller frees). */
static char *slurp(const char *name)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", T.dir, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    char *buf = calloc(1, 1 << 16);
    ck_assert_ptr_nonnull(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static json_t *load_truth(const char *path)
{
    json_error_t je;
    json_t *t = json_load_file(path, 0, &je);
    ck_assert_msg(t != NULL, "truth %s: %s at %d:%d", path, je.text, je.line, je.column);
    return t;
}

static json_int_t jint(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_integer(v), "'%s' is not an integer", key);
    return json_integer_value(v);
}

/* What the store holds, read through the store interface: events by type, the experiment's
 * exposures and impressions by arm. */
typedef struct {
    int64_t exp_id;     /* id of upsell-usage-q4 (0: not found) */
    int64_t events;     /* every event */
    int64_t by_type[8]; /* events by EventType value */
    int64_t imps[8];    /* impressions of exp_id by arm */
    int64_t exposed[8]; /* exposures of exp_id by arm */
    int64_t exposures;  /* exposures of exp_id */
} facts_t;

static int facts_exp(void *arg, const store_experiment_t *x)
{
    facts_t *f = arg;
    if (!strcmp(x->key, "upsell-usage-q4"))
        f->exp_id = x->id;
    return 0;
}

static int facts_event(void *arg, const store_event_t *e)
{
    facts_t *f = arg;
    f->events++;
    if (e->type >= 0 && e->type < 8)
        f->by_type[e->type]++;
    if (e->type == 1 && e->experiment_id == f->exp_id && e->arm >= 0 && e->arm < 8)
        f->imps[e->arm]++;
    return 0;
}

static int facts_exposure(void *arg, const store_exposure_t *x)
{
    facts_t *f = arg;
    f->exposures++;
    if (x->arm >= 0 && x->arm < 8)
        f->exposed[x->arm]++;
    return 0;
}

static facts_t store_facts(void)
{
    facts_t f;
    memset(&f, 0, sizeof f);
    char err[512] = "";
    store_reader_t *rd = store_reader_open(tu_liftd_store(&T), err, sizeof err);
    ck_assert_msg(rd != NULL, "%s", err);
    ck_assert_int_eq(store_reader_begin(rd, err, sizeof err), 0);
    ck_assert_int_eq(store_reader_experiments(rd, facts_exp, &f), 0);
    ck_assert_int_gt(f.exp_id, 0);
    ck_assert_int_eq(store_reader_all_events(rd, facts_event, &f), 0);
    ck_assert_int_eq(store_reader_exposures(rd, f.exp_id, facts_exposure, &f), 0);
    store_reader_end(rd);
    store_reader_destroy(&rd);
    return f;
}

/* Checks the truth's structure and that every count matches the store. */
static void check_truth_vs_store(const json_t *t, const facts_t *f)
{
    ck_assert_int_eq(jint(t, "seed"), 7);
    ck_assert_int_eq(jint(t, "weeks"), 2);
    ck_assert_int_eq(jint(t, "customers"), 2000);
    ck_assert_int_lt(jint(t, "start_ms"), jint(t, "end_ms"));
    json_t *ev = json_object_get(t, "events");
    ck_assert(json_is_object(ev));
    ck_assert_int_eq(jint(ev, "rejected"), 0);
    json_int_t total = jint(ev, "total"), sum = 0;
    ck_assert_int_gt(total, 1000);
    static const char *const types[] = {"impression", "click", "conversion",
                                        "refund",     "churn", "nps"};
    for (int k = 0; k < 6; k++) {
        json_int_t n = jint(ev, types[k]);
        ck_assert_msg(n > 0, "no %s events in a 2000-customer simulation", types[k]);
        ck_assert_int_eq(f->by_type[k + 1], n);
        sum += n;
    }
    ck_assert_int_eq(sum, total);
    ck_assert_int_eq(f->events, total);

    json_t *exps = json_object_get(t, "experiments");
    ck_assert(json_is_array(exps));
    ck_assert_int_eq(json_array_size(exps), 1);
    json_t *x = json_array_get(exps, 0);
    ck_assert_str_eq(json_string_value(json_object_get(x, "key")), "upsell-usage-q4");
    json_t *arms = json_object_get(x, "arms");
    ck_assert_int_eq(json_array_size(arms), 3);
    static const char *const names[] = {"holdout", "offer-immediate", "offer-delayed-24h"};
    json_int_t exposed_all = 0;
    for (size_t a = 0; a < 3; a++) {
        json_t *ja = json_array_get(arms, a);
        ck_assert_str_eq(json_string_value(json_object_get(ja, "name")), names[a]);
        ck_assert_int_eq(jint(ja, "index"), (json_int_t)a);
        json_int_t exposed = jint(ja, "exposed");
        ck_assert_int_gt(exposed, 0);
        exposed_all += exposed;
        ck_assert_int_eq(f->exposed[a], exposed);
        /* impressions name the arm; only treatment arms get offers */
        int64_t imps = f->imps[a];
        if (a == 0) {
            ck_assert_int_eq(imps, 0);
            ck_assert_ptr_null(json_object_get(ja, "incremental_revenue_minor"));
        } else {
            ck_assert_int_gt(imps, 0);
            json_t *rev = json_object_get(ja, "incremental_revenue_minor");
            json_t *per = json_object_get(ja, "incremental_revenue_per_exposed_minor");
            ck_assert(json_is_number(rev) && json_is_number(per));
            ck_assert(json_is_number(json_object_get(ja, "extra_upgrades")));
            ck_assert(json_is_number(json_object_get(ja, "extra_churned")));
            ck_assert_double_eq_tol(json_number_value(per),
                                    json_number_value(rev) / (double)exposed, 1e-6);
        }
        /* every dimension's segments add up to the arm */
        json_t *segs = json_object_get(ja, "segments");
        static const char *const dims[] = {"trigger", "stage", "channel"};
        for (int d = 0; d < 3; d++) {
            json_t *lv = json_object_get(segs, dims[d]);
            ck_assert_msg(json_is_array(lv) && json_array_size(lv) > 0, "segments.%s", dims[d]);
            json_int_t n = 0;
            double rev = 0;
            for (size_t k = 0; k < json_array_size(lv); k++) {
                json_t *c = json_array_get(lv, k);
                ck_assert(json_is_string(json_object_get(c, "level")));
                n += jint(c, "exposed");
                if (a > 0)
                    rev += json_number_value(json_object_get(c, "incremental_revenue_minor"));
            }
            ck_assert_int_eq(n, exposed);
            if (a > 0)
                ck_assert_double_eq_tol(
                    rev, json_number_value(json_object_get(ja, "incremental_revenue_minor")),
                    1e-6 * (1 + fabs(rev)));
        }
    }
    ck_assert_int_eq(f->exposures, exposed_all);
}

START_TEST(sim_truth_matches_store_and_rerun_is_exactly_once)
{
    char truth1[400], truth2[400];
    snprintf(truth1, sizeof truth1, "%s/truth1.json", T.dir);
    snprintf(truth2, sizeof truth2, "%s/truth2.json", T.dir);
    const char *args1[] = {"--customers", "2000",    "--weeks", "2",    "--seed",
                           "7",           "--quiet", "--truth", truth1, NULL};
    int rc = run_sim(args1);
    if (rc != 0) {
        char *err = slurp("sim.err");
        ck_abort_msg("liftsim exited %d: %s", rc, err);
    }
    char *out = slurp("sim.out");
    ck_assert_msg(strstr(out, "offer-immediate vs holdout") != NULL, "table: %s", out);
    free(out);

    json_t *t1 = load_truth(truth1);
    facts_t f1 = store_facts();
    check_truth_vs_store(t1, &f1);
    json_t *ev1 = json_object_get(t1, "events");
    ck_assert_int_eq(jint(ev1, "accepted"), jint(ev1, "total"));
    ck_assert_int_eq(jint(ev1, "duplicates"), 0);

    /* Same seed again: every event is a duplicate, the store is unchanged, the truth is equal. */
    const char *args2[] = {"--customers", "2000",    "--weeks", "2",    "--seed",
                           "7",           "--quiet", "--truth", truth2, NULL};
    ck_assert_int_eq(run_sim(args2), 0);
    json_t *t2 = load_truth(truth2);
    json_t *ev2 = json_object_get(t2, "events");
    ck_assert_int_eq(jint(ev2, "total"), jint(ev1, "total"));
    ck_assert_int_eq(jint(ev2, "accepted"), 0);
    ck_assert_int_eq(jint(ev2, "duplicates"), jint(ev1, "total"));
    facts_t f2 = store_facts();
    ck_assert_int_eq(f2.events, f1.events);
    ck_assert_int_eq(f2.exposures, f1.exposures);
    check_truth_vs_store(t2, &f2);
    json_t *a1 = json_array_get(
        json_object_get(json_array_get(json_object_get(t1, "experiments"), 0), "arms"), 1);
    json_t *a2 = json_array_get(
        json_object_get(json_array_get(json_object_get(t2, "experiments"), 0), "arms"), 1);
    ck_assert_double_eq(json_number_value(json_object_get(a1, "incremental_revenue_minor")),
                        json_number_value(json_object_get(a2, "incremental_revenue_minor")));
    json_decref(t1);
    json_decref(t2);
}
END_TEST

/* --local: decisions in liftsim's process, exposures recorded in batches. The stored facts
 * match the truth exactly as for served decisions, and a served rerun of the same seed finds
 * every exposure and event already stored (local and served decide the same arms). */
START_TEST(sim_local_matches_served)
{
    char truth1[400], truth2[400];
    snprintf(truth1, sizeof truth1, "%s/truth-l.json", T.dir);
    snprintf(truth2, sizeof truth2, "%s/truth-s.json", T.dir);
    const char *args1[] = {"--customers", "2000",    "--weeks", "2",    "--seed", "7",
                           "--quiet",     "--local", "--truth", truth1, NULL};
    int rc = run_sim(args1);
    if (rc != 0) {
        char *err = slurp("sim.err");
        ck_abort_msg("liftsim --local exited %d: %s", rc, err);
    }
    json_t *t1 = load_truth(truth1);
    facts_t f1 = store_facts();
    ck_assert_int_gt(f1.exposures, 0);
    check_truth_vs_store(t1, &f1);
    const char *args2[] = {"--customers", "2000",    "--weeks", "2",    "--seed",
                           "7",           "--quiet", "--truth", truth2, NULL};
    ck_assert_int_eq(run_sim(args2), 0);
    json_t *t2 = load_truth(truth2);
    json_t *ev2 = json_object_get(t2, "events");
    ck_assert_int_eq(jint(ev2, "accepted"), 0);
    facts_t f2 = store_facts();
    ck_assert_int_eq(f2.exposures, f1.exposures);
    ck_assert_int_eq(f2.events, f1.events);
    check_truth_vs_store(t2, &f2);
    json_decref(t1);
    json_decref(t2);
    const char *load[] = {"--local", "--rate", "10", NULL};
    ck_assert_int_eq(run_sim(load), 2);
}
END_TEST

START_TEST(sim_bad_flags_name_the_flag)
{
    static const char *const cases[][3] = {{"--weeks", "0", "--weeks: 0 is out of range (1..52)"},
                                           {"--customers", "12x", "--customers: '12x'"},
                                           {"--rate", "-5", "--rate: -5 is out of range"},
                                           {"--clients", "0", "--clients: 0 is out of range"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *args[] = {cases[k][0], cases[k][1], NULL};
        ck_assert_int_eq(run_sim(args), 2);
        char *err = slurp("sim.err");
        ck_assert_msg(strstr(err, cases[k][2]) != NULL, "stderr for %s %s: %s", cases[k][0],
                      cases[k][1], err);
        free(err);
    }
}
END_TEST

Suite *sim_suite(void);
Suite *sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sim_truth_matches_store_and_rerun_is_exactly_once);
    tcase_add_test(tc, sim_local_matches_served);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("errors");
    tcase_add_checked_fixture(te, setup, teardown);
    tcase_set_timeout(te, 30);
    tcase_add_test(te, sim_bad_flags_name_the_flag);
    suite_add_tcase(s, te);
    return s;
}
