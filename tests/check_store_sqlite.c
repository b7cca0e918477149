/* SQLite backend suite: store.h's contract on sqlite:DIR where it depends on this backend
 * (generations, one-step first exposures incl. a lost race and a stale generation, events
 * inside and across batches, the private event index withdrawn with undone requests and
 * rolled-back transactions and rebuilt at reopen — not from a snapshot that lacks a row —,
 * a schema-2 file migrated with its digests, copy readers), URIs the dispatcher refuses,
 * and what the callers do with the facts: a registry and the assignment path whose cache went
 * stale because another registry changed the experiment in the store. liftd's --store flags. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eventidx.h"
#include "handlers.h"
#include "ingest.h"
#include "lift.pb-c.h"
#include "registry.h"
#include "store.h"
#include "testutil.h"

#define NOW_MS 1719835200000LL /* 2024-07-01T12:00:00Z */

static char DIR_[256];
static char URI[300];
static store_t *S;

static void setup(void)
{
    char err[256] = "";
    tu_tempdir(DIR_, sizeof DIR_);
    snprintf(URI, sizeof URI, "sqlite:%s", DIR_);
    S = store_open(URI, err, sizeof err);
    ck_assert_msg(S != NULL, "store_open: %s", err);
}

static void teardown(void)
{
    store_destroy(&S);
    tu_rmtree(DIR_);
}

static void reopen(void)
{
    char err[256] = "";
    store_destroy(&S);
    S = store_open(URI, err, sizeof err);
    ck_assert_msg(S != NULL, "store_open: %s", err);
}

/* A raw experiment row (the store treats definitions as opaque bytes). */
static int64_t insert_exp(const char *key, int64_t *gen)
{
    int64_t id = 0;
    ck_assert_int_eq(store_experiment_insert(S, key, 1, "def", 3, 1.0, NOW_MS, &id, gen), 0);
    ck_assert_int_gt(id, 0);
    return id;
}

static store_event_t conversion(const char *id, int64_t amount)
{
    store_event_t e = {.event_id = id,
                       .customer_id = "acme",
                       .type = 3,
                       .ts_ms = NOW_MS,
                       .has_amount = 1,
                       .amount_minor = amount,
                       .plan_from = "starter",
                       .plan_to = "pro",
                       .nps = -1,
                       .received_ms = NOW_MS + 5};
    return e;
}

/* ---- the dispatcher ----------------------------------------------------------------------- */

START_TEST(test_uris)
{
    char err[512];
    ck_assert_str_eq(store_backend(S), "sqlite");
    ck_assert_int_eq(store_shared(S), 0);
    ck_assert_str_eq(store_uri(S), URI);
    ck_assert_ptr_null(store_open("mysql://db/lift", err, sizeof err));
    ck_assert_msg(strstr(err, "unknown scheme \"mysql\""), "%s", err);
    ck_assert_ptr_null(store_open("sqlite:", err, sizeof err));
    ck_assert_msg(strstr(err, "names no directory"), "%s", err);
    /* One writer per directory, whichever way the directory is named. */
    ck_assert_ptr_null(store_open(DIR_, err, sizeof err));
    ck_assert_msg(strstr(err, "in use by another liftd"), "%s", err);
}
END_TEST

/* ---- experiments and generations ---------------------------------------------------------- */

/* What store_experiment_each gave: rows counted, the last one kept. */
typedef struct {
    int n;
    int64_t id, gen;
    int status;
    double coverage;
} expsum_t;

static int on_row(void *arg, const store_experiment_t *row)
{
    expsum_t *s = arg;
    s->n++;
    s->id = row->id;
    s->gen = row->generation;
    s->status = row->status;
    s->coverage = row->coverage;
    ck_assert(row->def_len == 3 && memcmp(row->def, "def", 3) == 0);
    return 0;
}

START_TEST(test_generations)
{
    int64_t g1, g2, g3, g4, id2;
    tu_store_begin(S);
    int64_t id1 = insert_exp("a", &g1);
    id2 = insert_exp("b", &g2);
    ck_assert_int_gt(g1, 0);
    ck_assert_int_gt(g2, g1);
    ck_assert_int_eq(store_generation(S), g2);
    /* The key is taken: 1, nothing stored. */
    int64_t id = 0, g = 0;
    ck_assert_int_eq(store_experiment_insert(S, "a", 1, "other", 5, 1.0, NOW_MS, &id, &g), 1);
    ck_assert_int_eq(store_generation(S), g2);
    /* An update at the generation read moves the experiment on, past every generation. */
    ck_assert_int_eq(store_experiment_update(S, id1, g1, 2, 0.5, NOW_MS, NOW_MS + 1, &g3), 0);
    ck_assert_int_gt(g3, g2);
    /* The same update again with the old generation: someone changed it since (1), and
     * nothing is written. */
    ck_assert_int_eq(store_experiment_update(S, id1, g1, 3, 0.7, NOW_MS, NOW_MS + 2, &g4), 1);
    ck_assert_int_eq(store_generation(S), g3);
    /* An experiment that does not exist is an error, not a race. */
    ck_assert_int_eq(store_experiment_update(S, 9999, 1, 3, 0.7, NOW_MS, NOW_MS, &g4), -1);
    ck_assert_msg(strstr(store_errmsg(S), "9999"), "%s", store_errmsg(S));
    ck_assert_int_eq(store_errcode(S), STORE_E_INVALID);
    tu_store_commit(S);
    reopen(); /* generations are stored */
    ck_assert_int_eq(store_generation(S), g3);
    /* What changed since g2: only a, as updated. */
    expsum_t seen = {0};
    ck_assert_int_eq(store_experiment_each(S, g2, on_row, &seen), 0);
    ck_assert_int_eq(seen.n, 1);
    ck_assert_int_eq(seen.id, id1);
    ck_assert_int_eq(seen.gen, g3);
    ck_assert_int_eq(seen.status, 2);
    ck_assert(seen.coverage == 0.5);
    memset(&seen, 0, sizeof seen);
    ck_assert_int_eq(store_experiment_each(S, 0, on_row, &seen), 0);
    ck_assert_int_eq(seen.n, 2);
    ck_assert_int_eq(seen.id, id2); /* id order: b last */
}
END_TEST

/* ---- exposures ---------------------------------------------------------------------------- */

START_TEST(test_exposures_first_existing_stale)
{
    int64_t g, g2;
    tu_store_begin(S);
    int64_t x = insert_exp("exp", &g);
    store_exposure_t e = {x, "cust-1", 6, 1, 2, 3, 4, NOW_MS - 10, NOW_MS}, got;
    ck_assert_int_eq(store_exposure_record(S, &e, g, &got), STORE_FIRST);
    /* The same customer again — a retry, or a second liftd that lost the race to record
     * the first exposure: the stored one comes back (its arm and context), nothing changes. */
    store_exposure_t late = {x, "cust-1", 6, 0, 5, 1, 2, NOW_MS + 50, NOW_MS + 60};
    memset(&got, 0, sizeof got);
    ck_assert_int_eq(store_exposure_record(S, &late, g, &got), STORE_EXISTING);
    ck_assert_int_eq(got.arm, 1);
    ck_assert_int_eq(got.trigger, 2);
    ck_assert_int_eq(got.stage, 3);
    ck_assert_int_eq(got.channel, 4);
    ck_assert_int_eq(got.trigger_ms, NOW_MS - 10);
    ck_assert_int_eq(got.decided_ms, NOW_MS);
    ck_assert_ptr_eq(got.customer, late.customer);
    ck_assert_int_eq(store_exposure_count(S, x), 1);
    tu_store_commit(S);
    /* Paused through the store (another instance): a first exposure at the old generation is
     * refused as stale and nothing is stored; the existing one is still existing. */
    tu_store_begin(S);
    ck_assert_int_eq(store_experiment_update(S, x, g, 3, 1.0, NOW_MS, NOW_MS + 100, &g2), 0);
    store_exposure_t c2 = {x, "cust-2", 6, 0, 1, 1, 1, NOW_MS, NOW_MS + 200};
    ck_assert_int_eq(store_exposure_record(S, &c2, g, &got), STORE_STALE);
    ck_assert_int_eq(store_exposure_get(S, x, "cust-2", 6, &got), 0);
    ck_assert_int_eq(store_exposure_record(S, &late, g, &got), STORE_EXISTING);
    ck_assert_int_eq(got.arm, 1);
    /* At the new generation it is recorded. */
    ck_assert_int_eq(store_exposure_record(S, &c2, g2, NULL), STORE_FIRST);
    ck_assert_int_eq(store_exposure_get(S, x, "cust-2", 6, &got), 1);
    ck_assert_int_eq(got.arm, 0);
    int64_t counts[2];
    ck_assert_int_eq(store_exposure_counts(S, x, 2, counts), 0);
    ck_assert_int_eq(counts[0], 1);
    ck_assert_int_eq(counts[1], 1);
    /* An experiment that is not in the store at all: stale, never stored. */
    store_exposure_t ghost = {x + 100, "cust-3", 6, 0, 1, 1, 1, NOW_MS, NOW_MS};
    ck_assert_int_eq(store_exposure_record(S, &ghost, g2, NULL), STORE_STALE);
    tu_store_commit(S);
    /* An update undone with its request (or its transaction) takes its generation with it:
     * what is stored is the generation that counts. */
    int64_t g3;
    store_exposure_t c4 = {x, "cust-4", 6, 0, 1, 1, 1, NOW_MS, NOW_MS};
    for (int how = 0; how < 2; how++) {
        tu_store_begin(S);
        store_request_begin(S);
        ck_assert_int_eq(store_experiment_update(S, x, g2, 1, 1.0, NOW_MS, NOW_MS + 300, &g3), 0);
        ck_assert_int_eq(store_exposure_record(S, &c4, g2, NULL), STORE_STALE);
        if (how == 0) {
            ck_assert_int_eq(store_request_end(S, 0), 0);
        } else {
            ck_assert_int_eq(store_request_end(S, 1), 0);
            store_rollback(S);
            tu_store_begin(S);
        }
        ck_assert_int_eq(store_generation(S), g2);
        ck_assert_int_eq(store_exposure_record(S, &c4, g3, NULL), STORE_STALE);
        store_rollback(S);
    }
    tu_store_begin(S);
    ck_assert_int_eq(store_exposure_record(S, &c4, g2, NULL), STORE_FIRST);
    tu_store_commit(S);
}
END_TEST

/* ---- events ------------------------------------------------------------------------------- */

/* A request that announced a single write runs without a savepoint: kept, it is stored like
 * any other; undone after its write, request_end says it cannot be undone alone (-1) and the
 * caller's rollback of the whole transaction removes it. Without the hint it is undone alone. */
START_TEST(test_single_write_request)
{
    int64_t g;
    tu_store_begin(S);
    int64_t x = insert_exp("single", &g);
    tu_store_commit(S);
    store_exposure_t a = {x, "cust-a", 6, 1, 1, 1, 1, NOW_MS, NOW_MS};
    store_exposure_t b = {x, "cust-b", 6, 0, 1, 1, 1, NOW_MS, NOW_MS};
    store_exposure_t c = {x, "cust-c", 6, 0, 1, 1, 1, NOW_MS, NOW_MS};
    tu_store_begin(S);
    store_request_begin(S);
    store_request_single_write(S);
    ck_assert_int_eq(store_exposure_record(S, &a, g, NULL), STORE_FIRST);
    ck_assert_int_eq(store_request_end(S, 1), 0);
    store_request_begin(S);
    store_request_single_write(S);
    ck_assert_int_eq(store_exposure_record(S, &b, g, NULL), STORE_FIRST);
    ck_assert_int_eq(store_request_end(S, 0), -1);
    store_rollback(S);
    store_exposure_t got;
    ck_assert_int_eq(store_exposure_get(S, x, "cust-a", 6, &got), 0);
    ck_assert_int_eq(store_exposure_get(S, x, "cust-b", 6, &got), 0);
    tu_store_begin(S);
    store_request_begin(S);
    store_request_single_write(S);
    ck_assert_int_eq(store_exposure_record(S, &a, g, NULL), STORE_FIRST);
    ck_assert_int_eq(store_request_end(S, 1), 0);
    store_request_begin(S);
    ck_assert_int_eq(store_exposure_record(S, &c, g, NULL), STORE_FIRST);
    ck_assert_int_eq(store_request_end(S, 0), 0); /* a savepoint: undone alone */
    /* The existing exposure through the insert-first path: EXISTING with the stored arm. */
    store_request_begin(S);
    store_request_single_write(S);
    store_exposure_t again = {x, "cust-a", 6, 0, 2, 2, 2, NOW_MS + 5, NOW_MS + 5};
    ck_assert_int_eq(store_exposure_record(S, &again, g, &got), STORE_EXISTING);
    ck_assert_int_eq(got.arm, 1);
    ck_assert_int_eq(got.trigger, 1);
    ck_assert_int_eq(store_request_end(S, 1), 0);
    tu_store_commit(S);
    ck_assert_int_eq(store_exposure_get(S, x, "cust-a", 6, &got), 1);
    ck_assert_int_eq(store_exposure_get(S, x, "cust-c", 6, &got), 0);
    ck_assert_int_eq(store_exposure_count(S, x), 1);
}
END_TEST

START_TEST(test_events_put_batch)
{
    store_event_t ev[5] = {conversion("a", 100), conversion("b", 200), conversion("a", 100),
                           conversion("c", 300), conversion("b", 999)};
    ev[4].type = 4; /* b again as a refund: other content */
    store_put_t out[5];
    store_event_key_t stored[5];
    tu_store_begin(S);
    ck_assert_int_eq(store_events_put(S, ev, 5, out, stored), 0);
    ck_assert_int_eq(out[0], STORE_INSERTED);
    ck_assert_int_eq(out[1], STORE_INSERTED);
    ck_assert_int_eq(out[2], STORE_DUPLICATE); /* the first occurrence in the batch wins */
    ck_assert_int_eq(out[3], STORE_INSERTED);
    ck_assert_int_eq(out[4], STORE_CONFLICT);
    ck_assert_str_eq(stored[4].event_id, "b");
    ck_assert_int_eq(stored[4].type, 3);
    ck_assert_int_eq(stored[4].has_amount, 1);
    ck_assert_int_eq(stored[4].amount_minor, 200);
    ck_assert(stored[4].digest == store_event_digest(&ev[1]));
    tu_store_commit(S);
    /* Across batches, and after a reopen (index from the snapshot) and without the snapshot
     * (index from a scan): the same answers. */
    for (int round = 0; round < 3; round++) {
        if (round == 1)
            reopen();
        if (round == 2) {
            store_destroy(&S);
            char snap[400];
            snprintf(snap, sizeof snap, "%s/event-index", DIR_);
            ck_assert_int_eq(unlink(snap), 0);
            reopen();
        }
        tu_store_begin(S);
        ck_assert_int_eq(store_events_put(S, ev, 5, out, NULL), 0);
        ck_assert_int_eq(out[0], STORE_DUPLICATE);
        ck_assert_int_eq(out[1], STORE_DUPLICATE);
        ck_assert_int_eq(out[3], STORE_DUPLICATE);
        ck_assert_int_eq(out[4], STORE_CONFLICT);
        tu_store_commit(S);
        ck_assert_int_eq(store_event_count(S), 3);
    }
}
END_TEST

/* Stores ev alone through s (in the caller's transaction) and checks the outcome is want. */
static void put_one(store_t *s, const store_event_t *ev, store_put_t want)
{
    store_put_t out;
    ck_assert_int_eq(store_events_put(s, ev, 1, &out, NULL), 0);
    ck_assert_int_eq(out, want);
}

/* A request undone alone and a transaction rolled back take their index entries with them:
 * the same ids are new again, not duplicates of rows that were never stored. */
START_TEST(test_undone_writes_leave_no_index_entries)
{
    store_event_t x = conversion("x", 100), y = conversion("y", 100), z = conversion("z", 1);
    store_put_t out;
    tu_store_begin(S);
    store_request_begin(S);
    ck_assert_int_eq(store_events_put(S, &z, 1, &out, NULL), 0);
    ck_assert_int_eq(store_request_end(S, 1), 0);
    store_request_begin(S);
    put_one(S, &x, STORE_INSERTED);
    ck_assert_int_eq(store_request_end(S, 0), 0);
    store_request_begin(S);
    put_one(S, &x, STORE_INSERTED);
    put_one(S, &z, STORE_DUPLICATE); /* the kept request's entry stays */
    ck_assert_int_eq(store_request_end(S, 1), 0);
    tu_store_commit(S);
    tu_store_begin(S);
    put_one(S, &y, STORE_INSERTED);
    store_rollback(S);
    ck_assert_int_eq(store_event_count(S), 2);
    tu_store_begin(S);
    put_one(S, &y, STORE_INSERTED);
    put_one(S, &x, STORE_DUPLICATE);
    tu_store_commit(S);
    ck_assert_int_eq(store_event_count(S), 3);
}
END_TEST

/* ---- the file: what another writer or an older liftd left ---------------------------------- */

/* Runs sql on DIR/lift.db with a connection of its own (rows written behind the store's back). */
static void sql_exec(const char *dir, const char *sql)
{
    char path[400];
    snprintf(path, sizeof path, "%s/lift.db", dir);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* A row below the snapshot's last id that the snapshot does not hold (another writer's, a file
 * from elsewhere): the snapshot is not used, the index is rebuilt by a scan and finds it. */
START_TEST(test_snapshot_not_covering_store_is_not_used)
{
    static char ids[100][16];
    store_event_t ev[100];
    store_put_t out[100];
    for (int i = 0; i < 100; i++) {
        snprintf(ids[i], sizeof ids[i], "a-%d", i);
        ev[i] = conversion(ids[i], 100);
    }
    tu_store_begin(S);
    ck_assert_int_eq(store_events_put(S, ev, 100, out, NULL), 0);
    tu_store_commit(S);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(out[i], STORE_INSERTED);
    store_destroy(&S); /* writes the snapshot (max id 100) */
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO events (id, h, event_id, customer_id, type, ts_ms, amount_minor, "
             "received_ms, digest) SELECT -1, %lld, 'b-0', customer_id, type, ts_ms, amount_minor, "
             "received_ms, digest FROM events WHERE id = 1",
             (long long)eventidx_hash("b-0", 3));
    sql_exec(DIR_, sql);
    reopen();
    /* Storing b-0 again must find it: the index was rebuilt by a scan, not from the snapshot. */
    store_event_t b = conversion("b-0", 100);
    tu_store_begin(S);
    ck_assert_int_eq(store_events_put(S, &b, 1, out, NULL), 0);
    tu_store_commit(S);
    ck_assert_int_eq(out[0], STORE_DUPLICATE);
    ck_assert_int_eq(tu_store_events(URI, &(tu_event_filter_t){.event_id = "b-0"}).count, 1);
}
END_TEST

/* A store written before digests existed (schema 2) gets them computed at migration, so its
 * events are told apart from conflicts as well. */
START_TEST(test_digest_migration_of_old_store)
{
    char dir[300], uri[320], sql[2048];
    snprintf(dir, sizeof dir, "%s/old", DIR_);
    ck_assert_int_eq(mkdir(dir, 0750), 0);
    snprintf(sql, sizeof sql,
             "CREATE TABLE experiments (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, status "
             "INTEGER NOT NULL, def BLOB NOT NULL, coverage REAL NOT NULL, created_ms INTEGER NOT "
             "NULL, started_ms INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL);"
             "CREATE TABLE exposures (experiment_id INTEGER NOT NULL, customer_id TEXT NOT NULL, "
             "arm INTEGER NOT NULL, trigger INTEGER NOT NULL, stage INTEGER NOT NULL, channel "
             "INTEGER NOT NULL, trigger_ms INTEGER NOT NULL, decided_ms INTEGER NOT NULL, PRIMARY "
             "KEY (experiment_id, customer_id)) WITHOUT ROWID;"
             "CREATE TABLE events (id INTEGER PRIMARY KEY, h INTEGER NOT NULL, event_id TEXT NOT "
             "NULL, customer_id TEXT NOT NULL, type INTEGER NOT NULL, ts_ms INTEGER NOT NULL, "
             "experiment_id INTEGER, arm INTEGER, amount_minor INTEGER, plan_from TEXT, plan_to "
             "TEXT, nps INTEGER, received_ms INTEGER NOT NULL);"
             "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
             "INSERT INTO meta VALUES ('currency', 'USD');"
             "INSERT INTO events (h, event_id, customer_id, type, ts_ms, amount_minor, "
             "received_ms) VALUES (%lld, 'old-1', 'acme', 3, %lld, 4900, %lld);"
             "PRAGMA user_version = 2;",
             (long long)eventidx_hash("old-1", 5), (long long)NOW_MS, (long long)NOW_MS);
    sql_exec(dir, sql);
    char err[256] = "";
    snprintf(uri, sizeof uri, "sqlite:%s", dir);
    store_t *old = store_open(uri, err, sizeof err);
    ck_assert_msg(old != NULL, "store_open: %s", err);
    ck_assert_int_eq(store_schema_version(old), 4);
    store_event_t same = {.event_id = "old-1",
                          .customer_id = "acme",
                          .type = 3,
                          .ts_ms = NOW_MS,
                          .has_amount = 1,
                          .amount_minor = 4900,
                          .nps = -1,
                          .received_ms = NOW_MS};
    store_event_t other = same;
    other.amount_minor = 5900;
    tu_store_begin(old);
    put_one(old, &same, STORE_DUPLICATE);
    put_one(old, &other, STORE_CONFLICT);
    tu_store_commit(old);
    store_destroy(&old);
}
END_TEST

/* ---- readers: what a copy of the store reads ---------------------------------------------- */

typedef struct {
    int n;
    char ids[8][16];
    int64_t amount_sum;
    int plans;
    int nps;
    int64_t exp_id;
    int64_t received;
} evsum_t;

static int on_event(void *arg, const store_event_t *e)
{
    evsum_t *s = arg;
    if (s->n < 8)
        snprintf(s->ids[s->n], sizeof s->ids[0], "%s", e->event_id);
    s->n++;
    s->amount_sum += e->has_amount ? e->amount_minor : 0;
    s->plans += e->plan_from && !strcmp(e->plan_from, "starter") && e->plan_to &&
                !strcmp(e->plan_to, "pro");
    if (e->nps >= 0)
        s->nps = e->nps;
    if (e->experiment_id)
        s->exp_id = e->experiment_id;
    s->received = e->received_ms;
    return 0;
}

static int on_exp(void *arg, const store_experiment_t *row)
{
    int *n = arg;
    ck_assert_str_eq(row->key, "copy");
    ck_assert_int_gt(row->generation, 0);
    (*n)++;
    return 0;
}

static int on_expo(void *arg, const store_exposure_t *row)
{
    char *order = arg;
    strncat(order, row->customer, row->customer_len);
    return 0;
}

START_TEST(test_copy_readers)
{
    int64_t g;
    tu_store_begin(S);
    int64_t x = insert_exp("copy", &g);
    store_event_t ev[3] = {conversion("e1", 100), conversion("e2", 250), conversion("e3", 0)};
    ev[2].type = 6;
    ev[2].has_amount = 0;
    ev[2].plan_from = ev[2].plan_to = NULL;
    ev[2].nps = 9;
    ev[1].type = 1; /* an impression of arm 1 */
    ev[1].experiment_id = x;
    ev[1].arm = 1;
    ev[1].has_amount = 0;
    ev[1].plan_from = ev[1].plan_to = NULL;
    store_put_t out[3];
    ck_assert_int_eq(store_events_put(S, ev, 3, out, NULL), 0);
    static const char *const who[] = {"c", "a", "b"};
    for (int i = 0; i < 3; i++) {
        store_exposure_t e = {x, who[i], 1, 0, 1, 1, 1, NOW_MS, NOW_MS};
        ck_assert_int_eq(store_exposure_record(S, &e, g, NULL), STORE_FIRST);
    }
    tu_store_commit(S);
    char err[256];
    store_reader_t *rd = store_reader_open(URI, err, sizeof err);
    ck_assert_msg(rd != NULL, "%s", err);
    ck_assert_int_eq(store_reader_begin(rd, err, sizeof err), 0);
    int n = 0;
    ck_assert_int_eq(store_reader_experiments(rd, on_exp, &n), 0);
    ck_assert_int_eq(n, 1);
    evsum_t s = {0};
    ck_assert_int_eq(store_reader_all_events(rd, on_event, &s), 0);
    ck_assert_int_eq(s.n, 3);
    ck_assert_str_eq(s.ids[0], "e1"); /* storage order */
    ck_assert_str_eq(s.ids[2], "e3");
    ck_assert_int_eq(s.amount_sum, 100);
    ck_assert_int_eq(s.plans, 1);
    ck_assert_int_eq(s.nps, 9);
    ck_assert_int_eq(s.exp_id, x);
    ck_assert_int_eq(s.received, NOW_MS + 5);
    char order[8] = "";
    ck_assert_int_eq(store_reader_exposures(rd, x, on_expo, order), 0);
    ck_assert_str_eq(order, "abc"); /* customer order */
    ck_assert_int_eq(store_reader_event_count(rd), 3);
    ck_assert_int_eq(store_reader_exposure_count(rd, x), 3);
    store_reader_end(rd);
    store_reader_destroy(&rd);
    ck_assert_ptr_null(rd);
}
END_TEST

/* ---- callers: a cache made stale through the store ---------------------------------------- */

static void define(Lift__Experiment *x, Lift__Arm *arms, Lift__Arm **ptrs, const char *key,
                   double coverage)
{
    tu_two_arm_experiment(x, arms, ptrs, key);
    x->has_coverage = 1;
    x->coverage = coverage;
}

/* Two registries over one store stand for two liftd sharing a database: B changes what A's
 * cache still holds. */
START_TEST(test_registry_decides_again_after_other_change)
{
    char err[256];
    status_t st;
    const registry_entry_t *e;
    int created;
    Lift__Experiment x;
    Lift__Arm arms[2], *ptrs[2];
    define(&x, arms, ptrs, "ramp", 0.2);
    registry_t *a = registry_new(S, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    tu_store_begin(S);
    ck_assert_int_eq(registry_create(a, &x, NOW_MS, &e, &created, &st), 0);
    ck_assert_int_eq(registry_change(a, "ramp", LIFT__ACTION__ACTION_START, 0, 0, NOW_MS, &e, &st),
                     0);
    tu_store_commit(S);
    registry_t *b = registry_new(S, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    tu_store_begin(S);
    ck_assert_int_eq(
        registry_change(b, "ramp", LIFT__ACTION__ACTION_RAMP, 1, 0.6, NOW_MS + 1, &e, &st), 0);
    ck_assert_int_eq(
        registry_change(b, "ramp", LIFT__ACTION__ACTION_PAUSE, 0, 0, NOW_MS + 2, &e, &st), 0);
    tu_store_commit(S);
    /* A still holds running at 0.2. A ramp to 0.4 is decided again on what the store holds:
     * below the current 0.6. */
    ck_assert(registry_find(a, "ramp")->def->coverage == 0.2);
    tu_store_begin(S);
    ck_assert_int_eq(
        registry_change(a, "ramp", LIFT__ACTION__ACTION_RAMP, 1, 0.4, NOW_MS + 3, &e, &st), -1);
    ck_assert_int_eq(st.code, LIFT__CODE__FAILED_PRECONDITION);
    ck_assert_msg(strstr(st.message, "0.6"), "%s", st.message);
    /* A pause is already so (B paused it): a success that writes nothing. */
    int64_t g = store_generation(S);
    ck_assert_int_eq(
        registry_change(a, "ramp", LIFT__ACTION__ACTION_PAUSE, 0, 0, NOW_MS + 4, &e, &st), 0);
    ck_assert_int_eq(e->def->status, LIFT__EXPERIMENT_STATUS__STATUS_PAUSED);
    ck_assert_int_eq(store_generation(S), g);
    tu_store_commit(S);
    /* A key created through B is found by A's create: the same definition is a success. */
    Lift__Experiment y;
    Lift__Arm yarms[2], *yptrs[2];
    define(&y, yarms, yptrs, "other", 1.0);
    tu_store_begin(S);
    ck_assert_int_eq(registry_create(b, &y, NOW_MS, &e, &created, &st), 0);
    tu_store_commit(S);
    tu_store_begin(S);
    ck_assert_int_eq(registry_create(a, &y, NOW_MS, &e, &created, &st), 0);
    ck_assert_int_eq(created, 0);
    y.coverage = 0.5; /* and a different one is ALREADY_EXISTS */
    ck_assert_int_eq(registry_create(a, &y, NOW_MS, &e, &created, &st), -1);
    ck_assert_int_eq(st.code, LIFT__CODE__ALREADY_EXISTS);
    tu_store_commit(S);
    ck_assert_int_eq(registry_count(a), 2);
    registry_destroy(&b);
    registry_destroy(&a);
}
END_TEST

/* The assignment path records an exposure only at the generation its cache holds: paused
 * elsewhere, the customer is decided again on the refreshed state (not running) and nothing is
 * stored. Resumed elsewhere, the next request records it. */
START_TEST(test_assign_with_stale_cache)
{
    char err[256];
    status_t st;
    const registry_entry_t *e;
    int created;
    Lift__Experiment x;
    Lift__Arm arms[2], *ptrs[2];
    define(&x, arms, ptrs, "offer", 1.0);
    registry_t *a = registry_new(S, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    tu_store_begin(S);
    ck_assert_int_eq(registry_create(a, &x, NOW_MS, &e, &created, &st), 0);
    ck_assert_int_eq(registry_change(a, "offer", LIFT__ACTION__ACTION_START, 0, 0, NOW_MS, &e, &st),
                     0);
    tu_store_commit(S);
    ingest_config_t icfg = {.currency = "USD", .clock_skew_ms = 86400000};
    ingest_t *in = ingest_new(S, a, &icfg, err, sizeof err);
    ck_assert_msg(in != NULL, "%s", err);
    handlers_t *h = handlers_new(S, a, in, LOG_LEVEL_ERROR);
    ck_assert_ptr_nonnull(h);
    registry_t *b = registry_new(S, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    tu_store_begin(S);
    ck_assert_int_eq(
        registry_change(b, "offer", LIFT__ACTION__ACTION_PAUSE, 0, 0, NOW_MS + 1, &e, &st), 0);
    tu_store_commit(S);

    Lift__Context ctx = LIFT__CONTEXT__INIT;
    ctx.has_trigger = ctx.has_stage = ctx.has_channel = 1;
    ctx.trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD;
    ctx.stage = LIFT__STAGE__STAGE_GROWTH;
    ctx.channel = LIFT__CHANNEL__CHANNEL_IN_APP;
    Lift__Assign as = LIFT__ASSIGN__INIT;
    as.experiment_key = "offer";
    as.customer_id = "cust-1";
    as.context = &ctx;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.has_request_id = 1;
    req.request_id = 7;
    req.body_case = LIFT__REQUEST__BODY_ASSIGN;
    req.assign = &as;
    for (int round = 0; round < 3; round++) {
        handlers_out_t out;
        ck_assert_int_eq(handlers_batch_begin(h, err, sizeof err), 0);
        ck_assert_int_eq(handlers_handle(h, &req, NULL, NOW_MS + 10, &out), 0);
        ck_assert_int_eq(handlers_batch_end(h, err, sizeof err), 0);
        Lift__Reply *rep = lift__reply__unpack(NULL, out.len, out.bytes);
        free(out.bytes);
        ck_assert_ptr_nonnull(rep);
        ck_assert_int_eq(rep->status->code, LIFT__CODE__OK);
        ck_assert_int_eq(rep->body_case, LIFT__REPLY__BODY_ASSIGN);
        Lift__Assignment *asg = rep->assign->assignments[0];
        int64_t id = registry_find(a, "offer")->id;
        if (round < 2) {
            /* 0: the cache said running, the store paused: decided again, not running.
             * 1: resumed through B, the cache says paused: not running until a refresh
             * (liftd refreshes at every batch when the store is shared). */
            ck_assert_int_eq(asg->reason, LIFT__REASON__REASON_NOT_RUNNING);
            ck_assert(!asg->in_experiment);
            ck_assert_int_eq(out.wrote, 0);
            ck_assert_int_eq(store_exposure_count(S, id), 0);
            ck_assert_int_eq(registry_find(a, "offer")->def->status,
                             LIFT__EXPERIMENT_STATUS__STATUS_PAUSED);
        }
        if (round == 0) {
            tu_store_begin(S);
            ck_assert_int_eq(
                registry_change(b, "offer", LIFT__ACTION__ACTION_RESUME, 0, 0, NOW_MS + 5, &e, &st),
                0);
            tu_store_commit(S);
        } else if (round == 1) {
            ck_assert_int_eq(registry_refresh(a, err, sizeof err), 0);
            ck_assert_int_eq(registry_find(a, "offer")->def->status,
                             LIFT__EXPERIMENT_STATUS__STATUS_RUNNING);
        } else {
            ck_assert(asg->in_experiment);
            ck_assert(asg->first_exposure);
            ck_assert_int_eq(out.wrote, 1);
            ck_assert_int_eq(store_exposure_count(S, id), 1);
        }
        lift__reply__free_unpacked(rep, NULL);
    }
    handlers_destroy(&h);
    ingest_destroy(&in);
    registry_destroy(&b);
    registry_destroy(&a);
}
END_TEST

/* ---- liftd's flags ------------------------------------------------------------------------ */

/* Run liftd with args (NULL-terminated) and env LIFT_STORE = env (NULL: unset); its stderr
 * into buf; returns the exit status. */
static int run_liftd(const char *const *args, const char *env, char *buf, size_t len)
{
    char prog[512];
    tu_program("liftd", prog, sizeof prog);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        const char *argv[16] = {prog};
        int n = 1;
        for (int i = 0; args[i] && n < 15; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        if (env)
            setenv("LIFT_STORE", env, 1);
        else
            unsetenv("LIFT_STORE");
        dup2(fds[1], 2);
        close(fds[0]);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < len && (r = read(fds[0], buf + got, len - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_liftd_store_flags)
{
    char out[4096], ep[400], data[300];
    snprintf(ep, sizeof ep, "ipc://%s/flags.sock", DIR_);
    snprintf(data, sizeof data, "%s/other", DIR_);
    const char *both[] = {"--endpoint", ep, "--data", data, "--store", URI, NULL};
    ck_assert_int_eq(run_liftd(both, NULL, out, sizeof out), 2);
    ck_assert_msg(strstr(out, "--data") && strstr(out, "--store") && strstr(out, data) &&
                      strstr(out, URI),
                  "%s", out);
    /* The store named by --store (or LIFT_STORE) is used: this one is locked by the test. */
    const char *store[] = {"--endpoint", ep, "--store", URI, NULL};
    ck_assert_int_eq(run_liftd(store, NULL, out, sizeof out), 1);
    ck_assert_msg(strstr(out, "in use by another liftd"), "%s", out);
    const char *none[] = {"--endpoint", ep, NULL};
    ck_assert_int_eq(run_liftd(none, URI, out, sizeof out), 1);
    ck_assert_msg(strstr(out, "in use by another liftd"), "%s", out);
    const char *help[] = {"--help", NULL};
    int fd = dup(1), devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1); /* --help writes to stdout */
    int rc = run_liftd(help, NULL, out, sizeof out);
    dup2(fd, 1);
    close(fd);
    close(devnull);
    ck_assert_int_eq(rc, 0);
}
END_TEST

Suite *store_sqlite_suite(void);
Suite *store_sqlite_suite(void)
{
    Suite *s = suite_create("store_sqlite");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_uris);
    tcase_add_test(tc, test_generations);
    tcase_add_test(tc, test_exposures_first_existing_stale);
    tcase_add_test(tc, test_single_write_request);
    tcase_add_test(tc, test_events_put_batch);
    tcase_add_test(tc, test_undone_writes_leave_no_index_entries);
    tcase_add_test(tc, test_snapshot_not_covering_store_is_not_used);
    tcase_add_test(tc, test_digest_migration_of_old_store);
    tcase_add_test(tc, test_copy_readers);
    tcase_add_test(tc, test_registry_decides_again_after_other_change);
    tcase_add_test(tc, test_assign_with_stale_cache);
    tcase_add_test(tc, test_liftd_store_flags);
    suite_add_tcase(s, tc);
    return s;
}
