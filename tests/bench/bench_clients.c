/* bench_clients: pipelined Assign throughput of the shipped clients in one run against one
 * liftd child (ipc:// in a temporary directory): C over libzmq and protobuf-c (every reply
 * decoded and checked, as the clients do), the Python client (tools/clients/python,
 * assign_pipelined) and the Node client (tools/clients/node, assignPipelined), each on one
 * connection with WINDOW requests in flight, over the same customers, all already exposed
 * (sticky: nothing written, so the order of the phases does not matter); and the C client
 * library's synchronous lift_assign for scale. Run by `make bench` after `make clients`
 * (LIFT_BUILD names the build folder; BENCH_CLIENT_REQUESTS overrides N). Not a test: it
 * prints figures and exits 1 only when something went wrong. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "lift.pb-c.h"
#include "lift/client.h"
#include "../tests/testutil.h"
#include "benchutil.h"

#define NREQ 20000 /* assigns per client (BENCH_CLIENT_REQUESTS overrides) */
#define NREQ_MAX 1000000
#define WINDOW 64    /* requests in flight per connection */
#define SYNC_SHARE 4 /* the synchronous library call does NREQ / SYNC_SHARE */
#define RECV_TIMEOUT_MS 10000

static const char KEY[] = "bench-clients";

static pid_t liftd_start(const char *endpoint, const char *data)
{
    const char *const args[] = {"--endpoint",  endpoint, "--data", data,
                                "--log-level", "error",  NULL};
    return bench_liftd_spawn(NULL, args);
}

static void id_of(int i, char *buf, size_t len)
{
    snprintf(buf, len, "bench-%d", i);
}

/* Registers and starts the experiment and exposes every customer once (AssignBatch). */
static int setup(lift_client_t *c, int n)
{
    tu_experiment_t x;
    if (lift_experiment_create(c, tu_two_arms(&x, KEY, 0.5, 0.5), NULL) != LIFT_OK ||
        lift_experiment_change(c, KEY, LIFT__ACTION__ACTION_START, 0, NULL) != LIFT_OK) {
        fprintf(stderr, "bench_clients: experiment: %s\n", lift_client_error(c));
        return -1;
    }
    lift_context_t ctx = tu_lift_context();
    char(*ids)[32] = malloc((size_t)n * sizeof *ids);
    const char **ptrs = malloc((size_t)n * sizeof *ptrs);
    int rc = ids && ptrs ? 0 : -1;
    for (int i = 0; i < n && rc == 0; i++) {
        id_of(i, ids[i], sizeof ids[i]);
        ptrs[i] = ids[i];
    }
    for (int i = 0; i < n && rc == 0; i += LIFT_BATCH_MAX) {
        size_t k = (size_t)(n - i < LIFT_BATCH_MAX ? n - i : LIFT_BATCH_MAX);
        lift_assignment_t *out = NULL;
        if (lift_assign_batch(c, KEY, ptrs + i, k, &ctx, &out) != LIFT_OK) {
            fprintf(stderr, "bench_clients: exposing: %s\n", lift_client_error(c));
            rc = -1;
        }
        lift_assignments_free(&out);
    }
    free(ids);
    free(ptrs);
    return rc;
}

/* C over libzmq: one DEALER, WINDOW in flight, every reply unpacked and checked. */
static double bench_c(const char *endpoint, int n)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, hwm = 0, to = RECV_TIMEOUT_MS;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &to, sizeof to);
    double rate = -1;
    if (zmq_connect(s, endpoint) < 0)
        goto out;
    Lift__Context c = tu_context();
    int sent = 0, got = 0;
    uint8_t buf[256], rbuf[4096];
    double t0 = tu_now_s();
    while (got < n) {
        while (sent < n && sent - got < WINDOW) {
            char id[32];
            id_of(sent, id, sizeof id);
            Lift__Assign a = LIFT__ASSIGN__INIT;
            a.experiment_key = (char *)KEY;
            a.customer_id = id;
            a.context = &c;
            Lift__Request r = LIFT__REQUEST__INIT;
            r.has_request_id = 1;
            r.request_id = (uint64_t)sent + 1;
            r.body_case = LIFT__REQUEST__BODY_ASSIGN;
            r.assign = &a;
            size_t len = lift__request__pack(&r, buf);
            if (zmq_send(s, buf, len, 0) < 0)
                goto out;
            sent++;
        }
        int len = zmq_recv(s, rbuf, sizeof rbuf, 0);
        if (len < 0 || len > (int)sizeof rbuf) {
            fprintf(stderr, "bench_clients: C: no reply (%s)\n",
                    len < 0 ? zmq_strerror(errno) : "too long");
            goto out;
        }
        Lift__Reply *rep = lift__reply__unpack(NULL, (size_t)len, rbuf);
        int ok = rep && rep->status && rep->status->code == LIFT__CODE__OK &&
                 rep->request_id >= 1 && rep->request_id <= (uint64_t)sent &&
                 rep->body_case == LIFT__REPLY__BODY_ASSIGN && rep->assign->n_assignments == 1 &&
                 rep->assign->assignments[0]->in_experiment;
        lift__reply__free_unpacked(rep, NULL);
        if (!ok) {
            fprintf(stderr, "bench_clients: C: unexpected reply\n");
            goto out;
        }
        got++;
    }
    rate = n / (tu_now_s() - t0);
out:
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rate;
}

/* The client library's one-at-a-time call. */
static double bench_sync(lift_client_t *c, int n)
{
    lift_context_t ctx = tu_lift_context();
    double t0 = tu_now_s();
    for (int i = 0; i < n; i++) {
        char id[32];
        lift_assignment_t a;
        id_of(i, id, sizeof id);
        int rc = lift_assign(c, KEY, id, &ctx, &a);
        int ok = rc == LIFT_OK && a.in_experiment;
        lift_assignment_clear(&a);
        if (!ok) {
            fprintf(stderr, "bench_clients: lift_assign: %s\n", lift_client_error(c));
            return -1;
        }
    }
    return n / (tu_now_s() - t0);
}

/* Runs a client's bench script (sh -c cmd) and reads "<requests> <seconds>" from it. */
static double bench_script(const char *label, const char *cmd, int n)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    long got = 0;
    double secs = 0;
    int fields = fscanf(p, "%ld %lf", &got, &secs);
    int st = pclose(p);
    if (fields != 2 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || got != n || secs <= 0) {
        fprintf(stderr, "bench_clients: %s failed: %s\n", label, cmd);
        return -1;
    }
    return n / secs;
}

int main(void)
{
    long nreq = bench_env_count("bench_clients", "BENCH_CLIENT_REQUESTS", NREQ, WINDOW, NREQ_MAX);
    if (nreq < 0)
        return 1;
    int n = (int)nreq;
    char dir[] = "/tmp/lift-bench-clients-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_clients: mkdtemp");
        return 1;
    }
    char endpoint[300], data[300], cmd[2048];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/lift.sock", dir);
    snprintf(data, sizeof data, "%s/data", dir);
    pid_t pid = liftd_start(endpoint, data);
    int rc = 1;
    lift_client_opts_t o = {.timeout_ms = 200, .attempts = 1};
    lift_client_t *c = lift_client_new(endpoint, &o);
    if (pid < 0 || !c)
        goto done;
    if (bench_liftd_wait(endpoint, 200, 20) < 0) {
        fprintf(stderr, "bench_clients: liftd did not answer a ping\n");
        goto done;
    }
    if (setup(c, n) < 0)
        goto done;
    lift_client_set_timeout(c, RECV_TIMEOUT_MS);

    double rc_c = bench_c(endpoint, n);
    snprintf(cmd, sizeof cmd,
             "PYTHONPATH=build/gen/python:tools/clients/python /usr/bin/python3 "
             "tools/clients/python/bench.py '%s' %s %d %d",
             endpoint, KEY, n, WINDOW);
    double rc_py = bench_script("python client", cmd, n);
    snprintf(cmd, sizeof cmd, "node tools/clients/node/bench.js '%s' %s %d %d", endpoint, KEY, n,
             WINDOW);
    double rc_js = bench_script("node client", cmd, n);
    double rc_sync = bench_sync(c, n / SYNC_SHARE);
    if (rc_c <= 0 || rc_py <= 0 || rc_js <= 0 || rc_sync <= 0)
        goto done;
    printf("pipelined Assign, one connection, %d in flight, %d customers already exposed "
           "(ipc, same liftd):\n",
           WINDOW, n);
    printf("  %-52s %9.0f req/s\n", "C: libzmq DEALER + protobuf-c, every reply decoded", rc_c);
    printf("  %-52s %9.0f req/s  %.2fx C\n", "Python client (assign_pipelined, pyzmq + protobuf)",
           rc_py, rc_py / rc_c);
    printf("  %-52s %9.0f req/s  %.2fx C\n", "Node client (assignPipelined, zeromq 6 + protobufjs)",
           rc_js, rc_js / rc_c);
    printf("  %-52s %9.0f req/s  %.2fx C\n", "C client library lift_assign, 1 in flight", rc_sync,
           rc_sync / rc_c);
    rc = 0;
done:
    lift_client_destroy(&c);
    bench_child_stop(pid);
    tu_rmtree(dir);
    return rc;
}
