/* testutil: temp dirs and a real liftd child for the integration suites. */

#include "testutil.h"

#include "pgharness.h"

#include "store.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void tu_tempdir(char *buf, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, len, "%s/lift-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp %s: %s", buf, strerror(errno));
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rmtree(const char *dir)
{
    if (dir && *dir)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int64_t tu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double tu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

Lift__Experiment *tu_two_arms(tu_experiment_t *t, const char *key, double w0, double w1)
{
    static const Lift__Experiment x0 = LIFT__EXPERIMENT__INIT;
    static const Lift__Arm a0 = LIFT__ARM__INIT;
    t->x = x0;
    for (int i = 0; i < 2; i++) {
        t->arm[i] = a0;
        t->arm[i].has_weight = 1;
        t->arm[i].weight = i ? w1 : w0;
        t->arms[i] = &t->arm[i];
    }
    t->arm[0].name = "holdout";
    t->arm[1].name = "offer";
    t->x.key = (char *)key;
    t->x.n_arms = 2;
    t->x.arms = t->arms;
    return &t->x;
}

void tu_program(const char *name, char *buf, size_t len)
{
    const char *b = getenv("LIFT_BUILD");
    snprintf(buf, len, "%s/%s", b && *b ? b : "build", name);
}

void tu_liftd_init(tliftd_t *t)
{
    memset(t, 0, sizeof *t);
    tu_tempdir(t->dir, sizeof t->dir);
    snprintf(t->data, sizeof t->data, "%s/data", t->dir);
    snprintf(t->endpoint, sizeof t->endpoint, "ipc://%s/lift.sock", t->dir);
    if (tu_store_backend_pg())
        tu_pg_newdb(t->store, sizeof t->store);
}

int tu_store_backend_pg(void)
{
    const char *b = getenv("LIFT_TEST_STORE");
    return b && !strcmp(b, "postgresql");
}

const char *tu_liftd_store(const tliftd_t *t)
{
    return t->store[0] ? t->store : t->data;
}

void tu_liftd_start(tliftd_t *t, const char *const *extra)
{
    char prog[512];
    tu_program("liftd", prog, sizeof prog);
    const char *argv[32] = {prog,
                            "--endpoint",
                            t->endpoint,
                            t->store[0] ? "--store" : "--data",
                            t->store[0] ? t->store : t->data,
                            "--log-level",
                            "warn"};
    int argc = 7;
    for (int i = 0; extra && extra[i] && argc < 31; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        execv(prog, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", prog, strerror(errno));
        _exit(127);
    }
    t->pid = pid;
    if (!t->client) {
        lift_client_opts_t o = {.timeout_ms = 2000, .attempts = 3};
        t->client = lift_client_new(t->endpoint, &o);
        ck_assert_ptr_nonnull(t->client);
    }
    /* Wait until it answers (a fresh ping client with short timeouts). */
    lift_client_opts_t quick = {.timeout_ms = 100, .attempts = 1};
    lift_client_t *probe = lift_client_new(t->endpoint, &quick);
    ck_assert_ptr_nonnull(probe);
    int ok = 0;
    for (int i = 0; i < 200 && !ok; i++) {
        int status;
        ck_assert_msg(waitpid(pid, &status, WNOHANG) == 0, "liftd exited during start-up");
        ok = lift_ping(probe, NULL, 0, NULL) == LIFT_OK;
    }
    lift_client_destroy(&probe);
    ck_assert_msg(ok, "liftd did not answer a ping within 20 s");
}

int tu_liftd_stop(tliftd_t *t)
{
    int status = 0;
    if (t->pid <= 0)
        return -1;
    kill(t->pid, SIGTERM);
    while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR)
        ;
    t->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void tu_liftd_kill(tliftd_t *t)
{
    int status;
    if (t->pid <= 0)
        return;
    kill(t->pid, SIGKILL);
    while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR)
        ;
    t->pid = 0;
}

void tu_liftd_fini(tliftd_t *t)
{
    if (t->pid > 0)
        tu_liftd_stop(t);
    lift_client_destroy(&t->client);
    tu_rmtree(t->dir);
}

tliftd_t tu_liftd;

void tu_setup(void)
{
    tu_liftd_init(&tu_liftd);
    tu_liftd_start(&tu_liftd, NULL);
}

void tu_teardown(void)
{
    tu_liftd_fini(&tu_liftd);
}

/* ---- stored facts through the store interface ------------------------------------------- */

typedef struct {
    const tu_event_filter_t *f; /* the filter */
    tu_events_t *out;           /* what matched */
    char **ids;                 /* the matching ids, for distinct_ids */
    size_t n_ids, cap_ids;      /* used / allocated entries in ids */
} ev_fold_t;

static int ev_match(void *arg, const store_event_t *e)
{
    ev_fold_t *s = arg;
    const tu_event_filter_t *f = s->f;
    if (f && ((f->event_id && strcmp(e->event_id, f->event_id) != 0) ||
              (f->id_prefix && strncmp(e->event_id, f->id_prefix, strlen(f->id_prefix)) != 0) ||
              (f->customer && strcmp(e->customer_id, f->customer) != 0) ||
              (f->plan_to && (!e->plan_to || strcmp(e->plan_to, f->plan_to) != 0)) ||
              (f->type && e->type != f->type)))
        return 0;
    s->out->count++;
    s->out->amount_sum += e->has_amount ? e->amount_minor : 0;
    s->out->amount = e->has_amount ? e->amount_minor : 0;
    if (s->n_ids == s->cap_ids) {
        s->cap_ids = s->cap_ids ? s->cap_ids * 2 : 1024;
        s->ids = realloc(s->ids, s->cap_ids * sizeof *s->ids);
        ck_assert_ptr_nonnull(s->ids);
    }
    s->ids[s->n_ids] = strdup(e->event_id);
    ck_assert_ptr_nonnull(s->ids[s->n_ids]);
    s->n_ids++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void tu_store_begin(store_t *s)
{
    char err[512] = "";
    ck_assert_msg(store_begin(s, err, sizeof err) == 0, "store_begin: %s", err);
}

void tu_store_commit(store_t *s)
{
    char err[512] = "";
    ck_assert_msg(store_commit(s, err, sizeof err) == 0, "store_commit: %s", err);
}

static store_reader_t *reader(const char *store)
{
    char err[512] = "";
    store_reader_t *rd = store_reader_open(store, err, sizeof err);
    ck_assert_msg(rd != NULL, "store_reader_open %s: %s", store, err);
    ck_assert_msg(store_reader_begin(rd, err, sizeof err) == 0, "reader begin: %s", err);
    return rd;
}

tu_events_t tu_store_events(const char *store, const tu_event_filter_t *f)
{
    tu_events_t out = {0};
    ev_fold_t s = {.f = f, .out = &out};
    store_reader_t *rd = reader(store);
    ck_assert_msg(store_reader_all_events(rd, ev_match, &s) == 0, "reading events: %s",
                  store_reader_errmsg(rd));
    store_reader_end(rd);
    store_reader_destroy(&rd);
    if (s.n_ids)
        qsort(s.ids, s.n_ids, sizeof *s.ids, cmp_str);
    for (size_t i = 0; i < s.n_ids; i++) {
        out.distinct_ids += i == 0 || strcmp(s.ids[i], s.ids[i - 1]) != 0;
        if (i)
            free(s.ids[i - 1]);
    }
    if (s.n_ids)
        free(s.ids[s.n_ids - 1]);
    free(s.ids);
    return out;
}

typedef struct {
    tu_store_summary_t *out; /* the summary */
    int64_t ids[256];        /* experiment ids, for their exposures */
    int n;                   /* used entries in ids */
} sum_fold_t;

static int sum_experiment(void *arg, const store_experiment_t *x)
{
    sum_fold_t *s = arg;
    s->out->experiments++;
    s->out->status_sum += x->status;
    s->out->coverage_sum += x->coverage;
    ck_assert_int_lt(s->n, 256);
    s->ids[s->n++] = x->id;
    return 0;
}

static int sum_exposure(void *arg, const store_exposure_t *e)
{
    tu_store_summary_t *out = arg;
    if (out->exposures++ == 0) {
        out->trigger_min = out->trigger_max = e->trigger;
        out->channel_min = out->channel_max = e->channel;
    }
    out->trigger_min = e->trigger < out->trigger_min ? e->trigger : out->trigger_min;
    out->trigger_max = e->trigger > out->trigger_max ? e->trigger : out->trigger_max;
    out->channel_min = e->channel < out->channel_min ? e->channel : out->channel_min;
    out->channel_max = e->channel > out->channel_max ? e->channel : out->channel_max;
    return 0;
}

tu_store_summary_t tu_store_summary(const char *store)
{
    tu_store_summary_t out;
    memset(&out, 0, sizeof out);
    sum_fold_t s = {.out = &out};
    store_reader_t *rd = reader(store);
    ck_assert_msg(store_reader_experiments(rd, sum_experiment, &s) == 0, "reading experiments: %s",
                  store_reader_errmsg(rd));
    for (int i = 0; i < s.n; i++)
        ck_assert_msg(store_reader_exposures(rd, s.ids[i], sum_exposure, &out) == 0,
                      "reading exposures: %s", store_reader_errmsg(rd));
    out.events = store_reader_event_count(rd);
    ck_assert_int_ge(out.events, 0);
    store_reader_end(rd);
    store_reader_destroy(&rd);
    return out;
}

Lift__Reply *tu_handle(handlers_t *h, const Lift__Request *req, int64_t now_ms,
                       handlers_out_t *flags)
{
    char err[256];
    handlers_out_t out;
    ck_assert_msg(handlers_batch_begin(h, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(handlers_handle(h, req, NULL, now_ms, &out), 0);
    ck_assert_int_eq(handlers_batch_broken(h), 0);
    ck_assert_msg(handlers_batch_end(h, err, sizeof err) == 0, "%s", err);
    Lift__Reply *r = lift__reply__unpack(NULL, out.len, out.bytes);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(r->status);
    ck_assert(r->status->has_code); /* OK too: unset would read as UNKNOWN */
    ck_assert_uint_eq(r->request_id, req->request_id);
    free(out.bytes);
    out.bytes = NULL;
    if (flags)
        *flags = out;
    return r;
}

void tu_handlers_two_arm(handlers_t *h, const char *key, int start, int64_t now_ms)
{
    Lift__Arm arms[2], *ptrs[2];
    Lift__Experiment x;
    tu_two_arm_experiment(&x, arms, ptrs, key);
    Lift__CreateExperiment ce = LIFT__CREATE_EXPERIMENT__INIT;
    ce.experiment = &x;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.body_case = LIFT__REQUEST__BODY_CREATE_EXPERIMENT;
    req.create_experiment = &ce;
    Lift__Reply *r = tu_handle(h, &req, now_ms, NULL);
    ck_assert_msg(r->status->code == LIFT__CODE__OK, "create %s: %s", key, r->status->message);
    lift__reply__free_unpacked(r, NULL);
    if (!start)
        return;
    Lift__ChangeExperiment ch = LIFT__CHANGE_EXPERIMENT__INIT;
    ch.key = (char *)key;
    ch.has_action = 1;
    ch.action = LIFT__ACTION__ACTION_START;
    req.body_case = LIFT__REQUEST__BODY_CHANGE_EXPERIMENT;
    req.change_experiment = &ch;
    r = tu_handle(h, &req, now_ms, NULL);
    ck_assert_msg(r->status->code == LIFT__CODE__OK, "start %s: %s", key, r->status->message);
    ck_assert_int_eq(r->experiment->status, LIFT__EXPERIMENT_STATUS__STATUS_RUNNING);
    lift__reply__free_unpacked(r, NULL);
}

void tu_two_arm_experiment(Lift__Experiment *x, Lift__Arm arms[2], Lift__Arm *ptrs[2],
                           const char *key)
{
    static const char *const names[2] = {"holdout", "offer"};
    for (int i = 0; i < 2; i++) {
        Lift__Arm a = LIFT__ARM__INIT;
        arms[i] = a;
        arms[i].name = (char *)names[i];
        arms[i].has_weight = 1;
        arms[i].weight = 0.5;
        ptrs[i] = &arms[i];
    }
    Lift__Experiment init = LIFT__EXPERIMENT__INIT;
    *x = init;
    x->key = (char *)key;
    x->n_arms = 2;
    x->arms = ptrs;
}

size_t tu_pack_request(const Lift__Request *r, uint8_t *buf, size_t cap)
{
    size_t n = lift__request__get_packed_size(r);
    ck_assert_uint_le(n, cap);
    lift__request__pack(r, buf);
    return n;
}

Lift__Context tu_context(void)
{
    Lift__Context c = LIFT__CONTEXT__INIT;
    c.has_trigger = c.has_stage = c.has_channel = 1;
    c.trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD;
    c.stage = LIFT__STAGE__STAGE_GROWTH;
    c.channel = LIFT__CHANNEL__CHANNEL_IN_APP;
    return c;
}

lift_context_t tu_lift_context(void)
{
    lift_context_t c = {.trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD,
                        .stage = LIFT__STAGE__STAGE_GROWTH,
                        .channel = LIFT__CHANNEL__CHANNEL_IN_APP};
    return c;
}

const char *tu_proc_stat(pid_t pid, pid_t tid, char *buf, size_t len)
{
    char path[64];
    if (tid > 0)
        snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    else
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f || len < 2) {
        if (f)
            fclose(f);
        return NULL;
    }
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* "pid (comm) S ...": comm may hold spaces */
    return paren && paren[1] == ' ' ? paren + 2 : NULL;
}
