/* liftctl holdout: create, list, show, start, stop, check — program holdouts (a hash slice of
 * customers kept out of every linked upsell experiment, compared with an equally sized
 * measurement slice). Checks every flag locally; the server validates the whole definition. */
#include "cmd.h"
#include "out.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/limits.h"

#define CMD "holdout"
#define LIST_MAX 10000 /* items of one list flag (the server's bounds are smaller for some) */

typedef struct {
    char **v;
    size_t n, cap;
} strs_t;

static void strs_free(strs_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int strs_add(strs_t *s, const char *item, size_t len)
{
    if (s->n >= LIST_MAX) {
        fprintf(stderr, "liftctl: more than %d items in one list\n", LIST_MAX);
        return -1;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    if ((s->v[s->n] = strndup(item, len)) == NULL)
        return -1;
    s->n++;
    return 0;
}

static int add_item(const char *flag, const char *item, void *arg)
{
    (void)flag;
    return strs_add(arg, item, strlen(item));
}

/* Comma-separated items of s into out (liftctl_each_item: empty items are an error). */
static int split(const char *flag, const char *s, strs_t *out)
{
    return liftctl_each_item(flag, s, add_item, out);
}

/* One id per line (blank lines and lines starting with # skipped). */
static int read_ids(const char *flag, const char *path, strs_t *out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "liftctl: %s: cannot open %s\n", flag, path);
        return -1;
    }
    char line[512];
    int rc = 0, lineno = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strcspn(line, "\r\n");
        if (line[n] == '\0' && !feof(f)) {
            fprintf(stderr, "liftctl: %s: %s:%d: line longer than %zu bytes\n", flag, path, lineno,
                    sizeof line - 2);
            rc = -1;
            break;
        }
        if (n == 0 || line[0] == '#')
            continue;
        rc = strs_add(out, line, n);
    }
    fclose(f);
    return rc;
}

static int parse_enums(const char *flag, const char *s, int (*parse)(const char *, int *),
                       const char *(*names)(void), int **v, size_t *n)
{
    strs_t items = {0};
    if (split(flag, s, &items) != 0) {
        strs_free(&items);
        return -1;
    }
    int *out = calloc(items.n ? items.n : 1, sizeof *out);
    int rc = out ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < items.n; i++)
        rc = liftctl_parse_enum(flag, items.v[i], parse, names, &out[i]);
    strs_free(&items);
    if (rc != 0) {
        free(out);
        return -1;
    }
    free(*v);
    *v = out;
    *n = items.n ? items.n : 0;
    return 0;
}

/* ---- output ------------------------------------------------------------------------------ */

static void json_enum_list(json_t *o, const char *k, const int *v, size_t n,
                           const char *(*name)(int))
{
    if (!n)
        return;
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(name(v[i])));
    json_object_set_new(o, k, a);
}

static json_t *str_array(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *holdout_to_json(const Lift__Holdout *h)
{
    json_t *o = json_object();
    char t[40];
    json_object_set_new(o, "key", json_string(h->key ? h->key : ""));
    if (h->name)
        json_object_set_new(o, "name", json_string(h->name));
    if (h->owner)
        json_object_set_new(o, "owner", json_string(h->owner));
    json_object_set_new(o, "percent", json_real(h->percent));
    if (h->seed)
        json_object_set_new(o, "seed", json_string(h->seed));
    if (h->has_start_ms && h->start_ms) {
        liftctl_format_time(h->start_ms, t, sizeof t);
        json_object_set_new(o, "start", json_string(t));
    }
    if (h->has_end_ms && h->end_ms) {
        liftctl_format_time(h->end_ms, t, sizeof t);
        json_object_set_new(o, "end", json_string(t));
    }
    json_object_set_new(
        o, "link",
        json_string(h->link == LIFT__HOLDOUT_LINK__LINK_EXPLICIT ? "explicit" : "started_after"));
    if (h->n_experiment_keys)
        json_object_set_new(o, "experiment_keys",
                            str_array(h->experiment_keys, h->n_experiment_keys));
    if (h->scope) {
        json_t *s = json_object();
        json_enum_list(s, "triggers", (const int *)h->scope->triggers, h->scope->n_triggers,
                       lift_trigger_name);
        json_enum_list(s, "stages", (const int *)h->scope->stages, h->scope->n_stages,
                       lift_stage_name);
        json_enum_list(s, "channels", (const int *)h->scope->channels, h->scope->n_channels,
                       lift_channel_name);
        json_object_set_new(o, "scope", s);
    }
    if (h->exclusions) {
        json_t *x = json_object();
        json_object_set_new(x, "customer_ids",
                            str_array(h->exclusions->customer_ids, h->exclusions->n_customer_ids));
        json_object_set_new(x, "id_prefixes",
                            str_array(h->exclusions->id_prefixes, h->exclusions->n_id_prefixes));
        json_object_set_new(o, "exclusions", x);
    }
    if (h->has_status)
        json_object_set_new(o, "status", json_string(lift_status_name(h->status)));
    if (h->has_created_ms) {
        liftctl_format_time(h->created_ms, t, sizeof t);
        json_object_set_new(o, "created", json_string(t));
    }
    if (h->has_started_ms && h->started_ms) {
        liftctl_format_time(h->started_ms, t, sizeof t);
        json_object_set_new(o, "started", json_string(t));
    }
    if (h->has_held_out)
        json_object_set_new(o, "held_out", json_integer((json_int_t)h->held_out));
    if (h->has_measured)
        json_object_set_new(o, "measured", json_integer((json_int_t)h->measured));
    return o;
}

static void print_list(const char *label, char **v, size_t n)
{
    char b[LIFT_SAFE_CAP(128)];
    printf("  %-16s", label);
    if (!n)
        printf("-");
    for (size_t i = 0; i < n && i < 20; i++)
        printf("%s%s", i ? ", " : "", lift_safe_text(v[i], b, sizeof b));
    if (n > 20)
        printf(", ... (%zu in all)", n);
    printf("\n");
}

static void print_enums(const char *label, const int *v, size_t n, const char *(*name)(int))
{
    printf("  %-16s", label);
    if (!n)
        printf("all");
    for (size_t i = 0; i < n; i++)
        printf("%s%s", i ? ", " : "", name(v[i]));
    printf("\n");
}

static void print_holdout(const Lift__Holdout *h)
{
    char b[LIFT_SAFE_CAP(256)], t[40];
    printf("holdout %s\n", lift_safe_text(h->key, b, sizeof b));
    if (h->name)
        printf("  %-16s%s\n", "name", lift_safe_text(h->name, b, sizeof b));
    if (h->owner)
        printf("  %-16s%s\n", "owner", lift_safe_text(h->owner, b, sizeof b));
    printf("  %-16s%s\n", "status", h->has_status ? lift_status_name(h->status) : "-");
    printf("  %-16s%g%% held out, %g%% measured (hash ranges [0, %g) and [%g, %g))\n", "percent",
           h->percent, h->percent, h->percent / 100, h->percent / 100, 2 * h->percent / 100);
    printf("  %-16s%s\n", "seed", h->seed ? lift_safe_text(h->seed, b, sizeof b) : "-");
    if (h->n_experiment_keys)
        print_list("linked", h->experiment_keys, h->n_experiment_keys);
    else
        printf("  %-16severy experiment started after the holdout\n", "linked");
    print_enums("triggers", h->scope ? (const int *)h->scope->triggers : NULL,
                h->scope ? h->scope->n_triggers : 0, lift_trigger_name);
    print_enums("stages", h->scope ? (const int *)h->scope->stages : NULL,
                h->scope ? h->scope->n_stages : 0, lift_stage_name);
    print_enums("channels", h->scope ? (const int *)h->scope->channels : NULL,
                h->scope ? h->scope->n_channels : 0, lift_channel_name);
    print_list("excluded ids", h->exclusions ? h->exclusions->customer_ids : NULL,
               h->exclusions ? h->exclusions->n_customer_ids : 0);
    print_list("excl. prefixes", h->exclusions ? h->exclusions->id_prefixes : NULL,
               h->exclusions ? h->exclusions->n_id_prefixes : 0);
    if (h->start_ms) {
        liftctl_format_time(h->start_ms, t, sizeof t);
        printf("  %-16s%s\n", "start", t);
    }
    if (h->end_ms) {
        liftctl_format_time(h->end_ms, t, sizeof t);
        printf("  %-16s%s\n", "end", t);
    }
    if (h->has_started_ms && h->started_ms) {
        liftctl_format_time(h->started_ms, t, sizeof t);
        printf("  %-16s%s\n", "started", t);
    }
    if (h->has_held_out)
        printf("  %-16s%llu held out, %llu measured\n", "recorded", (unsigned long long)h->held_out,
               (unsigned long long)h->measured);
}

static void output(const liftctl_opts_t *o, const Lift__Holdout *h)
{
    if (o->json) {
        json_t *j = holdout_to_json(h);
        liftctl_json_print(j, stdout, JSON_INDENT(2));
        json_decref(j);
    } else {
        print_holdout(h);
    }
}

/* ---- commands ---------------------------------------------------------------------------- */

static int bad_key(const char *what, const char *key)
{
    char b[LIFT_SAFE_CAP(80)];
    fprintf(stderr, "liftctl: %s: '%s' must be 1..%d of a-z 0-9 - _ .\n", what,
            lift_safe_text(key, b, sizeof b), LIFT_KEY_MAX);
    return LIFTCTL_USAGE;
}

static int call(const liftctl_opts_t *o, Lift__Request *req, Lift__Reply **reply)
{
    lift_client_t *c = liftctl_connect(o);
    if (c == NULL)
        return LIFTCTL_USAGE;
    lift_err_t e = lift_call(c, req, reply, NULL, 0);
    int rc = e == LIFT_OK ? LIFTCTL_OK : liftctl_fail(c, e);
    lift_client_destroy(&c);
    return rc;
}

static void create_help(void)
{
    printf("usage: liftctl holdout create KEY --percent P (--experiments K1,K2 | --started-after)\n"
           "                              [options]\n\n"
           "Registers a program holdout (status draft): P%% of customers (hash of seed and id\n"
           "below P/100) get no upsell from any linked experiment; an equally sized measurement\n"
           "slice (P/100 <= hash < 2P/100) is treated as usual and measured.\n\n"
           "  --percent P            held-out share in percent, (0, 50] (typically 1..10)\n"
           "  --experiments LIST     link these experiment keys (comma-separated)\n"
           "  --started-after        link every experiment first started after the holdout\n"
           "  --seed S               hash seed (default: the key)\n"
           "  --name N, --owner O    descriptive\n"
           "  --start T, --end T     decisions only in [T1, T2) (YYYY-MM-DD, ISO time, epoch ms)\n"
           "  --triggers LIST, --stages LIST, --channels LIST   scope (default: every value)\n"
           "  --exclude-ids LIST     customers neither held out nor measured (comma-separated)\n"
           "  --exclude-ids-file F   the same, one id per line (# comments)\n"
           "  --exclude-prefix LIST  customers whose id starts with one of these (e.g. test-)\n");
}

static int do_create(const liftctl_opts_t *o, int argc, char **argv)
{
    liftctl_opts_t opts = *o;
    const char *key = NULL, *v;
    Lift__Holdout h = LIFT__HOLDOUT__INIT;
    Lift__Eligibility scope = LIFT__ELIGIBILITY__INIT;
    Lift__Exclusions ex = LIFT__EXCLUSIONS__INIT;
    strs_t exps = {0}, ids = {0}, prefixes = {0};
    int *trig = NULL, *stag = NULL, *chan = NULL, r, rc = LIFTCTL_USAGE, have_scope = 0;
    int started_after = 0;
    for (int i = 1; i < argc; i++) {
        int g;
        if (liftctl_is_help(argv[i])) {
            create_help();
            rc = LIFTCTL_OK;
            goto done;
        }
        if ((g = liftctl_global_flag(&opts, argc, argv, &i)) != 0) {
            if (g < 0)
                goto done;
            continue;
        }
        if ((r = liftctl_flag(argc, argv, &i, "--percent", &v)) != 0) {
            if (r < 0 || liftctl_parse_double("--percent", v, 0, 1, LIFT_HOLDOUT_PERCENT_MAX, 0,
                                              &h.percent) != 0)
                goto done;
            h.has_percent = 1;
        } else if ((r = liftctl_flag(argc, argv, &i, "--seed", &v)) != 0) {
            if (r < 0)
                goto done;
            h.seed = (char *)v;
        } else if ((r = liftctl_flag(argc, argv, &i, "--name", &v)) != 0) {
            if (r < 0)
                goto done;
            h.name = (char *)v;
        } else if ((r = liftctl_flag(argc, argv, &i, "--owner", &v)) != 0) {
            if (r < 0)
                goto done;
            h.owner = (char *)v;
        } else if ((r = liftctl_flag(argc, argv, &i, "--start", &v)) != 0) {
            if (r < 0 || liftctl_parse_time("--start", v, &h.start_ms) != 0)
                goto done;
            h.has_start_ms = 1;
        } else if ((r = liftctl_flag(argc, argv, &i, "--end", &v)) != 0) {
            if (r < 0 || liftctl_parse_time("--end", v, &h.end_ms) != 0)
                goto done;
            h.has_end_ms = 1;
        } else if ((r = liftctl_flag(argc, argv, &i, "--experiments", &v)) != 0) {
            if (r < 0 || split("--experiments", v, &exps) != 0)
                goto done;
        } else if (strcmp(argv[i], "--started-after") == 0) {
            started_after = 1;
        } else if ((r = liftctl_flag(argc, argv, &i, "--triggers", &v)) != 0) {
            if (r < 0 || parse_enums("--triggers", v, lift_trigger_parse, lift_trigger_names, &trig,
                                     &scope.n_triggers) != 0)
                goto done;
            have_scope = 1;
        } else if ((r = liftctl_flag(argc, argv, &i, "--stages", &v)) != 0) {
            if (r < 0 || parse_enums("--stages", v, lift_stage_parse, lift_stage_names, &stag,
                                     &scope.n_stages) != 0)
                goto done;
            have_scope = 1;
        } else if ((r = liftctl_flag(argc, argv, &i, "--channels", &v)) != 0) {
            if (r < 0 || parse_enums("--channels", v, lift_channel_parse, lift_channel_names, &chan,
                                     &scope.n_channels) != 0)
                goto done;
            have_scope = 1;
        } else if ((r = liftctl_flag(argc, argv, &i, "--exclude-ids", &v)) != 0) {
            if (r < 0 || split("--exclude-ids", v, &ids) != 0)
                goto done;
        } else if ((r = liftctl_flag(argc, argv, &i, "--exclude-ids-file", &v)) != 0) {
            if (r < 0 || read_ids("--exclude-ids-file", v, &ids) != 0)
                goto done;
        } else if ((r = liftctl_flag(argc, argv, &i, "--exclude-prefix", &v)) != 0) {
            if (r < 0 || split("--exclude-prefix", v, &prefixes) != 0)
                goto done;
        } else if (argv[i][0] == '-' || key) {
            liftctl_usage_error("holdout create", "holdout create: unexpected argument '%s'",
                                argv[i]);
            goto done;
        } else {
            key = argv[i];
        }
    }
    if (!key) {
        liftctl_usage_error("holdout create", "holdout create: missing KEY");
        goto done;
    }
    if (!liftctl_valid_key(key)) {
        rc = bad_key("KEY", key);
        goto done;
    }
    if (!h.has_percent) {
        liftctl_usage_error("holdout create", "holdout create: missing --percent P, (0, 50]");
        goto done;
    }
    if (started_after == (exps.n > 0)) {
        liftctl_usage_error("holdout create", "holdout create: give --experiments LIST or "
                                              "--started-after (one of them)");
        goto done;
    }
    for (size_t i = 0; i < exps.n; i++)
        if (!liftctl_valid_key(exps.v[i])) {
            rc = bad_key("--experiments", exps.v[i]);
            goto done;
        }
    h.key = (char *)key;
    h.has_link = 1;
    h.link =
        started_after ? LIFT__HOLDOUT_LINK__LINK_STARTED_AFTER : LIFT__HOLDOUT_LINK__LINK_EXPLICIT;
    h.n_experiment_keys = exps.n;
    h.experiment_keys = exps.v;
    if (have_scope) {
        scope.triggers = (Lift__Trigger *)trig;
        scope.stages = (Lift__Stage *)stag;
        scope.channels = (Lift__Channel *)chan;
        h.scope = &scope;
    }
    if (ids.n || prefixes.n) {
        ex.n_customer_ids = ids.n;
        ex.customer_ids = ids.v;
        ex.n_id_prefixes = prefixes.n;
        ex.id_prefixes = prefixes.v;
        h.exclusions = &ex;
    }
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__CreateHoldout ch = LIFT__CREATE_HOLDOUT__INIT;
    ch.holdout = &h;
    req.body_case = LIFT__REQUEST__BODY_CREATE_HOLDOUT;
    req.create_holdout = &ch;
    Lift__Reply *reply = NULL;
    rc = call(&opts, &req, &reply);
    if (rc == LIFTCTL_OK && reply && reply->body_case == LIFT__REPLY__BODY_HOLDOUT)
        output(&opts, reply->holdout);
    lift_reply_free(&reply);
done:
    strs_free(&exps);
    strs_free(&ids);
    strs_free(&prefixes);
    free(trig);
    free(stag);
    free(chan);
    return rc;
}

static int do_list(const liftctl_opts_t *o, int argc, char **argv)
{
    liftctl_opts_t opts = *o;
    for (int i = 1; i < argc; i++) {
        int g;
        if (liftctl_is_help(argv[i])) {
            printf("usage: liftctl holdout list\n\nEvery program holdout with its status and "
                   "the recorded sizes of its two groups.\n");
            return LIFTCTL_OK;
        }
        if ((g = liftctl_global_flag(&opts, argc, argv, &i)) != 0) {
            if (g < 0)
                return LIFTCTL_USAGE;
            continue;
        }
        return liftctl_usage_error("holdout list", "holdout list: unexpected argument '%s'",
                                   argv[i]);
    }
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__ListHoldouts lh = LIFT__LIST_HOLDOUTS__INIT;
    req.body_case = LIFT__REQUEST__BODY_LIST_HOLDOUTS;
    req.list_holdouts = &lh;
    Lift__Reply *reply = NULL;
    int rc = call(&opts, &req, &reply);
    if (rc == LIFTCTL_OK) {
        size_t n = reply && reply->body_case == LIFT__REPLY__BODY_HOLDOUTS
                       ? reply->holdouts->n_holdouts
                       : 0;
        if (opts.json) {
            json_t *a = json_array();
            for (size_t i = 0; i < n; i++)
                json_array_append_new(a, holdout_to_json(reply->holdouts->holdouts[i]));
            liftctl_json_print(a, stdout, JSON_INDENT(2));
            json_decref(a);
        } else {
            printf("%-24s %-8s %8s %10s %10s  %s\n", "KEY", "STATUS", "PERCENT", "HELD_OUT",
                   "MEASURED", "LINKED");
            for (size_t i = 0; i < n; i++) {
                const Lift__Holdout *h = reply->holdouts->holdouts[i];
                char b[LIFT_SAFE_CAP(64)];
                printf("%-24s %-8s %7g%% %10llu %10llu  ", lift_safe_text(h->key, b, sizeof b),
                       lift_status_name(h->status), h->percent, (unsigned long long)h->held_out,
                       (unsigned long long)h->measured);
                if (h->link == LIFT__HOLDOUT_LINK__LINK_STARTED_AFTER)
                    printf("started after it\n");
                else
                    printf("%zu experiment(s)\n", h->n_experiment_keys);
            }
        }
    }
    lift_reply_free(&reply);
    return rc;
}

static int do_key(const liftctl_opts_t *o, int argc, char **argv, int action)
{
    liftctl_opts_t opts = *o;
    const char *key = NULL;
    char where[32];
    snprintf(where, sizeof where, "holdout %s", argv[0]);
    for (int i = 1; i < argc; i++) {
        int g;
        if (liftctl_is_help(argv[i])) {
            printf("usage: liftctl holdout %s KEY\n\n%s\n", argv[0],
                   action == 0 ? "The definition, status and recorded group sizes."
                   : action == LIFT__ACTION__ACTION_START
                       ? "draft -> running: linked experiments hold its members out from now."
                       : "-> stopped (final): every member is released at once.");
            return LIFTCTL_OK;
        }
        if ((g = liftctl_global_flag(&opts, argc, argv, &i)) != 0) {
            if (g < 0)
                return LIFTCTL_USAGE;
            continue;
        }
        if (argv[i][0] == '-' || key)
            return liftctl_usage_error(where, "%s: unexpected argument '%s'", where, argv[i]);
        key = argv[i];
    }
    if (!key)
        return liftctl_usage_error(where, "%s: missing KEY", where);
    if (!liftctl_valid_key(key))
        return bad_key("KEY", key);
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__GetHoldout gh = LIFT__GET_HOLDOUT__INIT;
    Lift__ChangeHoldout ch = LIFT__CHANGE_HOLDOUT__INIT;
    if (action == 0) {
        gh.key = (char *)key;
        req.body_case = LIFT__REQUEST__BODY_GET_HOLDOUT;
        req.get_holdout = &gh;
    } else {
        ch.key = (char *)key;
        ch.has_action = 1;
        ch.action = (Lift__Action)action;
        req.body_case = LIFT__REQUEST__BODY_CHANGE_HOLDOUT;
        req.change_holdout = &ch;
    }
    Lift__Reply *reply = NULL;
    int rc = call(&opts, &req, &reply);
    if (rc == LIFTCTL_OK && reply && reply->body_case == LIFT__REPLY__BODY_HOLDOUT) {
        if (action == 0 || opts.json)
            output(&opts, reply->holdout);
        else
            printf("%s: %s\n", key, lift_status_name(reply->holdout->status));
    }
    lift_reply_free(&reply);
    return rc;
}

static const char *group_name(int g)
{
    switch (g) {
    case LIFT__HOLDOUT_GROUP__GROUP_HELD_OUT:
        return "held_out";
    case LIFT__HOLDOUT_GROUP__GROUP_MEASURED:
        return "measured";
    case LIFT__HOLDOUT_GROUP__GROUP_EXCLUDED:
        return "excluded";
    default:
        return "none";
    }
}

static int do_check(const liftctl_opts_t *o, int argc, char **argv)
{
    liftctl_opts_t opts = *o;
    const char *key = NULL;
    strs_t ids = {0};
    int rc = LIFTCTL_USAGE;
    for (int i = 1; i < argc; i++) {
        int g;
        if (liftctl_is_help(argv[i])) {
            printf("usage: liftctl holdout check KEY CUSTOMER...\n\nFor each customer: held out "
                   "(yes: send no upsell) and the group by hash and exclusions (none, held_out,\n"
                   "measured, excluded). Exit status 0 when every answer came back.\n");
            rc = LIFTCTL_OK;
            goto done;
        }
        if ((g = liftctl_global_flag(&opts, argc, argv, &i)) != 0) {
            if (g < 0)
                goto done;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] == '-') {
            liftctl_usage_error("holdout check", "holdout check: unknown flag '%s'", argv[i]);
            goto done;
        }
        if (!key)
            key = argv[i];
        else if (strs_add(&ids, argv[i], strlen(argv[i])) != 0)
            goto done;
    }
    if (!key || !ids.n) {
        liftctl_usage_error("holdout check", "holdout check: need KEY and at least one CUSTOMER");
        goto done;
    }
    if (!liftctl_valid_key(key)) {
        rc = bad_key("KEY", key);
        goto done;
    }
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__IsHeldOut q = LIFT__IS_HELD_OUT__INIT;
    q.holdout_key = (char *)key;
    q.n_customer_ids = ids.n;
    q.customer_ids = ids.v;
    req.body_case = LIFT__REQUEST__BODY_IS_HELD_OUT;
    req.is_held_out = &q;
    Lift__Reply *reply = NULL;
    rc = call(&opts, &req, &reply);
    if (rc == LIFTCTL_OK && reply && reply->body_case == LIFT__REPLY__BODY_HELD_OUT) {
        const Lift__HeldOutReply *r = reply->held_out;
        json_t *a = opts.json ? json_array() : NULL;
        for (size_t i = 0; i < r->n_customers; i++) {
            const Lift__HeldOut *c = r->customers[i];
            char b[LIFT_SAFE_CAP(128)], m[LIFT_SAFE_CAP(200)];
            if (a) {
                json_t *j = json_pack("{s:s,s:b,s:s}", "customer_id", c->customer_id, "held_out",
                                      (int)c->held_out, "group", group_name(c->group));
                if (c->error && c->error->message)
                    json_object_set_new(j, "error", json_string(c->error->message));
                json_array_append_new(a, j);
            } else if (c->error) {
                printf(
                    "%s\terror: %s\n", lift_safe_text(c->customer_id, b, sizeof b),
                    lift_safe_text(c->error->message ? c->error->message : "invalid", m, sizeof m));
                rc = LIFTCTL_ERR;
            } else {
                printf("%s\t%s\t%s\n", lift_safe_text(c->customer_id, b, sizeof b),
                       c->held_out ? "held_out" : "not_held_out", group_name(c->group));
            }
        }
        if (a) {
            liftctl_json_print(a, stdout, JSON_INDENT(2));
            json_decref(a);
        }
    }
    lift_reply_free(&reply);
done:
    strs_free(&ids);
    return rc;
}

static void help(FILE *out)
{
    fprintf(out,
            "usage: liftctl holdout <sub-command> ...\n"
            "\n"
            "  create KEY --percent P (--experiments LIST | --started-after) [...]   register\n"
            "  list                                   every holdout, status, group sizes\n"
            "  show KEY                               definition and state\n"
            "  start KEY | stop KEY                   change status (stop releases members)\n"
            "  check KEY CUSTOMER...                  is each customer held out now?\n"
            "\n"
            "`liftctl holdout <sub-command> --help` for details; --json for JSON output;\n"
            "`liftctl report --holdout KEY` for the program report.\n");
}

int cmd_holdout(const liftctl_opts_t *opts, int argc, char **argv)
{
    int rc;
    const char *sub = liftctl_sub_command(argc, argv, help, &rc);
    if (sub == NULL)
        return rc;
    argc--;
    argv++;
    if (strcmp(sub, "create") == 0)
        return do_create(opts, argc, argv);
    if (strcmp(sub, "list") == 0)
        return do_list(opts, argc, argv);
    if (strcmp(sub, "show") == 0)
        return do_key(opts, argc, argv, 0);
    if (strcmp(sub, "start") == 0)
        return do_key(opts, argc, argv, LIFT__ACTION__ACTION_START);
    if (strcmp(sub, "stop") == 0)
        return do_key(opts, argc, argv, LIFT__ACTION__ACTION_STOP);
    if (strcmp(sub, "check") == 0)
        return do_check(opts, argc, argv);
    return liftctl_usage_error(CMD,
                               "holdout: unknown sub-command '%s' (create, list, show, "
                               "start, stop, check)",
                               sub);
}
