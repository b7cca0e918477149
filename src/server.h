/* server: liftd's ROUTER loop. Drains a batch of requests, runs them through the handlers
 * inside one store transaction (each request in its own savepoint), commits once (group
 * commit) and only then sends the replies. Single-threaded; knows nothing of SQL. */
#ifndef LIFT_SERVER_H
#define LIFT_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define SERVER_MAX_MSG (16 * 1024 * 1024) /* bytes in one request frame (ZMQ_MAXMSGSIZE) */
#define SERVER_MAX_BATCH 512              /* requests drained into one transaction */

typedef struct {
    const char *endpoint;   /* ZeroMQ endpoint to bind, e.g. tcp://127.0.0.1:5555 */
    const char *data_dir;   /* store directory */
    log_level_t log_level;  /* log threshold */
    const char *currency;   /* ISO 4217 code of all amounts in this deployment */
    int64_t clock_skew_ms;  /* events further in the future are rejected */
} server_config_t;

typedef struct server server_t;

/* Open the store, load the registry, bind the ROUTER. NULL with a message on failure. */
server_t *server_new(const server_config_t *cfg, char *err, size_t errlen);

/* Serve until *stop becomes non-zero (set from a signal handler), then finish the batch in
 * hand: commit, reply, return 0. Returns -1 on a fatal socket error. */
int server_run(server_t *self, volatile sig_atomic_t *stop);

/* Close everything; accepts NULL; sets *self_p to NULL. */
void server_destroy(server_t **self_p);

#endif
