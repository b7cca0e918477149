/* benchutil: what several benchmarks share — a liftd child (start, wait for its first reply,
 * stop), a bare ZeroMQ ROUTER echo as the transport baseline, Track senders on client threads,
 * and argument parsing. Benchmarks only: failures are reported to the caller, never through
 * Check (see testutil.h for the tests' helpers). */
#ifndef LIFT_BENCHUTIL_H
#define LIFT_BENCHUTIL_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lift/client.h"
#include "store.h"

/* ---- a liftd child ---- */

/* Fork and exec $LIFT_BUILD/liftd with args (a NULL-terminated list, without the program
 * name); the child dies with the benchmark (PR_SET_PDEATHSIG) and, when log is given, writes
 * its stderr there. Returns the child's pid, or -1 when fork fails. */
pid_t bench_liftd_spawn(const char *log, const char *const args[]);

/* Ping endpoint (ping_ms per attempt) until liftd answers or limit_s pass. Returns the seconds
 * until the first answer, or -1 when none came. */
double bench_liftd_wait(const char *endpoint, int ping_ms, double limit_s);

/* SIGTERM a child and reap it (nothing when pid <= 0). */
void bench_child_stop(pid_t pid);

/* ---- the echo baseline ---- */

/* A bare ROUTER: every request gets reply_len bytes back, no decoding, no storage — the
 * transport's own cost for the same message sizes. DEALER peers get the request's first bytes
 * back (so the request_id comes back); REQ peers (req_peers = 1) their empty delimiter frame and
 * zero bytes. Run bench_echo_run on a thread; it sets ready, then serves until stop is set or
 * bench_echo_halt was called. */
typedef struct {
    char endpoint[400]; /* ipc endpoint it binds */
    size_t reply_len;   /* bytes in every reply */
    int req_peers;      /* the clients are REQ sockets (an envelope delimiter to send back) */
    atomic_int stop;    /* set by the main thread */
    atomic_int ready;   /* 1 bound, -1 failed */
    clockid_t cpu;      /* the echo thread's CPU clock, for its cost per request */
} bench_echo_t;

void *bench_echo_run(void *arg);

/* Stop every echo in this process: async-signal-safe (an echo run alone in a child process,
 * stopped by SIGTERM; give it to sigaction as the handler). */
void bench_echo_halt(int sig);

/* ---- Track senders ---- */

/* One client thread sending events [first, end) in Track requests of `batch` events through
 * the client library (30 s timeout, 3 attempts). row fills *e with event k; it may point e's
 * strings into id and cust (32 bytes each, the sender's own). */
typedef struct {
    const char *ep;  /* liftd endpoint */
    long first, end; /* this sender's events [first, end) */
    long batch;      /* events per Track */
    void (*row)(void *arg, long k, store_event_t *e, char *id, char *cust); /* event k */
    void *arg;                                                              /* row's argument */
    long accepted; /* result: events liftd accepted */
    int failed;    /* result: a Track failed */
} bench_sender_t;

void *bench_send_events(void *arg);

/* Run fn on n threads, thread i given (char *)items + i * size, and join them all. */
void bench_threads(void *(*fn)(void *), void *items, size_t size, int n);

/* ---- arguments ---- */

/* Positional argument i as a positive number, dflt when absent; exits 2 with a message naming
 * prog when it is not one. */
long bench_arg(const char *prog, int argc, char **argv, int i, long dflt);

/* The environment variable name as a number in [min, max], dflt when unset or empty. Returns
 * -1 with a message naming prog when it is set to anything else. */
long bench_env_count(const char *prog, const char *name, long dflt, long min, long max);

/* qsort comparator of doubles, ascending. */
int bench_cmp_double(const void *a, const void *b);

#endif
