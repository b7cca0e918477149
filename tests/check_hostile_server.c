/* hostile_server: operator mistakes and hostile input on liftd's side — two liftd on one store
 * or one ipc path, an event id reused with other content, backdated trigger times, a full quota, localhost endpoints, a read-only
 * store. Each case failed before the fix it guards. The "load" cases (2,000 connections, a
 * client that never reads) held before; they are kept here so that they keep holding. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "lift.pb-c.h"
#include "lift/client.h"
#include "store.h"
#include "testutil.h"

#define T tu_liftd /* each test's liftd (tu_setup, tu_teardown) */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Run liftd with --endpoint ep --data data and extra args, stderr to dir/name.log; wait for it
 * to exit (at most 20 s). Returns its exit status; *log is the stderr text. */
static int run_liftd_expect_exit(const char *ep, const char *data, const char *name, char **log)
{
    char prog[512], path[600];
    tu_program("liftd", prog, sizeof prog);
    snprintf(path, sizeof path, "%s/%s.log", T.dir, name);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, 2);
        execl(prog, prog, "--endpoint", ep, "--data", data, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            *log = slurp(path);
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    *log = slurp(path);
    ck_abort_msg("liftd did not exit: %s", *log);
    return -1;
}

static void create_and_start(const char *key)
{
    tu_experiment_t x;
    ck_assert_int_eq(lift_experiment_create(T.client, tu_two_arms(&x, key, 0.5, 0.5), NULL),
                     LIFT_OK);
    ck_assert_int_eq(lift_experiment_change(T.client, key, LIFT__ACTION__ACTION_START, 0, NULL),
                     LIFT_OK);
}

static lift_event_t money(const char *id, int type, int64_t amount, int64_t ts)
{
    lift_event_t e = {.event_id = id,
                      .customer_id = "acme",
                      .type = type,
                      .timestamp_ms = ts,
                      .has_amount = true,
                      .amount_minor = amount};
    return e;
}

/* ---- one store, one endpoint: one liftd -------------------------------------------------- */

START_TEST(test_second_liftd_on_same_store_refused)
{
    char ep[400], *log;
    snprintf(ep, sizeof ep, "ipc://%s/other.sock", T.dir);
    int rc = run_liftd_expect_exit(ep, T.data, "second", &log);
    ck_assert_int_ne(rc, 0);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %d", (int)T.pid);
    ck_assert_msg(strstr(log, "in use by another liftd") && strstr(log, pid),
                  "no refusal naming the holder: %s", log);
    /* The first one is untouched. */
    ck_assert_int_eq(lift_ping(T.client, NULL, 0, NULL), LIFT_OK);
    /* A crash releases the lock: the next liftd starts on the same store. */
    tu_liftd_kill(&T);
    tu_liftd_start(&T, NULL);
    ck_assert_int_eq(lift_ping(T.client, NULL, 0, NULL), LIFT_OK);
}
END_TEST

START_TEST(test_ipc_path_of_running_liftd_refused)
{
    char data2[400], *log;
    snprintf(data2, sizeof data2, "%s/data2", T.dir);
    int rc = run_liftd_expect_exit(T.endpoint, data2, "takeover", &log);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(log, "another process is listening"), "no refusal: %s", log);
    /* The first liftd still answers on its path. */
    ck_assert_int_eq(lift_ping(T.client, NULL, 0, NULL), LIFT_OK);
    /* A stale socket (its liftd killed) is replaced. */
    tu_liftd_kill(&T);
    struct stat sb;
    ck_assert_int_eq(stat(T.endpoint + 6, &sb), 0);
    tu_liftd_start(&T, NULL);
    ck_assert_int_eq(lift_ping(T.client, NULL, 0, NULL), LIFT_OK);
}
END_TEST

START_TEST(test_ipc_path_that_is_a_file_refused)
{
    char path[400], ep[420], data2[400], *log;
    snprintf(path, sizeof path, "%s/precious.txt", T.dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("keep me\n", f);
    fclose(f);
    snprintf(ep, sizeof ep, "ipc://%s", path);
    snprintf(data2, sizeof data2, "%s/data2", T.dir);
    ck_assert_int_ne(run_liftd_expect_exit(ep, data2, "file", &log), 0);
    ck_assert_msg(strstr(log, "is not a socket"), "%s", log);
    ck_assert_str_eq(slurp(path), "keep me\n");
}
END_TEST

/* ---- the event-index snapshot is used only when it covers every stored row ---------------- */

/* ---- the same event id with other content ------------------------------------------------ */

START_TEST(test_event_id_reused_with_other_content)
{
    int64_t t0 = tu_now_ms() - 60000;
    lift_event_t conv = money("inv-1", LIFT__EVENT_TYPE__EVENT_CONVERSION, 4900, t0);
    lift_event_t refund = money("inv-1", LIFT__EVENT_TYPE__EVENT_REFUND, 99900, t0);
    lift_track_result_t r;
    ck_assert_int_eq(lift_track(T.client, &conv, 1, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, 1);
    lift_track_result_clear(&r);
    for (int round = 0; round < 2; round++) {
        ck_assert_int_eq(lift_track(T.client, &refund, 1, &r), LIFT_OK);
        ck_assert_uint_eq(r.accepted, 0);
        ck_assert_uint_eq(r.duplicates, 0);
        ck_assert_uint_eq(r.conflicts, 1);
        ck_assert_uint_eq(r.n_rejected, 1);
        ck_assert_str_eq(r.rejected[0].field, "track.events[0].event_id");
        const char *why = r.rejected[0].reason;
        ck_assert_msg(strstr(why, "reused with different content") && strstr(why, "conversion") &&
                          strstr(why, "4900") && strstr(why, "refund") && strstr(why, "99900"),
                      "reason: %s", why);
        lift_track_result_clear(&r);
        /* The same content again is still a plain duplicate. */
        ck_assert_int_eq(lift_track(T.client, &conv, 1, &r), LIFT_OK);
        ck_assert_uint_eq(r.duplicates, 1);
        ck_assert_uint_eq(r.conflicts, 0);
        lift_track_result_clear(&r);
        /* The digest is stored: the same after a restart, from the snapshot... */
        ck_assert_int_eq(tu_liftd_stop(&T), 0);
        if (round == 1) {
            /* ...and after a crash (index rebuilt by a scan). */
            char idx[400];
            snprintf(idx, sizeof idx, "%s/event-index", T.data);
            unlink(idx);
        }
        tu_liftd_start(&T, NULL);
    }
    /* Inside one batch: the second of two different contents under one id conflicts. */
    lift_event_t b[2] = {money("inv-2", LIFT__EVENT_TYPE__EVENT_CONVERSION, 100, t0),
                         money("inv-2", LIFT__EVENT_TYPE__EVENT_CONVERSION, 200, t0)};
    ck_assert_int_eq(lift_track(T.client, b, 2, &r), LIFT_OK);
    ck_assert_uint_eq(r.accepted, 1);
    ck_assert_uint_eq(r.conflicts, 1);
    ck_assert_uint_eq(r.rejected[0].index, 1);
    lift_track_result_clear(&r);
    ck_assert_int_eq(tu_store_events(T.data, NULL).amount_sum, 4900 + 100);
}
END_TEST

/* ---- trigger times ---------------------------------------------------------------------- */

START_TEST(test_trigger_time_before_experiment_start_refused)
{
    create_and_start("fresh");
    lift_context_t c = {.trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD,
                        .stage = LIFT__STAGE__STAGE_GROWTH,
                        .channel = LIFT__CHANNEL__CHANNEL_EMAIL,
                        .trigger_time_ms = 946857600000LL}; /* 2000-01-03 */
    lift_assignment_t a;
    ck_assert_int_eq(lift_assign(T.client, "fresh", "cust-1", &c, &a), LIFT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(lift_client_error_field(T.client), "assign.context.trigger_time_ms");
    const char *msg = lift_client_error(T.client);
    ck_assert_msg(strstr(msg, "2000-01-03T00:00:00.000Z") && strstr(msg, "before experiment fresh"),
                  "%s", msg);
    ck_assert_int_eq(tu_store_summary(T.data).exposures, 0);
    /* An hour before the start is a trigger of this run (a batch job's backlog). */
    c.trigger_time_ms = tu_now_ms() - 3600 * 1000;
    ck_assert_int_eq(lift_assign(T.client, "fresh", "cust-1", &c, &a), LIFT_OK);
    lift_assignment_clear(&a);
}
END_TEST

/* ---- the quota: the log names the cause -------------------------------------------------- */

START_TEST(test_quota_log_names_the_cause)
{
    tu_liftd_stop(&T);
    char prog[512], logp[400];
    tu_program("liftd", prog, sizeof prog);
    snprintf(logp, sizeof logp, "%s/quota.log", T.dir);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        execl(prog, prog, "--endpoint", T.endpoint, "--data", T.data, "--max-store-mb", "1",
              (char *)NULL);
        _exit(127);
    }
    lift_client_opts_t o = {.timeout_ms = 2000, .attempts = 5};
    lift_client_t *c = lift_client_new(T.endpoint, &o);
    ck_assert_int_eq(lift_ping(c, NULL, 0, NULL), LIFT_OK);
    enum { B = 500 };
    static char ids[B][64];
    lift_event_t ev[B];
    char cust[120];
    memset(cust, 'c', sizeof cust - 1);
    cust[sizeof cust - 1] = '\0';
    int64_t t0 = tu_now_ms() - 60000;
    int full = 0;
    for (int b = 0; b < 200 && !full; b++) {
        for (int i = 0; i < B; i++) {
            snprintf(ids[i], sizeof ids[i], "q-%05d-%04d-padding-padding-padding", b, i);
            lift_event_t e = {.event_id = ids[i],
                              .customer_id = cust,
                              .type = LIFT__EVENT_TYPE__EVENT_CHURN,
                              .timestamp_ms = t0};
            ev[i] = e;
        }
        lift_track_result_t r;
        lift_err_t rc = lift_track(c, ev, B, &r);
        if (rc == LIFT_OK)
            lift_track_result_clear(&r);
        else
            full = 1;
    }
    ck_assert(full);
    lift_client_destroy(&c);
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    const char *log = slurp(logp);
    ck_assert_msg(strstr(log, "quota") && strstr(log, "full"), "log lacks the cause: %s", log);
    ck_assert_msg(!strstr(log, "no transaction is active"), "symptom, not cause: %s", log);
}
END_TEST

/* ---- localhost endpoints ------------------------------------------------------------------ */

static int raw_ping(const char *ep)
{
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
    int one = 1, linger = 0, tmo = 3000;
    zmq_setsockopt(s, ZMQ_IPV6, &one, sizeof one);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    int ok = 0;
    if (zmq_connect(s, ep) == 0) {
        Lift__Request req = LIFT__REQUEST__INIT;
        Lift__Ping ping = LIFT__PING__INIT;
        req.body_case = LIFT__REQUEST__BODY_PING;
        req.ping = &ping;
        req.request_id = 7;
        uint8_t buf[64];
        size_t n = lift__request__pack(&req, buf);
        char reply[4096];
        if (zmq_send(s, buf, n, 0) == (int)n) {
            int got = zmq_recv(s, reply, sizeof reply, 0);
            Lift__Reply *rep =
                got > 0 ? lift__reply__unpack(NULL, (size_t)got, (uint8_t *)reply) : NULL;
            ok = rep && rep->body_case == LIFT__REPLY__BODY_PONG;
            lift__reply__free_unpacked(rep, NULL);
        }
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return ok;
}

START_TEST(test_localhost_endpoints_bind)
{
    tu_liftd_stop(&T);
    int port = 20000 + (int)(getpid() % 20000);
    const char *forms[] = {"tcp://localhost:%d", "tcp://[::1]:%d"};
    for (int k = 0; k < 2; k++) {
        snprintf(T.endpoint, sizeof T.endpoint, forms[k], port + k);
        lift_client_destroy(&T.client);
        tu_liftd_start(&T, NULL); /* waits for a ping through the client library */
        char ep[64];
        snprintf(ep, sizeof ep, k == 0 ? "tcp://127.0.0.1:%d" : "tcp://[::1]:%d", port + k);
        ck_assert_msg(raw_ping(ep), "no pong on %s for liftd bound to %s", ep, T.endpoint);
        if (k == 0) {
            snprintf(ep, sizeof ep, "tcp://[::1]:%d", port);
            ck_assert_msg(raw_ping(ep), "localhost bind does not answer on %s", ep);
        }
        tu_liftd_stop(&T);
    }
}
END_TEST

/* ---- a store liftd cannot write ---------------------------------------------------------- */

/* In a child that drops to an unprivileged user (root may write anything), open the store and
 * return the message. */
static void open_as_nobody(const char *dir, char *msg, size_t len)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        char err[512] = "";
        if (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
            snprintf(err, sizeof err, "setuid failed");
        else {
            store_t *s = store_open(dir, err, sizeof err);
            if (s)
                snprintf(err, sizeof err, "opened");
            store_destroy(&s);
        }
        ssize_t w = write(fds[1], err, strlen(err));
        (void)w;
        _exit(0);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], msg, len - 1);
    msg[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    waitpid(pid, NULL, 0);
}

START_TEST(test_read_only_store_says_so)
{
    ck_assert_int_eq(tu_liftd_stop(&T), 0);
    char path[450], msg[512];
    chmod(T.dir, 0755);
    chmod(T.data, 0755);
    snprintf(path, sizeof path, "%s/lift.db", T.data);
    chmod(path, 0644);
    snprintf(path, sizeof path, "%s/lift.lock", T.data);
    chmod(path, 0644);
    open_as_nobody(T.data, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "write access") && !strstr(msg, "PRAGMA"), "%s", msg);
    /* The lock file writable, the database not: SQLite would fall back to read-only. */
    chmod(path, 0666);
    open_as_nobody(T.data, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "read-only") && strstr(msg, "write access") && !strstr(msg, "PRAGMA"),
                  "%s", msg);
}
END_TEST

/* ---- load that held up before: kept from regressing -------------------------------------- */

/* A packed Ping with request id rid into buf; returns its length. */
static size_t pack_ping(uint64_t rid, uint8_t *buf)
{
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Ping ping = LIFT__PING__INIT;
    req.body_case = LIFT__REQUEST__BODY_PING;
    req.ping = &ping;
    req.has_request_id = 1;
    req.request_id = rid;
    return lift__request__pack(&req, buf);
}

/* Receives one reply on DEALER d within timeout_ms; returns its request id, or 0 on timeout
 * or when it is not an OK Pong. */
static uint64_t recv_pong(void *d, int timeout_ms)
{
    zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, timeout_ms) <= 0)
        return 0;
    zmq_msg_t m;
    zmq_msg_init(&m);
    uint64_t rid = 0;
    if (zmq_msg_recv(&m, d, 0) >= 0) {
        Lift__Reply *r = lift__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        if (r && r->status && r->status->code == LIFT__CODE__OK &&
            r->body_case == LIFT__REPLY__BODY_PONG)
            rid = r->request_id;
        if (r)
            lift__reply__free_unpacked(r, NULL);
    }
    zmq_msg_close(&m);
    return rid;
}

/* 2,000 connections at once, each with a request in flight: every one is answered, and liftd
 * still serves afterwards. */
START_TEST(test_many_connections)
{
    enum { N = 2000 };
    void *ctx = zmq_ctx_new();
    ck_assert_int_eq(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, N + 64), 0);
    void **d = calloc(N, sizeof *d);
    ck_assert_ptr_nonnull(d);
    int zero = 0;
    uint8_t buf[64];
    for (int i = 0; i < N; i++) {
        d[i] = zmq_socket(ctx, ZMQ_DEALER);
        ck_assert_msg(d[i] != NULL, "socket %d: %s", i, zmq_strerror(zmq_errno()));
        zmq_setsockopt(d[i], ZMQ_LINGER, &zero, sizeof zero);
        ck_assert_int_eq(zmq_connect(d[i], T.endpoint), 0);
    }
    for (int i = 0; i < N; i++) {
        size_t len = pack_ping((uint64_t)i + 1, buf);
        ck_assert_int_eq(zmq_send(d[i], buf, len, 0), (int)len);
    }
    int answered = 0;
    for (int i = 0; i < N; i++)
        answered += recv_pong(d[i], 10000) == (uint64_t)i + 1;
    ck_assert_int_eq(answered, N);
    for (int i = 0; i < N; i++)
        zmq_close(d[i]);
    free(d);
    zmq_ctx_term(ctx);
    ck_assert_int_eq(lift_ping(T.client, NULL, 0, NULL), LIFT_OK);
}
END_TEST

/* A client that pipelines thousands of requests and never reads a reply: other clients are
 * still answered promptly, and liftd stays up and keeps its memory bounded. */
START_TEST(test_client_never_reads)
{
    void *ctx = zmq_ctx_new();
    void *greedy = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, hwm = 100000, one_s = 1000;
    zmq_setsockopt(greedy, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(greedy, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(greedy, ZMQ_SNDTIMEO, &one_s, sizeof one_s);
    ck_assert_int_eq(zmq_connect(greedy, T.endpoint), 0);
    uint8_t buf[64];
    int sent = 0;
    for (int i = 0; i < 20000; i++) {
        size_t len = pack_ping((uint64_t)i + 1, buf);
        if (zmq_send(greedy, buf, len, 0) != (int)len)
            break; /* liftd stopped reading it */
        sent++;
    }
    ck_assert_int_gt(sent, 1000);
    usleep(200 * 1000);
    /* Another client is served while the greedy one's replies pile up unread. */
    void *polite = zmq_socket(ctx, ZMQ_DEALER);
    zmq_setsockopt(polite, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_connect(polite, T.endpoint), 0);
    for (uint64_t k = 1; k <= 20; k++) {
        size_t len = pack_ping(900000 + k, buf);
        ck_assert_int_eq(zmq_send(polite, buf, len, 0), (int)len);
        ck_assert_uint_eq(recv_pong(polite, 2000), 900000 + k);
    }
    ck_assert_int_eq(lift_ping(T.client, NULL, 0, NULL), LIFT_OK);
    zmq_close(greedy);
    zmq_close(polite);
    zmq_ctx_term(ctx);
    /* liftd is alive (no crash, no OOM kill) and still answers after the greedy peer left. */
    ck_assert_int_eq(kill(T.pid, 0), 0);
    ck_assert_int_eq(lift_ping(T.client, NULL, 0, NULL), LIFT_OK);
}
END_TEST

/* 10,000 requests in flight on one connection, sent before any reply is read: every request
 * gets exactly one reply, OK or RESOURCE_EXHAUSTED naming the per-connection limit; none is
 * dropped (the first release dropped every reply past its 4096-reply send queue: with these
 * 4 KB replies and a client queue of 1,000, about 5,900 of 10,000). Nine in ten read an
 * experiment with a 4 KB hypothesis (replies sent at once), every tenth is a Track (a write,
 * whose reply waits for the commit). */
START_TEST(test_ten_thousand_in_flight_each_answered_once)
{
    enum { N = 10000 };
    static char hyp[4001];
    memset(hyp, 'h', 4000);
    tu_experiment_t x;
    tu_two_arms(&x, "big", 0.5, 0.5)->hypothesis = hyp;
    ck_assert_int_eq(lift_experiment_create(T.client, &x.x, NULL), LIFT_OK);
    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, hwm = 0, rcvhwm = 1000, to = 20000;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(d, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(d, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
    zmq_setsockopt(d, ZMQ_SNDTIMEO, &to, sizeof to);
    ck_assert_int_eq(zmq_connect(d, T.endpoint), 0);
    uint8_t buf[256];
    for (int i = 0; i < N; i++) {
        uint64_t id = (uint64_t)i + 1;
        size_t len;
        if (i % 10 == 9) {
            char eid[32];
            snprintf(eid, sizeof eid, "inflight-%d", i);
            Lift__Request req = LIFT__REQUEST__INIT;
            Lift__Track tr = LIFT__TRACK__INIT;
            Lift__Event ev = LIFT__EVENT__INIT;
            Lift__Event *evs[1] = {&ev};
            ev.event_id = eid;
            ev.customer_id = "cust-inflight";
            ev.has_type = 1;
            ev.type = LIFT__EVENT_TYPE__EVENT_CONVERSION;
            ev.has_timestamp_ms = 1;
            ev.timestamp_ms = 1700000000000LL;
            ev.has_amount_minor = 1;
            ev.amount_minor = 100;
            tr.n_events = 1;
            tr.events = evs;
            req.body_case = LIFT__REQUEST__BODY_TRACK;
            req.track = &tr;
            req.has_request_id = 1;
            req.request_id = id;
            len = lift__request__pack(&req, buf);
        } else {
            Lift__Request req = LIFT__REQUEST__INIT;
            Lift__GetExperiment g = LIFT__GET_EXPERIMENT__INIT;
            g.key = "big";
            req.body_case = LIFT__REQUEST__BODY_GET_EXPERIMENT;
            req.get_experiment = &g;
            req.has_request_id = 1;
            req.request_id = id;
            len = lift__request__pack(&req, buf);
        }
        ck_assert_int_eq(zmq_send(d, buf, len, 0), (int)len);
    }
    /* Read nothing for a while: liftd takes every request meanwhile, and past what the
     * connection's queues hold it must queue replies, then refuse. */
    usleep(3000 * 1000);
    unsigned char *seen = calloc(N + 1, 1);
    int ok = 0, refused = 0, other = 0, twice = 0, got = 0;
    char refusal[400] = "";
    zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
    while (got < N && zmq_poll(&it, 1, 20000) > 0) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        ck_assert_int_ge(zmq_msg_recv(&m, d, 0), 0);
        Lift__Reply *r = lift__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        ck_assert_ptr_nonnull(r);
        ck_assert(r->has_request_id && r->request_id >= 1 && r->request_id <= N);
        if (seen[r->request_id]++)
            twice++;
        got++;
        ck_assert_ptr_nonnull(r->status);
        ck_assert(r->status->has_code);
        if (r->status->code == LIFT__CODE__OK) {
            ok++;
        } else if (r->status->code == LIFT__CODE__RESOURCE_EXHAUSTED) {
            refused++;
            if (!refusal[0])
                snprintf(refusal, sizeof refusal, "%s", r->status->message);
        } else {
            other++;
        }
        lift__reply__free_unpacked(r, NULL);
    }
    /* Exactly one each: nothing more arrives. */
    ck_assert_int_eq(zmq_poll(&it, 1, 300), 0);
    int missing = 0;
    for (int i = 1; i <= N; i++)
        missing += !seen[i];
    free(seen);
    ck_assert_int_eq(missing, 0);
    ck_assert_int_eq(twice, 0);
    ck_assert_int_eq(other, 0);
    ck_assert_int_eq(ok + refused, N);
    ck_assert_int_gt(ok, LIFT_MAX_IN_FLIGHT);
    ck_assert_int_gt(refused, 0); /* the bound was reached, and said so */
    ck_assert_ptr_nonnull(strstr(refusal, "the limit is 1024"));
    ck_assert_ptr_nonnull(strstr(refusal, "in_flight_per_connection"));
    zmq_close(d);
    zmq_ctx_term(ctx);
    ck_assert_int_eq(lift_ping(T.client, NULL, 0, NULL), LIFT_OK);
}
END_TEST

Suite *hostile_server_suite(void);
Suite *hostile_server_suite(void)
{
    Suite *s = suite_create("hostile_server");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_second_liftd_on_same_store_refused);
    tcase_add_test(tc, test_ipc_path_of_running_liftd_refused);
    tcase_add_test(tc, test_ipc_path_that_is_a_file_refused);
    tcase_add_test(tc, test_event_id_reused_with_other_content);
    tcase_add_test(tc, test_trigger_time_before_experiment_start_refused);
    tcase_add_test(tc, test_quota_log_names_the_cause);
    tcase_add_test(tc, test_localhost_endpoints_bind);
    tcase_add_test(tc, test_read_only_store_says_so);
    suite_add_tcase(s, tc);

    TCase *tl = tcase_create("load");
    tcase_add_checked_fixture(tl, tu_setup, tu_teardown);
    tcase_set_timeout(tl, 120);
    tcase_add_test(tl, test_many_connections);
    tcase_add_test(tl, test_client_never_reads);
    tcase_add_test(tl, test_ten_thousand_in_flight_each_answered_once);
    suite_add_tcase(s, tl);
    return s;
}
