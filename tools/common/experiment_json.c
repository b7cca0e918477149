/* experiment_json: JSON -> lift.Experiment for liftctl and liftsim (see experiment_json.h).
 * Every message names the source, the JSON path and the bound; no network, no file I/O. */
#include "experiment_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lift/lift.h"

/* Where a JSON value came from, for error messages: "file.json: arms[1].weight". */
typedef struct {
    const experiment_json_opts_t *o; /* prefix, source, options */
    char path[128];                  /* dotted path inside the document */
} where_t;

/* Writes s to stderr with what a terminal would act on escaped: C0 controls and DEL as \xNN,
 * C1 controls (UTF-8 C2 80..C2 9F) as \u00NN. Messages quote field names and values from the
 * document, which may hold escape sequences. */
static void put_safe(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fprintf(stderr, "\\x%02x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            fprintf(stderr, "\\u%04x", *++p);
        else
            fputc(*p, stderr);
    }
}

static int jfail(const where_t *w, const char *what)
{
    fprintf(stderr, "%s: ", w->o->prog);
    put_safe(w->o->src);
    fputs(": ", stderr);
    if (w->path[0]) {
        put_safe(w->path);
        fputs(": ", stderr);
    }
    put_safe(what);
    fputc('\n', stderr);
    return -1;
}

static where_t at(const where_t *parent, const char *key, int index)
{
    where_t w = *parent;
    int n;
    if (index >= 0)
        n = snprintf(w.path, sizeof w.path, "%s[%d]", parent->path, index);
    else if (parent->path[0])
        n = snprintf(w.path, sizeof w.path, "%s.%s", parent->path, key);
    else
        n = snprintf(w.path, sizeof w.path, "%s", key);
    if (n >= (int)sizeof w.path) /* only a message: mark the cut */
        memcpy(w.path + sizeof w.path - 4, "...", 4);
    return w;
}

static int is_comment(const where_t *w, const char *key)
{
    return w->o->comments && strcmp(key, "_comment") == 0;
}

/* Fails on a key that is not in `allowed` (NULL-terminated): a typo must not be ignored. */
static int check_keys(const where_t *w, const json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        int ok = is_comment(w, key);
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            char msg[512];
            size_t off = (size_t)snprintf(msg, sizeof msg, "unknown field '%s' (fields:", key);
            for (const char *const *a = allowed; *a && off < sizeof msg; a++)
                off += (size_t)snprintf(msg + off, sizeof msg - off, " %s", *a);
            if (off < sizeof msg)
                snprintf(msg + off, sizeof msg - off, ")");
            where_t kw = at(w, key, -1);
            return jfail(&kw, msg);
        }
    }
    return 0;
}

/* What a JSON value is, for "must be X, not Y". */
static const char *kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    default:
        return "null";
    }
}

/* "must be <what>, not <kind of v>": a wrong JSON type, named. */
static int type_fail(const where_t *w, const char *what, const json_t *v)
{
    char msg[160];
    snprintf(msg, sizeof msg, "must be %s, not %s", what, kind(v));
    return jfail(w, msg);
}

/* A string of at most max bytes (the protocol's bound for the field). */
static int j_string(const where_t *w, const json_t *v, size_t max, char **out)
{
    if (!json_is_string(v))
        return type_fail(w, "a string", v);
    size_t len = json_string_length(v);
    if (len > max) {
        char msg[128];
        snprintf(msg, sizeof msg, "%zu bytes, more than the limit of %zu bytes", len, max);
        return jfail(w, msg);
    }
    if (strlen(json_string_value(v)) != len)
        return jfail(w, "contains a NUL byte (\\u0000)");
    free(*out);
    *out = strdup(json_string_value(v));
    return *out ? 0 : jfail(w, "out of memory");
}

static int j_double(const where_t *w, const json_t *v, protobuf_c_boolean *has, double *out)
{
    if (!json_is_number(v))
        return type_fail(w, "a number", v);
    *out = json_number_value(v);
    *has = 1;
    return 0;
}

static int j_int(const where_t *w, const json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (!json_is_integer(v))
        return type_fail(w, "an integer", v);
    json_int_t n = json_integer_value(v);
    if (n < lo || n > hi) {
        char msg[96];
        snprintf(msg, sizeof msg, "%lld is out of range [%lld, %lld]", (long long)n, (long long)lo,
                 (long long)hi);
        return jfail(w, msg);
    }
    *out = n;
    return 0;
}

static int j_bool(const where_t *w, const json_t *v, protobuf_c_boolean *has,
                  protobuf_c_boolean *out)
{
    if (!json_is_boolean(v))
        return type_fail(w, "true or false", v);
    *out = json_is_true(v);
    *has = 1;
    return 0;
}

/* Epoch ms as ISO-8601 UTC ("2026-11-30T00:00:00Z", ".mmm" when not whole seconds). */
static void iso_time(int64_t ms, char *buf, size_t len)
{
    time_t s = (time_t)(ms / 1000 - (ms % 1000 < 0));
    int frac = (int)(ms % 1000 + (ms % 1000 < 0) * 1000);
    struct tm tm;
    if (gmtime_r(&s, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
        snprintf(buf, len, "out of the calendar");
        return;
    }
    char sec[24] = "";
    if (frac)
        snprintf(sec, sizeof sec, ".%03d", frac);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sec);
}

/* A time: epoch ms (integer) or, when the caller can parse one, an ISO-8601 UTC string; 0
 * (not set) or in liftd's range [LIFT_TIME_MIN_MS, LIFT_TIME_MAX_MS), told in readable times. */
static int j_time(const where_t *w, const json_t *v, protobuf_c_boolean *has, int64_t *out)
{
    if (json_is_string(v) && w->o->parse_time) {
        char flag[200];
        snprintf(flag, sizeof flag, "%s: %s", w->o->src, w->path);
        if (w->o->parse_time(flag, json_string_value(v), out) != 0)
            return -1;
    } else if (!json_is_integer(v)) {
        return type_fail(w, w->o->parse_time ? "epoch ms or an ISO-8601 UTC time" : "epoch ms", v);
    } else {
        *out = json_integer_value(v);
    }
    if (*out != 0 && (*out < LIFT_TIME_MIN_MS || *out >= LIFT_TIME_MAX_MS)) {
        char t[40], lo[40], hi[40], msg[240];
        iso_time(*out, t, sizeof t);
        iso_time(LIFT_TIME_MIN_MS, lo, sizeof lo);
        iso_time(LIFT_TIME_MAX_MS, hi, sizeof hi);
        snprintf(msg, sizeof msg, "%s (%lld ms) is outside %s .. %s", t, (long long)*out, lo, hi);
        return jfail(w, msg);
    }
    *has = 1;
    return 0;
}

static int j_enum(const where_t *w, const json_t *v, int (*parse)(const char *, int *),
                  const char *(*names)(void), int *out)
{
    if (!json_is_string(v) || parse(json_string_value(v), out) != 0) {
        char msg[400];
        if (json_is_string(v))
            snprintf(msg, sizeof msg, "'%.40s' is not one of: %s", json_string_value(v), names());
        else
            snprintf(msg, sizeof msg, "must be one of: %s; not %s", names(), kind(v));
        return jfail(w, msg);
    }
    return 0;
}

/* A list of enum names into a freshly allocated int-sized enum array. */
static int j_enum_list(const where_t *w, const json_t *v, int (*parse)(const char *, int *),
                       const char *(*names)(void), size_t *n_out, int **out)
{
    if (!json_is_array(v))
        return type_fail(w, "an array of names", v);
    size_t n = json_array_size(v);
    int *arr = malloc((n ? n : 1) * sizeof *arr);
    if (arr == NULL)
        return jfail(w, "out of memory");
    for (size_t i = 0; i < n; i++) {
        where_t iw = at(w, NULL, (int)i);
        if (j_enum(&iw, json_array_get(v, i), parse, names, &arr[i]) != 0) {
            free(arr);
            return -1;
        }
    }
    free(*out);
    *out = arr;
    *n_out = n;
    return 0;
}

static int arm_from_json(const where_t *w, const json_t *v, Lift__Arm *arm)
{
    static const char *const fields[] = {"name", "weight", "payload", NULL};
    if (!json_is_object(v))
        return type_fail(w, "an object {\"name\", \"weight\", \"payload\"}", v);
    if (check_keys(w, v, fields) != 0)
        return -1;
    const char *key;
    json_t *f;
    json_object_foreach((json_t *)v, key, f)
    {
        where_t fw = at(w, key, -1);
        int rc = 0;
        if (is_comment(w, key))
            continue;
        else if (strcmp(key, "name") == 0)
            rc = j_string(&fw, f, LIFT_ARM_NAME_MAX, &arm->name);
        else if (strcmp(key, "weight") == 0)
            rc = j_double(&fw, f, &arm->has_weight, &arm->weight);
        else
            rc = json_is_null(f) ? 0 : j_string(&fw, f, LIFT_TEXT_MAX, &arm->payload);
        if (rc)
            return -1;
    }
    return 0;
}

static int analysis_from_json(const where_t *w, const json_t *v, Lift__Analysis *a)
{
    static const char *const fields[] = {"primary_metric",
                                         "alpha",
                                         "sequential",
                                         "cuped",
                                         "revenue_cap_percentile",
                                         "retention_window_days",
                                         "cost_per_attempt_minor",
                                         "mde",
                                         NULL};
    if (!json_is_object(v))
        return type_fail(w, "an object", v);
    if (check_keys(w, v, fields) != 0)
        return -1;
    const char *key;
    json_t *f;
    json_object_foreach((json_t *)v, key, f)
    {
        where_t fw = at(w, key, -1);
        int rc = 0, e = 0;
        int64_t n = 0;
        if (is_comment(w, key)) {
            continue;
        } else if (strcmp(key, "primary_metric") == 0) {
            rc = j_enum(&fw, f, lift_metric_parse, lift_metric_names, &e);
            a->has_primary_metric = 1;
            a->primary_metric = (Lift__Metric)e;
        } else if (strcmp(key, "alpha") == 0) {
            rc = j_double(&fw, f, &a->has_alpha, &a->alpha);
        } else if (strcmp(key, "sequential") == 0) {
            rc = j_bool(&fw, f, &a->has_sequential, &a->sequential);
        } else if (strcmp(key, "cuped") == 0) {
            rc = j_bool(&fw, f, &a->has_cuped, &a->cuped);
        } else if (strcmp(key, "revenue_cap_percentile") == 0) {
            rc = j_double(&fw, f, &a->has_revenue_cap_percentile, &a->revenue_cap_percentile);
        } else if (strcmp(key, "retention_window_days") == 0) {
            rc = j_int(&fw, f, 0, UINT32_MAX, &n);
            a->has_retention_window_days = 1;
            a->retention_window_days = (uint32_t)n;
        } else if (strcmp(key, "cost_per_attempt_minor") == 0) {
            rc = j_int(&fw, f, INT64_MIN, INT64_MAX, &n);
            a->has_cost_per_attempt_minor = 1;
            a->cost_per_attempt_minor = n;
        } else {
            rc = j_double(&fw, f, &a->has_mde, &a->mde);
        }
        if (rc)
            return -1;
    }
    return 0;
}

static void *new_msg(size_t size, void (*init)(void *))
{
    void *m = malloc(size);
    if (m)
        init(m);
    return m;
}

#define NEW_MSG(type, init_fn) ((type *)new_msg(sizeof(type), (void (*)(void *))init_fn))

static int section_from_json(const where_t *w, const char *key, const json_t *f,
                             Lift__Experiment *e)
{
    if (strcmp(key, "arms") == 0) {
        if (!json_is_array(f))
            return type_fail(w, "an array of {\"name\", \"weight\", \"payload\"}", f);
        size_t n = json_array_size(f);
        if (n > LIFT_ARMS_MAX) {
            char msg[64];
            snprintf(msg, sizeof msg, "%zu arms: at most %d", n, LIFT_ARMS_MAX);
            return jfail(w, msg);
        }
        e->arms = calloc(n ? n : 1, sizeof *e->arms);
        if (e->arms == NULL)
            return jfail(w, "out of memory");
        for (size_t i = 0; i < n; i++) {
            where_t aw = at(w, NULL, (int)i);
            Lift__Arm *arm = NEW_MSG(Lift__Arm, lift__arm__init);
            if (arm == NULL)
                return jfail(&aw, "out of memory");
            e->arms[e->n_arms++] = arm; /* owned by e from here on */
            if (arm_from_json(&aw, json_array_get(f, i), arm) != 0)
                return -1;
        }
        return 0;
    }
    if (strcmp(key, "namespace") == 0) {
        static const char *const fields[] = {"id", "lo", "hi", NULL};
        if (json_is_null(f))
            return 0;
        if (!json_is_object(f))
            return type_fail(w, "an object {\"id\", \"lo\", \"hi\"}", f);
        if (check_keys(w, f, fields) != 0)
            return -1;
        if ((e->namespace_ = NEW_MSG(Lift__Namespace, lift__namespace__init)) == NULL)
            return jfail(w, "out of memory");
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)f, k, v)
        {
            if (is_comment(w, k))
                continue;
            where_t fw = at(w, k, -1);
            Lift__Namespace *ns = e->namespace_;
            int rc = strcmp(k, "id") == 0   ? j_string(&fw, v, LIFT_NAMESPACE_ID_MAX, &ns->id)
                     : strcmp(k, "lo") == 0 ? j_double(&fw, v, &ns->has_lo, &ns->lo)
                                            : j_double(&fw, v, &ns->has_hi, &ns->hi);
            if (rc)
                return -1;
        }
        return 0;
    }
    if (strcmp(key, "eligibility") == 0) {
        static const char *const fields[] = {"triggers", "stages", "channels", NULL};
        if (!json_is_object(f))
            return type_fail(w, "an object {\"triggers\", \"stages\", \"channels\"}", f);
        if (check_keys(w, f, fields) != 0)
            return -1;
        Lift__Eligibility *el = NEW_MSG(Lift__Eligibility, lift__eligibility__init);
        if ((e->eligibility = el) == NULL)
            return jfail(w, "out of memory");
        json_t *v;
        where_t tw = at(w, "triggers", -1), sw = at(w, "stages", -1), cw = at(w, "channels", -1);
        /* The proto enums are int-sized (PROTOBUF_C__FORCE_ENUM_TO_BE_INT_SIZE). */
        if ((v = json_object_get(f, "triggers")) &&
            j_enum_list(&tw, v, lift_trigger_parse, lift_trigger_names, &el->n_triggers,
                        (int **)&el->triggers) != 0)
            return -1;
        if ((v = json_object_get(f, "stages")) &&
            j_enum_list(&sw, v, lift_stage_parse, lift_stage_names, &el->n_stages,
                        (int **)&el->stages) != 0)
            return -1;
        if ((v = json_object_get(f, "channels")) &&
            j_enum_list(&cw, v, lift_channel_parse, lift_channel_names, &el->n_channels,
                        (int **)&el->channels) != 0)
            return -1;
        return 0;
    }
    /* analysis */
    if ((e->analysis = NEW_MSG(Lift__Analysis, lift__analysis__init)) == NULL)
        return jfail(w, "out of memory");
    return analysis_from_json(w, f, e->analysis);
}

_Static_assert(sizeof(Lift__Trigger) == sizeof(int) && sizeof(Lift__Stage) == sizeof(int) &&
                   sizeof(Lift__Channel) == sizeof(int),
               "protobuf-c enums are int-sized");

Lift__Experiment *experiment_json_parse(const json_t *obj, const experiment_json_opts_t *opts)
{
    static const char *const create_fields[] = {
        "key",       "name",        "hypothesis", "owner",  "arms",     "coverage", "seed",
        "namespace", "eligibility", "start_ms",   "end_ms", "analysis", NULL};
    static const char *const all_fields[] = {
        "key",        "name",        "hypothesis", "owner",    "arms",     "coverage", "seed",
        "namespace",  "eligibility", "start_ms",   "end_ms",   "analysis", "status",   "created_ms",
        "started_ms", "updated_ms",  "exposures",  "checksum", NULL};
    where_t w = {opts, ""};
    snprintf(w.path, sizeof w.path, "%s", opts->path ? opts->path : "");
    if (!json_is_object(obj)) {
        jfail(&w, "must be a JSON object mirroring lift.Experiment");
        return NULL;
    }
    if (check_keys(&w, obj, opts->server_fields ? all_fields : create_fields) != 0)
        return NULL;
    Lift__Experiment *e = NEW_MSG(Lift__Experiment, lift__experiment__init);
    if (e == NULL) {
        fprintf(stderr, "%s: out of memory\n", opts->prog);
        return NULL;
    }
    const char *key;
    json_t *f;
    json_object_foreach((json_t *)obj, key, f)
    {
        where_t fw = at(&w, key, -1);
        int rc = 0;
        if (strcmp(key, "key") == 0)
            rc = j_string(&fw, f, LIFT_KEY_MAX, &e->key);
        else if (strcmp(key, "name") == 0)
            rc = j_string(&fw, f, LIFT_NAME_MAX, &e->name);
        else if (strcmp(key, "hypothesis") == 0)
            rc = j_string(&fw, f, LIFT_TEXT_MAX, &e->hypothesis);
        else if (strcmp(key, "owner") == 0)
            rc = j_string(&fw, f, LIFT_NAME_MAX, &e->owner);
        else if (strcmp(key, "seed") == 0)
            rc = j_string(&fw, f, LIFT_SEED_MAX, &e->seed);
        else if (strcmp(key, "coverage") == 0)
            rc = j_double(&fw, f, &e->has_coverage, &e->coverage);
        else if (strcmp(key, "start_ms") == 0)
            rc = j_time(&fw, f, &e->has_start_ms, &e->start_ms);
        else if (strcmp(key, "end_ms") == 0)
            rc = j_time(&fw, f, &e->has_end_ms, &e->end_ms);
        else if (strcmp(key, "arms") == 0 || strcmp(key, "namespace") == 0 ||
                 strcmp(key, "eligibility") == 0 || strcmp(key, "analysis") == 0)
            rc = section_from_json(&fw, key, f, e);
        /* else: "_comment" or a server-set field, ignored on create */
        if (rc) {
            lift__experiment__free_unpacked(e, NULL);
            return NULL;
        }
    }
    return e;
}
