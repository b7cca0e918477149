/* fuzz_request: libFuzzer harness for liftd's request path. Bytes -> wire_check_strings,
 * lift__request__unpack -> the role table -> handlers_handle (or report_build for Report)
 * against a scratch SQLite store, inside store begin / request savepoint / commit exactly as server.c runs a batch of one.
 * The scratch store lives in a temp dir made once per process, holds a running experiment
 * (so assign and track reach the store), and is rebuilt every FUZZ_RESET_EVERY inputs so long
 * runs stay small. Build and run with `make fuzz FUZZ_SECONDS=N`. */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "fastwire.h"
#include "handlers.h"
#include "ingest.h"
#include "lift.pb-c.h"
#include "lift/stats.h"
#include "registry.h"
#include "report.h"
#include "store.h"
#include "wire.h"

#include "../testutil.h"

#define FUZZ_NOW_MS 1767225600000LL /* 2026-01-01T00:00:00Z: fixed, so runs repeat */
#define FUZZ_RESET_EVERY 20000      /* inputs between scratch-store rebuilds */

typedef struct {
    char dir[256];        /* temp dir */
    store_t *store;       /* writer */
    store_reader_t *rd;   /* report reader */
    registry_t *registry; /* experiment cache */
    ingest_t *ingest;     /* event validation */
    handlers_t *handlers; /* dispatch */
    unsigned long inputs; /* since the last rebuild */
} scratch_t;

static scratch_t S;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *err)
{
    fprintf(stderr, "fuzz_request: %s: %s\n", what, err);
    abort();
}

static void scratch_close(void)
{
    handlers_destroy(&S.handlers);
    ingest_destroy(&S.ingest);
    registry_destroy(&S.registry);
    store_reader_destroy(&S.rd);
    store_destroy(&S.store);
    if (S.dir[0])
        tu_rmtree(S.dir);
    S.dir[0] = '\0';
}

/* One request through the server's steps; returns the reply's status code. */
static int run_request(const Lift__Request *req, const char *why)
{
    char err[256];
    handlers_out_t out;
    memset(&out, 0, sizeof out);
    if (handlers_batch_begin(S.handlers, err, sizeof err) < 0)
        die("store_begin", err);
    int code = -1;
    handlers_handle(S.handlers, req, why, FUZZ_NOW_MS, &out);
    handlers_batch_end(S.handlers, err, sizeof err); /* a rollback reloads the registry */
    if (out.bytes) {
        /* The reply must decode: a handler that packs garbage is a bug too. */
        Lift__Reply *r = lift__reply__unpack(NULL, out.len, out.bytes);
        if (!r)
            die("reply", "the handlers packed an undecodable reply");
        code = r->status ? (int)r->status->code : -1;
        lift__reply__free_unpacked(r, NULL);
    }
    free(out.bytes);
    return code;
}

static void scratch_open(void)
{
    char err[512];
    const char *tmp = getenv("TMPDIR");
    snprintf(S.dir, sizeof S.dir, "%s/lift-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(S.dir))
        die("mkdtemp", strerror(errno));
    S.store = store_open(S.dir, err, sizeof err);
    if (!S.store)
        die("store_open", err);
    if (store_meta_set(S.store, "currency", "USD") < 0)
        die("currency", store_errmsg(S.store));
    S.registry = registry_new(S.store, err, sizeof err);
    if (!S.registry)
        die("registry_new", err);
    ingest_config_t icfg = {.currency = "USD", .clock_skew_ms = 86400000};
    S.ingest = ingest_new(S.store, S.registry, &icfg, err, sizeof err);
    if (!S.ingest)
        die("ingest_new", err);
    S.handlers = handlers_new(S.store, S.registry, S.ingest, LOG_LEVEL_ERROR);
    if (!S.handlers)
        die("handlers_new", "out of memory");

    /* "exp": two arms, created and started, so assign/track/report have a target. */
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__CreateExperiment ce = LIFT__CREATE_EXPERIMENT__INIT;
    tu_experiment_t x;
    ce.experiment = tu_two_arms(&x, "exp", 0.2, 0.8);
    x.arm[1].payload = "offer-42";
    req.body_case = LIFT__REQUEST__BODY_CREATE_EXPERIMENT;
    req.create_experiment = &ce;
    if (run_request(&req, NULL) != 0)
        die("setup", "cannot create the experiment");
    Lift__ChangeExperiment ch = LIFT__CHANGE_EXPERIMENT__INIT;
    ch.key = "exp";
    ch.has_action = 1;
    ch.action = LIFT__ACTION__ACTION_START;
    req.body_case = LIFT__REQUEST__BODY_CHANGE_EXPERIMENT;
    req.change_experiment = &ch;
    if (run_request(&req, NULL) != 0)
        die("setup", "cannot start the experiment");
    S.rd = store_reader_open(S.dir, err, sizeof err);
    if (!S.rd)
        die("store_reader_open", err);
    S.inputs = 0;
}

static void cleanup_at_exit(void)
{
    scratch_close();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    lift_stats_init();
    scratch_open();
    atexit(cleanup_at_exit);
    return 0;
}

/* The report path as the worker runs it: read-only, on the committed state. */
static void run_report(const Lift__Request *req)
{
    const registry_entry_t *e = registry_find(S.registry, req->report->experiment_key);
    if (!e)
        return;
    status_t st;
    Lift__Report *rep = NULL;
    if (report_build(S.rd, e->def, e->id, req->report, "USD", FUZZ_NOW_MS, &rep, &st) == 0 && rep) {
        size_t n = lift__report__get_packed_size(rep);
        uint8_t *buf = malloc(n ? n : 1);
        if (buf)
            lift__report__pack(rep, buf);
        free(buf);
    }
    report_free(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (++S.inputs > FUZZ_RESET_EVERY) {
        scratch_close();
        scratch_open();
    }
    char field[128], msg[256];
    int nul = wire_check_strings(&lift__request__descriptor, data, size, field, sizeof field, msg,
                                 sizeof msg); /* must never read out of bounds */
    Lift__Request *req = lift__request__unpack(NULL, size, data);
    /* liftd's hand-rolled Assign decoder: whatever it takes, protobuf-c decodes the same way
     * and wire.c finds no NUL in it. */
    static fastwire_assign_t fw;
    if (fastwire_decode_assign(data, size, &fw)) {
        const Lift__Assign *a = req ? req->assign : NULL, *b = fw.req.assign;
        if (!req || nul != 0 || req->body_case != LIFT__REQUEST__BODY_ASSIGN ||
            req->request_id != fw.req.request_id || !a->experiment_key != !b->experiment_key ||
            (a->experiment_key && strcmp(a->experiment_key, b->experiment_key)) ||
            !a->customer_id != !b->customer_id ||
            (a->customer_id && strcmp(a->customer_id, b->customer_id)) ||
            !a->context != !b->context ||
            (a->context && (a->context->trigger != b->context->trigger ||
                            a->context->stage != b->context->stage ||
                            a->context->channel != b->context->channel ||
                            a->context->has_trigger_time_ms != b->context->has_trigger_time_ms ||
                            a->context->trigger_time_ms != b->context->trigger_time_ms ||
                            a->context->open_support_ticket != b->context->open_support_ticket ||
                            a->context->billing_dispute != b->context->billing_dispute)))
            __builtin_trap();
    }
    if (!req) {
        run_request(NULL, "undecodable request");
        return 0;
    }
    /* The role table must answer every body case without crashing; admin may do everything. */
    for (int r = AUTH_ROLE_NONE; r <= AUTH_ROLE_ADMIN; r++)
        (void)auth_role_allows((auth_role_t)r, (int)req->body_case);
    if (req->body_case == LIFT__REQUEST__BODY_REPORT)
        run_report(req);
    else
        run_request(req, NULL);
    lift__request__free_unpacked(req, NULL);
    return 0;
}
