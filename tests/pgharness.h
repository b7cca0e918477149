/* pgharness: a throw-away PostgreSQL for the test run — initdb in a temporary directory (as the
 * unprivileged postgres user when run as root), a postmaster listening only on a unix socket
 * there, no system service, no fixed port. Started once per test binary run, in the runner
 * process, and shared by every suite; stopped and removed at exit. Test code only. */
#ifndef LIFT_PGHARNESS_H
#define LIFT_PGHARNESS_H

#include <stddef.h>

/* Whether suite will run in this test binary run (CK_RUN_SUITE unset or naming it). Suite
 * builders call it before tu_pg_start, so that a run of other suites starts no PostgreSQL. */
int tu_pg_wanted(const char *suite);

/* Start the server unless started already (or already failed). Call it from a suite builder
 * (the runner process), never from a forked test. Returns 0 when it runs; -1 when it cannot
 * be started: the reason is in tu_pg_why(). With the environment variable CI set, a failure
 * is loud: the suite must then add a case that fails with the reason (tu_pg_required()). */
int tu_pg_start(void);

/* Before tu_pg_start: run the server with fsync on (benchmarks). Tests run it with fsync off:
 * commits still go through the WAL, the machine's crash durability is not under test. */
void tu_pg_durable(void);

/* Why the server could not be started ("" when it runs). */
const char *tu_pg_why(void);

/* 1 when PostgreSQL cases must run (CI is set): a start failure is then a test failure. */
int tu_pg_required(void);

/* The URI of a new, empty database on the running server (CREATE DATABASE lift_<n>), for one
 * test: postgresql:///lift_<n>?host=<dir>&user=lift. Fails the test when the server is not
 * running or the database cannot be made. */
void tu_pg_newdb(char *buf, size_t len);

/* The server's socket directory, and the bin directory of its programs. */
const char *tu_pg_dir(void);

/* Run sql on the database named by uri (a fresh connection); the first column of the first
 * row as an integer. Fails the test on any error. */
long long tu_pg_scalar(const char *uri, const char *sql);

/* Run sql (no rows wanted) on the database named by uri. Fails the test on any error. */
void tu_pg_exec(const char *uri, const char *sql);

/* Stop the server (SIGQUIT/SIGINT, then SIGKILL after 10 s) and start it again on the same
 * directory: used by tests of the database going away. stop returns 0 when it stopped. */
int tu_pg_stop_server(void);
int tu_pg_restart_server(void);

/* Stop the server and remove its directory (also registered with atexit; only the process
 * that started it acts). */
void tu_pg_stop(void);

#endif
