/* check_holdout: program holdouts — validation with named errors, membership equal to an
 * independent offline computation of the GrowthBook v2 hash, group sizes against the
 * percentage (chi-square), linked experiments never assigning a held-out customer (a property
 * test over random definitions through a real liftd), exclusions in neither group, stop
 * releasing members, the holdout exposure recorded once, the program report against an
 * oracle computed from the stored facts, and (on PostgreSQL) two liftd on one database
 * deciding identically. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assign.h"
#include "holdouts.h"
#include "lift/client.h"
#include "lift/local.h"
#include "lift/stats.h"
#include "pgharness.h"
#include "render.h"
#include "store.h"
#include "testutil.h"

#define T tu_liftd /* each test's liftd (setup, tu_teardown) */

static void setup(void)
{
    lift_stats_init();
    tu_setup();
}

/* ---- the offline hash, written out again (DESIGN.md; ASCII ids and seeds) ---------------- */

static uint32_t fnv(const char *s)
{
    uint32_t h = 0x811c9dc5u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x01000193u;
    }
    return h;
}

/* n = (fnv1a32(decimal(fnv1a32(seed + id))) % 10000) / 10000 */
static double offline_n(const char *seed, const char *id)
{
    char buf[512], dec[16];
    snprintf(buf, sizeof buf, "%s%s", seed, id);
    snprintf(dec, sizeof dec, "%u", fnv(buf));
    return (double)(fnv(dec) % 10000u) / 10000.0;
}

/* 1 held out, 2 measured, 0 neither, by the formula in README "Program holdout". */
static int offline_group(const char *seed, double percent, const char *id)
{
    double n = offline_n(seed, id), p = percent / 100.0;
    return n < p ? 1 : n < 2.0 * p ? 2 : 0;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static const lift_context_t CTX = {
    .trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD,
    .stage = LIFT__STAGE__STAGE_GROWTH,
    .channel = LIFT__CHANNEL__CHANNEL_EMAIL,
};

static void make_experiment(lift_client_t *c, const char *key, const double *w, int narms,
                            double coverage, int start)
{
    Lift__Experiment x = LIFT__EXPERIMENT__INIT;
    Lift__Arm arm[8], *arms[8];
    char names[8][16];
    for (int i = 0; i < narms; i++) {
        Lift__Arm a = LIFT__ARM__INIT;
        arm[i] = a;
        snprintf(names[i], sizeof names[i], "arm%d", i);
        arm[i].name = names[i];
        arm[i].has_weight = 1;
        arm[i].weight = w[i];
        arms[i] = &arm[i];
    }
    x.key = (char *)key;
    x.n_arms = (size_t)narms;
    x.arms = arms;
    x.has_coverage = 1;
    x.coverage = coverage;
    ck_assert_msg(lift_experiment_create(c, &x, NULL) == LIFT_OK, "create %s: %s", key,
                  lift_client_error(c));
    if (start)
        ck_assert_int_eq(lift_experiment_change(c, key, LIFT__ACTION__ACTION_START, 0, NULL),
                         LIFT_OK);
}

/* Create holdout key (explicit link to `linked`, or started-after when nlinked = 0). */
static void make_holdout(lift_client_t *c, const char *key, double percent, char **linked,
                         size_t nlinked, char **ex_ids, size_t nex, char **prefixes, size_t npre)
{
    Lift__Holdout h = LIFT__HOLDOUT__INIT;
    Lift__Exclusions ex = LIFT__EXCLUSIONS__INIT;
    h.key = (char *)key;
    h.has_percent = 1;
    h.percent = percent;
    h.has_link = 1;
    h.link = nlinked ? LIFT__HOLDOUT_LINK__LINK_EXPLICIT : LIFT__HOLDOUT_LINK__LINK_STARTED_AFTER;
    h.n_experiment_keys = nlinked;
    h.experiment_keys = linked;
    if (nex || npre) {
        ex.n_customer_ids = nex;
        ex.customer_ids = ex_ids;
        ex.n_id_prefixes = npre;
        ex.id_prefixes = prefixes;
        h.exclusions = &ex;
    }
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__CreateHoldout ch = LIFT__CREATE_HOLDOUT__INIT;
    ch.holdout = &h;
    req.body_case = LIFT__REQUEST__BODY_CREATE_HOLDOUT;
    req.create_holdout = &ch;
    Lift__Reply *r = NULL;
    ck_assert_msg(lift_call(c, &req, &r, NULL, 0) == LIFT_OK, "create holdout %s: %s", key,
                  lift_client_error(c));
    ck_assert_int_eq(r->body_case, LIFT__REPLY__BODY_HOLDOUT);
    ck_assert_int_eq(r->holdout->status, LIFT__EXPERIMENT_STATUS__STATUS_DRAFT);
    lift_reply_free(&r);
}

/* Start or stop; returns the reply's holdout (freed by the caller with lift_reply_free). */
static Lift__Reply *change_holdout(lift_client_t *c, const char *key, int action)
{
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__ChangeHoldout ch = LIFT__CHANGE_HOLDOUT__INIT;
    ch.key = (char *)key;
    ch.has_action = 1;
    ch.action = (Lift__Action)action;
    req.body_case = LIFT__REQUEST__BODY_CHANGE_HOLDOUT;
    req.change_holdout = &ch;
    Lift__Reply *r = NULL;
    ck_assert_msg(lift_call(c, &req, &r, NULL, 0) == LIFT_OK, "change holdout %s: %s", key,
                  lift_client_error(c));
    return r;
}

/* Recorded group sizes of a holdout (GetHoldout). */
static void holdout_counts(lift_client_t *c, const char *key, uint64_t *held, uint64_t *meas)
{
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__GetHoldout g = LIFT__GET_HOLDOUT__INIT;
    g.key = (char *)key;
    req.body_case = LIFT__REQUEST__BODY_GET_HOLDOUT;
    req.get_holdout = &g;
    Lift__Reply *r = NULL;
    ck_assert_int_eq(lift_call(c, &req, &r, NULL, 0), LIFT_OK);
    *held = r->holdout->held_out;
    *meas = r->holdout->measured;
    lift_reply_free(&r);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static double urand(void)
{
    return (double)(rng() >> 11) / 9007199254740992.0;
}

/* ---- validation --------------------------------------------------------------------------- */

static void expect_invalid(Lift__Holdout *h, const char *field, const char *words)
{
    status_t st;
    ck_assert_int_eq(holdouts_validate(h, &st), -1);
    ck_assert_int_eq(st.code, LIFT__CODE__INVALID_ARGUMENT);
    ck_assert_msg(strcmp(st.field, field) == 0, "field %s, wanted %s (%s)", st.field, field,
                  st.message);
    ck_assert_msg(strstr(st.message, words) != NULL, "message '%s' lacks '%s'", st.message, words);
}

START_TEST(validation_named)
{
    char *keys[] = {"a", "b", "a"};
    char *bad_ids[] = {"ok", ""};
    char *prefixes[] = {"test-"};
    Lift__Eligibility sc = LIFT__ELIGIBILITY__INIT;
    Lift__Trigger bad_trigger[] = {(Lift__Trigger)9};
    Lift__Exclusions ex = LIFT__EXCLUSIONS__INIT;
    Lift__Holdout h = LIFT__HOLDOUT__INIT;
    h.key = "prog";
    h.has_link = 1;
    h.link = LIFT__HOLDOUT_LINK__LINK_STARTED_AFTER;
    expect_invalid(&h, "holdout.percent", "required");
    h.has_percent = 1;
    h.percent = 0;
    expect_invalid(&h, "holdout.percent", "0 is outside (0, 50]");
    h.percent = 50.5;
    expect_invalid(&h, "holdout.percent", "50.5 is outside (0, 50]");
    h.percent = NAN;
    expect_invalid(&h, "holdout.percent", "outside");
    h.percent = 5;
    status_t st;
    ck_assert_int_eq(holdouts_validate(&h, &st), 0);
    h.key = "Prog";
    expect_invalid(&h, "holdout.key", "'P' at byte 0");
    h.key = "prog";
    h.has_link = 0;
    expect_invalid(&h, "holdout.link", "LINK_EXPLICIT");
    h.has_link = 1;
    h.link = LIFT__HOLDOUT_LINK__LINK_EXPLICIT;
    expect_invalid(&h, "holdout.experiment_keys", "0 keys, need 1..");
    h.n_experiment_keys = 3;
    h.experiment_keys = keys;
    expect_invalid(&h, "holdout.experiment_keys[2]", "listed at [0] too");
    h.n_experiment_keys = 2;
    ck_assert_int_eq(holdouts_validate(&h, &st), 0);
    h.link = LIFT__HOLDOUT_LINK__LINK_STARTED_AFTER;
    expect_invalid(&h, "holdout.experiment_keys", "LINK_STARTED_AFTER");
    h.n_experiment_keys = 0;
    h.start_ms = 1800000000000LL;
    h.end_ms = 1700000000000LL;
    expect_invalid(&h, "holdout.end_ms", "not after");
    h.end_ms = 0;
    sc.n_triggers = 1;
    sc.triggers = bad_trigger;
    h.scope = &sc;
    expect_invalid(&h, "holdout.scope.triggers", "9 is not a known");
    h.scope = NULL;
    ex.n_customer_ids = 2;
    ex.customer_ids = bad_ids;
    h.exclusions = &ex;
    expect_invalid(&h, "holdout.exclusions.customer_ids[1]", "customer_id");
    ex.n_customer_ids = 1;
    ex.n_id_prefixes = 1;
    ex.id_prefixes = prefixes;
    ck_assert_int_eq(holdouts_validate(&h, &st), 0);
    ck_assert_str_eq(h.seed ? h.seed : "(default)", "(default)"); /* default: the key, at store */
}
END_TEST

/* ---- membership ---------------------------------------------------------------------------- */

START_TEST(membership_offline_hash_and_chi2)
{
    char *prefixes[] = {"staff-"};
    char *ids_ex[] = {"cust-77"};
    Lift__Exclusions ex = LIFT__EXCLUSIONS__INIT;
    ex.n_id_prefixes = 1;
    ex.id_prefixes = prefixes;
    ex.n_customer_ids = 1;
    ex.customer_ids = ids_ex;
    Lift__Holdout h = LIFT__HOLDOUT__INIT;
    h.key = "prog-2027";
    h.seed = "prog-2027";
    h.percent = 7.5;
    h.exclusions = &ex;
    enum { N = 40000 };
    long counts[3] = {0, 0, 0};
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "cust-%d", i);
        int g = holdout_group(&h, id, strlen(id));
        if (i == 77) {
            ck_assert_int_eq(g, HOLDOUT_GROUP_EXCLUDED);
            continue;
        }
        int want = offline_group("prog-2027", 7.5, id);
        int got = g == HOLDOUT_GROUP_HELD_OUT ? 1 : g == HOLDOUT_GROUP_MEASURED ? 2 : 0;
        ck_assert_msg(got == want, "%s: group %d, offline %d", id, got, want);
        counts[want]++;
        /* excluded by prefix whatever the hash says */
        snprintf(id, sizeof id, "staff-%d", i);
        ck_assert_int_eq(holdout_group(&h, id, strlen(id)), HOLDOUT_GROUP_EXCLUDED);
    }
    /* chi-square of (held out, measured, rest) against (p, p, 1 - 2p): df 2; flag like SRM at
     * p < 0.001 — and the two groups are the same size in expectation */
    double n = N - 1, p = 0.075, e[3] = {n * (1 - 2 * p), n * p, n * p}, chi2 = 0;
    for (int k = 0; k < 3; k++)
        chi2 += (counts[k] - e[k]) * (counts[k] - e[k]) / e[k];
    double pv = gsl_cdf_chisq_Q(chi2, 2);
    ck_assert_msg(pv > 0.001, "groups %ld/%ld/%ld: chi2 %g p %g", counts[1], counts[2], counts[0],
                  chi2, pv);
    /* and a broken split would be caught: 10% counted as if it were 7.5% */
    long held10 = 0;
    h.percent = 10;
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "cust-%d", i);
        held10 += holdout_group(&h, id, strlen(id)) == HOLDOUT_GROUP_HELD_OUT;
    }
    double c2 = (held10 - n * p) * (held10 - n * p) / (n * p) +
                ((n - held10) - n * (1 - p)) * ((n - held10) - n * (1 - p)) / (n * (1 - p));
    ck_assert_double_lt(gsl_cdf_chisq_Q(c2, 1), 0.001);
}
END_TEST

/* ---- through liftd ----------------------------------------------------------------------- */

/* Property: for random experiment definitions (arms, weights, coverage, seed) and random holdout
 * percentages, a linked experiment never gives a held-out customer an arm, and everyone else
 * gets exactly the arm the pure bucketing gives; the holdout records each group once. */
START_TEST(linked_never_assigns_held_out)
{
    enum { ROUNDS = 6, N = 300 };
    for (int r = 0; r < ROUNDS; r++) {
        char ekey[32], hkey[32];
        snprintf(ekey, sizeof ekey, "exp-%d", r);
        snprintf(hkey, sizeof hkey, "prog-%d", r);
        int narms = 2 + (int)(rng() % 3);
        double w[8], sum = 0;
        for (int i = 0; i < narms; i++)
            sum += (w[i] = 0.2 + urand());
        double acc = 0;
        for (int i = 0; i < narms; i++) {
            w[i] /= sum;
            if (i == narms - 1)
                w[i] = 1.0 - acc; /* exact sum */
            acc += w[i];
        }
        double coverage = 0.3 + 0.7 * urand();
        double percent = 1 + floor(29 * urand());
        make_experiment(T.client, ekey, w, narms, coverage, 1);
        char *linked[] = {ekey};
        make_holdout(T.client, hkey, percent, linked, 1, NULL, 0, NULL, 0);
        lift_reply_free(
            (Lift__Reply *[]){change_holdout(T.client, hkey, LIFT__ACTION__ACTION_START)});
        char names[N][24];
        const char *ids[N];
        for (int i = 0; i < N; i++) {
            snprintf(names[i], sizeof names[i], "u%d-%llu", r,
                     (unsigned long long)(rng() % 1000000));
            ids[i] = names[i];
        }
        lift_assignment_t *a = NULL;
        ck_assert_int_eq(lift_assign_batch(T.client, ekey, ids, N, &CTX, &a), LIFT_OK);
        assign_config_t cfg = {.weights = w,
                               .narms = narms,
                               .coverage = coverage,
                               .seed = ekey,
                               .seed_len = strlen(ekey)};
        uint64_t held = 0, meas = 0;
        /* ids may repeat (random): count distinct ones per group */
        for (int i = 0; i < N; i++) {
            int g = offline_group(hkey, percent, ids[i]);
            int dup = 0;
            for (int j = 0; j < i && !dup; j++)
                dup = strcmp(ids[i], ids[j]) == 0;
            if (g == 1) {
                ck_assert_msg(!a[i].in_experiment && a[i].arm_index == -1,
                              "round %d: held-out %s got arm %d", r, ids[i], a[i].arm_index);
                ck_assert_int_eq(a[i].reason, LIFT__REASON__REASON_PROGRAM_HOLDOUT);
                ck_assert(!a[i].eligible);
                held += !dup;
            } else {
                assign_result_t res;
                int arm = assign_bucket(&cfg, ids[i], strlen(ids[i]), &res);
                ck_assert_msg(a[i].arm_index == arm, "round %d: %s arm %d, bucketing %d", r, ids[i],
                              a[i].arm_index, arm);
                ck_assert_int_ne(a[i].reason, LIFT__REASON__REASON_PROGRAM_HOLDOUT);
                meas += g == 2 && !dup;
            }
        }
        lift_assignments_free(&a);
        uint64_t h0, m0;
        holdout_counts(T.client, hkey, &h0, &m0);
        ck_assert_uint_eq(h0, held);
        ck_assert_uint_eq(m0, meas);
        ck_assert_uint_gt(h0 + m0, 0);
    }
}
END_TEST

static int is_held_out(lift_client_t *c, const char *key, const char *id, int *group)
{
    bool held = false;
    ck_assert_msg(lift_is_held_out(c, key, id, &held, group) == LIFT_OK, "is_held_out %s: %s", id,
                  lift_client_error(c));
    return held;
}

/* Exclusions are in neither group; a stop releases every member; only linked experiments (and,
 * for started-after, only those started after the holdout) are gated; the holdout exposure is
 * recorded once. */
START_TEST(exclusions_stop_and_links)
{
    const double w[2] = {0.5, 0.5};
    make_experiment(T.client, "before", w, 2, 1, 1); /* started before the holdout */
    usleep(20000); /* started_ms are milliseconds: the same one would count as "after" */
    char *ex_ids[] = {"vip-1"};
    char *prefixes[] = {"test-", "staff-"};
    make_holdout(T.client, "prog", 20, NULL, 0, ex_ids, 1, prefixes, 2);
    /* a draft holds nobody out */
    int g = -1;
    ck_assert(!is_held_out(T.client, "prog", "c-1", &g));
    lift_reply_free(
        (Lift__Reply *[]){change_holdout(T.client, "prog", LIFT__ACTION__ACTION_START)});
    usleep(20000);
    make_experiment(T.client, "after", w, 2, 1, 1); /* started after: linked */
    enum { N = 400 };
    char names[N][24];
    const char *ids[N];
    int nheld = 0, nmeas = 0;
    for (int i = 0; i < N; i++) {
        /* every 4th id is a test account, one is the VIP */
        if (i == 7)
            snprintf(names[i], sizeof names[i], "vip-1");
        else
            snprintf(names[i], sizeof names[i], i % 4 == 0 ? "test-%d" : "c-%d", i);
        ids[i] = names[i];
    }
    lift_assignment_t *a = NULL, *b = NULL;
    ck_assert_int_eq(lift_assign_batch(T.client, "after", ids, N, &CTX, &a), LIFT_OK);
    ck_assert_int_eq(lift_assign_batch(T.client, "before", ids, N, &CTX, &b), LIFT_OK);
    int excluded_in_range = 0;
    for (int i = 0; i < N; i++) {
        int og = offline_group("prog", 20, ids[i]);
        int excl = i == 7 || i % 4 == 0;
        int held = is_held_out(T.client, "prog", ids[i], &g);
        if (excl) {
            ck_assert_int_eq(g, LIFT__HOLDOUT_GROUP__GROUP_EXCLUDED);
            ck_assert(!held);
            ck_assert_msg(a[i].in_experiment, "excluded %s not assigned", ids[i]);
            excluded_in_range += og != 0;
        } else {
            ck_assert_int_eq(g, og == 1   ? LIFT__HOLDOUT_GROUP__GROUP_HELD_OUT
                                : og == 2 ? LIFT__HOLDOUT_GROUP__GROUP_MEASURED
                                          : LIFT__HOLDOUT_GROUP__GROUP_NONE);
            ck_assert_int_eq(held, og == 1);
            ck_assert_int_eq(a[i].in_experiment, og != 1);
            if (og == 1)
                ck_assert_int_eq(a[i].reason, LIFT__REASON__REASON_PROGRAM_HOLDOUT);
            nheld += og == 1;
            nmeas += og == 2;
        }
        /* not linked: assigned as usual whatever the holdout says */
        ck_assert_msg(b[i].in_experiment, "unlinked experiment held %s out", ids[i]);
    }
    ck_assert_int_gt(excluded_in_range, 0); /* the exclusion was tested on ids in the ranges */
    ck_assert_int_gt(nheld, 20);
    lift_assignments_free(&a);
    lift_assignments_free(&b);
    uint64_t h0, m0;
    holdout_counts(T.client, "prog", &h0, &m0);
    ck_assert_uint_eq(h0, (uint64_t)nheld); /* excluded customers in neither group */
    ck_assert_uint_eq(m0, (uint64_t)nmeas);
    /* again, in another context: recorded once (first or existing), the first context kept */
    lift_context_t other = CTX;
    other.channel = LIFT__CHANNEL__CHANNEL_IN_APP;
    ck_assert_int_eq(lift_assign_batch(T.client, "after", ids, N, &other, &a), LIFT_OK);
    lift_assignments_free(&a);
    holdout_counts(T.client, "prog", &h0, &m0);
    ck_assert_uint_eq(h0, (uint64_t)nheld);
    ck_assert_uint_eq(m0, (uint64_t)nmeas);
    tu_store_summary_t sm = tu_store_summary(tu_liftd_store(&T));
    ck_assert_int_eq(sm.channel_min, LIFT__CHANNEL__CHANNEL_EMAIL);
    ck_assert_int_eq(sm.channel_max, LIFT__CHANNEL__CHANNEL_EMAIL);
    /* stop: every member released at once */
    Lift__Reply *r = change_holdout(T.client, "prog", LIFT__ACTION__ACTION_STOP);
    ck_assert_int_eq(r->holdout->status, LIFT__EXPERIMENT_STATUS__STATUS_STOPPED);
    lift_reply_free(&r);
    ck_assert_int_eq(lift_assign_batch(T.client, "after", ids, N, &CTX, &a), LIFT_OK);
    for (int i = 0; i < N; i++) {
        ck_assert_msg(a[i].in_experiment, "%s still held out after the stop", ids[i]);
        int held = is_held_out(T.client, "prog", ids[i], &g);
        ck_assert(!held);
    }
    lift_assignments_free(&a);
    /* a stopped holdout cannot start again */
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__ChangeHoldout ch = LIFT__CHANGE_HOLDOUT__INIT;
    ch.key = "prog";
    ch.has_action = 1;
    ch.action = LIFT__ACTION__ACTION_START;
    req.body_case = LIFT__REQUEST__BODY_CHANGE_HOLDOUT;
    req.change_holdout = &ch;
    ck_assert_int_eq(lift_call(T.client, &req, NULL, NULL, 0), LIFT_ERR_FAILED_PRECONDITION);
    /* unknown holdout: NOT_FOUND naming the field */
    ck_assert_int_eq(lift_is_held_out(T.client, "nope", "c-1", NULL, NULL), LIFT_ERR_NOT_FOUND);
    ck_assert_str_eq(lift_client_error_field(T.client), "is_held_out.holdout_key");
}
END_TEST

/* ---- the program report against an oracle on the stored facts ----------------------------- */

typedef struct {
    int64_t id;       /* the holdout row */
    size_t n;         /* customers */
    char (*cust)[24]; /* customer ids */
    int *arm;         /* their group (0 held out, 1 measured) */
    int64_t *t0;      /* exposure time */
    int64_t *rev;     /* revenue after exposure */
} oracle_t;

static int or_exp(void *arg, const store_experiment_t *row)
{
    oracle_t *o = arg;
    if (strcmp(row->key, "holdout:prog") == 0)
        o->id = row->id;
    return 0;
}

static int or_expo(void *arg, const store_exposure_t *e)
{
    oracle_t *o = arg;
    ck_assert_uint_lt(e->customer_len, 24);
    memcpy(o->cust[o->n], e->customer, e->customer_len);
    o->cust[o->n][e->customer_len] = '\0';
    o->arm[o->n] = e->arm;
    o->t0[o->n] = e->trigger_ms;
    o->rev[o->n] = 0;
    o->n++;
    return 0;
}

static int or_event(void *arg, const store_event_row_t *ev)
{
    oracle_t *o = arg;
    if (ev->type != LIFT__EVENT_TYPE__EVENT_CONVERSION)
        return 0;
    for (size_t i = 0; i < o->n; i++)
        if (strlen(o->cust[i]) == ev->customer_len &&
            memcmp(o->cust[i], ev->customer, ev->customer_len) == 0 && ev->ts_ms >= o->t0[i])
            o->rev[i] += ev->amount_minor;
    return 0;
}

static void close_to(double got, double want, const char *what)
{
    ck_assert_msg(fabs(got - want) <= 1e-9 * fmax(1, fabs(want)), "%s: %.12g, oracle %.12g", what,
                  got, want);
}

START_TEST(program_report_equals_oracle)
{
    const double w[2] = {0.5, 0.5};
    make_holdout(T.client, "prog", 20, NULL, 0, NULL, 0, NULL, 0);
    lift_reply_free(
        (Lift__Reply *[]){change_holdout(T.client, "prog", LIFT__ACTION__ACTION_START)});
    make_experiment(T.client, "offer-a", w, 2, 1, 1);
    make_experiment(T.client, "offer-b", w, 2, 1, 1);
    enum { N = 2500 };
    int64_t now = tu_now_ms();
    lift_context_t ctx = CTX;
    ctx.trigger_time_ms = now - 3600 * 1000;
    static char names[N][24];
    const char *ids[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "p-%d", i);
        ids[i] = names[i];
    }
    lift_assignment_t *a = NULL;
    ck_assert_int_eq(lift_assign_batch(T.client, "offer-a", ids, N / 2, &ctx, &a), LIFT_OK);
    lift_assignments_free(&a);
    ctx.channel = LIFT__CHANNEL__CHANNEL_IN_APP;
    ck_assert_int_eq(lift_assign_batch(T.client, "offer-b", ids + N / 2, N - N / 2, &ctx, &a),
                     LIFT_OK);
    lift_assignments_free(&a);
    /* conversions half an hour after the trigger: measured customers convert more */
    static lift_event_t ev[N];
    static char eid[N][24];
    size_t ne = 0;
    for (int i = 0; i < N; i++) {
        int g = offline_group("prog", 20, ids[i]);
        double pc = g == 1 ? 0.25 : 0.35;
        if (urand() >= pc)
            continue;
        snprintf(eid[ne], sizeof eid[ne], "conv-%d", i);
        memset(&ev[ne], 0, sizeof ev[ne]);
        ev[ne].event_id = eid[ne];
        ev[ne].customer_id = ids[i];
        ev[ne].type = LIFT__EVENT_TYPE__EVENT_CONVERSION;
        ev[ne].timestamp_ms = now - 1800 * 1000;
        ev[ne].has_amount = true;
        ev[ne].amount_minor = 1000 + (int64_t)(rng() % 9000);
        ne++;
    }
    lift_track_result_t tr;
    ck_assert_int_eq(lift_track(T.client, ev, ne, &tr), LIFT_OK);
    ck_assert_uint_eq(tr.accepted, ne);
    lift_track_result_clear(&tr);

    Lift__ReportRequest rq = LIFT__REPORT_REQUEST__INIT;
    rq.holdout_key = "prog";
    rq.has_cuped = 1;
    rq.cuped = 0;
    rq.has_revenue_cap_percentile = 1;
    rq.revenue_cap_percentile = 100;
    Lift__Report *rep = NULL;
    ck_assert_msg(lift_report(T.client, &rq, &rep) == LIFT_OK, "program report: %s",
                  lift_client_error(T.client));
    ck_assert_ptr_nonnull(rep->program);
    const Lift__Program *p = rep->program;
    ck_assert_ptr_nonnull(strstr(p->design, "equally sized random measurement slice"));

    /* the oracle: the holdout's stored exposures and every stored conversion, folded here */
    oracle_t o = {0};
    o.cust = calloc(N, sizeof *o.cust);
    o.arm = calloc(N, sizeof *o.arm);
    o.t0 = calloc(N, sizeof *o.t0);
    o.rev = calloc(N, sizeof *o.rev);
    char err[256];
    store_reader_t *rd = store_reader_open(tu_liftd_store(&T), err, sizeof err);
    ck_assert_msg(rd != NULL, "%s", err);
    ck_assert_int_eq(store_reader_begin(rd, err, sizeof err), 0);
    ck_assert_int_eq(store_reader_experiments(rd, or_exp, &o), 0);
    ck_assert_int_gt(o.id, 0);
    ck_assert_int_eq(store_reader_exposures(rd, o.id, or_expo, &o), 0);
    ck_assert_int_eq(store_reader_events(rd, INT64_MIN / 2, INT64_MAX / 2, or_event, &o), 0);
    store_reader_end(rd);
    store_reader_destroy(&rd);
    lift_summary_t s[2];
    int64_t conv[2] = {0, 0}, n[2] = {0, 0};
    lift_summary_init(&s[0]);
    lift_summary_init(&s[1]);
    for (size_t i = 0; i < o.n; i++) {
        int g = offline_group("prog", 20, o.cust[i]);
        ck_assert_int_eq(o.arm[i], g == 1 ? 0 : 1); /* stored group = the hash's */
        ck_assert_int_ne(g, 0);
        lift_summary_add(&s[o.arm[i]], (double)o.rev[i]);
        conv[o.arm[i]] += o.rev[i] > 0;
        n[o.arm[i]]++;
    }
    ck_assert_uint_eq(p->held_out, (uint64_t)n[0]);
    ck_assert_uint_eq(p->measured, (uint64_t)n[1]);
    ck_assert_uint_eq(rep->arms[0]->exposed, (uint64_t)n[0]);
    /* the same calibrated, always-valid difference the experiments use (n* = 5000, alpha 0.05):
     * the stats function itself is held to SciPy by the stats suite */
    lift_estimate_t d = lift_revenue_diff(&s[1], &s[0], conv[1], conv[0], 0.05, 5000);
    ck_assert_int_eq(d.status, LIFT_STAT_OK);
    ck_assert(p->revenue_per_customer->ok);
    close_to(p->revenue_per_customer->estimate, s[1].mean_y - s[0].mean_y, "difference");
    close_to(p->revenue_per_customer->ci_low, d.ci_low, "ci_low");
    close_to(p->revenue_per_customer->ci_high, d.ci_high, "ci_high");
    double pop = (double)n[1] * 80.0 / 20.0;
    close_to(p->treated_population, pop, "treated population");
    close_to(p->incremental_total->estimate, d.estimate * pop, "program total");
    close_to(p->incremental_total->ci_low, d.ci_low * pop, "program total low");
    close_to(p->holdout_cost->estimate, d.estimate * (double)n[0], "holdout cost");
    /* the linked experiments' own estimates, each as its own report gives it, summed */
    ck_assert_uint_eq(p->n_linked, 2);
    double sum = 0;
    for (size_t i = 0; i < p->n_linked; i++) {
        Lift__ReportRequest eq = LIFT__REPORT_REQUEST__INIT;
        eq.experiment_key = p->linked[i]->experiment_key;
        Lift__Report *er = NULL;
        ck_assert_int_eq(lift_report(T.client, &eq, &er), LIFT_OK);
        if (er->comparisons[0]->incremental_total->ok) {
            close_to(p->linked[i]->incremental_total->estimate,
                     er->comparisons[0]->incremental_total->estimate, "linked estimate");
            sum += er->comparisons[0]->incremental_total->estimate;
        }
        lift_report_free(&er);
    }
    if (p->linked_sum->ok) {
        close_to(p->linked_sum->estimate, sum, "linked sum");
        close_to(p->naive_gap->estimate, sum - p->incremental_total->estimate, "naive gap");
    }
    /* split by the first program-eligible moment: both channels present, adding up */
    uint64_t by_channel = 0;
    for (size_t i = 0; i < rep->n_segments; i++)
        if (rep->segments[i]->dimension == LIFT__DIMENSION__DIMENSION_CHANNEL)
            for (size_t k = 0; k < rep->segments[i]->n_exposed; k++)
                by_channel += rep->segments[i]->exposed[k];
    ck_assert_uint_eq(by_channel, (uint64_t)(n[0] + n[1]));
    ck_assert_uint_ge(rep->n_weekly, 1);
    /* every format renders the program section */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(render_csv(rep, f), 0);
    ck_assert_int_eq(render_json(rep, f), 0);
    ck_assert_int_eq(render_markdown(rep, f), 0);
    ck_assert_int_eq(render_html(rep, f), 0);
    ck_assert_int_eq(render_table(rep, f, 0, 100), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "program,all,program_incremental_total"));
    ck_assert_ptr_nonnull(strstr(buf, "\"naive_gap\""));
    ck_assert_ptr_nonnull(strstr(buf, "Program holdout"));
    ck_assert_ptr_nonnull(strstr(buf, "sum of the linked experiments' own estimates"));
    free(buf);
    lift_report_free(&rep);
    /* both keys, or an unknown holdout: named errors */
    rq.experiment_key = "offer-a";
    ck_assert_int_eq(lift_report(T.client, &rq, &rep), LIFT_ERR_INVALID_ARGUMENT);
    rq.experiment_key = NULL;
    rq.holdout_key = "nope";
    ck_assert_int_eq(lift_report(T.client, &rq, &rep), LIFT_ERR_NOT_FOUND);
    ck_assert_str_eq(lift_client_error_field(T.client), "report.holdout_key");
    free(o.cust);
    free(o.arm);
    free(o.t0);
    free(o.rev);
}
END_TEST

/* ---- liftctl holdout ------------------------------------------------------------------------ */

/* Runs `liftctl --endpoint T args` through the shell; its stdout+stderr into out (caller's
 * buffer); returns the exit status. */
static int liftctl(const char *args, char *out, size_t len)
{
    char prog[512], cmd[2048];
    tu_program("liftctl", prog, sizeof prog);
    snprintf(cmd, sizeof cmd, "%s --endpoint %s %s 2>&1", prog, T.endpoint, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(liftctl_holdout_commands)
{
    char out[8192];
    /* local checks name the flag, exit 2, send nothing */
    ck_assert_int_eq(liftctl("holdout create p --percent 60 --started-after", out, sizeof out), 2);
    ck_assert_ptr_nonnull(strstr(out, "--percent: 60 is out of range (0, 50]"));
    ck_assert_int_eq(liftctl("holdout create p --percent 5", out, sizeof out), 2);
    ck_assert_ptr_nonnull(strstr(out, "--experiments LIST or --started-after"));
    ck_assert_int_eq(
        liftctl("holdout create p --percent 5 --started-after --triggers nope", out, sizeof out),
        2);
    ck_assert_ptr_nonnull(strstr(out, "--triggers"));
    /* the server's checks name the field, exit 1 */
    ck_assert_int_eq(liftctl("holdout create p --percent 5 --experiments a,a", out, sizeof out), 1);
    ck_assert_ptr_nonnull(strstr(out, "holdout.experiment_keys[1]"));
    ck_assert_int_eq(liftctl("holdout create prog --percent 20 --started-after --exclude-prefix "
                             "test- --exclude-ids vip-1 --name 'Program 2027'",
                             out, sizeof out),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "20% held out, 20% measured"));
    ck_assert_ptr_nonnull(strstr(out, "status          draft"));
    ck_assert_int_eq(liftctl("holdout start prog", out, sizeof out), 0);
    ck_assert_str_eq(out, "prog: running\n");
    /* check: every group, as the offline formula says */
    const char *ids[] = {"c-1", "c-2", "c-3", "c-4", "c-5", "c-6", "c-7", "c-8", "test-1", "vip-1"};
    char args[512] = "holdout check prog";
    for (size_t i = 0; i < 10; i++) {
        strcat(args, " ");
        strcat(args, ids[i]);
    }
    ck_assert_int_eq(liftctl(args, out, sizeof out), 0);
    for (size_t i = 0; i < 10; i++) {
        int g = i >= 8 ? 3 : offline_group("prog", 20, ids[i]);
        char line[96];
        snprintf(line, sizeof line, "%s\t%s\t%s\n", ids[i], g == 1 ? "held_out" : "not_held_out",
                 g == 1   ? "held_out"
                 : g == 2 ? "measured"
                 : g == 3 ? "excluded"
                          : "none");
        ck_assert_msg(strstr(out, line) != NULL, "missing '%s' in:\n%s", line, out);
    }
    ck_assert_int_eq(liftctl("--json holdout show prog", out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"link\": \"started_after\""));
    ck_assert_ptr_nonnull(strstr(out, "\"status\": \"running\""));
    ck_assert_int_eq(liftctl("holdout list", out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "started after it"));
    ck_assert_int_eq(liftctl("holdout stop prog", out, sizeof out), 0);
    ck_assert_str_eq(out, "prog: stopped\n");
    ck_assert_int_eq(liftctl("holdout show nope", out, sizeof out), 1);
    ck_assert_ptr_nonnull(strstr(out, "NOT_FOUND"));
    ck_assert_int_eq(liftctl("report --holdout prog nope", out, sizeof out), 2);
}
END_TEST

/* ---- end to end: liftsim's program-level ground truth ------------------------------------ */

/* liftsim with examples/sim_program.json (a 10% program holdout over the experiment; the
 * offers' lift decays x0.8 a week, half the clickers who would upgrade anyway are pulled
 * forward): the program report's groups are exactly the simulator's, and its per-customer and
 * total intervals hold the true program effect. */
/* liftsim --config examples/sim_program.json --seed 3 (30,000 customers, 6 weeks) against T,
 * the truth into `truth`; `local` adds --local (decisions by lift_local_t). */
static void run_sim_program(const char *truth, int local)
{
    char prog[512], log[400];
    tu_program("liftsim", prog, sizeof prog);
    snprintf(log, sizeof log, "%s/sim.log", T.dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (!freopen(log, "w", stdout) || !freopen(log, "a", stderr))
            _exit(126);
        execl(prog, prog, "--endpoint", T.endpoint, "--config", "examples/sim_program.json",
              "--seed", "3", "--customers", "30000", "--weeks", "6", "--quiet", "--truth", truth,
              local ? "--local" : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "liftsim failed (see %s)", log);
}

START_TEST(program_interval_holds_sim_truth)
{
    char truth[400];
    snprintf(truth, sizeof truth, "%s/truth.json", T.dir);
    run_sim_program(truth, 0);
    json_error_t je;
    json_t *t = json_load_file(truth, 0, &je);
    ck_assert_msg(t != NULL, "truth: %s", je.text);
    json_t *tp = json_object_get(t, "program");
    ck_assert_ptr_nonnull(tp);
    double per = json_real_value(json_object_get(tp, "incremental_revenue_per_customer_minor"));
    double total = json_real_value(json_object_get(tp, "incremental_revenue_total_minor"));
    double pulled = json_real_value(json_object_get(tp, "pulled_forward_per_customer_minor"));
    json_int_t held = json_integer_value(json_object_get(tp, "held_out"));
    json_int_t meas = json_integer_value(json_object_get(tp, "measured"));
    ck_assert(per > 0 && total > 0 && pulled > 0);
    /* the model's decay: what each week's offers add shrinks week after week */
    json_t *wk = json_object_get(tp, "weekly");
    ck_assert_uint_eq(json_array_size(wk), 6);
    for (size_t w = 1; w < 6; w++)
        ck_assert(json_real_value(json_object_get(json_array_get(wk, w),
                                                  "incremental_revenue_per_customer_minor")) <
                  json_real_value(json_object_get(json_array_get(wk, w - 1),
                                                  "incremental_revenue_per_customer_minor")));

    Lift__ReportRequest rq = LIFT__REPORT_REQUEST__INIT;
    rq.holdout_key = "sim-program";
    Lift__Report *rep = NULL;
    ck_assert_msg(lift_report(T.client, &rq, &rep) == LIFT_OK, "%s", lift_client_error(T.client));
    const Lift__Program *p = rep->program;
    ck_assert_uint_eq(p->held_out, (uint64_t)held); /* the simulator's accounting = liftd's */
    ck_assert_uint_eq(p->measured, (uint64_t)meas);
    ck_assert(p->revenue_per_customer->ok && p->incremental_total->ok);
    ck_assert_msg(p->revenue_per_customer->ci_low <= per && per <= p->revenue_per_customer->ci_high,
                  "true %.1f outside [%.1f, %.1f]", per, p->revenue_per_customer->ci_low,
                  p->revenue_per_customer->ci_high);
    ck_assert_msg(p->incremental_total->ci_low <= total && total <= p->incremental_total->ci_high,
                  "true total %.0f outside [%.0f, %.0f]", total, p->incremental_total->ci_low,
                  p->incremental_total->ci_high);
    ck_assert_uint_ge(rep->n_weekly, 6); /* the series over the holdout's life */
    /* the two groups are equal hash ranges: the report's sample-ratio test (chi-square, 1 df,
     * against 1/2 : 1/2) must not flag them */
    ck_assert(rep->health && rep->health->srm && !rep->health->srm->skipped);
    ck_assert_msg(!rep->health->srm->mismatch, "groups %llu/%llu: SRM p = %g",
                  (unsigned long long)held, (unsigned long long)meas, rep->health->srm->p_value);
    double e2 = (double)(held + meas) / 2, chi2 = ((double)held - e2) * ((double)held - e2) / e2 +
                                                  ((double)meas - e2) * ((double)meas - e2) / e2;
    ck_assert_double_eq_tol(rep->health->srm->chi2, chi2, 1e-9 * fmax(1, chi2));
    ck_assert_uint_eq(p->n_linked, 1);
    lift_report_free(&rep);
    json_decref(t);
}
END_TEST

/* The same simulation decided by lift_local_t: the holdout exposures reach liftd through
 * RecordExposures and the groups liftd stored are exactly the simulator's. */
START_TEST(sim_local_same_groups)
{
    char truth[400];
    snprintf(truth, sizeof truth, "%s/truth-local.json", T.dir);
    run_sim_program(truth, 1);
    json_error_t je;
    json_t *t = json_load_file(truth, 0, &je);
    ck_assert_msg(t != NULL, "truth: %s", je.text);
    json_t *tp = json_object_get(t, "program");
    uint64_t h0, m0;
    holdout_counts(T.client, "sim-program", &h0, &m0);
    ck_assert_uint_eq(h0, (uint64_t)json_integer_value(json_object_get(tp, "held_out")));
    ck_assert_uint_eq(m0, (uint64_t)json_integer_value(json_object_get(tp, "measured")));
    ck_assert_uint_gt(h0, 1000);
    json_decref(t);
}
END_TEST

/* ---- local evaluation ------------------------------------------------------------------- */

/* lift_local_t honours program holdouts with liftd's own membership function: held-out
 * customers get no arm in-process, both groups' exposures reach liftd (recorded once), and an
 * experiment exposure for a held-out customer sent by a stale evaluator is refused. */
START_TEST(local_evaluation_honours_holdouts)
{
    const double w[2] = {0.5, 0.5};
    make_experiment(T.client, "local-exp", w, 2, 1, 1);
    char *linked[] = {"local-exp"};
    make_holdout(T.client, "prog", 15, linked, 1, NULL, 0, NULL, 0);
    lift_reply_free(
        (Lift__Reply *[]){change_holdout(T.client, "prog", LIFT__ACTION__ACTION_START)});
    lift_local_opts_t o = {.refresh_ms = 50, .flush_ms = 20};
    char err[256];
    lift_local_t *l = lift_local_new(T.endpoint, &o, err, sizeof err);
    ck_assert_msg(l != NULL, "lift_local_new: %s", err);
    enum { N = 500 };
    char names[N][16];
    const char *ids[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "loc-%d", i);
        ids[i] = names[i];
    }
    lift_assignment_t loc[N], *srv = NULL;
    ck_assert_int_eq(lift_local_assign_batch(l, "local-exp", ids, N, &CTX, loc), LIFT_OK);
    ck_assert_int_eq(lift_local_flush(l, 5000), LIFT_OK);
    int held = 0, meas = 0;
    for (int i = 0; i < N; i++) {
        int g = offline_group("prog", 15, ids[i]);
        ck_assert_int_eq(loc[i].reason == LIFT__REASON__REASON_PROGRAM_HOLDOUT, g == 1);
        ck_assert_int_eq(loc[i].in_experiment, g != 1);
        held += g == 1;
        meas += g == 2;
    }
    uint64_t h0, m0;
    holdout_counts(T.client, "prog", &h0, &m0);
    ck_assert_uint_eq(h0, (uint64_t)held);
    ck_assert_uint_eq(m0, (uint64_t)meas);
    /* served decisions agree, and record nothing new */
    ck_assert_int_eq(lift_assign_batch(T.client, "local-exp", ids, N, &CTX, &srv), LIFT_OK);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(srv[i].arm_index, loc[i].arm_index);
        ck_assert_int_eq(srv[i].reason, loc[i].reason);
    }
    lift_assignments_free(&srv);
    holdout_counts(T.client, "prog", &h0, &m0);
    ck_assert_uint_eq(h0 + m0, (uint64_t)(held + meas));
    lift_local_destroy(&l);
    /* a held-out customer's experiment exposure (a stale evaluator's) is refused */
    const char *victim = NULL;
    for (int i = 0; i < N && !victim; i++)
        if (offline_group("prog", 15, ids[i]) == 1)
            victim = ids[i];
    ck_assert_ptr_nonnull(victim);
    Lift__Context c = LIFT__CONTEXT__INIT;
    c.has_trigger = c.has_stage = c.has_channel = 1;
    c.trigger = CTX.trigger;
    c.stage = CTX.stage;
    c.channel = CTX.channel;
    Lift__ExposureRecord rec = LIFT__EXPOSURE_RECORD__INIT;
    rec.experiment_key = "local-exp";
    rec.customer_id = (char *)victim;
    rec.has_arm_index = 1;
    rec.arm_index = 1;
    rec.context = &c;
    Lift__ExposureRecord *recs[] = {&rec};
    Lift__RecordExposures re = LIFT__RECORD_EXPOSURES__INIT;
    re.n_exposures = 1;
    re.exposures = recs;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.body_case = LIFT__REQUEST__BODY_RECORD_EXPOSURES;
    req.record_exposures = &re;
    Lift__Reply *r = NULL;
    ck_assert_int_eq(lift_call(T.client, &req, &r, NULL, 0), LIFT_OK);
    ck_assert_ptr_nonnull(r->record_exposures->results[0]->error);
    ck_assert_int_eq(r->record_exposures->results[0]->error->code, LIFT__CODE__FAILED_PRECONDITION);
    ck_assert_ptr_nonnull(strstr(r->record_exposures->results[0]->error->message,
                                 "held out of experiment local-exp by program holdout prog"));
    lift_reply_free(&r);
}
END_TEST

/* ---- PostgreSQL: two liftd on one database --------------------------------------------------- */

START_TEST(pg_two_instances_same_membership)
{
    tliftd_t P[2];
    char uri[700];
    tu_pg_newdb(uri, sizeof uri);
    for (int i = 0; i < 2; i++) {
        tu_liftd_init(&P[i]);
        snprintf(P[i].store, sizeof P[i].store, "%s", uri);
        tu_liftd_start(&P[i], NULL);
    }
    const double w[2] = {0.5, 0.5};
    make_experiment(P[0].client, "shared", w, 2, 1, 1);
    char *linked[] = {"shared"};
    make_holdout(P[1].client, "prog", 10, linked, 1, NULL, 0, NULL, 0);
    /* started through instance 1; instance 0 only learns it by generation */
    lift_reply_free(
        (Lift__Reply *[]){change_holdout(P[1].client, "prog", LIFT__ACTION__ACTION_START)});
    enum { N = 300 };
    char names[N][16];
    const char *ids[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "pg-%d", i);
        ids[i] = names[i];
    }
    lift_assignment_t *a[2];
    ck_assert_int_eq(lift_assign_batch(P[0].client, "shared", ids, N, &CTX, &a[0]), LIFT_OK);
    ck_assert_int_eq(lift_assign_batch(P[1].client, "shared", ids, N, &CTX, &a[1]), LIFT_OK);
    int held = 0, meas = 0;
    for (int i = 0; i < N; i++) {
        int g = offline_group("prog", 10, ids[i]);
        for (int k = 0; k < 2; k++) {
            ck_assert_int_eq(a[k][i].reason == LIFT__REASON__REASON_PROGRAM_HOLDOUT, g == 1);
            ck_assert_int_eq(a[k][i].arm_index, a[0][i].arm_index);
        }
        held += g == 1;
        meas += g == 2;
    }
    lift_assignments_free(&a[0]);
    lift_assignments_free(&a[1]);
    ck_assert_int_gt(held, 10);
    /* recorded once across both instances */
    uint64_t h0, m0;
    holdout_counts(P[0].client, "prog", &h0, &m0);
    ck_assert_uint_eq(h0, (uint64_t)held);
    ck_assert_uint_eq(m0, (uint64_t)meas);
    /* stopped through instance 0: instance 1 releases the members */
    lift_reply_free(
        (Lift__Reply *[]){change_holdout(P[0].client, "prog", LIFT__ACTION__ACTION_STOP)});
    ck_assert_int_eq(lift_assign_batch(P[1].client, "shared", ids, N, &CTX, &a[1]), LIFT_OK);
    for (int i = 0; i < N; i++)
        ck_assert_msg(a[1][i].in_experiment, "instance 1 still holds %s out", ids[i]);
    lift_assignments_free(&a[1]);
    for (int i = 0; i < 2; i++)
        tu_liftd_fini(&P[i]);
}
END_TEST

Suite *holdout_suite(void);
Suite *holdout_suite(void)
{
    Suite *s = suite_create("holdout");
    TCase *unit = tcase_create("unit");
    tcase_add_test(unit, validation_named);
    tcase_add_test(unit, membership_offline_hash_and_chi2);
    suite_add_tcase(s, unit);
    TCase *srv = tcase_create("server");
    tcase_add_checked_fixture(srv, setup, tu_teardown);
    tcase_set_timeout(srv, 120);
    tcase_add_test(srv, linked_never_assigns_held_out);
    tcase_add_test(srv, exclusions_stop_and_links);
    tcase_add_test(srv, program_report_equals_oracle);
    tcase_add_test(srv, local_evaluation_honours_holdouts);
    tcase_add_test(srv, program_interval_holds_sim_truth);
    tcase_add_test(srv, sim_local_same_groups);
    tcase_add_test(srv, liftctl_holdout_commands);
    suite_add_tcase(s, srv);
    if (tu_pg_wanted("holdout") && tu_pg_start() == 0) {
        TCase *pg = tcase_create("pg");
        tcase_set_timeout(pg, 120);
        tcase_add_test(pg, pg_two_instances_same_membership);
        suite_add_tcase(s, pg);
    }
    return s;
}
