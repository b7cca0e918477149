/* testutil: temp dirs and a real liftd child for the integration suites. */

#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void tu_tempdir(char *buf, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, len, "%s/lift-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp %s: %s", buf, strerror(errno));
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rmtree(const char *dir)
{
    if (dir && *dir)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void tu_program(const char *name, char *buf, size_t len)
{
    const char *b = getenv("LIFT_BUILD");
    snprintf(buf, len, "%s/%s", b && *b ? b : "build", name);
}

void tu_liftd_init(tliftd_t *t)
{
    memset(t, 0, sizeof *t);
    tu_tempdir(t->dir, sizeof t->dir);
    snprintf(t->data, sizeof t->data, "%s/data", t->dir);
    snprintf(t->endpoint, sizeof t->endpoint, "ipc://%s/lift.sock", t->dir);
}

void tu_liftd_start(tliftd_t *t, const char *const *extra)
{
    char prog[512];
    tu_program("liftd", prog, sizeof prog);
    const char *argv[32] = {prog, "--endpoint", t->endpoint, t->store[0] ? "--store" : "--data",
                            t->store[0] ? t->store : t->data, "--log-level", "warn"};
    int argc = 7;
    for (int i = 0; extra && extra[i] && argc < 31; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        execv(prog, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", prog, strerror(errno));
        _exit(127);
    }
    t->pid = pid;
    if (!t->client) {
        lift_client_opts_t o = {.timeout_ms = 2000, .attempts = 3};
        t->client = lift_client_new(t->endpoint, &o);
        ck_assert_ptr_nonnull(t->client);
    }
    /* Wait until it answers (a fresh ping client with short timeouts). */
    lift_client_opts_t quick = {.timeout_ms = 100, .attempts = 1};
    lift_client_t *probe = lift_client_new(t->endpoint, &quick);
    ck_assert_ptr_nonnull(probe);
    int ok = 0;
    for (int i = 0; i < 200 && !ok; i++) {
        int status;
        ck_assert_msg(waitpid(pid, &status, WNOHANG) == 0, "liftd exited during start-up");
        ok = lift_ping(probe, NULL, 0, NULL) == LIFT_OK;
    }
    lift_client_destroy(&probe);
    ck_assert_msg(ok, "liftd did not answer a ping within 20 s");
}

int tu_liftd_stop(tliftd_t *t)
{
    int status = 0;
    if (t->pid <= 0)
        return -1;
    kill(t->pid, SIGTERM);
    while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR)
        ;
    t->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void tu_liftd_kill(tliftd_t *t)
{
    int status;
    if (t->pid <= 0)
        return;
    kill(t->pid, SIGKILL);
    while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR)
        ;
    t->pid = 0;
}

void tu_liftd_fini(tliftd_t *t)
{
    if (t->pid > 0)
        tu_liftd_stop(t);
    lift_client_destroy(&t->client);
    tu_rmtree(t->dir);
}

int64_t tu_db_scalar(const char *data_dir, const char *sql)
{
    char path[400];
    sqlite3 *db;
    sqlite3_stmt *st;
    snprintf(path, sizeof path, "%s/lift.db", data_dir);
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(db));
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}
