/* benchutil: see benchutil.h. */
#include "benchutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "../tests/testutil.h"

pid_t bench_liftd_spawn(const char *log, const char *const args[])
{
    char prog[512];
    const char *argv[32];
    int n = 0;
    tu_program("liftd", prog, sizeof prog);
    argv[n++] = prog;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the bench */
    if (log) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
    }
    execv(prog, (char *const *)argv);
    fprintf(stderr, "bench: exec %s: %s\n", prog, strerror(errno));
    _exit(127);
}

double bench_liftd_wait(const char *endpoint, int ping_ms, double limit_s)
{
    double t0 = tu_now_s();
    lift_client_opts_t o = {.timeout_ms = ping_ms, .attempts = 1};
    lift_client_t *c = lift_client_new(endpoint, &o);
    int ok = 0;
    while (c && !(ok = lift_ping(c, NULL, 0, NULL) == LIFT_OK) && tu_now_s() - t0 < limit_s)
        ;
    lift_client_destroy(&c);
    return ok ? tu_now_s() - t0 : -1;
}

void bench_child_stop(pid_t pid)
{
    int status;
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
}

/* ---- the echo baseline ---------------------------------------------------------------------- */

static volatile sig_atomic_t echo_halted; /* bench_echo_halt: SIGTERM in an echo-only child */

void bench_echo_halt(int sig)
{
    (void)sig;
    echo_halted = 1;
}

/* Answer every request waiting on the ROUTER: the echo's whole per-request work, in one
 * function that callgrind's --toggle-collect can name (kept out of line for that). */
static __attribute__((noinline)) void echo_drain(void *sock, uint8_t *out, size_t reply_len,
                                                 int req_peers)
{
    for (;;) {
        zmq_msg_t id, delim, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            break;
        }
        if (req_peers) { /* REQ's empty delimiter; REQ matches replies by order */
            zmq_msg_init(&delim);
            zmq_msg_recv(&delim, sock, 0);
        }
        zmq_msg_init(&body);
        zmq_msg_recv(&body, sock, 0);
        if (!req_peers) {
            size_t n = zmq_msg_size(&body) < reply_len ? zmq_msg_size(&body) : reply_len;
            memcpy(out, zmq_msg_data(&body), n);
        }
        zmq_msg_close(&body);
        zmq_msg_send(&id, sock, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (req_peers)
            zmq_msg_send(&delim, sock, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(sock, out, reply_len, ZMQ_DONTWAIT);
        zmq_msg_close(&id);
        if (req_peers)
            zmq_msg_close(&delim);
    }
}

void *bench_echo_run(void *arg)
{
    bench_echo_t *e = arg;
    void *zctx = zmq_ctx_new();
    void *sock = zctx ? zmq_socket(zctx, ZMQ_ROUTER) : NULL;
    int one = 1, linger = 0, hwm = 100000;
    uint8_t *out = calloc(1, e->reply_len);
    if (!sock || !out || zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one) < 0 ||
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
        zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm) < 0 ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm) < 0 || zmq_bind(sock, e->endpoint) < 0) {
        atomic_store(&e->ready, -1);
        goto done;
    }
    pthread_getcpuclockid(pthread_self(), &e->cpu);
    atomic_store(&e->ready, 1);
    zmq_pollitem_t items[] = {{sock, 0, ZMQ_POLLIN, 0}};
    while (!atomic_load(&e->stop) && !echo_halted) {
        if (zmq_poll(items, 1, 100) <= 0)
            continue;
        echo_drain(sock, out, e->reply_len, e->req_peers);
    }
done:
    free(out);
    if (sock)
        zmq_close(sock);
    if (zctx)
        zmq_ctx_term(zctx);
    return NULL;
}

/* ---- Track senders -------------------------------------------------------------------------- */

void *bench_send_events(void *arg)
{
    bench_sender_t *s = arg;
    lift_client_opts_t o = {.timeout_ms = 30000, .attempts = 3};
    lift_client_t *c = lift_client_new(s->ep, &o);
    lift_event_t *evs = calloc((size_t)s->batch, sizeof *evs);
    char(*ids)[32] = calloc((size_t)s->batch, 32);
    char(*custs)[32] = calloc((size_t)s->batch, 32);
    if (!c || !evs || !ids || !custs)
        s->failed = 1;
    for (long k = s->first; k < s->end && !s->failed; k += s->batch) {
        long m = s->end - k < s->batch ? s->end - k : s->batch;
        for (long i = 0; i < m; i++) {
            store_event_t e;
            s->row(s->arg, k + i, &e, ids[i], custs[i]);
            evs[i] = (lift_event_t){.event_id = e.event_id,
                                    .customer_id = e.customer_id,
                                    .type = e.type,
                                    .timestamp_ms = e.ts_ms,
                                    .has_amount = true,
                                    .amount_minor = e.amount_minor,
                                    .plan_from = e.plan_from,
                                    .plan_to = e.plan_to};
        }
        lift_track_result_t res;
        if (lift_track(c, evs, (size_t)m, &res) != LIFT_OK) {
            fprintf(stderr, "bench: track: %s\n", lift_client_error(c));
            s->failed = 1;
            break;
        }
        s->accepted += res.accepted;
        lift_track_result_clear(&res);
    }
    free(evs);
    free(ids);
    free(custs);
    lift_client_destroy(&c);
    return NULL;
}

void bench_threads(void *(*fn)(void *), void *items, size_t size, int n)
{
    pthread_t th[64];
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++)
        pthread_create(&th[i], NULL, fn, (char *)items + (size_t)i * size);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

/* ---- arguments ------------------------------------------------------------------------------ */

long bench_arg(const char *prog, int argc, char **argv, int i, long dflt)
{
    if (argc <= i)
        return dflt;
    char *end;
    errno = 0;
    long v = strtol(argv[i], &end, 10);
    if (errno || *end || v <= 0) {
        fprintf(stderr, "%s: argument %d: '%s' is not a positive number\n", prog, i, argv[i]);
        exit(2);
    }
    return v;
}

long bench_env_count(const char *prog, const char *name, long dflt, long min, long max)
{
    const char *env = getenv(name);
    if (!env || !*env)
        return dflt;
    char *end;
    errno = 0;
    long v = strtol(env, &end, 10);
    if (errno || *end || v < min || v > max) {
        fprintf(stderr, "%s: %s='%s': want %ld..%ld\n", prog, name, env, min, max);
        return -1;
    }
    return v;
}

int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
