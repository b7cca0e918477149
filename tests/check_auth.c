/* Security suite: a real liftd with CurveZMQ keys on an ipc:// endpoint in a temporary
 * directory. Who gets in (NULL mechanism, wrong server key, unlisted key, SIGHUP reload), what
 * each role may do, message-size and field limits over the wire, key-file errors at start-up,
 * and the storage quota (disk full) with recovery. The store is checked with independent SQL. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "lift/client.h"
#include "store.h"
#include "testutil.h"

/* ---- environment: keys, files, a liftd child ---------------------------------------------- */

enum { K_SERVER, K_ADMIN, K_SENDER, K_READER, K_STRANGER, K_COUNT };
static const char *const role_of[K_COUNT] = {NULL, "admin", "sender", "reader", NULL};

typedef struct {
    char pub[41];
    char sec[41];
} kp_t;

typedef struct {
    char dir[256];             /* temp dir */
    char data[300];            /* store */
    char endpoint[320];        /* ipc:// */
    char secret[300];          /* server key file */
    char keys[300];            /* authorized-keys file */
    char log[300];             /* liftd's stderr */
    kp_t k[K_COUNT];           /* server and client key pairs */
    pid_t pid;                 /* liftd */
    lift_client_t *c[K_COUNT]; /* clients per key (K_SERVER unused) */
} env_t;

static env_t E;

static void write_file(const char *path, const char *text, mode_t mode)
{
    unlink(path);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(chmod(path, mode), 0);
}

static void write_secret(const char *path, const kp_t *k, mode_t mode)
{
    char text[256];
    snprintf(text, sizeof text, "# test key\npublic-key = %s\nsecret-key = %s\n", k->pub, k->sec);
    write_file(path, text, mode);
}

/* Authorized keys: admin, sender, reader (+ stranger as `stranger_role` when not NULL). */
static void write_keys(const char *stranger_role)
{
    char text[1024];
    int n = snprintf(text, sizeof text, "# test keys\n\n");
    for (int i = K_ADMIN; i <= K_READER; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "%s %s test %s\n", E.k[i].pub, role_of[i],
                      role_of[i]);
    if (stranger_role)
        snprintf(text + n, sizeof text - (size_t)n, "%s %s\n", E.k[K_STRANGER].pub, stranger_role);
    write_file(E.keys, text, 0600);
}

static lift_client_t *client_for(int who, const char *server_pub, int timeout_ms, int attempts)
{
    lift_client_opts_t o = {.timeout_ms = timeout_ms, .attempts = attempts};
    if (who >= 0) {
        o.server_key = server_pub;
        o.public_key = E.k[who].pub;
        o.secret_key = E.k[who].sec;
    }
    lift_client_t *c = lift_client_new(E.endpoint, &o);
    ck_assert_ptr_nonnull(c);
    return c;
}

/* Run liftd with the env's files and `extra` args, stderr to E.log. */
static pid_t spawn(const char *const *args)
{
    char prog[512];
    tu_program("liftd", prog, sizeof prog);
    const char *argv[32] = {prog};
    int argc = 1;
    for (int i = 0; args[i] && argc < 31; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(E.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0)
            dup2(fd, 2);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static void start_liftd(const char *extra)
{
    const char *args[16] = {"--endpoint",        E.endpoint, "--data",         E.data,
                            "--log-level",       "debug",    "--curve-secret", E.secret,
                            "--authorized-keys", E.keys};
    int n = 10;
    if (extra) {
        args[n++] = "--max-store-mb";
        args[n++] = extra;
    }
    args[n] = NULL;
    E.pid = spawn(args);
    lift_client_t *probe = client_for(K_ADMIN, E.k[K_SERVER].pub, 100, 1);
    int ok = 0;
    for (int i = 0; i < 200 && !ok; i++) {
        int st;
        ck_assert_msg(waitpid(E.pid, &st, WNOHANG) == 0, "liftd exited during start-up");
        ok = lift_ping(probe, NULL, 0, NULL) == LIFT_OK;
    }
    lift_client_destroy(&probe);
    ck_assert_msg(ok, "liftd did not answer an admin ping");
    for (int i = K_ADMIN; i < K_COUNT; i++)
        if (!E.c[i])
            E.c[i] = client_for(i, E.k[K_SERVER].pub, 3000, 1);
}

static int stop_liftd(void)
{
    int st = 0;
    if (E.pid <= 0)
        return -1;
    kill(E.pid, SIGTERM);
    while (waitpid(E.pid, &st, 0) < 0 && errno == EINTR)
        ;
    E.pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void env_init(void)
{
    memset(&E, 0, sizeof E);
    tu_tempdir(E.dir, sizeof E.dir);
    snprintf(E.data, sizeof E.data, "%s/data", E.dir);
    snprintf(E.endpoint, sizeof E.endpoint, "ipc://%s/lift.sock", E.dir);
    snprintf(E.secret, sizeof E.secret, "%s/server.key", E.dir);
    snprintf(E.keys, sizeof E.keys, "%s/authorized_keys", E.dir);
    snprintf(E.log, sizeof E.log, "%s/liftd.log", E.dir);
    for (int i = 0; i < K_COUNT; i++)
        ck_assert_int_eq(zmq_curve_keypair(E.k[i].pub, E.k[i].sec), 0);
    write_secret(E.secret, &E.k[K_SERVER], 0600);
    write_keys(NULL);
}

static void setup(void)
{
    ck_assert(zmq_has("curve"));
    env_init();
    start_liftd(NULL);
}

static void setup_files_only(void)
{
    env_init();
}

static void teardown(void)
{
    if (getenv("LIFT_AUTH_DUMP")) { /* debugging aid: liftd's log on stderr */
        FILE *f = fopen(E.log, "r");
        char line[2048];
        while (f && fgets(line, sizeof line, f))
            if (!strstr(line, "event=client_admitted"))
                fputs(line, stderr);
        if (f)
            fclose(f);
    }
    if (E.pid > 0)
        stop_liftd();
    for (int i = 0; i < K_COUNT; i++)
        lift_client_destroy(&E.c[i]);
    tu_rmtree(E.dir);
}

/* ---- independent looks at the store --------------------------------------------------------- */

typedef struct {
    int64_t experiments, status_sum, exposures, events;
    double coverage_sum;
} fp_t;

static fp_t fingerprint(void)
{
    tu_store_summary_t sum = tu_store_summary(E.data);
    fp_t f = {sum.experiments, sum.status_sum, sum.exposures, sum.events, sum.coverage_sum};
    return f;
}

static int fp_equal(fp_t a, fp_t b)
{
    return a.experiments == b.experiments && a.status_sum == b.status_sum &&
           a.exposures == b.exposures && a.events == b.events && a.coverage_sum == b.coverage_sum;
}

/* Lines of liftd's log holding `word`. */
static int log_count(const char *word)
{
    FILE *f = fopen(E.log, "r");
    if (!f)
        return 0;
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, word) != NULL;
    fclose(f);
    return n;
}

/* ---- requests of every type ----------------------------------------------------------------- */

static const lift_context_t CTX = {
    .trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD,
    .stage = LIFT__STAGE__STAGE_GROWTH,
    .channel = LIFT__CHANNEL__CHANNEL_IN_APP,
};

/* A two-arm definition (weights 0.5/0.5) in *x; arms live in the static storage below. */
typedef struct {
    Lift__Experiment x;
    Lift__Arm a[2];
    Lift__Arm *p[2];
} tdef_t;

static void tdef(tdef_t *d, const char *key, double coverage)
{
    lift__experiment__init(&d->x);
    for (int i = 0; i < 2; i++) {
        lift__arm__init(&d->a[i]);
        d->a[i].name = i ? "offer" : "holdout";
        d->a[i].has_weight = 1;
        d->a[i].weight = 0.5;
        d->p[i] = &d->a[i];
    }
    d->x.key = (char *)key;
    d->x.n_arms = 2;
    d->x.arms = d->p;
    d->x.has_coverage = 1;
    d->x.coverage = coverage;
}

static void create_and_start(const char *key, double coverage)
{
    tdef_t d;
    tdef(&d, key, coverage);
    ck_assert_int_eq(lift_experiment_create(E.c[K_ADMIN], &d.x, NULL), LIFT_OK);
    ck_assert_int_eq(lift_experiment_change(E.c[K_ADMIN], key, LIFT__ACTION__ACTION_START, 0, NULL),
                     LIFT_OK);
}

static const int TYPES[] = {
    LIFT__REQUEST__BODY_PING,
    LIFT__REQUEST__BODY_CREATE_EXPERIMENT,
    LIFT__REQUEST__BODY_GET_EXPERIMENT,
    LIFT__REQUEST__BODY_LIST_EXPERIMENTS,
    LIFT__REQUEST__BODY_CHANGE_EXPERIMENT,
    LIFT__REQUEST__BODY_ASSIGN,
    LIFT__REQUEST__BODY_ASSIGN_BATCH,
    LIFT__REQUEST__BODY_TRACK,
    LIFT__REQUEST__BODY_REPORT,
    LIFT__REQUEST__BODY_RECORD_EXPOSURES,
};
#define NTYPES ((int)(sizeof TYPES / sizeof TYPES[0]))

/* Would `role` be allowed `type`? The documented table, written out independently. */
static int expected_allowed(const char *role, int t)
{
    if (strcmp(role, "admin") == 0 || t == LIFT__REQUEST__BODY_PING)
        return 1;
    int defs = t == LIFT__REQUEST__BODY_GET_EXPERIMENT || t == LIFT__REQUEST__BODY_LIST_EXPERIMENTS;
    int read = defs || t == LIFT__REQUEST__BODY_REPORT;
    int send = defs || t == LIFT__REQUEST__BODY_ASSIGN || t == LIFT__REQUEST__BODY_ASSIGN_BATCH ||
               t == LIFT__REQUEST__BODY_TRACK || t == LIFT__REQUEST__BODY_RECORD_EXPOSURES;
    return strcmp(role, "reader") == 0 ? read : send;
}

/* Send one request of type t that would change the store if allowed (fresh ids each call).
 * Returns the reply's code. */
static int send_type(lift_client_t *c, int t, int serial)
{
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Ping ping = LIFT__PING__INIT;
    Lift__CreateExperiment ce = LIFT__CREATE_EXPERIMENT__INIT;
    Lift__GetExperiment get = LIFT__GET_EXPERIMENT__INIT;
    Lift__ListExperiments list = LIFT__LIST_EXPERIMENTS__INIT;
    Lift__ChangeExperiment ch = LIFT__CHANGE_EXPERIMENT__INIT;
    Lift__Assign as = LIFT__ASSIGN__INIT;
    Lift__AssignBatch ab = LIFT__ASSIGN_BATCH__INIT;
    Lift__Track tr = LIFT__TRACK__INIT;
    Lift__ReportRequest rr = LIFT__REPORT_REQUEST__INIT;
    Lift__Context ctx = LIFT__CONTEXT__INIT;
    Lift__Event ev = LIFT__EVENT__INIT;
    Lift__Event *evp[] = {&ev};
    Lift__ExposureRecord rec = LIFT__EXPOSURE_RECORD__INIT, *recp[] = {&rec};
    Lift__RecordExposures re = LIFT__RECORD_EXPOSURES__INIT;
    tdef_t d;
    char key[32], id[32], id2[32], *ids[2] = {id, id2};
    ctx.has_trigger = ctx.has_stage = ctx.has_channel = 1;
    ctx.trigger = CTX.trigger;
    ctx.stage = CTX.stage;
    ctx.channel = CTX.channel;
    snprintf(id, sizeof id, "cust-%d-a", serial);
    snprintf(id2, sizeof id2, "cust-%d-b", serial);
    req.body_case = (Lift__Request__BodyCase)t;
    switch (t) {
    case LIFT__REQUEST__BODY_PING:
        req.ping = &ping;
        break;
    case LIFT__REQUEST__BODY_CREATE_EXPERIMENT:
        snprintf(key, sizeof key, "made-%d", serial);
        tdef(&d, key, 1.0);
        ce.experiment = &d.x;
        req.create_experiment = &ce;
        break;
    case LIFT__REQUEST__BODY_GET_EXPERIMENT:
        get.key = "exp";
        req.get_experiment = &get;
        break;
    case LIFT__REQUEST__BODY_LIST_EXPERIMENTS:
        req.list_experiments = &list;
        break;
    case LIFT__REQUEST__BODY_CHANGE_EXPERIMENT:
        ch.key = "exp";
        ch.has_action = ch.has_coverage = 1;
        ch.action = LIFT__ACTION__ACTION_RAMP;
        ch.coverage = 0.2 + 0.01 * serial; /* always up: a real change when allowed */
        req.change_experiment = &ch;
        break;
    case LIFT__REQUEST__BODY_ASSIGN:
        as.experiment_key = "exp";
        as.customer_id = id;
        as.context = &ctx;
        req.assign = &as;
        break;
    case LIFT__REQUEST__BODY_ASSIGN_BATCH:
        ab.experiment_key = "exp";
        ab.n_customer_ids = 2;
        ab.customer_ids = ids;
        ab.context = &ctx;
        req.assign_batch = &ab;
        break;
    case LIFT__REQUEST__BODY_TRACK:
        ev.event_id = id;
        ev.customer_id = "cust-1";
        ev.has_type = ev.has_timestamp_ms = 1;
        ev.type = LIFT__EVENT_TYPE__EVENT_CHURN;
        ev.timestamp_ms = tu_now_ms() - 1000;
        tr.n_events = 1;
        tr.events = evp;
        req.track = &tr;
        break;
    case LIFT__REQUEST__BODY_RECORD_EXPOSURES:
        rec.experiment_key = "exp";
        rec.customer_id = id;
        rec.context = &ctx;
        re.n_exposures = 1;
        re.exposures = recp;
        req.record_exposures = &re;
        break;
    default:
        rr.experiment_key = "exp";
        req.report = &rr;
        break;
    }
    lift_err_t rc = lift_call(c, &req, NULL, NULL, 0);
    return (int)rc;
}

/* ---- tests ------------------------------------------------------------------------------ */

START_TEST(test_role_matrix)
{
    create_and_start("exp", 0.2);
    /* The experiment needs exposures so that assign really writes: coverage grows with each
     * admin ramp, and ids are fresh; what matters is that forbidden calls change nothing. */
    int serial = 0;
    for (int who = K_ADMIN; who <= K_READER; who++) {
        const char *role = role_of[who];
        for (int i = 0; i < NTYPES; i++) {
            int t = TYPES[i];
            fp_t before = fingerprint();
            int rc = send_type(E.c[who], t, ++serial);
            fp_t after = fingerprint();
            if (expected_allowed(role, t)) {
                ck_assert_msg(rc == LIFT_OK, "%s %s: %s (%s)", role, lift_request_body_name(t),
                              lift_err_name(rc), lift_client_error(E.c[who]));
                if (t == LIFT__REQUEST__BODY_CREATE_EXPERIMENT)
                    ck_assert_int_eq(after.experiments, before.experiments + 1);
                if (t == LIFT__REQUEST__BODY_TRACK)
                    ck_assert_int_eq(after.events, before.events + 1);
                if (t == LIFT__REQUEST__BODY_CHANGE_EXPERIMENT)
                    ck_assert(after.coverage_sum > before.coverage_sum);
            } else {
                ck_assert_msg(rc == LIFT_ERR_PERMISSION_DENIED, "%s %s: %s, want PERMISSION_DENIED",
                              role, lift_request_body_name(t), lift_err_name(rc));
                const char *msg = lift_client_error(E.c[who]);
                ck_assert_msg(strstr(msg, role) && strstr(msg, lift_request_body_name(t)),
                              "message '%s' names neither role nor request", msg);
                ck_assert_msg(fp_equal(before, after), "%s %s changed the store", role,
                              lift_request_body_name(t));
            }
        }
    }
    /* Every action of change_experiment is admin-only, not just ramp. */
    static const int actions[] = {LIFT__ACTION__ACTION_PAUSE, LIFT__ACTION__ACTION_STOP,
                                  LIFT__ACTION__ACTION_START, LIFT__ACTION__ACTION_RESUME};
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        fp_t before = fingerprint();
        ck_assert_int_eq(lift_experiment_change(E.c[K_SENDER], "exp", actions[i], 0, NULL),
                         LIFT_ERR_PERMISSION_DENIED);
        ck_assert_int_eq(lift_experiment_change(E.c[K_READER], "exp", actions[i], 0, NULL),
                         LIFT_ERR_PERMISSION_DENIED);
        ck_assert(fp_equal(before, fingerprint()));
    }
    ck_assert_int_ge(log_count("event=permission_denied"), 10);
}
END_TEST

/* Everyone who is not let in: no reply, no batch in the log, nothing stored. */
START_TEST(test_outsiders_get_nothing)
{
    create_and_start("exp", 1.0);
    kp_t wrong;
    ck_assert_int_eq(zmq_curve_keypair(wrong.pub, wrong.sec), 0);
    lift_client_t *outs[3] = {
        client_for(-1, NULL, 300, 1),                     /* NULL mechanism */
        client_for(K_ADMIN, wrong.pub, 300, 1),           /* a listed key, wrong server key */
        client_for(K_STRANGER, E.k[K_SERVER].pub, 300, 1) /* right server, unlisted key */
    };
    fp_t before = fingerprint();
    /* liftd logs a batch after sending its replies: let the last line land first. */
    int batches = log_count("event=batch");
    for (int i = 0; i < 20; i++) {
        usleep(50000);
        int now = log_count("event=batch");
        if (now == batches && i >= 2)
            break;
        batches = now;
    }
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(lift_ping(outs[i], NULL, 0, NULL), LIFT_ERR_UNAVAILABLE);
        ck_assert_int_eq(send_type(outs[i], LIFT__REQUEST__BODY_TRACK, 100 + i),
                         LIFT_ERR_UNAVAILABLE);
        ck_assert_int_eq(send_type(outs[i], LIFT__REQUEST__BODY_CREATE_EXPERIMENT, 100 + i),
                         LIFT_ERR_UNAVAILABLE);
        ck_assert_int_eq(send_type(outs[i], LIFT__REQUEST__BODY_ASSIGN, 100 + i),
                         LIFT_ERR_UNAVAILABLE);
        lift_client_destroy(&outs[i]);
    }
    ck_assert(fp_equal(before, fingerprint()));
    ck_assert_int_eq(tu_store_events(E.data, NULL).count, 0);
    usleep(100000);
    ck_assert_int_eq(log_count("event=batch"), batches); /* no request reached the handlers */
    ck_assert_int_ge(log_count("key not in the authorized-keys file"), 1);
    /* The insiders are still served. */
    ck_assert_int_eq(lift_ping(E.c[K_READER], NULL, 0, NULL), LIFT_OK);
}
END_TEST

static int ping_new(int who, int timeout_ms)
{
    lift_client_t *c = client_for(who, E.k[K_SERVER].pub, timeout_ms, 1);
    int rc = lift_ping(c, NULL, 0, NULL);
    lift_client_destroy(&c);
    return rc;
}

START_TEST(test_sighup_reload)
{
    ck_assert_int_eq(ping_new(K_STRANGER, 300), LIFT_ERR_UNAVAILABLE);
    write_keys("sender");
    kill(E.pid, SIGHUP);
    int ok = 0;
    for (int i = 0; i < 50 && !ok; i++)
        ok = ping_new(K_STRANGER, 200) == LIFT_OK;
    ck_assert_msg(ok, "the key added by SIGHUP was not admitted");
    ck_assert_int_eq(log_count("event=authorized_keys_reloaded"), 1);
    /* The role came with the key: a sender may not create. */
    lift_client_t *s = client_for(K_STRANGER, E.k[K_SERVER].pub, 2000, 1);
    ck_assert_int_eq(send_type(s, LIFT__REQUEST__BODY_CREATE_EXPERIMENT, 1),
                     LIFT_ERR_PERMISSION_DENIED);

    /* A broken file on reload: logged, the old list (with the stranger) stays. */
    write_file(E.keys, "this is not a key line\n", 0600);
    kill(E.pid, SIGHUP);
    for (int i = 0; i < 50 && log_count("event=authorized_keys_reload_failed") == 0; i++)
        usleep(20000);
    ck_assert_int_eq(log_count("event=authorized_keys_reload_failed"), 1);
    ck_assert_int_eq(ping_new(K_STRANGER, 2000), LIFT_OK);

    /* Removing the key refuses new connections; the one already made keeps its role until it
     * reconnects (documented). */
    write_keys(NULL);
    kill(E.pid, SIGHUP);
    for (int i = 0; i < 50 && log_count("event=authorized_keys_reloaded") < 2; i++)
        usleep(20000);
    ck_assert_int_eq(ping_new(K_STRANGER, 300), LIFT_ERR_UNAVAILABLE);
    ck_assert_int_eq(lift_ping(s, NULL, 0, NULL), LIFT_OK);
    lift_client_destroy(&s);
}
END_TEST

/* Exchange on a raw CURVE DEALER: one frame out, the reply's code back (-1: none in 3 s). */
static int raw_curve(void *sock, const void *data, size_t len)
{
    zmq_msg_t m;
    ck_assert_int_eq(zmq_msg_init_size(&m, len), 0);
    memcpy(zmq_msg_data(&m), data, len);
    ck_assert_int_ge(zmq_msg_send(&m, sock, 0), 0);
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, 3000) <= 0)
        return -1;
    zmq_msg_init(&m);
    ck_assert_int_ge(zmq_msg_recv(&m, sock, 0), 0);
    Lift__Reply *r = lift__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    ck_assert_ptr_nonnull(r);
    int code = (int)r->status->code;
    lift__reply__free_unpacked(r, NULL);
    return code;
}

START_TEST(test_message_size_bound)
{
    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, E.k[K_SERVER].pub, 41);
    zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, E.k[K_SENDER].pub, 41);
    zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, E.k[K_SENDER].sec, 41);
    ck_assert_int_eq(zmq_connect(d, E.endpoint), 0);

    /* The largest Track the protocol defines: 10,000 events, every field at its bound. It
     * must get through (events are rejected one by one, the frame is not). */
    enum { N = 10000 };
    char big_key[65], plan[65], cust[129], cur[4] = "USD";
    memset(big_key, 'k', 64);
    big_key[64] = '\0';
    memset(plan, 'p', 64);
    plan[64] = '\0';
    memset(cust, 'c', 128);
    cust[128] = '\0';
    Lift__Event *ev = calloc(N, sizeof *ev);
    Lift__Event **evp = calloc(N, sizeof *evp);
    char(*ids)[65] = calloc(N, sizeof *ids);
    for (int i = 0; i < N; i++) {
        lift__event__init(&ev[i]);
        evp[i] = &ev[i];
        snprintf(ids[i], sizeof ids[i], "%064d", i);
        ev[i].event_id = ids[i];
        ev[i].customer_id = cust;
        ev[i].has_type = ev[i].has_timestamp_ms = ev[i].has_arm = 1;
        ev[i].has_amount_minor = ev[i].has_nps_score = 1;
        ev[i].type = LIFT__EVENT_TYPE__EVENT_CONVERSION;
        ev[i].timestamp_ms = INT64_C(32503679999999);
        ev[i].experiment_key = big_key;
        ev[i].arm = -1;
        ev[i].amount_minor = INT64_MIN;
        ev[i].nps_score = INT32_MIN;
        ev[i].currency = cur;
        ev[i].plan_from = ev[i].plan_to = plan;
    }
    Lift__Track tr = LIFT__TRACK__INIT;
    tr.n_events = N;
    tr.events = evp;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.has_request_id = 1;
    req.request_id = UINT64_MAX;
    req.body_case = LIFT__REQUEST__BODY_TRACK;
    req.track = &tr;
    size_t len = lift__request__get_packed_size(&req);
    uint8_t *buf = malloc(len);
    lift__request__pack(&req, buf);
    ck_assert_msg(len > 4400000 && len < 5u * 1024 * 1024, "largest request is %zu bytes", len);
    ck_assert_int_eq(raw_curve(d, buf, len), LIFT__CODE__OK);
    ck_assert_int_eq(tu_store_events(E.data, NULL).count, 0); /* every event rejected */
    free(buf);
    free(ev);
    free(evp);
    free(ids);

    /* One byte over the bound: this peer is dropped, the others are served. */
    size_t over = 5u * 1024 * 1024 + 1;
    uint8_t *huge = calloc(1, over);
    ck_assert_int_eq(raw_curve(d, huge, over), -1);
    free(huge);
    ck_assert_int_eq(lift_ping(E.c[K_READER], NULL, 0, NULL), LIFT_OK);
    ck_assert_int_eq(lift_ping(E.c[K_SENDER], NULL, 0, NULL), LIFT_OK);
    zmq_close(d);
    zmq_ctx_term(ctx);
}
END_TEST

/* Hostile values not covered by the ingest and server suites: each a named error, nothing
 * stored. */
START_TEST(test_hostile_fields)
{
    create_and_start("exp", 1.0);
    lift_client_t *a = E.c[K_ADMIN];
    fp_t before = fingerprint();
    char key200[201];
    memset(key200, 'k', 200);
    key200[200] = '\0';
    char *text5k = malloc(5001);
    memset(text5k, 'h', 5000);
    text5k[5000] = '\0';
    tdef_t d;
    struct {
        const char *name, *field;
    } cases[] = {
        {"NaN weight", "create_experiment.experiment.arms[0].weight"},
        {"negative weight", "create_experiment.experiment.arms[1].weight"},
        {"NaN coverage", "create_experiment.experiment.coverage"},
        {"200-byte key", "create_experiment.experiment.key"},
        {"invalid UTF-8 name", "create_experiment.experiment.name"},
        {"5000-byte hypothesis", "create_experiment.experiment.hypothesis"},
        {"trigger 99 in eligibility", "create_experiment.experiment.eligibility.triggers[0]"},
        {"namespace hi NaN", "create_experiment.experiment.namespace.hi"},
        {"alpha NaN", "create_experiment.experiment.analysis.alpha"},
    };
    Lift__Eligibility el = LIFT__ELIGIBILITY__INIT;
    Lift__Trigger bad_trig[] = {(Lift__Trigger)99};
    Lift__Namespace ns = LIFT__NAMESPACE__INIT;
    Lift__Analysis an = LIFT__ANALYSIS__INIT;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tdef(&d, "hostile", 1.0);
        switch (i) {
        case 0:
            d.a[0].weight = NAN;
            break;
        case 1:
            d.a[1].weight = -0.5;
            break;
        case 2:
            d.x.coverage = NAN;
            break;
        case 3:
            d.x.key = key200;
            break;
        case 4:
            d.x.name = "bad \xc3\x28 name";
            break;
        case 5:
            d.x.hypothesis = text5k;
            break;
        case 6:
            el.n_triggers = 1;
            el.triggers = bad_trig;
            d.x.eligibility = &el;
            break;
        case 7:
            ns.id = "ns";
            ns.has_lo = ns.has_hi = 1;
            ns.lo = 0;
            ns.hi = NAN;
            d.x.namespace_ = &ns;
            break;
        default:
            an.has_alpha = 1;
            an.alpha = NAN;
            d.x.analysis = &an;
            break;
        }
        ck_assert_msg(lift_experiment_create(a, &d.x, NULL) == LIFT_ERR_INVALID_ARGUMENT, "%s",
                      cases[i].name);
        ck_assert_msg(strcmp(lift_client_error_field(a), cases[i].field) == 0,
                      "%s: field '%s', want '%s'", cases[i].name, lift_client_error_field(a),
                      cases[i].field);
    }
    free(text5k);
    /* Ramp to NaN. */
    ck_assert_int_eq(lift_experiment_change(a, "exp", LIFT__ACTION__ACTION_RAMP, NAN, NULL),
                     LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(a), "change_experiment.coverage");
    /* Action 99. */
    ck_assert_int_eq(lift_experiment_change(a, "exp", 99, 0, NULL), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(a), "change_experiment.action");
    /* List with status 99. */
    Lift__ExperimentList *list = NULL;
    ck_assert_int_eq(lift_experiment_list(a, 99, &list), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(a), "list_experiments.status");

    /* Context enums out of range and a trigger time in 1970, over the wire. */
    lift_assignment_t one;
    lift_context_t c = CTX;
    c.trigger = 99;
    ck_assert_int_eq(lift_assign(a, "exp", "x", &c, &one), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(a), "assign.context.trigger");
    c = CTX;
    c.channel = 99;
    ck_assert_int_eq(lift_assign(a, "exp", "x", &c, &one), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(a), "assign.context.channel");
    c = CTX;
    c.stage = -1;
    ck_assert_int_eq(lift_assign(a, "exp", "x", &c, &one), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(a), "assign.context.stage");
    c = CTX;
    c.trigger_time_ms = 1000; /* 1970 */
    ck_assert_int_eq(lift_assign(a, "exp", "x", &c, &one), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(a), "assign.context.trigger_time_ms");
    c.trigger_time_ms = INT64_C(4102444800000); /* 2100 */
    ck_assert_int_eq(lift_assign(a, "exp", "x", &c, &one), LIFT_ERR_INVALID_ARGUMENT);
    /* A 200-byte customer id: that item is rejected by name, nothing recorded. */
    ck_assert_int_eq(lift_assign(a, "exp", key200, &CTX, &one), LIFT_OK);
    ck_assert_int_eq(one.error_code, LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(one.error, "128"));
    lift_assignment_clear(&one);

    /* Events: a 200-byte customer id, a 65-byte plan, a bad currency, arm -1, type 99. */
    lift_event_t ev[5];
    for (int i = 0; i < 5; i++) {
        lift_event_t e = {.event_id = "h",
                          .customer_id = "cust",
                          .type = LIFT__EVENT_TYPE__EVENT_CHURN,
                          .timestamp_ms = tu_now_ms() - 1000};
        ev[i] = e;
    }
    char plan65[66];
    memset(plan65, 'p', 65);
    plan65[65] = '\0';
    ev[0].event_id = "h0";
    ev[0].customer_id = key200;
    ev[1].event_id = "h1";
    ev[1].type = LIFT__EVENT_TYPE__EVENT_CONVERSION;
    ev[1].has_amount = true;
    ev[1].amount_minor = 100;
    ev[1].plan_to = plan65;
    ev[2].event_id = "h2";
    ev[2].type = LIFT__EVENT_TYPE__EVENT_CONVERSION;
    ev[2].has_amount = true;
    ev[2].amount_minor = 100;
    ev[2].currency = "us\xff";
    ev[3].event_id = "h3";
    ev[3].type = LIFT__EVENT_TYPE__EVENT_IMPRESSION;
    ev[3].experiment_key = "exp";
    ev[3].has_arm = true;
    ev[3].arm = -1;
    ev[4].event_id = "h4";
    ev[4].type = 99;
    static const char *const fields[] = {"track.events[0].customer_id", "track.events[1].plan_to",
                                         "track.events[2].currency", "track.events[3].arm",
                                         "track.events[4].type"};
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(E.c[K_SENDER], ev, 5, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, 0);
    ck_assert_uint_eq(r.n_rejected, 5);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(strcmp(r.rejected[i].field, fields[i]) == 0, "event %d: field %s, want %s", i,
                      r.rejected[i].field, fields[i]);
    lift_track_result_clear(&r);

    /* Reports: too many segment dimensions, an unknown one, alpha NaN. */
    Lift__ReportRequest rr = LIFT__REPORT_REQUEST__INIT;
    Lift__Dimension five[] = {1, 2, 3, 4, 1};
    Lift__Dimension bad[] = {99};
    Lift__Report *rep = NULL;
    rr.experiment_key = "exp";
    rr.n_segment_by = 5;
    rr.segment_by = five;
    ck_assert_int_eq(lift_report(E.c[K_READER], &rr, &rep), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(E.c[K_READER]), "report.segment_by");
    rr.n_segment_by = 1;
    rr.segment_by = bad;
    ck_assert_int_eq(lift_report(E.c[K_READER], &rr, &rep), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(E.c[K_READER]), "report.segment_by[0]");
    rr.n_segment_by = 0;
    rr.has_alpha = 1;
    rr.alpha = NAN;
    ck_assert_int_eq(lift_report(E.c[K_READER], &rr, &rep), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(E.c[K_READER]), "report.alpha");

    ck_assert(fp_equal(before, fingerprint()));
}
END_TEST

/* Run liftd with args (stderr to E.log); wait for it to exit; its status (-1: still running
 * after 5 s, then killed). */
static int run_liftd_expect_exit(const char *const *args)
{
    truncate(E.log, 0);
    pid_t pid = spawn(args);
    for (int i = 0; i < 250; i++) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void expect_refusal(const char *secret, const char *keys, const char *words1,
                           const char *words2)
{
    const char *args[] = {"--endpoint", E.endpoint,          "--data", E.data, "--curve-secret",
                          secret,       "--authorized-keys", keys,     NULL};
    int rc = run_liftd_expect_exit(args);
    ck_assert_msg(rc > 0, "liftd with %s / %s: exit %d, want a refusal", secret, keys, rc);
    ck_assert_msg(log_count(words1) >= 1 && log_count(words2) >= 1,
                  "log lacks '%s' and '%s' (%s / %s)", words1, words2, secret, keys);
}

START_TEST(test_key_file_errors)
{
    char p[400], q[400], text[512];
    /* Missing. */
    snprintf(p, sizeof p, "%s/nope.key", E.dir);
    expect_refusal(p, E.keys, p, "No such file");
    snprintf(p, sizeof p, "%s/nope.keys", E.dir);
    expect_refusal(E.secret, p, p, "No such file");
    /* Readable by others. */
    snprintf(p, sizeof p, "%s/loose.key", E.dir);
    write_secret(p, &E.k[K_SERVER], 0644);
    expect_refusal(p, E.keys, p, "chmod 600");
    snprintf(q, sizeof q, "%s/loose.keys", E.dir);
    snprintf(text, sizeof text, "%s admin\n", E.k[K_ADMIN].pub);
    write_file(q, text, 0640);
    expect_refusal(E.secret, q, q, "chmod 600");
    /* Malformed secret files. */
    snprintf(p, sizeof p, "%s/bad.key", E.dir);
    write_file(p, "public-key = tooshort\n", 0600);
    expect_refusal(p, E.keys, "bad.key:1", "Z85");
    snprintf(text, sizeof text, "public-key = %s\nsecret-key = %s\n", E.k[K_ADMIN].pub,
             E.k[K_SERVER].sec);
    write_file(p, text, 0600);
    expect_refusal(p, E.keys, "bad.key", "does not belong");
    snprintf(text, sizeof text, "public-key = %s\n", E.k[K_SERVER].pub);
    write_file(p, text, 0600);
    expect_refusal(p, E.keys, "bad.key", "no secret-key");
    /* Malformed authorized keys. */
    snprintf(text, sizeof text, "# ok\n%s admin\n%s root\n", E.k[K_ADMIN].pub, E.k[K_READER].pub);
    write_file(q, text, 0600);
    expect_refusal(E.secret, q, "loose.keys:3", "unknown role 'root'");
    snprintf(text, sizeof text, "%s admin\n%s reader\n", E.k[K_ADMIN].pub, E.k[K_ADMIN].pub);
    write_file(q, text, 0600);
    expect_refusal(E.secret, q, "loose.keys:2", "already listed on line 1");
    write_file(q, "0123456789 admin\n", 0600);
    expect_refusal(E.secret, q, "loose.keys:1", "Z85 public key");
    /* Flags. */
    const char *half[] = {"--endpoint",     E.endpoint, "--data", E.data,
                          "--curve-secret", E.secret,   NULL};
    ck_assert_int_eq(run_liftd_expect_exit(half), 2);
    ck_assert_int_ge(log_count("go together"), 1);
    /* No keys and an endpoint other hosts can reach: refused unless --insecure. */
    const char *open_ep[] = {"--endpoint", "tcp://0.0.0.0:*", "--data", E.data, NULL};
    ck_assert_int_eq(run_liftd_expect_exit(open_ep), 1);
    ck_assert_int_ge(log_count("--insecure"), 1);
    const char *insecure[] = {"--endpoint", "tcp://0.0.0.0:*", "--data",
                              E.data,       "--insecure",      NULL};
    truncate(E.log, 0);
    pid_t pid = spawn(insecure);
    for (int i = 0; i < 100 && log_count("event=INSECURE") == 0; i++)
        usleep(20000);
    ck_assert_int_eq(log_count("event=INSECURE"), 1);
    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* Loopback without keys: runs, and says it is unauthenticated. */
    const char *local[] = {"--endpoint", E.endpoint, "--data", E.data, NULL};
    truncate(E.log, 0);
    pid = spawn(local);
    for (int i = 0; i < 100 && log_count("event=unauthenticated") == 0; i++)
        usleep(20000);
    ck_assert_int_eq(log_count("event=unauthenticated"), 1);
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

static void send_request(void *sock, Lift__Request *req)
{
    size_t len = lift__request__get_packed_size(req);
    uint8_t *buf = malloc(len);
    lift__request__pack(req, buf);
    ck_assert_int_ge(zmq_send(sock, buf, len, 0), 0);
    free(buf);
}

/* Sends the refused batch and then three one-event Tracks without waiting; returns how many
 * of the small ones were acknowledged (OK). */
static int pipeline_after_full(const lift_event_t *big, int n)
{
    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, E.k[K_SERVER].pub, 41);
    zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, E.k[K_SENDER].pub, 41);
    zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, E.k[K_SENDER].sec, 41);
    ck_assert_int_eq(zmq_connect(d, E.endpoint), 0);
    /* Handshake first, so the four requests leave together. */
    Lift__Request ping = LIFT__REQUEST__INIT;
    Lift__Ping pg = LIFT__PING__INIT;
    ping.body_case = LIFT__REQUEST__BODY_PING;
    ping.ping = &pg;
    send_request(d, &ping);
    zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
    ck_assert_int_eq(zmq_poll(&it, 1, 3000), 1);
    zmq_msg_t m;
    zmq_msg_init(&m);
    zmq_msg_recv(&m, d, 0);
    zmq_msg_close(&m);

    Lift__Event *evs = calloc((size_t)n + 3, sizeof *evs);
    Lift__Event **ptrs = calloc((size_t)n + 3, sizeof *ptrs);
    static char names[3][16];
    for (int i = 0; i < n + 3; i++) {
        lift__event__init(&evs[i]);
        ptrs[i] = &evs[i];
        evs[i].event_id = i < n ? (char *)big[i].event_id : names[i - n];
        evs[i].customer_id = (char *)big[0].customer_id;
        evs[i].has_type = evs[i].has_timestamp_ms = 1;
        evs[i].type = LIFT__EVENT_TYPE__EVENT_CHURN;
        evs[i].timestamp_ms = big[0].timestamp_ms;
        if (i >= n)
            snprintf(names[i - n], sizeof names[i - n], "pipe-%d", i - n);
    }
    Lift__Track tr = LIFT__TRACK__INIT;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.has_request_id = 1;
    req.body_case = LIFT__REQUEST__BODY_TRACK;
    req.track = &tr;
    for (int k = 0; k < 4; k++) {
        req.request_id = (uint64_t)k + 1;
        tr.n_events = k == 0 ? (size_t)n : 1;
        tr.events = k == 0 ? ptrs : &ptrs[n + k - 1];
        send_request(d, &req);
    }
    int ok = 0;
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(zmq_poll(&it, 1, 5000), 1);
        zmq_msg_init(&m);
        ck_assert_int_ge(zmq_msg_recv(&m, d, 0), 0);
        Lift__Reply *r = lift__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        ck_assert_ptr_nonnull(r);
        if (r->request_id == 1)
            ck_assert_int_eq(r->status->code, LIFT__CODE__UNAVAILABLE);
        else if (r->status->code == LIFT__CODE__OK)
            ok++;
        else
            ck_assert_int_eq(r->status->code, LIFT__CODE__UNAVAILABLE);
        lift__reply__free_unpacked(r, NULL);
    }
    free(evs);
    free(ptrs);
    zmq_close(d);
    zmq_ctx_term(ctx);
    return ok;
}

/* Fill the store past --max-store-mb: writes get UNAVAILABLE, reads and repeat assignments go
 * on; a restart with a larger quota takes the refused writes, and every acknowledged event is
 * stored exactly once. */
START_TEST(test_quota_full_and_recovery)
{
    stop_liftd();
    start_liftd("1");
    create_and_start("exp", 1.0);
    lift_client_t *s = E.c[K_SENDER];
    lift_assignment_t a;
    ck_assert_int_eq(lift_assign(s, "exp", "early-bird", &CTX, &a), LIFT_OK);
    ck_assert(a.first_exposure);
    int early_arm = a.arm_index;
    lift_assignment_clear(&a);

    enum { B = 500, MAXB = 200 };
    static char ids[B][64];
    lift_event_t ev[B];
    int64_t acked = 0;
    int full_at = -1;
    char custom[100];
    memset(custom, 'c', 99);
    custom[99] = '\0';
    int64_t t0 = tu_now_ms() - 5000; /* one time for all: a resend carries the same content */
    for (int b = 0; b < MAXB && full_at < 0; b++) {
        for (int i = 0; i < B; i++) {
            snprintf(ids[i], sizeof ids[i], "evt-%05d-%04d-padding-padding-padding-pad", b, i);
            lift_event_t e = {.event_id = ids[i],
                              .customer_id = custom,
                              .type = LIFT__EVENT_TYPE__EVENT_CHURN,
                              .timestamp_ms = t0};
            ev[i] = e;
        }
        lift_track_result_t r;
        lift_err_t rc = lift_track(s, ev, B, &r);
        if (rc == LIFT_OK) {
            ck_assert_uint_eq(r.accepted, B);
            acked += r.accepted;
            lift_track_result_clear(&r);
        } else {
            ck_assert_int_eq(rc, LIFT_ERR_UNAVAILABLE);
            const char *msg = lift_client_error(s);
            ck_assert_msg(strstr(msg, "full"), "UNAVAILABLE without the reason: %s", msg);
            full_at = b;
        }
    }
    ck_assert_msg(full_at > 0, "1 MiB quota never filled");
    /* Nothing of the refused batch was stored; everything acknowledged was. */
    ck_assert_int_eq(tu_store_events(E.data, NULL).count, acked);
    /* Reads go on: get, list, a repeat assignment (no write). New exposures cannot be stored. */
    Lift__Experiment *x = NULL;
    ck_assert_int_eq(lift_experiment_get(E.c[K_READER], "exp", &x), LIFT_OK);
    ck_assert_uint_eq(x->exposures, 1);
    lift_experiment_free(&x);
    Lift__ExperimentList *list = NULL;
    ck_assert_int_eq(lift_experiment_list(E.c[K_READER], 0, &list), LIFT_OK);
    ck_assert_uint_eq(list->n_experiments, 1);
    lift_experiment_list_free(&list);
    ck_assert_int_eq(lift_assign(s, "exp", "early-bird", &CTX, &a), LIFT_OK);
    ck_assert_int_eq(a.arm_index, early_arm);
    ck_assert(!a.first_exposure);
    lift_assignment_clear(&a);
    /* An acknowledged batch sent again is all duplicates (the event index kept exactly what
     * was committed); the refused one is refused again. */
    static char ids0[B][64];
    lift_event_t ev0[B];
    for (int i = 0; i < B; i++) {
        snprintf(ids0[i], sizeof ids0[i], "evt-%05d-%04d-padding-padding-padding-pad", 0, i);
        ev0[i] = ev[i];
        ev0[i].event_id = ids0[i];
    }
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(s, ev0, B, &r), LIFT_OK);
    ck_assert_uint_eq(r.duplicates, B);
    ck_assert_uint_eq(r.accepted, 0);
    lift_track_result_clear(&r);
    ck_assert_int_eq(lift_track(s, ev, B, &r), LIFT_ERR_UNAVAILABLE);
    ck_assert_int_eq(tu_store_events(E.data, NULL).count, acked);
    /* Pipelined on one connection so they share a batch: the refused Track makes SQLite roll
     * the whole transaction back; the small Tracks behind it must then not be written in
     * autocommit mode and reported UNAVAILABLE (a retry would store them twice). */
    int smalls_ok = pipeline_after_full(ev, B);
    ck_assert_int_eq(tu_store_events(E.data, NULL).count, acked + smalls_ok);
    ck_assert_int_eq(tu_store_events(E.data, &(tu_event_filter_t){.id_prefix = "pipe-"}).count,
                     smalls_ok);
    acked += smalls_ok;
    /* A new exposure is small: it may still fit in a page with room, or not. Either way the
     * answer is the truth: OK means stored, UNAVAILABLE means not. */
    lift_err_t arc = lift_assign(s, "exp", "new-while-full", &CTX, &a);
    ck_assert(arc == LIFT_OK || arc == LIFT_ERR_UNAVAILABLE);
    ck_assert_int_eq(tu_store_summary(E.data).exposures, arc == LIFT_OK ? 2 : 1);
    lift_assignment_clear(&a);

    /* More room: the refused batch goes in whole, once. */
    ck_assert_int_eq(stop_liftd(), 0);
    start_liftd("64");
    ck_assert_int_eq(lift_track(s, ev, B, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, B);
    ck_assert_uint_eq(r.duplicates, 0);
    lift_track_result_clear(&r);
    ck_assert_int_eq(lift_track(s, ev, B, &r), LIFT_OK);
    ck_assert_uint_eq(r.duplicates, B);
    lift_track_result_clear(&r);
    ck_assert_int_eq(tu_store_events(E.data, NULL).count, acked + B);
    ck_assert_int_eq(tu_store_events(E.data, NULL).distinct_ids, acked + B);
    ck_assert_int_eq(lift_assign(s, "exp", "late-bird", &CTX, &a), LIFT_OK);
    ck_assert(a.first_exposure);
    lift_assignment_clear(&a);
    ck_assert_int_ge(log_count("event=store_quota"), 2);
}
END_TEST

/* The store itself, deterministically: SQLITE_FULL rolls SQLite's whole transaction back;
 * a later write of the same batch must fail instead of running (and committing) on its own. */
START_TEST(test_store_full_rolls_back_batch)
{
    char err[256];
    store_t *st = store_open(E.data, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    int64_t used, quota;
    ck_assert_int_eq(store_set_max_bytes(st, 64 * 1024, &used, &quota, err, sizeof err), 0);
    ck_assert_int_le(quota, 64 * 1024);
    ck_assert_int_eq(store_begin(st, err, sizeof err), 0);
    store_request_begin(st);
    char id[64];
    int rc = 0, i;
    store_put_t put;
    for (i = 0; i < 100000 && rc == 0; i++) {
        snprintf(id, sizeof id, "full-%06d-padding-padding-padding", i);
        store_event_t e = {.event_id = id,
                           .customer_id = id,
                           .type = 5,
                           .ts_ms = tu_now_ms(),
                           .nps = -1,
                           .received_ms = tu_now_ms()};
        rc = store_events_put(st, &e, 1, &put, NULL);
    }
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(strstr(store_errmsg(st), "full"));
    ck_assert_int_eq(store_errcode(st), STORE_E_UNAVAILABLE);
    store_request_end(st, 0);
    /* The next request of the batch. */
    store_request_begin(st);
    store_event_t e = {.event_id = "after",
                       .customer_id = "c",
                       .type = 5,
                       .ts_ms = tu_now_ms(),
                       .nps = -1,
                       .received_ms = tu_now_ms()};
    ck_assert_int_eq(store_events_put(st, &e, 1, &put, NULL), -1);
    ck_assert_ptr_nonnull(strstr(store_errmsg(st), "rolled back"));
    ck_assert_int_eq(store_errcode(st), STORE_E_UNAVAILABLE);
    store_request_end(st, 1);
    ck_assert_int_eq(store_commit(st, err, sizeof err), -1);
    /* Nothing of the batch stayed in the backend's event index either: every id is new. */
    ck_assert_int_eq(store_event_count(st), 0);
    ck_assert_int_eq(store_begin(st, err, sizeof err), 0);
    store_request_begin(st);
    ck_assert_int_eq(store_events_put(st, &e, 1, &put, NULL), 0);
    ck_assert_int_eq(put, STORE_INSERTED);
    store_request_end(st, 0);
    store_rollback(st);
    store_destroy(&st);
    ck_assert_int_eq(tu_store_events(E.data, NULL).count, 0);
}
END_TEST

Suite *auth_suite(void);
Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_role_matrix);
    tcase_add_test(tc, test_sighup_reload);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("errors");
    tcase_add_checked_fixture(te, setup, teardown);
    tcase_set_timeout(te, 60);
    tcase_add_test(te, test_outsiders_get_nothing);
    tcase_add_test(te, test_hostile_fields);
    suite_add_tcase(s, te);
    TCase *tf = tcase_create("files");
    tcase_add_checked_fixture(tf, setup_files_only, teardown);
    tcase_set_timeout(tf, 60);
    tcase_add_test(tf, test_key_file_errors);
    tcase_add_test(tf, test_store_full_rolls_back_batch);
    suite_add_tcase(s, tf);
    TCase *tl = tcase_create("limits");
    tcase_add_checked_fixture(tl, setup, teardown);
    tcase_set_timeout(tl, 120);
    tcase_add_test(tl, test_message_size_bound);
    tcase_add_test(tl, test_quota_full_and_recovery);
    suite_add_tcase(s, tl);
    return s;
}
