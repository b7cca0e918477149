/* Unit suite of src/registry.{h,c} on a real SQLite store in a temporary directory, no server:
 * validation (one table row per error path), the state machine, idempotent create, defaults,
 * persistence across a reopen, eligibility and context checks. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "store.h"
#include "testutil.h"

#define NOW_MS 1719835200000LL   /* 2024-07-01T12:00:00Z */
#define START_MS 1717200000000LL /* 2024-06-01T00:00:00Z */
#define END_MS 1735689600000LL   /* 2025-01-01T00:00:00Z */
#define DAY_MS (24LL * 3600 * 1000)
#define MAX_ARMS_T 24

static char DIR_[256];
static store_t *S;
static registry_t *R;

static void open_all(void)
{
    char err[256] = "";
    S = store_open(DIR_, err, sizeof err);
    ck_assert_msg(S != NULL, "store_open: %s", err);
    R = registry_new(S, err, sizeof err);
    ck_assert_msg(R != NULL, "registry_new: %s", err);
}

static void close_all(void)
{
    registry_destroy(&R);
    store_destroy(&S);
}

static void setup(void)
{
    tu_tempdir(DIR_, sizeof DIR_);
    open_all();
}

static void teardown(void)
{
    close_all();
    tu_rmtree(DIR_);
}

/* ---- a valid definition to mutate ------------------------------------------------------ */

typedef struct {
    Lift__Experiment x;
    Lift__Arm arms[MAX_ARMS_T];
    Lift__Arm *ptrs[MAX_ARMS_T];
    char names[MAX_ARMS_T][16];
    Lift__Namespace ns;
    Lift__Eligibility el;
    Lift__Analysis an;
    Lift__Trigger triggers[8];
    Lift__Stage stages[8];
    Lift__Channel channels[8];
    char text[5000]; /* long strings for the limit rows */
} texp_t;

static void set_arms(texp_t *t, int n, const double *w)
{
    for (int i = 0; i < n; i++) {
        Lift__Arm a = LIFT__ARM__INIT;
        t->arms[i] = a;
        snprintf(t->names[i], sizeof t->names[i], i == 0 ? "holdout" : "offer-%d", i);
        t->arms[i].name = t->names[i];
        t->arms[i].has_weight = 1;
        t->arms[i].weight = w ? w[i] : 1.0 / n;
        t->ptrs[i] = &t->arms[i];
    }
    t->x.n_arms = (size_t)n;
    t->x.arms = t->ptrs;
}

/* Key "upsell-q3", 3 arms 0.2/0.4/0.4 with payloads, eligibility {usage, team_growth} x
 * {growth, maturity} x {in_app, email}, dates 2024-06-01..2025-01-01, no namespace, no
 * coverage, no seed, no analysis. */
static void texp_valid(texp_t *t)
{
    static const double w[] = {0.2, 0.4, 0.4};
    Lift__Experiment x = LIFT__EXPERIMENT__INIT;
    Lift__Namespace ns = LIFT__NAMESPACE__INIT;
    Lift__Eligibility el = LIFT__ELIGIBILITY__INIT;
    Lift__Analysis an = LIFT__ANALYSIS__INIT;
    memset(t, 0, sizeof *t);
    t->x = x;
    t->ns = ns;
    t->el = el;
    t->an = an;
    t->x.key = "upsell-q3";
    t->x.name = "Q3 upsell";
    t->x.hypothesis = "An earlier offer converts more.\nMeasured on revenue.";
    t->x.owner = "growth team";
    set_arms(t, 3, w);
    t->arms[1].payload = "offer-annual-20";
    t->arms[2].payload = "offer-seats-10";
    t->triggers[0] = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD;
    t->triggers[1] = LIFT__TRIGGER__TRIGGER_TEAM_GROWTH;
    t->stages[0] = LIFT__STAGE__STAGE_GROWTH;
    t->stages[1] = LIFT__STAGE__STAGE_MATURITY;
    t->channels[0] = LIFT__CHANNEL__CHANNEL_IN_APP;
    t->channels[1] = LIFT__CHANNEL__CHANNEL_EMAIL;
    t->el.triggers = t->triggers;
    t->el.n_triggers = 2;
    t->el.stages = t->stages;
    t->el.n_stages = 2;
    t->el.channels = t->channels;
    t->el.n_channels = 2;
    t->x.eligibility = &t->el;
    t->x.has_start_ms = 1;
    t->x.start_ms = START_MS;
    t->x.has_end_ms = 1;
    t->x.end_ms = END_MS;
}

static void use_ns(texp_t *t, double lo, double hi)
{
    t->ns.id = "pricing";
    t->ns.has_lo = 1;
    t->ns.lo = lo;
    t->ns.has_hi = 1;
    t->ns.hi = hi;
    t->x.namespace_ = &t->ns;
}

static Lift__Analysis *use_an(texp_t *t)
{
    t->x.analysis = &t->an;
    return &t->an;
}

/* A string of n copies of c in t->text. */
static char *fill(texp_t *t, size_t n, char c)
{
    ck_assert_uint_lt(n, sizeof t->text);
    memset(t->text, c, n);
    t->text[n] = '\0';
    return t->text;
}

/* ---- transactions around registry calls --------------------------------------------------- */

static void begin(void)
{
    char err[256] = "";
    ck_assert_msg(store_begin(S, err, sizeof err) == 0, "store_begin: %s", err);
}

static void commit(void)
{
    char err[256] = "";
    ck_assert_msg(store_commit(S, err, sizeof err) == 0, "store_commit: %s", err);
}

/* Create inside its own transaction, committed whatever the outcome, so that a write made by
 * a failing create would show up after a reopen. */
static int create_x(const Lift__Experiment *x, const registry_entry_t **out, int *created,
                    status_t *st)
{
    const registry_entry_t *e = NULL;
    int c = -1;
    status_ok(st);
    begin();
    int rc = registry_create(R, x, NOW_MS, &e, &c, st);
    commit();
    if (out)
        *out = e;
    if (created)
        *created = c;
    return rc;
}

static const registry_entry_t *create_ok(const Lift__Experiment *x, int want_created)
{
    const registry_entry_t *e = NULL;
    int created = -1;
    status_t st;
    ck_assert_msg(create_x(x, &e, &created, &st) == 0, "create %s: [%s] %s", x->key, st.field,
                  st.message);
    ck_assert_int_eq(st.code, 0);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(created, want_created);
    return e;
}

static int change(const char *key, int action, int has_cov, double cov, int64_t now,
                  const registry_entry_t **out, status_t *st)
{
    const registry_entry_t *e = NULL;
    status_ok(st);
    begin();
    int rc = registry_change(R, key, action, has_cov, cov, now, &e, st);
    commit();
    if (out)
        *out = e;
    return rc;
}

static void change_ok(const char *key, int action, double cov, int64_t now)
{
    status_t st;
    int rc = change(key, action, action == LIFT__ACTION__ACTION_RAMP, cov, now, NULL, &st);
    ck_assert_msg(rc == 0, "%s %s: [%s] %s", lift_action_name(action), key, st.field, st.message);
}

/* ---- errors: one row per error path of validate() -------------------------------------- */

typedef void (*mutate_fn)(texp_t *t);

typedef struct {
    mutate_fn mutate;  /* turns the valid definition into a bad one */
    const char *field; /* expected Status.field */
    const char *text;  /* expected in the message: the bad value or the bound */
} bad_row_t;

static void m_key_missing(texp_t *t)
{
    t->x.key = NULL;
}
static void m_key_empty(texp_t *t)
{
    t->x.key = "";
}
static void m_key_65(texp_t *t)
{
    t->x.key = fill(t, 65, 'k');
}
static void m_key_upper(texp_t *t)
{
    t->x.key = "Upsell-q3";
}
static void m_key_space(texp_t *t)
{
    t->x.key = "upsell q3";
}
static void m_key_slash(texp_t *t)
{
    t->x.key = "upsell/q3";
}
static void m_key_utf8(texp_t *t)
{
    t->x.key = "upsell-caf\303\251";
}
static void m_name_long(texp_t *t)
{
    t->x.name = fill(t, 201, 'n');
}
static void m_name_utf8(texp_t *t)
{
    t->x.name = "bad \303\050 name";
}
static void m_name_ctrl(texp_t *t)
{
    t->x.name = "tab\there";
}
static void m_name_newline(texp_t *t)
{
    t->x.name = "two\nlines";
}
static void m_name_del(texp_t *t)
{
    t->x.name = "del\177";
}
static void m_owner_ctrl(texp_t *t)
{
    t->x.owner = "own\001er";
}
static void m_owner_utf8(texp_t *t)
{
    t->x.owner = "\355\240\200"; /* surrogate U+D800 */
}
static void m_owner_long(texp_t *t)
{
    t->x.owner = fill(t, 201, 'o');
}
static void m_hyp_long(texp_t *t)
{
    t->x.hypothesis = fill(t, 4097, 'h');
}
static void m_hyp_ctrl(texp_t *t)
{
    t->x.hypothesis = "esc\033[0m";
}
static void m_hyp_utf8(texp_t *t)
{
    t->x.hypothesis = "overlong \300\257";
}
static void m_arms_0(texp_t *t)
{
    t->x.n_arms = 0;
}
static void m_arms_1(texp_t *t)
{
    static const double w[] = {1.0};
    set_arms(t, 1, w);
}
static void m_arms_21(texp_t *t)
{
    set_arms(t, 21, NULL);
}
static void m_arm_dup(texp_t *t)
{
    t->arms[2].name = "offer-1";
}
static void m_arm_dup0(texp_t *t)
{
    t->arms[1].name = "holdout";
}
static void m_arm_noname(texp_t *t)
{
    t->arms[0].name = NULL;
}
static void m_arm_emptyname(texp_t *t)
{
    t->arms[0].name = "";
}
static void m_arm_badname(texp_t *t)
{
    t->arms[1].name = "offer/a";
}
static void m_arm_longname(texp_t *t)
{
    t->arms[2].name = fill(t, 65, 'a');
}
static void m_w_missing(texp_t *t)
{
    t->arms[1].has_weight = 0;
}
static void m_w_zero(texp_t *t)
{
    t->arms[1].weight = 0;
    t->arms[2].weight = 0.8;
}
static void m_w_neg(texp_t *t)
{
    t->arms[1].weight = -0.25;
    t->arms[2].weight = 1.05;
}
static void m_w_nan(texp_t *t)
{
    t->arms[1].weight = NAN;
}
static void m_w_inf(texp_t *t)
{
    t->arms[2].weight = INFINITY;
}
static void m_w_one(texp_t *t)
{
    t->arms[0].weight = 1.0;
}
static void m_w_sum_low(texp_t *t)
{
    t->arms[2].weight = 0.399999; /* sum 0.999999 */
}
static void m_w_sum_high(texp_t *t)
{
    t->arms[2].weight = 0.4 + 2e-9;
}
static void m_payload_ctrl(texp_t *t)
{
    t->arms[2].payload = "offer\001";
}
static void m_payload_utf8(texp_t *t)
{
    t->arms[0].payload = "\377";
}
static void m_payload_long(texp_t *t)
{
    t->arms[1].payload = fill(t, 4097, 'p');
}
static void m_cov_0(texp_t *t)
{
    t->x.has_coverage = 1;
    t->x.coverage = 0;
}
static void m_cov_neg(texp_t *t)
{
    t->x.has_coverage = 1;
    t->x.coverage = -0.5;
}
static void m_cov_15(texp_t *t)
{
    t->x.has_coverage = 1;
    t->x.coverage = 1.5;
}
static void m_cov_nan(texp_t *t)
{
    t->x.has_coverage = 1;
    t->x.coverage = NAN;
}
static void m_seed_long(texp_t *t)
{
    t->x.seed = fill(t, 129, 's');
}
static void m_seed_utf8(texp_t *t)
{
    t->x.seed = "seed\300";
}
static void m_ns_noid(texp_t *t)
{
    use_ns(t, 0, 0.5);
    t->ns.id = NULL;
}
static void m_ns_longid(texp_t *t)
{
    use_ns(t, 0, 0.5);
    t->ns.id = fill(t, 65, 'i');
}
static void m_ns_lo_neg(texp_t *t)
{
    use_ns(t, -0.1, 0.5);
}
static void m_ns_lo_1(texp_t *t)
{
    use_ns(t, 1.0, 1.0);
}
static void m_ns_lo_nan(texp_t *t)
{
    use_ns(t, NAN, 0.5);
}
static void m_ns_lo_unset(texp_t *t)
{
    use_ns(t, 0, 0.5);
    t->ns.has_lo = 0;
}
static void m_ns_hi_15(texp_t *t)
{
    use_ns(t, 0.2, 1.5);
}
static void m_ns_hi_eq(texp_t *t)
{
    use_ns(t, 0.5, 0.5);
}
static void m_ns_hi_lt(texp_t *t)
{
    use_ns(t, 0.6, 0.25);
}
static void m_ns_hi_unset(texp_t *t)
{
    use_ns(t, 0, 0.5);
    t->ns.has_hi = 0;
}
static void m_trig_99(texp_t *t)
{
    t->triggers[1] = (Lift__Trigger)99;
}
static void m_trig_0(texp_t *t)
{
    t->triggers[0] = LIFT__TRIGGER__TRIGGER_UNSPECIFIED;
}
static void m_trig_neg(texp_t *t)
{
    t->triggers[0] = (Lift__Trigger)-3;
}
static void m_stage_42(texp_t *t)
{
    t->stages[0] = (Lift__Stage)42;
}
static void m_stage_risk(texp_t *t)
{
    t->stages[1] = LIFT__STAGE__STAGE_AT_RISK;
}
static void m_chan_6(texp_t *t)
{
    t->channels[1] = (Lift__Channel)6;
}
static void m_start_1970(texp_t *t)
{
    t->x.start_ms = 1000;
}
static void m_start_1999(texp_t *t)
{
    t->x.start_ms = LIFT_TIME_MIN_MS - 1;
}
static void m_end_3001(texp_t *t)
{
    t->x.end_ms = 32535216000000LL; /* 3001-01-01 */
}
static void m_end_3000(texp_t *t)
{
    t->x.end_ms = LIFT_TIME_MAX_MS;
}
static void m_end_neg(texp_t *t)
{
    t->x.end_ms = -5;
}
static void m_end_eq(texp_t *t)
{
    t->x.end_ms = START_MS;
}
static void m_end_before(texp_t *t)
{
    t->x.end_ms = START_MS - DAY_MS;
}
static void m_an_metric_0(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_primary_metric = 1;
    a->primary_metric = 0;
}
static void m_an_metric_9(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_primary_metric = 1;
    a->primary_metric = (Lift__Metric)9;
}
static void m_an_alpha_0(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_alpha = 1;
    a->alpha = 0;
}
static void m_an_alpha_06(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_alpha = 1;
    a->alpha = 0.6;
}
static void m_an_alpha_nan(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_alpha = 1;
    a->alpha = NAN;
}
static void m_an_cap_50(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_revenue_cap_percentile = 1;
    a->revenue_cap_percentile = 50;
}
static void m_an_cap_101(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_revenue_cap_percentile = 1;
    a->revenue_cap_percentile = 100.5;
}
static void m_an_ret_0(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_retention_window_days = 1;
    a->retention_window_days = 0;
}
static void m_an_ret_366(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_retention_window_days = 1;
    a->retention_window_days = 366;
}
static void m_an_cost_neg(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_cost_per_attempt_minor = 1;
    a->cost_per_attempt_minor = -1;
}
static void m_an_cost_big(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_cost_per_attempt_minor = 1;
    a->cost_per_attempt_minor = 1000000001LL;
}
static void m_an_mde_0(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_mde = 1;
    a->mde = 0;
}
static void m_an_mde_11(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_mde = 1;
    a->mde = 11;
}
static void m_an_mde_nan(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_mde = 1;
    a->mde = NAN;
}

static const bad_row_t BAD[] = {
    {m_key_missing, "experiment.key", "is required"},
    {m_key_empty, "experiment.key", "[a-z0-9-_.]{1,64}"},
    {m_key_65, "experiment.key", "65 bytes exceeds the limit of 64"},
    {m_key_upper, "experiment.key", "character 1 ('U')"},
    {m_key_space, "experiment.key", "character 7 (' ')"},
    {m_key_slash, "experiment.key", "character 7 ('/')"},
    {m_key_utf8, "experiment.key", "character 11"},
    {m_name_long, "experiment.name", "201 bytes exceeds the limit of 200"},
    {m_name_utf8, "experiment.name", "invalid UTF-8 at byte"},
    {m_name_ctrl, "experiment.name", "control character U+0009 at byte 3"},
    {m_name_newline, "experiment.name", "control character U+000A at byte 3"},
    {m_name_del, "experiment.name", "control character U+007F at byte 3"},
    {m_owner_ctrl, "experiment.owner", "control character U+0001 at byte 3"},
    {m_owner_utf8, "experiment.owner", "invalid UTF-8 at byte"},
    {m_owner_long, "experiment.owner", "201 bytes"},
    {m_hyp_long, "experiment.hypothesis", "4097 bytes exceeds the limit of 4096"},
    {m_hyp_ctrl, "experiment.hypothesis", "control character U+001B at byte 3"},
    {m_hyp_utf8, "experiment.hypothesis", "invalid UTF-8 at byte"},
    {m_arms_0, "experiment.arms", "0 arms, need 2..20"},
    {m_arms_1, "experiment.arms", "1 arms, need 2..20"},
    {m_arms_21, "experiment.arms", "21 arms, need 2..20"},
    {m_arm_dup, "experiment.arms[2].name", "\"offer-1\" is used by arm 1"},
    {m_arm_dup0, "experiment.arms[1].name", "\"holdout\" is used by arm 0"},
    {m_arm_noname, "experiment.arms[0].name", "is required"},
    {m_arm_emptyname, "experiment.arms[0].name", "is required"},
    {m_arm_badname, "experiment.arms[1].name", "character 6 is outside [A-Za-z0-9 _.-]"},
    {m_arm_longname, "experiment.arms[2].name", "65 bytes exceeds the limit of 64"},
    {m_w_missing, "experiment.arms[1].weight", "is required"},
    {m_w_zero, "experiment.arms[1].weight", "0 is outside (0, 1)"},
    {m_w_neg, "experiment.arms[1].weight", "-0.25 is outside (0, 1)"},
    {m_w_nan, "experiment.arms[1].weight", "nan is outside (0, 1)"},
    {m_w_inf, "experiment.arms[2].weight", "inf is outside (0, 1)"},
    {m_w_one, "experiment.arms[0].weight", "1 is outside (0, 1)"},
    {m_w_sum_low, "experiment.arms", "weights sum to 0.999999,"},
    {m_w_sum_high, "experiment.arms", "within 1e-09"},
    {m_payload_ctrl, "experiment.arms[2].payload", "control character U+0001 at byte 5"},
    {m_payload_utf8, "experiment.arms[0].payload", "invalid UTF-8 at byte"},
    {m_payload_long, "experiment.arms[1].payload", "4097 bytes exceeds the limit of 4096"},
    {m_cov_0, "experiment.coverage", "0 is outside (0, 1]"},
    {m_cov_neg, "experiment.coverage", "-0.5 is outside (0, 1]"},
    {m_cov_15, "experiment.coverage", "1.5 is outside (0, 1]"},
    {m_cov_nan, "experiment.coverage", "nan is outside (0, 1]"},
    {m_seed_long, "experiment.seed", "129 bytes exceeds the limit of 128"},
    {m_seed_utf8, "experiment.seed", "invalid UTF-8 at byte"},
    {m_ns_noid, "experiment.namespace.id", "is required"},
    {m_ns_longid, "experiment.namespace.id", "65 bytes exceeds the limit of 64"},
    {m_ns_lo_neg, "experiment.namespace.lo", "-0.1 is outside [0, 1)"},
    {m_ns_lo_1, "experiment.namespace.lo", "1 is outside [0, 1)"},
    {m_ns_lo_nan, "experiment.namespace.lo", "nan is outside [0, 1)"},
    {m_ns_lo_unset, "experiment.namespace.lo", "is required (in [0, 1))"},
    {m_ns_hi_15, "experiment.namespace.hi", "1.5 is outside (lo = 0.2, 1]"},
    {m_ns_hi_eq, "experiment.namespace.hi", "0.5 is outside (lo = 0.5, 1]"},
    {m_ns_hi_lt, "experiment.namespace.hi", "0.25 is outside (lo = 0.6, 1]"},
    {m_ns_hi_unset, "experiment.namespace.hi", "is required (in (lo, 1])"},
    {m_trig_99, "experiment.eligibility.triggers[1]", "99 is not a valid value"},
    {m_trig_0, "experiment.eligibility.triggers[0]", "0 is not a valid value"},
    {m_trig_neg, "experiment.eligibility.triggers[0]", "-3 is not a valid value"},
    {m_stage_42, "experiment.eligibility.stages[0]", "42 is not a valid value"},
    {m_stage_risk, "experiment.eligibility.stages[1]", "at_risk"},
    {m_chan_6, "experiment.eligibility.channels[1]", "6 is not a valid value"},
    {m_start_1970, "experiment.start_ms",
     "1970-01-01T00:00:01.000Z (1000 ms) is outside [2000-01-01, 3000-01-01)"},
    {m_start_1999, "experiment.start_ms", "946684799999 ms"},
    {m_end_3001, "experiment.end_ms", "3001-01-01T00:00:00.000Z (32535216000000 ms) is outside"},
    {m_end_3000, "experiment.end_ms", "3000-01-01T00:00:00.000Z (32503680000000 ms) is outside"},
    {m_end_neg, "experiment.end_ms", "(-5 ms) is outside"},
    {m_end_eq, "experiment.end_ms", "1717200000000 is not after start_ms 1717200000000"},
    {m_end_before, "experiment.end_ms", "is not after start_ms 1717200000000"},
    {m_an_metric_0, "experiment.analysis.primary_metric", "0 is not a valid value"},
    {m_an_metric_9, "experiment.analysis.primary_metric", "9 is not a valid value"},
    {m_an_alpha_0, "experiment.analysis.alpha", "0 is outside (0, 0.5]"},
    {m_an_alpha_06, "experiment.analysis.alpha", "0.6 is outside (0, 0.5]"},
    {m_an_alpha_nan, "experiment.analysis.alpha", "nan is outside (0, 0.5]"},
    {m_an_cap_50, "experiment.analysis.revenue_cap_percentile", "50 is outside (50, 100]"},
    {m_an_cap_101, "experiment.analysis.revenue_cap_percentile", "100.5 is outside (50, 100]"},
    {m_an_ret_0, "experiment.analysis.retention_window_days", "0 is outside [1, 365]"},
    {m_an_ret_366, "experiment.analysis.retention_window_days", "366 is outside [1, 365]"},
    {m_an_cost_neg, "experiment.analysis.cost_per_attempt_minor", "-1 is outside [0, 1000000000]"},
    {m_an_cost_big, "experiment.analysis.cost_per_attempt_minor", "1000000001 is outside"},
    {m_an_mde_0, "experiment.analysis.mde", "0 is outside (0, 10]"},
    {m_an_mde_11, "experiment.analysis.mde", "11 is outside (0, 10]"},
    {m_an_mde_nan, "experiment.analysis.mde", "nan is outside (0, 10]"},
};
#define NBAD ((int)(sizeof BAD / sizeof BAD[0]))

START_TEST(test_invalid_definition)
{
    const bad_row_t *row = &BAD[_i];
    texp_t t;
    texp_valid(&t);
    row->mutate(&t);
    const registry_entry_t *e = NULL;
    int created = -1;
    status_t st;
    ck_assert_int_eq(create_x(&t.x, &e, &created, &st), -1);
    ck_assert_msg(st.code == LIFT__CODE__INVALID_ARGUMENT, "row %d: code %d (%s)", _i, st.code,
                  st.message);
    ck_assert_msg(strcmp(st.field, row->field) == 0, "row %d: field \"%s\", want \"%s\" (%s)", _i,
                  st.field, row->field, st.message);
    ck_assert_msg(strstr(st.message, row->text) != NULL, "row %d: message \"%s\" lacks \"%s\"", _i,
                  st.message, row->text);
    /* The message names the field too, so it reads on its own. */
    ck_assert_msg(strstr(st.message, row->field) != NULL, "row %d: message \"%s\" lacks field", _i,
                  st.message);
    /* Nothing stored, in memory or on disk. */
    ck_assert_int_eq(registry_count(R), 0);
    close_all();
    open_all();
    ck_assert_int_eq(registry_count(R), 0);
}
END_TEST

START_TEST(test_create_null)
{
    status_t st;
    ck_assert_int_eq(create_x(NULL, NULL, NULL, &st), -1);
    ck_assert_int_eq(st.code, LIFT__CODE__INVALID_ARGUMENT);
    ck_assert_str_eq(st.field, "experiment");
}
END_TEST

/* ---- limits: definitions on the valid side of each bound -------------------------------- */

static void ok_key_64(texp_t *t)
{
    t->x.key = fill(t, 64, 'k');
}
static void ok_key_1(texp_t *t)
{
    t->x.key = "k";
}
static void ok_key_chars(texp_t *t)
{
    t->x.key = "a-z_0.9";
}
static void ok_arms_2(texp_t *t)
{
    static const double w[] = {0.5, 0.5};
    set_arms(t, 2, w);
}
static void ok_arms_20(texp_t *t)
{
    set_arms(t, 20, NULL);
}
static void ok_w_eps(texp_t *t)
{
    t->arms[2].weight = 0.4 + 1e-12;
}
static void ok_w_eps_low(texp_t *t)
{
    t->arms[2].weight = 0.4 - 1e-12;
}
static void ok_w_thirds(texp_t *t)
{
    static const double w[] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    set_arms(t, 3, w);
}
static void ok_name_200(texp_t *t)
{
    t->x.name = fill(t, 200, 'n');
}
static void ok_name_utf8(texp_t *t)
{
    t->x.name = "Caf\303\251 \351\241\247\345\256\242 \360\237\230\200";
}
static void ok_hyp_4096(texp_t *t)
{
    t->x.hypothesis = fill(t, 4096, 'h');
}
static void ok_hyp_ws(texp_t *t)
{
    t->x.hypothesis = "a\tb\r\nc";
}
static void ok_payload_4096(texp_t *t)
{
    t->arms[1].payload = fill(t, 4096, 'p');
}
static void ok_payload_json(texp_t *t)
{
    t->arms[1].payload = "{\n\t\"offer\": \"annual\"\n}";
}
static void ok_arm_name(texp_t *t)
{
    t->arms[1].name = "Offer A_1.v-2";
}
static void ok_seed_128(texp_t *t)
{
    t->x.seed = fill(t, 128, 's');
}
static void ok_no_text(texp_t *t)
{
    t->x.name = NULL;
    t->x.hypothesis = NULL;
    t->x.owner = NULL;
}
static void ok_cov_1(texp_t *t)
{
    t->x.has_coverage = 1;
    t->x.coverage = 1;
}
static void ok_cov_tiny(texp_t *t)
{
    t->x.has_coverage = 1;
    t->x.coverage = 1e-6;
}
static void ok_ns_full(texp_t *t)
{
    use_ns(t, 0, 1);
}
static void ok_ns_top(texp_t *t)
{
    use_ns(t, 0.999, 1);
}
static void ok_ns_id_64(texp_t *t)
{
    use_ns(t, 0.25, 0.5);
    t->ns.id = fill(t, 64, 'i');
}
static void ok_el_empty(texp_t *t)
{
    t->el.n_triggers = t->el.n_stages = t->el.n_channels = 0;
}
static void ok_el_none(texp_t *t)
{
    t->x.eligibility = NULL;
}
static void ok_el_all(texp_t *t)
{
    for (int i = 0; i < 5; i++) {
        t->triggers[i] = (Lift__Trigger)(i + 1);
        t->channels[i] = (Lift__Channel)(i + 1);
    }
    for (int i = 0; i < 4; i++)
        t->stages[i] = (Lift__Stage)(i + 1); /* every stage but at_risk */
    t->el.n_triggers = 5;
    t->el.n_stages = 4;
    t->el.n_channels = 5;
}
static void ok_open_dates(texp_t *t)
{
    t->x.has_start_ms = t->x.has_end_ms = 0;
}
static void ok_zero_dates(texp_t *t)
{
    t->x.start_ms = 0;
    t->x.end_ms = 0;
}
static void ok_end_only(texp_t *t)
{
    t->x.start_ms = 0;
    t->x.end_ms = LIFT_TIME_MIN_MS;
}
static void ok_time_bounds(texp_t *t)
{
    t->x.start_ms = LIFT_TIME_MIN_MS;
    t->x.end_ms = LIFT_TIME_MAX_MS - 1;
}
static void ok_end_plus1(texp_t *t)
{
    t->x.end_ms = START_MS + 1;
}
static void ok_an_bounds(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_primary_metric = 1;
    a->primary_metric = LIFT__METRIC__METRIC_RETENTION;
    a->has_alpha = 1;
    a->alpha = 0.5;
    a->has_revenue_cap_percentile = 1;
    a->revenue_cap_percentile = 100;
    a->has_retention_window_days = 1;
    a->retention_window_days = 365;
    a->has_cost_per_attempt_minor = 1;
    a->cost_per_attempt_minor = 1000000000LL;
    a->has_mde = 1;
    a->mde = 10;
}
static void ok_an_low(texp_t *t)
{
    Lift__Analysis *a = use_an(t);
    a->has_alpha = 1;
    a->alpha = 1e-6;
    a->has_revenue_cap_percentile = 1;
    a->revenue_cap_percentile = 50.001;
    a->has_retention_window_days = 1;
    a->retention_window_days = 1;
    a->has_cost_per_attempt_minor = 1;
    a->cost_per_attempt_minor = 0;
}

static const mutate_fn OK[] = {
    ok_key_64,       ok_key_1,        ok_key_chars,  ok_arms_2,    ok_arms_20,     ok_w_eps,
    ok_w_eps_low,    ok_w_thirds,     ok_name_200,   ok_name_utf8, ok_hyp_4096,    ok_hyp_ws,
    ok_payload_4096, ok_payload_json, ok_arm_name,   ok_seed_128,  ok_no_text,     ok_cov_1,
    ok_cov_tiny,     ok_ns_full,      ok_ns_top,     ok_ns_id_64,  ok_el_empty,    ok_el_none,
    ok_el_all,       ok_open_dates,   ok_zero_dates, ok_end_only,  ok_time_bounds, ok_end_plus1,
    ok_an_bounds,    ok_an_low,
};
#define NOK ((int)(sizeof OK / sizeof OK[0]))

START_TEST(test_valid_definition)
{
    texp_t t;
    texp_valid(&t);
    OK[_i](&t);
    const registry_entry_t *e = create_ok(&t.x, 1);
    ck_assert_str_eq(e->def->key, t.x.key);
    ck_assert_int_eq((int)e->def->n_arms, (int)t.x.n_arms);
    ck_assert_int_eq(e->cfg.narms, (int)t.x.n_arms);
    for (size_t i = 0; i < t.x.n_arms; i++)
        ck_assert_double_eq(e->cfg.weights[i], t.x.arms[i]->weight);
    ck_assert_int_eq(registry_count(R), 1);
    ck_assert_ptr_eq(registry_find(R, t.x.key), e);
    /* And it reloads the same. */
    char sum[17];
    memcpy(sum, e->checksum, sizeof sum);
    close_all();
    open_all();
    e = registry_find(R, t.x.key);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->checksum, sum);
}
END_TEST

/* ---- core: defaults and idempotent create ------------------------------------------------ */

static int is_hex16(const char *s)
{
    if (strlen(s) != 16)
        return 0;
    for (int i = 0; i < 16; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

START_TEST(test_defaults)
{
    texp_t t;
    texp_valid(&t);
    const registry_entry_t *e = create_ok(&t.x, 1);
    const Lift__Experiment *d = e->def;
    ck_assert_str_eq(d->seed, "upsell-q3");
    ck_assert_ptr_eq(e->cfg.seed, d->seed);
    ck_assert_uint_eq(e->cfg.seed_len, strlen("upsell-q3"));
    ck_assert_int_eq(d->has_coverage, 1);
    ck_assert_double_eq(d->coverage, 1.0);
    ck_assert_double_eq(e->cfg.coverage, 1.0);
    ck_assert_int_eq(e->cfg.has_namespace, 0);
    ck_assert_int_eq(d->status, LIFT__EXPERIMENT_STATUS__STATUS_DRAFT);
    ck_assert_int_eq(d->has_created_ms, 1);
    ck_assert_int_eq(d->created_ms, NOW_MS);
    ck_assert_int_eq(d->has_started_ms, 0);
    ck_assert_msg(is_hex16(e->checksum), "checksum \"%s\"", e->checksum);
    ck_assert_ptr_nonnull(d->analysis);
    const Lift__Analysis *a = d->analysis;
    ck_assert(a->has_primary_metric && a->primary_metric == LIFT__METRIC__METRIC_REVENUE);
    ck_assert(a->has_alpha);
    ck_assert_double_eq(a->alpha, 0.05);
    ck_assert(a->has_sequential && a->sequential);
    ck_assert(a->has_cuped && a->cuped);
    ck_assert(a->has_revenue_cap_percentile);
    ck_assert_double_eq(a->revenue_cap_percentile, 99.9);
    ck_assert(a->has_retention_window_days && a->retention_window_days == 30);
    ck_assert(a->has_cost_per_attempt_minor && a->cost_per_attempt_minor == 0);
    ck_assert(a->has_mde);
    ck_assert_double_eq(a->mde, 0.05);
    ck_assert_str_eq(d->arms[1]->payload, "offer-annual-20");
    ck_assert_ptr_null(d->arms[0]->payload);

    /* Given values win over defaults. */
    texp_t u;
    texp_valid(&u);
    u.x.key = "with-settings";
    u.x.seed = "shared-seed";
    u.x.has_coverage = 1;
    u.x.coverage = 0.25;
    use_ns(&u, 0.1, 0.6);
    Lift__Analysis *ua = use_an(&u);
    ua->has_alpha = 1;
    ua->alpha = 0.1;
    ua->has_cuped = 1;
    ua->cuped = 0;
    e = create_ok(&u.x, 1);
    ck_assert_str_eq(e->def->seed, "shared-seed");
    ck_assert_double_eq(e->cfg.coverage, 0.25);
    ck_assert_int_eq(e->cfg.has_namespace, 1);
    ck_assert_str_eq(e->cfg.ns_id, "pricing");
    ck_assert_double_eq(e->cfg.ns_lo, 0.1);
    ck_assert_double_eq(e->cfg.ns_hi, 0.6);
    ck_assert_double_eq(e->def->analysis->alpha, 0.1);
    ck_assert_int_eq(e->def->analysis->cuped, 0);
    ck_assert_int_eq(e->def->analysis->sequential, 1);
    ck_assert_int_eq(e->def->analysis->retention_window_days, 30);
    ck_assert_int_eq(registry_count(R), 2);
    ck_assert_str_eq(registry_at(R, 0)->def->key, "upsell-q3");
    ck_assert_str_eq(registry_at(R, 1)->def->key, "with-settings");
    ck_assert_ptr_null(registry_at(R, 2));
    ck_assert_ptr_null(registry_at(R, -1));
    ck_assert_ptr_null(registry_find(R, "nope"));
    ck_assert_ptr_null(registry_find(R, NULL));
}
END_TEST

START_TEST(test_idempotent_create)
{
    texp_t t;
    texp_valid(&t);
    const registry_entry_t *e = create_ok(&t.x, 1);
    char sum[17];
    memcpy(sum, e->checksum, sizeof sum);
    int64_t id = e->id;

    /* The same definition again. */
    const registry_entry_t *e2 = create_ok(&t.x, 0);
    ck_assert_ptr_eq(e2, e);
    ck_assert_str_eq(e2->checksum, sum);

    /* Enum lists in another order, with duplicates. */
    texp_t u;
    texp_valid(&u);
    u.triggers[0] = LIFT__TRIGGER__TRIGGER_TEAM_GROWTH;
    u.triggers[1] = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD;
    u.triggers[2] = LIFT__TRIGGER__TRIGGER_TEAM_GROWTH;
    u.el.n_triggers = 3;
    u.stages[0] = LIFT__STAGE__STAGE_MATURITY;
    u.stages[1] = LIFT__STAGE__STAGE_GROWTH;
    u.stages[2] = LIFT__STAGE__STAGE_MATURITY;
    u.stages[3] = LIFT__STAGE__STAGE_GROWTH;
    u.el.n_stages = 4;
    u.channels[0] = LIFT__CHANNEL__CHANNEL_EMAIL;
    u.channels[1] = LIFT__CHANNEL__CHANNEL_IN_APP;
    e2 = create_ok(&u.x, 0);
    ck_assert_ptr_eq(e2, e);

    /* Defaults spelled out, and server fields (ignored on create) set. */
    texp_valid(&u);
    u.x.seed = "upsell-q3";
    u.x.has_coverage = 1;
    u.x.coverage = 1.0;
    Lift__Analysis *a = use_an(&u);
    a->has_alpha = 1;
    a->alpha = 0.05;
    a->has_mde = 1;
    a->mde = 0.05;
    a->has_retention_window_days = 1;
    a->retention_window_days = 30;
    u.x.has_status = 1;
    u.x.status = LIFT__EXPERIMENT_STATUS__STATUS_STOPPED;
    u.x.has_created_ms = 1;
    u.x.created_ms = 5;
    u.x.has_exposures = 1;
    u.x.exposures = 77;
    u.x.checksum = "0123456789abcdef";
    e2 = create_ok(&u.x, 0);
    ck_assert_ptr_eq(e2, e);
    ck_assert_int_eq(e2->def->status, LIFT__EXPERIMENT_STATUS__STATUS_DRAFT);

    /* Each real difference is ALREADY_EXISTS and changes nothing. */
    for (int k = 0; k < 6; k++) {
        texp_valid(&u);
        switch (k) {
        case 0:
            u.arms[1].weight = 0.3;
            u.arms[2].weight = 0.5;
            break;
        case 1:
            u.x.name = "another name";
            break;
        case 2:
            u.x.has_coverage = 1;
            u.x.coverage = 0.5;
            break;
        case 3:
            u.x.seed = "other-seed";
            break;
        case 4:
            u.el.n_channels = 1;
            break;
        default:
            u.arms[2].payload = "offer-seats-15";
            break;
        }
        status_t st;
        ck_assert_int_eq(create_x(&u.x, NULL, NULL, &st), -1);
        ck_assert_msg(st.code == LIFT__CODE__ALREADY_EXISTS, "case %d: code %d", k, st.code);
        ck_assert_str_eq(st.field, "experiment.key");
        ck_assert_ptr_nonnull(strstr(st.message, "upsell-q3"));
        ck_assert_ptr_nonnull(strstr(st.message, sum));
    }
    ck_assert_int_eq(registry_count(R), 1);
    ck_assert_double_eq(e->cfg.weights[1], 0.4);

    /* A retry of the original create after the experiment was ramped is still a success. */
    texp_t v;
    texp_valid(&v);
    v.x.key = "ramped";
    v.x.has_coverage = 1;
    v.x.coverage = 0.5;
    const registry_entry_t *r = create_ok(&v.x, 1);
    char before[17];
    memcpy(before, r->checksum, sizeof before);
    change_ok("ramped", LIFT__ACTION__ACTION_RAMP, 0.75, NOW_MS);
    ck_assert_str_ne(r->checksum, before); /* the checksum covers the current coverage */
    r = create_ok(&v.x, 0);
    ck_assert_double_eq(r->def->coverage, 0.75);
    ck_assert_int_eq(r->id, id + 1);
}
END_TEST

/* Empty optional text is the same as no text: a client that sends "" and one that leaves the
 * field out are retrying the same create. */
START_TEST(test_idempotent_empty_text)
{
    texp_t t;
    texp_valid(&t);
    t.x.name = NULL;
    t.x.hypothesis = NULL;
    t.x.owner = NULL;
    t.arms[0].payload = NULL;
    const registry_entry_t *e = create_ok(&t.x, 1);
    texp_valid(&t);
    t.x.name = "";
    t.x.hypothesis = "";
    t.x.owner = "";
    t.x.seed = "";
    t.arms[0].payload = "";
    const registry_entry_t *e2 = create_ok(&t.x, 0);
    ck_assert_ptr_eq(e2, e);
}
END_TEST

/* ---- core: state machine -------------------------------------------------------------------- */

enum { ST_DRAFT = 1, ST_RUNNING, ST_PAUSED, ST_STOPPED };
enum { A_START = 1, A_PAUSE, A_RESUME, A_STOP, A_RAMP_UP, A_RAMP_SAME, A_RAMP_DOWN, A_ZERO, A_99 };

typedef struct {
    int from;          /* status before */
    int act;           /* A_* */
    int code;          /* expected code */
    int to;            /* expected status after (== from when the change fails) */
    const char *field; /* expected field on failure */
} sm_row_t;

#define FP LIFT__CODE__FAILED_PRECONDITION
#define IA LIFT__CODE__INVALID_ARGUMENT
static const sm_row_t SM[] = {
    {ST_DRAFT, A_START, 0, ST_RUNNING, ""},
    {ST_DRAFT, A_PAUSE, FP, ST_DRAFT, "action"},
    {ST_DRAFT, A_RESUME, FP, ST_DRAFT, "action"},
    {ST_DRAFT, A_STOP, FP, ST_DRAFT, "action"},
    {ST_DRAFT, A_RAMP_UP, 0, ST_DRAFT, ""},
    {ST_DRAFT, A_RAMP_SAME, 0, ST_DRAFT, ""},
    {ST_DRAFT, A_RAMP_DOWN, FP, ST_DRAFT, "coverage"},
    {ST_DRAFT, A_ZERO, IA, ST_DRAFT, "action"},
    {ST_DRAFT, A_99, IA, ST_DRAFT, "action"},
    {ST_RUNNING, A_START, 0, ST_RUNNING, ""},
    {ST_RUNNING, A_PAUSE, 0, ST_PAUSED, ""},
    {ST_RUNNING, A_RESUME, 0, ST_RUNNING, ""},
    {ST_RUNNING, A_STOP, 0, ST_STOPPED, ""},
    {ST_RUNNING, A_RAMP_UP, 0, ST_RUNNING, ""},
    {ST_RUNNING, A_RAMP_SAME, 0, ST_RUNNING, ""},
    {ST_RUNNING, A_RAMP_DOWN, FP, ST_RUNNING, "coverage"},
    {ST_RUNNING, A_ZERO, IA, ST_RUNNING, "action"},
    {ST_RUNNING, A_99, IA, ST_RUNNING, "action"},
    {ST_PAUSED, A_START, FP, ST_PAUSED, "action"},
    {ST_PAUSED, A_PAUSE, 0, ST_PAUSED, ""},
    {ST_PAUSED, A_RESUME, 0, ST_RUNNING, ""},
    {ST_PAUSED, A_STOP, 0, ST_STOPPED, ""},
    {ST_PAUSED, A_RAMP_UP, 0, ST_PAUSED, ""},
    {ST_PAUSED, A_RAMP_SAME, 0, ST_PAUSED, ""},
    {ST_PAUSED, A_RAMP_DOWN, FP, ST_PAUSED, "coverage"},
    {ST_PAUSED, A_99, IA, ST_PAUSED, "action"},
    {ST_STOPPED, A_START, FP, ST_STOPPED, "action"},
    {ST_STOPPED, A_PAUSE, FP, ST_STOPPED, "action"},
    {ST_STOPPED, A_RESUME, FP, ST_STOPPED, "action"},
    {ST_STOPPED, A_STOP, 0, ST_STOPPED, ""},
    {ST_STOPPED, A_RAMP_UP, FP, ST_STOPPED, "action"},
    {ST_STOPPED, A_RAMP_SAME, FP, ST_STOPPED, "action"},
    {ST_STOPPED, A_RAMP_DOWN, FP, ST_STOPPED, "action"},
    {ST_STOPPED, A_99, IA, ST_STOPPED, "action"},
};
#define NSM ((int)(sizeof SM / sizeof SM[0]))

START_TEST(test_state_machine)
{
    const sm_row_t *row = &SM[_i];
    texp_t t;
    texp_valid(&t);
    t.x.has_coverage = 1;
    t.x.coverage = 0.5;
    create_ok(&t.x, 1);
    const char *key = t.x.key;
    if (row->from != ST_DRAFT)
        change_ok(key, LIFT__ACTION__ACTION_START, 0, NOW_MS - 1000);
    if (row->from == ST_PAUSED)
        change_ok(key, LIFT__ACTION__ACTION_PAUSE, 0, NOW_MS - 500);
    if (row->from == ST_STOPPED)
        change_ok(key, LIFT__ACTION__ACTION_STOP, 0, NOW_MS - 500);
    const registry_entry_t *e = registry_find(R, key);
    ck_assert_int_eq(e->def->status, row->from);
    int64_t started = e->def->has_started_ms ? e->def->started_ms : 0;
    char sum[17];
    memcpy(sum, e->checksum, sizeof sum);

    int action = 0, has_cov = 0;
    double cov = 0, want_cov = 0.5;
    switch (row->act) {
    case A_START:
        action = LIFT__ACTION__ACTION_START;
        break;
    case A_PAUSE:
        action = LIFT__ACTION__ACTION_PAUSE;
        break;
    case A_RESUME:
        action = LIFT__ACTION__ACTION_RESUME;
        break;
    case A_STOP:
        action = LIFT__ACTION__ACTION_STOP;
        break;
    case A_RAMP_UP:
        action = LIFT__ACTION__ACTION_RAMP;
        has_cov = 1;
        cov = 0.8;
        break;
    case A_RAMP_SAME:
        action = LIFT__ACTION__ACTION_RAMP;
        has_cov = 1;
        cov = 0.5;
        break;
    case A_RAMP_DOWN:
        action = LIFT__ACTION__ACTION_RAMP;
        has_cov = 1;
        cov = 0.3;
        break;
    case A_ZERO:
        action = LIFT__ACTION__ACTION_UNSPECIFIED;
        break;
    default:
        action = 99;
        break;
    }
    if (row->act == A_RAMP_UP && row->code == 0)
        want_cov = 0.8;

    const registry_entry_t *out = NULL;
    status_t st;
    int rc = change(key, action, has_cov, cov, NOW_MS, &out, &st);
    ck_assert_msg(st.code == row->code, "row %d: code %d, want %d (%s)", _i, st.code, row->code,
                  st.message);
    ck_assert_int_eq(rc, row->code ? -1 : 0);
    if (row->code) {
        ck_assert_str_eq(st.field, row->field);
        if (row->code == FP && row->act != A_RAMP_DOWN)
            ck_assert_msg(strstr(st.message, lift_status_name(row->from)) != NULL,
                          "row %d: \"%s\" does not name the state", _i, st.message);
        if (row->act == A_RAMP_DOWN && row->from != ST_STOPPED)
            ck_assert_ptr_nonnull(strstr(st.message, "0.3 is below the current 0.5"));
        if (row->act == A_99)
            ck_assert_ptr_nonnull(strstr(st.message, "99"));
        ck_assert_str_eq(e->checksum, sum); /* unchanged */
    } else {
        ck_assert_ptr_eq(out, e);
    }
    ck_assert_int_eq(e->def->status, row->to);
    ck_assert_double_eq(e->def->coverage, want_cov);
    ck_assert_double_eq(e->cfg.coverage, want_cov);
    /* started_ms: set by the first start, never moved by later changes. */
    if (row->from == ST_DRAFT && row->to == ST_RUNNING)
        ck_assert_int_eq(e->def->started_ms, NOW_MS);
    else
        ck_assert_int_eq(e->def->has_started_ms ? e->def->started_ms : 0, started);

    /* What is in memory is what is on disk. */
    close_all();
    open_all();
    e = registry_find(R, key);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->def->status, row->to);
    ck_assert_double_eq(e->def->coverage, want_cov);
}
END_TEST

START_TEST(test_change_errors)
{
    texp_t t;
    texp_valid(&t);
    create_ok(&t.x, 1);
    status_t st;
    ck_assert_int_eq(change("no-such-key", LIFT__ACTION__ACTION_START, 0, 0, NOW_MS, NULL, &st),
                     -1);
    ck_assert_int_eq(st.code, LIFT__CODE__NOT_FOUND);
    ck_assert_str_eq(st.field, "key");
    ck_assert_ptr_nonnull(strstr(st.message, "no-such-key"));

    ck_assert_int_eq(change("Bad Key", LIFT__ACTION__ACTION_START, 0, 0, NOW_MS, NULL, &st), -1);
    ck_assert_int_eq(st.code, LIFT__CODE__INVALID_ARGUMENT);
    ck_assert_str_eq(st.field, "key");
    ck_assert_int_eq(change(NULL, LIFT__ACTION__ACTION_START, 0, 0, NOW_MS, NULL, &st), -1);
    ck_assert_int_eq(st.code, LIFT__CODE__INVALID_ARGUMENT);

    /* Ramp arguments. */
    ck_assert_int_eq(change("upsell-q3", LIFT__ACTION__ACTION_RAMP, 0, 0.5, NOW_MS, NULL, &st), -1);
    ck_assert_int_eq(st.code, LIFT__CODE__INVALID_ARGUMENT);
    ck_assert_str_eq(st.field, "coverage");
    ck_assert_ptr_nonnull(strstr(st.message, "required"));
    static const double bad[] = {0, -0.1, 1.5, NAN, INFINITY};
    static const char *const shown[] = {"0 is outside", "-0.1 is outside", "1.5 is outside",
                                        "nan is outside", "inf is outside"};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(
            change("upsell-q3", LIFT__ACTION__ACTION_RAMP, 1, bad[i], NOW_MS, NULL, &st), -1);
        ck_assert_int_eq(st.code, LIFT__CODE__INVALID_ARGUMENT);
        ck_assert_str_eq(st.field, "coverage");
        ck_assert_msg(strstr(st.message, shown[i]) != NULL, "\"%s\"", st.message);
    }
    const registry_entry_t *e = registry_find(R, "upsell-q3");
    ck_assert_double_eq(e->def->coverage, 1.0);
    ck_assert_int_eq(e->def->status, LIFT__EXPERIMENT_STATUS__STATUS_DRAFT);
}
END_TEST

/* Arms, weights and seed stay what they were created with through every change. */
START_TEST(test_frozen_split)
{
    texp_t t;
    texp_valid(&t);
    t.x.has_coverage = 1;
    t.x.coverage = 0.1;
    const registry_entry_t *e = create_ok(&t.x, 1);
    change_ok("upsell-q3", LIFT__ACTION__ACTION_START, 0, NOW_MS);
    change_ok("upsell-q3", LIFT__ACTION__ACTION_RAMP, 0.4, NOW_MS + 1);
    change_ok("upsell-q3", LIFT__ACTION__ACTION_PAUSE, 0, NOW_MS + 2);
    change_ok("upsell-q3", LIFT__ACTION__ACTION_RAMP, 0.9, NOW_MS + 3);
    change_ok("upsell-q3", LIFT__ACTION__ACTION_RESUME, 0, NOW_MS + 4);
    e = registry_find(R, "upsell-q3");
    ck_assert_int_eq(e->cfg.narms, 3);
    ck_assert_double_eq(e->cfg.weights[0], 0.2);
    ck_assert_double_eq(e->cfg.weights[1], 0.4);
    ck_assert_double_eq(e->cfg.weights[2], 0.4);
    ck_assert_str_eq(e->cfg.seed, "upsell-q3");
    ck_assert_double_eq(e->cfg.coverage, 0.9);
    ck_assert_int_eq(e->def->started_ms, NOW_MS);
    ck_assert_int_eq(e->def->updated_ms, NOW_MS + 4);
    ck_assert_int_eq(e->def->status, LIFT__EXPERIMENT_STATUS__STATUS_RUNNING);
}
END_TEST

/* ---- core: persistence ------------------------------------------------------------------- */

START_TEST(test_persistence)
{
    static const char *const keys[] = {"a-draft", "b-running", "c-paused", "d-stopped", "e-ns"};
    enum { N = 5 };
    texp_t t;
    for (int i = 0; i < N; i++) {
        texp_valid(&t);
        t.x.key = (char *)keys[i];
        t.x.has_coverage = 1;
        t.x.coverage = 0.3;
        if (i == 4)
            use_ns(&t, 0.25, 0.75);
        create_ok(&t.x, 1);
    }
    change_ok("b-running", LIFT__ACTION__ACTION_START, 0, NOW_MS + 10);
    change_ok("b-running", LIFT__ACTION__ACTION_RAMP, 0.6, NOW_MS + 11);
    change_ok("c-paused", LIFT__ACTION__ACTION_START, 0, NOW_MS + 20);
    change_ok("c-paused", LIFT__ACTION__ACTION_PAUSE, 0, NOW_MS + 21);
    change_ok("c-paused", LIFT__ACTION__ACTION_RAMP, 0.35, NOW_MS + 22);
    change_ok("d-stopped", LIFT__ACTION__ACTION_START, 0, NOW_MS + 30);
    change_ok("d-stopped", LIFT__ACTION__ACTION_STOP, 0, NOW_MS + 31);
    change_ok("e-ns", LIFT__ACTION__ACTION_START, 0, NOW_MS + 40);

    struct {
        int64_t id, started, updated, created;
        int status;
        double cov;
        char sum[17];
    } before[N];
    ck_assert_int_eq(registry_count(R), N);
    for (int i = 0; i < N; i++) {
        const registry_entry_t *e = registry_at(R, i);
        ck_assert_str_eq(e->def->key, keys[i]);
        before[i].id = e->id;
        before[i].started = e->def->has_started_ms ? e->def->started_ms : 0;
        before[i].updated = e->def->updated_ms;
        before[i].created = e->def->created_ms;
        before[i].status = e->def->status;
        before[i].cov = e->def->coverage;
        memcpy(before[i].sum, e->checksum, sizeof before[i].sum);
    }
    ck_assert_int_eq(before[1].started, NOW_MS + 10);
    ck_assert_int_eq(before[2].status, LIFT__EXPERIMENT_STATUS__STATUS_PAUSED);
    ck_assert_double_eq(before[2].cov, 0.35);
    ck_assert_int_eq(before[0].started, 0);

    close_all();
    open_all();
    ck_assert_int_eq(registry_count(R), N);
    for (int i = 0; i < N; i++) {
        const registry_entry_t *e = registry_at(R, i);
        ck_assert_str_eq(e->def->key, keys[i]);
        ck_assert_int_eq(e->id, before[i].id);
        ck_assert_int_eq(e->def->status, before[i].status);
        ck_assert_double_eq(e->def->coverage, before[i].cov);
        ck_assert_double_eq(e->cfg.coverage, before[i].cov);
        ck_assert_int_eq(e->def->has_started_ms ? e->def->started_ms : 0, before[i].started);
        ck_assert_int_eq(e->def->updated_ms, before[i].updated);
        ck_assert_int_eq(e->def->created_ms, before[i].created);
        ck_assert_str_eq(e->checksum, before[i].sum);
        ck_assert_str_eq(e->cfg.seed, keys[i]);
        ck_assert_int_eq(e->cfg.narms, 3);
        ck_assert_double_eq(e->cfg.weights[2], 0.4);
        ck_assert_str_eq(e->def->arms[2]->payload, "offer-seats-10");
        ck_assert_uint_eq(e->def->eligibility->n_triggers, 2);
    }
    const registry_entry_t *ns = registry_find(R, "e-ns");
    ck_assert_int_eq(ns->cfg.has_namespace, 1);
    ck_assert_double_eq(ns->cfg.ns_lo, 0.25);
    ck_assert_double_eq(ns->cfg.ns_hi, 0.75);

    /* The state machine goes on from the stored state; the original create is still a retry. */
    texp_valid(&t);
    t.x.key = "b-running";
    t.x.has_coverage = 1;
    t.x.coverage = 0.3;
    create_ok(&t.x, 0);
    status_t st;
    ck_assert_int_eq(change("d-stopped", LIFT__ACTION__ACTION_RESUME, 0, 0, NOW_MS, NULL, &st), -1);
    ck_assert_int_eq(st.code, LIFT__CODE__FAILED_PRECONDITION);
    ck_assert_int_eq(change("b-running", LIFT__ACTION__ACTION_RAMP, 1, 0.5, NOW_MS, NULL, &st), -1);
    ck_assert_int_eq(st.code, LIFT__CODE__FAILED_PRECONDITION);
    change_ok("c-paused", LIFT__ACTION__ACTION_RESUME, 0, NOW_MS + 50);
    ck_assert_int_eq(registry_find(R, "c-paused")->def->started_ms, NOW_MS + 20);

    /* registry_reload gives the same picture again. */
    char err[256];
    ck_assert_int_eq(registry_reload(R, err, sizeof err), 0);
    ck_assert_int_eq(registry_count(R), N);
    ck_assert_int_eq(registry_find(R, "c-paused")->def->status,
                     LIFT__EXPERIMENT_STATUS__STATUS_RUNNING);
}
END_TEST

/* A rolled-back create or change leaves nothing behind once the registry is reloaded (what
 * the server does after a failed commit). */
START_TEST(test_rollback_reload)
{
    texp_t t;
    texp_valid(&t);
    create_ok(&t.x, 1);
    status_t st;
    const registry_entry_t *e = NULL;
    int created = 0;
    begin();
    texp_valid(&t);
    t.x.key = "rolled-back";
    ck_assert_int_eq(registry_create(R, &t.x, NOW_MS, &e, &created, &st), 0);
    ck_assert_int_eq(
        registry_change(R, "upsell-q3", LIFT__ACTION__ACTION_START, 0, 0, NOW_MS, &e, &st), 0);
    store_rollback(S);
    char err[256];
    ck_assert_int_eq(registry_reload(R, err, sizeof err), 0);
    ck_assert_int_eq(registry_count(R), 1);
    ck_assert_ptr_null(registry_find(R, "rolled-back"));
    ck_assert_int_eq(registry_find(R, "upsell-q3")->def->status,
                     LIFT__EXPERIMENT_STATUS__STATUS_DRAFT);
}
END_TEST

/* ---- core: eligibility and contexts ------------------------------------------------------- */

START_TEST(test_eligibility)
{
    texp_t t;
    texp_valid(&t);
    const registry_entry_t *e = create_ok(&t.x, 1);
    texp_valid(&t);
    t.x.key = "open";
    t.x.eligibility = NULL;
    t.x.has_start_ms = t.x.has_end_ms = 0;
    const registry_entry_t *open = create_ok(&t.x, 1);
    Lift__Context c = tu_context();

    /* Draft, paused, stopped: not running, whatever the context. */
    ck_assert_int_eq(registry_eligibility(e, &c, NOW_MS), LIFT__REASON__REASON_NOT_RUNNING);
    change_ok("upsell-q3", LIFT__ACTION__ACTION_START, 0, NOW_MS);
    change_ok("open", LIFT__ACTION__ACTION_START, 0, NOW_MS);
    e = registry_find(R, "upsell-q3");
    open = registry_find(R, "open");
    ck_assert_int_eq(registry_eligibility(e, &c, NOW_MS), LIFT__REASON__REASON_NONE);

    /* Dates: [start_ms, end_ms). */
    ck_assert_int_eq(registry_eligibility(e, &c, START_MS - 1), LIFT__REASON__REASON_BEFORE_START);
    ck_assert_int_eq(registry_eligibility(e, &c, START_MS), LIFT__REASON__REASON_NONE);
    ck_assert_int_eq(registry_eligibility(e, &c, END_MS - 1), LIFT__REASON__REASON_NONE);
    ck_assert_int_eq(registry_eligibility(e, &c, END_MS), LIFT__REASON__REASON_AFTER_END);
    ck_assert_int_eq(registry_eligibility(e, &c, END_MS + DAY_MS), LIFT__REASON__REASON_AFTER_END);

    /* Stage at_risk, suppression flags. */
    Lift__Context k = c;
    k.stage = LIFT__STAGE__STAGE_AT_RISK;
    ck_assert_int_eq(registry_eligibility(e, &k, NOW_MS), LIFT__REASON__REASON_AT_RISK);
    ck_assert_int_eq(registry_eligibility(open, &k, NOW_MS), LIFT__REASON__REASON_AT_RISK);
    k = c;
    k.has_open_support_ticket = 1;
    k.open_support_ticket = 1;
    ck_assert_int_eq(registry_eligibility(e, &k, NOW_MS), LIFT__REASON__REASON_SUPPRESSED_TICKET);
    ck_assert_int_eq(registry_eligibility(open, &k, NOW_MS),
                     LIFT__REASON__REASON_SUPPRESSED_TICKET);
    k.open_support_ticket = 0; /* present but false: not suppressed */
    ck_assert_int_eq(registry_eligibility(e, &k, NOW_MS), LIFT__REASON__REASON_NONE);
    k = c;
    k.has_billing_dispute = 1;
    k.billing_dispute = 1;
    ck_assert_int_eq(registry_eligibility(e, &k, NOW_MS), LIFT__REASON__REASON_SUPPRESSED_DISPUTE);
    ck_assert_int_eq(registry_eligibility(open, &k, NOW_MS),
                     LIFT__REASON__REASON_SUPPRESSED_DISPUTE);

    /* Allowed lists. */
    k = c;
    k.trigger = LIFT__TRIGGER__TRIGGER_INTEGRATION;
    ck_assert_int_eq(registry_eligibility(e, &k, NOW_MS), LIFT__REASON__REASON_TRIGGER_NOT_ALLOWED);
    ck_assert_int_eq(registry_eligibility(open, &k, NOW_MS), LIFT__REASON__REASON_NONE);
    k.trigger = LIFT__TRIGGER__TRIGGER_TEAM_GROWTH;
    ck_assert_int_eq(registry_eligibility(e, &k, NOW_MS), LIFT__REASON__REASON_NONE);
    k = c;
    k.stage = LIFT__STAGE__STAGE_RENEWAL;
    ck_assert_int_eq(registry_eligibility(e, &k, NOW_MS), LIFT__REASON__REASON_STAGE_NOT_ALLOWED);
    ck_assert_int_eq(registry_eligibility(open, &k, NOW_MS), LIFT__REASON__REASON_NONE);
    k = c;
    k.channel = LIFT__CHANNEL__CHANNEL_PUSH_SMS;
    ck_assert_int_eq(registry_eligibility(e, &k, NOW_MS), LIFT__REASON__REASON_CHANNEL_NOT_ALLOWED);
    ck_assert_int_eq(registry_eligibility(open, &k, NOW_MS), LIFT__REASON__REASON_NONE);

    /* Every allowed combination is eligible; the open experiment takes every non-at_risk one. */
    for (int tr = 1; tr <= 5; tr++)
        for (int sg = 1; sg <= 4; sg++)
            for (int ch = 1; ch <= 5; ch++) {
                k = c;
                k.trigger = (Lift__Trigger)tr;
                k.stage = (Lift__Stage)sg;
                k.channel = (Lift__Channel)ch;
                int allowed = (tr == 1 || tr == 4) && (sg == 2 || sg == 3) && (ch == 1 || ch == 2);
                Lift__Reason r = registry_eligibility(e, &k, NOW_MS);
                ck_assert_msg((r == LIFT__REASON__REASON_NONE) == allowed, "%d/%d/%d: %d", tr, sg,
                              ch, r);
                ck_assert_int_eq(registry_eligibility(open, &k, NOW_MS), LIFT__REASON__REASON_NONE);
            }

    /* Precedence: not running first, then dates, then at_risk, then suppression, then lists. */
    k = c;
    k.stage = LIFT__STAGE__STAGE_AT_RISK;
    k.has_open_support_ticket = k.open_support_ticket = 1;
    k.channel = LIFT__CHANNEL__CHANNEL_CHAT;
    ck_assert_int_eq(registry_eligibility(e, &k, END_MS), LIFT__REASON__REASON_AFTER_END);
    ck_assert_int_eq(registry_eligibility(e, &k, NOW_MS), LIFT__REASON__REASON_AT_RISK);
    k.stage = LIFT__STAGE__STAGE_ONBOARDING;
    ck_assert_int_eq(registry_eligibility(e, &k, NOW_MS), LIFT__REASON__REASON_SUPPRESSED_TICKET);
    change_ok("upsell-q3", LIFT__ACTION__ACTION_PAUSE, 0, NOW_MS);
    ck_assert_int_eq(registry_eligibility(e, &k, START_MS - 1), LIFT__REASON__REASON_NOT_RUNNING);
    ck_assert_int_eq(registry_eligibility(e, &c, NOW_MS), LIFT__REASON__REASON_NOT_RUNNING);
    change_ok("upsell-q3", LIFT__ACTION__ACTION_RESUME, 0, NOW_MS);
    ck_assert_int_eq(registry_eligibility(e, &c, NOW_MS), LIFT__REASON__REASON_NONE);
    change_ok("upsell-q3", LIFT__ACTION__ACTION_STOP, 0, NOW_MS);
    ck_assert_int_eq(registry_eligibility(e, &c, NOW_MS), LIFT__REASON__REASON_NOT_RUNNING);
}
END_TEST

START_TEST(test_context_check)
{
    status_t st;
    Lift__Context c = tu_context();
    ck_assert_int_eq(registry_context_check(&c, "ctx", NOW_MS, &st), 0);
    c.has_trigger_time_ms = 1;
    c.trigger_time_ms = NOW_MS - 3600000;
    ck_assert_int_eq(registry_context_check(&c, "ctx", NOW_MS, &st), 0);
    c.trigger_time_ms = LIFT_TIME_MIN_MS;
    ck_assert_int_eq(registry_context_check(&c, "ctx", NOW_MS, &st), 0);
    c.trigger_time_ms = NOW_MS + DAY_MS; /* clock skew allowance */
    ck_assert_int_eq(registry_context_check(&c, "ctx", NOW_MS, &st), 0);
    c = tu_context();
    c.stage = LIFT__STAGE__STAGE_AT_RISK; /* valid context; eligibility says no */
    ck_assert_int_eq(registry_context_check(&c, "ctx", NOW_MS, &st), 0);

    struct {
        int what;
        const char *field;
        const char *text;
    } rows[] = {
        {0, "ctx", "is required"},
        {1, "ctx.trigger", "is required"},
        {2, "ctx.trigger", "not a valid value"},
        {3, "ctx.trigger", "not a valid value"},
        {4, "ctx.stage", "is required"},
        {5, "ctx.stage", "not a valid value"},
        {6, "ctx.channel", "is required"},
        {7, "ctx.channel", "not a valid value"},
        {8, "ctx.trigger_time_ms", "915148800000 is outside [2000-01-01, now + 24 h]"},
        {9, "ctx.trigger_time_ms", "is outside [2000-01-01, now + 24 h]"},
        {10, "ctx.trigger_time_ms", "946684799999"},
        {11, "ctx.trigger_time_ms", "-1 is outside"},
        {12, "assign.context.trigger", "is required"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        c = tu_context();
        const char *prefix = "ctx";
        switch (rows[i].what) {
        case 1:
            c.has_trigger = 0;
            break;
        case 2:
            c.trigger = (Lift__Trigger)99;
            break;
        case 3:
            c.trigger = LIFT__TRIGGER__TRIGGER_UNSPECIFIED;
            break;
        case 4:
            c.has_stage = 0;
            break;
        case 5:
            c.stage = (Lift__Stage)6;
            break;
        case 6:
            c.has_channel = 0;
            break;
        case 7:
            c.channel = (Lift__Channel)-1;
            break;
        case 8:
            c.has_trigger_time_ms = 1;
            c.trigger_time_ms = 915148800000LL;
            break; /* 1999-01-01 */
        case 9:
            c.has_trigger_time_ms = 1;
            c.trigger_time_ms = NOW_MS + 2 * DAY_MS;
            break;
        case 10:
            c.has_trigger_time_ms = 1;
            c.trigger_time_ms = LIFT_TIME_MIN_MS - 1;
            break;
        case 11:
            c.has_trigger_time_ms = 1;
            c.trigger_time_ms = -1;
            break;
        case 12:
            c.has_trigger = 0;
            prefix = "assign.context";
            break;
        default:
            break;
        }
        status_ok(&st);
        int rc = registry_context_check(rows[i].what == 0 ? NULL : &c, prefix, NOW_MS, &st);
        ck_assert_msg(rc == -1, "row %zu accepted", i);
        ck_assert_int_eq(st.code, LIFT__CODE__INVALID_ARGUMENT);
        ck_assert_msg(strcmp(st.field, rows[i].field) == 0, "row %zu: field %s", i, st.field);
        ck_assert_msg(strstr(st.message, rows[i].text) != NULL, "row %zu: \"%s\"", i, st.message);
    }
    /* The two-days-ahead message names the bound it broke. */
    c = tu_context();
    c.has_trigger_time_ms = 1;
    c.trigger_time_ms = NOW_MS + 2 * DAY_MS;
    registry_context_check(&c, "ctx", NOW_MS, &st);
    char bound[32];
    snprintf(bound, sizeof bound, "%lld", (long long)(NOW_MS + DAY_MS));
    ck_assert_msg(strstr(st.message, bound) != NULL, "\"%s\"", st.message);
    /* The names of the accepted values are listed. */
    c = tu_context();
    c.trigger = (Lift__Trigger)99;
    registry_context_check(&c, "ctx", NOW_MS, &st);
    ck_assert_ptr_nonnull(strstr(st.message, "usage_threshold"));
}
END_TEST

/* ---- suite ---------------------------------------------------------------------------------- */

Suite *registry_suite(void);
Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");

    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 30);
    tcase_add_test(core, test_defaults);
    tcase_add_test(core, test_idempotent_create);
    tcase_add_test(core, test_idempotent_empty_text);
    tcase_add_loop_test(core, test_state_machine, 0, NSM);
    tcase_add_test(core, test_frozen_split);
    tcase_add_test(core, test_persistence);
    tcase_add_test(core, test_rollback_reload);
    tcase_add_test(core, test_eligibility);
    tcase_add_test(core, test_context_check);
    suite_add_tcase(s, core);

    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_set_timeout(limits, 30);
    tcase_add_loop_test(limits, test_valid_definition, 0, NOK);
    suite_add_tcase(s, limits);

    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_set_timeout(errors, 30);
    tcase_add_loop_test(errors, test_invalid_definition, 0, NBAD);
    tcase_add_test(errors, test_create_null);
    tcase_add_test(errors, test_change_errors);
    suite_add_tcase(s, errors);
    return s;
}
