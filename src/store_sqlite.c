/* store_sqlite: the embedded SQLite backend of store.h. WAL, synchronous=FULL, one writer;
 * schema versioned by PRAGMA user_version with forward-only migrations.
 * Prepared statements are made once and reused: the hot paths are exposure lookups/inserts. */
#include "store.h"

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
    /* 1 -> 2: events (append-only; deduplicated by liftd's in-memory index over h) and
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
    ST_EXP_EACH,
    ST_EXPO_ARM,
    ST_EXPO_INSERT,
    ST_EXPO_COUNT,
    ST_EXPO_COUNTS,
    ST_EVENT_INSERT,
    ST_EVENT_AT,
    ST_EVENT_UPTO,
    ST_EVENT_SCAN,
    ST_EVENT_COUNT,
    ST_META_GET,
    ST_META_SET,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT req",
    [ST_RELEASE] = "RELEASE req",
    [ST_ROLLBACK_TO] = "ROLLBACK TO req",
    [ST_EXP_INSERT] = "INSERT INTO experiments (key, status, def, coverage, created_ms, "
                      "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    [ST_EXP_UPDATE] = "UPDATE experiments SET status = ?2, coverage = ?3, started_ms = ?4, "
                      "updated_ms = ?5 WHERE id = ?1",
    [ST_EXP_EACH] = "SELECT id, key, status, def, coverage, created_ms, started_ms, updated_ms "
                    "FROM experiments ORDER BY id",
    [ST_EXPO_ARM] = "SELECT arm FROM exposures WHERE experiment_id = ?1 AND customer_id = ?2",
    [ST_EXPO_INSERT] = "INSERT INTO exposures (experiment_id, customer_id, arm, trigger, stage, "
                       "channel, trigger_ms, decided_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_EXPO_COUNT] = "SELECT count(*) FROM exposures WHERE experiment_id = ?1",
    [ST_EXPO_COUNTS] = "SELECT arm, count(*) FROM exposures WHERE experiment_id = ?1 GROUP BY arm",
    [ST_EVENT_INSERT] = "INSERT INTO events (h, event_id, customer_id, type, ts_ms, experiment_id, "
                        "arm, amount_minor, plan_from, plan_to, nps, received_ms, digest) VALUES "
                        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [ST_EVENT_AT] = "SELECT event_id, digest, type, amount_minor FROM events WHERE id = ?1",
    [ST_EVENT_UPTO] = "SELECT count(*) FROM events WHERE id <= ?1",
    [ST_EVENT_SCAN] = "SELECT id, h FROM events WHERE id > ?1",
    [ST_EVENT_COUNT] = "SELECT coalesce(max(id), 0) FROM events",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
};

struct store {
    sqlite3 *db;                 /* the connection (one writer) */
    sqlite3_stmt *st[ST_COUNT];  /* prepared statements, indexed by ST_* */
    int in_txn;                  /* inside BEGIN ... COMMIT */
    int sp_wanted;               /* a request is running: open a savepoint before writing */
    int sp_open;                 /* the request's savepoint is open */
    int txn_lost;                /* SQLite rolled the open transaction back (disk full, I/O) */
    char lost[320];              /* why: the failure that ended it */
    int64_t quota_bytes;         /* storage quota in force, 0 = none */
    int lock_fd;                 /* dir/lift.lock, flock'ed for the store's lifetime; -1 none */
};

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
        if (exec_sql(db, migrations[v], err, errlen) < 0 ||
            exec_sql(db, pragma, err, errlen) < 0) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        if (exec_sql(db, "COMMIT", err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* Opens dir/lift.db into *db with flags (mode names it in messages: "" or " read-only"), sets
 * the busy timeout and extended result codes and runs pragmas (NULL-terminated). On failure *db
 * may still be set: the caller's destructor closes it. */
static int db_open(const char *dir, int flags, const char *mode, const char *const *pragmas,
                   sqlite3 **db, char *err, size_t errlen)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/lift.db", dir) >= sizeof path) {
        snprintf(err, errlen, "data directory path too long (%zu bytes)", strlen(dir));
        return -1;
    }
    if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s%s: %s", path, mode,
                 *db ? sqlite3_errmsg(*db) : "out of memory");
        return -1;
    }
    sqlite3_busy_timeout(*db, 5000);
    sqlite3_extended_result_codes(*db, 1);
    for (const char *const *p = pragmas; *p; p++)
        if (exec_sql(*db, *p, err, errlen) < 0)
            return -1;
    return 0;
}

/* Prepares n persistent statements sql[i] into st[i]; st[] is finalized by the destructor. */
static int prepare_all(sqlite3 *db, const char *const *sql, int n, sqlite3_stmt **st, char *err,
                       size_t errlen)
{
    for (int i = 0; i < n; i++) {
        if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL) !=
            SQLITE_OK) {
            snprintf(err, errlen, "prepare %s: %s", sql[i], sqlite3_errmsg(db));
            return -1;
        }
    }
    return 0;
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

/* Take dir/lift.lock exclusively (flock: one open file description, released by the kernel
 * when the process exits however it exits) and write our pid into it. A second writer is
 * refused with the holder's pid. */
static int lock_store(store_t *self, const char *dir, char *err, size_t errlen)
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
                 "cannot open the store's lock file %s: %s (liftd needs write access to %s)",
                 path, strerror(e), dir);
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
                     "events twice; stop it first, or give this liftd another --data",
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

store_t *store_open(const char *dir, char *err, size_t errlen)
{
    static const char *const pragmas[] = {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                                          "PRAGMA cache_size = -131072",
                                          "PRAGMA temp_store = MEMORY", NULL};
    static const char *const none[] = {NULL};
    store_t *self = NULL;
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
    if (lock_store(self, dir, err, errlen) < 0)
        goto fail;
    if (db_open(dir, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "", none, &self->db, err,
                errlen) < 0)
        goto fail;
    /* SQLite falls back to read-only when the file cannot be opened for writing: say so,
     * before a pragma fails with "attempt to write a readonly database". */
    if (sqlite3_db_readonly(self->db, "main") == 1) {
        snprintf(err, errlen,
                 "store %s/lift.db is read-only (file permissions or a read-only file system): "
                 "liftd needs write access to the file and to %s (WAL journal)",
                 dir, dir);
        goto fail;
    }
    for (const char *const *p = pragmas; *p; p++)
        if (exec_sql(self->db, *p, err, errlen) < 0)
            goto fail;
    if (sqlite3_create_function_v2(self->db, "lift_event_digest", 9,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                   digest_fn, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "register lift_event_digest: %s", sqlite3_errmsg(self->db));
        goto fail;
    }
    if (migrate(self->db, err, errlen) < 0)
        goto fail;
    if (prepare_all(self->db, stmt_sql, ST_COUNT, self->st, err, errlen) < 0)
        goto fail;
    return self;
fail:
    store_destroy(&self);
    return NULL;
}

void store_destroy(store_t **self_p)
{
    store_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(self->st[i]);
    if (self->db)
        sqlite3_close(self->db);
    if (self->lock_fd >= 0)
        close(self->lock_fd); /* releases the flock */
    free(self);
    *self_p = NULL;
}

int store_schema_version(store_t *self)
{
    return user_version(self->db);
}

const char *store_errmsg(store_t *self)
{
    if (self->txn_lost)
        return self->lost;
    return sqlite3_errmsg(self->db);
}

/* After a failed statement: when SQLite ended the open transaction on its own (SQLITE_FULL,
 * SQLITE_IOERR, ...), remember that and why, so that the commit and the logs name the cause
 * ("database or disk is full") instead of its symptom ("no transaction is active"). */
static void note_failure(store_t *self, int rc)
{
    if (!self->in_txn || self->txn_lost || !sqlite3_get_autocommit(self->db))
        return;
    self->txn_lost = 1;
    if ((rc & 0xff) == SQLITE_FULL && self->quota_bytes > 0)
        snprintf(self->lost, sizeof self->lost,
                 "%s: the store reached its quota (--max-store-bytes %lld) or the disk is full; "
                 "the batch was rolled back",
                 sqlite3_errstr(rc), (long long)self->quota_bytes);
    else
        snprintf(self->lost, sizeof self->lost, "%s; the batch was rolled back",
                 sqlite3_errstr(rc));
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

int store_set_max_bytes(store_t *self, int64_t max_bytes, int64_t *used_bytes,
                        int64_t *quota_bytes, char *err, size_t errlen)
{
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

/* Run a statement that returns no rows; reset it whatever happens. */
static int step_done(store_t *self, int which)
{
    sqlite3_stmt *st = self->st[which];
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        rc = sqlite3_reset(st); /* the statement's own error code */
    else
        sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE || rc == SQLITE_OK)
        return 0;
    note_failure(self, rc);
    return -1;
}

int store_begin(store_t *self, char *err, size_t errlen)
{
    self->txn_lost = 0;
    self->lost[0] = '\0';
    if (step_done(self, ST_BEGIN) < 0) {
        snprintf(err, errlen, "begin: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    self->in_txn = 1;
    return 0;
}

int store_commit(store_t *self, char *err, size_t errlen)
{
    if (self->txn_lost || step_done(self, ST_COMMIT) < 0) {
        snprintf(err, errlen, "commit: %s", store_errmsg(self));
        if (!sqlite3_get_autocommit(self->db))
            step_done(self, ST_ROLLBACK);
        self->in_txn = 0;
        return -1;
    }
    self->in_txn = 0;
    return 0;
}

void store_rollback(store_t *self)
{
    if (!sqlite3_get_autocommit(self->db))
        step_done(self, ST_ROLLBACK);
    self->in_txn = 0;
}

void store_request_begin(store_t *self)
{
    self->sp_wanted = 1;
    self->sp_open = 0;
}

/* Called first by every write: opens the request's savepoint on its first write. Refuses
 * when SQLite has rolled the batch's transaction back on its own (SQLITE_FULL, SQLITE_IOERR
 * may do that): a write now would run in autocommit mode, be durable at once, and then be
 * reported as failed with the rest of the batch. */
static int before_write(store_t *self)
{
    if (self->in_txn && sqlite3_get_autocommit(self->db)) {
        if (!self->txn_lost)
            snprintf(self->lost, sizeof self->lost,
                     "the batch's transaction was rolled back by an earlier storage error");
        self->txn_lost = 1;
        return -1;
    }
    if (self->sp_wanted && !self->sp_open) {
        if (step_done(self, ST_SAVEPOINT) < 0)
            return -1;
        self->sp_open = 1;
    }
    return 0;
}

int store_request_end(store_t *self, int keep)
{
    int rc = 0;
    if (self->sp_open) {
        if (!keep)
            rc = step_done(self, ST_ROLLBACK_TO);
        if (step_done(self, ST_RELEASE) < 0)
            rc = -1;
    }
    self->sp_wanted = self->sp_open = 0;
    return rc;
}

int store_experiment_insert(store_t *self, const char *key, int status, const void *def,
                            size_t def_len, double coverage, int64_t now_ms, int64_t *id_out)
{
    if (before_write(self) < 0)
        return -1;
    sqlite3_stmt *st = self->st[ST_EXP_INSERT];
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, status);
    sqlite3_bind_blob(st, 3, def, (int)def_len, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, coverage);
    sqlite3_bind_int64(st, 5, now_ms);
    if (step_done(self, ST_EXP_INSERT) < 0)
        return -1;
    *id_out = sqlite3_last_insert_rowid(self->db);
    return 0;
}

int store_experiment_update(store_t *self, int64_t id, int status, double coverage,
                            int64_t started_ms, int64_t now_ms)
{
    if (before_write(self) < 0)
        return -1;
    sqlite3_stmt *st = self->st[ST_EXP_UPDATE];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, status);
    sqlite3_bind_double(st, 3, coverage);
    sqlite3_bind_int64(st, 4, started_ms);
    sqlite3_bind_int64(st, 5, now_ms);
    if (step_done(self, ST_EXP_UPDATE) < 0)
        return -1;
    return sqlite3_changes(self->db) == 1 ? 0 : -1;
}

int store_experiment_each(store_t *self, store_experiment_cb cb, void *arg)
{
    sqlite3_stmt *st = self->st[ST_EXP_EACH];
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
        };
        if (!row.key) {
            ret = -1;
            break;
        }
        if ((ret = cb(arg, &row)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = -1;
    sqlite3_reset(st);
    return ret;
}

int store_exposure_arm(store_t *self, int64_t experiment_id, const char *customer, size_t len,
                       int *arm_out)
{
    sqlite3_stmt *st = self->st[ST_EXPO_ARM];
    sqlite3_bind_int64(st, 1, experiment_id);
    sqlite3_bind_text(st, 2, customer, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        *arm_out = sqlite3_column_int(st, 0);
        ret = 1;
    } else {
        ret = rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

int store_exposure_insert(store_t *self, const store_exposure_t *e)
{
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
    return step_done(self, ST_EXPO_INSERT);
}

int64_t store_exposure_count(store_t *self, int64_t experiment_id)
{
    sqlite3_stmt *st = self->st[ST_EXPO_COUNT];
    sqlite3_bind_int64(st, 1, experiment_id);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
}

int store_exposure_counts(store_t *self, int64_t experiment_id, int narms, int64_t *counts)
{
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
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_integrity_check(store_t *self, char *err, size_t errlen)
{
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
    }
    sqlite3_finalize(st);
    return ok;
}

int store_event_insert(store_t *self, const store_event_t *e, int64_t *id_out)
{
    if (before_write(self) < 0)
        return -1;
    sqlite3_stmt *st = self->st[ST_EVENT_INSERT];
    sqlite3_bind_int64(st, 1, (sqlite3_int64)e->h);
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
    sqlite3_bind_int64(st, 13, (sqlite3_int64)store_event_digest(e));
    if (step_done(self, ST_EVENT_INSERT) < 0)
        return -1;
    *id_out = sqlite3_last_insert_rowid(self->db);
    return 0;
}

int store_event_at(store_t *self, int64_t id, store_event_key_t *out)
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
        ret = rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_reset(st);
    return ret;
}

int64_t store_event_count_upto(store_t *self, int64_t max_id)
{
    sqlite3_stmt *st = self->st[ST_EVENT_UPTO];
    sqlite3_bind_int64(st, 1, max_id);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
}

int store_event_scan(store_t *self, int64_t after_id, store_event_scan_cb cb, void *arg)
{
    sqlite3_stmt *st = self->st[ST_EVENT_SCAN];
    int rc, ret = 0;
    sqlite3_bind_int64(st, 1, after_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((ret = cb(arg, sqlite3_column_int64(st, 0),
                      (uint64_t)sqlite3_column_int64(st, 1))) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = -1;
    sqlite3_reset(st);
    return ret;
}

int64_t store_event_max_id(store_t *self)
{
    sqlite3_stmt *st = self->st[ST_EVENT_COUNT];
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
}

int store_meta_get(store_t *self, const char *key, char *buf, size_t len)
{
    sqlite3_stmt *st = self->st[ST_META_GET];
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        snprintf(buf, len, "%s", v ? v : "");
        ret = 1;
    } else {
        ret = rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

int store_meta_set(store_t *self, const char *key, const char *value)
{
    if (before_write(self) < 0)
        return -1;
    sqlite3_stmt *st = self->st[ST_META_SET];
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return step_done(self, ST_META_SET);
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
    RD_COUNT
};

static const char *const rd_sql[RD_COUNT] = {
    [RD_BEGIN] = "BEGIN",
    [RD_END] = "COMMIT",
    [RD_EXPOSURES] = "SELECT customer_id, arm, trigger, stage, channel, trigger_ms, decided_ms "
                     "FROM exposures WHERE experiment_id = ?1",
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
};

struct store_reader {
    sqlite3 *db;                /* read-only connection */
    sqlite3_stmt *st[RD_COUNT]; /* prepared statements, indexed by RD_* */
    int depth;                  /* nesting of store_reader_begin */
    store_event_row_cb scan_cb; /* callback of the running store_reader_events */
    void *scan_arg;             /* its argument */
    int scan_ret;               /* its first non-zero return */
};

/* Step of lift_scan_row(customer_id, type, ts_ms, value, impression arm): one event to the
 * callback. */
static void scan_step(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
    store_reader_t *self = sqlite3_user_data(ctx);
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
    int64_t arm = argc > 4 && sqlite3_value_type(v[4]) != SQLITE_NULL
                      ? sqlite3_value_int64(v[4])
                      : -1;
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

store_reader_t *store_reader_open(const char *dir, char *err, size_t errlen)
{
    /* 256 MiB of page cache; mmap up to SQLite's compile-time limit (2 GiB by default). */
    static const char *const pragmas[] = {"PRAGMA cache_size = -262144",
                                          "PRAGMA mmap_size = 17179869184",
                                          "PRAGMA temp_store = MEMORY", NULL};
    store_reader_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (db_open(dir, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, " read-only", pragmas, &self->db,
                err, errlen) < 0)
        goto fail;
    if (sqlite3_create_function_v2(self->db, "lift_scan_row", 5, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                   self, NULL, scan_step, scan_final, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "register lift_scan_row: %s", sqlite3_errmsg(self->db));
        goto fail;
    }
    if (prepare_all(self->db, rd_sql, RD_COUNT, self->st, err, errlen) < 0)
        goto fail;
    return self;
fail:
    store_reader_destroy(&self);
    return NULL;
}

void store_reader_destroy(store_reader_t **self_p)
{
    store_reader_t *self = *self_p;
    if (!self)
        return;
    if (self->db && !sqlite3_get_autocommit(self->db))
        sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < RD_COUNT; i++)
        sqlite3_finalize(self->st[i]);
    if (self->db)
        sqlite3_close(self->db);
    free(self);
    *self_p = NULL;
}

const char *store_reader_errmsg(store_reader_t *self)
{
    return sqlite3_errmsg(self->db);
}

int store_reader_begin(store_reader_t *self, char *err, size_t errlen)
{
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

void store_reader_end(store_reader_t *self)
{
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

int store_reader_exposures(store_reader_t *self, int64_t experiment_id, store_exposure_cb cb,
                           void *arg)
{
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

int store_reader_events(store_reader_t *self, int64_t from_ms, int64_t to_ms,
                        store_event_row_cb cb, void *arg)
{
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

int64_t store_reader_exposure_count(store_reader_t *self, int64_t experiment_id)
{
    sqlite3_stmt *st = self->st[RD_EXPO_COUNT];
    sqlite3_bind_int64(st, 1, experiment_id);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return n;
}

int64_t store_reader_event_count(store_reader_t *self)
{
    sqlite3_stmt *st = self->st[RD_EVENT_COUNT];
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
}
