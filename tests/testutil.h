/* testutil: helpers shared by the Check suites, the benchmarks and the fuzz target — temporary
 * directories, clocks, a two-arm experiment definition, starting and stopping a real liftd
 * child process with a client connected to it, and stored facts read through store.h. Test
 * code only: failures abort the running Check test. */
#ifndef LIFT_TESTUTIL_H
#define LIFT_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lift/client.h"
#include "lift.pb-c.h"
#include "store.h"

typedef struct {
    char dir[256];         /* temporary directory (store lives in dir/data) */
    char data[300];        /* store directory */
    char endpoint[320];    /* ipc:// endpoint inside dir */
    char store[700];       /* when set (before start): liftd gets --store store, not --data */
    pid_t pid;             /* liftd child, 0 when not running */
    lift_client_t *client; /* connected client (timeout 2 s, 3 attempts) */
} tliftd_t;

/* Make a fresh temporary directory into buf (mkdtemp under $TMPDIR or /tmp). Aborts the test
 * on failure. */
void tu_tempdir(char *buf, size_t len);

/* Remove a directory tree made by tu_tempdir (best effort; NULL or "" does nothing). */
void tu_rmtree(const char *dir);

/* The wall clock in milliseconds since the epoch (CLOCK_REALTIME). */
int64_t tu_now_ms(void);

/* A monotonic clock in seconds (CLOCK_MONOTONIC), for measuring durations. */
double tu_now_s(void);

/* A two-arm experiment definition: arm 0 "holdout" with weight w0, arm 1 "offer" with weight
 * w1, under key. Everything lives in *t (the arms point into it), so t must outlive every use
 * of the returned pointer; set other fields (name, payloads, arm names) on it or on t->arm. */
typedef struct {
    Lift__Experiment x; /* the definition */
    Lift__Arm arm[2];   /* its arms */
    Lift__Arm *arms[2]; /* x.arms */
} tu_experiment_t;

Lift__Experiment *tu_two_arms(tu_experiment_t *t, const char *key, double w0, double w1);

/* Path of a built program: $LIFT_BUILD/<name> (LIFT_BUILD defaults to "build"). */
void tu_program(const char *name, char *buf, size_t len);

/* Set up t with a temp dir and endpoint, start liftd and wait until it answers a ping.
 * Extra liftd arguments may be given as a NULL-terminated list (or NULL). liftd stores in
 * t->data (--data), or in t->store when it is set (--store URI, e.g. a PostgreSQL database). */
void tu_liftd_init(tliftd_t *t);
void tu_liftd_start(tliftd_t *t, const char *const *extra);

/* SIGTERM and wait; returns the exit status (or -1 if it did not exit normally). */
int tu_liftd_stop(tliftd_t *t);

/* SIGKILL and wait. */
void tu_liftd_kill(tliftd_t *t);

/* 1 when the environment variable LIFT_TEST_STORE is "postgresql": tu_liftd_init then gives
 * each liftd a fresh database on the test run's PostgreSQL (pgharness.h) instead of a SQLite
 * directory, so that the integration suites run on that backend too. */
int tu_store_backend_pg(void);

/* The store of t as a URI for store_open / store_reader_open / the tu_store_* readers: its
 * PostgreSQL URI, or its SQLite directory. */
const char *tu_liftd_store(const tliftd_t *t);

/* Stop liftd if running, destroy the client, remove the directory. */
void tu_liftd_fini(tliftd_t *t);

/* The fixture of a suite whose every test runs against a fresh liftd with no extra arguments
 * (give tu_setup and tu_teardown to tcase_add_checked_fixture): tu_setup is tu_liftd_init and
 * tu_liftd_start on tu_liftd, tu_teardown is tu_liftd_fini. One test runs at a time, so the
 * suites share the one variable. */
extern tliftd_t tu_liftd;
void tu_setup(void);
void tu_teardown(void);

/* store_begin / store_commit on s; fail the test with the store's message when they fail. */
void tu_store_begin(store_t *s);
void tu_store_commit(store_t *s);

/* Stored facts, read through the store interface (store.h) with a fresh reader on `store` (a
 * store URI, or a directory: the SQLite store in it). Fails the test when it cannot be read. */
typedef struct {
    const char *event_id;  /* only this id (NULL: any) */
    const char *id_prefix; /* only ids starting with this (NULL: any) */
    const char *customer;  /* only this customer (NULL: any) */
    const char *plan_to;   /* only this plan_to (NULL: any) */
    int type;              /* only this EventType (0: any) */
} tu_event_filter_t;

typedef struct {
    int64_t count;        /* stored events matching */
    int64_t distinct_ids; /* distinct event ids among them */
    int64_t amount_sum;   /* sum of their amounts */
    int64_t amount;       /* amount of the last one (0 when none) */
} tu_events_t;

/* Events matching f (NULL: every event). */
tu_events_t tu_store_events(const char *store, const tu_event_filter_t *f);

typedef struct {
    int64_t experiments;          /* experiments stored */
    int64_t status_sum;           /* sum of their statuses */
    double coverage_sum;          /* sum of their coverages */
    int64_t exposures;            /* exposures of every experiment */
    int trigger_min, trigger_max; /* over every exposure (0 when none) */
    int channel_min, channel_max; /* over every exposure (0 when none) */
    int64_t events;               /* events stored */
} tu_store_summary_t;

tu_store_summary_t tu_store_summary(const char *store);

/* Handlers driven directly, without a socket (check_handlers, check_worker). */
#include "handlers.h"

/* req through h in a batch of its own (handlers_batch_begin, handlers_handle,
 * handlers_batch_end, each checked): the decoded reply, its status code set and request_id
 * echoed; free it with lift__reply__free_unpacked. The reply's flags in *flags when given. */
Lift__Reply *tu_handle(handlers_t *h, const Lift__Request *req, int64_t now_ms,
                       handlers_out_t *flags);

/* Create through h the two-arm experiment `key` (arms "holdout" and "offer", 50% each, full
 * coverage) and, when start, start it. Fails the test when h refuses either. */
void tu_handlers_two_arm(handlers_t *h, const char *key, int start, int64_t now_ms);

/* Fills *x with the definition of the two-arm experiment `key`: arms "holdout" and "offer",
 * 50% each, in arms[0..2) with ptrs pointing at them; everything else left at its default.
 * x borrows key, arms and ptrs. */
void tu_two_arm_experiment(Lift__Experiment *x, Lift__Arm arms[2], Lift__Arm *ptrs[2],
                           const char *key);

/* The packed bytes of r in buf (cap bytes, which must be enough); returns their count. */
size_t tu_pack_request(const Lift__Request *r, uint8_t *buf, size_t cap);

/* The context most tests and benchmarks assign under: usage threshold, growth, in-app. As the
 * wire message (tu_context) and as the client library's struct (tu_lift_context). */
Lift__Context tu_context(void);
lift_context_t tu_lift_context(void);

/* The fields after the command name of /proc/<pid>/stat (or of /proc/<pid>/task/<tid>/stat when
 * tid > 0), read into buf: the state letter first ("S 1 ..."). NULL when the file cannot be read
 * or has no command name. */
const char *tu_proc_stat(pid_t pid, pid_t tid, char *buf, size_t len);

#endif
