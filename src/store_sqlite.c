/* store_sqlite: the embedded SQLite backend of store.h (store_sqlite_ops, URI sqlite:DIR; the
 * database is DIR/lift.db). WAL, synchronous=FULL, one writer per directory (flock on
 * DIR/lift.lock); schema versioned by PRAGMA user_version with forward-only migrations;
 * prepared statements made once and reused.
 *
 * Exactly-once for events rests here on a private in-memory index of event-id hashes (see
 * eventidx.h), not on a UNIQUE index in the file: events are appended by row id, and a unique
 * index on a random key adds a B-tree insert at a random page per event — an order of magnitude
 * of ingestion once the index outgrows the page cache (measured: 1,000-row commits appended to
 * 5M stored events with random UUID ids, 128 MiB cache, synchronous=FULL: 110,800 rows/s
 * without the index, 11,800 rows/s with UNIQUE(event_id), the file 52% larger). That is sound
 * only because this backend is the store's only writer (the directory lock refuses a second
 * one, naming its pid), so the index sees every row: it is built from the file at open (from
 * the snapshot DIR/event-index written at a clean close, completed by scanning the rows stored
 * after it, or by a full scan), each hit is confirmed against the stored row (a hash collision
 * never drops an event), and its entries are withdrawn with a request undone alone
 * (request_end(keep = 0)), a rolled-back transaction and a failed commit. Nothing above the
 * store sees it.
 *
 * A first exposure is a read of the stored one and, when there is none, an INSERT after checking
 * the experiment's generation; all of it runs inside the writer's transaction, so no one can
 * come in between. The generation of the experiment last checked is remembered (the only writer
 * knows when it changes: its own updates, and undone writes forget it), so a batch of first
 * exposures costs one lookup and one insert each, as before generations existed. Generations
 * are max(generation) + 1 at every insert or update. */
#include "store_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eventidx.h"

/* Forward-only migrations: migrations[i] takes the schema from version i to i + 1. */
static const char *const migrations[] = {
    /* 0 -> 1: experiments and exposures */
    "CREATE TABLE experiments ("
    "  id INTEGER PRIMARY KEY,"
    "  key TEXT NOT NULL UNIQUE,"
    "  status INTEGER NOT NULL,"
    "  def BLOB NOT NULL,"
    "  coverage REAL NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  started_ms INTEGER NOT NULL DEFAULT 0,"
    "  updated_ms INTEGER NOT NULL);"
    "CREATE TABLE exposures ("
    "  experiment_id INTEGER NOT NULL,"
    "  customer_id TEXT NOT NULL,"
    "  arm INTEGER NOT NULL,"
    "  trigger INTEGER NOT NULL,"
    "  stage INTEGER NOT NULL,"
    "  channel INTEGER NOT NULL,"
    "  trigger_ms INTEGER NOT NULL,"
    "  decided_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (experiment_id, customer_id)) WITHOUT ROWID;",
    /* 1 -> 2: events (append-only; deduplicated by the backend's in-memory index over h) and
     * deployment settings. No secondary index: a random-key B-tree per event would cost an
     * order of magnitude in ingestion; reports scan. */
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  h INTEGER NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  customer_id TEXT NOT NULL,"
    "  type INTEGER NOT NULL,"
    "  ts_ms INTEGER NOT NULL,"
    "  experiment_id INTEGER,"
    "  arm INTEGER,"
    "  amount_minor INTEGER,"
    "  plan_from TEXT,"
    "  plan_to TEXT,"
    "  nps INTEGER,"
    "  received_ms INTEGER NOT NULL);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    /* 2 -> 3: each event's content digest (store_event_digest), so an id that comes again
     * with other content is told from a retry. Existing rows get theirs computed here. */
    "ALTER TABLE events ADD COLUMN digest INTEGER;"
    "UPDATE events SET digest = lift_event_digest(customer_id, type, ts_ms, experiment_id, arm, "
    "amount_minor, plan_from, plan_to, nps);",
    /* 3 -> 4: a generation per experiment (store.h: every change gets a new one, larger than
     * any before). Existing rows get their id, which is unique and increasing. */
    "ALTER TABLE experiments ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;"
    "UPDATE experiments SET generation = id;"
    "CREATE INDEX experiments_generation ON experiments (generation);",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_EXP_INSERT,
    ST_EXP_UPDATE,
    ST_EXP_GEN,
    ST_EXP_EACH,
    ST_GENERATION,
    ST_EXPO_GET,
    ST_EXPO_INSERT,
    ST_EXPO_COUNT,
    ST_EXPO_COUNTS,
    ST_EVENT_INSERT,
    ST_EVENT_AT,
    ST_EVENT_UPTO,
    ST_EVENT_SCAN,
    ST_EVENT_MAX_ID,
    ST_META_GET,
    ST_META_SET,
    ST_COUNT
};

#define NEXT_GEN "(SELECT coalesce(max(generation), 0) + 1 FROM experiments)"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT req",
    [ST_RELEASE] = "RELEASE req",
    [ST_ROLLBACK_TO] = "ROLLBACK TO req",
    [ST_EXP_INSERT] = "INSERT INTO experiments (key, status, def, coverage, created_ms, "
                      "updated_ms, generation) VALUES (?1, ?2, ?3, ?4, ?5, ?5, " NEXT_GEN ") "
                      "ON CONFLICT (key) DO NOTHING RETURNING id, generation",
    [ST_EXP_UPDATE] = "UPDATE experiments SET status = ?3, coverage = ?4, started_ms = ?5, "
                      "updated_ms = ?6, generation = " NEXT_GEN " WHERE id = ?1 AND "
                      "generation = ?2 RETURNING generation",
    [ST_EXP_GEN] = "SELECT generation FROM experiments WHERE id = ?1",
    [ST_EXP_EACH] = "SELECT id, key, status, def, coverage, created_ms, started_ms, updated_ms, "
                    "generation FROM experiments WHERE generation > ?1 ORDER BY id",
    [ST_GENERATION] = "SELECT coalesce(max(generation), 0) FROM experiments",
    [ST_EXPO_GET] = "SELECT arm, trigger, stage, channel, trigger_ms, decided_ms FROM exposures "
                    "WHERE experiment_id = ?1 AND customer_id = ?2",
    [ST_EXPO_INSERT] = "INSERT INTO exposures (experiment_id, customer_id, arm, trigger, stage, "
                       "channel, trigger_ms, decided_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                       "ON CONFLICT DO NOTHING",
    [ST_EXPO_COUNT] = "SELECT count(*) FROM exposures WHERE experiment_id = ?1",
    [ST_EXPO_COUNTS] = "SELECT arm, count(*) FROM exposures WHERE experiment_id = ?1 GROUP BY arm",
    [ST_EVENT_INSERT] = "INSERT INTO events (h, event_id, customer_id, type, ts_ms, experiment_id, "
                        "arm, amount_minor, plan_from, plan_to, nps, received_ms, digest) VALUES "
                        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [ST_EVENT_AT] = "SELECT event_id, digest, type, amount_minor FROM events WHERE id = ?1",
    [ST_EVENT_UPTO] = "SELECT count(*) FROM events WHERE id <= ?1",
    [ST_EVENT_SCAN] = "SELECT id, h FROM events WHERE id > ?1",
    [ST_EVENT_MAX_ID] = "SELECT coalesce(max(id), 0) FROM events",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
};

typedef struct {
    sqlite3 *db;                /* the connection (one writer) */
    sqlite3_stmt *st[ST_COUNT]; /* prepared statements, indexed by ST_* */
    int in_txn;                 /* inside BEGIN ... COMMIT */
    int sp_wanted;              /* a request is running: open a savepoint before writing */
    int sp_open;                /* the request's savepoint is open */
    int sp_skip;                /* the request writes once and is kept: no savepoint */
    int sp_unsaved;             /* a write of this request ran without a savepoint */
    int txn_lost;               /* SQLite rolled the open transaction back (disk full, I/O) */
    char lost[320];             /* why: the failure that ended it */
    char msg[400];              /* the last failure's text */
    store_errcode_t code;       /* what the last failure means */
    int64_t quota_bytes;        /* storage quota in force, 0 = none */
    int lock_fd;                /* dir/lift.lock, flock'ed for the store's lifetime; -1 none */
    eventidx_t *idx;            /* event-id hashes -> row ids of every stored event */
    size_t req_mark;            /* idx's undo position when the current request began */
    char index_path[4200];      /* dir/event-index: the index's snapshot */
    int opened;                 /* open finished: the index is whole and may be saved */
    int64_t known_id;           /* experiment whose generation is known_gen (0: none) */
    int64_t known_gen;          /* its generation as this connection last read or wrote it */
    uint64_t *hashes;           /* events_put scratch: the batch's id hashes */
    size_t cap_hashes;          /* allocated entries in hashes */
} sq_t;

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate(sqlite3 *db, char *err, size_t errlen)
{
    int v = user_version(db);
    if (v < 0) {
        snprintf(err, errlen, "cannot read schema version: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (v > SCHEMA_VERSION) {
        snprintf(err, errlen, "store schema version %d is newer than this liftd (%d)", v,
                 SCHEMA_VERSION);
        return -1;
    }
    for (; v < SCHEMA_VERSION; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (exec_sql(db, "BEGIN IMMEDIATE", err, errlen) < 0)
            return -1;
        if (exec_sql(db, migrations[v], err, errlen) < 0 || exec_sql(db, pragma, err, errlen) < 0) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        if (exec_sql(db, "COMMIT", err, errlen) < 0)
            return -1;
    }
    return 0;
}

typedef void (*sql_fn)(sqlite3_context *ctx, int argc, sqlite3_value **v);

/* How a connection to dir/lift.db is opened: the writer's and the readers' differ only here. */
typedef struct {
    int flags;                  /* sqlite3_open_v2 flags (READWRITE: the writer) */
    const char *mode;           /* names the flags in messages: "" or " read-only" */
    const char *const *pragmas; /* run after the open, NULL-terminated */
    const char *fn;             /* an SQL function to register (with fn_args arguments) */
    int fn_args;
    int fn_flags;                           /* its flags (SQLITE_UTF8 | ...) */
    sql_fn fn_func, fn_step;                /* a scalar function, or the step of an aggregate... */
    void (*fn_final)(sqlite3_context *ctx); /* ...and its final */
    int migrate;            /* bring the schema to SCHEMA_VERSION before preparing */
    const char *const *sql; /* the persistent statements */
    int nsql;               /* their number */
} conn_spec_t;

/* Opens dir/lift.db into *db as c says (busy timeout, extended result codes, pragmas, the
 * function with user data fn_arg, migrations) and prepares c->sql into st[]. On failure *db and
 * st[] may be partly set: the caller's destructor closes them (conn_close). */
static int conn_open(const char *dir, const conn_spec_t *c, void *fn_arg, sqlite3 **db,
                     sqlite3_stmt **st, char *err, size_t errlen)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/lift.db", dir) >= sizeof path) {
        snprintf(err, errlen, "data directory path too long (%zu bytes)", strlen(dir));
        return -1;
    }
    if (sqlite3_open_v2(path, db, c->flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s%s: %s", path, c->mode,
                 *db ? sqlite3_errmsg(*db) : "out of memory");
        return -1;
    }
    sqlite3_busy_timeout(*db, 5000);
    sqlite3_extended_result_codes(*db, 1);
    /* SQLite falls back to read-only when the file cannot be opened for writing: say so,
     * before a pragma fails with "attempt to write a readonly database". */
    if ((c->flags & SQLITE_OPEN_READWRITE) && sqlite3_db_readonly(*db, "main") == 1) {
        snprintf(err, errlen,
                 "store %s is read-only (file permissions or a read-only file system): "
                 "liftd needs write access to the file and to %s (WAL journal)",
                 path, dir);
        return -1;
    }
    for (const char *const *p = c->pragmas; *p; p++)
        if (exec_sql(*db, *p, err, errlen) < 0)
            return -1;
    if (c->fn && sqlite3_create_function_v2(*db, c->fn, c->fn_args, c->fn_flags, fn_arg, c->fn_func,
                                            c->fn_step, c->fn_final, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "register %s: %s", c->fn, sqlite3_errmsg(*db));
        return -1;
    }
    if (c->migrate && migrate(*db, err, errlen) < 0)
        return -1;
    for (int i = 0; i < c->nsql; i++) {
        if (sqlite3_prepare_v3(*db, c->sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL) !=
            SQLITE_OK) {
            snprintf(err, errlen, "prepare %s: %s", c->sql[i], sqlite3_errmsg(*db));
            return -1;
        }
    }
    return 0;
}

/* Closes what conn_open opened (either may be NULL or partly set), rolling back a transaction
 * left open. */
static void conn_close(sqlite3 *db, sqlite3_stmt **st, int n)
{
    if (db && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < n; i++)
        sqlite3_finalize(st[i]);
    if (db)
        sqlite3_close(db);
}

/* lift_event_digest(customer_id, type, ts_ms, experiment_id, arm, amount_minor, plan_from,
 * plan_to, nps): store_event_digest of a stored row, for the migration that adds digests. */
static void digest_fn(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
    (void)argc;
    int null_exp = sqlite3_value_type(v[3]) == SQLITE_NULL;
    store_event_t e = {
        .customer_id = (const char *)sqlite3_value_text(v[0]),
        .type = sqlite3_value_int(v[1]),
        .ts_ms = sqlite3_value_int64(v[2]),
        .experiment_id = null_exp ? 0 : sqlite3_value_int64(v[3]),
        .arm = sqlite3_value_type(v[4]) == SQLITE_NULL ? 0 : sqlite3_value_int(v[4]),
        .has_amount = sqlite3_value_type(v[5]) != SQLITE_NULL,
        .amount_minor = sqlite3_value_int64(v[5]),
        .plan_from = (const char *)sqlite3_value_text(v[6]),
        .plan_to = (const char *)sqlite3_value_text(v[7]),
        .nps = sqlite3_value_type(v[8]) == SQLITE_NULL ? -1 : sqlite3_value_int(v[8]),
    };
    if (!e.customer_id)
        e.customer_id = "";
    sqlite3_result_int64(ctx, (sqlite3_int64)store_event_digest(&e));
}

/* What an SQLite result code means for the caller (store_errcode_t). */
static store_errcode_t code_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return STORE_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_INTERRUPT:
        return STORE_E_UNAVAILABLE;
    case SQLITE_CONSTRAINT:
        return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
                   ? STORE_E_EXISTS
                   : STORE_E_INVALID;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
        return STORE_E_INVALID;
    default:
        return STORE_E_INTERNAL;
    }
}

/* After a failed statement: when SQLite ended the open transaction on its own (SQLITE_FULL,
 * SQLITE_IOERR, ...), remember that and why, so that the commit and the logs name the cause
 * ("database or disk is full") instead of its symptom ("no transaction is active"). */
static void note_failure(sq_t *self, int rc)
{
    if (!self->in_txn || self->txn_lost || !sqlite3_get_autocommit(self->db))
        return;
    self->txn_lost = 1;
    if ((rc & 0xff) == SQLITE_FULL && self->quota_bytes > 0)
        snprintf(self->lost, sizeof self->lost,
                 "%s: the store reached its quota (--max-store-mb, %lld bytes) or the disk is "
                 "full; the batch was rolled back",
                 sqlite3_errstr(rc), (long long)self->quota_bytes);
    else
        snprintf(self->lost, sizeof self->lost, "%s; the batch was rolled back",
                 sqlite3_errstr(rc));
}

/* Record a failed statement (rc, the connection's message) as the last failure; returns -1.
 * Call before resetting the statement, which would replace the message. */
static int failed(sq_t *self, int rc)
{
    self->code = code_of(rc);
    if (self->code == STORE_OK)
        self->code = STORE_E_INTERNAL;
    snprintf(self->msg, sizeof self->msg, "%s", sqlite3_errmsg(self->db));
    note_failure(self, rc);
    return -1;
}

/* Record a failure of this backend's own (not from SQLite); returns -1. */
static int failed_own(sq_t *self, store_errcode_t code, const char *msg)
{
    self->code = code;
    snprintf(self->msg, sizeof self->msg, "%s", msg);
    return -1;
}

/* Run a statement to its first row or its end and reset it. Returns 0, or -1 (recorded). */
static int step_done(sq_t *self, int which)
{
    sqlite3_stmt *st = self->st[which];
    int rc = sqlite3_step(st), ret = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = failed(self, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

/* A statement returning one integer (count, max): the value, or -1 (recorded). */
static int64_t step_int(sq_t *self, int which)
{
    sqlite3_stmt *st = self->st[which];
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : failed(self, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return v;
}

/* Take dir/lift.lock exclusively (flock: one open file description, released by the kernel
 * when the process exits however it exits) and write our pid into it. A second writer is
 * refused with the holder's pid. */
static int lock_store(sq_t *self, const char *dir, char *err, size_t errlen)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/lift.lock", dir) >= sizeof path) {
        snprintf(err, errlen, "data directory path too long (%zu bytes)", strlen(dir));
        return -1;
    }
    self->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (self->lock_fd < 0) {
        int e = errno;
        snprintf(err, errlen,
                 "cannot open the store's lock file %s: %s (liftd needs write access to %s)", path,
                 strerror(e), dir);
        return -1;
    }
    if (flock(self->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(self->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (e == EWOULDBLOCK)
            snprintf(err, errlen,
                     "store %s is in use by another liftd (pid %s, holding %s): two writers on "
                     "one SQLite store would each keep their own event index and count retried "
                     "events twice; stop it first, or give this liftd another store (--store "
                     "sqlite:DIR), or share a PostgreSQL store between instances",
                     dir, pid[0] ? pid : "unknown", path);
        else
            snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(self->lock_fd, 0) < 0 || pwrite(self->lock_fd, pid, (size_t)n, 0) != n) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The stored key of row id into *out. Returns 1 found, 0 not, -1 error (recorded). */
static int event_at(sq_t *self, int64_t id, store_event_key_t *out)
{
    sqlite3_stmt *st = self->st[ST_EVENT_AT];
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        snprintf(out->event_id, sizeof out->event_id, "%s", v ? v : "");
        out->digest = (uint64_t)sqlite3_column_int64(st, 1);
        out->type = sqlite3_column_int(st, 2);
        out->has_amount = sqlite3_column_type(st, 3) != SQLITE_NULL;
        out->amount_minor = sqlite3_column_int64(st, 3);
        ret = 1;
    } else {
        ret = rc == SQLITE_DONE ? 0 : failed(self, rc);
    }
    sqlite3_reset(st);
    return ret;
}

/* eventidx_sample callback: the snapshot's entry (id, h) must be the stored row's. */
static int sample_matches(void *arg, int64_t id, uint64_t h)
{
    sq_t *self = arg;
    store_event_key_t stored;
    if (event_at(self, id, &stored) != 1 ||
        eventidx_hash(stored.event_id, strlen(stored.event_id)) != h)
        return 1;
    return 0;
}

/* Build the event index: from the snapshot when there is a valid one covering no more than the
 * store holds (then only the rows stored after it are scanned), else by a full scan. */
static int index_load(sq_t *self, char *err, size_t errlen)
{
    int64_t max_id = step_int(self, ST_EVENT_MAX_ID), covered = INT64_MIN;
    if (max_id < 0) {
        snprintf(err, errlen, "cannot read the last event id: %s", self->msg);
        return -1;
    }
    self->idx = eventidx_load(self->index_path, max_id, &covered);
    if (self->idx) {
        /* The snapshot's entries are distinct rows with ids <= covered (each indexed row
         * once); if the store holds exactly that many such rows, the entries are all of them.
         * A row below it that the snapshot lacks (written by hand, a file from elsewhere)
         * makes the counts differ; a few entries are checked against the stored rows too. */
        sqlite3_bind_int64(self->st[ST_EVENT_UPTO], 1, covered);
        int64_t upto = step_int(self, ST_EVENT_UPTO);
        if (upto < 0 || (uint64_t)upto != eventidx_count(self->idx) ||
            eventidx_sample(self->idx, 64, sample_matches, self) != 0 ||
            eventidx_reserve(self->idx, (uint64_t)(max_id - covered)) < 0) {
            eventidx_destroy(&self->idx);
            covered = INT64_MIN;
        }
    }
    if (!self->idx) {
        self->idx = eventidx_new(max_id > 0 ? (uint64_t)max_id : 0);
        if (!self->idx) {
            snprintf(err, errlen, "out of memory for the event index (%lld events)",
                     (long long)max_id);
            return -1;
        }
    }
    sqlite3_stmt *st = self->st[ST_EVENT_SCAN];
    int rc;
    sqlite3_bind_int64(st, 1, covered);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (eventidx_put(self->idx, (uint64_t)sqlite3_column_int64(st, 1),
                         sqlite3_column_int64(st, 0)) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    if (rc != SQLITE_DONE)
        snprintf(err, errlen, "cannot load the event index: %s",
                 rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(self->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void sq_destroy(void *b);

static void *sq_open(const char *dir, char *err, size_t errlen)
{
    static const char *const pragmas[] = {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                                          "PRAGMA cache_size = -131072",
                                          "PRAGMA temp_store = MEMORY", NULL};
    /* NOMUTEX: one thread per store_t (store.h), so SQLite's per-call connection mutex is pure
     * cost (about a tenth of a Track's instructions in liftd's request thread). */
    static const conn_spec_t spec = {
        .flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
        .mode = "",
        .pragmas = pragmas,
        .fn = "lift_event_digest",
        .fn_args = 9,
        .fn_flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
        .fn_func = digest_fn,
        .migrate = 1,
        .sql = stmt_sql,
        .nsql = ST_COUNT,
    };
    sq_t *self = NULL;
    if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create data directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->lock_fd = -1;
    if ((size_t)snprintf(self->index_path, sizeof self->index_path, "%s/event-index", dir) >=
        sizeof self->index_path) {
        snprintf(err, errlen, "data directory path too long (%zu bytes)", strlen(dir));
        goto fail;
    }
    if (lock_store(self, dir, err, errlen) < 0)
        goto fail;
    if (conn_open(dir, &spec, NULL, &self->db, self->st, err, errlen) < 0)
        goto fail;
    if (index_load(self, err, errlen) < 0)
        goto fail;
    self->opened = 1;
    return self;
fail:
    sq_destroy(self);
    return NULL;
}

static void sq_rollback(void *b);

static void sq_destroy(void *b)
{
    sq_t *self = b;
    if (!self)
        return;
    if (self->in_txn)
        sq_rollback(self);
    /* The snapshot covers what is committed (no transaction is open now); written before the
     * lock is released, so the next writer reads a finished file. Failing to write it costs
     * only a full scan at the next start. */
    if (self->opened && eventidx_count(self->idx) > 0) {
        int64_t max_id = step_int(self, ST_EVENT_MAX_ID);
        char err[256];
        if (max_id >= 0)
            eventidx_save(self->idx, self->index_path, max_id, err, sizeof err);
    }
    conn_close(self->db, self->st, ST_COUNT);
    if (self->lock_fd >= 0)
        close(self->lock_fd); /* releases the flock */
    eventidx_destroy(&self->idx);
    free(self->hashes);
    free(self);
}

static int sq_schema_version(void *b)
{
    return user_version(((sq_t *)b)->db);
}

static const char *sq_errmsg(void *b)
{
    sq_t *self = b;
    if (self->txn_lost)
        return self->lost;
    return self->msg[0] ? self->msg : sqlite3_errmsg(self->db);
}

static store_errcode_t sq_errcode(void *b)
{
    sq_t *self = b;
    return self->txn_lost ? STORE_E_UNAVAILABLE : self->code;
}

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The quota is PRAGMA max_page_count: a write past it fails with SQLITE_FULL exactly as on a
 * full disk. Per connection, so set at every open. */
static int sq_set_max_bytes(void *b, int64_t max_bytes, int64_t *used_bytes, int64_t *quota_bytes,
                            char *err, size_t errlen)
{
    sq_t *self = b;
    int64_t page = pragma_int(self->db, "PRAGMA page_size");
    int64_t count = pragma_int(self->db, "PRAGMA page_count");
    if (page <= 0 || count < 0 || max_bytes <= 0) {
        snprintf(err, errlen, "cannot read the store's size: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    char sql[80];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)(max_bytes / page));
    int64_t max_pages = pragma_int(self->db, sql); /* the limit in force (>= page_count) */
    if (max_pages <= 0) {
        snprintf(err, errlen, "cannot set the storage quota: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    *used_bytes = count * page;
    *quota_bytes = max_pages * page;
    self->quota_bytes = *quota_bytes;
    return 0;
}

static int sq_begin(void *b, char *err, size_t errlen)
{
    sq_t *self = b;
    self->txn_lost = 0;
    self->lost[0] = '\0';
    self->msg[0] = '\0';
    self->code = STORE_OK;
    if (step_done(self, ST_BEGIN) < 0) {
        snprintf(err, errlen, "begin: %s", self->msg);
        return -1;
    }
    self->in_txn = 1;
    self->req_mark = eventidx_mark(self->idx);
    return 0;
}

static int sq_commit(void *b, char *err, size_t errlen)
{
    sq_t *self = b;
    if (self->txn_lost || step_done(self, ST_COMMIT) < 0) {
        snprintf(err, errlen, "commit: %s", sq_errmsg(self));
        sq_rollback(self);
        return -1;
    }
    eventidx_commit(self->idx);
    self->in_txn = 0;
    return 0;
}

static void sq_rollback(void *b)
{
    sq_t *self = b;
    if (!sqlite3_get_autocommit(self->db))
        step_done(self, ST_ROLLBACK);
    eventidx_undo(self->idx, 0);
    self->known_id = 0;
    self->in_txn = 0;
}

/* Savepoints are opened lazily, before a request's first write: most requests of a batch only
 * read. */
static void sq_request_begin(void *b)
{
    sq_t *self = b;
    self->sp_wanted = 1;
    self->sp_open = self->sp_skip = self->sp_unsaved = 0;
    self->req_mark = eventidx_mark(self->idx);
}

/* Called first by every write: opens the request's savepoint on its first write. Refuses
 * when SQLite has rolled the batch's transaction back on its own (SQLITE_FULL, SQLITE_IOERR
 * may do that): a write now would run in autocommit mode, be durable at once, and then be
 * reported as failed with the rest of the batch. */
static int before_write(sq_t *self)
{
    if (self->in_txn && sqlite3_get_autocommit(self->db)) {
        if (!self->txn_lost)
            snprintf(self->lost, sizeof self->lost,
                     "the batch's transaction was rolled back by an earlier storage error");
        self->txn_lost = 1;
        return -1;
    }
    if (self->sp_wanted && !self->sp_open && self->sp_skip && !self->sp_unsaved) {
        /* One statement is atomic by itself; a SAVEPOINT/RELEASE pair would double the cost
         * of a first exposure (the sub-journal copies every page the insert touches). */
        self->sp_unsaved = 1;
        return 0;
    }
    if (self->sp_wanted && !self->sp_open) {
        if (step_done(self, ST_SAVEPOINT) < 0)
            return -1;
        self->sp_open = 1;
    }
    return 0;
}

static void sq_request_single_write(void *b)
{
    sq_t *self = b;
    self->sp_skip = 1;
}

static int sq_request_end(void *b, int keep)
{
    sq_t *self = b;
    int rc = 0;
    if (self->sp_open) {
        if (!keep)
            rc = step_done(self, ST_ROLLBACK_TO);
        if (step_done(self, ST_RELEASE) < 0)
            rc = -1;
    }
    if (!keep) {
        eventidx_undo(self->idx, self->req_mark);
        self->known_id = 0;
        if (self->sp_unsaved) {
            /* A write made without a savepoint cannot be undone alone: the caller rolls the
             * whole transaction back (store.h). */
            rc = failed_own(self, STORE_E_INTERNAL,
                            "a single-write request failed after its write; the batch is undone");
        }
    }
    self->sp_wanted = self->sp_open = self->sp_skip = self->sp_unsaved = 0;
    return rc;
}

/* ---- experiments ---------------------------------------------------------------------- */

static int sq_experiment_insert(void *b, const char *key, int status, const void *def,
                                size_t def_len, double coverage, int64_t now_ms, int64_t *id_out,
                                int64_t *gen_out)
{
    sq_t *self = b;
    if (before_write(self) < 0)
        return -1;
    sqlite3_stmt *st = self->st[ST_EXP_INSERT];
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, status);
    sqlite3_bind_blob(st, 3, def, (int)def_len, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, coverage);
    sqlite3_bind_int64(st, 5, now_ms);
    int rc = sqlite3_step(st), ret = 1; /* no row back: the key is taken */
    if (rc == SQLITE_ROW) {
        *id_out = sqlite3_column_int64(st, 0);
        *gen_out = sqlite3_column_int64(st, 1);
        ret = 0;
    } else if (rc != SQLITE_DONE) {
        ret = failed(self, rc);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

static int sq_experiment_update(void *b, int64_t id, int64_t expect_gen, int status,
                                double coverage, int64_t started_ms, int64_t now_ms,
                                int64_t *gen_out)
{
    sq_t *self = b;
    if (before_write(self) < 0)
        return -1;
    sqlite3_stmt *st = self->st[ST_EXP_UPDATE];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, expect_gen);
    sqlite3_bind_int(st, 3, status);
    sqlite3_bind_double(st, 4, coverage);
    sqlite3_bind_int64(st, 5, started_ms);
    sqlite3_bind_int64(st, 6, now_ms);
    int rc = sqlite3_step(st), ret = 0;
    self->known_id = 0;
    if (rc == SQLITE_ROW)
        *gen_out = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        ret = failed(self, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return ret;
    /* Nothing updated: moved on, or no such experiment. */
    st = self->st[ST_EXP_GEN];
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    ret = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? -2 : failed(self, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (ret == -2) {
        char msg[80];
        snprintf(msg, sizeof msg, "no experiment with id %lld", (long long)id);
        return failed_own(self, STORE_E_INVALID, msg);
    }
    return ret;
}

/* Call cb for each row of a statement over experiments (columns as in ST_EXP_EACH). Returns
 * 0, cb's non-zero value, or -1 with *rc_out the failing step's code (-1 for a row without a
 * key). */
static int experiment_rows(sqlite3_stmt *st, store_experiment_cb cb, void *arg, int *rc_out)
{
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_experiment_t row = {
            .id = sqlite3_column_int64(st, 0),
            .key = (const char *)sqlite3_column_text(st, 1),
            .status = sqlite3_column_int(st, 2),
            .def = sqlite3_column_blob(st, 3),
            .def_len = (size_t)sqlite3_column_bytes(st, 3),
            .coverage = sqlite3_column_double(st, 4),
            .created_ms = sqlite3_column_int64(st, 5),
            .started_ms = sqlite3_column_int64(st, 6),
            .updated_ms = sqlite3_column_int64(st, 7),
            .generation = sqlite3_column_int64(st, 8),
        };
        if (!row.key) {
            rc = -1;
            break;
        }
        if ((ret = cb(arg, &row)) != 0)
            break;
    }
    *rc_out = rc;
    if (ret == 0 && rc != SQLITE_DONE)
        ret = -1;
    return ret;
}

static int sq_experiment_each(void *b, int64_t since, store_experiment_cb cb, void *arg)
{
    sq_t *self = b;
    sqlite3_stmt *st = self->st[ST_EXP_EACH];
    int rc;
    sqlite3_bind_int64(st, 1, since);
    int ret = experiment_rows(st, cb, arg, &rc);
    if (rc == -1)
        failed_own(self, STORE_E_INTERNAL, "an experiment row without a key");
    else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        failed(self, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

static int64_t sq_generation(void *b)
{
    return step_int(b, ST_GENERATION);
}

/* ---- exposures ------------------------------------------------------------------------ */

/* The stored exposure of (experiment_id, customer) into *out. Returns 1, 0 none, -1 error. */
static int sq_exposure_get(void *b, int64_t experiment_id, const char *customer, size_t len,
                           store_exposure_t *out)
{
    sq_t *self = b;
    sqlite3_stmt *st = self->st[ST_EXPO_GET];
    sqlite3_bind_int64(st, 1, experiment_id);
    sqlite3_bind_text(st, 2, customer, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        out->experiment_id = experiment_id;
        out->customer = customer;
        out->customer_len = len;
        out->arm = sqlite3_column_int(st, 0);
        out->trigger = sqlite3_column_int(st, 1);
        out->stage = sqlite3_column_int(st, 2);
        out->channel = sqlite3_column_int(st, 3);
        out->trigger_ms = sqlite3_column_int64(st, 4);
        out->decided_ms = sqlite3_column_int64(st, 5);
        ret = 1;
    } else {
        ret = rc == SQLITE_DONE ? 0 : failed(self, rc);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

/* The generation of experiment id into *gen: 1, 0 when there is no such experiment, -1. */
static int generation_of(sq_t *self, int64_t id, int64_t *gen)
{
    if (self->known_id == id) {
        *gen = self->known_gen;
        return 1;
    }
    sqlite3_stmt *st = self->st[ST_EXP_GEN];
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        *gen = sqlite3_column_int64(st, 0);
        self->known_id = id;
        self->known_gen = *gen;
        ret = 1;
    } else {
        ret = rc == SQLITE_DONE ? 0 : failed(self, rc);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

/* The generation is checked first (cached per experiment), then the exposure inserted unless
 * one is stored (ON CONFLICT DO NOTHING: one index descent for a first exposure); only when
 * nothing was inserted, or the generation moved, is the stored exposure read. This connection
 * is the store's only writer and all of it runs inside its transaction: nothing can come in
 * between. */
static int sq_exposure_record(void *b, const store_exposure_t *e, int64_t generation,
                              store_exposure_t *stored)
{
    sq_t *self = b;
    store_exposure_t local;
    if (!stored)
        stored = &local;
    int64_t now_gen = 0;
    int known = generation_of(self, e->experiment_id, &now_gen);
    if (known < 0)
        return -1;
    if (known && now_gen == generation) {
        if (before_write(self) < 0)
            return -1;
        sqlite3_stmt *st = self->st[ST_EXPO_INSERT];
        sqlite3_bind_int64(st, 1, e->experiment_id);
        sqlite3_bind_text(st, 2, e->customer, (int)e->customer_len, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, e->arm);
        sqlite3_bind_int(st, 4, e->trigger);
        sqlite3_bind_int(st, 5, e->stage);
        sqlite3_bind_int(st, 6, e->channel);
        sqlite3_bind_int64(st, 7, e->trigger_ms);
        sqlite3_bind_int64(st, 8, e->decided_ms);
        if (step_done(self, ST_EXPO_INSERT) < 0)
            return -1;
        if (sqlite3_changes(self->db) == 1)
            return STORE_FIRST;
    }
    /* Stored before (the existing one stays existing even when the generation moved), or
     * stale. */
    int found = sq_exposure_get(self, e->experiment_id, e->customer, e->customer_len, stored);
    if (found)
        return found > 0 ? STORE_EXISTING : -1;
    if (known && now_gen == generation) {
        return failed_own(self, STORE_E_INTERNAL, "record an exposure: neither stored nor found");
    }
    return STORE_STALE;
}

/* In turn: this connection is the only writer and holds the transaction, so a loop is as
 * good as one statement (each call is in-process, no round trip). A later occurrence of a
 * customer finds the first one stored. */
static int sq_exposures_put(void *b, const store_exposure_t *x, const int64_t *generation, size_t n,
                            store_record_t *out, store_exposure_t *stored)
{
    for (size_t i = 0; i < n; i++) {
        store_exposure_t local;
        int r = sq_exposure_record(b, &x[i], generation[i], stored ? &stored[i] : &local);
        if (r < 0)
            return -1;
        out[i] = (store_record_t)r;
    }
    return 0;
}

static int64_t sq_exposure_count(void *b, int64_t experiment_id)
{
    sq_t *self = b;
    sqlite3_bind_int64(self->st[ST_EXPO_COUNT], 1, experiment_id);
    return step_int(self, ST_EXPO_COUNT);
}

static int sq_exposure_counts(void *b, int64_t experiment_id, int narms, int64_t *counts)
{
    sq_t *self = b;
    sqlite3_stmt *st = self->st[ST_EXPO_COUNTS];
    int rc;
    for (int i = 0; i < narms; i++)
        counts[i] = 0;
    sqlite3_bind_int64(st, 1, experiment_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int arm = sqlite3_column_int(st, 0);
        if (arm >= 0 && arm < narms)
            counts[arm] = sqlite3_column_int64(st, 1);
    }
    int ret = rc == SQLITE_DONE ? 0 : failed(self, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

/* ---- events --------------------------------------------------------------------------- */

/* 1 if an event with this id is stored (its key in *stored), 0 if not, -1 on a store error.
 * Each index hit is confirmed against the stored row. */
static int find(sq_t *self, uint64_t h, const char *event_id, store_event_key_t *stored)
{
    uint64_t pos = 0;
    int64_t id;
    while ((id = eventidx_next(self->idx, h, &pos)) != 0) {
        int rc = event_at(self, id, stored);
        if (rc < 0)
            return -1;
        if (rc == 1 && strcmp(stored->event_id, event_id) == 0)
            return 1;
    }
    return 0;
}

static int insert_event(sq_t *self, const store_event_t *e, uint64_t h, uint64_t digest)
{
    sqlite3_stmt *st = self->st[ST_EVENT_INSERT];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)h);
    sqlite3_bind_text(st, 2, e->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e->customer_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, e->type);
    sqlite3_bind_int64(st, 5, e->ts_ms);
    if (e->experiment_id > 0) {
        sqlite3_bind_int64(st, 6, e->experiment_id);
        sqlite3_bind_int(st, 7, e->arm);
    }
    if (e->has_amount)
        sqlite3_bind_int64(st, 8, e->amount_minor);
    if (e->plan_from)
        sqlite3_bind_text(st, 9, e->plan_from, -1, SQLITE_STATIC);
    if (e->plan_to)
        sqlite3_bind_text(st, 10, e->plan_to, -1, SQLITE_STATIC);
    if (e->nps >= 0)
        sqlite3_bind_int(st, 11, e->nps);
    sqlite3_bind_int64(st, 12, e->received_ms);
    sqlite3_bind_int64(st, 13, (sqlite3_int64)digest);
    return step_done(self, ST_EVENT_INSERT);
}

/* Events in turn: an id found in the index (confirmed against the stored row) is a duplicate
 * or a conflict, else the event is appended and indexed. An event stored earlier in the same
 * batch is in the index already, so the first occurrence is the one compared against. */
static int sq_events_put(void *b, const store_event_t *ev, const uint64_t *digests, size_t n,
                         store_put_t *out, store_event_key_t *stored)
{
    sq_t *self = b;
    if (n > self->cap_hashes) {
        uint64_t *hs = realloc(self->hashes, n * sizeof *hs);
        if (!hs)
            return failed_own(self, STORE_E_UNAVAILABLE, "out of memory for the event batch");
        self->hashes = hs;
        self->cap_hashes = n;
    }
    /* Hash the whole batch and prefetch its index slots first: the probes below then find
     * their cache lines loaded instead of waiting on one miss per event in turn. */
    for (size_t i = 0; i < n; i++) {
        self->hashes[i] = eventidx_hash(ev[i].event_id, strlen(ev[i].event_id));
        eventidx_prefetch(self->idx, self->hashes[i]);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t h = self->hashes[i];
        store_event_key_t key;
        int found = find(self, h, ev[i].event_id, &key);
        if (found < 0)
            return -1;
        if (found) {
            out[i] = key.digest == digests[i] ? STORE_DUPLICATE : STORE_CONFLICT;
            if (out[i] == STORE_CONFLICT && stored)
                stored[i] = key;
            continue;
        }
        if (before_write(self) < 0 || insert_event(self, &ev[i], h, digests[i]) < 0)
            return -1;
        int64_t id = sqlite3_last_insert_rowid(self->db);
        /* Outside a transaction the row is durable at once: nothing to undo. */
        if ((self->in_txn ? eventidx_add(self->idx, h, id) : eventidx_put(self->idx, h, id)) < 0)
            return failed_own(self, STORE_E_UNAVAILABLE, "out of memory for the event index");
        out[i] = STORE_INSERTED;
    }
    return 0;
}

static int64_t sq_event_count(void *b)
{
    return (int64_t)eventidx_count(((sq_t *)b)->idx);
}

/* ---- settings, checks ----------------------------------------------------------------- */

/* Step the setting lookup st (SELECT value ... WHERE key = ?1) for key: 1 with buf filled,
 * else 0 with *rc_out the step's code (SQLITE_DONE: no such setting). The caller resets st,
 * after reading any error from the connection. */
static int meta_step(sqlite3_stmt *st, const char *key, char *buf, size_t len, int *rc_out)
{
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *rc_out = rc;
    if (rc != SQLITE_ROW)
        return 0;
    const char *v = (const char *)sqlite3_column_text(st, 0);
    snprintf(buf, len, "%s", v ? v : "");
    return 1;
}

static int sq_meta_get(void *b, const char *key, char *buf, size_t len)
{
    sq_t *self = b;
    sqlite3_stmt *st = self->st[ST_META_GET];
    int rc, ret = meta_step(st, key, buf, len, &rc);
    if (!ret && rc != SQLITE_DONE)
        ret = failed(self, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

static int sq_meta_set(void *b, const char *key, const char *value)
{
    sq_t *self = b;
    if (before_write(self) < 0)
        return -1;
    sqlite3_stmt *st = self->st[ST_META_SET];
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return step_done(self, ST_META_SET);
}

/* PRAGMA integrity_check: 0 when "ok". */
static int sq_integrity_check(void *b, char *err, size_t errlen)
{
    sq_t *self = b;
    sqlite3_stmt *st = NULL;
    int ok = -1;
    if (sqlite3_prepare_v2(self->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(self->db));
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(st, 0);
        ok = r && strcmp(r, "ok") == 0 ? 0 : -1;
        if (ok < 0)
            snprintf(err, errlen, "%s", r ? r : "no result");
    } else {
        snprintf(err, errlen, "%s", sqlite3_errmsg(self->db));
    }
    sqlite3_finalize(st);
    return ok;
}

/* ---- read side ---------------------------------------------------------------------------
 * A second connection, read-only, for report threads. WAL gives it a snapshot that the writer
 * does not block; the page cache is large and the file memory-mapped, because a report scans
 * every event and a scan through mmap avoids copying each page into the cache. */

enum {
    RD_BEGIN,
    RD_END,
    RD_EXPOSURES,
    RD_EVENTS,
    RD_EXPO_COUNT,
    RD_EVENT_COUNT,
    RD_SNAPSHOT,
    RD_EXPERIMENTS,
    RD_ALL_EVENTS,
    RD_META_GET,
    RD_COUNT
};

static const char *const rd_sql[RD_COUNT] = {
    [RD_BEGIN] = "BEGIN",
    [RD_END] = "COMMIT",
    [RD_EXPOSURES] = "SELECT customer_id, arm, trigger, stage, channel, trigger_ms, decided_ms "
                     "FROM exposures WHERE experiment_id = ?1 ORDER BY customer_id",
    /* The scan runs as an aggregate whose step function calls the report's callback: no
     * result row per event (about a third faster than sqlite3_step + sqlite3_column_* over
     * 10M rows). Each column decoded costs, so the type-dependent value (experiment id of an
     * impression/click, NPS score, amount) comes as one CASE column, decoded only for the
     * column it needs. The range test on ts_ms runs in the VDBE. */
    [RD_EVENTS] = "SELECT lift_scan_row(customer_id, type, ts_ms, CASE type WHEN 1 THEN "
                  "experiment_id WHEN 2 THEN experiment_id WHEN 6 THEN nps ELSE amount_minor END, "
                  "CASE type WHEN 1 THEN arm END) "
                  "FROM events WHERE ts_ms >= ?1 AND ts_ms < ?2",
    [RD_EXPO_COUNT] = "SELECT count(*) FROM exposures WHERE experiment_id = ?1",
    [RD_EVENT_COUNT] = "SELECT count(*) FROM events",
    [RD_SNAPSHOT] = "SELECT count(*) FROM experiments",
    [RD_EXPERIMENTS] = "SELECT id, key, status, def, coverage, created_ms, started_ms, "
                       "updated_ms, generation FROM experiments ORDER BY id",
    [RD_ALL_EVENTS] = "SELECT event_id, customer_id, type, ts_ms, experiment_id, arm, "
                      "amount_minor, plan_from, plan_to, nps, received_ms FROM events ORDER BY id",
    [RD_META_GET] = "SELECT value FROM meta WHERE key = ?1",
};

typedef struct {
    sqlite3 *db;                /* read-only connection */
    sqlite3_stmt *st[RD_COUNT]; /* prepared statements, indexed by RD_* */
    int depth;                  /* nesting of store_reader_begin */
    store_event_row_cb scan_cb; /* callback of the running store_reader_events */
    void *scan_arg;             /* its argument */
    int scan_ret;               /* its first non-zero return */
} sq_reader_t;

/* Step of lift_scan_row(customer_id, type, ts_ms, value, impression arm): one event to the
 * callback. */
static void scan_step(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
    sq_reader_t *self = sqlite3_user_data(ctx);
    if (self->scan_ret || !self->scan_cb)
        return;
    store_event_row_t row;
    row.customer = (const char *)sqlite3_value_blob(v[0]);
    row.customer_len = (size_t)sqlite3_value_bytes(v[0]);
    if (!row.customer)
        row.customer = "";
    row.type = sqlite3_value_int(v[1]);
    row.ts_ms = sqlite3_value_int64(v[2]);
    row.experiment_id = 0;
    row.amount_minor = 0;
    row.nps = -1;
    int64_t arm =
        argc > 4 && sqlite3_value_type(v[4]) != SQLITE_NULL ? sqlite3_value_int64(v[4]) : -1;
    row.arm = arm < 0 ? -1 : arm > INT_MAX ? INT_MAX : (int)arm;
    int null = sqlite3_value_type(v[3]) == SQLITE_NULL;
    int64_t val = null ? 0 : sqlite3_value_int64(v[3]);
    switch (row.type) {
    case 1: /* impression */
    case 2: /* click */
        row.experiment_id = val;
        break;
    case 6: /* NPS */
        row.nps = null || val < 0 || val > 10 ? -1 : (int)val;
        break;
    default:
        row.amount_minor = val;
        break;
    }
    int r = self->scan_cb(self->scan_arg, &row);
    if (r) {
        self->scan_ret = r;
        sqlite3_result_error(ctx, "scan stopped by the callback", -1);
    }
}

static void scan_final(sqlite3_context *ctx)
{
    sqlite3_result_null(ctx);
}

static void rd_destroy(void *r);

static void *rd_open(const char *dir, char *err, size_t errlen)
{
    /* 256 MiB of page cache; mmap up to SQLite's compile-time limit (2 GiB by default). */
    static const char *const pragmas[] = {"PRAGMA cache_size = -262144",
                                          "PRAGMA mmap_size = 17179869184",
                                          "PRAGMA temp_store = MEMORY", NULL};
    static const conn_spec_t spec = {
        .flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
        .mode = " read-only",
        .pragmas = pragmas,
        .fn = "lift_scan_row",
        .fn_args = 5,
        .fn_flags = SQLITE_UTF8 | SQLITE_DIRECTONLY,
        .fn_step = scan_step,
        .fn_final = scan_final,
        .sql = rd_sql,
        .nsql = RD_COUNT,
    };
    sq_reader_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (conn_open(dir, &spec, self, &self->db, self->st, err, errlen) < 0) {
        rd_destroy(self);
        return NULL;
    }
    return self;
}

static void rd_destroy(void *r)
{
    sq_reader_t *self = r;
    if (!self)
        return;
    conn_close(self->db, self->st, RD_COUNT);
    free(self);
}

static const char *rd_errmsg(void *r)
{
    sq_reader_t *self = r;
    return sqlite3_errmsg(self->db);
}

static int rd_begin(void *r, char *err, size_t errlen)
{
    sq_reader_t *self = r;
    if (self->depth > 0) {
        self->depth++;
        return 0;
    }
    sqlite3_stmt *st = self->st[RD_BEGIN];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "begin read: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    /* A deferred BEGIN takes its snapshot at the first read: take it now, so that the
     * snapshot is the state at begin, not at whichever read happens to come first. */
    st = self->st[RD_SNAPSHOT];
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        snprintf(err, errlen, "begin read: %s", sqlite3_errmsg(self->db));
        sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    self->depth = 1;
    return 0;
}

static void rd_end(void *r)
{
    sq_reader_t *self = r;
    if (self->depth <= 0)
        return;
    if (--self->depth > 0)
        return;
    sqlite3_stmt *st = self->st[RD_END];
    sqlite3_step(st);
    sqlite3_reset(st);
    if (!sqlite3_get_autocommit(self->db))
        sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
}

static int rd_exposures(void *r, int64_t experiment_id, store_exposure_cb cb, void *arg)
{
    sq_reader_t *self = r;
    sqlite3_stmt *st = self->st[RD_EXPOSURES];
    int rc, ret = 0;
    sqlite3_bind_int64(st, 1, experiment_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* column_blob on a TEXT value returns its bytes without a UTF-8 conversion or copy */
        store_exposure_t row = {
            .experiment_id = experiment_id,
            .customer = (const char *)sqlite3_column_blob(st, 0),
            .customer_len = (size_t)sqlite3_column_bytes(st, 0),
            .arm = sqlite3_column_int(st, 1),
            .trigger = sqlite3_column_int(st, 2),
            .stage = sqlite3_column_int(st, 3),
            .channel = sqlite3_column_int(st, 4),
            .trigger_ms = sqlite3_column_int64(st, 5),
            .decided_ms = sqlite3_column_int64(st, 6),
        };
        if (!row.customer)
            row.customer = "";
        if ((ret = cb(arg, &row)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = -1;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

static int rd_events(void *r, int64_t from_ms, int64_t to_ms, store_event_row_cb cb, void *arg)
{
    sq_reader_t *self = r;
    sqlite3_stmt *st = self->st[RD_EVENTS];
    self->scan_cb = cb;
    self->scan_arg = arg;
    self->scan_ret = 0;
    sqlite3_bind_int64(st, 1, from_ms);
    sqlite3_bind_int64(st, 2, to_ms);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ; /* the aggregate's single row */
    int ret = self->scan_ret ? self->scan_ret : rc == SQLITE_DONE ? 0 : -1;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    self->scan_cb = NULL;
    self->scan_arg = NULL;
    return ret;
}

static int64_t rd_exposure_count(void *r, int64_t experiment_id)
{
    sq_reader_t *self = r;
    sqlite3_stmt *st = self->st[RD_EXPO_COUNT];
    sqlite3_bind_int64(st, 1, experiment_id);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return n;
}

static int64_t rd_event_count(void *r)
{
    sq_reader_t *self = r;
    sqlite3_stmt *st = self->st[RD_EVENT_COUNT];
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
}

static int rd_experiments(void *r, store_experiment_cb cb, void *arg)
{
    sq_reader_t *self = r;
    sqlite3_stmt *st = self->st[RD_EXPERIMENTS];
    int rc;
    int ret = experiment_rows(st, cb, arg, &rc);
    sqlite3_reset(st);
    return ret;
}

static int rd_all_events(void *r, store_event_cb cb, void *arg)
{
    sq_reader_t *self = r;
    sqlite3_stmt *st = self->st[RD_ALL_EVENTS];
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int null_exp = sqlite3_column_type(st, 4) == SQLITE_NULL;
        store_event_t row = {
            .event_id = (const char *)sqlite3_column_text(st, 0),
            .customer_id = (const char *)sqlite3_column_text(st, 1),
            .type = sqlite3_column_int(st, 2),
            .ts_ms = sqlite3_column_int64(st, 3),
            .experiment_id = null_exp ? 0 : sqlite3_column_int64(st, 4),
            .arm = sqlite3_column_type(st, 5) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 5),
            .has_amount = sqlite3_column_type(st, 6) != SQLITE_NULL,
            .amount_minor = sqlite3_column_int64(st, 6),
            .plan_from = (const char *)sqlite3_column_text(st, 7),
            .plan_to = (const char *)sqlite3_column_text(st, 8),
            .nps = sqlite3_column_type(st, 9) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 9),
            .received_ms = sqlite3_column_int64(st, 10),
        };
        if (!row.event_id || !row.customer_id) {
            ret = -1;
            break;
        }
        if ((ret = cb(arg, &row)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = -1;
    sqlite3_reset(st);
    return ret;
}

static int rd_meta_get(void *r, const char *key, char *buf, size_t len)
{
    sq_reader_t *self = r;
    sqlite3_stmt *st = self->st[RD_META_GET];
    int rc, ret = meta_step(st, key, buf, len, &rc);
    if (!ret && rc != SQLITE_DONE)
        ret = -1;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

const store_ops_t store_sqlite_ops = {
    .name = "sqlite",
    .shared = 0,
    .open = sq_open,
    .destroy = sq_destroy,
    .set_max_bytes = sq_set_max_bytes,
    .schema_version = sq_schema_version,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .request_begin = sq_request_begin,
    .request_end = sq_request_end,
    .request_single_write = sq_request_single_write,
    .errmsg = sq_errmsg,
    .errcode = sq_errcode,
    .experiment_insert = sq_experiment_insert,
    .experiment_update = sq_experiment_update,
    .experiment_each = sq_experiment_each,
    .generation = sq_generation,
    .exposure_record = sq_exposure_record,
    .exposures_put = sq_exposures_put,
    .exposure_get = sq_exposure_get,
    .exposure_count = sq_exposure_count,
    .exposure_counts = sq_exposure_counts,
    .events_put = sq_events_put,
    .event_count = sq_event_count,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .integrity_check = sq_integrity_check,
    .reader_open = rd_open,
    .reader_destroy = rd_destroy,
    .reader_begin = rd_begin,
    .reader_end = rd_end,
    .reader_errmsg = rd_errmsg,
    .reader_exposures = rd_exposures,
    .reader_events = rd_events,
    .reader_experiments = rd_experiments,
    .reader_all_events = rd_all_events,
    .reader_meta_get = rd_meta_get,
    .reader_exposure_count = rd_exposure_count,
    .reader_event_count = rd_event_count,
};
