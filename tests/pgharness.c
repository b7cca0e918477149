/* pgharness: the test run's own PostgreSQL (see pgharness.h). */
#include "pgharness.h"

#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A failed check: printed as well, since a benchmark calls these helpers outside a test,
 * where Check cannot report it. */
#define NEED(cond, ...)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "pgharness: " __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                                   \
            ck_abort_msg(__VA_ARGS__);                                                             \
        }                                                                                          \
    } while (0)

/* The one server of the run: started once, in the runner process. */
static struct {
    int state;     /* 0 not tried, 1 running, -1 failed */
    pid_t owner;   /* process that started it (only it stops it) */
    pid_t pid;     /* postmaster */
    char bin[256]; /* PostgreSQL's bin directory */
    char dir[256]; /* temporary directory: socket, data/, logs */
    char why[512]; /* why it could not be started */
    uid_t uid;     /* user the server runs as */
    gid_t gid;     /* its group */
    int as_other;  /* 1: switch to uid/gid in children (we are root) */
    int ndb;       /* databases made so far */
    int durable;   /* fsync on */
} pg;

int tu_pg_wanted(const char *suite)
{
    const char *s = getenv("CK_RUN_SUITE");
    return !s || !*s || !strcmp(s, suite);
}

int tu_pg_required(void)
{
    const char *ci = getenv("CI");
    return ci && *ci;
}

void tu_pg_durable(void)
{
    pg.durable = 1;
}

const char *tu_pg_why(void)
{
    return pg.why;
}

const char *tu_pg_dir(void)
{
    return pg.dir;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int find_bin(void)
{
    const char *env = getenv("LIFT_PG_BIN");
    char path[400];
    if (env && *env) {
        snprintf(pg.bin, sizeof pg.bin, "%s", env);
        snprintf(path, sizeof path, "%s/initdb", pg.bin);
        return access(path, X_OK) == 0 ? 0 : -1;
    }
    FILE *f = popen("pg_config --bindir 2>/dev/null", "r");
    if (f) {
        if (fgets(pg.bin, sizeof pg.bin, f))
            pg.bin[strcspn(pg.bin, "\n")] = '\0';
        pclose(f);
        snprintf(path, sizeof path, "%s/initdb", pg.bin);
        if (pg.bin[0] && access(path, X_OK) == 0)
            return 0;
    }
    glob_t g;
    int rc = -1;
    if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) == 0 && g.gl_pathc > 0) {
        /* the last one sorts highest: the newest major version */
        snprintf(pg.bin, sizeof pg.bin, "%s", g.gl_pathv[g.gl_pathc - 1]);
        *strrchr(pg.bin, '/') = '\0';
        rc = 0;
    }
    globfree(&g);
    return rc;
}

/* In a child: become the server's user, send output to log, exec argv. */
static void child_exec(const char *const *argv, const char *log, int die_with_parent)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) {
        dup2(nul, 0);
        close(nul);
    }
    if (pg.as_other && (setgid(pg.gid) < 0 || setuid(pg.uid) < 0)) {
        fprintf(stderr, "cannot switch to the postgres user: %s\n", strerror(errno));
        _exit(126);
    }
    /* Its own session: Check kills a forked test's process group when the test ends, and a
     * server restarted by a test must outlive it. */
    setsid();
    /* After the switch (a change of credentials clears it): the server goes with the test
     * run even when the run is killed. */
    if (die_with_parent)
        prctl(PR_SET_PDEATHSIG, SIGQUIT);
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void tail_log(const char *log, char *out, size_t len)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char line[256], last[256] = "";
    while (fgets(line, sizeof line, f))
        if (line[0] != '\n')
            snprintf(last, sizeof last, "%s", line);
    fclose(f);
    last[strcspn(last, "\n")] = '\0';
    size_t n = strlen(out);
    if (last[0] && n + 4 < len)
        snprintf(out + n, len - n, " (%s)", last);
}

static void admin_conninfo(char *buf, size_t len, const char *db)
{
    snprintf(buf, len, "host=%s dbname=%s user=lift connect_timeout=5", pg.dir, db);
}

static int start_postmaster(void)
{
    char data[320], log[320], sock[300];
    snprintf(data, sizeof data, "%s/data", pg.dir);
    snprintf(log, sizeof log, "%s/postgres.log", pg.dir);
    snprintf(sock, sizeof sock, "unix_socket_directories=%s", pg.dir);
    char prog[320];
    snprintf(prog, sizeof prog, "%s/postgres", pg.bin);
    /* fsync off for tests: a test run needs no crash durability of the machine, and the
     * shared machine's disk is slow; commits still go through the WAL as in production. */
    const char *argv[] = {prog,
                          "-D",
                          data,
                          "-c",
                          sock,
                          "-c",
                          "listen_addresses=",
                          "-c",
                          pg.durable ? "fsync=on" : "fsync=off",
                          "-c",
                          pg.durable ? "full_page_writes=on" : "full_page_writes=off",
                          "-c",
                          "max_connections=60",
                          "-c",
                          "shared_buffers=64MB",
                          "-c",
                          "log_min_messages=warning",
                          NULL};
    int die_with_us = getpid() == pg.owner; /* one restarted by a forked test outlives it */
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(pg.why, sizeof pg.why, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0)
        child_exec(argv, log, die_with_us);
    pg.pid = pid;
    char ci[400];
    admin_conninfo(ci, sizeof ci, "postgres");
    for (int i = 0; i < 600; i++) { /* 30 s */
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            pg.pid = 0;
            snprintf(pg.why, sizeof pg.why, "postgres exited during start-up");
            tail_log(log, pg.why, sizeof pg.why);
            return -1;
        }
        if (PQping(ci) == PQPING_OK)
            return 0;
        sleep_ms(50);
    }
    snprintf(pg.why, sizeof pg.why, "postgres did not accept connections within 30 s");
    tail_log(log, pg.why, sizeof pg.why);
    return -1;
}

int tu_pg_start(void)
{
    if (pg.state)
        return pg.state > 0 ? 0 : -1;
    pg.state = -1;
    pg.owner = getpid();
    if (find_bin() < 0) {
        snprintf(pg.why, sizeof pg.why,
                 "no PostgreSQL server programs (initdb) found: install "
                 "the postgresql package, or set LIFT_PG_BIN");
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(pg.dir, sizeof pg.dir, "%s/lift-pg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(pg.dir)) {
        snprintf(pg.why, sizeof pg.why, "mkdtemp %s: %s", pg.dir, strerror(errno));
        pg.dir[0] = '\0';
        return -1;
    }
    if (geteuid() == 0) { /* PostgreSQL refuses to run as root */
        struct passwd *pw = getpwnam("postgres");
        if (!pw) {
            snprintf(pg.why, sizeof pg.why,
                     "running as root and there is no postgres user to "
                     "run the server as");
            goto fail;
        }
        pg.uid = pw->pw_uid;
        pg.gid = pw->pw_gid;
        pg.as_other = 1;
        if (chown(pg.dir, pg.uid, pg.gid) < 0) {
            snprintf(pg.why, sizeof pg.why, "chown %s: %s", pg.dir, strerror(errno));
            goto fail;
        }
        /* the postgres user must reach the directory: every parent must be searchable */
    }
    char data[320], log[320], prog[320];
    snprintf(data, sizeof data, "%s/data", pg.dir);
    snprintf(log, sizeof log, "%s/initdb.log", pg.dir);
    snprintf(prog, sizeof prog, "%s/initdb", pg.bin);
    const char *argv[] = {prog,    "-D", data,   "-U",         "lift", "-A",
                          "trust", "-E", "UTF8", "--locale=C", "-N",   NULL};
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(pg.why, sizeof pg.why, "fork: %s", strerror(errno));
        goto fail;
    }
    if (pid == 0)
        child_exec(argv, log, 0);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(pg.why, sizeof pg.why, "initdb failed (status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        tail_log(log, pg.why, sizeof pg.why);
        goto fail;
    }
    if (start_postmaster() < 0)
        goto fail;
    pg.state = 1;
    pg.why[0] = '\0';
    atexit(tu_pg_stop);
    return 0;
fail:
    if (pg.pid > 0) {
        kill(pg.pid, SIGQUIT);
        waitpid(pg.pid, NULL, 0);
        pg.pid = 0;
    }
    return -1;
}

/* The postmaster's pid from its pid file (it may have been started by another process of
 * the run: a forked test that restarted it), or -1. */
static pid_t server_pid(void)
{
    char path[320];
    snprintf(path, sizeof path, "%s/data/postmaster.pid", pg.dir);
    FILE *f = fopen(path, "r");
    long pid = -1;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = -1;
        fclose(f);
    }
    if (pid <= 0)
        return -1;
    /* a pid file left by a server that was killed: its pid may be another process's now */
    char comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    f = fopen(path, "r");
    if (f) {
        if (!fgets(comm, sizeof comm, f))
            comm[0] = '\0';
        fclose(f);
    }
    return strncmp(comm, "postgres", 8) == 0 ? (pid_t)pid : -1;
}

/* Gone: reaped when it is our child, or no longer running (not there, or a zombie that
 * another parent has not reaped yet). */
static int gone(pid_t pid)
{
    int status;
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid)
        return 1;
    if (w == 0)
        return 0;
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return 1;
    char buf[256];
    const char *state = tu_proc_stat(pid, 0, buf, sizeof buf); /* NULL: gone meanwhile */
    return !state || *state == 'Z' || *state == 'X';
}

int tu_pg_stop_server(void)
{
    pid_t pid = server_pid();
    if (pid <= 0)
        pid = pg.pid;
    pg.pid = 0;
    if (pid <= 0)
        return -1;
    kill(pid, SIGINT); /* fast shutdown: ends sessions, checkpoints */
    for (int i = 0; i < 200; i++) {
        if (gone(pid))
            return 0;
        sleep_ms(50);
    }
    kill(pid, SIGKILL);
    for (int i = 0; i < 100 && !gone(pid); i++)
        sleep_ms(50);
    return 0;
}

int tu_pg_restart_server(void)
{
    if (pg.state <= 0 || server_pid() > 0)
        return -1;
    return start_postmaster();
}

void tu_pg_stop(void)
{
    if (pg.state == 0 || getpid() != pg.owner)
        return; /* a forked test exiting: the server belongs to the runner */
    tu_pg_stop_server();
    if (pg.dir[0])
        tu_rmtree(pg.dir);
    pg.dir[0] = '\0';
    pg.state = 0;
}

long long tu_pg_scalar(const char *uri, const char *sql)
{
    PGconn *c = PQconnectdb(uri);
    NEED(PQstatus(c) == CONNECTION_OK, "connect %s: %s", uri, PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    NEED(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) >= 1, "%s: %s", sql,
         PQresultErrorMessage(r));
    long long v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(c);
    return v;
}

void tu_pg_exec(const char *uri, const char *sql)
{
    PGconn *c = PQconnectdb(uri);
    NEED(PQstatus(c) == CONNECTION_OK, "connect %s: %s", uri, PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    NEED(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s",
         sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

/* Percent-encode s for a URI query value. */
static void uri_encode(const char *s, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < len; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
}

void tu_pg_newdb(char *buf, size_t len)
{
    NEED(pg.state > 0, "PostgreSQL is not running: %s", pg.why);
    char ci[400], name[64], sql[128];
    admin_conninfo(ci, sizeof ci, "postgres");
    /* forked tests share the counter's starting point: the pid keeps names apart */
    snprintf(name, sizeof name, "lift_%d_%d", (int)getpid(), ++pg.ndb);
    PGconn *c = PQconnectdb(ci);
    NEED(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    /* template1 in use (autovacuum visits it after start): wait and try again */
    for (int i = 0; i < 20 && PQresultStatus(r) != PGRES_COMMAND_OK; i++) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (!state || strcmp(state, "55006"))
            break;
        PQclear(r);
        sleep_ms(250);
        r = PQexec(c, sql);
    }
    NEED(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    char enc[400];
    uri_encode(pg.dir, enc, sizeof enc);
    snprintf(buf, len, "postgresql:///%s?host=%s&user=lift", name, enc);
}
