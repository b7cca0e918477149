/* hostile_output: liftctl's side of issue 9 — -o FILE onto FIFOs, devices, directories and
 * symbolic links; write errors (a full disk) that must not exit 0; a report against a dead
 * endpoint; localhost and [::1] endpoints; control bytes and bidi overrides from a hostile
 * server or a definition never reaching the terminal raw; power inputs that overflow; what "no
 * reply" means with CURVE. It does not re-test liftd's own rules (hostile_server does). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "lift.pb-c.h"
#include "lift/client.h"
#include "testutil.h"

#define KEY "upsell-usage-q4"
#define EXPERIMENT_FILE "examples/experiment.json"

#define T tu_liftd /* each test's liftd (tu_setup, tu_teardown) */

/* A scratch directory for the tests that start no liftd of the fixture. */
static char D[256];

static void setup_dir(void)
{
    tu_tempdir(D, sizeof D);
}

static void teardown_dir(void)
{
    tu_rmtree(D);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    ck_assert_int_eq(fchmod(fd, mode), 0);
    ck_assert_int_eq(close(fd), 0);
}

typedef struct {
    int rc;    /* exit status, -1 when killed */
    char *out; /* stdout, NUL-terminated ("" when it went to a given path) */
    char *err; /* stderr, NUL-terminated */
    double ms; /* how long it ran */
} res_t;

/* Runs the built liftctl with argv (NULL-terminated, without the program) in a child, stdin
 * from /dev/null and stdout to out_path (NULL: captured into r.out). dir holds the captures. */
static res_t run_argv(const char *dir, const char *out_path, const char *const *args)
{
    char prog[512], outp[400], errp[400];
    const char *argv[48];
    int argc = 0;
    tu_program("liftctl", prog, sizeof prog);
    argv[argc++] = prog;
    for (int i = 0; args[i]; i++) {
        ck_assert_int_lt(argc, 47);
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;
    snprintf(outp, sizeof outp, "%s/liftctl.out", dir);
    snprintf(errp, sizeof errp, "%s/liftctl.err", dir);
    fflush(NULL);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_path ? out_path : outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    res_t r = {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out_path ? strdup("") : slurp(outp),
               slurp(errp), ms_since(&t0)};
    ck_assert_msg(r.rc != 126 && r.rc != 127, "cannot run %s: %s", prog, r.err);
    return r;
}

#define RUN(dir, out, ...) run_argv(dir, out, (const char *const[]){__VA_ARGS__, NULL})
/* liftctl against the fixture's liftd */
#define LIFTCTL(out, ...) RUN(T.dir, out, "--endpoint", T.endpoint, __VA_ARGS__)

static void res_free(res_t *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* Asserts rc and that stderr contains every word (NULL-terminated). */
static void expect(const res_t *r, int rc, ...)
{
    va_list ap;
    const char *w;
    ck_assert_msg(r->rc == rc, "exit %d, want %d; stdout: %s; stderr: %s", r->rc, rc, r->out,
                  r->err);
    va_start(ap, rc);
    while ((w = va_arg(ap, const char *)) != NULL)
        ck_assert_msg(strstr(r->err, w) != NULL, "stderr lacks '%s': %s", w, r->err);
    va_end(ap);
}

static void create_and_start(void)
{
    res_t r = LIFTCTL(NULL, "experiment", "create", "-f", EXPERIMENT_FILE);
    expect(&r, 0, NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "experiment", "start", KEY);
    expect(&r, 0, NULL);
    res_free(&r);
}

static mode_t type_of(const char *path)
{
    struct stat st;
    ck_assert_msg(lstat(path, &st) == 0, "%s: %s", path, strerror(errno));
    return st.st_mode & S_IFMT;
}

/* Names in dir other than the given ones (a leftover temporary file fails the test). */
static void expect_only(const char *dir, const char *const *names)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -A '%s'", dir);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char line[512];
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        int known = 0;
        for (int i = 0; names[i]; i++)
            known |= strcmp(line, names[i]) == 0;
        ck_assert_msg(known, "unexpected file '%s' in %s", line, dir);
    }
    pclose(p);
}

/* ---- part 5: -o FILE never replaces what is there ------------------------------------------ */

/* A child that reads the FIFO at path to its end into out_path; returns its pid. */
static pid_t fifo_reader(const char *path, const char *out_path)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int in = open(path, O_RDONLY), out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        char buf[4096];
        ssize_t n;
        if (in < 0 || out < 0)
            _exit(1);
        while ((n = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)n) != n)
                _exit(1);
        _exit(n == 0 ? 0 : 1);
    }
    return pid;
}

static int wait_child(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ck_assert_int_eq(errno, EINTR);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_output_fifo)
{
    create_and_start();
    char dir[300], fifo[400], got[400];
    snprintf(dir, sizeof dir, "%s/out", T.dir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(fifo, sizeof fifo, "%s/report.pipe", dir);
    snprintf(got, sizeof got, "%s/got.json", T.dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    pid_t reader = fifo_reader(fifo, got);
    res_t r = LIFTCTL(NULL, "report", KEY, "--format", "json", "-o", fifo);
    expect(&r, 0, NULL);
    res_free(&r);
    ck_assert_int_eq(wait_child(reader), 0);
    ck_assert_int_eq(type_of(fifo), S_IFIFO); /* still the FIFO, not a regular file */
    char *text = slurp(got);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    ck_assert_msg(j != NULL, "the reader did not get the JSON report: %s", text);
    ck_assert(json_is_object(j));
    ck_assert_msg(strstr(text, "\"" KEY "\"") != NULL, "not the report of " KEY ": %s", text);
    json_decref(j);
    free(text);
    expect_only(dir, (const char *const[]){"report.pipe", NULL});

    /* keygen writes through a FIFO too, without --force: nothing there is replaced */
    reader = fifo_reader(fifo, got);
    r = LIFTCTL(NULL, "keygen", "-o", fifo);
    expect(&r, 0, NULL);
    ck_assert_int_eq(wait_child(reader), 0);
    ck_assert_int_eq(type_of(fifo), S_IFIFO);
    text = slurp(got);
    r.out[strcspn(r.out, "\n")] = '\0';
    ck_assert_msg(strstr(text, r.out) != NULL, "key file lacks the public key %s: %s", r.out, text);
    free(text);
    res_free(&r);
    struct stat st;
    ck_assert_int_eq(stat(fifo, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600); /* not chmod'ed either */
}
END_TEST

START_TEST(test_output_devices)
{
    create_and_start();
    char null_link[400], full_link[400], node[400];
    snprintf(null_link, sizeof null_link, "%s/to-null", T.dir);
    snprintf(full_link, sizeof full_link, "%s/to-full", T.dir);
    ck_assert_int_eq(symlink("/dev/null", null_link), 0);
    ck_assert_int_eq(symlink("/dev/full", full_link), 0);

    res_t r = LIFTCTL(NULL, "report", KEY, "-o", null_link);
    expect(&r, 0, NULL);
    res_free(&r);
    ck_assert_int_eq(type_of(null_link), S_IFLNK); /* written through, the link kept */

    if (access("/dev/full", W_OK) == 0) {
        r = LIFTCTL(NULL, "report", KEY, "--format", "csv", "-o", full_link);
        expect(&r, 1, "No space left on device", NULL);
        res_free(&r);
        ck_assert_int_eq(type_of(full_link), S_IFLNK);
        r = LIFTCTL(NULL, "keygen", "-o", full_link);
        expect(&r, 1, "No space left on device", "no key was saved", NULL);
        ck_assert_str_eq(r.out, ""); /* no public key of a key pair that was not saved */
        res_free(&r);
        ck_assert_int_eq(type_of(full_link), S_IFLNK);
    }

    /* A device node of its own (root only): stays a device, the write error is reported. */
    snprintf(node, sizeof node, "%s/full-node", T.dir);
    struct stat made;
    if (mknod(node, S_IFCHR | 0666, makedev(1, 7)) == 0 && stat(node, &made) == 0) {
        r = LIFTCTL(NULL, "report", KEY, "-o", node);
        expect(&r, 1, "No space left on device", NULL);
        res_free(&r);
        ck_assert_int_eq(type_of(node), S_IFCHR);
        r = LIFTCTL(NULL, "keygen", "-o", node, "--force");
        expect(&r, 1, "No space left on device", NULL);
        res_free(&r);
        ck_assert_int_eq(type_of(node), S_IFCHR);
        struct stat st;
        ck_assert_int_eq(stat(node, &st), 0);
        ck_assert_uint_eq(st.st_mode, made.st_mode); /* keygen did not chmod the device */
        ck_assert_uint_eq(st.st_rdev, makedev(1, 7));
    }
}
END_TEST

START_TEST(test_output_refused)
{
    create_and_start();
    char dir[300], target[400], link[400], dangling[400], subdir[400];
    snprintf(dir, sizeof dir, "%s/out", T.dir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(target, sizeof target, "%s/kept.txt", dir);
    snprintf(link, sizeof link, "%s/link.txt", dir);
    snprintf(dangling, sizeof dangling, "%s/dangling.txt", dir);
    snprintf(subdir, sizeof subdir, "%s/sub", dir);
    write_file(target, "keep me\n", 0644);
    ck_assert_int_eq(symlink("kept.txt", link), 0);
    ck_assert_int_eq(symlink("missing.txt", dangling), 0);
    ck_assert_int_eq(mkdir(subdir, 0700), 0);

    /* a symbolic link to a regular file: neither the link nor the file is replaced */
    res_t r = LIFTCTL(NULL, "report", KEY, "-o", link);
    expect(&r, 1, "symbolic link", NULL);
    res_free(&r);
    ck_assert_int_eq(type_of(link), S_IFLNK);
    char *text = slurp(target);
    ck_assert_str_eq(text, "keep me\n");
    free(text);
    r = LIFTCTL(NULL, "keygen", "-o", link, "--force");
    expect(&r, 1, "symbolic link", NULL);
    res_free(&r);
    text = slurp(target);
    ck_assert_str_eq(text, "keep me\n");
    free(text);

    /* a link to nothing is not followed to create a file */
    r = LIFTCTL(NULL, "report", KEY, "-o", dangling);
    expect(&r, 1, "symbolic link", "does not exist", NULL);
    res_free(&r);
    ck_assert_int_eq(type_of(dangling), S_IFLNK);

    /* a directory */
    r = LIFTCTL(NULL, "report", KEY, "-o", subdir);
    expect(&r, 1, "is a directory", NULL);
    res_free(&r);
    ck_assert_int_eq(type_of(subdir), S_IFDIR);
    r = LIFTCTL(NULL, "keygen", "-o", subdir, "--force");
    expect(&r, 1, "is a directory", NULL);
    res_free(&r);
    expect_only(dir, (const char *const[]){"kept.txt", "link.txt", "dangling.txt", "sub", NULL});
}
END_TEST

START_TEST(test_output_regular)
{
    create_and_start();
    char dir[300], path[400], key[400];
    snprintf(dir, sizeof dir, "%s/out", T.dir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/report.csv", dir);
    snprintf(key, sizeof key, "%s/client.key", dir);
    write_file(path, "old\n", 0600);
    struct stat before, after;
    ck_assert_int_eq(stat(path, &before), 0);
    res_t r = LIFTCTL(NULL, "report", KEY, "--format", "csv", "-o", path);
    expect(&r, 0, NULL);
    res_free(&r);
    ck_assert_int_eq(stat(path, &after), 0);
    ck_assert(S_ISREG(after.st_mode));
    ck_assert_uint_ne(before.st_ino, after.st_ino); /* replaced by rename, not rewritten */
    char *text = slurp(path);
    ck_assert_msg(strncmp(text, "segment_dimension,", 18) == 0, "not the CSV report: %s", text);
    free(text);

    r = LIFTCTL(NULL, "keygen", "-o", key);
    expect(&r, 0, NULL);
    res_free(&r);
    ck_assert_int_eq(stat(key, &after), 0);
    ck_assert_uint_eq(after.st_mode & 07777, 0600);
    text = slurp(key);
    r = LIFTCTL(NULL, "keygen", "-o", key); /* exists: refused without --force */
    expect(&r, 1, "--force", NULL);
    res_free(&r);
    char *again = slurp(key);
    ck_assert_str_eq(again, text);
    free(again);
    r = LIFTCTL(NULL, "keygen", "-o", key, "--force");
    expect(&r, 0, NULL);
    res_free(&r);
    again = slurp(key);
    ck_assert_str_ne(again, text);
    free(again);
    free(text);
    ck_assert_int_eq(stat(key, &after), 0);
    ck_assert_uint_eq(after.st_mode & 07777, 0600);
    expect_only(dir, (const char *const[]){"report.csv", "client.key", NULL});
}
END_TEST

/* ---- part 7: write errors exit non-zero ---------------------------------------------------- */

START_TEST(test_write_errors)
{
    if (access("/dev/full", W_OK) != 0)
        return; /* no /dev/full here: nothing to test against */
    create_and_start();
    char events[400];
    snprintf(events, sizeof events, "%s/events.jsonl", T.dir);
    write_file(events,
               "{\"event_id\":\"w1\",\"customer_id\":\"c1\",\"type\":\"impression\","
               "\"timestamp_ms\":1767225600000,\"experiment_key\":\"" KEY "\",\"arm\":1}\n",
               0600);
    const char *const cmds[][12] = {
        {"experiment", "list", NULL},
        {"experiment", "list", "--json", NULL},
        {"experiment", "show", KEY, NULL},
        {"experiment", "show", KEY, "--json", NULL},
        {"--json", "track", events, NULL},
        {"assign", KEY, "--customer", "c1", "--trigger", "usage_threshold", "--stage", "growth",
         "--channel", "in_app", NULL},
        {"report", KEY, NULL},
        {"power", "--baseline-rate", "0.1", "--mde", "0.1", "--holdout", "0.1", NULL},
        {"ping", NULL},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        const char *args[16] = {"--endpoint", T.endpoint};
        int n = 2;
        for (int k = 0; cmds[i][k]; k++)
            args[n++] = cmds[i][k];
        args[n] = NULL;
        res_t r = run_argv(T.dir, "/dev/full", args);
        ck_assert_msg(r.rc == 1 && strstr(r.err, "cannot write output: No space left on device"),
                      "liftctl %s %s > /dev/full: exit %d, stderr: %s", cmds[i][0], cmds[i][1],
                      r.rc, r.err);
        res_free(&r);
    }
    /* keygen without -o: the secret went nowhere, and the caller is told so */
    res_t r = RUN(T.dir, "/dev/full", "keygen");
    expect(&r, 1, "No space left on device", "nothing was saved", NULL);
    res_free(&r);
}
END_TEST

/* ---- a fake liftd: a ROUTER that answers with hostile strings or slowly --------------------- */

#define HOSTILE_NAME "name\x1b[2J\x1b]0;pwned\x07"
#define HOSTILE_OWNER                                                                              \
    "alice\xe2\x80\xae"                                                                            \
    "evil\xe2\x81\xa6"
#define HOSTILE_HYPO                                                                               \
    "line one\nC1 \xc2\x9b"                                                                        \
    "31m DEL \x7f bad \xff\xfe end"
#define HOSTILE_MSG "no such experiment\x1b[31m \xe2\x80\xae\x9b"

typedef struct {
    char endpoint[300];  /* where the fake binds */
    int report_delay_ms; /* > 0: answer Report with an empty report after this long */
    atomic_int stop;     /* set to end the thread */
    atomic_int ready;    /* 1 bound, -1 bind failed (errno in bind_errno) */
    int bind_errno;      /* why the bind failed */
    void *ctx;           /* ZeroMQ context of the fake */
    pthread_t thread;    /* the ROUTER loop */
} fake_t;

static Lift__Experiment *hostile_experiment(void)
{
    static Lift__Arm a0 = LIFT__ARM__INIT, a1 = LIFT__ARM__INIT;
    static Lift__Arm *arms[2] = {&a0, &a1};
    static Lift__Experiment e = LIFT__EXPERIMENT__INIT;
    a0.name = "holdout";
    a0.has_weight = 1;
    a0.weight = 0.5;
    a1.name = "offer\x1b[5m";
    a1.has_weight = 1;
    a1.weight = 0.5;
    a1.payload = "tpl \xe2\x80\xae";
    e.key = "hostile";
    e.name = HOSTILE_NAME;
    e.owner = HOSTILE_OWNER;
    e.hypothesis = HOSTILE_HYPO;
    e.n_arms = 2;
    e.arms = arms;
    e.has_status = 1;
    e.status = LIFT__EXPERIMENT_STATUS__STATUS_RUNNING;
    e.checksum = "ab\x1b"
                 "cd";
    return &e;
}

static void fake_reply(void *sock, zmq_msg_t *id, int delimited, const Lift__Request *req,
                       fake_t *f)
{
    Lift__Reply rep = LIFT__REPLY__INIT;
    Lift__Status st = LIFT__STATUS__INIT;
    Lift__Pong pong = LIFT__PONG__INIT;
    Lift__ExperimentList list = LIFT__EXPERIMENT_LIST__INIT;
    Lift__Report report = LIFT__REPORT__INIT;
    Lift__Provenance prov = LIFT__PROVENANCE__INIT;
    Lift__Experiment *exps[1] = {hostile_experiment()};
    rep.has_request_id = 1;
    rep.request_id = req->request_id;
    rep.status = &st;
    st.has_code = 1; /* liftd always sends the code */
    st.code = LIFT__CODE__OK;
    switch (req->body_case) {
    case LIFT__REQUEST__BODY_PING:
        pong.version = "0.1.0\x1b[8m";
        pong.has_now_ms = 1;
        pong.now_ms = 1767225600000;
        rep.body_case = LIFT__REPLY__BODY_PONG;
        rep.pong = &pong;
        break;
    case LIFT__REQUEST__BODY_GET_EXPERIMENT:
        rep.body_case = LIFT__REPLY__BODY_EXPERIMENT;
        rep.experiment = exps[0];
        break;
    case LIFT__REQUEST__BODY_LIST_EXPERIMENTS:
        list.n_experiments = 1;
        list.experiments = exps;
        rep.body_case = LIFT__REPLY__BODY_EXPERIMENTS;
        rep.experiments = &list;
        break;
    case LIFT__REQUEST__BODY_REPORT:
        if (f->report_delay_ms > 0) {
            struct timespec ts = {f->report_delay_ms / 1000,
                                  (long)(f->report_delay_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            prov.hash_version = req->report->experiment_key; /* echoed for the test */
            report.provenance = &prov;
            rep.body_case = LIFT__REPLY__BODY_REPORT;
            rep.report = &report;
            break;
        }
        st.code = LIFT__CODE__NOT_FOUND; /* a hostile error */
        st.message = HOSTILE_MSG;
        st.field = "experiment_key\x1b[0m";
        break;
    default:
        st.code = LIFT__CODE__NOT_FOUND;
        st.message = HOSTILE_MSG;
        st.field = "experiment_key\x1b[0m";
        break;
    }
    size_t len = lift__reply__get_packed_size(&rep);
    zmq_msg_t body;
    zmq_msg_init_size(&body, len);
    lift__reply__pack(&rep, zmq_msg_data(&body));
    zmq_msg_send(id, sock, ZMQ_SNDMORE);
    if (delimited)
        zmq_send(sock, "", 0, ZMQ_SNDMORE);
    zmq_msg_send(&body, sock, 0);
}

static void *fake_main(void *arg)
{
    fake_t *f = arg;
    void *s = zmq_socket(f->ctx, ZMQ_ROUTER);
    int one = 1, zero = 0;
    zmq_setsockopt(s, ZMQ_IPV6, &one, sizeof one);
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(s, f->endpoint) != 0) {
        f->bind_errno = errno;
        zmq_close(s);
        atomic_store(&f->ready, -1);
        return NULL;
    }
    atomic_store(&f->ready, 1);
    while (!atomic_load(&f->stop)) {
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 50) <= 0)
            continue;
        zmq_msg_t id, m;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, s, 0) < 0) {
            zmq_msg_close(&id);
            continue;
        }
        int delimited = 0, more = zmq_msg_more(&id);
        Lift__Request *req = NULL;
        while (more) {
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s, 0) < 0) {
                zmq_msg_close(&m);
                break;
            }
            more = zmq_msg_more(&m);
            if (zmq_msg_size(&m) == 0)
                delimited = 1;
            else if (req == NULL)
                req = lift__request__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
            zmq_msg_close(&m);
        }
        if (req)
            fake_reply(s, &id, delimited, req, f);
        lift__request__free_unpacked(req, NULL);
        zmq_msg_close(&id);
    }
    zmq_close(s);
    return NULL;
}

/* Starts a fake on endpoint; 0 bound, -1 the bind failed (errno). */
static int fake_start(fake_t *f, const char *endpoint, int report_delay_ms)
{
    memset(f, 0, sizeof *f);
    snprintf(f->endpoint, sizeof f->endpoint, "%s", endpoint);
    f->report_delay_ms = report_delay_ms;
    f->ctx = zmq_ctx_new();
    ck_assert_ptr_nonnull(f->ctx);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
    while (atomic_load(&f->ready) == 0) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&f->ready) < 0) {
        pthread_join(f->thread, NULL);
        zmq_ctx_term(f->ctx);
        errno = f->bind_errno;
        return -1;
    }
    return 0;
}

static void fake_stop(fake_t *f)
{
    atomic_store(&f->stop, 1);
    pthread_join(f->thread, NULL);
    zmq_ctx_term(f->ctx);
}

/* ---- part 9: a report against a dead endpoint fails like a ping ----------------------------- */

START_TEST(test_report_dead_endpoint)
{
    char ep[400];
    snprintf(ep, sizeof ep, "ipc://%s/nobody.sock", D);
    res_t p = RUN(D, NULL, "--endpoint", ep, "--timeout", "300", "ping");
    expect(&p, 1, "no reply", NULL);
    res_t r = RUN(D, NULL, "--endpoint", ep, "--timeout", "300", "report", KEY);
    expect(&r, 1, "no reply", NULL);
    /* 3 pings of 300 ms, not 3 reports of 60 s */
    ck_assert_msg(r.ms < p.ms + 2000, "report took %.0f ms, ping %.0f ms", r.ms, p.ms);
    res_free(&r);
    r = RUN(D, NULL, "--endpoint", ep, "--timeout", "300", "report", "--all-running");
    expect(&r, 1, "no reply", NULL);
    ck_assert_msg(r.ms < p.ms + 2000, "report --all-running took %.0f ms", r.ms);
    res_free(&r);
    res_free(&p);
}
END_TEST

START_TEST(test_report_slow_server)
{
    /* liftd answers pings but takes longer than the client timeout for the report: the client
     * waits for it (LIFT_REPORT_TIMEOUT_MS), it does not give up after its own timeout */
    char ep[400];
    snprintf(ep, sizeof ep, "ipc://%s/slow.sock", D);
    fake_t f;
    ck_assert_int_eq(fake_start(&f, ep, 1200), 0);
    lift_client_opts_t o = {.timeout_ms = 300, .attempts = 1};
    lift_client_t *c = lift_client_new(ep, &o);
    ck_assert_ptr_nonnull(c);
    Lift__ReportRequest rq = LIFT__REPORT_REQUEST__INIT;
    rq.experiment_key = "slow";
    Lift__Report *rep = NULL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    lift_err_t e = lift_report(c, &rq, &rep);
    ck_assert_msg(e == LIFT_OK, "%s", lift_client_error(c));
    ck_assert_msg(ms_since(&t0) >= 1100, "took %.0f ms", ms_since(&t0));
    ck_assert_ptr_nonnull(rep->provenance);
    ck_assert_str_eq(rep->provenance->hash_version, "slow");
    lift_report_free(&rep);
    lift_client_destroy(&c);
    fake_stop(&f);
}
END_TEST

/* ---- part 13: localhost and [::1] ---------------------------------------------------------- */

static int free_port(int family)
{
    int s = socket(family, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_storage a;
    socklen_t len;
    memset(&a, 0, sizeof a);
    if (family == AF_INET6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;
        a6->sin6_family = AF_INET6;
        a6->sin6_addr = in6addr_loopback;
        len = sizeof *a6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&a;
        a4->sin_family = AF_INET;
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a4;
    }
    if (bind(s, (struct sockaddr *)&a, len) != 0) {
        close(s);
        return -1; /* no such loopback (no IPv6 here) */
    }
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    int port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
                                        : ((struct sockaddr_in *)&a)->sin_port);
    close(s);
    return port;
}

START_TEST(test_loopback_names_liftd)
{
    const char *forms[] = {"tcp://localhost:%d", "tcp://[::1]:%d"};
    for (int i = 0; i < 2; i++) {
        int port = free_port(i == 0 ? AF_INET : AF_INET6);
        if (port < 0)
            continue; /* a host without IPv6 loopback */
        tliftd_t L;
        tu_liftd_init(&L);
        snprintf(L.endpoint, sizeof L.endpoint, forms[i], port);
        tu_liftd_start(&L, NULL); /* waits for a ping through the client library */
        res_t r = RUN(L.dir, NULL, "--endpoint", L.endpoint, "--timeout", "2000", "ping");
        expect(&r, 0, NULL);
        ck_assert_msg(strstr(r.out, "liftd ") != NULL, "ping said: %s", r.out);
        res_free(&r);
        tu_liftd_fini(&L);
    }
}
END_TEST

START_TEST(test_loopback_names_client)
{
    /* the client alone, against a plain ROUTER bound on the numeric addresses */
    struct {
        int family;
        const char *bind, *connect;
    } cases[] = {{AF_INET, "tcp://127.0.0.1:%d", "tcp://localhost:%d"},
                 {AF_INET6, "tcp://[::1]:%d", "tcp://[::1]:%d"}};
    for (int i = 0; i < 2; i++) {
        int port = free_port(cases[i].family);
        if (port < 0)
            continue;
        char b[64], c[64], version[64];
        snprintf(b, sizeof b, cases[i].bind, port);
        snprintf(c, sizeof c, cases[i].connect, port);
        fake_t f;
        ck_assert_msg(fake_start(&f, b, 0) == 0, "bind %s: %s", b, strerror(errno));
        lift_client_opts_t o = {.timeout_ms = 2000, .attempts = 1};
        lift_client_t *cl = lift_client_new(c, &o);
        ck_assert_msg(cl != NULL, "%s: %s", c, strerror(errno));
        lift_err_t e = lift_ping(cl, version, sizeof version, NULL);
        ck_assert_msg(e == LIFT_OK, "%s: %s", c, lift_client_error(cl));
        ck_assert_str_eq(version, "0.1.0\x1b[8m");
        lift_client_destroy(&cl);
        fake_stop(&f);
    }
}
END_TEST

/* ---- part 14: nothing untrusted reaches the terminal raw ------------------------------------ */

/* Fails unless s is valid UTF-8 with no C0 control but newline, no DEL, no C1 control and no
 * bidi or line-separator character. */
static void expect_printable(const char *what, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; p[i];) {
        unsigned c = p[i], cp, n;
        if (c < 0x80) {
            ck_assert_msg(c >= 0x20 ? c != 0x7f : c == '\n', "%s: raw byte 0x%02x at %zu: %s", what,
                          c, i, s);
            i++;
            continue;
        }
        n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        ck_assert_msg(n > 0 && c <= 0xF4, "%s: bad UTF-8 lead 0x%02x at %zu", what, c, i);
        cp = c & (0x7F >> n);
        for (unsigned k = 1; k < n; k++) {
            ck_assert_msg((p[i + k] & 0xC0) == 0x80, "%s: bad UTF-8 at %zu", what, i + k);
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        ck_assert_msg(cp > 0x9F, "%s: C1 control U+%04X at %zu", what, cp, i);
        ck_assert_msg(!(cp == 0x061C || cp == 0x200E || cp == 0x200F ||
                        (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
                        cp == 0x2028 || cp == 0x2029),
                      "%s: layout control U+%04X at %zu", what, cp, i);
        i += n;
    }
}

static void expect_has(const char *what, const char *s, const char *word)
{
    ck_assert_msg(strstr(s, word) != NULL, "%s lacks '%s': %s", what, word, s);
}

START_TEST(test_hostile_server_strings)
{
    char ep[400];
    snprintf(ep, sizeof ep, "ipc://%s/hostile.sock", D);
    fake_t f;
    ck_assert_int_eq(fake_start(&f, ep, 0), 0);

    res_t r = RUN(D, NULL, "--endpoint", ep, "experiment", "show", "hostile");
    expect(&r, 0, NULL);
    expect_printable("show", r.out);
    expect_has("show", r.out, "name\\x1b[2J\\x1b]0;pwned\\x07");
    expect_has("show", r.out, "alice\\u202eevil\\u2066");
    expect_has("show", r.out, "C1 \\u009b31m DEL \\x7f bad \\xff\\xfe end");
    expect_has("show", r.out, "offer\\x1b[5m");
    expect_has("show", r.out, "tpl \\u202e");
    expect_has("show", r.out, "ab\\x1bcd");
    expect_has("show", r.out, "line one\n"); /* a multi-line hypothesis keeps its lines */
    res_free(&r);

    r = RUN(D, NULL, "--endpoint", ep, "experiment", "list");
    expect(&r, 0, NULL);
    expect_printable("list", r.out);
    expect_has("list", r.out, "alice\\u202eevil\\u2066");
    res_free(&r);

    /* JSON keeps the exact strings, with what a terminal obeys as \u escapes */
    r = RUN(D, NULL, "--endpoint", ep, "--json", "experiment", "list");
    expect(&r, 0, NULL);
    expect_printable("list --json", r.out);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    ck_assert_msg(j != NULL, "not JSON (%s): %s", je.text, r.out);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "owner")),
                     HOSTILE_OWNER);
    json_decref(j);
    res_free(&r);

    r = RUN(D, NULL, "--endpoint", ep, "ping");
    expect(&r, 0, NULL);
    expect_printable("ping", r.out);
    res_free(&r);

    /* a server error message */
    r = RUN(D, NULL, "--endpoint", ep, "report", "hostile");
    expect(&r, 1, "no such experiment\\x1b[31m \\u202e\\x9b", NULL);
    expect_printable("report stderr", r.err);
    res_free(&r);
    r = RUN(D, NULL, "--endpoint", ep, "experiment", "start", "hostile");
    expect(&r, 1, "\\x1b[31m", NULL);
    expect_printable("start stderr", r.err);
    res_free(&r);
    fake_stop(&f);
}
END_TEST

START_TEST(test_registry_refuses_layout_controls)
{
    struct {
        const char *flag, *value, *field, *cp;
    } cases[] = {
        {"--owner",
         "alice\xe2\x80\xae"
         "ecila",
         "experiment.owner", "U+202E"},
        {"--owner", "bob\xe2\x81\xa7", "experiment.owner", "U+2067"},
        {"--name", "n\xc2\x85x", "experiment.name", "U+0085"},
        {"--hypothesis", "h\xe2\x80\x8f", "experiment.hypothesis", "U+200F"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        res_t r = LIFTCTL(NULL, "experiment", "create", "--key", "layout", "--arms",
                          "holdout:0.5,offer:0.5", cases[i].flag, cases[i].value);
        expect(&r, 1, cases[i].field, cases[i].cp, "at byte", NULL);
        expect_printable("create stderr", r.err);
        res_free(&r);
    }
    /* right-to-left marks and overrides stay possible in an (opaque) arm payload */
    res_t r = LIFTCTL(NULL, "experiment", "create", "--key", "rtl-payload2", "--arms",
                      "holdout:0.5,offer:0.5", "--payload", "offer=tpl\xe2\x80\xae");
    expect(&r, 0, NULL);
    res_free(&r);
    r = LIFTCTL(NULL, "experiment", "show", "rtl-payload2");
    expect(&r, 0, NULL);
    expect_printable("show", r.out);
    expect_has("show", r.out, "tpl\\u202e");
    res_free(&r);
}
END_TEST

/* ---- part 15: messages -------------------------------------------------------------------- */

START_TEST(test_power_overflow)
{
    struct {
        const char *flag, *value, *bound;
    } cases[] = {
        {"--revenue-sd", "1e200", "1e+15"}, {"--revenue-mean", "1e300", "1e+15"},
        {"--mde", "1e-200", "1e-09"},       {"--mde", "1e999", "1e+09"},
        {"--holdout", "1e-300", "1e-06"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[] = {"power",
                              "--revenue-mean",
                              "1",
                              "--revenue-sd",
                              "1",
                              "--mde",
                              "0.1",
                              "--holdout",
                              "0.1",
                              cases[i].flag,
                              cases[i].value,
                              NULL};
        res_t r = run_argv(D, NULL, args);
        expect(&r, 2, cases[i].flag, cases[i].value, cases[i].bound, NULL);
        ck_assert_msg(strstr(r.err, "variance") == NULL, "%s", r.err);
        res_free(&r);
    }
    res_t r =
        RUN(D, NULL, "power", "--baseline-rate", "1e-300", "--mde", "0.1", "--holdout", "0.1");
    expect(&r, 2, "--baseline-rate", "1e-09", NULL);
    res_free(&r);
    r = RUN(D, NULL, "power", "--baseline-rate", "0.1", "--mde", "1e300", "--holdout", "0.1");
    expect(&r, 2, "--mde", NULL); /* not "0 customers", exit 0 */
    res_free(&r);
}
END_TEST

START_TEST(test_no_reply_hint)
{
    char ep[400];
    snprintf(ep, sizeof ep, "ipc://%s/nobody.sock", D);
    res_t r = RUN(D, NULL, "--endpoint", ep, "--timeout", "200", "--retries", "1", "ping");
    expect(&r, 1, "no reply", "likely causes", "not running", NULL);
    ck_assert_msg(strstr(r.err, "authorized-keys") == NULL, "%s", r.err);
    res_free(&r);
    if (!zmq_has("curve"))
        return;

    /* a real CURVE liftd that knows key A: key B gets no reply, and the hint names the key */
    char server[400], a[400], b[400], keys[400], data[400], pub_a[64], pub_s[64], line[200];
    snprintf(server, sizeof server, "%s/server.key", D);
    snprintf(a, sizeof a, "%s/a.key", D);
    snprintf(b, sizeof b, "%s/b.key", D);
    snprintf(keys, sizeof keys, "%s/authorized_keys", D);
    snprintf(data, sizeof data, "%s/data", D);
    const char *paths[] = {server, a, b};
    for (int i = 0; i < 3; i++) {
        r = RUN(D, NULL, "keygen", "-o", paths[i]);
        expect(&r, 0, NULL);
        if (i == 0)
            snprintf(pub_s, sizeof pub_s, "%.40s", r.out);
        if (i == 1)
            snprintf(pub_a, sizeof pub_a, "%.40s", r.out);
        res_free(&r);
    }
    snprintf(line, sizeof line, "%s admin test\n", pub_a);
    write_file(keys, line, 0600);
    char prog[512];
    tu_program("liftd", prog, sizeof prog);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        execl(prog, prog, "--endpoint", ep, "--data", data, "--curve-secret", server,
              "--authorized-keys", keys, (char *)NULL);
        _exit(127);
    }
    int up = 0;
    for (int i = 0; i < 100 && !up; i++) {
        r = RUN(D, NULL, "--endpoint", ep, "--server-key", pub_s, "--key", a, "--timeout", "200",
                "--retries", "1", "ping");
        up = r.rc == 0;
        res_free(&r);
    }
    if (up) {
        r = RUN(D, NULL, "--endpoint", ep, "--server-key", pub_s, "--key", b, "--timeout", "300",
                "--retries", "1", "ping");
        expect(&r, 1, "no reply", "likely causes", "public key", "authorized-keys", "--server-key",
               NULL);
        res_free(&r);
    }
    kill(pid, SIGTERM);
    wait_child(pid);
    ck_assert_msg(up, "the CURVE liftd did not answer key A");
}
END_TEST

Suite *hostile_output_suite(void);

Suite *hostile_output_suite(void)
{
    Suite *s = suite_create("hostile_output");
    TCase *out = tcase_create("output");
    tcase_add_checked_fixture(out, tu_setup, tu_teardown);
    tcase_set_timeout(out, 60);
    tcase_add_test(out, test_output_fifo);
    tcase_add_test(out, test_output_devices);
    tcase_add_test(out, test_output_refused);
    tcase_add_test(out, test_output_regular);
    tcase_add_test(out, test_write_errors);
    tcase_add_test(out, test_registry_refuses_layout_controls);
    suite_add_tcase(s, out);

    TCase *net = tcase_create("errors");
    tcase_add_checked_fixture(net, setup_dir, teardown_dir);
    tcase_set_timeout(net, 60);
    tcase_add_test(net, test_report_dead_endpoint);
    tcase_add_test(net, test_report_slow_server);
    tcase_add_test(net, test_loopback_names_liftd);
    tcase_add_test(net, test_loopback_names_client);
    tcase_add_test(net, test_hostile_server_strings);
    tcase_add_test(net, test_power_overflow);
    tcase_add_test(net, test_no_reply_hint);
    suite_add_tcase(s, net);
    return s;
}
