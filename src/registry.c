/* registry: experiment validation, defaults, the state machine and the cache the assignment
 * path reads. Definitions are kept as protobuf messages (the wire form is the domain form);
 * the store sees only their canonical packed bytes. No sockets, no SQL. */
#include "registry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "hash.h"
#include "holdouts.h"
#include "lift/lift.h"
#include "text.h"

struct registry {
    store_t *store;           /* where definitions live */
    int64_t seen;             /* largest store generation loaded into the cache */
    registry_entry_t **items; /* every experiment, creation order */
    int count;                /* used slots in items */
    int cap;                  /* allocated slots in items */
    holdouts_t *holdouts;     /* program holdouts: rows of the same table (holdout.h) */
};

static const int64_t invalid_code = LIFT__CODE__INVALID_ARGUMENT;

/* ---- entries -------------------------------------------------------------------------- */

static void entry_free(registry_entry_t *e)
{
    if (!e)
        return;
    if (e->def)
        lift__experiment__free_unpacked(e->def, NULL);
    free(e->created);
    free(e);
}

/* Recompute what is derived from def: the split config and the checksum of the current
 * definition (server fields excluded, current coverage included). */
static int entry_derive(registry_entry_t *e)
{
    Lift__Experiment *d = e->def;
    Lift__Experiment tmp = *d;
    tmp.has_status = tmp.has_created_ms = tmp.has_started_ms = 0;
    tmp.has_updated_ms = tmp.has_exposures = 0;
    tmp.checksum = NULL;
    size_t len = lift__experiment__get_packed_size(&tmp);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -1;
    lift__experiment__pack(&tmp, buf);
    snprintf(e->checksum, sizeof e->checksum, "%016llx",
             (unsigned long long)hash_fnv1a64(HASH_FNV64_BASIS, buf, len));
    free(buf);

    decide_config(d, e->weights, &e->cfg); /* the same split the local evaluator uses */
    return 0;
}

/* Build an entry from the canonical bytes and the mutable columns. Takes nothing. */
static registry_entry_t *entry_new(int64_t id, const void *created, size_t len, int status,
                                   double coverage, int64_t created_ms, int64_t started_ms,
                                   int64_t updated_ms, int64_t generation)
{
    registry_entry_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->id = id;
    e->generation = generation;
    e->created = malloc(len ? len : 1);
    if (!e->created)
        goto fail;
    memcpy(e->created, created, len);
    e->created_len = len;
    e->def = lift__experiment__unpack(NULL, len, created);
    if (!e->def || e->def->n_arms < 2 || e->def->n_arms > LIFT_ARMS_MAX || !e->def->seed)
        goto fail;
    e->def->has_status = 1;
    e->def->status = (Lift__ExperimentStatus)status;
    e->def->has_coverage = 1;
    e->def->coverage = coverage;
    e->def->has_created_ms = 1;
    e->def->created_ms = created_ms;
    e->def->has_started_ms = started_ms != 0;
    e->def->started_ms = started_ms;
    e->def->has_updated_ms = 1;
    e->def->updated_ms = updated_ms;
    if (entry_derive(e) < 0)
        goto fail;
    return e;
fail:
    entry_free(e);
    return NULL;
}

static int push_entry(registry_t *self, registry_entry_t *e)
{
    if (self->count == self->cap) {
        int cap = self->cap ? self->cap * 2 : 16;
        registry_entry_t **items = realloc(self->items, (size_t)cap * sizeof *items);
        if (!items)
            return -1;
        self->items = items;
        self->cap = cap;
    }
    self->items[self->count++] = e;
    return 0;
}

/* The mutable columns of a stored row into an entry the cache holds (definitions as created
 * never change, so pointers into def stay valid). */
static int entry_update(registry_entry_t *e, const store_experiment_t *row)
{
    Lift__Experiment *d = e->def;
    d->status = (Lift__ExperimentStatus)row->status;
    d->coverage = row->coverage;
    d->has_started_ms = row->started_ms != 0;
    d->started_ms = row->started_ms;
    d->updated_ms = row->updated_ms;
    e->generation = row->generation;
    return entry_derive(e);
}

static registry_entry_t *find_id(const registry_t *self, int64_t id)
{
    for (int i = 0; i < self->count; i++)
        if (self->items[i]->id == id)
            return self->items[i];
    return NULL;
}

/* A row from the store: a new experiment joins the cache, a known one is updated in place. */
static int load_row(void *arg, const store_experiment_t *row)
{
    registry_t *self = arg;
    if (row->generation > self->seen)
        self->seen = row->generation;
    if (holdouts_row_is(row))
        return holdouts_load_row(self->holdouts, row);
    registry_entry_t *old = find_id(self, row->id);
    if (old)
        return entry_update(old, row);
    registry_entry_t *e =
        entry_new(row->id, row->def, row->def_len, row->status, row->coverage, row->created_ms,
                  row->started_ms, row->updated_ms, row->generation);
    if (!e || push_entry(self, e) < 0) {
        entry_free(e);
        return -1;
    }
    return 0;
}

static void clear(registry_t *self)
{
    for (int i = 0; i < self->count; i++)
        entry_free(self->items[i]);
    self->count = 0;
    self->seen = 0;
    holdouts_clear(self->holdouts);
}

int registry_reload(registry_t *self, char *err, size_t errlen)
{
    clear(self);
    if (store_experiment_each(self->store, 0, load_row, self) != 0) {
        snprintf(err, errlen, "cannot load experiments: %s", store_errmsg(self->store));
        clear(self);
        return -1;
    }
    return 0;
}

int registry_refresh(registry_t *self, char *err, size_t errlen)
{
    int64_t g = store_generation(self->store);
    if (g < 0) {
        snprintf(err, errlen, "cannot read the experiments' generation: %s",
                 store_errmsg(self->store));
        return -1;
    }
    if (g <= self->seen)
        return 0;
    if (store_experiment_each(self->store, self->seen, load_row, self) != 0) {
        snprintf(err, errlen, "cannot refresh experiments: %s", store_errmsg(self->store));
        return -1;
    }
    return 0;
}

int registry_refresh_find(registry_t *self, const char *key, const registry_entry_t **e,
                          status_t *st)
{
    char err[320];
    if (registry_refresh(self, err, sizeof err) < 0)
        return status_set(st, status_store_code(store_errcode(self->store)), NULL, "%s", err);
    if (!key)
        return 0;
    if (!(*e = registry_find(self, key)))
        return status_set(st, LIFT__CODE__INTERNAL, NULL, "experiment %s vanished from the cache",
                          key);
    return 0;
}

/* A refresh inside a request, for its status: UNAVAILABLE (or what the store's failure
 * class calls for) with the reason. */
static int refresh_or_fail(registry_t *self, status_t *st)
{
    char err[320];
    if (registry_refresh(self, err, sizeof err) == 0)
        return 0;
    return status_set(st, status_store_code(store_errcode(self->store)), NULL, "%s", err);
}

registry_t *registry_new(store_t *store, char *err, size_t errlen)
{
    registry_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->store = store;
    self->holdouts = holdouts_new();
    if (!self->holdouts) {
        snprintf(err, errlen, "out of memory");
        free(self);
        return NULL;
    }
    if (registry_reload(self, err, errlen) < 0) {
        registry_destroy(&self);
        return NULL;
    }
    return self;
}

void registry_destroy(registry_t **self_p)
{
    registry_t *self = *self_p;
    if (!self)
        return;
    clear(self);
    free(self->items);
    holdouts_destroy(&self->holdouts);
    free(self);
    *self_p = NULL;
}

const registry_entry_t *registry_find(const registry_t *self, const char *key)
{
    if (!key)
        return NULL;
    for (int i = 0; i < self->count; i++)
        if (strcmp(self->items[i]->def->key, key) == 0)
            return self->items[i];
    return NULL;
}

holdouts_t *registry_holdouts(const registry_t *self)
{
    return self->holdouts;
}

int registry_count(const registry_t *self)
{
    return self->count;
}

const registry_entry_t *registry_at(const registry_t *self, int i)
{
    return i >= 0 && i < self->count ? self->items[i] : NULL;
}

/* ---- validation ----------------------------------------------------------------------- */

/* Text field: text_check's rules (UTF-8, at most `max` bytes, no control character except,
 * when multiline, tab, newline and carriage return; no bidi control unless bidi_ok: an arm
 * payload, opaque text that may be right-to-left). NULL or "" passes when !required. */
static int check_text(const char *s, const char *field, size_t max, int required, int multiline,
                      int bidi_ok, status_t *st)
{
    if (!s || !*s) {
        if (required)
            return status_set(st, invalid_code, field, "%s is required", field);
        return 0;
    }
    char msg[sizeof st->message];
    unsigned flags = (multiline ? TEXT_MULTILINE : 0u) | (bidi_ok ? TEXT_BIDI_OK : 0u);
    if (text_check(field, s, strlen(s), 0, max, flags, msg, sizeof msg) < 0)
        return status_set(st, invalid_code, field, "%s", msg);
    return 0;
}

static int check_key(const char *key, const char *field, status_t *st)
{
    if (!key || !*key)
        return status_set(st, invalid_code, field, "%s is required ([a-z0-9-_.]{1,64})", field);
    size_t len = strlen(key);
    if (len > LIFT_KEY_MAX)
        return status_set(st, invalid_code, field,
                          "%s: %zu bytes exceeds the limit of %d ([a-z0-9-_.]{1,64})", field, len,
                          LIFT_KEY_MAX);
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return status_set(st, invalid_code, field,
                              "%s: character %zu ('%c') is outside [a-z0-9-_.]", field, i + 1,
                              (c >= 0x20 && c < 0x7f) ? c : '?');
    }
    return 0;
}

static int check_arm_name(const char *name, const char *field, status_t *st)
{
    if (!name || !*name)
        return status_set(st, invalid_code, field, "%s is required ([A-Za-z0-9 _.-]{1,64})", field);
    size_t len = strlen(name);
    if (len > 64)
        return status_set(st, invalid_code, field, "%s: %zu bytes exceeds the limit of 64", field,
                          len);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ' ' || c == '-' || c == '_' || c == '.'))
            return status_set(st, invalid_code, field,
                              "%s: character %zu is outside [A-Za-z0-9 _.-]", field, i + 1);
    }
    return 0;
}

static int check_time(int has, int64_t v, const char *field, status_t *st)
{
    if (has && v != 0 && (v < LIFT_TIME_MIN_MS || v >= LIFT_TIME_MAX_MS)) {
        char when[40];
        return status_set(st, invalid_code, field,
                          "%s: %s (%lld ms) is outside [2000-01-01, 3000-01-01) (%lld..%lld ms)",
                          field, lift_time_format(v, when, sizeof when), (long long)v,
                          LIFT_TIME_MIN_MS, LIFT_TIME_MAX_MS - 1);
    }
    return 0;
}

/* "TRIGGER_USAGE_THRESHOLD = 1 (usage_threshold), ...": every choice of an enum, by wire name,
 * number and short name (the wire name without its prefix, lower case). */
void registry_enum_choices(const ProtobufCEnumDescriptor *desc, char *buf, size_t len)
{
    size_t w = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < desc->n_values; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        if (v->value == 0 || v->value >= 100) /* *_UNSPECIFIED, and the readers' UNKNOWN */
            continue;
        const char *us = strchr(v->name, '_');
        char shortname[64];
        size_t k = 0;
        for (const char *c = us ? us + 1 : v->name; *c && k + 1 < sizeof shortname; c++)
            shortname[k++] = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        shortname[k] = '\0';
        int n = snprintf(buf + w, len - w, "%s%s = %d (%s)", w ? ", " : "", v->name, v->value,
                         shortname);
        if (n < 0 || (size_t)n >= len - w)
            break;
        w += (size_t)n;
    }
}

static int check_enum_list(const ProtobufCEnumDescriptor *desc, const int *v, size_t n,
                           const char *field, const char *names, status_t *st)
{
    char f[96];
    for (size_t i = 0; i < n; i++) {
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (v[i] == 0 || !protobuf_c_enum_descriptor_get_value(desc, v[i])) {
            char choices[300];
            (void)names;
            registry_enum_choices(desc, choices, sizeof choices);
            return status_set(st, invalid_code, f, "%s: %d is not a valid value; valid: %s", f,
                              v[i], choices);
        }
    }
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Sort and de-duplicate an enum list so equal sets give equal canonical bytes. */
static size_t canon_list(int *v, size_t n)
{
    if (n < 2)
        return n;
    qsort(v, n, sizeof *v, cmp_int);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[k - 1])
            v[k++] = v[i];
    return k;
}

static int validate(const Lift__Experiment *x, status_t *st)
{
    char f[96];
    if (check_key(x->key, "experiment.key", st) < 0 ||
        check_text(x->name, "experiment.name", LIFT_NAME_MAX, 0, 0, 0, st) < 0 ||
        check_text(x->hypothesis, "experiment.hypothesis", LIFT_TEXT_MAX, 0, 1, 0, st) < 0 ||
        check_text(x->owner, "experiment.owner", LIFT_NAME_MAX, 0, 0, 0, st) < 0)
        return -1;
    if (x->n_arms < 2 || x->n_arms > LIFT_ARMS_MAX)
        return status_set(st, invalid_code, "experiment.arms",
                          "experiment.arms: %zu arms, need 2..%d (arm 0 is the holdout)", x->n_arms,
                          LIFT_ARMS_MAX);
    double sum = 0;
    for (size_t i = 0; i < x->n_arms; i++) {
        const Lift__Arm *a = x->arms[i];
        snprintf(f, sizeof f, "experiment.arms[%zu].name", i);
        if (check_arm_name(a->name, f, st) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(x->arms[j]->name, a->name) == 0)
                return status_set(st, invalid_code, f, "%s: \"%s\" is used by arm %zu too", f,
                                  a->name, j);
        snprintf(f, sizeof f, "experiment.arms[%zu].weight", i);
        if (!a->has_weight)
            return status_set(st, invalid_code, f, "%s is required (> 0, weights sum to 1)", f);
        if (!isfinite(a->weight) || a->weight <= 0 || a->weight >= 1)
            return status_set(st, invalid_code, f, "%s: %g is outside (0, 1)", f, a->weight);
        sum += a->weight;
        snprintf(f, sizeof f, "experiment.arms[%zu].payload", i);
        if (check_text(a->payload, f, LIFT_TEXT_MAX, 0, 1, 1, st) < 0)
            return -1;
    }
    if (fabs(sum - 1.0) > LIFT_WEIGHT_SUM_EPS)
        return status_set(st, invalid_code, "experiment.arms",
                          "experiment.arms: weights sum to %.12g, must be 1 (within %g)", sum,
                          LIFT_WEIGHT_SUM_EPS);
    if (x->has_coverage && (!isfinite(x->coverage) || x->coverage <= 0 || x->coverage > 1))
        return status_set(st, invalid_code, "experiment.coverage",
                          "experiment.coverage: %g is outside (0, 1] (leave it unset for 1)",
                          x->coverage);
    if (x->seed && *x->seed &&
        check_text(x->seed, "experiment.seed", LIFT_SEED_MAX, 0, 0, 0, st) < 0)
        return -1;
    if (x->namespace_) {
        const Lift__Namespace *ns = x->namespace_;
        if (check_text(ns->id, "experiment.namespace.id", LIFT_NAMESPACE_ID_MAX, 1, 0, 0, st) < 0)
            return -1;
        if (!ns->has_lo)
            return status_set(st, invalid_code, "experiment.namespace.lo",
                              "experiment.namespace.lo is required (in [0, 1))");
        if (!isfinite(ns->lo) || ns->lo < 0 || ns->lo >= 1)
            return status_set(st, invalid_code, "experiment.namespace.lo",
                              "experiment.namespace.lo: %g is outside [0, 1)", ns->lo);
        if (!ns->has_hi)
            return status_set(st, invalid_code, "experiment.namespace.hi",
                              "experiment.namespace.hi is required (in (lo, 1])");
        if (!isfinite(ns->hi) || ns->hi <= ns->lo || ns->hi > 1)
            return status_set(st, invalid_code, "experiment.namespace.hi",
                              "experiment.namespace.hi: %g is outside (lo = %g, 1]", ns->hi,
                              ns->lo);
    }
    if (x->eligibility) {
        const Lift__Eligibility *el = x->eligibility;
        if (check_enum_list(&lift__trigger__descriptor, (const int *)el->triggers, el->n_triggers,
                            "experiment.eligibility.triggers", lift_trigger_names(), st) < 0 ||
            check_enum_list(&lift__stage__descriptor, (const int *)el->stages, el->n_stages,
                            "experiment.eligibility.stages", lift_stage_names(), st) < 0 ||
            check_enum_list(&lift__channel__descriptor, (const int *)el->channels, el->n_channels,
                            "experiment.eligibility.channels", lift_channel_names(), st) < 0)
            return -1;
        for (size_t i = 0; i < el->n_stages; i++)
            if (el->stages[i] == LIFT__STAGE__STAGE_AT_RISK) {
                snprintf(f, sizeof f, "experiment.eligibility.stages[%zu]", i);
                return status_set(st, invalid_code, f,
                                  "%s: at_risk customers are never offered upsells", f);
            }
    }
    if (check_time(x->has_start_ms, x->start_ms, "experiment.start_ms", st) < 0 ||
        check_time(x->has_end_ms, x->end_ms, "experiment.end_ms", st) < 0)
        return -1;
    if (x->has_start_ms && x->has_end_ms && x->start_ms && x->end_ms && x->end_ms <= x->start_ms)
        return status_set(st, invalid_code, "experiment.end_ms",
                          "experiment.end_ms: %lld is not after start_ms %lld",
                          (long long)x->end_ms, (long long)x->start_ms);
    if (x->analysis) {
        const Lift__Analysis *an = x->analysis;
        if (an->has_primary_metric &&
            (an->primary_metric == 0 ||
             !protobuf_c_enum_descriptor_get_value(&lift__metric__descriptor, an->primary_metric)))
            return status_set(st, invalid_code, "experiment.analysis.primary_metric",
                              "experiment.analysis.primary_metric: %d is not a valid value (leave "
                              "it unset for revenue); valid: 1 revenue, 2 conversion, 3 retention",
                              an->primary_metric);
        if (an->has_alpha && (!isfinite(an->alpha) || an->alpha <= 0 || an->alpha > 0.5))
            return status_set(st, invalid_code, "experiment.analysis.alpha",
                              "experiment.analysis.alpha: %g is outside (0, 0.5] (leave it unset "
                              "for 0.05)",
                              an->alpha);
        if (an->has_revenue_cap_percentile &&
            (!isfinite(an->revenue_cap_percentile) || an->revenue_cap_percentile <= 50 ||
             an->revenue_cap_percentile > 100))
            return status_set(st, invalid_code, "experiment.analysis.revenue_cap_percentile",
                              "experiment.analysis.revenue_cap_percentile: %g is outside (50, 100] "
                              "(100 = no cap; leave it unset for 99.9)",
                              an->revenue_cap_percentile);
        if (an->has_retention_window_days &&
            (an->retention_window_days < 1 || an->retention_window_days > 365))
            return status_set(st, invalid_code, "experiment.analysis.retention_window_days",
                              "experiment.analysis.retention_window_days: %u is outside [1, 365] "
                              "(leave it unset for 30)",
                              an->retention_window_days);
        if (an->has_cost_per_attempt_minor &&
            (an->cost_per_attempt_minor < 0 || an->cost_per_attempt_minor > 1000000000LL))
            return status_set(st, invalid_code, "experiment.analysis.cost_per_attempt_minor",
                              "experiment.analysis.cost_per_attempt_minor: %lld is outside "
                              "[0, 1000000000]",
                              (long long)an->cost_per_attempt_minor);
        if (an->has_mde && (!isfinite(an->mde) || an->mde <= 0 || an->mde > 10))
            return status_set(st, invalid_code, "experiment.analysis.mde",
                              "experiment.analysis.mde: %g is outside (0, 10] (leave it unset for "
                              "0.05)",
                              an->mde);
    }
    return 0;
}

/* The canonical bytes of a validated definition: server fields dropped, defaults filled,
 * enum sets sorted. Equal definitions give equal bytes. Returns malloc'd bytes or NULL. */
static uint8_t *canonical(const Lift__Experiment *in, size_t *len_out)
{
    Lift__Experiment x = *in;
    Lift__Eligibility el = LIFT__ELIGIBILITY__INIT;
    Lift__Analysis an = LIFT__ANALYSIS__INIT;
    int *lists = NULL;
    uint8_t *buf = NULL;

    x.has_status = x.has_created_ms = x.has_started_ms = 0;
    x.has_updated_ms = x.has_exposures = 0;
    x.checksum = NULL;
    if (!x.has_coverage) {
        x.has_coverage = 1;
        x.coverage = 1.0;
    }
    if (!x.seed || !*x.seed)
        x.seed = x.key;
    /* "" and absent are the same text, so a retry that sends either is the same create. */
    if (x.name && !*x.name)
        x.name = NULL;
    if (x.hypothesis && !*x.hypothesis)
        x.hypothesis = NULL;
    if (x.owner && !*x.owner)
        x.owner = NULL;
    if (x.has_start_ms && x.start_ms == 0)
        x.has_start_ms = 0;
    if (x.has_end_ms && x.end_ms == 0)
        x.has_end_ms = 0;
    if (in->eligibility) {
        const Lift__Eligibility *src = in->eligibility;
        size_t n = src->n_triggers + src->n_stages + src->n_channels;
        lists = malloc((n ? n : 1) * sizeof *lists);
        if (!lists)
            return NULL;
        int *p = lists;
        if (src->n_triggers)
            memcpy(p, src->triggers, src->n_triggers * sizeof *p);
        el.triggers = (Lift__Trigger *)p;
        el.n_triggers = canon_list(p, src->n_triggers);
        p += src->n_triggers;
        if (src->n_stages)
            memcpy(p, src->stages, src->n_stages * sizeof *p);
        el.stages = (Lift__Stage *)p;
        el.n_stages = canon_list(p, src->n_stages);
        p += src->n_stages;
        if (src->n_channels)
            memcpy(p, src->channels, src->n_channels * sizeof *p);
        el.channels = (Lift__Channel *)p;
        el.n_channels = canon_list(p, src->n_channels);
        x.eligibility = (el.n_triggers || el.n_stages || el.n_channels) ? &el : NULL;
    }
    if (in->analysis)
        an = *in->analysis;
    if (!an.has_primary_metric)
        an.has_primary_metric = 1, an.primary_metric = LIFT__METRIC__METRIC_REVENUE;
    if (!an.has_alpha)
        an.has_alpha = 1, an.alpha = 0.05;
    if (!an.has_sequential)
        an.has_sequential = 1, an.sequential = 1;
    if (!an.has_cuped)
        an.has_cuped = 1, an.cuped = 1;
    if (!an.has_revenue_cap_percentile)
        an.has_revenue_cap_percentile = 1, an.revenue_cap_percentile = 99.9;
    if (!an.has_retention_window_days)
        an.has_retention_window_days = 1, an.retention_window_days = 30;
    if (!an.has_cost_per_attempt_minor)
        an.has_cost_per_attempt_minor = 1, an.cost_per_attempt_minor = 0;
    if (!an.has_mde)
        an.has_mde = 1, an.mde = 0.05;
    x.analysis = &an;

    /* An empty payload is no payload, as for the texts above. */
    Lift__Arm arms[LIFT_ARMS_MAX];
    Lift__Arm *arm_ptrs[LIFT_ARMS_MAX];
    if (x.n_arms <= LIFT_ARMS_MAX) {
        for (size_t i = 0; i < x.n_arms; i++) {
            arms[i] = *in->arms[i];
            if (arms[i].payload && !*arms[i].payload)
                arms[i].payload = NULL;
            arm_ptrs[i] = &arms[i];
        }
        x.arms = arm_ptrs;
    }

    *len_out = lift__experiment__get_packed_size(&x);
    buf = malloc(*len_out ? *len_out : 1);
    if (buf)
        lift__experiment__pack(&x, buf);
    free(lists);
    return buf;
}

/* ---- operations ----------------------------------------------------------------------- */

int registry_create(registry_t *self, const Lift__Experiment *in, int64_t now_ms,
                    const registry_entry_t **out, int *created, status_t *st)
{
    size_t len = 0;
    uint8_t *bytes = NULL;
    registry_entry_t *e = NULL;
    int64_t id, gen;

    if (!in)
        return status_set(st, invalid_code, "experiment", "experiment is required");
    if (validate(in, st) < 0)
        return -1;
    bytes = canonical(in, &len);
    if (!bytes)
        return status_set(st, LIFT__CODE__INTERNAL, NULL, "out of memory");
    Lift__Experiment *probe = lift__experiment__unpack(NULL, len, bytes);
    double coverage = probe ? probe->coverage : 1.0;
    if (probe)
        lift__experiment__free_unpacked(probe, NULL);
    /* Twice at most: a key taken in the store but not yet in the cache (created through
     * another liftd) is loaded, then compared like one the cache knew. */
    for (int attempt = 0; attempt < 2; attempt++) {
        const registry_entry_t *old = registry_find(self, in->key);
        if (old) {
            int same = old->created_len == len && memcmp(old->created, bytes, len) == 0;
            free(bytes);
            if (!same)
                return status_set(st, LIFT__CODE__ALREADY_EXISTS, "experiment.key",
                                  "experiment %s exists with a different definition (checksum "
                                  "%s)",
                                  in->key, old->checksum);
            *out = old;
            *created = 0;
            return 0;
        }
        int rc =
            store_experiment_insert(self->store, in->key, LIFT__EXPERIMENT_STATUS__STATUS_DRAFT,
                                    bytes, len, coverage, now_ms, &id, &gen);
        if (rc < 0) {
            free(bytes);
            return status_set(st, status_store_code(store_errcode(self->store)), NULL,
                              "cannot store experiment %s: %s", in->key, store_errmsg(self->store));
        }
        if (rc == 0)
            break;
        if (refresh_or_fail(self, st) < 0) {
            free(bytes);
            return -1;
        }
        if (attempt == 1) {
            free(bytes);
            return status_set(st, LIFT__CODE__UNAVAILABLE, NULL,
                              "experiment %s: the key is taken in the store but cannot be read "
                              "back; retry",
                              in->key);
        }
    }
    e = entry_new(id, bytes, len, LIFT__EXPERIMENT_STATUS__STATUS_DRAFT, coverage, now_ms, 0,
                  now_ms, gen);
    free(bytes);
    if (!e || push_entry(self, e) < 0) {
        entry_free(e);
        return status_set(st, LIFT__CODE__INTERNAL, NULL, "out of memory");
    }
    if (gen > self->seen && gen == self->seen + 1)
        self->seen = gen; /* nothing else changed in between: the cache is still current */
    *out = e;
    *created = 1;
    return 0;
}

/* Where action (or a ramp to coverage) takes experiment e: *to and *cov. Returns 0, or -1
 * with st filled when the change is not allowed. */
static int plan_change(const registry_entry_t *e, const char *key, int action, int has_coverage,
                       double coverage, int *to_out, double *cov_out, status_t *st)
{
    const Lift__Experiment *d = e->def;
    int from = d->status, to = from;
    double cov = d->coverage;
    const char *fail_need = NULL;

    switch (action) {
    case LIFT__ACTION__ACTION_START:
        if (from == LIFT__EXPERIMENT_STATUS__STATUS_DRAFT)
            to = LIFT__EXPERIMENT_STATUS__STATUS_RUNNING;
        else if (from != LIFT__EXPERIMENT_STATUS__STATUS_RUNNING)
            fail_need = "draft (a paused experiment is resumed)";
        break;
    case LIFT__ACTION__ACTION_PAUSE:
        if (from == LIFT__EXPERIMENT_STATUS__STATUS_RUNNING)
            to = LIFT__EXPERIMENT_STATUS__STATUS_PAUSED;
        else if (from != LIFT__EXPERIMENT_STATUS__STATUS_PAUSED)
            fail_need = "running";
        break;
    case LIFT__ACTION__ACTION_RESUME:
        if (from == LIFT__EXPERIMENT_STATUS__STATUS_PAUSED)
            to = LIFT__EXPERIMENT_STATUS__STATUS_RUNNING;
        else if (from != LIFT__EXPERIMENT_STATUS__STATUS_RUNNING)
            fail_need = "paused";
        break;
    case LIFT__ACTION__ACTION_STOP:
        if (from == LIFT__EXPERIMENT_STATUS__STATUS_RUNNING ||
            from == LIFT__EXPERIMENT_STATUS__STATUS_PAUSED)
            to = LIFT__EXPERIMENT_STATUS__STATUS_STOPPED;
        else if (from != LIFT__EXPERIMENT_STATUS__STATUS_STOPPED)
            fail_need = "running or paused";
        break;
    case LIFT__ACTION__ACTION_RAMP:
        if (!has_coverage)
            return status_set(st, invalid_code, "coverage", "coverage is required for a ramp");
        if (!isfinite(coverage) || coverage <= 0 || coverage > 1)
            return status_set(st, invalid_code, "coverage", "coverage: %g is outside (0, 1]",
                              coverage);
        if (from == LIFT__EXPERIMENT_STATUS__STATUS_STOPPED)
            fail_need = "draft, running or paused";
        else if (coverage < cov)
            return status_set(st, LIFT__CODE__FAILED_PRECONDITION, "coverage",
                              "coverage: %g is below the current %g; a ramp only grows coverage "
                              "so that every customer keeps their arm",
                              coverage, cov);
        else
            cov = coverage;
        break;
    default: {
        char choices[300];
        registry_enum_choices(&lift__action__descriptor, choices, sizeof choices);
        if (action == 0)
            return status_set(st, invalid_code, "action",
                              "action is unset or 0, and it is required; valid: %s", choices);
        return status_set(st, invalid_code, "action", "action: %d is not a valid value; valid: %s",
                          action, choices);
    }
    }
    if (fail_need)
        return status_set(st, LIFT__CODE__FAILED_PRECONDITION, "action",
                          "cannot %s experiment %s: it is %s, needs %s", lift_action_name(action),
                          key, lift_status_name(from), fail_need);
    *to_out = to;
    *cov_out = cov;
    return 0;
}

#define CHANGE_ATTEMPTS 4 /* re-reads when other instances keep changing the experiment */

int registry_change(registry_t *self, const char *key, int action, int has_coverage,
                    double coverage, int64_t now_ms, const registry_entry_t **out, status_t *st)
{
    if (check_key(key, "key", st) < 0)
        return -1;
    for (int attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
        registry_entry_t *e = (registry_entry_t *)registry_find(self, key);
        if (!e)
            return status_set(st, LIFT__CODE__NOT_FOUND, "key", "no experiment with key %s", key);
        Lift__Experiment *d = e->def;
        int to = 0;
        double cov = 0;
        if (plan_change(e, key, action, has_coverage, coverage, &to, &cov, st) < 0)
            return -1;
        if (to == (int)d->status && cov == d->coverage) {
            *out = e; /* already so: a retry, or someone else did it */
            return 0;
        }
        int64_t started = d->has_started_ms ? d->started_ms : 0, gen;
        if (to == LIFT__EXPERIMENT_STATUS__STATUS_RUNNING && !started)
            started = now_ms;
        int rc = store_experiment_update(self->store, e->id, e->generation, to, cov, started,
                                         now_ms, &gen);
        if (rc < 0)
            return status_set(st, status_store_code(store_errcode(self->store)), NULL,
                              "cannot update experiment %s: %s", key, store_errmsg(self->store));
        if (rc == 1) {
            /* Changed by someone else since the cache read it: read it again and decide
             * again on what it is now. */
            if (refresh_or_fail(self, st) < 0)
                return -1;
            continue;
        }
        d->status = (Lift__ExperimentStatus)to;
        d->coverage = cov;
        d->has_started_ms = started != 0;
        d->started_ms = started;
        d->updated_ms = now_ms;
        if (gen == self->seen + 1)
            self->seen = gen; /* nothing else changed in between */
        e->generation = gen;
        if (entry_derive(e) < 0)
            return status_set(st, LIFT__CODE__INTERNAL, NULL, "out of memory");
        *out = e;
        return 0;
    }
    return status_set(st, LIFT__CODE__UNAVAILABLE, NULL,
                      "experiment %s kept changing in the store while this change was decided "
                      "(%d attempts); retry",
                      key, CHANGE_ATTEMPTS);
}

/* ---- contexts and eligibility -------------------------------------------------------- */

/* "<field>.<name>: <what>; valid: <choices>" — formatted only when a check fails. An unset
 * enum is often a name the sender's protobuf library could not map and dropped: said so. */
static int context_error(status_t *st, const char *field, const char *name, int has, int value,
                         const ProtobufCEnumDescriptor *desc)
{
    char f[96], choices[300];
    snprintf(f, sizeof f, "%s.%s", field, name);
    registry_enum_choices(desc, choices, sizeof choices);
    if (!has)
        return status_set(st, invalid_code, f,
                          "%s is unset, and it is required (a name the sender's library could "
                          "not map is dropped unsent); valid: %s",
                          f, choices);
    return status_set(st, invalid_code, f, "%s: %d is not a valid value; valid: %s", f, value,
                      choices);
}

/* The verdicts are decide.c's (the same code a local evaluator runs); this only words them. */
int registry_context_check(const Lift__Context *ctx, const char *field, int64_t now_ms,
                           status_t *st)
{
    const char *bad = decide_context_check(ctx, now_ms);
    if (!bad)
        return 0;
    if (!ctx)
        return status_set(st, invalid_code, field, "%s is required (trigger, stage and channel)",
                          field);
    if (strcmp(bad, "trigger") == 0)
        return context_error(st, field, "trigger", ctx->has_trigger, ctx->trigger,
                             &lift__trigger__descriptor);
    if (strcmp(bad, "stage") == 0)
        return context_error(st, field, "stage", ctx->has_stage, ctx->stage,
                             &lift__stage__descriptor);
    if (strcmp(bad, "channel") == 0)
        return context_error(st, field, "channel", ctx->has_channel, ctx->channel,
                             &lift__channel__descriptor);
    char f[96], t[40], hi[40];
    snprintf(f, sizeof f, "%s.trigger_time_ms", field);
    return status_set(st, invalid_code, f,
                      "%s: %lld is outside [2000-01-01, now + 24 h] (%s; allowed %lld..%lld "
                      "ms, up to %s)",
                      f, (long long)ctx->trigger_time_ms,
                      lift_time_format(ctx->trigger_time_ms, t, sizeof t), LIFT_TIME_MIN_MS,
                      (long long)(now_ms + DECIDE_CLOCK_SKEW_MS),
                      lift_time_format(now_ms + DECIDE_CLOCK_SKEW_MS, hi, sizeof hi));
}

int registry_trigger_time_check(const registry_entry_t *e, const Lift__Context *ctx,
                                const char *field, status_t *st)
{
    const Lift__Experiment *d = e->def;
    if (decide_trigger_time_ok(d, ctx))
        return 0;
    int64_t start = d->has_start_ms && d->start_ms > 0 ? d->start_ms : d->started_ms;
    char f[96], t[40], s0[40], lo[40];
    snprintf(f, sizeof f, "%s.trigger_time_ms", field);
    return status_set(st, invalid_code, f,
                      "%s: %s is before experiment %s started (%s); a trigger may be at most "
                      "24 h older than the start (>= %s)",
                      f, lift_time_format(ctx->trigger_time_ms, t, sizeof t), d->key,
                      lift_time_format(start, s0, sizeof s0),
                      lift_time_format(start - DECIDE_CLOCK_SKEW_MS, lo, sizeof lo));
}

Lift__Reason registry_eligibility(const registry_entry_t *e, const Lift__Context *ctx,
                                  int64_t now_ms)
{
    return decide_eligibility(e->def, ctx, now_ms); /* shared with lift/local.h */
}
