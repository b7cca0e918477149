/* liftctl experiment: create (from flags and/or a JSON file), list, show, start, pause, resume,
 * stop, ramp. Converts between JSON (lower-case enum names) and lift.Experiment, checks every
 * flag locally; the server still validates the whole definition (ranges it alone knows). */
#include "cmd.h"
#include "out.h"

#include "experiment_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/limits.h"

/* The protocol's bounds (lift/limits.h), checked here before anything is sent. */

/* ---- JSON -> lift.Experiment ---------------------------------------------------------------- */

/* Builds a heap Lift__Experiment from a JSON object mirroring the message; the caller frees it
 * with lift__experiment__free_unpacked(e, NULL). Server-set fields are accepted and ignored, so
 * that `experiment show --json` output can be fed back. NULL after printing the error. */
static Lift__Experiment *experiment_from_json(const json_t *root, const char *src)
{
    const experiment_json_opts_t opts = {.prog = "liftctl",
                                         .src = src,
                                         .path = "",
                                         .comments = 0,
                                         .server_fields = 1,
                                         .parse_time = liftctl_parse_time};
    return experiment_json_parse(root, &opts);
}

/* ---- lift.Experiment -> JSON ---------------------------------------------------------------- */

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_string(v));
}

static json_t *experiment_to_json(const Lift__Experiment *e)
{
    json_t *o = json_object();
    set_str(o, "key", e->key);
    set_str(o, "name", e->name);
    set_str(o, "hypothesis", e->hypothesis);
    set_str(o, "owner", e->owner);
    json_t *arms = json_array();
    for (size_t i = 0; i < e->n_arms; i++) {
        const Lift__Arm *a = e->arms[i];
        json_t *ja = json_object();
        set_str(ja, "name", a->name);
        if (a->has_weight)
            json_object_set_new(ja, "weight", json_real(a->weight));
        set_str(ja, "payload", a->payload);
        json_array_append_new(arms, ja);
    }
    json_object_set_new(o, "arms", arms);
    if (e->has_coverage)
        json_object_set_new(o, "coverage", json_real(e->coverage));
    set_str(o, "seed", e->seed);
    if (e->namespace_) {
        json_t *ns = json_object();
        set_str(ns, "id", e->namespace_->id);
        json_object_set_new(ns, "lo", json_real(e->namespace_->lo));
        json_object_set_new(ns, "hi", json_real(e->namespace_->hi));
        json_object_set_new(o, "namespace", ns);
    }
    if (e->eligibility) {
        const Lift__Eligibility *el = e->eligibility;
        json_t *j = json_object(), *t = json_array(), *s = json_array(), *c = json_array();
        for (size_t i = 0; i < el->n_triggers; i++)
            json_array_append_new(t, json_string(lift_trigger_name(el->triggers[i])));
        for (size_t i = 0; i < el->n_stages; i++)
            json_array_append_new(s, json_string(lift_stage_name(el->stages[i])));
        for (size_t i = 0; i < el->n_channels; i++)
            json_array_append_new(c, json_string(lift_channel_name(el->channels[i])));
        json_object_set_new(j, "triggers", t);
        json_object_set_new(j, "stages", s);
        json_object_set_new(j, "channels", c);
        json_object_set_new(o, "eligibility", j);
    }
    if (e->has_start_ms)
        json_object_set_new(o, "start_ms", json_integer(e->start_ms));
    if (e->has_end_ms)
        json_object_set_new(o, "end_ms", json_integer(e->end_ms));
    if (e->analysis) {
        const Lift__Analysis *a = e->analysis;
        json_t *j = json_object();
        if (a->has_primary_metric)
            json_object_set_new(j, "primary_metric",
                                json_string(lift_metric_name(a->primary_metric)));
        if (a->has_alpha)
            json_object_set_new(j, "alpha", json_real(a->alpha));
        if (a->has_sequential)
            json_object_set_new(j, "sequential", json_boolean(a->sequential));
        if (a->has_cuped)
            json_object_set_new(j, "cuped", json_boolean(a->cuped));
        if (a->has_revenue_cap_percentile)
            json_object_set_new(j, "revenue_cap_percentile", json_real(a->revenue_cap_percentile));
        if (a->has_retention_window_days)
            json_object_set_new(j, "retention_window_days", json_integer(a->retention_window_days));
        if (a->has_cost_per_attempt_minor)
            json_object_set_new(j, "cost_per_attempt_minor",
                                json_integer(a->cost_per_attempt_minor));
        if (a->has_mde)
            json_object_set_new(j, "mde", json_real(a->mde));
        json_object_set_new(o, "analysis", j);
    }
    if (e->has_status)
        json_object_set_new(o, "status", json_string(lift_status_name(e->status)));
    if (e->has_created_ms)
        json_object_set_new(o, "created_ms", json_integer(e->created_ms));
    if (e->has_started_ms)
        json_object_set_new(o, "started_ms", json_integer(e->started_ms));
    if (e->has_updated_ms)
        json_object_set_new(o, "updated_ms", json_integer(e->updated_ms));
    if (e->has_exposures)
        json_object_set_new(o, "exposures", json_integer((json_int_t)e->exposures));
    set_str(o, "checksum", e->checksum);
    return o;
}

static void print_json(json_t *j)
{
    liftctl_json_print(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
}

/* ---- human output -----------------------------------------------------------------------------
 */

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Server strings are shown through lift_safe_text: a definition may hold (or a hostile
 * server send) escape sequences and bidi overrides that must not reach the terminal raw. */
#define SAFE_CAP 1024 /* display buffer: longer texts end in "..." */

static const char *safe_or_dash(const char *s, char *buf, size_t cap)
{
    return lift_safe_text(or_dash(s), buf, cap);
}

/* A multi-line text (the hypothesis): each line escaped, continuation lines indented to
 * column `indent`. */
static void print_lines(const char *s, int indent)
{
    char buf[SAFE_CAP];
    const char *p = or_dash(s);
    for (int first = 1;; first = 0) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        printf("%*s%s\n", first ? 0 : indent, "", lift_safe_textn(p, n, buf, sizeof buf));
        if (nl == NULL)
            break;
        p = nl + 1;
    }
}

static void print_enum_list(const char *label, const int *v, size_t n, const char *(*name)(int))
{
    printf("  %-10s ", label);
    if (n == 0)
        printf("any");
    for (size_t i = 0; i < n; i++)
        printf("%s%s", i ? ", " : "", name(v[i]));
    printf("\n");
}

static void print_experiment(const Lift__Experiment *e)
{
    char t1[40], t2[40], b1[SAFE_CAP], b2[SAFE_CAP];
    printf("%-12s %s\n", "key", safe_or_dash(e->key, b1, sizeof b1));
    printf("%-12s %s\n", "status", e->has_status ? lift_status_name(e->status) : "-");
    printf("%-12s %s\n", "name", safe_or_dash(e->name, b1, sizeof b1));
    printf("%-12s ", "hypothesis");
    print_lines(e->hypothesis, 13);
    printf("%-12s %s\n", "owner", safe_or_dash(e->owner, b1, sizeof b1));
    size_t w = 4;
    for (size_t i = 0; i < e->n_arms; i++) {
        size_t len = strlen(safe_or_dash(e->arms[i]->name, b1, sizeof b1));
        if (len > w)
            w = len;
    }
    printf("%-12s %3s  %-*s  %-9s  %7s  %s\n", "arms", "#", (int)w, "name", "role", "weight",
           "payload");
    for (size_t i = 0; i < e->n_arms; i++) {
        const Lift__Arm *a = e->arms[i];
        printf("%-12s %3zu  %-*s  %-9s  %7.4f  %s\n", "", i, (int)w,
               safe_or_dash(a->name, b1, sizeof b1), i == 0 ? "holdout" : "treatment", a->weight,
               safe_or_dash(a->payload, b2, sizeof b2));
    }
    printf("%-12s %g\n", "coverage", e->has_coverage ? e->coverage : 1.0);
    printf("%-12s %s\n", "seed",
           e->seed && *e->seed ? lift_safe_text(e->seed, b1, sizeof b1) : "(the key)");
    if (e->namespace_)
        printf("%-12s %s [%g, %g)\n", "namespace", safe_or_dash(e->namespace_->id, b1, sizeof b1),
               e->namespace_->lo, e->namespace_->hi);
    else
        printf("%-12s -\n", "namespace");
    printf("eligibility\n");
    const Lift__Eligibility *el = e->eligibility;
    print_enum_list("triggers", el ? (const int *)el->triggers : NULL, el ? el->n_triggers : 0,
                    lift_trigger_name);
    print_enum_list("stages", el ? (const int *)el->stages : NULL, el ? el->n_stages : 0,
                    lift_stage_name);
    print_enum_list("channels", el ? (const int *)el->channels : NULL, el ? el->n_channels : 0,
                    lift_channel_name);
    if (e->has_start_ms && e->start_ms)
        liftctl_format_time(e->start_ms, t1, sizeof t1);
    else
        snprintf(t1, sizeof t1, "(from start)");
    if (e->has_end_ms && e->end_ms)
        liftctl_format_time(e->end_ms, t2, sizeof t2);
    else
        snprintf(t2, sizeof t2, "(open-ended)");
    printf("%-12s %s .. %s\n", "window", t1, t2);
    if (e->analysis) {
        const Lift__Analysis *a = e->analysis;
        printf("analysis\n");
        if (a->has_primary_metric)
            printf("  %-10s %s\n", "metric", lift_metric_name(a->primary_metric));
        if (a->has_alpha)
            printf("  %-10s %g\n", "alpha", a->alpha);
        if (a->has_mde)
            printf("  %-10s %g\n", "mde", a->mde);
        if (a->has_sequential)
            printf("  %-10s %s\n", "sequential", a->sequential ? "on" : "off");
        if (a->has_cuped)
            printf("  %-10s %s\n", "cuped", a->cuped ? "on" : "off");
        if (a->has_revenue_cap_percentile)
            printf("  %-10s p%g\n", "rev. cap", a->revenue_cap_percentile);
        if (a->has_retention_window_days)
            printf("  %-10s %u days\n", "retention", a->retention_window_days);
        if (a->has_cost_per_attempt_minor)
            printf("  %-10s %lld (minor units)\n", "cost", (long long)a->cost_per_attempt_minor);
    }
    if (e->has_exposures)
        printf("%-12s %llu\n", "exposures", (unsigned long long)e->exposures);
    if (e->has_created_ms) {
        liftctl_format_time(e->created_ms, t1, sizeof t1);
        printf("%-12s %s\n", "created", t1);
    }
    if (e->has_started_ms && e->started_ms) {
        liftctl_format_time(e->started_ms, t1, sizeof t1);
        printf("%-12s %s\n", "started", t1);
    }
    if (e->has_updated_ms) {
        liftctl_format_time(e->updated_ms, t1, sizeof t1);
        printf("%-12s %s\n", "updated", t1);
    }
    if (e->checksum)
        printf("%-12s %s\n", "checksum", lift_safe_text(e->checksum, b1, sizeof b1));
}

static void output_experiment(const liftctl_opts_t *o, const Lift__Experiment *e)
{
    if (o->json) {
        json_t *j = experiment_to_json(e);
        print_json(j);
        json_decref(j);
    } else {
        print_experiment(e);
    }
}

/* ---- flags -> JSON ------------------------------------------------------------------------- */

static int valid_arm_name(const char *s, size_t n)
{
    if (n < 1 || n > LIFT_ARM_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ' ' || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static int add_arm(const char *flag, const char *item, void *arg)
{
    json_t *arms = arg;
    const char *colon = strrchr(item, ':');
    if (colon == NULL) {
        fprintf(stderr, "liftctl: %s: '%s' is not NAME:WEIGHT (e.g. holdout:0.1,offer:0.9)\n", flag,
                item);
        return -1;
    }
    size_t n = (size_t)(colon - item);
    if (!valid_arm_name(item, n)) {
        fprintf(stderr, "liftctl: %s: arm name '%.*s' must be 1..%d of A-Z a-z 0-9 space _ . -\n",
                flag, (int)n, item, LIFT_ARM_NAME_MAX);
        return -1;
    }
    double weight;
    char wflag[128];
    snprintf(wflag, sizeof wflag, "%s (arm %.*s)", flag, (int)n, item);
    if (liftctl_parse_double(wflag, colon + 1, 0, 1, 1, 0, &weight) != 0)
        return -1;
    size_t i;
    json_t *a;
    json_array_foreach(arms, i, a)
    {
        if (strncmp(json_string_value(json_object_get(a, "name")), item, n) == 0 &&
            json_string_value(json_object_get(a, "name"))[n] == '\0') {
            fprintf(stderr, "liftctl: %s: arm '%.*s' given twice\n", flag, (int)n, item);
            return -1;
        }
    }
    if (json_array_size(arms) >= LIFT_ARMS_MAX) {
        fprintf(stderr, "liftctl: %s: more than %d arms\n", flag, LIFT_ARMS_MAX);
        return -1;
    }
    json_array_append_new(arms, json_pack("{s:s%,s:f}", "name", item, n, "weight", weight));
    return 0;
}

typedef struct {
    int (*parse)(const char *, int *); /* lift.h parser */
    const char *(*names)(void);        /* lift.h allowed names */
    json_t *list;                      /* names collected */
} enum_list_t;

static int add_enum(const char *flag, const char *item, void *arg)
{
    enum_list_t *el = arg;
    int v;
    if (liftctl_parse_enum(flag, item, el->parse, el->names, &v) != 0)
        return -1;
    json_array_append_new(el->list, json_string(item));
    return 0;
}

static json_t *object_at(json_t *root, const char *key)
{
    json_t *o = json_object_get(root, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(root, key, o);
    }
    return o;
}

/* Deep-merges `over` into `base` (objects merged, anything else replaced). */
static void merge(json_t *base, json_t *over)
{
    const char *k;
    json_t *v;
    json_object_foreach(over, k, v)
    {
        json_t *b = json_object_get(base, k);
        if (json_is_object(v) && json_is_object(b))
            merge(b, v);
        else
            json_object_set(base, k, v);
    }
}

static void create_help(void)
{
    printf(
        "usage: liftctl experiment create [-f FILE.json] [flags]\n"
        "\n"
        "Registers an experiment (status draft). Flags override the file; `-f -` reads stdin.\n"
        "Creating the same definition again is OK; a different one under the same key fails.\n"
        "\n"
        "  -f, --file FILE        JSON mirroring lift.Experiment (see examples/experiment.json)\n"
        "  --key KEY              [a-z0-9-_.]{1,64}\n"
        "  --name, --hypothesis, --owner TEXT\n"
        "  --arms N:W,N:W,...     arm 0 is the holdout; 2..20 arms, weights in (0,1] summing to 1\n"
        "  --payload ARM=VALUE    opaque payload of an arm (offer id, template); repeatable\n"
        "  --coverage C           share of eligible customers in the experiment, (0, 1]\n"
        "  --seed S               hashing seed (default: the key)\n"
        "  --namespace ID:LO:HI   mutual exclusion slice, 0 <= LO < HI <= 1\n"
        "  --triggers T,...       allowed triggers (%s)\n"
        "  --stages S,...         allowed stages (%s)\n"
        "  --channels C,...       allowed channels (%s)\n"
        "  --start T, --end T     eligibility window: 2026-11-30T00:00:00Z, 2026-11-30 or epoch "
        "ms\n"
        "  --metric M             primary metric (%s)\n"
        "  --alpha A              significance level, (0, 0.5]\n"
        "  --mde X                relative effect to detect, (0, 10]\n"
        "  --revenue-cap P        revenue cap percentile, (50, 100]\n"
        "  --retention-days D     churn window, 1..365\n"
        "  --cost-per-attempt M   cost of one offer in minor units, >= 0\n"
        "  --no-sequential, --no-cuped\n",
        lift_trigger_names(), lift_stage_names(), lift_channel_names(), lift_metric_names());
}

/* What `experiment create`'s flags collect. */
typedef struct {
    const char **file; /* -f / --file */
    json_t *flags;     /* the definition the flags give (merged over the file's) */
    json_t *payloads;  /* [arm name, payload] pairs of --payload */
    int64_t start;     /* --start, -1 if not given */
    int64_t end;       /* --end, -1 if not given */
} create_flags_t;

/* --arms N:W,N:W,...: 0, or an exit code (printed). */
static int create_arms(const char *flag, const char *v, json_t *flags)
{
    json_t *arms = json_array();
    if (liftctl_each_item(flag, v, add_arm, arms) != 0) {
        json_decref(arms);
        return LIFTCTL_USAGE;
    }
    double sum = 0;
    size_t k;
    json_t *arm;
    json_array_foreach(arms, k, arm) sum += json_real_value(json_object_get(arm, "weight"));
    if (json_array_size(arms) < 2 || fabs(sum - 1.0) > LIFT_WEIGHT_SUM_EPS) {
        fprintf(stderr,
                "liftctl: --arms: %zu arms with weights summing to %.12g: need 2..%d "
                "arms summing to 1 (within %g)\n",
                json_array_size(arms), sum, LIFT_ARMS_MAX, LIFT_WEIGHT_SUM_EPS);
        json_decref(arms);
        return LIFTCTL_USAGE;
    }
    json_object_set_new(flags, "arms", arms);
    return 0;
}

/* --payload ARM=VALUE: 0, or an exit code (printed). */
static int create_payload(const char *v, json_t *payloads)
{
    const char *eq = strchr(v, '=');
    if (eq == NULL || eq == v) {
        fprintf(stderr, "liftctl: --payload: '%s' is not ARM=VALUE\n", v);
        return LIFTCTL_USAGE;
    }
    if (strlen(eq + 1) > LIFT_TEXT_MAX) {
        fprintf(stderr, "liftctl: --payload: %zu bytes: at most %d\n", strlen(eq + 1),
                LIFT_TEXT_MAX);
        return LIFTCTL_USAGE;
    }
    json_array_append_new(payloads, json_pack("[s%,s]", v, (size_t)(eq - v), eq + 1));
    return 0;
}

/* --namespace ID:LO:HI: 0, or an exit code (printed). */
static int create_namespace(const char *v, json_t *flags)
{
    size_t id_len;
    double lo, hi;
    if (liftctl_parse_namespace("--namespace", v, &id_len, &lo, &hi) != 0)
        return LIFTCTL_USAGE;
    json_object_set_new(flags, "namespace",
                        json_pack("{s:s%,s:f,s:f}", "id", v, id_len, "lo", lo, "hi", hi));
    return 0;
}

/* --triggers, --stages, --channels T,...: 0, or an exit code (printed). */
static int create_eligibility(const char *flag, const char *v, json_t *flags)
{
    enum_list_t el = {lift_trigger_parse, lift_trigger_names, json_array()};
    if (flag[2] == 's') {
        el.parse = lift_stage_parse;
        el.names = lift_stage_names;
    } else if (flag[2] == 'c') {
        el.parse = lift_channel_parse;
        el.names = lift_channel_names;
    }
    if (liftctl_each_item(flag, v, add_enum, &el) != 0) {
        json_decref(el.list);
        return LIFTCTL_USAGE;
    }
    json_object_set_new(object_at(flags, "eligibility"), flag + 2, el.list);
    return 0;
}

/* The analysis settings: --metric, --alpha, --mde, --revenue-cap, --retention-days,
 * --cost-per-attempt. 0, or an exit code (printed). */
static int create_analysis(const char *flag, const char *v, json_t *flags)
{
    json_t *an = object_at(flags, "analysis");
    double d;
    int64_t n;
    int e;
    if (strcmp(flag, "--metric") == 0) {
        if (liftctl_parse_enum(flag, v, lift_metric_parse, lift_metric_names, &e) != 0)
            return LIFTCTL_USAGE;
        json_object_set_new(an, "primary_metric", json_string(v));
    } else if (strcmp(flag, "--alpha") == 0) {
        if (liftctl_parse_double(flag, v, 0, 1, 0.5, 0, &d) != 0)
            return LIFTCTL_USAGE;
        json_object_set_new(an, "alpha", json_real(d));
    } else if (strcmp(flag, "--mde") == 0) {
        if (liftctl_parse_double(flag, v, 0, 1, 10, 0, &d) != 0)
            return LIFTCTL_USAGE;
        json_object_set_new(an, "mde", json_real(d));
    } else if (strcmp(flag, "--revenue-cap") == 0) {
        if (liftctl_parse_double(flag, v, 50, 1, 100, 0, &d) != 0)
            return LIFTCTL_USAGE;
        json_object_set_new(an, "revenue_cap_percentile", json_real(d));
    } else if (strcmp(flag, "--retention-days") == 0) {
        if (liftctl_parse_int64(flag, v, 1, 365, &n) != 0)
            return LIFTCTL_USAGE;
        json_object_set_new(an, "retention_window_days", json_integer(n));
    } else { /* --cost-per-attempt */
        if (liftctl_parse_int64(flag, v, 0, INT64_MAX, &n) != 0)
            return LIFTCTL_USAGE;
        json_object_set_new(an, "cost_per_attempt_minor", json_integer(n));
    }
    return 0;
}

/* One create flag with its value v: 0, or an exit code (printed). */
static int create_flag(const char *flag, const char *v, create_flags_t *c)
{
    double d;
    int64_t n;
    if (strcmp(flag, "-f") == 0 || strcmp(flag, "--file") == 0) {
        *c->file = v;
    } else if (strcmp(flag, "--key") == 0) {
        if (!liftctl_valid_key(v)) {
            fprintf(stderr, "liftctl: --key: '%s' must be 1..%d of a-z 0-9 - _ .\n", v,
                    LIFT_KEY_MAX);
            return LIFTCTL_USAGE;
        }
        json_object_set_new(c->flags, "key", json_string(v));
    } else if (strcmp(flag, "--name") == 0 || strcmp(flag, "--hypothesis") == 0 ||
               strcmp(flag, "--owner") == 0 || strcmp(flag, "--seed") == 0) {
        if (*v == '\0') {
            fprintf(stderr, "liftctl: %s: empty\n", flag);
            return LIFTCTL_USAGE;
        }
        json_object_set_new(c->flags, flag + 2, json_string(v));
    } else if (strcmp(flag, "--arms") == 0) {
        return create_arms(flag, v, c->flags);
    } else if (strcmp(flag, "--payload") == 0) {
        return create_payload(v, c->payloads);
    } else if (strcmp(flag, "--coverage") == 0) {
        if (liftctl_parse_double(flag, v, 0, 1, 1, 0, &d) != 0)
            return LIFTCTL_USAGE;
        json_object_set_new(c->flags, "coverage", json_real(d));
    } else if (strcmp(flag, "--namespace") == 0) {
        return create_namespace(v, c->flags);
    } else if (strcmp(flag, "--triggers") == 0 || strcmp(flag, "--stages") == 0 ||
               strcmp(flag, "--channels") == 0) {
        return create_eligibility(flag, v, c->flags);
    } else if (strcmp(flag, "--start") == 0 || strcmp(flag, "--end") == 0) {
        if (liftctl_parse_time(flag, v, &n) != 0)
            return LIFTCTL_USAGE;
        *(flag[2] == 's' ? &c->start : &c->end) = n;
        json_object_set_new(c->flags, flag[2] == 's' ? "start_ms" : "end_ms", json_integer(n));
    } else {
        return create_analysis(flag, v, c->flags);
    }
    return 0;
}

/* Parses the create flags into *flags (JSON), payloads into *payloads; 0, or an exit code
 * (-1 after --help). */
static int create_flags(liftctl_opts_t *o, int argc, char **argv, const char **file, json_t *flags,
                        json_t *payloads)
{
    static const char *const valued[] = {"-f",
                                         "--file",
                                         "--key",
                                         "--name",
                                         "--hypothesis",
                                         "--owner",
                                         "--arms",
                                         "--payload",
                                         "--coverage",
                                         "--seed",
                                         "--namespace",
                                         "--triggers",
                                         "--stages",
                                         "--channels",
                                         "--start",
                                         "--end",
                                         "--metric",
                                         "--alpha",
                                         "--mde",
                                         "--revenue-cap",
                                         "--retention-days",
                                         "--cost-per-attempt",
                                         NULL};
    create_flags_t c = {.file = file, .flags = flags, .payloads = payloads, .start = -1, .end = -1};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL, *a = argv[i], *flag = NULL;
        int r, g;
        if (liftctl_is_help(a)) {
            create_help();
            return -1;
        }
        if ((g = liftctl_global_flag(o, argc, argv, &i)) != 0) {
            if (g < 0)
                return LIFTCTL_USAGE;
            continue;
        }
        if (strcmp(a, "--no-sequential") == 0 || strcmp(a, "--no-cuped") == 0) {
            json_object_set_new(object_at(flags, "analysis"), a[5] == 's' ? "sequential" : "cuped",
                                json_false());
            continue;
        }
        for (const char *const *f = valued; *f && !flag; f++) {
            if ((r = liftctl_flag(argc, argv, &i, *f, &v)) < 0)
                return LIFTCTL_USAGE;
            if (r > 0)
                flag = *f;
        }
        if (flag == NULL)
            return liftctl_usage_error("experiment create",
                                       "experiment create: unknown argument '%s'", a);
        if ((r = create_flag(flag, v, &c)) != 0)
            return r;
    }
    if (c.start >= 0 && c.end >= 0 && c.end <= c.start) {
        char a[40], b[40];
        liftctl_format_time(c.end, a, sizeof a);
        liftctl_format_time(c.start, b, sizeof b);
        fprintf(stderr, "liftctl: --end: %s must be after --start (%s)\n", a, b);
        return LIFTCTL_USAGE;
    }
    return 0;
}

/* Applies --payload ARM=VALUE pairs to the arms of the merged definition. */
static int apply_payloads(json_t *def, json_t *payloads)
{
    size_t i, k;
    json_t *p, *arm;
    json_array_foreach(payloads, i, p)
    {
        const char *name = json_string_value(json_array_get(p, 0));
        int found = 0;
        json_array_foreach(json_object_get(def, "arms"), k, arm)
        {
            if (json_is_object(arm) && json_is_string(json_object_get(arm, "name")) &&
                strcmp(json_string_value(json_object_get(arm, "name")), name) == 0) {
                json_object_set(arm, "payload", json_array_get(p, 1));
                found = 1;
            }
        }
        if (!found) {
            fprintf(stderr,
                    "liftctl: --payload: no arm named '%s' (give --arms or \"arms\" in the file)\n",
                    name);
            return -1;
        }
    }
    return 0;
}

static int do_create(liftctl_opts_t *o, int argc, char **argv)
{
    const char *file = NULL;
    json_t *flags = json_object(), *payloads = json_array(), *def = NULL;
    Lift__Experiment *e = NULL, *got = NULL;
    lift_client_t *c = NULL;
    int rc = create_flags(o, argc, argv, &file, flags, payloads);
    if (rc != 0) {
        rc = rc < 0 ? LIFTCTL_OK : rc; /* -1: help was printed */
        goto done;
    }
    if (file) {
        json_error_t jerr;
        def = strcmp(file, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
                                     : json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
        if (def == NULL && json_error_code(&jerr) == json_error_cannot_open_file) {
            fprintf(stderr, "liftctl: -f: %s\n", jerr.text);
            rc = LIFTCTL_USAGE;
            goto done;
        }
        if (def == NULL) { /* jansson quotes the input near the error: shown escaped */
            char why[LIFT_SAFE_CAP(sizeof jerr.text)];
            fprintf(stderr, "liftctl: %s:%d:%d: %s\n", file, jerr.line, jerr.column,
                    lift_safe_text(jerr.text, why, sizeof why));
            rc = LIFTCTL_ERR;
            goto done;
        }
        if (!json_is_object(def)) {
            fprintf(stderr, "liftctl: %s: must be a JSON object mirroring lift.Experiment\n", file);
            rc = LIFTCTL_ERR;
            goto done;
        }
    } else {
        def = json_object();
    }
    merge(def, flags);
    /* Types and bounds first: a key given as a number is a type error, not a missing key. */
    if ((e = experiment_from_json(def, file ? file : "flags")) == NULL) {
        rc = LIFTCTL_ERR;
        goto done;
    }
    if (e->key == NULL) {
        rc = liftctl_usage_error("experiment create",
                                 "experiment create: missing --key (or \"key\" in -f FILE)");
        goto done;
    }
    if (json_object_get(def, "arms") == NULL) {
        rc = liftctl_usage_error(
            "experiment create",
            "experiment create: missing --arms (or \"arms\" in -f FILE): %d..%d arms",
            LIFT_ARMS_MIN, LIFT_ARMS_MAX);
        goto done;
    }
    if (e->n_arms < LIFT_ARMS_MIN) {
        fprintf(stderr, "liftctl: %s: arms: %zu arm%s, need %d..%d (arm 0 is the holdout)\n",
                file ? file : "flags", e->n_arms, e->n_arms == 1 ? "" : "s", LIFT_ARMS_MIN,
                LIFT_ARMS_MAX);
        rc = LIFTCTL_ERR;
        goto done;
    }
    if (json_array_size(payloads) > 0) {
        if (apply_payloads(def, payloads) != 0) {
            rc = LIFTCTL_USAGE;
            goto done;
        }
        lift__experiment__free_unpacked(e, NULL);
        if ((e = experiment_from_json(def, file ? file : "flags")) == NULL) {
            rc = LIFTCTL_ERR;
            goto done;
        }
    }
    /* Every field is within its bound, so this holds; checked anyway, because a request over
     * liftd's frame limit gets no reply at all (libzmq drops the connection). */
    size_t packed = lift__experiment__get_packed_size(e);
    if (packed > LIFT_MAX_REQUEST_BYTES - LIFT_REQUEST_HEADROOM) {
        fprintf(stderr,
                "liftctl: %s: the definition packs to %zu bytes, more than the %d bytes liftd "
                "accepts in one request: not sent\n",
                file ? file : "flags", packed, LIFT_MAX_REQUEST_BYTES - LIFT_REQUEST_HEADROOM);
        rc = LIFTCTL_ERR;
        goto done;
    }
    if ((c = liftctl_connect(o)) == NULL) {
        rc = LIFTCTL_USAGE;
        goto done;
    }
    lift_err_t err = lift_experiment_create(c, e, &got);
    if (err != LIFT_OK) {
        rc = liftctl_fail(c, err);
        goto done;
    }
    if (got && o->json)
        output_experiment(o, got);
    else if (got) {
        char k[SAFE_CAP], sum[SAFE_CAP];
        printf("%s: registered (status %s, %zu arms, checksum %s)\n",
               safe_or_dash(got->key, k, sizeof k),
               got->has_status ? lift_status_name(got->status) : "draft", got->n_arms,
               safe_or_dash(got->checksum, sum, sizeof sum));
    } else
        printf(o->json ? "{\"key\": \"%s\", \"registered\": true}\n" : "%s: registered\n", e->key);
    rc = LIFTCTL_OK;
done:
    lift_experiment_free(&got);
    if (e)
        lift__experiment__free_unpacked(e, NULL);
    lift_client_destroy(&c);
    json_decref(def);
    json_decref(flags);
    json_decref(payloads);
    return rc;
}

/* ---- list, show, state changes ------------------------------------------------------------- */

static int do_list(liftctl_opts_t *o, int argc, char **argv)
{
    int status = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r, g;
        if (liftctl_is_help(argv[i])) {
            printf("usage: liftctl experiment list [--status S]\n\nLists experiments, optionally "
                   "only those with status S (%s).\n",
                   lift_status_names());
            return LIFTCTL_OK;
        }
        if ((g = liftctl_global_flag(o, argc, argv, &i)) != 0) {
            if (g < 0)
                return LIFTCTL_USAGE;
            continue;
        }
        if ((r = liftctl_flag(argc, argv, &i, "--status", &v)) != 0) {
            if (r < 0 ||
                liftctl_parse_enum("--status", v, lift_status_parse, lift_status_names, &status))
                return LIFTCTL_USAGE;
            continue;
        }
        return liftctl_usage_error("experiment list", "experiment list: unknown argument '%s'",
                                   argv[i]);
    }
    lift_client_t *c = liftctl_connect(o);
    if (c == NULL)
        return LIFTCTL_USAGE;
    Lift__ExperimentList *list = NULL;
    lift_err_t err = lift_experiment_list(c, status, &list);
    if (err != LIFT_OK) {
        int rc = liftctl_fail(c, err);
        lift_client_destroy(&c);
        return rc;
    }
    if (o->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < list->n_experiments; i++)
            json_array_append_new(arr, experiment_to_json(list->experiments[i]));
        print_json(arr);
        json_decref(arr);
    } else if (list->n_experiments == 0) {
        printf("no experiments%s%s\n", status ? " with status " : "",
               status ? lift_status_name(status) : "");
    } else {
        int kw = 3, ow = 5;
        char k[SAFE_CAP], ow_s[SAFE_CAP], name[SAFE_CAP];
        for (size_t i = 0; i < list->n_experiments; i++) {
            int kl = (int)strlen(safe_or_dash(list->experiments[i]->key, k, sizeof k));
            int ol = (int)strlen(safe_or_dash(list->experiments[i]->owner, ow_s, sizeof ow_s));
            if (kl > kw)
                kw = kl;
            if (ol > ow)
                ow = ol;
        }
        printf("%-*s  %-8s  %4s  %8s  %10s  %-*s  %s\n", kw, "KEY", "STATUS", "ARMS", "COVERAGE",
               "EXPOSURES", ow, "OWNER", "NAME");
        for (size_t i = 0; i < list->n_experiments; i++) {
            const Lift__Experiment *e = list->experiments[i];
            printf("%-*s  %-8s  %4zu  %8g  %10llu  %-*s  %s\n", kw,
                   safe_or_dash(e->key, k, sizeof k),
                   e->has_status ? lift_status_name(e->status) : "-", e->n_arms,
                   e->has_coverage ? e->coverage : 1.0, (unsigned long long)e->exposures, ow,
                   safe_or_dash(e->owner, ow_s, sizeof ow_s),
                   safe_or_dash(e->name, name, sizeof name));
        }
    }
    lift_experiment_list_free(&list);
    lift_client_destroy(&c);
    return LIFTCTL_OK;
}

/* show KEY, start|pause|resume|stop KEY, ramp KEY --coverage C. */
static int do_key_command(liftctl_opts_t *o, int argc, char **argv, int action)
{
    const char *sub = argv[0], *key = NULL;
    double coverage = 0;
    int have_coverage = 0;
    char where[64];
    snprintf(where, sizeof where, "experiment %s", sub);
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r, g;
        if (liftctl_is_help(argv[i])) {
            if (action == LIFT__ACTION__ACTION_RAMP)
                printf("usage: liftctl experiment ramp KEY --coverage C\n\nRaises the experiment's "
                       "coverage to C in (0, 1]; coverage only grows, and every customer keeps "
                       "the arm they had.\n");
            else if (action == 0)
                printf("usage: liftctl experiment show KEY\n\nPrints the definition and the "
                       "server-side state (status, exposures, checksum).\n");
            else
                printf(
                    "usage: liftctl experiment %s KEY\n\n%s\n", sub,
                    action == LIFT__ACTION__ACTION_START
                        ? "draft -> running (arms, weights and seed freeze)."
                    : action == LIFT__ACTION__ACTION_PAUSE ? "running -> paused (no new exposures)."
                    : action == LIFT__ACTION__ACTION_RESUME ? "paused -> running."
                                                            : "running|paused -> stopped (final).");
            return LIFTCTL_OK;
        }
        if ((g = liftctl_global_flag(o, argc, argv, &i)) != 0) {
            if (g < 0)
                return LIFTCTL_USAGE;
            continue;
        }
        if (action == LIFT__ACTION__ACTION_RAMP &&
            (r = liftctl_flag(argc, argv, &i, "--coverage", &v)) != 0) {
            if (r < 0 || liftctl_parse_double("--coverage", v, 0, 1, 1, 0, &coverage) != 0)
                return LIFTCTL_USAGE;
            have_coverage = 1;
            continue;
        }
        if (argv[i][0] == '-' || key != NULL)
            return liftctl_usage_error(where, "%s: unexpected argument '%s'", where, argv[i]);
        key = argv[i];
    }
    if (key == NULL)
        return liftctl_usage_error(where, "%s: missing KEY", where);
    if (!liftctl_valid_key(key)) {
        fprintf(stderr, "liftctl: KEY: '%s' must be 1..%d of a-z 0-9 - _ .\n", key, LIFT_KEY_MAX);
        return LIFTCTL_USAGE;
    }
    if (action == LIFT__ACTION__ACTION_RAMP && !have_coverage)
        return liftctl_usage_error(where, "%s: missing --coverage C, (0, 1]", where);
    lift_client_t *c = liftctl_connect(o);
    if (c == NULL)
        return LIFTCTL_USAGE;
    Lift__Experiment *e = NULL;
    lift_err_t err = action == 0 ? lift_experiment_get(c, key, &e)
                                 : lift_experiment_change(c, key, action, coverage, &e);
    int rc = LIFTCTL_OK;
    if (err != LIFT_OK)
        rc = liftctl_fail(c, err);
    else if (action == 0 || o->json) {
        if (e)
            output_experiment(o, e);
        else
            printf("{\"key\": \"%s\", \"action\": \"%s\"}\n", key, lift_action_name(action));
    } else if (e && action == LIFT__ACTION__ACTION_RAMP)
        printf("%s: %s, coverage %g\n", key, e->has_status ? lift_status_name(e->status) : "-",
               e->coverage);
    else if (e)
        printf("%s: %s\n", key,
               e->has_status ? lift_status_name(e->status) : lift_action_name(action));
    else
        printf("%s: %s done\n", key, lift_action_name(action));
    lift_experiment_free(&e);
    lift_client_destroy(&c);
    return rc;
}

static void experiment_help(FILE *out)
{
    fprintf(out,
            "usage: liftctl experiment <sub-command> ...\n"
            "\n"
            "  create [-f FILE.json] [--key K --arms N:W,... ...]   register (status draft)\n"
            "  list [--status S]                                   list experiments\n"
            "  show KEY                                            definition and state\n"
            "  start KEY | pause KEY | resume KEY | stop KEY        change status\n"
            "  ramp KEY --coverage C                               raise coverage\n"
            "\n"
            "`liftctl experiment <sub-command> --help` for details; --json for JSON output.\n");
}

int cmd_experiment(const liftctl_opts_t *opts, int argc, char **argv)
{
    liftctl_opts_t o = *opts;
    int rc;
    const char *sub = liftctl_sub_command(argc, argv, experiment_help, &rc);
    if (sub == NULL)
        return rc;
    argc--;
    argv++;
    if (strcmp(sub, "create") == 0)
        return do_create(&o, argc, argv);
    if (strcmp(sub, "list") == 0)
        return do_list(&o, argc, argv);
    if (strcmp(sub, "show") == 0 || strcmp(sub, "get") == 0)
        return do_key_command(&o, argc, argv, 0);
    int action;
    if (lift_action_parse(sub, &action) == 0)
        return do_key_command(&o, argc, argv, action);
    return liftctl_usage_error("experiment",
                               "experiment: unknown sub-command '%s' (create, list, show, start, "
                               "pause, resume, stop, ramp)",
                               sub);
}
